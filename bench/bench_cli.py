"""Wall time of whole `internpack` processes: `--help` and `check` on a sample (issue 2 targets: --help <= 0.15 s,
check <= 0.5 s on a 2-core machine). Prints the median and the best of N runs.

    .venv/bin/python bench/bench_cli.py [N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("internpack"))


def timed(args: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    cases = {
        "internpack --help": [EXE, "--help"],
        "internpack check (text)": [EXE, "check", "samples/x1-fudan.yaml", "--today", "2026-12-01"],
        "internpack check --format json": [EXE, "check", "samples/s2-shanghai.yaml", "--format", "json"],
        "internpack rules": [EXE, "rules"],
    }
    print(f"{'command':<34}{'median s':>10}{'best s':>10}   ({runs} runs each, whole processes)")
    for name, args in cases.items():
        t = timed(args, runs)
        print(f"{name:<34}{statistics.median(t):>10.3f}{min(t):>10.3f}")


if __name__ == "__main__":
    main()
