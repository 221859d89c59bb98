"""`internpack batch`: one pack per placement of a cohort, in parallel worker processes, with a cohort summary.

Worker processes are forked first, from a process that has read nothing yet. Rows are then validated and
assessed here (cheap), so a bad row is reported and skipped and two students with the same slug get
distinct, stable folders; each pack to build is sent to a worker as a Task. A worker imports the heavy
libraries with its first pack and renders many. A pack whose inputs are unchanged (per its
manifest) is kept; a changed one is replaced atomically."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator import __version__, outdir
from generator.errors import InputError, InternpackError, Problem
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
    status: str = "pending"  # built | kept | refused | failed
    errors: list[str] = field(default_factory=list)
    note: str = ""
    seconds: float = 0.0


@dataclass
class BatchOutcome:
    rows: list[Row]
    out: Path
    summary_files: list[str]
    interrupted: bool = False

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.rows)

    @property
    def exit_code(self) -> int:
        c = self.counts
        if c["failed"] or self.interrupted:
            return 1
        return 2 if c["refused"] else 0


def _label(source: Source) -> str:
    name = Path(source.name).name
    return f"{name} row {source.row}" if source.row is not None else name


def _row_options(opts: BuildOptions, result: CheckResult) -> BuildOptions:
    """The batch options, with the row's own route and languages where the command gave none."""
    return BuildOptions(
        route=opts.route or result.placement.route,
        languages=opts.languages or tuple(result.placement.languages),
        formats=opts.formats,
        allow_blanks=opts.allow_blanks,
    )


def _unchanged(folder: Path, expected: dict[str, Any]) -> bool:
    """The pack in ``folder`` was made from the same inputs (manifest_inputs; the placement by content,
    wherever its file now is) and all its files are there."""
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if any(m.get(k) != v for k, v in expected.items() if k != "placement"):
        return False
    if (m.get("placement") or {}).get("sha256") != expected["placement"]["sha256"]:
        return False
    return all((folder / f["path"]).is_file() and (folder / f["path"]).stat().st_size == f["size"] for f in m["files"])


def _suffix(result: CheckResult) -> str:
    basis = result.placement.student.passport_number or result.source.sha256
    return hashlib.sha256(basis.encode()).hexdigest()[:6]


def plan(sources: list[Source], unreadable: list[Problem], opts: BuildOptions, today: str | None) -> list[Row]:
    from generator.compose import slug_of

    rows: list[Row] = []
    for problem in unreadable:
        rows.append(Row(len(rows), problem.file or "?", None, status="refused", errors=[str(problem)]))
    for source in sources:
        row = Row(len(rows), _label(source), source)
        rows.append(row)
        try:
            row.result = check_source(source, today)
        except InputError as exc:  # its lines name the file and line, or the sheet row and column
            row.status, row.errors = "refused", exc.lines()
            continue
        try:
            routes_to_build(row.result, _row_options(opts, row.result).route)
        except InputError as exc:  # about the placement as a whole: say which one
            row.status, row.errors = "refused", [f"{row.label}: {line}" for line in exc.lines()]
    # folders: the slug, with a suffix from the student's own data when two rows share it
    valid = [r for r in rows if r.result is not None and r.status == "pending"]
    slugs = Counter(slug_of(r.result) for r in valid if r.result)
    taken: dict[str, Row] = {}
    for row in valid:
        assert row.result is not None
        slug = slug_of(row.result)
        if slugs[slug] > 1:
            folder = f"{slug}-{_suffix(row.result)}"
            row.note = f"same name and start date as another row: folder suffixed {folder[len(slug) :]}"
        else:
            folder = slug
        if folder in taken:
            row.status = "refused"
            row.errors = [f"{row.label}: the same student and internship as {taken[folder].label} (folder {folder})"]
            continue
        taken[folder] = row
        row.folder = folder
    return rows


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


