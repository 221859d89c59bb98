"""The assessment: a pure function of (placement, rules data, reference date). No I/O, no clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from generator.model import Placement
from generator.rules.data import ChecklistRule, Pilot, Rules, VisaFreePolicy


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    field: str | None
    sources: tuple[str, ...]
    message_zh: str = ""
    hint: str | None = None
    hint_zh: str | None = None
    label: str = ""
    label_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "sources": list(self.sources),
            "hint": self.hint,
            "label": self.label,
            "message_zh": self.message_zh,
            "hint_zh": self.hint_zh,
            "label_zh": self.label_zh,
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

    @property
    def visa_free_entry(self) -> bool:
        return self.entry in ("visa-free", "transit")

    def entry_policy(self) -> VisaFreePolicy | None:
        """The visa-free or transit policy the student enters on (by nationality), if any."""
        if not self.visa_free_entry:
            return None
        return self.rules.entry_policy(str(self.entry), self.p.student.nationality)

    def status_policy(self) -> VisaFreePolicy | None:
        """The policy of the entry's kind: the one covering the nationality, else the first of that kind (its days
        of stay and purposes still apply; VISA_FREE_NOT_COVERED says the nationality is not listed)."""
        if not self.visa_free_entry:
            return None
        return self.entry_policy() or self.rules.first_policy(str(self.entry))

    def stay_limit(self) -> tuple[int, date] | None:
        """Days of stay the visa-free or transit status allows, and the last day of that stay."""
        if not self.visa_free_entry:
            return None
        policy = self.status_policy()
        if policy is None:
            return None
        return policy.days, self.arrival + timedelta(days=policy.days)

    def planned_stay(self) -> tuple[int, str, str]:
        """Days of the planned stay, and what they were counted from (en, zh)."""
        st = self.p.stay
        if st.arrival and st.departure and st.departure >= st.arrival:
            days = (st.departure - st.arrival).days + 1
            return days, f"arrival {st.arrival} to departure {st.departure}", f"{st.arrival} 抵达至 {st.departure} 离境"
        i = self.p.internship
        return i.days, f"the internship, {i.start} to {i.end}", f"实习期 {i.start} 至 {i.end}"

    def tense(self) -> dict[str, str]:
        if self.in_china:
            return {"tense": "is in", "tense_zh": "目前"}
        return {"tense": "plans to enter", "tense_zh": "计划"}

    def status_values(self) -> dict[str, str]:
        status = str(self.entry)
        zh = self.rules.texts.get(f"entry_{status}", {}).get("zh", status)
        return {"status": status, "status_zh": zh}


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


def _policy_phrase(policy: VisaFreePolicy | None, lang: str) -> str:
    if policy is None:
        if lang == "en":
            return "no visa-free policy for this nationality in the rules data"
        return "规则数据中没有适用于该国籍的免签政策"
    if lang == "en":
        until = f", published until {policy.end}" if policy.end else ""
        return f"{policy.title['en']}: stays of up to {policy.days} days{until}"
    until = f"，公布的截止日期为 {policy.end}" if policy.end else ""
    return f"{policy.title['zh']}：每次停留不超过 {policy.days} 天{until}"


def _visa_free(c: _Ctx) -> Hit:
    if not c.visa_free_entry:
        return None
    policy = c.entry_policy()
    known = c.status_policy()
    return {
        **c.tense(),
        **c.status_values(),
        "policy": _policy_phrase(policy, "en"),
        "policy_zh": _policy_phrase(policy, "zh"),
        "purposes": known.purposes["en"] if known else "business, tourism, visits and transit",
        "purposes_zh": known.purposes["zh"] if known else "商务、旅游、访问和过境",
        "field": "stay.entry_status",
    }


def _visa_free_policy_ends(c: _Ctx) -> Hit:
    if c.in_china or c.entry != "visa-free" or c.p.stay.arrival is None:
        return None
    policy = c.entry_policy()
    if policy is None or policy.end is None or c.arrival <= policy.end:
        return None
    return {
        "policy": policy.title["en"],
        "policy_zh": policy.title["zh"],
        "end": policy.end,
        "arrival": c.arrival,
        "field": "stay.arrival",
    }


def _visa_free_not_covered(c: _Ctx) -> Hit:
    if c.entry != "visa-free" or c.entry_policy() is not None:
        return None
    policy = c.rules.first_policy("visa-free")
    if policy is None:
        return None
    from babel import Locale

    nat = c.p.student.nationality
    return {
        "nationality": Locale.parse("en").territories.get(nat, nat),
        "nationality_zh": Locale.parse("zh").territories.get(nat, nat),
        "policy": policy.title["en"],
        "policy_zh": policy.title["zh"],
        "field": "student.nationality",
    }


def _visa_free_stay_exceeded(c: _Ctx) -> Hit:
    limit = c.stay_limit()
    if not c.in_china or limit is None or c.today <= limit[1]:
        return None
    return {**c.status_values(), "arrival": c.arrival, "days": limit[0], "limit": limit[1], "field": "stay.arrival"}


def _entry_no_internship(c: _Ctx) -> Hit:
    return {**c.status_values(), "field": "stay.entry_status"} if c.entry in ("F", "M", "L", "other") else None


def _k_visa(c: _Ctx) -> Hit:
    return {"field": "stay.entry_status"} if c.entry == "k-visa" else None


def _arrival_after_start(c: _Ctx) -> Hit:
    arrival, start = c.p.stay.arrival, c.p.internship.start
    if arrival is not None and arrival > start:
        return {"arrival": arrival, "start": start, "field": "stay.arrival"}
    return None


def _departure_before_end(c: _Ctx) -> Hit:
    departure, end = c.p.stay.departure, c.p.internship.end
    if departure is not None and departure < end:
        return {"departure": departure, "end": end, "field": "stay.departure"}
    return None


def _s2_stay_beyond_internship(c: _Ctx) -> Hit:
    departure, end = c.p.stay.departure, c.p.internship.end
    if departure is not None and departure > end:
        return {"departure": departure, "end": end, "field": "stay.departure"}
    return None


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
    en: list[str] = []
    zh: list[str] = []
    days = (c.today - c.rules.version).days
    if days > c.t["rules_stale_days"]:
        en.append(f"The rules data was last checked against its sources on {c.rules.version}, {days} days ago.")
        zh.append(f"本规则数据最后一次核对来源是在 {c.rules.version}，距今已 {days} 天。")
    for policy in c.rules.passed_policies(c.today):
        en.append(f"The {policy.title['en']} in the rules data was published until {policy.end}, which has passed.")
        zh.append(f"规则数据中的{policy.title['zh']}公布的截止日期 {policy.end} 已过。")
    if en:
        return {"detail": " ".join(en), "detail_zh": "".join(zh), "field": None}
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
    """Planned or current: the uncertainty is the same before travel (the advice issue, point 3)."""
    return {**c.tense(), "field": "stay.entry_status"} if c.visa_free_entry else None


def _salary(c: _Ctx) -> Hit:
    return {"field": "internship.pay.kind"} if c.p.internship.pay.kind == "salary" else None


def _work_study_gaps(c: _Ctx) -> tuple[list[str], list[str]]:
    """Why paid hours do not fit the 2021 work-study measures (empty lists: they fit), in en and zh."""
    t, p, cu = c.t, c.p, c.p.china_university
    en: list[str] = []
    zh: list[str] = []
    hours = p.internship.hours_per_week
    if hours is None:
        en.append("the weekly hours are not given")
        zh.append("未填写每周工作小时数")
    elif hours > t["work_study_term_hours_week"]:
        en.append(f"{hours} hours a week is more than the {t['work_study_term_hours_week']} allowed in term")
        zh.append(f"每周 {hours} 小时，超过学期中每周 {t['work_study_term_hours_week']} 小时的上限")
    if cu is None:
        en.append("there is no Chinese university")
        zh.append("没有中国高校")
        return en, zh
    host_city, uni_city = c.rules.city(p.host.city), c.rules.city(cu.city)
    if not cu.city or not host_city or not uni_city or host_city.id != uni_city.id:
        en.append(f"the job must be in the school's city ({cu.city or 'not given'}), not {p.host.city}")
        zh.append(f"工作地点须在学校所在城市（{cu.city or '未填写'}），而非{p.host.city}")
    months = t["work_study_min_months_at_school"]
    if cu.study_start is None or add_months(cu.study_start, months) > p.internship.start:
        en.append(f"the student must have studied at the school for more than {months} months by the start")
        zh.append(f"开始时须已在本校连续学习 {months} 个月以上")
    if c.days > t["work_study_max_days"]:
        en.append(f"one annotation covers at most {t['work_study_max_days']} days, not {c.days}")
        zh.append(f"每次加注最长 {t['work_study_max_days']} 天，而非 {c.days} 天")
    return en, zh


def _x1_paid_work(c: _Ctx) -> Hit:
    if c.p.internship.pay.kind != "salary":
        return None
    en, zh = _work_study_gaps(c)
    if not en:
        return None
    return {"why": "; ".join(en), "why_zh": "；".join(zh), "field": "internship.pay.kind"}


def _x1_work_study(c: _Ctx) -> Hit:
    if c.p.internship.pay.kind != "salary" or _work_study_gaps(c)[0]:
        return None
    t, cu = c.t, c.p.china_university
    assert cu is not None and cu.city
    city = c.rules.city(cu.city)
    return {
        "hours": c.p.internship.hours_per_week,
        "term_week": t["work_study_term_hours_week"],
        "term_month": t["work_study_term_hours_month"],
        "vacation_week": t["work_study_vacation_hours_week"],
        "vacation_month": t["work_study_vacation_hours_month"],
        "city": city.en if city else cu.city,
        "city_zh": city.zh if city else cu.city,
        "max_days": t["work_study_max_days"],
        "annotation_days": t["work_study_annotation_days"],
        "field": "internship.pay.kind",
    }


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


def _x1_stay_too_short(c: _Ctx) -> Hit:
    """No admission (or one that ends within the minimum) and a plan shorter than an X1 programme."""
    minimum = c.t["x1_min_study_days"]
    cu = c.p.china_university
    if cu is not None and (cu.study_end is None or (cu.study_end - c.arrival).days + 1 > minimum):
        return None
    days, basis, basis_zh = c.planned_stay()
    if days > minimum:
        return None
    field = "stay.departure" if c.p.stay.departure else "internship.end"
    return {"stay_days": days, "stay_basis": basis, "stay_basis_zh": basis_zh, "min_days": minimum, "field": field}


def _x1_permit_held(c: _Ctx) -> bool:
    cu = c.p.china_university
    return cu is not None and cu.residence_permit_expiry is not None


def earliest_x1_start(c: _Ctx) -> date:
    """Arrival, then the residence permit, then the annotation review: the first day an intern may start."""
    return c.arrival + timedelta(days=c.t["residence_permit_processing_days"] + c.t["annotation_processing_days"])


def _x1_start_too_soon(c: _Ctx) -> Hit:
    if _x1_permit_held(c):
        return None
    earliest = earliest_x1_start(c)
    if c.p.internship.start >= earliest:
        return None
    return {
        "start": c.p.internship.start,
        "earliest": earliest,
        "arrival": c.arrival,
        "rp_days": c.t["residence_permit_processing_days"],
        "annotation_days": c.t["annotation_processing_days"],
        "field": "internship.start",
    }


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
    return {**c.tense(), **c.status_values(), "field": "stay.entry_status"} if c.visa_free_entry else None


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
    "VISA_FREE_POLICY_ENDS": _visa_free_policy_ends,
    "VISA_FREE_NOT_COVERED": _visa_free_not_covered,
    "VISA_FREE_STAY_EXCEEDED": _visa_free_stay_exceeded,
    "ENTRY_STATUS_NO_INTERNSHIP": _entry_no_internship,
    "K_VISA_NO_INTERNSHIP": _k_visa,
    "REGISTRATION_OVERDUE": _registration_overdue,
    "RULES_STALE": _rules_stale,
    "INTERGOVERNMENTAL_PROGRAMME": _intergovernmental,
    "PLAN_ARRIVAL_AFTER_START": _arrival_after_start,
    "PLAN_DEPARTURE_BEFORE_END": _departure_before_end,
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
    "S2_STAY_BEYOND_INTERNSHIP": _s2_stay_beyond_internship,
    "S2_APPLY_IN_CHINA": _always,
    "S2_DISCRETIONARY": _always,
    "X1_NO_ADMISSION": _x1_no_admission,
    "X1_STAY_TOO_SHORT": _x1_stay_too_short,
    "X1_X2_NOT_ELIGIBLE": _x1_x2,
    "X1_PAID_WORK": _x1_paid_work,
    "X1_WORK_STUDY_ANNOTATION": _x1_work_study,
    "X1_CONCURRENT_INTERNSHIP": _x1_concurrent,
    "X1_NOT_RELATED_TO_STUDIES": _x1_not_related,
    "X1_RELEVANCE_UNCLEAR": _x1_relevance,
    "X1_ENDS_AFTER_STUDY": _x1_ends_after,
    "X1_ANNOTATION_OVER_180_DAYS": _x1_over_180,
    "X1_PERMIT_VALIDITY_SHORT": _x1_permit_short,
    "X1_LEAD_TIME_SHORT": _x1_lead_time,
    "X1_PERMIT_FIRST": _x1_permit_first,
    "X1_START_TOO_SOON": _x1_start_too_soon,
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
    hint = rule.hint or {}
    return Finding(
        code=rule.code,
        severity=rule.severity,
        message=_format(rule.message["en"], values),
        message_zh=_format(rule.message.get("zh", rule.message["en"]), values),
        field=fld,
        sources=rule.sources,
        hint=_format(hint["en"], values) if "en" in hint else None,
        hint_zh=_format(hint["zh"], values) if "zh" in hint else None,
        label=rule.label["en"],
        label_zh=rule.label["zh"],
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


def _applies(when: Any, p: Placement, codes: set[str], rules: Rules | None = None) -> bool:
    if when is None:
        return True
    if "all" in when:
        return all(_applies(w, p, codes, rules) for w in when["all"])
    if "any" in when:
        return any(_applies(w, p, codes, rules) for w in when["any"])
    if "finding" in when:
        return bool(when["finding"] in codes)
    if "city" in when or "province" in when:
        city = rules.city(p.host.city) if rules else None
        if "city" in when:
            return city is not None and city.id in when["city"]
        return city is not None and city.province in when["province"]
    if "zone" in when:
        return bool(p.host.zone in when["zone"])
    if "s2_path" in when:
        return bool(s2_path(p) == when["s2_path"])
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
        if route in rule.routes and _applies(rule.when, c.p, codes, c.rules):
            local = [text for when, only, text in rule.local if route in only and _applies(when, c.p, codes, c.rules)]
            items.append(_item(rule, route, local))
    return items


def _item(rule: ChecklistRule, route: str, local: list[dict[str, str]] | None = None) -> ChecklistItem:
    notes = dict(rule.notes[route])
    for text in local or ():
        notes = {
            "en": " ".join(x for x in (notes.get("en", ""), text["en"]) if x),
            "zh": "".join(x for x in (notes.get("zh", ""), text["zh"]) if x),
        }
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


def s2_path(p: Placement) -> str:
    """How the S2 is applied for: a port visa before arrival, or a change of status in China."""
    if p.stay.in_china == "yes":
        return "change"
    return "port" if p.stay.entry_status in (None, "S2") else "change"


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
    limit = c.stay_limit()
    if limit is not None:
        add(
            "visa_free_stay_ends",
            limit[1],
            f"{p.stay.entry_status} entry: a stay of at most {limit[0]} days; {arrival_basis} "
            f"{c.arrival.isoformat()} + {limit[0]} days",
            False,
        )
    cu = p.china_university
    if route == "x1":
        _x1_deadlines(c, add, reg, arrival_basis)
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
        _s2_application(c, add, limit)
        add(
            "departure",
            p.internship.end,
            f"internship.end {p.internship.end.isoformat()}: the S2 stay is tied to the internship",
            False,
        )
    return sorted(out, key=lambda d: (d.date, _ORDER.get(d.id, 99), d.id))


# the order of the steps, for deadlines that fall on the same day
_ORDER = {
    "accommodation_registration": 0,
    "s2_application": 1,
    "residence_permit": 2,
    "university_approval": 3,
    "annotation_application": 4,
    "visa_free_stay_ends": 5,
    "departure": 6,
}


def _x1_deadlines(c: _Ctx, add: Callable[[str, date, str, bool], None], reg: date, arrival_basis: str) -> None:
    """arrival → registration → residence permit → university approval → annotation → first day, in that order:
    each step's date is its latest useful day, never before the step it depends on."""
    p, t = c.p, c.t
    start = p.internship.start
    held = _x1_permit_held(c)
    lead, review = t["annotation_lead_days"], t["annotation_processing_days"]
    approval_latest = start - timedelta(days=lead)
    annotation_latest = start - timedelta(days=review)
    floor = reg
    if c.entry in (None, "X1"):
        rp_days = t["residence_permit_days"]
        rp_legal = c.arrival + timedelta(days=rp_days)
        rp = rp_legal if held else max(reg, min(rp_legal, approval_latest))
        earlier = "" if held or rp == rp_legal else f"; earlier, {rp.isoformat()}, so that the approval can follow"
        add(
            "residence_permit",
            rp,
            f"EEAL art. 30: within {rp_days} days of entry on an X1 visa; {arrival_basis} "
            f"{c.arrival.isoformat()} + {rp_days} days{earlier}",
            held,
        )
        floor = rp if not held else floor
    approval = approval_latest if held else max(floor, approval_latest)
    add(
        "university_approval",
        approval,
        f"internship.start {start.isoformat()} - {lead} days: universities need 8 working days to a month"
        + ("" if approval == approval_latest else f"; not before the residence permit step ({floor.isoformat()})"),
        False,
    )
    annotation = max(approval, annotation_latest)
    add(
        "annotation_application",
        annotation,
        f"internship.start {start.isoformat()} - {review} days of exit-entry review; after the university's approval"
        + ("" if annotation == annotation_latest else f" ({approval.isoformat()})"),
        False,
    )


