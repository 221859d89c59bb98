"""Placement files (YAML or JSON) → validated ``Placement``, with FILE:LINE: path: message errors.

YAML is composed into nodes (never constructed by PyYAML), so that:
- every plain scalar stays a string (``NO`` is Norway, ``0012345`` keeps its zeros), only null is null;
- every value keeps its line for error messages;
- duplicate keys are errors, and aliases are counted while expanding (an alias bomb is refused early).
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ECHO, InputError, Problem, shown

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 40
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same nodes, faster
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Source:
    """The raw data of one placement, with where each value came from."""

    name: str  # file name as shown in messages
    data: Any
    lines: dict[Loc, int]
    sha256: str
    row: int | None = None  # spreadsheet row, for cohort sheets
    columns: dict[Loc, str] | None = None  # loc -> column header, for cohort sheets

    def line_of(self, loc: Loc) -> int | None:
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


class _Budget:
    """What expanding the node tree may cost: characters of text plus a little per node (aliases count
    every time they are expanded, so a "billion laughs" file is stopped long before it fills memory)."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.problems: list[Problem] = []


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(Problem("is not valid UTF-16 text", file=name)) from exc
    if b"\x00" in raw:
        raise InputError(
            Problem("is a binary file, not a YAML or JSON placement", file=name, hint="save it as UTF-8 text")
        )
    return decode_utf8(raw, name, "save the file as UTF-8")


def decode_utf8(raw: bytes, name: str, hint: str) -> str:
    """UTF-8 text (a BOM dropped), or InputError naming the line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(f"byte 0x{raw[exc.start]:02X} is not UTF-8", file=name, line=line, hint=hint)
        ) from None


def _to_value(node: yaml.Node, loc: Loc, lines: dict[Loc, int], budget: _Budget, name: str, depth: int) -> Any:
    budget.left -= 16
    if budget.left < 0 or depth > MAX_DEPTH:
        what = "nests deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else "expands beyond 1 MiB"
        raise InputError(
            Problem(
                what.format(MAX_DEPTH=MAX_DEPTH) + " (YAML aliases or nesting); a placement file is small and flat",
                file=name,
                line=node.start_mark.line + 1,
            )
        )
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        budget.left -= len(node.value)
        if node.tag == "tag:yaml.org,2002:null" or (node.style is None and _NULL.match(node.value)):
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_to_value(n, (*loc, i), lines, budget, name, depth + 1) for i, n in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError(
                    Problem(
                        "uses a YAML merge key (<<); write the fields out",
                        file=name,
                        line=key_node.start_mark.line + 1,
                    )
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError(Problem("has a key that is not text", file=name, line=key_node.start_mark.line + 1))
            key = key_node.value
            if key in out:
                path = ".".join(str(p) for p in (*loc, key))
                budget.problems.append(
                    Problem(
                        f"duplicate key {shown(key)} (first on line {lines[(*loc, key)]})",
                        file=name,
                        line=key_node.start_mark.line + 1,
                        path=path,
                        hint="keep one of them",
                    )
                )
                continue
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _to_value(value_node, (*loc, key), lines, budget, name, depth + 1)
        return out
    raise InputError(Problem("has an unsupported YAML node", file=name))  # pragma: no cover


def is_json(name: str) -> bool:
    return name.lower().endswith(".json")


def parse_text(text: str, name: str, *, json_: bool | None = None) -> tuple[Any, dict[Loc, int]]:
    """YAML or JSON text → plain data of str/None/list/dict, and the line of each location. A .json file
    (or ``json_``) is read by a JSON parser: JSON is not quite a subset of YAML (an escaped astral
    character, ``"\\ud83d\\ude00"`` as every JSON encoder writes emoji, is refused by YAML)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if json_ if json_ is not None else is_json(name):
        return _JsonReader(text, name).document()
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise InputError(
            Problem(
                f"is not valid YAML: {what}",
                file=name,
                line=mark.line + 1 if mark else None,
                hint="check the indentation and quoting around that line",
            )
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"is not valid YAML: {exc}", file=name)) from exc
    except RecursionError as exc:
        raise InputError(Problem(f"nests deeper than {MAX_DEPTH} levels", file=name)) from exc
    if node is None:
        raise InputError(Problem("is empty", file=name, hint="run 'internpack init' for a placement to fill in"))
    lines: dict[Loc, int] = {}
    budget = _Budget(MAX_BYTES)
    data = _to_value(node, (), lines, budget, name, 0)
    if budget.problems:
        raise InputError(budget.problems)
    if not isinstance(data, dict):
        raise InputError(Problem("must be a mapping of fields (student:, host:, internship: ...)", file=name, line=1))
    return data, lines


_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_WORDS = {"true": "true", "false": "false", "null": None}


