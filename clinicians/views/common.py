"""What every console view shares: the page frame, pagination, refusals."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PER_PAGE = 50


def render_console(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str,
    status: int = 200,
) -> HttpResponse:
    """Render a console page: the navbar marks Console, the sub-navigation `section`."""
    return render(
        request,
        template,
        {"nav": "console", "section": section, **(context or {})},
        status=status,
    )


def paginate(request: HttpRequest, items: QuerySet[Any] | list[Any]) -> Page:
    # get_page: "page=abc" gives the first page, "page=999" the last; never an error.
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
