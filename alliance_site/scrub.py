"""Remove secrets and personal data from text that leaves the process (logs, reports).

Used by the JSON log formatter and by the error-report scrubber, so a questionnaire
link or an email address is hidden the same way wherever it would have been written.
"""

from __future__ import annotations

import re

FILTERED = "[filtered]"

# URL paths that carry a secret: a client's questionnaire link, a staff invitation or a
# password-reset link (uid and token).
_SECRET_PATHS = [
    (re.compile(r"(/q/)[^/?#\s\"']+"), r"\1" + FILTERED),
    (re.compile(r"(/accounts/invitation/)[^/?#\s\"']+/[^/?#\s\"']+"), r"\1" + FILTERED),
    (re.compile(r"(/accounts/reset/)[^/?#\s\"']+/[^/?#\s\"']+"), r"\1" + FILTERED),
]
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# "Bearer <key>" wherever it appears, and long random-looking runs (tokens, API keys):
# 32 or more URL-safe characters mixing digits, capitals and small letters, which code
# names (snake_case, CamelCase), hashes and request ids (hex) do not.
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_LONG_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_\-])(?=[\w\-]*[0-9])(?=[\w\-]*[A-Z])(?=[\w\-]*[a-z])[A-Za-z0-9_\-]{32,}"
)


def scrub_path(path: str) -> str:
    for pattern, replacement in _SECRET_PATHS:
        path = pattern.sub(replacement, path)
    return path


def scrub_text(text: str) -> str:
    text = scrub_path(text)
    text = _EMAIL.sub(FILTERED, text)
    text = _BEARER.sub(r"\1" + FILTERED, text)
    return _LONG_TOKEN.sub(FILTERED, text)
