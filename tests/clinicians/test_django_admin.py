"""Django admin stays for operators; clients and caseloads are read-only there."""

from __future__ import annotations

import pytest

from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_clinic_admin_cannot_open_django_admin(admin_a: User) -> None:
    response = client_for(admin_a).get("/django-admin/clinicians/patient/")
    assert response.status_code == 302
    assert "/django-admin/login/" in response.url


def test_an_operator_can_read_clients_but_not_change_or_delete_them(
    clients: dict[str, Patient],
) -> None:
    operator = User.objects.create_superuser(email="ops@alliance.test", password="x" * 12)
    c = client_for(operator)
    assert c.get("/django-admin/clinicians/patient/").status_code == 200
    own = clients["own"]
    assert c.get(f"/django-admin/clinicians/patient/{own.pk}/change/").status_code in {200, 403}
    c.post(f"/django-admin/clinicians/patient/{own.pk}/delete/", {"post": "yes"})
    assert Patient.objects.filter(pk=own.pk).exists()
    assert c.get("/django-admin/clinicians/importbatch/").status_code == 200
