"""Inviting, deactivating and reactivating therapists."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .. import audit
from ..models import CaseAssignment, Role, User
from ..tokens import invitation_days, invitation_token
from .errors import CaseloadNotEmpty, ServiceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitation:
    user: User
    resent: bool


def _refuse_generic() -> ServiceError:
    # The address belongs to someone outside this clinic (or to an operator). Saying
    # so would tell one clinic who works at another; the message stays generic.
    return ServiceError(
        _(
            "Alliance could not invite this address. Check it, or use another email "
            "address for this person."
        )
    )


def invitation_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token.make_token(user)
    path = reverse("clinicians:invitation_accept", kwargs={"uidb64": uid, "token": token})
    return f"{settings.ALLIANCE_BASE_URL.rstrip('/')}{path}"


def _send_invitation(user: User, actor: User) -> None:
    context = {
        "link": invitation_link(user),
        "clinic": user.clinic.name if user.clinic else "",
        "inviter": actor.get_full_name(),
        "name": user.display_name,
        "days": invitation_days(),
    }
    subject = " ".join(render_to_string("emails/therapist_invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/therapist_invitation.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("emails/therapist_invitation.html", context), "text/html"
    )
    try:
        message.send()
    except Exception as exc:  # any mail server trouble
        logger.exception("Sending an invitation failed")
        raise ServiceError(
            _("The invitation email could not be sent, so nothing was saved. Try again later.")
        ) from exc


@transaction.atomic
def therapist_invite(
    *, actor: User, email: str, display_name: str, request: HttpRequest | None = None
) -> Invitation:
    """Create a therapist without a password in the admin's clinic and email a link.

    Inviting an address again (before it has chosen a password) sends a fresh link and
    retires the earlier ones.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    display_name = display_name.strip()
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email,
                    password=None,
                    clinic=actor.clinic,
                    role=Role.THERAPIST,
                    display_name=display_name,
                )
        except IntegrityError as exc:  # the same address invited elsewhere just now
            raise _refuse_generic() from exc
        resent = False
    else:
        if existing.is_superuser or existing.clinic_id != actor.clinic_id:
            raise _refuse_generic()
        if existing.role != Role.THERAPIST:
            raise ServiceError(
                _("%(email)s already has a clinic admin account in your clinic.")
                % {"email": existing.email}
            )
        if not existing.is_active:
            raise ServiceError(
                _("%(name)s is deactivated. Reactivate them first, then invite them again.")
                % {"name": existing.get_full_name()}
            )
        if existing.has_usable_password():
            raise ServiceError(
                _(
                    "%(email)s already has an account in your clinic. They can sign in, or "
                    "use “Forgot your password?” on the sign-in page."
                )
                % {"email": existing.email}
            )
        user = existing
        # A new unusable password changes the token's hash: earlier links stop working.
        user.set_unusable_password()
        if display_name:
            user.display_name = display_name
        user.save(update_fields=["password", "display_name"])
        resent = True
    _send_invitation(user, actor)
    audit.record(
        action="invitation_resent" if resent else "therapist_invited",
        actor=actor,
        obj=user,
        request=request,
    )
    return Invitation(user=user, resent=resent)


def invitation_accept(*, user: User, request: HttpRequest | None = None) -> None:
    """Called once the invited therapist has chosen a password."""
    audit.record(action="invitation_accepted", actor=user, obj=user, request=request)


def _lock_therapist(actor: User, therapist: User) -> User:
    locked = User.objects.select_for_update().get(pk=therapist.pk)
    if locked.clinic_id != actor.clinic_id or locked.role != Role.THERAPIST:
        raise ServiceError(_("This person is not a therapist of your clinic."))
    return locked


@transaction.atomic
def therapist_deactivate(
    *, actor: User, therapist: User, request: HttpRequest | None = None
) -> User:
    """Stop a therapist from signing in. Refused while they still have clients."""
    locked = _lock_therapist(actor, therapist)
    if not locked.is_active:
        raise ServiceError(_("%(name)s is already deactivated.") % {"name": locked})
    count = CaseAssignment.objects.filter(therapist=locked, ended_at__isnull=True).count()
    if count:
        raise CaseloadNotEmpty(
            _(
                "%(name)s still has %(count)s active clients. Transfer them to other "
                "therapists first, then deactivate."
            )
            % {"name": locked, "count": count},
            count=count,
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    audit.record(action="therapist_deactivated", actor=actor, obj=locked, request=request)
    return locked


@transaction.atomic
def therapist_reactivate(
    *, actor: User, therapist: User, request: HttpRequest | None = None
) -> User:
    locked = _lock_therapist(actor, therapist)
    if locked.is_active:
        raise ServiceError(_("%(name)s is already active.") % {"name": locked})
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit.record(action="therapist_reactivated", actor=actor, obj=locked, request=request)
    return locked
