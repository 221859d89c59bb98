"""Inputs at the edges (issue 13): special files instead of a placement, JSON that YAML refuses, dates
outside 1900-2100, full-width digits, line separators, echoed values cut, blank keys, control characters in
file names. Each is a clear input error naming the field (or accepted as it should be), never a hang or an
internal error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SAMPLES, base_placement
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import loader
from generator.api import check_source
from generator.errors import InputError, Problem, printable, shown

TODAY = "2026-12-01"


def cli(*args: Any, stdin: Any = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=REPO,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        check_source(loader.read_source(path), TODAY)
    return err.value.lines()


# -- special files ---------------------------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    proc = cli("check", fifo, "--today", TODAY, timeout=20)  # it used to hang here, waiting for a writer
    assert proc.returncode == 2, proc.stderr
    assert f"{fifo}: is a pipe or named pipe (FIFO), not a placement file" in proc.stderr


@pytest.mark.parametrize("link", [False, True], ids=["dev-zero", "link-to-dev-zero"])
def test_dev_zero_is_never_read(tmp_path: Path, link: bool) -> None:
    path = Path("/dev/zero")
    if link:
        path = tmp_path / "p.yaml"
        path.symlink_to("/dev/zero")
    proc = cli("check", path, "--today", TODAY, timeout=20)
    assert proc.returncode == 2, proc.stderr
    assert "is a device (such as /dev/zero), not a placement file" in proc.stderr


def test_a_placement_from_a_pipe_is_refused(tmp_path: Path) -> None:
    with subprocess.Popen(["cat", str(SAMPLES / "s2-shanghai.yaml")], stdout=subprocess.PIPE) as cat:
        proc = cli("check", "/dev/stdin", "--today", TODAY, stdin=cat.stdout)
    assert proc.returncode == 2, proc.stderr
    assert "is a pipe or named pipe (FIFO)" in proc.stderr and "save it to a file" in proc.stderr


def test_a_symlink_loop_is_an_input_error(tmp_path: Path) -> None:
    loop = tmp_path / "p.yaml"
    loop.symlink_to(loop)
    assert problems(loop) == [f"{loop}: cannot be read: Too many levels of symbolic links"]


def test_a_file_growing_past_the_limit_while_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: b\n")
    real = os.read
    monkeypatch.setattr(loader.os, "read", lambda fd, n: real(fd, n) or b"" if n < 5 else b"x" * n)
    with pytest.raises(InputError, match="is more than 1,048,576 bytes"):
        loader.read_source(path)


# -- JSON ----------------------------------------------------------------------------------------


def test_json_with_escaped_astral_characters_is_read(tmp_path: Path) -> None:
    data = base_placement("s2-shanghai.yaml")
    data["student"]["given_names"] = "Lotte 😀"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")  # ensure_ascii: "\ud83d\ude00"
    assert "\\ud83d\\ude00" in path.read_text(encoding="utf-8")
    result = check_source(loader.read_source(path), TODAY)
    assert result.placement.student.given_names == "Lotte 😀"


def test_json_and_yaml_give_the_same_data_and_lines(tmp_path: Path) -> None:
    data = base_placement("s2-shanghai.yaml")
    text = json.dumps(data, indent=2, ensure_ascii=False)
    from_json, json_lines = loader.parse_text(text, "p.json")
    from_yaml, yaml_lines = loader.parse_text(text, "p.yaml")  # JSON without escapes is YAML too
    assert from_json == from_yaml
    assert json_lines == yaml_lines


def test_json_problems_name_their_line(tmp_path: Path) -> None:
    data = base_placement("s2-shanghai.yaml")
    data["student"]["sex"] = "Q"
    text = json.dumps(data, indent=2)
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"sex"' in t)
    assert any(p.startswith(f"{path}:{line}: student.sex: 'Q' is not allowed") for p in problems(path))


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ('{\n  "a": 1,\n}', 3, "expected a key in double quotes"),
        ('{\n  "a": tru\n}', 2, "expected a value"),
        ('{"a": 1}\n{"b": 2}', 2, "extra text after the end"),
        ('{\n  "a": "x\ty"\n}', 2, "invalid control character"),
        ('{"a": 1,\n "a": 2}', 2, "duplicate key 'a' (first on line 1)"),
        ("[1, 2]", 1, "must be a mapping of fields"),
    ],
)
def test_json_syntax_errors_have_lines(text: str, line: int, says: str) -> None:
    with pytest.raises(InputError) as err:
        loader.parse_text(text, "p.json")
    (problem,) = err.value.problems
    assert problem.line == line and says in problem.message, problem


def test_deep_json_is_refused() -> None:
    with pytest.raises(InputError, match="nests deeper than 40 levels"):
        loader.parse_text('{"a": ' + "[" * 60 + "]" * 60 + "}", "p.json")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=30) | st.none(), min_size=1, max_size=6))
def test_any_json_object_reads_as_the_json_module_reads_it(obj: dict[str, Any]) -> None:
    text = json.dumps({"x": obj}, indent=1)  # escapes every non-ASCII character, surrogate pairs included
    data, _ = loader.parse_text(text, "p.json")
    assert data == json.loads(text)


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("today", ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01"])
def test_today_outside_1900_2100_is_a_usage_error(today: str) -> None:
    proc = cli("check", SAMPLES / "s2-shanghai.yaml", "--today", today)
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr
        == f"Error: --today {today} is outside the years 1900 to 2100 (give a reference date in that range)\n"
    )


def test_source_date_epoch_far_away_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.clock import reference_date

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(253402214400))  # 9999-12-31
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH=253402214400 is outside the years 1900 to 2100"):
        reference_date()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stay.arrival", "9999-12-30"),
        ("internship.start", "0001-01-01"),
        ("internship.end", "2999-01-01"),
        ("student.date_of_birth", "1850-05-05"),
    ],
)
def test_dates_outside_1900_2100_are_input_errors_naming_the_field(tmp_path: Path, field: str, value: str) -> None:
    from conftest import set_path, write_yaml

    data = base_placement("s2-shanghai.yaml")
    set_path(data, field, value)
    found = problems(write_yaml(tmp_path, data))
    assert any(f": {field}: '{value}' is outside the years 1900 to 2100 (check the year)" in p for p in found), found


@pytest.mark.parametrize("typed", ["２０２７-０３-０１", "２０２７－０３－０１", "2027-0３-01"])
def test_full_width_digits_in_a_date_are_the_same_date(tmp_path: Path, typed: str) -> None:
    from conftest import write_yaml

    data = base_placement("s2-shanghai.yaml")
    data["internship"]["start"] = typed
    result = check_source(loader.read_source(write_yaml(tmp_path, data)), TODAY)
    assert result.placement.internship.start.isoformat() == "2027-03-01"


# -- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", ["\u2028", "\u2029"])
def test_line_and_paragraph_separators_are_line_feeds(tmp_path: Path, sep: str) -> None:
    from conftest import write_yaml

    data = base_placement("s2-shanghai.yaml")
    data["host"]["address_en"] = f"1 Road{sep}Shanghai"
    data["host"]["name_en"] = f"Lowlands{sep}Trading"
    p = check_source(loader.read_source(write_yaml(tmp_path, data)), TODAY).placement
    assert p.host.address_en == "1 Road\nShanghai"  # a multi-line field keeps the break
    assert p.host.name_en == "Lowlands Trading"  # a one-line field makes it a space


def test_echoed_values_are_cut_to_80_characters(tmp_path: Path) -> None:
    from conftest import write_yaml

    data = base_placement("s2-shanghai.yaml")
    data["student"]["sex"] = "x" * 1500
    data["stay"]["arrival"] = "y" * 1500
    found = problems(write_yaml(tmp_path, data))
    assert found and all(len(p) < 400 for p in found), [len(p) for p in found]
    assert any(": student.sex: '" + "X" * 78 + "… is not allowed" in p for p in found), found  # sex is upper-cased


def test_shown_cuts_any_value() -> None:
    assert shown("abc") == "'abc'"
    assert shown("z" * 200) == "'" + "z" * 78 + "…" and len(shown("z" * 200)) == 80


@pytest.mark.parametrize(("key", "says"), [("", "an empty key ('')"), ("  ", "a blank key ('  ')")])
def test_empty_and_blank_keys_are_named(tmp_path: Path, key: str, says: str) -> None:
    from conftest import write_yaml

    data = base_placement("s2-shanghai.yaml")
    data["host"][key] = "x"
    data[key] = "y"
    found = problems(write_yaml(tmp_path, data))
    assert any(f": host: has {says} (give the key its name" in p for p in found), found
    assert any(f"has {says} at the top level" in p for p in found), found


def test_control_characters_in_file_names_are_escaped(tmp_path: Path) -> None:
    assert printable("a\x1b[31mb\nc.yaml") == "a\\x1b[31mb\\nc.yaml"
    assert str(Problem("is empty", file="x\r.yaml", line=2)) == "x\\r.yaml:2: is empty"
    assert printable("Søren 中文.yaml") == "Søren 中文.yaml"


def test_a_folder_cohort_with_control_characters_in_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "cohort"
    folder.mkdir()
    text = (SAMPLES / "s2-shanghai.yaml").read_text(encoding="utf-8").replace("  logo: lowlands-logo.png\n", "")
    (folder / "good.yaml").write_text(text, encoding="utf-8")
    (folder / "bad\x1b[2J\x07\n.yaml").write_text("student: [\n", encoding="utf-8")
    proc = cli(
        "batch",
        folder,
        "-o",
        tmp_path / "out",
        "--format",
        "docx",
        "--route",
        "s2",
        "-j",
        "1",
        "--today",
        TODAY,
        timeout=240,
    )
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\x07" not in proc.stdout + proc.stderr
    assert "bad\\x1b[2J\\x07\\n.yaml" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_a_reference_date_before_1980_still_builds(tmp_path: Path) -> None:
    """A zip (each DOCX, the pack's zip) cannot hold a timestamp before 1980: the entries get 1980-01-01, the
    documents keep their own dates (found by bench/fuzz.py with --today in the 1970s)."""
    import zipfile

    from conftest import DELETE, apply, write_yaml

    from generator.api import build_file
    from generator.render.docx import zip_stamp

    data = apply(
        base_placement(),
        {"host.logo": None, "student.date_of_birth": DELETE, "student.passport_issue_date": DELETE},
    )
    result = build_file(
        write_yaml(tmp_path, data),
        tmp_path / "out",
        route="s2",
        formats=("docx",),
        zip_=True,
        allow_blanks=True,
        today="1979-12-31",
    )
    with zipfile.ZipFile(result.folder / "s2" / "invitation_letter.docx") as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(1980, 1, 1)}
    assert result.zip_path is not None
    with zipfile.ZipFile(result.zip_path) as zf:
        assert {i.date_time[:3] for i in zf.infolist()} == {(1980, 1, 1)}
    assert zip_stamp((2026, 12, 1, 0, 0, 0)) == (2026, 12, 1, 0, 0, 0)
