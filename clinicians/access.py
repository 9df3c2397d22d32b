"""Who may see what. Every view goes through these helpers, never ad hoc checks.

Rule of thumb: an object outside the user's clinic (or caseload) answers 404, so its
existence is not revealed; a page the user's role may not use answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from . import audit
from .models import Role, User

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in, active, in a clinic, and one of `roles`; otherwise 403 (audited)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: User = request.user  # type: ignore[assignment]
            if user.clinic_id is None or user.role not in roles:
                audit.record(
                    action="access_refused",
                    actor=user,
                    request=request,
                    detail={"path": request.path[:300]},
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = role_required(Role.ADMIN)
therapist_required = role_required(Role.THERAPIST)
staff_required = role_required(Role.ADMIN, Role.THERAPIST)
