"""Every staff page, at a phone's width (390 px) and a desktop's (1366 px): axe finds no
serious or critical problem, and at 390 px nothing is wider than the screen except
inside a focusable, labelled scroll region.

The list of pages is not kept here: it is every GET URL of the URL × role matrix
(tests/test_url_matrix.py) that a therapist or a clinic admin opens as a page, so a
staff page added to the matrix is walked without anyone remembering to add it. The
data is the demo clinic's (flags, open and completed questionnaires), renamed to a
60-character clinic name, so that tables and headers are as full as they get.

Screenshots of each page at 390 px go to $STAFF_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import OccasionKind, Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import Occasion, administration_request
from clinicians.demo import DEMO_PASSWORD, seed_demo_clinic
from clinicians.models import Clinic, Patient, PatientStatus, Role, User
from clinicians.services.imports import patients_import_check
from tests.browser.conftest import sign_in
from tests.test_url_matrix import ROUTES, Route, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
LONG_CLINIC_NAME = "Riverside Counselling and Psychotherapy Centre, North Branch"
SHOTS = os.environ.get("STAFF_SCREENSHOTS")

# Staff GET URLs that answer with data or a file, not a page a person reads.
NOT_PAGES = {
    "integrations:export_job_progress",  # JSON polled by the export page
    "clinicians:import_progress",  # JSON polled by the import page
    "integrations:access_request_json",  # a download
    "integrations:access_request_html",  # a download (the same answer as a file)
    "integrations:fhir_questionnaires",  # FHIR JSON
    "integrations:administration_fhir",  # FHIR JSON
    "assessments:client_report_pdf",  # the report as a PDF download
    "session_keep",  # JSON asked by the sign-out warning
}


# Pages outside the matrix that staff still see: the refusal page, inside the staff
# layout. (role, path, status)
ERROR_PAGES = [("therapist", "/console/", 403), ("admin", "/caseload/", 403)]


def walked_routes() -> list[tuple[Route, str]]:
    """(route, role) for every staff page and every staff role that may open it: the
    navigation, buttons and tables differ by role."""
    walk = []
    for route in ROUTES:
        if route.method != "get" or route.name in NOT_PAGES:
            continue
        if len(set(route.expect.values())) == 1:  # client pages, API, health: not staff
            continue
        walk.extend((route, role) for role in ("therapist", "admin") if route.expect[role] == 200)
    return walk


def test_the_walk_covers_every_staff_page_of_the_url_matrix() -> None:
    names = {r.name for r in ROUTES}
    assert names >= NOT_PAGES, sorted(NOT_PAGES - names)
    walked = {route.name for route, _ in walked_routes()}
    staff_gets = {
        r.name
        for r in ROUTES
        if r.method == "get"
        and len(set(r.expect.values())) > 1
        and 200 in (r.expect["therapist"], r.expect["admin"])
    }
    assert staff_gets - NOT_PAGES == walked
    # The pages the issue names are among them.
    for name in (
        "assessments:caseload",
        "assessments:client",
        "clinicians:console",
        "integrations:exports",
        "integrations:api_keys",
        "clinicians:audit",
        "assessments:kiosks",
        "clinicians:account_security",
        "integrations:access_request",
    ):
        assert name in walked, name


def demo_world() -> World:
    """The demo clinic, as the matrix's World: Dr. Rivera's flagged client D-001 with an
    open questionnaire and completed ones, a discharged client, an import with errors."""
    clinic = seed_demo_clinic()
    Clinic.objects.filter(pk=clinic.pk).update(name=LONG_CLINIC_NAME)
    clinic.refresh_from_db()
    admin = User.objects.get(email="admin@demo.alliance.test")
    rivera = User.objects.get(email="rivera@demo.alliance.test")
    chen = User.objects.get(email="chen@demo.alliance.test")
    other = Clinic.objects.create(name="Elsewhere", slug="elsewhere")
    other_admin = User.objects.create_user(
        email="admin@elsewhere.test", password="x" * 20, clinic=other, role=Role.ADMIN
    )
    client = Patient.objects.get(clinic=clinic, code="D-001")
    discharged = Patient.objects.create(
        clinic=clinic,
        code="D-900",
        display_name="Former Client",
        status=PatientStatus.DISCHARGED,
        activated_on=date(2024, 1, 1),
        discharged_on=date(2024, 3, 31),
    )
    issued = administration_request(
        actor=rivera,
        patient=client,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 9, "", timezone.localdate()),
    )
    response = (
        Response.objects.filter(administration__patient=client, is_current=True)
        .order_by("-pk")
        .first()
    )
    batch = patients_import_check(
        actor=admin,
        filename="clients.csv",
        data=b"code,name,email\nX-1,Ana Example,not-an-email\nX-2,Ben Example,\nD-001,,\n",
    )
    device, _ = kiosk_enrol(actor=admin, name="Waiting room tablet")
    return World(
        admin=admin,
        therapist=rivera,
        other_therapist=chen,
        other_admin=other_admin,
        client=client,
        discharged_client=discharged,
        other_clinic_client=Patient.objects.create(clinic=other, code="E-1"),
        import_batch=batch,
        extra={"administration": issued.administration, "response": response, "kiosk": device},
    )


def page_url(route: Route, world: World) -> str:
    try:
        return reverse(route.name, kwargs=route.kwargs(world))
    except KeyError as missing:  # a new route's object that demo_world does not make yet
        raise AssertionError(
            f"{route.name}: add {missing} to demo_world()'s extra in {__file__}"
        ) from None


# A page is wider than the screen if the document scrolls sideways, or if any visible
# element sticks out past the right edge outside a scroll region (which would show as
# clipped content even where the page itself does not scroll).
OVERFLOW = """() => {
  const w = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    if (e.closest('.table-responsive, .visually-hidden, .visually-hidden-focusable')) return false;
    return r.right > w + 1 || r.left < -1;
  }).slice(0, 3).map(e => e.outerHTML.slice(0, 160));
  return {page: document.documentElement.scrollWidth, screen: w, wide: wide};
}"""

# A region that scrolls sideways must be reachable by keyboard and named for a screen
# reader (axe's scrollable-region-focusable covers only the first half).
UNLABELLED_SCROLLERS = """() => [...document.querySelectorAll('.table-responsive')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .filter(e => e.getAttribute('tabindex') !== '0' || e.getAttribute('role') !== 'region'
               || !(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')))
  .map(e => e.outerHTML.slice(0, 160))"""


def serious(results: Any) -> list[str]:
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_staff_page_fits_a_phone_and_passes_axe_at_both_widths(  # type: ignore[no-untyped-def]
    browser, live_server
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    started = time.monotonic()
    world = demo_world()
    axe = Axe()
    problems: list[str] = []
    visited = 0
    for role in ("therapist", "admin"):
        user = world.user(role)
        assert user is not None
        context = browser.new_context(base_url=live_server.url, viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, user.email, DEMO_PASSWORD)
        # What the walk leaves out must really be data or a download, not a page (checked
        # before the walk, which ends in review mode).
        for route in ROUTES:
            if route.name in NOT_PAGES and route.expect[role] == 200:
                got = context.request.get(reverse(route.name, kwargs=route.kwargs(world)))
                kind = got.headers.get("content-type", "")
                attached = "attachment" in got.headers.get("content-disposition", "")
                if got.status != 200 or ("text/html" in kind and not attached):
                    problems.append(f"{route.name} is a page: walk it ({got.status}, {kind})")
        visits = [
            (page_url(route, world), 200, route.name)
            for route, who in walked_routes()
            if who == role
        ]
        visits += [(path, status, str(status)) for who, path, status in ERROR_PAGES if who == role]
        # Review together puts the session in review mode, which sends every other staff
        # page back to it until the password is given: walk it last.
        visits.sort(key=lambda visit: visit[2] == "assessments:review")
        for url, status, label in visits:
            page.set_viewport_size(PHONE)
            answer = page.goto(url)
            assert answer is not None
            if answer.status != status:
                problems.append(f"{url}: {answer.status}")
                continue
            visited += 1
            page.wait_for_load_state()
            if SHOTS:
                name = f"{role}-{label.replace(':', '-')}"
                page.screenshot(path=str(Path(SHOTS) / f"{name}-390.png"), full_page=True)
            if status != 200:  # an error page keeps the staff navigation
                assert page.locator('header form[action="/accounts/logout/"]').count() == 1, url
            measured = page.evaluate(OVERFLOW)
            if measured["page"] > measured["screen"] or measured["wide"]:
                problems.append(f"{url} at 390 px: {measured}")
            scrollers = page.evaluate(UNLABELLED_SCROLLERS)
            if scrollers:
                problems.append(f"{url} at 390 px: scroll region without a name: {scrollers}")
            for width, size in (("390", PHONE), ("1366", DESKTOP)):
                page.set_viewport_size(size)
                found = serious(axe.run(page))
                if found:
                    problems.append(f"{url} at {width} px: {found}")
                if size is DESKTOP:
                    measured = page.evaluate(OVERFLOW)
                    if measured["page"] > measured["screen"] or measured["wide"]:
                        problems.append(f"{url} at 1366 px: {measured}")
        context.close()
    assert problems == [], "\n".join(problems)
    assert visited == len(walked_routes()) + len(ERROR_PAGES)
    # The walk stays quick enough to run with the rest of the browser suite.
    assert time.monotonic() - started < 180
