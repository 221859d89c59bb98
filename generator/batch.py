"""`internpack batch`: one pack per placement of a cohort, in parallel worker processes, with a cohort overview.

Worker processes are forked first, from a process that has read nothing yet. Rows are then validated and
assessed here (cheap), so every row that reads gets its assessment and a status, and two students with the
same slug get distinct, stable folders; each pack to build is sent to a worker as a Task. A worker imports
the heavy libraries with its first pack and renders many.

Statuses (spec/cli.md): ``ready`` (no placeholder, the route built is not ineligible), ``draft`` (letters
built with placeholders for missing fields), ``route ineligible`` (a route asked for by name and built),
``no route`` (nothing recommended: no pack), ``sheet error`` (the row could not be read). A pack is kept
across runs and days while its placement, the files it names (logo, letterhead, letter templates: by their
sha256), options and versions are unchanged: the reference date is not part of the keep key, so letters
keep their date; statuses, deadlines and the overview are refreshed on every run. ``strict`` gives the
behaviour of build: a row with missing fields or no route is refused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator import outdir
from generator.errors import InputError, InternpackError, Problem, printable
from generator.loader import Source
from generator.pack import BuildOptions, build, manifest_inputs, routes_to_build
from generator.process import default_renderers, fork_pool, warm_up
from generator.result import CheckResult, check_source


@dataclass
class Row:
    index: int
    label: str  # "cohort.csv row 3" or the placement file
    source: Source | None
    result: CheckResult | None = None
    folder: str | None = None
    status: str = "pending"  # the pack: built | kept | refused | failed | skipped (none to build) | outdated
    errors: list[str] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0
    state: str = ""  # ready | draft | route ineligible | no route | sheet error | failed
    routes: list[str] = field(default_factory=list)  # the routes of its pack
    blanks: list[str] = field(default_factory=list)  # fields its letters print as placeholders
    untranslated: int = 0
    sheet_row: int | None = None
    extras: dict[str, str] = field(default_factory=dict)  # the sheet's own # columns
    cells: dict[str, str] = field(default_factory=dict)  # a row that could not be read: its cells as text
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchOutcome:
    rows: list[Row]
    out: Path
    summary_files: list[str]
    interrupted: bool = False
    strict: bool = False
    notes: list[str] = field(default_factory=list)  # about the sheet: which worksheet, duplicates
    stale: list[str] = field(default_factory=list)  # folders in OUT no row produces any more
    pruned: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.rows)

    @property
    def states(self) -> Counter[str]:
        return Counter(r.state for r in self.rows)

    @property
    def exit_code(self) -> int:
        c = self.counts
        if c["failed"] or self.interrupted:
            return 1
        if self.strict:
            return 2 if c["refused"] else 0
        return 2 if self.states["sheet error"] else 0

    def summary_lines(self) -> list[str]:
        """What the command prints on stdout: statuses, what happened to the packs, the overview files."""
        s, c = self.states, self.counts
        order = ("ready", "draft", "route ineligible", "no route", "sheet error", "failed")
        lines = [
            f"{len(self.rows)} placements: " + ", ".join(f"{s[k]} {k}" for k in order if s[k] or k in order[:2]) + "."
        ]
        packs = [("built", "built"), ("kept", "unchanged (kept)"), ("outdated", "not rebuilt (--summary-only)")]
        packs += [("refused", "refused"), ("failed", "failed")]
        lines.append("Packs: " + ", ".join(f"{c[k]} {words}" for k, words in packs if c[k] or k in ("built", "kept")))
        if self.summary_files:
            lines.append(f"Overview: {self.out}/" + ", ".join(self.summary_files))
        if self.stale:
            lines.append(
                f"{len(self.stale)} folder(s) in {self.out} no row produces any more: "
                + ", ".join(self.stale)
                + " (--prune removes them)"
            )
        if self.pruned:
            lines.append(f"Pruned {len(self.pruned)} folder(s): " + ", ".join(self.pruned))
        return lines

    def message_lines(self) -> list[str]:
        """What the command prints on stderr, each once: notes about the sheet, then every row's errors."""
        lines = [f"Note: {n}" for n in self.notes]
        for row in self.rows:
            if row.status in ("refused", "failed") or row.state == "sheet error":
                lines += [f"Error: {e}" for e in row.errors]
            lines += [f"Note: {row.label}: {n}" for n in row.notes]
        return list(dict.fromkeys(lines))


