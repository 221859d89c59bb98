"""The reference date: --today, else SOURCE_DATE_EPOCH (UTC), else today's local date."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from generator.errors import InputError, shown

YEARS = (1900, 2100)  # as the placement's dates (model.YEARS): beyond them date arithmetic overflows


def _in_range(day: date, what: str) -> date:
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise InputError(
            f"{what} is outside the years {YEARS[0]} to {YEARS[1]}", hint="give a reference date in that range"
        )
    return day


def reference_date(today: str | None = None) -> date:
    if today:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise InputError(f"--today {shown(today)} is not a date", hint="write it as YYYY-MM-DD") from None
        return _in_range(day, f"--today {today}")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            day = datetime.fromtimestamp(int(epoch), tz=UTC).date()
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH={shown(epoch)} is not a Unix timestamp", hint="unset it or give whole seconds"
            ) from None
        return _in_range(day, f"SOURCE_DATE_EPOCH={epoch}")
    return datetime.now().astimezone().date()
