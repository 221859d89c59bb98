"""The assessment rules (spec/report.md): every finding code on both sides of its threshold, pilot regions,
DATA_MISSING, verdicts and recommendation, checklists, deadlines, and the rules data itself."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import DELETE, TODAY, apply, assess_data, base_placement, shared_spec_path, spec_path, validate

from generator.rules.data import PHASES, WHO, load_rules, normalise_city
from generator.rules.engine import PREDICATES, Finding, add_months, assess, verdict_of

RULES = load_rules()
VERSION = RULES.version
START = date(2027, 3, 1)  # internship.start of the base placement
END = date(2027, 6, 30)  # internship.end of the base placement (L = 122)
ARRIVAL = date(2026, 8, 28)  # stay.arrival of the base placement


def iso(d: date) -> str:
    return d.isoformat()


def plus(d: date, days: int) -> str:
    return iso(d + timedelta(days=days))


def end_for_length(length: int) -> str:
    """internship.end for an internship of ``length`` days starting on START (both ends count)."""
    return plus(START, length - 1)


def base() -> dict[str, Any]:
    """A placement on which both routes are clean: S2 eligible (only its two info findings), X1 eligible.

    samples/s2-shanghai.yaml plus the Fudan admission of samples/x1-fudan.yaml (without a residence permit),
    arrival 2026-08-28 (more than 30 days before the start), nothing registered yet, not in China.
    """
    d = base_placement("s2-shanghai.yaml")
    cu = base_placement("x1-fudan.yaml")["china_university"]
    cu.pop("residence_permit_number")
    cu.pop("residence_permit_expiry")
    d["china_university"] = cu
    d["stay"]["arrival"] = iso(ARRIVAL)
    return d


def codes_of(a: Any, route: str) -> list[str]:
    return a.routes[route].codes()


# -- report.md, parsed ----------------------------------------------------------------------------

REPORT_MD = spec_path("report.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", REPORT_MD, re.S | re.M)
    assert m, f"report.md has no section {title!r}"
    return m.group(1)


def spec_codes(text: str = REPORT_MD) -> dict[str, str]:
    """code → severity, from every table of report.md's 'Finding codes' section."""
    out: dict[str, str] = {}
    m = re.search(r"^## Finding codes\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, "report.md has no section 'Finding codes'"
    for line in m.group(1).splitlines():
        m = re.match(r"^\|\s*([A-Z][A-Z0-9_]+)\s*\|\s*(block|confirm|warn|info)\s*\|", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def spec_pilots() -> list[tuple[str, str]]:
    """(entry id, status) in the order of report.md's pilot table."""
    out = []
    for line in _section("S2 pilot regions").splitlines():
        m = re.match(r"^\|\s*([a-z][a-z0-9-]+)\s*\|.*\|\s*(official|reported)\s*\|\s*$", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def spec_checklist() -> dict[str, tuple[list[str], set[str]]]:
    """route → (item ids in order, ids marked * = generated), from 'Checklist item ids'."""
    text = _section("Checklist item ids")
    out = {}
    for route, label in (("s2", "S2 route:"), ("x1", "X1 route:")):
        m = re.search(rf"^{re.escape(label)}(.*?)(?=^\S+ route:|^\\\*|\Z)", text, re.S | re.M)
        assert m, f"report.md: no {label} list"
        ids = re.findall(r"`([a-z0-9_]+)`(\*?)", m.group(1))
        out[route] = ([i for i, _ in ids], {i for i, star in ids if star})
    return out


SPEC_CODES = spec_codes()
COMMON = {
    "DATA_MISSING",
    "PASSPORT_VALIDITY_SHORT",
    "PASSPORT_EXPIRES_BEFORE_END",
    "VISA_FREE_NO_INTERNSHIP",
    "ENTRY_STATUS_NO_INTERNSHIP",
    "REGISTRATION_OVERDUE",
    "RULES_STALE",
    "INTERGOVERNMENTAL_PROGRAMME",
    "VISA_FREE_POLICY_ENDS",
    "VISA_FREE_NOT_COVERED",
    "VISA_FREE_STAY_EXCEEDED",
    "K_VISA_NO_INTERNSHIP",
    "PLAN_ARRIVAL_AFTER_START",
    "PLAN_DEPARTURE_BEFORE_END",
}


def test_project_spec_extends_the_shared_one() -> None:
    """docs/spec/report.md may add codes, never drop or re-grade one of the original contract's."""
    shared = shared_spec_path("report.md")
    if shared is None:
        return  # a clone without ../shared: the project's copy is the contract
    original = spec_codes(shared.read_text(encoding="utf-8"))
    assert len(original) >= 30, f"only {len(original)} codes parsed from {shared}"
    dropped = sorted(set(original) - set(SPEC_CODES))
    assert not dropped, f"codes of the shared report.md missing from docs/spec/report.md: {dropped}"
    regraded = {c: (original[c], SPEC_CODES[c]) for c in original if original[c] != SPEC_CODES[c]}
    assert not regraded, f"severity changed (shared, project): {regraded}"


def test_report_md_parsed() -> None:
    assert len(SPEC_CODES) >= 35, f"only {len(SPEC_CODES)} finding codes parsed from report.md"
    assert set(SPEC_CODES) >= COMMON
    assert len(spec_pilots()) >= 10
    assert spec_checklist()["s2"][1] == {
        "invitation_letter",
        "port_visa_application",
        "internship_agreement",
        "financial_guarantee",
    }


# -- the base placement ---------------------------------------------------------------------------


def test_base_placement_is_clean() -> None:
    a = assess_data(base())
    assert codes_of(a, "s2") == ["S2_APPLY_IN_CHINA", "S2_DISCRETIONARY"], codes_of(a, "s2")
    assert codes_of(a, "x1") == [], codes_of(a, "x1")
    assert (a.routes["s2"].verdict, a.routes["x1"].verdict) == ("eligible", "eligible")
    assert a.recommended_route == "x1"


# -- every finding code, both sides -----------------------------------------------------------------
#
# (route, code, present, mods, today): mods are dotted paths of the base placement set to a value
# (DELETE removes the key). route "both" checks s2 and x1.


def C(code: str, present: bool, mods: dict[str, Any], *, route: str, today: date = TODAY, id: str) -> Any:
    return pytest.param(route, code, present, mods, today, id=f"{code}-{'yes' if present else 'no'}-{id}")


LONG_CU = {"china_university.study_end": "2028-07-15"}  # study long enough for long internships
# paid hours within the 2021 work-study limits (8 h a week, the school's city, after a year at the school)
WORK_STUDY = {
    "internship.pay.kind": "salary",
    "internship.hours_per_week": "8",
    "china_university.study_start": "2025-09-01",
}

CASES = [
    # DATA_MISSING (details per field and route: test_data_missing)
    C("DATA_MISSING", True, {"student.passport_expiry": DELETE}, route="both", id="passport_expiry"),
    C("DATA_MISSING", True, {"internship.pay": DELETE}, route="both", id="pay-kind"),
    C("DATA_MISSING", False, {}, route="both", id="complete"),
    # PASSPORT_VALIDITY_SHORT: expiry < arrival (or the reference date in China) + 6 months
    C(
        "PASSPORT_VALIDITY_SHORT",
        False,
        {"stay.arrival": "2027-02-25", "student.passport_expiry": "2027-08-25"},
        route="both",
        id="exactly-arrival+6m",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        True,
        {"stay.arrival": "2027-02-25", "student.passport_expiry": "2027-08-24"},
        route="both",
        id="arrival+6m-1d",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        False,
        {"stay.arrival": "2026-08-31", "student.passport_expiry": "2027-02-28"},
        route="both",
        id="month-end-clamped",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        True,
        {"stay.arrival": "2026-08-31", "student.passport_expiry": "2027-02-27"},
        route="both",
        id="month-end-clamped-1d",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        False,
        {"stay.arrival": DELETE, "student.passport_expiry": "2027-09-01"},
        route="both",
        id="no-arrival-start+6m",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        True,
        {"stay.arrival": DELETE, "student.passport_expiry": "2027-08-31"},
        route="both",
        id="no-arrival-start+6m-1d",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        False,
        {"stay.in_china": "yes", "stay.arrival": "2026-08-28", "student.passport_expiry": "2027-07-15"},
        today=date(2027, 1, 15),
        route="both",
        id="in-china-today+6m",
    ),
    C(
        "PASSPORT_VALIDITY_SHORT",
        True,
        {"stay.in_china": "yes", "stay.arrival": "2026-08-28", "student.passport_expiry": "2027-07-14"},
        today=date(2027, 1, 15),
        route="both",
        id="in-china-today+6m-1d",
    ),
    C("PASSPORT_VALIDITY_SHORT", False, {"student.passport_expiry": DELETE}, route="both", id="missing"),
    # PASSPORT_EXPIRES_BEFORE_END
    C("PASSPORT_EXPIRES_BEFORE_END", False, {"student.passport_expiry": iso(END)}, route="both", id="on-end"),
    C(
        "PASSPORT_EXPIRES_BEFORE_END",
        True,
        {"student.passport_expiry": plus(END, -1)},
        route="both",
        id="end-1",
    ),
    C("PASSPORT_EXPIRES_BEFORE_END", False, {"student.passport_expiry": DELETE}, route="both", id="missing"),
    # VISA_FREE_NO_INTERNSHIP
    C("VISA_FREE_NO_INTERNSHIP", True, {"stay.entry_status": "visa-free"}, route="both", id="visa-free"),
    C("VISA_FREE_NO_INTERNSHIP", True, {"stay.entry_status": "transit"}, route="both", id="transit"),
    C("VISA_FREE_NO_INTERNSHIP", True, {"stay.entry_status": "Visa-Free"}, route="both", id="any-case"),
    C("VISA_FREE_NO_INTERNSHIP", False, {"stay.entry_status": "X1"}, route="both", id="x1"),
    C("VISA_FREE_NO_INTERNSHIP", False, {"stay.entry_status": None}, route="both", id="none"),
    # ENTRY_STATUS_NO_INTERNSHIP
    C("ENTRY_STATUS_NO_INTERNSHIP", True, {"stay.entry_status": "F"}, route="both", id="F"),
    C("ENTRY_STATUS_NO_INTERNSHIP", True, {"stay.entry_status": "M"}, route="both", id="M"),
    C("ENTRY_STATUS_NO_INTERNSHIP", True, {"stay.entry_status": "l"}, route="both", id="l-lower"),
    C("ENTRY_STATUS_NO_INTERNSHIP", False, {"stay.entry_status": "S2"}, route="both", id="S2"),
    C("ENTRY_STATUS_NO_INTERNSHIP", True, {"stay.entry_status": "other"}, route="both", id="other"),
    C("ENTRY_STATUS_NO_INTERNSHIP", False, {"stay.entry_status": "k-visa"}, route="both", id="k-visa"),
    # K_VISA_NO_INTERNSHIP: entry_status k-visa (any spelling of K)
    C("K_VISA_NO_INTERNSHIP", True, {"stay.entry_status": "k-visa"}, route="both", id="k-visa"),
    C("K_VISA_NO_INTERNSHIP", True, {"stay.entry_status": "K"}, route="both", id="K"),
    C("K_VISA_NO_INTERNSHIP", False, {"stay.entry_status": "X1"}, route="both", id="x1"),
    # VISA_FREE_POLICY_ENDS: a planned visa-free arrival after the waiver's published end (2026-12-31)
    C(
        "VISA_FREE_POLICY_ENDS",
        True,
        {"stay.entry_status": "visa-free", "stay.arrival": "2027-01-01"},
        route="both",
        id="arrival-after-end",
    ),
    C(
        "VISA_FREE_POLICY_ENDS",
        False,
        {"stay.entry_status": "visa-free", "stay.arrival": "2026-12-31"},
        route="both",
        id="arrival-on-end",
    ),
    C(
        "VISA_FREE_POLICY_ENDS",
        False,
        {"stay.entry_status": "visa-free", "stay.arrival": "2027-01-01", "stay.in_china": "yes"},
        route="both",
        id="already-in-china",
    ),
    C(
        "VISA_FREE_POLICY_ENDS",
        False,
        {"stay.entry_status": "transit", "stay.arrival": "2027-01-01"},
        route="both",
        id="transit-open-ended",
    ),
    # VISA_FREE_NOT_COVERED: visa-free entry for a nationality no waiver lists
    C(
        "VISA_FREE_NOT_COVERED",
        True,
        {"stay.entry_status": "visa-free", "student.nationality": "US"},
        route="both",
        id="us",
    ),
    C("VISA_FREE_NOT_COVERED", False, {"stay.entry_status": "visa-free"}, route="both", id="belgian"),
    C(
        "VISA_FREE_NOT_COVERED",
        False,
        {"stay.entry_status": "transit", "student.nationality": "US"},
        route="both",
        id="transit",
    ),
    # VISA_FREE_STAY_EXCEEDED: in China past arrival + 30 days (visa-free) or + 10 days (transit)
    C(
        "VISA_FREE_STAY_EXCEEDED",
        True,
        {"stay.entry_status": "visa-free", "stay.in_china": "yes", "stay.arrival": "2026-10-31"},
        route="both",
        id="visa-free-31-days",
    ),
    C(
        "VISA_FREE_STAY_EXCEEDED",
        False,
        {"stay.entry_status": "visa-free", "stay.in_china": "yes", "stay.arrival": "2026-11-01"},
        route="both",
        id="visa-free-30-days",
    ),
    C(
        "VISA_FREE_STAY_EXCEEDED",
        True,
        {"stay.entry_status": "transit", "stay.in_china": "yes", "stay.arrival": "2026-11-20"},
        route="both",
        id="transit-11-days",
    ),
    C(
        "VISA_FREE_STAY_EXCEEDED",
        False,
        {"stay.entry_status": "transit", "stay.in_china": "no", "stay.arrival": "2026-11-20"},
        route="both",
        id="not-in-china",
    ),
    # PLAN_ARRIVAL_AFTER_START / PLAN_DEPARTURE_BEFORE_END / S2_STAY_BEYOND_INTERNSHIP: the stay vs the internship
    C("PLAN_ARRIVAL_AFTER_START", True, {"stay.arrival": "2027-03-02"}, route="both", id="day-after"),
    C("PLAN_ARRIVAL_AFTER_START", False, {"stay.arrival": "2027-03-01"}, route="both", id="same-day"),
    C("PLAN_DEPARTURE_BEFORE_END", True, {"stay.departure": "2027-06-29"}, route="both", id="day-before"),
    C("PLAN_DEPARTURE_BEFORE_END", False, {"stay.departure": "2027-06-30"}, route="both", id="same-day"),
    C("PLAN_DEPARTURE_BEFORE_END", False, {"stay.departure": DELETE}, route="both", id="no-departure"),
    C("S2_STAY_BEYOND_INTERNSHIP", True, {"stay.departure": "2027-07-05"}, route="s2", id="day-after"),
    C("S2_STAY_BEYOND_INTERNSHIP", False, {"stay.departure": "2027-06-30"}, route="s2", id="same-day"),
    # REGISTRATION_OVERDUE: not hotel AND (registered_on > arrival + 1
    #   OR (in China, not registered, today > arrival + 1))
    C(
        "REGISTRATION_OVERDUE",
        False,
        {"stay.arrival": "2027-02-25", "stay.accommodation": "private", "stay.registered_on": "2027-02-26"},
        route="both",
        id="arrival+1",
    ),
    C(
        "REGISTRATION_OVERDUE",
        True,
        {"stay.arrival": "2027-02-25", "stay.accommodation": "private", "stay.registered_on": "2027-02-27"},
        route="both",
        id="arrival+2",
    ),
    C(
        "REGISTRATION_OVERDUE",
        True,
        {"stay.arrival": "2027-02-25", "stay.accommodation": "dormitory", "stay.registered_on": "2027-02-27"},
        route="both",
        id="dormitory-arrival+2",
    ),
    C(
        "REGISTRATION_OVERDUE",
        False,
        {"stay.arrival": "2027-02-25", "stay.accommodation": "hotel", "stay.registered_on": "2027-03-20"},
        route="both",
        id="hotel-late",
    ),
    C(
        "REGISTRATION_OVERDUE",
        False,
        {
            "stay.arrival": "2026-11-28",
            "stay.in_china": "yes",
            "stay.accommodation": "hotel",
            "stay.registered_on": None,
        },
        today=date(2026, 12, 20),
        route="both",
        id="hotel-in-china-never",
    ),
    C(
        "REGISTRATION_OVERDUE",
        False,
        {
            "stay.arrival": "2026-11-28",
            "stay.in_china": "yes",
            "stay.accommodation": "private",
            "stay.registered_on": None,
        },
        today=date(2026, 11, 29),
        route="both",
        id="in-china-today-arrival+1",
    ),
    C(
        "REGISTRATION_OVERDUE",
        True,
        {
            "stay.arrival": "2026-11-28",
            "stay.in_china": "yes",
            "stay.accommodation": "private",
            "stay.registered_on": None,
        },
        today=date(2026, 11, 30),
        route="both",
        id="in-china-today-arrival+2",
    ),
    C(
        "REGISTRATION_OVERDUE",
        False,
        {
            "stay.arrival": "2026-11-28",
            "stay.in_china": "no",
            "stay.accommodation": "private",
            "stay.registered_on": None,
        },
        today=date(2026, 11, 30),
        route="both",
        id="not-in-china",
    ),
    C(
        "REGISTRATION_OVERDUE",
        False,
        {"stay.arrival": "2027-02-25", "stay.accommodation": DELETE, "stay.registered_on": "2027-03-20"},
        route="both",
        id="accommodation-absent",
    ),
    # RULES_STALE: today more than 180 days after rules_version
    C("RULES_STALE", False, {}, today=TODAY, route="both", id="fresh"),
    C("RULES_STALE", True, {}, today=VERSION + timedelta(days=181), route="both", id="version+181"),
    # INTERGOVERNMENTAL_PROGRAMME
    C(
        "INTERGOVERNMENTAL_PROGRAMME",
        True,
        {"internship.intergovernmental_programme": "VIE"},
        route="both",
        id="VIE",
    ),
    C(
        "INTERGOVERNMENTAL_PROGRAMME",
        False,
        {"internship.intergovernmental_programme": None},
        route="both",
        id="null",
    ),
    # S2_APPLY_IN_CHINA, S2_DISCRETIONARY: always on S2, never on X1
    C("S2_APPLY_IN_CHINA", True, {}, route="s2", id="always"),
    C("S2_APPLY_IN_CHINA", False, {}, route="x1", id="not-x1"),
    C("S2_DISCRETIONARY", True, {"host.city": "Chengdu"}, route="s2", id="always"),
    C("S2_DISCRETIONARY", False, {}, route="x1", id="not-x1"),
    # S2_NOT_ENROLLED
    C("S2_NOT_ENROLLED", True, {"home_university": DELETE}, route="s2", id="no-home-university"),
    C("S2_NOT_ENROLLED", False, {"home_university.enrolled_until": iso(END)}, route="s2", id="until-end"),
    C(
        "S2_NOT_ENROLLED",
        True,
        {"home_university.enrolled_until": plus(END, -1)},
        route="s2",
        id="until-end-1",
    ),
    C("S2_NOT_ENROLLED", False, {"home_university.enrolled_until": DELETE}, route="s2", id="until-missing"),
    # S2_UNIVERSITY_NOT_RECOGNISED / S2_UNIVERSITY_UNVERIFIED
    C("S2_UNIVERSITY_NOT_RECOGNISED", True, {"home_university.recognised": "no"}, route="s2", id="no"),
    C("S2_UNIVERSITY_NOT_RECOGNISED", True, {"home_university.recognised": "False"}, route="s2", id="False"),
    C("S2_UNIVERSITY_NOT_RECOGNISED", False, {"home_university.recognised": "yes"}, route="s2", id="yes"),
    C(
        "S2_UNIVERSITY_NOT_RECOGNISED",
        False,
        {"home_university.recognised": "unknown"},
        route="s2",
        id="unknown",
    ),
    C("S2_UNIVERSITY_UNVERIFIED", True, {"home_university.recognised": "unknown"}, route="s2", id="unknown"),
    C("S2_UNIVERSITY_UNVERIFIED", True, {"home_university.recognised": DELETE}, route="s2", id="missing"),
    C("S2_UNIVERSITY_UNVERIFIED", False, {"home_university.recognised": "yes"}, route="s2", id="yes"),
    C("S2_UNIVERSITY_UNVERIFIED", False, {"home_university.recognised": "no"}, route="s2", id="no"),
    # S2_REGION_NOT_PILOT / S2_REGION_UNCONFIRMED (every pilot entry: test_pilot_matching)
    C("S2_REGION_NOT_PILOT", True, {"host.city": "Chengdu"}, route="s2", id="chengdu"),
    C("S2_REGION_NOT_PILOT", False, {"host.city": "Shanghai"}, route="s2", id="shanghai"),
    C("S2_REGION_UNCONFIRMED", True, {"host.city": "Kunshan"}, route="s2", id="kunshan"),
    C("S2_REGION_UNCONFIRMED", False, {"host.city": "Shanghai"}, route="s2", id="shanghai"),
    C("S2_REGION_UNCONFIRMED", False, {"host.city": "Chengdu"}, route="s2", id="chengdu-not-pilot"),
    # S2_STAY_TOO_LONG / S2_ONE_YEAR_VARIANT: L = end - start + 1
    C("S2_STAY_TOO_LONG", False, {"internship.end": end_for_length(180)}, route="s2", id="L180"),
    C("S2_STAY_TOO_LONG", True, {"internship.end": end_for_length(181)}, route="s2", id="L181"),
    C(
        "S2_STAY_TOO_LONG",
        False,
        {"internship.end": end_for_length(181), "host.categories": ["china-top-500"]},
        route="s2",
        id="L181-categories",
    ),
    C(
        "S2_STAY_TOO_LONG",
        False,
        {"internship.end": end_for_length(365), "host.categories": ["china-top-500"]},
        route="s2",
        id="L365-categories",
    ),
    C(
        "S2_STAY_TOO_LONG",
        True,
        {"internship.end": end_for_length(366), "host.categories": ["china-top-500"]},
        route="s2",
        id="L366-categories",
    ),
    C(
        "S2_ONE_YEAR_VARIANT",
        False,
        {"internship.end": end_for_length(180), "host.categories": ["china-top-500"]},
        route="s2",
        id="L180-categories",
    ),
    C(
        "S2_ONE_YEAR_VARIANT",
        True,
        {"internship.end": end_for_length(181), "host.categories": ["fortune-global-500-subsidiary"]},
        route="s2",
        id="L181-categories",
    ),
    C(
        "S2_ONE_YEAR_VARIANT",
        True,
        {"internship.end": end_for_length(365), "host.categories": ["beijing-high-tech"]},
        route="s2",
        id="L365-categories",
    ),
    C(
        "S2_ONE_YEAR_VARIANT",
        False,
        {"internship.end": end_for_length(366), "host.categories": ["china-top-500"]},
        route="s2",
        id="L366-categories",
    ),
    C(
        "S2_ONE_YEAR_VARIANT",
        False,
        {"internship.end": end_for_length(181), "host.categories": []},
        route="s2",
        id="L181-no-categories",
    ),
    # S2_COMPANY_FILING: filed_with_exit_entry is not yes
    C("S2_COMPANY_FILING", False, {"host.filed_with_exit_entry": "yes"}, route="s2", id="yes"),
    C("S2_COMPANY_FILING", False, {"host.filed_with_exit_entry": "TRUE"}, route="s2", id="TRUE"),
    C("S2_COMPANY_FILING", True, {"host.filed_with_exit_entry": "no"}, route="s2", id="no"),
    C("S2_COMPANY_FILING", True, {"host.filed_with_exit_entry": "unknown"}, route="s2", id="unknown"),
    C("S2_COMPANY_FILING", True, {"host.filed_with_exit_entry": DELETE}, route="s2", id="missing"),
    # S2_VISA_FREE_CONVERSION_UNCONFIRMED: in China and visa-free or transit
    C(
        "S2_VISA_FREE_CONVERSION_UNCONFIRMED",
        True,
        {"stay.in_china": "yes", "stay.entry_status": "visa-free"},
        route="s2",
        id="in-china-visa-free",
    ),
    C(
        "S2_VISA_FREE_CONVERSION_UNCONFIRMED",
        True,
        {"stay.in_china": "yes", "stay.entry_status": "transit"},
        route="s2",
        id="in-china-transit",
    ),
    C(
        "S2_VISA_FREE_CONVERSION_UNCONFIRMED",
        True,
        {"stay.in_china": "no", "stay.entry_status": "visa-free"},
        route="s2",
        id="planned-visa-free",
    ),
    C(
        "S2_VISA_FREE_CONVERSION_UNCONFIRMED",
        False,
        {"stay.in_china": "no", "stay.entry_status": None},
        route="s2",
        id="planned-no-status",
    ),
    C(
        "S2_VISA_FREE_CONVERSION_UNCONFIRMED",
        False,
        {"stay.in_china": "yes", "stay.entry_status": "F"},
        route="s2",
        id="in-china-F",
    ),
    # S2_PAY_UNCLEAR / X1_PAID_WORK: pay.kind is salary
    C("S2_PAY_UNCLEAR", True, {"internship.pay.kind": "salary"}, route="s2", id="salary"),
    C("S2_PAY_UNCLEAR", True, {"internship.pay.kind": "Salary"}, route="s2", id="Salary"),
    C("S2_PAY_UNCLEAR", False, {"internship.pay.kind": "allowance"}, route="s2", id="allowance"),
    C("S2_PAY_UNCLEAR", False, {"internship.pay.kind": "none"}, route="s2", id="none"),
    C("X1_PAID_WORK", True, {"internship.pay.kind": "salary"}, route="x1", id="salary"),
    C("X1_PAID_WORK", False, {"internship.pay.kind": "allowance"}, route="x1", id="allowance"),
    C("X1_PAID_WORK", False, {"internship.pay.kind": "none"}, route="x1", id="none"),
    C("X1_PAID_WORK", False, WORK_STUDY, route="x1", id="work-study-within-limits"),
    C("X1_PAID_WORK", True, {**WORK_STUDY, "internship.hours_per_week": "9"}, route="x1", id="work-study-9h"),
    # X1_WORK_STUDY_ANNOTATION: salary within the 2021 limits (8 h/week, school's city, a year at school, <= 1 year)
    C("X1_WORK_STUDY_ANNOTATION", True, WORK_STUDY, route="x1", id="within-limits"),
    C("X1_WORK_STUDY_ANNOTATION", False, {**WORK_STUDY, "internship.hours_per_week": "9"}, route="x1", id="9h"),
    C(
        "X1_WORK_STUDY_ANNOTATION",
        False,
        {**WORK_STUDY, "internship.hours_per_week": DELETE},
        route="x1",
        id="no-hours",
    ),
    C(
        "X1_WORK_STUDY_ANNOTATION",
        False,
        {**WORK_STUDY, "china_university.study_start": "2026-09-01"},
        route="x1",
        id="first-year",
    ),
    C("X1_WORK_STUDY_ANNOTATION", False, {**WORK_STUDY, "host.city": "Beijing"}, route="x1", id="other-city"),
    C("X1_WORK_STUDY_ANNOTATION", False, {"internship.pay.kind": "allowance"}, route="x1", id="allowance"),
    # S2_TRANSLATION_REQUIRED: letter_language neither en nor zh
    C("S2_TRANSLATION_REQUIRED", True, {"home_university.letter_language": "de"}, route="s2", id="de"),
    C("S2_TRANSLATION_REQUIRED", True, {"home_university.letter_language": "NL"}, route="s2", id="NL"),
    C("S2_TRANSLATION_REQUIRED", False, {"home_university.letter_language": "en"}, route="s2", id="en"),
    C("S2_TRANSLATION_REQUIRED", False, {"home_university.letter_language": "zh"}, route="s2", id="zh"),
    C(
        "S2_TRANSLATION_REQUIRED",
        False,
        {"home_university.letter_language": DELETE},
        route="s2",
        id="default",
    ),
    # X1_NO_ADMISSION
    C("X1_NO_ADMISSION", True, {"china_university": DELETE}, route="x1", id="none"),
    C("X1_NO_ADMISSION", False, {}, route="x1", id="admitted"),
    # X1_STAY_TOO_SHORT: no admission (or one ending within 180 days of arrival) and a planned stay <= 180 days
    C(
        "X1_STAY_TOO_SHORT",
        True,
        {"china_university": DELETE, "stay.arrival": "2027-02-25"},
        route="x1",
        id="no-admission-126-days",
    ),
    C("X1_STAY_TOO_SHORT", False, {"china_university": DELETE}, route="x1", id="no-admission-307-days"),
    C(
        "X1_STAY_TOO_SHORT",
        True,
        {"china_university": DELETE, "stay.arrival": DELETE, "stay.departure": DELETE},
        route="x1",
        id="internship-122-days",
    ),
    C("X1_STAY_TOO_SHORT", False, {"stay.arrival": "2027-02-25", **LONG_CU}, route="x1", id="admitted-long"),
    C(
        "X1_STAY_TOO_SHORT",
        True,
        {"stay.arrival": "2027-02-25", "china_university.study_end": "2027-07-15"},
        route="x1",
        id="admission-ends-within-180",
    ),
    # X1_START_TOO_SOON: no permit yet and start < arrival + 21 + 14 days
    C("X1_START_TOO_SOON", True, {"stay.arrival": "2027-02-01"}, route="x1", id="arrival+28"),
    C("X1_START_TOO_SOON", False, {"stay.arrival": "2027-01-25"}, route="x1", id="arrival+35"),
    C(
        "X1_START_TOO_SOON",
        False,
        {"stay.arrival": "2027-02-01", "china_university.residence_permit_expiry": "2028-07-31"},
        route="x1",
        id="permit-held",
    ),
    # X1_X2_NOT_ELIGIBLE: visa X2, or study period (both ends) of 180 days or less
    C("X1_X2_NOT_ELIGIBLE", True, {"china_university.visa": "X2"}, route="x1", id="visa-X2"),
    C("X1_X2_NOT_ELIGIBLE", True, {"china_university.visa": "x2"}, route="x1", id="visa-x2-lower"),
    C(
        "X1_X2_NOT_ELIGIBLE",
        True,
        {
            "china_university.study_start": "2027-01-01",
            "china_university.study_end": plus(date(2027, 1, 1), 179),
        },
        route="x1",
        id="study-180-days",
    ),
    C(
        "X1_X2_NOT_ELIGIBLE",
        False,
        {
            "china_university.study_start": "2027-01-01",
            "china_university.study_end": plus(date(2027, 1, 1), 180),
        },
        route="x1",
        id="study-181-days",
    ),
    C("X1_X2_NOT_ELIGIBLE", False, {"china_university": DELETE}, route="x1", id="no-admission"),
    # X1_CONCURRENT_INTERNSHIP
    C("X1_CONCURRENT_INTERNSHIP", True, {"internship.other_internships": "1"}, route="x1", id="1"),
    C("X1_CONCURRENT_INTERNSHIP", False, {"internship.other_internships": "0"}, route="x1", id="0"),
    C("X1_CONCURRENT_INTERNSHIP", False, {"internship.other_internships": DELETE}, route="x1", id="default"),
    # X1_NOT_RELATED_TO_STUDIES / X1_RELEVANCE_UNCLEAR
    C("X1_NOT_RELATED_TO_STUDIES", True, {"internship.related_to_major": "no"}, route="x1", id="no"),
    C("X1_NOT_RELATED_TO_STUDIES", True, {"internship.related_to_major": "OFF"}, route="x1", id="OFF"),
    C("X1_NOT_RELATED_TO_STUDIES", False, {"internship.related_to_major": "yes"}, route="x1", id="yes"),
    C(
        "X1_NOT_RELATED_TO_STUDIES",
        False,
        {"internship.related_to_major": "unknown"},
        route="x1",
        id="unknown",
    ),
    C("X1_RELEVANCE_UNCLEAR", True, {"internship.related_to_major": "unknown"}, route="x1", id="unknown"),
    C("X1_RELEVANCE_UNCLEAR", True, {"internship.related_to_major": DELETE}, route="x1", id="missing"),
    C("X1_RELEVANCE_UNCLEAR", False, {"internship.related_to_major": "yes"}, route="x1", id="yes"),
    C("X1_RELEVANCE_UNCLEAR", False, {"internship.related_to_major": "no"}, route="x1", id="no"),
    # X1_ENDS_AFTER_STUDY: end > study_end or > residence_permit_expiry
    C(
        "X1_ENDS_AFTER_STUDY",
        False,
        {"china_university.study_end": iso(END)},
        route="x1",
        id="study-end-on-end",
    ),
    C(
        "X1_ENDS_AFTER_STUDY",
        True,
        {"china_university.study_end": plus(END, -1)},
        route="x1",
        id="study-end-1",
    ),
    C(
        "X1_ENDS_AFTER_STUDY",
        False,
        {"china_university.residence_permit_expiry": "2027-09-30", "china_university.study_end": iso(END)},
        route="x1",
        id="permit-after",
    ),
    C(
        "X1_ENDS_AFTER_STUDY",
        False,
        {"china_university.residence_permit_expiry": iso(END)},
        route="x1",
        id="permit-on-end",
    ),
    C(
        "X1_ENDS_AFTER_STUDY",
        True,
        {"china_university.residence_permit_expiry": plus(END, -1)},
        route="x1",
        id="permit-end-1",
    ),
    C("X1_ENDS_AFTER_STUDY", False, {"china_university": DELETE}, route="x1", id="no-admission"),
    # X1_ANNOTATION_OVER_180_DAYS
    C(
        "X1_ANNOTATION_OVER_180_DAYS",
        False,
        {"internship.end": end_for_length(180), **LONG_CU},
        route="x1",
        id="L180",
    ),
    C(
        "X1_ANNOTATION_OVER_180_DAYS",
        True,
        {"internship.end": end_for_length(181), **LONG_CU},
        route="x1",
        id="L181",
    ),
    C(
        "X1_ANNOTATION_OVER_180_DAYS",
        True,
        {"internship.end": end_for_length(181), "china_university": DELETE},
        route="x1",
        id="L181-no-admission",
    ),
    # X1_PERMIT_VALIDITY_SHORT: permit expiry < start + 6 months
    C(
        "X1_PERMIT_VALIDITY_SHORT",
        False,
        {"china_university.residence_permit_expiry": iso(add_months(START, 6))},
        route="x1",
        id="start+6m",
    ),
    C(
        "X1_PERMIT_VALIDITY_SHORT",
        True,
        {"china_university.residence_permit_expiry": iso(add_months(START, 6) - timedelta(days=1))},
        route="x1",
        id="start+6m-1d",
    ),
    C("X1_PERMIT_VALIDITY_SHORT", False, {}, route="x1", id="no-permit"),
    # X1_LEAD_TIME_SHORT: start < today + 30 days
    C("X1_LEAD_TIME_SHORT", False, {}, today=START - timedelta(days=30), route="x1", id="start=today+30"),
    C("X1_LEAD_TIME_SHORT", True, {}, today=START - timedelta(days=29), route="x1", id="start=today+29"),
    C(
        "X1_LEAD_TIME_SHORT",
        True,
        {"china_university": DELETE},
        today=START - timedelta(days=29),
        route="x1",
        id="no-admission",
    ),
    # X1_PERMIT_FIRST: visa X1, no permit expiry, start < arrival + 30 days
    C("X1_PERMIT_FIRST", False, {"stay.arrival": plus(START, -30)}, route="x1", id="start=arrival+30"),
    C("X1_PERMIT_FIRST", True, {"stay.arrival": plus(START, -29)}, route="x1", id="start=arrival+29"),
    C("X1_PERMIT_FIRST", True, {"stay.arrival": DELETE}, route="x1", id="no-arrival"),
    C(
        "X1_PERMIT_FIRST",
        False,
        {"stay.arrival": plus(START, -4), "china_university.residence_permit_expiry": "2027-12-31"},
        route="x1",
        id="permit-held",
    ),
    C(
        "X1_PERMIT_FIRST",
        False,
        {"stay.arrival": plus(START, -4), "china_university.visa": "X2"},
        route="x1",
        id="X2",
    ),
    C(
        "X1_PERMIT_FIRST",
        False,
        {"stay.arrival": plus(START, -4), "china_university": DELETE},
        route="x1",
        id="no-admission",
    ),
    # X1_OUT_OF_CITY: host.city differs from china_university.city, after normalisation
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "上海市", "china_university.city": "shanghai"},
        route="x1",
        id="上海市-shanghai",
    ),
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "Shanghai Shi", "china_university.city": "上海"},
        route="x1",
        id="shanghai-shi-上海",
    ),
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "Suzhou", "china_university.city": "苏州"},
        route="x1",
        id="Suzhou-苏州",
    ),
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "Suzhou City", "china_university.city": "苏州市"},
        route="x1",
        id="Suzhou-City-苏州市",
    ),
    C(
        "X1_OUT_OF_CITY",
        True,
        {"host.city": "Suzhou", "china_university.city": "宿州"},
        route="x1",
        id="Suzhou-宿州",
    ),
    C(
        "X1_OUT_OF_CITY",
        True,
        {"host.city": "苏州", "china_university.city": "宿州市"},
        route="x1",
        id="苏州-宿州市",
    ),
    C(
        "X1_OUT_OF_CITY",
        True,
        {"host.city": "Beijing", "china_university.city": "Shanghai"},
        route="x1",
        id="Beijing-Shanghai",
    ),
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "Beijing", "china_university.city": DELETE},
        route="x1",
        id="university-city-missing",
    ),
    C(
        "X1_OUT_OF_CITY",
        False,
        {"host.city": "Beijing", "china_university": DELETE},
        route="x1",
        id="no-admission",
    ),
    # X1_REENTRY_REQUIRED: in China and visa-free or transit
    C(
        "X1_REENTRY_REQUIRED",
        True,
        {"stay.in_china": "yes", "stay.entry_status": "visa-free"},
        route="x1",
        id="in-china-visa-free",
    ),
    C(
        "X1_REENTRY_REQUIRED",
        True,
        {"stay.in_china": "yes", "stay.entry_status": "transit"},
        route="x1",
        id="in-china-transit",
    ),
    C(
        "X1_REENTRY_REQUIRED",
        True,
        {"stay.in_china": "no", "stay.entry_status": "visa-free"},
        route="x1",
        id="planned-visa-free",
    ),
    C(
        "X1_REENTRY_REQUIRED",
        False,
        {"stay.in_china": "yes", "stay.entry_status": "X1"},
        route="x1",
        id="in-china-X1",
    ),
    # X1_RESIDENCE_PERMIT_OVERDUE: visa X1, in China, no permit expiry, today > arrival + 30 days
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        False,
        {"stay.in_china": "yes"},
        today=ARRIVAL + timedelta(days=30),
        route="x1",
        id="today=arrival+30",
    ),
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        True,
        {"stay.in_china": "yes"},
        today=ARRIVAL + timedelta(days=31),
        route="x1",
        id="today=arrival+31",
    ),
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        False,
        {"stay.in_china": "no"},
        today=ARRIVAL + timedelta(days=31),
        route="x1",
        id="not-in-china",
    ),
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        False,
        {"stay.in_china": "yes", "china_university.residence_permit_expiry": "2027-12-31"},
        today=ARRIVAL + timedelta(days=31),
        route="x1",
        id="permit-held",
    ),
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        False,
        {"stay.in_china": "yes", "china_university.visa": "X2"},
        today=ARRIVAL + timedelta(days=31),
        route="x1",
        id="X2",
    ),
    C(
        "X1_RESIDENCE_PERMIT_OVERDUE",
        False,
        {"stay.in_china": "yes", "china_university": DELETE},
        today=ARRIVAL + timedelta(days=31),
        route="x1",
        id="no-admission",
    ),
]


