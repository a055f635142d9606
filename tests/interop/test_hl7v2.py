"""Reading ORU^R01 messages of several labs' styles, and the answers to broken ones."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.interop.conftest import sample
from tracker.interop import hl7v2


def test_a_us_lab_panel_gives_every_repeated_obx_with_its_loinc_unit_and_specimen_date():
    message = hl7v2.read_message(sample("quest_lipids_mg_dl.hl7"))
    assert message.header.sender == "QUESTLAB"
    assert message.header.control_id == "Q20251103153200412"
    assert message.patient.identifiers == ("M1001",)  # the social security number is not an MRN
    assert message.patient.date_of_birth == dt.date(1997, 7, 7)
    assert [(r.code, r.value, r.unit, r.status) for r in message.results] == [
        ("2571-8", "560", "mg/dL", "F"),
        ("2093-3", "245", "mg/dL", "F"),
        ("18262-6", "150", "mg/dL", "F"),
        ("2085-9", "48", "mg/dL", "F"),
    ]
    assert {r.specimen_date for r in message.results} == {dt.date(2025, 11, 3)}
    assert message.results[0].reference_range == "<150"
    assert message.results[0].abnormal_flag == "HH"
    assert message.results[0].order_number == "FIL55123"


def test_escaped_characters_are_unescaped_in_names_and_comments():
    uk = hl7v2.read_message(sample("nhs_pathology_mmol_l.hl7"))
    alt = uk.results[3]
    assert alt.comment == (
        "Please note: reference ranges | units changed 01/10/2025 ^ see lab handbook \\ ~ page 4"
    )
    us = hl7v2.read_message(sample("quest_lipids_mg_dl.hl7"))
    assert us.results[3].comment == "Fasting specimen & lipemic: result confirmed on dilution."


def test_a_uk_lab_with_local_codes_gives_the_loinc_of_the_alternate_coding():
    message = hl7v2.read_message(sample("nhs_pathology_mmol_l.hl7"))
    assert message.header.version == "2.4"
    assert message.patient.identifiers == ("UK2002",)  # the NHS number is not the MRN
    first = message.results[0]
    assert (first.code, first.code_system) == ("TRIG", "WINPATH")
    assert (first.alternate_code, first.alternate_system) == ("14927-8", "LN")
    assert (first.value, first.unit) == ("2.1", "mmol/L")
    # No OBX-14 and no SPM: the specimen date is the order's collection time (OBR-7).
    assert first.specimen_date == dt.date(2025, 11, 4)


def test_a_version_2_3_message_is_read():
    message = hl7v2.read_message(sample("labcorp_liver_2_3.hl7"))
    assert message.header.version == "2.3"
    assert [r.value for r in message.results] == ["212", "90", "48"]


def test_a_coded_answer_keeps_its_snomed_code():
    result = hl7v2.read_message(sample("quest_hcg_positive.hl7")).results[0]
    assert (result.value, result.value_code, result.value_code_system) == (
        "Positive",
        "10828004",
        "SCT",
    )


def test_a_file_with_batch_envelopes_and_unix_line_ends_splits_into_its_messages():
    one = sample("quest_lipids_mg_dl.hl7").replace("\r", "\n")
    two = sample("labcorp_liver_2_3.hl7").replace("\r", "\n")
    text = f"FHS|^~\\&|LIS\nBHS|^~\\&|LIS\n{one}{two}BTS|2\nFTS|1\n"
    messages = hl7v2.split_messages(text)
    assert [hl7v2.read_message(m).header.control_id for m in messages] == [
        "Q20251103153200412",
        "LC000123987",
    ]


MSH = "MSH|^~\\&|LIS|LAB|ISOTRACK|CLINIC|20251103||{type}|C1|{pid}|{version}"
PID = "PID|1||M1^^^^MR||DOE^ANN||19900101"
OBX = "OBX|1|NM|1742-6^ALT^LN||30|U/L|||||F|||20251103"


def build(type_="ORU^R01", version="2.5.1", processing="P", segments=(PID, OBX)) -> str:
    header = MSH.format(type=type_, pid=processing, version=version)
    return "\r".join((header, *segments))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "does not start with an MSH"),
        ("PID|1||M1", "does not start with an MSH"),
        (build(type_="ADT^A01"), "Message type ADT^A01 is not taken"),
        (build(version="2.6"), "HL7 version 2.6 is not taken"),
        (build(processing="T"), "Processing ID T is not taken"),
        (build().replace("|C1|", "||"), "MSH-10"),
        (build() + "\rnot a segment", "Unreadable segment"),
    ],
)
def test_messages_isotrack_does_not_take_are_rejected_with_the_reason(text, reason):
    with pytest.raises(hl7v2.Rejected, match=re.escape(reason)):
        hl7v2.read_message(text)


@pytest.mark.parametrize(
    ("segments", "reason"),
    [
        ((OBX,), "no PID"),
        ((PID,), "no OBX"),
        (("PID|1||^^^^MR||DOE^ANN||19900101", OBX), "no medical record number"),
        (("PID|1||M1||DOE^ANN||1990-01-01", OBX), "date of birth"),
        ((PID, "OBX|1|NM|^ALT^LN||30|U/L|||||F"), "test code"),
        ((PID, "OBX|1|NM|1742-6^ALT^LN||30|U/L|||||F|||03/11/2025"), "specimen date"),
    ],
)
def test_messages_with_a_header_but_no_usable_patient_or_result_are_errors(segments, reason):
    with pytest.raises(hl7v2.Unprocessable, match=reason) as caught:
        hl7v2.read_message(build(segments=segments))
    assert caught.value.header.control_id == "C1"


def test_the_ack_answers_the_message_control_id_with_the_code_and_escaped_reason():
    answer = hl7v2.ack(build(), "AE", "OBX 1: bad | value")
    msh, msa = answer.split("\r")
    assert msh.startswith("MSH|^~\\&|ISOTRACK|CLINIC|LIS|LAB|")
    assert "|ACK^R01^ACK|" in msh
    assert msa == "MSA|AE|C1|OBX 1: bad \\F\\ value"
    assert hl7v2.ack_code(answer) == "AE"


def test_an_unreadable_message_is_answered_with_isotracks_own_header():
    answer = hl7v2.ack("garbage", "AR", "The message does not start with an MSH segment.")
    assert answer.startswith("MSH|^~\\&|ISOTRACK|")
    assert hl7v2.ack_code(answer) == "AR"
