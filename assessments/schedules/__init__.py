"""Questionnaires that go out by themselves: a schedule per client, its occasions, and
the periodic run that creates and emails them (rules in docs/schedules.md)."""