@pytest.mark.parametrize(("route", "code", "present", "mods", "today"), CASES)
def test_finding(route: str, code: str, present: bool, mods: dict[str, Any], today: date) -> None:
    a = assess_data(apply(base(), mods), today)
    for r in ("s2", "x1") if route == "both" else (route,):
        codes = codes_of(a, r)
        if present:
            assert code in codes, f"{code} should fire on {r} with {mods} (today {today}); findings: {codes}"
            finding = next(f for f in a.routes[r].findings if f.code == code)
            assert finding.severity == SPEC_CODES[code], f"{code}: severity {finding.severity}"
            assert finding.message and "{" not in finding.message, f"{code}: message {finding.message!r}"
        else:
            assert code not in codes, f"{code} should not fire on {r} with {mods} (today {today}); findings: {codes}"


def test_every_code_has_both_sides_in_the_table() -> None:
    sides: dict[str, set[bool]] = {}
    for param in CASES:
        _route, code, present, _mods, _today = param.values
        sides.setdefault(code, set()).add(present)
    missing = sorted(set(SPEC_CODES) - set(sides))
    assert not missing, f"codes of report.md without a test case: {missing}"
    one_sided = sorted(c for c, s in sides.items() if s != {True, False})
    assert not one_sided, f"codes tested on one side only: {one_sided}"


