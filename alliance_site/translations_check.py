"""Checks that keep the interface translatable and translated.

1. Templates: text a person reads (text between tags, and the `title`, `aria-label`,
   `placeholder` and `alt` attributes) must sit inside `{% translate %}` or
   `{% blocktranslate %}`. A heuristic: template tags and variables are removed, and
   whatever letters remain are reported with their line.
2. Catalogues: every .po file under locale/ has no untranslated and no fuzzy entry, and
   `makemessages` run on the current sources (into a copy) finds nothing new.

Run `python -m alliance_site.translations_check` (or `make translations-check`); the
test suite runs the same checks (tests/test_translations.py).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = BASE_DIR / "templates"
LOCALE_DIR = BASE_DIR / "locale"
DOMAINS = ("django", "djangojs")

# Words that stay the same in every language: the product's name, instrument and file
# format names, and typographic marks.
NOT_TRANSLATED = {
    "Alliance",
    "WAI",
    "POMP",
    "RC",
    "CSV",
    "XLSX",
    "FHIR",
    "NDJSON",
    "R4",
    "JSON",
    "API",
}
READABLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")

_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_COMMENT_BLOCK = re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
_BLOCKTRANS = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
# Code, keyboard input, sample output and anything marked translate="no" (HTML's own
# attribute for "leave this as it is": column names, example data) are not prose.
_NOT_PROSE = re.compile(
    r"<(code|kbd|samp|pre)\b[^>]*>.*?</\1>|<(\w+)\b[^>]*\btranslate=\"no\"[^>]*>.*?</\2>",
    re.S | re.I,
)
# Blocks that hold CSS class names, e.g. {% block body_class %}client-page{% endblock %}.
_CLASS_BLOCK = re.compile(r"\{%\s*block\s+\w*_class\s*%\}.*?\{%\s*endblock", re.S)
_TEMPLATE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DOCTYPE = re.compile(r"<!doctype[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"\s(" + "|".join(READABLE_ATTRIBUTES) + r')\s*=\s*"([^"]*)"', re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&[#\w]+;")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: not marked for translation: {self.text!r}"


def _blank(match: re.Match[str]) -> str:
    # Keep newlines so that line numbers stay right.
    return re.sub(r"[^\n]", " ", match.group(0))


def _readable(text: str) -> str | None:
    """The words left once names that never change are removed, or None."""
    words = [w for w in _WORD.findall(_ENTITY.sub(" ", text)) if w not in NOT_TRANSLATED]
    return " ".join(text.split()) if words else None


def scan_template(source: str, path: str = "") -> list[Finding]:
    """Readable text in one template that is outside the translation tags."""
    text = source
    for pattern in (
        _COMMENT,
        _COMMENT_BLOCK,
        _BLOCKTRANS,
        _SCRIPT_STYLE,
        _HTML_COMMENT,
        _CLASS_BLOCK,
    ):
        text = pattern.sub(_blank, text)
    text = _TEMPLATE_TAG.sub(_blank, text)
    text = _NOT_PROSE.sub(_blank, text)
    text = _DOCTYPE.sub(_blank, text)
    findings: list[Finding] = []
    for match in _ATTRIBUTE.finditer(text):
        readable = _readable(match.group(2))
        if readable:
            line = text.count("\n", 0, match.start()) + 1
            findings.append(Finding(path, line, f'{match.group(1)}="{readable}"'))
    if path.endswith(".html"):
        text = _TAG.sub(_blank, text)
    for number, line in enumerate(text.splitlines(), start=1):
        readable = _readable(line)
        if readable:
            findings.append(Finding(path, number, readable))
    return findings


def scan_templates(root: Path = TEMPLATE_DIR) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(root.rglob("*")):
        if path.suffix in {".html", ".txt"} and path.is_file():
            relative = str(path.relative_to(BASE_DIR))
            findings.extend(scan_template(path.read_text(encoding="utf-8"), relative))
    return findings


def catalogue_problems(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Untranslated and fuzzy entries in every .po file (obsolete ones are ignored)."""
    import polib

    problems: list[str] = []
    files = sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))
    if not files:
        problems.append(f"no .po files under {locale_dir.name}/")
    for po_path in files:
        catalogue = polib.pofile(str(po_path))
        name = str(po_path.relative_to(locale_dir.parent))
        for entry in catalogue.untranslated_entries():
            problems.append(f"{name}: untranslated: {entry.msgid!r}")
        for entry in catalogue.fuzzy_entries():
            if not entry.obsolete:
                problems.append(f"{name}: fuzzy (check and remove the flag): {entry.msgid!r}")
    return problems


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())


def refreshed_catalogues(into: Path) -> Path:
    """Run makemessages on a copy of the sources and catalogues; return the copy's locale/.

    The copy shows what a contributor's `makemessages` would add: new strings arrive
    untranslated, changed ones fuzzy, so `catalogue_problems` on it reports them. A copy
    because makemessages always writes into the locale/ folder beside the sources.
    """
    from django.core.management import call_command
    from django.test.utils import override_settings

    tree = into / "sources"
    shutil.copytree(
        BASE_DIR,
        tree,
        ignore=shutil.ignore_patterns(
            ".*",
            "__pycache__",
            "*.pyc",
            "*.mo",
            "tests",
            "bench",
            "node_modules",
            "media",
            "staticfiles",
            "htmlcov",
            "*.sqlite3",
            "docs",
        ),
    )
    copy = tree / "locale"
    here = Path.cwd()
    os.chdir(tree)
    try:
        with override_settings(LOCALE_PATHS=[copy]):
            for domain in DOMAINS:
                call_command(
                    "makemessages",
                    locale=languages(),
                    domain=domain,
                    no_obsolete=True,
                    verbosity=0,
                )
    finally:
        os.chdir(here)
    return copy


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_site.settings")
    django.setup()
    problems = [str(f) for f in scan_templates()]
    problems += catalogue_problems()
    with tempfile.TemporaryDirectory() as tmp:
        fresh = refreshed_catalogues(Path(tmp))
        problems += [
            f"{p} (after makemessages: run it and translate)" for p in catalogue_problems(fresh)
        ]
    for problem in problems:
        print(problem)
    print(
        f"{len(problems)} problem(s)" if problems else "Translations: all marked, all translated."
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
