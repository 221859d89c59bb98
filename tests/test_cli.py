"""The command line (spec/cli.md) and the JSON report's shape (spec/report.md)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SAMPLES, spec_path

from generator import __version__
from generator.cli import cli
from generator.rules.data import KINDS, PHASES, WHO, load_rules

SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*.yaml"))
COMMANDS = sorted(cli.commands)


def report_of(run: Any, path: Path, *extra: str) -> dict[str, Any]:
    result = run("check", path, "--format", "json", "--today", "2026-12-01", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- help -------------------------------------------------------------------------------------------------


def test_commands_of_the_contract_exist() -> None:
    assert {"init", "check", "rules"} <= set(cli.commands), COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_an_example(run: Any, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout, f"internpack {command} --help shows no example:\n{result.stdout}"
    assert re.search(rf"^\s+internpack {command}\b", result.stdout, re.M), result.stdout


def test_group_help(run: Any) -> None:
    for args in (["--help"], ["-h"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        for command in COMMANDS:
            assert re.search(rf"^\s+internpack {command}\b", result.stdout, re.M), (
                f"the group's --help shows no example line for {command}:\n{result.stdout}"
            )


def test_version(run: Any) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_usage_errors_exit_2(run: Any) -> None:
    for args in (["bogus"], ["check"], ["check", "x.yaml", "--format", "xml"], ["init", "--route", "s3"]):
        result = run(*args)
        assert result.exit_code == 2, f"{args}: {result.exit_code} {result.output}"
        assert "Traceback" not in result.output


# -- check ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_check_text_on_each_sample(run: Any, name: str) -> None:
    result = run("check", SAMPLES / name, "--today", "2026-12-01")
    assert result.exit_code == 0, result.output
    out = result.stdout
    report = report_of(run, SAMPLES / name)
    for route in ("s2", "x1"):
        verdict = report["routes"][route]["verdict"].upper()
        assert re.search(rf"── {route.upper()}: .* — {verdict}", out), f"{name}: no {route} verdict {verdict}\n{out}"
    verdict_line = next(line for line in out.splitlines() if line.startswith("verdict"))
    assert verdict_line.split()[1:] == [report["routes"][r]["verdict"].upper() for r in ("s2", "x1")], verdict_line
    assert "\x1b[" not in out  # no colour codes when not on a terminal
    rec = report["recommended_route"]
    assert f"Recommended route: {rec.upper() if rec else 'none'}" in out
    for route in ("s2", "x1"):
        for finding in report["routes"][route]["findings"]:
            assert finding["code"] in out
            for sid in finding["sources"]:
                assert sid in out, f"{name}: source {sid} of {finding['code']} not shown"


REPORT_KEYS = {
    "schema",
    "tool_version",
    "rules_version",
    "reference_date",
    "placement",
    "student",
    "recommended_route",
    "recommendation",
    "routes",
}
FINDING_KEYS = {"code", "severity", "message", "field", "sources"}
ITEM_KEYS = {"id", "title", "who", "phase", "where", "generated", "notes", "sources"}
DEADLINE_KEYS = {"id", "date", "title", "basis", "status"}


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_check_json_shape(run: Any, name: str) -> None:
    path = SAMPLES / name
    r = report_of(run, path)
    assert set(r) == REPORT_KEYS, f"top-level keys {sorted(r)}"  # check leaves out blanks / untranslated
    assert r["schema"] == 1
    assert r["tool_version"] == __version__
    assert r["rules_version"] == load_rules().version.isoformat()
    assert r["reference_date"] == "2026-12-01"
    assert r["placement"] == {"file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert isinstance(r["student"], str) and r["student"].split()[0].isupper()
    assert r["recommended_route"] in ("s2", "x1", None)
    assert isinstance(r["recommendation"], str) and r["recommendation"]
    assert set(r["routes"]) == {"s2", "x1"}
    sources = load_rules().sources
    for route, body in r["routes"].items():
        assert {"verdict", "findings", "checklist", "deadlines"} <= set(body), sorted(body)
        assert body["verdict"] in ("eligible", "uncertain", "ineligible")
        for f in body["findings"]:
            assert set(f) >= FINDING_KEYS, f"{route} finding keys {sorted(f)}"
            assert f["severity"] in ("block", "confirm", "warn", "info")
            assert isinstance(f["message"], str) and f["message"]
            assert f["field"] is None or isinstance(f["field"], str)
            assert all(s in sources for s in f["sources"]), f["sources"]
        for c in body["checklist"]:
            assert set(c) >= ITEM_KEYS, f"{route} checklist keys {sorted(c)}"
            assert c["who"] in WHO and c["phase"] in PHASES, c
            assert isinstance(c["generated"], bool)
            assert all(s in sources for s in c["sources"]), c["sources"]
        for d in body["deadlines"]:
            assert set(d) >= DEADLINE_KEYS, f"{route} deadline keys {sorted(d)}"
            date.fromisoformat(d["date"])
            assert d["status"] in ("done", "late", "upcoming")
            assert d["basis"]


def test_report_enums_are_those_of_report_md() -> None:
    text = spec_path("report.md").read_text(encoding="utf-8")
    who = re.search(r"`who` is one of ([a-z_ |]+);", text)
    phase = re.search(r"`phase` is one of ([a-z_ |]+);", text)
    assert who and phase, "report.md: who/phase enumerations not found"
    assert set(WHO) == {w.strip() for w in who.group(1).split("|")}
    assert set(PHASES) == {p.strip() for p in phase.group(1).split("|")}


def test_json_is_deterministic(run: Any) -> None:
    path = SAMPLES / "x1-fudan.yaml"
    a = run("check", path, "--format", "json", "--today", "2026-12-01").stdout
    b = run("check", path, "--format", "json", "--today", "2026-12-01").stdout
    assert a == b


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026/12/01", "2027-02-29"])
def test_bad_today(run: Any, bad: str) -> None:
    result = run("check", SAMPLES / "s2-shanghai.yaml", "--today", bad)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: --today {bad!r} is not a date (write it as YYYY-MM-DD)\n"


def test_bad_today_is_reported_before_the_file_is_read(run: Any, tmp_path: Path) -> None:
    result = run("check", tmp_path / "missing.yaml", "--today", "never")
    assert result.exit_code == 2
    assert "--today" in result.stderr and "missing.yaml" not in result.stderr


def test_source_date_epoch_sets_the_reference_date(run: Any) -> None:
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"  # local time east of UTC must not shift the UTC date
    if hasattr(time, "tzset"):
        time.tzset()
    try:
        path = SAMPLES / "s2-shanghai.yaml"
        result = run("check", path, "--format", "json", env={"SOURCE_DATE_EPOCH": "1764547199"})  # 2025-11-30T23:59:59Z
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["reference_date"] == "2025-11-30"
        result = run("check", path, "--format", "json", env={"SOURCE_DATE_EPOCH": "1764547200"})
        assert json.loads(result.stdout)["reference_date"] == "2025-12-01"
        # --today wins over SOURCE_DATE_EPOCH
        result = run(
            "check",
            path,
            "--format",
            "json",
            "--today",
            "2027-01-05",
            env={"SOURCE_DATE_EPOCH": "1764547200"},
        )
        assert json.loads(result.stdout)["reference_date"] == "2027-01-05"
        result = run("check", path, env={"SOURCE_DATE_EPOCH": "soon"})
        assert result.exit_code == 2
        assert result.stderr == (
            "Error: SOURCE_DATE_EPOCH='soon' is not a Unix timestamp (unset it or give whole seconds)\n"
        )
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        if hasattr(time, "tzset"):
            time.tzset()


def test_without_today_the_reference_date_is_today(run: Any) -> None:
    result = run("check", SAMPLES / "s2-shanghai.yaml", "--format", "json", env={"SOURCE_DATE_EPOCH": None})
    assert result.exit_code == 0
    got = json.loads(result.stdout)["reference_date"]
    assert got in {
        date.today().isoformat(),
        date.fromordinal(date.today().toordinal() - 1).isoformat(),
        date.fromordinal(date.today().toordinal() + 1).isoformat(),
    }


def test_missing_file(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = run("check", path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: does not exist\n"
    assert result.stdout == ""


# -- init ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["s2", "x1"])
def test_init_writes_a_file_that_passes_check(run: Any, tmp_path: Path, route: str) -> None:
    path = tmp_path / f"placement-{route}.yaml"
    result = run("init", path, "--route", route)
    assert result.exit_code == 0, result.output
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert "#" in text, "the placement file written by init has no comments"
    check = run("check", path, "--format", "json", "--today", "2026-12-01")
    assert check.exit_code == 0, check.output
    report = json.loads(check.stdout)
    assert report["routes"][route]["verdict"] != "ineligible", report["routes"][route]


def test_init_default_path(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "placement.yaml").is_file()


def test_init_refuses_to_overwrite(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "placement.yaml"
    path.write_text("mine\n", encoding="utf-8")
    result = run("init", path)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {path} already exists (use --force to replace it, or give another file name)\n"
    assert path.read_text(encoding="utf-8") == "mine\n"
    forced = run("init", path, "--force", "--route", "s2")
    assert forced.exit_code == 0, forced.output
    assert path.read_text(encoding="utf-8") != "mine\n"
    assert run("check", path, "--today", "2026-12-01").exit_code == 0


# -- rules ---------------------------------------------------------------------------------------------------


def test_rules_json(run: Any) -> None:
    result = run("rules", "--format", "json")
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)
    rules = load_rules()
    assert r["rules_version"] == rules.version.isoformat()
    source_ids = {s["id"] for s in r["sources"]}
    assert source_ids == set(rules.sources)
    for s in r["sources"]:
        assert s["kind"] in KINDS, s
        assert "page_date" in s and (s["page_date"] is None or isinstance(s["page_date"], str)), s
        assert s["url"].startswith(("http://", "https://"))
    assert [p["id"] for p in r["pilot_regions"]] == [p.id for p in rules.pilots]
    for p in r["pilot_regions"]:
        assert p["status"] in ("official", "reported"), p
        assert p["sources"] and set(p["sources"]) <= source_ids, p
    assert r["thresholds"]["s2_max_stay_days"]["value"] == 180
    for name, t in r["thresholds"].items():
        assert isinstance(t["value"], int), name
        assert set(t["sources"]) <= source_ids, name


def test_rules_text(run: Any) -> None:
    result = run("rules")
    assert result.exit_code == 0, result.output
    rules = load_rules()
    assert rules.version.isoformat() in result.stdout
    for p in rules.pilots:
        assert p.id in result.stdout
    for k in rules.thresholds:
        assert k in result.stdout


# -- errors --------------------------------------------------------------------------------------------------


def test_internal_error_is_one_line(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.api

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.api, "check_file", boom)
    monkeypatch.setattr(sys, "argv", ["internpack", "check", "x.yaml"])  # no --debug
    result = run("check", SAMPLES / "s2-shanghai.yaml")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: internal error"), lines
    assert "RuntimeError: boom" in lines[0]
    assert "Traceback" not in result.output


# -- the real process ----------------------------------------------------------------------------------------


def test_python_m_generator_exit_statuses(run_module: Any, tmp_path: Path) -> None:
    ok = run_module("check", "samples/s2-shanghai.yaml", "--today", "2026-12-01")
    assert ok.returncode == 0, ok.stderr
    assert "Recommended route" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("student:\n  sex: Q\n", encoding="utf-8")
    res = run_module("check", bad)
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    assert all(line.startswith(f"Error: {bad}:") for line in res.stderr.splitlines()), res.stderr
    assert f"Error: {bad}:2: student.sex: 'Q' is not allowed (use one of: F | M | X)" in res.stderr.splitlines()
    usage = run_module("check")
    assert usage.returncode == 2
    helped = run_module("--help")
    assert helped.returncode == 0 and "check" in helped.stdout


def test_repo_layout() -> None:
    assert (REPO / "generator" / "__main__.py").is_file()


def test_init_into_a_missing_folder(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "placement.yaml"
    result = run("init", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {path} cannot be written"), result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "no").exists()


def test_check_a_folder(run: Any, tmp_path: Path) -> None:
    result = run("check", tmp_path)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {tmp_path}: is a folder, not a placement file\n"
