"""The lab inbox: staff see what waits and why, match a patient, map a code, reject with a
reason; forms posted as the page renders them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import LabResult
from tests.html_forms import find_form, form_data, forms_in
from tests.interop.conftest import receive, sample
from tracker.interop.models import InboundMessage, InboundResult, QueueReason, ResultState

pytestmark = pytest.mark.django_db


def post_form(client, page, *, action: str, **changes):
    """Post the form of ``page`` whose action is ``action``, as rendered, with ``changes``."""
    form = next(f for f in forms_in(page.content.decode()) if f["action"] == action)
    data = form_data(form["fields"])
    data.update(changes)
    return client.post(action, data)


def item_url(result) -> str:
    return reverse("interop:queue_item", args=[result.pk])


def test_the_inbox_lists_what_waits_with_the_reason_in_clinical_words(client, bob, olu):
    receive(sample("nhs_pathology_mmol_l.hl7"))
    client.force_login(bob)
    page = client.get(reverse("interop:queue")).content.decode()
    assert "2 results waiting." in page
    assert "Test code not known" in page
    assert "Unit not known" in page
    assert "BERG, OLU (MRN UK2002)" in page
    assert "4 Nov 2025" in page  # the specimen date as a clinician reads it
    assert "unknown_code" not in page.replace('value="unknown_code"', "")


def test_the_inbox_filters_by_reason_lab_and_search(client, bob, olu):
    receive(sample("nhs_pathology_mmol_l.hl7"))
    receive(sample("quest_lipids_mg_dl.hl7"))  # no patient M1001 here
    client.force_login(bob)
    url = reverse("interop:queue")
    assert "4 results waiting." in client.get(url, {"reason": "no_patient"}).content.decode()
    assert "1 result waiting." in client.get(url, {"reason": "unknown_unit"}).content.decode()
    assert "2 results waiting." in client.get(url, {"sender": "RVL PATHOLOGY"}).content.decode()
    assert "4 results waiting." in client.get(url, {"q": "smith"}).content.decode()
    # An unknown reason is a field error, not a server error.
    bad = client.get(url, {"reason": "nonsense"})
    assert bad.status_code == 200
    assert "Select a valid choice" in bad.content.decode()


def test_the_inbox_is_paginated_with_a_fixed_number_of_queries(client, bob):
    base = sample("quest_lipids_mg_dl.hl7")
    receive(base)
    client.force_login(bob)
    url = reverse("interop:queue")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(1, 9):
        receive(base.replace("Q20251103153200412", f"Q-{number}"))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert "36 results waiting." in page
    assert 'aria-label="Pages"' in page


def test_staff_find_and_match_the_patient_and_the_results_are_filed(client, bob, jane):
    receive(sample("quest_lipids_mg_dl.hl7").replace("M1001^^^SKINCLINIC^MR", "1001^^^X^MR"))
    result = InboundResult.objects.order_by("sequence").first()
    client.force_login(bob)
    search = client.get(item_url(result), {"q": "smith"})
    assert "No patient has MRN 1001." in search.content.decode()
    response = post_form(client, search, action=reverse("interop:match", args=[result.pk]))
    assert response.status_code == 302
    assert {r.state for r in InboundResult.objects.all()} == {ResultState.IMPORTED}
    assert LabResult.objects.filter(course__patient=jane, created_by=bob).count() == 4
    shown = client.get(response["Location"]).content.decode()
    assert "Filed on the record of" in shown


def test_staff_map_a_code_from_the_page(client, bob, jane):
    receive(sample("labcorp_liver_2_3.hl7"))
    result = InboundResult.objects.get(queue_reason=QueueReason.UNKNOWN_CODE)
    client.force_login(bob)
    page = client.get(item_url(result))
    action = reverse("interop:map_code", args=[result.pk])
    empty = post_form(client, page, action=action)
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    assert InboundResult.objects.get(pk=result.pk).state == ResultState.QUEUED
    post_form(client, page, action=action, target="ggt")
    assert LabResult.objects.filter(analyte="ggt", course__patient=jane).exists()


def test_rejecting_needs_a_reason_and_keeps_it(client, bob, jane):
    receive(sample("labcorp_liver_2_3.hl7"))
    result = InboundResult.objects.get(queue_reason=QueueReason.UNKNOWN_CODE)
    client.force_login(bob)
    page = client.get(item_url(result))
    action = reverse("interop:reject", args=[result.pk])
    refused = post_form(client, page, action=action)
    assert refused.status_code == 200
    assert InboundResult.objects.get(pk=result.pk).state == ResultState.QUEUED
    post_form(client, page, action=action, reason="Entered by hand from the paper report")
    result.refresh_from_db()
    assert (result.state, result.reject_reason, result.resolved_by) == (
        ResultState.REJECTED,
        "Entered by hand from the paper report",
        bob,
    )
    assert "Rejected by" in client.get(item_url(result)).content.decode()


def test_processing_again_files_a_result_once_its_course_exists(client, bob, alice):
    from patients import services as records

    receive(sample("quest_hcg_positive.hl7"))
    result = InboundResult.objects.get()
    assert result.queue_reason == QueueReason.NO_PATIENT
    patient = records.patient_create(
        mrn="M1001",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=InboundMessage.objects.get().patient_date_of_birth,
        profile="US",
        by=alice,
    )
    records.course_create(patient=patient, start=result.specimen_date, weight_kg=60, by=alice)
    client.force_login(bob)
    page = client.get(item_url(result))
    post_form(client, page, action=reverse("interop:retry", args=[result.pk]))
    result.refresh_from_db()
    assert result.state == ResultState.IMPORTED
    assert result.pregnancy_test.course.status == "on_hold"
    assert InboundMessage.objects.get().patient == patient


def test_an_action_on_a_result_no_longer_waiting_says_so(client, bob, jane):
    receive(sample("labcorp_liver_2_3.hl7"))
    result = InboundResult.objects.get(queue_reason=QueueReason.UNKNOWN_CODE)
    client.force_login(bob)
    page = client.get(item_url(result))
    action = reverse("interop:reject", args=[result.pk])
    post_form(client, page, action=action, reason="First")
    second = post_form(client, page, action=action, reason="Second")
    assert second.status_code == 200
    assert "no longer waiting" in second.content.decode()
    result.refresh_from_db()
    assert result.reject_reason == "First"


def test_messages_that_could_not_be_read_are_listed_for_staff(client, bob):
    receive(sample("quest_lipids_mg_dl.hl7").replace("PID|", "ZID|"))
    client.force_login(bob)
    page = client.get(reverse("interop:queue")).content.decode()
    assert "Messages that could not be read (1)" in page
    assert "QUESTLAB, message Q20251103153200412: The message has no PID segment." in page


def test_clinic_admins_do_not_see_the_inbox(client, carol, olu):
    receive(sample("nhs_pathology_mmol_l.hl7"))
    client.force_login(carol)
    assert client.get(reverse("interop:queue")).status_code == 403
    result = InboundResult.objects.filter(state=ResultState.QUEUED).first()
    assert client.get(item_url(result)).status_code == 403


def test_the_item_page_shows_the_raw_message_escaped(client, bob, db):
    text = sample("quest_lipids_mg_dl.hl7").replace("SMITH^JANE", "<b>SMITH</b>^JANE")
    receive(text)
    client.force_login(bob)
    result = InboundResult.objects.first()
    page = client.get(item_url(result)).content.decode()
    assert "&lt;b&gt;SMITH&lt;/b&gt;" in page
    assert "<b>SMITH</b>" not in page
    assert find_form(client.get(item_url(result)), containing="reason")
