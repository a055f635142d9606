"""Import FHIR R4 Bundles of Observations: the same matching and queue as HL7 results."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.interop import services, tasks


class Command(BaseCommand):
    help = "Import FHIR R4 Bundles (JSON) of lab Observations."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--sender", default="", help="The sending lab, when the bundle's meta.source is empty."
        )

    def handle(self, *args, files, sender, **options):
        refused = 0
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from None
            receipt = services.receive_fhir(text=text, sender=sender)
            tasks.enqueue_processing(receipt)
            refused += receipt.code != "AA"
            reason = f": {receipt.reason}" if receipt.reason else ""
            self.stdout.write(f"{path}: {receipt.code}{reason}")
        if refused:
            raise CommandError(f"{refused} bundle(s) were not accepted.")
