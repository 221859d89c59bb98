"""The host's stationery (issue 16): a one-page A4 PDF laid under the first page of each host letter.

The fixture tests/fixtures/stationery-libreoffice.pdf was exported by LibreOffice Writer (PDF/A-3) from
stationery-libreoffice.fodt beside it: a logo, the company's names and a rule at the top, its address at the
bottom, as a print shop or HR would make one."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from generator.api import build_file

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "stationery-libreoffice.pdf"
TODAY = "2026-12-01"
TOP, BOTTOM = 46, 24  # the fixture's printed areas end 42 mm from the top and begin 19 mm from the bottom
# the S2 sample's letters whose issuer is the host (templates/documents.yaml)
HOST_LETTERS = {"invitation_letter", "port_visa_application", "internship_agreement", "financial_guarantee"}


def _placement(folder: Path, stationery: str | None = "stationery.pdf", margins: Any = None) -> Path:
    data = yaml.safe_load((REPO / "samples" / "s2-shanghai.yaml").read_text(encoding="utf-8"))
    shutil.copy(REPO / "samples" / "lowlands-logo.png", folder / "lowlands-logo.png")
    if stationery:
        data["host"]["stationery"] = stationery
    data["host"]["stationery_margins"] = {"top": TOP, "bottom": BOTTOM} if margins is None else margins
    path = folder / "placement.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stationery")
    shutil.copy(FIXTURE, folder / "stationery.pdf")
    out = folder / "out"
    build_file(_placement(folder), out, route="s2", today=TODAY, allow_blanks=True, jobs=1)
    (built,) = [p for p in out.iterdir() if p.is_dir()]
    return built / "s2"


def _drawn(page: pikepdf.Page) -> bool:
    return "/IPStationery" in page.obj.Resources.get("/XObject", {})


def _gray(pdf: Path, page: int, tmp: Path, dpi: int = 30) -> Any:
    from PIL import Image

    prefix = tmp / f"{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), str(pdf), str(prefix)], check=True
    )
    (png,) = tmp.glob(f"{prefix.name}-*.pgm")
    img = Image.open(png).convert("L")
    png.unlink()
    return img


def _band(img: Any, top_mm: float, bottom_mm: float) -> Any:
    per_mm = img.height / 297
    return img.crop((0, int(top_mm * per_mm), img.width, int(bottom_mm * per_mm)))


def test_the_first_page_of_each_host_letter_and_only_it_lies_on_the_stationery(pack: Path) -> None:
    pdfs = sorted(pack.glob("*.pdf"))
    assert {p.stem for p in pdfs} >= HOST_LETTERS | {"checklist", "pack"}
    for path in pdfs:
        if path.stem == "pack":
            continue
        with pikepdf.open(path) as pdf:
            drawn = [_drawn(page) for page in pdf.pages]
        expected = [path.stem in HOST_LETTERS and n == 0 for n in range(len(drawn))]
        assert drawn == expected, path.name
    with pikepdf.open(pack / "pack.pdf") as pdf:
        assert sum(_drawn(page) for page in pdf.pages) == len(HOST_LETTERS)


def test_the_letter_keeps_clear_of_the_printed_areas_and_the_stationery_is_drawn_in_place(
    pack: Path, tmp_path: Path
) -> None:
    """The letter's own content alone (the stationery's Do removed) leaves the top TOP mm and the bottom
    (BOTTOM - 5) mm white; drawn with it, those bands are the stationery's, pixel for pixel."""
    from PIL import ImageChops

    paper = _gray(FIXTURE, 1, tmp_path)
    for name in sorted(HOST_LETTERS):
        letter = pack / f"{name}.pdf"
        on = _gray(letter, 1, tmp_path)
        for top, bottom in ((0, TOP), (297 - BOTTOM + 5, 297)):
            assert ImageChops.difference(_band(on, top, bottom), _band(paper, top, bottom)).getbbox() is None, name
        with pikepdf.open(letter) as pdf:
            page = pdf.pages[0]
            content = (
                b"".join(part.read_bytes() for part in page.obj.Contents)
                if isinstance(page.obj.Contents, pikepdf.Array)
                else page.obj.Contents.read_bytes()
            )
            assert content.count(b"/IPStationery Do") == 1
            # the built-in letterhead is left out: the page draws no image (the logo) but through the stationery
            own = {k: v for k, v in page.obj.Resources.get("/XObject", {}).items() if k != "/IPStationery"}
            assert _images(own.values()) == 0, f"{name}: the built-in letterhead's logo is drawn too"
            page.obj.Contents = pdf.make_stream(content.replace(b"/IPStationery Do", b""))
            bare = tmp_path / f"{name}-bare.pdf"
            pdf.save(bare)
        alone = _gray(bare, 1, tmp_path)
        for top, bottom in ((0, TOP), (297 - BOTTOM + 5, 297)):
            assert _band(alone, top, bottom).getextrema()[0] > 250, f"{name}: ink in the printed area {top}-{bottom} mm"
        assert _band(alone, TOP, 297 - BOTTOM).getextrema()[0] < 100  # the letter itself is there


