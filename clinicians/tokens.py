"""Links in therapist invitations: Django's reset tokens, with their own salt and life.

A separate salt means an invitation link cannot be used as a password-reset link or
the other way round. The token hashes the password field, so setting a password (or
sending a fresh invitation, which replaces the unusable password) retires older links.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


def invitation_days() -> int:
    return int(getattr(settings, "ALLIANCE_INVITATION_DAYS", 7))


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "clinicians.tokens.InvitationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        # The parent measures age against PASSWORD_RESET_TIMEOUT (one day); an
        # invitation lives for ALLIANCE_INVITATION_DAYS instead.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= invitation_days() * 24 * 3600


invitation_token = InvitationTokenGenerator()
