"""Full HTML pages from the layouts, and the SVG timeline of the summary."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator import fonts
from generator.resources import template_path
from generator.templating import environment


@functools.cache
def css() -> str:
    text = template_path("layout", "style.css").read_text(encoding="utf-8")
    return text.replace("var(--fonts)", fonts.css_stack()).replace("var(--latin-fonts)", fonts.css_stack(latin=True))


BASE_URL = "file:///internpack/"


def logo_url(path: Path) -> str:
    """The one address the logo is served under, whatever folder it lies in: WeasyPrint names an image by
    the md5 of its URL, so the file's own address made the PDF bytes depend on the folder."""
    return f"{BASE_URL}logo{path.suffix.lower()}"


_PAGEREF = re.compile(r'<span class="pageref" data-item="(\d+)"></span>')


def number_contents(cover: str, page_counts: list[int]) -> str:
    """The cover's contents with the pack page each document starts on: the cover is page 1, the documents
    of ``page_counts`` (as many pages each) follow in the contents' order. The placeholders are markup the
    cover layout writes; a placement's text is escaped and cannot produce one."""
    starts = [2 + sum(page_counts[:n]) for n in range(len(page_counts))]

    def number(m: re.Match[str]) -> str:
        n = starts[int(m.group(1))]
        return f'<span class="pageref" data-item="{m.group(1)}">第 {n} 页 · p. {n}</span>'

    return _PAGEREF.sub(number, cover)


def render_page(layout: str, ctx: dict[str, Any]) -> str:
    return environment().get_template(f"layout/{layout}.html.j2").render(ctx)


_SEVERITY = {"#c00": 0, "#1f4e79": 1, "#2a7": 2}  # a merged mark takes its most urgent colour: late, upcoming, done


def _placed(events: list[dict[str, Any]], x: Any) -> list[dict[str, Any]]:
    """Marks and labels of one row that never overlap: events closer than a mark's width become one mark with the
    labels joined; each label goes above or below its mark, on the first of two levels where it has room."""
    groups: list[dict[str, Any]] = []
    for e in sorted(events, key=lambda e: e["day"]):
        ex = x(e["day"])
        if groups and ex - groups[-1]["x"] < 5:
            g = groups[-1]
            g["label"] += " · " + e["label"]
            if _SEVERITY.get(e["colour"], 3) < _SEVERITY.get(g["colour"], 3):
                g["colour"] = e["colour"]
            continue
        groups.append({**e, "x": ex})
    taken: dict[tuple[bool, int], list[tuple[float, float]]] = {}
    out = []
    for k, g in enumerate(groups):
        half = len(g["label"]) * 2.3 + 3  # about 4.6 pt a character at 8 pt, centred on the mark
        span = (g["x"] - half, g["x"] + half)
        sides = (k % 2 == 1, k % 2 == 0)
        choice = next(
            (
                (below, level)
                for level in (0, 1)
                for below in sides
                if all(span[1] < a or span[0] > b for a, b in taken.get((below, level), []))
            ),
            (sides[0], 1),
        )
        taken.setdefault(choice, []).append(span)
        below, level = choice
        out.append({**g, "below": below, "dy": (13 + 9 * level) if below else -(7 + 9 * level)})
    return out


def timeline(rows: list[dict[str, Any]], start: date, end: date, today: date) -> Markup:
    """An SVG timeline: one row per route with its events (dicts with day, label, colour) and an
    internship bar; today's date marked. Positions are computed here; the template only draws."""
    width, left, right = 640, 34, 630
    first = min([start, today, *(e["day"] for r in rows for e in r["events"])]) - timedelta(days=5)
    last = max([end, today, *(e["day"] for r in rows for e in r["events"])]) + timedelta(days=5)
    span = max((last - first).days, 1)

    def x(d: date) -> float:
        return float(round(left + (right - left) * (d - first).days / span, 1))

    ticks = []
    month = date(first.year, first.month, 1)
    step = 1 if span <= 400 else 3
    while month <= last:
        if month >= first:
            # a label is drawn right of its line: none where it would run off the picture
            ticks.append({"x": x(month), "label": month.strftime("%Y-%m") if x(month) + 32 <= width else ""})
        month = date(month.year + (month.month - 1 + step) // 12, (month.month - 1 + step) % 12 + 1, 1)
    out_rows = []
    for n, r in enumerate(rows):
        y = 40 + n * 44
        events = _placed(r["events"], x)
        out_rows.append(
            {
                "label": r["label"],
                "y": y,
                "events": events,
                "bar": {"x": x(start), "w": max(x(end) - x(start), 2), "label": r.get("bar_label", "")},
            }
        )
    height = 40 + 44 * len(rows)
    t = {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "font": fonts.FAMILIES[0],
        "ticks": ticks,
        "rows": out_rows,
        "today": {"x": x(today), "label": f"today {today.isoformat()}"},
    }
    svg = environment().get_template("layout/timeline.svg.j2").render(t=t)
    return Markup(svg)  # noqa: S704 - rendered by the autoescaping environment from computed values
