"""Single-line text: what may be in a name, a code, a label or a clinic setting.

Such text ends up in email headers (a clinic's name in the From and Subject), in file
names and in CSV cells; a line break or another control character there can split a
header (header injection), stop every email of a run (Django refuses the message), or
start a new row in a spreadsheet. So single-line fields refuse every control character
(Unicode category Cc, which includes CR, LF, tab and NUL), and line and paragraph
separators (U+2028, U+2029, U+0085) too.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_EXTRA = {"\u2028", "\u2029", "\u0085"}
# The start of a line that a spreadsheet program would run as a formula.
_FORMULA_LINE = re.compile(r"(?:^|[\r\n])[=+\-@]")


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" or ch in _EXTRA for ch in value)


def looks_like_formula(value: str) -> bool:
    """True when the cell, or any line inside it, starts like a formula."""
    return len(value) > 1 and _FORMULA_LINE.search(value) is not None


def single_line(value: str) -> None:
    """Validator for single-line text fields (forms and models)."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            _(
                "Keep this on one line: it cannot hold a line break, a tab or another "
                "invisible control character."
            ),
            code="control_characters",
        )
