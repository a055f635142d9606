from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    """The worklist is the home page; until then, the patient list."""
    return redirect("patients:list")


@login_not_required
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/about.html")


def schedules(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/schedules.html", {"rules": []})
