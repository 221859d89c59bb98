"""The documents of the pack (spec/cli.md "The pack", spec/placement.md "Missing data" and "Text",
spec/report.md blanks/untranslated): valid PDF/A with embedded subset fonts, page numbers and bookmarks;
Chinese that renders; valid DOCX naming an East Asian font; user text printed literally (never evaluated);
placeholders for missing data; 【待译】 for missing Chinese; the templates' contract with the render context.

Packs are built once per session (test_pack.shared_pack) or once per module (the fixtures below)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
import yaml
from conftest import DELETE, REPO, SAMPLES, apply, base_placement, write_yaml
from test_pack import TODAY, Built, invoke, pdf_pages, shared_pack

from generator.api import build_file

HOST_ZH = "低地贸易（上海）有限公司"
X1_PASSPORT = "NX7654321"
S2_LETTERS = ("invitation_letter", "internship_agreement", "financial_guarantee")
X1_LETTERS = (*S2_LETTERS, "university_approval_request")
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")

# the escaping placement's values (spec/placement.md "Text": they appear literally)
ESC_HOST = "Smith & Sons <Ltd> {{ 7*7 }}"
ESC_GIVEN = "Zoë “Q” O'Neil"
ESC_DUTY = "{% raw %}x{% endraw %} $(id) </w:t></w:r>"


# -- helpers --------------------------------------------------------------------------------------------------


def squash(text: str) -> str:
    """PDF text as spec/placement.md compares it: NFC, no bidi controls; and no whitespace (line wrapping)."""
    return re.sub(r"\s+", "", _BIDI.sub("", unicodedata.normalize("NFC", text)))


def pdf_text(path: Path) -> str:
    return "\n".join(pdf_pages(path))


def docx_paragraphs(path: Path) -> list[str]:
    """Every paragraph of a DOCX: body, tables (nested too), headers and footers."""
    import docx

    document = docx.Document(str(path))
    out: list[str] = []

    def walk(container: Any) -> None:
        for p in container.paragraphs:
            out.append(p.text)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            walk(part)
    return out


def docx_text(path: Path) -> str:
    return "\n".join(docx_paragraphs(path))


def validator() -> str:
    for candidate in (
        shutil.which("ooxml-validator"),
        REPO / ".tools" / "node_modules" / ".bin" / "ooxml-validator",
        Path("/tmp/npmtest/node_modules/.bin/ooxml-validator"),
    ):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.fail("the Open XML validator (ooxml-validator) is not installed: run scripts/setup.sh --test")


def validate_docx(paths: Iterable[Path]) -> dict[str, str]:
    """Each DOCX through the Open XML SDK validator (in parallel); the problems of the invalid ones."""
    tool = validator()

    def one(path: Path) -> tuple[str, str | None]:
        proc = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=120)
        try:
            result = json.loads(proc.stdout)
        except json.JSONDecodeError:
            return path.name, f"exit {proc.returncode}: {proc.stdout[:500]} {proc.stderr[:500]}"
        if proc.returncode != 0 or result.get("ok") is not True:
            return path.name, json.dumps(result.get("errors", result), ensure_ascii=False)[:2000]
        return path.name, None

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, list(paths)))
    return {name: problem for name, problem in results if problem}


def build_placement(tmp: Path, data: dict[str, Any], **kwargs: Any) -> Built:
    path = write_yaml(tmp, data)
    out = tmp / "OUT"
    outcome = build_file(path, out, today=TODAY, jobs=2, **kwargs)
    return Built(out, outcome.folder, outcome=outcome)


def no_logo(data: dict[str, Any]) -> dict[str, Any]:
    return apply(data, {"host.logo": DELETE})


# -- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def escaped(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """s2-shanghai with markup, template syntax, quotes and shell syntax in its values; S2, DOCX + PDF."""
    tmp = tmp_path_factory.mktemp("escaped")
    shutil.copy(SAMPLES / "lowlands-logo.png", tmp / "lowlands-logo.png")
    data = base_placement("s2-shanghai.yaml")
    data["host"]["name_en"] = ESC_HOST
    data["student"]["given_names"] = ESC_GIVEN
    data["internship"]["duties"][0] = ESC_DUTY
    return build_placement(tmp, data, route="s2")


@pytest.fixture(scope="module")
def blanks_pack(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """s2-shanghai without host.uscc and student.passport_number, built with --allow-blanks."""
    tmp = tmp_path_factory.mktemp("blanks")
    data = no_logo(apply(base_placement("s2-shanghai.yaml"), {"host.uscc": DELETE, "student.passport_number": DELETE}))
    return build_placement(tmp, data, route="s2", allow_blanks=True)


@pytest.fixture(scope="module")
def untranslated_pack(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """s2-shanghai without internship.position_zh (no --allow-blanks needed)."""
    tmp = tmp_path_factory.mktemp("untranslated")
    data = no_logo(apply(base_placement("s2-shanghai.yaml"), {"internship.position_zh": DELETE}))
    return build_placement(tmp, data, route="s2")


@pytest.fixture(scope="module")
def no_admission_pack(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """x1-fudan without china_university, route x1, through the CLI WITHOUT --allow-blanks (DOCX only)."""
    tmp = tmp_path_factory.mktemp("no-admission")
    data = no_logo(apply(base_placement("x1-fudan.yaml"), {"china_university": DELETE}))
    path = write_yaml(tmp, data)
    out = tmp / "OUT"
    result = invoke("build", path, "-o", out, "--route", "x1", "--format", "docx", "--today", TODAY)
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return Built(out, folder, result.exit_code, result.stdout, result.stderr)


def all_pdfs(*packs: Built) -> list[Path]:
    return [p for pack in packs for p in sorted(pack.folder.rglob("*.pdf"))]


# -- 5. PDFs ----------------------------------------------------------------------------------------------------


def test_every_pdf_passes_qpdf_check(both: Built, blanks_pack: Built) -> None:
    assert shutil.which("qpdf"), "qpdf is not installed: run scripts/setup.sh --test"
    bad = {}
    for path in all_pdfs(both, blanks_pack):
        proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            bad[str(path.relative_to(path.parents[1]))] = (proc.stdout + proc.stderr)[-800:]
    assert bad == {}


def test_every_pdf_declares_pdfa_3b(both: Built) -> None:
    import pikepdf

    status = {}
    for path in all_pdfs(both):
        with pikepdf.open(path) as pdf:
            status[path.relative_to(both.folder).as_posix()] = pdf.open_metadata().pdfa_status
    assert status and all(v == "3B" for v in status.values()), status


def test_each_separate_pdf_numbers_its_own_pages(both: Built) -> None:
    for path in all_pdfs(both):
        if path.name == "pack.pdf":
            continue
        pages = pdf_pages(path)
        total = len(pages)
        for n, text in enumerate(pages, 1):
            assert f"Page{n}of{total}" in squash(text), f"{path.relative_to(both.folder)} page {n}: {text[-300:]}"
            assert "Pack" not in text.split("Page")[-1], f"{path.name}: a pack folio on a separate PDF"


def test_pack_pdf_numbers_pages_over_the_whole_pack(both: Built) -> None:
    for route in ("s2", "x1"):
        pages = pdf_pages(both.folder / route / "pack.pdf")
        total = len(pages)
        separate = sum(len(pdf_pages(p)) for p in (both.folder / route).glob("*.pdf") if p.name != "pack.pdf")
        summary = len(pdf_pages(both.folder / "summary.pdf"))
        assert total > separate + summary, "pack.pdf must hold the cover, the summary, the checklist and the letters"
        assert "Pack1/" + str(total) in squash(pages[0])
        assert f"Pack{total}/{total}" in squash(pages[-1])
        for n, text in enumerate(pages, 1):
            assert f"Pack{n}/{total}" in squash(text), f"{route}/pack.pdf page {n}: {text[-200:]}"


def _outline(reader: Any) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def _expected_titles(route: str, issuer_of_expenses: str, checklist: set[str] | None = None) -> list[tuple[str, str]]:
    """The pack's bookmarks: cover, summary, checklist, then each document of documents.yaml for the route (one that
    ``requires`` a checklist item only when the route's checklist holds it)."""
    docs = yaml.safe_load((REPO / "templates" / "documents.yaml").read_text(encoding="utf-8"))["documents"]
    titles = [
        ("Internship document pack", "资料包"),
        ("Assessment summary", "评估摘要"),
        ("Document checklist", "材料清单"),
    ]
    for doc in docs.values():
        if route not in doc["routes"] or (doc.get("requires") and doc["requires"] not in (checklist or set())):
            continue
        issuer = issuer_of_expenses if doc["issuer"] == "expenses" else doc["issuer"]
        t = doc["title"].get(route) or doc["title"][issuer]
        titles.append((t["en"], t["zh"]))
    return titles


