"""Batch benchmark (issues 4 and 15): an advisor's 40-row cohort built with --jobs 2, then re-run unchanged the
same day and the next day; a generated cohort (varied from the samples, one route, bilingual), built with
--jobs 1 and --jobs 2 as whole processes: wall time, speed-up, and the peak memory (max RSS) of the
largest worker for two cohort sizes. Prints figures, asserts nothing.

    .venv/bin/python bench/bench_batch.py [--advisor-only] [--size 100] [--memory-sizes 50,200]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAMILY = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet"]
GIVEN = ["Lotte", "Pieter", "Eva", "Lucas", "Emma", "Noah", "Lina", "Arthur", "Sofia", "Jules"]
BENCH_CITIES = [("Shanghai", ""), ("Beijing", "zhongguancun"), ("Shenzhen", "qianhai-shekou"), ("Suzhou", "")]
CITIES = [
    ("Shanghai", "", "Pudong New Area"),
    ("Beijing", "zhongguancun", "Haidian District"),
    ("Shenzhen", "qianhai-shekou", "Nanshan District"),
    ("Guangzhou", "nansha", "Nansha District"),
    ("Chengdu", "", "Wuhou District"),
    ("Hangzhou", "", "Binjiang District"),
]
NATIONS = ["BE", "NL", "LU", "DE", "FR", "US"]


def advisor_rows(size: int = 40) -> list[dict[str, str]]:
    """A cohort as an advisor keeps it: six cities, six nationalities, S2 and X1, and the usual gaps (a
    guarantor without a date of birth, no Chinese host name, a route asked for by name that does not fit,
    a graduate on a salary, a mistyped USCC)."""
    from generator.cohort import example_row

    s2, x1 = example_row("s2"), example_row("x1")
    rows = []
    for n in range(size):
        city, zone, district = CITIES[n % len(CITIES)]
        route = "x1" if n % 3 == 2 else "s2"
        row = dict(x1 if route == "x1" else s2)
        month = 3 + n % 6
        row.update(
            {
                "route": route,
                "student.family_name": FAMILY[n % 10],
                "student.given_names": f"{GIVEN[(n // 10) % 10]} {n}",
                "student.passport_number": f"EN{1000000 + n}",
                "student.nationality": NATIONS[n % len(NATIONS)],
                "student.email": f"student{n}@example.org",
                "host.city": city,
                "host.zone": zone,
                "host.district": district,
                "host.contact.email": f"hr{n % 12}@host.example.cn",
                "host.name_en": f"Host {n % 12} ({city}) Co., Ltd.",
                "host.name_zh": f"主机{n % 12}（{city}）有限公司",
                "internship.start": f"2027-{month:02d}-01",
                "internship.end": f"2027-{month + 2:02d}-20",
                "stay.arrival": f"2027-{month - 1:02d}-25",
                "stay.departure": f"2027-{month + 2:02d}-28",
                "internship.duties": ";".join(f"Task {k} for student {n}" for k in range(2 + n % 4)),
                "internship.duties_zh": "",
                "#notes": f"called {n % 28 + 1:02d}/11" if n % 4 == 0 else "",
            }
        )
        if route == "x1":
            row.update({"china_university.study_start": "2026-09-01", "china_university.study_end": "2027-12-20"})
            row.update({"china_university.residence_permit_expiry": "2027-12-31"})
        if n % 5 == 1:  # a family guarantor whose date of birth is not known yet
            row.update({"expenses.paid_by": "family", "expenses.guarantor.date_of_birth": ""})
            for key, value in example_row("x1").items():
                if key.startswith("expenses.guarantor.") and key != "expenses.guarantor.date_of_birth":
                    row.setdefault(key, value)
                    row[key] = row[key] or value
        if n % 7 == 3:
            row["host.name_zh"] = ""  # no Chinese host name: a draft
        if n == 13:
            row.update(
                {"route": "auto", "home_university.enrolled_until": "2026-06-30", "internship.pay.kind": "salary"}
            )
        if n == 17:
            row["host.uscc"] = "91310115MA1K4ABC4I"  # a mistyped check character: a sheet error
        rows.append(row)
    return rows


def write_advisor_sheet(path: Path, size: int = 40, *, delimiter: str = ",") -> Path:
    """The advisor's cohort as a CSV (UTF-8 with BOM, as Excel's "CSV UTF-8" writes it) or an XLSX."""
    from generator.cohort import columns

    header = [*columns(), "#notes"]
    rows = advisor_rows(size)
    if path.suffix == ".xlsx":
        from datetime import date

        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "placements"
        ws.append(header)
        for row in rows:
            ws.append(
                [
                    (date.fromisoformat(row[c]) if c in ("internship.start", "internship.end") else row[c])
                    if row.get(c)
                    else None
                    for c in header
                ]
            )
        wb.save(path)
        return path
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(c, "") for c in header])
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return path


def make_cohort(path: Path, size: int) -> None:
    from generator.cohort import columns, example_row

    header = list(columns())
    base = example_row()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in range(size):
            row = dict(base)
            city, zone = BENCH_CITIES[n % len(BENCH_CITIES)]
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


# Runs `internpack batch` as a whole process and reports, from inside it, its own peak RSS (the parent:
# it holds the cohort and lays out cohort.pdf, so it grows with the cohort) and that of its largest worker.
_RUN = """
import os, resource, sys, time
t = time.perf_counter()
report = os.fdopen(os.dup(1), "w")
quiet = os.open(os.devnull, os.O_WRONLY)
os.dup2(quiet, 1)
os.dup2(quiet, 2)
from generator.cli import cli
try:
    cli(sys.argv[1:], prog_name="internpack")