def _worker_build(task: Task) -> tuple[int, str, list[str], float]:
    started = time.perf_counter()
    renderers = default_renderers()
    try:
        warm_up(renderers, task.opts.formats)  # the first task of a process imports and sets up; later ones reuse it
        build(
            task.result,
            task.out,
            task.opts,
            placement_dir=task.placement_dir,
            renderers=renderers,
            folder_name=task.folder,
        )
    except InputError as exc:
        return task.index, "refused", [f"{task.label}: {line}" for line in exc.lines()], time.perf_counter() - started
    except InternpackError as exc:
        return task.index, "failed", [f"{task.label}: {line}" for line in exc.lines()], time.perf_counter() - started
    except Exception as exc:  # one bad row must not stop the cohort
        return (
            task.index,
            "failed",
            [f"{task.label}: internal error: {type(exc).__name__}: {exc}"],
            time.perf_counter() - started,
        )
    return task.index, "built", [], time.perf_counter() - started


def _in_worker(task: Task) -> tuple[int, str, list[str], float]:
    """What the pool runs: looks _worker_build up at call time (picklable by name, patchable in tests)."""
    return _worker_build(task)


class Progress:
    """A progress bar on a terminal (done/total, failures, rate, time left), plain lines otherwise."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.start = time.perf_counter()
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, row: Row) -> None:
        self.done += 1
        if row.status in ("failed", "refused"):
            self.failed += 1
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate else 0.0
        if self.tty:
            width = 28
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} · {self.failed} failed · "
                f"{rate:.1f} packs/s · {int(left) // 60}:{int(left) % 60:02d} left "
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            what = row.folder or row.label
            self.stream.write(f"[{self.done}/{self.total}] {row.status} {what} ({row.seconds:.1f} s)\n")
            for err in row.errors:
                self.stream.write(f"    {err}\n")
        self.stream.flush()


def run_batch(
    cohort: Path,
    out: Path,
    opts: BuildOptions,
    *,
    jobs: int | None = None,
    today: str | None = None,
    force: bool = False,
    progress: Callable[[int], Progress] | None = None,
) -> BatchOutcome:
    from generator.clock import reference_date
    from generator.cohort import read_cohort

    day = reference_date(today).isoformat()
    jobs = jobs or os.cpu_count() or 1
    # the workers are forked first, from a process that holds neither the cohort nor its results
    pool = _fork_workers(jobs) if jobs > 1 else None
    try:
        sources, unreadable = read_cohort(cohort)
        rows = plan(sources, unreadable, opts, day)
        os.close(outdir.open_out(out)[0])  # one rule for an OUT that cannot be created or written: exit 2
        tasks = []
        for row in rows:
            if row.status != "pending":
                continue
            assert row.result is not None and row.folder is not None and row.source is not None
            row_opts = _row_options(opts, row.result)
            routes = routes_to_build(row.result, row_opts.route)
            if not force and _unchanged(out / row.folder, manifest_inputs(row.result, row_opts, routes)):
                row.status = "kept"
                continue
            base = Path(row.source.name)
            tasks.append(
                Task(
                    row.index,
                    row.label,
                    row.result,
                    row.folder,
                    replace(row_opts, force=True),
                    out,
                    (base if base.is_dir() else base.parent).resolve(),
                )
            )
        bar = (progress or Progress)(len(rows))
        for row in rows:
            if row.status in ("refused", "kept"):
                bar.update(row)
        interrupted = False
        try:
            _run(tasks, rows, pool, bar, when_a_core_is_free=(jobs, _prepare_summary))
        except KeyboardInterrupt:
            interrupted = True
        finally:
            _sweep(out)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    files = [] if interrupted else write_summary(rows, out, cohort, day)
    return BatchOutcome(rows, out, files, interrupted)


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
    def record(index: int, status: str, errors: list[str], seconds: float) -> None:
        row = rows[index]
        row.status, row.errors, row.seconds = status, errors, seconds
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


# -- cohort summary -------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    "row",
    "student",
    "host",
    "city",
    "start",
    "end",
    "recommended_route",
    "s2_verdict",
    "s2_codes",
    "x1_verdict",
    "x1_codes",
    "status",
    "pack_folder",
    "errors",
)


def summary_rows(rows: list[Row]) -> list[dict[str, str]]:
    out = []
    for row in rows:
        r = row.result
        entry = {k: "" for k in SUMMARY_COLUMNS}
        entry["row"] = row.label
        entry["status"] = row.status
        entry["pack_folder"] = row.folder or ""
        entry["errors"] = "\n".join(row.errors + ([row.note] if row.note else []))
        if r is not None:
            p, a = r.placement, r.assessment
            entry.update(
                student=p.student.full_name,
                host=p.host.name_en,
                city=p.host.city,
                start=p.internship.start.isoformat(),
                end=p.internship.end.isoformat(),
                recommended_route=a.recommended_route or "none",
            )
            for route in ("s2", "x1"):
                ra = a.routes[route]
                entry[f"{route}_verdict"] = ra.verdict
                entry[f"{route}_codes"] = " ".join(f.code for f in ra.findings if f.severity in ("block", "confirm"))
        out.append(entry)
    return out


def neutralise(value: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ (or a tab/CR) is prefixed with '."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value


def write_summary(rows: list[Row], out: Path, cohort: Path, day: str) -> list[str]:
    """cohort.csv, cohort.xlsx and cohort.pdf in OUT, made in this process: the summary grows with the
    cohort, and the workers' memory must not."""
    data = summary_rows(rows)
    files: dict[str, bytes] = {}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in data:
        writer.writerow({k: neutralise(v) for k, v in entry.items()})
    files["cohort.csv"] = buf.getvalue().encode("utf-8")
    files["cohort.xlsx"] = _xlsx(data, day)
    files["cohort.pdf"] = _pdf(data, cohort, day)
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
    return list(files)


