"""The library entry points the commands call (one function per command)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from generator import loader
from generator.clock import reference_date
from generator.errors import InputError as InputError  # what the faces catch and show
from generator.errors import InternpackError as InternpackError
from generator.errors import Problem as Problem
from generator.model import Placement
from generator.process import warm_up as warm_up  # the one warm-up every face uses
from generator.result import CheckResult as CheckResult
from generator.result import check_source as check_source
from generator.rules.data import load_rules


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
    templates: Path | None = None,
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
        templates=str(templates) if templates else None,
    )
    return build(result, out, opts, placement_dir=path.resolve().parent, jobs=jobs)


# -- what the web app needs (face-neutral: data in, results out) --------------------------------


def check_data(data: dict[str, Any], name: str = "form", today: str | None = None) -> CheckResult:
    """Assess a placement given as plain data (str/None/list/dict, as the loader reads a file)."""
    import hashlib

    raw = placement_yaml(data).encode()
    return check_source(loader.Source(name, data, {}, hashlib.sha256(raw).hexdigest()), today)


def example_values(source: loader.Source) -> list[Problem]:
    """Fields still holding the example values of `internpack init` (warnings, not errors)."""
    from generator.examples import example_values as found

    return found(source)


def check_today(today: str | None) -> str:
    """The reference date as --today gives it (a bad one is an InputError), as YYYY-MM-DD."""
    return reference_date(today).isoformat()


def read_placement(path: Path, display: str | None = None) -> loader.Source:
    """A placement file read exactly as `check` reads it (size, encoding, YAML), not yet validated."""
    return loader.read_source(path, display)


def render_template(name: str, context: dict[str, Any]) -> str:
    """A page from templates/ through the project's one sandboxed, autoescaping environment."""
    from generator.templating import environment

    return environment().get_template(name).render(context)


def timeline_svg(result: CheckResult) -> str:
    """The summary's SVG timeline of both routes."""
    from generator.compose import _timeline

    return str(_timeline(result))


def source_titles() -> dict[str, str]:
    """Each rules source id → its title, publisher and kind, as the reports cite them."""
    return {sid: f"{s.title} ({s.kind})" for sid, s in load_rules().sources.items()}


def texts_as_mappings(data: Any, model: Any = Placement) -> Any:
    """Placement data with each part the model accepts as one text (``legal_representative: Chen Hao (陈浩)``)
    written as the mapping the model reads it as (``{name: Chen Hao, name_zh: 陈浩}``); the rest unchanged."""
    from pydantic import BaseModel, TypeAdapter, ValidationError

    from generator.loader import _model_of

    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key, field in model.model_fields.items():
        sub = _model_of(field.annotation)
        value = data.get(key)
        if sub is None or not isinstance(sub, type) or not issubclass(sub, BaseModel):
            continue
        if isinstance(value, str):
            try:
                parsed = TypeAdapter(field.annotation).validate_python(value)
            except ValidationError:
                continue
            if isinstance(parsed, BaseModel):
                out[key] = parsed.model_dump(mode="json", exclude_none=True)
        elif isinstance(value, dict):
            out[key] = texts_as_mappings(value, sub)
    return out


def placement_schema() -> dict[str, Any]:
    """The placement model's JSON schema (for forms generated from it)."""
    return Placement.model_json_schema()


def init_notes() -> dict[str, tuple[str, str]]:
    """Each field path of `internpack init`'s files → (its example value, its comment): the help texts."""
    return dict(_init_notes())


@functools.cache
def _init_notes() -> tuple[tuple[str, tuple[str, str]], ...]:
    from generator.resources import template_path

    notes: dict[str, tuple[str, str]] = {}
    for route in ("x1", "s2"):
        text = template_path("init", f"placement-{route}.yaml").read_text(encoding="utf-8")
        data, lines = loader.parse_text(text, "init")
        rows = text.splitlines()
        by_line = {n: loc for loc, n in lines.items() if loc and not isinstance(loc[-1], int)}
        for n, loc in sorted(by_line.items()):
            comment = [_comment(rows[n - 1])]
            for more in rows[n:]:  # a comment continued below it, in the comment column
                if not more.lstrip().startswith("#") or more.index("#") < 20:
                    break
                comment.append(more.strip().lstrip("#").strip())
            value = _value_at(data, loc)
            example = ", ".join(value) if isinstance(value, list) else value if isinstance(value, str) else ""
            path = ".".join(str(p) for p in loc)
            old = notes.get(path, ("", ""))
            notes[path] = (old[0] or example, old[1] or "\n".join(comment).strip())
    return tuple(notes.items())


def _comment(line: str) -> str:
    cut = re.search(r"\s#\s", line)
    return line[cut.end() :].strip() if cut and line.count('"', 0, cut.start()) % 2 == 0 else ""


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data.get(part) if isinstance(data, dict) else None
    return data


