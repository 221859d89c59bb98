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
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from generator.errors import InputError, Problem
from generator.loader import Loc, Source

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
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            sub = _model_of(field.annotation)
            if sub is not None and not _is_list(field.annotation):
                walk(sub, path + ".")
            else:
                out[path] = _is_list(field.annotation)

    walk(Placement, "")
    return out


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


def _row_source(name: str, row_number: int, header: list[str], cells: list[Any]) -> Source | None:
    data: dict[str, Any] = {}
    lines: dict[Loc, int] = {}
    cols: dict[Loc, str] = {}
    known = columns()
    for column, raw in zip(header, cells, strict=False):
        if not column:
            continue
        text = _cell_text(raw)
        if text is None:
            continue
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
        lines[loc] = row_number
    if not data:
        return None  # a blank row
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Source(name=name, data=data, lines=lines, sha256=digest, row=row_number, columns=cols)


def _check_header(name: str, header: list[str]) -> list[str]:
    header = [str(h).strip() if h is not None else "" for h in header]
    known = columns()
    problems = []
    seen: set[str] = set()
    for n, column in enumerate(header, 1):
        if not column:
            continue
        if column in seen:
            problems.append(Problem(f"column {n} {column!r} appears twice", file=name, line=1, hint="keep one"))
        seen.add(column)
        if column not in known:
            close = difflib.get_close_matches(column, list(known), n=1, cutoff=0.6)
            problems.append(
                Problem(
                    f"unknown column {column!r} (column {n}); the whole sheet is refused",
                    file=name,
                    line=1,
                    hint=f"did you mean {close[0]!r}?"
                    if close
                    else "columns are dotted placement paths, e.g. host.uscc",
                )
            )
    if problems:
        raise InputError(problems)
    return header


def read_sheet(path: Path) -> list[Source]:
    name = str(path)
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(Problem("is not UTF-8 text", file=name, hint="save the sheet as CSV UTF-8")) from None
        rows = list(csv.reader(io.StringIO(text)))
    else:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(Problem(f"is not a readable XLSX workbook ({exc})", file=name)) from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    if not rows:
        raise InputError(Problem("is empty: the first row must name the columns", file=name))
    header = _check_header(name, [str(h) if h is not None else "" for h in rows[0]])
    sources = []
    for n, cells in enumerate(rows[1:], start=2):
        source = _row_source(name, n, header, cells)
        if source is not None:
            sources.append(source)
    return sources


def read_cohort(path: Path) -> tuple[list[Source], list[Problem]]:
    """The placements of a cohort (folder or sheet), and the files that could not be read at all."""
    from generator.loader import read_source

    if path.is_dir():
        sources, problems = [], []
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in PLACEMENT_SUFFIXES and p.is_file()):
            try:
                sources.append(read_source(file))
            except InputError as exc:
                problems.extend(exc.problems)
        if not sources and not problems:
            raise InputError(Problem("holds no placement files (*.yaml, *.yml, *.json)", file=str(path)))
        return sources, problems
    if path.suffix.lower() in SHEET_SUFFIXES:
        if not path.is_file():
            raise InputError(Problem("does not exist", file=str(path)))
        return read_sheet(path), []
    raise InputError(
        Problem("is neither a folder of placement files nor a .csv/.xlsx sheet", file=str(path)),
    )


def example_row() -> dict[str, str]:
    """The Shanghai S2 sample flattened to one row of the cohort sheet."""
    from generator.loader import parse_text
    from generator.resources import template_path

    data, _ = parse_text(template_path("init", "placement-s2.yaml").read_text(encoding="utf-8"), "example")
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


def write_cohort_template(path: Path, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise InputError(f"{path} already exists", hint="use --force to replace it, or give another file name")
    header = list(columns())
    example = example_row()
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerow([example.get(c, "") for c in header])
        path.write_text(buf.getvalue(), encoding="utf-8")
    elif path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "placements"
        ws.append(header)
        ws.append([example.get(c) or None for c in header])
        for cell in ws[2]:
            cell.data_type = "s" if cell.value is not None else cell.data_type
        ws.freeze_panes = "A2"
        wb.save(path)
    else:
        raise InputError(f"{path}: a cohort sheet is .csv or .xlsx")
