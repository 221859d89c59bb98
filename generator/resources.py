"""Where the packaged templates live: inside the package when installed, beside it in a checkout."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).parent


@functools.cache
def templates_dir() -> Path:
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("internpack's templates are missing: reinstall internpack")


def template_path(*parts: str) -> Path:
    return templates_dir().joinpath(*parts)
