"""Clinical record pages. Each view: check access, fetch or 404, validate a form, call one
service, put its errors back on the form (status 200, nothing saved) or redirect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from patients import forms, roles, services
from patients.models import (
    CLINICAL_RECORD_MODELS,
    OPEN_COURSE_STATUSES,
    ContraceptionMethod,
    Course,
    CourseStatus,
    DoseChange,
    Patient,
    Visit,
)
from tracker.charts import course_charts
from tracker.grid import course_grid
from tracker.monitoring import course_facts_from_records
from tracker.rulesets import current_ruleset
from tracker.selectors import course_monitoring_context

VIEW_PATIENT_DATA = roles.VIEW_PATIENT_DATA
RECORD_CLINICAL = "patients.record_clinical"
ENTER_LAB_RESULTS = "patients.enter_lab_results"
ASSIGN_CATEGORY = "patients.assign_category"
REVIEW_MONITORING = "patients.review_monitoring"

PATIENTS_PER_PAGE = 25
HISTORY_PER_PAGE = 50

# Every model shown on the timeline and in the change history, by its URL slug.
RECORD_MODELS = {m._meta.model_name: m for m in (Visit, *CLINICAL_RECORD_MODELS)}


@dataclass(frozen=True)
class RecordKind:
    title: str
    form: type[forms.forms.Form]
    service: Callable
    permission: str
    date_defaults_to_today: bool = True
    intro: str = ""


RECORD_KINDS: dict[str, RecordKind] = {
    "confirmation": RecordKind(
        "Consent or confirmation",
        forms.ConfirmationForm,
        services.confirmation_record,
        RECORD_CLINICAL,
    ),
    "contraception": RecordKind(
        "Contraception", forms.ContraceptionForm, services.contraception_record, RECORD_CLINICAL
    ),
    "pregnancy-test": RecordKind(
        "Pregnancy test",
        forms.PregnancyTestForm,
        services.pregnancy_test_record,
        RECORD_CLINICAL,
        date_defaults_to_today=False,
        intro="A positive result puts the course on hold until a clinician resolves it.",
    ),
    "lab-result": RecordKind(
        "Lab result",
        forms.LabResultForm,
        services.lab_result_record,
        ENTER_LAB_RESULTS,
        date_defaults_to_today=False,
        intro="Enter the result as reported, dated by the specimen collection date.",
    ),
    "mood-screen": RecordKind(
        "Mood screen", forms.MoodScreenForm, services.mood_screen_record, RECORD_CLINICAL
    ),
    "sexual-function": RecordKind(
        "Sexual function review",
        forms.SexualFunctionForm,
        services.sexual_function_record,
        RECORD_CLINICAL,
    ),
    "dose": RecordKind("Dose change", forms.DoseForm, services.dose_record, RECORD_CLINICAL),
    "weight": RecordKind("Weight", forms.WeightForm, services.weight_record, RECORD_CLINICAL),
    "prescription": RecordKind(
        "Prescription", forms.PrescriptionForm, services.prescription_record, RECORD_CLINICAL
    ),
    "dispense": RecordKind(
        "Dispense",
        forms.DispenseForm,
        services.dispense_record,
        RECORD_CLINICAL,
        intro="The first dispense of a planned course starts it on this date.",
    ),
    "hold-resolution": RecordKind(
        "Resolve course hold",
        forms.HoldResolutionForm,
        services.hold_resolve,
        REVIEW_MONITORING,
        intro="Lifts the hold that a positive pregnancy test put on the course. Audited.",
    ),
    "alert-review": RecordKind(
        "Alert review",
        forms.AlertReviewForm,
        services.alert_review_record,
        REVIEW_MONITORING,
        intro="Reviewing an alert records the decision; the alert itself is never deleted.",
    ),
}


def _patient_url(patient: Patient, course: Course | None = None) -> str:
    url = reverse("patients:detail", args=[patient.pk])
    if course is not None and not course.is_open:
        url += f"?course={course.pk}"
    return url


def _page_range(page):
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _course(pk: int, course_pk: int) -> Course:
    return get_object_or_404(Course.objects.select_related("patient"), pk=course_pk, patient_id=pk)


# Patients -------------------------------------------------------------------------------------


def _search(q: str) -> Q:
    """MRN or name, case-insensitive; "family, given" searches the two names separately."""
    if "," in q:
        family, given = (part.strip() for part in q.split(",", 1))
        return Q(family_name__icontains=family, given_name__icontains=given)
    condition = Q()
    for term in q.split():
        condition &= (
            Q(mrn__icontains=term) | Q(given_name__icontains=term) | Q(family_name__icontains=term)
        )
    return condition


@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    search = forms.PatientSearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    # The open course's status, else the latest course's.
    current_status = (
        Course.objects.filter(patient=OuterRef("pk"))
        .annotate(
            open_rank=Case(
                When(status__in=OPEN_COURSE_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_rank", "-start")
        .values("status")[:1]
    )
    patients = Patient.objects.select_related("responsible_clinician").annotate(
        course_status=Subquery(current_status)
    )
    if q:
        patients = patients.filter(_search(q))
    elif search.errors:
        patients = patients.none()  # a search that cannot be run finds nothing
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "patients/patient_list.html",
        {
            "page_obj": page,
            "page_range": _page_range(page),
            "q": q or request.GET.get("q", ""),
            "search_errors": search.errors.get("q"),
        },
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def patient_create(request: HttpRequest) -> HttpResponse:
    with_category = request.user.has_perm(ASSIGN_CATEGORY)
    form = forms.PatientForm(
        request.POST or None,
        with_category=with_category,
        initial={"profile": forms.default_profile()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Patient {patient.name} added.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "title": "New patient", "cancel_url": reverse("patients:list")},
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = forms.PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(patient=patient, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            patient.refresh_from_db()
            forms.add_service_errors(form, exc, instance=patient)
        else:
            messages.success(request, "Patient details saved.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "patient": patient,
            "title": "Edit patient details",
            "cancel_url": _patient_url(patient),
        },
    )


@permission_required(ASSIGN_CATEGORY, raise_exception=True)
def patient_category(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = forms.CategoryForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_assign_category(
                patient=patient, by=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            patient.refresh_from_db()
            forms.add_service_errors(form, exc, instance=patient)
        else:
            messages.success(request, f"Category set: {patient.get_category_display()}.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request,
        "patients/category_form.html",
        {"form": form, "patient": patient, "cancel_url": _patient_url(patient)},
    )


def _with_users(records: list) -> list:
    """Attach the users each record names (author, clinician, who marked it in error…), read
    in one query for all of them rather than joined into the query of every record kind."""
    user_model = get_user_model()
    links = {
        model: [
            field
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is user_model
        ]
        for model in {type(record) for record in records}
    }
    ids = {
        getattr(record, field.attname)
        for record in records
        for field in links[type(record)]
        if getattr(record, field.attname) is not None
    }
    users = user_model.objects.in_bulk(ids) if ids else {}
    for record in records:
        for field in links[type(record)]:
            user_id = getattr(record, field.attname)
            if user_id is not None:
                setattr(record, field.name, users.get(user_id))
    return records


def _course_records(course: Course) -> list:
    """Every visit and record of the course (entered in error too), with their users."""
    records: list = list(course.visits.order_by())
    for model in CLINICAL_RECORD_MODELS:
        records += model.objects.filter(course=course).order_by()
    return _with_users(records)


def _timeline(records: list) -> list[dict]:
    """The course's visits and records, newest first."""
    records = list(records)
    # Newest first; the records made at a visit follow the visit's own row.
    visit_times = {r.pk: r.created_at for r in records if isinstance(r, Visit)}

    def order(record):
        is_visit = isinstance(record, Visit)
        anchor = record.created_at if is_visit else visit_times.get(record.visit_id)
        return (record.date, anchor or record.created_at, is_visit, record.created_at)

    records.sort(key=order, reverse=True)
    return [
        {
            "record": record,
            "slug": record._meta.model_name,
            "label": record.kind_label,
            "summary": record.summary(),
            "is_visit": isinstance(record, Visit),
        }
        for record in records
    ]