def _label(source: Source) -> str:
    name = printable(Path(source.name).name)  # control characters in a file name are escaped, everywhere
    return f"{name} row {source.row}" if source.row is not None else name


def _row_options(opts: BuildOptions, result: CheckResult) -> BuildOptions:
    """The batch options, with the row's own route and languages where the command gave none."""
    return replace(
        opts,
        route=opts.route or result.placement.route,
        languages=opts.languages or tuple(result.placement.languages),
        force=False,
    )


def _keep_key(inputs: dict[str, Any]) -> dict[str, Any]:
    """What decides whether a pack is kept: its manifest's inputs without the reference date (letters keep
    their date across days) and without allow_blanks (a pack without placeholders is the same either way;
    one with them is refused in strict mode before this is asked)."""
    key = {k: inputs.get(k) for k in ("tool_version", "rules_version")}
    key["options"] = {k: v for k, v in (inputs.get("options") or {}).items() if k != "allow_blanks"}
    key["placement"] = (inputs.get("placement") or {}).get("sha256")
    key["inputs"] = inputs.get("inputs") or []  # the logo, letterhead, letter templates... by content
    return key


def _kept_pack(folder: Path, expected: dict[str, Any]) -> dict[str, Any] | None:
    """The report of the pack in ``folder`` if it was made from the same inputs (the placement by content,
    wherever its file now is) and all its files are there; None when it must be built."""
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if _keep_key(m) != _keep_key(expected):
            return None
        if not all(
            (folder / f["path"]).is_file() and (folder / f["path"]).stat().st_size == f["size"] for f in m["files"]
        ):
            return None
        report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report


def _unchanged(folder: Path, expected: dict[str, Any]) -> bool:
    return _kept_pack(folder, expected) is not None


def _suffix(result: CheckResult) -> str:
    basis = result.placement.student.passport_number or result.source.sha256
    return hashlib.sha256(basis.encode()).hexdigest()[:6]


def problem_lines(exc: InputError, label: str, letters: dict[str, str] | None = None) -> list[str]:
    """An error's lines, each naming the row once: ``cohort.xlsx row 7, column internship.start (CH): …``,
    or ``a.yaml:12: student.email: …`` for a placement file."""
    from generator.cohort import problem_line

    out = []
    for p in exc.problems:
        line = problem_line(p, letters or {})
        if line != str(p):
            out.append(line)
            continue
        text = (f"{p.path}: " if p.path else "") + p.message + (f" ({p.hint})" if p.hint else "")
        where = label + (f":{p.line}" if p.line and p.file and Path(p.file).name == label else "")
        out.append(f"{where}: {text}")
    return list(dict.fromkeys(out))


def _blank_fields(report: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(b["field"] for b in report.get("blanks", [])))


def _settle(row: Row) -> None:
    """The row's status from what its pack holds."""
    if row.status in ("refused", "failed") and row.result is None:
        row.state = "sheet error"
        return
    if row.status == "failed":
        row.state = "failed"
        return
    if row.state:  # decided while planning (no route) or refused in strict mode
        return
    assert row.result is not None
    routes = row.result.assessment.routes
    if row.status == "refused" and not row.blanks:
        row.state = "sheet error"  # the placement reads, but its pack cannot be made from it (e.g. its logo)
    elif any(routes[r].verdict == "ineligible" for r in row.routes):
        row.state = "route ineligible"
    elif row.blanks:
        row.state = "draft"
    else:
        row.state = "ready"


