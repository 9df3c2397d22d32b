"""Fixed-window rate limits kept in the database, so every app process shares them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..models import Throttle


def _window_start(seconds: int) -> datetime:
    epoch = int(timezone.now().timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def hits(key: str, *, window_seconds: int) -> int:
    """How many times `key` was hit in the current window."""
    row = Throttle.objects.filter(key=key, window_start=_window_start(window_seconds)).first()
    return row.count if row else 0


def hit(key: str, *, window_seconds: int) -> int:
    """Count one hit for `key` and return the window's new total (atomic across processes)."""
    start = _window_start(window_seconds)
    for _ in range(2):
        updated = Throttle.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if updated:
            return Throttle.objects.get(key=key, window_start=start).count
        try:
            with transaction.atomic():
                Throttle.objects.create(key=key, window_start=start, count=1)
            return 1
        except IntegrityError:
            continue  # another process created the row first: count on it
    return hits(key, window_seconds=window_seconds)


def sweep(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete windows long past (housekeeping; they hold no clinical data)."""
    deleted, _ = Throttle.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
