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
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from . import audit
from .models import ImportBatch, Patient, Role, User

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


def staff_user(request: HttpRequest) -> User:
    """The signed-in staff member of a view behind one of the decorators above (typed:
    request.user is AnonymousUser | User to the type checker)."""
    return request.user  # type: ignore[return-value]


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """The one queryset every list of clients starts from.

    A clinic admin sees every client of their clinic; a therapist sees the clients
    currently assigned to them (history with a former client is not access).
    """
    if not user.is_authenticated or user.clinic_id is None or not user.is_active:
        return Patient.objects.none()
    qs = Patient.objects.filter(clinic_id=user.clinic_id)
    if user.role == Role.ADMIN:
        return qs
    if user.role == Role.THERAPIST:
        # One current assignment per client (a database constraint), so no duplicates.
        return qs.filter(assignments__therapist=user, assignments__ended_at__isnull=True)
    return Patient.objects.none()


# Ids are positive 64-bit integers: a longer string of digits is no object of ours.
MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """An object id from a URL or a form, or None. ASCII digits only: `str.isdigit()`
    accepts "²" (which `int()` refuses) and `int()` accepts "١٢" and "1_0"; an edited
    URL must get a plain 404, not a 500 or another object."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= MAX_ID else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def get_client_for(user: User, pk: int | str) -> Patient:
    """The client `pk` if `user` may see it; 404 otherwise (never reveal it exists)."""
    try:
        return patients_visible_to(user).get(pk=parse_id(pk))
    except (Patient.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such client.") from exc


def therapists_of(user: User) -> QuerySet[User]:
    """The therapists of `user`'s clinic (active and deactivated)."""
    if user.clinic_id is None:
        return User.objects.none()
    return User.objects.filter(clinic_id=user.clinic_id, role=Role.THERAPIST)


def get_therapist_for(user: User, pk: int | str) -> User:
    """A therapist of the admin's own clinic; 404 for anyone else's."""
    try:
        return therapists_of(user).get(pk=parse_id(pk))
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such therapist.") from exc


def get_import_for(user: User, pk: int | str) -> ImportBatch:
    """An import batch of the admin's own clinic; 404 for anyone else's."""
    if user.clinic_id is None:
        raise Http404("No such import.")
    try:
        return ImportBatch.objects.get(clinic_id=user.clinic_id, pk=parse_id(pk))
    except (ImportBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such import.") from exc
