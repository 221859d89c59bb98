"""Issue 16: batch keeps a pack only while the files beside its placement are unchanged (the host's logo and
Word letterhead, the letter templates of its templates folder), and `batch --templates DIR`."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from test_batch import TODAY, _cli, packs, write_csv

from generator.batch import Progress, run_batch
from generator.cohort import columns, example_row, read_cohort_sheet
from generator.pack import BuildOptions, input_files
from generator.result import check_source
from tests.letterhead_docs import letterhead_docx

REPO = Path(__file__).resolve().parents[1]
LETTERS = REPO / "templates" / "letters"
DOCX_ONLY = BuildOptions(route="s2", languages=("en", "zh"), formats=("docx",))
INVITATION = "invitation_letter.en.html.j2"


def _quiet(total: int) -> Progress:
    return Progress(total, io.StringIO())


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 80), colour).save(out, format="PNG")
    return out.getvalue()


def wording(marker: str) -> str:
    return (LETTERS / INVITATION).read_text(encoding="utf-8").replace("<p>", f"<p>{marker} ", 1)


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml").decode()


def cohort(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """Two students beside their files: Peeters with a logo, a letterhead and a templates folder, Janssens
    with a logo of her own only."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logo-a.png").write_bytes(png((200, 30, 30)))
    (folder / "logo-b.png").write_bytes(png((30, 30, 200)))
    (folder / "letterhead.docx").write_bytes(letterhead_docx())
    (folder / "letters").mkdir(exist_ok=True)
    (folder / "letters" / INVITATION).write_text(wording("Peeters house style."), encoding="utf-8")
    header = list(columns())
    rows = [
        {"host.logo": "logo-a.png", "host.letterhead": "letterhead.docx", "templates": "letters", **(extra or {})},
        {
            "student.family_name": "Janssens",
            "student.given_names": "Eva",
            "student.passport_number": "NX1",
            "host.logo": "logo-b.png",
        },
    ]
    example = example_row()
    return write_csv(folder / "cohort.csv", header, [[{**example, **r}.get(c, "") for c in header] for r in rows])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort and its packs, built once; each test works on a copy."""
    tmp = tmp_path_factory.mktemp("inputs")
    sheet = cohort(tmp / "cohort")
    outcome = run_batch(sheet, tmp / "out", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    assert outcome.counts == {"built": 2}, [r.errors for r in outcome.rows]
    return tmp


@pytest.fixture
def work(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    return tmp_path


def rerun(work: Path) -> dict[str, str]:
    """Batch again: each student's family name and what happened to its pack."""
    outcome = run_batch(work / "cohort" / "cohort.csv", work / "out", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    assert all(not r.errors for r in outcome.rows), [r.errors for r in outcome.rows]
    return {(r.folder or "").split("-")[0]: r.status for r in outcome.rows}


def manifest(work: Path, student: str) -> dict:
    (folder,) = [name for name in packs(work / "out") if name.startswith(student)]
    return json.loads((work / "out" / folder / "manifest.json").read_text(encoding="utf-8"))


def entry(m: dict, field: str) -> dict:
    (found,) = [e for e in m["inputs"] if e["field"] == field]
    return found


def test_the_manifest_records_the_files_beside_the_placement(work: Path) -> None:
    m = manifest(work, "peeters")
    folder = work / "cohort"
    assert m["inputs"] == [
        {"field": "host.logo", "file": "logo-a.png", "sha256": hashlib.sha256(png((200, 30, 30))).hexdigest()},
        {
            "field": "host.letterhead",
            "file": "letterhead.docx",
            "sha256": hashlib.sha256((folder / "letterhead.docx").read_bytes()).hexdigest(),
        },
        {
            "field": "templates",
            "file": INVITATION,
            "sha256": hashlib.sha256((folder / "letters" / INVITATION).read_bytes()).hexdigest(),
        },
    ]
    # the existing keys stay, with the same hashes
    assert m["templates"] == [{"file": INVITATION, "sha256": entry(m, "templates")["sha256"]}]
    assert m["letterhead"]["sha256"] == entry(m, "host.letterhead")["sha256"]
    assert [e["field"] for e in manifest(work, "janssens")["inputs"]] == ["host.logo"]
    # the sheet's `templates` column is resolved beside the sheet, for its own row only
    (peeters,) = [n for n in packs(work / "out") if n.startswith("peeters")]
    (janssens,) = [n for n in packs(work / "out") if n.startswith("janssens")]
    assert "Peeters house style." in docx_text(work / "out" / peeters / "s2" / "invitation_letter.docx")
    assert "Peeters house style." not in docx_text(work / "out" / janssens / "s2" / "invitation_letter.docx")


def test_an_unchanged_rerun_keeps_every_pack(work: Path) -> None:
    assert rerun(work) == {"peeters": "kept", "janssens": "kept"}


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("host.logo", lambda folder: (folder / "logo-a.png").write_bytes(png((30, 200, 30)))),
        ("templates", lambda folder: (folder / "letters" / INVITATION).write_text(wording("Changed."), "utf-8")),
        (
            "host.letterhead",
            lambda folder: (folder / "letterhead.docx").write_bytes(letterhead_docx(footer_text="{{ footer_ref }}")),
        ),
    ],
    ids=["logo", "letter template", "letterhead"],
)
def test_a_changed_file_rebuilds_its_pack_only(work: Path, field: str, change) -> None:
    before = entry(manifest(work, "peeters"), field)["sha256"]
    change(work / "cohort")
    assert rerun(work) == {"peeters": "built", "janssens": "kept"}
    after = entry(manifest(work, "peeters"), field)["sha256"]
    assert after != before and after is not None
    assert rerun(work) == {"peeters": "kept", "janssens": "kept"}


