from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tracker.selectors import schedule_rows


def home(request: HttpRequest) -> HttpResponse:
    """The worklist is the home page; until then, the patient list."""
    return redirect("patients:list")


@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/about.html")


def schedules(request: HttpRequest) -> HttpResponse:
    """Every rule of a profile in plain words, with its source."""
    profiles = ["US", "UK", "EU"]
    profile = request.GET.get("profile") or settings.CLINIC_DEFAULT_PROFILE
    if profile not in profiles:
        profile = settings.CLINIC_DEFAULT_PROFILE
    context = {"profile": profile, "profiles": profiles, **schedule_rows(profile)}
    context["can_edit"] = request.user.has_perm("tracker.change_monitoringrule")
    return render(request, "tracker/schedules.html", context)
