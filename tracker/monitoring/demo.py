"""The demo clinic: one login per role and about fifty patients with realistic histories.

Every patient, course and record goes through ``patients.services``, so the demo data passes
the same validation as the web forms. Dates are relative to the clinic's today, so the demo
always looks current; names, values and settings come from a seeded random generator, so two
runs on the same day build the same clinic. Patients are keyed by MRN and users by username:
running it again creates nothing twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from patients import services
from patients.models import Course, CourseStatus, LabResult, Patient
from patients.reevaluation import batch
from patients.roles import CLINIC_ADMIN, CLINICIAN, STAFF

DEMO_PASSWORD = "isotrack-demo-1"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str


DEMO_USERS = (
    DemoUser("clinician", "Priya", "Raman", CLINICIAN),
    DemoUser("staff", "Sam", "Okafor", STAFF),
    DemoUser("admin", "Alex", "Morgan", CLINIC_ADMIN),
)

GIVEN_NAMES = (  # noqa: SIM905 (a word list reads best as words)
    "Amelia Ava Chloe Daniel Elena Emily Ethan Fatima Grace Hannah Isla Jack Jonas Kai Laura "
    "Leo Lucia Maya Mia Noah Olivia Omar Rosa Ruby Sofia Theo Yara Zoe Aisha Ben Clara Diego "
    "Freya Hugo Ines Luca Marta Nina Oscar Pia"
).split()
FAMILY_NAMES = (  # noqa: SIM905 (a word list reads best as words)
    "Adams Bauer Becker Brennan Carter Costa Dubois Evans Fischer Garcia Hansen Hughes Jensen "
    "Kowalski Larsen Lopez Martin Moreau Murphy Nguyen Novak Okoye Patel Quinn Rossi Schmidt "
    "Silva Taylor Thomas Walsh Weber Wilson Young Zhang"
).split()

CGP = "can_get_pregnant"
CNGP = "cannot_get_pregnant"

# Pattern names of the patient stories.
ON_TRACK = "on_track"
OVERDUE = "overdue"
HIGH_TRIGLYCERIDES = "high_triglycerides"
HIGH_ALT = "high_alt"
POSITIVE_TEST = "positive_test"
PLANNED = "planned"
COMPLETED = "completed"
ENTERED_IN_ERROR = "entered_in_error"
LOW_MOOD = "low_mood"
RETREATMENT = "retreatment"

# (profile, category, pattern) for each demo patient, in MRN order.
STORIES: tuple[tuple[str, str, str], ...] = (
    *[("US", CGP, ON_TRACK)] * 5,
    *[("US", CNGP, ON_TRACK)] * 3,
    ("US", CGP, OVERDUE),
    ("US", CGP, OVERDUE),
    ("US", CNGP, OVERDUE),
    ("US", CGP, HIGH_TRIGLYCERIDES),
    ("US", CNGP, HIGH_ALT),
    ("US", CGP, POSITIVE_TEST),
    ("US", CGP, PLANNED),
    ("US", CGP, COMPLETED),
    ("US", CNGP, COMPLETED),
    ("US", CGP, ENTERED_IN_ERROR),
    *[("UK", CGP, ON_TRACK)] * 5,
    *[("UK", CNGP, ON_TRACK)] * 3,
    ("UK", CGP, OVERDUE),
    ("UK", CNGP, OVERDUE),
    ("UK", CGP, HIGH_ALT),
    ("UK", CNGP, HIGH_TRIGLYCERIDES),
    ("UK", CGP, LOW_MOOD),
    ("UK", CGP, PLANNED),
    ("UK", CNGP, PLANNED),
    ("UK", CGP, COMPLETED),
    ("UK", CNGP, RETREATMENT),
    *[("EU", CGP, ON_TRACK)] * 4,
    *[("EU", CNGP, ON_TRACK)] * 2,
    ("EU", CGP, OVERDUE),
    ("EU", CNGP, HIGH_TRIGLYCERIDES),
    ("EU", CGP, PLANNED),
    ("EU", CNGP, COMPLETED),
    ("EU", CGP, COMPLETED),
    ("EU", CGP, LOW_MOOD),
)

CONTRACEPTION_PAIRS = (
    ["combined_pill", "male_condom"],
    ["iud_hormonal", "male_condom"],
    ["implant", "male_condom"],
    ["progestin_pill", "male_condom"],
    ["iud_copper", "male_condom"],
)
UK_METHODS = (["implant"], ["iud_hormonal"], ["combined_pill"], ["iud_copper"], ["injection"])


@dataclass
class Event:
    on: date
    service: Callable
    fields: dict = field(default_factory=dict)


@dataclass
class Story:
    """One demo patient: who they are and what happened, as dated service calls."""

    mrn: str
    profile: str
    category: str
    pattern: str
    given_name: str
    family_name: str
    date_of_birth: date
    weight: int
    contraception: list[str]
    start: date
    rng: random.Random
    end: date | None = None
    events: list[Event] = field(default_factory=list)

    @property
    def cgp(self) -> bool:
        return self.category == CGP

    @property
    def under_18(self) -> bool:
        return (self.start - self.date_of_birth).days < 18 * 365

    def add(self, on: date, service: Callable, **fields) -> None:
        self.events.append(Event(on, service, fields))


@dataclass
class SeedResult:
    users_created: int = 0
    patients_created: int = 0
    patients_existing: int = 0
    courses_created: int = 0
    records_created: int = 0


def _round_dose(mg: float) -> int:
    return max(20, min(80, int(round(mg / 10.0)) * 10))


class ClinicHistory:
    """Writes the stories through the services, dated relative to ``today``."""

    def __init__(self, *, today: date, clinician: User, staff: User, seed: int = 2026) -> None:
        self.today = today
        self.clinician = clinician
        self.staff = staff
        self.seed = seed

    # Stories -----------------------------------------------------------------------------------

    def stories(self) -> list[Story]:
        stories = []
        for number, (profile, category, pattern) in enumerate(STORIES, start=1):
            # One generator per patient: the same MRN always gets the same history.
            rng = random.Random(f"{self.seed}-{number}")
            given = GIVEN_NAMES[(number * 7) % len(GIVEN_NAMES)]
            family = FAMILY_NAMES[(number * 11) % len(FAMILY_NAMES)]
            teen = rng.random() < 0.25
            age_days = (
                rng.randint(15 * 365 + 200, 17 * 365)
                if teen
                else rng.randint(18 * 365 + 30, 38 * 365)
            )
            weight = rng.randint(48, 92)
            # Long enough for a missed month or for the on-treatment labs to be back.
            earliest = 45 if pattern == ON_TRACK else 80
            started_days_ago = rng.randint(earliest, 160)
            methods = (CONTRACEPTION_PAIRS if profile == "US" else UK_METHODS)[rng.randrange(5)]
            start = self.today - timedelta(days=started_days_ago)
            end = None
            if pattern == PLANNED:
                start = self.today + timedelta(days=rng.randint(10, 21))
            elif pattern == COMPLETED:
                start = self.today - timedelta(days=rng.randint(230, 300))
                end = start + timedelta(days=rng.randint(150, 170))
            elif pattern == RETREATMENT:
                start = self.today - timedelta(days=rng.randint(60, 80))
            dob = self.today - timedelta(days=age_days)
            stories.append(
                Story(
                    mrn=f"DEMO-{number:04d}",
                    profile=profile,
                    category=category,
                    pattern=pattern,
                    given_name=given,
                    family_name=family,
                    date_of_birth=dob,
                    weight=weight,
                    contraception=list(methods),
                    start=start,
                    rng=rng,
                    end=end,
                )
            )
        return stories

    def plan(self, story: Story) -> None:
        """Fill ``story.events`` with the course's dated history."""
        if story.profile == "US":
            self._us_baseline(story)
        else:
            self._uk_eu_baseline(story)
        if story.pattern != PLANNED:
            last = story.end or self.today
            if story.pattern == OVERDUE:
                # The patient missed last month's visit and test.
                last = self.today - timedelta(days=40)
            self._treatment(story, last)
            if story.end is not None and story.cgp and story.profile == "US":
                # Two methods of contraception for a month after the last dose.
                story.add(
                    story.end + timedelta(days=28),
                    services.contraception_record,
                    kind="attestation",
                    methods=story.contraception,
                )
            if story.end is not None and story.cgp:
                story.add(
                    story.end + timedelta(days=30),
                    services.pregnancy_test_record,
                    result="negative",
                    setting="lab",
                    notes="Post-course test.",
                )
        # Only what has happened by today (a planned course's labs may still be to come).
        story.events = [e for e in story.events if e.on <= self.today]

    def _labs(self, story: Story, on: date, analytes: tuple[str, ...], **overrides) -> None:
        rng = story.rng
        values = {
            "triglycerides": rng.randint(70, 145),
            "total_cholesterol": rng.randint(150, 215),
            "alt": rng.randint(12, 38),
        }
        values.update(overrides)
        # UK and EU labs report lipids in mmol/L.
        molar = story.profile != "US"
        for analyte in analytes:
            value = values[analyte]
            if analyte == "alt":
                story.add(
                    on, services.lab_result_record, analyte="alt", value=value, unit="U/L", uln=40
                )
            elif molar:
                factor = 88.57 if analyte == "triglycerides" else 38.67
                story.add(
                    on,
                    services.lab_result_record,
                    analyte=analyte,
                    value=round(value / factor, 2),
                    unit="mmol/L",
                )
            else:
                story.add(
                    on, services.lab_result_record, analyte=analyte, value=value, unit="mg/dL"
                )

    def _mood(self, story: Story, on: date, *, total: int | None = None, item9: int = 0) -> None:
        instrument = "PHQ-A" if story.under_18 else "PHQ-9"
        total = story.rng.randint(0, 6) if total is None else total
        story.add(on, services.mood_screen_record, instrument=instrument, total=total, item9=item9)

    def _us_baseline(self, story: Story) -> None:
        s = story.start
        story.add(s - timedelta(days=45), services.confirmation_record, kind="consent")
        if story.cgp:
            story.add(
                s - timedelta(days=45),
                services.contraception_record,
                kind="start",
                methods=story.contraception,
            )
            story.add(
                s - timedelta(days=38),
                services.pregnancy_test_record,
                result="negative",
                setting="clinic",
                notes="Screening test.",
            )
        self._labs(story, s - timedelta(days=20), ("triglycerides", "total_cholesterol", "alt"))
        self._mood(story, s - timedelta(days=20))
        if story.pattern == PLANNED:
            return
        if story.cgp:
            story.add(
                s - timedelta(days=2),
                services.pregnancy_test_record,
                result="negative",
                setting="lab",
                notes="Confirmation test.",
            )
        story.add(s, services.dose_record, mg_per_day=_round_dose(story.weight * 0.5))
        story.add(s, services.dispense_record, supply_days=30)

    def _uk_eu_baseline(self, story: Story) -> None:
        s = story.start
        uk = story.profile == "UK"
        if uk:
            story.add(
                s - timedelta(days=30), services.confirmation_record, kind="risk_acknowledgement"
            )
            if story.under_18:
                story.add(
                    s - timedelta(days=30), services.confirmation_record, kind="second_prescriber"
                )
        if story.cgp:
            story.add(
                s - timedelta(days=45),
                services.contraception_record,
                kind="start",
                methods=story.contraception,
            )
        self._labs(story, s - timedelta(days=14), ("alt", "triglycerides", "total_cholesterol"))
        self._mood(story, s - timedelta(days=14))
        if uk:
            story.add(s - timedelta(days=14), services.sexual_function_record, concern=False)
        if story.pattern == PLANNED:
            return
        if story.cgp:
            story.add(
                s - timedelta(days=1),
                services.pregnancy_test_record,
                result="negative",
                setting="clinic",
            )
        story.add(
            s - timedelta(days=1),
            services.prescription_record,
            supply_days=30,
            mg_per_day=_round_dose(story.weight * 0.5),
        )
        story.add(s, services.dose_record, mg_per_day=_round_dose(story.weight * 0.5))
        story.add(s, services.dispense_record, supply_days=30)

    def _treatment(self, story: Story, last: date) -> None:
        """Monthly visits from the start until ``last``, with the pattern's twist."""
        s, rng, us = story.start, story.rng, story.profile == "US"
        dose = _round_dose(story.weight * 0.5)
        month = 1
        while True:
            visit_on = s + timedelta(days=30 * month - (2 if us else 1))
            if visit_on > last:
                break
            positive = story.pattern == POSITIVE_TEST and visit_on + timedelta(days=30) > last
            if month == 1:
                dose = _round_dose(story.weight * 0.8)
            test = None
            if story.cgp:
                setting = rng.choice(["clinic", "lab", "remote_supervised"])
                test = {"result": "positive" if positive else "negative", "setting": setting}
            low_mood = story.pattern == LOW_MOOD and visit_on + timedelta(days=30) > last
            mood_total = 12 if low_mood else rng.randint(0, 6)
            story.add(
                visit_on,
                services.visit_record,
                clinician=self.clinician,
                weight_kg=story.weight + rng.choice([-1, 0, 0, 1]) if month % 2 == 0 else None,
                mg_per_day=dose if month == 1 else None,
                pregnancy_test=test,
                contraception_methods=story.contraception if story.cgp else None,
                mood_screen={
                    "instrument": "PHQ-A" if story.under_18 else "PHQ-9",
                    "total": mood_total,
                    "item9": 0,
                },
                rems_confirmation=us and story.cgp,
                iga=max(0, 3 - month),
                se_dry_lips=True,
                se_dry_skin=rng.random() < 0.6,
                se_nosebleeds=rng.random() < 0.2,
                se_muscle_joint_pain=rng.random() < 0.15,
                se_mood_change=low_mood,
                co_contraception=story.cgp,
                co_sun_protection=True,
            )
            if low_mood:
                story.add(
                    visit_on,
                    services.mood_screen_record,
                    instrument="GAD-7",
                    total=11,
                    notes="Anxious about exams; referred to GP.",
                )
            if story.profile == "UK":
                story.add(visit_on, services.sexual_function_record, concern=False)
            if positive:
                # Treatment stops at once: no prescription, no dispense.
                break
            if not us:
                story.add(visit_on, services.prescription_record, supply_days=30, mg_per_day=dose)
            story.add(visit_on + timedelta(days=1), services.dispense_record, supply_days=30)
            month += 1
        self._course_labs(story, last)

    def _course_labs(self, story: Story, last: date) -> None:
        s = story.start
        if story.profile == "US":
            lab_days = [s + timedelta(days=56)]
            analytes = ("triglycerides", "alt")
        else:
            lab_days = [s + timedelta(days=28 + 84 * k) for k in range(3)]
            analytes = ("alt", "triglycerides", "total_cholesterol")
        lab_days = [d for d in lab_days if d <= last]
        for number, on in enumerate(lab_days):
            latest = number == len(lab_days) - 1
            overrides = {}
            if latest and story.pattern == HIGH_TRIGLYCERIDES:
                overrides["triglycerides"] = 560
            if latest and story.pattern == HIGH_ALT:
                overrides["alt"] = 142
            if latest and story.pattern == ENTERED_IN_ERROR:
                # Filed against the wrong patient, then corrected (see ``apply``).
                overrides["alt"] = 410
            self._labs(story, on, analytes, **overrides)
            if latest and story.pattern == ENTERED_IN_ERROR:
                self._labs(story, on, ("alt",), alt=24)

    # Writing ------------------------------------------------------------------------------------

    def apply(self, story: Story) -> tuple[Patient, int, int]:
        """Create the patient, the course and every record: (patient, courses, records)."""
        today = self.today
        by = self.clinician
        patient = services.patient_create(
            mrn=story.mrn,
            given_name=story.given_name,
            family_name=story.family_name,
            date_of_birth=story.date_of_birth,
            profile=story.profile,
            category=story.category,
            category_reason="Assessed at the first consultation",
            home_testing_permitted=story.profile == "US" and story.cgp,
            responsible_clinician=by,
            # A first course given at another clinic, four months before this one.
            previous_course_end=(
                story.start - timedelta(days=120) if story.pattern == RETREATMENT else None
            ),
            by=by,
            today=today,
        )
        courses = 0
        course = services.course_create(
            patient=patient,
            start=story.start,
            start_is_planned=story.pattern == PLANNED,
            weight_kg=story.weight,
            by=by,
            today=today,
        )
        courses += 1
        self.plan(story)
        records = 0
        for event in sorted(story.events, key=lambda e: e.on):
            fields = dict(event.fields)
            # Staff enter the results that outside labs send in.
            who = self.staff if event.service is services.lab_result_record else by
            event.service(course=course, date=event.on, by=who, today=today, **fields)
            records += 1
        self._corrections(story, course)
        if story.end is not None:
            services.course_update(
                course=course, status=CourseStatus.COMPLETED, end=story.end, by=by, today=today
            )
        return patient, courses, records

    def _corrections(self, story: Story, course: Course) -> None:
        today, by = self.today, self.clinician
        if story.pattern == ENTERED_IN_ERROR:
            wrong = LabResult.objects.filter(course=course, analyte="alt", value=410).first()
            services.record_mark_entered_in_error(
                record=wrong,
                reason="Result belonged to another patient (wrong MRN on the lab form).",
                by=by,
                today=today,
            )
        if story.pattern == HIGH_TRIGLYCERIDES and story.profile == "EU":
            result = LabResult.objects.filter(course=course, analyte="triglycerides").last()
            services.alert_review_record(
                course=course,
                date=result.date,
                source="lab",
                analyte="triglycerides",
                note="Diet advice given; dose kept; repeat in two weeks.",
                by=by,
                today=today,
            )


def ensure_users() -> tuple[dict[str, User], int]:
    users: dict[str, User] = {}
    created_count = 0
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@isotrack.example",
            },
        )
        user.first_name, user.last_name = spec.first_name, spec.last_name
        user.is_staff = False  # the role alone opens what a clinic admin uses of the admin
        user.is_active = True
        validate_password(DEMO_PASSWORD, user)
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=spec.role))
        users[spec.username] = user
        created_count += created
    return users, created_count


@transaction.atomic
def seed_demo_clinic(*, today: date) -> SeedResult:
    result = SeedResult()
    users, result.users_created = ensure_users()
    history = ClinicHistory(today=today, clinician=users["clinician"], staff=users["staff"])
    existing = set(Patient.objects.values_list("mrn", flat=True))
    with batch():
        for story in history.stories():
            if story.mrn in existing:
                result.patients_existing += 1
                continue
            _, courses, records = history.apply(story)
            result.patients_created += 1
            result.courses_created += courses
            result.records_created += records
    return result
