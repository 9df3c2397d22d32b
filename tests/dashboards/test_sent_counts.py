"""The sent and completed counts the clinic overview reads are kept in the transaction of
each change; whatever happens, they equal a count over the questionnaires themselves."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Exists, OuterRef
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.alliance.counts import keep, recount
from assessments.alliance.counts.models import SentCount
from assessments.models import (
    AccessLink,
    Administration,
    AdministrationStatus,
    Channel,
    OccasionKind,
    Rater,
)
from assessments.questionnaires.links import (
    Occasion,
    QuestionnaireError,
    administration_new_link,
    administration_request,
    administration_revoke,
    issue_link,
)
from assessments.questionnaires.submissions import (
    response_correct,
    response_submit,
    staff_entry_submit,
)
from clinicians.models import Clinic, Patient, User
from clinicians.services import (
    ServiceError,
    case_assign,
    patient_discharge,
    patient_reactivate,
)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ANSWERS = {i: 4 for i in range(1, 13)}
EARLY = date(2000, 1, 1)
LATE = date(2100, 1, 1)


def by_definition(clinic: Clinic) -> dict[tuple[int, date], tuple[int, int]]:
    """What the overview used to count on every view: client questionnaires with a link,
    by therapist and the clinic's day they were made, and the completed among them."""
    sent: Counter[tuple[int, date]] = Counter()
    done: Counter[tuple[int, date]] = Counter()
    has_link = Exists(AccessLink.objects.filter(administration=OuterRef("pk")))
    for therapist_id, created_at, status in (
        Administration.objects.filter(clinic=clinic, rater=Rater.CLIENT)
        .filter(has_link)
        .values_list("therapist_id", "created_at", "status")
    ):
        key = (therapist_id, timezone.localtime(created_at, clinic.zone).date())
        sent[key] += 1
        done[key] += status == AdministrationStatus.COMPLETED
    return {key: (n, done[key]) for key, n in sent.items()}


def kept(clinic: Clinic) -> dict[tuple[int, date], tuple[int, int]]:
    return recount.kept(clinic)


class World:
    """Clinic A's admin, two therapists and two clients, and a clock to move."""

    def __init__(self, admin: User, therapists: list[User], patients: list[Patient]) -> None:
        self.admin, self.therapists, self.patients = admin, therapists, patients
        self.session = 10
        self.now = timezone.now()

    def occasion(self) -> Occasion:
        self.session += 1
        today = timezone.localtime(self.now, self.admin.clinic.zone).date()
        return Occasion(OccasionKind.SESSION, self.session, "", today)

    def open_ones(self) -> list[Administration]:
        return list(
            Administration.objects.filter(
                clinic=self.admin.clinic, status=AdministrationStatus.OPEN, rater=Rater.CLIENT
            ).order_by("pk")
        )

    def patient(self, i: int) -> Patient:
        return Patient.objects.get(pk=self.patients[i % len(self.patients)].pk)

    def therapist_of(self, patient: Patient) -> User | None:
        a = patient.assignments.filter(ended_at__isnull=True).first()
        return a.therapist if a else None

    def do(self, op: str, i: int) -> None:
        patient = self.patient(i)
        open_ones = self.open_ones()
        chosen = open_ones[i % len(open_ones)] if open_ones else None
        if op == "request" and patient.is_active and self.therapist_of(patient):
            administration_request(
                actor=self.admin,
                patient=patient,
                form_code="wai-sr-client",
                occasion=self.occasion(),
            )
        elif op == "new_link" and chosen and not chosen.is_expired:
            administration_new_link(actor=self.admin, administration=chosen)
        elif op == "revoke" and chosen and not chosen.is_expired:
            administration_revoke(actor=self.admin, administration=chosen)
        elif op in ("link", "kiosk") and chosen and not chosen.is_expired:
            response_submit(administration_id=chosen.pk, answers=ANSWERS, channel=op)
        elif op == "paper" and patient.is_active and self.therapist_of(patient):
            staff_entry_submit(
                actor=self.admin,
                patient=patient,
                form_code="wai-sr-client",
                rater=Rater.CLIENT,
                occasion=self.occasion(),
                answers=ANSWERS,
            )
        elif op == "rating" and patient.is_active and (therapist := self.therapist_of(patient)):
            staff_entry_submit(
                actor=therapist,
                patient=patient,
                form_code="wai-s-therapist",
                rater=Rater.THERAPIST,
                occasion=self.occasion(),
                answers=ANSWERS,
            )
        elif op == "correct":
            done = Administration.objects.filter(
                clinic=self.admin.clinic, status=AdministrationStatus.COMPLETED, rater=Rater.CLIENT
            ).order_by("pk")
            if done:
                a = done[i % len(done)]
                current = a.responses.get(is_current=True)
                response_correct(
                    actor=self.admin,
                    response=current,
                    answers={k: 1 + (i + k) % 5 for k in range(1, 13)},
                    reason="typo",
                )
        elif op == "transfer" and patient.is_active:
            others = [t for t in self.therapists if t != self.therapist_of(patient)]
            case_assign(actor=self.admin, patient=patient, therapist=others[i % len(others)])
        elif op == "discharge" and patient.is_active:
            patient_discharge(actor=self.admin, patient=patient)
        elif op == "reactivate" and not patient.is_active:
            patient_reactivate(actor=self.admin, patient=patient, therapist=self.therapists[i % 2])
        elif op == "later":
            self.now += timedelta(hours=1 + 5 * i)


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "request",
                "request",
                "new_link",
                "revoke",
                "link",
                "kiosk",
                "paper",
                "rating",
                "correct",
                "transfer",
                "discharge",
                "reactivate",
                "later",
                "later",
            ]
        ),
        st.integers(0, 7),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, zone=st.sampled_from(["Pacific/Auckland", "America/Los_Angeles", "UTC"]))
