"""Load the demo clinic: a login per role and about fifty patients with current histories.

Safe to run again: users are matched by username and patients by MRN, nothing is created twice.
Refuses to run when DEBUG is off (a production database) unless ``--force`` is given.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.monitoring.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo_clinic


class Command(BaseCommand):
    help = "Create demo users and patients (development only; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo adds demo patients and known passwords: it only runs with "
                "DJANGO_DEBUG=1. Use --force to load them into this database anyway."
            )
        result = seed_demo_clinic(today=timezone.localdate())
        self.stdout.write(
            f"Demo clinic: {result.patients_created} patient(s) created "
            f"({result.courses_created} course(s), {result.records_created} record(s)), "
            f"{result.patients_existing} already there; "
            f"{result.users_created} user(s) created."
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<10} {user.role}")
