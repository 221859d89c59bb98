"""The assessment: a pure function of (placement, rules data, reference date). No I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from generator.model import Placement
from generator.rules.data import ChecklistRule, Pilot, Rules


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str | None
    sources: tuple[str, ...]
    message_zh: str = ""
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "sources": list(self.sources),
            "hint": self.hint,
        }


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    title_zh: str
    who: str
    phase: str
    where: str
    where_zh: str
    generated: bool
    notes: str
    notes_zh: str
    sources: tuple[str, ...]
    document: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "title_zh": self.title_zh,
            "who": self.who,
            "phase": self.phase,
            "where": self.where,
            "generated": self.generated,
            "notes": self.notes,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Deadline:
    id: str
    date: date
    title: str
    title_zh: str
    basis: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "title": self.title,
            "basis": self.basis,
            "status": self.status,
        }


@dataclass(frozen=True)
class RouteAssessment:
    route: str
    verdict: str
    findings: tuple[Finding, ...]
    checklist: tuple[ChecklistItem, ...]
    deadlines: tuple[Deadline, ...]
    pilot: Pilot | None = None

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "checklist": [c.to_dict() for c in self.checklist],
            "deadlines": [d.to_dict() for d in self.deadlines],
        }


@dataclass(frozen=True)
class Assessment:
    reference_date: date
    rules_version: date
    recommended_route: str | None
    recommendation: str
    recommendation_zh: str
    routes: dict[str, RouteAssessment] = field(default_factory=dict)


# -- helpers ------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the end of a shorter month (2026-08-31 + 6 months = 2027-02-28)."""
    return day + relativedelta(months=months)


def _fmt(d: date | None) -> str:
    return d.isoformat() if d else "not yet"


class _Ctx:
    """What the predicates read: the placement, the rules, the reference date and derived values."""

    def __init__(self, p: Placement, rules: Rules, today: date) -> None:
        self.p = p
        self.rules = rules
        self.today = today
        self.t = rules.thresholds
        self.arrival = p.arrival
        self.days = p.internship.days
        self.pilot, self.pilot_alternatives = match_pilot(p, rules)

    @property
    def in_china(self) -> bool:
        return self.p.stay.in_china == "yes"

    @property
    def entry(self) -> str | None:
        return self.p.stay.entry_status


Hit = dict[str, Any] | None
Predicate = Callable[[_Ctx], Hit]


def _passport_short(c: _Ctx) -> Hit:
    expiry = c.p.student.passport_expiry
    if expiry is None:
        return None
    months = c.t["passport_min_validity_months"]
    base = c.today if c.in_china else c.arrival
    needed = add_months(base, months)
    if expiry < needed:
        return {"expiry": expiry, "needed": needed, "months": months, "field": "student.passport_expiry"}
    return None


def _passport_before_end(c: _Ctx) -> Hit:
    expiry = c.p.student.passport_expiry
    if expiry is not None and expiry < c.p.internship.end:
        return {"expiry": expiry, "end": c.p.internship.end, "field": "student.passport_expiry"}
    return None


def _visa_free(c: _Ctx) -> Hit:
    return {"status": c.entry, "field": "stay.entry_status"} if c.entry in ("visa-free", "transit") else None


def _entry_fml(c: _Ctx) -> Hit:
    return {"status": c.entry, "field": "stay.entry_status"} if c.entry in ("F", "M", "L") else None


def _registration_overdue(c: _Ctx) -> Hit:
    stay = c.p.stay
    if stay.accommodation is None or stay.accommodation == "hotel":
        return None
    deadline = c.arrival + timedelta(days=c.t["registration_days"])
    late = (stay.registered_on is not None and stay.registered_on > deadline) or (
        c.in_china and stay.registered_on is None and c.today > deadline
    )
    if late:
        return {
            "arrival": c.arrival,
            "deadline": deadline,
            "registered_on": _fmt(stay.registered_on),
            "field": "stay.registered_on",
        }
    return None


