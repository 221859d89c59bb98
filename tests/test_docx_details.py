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
