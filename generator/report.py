"""The assessment report (spec/report.md): the JSON object and the text a person reads."""

from __future__ import annotations

import textwrap
from typing import Any

from generator import __version__
from generator.loader import Source
from generator.model import Placement
from generator.rules.data import Rules
from generator.rules.engine import Assessment, RouteAssessment

ROUTE_NAMES = {"s2": "S2 visa (实习 internship)", "x1": "X1 study visa + internship annotation"}
SEVERITY_ORDER = ("block", "confirm", "warn", "info")
SEVERITY_LABEL = {"block": "BLOCK", "confirm": "CONFIRM", "warn": "WARN", "info": "INFO"}
VERDICT_COLOUR = {"eligible": "green", "uncertain": "yellow", "ineligible": "red"}
SEVERITY_COLOUR = {"block": "red", "confirm": "yellow", "warn": "magenta", "info": "cyan"}


def report_dict(a: Assessment, p: Placement, source: Source) -> dict[str, Any]:
    return {
        "schema": 1,
        "tool_version": __version__,
        "rules_version": a.rules_version.isoformat(),
        "reference_date": a.reference_date.isoformat(),
        "placement": {"file": source.name, "sha256": source.sha256},
        "student": p.student.full_name,
        "recommended_route": a.recommended_route,
        "recommendation": a.recommendation,
        "routes": {name: r.to_dict() for name, r in a.routes.items()},
    }


def _style(text: str, colour: str | None = None, bold: bool = False) -> str:
    import click

    return click.style(text, fg=colour, bold=bold)


def _wrap(text: str, indent: str, width: int = 100, hanging: str | None = None) -> list[str]:
    subsequent = hanging if hanging is not None else indent + "  "
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=subsequent) or [indent]


def render_text(a: Assessment, p: Placement, rules: Rules, source: Source) -> str:
    """Side by side verdicts, then per route the findings by severity (with their sources), checklist, deadlines."""
    lines: list[str] = []
    host = p.host.name_en + (f" ({p.host.city})" if p.host.city else "")
    lines.append(_style(f"{p.student.full_name} — {p.internship.position} at {host}", bold=True))
    lines.append(
        f"Internship {p.internship.start} to {p.internship.end} ({p.internship.days} days) · "
        f"reference date {a.reference_date} · rules {a.rules_version}"
    )
    lines.append("")
    col = 46
    lines.append(f"{'':14}{'S2 — ' + ROUTE_NAMES['s2']:<{col}}{'X1 — ' + ROUTE_NAMES['x1']}")
    verdicts = [a.routes[r].verdict for r in ("s2", "x1")]
    cells = [_style(v.upper(), VERDICT_COLOUR[v], bold=True) + " " * (col - len(v)) for v in verdicts]
    lines.append(f"{'verdict':14}{cells[0]}{cells[1]}")
    for sev in ("block", "confirm", "warn"):
        counts = [sum(1 for f in a.routes[r].findings if f.severity == sev) for r in ("s2", "x1")]
        lines.append(f"{sev:14}{counts[0]:<{col}}{counts[1]}")
    lines.append("")
    rec = a.recommended_route.upper() if a.recommended_route else "none"
    lines.append(_style(f"Recommended route: {rec}", bold=True))
    lines.extend(_wrap(a.recommendation, "  ", hanging="  "))
    for name in ("s2", "x1"):
        lines.append("")
        lines.extend(_route_text(a.routes[name], rules))
    return "\n".join(lines) + "\n"


def _route_text(r: RouteAssessment, rules: Rules) -> list[str]:
    out = [
        _style(f"── {r.route.upper()}: {ROUTE_NAMES[r.route]} — ", bold=True)
        + _style(r.verdict.upper(), VERDICT_COLOUR[r.verdict], bold=True)
    ]
    for sev in SEVERITY_ORDER:
        for f in (f for f in r.findings if f.severity == sev):
            tag = _style(f"{SEVERITY_LABEL[sev]:<8}", SEVERITY_COLOUR[sev], bold=True)
            out.append(f"  {tag}{f.code}" + (f"  [{f.field}]" if f.field else ""))
            out.extend(_wrap(f.message, "          ", hanging="          "))
            if f.hint:
                out.extend(_wrap("→ " + f.hint, "          "))
            for sid in f.sources:
                s = rules.sources[sid]
                out.extend(_wrap(f"{sid} ({s.kind}): {s.title}", "          · ", hanging="            "))
    out.append("  Checklist:")
    for item in r.checklist:
        mark = "✎" if item.generated else "☐"
        out.append(f"    {mark} {item.title} — {item.who}, {item.phase.replace('_', ' ')}")
    out.append("  Deadlines:")
    for d in r.deadlines:
        colour = {"late": "red", "done": "green"}.get(d.status)
        out.append(f"    {d.date}  " + _style(f"{d.status:<8}", colour) + f" {d.title}")
    return out
