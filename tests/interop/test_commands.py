"""The lab's file drop (import_hl7), FHIR bundles (import_fhir) and catching up
(process_inbound): thin shells over the same services."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from patients.models import LabResult
from tests.interop.conftest import sample
from tests.interop.test_fhir import TRIGLYCERIDES, bundle_of
from tracker.interop import services
from tracker.interop.models import InboundMessage, MessageStatus

pytestmark = pytest.mark.django_db


def test_import_hl7_reads_every_message_of_every_file(tmp_path, jane, capsys):
    batch = tmp_path / "drop.hl7"
    batch.write_text(
        "FHS|^~\\&|LIS\nBHS|^~\\&|LIS\n"
        + sample("quest_lipids_mg_dl.hl7").replace("\r", "\n")
        + sample("quest_hcg_positive.hl7").replace("\r", "\n")
        + "BTS|2\nFTS|1\n"
    )
    single = tmp_path / "liver.hl7"
    single.write_bytes(b"\x0b" + sample("labcorp_liver_2_3.hl7").encode() + b"\x1c\r")
    call_command("import_hl7", str(batch), str(single))
    assert capsys.readouterr().out.count(": AA") == 3
    assert InboundMessage.objects.count() == 3
    assert LabResult.objects.filter(course__patient=jane).count() == 6


def test_import_hl7_fails_when_a_message_is_refused(tmp_path, db):
    path = tmp_path / "adt.hl7"
    path.write_text(sample("quest_lipids_mg_dl.hl7").replace("ORU^R01^ORU_R01", "ADT^A01"))
    with pytest.raises(CommandError, match="1 message"):
        call_command("import_hl7", str(path))
    assert not InboundMessage.objects.exists()


def test_import_hl7_names_a_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_hl7", str(tmp_path / "missing.hl7"))


def test_import_fhir_files_the_bundle(tmp_path, jane):
    path = tmp_path / "bundle.json"
    data = json.loads(bundle_of([TRIGLYCERIDES]))
    del data["meta"]
    path.write_text(json.dumps(data))
    call_command("import_fhir", str(path), "--sender", "CITYLAB")
    assert InboundMessage.objects.get().sender == "CITYLAB"
    assert LabResult.objects.filter(course__patient=jane).count() == 1


def test_process_inbound_catches_up_with_messages_stored_but_not_processed(jane, capsys):
    receipt = services.receive_hl7(text=sample("quest_lipids_mg_dl.hl7"))  # never enqueued
    assert InboundMessage.objects.get().status == MessageStatus.RECEIVED
    call_command("process_inbound")
    assert "1 message(s) processed." in capsys.readouterr().out
    assert LabResult.objects.count() == 4
    assert services.receive_hl7(text=sample("quest_lipids_mg_dl.hl7")) == services.Receipt(
        "AA", "", receipt.message_id, to_process=False
    )
