from django.urls import path

from tracker.web import views
from tracker.web.course_summary import course_summary
from tracker.web.patient_page import patient_detail

# Added to the "patients" namespace (tracker/config/urls.py): /patients/<pk>/.
patient_urlpatterns = [path("<int:pk>/", patient_detail, name="detail")]

app_name = "tracker"

urlpatterns = [
    path("schedules/", views.schedules, name="schedules"),
    path("access-log/", views.access_log, name="access_log"),
    path("worklist.csv", views.worklist_csv, name="worklist_csv"),
    path("courses/<int:course_id>/review/<str:key>/", views.review, name="review"),
    path(
        "courses/<int:course_id>/review/<str:key>/acknowledge/",
        views.acknowledge,
        name="acknowledge",
    ),
    path("courses/<int:course_id>/review/<str:key>/snooze/", views.snooze, name="snooze"),
    path("courses/<int:course_id>/review/<str:key>/waive/", views.waive, name="waive"),
    path("courses/<int:course_id>/review/<str:key>/outreach/", views.outreach, name="outreach"),
    path("courses/<int:course_id>/summary/", course_summary, name="course_summary"),
]
