"""`internpack lint-template`: a company's own letter wording (a folder of templates/letters/ files) or Word
letterhead checked before anything renders it.

- A DOCX: zip hygiene before python-docx opens it (file size, entry count, total uncompressed size: a zip
  bomb is refused from its directory, never inflated), no macros (vbaProject.bin, a macro-enabled content
  type), no altChunk (a foreign document imported whole), no external relationship (an image or link Word
  would fetch from the network).
- Every template (each letter file; each DOCX part: document, headers, footers, with the tags Word split
  across runs joined the way docxtpl joins them): parsed in the sandboxed environment with no loader, no
  extends; include/import only of the letters' own signature partials; every name and dotted path
  (Getattr/Getitem chains, loop variables followed) checked against the fields a real render context
  provides (contexts built by generator/context.build_context for a sample placement, both routes, never a
  hand-written list); then rendered once against those contexts, so a field a branch hides is exercised.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    nodes,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment

from generator.errors import InputError, Problem
from generator.resources import template_path, templates_dir
from generator.templating import letters_environment

MAX_DOCX_BYTES = 10 * 1024 * 1024  # a letterhead with a logo is well under 1 MB
MAX_ENTRIES = 500
MAX_UNCOMPRESSED = 60 * 1024 * 1024
MAX_TEMPLATE_BYTES = 256 * 1024
PARTIALS = ("letters/_sign.html.j2", "letters/_host_sign.html.j2")  # what a letter may import or include
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_UNKNOWN = object()  # a value the sample lacks (None): any path below it is accepted


@dataclass(frozen=True)
class Used:
    """One letter template a build used from a --templates folder."""

    name: str
    sha256: str


# -- the fields a render context provides --------------------------------------------------------------


@functools.cache
def sample_contexts() -> dict[str, list[dict[str, Any]]]:
    """Letter id -> the render contexts a build gives that letter (both routes, both languages) for the
    sample placements of `internpack init`."""
    from generator.compose import compose
    from generator.loader import read_source
    from generator.result import check_source

    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("placement-s2.yaml", "placement-x1.yaml"):
        path = template_path("init", name)
        result = check_source(read_source(path), "2026-01-05")
        contexts: list[dict[str, Any]] = []
        compose(
            result,
            routes=["s2", "x1"],
            languages=["zh", "en"],
            placement_dir=path.parent,
            allow_blanks=True,
            contexts=contexts,
        )
        for ctx in contexts:
            out.setdefault(ctx["doc"]["id"], []).append(ctx)
    return out


def docx_contexts() -> list[dict[str, Any]]:
    """What a letterhead's parts are rendered with: the host letter's context, its body and footer fields."""
    extra = {"body": "", "footer_ref": "REF/S2/INV", "pdf_title": "Invitation letter"}
    return [{**ctx, **extra} for ctxs in sample_contexts().values() for ctx in ctxs if ctx["doc"]["letterhead"]]


def _step(value: Any, key: str | int) -> Any:
    """One step of a dotted path on a real value: the child, _UNKNOWN, or KeyError when it has none."""
    if value is None:
        return _UNKNOWN
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        if isinstance(key, str) and hasattr(value, key) and not key.startswith("_"):
            return getattr(value, key)
        raise KeyError(key)
    if key == "[]":
        if isinstance(value, list | tuple):
            return list(value) or _UNKNOWN
        raise KeyError(key)
    if isinstance(key, int):
        if isinstance(value, list | tuple | str):
            return value[key] if -len(value) <= key < len(value) else _UNKNOWN
        raise KeyError(key)
    if key.startswith("_") or not hasattr(value, key):
        raise KeyError(key)
    return getattr(value, key)


def _children(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    return [a for a in dir(value) if not a.startswith("_")]


def check_path(path: list[str | int], contexts: list[dict[str, Any]]) -> tuple[str, str | None] | None:
    """None when some context provides ``path``; else (the shortest missing dotted path, what was meant)."""
    best: tuple[int, str, str | None] | None = None
    for ctx in contexts:
        values: list[Any] = [ctx]
        for depth, key in enumerate(path):
            nxt: list[Any] = []
            missing: list[Any] = []
            for v in values:
                if v is _UNKNOWN:
                    nxt.append(v)
                    continue
                try:
                    child = _step(v, key)
                except (KeyError, TypeError):
                    missing.append(v)
                    continue
                nxt.extend(child if key == "[]" and isinstance(child, list) else [child])
            if not nxt:
                shown = _dotted(path) if key != "[]" else _dotted(path[: depth + 1])
                meant = None
                if isinstance(key, str):
                    names = sorted({c for v in missing for c in _children(v)})
                    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
                    meant = _dotted([*path[:depth], close[0], *path[depth + 1 :]]) if close else None
                if best is None or depth > best[0]:
                    best = (depth, shown, meant)
                break
            values = nxt
        else:
            return None
    assert best is not None
    return best[1], best[2]


def _dotted(path: list[str | int]) -> str:
    out = ""
    for key in path:
        if key == "[]":
            out += "[]"
        elif isinstance(key, int):
            out += f"[{key}]"
        else:
            out += ("." if out else "") + key
    return out


# -- the AST walk ----------------------------------------------------------------------------------------


def _chain(node: nodes.Node) -> tuple[nodes.Node, list[str | int], list[nodes.Node]]:
    """(root, path below it, sub-expressions to walk separately) of a Getattr/Getitem chain."""
    path: list[str | int] = []
    subs: list[nodes.Node] = []
    while True:
        if isinstance(node, nodes.Getattr):
            path.insert(0, node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str | int):
                path.insert(0, arg.value)
            else:
                subs.append(arg)
                path = []  # what follows a computed index is not a fixed path
            node = node.node
        else:
            return node, path, subs


class _Walker:
    def __init__(self, contexts: list[dict[str, Any]], globals_: set[str], partials: bool) -> None:
        self.contexts = contexts
        self.globals = globals_
        self.partials = partials
        self.problems: list[tuple[int, str, str | None]] = []  # (line, message, hint)
        self.seen: set[str] = set()

    def report(self, line: int, message: str, hint: str | None = None) -> None:
        if message not in self.seen:
            self.seen.add(message)
            self.problems.append((line, message, hint))

    def walk(self, node: nodes.Node, scope: dict[str, list[str | int] | None]) -> None:
        if isinstance(node, nodes.Extends):
            self.report(node.lineno, "{% extends %} is not allowed", "a letter template is a body, not a layout")
            return
        if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport):
            target = node.template
            name = target.value if isinstance(target, nodes.Const) else None
            if not self.partials or name not in PARTIALS:
                kind = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import"}[type(node)]
                self.report(
                    node.lineno,
                    f"{{% {kind} %}} of {name or 'a computed name'!s} is not allowed",
                    "only the signature partials " + " and ".join(PARTIALS) + " may be imported"
                    if self.partials
                    else "a Word template renders alone: no include or import",
                )
                return
            if isinstance(node, nodes.Import):
                scope[node.target] = None
            elif isinstance(node, nodes.FromImport):
                for n in node.names:
                    scope[n[1] if isinstance(n, tuple) else n] = None
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            root, path, subs = _chain(node)
            for sub in subs:
                self.walk(sub, scope)
            for key in path:
                if isinstance(key, str) and key.startswith("_"):
                    self.report(node.lineno, f"{key}: is not allowed", "a template may not reach Python internals")
                    return
            if isinstance(root, nodes.Name):
                self.name(root, path, scope)
            else:
                self.walk(root, scope)
            return
        if isinstance(node, nodes.Name):
            if node.ctx == "load":
                self.name(node, [], scope)
            return
        if isinstance(node, nodes.For):
            self.walk(node.iter, scope)
            inner = dict(scope)
            it = self.path_of(node.iter, scope)
            for name in self.targets(node.target):
                inner[name] = None
            if isinstance(node.target, nodes.Name) and it is not None and check_path(it, self.contexts) is None:
                inner[node.target.name] = [*it, "[]"]
            inner["loop"] = None
            for child in [*node.body, *([node.test] if node.test else [])]:
                self.walk(child, inner)
            for child in node.else_:
                self.walk(child, scope)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope)
            for arg in node.args:
                inner[arg.name] = None
            inner.update(varargs=None, kwargs=None, caller=None)
            if isinstance(node, nodes.Macro):
                scope[node.name] = None
                inner[node.name] = None
            else:
                self.walk(node.call, scope)
            for d in node.defaults:
                self.walk(d, scope)
            for child in node.body:
                self.walk(child, inner)
            return
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            if isinstance(node, nodes.Assign):
                self.walk(node.node, scope)
                value = self.path_of(node.node, scope)
            else:
                for child in node.body:
                    self.walk(child, scope)
                value = None
            for name in self.targets(node.target):
                scope[name] = value if isinstance(node.target, nodes.Name) else None
            return
        if isinstance(node, nodes.With):
            inner = dict(scope)
            for target, expr in zip(node.targets, node.values, strict=False):
                self.walk(expr, scope)
                for name in self.targets(target):
                    inner[name] = None
            for child in node.body:
                self.walk(child, inner)
            return
        for child in node.iter_child_nodes():
            self.walk(child, scope)

    @staticmethod
    def targets(node: nodes.Node) -> list[str]:
        return [n.name for n in node.find_all(nodes.Name)] if not isinstance(node, nodes.Name) else [node.name]

    def path_of(self, node: nodes.Node, scope: dict[str, list[str | int] | None]) -> list[str | int] | None:
        root, path, subs = _chain(node)
        if subs or not isinstance(root, nodes.Name):
            return None
        if root.name in scope:
            base = scope[root.name]
            return None if base is None else [*base, *path]
        return [root.name, *path]

    def name(self, root: nodes.Name, path: list[str | int], scope: dict[str, list[str | int] | None]) -> None:
        if root.name in scope:
            base = scope[root.name]
            if base is None:
                return
            full = [*base, *path]
        elif root.name in self.globals:
            return
        else:
            full = [root.name, *path]
        missing = check_path(full, self.contexts)
        if missing is None:
            return
        where, meant = missing
        if where.endswith("[]"):
            self.report(root.lineno, f"{where[:-2]}: is not a list to loop over", None)
            return
        local = root.name in scope
        shown = where if not local else f"{_dotted([root.name, *path])} ({where})"
        self.report(root.lineno, f"{shown}: no such field", f"did you mean {meant}?" if meant else None)


# -- checking one template text ------------------------------------------------------------------------


def _lint_env() -> ImmutableSandboxedEnvironment:
    from generator.templating import environment

    base = environment()
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True
    )  # no loader
    env.filters.update(base.filters)
    env.tests.update(base.tests)
    env.globals.update(base.globals)
    return env


def lint_source(
    source: str, *, file: str, part: str | None, contexts: list[dict[str, Any]], partials: bool
) -> list[Problem]:
    """The problems of one template text (its syntax, include/import, every field it names)."""
    env = _lint_env()
    label = f"part ({part})" if part else None

    def problem(message: str, line: int | None = None, hint: str | None = None) -> Problem:
        return Problem(message, file=file, line=line if not part else None, path=label, hint=hint)

    try:
        tree = env.parse(source)
        env.compile(tree)  # unknown filters and tests are refused here
    except TemplateSyntaxError as exc:
        return [problem(f"template syntax: {exc.message}", exc.lineno, "fix the {{ }} / {% %} tag on that line")]
    except TemplateError as exc:
        return [problem(f"template: {exc.message}")]
    walker = _Walker(contexts, set(env.globals), partials)
    walker.walk(tree, {})
    return [problem(msg, line, hint) for line, msg, hint in walker.problems]


def render_problems(render: Any, *, file: str, part: str | None, contexts: list[dict[str, Any]]) -> list[Problem]:
    """Render once against each context: StrictUndefined and the sandbox catch what the walk could not."""
    from jinja2.exceptions import SecurityError, UndefinedError

    out: list[Problem] = []
    for ctx in contexts:
        try:
            render(ctx)
        except (UndefinedError, SecurityError, TemplateError, TypeError, ValueError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            out.append(
                Problem(
                    f"does not render: {message}",
                    file=file,
                    path=f"part ({part})" if part else None,
                    hint="use only the fields internpack provides (templates/letters/README.md)",
                )
            )
            break
    return out


# -- a letters folder ------------------------------------------------------------------------------------


def builtin_letters() -> dict[str, Path]:
    folder = templates_dir() / "letters"
    return {p.name: p for p in sorted(folder.glob("*.html.j2"))}


def _doc_of(name: str) -> str:
    return name.split(".", 1)[0]


def _read_text(path: Path, file: str) -> str | Problem:
    try:
        if path.is_symlink() or not path.is_file():
            return Problem("is not a regular file", file=file, hint="copy the file itself into the folder")
        raw = path.read_bytes()
    except OSError as exc:
        return Problem(f"cannot be read: {exc.strerror}", file=file)
    if len(raw) > MAX_TEMPLATE_BYTES:
        return Problem(f"is larger than {MAX_TEMPLATE_BYTES // 1024} kB", file=file, hint="a letter is a few kB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(f"is not UTF-8 text (byte {exc.start})", file=file, hint="save it as UTF-8")


def lint_letters(folder: Path, display: str | None = None) -> tuple[list[Problem], list[Used]]:
    """Every file of a --templates folder: a known letter template name, then its text (see lint_source)."""
    shown = display or str(folder)
    builtin = builtin_letters()
    problems: list[Problem] = []
    used: list[Used] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(Problem(f"cannot be read: {exc.strerror or exc}", file=shown)) from None
    contexts = sample_contexts()
    every = [c for cs in contexts.values() for c in cs]
    env = letters_environment(folder)
    for path in entries:
        name = path.name
        file = f"{shown.rstrip('/')}/{name}"
        if name.startswith(".") or name == "README.md":
            continue
        if name not in builtin:
            close = difflib.get_close_matches(name, list(builtin), n=1, cutoff=0.6)
            problems.append(
                Problem(
                    "is not a letter template internpack uses",
                    file=file,
                    hint=f"did you mean {close[0]}?" if close else "internpack templates export DIR lists them",
                )
            )
            continue
        text = _read_text(path, file)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        used.append(Used(name, hashlib.sha256(text.encode()).hexdigest()))
        ctxs = every if name.startswith("_") else contexts.get(_doc_of(name), [])
        found = lint_source(text, file=file, part=None, contexts=ctxs, partials=True)
        if not found and not name.startswith("_"):
            lang = name.split(".")[1]
            template = env.get_template(f"letters/{name}")
            found = render_problems(
                lambda ctx, t=template, lang=lang: t.render(ctx, lang=lang), file=file, part=None, contexts=ctxs
            )
        problems += found
    if not problems:  # the built-in letters that include an overridden partial render through it
        partials = {u.name for u in used if u.name.startswith("_")}
        for name in sorted(builtin) if partials else []:
            if name.startswith("_") or name in {u.name for u in used}:
                continue
            template = env.get_template(f"letters/{name}")
            lang = name.split(".")[1]
            problems += render_problems(
                lambda ctx, t=template, lang=lang: t.render(ctx, lang=lang),
                file=f"{shown.rstrip('/')}/{sorted(partials)[0]}",
                part=None,
                contexts=contexts.get(_doc_of(name), []),
            )
    return problems, used


# -- a Word file --------------------------------------------------------------------------------------------


def docx_hygiene(data: bytes, file: str) -> list[Problem]:
    """What is wrong with a DOCX's package before python-docx may open it."""
    from lxml import etree

    def bad(message: str, hint: str) -> Problem:
        return Problem(message, file=file, hint=hint)

    if len(data) > MAX_DOCX_BYTES:
        return [bad(f"is larger than {MAX_DOCX_BYTES // 1024 // 1024} MB", "a letterhead is a few hundred kB")]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return [bad("is not a Word .docx file (not a zip package)", "save it from Word as .docx")]
    if len(infos) > MAX_ENTRIES:
        return [bad(f"holds {len(infos)} entries (at most {MAX_ENTRIES})", "save a plain letterhead from Word")]
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        return [
            bad(
                f"unpacks to {total // 1024 // 1024} MB (at most {MAX_UNCOMPRESSED // 1024 // 1024} MB): a zip bomb?",
                "save a plain letterhead from Word",
            )
        ]
    problems: list[Problem] = []
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        return [bad("is not a Word .docx file (no word/document.xml)", "save it from Word as .docx")]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)

    def xml(name: str) -> Any:
        try:
            return etree.fromstring(zf.read(name), parser)
        except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, ValueError):
            problems.append(bad(f"{name}: is not well-formed XML", "save the file again from Word"))
            return None

    if any(n.lower().endswith("vbaproject.bin") or "/vba" in n.lower() for n in names):
        problems.append(bad("holds macros (vbaProject.bin)", "save it as a plain .docx, not .docm"))
    types = xml("[Content_Types].xml")
    if types is not None and any("macroEnabled" in (el.get("ContentType") or "") for el in types.iter()):
        problems.append(bad("is a macro-enabled document", "save it as a plain .docx, not .docm"))
    for name in sorted(n for n in names if n.endswith(".rels")):
        rels = xml(name)
        if rels is None:
            continue
        for rel in rels.iter(f"{{{_REL_NS}}}Relationship"):
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            if (rel.get("TargetMode") or "").lower() == "external":
                problems.append(
                    bad(
                        f"{name}: links to an external {kind} ({rel.get('Target')})",
                        "embed the image in the file instead of linking it",
                    )
                )
            elif kind.lower() in ("afchunk", "vbaproject", "attachedtemplate", "oleobject", "control"):
                problems.append(bad(f"{name}: holds an {kind} part", "save a plain letterhead from Word"))
    return problems


