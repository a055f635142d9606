import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from patients.access import EXPORT, LIST, shows_patient_data
from patients.models import Course
from patients.roles import VIEW_PATIENT_DATA
from tracker.accounts.redirects import relative_path
from tracker.monitoring import review as review_actions
from tracker.monitoring.selectors import (
    access_log_entries,
    schedule_rows,
    worklist_counts,
    worklist_entries,
)
from tracker.web import forms
from tracker.web.filters import WorklistFilter, form_controls
from tracker.web.panel import review_context
from tracker.web.worklist import CSV_COLUMNS, csv_rows, worklist_page

WORKLIST_PAGE_SIZE = 50


@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/about.html")


def _worklist_filter(request: HttpRequest) -> WorklistFilter:
    return WorklistFilter(
        request.GET, queryset=worklist_entries(), request=request, today=timezone.localdate()
    )


@shows_patient_data(kind=LIST)
@transaction.non_atomic_requests  # reads only: no transaction to open and commit
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The worklist: everything overdue, due soon or abnormal across the clinic. Someone who
    may not see patients (a clinic admin) gets links to their own work instead."""
    if not request.user.has_perm(VIEW_PATIENT_DATA):
        return render(request, "tracker/start.html")
    filterset = _worklist_filter(request)
    partial = bool(request.htmx)  # the results alone: no counts, no filter form
    narrows = filterset.narrows()
    counts = None if partial and narrows else worklist_counts(filterset.today)
    page = worklist_page(
        filterset,
        request.GET.get("page"),
        size=WORKLIST_PAGE_SIZE,
        # Unfiltered, the page shows every entry the counts were taken over.
        total=None if narrows else counts["total"],
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "filter_controls": None if partial else form_controls(filterset.form),
        "page": page,
        "query": query.urlencode(),
        "today": filterset.today,
        "counts": counts,
        "filter_errors": filterset.form.errors,
    }
    template = "tracker/_worklist_results.html" if partial else "tracker/worklist.html"
    return render(request, template, context)


@shows_patient_data(kind=EXPORT)
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def worklist_csv(request: HttpRequest) -> HttpResponse:
    """Exactly the rows of the current filtered view, in its order."""
    filterset = _worklist_filter(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="isotrack-worklist-{filterset.today.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for row in csv_rows(filterset.qs, filterset.today):
        writer.writerow(row)
        rows += 1
    response.exported_rows = rows  # for the access log
    return response


@require_safe
def schedules(request: HttpRequest) -> HttpResponse:
    """Every rule of a profile in plain words, with its source."""
    profiles = ["US", "UK", "EU"]
    profile = request.GET.get("profile") or settings.CLINIC_DEFAULT_PROFILE
    if profile not in profiles:
        profile = settings.CLINIC_DEFAULT_PROFILE
    context = {"profile": profile, "profiles": profiles, **schedule_rows(profile)}
    context["can_edit"] = request.user.has_perm("tracker.change_monitoringrule")
    return render(request, "tracker/schedules.html", context)


@shows_patient_data(course="course_id")
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def review(request: HttpRequest, course_id: int, key: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.select_related("patient"), pk=course_id)
    context = {**review_context(course, key, today=timezone.localdate()), "forms": _review_forms()}
    return render(request, "tracker/review.html", context)


def _review_forms(**bound) -> dict:
    blank = {
        "acknowledge": forms.AcknowledgeForm(),
        "snooze": forms.SnoozeForm(),
        "waive": forms.WaiveForm(),
        "outreach": forms.OutreachForm(),
    }
    return {**blank, **bound}


def _act(request, course_id: int, key: str, form_name: str, form_class, call):
    course = get_object_or_404(Course.objects.select_related("patient"), pk=course_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(course, form.cleaned_data)
        except ValidationError as error:
            for field, errs in getattr(error, "message_dict", {None: error.messages}).items():
                for message in errs:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Saved.")
            next_url = relative_path(request.POST.get("next"))
            if next_url:
                return redirect(next_url)
            return redirect("tracker:review", course_id=course_id, key=key)
    context = {
        **review_context(course, key, today=timezone.localdate()),
        "forms": _review_forms(**{form_name: form}),
    }
    return render(request, "tracker/review.html", context)


def _review_action(name: str, form_class, service, permission: str):
    """A POST-only view that validates ``form_class`` and passes its fields to ``service``."""

    @shows_patient_data(course="course_id")
    @require_POST
    @permission_required(permission, raise_exception=True)
    def view(request: HttpRequest, course_id: int, key: str) -> HttpResponse:
        return _act(
            request,
            course_id,
            key,
            name,
            form_class,
            lambda course, data: service(course=course, key=key, by=request.user, **data),
        )

    view.__name__ = view.__qualname__ = name
    return view


REVIEW = "patients.review_monitoring"
acknowledge = _review_action(
    "acknowledge", forms.AcknowledgeForm, review_actions.review_acknowledge, REVIEW
)
snooze = _review_action("snooze", forms.SnoozeForm, review_actions.review_snooze, REVIEW)
waive = _review_action("waive", forms.WaiveForm, review_actions.review_waive, REVIEW)
outreach = _review_action(
    "outreach", forms.OutreachForm, review_actions.outreach_record, "patients.record_outreach"
)


@shows_patient_data(kind=LIST)
@require_safe
@permission_required("tracker.view_accesslog", raise_exception=True)
def access_log(request: HttpRequest) -> HttpResponse:
    """Clinic admins read who viewed which patient's record, per patient or per user."""
    mrn = request.GET.get("mrn", "").strip()
    username = request.GET.get("user", "").strip()
    refused = request.GET.get("refused") == "1"
    entries = access_log_entries(mrn=mrn, username=username, refused=refused)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "mrn": mrn,
        "username": username,
        "refused": refused,
        "query": query.urlencode(),
    }
    return render(request, "tracker/access_log.html", context)
