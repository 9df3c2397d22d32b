"""The report for the record: who may see it, what it says, and its PDF."""

from __future__ import annotations

import io
import re
from datetime import date
from html import escape
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from assessments.alliance.pdf import (
    BASE_URL,
    RefusedURL,
    static_only_fetcher,
    with_svg_styles,
)
from assessments.alliance.report import TABLE_ROWS, report_filename
from assessments.models import Rater
from assessments.scoring.registry import get_registry
from clinicians.models import AuditEvent, Patient, User
from tests.conftest import client_for, make_client
from tests.dashboards.test_flag_discussions import mark

from .test_caseload import rate

pytestmark = pytest.mark.django_db

SR_CITATION = get_registry().get("wai-sr-client").citation
S_T_CITATION = get_registry().get("wai-s-therapist").citation
# Ten client questionnaires with ups and downs (a possible rupture at the seventh),
# and four ratings of the therapist's own: like the demo's clients.
TEN = [4, 4, 5, 4, 4, 5, 2, 4, 4, 4]


def page_url(patient: Patient) -> str:
    return reverse("assessments:client_report", args=[patient.pk])


def pdf_url(patient: Patient) -> str:
    return reverse("assessments:client_report_pdf", args=[patient.pk])


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


@pytest.fixture
def demo_like(therapist_a1: User, client_a1: Patient) -> Patient:
    rate(therapist_a1, client_a1, TEN)
    rate(therapist_a1, client_a1, [5, 4, 4, 5], rater=Rater.THERAPIST)
    return client_a1


# --- who may see it ---------------------------------------------------------------


@pytest.mark.parametrize("which", ["page", "pdf"])
def test_the_report_follows_the_client_pages_access_rules(
    which: str,
    therapist_a1: User,
    therapist_a2: User,
    admin_a: User,
    admin_b: User,
    client_a1: Patient,
) -> None:
    url = (page_url if which == "page" else pdf_url)(client_a1)
    assert client_for(therapist_a1).get(url).status_code == 200  # own caseload
    assert client_for(admin_a).get(url).status_code == 200  # own clinic
    assert client_for(therapist_a2).get(url).status_code == 404  # a colleague's client
    assert client_for(admin_b).get(url).status_code == 404  # another clinic
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    unverified = client_for(therapist_a1, second_factor=False).get(url)
    assert unverified.status_code == 302 and "/two-factor/" in unverified.url


@pytest.mark.parametrize(("which", "page"), [("page", "report"), ("pdf", "report_pdf")])
def test_each_report_writes_one_audit_view_line(
    which: str, page: str, therapist_a1: User, client_a1: Patient
) -> None:
    url = (page_url if which == "page" else pdf_url)(client_a1)
    c = client_for(therapist_a1)
    before = AuditEvent.objects.count()
    c.get(url)
    assert AuditEvent.objects.count() == before + 1
    line = AuditEvent.objects.latest("id")
    assert line.action == "client_data_viewed"
    assert line.patient == client_a1 and line.actor == therapist_a1
    assert line.detail == {"page": page}


def test_a_colleagues_refused_report_writes_no_view_line(
    therapist_a2: User, client_a1: Patient
) -> None:
    client_for(therapist_a2).get(page_url(client_a1))
    assert not AuditEvent.objects.filter(action="client_data_viewed", patient=client_a1).exists()


def test_only_get_is_answered(therapist_a1: User, client_a1: Patient) -> None:
    assert client_for(therapist_a1).post(page_url(client_a1)).status_code == 405


# --- what it says -----------------------------------------------------------------


