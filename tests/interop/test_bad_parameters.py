"""Bad GET parameters on the lab inbox, a received result and the FHIR export: a 400 or
ignored, never a server error (the same values as tests/security/test_get_fuzz.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.interop.conftest import receive, sample
from tests.security.test_get_fuzz import ALWAYS, BAD_VALUES, fuzz
from tracker.interop.models import InboundResult

pytestmark = pytest.mark.django_db


def test_the_inbox_its_results_and_the_export_never_fail_on_bad_parameters(bob, olu):
    receive(sample("nhs_pathology_mmol_l.hl7"))
    client = Client(raise_request_exception=False)
    client.force_login(bob)
    result = InboundResult.objects.filter(state="queued").first()
    for url in (
        reverse("interop:queue"),
        reverse("interop:queue_item", args=[result.pk]),
        reverse("fhir:patient_everything", args=[olu.pk]),
    ):
        assert fuzz(client, url) >= len(BAD_VALUES) * len(ALWAYS)
