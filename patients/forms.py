"""Forms of the clinical record. They parse input; ``patients.services`` validates and saves.

Every form maps onto the keyword arguments of one service (``service_kwargs``). Errors that a
service raises are put back on the form with :func:`add_service_errors`.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict

from patients.concurrency import ConcurrentEditError, version_as_of
from patients.models import (
    TEXT_SHOWN_AS_IS,
    AlertSource,
    Category,
    ConfirmationKind,
    ContraceptionKind,
    ContraceptionMethod,
    Course,
    CumulativeMethod,
    Instrument,
    LabResult,
    MoodScreen,
    Patient,
    Profile,
    SpecimenType,
    TestResult,
    TestSetting,
    Visit,
)
from patients.roles import CLINICIAN
from patients.validation import validate_plausible_date
from tracker.engine.analytes import (
    ANALYTES,
    analyte_choices,
    uln_based_in_words,
    units_in_words,
)

CONTRACEPTION_HELP = (
    "US patients who can get pregnant need at least two methods, unless abstinence; "
    "UK/EU: at least one."
)
CATEGORY_HELP = (
    "Assigned by a clinician from the clinical history, never derived from sex or gender. "
    "US (iPLEDGE): tubal ligation still counts as can get pregnant (CGP). "
    "UK/EU: tubal ligation or confirmed menopause counts as cannot get pregnant (CNGP)."
)
ITEM9_HELP = (
    "PHQ-9 / PHQ-A only, scored 0–3; never leave it blank. Any score above 0 needs a "
    "same-day clinical review."
)
SUPPLY_HELP = "Days of medication supplied: at most 30 days."
ULN_HELP = (
    f"The upper limit of normal printed by the lab. {uln_based_in_words()} only; when empty a "
    "default ULN is assumed."
)

UNITS = sorted({unit for a in ANALYTES.values() for unit in a.allowed_units})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: str = "Date", **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label, widget=DateInput(), validators=[validate_plausible_date], **kwargs
    )


def notes_field(label: str = "Notes", required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 2}))


def model_label(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def model_help(model, name: str) -> str:
    return str(model._meta.get_field(name).help_text)


def add_service_errors(
    form: forms.Form,
    error: ValidationError,
    aliases: dict[str, str] | None = None,
    *,
    instance=None,
) -> None:
    """Put a service's field errors on the form; fields the form lacks become non-field errors.

    A refused concurrent edit (``ConcurrentEditError``) of ``instance`` shows the values now
    stored instead of the user's, with what the user entered beside each field they changed.
    """
    aliases = aliases or {}
    stale = isinstance(error, ConcurrentEditError) and isinstance(form, VersionedForm)
    if stale and instance is not None:
        form.show_stored(instance, seen_version=error.seen_version)
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        name = aliases.get(field, field)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            elif name == NON_FIELD_ERRORS:
                form.add_error(None, message)
            else:
                form.add_error(None, f"{field.replace('_', ' ').capitalize()}: {message}")


# After a refused concurrent edit -------------------------------------------------------------


def _as_data(form: forms.BaseForm, values: dict) -> QueryDict:
    """``values`` (as the form's ``initial`` would hold them) as the data a browser would post
    from the form drawn with them."""
    data = QueryDict(mutable=True)
    for name, field in form.fields.items():
        if name not in values:
            continue
        key, value = form.add_prefix(name), values[name]
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
            continue
        formatted = field.widget.format_value(field.prepare_value(value))
        if isinstance(formatted, list | tuple):
            data.setlist(key, [str(v) for v in formatted if v is not None])
        else:
            data[key] = "" if formatted is None else str(formatted)
    return data


def _raw(form: forms.BaseForm, data, name: str):
    return form.fields[name].widget.value_from_datadict(data, form.files, form.add_prefix(name))


def _cleaned(field: forms.Field, raw):
    try:
        return field.clean(raw)
    except ValidationError:
        return raw


def _shown(field: forms.Field, raw) -> str:
    """A posted value in the words the form shows it with."""
    if isinstance(field.widget, forms.CheckboxInput):
        return "ticked" if raw else "not ticked"
    values = raw if isinstance(raw, list | tuple) else [raw]
    values = [v for v in values if v not in (None, "")]
    if not values:
        return "nothing (left empty)"
    labels = {str(value): str(label) for value, label in getattr(field, "choices", [])}
    return ", ".join(labels.get(str(v), str(v)) for v in values)


def show_stored_values(
    form: forms.BaseForm, current: dict, seen: dict | None, *, version_field: str
) -> None:
    """Redraw a refused form with the values now stored (``current``, its version included),
    and say beside each field the user changed what they entered, so that saving again does
    not silently undo someone else's change.

    ``seen`` holds the values of the version the form was opened on, when the history has it:
    a field whose posted value equals it was not changed by this user and gets no note.
    """
    attempted = {name: _raw(form, form.data, name) for name in form.fields}
    stored_data = _as_data(form, current)
    seen_data = _as_data(form, seen) if seen is not None else None
    form.data = stored_data
    for name, field in form.fields.items():
        if name == version_field or name not in current:
            continue
        mine = _cleaned(field, attempted[name])
        if mine == _cleaned(field, _raw(form, stored_data, name)):
            continue
        if seen_data is not None and mine == _cleaned(field, _raw(form, seen_data, name)):
            continue
        form.add_error(name, f"You entered: {_shown(field, attempted[name])} (not saved).")


MISSING_VERSION = (
    "This form was sent without the version of the record it was opened on, so it cannot tell "
    "whether someone else has saved the record since. Reload the page and enter your changes "
    "again."
)


class VersionedForm(forms.Form):
    """A form that edits a stored record: it carries the version it was opened on, and a save
    from an older version is refused (``patients.concurrency``).

    Built with ``instance`` it edits that record: its initial values are the record's and the
    version must come back with the post. Without one (a form that creates), it has no version.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            kwargs["initial"] = {**self.initial_for(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is None:
            del self.fields["version"]

    @classmethod
    def initial_for(cls, instance) -> dict:
        """The form's values as stored on ``instance`` (field names are the model's)."""
        names = [name for name in cls.base_fields if hasattr(instance, name)]
        return {name: getattr(instance, name) for name in names}

    def clean(self):
        cleaned = super().clean()
        if "version" in self.fields and cleaned.get("version") is None:
            # A hidden field: its error is said once, above the form.
            self.errors.pop("version", None)
            raise ValidationError(MISSING_VERSION, code="missing_version")
        return cleaned

    def show_stored(self, instance, *, seen_version: int | None) -> None:
        """After a refused concurrent edit of ``instance`` (as now stored)."""
        past = version_as_of(instance, seen_version) if seen_version is not None else None
        show_stored_values(
            self,
            self.initial_for(instance),
            self.initial_for(past) if past is not None else None,
            version_field="version",
        )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("version") is None:
            data.pop("version", None)
        return data


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def clinicians():
    return (
        get_user_model()
        .objects.filter(groups__name=CLINICIAN, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


# Patients -------------------------------------------------------------------------------------


class PatientSearchForm(forms.Form):
    """The search of the patient list: MRN or name, or "family, given"."""

    q = forms.CharField(
        required=False,
        max_length=100,
        error_messages={"max_length": "Search for at most %(limit_value)d characters."},
    )


class PatientForm(VersionedForm):
    mrn = forms.CharField(
        label="MRN",
        max_length=32,
        validators=TEXT_SHOWN_AS_IS,
        help_text=model_help(Patient, "mrn"),
    )
    given_name = forms.CharField(max_length=100, validators=TEXT_SHOWN_AS_IS)
    family_name = forms.CharField(max_length=100, validators=TEXT_SHOWN_AS_IS)
    date_of_birth = date_field("Date of birth")
    profile = forms.ChoiceField(
        label="Monitoring profile",
        choices=Profile.choices,
        help_text=model_help(Patient, "profile"),
    )
    category = forms.ChoiceField(
        label="Pregnancy-potential category",
        choices=[("", "Not assigned yet"), *Category.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text=CATEGORY_HELP,
    )
    category_reason = forms.CharField(
        label="Reason for the category", max_length=300, required=False
    )
    responsible_clinician = ClinicianChoiceField(queryset=None, required=False)
    home_testing_permitted = forms.BooleanField(
        label=model_label(Patient, "home_testing_permitted"),
        required=False,
        help_text=(
            "US: the prescriber allows home pregnancy tests (and remote supervised tests) "
            "during and after treatment. Tests before the first dispense are always in a "
            "clinic or lab."
        ),
    )
    contraception_exempt = forms.BooleanField(
        label=model_label(Patient, "contraception_exempt"),
        required=False,
        help_text=model_help(Patient, "contraception_exempt"),
    )
    contraception_exempt_reason = forms.CharField(
        label="Documented reason for the exemption", max_length=300, required=False
    )
    previous_course_end = date_field(
        model_label(Patient, "previous_course_end"),
        required=False,
        help_text=model_help(Patient, "previous_course_end"),
    )

    def __init__(self, *args, with_category: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_clinician"].queryset = clinicians()
        if not with_category:
            del self.fields["category"]
            del self.fields["category_reason"]


class CategoryForm(VersionedForm):
    category = forms.ChoiceField(
        label="Pregnancy-potential category",
        choices=Category.choices,
        widget=forms.RadioSelect,
        help_text=CATEGORY_HELP,
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        required=False,
        help_text="e.g. confirmed menopause, tubal ligation (UK), clinical history.",
    )

    @classmethod
    def initial_for(cls, patient: Patient) -> dict:
        return {
            "category": patient.category,
            "reason": patient.category_reason,
            "version": patient.version,
        }


# Courses --------------------------------------------------------------------------------------


class CourseForm(forms.Form):
    start_is_planned = forms.BooleanField(
        label="Planned course (not started yet)",
        required=False,
        help_text="Tick when the first dispense has not happened: the start is then the "
        "planned first-dispense date and may be in the future.",
    )
    start = date_field(
        "Start (first dispense, or planned date)", help_text=model_help(Course, "start")
    )
    weight_kg = forms.DecimalField(label="Weight at start (kg)", decimal_places=1)
    target_mg_per_kg = forms.DecimalField(
        label="Cumulative target (mg/kg)", decimal_places=1, initial=150
    )
    cumulative_method = forms.ChoiceField(
        label="Cumulative dose method",
        choices=CumulativeMethod.choices,
        initial=CumulativeMethod.DAILY_WEIGHT,
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class CourseEditForm(VersionedForm):
    start = date_field("Start (first dispense, or planned date)")
    end = date_field("End (last dose)", required=False)
    weight_kg = forms.DecimalField(label="Weight at start (kg)", decimal_places=1)
    target_mg_per_kg = forms.DecimalField(label="Cumulative target (mg/kg)", decimal_places=1)
    cumulative_method = forms.ChoiceField(
        label="Cumulative dose method", choices=CumulativeMethod.choices
    )

    def __init__(self, *args, instance: Course, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if instance.is_open:
            # An open course ends through "Complete" or "Stop early".
            del self.fields["end"]


class CourseCompleteForm(VersionedForm):
    end = date_field("Date of the last dose")

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "status": "completed"}


class CourseStopForm(VersionedForm):
    end = date_field("Date of the last dose")
    stopped_reason = forms.CharField(
        label="Reason for stopping early",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "status": "stopped"}


class CourseCancelForm(VersionedForm):
    stopped_reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The planned course stays on record as stopped before it started.",
    )

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "status": "stopped"}


# Clinical records -----------------------------------------------------------------------------


class RecordForm(forms.Form):
    """A dated clinical record: ``date`` and ``notes`` plus the fields of its kind."""

    date = date_field()
    notes = notes_field()

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ConfirmationForm(RecordForm):
    kind = forms.ChoiceField(
        label="What was confirmed",
        choices=ConfirmationKind.choices,
        widget=forms.RadioSelect,
        help_text="Consent and the risk acknowledgement are signed before the first dispense; "
        "the programme confirmation is monthly (US).",
    )
    field_order = ["date", "kind", "notes"]


class ContraceptionForm(RecordForm):
    kind = forms.ChoiceField(choices=ContraceptionKind.choices, widget=forms.RadioSelect)
    methods = forms.MultipleChoiceField(
        choices=ContraceptionMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=CONTRACEPTION_HELP,
    )
    field_order = ["date", "kind", "methods", "notes"]


class PregnancyTestForm(RecordForm):
    date = date_field("Specimen date")
    result = forms.ChoiceField(choices=TestResult.choices, widget=forms.RadioSelect)
    setting = forms.ChoiceField(
        choices=TestSetting.choices,
        widget=forms.RadioSelect,
        help_text="Before the first dispense only clinic or laboratory tests count.",
    )
    specimen = forms.ChoiceField(
        label="Specimen type", choices=SpecimenType.choices, initial=SpecimenType.URINE
    )
    field_order = ["date", "result", "setting", "specimen", "notes"]


def analytes_with_loinc() -> list[tuple[str, str]]:
    return [(a.code, f"{a.label} (LOINC {' / '.join(a.codes)})") for a in ANALYTES.values()]


class LabResultForm(RecordForm):
    date = date_field("Collection date")
    analyte = forms.ChoiceField(
        choices=[("", "Choose an analyte"), *analytes_with_loinc()],
        widget=forms.Select(
            attrs={
                "data-allowed-units": json.dumps(
                    {code: list(a.allowed_units) for code, a in ANALYTES.items()}
                )
            }
        ),
    )
    value = forms.DecimalField(max_digits=9, decimal_places=3)
    unit = forms.ChoiceField(
        choices=[("", "Choose a unit"), *((u, u) for u in UNITS)],
        help_text=units_in_words() + ".",
    )
    uln = forms.DecimalField(
        label=model_label(LabResult, "uln"),
        max_digits=9,
        decimal_places=3,
        required=False,
        help_text=ULN_HELP,
    )
    field_order = ["date", "analyte", "value", "unit", "uln", "notes"]


class MoodScreenForm(RecordForm):
    instrument = forms.ChoiceField(
        choices=Instrument.choices,
        help_text="PHQ-9 (PHQ-A under 18) for the baseline; PHQ-2 is accepted for reviews.",
    )
    total = forms.IntegerField(label="Total score")
    item9 = forms.IntegerField(
        label=model_label(MoodScreen, "item9"), required=False, help_text=ITEM9_HELP
    )
    field_order = ["date", "instrument", "total", "item9", "notes"]


class SexualFunctionForm(RecordForm):
    concern = forms.BooleanField(
        label="Concern raised",
        required=False,
        help_text="Ask about sexual function at baseline and during treatment (UK).",
    )
    field_order = ["date", "concern", "notes"]


class DoseForm(RecordForm):
    date = date_field("From")
    mg_per_day = forms.DecimalField(
        label="Dose (mg/day)",
        decimal_places=1,
        help_text="Daily dose from this date on. The first one is dated on the course start.",
    )
    field_order = ["date", "mg_per_day", "notes"]


class WeightForm(RecordForm):
    kg = forms.DecimalField(label="Weight (kg)", decimal_places=1)
    field_order = ["date", "kg", "notes"]


class PrescriptionForm(RecordForm):
    supply_days = forms.IntegerField(label="Supply (days)", help_text=SUPPLY_HELP)
    mg_per_day = forms.DecimalField(label="Dose (mg/day)", decimal_places=1, required=False)
    field_order = ["date", "supply_days", "mg_per_day", "notes"]


class DispenseForm(RecordForm):
    supply_days = forms.IntegerField(label="Supply (days)", help_text=SUPPLY_HELP)
    field_order = ["date", "supply_days", "notes"]


class HoldResolutionForm(forms.Form):
    date = date_field()
    reason = forms.CharField(
        label="Clinical reason for lifting the hold",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class AlertReviewForm(forms.Form):
    date = date_field("Reviewed on")
    source = forms.ChoiceField(
        choices=AlertSource.choices,
        help_text="Reviews every open alert of this source raised on or before the date.",
    )
    analyte = forms.ChoiceField(
        label="Analyte (lab alerts)", choices=[("", "—"), *analyte_choices()], required=False
    )
    instrument = forms.ChoiceField(
        label="Instrument (mood alerts)",
        choices=[("", "—"), *Instrument.choices],
        required=False,
    )
    notes = notes_field("Review note: what was decided")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["note"] = data.pop("notes")
        return data


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why was this entered in error?",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The record stays visible, struck through, and is left out of every "
        "calculation. Nothing is deleted.",
    )


# Visits ---------------------------------------------------------------------------------------


def _boolean_choices(prefix: str, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [
        (f.name, str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:])
        for f in Visit._meta.fields
        if f.name.startswith(prefix) and f.name not in exclude
    ]


SIDE_EFFECTS = _boolean_choices("se_", exclude=("se_other",))
COUNSELLING = _boolean_choices("co_")


class VisitForm(forms.Form):
    date = date_field("Visit date")
    clinician = ClinicianChoiceField(queryset=None)
    iga = forms.IntegerField(label="IGA (0–4)", required=False, help_text=model_help(Visit, "iga"))
    inflammatory_lesions = forms.IntegerField(label="Inflammatory lesions", required=False)
    comedones = forms.IntegerField(required=False)
    side_effects = forms.MultipleChoiceField(
        label="Reported at this visit",
        choices=SIDE_EFFECTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    se_other = forms.CharField(label="Other side effects", max_length=300, required=False)
    counselling = forms.MultipleChoiceField(
        label="Given at this visit",
        choices=COUNSELLING,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = notes_field()
    # Optional parts, each saved as its own record of the visit.
    weight_kg = forms.DecimalField(label="Weight (kg)", decimal_places=1, required=False)
    dose_mg_per_day = forms.DecimalField(
        label="Dose from today (mg/day)",
        decimal_places=1,
        required=False,
        help_text="Only when the dose changes.",
    )
    pregnancy_test_result = forms.ChoiceField(
        label="Result",
        choices=[("", "Not done"), *TestResult.choices],
        required=False,
    )
    pregnancy_test_setting = forms.ChoiceField(
        label="Setting", choices=[("", "—"), *TestSetting.choices], required=False
    )
    pregnancy_test_specimen = forms.ChoiceField(
        label="Specimen type",
        choices=SpecimenType.choices,
        initial=SpecimenType.URINE,
        required=False,
    )
    contraception_methods = forms.MultipleChoiceField(
        label="Methods the patient uses now",
        choices=ContraceptionMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=CONTRACEPTION_HELP,
    )
    mood_instrument = forms.ChoiceField(
        label="Instrument",
        choices=[("", "Not done"), *Instrument.choices],
        required=False,
    )
    mood_total = forms.IntegerField(label="Total score", required=False)
    mood_item9 = forms.IntegerField(
        label="Item 9 (thoughts of self-harm)", required=False, help_text=ITEM9_HELP
    )
    rems_confirmation = forms.BooleanField(
        label="Monthly counselling and programme confirmation done",
        required=False,
        help_text="US: the prescriber's monthly confirmation in the programme.",
    )

    # Service error keys (``part-field``) that do not map onto ``part_field``.
    ERROR_ALIASES = {
        "confirmation-kind": "rems_confirmation",
        "dose-date": "dose_mg_per_day",
    }

    # Plain words for a part's choice left blank (the service lists the allowed codes).
    BLANK_CHOICE_MESSAGES = {
        "pregnancy_test_result": "Choose the result of the test.",
        "pregnancy_test_setting": "Choose where the test was done.",
        "mood_instrument": "Choose the instrument of the mood screen.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians()

    def add_error(self, field, error):
        cleaned = getattr(self, "cleaned_data", {})
        if field in self.BLANK_CHOICE_MESSAGES and field in cleaned and not cleaned[field]:
            error = self.BLANK_CHOICE_MESSAGES[field]
        super().add_error(field, error)

    def error_aliases(self, error: ValidationError) -> dict[str, str]:
        """``pregnancy_test-setting`` → ``pregnancy_test_setting`` and the aliases above."""
        keys = error.message_dict.keys() if hasattr(error, "error_dict") else []
        return {
            key: self.ERROR_ALIASES.get(key, key.replace("-", "_", 1)) for key in keys if "-" in key
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "date": data["date"],
            "clinician": data["clinician"],
            "iga": data["iga"],
            "inflammatory_lesions": data["inflammatory_lesions"],
            "comedones": data["comedones"],
            "se_other": data["se_other"],
            "notes": data["notes"],
            "weight_kg": data["weight_kg"],
            "mg_per_day": data["dose_mg_per_day"],
            "contraception_methods": data["contraception_methods"] or None,
            "rems_confirmation": data["rems_confirmation"],
        }
        kwargs.update({name: name in data["side_effects"] for name, _ in SIDE_EFFECTS})
        kwargs.update({name: name in data["counselling"] for name, _ in COUNSELLING})
        if data["pregnancy_test_result"] or data["pregnancy_test_setting"]:
            kwargs["pregnancy_test"] = {
                "result": data["pregnancy_test_result"],
                "setting": data["pregnancy_test_setting"],
                "specimen": data["pregnancy_test_specimen"] or SpecimenType.URINE,
            }
        mood_parts = (data["mood_instrument"], data["mood_total"], data["mood_item9"])
        if any(part not in (None, "") for part in mood_parts):
            kwargs["mood_screen"] = {
                "instrument": data["mood_instrument"],
                "total": data["mood_total"],
                "item9": data["mood_item9"],
            }
        return kwargs


def default_profile() -> str:
    return settings.CLINIC_DEFAULT_PROFILE
