"""`internpack batch` (issue 4): cohorts from sheets and folders, bad rows isolated, stable folders,
idempotent re-runs, the cohort summary and its formula-injection guard."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from generator.batch import Progress, neutralise, run_batch
from generator.cli import cli
from generator.cohort import columns, example_row
from generator.pack import BuildOptions

REPO = Path(__file__).resolve().parents[1]

DOCX_ONLY = BuildOptions(route="s2", languages=("en", "zh"), formats=("docx",))
TODAY = "2026-12-01"


def _rows() -> tuple[list[str], list[list[str]]]:
    example = example_row()
    header = list(columns())

    def row(**changes: str) -> list[str]:
        values = {**example, **changes}
        return [values.get(c, "") for c in header]

    rows = [
        row(),
        row(**{"student.family_name": "Janssens", "student.given_names": "Eva", "student.passport_number": "NX1"}),
        row(**{"host.uscc": "91310115MA1K4ABC4I", "student.family_name": "Uscc"}),
        row(**{"internship.end": "2027-01-01", "student.family_name": "Dates"}),
        row(**{"student.passport_number": "EN999"}),  # same name and start date as the first row
        row(**{"student.family_name": '=HYPERLINK("http://evil")', "student.passport_number": "Z1"}),
    ]
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], *, date_cells: bool = True) -> Path:
    from datetime import date

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        cells: list[object] = []
        for col, value in zip(header, r, strict=True):
            if date_cells and col in ("internship.start", "internship.end") and value:
                cells.append(date.fromisoformat(value))  # a real Excel date cell
            else:
                cells.append(value or None)
        ws.append(cells)
    wb.save(path)
    return path


def packs(out: Path) -> list[str]:
    """The pack folders in OUT (not todo/ or the overview)."""
    return sorted(p.name for p in out.iterdir() if (p / "manifest.json").is_file())


def _quiet(total: int) -> Progress:
    return Progress(total, io.StringIO())


@pytest.fixture(scope="module")
def csv_batch(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("csv")
    header, rows = _rows()
    sheet = write_csv(tmp / "cohort.csv", header, rows)
    out = tmp / "out"
    outcome = run_batch(sheet, out, DOCX_ONLY, jobs=2, today=TODAY, progress=_quiet)
    return sheet, out, outcome


def test_good_rows_built_bad_rows_reported_with_row_and_column(csv_batch) -> None:
    _sheet, out, outcome = csv_batch
    status = {r.label: r.status for r in outcome.rows}
    assert sorted(status.values()) == ["built", "built", "built", "built", "refused", "refused"], status
    errors = [e for r in outcome.rows for e in r.errors]
    assert any("row 4, column host.uscc" in e and "'I'" in e for e in errors), errors
    assert any("row 5, column internship.end" in e and "before start" in e for e in errors), errors
    assert {r.state for r in outcome.rows if r.status == "refused"} == {"sheet error"}
    assert outcome.exit_code == 2
    built = packs(out)
    assert len(built) == 4, built
    for folder in built:
        assert (out / folder / "manifest.json").is_file()
        assert (out / folder / "s2" / "invitation_letter.docx").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left in OUT"


def test_same_name_and_start_get_distinct_stable_folders(csv_batch, tmp_path: Path) -> None:
    sheet, out, outcome = csv_batch
    peeters = sorted(r.folder for r in outcome.rows if r.folder and r.folder.startswith("peeters-lotte-marie"))
    assert len(peeters) == 2 and peeters[0] != peeters[1], peeters
    assert all(r.note for r in outcome.rows if r.folder in peeters), "the summary must say the folder was suffixed"
    # a reordered sheet keeps every student in the same folder
    header, rows = _rows()
    reordered = write_csv(tmp_path / "cohort.csv", header, list(reversed(rows)))
    again = run_batch(reordered, tmp_path / "out", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    assert sorted(r.folder for r in again.rows if r.folder and r.folder.startswith("peeters")) == peeters


def _mtimes(out: Path) -> dict[str, int]:
    return {name: (out / name / "manifest.json").stat().st_mtime_ns for name in packs(out)}


def test_rerun_keeps_unchanged_packs_and_force_rebuilds(csv_batch) -> None:
    sheet, out, _ = csv_batch
    manifests = _mtimes(out)
    again = run_batch(sheet, out, DOCX_ONLY, jobs=2, today=TODAY, progress=_quiet)
    assert again.counts["kept"] == 4 and again.counts["built"] == 0, again.counts
    assert _mtimes(out) == manifests
    forced = run_batch(sheet, out, DOCX_ONLY, jobs=1, today=TODAY, force=True, progress=_quiet)
    assert forced.counts["built"] == 4, forced.counts
    # the next day the packs are kept (their letters keep their date), the overview is refreshed
    manifests = _mtimes(out)
    later = run_batch(sheet, out, DOCX_ONLY, jobs=1, today="2026-12-02", progress=_quiet)
    assert later.counts["kept"] == 4 and later.counts["built"] == 0, later.counts
    assert _mtimes(out) == manifests
    assert "2026-12-02" in (out / "cohort.ics").read_text(encoding="utf-8").replace("20261202", "2026-12-02")
    # another option (the languages) replaces them without --force
    english = BuildOptions(route="s2", languages=("en",), formats=("docx",))
    changed = run_batch(sheet, out, english, jobs=1, today="2026-12-02", progress=_quiet)
    assert changed.counts["built"] == 4, changed.counts


def test_cohort_summary_files_and_formula_injection(csv_batch) -> None:
    _sheet, out, outcome = csv_batch
    for name in ("cohort.csv", "cohort.xlsx", "cohort.pdf"):
        assert (out / name).is_file(), name
    assert (out / "cohort.csv").read_bytes().startswith(b"\xef\xbb\xbf"), "cohort.csv has no BOM"
    rows = list(csv.DictReader((out / "cohort.csv").open(encoding="utf-8-sig")))
    assert len(rows) == len(outcome.rows)
    evil = [r for r in rows if "HYPERLINK" in r["student"]]
    assert evil and evil[0]["student"].startswith("'="), evil
    assert {r["status"] for r in rows} == {"ready", "sheet error"}
    assert {r["pack"] for r in rows} == {"built", "refused"}
    ws = load_workbook(out / "cohort.xlsx")["cohort"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells), "a formula was written to the XLSX"
    # shown as typed: the text itself starts with '=', the quote prefix keeps it text (no visible apostrophe)
    assert all(c.value.startswith("=") and c.quotePrefix for c in cells), [(c.value, c.quotePrefix) for c in cells]
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(out / "cohort.pdf").pages)
    assert "sheet error" in text and "ready" in text and "Rows to fix" in text


def test_cohort_summary_is_the_same_with_any_number_of_jobs(tmp_path: Path) -> None:
    """Same cohort, same reference date: the same summary files, byte for byte, whatever --jobs is."""
    header, rows = _rows()
    sheet = write_csv(tmp_path / "cohort.csv", header, rows[:2])
    pooled = run_batch(sheet, tmp_path / "pooled", DOCX_ONLY, jobs=2, today=TODAY, progress=_quiet)
    alone = run_batch(sheet, tmp_path / "alone", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    names = ["cohort.csv", "cohort.xlsx", "cohort.ics", "cohort.pdf", "cohort.json"]
    assert pooled.summary_files == alone.summary_files == [*names, "todo/"]
    todo = sorted(p.relative_to(tmp_path / "pooled").as_posix() for p in (tmp_path / "pooled" / "todo").rglob("*.md"))
    assert todo, "no to-do list written"
    for name in names + todo:
        assert (tmp_path / "pooled" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name


def test_neutralise() -> None:
    assert [neutralise(v) for v in ("=1+1", "+1", "-2", "@x", "\tx", "ok", "")] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@x",
        "'\tx",
        "ok",
        "",
    ]


def test_xlsx_cohort_with_date_cells(tmp_path: Path) -> None:
    header, rows = _rows()
    sheet = write_xlsx(tmp_path / "cohort.xlsx", header, rows[:4])
    outcome = run_batch(sheet, tmp_path / "out", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    assert outcome.counts == {"built": 2, "refused": 2}, outcome.counts
    errors = " ".join(e for r in outcome.rows for e in r.errors)
    assert "row 4, column host.uscc" in errors and "row 5, column internship.end" in errors
    built = [r for r in outcome.rows if r.status == "built"]
    assert built[0].result is not None and built[0].result.placement.internship.start.isoformat() == "2027-03-01"


def test_unknown_column_refuses_the_whole_sheet(tmp_path: Path) -> None:
    header, rows = _rows()
    header = ["host.usc" if h == "host.uscc" else h for h in header]
    sheet = write_csv(tmp_path / "cohort.csv", header, rows)
    result = _cli(["batch", str(sheet), "-o", str(tmp_path / "out"), "--format", "docx"])
    assert result.exit_code == 2, result.output
    assert "unknown column 'host.usc'" in result.output and "did you mean 'host.uscc'?" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_folder_cohort_and_cli_exit_status(tmp_path: Path) -> None:
    folder = tmp_path / "placements"
    folder.mkdir()
    shutil.copy(REPO / "samples" / "s2-shanghai.yaml", folder / "a.yaml")
    shutil.copy(REPO / "samples" / "lowlands-logo.png", folder / "lowlands-logo.png")
    (folder / "b.yaml").write_text("student: [\n", encoding="utf-8")  # broken YAML: reported, others built
    result = _cli(["batch", str(folder), "-o", str(tmp_path / "out"), "--format", "docx", "--today", TODAY, "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "1 built" in result.output and "1 refused" in result.output
    assert "b.yaml" in result.output and "not valid YAML" in result.output
    report = json.loads(next((tmp_path / "out").glob("peeters-*/report.json")).read_text(encoding="utf-8"))
    assert report["routes"]["s2"]["verdict"] == "eligible"


def test_a_row_with_no_route_is_a_status_and_refused_by_name_with_strict(tmp_path: Path) -> None:
    """No legal route is an answer about the student, not a typo: status "no route", exit 0, no pack. With
    --strict (build's behaviour) it is a refusal naming the row."""
    folder = tmp_path / "placements"
    folder.mkdir()
    shutil.copy(REPO / "samples" / "no-route.yaml", folder / "nowhere.yaml")
    args = ["batch", str(folder), "-o", str(tmp_path / "out"), "--format", "docx", "--today", TODAY, "-j", "1"]
    result = _cli(args)
    assert result.exit_code == 0, result.output
    assert "1 no route" in result.output and "Error" not in result.output, result.output
    assert packs(tmp_path / "out") == []
    rows = list(csv.DictReader((tmp_path / "out" / "cohort.csv").open(encoding="utf-8-sig")))
    assert rows[0]["status"] == "no route" and rows[0]["action"].startswith("no route: S2 "), rows[0]
    strict = _cli([*args, "--strict"])
    assert strict.exit_code == 2, strict.output
    assert "Error: nowhere.yaml: no route is recommended" in strict.output, strict.output


def test_init_cohort_sheets_are_accepted(tmp_path: Path) -> None:
    for name in ("c.csv", "c.xlsx"):
        result = _cli(["init", "--cohort", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outcome = run_batch(tmp_path / name, tmp_path / f"out-{name}", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
        assert outcome.counts == {"built": 1}, (name, [r.errors for r in outcome.rows])
    again = _cli(["init", "--cohort", str(tmp_path / "c.csv")])
    assert again.exit_code == 2 and "--force" in again.output


def test_progress_plain_lines_when_not_a_terminal() -> None:
    from generator.batch import Row

    stream = io.StringIO()
    bar = Progress(2, stream)
    bar.update(Row(0, "a.yaml", None, folder="a-2027", status="built", seconds=1.25))
    bar.update(Row(1, "b.yaml", None, status="refused", errors=["b.yaml: broken"]))
    # the errors are printed once, by the command at the end, not here as well
    assert stream.getvalue().splitlines() == ["[1/2] built a-2027 (1.2 s)", "[2/2] refused b.yaml (0.0 s)"]


def _cli(args: list[str]):
    from click.testing import CliRunner

    return CliRunner().invoke(cli, args)
