"""Helpers for the console's tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clinicians.models import Clinic, Patient, User
from tests.conftest import client_for, make_client


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # Argon2 on every cast member of every test would dominate the run; the hashing
    # itself is tested in tests/site.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def as_admin(admin_a: User) -> Client:
    return client_for(admin_a)


def many_clients(
    clinic: Clinic, count: int, therapist: User | None = None, prefix: str = "M"
) -> list[Patient]:
    return [make_client(clinic, f"{prefix}-{i:04d}", therapist) for i in range(count)]
