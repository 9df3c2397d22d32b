"""The shared cache (Redis) only carries the import's progress count: with the cache
down, confirming still saves, the progress says "working…", and nothing answers 500."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from clinicians import services
from clinicians.models import ImportBatch, ImportStatus, Patient, User
from clinicians.tasks import import_save, queue_import
from tests.clinicians.spreadsheets import csv_bytes, many_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings: Any) -> None:
    # Nothing listens on port 1: every cache call fails with "connection refused".
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_with_the_cache_down_progress_says_working_and_the_import_completes(
    cache_down: None, as_admin: Client, admin_a: User
) -> None:
    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=csv_bytes(many_rows(3))
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.SAVING)
    started = time.perf_counter()
    progress = as_admin.get(f"/console/import/{batch.pk}/progress/")
    assert progress.status_code == 200
    assert progress.json() == {"status": "saving", "done": None, "total": 3, "percent": None}
    page = as_admin.get(f"/console/import/{batch.pk}/")
    assert page.status_code == 200 and "Working…" in page.content.decode()
    assert time.perf_counter() - started < 5  # refused at once, no hang

    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.READY)
    confirm = as_admin.post(f"/console/import/{batch.pk}/", {"action": "confirm"})
    assert confirm.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and batch.created_count == 3
    assert Patient.objects.count() == 3
    done = as_admin.get(f"/console/import/{batch.pk}/progress/").json()
    assert done == {"status": "done", "done": 3, "total": 3, "percent": 100}


def test_with_the_queue_down_the_batch_is_given_back_to_confirm_again(
    as_admin: Client, admin_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=csv_bytes(many_rows(2))
    )

    def refused(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(import_save, "delay", refused)
    response = as_admin.post(f"/console/import/{batch.pk}/", {"action": "confirm"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY and not Patient.objects.exists()
    page = as_admin.get(f"/console/import/{batch.pk}/", follow=True).content.decode()
    assert "task queue did not answer" in page


def test_the_save_task_is_idempotent(admin_a: User) -> None:
    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=csv_bytes(many_rows(2))
    )
    services.patients_import_claim(actor=admin_a, batch=batch)
    queue_import(batch.pk, "192.0.2.1")
    import_save.apply(args=[batch.pk, "192.0.2.1"])  # delivered again: nothing more
    assert Patient.objects.count() == 2
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE


def test_the_save_can_be_run_by_hand_once(admin_a: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    batch = services.patients_import_check(
        actor=admin_a, filename="c.csv", data=csv_bytes(many_rows(2))
    )
    services.patients_import_claim(actor=admin_a, batch=batch)
    out = StringIO()
    call_command("import_save", str(batch.pk), stdout=out)
    call_command("import_save", str(batch.pk), stdout=out)
    assert out.getvalue().splitlines() == [
        "Saved 2 new clients.",
        "Nothing to save: the batch is not waiting to be saved.",
    ]
    assert Patient.objects.count() == 2
