"""Rendered page parts kept in the shared cache, never served stale.

A cached part is stored with the *data version* read before its data, and every write
to client data changes that version, so an entry made before a write is never served
after it. The version is not bumped by the 80-odd write sites one by one (one missed
site would show flags that contradict the scores beside them): an execute wrapper on
every database connection sees each INSERT, UPDATE and DELETE, raw SQL and bulk updates
included, and bumps the version for any table outside a short list of bookkeeping
tables (sessions, the audit log, throttles; see QUIET_TABLES). A new table therefore
invalidates the cache by default.

Inside a transaction the version is bumped at the first write after this thread last
read it (so that the same transaction's later reads miss the cache) and once more
after the commit: another server
may have read the old version and the not yet committed rows in between and stored
them under it; the second bump retires that entry.

The version is one for the whole installation: a write in one clinic invalidates every
clinic's cached parts. Keys per clinic would need each write to name its clinic; the
wrapper sees only SQL. Misses are cheap because the pages render fast without the
cache too (docs/benchmarks.md).

Caching is on only where the cache is shared by every app server (`REDIS_URL` set), or
where settings turn it on (`ALLIANCE_PAGE_CACHE`, the test suite): with a per-process
cache, a write served by one worker would not retire another worker's entries. If the
cache fails, pages are rendered as if nothing were cached.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils.safestring import SafeString, mark_safe

log = logging.getLogger(__name__)

VERSION_KEY = "alliance:data-version"
# Longest life of a cached part: also the bound on staleness should the cache itself
# lose a bump (it was unreachable at the moment of the write).
MAX_SECONDS = 300

# Writes to these tables never change what a cached part shows: session and sign-in
# bookkeeping, the audit log (written by every page view), rate limits, background
# task runs and the progress of exports and imports.
QUIET_TABLES = frozenset(
    {
        "django_session",
        "clinicians_auditevent",
        "clinicians_backgroundrun",
        "assessments_throttle",
        "integrations_exportjob",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
        "otp_static_statictoken",
        "django_celery_results_taskresult",
    }
)

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def enabled() -> bool:
    return bool(getattr(settings, "ALLIANCE_PAGE_CACHE", False))


def writes_client_data(sql: str) -> bool:
    """Whether a statement writes a table whose rows a cached part may show."""
    match = _WRITE.match(sql)
    return bool(match) and match.group(1).lower() not in QUIET_TABLES


def bump() -> None:
    """Give the data a new version: every part cached so far becomes unreachable."""
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), None)
    except Exception:  # a cache that fails must not fail the write
        log.warning("page cache: could not bump the data version", exc_info=True)


def _after_commit_pending(connection: BaseDatabaseWrapper) -> bool:
    # Django keeps the callbacks of the open transaction in run_on_commit; one bump per
    # transaction is enough however many rows it writes.
    return any(entry[1] is bump for entry in getattr(connection, "run_on_commit", ()))


# Per thread (Django's connections are per thread): whether this thread changed the
# version since it last read it. Inside a transaction a second bump before the next read
# would retire nothing more (no entry can have been stored by this thread under the
# version it set), so a submission's five or six writes cost one Redis SET, not six.
_local = threading.local()


def _wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict):
    result = execute(sql, params, many, context)
    if enabled() and writes_client_data(sql):
        connection = context["connection"]
        if not connection.in_atomic_block:
            bump()  # autocommit: the row is visible to every server already
            return result
        # Now, so that this transaction's later reads miss what was cached before its
        # writes (once until the next read) ...
        if not getattr(_local, "changed_since_read", False):
            bump()
            _local.changed_since_read = True
        # ... and once more after the commit (see the module's docstring).
        if not _after_commit_pending(connection):
            transaction.on_commit(bump, using=connection.alias)
    return result


def _install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if _wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_wrapper)


def connect_signals() -> None:
    connection_created.connect(_install, dispatch_uid="alliance-freshness")
    # Connections opened before this ran (management commands open one early).
    for connection in connections.all(initialized_only=True):
        _install(None, connection)


def version() -> str | None:
    """The current data version (made if the cache has none), or None if the cache
    cannot be reached."""
    _local.changed_since_read = False
    try:
        current = cache.get(VERSION_KEY)
        if current is None:
            current = secrets.token_hex(8)
            # add, not set: two servers starting at once agree on one version.
            if not cache.add(VERSION_KEY, current, None):
                current = cache.get(VERSION_KEY) or current
        return current
    except Exception:
        log.warning("page cache: could not read the data version", exc_info=True)
        return None


def cached_part(
    name: str,
    parts: tuple[Any, ...],
    build: Callable[[], tuple[str, datetime | None]],
    *,
    now: datetime,
) -> SafeString:
    """The part `name` for these key parts: from the cache, or built and stored.

    `build` returns the rendered text and the moment it stops being right by itself
    (a link expiring, a day ending) or None; the entry lives until then, at most
    MAX_SECONDS. The key parts must hold everything the text depends on besides the
    data: user, language, query, the clinic's date. `build` returns HTML that is
    escaped already (a rendered template).
    """
    if not enabled():
        return mark_safe(build()[0])  # noqa: S308 - rendered by a template, escaped
    # Hashed: a query string can be long and hold anything.
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"alliance:part:{name}:{digest}"
    # The entry holds the version it was built under; the version and the entry come
    # in one round trip (read before the data, never after), and an entry of another
    # version is a miss. A builder that read an older version may overwrite a newer
    # entry: that costs a rebuild, never a stale page.
    _local.changed_since_read = False  # a read: the next write must bump again
    try:
        got = cache.get_many([VERSION_KEY, key])
    except Exception:
        log.warning("page cache: read failed", exc_info=True)
        got = {}
    current = got.get(VERSION_KEY) or version()
    if current is None:
        return mark_safe(build()[0])  # noqa: S308
    hit = got.get(key)
    if isinstance(hit, tuple) and len(hit) == 2 and hit[0] == current:
        return mark_safe(hit[1])  # noqa: S308 - stored by this function below
    text, until = build()
    seconds = MAX_SECONDS if until is None else min(MAX_SECONDS, (until - now).total_seconds())
    if seconds >= 1:
        try:
            cache.set(key, (current, text), int(seconds))
        except Exception:
            log.warning("page cache: write failed", exc_info=True)
    return mark_safe(text)  # noqa: S308