def test_a_template_added_to_the_folder_rebuilds_the_pack(work: Path) -> None:
    name = "internship_agreement.en.html.j2"
    (work / "cohort" / "letters" / name).write_text((LETTERS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (work / "cohort" / "letters" / "README.md").write_text("notes", encoding="utf-8")  # not a template: ignored
    assert rerun(work) == {"peeters": "built", "janssens": "kept"}
    assert [e["file"] for e in manifest(work, "peeters")["inputs"] if e["field"] == "templates"] == [name, INVITATION]


def test_missing_or_outside_files_do_not_stop_the_key(tmp_path: Path) -> None:
    """The key of a placement whose files are missing, outside its folder or a folder: sha256 null; the build
    then refuses the row, naming the field."""
    sheet = cohort(tmp_path / "c", {"host.logo": "gone.png", "host.letterhead": "../x.docx", "templates": "nope"})
    source = read_cohort_sheet(sheet, "iso").sources[0]
    result = check_source(source, TODAY)
    assert input_files(result, DOCX_ONLY, sheet.parent) == [
        {"field": "host.logo", "file": "gone.png", "sha256": None},
        {"field": "host.letterhead", "file": "../x.docx", "sha256": None},
        {"field": "templates", "file": "nope", "sha256": None},
    ]
    outcome = run_batch(sheet, tmp_path / "out", DOCX_ONLY, jobs=1, today=TODAY, progress=_quiet)
    states = {(r.folder or "").split("-")[0]: r.state for r in outcome.rows}
    assert states == {"peeters": "sheet error", "janssens": "ready"}, [r.errors for r in outcome.rows]


# -- batch --templates DIR ---------------------------------------------------------------------------------


def test_batch_templates_option_uses_the_folder_and_rebuilds_when_it_changes(tmp_path: Path) -> None:
    sheet = cohort(tmp_path / "c", {"host.letterhead": "", "templates": ""})
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / INVITATION).write_text(wording("Cohort wording."), encoding="utf-8")
    out = tmp_path / "out"
    args = ["batch", str(sheet), "-o", str(out), "--format", "docx", "--route", "s2", "--today", TODAY, "-j", "1"]
    result = _cli([*args, "--templates", str(mine)])
    assert result.exit_code == 0, result.output
    assert "2 built" in result.output, result.output
    for name in packs(out):
        assert "Cohort wording." in docx_text(out / name / "s2" / "invitation_letter.docx"), name
    again = _cli([*args, "--templates", str(mine)])
    assert again.exit_code == 0 and "0 built, 2 unchanged (kept)" in again.output, again.output
    (mine / INVITATION).write_text(wording("New cohort wording."), encoding="utf-8")
    changed = _cli([*args, "--templates", str(mine)])
    assert changed.exit_code == 0 and "2 built" in changed.output, changed.output
    # without the option the built-in wording comes back
    plain = _cli(args)
    assert plain.exit_code == 0 and "2 built" in plain.output, plain.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% include 'x' %}", "{% include %} of x"),
        ("{{ ''.__class__.__mro__ }}", "__class__: is not allowed"),
    ],
)
def test_a_hostile_templates_folder_stops_the_batch_before_anything_is_written(
    tmp_path: Path, text: str, expected: str
) -> None:
    sheet = cohort(tmp_path / "c", {"templates": ""})
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / INVITATION).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = _cli(["batch", str(sheet), "-o", str(out), "--format", "docx", "--templates", str(mine), "-j", "2"])
    assert result.exit_code == 2, result.output
    assert expected in result.output and str(mine / INVITATION) in result.output, result.output
    assert not out.exists()
    missing = _cli(["batch", str(sheet), "-o", str(out), "--format", "docx", "--templates", str(tmp_path / "no")])
    assert missing.exit_code == 2 and "is not a folder" in missing.output, missing.output
    assert not out.exists()
