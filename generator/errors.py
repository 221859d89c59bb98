"""User-facing errors: one type, turned into an exit status and clean lines in exactly one place (cli.py)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ECHO = 80  # characters of a value echoed in a message


def shown(value: object, limit: int = ECHO) -> str:
    """A value as a message quotes it (repr: control characters escaped), cut to ``limit`` characters
    with "…" (a 1,500-character value does not fill the terminal)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str) -> str:
    """``text`` with control characters escaped (\\x1b...), for file names a message prints: a file name may
    hold any byte but a newline or an escape sequence must not reach the terminal as such."""
    if all(unicodedata.category(ch) != "Cc" for ch in text):
        return text
    return "".join(repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch for ch in text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, how to fix it."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = printable(self.file) + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        text = where + (f"{printable(self.path)}: " if self.path else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InternpackError(Exception):
    """Base of every error shown to the user without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        return [self.message + (f" ({self.hint})" if self.hint else "")]


class InputError(InternpackError):
    """Bad input or usage: every problem listed, exit status 2, nothing written."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str, hint: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, hint=hint)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class RulesDataError(InternpackError):
    """The packaged rules data is broken (a developer error, reported cleanly)."""


class RenderError(InternpackError):
    """A document could not be rendered."""
