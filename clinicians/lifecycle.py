"""Signals for the moments in a client's life that other apps must act on.

`clinicians` never imports `assessments` or `integrations`; they connect receivers to
these signals instead (in their `AppConfig.ready`). Every signal is sent inside the
transaction of the change, so a receiver that fails undoes the change as well.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `patient_discharge` with patient, actor, request: whatever asks the client for
# work (open questionnaires, their links, kiosk codes) is withdrawn.
client_discharged = Signal()

# Sent by `patient_erase` with patient, actor, request: every app removes what it holds
# of the client's identity (free-text notes, export files naming the client).
client_erased = Signal()

# Sent by `patient_create` and the spreadsheet import with patients (a list) and actor:
# other apps give new clients what the clinic gives every new client (a schedule).
clients_created = Signal()
