"""Cohorts as an advisor runs them (issue 15): statuses that mean something, what is due across the cohort
(cohort.ics, the Deadlines sheet, the next 30 days), what each student and host must still provide (todo/),
packs kept across days, --strict, --summary-only, --prune, --zip, and one message format."""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from generator.batch import Progress, Row, run_batch
from generator.cli import cli
from generator.pack import BuildOptions

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from bench_batch import advisor_rows, write_advisor_sheet  # noqa: E402

DOCX = BuildOptions(route="", languages=(), formats=("docx",))
TODAY = "2026-12-01"
SIZE = 18  # every kind of row of the advisor's sheet: S2 and X1, drafts, ineligible, no route, a typo


def _quiet(total: int) -> Progress:
    return Progress(total, io.StringIO())


def packs(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if (p / "manifest.json").is_file())


def summary(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((out / "cohort.csv").open(encoding="utf-8-sig")))


def mtimes(out: Path) -> dict[str, int]:
    return {name: (out / name / "manifest.json").stat().st_mtime_ns for name in packs(out)}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("advisor")
    sheet = write_advisor_sheet(tmp / "cohort.csv", SIZE)
    out = tmp / "out"
    outcome = run_batch(sheet, out, DOCX, jobs=2, today=TODAY, progress=_quiet)
    return sheet, out, outcome


def test_statuses_name_what_each_row_needs(cohort) -> None:
    _sheet, out, outcome = cohort
    states = {r.sheet_row: r.state for r in outcome.rows}
    assert states[2 + 13] == "no route"
    assert states[2 + 17] == "sheet error"
    assert states[2 + 4] == "route ineligible"  # S2 asked for by name in Chengdu
    assert states[2 + 1] == "draft"  # the guarantor's date of birth is not known yet
    assert states[2 + 0] == "ready"
    # every row that reads has its pack, drafts and ineligible routes included; no route and the typo none
    assert len(packs(out)) == SIZE - 2
    assert outcome.exit_code == 2, "a sheet error is the one reason for exit 2"
    rows = {int(r["row"]): r for r in summary(out)}
    draft, ineligible, nowhere, typo = rows[3], rows[6], rows[15], rows[19]
    assert draft["action"] == "1 field missing: guarantor's date of birth", draft["action"]
    assert draft["placeholders"] == "1" and draft["placeholder_fields"] == "expenses.guarantor.date_of_birth"
    assert ineligible["route_built"] == "S2" and ineligible["verdict"] == "ineligible"
    assert ineligible["action"].startswith("S2 built by name but ineligible: "), ineligible["action"]
    assert ineligible["recommended"] == "X1" or ineligible["recommended"] in ("none", "S2")
    assert nowhere["action"].startswith("no route: S2 ") and "; X1 " in nowhere["action"], nowhere["action"]
    assert nowhere["pack"] == "none" and nowhere["route_built"] == ""
    assert typo["student"] and typo["host"] and typo["start"], "a refused row keeps its name, host and dates"
    assert typo["action"].startswith("fix the row: contains 'I'"), typo["action"]
    ready = rows[2]
    assert ready["student_email"] == "student0@example.org" and ready["host_contact_email"] == "hr0@host.example.cn"
    assert ready["district"] == "Pudong New Area" and ready["days_to_start"] == str(
        (date(2027, 3, 1) - date(2026, 12, 1)).days
    )
    assert ready["next_deadline"] and ready["next_deadline_what"]
    assert ready["#notes"] == "called 01/11", "the advisor's # columns are carried"


def test_cohort_ics_holds_every_deadline_with_stable_uids(cohort, tmp_path: Path) -> None:
    from icalendar import Calendar

    sheet, out, outcome = cohort
    events = Calendar.from_ical((out / "cohort.ics").read_bytes()).walk("VEVENT")
    expected = sum(
        len(r.result.assessment.routes[route].deadlines)
        for r in outcome.rows
        if r.folder and r.result
        for route in r.routes
    )
    assert len(events) == expected > 0
    uids = {str(e["uid"]) for e in events}
    assert len(uids) == len(events)
    assert any("PEETERS Lotte 0" in str(e["summary"]) for e in events)
    # the next day: the same UIDs (a calendar subscription updates its events instead of doubling them)
    later = run_batch(sheet, out, DOCX, jobs=1, today="2026-12-02", progress=_quiet)
    assert later.counts["built"] == 0
    again = {str(e["uid"]) for e in Calendar.from_ical((out / "cohort.ics").read_bytes()).walk("VEVENT")}
    assert again == uids
    run_batch(sheet, out, DOCX, jobs=1, today=TODAY, progress=_quiet)  # back to the fixture's day


