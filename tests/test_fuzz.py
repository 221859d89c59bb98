"""The fuzzer (bench/fuzz.py) in small: generated hostile placements through check, and a few builds, give
no internal error, no refusal that names no field and no leftover in OUT (the full run: 10,000 and 300)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"


@pytest.mark.parametrize("seed", [1])
def test_a_small_fuzz_run_is_clean(seed: int, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("fuzz", FUZZ)
    assert spec and spec.loader
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    code = fuzz.run(checks=400, builds=4, seed=seed)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "checks: 400 placements" in out and "internal errors: 0; refusals naming no field: 0" in out, out
