"""Inviting, deactivating and reactivating therapists."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..models import CaseAssignment, Role, StaffInvitation, User
from ..tokens import hash_token, invitation_days, new_token
from .errors import CaseloadNotEmpty, ServiceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitation:
    invitation: StaffInvitation
    resent: bool

    @property
    def email(self) -> str:
        return self.invitation.email


class AccountElsewhere(ServiceError):
    """The invited address got an account (in any clinic) before this was accepted."""


def invitation_link(token: str) -> str:
    path = reverse("clinicians:invitation_accept", kwargs={"token": token})
    return f"{settings.ALLIANCE_BASE_URL.rstrip('/')}{path}"


def invitation_is_live(invitation: StaffInvitation) -> bool:
    return invitation.is_live


def _send_invitation(invitation: StaffInvitation, token: str, actor: User) -> None:
    context = {
        "link": invitation_link(token),
        "clinic": invitation.clinic.name,
        "inviter": actor.get_full_name(),
        "name": invitation.display_name,
        "days": invitation_days(),
    }
    subject = " ".join(render_to_string("emails/therapist_invitation_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/therapist_invitation.txt", context),
        to=[invitation.email],
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


def _is_legacy_invitee(user: User, clinic_id: int | None) -> bool:
    """An account made by an invitation before invitations were kept per clinic."""
    return (
        user.clinic_id == clinic_id
        and user.role == Role.THERAPIST
        and user.is_active
        and not user.has_usable_password()
    )


@transaction.atomic
def therapist_invite(
    *, actor: User, email: str, display_name: str, request: HttpRequest | None = None
) -> Invitation:
    """Record an invitation to the admin's clinic and email its link.

    Only the admin's own clinic is looked at: whether the address has an account in
    another clinic (or an invitation from one) changes nothing here, so the answer
    cannot tell. Inviting an address again sends a fresh link and retires the old one.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    display_name = display_name.strip()
    colleague = User.objects.filter(email__iexact=email, clinic_id=actor.clinic_id).first()
    if colleague is not None and not _is_legacy_invitee(colleague, actor.clinic_id):
        if colleague.role != Role.THERAPIST:
            raise ServiceError(
                _("%(email)s already has a clinic admin account in your clinic.")
                % {"email": colleague.email}
            )
        if not colleague.is_active:
            raise ServiceError(
                _("%(name)s is deactivated. Reactivate them first, then invite them again.")
                % {"name": colleague.get_full_name()}
            )
        raise ServiceError(
            _(
                "%(email)s already has an account in your clinic. They can sign in, or "
                "use “Forgot your password?” on the sign-in page."
            )
            % {"email": colleague.email}
        )
    token = new_token()
    invitation = (
        StaffInvitation.objects.select_for_update()
        .filter(clinic_id=actor.clinic_id, email__iexact=email, accepted_at__isnull=True)
        .first()
    )
    resent = invitation is not None
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = StaffInvitation.objects.create(
                    clinic=actor.clinic,
                    email=email,
                    display_name=display_name,
                    invited_by=actor,
                    token_hash=hash_token(token),
                )
        except IntegrityError as exc:  # the same address invited here at the same moment
            raise ServiceError(
                _("%(email)s was invited a moment ago. Check the list of therapists.")
                % {"email": email}
            ) from exc
    else:
        invitation.token_hash = hash_token(token)  # earlier links stop working
        invitation.sent_at = timezone.now()
        invitation.invited_by = actor
        if display_name:
            invitation.display_name = display_name
        invitation.save(update_fields=["token_hash", "sent_at", "invited_by", "display_name"])
    _send_invitation(invitation, token, actor)
    audit.record(
        action="invitation_resent" if resent else "therapist_invited",
        actor=actor,
        obj=invitation,
        request=request,
    )
    return Invitation(invitation=invitation, resent=resent)


def invitation_by_token_hash(token_hash: str) -> StaffInvitation | None:
    """The open, unexpired invitation with this link, or None."""
    invitation = (
        StaffInvitation.objects.filter(token_hash=token_hash, accepted_at__isnull=True)
        .select_related("clinic")
        .first()
    )
    return invitation if invitation is not None and invitation_is_live(invitation) else None


def account_elsewhere(invitation: StaffInvitation) -> bool:
    """True when the invited address already has an account this invitation cannot use."""
    user = User.objects.filter(email__iexact=invitation.email).first()
    return user is not None and not _is_legacy_invitee(user, invitation.clinic_id)


@transaction.atomic
def invitation_complete(
    *, invitation: StaffInvitation, password: str, request: HttpRequest | None = None
) -> User:
    """The invited person chose a password: make their account in the inviting clinic."""
    locked = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation_is_live(locked):
        raise ServiceError(_("This invitation link no longer works."))
    existing = User.objects.select_for_update().filter(email__iexact=locked.email).first()
    if existing is not None and not _is_legacy_invitee(existing, locked.clinic_id):
        raise AccountElsewhere(_("This email address already has an Alliance account."))
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=locked.email,
                    password=password,
                    clinic=locked.clinic,
                    role=Role.THERAPIST,
                    display_name=locked.display_name,
                )
        except (IntegrityError, ValidationError) as exc:  # made elsewhere a moment ago
            raise AccountElsewhere(
                _("This email address already has an Alliance account.")
            ) from exc
    else:
        user = existing
        user.set_password(password)
        if locked.display_name:
            user.display_name = locked.display_name
        user.save(update_fields=["password", "display_name"])
    locked.accepted_at = timezone.now()
    locked.user = user
    locked.save(update_fields=["accepted_at", "user"])
    invitation_accept(user=user, request=request)
    return user


def invitation_accept(*, user: User, request: HttpRequest | None = None) -> None:
    """Recorded once the invited therapist has chosen a password."""
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
