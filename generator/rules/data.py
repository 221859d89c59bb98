"""The rules data (generator/rules/data/*.yaml): loaded once, validated, cross-checked.

A broken data file is a RulesDataError naming the file and the entry, never a KeyError later.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from generator.errors import RulesDataError

DATA_DIR = Path(__file__).parent / "data"
KINDS = ("official", "institutional", "secondary", "anecdotal")
SEVERITIES = ("block", "confirm", "warn", "info")
WHO = ("student", "host", "home_university", "china_university", "guarantor")
PHASES = ("before_departure", "on_arrival", "before_start", "during")
ROUTES = ("s2", "x1")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str
    kind: str
    page_date: str | None
    read: str
    other_urls: tuple[str, ...] = ()
    note: str | None = None
    last_checked: str | None = None


@dataclass(frozen=True)
class City:
    id: str
    en: str
    zh: str
    province: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pilot:
    id: str
    title: dict[str, str]
    match: dict[str, Any]
    status: str
    status_reason: dict[str, str]
    policy_date: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class FindingRule:
    code: str
    routes: tuple[str, ...]
    severity: str
    message: dict[str, str]
    hint: dict[str, str] | None
    sources: tuple[str, ...]
    label: dict[str, str]  # a few words for people (recommendations, cohort overviews)


@dataclass(frozen=True)
class Office:
    """An exit-entry administration the host's letters are addressed to (offices.yaml)."""

    city: str
    zh: str
    en: str
    confidence: str  # high | medium | low
    zones: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class VisaFreePolicy:
    """A dated entry policy (policies.yaml): who may enter without a visa, for how long, until when."""

    id: str
    kind: str  # visa-free | transit
    title: dict[str, str]
    nationalities: tuple[str, ...] | None  # ISO codes; None: not checked per nationality
    start: date | None
    end: date | None  # the published end date, None when open-ended
    days: int  # the longest stay per entry
    purposes: dict[str, str]
    passport_min_validity_months: int | None
    announced: str | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistRule:
    id: str
    routes: tuple[str, ...]
    title: dict[str, str]
    who: str
    phase: dict[str, str]  # route -> phase
    where: dict[str, dict[str, str]]  # route -> {en, zh}
    notes: dict[str, dict[str, str]]  # route -> {en, zh}
    generated: bool
    document: str | None
    when: Any
    sources: tuple[str, ...]
    # notes that hold only for some places or paths: (condition, routes, {en, zh}), appended when they apply
    local: tuple[tuple[Any, tuple[str, ...], dict[str, str]], ...] = ()


@dataclass(frozen=True)
class Rules:
    version: date
    thresholds: dict[str, int]
    threshold_sources: dict[str, tuple[str, ...]]
    threshold_notes: dict[str, str]
    sources: dict[str, Source]
    cities: tuple[City, ...]
    provinces: dict[str, dict[str, str]]
    zones: dict[str, dict[str, str]]
    categories: dict[str, dict[str, str]]
    pilots: tuple[Pilot, ...]
    findings: dict[str, FindingRule]
    checklist: tuple[ChecklistRule, ...]
    texts: dict[str, dict[str, str]]
    visa_free: tuple[VisaFreePolicy, ...] = ()
    offices: tuple[Office, ...] = ()

    def office_for(self, city_name: str | None, zone: str | None = None) -> Office | None:
        """The exit-entry office of the host's city (a zone's own entry first), if the data has one."""
        city = self.city(city_name)
        if city is None:
            return None
        here = [o for o in self.offices if o.city == city.id]
        return next((o for o in here if zone and zone in o.zones), None) or next((o for o in here if not o.zones), None)

    def entry_policy(self, kind: str, nationality: str) -> VisaFreePolicy | None:
        """The policy of this kind that covers the nationality (the first one listed), if any."""
        for policy in self.visa_free:
            if policy.kind == kind and (policy.nationalities is None or nationality in policy.nationalities):
                return policy
        return None

    def first_policy(self, kind: str) -> VisaFreePolicy | None:
        return next((p for p in self.visa_free if p.kind == kind), None)

    def passed_policies(self, today: date) -> list[VisaFreePolicy]:
        """Dated policies whose published end lies before the reference date (the data needs a re-check)."""
        return [p for p in self.visa_free if p.end is not None and p.end < today]

    # -- cities ---------------------------------------------------------------------------------

    @functools.cached_property
    def _city_index(self) -> dict[str, City]:
        index: dict[str, City] = {}
        for city in self.cities:  # first entry wins for an ambiguous English name (Suzhou, Taizhou)
            for key in (city.id, city.en, city.zh, *city.aliases):
                index.setdefault(normalise_city(key), city)
        return index

    def city(self, name: str | None) -> City | None:
        if not name:
            return None
        return self._city_index.get(normalise_city(name))


