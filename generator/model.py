"""The placement model (spec/placement.md): strict, frozen pydantic models.

Values reach the model from the loader as strings (YAML scalars are not type-guessed, so ``NO`` stays
Norway and ``0012345`` stays text); pydantic's lax mode turns them into dates and numbers.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from generator import textcheck

MAX_TEXT = 4000  # characters in one text field
MAX_ITEMS = 100  # entries in one list field


def _text(value: str) -> str:
    # CR, CRLF and the Unicode line and paragraph separators are line feeds (U+2028 in a PDF made pypdf
    # read the letters' Latin text NUL-interleaved)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if len(value) > MAX_TEXT:
        raise ValueError(f"is {len(value)} characters long; at most {MAX_TEXT} are allowed")
    bad = textcheck.first_bad_character(value)
    if bad is not None:
        raise ValueError(bad)
    return value


_BLANKS = re.compile(r"[ \t\n]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YEARS = (1900, 2100)  # a date outside these years is a typing error, not a plan (and overflows date arithmetic)


def _line(value: str) -> str:
    """One-line text: surrounding blanks removed, runs of spaces, tabs and line breaks made one space."""
    value = _BLANKS.sub(" ", _text(value)).strip()
    if not value:
        raise ValueError("is empty")
    return value


def _iso_date(value: Any) -> Any:
    """Only YYYY-MM-DD (pydantic alone would read '86400' as a Unix timestamp)."""
    if isinstance(value, str):  # full-width digits and dashes (２０２７－０３－０１) are the same date
        value = unicodedata.normalize("NFKC", value).replace("\u2212", "-")
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            day = _dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("date_impossible", "not a real date") from None
    else:
        raise PydanticCustomError("date_format", "not a date")
    if not YEARS[0] <= day.year <= YEARS[1]:
        low, high = YEARS
        raise PydanticCustomError("date_range", "outside the years {low} to {high}", {"low": low, "high": high})
    return day


Date = Annotated[_dt.date, BeforeValidator(_iso_date)]


Text = Annotated[str, AfterValidator(_text)]
Line = Annotated[str, AfterValidator(_line)]

_YES = {"yes", "y", "true", "on", "1"}
_NO = {"no", "n", "false", "off", "0"}


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _YES:
            return "yes"
        if low in _NO:
            return "no"
        return low
    return value


YesNoUnknown = Annotated[Literal["yes", "no", "unknown"], BeforeValidator(_yes_no)]
YesNo = Annotated[Literal["yes", "no"], BeforeValidator(_yes_no)]


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _country(value: str) -> str:
    from babel import Locale

    if value not in Locale.parse("en").territories or not value.isalpha() or len(value) != 2:
        from generator.suggest import country

        meant = country(value)
        if meant:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code; did you mean {meant}?")
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. BE, NL, FR, NO)")
    return value


def _language(value: str) -> str:
    from babel import Locale

    if len(value) != 2 or value not in Locale.parse("en").languages:
        raise ValueError(f"{value!r} is not an ISO 639-1 language code (e.g. en, zh, de, fr)")
    return value


Country = Annotated[str, BeforeValidator(_upper), AfterValidator(_country)]
Language = Annotated[str, BeforeValidator(_lower), AfterValidator(_language)]

# USCC (统一社会信用代码): spec/placement.md
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _marked(code: str, i: int) -> str:
    return f"{code[:i]}[{code[i]}]{code[i + 1 :]}"


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None."""
    if len(code) == 15 and code.isdigit():
        return (
            "has 15 digits: that is the old business registration number (注册号), not the unified social credit code; "
            "the business licence issued since 2015 shows the 18-character code"
        )
    if len(code) != 18:
        return f"has {len(code)} characters; a USCC has 18"
    bad = sorted({c for c in code if c not in USCC_CHARS})
    if bad:
        return (
            f"contains {', '.join(repr(c) for c in bad)}; a USCC uses only digits and the capital letters "
            "A-H J-N P-R T U W-Y (no I, O, S, V, Z)"
        )
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(code[8:16], _ORG_WEIGHTS, strict=True)) % 11
    expected17 = "X" if c == 10 else "0" if c == 11 else str(c)
    if code[16] != expected17:
        return (
            f"has a typo: {_marked(code, 16)} — character 17 should be {expected17!r} for the organisation code "
            "before it (characters 9 to 16), so one of them or character 17 is mistyped (GB 11714)"
        )
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected18 = USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected18:
        return (
            f"has a typo: {_marked(code, 17)} — the last character should be {expected18!r} for the 17 before it, "
            "so one of the 18 characters is mistyped (GB 32100-2015)"
        )
    return None