def test_cohort_xlsx_is_formatted_and_has_a_deadlines_sheet(cohort) -> None:
    _sheet, out, _ = cohort
    wb = load_workbook(out / "cohort.xlsx")
    assert wb.sheetnames == ["cohort", "Deadlines"]
    ws = wb["cohort"]
    header = [c.value for c in ws[1]]
    assert "Recommended" in header and "Route built" in header and "Route" not in header
    col = {h: n + 1 for n, h in enumerate(header)}
    assert isinstance(ws.cell(row=2, column=col["Row"]).value, int)
    start = ws.cell(row=2, column=col["Start"])
    assert isinstance(start.value, date) and start.number_format == "yyyy-mm-dd"
    status = [ws.cell(row=n, column=col["Status"]) for n in range(2, ws.max_row + 1)]
    fills = {c.value: c.fill.fgColor.rgb for c in status}
    assert len(fills) >= 3 and fills["no route"] != fills["draft"] != fills["sheet error"], fills
    assert ws.cell(row=2, column=col["Action"]).alignment.wrap_text
    assert ws.column_dimensions["A"].width and ws.column_dimensions["D"].width > 20
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    deadlines = wb["Deadlines"]
    days = [r[0] for r in deadlines.iter_rows(min_row=2, values_only=True)]
    assert days and days == sorted(days) and all(isinstance(d, date) for d in days)


def test_cohort_pdf_sections(cohort) -> None:
    from pypdf import PdfReader

    _sheet, out, _ = cohort
    reader = PdfReader(out / "cohort.pdf")
    first = reader.pages[0].extract_text()
    assert "Timeline" in first and "today 2026-12-01" in first
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Due in the next 30 days" in text and "Rows to fix" in text and "most urgent first" in text
    fixes = text[text.index("Rows to fix") :]
    assert "cohort.csv row 19, column host.uscc" in fixes and "--" not in fixes

    def titles(outline) -> list[str]:
        return [t for o in outline for t in (titles(o) if isinstance(o, list) else [o["/Title"]])]

    marks = [m.split(" · ")[-1] for m in titles(reader.outline)]
    assert marks[:3] == ["Cohort summary", "Timeline", "Due in the next 30 days"], marks


def test_todo_lists_per_student_and_per_host_contact(cohort) -> None:
    _sheet, out, outcome = cohort
    students = sorted(p.stem for p in (out / "todo" / "students").glob("*.md"))
    assert students == sorted(r.folder for r in outcome.rows if r.folder and r.result)
    draft = next(r for r in outcome.rows if r.sheet_row == 3)
    text = (out / "todo" / "students" / f"{draft.folder}.md").read_text(encoding="utf-8")
    assert "## To ask the guarantor for" in text and "guarantor's date of birth" in text
    assert "## What you provide" in text
    hosts = list((out / "todo" / "hosts").glob("*.md"))
    rows = advisor_rows(SIZE)
    assert len(hosts) == len({(r["host.name_en"], r["host.contact.email"]) for k, r in enumerate(rows) if k != 17})
    several = (out / "todo" / "hosts" / "host-0-shanghai-co-ltd-hr0-host-example-cn.md").read_text(encoding="utf-8")
    assert several.count("\n## ") == 2, "one file for a company with several interns: a section per intern"
    assert "致 To: " in several and "请核对、签字并盖章" in several and "Please check, sign and seal" in several


def test_next_day_keeps_packs_and_their_dates_refreshes_the_overview(cohort) -> None:
    sheet, out, _ = cohort
    before = mtimes(out)
    dated = json.loads((out / packs(out)[0] / "report.json").read_text(encoding="utf-8"))["reference_date"]
    later = run_batch(sheet, out, DOCX, jobs=1, today="2026-12-09", progress=_quiet)
    assert later.counts["built"] == 0 and later.counts["kept"] == SIZE - 2, later.counts
    assert mtimes(out) == before
    assert json.loads((out / packs(out)[0] / "report.json").read_text(encoding="utf-8"))["reference_date"] == dated
    ready = next(r for r in summary(out) if r["row"] == "2")
    assert ready["days_to_start"] == str((date(2027, 3, 1) - date(2026, 12, 9)).days)
    run_batch(sheet, out, DOCX, jobs=1, today=TODAY, progress=_quiet)


def test_allow_blanks_and_strict_do_not_rebuild_packs_without_blanks(cohort) -> None:
    sheet, out, _ = cohort
    before = mtimes(out)
    blanks = run_batch(
        sheet,
        out,
        BuildOptions(route="", languages=(), formats=("docx",), allow_blanks=True),
        jobs=1,
        today=TODAY,
        progress=_quiet,
    )
    assert blanks.counts["built"] == 0, blanks.counts
    strict = run_batch(sheet, out, DOCX, jobs=1, today=TODAY, progress=_quiet, strict=True)
    assert strict.counts["built"] == 0 and mtimes(out) == before
    refused = [r for r in strict.rows if r.status == "refused"]
    assert {r.state for r in refused} == {"draft", "no route", "sheet error"}
    assert strict.exit_code == 2
    drafts = [r for r in refused if r.state == "draft"]
    assert all("--allow-blanks" in r.errors[0] for r in drafts)


