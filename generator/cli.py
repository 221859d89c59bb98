"""Commands only: parse options, call one library function, print. Errors become exit statuses here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import InternpackError

FORMATS = ("docx", "pdf")


class _Group(click.Group):
    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args  # accepted anywhere on the line
        args = [a for a in args if a != "--debug"]
        from generator.process import terminate_like_interrupt, terminated

        terminate_like_interrupt()  # SIGTERM is handled like Ctrl-C: nothing partial stays, exit status 143
        try:
            return super().main(args, *rest, standalone_mode=False, **kwargs)  # type: ignore[call-overload]
        except click.exceptions.Abort:
            click.echo(("Terminated" if terminated() else "Aborted") + ": nothing more was written.", err=True)
            sys.exit(143 if terminated() else 130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except InternpackError as exc:
            for line in exc.lines():
                click.echo(f"Error: {line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(("Terminated" if terminated() else "Interrupted") + ": nothing more was written.", err=True)
            sys.exit(143 if terminated() else 130)
        except Exception as exc:  # the one place an unexpected error becomes a clean line
            if debug:
                raise
            click.echo(f"Error: internal error: {type(exc).__name__}: {exc} (run again with --debug)", err=True)
            sys.exit(1)


def _today_option(f: Any) -> Any:
    return click.option(
        "--today",
        metavar="DATE",
        help="Reference date YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today).",
    )(f)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="internpack")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error (anywhere on the line).")
def cli(debug: bool) -> None:
    """Assess the S2 and X1 internship routes for a foreign student in China and draft the document pack.

    \b
    internpack init placement.yaml          a commented placement file to fill in
    internpack check placement.yaml         both routes: verdicts, findings, checklist, deadlines
    internpack build placement.yaml -o out  the pack: letters (DOCX + PDF), checklist, calendar
    internpack batch cohort.xlsx -o out     one pack per student of a cohort
    internpack rules                        the rules data and its sources
    internpack serve                        the same in the browser: the interview, live check, build
    internpack templates export my-letters  the letters' wording to edit (build --templates my-letters)
    internpack lint-template letterhead.docx  a letterhead or letter templates checked before a build
    """


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="placement.yaml")
@click.option(
    "--route",
    type=click.Choice(["s2", "x1"]),
    default="x1",
    show_default=True,
    help="Which route the example is filled in for.",
)
@click.option(
    "--cohort",
    "cohort",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instead: write an empty cohort sheet (.csv or .xlsx) with every column and one example row.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, route: str, cohort: Path | None, force: bool) -> None:
    """Write a commented placement file (or a cohort sheet) to fill in.

    \b
    Example:
      internpack init lotte.yaml --route s2
      internpack init --cohort cohort.xlsx
    """
    if cohort is not None:
        from generator.cohort import write_cohort_template

        write_cohort_template(cohort, force=force)
        click.echo(f"Wrote {cohort}: one row per student, then run: internpack batch {cohort} -o out")
        return
    from generator.scaffold import write_placement

    write_placement(path, route, force=force)
    click.echo(f"Wrote {path}: fill it in, then run: internpack check {path}")


@cli.command()
@click.argument("placement", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_today_option
def check(placement: Path, fmt: str, today: str | None) -> None:
    """Validate a placement file and assess both routes.

    \b
    Example:
      internpack check samples/s2-shanghai.yaml --today 2026-12-01
      internpack check samples/x1-fudan.yaml --format json
    """
    from generator.api import check_file

    result = check_file(placement, today)
    _warn_examples(result.source)
    if fmt == "json":
        click.echo(json.dumps(result.report, ensure_ascii=False, indent=2))
    else:
        click.echo(result.text(), nl=False)


def _warn_examples(source: Any, most: int = 6) -> None:
    """Warn (stderr) about values still equal to the examples of `internpack init`, a few per field."""
    from generator.api import example_values

    warnings = example_values(source)
    for w in warnings[:most]:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    if len(warnings) > most:
        click.secho(f"Warning: and {len(warnings) - most} more fields still hold example values", fg="yellow", err=True)


def _parse_formats(value: str) -> tuple[str, ...]:
    parts = tuple(sorted({v.strip().lower() for v in value.split(",") if v.strip()}))
    bad = [v for v in parts if v not in FORMATS]
    if bad or not parts:
        raise click.BadParameter(f"{value!r}: use docx, pdf or docx,pdf", param_hint="--format")
    return parts


def _parse_lang(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    langs = tuple(v for v in value.replace(",", "+").split("+") if v)
    if not langs or any(v not in ("en", "zh") for v in langs):
        raise click.BadParameter(f"{value!r}: use en, zh or en+zh", param_hint="--lang")
    return langs


def _templates_option(f: Any) -> Any:
    return click.option(
        "--templates",
        "templates_dir",
        type=click.Path(path_type=Path),
        help="Folder of letter templates (internpack templates export) used in place of the built-in ones.",
    )(f)


def build_options(f: Any) -> Any:
    """The options `build` and `batch` share."""
    for opt in reversed(
        [
            click.option(
                "--route",
                type=click.Choice(["auto", "s2", "x1", "both"]),
                help="Which route's pack to build (default: the file's `route`, else auto).",
            ),
            click.option("--lang", help="Letter languages: en, zh or en+zh (default: the file's `languages`)."),
            click.option("--format", "formats", default="docx,pdf", show_default=True, help="docx, pdf or docx,pdf."),
            click.option("--force", is_flag=True, help="Replace an existing pack."),
            click.option(
                "--allow-blanks",
                is_flag=True,
                help="Print missing fields as highlighted [field.path] placeholders instead of stopping.",
            ),
        ]
    ):
        f = opt(f)
    return f


@cli.command()
@click.argument("placement", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder the pack is written into (as OUT/<slug>/).",
)
@build_options
@click.option("--zip", "zip_", is_flag=True, help="Also write OUT/<slug>.zip.")
@_templates_option
@_today_option
def build(
    placement: Path,
    out: Path,
    route: str | None,
    lang: str | None,
    formats: str,
    force: bool,
    allow_blanks: bool,
    zip_: bool,
    templates_dir: Path | None,
    today: str | None,
) -> None:
    """Build the document pack of a placement: letters (DOCX + PDF), checklist, calendar, merged PDF.

    \b
    Example:
      internpack build samples/s2-shanghai.yaml -o out --route both
      internpack build samples/x1-fudan.yaml -o out --lang en+zh --zip
      internpack build samples/s2-shanghai.yaml -o out --templates my-letters
    """
    from generator.api import build_file, read_placement

    outcome = build_file(
        placement,
        out,
        route=route,
        lang=_parse_lang(lang),
        formats=_parse_formats(formats),
        zip_=zip_,
        force=force,
        allow_blanks=allow_blanks,
        today=today,
        templates=templates_dir,
    )
    for note in outcome.notes:
        click.secho(note, fg="red", bold=True, err=True)
    _warn_examples(read_placement(placement))
    click.echo(
        f"Built {', '.join(r.upper() for r in outcome.routes)} pack in {outcome.folder}/ "
        f"({len(outcome.files)} files)" + (f" and {outcome.zip_path}" if outcome.zip_path else "")
    )
    blanks = outcome.report.get("blanks", [])
    untranslated = outcome.report.get("untranslated", [])
    if blanks:
        click.echo(f"  {len(blanks)} placeholder(s) printed for missing fields: see report.json 'blanks'")
    if untranslated:
        click.echo(
            f"  {len(untranslated)} Chinese text(s) marked 【待译】 (no _zh field): see report.json 'untranslated'"
        )


@cli.command()
@click.argument("cohort", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder the packs and the cohort summary are written into.",
)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: the number of cores).")
@build_options
@click.option("--zip", "zip_", is_flag=True, help="Also write one OUT/<folder>.zip per student, for e-mail.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse rows whose letters lack fields (unless --allow-blanks) or that have no route, and exit 2.",
)
@click.option("--summary-only", is_flag=True, help="Refresh the cohort overview and to-do lists; touch no pack.")
@click.option("--prune", is_flag=True, help="Remove the pack folders in OUT that no row produces any more.")
@click.option(
    "--dates",
    type=click.Choice(["iso", "dmy"]),
    default="iso",
    show_default=True,
    help="How the sheet writes dates as text: YYYY-MM-DD, or day/month/year (01/03/2027, 1.3.2027).",
)
@_templates_option
@_today_option
def batch(
    cohort: Path,
    out: Path,
    jobs: int | None,
    route: str | None,
    lang: str | None,
    formats: str,
    force: bool,
    allow_blanks: bool,
    zip_: bool,
    strict: bool,
    summary_only: bool,
    prune: bool,
    dates: str,
    templates_dir: Path | None,
    today: str | None,
) -> None:
    """Build one pack per placement of a cohort: a folder of placement files, or a CSV/XLSX sheet.

    Every row that reads gets its pack and a status: ready, draft (letters with placeholders for missing
    fields), route ineligible, no route, or sheet error. Unchanged packs are kept across runs and days
    (--force rebuilds them). The overview goes to OUT/cohort.csv, .xlsx, .pdf, .ics and OUT/todo/.
    Exit status 0: every row read; 2: some rows could not be read (--strict: some rows refused).

    \b
    Example:
      internpack batch cohort.xlsx -o out --jobs 2
      internpack batch placements/ -o out --route x1 --today 2026-12-01
      internpack batch export.csv -o out --dates dmy --summary-only
      internpack batch cohort.xlsx -o out --templates my-letters
    """
    from generator.batch import run_batch
    from generator.pack import BuildOptions

    opts = BuildOptions(
        route=route or "",
        languages=_parse_lang(lang) or (),
        formats=_parse_formats(formats),
        allow_blanks=allow_blanks,
        zip=zip_,
        templates=str(templates_dir) if templates_dir else None,
    )
    outcome = run_batch(
        cohort,
        out,
        opts,
        jobs=jobs,
        today=today,
        force=force,
        strict=strict,
        summary_only=summary_only,
        prune=prune,
        dates=dates,
    )
    if outcome.interrupted:
        from generator.process import terminated

        click.echo(
            ("Terminated" if terminated() else "Interrupted") + ": finished packs are kept, no partial pack was left.",
            err=True,
        )
        sys.exit(143 if terminated() else 130)
    for line in outcome.summary_lines():
        click.echo(line)
    for line in outcome.message_lines():
        click.echo(line, err=True)
    sys.exit(outcome.exit_code)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """Show the rules data in force: pilot regions, thresholds, sources and rules_version.

    \b
    Example:
      internpack rules --format json
    """
    from generator.rules.describe import rules_json, rules_text

    click.echo(json.dumps(rules_json(), ensure_ascii=False, indent=2) if fmt == "json" else rules_text(), nl=False)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on (default: a free one).")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the placements (and logos) are kept in as files, listed on the start page.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (another needs --token).")
@click.option("--token", help="Secret every request must carry (printed in the URL); required with another --host.")
@_today_option
def serve(port: int, data: Path | None, no_browser: bool, host: str, token: str | None, today: str | None) -> None:
    """Start the local web app: the interview, the live assessment, build and download, cohorts.

    Offline and local: it listens on 127.0.0.1 only unless --host and --token are given. Ctrl-C stops it.

    \b
    Example:
      internpack serve
      internpack serve --data ~/placements --port 8765
      internpack serve --host 192.0.2.10 --token "$(openssl rand -hex 16)" --no-browser
    """
    from generator.web.serve import serve as run

    run(host=host, port=port, data=data, token=token, today=today, browser=not no_browser)


@cli.command("lint-template")
@click.argument("target", type=click.Path(path_type=Path))
def lint_template(target: Path) -> None:
    """Check a letterhead .docx or .pdf, a letter template or a folder of them before a build uses it.

    Zip hygiene and no macros, altChunk or external links for a .docx; for every template (each DOCX header,
    footer and body): sandbox, no include/import/extends, every field it names must exist; then one render.
    A stationery .pdf (host.stationery): one A4 page, fonts embedded, no CMYK, as a build checks it.

    \b
    Example:
      internpack lint-template letterhead.docx
      internpack lint-template letterhead.pdf
      internpack lint-template my-letters/
    """
    from generator.api import lint_template as run
    from generator.errors import InputError

    problems = run(target, str(target))
    if problems:
        raise InputError(problems)
    click.echo(f"{target}: OK")


@cli.group()
def templates() -> None:
    """The letters' wording templates: export them, edit the copy, build with --templates DIR.

    \b
    Example:
      internpack templates export my-letters
      internpack build placement.yaml -o out --templates my-letters
    """


@templates.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty (overwrites same-named files).")
def templates_export(folder: Path, force: bool) -> None:
    """Copy the built-in letter templates (templates/letters/) into FOLDER, to edit and use with --templates.

    \b
    Example:
      internpack templates export my-letters
    """
    from generator.api import export_templates

    written = export_templates(folder, force=force)
    click.echo(f"Wrote {len(written)} templates to {folder}")


def main() -> None:
    cli(prog_name="internpack")


__all__ = ["cli", "main"]