_SUFFIX = re.compile(r"(市|\s+shi|\s+city|\s+municipality)$", re.IGNORECASE)


def normalise_city(name: str) -> str:
    """'上海市', 'shanghai', 'Shanghai City', 'Xi'an' → one key (spec/report.md, Definitions)."""
    key = _SUFFIX.sub("", name.strip().casefold()).strip()
    return re.sub(r"[\s'’\-]", "", key)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, what: str) -> RulesDataError:
        return RulesDataError(f"rules data {self.file}: {where}: {what}", hint="fix the data file")

    def text(self, entry: Any, key: str, where: str, *, zh: bool = True) -> dict[str, str]:
        value = entry.get(key)
        if not isinstance(value, dict) or not isinstance(value.get("en"), str):
            raise self.fail(where, f"{key} must be a mapping with en (and zh)")
        if zh and not isinstance(value.get("zh"), str):
            raise self.fail(where, f"{key} has no zh text")
        return {k: str(v) for k, v in value.items()}


def _load(name: str) -> Any:
    path = DATA_DIR / name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesDataError(f"rules data {name} cannot be read: {exc}", hint="reinstall internpack") from exc


@functools.cache
def load_rules() -> Rules:
    rules_y = _load("rules.yaml")
    r = _Reader("rules.yaml")
    try:
        version = date.fromisoformat(str(rules_y["rules_version"]))
    except (KeyError, ValueError) as exc:
        raise r.fail("rules_version", "must be a date YYYY-MM-DD") from exc
    thresholds: dict[str, int] = {}
    t_sources: dict[str, tuple[str, ...]] = {}
    t_notes: dict[str, str] = {}
    for name, entry in (rules_y.get("thresholds") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), int):
            raise r.fail(f"thresholds.{name}", "needs an integer value")
        thresholds[name] = entry["value"]
        t_sources[name] = tuple(entry.get("sources") or ())
        note = entry.get("note")
        t_notes[name] = note.get("en", "") if isinstance(note, dict) else str(note or "")
    texts_y = _load("texts.yaml")["texts"]
    texts = {k: _Reader("texts.yaml").text(texts_y, k, k) for k in texts_y}

    r = _Reader("sources.yaml")
    sources: dict[str, Source] = {}
    for i, s in enumerate(_load("sources.yaml")["sources"]):
        where = f"sources[{i}]"
        if s.get("kind") not in KINDS:
            raise r.fail(where, f"kind must be one of {', '.join(KINDS)}")
        if not str(s.get("url", "")).startswith(("http://", "https://")):
            raise r.fail(where, "url must start with http:// or https://")
        if s["id"] in sources:
            raise r.fail(where, f"duplicate id {s['id']}")
        sources[s["id"]] = Source(
            id=s["id"],
            title=str(s["title"]),
            publisher=str(s.get("publisher") or ""),
            url=s["url"],
            kind=s["kind"],
            page_date=None if s.get("page_date") is None else str(s["page_date"]),
            read=str(s.get("read") or ""),
            other_urls=tuple(s.get("other_urls") or ()),
            note=s.get("note"),
            last_checked=None if s.get("last_checked") is None else str(s["last_checked"]),
        )

    def check_sources(reader: _Reader, where: str, raw: Any) -> tuple[str, ...]:
        ids = tuple(str(i) for i in raw or ())
        unknown = [i for i in ids if i not in sources]
        if unknown:
            raise reader.fail(where, f"unknown source ids {unknown}")
        return ids

    for name, ids in t_sources.items():
        check_sources(_Reader("rules.yaml"), f"thresholds.{name}", ids)

    r = _Reader("regions.yaml")
    regions = _load("regions.yaml")
    provinces = {p["id"]: {"en": p["en"], "zh": p["zh"]} for p in regions["provinces"]}
    cities = []
    for c in regions["cities"]:
        if c["province"] not in provinces:
            raise r.fail(f"cities.{c['id']}", f"unknown province {c['province']}")
        cities.append(
            City(
                id=c["id"],
                en=c["en"],
                zh=c["zh"],
                province=c["province"],
                aliases=tuple(c.get("aliases") or ()),
            )
        )
    zones = {z["id"]: {"en": z["en"], "zh": z["zh"], "city": z.get("city", "")} for z in regions["zones"]}
    categories = {c["id"]: {"en": c["en"], "zh": c["zh"]} for c in regions["categories"]}
    pilots = []
    for p in regions["pilots"]:
        where = f"pilots.{p.get('id')}"
        if p.get("status") not in ("official", "reported"):
            raise r.fail(where, "status must be official or reported")
        _check_match(r, where, p.get("match"), zones, provinces, {c.id for c in cities})
        pilots.append(
            Pilot(
                id=p["id"],
                title=r.text(p, "title", where),
                match=p["match"],
                status=p["status"],
                status_reason=r.text(p, "status_reason", where, zh=False),
                policy_date=None if p.get("policy_date") is None else str(p["policy_date"]),
                sources=check_sources(r, where, p.get("sources")),
            )
        )

    r = _Reader("findings.yaml")
    findings: dict[str, FindingRule] = {}
    for f in _load("findings.yaml")["findings"]:
        where = f"findings.{f.get('code')}"
        if f.get("severity") not in SEVERITIES:
            raise r.fail(where, f"severity must be one of {', '.join(SEVERITIES)}")
        routes = tuple(f.get("routes") or ())
        if not routes or any(x not in ROUTES for x in routes):
            raise r.fail(where, "routes must list s2 and/or x1")
        findings[f["code"]] = FindingRule(
            code=f["code"],
            routes=routes,
            severity=f["severity"],
            message=r.text(f, "message", where),
            hint=f.get("hint"),
            sources=check_sources(r, where, f.get("sources")),
            label=r.text(f, "label", where),
        )

    r = _Reader("policies.yaml")
    visa_free = []
    for i, v in enumerate(_load("policies.yaml")["visa_free"]):
        where = f"visa_free.{v.get('id', i)}"
        if v.get("kind") not in ("visa-free", "transit"):
            raise r.fail(where, "kind must be visa-free or transit")
        if not isinstance(v.get("days"), int) or v["days"] <= 0:
            raise r.fail(where, "days must be a positive whole number")
        try:
            start = None if v.get("start") is None else date.fromisoformat(str(v["start"]))
            end = None if v.get("end") is None else date.fromisoformat(str(v["end"]))
        except ValueError as exc:
            raise r.fail(where, "start and end must be dates YYYY-MM-DD") from exc
        raw_nat = v.get("nationalities")
        codes_ok = isinstance(raw_nat, list) and all(re.fullmatch(r"[A-Z]{2}", str(n)) for n in raw_nat)
        if raw_nat is not None and not codes_ok:
            raise r.fail(where, "nationalities must be a list of ISO 3166 alpha-2 codes, or null")
        visa_free.append(
            VisaFreePolicy(
                id=str(v["id"]),
                kind=v["kind"],
                title=r.text(v, "title", where),
                nationalities=None if raw_nat is None else tuple(str(n) for n in raw_nat),
                start=start,
                end=end,
                days=v["days"],
                purposes=r.text(v, "purposes", where),
                passport_min_validity_months=v.get("passport_min_validity_months"),
                announced=None if v.get("announced") is None else str(v["announced"]),
                sources=check_sources(r, where, v.get("sources")),
            )
        )

    r = _Reader("checklists.yaml")
    items = []
    for c in _load("checklists.yaml")["items"]:
        where = f"items.{c.get('id')}"
        routes = tuple(c.get("routes") or ())
        if not routes or any(x not in ROUTES for x in routes):
            raise r.fail(where, "routes must list s2 and/or x1")
        if c.get("who") not in WHO:
            raise r.fail(where, f"who must be one of {', '.join(WHO)}")
        phase = c.get("phase")
        phases = {rt: phase for rt in routes} if isinstance(phase, str) else dict(phase or {})
        if set(phases) != set(routes) or any(v not in PHASES for v in phases.values()):
            raise r.fail(where, f"phase must be one of {', '.join(PHASES)} for each route")
        notes = _per_route(r, where, c.get("notes") or {"en": "", "zh": ""}, routes, "notes")
        places = _per_route(r, where, c.get("where"), routes, "where")
        items.append(
            ChecklistRule(
                id=c["id"],
                routes=routes,
                title=r.text(c, "title", where),
                who=c["who"],
                phase=phases,
                where=places,
                notes=notes,
                generated=bool(c.get("generated", False)),
                document=c.get("document"),
                when=c.get("when"),
                sources=check_sources(r, where, c.get("sources")),
                local=tuple(_local_notes(r, where, c.get("local") or [], routes)),
            )
        )
    r = _Reader("offices.yaml")
    offices = []
    city_ids = {c.id for c in cities}
    for i, o in enumerate(_load("offices.yaml")["offices"]):
        where = f"offices[{i}]"
        if o.get("city") not in city_ids:
            raise r.fail(where, f"unknown city {o.get('city')!r}")
        if o.get("confidence") not in ("high", "medium", "low"):
            raise r.fail(where, "confidence must be high, medium or low")
        if not all(isinstance(o.get(k), str) and o[k] for k in ("zh", "en")):
            raise r.fail(where, "zh and en names are required")
        if unknown_zones := [z for z in o.get("zones") or () if z not in zones]:
            raise r.fail(where, f"unknown zones {unknown_zones}")
        offices.append(
            Office(
                city=o["city"],
                zh=o["zh"],
                en=o["en"],
                confidence=o["confidence"],
                zones=tuple(o.get("zones") or ()),
                sources=check_sources(r, where, o.get("sources")),
            )
        )
    return Rules(
        version=version,
        thresholds=thresholds,
        threshold_sources=t_sources,
        threshold_notes=t_notes,
        sources=sources,
        cities=tuple(cities),
        provinces=provinces,
        zones=zones,
        categories=categories,
        pilots=tuple(pilots),
        findings=findings,
        checklist=tuple(items),
        texts=texts,
        visa_free=tuple(visa_free),
        offices=tuple(offices),
    )


