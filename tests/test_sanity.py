"""Dates that contradict each other are input errors (exit 2, file:line: field), implausible plans are findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import apply, assess_data, base_placement, write_yaml

BORN = "student.date_of_birth"


@pytest.mark.parametrize(
    ("mods", "field", "words"),
    [
        pytest.param(
            {"student.date_of_birth": "2027-01-01"}, "student.date_of_birth", "in the future", id="born-future"
        ),
        pytest.param(
            {"student.date_of_birth": "2015-01-01"}, "student.date_of_birth", "makes the student 12", id="age-12"
        ),
        pytest.param(
            {"student.date_of_birth": "1950-01-01"}, "student.date_of_birth", "makes the student 77", id="age-77"
        ),
        pytest.param(
            {"student.passport_issue_date": "2032-01-01"},
            "student.passport_issue_date",
            "after the passport's expiry",
            id="issued-after-expiry",
        ),
        pytest.param(
            {"student.passport_issue_date": "2026-12-02"},
            "student.passport_issue_date",
            "in the future",
            id="issued-future",
        ),
        pytest.param({"letters.date": "2027-03-02"}, "letters.date", "after the internship start", id="letter-after"),
    ],
)
def test_impossible_dates_are_input_errors(
    run: Callable[..., Result], tmp_path: Path, mods: dict[str, Any], field: str, words: str
) -> None:
    path = write_yaml(tmp_path, apply(base_placement(), mods))
    out = tmp_path / "out"
    for args in (("check", path), ("build", path, "-o", out)):
        result = run(*args, "--today", "2026-12-01")
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        line = next(x for x in result.stderr.splitlines() if field in x)
        assert words in line, line
        assert re.search(rf"{re.escape(str(path))}:\d+: {re.escape(field)}: ", line), line
        assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir()), "nothing is written on an input error"


def test_plausible_dates_pass(run: Callable[..., Result], tmp_path: Path) -> None:
    path = write_yaml(tmp_path, apply(base_placement(), {"student.date_of_birth": "2011-03-01"}))  # 16 at the start
    assert run("check", path, "--today", "2026-12-01").exit_code == 0


def test_implausible_plans_are_findings_not_errors() -> None:
    a = assess_data(apply(base_placement(), {"stay.arrival": "2027-03-05", "stay.departure": "2027-06-20"}))
    for route in ("s2", "x1"):
        codes = a.routes[route].codes()
        assert "PLAN_ARRIVAL_AFTER_START" in codes and "PLAN_DEPARTURE_BEFORE_END" in codes, codes
