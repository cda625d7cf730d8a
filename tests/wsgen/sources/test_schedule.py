"""EventBridge schedule expressions: what is refused, and when a schedule fires next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wsgen.sources.schedule import Cron, Rate, ScheduleError, parse

NOW = datetime(2026, 12, 1, 10, 7, 30, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 days)", 172800),
    ],
)
def test_rates(expression: str, seconds: int) -> None:
    schedule = parse(expression)
    assert schedule == Rate(seconds)
    assert schedule.next_time(NOW) == NOW + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("rate(1 minutes)", "EventBridge wants 'rate(1 minute)'"),
        ("rate(5 minute)", "EventBridge wants 'rate(5 minutes)'"),
        ("rate(0 minutes)", "positive whole number"),
        ("rate(5 seconds)", "neither rate(VALUE UNIT) nor cron"),
        ("every 5 minutes", "neither rate(VALUE UNIT) nor cron"),
        ("at(2026-12-01T10:00:00)", "EventBridge Scheduler's"),
        ("cron(0 12 * * *)", "has 5 fields; a cron has six"),
        ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(60 12 * * ? *)", "minutes value 60 is outside 0-59"),
        ("cron(0 24 * * ? *)", "hours value 24 is outside 0-23"),
        ("cron(0 12 32 * ? *)", "day-of-month value 32 is outside 1-31"),
        ("cron(0 12 ? FOO MON *)", "'FOO' is not a valid month value"),
        ("cron(0 12 ? * 8 *)", "day-of-week value 8 is outside 1-7"),
        ("cron(0 12 * * ? 1969)", "year value 1969 is outside 1970-2199"),
        ("cron(0 5-2 * * ? *)", "hours range 5-2 runs backwards"),
        ("cron(0/0 12 * * ? *)", "minutes step must be positive"),
    ],
)
def test_what_eventbridge_refuses_is_refused_with_the_reason(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(expression)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(ScheduleError, match="must be a string"):
        parse(5)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 12 * * ? *)", datetime(2026, 12, 1, 12, 0)),  # noon today
        ("cron(0 10 * * ? *)", datetime(2026, 12, 2, 10, 0)),  # 10:00 passed: tomorrow
        ("cron(0/15 * * * ? *)", datetime(2026, 12, 1, 10, 15)),
        ("cron(8 10 * * ? *)", datetime(2026, 12, 1, 10, 8)),  # the next minute
        ("cron(7 10 * * ? *)", datetime(2026, 12, 2, 10, 7)),  # this minute has begun
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 12, 2, 9, 0)),
        ("cron(0 9 ? * 2 *)", datetime(2026, 12, 7, 9, 0)),  # 2 is Monday
        ("cron(0 9 ? * SAT,SUN *)", datetime(2026, 12, 5, 9, 0)),
        ("cron(0 0 1 JAN ? *)", datetime(2027, 1, 1, 0, 0)),
        ("cron(0 0 L * ? *)", datetime(2026, 12, 31, 0, 0)),
        ("cron(0 0 ? * 6L *)", datetime(2026, 12, 25, 0, 0)),  # the last Friday
        ("cron(0 0 ? * 3#2 *)", datetime(2026, 12, 8, 0, 0)),  # the second Tuesday
        ("cron(0 0 5W * ? *)", datetime(2026, 12, 4, 0, 0)),  # the 5th is a Saturday
        ("cron(30 10 29 2 ? *)", datetime(2028, 2, 29, 10, 30)),  # the next leap day
        ("cron(0 0 1 1 ? 2026)", None),  # in the past: never again
    ],
)
def test_cron_next_time(expression: str, expected: datetime | None) -> None:
    schedule = parse(expression)
    assert isinstance(schedule, Cron)
    assert schedule.next_time(NOW) == (expected and expected.replace(tzinfo=UTC))
