"""Fuzzer (issue 13): generated hostile placements through `check` in-process, then builds of some of them.
Prints figures; exits 1 on any internal error, a refusal that names no field, or a leftover in OUT.

Each placement is one of the samples with 1 to 5 mutations: a field (at any depth) replaced by a hostile
value (empty, blanks, 5,000 characters, control and format characters, astral and right-to-left text,
`& < {{ }}`, dates at and beyond the edges, full-width digits, numbers, lists, mappings, null), a field
deleted, an unknown or blank key added. It is written as YAML or as JSON (every non-ASCII character
escaped, as JSON encoders do) and read by the loader, with a reference date from an edge list.

    .venv/bin/python bench/fuzz.py [--checks 10000] [--builds 300] [--seed 13]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator import loader  # noqa: E402
from generator.errors import InputError, InternpackError  # noqa: E402
from generator.result import check_source  # noqa: E402

SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
TODAYS = [
    "2026-12-01",
    "2026-12-01",
    "2027-02-28",
    "1900-01-01",
    "2100-12-31",
    "9999-12-31",
    "0001-01-01",
    "2026-02-29",
]
HOSTILE: list[Any] = [
    "",
    " ",
    "\t\n",
    "x" * 5000,
    "A" * 81,
    "\x00",
    "a\x1b[31mb",
    "\u202eevil",
    "\u2028line\u2029para",
    "😀 \U0001f1e7\U0001f1ea",
    "\U000e0080",
    "\ud800",
    "مرحبا שלום",
    "& < > {{ 7*7 }} {% raw %}",
    "</w:t><w:t>",
    "=HYPERLINK(1)",
    "9999-12-30",
    "0001-01-01",
    "1899-12-31",
    "2100-12-31",
    "2027-02-29",
    "２０２７-０３-０１",
    "2027-3-1",
    "86400",
    "-1",
    "1e309",
    "NaN",
    "yes",
    "NO",
    None,
    [],
    ["a", "b"],
    {},
    {"x": "y"},
    [{"": None}],
]


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += leaves(v, (*path, i))
    return out


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def mutate(data: dict[str, Any], rng: random.Random) -> list[str]:
    done = []
    for _ in range(rng.randint(1, 5)):
        paths = leaves(data)
        if not paths:
            break
        path = rng.choice(paths)
        parent = parent_of(data, path)
        what = rng.random()
        label = ".".join(map(str, path))
        if what < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE))
            done.append(f"set {label}")
        elif what < 0.85 and isinstance(parent, dict):
            del parent[path[-1]]
            done.append(f"del {label}")
        elif isinstance(parent, dict):
            key = rng.choice(["", "  ", "unknown_key", "Student", "given_name", "\u00a0"])
            parent[key] = "x"
            done.append(f"key {label}/{key!r}")
    return done


def as_text(data: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.3:
        return json.dumps(data, indent=2), "fuzz.json"  # ensure_ascii: "\ud83d\ude00" escapes
    return yaml.safe_dump(data, allow_unicode=rng.random() < 0.7, sort_keys=False), "fuzz.yaml"


def named(problems: list[Any]) -> bool:
    """Every problem says where: a field path (or a sheet column), or a line of the file."""
    return all(p.path or p.line for p in problems)


def run(checks: int, builds: int, seed: int) -> int:
    rng = random.Random(seed)
    bases = [
        loader.parse_text(p.read_text(encoding="utf-8").replace("  logo: lowlands-logo.png\n", ""), p.name)[0]
        for p in SAMPLES
    ]
    outcomes: Counter[str] = Counter()
    internal: list[str] = []
    unnamed: list[str] = []
    accepted: list[tuple[Any, str]] = []
    started = time.perf_counter()
    for n in range(checks):
        data = copy.deepcopy(rng.choice(bases))
        done = mutate(data, rng)
        text, name = as_text(data, rng)
        today = rng.choice(TODAYS)
        try:
            data2, lines = loader.parse_text(text, name)
            source = loader.Source(name, data2, lines, f"{n:064x}")
            result = check_source(source, today)
        except InputError as exc:
            outcomes["refused"] += 1
            if not named(exc.problems) and not all(p.message.startswith("--today") for p in exc.problems):
                unnamed.append(f"{done} today={today}: {exc.lines()}")
            continue
        except InternpackError as exc:
            outcomes["error"] += 1
            internal.append(f"{done}: {exc.lines()}")
            continue
        except Exception:
            outcomes["internal"] += 1
            internal.append(f"{done} today={today}:\n{traceback.format_exc(limit=4)}")
            continue
        outcomes["accepted"] += 1
        if len(accepted) < builds * 3:
            accepted.append((result, today))
    check_seconds = time.perf_counter() - started

    built: Counter[str] = Counter()
    leftovers: list[str] = []
    started = time.perf_counter()
    from generator.pack import BuildOptions, build

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "OUT"
        for i, (result, _today) in enumerate(rng.sample(accepted, min(builds, len(accepted)))):
            opts = BuildOptions(
                route=rng.choice(["auto", "s2", "x1", "both"]),
                languages=rng.choice([("en", "zh"), ("zh",), ("en",)]),
                formats=("docx", "pdf") if i % 10 == 9 else ("docx",),  # every tenth with its PDFs
                zip=rng.random() < 0.2,
                force=True,
                allow_blanks=rng.random() < 0.8,
            )
            try:
                build(result, out, opts, placement_dir=ROOT / "samples", folder_name=f"p{i}")
                built["built"] += 1
            except InputError as exc:
                built["refused"] += 1
                if not all(p.path or p.line or "route" in p.message or "fields" in p.message for p in exc.problems):
                    unnamed.append(f"build {i}: {exc.lines()}")
            except Exception:
                built["internal"] += 1
                internal.append(f"build {i}:\n{traceback.format_exc(limit=4)}")
            hidden = [p.name for p in out.iterdir() if p.name.startswith(".")] if out.exists() else []
            if hidden:
                leftovers.append(f"build {i}: {hidden}")
    build_seconds = time.perf_counter() - started

    total = sum(outcomes.values())
    print(f"checks: {total} placements in {check_seconds:.1f} s ({total / check_seconds:.0f}/s), seed {seed}")
    for k in ("accepted", "refused", "error", "internal"):
        print(f"  {k:9} {outcomes[k]:6}")
    print(f"builds: {sum(built.values())} in {build_seconds:.1f} s")
    for k in ("built", "refused", "internal"):
        print(f"  {k:9} {built[k]:6}")
    print(f"internal errors: {len(internal)}; refusals naming no field: {len(unnamed)}", end="")
    print(f"; leftovers in OUT: {len(leftovers)}")
    for line in (internal + unnamed + leftovers)[:10]:
        print("  " + line.replace("\n", "\n  "))
    return 1 if internal or unnamed or leftovers else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checks", type=int, default=10_000)
    ap.add_argument("--builds", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    sys.exit(run(args.checks, args.builds, args.seed))


if __name__ == "__main__":
    main()
