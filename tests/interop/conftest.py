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


@pytest.fixture
def jane(alice):
    """US patient who can get pregnant, with an active course since 1 Oct 2025 (MRN M1001)."""
    patient = records.patient_create(
        mrn="M1001",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    records.course_create(patient=patient, start=dt.date(2025, 10, 1), weight_kg=60, by=alice)
    return patient


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
def jane_committed(transactional_db, django_user_model):
    """Jane, for tests whose other threads must see her (committed rows)."""
    from tests import factories

    alice = factories.clinician(username="alice-listener")
    patient = records.patient_create(
        mrn="M1001",
        given_name="Jane",
        family_name="Smith",
        date_of_birth=dt.date(1997, 7, 7),
        profile="US",
        category="can_get_pregnant",
        by=alice,
    )
    records.course_create(patient=patient, start=dt.date(2025, 10, 1), weight_kg=60, by=alice)
    return patient
