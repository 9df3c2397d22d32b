from pathlib import Path

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        # Load every instrument definition at start-up, so that a malformed file in the
        # clinic's folder stops the process with its name and the reason, rather than
        # surfacing later as a failed or wrong score.
        from django.conf import settings

        from assessments.scoring.definitions import InstrumentError
        from assessments.scoring.registry import configure_registry

        folder = getattr(settings, "ALLIANCE_INSTRUMENTS_DIR", "") or ""
        try:
            configure_registry(Path(folder) if folder.strip() else None)
        except InstrumentError as exc:
            raise ImproperlyConfigured(f"cannot load the instrument definitions: {exc}") from exc

        from assessments.questionnaires.demo import on_demo_clinic_seeded
        from clinicians.demo import demo_clinic_seeded

        demo_clinic_seeded.connect(on_demo_clinic_seeded, dispatch_uid="assessments-demo")

        # The console's audit page names actions from this table (see clinicians.audit).
        from django.utils.translation import gettext_lazy as _

        from clinicians.audit import ACTION_LABELS

        ACTION_LABELS.update(
            {
                "flags_discussed": _("Flags marked as discussed"),
                "review_left": _("Left the review-together view with the password"),
                "review_leave_refused": _("Wrong password to leave the review-together view"),
                "schedule_set": _("Schedule set"),
                "schedule_changed": _("Schedule changed"),
                "schedule_stopped": _("Schedule stopped"),
                "schedule_fired": _("Scheduled questionnaire due"),
                "clinic_schedule_changed": _("Clinic default schedule changed"),
            }
        )

        from clinicians import lifecycle as client_lifecycle

        from . import lifecycle

        client_lifecycle.client_discharged.connect(
            lifecycle.on_client_discharged, dispatch_uid="assessments-discharge"
        )
        client_lifecycle.client_erased.connect(
            lifecycle.on_client_erased, dispatch_uid="assessments-erasure"
        )
        client_lifecycle.clients_created.connect(
            lifecycle.on_clients_created, dispatch_uid="assessments-new-clients"
        )