def _uscc(value: str) -> str:
    problem = uscc_problem(value)
    if problem:
        raise ValueError(problem + "; copy it from the business licence")
    return value


def _uscc_as_typed(value: Any) -> Any:
    """A USCC as HR pastes it: full-width characters, spaces and hyphens are dropped, letters upper-cased."""
    if not isinstance(value, str):
        return value
    import unicodedata

    return re.sub(r"[\s\-‐‑–—_.]", "", unicodedata.normalize("NFKC", value)).upper()


Uscc = Annotated[str, BeforeValidator(_uscc_as_typed), AfterValidator(_uscc)]


def _entry_status(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    v = value.strip()
    low = v.lower()
    if low in {"k", "k visa", "k-visa"}:
        return "k-visa"
    return low if low in {"visa-free", "transit", "other"} else v.upper()


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, coerce_numbers_to_str=True, str_strip_whitespace=False, defer_build=True
    )


class EmergencyContact(Strict):
    name: Line
    name_zh: Line | None = None
    relationship: Line | None = None
    relationship_zh: Line | None = None
    phone: Line | None = None
    email: Line | None = None


class Student(Strict):
    family_name: Line
    given_names: Line
    chinese_name: Line | None = None
    sex: Annotated[Literal["F", "M", "X"], BeforeValidator(_upper)] | None = None
    date_of_birth: Date | None = None
    nationality: Country
    passport_number: Line | None = None
    passport_issue_date: Date | None = None
    passport_expiry: Date | None = None
    email: Line | None = None
    phone: Line | None = None
    home_address: Text | None = None
    address_in_china: Text | None = None
    emergency_contact: EmergencyContact | None = None

    @property
    def full_name(self) -> str:
        return f"{self.family_name.upper()} {self.given_names}"


class HomeUniversity(Strict):
    name: Line
    name_zh: Line | None = None
    country: Country | None = None
    faculty: Line | None = None
    faculty_zh: Line | None = None
    major: Line | None = None
    major_zh: Line | None = None
    degree: Literal["bachelor", "master", "doctorate", "other"] | None = None
    student_id: Line | None = None
    enrolled_until: Date | None = None
    recognised: YesNoUnknown | None = None
    letter_language: Language = "en"


class Office(Strict):
    name: Line | None = None
    name_zh: Line | None = None
    email: Line | None = None
    phone: Line | None = None
    address: Text | None = None


class ChinaUniversity(Strict):
    name_en: Line
    name_zh: Line | None = None
    city: Line | None = None
    programme: Line | None = None
    programme_zh: Line | None = None
    department: Line | None = None
    department_zh: Line | None = None
    student_id: Line | None = None
    admission_form: Annotated[Literal["JW201", "JW202"], BeforeValidator(_upper)] | None = None
    study_start: Date | None = None
    study_end: Date | None = None
    visa: Annotated[Literal["X1", "X2"], BeforeValidator(_upper)] = "X1"
    residence_permit_number: Line | None = None
    residence_permit_expiry: Date | None = None
    office: Office | None = None

    @model_validator(mode="after")
    def _dates(self) -> ChinaUniversity:
        if self.study_start and self.study_end and self.study_end < self.study_start:
            raise ValueError(
                f"study_end {self.study_end} is before study_start {self.study_start}; swap or correct them"
            )
        return self


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NAME_WITH_ZH = re.compile(r"^(?P<name>.*?\S)\s*[(（]\s*(?P<zh>[^()（）]*?)\s*[)）]$")


