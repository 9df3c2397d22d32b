"""The clinic admin makes and revokes API keys in the console."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from clinicians.models import AuditEvent, User
from integrations.models import ApiKey
from integrations.services import api_key_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_admin_makes_a_key_and_sees_it_once(admin_a: User) -> None:
    browser = client_for(admin_a)
    response = browser.post(
        "/console/api-keys/", {"name": "Health record", "scopes": ["scores:read"]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    raw = re.search(r'value="(alk_[^"]+)"', page).group(1)  # type: ignore[union-attr]
    key = ApiKey.objects.get()
    assert key.scopes == ["scores:read"] and key.clinic == admin_a.clinic
    # It works at once, and the list never shows it again.
    assert (
        Client()
        .get("/api/v1/questionnaires", headers={"Authorization": f"Bearer {raw}"})
        .status_code
        == 200
    )
    again = browser.get("/console/api-keys/").content.decode()
    assert raw not in again and f"alk_{key.prefix}" in again
    assert AuditEvent.objects.filter(action="api_key_created", actor=admin_a).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "scopes": ["scores:read"]},
        {"name": "EHR"},
        {"name": "EHR", "scopes": ["admin:write"]},
        {"name": "x" * 81, "scopes": ["scores:read"]},
    ],
)
def test_a_bad_key_request_gets_a_message_and_makes_nothing(admin_a: User, data: dict) -> None:
    response = client_for(admin_a).post("/console/api-keys/", data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_an_admin_revokes_a_key_after_confirming(admin_a: User) -> None:
    new = api_key_create(actor=admin_a, name="EHR", scopes=["clients:read"])
    browser = client_for(admin_a)
    confirm = browser.get(f"/console/api-keys/{new.key.pk}/revoke/")
    assert "Revoke the key" in confirm.content.decode()
    assert ApiKey.objects.get().revoked_at is None
    response = browser.post(f"/console/api-keys/{new.key.pk}/revoke/")
    assert response.status_code == 302
    key = ApiKey.objects.get()
    assert key.revoked_at is not None and key.revoked_by == admin_a
    assert browser.post(f"/console/api-keys/{new.key.pk}/revoke/").status_code == 302  # twice: fine
    assert AuditEvent.objects.filter(action="api_key_revoked").count() == 1


def test_keys_of_another_clinic_are_invisible_and_cannot_be_revoked(
    admin_a: User, admin_b: User
) -> None:
    new = api_key_create(actor=admin_a, name="EHR A", scopes=["clients:read"])
    other = client_for(admin_b)
    assert "EHR A" not in other.get("/console/api-keys/").content.decode()
    assert other.post(f"/console/api-keys/{new.key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_therapists_may_not_manage_keys(therapist_a1: User) -> None:
    browser = client_for(therapist_a1)
    assert browser.get("/console/api-keys/").status_code == 403
    assert (
        browser.post("/console/api-keys/", {"name": "x", "scopes": ["scores:read"]}).status_code
        == 403
    )
    assert not ApiKey.objects.exists()


def test_the_audit_log_names_this_apps_actions() -> None:
    from clinicians.audit import action_label

    assert action_label("export_downloaded") == "Export downloaded"
    assert action_label("api_call") == "API call"
