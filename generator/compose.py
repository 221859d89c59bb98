"""Everything a pack prints, composed before anything is rendered or written: the HTML of each document
(cover, summary, checklists, letters) from one render context, and what is missing or untranslated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator import __version__, loader
from generator.context import Bi, Record, build_context, day, recording, stop_recording, term
from generator.documents import doc_entry, letters_for, render_content
from generator.errors import InputError, Problem
from generator.render.html import logo_url, render_page, timeline
from generator.result import CheckResult
from generator.stationery import Stationery

DISCLAIMER = Bi(
    "Drafts prepared with internpack from the placement file. Not legal advice: immigration practice "
    "changes often and varies by city — confirm with the exit-entry administration and the university.",
    "本文件由internpack根据实习安排信息生成，仅供参考，不构成法律意见。出入境政策变化频繁且各地做法不一，请以出入境管理部门及学校的最新要求为准。",
)
DOC_CODES = {
    "invitation_letter": "INV",
    "port_visa_application": "PVA",
    "enrolment_letter_data": "ENR",
    "internship_agreement": "AGR",
    "financial_guarantee": "FIN",
    "university_approval_request": "REQ",
    "checklist": "CHK",
    "summary": "SUM",
    "cover": "PACK",
}


@dataclass
class Page:
    """One document of the pack, ready to render."""

    id: str
    route: str | None
    html: str
    title: str
    footer_ref: str
    docx: bool
    record: Record = field(default_factory=Record)
    fields: dict[str, Any] | None = None  # a host letter's context: what a Word letterhead's header prints


@dataclass
class Composition:
    slug: str
    summary: Page
    routes: dict[str, list[Page]]  # route -> [cover, checklist, letters...]
    blanks: list[dict[str, str]]
    untranslated: list[dict[str, str]]
    logo: Path | None
    letterhead: bytes | None = None  # the host's Word letterhead (pack.py), the base of its letters' DOCX
    stationery: Stationery | None = None  # the host's stationery (pack.py), under its letters' first pages


def slug_of(result: CheckResult) -> str:
    from slugify import slugify

    s = result.placement.student
    name = slugify(f"{s.family_name} {s.given_names}") or "student"
    return f"{name}-{result.placement.internship.start.isoformat()}"


def ordered_languages(languages: list[str]) -> list[str]:
    """Chinese first (the operative text), then English."""
    return sorted(set(languages), key=lambda lang: 0 if lang == "zh" else 1)


def _render(
    page_id: str,
    route: str | None,
    layout: str,
    ctx: dict[str, Any],
    title: str,
    docx: bool,
    footer_ref: str,
    record: Record | None = None,
) -> Page:
    """The page's HTML, and what it printed for missing data (``record`` may already hold what its
    letter bodies printed: they are rendered first, into the same record)."""
    record = record or Record()
    token = recording(record)
    try:
        ctx = {**ctx, "footer_ref": footer_ref, "pdf_title": title}
        html = render_page(layout, ctx)
    finally:
        stop_recording(token)
    return Page(page_id, route, html, title, footer_ref, docx, record)


def _sources(result: CheckResult, ids: set[str]) -> list[dict[str, str]]:
    out = []
    for sid in sorted(ids, key=lambda s: (len(s), s)):
        s = result.rules.sources[sid]
        out.append({"id": sid, "kind": s.kind, "date": s.page_date or "undated", "title": s.title, "url": s.url})
    return out


def _banner(verdict: str, route: str) -> str | None:
    if verdict == "eligible":
        return None
    v = term("verdict", verdict)
    assert isinstance(v, Bi)
    return (
        f"评估结果：{v.zh} — 该路线按目前情况{'无法使用' if verdict == 'ineligible' else '尚待确认'}，详见评估摘要。"
        f" Assessment: {str(v.en).upper()} — the {route.upper()} route "
        + ("cannot be used as described" if verdict == "ineligible" else "depends on points to confirm")
        + ": see the summary."
    )


def compose(
    result: CheckResult,
    *,
    routes: list[str],
    languages: list[str],
    placement_dir: Path,
    allow_blanks: bool,
    contexts: list[dict[str, Any]] | None = None,
    templates: Path | None = None,
) -> Composition:
    """``contexts``, when given, receives each letter's render context (templatelint checks templates
    against the fields a real context provides); ``templates``, a folder whose letter templates replace the
    built-in ones of the same name (already linted)."""
    content = _content(templates)
    p, a, rules = result.placement, result.assessment, result.rules
    slug = slug_of(result)
    langs = ordered_languages(languages)
    reference = p.letters.reference or slug.upper()
    letter_date: date = p.letters.date or a.reference_date
    logo = _logo(p, placement_dir, result.source)
    pdf_date = f"{a.reference_date.isoformat()}T00:00:00+00:00"
    show_zh = "zh" in langs
    recommended = term("route", a.recommended_route) if a.recommended_route else Bi("No route", "无可行路线")

    def base(route: str) -> dict[str, Any]:
        ctx = build_context(p, a, rules, route=route, letter_date=letter_date, reference=reference)
        ctx.update(
            tool_version=__version__,
            pdf_date=pdf_date,
            pdf_author=(p.prepared_by.organisation if p.prepared_by and p.prepared_by.organisation else "internpack"),
            primary_lang=langs[0],
            show_zh=show_zh,
            reference_date=day(a.reference_date),
            rules_version=a.rules_version.isoformat(),
            recommended=recommended,
            recommendation=Bi(a.recommendation, a.recommendation_zh),
            disclaimer=DISCLAIMER,
            logo_uri=logo_url(logo) if logo else None,
            banner=None,
        )
        return ctx

    # the summary: both routes side by side, shared by every route's pack
    ctx = base(a.recommended_route or "x1")
    ctx["doc"] = {"id": "summary", "title": Bi("Assessment summary", "评估摘要")}
    ctx["routes"] = [_route_view(result, r) for r in ("s2", "x1")]
    # side by side, one row per rank: tall findings then break across pages row by row
    ctx["finding_rows"] = list(zip_longest(ctx["routes"][0]["findings"], ctx["routes"][1]["findings"]))
    ctx["deadlines"] = [{**_deadline_view(d), "route": r.upper()} for r in ("s2", "x1") for d in a.routes[r].deadlines]
    ctx["deadlines"].sort(key=lambda d: (d["date"].iso, d["route"]))
    ctx["sources"] = _sources(result, {s for r in a.routes.values() for f in r.findings for s in f.sources})
    ctx["timeline"] = _timeline(result)
    summary = _render(
        "summary",
        None,
        "summary",
        ctx,
        f"Assessment summary — {p.student.full_name}",
        False,
        f"{reference}/SUM",
    )

    pages: dict[str, list[Page]] = {}
    for route in routes:
        ra = a.routes[route]
        ctx = base(route)
        ctx["verdict"] = ra.verdict
        ctx["verdict_term"] = term("verdict", ra.verdict)
        ctx["banner"] = _banner(ra.verdict, route)
        letters = letters_for(route, {item.id for item in ra.checklist})
        # checklist
        cctx = dict(ctx)
        cctx["doc"] = {
            "id": "checklist",
            "title": Bi(f"Document checklist — {route.upper()} route", f"材料清单 — {route.upper()}路线"),
        }
        cctx["items"] = [_item_view(i, show_zh) for i in ra.checklist]
        cctx["deadlines"] = [_deadline_view(d) for d in ra.deadlines]
        cctx["sources"] = _sources(result, {s for i in ra.checklist for s in i.sources})
        checklist = _render(
            "checklist",
            route,
            "checklist",
            cctx,
            f"Checklist {route.upper()} — {p.student.full_name}",
            True,
            f"{reference}/{route.upper()}/CHK",
        )
        # letters
        letter_pages = []
        for spec in letters:
            lctx = dict(ctx)
            lctx["banner"] = None
            lctx["doc"] = doc_entry(spec, route, p)
            lctx["sender"] = _sender(lctx, lctx["doc"]["issuer"])
            if lctx["doc"]["issuer"] != "host":
                lctx["reference"] = None  # the host's file reference belongs on the host's letters only
            if contexts is not None:
                contexts.append({**lctx, "lang": langs[0], "sign_langs": langs})
            record = Record()
            token = recording(record)
            try:
                lctx["parts"] = [{"lang": lang, "html": Markup(content(spec.id, lang, lctx))} for lang in langs]  # noqa: S704
                # one signature-and-seal block per document, after the last language (see letters/README.md)
                lctx["signoff"] = Markup(content(spec.id, "sign", {**lctx, "sign_langs": langs}))  # noqa: S704
                lctx["annex"] = (
                    Markup(content(spec.id, "annex", {**lctx, "sign_langs": langs}))  # noqa: S704
                    if spec.annex
                    else None
                )
            finally:
                stop_recording(token)
            title = lctx["doc"]["title"]
            page = _render(
                spec.id,
                route,
                "letter",
                lctx,
                f"{title.en} — {p.student.full_name}",
                True,
                f"{reference}/{route.upper()}/{DOC_CODES[spec.id]}",
                record,
            )
            if lctx["doc"]["letterhead"]:
                page.fields = lctx
            letter_pages.append(page)
        # cover (pack.pdf only)
        vctx = dict(ctx)
        vctx["doc"] = {
            "id": "cover",
            "title": Bi(f"Internship document pack — {route.upper()} route", f"实习申请资料包 — {route.upper()}路线"),
        }
        vctx["contents"] = [Bi("Assessment summary", "评估摘要"), Bi("Document checklist", "材料清单")] + [
            doc_entry(s, route, p)["title"] for s in letters
        ]
        cover = _render(
            "cover",
            route,
            "cover",
            vctx,
            f"Internship pack {route.upper()} — {p.student.full_name}",
            False,
            f"{reference}/{route.upper()}",
        )
        pages[route] = [cover, checklist, *letter_pages]

    blanks, untranslated = _missing(summary, pages)
    if not allow_blanks:
        needed = _required_blanks(pages)
        if needed:
            raise InputError(
                [
                    Problem(
                        "needs " + ", ".join(fields) + " (missing from the placement)",
                        file=result.source.name + (f" row {result.source.row}" if result.source.row else ""),
                        path=document,
                        hint="fill them in, or build with --allow-blanks to print [field] placeholders",
                    )
                    for document, fields in needed.items()
                ]
            )
    return Composition(slug, summary, pages, blanks, untranslated, logo)


def _content(templates: Path | None) -> Any:
    """render_content, or the same through a --templates folder's files in front of the built-in ones."""
    if templates is None:
        return render_content
    from generator.templating import letters_environment

    env = letters_environment(templates)

    def content(doc_id: str, lang: str, ctx: dict[str, Any]) -> str:
        return env.get_template(f"letters/{doc_id}.{lang}.html.j2").render(ctx, lang=lang)

    return content


