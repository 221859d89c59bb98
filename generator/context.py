"""Assessment + placement + language → the render context: every value ready to print.

Templates only loop and branch over what is here. Each printable value is one of:
- ``str``: printed as is (autoescaped);
- ``Bi``: a bilingual value, ``x.en`` / ``x.zh``; a missing Chinese twin prints the English text with the
  【待译】 marker (recorded as untranslated);
- ``Blank``: a value the file lacks; prints a highlighted ``[dotted.path]`` and is recorded, so that
  ``build`` can list every missing field per document before writing anything.
``Blank`` is falsy, so ``{% if x %}`` skips an optional value without recording it.
"""

from __future__ import annotations

import contextvars
import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import yaml
from markupsafe import Markup, escape

from generator.model import Placement
from generator.resources import template_path
from generator.rules.data import Rules
from generator.rules.engine import Assessment, s2_path

UNTRANSLATED = "【待译】"


@dataclass
class Record:
    """What rendering one document printed in place of missing data."""

    blanks: dict[str, bool] = field(default_factory=dict)  # path -> exempt (X1 before admission)
    untranslated: list[str] = field(default_factory=list)


_record: contextvars.ContextVar[Record | None] = contextvars.ContextVar("internpack_record", default=None)


def recording(record: Record) -> contextvars.Token[Record | None]:
    return _record.set(record)


def stop_recording(token: contextvars.Token[Record | None]) -> None:
    _record.reset(token)


class Blank:
    def __init__(self, path: str, exempt: bool = False) -> None:
        self.path = path
        self.exempt = exempt

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"[{self.path}]"

    def __html__(self) -> str:
        rec = _record.get()
        if rec is not None:
            rec.blanks[self.path] = rec.blanks.get(self.path, True) and self.exempt
        return str(Markup('<mark class="blank">[{}]</mark>').format(self.path))

    # a missing bilingual value is blank in both languages, and in every other form a value offers (a date's
    # .iso, an amount's .capital), so a template may ask for any of them
    @property
    def en(self) -> Blank:
        return self

    @property
    def zh(self) -> Blank:
        return self

    @property
    def iso(self) -> Blank:
        return self

    @property
    def capital(self) -> Blank:
        return self


class Untranslated:
    def __init__(self, english: str, path: str) -> None:
        self.english = english
        self.path = path

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.english + UNTRANSLATED

    def __html__(self) -> str:
        rec = _record.get()
        if rec is not None and self.path not in rec.untranslated:
            rec.untranslated.append(self.path)
        return str(Markup('{}<mark class="untranslated">{}</mark>').format(self.english, UNTRANSLATED))


class Bi:
    """A bilingual value."""

    def __init__(self, en: Any, zh: Any, path: str = "", exempt: bool = False) -> None:
        self._en = en
        self._zh = zh
        self.path = path
        self.exempt = exempt

    @property
    def en(self) -> Any:
        return self._en if self._en not in (None, "") else Blank(self.path, self.exempt)

    @property
    def zh(self) -> Any:
        if self._zh not in (None, ""):
            return self._zh
        if self._en in (None, ""):
            return Blank(self.path, self.exempt)
        return Untranslated(str(self._en), self.path + "_zh" if self.path else "")

    def __bool__(self) -> bool:
        return self._en not in (None, "") or self._zh not in (None, "")

    def __html__(self) -> str:
        return str(escape(self.en))


class Name(Bi):
    """A person's name: the Latin one, and the Chinese one where given (a name is never machine-translated, so the
    Chinese text falls back to the Latin name without the 【待译】 marker)."""

    @property
    def zh(self) -> Any:
        return self._zh if self._zh not in (None, "") else self.en


class Registered(Bi):
    """A registered name or address (the business licence's): the Chinese text needs the Chinese original, so a
    missing one is a blank (build lists it) rather than English marked 【待译】."""

    def __init__(self, en: Any, zh: Any, path: str, zh_path: str) -> None:
        super().__init__(en, zh, path)
        self.zh_path = zh_path

    @property
    def zh(self) -> Any:
        return self._zh if self._zh not in (None, "") else Blank(self.zh_path)


