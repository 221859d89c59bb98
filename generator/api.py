"""The library entry points the commands call (one function per command)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import loader
from generator.clock import reference_date
from generator.process import warm_up as warm_up  # the one warm-up every face uses
from generator.result import CheckResult as CheckResult
from generator.result import check_source as check_source


def check_file(path: Path, today: str | None = None) -> CheckResult:
    day = reference_date(today)  # a bad --today is reported before the file is read
    return check_source(loader.read_source(path), day.isoformat())


def build_file(
    path: Path,
    out: Path,
    *,
    route: str | None = None,
    lang: tuple[str, ...] | None = None,
    formats: tuple[str, ...] = ("docx", "pdf"),
    zip_: bool = False,
    force: bool = False,
    allow_blanks: bool = False,
    today: str | None = None,
    jobs: int = 2,
) -> Any:
    from generator.pack import BuildOptions, build

    result = check_file(path, today)
    opts = BuildOptions(
        route=route or result.placement.route,
        languages=lang or tuple(result.placement.languages),
        formats=formats,
        zip=zip_,
        force=force,
        allow_blanks=allow_blanks,
    )
    return build(result, out, opts, placement_dir=path.resolve().parent, jobs=jobs)