def _xlsx(data: list[dict[str, str]], day: str) -> bytes:
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    from generator.render.docx import normalise_zip

    wb = Workbook()
    ws = wb.active
    ws.title = "cohort"
    ws.append(list(SUMMARY_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for entry in data:
        ws.append([None] * len(SUMMARY_COLUMNS))
        for col, key in enumerate(SUMMARY_COLUMNS, 1):
            cell = ws.cell(row=ws.max_row, column=col)
            cell.value = neutralise(entry[key])  # text, never a formula (and guarded like the CSV)
            cell.data_type = "s"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    stamp = datetime.fromisoformat(day)
    wb.properties.created = wb.properties.modified = stamp
    buf = io.BytesIO()
    # Workbook.save() stamps the properties with the current time: its ExcelWriter keeps ours
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return normalise_zip(buf.getvalue(), stamp)


def _pdf(data: list[dict[str, str]], cohort: Path, day: str) -> bytes:
    from generator.render.html import render_page

    counts = Counter(d["status"] for d in data)
    verdicts = {route: Counter(d[f"{route}_verdict"] for d in data if d[f"{route}_verdict"]) for route in ("s2", "x1")}
    recommended = Counter(d["recommended_route"] for d in data if d["recommended_route"])
    html = render_page(
        "cohort",
        {
            "rows": data,
            "cohort": cohort.name,
            "day": day,
            "counts": sorted(counts.items()),
            "verdicts": {r: sorted(v.items()) for r, v in verdicts.items()},
            "recommended": sorted(recommended.items()),
            "tool_version": __version__,
            "pdf_title": f"Cohort summary — {cohort.name}",
            "pdf_author": "internpack",
            "pdf_date": f"{day}T00:00:00+00:00",
            "primary_lang": "en",
            "footer_ref": f"{cohort.name} · {day}",
        },
    )
    renderer = default_renderers().pdf(None)  # the one this process may already have set up for its packs
    pdf: bytes = renderer.write(renderer.render(html, "cohort summary"))
    return pdf
