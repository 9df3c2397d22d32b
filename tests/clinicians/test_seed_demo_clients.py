"""seed_demo's clients: about forty, on the two demo therapists, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from clinicians.access import patients_visible_to
from clinicians.models import CaseAssignment, Patient, User

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_about_forty_clients_across_both_demo_therapists() -> None:
    call_command("seed_demo", stdout=StringIO())
    assert Patient.objects.count() == 40
    rivera = User.objects.get(email="rivera@demo.alliance.test")
    chen = User.objects.get(email="chen@demo.alliance.test")
    sizes = (patients_visible_to(rivera).count(), patients_visible_to(chen).count())
    assert sum(sizes) == 40 and min(sizes) >= 15


def test_running_it_twice_adds_no_client_and_no_assignment() -> None:
    call_command("seed_demo", stdout=StringIO())
    before = (Patient.objects.count(), CaseAssignment.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Patient.objects.count(), CaseAssignment.objects.count()) == before
