"""Finding 3: the client's address behind a load balancer, and forged X-Forwarded-For.

One function resolves the address; the audit log, the sign-in lockout (django-axes) and
the API's refused-request limit all use it.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from clinicians.addresses import client_address
from clinicians.models import AuditEvent
from tests.conftest import PASSWORD

rf = RequestFactory()


def _request(peer: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@override_settings(ALLIANCE_TRUSTED_PROXIES=0)
def test_without_trusted_proxies_a_forged_header_is_ignored() -> None:
    assert client_address(_request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(ALLIANCE_TRUSTED_PROXIES=1)
def test_one_trusted_proxy_takes_the_address_it_appended() -> None:
    # The client forged "1.2.3.4"; the balancer appended the real peer it saw.
    assert client_address(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


@override_settings(ALLIANCE_TRUSTED_PROXIES=2)
def test_two_trusted_proxies_skip_the_inner_one() -> None:
    request = _request("10.0.0.3", "1.2.3.4, 198.51.100.7, 10.0.0.2")
    assert client_address(request) == "198.51.100.7"


@override_settings(ALLIANCE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_networks_trust_only_a_peer_inside_them() -> None:
    assert client_address(_request("10.1.2.3", "198.51.100.7")) == "198.51.100.7"
    # From outside the networks the header is whatever the client said: ignored.
    assert client_address(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


@override_settings(ALLIANCE_TRUSTED_PROXIES=["10.0.0.0/8", "192.168.0.0/16"])
def test_networks_walk_back_past_every_trusted_hop() -> None:
    request = _request("10.0.0.1", "1.2.3.4, 198.51.100.7, 192.168.1.1")
    assert client_address(request) == "198.51.100.7"


@override_settings(ALLIANCE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_junk_in_the_header_falls_back_to_the_last_known_hop() -> None:
    assert client_address(_request("10.0.0.1", "not-an-address")) == "10.0.0.1"
    assert client_address(_request("10.0.0.1", "\x00, ")) == "10.0.0.1"


@override_settings(ALLIANCE_TRUSTED_PROXIES=1)
def test_the_audit_line_records_the_resolved_address(admin_a, client_a1) -> None:
    from tests.conftest import client_for

    c = client_for(admin_a)
    c.get(
        f"/console/clients/{client_a1.pk}/",
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert AuditEvent.objects.filter(action="client_viewed").latest("id").ip == "198.51.100.7"


@override_settings(ALLIANCE_TRUSTED_PROXIES=0)
def test_the_audit_line_ignores_a_forged_header(admin_a, client_a1) -> None:
    from tests.conftest import client_for

    c = client_for(admin_a)
    c.get(
        f"/console/clients/{client_a1.pk}/",
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert AuditEvent.objects.filter(action="client_viewed").latest("id").ip == "203.0.113.9"


def _fail_sign_in(c, email: str, peer: str, forwarded: str) -> int:  # type: ignore[no-untyped-def]
    response = c.post(
        "/accounts/login/",
        {"username": email, "password": "wrong-password-000"},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return response.status_code


@pytest.mark.django_db
@override_settings(ALLIANCE_TRUSTED_PROXIES=1, AXES_FAILURE_LIMIT=3)
def test_behind_the_balancer_an_attacker_cannot_lock_out_another_address(admin_a) -> None:
    from django.test import Client

    attacker = Client()
    for _ in range(4):
        _fail_sign_in(attacker, admin_a.email, "10.0.0.2", "198.51.100.66")
    # The attacker is locked out...
    assert _fail_sign_in(attacker, admin_a.email, "10.0.0.2", "198.51.100.66") in (403, 429)
    # ...but the real staff member, behind the same balancer, still signs in.
    staff = Client()
    response = staff.post(
        "/accounts/login/",
        {"username": admin_a.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert response.status_code == 302


@pytest.mark.django_db
@override_settings(ALLIANCE_TRUSTED_PROXIES=0, AXES_FAILURE_LIMIT=3)
def test_without_trusted_proxies_a_forged_header_does_not_dodge_the_lockout(admin_a) -> None:
    from django.test import Client

    attacker = Client()
    for n in range(4):
        _fail_sign_in(attacker, admin_a.email, "203.0.113.9", f"198.51.100.{n}")
    assert _fail_sign_in(attacker, admin_a.email, "203.0.113.9", "198.51.100.99") in (403, 429)


@pytest.mark.django_db
@override_settings(ALLIANCE_TRUSTED_PROXIES=1)
def test_the_api_refusal_limit_counts_the_resolved_address() -> None:
    from django.test import Client

    from integrations.api.base import REFUSED_PER_MINUTE

    c = Client()
    for _ in range(REFUSED_PER_MINUTE + 1):
        c.get("/api/v1/clients", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    blocked = c.get("/api/v1/clients", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    assert blocked.status_code == 429
    other = c.get("/api/v1/clients", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 401
