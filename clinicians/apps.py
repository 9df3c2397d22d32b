from django.apps import AppConfig


class CliniciansConfig(AppConfig):
    name = "clinicians"
    verbose_name = "Clinicians"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-in audit receivers)
