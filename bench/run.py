"""Measure the pages, the write path and the nightly refresh on the benchmark database.

    .venv/bin/python bench/build.py --courses 10000     # once
    .venv/bin/python bench/run.py                       # the table; JSON in bench/results/

Pages are requested in-process through Django's test client as a logged-in member of clinic
staff, with production settings (DEBUG off), after warm-up requests. Times are wall-clock
milliseconds; p95 is the 95th percentile of the timed runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FILTERED = "?status=overdue&profile=US"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def timed(call, *, runs: int, warmup: int = 5, before=None) -> dict:
    """Median and p95 of ``runs`` calls; ``before`` (not timed) runs before each call."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "runs": runs,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
    }


def page(client, url: str):
    def call():
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"

    return call


def queries_of(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def stored_yesterday(course):
    """Around a call: the course's stored state dated a day back (restored after), so the
    patient page evaluates it in memory, as after a change of the rules or before the nightly
    refresh of a new day."""
    from django.db import connection

    def around(call):
        def wrapped():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE tracker_coursemonitoring SET evaluated_on = evaluated_on - 1 "
                    "WHERE course_id = %s",
                    [course.pk],
                )
            try:
                call()
            finally:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE tracker_coursemonitoring SET evaluated_on = evaluated_on + 1 "
                        "WHERE course_id = %s",
                        [course.pk],
                    )

        return wrapped

    return around


def busiest_patient():
    """The open course with the most clinical rows (the heaviest patient page)."""
    from django.db.models import Count

    from patients.models import Course

    course = (
        Course.objects.filter(status="active")
        .annotate(n=Count("visits", distinct=True))
        .order_by("-n", "pk")
        .select_related("patient")
        .first()
    )
    return course


def worklist_rows_sql(today, data: dict):
    """The SQL (and parameters) of the rows of the worklist's first page, as the view runs it."""
    from tracker.monitoring.selectors import worklist_entries
    from tracker.web.filters import WorklistFilter
    from tracker.web.views import WORKLIST_PAGE_SIZE

    filterset = WorklistFilter(data, queryset=worklist_entries(), today=today)
    return filterset.qs[:WORKLIST_PAGE_SIZE].query.sql_with_params()


def bare_sql(sql: str, params):
    from django.db import connection

    def call():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        assert rows

    return call


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def lab_write(courses, by, today):
    """Record one ALT result through the service, rolled back so the data stay as built."""
    from django.db import transaction

    from patients.services import lab_result_record

    position = {"i": 0}

    def call():
        course = courses[position["i"] % len(courses)]
        position["i"] += 1
        with transaction.atomic():
            lab_result_record(
                course=course, date=today, analyte="alt", value="31", unit="U/L", uln="40", by=by
            )
            transaction.set_rollback(True)

    return call


def refresh_child(limit: int | None, as_of: str | None) -> None:
    """Run in a separate process: refresh ``limit`` courses, print seconds and peak RSS."""
    import resource
    from datetime import date

    from patients.models import Course
    from tracker.monitoring.store import refresh_courses

    ids = list(Course.objects.order_by("pk").values_list("pk", flat=True))
    if limit:
        ids = ids[:limit]
    started = time.perf_counter()
    result = refresh_courses(course_ids=ids, today=date.fromisoformat(as_of) if as_of else None)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    changed = result.changed_items + result.changed_alerts + result.changed_courses
    print(json.dumps({"courses": result.courses, "seconds": seconds, "peak_rss_mb": peak_mb,
                      "changed_rows": changed}))  # fmt: skip


