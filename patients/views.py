"""Clinical record pages. Each view: check access, fetch or 404, validate a form, call one
service, put its errors back on the form (status 200, nothing saved) or redirect.

The patient page itself (records with their monitoring) is drawn by ``tracker.web``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from patients import forms, roles, selectors, services
from patients.access import LIST, shows_patient_data
from patients.models import Course, CourseStatus, Patient
from patients.record_kinds import RECORD_CLINICAL, RECORD_KINDS

VIEW_PATIENT_DATA = roles.VIEW_PATIENT_DATA
ASSIGN_CATEGORY = "patients.assign_category"

PATIENTS_PER_PAGE = 25
HISTORY_PER_PAGE = 50


def _patient_url(patient: Patient, course: Course | None = None) -> str:
    url = reverse("patients:detail", args=[patient.pk])
    if course is not None and not course.is_open:
        url += f"?course={course.pk}"
    return url


def _page_range(page):
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


def _course(pk: int, course_pk: int) -> Course:
    return get_object_or_404(selectors.courses_with_patient(), pk=course_pk, patient_id=pk)


# Patients -------------------------------------------------------------------------------------


@shows_patient_data(kind=LIST)
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_list(request: HttpRequest) -> HttpResponse:
    search = forms.PatientSearchForm(request.GET)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    patients = selectors.patient_rows(q)
    if search.errors:
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
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


@shows_patient_data(patient="pk")
def mark_entered_in_error(request: HttpRequest, pk: int, kind: str, record_pk: int):
    model = selectors.RECORD_MODELS.get(kind)
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
    return render(
        request,
        "patients/entered_in_error_form.html",
        {
            "form": form,
            "record": record,
            # Records made at a visit are separate: marking the visit leaves them as they are.
            "visit_parts": selectors.visit_parts(record),
            "patient": record.course.patient,
            "course": record.course,
            "cancel_url": _patient_url(record.course.patient, record.course),
        },
    )


# Change history -------------------------------------------------------------------------------


@shows_patient_data(patient="pk")
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_history(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=pk)
    page, entries = selectors.history_page(patient, request.GET.get("page"), size=HISTORY_PER_PAGE)
    return render(
        request,
        "patients/patient_history.html",
        {"patient": patient, "page_obj": page, "page_range": _page_range(page), "entries": entries},
    )
