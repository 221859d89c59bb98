"""The cohort overview `batch` writes into OUT: cohort.csv, cohort.xlsx (with a Deadlines sheet), cohort.pdf
(timeline, what is due in the next 30 days, one line per student, the rows to fix), cohort.ics, and todo/
(what each student and each host contact must still provide, ready to paste into an e-mail).

Everything here is refreshed on every run from the rows' current assessments (statuses, deadlines, "days to
start" depend on the reference date); the packs themselves are not touched."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from collections import Counter, defaultdict
from copy import copy
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.cohort import field_words

if TYPE_CHECKING:
    from generator.batch import Row
    from generator.result import CheckResult

STATES = ("sheet error", "failed", "no route", "route ineligible", "draft", "ready")
STATE_LABELS = {
    "sheet error": "the row could not be read",
    "failed": "the pack could not be built",
    "no route": "no legal route",
    "route ineligible": "built for a route that is ineligible",
    "draft": "letters with placeholders",
    "ready": "ready to send",
}
WHO = {
    "student": "the student",
    "host": "the host company",
    "home_university": "the home university",
    "china_university": "the Chinese university",
    "guarantor": "the guarantor",
}
WHO_ZH = {"host": "实习单位", "student": "学生", "china_university": "中国高校", "home_university": "国外院校"}
PHASES = {
    "before_departure": "before departure",
    "before_start": "before the internship starts",
    "on_arrival": "on arrival",
}
DUE_DAYS = 30

COLUMNS = (
    "row",
    "student",
    "status",
    "action",
    "start",
    "end",
    "days_to_start",
    "next_deadline",
    "next_deadline_what",
    "route_built",
    "verdict",
    "recommended",
    "placeholders",
    "host",
    "city",
    "district",
    "student_email",
    "host_contact_email",
    "placeholder_fields",
    "untranslated",
    "s2_verdict",
    "s2_codes",
    "x1_verdict",
    "x1_codes",
    "pack",
    "folder",
    "notes",
    "errors",
)
PRINTED = 15  # the columns cohort.xlsx prints on a landscape page, from row to city (the rest stay on screen)
HEADINGS = {
    "row": "Row",
    "student": "Student",
    "student_email": "Student e-mail",
    "host": "Host",
    "host_contact_email": "Host contact e-mail",
    "city": "City",
    "district": "District / zone",
    "start": "Start",
    "end": "End",
    "days_to_start": "Days to start",
    "recommended": "Recommended",
    "route_built": "Route built",
    "verdict": "Verdict (built)",
    "status": "Status",
    "placeholders": "Placeholders",
    "placeholder_fields": "Missing fields",
    "untranslated": "Untranslated",
    "next_deadline": "Next deadline",
    "next_deadline_what": "Next deadline: what",
    "action": "Action",
    "s2_verdict": "S2",
    "s2_codes": "S2 findings",
    "x1_verdict": "X1",
    "x1_codes": "X1 findings",
    "pack": "Pack",
    "folder": "Folder",
    "notes": "Notes",
    "errors": "Errors",
}


# -- words for people --------------------------------------------------------------------------------


def code_label(result: CheckResult, code: str) -> str:
    """The finding's label from the rules data (a few words), else its code in words."""
    rule = result.rules.findings.get(code)
    label = getattr(rule, "label", None) if rule is not None else None
    if isinstance(label, dict) and label.get("en"):
        return str(label["en"])
    return code.replace("_", " ").capitalize()


def _no_flags(text: str) -> str:
    """An error line for the overview: the command-line advice in brackets left out."""
    return re.sub(r" \([^()]*--[a-z][^()]*\)", "", text)


# -- the rows ----------------------------------------------------------------------------------------


@dataclass
class Due:
    day: date
    student: str
    folder: str
    route: str
    id: str
    title: str
    title_zh: str
    status: str
    basis: str


