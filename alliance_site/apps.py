from __future__ import annotations

from django.apps import AppConfig


class AllianceSiteConfig(AppConfig):
    """Site-wide wiring that needs the apps loaded: metrics listen to their signals;
    request ids follow Django's request signals."""

    name = "alliance_site"
    verbose_name = "Alliance site"

    def ready(self) -> None:
        from . import logs, metrics

        logs.connect_signals()
        metrics.connect_signals()