def plan(
    sources: list[Source],
    unreadable: list[Problem],
    opts: BuildOptions,
    today: str | None,
    *,
    sheet: Any = None,
    strict: bool = False,
) -> list[Row]:
    from generator.compose import slug_of

    letters = sheet.letters if sheet is not None else {}
    rows: list[Row] = []
    for problem in unreadable:
        rows.append(Row(len(rows), printable(problem.file or "?"), None, status="refused", errors=[str(problem)]))
    pending: list[tuple[int, Source | None]] = [(s.row or 0, s) for s in sources]
    if sheet is not None:
        pending += [(n, None) for n in sheet.row_problems]
        pending.sort(key=lambda x: x[0])
    for number, source in pending:
        if source is None:  # a sheet row whose cells cannot be used
            name = Path(sheet.name).name
            row = Row(len(rows), f"{name} row {number}", None, status="refused", sheet_row=number)
            row.errors = list(sheet.row_problems[number])
            row.cells = _who(sheet.row_cells.get(number, {}))
            rows.append(row)
        else:
            row = Row(len(rows), _label(source), source, sheet_row=source.row)
            rows.append(row)
            try:
                row.result = check_source(source, today)
            except InputError as exc:  # its lines name the file and line, or the sheet row and column
                row.status, row.errors = "refused", problem_lines(exc, row.label, letters)
                row.cells = _who(_flat(source.data))
            else:
                try:
                    row.routes = routes_to_build(row.result, _row_options(opts, row.result).route)
                except InputError as exc:  # about the placement as a whole: say which one
                    row.state = "no route"
                    row.status = "refused" if strict else "skipped"
                    if strict:
                        row.errors = [f"{row.label}: {line}" for line in exc.lines()]
        if sheet is not None and number in sheet.extras:
            row.extras = dict(sheet.extras[number])
        if sheet is not None and number in sheet.row_notes:
            row.notes += sheet.row_notes[number]
    # folders: the slug, with a suffix from the student's own data when two rows share it (a row with no
    # route keeps its folder too, so its earlier pack is not taken for a stale one)
    valid = [r for r in rows if r.result is not None and (r.status == "pending" or r.state == "no route")]
    slugs = Counter(slug_of(r.result) for r in valid if r.result)
    taken: dict[str, Row] = {}
    for row in valid:
        assert row.result is not None
        slug = slug_of(row.result)
        if slugs[slug] > 1:
            folder = f"{slug}-{_suffix(row.result)}"
            row.note = f"same name and start date as another row: folder suffixed {folder[len(slug) :]}"
            row.notes.append(row.note)
        else:
            folder = slug
        if folder in taken:
            row.status, row.state = "refused", "sheet error"
            row.errors = [f"{row.label}: the same student and internship as {taken[folder].label} (folder {folder})"]
            continue
        taken[folder] = row
        row.folder = folder
    return rows


def _who(cells: dict[str, Any]) -> dict[str, str]:
    """Who and what a row that cannot be read is about, from its cells (the overview keeps them)."""
    name = " ".join(str(cells[k]) for k in ("student.family_name", "student.given_names") if cells.get(k))
    fields = {"host": "host.name_en", "city": "host.city", "start": "internship.start", "end": "internship.end"}
    return {"student": name, **{k: str(cells.get(v) or "") for k, v in fields.items()}}


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}{k}."))
    elif prefix:
        out[prefix[:-1]] = data
    return out


