from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from clinicians.demo import DEMO_LOGINS, DEMO_PASSWORD
from clinicians.models import Clinic, User

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    return {
        "clinics": list(Clinic.objects.order_by("pk").values_list()),
        "users": list(User.objects.order_by("pk").values_list()),
    }


def test_running_seed_demo_twice_leaves_the_same_rows() -> None:
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first
    assert len(first["users"]) == len(DEMO_LOGINS)


def test_the_demo_logins_listed_in_the_readme_work() -> None:
    call_command("seed_demo", stdout=StringIO())
    for login in DEMO_LOGINS:
        c = Client()
        response = c.post("/accounts/login/", {"username": login.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login.email
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    for login in DEMO_LOGINS:
        assert login.email in readme
    assert DEMO_PASSWORD in readme