def test_route_of_each_code() -> None:
    """Common codes appear in both routes, S2_* only in S2, X1_* only in X1 (in the data and in practice)."""
    for code in SPEC_CODES:
        want = ("s2", "x1") if code in COMMON else (code[:2].lower(),)
        assert set(RULES.findings[code].routes) == set(want), f"{code}: routes {RULES.findings[code].routes}"
    # a placement that fires a lot: every finding sits in the right route
    d = apply(
        base(),
        {
            "internship.pay.kind": "salary",
            "stay.in_china": "yes",
            "stay.entry_status": "visa-free",
            "host.city": "Chengdu",
            "internship.related_to_major": "no",
        },
    )
    a = assess_data(d, VERSION + timedelta(days=400))
    for route in ("s2", "x1"):
        for f in a.routes[route].findings:
            assert f.code in COMMON or f.code.startswith(route.upper() + "_"), f"{f.code} in route {route}"


# -- finding details -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "mods", "route", "field"),
    [
        (
            "PASSPORT_VALIDITY_SHORT",
            {"student.passport_expiry": "2027-01-01"},
            "s2",
            "student.passport_expiry",
        ),
        ("S2_NOT_ENROLLED", {"home_university": DELETE}, "s2", "home_university"),
        (
            "S2_NOT_ENROLLED",
            {"home_university.enrolled_until": "2027-01-01"},
            "s2",
            "home_university.enrolled_until",
        ),
        ("S2_STAY_TOO_LONG", {"internship.end": end_for_length(200)}, "s2", "internship.end"),
        ("X1_PAID_WORK", {"internship.pay.kind": "salary"}, "x1", "internship.pay.kind"),
        (
            "X1_CONCURRENT_INTERNSHIP",
            {"internship.other_internships": "2"},
            "x1",
            "internship.other_internships",
        ),
        ("X1_OUT_OF_CITY", {"host.city": "Beijing"}, "x1", "host.city"),
        ("RULES_STALE", {}, "x1", None),
        ("S2_APPLY_IN_CHINA", {}, "s2", None),
    ],
)
def test_finding_field(code: str, mods: dict[str, Any], route: str, field: str | None) -> None:
    a = assess_data(apply(base(), mods), VERSION + timedelta(days=365) if code == "RULES_STALE" else TODAY)
    f = next((f for f in a.routes[route].findings if f.code == code), None)
    assert f is not None, f"{code} did not fire: {codes_of(a, route)}"
    assert f.field == field, f"{code}: field {f.field!r}, expected {field!r}"
    assert f.sources == RULES.findings[code].sources