def template_parts(data: bytes) -> Iterator[tuple[str, str]]:
    """(part name, template text with the tags Word split across runs joined) of the document and each
    header and footer, as docxtpl will render them."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    yield "word/document.xml", tpl.patch_xml(tpl.get_xml())
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _key, part in tpl.get_headers_footers(uri):
            yield str(part.partname).lstrip("/"), tpl.patch_xml(tpl.get_part_xml(part))


def lint_docx(path: Path, display: str | None = None, *, contexts: list[dict[str, Any]] | None = None) -> list[Problem]:
    from generator.loader import read_bytes

    file = display or str(path)
    data = read_bytes(path, file, limit=MAX_DOCX_BYTES, what="a Word file")
    problems = docx_hygiene(data, file)
    if problems:
        return problems
    ctxs = contexts if contexts is not None else docx_contexts()
    try:
        parts = list(template_parts(data))
    except Exception as exc:  # python-docx or docxtpl refusing the package: a clean line, no traceback
        return [Problem(f"cannot be opened as a Word file: {type(exc).__name__}: {exc}", file=file)]
    for part, text in parts:
        problems += lint_source(text, file=file, part=part, contexts=ctxs, partials=False)
    document = parts[0][1]
    count = len(re.findall(r"\{\{\s*body\s*\}\}", document))
    if count != 1 or re.search(r"<w:t[ >][^<]*\{\{\s*body\s*\}\}", document):
        problems.append(
            Problem(
                "needs exactly one paragraph holding only {{p body }}, where the letter goes"
                + (f" (it has {count} body tags)" if count != 1 else " (a {{ body }} inside text is not one)"),
                file=file,
                path="part (word/document.xml)",
                hint="type {{p body }} alone in one paragraph of the letterhead's body",
            )
        )
    if problems:
        return problems
    from docxtpl import DocxTemplate

    from generator.templating import docx_environment

    def render(ctx: dict[str, Any]) -> None:
        DocxTemplate(io.BytesIO(data)).render(ctx, jinja_env=docx_environment(), autoescape=True)

    return render_problems(render, file=file, part=None, contexts=ctxs[:4])


def lint(target: Path, display: str | None = None) -> list[Problem]:
    """`internpack lint-template FILE|DIR`: a .docx letterhead, a letter template, or a folder of them."""
    shown = display or str(target)
    if target.is_dir():
        return lint_letters(target, shown)[0]
    if not target.exists():
        raise InputError(Problem("no such file or folder", file=shown))
    if target.suffix.lower() in (".docx", ".docm", ".dotx", ".dotm"):
        return lint_docx(target, shown)
    if target.suffix.lower() == ".pdf":
        return lint_stationery(target, shown)
    if target.name.endswith(".html.j2"):
        if target.name not in builtin_letters():
            close = difflib.get_close_matches(target.name, list(builtin_letters()), n=1, cutoff=0.6)
            return [
                Problem(
                    "is not a letter template internpack uses",
                    file=shown,
                    hint=f"did you mean {close[0]}?" if close else "internpack templates export DIR lists them",
                )
            ]
        text = _read_text(target, shown)
        if isinstance(text, Problem):
            return [text]
        contexts = sample_contexts()
        name = target.name
        ctxs = [c for cs in contexts.values() for c in cs] if name.startswith("_") else contexts.get(_doc_of(name), [])
        found = lint_source(text, file=shown, part=None, contexts=ctxs, partials=True)
        if found or name.startswith("_"):
            return found
        template = letters_environment(target.parent).get_template(f"letters/{name}")
        return render_problems(
            lambda ctx: template.render(ctx, lang=name.split(".")[1]), file=shown, part=None, contexts=ctxs
        )
    return [
        Problem(
            "is neither a Word .docx, a stationery .pdf nor a letter template (.html.j2)",
            file=shown,
            hint="give a letterhead .docx or .pdf, a templates/letters/ file or a folder of them",
        )
    ]


def lint_stationery(target: Path, shown: str) -> list[Problem]:
    """A stationery PDF (`host.stationery`) checked as a build checks it (generator/stationery.py)."""
    from generator.loader import read_bytes
    from generator.stationery import MAX_BYTES, check

    try:
        raw = read_bytes(target, shown, limit=MAX_BYTES, what="a stationery PDF")
    except InputError as exc:
        return list(exc.problems)
    return [Problem(message, file=shown, hint=hint) for message, hint in check(raw)[0]]


__all__ = [
    "Used",
    "docx_hygiene",
    "lint",
    "lint_docx",
    "lint_letters",
    "lint_source",
    "lint_stationery",
    "letters_environment",
]


def export(folder: Path, *, force: bool = False) -> list[Path]:
    """The built-in letter templates (and their README) copied into ``folder``; a folder that is not empty
    is refused without ``force``."""
    shown = str(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(Problem("is not a folder", file=shown, hint="give a new folder's name"))
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InputError(
            Problem("is not empty", file=shown, hint="give a new folder, or --force to overwrite its templates")
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    sources = [*builtin_letters().values(), templates_dir() / "letters" / "README.md"]
    for src in sources:
        target = folder / src.name
        target.write_bytes(src.read_bytes())
        written.append(target)
    return written


def beside_placement(name: str, placement_dir: Path, where: dict[str, Any], *, what: str) -> Path:
    """A file or folder the placement names (``templates``, ``host.letterhead``), resolved like ``host.logo``:
    relative to the placement file's folder and refused outside it."""
    from generator.errors import shown

    base = placement_dir.resolve()
    try:
        path = Path(placement_dir / name).resolve(strict=False)
    except (OSError, RuntimeError) as exc:
        raise InputError(
            Problem(f"{shown(name)} cannot be read: {getattr(exc, 'strerror', None) or 'a link loop'}", **where)
        ) from None
    if not path.is_relative_to(base):
        raise InputError(
            Problem(
                f"{shown(name)} is outside the placement file's folder",
                hint=f"copy the {what} next to the placement file and give its name",
                **where,
            )
        )
    if not path.exists():
        raise InputError(Problem(f"{shown(name)} does not exist", hint=f"give the {what}'s name", **where))
    return path


def checked_letters(folder: Path, display: str) -> list[Used]:
    """A --templates folder linted before a build: InputError (exit 2, nothing written) on any problem."""
    if not folder.is_dir():
        raise InputError(
            Problem("is not a folder", file=display, hint="internpack templates export DIR writes one to edit")
        )
    problems, used = lint_letters(folder, display)
    if problems:
        raise InputError(problems)
    return used