def person_name(person: Any, path: str, fallback: Any = None) -> Name | Blank:
    """The Name of a person model (name, name_zh), or of ``fallback`` when the person has no name."""
    name = getattr(person, "name", None) if person is not None else None
    if not name and fallback is not None:
        return person_name(fallback, path)
    if not name:
        return Blank(path)
    return Name(name, getattr(person, "name_zh", None), path)


class Day(Bi):
    """A date in both languages, and as YYYY-MM-DD (``.iso``) for tables."""

    def __init__(self, en: str, zh: str, path: str, *, iso: str) -> None:
        super().__init__(en, zh, path)
        self.iso = iso


def _or_blank(value: Any, path: str, exempt: bool = False) -> Any:
    if value is None or value == "" or value == []:
        return Blank(path, exempt)
    return value


@functools.cache
def vocab() -> dict[str, dict[str, dict[str, str]]]:
    data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(template_path("vocab.yaml").read_text(encoding="utf-8"))
    return data


def term(group: str, key: str | None, path: str = "") -> Bi | Blank:
    if key is None:
        return Blank(path)
    entry = vocab()[group][key]
    return Bi(entry["en"], entry["zh"], path)


def day(d: date | None, path: str = "", exempt: bool = False) -> Bi | Blank:
    """A date as '1 December 2026' and '2026年12月1日' (Babel), with .iso."""
    if d is None:
        return Blank(path, exempt)
    from babel.dates import format_date

    return Day(format_date(d, "d MMMM y", locale="en"), format_date(d, "long", locale="zh_CN"), path, iso=d.isoformat())


def country(code: str | None, path: str = "") -> Bi | Blank:
    if not code:
        return Blank(path)
    from babel import Locale

    return Bi(Locale.parse("en").territories[code], Locale.parse("zh_CN").territories[code], path)


def twin(obj: Any, name: str, path: str, exempt: bool = False) -> Bi:
    """A field and its _zh twin as one bilingual value."""
    if obj is None:
        return Bi(None, None, path, exempt)
    return Bi(getattr(obj, name, None), getattr(obj, name + "_zh", None), path, exempt)


def join_terms(group: str, keys: list[str]) -> Bi:
    en = [vocab()[group][k]["en"] for k in keys]
    zh = [vocab()[group][k]["zh"] for k in keys]
    en_text = ", ".join(en[:-1]) + (" and " if len(en) > 1 else "") + en[-1] if en else ""
    return Bi(en_text, "、".join(zh))


class Money(Bi):
    """An amount: ``.en`` / ``.zh`` as prose, ``.capital`` as a Chinese contract writes it
    (每月人民币叁仟元整（¥3,000）): capital numerals, so that no digit can be altered."""

    def __init__(self, en: str, zh: str, path: str, capital: str) -> None:
        super().__init__(en, zh, path)
        self.capital = capital


def capital_amount(amount: Decimal, currency: str) -> str:
    """人民币叁仟元整（¥3,000）; other currencies by their Chinese name (欧元伍佰元整（EUR 500））."""
    import cn2an
    from babel.numbers import format_decimal, get_currency_name

    words: str = cn2an.an2cn(format(amount.normalize(), "f"), "rmb")
    number = format_decimal(amount, format="#,##0" if amount == amount.to_integral() else "#,##0.00", locale="en")
    if currency == "CNY":
        return f"人民币{words}（¥{number}）"
    return f"{get_currency_name(currency, locale='zh_CN')}{words}（{currency} {number}）"


def money(amount: Decimal | None, currency: str, period: str | None, path: str) -> Bi | Blank:
    if amount is None:
        return Blank(path)
    from babel.numbers import format_decimal, get_currency_name

    number = format_decimal(amount, locale="en")
    per = vocab()["period"][period] if period else {"en": "", "zh": ""}
    en = f"{currency} {number}" + (f" {per['en']}" if per["en"] else "")
    name = "元人民币" if currency == "CNY" else get_currency_name(currency, locale="zh_CN")
    zh = f"{per['zh']}{number}{name}"
    return Money(en, zh, path, per["zh"] + capital_amount(amount, currency))


