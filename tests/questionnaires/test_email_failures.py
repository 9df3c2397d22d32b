"""Finding 2: an email that cannot be sent is recorded on its questionnaire, and a
reminders run carries on with the rest; single-line fields refuse control characters.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from assessments.models import Administration
from assessments.questionnaires.links import administration_request
from assessments.questionnaires.reminders import administration_email, reminders_send
from clinicians.models import AuditEvent, Clinic, Patient, User
from tests.conftest import client_for, make_client

from .fixtures import SESSION_3

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_refusing_mail"),
]


@pytest.fixture
def _refusing_mail(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.questionnaires.refusing_mail.Backend"


def _emailed(therapist: User, patient: Patient) -> Administration:
    issued = administration_request(
        actor=therapist, patient=patient, form_code="wai-sr-client", occasion=SESSION_3
    )
    Administration.objects.filter(pk=issued.administration.pk).update(
        emailed_at=timezone.now() - timedelta(days=3)
    )
    return Administration.objects.get(pk=issued.administration.pk)


@pytest.fixture
def forty(therapist_a1: User, admin_b: User) -> list[Administration]:
    """40 emailed questionnaires past their reminder delay across two clinics; two
    addresses are refused by the mail server, and clinic B's name holds a line break
    (saved before names were checked)."""
    out = []
    for i in range(38):
        clinic = therapist_a1.clinic
        email = f"c{i}@example.test"
        if i in (5, 20):
            email = f"refused{i}@example.test"
        patient = make_client(clinic, f"R-{i}", therapist_a1, email=email)
        out.append(_emailed(therapist_a1, patient))
    Clinic.objects.filter(pk=admin_b.clinic_id).update(name="South\r\nBcc: all@evil.test")
    therapist_b = User.objects.create_user(
        email="tb@southside.test", password="x" * 12, clinic=admin_b.clinic, role="therapist"
    )
    for i in range(2):
        patient = make_client(admin_b.clinic, f"S-{i}", therapist_b, email=f"s{i}@example.test")
        out.append(_emailed(therapist_b, patient))
    return out


def test_one_refused_address_does_not_stop_the_others(forty: list[Administration]) -> None:
    mail.outbox.clear()
    run = reminders_send()
    assert run == (38, 2)  # two refused addresses; the rest sent
    assert len(mail.outbox) == 38
    # Clinic B's name with a line break (saved before names were checked) no longer
    # breaks its emails: the subject is one line, no header is added.
    southside = [m for m in mail.outbox if m.to[0].startswith("s")]
    assert len(southside) == 2
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "Bcc" not in message.message().as_string().split("\n\n")[0].replace(
            message.subject, ""
        )


def test_a_failure_is_recorded_on_its_questionnaire(forty: list[Administration]) -> None:
    reminders_send()
    refused = Administration.objects.get(patient__code="R-5")
    assert refused.email_failed_at is not None
    assert "refused the address" in refused.email_failure
    sent = Administration.objects.get(patient__code="R-6")
    assert sent.email_failed_at is None and sent.reminder_sent_at is not None
    line = AuditEvent.objects.get(action="questionnaire_email_failed", patient=refused.patient)
    assert line.detail["reason"] == "recipient_refused"


def test_a_refused_address_is_not_retried_every_hour(forty: list[Administration]) -> None:
    reminders_send()
    mail.outbox.clear()
    again = reminders_send()
    assert (again.sent, again.failed) == (0, 0)


def test_the_therapist_sees_the_failure_on_the_questionnaire_page(
    forty: list[Administration], therapist_a1: User
) -> None:
    reminders_send()
    refused = Administration.objects.get(patient__code="R-5")
    page = client_for(therapist_a1).get(f"/questionnaires/{refused.pk}/").content.decode()
    assert "could not be sent" in page
    assert "refused the address" in page


def test_the_command_reports_sent_and_failed_and_exits_non_zero(
    forty: list[Administration],
) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="2 reminders could not be sent"):
        call_command("send_reminders", stdout=out)
    assert "Reminders sent: 38, failed: 2" in out.getvalue()


def test_the_command_exits_zero_when_nothing_failed(therapist_a1: User, client_a1: Patient) -> None:
    _emailed(therapist_a1, client_a1)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "Reminders sent: 1, failed: 0" in out.getvalue()


@pytest.mark.parametrize(
    ("email", "clinic_name", "says"),
    [
        ("refused@example.test", None, "refused the address"),
        ("down@example.test", None, "could not be reached"),
    ],
)
def test_the_email_button_answers_plainly_never_500(
    therapist_a1: User, email: str, clinic_name: str | None, says: str
) -> None:
    if clinic_name:
        Clinic.objects.filter(pk=therapist_a1.clinic_id).update(name=clinic_name)
    patient = make_client(therapist_a1.clinic, "M-1", therapist_a1, email=email)
    issued = administration_request(
        actor=therapist_a1, patient=patient, form_code="wai-sr-client", occasion=SESSION_3
    )
    browser = client_for(therapist_a1)
    response = browser.post(f"/questionnaires/{issued.administration.pk}/email/", follow=True)
    assert response.status_code == 200
    assert says in response.content.decode()
    administration = Administration.objects.get(pk=issued.administration.pk)
    assert administration.email_failed_at is not None


def test_a_broken_clinic_name_no_longer_breaks_the_email_button(therapist_a1: User) -> None:
    Clinic.objects.filter(pk=therapist_a1.clinic_id).update(name="North\nBcc: x@evil.test")
    patient = make_client(therapist_a1.clinic, "M-2", therapist_a1, email="ok@example.test")
    issued = administration_request(
        actor=therapist_a1, patient=patient, form_code="wai-sr-client", occasion=SESSION_3
    )
    response = client_for(therapist_a1).post(
        f"/questionnaires/{issued.administration.pk}/email/", follow=True
    )
    assert response.status_code == 200
    assert "The link was emailed to the client." in response.content.decode()
    assert len(mail.outbox) == 1 and "\n" not in mail.outbox[0].subject


def test_each_kind_of_failure_is_named_plainly() -> None:
    import smtplib

    from django.core.mail import BadHeaderError

    from assessments.questionnaires.mailing import failure_of

    assert failure_of(BadHeaderError("x")).code == "bad_header"
    assert not failure_of(BadHeaderError("x")).retry
    refused = smtplib.SMTPRecipientsRefused({"a@b": (550, b"no")})
    assert (failure_of(refused).code, failure_of(refused).retry) == ("recipient_refused", False)
    data = smtplib.SMTPDataError(554, b"rejected")
    assert (failure_of(data).code, failure_of(data).retry) == ("message_refused", False)
    assert failure_of(ConnectionRefusedError()).retry
    assert failure_of(smtplib.SMTPServerDisconnected()).retry


def test_a_direct_send_failure_raises_a_plain_error(therapist_a1: User, client_a1: Patient) -> None:
    from assessments.questionnaires.links import QuestionnaireError

    client_a1.email = "refused@example.test"
    client_a1.save()
    issued = administration_request(
        actor=therapist_a1, patient=client_a1, form_code="wai-sr-client", occasion=SESSION_3
    )
    with pytest.raises(QuestionnaireError, match="refused the address"):
        administration_email(actor=therapist_a1, administration=issued.administration)


@override_settings(LANGUAGE_CODE="en")
@pytest.mark.parametrize("bad", ["North\nside", "North\rside", "Tab\there", "Nul\x00", "Ls\u2028x"])
def test_single_line_fields_refuse_control_characters(admin_a: User, bad: str) -> None:
    browser = client_for(admin_a)
    response = browser.post(
        "/console/clients/new/",
        {"code": "Z-1", "display_name": bad, "email": "", "preferred_language": "en"},
    )
    assert "Keep this on one line" in response.content.decode()
    assert not Patient.objects.filter(code="Z-1").exists()
    response = browser.post(
        "/console/clients/new/",
        {"code": f"Z{bad}", "display_name": "Zed", "email": "", "preferred_language": "en"},
    )
    assert "Keep this on one line" in response.content.decode()


def test_the_models_refuse_control_characters_too(admin_a: User) -> None:
    from django.core.exceptions import ValidationError

    clinic = admin_a.clinic
    clinic.name = "North\r\nBcc: x@evil.test"
    with pytest.raises(ValidationError):
        clinic.full_clean()
    patient = Patient(clinic=clinic, code="A\n1")
    with pytest.raises(ValidationError):
        patient.full_clean()
    admin_a.display_name = "Ada\x00"
    with pytest.raises(ValidationError):
        admin_a.full_clean()
