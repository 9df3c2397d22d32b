from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Patient, Role, StaffInvitation, User
from .spreadsheet import max_bytes
from .text import single_line

logger = logging.getLogger(__name__)


class EmailAuthenticationForm(AuthenticationForm):
    """Sign-in by email. The field keeps Django's name `username` (lockout reads it)."""

    username = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That email address and password do not match an active account. "
            "Check both and try again."
        ),
        "inactive": _("This account has been deactivated. Ask your clinic admin."),
    }


class StaffPasswordResetForm(PasswordResetForm):
    """Resets only for active staff who have chosen a password; the page says the same
    whatever the address (unknown, invited, or a real account).

    Someone invited who never accepted gets no reset link (it would bypass the
    invitation's expiry and never record the acceptance): their email points them to
    the invitation instead.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.has_usable_password())

    def invited_clinics(self, email: str) -> list[str]:
        """Clinics with an open invitation for an address that has no password yet."""
        users = list(User.objects.filter(email__iexact=email))
        if any(u.has_usable_password() or not u.is_active for u in users):
            return []
        names = {u.clinic.name for u in users if u.clinic_id is not None}
        names.update(
            inv.clinic.name
            for inv in StaffInvitation.objects.filter(
                email__iexact=email, accepted_at__isnull=True
            ).select_related("clinic")
            if inv.is_live
        )
        return sorted(names)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        clinics = self.invited_clinics(self.cleaned_data["email"])
        if not clinics:
            return
        context = {"clinic": ", ".join(clinics)}
        subject = " ".join(
            render_to_string("registration/password_reset_invitee_subject.txt", context).split()
        )
        body = render_to_string("registration/password_reset_invitee_email.txt", context)
        try:
            send_mail(subject, body, None, [self.cleaned_data["email"]])
        except Exception:  # the page must say the same whatever happens to the email
            logger.exception("Sending the invitation pointer failed")


# --- the clinic admin's console ------------------------------------------------------
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


class TherapistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.email})" if obj.display_name else obj.email


class TherapistMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        count = getattr(obj, "active_clients", None)
        name = obj.display_name or obj.email
        if count is None:
            return name
        return _("%(name)s — %(count)s clients now") % {"name": name, "count": count}


def active_therapists(clinic_id: int | None) -> QuerySet[User]:
    return User.objects.filter(clinic_id=clinic_id, role=Role.THERAPIST, is_active=True).order_by(
        "display_name", "email", "pk"
    )


class InviteTherapistForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The invitation link is sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    display_name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("As clients should see it, e.g. “Dr. Alex Rivera”."),
        validators=[single_line],
    )


class ClientForm(forms.Form):
    """The details of a client; on creation also an optional first therapist."""

    code = forms.CharField(
        label=_("Client code"),
        max_length=40,
        help_text=_("Your clinic's own identifier, e.g. a file number. Unique in the clinic."),
        validators=[single_line],
    )
    display_name = forms.CharField(
        label=_("Name"), max_length=120, required=False, validators=[single_line]
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_("Only used to send this client their questionnaire links."),
    )
    preferred_language = forms.CharField(
        label=_("Preferred language"),
        max_length=10,
        initial="en",
        validators=[single_line],
        help_text=_("A language code such as en, de or pt-br."),
    )

    def __init__(self, *args: Any, clinic_id: int, instance: Patient | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.clinic_id = clinic_id
        self.instance = instance
        if instance is None:
            self.fields["therapist"] = TherapistChoiceField(
                label=_("Therapist"),
                queryset=active_therapists(clinic_id),
                required=False,
                empty_label=_("No therapist yet"),
            )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        taken = Patient.objects.filter(clinic_id=self.clinic_id, code__iexact=code)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("A client with the code %(code)s already exists in your clinic."),
                params={"code": code},
            )
        return code

    def clean_preferred_language(self) -> str:
        value = (self.cleaned_data["preferred_language"] or "en").strip().lower().replace("_", "-")
        if not LANGUAGE_CODE.match(value):
            raise forms.ValidationError(_("Enter a language code such as en, de or pt-br."))
        return value


class AssignForm(forms.Form):
    therapist = TherapistChoiceField(label=_("Therapist"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = active_therapists(clinic_id)  # type: ignore[attr-defined]


class ReactivateForm(forms.Form):
    therapist = TherapistChoiceField(
        label=_("Therapist"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No therapist yet (assign later)"),
    )

    def __init__(self, *args: Any, clinic_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = active_therapists(clinic_id)  # type: ignore[attr-defined]


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(
        label=_("Discharged on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today, or the day of the last session."),
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["discharged_on"].initial = timezone.localdate()

    def clean_discharged_on(self) -> date:
        value: date = self.cleaned_data["discharged_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The discharge date cannot be in the future."))
        if value < self.patient.activated_on:
            raise forms.ValidationError(
                _("The discharge date cannot be before the client became active (%(date)s)."),
                params={"date": self.patient.activated_on.isoformat()},
            )
        return value


class TransferTargetsForm(forms.Form):
    to = TherapistMultipleChoiceField(
        label=_("Move the clients to"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose one or several therapists; the preview spreads the clients evenly."),
        error_messages={"required": _("Choose at least one therapist.")},
    )

    def __init__(self, *args: Any, targets: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = targets  # type: ignore[attr-defined]


class TransferPlanForm(forms.Form):
    """One choice per client: who takes them. Field names are `client_<id>`."""

    def __init__(
        self,
        *args: Any,
        clients: list[Patient],
        targets: list[User],
        proposal: dict[int, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(t.pk), t.display_name or t.email) for t in targets]
        self.clients = clients
        for client in clients:
            self.fields[f"client_{client.pk}"] = forms.TypedChoiceField(
                label=_("New therapist for %(code)s") % {"code": client.code},
                choices=choices,
                coerce=int,
                initial=str(proposal.get(client.pk, "")),
            )

    def rows(self) -> list[tuple[Patient, forms.BoundField]]:
        return [(c, self[f"client_{c.pk}"]) for c in self.clients]

    def plan(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"client_{c.pk}"] for c in self.clients}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_(
            "First row: column names. Required: code. Optional: name, email, language, "
            "therapist_email."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
        error_messages={
            "required": _("Choose a file to upload."),
            "empty": _("The file is empty. Check that you chose the right file."),
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Split it into smaller files."),
                params={"mb": limit // (1024 * 1024)},
            )
        return upload


class AuditFilterForm(forms.Form):
    client = forms.CharField(label=_("Client code"), max_length=40, required=False)
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Views and changes")),
            ("views", _("Only views of client data")),
            ("changes", _("Only changes and sign-ins")),
        ],
    )
    actor = TherapistChoiceField(
        label=_("Done by"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = staff  # type: ignore[attr-defined]


class EraseForm(forms.Form):
    """Erasure cannot be undone, so the admin types the client's code to confirm."""

    confirm_code = forms.CharField(
        label=_("Type the client's code to confirm"),
        max_length=40,
        strip=True,
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_confirm_code(self) -> str:
        value: str = self.cleaned_data["confirm_code"]
        if value.lower() != self.patient.code.lower():
            raise forms.ValidationError(
                _("That is not this client's code (%(code)s). Nothing was erased."),
                params={"code": self.patient.code},
            )
        return value
