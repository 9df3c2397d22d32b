"""The caseload table's rows as HTML, written in Python.

The template loop it replaces cost most of the page's time (per row: two includes,
about 30 translation tags and 60 variable look-ups, each escaped). Here the words are
translated once per page and each row is one f-string per cell; every value from the
database goes through `escape`, translated words that `{% translate %}` would have
escaped too, and only the words of `{% blocktranslate %}` (which Django does not escape
either) and the sparkline (numbers only) go in as they are. The markup is the
template's, byte for byte: tests/dashboards/test_caseload_markup.py renders the old
template beside it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime

from django.urls import reverse
from django.utils import dateformat, numberformat, timezone
from django.utils.formats import get_format, localize
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from assessments.alliance.caseload import ShownRow
from assessments.alliance.charts import sparkline
from assessments.alliance.wording import norms_text

_ID = 2_000_000_001  # stands for the object's id while the URL is reversed once


def escape(value: object) -> str:
    # django.utils.html.escape without its lazy-string wrapper (a tenth of the row's
    # time): the same characters escaped the same way; every value here is plain.
    return html.escape(str(value))


def url_maker(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many ids at the cost of one reverse."""
    before, after = reverse(name, args=[_ID]).split(str(_ID))
    return lambda pk: f"{escape(before)}{pk}{escape(after)}"


