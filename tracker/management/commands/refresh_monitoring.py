"""Nightly re-evaluation of every course: date-driven status changes (due soon, overdue).

Idempotent, and safe to run twice at the same time (each batch locks its courses).
``--check`` recomputes everything without writing and exits non-zero, listing each
difference, when the stored state has drifted.
"""

import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tracker.monitoring.nightly import refresh_all


class Command(BaseCommand):
    help = "Re-evaluate every course and store its monitoring state."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report drift, write nothing.")
        parser.add_argument("--as-of", type=date.fromisoformat, help="Evaluation date.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="Share the batches between this many processes (PostgreSQL; e.g. 2 on 2 cores).",
        )

    def handle(self, *args, check=False, as_of=None, batch_size=500, processes=1, **options):
        if processes > 1 and connection.vendor == "sqlite":
            raise CommandError("--processes needs PostgreSQL: SQLite takes one writer at a time.")
        tty = sys.stdout.isatty() and options.get("verbosity", 1) > 0
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if tty:
                width = 30
                filled = int(width * done / total) if total else width
                self.stdout.write(
                    f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} courses",
                    ending="",
                )
                self.stdout.flush()

        result = refresh_all(
            today=as_of,
            batch_size=batch_size,
            write=not check,
            progress=progress,
            processes=processes,
        )
        if tty:
            self.stdout.write("")
        seconds = time.perf_counter() - started
        rate = result.courses / seconds if seconds else 0
        if check:
            if result.differences:
                for line in result.differences:
                    self.stdout.write(line)
                raise CommandError(
                    f"Stored monitoring state has drifted: {len(result.differences)} difference(s)."
                )
            self.stdout.write(f"No drift: {result.courses} courses checked in {seconds:.1f} s.")
            return
        self.stdout.write(
            f"Refreshed {result.courses} courses in {seconds:.1f} s ({rate:.0f}/s): "
            f"{result.changed_items} item(s), {result.changed_alerts} alert(s) and "
            f"{result.changed_courses} course summary(ies) changed."
        )
