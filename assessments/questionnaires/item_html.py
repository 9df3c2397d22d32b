"""The questionnaire's items as HTML, built in Python rather than by the template engine.

Every client opens this page, and its twelve items of five answers each went through the
engine as nearly 600 variable look-ups and 60 radio subwidgets (each with its own
context): the larger part of the page's rendering, and of a request's time. The markup
is exactly what the template `assessments/_items.html` produced before
(tests/questionnaires/test_item_html.py compares them): a fieldset per item whose legend
is the question, a labelled radio button per answer, the item's error above its answers
after a send left it out.

No `required` on the radios: the form is checked on the server, and Chromium tells
screen readers that every unanswered required radio is "invalid" before anything was
sent; an item is marked invalid (`aria-invalid`, its message linked by
`aria-describedby`) only after a send left it out.

Everything is escaped with `format_html`/`conditional_escape`; nothing here is cached,
so a re-shown form always shows the client's own answers and messages.
"""

from __future__ import annotations

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .forms import QuestionnaireForm

ITEMS_DEFAULT_LANGUAGE = "en"

# Written out as the template wrote them, spaces and line breaks included, so that the
# page stays byte for byte what it was.
_OPTION = (
    '\n    <label class="wai-option" for="{id}">\n'
    '      <input type="radio" name="{name}" value="{value}" id="{id}"{checked}{invalid}>\n'
    "      <span>{label}</span>\n"
    "    </label>\n    "
)
_ITEM_OPEN = (
    '\n<fieldset class="wai-item{error_class}" id="q-{number}"{lang}{described}>\n'
    '  <legend class="wai-item-text"><span class="wai-item-number">{number}.</span> '
    "{text}{badge}</legend>\n  {message}\n"
    '  <div class="wai-options">\n    '
)
_ITEM_CLOSE = "\n  </div>\n</fieldset>\n"


def items_html(
    form: QuestionnaireForm, *, items_language: str | None = None, show_keys: bool = False
) -> SafeString:
    """Every item of `form` as a fieldset of radio buttons (bound or not).

    `items_language` is the language the items are written in (English unless a
    clinic's translation is used); items are marked with it when it is not the page's,
    and their error messages with the page's.
    """
    page_language = get_language()
    items_language = items_language or ITEMS_DEFAULT_LANGUAGE
    mixed = items_language != page_language
    item_lang = format_html(' lang="{}" dir="auto"', items_language) if mixed else ""
    message_lang = format_html(' lang="{}" dir="auto"', page_language) if mixed else ""
    badge = (
        format_html(' <span class="badge text-bg-light border">{}</span>', _("reverse-keyed"))
        if show_keys
        else ""
    )
    choices = [
        (value, conditional_escape(value), conditional_escape(label))
        for value, label in form.choice_labels
    ]
    out = ["\n"]
    for item in form.items:
        field = form[item.name]
        errors = field.errors
        # What the radio widget would mark as checked: the first choice equal to the
        # value sent (or given as initial); with no value, the "" choice (No answer).
        selected = field.field.widget.format_value(field.value())
        out.append(
            _ITEM_OPEN.format(
                error_class=" wai-item-error" if errors else "",
                number=item.number,
                lang=item_lang,
                described=f' aria-describedby="q-{item.number}-error"' if errors else "",
                text=conditional_escape(item.text),
                badge=badge if item.reverse else "",
                message=format_html(
                    '<p class="wai-item-message" id="q-{}-error"{}>'
                    '<span aria-hidden="true">⚠ </span>{}</p>',
                    item.number,
                    message_lang,
                    errors[0],
                )
                if errors
                else "",
            )
        )
        checked_done = False
        html_name = conditional_escape(field.html_name)
        auto_id = conditional_escape(field.auto_id)
        for index, (value, escaped, label) in enumerate(choices):
            checked = not checked_done and value in selected
            checked_done = checked_done or checked
            out.append(
                _OPTION.format(
                    id=f"{auto_id}_{index}",
                    name=html_name,
                    value=escaped,
                    checked=" checked" if checked else "",
                    invalid=' aria-invalid="true"' if errors else "",
                    label=label,
                )
            )
        out.append(_ITEM_CLOSE)
    out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
