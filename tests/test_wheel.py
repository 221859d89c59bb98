"""The wheel carries the templates and the rules data: a non-editable install works without the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_ships_templates_and_rules_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("internpack-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.relative_to(REPO / "templates").as_posix() for p in (REPO / "templates").rglob("*") if p.is_file()}
    missing = {t for t in templates if f"generator/templates/{t}" not in names and "__pycache__" not in t}
    assert not missing, f"templates missing from the wheel: {sorted(missing)}"
    for data in (REPO / "generator" / "rules" / "data").glob("*.yaml"):
        assert f"generator/rules/data/{data.name}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "internpack = generator.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