def test_pack_pdf_has_one_bookmark_per_document_in_order(both: Built) -> None:
    from pypdf import PdfReader

    for route in ("s2", "x1"):
        reader = PdfReader(both.folder / route / "pack.pdf")
        outline = _outline(reader)
        report = json.loads((both.folder / "report.json").read_text(encoding="utf-8"))
        checklist = {item["id"] for item in report["routes"][route]["checklist"]}
        expected = _expected_titles(route, "guarantor", checklist)  # x1-fudan: expenses paid by family
        assert len(outline) == len(expected), f"{route}: {[t for _, t, _ in outline]}"
        for (depth, title, _page), (en, zh) in zip(outline, expected, strict=True):
            assert depth == 0, title
            assert en in title and zh in title, f"{route}: bookmark {title!r}, expected {en!r} / {zh!r}"
        pages = [page for _, _, page in outline]
        assert pages[0] == 0 and pages == sorted(set(pages)), f"{route}: bookmark pages {pages}"


def _fonts(path: Path) -> tuple[set[str], list[str]]:
    import pikepdf

    names: set[str] = set()
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
                continue
            subtype = str(obj.get("/Subtype"))
            base = str(obj.get("/BaseFont", ""))
            if subtype == "/Type3":
                problems.append(f"Type3 font {obj.get('/Name')} (not an embedded font program)")
                continue
            names.add(base)
            if not re.fullmatch(r"/[A-Z]{6}\+.+", base):
                problems.append(f"{base}: not subset")
            if subtype == "/Type0":
                continue  # its descendant carries the descriptor
            desc = obj.get("/FontDescriptor")
            if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"{base}: not embedded")
    return names, problems


