"""The patient page: the patient, one course's record and its monitoring panel, grid and charts."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from patients import selectors as records
from patients.access import shows_patient_data
from patients.record_kinds import add_links
from patients.roles import VIEW_PATIENT_DATA
from tracker.monitoring.facts import course_facts_from_records
from tracker.monitoring.rulesets import current_rules
from tracker.web.charts import course_charts
from tracker.web.grid import course_grid
from tracker.web.panel import course_monitoring_context


@shows_patient_data(patient="pk")
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_object_or_404(records.patient_with_people(), pk=pk)
    courses = list(patient.courses.all())
    course = records.shown_course(courses, request.GET.get("course"))
    if course is None and "course" in request.GET:
        raise Http404("No such course for this patient.")
    context = {
        "patient": patient,
        "courses": courses,
        "course": course,
        "has_open_course": any(c.is_open for c in courses),
    }
    if course is not None:
        context.update(course_context(request.user, course))
    return render(request, "patients/patient_detail.html", context)


def course_context(user, course) -> dict:
    """What the patient page shows of one course: its records are read once, for the timeline,
    the monitoring panel, the grid and the charts."""
    today = timezone.localdate()
    course_records = records.course_records(course)
    facts = course_facts_from_records(course, course_records)
    rules = current_rules()
    return {
        "add_links": add_links(user, course),
        "monitoring": course_monitoring_context(course, today=today, rules=rules, facts=facts),
        "grid": course_grid(course, today=today, facts=facts, ruleset=rules.ruleset),
        "charts": course_charts(course, today=today, facts=facts, ruleset=rules.ruleset),
        "timeline": records.timeline(course_records),
        "dose_now": records.dose_now(course, today),
    }
