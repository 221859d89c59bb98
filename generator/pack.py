"""The pack (spec/cli.md): render each document once, write everything to a temporary folder inside OUT,
then swap it into place (outdir.py). A failed build leaves nothing behind; an existing pack is never
half-replaced; two builds of one pack never both write it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import __version__, outdir
from generator.calendar import deadlines_ics
from generator.compose import Composition, compose
from generator.errors import InputError, InternpackError, Problem
from generator.process import Renderers, can_fork, collected_once, default_renderers, in_forked_processes, warm_up
from generator.result import CheckResult
from generator.stationery import Stationery

FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class BuildOptions:
    route: str = "auto"  # auto | s2 | x1 | both (None: the file's own `route`)
    languages: tuple[str, ...] = ("en", "zh")
    formats: tuple[str, ...] = FORMATS
    zip: bool = False
    force: bool = False
    allow_blanks: bool = False
    templates: str | None = None  # --templates DIR (before the placement's own `templates:`)

    def manifest_options(self, routes: list[str]) -> dict[str, Any]:
        return {
            "route": self.route,
            "routes": routes,
            "languages": list(self.languages),
            "formats": sorted(self.formats),
            "zip": self.zip,
            "allow_blanks": self.allow_blanks,
        }


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    routes: list[str]
    files: list[str]
    zip_path: Path | None
    report: dict[str, Any]
    notes: list[str]


def routes_to_build(result: CheckResult, route: str) -> list[str]:
    a = result.assessment
    if route == "both":
        return ["s2", "x1"]
    if route in ("s2", "x1"):
        return [route]
    if a.recommended_route is None:
        raise InputError(
            "no route is recommended: both are ineligible ("
            + "; ".join(
                f"{r.upper()}: " + ", ".join(f.code for f in a.routes[r].findings if f.severity == "block")
                for r in ("s2", "x1")
            )
            + ")",
            hint="fix what the BLOCK findings name (internpack check), "
            "or build a route by name with --route s2|x1|both",
        )
    return [a.recommended_route]


def render_files(
    comp: Composition,
    result: CheckResult,
    opts: BuildOptions,
    routes: list[str],
    renderers: Renderers,
    jobs: int = 1,
) -> dict[str, bytes]:
    """Every file of the pack as bytes, keyed by its path inside the pack folder.

    With ``jobs`` > 1 each route's PDFs render in a forked process (each lays out its documents once and
    merges its own pack.pdf from those pages) while this process writes the DOCX files."""
    work = [(route, n == 0) for n, route in enumerate(routes)]
    files: dict[str, bytes] = {}
    warm_up(renderers, opts.formats, comp.logo)  # before any fork: the children share what it set up
    if jobs > 1 and "pdf" in opts.formats and can_fork():

        def pdfs(w: tuple[str, bool]) -> dict[str, bytes]:
            return _pdf_files(comp, result, opts, w[0], w[1], renderers)

        def docx() -> None:
            for route in routes:
                files.update(_docx_files(comp, result, opts, route))

        for route_pdfs in in_forked_processes(pdfs, work, jobs, meanwhile=docx):
            files.update(route_pdfs)
    else:
        for route, first in work:
            files.update(_docx_files(comp, result, opts, route))
            files.update(_pdf_files(comp, result, opts, route, first, renderers))
    return files


def _docx_files(comp: Composition, result: CheckResult, opts: BuildOptions, route: str) -> dict[str, bytes]:
    if "docx" not in opts.formats:
        return {}
    from generator.render.docx import render_docx

    images = {comp.logo.resolve().as_uri(): comp.logo} if comp.logo else {}
    return {
        f"{route}/{page.id}.docx": render_docx(
            page.html,
            footer_ref=page.footer_ref,
            title=page.title,
            images=images,
            day=result.assessment.reference_date,
            letterhead=comp.letterhead if page.fields is not None else None,
            fields=page.fields,
        )
        for page in comp.routes[route]
        if page.docx
    }


def _pdf_files(
    comp: Composition, result: CheckResult, opts: BuildOptions, route: str, with_summary: bool, renderers: Renderers
) -> dict[str, bytes]:
    """The route's PDFs (and its calendar). Each document is laid out once; the pages are merged and
    painted once into the pack (WeasyPrint, PDF/A, shared fonts); the separate PDFs are cut from it and
    the pack-wide folios drawn over it."""
    from generator.render.html import number_contents
    from generator.render.pdf import Underlay, folios, overlay_folios, read, split, stationery_css

    a = result.assessment
    files: dict[str, bytes] = {
        f"{route}/deadlines.ics": deadlines_ics(
            a.routes[route],
            slug=comp.slug,
            student=result.placement.student.full_name,
            reference_date=a.reference_date,
        )
    }
    if "pdf" not in opts.formats:
        return files
    pdf = renderers.pdf(comp.logo)
    pages = comp.routes[route]
    st = comp.stationery
    on_stationery = stationery_css(st.margins) if st else None
    order = [pages[0], comp.summary, *pages[1:]]  # cover, summary, checklist, letters
    names = ["", "summary.pdf" if with_summary else "", *(f"{route}/{p.id}.pdf" for p in pages[1:])]
    # the cover (one page) last: its contents give the page each document starts on
    rest = [
        pdf.render(page.html, f"{route}/{page.id}", extra=on_stationery if page.fields is not None else None)
        for page in order[1:]
    ]
    cover_html = number_contents(order[0].html, [len(doc.pages) for doc in rest])
    documents = [pdf.render(cover_html, f"{route}/{order[0].id}"), *rest]
    merged = pdf.merge(documents)
    merged.metadata.title = f"Internship pack {route.upper()} — {result.placement.student.full_name}"
    plain = pdf.write(merged)
    parts, targets, labels, first, under = [], [], [], 0, []
    for page, doc, name in zip(order, documents, names, strict=True):
        if st and page.fields is not None:  # a host letter: its first page on the host's stationery
            under.append(first)
        if name:
            marks = [label for page in doc.pages for _level, label, _target, _state in page.bookmarks]
            parts.append((first, len(doc.pages), doc.metadata, marks[0] if marks else ""))
            targets.append(name)
        labels += [page.title.split(" — ")[0]] * len(doc.pages)
        first += len(doc.pages)
    reader = read(plain, Underlay(st.data, frozenset(under)) if st else None)
    files.update(zip(targets, split(plain, parts, reader), strict=True))
    raised = {n: float(st.margins.bottom) for n in under} if st else None
    files[f"{route}/pack.pdf"] = overlay_folios(plain, folios(pdf, labels, raised), reader)
    return files


def manifest_inputs(result: CheckResult, opts: BuildOptions, routes: list[str], placement_dir: Path) -> dict[str, Any]:
    """Everything a pack is made from: the same inputs give the same files (batch keeps such a pack)."""
    return {
        "tool_version": __version__,
        "rules_version": result.assessment.rules_version.isoformat(),
        "reference_date": result.assessment.reference_date.isoformat(),
        "placement": {"file": result.source.name, "sha256": result.source.sha256},
        "options": opts.manifest_options(routes),
        "inputs": input_files(result, opts, placement_dir),
    }


HOST_FILES = ("logo", "letterhead", "stationery")  # host fields naming a file beside the placement
_MAX_HASHED = 256 * 1024 * 1024  # far above what a build accepts (a logo 5 MiB, a letterhead 10 MiB)


def input_files(result: CheckResult, opts: BuildOptions, placement_dir: Path) -> list[dict[str, Any]]:
    """The files beside the placement a build reads, resolved as the build resolves them, with their sha256:
    the host's logo, Word letterhead and stationery, and the letter templates of the templates folder
    (--templates, else the placement's `templates:`) that replace built-in ones. Never raises: a file that
    is missing, outside the placement's folder or not a regular file gets sha256 null (the build itself
    refuses it, naming the field)."""
    entries: list[dict[str, Any]] = []
    for name in HOST_FILES:
        value = getattr(result.placement.host, name)
        if value:
            path = _beside(str(value), placement_dir)
            entries.append({"field": f"host.{name}", "file": str(value), "sha256": _sha256(path)})
    if opts.templates:
        folder: Path | None = Path(opts.templates)
        shown = opts.templates
    elif result.placement.templates:
        folder, shown = _beside(result.placement.templates, placement_dir), result.placement.templates
    else:
        return entries
    from generator.templatelint import builtin_letters

    builtin = builtin_letters()
    try:
        letters = [p for p in sorted(folder.iterdir()) if p.name in builtin] if folder else None
    except OSError:
        letters = None
    if letters is None:
        entries.append({"field": "templates", "file": shown, "sha256": None})
    else:
        entries += [{"field": "templates", "file": p.name, "sha256": _sha256(p)} for p in letters]
    return entries


def _beside(name: str, placement_dir: Path) -> Path | None:
    """``name`` relative to the placement's folder, or None outside it (templatelint.beside_placement, quietly)."""
    try:
        path = Path(placement_dir / name).resolve(strict=False)
        return path if path.is_relative_to(placement_dir.resolve()) else None
    except (OSError, RuntimeError, ValueError):
        return None


