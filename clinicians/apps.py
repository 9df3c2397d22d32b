from django.apps import AppConfig


class CliniciansConfig(AppConfig):
    name = "clinicians"
    verbose_name = "Clinicians"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers checks, audit receivers)