def _required_blanks(pages: Mapping[str, list[Page]]) -> dict[str, list[str]]:
    """document -> the fields it prints as placeholders and the file must give (X1 before admission exempt)."""
    out: dict[str, list[str]] = {}
    for route, docs in pages.items():
        for page in docs:
            fields = sorted(path for path, exempt in page.record.blanks.items() if not exempt)
            if fields:
                out[f"{route}/{page.id}"] = fields
    return out


def _missing(summary: Page, pages: Mapping[str, list[Page]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    blanks, untranslated = [], []
    for page in [summary, *(pg for docs in pages.values() for pg in docs)]:
        name = f"{page.route}/{page.id}" if page.route else page.id
        blanks += [{"document": name, "field": f} for f in sorted(page.record.blanks)]
        untranslated += [{"document": name, "field": f} for f in page.record.untranslated]
    return blanks, untranslated


def _logo(p: Any, placement_dir: Path, source: Any) -> Path | None:
    where = loader.where(source, ("host", "logo"), "host.logo")
    if not p.host.logo:
        return None
    from generator.images import prepare_logo

    return prepare_logo(p.host.logo, placement_dir, where)  # read and decoded once, capped, scaled to print


def _sender(ctx: dict[str, Any], issuer: str) -> dict[str, Any]:
    if issuer == "student":
        s = ctx["student"]
        return {"name": s["full_name"], "lines": [s["address_in_china"] or s["home_address"], s["email"], s["phone"]]}
    if issuer == "guarantor":
        g = ctx["expenses"]["guarantor"]
        return {"name": g["name"].en, "lines": [g["address"], g["email"], g["phone"]]}
    return {"name": "", "lines": []}


def _route_view(result: CheckResult, route: str) -> dict[str, Any]:
    ra = result.assessment.routes[route]
    order = {"block": 0, "confirm": 1, "warn": 2, "info": 3}
    return {
        "route": route,
        "name": term("route", route),
        "verdict": ra.verdict,
        "verdict_term": term("verdict", ra.verdict),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity,
                "severity_term": term("severity", f.severity),
                "message": f.message,
                "message_zh": f.message_zh,
                "sources": ", ".join(f.sources),
            }
            for f in sorted(ra.findings, key=lambda f: order[f.severity])
        ],
    }


