"""The reference date: --today, else SOURCE_DATE_EPOCH (UTC), else today's local date."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from generator.errors import InputError


def reference_date(today: str | None = None) -> date:
    if today:
        try:
            return date.fromisoformat(today)
        except ValueError:
            raise InputError(f"--today {today!r} is not a date", hint="write it as YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC).date()
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix timestamp", hint="unset it or give whole seconds"
            ) from None
    return datetime.now().astimezone().date()
