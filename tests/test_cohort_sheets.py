"""Cohort sheets as Excel and LibreOffice write them, and as a hostile file may be (issues 13 and 15): stale or
huge declared dimensions, cells whose type does not match their text, cut XML, Excel error values, merged and
hidden rows, duplicates, `;`-separated CSV with a BOM, day/month/year dates, the advisor's own # columns,
the worksheet named `placements`, and the template `init --cohort` writes."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from generator.batch import Progress, run_batch
from generator.cohort import MAX_ROWS, columns, date_columns, example_row, read_sheet
from generator.errors import InputError
from generator.pack import BuildOptions

DOCX_ONLY = BuildOptions(route="s2", languages=("en", "zh"), formats=("docx",))
TODAY = "2026-12-01"


def _row(**changes: str) -> dict[str, str]:
    return {**example_row(), **changes}


def _students(n: int) -> list[dict[str, str]]:
    return [_row(**{"student.family_name": f"Student{k}", "student.passport_number": f"EN{k:07d}"}) for k in range(n)]


def _xlsx(path: Path, rows: list[dict[str, str]], *, header: list[str] | None = None, title: str = "Sheet1") -> Path:
    """A workbook as Excel writes one: a header row, then the rows; dates as date cells."""
    header = header or list(columns())
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        cells: list[object] = []
        for col in header:
            value = r.get(col) or None
            if value and col in ("internship.start", "internship.end"):
                cells.append(date.fromisoformat(value))
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)
    return path


def _patch_sheet(path: Path, change) -> Path:
    """Rewrite xl/worksheets/sheet1.xml of a workbook with ``change(xml) -> xml``."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    members["xl/worksheets/sheet1.xml"] = change(members["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _errors(exc: pytest.ExceptionInfo[InputError]) -> str:
    return "\n".join(exc.value.lines())


def _quiet(total: int) -> Progress:
    return Progress(total, io.StringIO())


# -- issue 13: hostile and damaged workbooks ----------------------------------------------------------


@pytest.mark.parametrize("ref", ["A1", "A1:DZ2"])
def test_a_stale_dimension_loses_no_row(tmp_path: Path, ref: str) -> None:
    sheet = _patch_sheet(
        _xlsx(tmp_path / "c.xlsx", _students(3)),
        lambda x: re.sub(r'<dimension ref="[^"]+"', f'<dimension ref="{ref}"', x),
    )
    assert f'<dimension ref="{ref}"' in zipfile.ZipFile(sheet).read("xl/worksheets/sheet1.xml").decode()
    assert [s.row for s in read_sheet(sheet).sources] == [2, 3, 4]


def test_a_declared_million_rows_is_not_trusted(tmp_path: Path) -> None:
    sheet = _patch_sheet(
        _xlsx(tmp_path / "c.xlsx", _students(2)),
        lambda x: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"', x),
    )
    started = time.perf_counter()
    assert len(read_sheet(sheet).sources) == 2
    assert time.perf_counter() - started < 5


def test_more_rows_than_the_cap_are_refused_quickly(tmp_path: Path) -> None:
    """100 000 rows: refused with a clear error once the cap is passed, without reading them all."""
    header = ["student.family_name", "student.given_names"]

    def rows(x: str) -> str:
        body = "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>F{n}</t></is></c></row>' for n in range(2, 100_002)
        )
        return re.sub(r"</row>", "</row>" + body, x, count=1)

    sheet = _patch_sheet(_xlsx(tmp_path / "c.xlsx", [], header=header), rows)
    started = time.perf_counter()
    with pytest.raises(InputError) as exc:
        read_sheet(sheet)
    assert time.perf_counter() - started < 20
    assert f"more than {MAX_ROWS:,} rows" in _errors(exc) and "split it" in _errors(exc)