def _s2_application(c: _Ctx, add: Callable[[str, date, str, bool], None], limit: tuple[int, date] | None) -> None:
    """The deadline that matters most to the host: when the S2 application must be filed."""
    p, t = c.p, c.t
    if s2_path(p) == "port":
        lead = t["s2_port_visa_lead_days"]
        arrival_basis = "stay.arrival" if p.stay.arrival else "internship.start (stay.arrival is not given)"
        add(
            "s2_application",
            c.arrival - timedelta(days=lead),
            f"port visa: approved before the student travels; the host files it with the exit-entry administration "
            f"at least {lead} days before arrival ({arrival_basis} {c.arrival.isoformat()} - {lead} days)",
            False,
        )
        return
    lead = t["s2_change_lead_days"]
    ends = limit[1] if limit is not None else None
    anchor = min(ends, p.internship.start) if ends else p.internship.start
    what = (
        f"the {p.stay.entry_status} stay ends {ends.isoformat()}"
        if ends and anchor == ends
        else f"internship.start {p.internship.start.isoformat()}"
    )
    add(
        "s2_application",
        anchor - timedelta(days=lead),
        f"change of status in China: EEAL art. 29, at least {lead} days before the current stay ends; {what} - "
        f"{lead} days",
        False,
    )


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
    recommended, key = recommend(routes)
    text = rules.texts[key]
    stay_days = c.planned_stay()[0]

    def values(lang: str) -> dict[str, Any]:
        out: dict[str, Any] = {"stay_days": stay_days, "min_days": c.t["x1_min_study_days"]}
        for r in ("s2", "x1"):
            verdict = routes[r].verdict
            out[r] = rules.texts[f"verdict_{verdict}"][lang]
            out[f"{r}_reason"] = _reason(routes[r], rules, lang)
        return out

    return Assessment(
        reference_date=today,
        rules_version=rules.version,
        recommended_route=recommended,
        recommendation=_format(text["en"], values("en")),
        recommendation_zh=_format(text["zh"], values("zh")),
        routes=routes,
    )