def deadlines(rows: list[Row]) -> list[Due]:
    """Every deadline of every route built (or kept), across the cohort, by date."""
    out = []
    for row in rows:
        if row.result is None or not row.folder or row.state not in ("ready", "draft", "route ineligible"):
            continue
        for route in row.routes:
            for d in row.result.assessment.routes[route].deadlines:
                out.append(
                    Due(
                        d.date,
                        row.result.placement.student.full_name,
                        row.folder,
                        route,
                        d.id,
                        d.title,
                        d.title_zh,
                        d.status,
                        d.basis,
                    )
                )
    return sorted(out, key=lambda d: (d.day, d.student, d.route, d.id))


def _next_deadline(row: Row) -> Any:
    if row.result is None:
        return None
    routes = row.routes or (
        [row.result.assessment.recommended_route] if row.result.assessment.recommended_route else []
    )
    pending = [d for r in routes for d in row.result.assessment.routes[r].deadlines if d.status != "done"]
    return min(pending, key=lambda d: (d.date, d.id)) if pending else None


def action(row: Row) -> str:
    """One line in plain words: what to do about this student next."""
    r = row.result
    if row.state == "sheet error" or r is None:
        first = row.errors[0].split(": ", 1)[-1] if row.errors else "the row could not be read"
        return "fix the row: " + _no_flags(first)
    if row.state == "failed":
        return "the pack could not be built: " + (_no_flags(row.errors[0]) if row.errors else "see the errors")
    a = r.assessment

    def blocks(route: str) -> str:
        labels = [code_label(r, f.code) for f in a.routes[route].findings if f.severity == "block"]
        return "; ".join(labels[:2]) or a.routes[route].verdict

    if row.state == "no route":
        return f"no route: S2 {blocks('s2')}; X1 {blocks('x1')}"
    parts = []
    for route in row.routes:
        if a.routes[route].verdict == "ineligible":
            parts.append(f"{route.upper()} built by name but ineligible: {blocks(route)}")
    if row.blanks:
        named = ", ".join(field_words(f) for f in row.blanks[:3]) + (" …" if len(row.blanks) > 3 else "")
        parts.append(f"{len(row.blanks)} field{'s' if len(row.blanks) != 1 else ''} missing: {named}")
    if row.status == "refused" and row.errors:
        parts.append(_no_flags(row.errors[0].split(": ", 1)[-1]))
    if not parts:
        confirm = [
            code_label(r, f.code) for route in row.routes for f in a.routes[route].findings if f.severity == "confirm"
        ]
        nxt = _next_deadline(row)
        if confirm:
            parts.append("confirm: " + "; ".join(dict.fromkeys(confirm)))
        if nxt is not None:
            parts.append(f"{'late' if nxt.status == 'late' else 'next'}: {nxt.title} by {nxt.date.isoformat()}")
        if not parts:
            parts.append("send the pack")
    return "; ".join(parts)