def test_fonts_are_embedded_subset_and_include_noto_cjk(both: Built, blanks_pack: Built) -> None:
    for path in all_pdfs(both, blanks_pack):
        names, problems = _fonts(path)
        assert names, path
        assert problems == [], f"{path}: {problems}"
        assert any("Noto" in n and "CJK" in n for n in names), f"{path}: no Noto Sans CJK font in {sorted(names)}"


# -- 6. Chinese ---------------------------------------------------------------------------------------------------


def test_no_weasyprint_warning_while_rendering(s2_named: Built) -> None:
    assert (s2_named.folder / "s2" / "pack.pdf").is_file()  # the PDFs were rendered in-process (jobs=1)
    messages = [f"{r.levelname}: {r.getMessage()}" for r in s2_named.warnings]
    assert messages == []


@pytest.mark.parametrize("which", ["s2-named", "both"])
def test_chinese_letter_text_is_in_the_pdf(tmp_path_factory: pytest.TempPathFactory, which: str) -> None:
    pack = shared_pack(which, tmp_path_factory)
    route = "s2" if which == "s2-named" else "x1"
    text = squash(pdf_text(pack.folder / route / "invitation_letter.pdf"))
    assert HOST_ZH in text
    assert "邀请函" in text or "证明" in text
    assert "同意接收实习证明" in text if route == "x1" else "实习邀请函" in text


def _width_variants(value: str) -> re.Pattern[str]:
    """``value`` (squashed) with each ASCII/fullwidth punctuation pair matching either form."""
    pairs = {"(": "（", ")": "）", ",": "，", "+": "＋", ":": "：", ";": "；", "!": "！", "?": "？"}
    twins = {**pairs, **{v: k for k, v in pairs.items()}}
    return re.compile("".join(f"[{re.escape(c)}{re.escape(twins[c])}]" if c in twins else re.escape(c) for c in value))


