from __future__ import annotations

import pytest
from django.test import Client

from tests import factories
from tests.two_factor import verify_session


@pytest.fixture
def alice(db):
    """A clinician."""
    return factories.clinician(username="alice")


@pytest.fixture
def bob(db):
    """A member of clinic staff."""
    return factories.staff(username="bob")


@pytest.fixture
def carol(db):
    """A clinic admin."""
    return factories.clinic_admin(username="carol")


@pytest.fixture
def mallory(db):
    """Someone with a login but no role in this clinic."""
    return factories.UserFactory(username="mallory")


@pytest.fixture(autouse=True)
def fresh_rule_cache():
    """Each test starts from the rule rows in its own database, not a cached rule set."""
    from tracker.monitoring.rulesets import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def force_login_gives_the_second_factor(monkeypatch):
    """``Client.force_login`` skips the password; here it also skips the second factor, as if
    the user had just given a code (a confirmed authenticator is made for those who need one).
    Tests of two-factor sign-in itself log in through the login form."""
    force_login = Client.force_login

    def login_and_verify(self, user, backend=None):
        force_login(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", login_and_verify)