def split_name(value: Any) -> Any:
    """'Chen Hao (陈浩)' → {'name': 'Chen Hao', 'name_zh': '陈浩'} (the form files used before name_zh existed)."""
    if isinstance(value, str):
        m = _NAME_WITH_ZH.match(value.strip())
        if m and _HAN.search(m["zh"]) and not _HAN.search(m["name"]):
            return {"name": m["name"], "name_zh": m["zh"]}
        return {"name": value}
    return value


def _split_person(value: Any) -> Any:
    """A person's mapping whose name holds 'Latin (中文)' and no name_zh: split it."""
    if isinstance(value, dict) and isinstance(value.get("name"), str) and not value.get("name_zh"):
        parts = split_name(value["name"])
        if "name_zh" in parts:
            return {**value, **parts}
    return value


class Named(Strict):
    """A person named in the letters: the Latin name, and the Chinese one the Chinese text uses."""

    name: Line
    name_zh: Line | None = None


class Person(Strict):
    name: Line | None = None
    name_zh: Line | None = None
    title: Line | None = None
    title_zh: Line | None = None
    email: Line | None = None
    phone: Line | None = None


class ExitEntryOffice(Strict):
    """The exit-entry administration the host's letters are addressed to, when not the one of the rules data."""

    zh: Line
    en: Line | None = None


Zone = Literal[
    "zhongguancun",
    "beijing-two-zones",
    "nansha",
    "qianhai-shekou",
    "hengqin",
    "jieyang-sino-german",
    "chongqing-ftz",
    "hainan-ftp",
    "fujian-ftz",
]
Category = Literal["fortune-global-500-subsidiary", "china-top-500", "beijing-high-tech"]


Mm = Annotated[Decimal, Field(ge=0, le=120)]  # millimetres


class StationeryMargins(Strict):
    """The first page's margins on the host's stationery: its text keeps clear of the printed areas."""

    top: Mm = Decimal(40)
    bottom: Mm = Decimal(25)
    left: Mm = Decimal(16)
    right: Mm = Decimal(16)

    @model_validator(mode="after")
    def _room(self) -> StationeryMargins:
        if self.top + self.bottom > 200 or self.left + self.right > 120:
            raise ValueError(
                "leave room for the letter: top + bottom at most 200 mm, left + right at most 120 mm of the A4 page"
            )
        return self


class Host(Strict):
    name_en: Line
    name_zh: Line | None = None
    uscc: Uscc | None = None
    address_en: Text | None = None
    address_zh: Text | None = None
    city: Line
    phone: Line | None = None
    fax: Line | None = None
    email: Line | None = None
    website: Line | None = None
    district: Line | None = None
    zone: Annotated[Zone, BeforeValidator(_lower)] | None = None
    filed_with_exit_entry: YesNoUnknown = "unknown"
    categories: Annotated[list[Annotated[Category, BeforeValidator(_lower)]], Field(max_length=3)] = []
    legal_representative: Annotated[Named, BeforeValidator(split_name)] | None = None
    signatory: Annotated[Person, BeforeValidator(_split_person)] | None = None
    contact: Annotated[Person, BeforeValidator(_split_person)] | None = None
    exit_entry_office: ExitEntryOffice | None = None
    logo: Line | None = None
    letterhead: Line | None = None  # a Word letterhead (.docx) the host's letters' DOCX are built on
    stationery: Line | None = None  # a one-page A4 PDF laid under the first page of the host's letters' PDFs
    stationery_margins: StationeryMargins | None = None


PayKind = Literal["none", "allowance", "salary"]
Covers = Literal["transport", "meals", "accommodation", "travel", "living", "insurance", "tuition", "medical"]


class Pay(Strict):
    kind: Annotated[PayKind, BeforeValidator(_lower)] | None = None
    amount: Annotated[Decimal, Field(ge=0, le=10_000_000)] | None = None
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    period: Literal["month", "week", "day", "total"] | None = None
    covers: Annotated[list[Annotated[Covers, BeforeValidator(_lower)]], Field(max_length=8)] = []


class Insurance(Strict):
    provider: Line | None = None
    policy_number: Line | None = None
    paid_by: Literal["host", "student"] | None = None


class Supervisor(Strict):
    name: Line | None = None
    name_zh: Line | None = None
    title: Line | None = None
    title_zh: Line | None = None
    email: Line | None = None
    phone: Line | None = None


