"""A test email backend: refuses some recipients (SMTP 550), or is unreachable."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend


class Backend(EmailBackend):
    """Like locmem, but an address containing "refused" gets SMTP 550 and one containing
    "down" a connection error, as a real server would answer."""

    def send_messages(self, messages: Any) -> int:
        for message in messages:
            message.message()  # builds the headers: BadHeaderError here, as in SMTP
            for address in message.recipients():
                if "refused" in address:
                    raise smtplib.SMTPRecipientsRefused(
                        {address: (550, b"5.1.1 mailbox unavailable")}
                    )
                if "down" in address:
                    raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


__all__ = ["Backend", "mail"]
