"""Each PDF carries only the glyphs it draws (issue 11, generator/render/fontsubset.py): the pack and every
document cut from it look the same pixel for pixel and give the same text as WeasyPrint's own output, with
fonts that hold only their own glyphs."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.api import check_file
from generator.compose import compose
from generator.render.fontsubset import compact_fonts
from generator.render.pdf import PdfRenderer, overlay_folios, read, split

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def route() -> dict[str, Any]:
    """The X1 route of x1-fudan laid out as the pack pipeline does: WeasyPrint's pack, and its documents."""
    sample = REPO / "samples" / "x1-fudan.yaml"
    result = check_file(sample, "2026-12-01")
    comp = compose(result, routes=["x1"], languages=["en", "zh"], placement_dir=sample.parent, allow_blanks=True)
    renderer = PdfRenderer([comp.logo] if comp.logo else [])
    documents = [renderer.render(page.html, page.id) for page in comp.routes["x1"]]
    plain = renderer.write(renderer.merge(documents))
    parts, first = [], 0
    for doc in documents:
        parts.append((first, len(doc.pages), doc.metadata, doc.metadata.title or ""))
        first += len(doc.pages)
    return {"plain": plain, "parts": parts, "ids": [page.id for page in comp.routes["x1"]]}


def _look(pdf: bytes, tmp: Path, name: str, first: int = 0, count: int = 0) -> tuple[list[bytes], str]:
    """The pages as PNG (40 dpi) and the text, as poppler reads them."""
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(first + 1), "-l", str(first + count)] if count else []
    subprocess.run(["pdftoppm", "-r", "40", "-png", *pages, str(path), str(tmp / name)], check=True)
    text = subprocess.run(["pdftotext", *pages, str(path), "-"], check=True, capture_output=True).stdout
    pngs = sorted(tmp.glob(f"{name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [p.read_bytes() for p in pngs], text.decode()


def _drawn_glyphs(pdf: bytes) -> dict[str, int]:
    """Per CJK font: how many glyphs of its program have an outline (fontTools reads the font)."""
    import pikepdf
    from fontTools.ttLib import TTFont

    out = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile3" in obj:
                font = TTFont(io.BytesIO(obj.FontFile3.read_bytes()))
                charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
                out[str(obj.FontName)] = sum(
                    1 for name in font.getGlyphOrder() if len(charstrings[name].bytecode or b"x") > 1
                )
    return out


def test_every_document_looks_and_reads_as_weasyprint_drew_it(route: dict, tmp_path: Path) -> None:
    reader = read(route["plain"])
    files = split(route["plain"], route["parts"], reader)
    for (first, count, _meta, _mark), data, name in zip(route["parts"], files, route["ids"], strict=True):
        ours = _look(data, tmp_path, f"ours-{name}")
        theirs = _look(route["plain"], tmp_path, f"weasyprint-{name}", first, count)
        assert len(ours[0]) == count, name
        assert ours[1] == theirs[1], f"{name}: the text differs"
        assert ours[0] == theirs[0], f"{name}: the pages differ"


def test_the_pack_looks_the_same_with_its_fonts_renumbered(route: dict, tmp_path: Path) -> None:
    import pikepdf

    total = sum(count for _first, count, _meta, _mark in route["parts"])
    blank = pikepdf.new()
    for _ in range(total):
        blank.add_blank_page(page_size=(595.28, 841.89))
    stamps = io.BytesIO()
    blank.save(stamps)
    pack = overlay_folios(route["plain"], stamps.getvalue(), read(route["plain"]))
    assert _look(pack, tmp_path, "ours") == _look(route["plain"], tmp_path, "weasyprint")
    assert len(pack) < len(route["plain"]) * 0.7, (len(pack), len(route["plain"]))


def test_a_document_carries_its_own_glyphs_not_the_packs(route: dict) -> None:
    files = dict(zip(route["ids"], split(route["plain"], route["parts"], read(route["plain"])), strict=True))
    pack = _drawn_glyphs(route["plain"])
    for name, data in files.items():
        assert len(data) < 250_000, f"{name}: {len(data) // 1024} KB"
        ours = _drawn_glyphs(data)
        assert ours, name
        for font, glyphs in ours.items():
            assert glyphs < pack[font], f"{name}: {font} holds {glyphs} of the pack's {pack[font]} glyphs"
    # the guarantee draws far fewer Chinese characters than the pack: its fonts hold far fewer glyphs
    guarantee = _drawn_glyphs(files["financial_guarantee"])
    assert sum(guarantee.values()) < sum(pack.values()) / 3, (guarantee, pack)


def test_content_it_does_not_rewrite_is_left_alone() -> None:
    """A page with a literal string (not what WeasyPrint writes) keeps its fonts and content untouched."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    content = b"BT /F1 12 Tf 72 720 Td (Hello <world>) Tj ET"
    pdf.pages[0].obj.Contents = pdf.make_stream(content)
    assert compact_fonts(pdf) is None
    assert pdf.pages[0].obj.Contents.read_bytes() == content
    assert "/F1" in pdf.pages[0].obj.Resources.Font
