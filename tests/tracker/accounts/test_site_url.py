"""Emailed links use SITE_URL; production refuses a missing or loopback one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tracker.config.checks import site_url_check
from tracker.site_url import site_url, site_url_problem


@pytest.mark.parametrize(
    "value",
    [
        "",
        "http://127.0.0.1:8000",
        "http://127.1.2.3",
        "https://localhost",
        "https://LOCALHOST:8443/",
        "https://app.localhost",
        "http://[::1]:8000",
        "ftp://isotrack.clinic.example",
        "isotrack.clinic.example",
        "https://",
    ],
)
def test_production_refuses_a_missing_loopback_or_malformed_site_url(value):
    assert site_url_problem(value, production=True)


@pytest.mark.parametrize(
    "value", ["https://isotrack.clinic.example", "https://10.1.2.3:8443", "http://clinic.lan/"]
)
def test_production_accepts_the_address_users_reach(value):
    assert site_url_problem(value, production=True) is None


def test_development_may_leave_it_unset_or_loopback():
    assert site_url_problem("", production=False) is None
    assert site_url_problem("http://127.0.0.1:8000", production=False) is None


def test_the_deploy_check_reports_a_loopback_site_url(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    (error,) = site_url_check(None)
    assert error.id == "isotrack.E002"
    assert "loopback" in error.msg
    with pytest.raises(ImproperlyConfigured):
        site_url()


def test_a_trailing_slash_is_dropped(settings):
    settings.SITE_URL = "https://isotrack.clinic.example/"
    assert site_url() == "https://isotrack.clinic.example"