def test_s2_stay_too_long_message_names_the_length() -> None:
    a = assess_data(apply(base(), {"internship.end": end_for_length(200)}))
    f = next(f for f in a.routes["s2"].findings if f.code == "S2_STAY_TOO_LONG")
    assert "200" in f.message and "180" in f.message, f.message


# -- DATA_MISSING, exactly as placement.md "Missing data" says --------------------------------------


@pytest.mark.parametrize(
    ("mods", "s2_fields", "x1_fields"),
    [
        pytest.param({}, [], [], id="complete"),
        pytest.param(
            {"student.passport_expiry": DELETE},
            ["student.passport_expiry"],
            ["student.passport_expiry"],
            id="passport_expiry-both",
        ),
        pytest.param(
            {"student.passport_expiry": None},
            ["student.passport_expiry"],
            ["student.passport_expiry"],
            id="passport_expiry-null",
        ),
        pytest.param(
            {"internship.pay.kind": DELETE},
            ["internship.pay.kind"],
            ["internship.pay.kind"],
            id="pay.kind-both",
        ),
        pytest.param({"internship.pay": DELETE}, ["internship.pay.kind"], ["internship.pay.kind"], id="no-pay"),
        pytest.param(
            {"home_university.enrolled_until": DELETE},
            ["home_university.enrolled_until"],
            [],
            id="enrolled_until-s2-only",
        ),
        pytest.param({"home_university": DELETE}, [], [], id="no-home-university-no-enrolled_until"),
        pytest.param(
            {"china_university.study_start": DELETE},
            [],
            ["china_university.study_start"],
            id="study_start-x1-only",
        ),
        pytest.param(
            {"china_university.study_end": DELETE}, [], ["china_university.study_end"], id="study_end-x1-only"
        ),
        pytest.param(
            {"china_university.study_start": DELETE, "china_university.study_end": DELETE},
            [],
            ["china_university.study_start", "china_university.study_end"],
            id="both-study-dates",
        ),
        pytest.param({"china_university": DELETE}, [], [], id="no-china-university-no-study-dates"),
        pytest.param(
            {
                "student.passport_expiry": DELETE,
                "internship.pay.kind": DELETE,
                "home_university.enrolled_until": DELETE,
                "china_university.study_end": DELETE,
            },
            ["student.passport_expiry", "home_university.enrolled_until", "internship.pay.kind"],
            ["student.passport_expiry", "china_university.study_end", "internship.pay.kind"],
            id="all-at-once",
        ),
        # fields with defaults never count as missing
        pytest.param(
            {
                "host.categories": DELETE,
                "host.zone": DELETE,
                "internship.other_internships": DELETE,
                "host.filed_with_exit_entry": DELETE,
                "internship.related_to_major": DELETE,
                "stay.arrival": DELETE,
                "stay.in_china": DELETE,
            },
            [],
            [],
            id="defaults",
        ),
    ],
)
def test_data_missing(mods: dict[str, Any], s2_fields: list[str], x1_fields: list[str]) -> None:
    a = assess_data(apply(base(), mods))
    for route, fields in (("s2", s2_fields), ("x1", x1_fields)):
        got = [f.field for f in a.routes[route].findings if f.code == "DATA_MISSING"]
        assert sorted(got) == sorted(fields), f"{route}: DATA_MISSING for {got}, expected {fields}"
        if fields:
            assert a.routes[route].verdict in ("uncertain", "ineligible"), a.routes[route].verdict
            for f in a.routes[route].findings:
                if f.code == "DATA_MISSING":
                    assert f.severity == "confirm" and f.field in f.message, f


