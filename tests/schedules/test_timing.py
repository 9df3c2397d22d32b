"""Due times keep the clinic's wall-clock time, across summer time too."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.schedules.timing import Rule, anchor, next_due_after

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Kolkata"]


def test_nine_oclock_stays_nine_oclock_across_the_change_to_summer_time() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rule = Rule(1, "weeks", 0, time(9, 0))
    after = datetime(2026, 3, 16, 9, 0, tzinfo=berlin)  # a Monday, 09:00 exactly
    first = next_due_after(rule, date(2026, 3, 1), after, berlin)
    second = next_due_after(rule, date(2026, 3, 1), first, berlin)
    assert first.astimezone(berlin) == datetime(2026, 3, 23, 9, 0, tzinfo=berlin)
    assert second.astimezone(berlin) == datetime(2026, 3, 30, 9, 0, tzinfo=berlin)
    # Six days and 23 hours apart in UTC: the clocks went forward on 29 March.
    assert second - first == timedelta(days=7) - timedelta(hours=1)


def test_weekly_rules_start_on_the_chosen_weekday() -> None:
    assert anchor(Rule(2, "weeks", 3, time(8, 0)), date(2026, 5, 4)) == date(2026, 5, 7)
    assert anchor(Rule(2, "days", 3, time(8, 0)), date(2026, 5, 4)) == date(2026, 5, 4)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    every=st.integers(1, 52),
    unit=st.sampled_from(["days", "weeks"]),
    weekday=st.integers(0, 6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    start=st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    offset_minutes=st.integers(-60 * 24 * 30, 60 * 24 * 800),
)
def test_the_next_due_time_is_later_on_the_rule_and_no_due_time_is_skipped(
    zone: str,
    every: int,
    unit: str,
    weekday: int,
    at: time,
    start: date,
    offset_minutes: int,
) -> None:
    tz = ZoneInfo(zone)
    rule = Rule(every, unit, weekday, at)
    after = datetime.combine(start, time(12, 0), tzinfo=UTC) + timedelta(minutes=offset_minutes)
    due = next_due_after(rule, start, after, tz)
    assert due > after
    local = due.astimezone(tz)
    first = anchor(rule, start)
    steps, rest = divmod((local.date() - first).days, rule.step_days)
    # On the rule's dates; at its local time unless that time does not exist that day.
    assert rest == 0 or local.time() != at
    if local.replace(tzinfo=None).time() == at:
        assert rest == 0 and steps >= 0
    if unit == "weeks" and rest == 0:
        assert local.date().weekday() == weekday
    # No due time between `after` and the one returned: the previous one is not later.
    if steps >= 1 and rest == 0:
        previous = datetime.combine(local.date() - timedelta(days=rule.step_days), at, tzinfo=tz)
        assert previous.astimezone(UTC) <= after
