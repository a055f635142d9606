"""The printable course summary: one page with everything monitored on a course."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from patients.access import shows_patient_data
from patients.models import Course
from patients.roles import VIEW_PATIENT_DATA
from patients.selectors import latest_results
from tracker.web.charts import course_charts
from tracker.web.grid import course_grid
from tracker.web.panel import course_monitoring_context


@shows_patient_data(course="course_id")
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def course_summary(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(
        Course.objects.select_related("patient", "patient__responsible_clinician"), pk=course_id
    )
    today = timezone.localdate()
    context = {
        "course": course,
        "patient": course.patient,
        "m": course_monitoring_context(course, today=today),
        "grid": course_grid(course, today=today),
        "charts": course_charts(course, today=today),
        "latest": latest_results(course),
        "printed_at": timezone.localtime(),
    }
    return render(request, "tracker/course_summary.html", context)
