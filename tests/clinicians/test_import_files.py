"""Uploading a spreadsheet: files that cannot be read get one plain message, and
nothing is stored."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians.models import ImportBatch, Patient
from tests.clinicians.spreadsheets import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def post(c: Client, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return c.post("/console/import/", {"file": upload(name, data)})


def assert_refused(response, message: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("clients.csv", b"", "The file is empty"),
        ("clients.csv", b"  \n\n ", "The file is empty"),
        ("clients.csv", b"code,name\n", "header row but no clients"),
        ("clients.csv", b"name,email\nAnn,a@b.test\n", "the column “code” is missing"),
        ("clients.csv", "code,name\nA1,José\n".encode("latin-1"), "not saved as UTF-8"),
        ("clients.csv", "code,name\nA1,José\n".encode("utf-16"), "not saved as UTF-8"),
        ("clients.csv", b"code,name\nA1,x\nA2,y,z\n", "row has more cells than the header"),
        ("clients.csv", b"code,Code\nA1,A2\n", "appears twice"),
        ("clients.xlsx", b"PK\x03\x04 not really a workbook", "could not be read as an XLSX"),
        ("clients.xls", b"\xd0\xcf\x11\xe0", "Save the file as XLSX or as CSV UTF-8"),
        ("clients.pdf", b"%PDF-1.4", "Choose a CSV or XLSX file"),
        ("clients", b"code\nA1\n", "Choose a CSV or XLSX file"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_plain_message(
    as_admin: Client, name: str, data: bytes, message: str
) -> None:
    assert_refused(post(as_admin, name, data), message)


def test_no_file_at_all_gets_a_message(as_admin: Client) -> None:
    assert_refused(as_admin.post("/console/import/", {}), "Choose a file to upload")


def test_a_file_over_the_size_limit_is_refused(as_admin: Client, settings: object) -> None:
    settings.ALLIANCE_IMPORT_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    data = csv_bytes([[f"C-{i}", "x" * 100] for i in range(20_000)], ["code", "name"])
    assert_refused(post(as_admin, "big.csv", data), "larger than 1 MB")


def test_a_file_over_the_row_limit_is_refused(as_admin: Client, settings: object) -> None:
    settings.ALLIANCE_IMPORT_MAX_ROWS = 100  # type: ignore[attr-defined]
    data = csv_bytes([[f"C-{i}"] for i in range(101)], ["code"])
    assert_refused(post(as_admin, "many.csv", data), "more than 100 rows")
    assert (
        post(as_admin, "ok.csv", csv_bytes([[f"C-{i}"] for i in range(100)], ["code"])).status_code
        == 302
    )


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes([["A1", "Ann"]], ["code", "name"], bom=True),
        b"  Code ; NAME \nA1;Ann\n",
        b"Client Code\tDisplay name\nA1\tAnn\n",
        xlsx_bytes([["A1", "Ann"]], ["CODE", "Name"]),
    ],
    ids=["utf8-bom", "semicolons-and-spaces", "tabs-and-aliases", "xlsx"],
)
def test_readable_variants_of_a_file_are_all_read_the_same(as_admin: Client, data: bytes) -> None:
    name = "clients.xlsx" if data.startswith(b"PK") else "clients.csv"
    response = post(as_admin, name, data)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert [(r["code"], r["name"], r["outcome"]) for r in batch.rows] == [("A1", "Ann", "new")]


def test_columns_alliance_does_not_read_are_listed_as_ignored(as_admin: Client) -> None:
    post(as_admin, "c.csv", csv_bytes([["A1", "secret note"]], ["code", "diagnosis"]))
    batch = ImportBatch.objects.get()
    assert batch.ignored_columns == ["diagnosis"]
    assert "secret note" not in str(batch.rows)


def test_blank_rows_are_skipped_and_row_numbers_match_the_spreadsheet(as_admin: Client) -> None:
    post(as_admin, "c.csv", b"code,name\nA1,x\n\n,\nA2,y\n")
    assert [(r["row"], r["code"]) for r in ImportBatch.objects.get().rows] == [(2, "A1"), (5, "A2")]