def _dose_now(course: Course, today: date) -> DoseChange | None:
    return (
        DoseChange.objects.filter(course=course, entered_in_error=False, date__lte=today)
        .order_by("-date", "-pk")
        .first()
    )


@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(
        Patient.objects.select_related("responsible_clinician", "category_assigned_by"), pk=pk
    )
    courses = list(patient.courses.all())
    if "course" in request.GET:
        course = next((c for c in courses if str(c.pk) == request.GET["course"]), None)
        if course is None:
            raise Http404("No such course for this patient.")
    else:
        course = next((c for c in courses if c.is_open), courses[0] if courses else None)
    context = {
        "patient": patient,
        "courses": courses,
        "course": course,
        "has_open_course": any(c.is_open for c in courses),
    }
    if course is not None:
        today = timezone.localdate()
        records = _course_records(course)  # read once for the timeline, the grid and the charts
        facts = course_facts_from_records(course, records)
        ruleset = current_ruleset()
        context.update(
            add_links=[
                (slug, spec.title)
                for slug, spec in RECORD_KINDS.items()
                if request.user.has_perm(spec.permission)
                and (slug != "hold-resolution" or course.status == CourseStatus.ON_HOLD)
            ],
            monitoring=course_monitoring_context(course),
            grid=course_grid(course, today=today, facts=facts, ruleset=ruleset),
            charts=course_charts(course, today=today, facts=facts, ruleset=ruleset),
            timeline=_timeline(records),
            dose_now=_dose_now(course, today),
        )
    return render(request, "patients/patient_detail.html", context)


