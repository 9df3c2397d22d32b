"""Due times: pure date arithmetic, in the clinic's wall clock, stored in UTC.

The k-th due time is the local date `anchor + k × step` at the chosen local time,
turned into UTC with that date's offset, so 09:00 stays 09:00 across a change to or
from summer time. A local time that does not exist on the day the clocks go forward
(02:30 in most of Europe) is read with the offset before the change, i.e. one hour
later by the new clock; one that exists twice is the first of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rule:
    every: int
    unit: str  # "days" or "weeks"
    weekday: int  # 0 = Monday; used with weeks
    local_time: time

    @property
    def step_days(self) -> int:
        return self.every * (7 if self.unit == "weeks" else 1)

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.step_days)


def anchor(rule: Rule, starts_on: date) -> date:
    """The first due date: the start date, or for weekly rules the chosen weekday on or
    after it."""
    if rule.unit != "weeks":
        return starts_on
    return starts_on + timedelta(days=(rule.weekday - starts_on.weekday()) % 7)


def at_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_due_after(rule: Rule, starts_on: date, after: datetime, zone: ZoneInfo) -> datetime:
    """The first due time strictly after `after` (an aware datetime), in UTC."""
    first = anchor(rule, starts_on)
    step = rule.step_days
    local_day = after.astimezone(zone).date()
    k = max(0, -(-(local_day - first).days // step))  # ceiling division
    # The due time on `local_day` may be earlier that day than `after`; one step more
    # then. Two steps cover the rare local time that does not exist.
    for extra in range(3):
        due = at_local(first + timedelta(days=(k + extra) * step), rule.local_time, zone)
        if due > after:
            return due
    raise AssertionError("unreachable: three steps always pass `after`")  # pragma: no cover
