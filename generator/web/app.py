"""`internpack serve`: the interview, the live assessment, build and download, cohorts: a second face beside
cli.py. It calls generator.api only; every decision is the library's, every page goes through the project's one
sandboxed, autoescaping Jinja environment.

Safety: bound to 127.0.0.1 unless told otherwise (then a token is required on every request); the Host header
must name this server (DNS rebinding); every POST carries the page's CSRF token; request bodies and uploads are
limited; files are written only to --data or to this server's temporary folder (a build's folder is removed when
its zip has been downloaded, the whole temporary folder when the server stops)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generator import api
from generator.api import InputError, InternpackError, Problem
from generator.web import form as forms

MiB = 1024 * 1024
LIMITS = {"placement": 2 * MiB, "logo": 2 * MiB, "letterhead": 10 * MiB, "stationery": 10 * MiB, "sheet": 10 * MiB}
BODY_LIMIT = 12 * MiB  # the largest upload plus the rest of its form
STATIC = Path(__file__).parent / "static"
_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 0
    data: Path | None = None  # --data DIR: placements kept there as files
    token: str | None = None  # required on every request when set
    today: str | None = None  # the reference date (as --today)


@dataclass
class CohortJob:
    id: str
    folder: Path
    sheet: Path
    rows: list[Any]
    total: int = 0
    done: int = 0
    failed: int = 0
    state: str = "ready"  # ready | running | done | error
    error: str = ""
    outcome: Any = None
    started: float = 0.0


@dataclass
class State:
    config: Config
    work: Path
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    builds: dict[str, Path] = field(default_factory=dict)
    cohorts: dict[str, CohortJob] = field(default_factory=dict)
    build_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def logos(self) -> Path:
        return self.config.data if self.config.data else self.work / "logos"


def safe_name(name: str, suffix: str) -> str:
    """A file name from user input: letters, digits, dot, dash, underscore; never a path."""
    stem = _NAME.sub("-", Path(name.replace("\\", "/")).name).strip(".-") or "placement"
    return stem if stem.lower().endswith(suffix) else stem + suffix


# -- pages ------------------------------------------------------------------------------------


def page(state: State, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    ui = request.query_params.get("ui") or request.cookies.get("ui") or "zh"
    ctx = {
        "csrf": state.csrf,
        "ui": "en" if ui == "en" else "zh",
        "data_dir": str(state.config.data) if state.config.data else None,
        "path": request.url.path,
        "field_of": forms.field_of_problem,  # the form field a problem's path points at, for links
        "applies": forms.applies,  # whether a part of the form applies (else it is shown hidden)
        **context,
    }
    response = HTMLResponse(api.render_template(f"web/{template}", ctx), status_code=status)
    if request.query_params.get("ui") in ("zh", "en"):
        response.set_cookie("ui", ctx["ui"], samesite="strict", httponly=True)
    return response


def stored_placements(state: State) -> list[str]:
    if state.config.data is None or not state.config.data.is_dir():
        return []
    return sorted(p.name for p in state.config.data.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


async def start(request: Request) -> Response:
    state: State = request.app.state.s
    return page(state, request, "start.html.j2", placements=stored_placements(state))


def interview_page(
    state: State,
    request: Request,
    values: dict[str, Any],
    name: str,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> HTMLResponse:
    data = forms.placement_data(values)
    panel = assessment(state, data, problems is not None)
    if problems:
        panel["problems"] = problems + [p for p in panel["problems"] if p not in problems]
    return page(
        state,
        request,
        "interview.html.j2",
        status=status,
        sections=forms.sections(),
        values=values,
        name=name,
        panel=panel,
        submitted=bool(problems),
        admitted=forms.wording()["admitted"],
    )


async def interview(request: Request) -> Response:
    state: State = request.app.state.s
    name = request.query_params.get("file")
    if name and state.config.data is not None:
        path = state.config.data / safe_name(name, ".yaml")
        if path.name not in stored_placements(state):
            return page(
                state,
                request,
                "start.html.j2",
                404,
                placements=stored_placements(state),
                errors=[f"{path.name}: there is no such placement in {state.config.data}"],
            )
        return await run_in_threadpool(open_file, state, request, path, path.name)
    return interview_page(state, request, forms.defaults(), "placement.yaml")


def open_file(state: State, request: Request, path: Path, display: str) -> Response:
    """A placement file as `check` reads it: unreadable → its errors on the start page; else the form, with the
    problems `check` would list shown at once."""
    try:
        source = api.read_placement(path, display)
    except InputError as exc:
        return page(state, request, "start.html.j2", 400, placements=stored_placements(state), errors=exc.lines())
    values = forms.values_of_data(source.data)
    for f in forms.uploads():  # a logo, letterhead or stationery kept in --data beside the placement
        name = values.get(f.path)
        if name and state.config.data is not None and (state.logos / safe_name(name, "")).is_file():
            values["_" + f.key] = safe_name(name, "")
    try:
        api.check_source(source, state.config.today)
        problems: list[Problem] = []
    except InputError as exc:
        problems = exc.problems
    return interview_page(state, request, values, display, problems or None, 200)


async def open_upload(request: Request) -> Response:
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["placement"])
    upload = formdata.get("placement")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(
            state,
            request,
            "start.html.j2",
            400,
            placements=stored_placements(state),
            errors=["choose a placement file (.yaml, .yml or .json) to open"],
        )
    raw = await read_upload(upload, LIMITS["placement"], "placement file")
    with tempfile.TemporaryDirectory(dir=state.work) as tmp:  # a per-request folder, removed at once
        path = Path(tmp) / safe_name(upload.filename, "")
        path.write_bytes(raw)
        return await run_in_threadpool(open_file, state, request, path, path.name)


# -- the live assessment ----------------------------------------------------------------------


def assessment(state: State, data: dict[str, Any], submitted: bool) -> dict[str, Any]:
    """What the side panel shows: the report of the real check, or the problems that stop it."""
    try:
        result = api.check_data(data, "form", state.config.today)
    except InputError as exc:
        problems = exc.problems
        missing = [p for p in problems if p.message == "is required but missing"]
        shown = problems if submitted else [p for p in problems if p not in missing]
        return {"report": None, "problems": shown, "missing": len(missing), "timeline": ""}
    return {
        "report": result.report,
        "problems": [],
        "missing": 0,
        "timeline": api.timeline_svg(result),
        "sources": api.source_titles(),
    }


def field_errors(problems: list[Problem]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Problems by the form field they are about; the rest (about no one field) separately."""
    by_field: dict[str, list[str]] = {}
    rest = []
    for p in problems:
        target = forms.field_of_problem(p.path)
        if target is None:
            rest.append(p)
            continue
        by_field.setdefault(target, []).append(p.message + (f" ({p.hint})" if p.hint else ""))
    return by_field, rest