class _JsonReader:
    """A JSON document → the same plain data as the YAML reader gives (numbers and true/false as their
    text, null as None), with the line of every key and value, duplicate keys named, and the same
    budget and nesting limit. Strings are decoded by the standard library's JSON string scanner."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.lines: dict[Loc, int] = {}
        self.budget = _Budget(MAX_BYTES)

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def fail(self, pos: int, what: str) -> InputError:
        return InputError(
            Problem(
                f"is not valid JSON: {what}",
                file=self.name,
                line=self.line(pos),
                hint="check the quotes, commas and brackets around that line",
            )
        )

    def skip(self, pos: int) -> int:
        m = _JSON_WS.match(self.text, pos)
        return m.end() if m else pos

    def document(self) -> tuple[Any, dict[Loc, int]]:
        pos = self.skip(0)
        if pos == len(self.text):
            raise InputError(
                Problem("is empty", file=self.name, hint="run 'internpack init' for a placement to fill in")
            )
        data, pos = self.value(pos, (), 0)
        pos = self.skip(pos)
        if pos != len(self.text):
            raise self.fail(pos, "extra text after the end of the document")
        if self.budget.problems:
            raise InputError(self.budget.problems)
        if not isinstance(data, dict):
            raise InputError(
                Problem("must be a mapping of fields (student:, host:, internship: ...)", file=self.name, line=1)
            )
        return data, self.lines

    def string(self, pos: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, pos + 1, True)  # type: ignore[attr-defined,no-any-return]
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, exc.msg.lower()) from None

    def value(self, pos: int, loc: Loc, depth: int) -> tuple[Any, int]:
        self.budget.left -= 16
        if self.budget.left < 0 or depth > MAX_DEPTH:
            what = f"nests deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else "expands beyond 1 MiB"
            raise InputError(
                Problem(what + "; a placement file is small and flat", file=self.name, line=self.line(pos))
            )
        self.lines.setdefault(loc, self.line(pos))
        ch = self.text[pos : pos + 1]
        if ch == "{":
            return self.mapping(pos, loc, depth)
        if ch == "[":
            items: list[Any] = []
            pos = self.skip(pos + 1)
            if self.text.startswith("]", pos):
                return items, pos + 1
            while True:
                item, pos = self.value(self.skip(pos), (*loc, len(items)), depth + 1)
                items.append(item)
                pos = self.skip(pos)
                if self.text.startswith(",", pos):
                    pos += 1
                elif self.text.startswith("]", pos):
                    return items, pos + 1
                else:
                    raise self.fail(pos, "expected ',' or ']' in a list")
        if ch == '"':
            text, end = self.string(pos)
            self.budget.left -= len(text)
            return text, end
        for word, val in _JSON_WORDS.items():
            if self.text.startswith(word, pos):
                return val, pos + len(word)
        m = _JSON_NUMBER.match(self.text, pos)
        if m and m.end() > pos:
            return m.group(), m.end()
        raise self.fail(pos, "expected a value (text in double quotes, a number, true, false, null, {...} or [...])")

    def mapping(self, pos: int, loc: Loc, depth: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        pos = self.skip(pos + 1)
        if self.text.startswith("}", pos):
            return out, pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise self.fail(pos, "expected a key in double quotes")
            key_line = self.line(pos)
            key, pos = self.string(pos)
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail(pos, "expected ':' after the key")
            pos = self.skip(pos + 1)
            if key in out:
                self.budget.problems.append(
                    Problem(
                        f"duplicate key {shown(key)} (first on line {self.lines[(*loc, key)]})",
                        file=self.name,
                        line=key_line,
                        path=".".join(str(p) for p in (*loc, key)),
                        hint="keep one of them",
                    )
                )
                _, pos = self.value(pos, (*loc, f"\0dup{key}"), depth + 1)
            else:
                self.lines[(*loc, key)] = key_line
                out[key], pos = self.value(pos, (*loc, key), depth + 1)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif self.text.startswith("}", pos):
                return out, pos + 1
            else:
                raise self.fail(pos, "expected ',' or '}' after a value")


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a pipe or named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device (such as /dev/zero)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: Path, name: str, limit: int = MAX_BYTES, what: str = "a placement file") -> bytes:
    """The bytes of a regular file, at most ``limit`` of them. Anything else is refused without waiting on
    it: a FIFO is opened non-blocking and never read, /dev/zero (or a link to it) is never read at all,
    and a file that grows past the limit while read is refused too."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise InputError(Problem("does not exist", file=name)) from exc
    except OSError as exc:
        raise InputError(Problem(f"cannot be read: {exc.strerror}", file=name)) from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(Problem(f"is a folder, not {what}", file=name))
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                Problem(f"is {_kind_of(st.st_mode)}, not {what}", file=name, hint="save it to a file and give its name")
            )
        if st.st_size > limit:
            raise InputError(
                Problem(f"is {st.st_size:,} bytes; {what} may be at most {limit // 1024 // 1024} MiB", file=name)
            )
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
        if len(raw) > limit:
            raise InputError(
                Problem(f"is more than {limit:,} bytes; {what} may be at most {limit // 1024 // 1024} MiB", file=name)
            )
        return raw
    except OSError as exc:
        raise InputError(Problem(f"cannot be read: {exc.strerror}", file=name)) from exc
    finally:
        os.close(fd)


