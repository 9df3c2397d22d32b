"""Static files in production: hashed names, precompressed, cached by browsers for years.

Pages then cost nothing extra on a repeat visit: the browser keeps every stylesheet and
script until a new version changes its name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client


@pytest.fixture
def collected(tmp_path: Path, settings: Any) -> Path:
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    # Our own files only: compressing Bootstrap with brotli takes half a minute.
    settings.STATICFILES_DIRS = [Path(settings.BASE_DIR) / "static"]
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    return tmp_path


@pytest.mark.django_db
def test_static_files_have_hashed_names_and_years_of_browser_cache(collected: Path) -> None:
    for name in ("css/alliance.css", "js/session-timeout.js"):
        check(collected, name)


def check(collected: Path, name: str) -> None:
    url = static(name)
    stem, suffix = name.rsplit(".", 1)
    assert re.fullmatch(rf"/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix}", url), url
    # Precompressed at build time, beside the original: nothing is compressed per request.
    hashed = collected / url.removeprefix("/static/")
    assert hashed.with_name(hashed.name + ".br").exists()
    assert hashed.with_name(hashed.name + ".gz").exists()
    answer = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert answer.status_code == 200
    assert answer["Content-Encoding"] == "br"
    assert answer["Cache-Control"] == "max-age=315360000, public, immutable"
    plain = Client().get(url)
    assert "Content-Encoding" not in plain
    assert plain["Vary"] == "Accept-Encoding"
