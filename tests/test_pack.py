"""The document pack (spec/cli.md "The pack" and "Reproducibility"): the folder layout, the manifest and
report, which routes are built, --format / --zip / --force, byte-identical rebuilds, the calendar, and
atomic writing (a failed build leaves nothing behind and never half-replaces a pack).

Packs are built once per session (see ``shared_pack``); test_documents.py reuses the same builds."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO, SAMPLES

import generator.pack
import generator.render.docx
from generator import __version__
from generator.api import build_file
from generator.cli import cli
from generator.errors import InternpackError

TODAY = "2026-12-01"
X1_SAMPLE = SAMPLES / "x1-fudan.yaml"
S2_SAMPLE = SAMPLES / "s2-shanghai.yaml"
NO_ROUTE_SAMPLE = SAMPLES / "no-route.yaml"
X1_SLUG = "janssens-pieter-2027-03-01"
# 2026-12-01 13:30 UTC: SOURCE_DATE_EPOCH gives the reference date 2026-12-01, the same as --today 2026-12-01
EPOCH = int(datetime(2026, 12, 1, 13, 30, tzinfo=UTC).timestamp())

LETTERS = ("invitation_letter", "internship_agreement", "financial_guarantee")


def route_files(route: str, formats: tuple[str, ...] = ("docx", "pdf")) -> set[str]:
    """The files spec/cli.md puts in a route's folder."""
    docs = ["checklist", *LETTERS] + (["university_approval_request"] if route == "x1" else ["enrolment_letter_data"])
    files = {f"{route}/deadlines.ics"}
    for ext in formats:
        files |= {f"{route}/{d}.{ext}" for d in docs}
    if "pdf" in formats:
        files.add(f"{route}/pack.pdf")
    return files


def pack_files(routes: tuple[str, ...], formats: tuple[str, ...] = ("docx", "pdf")) -> set[str]:
    files = {"report.json", "manifest.json"} | ({"summary.pdf"} if "pdf" in formats else set())
    for route in routes:
        files |= route_files(route, formats)
    return files


# -- helpers shared with test_documents.py ------------------------------------------------------------------


def files_in(folder: Path) -> set[str]:
    """Every file under ``folder`` (hidden ones included), as POSIX paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def hashes(folder: Path) -> dict[str, str]:
    return {rel: hashlib.sha256((folder / rel).read_bytes()).hexdigest() for rel in sorted(files_in(folder))}


_TEXT_CACHE: dict[Path, list[str]] = {}


def pdf_pages(path: Path) -> list[str]:
    """The text of each page (pypdf), cached per file."""
    if path not in _TEXT_CACHE:
        from pypdf import PdfReader

        _TEXT_CACHE[path] = [page.extract_text() or "" for page in PdfReader(path).pages]
    return _TEXT_CACHE[path]


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_cli(*args: Any, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m generator ARGS`` in a subprocess (the real program, its real exit status)."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *[str(a) for a in args]],
        cwd=REPO,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def invoke(*args: Any) -> Any:
    """The CLI in-process (CliRunner): faster than a subprocess for builds that render no PDF."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, prog_name="internpack")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Built:
    out: Path
    folder: Path
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outcome: Any = None
    warnings: list[logging.LogRecord] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "report.json").read_text(encoding="utf-8"))
        return data

    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        return data


_CLI_BUILDS: dict[str, tuple[list[Any], dict[str, str]]] = {
    # x1-fudan: X1 eligible, S2 uncertain; both routes, zipped
    "both": ([X1_SAMPLE, "--route", "both", "--zip", "--today", TODAY], {}),
    "both-again": ([X1_SAMPLE, "--route", "both", "--zip", "--today", TODAY], {}),
    "both-epoch": ([X1_SAMPLE, "--route", "both", "--zip"], {"SOURCE_DATE_EPOCH": str(EPOCH)}),
}
_BUILDS: dict[str, Built] = {}


