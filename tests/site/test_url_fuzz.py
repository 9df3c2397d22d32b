"""Finding 7: no URL a user can edit answers 500.

Walks every URL pattern of the resolver and puts values people (or scanners) type into
each path argument and into the query parameters the views read: a NUL, Unicode
digits, very long numbers and text, negative numbers, percent-encoded junk. Each
request is made as each role; none may answer 500. Under /api/ every answer is JSON.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from clinicians.models import Patient, User
from integrations.services import api_key_create
from tests.conftest import client_for

# Values put into path arguments, already percent-encoded as a browser would send them.
PATH_VALUES = [
    "%00",
    "1%00",
    "%C2%B2",  # ² (isdigit() is True, int() fails)
    "%D9%A1%D9%A2",  # Arabic-Indic 12 (int() accepts it)
    "-1",
    "9" * 40,
    "x" * 1000,
    "%C0%AF%ZZ",  # overlong UTF-8, then a broken escape
    "1_0",
]
# Query parameters any of our views reads, each given junk.
QUERY_KEYS = [
    "page",
    "page_size",
    "for",
    "form",
    "q",
    "start",
    "end",
    "show",
    "cursor",
    "changed_since",
    "kind",
    "flag",
    "sort",
    "status",
    "therapist",
    "client",
    "actor",
    "next",
    "format",
]
QUERY_VALUES = ["%C2%B2", "%00-1%ZZ", "9" * 40 + "x" * 1000]

IGNORED_NAMESPACES = {"admin"}


def _routes() -> list[str]:
    """Every URL pattern as a template with {} for each argument (our apps only)."""
    out: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in IGNORED_NAMESPACES:
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                text = prefix + str(pattern.pattern)
                text = text.removeprefix("^").removesuffix("$")
                text = re.sub(r"<(?:\w+:)?\w+>", "{}", text)
                text = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", text)
                out.append("/" + text)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


ROUTES = _routes()


def _urls(template: str) -> list[str]:
    if "{}" not in template:
        return [template]
    return [template.replace("{}", value) for value in PATH_VALUES]


def _query(value: str) -> str:
    return "&".join(f"{key}={value}" for key in QUERY_KEYS)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # The cast's passwords are hashed for every test; Argon2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browsers(cast: dict[str, User], clients: dict[str, Patient]) -> dict[str, Client]:
    new = api_key_create(actor=cast["admin"], name="fuzz", scopes=["clients:read", "scores:read"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {new.raw}")
    return {
        "anonymous": Client(),
        "therapist": client_for(cast["therapist"]),
        "admin": client_for(cast["admin"]),
        "other_admin": client_for(cast["other_admin"]),
        "api_key": api,
    }


def _check(response, url: str, role: str, method: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, (method, url[:120], role, response.status_code)
    if url.startswith("/api/"):
        assert response["Content-Type"].startswith("application/"), (url[:120], role)
        assert "json" in response["Content-Type"], (url[:120], role)


def test_the_walk_finds_the_urls_that_take_arguments() -> None:
    assert "/clients/{}/" in ROUTES
    assert "/console/kiosks/{}/revoke/" in ROUTES
    assert "/api/v1/questionnaires/{}" in ROUTES
    assert len(ROUTES) > 40


@pytest.mark.django_db
@pytest.mark.parametrize("template", ROUTES)
def test_no_edited_path_answers_500(template: str, browsers: dict[str, Client]) -> None:
    for role, browser in browsers.items():
        if role == "api_key" and not template.startswith("/api/"):
            continue
        for url in _urls(template):
            _check(browser.get(url), url, role, "GET")
            if role in ("admin", "anonymous"):
                _check(browser.post(url, {"code": "%00"}), url, role, "POST")


@pytest.mark.django_db
@pytest.mark.parametrize("template", ROUTES)
def test_no_edited_query_answers_500(template: str, browsers: dict[str, Client]) -> None:
    url = template.replace("{}", "1")
    for role, browser in browsers.items():
        if (role == "api_key") != template.startswith("/api/") and role != "anonymous":
            continue  # staff pages as staff; the API with a key and without
        for value in QUERY_VALUES:
            full = f"{url}?{_query(value)}"
            _check(browser.get(full), full, role, "GET")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url", "allowed"),
    [
        ("anonymous", "/api/v1/questionnaires/1%00", {400, 401, 404}),
        ("api_key", "/api/v1/questionnaires/1%00", {400, 404}),
        ("api_key", "/api/v1/questionnaires/%C2%B2", {404}),
        ("api_key", "/api/v1/questionnaires?page_size=%C2%B2", {400}),
        ("therapist", "/clients/{own}/own-rating/?for=%C2%B2", {200}),
    ],
)
def test_the_reported_urls_answer_plainly(
    role: str, url: str, allowed: set[int], browsers: dict[str, Client], clients
) -> None:  # type: ignore[no-untyped-def]
    response = browsers[role].get(url.format(own=clients["own"].pk))
    assert response.status_code in allowed


@pytest.mark.django_db
def test_a_nul_in_a_kiosk_revoke_is_refused(browsers: dict[str, Client]) -> None:
    assert browsers["admin"].post("/console/kiosks/%00/revoke/").status_code in (400, 404)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/console/clients/?q=%00", "/console/audit/?client=A%00", "/api/v1/clients?x%00=1"]
)
def test_a_nul_in_a_query_is_400(url: str, browsers: dict[str, Client]) -> None:
    # Found by the fuzz test on PostgreSQL, which refuses NUL in a search.
    role = "api_key" if url.startswith("/api/") else "admin"
    response = browsers[role].get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json()["error"]


@pytest.mark.django_db
def test_the_api_answers_every_error_in_json_even_a_crash(
    browsers: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    import integrations.api.base as api_base

    def boom(raw: str) -> None:
        raise RuntimeError("the database went away")

    missing = browsers["api_key"].get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]
    monkeypatch.setattr(api_base, "api_key_for", boom)
    browser = browsers["api_key"]
    browser.raise_request_exception = False
    crashed = browser.get("/api/v1/clients")
    assert crashed.status_code == 500
    assert crashed["Content-Type"] == "application/json"
    assert crashed.json() == {"error": "Something went wrong on our side. Try again later."}