# -- workers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One pack to build, with all a worker needs: it is sent to the worker, which was forked before the
    cohort was read (so a worker's memory does not grow with the size of the cohort)."""

    index: int
    label: str
    result: CheckResult
    folder: str
    opts: BuildOptions
    out: Path
    placement_dir: Path
    letters: tuple[tuple[str, str], ...] = ()


def _worker_build(task: Task) -> tuple[int, str, list[str], float, dict[str, Any]]:
    started = time.perf_counter()
    renderers = default_renderers()
    try:
        warm_up(renderers, task.opts.formats)  # the first task of a process imports and sets up; later ones reuse it
        built = build(
            task.result,
            task.out,
            task.opts,
            placement_dir=task.placement_dir,
            renderers=renderers,
            folder_name=task.folder,
        )
    except InputError as exc:
        lines = problem_lines(exc, task.label, dict(task.letters))
        # refused for the fields its letters lack (--strict without --allow-blanks): a draft, not a sheet error
        blanks = all("--allow-blanks" in (p.hint or "") for p in exc.problems)
        return task.index, "refused", lines, time.perf_counter() - started, {"blanks_refused": blanks}
    except InternpackError as exc:
        return (
            task.index,
            "failed",
            [f"{task.label}: {line}" for line in exc.lines()],
            time.perf_counter() - started,
            {},
        )
    except Exception as exc:  # one bad row must not stop the cohort
        return (
            task.index,
            "failed",
            [f"{task.label}: internal error: {type(exc).__name__}: {exc}"],
            time.perf_counter() - started,
            {},
        )
    info = {"blanks": _blank_fields(built.report), "untranslated": len(built.report.get("untranslated", []))}
    return task.index, "built", [], time.perf_counter() - started, info


def _in_worker(task: Task) -> tuple[int, str, list[str], float, dict[str, Any]]:
    """What the pool runs: looks _worker_build up at call time (picklable by name, patchable in tests)."""
    return _worker_build(task)


class Progress:
    """A progress bar on a terminal (done/total, refusals, rate and time left from the packs actually built),
    one plain line per row otherwise. The errors themselves are printed once, by the command, at the end."""

    def __init__(self, total: int, stream: Any = None, to_build: int | None = None) -> None:
        self.total = total
        self.done = 0
        self.refused = 0
        self.built = 0
        self.to_build = total if to_build is None else to_build
        self.start = time.perf_counter()
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, row: Row) -> None:
        self.done += 1
        if row.status in ("failed", "refused"):
            self.refused += 1
        if row.status in ("built", "failed") or (row.status == "refused" and row.seconds > 0):
            self.built += 1
        if self.tty:
            elapsed = time.perf_counter() - self.start
            rate = self.built / elapsed if self.built and elapsed > 0 else 0.0
            left = (self.to_build - self.built) / rate if rate else 0.0
            width = 28
            filled = int(width * self.done / max(self.total, 1))
            speed = f" · {rate:.2f} packs/s · {int(left) // 60}:{int(left) % 60:02d} left" if rate else ""
            self.stream.write(
                f"\r\x1b[K[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} · "
                f"{self.refused} refused{speed}"
            )
            if self.done == self.total:
                self.stream.write("\r\x1b[K")
        else:
            what = row.folder or row.label
            self.stream.write(f"[{self.done}/{self.total}] {row.status} {what} ({row.seconds:.1f} s)\n")
        self.stream.flush()


