"""Page economy and print quality of the letters (issue 11): page budgets per document, no page of a letter
under a third full but the last, no last page holding only the sign-off, the DOCX through LibreOffice within
a page of the PDF, the PDF/A rules pikepdf can check on a pack with a logo, and bytes independent of the
folder the placement lies in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from generator.api import build_file

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
TODAY = "2026-12-01"
# bilingual budget, Chinese-only budget (issue 11)
BUDGETS = {
    "invitation_letter": (2, 1),
    "financial_guarantee": (2, 1),
    "internship_agreement": (6, 3),
    "university_approval_request": (3, 3),
    "checklist": (4, 4),
}
TOP, BOTTOM = 13, 15  # the page margins of templates/layout/style.css (mm)


def _build(out: Path, sample: str, lang: tuple[str, ...]) -> Path:
    build_file(SAMPLES / sample, out, route="both", lang=lang, today=TODAY, allow_blanks=True, jobs=1)
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = {}
    for sample in ("s2-shanghai.yaml", "x1-fudan.yaml"):
        for lang in ("en+zh", "zh"):
            out[(sample, lang)] = _build(tmp_path_factory.mktemp(f"{sample}-{lang}"), sample, tuple(lang.split("+")))
    return out


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _fills(pdf: Path, tmp: Path) -> list[float]:
    """How full each page is: the lowest inked row above the footer, as a share of the text area (pages
    rendered at 30 dpi; the footer with the page numbers lies in the bottom margin and is not counted)."""
    import tempfile

    from PIL import Image

    tmp = Path(tempfile.mkdtemp(dir=tmp))  # a folder per document: no page of another one is counted
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp / "page")], check=True)
    fills = []
    for png in sorted(tmp.glob("page-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        img = Image.open(png).convert("L")
        per_mm = img.height / 297
        top, bottom = int(TOP * per_mm), int((297 - BOTTOM) * per_mm)
        ink = [y for y in range(top, bottom) if img.crop((0, y, img.width, y + 1)).getextrema()[0] < 160]
        fills.append(((ink[-1] - top) / (bottom - top)) if ink else 0.0)
    return fills


@pytest.mark.parametrize("lang", ["en+zh", "zh"])
@pytest.mark.parametrize("sample", ["s2-shanghai.yaml", "x1-fudan.yaml"])
def test_documents_stay_within_their_page_budgets(packs: dict, sample: str, lang: str) -> None:
    folder = packs[(sample, lang)]
    over = []
    for route in ("s2", "x1"):
        for doc, (both, zh) in BUDGETS.items():
            pdf = folder / route / f"{doc}.pdf"
            if pdf.exists() and _pages(pdf) > (zh if lang == "zh" else both):
                over.append(f"{route}/{doc}: {_pages(pdf)} pages > {zh if lang == 'zh' else both}")
    assert _pages(folder / "summary.pdf") <= 2
    assert over == []


def test_pack_cover_is_one_page(packs: dict) -> None:
    from pypdf import PdfReader

    for key, folder in packs.items():
        for route in ("s2", "x1"):
            reader = PdfReader(folder / route / "pack.pdf")
            first = reader.outline[0]
            second = reader.outline[1]
            assert reader.get_destination_page_number(second) - reader.get_destination_page_number(first) == 1, key


@pytest.mark.parametrize("sample", ["s2-shanghai.yaml", "x1-fudan.yaml"])
def test_no_letter_page_under_a_third_full_but_the_last(packs: dict, sample: str, tmp_path: Path) -> None:
    from generator.documents import specs

    thin = []
    for lang in ("en+zh", "zh"):
        folder = packs[(sample, lang)]
        for route in ("s2", "x1"):
            for doc in specs():  # every letter, those of later issues too
                pdf = folder / route / f"{doc}.pdf"
                if not pdf.exists():
                    continue
                fills = _fills(pdf, tmp_path)
                thin += [f"{lang} {route}/{doc} page {n}: {f:.0%}" for n, f in enumerate(fills[:-1], 1) if f < 1 / 3]
                assert fills[-1] > 0.05, f"{route}/{doc}: an empty last page"
    assert thin == []


def test_fill_measure_sees_a_nearly_empty_page(tmp_path: Path) -> None:
    """The measure itself: a page with two lines is under a third, a full one is not."""
    from weasyprint import HTML

    pdf = tmp_path / "probe.pdf"
    HTML(
        string="<style>@page{size:A4;margin:13mm 16mm 15mm}</style><p>one</p><p>two</p>"
        + "<p style='break-before:page'>x</p>"
        + "<p>line</p>" * 60
    ).write_pdf(pdf)
    fills = _fills(pdf, tmp_path)
    assert fills[0] < 0.1 and fills[1] > 0.8


def _ink_mm(pdf: Path, tmp: Path) -> list[float]:
    """Per page, the height in millimetres from the first to the last inked row of the text area."""
    import tempfile

    from PIL import Image

    tmp = Path(tempfile.mkdtemp(dir=tmp))
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp / "page")], check=True)
    out = []
    for png in sorted(tmp.glob("page-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        img = Image.open(png).convert("L")
        per_mm = img.height / 297
        rows = range(int(TOP * per_mm), int((297 - BOTTOM) * per_mm))
        ink = [y for y in rows if img.crop((0, y, img.width, y + 1)).getextrema()[0] < 160]
        out.append((ink[-1] - ink[0]) / per_mm if ink else 0.0)
    return out


HIDE_SIGNOFF = "<style>.signoff, section.signed p.closing { visibility: hidden }</style></head>"


@pytest.mark.parametrize("lang", [("en", "zh"), ("zh",)])
@pytest.mark.parametrize("sample", ["s2-shanghai.yaml", "x1-fudan.yaml"])
def test_the_sign_off_never_stands_alone_on_a_page(sample: str, lang: tuple[str, ...], tmp_path: Path) -> None:
    """On the page of the signature block there is body text too: each letter is rendered a second time with
    its closing line and signature block invisible (same layout), and that page must still carry at least
    15 mm of text."""
    from pypdf import PdfReader

    from generator.api import check_file
    from generator.compose import compose
    from generator.documents import specs
    from generator.render.pdf import PdfRenderer

    result = check_file(SAMPLES / sample, TODAY)
    comp = compose(result, routes=["s2", "x1"], languages=list(lang), placement_dir=SAMPLES, allow_blanks=True)
    renderer = PdfRenderer([comp.logo] if comp.logo else [])
    alone = []
    for route, pages in comp.routes.items():
        for page in pages:
            if page.id not in specs():  # every letter, those of later issues too
                continue
            shown, hidden = tmp_path / f"{route}-{page.id}.pdf", tmp_path / f"{route}-{page.id}-hidden.pdf"
            shown.write_bytes(renderer.write(renderer.render(page.html, page.id)))
            html = page.html.replace("</head>", HIDE_SIGNOFF, 1)
            hidden.write_bytes(renderer.write(renderer.render(html, page.id)))
            ink, full = _ink_mm(hidden, tmp_path), _ink_mm(shown, tmp_path)
            assert len(ink) == len(full) == len(PdfReader(shown).pages)
            signed = [n for n, (a, b) in enumerate(zip(ink, full, strict=True)) if b - a > 3]  # the sign-off's page
            assert signed, f"{route}/{page.id}: no sign-off found"
            if ink[signed[0]] < 15:
                alone.append(f"{route}/{page.id} page {signed[0] + 1}: {ink[signed[0]]:.0f} mm of body text")
    assert alone == []


def test_docx_page_counts_through_libreoffice_are_within_one_of_the_pdf(packs: dict, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is not installed: run scripts/setup.sh --test"
    folder = packs[("x1-fudan.yaml", "en+zh")]
    far = []
    for route in ("s2", "x1"):
        docs = sorted((folder / route).glob("*.docx"))
        out = tmp_path / route
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, docs),
            ],
            capture_output=True,
            check=True,
            timeout=240,
        )
        for docx in docs:
            lo, ours = _pages(out / f"{docx.stem}.pdf"), _pages(docx.with_suffix(".pdf"))
            if abs(lo - ours) > 1:
                far.append(f"{route}/{docx.stem}: LibreOffice {lo} pages, PDF {ours}")
    assert far == []


def test_pdfa_rules_pikepdf_can_check_on_a_pack_with_a_logo(packs: dict) -> None:
    import pikepdf

    folder = packs[("s2-shanghai.yaml", "en+zh")]
    assert "logo" in (SAMPLES / "s2-shanghai.yaml").read_text(encoding="utf-8")
    images = 0
    for path in sorted(folder.rglob("*.pdf")):
        with pikepdf.open(path) as pdf:
            assert pdf.pdf_version == "1.7", f"{path.name}: PDF {pdf.pdf_version}"
            with pdf.open_metadata() as meta:
                assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B", path.name
            intents = pdf.Root.get("/OutputIntents")
            assert intents and "/DestOutputProfile" in intents[0], f"{path.name}: no output intent"
            for obj in pdf.objects:
                if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    continue
                kind = obj.get("/Subtype")
                if kind == "/Image":
                    images += 1
                    assert obj.get("/Interpolate") is not True, f"{path.name}: an image with /Interpolate true"
                if obj.get("/Type") == "/FontDescriptor":
                    assert any(k in obj for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{path.name}: font"
                if obj.get("/Type") == "/Annot":
                    flags = int(obj.get("/F", 0))
                    assert flags & 4 and not flags & 2, f"{path.name}: annotation flags {flags}"
    assert images > 0, "the logo is in the pack"


def test_the_same_placement_in_two_folders_gives_the_same_documents(tmp_path: Path) -> None:
    here, there = tmp_path / "a", tmp_path / "elsewhere" / "deeper"
    for folder in (here, there):
        folder.mkdir(parents=True)
        for name in ("s2-shanghai.yaml", "lowlands-logo.png"):
            shutil.copy(SAMPLES / name, folder / name)
    built = []
    for n, folder in enumerate((here, there)):
        out = tmp_path / f"out{n}"
        build_file(folder / "s2-shanghai.yaml", out, route="s2", today=TODAY, jobs=1)
        built.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".pdf", ".docx")})
    assert built[0].keys() == built[1].keys() and len(built[0]) >= 8
    assert [p for p in built[0] if built[0][p] != built[1][p]] == []


def test_cover_contents_give_the_page_each_document_starts_on(packs: dict) -> None:
    import re

    from pypdf import PdfReader

    for key, folder in packs.items():
        for route in ("s2", "x1"):
            reader = PdfReader(folder / route / "pack.pdf")
            listed = [int(n) for n in re.findall(r"第 (\d+) 页 · p\. \1", reader.pages[0].extract_text())]
            starts = [reader.get_destination_page_number(item) + 1 for item in reader.outline[1:]]
            assert listed == starts and len(listed) >= 5, (key, route, listed, starts)
