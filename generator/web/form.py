"""The interview form, generated from the placement model's JSON schema and the wording in fields.yaml
(labels, choice labels, when a part applies, the files it uploads) plus the help texts and examples of
`internpack init`'s files.

The form only asks and carries values: form data becomes the same plain data (str/list/dict) the loader reads
from a file, and the real `check` judges it."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator import api

ADMITTED = "_admitted"  # the question that is not a field: is there a Chinese university yet?
LISTS = "_lists"  # marks a checkbox list that was on the form (so none ticked means an empty list)


@dataclass(frozen=True)
class Field:
    path: str
    zh: str
    en: str
    kind: str  # text | textarea | lines | date | number | select | checkboxes | logo | file
    required: bool = False
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, 中文, English)
    default: Any = None
    help: str = ""
    example: str = ""
    accept: str = ""  # a file's suffix (kind file)
    upload: tuple[str, ...] = ()  # the upload button's words (kind file): 中文, English

    @property
    def id(self) -> str:
        return "f-" + self.path

    @property
    def key(self) -> str:
        """The last part of the path: for a logo or a file, the name of its upload and of its hidden field."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def error_id(self) -> str:
        return "e-" + self.path


@dataclass(frozen=True)
class Group:
    path: str
    zh: str
    en: str
    items: tuple[Field | Group, ...]
    when: dict[str, Any] | None = None
    help: str = ""

    @property
    def id(self) -> str:
        return "g-" + self.path


@dataclass(frozen=True)
class Section:
    id: str
    zh: str
    en: str
    items: tuple[Field | Group, ...]
    when: dict[str, Any] | None = None
    fields: tuple[str, ...] = field(default=())


