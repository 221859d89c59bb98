"""`internpack rules`: the rules data in force, as text or JSON."""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from typing import Any

from generator.rules.data import load_rules


def rules_json() -> dict[str, Any]:
    r = load_rules()
    return {
        "rules_version": r.version.isoformat(),
        "thresholds": {
            k: {"value": v, "note": r.threshold_notes[k], "sources": list(r.threshold_sources[k])}
            for k, v in r.thresholds.items()
        },
        "pilot_regions": [
            {
                "id": p.id,
                "title": p.title,
                "match": p.match,
                "status": p.status,
                "status_reason": p.status_reason,
                "policy_date": p.policy_date,
                "sources": list(p.sources),
            }
            for p in r.pilots
        ],
        "findings": {
            f.code: {
                "severity": f.severity,
                "routes": list(f.routes),
                "sources": list(f.sources),
                "label": f.label,
                "message": f.message,
                "hint": f.hint,
            }
            for f in r.findings.values()
        },
        "entry_policies": [
            {
                "id": v.id,
                "kind": v.kind,
                "title": v.title,
                "nationalities": list(v.nationalities) if v.nationalities is not None else None,
                "start": v.start.isoformat() if v.start else None,
                "end": v.end.isoformat() if v.end else None,
                "days": v.days,
                "purposes": v.purposes,
                "announced": v.announced,
                "sources": list(v.sources),
            }
            for v in r.visa_free
        ],
        "checklist": {route: [c.id for c in r.checklist if route in c.routes] for route in ("s2", "x1")},
        "sources": [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(s).items()} for s in r.sources.values()
        ],
    }


def rules_text() -> str:
    r = load_rules()
    out = [f"internpack rules data, verified against its sources on {r.version.isoformat()}", ""]
    out.append("S2 pilot regions (first match wins):")
    for p in r.pilots:
        out.append(f"  {p.id:<24}{p.status:<10}{p.title['en']}  [{', '.join(p.sources)}]")
    out += ["", "Dated entry policies:"]
    for v in r.visa_free:
        until = f"until {v.end}" if v.end else "open-ended"
        who = f"{len(v.nationalities)} nationalities" if v.nationalities is not None else "nationalities not listed"
        out.append(f"  {v.id:<24}{v.days:>3} days, {until}, {who}  [{', '.join(v.sources)}]")
    out += ["", "Thresholds:"]
    width = max(len(k) for k in r.thresholds) + 2
    for k, n in r.thresholds.items():
        out.append(f"  {k:<{width}}{n:>5}  [{', '.join(r.threshold_sources[k]) or 'tool policy'}]")
    out += ["", "Findings (code, severity, routes, what it names):"]
    for f in r.findings.values():
        out.append(
            f"  {f.code:<38}{f.severity:<8}{'+'.join(f.routes):<7}{f.label['en']}  [{', '.join(f.sources) or '-'}]"
        )
    out += ["", "Sources:"]
    for s in r.sources.values():
        date = s.page_date or "undated"
        out.extend(
            textwrap.wrap(
                f"{s.id} [{s.kind}, {date}, read {s.read}] {s.title} — {s.url}",
                width=110,
                initial_indent="  ",
                subsequent_indent="        ",
            )
        )
    return "\n".join(out) + "\n"
