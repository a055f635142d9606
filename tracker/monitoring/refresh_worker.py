"""Worker processes of ``tracker.monitoring.nightly.refresh_all(processes=N)``.

Started with "spawn" (never fork: a threaded parent could deadlock a forked child), so this
module imports nothing from Django until the worker has set Django up.
"""

from __future__ import annotations

from datetime import date


def start(database_name: str) -> None:
    import django

    django.setup()
    from django.db import connections

    # The parent's database may have been renamed at run time (a test database).
    connections["default"].settings_dict["NAME"] = database_name


def run(args: tuple[list[int], date, bool]):
    from tracker.monitoring.store import refresh_batch  # once Django is set up (``start``)

    return refresh_batch(*args)
