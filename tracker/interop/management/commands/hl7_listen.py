"""Listen for HL7 v2 ORU^R01 messages over MLLP (see docs/operations.md)."""

import asyncio

from django.core.management.base import BaseCommand

from tracker.interop import mllp


class Command(BaseCommand):
    help = "Listen for HL7 v2 results over MLLP; each message is stored, then acknowledged."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=mllp.IDLE_SECONDS,
            help="Close a connection silent for this long.",
        )

    def handle(self, *args, port, host, idle_seconds, **options):
        self.stdout.write(f"Listening for HL7 v2 over MLLP on {host}:{port}")
        try:
            asyncio.run(mllp.serve_forever(host, port, idle_seconds=idle_seconds))
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
