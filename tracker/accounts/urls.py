from django.urls import path

from tracker.accounts import login_views, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    # Clinic admins
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/changes/", views.account_events, name="events"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/role/", views.user_role, name="user_role"),
    path("users/<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path(
        "users/<int:user_id>/password-link/",
        views.user_password_link,
        name="user_password_link",
    ),
    path("users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path(
        "users/<int:user_id>/reset-two-factor/",
        views.user_reset_two_factor,
        name="user_reset_two_factor",
    ),
    # Every user
    path("accounts/two-factor/", two_factor_views.overview, name="two_factor"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="recovery_codes",
    ),
    # The emailed link to set a password
    path(
        "accounts/reset/<uidb64>/<token>/",
        login_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        login_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
