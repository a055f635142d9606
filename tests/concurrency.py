"""Requests at the same moment, each on its own database connection.

Each call runs in its own thread (Django gives every thread its own connection), and a barrier
releases them together, so both reach the critical section before either has committed.
Tests using this need ``django_db(transaction=True)``: the other connections see only
committed rows.

SQLite takes one writer at a time, and the test database (shared in memory) refuses a second
writer at once ("database table is locked") instead of letting it wait. There the calls still
run on their own connections, released together, but one after the other: the second sees
what the first committed. On PostgreSQL they truly overlap.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from contextlib import nullcontext

from django.apps import apps
from django.db import connection, connections

from tracker.monitoring.rulesets import clear_cache

TIMEOUT_SECONDS = 60


def run_together(*calls: Callable[[], object]) -> list:
    """Run ``calls`` at once, one thread and connection each; their results in order."""
    barrier = threading.Barrier(len(calls))
    one_at_a_time = threading.Lock() if connection.vendor == "sqlite" else nullcontext()
    results: list = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(TIMEOUT_SECONDS)
            with one_at_a_time:
                results[index] = call()
        except BaseException as error:  # reported in the test's own thread below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request did not finish"
    if failures:
        raise failures[0]
    return results


def load_default_rules_if_missing() -> None:
    """A transactional test ends by emptying the database. The role groups come back through
    ``post_migrate``; the default rule set, loaded by a data migration, is loaded again here."""
    from tracker.models import MonitoringRule

    if not MonitoringRule.objects.exists():
        migration = importlib.import_module("tracker.migrations.0003_default_rule_set")
        migration.load_defaults(apps, None)
    clear_cache()