async def check(request: Request) -> Response:
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["placement"])
    submitted = formdata.get("_submit") == "1"
    values = forms.values_of_form(formdata)
    data = forms.placement_data(values)
    panel = await run_in_threadpool(assessment, state, data, submitted)
    by_field, rest = field_errors(panel["problems"])
    return page(
        state,
        request,
        "_check.html.j2",
        panel=panel,
        by_field=by_field,
        rest=rest,
        submitted=submitted,
        fields=list(forms.fields()),
        values=values,
        sections=forms.sections(),
    )


# -- save, store, logo, letterhead, stationery -------------------------------------------------


async def save(request: Request) -> Response:
    """The placement as a YAML file to download (what `internpack init` writes, with its comments)."""
    formdata = await checked_form(request, LIMITS["placement"])
    values = forms.values_of_form(formdata)
    text = api.placement_yaml(forms.placement_data(values))
    name = safe_name(str(formdata.get("_name") or "placement.yaml"), ".yaml")
    return Response(
        text.encode(),
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def store(request: Request) -> Response:
    """With --data: keep the placement there as a file (written whole, then renamed into place)."""
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["placement"])
    if state.config.data is None:
        return PlainTextResponse("start internpack serve with --data DIR to keep placements", status_code=400)
    values = forms.values_of_form(formdata)
    name = safe_name(str(formdata.get("_name") or "placement.yaml"), ".yaml")
    target = state.config.data / name
    tmp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(api.placement_yaml(forms.placement_data(values)), encoding="utf-8")
    tmp.replace(target)
    return page(state, request, "_stored.html.j2", name=name, folder=str(state.config.data))


_IMAGE = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"))


