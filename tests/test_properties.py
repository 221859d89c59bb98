"""Property-based tests (issue 5): generated text in any script either comes out exactly as the spec
defines (DOCX exactly; PDF after NFC with bidi controls removed) or is refused naming the field and the
code point; generated invalid values always give an input error naming the field."""

from __future__ import annotations

import copy
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import loader
from generator.api import CheckResult
from generator.compose import compose
from generator.errors import InputError
from generator.render.docx import render_docx
from generator.rules.data import load_rules
from generator.rules.engine import assess

REPO = Path(__file__).resolve().parents[1]
BASE, _ = loader.parse_text(
    (REPO / "samples" / "s2-shanghai.yaml").read_text(encoding="utf-8").replace("  logo: lowlands-logo.png\n", ""),
    "base",
)
FIELDS = {  # field path -> where it is printed
    ("student", "given_names"): "invitation_letter",
    ("host", "name_en"): "invitation_letter",
    ("internship", "position"): "invitation_letter",
}
ACCEPTED: list[int] = []  # how many generated placements were accepted (the rest refused, as asserted)
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _with(values: dict[tuple[str, str], str]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for (section, key), value in values.items():
        data[section][key] = value
    return data


def _validate(data: dict[str, Any]):
    return loader.validate(loader.Source(name="generated.yaml", data=data, lines={}, sha256="0" * 64))


def _docx_text(html: str) -> str:
    import io

    doc = Document(io.BytesIO(render_docx(html, footer_ref="x", title="t", images={}, day=date(2026, 12, 1))))
    parts = [p.text for p in doc.paragraphs]
    parts += [p.text for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    return "\n".join(parts)


def _line(value: str) -> str:
    """What the model makes of a one-line field (README: Text fields)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[ \t\n]+", " ", value).strip()


def _compose(placement: Any):
    rules = load_rules()
    source = loader.Source(name="generated.yaml", data={}, lines={}, sha256="0" * 64)
    result = CheckResult(placement, source, rules, assess(placement, rules, date(2026, 12, 1)))
    return compose(result, routes=["s2"], languages=["en", "zh"], placement_dir=REPO, allow_blanks=True)


any_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24)
# mostly drawable: every script the fonts cover, combining marks, emoji, bidi controls, BOM, joiners, blanks
SCRIPTS = [
    (0x20, 0x24F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x590, 0x5FF),
    (0x600, 0x6FF),
    (0x300, 0x36F),
    (0x4E00, 0x9FA5),
    (0x3000, 0x303F),
    (0x1F600, 0x1F64F),
    (0x2000, 0x206F),
    (0xFEFF, 0xFEFF),
]
drawable_text = st.text(
    st.one_of(*(st.characters(min_codepoint=lo, max_codepoint=hi, exclude_categories=("Cs",)) for lo, hi in SCRIPTS)),
    min_size=1,
    max_size=24,
)


@SETTINGS
@given(st.fixed_dictionaries({field: st.one_of(any_text, drawable_text, drawable_text) for field in FIELDS}))
def test_any_text_is_kept_exactly_in_docx_or_refused_naming_field_and_code_point(values) -> None:
    try:
        placement = _validate(_with(values))
    except InputError as exc:
        for problem in exc.problems:
            assert problem.path in {".".join(f) for f in FIELDS}, str(problem)
            assert re.search(r"U\+[0-9A-F]{4,6}", problem.message) or problem.message == "is empty", str(problem)
        return
    ACCEPTED.append(1)
    pages = {p.id: p for p in _compose(placement).routes["s2"]}
    text = _docx_text(pages["invitation_letter"].html)
    for (section, key), value in values.items():
        kept = getattr(getattr(placement, section), key)
        assert kept == _line(value)
        assert kept in text, f"{section}.{key}={kept!r} is not in the DOCX text"


readable = st.text(
    st.sampled_from(list("AbcXyzéèüßøåçñ ") + list("张伟李娜王芳刘强陈静") + list("ДмитрийΑλέξανδρος") + ["ʼ", "’"]),
    min_size=1,
    max_size=16,
).filter(lambda s: s.strip())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(readable, readable)
def test_text_in_the_pdf_after_nfc(given_names: str, position: str) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from generator.pack import default_renderers

    placement = _validate(_with({("student", "given_names"): given_names, ("internship", "position"): position}))
    comp = _compose(placement)
    page = next(p for p in comp.routes["s2"] if p.id == "invitation_letter")
    pdf = default_renderers().pdf(None)
    data = pdf.write(pdf.render(page.html, "invitation"))
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    flat = re.sub(r"\s+", "", BIDI.sub("", unicodedata.normalize("NFC", text)))
    for value in (placement.student.given_names, placement.internship.position):
        want = re.sub(r"\s+", "", unicodedata.normalize("NFC", value))
        assert want in flat, f"{value!r} not in the PDF text"


ENUMS = {
    ("student", "sex"): {"F", "M", "X"},
    ("stay", "accommodation"): {"hotel", "dormitory", "private"},
    ("internship", "related_to_major"): {"yes", "no", "unknown", "y", "n", "true", "false", "on", "off", "1", "0"},
    ("home_university", "degree"): {"bachelor", "master", "doctorate", "other"},
}
DATES = [("internship", "start"), ("student", "passport_expiry"), ("stay", "arrival")]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def _assert_refused_naming(field: tuple[str, str], value: str) -> None:
    data = copy.deepcopy(BASE)
    data[field[0]][field[1]] = value
    try:
        _validate(data)
    except InputError as exc:
        assert any(p.path == ".".join(field) for p in exc.problems), [str(p) for p in exc.problems]
        return
    raise AssertionError(f"{field} = {value!r} was accepted")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(ENUMS)), st.text(min_size=1, max_size=12))
def test_bad_enum_values_name_the_field(field: tuple[str, str], value: str) -> None:
    if value.strip().lower() in ENUMS[field] or value.strip().upper() in ENUMS[field]:
        return
    _assert_refused_naming(field, value)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(DATES),
    st.text(min_size=1, max_size=14) | st.dates().map(str) | st.dates().map(lambda d: str(d).translate(FULL_WIDTH)),
)
def test_bad_dates_name_the_field(field: tuple[str, str], value: str) -> None:
    typed = unicodedata.normalize("NFKC", value).replace("\u2212", "-").strip()  # full-width digits are digits
    try:
        day = date.fromisoformat(typed)
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", typed) and 1900 <= day.year <= 2100:
            return  # a real ISO date in the plausible range
    except ValueError:
        pass
    _assert_refused_naming(field, value)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ", min_size=16, max_size=19))
def test_uscc_accepted_only_with_both_check_characters(code: str) -> None:
    from generator.model import uscc_problem

    data = copy.deepcopy(BASE)
    data["host"]["uscc"] = code
    try:
        _validate(data)
        assert uscc_problem(code) is None
    except InputError as exc:
        assert uscc_problem(code) is not None
        assert [p.path for p in exc.problems] == ["host.uscc"]


# -- every printed field, both routes, both languages and Chinese only ----------------------------------

MARK = "Qz{}zQ"


def _text_leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _text_leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _text_leaves(v, (*path, i))]
    return [path] if isinstance(data, str) else []


def _set(data: dict[str, Any], path: tuple[Any, ...], value: str) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        obj = obj[part] if isinstance(part, int) else getattr(obj, part)
    return obj if isinstance(obj, str) else obj.name  # a name given as text (host.legal_representative)


def _printed_texts(placement: Any, languages: list[str]) -> dict[str, str]:
    """Each page of both routes' packs (and the summary) → its text: the DOCX text where the page has a
    DOCX, the HTML's text otherwise (what WeasyPrint draws)."""
    import lxml.html

    rules = load_rules()
    source = loader.Source(name="generated.yaml", data={}, lines={}, sha256="0" * 64)
    result = CheckResult(placement, source, rules, assess(placement, rules, date(2026, 12, 1)))
    comp = compose(result, routes=["s2", "x1"], languages=languages, placement_dir=REPO, allow_blanks=True)
    texts = {"summary": lxml.html.fromstring(comp.summary.html).text_content()}
    for route, pages in comp.routes.items():
        for page in pages:
            html_text = lxml.html.fromstring(page.html).text_content()
            texts[f"{route}/{page.id}"] = html_text + "\n" + (_docx_text(page.html) if page.docx else "")
    return texts


LANGUAGE_SETS = {"en+zh": ["en", "zh"], "zh": ["zh"]}


def _where_printed() -> dict[str, dict[tuple[Any, ...], list[str]]]:
    """For each language set: every free-text field of the sample (a marker is accepted there) → the pages
    that print it. Found by printing a distinct marker in every field at once."""
    if not _WHERE:
        candidates = []
        for n, path in enumerate(_text_leaves(BASE)):
            data = copy.deepcopy(BASE)
            _set(data, path, MARK.format(n))
            try:
                _validate(data)
            except InputError:
                continue  # a code, an enumeration, a date, an e-mail address...: not free text
            candidates.append((n, path))
        data = copy.deepcopy(BASE)
        for n, path in candidates:
            _set(data, path, MARK.format(n))
        placement = _validate(data)
        for label, langs in LANGUAGE_SETS.items():
            texts = _printed_texts(placement, langs)
            _WHERE[label] = {
                path: sorted(page for page, text in texts.items() if MARK.format(n) in text) for n, path in candidates
            }
            for n, path in candidates:  # family names are printed in capitals (PEETERS Lotte Marie)
                if not _WHERE[label][path]:
                    upper = sorted(page for page, text in texts.items() if MARK.format(n).upper() in text)
                    if upper:
                        _WHERE[label][path] = upper
                        _UPPER.add(path)
    return _WHERE


_WHERE: dict[str, dict[tuple[Any, ...], list[str]]] = {}
_UPPER: set[tuple[Any, ...]] = set()  # fields printed upper-cased


def test_the_printed_fields_are_many_and_each_is_printed() -> None:
    """The discovery above must find the fields the letters are made of (it cannot pass empty)."""
    where = _where_printed()
    both = {".".join(map(str, p)) for p, pages in where["en+zh"].items() if pages}
    for field in ("student.given_names", "host.name_en", "host.name_zh", "internship.position", "host.address_zh"):
        assert field in both, sorted(both)
    assert len(both) >= 30, sorted(both)
    assert ("student", "family_name") in _UPPER  # printed, in capitals
    zh = {".".join(map(str, p)) for p, pages in where["zh"].items() if pages}
    assert "host.name_zh" in zh and len(zh) >= 20, sorted(zh)


tricky = st.sampled_from(["&", "<", ">", "&amp;", "{{ 7*7 }}", "{%", "'", '"', "</w:t>", "\\", "=1+1", "’", "\u202e"])
# characters every font stack draws, in several scripts (the refusals are tested above): all accepted
safe_text = st.lists(
    st.sampled_from(
        list("AbcXyz09 éüßøçñ-.,/()#")
        + list("张伟李娜王芳上海有限公司")
        + list("ДмитрийΑλέξανδρος")
        + list("مرحباשלום")
        + ["😀", "e\u0301", "\u200d"]
    ),
    min_size=1,
    max_size=12,
).map("".join)
literal_text = st.lists(st.one_of(safe_text, tricky), min_size=1, max_size=3).map(lambda parts: "".join(parts))


def _plain(value: str) -> str:
    """Generated values without the blanks a field folds (README: Text fields): single spaces inside."""
    return " ".join(value.split())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_printed_field_is_kept_literally_in_both_languages_and_chinese_only(data: Any) -> None:
    where = _where_printed()
    fields = sorted({p for pages in where.values() for p, printed in pages.items() if printed})
    values = {p: _plain(data.draw(literal_text, label=".".join(map(str, p)))) for p in fields}
    values = {p: v for p, v in values.items() if v}
    placement_data = copy.deepcopy(BASE)
    for path, value in values.items():
        _set(placement_data, path, value)
    placement = _validate(placement_data)  # every character here is one the documents hold and draw
    for label, langs in LANGUAGE_SETS.items():
        texts = _printed_texts(placement, langs)
        for path, value in values.items():
            kept = _get(placement, path)
            assert kept == value, (path, kept, value)
            shown = kept.upper() if path in _UPPER else kept
            for page in where[label].get(path, []):
                assert shown in texts[page], f"--lang {label}: {'.'.join(map(str, path))}={shown!r} is not in {page}"
