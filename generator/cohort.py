"""Cohort sheets (CSV or XLSX, one row per placement, columns named by dotted paths) → placement sources.

An empty cell is an absent field; list fields take `;`-separated values (or one per line); Excel date
cells and ISO text both work. An unknown column refuses the whole sheet, naming the closest valid one."""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from generator.errors import InputError, Problem
from generator.loader import Loc, Source, decode_utf8

SHEET_SUFFIXES = (".csv", ".xlsx")
PLACEMENT_SUFFIXES = (".yaml", ".yml", ".json")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list(a) for a in get_args(annotation))


@functools.cache
def columns() -> dict[str, bool]:
    """Every leaf field of the placement model as a dotted path → whether it is a list field."""
    from generator.model import Placement

    out: dict[str, bool] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            sub = _model_of(info.annotation)
            if sub is not None and not _is_list(info.annotation):
                walk(sub, path + ".")
            else:
                out[path] = _is_list(info.annotation)

    walk(Placement, "")
    return out


MAX_ROWS = 5000  # placements in one sheet
MAX_SCANNED = 50_000  # rows looked at, blank ones included (a sheet may claim a million)
MAX_CELL = 32_767  # characters in one cell (Excel's own limit)
EXCEL_ERRORS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
)
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


@functools.cache
def date_columns() -> frozenset[str]:
    """The columns holding dates (their cells are checked for day/month/year writing)."""
    from generator.model import Placement

    out: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            sub = _model_of(info.annotation)
            if sub is not None and not _is_list(info.annotation):
                walk(sub, f"{prefix}{name}.")
            elif "date" in repr(info.annotation).lower():
                out.add(f"{prefix}{name}")

    walk(Placement, "")
    return frozenset(out)


def field_words(path: str) -> str:
    """A dotted field path in words: expenses.guarantor.date_of_birth -> "guarantor's date of birth"."""
    parts = [p for p in path.split(".") if not p.isdigit()]
    leaf = parts[-1]
    zh = leaf.endswith("_zh")
    leaf = (leaf[:-3] if zh else leaf).replace("_", " ")
    owner = parts[-2].replace("_", " ") if len(parts) > 1 else ""
    words = f"{owner}'s {leaf}" if owner else leaf
    return words + (" in Chinese" if zh else "")


def letter(index: int) -> str:
    """The spreadsheet letter of a 1-based column number (1 -> A, 27 -> AA)."""
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass
class Sheet:
    """What a cohort sheet (or folder) holds: one source per readable row, the problems of rows that cannot
    be read, and what an advisor should know about the sheet (which worksheet, hidden rows, duplicates)."""

    name: str
    sources: list[Source] = field(default_factory=list)
    row_problems: dict[int, list[str]] = field(default_factory=dict)  # row -> lines (the row is a sheet error)
    row_cells: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> raw cells, for refused rows
    notes: list[str] = field(default_factory=list)  # about the sheet as a whole
    row_notes: dict[int, list[str]] = field(default_factory=dict)
    extras: dict[int, dict[str, str]] = field(default_factory=dict)  # row -> {"#Notes": ...}
    extra_columns: list[str] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)  # column path -> its letter
    unreadable: list[Problem] = field(default_factory=list)  # folder cohorts: files that cannot be read


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text if text.strip() else None


