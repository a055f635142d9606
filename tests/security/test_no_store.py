"""No page or file with patient data is kept by a browser or a proxy: every answer of every
URL of the site (found by the walker of ``tests/test_access.py``) says ``no-store``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.urls import reverse

from tests import factories
from tests.test_access import CASES, Case, World, _build_world, _ids


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world(factories.clinician(username="store-clinician"))
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_answer_is_sent_with_no_store(case: Case, client, world):
    url = case.url(world)
    anonymous = client.get(url)
    assert "no-store" in anonymous.headers.get("Cache-Control", ""), f"{url} (anonymous)"
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(url)
    assert "no-store" in response.headers.get("Cache-Control", ""), url


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "tracker:worklist_csv", "patients:list"])
def test_the_worklist_its_export_and_the_patient_list_are_served_with_no_store(client, bob, name):
    client.force_login(bob)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