except SystemExit:
    pass
parent, worker = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(time.perf_counter() - t, parent, worker, file=report)
"""


def run(cohort: Path, jobs: int) -> tuple[float, float, float]:
    """Wall seconds, the peak RSS (MiB) of the batch process itself and of its largest worker."""
    with tempfile.TemporaryDirectory() as out:
        args = ["batch", str(cohort), "-o", out, "--jobs", str(jobs), "--today", "2026-12-01"]
        res = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=True, cwd=ROOT)
        seconds, parent_kb, worker_kb = res.stdout.split()
        return float(seconds), int(parent_kb) / 1024, int(worker_kb) / 1024


def timed(args: list[str]) -> float:
    """Wall seconds of one `internpack batch` as a whole process (python start and imports included)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return time.perf_counter() - started


def advisor(size: int = 40) -> None:
    """The advisor's cohort (issue 15): the first build with --jobs 2, an unchanged re-run the same day,
    and the re-run the next day (every pack kept, the overview refreshed)."""
    with tempfile.TemporaryDirectory() as tmp:
        sheet = write_advisor_sheet(Path(tmp) / "cohort.csv", size)
        out = str(Path(tmp) / "out")
        base = ["batch", str(sheet), "-o", out, "--jobs", "2"]
        first = timed([*base, "--today", "2026-12-01"])
        built = sum(1 for p in Path(out).iterdir() if (p / "manifest.json").is_file())
        same = timed([*base, "--today", "2026-12-01"])
        next_day = timed([*base, "--today", "2026-12-02"])
        print(f"advisor cohort of {size} rows ({built} packs, bilingual, DOCX + PDF), --jobs 2: {first:.1f} s")
        print(f"  unchanged re-run the same day: {same:.2f} s   (target <= 3 s)")
        print(f"  re-run the next day, {built} packs unchanged: {next_day:.2f} s   (target <= 5 s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--memory-sizes", default="50,200")
    ap.add_argument("--advisor-only", action="store_true", help="only the advisor's 40-row cohort (issue 15)")
    args = ap.parse_args()
    advisor()
    if args.advisor_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        cohort = Path(tmp) / "cohort.csv"
        make_cohort(cohort, args.size)
        t1, p1, _ = run(cohort, 1)
        t2, p2, w2 = run(cohort, 2)
        print(f"{args.size} packs, --jobs 1: {t1:.1f} s ({t1 / args.size:.2f} s/pack), peak RSS {p1:.0f} MiB")
        print(f"{args.size} packs, --jobs 2: {t2:.1f} s ({t2 / args.size:.2f} s/pack), peak RSS {w2:.0f} MiB (worker)")
        print(f"speed-up --jobs 2 / --jobs 1: {t1 / t2:.2f}x   (targets: <= 60 s with --jobs 2, >= 1.7x)")
        for size in (int(s) for s in args.memory_sizes.split(",") if s):
            cohort = Path(tmp) / f"cohort-{size}.csv"
            make_cohort(cohort, size)
            t, parent, worker = run(cohort, 2)
            print(f"{size} packs, -j2: {t:.1f} s, peak RSS {worker:.0f} MiB (largest worker), {parent:.0f} (parent)")
    print(f"(cores: {os.cpu_count()}; maxrss from getrusage inside the batch process: RUSAGE_SELF for the parent,")
    print(" RUSAGE_CHILDREN for its workers, which is the largest of them)")


if __name__ == "__main__":
    main()