class RowWriter:
    """Writes the rows of one page: the page's words are translated once."""

    def __init__(self) -> None:
        # Literal calls, so that makemessages finds the words here.
        t = {
            key: escape(words)
            for key, words in {
                "total": _("Total"),
                "goal": _("Goal"),
                "task": _("Task"),
                "bond": _("Bond"),
                "change": _("Change"),
                "trend": _("Trend"),
                "last": _("Last"),
                "next": _("Next due"),
                "rc": _("reliable change (Jacobson–Truax)"),
                "default_norms": _("default norms"),
                "recent": _("Recent totals:"),
                "first": _("Waiting for the first questionnaire."),
                "none": _("No questionnaire yet."),
                "no_schedule": _("no schedule"),
                "failed": _("Scheduled email failed"),
                "discussed": _("Discussed"),
            }.items()
        }
        self.t = t
        # The same label in every numeric cell (hidden from screen readers).
        self.label = {
            key: f'<span class="cell-label" aria-hidden="true">{t[key]}</span>'
            for key in ("total", "goal", "task", "bond", "change", "trend", "last", "next")
        }
        # {% blocktranslate %}: the words as translated, the values escaped.
        self.mean = _("mean %(m)s")
        self.clinic_norms = _("clinic norms (%(n)s)")
        self.discussed_by = _("discussed %(when)s by %(who)s")
        self.client_url = url_maker("assessments:client")
        self._norms: dict[int, str] = {}
        # The page language's number and date formats, looked up once: what the `num`,
        # `signed`, `date` and `time` filters look up for every value.
        language = get_language()
        self.decimal = get_format("DECIMAL_SEPARATOR", language, use_l10n=True)
        self.grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
        self.thousands = get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
        self.short_date = get_format("SHORT_DATE_FORMAT")
        self.hours = get_format("H:i")

    def number(self, value: float, places: int) -> str:
        return escape(
            numberformat.format(
                value, self.decimal, places, self.grouping, self.thousands, use_l10n=True
            )
        )

    def num(self, value: float | None, places: int) -> str:
        # The `num` filter of templatetags/alliance.py.
        return "—" if value is None else self.number(value, places)

    def signed(self, value: float | None) -> str:
        # The `signed` filter (no decimals).
        if value is None:
            return "—"
        rounded = round(value)
        if rounded > 0:
            return f"▲ +{self.number(rounded, 0)}"
        if rounded < 0:
            return f"▼ −{self.number(abs(rounded), 0)}"
        return "0"

    def day(self, value: date | datetime | None, fmt: str | None = None) -> str:
        # The `date` filter: a datetime is shown on the current (the clinic's) clock.
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        return escape(dateformat.format(value, fmt or self.short_date))

    def norms(self, clients: int) -> str:
        if clients not in self._norms:
            self._norms[clients] = escape(norms_text(clients))
        return self._norms[clients]

    def rows(self, rows: list[ShownRow]) -> str:
        return "".join(self.row(r) for r in rows)

    def row(self, r: ShownRow) -> str:
        attention = " needs-attention" if r.needs_attention else ""
        name = (
            f'<br><span class="small fw-normal">{escape(r.display_name)}</span>'
            if r.display_name
            else ""
        )
        return (
            f'\n    <tr class="caseload-row{attention}">\n'
            f'      <th scope="row" class="col-client"><a href="{self.client_url(r.pk)}">'
            f"{escape(r.code)}</a>{name}</th>\n      "
            f"{self.scores(r)}\n      {self.next_due(r)}"
            f"\n      {self.flags_cell(r)}\n    </tr>\n  "
        )

    def scores(self, r: ShownRow) -> str:
        t, label = self.t, self.label
        if r.total is None:
            words = t["first"] if r.waiting else t["none"]
            return (
                f'\n      <td colspan="7" class="text-body-secondary col-none">{words}</td>\n      '
            )
        norms = self.norms(r.norms_clients)
        mean = self.mean % {"m": self.num(r.mean, 2)}
        change = self.signed(r.change)
        if r.change_reliable:
            change += f' <abbr title="{t["rc"]}, {norms}">RC</abbr>'
        if r.change is not None:
            which = (
                self.clinic_norms % {"n": escape(localize(r.norms_clients))}
                if r.norms_clients
                else t["default_norms"]
            )
            change += (
                f'<br><span class="small text-body-secondary fw-normal">{which}</span>'
                f'<span class="visually-hidden">, {norms}</span>'
            )
        recent = escape(", ".join(str(v) for v in r.trend))
        return (
            f'\n      <td class="table-numeric col-total">{label["total"]}'
            f"<strong>{self.num(r.total, 0)}</strong><br>"
            f'<span class="small text-body-secondary">{mean}</span></td>'
            f'\n      <td class="table-numeric col-part">{label["goal"]}{self.num(r.goal, 0)}</td>'
            f'\n      <td class="table-numeric col-part">{label["task"]}{self.num(r.task, 0)}</td>'
            f'\n      <td class="table-numeric col-part">{label["bond"]}{self.num(r.bond, 0)}</td>'
            f'\n      <td class="table-numeric text-nowrap col-change" title="{norms}">'
            f"{label['change']}{change}</td>"
            f'\n      <td class="col-trend">{label["trend"]}{sparkline(r.trend)}'
            f'<span class="visually-hidden">{t["recent"]} {recent}</span></td>'
            f'\n      <td class="text-nowrap col-last">{label["last"]}'
            f"{self.day(r.session_date)}<br>"
            f'<span class="small text-body-secondary">{escape(r.occasion)}</span></td>'
            "\n      "
        )

    def next_due(self, r: ShownRow) -> str:
        # templates/assessments/schedules/_next_due_cell.html (its file ends in a newline).
        t = self.t
        if r.next_due is not None:
            due = timezone.localtime(r.next_due)
            when = (
                f"{escape(dateformat.format(due, self.short_date))} "
                f"{escape(dateformat.time_format(due, self.hours))}"
            )
        else:
            when = f'<span class="text-body-secondary">{t["no_schedule"]}</span>'
        failed = (
            f'<br><span class="badge text-bg-danger">{t["failed"]}</span>'
            if r.schedule_failed
            else ""
        )
        return f'<td class="text-nowrap col-next">{self.label["next"]}{when}{failed}</td>\n'

    def flags_cell(self, r: ShownRow) -> str:
        # templates/assessments/dashboards/_flags.html (ends in a newline), then the note.
        badges = " ".join(
            f'<span class="badge flag flag-{escape(f.code)}'
            f"{' flag-discussed' if r.discussed and f.code != 'overdue' else ''}"
            f'" title="{escape(f.title)}" aria-hidden="true">{escape(f.label)}</span>'
            f'<span class="visually-hidden">{escape(f.label)}: {escape(f.title)}</span>'
            for f in r.flags
        )
        note = ""
        if r.discussed:
            badges += f' <span class="badge flag flag-discussed-label">{self.t["discussed"]}</span>'
            d = r.discussion
            said = self.discussed_by % {
                "when": self.day(d.at, "j M") if d else "",
                "who": escape(d.by) if d else "",
            }
            note = f'<br><span class="small discussed-note">{said}</span>'
        empty = " no-flags" if not r.flags and not r.discussed else ""
        return f'<td class="col-flags{empty}">{badges}\n\n        {note}</td>'