def test_data_missing_makes_a_clean_route_uncertain() -> None:
    a = assess_data(apply(base(), {"student.passport_expiry": DELETE}))
    assert a.routes["s2"].verdict == "uncertain"
    assert a.routes["x1"].verdict == "uncertain"
    assert a.recommended_route == "x1"


def test_minimal_placement_never_crashes() -> None:
    """Only the required fields: every rule copes with absent data."""
    d = {
        "student": {"family_name": "Peeters", "given_names": "Lotte", "nationality": "BE"},
        "host": {"name_en": "Lowlands Trading", "city": "Shanghai"},
        "internship": {"position": "Intern", "start": "2027-03-01", "end": "2027-06-30"},
    }
    a = assess_data(d)
    s2 = codes_of(a, "s2")
    x1 = codes_of(a, "x1")
    assert "S2_NOT_ENROLLED" in s2 and "X1_NO_ADMISSION" in x1
    assert sorted(f.field for f in a.routes["x1"].findings if f.code == "DATA_MISSING") == [
        "internship.pay.kind",
        "student.passport_expiry",
    ]
    assert sorted(f.field for f in a.routes["s2"].findings if f.code == "DATA_MISSING") == [
        "internship.pay.kind",
        "student.passport_expiry",
    ]


# -- S2 pilot regions ------------------------------------------------------------------------------


PILOT_CASES = [
    ({"city": "Shanghai"}, "shanghai", None),
    ({"city": "上海市"}, "shanghai", None),
    ({"city": "shanghai"}, "shanghai", None),
    ({"city": "Shanghai Shi"}, "shanghai", None),
    ({"city": "Beijing", "zone": "zhongguancun"}, "zhongguancun", None),
    ({"city": "北京", "zone": "beijing-two-zones"}, "beijing-two-zones", None),
    ({"city": "Beijing", "categories": ["china-top-500"]}, "beijing-well-known", None),
    ({"city": "Beijing City", "categories": ["beijing-high-tech"]}, "beijing-well-known", None),
    ({"city": "Guangzhou", "zone": "nansha"}, "guangdong-ftz", None),
    ({"city": "Shenzhen", "zone": "qianhai-shekou"}, "guangdong-ftz", None),
    ({"city": "Zhuhai", "zone": "hengqin"}, "guangdong-ftz", None),
    ({"city": "Fuzhou"}, "fujian-ftz", "S2_REGION_UNCONFIRMED"),
    ({"city": "平潭"}, "fujian-ftz", "S2_REGION_UNCONFIRMED"),
    ({"city": "Xiamen", "zone": "fujian-ftz"}, "fujian-ftz", "S2_REGION_UNCONFIRMED"),
    ({"city": "Dongguan"}, "greater-bay-area", "S2_REGION_UNCONFIRMED"),
    ({"city": "深圳市"}, "greater-bay-area", "S2_REGION_UNCONFIRMED"),
    ({"city": "Jieyang", "zone": "jieyang-sino-german"}, "greater-bay-area", "S2_REGION_UNCONFIRMED"),
    ({"city": "Haikou", "zone": "hainan-ftp"}, "hainan-ftp", "S2_REGION_UNCONFIRMED"),
    ({"city": "Sanya"}, "hainan-ftp", "S2_REGION_UNCONFIRMED"),
    ({"city": "Chongqing", "zone": "chongqing-ftz"}, "chongqing-ftz", "S2_REGION_UNCONFIRMED"),
    ({"city": "Kunshan"}, "jiangsu", "S2_REGION_UNCONFIRMED"),
    ({"city": "Suzhou"}, "jiangsu", "S2_REGION_UNCONFIRMED"),
    ({"city": "苏州"}, "jiangsu", "S2_REGION_UNCONFIRMED"),
    ({"city": "Nanjing"}, "jiangsu", "S2_REGION_UNCONFIRMED"),
    (
        {"city": "Chengdu", "categories": ["fortune-global-500-subsidiary"]},
        "nationwide-well-known",
        "S2_REGION_UNCONFIRMED",
    ),
    ({"city": "Chengdu"}, None, "S2_REGION_NOT_PILOT"),
    ({"city": "宿州"}, None, "S2_REGION_NOT_PILOT"),
    ({"city": "Chongqing"}, None, "S2_REGION_NOT_PILOT"),
    ({"city": "Jieyang"}, None, "S2_REGION_NOT_PILOT"),
    ({"city": "Beijing"}, None, "S2_REGION_NOT_PILOT"),
    ({"city": "Atlantis"}, None, "S2_REGION_NOT_PILOT"),
]


