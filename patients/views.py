from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patients.models import Patient


def patient_list(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/patient_list.html", {"patients": Patient.objects.all()[:50]})
