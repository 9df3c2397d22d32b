"""The report for the record in a real browser: reached from the client page, free of
serious accessibility problems at desktop and phone width, printed to PDF by Chromium
(its print stylesheet: one or two pages, no navigation), and downloaded as a PDF.

Set $ALLIANCE_SCREENSHOTS to a folder to keep the screenshots and Chromium's PDF.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from assessments.models import Rater
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_questionnaire import assert_accessible
from tests.conftest import PASSWORD
from tests.dashboards.test_caseload import rate
from tests.dashboards.test_client_report import TEN
from tests.dashboards.test_flag_discussions import mark

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ALLIANCE_SCREENSHOTS")


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def test_the_report_prints_cleanly_and_downloads_as_a_pdf(  # type: ignore[no-untyped-def]
    page, therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [*TEN[:-1], 2])  # ten, the last one a sharp fall
    rate(therapist_a1, client_a1, [5, 4, 4, 5], rater=Rater.THERAPIST)
    assert mark(therapist_a1, client_a1, "A private note.").status_code == 302
    # mark() signed in with a test device; the browser sets up its own app.
    TOTPDevice.objects.filter(user=therapist_a1).delete()
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto(f"/clients/{client_a1.pk}/")
    page.get_by_role("link", name="Report for the record").click()
    page.wait_for_url(re.compile(r".*/clients/\d+/report/$"))
    assert page.get_by_role("heading", name=re.compile("Alliance report for A-001")).is_visible()
    assert page.get_by_role("button", name="Print").is_visible()  # the script showed it
    assert page.get_by_role("img", name=re.compile("Alliance over time for A-001")).is_visible()
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "report-1366.png"), full_page=True)

    # Printed by Chromium with the page's print stylesheet.
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    if SHOTS:
        with open(os.path.join(SHOTS, "report-chromium.pdf"), "wb") as out:
            out.write(pdf)
    pages, text = _text(pdf)
    assert 1 <= pages <= 2, pages
    assert "Alliance report for A-001" in text and "Alice Client" in text
    assert "Hatcher, R. L., & Gillaspy, J. A. (2006)" in text
    assert "Discussed on" in text and "A private note." not in text
    for chrome in ("Sign out", "Download as PDF", "Back to the client", "Skip to main"):
        assert chrome not in text, chrome

    # The server's PDF of the same template.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    assert re.fullmatch(
        r"alliance-report-A-001-\d{4}-\d{2}-\d{2}\.pdf", download.value.suggested_filename
    )
    with open(download.value.path(), "rb") as handle:
        served = handle.read()
    served_pages, served_text = _text(served)
    assert 1 <= served_pages <= 2
    assert "Alliance report for A-001" in served_text

    # A phone's width: nothing scrolls sideways but the table's own region.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "report-390.png"), full_page=True)
