"""Reads of patients, courses and clinical records for the pages that show them."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from patients.models import (
    CLINICAL_RECORD_MODELS,
    OPEN_COURSE_STATUSES,
    ContraceptionMethod,
    Course,
    DoseChange,
    LabResult,
    MoodScreen,
    Patient,
    PregnancyTest,
    Visit,
    WeightMeasurement,
)

# Every model shown on the timeline and in the change history, by its URL slug.
RECORD_MODELS = {m._meta.model_name: m for m in (Visit, *CLINICAL_RECORD_MODELS)}


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


def patient_rows(q: str = "") -> QuerySet[Patient]:
    """Patients for the list, with their responsible clinician and ``course_status`` (the open
    course's status, else the latest course's); ``q`` searches MRN and names."""
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
    return patients.filter(_search(q)) if q else patients


def patient_with_people() -> QuerySet[Patient]:
    """Patients with the users their page names (responsible clinician, who set the category)."""
    return Patient.objects.select_related("responsible_clinician", "category_assigned_by")


def courses_with_patient() -> QuerySet[Course]:
    return Course.objects.select_related("patient")


def shown_course(courses: list[Course], chosen: str | None) -> Course | None:
    """The course a patient page shows: the one ``?course=`` names (None if it names none of
    the patient's), else the open course, else the latest."""
    if chosen is not None:
        return next((c for c in courses if str(c.pk) == chosen), None)
    return next((c for c in courses if c.is_open), courses[0] if courses else None)


# Records of a course ----------------------------------------------------------------------------


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


def course_records(course: Course) -> list:
    """Every visit and record of the course (entered in error too), with their users."""
    records: list = list(course.visits.order_by())
    for model in CLINICAL_RECORD_MODELS:
        records += model.objects.filter(course=course).order_by()
    return _with_users(records)


def timeline(records: list) -> list[dict]:
    """The course's visits and records, newest first; the records made at a visit follow the
    visit's own row."""
    visit_times = {r.pk: r.created_at for r in records if isinstance(r, Visit)}

    def order(record):
        is_visit = isinstance(record, Visit)
        anchor = record.created_at if is_visit else visit_times.get(record.visit_id)
        return (record.date, anchor or record.created_at, is_visit, record.created_at)

    return [
        {
            "record": record,
            "slug": record._meta.model_name,
            "label": record.kind_label,
            "summary": record.summary(),
            "is_visit": isinstance(record, Visit),
        }
        for record in sorted(records, key=order, reverse=True)
    ]


def dose_now(course: Course, today: date) -> DoseChange | None:
    return (
        DoseChange.objects.filter(course=course, entered_in_error=False, date__lte=today)
        .order_by("-date", "-pk")
        .first()
    )


def visit_parts(record) -> list:
    """The records made at a visit (none for any other record)."""
    if not isinstance(record, Visit):
        return []
    return [part for m in CLINICAL_RECORD_MODELS for part in m.objects.filter(visit=record)]


def latest_results(course: Course) -> dict:
    """The latest valid lab result of each analyte, and the latest pregnancy test, mood screen,
    weight and dose of the course (records entered in error left out)."""
    valid = {"course": course, "entered_in_error": False}
    labs: dict[str, LabResult] = {}
    for result in LabResult.objects.filter(**valid).order_by("analyte", "-date", "-pk"):
        labs.setdefault(result.analyte, result)

    def latest(model):
        return model.objects.filter(**valid).order_by("-date", "-pk").first()

    return {
        "labs": sorted(labs.values(), key=lambda r: r.get_analyte_display()),
        "pregnancy_test": latest(PregnancyTest),
        "mood_screen": latest(MoodScreen),
        "weight": latest(WeightMeasurement),
        "dose": latest(DoseChange),
    }


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


def _what(model, instance) -> str:
    """What a history row is about: a record's kind, or the patient or course."""
    label = getattr(instance, "kind_label", None) or str(model._meta.verbose_name)
    return label[:1].upper() + label[1:]


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
        "model": _what(model, instance),
        "record": str(instance),
        "summary": instance.summary() if hasattr(instance, "summary") else "",
        "changes": changes,
    }


def history_page(patient: Patient, number, *, size: int) -> tuple[Page, list[dict]]:
    """One page of the patient's change history, and its entries in words."""
    page = Paginator(_history_rows(patient), size).get_page(number)
    users = _user_names(page.object_list)
    return page, [_history_entry(*row, users) for row in page.object_list]
