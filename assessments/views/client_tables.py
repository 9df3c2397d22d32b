"""The rows of the client page's two long tables, built in Python.

A client with 60 questionnaires has 60 rows in each table. As template loops they were
most of the page's rendering time (every row resolved dozens of variables, translated
the same words again and ran a filter per cell); here the words are translated once
per table and each row is a few string joins. The markup is the one the templates made
(tests/dashboards/test_client_page_markup.py compares them): escaping as the template
engine does it (values escaped, translated words as they are, like `{% translate %}`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import numberformat, timezone
from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from assessments.alliance.charts import date_label
from assessments.alliance.history import HistoryRow
from assessments.alliance.wording import numbers as flag_numbers
from assessments.alliance.wording import prompts
from assessments.questionnaires.selectors import QuestionnaireRow
from assessments.scoring.registry import Registry
from assessments.templatetags.alliance import signed

NUMERIC = '<td class="table-numeric">'


class Numbers:
    """The `num` template filter with the language's separators looked up once per
    table, not once per cell (the same Django formatting: a score for display, a dash
    when unscored)."""

    def __init__(self) -> None:
        language = get_language()
        self.decimal = get_format("DECIMAL_SEPARATOR", language)
        self.grouping = get_format("NUMBER_GROUPING", language)
        self.thousands = get_format("THOUSAND_SEPARATOR", language)

    def __call__(self, value: float | None, places: int) -> str:
        if value is None:
            return "—"
        return numberformat.format(value, self.decimal, places, self.grouping, self.thousands)


def _flag_notes(h: HistoryRow, words: dict[str, str], said: dict[str, str]) -> str:
    """The Notes cell's flag paragraphs (the `flag_words` filter's order and text)."""
    f = h.flags
    out = []
    if f.new_baseline:
        out.append(f'<p class="mb-1 small">{words["new_form"]}</p>')
    details = dict(f.details or {})
    if f.rupture:
        details = {**details, "marked": f.marked, "repaired": f.repaired}
    for code in f.kinds():
        prompt = said["repaired" if code == "rupture" and f.repaired else code]
        if code == "rupture":
            if f.repaired:
                name = f"<strong>{words['repaired']}</strong>"
            else:
                name = f"<strong>{words['possible']}</strong>"
                if f.marked:
                    name += f" ({words['marked']})"
        elif code == "dropping":
            name = f"<strong>{words['dropping']}</strong>"
        else:
            name = f"<strong>{words['first_dip']}</strong>"
        out.append(
            f'<p class="mb-1 flag-note flag-note-{escape(code)}">{name}: {escape(prompt)}<br>'
            f'<span class="small text-body-secondary">{escape(flag_numbers(code, details))}'
            "</span></p>"
        )
    if "low" in h.codes:
        out.append(
            f'<p class="mb-1 flag-note flag-note-low"><strong>{words["low"]}</strong>: '
            f"{words['low_means']}</p>"
        )
    out.append("\n        ")
    d = h.discussion
    if h.codes and d is not None:
        when = escape(date_format(timezone.localtime(d.discussed_at), "j M Y"))
        who = escape(d.discussed_by.get_full_name()) if d.discussed_by is not None else ""
        out.append(
            '<div class="small discussed-note">'
            + _("Discussed on %(when)s by %(who)s.") % {"when": when, "who": who}
        )
        if h.marked_here and d.note:
            out.append(
                f'<br><span class="discussion-note">{words["note"]} {linebreaksbr(d.note)}</span>'
            )
        out.append("</div>\n        ")
    elif h.codes:
        out.append(f'<div class="small text-body-secondary">{words["not_discussed"]}</div>')
    return "".join(out)


def history_rows(rows: Sequence[HistoryRow]) -> SafeString:
    """The scores table's body rows (newest first), as `_client_body.html` lays them out."""
    words = {
        "rc": _("reliable change (Jacobson–Truax)"),
        "unpaired": _("not a paired form: see the note below the table"),
        "new_form": _("New form: a new baseline, not compared with the earlier form."),
        "repaired": _("Repaired rupture"),
        "possible": _("Possible rupture"),
        "marked": _("marked"),
        "dropping": _("Dropping"),
        "first_dip": _("First dip"),
        "low": _("Low"),
        "low_means": _("as this clinic defines it."),
        "note": _("Note:"),
        "not_discussed": _("Not marked as discussed."),
    }
    said = prompts()
    num = Numbers()
    out = []
    for h in rows:
        p, f, own = h.point, h.flags, h.own
        if f.change:
            change = escape(signed(f.change.delta))
            if f.change.reliable:
                change += f' <abbr title="{words["rc"]}">RC</abbr>'
        else:
            change = "—"
        if own is None:
            therapist = "—"
        else:
            therapist = escape(num(own.total_pomp, 0))
            if not h.paired:
                therapist += (
                    f'<sup><a href="#unpaired-note" aria-label="{words["unpaired"]}">*</a></sup>'
                )
            elif own.total_pomp is not None:
                gap = _("gap %(g)s") % {"g": escape(signed(h.gap))}
                therapist += f'<br><span class="small text-body-secondary">{gap}</span>'
        out.append(
            f"\n    <tr><td>{escape(date_label(p.session_date))}</td>"
            f"<td>{escape(p.occasion_label)}</td>\n"
            f"      {NUMERIC}{escape(num(p.goal_pomp, 0))}</td>"
            f"{NUMERIC}{escape(num(p.task_pomp, 0))}</td>"
            f"{NUMERIC}{escape(num(p.bond_pomp, 0))}</td>\n"
            f"      {NUMERIC}<strong>{escape(num(p.total_pomp, 0))}</strong></td>\n"
            f'      <td class="table-numeric text-nowrap">{change}</td>\n'
            f"      {NUMERIC}{therapist}</td>\n"
            f"      <td>{_flag_notes(h, words, said)}</td></tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above


def questionnaire_rows(rows: Sequence[QuestionnaireRow], registry: Registry) -> SafeString:
    """The questionnaires table's body rows (newest first)."""
    raters = {"client": _("Client")}
    other_rater = _("Therapist")
    states = {
        "completed": _("Completed"),
        "open": _("Waiting"),
        "expired": _("Expired"),
    }
    withdrawn = _("Withdrawn")
    open_word = _("Open")
    num = Numbers()
    now = timezone.now()
    # Each row's link, without resolving the URL 60 times: the id is the path's end.
    head, tail = reverse("assessments:administration", args=[0]).rsplit("0", 1)
    forms: dict[str, tuple[str, str]] = {}
    out = []
    for a in rows:
        if a.form_code not in forms:
            if a.form_code in registry:
                form = registry.get(a.form_code)
                title, scale = form.short_title, f"{form.scale.min}–{form.scale.max}"
            else:  # a form no longer loaded: its code, and no scale
                title, scale = a.form_code, ""
            # Translators: "on 1–5" is the answer scale of the form this mean is on (client
            # forms answer on 1–5, therapist forms on 1–7).
            on_scale = _("on %(scale)s") % {"scale": escape(scale)}
            forms[a.form_code] = (escape(title), on_scale)
        title, on_scale = forms[a.form_code]
        when = escape(date_label(a.session_date))
        label = escape(a.occasion_label)
        if a.answered:
            pomp = escape(num(a.total_pomp, 0))
            mean = (
                f'{escape(num(a.total_mean, 2))} <span class="small text-body-secondary">'
                f"{on_scale}</span>"
            )
        else:
            pomp = mean = ""
        out.append(
            "\n    <tr>\n"
            f"      <td>{when}</td>\n"
            f"      <td>{label}</td>\n"
            f"      <td>{title}</td>\n"
            f"      <td>{raters.get(a.rater, other_rater)}</td>\n"
            f"      <td>{states.get(a.state_at(now), withdrawn)}</td>\n"
            f'      <td class="table-numeric">{pomp}</td>\n'
            f"      \n"
            f'      <td class="table-numeric text-nowrap">{mean}</td>\n'
            f'      <td><a href="{head}{a.pk}{tail}">{open_word}'
            f'<span class="visually-hidden"> {label}, {when}</span></a></td>\n'
            "    </tr>\n  "
        )
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above
