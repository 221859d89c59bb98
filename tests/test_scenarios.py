"""The rule scenarios (tests/scenarios/*.yaml and ../shared/scenarios/*.yaml): one test case each.

Format: shared/scenarios/README.md. A shared file replaces a local one with the same ``name``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import to_source

from generator import loader
from generator.rules.data import load_rules
from generator.rules.engine import assess

LOCAL = Path(__file__).resolve().parent / "scenarios"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "scenarios"
ROUTES = ("s2", "x1")


def _collect() -> dict[str, tuple[Path, dict[str, Any]]]:
    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    folders = [LOCAL] + ([SHARED] if SHARED.is_dir() else [])
    for folder in folders:  # shared last: it replaces a local scenario of the same name
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            assert isinstance(data, dict) and data.get("name"), f"{path}: a scenario needs a name"
            found[str(data["name"])] = (path, data)
    return found


SCENARIOS = _collect()


def test_scenarios_are_found() -> None:
    assert SCENARIOS, f"no scenario files in {LOCAL} or {SHARED}"
    local_names = {yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in LOCAL.glob("*.yaml")}
    assert local_names <= set(SCENARIOS)


def test_scenario_names_are_unique_per_folder() -> None:
    for folder in (LOCAL, SHARED):
        if not folder.is_dir():
            continue
        names = [yaml.safe_load(p.read_text(encoding="utf-8"))["name"] for p in sorted(folder.glob("*.yaml"))]
        dupes = sorted({n for n in names if names.count(n) > 1})
        assert not dupes, f"{folder}: scenario names used twice: {dupes}"


@pytest.mark.parametrize("name", sorted(SCENARIOS), ids=sorted(SCENARIOS))
def test_scenario(name: str) -> None:
    path, scenario = SCENARIOS[name]
    where = f"scenario {name} ({path})"
    assert set(scenario) >= {"name", "today", "placement", "expect"}, f"{where}: missing keys"
    today = date.fromisoformat(str(scenario["today"]))
    # through the loader, as a file with that content would be (dates from PyYAML become text again)
    source = to_source(scenario["placement"], f"{name}.yaml")
    placement = loader.validate(source)
    a = assess(placement, load_rules(), today)
    expect = scenario["expect"] or {}

    for route in ROUTES:
        if route not in expect:
            continue
        want = expect[route] or {}
        got = a.routes[route]
        codes = got.codes()
        summary = f"{where}, route {route}: verdict {got.verdict}, codes {codes}"
        if "verdict" in want:
            assert got.verdict == want["verdict"], f"{summary}; expected verdict {want['verdict']}"
        missing = [c for c in want.get("codes") or [] if c not in codes]
        assert not missing, f"{summary}; expected codes missing: {missing}"
        present = [c for c in want.get("absent") or [] if c in codes]
        assert not present, f"{summary}; codes that must be absent are present: {present}"

    if "recommended_route" in expect:
        assert a.recommended_route == expect["recommended_route"], (
            f"{where}: recommended {a.recommended_route!r}, expected {expect['recommended_route']!r}"
        )

    for route, ids in (expect.get("checklist") or {}).items():
        have = [item.id for item in a.routes[route].checklist]
        missing = [i for i in ids or [] if i not in have]
        assert not missing, f"{where}, route {route}: checklist lacks {missing} (has {have})"

    for route, deadlines in (expect.get("deadlines") or {}).items():
        have = {d.id: d.date.isoformat() for d in a.routes[route].deadlines}
        for did, day in (deadlines or {}).items():
            want_day = day.isoformat() if isinstance(day, date) else str(day)
            assert did in have, f"{where}, route {route}: no deadline {did!r} (has {sorted(have)})"
            assert have[did] == want_day, f"{where}, route {route}: deadline {did} is {have[did]}, expected {want_day}"