@functools.cache
def wording() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((Path(__file__).parent / "fields.yaml").read_text(encoding="utf-8"))
    return data


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The node without its null alternative and $ref, and whether null was allowed."""
    nullable = False
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(node["anyOf"])
        node = {**options[0], **{k: v for k, v in node.items() if k != "anyOf"}}
    if "$ref" in node:
        ref = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        node = {**ref, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, nullable


def _choices(values: Iterable[str], path: str) -> tuple[tuple[str, str, str], ...]:
    names = {**wording()["choices"], **wording()["choices_for"].get(path, {})}
    return tuple((v, *names.get(v, [v, v])) for v in values)


def _item(schema: dict[str, Any], path: str, node: dict[str, Any], required: bool) -> Field | Group:
    words = wording()
    zh, en = words["labels"].get(path, [path, path])
    example, comment = api.init_notes().get(path, ("", ""))
    comment = comment.replace("\n", " ") or words["uploads"].get(path, {}).get("help", "")
    node, _ = _resolve(schema, node)
    if node.get("type") == "object" or "properties" in node:
        must = set(node.get("required", ()))
        items = tuple(_item(schema, f"{path}.{k}", v, k in must) for k, v in node["properties"].items())
        return Group(path, zh, en, items, words["when"].get(path), comment)
    default = node.get("default")
    choices: tuple[tuple[str, str, str], ...] = ()
    upload = words["uploads"].get(path, {})  # a file the form uploads
    if path == "host.logo":
        kind, choices = "logo", ()
    elif upload:
        kind, choices = "file", ()
    elif node.get("type") == "array":
        enum = node.get("items", {}).get("enum")
        kind, choices = ("checkboxes", _choices(enum, path)) if enum else ("lines", ())
    elif "enum" in node:
        kind, choices = "select", _choices(node["enum"] if required or default else ["", *node["enum"]], path)
    elif node.get("format") == "date":
        kind, choices = "date", ()
    elif node.get("type") in ("number", "integer"):
        kind, choices = "number", ()
    else:
        kind, choices = ("textarea" if path in words["multiline"] else "text"), ()
    button = (upload["zh"], upload["en"]) if upload else ()
    return Field(path, zh, en, kind, required, choices, default, comment, example, upload.get("accept", ""), button)


@functools.cache
def sections() -> tuple[Section, ...]:
    schema = api.placement_schema()
    must = set(schema.get("required", ()))
    words = wording()
    out = []
    for s in words["sections"]:
        items = tuple(_item(schema, name, schema["properties"][name], name in must) for name in s["fields"])
        # a section that is one sub-object shows that object's fields directly
        if len(items) == 1 and isinstance(items[0], Group):
            items = items[0].items
        out.append(Section(s["id"], s["zh"], s["en"], items, words["when"].get(s["id"]), tuple(s["fields"])))
    return tuple(out)


def fields() -> Iterable[Field]:
    def walk(items: Iterable[Field | Group]) -> Iterable[Field]:
        for item in items:
            if isinstance(item, Group):
                yield from walk(item.items)
            else:
                yield item

    for s in sections():
        yield from walk(s.items)


def uploads() -> list[Field]:
    """The fields naming a file the form uploads (the logo, the letterhead, the stationery)."""
    return [f for f in fields() if f.kind in ("logo", "file")]


def applies(when: dict[str, Any] | None, values: dict[str, Any]) -> bool:
    if when is None:
        return True
    value = values.get(when["field"])
    if when.get("given"):
        return bool(str(value or "").strip())
    if value is None and when["field"] == "expenses.paid_by":
        value = "host"  # the model's default
    return value in when["in"]


# -- form data <-> placement data ---------------------------------------------------------------


def values_of_form(form: Any) -> dict[str, Any]:
    """The raw values of a submitted form (a Starlette FormData or a dict of lists), by field path."""

    def get_list(name: str) -> list[str]:
        got = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
        return [v for v in got if isinstance(v, str)]

    marked = set(get_list(LISTS))
    values: dict[str, Any] = {ADMITTED: (get_list(ADMITTED) or ["no"])[0]}
    for f in fields():
        if f.kind == "checkboxes":
            if f.path in marked:
                values[f.path] = get_list(f.path)
            continue
        got = get_list(f.path)
        text = got[0].replace("\r\n", "\n").replace("\r", "\n") if got else ""
        if f.kind == "lines":
            lines = [line.strip() for line in text.split("\n") if line.strip()]
            if lines:
                values[f.path] = lines
        elif text.strip():
            values[f.path] = text
    return values


def placement_data(values: dict[str, Any]) -> dict[str, Any]:
    """Field values → the nested data of a placement file (empty parts and parts that do not apply left out)."""

    def build(items: Iterable[Field | Group]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items:
            key = item.path.rsplit(".", 1)[-1]
            if isinstance(item, Group):
                if applies(item.when, values) and (sub := build(item.items)):
                    out[key] = sub
            elif item.path in values:
                out[item.path.rsplit(".", 1)[-1]] = values[item.path]
        return out

    data: dict[str, Any] = {}
    for s in sections():
        if not applies(s.when, values):
            continue
        part = build(s.items)
        if len(s.fields) == 1 and s.fields[0] not in part and part:
            data[s.fields[0]] = part  # the section is one sub-object: its fields go under its name
        else:
            data.update(part)
    return data


def values_of_data(data: dict[str, Any]) -> dict[str, Any]:
    """A placement's data (as read from a file) → field values for the form."""
    values: dict[str, Any] = {ADMITTED: "yes" if data.get("china_university") else "no"}
    data = api.texts_as_mappings(data)  # a name given as 'Chen Hao (陈浩)' shows in its two fields
    for f in fields():
        value: Any = data
        for part in f.path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        if f.kind in ("checkboxes", "lines"):
            values[f.path] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        elif isinstance(value, str | int | float):
            values[f.path] = str(value)
    return values


def defaults() -> dict[str, Any]:
    """The values an empty form starts with: the model's defaults."""
    values: dict[str, Any] = {ADMITTED: "no"}
    for f in fields():
        if f.default not in (None, [], ""):
            values[f.path] = [str(v) for v in f.default] if isinstance(f.default, list) else str(f.default)
    return values


def shown(values: dict[str, Any], path: str) -> str:
    """A field's value as the form shows it."""
    value = values.get(path)
    if isinstance(value, list):
        return "\n".join(value)
    return "" if value is None else str(value)


def field_of_problem(path: str | None) -> str | None:
    """The form field a problem's path points at (a list entry points at its list), or None."""
    if not path:
        return None
    known = {f.path for f in fields()}
    parts = path.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts = parts[:-1]
    return None
