"""Events other parts of the site listen to (metrics), without this app knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# A questionnaire's answers were stored for the first time; kwargs: channel.
response_stored = Signal()
# One reminder email went out, or failed to (the reminder is unclaimed for the next run).
reminder_sent = Signal()
reminder_failed = Signal()