def shared_pack(name: str, factory: pytest.TempPathFactory) -> Built:
    """A pack built once per session, whichever test module asks first.

    - CLI builds (subprocess): "both", "both-again", "both-epoch" (_CLI_BUILDS);
    - "s2-named": x1-fudan with --route s2 (an UNCERTAIN route asked for by name), PDF only, rendered
      in-process (jobs=1) with a handler on the 'weasyprint' logger that records every warning."""
    if name in _BUILDS:
        return _BUILDS[name]
    out = factory.mktemp(f"pack-{name}") / "OUT"
    if name in _CLI_BUILDS:
        args, env = _CLI_BUILDS[name]
        proc = run_cli("build", *args, "-o", out, env=cli_env(**env))
        assert proc.returncode == 0, f"build {name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        built = Built(out, out / X1_SLUG, proc.returncode, proc.stdout, proc.stderr)
    elif name == "s2-named":
        handler = _Collect()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            outcome = build_file(X1_SAMPLE, out, route="s2", formats=("pdf",), today=TODAY, jobs=1)
        finally:
            logger.removeHandler(handler)
        built = Built(out, outcome.folder, outcome=outcome, warnings=handler.records)
    else:
        raise KeyError(name)
    _BUILDS[name] = built
    return built


# -- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx_auto(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """x1-fudan with --route auto --format docx, through the CLI."""
    out = tmp_path_factory.mktemp("docx-auto") / "OUT"
    result = invoke("build", X1_SAMPLE, "-o", out, "--route", "auto", "--format", "docx", "--today", TODAY)
    assert result.exit_code == 0, result.output
    return Built(out, out / X1_SLUG, result.exit_code, result.stdout, result.stderr)


# -- 1. layout, manifest, report ------------------------------------------------------------------------------


def test_both_routes_give_exactly_the_spec_layout(both: Built) -> None:
    assert sorted(os.listdir(both.out)) == sorted([X1_SLUG, f"{X1_SLUG}.zip"]), (
        "OUT must hold only the pack folder and, with --zip, the zip"
    )
    assert (both.out / f"{X1_SLUG}.zip").is_file()
    got = files_in(both.folder)
    want = pack_files(("s2", "x1"))
    assert got == want, f"missing: {sorted(want - got)}; unexpected: {sorted(got - want)}"
    assert "s2/university_approval_request.pdf" not in got and "s2/university_approval_request.docx" not in got
    assert sorted(p.name for p in both.folder.iterdir() if p.is_dir()) == ["s2", "x1"]


