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
    "clinicians",
    "assessments",
    "integrations",
]

MIDDLEWARE = [
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "alliance_site.middleware.SessionLimitsMiddleware",
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

# --- cache (shared state when scaled out) ---------------------------------------------
# REDIS_URL makes rate limits and lockouts shared across app servers; without it each
# process keeps its own (fine for one process, which is what `make run` starts).
if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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

# Sessions live in the database so any app server can serve any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_HOURS", 12) * 3600
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
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
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
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the finders so that a fresh clone needs no collectstatic; an
# operator who prefers collected files sets DJANGO_STATIC_ROOT and WHITENOISE_USE_FINDERS.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT") or (
    None if WHITENOISE_USE_FINDERS else BASE_DIR / "staticfiles"
)

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
# Columns and cells bound the work of checking a file (bytes alone do not: a 150 KB
# workbook can hold a million cells). Within these, a file is checked in about 2 s.
ALLIANCE_IMPORT_MAX_COLUMNS = env_int("ALLIANCE_IMPORT_MAX_COLUMNS", 30)
ALLIANCE_IMPORT_MAX_CELLS = env_int("ALLIANCE_IMPORT_MAX_CELLS", 300_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
