"""Building test spreadsheets in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = ["code", "name", "email", "language", "therapist_email"]


def csv_bytes(
    rows: Sequence[Sequence[object]],
    header: Sequence[str] = HEADER,
    *,
    bom: bool = False,
    crlf: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def many_rows(
    count: int, *, prefix: str = "IMP", therapists: Sequence[str] = ()
) -> list[list[str]]:
    return [
        [
            f"{prefix}-{i:05d}",
            f"Client {i}",
            f"client{i}@example.test",
            "en",
            therapists[i % len(therapists)] if therapists else "",
        ]
        for i in range(count)
    ]
