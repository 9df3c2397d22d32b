"""Where finished background exports wait: a private folder, shared by the hosts.

Django's FileSystemStorage opens new files with O_EXCL but mode 0666 (narrowed by the
umask, then chmod-ed), follows a symlink in the folder's own path and creates missing
folders with the process's umask. Export files hold client data, and the folder may sit
where other local users can write (a shared mount, /tmp), so this storage:

- creates the folder 0700 and refuses to write unless it is a real folder owned by
  this process's user with no access for group or others (ExportFolderError, with the
  reason in words; `manage.py check` reports the same at start-up);
- creates each file with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 from the first byte, so
  a planted symlink or file is never written through;
- keeps every file directly in the folder (no sub-folders to plant links in).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

OPEN_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


class ExportFolderError(Exception):
    """The export folder is not safe to write to; the message says why and what to do."""


def check_private_folder(path: str, *, create: bool) -> None:
    """Raise ExportFolderError unless `path` is a folder only this user can use."""
    if create and not os.path.lexists(path):
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        # The umask can only narrow 0700. Made by another process meanwhile: checked below.
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    try:
        info = os.lstat(path)
    except FileNotFoundError as exc:
        raise ExportFolderError(f"The export folder {path} does not exist.") from exc
    if stat.S_ISLNK(info.st_mode):
        # Follow an operator's symlink (a mounted volume), but check what it points to.
        info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ExportFolderError(f"The export folder {path} is not a folder.")
    if info.st_uid != os.geteuid():
        raise ExportFolderError(
            f"The export folder {path} belongs to user id {info.st_uid}, not to the user "
            f"the app runs as ({os.geteuid()}). Give it to that user (chown) or choose "
            "another folder with ALLIANCE_EXPORTS_DIR."
        )
    if info.st_mode & 0o077:
        raise ExportFolderError(
            f"The export folder {path} can be used by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}). Make it private: chmod 700."
        )


class ChunksFile(File):
    """A file made from an iterable of byte chunks, for Storage.save (streamed once)."""

    def __init__(self, chunks: Iterable[bytes], name: str = "") -> None:
        super().__init__(None, name)
        self._source = chunks
        self.written = 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        for chunk in self._source:
            self.written += len(chunk)
            yield chunk

    def open(self, mode: str | None = None) -> ChunksFile:
        return self

    def close(self) -> None:
        pass

    @property
    def closed(self) -> bool:
        return False

    @property
    def size(self) -> int:
        return self.written


@deconstructible
class PrivateFolderStorage(FileSystemStorage):
    """A FileSystemStorage for files only this user may read, written without races."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def check_folder(self, *, create: bool = True) -> None:
        check_private_folder(self.location, create=create)

    def exists(self, name: str) -> bool:
        # lexists: a dangling symlink is "there" too, so it is never chosen as a name.
        return os.path.lexists(self.path(name))

    def _save(self, name: str, content: File) -> str:
        self.check_folder()
        full_path = self.path(name)
        if os.path.dirname(full_path) != os.path.abspath(self.location):
            raise SuspiciousFileOperation(f"Export files live directly in the folder: {name}")
        while True:
            try:
                fd = os.open(full_path, OPEN_FLAGS, 0o600)
            except FileExistsError:
                name = self.get_available_name(name)
                full_path = self.path(name)
                continue
            break
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    # Text content is written as UTF-8, as Django's own storage does.
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
        except BaseException:
            # Never leave half a file of client data behind.
            os.unlink(full_path)
            raise
        return name