async def logo(request: Request) -> Response:
    """A letterhead image: PNG or JPEG, at most 2 MiB; kept in --data (beside the placements) or the temp folder."""
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["logo"])
    upload = formdata.get("logo_file")
    error = ""
    key = ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        error = "choose a PNG or JPEG image"
    else:
        raw = await read_upload(upload, LIMITS["logo"], "logo")
        kind = next((ext for magic, ext in _IMAGE if raw.startswith(magic)), None)
        if kind is None:
            error = f"{safe_name(upload.filename, '')}: must be a PNG or JPEG image (convert the logo to PNG)"
        else:
            name = safe_name(upload.filename, "")
            if not name.lower().endswith((".png", ".jpg", ".jpeg")):
                name += kind
            key = keep(state, name, raw)
    return page(state, request, "_logo.html.j2", logo=key, error=error)


def keep(state: State, name: str, raw: bytes) -> str:
    """An upload written to --data (or the temp folder) as ``name``; another file of that name is kept, this one
    then named with its hash. Returns the name it is stored as."""
    state.logos.mkdir(parents=True, exist_ok=True)
    target = state.logos / name
    if target.exists() and target.read_bytes() != raw:
        target = state.logos / f"{Path(name).stem}-{hashlib.sha256(raw).hexdigest()[:8]}{Path(name).suffix}"
    target.write_bytes(raw)
    return target.name


# what an upload must start with, and what to say when it does not
_FILES = {
    "letterhead": (b"PK\x03\x04", "Word letterhead", "must be a Word .docx file (save it from Word as .docx)"),
    "stationery": (b"%PDF", "stationery PDF", "must be a PDF file (export the one-page letterhead as PDF)"),
}


def lint_upload(state: State, name: str, raw: bytes) -> list[Problem]:
    """The problems `lint-template` finds in an upload, read from a per-request folder removed at once."""
    with tempfile.TemporaryDirectory(dir=state.work) as tmp:
        path = Path(tmp) / name
        path.write_bytes(raw)
        try:
            return api.lint_template(path, name)
        except InputError as exc:
            return list(exc.problems)


