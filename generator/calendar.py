"""A route's deadlines as an iCalendar file: all-day events with stable UIDs and a fixed DTSTAMP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from generator.rules.engine import RouteAssessment


def deadlines_ics(route: RouteAssessment, *, slug: str, student: str, reference_date: date) -> bytes:
    from icalendar import Calendar, Event

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
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data
