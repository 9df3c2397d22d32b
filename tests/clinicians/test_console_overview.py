"""The console's overview: caseload balance and totals."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians import services
from clinicians.models import Patient, User
from clinicians.selectors import caseload_balance
from tests.clinicians.conftest import many_clients
from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def test_the_balance_counts_active_clients_per_therapist(
    admin_a: User, therapist_a1: User, therapist_a2: User, clients: dict[str, Patient]
) -> None:
    many_clients(admin_a.clinic, 3, therapist_a1)
    make_client(admin_a.clinic, "U-1")  # unassigned
    services.patient_discharge(actor=admin_a, patient=clients["colleagues"])
    balance = caseload_balance(admin_a)
    assert {t.email: t.active_clients for t in balance.therapists} == {
        therapist_a1.email: 4,
        therapist_a2.email: 0,
    }
    assert (balance.active_clients, balance.unassigned, balance.discharged) == (5, 1, 1)
    assert balance.largest == 4


def test_the_overview_page_shows_the_balance_with_links(
    as_admin: Client, therapist_a1: User, clients: dict[str, Patient]
) -> None:
    page = as_admin.get("/console/").content.decode()
    assert "Caseload balance" in page
    assert f"/console/clients/?therapist={therapist_a1.pk}" in page
    assert '<meter class="caseload-meter"' in page
    assert "B-001" not in page


def test_a_deactivated_therapist_without_clients_leaves_the_balance(
    admin_a: User, therapist_a1: User, therapist_a2: User
) -> None:
    services.therapist_deactivate(actor=admin_a, therapist=therapist_a2)
    assert [t.pk for t in caseload_balance(admin_a).therapists] == [therapist_a1.pk]


def test_a_new_clinic_sees_how_to_start(as_admin: Client) -> None:
    page = as_admin.get("/console/").content.decode()
    assert "No therapists yet" in page and "Invite the first one" in page


def test_the_console_pages_mark_where_the_admin_is(as_admin: Client) -> None:
    page = as_admin.get("/console/clients/").content.decode()
    assert 'class="nav-link active" aria-current="page" href="/console/"' in page  # navbar
    assert 'class="nav-link active" aria-current="page" href="/console/clients/">Clients' in page
