"""Which documents a route's pack holds and what each one says (content templates in templates/letters/)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import yaml

from generator.context import Bi
from generator.model import Placement
from generator.resources import template_path
from generator.templating import environment


@dataclass(frozen=True)
class DocSpec:
    id: str
    routes: tuple[str, ...]
    issuer: str  # host | student | guarantor | expenses
    titles: dict[str, dict[str, str]]
    annex: bool = False  # a data sheet after the signature (letters/<id>.annex.html.j2), unsigned
    requires: str | None = None  # a checklist item id: drafted only when the route's checklist holds it


@functools.cache
def specs() -> dict[str, DocSpec]:
    data = yaml.safe_load(template_path("documents.yaml").read_text(encoding="utf-8"))["documents"]
    return {
        doc_id: DocSpec(doc_id, tuple(d["routes"]), d["issuer"], d["title"], bool(d.get("annex")), d.get("requires"))
        for doc_id, d in data.items()
    }


def letters_for(route: str, checklist: set[str] | None = None) -> list[DocSpec]:
    """The documents of a route's pack; with the route's checklist ids, those a ``requires`` names only when
    the checklist holds that item."""
    return [
        s
        for s in specs().values()
        if route in s.routes and (s.requires is None or checklist is None or s.requires in checklist)
    ]


def issuer_of(spec: DocSpec, p: Placement) -> str:
    """host, student or guarantor: whose letter it is."""
    if spec.issuer != "expenses":
        return spec.issuer
    return {"host": "host", "student": "student"}.get(p.expenses.paid_by, "guarantor")


def doc_entry(spec: DocSpec, route: str, p: Placement) -> dict[str, Any]:
    issuer = issuer_of(spec, p)
    title = spec.titles.get(route) or spec.titles[issuer]
    return {
        "id": spec.id,
        "issuer": issuer,
        "title": Bi(title["en"], title["zh"]),
        "letterhead": issuer == "host",
    }


def render_content(doc_id: str, lang: str, ctx: dict[str, Any]) -> str:
    """The body of a letter in one language (``lang`` zh or en), or its one signature block (``sign``) or
    data sheet (``annex``) in the pack's languages: restricted HTML (see templates/letters/README.md)."""
    return environment().get_template(f"letters/{doc_id}.{lang}.html.j2").render(ctx, lang=lang)
