"""Dates that cannot all be true: input errors, reported like the model's own (file:line: field: what, how to fix).

The model checks each field and the pairs inside one section (end before start...). What needs the reference
date or crosses sections is checked here, after validation and before the rules: a birth date in the future,
an age at the start outside the plausible range (rules data: age_min_years, age_max_years), a passport issued
after its expiry or after the reference date, a letter dated after the internship starts. Implausible plans
(arrival after the start...) are findings of the rules, not errors.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from generator.errors import InputError, Problem
from generator.loader import Source, where
from generator.model import Placement
from generator.rules.data import Rules


def impossible_dates(p: Placement, source: Source, rules: Rules, today: date) -> list[Problem]:
    out: list[Problem] = []

    def add(path: str, message: str, hint: str) -> None:
        loc = tuple(path.split("."))
        out.append(Problem(message, hint=hint, **where(source, loc, path)))

    student, start = p.student, p.internship.start
    born = student.date_of_birth
    if born is not None:
        if born > today:
            add("student.date_of_birth", f"{born} is in the future (today is {today})", "check the year")
        else:
            age = relativedelta(start, born).years
            low, high = rules.thresholds["age_min_years"], rules.thresholds["age_max_years"]
            if not low <= age <= high:
                add(
                    "student.date_of_birth",
                    f"{born} makes the student {age} at the internship start ({start}); expected {low} to {high}",
                    "check the year of birth",
                )
    issued, expiry = student.passport_issue_date, student.passport_expiry
    if issued is not None:
        if expiry is not None and issued > expiry:
            add(
                "student.passport_issue_date",
                f"{issued} is after the passport's expiry {expiry}",
                "swap the two dates or correct one of them",
            )
        if issued > today:
            add("student.passport_issue_date", f"{issued} is in the future (today is {today})", "check the date")
    letter = p.letters.date
    if letter is not None and letter > start:
        add(
            "letters.date",
            f"{letter} is after the internship start {start}: the letters must be signed before it",
            "date the letters before the start, or remove letters.date to use the reference date",
        )
    return out


def check_dates(p: Placement, source: Source, rules: Rules, today: date) -> None:
    """Raise InputError (exit 2) listing every impossible date."""
    problems = impossible_dates(p, source, rules, today)
    if problems:
        raise InputError(problems)