def run_child(*args: str) -> dict:
    """A refresh in a child process, started vacuumed (see ``main``)."""
    common.vacuum()
    env = {**os.environ, **common.environment()}
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def refresh_command(*options: str) -> tuple[str, float]:
    """``manage.py refresh_monitoring`` as cron runs it (no terminal): its one-line summary.
    Started vacuumed (see ``main``)."""
    common.vacuum()
    env = {**os.environ, **common.environment()}
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(common.ROOT / "manage.py"), "refresh_monitoring", *options],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip(), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="Timed runs per page.")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--refresh-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()

    common.setup()
    if args.refresh_child is not None:
        refresh_child(args.refresh_child, args.as_of)
        return

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from patients.models import Course

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    autovacuum = common.vacuum()
    today = timezone.localdate()
    n = Course.objects.filter(status="active").count()
    staff = User.objects.get(username="bench-staff")
    client = Client()
    client.force_login(staff)
    course = busiest_patient()
    patient_url = reverse("patients:detail", args=[course.patient_id])
    home = reverse("home")

    results: dict = {"courses": n, "today": today.isoformat(), "rows": {}, "queries": {}}
    rows = results["rows"]
    print(f"{n} active courses; patient page {patient_url} ({course.visits.count()} visits)")
    print(f"VACUUM ANALYZE done first (the server's autovacuum is {autovacuum})")

    for label, url in (("first page", home), ("filtered page", home + FILTERED)):
        rows[f"worklist, {label}"] = timed(page(client, url), runs=args.runs)
    for label, data in (("first page", {}), ("filtered page", {"status": ["overdue"],
                                                                 "profile": "US"})):  # fmt: skip
        sql, params = worklist_rows_sql(today, data)
        rows[f"bare SQL, worklist {label} rows"] = timed(bare_sql(sql, params), runs=args.runs)
        results[f"explain {label}"] = explain(sql, params)
    # The floor of any page: session, user, middleware and the page layout, no data at all.
    rows["floor: a page with no data (/about/)"] = timed(
        page(client, reverse("about")), runs=args.runs
    )
    rows["patient page"] = timed(page(client, patient_url), runs=args.runs)
    rows["patient page, evaluated in memory"] = timed(
        stored_yesterday(course)(page(client, patient_url)), runs=args.runs
    )

    scratch = list(
        Course.objects.filter(status="active").select_related("patient").order_by("?")[:50]
    )
    rows["lab result recorded (service, re-evaluation)"] = timed(
        lab_write(scratch, staff, today), runs=args.runs
    )

    results["queries"] = {
        "worklist, first page": queries_of(page(client, home)),
        "worklist, filtered page": queries_of(page(client, home + FILTERED)),
        "worklist, page 3": queries_of(page(client, home + "?page=3")),
        "patient page": queries_of(page(client, patient_url)),
        "lab result recorded": queries_of(lab_write(scratch[:1], staff, today)),
    }

    if not args.skip_refresh:
        # Each run starts vacuumed (run_child, refresh_command): a nightly run follows a day in
        # which autovacuum has cleared the previous night's dead rows (here each run rewrites
        # thousands of rows minutes after the last, and the server's autovacuum may be off).
        half = run_child("--refresh-child", str(n // 2))
        full = run_child("--refresh-child", "0")
        tomorrow = (today + timedelta(days=1)).isoformat()
        nightly = run_child("--refresh-child", "0", "--as-of", tomorrow)
        back = run_child("--refresh-child", "0", "--as-of", today.isoformat())
        summary, seconds = refresh_command()
        # Two processes, as the nightly run is documented: today, then the next day's changes
        # (and back, so the data stay as built).
        two, _ = refresh_command("--processes", "2")
        two_nightly, _ = refresh_command("--processes", "2", "--as-of", tomorrow)
        refresh_command("--processes", "2")
        results["refresh"] = {
            "half": half,
            "full": full,
            "next_day": nightly,
            "back_to_today": back,
            "command": summary,
            "command_seconds": seconds,
            "command, 2 processes": two,
            "command, 2 processes, next day": two_nightly,
        }

    print()
    print(f"{'measure':48} {'runs':>5} {'median ms':>10} {'p95 ms':>8}")
    for label, row in rows.items():
        print(f"{label:48} {row['runs']:>5} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}")
    print()
    print(
        "SQL queries per request: " + ", ".join(f"{k} {v}" for k, v in results["queries"].items())
    )
    if "refresh" in results:
        r = results["refresh"]
        for label in ("half", "full", "next_day", "back_to_today"):
            part = r[label]
            print(
                f"refresh {label:13} {part['courses']:>6} courses {part['seconds']:6.1f} s "
                f"{part['courses'] / part['seconds']:6.0f}/s  peak RSS {part['peak_rss_mb']:.0f} MB"
                f"  changed rows {part['changed_rows']}"
            )
        print(f"manage.py refresh_monitoring: {r['command']}")
        print(f"manage.py refresh_monitoring --processes 2: {r['command, 2 processes']}")
        print(
            "manage.py refresh_monitoring --processes 2 --as-of tomorrow: "
            + r["command, 2 processes, next day"]
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"run-{n}-{stamp}.json").write_text(json.dumps(results, indent=2))
    print("\nEXPLAIN ANALYZE, worklist first page rows:\n" + results["explain first page"])


if __name__ == "__main__":
    main()
