"""Every write the console makes, as typed keyword-only functions `<entity>_<action>`.

Each runs in one transaction and writes the audit log; views only parse and call.
"""

from .caseloads import case_assign, caseload_transfer
from .clients import patient_create, patient_discharge, patient_reactivate, patient_update
from .erasure import patient_erase
from .errors import AssignmentConflict, CaseloadNotEmpty, ServiceError, TransferStale
from .imports import (
    import_discard,
    import_progress,
    patients_import,
    patients_import_check,
    patients_import_claim,
)
from .therapists import (
    AccountElsewhere,
    account_elsewhere,
    invitation_accept,
    invitation_by_token_hash,
    invitation_complete,
    invitation_is_live,
    therapist_deactivate,
    therapist_invite,
    therapist_reactivate,
)

__all__ = [
    "AccountElsewhere",
    "AssignmentConflict",
    "CaseloadNotEmpty",
    "ServiceError",
    "TransferStale",
    "account_elsewhere",
    "case_assign",
    "caseload_transfer",
    "import_discard",
    "import_progress",
    "invitation_accept",
    "invitation_by_token_hash",
    "invitation_complete",
    "invitation_is_live",
    "patient_create",
    "patient_discharge",
    "patient_erase",
    "patient_reactivate",
    "patient_update",
    "patients_import",
    "patients_import_check",
    "patients_import_claim",
    "therapist_deactivate",
    "therapist_invite",
    "therapist_reactivate",
]