def _images(xobjects: Any) -> int:
    count, todo = 0, list(xobjects)
    while todo:
        x = todo.pop()
        if x.get("/Subtype") == "/Image":
            count += 1
        elif x.get("/Subtype") == "/Form":
            todo += list(x.get("/Resources", {}).get("/XObject", {}).values())
    return count


def test_without_stationery_the_first_page_draws_the_built_in_letterhead(tmp_path: Path) -> None:
    """The counterpart of the check above: the same letter without stationery draws the logo itself."""
    out = tmp_path / "out"
    build_file(_placement(tmp_path, None), out, route="s2", today=TODAY, allow_blanks=True, jobs=1)
    (letter,) = out.rglob("invitation_letter.pdf")
    with pikepdf.open(letter) as pdf:
        assert not _drawn(pdf.pages[0]) and _images(pdf.pages[0].obj.Resources.get("/XObject", {}).values()) == 1


def test_the_later_pages_and_the_docx_keep_the_usual_layout(pack: Path) -> None:
    from docx import Document

    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(pack / "internship_agreement.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Century Avenue" not in text.split("第 2 页")[0].splitlines()[0]  # no letterhead on page 2
    # the DOCX has no stationery: it keeps the built-in letterhead (names and address at the top)
    doc = Document(str(pack / "invitation_letter.docx"))
    body = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "低地贸易（上海）有限公司" in body and "Century Avenue" in body


def test_every_pdf_stays_pdfa_with_the_stationery_in_it(pack: Path) -> None:
    for path in sorted(pack.glob("*.pdf")):
        with pikepdf.open(path) as pdf:
            with pdf.open_metadata() as meta:
                assert meta.get("pdfaid:part") == "3", path.name
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    if obj.get("/Type") == "/FontDescriptor":
                        assert any(k in obj for k in ("/FontFile", "/FontFile2", "/FontFile3")), path.name
                    if obj.get("/Subtype") == "/Image":
                        assert not bool(obj.get("/Interpolate", False)), path.name
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
        assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # emb


def test_the_folio_of_pack_pdf_sits_above_the_printed_footer(pack: Path, tmp_path: Path) -> None:
    with pikepdf.open(pack / "pack.pdf") as pdf:
        index = next(n for n, page in enumerate(pdf.pages) if _drawn(page))
        page = pdf.pages[index]
        del page.obj.Resources.XObject["/IPStationery"]
        content = b"".join(p.read_bytes() for p in page.obj.Contents)
        page.obj.Contents = pdf.make_stream(content.replace(b"/IPStationery Do", b""))
        bare = tmp_path / "pack-bare.pdf"
        pdf.save(bare)
    img = _gray(bare, index + 1, tmp_path)
    assert _band(img, 297 - BOTTOM + 5, 297).getextrema()[0] > 250  # the folio stamp too keeps clear


def _one_page(
    size: tuple[float, float] = (595.28, 841.89), content: bytes = b"", resources: Any = None, pages: int = 1
) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=size)
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(content)
    if resources is not None:
        page.obj.Resources = resources(pdf)
    return pdf


def _bytes(pdf: pikepdf.Pdf, **save: Any) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def _helvetica(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    return pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))


