"""The clinic admin's journey in a real browser: onboard a therapist, import clients,
assign one, transfer a caseload, read the audit log.

Screenshots of each page go to $CONSOLE_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.core import mail

from clinicians.models import CaseAssignment, Patient, User
from tests.browser.conftest import complete_second_factor, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", tempfile.gettempdir()))
NEW_PASSWORD = "lighthouse-orchard-47"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


def test_an_admin_onboards_a_therapist_imports_assigns_and_transfers(  # type: ignore[no-untyped-def]
    page,
    browser,
    live_server,
    admin_a: User,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
    tmp_path: Path,
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # --- sign in: the console's overview ---------------------------------------------
    sign_in(page, admin_a.email, PASSWORD)
    assert page.url.endswith("/console/")
    assert page.get_by_role("heading", name="Clinic console").is_visible()
    shot(page, "01-overview")

    # --- invite a therapist -----------------------------------------------------------
    page.get_by_role("link", name="Therapists", exact=True).click()
    shot(page, "02-therapists")
    page.get_by_role("link", name="Invite a therapist").first.click()
    page.get_by_label("Email address").fill("nora@northside.test")
    page.get_by_label("Name").fill("Dr. Nora New")
    shot(page, "03-invite")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("nora@northside.test is invited").is_visible()
    assert page.get_by_text("Invited, no password yet").is_visible()

    # --- the therapist opens the emailed link and chooses a password ------------------
    link = re.search(r"https?://[^/\s]+(/accounts/invitation/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    therapist_context = browser.new_context(base_url=live_server.url)
    therapist_page = therapist_context.new_page()
    therapist_page.set_default_timeout(10_000)
    therapist_page.goto(link.group(1))
    assert therapist_page.url.endswith("/set-password/")
    assert therapist_page.get_by_role("heading", name="Welcome to Alliance").is_visible()
    shot(therapist_page, "04-choose-password")
    therapist_page.get_by_role("textbox", name="New password*", exact=True).fill(NEW_PASSWORD)
    therapist_page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    therapist_page.get_by_role("button", name="Save the password and sign in").click()
    # Straight on to setting up the second factor, then the caseload.
    therapist_page.wait_for_url("**/accounts/two-factor/setup/")
    complete_second_factor(therapist_page, "nora@northside.test")
    therapist_page.wait_for_url("**/caseload/")
    assert therapist_page.get_by_role("heading", name="My caseload").is_visible()
    therapist_context.close()
    nora = User.objects.get(email="nora@northside.test")
    assert nora.has_usable_password()

    # --- import clients from a spreadsheet --------------------------------------------
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text(
        "Code,Name,Email,Therapist_Email\n"
        f"N-101,Ines Import,ines@example.test,{therapist_a1.email}\n"
        f"N-102,Jon Import,,{therapist_a1.email}\n"
        "N-103,Kim Import,,\n"
        "N-104,Bad Email,not-an-email,\n"
        "A-001,Alice Again,,\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Import", exact=True).click()
    shot(page, "05-import-upload")
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/console/import/\d+/$"))
    assert page.get_by_text("not-an-email is not a valid email address").is_visible()
    shot(page, "06-import-preview")
    page.get_by_role("button", name="Import 3 new clients").click()
    assert page.get_by_text("3 new clients were added").is_visible()
    shot(page, "07-import-done")
    assert Patient.objects.filter(code__startswith="N-10").count() == 3

    # --- assign a client --------------------------------------------------------------
    page.get_by_role("link", name="Clients", exact=True).click()
    shot(page, "08-clients")
    page.get_by_role("link", name="N-103", exact=True).click()
    page.get_by_role("link", name="Assign a therapist").click()
    page.get_by_label("Therapist").select_option(label="Dr. Nora New (nora@northside.test)")
    shot(page, "09-assign")
    page.get_by_role("button", name="Assign").click()
    assert page.get_by_text("N-103 is now on Dr. Nora New's caseload").is_visible()
    shot(page, "10-client-detail")

    # --- transfer Tess's caseload, then deactivate her --------------------------------
    page.get_by_role("link", name="Therapists", exact=True).click()
    page.get_by_role("link", name="Transfer clients of Tess Therapist").click()
    page.get_by_label("Theo Therapist").check()
    page.get_by_label("Dr. Nora New").check()
    page.get_by_role("button", name="Preview the transfer").click()
    shot(page, "11-transfer-preview")
    page.get_by_role("button", name="Move 3 clients now").click()
    assert page.get_by_text("Moved 3 clients of Tess Therapist").is_visible()
    assert not CaseAssignment.objects.filter(therapist=therapist_a1, ended_at__isnull=True).exists()
    page.get_by_role("link", name="Deactivate Tess Therapist").click()
    shot(page, "12-deactivate")
    page.get_by_role("button", name="Deactivate Tess Therapist").click()
    assert page.get_by_text("Tess Therapist is deactivated").is_visible()
    shot(page, "13-therapists-after")

    # --- the audit log ----------------------------------------------------------------
    page.get_by_role("link", name="Audit log", exact=True).click()
    assert page.get_by_text("Caseload transferred").first.is_visible()
    shot(page, "14-audit")
    page.get_by_role("link", name="Overview", exact=True).click()
    shot(page, "15-overview-after")

    assert errors == []


def serious_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_console_pages_have_no_serious_accessibility_problem_and_fit_a_phone(  # type: ignore[no-untyped-def]
    page, phone_page, admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    from clinicians import services

    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=b"code,email\nX-1,bad\nX-2,\n"
    )
    urls = [
        "/console/",
        "/console/therapists/",
        "/console/therapists/invite/",
        f"/console/therapists/{therapist_a1.pk}/deactivate/",
        f"/console/therapists/{therapist_a1.pk}/transfer/?to={therapist_a2.pk}",
        "/console/clients/",
        "/console/clients/new/",
        f"/console/clients/{client_a1.pk}/",
        f"/console/clients/{client_a1.pk}/assign/",
        f"/console/clients/{client_a1.pk}/discharge/",
        "/console/import/",
        f"/console/import/{batch.pk}/",
        "/console/audit/",
    ]
    for p, label in ((page, "desktop"), (phone_page, "phone")):
        sign_in(p, admin_a.email, PASSWORD)
        for url in urls:
            p.goto(url)
            assert serious_problems(p) == [], (label, url)
            overflow = p.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                shot(p, "overflow")
            assert overflow <= 0, (label, url, overflow)
        shot(p, f"{label}-last")
    phone_page.goto("/console/clients/")
    shot(phone_page, "phone-clients")
