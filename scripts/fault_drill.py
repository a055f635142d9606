#!/usr/bin/env python
"""Fault drill: restart PostgreSQL under write load and prove nothing acknowledged is lost.

Run from the project root on a machine with a local PostgreSQL (see docs/operations.md):

    .venv/bin/python scripts/fault_drill.py [--seconds 40] [--outage 5]

It builds a scratch database (isotrack_drill), serves it with gunicorn on 127.0.0.1, writes lab
results through the web form from several threads, stops PostgreSQL for a few seconds in the
middle and starts it again, then checks that every write the app acknowledged (a redirect after
the POST) is in the database. It also takes a pg_dump backup and restores it into a second
scratch database, comparing row counts. Only loopback addresses are used; it stops by itself.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
DB = "isotrack_drill"
RESTORED = "isotrack_drill_restore"
PORT = 8300
BASE = f"http://127.0.0.1:{PORT}"


def pg_cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True
    )


def psql(sql: str, db: str = "postgres") -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def app_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env.update(
        DATABASE_URL=f"{PG}/{DB}",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DATABASE_CONN_MAX_AGE="60",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


class Session:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(BASE + path))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}, doseq=True)
        request = urllib.request.Request(
            BASE + path, data=body.encode(), headers={"Referer": BASE + path}
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            return 0, str(error)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def login(username: str, password: str) -> Session:
    session = Session()
    session.get("/accounts/login/")
    status, _ = session.post("/accounts/login/", {"username": username, "password": password})
    if status != 302:
        raise SystemExit(f"login failed ({status})")
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40, help="length of the write load")
    parser.add_argument("--outage", type=int, default=5, help="seconds PostgreSQL stays down")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    env = app_env()
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    manage("migrate", "--noinput", "-v0", env=env)
    manage("seed_demo", "--force", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    course = psql(
        "SELECT c.id, c.patient_id FROM patients_course c WHERE c.status = 'active' "
        "ORDER BY c.id LIMIT 1",
        DB,
    )
    course_id, patient_id = course.split("|")
    url = f"/patients/{patient_id}/courses/{course_id}/add/lab-result/"

    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "tracker.config.wsgi",
            "--workers",
            "2",
            "--threads",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    acknowledged: list[str] = []
    acknowledged_at: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(BASE + "/about/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        stop_at = time.monotonic() + args.seconds

        def writer(n: int) -> None:
            session = login("clinician", "isotrack-demo-1")
            i = 0
            while time.monotonic() < stop_at:
                i += 1
                marker = f"drill-{n}-{i}"
                status, body = session.post(
                    url,
                    {
                        "date": time.strftime("%Y-%m-%d"),
                        "analyte": "alt",
                        "value": "21",
                        "unit": "U/L",
                        "uln": "40",
                        "notes": marker,
                    },
                )
                with lock:
                    outcomes[str(status)] += 1
                    if status == 302:
                        acknowledged.append(marker)
                        acknowledged_at.append(time.monotonic())
                if status == 403 and "CSRF" in body:
                    session = login("clinician", "isotrack-demo-1")
                if status != 302:
                    time.sleep(0.2)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.threads)]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 3)
        down_at = time.monotonic()
        pg_cluster("stop")
        time.sleep(args.outage)
        pg_cluster("start")
        up_at = time.monotonic()
        for thread in threads:
            thread.join()
        # Recovered when the first write after PostgreSQL came back was acknowledged.
        recovered_at = min((t for t in acknowledged_at if t > up_at), default=None)
    finally:
        server.terminate()
        server.wait(timeout=20)

    stored = set(
        psql("SELECT notes FROM patients_labresult WHERE notes LIKE 'drill-%'", DB).split()
    )
    missing = [m for m in acknowledged if m not in stored]
    print(f"writes acknowledged: {len(acknowledged)}; outcomes by HTTP status: {dict(outcomes)}")
    print(f"PostgreSQL down for {up_at - down_at:.1f} s")
    if recovered_at:
        print(f"first acknowledged write {recovered_at - up_at:.2f} s after PostgreSQL started")
    print(f"acknowledged writes missing afterwards: {len(missing)}")

    dump = ROOT / "bench" / "results" / "drill.dump"
    dump.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-Fc", "-f", str(dump), DB], check=True
    )
    psql(f"DROP DATABASE IF EXISTS {RESTORED}")
    psql(f"CREATE DATABASE {RESTORED}")
    subprocess.run(
        ["pg_restore", "-h", "127.0.0.1", "-U", "postgres", "-d", RESTORED, str(dump)],
        check=True,
    )
    counts = [psql("SELECT count(*) FROM patients_labresult", name) for name in (DB, RESTORED)]
    print(
        f"backup: {dump.stat().st_size / 1024:.0f} KiB; lab results {counts[0]} → restored "
        f"{counts[1]}"
    )
    psql(f"DROP DATABASE IF EXISTS {RESTORED}")
    if missing or counts[0] != counts[1] or recovered_at is None:
        raise SystemExit("FAILED: see above")
    print("drill passed")


if __name__ == "__main__":
    main()