# Courses --------------------------------------------------------------------------------------


def _course_form_page(request, *, form, patient, course, title, submit, intro="") -> HttpResponse:
    return render(
        request,
        "patients/record_form.html",
        {
            "form": form,
            "patient": patient,
            "course": course,
            "title": title,
            "submit_label": submit,
            "intro": intro,
            "cancel_url": _patient_url(patient, course),
        },
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def course_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    form = forms.CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                patient=patient, by=request.user, **form.service_kwargs()
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{course} recorded.")
            return redirect(_patient_url(patient, course))
    return _course_form_page(
        request,
        form=form,
        patient=patient,
        course=None,
        title="New course",
        submit="Save course",
        intro="One planned, active or on-hold course per patient at a time.",
    )


def _course_change(request, pk, course_pk, form_class, *, title, submit, done, intro=""):
    course = _course(pk, course_pk)
    form = form_class(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(course=course, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            course.refresh_from_db()
            forms.add_service_errors(form, exc, instance=course)
        else:
            messages.success(request, done)
            return redirect(_patient_url(course.patient, course))
    return _course_form_page(
        request,
        form=form,
        patient=course.patient,
        course=course,
        title=title,
        submit=submit,
        intro=intro,
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def course_edit(request: HttpRequest, pk: int, course_pk: int) -> HttpResponse:
    return _course_change(
        request,
        pk,
        course_pk,
        forms.CourseEditForm,
        title="Edit course",
        submit="Save course",
        done="Course saved.",
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def course_complete(request: HttpRequest, pk: int, course_pk: int) -> HttpResponse:
    return _course_change(
        request,
        pk,
        course_pk,
        forms.CourseCompleteForm,
        title="Complete course",
        submit="Complete course",
        done="Course completed.",
        intro="Post-course monitoring (e.g. the pregnancy test a month after) starts from "
        "the last dose.",
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def course_stop(request: HttpRequest, pk: int, course_pk: int) -> HttpResponse:
    return _course_change(
        request,
        pk,
        course_pk,
        forms.CourseStopForm,
        title="Stop course early",
        submit="Stop course",
        done="Course stopped early.",
        intro="Post-course monitoring still applies after an early stop.",
    )


@permission_required(RECORD_CLINICAL, raise_exception=True)
def course_cancel(request: HttpRequest, pk: int, course_pk: int) -> HttpResponse:
    if not _course(pk, course_pk).start_is_planned:
        raise Http404("Only a planned course can be cancelled.")
    return _course_change(
        request,
        pk,
        course_pk,
        forms.CourseCancelForm,
        title="Cancel planned course",
        submit="Cancel course",
        done="Planned course cancelled.",
        intro="Before the first dispense a planned course can be cancelled. It is kept, stopped.",
    )


# Clinical records -----------------------------------------------------------------------------


def record_add(request: HttpRequest, pk: int, course_pk: int, kind: str) -> HttpResponse:
    spec = RECORD_KINDS.get(kind)
    if spec is None:
        raise Http404("Unknown record type.")
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    course = _course(pk, course_pk)
    initial = {"date": timezone.localdate()} if spec.date_defaults_to_today else {}
    # Links may prefill fields, e.g. ?source=lab&analyte=alt from an open alert.
    initial.update({k: v for k, v in request.GET.items() if k in spec.form.base_fields})
    form = spec.form(request.POST or None, initial=initial)
    status_before = course.status
    if request.method == "POST" and form.is_valid():
        try:
            spec.service(course=course, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{spec.title} recorded.")
            _announce_status_change(request, course, status_before)
            return redirect(_patient_url(course.patient, course))
    return _course_form_page(
        request,
        form=form,
        patient=course.patient,
        course=course,
        title=spec.title,
        submit="Save",
        intro=spec.intro,
    )


def _announce_status_change(request: HttpRequest, course: Course, status_before: str) -> None:
    course.refresh_from_db(fields=["status"])
    if course.status != status_before:
        level = messages.WARNING if course.status == CourseStatus.ON_HOLD else messages.INFO
        messages.add_message(request, level, f"Course status is now {course.get_status_display()}.")


@permission_required(RECORD_CLINICAL, raise_exception=True)
def visit_add(request: HttpRequest, pk: int, course_pk: int) -> HttpResponse:
    course = _course(pk, course_pk)
    initial = {"date": timezone.localdate()}
    if forms.clinicians().filter(pk=request.user.pk).exists():
        initial["clinician"] = request.user.pk
    form = forms.VisitForm(request.POST or None, initial=initial)
    status_before = course.status
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(course=course, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc, aliases=form.error_aliases(exc))
        else:
            messages.success(request, "Visit recorded.")
            _announce_status_change(request, course, status_before)
            return redirect(_patient_url(course.patient, course))
    return render(
        request,
        "patients/visit_form.html",
        {
            "form": form,
            "patient": course.patient,
            "course": course,
            "cancel_url": _patient_url(course.patient, course),
        },
    )


def mark_entered_in_error(request: HttpRequest, pk: int, kind: str, record_pk: int):
    model = RECORD_MODELS.get(kind)
    if model is None:
        raise Http404("Unknown record type.")
    # Taking a record out of every calculation is a clinical decision: clinicians only, lab
    # results included (staff enter outside results, a clinician corrects them).
    if not request.user.has_perm(RECORD_CLINICAL):
        raise PermissionDenied
    record = get_object_or_404(
        model.objects.select_related("course__patient"), pk=record_pk, course__patient_id=pk
    )
    form = forms.EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_mark_entered_in_error(
                record=record, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            record.refresh_from_db()
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"{record.kind_label} marked entered in error.")
            return redirect(_patient_url(record.course.patient, record.course))
    # Records made at a visit are separate records: marking the visit leaves them as they are.
    visit_parts = (
        [part for m in CLINICAL_RECORD_MODELS for part in m.objects.filter(visit=record)]
        if isinstance(record, Visit)
        else []
    )
    return render(
        request,
        "patients/entered_in_error_form.html",
        {
            "form": form,
            "record": record,
            "visit_parts": visit_parts,
            "patient": record.course.patient,
            "course": record.course,
            "cancel_url": _patient_url(record.course.patient, record.course),
        },
    )


# Change history -------------------------------------------------------------------------------


def _history_rows(patient: Patient) -> list[tuple]:
    """(historical record, previous version or None, model) for the patient and every record
    of their courses, newest first."""
    course_ids = list(patient.courses.values_list("pk", flat=True))
    sources = [
        (Patient, Patient.history.filter(id=patient.pk)),
        (Course, Course.history.filter(id__in=course_ids)),
    ]
    sources += [(m, m.history.filter(course_id__in=course_ids)) for m in RECORD_MODELS.values()]
    rows = []
    for model, queryset in sources:
        previous = {}
        for version in queryset.select_related("history_user", "created_by").order_by(
            "history_date", "history_id"
        ):
            rows.append((version, previous.get(version.id), model))
            previous[version.id] = version
    rows.sort(key=lambda row: (row[0].history_date, row[0].history_id), reverse=True)
    return rows


def _display_value(model, field_name: str, value, users: dict) -> str:
    field = model._meta.get_field(field_name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field.is_relation:
        if field.related_model is get_user_model():
            return users.get(value, f"user #{value}")
        return f"{field.related_model._meta.verbose_name} #{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if field_name == "methods":
        labels = dict(ContraceptionMethod.choices)
        return ", ".join(labels.get(code, code) for code in value)
    return str(value)


def _user_names(rows) -> dict[int, str]:
    """Names of the users that the changed fields of these history rows point at."""
    user_model = get_user_model()
    ids = set()
    for version, previous, model in rows:
        for f in model._meta.fields:
            if f.is_relation and f.related_model is user_model:
                ids.update(getattr(v, f.attname) for v in (version, previous) if v is not None)
    users = user_model.objects.filter(pk__in=ids - {None})
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


def _history_entry(version, previous, model, users: dict) -> dict:
    instance = version.instance
    changes = []
    if previous is not None and version.history_type == "~":
        for change in version.diff_against(previous).changes:
            changes.append(
                {
                    "field": str(model._meta.get_field(change.field).verbose_name),
                    "old": _display_value(model, change.field, change.old, users),
                    "new": _display_value(model, change.field, change.new, users),
                }
            )
    who = version.history_user
    if who is None and version.history_type == "+":
        # Written outside a web request (import, command): the creator the service recorded.
        who = version.created_by
    return {
        "when": version.history_date,
        "who": who,
        "action": version.get_history_type_display(),
        "model": str(model._meta.verbose_name).capitalize(),
        "record": str(instance),
        "summary": instance.summary() if hasattr(instance, "summary") else "",
        "changes": changes,
    }


@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_history(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    page = Paginator(_history_rows(patient), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    users = _user_names(page.object_list)
    entries = [_history_entry(*row, users) for row in page.object_list]
    return render(
        request,
        "patients/patient_history.html",
        {"patient": patient, "page_obj": page, "page_range": _page_range(page), "entries": entries},
    )
