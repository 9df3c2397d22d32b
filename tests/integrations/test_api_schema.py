"""The OpenAPI description matches what the API answers (schemathesis).

Schemathesis generates requests for every operation from /api/v1/openapi.json and sends
them through the app (WSGI, in this process, on the test database). Each answer must be
no server error, have a documented status and content type, and match the documented
schema. Requests go with a valid key (both scopes), with a key lacking the scope, and
with none, so 200, 400, 401, 403 and 404 answers are all checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinicians.models import User
from integrations.api.openapi import openapi_document
from integrations.models import Scope
from integrations.services import api_key_create

from .conftest import Filled

schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = get_wsgi_application()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keys(admin_a: User, filled: Filled, settings: Any) -> Iterator[dict[str, str]]:
    settings.ALLIANCE_API_RATE_PER_MINUTE = 100_000
    # A real WSGI request would close the test's database connection (and with it the
    # test transaction); Django's own test client switches this off the same way.
    request_started.disconnect(close_old_connections)
    try:
        yield {
            "full": api_key_create(
                actor=admin_a, name="full", scopes=[Scope.CLIENTS_READ, Scope.SCORES_READ]
            ).raw,
            "clients": api_key_create(actor=admin_a, name="c", scopes=[Scope.CLIENTS_READ]).raw,
        }
    finally:
        request_started.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("API_SCHEMA_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_openapi_description(case: Any, keys: dict[str, str]) -> None:
    for key in (keys["full"], keys["clients"], None):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        case.call_and_validate(headers=headers, checks=CHECKS)
