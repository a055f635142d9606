"""The clinic admins' account pages, and what a clinic admin no longer sees (patients)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from patients.roles import CLINIC_ADMIN, CLINICIAN, STAFF
from tests import factories
from tests.factories import CourseFactory, PatientFactory
from tracker.accounts import services
from tracker.accounts.models import AccountEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(carol):
    client = Client()
    client.force_login(carol)
    return client


def detail(user) -> str:
    return reverse("accounts:user_detail", args=[user.pk])


def test_the_user_list_shows_role_status_two_factor_and_lockout(admin_client, bob, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "bob", "password": "wrong"})
    response = admin_client.get(reverse("accounts:user_list"))
    rows = {u.username: u for u in response.context["page_obj"]}
    assert {"bob", "carol"} <= set(rows)
    assert response.context["locked"] == {"bob"}
    assert rows["carol"].two_factor  # clinic admins have it (force_login made one)
    html = response.text
    assert "Locked out" in html
    assert STAFF in html


def test_the_user_list_is_searched_by_name_or_username(admin_client, alice, bob):
    alice.first_name, alice.last_name = "Alice", "Moreau"
    alice.save()
    response = admin_client.get(reverse("accounts:user_list"), {"q": "moreau"})
    assert [u.username for u in response.context["page_obj"]] == ["alice"]


def test_the_user_list_is_paginated(admin_client):
    for n in range(30):
        factories.staff(username=f"staff{n:02d}")
    first = admin_client.get(reverse("accounts:user_list"))
    assert len(first.context["page_obj"]) == 25
    second = admin_client.get(reverse("accounts:user_list"), {"page": 2})
    assert second.context["page_obj"].number == 2


def test_creating_a_user_from_the_form(admin_client, mailoutbox):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "dana",
            "first_name": "Dana",
            "last_name": "Reyes",
            "email": "dana@clinic.example",
            "role": STAFF,
        },
    )
    dana = User.objects.get(username="dana")
    assert response["Location"] == detail(dana)
    assert len(mailoutbox) == 1


def test_a_taken_username_is_refused_next_to_the_field(admin_client, bob):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "bob",
            "first_name": "B",
            "last_name": "B",
            "email": "other@clinic.example",
            "role": STAFF,
        },
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username="bob").count() == 1


def test_changing_a_role_from_the_account_page(admin_client, bob):
    response = admin_client.post(reverse("accounts:user_role", args=[bob.pk]), {"role": CLINICIAN})
    assert response["Location"] == detail(bob)
    assert set(bob.groups.values_list("name", flat=True)) == {CLINICIAN}


def test_an_unknown_role_is_refused_next_to_the_field(admin_client, bob):
    response = admin_client.post(
        reverse("accounts:user_role", args=[bob.pk]), {"role": "Superuser"}
    )
    assert response.status_code == 200
    assert "role" in response.context["role_form"].errors
    assert set(bob.groups.values_list("name", flat=True)) == {STAFF}


def test_the_own_account_page_offers_no_role_change_or_deactivation(admin_client, carol):
    html = admin_client.get(detail(carol)).text
    assert "You cannot change your own role" in html
    assert reverse("accounts:user_deactivate", args=[carol.pk]) not in html
    # Posted anyway: refused with the reason, nothing changed.
    response = admin_client.post(reverse("accounts:user_role", args=[carol.pk]), {"role": STAFF})
    assert response.status_code == 200
    assert "your own role" in response.text
    response = admin_client.post(reverse("accounts:user_deactivate", args=[carol.pk]))
    assert "your own account" in response.text
    carol.refresh_from_db()
    assert carol.is_active
    assert set(carol.groups.values_list("name", flat=True)) == {CLINIC_ADMIN}


def test_a_refused_action_shows_its_reason_on_the_account_page(admin_client, bob):
    response = admin_client.post(reverse("accounts:user_reactivate", args=[bob.pk]))
    assert response.status_code == 200
    assert "already active" in response.text
    assert not AccountEvent.objects.exists()


def test_sending_a_password_link_and_lifting_a_lockout(admin_client, bob, mailoutbox, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("login"), {"username": "bob", "password": "wrong"})
    admin_client.post(reverse("accounts:user_password_link", args=[bob.pk]))
    admin_client.post(reverse("accounts:user_unlock", args=[bob.pk]))
    assert mailoutbox[0].to == [bob.email]
    assert not AccessAttempt.objects.exists()
    assert (
        Client()
        .post(reverse("login"), {"username": "bob", "password": "correct horse battery"})
        .status_code
        == 302
    )


def test_the_account_page_never_shows_a_password_hash(admin_client, bob):
    html = admin_client.get(detail(bob)).text
    assert bob.password not in html
    assert bob.password.split("$")[-1] not in html


def test_account_changes_are_listed_in_the_log_paginated_and_filtered(admin_client, carol, bob):
    for _ in range(3):
        services.user_deactivate(by=carol, user=bob)
        services.user_reactivate(by=carol, user=bob)
    response = admin_client.get(reverse("accounts:events"), {"user": "bob"})
    assert len(response.context["page_obj"]) == 6
    assert "Deactivated" in response.text
    assert reverse("tracker:access_log") in response.text  # the tab back to record views
    assert reverse("accounts:events") in admin_client.get(reverse("tracker:access_log")).text


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_only_clinic_admins_manage_accounts(client, request, user):
    victim = factories.staff(username="victim")
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:events")).status_code == 403
    assert client.post(reverse("accounts:user_deactivate", args=[victim.pk])).status_code == 403
    victim.refresh_from_db()
    assert victim.is_active


# Least privilege: a clinic admin does not see patients --------------------------------------------


@pytest.fixture
def course(alice):
    return CourseFactory(patient=PatientFactory(responsible_clinician=alice))


def patient_pages(course) -> list[str]:
    p = course.patient_id
    return [
        reverse("patients:list"),
        reverse("patients:detail", args=[p]),
        reverse("patients:history", args=[p]),
        reverse("tracker:worklist_csv"),
        reverse("tracker:course_summary", args=[course.pk]),
        reverse("tracker:review", args=[course.pk, "US-R1"]),
    ]


def test_a_clinic_admin_is_refused_every_patient_page(admin_client, course):
    for url in patient_pages(course):
        assert admin_client.get(url).status_code == 403, url


def test_a_clinic_admin_who_is_also_a_clinician_sees_patients(carol, course):
    carol.groups.add(Group.objects.get(name=CLINICIAN))
    client = Client()
    client.force_login(carol)
    for url in patient_pages(course)[:4]:
        assert client.get(url).status_code == 200, url


def test_the_home_page_of_a_clinic_admin_leads_to_their_work(admin_client):
    response = admin_client.get(reverse("home"))
    assert response.status_code == 200
    assert "tracker/start.html" in [t.name for t in response.templates]
    html = response.text
    for name in ("accounts:user_list", "tracker:schedules", "tracker:access_log"):
        assert f'href="{reverse(name)}"' in html
    # The navigation offers no worklist or patients.
    assert f'href="{reverse("patients:list")}"' not in html
    assert ">Worklist<" not in html


def test_the_home_page_of_someone_without_a_role_says_so(client, mallory):
    client.force_login(mallory)
    assert "has no role yet" in client.get(reverse("home")).text


def test_the_navigation_shows_each_role_its_own_pages(client, bob):
    client.force_login(bob)
    html = client.get(reverse("home")).text
    assert f'href="{reverse("patients:list")}"' in html
    assert f'href="{reverse("accounts:user_list")}"' not in html
