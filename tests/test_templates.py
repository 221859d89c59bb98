"""Issue 16: `lint-template`, `templates export` and `build --templates` (a company's own letter wording)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.templatelint import docx_hygiene, lint
from tests.letterhead_docs import letterhead_docx, with_entries, with_external_image

LETTERS = Path(__file__).resolve().parent.parent / "templates" / "letters"


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def exported(tmp_path: Path) -> Path:
    code, out = run("templates", "export", str(tmp_path / "mine"))
    assert code == 0, out
    return tmp_path / "mine"


def test_export_copies_every_letter_template_and_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    folder = exported(tmp_path)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in LETTERS.iterdir())
    assert (folder / "invitation_letter.en.html.j2").read_bytes() == (
        LETTERS / "invitation_letter.en.html.j2"
    ).read_bytes()
    code, out = run("templates", "export", str(folder))
    assert code == 2 and "is not empty" in out and "--force" in out
    code, out = run("templates", "export", str(folder), "--force")
    assert code == 0, out


def test_the_built_in_letters_lint_clean(tmp_path: Path) -> None:
    code, out = run("lint-template", str(exported(tmp_path)))
    assert code == 0, out
    assert out.strip().endswith(": OK")


def test_a_misspelt_field_is_named_with_its_correction(tmp_path: Path) -> None:
    folder = exported(tmp_path)
    letter = folder / "invitation_letter.en.html.j2"
    text = letter.read_text(encoding="utf-8")
    assert "host.name.en" in text
    letter.write_text(text.replace("host.name.en", "host.nme.en", 1), encoding="utf-8")
    code, out = run("lint-template", str(folder))
    assert code == 2
    assert f"{letter}:" in out
    assert "host.nme.en: no such field (did you mean host.name.en?)" in out


def test_a_field_inside_a_false_branch_and_a_loop_variable_are_checked(tmp_path: Path) -> None:
    folder = exported(tmp_path)
    letter = folder / "internship_agreement.en.html.j2"
    letter.write_text(
        letter.read_text(encoding="utf-8")
        + '{% if route == "nowhere" %}{{ doc.titel.en }}{% endif %}'
        + "{% for d in internship.duties %}{{ d.nosuch }}{% endfor %}",
        encoding="utf-8",
    )
    problems = [str(p) for p in lint(folder)]
    assert any("doc.titel.en: no such field (did you mean doc.title.en?)" in p for p in problems), problems
    assert any("no such field" in p and "d.nosuch" in p for p in problems), problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ ''.__class__.__mro__ }}", "__class__: is not allowed"),
        ("{{ host.name.__init__ }}", "__init__: is not allowed"),
        ('{% include "layout/base.html.j2" %}', "{% include %} of layout/base.html.j2 is not allowed"),
        ('{% import "layout/_letterhead.html.j2" as x %}', "{% import %} of layout/_letterhead.html.j2 is not allowed"),
        ('{% extends "layout/letter.html.j2" %}', "{% extends %} is not allowed"),
        ("{% include name %}", "{% include %} of a computed name is not allowed"),
        ("{{ host.name.en | nosuchfilter }}", "No filter named 'nosuchfilter'"),
        ("{% if %}", "template syntax"),
    ],
)
def test_hostile_or_broken_letter_templates_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "invitation_letter.en.html.j2").write_text(text, encoding="utf-8")
    code, out = run("lint-template", str(folder))
    assert code == 2
    assert expected in out, out
    assert "Traceback" not in out


def test_an_unknown_file_name_gets_a_suggestion(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "invitation_leter.en.html.j2").write_text("<p>x</p>", encoding="utf-8")
    code, out = run("lint-template", str(folder))
    assert code == 2
    assert "is not a letter template internpack uses (did you mean invitation_letter.en.html.j2?)" in out


def test_a_render_error_the_walk_cannot_see_is_caught_by_the_one_render(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "invitation_letter.en.html.j2").write_text("{{ host.name.en + 1 }}", encoding="utf-8")
    code, out = run("lint-template", str(folder))
    assert code == 2 and "does not render" in out, out


# -- Word files -----------------------------------------------------------------------------------------


def test_a_python_docx_letterhead_lints_clean(tmp_path: Path) -> None:
    path = tmp_path / "letterhead.docx"
    path.write_bytes(letterhead_docx())
    code, out = run("lint-template", str(path))
    assert code == 0, out


def test_a_misspelt_field_in_a_header_names_its_part(tmp_path: Path) -> None:
    path = tmp_path / "letterhead.docx"
    path.write_bytes(letterhead_docx(header_field="host.adress.en", split_runs=True))
    code, out = run("lint-template", str(path))
    assert code == 2
    assert f"{path}: part (word/header1.xml): host.adress.en: no such field (did you mean host.address.en?)" in out, out


def test_a_sandbox_escape_in_a_footer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letterhead.docx"
    path.write_bytes(letterhead_docx(footer_text="{{ ''.__class__.__mro__ }}"))
    code, out = run("lint-template", str(path))
    assert code == 2 and "part (word/footer1.xml): __class__: is not allowed" in out, out


def test_an_include_in_a_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letterhead.docx"
    path.write_bytes(letterhead_docx(footer_text='{% include "letters/_sign.html.j2" %}'))
    code, out = run("lint-template", str(path))
    assert code == 2 and "{% include %} of letters/_sign.html.j2 is not allowed" in out, out


def test_a_macro_bearing_docx_is_refused() -> None:
    data = with_entries(letterhead_docx(), {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 100})
    problems = [str(p) for p in docx_hygiene(data, "lh.docx")]
    assert "lh.docx: holds macros (vbaProject.bin) (save it as a plain .docx, not .docm)" in problems


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    data = with_entries(letterhead_docx(), {"word/media/bomb.bin": b"\0" * (80 * 1024 * 1024)})
    assert len(data) < 1024 * 1024  # small on disk
    problems = [str(p) for p in docx_hygiene(data, "lh.docx")]
    assert len(problems) == 1 and "unpacks to 80 MB" in problems[0] and "zip bomb" in problems[0]


def test_too_many_entries_and_not_a_zip_are_refused() -> None:
    many = with_entries(letterhead_docx(), {f"customXml/extra{n}.xml": b"<a/>" for n in range(600)})
    assert "holds 6" in str(docx_hygiene(many, "lh.docx")[0])
    assert "not a zip package" in str(docx_hygiene(b"PK\x03\x04 nonsense", "lh.docx")[0])


def test_an_external_image_and_an_altchunk_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "letterhead.docx"
    path.write_bytes(with_external_image(letterhead_docx()))
    code, out = run("lint-template", str(path))
    assert code == 2
    assert "word/_rels/document.xml.rels: links to an external image (https://example.com/logo.png)" in out, out
    assert "holds an aFChunk part" in out


def test_the_zip_is_never_inflated_for_the_check() -> None:
    # the directory says 80 MB: refused before any entry is read
    data = with_entries(letterhead_docx(), {"word/media/bomb.bin": b"\0" * (80 * 1024 * 1024)})
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert sum(i.file_size for i in zf.infolist()) > 60 * 1024 * 1024
    assert json.dumps([str(p) for p in docx_hygiene(data, "x")])  # a clean list of lines


# -- build --templates / `templates:` --------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def placement_copy(tmp_path: Path, extra: str = "") -> Path:
    import shutil

    shutil.copy(SAMPLES / "lowlands-logo.png", tmp_path / "lowlands-logo.png")
    path = tmp_path / "s2.yaml"
    path.write_text((SAMPLES / "s2-shanghai.yaml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml").decode()


def test_build_uses_the_folders_wording_and_the_manifest_lists_it(tmp_path: Path) -> None:
    import hashlib

    folder = tmp_path / "mine"
    folder.mkdir()
    letter = folder / "invitation_letter.en.html.j2"
    letter.write_text(
        (LETTERS / letter.name).read_text(encoding="utf-8").replace("<p>", "<p>Lowlands house style. ", 1),
        encoding="utf-8",
    )
    placement = placement_copy(tmp_path)
    out = tmp_path / "out"
    code, text = run("build", str(placement), "-o", str(out), "--format", "docx", "--templates", str(folder))
    assert code == 0, text
    (pack,) = out.iterdir()
    assert "Lowlands house style." in docx_text(pack / "s2" / "invitation_letter.docx")
    assert "Lowlands house style." not in docx_text(pack / "s2" / "internship_agreement.docx")
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["templates"] == [
        {"file": "invitation_letter.en.html.j2", "sha256": hashlib.sha256(letter.read_bytes()).hexdigest()}
    ]
    # without the folder: the built-in wording, and no templates entry
    code, text = run("build", str(placement), "-o", str(tmp_path / "plain"), "--format", "docx")
    assert code == 0, text
    (plain,) = (tmp_path / "plain").iterdir()
    assert "Lowlands house style." not in docx_text(plain / "s2" / "invitation_letter.docx")
    assert "templates" not in json.loads((plain / "manifest.json").read_text(encoding="utf-8"))


def test_the_placements_templates_folder_is_resolved_beside_it_and_refused_outside(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "invitation_letter.en.html.j2").write_text(
        (LETTERS / "invitation_letter.en.html.j2").read_text(encoding="utf-8").replace("<p>", "<p>From the file. ", 1),
        encoding="utf-8",
    )
    placement = placement_copy(tmp_path, "templates: letters\n")
    code, text = run("build", str(placement), "-o", str(tmp_path / "out"), "--format", "docx")
    assert code == 0, text
    (pack,) = (tmp_path / "out").iterdir()
    assert "From the file." in docx_text(pack / "s2" / "invitation_letter.docx")
    outside = placement_copy(tmp_path, "templates: ../elsewhere\n")
    code, text = run("build", str(outside), "-o", str(tmp_path / "out2"), "--format", "docx")
    assert code == 2
    assert "templates: '../elsewhere' is outside the placement file's folder" in text, text
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("invitation_letter.zh.html.j2", "{{ ''.__class__.__mro__ }}", "__class__: is not allowed"),
        ("invitation_letter.en.html.j2", '{% include "layout/base.html.j2" %}', "{% include %} of layout/base"),
        ("checklist.html.j2", "<p>no checklist</p>", "is not a letter template internpack uses"),
        ("invitation_letter.en.html.j2", "{{ host.adress.en }}", "host.adress.en: no such field"),
    ],
)
def test_a_bad_templates_folder_stops_the_build_before_anything_is_written(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, output = run("build", str(placement_copy(tmp_path)), "-o", str(out), "--templates", str(folder))
    assert code == 2
    assert expected in output and f"{folder / name}" in output, output
    assert not out.exists()


def test_names_set_and_looped_are_followed_to_their_field(tmp_path: Path) -> None:
    path = tmp_path / "invitation_letter.en.html.j2"
    path.write_text(
        "{{ hots.name.en }}\n{% for x in student %}{{ x.y }}{% endfor %}\n{% set a = host.name %}{{ a.enn }}\n"
        "{% for d in internship.duties %}{{ loop.index }}. {{ d }}{% endfor %}{{ doc['titl'] }}",
        encoding="utf-8",
    )
    problems = [str(p) for p in lint(path)]
    assert problems == [
        f"{path}:1: hots.name.en: no such field (did you mean host.name.en?)",
        f"{path}:2: student: is not a list to loop over",
        f"{path}:3: a.enn (host.name.enn): no such field (did you mean host.name.en?)",
        f"{path}:4: doc.titl: no such field (did you mean doc.title?)",
    ], problems
