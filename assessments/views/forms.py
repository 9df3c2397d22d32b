"""The forms Alliance has loaded: citation, provenance, key, and the copyright notice."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from assessments.scoring.definitions import COPYRIGHT_NOTICE
from assessments.scoring.registry import get_registry
from clinicians.access import staff_required


@staff_required
def forms(request: HttpRequest) -> HttpResponse:
    registry = get_registry()
    context = {
        "forms": registry.forms(),
        "copyright": COPYRIGHT_NOTICE,
        "nav": "forms",
    }
    return render(request, "assessments/forms/list.html", context)


@staff_required
def form_detail(request: HttpRequest, code: str) -> HttpResponse:
    registry = get_registry()
    if code not in registry:
        raise Http404("No such form.")
    form = registry.get(code)
    context = {
        "form": form,
        "labels": list(zip(form.scale.points, form.scale.labels, strict=True)),
        "translations": sorted(form.translations.values(), key=lambda t: t.language),
        "copyright": form.copyright or COPYRIGHT_NOTICE,
        "nav": "forms",
    }
    return render(request, "assessments/forms/detail.html", context)