def test_the_kept_counts_equal_a_recount_after_any_sequence_of_changes(
    admin_a: User,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
    client_a2: Patient,
    ops: list[tuple[str, int]],
    zone: str,
) -> None:
    clinic = admin_a.clinic
    world = World(admin_a, [therapist_a1, therapist_a2], [client_a1, client_a2])
    with transaction.atomic():
        Clinic.objects.filter(pk=clinic.pk).update(time_zone=zone)
        clinic.refresh_from_db()
        for user in (admin_a, therapist_a1, therapist_a2):
            user.clinic = clinic
        # The clock moves, so questionnaires are made across the clinic's midnights.
        with mock.patch("django.utils.timezone.now", side_effect=lambda: world.now):
            for op, i in ops:
                # A refusal (a correction with the same answers, ...) changes nothing.
                with contextlib.suppress(QuestionnaireError, ServiceError):
                    world.do(op, i)
        assert kept(clinic) == by_definition(clinic)
        assert recount.drift([clinic.pk]) == []
        period = keep.totals(clinic, EARLY, LATE)
        for therapist in (therapist_a1, therapist_a2):
            mine = [v for (t, _), v in by_definition(clinic).items() if t == therapist.pk]
            expected = (sum(s for s, _ in mine), sum(c for _, c in mine))
            assert period.get(therapist.pk, (0, 0)) == expected
        transaction.set_rollback(True)


def test_a_transfer_leaves_the_counts_with_the_therapist_who_sent_it(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    today = timezone.localdate()
    issued = administration_request(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", today),
    )
    case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a2)
    response_submit(
        administration_id=issued.administration.pk, answers=ANSWERS, channel=Channel.LINK
    )
    assert keep.totals(admin_a.clinic, today, today) == {therapist_a1.pk: (1, 1)}


