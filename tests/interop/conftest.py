from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from patients import services as records
from tracker.interop import services, tasks

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def receive(text: str, transport: str = "file") -> services.Receipt:
    """Receive a message as the listener does: store, answer, then process."""
    receipt = services.receive_hl7(text=text, transport=transport)
    tasks.enqueue_processing(receipt)
    return receipt


def make_jane(by):
    """US patient who can get pregnant, with an active course since 1 Oct 2025 (MRN M1001)."""
    patient = records.patient_create(
        mrn="M1001",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        category="can_get_pregnant",
        by=by,
    )
    records.course_create(patient=patient, start=dt.date(2025, 10, 1), weight_kg=60, by=by)
    return patient


@pytest.fixture
def jane(alice):
    return make_jane(alice)


@pytest.fixture
def olu(alice):
    """UK patient who cannot get pregnant, with an active course (MRN UK2002)."""
    patient = records.patient_create(
        mrn="UK2002",
        given_name="Olu",
        family_name="Berg",
        date_of_birth=dt.date(1990, 2, 14),
        profile="UK",
        category="cannot_get_pregnant",
        by=alice,
    )
    records.course_create(patient=patient, start=dt.date(2025, 9, 15), weight_kg=75, by=alice)
    return patient


@pytest.fixture
def jane_committed(transactional_db):
    """Jane, for tests whose other threads must see her (committed rows)."""
    from tests import factories

    return make_jane(factories.clinician(username="alice-listener"))


def waiting_result(control_id: str):
    """A lab message for no known patient, received and processed: its result waits in the
    lab inbox (for the access tests)."""
    from tracker.interop.models import InboundResult

    receipt = receive(
        "MSH|^~\\&|LIS|CITYLAB|ISOTRACK|CLINIC|20251103||ORU^R01|"
        f"{control_id}|P|2.5.1\r"
        "PID|1||NO-SUCH-MRN^^^^MR||DOE^ANN||19900101\r"
        "OBX|1|NM|1742-6^ALT^LN||30|U/L|||||F|||20251103"
    )
    return InboundResult.objects.get(message_id=receipt.message_id)