def read_source(path: Path, display: str | None = None) -> Source:
    name = display or str(path)
    raw = read_bytes(path, name)
    if not raw.strip():
        raise InputError(Problem("is empty", file=name, hint="run 'internpack init' for a placement to fill in"))
    data, lines = parse_text(_decode(raw, name), name)
    return Source(name=name, data=data, lines=lines, sha256=hashlib.sha256(raw).hexdigest())


# -- validation ---------------------------------------------------------------------------------


def _fields_at(loc: Loc) -> list[str]:
    """The valid keys of the model at ``loc`` (for 'did you mean')."""
    from pydantic import BaseModel

    from generator.model import Placement

    model: Any = Placement
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _model_of(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _message(err: dict[str, Any]) -> tuple[str, str | None]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "literal_error":
        allowed = ctx.get("expected", "").replace("'", "").replace(" or ", " | ").replace(", ", " | ")
        from generator.suggest import value as meant

        guess = meant(tuple(err.get("loc") or ()), got, allowed.split(" | "))
        if guess:
            return f"{shown(got)} is not allowed", f"did you mean {guess}? use one of: {allowed}"
        return f"{shown(got)} is not allowed", f"use one of: {allowed}"
    if kind == "missing":
        return "is required but missing", "add it"
    if kind == "date_impossible":
        return f"{shown(got)} is not a real date", "check the day and month"
    if kind == "date_range":
        return f"{shown(got)} is outside the years {ctx.get('low')} to {ctx.get('high')}", "check the year"
    if kind.startswith("date"):
        return f"{shown(got)} is not a date", "write dates as YYYY-MM-DD"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of fields", "indent the fields under it"
    if kind == "list_type":
        return "must be a list", "write [a, b] or one '- item' per line"
    if kind in ("string_type",):
        return "must be text", None
    if kind in ("int_parsing", "int_from_float", "decimal_parsing", "decimal_type", "int_type"):
        return f"{shown(got)} is not a number", None
    if kind == "too_long":
        return f"has too many entries (at most {ctx.get('max_length')})", None
    if kind == "too_short":
        return "must not be empty", None
    if kind == "string_pattern_mismatch":
        return f"{shown(got)} has the wrong form", "a currency is a 3-letter ISO code such as CNY or EUR"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])), None
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        return f"{shown(got)} is out of range ({err['msg'].lower()})", None
    return err["msg"], None


def where(source: Source, loc: Loc, path: str) -> dict[str, Any]:
    """file/line/path of a problem: a line in a file, or a row and column in a cohort sheet."""
    if source.row is not None:
        return {
            "file": source.name,
            "line": None,
            "path": f"row {source.row}, column {path}" if path else f"row {source.row}",
        }
    return {"file": source.name, "line": source.line_of(loc), "path": path or None}


_LONG_QUOTE = re.compile(rf"'[^'\n]{{{ECHO - 1},}}'|\"[^\"\n]{{{ECHO - 1},}}\"")


def problems_of(exc: Any, source: Source) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        path = ".".join(str(p) for p in loc)
        if kind == "extra_forbidden" and isinstance(loc[-1], str) and not loc[-1].strip():
            parent = ".".join(str(p) for p in loc[:-1])
            what = "an empty key ('')" if not loc[-1] else f"a blank key ({shown(loc[-1])})"
            valid = _fields_at(loc[:-1])
            out.append(
                Problem(
                    f"has {what}" + ("" if parent else " at the top level"),
                    hint="give the key its name or remove the line"
                    + (f"; valid keys here: {', '.join(valid)}" if valid else ""),
                    **where(source, loc, parent),
                )
            )
            continue
        if kind == "extra_forbidden":
            valid = _fields_at(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]!r}?" if close else (f"valid keys here: {', '.join(valid)}" if valid else None)
            )
            out.append(Problem("unknown key", hint=hint, **where(source, loc, path)))
            continue
        message, hint = _message(err)
        message = _LONG_QUOTE.sub(lambda m: m.group()[: ECHO - 1] + "…", message)  # a check quoted a huge value
        if kind == "value_error" and message.split(" ")[0] in _fields_at(loc):
            # a cross-field check of a model names the field it is about first: point at that field
            loc = (*loc, message.split(" ")[0])
            path = ".".join(str(p) for p in loc)
        out.append(Problem(message, hint=hint, **where(source, loc, path)))
    return out


def validate(source: Source) -> Any:
    """The ``Placement`` of a source, or InputError listing every problem."""
    from pydantic import ValidationError

    from generator.model import Placement

    try:
        return Placement.model_validate(source.data)
    except ValidationError as exc:
        raise InputError(problems_of(exc, source)) from None


def load(path: Path, display: str | None = None) -> tuple[Any, Source]:
    source = read_source(path, display)
    return validate(source), source