def test_pdf_text_holds_the_placement_values_exactly(both: Built) -> None:
    """spec/placement.md "Text": values appear literally, compared as PDF text after NFC. An ASCII '(' must
    not come out as '（' (or a '，' as ','): every printed occurrence of these values must be exact."""
    data = base_placement("x1-fudan.yaml")
    values = [
        data["host"]["name_en"],  # Lowlands Trading (Shanghai) Co., Ltd.
        data["host"]["address_zh"],  # 上海市浦东新区世纪大道100号1203室（邮编200120）
        data["prepared_by"]["organisation"],  # Fudan University Career Centre (advisor)
    ]
    wrong: dict[str, list[str]] = defaultdict(list)
    for path in all_pdfs(both):
        text = squash(pdf_text(path))
        for value in values:
            want = squash(value)
            for found in _width_variants(want).findall(text):
                if found != want:
                    wrong[path.relative_to(both.folder).as_posix()].append(found)
    assert not wrong, "PDF text differs from the placement values: " + "; ".join(
        f"{k}: {sorted(set(v))} ({len(v)}x)" for k, v in sorted(wrong.items())
    )


# -- 7. DOCX -------------------------------------------------------------------------------------------------------


def test_every_docx_opens_and_validates(both: Built) -> None:
    import docx

    paths = sorted(both.folder.rglob("*.docx"))
    assert len(paths) == 10  # s2: checklist, 3 letters, enrolment data sheet; x1: checklist, 4 letters
    for path in paths:
        docx.Document(str(path))
    assert validate_docx(paths) == {}


def test_docx_converts_with_libreoffice(both: Built, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is not installed: run scripts/setup.sh --test"
    picks = [both.folder / "x1" / "invitation_letter.docx", both.folder / "x1" / "checklist.docx"]
    outdir = tmp_path / "converted"
    proc = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, picks),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from pypdf import PdfReader

    for src in picks:
        pdf = outdir / (src.stem + ".pdf")
        assert pdf.is_file(), f"{src.name} not converted: {proc.stdout} {proc.stderr}"
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 1
    assert X1_PASSPORT in "".join(p.extract_text() for p in PdfReader(outdir / "invitation_letter.pdf").pages)


def test_docx_styles_name_an_east_asian_font(both: Built) -> None:
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    chinese_fonts = {
        "SimSun",
        "宋体",
        "SimHei",
        "黑体",
        "Microsoft YaHei",
        "微软雅黑",
        "DengXian",
        "等线",
        "PingFang SC",
    }
    for path in sorted(both.folder.rglob("*.docx")):
        with zipfile.ZipFile(path) as zf:
            styles = etree.fromstring(zf.read("word/styles.xml"))
        east = {str(v) for f in styles.iter(f"{w}rFonts") if (v := f.get(f"{w}eastAsia"))}
        assert any("CJK" in f or f in chinese_fonts for f in east), f"{path.name}: w:eastAsia fonts {east}"


def test_docx_uses_only_styles_it_defines(both: Built) -> None:
    """base.docx keeps only the styles the renderer applies (make_template.py trims the rest): a style
    the body, the footer or a kept style refers to but styles.xml lacks would silently fall back to Normal
    in Word (no validator reports it)."""
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    refs = ("pStyle", "rStyle", "tblStyle", "basedOn", "link", "next")
    for path in sorted(both.folder.rglob("*.docx")):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            parts = [etree.fromstring(zf.read(n)) for n in names if n.startswith("word/") and n.endswith(".xml")]
        assert "word/stylesWithEffects.xml" not in names, path.name
        styles = next(p for p in parts if p.tag == f"{w}styles")
        defined = {s.get(f"{w}styleId") for s in styles.iter(f"{w}style")}
        used = {str(el.get(f"{w}val")) for part in parts for ref in refs for el in part.iter(f"{w}{ref}")}
        assert used, path.name
        assert used <= defined, f"{path.name}: styles used but not defined: {sorted(used - defined)}"
        assert len(defined) < 30, f"{path.name}: {len(defined)} styles: base.docx is not trimmed"