def _pilot_id(host: dict[str, Any]) -> str:
    return "-".join([host["city"], *([host["zone"]] if host.get("zone") else []), *host.get("categories", [])])


@pytest.mark.parametrize(("host", "pilot", "finding"), PILOT_CASES, ids=[_pilot_id(c[0]) for c in PILOT_CASES])
def test_pilot_matching(host: dict[str, Any], pilot: str | None, finding: str | None) -> None:
    mods = {f"host.{k}": v for k, v in host.items()}
    a = assess_data(apply(base(), mods))
    s2 = a.routes["s2"]
    got = s2.pilot.id if s2.pilot else None
    assert got == pilot, f"host {host}: matched pilot {got!r}, expected {pilot!r}"
    region_codes = [c for c in s2.codes() if c.startswith("S2_REGION_")]
    assert region_codes == ([finding] if finding else []), f"host {host}: region findings {region_codes}"
    status = {p.id: p.status for p in RULES.pilots}
    if pilot:
        assert (status[pilot] == "reported") == (finding == "S2_REGION_UNCONFIRMED")


def test_every_spec_pilot_is_matched_by_a_case() -> None:
    """Each pilot entry of report.md is in the data with its status, and reached by a case above."""
    statuses = {p.id: p.status for p in RULES.pilots}
    reached = {pilot for _host, pilot, _finding in PILOT_CASES}
    for pid, status in spec_pilots():
        assert pid in reached, f"no pilot-matching case reaches {pid}"
        assert pid in statuses, f"pilot {pid} of report.md is missing from regions.yaml"
        assert statuses[pid] == status, f"pilot {pid}: status {statuses[pid]}, report.md says {status}"


def test_beijing_without_zone_names_zhongguancun() -> None:
    a = assess_data(apply(base(), {"host.city": "Beijing", "host.zone": None, "host.categories": []}))
    f = next(f for f in a.routes["s2"].findings if f.code == "S2_REGION_NOT_PILOT")
    assert "Zhongguancun" in f.message, f.message
    assert f.severity == "block"
    assert a.routes["s2"].verdict == "ineligible"


def test_not_pilot_message_in_a_city_without_options() -> None:
    a = assess_data(apply(base(), {"host.city": "Chengdu"}))
    f = next(f for f in a.routes["s2"].findings if f.code == "S2_REGION_NOT_PILOT")
    assert "Chengdu" in f.message, f.message
    assert "{" not in f.message


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("上海市", "shanghai", True),
        ("Shanghai", "SHANGHAI", True),
        ("Shanghai Shi", "上海", True),
        ("Xi'an", "Xian", True),
        ("Suzhou City", "suzhou", True),
        ("Suzhou", "Shanghai", False),
    ],
)
def test_city_names_compare_after_normalisation(a: str, b: str, same: bool) -> None:
    ca, cb = RULES.city(a), RULES.city(b)
    assert ca is not None and cb is not None, (a, ca, b, cb)
    assert (ca.id == cb.id) == same, (a, ca.id, b, cb.id)


def test_normalise_city_suffixes() -> None:
    assert normalise_city("上海市") == normalise_city("上海")
    assert normalise_city("Shanghai Shi") == normalise_city("shanghai") == normalise_city("Shanghai City")
    assert normalise_city("Xi'an") == normalise_city("xian")


def test_ambiguous_city_names_resolve_to_the_pilot_province() -> None:
    assert RULES.city("Suzhou").province == "jiangsu"
    assert RULES.city("苏州").province == "jiangsu"
    assert RULES.city("宿州").province == "anhui"
    assert RULES.city("Taizhou").province == "jiangsu"
    assert RULES.city("台州").province == "zhejiang"


# -- verdicts and recommendation -------------------------------------------------------------------


def _f(severity: str) -> Finding:
    return Finding(code="X", severity=severity, message="m", field=None, sources=())


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [
        ([], "eligible"),
        (["info"], "eligible"),
        (["warn", "info"], "eligible"),
        (["confirm"], "uncertain"),
        (["confirm", "warn"], "uncertain"),
        (["block"], "ineligible"),
        (["block", "confirm", "warn", "info"], "ineligible"),
    ],
)
def test_verdict_of(severities: list[str], verdict: str) -> None:
    assert verdict_of([_f(s) for s in severities]) == verdict


@pytest.mark.parametrize(
    ("mods", "s2", "x1", "recommended"),
    [
        pytest.param({}, "eligible", "eligible", "x1", id="both-eligible"),
        pytest.param({"china_university": DELETE}, "eligible", "uncertain", "x1", id="x1-uncertain"),
        pytest.param({"host.city": "Chengdu"}, "ineligible", "eligible", "x1", id="s2-ineligible"),
        pytest.param(
            {"internship.pay.kind": "salary"},
            "uncertain",
            "ineligible",
            "s2",
            id="x1-ineligible-s2-uncertain",
        ),
        pytest.param(
            {"internship.related_to_major": "no"},
            "eligible",
            "ineligible",
            "s2",
            id="x1-ineligible-s2-eligible",
        ),
        pytest.param(
            {"internship.pay.kind": "salary", "host.city": "Chengdu"},
            "ineligible",
            "ineligible",
            None,
            id="both-ineligible",
        ),
    ],
)
def test_recommendation(mods: dict[str, Any], s2: str, x1: str, recommended: str | None) -> None:
    a = assess_data(apply(base(), mods))
    got = (a.routes["s2"].verdict, a.routes["x1"].verdict, a.recommended_route)
    assert got == (s2, x1, recommended), f"{mods}: (s2, x1, recommended) = {got}"
    assert a.recommendation and "{" not in a.recommendation, a.recommendation
    for route in ("s2", "x1"):
        assert a.routes[route].verdict == verdict_of(list(a.routes[route].findings))


# -- checklist ---------------------------------------------------------------------------------------

SPEC_CHECKLIST = spec_checklist()
S2_CONDITIONAL = {"enterprise_filing", "translation", "zgc_certification"}
X1_CONDITIONAL = {"work_study_annotation"}


def checklist_ids(a: Any, route: str) -> list[str]:
    return [c.id for c in a.routes[route].checklist]


def test_checklist_of_the_base_placement() -> None:
    a = assess_data(base())
    s2_all, _ = SPEC_CHECKLIST["s2"]
    x1_all, _ = SPEC_CHECKLIST["x1"]
    assert sorted(checklist_ids(a, "s2")) == sorted(set(s2_all) - S2_CONDITIONAL), checklist_ids(a, "s2")
    assert sorted(checklist_ids(a, "x1")) == sorted(set(x1_all) - X1_CONDITIONAL), checklist_ids(a, "x1")


def test_checklist_ids_in_the_data_are_those_of_report_md() -> None:
    for route in ("s2", "x1"):
        data_ids = sorted(c.id for c in RULES.checklist if route in c.routes)
        assert data_ids == sorted(SPEC_CHECKLIST[route][0]), f"{route}: {data_ids}"


@pytest.mark.parametrize(
    ("mods", "present", "absent"),
    [
        pytest.param({"host.filed_with_exit_entry": "yes"}, [], ["enterprise_filing"], id="filed-yes"),
        pytest.param({"host.filed_with_exit_entry": "no"}, ["enterprise_filing"], [], id="filed-no"),
        pytest.param({"host.filed_with_exit_entry": "unknown"}, ["enterprise_filing"], [], id="filed-unknown"),
        pytest.param({"host.filed_with_exit_entry": DELETE}, ["enterprise_filing"], [], id="filed-missing"),
        pytest.param({"home_university.letter_language": "de"}, ["translation"], [], id="letter-de"),
        pytest.param({"home_university.letter_language": "en"}, [], ["translation"], id="letter-en"),
        pytest.param({"home_university.letter_language": "zh"}, [], ["translation"], id="letter-zh"),
        pytest.param({"home_university": DELETE}, [], ["translation"], id="no-home-university"),
        pytest.param({"host.city": "Beijing", "host.zone": "zhongguancun"}, ["zgc_certification"], [], id="zgc"),
        pytest.param(
            {"host.city": "Beijing", "host.zone": "beijing-two-zones"},
            [],
            ["zgc_certification"],
            id="two-zones",
        ),
        pytest.param({"host.zone": None}, [], ["zgc_certification"], id="no-zone"),
    ],
)
def test_conditional_checklist_items(mods: dict[str, Any], present: list[str], absent: list[str]) -> None:
    a = assess_data(apply(base(), mods))
    ids = checklist_ids(a, "s2")
    for i in present:
        assert i in ids, f"{mods}: S2 checklist lacks {i}: {ids}"
    for i in absent:
        assert i not in ids, f"{mods}: S2 checklist has {i}: {ids}"
    for i in S2_CONDITIONAL:
        assert i not in checklist_ids(a, "x1"), f"{i} is an S2 item, found on X1"


def test_checklist_item_fields() -> None:
    a = assess_data(
        apply(
            base(),
            {
                "host.filed_with_exit_entry": "no",
                "home_university.letter_language": "de",
                "host.city": "Beijing",
                "host.zone": "zhongguancun",
                "china_university.city": "Beijing",
                **WORK_STUDY,
            },
        )
    )
    for route in ("s2", "x1"):
        _ids, generated = SPEC_CHECKLIST[route]
        items = a.routes[route].checklist
        assert sorted(c.id for c in items) == sorted(SPEC_CHECKLIST[route][0])
        for c in items:
            assert c.who in WHO, f"{route}/{c.id}: who {c.who}"
            assert c.phase in PHASES, f"{route}/{c.id}: phase {c.phase}"
            assert c.title and c.where, f"{route}/{c.id}: title/where empty"
            assert c.generated == (c.id in generated), f"{route}/{c.id}: generated {c.generated}"
            for sid in c.sources:
                assert sid in RULES.sources, f"{route}/{c.id}: unknown source {sid}"
    gen = {c.id for r in ("s2", "x1") for c in a.routes[r].checklist if c.generated}
    assert gen == {
        "invitation_letter",
        "port_visa_application",
        "internship_agreement",
        "financial_guarantee",
        "university_approval_request",
    }


def test_financial_guarantee_only_when_asked() -> None:
    a = assess_data(base())
    item = next(c for c in a.routes["s2"].checklist if c.id == "financial_guarantee")
    assert "only when" in item.notes.lower(), item.notes


# -- deadlines -----------------------------------------------------------------------------------------


