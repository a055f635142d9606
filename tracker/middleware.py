"""Record every view of a patient's record in the access log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from tracker.models import AccessLog

# URL names whose pages show one patient's record, and the URL argument that names it.
PATIENT_PAGES = {"patients": "pk"}
COURSE_PAGES = {"tracker:review", "tracker:course_summary"}


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 and request.user.is_authenticated:
            patient_id = self._patient_id(request)
            if patient_id is not None:
                AccessLog.objects.create(
                    user=request.user,
                    patient_id=patient_id,
                    path=request.get_full_path()[:300],
                    method=request.method,
                )
        return response

    @staticmethod
    def _patient_id(request: HttpRequest) -> int | None:
        match = request.resolver_match
        if match is None:
            return None
        if match.namespace in PATIENT_PAGES and PATIENT_PAGES[match.namespace] in match.kwargs:
            return int(match.kwargs[PATIENT_PAGES[match.namespace]])
        if match.view_name in COURSE_PAGES and "course_id" in match.kwargs:
            from patients.models import Course

            return (
                Course.objects.filter(pk=match.kwargs["course_id"])
                .values_list("patient_id", flat=True)
                .first()
            )
        return None
