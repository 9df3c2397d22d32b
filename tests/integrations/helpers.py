"""Reading exports back, and making many questionnaires fast (bulk, no scoring calls)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import (
    Administration,
    AdministrationStatus,
    Answer,
    OccasionKind,
    Rater,
    Response,
)
from clinicians.models import Patient, User


def post_export(browser: Client, **fields: Any) -> Any:
    data = {"format": "csv", **{k: v for k, v in fields.items() if v is not None}}
    return browser.post("/exports/", data)


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:500]
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8"))))


def xlsx_rows(data: bytes, sheet: str = "questionnaires") -> list[dict[str, Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def ndjson(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def bulk_questionnaires(
    patient: Patient, therapist: User, n: int, *, start: date | None = None
) -> None:
    """`n` completed WAI-SR questionnaires with 12 answers each, in 3 INSERTs."""
    now = timezone.now()
    start = start or date(2025, 1, 1)
    administrations = Administration.objects.bulk_create(
        [
            Administration(
                clinic_id=patient.clinic_id,
                patient=patient,
                therapist=therapist,
                form_code="wai-sr-client",
                rater=Rater.CLIENT,
                occasion=OccasionKind.SESSION,
                session_number=i + 1,
                session_date=start + timedelta(days=i),
                status=AdministrationStatus.COMPLETED,
                created_by=therapist,
                created_at=now,
                expires_at=now,
                completed_at=now,
            )
            for i in range(n)
        ]
    )
    responses = Response.objects.bulk_create(
        [
            Response(
                administration=a,
                channel="link",
                submitted_at=now + timedelta(seconds=i),
                answered=12,
                items=12,
                complete=True,
                prorated=False,
                **{f"{p}_sum": 16.0 for p in ("goal", "task", "bond")},
                **{f"{p}_mean": 4.0 for p in ("goal", "task", "bond")},
                **{f"{p}_pomp": 75.0 for p in ("goal", "task", "bond")},
                total_sum=48.0,
                total_mean=4.0,
                total_pomp=75.0,
            )
            for i, a in enumerate(administrations)
        ]
    )
    Answer.objects.bulk_create(
        [Answer(response=r, item=item, value=4) for r in responses for item in range(1, 13)],
        batch_size=5000,
    )