def deadlines(a: Any, route: str) -> dict[str, Any]:
    return {d.id: d for d in a.routes[route].deadlines}


def test_deadline_dates() -> None:
    d = apply(base(), {"stay.arrival": "2027-02-25", "china_university.residence_permit_expiry": "2027-09-30"})
    a = assess_data(d)
    s2, x1 = deadlines(a, "s2"), deadlines(a, "x1")
    assert sorted(s2) == ["accommodation_registration", "departure", "s2_application"], sorted(s2)
    assert sorted(x1) == [
        "accommodation_registration",
        "annotation_application",
        "departure",
        "residence_permit",
        "university_approval",
    ]
    assert iso(s2["accommodation_registration"].date) == "2027-02-26"
    assert iso(s2["s2_application"].date) == "2027-02-22"  # port visa: arrival - 3 days
    assert iso(s2["departure"].date) == iso(END)
    assert iso(x1["accommodation_registration"].date) == "2027-02-26"
    assert iso(x1["residence_permit"].date) == "2027-03-27"  # held (done): the legal date
    assert iso(x1["university_approval"].date) == "2027-01-30"  # start - 30 days, the permit is held
    assert iso(x1["annotation_application"].date) == "2027-02-15"  # start - 14 days of review
    assert iso(x1["departure"].date) == "2027-09-30"  # the residence permit's expiry
    assert "residence_permit_expiry" in x1["departure"].basis


def test_x1_departure_falls_back_to_study_end() -> None:
    a = assess_data(base())
    dep = deadlines(a, "x1")["departure"]
    assert iso(dep.date) == "2027-07-15" and "study_end" in dep.basis, (dep.date, dep.basis)


def test_no_x1_departure_without_china_university() -> None:
    a = assess_data(apply(base(), {"china_university": DELETE}))
    assert "departure" not in deadlines(a, "x1")
    assert sorted(deadlines(a, "x1")) == [
        "accommodation_registration",
        "annotation_application",
        "residence_permit",
        "university_approval",
    ]


def test_arrival_defaults_to_start_and_basis_says_so() -> None:
    a = assess_data(apply(base(), {"stay.arrival": DELETE}))
    reg = deadlines(a, "s2")["accommodation_registration"]
    assert iso(reg.date) == plus(START, 1)
    assert "internship.start" in reg.basis, reg.basis
    # the internship starts on arrival: every X1 step is squeezed to the day after arrival, none before it
    assert iso(deadlines(a, "x1")["residence_permit"].date) == plus(START, 1)
    with_arrival = deadlines(assess_data(base()), "s2")["accommodation_registration"]
    assert "stay.arrival" in with_arrival.basis, with_arrival.basis


@pytest.mark.parametrize(
    ("mods", "today", "route", "did", "status"),
    [
        pytest.param(
            {"stay.arrival": "2027-02-25"},
            TODAY,
            "s2",
            "accommodation_registration",
            "upcoming",
            id="registration-upcoming",
        ),
        pytest.param(
            {"stay.arrival": "2027-02-25"},
            date(2027, 2, 26),
            "s2",
            "accommodation_registration",
            "upcoming",
            id="registration-due-today-upcoming",
        ),
        pytest.param(
            {"stay.arrival": "2027-02-25"},
            date(2027, 2, 27),
            "s2",
            "accommodation_registration",
            "late",
            id="registration-late",
        ),
        pytest.param(
            {"stay.arrival": "2027-02-25", "stay.registered_on": "2027-03-10"},
            date(2027, 4, 1),
            "s2",
            "accommodation_registration",
            "done",
            id="registration-done-even-if-late",
        ),
        pytest.param({}, TODAY, "x1", "residence_permit", "late", id="permit-late"),
        pytest.param(
            {"china_university.residence_permit_expiry": "2027-09-30"},
            TODAY,
            "x1",
            "residence_permit",
            "done",
            id="permit-held-done",
        ),
        pytest.param({"stay.arrival": "2027-02-25"}, TODAY, "x1", "residence_permit", "upcoming", id="permit-upcoming"),
        pytest.param({}, date(2027, 2, 15), "x1", "annotation_application", "upcoming", id="annotation-today"),
        pytest.param({}, date(2027, 2, 16), "x1", "annotation_application", "late", id="annotation-late"),
        pytest.param({}, date(2027, 1, 31), "x1", "university_approval", "late", id="approval-late"),
        pytest.param({}, date(2027, 7, 1), "s2", "departure", "late", id="s2-departure-late"),
        pytest.param({}, TODAY, "s2", "departure", "upcoming", id="s2-departure-upcoming"),
    ],
)
def test_deadline_status(mods: dict[str, Any], today: date, route: str, did: str, status: str) -> None:
    a = assess_data(apply(base(), mods), today)
    dl = deadlines(a, route)[did]
    assert dl.status == status, f"{did} on {dl.date} with today {today}: {dl.status}, expected {status}"
    assert dl.title and dl.basis


def test_deadlines_sorted_by_date() -> None:
    a = assess_data(base())
    for route in ("s2", "x1"):
        days = [d.date for d in a.routes[route].deadlines]
        assert days == sorted(days), f"{route}: {days}"


# -- the rules data ------------------------------------------------------------------------------------


def test_rules_data_loads() -> None:
    assert RULES.version >= date(2026, 1, 1)
    assert RULES.pilots and RULES.findings and RULES.checklist and RULES.sources


def test_findings_yaml_matches_report_md() -> None:
    data = {code: rule.severity for code, rule in RULES.findings.items()}
    missing = sorted(set(SPEC_CODES) - set(data))
    assert not missing, f"finding codes of report.md missing from findings.yaml: {missing}"
    extra = sorted(set(data) - set(SPEC_CODES))
    assert not extra, f"finding codes in findings.yaml that report.md does not define: {extra}"
    wrong = {c: (data[c], s) for c, s in SPEC_CODES.items() if data[c] != s}
    assert not wrong, f"severity (data, report.md) differs: {wrong}"


def test_engine_evaluates_every_code() -> None:
    assert set(PREDICATES) | {"DATA_MISSING"} == set(SPEC_CODES)


def test_every_source_id_exists() -> None:
    refs: list[tuple[str, str]] = []
    refs += [(f"finding {f.code}", s) for f in RULES.findings.values() for s in f.sources]
    refs += [(f"pilot {p.id}", s) for p in RULES.pilots for s in p.sources]
    refs += [(f"checklist {c.id}", s) for c in RULES.checklist for s in c.sources]
    refs += [(f"threshold {k}", s) for k, v in RULES.threshold_sources.items() for s in v]
    unknown = [(where, s) for where, s in refs if s not in RULES.sources]
    assert not unknown, f"unknown source ids: {unknown}"
    for p in RULES.pilots:
        assert p.sources, f"pilot {p.id} has no source"


def test_spec_pilots_exist_in_order() -> None:
    data_order = [p.id for p in RULES.pilots]
    spec_order = [pid for pid, _ in spec_pilots()]
    assert [p for p in data_order if p in spec_order] == spec_order, (
        f"pilot order in regions.yaml {data_order} does not follow report.md {spec_order}"
    )


def test_thresholds_present() -> None:
    want = {
        "s2_max_stay_days": 180,
        "s2_one_year_max_days": 365,
        "passport_min_validity_months": 6,
        "registration_days": 1,
        "residence_permit_days": 30,
        "annotation_lead_days": 30,
        "annotation_max_days": 180,
        "permit_min_remaining_months": 6,
        "x1_min_study_days": 180,
        "rules_stale_days": 180,
    }
    assert {k: RULES.thresholds.get(k) for k in want} == want


@pytest.mark.parametrize(
    ("threshold", "value", "mods", "route", "code", "today"),
    [
        pytest.param("s2_max_stay_days", 100, {}, "s2", "S2_STAY_TOO_LONG", TODAY, id="s2_max_stay_days"),
        pytest.param(
            "passport_min_validity_months",
            120,
            {},
            "s2",
            "PASSPORT_VALIDITY_SHORT",
            TODAY,
            id="passport_min_validity_months",
        ),
        pytest.param(
            "registration_days",
            0,
            {"stay.accommodation": "private", "stay.registered_on": iso(ARRIVAL + timedelta(days=1))},
            "x1",
            "REGISTRATION_OVERDUE",
            TODAY,
            id="registration_days",
        ),
        pytest.param("annotation_lead_days", 120, {}, "x1", "X1_LEAD_TIME_SHORT", TODAY, id="annotation_lead_days"),
        pytest.param(
            "annotation_max_days",
            100,
            {},
            "x1",
            "X1_ANNOTATION_OVER_180_DAYS",
            TODAY,
            id="annotation_max_days",
        ),
        pytest.param("x1_min_study_days", 400, {}, "x1", "X1_X2_NOT_ELIGIBLE", TODAY, id="x1_min_study_days"),
        pytest.param("residence_permit_days", 200, {}, "x1", "X1_PERMIT_FIRST", TODAY, id="residence_permit_days"),
        pytest.param(
            "permit_min_remaining_months",
            12,
            {"china_university.residence_permit_expiry": "2027-12-31"},
            "x1",
            "X1_PERMIT_VALIDITY_SHORT",
            TODAY,
            id="permit_min_remaining_months",
        ),
        pytest.param(
            "rules_stale_days", 1, {}, "s2", "RULES_STALE", VERSION + timedelta(days=2), id="rules_stale_days"
        ),
    ],
)
def test_thresholds_are_read_from_data(
    threshold: str, value: int, mods: dict[str, Any], route: str, code: str, today: date
) -> None:
    placement = validate(apply(base(), mods))
    before = assess(placement, RULES, today).routes[route].codes()
    assert code not in before, f"{code} fires with the shipped data: {before}"
    changed = dataclasses.replace(RULES, thresholds={**RULES.thresholds, threshold: value})
    after = assess(placement, changed, today).routes[route].codes()
    assert code in after, f"{code} does not follow {threshold} = {value}: {after}"


def test_one_year_bound_is_read_from_data() -> None:
    placement = validate(apply(base(), {"internship.end": end_for_length(300), "host.categories": ["china-top-500"]}))
    assert "S2_ONE_YEAR_VARIANT" in assess(placement, RULES, TODAY).routes["s2"].codes()
    changed = dataclasses.replace(RULES, thresholds={**RULES.thresholds, "s2_one_year_max_days": 250})
    codes = assess(placement, changed, TODAY).routes["s2"].codes()
    assert "S2_STAY_TOO_LONG" in codes and "S2_ONE_YEAR_VARIANT" not in codes, codes