def _echo(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def row_line(sheet: str, row: int, column: str | None, message: str, letters: dict[str, str]) -> str:
    """The one message format of a sheet: ``cohort.xlsx row 7, column internship.start (CH): …``."""
    where = f"{Path(sheet).name} row {row}"
    if column:
        where += f", column {column}" + (f" ({letters[column]})" if column in letters else "")
    return f"{where}: {message}"


_ROW_PATH = re.compile(r"row (\d+)(?:, column (.+))?")


def problem_line(problem: Problem, letters: dict[str, str]) -> str:
    """A Problem about a sheet row (loader.where gives them ``path="row 7, column x.y"``) in the one format."""
    m = _ROW_PATH.fullmatch(problem.path or "")
    if m is None:
        return str(problem)
    text = problem.message + (f" ({problem.hint})" if problem.hint else "")
    return row_line(problem.file or "?", int(m.group(1)), m.group(2), text, letters)


def _check_header(name: str, header: list[str]) -> list[str]:
    header = [str(h).strip() if h is not None else "" for h in header]
    known = columns()
    problems = []
    seen: set[str] = set()
    for n, column in enumerate(header, 1):
        if not column:
            continue
        where = f"column {n} ({letter(n)})"
        if column in seen:
            problems.append(Problem(f"{where} {column!r} appears twice", file=name, line=1, hint="keep one"))
        seen.add(column)
        if column.startswith("#"):
            continue  # the advisor's own column (notes, status...): carried into the summary, not read
        if column not in known:
            close = difflib.get_close_matches(column, list(known), n=1, cutoff=0.6)
            problems.append(
                Problem(
                    f"unknown column {column!r} ({where}); the whole sheet is refused",
                    file=name,
                    line=1,
                    hint=(
                        f"did you mean {close[0]!r}? "
                        if close
                        else "columns are dotted placement paths, e.g. host.uscc; "
                    )
                    + "start your own columns (notes, status) with #",
                )
            )
    if not any(h and not h.startswith("#") for h in header):
        problems.append(
            Problem(
                "the first row does not name any placement column",
                file=name,
                line=1,
                hint="the first row holds the column names (internpack init --cohort writes a sheet to copy)",
            )
        )
    if problems:
        raise InputError(problems)
    return header


@dataclass
class _Raw:
    """One row as read: its cells by column, and why some cells cannot be used."""

    number: int
    cells: list[Any]
    hidden: bool = False
    bad: dict[int, str] = field(default_factory=dict)  # column index (0-based) -> what is wrong


class _BadCell:
    def __init__(self, why: str) -> None:
        self.why = why


def _read_csv(path: Path) -> tuple[list[_Raw], list[str]]:
    name = str(path)
    raw = path.read_bytes()
    text = decode_utf8(raw, name, "save the sheet as 'CSV UTF-8' (Excel) or with the UTF-8 character set (LibreOffice)")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[_Raw] = []
    try:
        for cells in reader:
            if len(rows) > MAX_SCANNED:
                raise InputError(
                    Problem(
                        f"has more than {MAX_SCANNED:,} lines",
                        file=name,
                        hint=f"a cohort sheet holds at most {MAX_ROWS:,} placements: split it",
                    )
                )
            rows.append(_Raw(reader.line_num, list(cells)))
    except csv.Error as exc:
        raise InputError(
            Problem(
                f"cannot be read as CSV after line {reader.line_num} ({exc})",
                file=name,
                line=reader.line_num + 1,
                hint=f"a cell holds at most {MAX_CELL:,} characters; check the quotes of that line",
            )
        ) from None
    # a CSV line is not a sheet row when a quoted cell spans lines: number rows as a spreadsheet shows them
    for n, r in enumerate(rows, 1):
        r.number = n
    names = {";": "semicolons", ",": "commas", "\t": "tabs"}
    return rows, [f"read {path.name} as CSV separated by {names[delimiter]}"] if delimiter != "," else []


def _read_xlsx(path: Path) -> tuple[list[_Raw], list[str], list[str]]:
    """The rows of the worksheet named ``placements`` (else the first), streamed whatever the sheet
    declares its size to be, with hidden rows and merged cells; cells that cannot be read are marked."""
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import WorkSheetParser

    name = str(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(Problem(f"is not a readable XLSX workbook ({type(exc).__name__}: {exc})", file=name)) from None

    class Parser(WorkSheetParser):  # type: ignore[misc]
        def parse_cell(self, element: Any) -> dict[str, Any]:
            try:
                cell: dict[str, Any] = super().parse_cell(element)
            except (ValueError, TypeError, IndexError, OverflowError) as exc:
                raw = element.findtext("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v") or ""
                kind = {"n": "a number", "d": "a date", "b": "true/false", "s": "text"}.get(element.get("t", "n"))
                why = f"the cell is stored as {kind or 'a value'} but holds {_echo(raw)} ({type(exc).__name__})"
                return {"row": self.row_counter, "column": self._column(element), "value": _BadCell(why)}
            if cell["data_type"] == "e":
                cell["value"] = _BadCell(f"holds the Excel error {cell['value']}")
            return cell

        def _column(self, element: Any) -> int:
            from openpyxl.utils.cell import coordinate_to_tuple

            ref = element.get("r")
            if ref:
                self.col_counter = coordinate_to_tuple(ref)[1]
            else:
                self.col_counter += 1
            return int(self.col_counter)

    try:
        titles = wb.sheetnames
        chosen = next((t for t in titles if t.strip().lower() == "placements"), titles[0])
        ws = wb[chosen]
        notes = []
        others = f" (of {', '.join(map(repr, titles))})" if len(titles) > 1 else ""
        notes.append(f"read the worksheet {chosen!r} of {path.name}{others}")
        parser = Parser(
            ws._get_source(),
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        rows: list[_Raw] = []
        last = 0
        filled = 0
        for number, cells in parser.parse():
            last = number
            values: list[Any] = []
            for cell in cells:
                column = int(cell["column"])
                values.extend([None] * (column - 1 - len(values)))
                if column - 1 < len(values):
                    values[column - 1] = cell["value"]
                else:
                    values.append(cell["value"])
            if any(v is not None for v in values):
                filled += 1
            if filled > MAX_ROWS + 1 or number > MAX_SCANNED:
                raise InputError(
                    Problem(
                        f"has more than {MAX_ROWS:,} rows"
                        if filled > MAX_ROWS + 1
                        else f"has rows beyond {MAX_SCANNED:,}",
                        file=name,
                        hint=f"a cohort sheet holds at most {MAX_ROWS:,} placements: split it",
                    )
                )
            dims = parser.row_dimensions.get(str(number), {})
            rows.append(_Raw(number, values, hidden=str(dims.get("hidden", "")).lower() in ("1", "true")))
        merged = [str(r) for r in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet: a cut file, broken XML, a bad zip member
        raise InputError(
            Problem(
                f"the worksheet is damaged after row {last} ({type(exc).__name__}: {str(exc)[:120]})",
                file=name,
                hint="open it in Excel or LibreOffice and save it again",
            )
        ) from None
    finally:
        wb.close()
    return rows, notes, merged


def _merged_cells(rows: list[_Raw], merged: list[str]) -> None:
    """Cells covered by a merged range (all but its top-left one) hold nothing: mark them."""
    if not merged:
        return  # a CSV, or a sheet without merges: openpyxl is not even imported
    from openpyxl.utils.cell import range_boundaries

    by_number = {r.number: r for r in rows}
    for ref in merged:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        for number in range(min_row, min(max_row, min_row + MAX_SCANNED) + 1):
            row = by_number.get(number)
            if row is None:
                continue
            for col in range(min_col, max_col + 1):
                if (number, col) != (min_row, min_col):
                    row.bad.setdefault(
                        col - 1,
                        f"is part of a merged cell ({ref}): only its first cell holds a value "
                        "(unmerge it and fill every row)",
                    )


def _dmy(text: str) -> str | None:
    m = _DMY.fullmatch(text.strip())
    if m is None:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        return None


def _date_hint(name: str, header: list[str], rows: list[_Raw]) -> None:
    """Most date cells written day/month/year: one line for the sheet, not one per cell."""
    dated = [i for i, h in enumerate(header) if h in date_columns()]
    cells = [
        (r, i, text)
        for r in rows
        for i in dated
        if i < len(r.cells) and isinstance(r.cells[i], str) and (text := r.cells[i].strip())
    ]
    dmy = [(r, i, t) for r, i, t in cells if _dmy(t)]
    if dmy and len(dmy) * 2 >= len(cells):
        r, i, t = dmy[0]
        raise InputError(
            Problem(
                f"{len(dmy)} of {len(cells)} date cells are written day/month/year, e.g. row {r.number}, "
                f"column {header[i]}: {t!r}, which would be {_dmy(t)}",
                file=name,
                hint="run again with --dates dmy to read them so, or write dates as YYYY-MM-DD",
            )
        )


def _identity(data: dict[str, Any]) -> str | None:
    """Who a row is about, to find the same student twice: the passport, else name and date of birth."""
    student = data.get("student") or {}
    if not isinstance(student, dict):
        return None
    passport = str(student.get("passport_number") or "").strip().upper()
    family = str(student.get("family_name") or "").strip().lower()
    if passport:  # with the family name: two names on one passport number are two students (a typo)
        return f"passport {passport}, {family}"
    parts = [str(student.get(k) or "").strip().lower() for k in ("family_name", "given_names", "date_of_birth")]
    return "name " + " ".join(parts) if all(parts) else None


def read_sheet(path: Path, dates: str = "iso") -> Sheet:
    name = str(path)
    merged: list[str] = []
    if path.suffix.lower() == ".csv":
        rows, notes = _read_csv(path)
    else:
        rows, notes, merged = _read_xlsx(path)
    if not rows or not any(_cell_text(v) for v in rows[0].cells if not isinstance(v, _BadCell)):
        raise InputError(Problem("is empty: the first row must name the columns", file=name))
    header = _check_header(name, [v if isinstance(v, str) else "" for v in rows[0].cells])
    body = [r for r in rows[1:] if any(v is not None and (not isinstance(v, str) or v.strip()) for v in r.cells)]
    if len(body) > MAX_ROWS:
        raise InputError(
            Problem(
                f"has {len(body):,} rows",
                file=name,
                hint=f"a cohort sheet holds at most {MAX_ROWS:,} placements: split it",
            )
        )
    _merged_cells(rows, merged)
    if dates == "dmy":
        for r in body:
            for i, h in enumerate(header):
                if h in date_columns() and i < len(r.cells) and isinstance(r.cells[i], str):
                    r.cells[i] = _dmy(r.cells[i]) or r.cells[i]
    else:
        _date_hint(name, header, body)
    sheet = Sheet(name=name, notes=notes)
    sheet.letters = {h: letter(n) for n, h in enumerate(header, 1) if h}
    sheet.extra_columns = [h for h in header if h.startswith("#")]
    known = columns()
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    for r in body:
        data: dict[str, Any] = {}
        lines: dict[Loc, int] = {}
        cols: dict[Loc, str] = {}
        flat: dict[str, str] = {}
        problems: list[str] = []
        extras: dict[str, str] = {}
        for i, column in enumerate(header):
            raw = r.cells[i] if i < len(r.cells) else None
            if not column:
                continue
            if isinstance(raw, _BadCell):
                problems.append(row_line(name, r.number, column, raw.why, sheet.letters))
                continue
            if i in r.bad and not column.startswith("#"):
                problems.append(row_line(name, r.number, column, r.bad[i], sheet.letters))
                continue
            text = _cell_text(raw)
            if text is None:
                continue
            if column.startswith("#"):
                extras[column] = text
                continue
            if len(text) > MAX_CELL:
                problems.append(
                    row_line(
                        name,
                        r.number,
                        column,
                        f"is {len(text):,} characters long; a cell holds at most {MAX_CELL:,}",
                        sheet.letters,
                    )
                )
                continue
            if text.strip().upper() in EXCEL_ERRORS:
                problems.append(
                    row_line(
                        name,
                        r.number,
                        column,
                        f"holds the Excel error {text.strip()} (fix the formula or "
                        "the value it refers to, or paste the values only)",
                        sheet.letters,
                    )
                )
                continue
            flat[column] = text
            value: Any = text
            if known[column]:
                parts = text.split("\n") if "\n" in text and ";" not in text else text.split(";")
                value = [p.strip() for p in parts if p.strip()]
            node = data
            keys = column.split(".")
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = value
            loc = tuple(keys)
            cols[loc] = column
            lines[loc] = r.number
        if extras:
            sheet.extras[r.number] = extras
        if r.hidden:
            sheet.row_notes.setdefault(r.number, []).append(
                f"row {r.number} is hidden in the sheet; it was read like the others"
            )
        if problems:
            sheet.row_problems[r.number] = problems
            sheet.row_cells[r.number] = flat
            continue
        if not data:
            continue  # only the advisor's own columns
        identity = _identity(data)
        if identity is not None and identity in seen:
            earlier, earlier_flat = seen[identity]
            differ = sorted(k for k in set(flat) | set(earlier_flat) if flat.get(k) != earlier_flat.get(k))
            sheet.notes.append(
                f"rows {earlier} and {r.number} are the same student ({identity}): row {r.number} is used, "
                f"as the later copy"
                + (
                    f"; they differ in {', '.join(differ[:6])}" + (" …" if len(differ) > 6 else "")
                    if differ
                    else "; they are identical"
                )
            )
            sheet.sources = [s for s in sheet.sources if s.row != earlier]
            sheet.extras.pop(earlier, None)
        if identity is not None:
            seen[identity] = (r.number, flat)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        sheet.sources.append(Source(name=name, data=data, lines=lines, sha256=digest, row=r.number, columns=cols))
    return sheet


def read_cohort_sheet(path: Path, dates: str = "iso") -> Sheet:
    """The placements of a cohort: a folder of placement files or a sheet."""
    from generator.loader import read_source

    if path.is_dir():
        sheet = Sheet(name=str(path))
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in PLACEMENT_SUFFIXES and p.is_file()):
            try:
                sheet.sources.append(read_source(file))
            except InputError as exc:
                sheet.unreadable.extend(exc.problems)
        if not sheet.sources and not sheet.unreadable:
            raise InputError(Problem("holds no placement files (*.yaml, *.yml, *.json)", file=str(path)))
        return sheet
    if path.suffix.lower() in SHEET_SUFFIXES:
        if not path.is_file():
            raise InputError(Problem("does not exist", file=str(path)))
        return read_sheet(path, dates)
    raise InputError(
        Problem("is neither a folder of placement files nor a .csv/.xlsx sheet", file=str(path)),
    )


def read_cohort(path: Path) -> tuple[list[Source], list[Problem]]:
    """The placements of a cohort (folder or sheet), and the files that could not be read at all."""
    sheet = read_cohort_sheet(path)
    return sheet.sources, sheet.unreadable


def example_row(route: str = "s2") -> dict[str, str]:
    """The Shanghai S2 sample (or the X1 one) flattened to one row of the cohort sheet."""
    from generator.loader import parse_text
    from generator.resources import template_path

    data, _ = parse_text(template_path("init", f"placement-{route}.yaml").read_text(encoding="utf-8"), "example")
    try:  # as the model reads it: a part the file gives as one text (a name "Wang Jun (王军)") as its fields
        from generator.model import Placement

        data = Placement.model_validate(data).model_dump(mode="json", exclude_unset=True)
    except ValueError:
        pass
    row: dict[str, str] = {}

    def flat(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                flat(v, f"{prefix}{k}.")
        elif isinstance(value, list):
            row[prefix[:-1]] = ";".join(str(v) for v in value)
        elif value is not None:
            row[prefix[:-1]] = str(value)

    flat(data, "")
    return {k: v for k, v in row.items() if k in columns()}


@functools.cache
def column_help() -> dict[str, dict[str, Any]]:
    """Per column: required or not, the allowed values of an enumeration, whether it holds a date or a list,
    and its meaning (the comment beside it in the commented placement files `internpack init` writes)."""
    from typing import Literal

    from pydantic_core import PydanticUndefined

    from generator.model import Placement
    from generator.resources import template_path

    out: dict[str, dict[str, Any]] = {}

    def allowed(annotation: Any) -> list[str]:
        if get_origin(annotation) is Literal:
            return [str(a) for a in get_args(annotation)]
        for arg in get_args(annotation):
            found = allowed(arg)
            if found:
                return found
        return []

    def walk(model: type[BaseModel], prefix: str, required: bool) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}{name}"
            needed = required and info.is_required() and info.default is PydanticUndefined
            sub = _model_of(info.annotation)
            if sub is not None and not _is_list(info.annotation):
                walk(sub, path + ".", needed)
            else:
                out[path] = {
                    "required": needed,
                    "allowed": allowed(info.annotation),
                    "date": path in date_columns(),
                    "list": _is_list(info.annotation),
                    "meaning": "",
                }

    walk(Placement, "", True)
    key = re.compile(r"^(\s*)(?:# )?([a-z_0-9]+):([^#]*)(?:#\s?(.*))?$")
    for name in ("placement-x1.yaml", "placement-s2.yaml"):
        stack: list[tuple[int, str]] = []
        last = ""
        for line in template_path("init", name).read_text(encoding="utf-8").splitlines():
            m = key.match(line.replace("#   ", "  ", 1) if line.lstrip().startswith("#   ") else line)
            if m is None:
                text = line.strip()
                if text.startswith("#") and last and line.startswith(" " * 20):
                    out[last]["meaning"] += " " + text.lstrip("# ").strip()
                continue
            indent = len(m.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, m.group(2)))
            path = ".".join(k for _, k in stack)
            last = ""
            if path in out and not out[path]["meaning"] and m.group(4):
                out[path]["meaning"] = m.group(4).strip()
                last = path
    return out


def write_cohort_template(path: Path, *, force: bool = False) -> None:
    """An empty cohort sheet: every column and one example row. The CSV starts with a BOM (so Excel shows
    the Chinese); the XLSX marks the required columns, has drop-down lists for the enumerations, date
    validation on the date columns, and a help sheet saying what each column means."""
    if path.exists() and not force:
        raise InputError(f"{path} already exists", hint="use --force to replace it, or give another file name")
    header = [*columns(), "#notes"]
    example = {**example_row(), "#notes": "your own notes: columns starting with # are kept, not read"}
    try:
        if path.suffix.lower() == ".csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerow([example.get(c, "") for c in header])
            path.write_bytes("\ufeff".encode() + buf.getvalue().encode("utf-8"))
        elif path.suffix.lower() == ".xlsx":
            _xlsx_template(path, header, example)
        else:
            raise InputError(f"{path}: a cohort sheet is .csv or .xlsx")
    except OSError as exc:
        raise InputError(f"{path} cannot be written: {exc.strerror}") from exc


def _xlsx_template(path: Path, header: list[str], example: dict[str, str]) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    info = column_help()
    wb = Workbook()
    ws = wb.active
    ws.title = "placements"
    required_fill = PatternFill("solid", fgColor="FFD8A8")
    optional_fill = PatternFill("solid", fgColor="E8EDF3")
    last_row = MAX_ROWS + 1
    for n, column in enumerate(header, 1):
        cell = ws.cell(row=1, column=n, value=column)
        meta = info.get(column, {})
        cell.font = Font(bold=bool(meta.get("required")))
        cell.fill = required_fill if meta.get("required") else optional_fill
        ws.column_dimensions[letter(n)].width = max(12, min(len(column) + 2, 40))
        note = ("REQUIRED. " if meta.get("required") else "") + (meta.get("meaning") or "")
        if meta.get("allowed"):
            note += " Allowed: " + " | ".join(meta["allowed"])
        if note.strip():
            cell.comment = Comment(note.strip(), "internpack")
        value = example.get(column)
        target = ws.cell(row=2, column=n)
        if value and meta.get("date"):
            target.value = date.fromisoformat(value)
            target.number_format = "yyyy-mm-dd"
        elif value:
            target.value = value
            target.data_type = "s"
        rng = f"{letter(n)}2:{letter(n)}{last_row}"
        if meta.get("allowed") and not meta.get("list"):
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(meta["allowed"]) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column,
                error="Allowed: " + " | ".join(meta["allowed"]),
            )
            dv.add(rng)
            ws.add_data_validation(dv)
        elif meta.get("date"):
            dv = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1900,1,1)",
                formula2="DATE(2100,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column,
                error="A date (YYYY-MM-DD)",
            )
            dv.add(rng)
            ws.add_data_validation(dv)
            for r in range(3, 3 + 200):
                ws.cell(row=r, column=n).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C2"
    help_ws = wb.create_sheet("help")
    help_ws.append(["column", "required", "meaning", "allowed values / form"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in header:
        spec = info.get(column)
        if spec is None:
            help_ws.append(
                [
                    column,
                    "",
                    "Your own column: a header starting with # is not read; its values are "
                    "carried into cohort.csv, cohort.xlsx and cohort.pdf (notes, status...)",
                    "",
                ]
            )
            continue
        form = " | ".join(spec["allowed"]) if spec["allowed"] else ""
        if spec["date"]:
            form = "a date: a date cell, or text YYYY-MM-DD (day/month/year text with --dates dmy)"
        elif spec["list"]:
            form = (form + "; " if form else "") + "a list: values separated by ; or one per line"
        meaning = spec["meaning"] or field_words(column)[:1].upper() + field_words(column)[1:]
        help_ws.append([column, "required" if spec["required"] else "", meaning, form])
    help_ws.append([])
    help_ws.append(
        [
            "",
            "",
            "internpack reads the worksheet named 'placements' (else the first one); the first "
            "row names the columns; an empty cell is an absent field.",
            "",
        ]
    )
    widths = (34, 10, 70, 40)
    for row in help_ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
        # as high as its longest text (a spreadsheet does not size the rows a file leaves unsized)
        lines = max(-(-len(str(c.value or "")) // (w - 2)) for c, w in zip(row, widths, strict=False))
        if lines > 1:
            help_ws.row_dimensions[row[0].row].height = 12.75 * lines
    for col, width in zip("ABCD", widths, strict=True):
        help_ws.column_dimensions[col].width = width
    help_ws.page_setup.orientation = "landscape"
    help_ws.page_setup.fitToWidth, help_ws.page_setup.fitToHeight = 1, 0
    help_ws.sheet_properties.pageSetUpPr.fitToPage = True
    help_ws.print_title_rows = "1:1"
    wb.save(path)
