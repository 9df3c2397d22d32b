"""Secrets in therapist invitation links.

A link carries a random token of 256 bits; only its SHA-256 is stored on the
invitation. Sending an invitation again replaces the token, so older links stop
working; accepting the invitation closes it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings


def invitation_days() -> int:
    return int(getattr(settings, "ALLIANCE_INVITATION_DAYS", 7))


def new_token() -> str:
    """A link secret of 256 bits; only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
