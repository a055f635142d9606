"""Account changes by clinic admins: each allowed one is written to the account log with who
and when; each refused one changes nothing."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from patients.roles import CLINIC_ADMIN, CLINICIAN, STAFF
from tests.two_factor import authenticator
from tracker.accounts import services
from tracker.accounts.models import AccountEvent

pytestmark = pytest.mark.django_db

Action = AccountEvent.Action


def new_user(carol, **overrides):
    fields = {
        "username": "dana",
        "first_name": "Dana",
        "last_name": "Reyes",
        "email": "dana@clinic.example",
        "role": CLINICIAN,
    }
    return services.user_create(by=carol, address="192.0.2.5", **{**fields, **overrides})


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def events(user) -> list[tuple]:
    return list(
        AccountEvent.objects.filter(subject=user)
        .order_by("pk")
        .values_list("actor__username", "action", "detail")
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_a_new_user_has_one_role_no_password_and_is_emailed_a_link(carol, mailoutbox, settings):
    settings.SITE_URL = "https://isotrack.clinic.example"
    dana = new_user(carol)
    assert roles_of(dana) == {CLINICIAN}
    assert not dana.has_usable_password()
    assert (dana.is_staff, dana.is_superuser, dana.user_permissions.count()) == (False, False, 0)
    (message,) = mailoutbox
    assert message.to == ["dana@clinic.example"]
    assert link_in(message).startswith("https://isotrack.clinic.example/accounts/reset/")
    assert events(dana) == [
        ("carol", Action.CREATED, f"Role: {CLINICIAN}"),
        ("carol", Action.RESET_SENT, "To dana@clinic.example"),
    ]
    assert AccountEvent.objects.filter(subject=dana).first().address == "192.0.2.5"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "Superuser"}, "role"),
        ({"username": "carol"}, "username"),
        ({"username": "Carol"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "CAROL@clinic.example"}, "email"),  # carol's, in other letters
        ({"first_name": "  "}, "first_name"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_creates_nothing(carol, mailoutbox, overrides, field):
    before = User.objects.count()
    with pytest.raises(ValidationError) as refused:
        new_user(carol, **overrides)
    assert field in refused.value.message_dict
    assert User.objects.count() == before
    assert not AccountEvent.objects.exists()
    assert not mailoutbox


def test_someone_who_is_not_a_clinic_admin_cannot_create_accounts(alice):
    with pytest.raises(PermissionDenied):
        new_user(alice)


def test_a_role_change_replaces_the_role_and_is_logged(carol):
    dana = new_user(carol)
    services.user_change_role(by=carol, user=dana, role=STAFF)
    assert roles_of(dana) == {STAFF}
    assert events(dana)[-1] == ("carol", Action.ROLE_CHANGED, f"{CLINICIAN} → {STAFF}")


def test_a_clinic_admin_cannot_change_their_own_role(carol):
    with pytest.raises(ValidationError, match="your own role"):
        services.user_change_role(by=carol, user=carol, role=CLINICIAN)
    assert roles_of(carol) == {CLINIC_ADMIN}


def test_nobody_acts_on_a_superuser_here(carol, mailoutbox):
    root = User.objects.create_superuser("root", "root@clinic.example", "x" * 12)
    calls = [
        lambda: services.user_change_role(by=carol, user=root, role=STAFF),
        lambda: services.user_deactivate(by=carol, user=root),
        lambda: services.password_reset_send(by=carol, user=root),
        lambda: services.lockout_lift(by=carol, user=root),
        lambda: services.two_factor_reset(by=carol, user=root),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match="superuser"):
            call()
    root.refresh_from_db()
    assert root.is_active
    assert root.is_superuser
    assert not mailoutbox
    assert not AccountEvent.objects.exists()


def test_deactivating_ends_the_session_at_once_and_reactivating_restores_it(carol, bob):
    bobs = Client()
    bobs.force_login(bob)
    services.user_deactivate(by=carol, user=bob)
    response = bobs.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    services.user_reactivate(by=carol, user=bob)
    bob.refresh_from_db()
    assert bob.is_active
    assert [e[1] for e in events(bob)] == [Action.DEACTIVATED, Action.REACTIVATED]


def test_a_clinic_admin_cannot_deactivate_themselves(carol):
    with pytest.raises(ValidationError, match="your own account"):
        services.user_deactivate(by=carol, user=carol)
    carol.refresh_from_db()
    assert carol.is_active


def test_the_emailed_link_lets_the_user_set_their_own_password_once(carol, mailoutbox):
    dana = new_user(carol)
    link = link_in(mailoutbox[0]).removeprefix("http://127.0.0.1:8000")
    browser = Client()
    form_page = browser.get(link, follow=True)
    assert "Set your password" in form_page.text
    new = {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"}
    response = browser.post(form_page.redirect_chain[-1][0], new)
    assert response.status_code == 302
    dana.refresh_from_db()
    assert dana.check_password("a long new passphrase")
    assert events(dana)[-1] == ("dana", Action.PASSWORD_SET, "")
    # The same link again: refused.
    assert "This link does not work" in Client().get(link, follow=True).text


def test_a_reset_link_is_refused_for_a_deactivated_account(carol, bob, mailoutbox):
    services.user_deactivate(by=carol, user=bob)
    with pytest.raises(ValidationError, match="Reactivate"):
        services.password_reset_send(by=carol, user=bob)
    assert not mailoutbox


def test_no_link_is_sent_without_a_usable_site_url_in_production(carol, bob, settings, mailoutbox):
    settings.DEBUG = False
    settings.TESTING = False
    settings.SITE_URL = "http://localhost:8000"
    with pytest.raises(ValidationError, match="SITE_URL"):
        services.password_reset_send(by=carol, user=bob)
    assert not mailoutbox
    assert not AccountEvent.objects.exists()


def test_an_email_that_cannot_be_sent_records_nothing(carol, monkeypatch):
    class Broken:
        def send_messages(self, messages):
            raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(services, "mailers", type("Mailers", (), {"default": Broken()}))
    with pytest.raises(ValidationError, match="could not be sent"):
        new_user(carol)
    assert not User.objects.filter(username="dana").exists()
    assert not AccountEvent.objects.exists()


def test_lifting_a_lockout_forgets_the_failures_from_every_address(carol, bob, settings):
    for address in ("192.0.2.1", "192.0.2.2"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            Client().post(
                reverse("login"), {"username": "bob", "password": "wrong"}, REMOTE_ADDR=address
            )
    assert AccessAttempt.objects.filter(username="bob").count() == 2
    assert services.lockout_lift(by=carol, user=bob) == 2
    assert not AccessAttempt.objects.filter(username="bob").exists()
    assert events(bob)[-1][1] == Action.LOCKOUT_LIFTED
    with pytest.raises(ValidationError, match="no failed logins"):
        services.lockout_lift(by=carol, user=bob)


def test_resetting_two_factor_removes_the_devices(carol, bob):
    authenticator(bob)
    services.two_factor_reset(by=carol, user=bob)
    assert not bob.totpdevice_set.exists()
    assert events(bob)[-1][1] == Action.TWO_FACTOR_RESET


def test_the_clinic_admin_role_holds_no_user_or_group_permissions():
    perms = Group.objects.get(name=CLINIC_ADMIN).permissions.values_list(
        "content_type__app_label", "codename"
    )
    assert not [p for p in perms if p[0] == "auth"]
    assert ("accounts", "manage_users") in set(perms)


def test_a_clinic_admin_has_no_way_to_a_superuser_or_staff_flag(carol):
    # Through every account page the flags stay off (the forms have no such field, and the
    # services never set them): posted anyway, they are ignored.
    client = Client()
    client.force_login(carol)
    client.post(
        reverse("accounts:user_create"),
        {
            "username": "eve",
            "first_name": "Eve",
            "last_name": "Ng",
            "email": "eve@clinic.example",
            "role": CLINIC_ADMIN,
            "is_superuser": "on",
            "is_staff": "on",
            "user_permissions": "1",
        },
    )
    eve = User.objects.get(username="eve")
    assert (eve.is_superuser, eve.is_staff, eve.user_permissions.count()) == (False, False, 0)