def exit_entry_office(p: Placement, rules: Rules) -> Bi:
    """Whom the host's letters to the authority are addressed to: the placement's own office, else the office of
    the host's city in the rules data, else the city's exit-entry administration in general terms."""
    own = p.host.exit_entry_office
    if own is not None:
        return Bi(own.en or own.zh, own.zh, "host.exit_entry_office")
    office = rules.office_for(p.host.city, p.host.zone)
    if office is not None:
        return Bi(office.en, office.zh, "host.exit_entry_office")
    city = rules.city(p.host.city)
    zh_city = city.zh if city else p.host.city.removesuffix("市")
    en_city = city.en if city else p.host.city
    return Bi(
        f"the exit-entry administration of the {en_city} public security authorities",
        f"{zh_city}市公安机关出入境管理部门",
        "host.exit_entry_office",
    )


def build_context(
    p: Placement,
    a: Assessment,
    rules: Rules,
    *,
    route: str,
    letter_date: date,
    reference: str,
) -> dict[str, Any]:
    """The context shared by every document of a route (documents add their own ``doc`` entry)."""
    s, hu, cu, h, i, st, ex = (
        p.student,
        p.home_university,
        p.china_university,
        p.host,
        p.internship,
        p.stay,
        p.expenses,
    )
    cu_exempt = route == "x1" and cu is None  # not admitted yet: the institution's fields are placeholders
    legal_rep = h.legal_representative.name if h.legal_representative else None
    signatory_name = (h.signatory.name if h.signatory else None) or legal_rep
    signatory_title = (
        Bi(h.signatory.title, h.signatory.title_zh, "host.signatory.title")
        if h.signatory and h.signatory.title
        else Bi("Legal Representative", "法定代表人", "host.signatory.title")
        if signatory_name and signatory_name == legal_rep
        else Bi(None, None, "host.signatory.title")
    )
    city = rules.city(h.city)
    g = ex.guarantor
    ctx: dict[str, Any] = {
        "route": route,
        "route_name": term("route", route),
        "letter_date": day(letter_date),
        "reference": reference,
        "student": {
            "emergency_contact": {
                "name": person_name(s.emergency_contact, "student.emergency_contact.name"),
                "relationship": twin(s.emergency_contact, "relationship", "student.emergency_contact.relationship"),
                "phone": _or_blank(
                    s.emergency_contact.phone if s.emergency_contact else None, "student.emergency_contact.phone"
                ),
            }
            if s.emergency_contact
            else None,
            "full_name": s.full_name,
            "family_name": s.family_name,
            "given_names": s.given_names,
            "name_zh": (f"{s.full_name}（{s.chinese_name}）" if s.chinese_name else s.full_name),
            "chinese_name": s.chinese_name or Blank("student.chinese_name"),
            "sex": term("sex", s.sex, "student.sex"),
            "date_of_birth": day(s.date_of_birth, "student.date_of_birth"),
            "nationality": country(s.nationality, "student.nationality"),
            "passport_number": _or_blank(s.passport_number, "student.passport_number"),
            "passport_issue_date": day(s.passport_issue_date, "student.passport_issue_date"),
            "passport_expiry": day(s.passport_expiry, "student.passport_expiry"),
            "email": _or_blank(s.email, "student.email"),
            "phone": _or_blank(s.phone, "student.phone"),
            "home_address": _or_blank(s.home_address, "student.home_address"),
            # where a letter from the student is sent from once in China: the address in China, or the
            # accommodation of a student already there
            "address_in_china": s.address_in_china or (st.accommodation_address if st.in_china == "yes" else None),
        },
        "home_university": {
            "given": hu is not None,
            "name": twin(hu, "name", "home_university.name"),
            "country": country(hu.country if hu else None, "home_university.country"),
            "faculty": twin(hu, "faculty", "home_university.faculty"),
            "major": twin(hu, "major", "home_university.major"),
            "degree": term("degree", hu.degree if hu else None, "home_university.degree"),
            "student_id": _or_blank(hu.student_id if hu else None, "home_university.student_id"),
            "enrolled_until": day(hu.enrolled_until if hu else None, "home_university.enrolled_until"),
        },
        "china_university": {
            "given": cu is not None,
            "name": Bi(cu.name_en if cu else None, cu.name_zh if cu else None, "china_university.name_en", cu_exempt),
            "city": _or_blank(cu.city if cu else None, "china_university.city", cu_exempt),
            "programme": twin(cu, "programme", "china_university.programme", cu_exempt),
            "department": twin(cu, "department", "china_university.department", cu_exempt),
            "student_id": _or_blank(cu.student_id if cu else None, "china_university.student_id", cu_exempt),
            "admission_form": _or_blank(
                cu.admission_form if cu else None, "china_university.admission_form", cu_exempt
            ),
            "study_start": day(cu.study_start if cu else None, "china_university.study_start", cu_exempt),
            "study_end": day(cu.study_end if cu else None, "china_university.study_end", cu_exempt),
            "visa": cu.visa if cu else "X1",
            "residence_permit_number": _or_blank(
                cu.residence_permit_number if cu else None,
                "china_university.residence_permit_number",
                cu_exempt,
            ),
            "residence_permit_expiry": day(
                cu.residence_permit_expiry if cu else None,
                "china_university.residence_permit_expiry",
                cu_exempt,
            ),
            "office_name": Bi(
                cu.office.name if cu and cu.office else None,
                cu.office.name_zh if cu and cu.office else None,
                "china_university.office.name",
                cu_exempt,
            ),
            "office_email": _or_blank(
                cu.office.email if cu and cu.office else None, "china_university.office.email", cu_exempt
            ),
            "office_address": _or_blank(
                cu.office.address if cu and cu.office else None, "china_university.office.address", cu_exempt
            ),
        },
        "host": {
            "name": Registered(h.name_en, h.name_zh, "host.name_en", "host.name_zh"),
            "uscc": _or_blank(h.uscc, "host.uscc"),
            "address": Registered(h.address_en, h.address_zh, "host.address_en", "host.address_zh"),
            "exit_entry_office": exit_entry_office(p, rules),
            "city": Bi(city.en if city else h.city, city.zh if city else None, "host.city"),
            "district": _or_blank(h.district, "host.district"),
            "zone": Bi(rules.zones[h.zone]["en"], rules.zones[h.zone]["zh"]) if h.zone else None,
            "phone": _or_blank(h.phone, "host.phone"),
            "fax": h.fax or None,
            "email": h.email or (h.contact.email if h.contact else None) or None,
            "website": h.website or None,
            "legal_representative": person_name(h.legal_representative, "host.legal_representative"),
            "signatory_name": person_name(h.signatory, "host.signatory.name", fallback=h.legal_representative),
            "signatory_title": signatory_title,
            "contact_name": person_name(h.contact, "host.contact.name"),
            "contact_title": Bi(
                h.contact.title if h.contact else None,
                h.contact.title_zh if h.contact else None,
                "host.contact.title",
            ),
            "contact_email": _or_blank(h.contact.email if h.contact else None, "host.contact.email"),
            "contact_phone": _or_blank(h.contact.phone if h.contact else None, "host.contact.phone"),
            "categories": [Bi(rules.categories[c]["en"], rules.categories[c]["zh"]) for c in h.categories],
        },
        "internship": {
            "position": twin(i, "position", "internship.position"),
            "department": twin(i, "department", "internship.department"),
            "duties": [
                Bi(d, i.duties_zh[n] if n < len(i.duties_zh) else None, f"internship.duties.{n}")
                for n, d in enumerate(i.duties)
            ],
            "has_duties": bool(i.duties),
            "relevance": twin(i, "relevance", "internship.relevance"),
            "supervisor_name": person_name(i.supervisor, "internship.supervisor.name"),
            "supervisor_title": Bi(
                i.supervisor.title if i.supervisor else None,
                i.supervisor.title_zh if i.supervisor else None,
                "internship.supervisor.title",
            ),
            "start": day(i.start),
            "end": day(i.end),
            "days": i.days,
            "hours_per_week": _or_blank(
                None if i.hours_per_week is None else format(i.hours_per_week.normalize(), "f"),
                "internship.hours_per_week",
            ),
            "workplace": Bi(
                i.workplace_address or h.address_en,
                i.workplace_address_zh or (None if i.workplace_address else h.address_zh),
                "internship.workplace_address",
            ),
            "pay_kind": i.pay.kind or "none",
            # what the letters may state about pay (issue 10): an allowance, or that nothing is paid; a salary is
            # never asserted to an authority (S2 salary is unconfirmed, the X1 annotation is unpaid)
            "pay_letter": {"allowance": "allowance", "salary": "unstated"}.get(i.pay.kind or "none", "none"),
            "pay_amount": money(i.pay.amount, i.pay.currency, i.pay.period, "internship.pay.amount"),
            "pay_covers": join_terms("covers", list(i.pay.covers)) if i.pay.covers else None,
            "insurance_provider": _or_blank(
                i.insurance.provider if i.insurance else None, "internship.insurance.provider"
            ),
            "insurance_policy": _or_blank(
                i.insurance.policy_number if i.insurance else None, "internship.insurance.policy_number"
            ),
            "insurance_payer": i.insurance.paid_by if i.insurance else None,
            "insurance_paid_by": term(
                "paid_by", i.insurance.paid_by if i.insurance else None, "internship.insurance.paid_by"
            ),
            "related_to_major": i.related_to_major,
        },
        "stay": {
            "arrival": day(p.arrival),
            "departure": day(st.departure, "stay.departure"),
            "accommodation_address": _or_blank(st.accommodation_address, "stay.accommodation_address"),
            "in_china": st.in_china == "yes",
            # how the S2 is applied for (rules: a port visa before arrival, or a change of status in China)
            "s2_path": s2_path(p),
            "entry_status": Bi(
                rules.texts.get(f"entry_{st.entry_status}", {}).get("en", st.entry_status),
                rules.texts.get(f"entry_{st.entry_status}", {}).get("zh"),
                "stay.entry_status",
            )
            if st.entry_status
            else Blank("stay.entry_status"),
            "port_of_entry": twin(st, "port_of_entry", "stay.port_of_entry"),
            "flight": _or_blank(st.flight, "stay.flight"),
        },
        "expenses": {
            "paid_by": ex.paid_by,
            "payer": term("paid_by", ex.paid_by),
            "covers": join_terms("covers", list(ex.covers)) if ex.covers else Bi("", ""),
            "guarantor": {
                "name": Bi(g.name if g else None, g.name_zh if g else None, "expenses.guarantor.name"),
                "display_zh": (f"{g.name}（{g.name_zh}）" if g.name_zh else g.name)
                if g and g.name
                else Blank("expenses.guarantor.name"),
                "relationship": twin(g, "relationship", "expenses.guarantor.relationship"),
                "date_of_birth": day(g.date_of_birth if g else None, "expenses.guarantor.date_of_birth"),
                "sex": term("sex", g.sex if g else None, "expenses.guarantor.sex"),
                "nationality": country(g.nationality if g else None, "expenses.guarantor.nationality"),
                "id_number": _or_blank(g.id_number if g else None, "expenses.guarantor.id_number"),
                "address": _or_blank(g.address if g else None, "expenses.guarantor.address"),
                "employer": _or_blank(g.employer if g else None, "expenses.guarantor.employer"),
                "occupation": _or_blank(g.occupation if g else None, "expenses.guarantor.occupation"),
                "phone": _or_blank(g.phone if g else None, "expenses.guarantor.phone"),
                "email": _or_blank(g.email if g else None, "expenses.guarantor.email"),
            },
        },
        "prepared_by": p.prepared_by.model_dump() if p.prepared_by else None,
    }
    return ctx
