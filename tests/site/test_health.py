from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client


@pytest.mark.django_db
def test_health_is_ok_when_the_database_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_is_503_when_the_database_does_not_answer() -> None:
    with mock.patch("alliance_site.health.connection.cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert b"down" not in response.content  # the cause stays in the server log


@pytest.mark.django_db
def test_health_needs_no_sign_in_and_refuses_writes() -> None:
    assert Client().get("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405