def run_batch(
    cohort: Path,
    out: Path,
    opts: BuildOptions,
    *,
    jobs: int | None = None,
    today: str | None = None,
    force: bool = False,
    progress: Callable[..., Progress] | None = None,
    strict: bool = False,
    summary_only: bool = False,
    prune: bool = False,
    dates: str = "iso",
) -> BatchOutcome:
    from generator.clock import reference_date
    from generator.cohort import read_cohort_sheet

    day = reference_date(today).isoformat()
    jobs = jobs or os.cpu_count() or 1
    if not strict:  # every row that reads gets its letters; missing fields are printed as placeholders
        opts = replace(opts, allow_blanks=True)
    # the workers are forked first, from a process that holds neither the cohort nor its results
    pool = _fork_workers(jobs) if jobs > 1 and not summary_only else None
    try:
        if opts.templates:  # --templates: linted once, before any pack (exit 2, nothing written)
            from generator.templatelint import checked_letters

            checked_letters(Path(opts.templates), opts.templates)
        sheet = read_cohort_sheet(cohort, dates)
        rows = plan(sheet.sources, sheet.unreadable, opts, day, sheet=sheet, strict=strict)
        os.close(outdir.open_out(out)[0])  # one rule for an OUT that cannot be created or written: exit 2
        tasks = []
        letters = tuple(sorted(sheet.letters.items()))
        for row in rows:
            if row.status != "pending":
                continue
            assert row.result is not None and row.folder is not None and row.source is not None
            row_opts = _row_options(opts, row.result)
            base = Path(row.source.name)  # a sheet's rows: their files are beside the sheet
            placement_dir = (base if base.is_dir() else base.parent).resolve()
            expected = manifest_inputs(row.result, row_opts, row.routes, placement_dir)
            report = _kept_pack(out / row.folder, expected)
            if report is not None and not force:
                row.status = "kept"
                row.blanks = _blank_fields(report)
                row.untranslated = len(report.get("untranslated", []))
                if strict and row.blanks and not opts.allow_blanks:
                    row.status, row.state = "refused", "draft"
                    row.errors = [
                        f"{row.label}: the letters need {', '.join(row.blanks)} (missing from the placement; "
                        "fill them in, or run with --allow-blanks)"
                    ]
                continue
            if summary_only:
                row.status = "outdated"  # no pack, or one made from other inputs: left as it is
                continue
            tasks.append(
                Task(
                    row.index,
                    row.label,
                    row.result,
                    row.folder,
                    replace(row_opts, force=True),
                    out,
                    placement_dir,
                    letters,
                )
            )
        bar = (progress or Progress)(len(rows))
        bar.to_build = len(tasks)
        for row in rows:
            if row.status != "pending":
                bar.update(row)
        interrupted = False
        try:
            _run(tasks, rows, pool, bar, when_a_core_is_free=(jobs, _prepare_summary))
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if not summary_only:
                _sweep(out)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    for row in rows:
        _settle(row)
    outcome = BatchOutcome(rows, out, [], interrupted, strict, list(sheet.notes))
    outcome.stale = stale_folders(out, rows)
    if prune and outcome.stale and not interrupted:
        if outcome.states["sheet error"]:
            outcome.notes.append(
                "nothing was pruned: some rows could not be read, and their folders may be among those listed"
            )
        else:
            for name in outcome.stale:
                shutil.rmtree(out / name, ignore_errors=True)
                (out / f"{name}.zip").unlink(missing_ok=True)
            outcome.pruned, outcome.stale = outcome.stale, []
    if not interrupted:
        outcome.summary_files = write_summary(rows, out, cohort, day, sheet.extra_columns)
    return outcome


def stale_folders(out: Path, rows: list[Row]) -> list[str]:
    """Packs in OUT that no row of the cohort produces any more (a student deleted or renamed)."""
    wanted = {r.folder for r in rows if r.folder}
    try:
        entries = sorted(out.iterdir())
    except OSError:
        return []
    return [
        p.name
        for p in entries
        if p.is_dir()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and p.name not in wanted
        and (p / "manifest.json").is_file()
    ]


def _fork_workers(jobs: int) -> Any:
    """A pool of ``jobs`` forked worker processes, started now (a fork pool starts all its workers at the
    first submit). Each worker imports the heavy libraries with its first pack and reuses them."""
    pool = fork_pool(jobs)  # the workers die with this process (process.die_with_parent)
    pool.submit(int)
    return pool


def _prepare_summary() -> None:
    """Set up WeasyPrint in this process for cohort.pdf (the workers were forked before it was imported):
    done while the last packs are built, on a core no worker needs any more (20 rows: the summary then
    takes 0.64 s after the last pack instead of 1.08 s)."""
    renderer = default_renderers().pdf(None)
    renderer.render("<p>中文 <b>中文</b> Latin <b>Latin</b></p>", "warm-up")  # loads the fonts it will use


def _run(
    tasks: list[Task],
    rows: list[Row],
    pool: Any,
    bar: Progress,
    when_a_core_is_free: tuple[int, Callable[[], None]] | None = None,
) -> None:
    def record(index: int, status: str, errors: list[str], seconds: float, info: Any = None) -> None:
        row = rows[index]
        row.status, row.errors, row.seconds = status, errors, seconds
        row.blanks = list((info or {}).get("blanks", []))
        row.untranslated = int((info or {}).get("untranslated", 0))
        if (info or {}).get("blanks_refused"):
            row.state = "draft"
        bar.update(row)

    if pool is None:
        for task in tasks:
            record(*_worker_build(task))
        return
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    suspects: list[Task] = []
    futures = {pool.submit(_in_worker, task): task for task in tasks}
    try:
        while futures:
            if when_a_core_is_free and len(futures) < when_a_core_is_free[0]:
                when_a_core_is_free[1]()
                when_a_core_is_free = None
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                task = futures.pop(fut)
                try:
                    record(*fut.result())
                except BrokenProcessPool:
                    suspects.append(task)  # this row, or another in the same pool, killed a worker
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        raise
    # a dead worker breaks the whole pool: run each affected row alone to find the one that kills it
    for task in sorted(suspects, key=lambda t: t.index):
        with fork_pool(1) as solo:
            try:
                record(*solo.submit(_in_worker, task).result())
            except BrokenProcessPool:
                record(
                    task.index,
                    "failed",
                    [
                        f"{task.label}: the worker process building it died (out of memory or killed); "
                        "nothing was written for it"
                    ],
                    0.0,
                )