def test_a_numeric_cell_holding_text_and_a_bad_date_cell_are_named(tmp_path: Path) -> None:
    sheet = _xlsx(tmp_path / "c.xlsx", _students(3))
    header = list(columns())
    col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = header.index("student.family_name")
    letter = col[n] if n < 26 else col[n // 26 - 1] + col[n % 26]

    def damage(x: str) -> str:
        x = re.sub(rf'<c r="{letter}2"[^>]*>.*?</c>', f'<c r="{letter}2" t="n"><v>abc</v></c>', x, count=1)
        return re.sub(rf'<c r="{letter}3"[^>]*>.*?</c>', f'<c r="{letter}3" t="d"><v>not-a-date</v></c>', x, count=1)

    read = read_sheet(_patch_sheet(sheet, damage))
    assert [s.row for s in read.sources] == [4]
    assert read.row_problems[2] == [
        f"c.xlsx row 2, column student.family_name ({letter}): the cell is stored as a number but holds 'abc' "
        "(ValueError)"
    ]
    assert "stored as a date but holds 'not-a-date'" in read.row_problems[3][0]


def test_a_sheet_cut_in_half_is_refused_cleanly(tmp_path: Path) -> None:
    sheet = _patch_sheet(_xlsx(tmp_path / "c.xlsx", _students(20)), lambda x: x[: len(x) // 2])
    with pytest.raises(InputError) as exc:
        read_sheet(sheet)
    assert "the worksheet is damaged after row" in _errors(exc) and "save it again" in _errors(exc)


def test_a_truncated_zip_is_not_a_traceback(tmp_path: Path) -> None:
    sheet = _xlsx(tmp_path / "c.xlsx", _students(2))
    sheet.write_bytes(sheet.read_bytes()[:2000])
    with pytest.raises(InputError) as exc:
        read_sheet(sheet)
    assert "is not a readable XLSX workbook" in _errors(exc)


@pytest.mark.parametrize("value", ["#REF!", "#DIV/0!", "#N/A", "#VALUE!"])
def test_excel_error_values_are_refused_with_the_cell_named(tmp_path: Path, value: str) -> None:
    sheet = _xlsx(tmp_path / "c.xlsx", _students(2))

    def error_cell(x: str) -> str:  # as Excel stores a formula whose cached result is an error
        return re.sub(r'<c r="B3"[^>]*>.*?</c>', f'<c r="B3" t="e"><f>1/0</f><v>{value}</v></c>', x, count=1)

    read = read_sheet(_patch_sheet(sheet, error_cell))
    header = list(columns())
    assert read.row_problems[3] == [f"c.xlsx row 3, column {header[1]} (B): holds the Excel error {value}"]
    # and typed as text, as a CSV export writes them
    rows = _students(2)
    rows[0]["host.name_en"] = value
    csv_sheet = _csv(tmp_path / "c.csv", rows)
    problems = read_sheet(csv_sheet).row_problems[2][0]
    assert f"column host.name_en ({_letter('host.name_en')}): holds the Excel error {value}" in problems


def test_a_csv_cell_of_140000_characters_is_an_input_error(tmp_path: Path) -> None:
    rows = _students(2)
    rows[1]["internship.relevance"] = "x" * 140_000
    with pytest.raises(InputError) as exc:
        read_sheet(_csv(tmp_path / "c.csv", rows))
    assert "a cell holds at most 32,767 characters" in _errors(exc)
    rows[1]["internship.relevance"] = "x" * 40_000  # under csv's own limit, over a cell's
    read = read_sheet(_csv(tmp_path / "d.csv", rows))
    assert "is 40,000 characters long; a cell holds at most 32,767" in read.row_problems[3][0]


def test_merged_cells_are_named_as_such(tmp_path: Path) -> None:
    sheet = _xlsx(tmp_path / "c.xlsx", _students(3))
    wb = load_workbook(sheet)
    ws = wb.active
    col = _letter("host.name_en")
    ws.merge_cells(f"{col}2:{col}3")  # as an advisor merges "same host" cells
    wb.save(sheet)
    read = read_sheet(sheet)
    assert [s.row for s in read.sources] == [2, 4]
    assert read.row_problems[3] == [
        f"c.xlsx row 3, column host.name_en ({col}): is part of a merged cell ({col}2:{col}3): only its first "
        "cell holds a value (unmerge it and fill every row)"
    ]


def test_summary_of_5000_rows_takes_linear_time(tmp_path: Path) -> None:
    """cohort.xlsx is written row by row (it took quadratic time: 500 rows 0.7 s, 5 000 rows 58 s). Measured
    against 1 000 rows in the same process, so that a busy machine does not decide the test: five times the
    rows may take about five times as long, not 25."""
    from generator import overview

    keys = list(overview.COLUMNS)

    def timed(n: int) -> tuple[float, bytes]:
        data = [{k: f"value {r} {k}" for k in keys} | {"row": r, "start": date(2027, 3, 1)} for r in range(n)]
        started = time.perf_counter()
        content = overview.xlsx_bytes(data, keys, [], date(2026, 12, 1))
        return time.perf_counter() - started, content

    small, _ = timed(1000)
    large, content = timed(5000)
    assert large < 9 * small and large < 60, (small, large)
    ws = load_workbook(io.BytesIO(content), read_only=True)["cohort"]
    assert ws.max_row == 5001


# -- issue 15: sheets as advisors keep them ------------------------------------------------------------


def _letter(column: str) -> str:
    from generator.cohort import letter

    return letter(list(columns()).index(column) + 1)


def _csv(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",", bom: bool = False, header=None) -> Path:
    header = header or list(columns())
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(c, "") for c in header])
    path.write_bytes(("\ufeff" if bom else "").encode() + buf.getvalue().encode("utf-8"))
    return path


def _dmy(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (";", False), ("\t", True), (",", True)])
def test_csv_delimiters_are_sniffed_with_or_without_bom(tmp_path: Path, delimiter: str, bom: bool) -> None:
    """Excel's "CSV" in BE/NL/FR/DE/LU separates with ';' (and LibreOffice may use tabs)."""
    rows = _students(2)
    rows[0]["host.name_en"] = "Lowlands; Trading, (Shanghai) Co."  # the delimiter inside a quoted cell
    read = read_sheet(_csv(tmp_path / "c.csv", rows, delimiter=delimiter, bom=bom))
    assert [s.row for s in read.sources] == [2, 3] and not read.row_problems
    assert read.sources[0].data["host"]["name_en"] == "Lowlands; Trading, (Shanghai) Co."
    assert read.sources[0].data["student"]["family_name"] == "Student0"


