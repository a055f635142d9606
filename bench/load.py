"""Load test of the worklist: gunicorn on 127.0.0.1, wrk for 60 seconds, logged-in sessions.

    .venv/bin/python bench/load.py                      # 2 sync workers, wrk -t2 -c16
    .venv/bin/python bench/load.py --workers 4 --threads 1 --duration 30

Needs Debian's wrk (apt-get install -y wrk) and the benchmark database (bench/build.py).
Only 127.0.0.1 is ever targeted. gunicorn is started here and stopped at the end, whatever
happens; wrk is bounded by its duration (and a timeout).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

HOST = "127.0.0.1"
SESSIONS = 32  # one user's requests spread over several sessions, as several browser tabs

LUA = """
local cookies = {%s}
local n = 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) bad = 0 end
request = function()
  n = n + 1
  return wrk.format("GET", "%s", {["Cookie"] = cookies[(n %% #cookies) + 1]})
end
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("Non-200 responses: %%d\\n", total))
end
"""


def session_cookies(count: int) -> list[str]:
    """Session and CSRF cookies of the benchmark's staff user, as a browser sends them after
    logging in and opening a page."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    staff = User.objects.get(username="bench-staff")
    names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    cookies = []
    for _ in range(count):
        client = Client()
        client.force_login(staff)
        client.get("/about/")
        cookies.append("; ".join(f"{name}={client.cookies[name].value}" for name in names))
    return cookies


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_until_up(url: str, cookie: str, timeout: float = 30) -> None:
    """Wait for gunicorn, and check the session is accepted: the worklist itself, no redirect."""
    opener = urllib.request.build_opener(_NoRedirect)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with opener.open(urllib.request.Request(url, headers={"Cookie": cookie})) as response:
                if b"worklist" not in response.read():
                    raise SystemExit(f"{url} answered, but not with the worklist")
                return
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{url} answered {error.code}: the session was refused") from None
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync", help="sync or gthread.")
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=1000,
        help="gthread: most connections one worker keeps open (gunicorn's default 1000).",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=60, help="Seconds of load (at most 120).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--path", default="/", help="Page to load, e.g. '/?status=overdue'.")
    args = parser.parse_args()
    duration = min(args.duration, 120)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    env = {**os.environ, **common.environment()}
    common.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    autovacuum = common.vacuum()
    cookies = session_cookies(SESSIONS)
    url = f"http://{HOST}:{args.port}{args.path}"
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tracker.config.wsgi",
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            args.worker_class,
            "--worker-connections",
            str(args.worker_connections),
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=common.ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(url, cookies[0])
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            quoted = ", ".join(f'"{c}"' for c in cookies)
            script.write(LUA % (quoted, args.path))
        # Warm-up: every worker loads its code and opens its database connection.
        subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", "-d5s", "-s", script.name, url],
            check=True,
            capture_output=True,
            timeout=30,
        )
        command = [
            "wrk", "-t2", f"-c{args.connections}", f"-d{duration}s", "--latency",
            "--timeout", "10s", "-s", script.name, url,
        ]  # fmt: skip
        load = os.getloadavg()[0]
        out = subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=duration + 60
        ).stdout
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    print(
        f"gunicorn --workers {args.workers} --threads {args.threads} --worker-class "
        f"{args.worker_class} --worker-connections {args.worker_connections}; {' '.join(command)}"
    )
    print(f"load average before the run: {load:.2f} ({os.cpu_count()} CPUs)")
    print(f"VACUUM ANALYZE done first (the server's autovacuum is {autovacuum})")
    print(out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_200 = int(re.search(r"Non-200 responses: (\d+)", out).group(1))
    found = re.search(r"Socket errors: (.*)", out)
    socket = found.group(1) if found else "none"
    print(f"requests/s {rate:.1f}; non-200 {non_200}; socket errors {socket}")


if __name__ == "__main__":
    main()
