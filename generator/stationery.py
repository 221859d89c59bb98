"""The host's printed stationery (placement `host.stationery`): a one-page A4 PDF, such as the letterhead a
print shop or Word exported, laid under the first page of each of the host's letters in the PDFs.

The file is read once within a byte cap and checked before anything renders it, so that every PDF of the
pack stays PDF/A-3b with the stationery drawn in it:

- one page, A4 portrait, not encrypted, readable;
- every font it uses embedded (PDF/A 6.2.11.4): a PDF that names Helvetica or Arial without carrying it
  would print in whatever font the reader has;
- no CMYK colour (6.2.4.3): the pack's output intent is sRGB, so device CMYK is not allowed in it;
- no transfer functions (6.2.5).

Images that ask to be interpolated (6.2.8) are drawn without it: the copy laid under the letters has
/Interpolate removed; the user's file is not changed. What cannot be checked without a full validator
(veraPDF) is not claimed: the checks above are the rules a letterhead exported from Word, LibreOffice or a
design tool breaks in practice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import InputError, Problem, shown

if TYPE_CHECKING:
    from generator.model import StationeryMargins

MAX_BYTES = 10 * 1024 * 1024  # a one-page letterhead with a logo is well under 1 MB
A4 = (595.276, 841.890)  # points
_TOLERANCE = 2.0  # points: 0.7 mm, what exporters round A4 to
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_MAX_OBJECTS = 20_000  # a letterhead has a few hundred; walking is bounded even for a hostile file


@dataclass(frozen=True)
class Stationery:
    data: bytes  # the checked PDF, with /Interpolate removed from its images
    margins: StationeryMargins  # what the first page's text keeps clear of


def prepare_stationery(name: str, margins: StationeryMargins, placement_dir: Path, where: dict[str, Any]) -> Stationery:
    """The stationery ``host.stationery`` = ``name`` names (relative to the placement's folder), checked, or
    InputError naming host.stationery: outside the folder, not a PDF, unreadable, too large, not one A4
    page, encrypted, or not PDF/A-safe (fonts not embedded, CMYK colour, transfer functions)."""
    from generator.loader import read_bytes
    from generator.templatelint import beside_placement

    path = beside_placement(name, placement_dir, where, what="stationery PDF")
    if path.suffix.lower() != ".pdf":
        raise InputError(
            Problem(
                f"{shown(name)} must be a PDF file",
                hint="export the letterhead as PDF (in Word: File > Save as > PDF, PDF/A); a Word letterhead "
                "(.docx) goes in host.letterhead",
                **where,
            )
        )
    try:
        raw = read_bytes(path, str(path), limit=MAX_BYTES, what="a stationery PDF")
    except InputError as exc:
        first = exc.problems[0]
        raise InputError(Problem(f"{shown(name)} {first.message}", hint=first.hint, **where)) from None
    problems, data = check(raw)
    if problems:
        raise InputError([Problem(f"{shown(name)} {message}", hint=hint, **where) for message, hint in problems])
    return Stationery(data, margins)


def check(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """(problems as (what is wrong, how to fix it), the PDF to lay under the letters). The PDF is the file
    itself, or a copy of it with /Interpolate removed from its images."""
    import pikepdf

    if b"%PDF-" not in raw[:1024]:
        return [("is not a PDF (its content is another kind of file)", "export the letterhead as PDF")], b""
    try:
        pdf = pikepdf.open(io.BytesIO(raw))
    except pikepdf.PasswordError:
        return [("is protected by a password", "save an unprotected copy of the letterhead PDF")], b""
    except Exception as exc:  # pikepdf.PdfError and what a damaged file raises inside qpdf
        return [(f"is not a readable PDF ({_short(exc)})", "export the letterhead as PDF again")], b""
    with pdf:
        if pdf.is_encrypted:
            return [("is encrypted", "save a copy without protection (no password, no permissions)")], b""
        count = len(pdf.pages)
        if count != 1:
            return [(f"has {count} pages; the stationery is one page", "export only the first page")], b""
        page = pdf.pages[0]
        problems = _page_problems(page)
        if problems:
            return problems, b""
        walk = _Walk()
        try:
            walk.resources(page.obj.get("/Resources", pikepdf.Dictionary()))
            walk.content(page.obj)
        except _Refused as exc:
            return [(exc.args[0], "export the letterhead as PDF again")], b""
        problems = walk.problems()
        if problems:
            return problems, b""
        if not walk.interpolated:
            return [], raw
        for image in walk.interpolated:
            del image["/Interpolate"]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return [], out.getvalue()


def _short(exc: Exception) -> str:
    """qpdf's message without the name of the in-memory stream it read (an address that changes each run)."""
    import re

    text = str(exc).strip().splitlines()
    last = re.sub(r"^.*?<_io\.BytesIO object at 0x[0-9a-fA-F]+>:?\s*", "", text[-1]) if text else ""
    return last[:160] or type(exc).__name__


def _page_problems(page: Any) -> list[tuple[str, str]]:
    box = [float(v) for v in page.mediabox]
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate:
        return [(f"is rotated by {rotate} degrees", "export it upright, as an A4 portrait page")]
    if abs(width - A4[0]) > _TOLERANCE or abs(height - A4[1]) > _TOLERANCE:
        mm = f"{width / 72 * 25.4:.0f} x {height / 72 * 25.4:.0f} mm"
        return [(f"is {mm}; the letters are A4 (210 x 297 mm, portrait)", "export the letterhead on A4 paper")]
    return []


class _Refused(Exception):
    pass


class _Walk:
    """Every resource the page draws with, at any depth (forms, patterns, Type 3 fonts), checked once."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.unembedded: set[str] = set()
        self.cmyk = False
        self.transfer = False
        self.interpolated: list[Any] = []  # image XObjects: drawn without /Interpolate
        self.inline_interpolated = False  # an inline image cannot be changed without rewriting the content
        self.visited = 0

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.unembedded:
            out.append(
                (
                    "uses fonts it does not embed: " + ", ".join(sorted(self.unembedded)),
                    "export it as PDF/A (Word: Save as > PDF > Options > PDF/A compliant), which embeds every font",
                )
            )
        if self.cmyk:
            out.append(
                (
                    "uses CMYK colour; the pack's PDF/A files are sRGB",
                    "export the letterhead in RGB colour (a PDF/A export from Word or LibreOffice is RGB)",
                )
            )
        if self.inline_interpolated:
            out.append(("draws an inline image marked for interpolation, which PDF/A forbids", "export it as PDF/A"))
        if self.transfer:
            out.append(("uses transfer functions, which PDF/A forbids", "export the letterhead as PDF/A"))
        return out

    def _first(self, obj: Any) -> bool:
        self.visited += 1
        if self.visited > _MAX_OBJECTS:
            raise _Refused("is too complex for a letterhead (more than 20 000 objects)")
        if not obj.is_indirect:
            return True
        if obj.objgen in self.seen:
            return False
        self.seen.add(obj.objgen)
        return True

    def resources(self, res: Any) -> None:
        import pikepdf

        if not isinstance(res, pikepdf.Dictionary) or not self._first(res):
            return
        for font in _values(res.get("/Font")):
            self.font(font)
        for space in _values(res.get("/ColorSpace")):
            self.colour_space(space)
        for xobject in _values(res.get("/XObject")):
            self.xobject(xobject)
        for pattern in _values(res.get("/Pattern")):
            if isinstance(pattern, pikepdf.Dictionary | pikepdf.Stream) and self._first(pattern):
                self.resources(pattern.get("/Resources"))
                if "/Shading" in pattern:
                    self.colour_space(pattern.Shading.get("/ColorSpace"))
                if isinstance(pattern, pikepdf.Stream):
                    self.content(pattern)
        for shading in _values(res.get("/Shading")):
            if isinstance(shading, pikepdf.Dictionary | pikepdf.Stream):
                self.colour_space(shading.get("/ColorSpace"))
        for state in _values(res.get("/ExtGState")):
            if isinstance(state, pikepdf.Dictionary):
                for key in ("/TR", "/TR2"):
                    if key in state and state[key] != pikepdf.Name.Default:
                        self.transfer = True
                mask = state.get("/SMask")
                if isinstance(mask, pikepdf.Dictionary) and "/G" in mask:
                    self.xobject(mask.G)

    def font(self, font: Any) -> None:
        import pikepdf

        if not isinstance(font, pikepdf.Dictionary) or not self._first(font):
            return
        kind = font.get("/Subtype")
        name = str(font.get("/BaseFont", "/?"))[1:]
        name = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
        if kind == "/Type3":
            self.resources(font.get("/Resources"))
            return
        described: Any = font
        if kind == "/Type0":
            descendants = font.get("/DescendantFonts")
            described = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) else None
        descriptor = described.get("/FontDescriptor") if isinstance(described, pikepdf.Dictionary) else None
        if not isinstance(descriptor, pikepdf.Dictionary) or not any(k in descriptor for k in _FONT_FILES):
            self.unembedded.add(name)

    def colour_space(self, space: Any) -> None:
        import pikepdf

        if space is None:
            return
        if isinstance(space, pikepdf.Name):
            if space in (pikepdf.Name.DeviceCMYK, pikepdf.Name("/CMYK")):
                self.cmyk = True
            return
        if isinstance(space, pikepdf.Array) and len(space) and self._first(space):
            family = space[0]
            if family in (pikepdf.Name.Separation, pikepdf.Name.DeviceN) and len(space) > 2:
                self.colour_space(space[2])  # the alternate space
            elif family in (pikepdf.Name.Indexed, pikepdf.Name.Pattern) and len(space) > 1:
                self.colour_space(space[1])  # the base space

    def xobject(self, x: Any) -> None:
        import pikepdf

        if not isinstance(x, pikepdf.Stream) or not self._first(x):
            return
        if x.get("/Subtype") == "/Image":
            if bool(x.get("/Interpolate", False)):
                self.interpolated.append(x)
            if not bool(x.get("/ImageMask", False)):
                self.colour_space(x.get("/ColorSpace"))
            mask = x.get("/SMask")
            if isinstance(mask, pikepdf.Stream):
                self.xobject(mask)
        elif x.get("/Subtype") == "/Form":
            self.resources(x.get("/Resources"))
            group = x.get("/Group")
            if isinstance(group, pikepdf.Dictionary):
                self.colour_space(group.get("/CS"))
            self.content(x)

    def content(self, holder: Any) -> None:
        """The colour operators of a page's or form's content: k and K set device CMYK colour."""
        import pikepdf

        try:
            instructions = pikepdf.parse_content_stream(holder, "k K BI ID EI")
        except Exception as exc:
            raise _Refused(f"has damaged page content ({_short(exc)})") from None
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                image = instruction.iimage
                if bool(image.obj.get("/Interpolate", image.obj.get("/I", False))):
                    self.interpolated_inline = True
                self.colour_space(image.obj.get("/ColorSpace", image.obj.get("/CS")))
            else:
                self.cmyk = True


def _values(entries: Any) -> list[Any]:
    import pikepdf

    return list(entries.values()) if isinstance(entries, pikepdf.Dictionary) else []


__all__ = ["A4", "MAX_BYTES", "Stationery", "check", "prepare_stationery"]
