"""Alliance settings: one file, every value read from the environment.

Defaults are safe for development (SQLite, DEBUG on) so that a fresh clone runs with
`make run`. With DJANGO_DEBUG=false the process refuses to start unless a secret key
and the allowed hosts are given, and the HTTPS-only protections switch on.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


# --- small typed helpers -------------------------------------------------------------
def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}.") from exc


def env_trusted_proxies(name: str) -> int | list[str]:
    """A number of proxies ("1") or their networks ("10.0.0.0/8, 192.0.2.7"); 0 if unset."""
    raw = env_str(name)
    if not raw:
        return 0
    if raw.isascii() and raw.isdigit():
        return int(raw)
    networks = [part.strip() for part in raw.split(",") if part.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must be a number of proxies or a list of networks, not {raw!r}."
            ) from exc
    return networks


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [part.strip() for part in raw.split(",") if part.strip()]


# --- core ----------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if DEBUG:
    # A fixed development key: never used once DEBUG is off (see below).
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters long.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is false.")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# No page takes more than a few kilobytes of form fields (files are counted apart), so
# anything near this is refused with the plain 400 page before a view sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinicians",
    "assessments",
    "integrations",
    # The site's own app: signals, checks and management commands (backup, restore,
    # restore_drill).
    "alliance_site.apps.AllianceSiteConfig",
]

MIDDLEWARE = [
    # First: every later line of the log and every response carries the request id, and
    # every request (redirects and refusals included) is counted.
    "alliance_site.logs.RequestIdMiddleware",
    "alliance_site.metrics.MetricsMiddleware",
    "alliance_site.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and views: a NUL in a URL is refused with 400 (see the class).
    "alliance_site.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: a signed-in staff user's own language wins over the browser's.
    "alliance_site.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "alliance_site.middleware.SessionLimitsMiddleware",
    "alliance_site.middleware.ClinicTimeZoneMiddleware",
    # After the session limits: an expired session is ended, not sent to the code page.
    "alliance_site.middleware.SecondFactorMiddleware",
    # After the second factor: a session showing a client their review stays there.
    "alliance_site.middleware.ReviewModeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "alliance_site.middleware.PrivacyHeadersMiddleware",
    # Last, so that it sees a request refused by everything above it.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alliance_site.urls"
WSGI_APPLICATION = "alliance_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance_site.context_processors.second_factor",
                "alliance_site.context_processors.interface_languages",
                "alliance_site.context_processors.session_timing",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------
# DATABASE_URL (postgres://user@host:port/name) selects PostgreSQL; SQLite otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A database that does not answer must fail a request in seconds, not hold a worker until
# gunicorn kills it: a connect timeout (libpq's minimum is 2 s) and, on PostgreSQL, a
# statement timeout that the server enforces on every query of this process.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT_MS > 0:
        _db_options["options"] = (
            f"{_db_options.get('options', '')} -c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
        ).strip()

# --- Redis: the shared cache and the task queue's broker -----------------------------
# REDIS_URL (redis://host:6379/0) gives every app server one cache (import progress) and
# Celery its broker. Rate limits and lockouts do not depend on it: they are counted in
# the database. Without it (`make run`, tests) the cache is per process and background
# tasks run in the process that asks for them (Celery's eager mode).
REDIS_URL = env_str("REDIS_URL")
# Seconds to wait for Redis before giving up: a cache that does not answer must slow a
# page down by at most this much, never hang it (see clinicians.services.imports).
REDIS_TIMEOUT_SECONDS = env_float("REDIS_TIMEOUT_SECONDS", 0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs must not hang the page (or /healthz): give up quickly and
            # let the caller degrade.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered parts of the busiest pages kept in the cache under a data version that every
# write changes (alliance_site/freshness.py). Only with a cache every app server shares:
# with one per process, a write on one worker would leave another's entries current.
ALLIANCE_PAGE_CACHE = env_bool("ALLIANCE_PAGE_CACHE", bool(REDIS_URL))

# --- background tasks (Celery; see alliance_site/celery.py) --------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
# No broker: run each task at once, in the process that queues it, so a fresh machine
# needs no Redis. Periodic work then comes from cron (the management commands).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged when it ends, so one whose worker is killed is delivered again
# (every task is idempotent); one task at a time per worker process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task goes back to the queue after this long (its worker died).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
}
CELERY_TASK_DEFAULT_QUEUE = "alliance"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How often beat queues the periodic work (seconds; the nightly refresh is at 02:30 in
# TIME_ZONE). Every task is safe to run twice at once, so a second beat is harmless
# but wasteful: run exactly one.
ALLIANCE_REMINDERS_EVERY_SECONDS = env_int("ALLIANCE_REMINDERS_EVERY_SECONDS", 900)
# How often scheduled questionnaires are looked for: at most this late after their time.
ALLIANCE_SCHEDULES_EVERY_SECONDS = env_int("ALLIANCE_SCHEDULES_EVERY_SECONDS", 300)
ALLIANCE_EXPORTS_EVERY_SECONDS = env_int("ALLIANCE_EXPORTS_EVERY_SECONDS", 300)
ALLIANCE_CLEAN_UP_EVERY_SECONDS = env_int("ALLIANCE_CLEAN_UP_EVERY_SECONDS", 3600)
ALLIANCE_REFRESH_HOUR = env_int("ALLIANCE_REFRESH_HOUR", 2)

# --- authentication ------------------------------------------------------------------
AUTH_USER_MODEL = "clinicians.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_URL_PATH = "/accounts/login/"  # for redirects built outside URL resolving
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset or invitation link lasts one day

# Lockout: after 5 failures for one email from one address, wait 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Lockout counts the client's real address (see ALLIANCE_TRUSTED_PROXIES), not the
# balancer's, so one attacker cannot lock every colleague behind the same balancer.
AXES_CLIENT_IP_CALLABLE = "clinicians.addresses.axes_client_address"

# Second factor (TOTP from an authenticator app, or a one-time recovery code). Required
# for every staff account; ALLIANCE_REQUIRE_2FA=false is for the local demo only, and
# `check --deploy` fails when it is off with DEBUG off.
ALLIANCE_REQUIRE_2FA = env_bool("ALLIANCE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "Alliance"
# Wrong codes wait 1, 2, 4, 8 … seconds before the next try, counted on the device in
# the database, so every app server sees the same count.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
ALLIANCE_RECOVERY_CODES = 10

# Sessions live in the database so any app server can serve any request; with a shared
# cache they are read from it first (written to both), which saves a query per request.
# Never with a per-process cache: a sign-out on one worker would leave the session alive
# in another's copy.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
# Staff pages warn this long before either limit, with "Stay signed in" for the idle one
# (WCAG 2.2.1 asks for at least 20 seconds).
SESSION_IDLE_WARNING_SECONDS = 120
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- HTTPS and headers ---------------------------------------------------------------
SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
# Load balancers probe, and Prometheus scrapes each instance, over the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script, no third-party origin. Bootstrap's CSS draws some icons from data:
# URIs, and QR codes are inline SVG, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- email ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Alliance <no-reply@localhost>")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (checks, demos).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ----------------------------------------------------------------------------
# The interface languages: a client's pages and emails use their preferred language
# when it is one of these (else English); a staff user picks one in the navigation.
# Adding one is described in docs/translations.md.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as "3 Dec 2026" rather than Django's American "12/03/2026"; the other
# languages use Django's own formats for their locale.
FORMAT_MODULE_PATH = ["alliance_site.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
CELERY_TIMEZONE = TIME_ZONE  # the nightly refresh's 02:30 is in this zone
USE_I18N = True
USE_TZ = True

# --- static files (served by the app itself; nothing from a CDN) ---------------------
STATIC_URL = "/static/"
_bootstrap_spec = find_spec("bootstrap")
_bootstrap_dir = (
    Path(next(iter(_bootstrap_spec.submodule_search_locations)))
    if _bootstrap_spec and _bootstrap_spec.submodule_search_locations
    else None
)
STATICFILES_DIRS: list = [BASE_DIR / "static"]
if _bootstrap_dir is not None:
    STATICFILES_DIRS.append(("bootstrap", _bootstrap_dir))
# Production (debug off): files collected at build time (`collectstatic`) under hashed,
# gzip- and brotli-compressed names, served by WhiteNoise with a year-long cache. A
# development clone (`make run`, `make test`) serves straight from the source folders
# and needs no collectstatic.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
# Finished background exports: a folder every app server and worker shares (NFS, a
# mounted volume), created 0700 and refused unless this user owns it. S3-compatible
# storage works through django-storages (docs/storage.md).
ALLIANCE_EXPORTS_DIR = (
    env_str("ALLIANCE_EXPORTS_DIR")
    or env_str("ALLIANCE_EXPORT_DIR")  # the earlier name, still honoured
    or str(BASE_DIR / "var" / "exports")
)
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or (
    None if WHITENOISE_USE_FINDERS else BASE_DIR / "staticfiles"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if WHITENOISE_USE_FINDERS
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Finished background exports: a folder every app server and worker shares (NFS, a
    # mounted volume), created 0700 and refused unless this user owns it. S3-compatible
    # storage works through django-storages (docs/storage.md).
    "exports": {
        "BACKEND": "integrations.storage.PrivateFolderStorage",
        "OPTIONS": {"location": ALLIANCE_EXPORTS_DIR},
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Alliance ------------------------------------------------------------------------
# A folder of extra instrument definition files (licensed translations, other forms).
ALLIANCE_INSTRUMENTS_DIR = env_str("ALLIANCE_INSTRUMENTS_DIR")
# Where links in emails point (scheme and host, no trailing slash).
ALLIANCE_BASE_URL = env_str("ALLIANCE_BASE_URL", "http://127.0.0.1:8000")
# Client and therapist totals this far apart (POMP) on one session raise a flag.
ALLIANCE_GAP_POMP = env_int("ALLIANCE_GAP_POMP", 20)
ALLIANCE_INVITATION_DAYS = env_int("ALLIANCE_INVITATION_DAYS", 7)
ALLIANCE_IMPORT_MAX_BYTES = env_int("ALLIANCE_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# The proxies in front of the app whose X-Forwarded-For may be believed: a number of
# proxies, or their networks. Default none: the header is ignored (see README).
ALLIANCE_TRUSTED_PROXIES = env_trusted_proxies("ALLIANCE_TRUSTED_PROXIES")
ALLIANCE_IMPORT_MAX_ROWS = env_int("ALLIANCE_IMPORT_MAX_ROWS", 50_000)
# Retention (`manage.py retention`): import batches lose their names and emails after
# this many days; the audit log is kept this many years, and never fewer than 6 (the
# longest period health-record rules commonly ask of a clinic's access trail).
ALLIANCE_IMPORT_RETENTION_DAYS = env_int("ALLIANCE_IMPORT_RETENTION_DAYS", 30)
if ALLIANCE_IMPORT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("ALLIANCE_IMPORT_RETENTION_DAYS must be at least 1.")
ALLIANCE_AUDIT_RETENTION_YEARS = env_int("ALLIANCE_AUDIT_RETENTION_YEARS", 6)
if ALLIANCE_AUDIT_RETENTION_YEARS < 6:
    raise ImproperlyConfigured(
        "ALLIANCE_AUDIT_RETENTION_YEARS must be at least 6: the audit log is kept 6 years "
        "or longer."
    )
# Columns and cells bound the work of checking a file (bytes alone do not: a 150 KB
# workbook can hold a million cells). Within these, a file is checked in about 2 s.
ALLIANCE_IMPORT_MAX_COLUMNS = env_int("ALLIANCE_IMPORT_MAX_COLUMNS", 30)
ALLIANCE_IMPORT_MAX_CELLS = env_int("ALLIANCE_IMPORT_MAX_CELLS", 300_000)

# --- observability -------------------------------------------------------------------
# Logs: one JSON object per line with the request id (LOG_FORMAT=json, the default when
# debug is off), or a readable line with the id for a developer's terminal.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "alliance_site.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "alliance_site.logs.JsonFormatter"},
        "text": {"()": "alliance_site.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint warns about every CSS property it does not draw (hundreds per report);
    # errors (a refused or missing file) still reach the log.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# Metrics at /metrics for whoever holds this token (Authorization: Bearer ...); without
# it the endpoint answers 404. PROMETHEUS_MULTIPROC_DIR (read by prometheus-client) adds
# up the counts of several gunicorn workers.
ALLIANCE_METRICS_TOKEN = env_str("ALLIANCE_METRICS_TOKEN")

# Error reports to Sentry (or a compatible service) only when a DSN is given; events are
# scrubbed of people, answers, tokens and cookies first (alliance_site/sentry.py).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from alliance_site import sentry as _sentry

    _sentry.init(
        SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )
