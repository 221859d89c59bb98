"""Issue 16: a host's own Word letterhead (`host.letterhead`) as the base of its letters' DOCX."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_documents import validate_docx

from generator.cli import cli
from generator.letterhead import prepare
from tests.letterhead_docs import letterhead_docx, with_entries, with_external_image

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOST_LETTERS = {
    "s2": ["invitation_letter", "internship_agreement", "port_visa_application"],
    "x1": ["internship_agreement"],
}


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def word_made(data: bytes) -> bytes:
    """A letterhead as Word makes one: none of python-docx's extra styles (no Small, List Number, Title,
    headings), no numbering part, a theme East Asian font."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(io.BytesIO(data))
    styles = doc.styles.element
    for style in list(styles.findall(qn("w:style"))):
        if style.get(qn("w:styleId")) not in ("Normal", "Header", "Footer", "TableNormal", "DefaultParagraphFont"):
            styles.remove(style)
    fonts = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    if fonts is not None:
        fonts.attrib.pop(qn("w:eastAsia"), None)
        fonts.set(qn("w:eastAsiaTheme"), "minorEastAsia")
    out = io.BytesIO()
    doc.save(out)
    raw = out.getvalue()
    src = zipfile.ZipFile(io.BytesIO(raw))
    res = io.BytesIO()
    with zipfile.ZipFile(res, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/numbering.xml":
                continue
            if info.filename == "[Content_Types].xml":
                blob = blob.replace(
                    b'<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.wordprocessingml.numbering+xml"/>',
                    b"",
                )
            if info.filename == "word/_rels/document.xml.rels":
                import re

                blob = re.sub(rb'<Relationship [^>]*Target="numbering.xml"/>', b"", blob)
            dst.writestr(info, blob)
    return res.getvalue()


def placement(tmp_path: Path, sample: str, letterhead: bytes | None, name: str = "letterhead.docx") -> Path:
    shutil.copy(SAMPLES / "lowlands-logo.png", tmp_path / "lowlands-logo.png")
    text = (SAMPLES / sample).read_text(encoding="utf-8")
    if letterhead is not None:
        (tmp_path / "letterhead.docx").write_bytes(letterhead)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("host:"))
    lines.insert(at + 1, f"  letterhead: {name}\n")
    path = tmp_path / sample
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both routes' packs built on a Word-made letterhead (S2 sample) and on a python-docx one (X1 sample)."""
    packs = {}
    for route, sample, data in (
        ("s2", "s2-shanghai.yaml", word_made(letterhead_docx())),
        ("x1", "x1-fudan.yaml", letterhead_docx()),
    ):
        tmp = tmp_path_factory.mktemp(route)
        path = placement(tmp, sample, data)
        code, out = run("build", str(path), "-o", str(tmp / "out"), "--route", route, "--today", "2026-03-01")
        assert code == 0, out
        (packs[route],) = (tmp / "out").iterdir()
    return packs


def parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".xml")}


def test_the_host_letters_carry_the_letterhead_and_not_the_html_block(built: dict[str, Path]) -> None:
    for route, pack in built.items():
        for doc in HOST_LETTERS[route]:
            xml = parts(pack / route / f"{doc}.docx")
            header = next(v for k, v in xml.items() if k.startswith("word/header"))
            footer = next(v for k, v in xml.items() if k.startswith("word/footer"))
            assert "Lowlands Trading (Shanghai) Co., Ltd." in header and "低地贸易（上海）有限公司" in header, doc
            assert "<w:drawing>" in header  # the logo of the letterhead
            assert f"{route.upper()}/" in footer and "Room 1203, 100 Century Avenue" in footer, footer
            body = xml["word/document.xml"]
            assert "<w:drawing>" not in body, f"{doc}: the HTML letterhead block (logo table) is in the body"
            assert "INTERNPACK-BODY" not in body and "{{" not in body
        # the student's letters keep the built-in base: no company header
        student = {"s2": "enrolment_letter_data", "x1": "university_approval_request"}[route]
        other = parts(pack / route / f"{student}.docx")
        assert "Page" in next(v for k, v in other.items() if k.startswith("word/footer"))  # the built-in footer
        assert not any("Lowlands" in v for k, v in other.items() if k.startswith("word/header"))
        assert "{{" not in "".join(other.values())


def test_the_body_goes_where_the_body_paragraph_was(built: dict[str, Path]) -> None:
    from docx import Document

    doc = Document(str(built["s2"] / "s2" / "invitation_letter.docx"))
    texts = [p.text for p in doc.paragraphs if p.text.strip()]
    assert "实习邀请函" in "".join(texts[:6]), texts[:6]
    assert doc.element.body[-1].tag == f"{W}sectPr"


def test_missing_styles_numbering_and_east_asian_font_are_copied_in() -> None:
    from docx import Document

    doc = Document(io.BytesIO(prepare(word_made(letterhead_docx()))))
    ids = {s.style_id for s in doc.styles}
    assert {"Small", "ListNumber", "ListBullet", "Title", "Heading2", "Heading3", "TableGrid"} <= ids
    num_id = doc.styles["List Number"].element.pPr.numPr.numId.val
    numbering = doc.part.numbering_part.element
    assert numbering.num_having_numId(num_id) is not None
    fonts = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "SimSun" and fonts.get(f"{W}eastAsiaTheme") is None
    # the company's own styles stay its own
    assert doc.styles["Header"].element is not None