def test_docx_text_holds_the_data_and_no_template_syntax(both: Built) -> None:
    import zipfile

    for route, letters in (("s2", S2_LETTERS), ("x1", X1_LETTERS)):
        for doc in letters:
            text = docx_text(both.folder / route / f"{doc}.docx")
            assert X1_PASSPORT in text, f"{route}/{doc}.docx lacks the passport number"
            assert HOST_ZH in text, f"{route}/{doc}.docx lacks the Chinese host name"
    for path in sorted(both.folder.rglob("*.docx")):
        text = docx_text(path)
        for token in ("{{", "}}", "{%", "%}", "{#"):
            assert token not in text, f"{path.name}: unrendered {token!r}"
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith(".xml"):
                    xml = zf.read(name).decode("utf-8")
                    assert "{{" not in xml and "{%" not in xml, f"{path.name}:{name} holds template syntax"


# -- 8. escaping ---------------------------------------------------------------------------------------------------


def _expected_places(doc: str) -> list[str]:
    values = [ESC_HOST, ESC_GIVEN]
    if doc in ("invitation_letter", "internship_agreement"):  # the letters that list the duties
        values.append(ESC_DUTY)
    return values


def test_values_appear_literally_in_the_docx(escaped: Built) -> None:
    for doc in ("checklist", *S2_LETTERS):
        text = docx_text(escaped.folder / "s2" / f"{doc}.docx")
        for value in _expected_places(doc):
            assert value in text, f"s2/{doc}.docx lacks {value!r}"
        assert "Smith & Sons <Ltd> 49" not in text and "Smith &amp;" not in text and "&lt;Ltd" not in text


def test_values_appear_literally_in_the_pdf(escaped: Built) -> None:
    for doc in ("checklist", *S2_LETTERS):
        text = squash(pdf_text(escaped.folder / "s2" / f"{doc}.pdf"))
        for value in _expected_places(doc):
            assert squash(value) in text, f"s2/{doc}.pdf lacks {value!r}"
        assert "Smith&Sons<Ltd>49" not in text
    pack = squash(pdf_text(escaped.folder / "s2" / "pack.pdf"))
    for value in (ESC_HOST, ESC_GIVEN, ESC_DUTY):
        assert squash(value) in pack, f"pack.pdf lacks {value!r}"


def test_escaped_docx_validate(escaped: Built) -> None:
    paths = sorted(escaped.folder.rglob("*.docx"))
    assert len(paths) == 6  # checklist, invitation, port-visa letter, agreement, guarantee, enrolment data sheet
    assert validate_docx(paths) == {}


# -- 9. missing data --------------------------------------------------------------------------------------------------


def test_missing_fields_stop_the_build_listing_each_once_per_document(tmp_path: Path) -> None:
    data = no_logo(apply(base_placement("s2-shanghai.yaml"), {"host.uscc": DELETE, "student.passport_number": DELETE}))
    path = write_yaml(tmp_path, data)
    out = tmp_path / "OUT"
    result = invoke("build", path, "-o", out, "--route", "s2", "--today", TODAY)
    assert result.exit_code == 2, result.output
    assert not out.exists() or list(out.iterdir()) == [], "nothing may be written"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    pairs = []
    for line in lines:  # one line per document: "FILE: s2/invitation_letter: needs a.b, c.d (missing ...)"
        m = re.search(r": ([a-z0-9]+/[a-z_]+): needs ([a-z_., ]+?) \(missing from the placement\)", line)
        assert m, f"not a missing-field line: {line!r}"
        pairs += [(m.group(1), field) for field in m.group(2).split(", ")]
    assert len(pairs) == len(set(pairs)), f"a field is listed twice for one document: {pairs}"
    assert {f for _, f in pairs} == {"host.uscc", "student.passport_number"}
    for doc in S2_LETTERS:
        for field in ("host.uscc", "student.passport_number"):
            assert (f"s2/{doc}", field) in pairs, f"{field} not listed for s2/{doc}:\n{result.stderr}"


