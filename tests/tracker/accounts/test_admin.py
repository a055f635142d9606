"""The Django admin: clinic admins edit the schedules there and nothing else; users and groups
are for superusers, whose changes are in the account log too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from patients.roles import CLINICIAN
from tracker.accounts.models import AccountEvent
from tracker.models import MonitoringRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def carols(carol):
    """The clinic admin's browser, with the staff flag the demo admin used to have: it no
    longer opens anything by itself."""
    carol.is_staff = True
    carol.save()
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@clinic.example", "a long root password")


@pytest.fixture
def roots(root):
    client = Client()
    client.force_login(root)
    return client


def test_a_clinic_admin_cannot_make_anyone_a_superuser(carols, carol, alice):
    for user, was_staff in ((carol, True), (alice, False)):
        url = reverse("admin:auth_user_change", args=[user.pk])
        assert carols.get(url).status_code == 403
        data = {
            "username": user.username,
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
        }
        assert carols.post(url, data).status_code == 403
        user.refresh_from_db()
        assert not user.is_superuser
        assert user.is_staff is was_staff


def test_a_clinic_admin_cannot_set_a_password_or_add_users_or_groups_in_the_admin(
    carols, alice, bob
):
    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    new = {"password1": "a new long password", "password2": "a new long password"}
    assert carols.get(password).status_code == 403
    assert carols.post(password, new).status_code == 403
    alice.refresh_from_db()
    assert alice.check_password("correct horse battery")
    assert carols.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert carols.post(reverse("admin:auth_user_add"), {"username": "x"}).status_code == 403
    clinicians = Group.objects.get(name=CLINICIAN)
    group = reverse("admin:auth_group_change", args=[clinicians.pk])
    assert carols.post(group, {"name": CLINICIAN, "permissions": []}).status_code == 403
    assert carols.get(reverse("admin:app_list", args=["auth"])).status_code in (403, 404)


def test_a_clinic_admin_still_edits_the_schedules_without_the_staff_flag(carol):
    carols = Client()
    carols.force_login(carol)
    assert not carol.is_staff
    rule = MonitoringRule.objects.first()
    assert carols.get(reverse("admin:index")).status_code == 200
    assert (
        carols.get(reverse("admin:tracker_monitoringrule_change", args=[rule.pk])).status_code
        == 200
    )


def test_the_staff_flag_alone_opens_nothing(alice):
    alice.is_staff = True
    alice.save()
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("admin:index")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_the_admin_has_no_login_form_of_its_own(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_a_superusers_change_to_a_user_is_in_the_account_log(roots, root, bob):
    url = reverse("admin:auth_user_change", args=[bob.pk])
    form = roots.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    data.pop("password", None)
    data["groups"] = [g.pk for g in bob.groups.all()]
    data["last_name"] = "Renamed"
    data.update({"date_joined_0": bob.date_joined.date().isoformat(), "date_joined_1": "00:00:00"})
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = roots.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AccountEvent.objects.get(subject=bob)
    assert (event.actor, event.action) == (root, AccountEvent.Action.CHANGED_IN_ADMIN)
    assert "Last name" in event.detail


def test_a_superuser_setting_a_password_in_the_admin_is_in_the_account_log(roots, root, bob):
    url = reverse("admin:auth_user_password_change", args=[bob.pk])
    new = {"password1": "a new long password", "password2": "a new long password"}
    assert roots.post(url, new).status_code == 302
    event = AccountEvent.objects.get(subject=bob)
    assert event.actor == root
    assert "password" in event.detail.lower()


def test_accounts_are_never_deleted_in_the_admin(roots, bob):
    assert roots.get(reverse("admin:auth_user_delete", args=[bob.pk])).status_code == 403
