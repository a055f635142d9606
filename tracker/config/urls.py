from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from patients import urls as patient_urls
from tracker.accounts import login_views
from tracker.web import urls as web_urls
from tracker.web import views

# The patients' pages, and the patient page (with its monitoring) that tracker.web draws.
patient_pages = ([*patient_urls.urlpatterns, *web_urls.patient_urlpatterns], "patients")

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
    path("patients/", include(patient_pages)),
    path("monitoring/", include("tracker.web.urls")),
    path("lab-inbox/", include("tracker.interop.urls")),
    path("fhir/", include("tracker.interop.fhir_urls")),
    path("admin/", admin.site.urls),
]
