"""Email each clinician the overdue items and open alerts of their patients."""

from datetime import date

from django.core.management.base import BaseCommand

from tracker.monitoring.digest import send_digests


class Command(BaseCommand):
    help = "Email each clinician a digest of their patients' overdue items and open alerts."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, help="Digest date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Build the digests, send none.")
        parser.add_argument(
            "--force", action="store_true", help="Send again to clinicians already sent today."
        )

    def handle(self, *args, as_of=None, dry_run=False, force=False, **options):
        result = send_digests(as_of=as_of, dry_run=dry_run, force=force)
        line = str(result)
        self.stdout.write(f"Dry run: would have {line[0].lower()}{line[1:]}" if dry_run else line)