def test_the_report_has_the_scores_the_chart_the_flags_and_the_citations(
    therapist_a1: User, demo_like: Patient
) -> None:
    page = client_for(therapist_a1).get(page_url(demo_like)).content.decode()
    assert "Alliance report for A-001 · Alice Client" in page
    assert "Northside" in page or demo_like.clinic.name in page
    assert "Tess Therapist" in page
    assert "10 answered by the client" in page
    assert '<svg class="alliance-chart"' in page and "Alliance over time for A-001" in page
    table = page.split('id="report-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 11  # header + ten questionnaires
    assert "▼ −75" in table  # 100 → 25 at session 7
    assert "Possible rupture" in table
    assert "Not marked as discussed." in table
    assert escape(SR_CITATION) in page and escape(S_T_CITATION) in page
    assert "(10 questionnaires)" in page and "(4 questionnaires)" in page
    # The same figures as the client's page.
    chart_page = client_for(therapist_a1).get(f"/clients/{demo_like.pk}/").content.decode()
    chart_table = chart_page.split('id="alliance-table"')[1].split("</table>")[0]
    totals = re.findall(r"<strong>(\d+)</strong>", chart_table)
    assert totals == re.findall(r"<strong>(\d+)</strong>", table)


def test_discussed_flags_say_when_and_by_whom_but_not_the_note(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2])
    assert mark(therapist_a1, client_a1, "Talked about the room change.").status_code == 302
    page = client_for(therapist_a1).get(page_url(client_a1)).content.decode()
    assert "Discussed on" in page and "by Tess Therapist." in page
    assert "Talked about the room change." not in page
    _pages, text = pdf_text(client_for(therapist_a1).get(pdf_url(client_a1)).content)
    assert "Discussed on" in text and "Talked about the room change." not in text


def test_the_client_page_links_to_the_report(therapist_a1: User, client_a1: Patient) -> None:
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    assert f'href="{page_url(client_a1)}"' in page


def test_the_page_has_a_print_button_from_a_script_file_and_a_pdf_link(
    therapist_a1: User, client_a1: Patient
) -> None:
    page = client_for(therapist_a1).get(page_url(client_a1)).content.decode()
    assert "data-print hidden" in page and "/static/js/print.js" in page
    assert f'href="{pdf_url(client_a1)}"' in page
    assert "<script>" not in page  # the CSP allows no inline script


# --- the PDF ----------------------------------------------------------------------


def test_the_pdf_is_a_download_of_one_or_two_pages_with_the_code_and_citations(
    therapist_a1: User, demo_like: Patient
) -> None:
    response = client_for(therapist_a1).get(pdf_url(demo_like))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="alliance-report-A-001-')
    assert response["Cache-Control"] == "no-store"
    pages, text = pdf_text(response.content)
    assert 1 <= pages <= 2
    assert "A-001" in text and "Alice Client" in text
    assert "Hatcher, R. L., & Gillaspy, J. A. (2006)" in text
    assert "Possible rupture" in text
    assert "Print" not in text.split("Alliance report")[0]  # no buttons, no navigation
    assert "Sign out" not in text


def test_the_pdf_is_tagged_for_screen_readers(therapist_a1: User, demo_like: Patient) -> None:
    reader = PdfReader(io.BytesIO(client_for(therapist_a1).get(pdf_url(demo_like)).content))
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root.get("/Lang")


@pytest.mark.parametrize("count", [0, 1, TABLE_ROWS, 60])
def test_any_length_of_history_fits_one_or_two_pages(
    count: int, therapist_a1: User, client_a1: Patient
) -> None:
    values = [(4, 5, 3, 4, 2, 5)[i % 6] for i in range(count)]
    if values:
        rate(therapist_a1, client_a1, values)
    c = client_for(therapist_a1)
    page = c.get(page_url(client_a1)).content.decode()
    pages, text = pdf_text(c.get(pdf_url(client_a1)).content)
    assert 1 <= pages <= 2, (count, pages)
    assert "A-001" in text
    # The screen's sign-out warning (and the security token in its form) stays out.
    assert "Are you still there" not in text and "csrfmiddlewaretoken" not in text
    if count == 0:
        assert "There are no scores yet" in page and 'id="report-table"' not in page
        assert "Forms and citations" not in page
        return
    table = page.split('id="report-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + min(count, TABLE_ROWS)
    if count > TABLE_ROWS:
        left = count - TABLE_ROWS
        assert f"The table lists the {TABLE_ROWS} most recent questionnaires; {left} earlier" in (
            page
        )
        assert f"{left} earlier ones are in the chart" in text
    else:
        assert "most recent questionnaires" not in page


def test_the_download_name_keeps_only_safe_characters(clinic_a: Any) -> None:
    patient = make_client(clinic_a, 'A/7 "x"\r\n;y')
    name = report_filename(patient, date(2026, 5, 1))
    assert name == "alliance-report-A-7-x-y-2026-05-01.pdf"
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)