def _rules_stale(c: _Ctx) -> Hit:
    days = (c.today - c.rules.version).days
    if days > c.t["rules_stale_days"]:
        return {"rules_version": c.rules.version, "days": days, "field": None}
    return None


def _intergovernmental(c: _Ctx) -> Hit:
    prog = c.p.internship.intergovernmental_programme
    return {"programme": prog, "field": "internship.intergovernmental_programme"} if prog else None


def _always(c: _Ctx) -> Hit:
    return {"field": None}


def _s2_not_enrolled(c: _Ctx) -> Hit:
    hu = c.p.home_university
    if hu is None:
        return {
            "detail": "No home university is given: the S2 internship route is only for students enrolled at a "
            "university outside China.",
            "field": "home_university",
        }
    if hu.enrolled_until is not None and hu.enrolled_until < c.p.internship.end:
        return {
            "detail": f"The enrolment at {hu.name} ends on {hu.enrolled_until}, before the internship ends on "
            f"{c.p.internship.end}.",
            "field": "home_university.enrolled_until",
        }
    return None


def _s2_not_recognised(c: _Ctx) -> Hit:
    hu = c.p.home_university
    if hu is not None and hu.recognised == "no":
        return {"university": hu.name, "field": "home_university.recognised"}
    return None


def _s2_unverified(c: _Ctx) -> Hit:
    hu = c.p.home_university
    if hu is None or hu.recognised in (None, "unknown"):
        return {"university": hu.name if hu else "the home university", "field": "home_university.recognised"}
    return None


def _s2_not_pilot(c: _Ctx) -> Hit:
    if c.pilot is None:
        return {"city": c.p.host.city, "alternatives": c.pilot_alternatives, "field": "host.city"}
    return None


def _s2_unconfirmed(c: _Ctx) -> Hit:
    if c.pilot is not None and c.pilot.status == "reported":
        return {"pilot": c.pilot.title["en"], "reason": c.pilot.status_reason["en"], "field": "host.city"}
    return None


def _one_year_applies(c: _Ctx) -> bool:
    return c.t["s2_max_stay_days"] < c.days <= c.t["s2_one_year_max_days"] and bool(c.p.host.categories)


def _s2_too_long(c: _Ctx) -> Hit:
    if c.days > c.t["s2_max_stay_days"] and not _one_year_applies(c):
        return {"days": c.days, "max_days": c.t["s2_max_stay_days"], "field": "internship.end"}
    return None


def _s2_one_year(c: _Ctx) -> Hit:
    if _one_year_applies(c):
        return {"days": c.days, "max_days": c.t["s2_one_year_max_days"], "field": "internship.end"}
    return None


def _s2_filing(c: _Ctx) -> Hit:
    return None if c.p.host.filed_with_exit_entry == "yes" else {"field": "host.filed_with_exit_entry"}


def _s2_visa_free_conversion(c: _Ctx) -> Hit:
    if c.in_china and c.entry in ("visa-free", "transit"):
        return {"field": "stay.entry_status"}
    return None


def _salary(c: _Ctx) -> Hit:
    return {"field": "internship.pay.kind"} if c.p.internship.pay.kind == "salary" else None


def _s2_translation(c: _Ctx) -> Hit:
    hu = c.p.home_university
    if hu is not None and hu.letter_language not in ("en", "zh"):
        from babel import Locale

        name = Locale.parse("en").languages.get(hu.letter_language, hu.letter_language)
        return {"language": name, "field": "home_university.letter_language"}
    return None


def _x1_no_admission(c: _Ctx) -> Hit:
    if c.p.china_university is None:
        return {"min_days": c.t["x1_min_study_days"], "field": "china_university"}
    return None


