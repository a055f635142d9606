"""Shared start-up of the benchmark scripts: environment, database and Django."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/isotrack_bench"
# Databases the tests and CI use: the benchmark never touches them.
PROTECTED = {"isotrack", "test_isotrack"}
# One key per run, shared by this process and the servers it starts (sessions must verify).
_SECRET_KEY = secrets.token_urlsafe(50)


def environment() -> dict[str, str]:
    """Production-like settings for timing (DEBUG off, no SSL redirect on loopback)."""
    env = {
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or _SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
    }
    name = urlparse(env["DATABASE_URL"]).path.lstrip("/")
    if name in PROTECTED:
        raise SystemExit(f"Refusing to benchmark against the {name!r} database.")
    return env


def setup() -> None:
    os.environ.update(environment())
    os.environ.pop("PYTEST_VERSION", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _connect(dbname: str | None = None):
    """An autocommit connection to the benchmark's server (its database unless ``dbname``)."""
    import psycopg2

    url = urlparse(environment()["DATABASE_URL"])
    conn = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        dbname=dbname or url.path.lstrip("/"),
    )
    conn.autocommit = True
    return conn


def ensure_database(*, fresh: bool) -> None:
    """Create the benchmark database (dropped first with ``fresh``)."""
    name = urlparse(environment()["DATABASE_URL"]).path.lstrip("/")
    conn = _connect("postgres")
    with conn.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def vacuum() -> str:
    """VACUUM ANALYZE the benchmark database, as autovacuum would have done by now.

    The refresh runs rewrite thousands of worklist rows; with autovacuum off (as on some
    development servers) the dead rows stay, the planner's statistics go stale and the
    worklist's counts stop being read from the index alone. Returns the server's autovacuum
    setting, for the report.
    """
    conn = _connect()
    with conn.cursor() as cur:
        cur.execute("SHOW autovacuum")
        setting = cur.fetchone()[0]
        cur.execute("VACUUM ANALYZE")
    conn.close()
    return setting
