"""Every named URL × every role answers as expected; no URL escapes the table.

To add your URLs: append `Route(...)` rows to ROUTES (one per URL name). `kwargs`
builds the URL's arguments from the `World` (clinic A's objects, so the other clinic's
admin must get 404 for object URLs); `method` and `data` describe the request.
Expected values are status codes, or LOGIN for "302 to the sign-in page".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assessments.models import OccasionKind
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import ImportBatch, Patient, PatientStatus, User
from integrations.models import ExportJob
from integrations.services import api_key_create
from tests.conftest import PASSWORD, client_for, make_client

LOGIN = "login"
ROLES = ("anonymous", "therapist", "admin", "other_admin")
# URL namespaces that are not ours to test here (Django's own admin site).
IGNORED_NAMESPACES = {"admin"}


@dataclass
class World:
    """Clinic A's objects (and the cast); other clinic's admin is `other_admin`."""

    admin: User
    therapist: User
    other_therapist: User
    other_admin: User
    client: Patient  # on `therapist`'s caseload in clinic A
    discharged_client: Patient
    other_clinic_client: Patient
    import_batch: ImportBatch
    extra: dict[str, Any] = field(default_factory=dict)  # for others' objects

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


def no_kwargs(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Route:
    name: str
    expect: dict[str, int | str]
    kwargs: Callable[[World], dict[str, Any]] = no_kwargs
    method: str = "get"
    data: Callable[[World], dict[str, Any]] = no_kwargs
    object_pk: bool = True  # False: the URL's argument is not an object's pk

    @property
    def is_object_url(self) -> bool:
        return (
            self.object_pk
            and self.expect.get("other_admin") == 404
            and self.kwargs is not no_kwargs
        )


def everyone(status: int) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, status)


def admins(status: int = 200, *, other: int | None = None) -> dict[str, int | str]:
    """A console page: sign in first; therapists 403; the other clinic's admin `other`."""
    return {
        "anonymous": LOGIN,
        "therapist": 403,
        "admin": status,
        "other_admin": status if other is None else other,
    }


def staff(status: int = 200) -> dict[str, int | str]:
    """A page about one of clinic A's clients: its therapist and admin; 404 elsewhere."""
    return {"anonymous": LOGIN, "therapist": status, "admin": status, "other_admin": 404}


def staff_pages(status: int = 200) -> dict[str, int | str]:
    """A page for every signed-in staff user, whatever the clinic."""
    return {"anonymous": LOGIN, "therapist": status, "admin": status, "other_admin": status}


def therapists(status: int = 200) -> dict[str, int | str]:
    return {"anonymous": LOGIN, "therapist": status, "admin": 403, "other_admin": 403}


def therapist_pk(w: World) -> dict[str, Any]:
    return {"pk": w.therapist.pk}


def client_pk(w: World) -> dict[str, Any]:
    return {"pk": w.client.pk}


def administration_pk(w: World) -> dict[str, Any]:
    return {"pk": w.extra["administration"].pk}


def response_pk(w: World) -> dict[str, Any]:
    return {"pk": w.extra["response"].pk}


