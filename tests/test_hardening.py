"""Hardening (issue 5): the hostile corpus, fault injection and resource bounds. Every input gets either a
correct pack or a clear exit-2 message naming what is wrong: never a traceback, a hang or a partial pack."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from docx import Document

from generator.cli import cli

REPO = Path(__file__).resolve().parents[1]
HOSTILE = Path(__file__).parent / "hostile"
EXPECTED = yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
TODAY = "2026-12-01"


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                parts += [p.text for p in cell.paragraphs]
    return "\n".join(parts)


def leftovers(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".")] if out.exists() else []


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in HOSTILE.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED), files ^ set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_corpus(name: str, tmp_path: Path) -> None:
    expected = EXPECTED[name]
    out = tmp_path / "out"
    args = ["build", str(HOSTILE / name), "-o", str(out), "--route", "s2", "--format", "docx", "--today", TODAY]
    result = CliRunner().invoke(cli, args)
    assert "Traceback" not in result.output
    assert result.exit_code == expected["exit"], result.output
    if expected["exit"] == 2:
        assert expected["says"] in result.output, result.output
        assert not out.exists() or not any(out.iterdir()), "an input error must write nothing"
        if not expected.get("build_only"):
            check = CliRunner().invoke(cli, ["check", str(HOSTILE / name), "--today", TODAY])
            assert check.exit_code == 2 and expected["says"] in check.output
        return
    packs = [p for p in out.iterdir() if p.is_dir()]
    assert len(packs) == 1 and not leftovers(out), list(out.iterdir())
    assert packs[0].resolve().parent == out.resolve(), "the pack folder must stay inside OUT"
    text = docx_text(packs[0] / "s2" / "invitation_letter.docx")
    text += docx_text(packs[0] / "s2" / "internship_agreement.docx")
    assert expected["literal"] in text, f"{expected['literal']!r} not found literally"


def test_slugs_fold_hostile_names_inside_out(tmp_path: Path) -> None:
    from datetime import date

    from generator.api import CheckResult
    from generator.compose import slug_of
    from generator.loader import load
    from generator.rules.data import load_rules
    from generator.rules.engine import assess

    for name, slug in (
        ("path-names.yaml", "etc-c-windows-abs-2027-03-01"),
        ("symbols-only-name.yaml", "student-2027-03-01"),
    ):
        placement, source = load(HOSTILE / name)
        rules = load_rules()
        result = CheckResult(placement, source, rules, assess(placement, rules, date(2026, 12, 1)))
        assert slug_of(result) == slug


# -- fault injection ------------------------------------------------------------------------------


def _sample_copy(tmp_path: Path) -> Path:
    shutil.copy(REPO / "samples" / "s2-shanghai.yaml", tmp_path / "p.yaml")
    shutil.copy(REPO / "samples" / "lowlands-logo.png", tmp_path / "lowlands-logo.png")
    return tmp_path / "p.yaml"


def _cohort(tmp_path: Path, family: str, names: tuple[str, ...]) -> Path:
    """A folder of copies of the Shanghai sample, one per name (family name + name), without the logo."""
    folder = tmp_path / "cohort"
    folder.mkdir()
    text = (
        (REPO / "samples" / "s2-shanghai.yaml").read_text(encoding="utf-8").replace("  logo: lowlands-logo.png\n", "")
    )
    for name in names:
        (folder / f"{name}.yaml").write_text(
            text.replace("family_name: Peeters", f"family_name: {family}{name}"), encoding="utf-8"
        )
    return folder


def _build(path: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        cli, ["build", str(path), "-o", str(out), "--route", "s2", "--format", "docx", "--today", TODAY, *extra]
    )


def test_renderer_failing_midway_leaves_nothing_and_keeps_the_old_pack(tmp_path: Path, monkeypatch) -> None:
    placement = _sample_copy(tmp_path)
    out = tmp_path / "out"
    assert _build(placement, out).exit_code == 0
    pack = next(p for p in out.iterdir() if p.is_dir())
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}

    import generator.render.docx as docx_module

    real = docx_module.render_docx
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("renderer crashed")
        return real(*args, **kwargs)

    monkeypatch.setattr(docx_module, "render_docx", flaky)
    result = _build(placement, out, "--force")
    assert result.exit_code == 1 and "internal error: RuntimeError: renderer crashed" in result.output
    assert "Traceback" not in result.output
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before, "the existing pack changed"
    assert not leftovers(out), leftovers(out)


def test_full_disk_reports_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    placement = _sample_copy(tmp_path)
    out = tmp_path / "out"
    import generator.outdir

    real = os.write
    calls = {"n": 0}

    def full(fd: int, data: bytes) -> int:  # the pack's files are written with os.write (outdir.write_file)
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(generator.outdir.os, "write", full)
    result = _build(placement, out)
    assert calls["n"] >= 4, "the fault was never injected"
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "nothing was changed" in result.output
    assert "free space" in result.output
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


def _batch_docx(folder: Path, out: Path, *, jobs: int):
    """`internpack batch FOLDER` into OUT, S2 route, DOCX only (the quickest packs)."""
    return CliRunner().invoke(
        cli,
        ["batch", str(folder), "-o", str(out), "--format", "docx", "--route", "s2", "-j", str(jobs), "--today", TODAY],
    )


def _worker_fails_on(label: str, fail: Callable[[], object], monkeypatch) -> None:
    """Batch workers call ``fail()`` instead of building the row ``label``; the other rows build."""
    import generator.batch as batch

    real = batch._worker_build

    def worker(task: batch.Task):
        if task.label == label:
            fail()
        return real(task)

    monkeypatch.setattr(batch, "_worker_build", worker)


def _raise(exc: type[BaseException]) -> Callable[[], None]:
    def go() -> None:
        raise exc

    return go


def test_killed_batch_worker_is_reported_and_the_others_are_built(tmp_path: Path, monkeypatch) -> None:
    folder = _cohort(tmp_path, "Peeters", ("a", "b", "c"))
    _worker_fails_on("b.yaml", lambda: os._exit(9), monkeypatch)  # the worker process dies as if killed
    out = tmp_path / "out"
    result = _batch_docx(folder, out, jobs=2)
    assert result.exit_code == 1, result.output
    assert "b.yaml: the worker process building it died" in result.output
    built = sorted(p.name for p in out.iterdir() if (p / "manifest.json").is_file())  # packs, not todo/
    assert built == ["peetersa-lotte-marie-2027-03-01", "peetersc-lotte-marie-2027-03-01"], built
    assert (out / "cohort.pdf").is_file()
    assert not leftovers(out)


def test_interrupted_build_leaves_no_partial_pack(tmp_path: Path, monkeypatch) -> None:
    import generator.render.docx as docx_module

    placement = _sample_copy(tmp_path)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(docx_module, "render_docx", interrupt)
    out = tmp_path / "out"
    result = _build(placement, out)
    assert result.exit_code == 130, result.output
    assert not out.exists() or not any(out.iterdir())


# -- resource bounds ------------------------------------------------------------------------------


def test_many_long_duties_break_pages_cleanly(tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "build",
            str(HOSTILE / "many-long-duties.yaml"),
            "-o",
            str(out),
            "--route",
            "s2",
            "--format",
            "pdf",
            "--today",
            TODAY,
        ],
    )
    assert result.exit_code == 0, result.output
    pdf = next(out.glob("*/s2/internship_agreement.pdf"))
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Duty 59" in text.replace("\n", " ")
    assert len(reader.pages) > 4


def test_sandbox_blocks_python_internals() -> None:
    from jinja2.exceptions import SecurityError

    from generator.templating import environment

    with pytest.raises(SecurityError):
        environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


def test_ctrl_c_during_a_batch_stops_cleanly(tmp_path: Path, monkeypatch) -> None:
    folder = _cohort(tmp_path, "P", ("a", "b"))
    _worker_fails_on("b.yaml", _raise(KeyboardInterrupt), monkeypatch)
    out = tmp_path / "out"
    result = _batch_docx(folder, out, jobs=1)
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["pa-lotte-marie-2027-03-01"], "only the finished pack stays"


def test_missing_fonts_are_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    from generator import fonts

    monkeypatch.setattr(fonts, "missing_families", lambda: ["Noto Sans CJK SC"])
    result = _build(_sample_copy(tmp_path), tmp_path / "out", "--format", "pdf")
    assert result.exit_code == 1, result.output
    assert "Noto Sans CJK SC are not installed" in result.output and "fonts-noto-cjk" in result.output
    assert not (tmp_path / "out").exists()
