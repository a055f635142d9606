"""The one way from a write in ``patients`` to monitoring: ``course_changed``.

A service that changes what a course's monitoring depends on (a record, the course, its
patient) calls ``course_changed(course, today=…)`` once it has saved. Monitoring (the
``tracker`` app) registers the function that re-evaluates courses and stores the result, in
its ``AppConfig.ready()``; ``patients`` never imports it. With nothing registered a write fails
loudly: monitoring is never skipped silently.

Re-evaluation happens once per write, at its end, inside its transaction. The write services
are wrapped in ``batch()`` (a context manager and a decorator): inside it ``course_changed``
only notes the course, and when the outermost ``batch()`` ends, each noted course is
re-evaluated once. So a visit that saves six records, or the review of an alert that also
records an alert review, evaluates the course once. Loaders that write many records (the demo
clinic, scenario files) wrap them all in one ``batch()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

# Re-evaluates the courses with these ids as of a date and stores the result.
Reevaluate = Callable[[Iterable[int], date], object]

_registered: list[Reevaluate] = []
# The courses noted by the write under way (course id -> its latest "today"), or None.
_pending: ContextVar[dict[int, date] | None] = ContextVar("courses_changed", default=None)


def register(reevaluate: Reevaluate) -> None:
    """Called once, by monitoring's ``AppConfig.ready()``."""
    _registered[:] = [reevaluate]


def _reevaluate(course_ids: list[int], today: date) -> None:
    if not _registered:
        raise ImproperlyConfigured(
            "No monitoring re-evaluation is registered (patients.reevaluation.register): "
            "is the tracker app installed? A clinical write is refused rather than left "
            "unmonitored."
        )
    _registered[0](course_ids, today)


def course_changed(course, *, today: date | None = None) -> None:
    """Re-evaluate the course's monitoring now, or at the end of the write under way."""
    today = today or timezone.localdate()
    pending = _pending.get()
    if pending is None:
        _reevaluate([course.pk], today)
        return
    pending[course.pk] = max(today, pending.get(course.pk, today))


@contextmanager
def batch() -> Iterator[None]:
    """Note the courses changed inside; re-evaluate each once when the outermost block ends
    (not when it ends with an exception: the write is then undone)."""
    if _pending.get() is not None:
        yield  # nested: the outermost block re-evaluates
        return
    pending: dict[int, date] = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    by_day: dict[date, list[int]] = {}
    for course_id, day in pending.items():
        by_day.setdefault(day, []).append(course_id)
    for day, course_ids in sorted(by_day.items()):
        _reevaluate(sorted(course_ids), day)