ASSESSMENT_ROUTES: list[Route] = [
    # --- the client's pages: no sign-in; without a link or kiosk, a plain refusal ----
    Route(
        "assessments:open_link",
        everyone(404),
        kwargs=lambda w: {"token": "not-a-token"},
        object_pk=False,
    ),
    Route("assessments:questionnaire", everyone(404)),
    Route("assessments:questionnaire_done", everyone(404)),
    Route("assessments:kiosk", everyone(403)),
    Route("assessments:kiosk_questionnaire", everyone(403)),
    Route("assessments:kiosk_done", everyone(403)),
    Route("assessments:kiosk_reset", everyone(302), method="post"),
    # --- therapists and admins: questionnaires of clinic A's client ----------------
    Route("assessments:caseload", therapists(200)),
    Route("assessments:client", staff(), kwargs=client_pk),
    Route("assessments:request_new", staff(), kwargs=client_pk),
    # Review together: the client's therapist or the clinic admin (another therapist's
    # client answers 404: see tests/dashboards/test_review_together.py).
    Route("assessments:review", staff(), kwargs=client_pk),
    Route(
        "assessments:review_leave",
        staff(302),
        kwargs=client_pk,
        method="post",
        data=lambda w: {"password": PASSWORD},
    ),
    # Schedules: the client's therapist or the clinic admin; stopping with no schedule
    # says so and goes back to the client's page.
    Route("assessments:schedule", staff(), kwargs=client_pk),
    Route("assessments:schedule_stop", staff(302), kwargs=client_pk, method="post"),
    # The report for the record, as a page and as a PDF (same access as the client page).
    Route("assessments:client_report", staff(), kwargs=client_pk),
    Route("assessments:client_report_pdf", staff(), kwargs=client_pk),
    # Marking flags discussed: the client's therapist or the clinic admin; 404 elsewhere
    # (another therapist's client: see tests/dashboards/test_flag_discussions.py).
    Route(
        "assessments:flags_discussed",
        staff(302),
        kwargs=client_pk,
        method="post",
        data=lambda w: {"administration": w.extra["response"].administration_id, "note": ""},
    ),
    Route(
        "assessments:self_rating",
        {"anonymous": LOGIN, "therapist": 200, "admin": 403, "other_admin": 403},
        kwargs=client_pk,
    ),
    Route("assessments:paper_entry", staff(), kwargs=client_pk),
    Route("assessments:administration", staff(), kwargs=administration_pk),
    Route(
        "assessments:administration_revoke",
        staff(302),
        kwargs=administration_pk,
        method="post",
    ),
    Route(
        "assessments:administration_new_link",
        staff(302),
        kwargs=administration_pk,
        method="post",
    ),
    Route(
        "assessments:administration_email",
        staff(302),
        kwargs=administration_pk,
        method="post",
    ),
    Route("assessments:response_correct", staff(), kwargs=response_pk),
    Route("assessments:forms", staff_pages()),
    Route(
        "assessments:form_detail",
        staff_pages(),
        kwargs=lambda w: {"code": "wai-sr-client"},
        object_pk=False,
    ),
    # --- clinic admin -----------------------------------------------------------------
    Route("assessments:clinic_alliance", admins()),
    Route("assessments:clinic_settings", admins()),
    Route("assessments:clinic_schedule", admins()),
    Route("assessments:kiosks", admins()),
    Route(
        "assessments:kiosk_enrol",
        admins(302),
        method="post",
        data=lambda w: {"name": "Front desk tablet"},
    ),
    Route(
        "assessments:kiosk_revoke",
        admins(302, other=404),
        kwargs=lambda w: {"pk": w.extra["kiosk"].pk},
        method="post",
    ),
]


def _export_job(w: World) -> dict[str, Any]:
    if "export_job" not in w.extra:
        w.extra["export_job"] = ExportJob.objects.create(
            clinic=w.admin.clinic, created_by=w.admin, format="csv", params={}
        )
    return {"pk": w.extra["export_job"].pk}


def _api_key(w: World) -> dict[str, Any]:
    if "api_key" not in w.extra:
        w.extra["api_key"] = api_key_create(actor=w.admin, name="EHR", scopes=["scores:read"]).key
    return {"pk": w.extra["api_key"].pk}


# An export job is its creator's (clinic A's admin) alone: everyone else gets 404.
OWN_JOB = {"anonymous": LOGIN, "therapist": 404, "admin": 200, "other_admin": 404}
INTEGRATION_ROUTES: list[Route] = [
    Route("integrations:exports", staff_pages()),
    Route("integrations:export_job", OWN_JOB, kwargs=_export_job),
    Route("integrations:export_job_progress", OWN_JOB, kwargs=_export_job),
    Route("integrations:export_job_download", {**OWN_JOB, "admin": 302}, kwargs=_export_job),
    Route("integrations:fhir_questionnaires", staff_pages()),
    Route(
        "integrations:administration_fhir",
        staff(),
        kwargs=lambda w: {"pk": w.extra["response"].administration_id},
    ),
    Route("integrations:access_request", admins(other=404), kwargs=client_pk),
    Route("integrations:access_request_json", admins(other=404), kwargs=client_pk),
    Route("integrations:access_request_html", admins(other=404), kwargs=client_pk),
    Route("integrations:api_keys", admins()),
    Route("integrations:api_key_revoke", admins(other=404), kwargs=_api_key),
    # The API ignores sessions: without a key everyone gets 401 (JSON).
    Route("integrations:api_openapi", everyone(200)),
    Route("integrations:api_clients", everyone(401)),
    Route("integrations:api_questionnaires", everyone(401)),
    Route("integrations:api_questionnaire", everyone(401), kwargs=lambda w: {"pk": 1}),
    Route("integrations:api_fhir_responses", everyone(401)),
    Route("integrations:api_fhir_response", everyone(401), kwargs=lambda w: {"pk": 1}),
    Route(
        "integrations:api_fhir_questionnaire",
        everyone(401),
        kwargs=lambda w: {"code": "wai-sr-client"},
        object_pk=False,
    ),
    Route(
        "integrations:api_not_found",
        everyone(404),
        kwargs=lambda w: {"rest": "v1/nothing"},
        object_pk=False,
    ),
]