BAD = {
    "two-pages": (_bytes(_one_page(pages=2)), "has 2 pages; the stationery is one page"),
    "letter-size": (_bytes(_one_page(size=(612, 792))), "is 216 x 279 mm; the letters are A4"),
    "unembedded-font": (
        _bytes(_one_page(content=b"BT /F1 12 Tf 72 760 Td <41434d45> Tj ET", resources=_helvetica)),
        "uses fonts it does not embed: Helvetica",
    ),
    "cmyk": (_bytes(_one_page(content=b"0 0.8 1 0 k 0 800 595 42 re f")), "uses CMYK colour"),
    "encrypted": (
        _bytes(_one_page(), encryption=pikepdf.Encryption(owner="hr", user="secret")),
        "is protected by a password",
    ),
    "not-a-pdf": ((REPO / "samples" / "lowlands-logo.png").read_bytes(), "is not a PDF (its content is another kind"),
    "damaged": (FIXTURE.read_bytes()[:2000], "is not a readable PDF ("),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_stationery_that_is_not_safe_is_refused_naming_the_field(run: Any, tmp_path: Path, case: str) -> None:
    data, message = BAD[case]
    (tmp_path / "stationery.pdf").write_bytes(data)
    out = tmp_path / "out"
    result = run("build", _placement(tmp_path), "--out", out, "--today", TODAY)
    assert result.exit_code == 2, result.output
    assert "placement.yaml:" in result.stderr and "host.stationery" in result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "BytesIO" not in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.pdf", "does not exist"),
        ("../stationery.pdf", "outside the placement file's folder"),
        ("lowlands-logo.png", "must be a PDF file"),
    ],
)
def test_a_stationery_file_that_cannot_be_used_is_refused(run: Any, tmp_path: Path, name: str, message: str) -> None:
    shutil.copy(FIXTURE, tmp_path / "stationery.pdf")
    folder = tmp_path / "p"
    folder.mkdir()
    result = run("build", _placement(folder, name), "--out", tmp_path / "out", "--today", TODAY)
    assert result.exit_code == 2 and "host.stationery" in result.stderr and message in result.stderr, result.stderr


def test_margins_that_leave_no_room_for_the_letter_are_refused(run: Any, tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "stationery.pdf")
    result = run("check", _placement(tmp_path, margins={"top": 120, "bottom": 90}))
    assert result.exit_code == 2 and "host.stationery_margins" in result.stderr, result.stderr
    assert "top + bottom at most 200 mm" in result.stderr


def test_an_interpolated_image_is_drawn_without_interpolation(tmp_path: Path) -> None:
    def image(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
        logo = pdf.make_stream(
            b"\x1f\x4e\x79" * 4,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=2,
            Height=2,
            ColorSpace=pikepdf.Name.DeviceRGB,
            BitsPerComponent=8,
            Interpolate=True,
        )
        return pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=logo))

    given = _bytes(_one_page(content=b"q 120 0 0 40 40 780 cm /Im1 Do Q", resources=image))
    (tmp_path / "stationery.pdf").write_bytes(given)
    out = tmp_path / "out"
    build_file(_placement(tmp_path), out, route="s2", today=TODAY, allow_blanks=True, jobs=1)
    assert (tmp_path / "stationery.pdf").read_bytes() == given  # the user's file is not changed
    letters = list(out.rglob("invitation_letter.pdf"))
    assert letters
    with pikepdf.open(letters[0]) as pdf:
        images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert images and not any(bool(o.get("/Interpolate", False)) for o in images)


def test_the_same_placement_and_stationery_in_two_folders_give_the_same_bytes(tmp_path: Path) -> None:
    built = []
    for n, folder in enumerate((tmp_path / "a", tmp_path / "b" / "deeper")):
        folder.mkdir(parents=True)
        shutil.copy(FIXTURE, folder / "stationery.pdf")
        out = tmp_path / f"out{n}"
        build_file(_placement(folder), out, route="s2", today=TODAY, allow_blanks=True, jobs=1)
        built.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*.pdf")})
    assert built[0].keys() == built[1].keys() and [p for p in built[0] if built[0][p] != built[1][p]] == []


def test_the_manifest_records_the_stationery(pack: Path) -> None:
    import hashlib
    import json

    manifest = json.loads((pack.parent / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["inputs"] if e["field"] == "host.stationery")
    assert entry["file"] == "stationery.pdf" and entry["sha256"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()


def test_lint_template_checks_a_stationery_pdf(run: Any, tmp_path: Path) -> None:
    good = run("lint-template", FIXTURE)
    assert good.exit_code == 0, good.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(BAD["unembedded-font"][0])
    result = run("lint-template", bad)
    assert result.exit_code == 2 and "bad.pdf: uses fonts it does not embed: Helvetica" in result.stderr, result.stderr