async def upload_file(request: Request) -> Response:
    """A host's Word letterhead (.docx) or stationery (.pdf), at most 10 MiB, checked as `lint-template` checks it
    and kept beside the logos; what is wrong with it is shown in its field's box, and then nothing is kept."""
    state: State = request.app.state.s
    key = request.path_params["kind"]
    f = next((f for f in forms.uploads() if f.kind == "file" and f.key == key), None)
    if f is None or key not in _FILES:
        return PlainTextResponse("no such upload", status_code=404)
    magic, what, wrong = _FILES[key]
    name, stored, error = "", "", ""
    try:
        formdata = await checked_form(request, LIMITS[key])
        # the form as it was (htmx posts it all): a refused upload leaves the field's file as it was
        name, stored = str(formdata.get(f.path) or ""), str(formdata.get("_" + key) or "")
        upload = formdata.get(f"{key}_file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            error = f"choose a {what} ({f.accept})"
        else:
            raw = await read_upload(upload, LIMITS[key], what)
            given = safe_name(upload.filename, f.accept)
            if not raw.startswith(magic):
                error = f"{safe_name(upload.filename, '')}: {wrong}"
            elif problems := await run_in_threadpool(lint_upload, state, given, raw):
                error = "; ".join(str(p) for p in problems)
            else:
                name = stored = keep(state, given, raw)
    except TooLarge as exc:  # shown in the box (an error status would not be swapped in)
        error = str(exc)
    return page(state, request, "_upload.html.j2", f=f, name=name, stored=stored, error=error)


async def logo_image(request: Request) -> Response:
    state: State = request.app.state.s
    path = inside(state.logos, request.path_params["name"])
    if path is None or path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        return PlainTextResponse("no such logo", status_code=404)
    return FileResponse(path)


# -- build and download -----------------------------------------------------------------------


def inside(folder: Path, rel: str) -> Path | None:
    """``folder/rel`` if it is a file inside ``folder`` (never a way out of it)."""
    try:
        path = (folder / rel).resolve()
    except (OSError, ValueError):
        return None
    return path if path.is_file() and path.is_relative_to(folder.resolve()) else None


def run_build(state: State, values: dict[str, Any], route: str, lang: str, allow_blanks: bool) -> dict[str, Any]:
    data = forms.placement_data(values)
    build_id = secrets.token_hex(8)
    folder = state.work / "builds" / build_id
    folder.mkdir(parents=True)
    for f in forms.uploads():  # the uploaded logo, letterhead, stationery beside the placement, by their names
        key, name = values.get("_" + f.key), values.get(f.path)
        if key and name:
            source = inside(state.logos, str(key))
            if source is not None:
                shutil.copyfile(source, folder / safe_name(str(name), f.accept))
                data["host"][f.key] = safe_name(str(name), f.accept)
    placement = folder / "placement.yaml"
    placement.write_text(api.placement_yaml(data), encoding="utf-8")
    started = time.perf_counter()
    try:
        with state.build_lock:
            outcome = api.build_placement(
                placement,
                folder / "out",
                route=route or None,
                lang=tuple(lang.split("+")) if lang else None,
                allow_blanks=allow_blanks,
                today=state.config.today,
            )
    except InternpackError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    state.builds[build_id] = folder
    pack = outcome.folder
    files = [
        {"path": rel, "size": (pack / rel).stat().st_size, "kind": Path(rel).suffix.lstrip(".")}
        for rel in outcome.files
    ]
    return {
        "id": build_id,
        "slug": pack.name,
        "routes": outcome.routes,
        "files": files,
        "notes": outcome.notes,
        "blanks": outcome.report.get("blanks", []),
        "untranslated": outcome.report.get("untranslated", []),
        "seconds": time.perf_counter() - started,
        "zip_size": outcome.zip_path.stat().st_size if outcome.zip_path else 0,
    }


async def build(request: Request) -> Response:
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["placement"])
    values = forms.values_of_form(formdata)
    for f in forms.uploads():
        values["_" + f.key] = str(formdata.get("_" + f.key) or "")
    route = str(formdata.get("_route") or "")
    lang = str(formdata.get("_lang") or "")
    if route not in ("", "auto", "s2", "x1", "both") or lang not in ("", "en", "zh", "en+zh"):
        return PlainTextResponse("bad build options", status_code=400)
    try:
        built = await run_in_threadpool(run_build, state, values, route, lang, formdata.get("_blanks") == "1")
    except InputError as exc:
        by_field, rest = field_errors(exc.problems)
        return page(
            state,
            request,
            "_build_failed.html.j2",
            problems=exc.problems,
            by_field=by_field,
            fields=list(forms.fields()),
        )
    except InternpackError as exc:
        return page(
            state,
            request,
            "_build_failed.html.j2",
            problems=[Problem(line) for line in exc.lines()],
            by_field={},
            fields=list(forms.fields()),
        )
    return page(state, request, "_built.html.j2", built=built)


def pack_folder(state: State, build_id: str) -> Path | None:
    folder = state.builds.get(build_id)
    if folder is None or not folder.is_dir():
        return None
    packs = [p for p in (folder / "out").iterdir() if p.is_dir()]
    return packs[0] if len(packs) == 1 else None


async def pack_file(request: Request) -> Response:
    state: State = request.app.state.s
    pack = pack_folder(state, request.path_params["id"])
    path = inside(pack, request.path_params["rel"]) if pack else None
    if path is None:
        return PlainTextResponse("no such file (a pack is removed once its zip is downloaded)", status_code=404)
    inline = request.query_params.get("inline") == "1" and path.suffix == ".pdf"
    return FileResponse(path, filename=path.name, content_disposition_type="inline" if inline else "attachment")


async def pack_zip(request: Request) -> Response:
    """The pack's zip; its build folder is removed once it has been sent."""
    state: State = request.app.state.s
    build_id = request.path_params["id"]
    pack = pack_folder(state, build_id)
    if pack is None:
        return PlainTextResponse("no such pack (it is removed once its zip is downloaded)", status_code=404)
    zip_path = pack.parent / f"{pack.name}.zip"
    folder = state.builds.pop(build_id)
    return FileResponse(zip_path, filename=zip_path.name, background=BackgroundTask(shutil.rmtree, folder, True))


# -- cohorts ----------------------------------------------------------------------------------


async def cohort_page(request: Request) -> Response:
    state: State = request.app.state.s
    return page(state, request, "cohort.html.j2", job=None, errors=[])


def read_rows(state: State, job_id: str, sheet: Path) -> CohortJob:
    rows = api.cohort_rows(sheet, state.config.today)
    return CohortJob(job_id, sheet.parent, sheet, rows, total=len(rows))