def entries(rows: list[Row], day: date, extra_columns: list[str]) -> list[dict[str, Any]]:
    """One summary entry per row: typed values (int, date, str), the keys of COLUMNS then the # columns."""
    out = []
    for row in rows:
        e: dict[str, Any] = {k: "" for k in COLUMNS}
        e.update({c: row.extras.get(c, "") for c in extra_columns})
        e["blocking"] = []  # the block findings of the routes built (of both when none is), for cohort.pdf
        e["row"] = row.sheet_row if row.sheet_row is not None else row.label
        e["status"] = row.state
        e["pack"] = {"pending": "", "skipped": "none"}.get(row.status, row.status)
        e["folder"] = row.folder or ""
        e["notes"] = "\n".join(row.notes)
        e["errors"] = "\n".join(row.errors)
        e["action"] = action(row)
        r = row.result
        if r is None:
            e.update({k: v for k, v in row.cells.items() if k in e})
            out.append(e)
            continue
        p, a = r.placement, r.assessment
        e.update(
            student=p.student.full_name,
            student_email=p.student.email or "",
            host=p.host.name_en,
            host_contact_email=(p.host.contact.email if p.host.contact and p.host.contact.email else "")
            or (p.host.email or ""),
            city=p.host.city,
            district=" · ".join(x for x in (p.host.district or "", p.host.zone or "") if x),
            start=p.internship.start,
            end=p.internship.end,
            days_to_start=(p.internship.start - day).days,
            recommended=a.recommended_route.upper() if a.recommended_route else "none",
            route_built=" + ".join(x.upper() for x in row.routes),
            verdict=" + ".join(a.routes[x].verdict for x in row.routes),
            placeholders=len(row.blanks) if row.routes else "",
            placeholder_fields=", ".join(row.blanks[:5]) + (" …" if len(row.blanks) > 5 else ""),
            untranslated=row.untranslated if row.routes else "",
        )
        e["arrival_day"] = p.stay.arrival or p.internship.start
        e["departure_day"] = max(p.stay.departure or p.internship.end, e["arrival_day"])
        nxt = _next_deadline(row)
        if nxt is not None:
            e["next_deadline"] = nxt.date
            e["next_deadline_what"] = nxt.title + (" (late)" if nxt.status == "late" else "")
        e["blocking"] = [
            {"route": route.upper(), "label": code_label(r, f.code), "code": f.code}
            for route in (row.routes or ["s2", "x1"])
            for f in a.routes[route].findings
            if f.severity == "block"
        ]
        for route in ("s2", "x1"):
            ra = a.routes[route]
            e[f"{route}_verdict"] = ra.verdict
            e[f"{route}_codes"] = " ".join(f.code for f in ra.findings if f.severity in ("block", "confirm"))
        out.append(e)
    return out


def _order(e: dict[str, Any]) -> tuple[int, str]:
    """Blocked, no-route and early starters first."""
    start = e["start"].isoformat() if isinstance(e["start"], date) else "9999"
    return (STATES.index(e["status"]) if e["status"] in STATES else 0, start)


# -- files -------------------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ (or a tab/CR) is prefixed with '."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value


