"""Shared fixtures and helpers of the internpack test suite.

- ``run``: the click command line in-process (CliRunner), exit status as the program gives it;
- ``run_module``: ``python -m generator`` in a subprocess, for the real exit status of the process;
- ``sample(name)``: the path of a file in samples/;
- ``placement_dict()``: a fresh, complete, valid placement as the loader reads it (all scalars text);
- ``write_yaml(tmp_path, data)``: a placement (or any data) written as a YAML file.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from generator import loader
from generator.cli import cli
from generator.rules.data import load_rules
from generator.rules.engine import Assessment, assess

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SHARED = Path(__file__).resolve().parents[2] / "shared"
TODAY = date(2026, 12, 1)


def spec_path(name: str) -> Path:
    """The contract document ``name`` (report.md...): the project's docs/spec, which extends the shared original
    (tests/test_rules.py checks that it keeps every finding code the shared copy defines)."""
    return REPO / "docs" / "spec" / name


def shared_spec_path(name: str) -> Path | None:
    """The original contract in ../shared/spec, when it is there."""
    shared = SHARED / "spec" / name
    return shared if shared.is_file() else None


def sample_path(name: str) -> Path:
    path = SAMPLES / name
    assert path.is_file(), f"sample {name} is missing from {SAMPLES}"
    return path


def parse_file(path: Path) -> dict[str, Any]:
    """A placement file read the way internpack reads it (scalars stay text; 'yes' stays 'yes')."""
    data, _lines = loader.parse_text(path.read_text(encoding="utf-8"), path.name)
    return data


_BASE_CACHE: dict[str, dict[str, Any]] = {}


def base_placement(name: str = "s2-shanghai.yaml") -> dict[str, Any]:
    """A deep copy of a sample placement as plain data."""
    if name not in _BASE_CACHE:
        _BASE_CACHE[name] = parse_file(sample_path(name))
    return copy.deepcopy(_BASE_CACHE[name])


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)


def write_yaml(tmp_path: Path, data: Any, name: str = "placement.yaml") -> Path:
    """Write ``data`` as YAML under ``tmp_path`` (strings that look like yes/NO/0012345 get quoted)."""
    path = tmp_path / name
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def to_source(data: Any, name: str = "placement.yaml") -> loader.Source:
    """Any plain data (possibly with date/int/bool values from PyYAML) → a loader Source, via YAML text.

    Dumping and re-parsing with ``loader.parse_text`` gives exactly what a file with that content gives.
    """
    parsed, lines = loader.parse_text(dump_yaml(data), name)
    return loader.Source(name=name, data=parsed, lines=lines, sha256="")


def validate(data: Any, name: str = "placement.yaml") -> Any:
    return loader.validate(to_source(data, name))


def assess_data(data: Any, today: date = TODAY, rules: Any = None) -> Assessment:
    return assess(validate(data), rules if rules is not None else load_rules(), today)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (creating mappings on the way); the value DELETE removes the key."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
    if value is DELETE:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()


def apply(data: dict[str, Any], mods: dict[str, Any]) -> dict[str, Any]:
    for path, value in mods.items():
        set_path(data, path, value)
    return data


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI in-process: ``run("check", path, env={...})`` → click Result.

    The Result has exit_code, stdout and stderr.

    The group's own main() turns errors into exit statuses with sys.exit; CliRunner records them.
    """
    runner = CliRunner()

    def _run(*args: Any, env: dict[str, str | None] | None = None, input: str | None = None) -> Result:
        return runner.invoke(
            cli, [str(a) for a in args], env=env, input=input, catch_exceptions=False, prog_name="internpack"
        )

    return _run


@pytest.fixture
def run_module() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``python -m generator ARGS`` in a subprocess, from the repository (need not be installed)."""

    def _run(
        *args: Any, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "generator", *[str(a) for a in args]],
            cwd=cwd or REPO,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return _run


@pytest.fixture
def sample() -> Callable[[str], Path]:
    return sample_path


@pytest.fixture
def placement_dict() -> Callable[[], dict[str, Any]]:
    """``placement_dict()`` → a fresh deep copy of samples/s2-shanghai.yaml as the loader reads it."""
    return base_placement


@pytest.fixture(name="write_yaml")
def write_yaml_fixture() -> Callable[..., Path]:
    return write_yaml


# -- packs built once per session (test_pack.shared_pack), shared by test_pack.py and test_documents.py -----


@pytest.fixture(scope="session")
def both(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_pack import shared_pack

    return shared_pack("both", tmp_path_factory)


@pytest.fixture(scope="session")
def s2_named(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_pack import shared_pack

    return shared_pack("s2-named", tmp_path_factory)
