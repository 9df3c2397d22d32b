"""Sign-ins, sign-outs and refused sign-ins go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from . import audit
from .models import User


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    # The session limits middleware measures the 12-hour ceiling from here.
    request.session["session_started"] = timezone.now().timestamp()
    request.session["session_last_seen"] = timezone.now().timestamp()
    audit.record(action="login", actor=user, request=request)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit.record(action="logout", actor=user, request=request)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The address tried is kept as a label only (it may not belong to anyone).
    tried = str(credentials.get("username", ""))[:254]
    audit.record(action="login_failed", request=request, actor_label=tried)