def test_nothing_is_written_outside_out(tmp_path: Path) -> None:
    """The build runs from an empty working folder: afterwards it holds only OUT (and the placement copy)."""
    work = tmp_path / "work"
    work.mkdir()
    placement = work / "placement.yaml"
    placement.write_text(X1_SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (work / "lowlands-logo.png").write_bytes((SAMPLES / "lowlands-logo.png").read_bytes())
    for sub in ("home", "tmp"):
        (tmp_path / sub).mkdir()
    before = files_in(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "build",
            "placement.yaml",
            "-o",
            "OUT",
            "--route",
            "x1",
            "--format",
            "docx",
            "--zip",
            "--today",
            TODAY,
        ],
        cwd=work,
        env=cli_env(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    after = files_in(tmp_path)
    outside = sorted(f for f in after - before if not f.startswith("work/OUT/"))
    assert outside == [], f"build wrote outside OUT: {outside}"
    assert sorted(os.listdir(work / "OUT")) == sorted([X1_SLUG, f"{X1_SLUG}.zip"])


def test_manifest_lists_every_file_with_hash_and_size(both: Built) -> None:
    m = both.manifest()
    listed = {f["path"]: f for f in m["files"]}
    assert len(listed) == len(m["files"]), "a file is listed twice"
    assert set(listed) == files_in(both.folder) - {"manifest.json"}
    for rel, entry in listed.items():
        data = (both.folder / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), rel
        assert entry["size"] == len(data), rel


def test_manifest_records_versions_placement_options_and_date(both: Built) -> None:
    from generator.rules.data import load_rules

    m = both.manifest()
    assert m["tool_version"] == __version__
    assert m["rules_version"] == load_rules().version.isoformat() == both.report()["rules_version"]
    assert m["placement"]["sha256"] == hashlib.sha256(X1_SAMPLE.read_bytes()).hexdigest()
    assert m["reference_date"] == TODAY
    opts = m["options"]
    assert opts["route"] == "both"
    assert opts["routes"] == ["s2", "x1"]
    assert sorted(opts["languages"]) == ["en", "zh"]
    assert sorted(opts["formats"]) == ["docx", "pdf"]
    assert opts["zip"] is True
    assert opts["allow_blanks"] is False


def test_report_is_the_check_report_plus_blanks_and_untranslated(both: Built) -> None:
    result = invoke("check", X1_SAMPLE, "--format", "json", "--today", TODAY)
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)
    report = both.report()
    assert "blanks" not in check and "untranslated" not in check
    assert {k: v for k, v in report.items() if k not in ("blanks", "untranslated")} == check
    assert report["blanks"] == [] and report["untranslated"] == []


# -- 2. which routes -------------------------------------------------------------------------------------------


def test_route_auto_builds_the_recommended_route_only(docx_auto: Built) -> None:
    result = invoke("check", X1_SAMPLE, "--format", "json", "--today", TODAY)
    assert json.loads(result.stdout)["recommended_route"] == "x1"
    assert sorted(p.name for p in docx_auto.folder.iterdir() if p.is_dir()) == ["x1"]
    assert docx_auto.manifest()["options"]["routes"] == ["x1"]
    assert "X1" in docx_auto.stdout and "S2" not in docx_auto.stdout.split("pack in")[0]


def test_route_auto_without_a_recommended_route_writes_nothing(tmp_path: Path) -> None:
    report = json.loads(invoke("check", NO_ROUTE_SAMPLE, "--format", "json", "--today", TODAY).stdout)
    assert report["recommended_route"] is None
    blocks = {f["code"] for r in report["routes"].values() for f in r["findings"] if f["severity"] == "block"}
    assert blocks
    out = tmp_path / "OUT"
    proc = run_cli("build", NO_ROUTE_SAMPLE, "-o", out, "--route", "auto", "--today", TODAY)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not out.exists() or list(out.iterdir()) == [], "nothing may be written"
    message = proc.stderr.lower()
    assert "no route" in message and "ineligible" in message, proc.stderr
    for code in blocks:  # the reason: the blocking findings
        assert code.lower() in message, f"{code} not named in: {proc.stderr}"
    assert "Traceback" not in proc.stderr


def test_route_by_name_builds_an_uncertain_route_and_says_so(s2_named: Built, both: Built) -> None:
    report = s2_named.report()
    assert report["routes"]["s2"]["verdict"] == "uncertain"
    assert s2_named.outcome.routes == ["s2"]
    assert (s2_named.folder / "s2" / "pack.pdf").is_file()
    assert not (s2_named.folder / "x1").exists()
    # the command's output (library notes, and the CLI's stderr for --route both, whose S2 is uncertain)
    assert any("S2" in n and "UNCERTAIN" in n for n in s2_named.outcome.notes), s2_named.outcome.notes
    assert "S2 route is UNCERTAIN" in both.stderr, both.stderr
    assert "X1 route is" not in both.stderr, "the eligible X1 route gets no warning"
    # the cover page of the pack (page 1) carries the banner
    cover = pdf_pages(s2_named.folder / "s2" / "pack.pdf")[0]
    assert "Assessment: UNCERTAIN" in " ".join(cover.split()), cover
    # the eligible route's cover has none
    x1_cover = pdf_pages(both.folder / "x1" / "pack.pdf")[0]
    assert "Assessment:" not in x1_cover
    # the summary shows the S2 verdict
    summary = " ".join(pdf_pages(s2_named.folder / "summary.pdf")[0].split())
    assert "uncertain" in summary.lower(), summary


# -- 3. formats, zip, force -------------------------------------------------------------------------------------


def test_format_docx_writes_no_pdf(docx_auto: Built) -> None:
    got = files_in(docx_auto.folder)
    assert got == pack_files(("x1",), ("docx",)), sorted(got)
    assert not [f for f in got if f.endswith(".pdf")]
    assert docx_auto.manifest()["options"]["formats"] == ["docx"]


def test_format_pdf_writes_no_docx(s2_named: Built) -> None:
    got = files_in(s2_named.folder)
    assert got == pack_files(("s2",), ("pdf",)), sorted(got)
    assert not [f for f in got if f.endswith(".docx")]


def test_zip_holds_the_same_files_under_the_slug(both: Built) -> None:
    with zipfile.ZipFile(both.out / f"{X1_SLUG}.zip") as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert len(names) == len(set(names))
        assert sorted(names) == sorted(f"{X1_SLUG}/{rel}" for rel in files_in(both.folder))
        for rel in files_in(both.folder):
            assert zf.read(f"{X1_SLUG}/{rel}") == (both.folder / rel).read_bytes(), rel


def test_force_is_needed_to_replace_a_pack(tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    args = ["build", X1_SAMPLE, "-o", out, "--route", "x1", "--format", "docx", "--today", TODAY]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    folder = out / X1_SLUG
    before = hashes(folder)
    again = invoke(*args, "--lang", "en")
    assert again.exit_code == 2, again.output
    assert "--force" in again.stderr, again.stderr
    assert hashes(folder) == before, "a refused build changed the existing pack"
    assert sorted(os.listdir(out)) == [X1_SLUG]
    forced = invoke(*args, "--lang", "en", "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads((folder / "manifest.json").read_text())["options"]["languages"] == ["en"]
    assert sorted(os.listdir(out)) == [X1_SLUG], "no temporary or old folder may remain"


# -- 4. reproducible -------------------------------------------------------------------------------------------------


def test_same_input_gives_byte_identical_files(tmp_path_factory: pytest.TempPathFactory, both: Built) -> None:
    again = shared_pack("both-again", tmp_path_factory)
    first, second = hashes(both.out), hashes(again.out)
    assert sorted(first) == sorted(second)
    differ = sorted(rel for rel in first if first[rel] != second[rel])
    assert differ == [], f"files differ between two identical builds: {differ}"


def test_source_date_epoch_gives_the_same_bytes_as_today(tmp_path_factory: pytest.TempPathFactory, both: Built) -> None:
    epoch = shared_pack("both-epoch", tmp_path_factory)
    assert epoch.manifest()["reference_date"] == TODAY
    first, second = hashes(both.out), hashes(epoch.out)
    assert sorted(first) == sorted(second)
    differ = sorted(rel for rel in first if first[rel] != second[rel])
    assert differ == [], f"SOURCE_DATE_EPOCH={EPOCH} and --today {TODAY} give different files: {differ}"


def test_docx_and_zip_entries_have_fixed_timestamps(both: Built) -> None:
    for path in [*sorted(both.folder.rglob("*.docx")), both.out / f"{X1_SLUG}.zip"]:
        with zipfile.ZipFile(path) as zf:
            stamps = {info.date_time for info in zf.infolist()}
        assert stamps == {(2026, 12, 1, 0, 0, 0)}, (path.name, stamps)


# -- 12. calendar ---------------------------------------------------------------------------------------------------


def _events(path: Path) -> list[Any]:
    from icalendar import Calendar

    cal = Calendar.from_ical(path.read_bytes())
    return list(cal.walk("VEVENT"))


def test_ics_has_one_all_day_event_per_deadline(both: Built) -> None:
    report = both.report()
    uids: list[str] = []
    for route in ("s2", "x1"):
        events = _events(both.folder / route / "deadlines.ics")
        deadlines = report["routes"][route]["deadlines"]
        assert len(events) == len(deadlines), route
        starts = []
        for ev in events:
            start = ev.decoded("dtstart")
            assert isinstance(start, date) and not isinstance(start, datetime), f"{route}: not all-day: {start!r}"
            starts.append(start.isoformat())
            uids.append(str(ev["uid"]))
        assert sorted(starts) == sorted(d["date"] for d in deadlines), route
    assert len(uids) == len(set(uids)), f"UIDs are not unique: {uids}"


def test_ics_uids_are_stable_across_builds(tmp_path_factory: pytest.TempPathFactory, both: Built) -> None:
    again = shared_pack("both-again", tmp_path_factory)
    for route in ("s2", "x1"):
        first = [str(e["uid"]) for e in _events(both.folder / route / "deadlines.ics")]
        second = [str(e["uid"]) for e in _events(again.folder / route / "deadlines.ics")]
        assert first and first == second


# -- 13. atomic ---------------------------------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _failing_after(n: int, real: Any, exc: BaseException) -> Any:
    calls = {"n": 0}

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > n:
            raise exc
        return real(*args, **kwargs)

    return fake


def _no_hidden(out: Path) -> None:
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert hidden == [], f"temporary files left in OUT: {hidden}"


def test_a_failed_render_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "OUT"
    out.mkdir()
    monkeypatch.setattr(
        generator.render.docx, "render_docx", _failing_after(1, generator.render.docx.render_docx, Boom("disk"))
    )
    with pytest.raises(Boom):
        build_file(X1_SAMPLE, out, route="x1", formats=("docx",), today=TODAY, jobs=1)
    assert list(out.iterdir()) == [], sorted(os.listdir(out))


def test_a_failed_forced_rebuild_keeps_the_old_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "OUT"
    build_file(X1_SAMPLE, out, route="x1", formats=("docx",), today=TODAY, jobs=1)
    before = hashes(out)
    monkeypatch.setattr(
        generator.render.docx, "render_docx", _failing_after(2, generator.render.docx.render_docx, Boom("disk"))
    )
    with pytest.raises(Boom):
        build_file(X1_SAMPLE, out, route="x1", formats=("docx",), lang=("en",), force=True, today=TODAY, jobs=1)
    assert hashes(out) == before
    _no_hidden(out)


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), Boom("zip failed")], ids=["oserror", "other"])
def test_a_failure_while_zipping_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    """The zip is written after the files: a failure there must still leave OUT as it was."""
    out = tmp_path / "OUT"
    build_file(X1_SAMPLE, out, route="x1", formats=("docx",), today=TODAY, jobs=1)
    before = hashes(out)
    real = generator.pack._zip_folder

    def half_zip(folder: Path, name: str, target: Path, day: Any) -> None:
        target.write_bytes(b"PK\x03\x04 partial")
        raise exc

    monkeypatch.setattr(generator.pack, "_zip_folder", half_zip)
    assert real is not half_zip
    with pytest.raises((OSError, Boom, InternpackError)):
        build_file(
            X1_SAMPLE, out, route="x1", formats=("docx",), lang=("en",), zip_=True, force=True, today=TODAY, jobs=1
        )
    _no_hidden(out)
    assert hashes(out) == before