ROUTES: list[Route] = [
    *ASSESSMENT_ROUTES,
    *INTEGRATION_ROUTES,
    # --- site ---------------------------------------------------------------------
    Route("home", {"anonymous": 302, "therapist": 302, "admin": 302, "other_admin": 302}),
    Route("healthz", everyone(200)),
    # The accessibility statement: public, linked from every page's footer.
    Route("accessibility", everyone(200)),
    # Only a request with the metrics token sees it; staff sessions do not (404).
    Route("metrics", everyone(404)),
    Route("login", {"anonymous": 200, "therapist": 302, "admin": 302, "other_admin": 302}),
    Route("logout", everyone(302), method="post"),
    # The sign-out warning's "how long is left?" (GET; POST is "Stay signed in"): any
    # signed-in staff session, whatever the clinic; it shows only the session's clock.
    Route("session_keep", staff_pages(200)),
    Route("password_reset", everyone(200)),
    Route("password_reset_done", everyone(200)),
    Route(
        "password_reset_confirm",
        everyone(200),
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
    ),
    Route("password_reset_complete", everyone(200)),
    # The scripts' translations: public (client pages use them too), one per language.
    Route(
        "javascript_catalog",
        everyone(200),
        kwargs=lambda w: {"language": "de"},
        object_pk=False,
    ),
    # A staff user's interface language: staff only; the answer is back to the page.
    Route(
        "clinicians:language_choose",
        {"anonymous": LOGIN, "therapist": 302, "admin": 302, "other_admin": 302},
        method="post",
        data=lambda w: {"language": "es", "next": "/"},
    ),
    # --- clinicians: the clinic admin's console ------------------------------------
    Route("clinicians:console", admins()),
    Route("clinicians:therapists", admins()),
    Route("clinicians:therapist_invite", admins()),
    Route("clinicians:therapist_deactivate", admins(other=404), kwargs=therapist_pk),
    Route(
        "clinicians:therapist_reactivate",
        admins(302, other=404),
        kwargs=therapist_pk,
        method="post",
    ),
    Route("clinicians:therapist_transfer", admins(other=404), kwargs=therapist_pk),
    Route("clinicians:therapist_second_factor_reset", admins(other=404), kwargs=therapist_pk),
    Route("clinicians:clients", admins()),
    Route("clinicians:client_new", admins()),
    Route("clinicians:client_detail", admins(other=404), kwargs=client_pk),
    Route("clinicians:client_edit", admins(other=404), kwargs=client_pk),
    Route("clinicians:client_discharge", admins(other=404), kwargs=client_pk),
    Route(
        "clinicians:client_reactivate",
        admins(other=404),
        kwargs=lambda w: {"pk": w.discharged_client.pk},
    ),
    Route("clinicians:client_assign", admins(other=404), kwargs=client_pk),
    Route(
        "clinicians:client_erase",
        admins(other=404),
        kwargs=lambda w: {"pk": w.discharged_client.pk},
    ),
    Route("clinicians:import_upload", admins()),
    Route("clinicians:import_batch", admins(other=404), kwargs=lambda w: {"pk": w.import_batch.pk}),
    Route(
        "clinicians:import_progress",
        admins(other=404),
        kwargs=lambda w: {"pk": w.import_batch.pk},
    ),
    Route("clinicians:audit", admins()),
    Route("clinicians:background", admins()),
    # --- second factor: signed-in staff; verified sessions are sent on (302) ----------
    Route("clinicians:second_factor_enrol", staff_pages(302)),
    Route("clinicians:second_factor_verify", staff_pages(302)),
    Route("clinicians:recovery_codes", staff_pages(302)),
    Route("clinicians:account_security", staff_pages(200)),
    Route("clinicians:recovery_codes_regenerate", staff_pages(302), method="post"),
    # Public: a wrong or expired invitation shows the same plain page to anyone.
    Route(
        "clinicians:invitation_accept",
        everyone(200),
        kwargs=lambda w: {"token": "not-a-token"},
        object_pk=False,
    ),
    Route("clinicians:invitation_set_password", everyone(200)),
]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # The cast's passwords are hashed once per test; Argon2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(cast: dict[str, User], clients: dict[str, Patient]) -> World:
    admin = cast["admin"]
    discharged = make_client(
        admin.clinic,
        "A-900",
        status=PatientStatus.DISCHARGED,
        discharged_on="2024-01-31",
        activated_on="2024-01-01",
    )
    batch = ImportBatch.objects.create(
        clinic=admin.clinic, created_by=admin, filename="clients.csv", rows=[]
    )
    issued = administration_request(
        actor=cast["therapist"],
        patient=clients["own"],
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
    )
    done = staff_entry_submit(
        actor=cast["therapist"],
        patient=clients["own"],
        form_code="wai-sr-client",
        rater="client",
        occasion=Occasion(OccasionKind.INTAKE, None, "", timezone.localdate()),
        answers={i: 4 for i in range(1, 13)},
    )
    device, _token = kiosk_enrol(actor=admin, name="Waiting room")
    return World(
        extra={"administration": issued.administration, "response": done, "kiosk": device},
        admin=admin,
        therapist=cast["therapist"],
        other_therapist=cast["other_therapist"],
        other_admin=cast["other_admin"],
        client=clients["own"],
        discharged_client=discharged,
        other_clinic_client=clients["other_clinic"],
        import_batch=batch,
    )