def test_allow_blanks_prints_placeholders_and_reports_them(blanks_pack: Built) -> None:
    text = squash(pdf_text(blanks_pack.folder / "s2" / "invitation_letter.pdf"))
    assert "[host.uscc]" in text and "[student.passport_number]" in text
    assert "[host.uscc]" in docx_text(blanks_pack.folder / "s2" / "invitation_letter.docx")
    blanks = blanks_pack.report()["blanks"]
    assert all(set(b) == {"document", "field"} for b in blanks), blanks
    assert len({(b["document"], b["field"]) for b in blanks}) == len(blanks), "duplicate blanks"
    for doc in S2_LETTERS:
        for field in ("host.uscc", "student.passport_number"):
            assert {"document": f"s2/{doc}", "field": field} in blanks, blanks
    assert {b["field"] for b in blanks} <= {"host.uscc", "student.passport_number"}, blanks
    assert blanks_pack.manifest()["options"]["allow_blanks"] is True


def test_x1_without_admission_builds_with_placeholders(no_admission_pack: Built) -> None:
    blanks = no_admission_pack.report()["blanks"]
    assert blanks, "the china_university placeholders must be listed"
    assert all(b["field"].startswith("china_university.") for b in blanks), blanks
    assert {"document": "x1/invitation_letter", "field": "china_university.name_en"} in blanks
    assert {"document": "x1/university_approval_request", "field": "china_university.name_en"} in blanks
    assert "[china_university.name_en]" in docx_text(no_admission_pack.folder / "x1" / "invitation_letter.docx")
    assert no_admission_pack.manifest()["options"]["allow_blanks"] is False


# -- 10. untranslated -------------------------------------------------------------------------------------------------


def test_missing_chinese_twin_is_marked_and_reported(untranslated_pack: Built) -> None:
    position = base_placement("s2-shanghai.yaml")["internship"]["position"]  # Marketing Intern
    marked = squash(position + "【待译】")
    assert marked in squash(pdf_text(untranslated_pack.folder / "s2" / "invitation_letter.pdf"))
    assert position + "【待译】" in docx_text(untranslated_pack.folder / "s2" / "invitation_letter.docx")
    untranslated = untranslated_pack.report()["untranslated"]
    for doc in ("invitation_letter", "internship_agreement"):
        assert {"document": f"s2/{doc}", "field": "internship.position_zh"} in untranslated, untranslated
    assert {u["field"] for u in untranslated} == {"internship.position_zh"}
    assert untranslated_pack.report()["blanks"] == []


# -- 11. templates ---------------------------------------------------------------------------------------------------