def test_a_failure_moving_the_zip_into_place_keeps_the_old_pack(tmp_path: Path) -> None:
    """OUT/<slug>.zip is a folder, so the zip cannot be moved into place (the last step). The build fails with
    "nothing was changed": the previous pack must then be exactly as it was, with no hidden leftovers."""
    out = tmp_path / "OUT"
    build_file(X1_SAMPLE, out, route="x1", formats=("docx",), today=TODAY, jobs=1)
    (out / f"{X1_SLUG}.zip").mkdir()
    before = hashes(out / X1_SLUG)
    proc = run_cli(
        "build",
        X1_SAMPLE,
        "-o",
        out,
        "--route",
        "x1",
        "--format",
        "docx",
        "--lang",
        "en",
        "--zip",
        "--force",
        "--today",
        TODAY,
    )
    assert proc.returncode != 0, proc.stdout
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    replaced = hashes(out / X1_SLUG) != before
    assert not replaced and not hidden, (
        f"build failed with {proc.stderr.strip()!r}, yet the pack was "
        + ("replaced by the new one" if replaced else "kept")
        + f"; hidden entries left in OUT: {hidden}"
    )


def test_documents_yaml_lists_the_letters_of_the_layout() -> None:
    """The layout tests above name the letters; templates/documents.yaml is where the pack takes them from."""
    docs = yaml.safe_load((REPO / "templates" / "documents.yaml").read_text(encoding="utf-8"))["documents"]
    # the port-visa letter is drafted only on the port-visa path (documents.yaml: requires), not in the x1-fudan packs
    s2_docs = {d for d, v in docs.items() if "s2" in v["routes"]}
    assert s2_docs == {*LETTERS, "port_visa_application", "enrolment_letter_data"}
    assert docs["port_visa_application"]["requires"] == "port_visa_application"
    assert {d for d, v in docs.items() if "x1" in v["routes"]} == {*LETTERS, "university_approval_request"}


def test_the_collector_is_back_on_after_a_build_even_a_failed_one(tmp_path: Path, monkeypatch) -> None:
    """A pack renders with the cyclic garbage collector off (process.collected_once); whatever happens, it must be
    on again afterwards, or a long batch or an embedding program would never collect again."""
    import gc

    def fails(*args: Any, **kwargs: Any) -> Any:
        assert not gc.isenabled(), "rendering should run without the collector"
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(generator.pack, "render_files", fails)
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="renderer crashed"):
        build_file(SAMPLES / "s2-shanghai.yaml", tmp_path / "out", route="s2", today="2026-12-01")
    assert gc.isenabled()
    assert not (tmp_path / "out" / "peeters-lotte-marie-2027-03-01").exists()
