from __future__ import annotations

import pytest

from tests import factories


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
    from tracker.rulesets import clear_cache

    clear_cache()
    yield
    clear_cache()