# --- the PDF renderer reads our static files and nothing else ---------------------


def test_the_fetcher_serves_static_files() -> None:
    response = static_only_fetcher().fetch(BASE_URL + "static/css/report.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:8000/static/css/report.css",
        "https://example.com/static/css/report.css",
        BASE_URL + "static/../alliance_site/settings.py",
        BASE_URL + "static/%2e%2e/alliance_site/settings.py",
        BASE_URL + "clients/1/",
        BASE_URL + "static/css/no-such-file.css",
        "ftp://example.com/x.css",
    ],
)
def test_the_fetcher_refuses_everything_else(url: str) -> None:
    with pytest.raises((RefusedURL, ValueError)):
        static_only_fetcher().fetch(url)


def test_a_link_out_in_the_html_is_not_fetched(therapist_a1: User) -> None:
    from assessments.alliance.pdf import html_to_pdf

    html = (
        '<html><body><p>x</p><img src="file:///etc/hostname">'
        '<img src="http://198.51.100.1/track.png"></body></html>'
    )
    assert html_to_pdf(html).startswith(b"%PDF-")  # rendered, the images left out


def test_each_inline_svg_gets_the_chart_styles_for_the_pdf() -> None:
    html = '<p>a</p><svg class="alliance-chart" viewBox="0 0 1 1"><line/></svg><svg><g/></svg>'
    styled = with_svg_styles(html)
    assert styled.count("<style>") == 2
    assert ".line-total" in styled
    assert styled.index("<style>") > styled.index('<svg class="alliance-chart"')


def test_the_report_costs_the_same_queries_for_4_or_64_questionnaires(
    therapist_a1: User,
    client_a1: Patient,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """13 queries at most, the device read and the audit insert included, the same for a
    short history with flags as for a long one."""
    rate(therapist_a1, client_a1, [5, 5, 5, 2])
    c = client_for(therapist_a1)
    c.get(page_url(client_a1))  # warm the per-process caches (forms registry)
    with django_assert_max_num_queries(13) as few:
        c.get(page_url(client_a1))
    rate(therapist_a1, client_a1, [4, 5, 3, 2, 5, 4] * 10)
    with django_assert_num_queries(len(few.captured_queries)):
        c.get(page_url(client_a1))
    with django_assert_num_queries(len(few.captured_queries)):
        c.get(pdf_url(client_a1))


@given(code=st.text(min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_client_code_gives_a_safe_download_name(code: str) -> None:
    patient = Patient(pk=7, code=code)
    name = report_filename(patient, date(2026, 1, 2))
    assert re.fullmatch(r"alliance-report-[A-Za-z0-9._-]+-2026-01-02\.pdf", name)
    # A code made of safe characters is kept as it is.
    if re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?", code):
        assert name == f"alliance-report-{code}-2026-01-02.pdf"


def test_static_files_on_another_host_are_read_from_storage_not_fetched(settings: Any) -> None:
    settings.STATIC_URL = "https://cdn.example.test/assets/"
    response = static_only_fetcher().fetch("https://cdn.example.test/assets/css/report.css")
    assert b"@page" in response.read()
    with pytest.raises(RefusedURL):
        static_only_fetcher().fetch("https://cdn.example.test/elsewhere/css/report.css")
    with pytest.raises(RefusedURL):
        static_only_fetcher().fetch("http://cdn.example.test/assets/css/report.css")
