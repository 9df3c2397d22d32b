"""A test email backend that can be switched "down" (mail server unreachable)."""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.locmem import EmailBackend


class Backend(EmailBackend):
    down = False

    def send_messages(self, messages: Any) -> int:
        if Backend.down:
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)