def recommend(routes: dict[str, RouteAssessment]) -> tuple[str | None, str]:
    """The route to recommend and the text that explains it (docs/spec/report.md, recommended_route).

    X1 first (the visa is obtained before travel), unless it is ineligible, or S2 is eligible and the X1
    programme would have to be longer than the student's own plan (X1_STAY_TOO_SHORT)."""
    s2, x1 = routes["s2"], routes["x1"]
    if s2.verdict == "eligible" and "X1_STAY_TOO_SHORT" in x1.codes():
        return "s2", "recommend_s2_plan"
    if x1.verdict != "ineligible":
        return "x1", "recommend_x1"
    if s2.verdict != "ineligible":
        return "s2", "recommend_s2"
    return None, "recommend_none"


def _reason(route: RouteAssessment, rules: Rules, lang: str) -> str:
    """Why a route has its verdict: the labels of the findings that decide it (BLOCK, else CONFIRM)."""
    severity = {"ineligible": "block", "uncertain": "confirm"}.get(route.verdict)
    template = rules.texts[f"reason_{route.verdict}"][lang]
    if severity is None:
        return template
    seen: list[str] = []
    for f in route.findings:
        label = f.label if lang == "en" else f.label_zh
        if f.severity == severity and label not in seen:
            seen.append(label)
    labels = ("; " if lang == "en" else "；").join(seen)
    return template.format(labels=labels)
