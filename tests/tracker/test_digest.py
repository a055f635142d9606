"""The clinician digest email and the ``send_digest`` command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from tests import factories
from tests.tracker.test_grid import TODAY, build_history
from tracker.models import DigestSent, WorklistEntry
from tracker.monitoring.store import course_refresh

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("send_digest", "--as-of", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def dana(db):
    """A second clinician, with no patients."""
    return factories.clinician(username="dana")


@pytest.fixture
def course(alice):
    course = build_history(alice, clinician=alice)
    course_refresh(course, today=TODAY)
    return course


def entries(course, **filters):
    return WorklistEntry.objects.filter(course=course, **filters)


def test_one_email_per_clinician_with_items_and_none_to_others(mailoutbox, course, alice, dana):
    run()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [alice.email]


def test_digest_lists_overdue_items_and_open_alerts_with_a_link(mailoutbox, course, settings):
    settings.SITE_URL = "https://clinic.example"
    run()
    text = mailoutbox[0].body
    for entry in entries(course, status="overdue"):
        assert entry.title in text
    assert "OPEN: High alert: Triglycerides, result of 5 May 2026" in text  # the label
    assert "SILVA, Ana (MRN G1)" in text
    link = f"https://clinic.example/patients/{course.patient_id}/?course={course.pk}"
    assert link in text
    html, mimetype = mailoutbox[0].alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "Overdue" in html


def test_due_soon_items_are_not_in_the_digest(mailoutbox, course):
    due_soon = entries(course, status="due_soon").first()
    assert due_soon is not None
    run()
    assert f"OVERDUE: {due_soon.title}" not in mailoutbox[0].body


def test_snoozed_and_waived_entries_are_left_out(mailoutbox, course):
    overdue = list(entries(course, status="overdue"))
    snoozed, waived = overdue[0], overdue[1]
    WorklistEntry.objects.filter(pk=snoozed.pk).update(snoozed_until=TODAY + dt.timedelta(days=3))
    WorklistEntry.objects.filter(pk=waived.pk).update(waived=True)
    run()
    body = mailoutbox[0].body
    assert f"OVERDUE: {snoozed.title}," not in body
    assert f"OVERDUE: {waived.title}," not in body
    assert f"OVERDUE: {overdue[2].title}," in body


def test_a_snooze_that_ended_before_the_digest_date_does_not_hide_the_entry(mailoutbox, course):
    entry = entries(course, status="overdue").first()
    WorklistEntry.objects.filter(pk=entry.pk).update(snoozed_until=TODAY - dt.timedelta(days=1))
    run()
    assert f"OVERDUE: {entry.title}," in mailoutbox[0].body


def test_clinician_without_an_email_address_gets_nothing(mailoutbox, course, alice):
    alice.email = ""
    alice.save()
    assert run().startswith("Sent 0 digests to 0 clinicians, 0 items")
    assert mailoutbox == []


def test_patients_of_staff_members_are_not_emailed(mailoutbox, bob):
    build_history(bob, clinician=bob, mrn="S1")  # bob is staff, not a clinician
    run()
    assert mailoutbox == []


def test_dry_run_sends_nothing(mailoutbox, course):
    output = run("--dry-run")
    assert mailoutbox == []
    assert "would have sent 1 digest to 1 clinician" in output


def test_summary_line_counts_digests_clinicians_and_items(mailoutbox, course, dana):
    wanted = entries(course, status="overdue").count() + entries(course, kind="alert").count()
    output = run()
    assert output.strip() == f"Sent 1 digest to 1 clinician, {wanted} items"


def test_each_clinician_gets_only_their_own_patients(mailoutbox, course, dana):
    build_history(dana, clinician=dana, mrn="D1")
    run()
    assert len(mailoutbox) == 2
    by_recipient = {m.to[0]: m.body for m in mailoutbox}
    assert "(MRN G1)" in by_recipient["alice@clinic.example"]
    assert "(MRN D1)" not in by_recipient["alice@clinic.example"]
    assert "(MRN D1)" in by_recipient["dana@clinic.example"]


def test_a_second_run_the_same_day_sends_nothing_more(mailoutbox, course):
    from tracker.monitoring.digest import send_digests

    first = send_digests()
    second = send_digests()
    assert first.digests >= 1
    assert second.digests == 0
    assert len(mailoutbox) == first.digests


def test_force_sends_again(mailoutbox, course):
    from tracker.monitoring.digest import send_digests

    send_digests()
    again = send_digests(force=True)
    assert again.digests >= 1
    assert len(mailoutbox) == 2 * again.digests


def test_no_digest_goes_out_with_links_to_a_loopback_address_in_production(
    mailoutbox, course, settings
):
    # Production (DEBUG off) without SITE_URL: links would point at the reader's own computer.
    settings.DEBUG = False
    settings.TESTING = False
    settings.SITE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        run()
    assert not mailoutbox
    assert not DigestSent.objects.exists()