_PLAIN = re.compile(r"[^\W_][^#:\n\"'\[\]{}|>&*!%`\\]*")
_NUMBER = re.compile(r"[-+.\d][\d_.eExXoO+:-]*")  # what some YAML reader could read as a number
_SAFE_NUMBER = re.compile(r"[1-9]\d{0,8}(?:\.\d+)?|0|\d{4}-\d{2}-\d{2}")  # the same text in every reader
_NOT_PLAIN = re.compile(r"~|null|Null|NULL|.*\s|.*[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff].*", re.DOTALL)
_ENUM_ITEM = re.compile(r"[a-zA-Z0-9-]+")


def _scalar(value: Any, flow: bool = False) -> str:
    """A plain scalar where a YAML reader reads it as the same text, else a double-quoted one."""
    if value is None:
        return "null"
    text = str(value)
    plain = _PLAIN.fullmatch(text) or _SAFE_NUMBER.fullmatch(text)
    if _NUMBER.fullmatch(text) and not _SAFE_NUMBER.fullmatch(text):
        plain = None
    if plain and not _NOT_PLAIN.fullmatch(text) and not (flow and "," in text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # YAML's double-quoted style reads JSON strings
    for ch in ("\u0085", "\u2028", "\u2029", "\ufeff"):
        quoted = quoted.replace(ch, f"\\u{ord(ch):04x}")
    return quoted


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def placement_yaml(data: dict[str, Any]) -> str:
    """Placement data as the YAML file `internpack init` writes: its header, its comments where it has them."""
    from generator.resources import template_path

    head = template_path("init", "placement-x1.yaml").read_text(encoding="utf-8").split("\n\n")[0]
    notes = init_notes()
    out = [head, ""]

    def line(text: str, path: str, column: int) -> None:
        comment = notes.get(path, ("", ""))[1].split("\n")
        if not comment[0]:
            out.append(text)
            return
        pad = " " * max(column - _width(text), 1)
        out.append(f"{text}{pad}# {comment[0]}")
        out.extend(" " * (_width(text) + len(pad)) + f"# {more}" for more in comment[1:])

    def emit(value: dict[str, Any], prefix: str, indent: str) -> None:
        column = 33 if indent else 23
        for key, item in value.items():
            path = prefix + key
            if isinstance(item, dict):
                if not indent and out[-1]:
                    out.append("")
                line(f"{indent}{key}:", path, column)
                emit(item, path + ".", indent + "  ")
                if not indent:
                    out.append("")
            elif isinstance(item, list) and not all(_ENUM_ITEM.fullmatch(str(v)) for v in item):
                line(f"{indent}{key}:", path, column)
                out.extend(f"{indent}  - {_scalar(v)}" for v in item)
            elif isinstance(item, list):
                line(f"{indent}{key}: [" + ", ".join(_scalar(v, flow=True) for v in item) + "]", path, column)
            else:
                line(f"{indent}{key}: {_scalar(item)}", path, column)

    emit(data, "", "")
    return "\n".join(out).rstrip("\n") + "\n"


def build_placement(
    path: Path,
    out: Path,
    *,
    route: str | None = None,
    lang: tuple[str, ...] | None = None,
    allow_blanks: bool = False,
    today: str | None = None,
) -> Any:
    """`build PATH -o OUT --zip` with the file shown by its name only (as the CLI shows a relative path)."""
    from generator.pack import BuildOptions, build

    result = check_source(read_placement(path, path.name), today)
    opts = BuildOptions(
        route=route or result.placement.route,
        languages=lang or tuple(result.placement.languages),
        zip=True,
        allow_blanks=allow_blanks,
    )
    return build(result, out, opts, placement_dir=path.resolve().parent, jobs=2)


def cohort_rows(path: Path, today: str | None = None) -> list[Any]:
    """The rows of a cohort sheet or folder as `batch` plans them: each with its status and problems."""
    from generator.batch import plan
    from generator.cohort import read_cohort_sheet
    from generator.pack import BuildOptions

    sheet = read_cohort_sheet(path)  # with the rows whose cells cannot be used (sheet errors)
    return plan(sheet.sources, sheet.unreadable, BuildOptions(route=""), reference_date(today).isoformat(), sheet=sheet)


def run_cohort(path: Path, out: Path, *, today: str | None = None, jobs: int = 1, progress: Any = None) -> Any:
    """`batch PATH -o OUT` (the batch entry point), with a progress callback factory."""
    from generator.batch import run_batch
    from generator.pack import BuildOptions

    return run_batch(path, out, BuildOptions(route=""), jobs=jobs, today=today, force=True, progress=progress)


def lint_template(path: Path, display: str | None = None) -> list[Problem]:
    """`lint-template FILE|DIR`: the problems of a letterhead .docx, a letter template or a folder of them."""
    from generator.templatelint import lint

    return lint(path, display)


def export_templates(folder: Path, *, force: bool = False) -> list[Path]:
    """`templates export DIR`: the built-in letter wording templates copied into ``folder``."""
    from generator.templatelint import export

    return export(folder, force=force)
