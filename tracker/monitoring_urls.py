from django.urls import path

from tracker import views

app_name = "tracker"

urlpatterns = [
    path("schedules/", views.schedules, name="schedules"),
]
