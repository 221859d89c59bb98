"""The README's commands exist and work as shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from generator.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def code_lines() -> list[str]:
    """Lines of indented code blocks (4 spaces) and of fenced blocks, stripped."""
    out = []
    fenced = False
    for line in README.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            out.append(line.strip())
    return out


def shown_commands() -> set[str]:
    """Every ``internpack WORD`` shown as code: in code blocks and in `backtick` spans."""
    spans = [*code_lines(), *re.findall(r"`([^`\n]+)`", README)]
    return {m.group(1) for s in spans for m in re.finditer(r"\binternpack ([a-z][a-z-]*)", s)}


@pytest.mark.parametrize("script", ["scripts/sample.sh", "scripts/test.sh"])
def test_quick_start_commands(script: str) -> None:
    assert f"bash {script}" in code_lines(), f"README does not show 'bash {script}' as a command"
    assert (REPO / script).is_file(), f"{script} does not exist"


def test_shown_commands_exist() -> None:
    shown = shown_commands()
    assert shown, "README shows no internpack command"
    unknown = sorted(shown - set(cli.commands))
    assert not unknown, f"README shows commands the CLI does not have: {unknown}"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_an_example_line(command: str) -> None:
    examples = [line for line in code_lines() if line.startswith(f"internpack {command}")]
    assert examples, f"README has no example line for 'internpack {command}'"


def test_example_files_exist() -> None:
    for line in code_lines():
        for path in re.findall(r"\b(samples/[\w.-]+)", line):
            assert (REPO / path).is_file(), f"README example names {path}, which does not exist"


def test_samples_table_lists_every_sample() -> None:
    for path in sorted((REPO / "samples").glob("*.yaml")):
        assert f"samples/{path.name}" in README, f"README does not describe samples/{path.name}"


QUICK = ("init", "check", "rules")  # commands whose README examples run here in a moment


def example_commands() -> list[list[str]]:
    out = []
    for line in code_lines():
        if line.startswith("internpack "):
            args = shlex.split(line.split("#", 1)[0])[1:]
            if args and args[0] in QUICK:
                out.append(args)
    return out


@pytest.mark.parametrize("args", example_commands(), ids=lambda a: " ".join(a))
def test_readme_examples_run(args: list[str], run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each init/check/rules line shown in the README runs (init in a scratch folder)."""
    monkeypatch.chdir(tmp_path if args[0] == "init" else REPO)
    result = run(*args)
    assert result.exit_code == 0, f"internpack {' '.join(args)}: exit {result.exit_code}\n{result.output}"