def test_a_second_link_or_a_reminder_is_not_counted_again(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    today = timezone.localdate()
    issued = administration_request(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", today),
    )
    administration_new_link(actor=therapist_a1, administration=issued.administration)
    stale = Administration.objects.get(pk=issued.administration.pk)
    stale.sent_by_link = False  # a copy loaded before the first link, as a worker may hold
    issue_link(stale, purpose="reminder")
    assert keep.totals(admin_a.clinic, today, today) == {therapist_a1.pk: (1, 0)}
    assert Administration.objects.get(pk=issued.administration.pk).sent_by_link


def test_answered_before_its_first_link_counts_as_sent_and_completed(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    """A scheduled questionnaire answered at the kiosk before its email went out."""
    now = timezone.now()
    a = Administration.objects.create(
        clinic=admin_a.clinic,
        patient=client_a1,
        therapist=therapist_a1,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=OccasionKind.SESSION,
        session_number=1,
        session_date=now.date(),
        created_by=therapist_a1,
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    response_submit(administration_id=a.pk, answers=ANSWERS, channel=Channel.KIOSK)
    assert recount.kept(admin_a.clinic) == {}
    a.refresh_from_db()
    issue_link(a, purpose="email")
    assert list(keep.totals(admin_a.clinic, EARLY, LATE).values()) == [(1, 1)]


def test_the_command_reports_drift_and_fixes_it(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    administration_request(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
    )
    out = StringIO()
    call_command("recount_sent", stdout=out)
    assert "no drift" in out.getvalue()
    SentCount.objects.update(sent=5)
    # A link made in bulk, bypassing the service: not marked, not counted.
    bulk = Administration.objects.create(
        clinic=admin_a.clinic,
        patient=client_a1,
        therapist=therapist_a1,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=OccasionKind.SESSION,
        session_number=2,
        session_date=timezone.localdate(),
        created_by=therapist_a1,
        expires_at=timezone.now() + timedelta(days=7),
    )
    AccessLink.objects.create(administration=bulk, token_hash="b" * 64)
    with pytest.raises(CommandError):
        call_command("recount_sent", stdout=(out := StringIO()))
    assert "kept 5 sent" in out.getvalue() and "1 questionnaire" in out.getvalue()
    call_command("recount_sent", "--fix", stdout=(out := StringIO()))
    assert recount.drift() == [] and recount.unmarked() == 0
    assert list(recount.kept(admin_a.clinic).values()) == [(2, 0)]


def test_a_new_time_zone_moves_the_counts_to_the_clinics_new_days(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    clinic = admin_a.clinic
    made = timezone.make_aware(datetime(2026, 11, 20, 23, 30), clinic.zone)
    with mock.patch("django.utils.timezone.now", return_value=made):
        administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=Occasion(OccasionKind.SESSION, 1, "", made.date()),
        )
    day = timezone.localtime(made, clinic.zone).date()
    assert list(recount.kept(clinic)) == [(therapist_a1.pk, day)]
    # UTC+14: the questionnaire was made on the next day of the clinic's new calendar.
    response = client_for(admin_a).post(
        "/console/settings/", {**settings_form(clinic), "time_zone": "Pacific/Kiritimati"}
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert list(recount.kept(clinic)) == [
        (therapist_a1.pk, timezone.localtime(made, clinic.zone).date())
    ]
    assert recount.drift() == []


def settings_form(clinic: Clinic) -> dict[str, Any]:
    from assessments.questionnaires.forms import ClinicSettingsForm

    form = ClinicSettingsForm(instance=clinic)
    return {name: form[name].value() for name in form.fields}


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_and_counts_the_questionnaires_already_there() -> None:
    before = [("assessments", "0008_occasion_withdrawn")]
    after = [("assessments", "0010_backfill_sent_counts")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    try:
        Clinic_ = old.get_model("clinicians", "Clinic")
        User_ = old.get_model("clinicians", "User")
        Patient_ = old.get_model("clinicians", "Patient")
        Administration_ = old.get_model("assessments", "Administration")
        AccessLink_ = old.get_model("assessments", "AccessLink")
        clinic = Clinic_.objects.create(name="Old", slug="old", time_zone="Asia/Tokyo")
        therapist = User_.objects.create(
            email="t@old.test", clinic=clinic, role="therapist", display_name="T"
        )
        patient = Patient_.objects.create(clinic=clinic, code="O-1")
        # 15:30 UTC is half past midnight the next day in Tokyo.
        late = datetime(2026, 10, 1, 15, 30, tzinfo=UTC)
        rows = [
            ("client", "completed", True),
            ("client", "open", True),
            ("client", "revoked", True),
            ("client", "completed", False),  # paper: no link
            ("therapist", "completed", False),
        ]
        for n, (rater, status, linked) in enumerate(rows, start=1):
            a = Administration_.objects.create(
                clinic=clinic,
                patient=patient,
                therapist=therapist,
                form_code="f",
                rater=rater,
                occasion="session",
                session_number=n,
                session_date=date(2026, 10, 2),
                status=status,
                created_at=late,
                created_by=therapist,
                expires_at=late,
            )
            if linked:
                for k in range(2):  # a link and a reminder: counted once
                    AccessLink_.objects.create(administration=a, token_hash=f"{n}-{k}".ljust(64))
        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        SentCount_ = new.get_model("assessments", "SentCount")
        marked = new.get_model("assessments", "Administration").objects.filter(sent_by_link=True)
        assert marked.count() == 3
        assert list(SentCount_.objects.values_list("therapist_id", "day", "sent", "completed")) == [
            (therapist.pk, date(2026, 10, 2), 3, 1)
        ]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
