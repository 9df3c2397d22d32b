"""Secrets for questionnaire links, kiosk codes and kiosk devices."""

from __future__ import annotations

import hashlib
import secrets

# 6 characters from 22 letters and digits that no one mixes up when reading aloud or
# typing on a tablet: no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B.
SHORT_CODE_ALPHABET = "ACEFGHJKMNPRTUVWXY3467"
SHORT_CODE_LENGTH = 6
TOKEN_BYTES = 32  # 256 bits


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def normalise_short_code(typed: str) -> str:
    """What a person typed, in the form codes are stored: no spaces or dashes, upper case."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())
