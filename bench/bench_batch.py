"""Batch benchmark (issue 4): a generated cohort (varied from the samples, one route, bilingual), built with
--jobs 1 and --jobs 2 as whole processes: wall time, speed-up, and the peak memory (max RSS) of the
largest worker for two cohort sizes. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_batch.py [--size 100] [--memory-sizes 50,200]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAMILY = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet"]
GIVEN = ["Lotte", "Pieter", "Eva", "Lucas", "Emma", "Noah", "Lina", "Arthur", "Sofia", "Jules"]
CITIES = [("Shanghai", ""), ("Beijing", "zhongguancun"), ("Shenzhen", "qianhai-shekou"), ("Suzhou", "")]


def make_cohort(path: Path, size: int) -> None:
    from generator.cohort import columns, example_row

    header = list(columns())
    base = example_row()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in range(size):
            row = dict(base)
            city, zone = CITIES[n % len(CITIES)]
            row.update(
                {
                    "route": "s2",
                    "student.family_name": FAMILY[n % 10],
                    "student.given_names": f"{GIVEN[(n // 10) % 10]} {n}",
                    "student.passport_number": f"EN{1000000 + n}",
                    "host.city": city,
                    "host.zone": zone,
                    "internship.start": f"2027-{3 + n % 6:02d}-01",
                    "internship.end": f"2027-{3 + n % 6 + 3:02d}-15",
                    "internship.duties": ";".join(f"Task {k} for student {n}" for k in range(2 + n % 4)),
                    "internship.duties_zh": "",
                }
            )
            w.writerow([row.get(c, "") for c in header])


def run(cohort: Path, jobs: int) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MiB) of the largest child process of one batch run."""
    exe = str(Path(sys.executable).with_name("internpack"))
    with tempfile.TemporaryDirectory() as out:
        code = (
            "import resource, subprocess, sys, time; t = time.perf_counter(); "
            f"subprocess.run({[exe, 'batch', str(cohort), '-o', out, '--jobs', str(jobs), '--today', '2026-12-01']!r},"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        seconds, rss_kb = res.stdout.split()
        return float(seconds), int(rss_kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--memory-sizes", default="50,200")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cohort = Path(tmp) / "cohort.csv"
        make_cohort(cohort, args.size)
        t1, m1 = run(cohort, 1)
        t2, m2 = run(cohort, 2)
        print(f"{args.size} packs, --jobs 1: {t1:.1f} s ({t1 / args.size:.2f} s/pack), peak RSS {m1:.0f} MiB")
        print(f"{args.size} packs, --jobs 2: {t2:.1f} s ({t2 / args.size:.2f} s/pack), peak RSS {m2:.0f} MiB")
        print(f"speed-up --jobs 2 / --jobs 1: {t1 / t2:.2f}x   (targets: <= 60 s with --jobs 2, >= 1.7x)")
        for size in (int(s) for s in args.memory_sizes.split(",") if s):
            cohort = Path(tmp) / f"cohort-{size}.csv"
            make_cohort(cohort, size)
            t, m = run(cohort, 2)
            print(f"{size} packs, --jobs 2: {t:.1f} s, peak RSS of the largest process {m:.0f} MiB")
    print(f"(cores: {os.cpu_count()}; maxrss from getrusage(RUSAGE_CHILDREN): the largest single process)")
    _ = resource


if __name__ == "__main__":
    main()
