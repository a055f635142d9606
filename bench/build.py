"""Build the benchmark database: N active courses with about six months of history each.

    .venv/bin/python bench/build.py --courses 10000

Rows are written with ``bulk_create`` (fixture generation, not the clinical write path: no
validation, no change history), then ``refresh_courses`` builds the stored monitoring state, as
the nightly run does. The database is ``BENCH_DATABASE_URL`` (default
postgres://postgres@127.0.0.1:5432/isotrack_bench), dropped and rebuilt on every run.

The mix: US 40 %, UK 35 %, EU 25 %; two thirds can get pregnant; 15 % under 18; starts spread
over the last six months; 15 % missed their last monthly visit (overdue items), 4 % high
triglycerides, 2 % high ALT, 2 % a low mood screen (open alerts).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

STAFF_USERNAME = "bench-staff"
CLINICIAN_COUNT = 12
CHUNK = 1000

CGP = "can_get_pregnant"
CNGP = "cannot_get_pregnant"
US_METHODS = (
    ["combined_pill", "male_condom"],
    ["iud_hormonal", "male_condom"],
    ["implant", "male_condom"],
    ["progestin_pill", "male_condom"],
)
UK_METHODS = (["implant"], ["iud_hormonal"], ["combined_pill"], ["iud_copper"], ["injection"])
MOLAR = {"triglycerides": 88.57, "total_cholesterol": 38.67}
GIVEN = "Amelia Ava Chloe Daniel Elena Emily Ethan Fatima Grace Hannah Isla Jack Kai Laura".split()  # noqa: SIM905
FAMILY = "Adams Bauer Becker Carter Costa Dubois Evans Fischer Garcia Hansen Hughes Jensen".split()  # noqa: SIM905


@dataclass
class Chunk:
    """The rows of a chunk of courses, by model, in creation order."""

    patients: list = field(default_factory=list)
    courses: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    records: dict = field(default_factory=dict)

    def add(self, row) -> None:
        self.records.setdefault(type(row), []).append(row)


class Generator:
    def __init__(self, *, today: date, clinicians: list, seed: int) -> None:
        from patients import models as m

        self.m = m
        self.today = today
        self.clinicians = clinicians
        self.rng = random.Random(seed)

    def chunk(self, first: int, count: int) -> Chunk:
        chunk = Chunk()
        plans = [self._patient(number) for number in range(first, first + count)]
        chunk.patients = [p for p, _ in plans]
        self.m.Patient.objects.bulk_create(chunk.patients)
        for patient, story in plans:
            course = self.m.Course(
                patient=patient,
                start=story["start"],
                status="active",
                weight_kg=Decimal(story["weight"]),
            )
            story["course"] = course
            chunk.courses.append(course)
        self.m.Course.objects.bulk_create(chunk.courses)
        for _, story in plans:
            self._history(chunk, story)
        self.m.Visit.objects.bulk_create(chunk.visits)
        for model, rows in chunk.records.items():
            model.objects.bulk_create(rows, batch_size=2000)
        return chunk

    # Patients and courses --------------------------------------------------------------------

    def _patient(self, number: int):
        rng = self.rng
        profile = rng.choices(["US", "UK", "EU"], weights=[40, 35, 25])[0]
        category = CGP if rng.random() < 2 / 3 else CNGP
        teen = rng.random() < 0.15
        age_days = rng.randint(15 * 365 + 200, 17 * 365) if teen else rng.randint(6600, 13900)
        start = self.today - timedelta(days=rng.randint(20, 185))
        clinician = self.clinicians[number % len(self.clinicians)]
        roll = rng.random()
        pattern = (
            "overdue"
            if roll < 0.15
            else "high_tg"
            if roll < 0.19
            else "high_alt"
            if roll < 0.21
            else "low_mood"
            if roll < 0.23
            else "on_track"
        )
        patient = self.m.Patient(
            mrn=f"B{number:07d}",
            given_name=GIVEN[number % len(GIVEN)],
            family_name=f"{FAMILY[(number * 7) % len(FAMILY)]}-{number}",
            date_of_birth=start - timedelta(days=age_days),
            profile=profile,
            category=category,
            category_assigned_on=start - timedelta(days=50),
            category_assigned_by=clinician,
            category_reason="Assessed at the first consultation.",
            home_testing_permitted=profile == "US" and category == CGP and rng.random() < 0.3,
            responsible_clinician=clinician,
            created_by=clinician,
        )
        story = {
            "profile": profile,
            "cgp": category == CGP,
            "teen": teen,
            "start": start,
            "weight": rng.randint(48, 92),
            "pattern": pattern,
            "clinician": clinician,
            "methods": rng.choice(US_METHODS if profile == "US" else UK_METHODS),
        }
        return patient, story

    # Clinical history --------------------------------------------------------------------------

    def _history(self, chunk: Chunk, story: dict) -> None:
        m, rng = self.m, self.rng
        course, s, profile = story["course"], story["start"], story["profile"]
        us, uk, cgp = profile == "US", profile == "UK", story["cgp"]
        by = story["clinician"]

        def add(model, on, visit=None, **fields):
            if on <= self.today:
                chunk.add(model(course=course, date=on, created_by=by, visit=visit, **fields))

        instrument = "PHQ-A" if story["teen"] else "PHQ-9"
        dose = max(20, min(80, round(story["weight"] * 0.5 / 10) * 10))
        # Baseline.
        if us:
            add(m.Confirmation, s - timedelta(days=45), kind="consent")
        if uk:
            add(m.Confirmation, s - timedelta(days=30), kind="risk_acknowledgement")
            if story["teen"]:
                add(m.Confirmation, s - timedelta(days=30), kind="second_prescriber")
        if cgp:
            add(
                m.ContraceptionRecord,
                s - timedelta(days=45),
                kind="start",
                methods=story["methods"],
            )
            add(
                m.PregnancyTest,
                s - timedelta(days=38 if us else 14),
                result="negative",
                setting="clinic",
            )
        baseline = s - timedelta(days=20 if us else 14)
        self._labs(add, story, baseline, ("triglycerides", "total_cholesterol", "alt"))
        add(m.MoodScreen, baseline, instrument=instrument, total=rng.randint(0, 6), item9=0)
        if uk:
            add(m.SexualFunctionReview, baseline, concern=False)
        if cgp:
            add(
                m.PregnancyTest,
                s - timedelta(days=2 if us else 1),
                result="negative",
                setting="lab",
            )
        if not us:
            add(m.Prescription, s - timedelta(days=1), supply_days=30, mg_per_day=dose)
        add(m.DoseChange, s, mg_per_day=dose)
        add(m.Dispense, s, supply_days=30)
        # Monthly visits until today, or until 40 days ago for a missed visit.
        last = self.today - timedelta(days=40) if story["pattern"] == "overdue" else self.today
        month = 1
        while (on := s + timedelta(days=30 * month - (2 if us else 1))) <= last:
            visit = m.Visit(
                course=course,
                date=on,
                clinician=by,
                created_by=by,
                iga=max(0, 3 - month),
                se_dry_lips=True,
                co_sun_protection=True,
            )
            chunk.visits.append(visit)
            if month == 1:
                dose = max(20, min(80, round(story["weight"] * 0.8 / 10) * 10))
                add(m.DoseChange, on, visit, mg_per_day=dose)
            if month % 2 == 0:
                add(m.WeightMeasurement, on, visit, kg=story["weight"] + rng.choice([-1, 0, 1]))
            if cgp:
                setting = rng.choice(["clinic", "lab", "remote_supervised"])
                add(m.PregnancyTest, on, visit, result="negative", setting=setting)
                add(m.ContraceptionRecord, on, visit, kind="attestation", methods=story["methods"])
                if us:
                    add(m.Confirmation, on, visit, kind="rems_confirmation")
            low = story["pattern"] == "low_mood" and on + timedelta(days=30) > last
            add(
                m.MoodScreen,
                on,
                visit,
                instrument=instrument,
                total=14 if low else rng.randint(0, 6),
                item9=0,
            )
            if uk:
                add(m.SexualFunctionReview, on, visit, concern=False)
            if not us:
                add(m.Prescription, on, visit, supply_days=30, mg_per_day=dose)
            add(m.Dispense, on + timedelta(days=1), supply_days=30)
            month += 1
        # Labs at month 1 and at the peak dose.
        lab_days = [s + timedelta(days=28), s + timedelta(days=56 if us else 112)]
        for number, on in enumerate(d for d in lab_days if d <= last):
            overrides = {}
            if number == 1 or on + timedelta(days=28) > last:
                if story["pattern"] == "high_tg":
                    overrides["triglycerides"] = rng.randint(510, 900)
                if story["pattern"] == "high_alt":
                    overrides["alt"] = rng.randint(130, 220)
            self._labs(add, story, on, ("triglycerides", "total_cholesterol", "alt"), **overrides)

    def _labs(self, add, story, on, analytes, **overrides) -> None:
        from tracker.engine.analytes import ANALYTES, to_canonical

        rng = self.rng
        values = {
            "triglycerides": rng.randint(70, 145),
            "total_cholesterol": rng.randint(150, 215),
            "alt": rng.randint(12, 38),
        }
        values.update(overrides)
        for analyte in analytes:
            definition = ANALYTES[analyte]
            value, unit, uln = Decimal(values[analyte]), "mg/dL", None
            if analyte == "alt":
                unit, uln = "U/L", Decimal(40)
            elif story["profile"] != "US":
                unit = "mmol/L"
                value = Decimal(str(round(values[analyte] / MOLAR[analyte], 2)))
            canonical = Decimal(str(to_canonical(analyte, float(value), unit)))
            loinc = definition.loinc_for(unit)
            add(
                self.m.LabResult,
                on,
                analyte=analyte,
                value=value,
                unit=unit,
                uln=uln,
                canonical_value=canonical.quantize(Decimal("0.0001")),
                canonical_unit=definition.canonical_unit,
                loinc=loinc,
            )


def users():
    from django.contrib.auth.models import Group, User

    from patients.roles import CLINICIAN, STAFF

    clinicians = []
    for number in range(CLINICIAN_COUNT):
        user = User.objects.create_user(
            f"bench-clinician-{number}",
            first_name=GIVEN[number % len(GIVEN)],
            last_name=f"Doctor{number}",
            password="bench-password-1",
        )
        user.groups.add(Group.objects.get(name=CLINICIAN))
        clinicians.append(user)
    staff = User.objects.create_user(STAFF_USERNAME, password="bench-password-1")
    staff.groups.add(Group.objects.get(name=STAFF))
    return clinicians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    started = time.perf_counter()
    common.ensure_database(fresh=True)
    common.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from tracker.monitoring.store import refresh_courses

    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    print(f"database created and migrated in {migrated - started:.1f} s")

    today = timezone.localdate()
    generator = Generator(today=today, clinicians=users(), seed=args.seed)
    rows = 0
    for first in range(0, args.courses, CHUNK):
        with transaction.atomic():
            chunk = generator.chunk(first, min(CHUNK, args.courses - first))
        rows += len(chunk.visits) + sum(len(r) for r in chunk.records.values())
        done = first + len(chunk.courses)
        print(f"\r{done}/{args.courses} courses, {rows} clinical rows", end="", flush=True)
    generated = time.perf_counter()
    print(f"\nrecords generated in {generated - migrated:.1f} s")

    result = refresh_courses(today=today)
    refreshed = time.perf_counter()
    seconds = refreshed - generated
    print(
        f"stored state built for {result.courses} courses in {seconds:.1f} s "
        f"({result.courses / seconds:.0f} courses/s)"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT status, count(*) FROM tracker_worklistentry GROUP BY status ORDER BY status"
        )
        counts = ", ".join(f"{status} {n}" for status, n in cursor.fetchall())
    print(f"worklist entries: {counts}")
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