def test_every_docx_passes_the_open_xml_validator(built: dict[str, Path]) -> None:
    paths = [pack / route / f"{doc}.docx" for route, pack in built.items() for doc in HOST_LETTERS[route]]
    assert validate_docx(paths) == {}


def test_libreoffice_opens_a_letterhead_letter(built: dict[str, Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: run scripts/setup.sh --test")
    src = built["s2"] / "s2" / "invitation_letter.docx"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(src)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    text = subprocess.run(["pdftotext", str(tmp_path / "invitation_letter.pdf"), "-"], capture_output=True, text=True)
    assert "Lowlands Trading (Shanghai) Co., Ltd." in text.stdout  # the header, on the page
    assert "实习邀请函" in text.stdout


def test_the_manifest_names_the_letterhead(built: dict[str, Path], tmp_path: Path) -> None:
    import hashlib

    manifest = json.loads((built["x1"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["letterhead"] == {
        "file": "letterhead.docx",
        "sha256": hashlib.sha256((built["x1"].parent.parent / "letterhead.docx").read_bytes()).hexdigest(),
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (lambda: with_entries(letterhead_docx(), {"word/vbaProject.bin": b"\0" * 64}), "holds macros (vbaProject.bin)"),
        (lambda: with_entries(letterhead_docx(), {"word/media/b.bin": b"\0" * (70 << 20)}), "zip bomb"),
        (lambda: with_external_image(letterhead_docx()), "links to an external image"),
        (lambda: letterhead_docx(footer_text="{{ ''.__class__.__mro__ }}"), "__class__: is not allowed"),
        (lambda: letterhead_docx(header_field="host.adress.en"), "did you mean host.address.en?"),
        (lambda: letterhead_docx(footer_text="{% include 'letters/_sign.html.j2' %}"), "{% include %}"),
    ],
)
def test_a_hostile_letterhead_stops_the_build_before_anything_is_written(
    tmp_path: Path, data: object, expected: str
) -> None:
    assert callable(data)
    path = placement(tmp_path, "s2-shanghai.yaml", data())
    code, out = run("build", str(path), "-o", str(tmp_path / "out"))
    assert code == 2 and expected in out and "letterhead.docx" in out, out
    assert "Traceback" not in out
    assert not (tmp_path / "out").exists()


def test_a_letterhead_without_a_body_paragraph_is_refused(tmp_path: Path) -> None:
    from docx import Document

    doc = Document(io.BytesIO(letterhead_docx()))
    for p in doc.paragraphs:
        if "body" in p.text:
            p.text = "Dear Sir or Madam, {{ body }}"
    out = io.BytesIO()
    doc.save(out)
    (tmp_path / "lh.docx").write_bytes(out.getvalue())
    code, text = run("lint-template", str(tmp_path / "lh.docx"))
    assert code == 2 and "needs exactly one paragraph holding only {{p body }}" in text, text


def test_a_letterhead_outside_the_placement_folder_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "letterhead.docx").write_bytes(letterhead_docx())
    path = placement(inner, "s2-shanghai.yaml", None, name="../letterhead.docx")
    code, out = run("build", str(path), "-o", str(tmp_path / "out"))
    assert code == 2
    assert "host.letterhead: '../letterhead.docx' is outside the placement file's folder" in out, out
    assert not (tmp_path / "out").exists()


FIXTURE = Path(__file__).resolve().parent / "fixtures" / "letterhead-libreoffice.docx"


def test_a_libreoffice_made_letterhead_builds_valid_letters_and_the_same_bytes_twice(tmp_path: Path) -> None:
    """tests/fixtures/letterhead-libreoffice.docx: written by LibreOffice Writer from the .fodt beside it
    (soffice --convert-to 'docx:MS Word 2007 XML'): A4, its own styles (no Small, no List Number), the names
    in Chinese and English and the address in its header, the reference in its footer."""
    path = placement(tmp_path, "s2-shanghai.yaml", FIXTURE.read_bytes())
    made = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        code, text = run("build", str(path), "-o", str(out), "--format", "docx", "--today", "2026-03-01")
        assert code == 0, text
        (pack,) = out.iterdir()
        made.append(pack)
    letters = [made[0] / "s2" / f"{doc}.docx" for doc in HOST_LETTERS["s2"]]
    for letter in letters:
        assert letter.read_bytes() == (made[1] / "s2" / letter.name).read_bytes(), f"{letter.name} differs"
        xml = parts(letter)
        header = "".join(v for k, v in xml.items() if k.startswith("word/header"))
        assert "低地贸易（上海）有限公司" in header and "Lowlands Trading (Shanghai) Co., Ltd." in header
        assert "S2/" in "".join(v for k, v in xml.items() if k.startswith("word/footer"))
    assert validate_docx(letters) == {}
