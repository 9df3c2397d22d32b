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
    pair = registry.pair_of(code)
    # A derived key (the WAI-S forms) is taken from the 36-item key, which is itself
    # single-source: the page says so rather than letting "derived" sound firmer.
    sources = {f.provenance for f in registry.forms() if f.code.startswith("wai-36-")}
    context = {
        "form": form,
        "pair": registry.get(pair) if pair in registry else None,
        "derived_from_single_source": any(i.source_item for i in form.items)
        and "single-source" in sources,
        "labels": list(zip(form.scale.points, form.scale.labels, strict=True)),
        "translations": sorted(form.translations.values(), key=lambda t: t.language),
        "copyright": form.copyright or COPYRIGHT_NOTICE,
        "nav": "forms",
    }
    return render(request, "assessments/forms/detail.html", context)
