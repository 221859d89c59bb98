"""The port-visa application letter: drafted on the S2 port-visa path only, and the checklist promises it only there."""

from __future__ import annotations

from pathlib import Path

from conftest import apply, assess_data, base_placement, write_yaml

from generator.api import build_file
from generator.documents import letters_for


def test_port_path_drafts_the_letter(tmp_path: Path) -> None:
    data = apply(base_placement("s2-shanghai.yaml"), {"host.logo": None})
    result = build_file(write_yaml(tmp_path, data), tmp_path / "out", route="s2", formats=("pdf",), today="2026-12-01")
    names = {Path(f).name for f in result.files}
    assert "port_visa_application.pdf" in names, sorted(names)
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(result.folder / "s2" / "port_visa_application.pdf").pages)
    for words in ("口岸签证申请函", "上海浦东国际机场", "KL 895", "上海市公安局出入境管理局", "Port of entry"):
        assert words in text, words
    item = next(i for i in assess_data(data).routes["s2"].checklist if i.id == "port_visa_application")
    assert item.generated and item.document == "port_visa_application"


def test_change_of_status_has_no_port_visa_letter() -> None:
    a = assess_data(apply(base_placement(), {"stay.in_china": "yes", "stay.entry_status": "X2"}))
    ids = {i.id for i in a.routes["s2"].checklist}
    assert "port_visa_application" not in ids
    assert "port_visa_application" not in [d.id for d in letters_for("s2", ids)]
    port = assess_data(base_placement())
    assert "port_visa_application" in [d.id for d in letters_for("s2", {i.id for i in port.routes["s2"].checklist})]
