"""Names and MRNs are shown as typed: no bidirectional-control or invisible characters, and
an MRN (or a name) has something to see. The checks are on the model, so every path uses them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients import services
from patients.models import Patient
from tests.html_forms import page_form

pytestmark = pytest.mark.django_db

HIDDEN = {
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "pop directional formatting": "\u202c",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "Arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
    "soft hyphen": "\u00ad",
    "tab": "\t",
    "line separator": "\u2028",
    "private use": "\ue000",
}
FIELDS = ["mrn", "given_name", "family_name"]


def open_create_form(client) -> dict:
    data = page_form(client.get(reverse("patients:create")))
    data.update(mrn="N-100", given_name="Noa", family_name="Name", date_of_birth="1999-09-09")
    return data


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_a_hidden_character_in_a_name_or_mrn_is_refused(client, alice, field, name):
    client.force_login(alice)
    data = open_create_form(client)
    data[field] = f"{data[field][:2]}{HIDDEN[name]}{data[field][2:]}"
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("mrn", ["\u0301\u0301", "\u200b", "\u3000", "\u202e\u202c"])
def test_an_mrn_has_a_visible_character(client, alice, mrn):
    client.force_login(alice)
    data = {**open_create_form(client), "mrn": mrn}
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["mrn"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("given", "family"),
    [("José", "Nguyễn"), ("Siobhán", "O'Brien-Ní Bhriain"), ("محمد", "العلي"), ("美咲", "佐藤")],
)
def test_names_in_any_script_are_kept(client, alice, given, family):
    client.force_login(alice)
    data = {**open_create_form(client), "given_name": given, "family_name": family}
    assert client.post(reverse("patients:create"), data).status_code == 302
    assert Patient.objects.get().name == f"{given} {family}"


def test_an_edit_is_checked_too(client, alice):
    patient = services.patient_create(
        mrn="N-1",
        given_name="Ana",
        family_name="Lee",
        date_of_birth=dt.date(2000, 1, 1),
        profile="UK",
        by=alice,
    )
    client.force_login(alice)
    url = reverse("patients:edit", args=[patient.pk])
    data = {**page_form(client.get(url)), "family_name": "Lee\u202e"}
    assert client.post(url, data).context["form"].errors["family_name"]
    patient.refresh_from_db()
    assert patient.family_name == "Lee"


def test_the_service_refuses_them_whatever_calls_it(alice):
    with pytest.raises(ValidationError) as refused:
        services.patient_create(
            mrn="\u200b",
            given_name="A\u202eB",
            family_name="Lee",
            date_of_birth=dt.date(2000, 1, 1),
            profile="UK",
            by=alice,
        )
    assert {"mrn", "given_name"} <= set(refused.value.message_dict)
