"""Fixed-window rate limits kept in the database, so every app process shares them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
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
    """Count one hit for `key` and return the window's new total, exactly.

    One statement increments and reads back (UPDATE ... RETURNING, PostgreSQL and
    SQLite 3.35+), so of any number of parallel callers each sees a different total:
    a limit of 5 lets exactly 5 through.
    """
    start = _window_start(window_seconds)
    table = connection.ops.quote_name(Throttle._meta.db_table)
    # The table name is our model's, quoted; the values are parameters.
    sql = (
        f"UPDATE {table} SET count = count + 1 "  # noqa: S608
        "WHERE key = %s AND window_start = %s RETURNING count"
    )
    # As the ORM stores it (SQLite keeps datetimes as text in its own format).
    field = Throttle._meta.get_field("window_start")
    stored_start = field.get_db_prep_value(start, connection)
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, stored_start])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():
                Throttle.objects.create(key=key, window_start=start, count=1)
            return 1
        except IntegrityError:
            continue  # another process created the row first: count on it
    return hits(key, window_seconds=window_seconds)


def refund(key: str, *, window_seconds: int) -> None:
    """Give back one hit (an attempt reserved before it turned out to be allowed)."""
    Throttle.objects.filter(
        key=key, window_start=_window_start(window_seconds), count__gt=0
    ).update(count=F("count") - 1)


def sweep(older_than: timedelta = timedelta(days=1)) -> int:
    """Delete windows long past (housekeeping; they hold no clinical data)."""
    deleted, _ = Throttle.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
