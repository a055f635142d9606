"""Received results go through the same service as typed ones, or to the queue with a reason:
nothing guessed, nothing dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from patients import services as records
from patients.models import CourseStatus, LabResult, PregnancyTest
from tests.interop.conftest import receive, sample
from tracker.interop import services
from tracker.interop.models import (
    CodeMapping,
    InboundMessage,
    InboundResult,
    MessageStatus,
    QueueReason,
    ResultState,
)

pytestmark = pytest.mark.django_db


def states(control_id: str) -> list[tuple[str, str]]:
    return list(
        InboundResult.objects.filter(message__control_id=control_id)
        .order_by("sequence")
        .values_list("state", "queue_reason")
    )


def test_a_matched_panel_is_filed_as_lab_results_with_alerts_and_the_message_kept(jane):
    receipt = receive(sample("quest_lipids_mg_dl.hl7"))
    assert receipt.code == "AA"
    message = InboundMessage.objects.get()
    assert message.raw == sample("quest_lipids_mg_dl.hl7")
    assert (message.sender, message.status, message.patient) == (
        "QUESTLAB",
        MessageStatus.PROCESSED,
        jane,
    )
    labs = LabResult.objects.filter(course__patient=jane).order_by("pk")
    assert [(lab.analyte, lab.value, lab.unit, lab.date) for lab in labs] == [
        ("triglycerides", Decimal("560"), "mg/dL", dt.date(2025, 11, 3)),
        ("total_cholesterol", Decimal("245"), "mg/dL", dt.date(2025, 11, 3)),
        ("ldl", Decimal("150"), "mg/dL", dt.date(2025, 11, 3)),
        ("hdl", Decimal("48"), "mg/dL", dt.date(2025, 11, 3)),
    ]
    assert labs[0].source == "QUESTLAB, message Q20251103153200412, result 1"
    assert labs[3].notes == "Fasting specimen & lipemic: result confirmed on dilution."
    # Triglycerides 560 mg/dL opens a high alert, as a typed result does.
    course = jane.courses.get()
    assert course.alerts.filter(analyte="triglycerides", level="high", is_open=True).exists()


def test_mmol_per_litre_results_are_converted_and_unknown_units_and_codes_wait(olu):
    receive(sample("nhs_pathology_mmol_l.hl7"))
    triglycerides = LabResult.objects.get(course__patient=olu, analyte="triglycerides")
    assert (triglycerides.value, triglycerides.unit) == (Decimal("2.1"), "mmol/L")
    assert triglycerides.canonical_value == Decimal("185.9970")  # 2.1 x 88.57 mg/dL
    assert triglycerides.loinc == "14927-8"
    alt = LabResult.objects.get(course__patient=olu, analyte="alt")
    assert (alt.unit, alt.uln) == ("U/L", Decimal("40"))  # IU/L, the lab's own ULN
    assert states("WP2511040915120007") == [
        ("imported", ""),
        ("imported", ""),
        ("queued", QueueReason.UNKNOWN_UNIT),  # HDL in "mmol"
        ("imported", ""),
        ("queued", QueueReason.UNKNOWN_CODE),  # the lab's own GGT code
    ]


def test_the_same_message_twice_creates_nothing_new_and_is_answered_the_same(jane):
    first = receive(sample("quest_lipids_mg_dl.hl7"))
    again = receive(sample("quest_lipids_mg_dl.hl7"))
    assert (again.code, again.message_id) == ("AA", first.message_id)
    assert InboundMessage.objects.count() == 1
    assert InboundResult.objects.count() == 4
    assert LabResult.objects.count() == 4


def test_processing_a_message_again_files_nothing_twice(jane):
    receipt = receive(sample("quest_lipids_mg_dl.hl7"))
    services.message_process(message_id=receipt.message_id)
    assert LabResult.objects.count() == 4


def test_a_corrected_result_marks_the_earlier_value_entered_in_error_and_links_it(jane):
    receive(sample("quest_lipids_mg_dl.hl7"))
    receive(sample("quest_lipids_corrected.hl7"))
    old, new = LabResult.objects.filter(analyte="triglycerides").order_by("pk")
    assert old.entered_in_error
    assert old.error_reason == "Corrected by QUESTLAB: message Q20251104080000001, result 1."
    assert (new.value, new.entered_in_error) == (Decimal("210"), False)
    assert "corrected result" in new.source
    correction = InboundResult.objects.get(lab_result=new)
    assert correction.supersedes.lab_result == old
    assert correction.supersedes.state == ResultState.SUPERSEDED
    # The alert of the wrong value closes with it: the monitoring reads the corrected one.
    course = jane.courses.get()
    assert not course.alerts.filter(analyte="triglycerides", level="high", is_open=True).exists()


def test_a_cancelled_result_withdraws_the_earlier_value_and_files_nothing(jane):
    receive(sample("quest_lipids_mg_dl.hl7"))
    receive(sample("quest_cholesterol_cancelled.hl7"))
    cholesterol = LabResult.objects.get(analyte="total_cholesterol")
    assert cholesterol.entered_in_error
    assert cholesterol.error_reason.startswith("Cancelled: no result by QUESTLAB")
    assert states("Q20251104090000002") == [("cancelled", "")]
    assert LabResult.objects.filter(entered_in_error=False).count() == 3


def test_a_positive_hcg_puts_the_course_on_hold_as_a_typed_test_does(jane):
    receive(sample("quest_hcg_positive.hl7"))
    test = PregnancyTest.objects.get()
    assert (test.result, test.setting, test.specimen, test.date) == (
        "positive",
        "lab",
        "urine",
        dt.date(2025, 11, 6),
    )
    course = jane.courses.get()
    assert course.status == CourseStatus.ON_HOLD
    assert course.alerts.filter(source="pregnancy_test", level="critical", is_open=True).exists()


def test_a_negative_hcg_in_words_is_filed_as_negative(jane):
    text = (
        sample("quest_hcg_positive.hl7")
        .replace("|CWE|", "|ST|")
        .replace("10828004^Positive^SCT", "NEG")
    )
    receive(text)
    assert PregnancyTest.objects.get().result == "negative"
    assert jane.courses.get().status == CourseStatus.ACTIVE


@pytest.mark.parametrize(
    ("value", "code"),
    [("EQUIVOCAL", "2106-3"), ("45", "21198-7")],
    ids=["equivocal", "quantitative"],
)
def test_an_hcg_without_a_clear_positive_or_negative_waits_for_a_clinician(jane, value, code):
    text = (
        sample("quest_hcg_positive.hl7")
        .replace("|CWE|2106-3", f"|ST|{code}")
        .replace("10828004^Positive^SCT", value)
    )
    receive(text)
    assert not PregnancyTest.objects.exists()
    result = InboundResult.objects.get()
    assert (result.state, result.queue_reason) == ("queued", QueueReason.NOT_ACCEPTED)


def test_a_message_for_no_known_patient_waits_with_every_result(db):
    receive(sample("quest_lipids_mg_dl.hl7"))
    assert states("Q20251103153200412") == [("queued", QueueReason.NO_PATIENT)] * 4
    assert InboundResult.objects.first().problem == "No patient has MRN M1001."
    assert not LabResult.objects.exists()


def test_a_matching_mrn_with_another_date_of_birth_is_not_a_match(jane):
    receive(sample("quest_lipids_mg_dl.hl7").replace("19970707", "19970708"))
    result = InboundResult.objects.first()
    assert result.queue_reason == QueueReason.NO_PATIENT
    assert "different date of birth" in result.problem
    assert not LabResult.objects.exists()


def test_two_patients_matching_the_identifiers_is_never_a_guess(jane, alice):
    records.patient_create(
        mrn="LC-7",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        by=alice,
    )
    text = sample("quest_lipids_mg_dl.hl7").replace(
        "M1001^^^SKINCLINIC^MR~", "M1001^^^SKINCLINIC^MR~LC-7^^^LABCORP^MR~"
    )
    receive(text)
    assert {r.queue_reason for r in InboundResult.objects.all()} == {QueueReason.SEVERAL_PATIENTS}


def test_a_patient_without_a_course_for_the_date_waits(alice):
    records.patient_create(
        mrn="M1001",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        by=alice,
    )
    receive(sample("quest_hcg_positive.hl7"))
    assert InboundResult.objects.get().queue_reason == QueueReason.NO_COURSE


def test_preliminary_results_are_kept_but_not_filed(jane):
    receive(sample("quest_lipids_mg_dl.hl7").replace("|||F|||", "|||P|||"))
    assert {r.state for r in InboundResult.objects.all()} == {ResultState.PRELIMINARY}
    assert not LabResult.objects.exists()


def test_an_implausible_or_future_result_is_refused_by_the_service_and_waits(jane):
    text = sample("quest_lipids_mg_dl.hl7").replace("||560|mg/dL|", "||99999|mg/dL|")
    receive(text.replace("202511030815", "209911030815"))
    result = InboundResult.objects.get(sequence=1)
    assert result.queue_reason == QueueReason.NOT_ACCEPTED
    assert "future" in result.problem or "plausible" in result.problem
    assert not LabResult.objects.exists()


def test_a_value_with_a_comparator_is_not_guessed(jane):
    receive(sample("labcorp_liver_2_3.hl7").replace("||212|IU/L|", "||<5|IU/L|"))
    result = InboundResult.objects.get(sequence=1)
    assert result.queue_reason == QueueReason.NOT_ACCEPTED
    assert "'<5' is not a number" in result.problem


def test_a_message_that_cannot_be_read_is_stored_and_answered_ae(db):
    text = sample("quest_lipids_mg_dl.hl7").replace("PID|", "ZID|")
    receipt = receive(text)
    assert (receipt.code, receipt.reason) == ("AE", "The message has no PID segment.")
    message = InboundMessage.objects.get()
    assert (message.status, message.raw) == (MessageStatus.UNPROCESSABLE, text)
    assert not InboundResult.objects.exists()


def test_mapping_a_code_files_the_waiting_results_and_is_remembered(jane, bob):
    receive(sample("labcorp_liver_2_3.hl7"))
    waiting = InboundResult.objects.get(queue_reason=QueueReason.UNKNOWN_CODE)
    services.queue_map_code(result=waiting, target="ggt", by=bob)
    waiting.refresh_from_db()
    assert waiting.state == ResultState.IMPORTED
    assert (waiting.lab_result.analyte, waiting.resolved_by) == ("ggt", bob)
    assert CodeMapping.objects.get().target == "ggt"
    # The next message with that code from that lab needs nobody.
    receive(
        sample("labcorp_liver_2_3.hl7")
        .replace("LC000123987", "LC000124000")
        .replace("20251105074500", "20251112074500")
    )
    assert LabResult.objects.filter(analyte="ggt").count() == 2


def test_matching_a_patient_files_every_waiting_result_of_the_message(jane, bob):
    receive(sample("quest_lipids_mg_dl.hl7").replace("M1001^^^SKINCLINIC^MR", "M-1001^^^X^MR"))
    result = InboundResult.objects.order_by("sequence").first()
    services.queue_match_patient(result=result, patient=jane, by=bob)
    assert {r.state for r in InboundResult.objects.all()} == {ResultState.IMPORTED}
    message = InboundMessage.objects.get()
    assert (message.patient, message.matched_by) == (jane, bob)
    assert LabResult.objects.filter(course__patient=jane, created_by=bob).count() == 4


def test_a_rejected_result_keeps_its_reason_and_leaves_the_queue(jane, bob):
    receive(sample("labcorp_liver_2_3.hl7"))
    waiting = InboundResult.objects.get(queue_reason=QueueReason.UNKNOWN_CODE)
    with pytest.raises(services.ValidationError):
        services.queue_reject(result=waiting, reason=" ", by=bob)
    services.queue_reject(result=waiting, reason="GGT entered by hand", by=bob)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.reject_reason) == (ResultState.REJECTED, "GGT entered by hand")
    with pytest.raises(services.ValidationError, match="no longer waiting"):
        services.queue_reject(result=waiting, reason="again", by=bob)


def test_an_imported_result_shows_its_source_on_the_timeline(jane, client, bob):
    receive(sample("quest_lipids_mg_dl.hl7"))
    client.force_login(bob)
    page = client.get(reverse("patients:detail", args=[jane.pk])).content.decode()
    assert "Received electronically: QUESTLAB, message Q20251103153200412, result 1" in page