def _sweep(out: Path) -> None:
    """Remove what an interrupted or killed worker left (temporary pack folders and zips, a previous pack
    moved aside): only for packs no running build has claimed, this batch's or another's (outdir.sweep)."""
    outdir.sweep(out)


# -- cohort overview ------------------------------------------------------------------------------

SUMMARY_COLUMNS = ("row", "student", "host", "city", "start", "end", "recommended", "status", "folder", "errors")


def neutralise(value: str) -> str:
    from generator.overview import neutralise as guard

    return guard(value)


def write_summary(
    rows: list[Row], out: Path, cohort: Path, day: str, extra_columns: list[str] | None = None
) -> list[str]:
    """The overview in OUT (overview.py), made in this process: it grows with the cohort, and the workers'
    memory must not. Files are written beside their targets and renamed over them."""
    from datetime import date

    from generator import overview

    today = date.fromisoformat(day)
    extra = list(extra_columns or [])
    data = overview.entries(rows, today, extra)
    keys = [*overview.COLUMNS[:-2], *extra, *overview.COLUMNS[-2:]]
    dues = overview.deadlines(rows)
    fixes = [overview._no_flags(e) for r in rows if r.state in ("sheet error", "failed") or r.errors for e in r.errors]
    fixes += [f"{r.label}: {n}" for r in rows for n in r.notes if "hidden" in n]
    html = overview.pdf_html(data, cohort, day, dues, fixes, extra)
    key = hashlib.sha256(html.encode()).hexdigest()
    # cohort.pdf is laid out again only when what it shows changed (an unchanged re-run: 2.5 s less)
    stale_pdf = overview.pdf_key(out) != key or not (out / "cohort.pdf").is_file()
    files: dict[str, bytes] = {
        "cohort.csv": overview.csv_bytes(data, keys),
        "cohort.xlsx": overview.xlsx_bytes(data, keys, dues, today),
        "cohort.ics": overview.ics_bytes(dues, today),
    }
    # cohort.json, which records what cohort.pdf shows, is written after it
    if stale_pdf:
        files["cohort.pdf"] = overview.render_pdf(html)
    files["cohort.json"] = overview.json_bytes(data, keys, dues, today, key)
    for name, content in files.items():
        tmp = out / f".{name}.tmp"
        try:
            tmp.write_bytes(content)
            os.replace(tmp, out / name)
        except OSError as exc:  # a full disk: no temporary file stays, the previous summary file is kept
            tmp.unlink(missing_ok=True)
            raise InternpackError(
                f"writing {out / name} failed: {exc.strerror or exc}; the packs are written, the summary is not",
                hint="free some space, then run the batch again (finished packs are kept)",
            ) from exc
    try:
        overview.write_tree(out, "todo", overview.todo_files(rows, today))
    except OSError as exc:
        raise InternpackError(
            f"writing {out / 'todo'} failed: {exc.strerror or exc}; the packs and the summary are written",
            hint="free some space, then run the batch again (finished packs are kept)",
        ) from exc
    return ["cohort.csv", "cohort.xlsx", "cohort.ics", "cohort.pdf", "cohort.json", "todo/"]


def _pdf(data: list[dict[str, Any]], cohort: Path, day: str) -> bytes:
    """cohort.pdf of summary entries (overview.entries)."""
    from generator import overview

    return overview.pdf_bytes(data, cohort, day)