def _x1_x2(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None:
        return None
    if cu.visa == "X2":
        return {
            "detail": "The student holds (or will hold) an X2 short-term study visa.",
            "field": "china_university.visa",
        }
    if cu.study_start and cu.study_end:
        length = (cu.study_end - cu.study_start).days + 1
        if length <= c.t["x1_min_study_days"]:
            return {
                "detail": f"The study period lasts {length} days ({cu.study_start} to {cu.study_end}), "
                f"not more than {c.t['x1_min_study_days']}: that is an X2 programme.",
                "field": "china_university.study_end",
            }
    return None


def _x1_concurrent(c: _Ctx) -> Hit:
    n = c.p.internship.other_internships
    return {"count": n, "field": "internship.other_internships"} if n > 0 else None


def _x1_not_related(c: _Ctx) -> Hit:
    return {"field": "internship.related_to_major"} if c.p.internship.related_to_major == "no" else None


def _x1_relevance(c: _Ctx) -> Hit:
    return {"field": "internship.related_to_major"} if c.p.internship.related_to_major == "unknown" else None


def _x1_ends_after(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None:
        return None
    end = c.p.internship.end
    if cu.study_end is not None and end > cu.study_end:
        return {
            "end": end,
            "limit": cu.study_end,
            "limit_name": "the end of the study period",
            "field": "internship.end",
        }
    if cu.residence_permit_expiry is not None and end > cu.residence_permit_expiry:
        return {
            "end": end,
            "limit": cu.residence_permit_expiry,
            "limit_name": "the residence permit's expiry",
            "field": "internship.end",
        }
    return None


def _x1_over_180(c: _Ctx) -> Hit:
    if c.days > c.t["annotation_max_days"]:
        return {"days": c.days, "max_days": c.t["annotation_max_days"], "field": "internship.end"}
    return None


def _x1_permit_short(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None or cu.residence_permit_expiry is None:
        return None
    months = c.t["permit_min_remaining_months"]
    needed = add_months(c.p.internship.start, months)
    if cu.residence_permit_expiry < needed:
        return {
            "permit_expiry": cu.residence_permit_expiry,
            "needed": needed,
            "months": months,
            "field": "china_university.residence_permit_expiry",
        }
    return None


def _x1_lead_time(c: _Ctx) -> Hit:
    lead = c.t["annotation_lead_days"]
    if c.p.internship.start < c.today + timedelta(days=lead):
        return {"start": c.p.internship.start, "lead_days": lead, "field": "internship.start"}
    return None


def _x1_permit_first(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None or cu.visa != "X1" or cu.residence_permit_expiry is not None:
        return None
    if c.p.internship.start < c.arrival + timedelta(days=c.t["residence_permit_days"]):
        return {"start": c.p.internship.start, "arrival": c.arrival, "field": "internship.start"}
    return None


def _x1_out_of_city(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None or not cu.city:
        return None
    host_city, uni_city = c.rules.city(c.p.host.city), c.rules.city(cu.city)
    from generator.rules.data import normalise_city

    same = (
        (host_city.id == uni_city.id)
        if (host_city and uni_city)
        else (normalise_city(c.p.host.city) == normalise_city(cu.city))
    )
    return None if same else {"host_city": c.p.host.city, "uni_city": cu.city, "field": "host.city"}


def _x1_reentry(c: _Ctx) -> Hit:
    return _s2_visa_free_conversion(c) and {"status": c.entry, "field": "stay.entry_status"}


def _x1_rp_overdue(c: _Ctx) -> Hit:
    cu = c.p.china_university
    if cu is None or cu.visa != "X1" or not c.in_china or cu.residence_permit_expiry is not None:
        return None
    deadline = c.arrival + timedelta(days=c.t["residence_permit_days"])
    if c.today > deadline:
        return {
            "arrival": c.arrival,
            "deadline": deadline,
            "field": "china_university.residence_permit_expiry",
        }
    return None


# code → predicate, in the order findings are listed (common codes first, then per route)
PREDICATES: dict[str, Predicate] = {
    "PASSPORT_VALIDITY_SHORT": _passport_short,
    "PASSPORT_EXPIRES_BEFORE_END": _passport_before_end,
    "VISA_FREE_NO_INTERNSHIP": _visa_free,
    "ENTRY_STATUS_NO_INTERNSHIP": _entry_fml,
    "REGISTRATION_OVERDUE": _registration_overdue,
    "RULES_STALE": _rules_stale,
    "INTERGOVERNMENTAL_PROGRAMME": _intergovernmental,
    "S2_NOT_ENROLLED": _s2_not_enrolled,
    "S2_UNIVERSITY_NOT_RECOGNISED": _s2_not_recognised,
    "S2_UNIVERSITY_UNVERIFIED": _s2_unverified,
    "S2_REGION_NOT_PILOT": _s2_not_pilot,
    "S2_REGION_UNCONFIRMED": _s2_unconfirmed,
    "S2_STAY_TOO_LONG": _s2_too_long,
    "S2_ONE_YEAR_VARIANT": _s2_one_year,
    "S2_COMPANY_FILING": _s2_filing,
    "S2_VISA_FREE_CONVERSION_UNCONFIRMED": _s2_visa_free_conversion,
    "S2_PAY_UNCLEAR": _salary,
    "S2_TRANSLATION_REQUIRED": _s2_translation,
    "S2_APPLY_IN_CHINA": _always,
    "S2_DISCRETIONARY": _always,
    "X1_NO_ADMISSION": _x1_no_admission,
    "X1_X2_NOT_ELIGIBLE": _x1_x2,
    "X1_PAID_WORK": _salary,
    "X1_CONCURRENT_INTERNSHIP": _x1_concurrent,
    "X1_NOT_RELATED_TO_STUDIES": _x1_not_related,
    "X1_RELEVANCE_UNCLEAR": _x1_relevance,
    "X1_ENDS_AFTER_STUDY": _x1_ends_after,
    "X1_ANNOTATION_OVER_180_DAYS": _x1_over_180,
    "X1_PERMIT_VALIDITY_SHORT": _x1_permit_short,
    "X1_LEAD_TIME_SHORT": _x1_lead_time,
    "X1_PERMIT_FIRST": _x1_permit_first,
    "X1_OUT_OF_CITY": _x1_out_of_city,
    "X1_REENTRY_REQUIRED": _x1_reentry,
    "X1_RESIDENCE_PERMIT_OVERDUE": _x1_rp_overdue,
}

# DATA_MISSING (spec/placement.md, Missing data): route → field paths read by its rules, with their getters
_MISSING: dict[str, list[tuple[str, Callable[[Placement], Any]]]] = {
    "s2": [
        ("student.passport_expiry", lambda p: p.student.passport_expiry),
        (
            "home_university.enrolled_until",
            lambda p: p.home_university is None or p.home_university.enrolled_until,
        ),
        ("internship.pay.kind", lambda p: p.internship.pay.kind),
    ],
    "x1": [
        ("student.passport_expiry", lambda p: p.student.passport_expiry),
        (
            "china_university.study_start",
            lambda p: p.china_university is None or p.china_university.study_start,
        ),
        ("china_university.study_end", lambda p: p.china_university is None or p.china_university.study_end),
        ("internship.pay.kind", lambda p: p.internship.pay.kind),
    ],
}


def match_pilot(p: Placement, rules: Rules) -> tuple[Pilot | None, str]:
    """The first pilot entry that fits the host, and (when none does) what would qualify in its city."""
    city = rules.city(p.host.city)
    facts = {
        "city": city.id if city else None,
        "province": city.province if city else None,
        "zone": p.host.zone,
        "categories": bool(p.host.categories),
    }
    for pilot in rules.pilots:
        if _matches(pilot.match, facts):
            return pilot, ""
    # what would qualify here: the entries that fit with a category, or with a zone that lies in this city
    local_zones = [z for z, info in rules.zones.items() if facts["city"] and info.get("city") == facts["city"]]
    options = []
    for pilot in rules.pilots:
        for hypo in ({**facts, "categories": True}, *({**facts, "zone": z} for z in local_zones)):
            if _matches(pilot.match, hypo):
                zone = hypo["zone"]
                reason = (
                    rules.zones[str(zone)]["en"]
                    if zone
                    else "a host in one of the categories " + ", ".join(c["en"] for c in rules.categories.values())
                )
                options.append(f"{pilot.title['en']} ({reason}; {pilot.status})")
                break
    alternatives = ("It would open only for: " + "; ".join(options) + ".") if options else ""
    return None, alternatives


def _matches(match: dict[str, Any], facts: dict[str, Any]) -> bool:
    """All keys of a match entry must hold (``any`` holds when one of its entries does)."""
    for key, value in match.items():
        if key == "cities":
            ok = facts["city"] in value
        elif key == "provinces":
            ok = facts["province"] in value
        elif key == "zones":
            ok = facts["zone"] in value
        elif key == "categories_any":
            ok = facts["categories"] == bool(value)
        elif key == "any":
            ok = any(_matches(sub, facts) for sub in value)
        else:
            raise ValueError(f"unknown match key {key!r}")
        if not ok:
            return False
    return True


def _format(template: str, values: dict[str, Any]) -> str:
    return template.format(**{k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()})


def _findings(route: str, c: _Ctx) -> list[Finding]:
    out: list[Finding] = []
    rules = c.rules
    for path, getter in _MISSING[route]:
        if getter(c.p) is None:
            rule = rules.findings["DATA_MISSING"]
            out.append(_finding(rule, {"field": path}, path))
    for code, predicate in PREDICATES.items():
        rule = rules.findings[code]
        if route not in rule.routes:
            continue
        hit = predicate(c)
        if hit is not None:
            out.append(_finding(rule, hit, hit.get("field")))
    return out


def _finding(rule: Any, values: dict[str, Any], fld: str | None) -> Finding:
    return Finding(
        code=rule.code,
        severity=rule.severity,
        message=_format(rule.message["en"], values),
        message_zh=_format(rule.message.get("zh", rule.message["en"]), values),
        field=fld,
        sources=rule.sources,
        hint=_format(rule.hint["en"], values) if rule.hint else None,
    )


def verdict_of(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "block" in severities:
        return "ineligible"
    if "confirm" in severities:
        return "uncertain"
    return "eligible"


def _field_value(p: Placement, path: str) -> Any:
    value: Any = p
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _applies(when: Any, p: Placement, codes: set[str]) -> bool:
    if when is None:
        return True
    if "all" in when:
        return all(_applies(w, p, codes) for w in when["all"])
    if "any" in when:
        return any(_applies(w, p, codes) for w in when["any"])
    if "finding" in when:
        return bool(when["finding"] in codes)
    value = _field_value(p, when["field"])
    if "equals" in when:
        return bool(value == when["equals"])
    if "not_equals" in when:
        return bool(value != when["not_equals"])
    if "in" in when:
        return value in when["in"]
    raise ValueError(f"unknown condition {when!r}")


def _checklist(route: str, c: _Ctx, codes: set[str]) -> list[ChecklistItem]:
    items = []
    for rule in c.rules.checklist:
        if route in rule.routes and _applies(rule.when, c.p, codes):
            items.append(_item(rule, route))
    return items


def _item(rule: ChecklistRule, route: str) -> ChecklistItem:
    notes = rule.notes[route]
    return ChecklistItem(
        id=rule.id,
        title=rule.title["en"],
        title_zh=rule.title["zh"],
        who=rule.who,
        phase=rule.phase[route],
        where=rule.where[route]["en"],
        where_zh=rule.where[route].get("zh", ""),
        generated=rule.generated,
        notes=notes.get("en", ""),
        notes_zh=notes.get("zh", ""),
        sources=rule.sources,
        document=rule.document,
    )


def _status(day: date, done: bool, today: date) -> str:
    if done:
        return "done"
    return "late" if day < today else "upcoming"


def _deadlines(route: str, c: _Ctx) -> list[Deadline]:
    p, t, texts = c.p, c.t, c.rules.texts
    arrival_basis = "stay.arrival" if p.stay.arrival else "internship.start (stay.arrival is not given)"
    out = []

    def add(id_: str, day: date, basis: str, done: bool) -> None:
        title = texts.get(f"deadline_{id_}", {"en": id_.replace("_", " "), "zh": ""})
        out.append(Deadline(id_, day, title["en"], title.get("zh", ""), basis, _status(day, done, c.today)))

    reg = c.arrival + timedelta(days=t["registration_days"])
    add(
        "accommodation_registration",
        reg,
        f"EEAL art. 39: within 24 hours of arrival; {arrival_basis} {c.arrival.isoformat()} + "
        f"{t['registration_days']} day"
        + (" (a hotel registers its guests itself)" if p.stay.accommodation == "hotel" else ""),
        p.stay.registered_on is not None,
    )
    cu = p.china_university
    if route == "x1":
        rp_days = t["residence_permit_days"]
        add(
            "residence_permit",
            c.arrival + timedelta(days=rp_days),
            f"EEAL art. 30: within {rp_days} days of entry on an X1 visa; {arrival_basis} "
            f"{c.arrival.isoformat()} + {rp_days} days",
            cu is not None and cu.residence_permit_expiry is not None,
        )
        lead = t["annotation_lead_days"]
        add(
            "annotation_application",
            p.internship.start - timedelta(days=lead),
            f"internship.start {p.internship.start.isoformat()} - {lead} days: university approval and the "
            "exit-entry annotation must be in place before the first day",
            False,
        )
        if cu is not None and (cu.residence_permit_expiry or cu.study_end):
            day: date | None = cu.residence_permit_expiry or cu.study_end
            basis = (
                "china_university.residence_permit_expiry"
                if cu.residence_permit_expiry
                else "china_university.study_end (no residence permit expiry given)"
            )
            assert day is not None
            add("departure", day, f"{basis} {day.isoformat()}: leave or extend the permit by then", False)
    else:
        add(
            "departure",
            p.internship.end,
            f"internship.end {p.internship.end.isoformat()}: the S2 stay is tied to the internship",
            False,
        )
    return sorted(out, key=lambda d: (d.date, d.id))


def assess(p: Placement, rules: Rules, today: date) -> Assessment:
    c = _Ctx(p, rules, today)
    routes: dict[str, RouteAssessment] = {}
    for route in ("s2", "x1"):
        findings = _findings(route, c)
        codes = {f.code for f in findings}
        routes[route] = RouteAssessment(
            route=route,
            verdict=verdict_of(findings),
            findings=tuple(findings),
            checklist=tuple(_checklist(route, c, codes)),
            deadlines=tuple(_deadlines(route, c)),
            pilot=c.pilot if route == "s2" else None,
        )
    if routes["x1"].verdict != "ineligible":
        recommended: str | None = "x1"
    elif routes["s2"].verdict != "ineligible":
        recommended = "s2"
    else:
        recommended = None
    key = f"recommend_{recommended or 'none'}_{routes[recommended].verdict if recommended else 'none'}"
    text = rules.texts.get(key) or rules.texts.get(f"recommend_{recommended or 'none'}", {"en": "", "zh": ""})

    def values(lang: str) -> dict[str, str]:
        return {
            **{r: rules.texts[f"verdict_{routes[r].verdict}"][lang] for r in ("s2", "x1")},
            **{
                f"blocks_{r}": ", ".join(f.code for f in routes[r].findings if f.severity == "block") or "—"
                for r in ("s2", "x1")
            },
        }

    return Assessment(
        reference_date=today,
        rules_version=rules.version,
        recommended_route=recommended,
        recommendation=_format(text["en"], values("en")),
        recommendation_zh=_format(text.get("zh", ""), values("zh")),
        routes=routes,
    )
