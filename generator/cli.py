"""Commands only: parse options, call one library function, print. Errors become exit statuses here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from generator import __version__
from generator.errors import InputError, InternpackError

FORMATS = ("docx", "pdf")


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        debug = "--debug" in sys.argv
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted: nothing more was written.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except InternpackError as exc:
            for line in exc.lines():
                click.echo(f"Error: {line}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing more was written.", err=True)
            sys.exit(130)
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
@click.option("--debug", is_flag=True, help="Show the Python traceback of an internal error.")
def cli(debug: bool) -> None:
    """Assess the S2 and X1 internship routes for a foreign student in China and draft the document pack.

    \b
    internpack init placement.yaml          a commented placement file to fill in
    internpack check placement.yaml         both routes: verdicts, findings, checklist, deadlines
    internpack build placement.yaml -o out  the pack: letters (DOCX + PDF), checklist, calendar
    internpack batch cohort.xlsx -o out     one pack per student of a cohort
    internpack rules                        the rules data and its sources
    """


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="placement.yaml")
@click.option("--route", type=click.Choice(["s2", "x1"]), default="x1", show_default=True,
              help="Which route the example is filled in for.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, route: str, force: bool) -> None:
    """Write a commented placement file to fill in.

    \b
    Example:
      internpack init lotte.yaml --route s2
    """
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
    if fmt == "json":
        click.echo(json.dumps(result.report, ensure_ascii=False, indent=2))
    else:
        click.echo(result.text(), nl=False)


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


def main() -> None:
    cli(prog_name="internpack")


__all__ = ["InputError", "cli", "main"]