def test_templates_use_only_what_the_context_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.api import check_file
    from generator.compose import compose
    from generator.templating import environment

    env = environment()
    seen: dict[str, list[set[str]]] = defaultdict(list)
    real = jinja2.Template.render

    def recording(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        seen[self.name or "<string>"].append(set(dict(*args, **kwargs)))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", recording)
    for sample in ("x1-fudan.yaml", "s2-shanghai.yaml", "no-route.yaml"):
        result = check_file(SAMPLES / sample, TODAY)
        compose(result, routes=["s2", "x1"], languages=["en", "zh"], placement_dir=SAMPLES, allow_blanks=True)
    # the cohort summary of `batch` (layout/cohort.html.j2), for an empty cohort
    import generator.batch

    if hasattr(generator.batch, "_pdf"):
        generator.batch._pdf([], Path("cohort.csv"), TODAY)
    monkeypatch.undo()

    names = [
        f"{folder}/{p.name}"
        for folder in ("layout", "letters")
        for p in sorted((REPO / "templates" / folder).glob("*.j2"))
    ]
    source = {n: (REPO / "templates" / n).read_text(encoding="utf-8") for n in names}
    parsed = {n: env.parse(source[n]) for n in names}
    undeclared = {n: jinja2.meta.find_undeclared_variables(parsed[n]) - set(env.globals) for n in names}
    refs = {n: {r for r in jinja2.meta.find_referenced_templates(parsed[n]) if r} for n in names}

    def needed(n: str, stack: tuple[str, ...] = ()) -> set[str]:
        out = set(undeclared[n])
        for r in refs[n]:
            assert r in undeclared, f"{n} references {r}, not a template of templates/layout or letters"
            if r not in stack:
                out |= needed(r, (*stack, n))
        return out

    reached = set(seen)
    for n in list(seen):
        if n in refs:
            stack = [n]
            while stack:
                for r in refs[stack.pop()]:
                    if r not in reached:
                        reached.add(r)
                        stack.append(r)
    assert set(names) <= reached, f"templates never rendered: {sorted(set(names) - reached)}"

    problems = []
    for n in names:
        for keys in seen.get(n, []):
            missing = needed(n) - keys
            if missing:
                problems.append(f"{n} uses {sorted(missing)}, not in its context {sorted(keys)}")
    assert problems == [], "\n".join(sorted(set(problems)))


def test_sandbox_refuses_python_internals() -> None:
    from jinja2.exceptions import SecurityError

    from generator.templating import environment

    for source in ("{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__ }}"):
        with pytest.raises(SecurityError):
            environment().from_string(source).render()


def test_checklist_marks_the_items_the_pack_drafts(both: Built) -> None:
    """Each item the pack drafts carries the mark, in the PDF and (bold) in the DOCX; no other item does."""
    import docx

    report = json.loads((both.folder / "report.json").read_text(encoding="utf-8"))
    for route in ("s2", "x1"):
        drafted = sum(item["generated"] for item in report["routes"][route]["checklist"])
        assert drafted >= 3, f"{route}: the pack drafts letters, so some items are marked"
        assert squash(pdf_text(both.folder / route / "checklist.pdf")).count("draftedinthispack") == drafted
        marks = [
            run
            for table in docx.Document(str(both.folder / route / "checklist.docx")).tables
            for row in table.rows
            for para in row.cells[1].paragraphs
            for run in para.runs
            if "drafted in this pack" in run.text
        ]
        assert len(marks) == drafted and all(run.bold for run in marks), f"{route}: {len(marks)} of {drafted}"


def _page_images(pdf: bytes, tmp: Path, name: str) -> list[bytes]:
    (tmp / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(tmp / f"{name}.pdf"), str(tmp / name)], check=True)
    from PIL import Image

    return [Image.open(p).convert("RGB").tobytes() for p in sorted(tmp.glob(f"{name}-*.png"))]


def test_our_user_agent_stylesheet_renders_like_weasyprints_own(tmp_path: Path, monkeypatch) -> None:
    """templates/layout/ua.css keeps WeasyPrint's user-agent rules for our markup only (it is faster): every
    document of both routes, and the pack folios, must come out pixel for pixel as with WeasyPrint's full sheet."""
    import weasyprint

    import generator.render.pdf as pdf_module
    from generator.api import check_file
    from generator.compose import compose
    from generator.pack import default_renderers

    result = check_file(SAMPLES / "x1-fudan.yaml", TODAY)
    comp = compose(result, routes=["s2", "x1"], languages=["en", "zh"], placement_dir=SAMPLES, allow_blanks=True)
    renderer = default_renderers().pdf(comp.logo)
    pages = [comp.summary, *comp.routes["s2"], *comp.routes["x1"]]

    def everything() -> list[list[bytes]]:
        pdfs = [renderer.write(renderer.render(page.html, page.id)) for page in pages]
        pdfs.append(pdf_module.folios(renderer, ["Summary", "Checklist"]))
        mark = "full" if pdf_module._html_class() is weasyprint.HTML else "ours"
        return [_page_images(pdf, tmp_path, f"{mark}-{n}") for n, pdf in enumerate(pdfs)]

    ours = everything()
    monkeypatch.setattr(pdf_module, "_html_class", lambda: weasyprint.HTML)
    full = everything()
    names = [f"{page.route}/{page.id}" for page in pages] + ["folios"]
    assert [name for name, a, b in zip(names, ours, full, strict=True) if a != b] == []