def _local_notes(
    r: _Reader, where: str, raw: Any, routes: tuple[str, ...]
) -> list[tuple[Any, tuple[str, ...], dict[str, str]]]:
    out = []
    for n, entry in enumerate(raw):
        at = f"{where}.local[{n}]"
        if not isinstance(entry, dict) or "when" not in entry:
            raise r.fail(at, "a local note needs when, en and zh")
        only = tuple(entry.get("routes") or routes)
        if any(x not in routes for x in only):
            raise r.fail(at, f"routes must be among the item's routes {routes}")
        out.append((entry["when"], only, r.text(entry, "text", at)))
    return out


def _per_route(r: _Reader, where: str, value: Any, routes: tuple[str, ...], key: str) -> dict[str, dict[str, str]]:
    """A text given once ({en, zh}) or per route ({s2: {en, zh}, x1: {en, zh}}), as route -> {en, zh}."""
    if isinstance(value, dict) and "en" in value:
        return {rt: {k: str(v) for k, v in value.items()} for rt in routes}
    if isinstance(value, dict) and all(isinstance(value.get(rt), dict) and "en" in value[rt] for rt in routes):
        return {rt: {k: str(v) for k, v in value[rt].items()} for rt in routes}
    raise r.fail(where, f"{key} must be {{en, zh}} or one {{en, zh}} per route ({', '.join(routes)})")


def _check_match(
    r: _Reader, where: str, match: Any, zones: dict[str, Any], provinces: dict[str, Any], cities: set[str]
) -> None:
    if not isinstance(match, dict) or not match:
        raise r.fail(where, "match must be a non-empty mapping")
    for key, value in match.items():
        if key == "any":
            for sub in value:
                _check_match(r, where, sub, zones, provinces, cities)
        elif key == "cities":
            if unknown := [v for v in value if v not in cities]:
                raise r.fail(where, f"unknown cities {unknown}")
        elif key == "zones":
            if unknown := [v for v in value if v not in zones]:
                raise r.fail(where, f"unknown zones {unknown}")
        elif key == "provinces":
            if unknown := [v for v in value if v not in provinces]:
                raise r.fail(where, f"unknown provinces {unknown}")
        elif key != "categories_any":
            raise r.fail(where, f"unknown match key {key}")