def _text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def csv_bytes(data: list[dict[str, Any]], keys: list[str]) -> bytes:
    """cohort.csv: UTF-8 with a BOM (so Excel shows the Chinese), formula-guarded."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(keys)
    for e in data:
        writer.writerow([neutralise(_text(e[k])) for k in keys])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def ics_bytes(dues: list[Due], day: date) -> bytes:
    """cohort.ics: every deadline of every route built, with the same stable UIDs on every run."""
    from generator.calendar import CalendarEvent, calendar_bytes

    events = [
        CalendarEvent(
            uid=f"{d.folder}-{d.route}-{d.id}",
            day=d.day,
            summary=f"{d.student}: {d.title} ({d.route.upper()})",
            description=f"{d.title_zh}\n{d.basis}\nStatus on {day.isoformat()}: {d.status}\nPack: {d.folder}",
            categories=(f"internpack-{d.route}", d.status),
            remind=d.status == "upcoming",
        )
        for d in dues
    ]
    return calendar_bytes("Cohort deadlines", "-//internpack//cohort deadlines//EN", events, day)


def json_bytes(data: list[dict[str, Any]], keys: list[str], dues: list[Due], day: date, pdf_key: str) -> bytes:
    """cohort.json: the overview for programs (the same rows and deadlines as the sheets), and the digest of
    what cohort.pdf shows, so an unchanged overview is not laid out again."""
    import json

    doc = {
        "schema": 1,
        "tool_version": __version__,
        "reference_date": day.isoformat(),
        "rows": [{k: _text(e[k]) for k in keys} for e in data],
        "deadlines": [
            {
                "date": d.day.isoformat(),
                "student": d.student,
                "folder": d.folder,
                "route": d.route,
                "id": d.id,
                "title": d.title,
                "status": d.status,
            }
            for d in dues
        ],
        "pdf_sha256_of_html": pdf_key,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()


def pdf_key(out: Path) -> str | None:
    """The digest of what OUT/cohort.pdf shows, as the last run recorded it in cohort.json."""
    import json

    try:
        key = json.loads((out / "cohort.json").read_text(encoding="utf-8")).get("pdf_sha256_of_html")
    except (OSError, ValueError, AttributeError):
        return None
    return key if isinstance(key, str) else None


_WIDTHS = {
    "row": 6,
    "student": 22,
    "student_email": 24,
    "host": 24,
    "host_contact_email": 24,
    "city": 11,
    "district": 14,
    "start": 11,
    "end": 11,
    "days_to_start": 8,
    "recommended": 12,
    "route_built": 8,
    "verdict": 13,
    "status": 14,
    "placeholders": 12,
    "placeholder_fields": 30,
    "untranslated": 12,
    "next_deadline": 11,
    "next_deadline_what": 26,
    "action": 44,
    "s2_verdict": 10,
    "s2_codes": 28,
    "x1_verdict": 10,
    "x1_codes": 28,
    "pack": 8,
    "folder": 30,
    "notes": 40,
    "errors": 60,
}
_WRAP = {"action", "notes", "errors", "placeholder_fields", "s2_codes", "x1_codes", "next_deadline_what"}
_FILLS = {
    "eligible": "D9F2D9",
    "uncertain": "FFF1C2",
    "ineligible": "FFD6D6",
    "ready": "D9F2D9",
    "draft": "FFF1C2",
    "route ineligible": "FFD6D6",
    "no route": "FFD6D6",
    "sheet error": "E0E0E0",
    "failed": "E0E0E0",
}


def xlsx_bytes(data: list[dict[str, Any]], keys: list[str], dues: list[Due], day: date) -> bytes:
    """cohort.xlsx: the cohort sheet (typed cells, widths, wrapped text, verdict fills, printable on landscape
    pages with the header repeated) and a Deadlines sheet. Rows are written by number, never by scanning the
    sheet (5 000 rows in seconds)."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    from generator.render.docx import normalise_zip

    wb = Workbook()
    bold, top, wrap = Font(bold=True), Alignment(vertical="top"), Alignment(vertical="top", wrap_text=True)
    fills = {k: PatternFill("solid", fgColor=v) for k, v in _FILLS.items()}

    styles: dict[tuple[bool, str, bool, bool], Any] = {}

    def style(key: tuple[bool, str, bool, bool]) -> Any:
        """The cell style of a kind of cell, made once (styling each cell anew took most of the time)."""
        wrapped, fill, quoted, dated = key
        cell = scratch.cell(row=1, column=len(styles) + 1)
        cell.alignment = wrap if wrapped else top
        if fill:
            cell.fill = fills[fill]
        if quoted:
            cell.quotePrefix = True  # shown as typed, without a visible apostrophe
        if dated:
            cell.number_format = "yyyy-mm-dd"
        styles[key] = cell._style
        return cell._style

    def sheet(
        ws: Any, header: list[str], rows: list[list[Any]], widths: list[int], wrapped: set[int], printed: int
    ) -> None:
        for col, title in enumerate(header, 1):
            cell = ws.cell(row=1, column=col, value=title)
            cell.font, cell.alignment = bold, wrap
            ws.column_dimensions[get_column_letter(col)].width = widths[col - 1]
        ws.row_dimensions[1].height = 27
        for n, values in enumerate(rows, 2):
            for col, value in enumerate(values, 1):
                if value in ("", None):
                    continue
                cell = ws.cell(row=n, column=col)
                text = isinstance(value, str)
                cell.value = value
                if text:
                    cell.data_type = "s"  # text, never a formula
                key = (
                    col in wrapped,
                    value if text and value in fills else "",
                    text and value[0] in "=+-@",
                    isinstance(value, date),
                )
                cell._style = copy(styles[key] if key in styles else style(key))
            # a row as high as its longest wrapped text (spreadsheets do not size rows a file leaves unsized)
            lines = max(
                (
                    sum(
                        -(-max(len(part), 1) // max(widths[col - 1] - 1, 1))
                        for part in str(values[col - 1]).split("\n")
                    )
                    for col in wrapped
                    if col <= len(values) and values[col - 1] not in ("", None)
                ),
                default=1,
            )
            if lines > 1:
                ws.row_dimensions[n].height = 12.75 * min(lines, 12)
        ws.freeze_panes = "B2"
        last = get_column_letter(max(len(header), 1))
        ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
        ws.print_area = f"A1:{get_column_letter(min(printed, len(header)))}{len(rows) + 1}"

    ws = wb.active
    ws.title = "cohort"
    scratch = wb.create_sheet("scratch")  # where each kind of cell style is made once; removed before saving
    sheet(
        ws,
        [HEADINGS.get(k, k) for k in keys],
        [[e[k] for k in keys] for e in data],
        [_WIDTHS.get(k, 18) for k in keys],
        {n for n, k in enumerate(keys, 1) if k in _WRAP or k.startswith("#")},
        PRINTED,
    )
    sheet(
        wb.create_sheet("Deadlines"),
        ["Date", "Days", "Student", "Route", "What", "What (中文)", "Status", "Basis", "Folder"],
        [
            [d.day, (d.day - day).days, d.student, d.route.upper(), d.title, d.title_zh, d.status, d.basis, d.folder]
            for d in dues
        ],
        [11, 7, 24, 7, 40, 30, 10, 30, 30],
        {5, 6, 8},
        9,
    )
    wb.remove(scratch)
    stamp = datetime.fromisoformat(day.isoformat())  # naive, as openpyxl writes it
    wb.properties.created = wb.properties.modified = stamp
    buf = io.BytesIO()
    # Workbook.save() stamps the properties with the current time: its ExcelWriter keeps ours
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return normalise_zip(buf.getvalue(), stamp)


def timeline(data: list[dict[str, Any]], dues: list[Due], day: date, limit: int = 120) -> dict[str, Any] | None:
    """The cohort's timeline: one bar per student from arrival to departure, grouped by status, deadlines
    as marks, today as a line. Positions are computed here; the template only draws."""
    bars = [e for e in data if isinstance(e.get("start"), date)][:limit]
    if not bars:
        return None
    marks = defaultdict(list)
    for d in dues:
        marks[d.folder].append(d)
    spans = [(e["arrival_day"], e["departure_day"]) for e in bars]
    first = min([day, *(s for s, _ in spans)]) - timedelta(days=7)
    last = max([day, *(t for _, t in spans)]) + timedelta(days=7)
    left, right, width = 190.0, 1000.0, 1010.0
    total = max((last - first).days, 1)

    def x(d: date) -> float:
        return float(round(left + (right - left) * (d - first).days / total, 1))

    ticks: list[dict[str, Any]] = []
    month = date(first.year, first.month, 1)
    step = 1 if total <= 400 else 3
    while month <= last:
        if month >= first:
            at = x(month)
            # a label is drawn right of its line: none where it would run into the next one or off the picture
            room = not ticks or at - max((t["x"] for t in ticks if t["label"]), default=-100.0) >= 44
            ticks.append({"x": at, "label": month.strftime("%Y-%m") if room and at + 40 <= width else ""})
        month = date(month.year + (month.month - 1 + step) // 12, (month.month - 1 + step) % 12 + 1, 1)
    lines, y = [], 24.0
    for state in STATES:
        group = [e for e in bars if e["status"] == state]
        if not group:
            continue
        lines.append({"kind": "group", "y": y + 8, "label": f"{state} ({len(group)})"})
        y += 11
        for e in group:
            arrival, departure = e["arrival_day"], e["departure_day"]
            lines.append(
                {
                    "kind": "bar",
                    "y": y,
                    "label": e["student"][:34],
                    "x": x(arrival),
                    "w": max(x(departure) - x(arrival), 2.0),
                    "state": state.replace(" ", "-"),
                    "marks": [
                        {"x": x(d.day), "late": d.status == "late", "title": d.title}
                        for d in marks.get(e["folder"], [])
                        if d.status != "done"
                    ],
                }
            )
            y += 9.5
    from generator import fonts

    return {
        "font": fonts.FAMILIES[0],
        "width": width,
        "height": y + 6,
        "left": left,
        "right": right,
        "ticks": ticks,
        "today": x(day),
        "lines": lines,
        "more": max(len([e for e in data if isinstance(e.get("start"), date)]) - limit, 0),
    }


def pdf_bytes(
    data: list[dict[str, Any]],
    cohort: Path,
    day: str,
    dues: list[Due] | None = None,
    fixes: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> bytes:
    """cohort.pdf: the counts and the timeline first, then what is due in the next 30 days, one line per
    student (blocked, no-route and early starters first), and the rows to fix at the end."""
    return render_pdf(pdf_html(data, cohort, day, dues, fixes, extra_columns))


def render_pdf(html: str) -> bytes:
    from generator.process import default_renderers

    renderer = default_renderers().pdf(None)  # the one this process may already have set up for its packs
    pdf: bytes = renderer.write(renderer.render(html, "cohort summary"))
    return pdf


def pdf_html(
    data: list[dict[str, Any]],
    cohort: Path,
    day: str,
    dues: list[Due] | None = None,
    fixes: list[str] | None = None,
    extra_columns: list[str] | None = None,
) -> str:
    """The HTML cohort.pdf is rendered from (the same HTML gives the same PDF)."""
    from generator.render.html import render_page

    today = date.fromisoformat(day)
    dues = dues or []
    ordered = sorted(data, key=_order)
    counts = Counter(e["status"] for e in data)
    soon = [d for d in dues if d.status != "done" and d.day <= today + timedelta(days=DUE_DAYS)]
    html = render_page(
        "cohort",
        {
            "rows": ordered,
            "cohort": cohort.name,
            "day": day,
            "counts": [(s, STATE_LABELS[s], counts[s]) for s in STATES if counts[s]],
            "timeline": timeline(ordered, dues, today),
            "soon": [
                {
                    "date": d.day.isoformat(),
                    "days": (d.day - today).days,
                    "student": d.student,
                    "route": d.route.upper(),
                    "title": d.title,
                    "title_zh": d.title_zh,
                    "late": d.status == "late",
                }
                for d in soon
            ],
            "due_days": DUE_DAYS,
            "fixes": fixes or [],
            "extra_columns": extra_columns or [],
            "tool_version": __version__,
            "pdf_title": f"Cohort summary — {cohort.name}",
            "pdf_author": "internpack",
            "pdf_date": f"{day}T00:00:00+00:00",
            "primary_lang": "en",
            "footer_ref": f"{cohort.name} · {day}",
        },
    )
    return str(html)


# -- to do lists -------------------------------------------------------------------------------------


def _owner(path: str) -> str:
    head = path.split(".")[0]
    if path.startswith("expenses.guarantor"):
        return "guarantor"
    return {"host": "host", "internship": "host", "china_university": "china_university"}.get(
        head, "home_university" if head == "home_university" else "student"
    )


def todo_files(rows: list[Row], day: date) -> dict[str, bytes]:
    """todo/students/<folder>.md and todo/hosts/<host>.md: what each must still provide (from the
    checklists' `who` and the fields missing from the sheet), in plain words, ready to paste into an
    e-mail; the host's lists in Chinese and English."""
    from slugify import slugify

    students: dict[str, str] = {}
    hosts: dict[str, list[str]] = defaultdict(list)
    host_heads: dict[str, str] = {}
    for row in rows:
        r = row.result
        if r is None or not row.folder:
            continue
        p = r.placement
        routes = row.routes or ([r.assessment.recommended_route] if r.assessment.recommended_route else [])
        items = [
            (route, item) for route in routes for item in r.assessment.routes[route].checklist if not item.generated
        ]
        signed = [(route, item) for route in routes for item in r.assessment.routes[route].checklist if item.generated]
        missing: dict[str, list[str]] = defaultdict(list)
        for f in row.blanks:
            missing[_owner(f)].append(f)
        lines = [
            f"# To do: {p.student.full_name}",
            "",
            f"Internship at {p.host.name_en} ({p.host.city}), {p.internship.start} to {p.internship.end}. "
            f"Status on {day.isoformat()}: {row.state}. {action(row)}.",
            "",
        ]
        if row.state == "no route":
            lines += ["No legal route can be built for this placement yet; see summary.pdf in the pack.", ""]
        mine = [i for _, i in items if i.who == "student"]
        if missing.get("student"):
            lines += ["## Missing from the sheet", ""]
            lines += [f"- [ ] {field_words(f)} (`{f}`)" for f in missing["student"]]
            lines.append("")
        if mine:
            lines += ["## What you provide", ""]
            lines += [f"- [ ] {i.title} ({PHASES.get(i.phase, i.phase.replace('_', ' '))})" for i in mine]
            lines.append("")
        for who in ("home_university", "guarantor", "china_university"):
            theirs = [i for _, i in items if i.who == who]
            if theirs or missing.get(who):
                lines += [f"## To ask {WHO[who]} for", ""]
                lines += [f"- [ ] {i.title} ({PHASES.get(i.phase, i.phase.replace('_', ' '))})" for i in theirs]
                lines += [f"- [ ] {field_words(f)} (`{f}`)" for f in missing.get(who, [])]
                lines.append("")
        nxt = _next_deadline(row)
        if nxt is not None:
            lines += [
                f"Next deadline: {nxt.date.isoformat()}, {nxt.title}" + (" (late)" if nxt.status == "late" else ""),
                "",
            ]
        students[f"todo/students/{row.folder}.md"] = "\n".join(lines)
        # the host contact: one file per company and contact, with every intern
        contact = p.host.contact
        email = (contact.email if contact and contact.email else "") or (p.host.email or "")
        key = slugify(f"{p.host.name_en} {email}") or "host"
        if key not in host_heads:
            name_zh = p.host.name_zh or p.host.name_en
            who = contact.name if contact and contact.name else p.host.name_en
            host_heads[key] = "\n".join(
                [
                    f"# 待办事项 To do: {name_zh}" + (f" ({p.host.name_en})" if p.host.name_zh else ""),
                    "",
                    f"致 To: {who}" + (f" <{email}>" if email else ""),
                    "",
                    "",
                ]
            )
        host_items = [i for _, i in items if i.who == "host"]
        host_sign = [i for _, i in signed if i.who in ("host", "")] or [i for _, i in signed]
        block = [f"## {p.student.full_name}: {p.internship.start} – {p.internship.end}", ""]
        if missing.get("host"):
            block += ["缺少的信息 Missing information:", ""]
            block += [f"- [ ] {field_words(f)} (`{f}`)" for f in missing["host"]]
            block.append("")
        if host_items:
            block += ["请提供 Please provide:", ""]
            block += [f"- [ ] {i.title_zh or i.title} / {i.title}" for i in host_items]
            block.append("")
        if host_sign and row.state in ("ready", "draft", "route ineligible"):
            block += ["请核对、签字并盖章 Please check, sign and seal (drafts in the pack):", ""]
            block += [f"- [ ] {i.title_zh or i.title} / {i.title}" for i in host_sign]
            block.append("")
        if len(block) > 2:
            hosts[key].append("\n".join(block))
    out = {name: text.encode() for name, text in students.items()}
    for key, blocks in hosts.items():
        out[f"todo/hosts/{key}.md"] = (host_heads[key] + "\n".join(blocks)).encode()
    return out


def write_tree(out: Path, name: str, files: dict[str, bytes]) -> None:
    """Replace OUT/<name>/ by a folder holding ``files`` (paths relative to OUT, under name/): written
    beside it, then swapped in."""
    tmp = out / f".{name}.new.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for rel, data in files.items():
            target = tmp / rel.split("/", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        tmp.mkdir(exist_ok=True)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # the previous folder stays as it was
        raise
    old = out / f".{name}.old.tmp"
    if (out / name).exists():
        shutil.rmtree(old, ignore_errors=True)
        (out / name).rename(old)
    tmp.rename(out / name)
    shutil.rmtree(old, ignore_errors=True)
