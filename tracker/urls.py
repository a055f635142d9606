from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import views
from tracker.accounts import login_views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("accounts/login/", login_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", login_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("tracker.accounts.urls")),
    path("patients/", include("patients.urls")),
    path("monitoring/", include("tracker.monitoring_urls")),
    path("lab-inbox/", include("tracker.interop.urls")),
    path("fhir/", include("tracker.interop.fhir_urls")),
    path("admin/", admin.site.urls),
]
