"""The read-only API: keys, scopes, what a key sees, pagination, rate limit, audit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from assessments.models import Response
from clinicians.models import AuditEvent, Patient, User
from integrations.models import ApiKey, Scope
from integrations.services import NewKey, api_key_create, api_key_revoke, hash_key

from .conftest import Filled, submit_link
from .helpers import bulk_questionnaires

pytestmark = pytest.mark.django_db

BOTH = [Scope.CLIENTS_READ, Scope.SCORES_READ]


def make_key(admin: User, scopes: list[str] | None = None) -> NewKey:
    return api_key_create(actor=admin, name="Health record", scopes=scopes or BOTH)


def call(key: NewKey | str | None, path: str, **params: Any) -> Any:
    headers = {}
    if key is not None:
        raw = key if isinstance(key, str) else key.raw
        headers["Authorization"] = f"Bearer {raw}"
    return Client().get(path, params, headers=headers)


def test_a_key_is_shown_once_and_stored_only_as_its_sha256(admin_a: User) -> None:
    new = make_key(admin_a)
    assert new.raw.startswith("alk_") and len(new.raw) > 40
    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(new.raw)
    assert new.raw not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert new.raw.startswith(f"alk_{stored.prefix}_")


def test_a_key_reads_its_own_clinics_questionnaires_and_no_others(
    admin_a: User, admin_b: User, filled: Filled
) -> None:
    data = call(make_key(admin_a), "/api/v1/questionnaires").json()
    ids = {q["id"] for q in data["items"]}
    assert ids == {a.pk for a in filled.own + filled.colleagues}
    assert data["next_cursor"] is None and data["next"] is None
    other = call(make_key(admin_b), "/api/v1/questionnaires").json()
    assert {q["id"] for q in other["items"]} == {filled.other_clinic[0].pk}


def test_a_questionnaire_carries_answers_and_every_score(admin_a: User, filled: Filled) -> None:
    corrected = filled.own[0]
    item = call(make_key(admin_a), f"/api/v1/questionnaires/{corrected.pk}").json()
    current = Response.objects.get(administration=corrected, is_current=True)
    assert item["client"]["code"] == "A-001"
    assert item["version"] == 2
    assert item["answers"]["2"] == 5 and len(item["answers"]) == 12
    assert item["scores"]["total_pomp"] == current.total_pomp
    assert item["scores"]["complete"] is True
    assert item["submitted_at"].endswith("Z")


def test_a_key_without_the_scope_gets_403_and_with_it_200(admin_a: User, filled: Filled) -> None:
    clients_only = make_key(admin_a, [Scope.CLIENTS_READ])
    refused = call(clients_only, "/api/v1/questionnaires")
    assert refused.status_code == 403
    assert refused.json() == {"error": "This API key does not have the scope 'scores:read'."}
    assert call(clients_only, f"/api/v1/questionnaires/{filled.own[0].pk}").status_code == 403
    assert call(clients_only, "/api/v1/clients").status_code == 200
    scores_only = make_key(admin_a, [Scope.SCORES_READ])
    assert call(scores_only, "/api/v1/clients").status_code == 403


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Send an API key"),
        ("Bearer", "Send an API key"),
        ("Basic abc", "Send an API key"),
        ("Bearer alk_nothing_here", "not valid"),
        ("Bearer " + "x" * 500, "not valid"),
    ],
)
def test_no_key_or_a_wrong_key_is_401_in_json(header: str | None, message: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/v1/clients", headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_is_refused(admin_a: User) -> None:
    new = make_key(admin_a)
    assert call(new, "/api/v1/clients").status_code == 200
    api_key_revoke(actor=admin_a, key=new.key)
    assert call(new, "/api/v1/clients").status_code == 401


def test_a_signed_in_session_is_not_a_key(admin_a: User) -> None:
    browser = Client()
    browser.force_login(admin_a)
    assert browser.get("/api/v1/clients").status_code == 401


def test_only_get_is_allowed(admin_a: User) -> None:
    new = make_key(admin_a)
    response = Client().post("/api/v1/clients", {}, headers={"Authorization": f"Bearer {new.raw}"})
    assert response.status_code == 405 and "read-only" in response.json()["error"]


def test_unknown_api_addresses_and_records_are_404_in_json(admin_a: User, filled: Filled) -> None:
    new = make_key(admin_a)
    assert call(new, "/api/v1/nothing").json()["error"].startswith("There is no such API")
    for pk in (
        "987654",
        "abc",
        "0",
        str(2**70),
        str(filled.other_clinic[0].pk),
        str(filled.open.pk),
    ):
        response = call(new, f"/api/v1/questionnaires/{pk}")
        assert response.status_code == 404, pk
        assert "error" in response.json()
    assert call(new, "/api/v1/fhir/Questionnaire/no-such-form").status_code == 404


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"changed_since": "yesterday"}, "changed_since"),
        ({"changed_since": "2026-02-30"}, "changed_since"),
        ({"changed_since": "2026-01-01T25:00:00Z"}, "changed_since"),
        ({"changed_since": "0001-01-01T00:00:00+05:00"}, "changed_since"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJ0IjogMX0"}, "cursor"),
    ],
)
def test_bad_parameters_are_400_with_a_message_naming_them(
    params: dict[str, str], word: str, admin_a: User
) -> None:
    for path in ("/api/v1/clients", "/api/v1/questionnaires", "/api/v1/fhir/QuestionnaireResponse"):
        response = call(make_key(admin_a), path, **params)
        assert response.status_code == 400, (path, params)
        assert word in response.json()["error"]


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    bulk_questionnaires(client_a1, therapist_a1, 25)
    new = make_key(admin_a)
    seen: list[int] = []
    params: dict[str, Any] = {"page_size": 10}
    pages = 0
    while True:
        data = call(new, "/api/v1/questionnaires", **params).json()
        seen += [q["id"] for q in data["items"]]
        pages += 1
        if not data["next_cursor"]:
            break
        assert data["next"].startswith("http://testserver/api/v1/questionnaires?")
        params = {"page_size": 10, "cursor": data["next_cursor"]}
    assert pages == 3
    assert len(seen) == 25 == len(set(seen))


def test_changed_since_returns_only_newer_questionnaires(admin_a: User, filled: Filled) -> None:
    new = make_key(admin_a)
    mark = timezone.now()
    assert call(new, "/api/v1/questionnaires", changed_since=mark.isoformat()).json()["items"] == []
    response = submit_link(filled.open)
    data = call(new, "/api/v1/questionnaires", changed_since=mark.isoformat()).json()
    assert [q["id"] for q in data["items"]] == [filled.open.pk]
    assert response.administration_id == filled.open.pk
    # A plain date means its midnight UTC.
    day = (mark - timedelta(days=1)).date().isoformat()
    assert len(call(new, "/api/v1/questionnaires", changed_since=day).json()["items"]) == 5


def test_changed_since_takes_any_offset_python_reads(admin_a: User, filled: Filled) -> None:
    # PostgreSQL refuses offsets over 15:59; the API turns every moment into UTC first.
    response = call(
        make_key(admin_a), "/api/v1/questionnaires", changed_since="1519-04-22T15:03:58+22:23"
    )
    assert response.status_code == 200 and len(response.json()["items"]) == 4


def test_questionnaires_filter_by_client_code_and_form(admin_a: User, filled: Filled) -> None:
    new = make_key(admin_a)
    mine = call(new, "/api/v1/questionnaires", client="a-001").json()["items"]
    assert {q["client"]["code"] for q in mine} == {"A-001"} and len(mine) == 3
    rated = call(new, "/api/v1/questionnaires", form="wai-s-therapist").json()["items"]
    assert [q["rater"] for q in rated] == ["therapist"]


def test_clients_list_the_clinic_with_changed_since(
    admin_a: User, client_a1: Patient, client_a2: Patient, client_b1: Patient
) -> None:
    new = make_key(admin_a)
    data = call(new, "/api/v1/clients").json()
    assert [c["code"] for c in data["items"]] == ["A-001", "A-002"]
    assert data["items"][0]["therapist"]["name"] == "Tess Therapist"
    assert "display_name" not in data["items"][0] and "email" not in data["items"][0]
    mark = timezone.now()
    assert call(new, "/api/v1/clients", changed_since=mark.isoformat()).json()["items"] == []
    # A change written to the audit log (as every client change is) counts.
    AuditEvent.objects.create(action="client_updated", clinic=admin_a.clinic, patient=client_a2)
    changed = call(new, "/api/v1/clients", changed_since=mark.isoformat()).json()["items"]
    assert [c["code"] for c in changed] == ["A-002"]
    assert len(call(new, "/api/v1/clients", page_size=1).json()["items"]) == 1


def test_fhir_endpoints_return_valid_r4_resources(admin_a: User, filled: Filled) -> None:
    new = make_key(admin_a)
    bundle = call(new, "/api/v1/fhir/QuestionnaireResponse", page_size=2)
    assert bundle["Content-Type"] == "application/fhir+json"
    data = bundle.json()
    Bundle.model_validate(data)
    assert len(data["entry"]) == 2 and data["link"][1]["relation"] == "next"
    one = call(new, f"/api/v1/fhir/QuestionnaireResponse/{filled.own[1].pk}").json()
    QuestionnaireResponse.model_validate(one)
    Questionnaire.model_validate(call(new, "/api/v1/fhir/Questionnaire/wai-sr-client").json())


@pytest.fixture
def one_minute() -> Any:
    # Rate limits count per clock minute; a test must not straddle two of them.
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC), tick=False):
        yield


def test_the_rate_limit_answers_429_with_retry_after(
    admin_a: User, settings: Any, one_minute: None
) -> None:
    settings.ALLIANCE_API_RATE_PER_MINUTE = 3
    new = make_key(admin_a)
    statuses = [call(new, "/api/v1/clients").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = call(new, "/api/v1/clients")
    assert "3 a minute" in refused.json()["error"]
    assert refused["Retry-After"] == "55"
    # Each key has its own budget.
    assert call(make_key(admin_a), "/api/v1/clients").status_code == 200


def test_wrong_keys_from_one_address_are_slowed_down(one_minute: None) -> None:
    statuses = {call("alk_wrong_key", "/api/v1/clients").status_code for _ in range(35)}
    assert statuses == {401, 429}


def test_every_call_is_audited_under_the_keys_prefix(admin_a: User, filled: Filled) -> None:
    new = make_key(admin_a)
    call(new, "/api/v1/questionnaires", page_size=2)
    call(new, "/api/v1/clients", page_size="x")
    call("alk_wrong", "/api/v1/clients")
    events = list(AuditEvent.objects.filter(action__startswith="api_").order_by("id"))
    assert [e.action for e in events] == [
        "api_key_created",
        "api_call",
        "api_refused",
        "api_refused",
    ]
    call_event = events[1]
    assert call_event.actor_label == f"api key {new.key.prefix}"
    assert call_event.clinic == admin_a.clinic
    assert call_event.detail == {
        "path": "/api/v1/questionnaires",
        "status": 200,
        "query": "page_size=2",
        "items": 2,
    }
    assert events[2].detail["status"] == 400
    assert events[3].clinic is None and events[3].detail["status"] == 401
    new.key.refresh_from_db()
    assert new.key.last_used_at is not None


def test_the_openapi_description_is_served_without_a_key() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.0")
    assert "/api/v1/questionnaires" in spec["paths"]
