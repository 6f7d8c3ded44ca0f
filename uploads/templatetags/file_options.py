"""Template helpers of the files dashboard: how long a file has left (issue #20)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

# (seconds in the unit, singular, plural, shown while the time left is under this many seconds)
_UNITS = (
    (60, "minute", "minutes", 3600),
    (3600, "hour", "hours", 86400),
    (86400, "day", "days", None),
)


@register.filter
def time_left(value: datetime | None, now: datetime | None = None) -> str:
    """ "in 10 minutes", "in 3 hours", "in 30 days"; "expired" once past.

    Rounded to the nearest unit, not truncated as Django's timeuntil is: a file given 10
    minutes reads "in 10 minutes" a second later, not "in 9 minutes".
    """
    if value is None:
        return ""
    seconds = (value - (now or timezone.now())).total_seconds()
    if seconds <= 0:
        return "expired"
    if seconds < 60:
        return "in less than a minute"
    for size, one, many, below in _UNITS:
        count = round(seconds / size)
        if below is None or count * size < below:
            return f"in {count} {one if count == 1 else many}"
    raise AssertionError("unreachable: the last unit has no bound")
