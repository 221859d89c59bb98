"""A route's deadlines as an iCalendar file: all-day events with stable UIDs and a fixed DTSTAMP, and for each
deadline still to meet a reminder a week and a day before (VALARM)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from generator.rules.engine import RouteAssessment

REMINDERS = ((7, "In a week"), (1, "Tomorrow"))


def deadlines_ics(route: RouteAssessment, *, slug: str, student: str, reference_date: date) -> bytes:
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//internpack//internship deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{student} — {route.route.upper()} deadlines")
    stamp = datetime(reference_date.year, reference_date.month, reference_date.day, tzinfo=UTC)
    for d in route.deadlines:
        ev = Event()
        ev.add("uid", f"{slug}-{route.route}-{d.id}@internpack")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", d.date)
        ev.add("dtend", d.date + timedelta(days=1))
        ev.add("summary", f"{d.title} ({student})")
        ev.add("description", f"{d.title_zh}\n{d.basis}\nStatus on {reference_date.isoformat()}: {d.status}")
        ev.add("categories", [f"internpack-{route.route}", d.status])
        ev.add("transp", "TRANSPARENT")
        if d.status == "upcoming":
            for days, when in REMINDERS:
                alarm = Alarm()
                alarm.add("uid", f"{slug}-{route.route}-{d.id}-{days}d@internpack")
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{when}: {d.title} ({student})")
                alarm.add("trigger", timedelta(days=-days))
                ev.add_component(alarm)
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data
