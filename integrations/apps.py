from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Exports and integrations"

    def ready(self) -> None:
        # The console's audit page names actions from this table (see clinicians.audit).
        from clinicians.audit import ACTION_LABELS, READ_ACTIONS

        READ_ACTIONS.update({"export_downloaded", "questionnaire_exported", "api_call"})

        from . import checks  # noqa: F401 - registers the export folder check

        ACTION_LABELS.update(
            {
                "export_downloaded": _("Export downloaded"),
                "export_started": _("Export started in the background"),
                "questionnaire_exported": _("Questionnaire downloaded as FHIR"),
                "api_key_created": _("API key made"),
                "api_key_revoked": _("API key revoked"),
                "api_call": _("API call"),
                "api_refused": _("API call refused"),
            }
        )

        from clinicians.lifecycle import client_erased

        from .lifecycle import on_client_erased

        client_erased.connect(on_client_erased, dispatch_uid="integrations-erasure")