def _sha256(path: Path | None) -> str | None:
    """A regular file's sha256, else None (a letter template that is a symbolic link: the build refuses it)."""
    if path is None:
        return None
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_HASHED:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except (OSError, ValueError):
        return None


def manifest(files: dict[str, bytes], inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        **inputs,
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for path, data in sorted(files.items())
        ],
    }


def build(
    result: CheckResult,
    out: Path,
    opts: BuildOptions,
    *,
    placement_dir: Path,
    renderers: Renderers | None = None,
    folder_name: str | None = None,
    jobs: int = 1,
) -> BuildResult:
    routes = routes_to_build(result, opts.route)
    # hashed before the build reads them: a file changed meanwhile makes the next batch rebuild the pack
    inputs = manifest_inputs(result, opts, routes, placement_dir)
    if "pdf" in opts.formats:
        from generator import fonts

        if missing := fonts.missing_families():
            raise InternpackError(
                f"the fonts {', '.join(missing)} are not installed, so the PDFs cannot draw Chinese text",
                hint=f"install the Debian packages {' '.join(fonts.DEBIAN_PACKAGES)} (bash scripts/setup.sh does), "
                "or build with --format docx",
            )
    letters, used = _letter_templates(result, opts, placement_dir)  # linted first: exit 2, nothing written
    letterhead = _letterhead(result, placement_dir) if "docx" in opts.formats else None
    stationery = _stationery(result, placement_dir) if "pdf" in opts.formats else None
    comp = compose(
        result,
        routes=routes,
        languages=list(opts.languages),
        placement_dir=placement_dir,
        allow_blanks=opts.allow_blanks,
        templates=letters,
    )
    if letterhead:
        comp.letterhead = letterhead[1]
    comp.stationery = stationery
    name = folder_name or comp.slug
    folder = out / name
    zip_path = out / f"{name}.zip" if opts.zip else None
    from generator.report import report_dict

    report = report_dict(result.assessment, result.placement, result.source)
    report["blanks"] = comp.blanks
    report["untranslated"] = comp.untranslated
    day = result.assessment.reference_date
    # claimed before rendering: a second build of the same pack is refused at once (outdir.py)
    with outdir.claim(out, name, zip_name=zip_path.name if zip_path else None, force=opts.force) as claim:
        with collected_once():
            files = render_files(comp, result, opts, routes, renderers or default_renderers(), jobs=jobs)
        files["report.json"] = (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode()
        listed = manifest(files, inputs)
        if used:  # which letter templates came from the --templates folder, and their hashes
            listed["templates"] = [{"file": u.name, "sha256": u.sha256} for u in used]
        if letterhead:
            listed["letterhead"] = {"file": letterhead[0], "sha256": hashlib.sha256(letterhead[2]).hexdigest()}
        files["manifest.json"] = (json.dumps(listed, ensure_ascii=False, indent=2) + "\n").encode()
        outdir.write_pack(
            claim,
            files,
            zip_path.name if zip_path else None,
            lambda tmp, target: _zip_folder(tmp, name, target, day),
        )
    notes = [f"Note: {note}" for note in claim.notes]
    for route in routes:
        verdict = result.assessment.routes[route].verdict
        if verdict != "eligible":
            notes.append(
                f"WARNING: the {route.upper()} route is {verdict.upper()} — read summary.pdf before using this pack"
            )
    return BuildResult(folder, routes, sorted(files), zip_path, report, notes)


def _letter_templates(result: CheckResult, opts: BuildOptions, placement_dir: Path) -> tuple[Path | None, list[Any]]:
    """The letter templates folder (--templates, else the placement's `templates:`), linted, and what of it
    is used."""
    from generator import loader
    from generator.templatelint import beside_placement, checked_letters

    if opts.templates:
        folder, shown = Path(opts.templates), opts.templates
    elif result.placement.templates:
        where = loader.where(result.source, ("templates",), "templates")
        folder = beside_placement(result.placement.templates, placement_dir, where, what="templates folder")
        shown = result.placement.templates
    else:
        return None, []
    return folder, checked_letters(folder, shown)


def _letterhead(result: CheckResult, placement_dir: Path) -> tuple[str, bytes, bytes] | None:
    """The host's Word letterhead (`host.letterhead`): (its name, the prepared base, its bytes), linted first."""
    from generator import loader
    from generator.letterhead import prepare
    from generator.templatelint import beside_placement, lint_docx

    name = result.placement.host.letterhead
    if not name:
        return None
    where = loader.where(result.source, ("host", "letterhead"), "host.letterhead")
    path = beside_placement(name, placement_dir, where, what="letterhead")
    if path.suffix.lower() != ".docx":
        raise InputError(Problem("must be a Word .docx file", hint="save the letterhead from Word as .docx", **where))
    problems = lint_docx(path, name)
    if problems:
        raise InputError(problems)
    raw = path.read_bytes()
    return name, prepare(raw), raw


def _stationery(result: CheckResult, placement_dir: Path) -> Stationery | None:
    """The host's stationery (`host.stationery`, a one-page A4 PDF), checked (generator/stationery.py)."""
    from generator import loader
    from generator.model import StationeryMargins
    from generator.stationery import prepare_stationery

    host = result.placement.host
    if not host.stationery:
        return None
    where = loader.where(result.source, ("host", "stationery"), "host.stationery")
    return prepare_stationery(host.stationery, host.stationery_margins or StationeryMargins(), placement_dir, where)


def _zip_folder(folder: Path, name: str, target: Path, day: Any) -> None:
    from generator.render.docx import zip_stamp

    stamp = zip_stamp((day.year, day.month, day.day, 0, 0, 0))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{name}/{path.relative_to(folder).as_posix()}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())


__all__ = ["BuildOptions", "BuildResult", "Renderers", "build", "default_renderers", "warm_up"]
