"""The schedule form: a client's (client page) and the clinic's default (console)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..questionnaires.forms import form_choices
from .models import ClinicSchedule, Schedule, Unit, Weekday
from .services import CadenceValues

UNTIL_DISCHARGE = "discharge"
UNTIL_COUNT = "count"


class CadenceForm(forms.Form):
    form_code = forms.ChoiceField(label=_("Form"))
    every = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=52,
        error_messages={
            "required": _("Enter how often: a number from 1 to 52."),
            "invalid": _("Enter how often as a whole number from 1 to 52."),
            "min_value": _("Enter how often as a whole number from 1 to 52."),
            "max_value": _("Enter how often as a whole number from 1 to 52."),
        },
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.WEEKS)
    weekday = forms.TypedChoiceField(
        label=_("On"),
        choices=Weekday.choices,
        coerce=int,
        initial=Weekday.MONDAY,
        help_text=_("Used when the schedule counts in weeks."),
    )
    local_time = forms.TimeField(
        label=_("At (clinic time)"),
        input_formats=["%H:%M"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={
            "required": _("Enter a time such as 09:00."),
            "invalid": _("Enter a time such as 09:00 (hours and minutes, 24-hour clock)."),
        },
    )
    until = forms.ChoiceField(
        label=_("Ends"),
        choices=[
            (UNTIL_DISCHARGE, _("Until discharge")),
            (UNTIL_COUNT, _("A number of times")),
        ],
        widget=forms.RadioSelect,
        initial=UNTIL_DISCHARGE,
    )
    times = forms.IntegerField(
        label=_("Number of times"),
        required=False,
        min_value=1,
        max_value=100,
        error_messages={
            "invalid": _("Enter the number of times as a whole number from 1 to 100."),
            "min_value": _("Enter the number of times as a whole number from 1 to 100."),
            "max_value": _("Enter the number of times as a whole number from 1 to 100."),
        },
    )
    with_therapist_rating = forms.BooleanField(
        label=_("Remind the therapist to add their own rating of the same session"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form_code"].choices = form_choices("client")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            data.get("until") == UNTIL_COUNT
            and not data.get("times")
            and "times" not in self.errors
        ):
            self.add_error("times", _("Enter how many times, from 1 to 100."))
        return data

    def values(self) -> CadenceValues:
        d = self.cleaned_data
        return CadenceValues(
            form_code=d["form_code"],
            every=d["every"],
            unit=d["unit"],
            weekday=d["weekday"],
            local_time=d["local_time"],
            times=d["times"] if d["until"] == UNTIL_COUNT else None,
            with_therapist_rating=d["with_therapist_rating"],
        )


def initial_from(source: Schedule | ClinicSchedule | None, form_code: str) -> dict[str, Any]:
    if source is None:
        return {"form_code": form_code, "every": 1, "local_time": "09:00"}
    return {
        "form_code": source.form_code,
        "every": source.every,
        "unit": source.unit,
        "weekday": source.weekday,
        "local_time": source.local_time,
        "until": UNTIL_COUNT if source.times else UNTIL_DISCHARGE,
        "times": source.times,
        "with_therapist_rating": source.with_therapist_rating,
    }


class ScheduleForm(CadenceForm):
    starts_on = forms.DateField(
        label=_("First date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The schedule starts on this day or the chosen weekday after it."),
        error_messages={
            "required": _("Enter the first date, such as 2026-09-01."),
            "invalid": _("Enter the first date as a date, such as 2026-09-01."),
        },
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_starts_on(self) -> date:
        value: date = self.cleaned_data["starts_on"]
        if value < self.today:
            raise forms.ValidationError(_("The first date cannot be in the past."))
        if (value - self.today).days > 366:
            raise forms.ValidationError(_("The first date must be within a year from today."))
        return value


class ClinicScheduleForm(CadenceForm):
    enabled = forms.BooleanField(label=_("Give each new client this schedule"), required=False)
