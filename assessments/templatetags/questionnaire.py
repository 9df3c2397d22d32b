"""The questionnaire's items on the client's page and the staff entry pages."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from assessments.questionnaires.forms import QuestionnaireForm
from assessments.questionnaires.item_html import items_html

register = template.Library()


@register.simple_tag
def questionnaire_items(
    form: QuestionnaireForm, items_language: str | None = None, show_keys: bool = False
) -> SafeString:
    """Every item as a fieldset of radio buttons (see questionnaires.item_html)."""
    return items_html(form, items_language=items_language or None, show_keys=bool(show_keys))
