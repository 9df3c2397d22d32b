"""Start-up check: the export folder must be private to the app's user."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.files.storage import storages

from .storage import ExportFolderError, PrivateFolderStorage


@register()
def export_folder_is_private(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    storage = storages["exports"]
    if not isinstance(storage, PrivateFolderStorage):
        return []  # a bucket (django-storages): its access is the bucket's policy
    try:
        storage.check_folder(create=True)
    except (ExportFolderError, OSError) as exc:
        return [Error(str(exc), id="integrations.E001")]
    return []
