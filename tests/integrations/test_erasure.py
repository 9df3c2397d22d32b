"""Erasing a client's identity on request (GDPR Art. 17): identity goes, scores stay,
and nothing of any other client changes."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.test import Client

from assessments.models import AccessLink, Administration, AllianceSummary, Answer, Response
from clinicians import services
from clinicians.models import AuditEvent, CaseAssignment, ImportBatch, Patient, User
from integrations.conf import export_storage
from integrations.models import ExportJob, ExportStatus
from tests.conftest import client_for

from .conftest import Filled
from .test_api import call, make_key

pytestmark = pytest.mark.django_db

PEOPLE_TABLES: list[tuple[Any, str]] = [
    (Patient, "pk"),
    (CaseAssignment, "patient_id"),
    (Administration, "patient_id"),
    (AccessLink, "administration__patient_id"),
    (Response, "administration__patient_id"),
    (Answer, "response__administration__patient_id"),
    (AllianceSummary, "patient_id"),
    (AuditEvent, "patient_id"),
]


def snapshot_others(erased: Patient) -> dict[str, Any]:
    """Every row of every client but `erased`, every field, plus other clients' import
    rows and the audit lines about nobody in particular."""
    shot: dict[str, Any] = {}
    for model, owner in PEOPLE_TABLES:
        rows = model.objects.exclude(**{owner: erased.pk}).exclude(**{f"{owner}__isnull": True})
        shot[model.__name__] = {r.pk: model_to_dict(r) for r in rows}
    shot["audit-other"] = {
        e.pk: model_to_dict(e) for e in AuditEvent.objects.filter(patient__isnull=True)
    }
    shot["import-rows"] = {
        b.pk: [
            r
            for r in b.rows
            if r["code"].lower() != "a-001" and r["email"].lower() != "alice@example.test"
        ]
        for b in ImportBatch.objects.all()
    }
    return shot


@pytest.fixture
def discharged(admin_a: User, filled: Filled, client_a1: Patient) -> Patient:
    services.patient_discharge(actor=admin_a, patient=client_a1)
    client_a1.refresh_from_db()
    return client_a1


@pytest.fixture
def import_batch(admin_a: User) -> ImportBatch:
    rows = [
        {"line": 2, "code": "A-001", "name": "Alice Client", "email": "alice@example.test"},
        {"line": 3, "code": "A-777", "name": "Other Person", "email": "other@example.test"},
        {"line": 4, "code": "A-778", "name": "Alice again", "email": "ALICE@example.test"},
    ]
    return ImportBatch.objects.create(
        clinic=admin_a.clinic, created_by=admin_a, filename="c.csv", rows=rows
    )


def done_export(admin: User, name: str, pseudonymised: bool = False) -> ExportJob:
    storage = export_storage()
    storage.save(name, StringIO("code,name\nA-001,Alice Client\n"))
    return ExportJob.objects.create(
        clinic=admin.clinic,
        created_by=admin,
        format="csv",
        params={"pseudonymised": pseudonymised},
        status=ExportStatus.DONE,
        file_name=name,
    )


def test_erasure_blanks_identity_keeps_scores_and_changes_no_one_else(
    admin_a: User,
    admin_b: User,
    discharged: Patient,
    import_batch: ImportBatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    identified = done_export(admin_a, "export-1.csv")
    pseudonymised = done_export(admin_a, "export-2.csv", pseudonymised=True)
    other_clinic = done_export(admin_b, "export-3.csv")
    scores_before = list(
        Response.objects.filter(administration__patient=discharged)
        .order_by("pk")
        .values_list("pk", "total_pomp", "goal_sum")
    )
    answers_before = Answer.objects.filter(response__administration__patient=discharged).count()
    lines_before = AuditEvent.objects.filter(patient=discharged).count()
    browser = client_for(admin_a)  # signing in writes an audit line of its own
    before = snapshot_others(discharged)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            f"/console/clients/{discharged.pk}/erase/", {"confirm_code": "a-001"}
        )
    assert response.status_code == 302

    erased = Patient.objects.get(pk=discharged.pk)
    assert erased.code.startswith("ERASED-") and erased.code != "A-001"
    assert erased.display_name == "" and erased.email == ""
    assert erased.erased_at is not None
    # Scores and answers stay, unchanged, under the pseudonym.
    assert (
        list(
            Response.objects.filter(administration__patient=erased)
            .order_by("pk")
            .values_list("pk", "total_pomp", "goal_sum")
        )
        == scores_before
    )
    assert Answer.objects.filter(response__administration__patient=erased).count() == answers_before
    # The earlier audit lines stay and point at the pseudonymised row; one more says why.
    assert AuditEvent.objects.filter(patient=erased).count() == lines_before + 1
    line = AuditEvent.objects.get(action="client_erased")
    assert line.actor == admin_a and "A-001" not in json.dumps(line.detail)
    assert line.detail == {"import_rows_deleted": 2}
    # The import rows naming the client (by code or email) are gone; others stay.
    import_batch.refresh_from_db()
    assert [r["code"] for r in import_batch.rows] == ["A-777"]
    # Identified export files of the clinic are deleted; the others stay.
    storage = export_storage()
    assert not storage.exists("export-1.csv")
    assert storage.exists("export-2.csv") and storage.exists("export-3.csv")
    identified.refresh_from_db()
    assert identified.status == ExportStatus.EXPIRED and identified.file_name == ""
    for job in (pseudonymised, other_clinic):
        job.refresh_from_db()
        assert job.status == ExportStatus.DONE
    # No other client's row changed in any way.
    assert snapshot_others(erased) == before
    # Nothing on the console page or anywhere in the database holds the old identity.
    page = browser.get(f"/console/clients/{erased.pk}/").content.decode()
    assert "Alice" not in page and "A-001" not in page and erased.code in page


def test_free_text_occasion_notes_go_and_the_scores_stay(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    from datetime import date

    from assessments.models import OccasionKind
    from assessments.questionnaires.links import Occasion
    from assessments.questionnaires.submissions import staff_entry_submit

    response = staff_entry_submit(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        rater="client",
        occasion=Occasion(OccasionKind.OTHER, None, "after Alice's move", date(2026, 5, 1)),
        answers={i: 3 for i in range(1, 13)},
    )
    services.patient_discharge(actor=admin_a, patient=client_a1)
    services.patient_erase(actor=admin_a, patient=client_a1)
    administration = Administration.objects.get(pk=response.administration_id)
    assert administration.occasion_note == "" and administration.occasion_label == "Other"
    summary = AllianceSummary.objects.get(patient=client_a1)
    assert summary.occasion_label == "Other"
    assert Response.objects.get(pk=response.pk).total_pomp == response.total_pomp
    assert not AuditEvent.objects.filter(detail__icontains="Alice").exists()


def test_notes_on_discussed_flags_go_and_the_discussion_stays(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    from datetime import date

    from assessments.models import FlagDiscussion, OccasionKind
    from assessments.questionnaires.links import Occasion
    from assessments.questionnaires.submissions import staff_entry_submit

    response = staff_entry_submit(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        rater="client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", date(2026, 5, 1)),
        answers={i: 3 for i in range(1, 13)},
    )
    FlagDiscussion.objects.create(
        clinic=client_a1.clinic,
        patient=client_a1,
        administration_id=response.administration_id,
        response=response,
        flags=["rupture"],
        note="Alice said her move was hard",
        discussed_by=therapist_a1,
    )
    services.patient_discharge(actor=admin_a, patient=client_a1)
    services.patient_erase(actor=admin_a, patient=client_a1)
    discussion = FlagDiscussion.objects.get(patient=client_a1)
    assert discussion.note == "" and discussion.flags == ["rupture"]
    assert discussion.discussed_by == therapist_a1


def test_django_admins_history_shows_the_pseudonym_too(admin_a: User, discharged: Patient) -> None:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    operator = User.objects.create_superuser("ops@example.test", "x-long-password-1")
    LogEntry.objects.create(
        user=operator,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(discharged.pk),
        object_repr="A-001",
        action_flag=CHANGE,
    )
    erased = services.patient_erase(actor=admin_a, patient=discharged)
    assert list(LogEntry.objects.values_list("object_repr", flat=True)) == [erased.code]


def test_the_api_and_fhir_show_the_pseudonym(
    admin_a: User, discharged: Patient, filled: Filled
) -> None:
    key = make_key(admin_a)
    erased = services.patient_erase(actor=admin_a, patient=discharged)
    clients = call(key, "/api/v1/clients").json()
    codes = json.dumps(clients)
    assert erased.code in codes and "A-001" not in codes and "Alice" not in codes
    fhir = json.dumps(call(key, "/api/v1/fhir/QuestionnaireResponse").json())
    assert erased.code in fhir and "A-001" not in fhir
    questionnaires = json.dumps(call(key, "/api/v1/questionnaires").json())
    assert erased.code in questionnaires and "A-001" not in questionnaires


def test_an_active_client_must_be_discharged_first(
    admin_a: User, client_a1: Patient, filled: Filled
) -> None:
    response = client_for(admin_a).post(
        f"/console/clients/{client_a1.pk}/erase/", {"confirm_code": "A-001"}
    )
    assert response.status_code == 200
    assert "Discharge them first" in response.content.decode()
    client_a1.refresh_from_db()
    assert client_a1.code == "A-001" and client_a1.display_name == "Alice Client"


def test_a_wrong_confirmation_code_erases_nothing(admin_a: User, discharged: Patient) -> None:
    response = client_for(admin_a).post(
        f"/console/clients/{discharged.pk}/erase/", {"confirm_code": "A-002"}
    )
    assert response.status_code == 200
    assert "not this client" in response.content.decode()
    discharged.refresh_from_db()
    assert discharged.erased_at is None and discharged.display_name == "Alice Client"


def test_an_erased_client_cannot_be_erased_again_or_reactivated(
    admin_a: User, discharged: Patient
) -> None:
    services.patient_erase(actor=admin_a, patient=discharged)
    with pytest.raises(services.ServiceError, match="already been erased"):
        services.patient_erase(actor=admin_a, patient=discharged)
    with pytest.raises(services.ServiceError, match="erased"):
        services.patient_reactivate(actor=admin_a, patient=discharged)


def test_another_clinics_admin_cannot_erase(admin_b: User, discharged: Patient) -> None:
    with pytest.raises(services.ServiceError):
        services.patient_erase(actor=admin_b, patient=discharged)
    assert (
        client_for(admin_b)
        .post(f"/console/clients/{discharged.pk}/erase/", {"confirm_code": "A-001"})
        .status_code
        == 404
    )


def test_the_command_erases_by_clinic_and_code(
    discharged: Patient, client_a2: Patient, clinic_a: Any
) -> None:
    before = snapshot_others(discharged)
    out = StringIO()
    call_command(
        "erase_client", "--clinic", "northside", "--code", "a-001", "--no-input", stdout=out
    )
    erased = Patient.objects.get(pk=discharged.pk)
    assert erased.code in out.getvalue() and erased.display_name == ""
    line = AuditEvent.objects.get(action="client_erased")
    assert line.actor is None and line.actor_label == "manage.py erase_client"
    assert line.clinic == clinic_a
    assert snapshot_others(erased) == before


@pytest.mark.parametrize(
    ("clinic", "code", "message"),
    [
        ("nowhere", "A-001", "No clinic"),
        ("northside", "Z-999", "No client"),
        ("southside", "A-001", "No client"),
    ],
)
def test_the_command_refuses_unknown_clinics_and_codes(
    discharged: Patient, clinic_b: Any, clinic: str, code: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("erase_client", "--clinic", clinic, "--code", code, "--no-input")
    discharged.refresh_from_db()
    assert discharged.erased_at is None


def test_the_command_asks_to_type_the_code_again(
    discharged: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "A-002")
    with pytest.raises(CommandError, match="did not match"):
        call_command("erase_client", "--clinic", "northside", "--code", "A-001")
    discharged.refresh_from_db()
    assert discharged.erased_at is None


def test_a_therapist_gets_403(therapist_a1: User, discharged: Patient) -> None:
    browser: Client = client_for(therapist_a1)
    assert browser.get(f"/console/clients/{discharged.pk}/erase/").status_code == 403