async def cohort_upload(request: Request) -> Response:
    state: State = request.app.state.s
    formdata = await checked_form(request, LIMITS["sheet"])
    upload = formdata.get("sheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(state, request, "cohort.html.j2", 400, job=None, errors=["choose a cohort sheet (.csv or .xlsx)"])
    raw = await read_upload(upload, LIMITS["sheet"], "cohort sheet")
    name = safe_name(upload.filename, "")
    if not name.lower().endswith((".csv", ".xlsx")):
        return page(
            state,
            request,
            "cohort.html.j2",
            400,
            job=None,
            errors=[f"{name}: a cohort sheet is a .csv or .xlsx file (internpack init --cohort writes one)"],
        )
    job_id = secrets.token_hex(8)
    folder = state.work / "cohorts" / job_id
    folder.mkdir(parents=True)
    sheet = folder / name
    sheet.write_bytes(raw)
    try:
        job = await run_in_threadpool(read_rows, state, job_id, sheet)
    except InputError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return page(state, request, "cohort.html.j2", 400, job=None, errors=exc.lines())
    state.cohorts[job_id] = job
    return page(state, request, "cohort.html.j2", job=job, errors=[])


class _Progress:
    """What run_batch reports each finished row to."""

    def __init__(self, job: CohortJob, total: int) -> None:
        self.job = job
        job.total, job.done, job.failed = total, 0, 0

    def update(self, row: Any) -> None:
        self.job.done += 1
        if row.status in ("failed", "refused"):
            self.job.failed += 1


def _run_cohort(state: State, job: CohortJob) -> None:
    try:
        job.outcome = api.run_cohort(
            job.sheet,
            job.folder / "out",
            today=state.config.today,
            jobs=2,
            progress=lambda total, *_, **__: _Progress(job, total),
        )
        job.rows = job.outcome.rows
        job.state = "done"
    except InternpackError as exc:
        job.state, job.error = "error", "; ".join(exc.lines())
    except Exception as exc:  # shown on the page, never a traceback
        job.state, job.error = "error", f"internal error: {type(exc).__name__}: {exc}"


async def cohort_run(request: Request) -> Response:
    state: State = request.app.state.s
    await checked_form(request, 64 * 1024)
    job = state.cohorts.get(request.path_params["id"])
    if job is None:
        return PlainTextResponse("no such cohort", status_code=404)
    if job.state == "ready":
        job.state, job.started = "running", time.perf_counter()
        threading.Thread(target=_run_cohort, args=(state, job), daemon=True, name=f"cohort-{job.id}").start()
    return page(state, request, "_cohort_status.html.j2", job=job)


async def cohort_status(request: Request) -> Response:
    state: State = request.app.state.s
    job = state.cohorts.get(request.path_params["id"])
    if job is None:
        return PlainTextResponse("no such cohort", status_code=404)
    return page(state, request, "_cohort_status.html.j2", job=job)


async def cohort_file(request: Request) -> Response:
    state: State = request.app.state.s
    job = state.cohorts.get(request.path_params["id"])
    name = request.path_params["name"]
    if job is None or job.state != "done":
        return PlainTextResponse("no such cohort summary", status_code=404)
    out = job.folder / "out"
    if name == "packs.zip":
        target = job.folder / "packs.zip"
        if not target.exists():
            await run_in_threadpool(_zip_packs, out, target)
        return FileResponse(target, filename="packs.zip")
    path = inside(out, name) if name in ("cohort.csv", "cohort.xlsx", "cohort.pdf") else None
    if path is None:
        return PlainTextResponse("no such file", status_code=404)
    return FileResponse(path, filename=name)


def _zip_packs(out: Path, target: Path) -> None:
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")):
            zf.write(path, path.relative_to(out).as_posix())
    tmp.replace(target)


# -- safety -----------------------------------------------------------------------------------


class TooLarge(Exception):
    pass


async def checked_form(request: Request, limit: int) -> FormData:
    """The form of a POST, with its CSRF token checked and its size limited."""
    state: State = request.app.state.s
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLarge(f"the upload is {int(declared):,} bytes; at most {limit:,} are accepted here")
    try:
        formdata = await request.form(max_files=2, max_fields=2000, max_part_size=limit + 1)
    except Exception as exc:
        raise TooLarge(f"the form could not be read: {exc}") from None
    token = request.headers.get("x-csrf-token") or str(formdata.get("csrf") or "")
    if not hmac.compare_digest(token.encode(), state.csrf.encode()):
        raise PermissionError("the form's CSRF token is missing or wrong: reload the page")
    return formdata


async def read_upload(upload: UploadFile, limit: int, what: str) -> bytes:
    raw = await upload.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"the {what} is larger than {limit // MiB} MiB, the most accepted")
    return raw


