"""The nightly refresh shared between processes (PostgreSQL) stores the same state as one."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from patients import services
from tracker.models import MonitoringItem

TODAY = dt.date(2026, 10, 1)


def stored_state() -> list[tuple]:
    return list(
        MonitoringItem.objects.order_by("course_id", "code").values_list(
            "course_id", "code", "status", "due_on"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_two_processes_store_what_one_process_stores(alice):
    for n in range(6):
        patient = services.patient_create(
            mrn=f"R{n}",
            given_name="Rae",
            family_name=f"Park{n}",
            date_of_birth=dt.date(1995, 1, 1),
            profile=["US", "UK", "EU"][n % 3],
            category="can_get_pregnant",
            by=alice,
            today=TODAY,
        )
        services.course_create(
            patient=patient,
            start=TODAY - dt.timedelta(days=10 * n),
            weight_kg=60,
            by=alice,
            today=TODAY,
        )
    later = "2026-11-15"
    if connection.vendor == "sqlite":
        # SQLite takes one writer at a time: the command says so instead of failing halfway.
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("refresh_monitoring", "--processes", "2", "--as-of", later)
        return
    call_command(
        "refresh_monitoring",
        "--processes",
        "2",
        "--batch-size",
        "2",
        "--as-of",
        later,
        stdout=StringIO(),
    )
    in_parallel = stored_state()
    call_command("refresh_monitoring", "--as-of", "2026-10-01", stdout=StringIO())
    call_command("refresh_monitoring", "--batch-size", "2", "--as-of", later, stdout=StringIO())
    assert stored_state() == in_parallel
    out = StringIO()
    call_command("refresh_monitoring", "--check", "--as-of", later, stdout=out)
    assert "No drift" in out.getvalue()
