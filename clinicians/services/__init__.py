"""Every write the console makes, as typed keyword-only functions `<entity>_<action>`.

Each runs in one transaction and writes the audit log; views only parse and call.
"""

from .caseloads import case_assign, caseload_transfer
from .clients import patient_create, patient_discharge, patient_reactivate, patient_update
from .erasure import patient_erase
from .errors import AssignmentConflict, CaseloadNotEmpty, ServiceError, TransferStale
from .imports import import_discard, import_progress, patients_import, patients_import_check
from .therapists import (
    invitation_accept,
    therapist_deactivate,
    therapist_invite,
    therapist_reactivate,
)

__all__ = [
    "AssignmentConflict",
    "CaseloadNotEmpty",
    "ServiceError",
    "TransferStale",
    "case_assign",
    "caseload_transfer",
    "import_discard",
    "import_progress",
    "invitation_accept",
    "patient_create",
    "patient_discharge",
    "patient_erase",
    "patient_reactivate",
    "patient_update",
    "patients_import",
    "patients_import_check",
    "therapist_deactivate",
    "therapist_invite",
    "therapist_reactivate",
]