def _request(c: Client, route: Route, url: str, world: World):  # type: ignore[no-untyped-def]
    return getattr(c, route.method)(url, route.data(world))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "role"),
    [(route, role) for route in ROUTES for role in ROLES],
    ids=[f"{route.name}-{role}" for route in ROUTES for role in ROLES],
)
def test_each_url_answers_each_role_as_the_table_says(route: Route, role: str, world: World):
    url = reverse(route.name, kwargs=route.kwargs(world))
    response = _request(client_for(world.user(role)), route, url, world)
    expected = route.expect[role]
    if expected == LOGIN:
        assert response.status_code == 302, (url, role)
        assert response.url.startswith("/accounts/login/"), (url, role)
    else:
        assert response.status_code == expected, (url, role, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("route", [r for r in ROUTES if r.is_object_url], ids=lambda r: r.name)
def test_an_object_that_does_not_exist_answers_404_like_another_clinics(
    route: Route, world: World
) -> None:
    kwargs = {**route.kwargs(world), "pk": 987654321}
    response = _request(client_for(world.admin), route, reverse(route.name, kwargs=kwargs), world)
    assert response.status_code == 404


def named_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in IGNORED_NAMESPACES:
                    continue
                ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_named_url_is_in_the_table() -> None:
    table = {route.name for route in ROUTES}
    missing = sorted(named_url_names() - table)
    assert not missing, f"Add these URL names to ROUTES in {__file__}: {missing}"


def test_the_table_names_only_urls_that_exist() -> None:
    assert not sorted({r.name for r in ROUTES} - named_url_names())
    assert len({r.name for r in ROUTES}) == len(ROUTES), "one row per URL name"


# Pages an unverified session (password given, second factor not yet) may still open:
# the second-factor pages, sign-out, and pages that never show staff data.
OPEN_BEFORE_SECOND_FACTOR = {
    "logout",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "clinicians:second_factor_enrol",
    "clinicians:second_factor_verify",
    "clinicians:invitation_accept",
    "clinicians:invitation_set_password",
}


def _is_client_or_api_page(route: Route) -> bool:
    # The client's pages and the key-authenticated API answer the same to anyone.
    return len(set(route.expect.values())) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "role"),
    [(route, role) for route in ROUTES for role in ROLES if role != "anonymous"],
    ids=[f"{route.name}-{role}" for route in ROUTES for role in ROLES if role != "anonymous"],
)
def test_a_session_without_its_second_factor_reaches_no_staff_page(
    route: Route, role: str, world: World
) -> None:
    url = reverse(route.name, kwargs=route.kwargs(world))
    user = world.user(role)
    c = client_for(user, second_factor=False)
    response = _request(c, route, url, world)
    if route.name in OPEN_BEFORE_SECOND_FACTOR:
        assert response.status_code != 500
        return
    if _is_client_or_api_page(route) and route.name != "home":
        assert response.status_code == route.expect["anonymous"], (url, role)
        return
    assert response.status_code == 302, (url, role, response.status_code)
    assert response.url.startswith("/accounts/two-factor/"), (url, role, response.url)
