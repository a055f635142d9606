from django.urls import path

from patients import views

# The patient page itself ("patients:detail") shows monitoring: tracker.web adds it to this
# namespace (tracker/config/urls.py).
app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/category/", views.patient_category, name="category"),
    path("<int:pk>/history/", views.patient_history, name="history"),
    path("<int:pk>/courses/new/", views.course_create, name="course_create"),
    path("<int:pk>/courses/<int:course_pk>/edit/", views.course_edit, name="course_edit"),
    path(
        "<int:pk>/courses/<int:course_pk>/complete/",
        views.course_complete,
        name="course_complete",
    ),
    path("<int:pk>/courses/<int:course_pk>/stop/", views.course_stop, name="course_stop"),
    path("<int:pk>/courses/<int:course_pk>/cancel/", views.course_cancel, name="course_cancel"),
    path("<int:pk>/courses/<int:course_pk>/visit/", views.visit_add, name="visit_add"),
    path(
        "<int:pk>/courses/<int:course_pk>/add/<slug:kind>/",
        views.record_add,
        name="record_add",
    ),
    path(
        "<int:pk>/records/<slug:kind>/<int:record_pk>/entered-in-error/",
        views.mark_entered_in_error,
        name="mark_error",
    ),
]