class Internship(Strict):
    position: Line
    position_zh: Line | None = None
    department: Line | None = None
    department_zh: Line | None = None
    duties: Annotated[list[Line], Field(max_length=MAX_ITEMS)] = []
    duties_zh: Annotated[list[Line], Field(max_length=MAX_ITEMS)] = []
    related_to_major: YesNoUnknown = "unknown"
    relevance: Text | None = None
    relevance_zh: Text | None = None
    supervisor: Annotated[Supervisor, BeforeValidator(_split_person)] | None = None
    start: Date
    end: Date
    hours_per_week: Annotated[Decimal, Field(gt=0, le=168)] | None = None
    workplace_address: Text | None = None
    workplace_address_zh: Text | None = None
    pay: Pay = Pay()
    other_internships: Annotated[int, Field(ge=0, le=100)] = 0
    insurance: Insurance | None = None
    intergovernmental_programme: Line | None = None

    @model_validator(mode="after")
    def _check(self) -> Internship:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; the end must be on or after the start")
        if self.duties_zh and len(self.duties_zh) != len(self.duties):
            raise ValueError(
                f"duties_zh has {len(self.duties_zh)} entries but duties has {len(self.duties)}; "
                "give one Chinese line per duty, in the same order"
            )
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


EntryStatus = Literal["visa-free", "transit", "X1", "X2", "S2", "F", "M", "L", "k-visa", "other"]


class Stay(Strict):
    arrival: Date | None = None
    departure: Date | None = None
    port_of_entry: Line | None = None  # e.g. Shanghai Pudong International Airport (the port-visa letter)
    port_of_entry_zh: Line | None = None
    flight: Line | None = None
    in_china: YesNo = "no"
    entry_status: Annotated[EntryStatus, BeforeValidator(_entry_status)] | None = None
    accommodation: Annotated[Literal["hotel", "dormitory", "private"], BeforeValidator(_lower)] | None = None
    accommodation_address: Text | None = None
    registered_on: Date | None = None


class Guarantor(Strict):
    @model_validator(mode="before")
    @classmethod
    def _name_with_zh(cls, value: Any) -> Any:
        return _split_person(value)

    name: Line | None = None
    name_zh: Line | None = None
    relationship: Line | None = None
    relationship_zh: Line | None = None
    date_of_birth: Date | None = None
    sex: Annotated[Literal["F", "M", "X"], BeforeValidator(_upper)] | None = None
    nationality: Country | None = None
    id_number: Line | None = None
    address: Text | None = None
    employer: Line | None = None
    occupation: Line | None = None
    phone: Line | None = None
    email: Line | None = None


class Expenses(Strict):
    paid_by: Annotated[Literal["host", "student", "family", "other"], BeforeValidator(_lower)] = "host"
    covers: Annotated[list[Annotated[Covers, BeforeValidator(_lower)]], Field(max_length=8)] = [
        "accommodation",
        "travel",
        "living",
        "insurance",
    ]
    guarantor: Guarantor | None = None


class Letters(Strict):
    reference: Line | None = None
    date: Date | None = None


class PreparedBy(Strict):
    organisation: Line | None = None
    name: Line | None = None
    email: Line | None = None
    phone: Line | None = None


Route = Literal["auto", "s2", "x1", "both"]
Lang = Literal["en", "zh"]


class Placement(Strict):
    route: Annotated[Route, BeforeValidator(_lower)] = "auto"
    languages: Annotated[list[Annotated[Lang, BeforeValidator(_lower)]], Field(min_length=1, max_length=2)] = [
        "en",
        "zh",
    ]
    student: Student
    home_university: HomeUniversity | None = None
    china_university: ChinaUniversity | None = None
    host: Host
    internship: Internship
    stay: Stay = Stay()
    expenses: Expenses = Expenses()
    letters: Letters = Letters()
    prepared_by: PreparedBy | None = None
    templates: Line | None = None  # a folder of letter wording templates (internpack templates export)

    @model_validator(mode="after")
    def _languages(self) -> Placement:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages lists a language twice; use [en], [zh] or [en, zh]")
        return self

    @property
    def arrival(self) -> _dt.date:
        return self.stay.arrival or self.internship.start
