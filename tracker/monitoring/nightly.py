"""The nightly refresh of every course: in this process, or shared between several (PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from datetime import date

from django.db import connection
from django.utils import timezone

from tracker.monitoring import refresh_worker
from tracker.monitoring.store import RefreshResult, all_course_ids, batches, refresh_courses


def refresh_all(
    *,
    today: date | None = None,
    batch_size: int = 500,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
) -> RefreshResult:
    """Re-evaluate every course (see ``refresh_courses``); with ``processes`` > 1 the batches
    are shared between that many worker processes, each with its own database connection."""
    today = today or timezone.localdate()
    if processes <= 1:
        return refresh_courses(today=today, batch_size=batch_size, write=write, progress=progress)
    ids = all_course_ids()
    total = RefreshResult()
    context = multiprocessing.get_context("spawn")
    name = connection.settings_dict["NAME"]
    jobs = [(batch, today, write) for batch in batches(ids, batch_size)]
    with context.Pool(processes, initializer=refresh_worker.start, initargs=(name,)) as pool:
        for part in pool.imap_unordered(refresh_worker.run, jobs):
            total.add(part)
            if progress is not None:
                progress(total.courses, len(ids))
    return total
