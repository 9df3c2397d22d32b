"""The nightly command rebuilds summaries and norms and drops old rate-limit counters."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments.models import AllianceSummary, FormNorms, Throttle
from clinicians.models import Patient, User

from .test_caseload import rate

pytestmark = pytest.mark.django_db


def test_refresh_rebuilds_summaries_and_sweeps_old_counters(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 5])
    AllianceSummary.objects.all().delete()  # as if lost: it is derived data
    old = Throttle.objects.create(
        key="kiosk-device:1", window_start=timezone.now() - timedelta(days=2), count=3
    )
    fresh = Throttle.objects.create(key="kiosk-device:1", window_start=timezone.now(), count=1)
    out = StringIO()
    call_command("refresh_alliance", stdout=out)
    summary = AllianceSummary.objects.get(patient=client_a1)
    assert summary.total_pomp == 100
    assert summary.trend == [75.0, 100.0]
    # Norms count clients, not questionnaires: one client with two questionnaires is one.
    assert FormNorms.objects.filter(form_code="wai-sr-client", n=1).exists()
    assert not Throttle.objects.filter(pk=old.pk).exists()
    assert Throttle.objects.filter(pk=fresh.pk).exists()
    assert "Old rate-limit counters removed: 1" in out.getvalue()
    call_command("refresh_alliance", stdout=StringIO())  # twice: the same result
    assert AllianceSummary.objects.get(patient=client_a1).total_pomp == 100