def test_day_month_year_dates_get_one_hint_and_dates_dmy_reads_them(tmp_path: Path) -> None:
    rows = _students(30)
    for r in rows:  # a regional Excel writes every date so
        for col in date_columns():
            if r.get(col):
                r[col] = _dmy(r[col])
    sheet = _csv(tmp_path / "c.csv", rows, delimiter=";", bom=True)
    with pytest.raises(InputError) as exc:
        read_sheet(sheet)
    lines = exc.value.lines()
    assert len(lines) == 1, lines
    birth = example_row()["student.date_of_birth"]
    assert "300 of 300 date cells are written day/month/year" in lines[0], lines
    assert f"row 2, column student.date_of_birth: {_dmy(birth)!r}, which would be {birth}" in lines[0]
    assert "--dates dmy" in lines[0]
    start = example_row()["internship.start"]
    read = read_sheet(sheet, dates="dmy")
    assert read.sources[0].data["internship"]["start"] == start and not read.row_problems


def test_hash_columns_are_carried_and_unknown_columns_still_refused(tmp_path: Path) -> None:
    header = [*columns(), "#Notes", "# Status"]
    rows = _students(2)
    rows[0]["#Notes"] = "called on 12/11"
    rows[1]["# Status"] = "=waiting"
    sheet = _csv(tmp_path / "c.csv", rows, header=header)
    out = tmp_path / "out"
    outcome = run_batch(sheet, out, DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    assert outcome.states["ready"] == 2, [(r.label, r.state, r.errors) for r in outcome.rows]
    summary = list(csv.DictReader((out / "cohort.csv").open(encoding="utf-8-sig")))
    assert summary[0]["#Notes"] == "called on 12/11" and summary[1]["# Status"] == "'=waiting"
    ws = load_workbook(out / "cohort.xlsx")["cohort"]
    titles = [c.value for c in ws[1]]
    assert "#Notes" in titles and ws.cell(row=2, column=titles.index("#Notes") + 1).value == "called on 12/11"
    bad = _csv(tmp_path / "bad.csv", rows, header=[*columns(), "Notes"])
    with pytest.raises(InputError) as exc:
        read_sheet(bad)
    assert "unknown column 'Notes'" in _errors(exc) and "start your own columns (notes, status) with #" in _errors(exc)


def test_the_sheet_named_placements_is_read_and_named(tmp_path: Path) -> None:
    sheet = tmp_path / "c.xlsx"
    wb = Workbook()
    wb.active.title = "Instructions"
    wb.active.append(["Fill in the placements sheet"])
    ws = wb.create_sheet("Placements")
    header = list(columns())
    ws.append(header)
    ws.append([_students(1)[0].get(c) or None for c in header])
    wb.save(sheet)
    read = read_sheet(sheet)
    assert len(read.sources) == 1
    assert read.notes[0] == "read the worksheet 'Placements' of c.xlsx (of 'Instructions', 'Placements')"


def test_hidden_rows_and_duplicates_are_named(tmp_path: Path) -> None:
    rows = _students(3)
    rows.append({**rows[0], "internship.end": "2027-08-31", "host.district": "Jing'an"})  # an updated copy
    sheet = _xlsx(tmp_path / "c.xlsx", rows)
    wb = load_workbook(sheet)
    wb.active.row_dimensions[3].hidden = True
    wb.save(sheet)
    read = read_sheet(sheet)
    assert [s.row for s in read.sources] == [3, 4, 5], "the later copy of row 2 wins"
    assert read.notes == [
        "read the worksheet 'Sheet1' of c.xlsx",
        "rows 2 and 5 are the same student (passport EN0000000, student0): row 5 is used, as the later copy; "
        "they differ in host.district, internship.end",
    ]
    assert read.row_notes[3] == ["row 3 is hidden in the sheet; it was read like the others"]


def test_init_cohort_template(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from generator.cli import cli

    csv_path, xlsx_path = tmp_path / "c.csv", tmp_path / "c.xlsx"
    for path in (csv_path, xlsx_path):
        assert CliRunner().invoke(cli, ["init", "--cohort", str(path)]).exit_code == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to show the Chinese"
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == ["placements", "help"]
    ws = wb["placements"]
    header = [c.value for c in ws[1]]
    assert header[-1] == "#notes"
    family = ws.cell(row=1, column=header.index("student.family_name") + 1)
    assert family.font.b and "REQUIRED" in family.comment.text, "required columns are marked"
    validations = {str(dv.sqref).split(":")[0][:-1]: dv for dv in ws.data_validations.dataValidation}
    zone = validations[_letter("host.zone")]
    assert zone.type == "list" and "zhongguancun" in zone.formula1
    start = validations[_letter("internship.start")]
    assert start.type == "date"
    assert isinstance(ws.cell(row=2, column=header.index("internship.start") + 1).value, date)
    help_rows = {r[0]: r for r in wb["help"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert help_rows["student.family_name"][1] == "required"
    assert "F | M | X" in help_rows["student.sex"][3]
    assert "#" in help_rows["#notes"][2]


def test_a_csv_of_more_rows_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("student.family_name\n" + "".join(f"F{n}\n" for n in range(MAX_ROWS + 1)), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_sheet(path)
    assert f"has {MAX_ROWS + 1:,} rows" in _errors(exc) and "split it" in _errors(exc)
