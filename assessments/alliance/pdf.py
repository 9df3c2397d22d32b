"""HTML to PDF with WeasyPrint, offline: the only files it may read are our static files.

WeasyPrint fetches what a page links to (stylesheets, images). A report must never
make the server open a network connection or read a local file by a URL that a template
(or a value in it) could name, so the fetcher below serves `/static/...` through
Django's static files machinery and refuses everything else. `data:` URLs (Bootstrap's
inline icons) are decoded in memory and allowed.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ImproperlyConfigured

# A base URL on a reserved name (RFC 2606): relative links resolve under it, and a
# link that escaped the static files would point nowhere real.
BASE_URL = "https://report.invalid/"


class RefusedURL(ValueError):
    """A URL outside our static files: WeasyPrint skips it and logs a warning."""


def _static_name(url: str) -> str | None:
    """The static file's name if `url` is one of ours (relative links resolve under
    BASE_URL; a STATIC_URL on another host gives absolute links to that host, which
    are read from the storage too, never fetched)."""
    parts = urlsplit(url)
    static = urlsplit(settings.STATIC_URL)
    ours = (parts.scheme, parts.netloc) == ("https", urlsplit(BASE_URL).netloc)
    cdn = bool(static.netloc) and (parts.scheme, parts.netloc) == (static.scheme, static.netloc)
    if not (ours or cdn):
        return None
    prefix = "/" + static.path.lstrip("/")
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    name = path[len(prefix) :]
    if not name or ".." in name.split("/") or name.startswith("/") or "\x00" in name:
        return None
    return name


def _read_static(name: str) -> bytes | None:
    # Collected files first (production: hashed names from the manifest storage), then
    # the finders (a development clone serves straight from the source folders).
    try:
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as handle:
                return handle.read()
    except (OSError, ValueError, NotImplementedError, ImproperlyConfigured):
        pass  # no collected files here (STATIC_ROOT unset): read the sources
    found = finders.find(name)
    if isinstance(found, list):
        found = found[0] if found else None
    if not found:
        return None
    with open(found, "rb") as handle:
        return handle.read()


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            name = _static_name(url)
            body = _read_static(name) if name else None
            if body is None:
                raise RefusedURL(f"not one of our static files: {url[:200]}")
            kind = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return StaticOnlyFetcher


def static_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads our static files and nothing else."""
    # Only data: URLs reach urllib; every other scheme is answered or refused above.
    return _fetcher_class()(allowed_protocols=("data", "https"), allow_redirects=False)


# The stylesheet that draws our SVG charts (line styles, markers, colours).
CHART_STYLESHEET = "css/alliance.css"
_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")


def with_svg_styles(html: str) -> str:
    """Each inline SVG gets the chart stylesheet inside it.

    Browsers style inline SVG from the page's stylesheets; WeasyPrint draws SVG with its
    own renderer, which reads only a <style> inside the SVG (without it every line is
    drawn as a black filled shape). Copying the whole stylesheet keeps the PDF in step
    with whatever the chart's classes are, at a few kilobytes per chart.
    """
    css = _read_static(CHART_STYLESHEET)
    if not css:
        return html
    style = "<style>" + css.decode("utf-8").replace("</", "<\\/") + "</style>"
    return _SVG_OPEN.sub(lambda m: m.group(1) + style, html)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page rendered by our templates (print media, tagged for readers)."""
    from weasyprint import HTML

    document = HTML(
        string=with_svg_styles(html), base_url=BASE_URL, url_fetcher=static_only_fetcher()
    )
    # Tagged PDF: headings, tables and reading order reach a screen reader.
    return document.write_pdf(pdf_tags=True)
