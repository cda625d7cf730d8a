"""EventBridge schedule expressions as Chalice spells them, for `@app.schedule(...)`.

Apart from `runtime.functions`, so that only apps that use them load them (cold-start time);
`@app.schedule` takes either, or the expression as a string.
"""

from __future__ import annotations


class Rate:
    """A `rate(...)` schedule, as Chalice spells it: `Rate(5, unit=Rate.MINUTES)`."""

    MINUTES = "MINUTES"
    HOURS = "HOURS"
    DAYS = "DAYS"

    def __init__(self, value: int, unit: str) -> None:
        self.value = value
        self.unit = unit

    def to_string(self) -> str:
        unit = self.unit.lower()
        # EventBridge wants the singular for 1 (`rate(1 minute)`), the plural otherwise.
        return f"rate({self.value} {unit[:-1] if self.value == 1 else unit})"


class Cron:
    """A `cron(...)` schedule of EventBridge's six fields: `Cron(0, 10, "*", "*", "?", "*")`."""

    def __init__(
        self,
        minutes: str | int,
        hours: str | int,
        day_of_month: str | int,
        month: str | int,
        day_of_week: str | int,
        year: str | int,
    ) -> None:
        self.fields = (minutes, hours, day_of_month, month, day_of_week, year)

    def to_string(self) -> str:
        return f"cron({' '.join(map(str, self.fields))})"
