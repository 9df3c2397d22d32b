from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.scoring.registry import get_registry
from clinicians.access import therapists_of
from clinicians.models import User
from clinicians.text import single_line

from .exports.rows import ExportFilters
from .models import ExportFormat, Scope


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("File type"),
        choices=ExportFormat.choices,
        initial=ExportFormat.XLSX,
        widget=forms.RadioSelect,
    )
    therapist = forms.ModelChoiceField(
        # Not "therapist rated": the filter is whose sessions, not who filled the form in.
        label=_("Therapist of the sessions"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All therapists"),
        help_text=_(
            "Questionnaires from this therapist's sessions, whether the client or the "
            "therapist filled them in."
        ),
    )
    form_code = forms.ChoiceField(label=_("Form"), required=False)
    date_from = forms.DateField(label=_("Sessions from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Sessions up to"), required=False, widget=DateInput())
    pseudonymised = forms.BooleanField(
        label=_("Pseudonymised for research"),
        required=False,
        help_text=_(
            "Client codes become pseudonyms drawn for this export only (P0001, …), "
            "therapists T001, …; names, emails, notes and record numbers are left out."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_clinic_admin:
            self.fields["therapist"].queryset = therapists_of(user).order_by(  # type: ignore[attr-defined]
                "display_name", "email"
            )
        else:
            # A therapist exports their own caseload; there is nothing to choose.
            del self.fields["therapist"]
        self.fields["form_code"].choices = [
            ("", _("All forms")),
            *((f.code, f"{f.short_title} ({f.code})") for f in get_registry().forms()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        therapist = data.get("therapist")
        return ExportFilters(
            therapist_id=therapist.pk if therapist else None,
            form_code=data.get("form_code") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            pseudonymised=bool(data.get("pseudonymised")),
        )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("Which system will use it, e.g. “Health record (Epic)”."),
        validators=[single_line],
    )
    scopes = forms.MultipleChoiceField(
        label=_("May read"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one.")},
    )
