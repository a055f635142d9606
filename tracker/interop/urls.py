from django.urls import path

from tracker.interop import views

app_name = "interop"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/<int:inboundresult_pk>/", views.queue_item, name="queue_item"),
    path("queue/<int:inboundresult_pk>/match/", views.match, name="match"),
    path("queue/<int:inboundresult_pk>/map-code/", views.map_code, name="map_code"),
    path("queue/<int:inboundresult_pk>/reject/", views.reject, name="reject"),
    path("queue/<int:inboundresult_pk>/retry/", views.retry, name="retry"),
]
