from django.urls import path

from tracker.interop import views

app_name = "fhir"

urlpatterns = [
    path("Patient/<int:pk>/$everything", views.patient_everything, name="patient_everything"),
]
