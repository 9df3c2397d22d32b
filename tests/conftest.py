"""The fixed cast every test can call on.

Clinic A ("Northside") has an admin and two therapists; clinic B ("Southside") has its
own admin. Later fixtures add clients to each caseload.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicians.models import CaseAssignment, Clinic, Patient, Role, User

# Fixtures of the questionnaire tests (an issued link, ...) are shared with the browser
# tests, so they are registered for the whole suite.
pytest_plugins = ["tests.questionnaires.fixtures"]

PASSWORD = "correct-horse-battery-staple"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the translations when a .po file is newer than its .mo (or has none).

    `make test` compiles them first; this keeps a bare `pytest` right too. Only the
    main process compiles, so that parallel workers never write the same file.
    """
    if hasattr(session.config, "workerinput"):
        return
    stale = [
        po
        for po in LOCALE_DIR.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", ignore_patterns=[".venv", "node_modules"], verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    # Rate limits and lockout counters live in the cache; no test inherits another's.
    cache.clear()
    # The suite runs with the page cache on (one process, so its cache is shared by the
    # test client and the live server): a stale cached part fails the test that reads it.
    settings.ALLIANCE_PAGE_CACHE = True


@pytest.fixture
def clinic_a(db: None) -> Clinic:
    return Clinic.objects.create(name="Northside Therapy", slug="northside")


@pytest.fixture
def clinic_b(db: None) -> Clinic:
    return Clinic.objects.create(name="Southside Therapy", slug="southside")


def make_staff(clinic: Clinic, email: str, role: str, name: str) -> User:
    return User.objects.create_user(
        email=email, password=PASSWORD, clinic=clinic, role=role, display_name=name
    )


@pytest.fixture
def admin_a(clinic_a: Clinic) -> User:
    return make_staff(clinic_a, "admin@northside.test", Role.ADMIN, "Ada Admin")


@pytest.fixture
def therapist_a1(clinic_a: Clinic) -> User:
    return make_staff(clinic_a, "tess@northside.test", Role.THERAPIST, "Tess Therapist")


@pytest.fixture
def therapist_a2(clinic_a: Clinic) -> User:
    return make_staff(clinic_a, "theo@northside.test", Role.THERAPIST, "Theo Therapist")


@pytest.fixture
def admin_b(clinic_b: Clinic) -> User:
    return make_staff(clinic_b, "admin@southside.test", Role.ADMIN, "Bea Admin")


@pytest.fixture
def cast(admin_a: User, therapist_a1: User, therapist_a2: User, admin_b: User) -> dict[str, User]:
    return {
        "admin": admin_a,
        "therapist": therapist_a1,
        "other_therapist": therapist_a2,
        "other_admin": admin_b,
    }


def make_client(clinic: Clinic, code: str, therapist: User | None = None, **extra) -> Patient:
    patient = Patient.objects.create(clinic=clinic, code=code, **extra)
    if therapist is not None:
        CaseAssignment.objects.create(patient=patient, therapist=therapist)
    return patient


@pytest.fixture
def client_a1(therapist_a1: User) -> Patient:
    """On Tess's caseload in clinic A."""
    return make_client(
        therapist_a1.clinic,
        "A-001",
        therapist_a1,
        display_name="Alice Client",
        email="alice@example.test",
    )


@pytest.fixture
def client_a2(therapist_a2: User) -> Patient:
    """On Theo's caseload in clinic A."""
    return make_client(therapist_a2.clinic, "A-002", therapist_a2, display_name="Aaron Client")


@pytest.fixture
def client_b1(clinic_b: Clinic) -> Patient:
    """In clinic B, on nobody's caseload."""
    return make_client(clinic_b, "B-001", display_name="Bella Client")


@pytest.fixture
def clients(client_a1: Patient, client_a2: Patient, client_b1: Patient) -> dict[str, Patient]:
    return {"own": client_a1, "colleagues": client_a2, "other_clinic": client_b1}


def verified_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator app (made on first use)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice, *, step_offset: int = 0) -> str:
    """The code the user's authenticator app shows now (or `step_offset` steps on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + step_offset * device.step
    return f"{totp.token():0{device.digits}d}"


def client_for(user: User | None, *, second_factor: bool = True) -> Client:
    """A test client signed in as `user` (anonymous for None).

    Signed in as after both steps: password, then a code from a confirmed authenticator
    app, recorded in the session the way django_otp.login does. `second_factor=False`
    gives a session that has passed the password step only.
    """
    c = Client()
    if user is not None:
        c.force_login(user)
        if second_factor:
            session = c.session
            session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
            session.save()
    return c
