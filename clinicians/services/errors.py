"""Refusals a service raises; each carries a message in plain words for the page."""

from __future__ import annotations

from django.utils.functional import Promise


class ServiceError(Exception):
    """A write that was refused and changed nothing. `message` is shown to the user."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


class CaseloadNotEmpty(ServiceError):
    """A therapist who still has clients cannot be deactivated."""

    def __init__(self, message: str | Promise, *, count: int) -> None:
        super().__init__(message)
        self.count = count


class AssignmentConflict(ServiceError):
    """Someone else changed the client's therapist at the same moment."""


class TransferStale(ServiceError):
    """The caseload changed between the preview and the confirmation."""