def test_strict_refuses_a_new_draft_as_build_does(tmp_path: Path) -> None:
    sheet = write_advisor_sheet(tmp_path / "c.csv", 3)  # row 3: the guarantor's date of birth is missing
    out = tmp_path / "out"
    outcome = run_batch(sheet, out, DOCX, jobs=1, today=TODAY, progress=_quiet, strict=True)
    draft = next(r for r in outcome.rows if r.sheet_row == 3)
    assert (draft.status, draft.state) == ("refused", "draft"), (draft.status, draft.state, draft.errors)
    assert "expenses.guarantor.date_of_birth" in " ".join(draft.errors)
    assert draft.folder not in packs(out) and outcome.exit_code == 2


def test_summary_only_touches_no_pack_and_prune_removes_stale_folders(cohort, tmp_path: Path) -> None:
    sheet, out, _ = cohort
    before = mtimes(out)
    changed = write_advisor_sheet(tmp_path / "cohort.csv", SIZE)
    text = changed.read_text(encoding="utf-8-sig").splitlines()
    assert "2027-05-20" in text[1]
    text[1] = text[1].replace("2027-05-20", "2027-05-25")  # a changed placement
    del text[6]  # a student who left (sheet row 7)
    changed.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(text) + "\r\n").encode())
    result = CliRunner().invoke(
        cli, ["batch", str(changed), "-o", str(out), "--format", "docx", "--today", TODAY, "--summary-only"]
    )
    assert result.exit_code == 2, result.output  # the typo row is still there
    assert mtimes(out) == before, "--summary-only touched a pack"
    assert "1 not rebuilt (--summary-only)" in result.output
    stale = next(
        r.folder
        for r in run_batch(sheet, tmp_path / "x", DOCX, jobs=1, today=TODAY, summary_only=True, progress=_quiet).rows
        if r.sheet_row == 7
    )
    assert f"no row produces any more: {stale} (--prune removes them)" in result.output
    pruned = CliRunner().invoke(
        cli, ["batch", str(changed), "-o", str(out), "--format", "docx", "--today", TODAY, "--summary-only", "--prune"]
    )
    assert "nothing was pruned: some rows could not be read" in pruned.output, pruned.output
    assert (out / stale).is_dir()
    assert "91310115MA1K4ABC4I" in text[17]
    del text[17]  # the typo row goes too: now the stale folder is pruned
    changed.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(text) + "\r\n").encode())
    pruned = CliRunner().invoke(
        cli, ["batch", str(changed), "-o", str(out), "--format", "docx", "--today", TODAY, "--summary-only", "--prune"]
    )
    assert pruned.exit_code == 0, pruned.output
    assert f"Pruned 1 folder(s): {stale}" in pruned.output and not (out / stale).exists()


def test_zip_gives_one_zip_per_student(tmp_path: Path) -> None:
    sheet = write_advisor_sheet(tmp_path / "c.csv", 3)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", str(sheet), "-o", str(out), "--format", "docx", "--zip", "--today", TODAY, "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    zips = sorted(p.name for p in out.glob("*.zip"))
    assert zips == [f"{name}.zip" for name in packs(out)] and len(zips) == 3
    with zipfile.ZipFile(out / zips[0]) as zf:
        assert any(n.endswith("report.json") for n in zf.namelist())


def test_each_error_once_in_one_format(cohort, tmp_path: Path) -> None:
    sheet, out, _ = cohort
    result = CliRunner().invoke(cli, ["batch", str(sheet), "-o", str(out), "--format", "docx", "--today", TODAY])
    lines = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    from generator.cohort import columns, letter

    col = letter(list(columns()).index("host.uscc") + 1)
    assert lines == [
        f"Error: cohort.csv row 19, column host.uscc ({col}): contains 'I'; a USCC uses only digits and the capital "
        "letters A-H J-N P-R T U W-Y (no I, O, S, V, Z); copy it from the business licence"
    ], result.output
    assert "failed" not in result.output.replace("0 failed", "")


def test_progress_rate_counts_only_built_packs() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = Progress(3, stream, to_build=1)
    bar.update(Row(0, "a", None, folder="a", status="kept"))
    bar.update(Row(1, "b", None, status="refused", errors=["b: bad"]))
    assert "packs/s" not in stream.getvalue() and "1 refused" in stream.getvalue()
    bar.update(Row(2, "c", None, folder="c", status="built", seconds=1.0))
    assert "packs/s" in stream.getvalue() and "failed" not in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K"), "the bar clears its line when done"
