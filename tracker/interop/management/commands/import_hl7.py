"""Import HL7 v2 ORU^R01 files from a lab's file drop: each message is stored, answered as the
listener would (printed), and processed."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.interop import hl7v2, services, tasks
from tracker.interop.models import Transport


class Command(BaseCommand):
    help = "Import HL7 v2 ORU^R01 result files (one or more messages each)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files, **options):
        refused = 0
        for path in files:
            try:
                text = hl7v2.decode(path.read_bytes())
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            for message in hl7v2.split_messages(text):
                receipt = services.receive_hl7(text=message, transport=Transport.FILE)
                tasks.enqueue_processing(receipt)
                refused += receipt.code != "AA"
                reason = f": {receipt.reason}" if receipt.reason else ""
                self.stdout.write(f"{path}: {receipt.code}{reason}")
        if refused:
            raise CommandError(f"{refused} message(s) were not accepted (AE or AR above).")