# everything the pages load comes from this server; nothing may frame them, referrers carry nothing
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'self'; "
        b"frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Guard:
    """Every request: the token (when one is set) and a bounded body."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode())
            given = (query.get("token") or [""])[0]
            cookie = _cookie(scope, "internpack_token")
            if given and hmac.compare_digest(given.encode(), self.token.encode()):
                # the token from the printed URL: keep it in a cookie and drop it from the address bar
                rest = urlencode([(k, v) for k, vs in query.items() if k != "token" for v in vs])
                response: Response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
                response.set_cookie("internpack_token", self.token, httponly=True, samesite="strict")
                await response(scope, receive, send)
                return
            if not (cookie and hmac.compare_digest(cookie.encode(), self.token.encode())):
                await PlainTextResponse(
                    "a valid token is required: open the address internpack serve printed", status_code=403
                )(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > BODY_LIMIT:
                raise TooLarge(f"the request is larger than {BODY_LIMIT // MiB} MiB")
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, limited, with_headers)


def _cookie(scope: Scope, name: str) -> str:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return str(v)
    return ""


async def too_large(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Error: {exc}", status_code=413)


async def forbidden(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Error: {exc}", status_code=403)


async def internal_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Error: internal error: {type(exc).__name__}: {exc}", status_code=500)


async def input_error(request: Request, exc: Exception) -> Response:
    lines = exc.lines() if isinstance(exc, InternpackError) else [str(exc)]
    return PlainTextResponse("\n".join(f"Error: {line}" for line in lines), status_code=400)


# -- the app ----------------------------------------------------------------------------------


def _warm_up(state: State) -> None:
    with state.build_lock, contextlib.suppress(Exception):  # a missing font is reported by the build itself
        api.warm_up()


def allowed_hosts(config: Config) -> list[str]:
    if config.host in ("0.0.0.0", "::"):  # every address of the machine: any name may reach it, the token guards
        return ["*"]
    hosts = {"127.0.0.1", "localhost", "[::1]", config.host}
    return sorted(h for h in hosts if h not in ("0.0.0.0", "::", ""))


def create_app(config: Config) -> Starlette:
    if config.host not in ("127.0.0.1", "localhost", "::1") and not config.token:
        raise InputError(
            "serving on another address than 127.0.0.1 needs --token SECRET",
            hint="anyone who can reach the address could otherwise read and build placements",
        )
    if config.data is not None:
        config.data.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="internpack-serve-"))
    state = State(config, work)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # the same warm-up as the CLI's build, done once while the user reads the first page
        threading.Thread(target=_warm_up, args=(state,), daemon=True, name="warm-up").start()
        try:
            yield
        finally:
            shutil.rmtree(work, ignore_errors=True)

    routes = [
        Route("/", start),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/interview", interview),
        Route("/open", open_upload, methods=["POST"]),
        Route("/check", check, methods=["POST"]),
        Route("/save", save, methods=["POST"]),
        Route("/store", store, methods=["POST"]),
        Route("/logo", logo, methods=["POST"]),
        Route("/logo/{name}", logo_image),
        Route("/upload/{kind}", upload_file, methods=["POST"]),
        Route("/build", build, methods=["POST"]),
        Route("/pack/{id}/zip", pack_zip),
        Route("/pack/{id}/file/{rel:path}", pack_file),
        Route("/cohort", cohort_page),
        Route("/cohort", cohort_upload, methods=["POST"]),
        Route("/cohort/{id}/run", cohort_run, methods=["POST"]),
        Route("/cohort/{id}/status", cohort_status),
        Route("/cohort/{id}/file/{name}", cohort_file),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        TooLarge: too_large,
        PermissionError: forbidden,
        InternpackError: input_error,
        Exception: internal_error,
    }
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(config)),
            Middleware(Guard, token=config.token),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.s = state
    return app
