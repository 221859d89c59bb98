"""DOCX details LibreOffice shows but python-docx text does not: list numbering and signature lines."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from generator.api import build_file

REPO = Path(__file__).resolve().parents[1]


def test_each_numbered_list_restarts_and_signature_lines_are_rules(tmp_path: Path) -> None:
    build_file(REPO / "samples" / "x1-fudan.yaml", tmp_path, route="x1", formats=("docx",), today="2026-12-01", jobs=1)
    docx = next(tmp_path.glob("*/x1/internship_agreement.docx"))
    with zipfile.ZipFile(docx) as z:
        document = z.read("word/document.xml").decode()
        numbering = z.read("word/numbering.xml").decode()
    num_ids = re.findall(r'<w:pStyle w:val="ListNumber"/><w:numPr><w:numId w:val="(\d+)"/>', document)
    assert len(num_ids) > 10 and len(set(num_ids)) > 5, "every <ol> must get its own numbering instance"
    for num_id in set(num_ids):
        block = re.search(rf'<w:num w:numId="{num_id}">(.*?)</w:num>', numbering, re.S)
        assert block and '<w:startOverride w:val="1"/>' in block.group(1), f"list {num_id} does not restart at 1"
    assert "_" * 20 not in document, "signature lines are paragraph rules, not runs of underscores"
    assert document.count('<w:bottom w:val="single"') >= 3  # one per party of the tripartite agreement


def _parts(docx: Path) -> dict[str, str]:
    with zipfile.ZipFile(docx) as z:
        return {n: z.read(n).decode() for n in ("word/document.xml", "word/styles.xml", "word/settings.xml")}


def test_docx_signature_block_as_in_the_pdf(tmp_path: Path) -> None:
    """One signature block with the labels of the PDF, kept together (keepNext) with the closing line; table
    rows that do not split; cells spanning columns where the PDF's do; nothing after the last table but one
    point-high paragraph (an empty paragraph there made a blank last page)."""
    from docx import Document

    build_file(REPO / "samples" / "x1-fudan.yaml", tmp_path, route="x1", formats=("docx",), today="2026-12-01", jobs=1)
    for name in ("invitation_letter", "internship_agreement", "financial_guarantee", "university_approval_request"):
        docx = next(tmp_path.glob(f"*/x1/{name}.docx"))
        xml = _parts(docx)["word/document.xml"]
        assert xml.count("签字") >= 1 and xml.count("Signature") >= 1, name
        assert "<w:cantSplit/>" in xml and "<w:keepNext/>" in xml, name
        assert '<w:gridSpan w:val="3"/>' in xml, name
        assert "Company seal" not in xml and "University seal" not in xml, f"{name}: a printed seal placeholder"
        if name in ("invitation_letter", "internship_agreement"):  # the host signs and seals
            assert "（盖章）" in xml, name
        body = Document(str(docx)).element.body
        blocks = [el for el in body if el.tag.endswith(("}p", "}tbl"))]
        last = blocks[-1]
        if last.tag.endswith("}p") and not "".join(last.itertext()).strip():
            assert blocks[-2].tag.endswith("}tbl"), f"{name}: an empty paragraph ends the document"
            assert 'w:line="20"' in last.xml, f"{name}: the paragraph after the last table is not one point high"
    agreement = _parts(next(tmp_path.glob("*/x1/internship_agreement.docx")))["word/document.xml"]
    assert "（以下无正文）" in agreement and "三方" in agreement


def test_docx_fonts_are_those_of_a_chinese_office(tmp_path: Path) -> None:
    build_file(
        REPO / "samples" / "s2-shanghai.yaml", tmp_path, route="s2", formats=("docx",), today="2026-12-01", jobs=1
    )
    docx = next(tmp_path.glob("*/s2/invitation_letter.docx"))
    parts = _parts(docx)
    assert 'w:eastAsia="zh-CN"' in re.search(r"<w:themeFontLang[^>]*>", parts["word/settings.xml"]).group(0)
    assert "Theme=" not in parts["word/styles.xml"], "a style resolves to a theme font (a Japanese one in the theme)"
    fonts = set(re.findall(r'<w:rFonts[^>]*w:eastAsia="([^"]+)"', parts["word/styles.xml"]))
    assert set(re.findall(r'<w:lang[^>]*w:eastAsia="([^"]+)"', parts["word/styles.xml"])) == {"zh-CN"}
    assert fonts == {"SimSun"}
    assert set(re.findall(r'w:ascii="([^"]+)"', parts["word/styles.xml"])) == {"Arial"}
    agreement = _parts(next(tmp_path.glob("*/s2/internship_agreement.docx")))["word/document.xml"]
    assert "双方" in agreement and "各方" not in agreement
