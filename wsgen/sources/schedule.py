"""EventBridge schedule expressions: `rate(...)` and `cron(...)`, checked and clocked.

The syntax is EventBridge's (UTC, six cron fields, day-of-week 1-7 = SUN-SAT, `?` in one of
the two day fields): docs/aws-facts.md#event-sources
`wsgen template` refuses what EventBridge would, and `wsgen local` runs schedules on this clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): n for n, name in enumerate(calendar.month_abbr) if name}
_DAYS = {name: n for n, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))
SEARCH_YEARS = 200
"""How far ahead `next_time` looks for a cron's next match before giving up."""


class ScheduleError(ValueError):
    """An expression EventBridge would refuse; the message says what is wrong."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_time(self, after: datetime) -> datetime:
        return after + timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]

    def next_time(self, after: datetime) -> datetime | None:
        """The first matching minute strictly after `after` (UTC); None if none is left."""
        start = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * SEARCH_YEARS):
            if day.year > max(self.years):
                return None
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                first = (start.hour, start.minute) if day == start.date() else (0, 0)
                times = [(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]
                for hour, minute in times:
                    if (hour, minute) >= first:
                        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.day_of_week == "?":
            return _dom_matches(self.day_of_month, day, last)
        return _dow_matches(self.day_of_week, day, last)


Schedule = Rate | Cron


def parse(expression: object) -> Schedule:
    """The schedule `expression` describes.

    Raises:
        ScheduleError: it is not an expression EventBridge accepts.
    """
    if not isinstance(expression, str):
        raise ScheduleError("must be a string such as 'rate(5 minutes)' or 'cron(0 12 * * ? *)'")
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"'{expression}': the rate must be a positive whole number")
        singular = unit.rstrip("s")
        if (value == 1) != (unit == singular):
            wanted = f"{value} {singular if value == 1 else singular + 's'}"
            raise ScheduleError(f"'{expression}': EventBridge wants 'rate({wanted})'")
        return Rate(value * _UNIT_SECONDS[singular])
    cron = _CRON.match(expression)
    if cron:
        return _parse_cron(expression, cron.group(1).split())
    if expression.startswith("at("):
        raise ScheduleError(
            f"'{expression}': one-time at(...) schedules are EventBridge Scheduler's; "
            "use rate(...) or cron(...)"
        )
    raise ScheduleError(
        f"'{expression}' is neither rate(VALUE UNIT) nor cron(MIN HOUR DOM MONTH DOW YEAR)"
    )


def _parse_cron(expression: str, fields: list[str]) -> Cron:
    if len(fields) != 6:
        raise ScheduleError(
            f"'{expression}' has {len(fields)} fields; a cron has six: minutes hours "
            "day-of-month month day-of-week year"
        )
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"'{expression}': exactly one of day-of-month and day-of-week must be '?', "
            "such as cron(0 12 * * ? *)"
        )
    try:
        parsed = Cron(
            _set(minute, 0),
            _set(hour, 1),
            dom,
            _set(month, 3, _MONTHS),
            dow,
            _set(year, 5),
        )
        if dom != "?":
            _check_dom(dom)
        if dow != "?":
            _check_dow(dow)
    except ScheduleError as exc:
        raise ScheduleError(f"'{expression}': {exc}") from None
    return parsed


def _set(field: str, index: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values of a field made of `,` lists of `*`, `N`, `N-M` and `/step`."""
    low, high = _RANGES[index]
    values: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = _number(step_text, index) if step_text else 1
        if step < 1:
            raise ScheduleError(f"the {_FIELDS[index]} step must be positive")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = _value(a, index, names), _value(b, index, names)
        else:
            first = _value(span, index, names)
            last = high if step_text else first
        if first > last:
            raise ScheduleError(f"the {_FIELDS[index]} range {span} runs backwards")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, index: int, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    value = _number(text, index)
    low, high = _RANGES[index]
    if not low <= value <= high:
        raise ScheduleError(f"{_FIELDS[index]} value {value} is outside {low}-{high}")
    return value


def _number(text: str, index: int) -> int:
    if not text.isdigit():
        raise ScheduleError(f"'{text}' is not a valid {_FIELDS[index]} value")
    return int(text)


def _check_dom(field: str) -> None:
    if field in ("L", "LW"):
        return
    if re.fullmatch(r"\d{1,2}W", field):
        _value(field[:-1], 2, None)
        return
    _set(field, 2)


def _check_dow(field: str) -> None:
    if field == "L":
        return
    hashed = re.fullmatch(r"(\w+)#([1-5])", field)
    if hashed:
        _value(hashed.group(1), 4, _DAYS)
        return
    if field.endswith("L") and len(field) > 1:
        _value(field[:-1], 4, _DAYS)
        return
    _set(field, 4, _DAYS)


def _dom_matches(field: str, day: date, last: int) -> bool:
    if field == "L":
        return day.day == last
    if field.endswith("W"):
        target = last if field == "LW" else min(int(field[:-1]), last)
        return day.day == _nearest_weekday(day.year, day.month, target, last)
    return day.day in _set(field, 2)


def _nearest_weekday(year: int, month: int, target: int, last: int) -> int:
    """EventBridge's `W`: the weekday nearest to day `target`, within the month."""
    weekday = calendar.weekday(year, month, target)  # Monday is 0
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return target - 1 if target > 1 else target + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the last day
        return target + 1 if target < last else target - 2
    return target


def _dow_matches(field: str, day: date, last: int) -> bool:
    number = day.isoweekday() % 7 + 1  # EventBridge: 1 is Sunday
    if field == "L":
        return number == 7
    hashed = re.fullmatch(r"(\w+)#([1-5])", field)
    if hashed:
        wanted = _value(hashed.group(1), 4, _DAYS)
        return number == wanted and (day.day - 1) // 7 + 1 == int(hashed.group(2))
    if field.endswith("L"):
        return number == _value(field[:-1], 4, _DAYS) and day.day + 7 > last
    return number in _set(field, 4, _DAYS)
