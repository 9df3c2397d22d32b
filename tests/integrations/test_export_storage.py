"""Export files live in the named storage "exports": a private folder shared by the
hosts. Finding: a symlink planted in a world-shared folder received client data."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from clinicians.models import User
from integrations.models import ExportJob, ExportStatus
from integrations.services import export_job_run, export_jobs_sweep
from integrations.storage import ExportFolderError, PrivateFolderStorage
from tests.conftest import client_for

from .conftest import Filled
from .helpers import post_export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_direct_limit(settings: Any) -> None:
    settings.ALLIANCE_EXPORT_STREAM_MAX_ROWS = 2


def queued_job(user: User) -> ExportJob:
    assert post_export(client_for(user)).status_code == 302
    return ExportJob.objects.get()


def test_a_symlink_planted_in_the_folder_receives_nothing(
    admin_a: User, filled: Filled, settings: Any, tmp_path: Path
) -> None:
    folder = Path(settings.ALLIANCE_EXPORTS_DIR)
    storages["exports"].check_folder()
    job = queued_job(admin_a)
    victim = tmp_path / "someone-elses-file"
    victim.write_text("theirs")
    (folder / f"export-{job.pk}.csv").symlink_to(victim)

    assert export_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert victim.read_text() == "theirs"  # nothing written through the link
    written = folder / job.file_name
    assert not written.is_symlink()
    assert b"A-001" in written.read_bytes()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_saving_never_follows_a_link_even_a_dangling_one(tmp_path: Path) -> None:
    storage = PrivateFolderStorage(location=str(tmp_path / "exports"))
    storage.check_folder()
    target = tmp_path / "elsewhere"
    (tmp_path / "exports" / "data.csv").symlink_to(target)  # dangling: target missing
    name = storage.save("data.csv", ContentFile(b"client data"))
    assert name != "data.csv"
    assert not target.exists()
    assert (tmp_path / "exports" / name).read_bytes() == b"client data"


def test_the_folder_is_created_private(tmp_path: Path) -> None:
    storage = PrivateFolderStorage(location=str(tmp_path / "new" / "exports"))
    storage.save("a.csv", ContentFile(b"x"))
    assert stat.S_IMODE(os.stat(tmp_path / "new" / "exports").st_mode) == 0o700


def test_a_folder_others_can_use_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    storage = PrivateFolderStorage(location=str(folder))
    with pytest.raises(ExportFolderError, match="chmod 700"):
        storage.save("a.csv", ContentFile(b"x"))
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder away needs root")
def test_a_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    storage = PrivateFolderStorage(location=str(folder))
    with pytest.raises(ExportFolderError, match="belongs to user id 65534"):
        storage.save("a.csv", ContentFile(b"x"))


def test_a_symlinked_folder_pointing_to_someone_elses_folder_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    (tmp_path / "exports").symlink_to(theirs)
    with pytest.raises(ExportFolderError):
        PrivateFolderStorage(location=str(tmp_path / "exports")).check_folder()


def test_the_system_check_reports_an_unsafe_folder(settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o755)
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "integrations.storage.PrivateFolderStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    errors = [e for e in run_checks() if e.id == "integrations.E001"]
    assert len(errors) == 1 and "chmod 700" in errors[0].msg


def test_a_job_that_cannot_write_says_why(admin_a: User, filled: Filled, settings: Any) -> None:
    job = queued_job(admin_a)
    folder = Path(settings.ALLIANCE_EXPORTS_DIR)
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)
    export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "chmod 700" in job.failure


def test_an_expired_job_leaves_no_file_and_a_rerun_replaces_its_partial_file(
    admin_a: User, filled: Filled, settings: Any
) -> None:
    folder = Path(settings.ALLIANCE_EXPORTS_DIR)
    job = queued_job(admin_a)
    storages["exports"].check_folder()
    # A worker died half-way through this job's file; the job was queued again.
    (folder / f"export-{job.pk}.csv").write_bytes(b"half a fi")
    call_command("run_exports")
    job.refresh_from_db()
    assert job.file_name == f"export-{job.pk}.csv"
    assert (folder / job.file_name).read_bytes().count(b"\n") > 1

    later = timezone.now() + timedelta(hours=25)
    assert export_jobs_sweep(now=later)["expired"] == 1
    assert list(folder.iterdir()) == []


def test_download_streams_from_the_storage(admin_a: User, filled: Filled) -> None:
    job = queued_job(admin_a)
    export_job_run(job.pk)
    response = client_for(admin_a).get(f"/exports/jobs/{job.pk}/download/")
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content)
    job.refresh_from_db()
    assert body == storages["exports"].open(job.file_name).read()
    assert len(body) == job.size_bytes
