from __future__ import annotations

from django.apps import AppConfig


class AllianceSiteConfig(AppConfig):
    """Site-wide wiring that needs the apps loaded: metrics listen to their signals;
    request ids follow Django's request signals; every database connection reports
    its writes to the page cache (freshness)."""

    name = "alliance_site"
    verbose_name = "Alliance site"

    def ready(self) -> None:
        from . import freshness, logs, metrics

        freshness.connect_signals()
        logs.connect_signals()
        metrics.connect_signals()