def _deadline_view(d: Any) -> dict[str, Any]:
    return {
        "date": day(d.date),
        "title": d.title,
        "title_zh": d.title_zh,
        "basis": d.basis,
        "status": term("status", d.status),
    }


def _item_view(i: Any, show_zh: bool) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "title_zh": i.title_zh,
        "who": term("who", i.who),
        "phase": term("phase", i.phase),
        "where": i.where,
        "where_zh": i.where_zh,
        "notes": i.notes,
        "notes_zh": i.notes_zh,
        "generated": i.generated,
        "sources": ", ".join(i.sources),
    }


def _timeline(result: CheckResult) -> Markup:
    p, a = result.placement, result.assessment
    colours = {"late": "#c00", "done": "#2a7", "upcoming": "#1f4e79"}
    short = {
        "accommodation_registration": "registration",
        "residence_permit": "residence permit",
        "annotation_application": "annotation",
        "university_approval": "university approval",
        "s2_application": "S2 application",
        "visa_free_stay_ends": "visa-free stay ends",
        "departure": "departure",
    }
    rows = []
    for route in ("s2", "x1"):
        events = [{"day": p.arrival, "label": "arrival", "colour": "#555"}]
        events += [
            {"day": d.date, "label": short.get(d.id, d.id), "colour": colours[d.status]}
            for d in a.routes[route].deadlines
        ]
        rows.append({"label": route.upper(), "events": events, "bar_label": "internship"})
    return timeline(rows, p.internship.start, p.internship.end, a.reference_date)


__all__ = ["Composition", "Page", "compose", "slug_of"]
