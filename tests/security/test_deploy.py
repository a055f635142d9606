"""Production settings: ``manage.py check --deploy`` reports nothing, and the development
secret key is refused."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DJANGO_DEBUG"}}
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "isotrack.example.org",
            "SITE_URL": "https://isotrack.example.org",
            **extra,
        }
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    env = production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_missing_or_loopback_site_url():
    env = production_env()
    env.pop("SITE_URL")
    missing = manage("check", "--deploy", env=env)
    assert missing.returncode != 0
    assert "SITE_URL must be set" in missing.stderr
    loopback = manage("check", "--deploy", env=production_env(SITE_URL="http://127.0.0.1:8000"))
    assert loopback.returncode != 0
    assert "loopback" in loopback.stderr


def test_the_web_server_will_not_start_with_the_development_key():
    env = production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "-c", "import tracker.config.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_sends_security_headers():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.X_FRAME_OPTIONS, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert "True True True True DENY True ('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout
