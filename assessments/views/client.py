"""The client's pages: open a link, fill in the questionnaire, and the kiosk.

No sign-in. A link's token is exchanged at once for a short-lived session holding only
its hash, and the browser moves to an address without the token.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from assessments.questionnaires.forms import KioskCodeForm, QuestionnaireForm
from assessments.questionnaires.links import AdministrationClosed
from assessments.questionnaires.submissions import response_submit
from assessments.questionnaires.tokens import hash_token, normalise_short_code
from assessments.scoring.definitions import render_item_text
from assessments.scoring.registry import get_registry
from assessments.scoring.sheet import ScoringError
from clinicians.languages import activate_for_request, client_language
from clinicians.models import Clinic, Patient, PatientStatus

from ..models import AccessLink, Administration, AdministrationStatus, Channel, KioskDevice
from ..questionnaires import throttle

SESSION_KEY = "questionnaire"
KIOSK_SESSION_KEY = "kiosk_questionnaire"
LINK_SESSION_SECONDS = 2 * 60 * 60
KIOSK_IDLE_SECONDS = 120
# "Are you still there?" this long before the kiosk forgets the visit (WCAG 2.2.1).
KIOSK_WARNING_SECONDS = 30
KIOSK_COOKIE = "alliance_kiosk"
# The language of the kiosk's thank-you page: the only thing kept after the visit.
KIOSK_LANGUAGE_KEY = "kiosk_language"
# The built-in forms' items are in English; a clinic's licensed translation adds others.
ITEMS_BUILT_IN_LANGUAGE = "en"
# Wrong kiosk codes allowed per 10 minutes. Per tablet: exactly 5, counted atomically
# (each try is reserved before the code is checked). Per clinic, a backstop against
# guessing from many tablets at once: reached only when ten tablets are each at their
# own limit, and even then a tablet with no wrong code in the window still works, so
# one tablet (or a few) can never lock out the clinic's others. See SECURITY.md.
KIOSK_WINDOW_SECONDS = 600
KIOSK_WRONG_PER_DEVICE = 5
KIOSK_WRONG_PER_CLINIC = 50


def _private(response: HttpResponse, *, token_in_url: bool = False) -> HttpResponse:
    """Headers for every client page: never indexed, never cached.

    The address with the token gets `no-referrer`, so the token cannot leak to any other
    site. Pages after the redirect carry no token; they keep `same-origin`, because
    with `no-referrer` browsers send `Origin: null` on the form's POST and the CSRF
    check (rightly) refuses it.
    """
    response["Referrer-Policy"] = "no-referrer" if token_in_url else "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _speak_to(request: HttpRequest, patient: Patient) -> str:
    """Switch the page to the client's language (English when we have no such UI)."""
    language = client_language(patient.preferred_language)
    activate_for_request(request, language)
    return language


def _unavailable(
    request: HttpRequest, *, token_in_url: bool = False, patient: Patient | None = None
) -> HttpResponse:
    # One page for unknown, expired, withdrawn and used links: nothing to tell apart.
    # A link opened from its address gets the browser's language (answering in the
    # client's would tell a real link from an unknown one); a browser that already
    # holds the questionnaire in its session gets the client's.
    if patient is not None:
        _speak_to(request, patient)
    page = render(request, "assessments/client/unavailable.html", status=404)
    return _private(page, token_in_url=token_in_url)


def _link(token_hash: str) -> AccessLink | None:
    """The link with everything the client's pages show, in one query."""
    # A slice, not .first(): the hash is unique, and the ORDER BY that .first() adds
    # costs more to build than the query takes to run (this runs on every page).
    found = (
        AccessLink.objects.filter(token_hash=token_hash)
        .select_related("administration__patient__clinic", "administration__therapist")
        .order_by()[:1]
    )
    return next(iter(found), None)


def _is_live(link: AccessLink) -> bool:
    """Not withdrawn, and its questionnaire still open and unexpired."""
    administration = link.administration
    return (
        link.revoked_at is None
        and administration.status == AdministrationStatus.OPEN
        and not administration.is_expired
    )


@require_GET
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET never uses the link up: mail scanners and previews open links too."""
    if len(token) > 100:
        return _unavailable(request, token_in_url=True)
    token_hash = hash_token(token)
    link = _link(token_hash)
    if link is None or not _is_live(link):
        return _unavailable(request, token_in_url=True)
    if request.user.is_authenticated:
        # A client's questionnaire never runs inside a staff session: a therapist who
        # hands over their own device (or tries a link) is signed out first, and told.
        logout(request)
        messages.info(
            request,
            _(
                "You were signed out of your staff account, because this is a client's "
                "questionnaire link. Sign in again when the client has finished."
            ),
        )
    request.session[SESSION_KEY] = {"link": token_hash}
    request.session.set_expiry(LINK_SESSION_SECONDS)
    return _private(redirect("assessments:questionnaire"), token_in_url=True)


def _form_page(
    request: HttpRequest,
    administration: Administration,
    *,
    form: QuestionnaireForm | None,
    action: str,
    kiosk: bool,
) -> HttpResponse:
    instrument = get_registry().get(administration.form_code)
    language = administration.patient.preferred_language
    page_language = _speak_to(request, administration.patient)
    if form is None:
        form = QuestionnaireForm(
            instrument=instrument,
            therapist_name=administration.therapist.display_name,
            language=language,
        )
    translation = instrument.translation(language)
    items_language = translation.language if translation else ITEMS_BUILT_IN_LANGUAGE
    context = {
        "clinic_name": administration.patient.clinic.name,
        "therapist_name": administration.therapist.display_name,
        "form": form,
        "instrument": instrument,
        "title": (translation.title if translation and translation.title else instrument.title),
        # The items' language, marked on them when it differs from the page's; the
        # page says so when the clinic has no translation in the client's language,
        # rather than mixing languages silently.
        "items_language": items_language,
        "items_in_english": translation is None and page_language != ITEMS_BUILT_IN_LANGUAGE,
        "instructions": render_item_text(
            translation.instructions,
            administration.therapist.display_name,
            fallback=translation.therapist_fallback or "my therapist",
        )
        if translation and translation.instructions
        else None,
        "action": action,
        "kiosk": kiosk,
        "idle_seconds": KIOSK_IDLE_SECONDS,
        "warn_seconds": KIOSK_WARNING_SECONDS,
    }
    status = 400 if form.is_bound and form.errors else 200
    return _private(
        render(request, "assessments/client/questionnaire.html", context, status=status)
    )


def _submit(
    request: HttpRequest, administration: Administration, *, channel: str, kiosk: bool
) -> HttpResponse | None:
    """Validate and store; return a page to show, or None when it was stored."""
    instrument = get_registry().get(administration.form_code)
    form = QuestionnaireForm(
        request.POST,
        instrument=instrument,
        therapist_name=administration.therapist.display_name,
        language=administration.patient.preferred_language,
    )
    action = request.path
    if not form.is_valid():
        return _form_page(request, administration, form=form, action=action, kiosk=kiosk)
    try:
        result = response_submit(
            administration_id=administration.pk,
            answers=form.answers(),
            channel=channel,
            request=request,
        )
    except ScoringError as exc:
        form.add_error(None, str(exc))
        return _form_page(request, administration, form=form, action=action, kiosk=kiosk)
    except AdministrationClosed:
        return _unavailable(request, patient=administration.patient)
    if not result.created:
        return _already_received(request, administration)
    return None


def _already_received(request: HttpRequest, administration: Administration) -> HttpResponse:
    _speak_to(request, administration.patient)
    context = {"clinic_name": administration.patient.clinic.name}
    return _private(render(request, "assessments/client/already_received.html", context))


def _session_link(request: HttpRequest) -> AccessLink | None:
    """The link this browser opened (one read per request), whatever its state now."""
    if request.user.is_authenticated:
        # Signed in as staff after opening the link in the same browser: not here.
        return None
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or "link" not in state:
        return None
    return _link(state["link"])


@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    if link is None:
        return _unavailable(request)
    administration = link.administration
    if administration.status == AdministrationStatus.COMPLETED:
        # Back button, second tab, double click: say it arrived; show no answers.
        return _already_received(request, administration)
    if not _is_live(link):
        return _unavailable(request, patient=administration.patient)
    if request.method == "POST":
        page = _submit(request, administration, channel=Channel.LINK, kiosk=False)
        if page is not None:
            return page
        return _private(redirect("assessments:questionnaire_done"))
    return _form_page(request, administration, form=None, action=request.path, kiosk=False)


@require_GET
def questionnaire_done(request: HttpRequest) -> HttpResponse:
    link = _session_link(request)
    administration = link.administration if link else None
    if administration is None or administration.status != AdministrationStatus.COMPLETED:
        return _unavailable(request)
    _speak_to(request, administration.patient)
    context = {"clinic_name": administration.patient.clinic.name, "kiosk": False}
    return _private(render(request, "assessments/client/thanks.html", context))


# --- kiosk ---------------------------------------------------------------------------
def _kiosk_device(request: HttpRequest) -> KioskDevice | None:
    raw = request.COOKIES.get(KIOSK_COOKIE)
    if not raw or len(raw) > 100:
        return None
    # Unique hash: a slice without the model's ordering (see _link).
    found = (
        KioskDevice.objects.filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .select_related("clinic")
        .order_by()[:1]
    )
    return next(iter(found), None)


def _not_enrolled(request: HttpRequest) -> HttpResponse:
    return _private(render(request, "assessments/kiosk/not_enrolled.html", status=403))


def _kiosk_session_start(request: HttpRequest, administration: Administration) -> None:
    # A fresh session per client: nothing of the previous person's visit carries over.
    request.session.flush()
    request.session[KIOSK_SESSION_KEY] = administration.pk
    request.session.set_expiry(KIOSK_IDLE_SECONDS)


def _kiosk_limited(device_key: str, clinic_key: str, window: int) -> bool:
    """Reserve one try for this tablet; True when it may not check a code now."""
    # The clinic backstop: only tablets that have already typed a wrong code wait.
    if (
        throttle.hits(clinic_key, window_seconds=window) >= KIOSK_WRONG_PER_CLINIC
        and throttle.hits(device_key, window_seconds=window) > 0
    ):
        return True
    # The atomic increment *is* the check: of 40 parallel tries exactly 5 see 1..5.
    return throttle.hit(device_key, window_seconds=window) > KIOSK_WRONG_PER_DEVICE


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest) -> HttpResponse:
    device = _kiosk_device(request)
    if device is None:
        return _not_enrolled(request)
    clinic: Clinic = device.clinic
    KioskDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    form = KioskCodeForm(request.POST or None)
    limited = False
    if request.method == "POST" and form.is_valid():
        device_key = f"kiosk-device:{device.pk}"
        clinic_key = f"kiosk-clinic:{clinic.pk}"
        window = KIOSK_WINDOW_SECONDS
        limited = _kiosk_limited(device_key, clinic_key, window)
        if not limited:
            code = normalise_short_code(form.cleaned_data["code"])
            administration = (
                Administration.objects.open_now()
                .filter(
                    clinic=clinic,
                    short_code=code,
                    short_code_expires_at__gt=timezone.now(),
                    patient__status=PatientStatus.ACTIVE,
                )
                .first()
                if code
                else None
            )
            if administration is not None:
                throttle.refund(device_key, window_seconds=window)  # a right code is free
                _kiosk_session_start(request, administration)
                return _private(redirect("assessments:kiosk_questionnaire"))
            throttle.hit(clinic_key, window_seconds=window)
            form.add_error(
                "code",
                _(
                    "That code does not work. Check it with your therapist, or ask at the "
                    "front desk."
                ),
            )
    context = {"clinic_name": clinic.name, "form": form, "limited": limited}
    status = 429 if limited else (400 if form.is_bound and form.errors else 200)
    return _private(render(request, "assessments/kiosk/code.html", context, status=status))


def _kiosk_forget(request: HttpRequest, administration: Administration) -> None:
    """End the visit; only the language stays, so that the thanks are in it too."""
    language = client_language(administration.patient.preferred_language)
    request.session.flush()
    request.session[KIOSK_LANGUAGE_KEY] = language
    request.session.set_expiry(KIOSK_IDLE_SECONDS)


@require_http_methods(["GET", "POST"])
def kiosk_questionnaire(request: HttpRequest) -> HttpResponse:
    device = _kiosk_device(request)
    if device is None:
        return _not_enrolled(request)
    pk = request.session.get(KIOSK_SESSION_KEY)
    found = (
        Administration.objects.filter(pk=pk, clinic_id=device.clinic_id)
        .select_related("patient__clinic", "therapist")
        .order_by()[:1]
        if isinstance(pk, int)
        else ()
    )
    administration = next(iter(found), None)
    if administration is None:
        return _private(redirect("assessments:kiosk"))
    if administration.status == AdministrationStatus.COMPLETED:
        _kiosk_forget(request, administration)
        return _private(redirect("assessments:kiosk_done"))
    if administration.state != AdministrationStatus.OPEN:
        request.session.flush()
        return _private(redirect("assessments:kiosk"))
    request.session.set_expiry(KIOSK_IDLE_SECONDS)  # idle time counts from each page
    if request.method == "POST":
        page = _submit(request, administration, channel=Channel.KIOSK, kiosk=True)
        if page is not None:
            return page
        _kiosk_forget(request, administration)  # the tablet keeps nothing of this client
        return _private(redirect("assessments:kiosk_done"))
    return _form_page(request, administration, form=None, action=request.path, kiosk=True)


@require_GET
def kiosk_done(request: HttpRequest) -> HttpResponse:
    device = _kiosk_device(request)
    if device is None:
        return _not_enrolled(request)
    language = request.session.get(KIOSK_LANGUAGE_KEY)
    if isinstance(language, str) and language == client_language(language):
        activate_for_request(request, language)
    context = {"clinic_name": device.clinic.name, "kiosk": True}
    return _private(render(request, "assessments/client/thanks.html", context))


@require_http_methods(["GET", "POST"])
def kiosk_reset(request: HttpRequest) -> HttpResponse:
    """Where the idle timer sends the tablet (a POST): forget the visit, back to the code
    page. Only a kiosk visit is forgotten: a staff session (or a client's link) in the
    same browser is left alone, and a GET (a link, a prefetch) changes nothing."""
    if (
        request.method == "POST"
        and not request.user.is_authenticated
        and KIOSK_SESSION_KEY in request.session
    ):
        request.session.flush()
    return _private(redirect("assessments:kiosk"))
