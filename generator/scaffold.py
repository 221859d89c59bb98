"""`internpack init`: a commented placement file that passes `check` as written."""

from __future__ import annotations

from pathlib import Path

from generator.errors import InputError
from generator.resources import template_path


def write_placement(path: Path, route: str, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise InputError(f"{path} already exists", hint="use --force to replace it, or give another file name")
    text = template_path("init", f"placement-{route}.yaml").read_text(encoding="utf-8")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path} cannot be written: {exc.strerror}") from exc
