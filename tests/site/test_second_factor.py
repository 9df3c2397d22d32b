"""The second factor: set-up, codes at every sign-in, throttling, recovery codes, reset."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.checks import run_checks
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from clinicians.models import AuditEvent, User
from clinicians.services.second_factor import format_recovery_code, normalize_code
from tests.conftest import PASSWORD, client_for, totp_code

pytestmark = pytest.mark.django_db

SETUP = "/accounts/two-factor/setup/"
CODE = "/accounts/two-factor/"
CODES = "/accounts/two-factor/recovery-codes/"


def password_step(email: str, next_url: str = "") -> Client:
    c = Client()
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    assert c.post("/accounts/login/", data).status_code == 302
    return c


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """Set up the app for `user` through the pages; return the device and the codes."""
    c = password_step(user.email)
    assert c.get(SETUP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert c.post(SETUP, {"code": totp_code(device)}).url == CODES
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", c.get(CODES).content.decode())
    c.post(CODES)
    device.refresh_from_db()
    return device, codes


def test_the_first_sign_in_sets_up_the_app_then_shows_ten_recovery_codes_once(
    therapist_a1: User,
) -> None:
    c = password_step(therapist_a1.email)
    assert c.get("/caseload/").url.startswith(SETUP)
    page = c.get(SETUP)
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # the QR code, no script, no third party
    device = TOTPDevice.objects.get(user=therapist_a1, confirmed=False)
    key = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1)
    assert all(len(group) == 4 for group in key.split()[:-1])
    # The key on the page is the device's own key, in base32.
    from base64 import b32decode

    compact = key.replace(" ", "")
    assert b32decode(compact + "=" * (-len(compact) % 8)) == device.bin_key
    # A reload shows the same key (the user may be halfway through scanning).
    assert key in c.get(SETUP).content.decode()

    wrong = c.post(SETUP, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "That code does not match" in wrong.content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        done = c.post(SETUP, {"code": totp_code(device)})
        assert done.url == CODES
        # Until the codes are acknowledged, every other page leads back to them.
        assert c.get("/caseload/").url == CODES
        shown = c.get(CODES).content.decode()
        codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown)
        assert len(codes) == 10 == len(set(codes))
        assert "I have saved them" in shown
        assert c.post(CODES).url == "/"
        assert c.get("/caseload/").status_code == 200
        # Shown once: the page does not show them again.
        assert c.get(CODES).url == "/accounts/security/"
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=therapist_a1).count() == 10
    assert AuditEvent.objects.filter(action="second_factor_enrolled", actor=therapist_a1).exists()
    assert AuditEvent.objects.filter(action="second_factor_failed", actor=therapist_a1).count() == 1


def test_every_later_sign_in_asks_for_a_code_and_keeps_where_the_user_was_going(
    admin_a: User,
) -> None:
    device, _codes = enrol(admin_a)
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=False):
        c = password_step(admin_a.email, next_url="/console/clients/")
        first = c.get("/console/clients/")
        assert first.url.startswith(CODE)
        c.get(first.url)  # the code page remembers where to go next
        assert c.post(CODE, {"code": totp_code(device)}).url == "/console/clients/"
        assert c.get("/console/clients/").status_code == 200
        # The same code cannot be used a second time (someone looking over a shoulder).
        again = password_step(admin_a.email)
        refused = again.post(CODE, {"code": totp_code(device)})
        assert refused.status_code in (200, 429)
        assert again.get("/console/").status_code == 302


def test_a_password_alone_cannot_replace_the_app(therapist_a1: User) -> None:
    enrol(therapist_a1)
    c = password_step(therapist_a1.email)
    response = c.get(SETUP)
    assert response.status_code == 302
    assert c.get(response.url).url.startswith(CODE)
    assert TOTPDevice.objects.filter(user=therapist_a1).count() == 1


def test_wrong_codes_are_throttled_with_a_plain_message(therapist_a1: User) -> None:
    device, _codes = enrol(therapist_a1)
    moment = timezone.now() + timedelta(seconds=60)
    with time_machine.travel(moment, tick=False):
        c = password_step(therapist_a1.email)
    # Five wrong codes, each after the wait the one before asked for (1, 2, 4, 8 s).
    for n in range(5):
        with time_machine.travel(moment, tick=False):
            right = totp_code(device)
            wrong = "123456" if right != "123456" else "654321"
            assert c.post(CODE, {"code": wrong}).status_code == 200
        moment += timedelta(seconds=2**n + 0.5)
    moment -= timedelta(seconds=2**4 + 0.5)  # straight after the fifth
    with time_machine.travel(moment + timedelta(seconds=10), tick=False):
        response = c.post(CODE, {"code": totp_code(device)})
        # Even the right code (or a recovery code) is not checked while it waits.
        assert response.status_code == 429
        assert "Too many wrong codes in a row. Wait 7 seconds" in response.content.decode()
        assert c.get("/caseload/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    assert AuditEvent.objects.filter(action="second_factor_failed").count() == 5
    with time_machine.travel(moment + timedelta(seconds=17), tick=False):
        assert c.post(CODE, {"code": totp_code(device)}).status_code == 302
        assert c.get("/caseload/").status_code == 200


@pytest.mark.parametrize("typed", ["plain", "upper-with-spaces"])
def test_a_recovery_code_signs_in_once_and_is_then_gone(therapist_a1: User, typed: str) -> None:
    _device, codes = enrol(therapist_a1)
    code = codes[3]
    entry = code if typed == "plain" else f" {code.upper().replace('-', ' ')} "
    c = password_step(therapist_a1.email)
    response = c.post(CODE, {"code": entry})
    assert response.status_code == 302
    assert "9 recovery codes are left" in c.get("/caseload/").content.decode()
    assert StaticToken.objects.filter(device__user=therapist_a1).count() == 9
    assert AuditEvent.objects.filter(action="recovery_code_used", actor=therapist_a1).exists()
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        again = password_step(therapist_a1.email)
        assert again.post(CODE, {"code": code}).status_code == 200
        assert again.get("/caseload/").status_code == 302


def test_new_recovery_codes_replace_the_old_ones(therapist_a1: User) -> None:
    _device, old = enrol(therapist_a1)
    c = client_for(therapist_a1)
    assert "10 unused recovery codes left" in c.get("/accounts/security/").content.decode()
    assert c.get("/accounts/security/recovery-codes/").status_code == 405
    assert c.post("/accounts/security/recovery-codes/").url == CODES
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", c.get(CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert c.post(CODES).url == "/accounts/security/"
    assert c.get(CODES).url == "/accounts/security/"
    tokens = set(
        StaticToken.objects.filter(device__user=therapist_a1).values_list("token", flat=True)
    )
    assert tokens == {code.replace("-", "") for code in new}
    assert AuditEvent.objects.filter(action="recovery_codes_regenerated").count() == 1
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        stale = password_step(therapist_a1.email)
        assert stale.post(CODE, {"code": old[0]}).status_code == 200


def test_an_admin_resets_a_therapists_second_factor_after_confirming(
    admin_a: User, therapist_a1: User
) -> None:
    enrol(therapist_a1)
    url = f"/console/therapists/{therapist_a1.pk}/second-factor/"
    as_admin = client_for(admin_a)
    confirm = as_admin.get(url)
    assert confirm.status_code == 200
    assert "Reset Tess Therapist" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=therapist_a1).exists()  # a GET changes nothing
    assert as_admin.post(url).url == "/console/therapists/"
    assert not TOTPDevice.objects.filter(user=therapist_a1).exists()
    assert not StaticDevice.objects.filter(user=therapist_a1).exists()
    event = AuditEvent.objects.get(action="second_factor_reset")
    assert event.actor == admin_a
    assert event.object_id == str(therapist_a1.pk)
    # At the next sign-in the therapist sets the app up again.
    c = password_step(therapist_a1.email)
    assert c.get("/caseload/").url.startswith(SETUP)


def test_only_an_admin_of_the_same_clinic_can_reset(
    admin_b: User, therapist_a1: User, therapist_a2: User
) -> None:
    enrol(therapist_a1)
    url = f"/console/therapists/{therapist_a1.pk}/second-factor/"
    assert client_for(admin_b).post(url).status_code == 404
    assert client_for(therapist_a2).post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=therapist_a1, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="second_factor_reset").exists()


def test_a_reset_also_unverifies_a_session_that_used_the_old_app(
    admin_a: User, therapist_a1: User
) -> None:
    c = client_for(therapist_a1)
    assert c.get("/caseload/").status_code == 200
    client_for(admin_a).post(f"/console/therapists/{therapist_a1.pk}/second-factor/")
    assert c.get("/caseload/").url.startswith(SETUP)


def test_the_operator_admin_needs_the_second_factor_too() -> None:
    root = User.objects.create_superuser(email="ops@example.test", password=PASSWORD)
    unverified = client_for(root, second_factor=False)
    response = unverified.get("/django-admin/")
    assert response.status_code == 302
    assert response.url.startswith(SETUP)
    assert client_for(root).get("/django-admin/").status_code == 200


def test_the_deploy_check_fails_when_the_second_factor_is_off_without_debug(
    settings: object,
) -> None:
    def errors() -> list[str]:
        return [m.id for m in run_checks(include_deployment_checks=True) if m.id == "alliance.E001"]

    settings.DEBUG = False  # type: ignore[attr-defined]
    settings.ALLIANCE_REQUIRE_2FA = True  # type: ignore[attr-defined]
    assert errors() == []
    settings.ALLIANCE_REQUIRE_2FA = False  # type: ignore[attr-defined]
    assert errors() == ["alliance.E001"]
    settings.DEBUG = True  # type: ignore[attr-defined]
    assert errors() == []
    # Not a deployment check: an ordinary `check` (and `runserver`) stays quiet.
    settings.DEBUG = False  # type: ignore[attr-defined]
    assert not [m for m in run_checks() if m.id == "alliance.E001"]


NOTICE = "Two-factor sign-in is off (demo)"


def test_with_the_second_factor_off_every_page_says_so(
    settings: object, therapist_a1: User
) -> None:
    assert NOTICE not in Client().get("/accounts/login/").content.decode()
    settings.ALLIANCE_REQUIRE_2FA = False  # type: ignore[attr-defined]
    c = password_step(therapist_a1.email)
    page = c.get("/caseload/")
    assert page.status_code == 200  # a password alone is enough in the demo
    assert NOTICE in page.content.decode()
    assert NOTICE in Client().get("/accounts/login/").content.decode()
    assert NOTICE in Client().get("/kiosk/").content.decode()


@given(st.text(max_size=60))
def test_any_typed_code_is_normalised_without_spaces_or_dashes(typed: str) -> None:
    code = normalize_code(typed)
    assert " " not in code and "-" not in code and code == code.lower()


@given(st.text(alphabet="abcdefghjkmnpqrstuvwxyz23456789", min_size=10, max_size=10))
def test_a_recovery_code_as_shown_reads_back_as_stored(code: str) -> None:
    shown = format_recovery_code(code)
    assert normalize_code(shown) == code
    assert normalize_code(shown.upper().replace("-", " ")) == code


@pytest.mark.parametrize("typed", ["", "x" * 41, "12\x0034", "１２３４５６", "² ³ ¹ ⁴ ⁵ ⁶"])
def test_odd_input_on_the_code_page_gets_a_plain_answer(therapist_a1: User, typed: str) -> None:
    enrol(therapist_a1)
    c = password_step(therapist_a1.email)
    response = c.post(CODE, {"code": typed})
    assert response.status_code in (200, 429)
    assert c.get("/caseload/").status_code == 302
