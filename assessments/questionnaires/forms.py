"""Forms: the questionnaire itself (for clients and staff), requests, settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.questionnaires.links import Occasion
from assessments.scoring.definitions import Form, render_item_text
from assessments.scoring.registry import get_registry
from clinicians.models import Clinic
from clinicians.text import single_line

from ..models import OccasionKind

ITEM_FIELD = re.compile(r"^item_(\d+)$")
NO_ANSWER = ""


@dataclass(frozen=True)
class ItemView:
    """One question as the page shows it."""

    number: int
    name: str
    text: str
    reverse: bool
    subscale: str


class QuestionnaireForm(forms.Form):
    """Every item of one WAI form as a set of radio buttons.

    Clients must answer every item. Staff typing in a paper form may leave items blank
    (`allow_missing`); the scoring engine applies the missing-data rule.
    """

    form_code = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        instrument: Form,
        therapist_name: str = "",
        language: str | None = None,
        allow_missing: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("form_code", instrument.code)
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.allow_missing = allow_missing
        labels = instrument.scale_labels(language)
        points = instrument.scale.points
        choices: list[tuple[str, str]] = [(str(p), labels[i]) for i, p in enumerate(points)]
        if allow_missing:
            choices.append((NO_ANSWER, str(_("No answer"))))
        self.choice_labels = choices
        translation = instrument.translation(language)
        fallback = (translation.therapist_fallback if translation else None) or "my therapist"
        texts = instrument.item_texts(language)
        self.items: list[ItemView] = []
        for item, text in zip(instrument.items, texts, strict=True):
            name = f"item_{item.number}"
            self.fields[name] = forms.TypedChoiceField(
                label=render_item_text(text, therapist_name, fallback=fallback),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=not allow_missing,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer for this question."),
                    "invalid_choice": _("Please choose one of the answers shown."),
                },
            )
            self.items.append(
                ItemView(
                    item.number,
                    name,
                    str(self.fields[name].label),
                    item.reverse,
                    item.subscale,
                )
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("form_code") != self.instrument.code:
            # The page was changed in the browser, or is stale after a form change.
            raise forms.ValidationError(
                _("This page does not match the questionnaire. Reload the page and try again.")
            )
        known = {f"item_{i.number}" for i in self.instrument.items}
        unknown = [k for k in self.data if ITEM_FIELD.match(k) and k not in known]
        if unknown:
            raise forms.ValidationError(
                _(
                    "The answers sent do not match this questionnaire. "
                    "Reload the page and try again."
                )
            )
        return cleaned

    def answers(self) -> dict[int, int | None]:
        return {i.number: self.cleaned_data.get(f"item_{i.number}") for i in self.instrument.items}

    def bound_items(self) -> list[tuple[ItemView, forms.BoundField]]:
        return [(item, self[item.name]) for item in self.items]

    @property
    def missing_count(self) -> int:
        return sum(1 for item in self.items if item.name in self.errors)


def form_choices(rater: str) -> list[tuple[str, str]]:
    return [(f.code, f.title) for f in get_registry().forms() if f.rater == rater]


class OccasionForm(forms.Form):
    occasion = forms.ChoiceField(label=_("Occasion"), choices=OccasionKind.choices)
    session_number = forms.IntegerField(
        label=_("Session number"),
        min_value=1,
        max_value=999,
        required=False,
        help_text=_("Needed when the occasion is a session."),
    )
    occasion_note = forms.CharField(
        label=_("Describe the occasion"),
        max_length=80,
        required=False,
        help_text=_("Needed when the occasion is 'Other'."),
        validators=[single_line],
    )
    session_date = forms.DateField(
        label=_("Session date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date such as 2026-11-27.")},
    )

    def clean_session_date(self) -> Any:
        value = self.cleaned_data["session_date"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError(_("The session date cannot be in the future."))
        if (today - value).days > 366 * 5:
            raise forms.ValidationError(_("That date is more than five years ago."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("occasion") == OccasionKind.SESSION and not cleaned.get("session_number"):
            self.add_error("session_number", _("Enter the session number."))
        if cleaned.get("occasion") != OccasionKind.SESSION:
            cleaned["session_number"] = None
        if cleaned.get("occasion") == OccasionKind.OTHER and not cleaned.get("occasion_note"):
            self.add_error("occasion_note", _("Say what the occasion is."))
        if cleaned.get("occasion") != OccasionKind.OTHER:
            cleaned["occasion_note"] = ""
        return cleaned

    def occasion_value(self) -> Occasion:
        d = self.cleaned_data
        return Occasion(d["occasion"], d["session_number"], d["occasion_note"], d["session_date"])


class RequestForm(OccasionForm):
    form_code = forms.ChoiceField(label=_("Form"))
    send_email = forms.BooleanField(
        label=_("Email the link to the client"), required=False, initial=False
    )

    field_order = ["form_code", "occasion", "session_number", "occasion_note", "session_date"]

    def __init__(self, *args: Any, clinic: Clinic, client_has_email: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form_code"].choices = form_choices("client")
        self.fields["form_code"].initial = clinic.default_client_form
        if not client_has_email:
            del self.fields["send_email"]


class StaffEntryForm(OccasionForm):
    """Which form and occasion a paper entry or an own rating belongs to."""

    form_code = forms.ChoiceField(label=_("Form"))
    field_order = ["form_code", "occasion", "session_number", "occasion_note", "session_date"]

    def __init__(self, *args: Any, rater: str, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form_code"].choices = form_choices(rater)
        self.fields["form_code"].initial = default


class CorrectionReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are the answers being corrected?"),
        max_length=300,
        widget=forms.TextInput,
        help_text=_("For example: typing error when entering the paper form."),
    )


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = [
            "name",
            "default_client_form",
            "default_therapist_form",
            "invitation_expiry_days",
            "reminder_delay_days",
            "low_pomp_threshold",
            "low_rule",
            "overdue_days",
            "time_zone",
        ]
        widgets = {"low_rule": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_client_form"] = forms.ChoiceField(
            label=_("Default client form"), choices=form_choices("client")
        )
        self.fields["default_therapist_form"] = forms.ChoiceField(
            label=_("Default therapist form"), choices=form_choices("therapist")
        )
        # Left empty (or not sent at all), the clinic keeps the zone it has.
        self.fields["time_zone"].required = False

    def clean_time_zone(self) -> str:
        return self.cleaned_data.get("time_zone") or self.instance.time_zone


class KioskEnrolForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this tablet"),
        max_length=80,
        help_text=_("For example: Waiting room, ground floor."),
        validators=[single_line],
    )


class KioskCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "class": "kiosk-code-input",
            }
        ),
    )
