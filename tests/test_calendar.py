"""deadlines.ics: every deadline, and a reminder a week and a day before each one still to meet."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import apply, assess_data, base_placement
from icalendar import Calendar

from generator.calendar import deadlines_ics


def test_reminders_a_week_and_a_day_before() -> None:
    a = assess_data(apply(base_placement(), {}), date(2026, 12, 1))
    route = a.routes["s2"]
    cal = Calendar.from_ical(deadlines_ics(route, slug="x", student="PEETERS Lotte", reference_date=date(2026, 12, 1)))
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    app = events["x-s2-s2_application@internpack"]
    triggers = sorted(al.decoded("trigger") for al in app.walk("VALARM"))
    assert triggers == [timedelta(days=-7), timedelta(days=-1)], triggers
    assert all(str(al["action"]) == "DISPLAY" for al in app.walk("VALARM"))
    assert len(events) == len(route.deadlines)


def test_no_reminder_for_a_deadline_met_or_past() -> None:
    a = assess_data(apply(base_placement(), {"stay.registered_on": "2027-02-25"}), date(2027, 3, 10))
    cal = Calendar.from_ical(deadlines_ics(a.routes["s2"], slug="x", student="P", reference_date=date(2027, 3, 10)))
    for ev in cal.walk("VEVENT"):
        if str(ev["uid"]).endswith(("accommodation_registration@internpack", "s2_application@internpack")):
            assert not ev.walk("VALARM"), ev["uid"]