def test_deadlines_follow_the_data() -> None:
    placement = validate(base())
    changed = dataclasses.replace(
        RULES,
        thresholds={
            **RULES.thresholds,
            "registration_days": 3,
            "annotation_lead_days": 45,
            "annotation_processing_days": 20,
            "s2_port_visa_lead_days": 5,
        },
    )
    a = assess(placement, changed, TODAY)
    assert iso(deadlines(a, "s2")["accommodation_registration"].date) == plus(ARRIVAL, 3)
    assert iso(deadlines(a, "s2")["s2_application"].date) == plus(ARRIVAL, -5)
    assert iso(deadlines(a, "x1")["university_approval"].date) == plus(START, -45)
    assert iso(deadlines(a, "x1")["annotation_application"].date) == plus(START, -20)


@pytest.mark.parametrize(
    "mods",
    [
        pytest.param({}, id="base"),
        pytest.param({"stay.arrival": "2027-02-24"}, id="arrival-a-week-before"),
        pytest.param({"stay.arrival": DELETE}, id="no-arrival"),
        pytest.param({"stay.arrival": "2027-02-01", "stay.entry_status": "visa-free"}, id="visa-free"),
        pytest.param({"china_university": DELETE, "stay.arrival": "2027-02-20"}, id="no-admission"),
        pytest.param({"china_university.residence_permit_expiry": "2028-07-31"}, id="permit-held"),
    ],
)
def test_x1_steps_in_process_order(mods: dict[str, Any]) -> None:
    """arrival → registration → residence permit → university approval → annotation: no step before the one it
    depends on, and none before arrival (the advice issue: 2027-01-31 for an arrival on 2027-02-24)."""
    placement = validate(apply(base(), mods))
    x1 = deadlines(assess(placement, RULES, TODAY), "x1")
    order = ["accommodation_registration", "residence_permit", "university_approval", "annotation_application"]
    steps = [x1[i].date for i in order if i in x1 and not (i == "residence_permit" and x1[i].status == "done")]
    assert steps == sorted(steps), {i: iso(x1[i].date) for i in order if i in x1}
    assert all(day > placement.arrival for day in steps), (placement.arrival, steps)


def test_s2_application_follows_the_path() -> None:
    port = deadlines(assess_data(apply(base(), {"stay.arrival": "2027-02-25"})), "s2")["s2_application"]
    assert iso(port.date) == "2027-02-22" and "port visa" in port.basis, port.basis
    change = deadlines(
        assess_data(apply(base(), {"stay.arrival": "2027-02-25", "stay.entry_status": "visa-free"})), "s2"
    )["s2_application"]
    # visa-free stay ends 2027-03-27, after the start: 7 days before the start
    assert iso(change.date) == "2027-02-22" and "change of status" in change.basis, change.basis
    early = deadlines(
        assess_data(apply(base(), {"stay.arrival": "2027-01-10", "stay.entry_status": "visa-free"})), "s2"
    )["s2_application"]
    assert iso(early.date) == "2027-02-02", early.basis  # the stay ends 2027-02-09: 7 days before that


def test_visa_free_entrant_gets_the_stay_end_not_the_permit() -> None:
    a = assess_data(apply(base(), {"stay.arrival": "2027-02-01", "stay.entry_status": "transit"}))
    for route in ("s2", "x1"):
        d = deadlines(a, route)
        assert iso(d["visa_free_stay_ends"].date) == "2027-02-11", d["visa_free_stay_ends"].basis
    assert "residence_permit" not in deadlines(a, "x1")


def test_recommendation_fits_the_plan_and_names_each_reason() -> None:
    # no Chinese admission, a 4-month plan: S2 (eligible) is recommended, X1 named as the safer alternative
    a = assess_data(apply(base(), {"china_university": DELETE, "stay.arrival": "2027-02-25"}))
    assert a.recommended_route == "s2"
    assert "more than 180 days" in a.recommendation and "safer" in a.recommendation, a.recommendation
    assert "超过 180 天" in a.recommendation_zh, a.recommendation_zh
    # S2 ineligible: its reason names the BLOCK finding, not the sentence written for "uncertain"
    b = assess_data(apply(base(), {"host.city": "Chengdu", "china_university.city": "Chengdu"}))
    assert b.recommended_route == "x1"
    label = RULES.findings["S2_REGION_NOT_PILOT"].label
    assert label["en"] in b.recommendation and "never guaranteed" not in b.recommendation, b.recommendation
    assert label["zh"] in b.recommendation_zh, b.recommendation_zh
    # S2 uncertain and X1 too short: keep X1 first (only an eligible S2 takes the lead)
    c = assess_data(
        apply(
            base(),
            {"china_university": DELETE, "stay.arrival": "2027-02-25", "home_university.recognised": "unknown"},
        )
    )
    assert c.recommended_route == "x1"
    assert RULES.findings["S2_UNIVERSITY_UNVERIFIED"].label["en"] in c.recommendation, c.recommendation


def test_rules_stale_when_a_dated_policy_has_passed() -> None:
    fresh = dataclasses.replace(RULES, version=date(2027, 3, 1))
    placement = validate(base())
    assert "RULES_STALE" not in assess(placement, fresh, date(2026, 12, 31)).routes["s2"].codes()
    codes = assess(placement, fresh, date(2027, 1, 1)).routes["s2"].codes()
    assert "RULES_STALE" in codes, codes
    stale = next(f for f in assess(placement, fresh, date(2027, 1, 1)).routes["s2"].findings if f.code == "RULES_STALE")
    assert "2026-12-31" in stale.message and "2026-12-31" in stale.message_zh, stale.message
    # the rules_version bound on its own, with no dated policy in the data
    undated = dataclasses.replace(RULES, visa_free=())
    days = RULES.thresholds["rules_stale_days"]
    assert "RULES_STALE" not in assess(placement, undated, VERSION + timedelta(days=days)).routes["s2"].codes()
    assert "RULES_STALE" in assess(placement, undated, VERSION + timedelta(days=days + 1)).routes["s2"].codes()


def test_new_findings_are_bilingual_with_hints_and_sources() -> None:
    new = [
        "X1_STAY_TOO_SHORT",
        "X1_START_TOO_SOON",
        "X1_WORK_STUDY_ANNOTATION",
        "VISA_FREE_POLICY_ENDS",
        "VISA_FREE_NOT_COVERED",
        "VISA_FREE_STAY_EXCEEDED",
        "K_VISA_NO_INTERNSHIP",
        "S2_STAY_BEYOND_INTERNSHIP",
    ]
    for code in new:
        rule = RULES.findings[code]
        assert rule.message["en"] and rule.message["zh"], code
        assert rule.hint and rule.hint.get("en") and rule.hint.get("zh"), f"{code}: hint in both languages"
        assert rule.sources, f"{code}: no source"
        assert rule.label["en"] and rule.label["zh"], code


def test_rules_command_lists_findings_and_policies() -> None:
    from generator.rules.describe import rules_json, rules_text

    text, data = rules_text(), rules_json()
    for code in RULES.findings:
        assert code in text and code in data["findings"], code
    assert "unilateral-30-day" in text and "2026-12-31" in text
    assert [p["id"] for p in data["entry_policies"]] == [v.id for v in RULES.visa_free]


def test_work_study_has_its_checklist_item() -> None:
    a = assess_data(apply(base(), WORK_STUDY))
    assert "work_study_annotation" in [i.id for i in a.routes["x1"].checklist]
    assert "work_study_annotation" not in [i.id for i in assess_data(base()).routes["x1"].checklist]


def test_visa_free_policy_is_dated_data() -> None:
    policy = RULES.entry_policy("visa-free", "BE")
    assert policy is not None and policy.end == date(2026, 12, 31) and policy.days == 30
    assert RULES.entry_policy("visa-free", "NO") is not None  # Norway, not YAML's false
    assert RULES.entry_policy("visa-free", "US") is None
    assert RULES.entry_policy("transit", "US") is not None  # transit countries are not kept per nationality
    a = assess_data(apply(base(), {"stay.entry_status": "visa-free"}))
    f = next(f for f in a.routes["s2"].findings if f.code == "VISA_FREE_NO_INTERNSHIP")
    assert "2026-12-31" in f.message and "2026-12-31" in f.message_zh, f.message


def test_add_months_clamps() -> None:
    assert add_months(date(2027, 2, 25), 6) == date(2027, 8, 25)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("city", "zone", "foreign"),
    [
        pytest.param("Shenzhen", "qianhai-shekou", ("Shanghai", "上海", "Zhongguancun", "中关村", "Beijing", "北京")),
        pytest.param("Shanghai", None, ("Zhongguancun", "中关村", "Beijing", "北京", "Guangdong", "广东")),
        pytest.param("Chengdu", None, ("Shanghai", "上海", "Zhongguancun", "中关村", "Beijing", "北京")),
    ],
)
def test_local_notes_only_in_their_place(city: str, zone: str | None, foreign: tuple[str, ...]) -> None:
    """A pack reads only its own city's or zone's practice (the documented source of a clause list aside)."""
    a = assess_data(apply(base(), {"host.city": city, "host.zone": zone, "china_university.city": city}))
    for item in a.routes["s2"].checklist:
        text = " ".join((item.notes, item.notes_zh, item.where, item.where_zh)).replace("(published by Beijing)", "")
        text = text.replace("（北京发布）", "")
        hits = [w for w in foreign if w in text]
        assert not hits, f"{city} s2/{item.id} mentions {hits}: {item.notes}"
    # X1 notes cite universities by name (BNU, 北京师范大学...): a city's own practice is what must not appear
    for item in a.routes["x1"].checklist:
        hits = [f"{w}:" for w in foreign if f"{w}:" in item.notes + item.where or f"{w}：" in item.notes_zh]
        assert not hits, f"{city} x1/{item.id} mentions {hits}: {item.notes}"


def test_port_visa_notes_only_on_the_port_path() -> None:
    port = assess_data(apply(base(), {"stay.arrival": "2027-02-25"}))
    change = assess_data(apply(base(), {"stay.in_china": "yes", "stay.entry_status": "X2"}))
    note = next(i for i in port.routes["s2"].checklist if i.id == "visa_application_form").notes
    assert "port-visa application letter" in note, note
    note = next(i for i in change.routes["s2"].checklist if i.id == "visa_application_form").notes
    assert "port" not in note.lower(), note
