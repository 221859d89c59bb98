"""Deadlines as iCalendar files: all-day events with stable UIDs and a fixed DTSTAMP, and for each deadline still
to meet a reminder a week and a day before (VALARM). One writer for a route's deadlines.ics and cohort.ics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from generator.rules.engine import RouteAssessment

REMINDERS = ((7, "In a week"), (1, "Tomorrow"))


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable across runs: the same deadline keeps its event in the user's calendar
    day: date
    summary: str
    description: str
    categories: tuple[str, ...]
    remind: bool  # a deadline still to meet gets its reminders


def calendar_bytes(name: str, prodid: str, events: list[CalendarEvent], reference_date: date) -> bytes:
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime(reference_date.year, reference_date.month, reference_date.day, tzinfo=UTC)
    for e in events:
        ev = Event()
        ev.add("uid", f"{e.uid}@internpack")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.day)
        ev.add("dtend", e.day + timedelta(days=1))
        ev.add("summary", e.summary)
        ev.add("description", e.description)
        ev.add("categories", list(e.categories))
        ev.add("transp", "TRANSPARENT")
        if e.remind:
            for days, when in REMINDERS:
                alarm = Alarm()
                alarm.add("uid", f"{e.uid}-{days}d@internpack")
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{when}: {e.summary}")
                alarm.add("trigger", timedelta(days=-days))
                ev.add_component(alarm)
        cal.add_component(ev)
    data: bytes = cal.to_ical()
    return data


def deadlines_ics(route: RouteAssessment, *, slug: str, student: str, reference_date: date) -> bytes:
    events = [
        CalendarEvent(
            uid=f"{slug}-{route.route}-{d.id}",
            day=d.date,
            summary=f"{d.title} ({student})",
            description=f"{d.title_zh}\n{d.basis}\nStatus on {reference_date.isoformat()}: {d.status}",
            categories=(f"internpack-{route.route}", d.status),
            remind=d.status == "upcoming",
        )
        for d in route.deadlines
    ]
    return calendar_bytes(
        f"{student} — {route.route.upper()} deadlines",
        "-//internpack//internship deadlines//EN",
        events,
        reference_date,
    )
