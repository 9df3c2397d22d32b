from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest

from assessments.schedules.services import CadenceValues
from clinicians.models import Clinic

from .mail import Backend


@pytest.fixture(autouse=True)
def _mail(settings: Any) -> Iterator[None]:
    settings.EMAIL_BACKEND = "tests.schedules.mail.Backend"
    Backend.down = False
    yield
    Backend.down = False


@pytest.fixture
def berlin(clinic_a: Clinic) -> Clinic:
    clinic_a.time_zone = "Europe/Berlin"
    clinic_a.save(update_fields=["time_zone"])
    return clinic_a


def weekly(**overrides: Any) -> CadenceValues:
    fields: dict[str, Any] = {
        "form_code": "wai-sr-client",
        "every": 1,
        "unit": "weeks",
        "weekday": 0,
        "local_time": time(9, 0),
        "times": None,
    }
    fields.update(overrides)
    return CadenceValues(**fields)
