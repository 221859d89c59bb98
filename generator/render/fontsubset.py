"""Each PDF carries only the glyphs it draws (issue 11).

WeasyPrint subsets the fonts once for the whole pack and keeps their glyph ids, so that a glyph's code in
the page content is its glyph id. A separate letter cut from the pack would carry every glyph of the pack,
and glyph ids that run to ~60 000 in the CJK fonts: the metrics and offsets of 60 000 empty glyphs, ~0.2 MB
per font after compression. Here each font of a PDF is subset again to the glyphs its pages use
(HarfBuzz's subsetter through uharfbuzz, as WeasyPrint itself does) and numbered densely:

- a TrueType font (CIDFontType2) keeps its codes: a CIDToGIDMap stream maps each code to the new glyph;
- a CFF font (CIDFontType0: Noto CJK) cannot be mapped (readers such as poppler take a code as the glyph
  id), so its codes in the content streams are rewritten to the new glyph ids, with an identity charset.

The widths and the ToUnicode map keep the glyphs drawn and nothing else. The pages look the same pixel for
pixel and give the same text (tests/test_fontsubset.py). Only content written by WeasyPrint is rewritten:
a PDF whose content holds anything else (literal strings, inline images, marked content) is left alone.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

_TF = re.compile(rb"(/[^\s/\[\]()<>{}%]+\s+[-+.0-9]+\s+Tf)")
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]*)>")
_HEX4 = re.compile(rb"[0-9a-f]{4}")
_INLINE_IMAGE = re.compile(rb"BI(?<=\sBI)(?=\s)")  # starts with a literal: searched as fast as str.find
_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")


def _flate(data: bytes) -> bytes:
    return zlib.compress(data, 6)


class _Content:
    """A page or a form XObject: its content, split at each font selection, and its resources."""

    def __init__(self, holder: Any, form: bool) -> None:
        import pikepdf

        self.holder, self.form = holder, form  # a page's dictionary, or a form XObject (a stream)
        if form:
            self.data = holder.read_bytes()
        else:
            contents = holder.get("/Contents")
            parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            self.data = b"\n".join(p.read_bytes() for p in parts if p is not None)
        # WeasyPrint gives every page of the pack one resources dictionary: a letter cut from it would carry
        # the other documents' forms and images, and so their glyphs. Only what the content names is kept.
        names = {"/" + n.decode("latin-1") for n in _NAME.findall(self.data)}
        self.resources = pikepdf.Dictionary()
        for category, entries in holder.get("/Resources", {}).items():
            if isinstance(entries, pikepdf.Dictionary):
                self.resources[category] = pikepdf.Dictionary({k: v for k, v in entries.items() if k in names})
            else:
                self.resources[category] = entries  # /ProcSet
        self.fonts = {str(name)[1:]: font for name, font in self.resources.get("/Font", {}).items()}
        # [before, "/F1 12 Tf", the text shown in F1, "/F2 9 Tf", the text shown in F2, ...]
        self.segments = _TF.split(self.data)
        self.selected = [s.split()[0][1:].decode("latin-1") for s in self.segments[1::2]]

    def safe(self) -> bool:
        """Text only in hex strings, no dictionaries (marked-content properties could hold strings), no
        inline images (binary data), a font resource for every font selected."""
        data = self.data
        return (
            b"(" not in data
            and b"<<" not in data
            and not _INLINE_IMAGE.search(data)
            and all(name in self.fonts for name in self.selected)
        )

    def forms(self) -> list[Any]:
        return [x for x in self.resources.get("/XObject", {}).values() if x.get("/Subtype") == "/Form"]

    def runs(self) -> list[tuple[Any, bytes]]:
        """(font, the hex digits of every string it shows, lower case) per font selection."""
        return [
            (self.fonts[name], b"".join(_HEX_STRING.findall(text)).lower())
            for name, text in zip(self.selected, self.segments[2::2], strict=True)
        ]

    def write(self, pdf: Any, recode: dict[tuple[int, int], dict[bytes, bytes]]) -> None:
        """Its pruned resources, and its content with the codes of the renumbered fonts replaced (only the
        hex strings of text shown in those fonts change)."""
        import pikepdf

        self.holder.Resources = self.resources
        segments, changed = list(self.segments), False
        for n, name in enumerate(self.selected):
            table = recode.get(self.fonts[name].objgen)
            if table is not None:

                def swap(match: re.Match[bytes], table: dict[bytes, bytes] = table) -> bytes:
                    digits = match.group(1).lower()
                    return b"<" + b"".join([table[digits[k : k + 4]] for k in range(0, len(digits), 4)]) + b">"

                segments[2 * n + 2] = _HEX_STRING.sub(swap, segments[2 * n + 2])
                changed = True
        if not changed:
            return
        data = _flate(b"".join(segments))
        if self.form:
            self.holder.write(data, filter=pikepdf.Name.FlateDecode)
        else:
            self.holder.Contents = pdf.make_stream(data, Filter=pikepdf.Name.FlateDecode)


def _contents(pdf: Any) -> list[tuple[_Content, list[_Content]]] | None:
    """Every page, with the form XObjects it draws (at any depth); None when one holds content not
    rewritten here. A form drawn on several pages is read once."""
    out = []
    forms: dict[tuple[int, int], _Content] = {}
    for page in pdf.pages:
        content = _Content(page.obj, False)
        drawn, todo = [], content.forms()
        while todo:
            form = todo.pop()
            if form.objgen not in forms:
                forms[form.objgen] = _Content(form, True)
                todo += forms[form.objgen].forms()
            drawn.append(forms[form.objgen])
        if not all(c.safe() for c in (content, *drawn)):
            return None
        out.append((content, drawn))
    return out


@dataclass
class Glyphs:
    """What compact_fonts() left in a pack, for cut_fonts() to subset the PDFs cut from it without reading
    their pages again: per page the codes drawn in each font (by its BaseFont name, unique in the pack);
    per font its widths and ToUnicode entries by code."""

    pages: list[dict[str, set[int]]]
    widths: dict[str, dict[int, bytes]]
    unicode: dict[str, tuple[bytes, dict[int, bytes]]]


def _identity_h(font: Any) -> bool:
    return bool(font.get("/Encoding") == "/Identity-H" and "/DescendantFonts" in font)


def compact_fonts(pdf: Any) -> Glyphs | None:
    """Prune each page's resources to what it draws, and subset every Identity-H font of ``pdf`` (a
    pikepdf.Pdf, changed in place) to the glyphs drawn, numbered densely. None, and nothing changed, when
    some page or form holds content this does not rewrite."""
    pages = _contents(pdf)
    if pages is None:
        return None
    fonts: dict[tuple[int, int], Any] = {}
    per_page: list[dict[tuple[int, int], set[bytes]]] = []
    for content, forms in pages:
        drawn: dict[tuple[int, int], set[bytes]] = {}
        for part in (content, *forms):
            for font, digits in part.runs():
                if _identity_h(font):
                    fonts[font.objgen] = font
                    drawn.setdefault(font.objgen, set()).update(_HEX4.findall(digits))
        per_page.append(drawn)
    recode: dict[tuple[int, int], dict[bytes, bytes]] = {}
    glyphs = Glyphs([], {}, {})
    codes_of: dict[tuple[int, int], dict[int, int]] = {}
    for objgen, font in fonts.items():
        codes = {int(c, 16) for drawn in per_page for c in drawn.get(objgen, ())}
        widths = _widths(font.DescendantFonts[0].W.unparse()) if "/W" in font.DescendantFonts[0] else {}
        unicode = _unicode(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else None
        new_code = _subset(pdf, font, codes, renumber=True, widths=widths, unicode=unicode)
        if new_code is None:
            continue
        codes_of[objgen] = new_code
        name = str(font.BaseFont)
        glyphs.widths[name] = {new_code[c]: widths[c] for c in codes if c in widths}
        if unicode is not None:
            glyphs.unicode[name] = (unicode[0], {new_code[c]: unicode[1][c] for c in codes if c in unicode[1]})
        if new_code != {c: c for c in codes}:
            recode[objgen] = {b"%04x" % old: b"%04x" % new for old, new in new_code.items()}
    for drawn in per_page:
        glyphs.pages.append(
            {
                str(fonts[objgen].BaseFont): {codes_of[objgen][int(c, 16)] for c in hexes}
                for objgen, hexes in drawn.items()
                if objgen in codes_of
            }
        )
    written: set[tuple[int, int]] = set()
    for content, forms in pages:
        for part in (content, *forms):
            if part.holder.objgen not in written:
                written.add(part.holder.objgen)
                part.write(pdf, recode)
    return glyphs


def cut_fonts(pdf: Any, glyphs: Glyphs, first: int) -> None:
    """Subset the fonts of ``pdf``, whose pages were cut from a pack that compact_fonts() returned
    ``glyphs`` for, starting at its page ``first``, to the glyphs these pages draw. They keep their numbers
    and the content is not touched: the empty slots of the pack's few hundred other glyphs cost a few
    bytes."""
    drawn: dict[str, set[int]] = {}
    for page in glyphs.pages[first : first + len(pdf.pages)]:
        for name, codes in page.items():
            drawn.setdefault(name, set()).update(codes)
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for font in _page_fonts(page.obj):
            name = str(font.get("/BaseFont", ""))
            if font.objgen in seen or name not in drawn or not _identity_h(font):
                continue
            seen.add(font.objgen)
            _subset(
                pdf,
                font,
                drawn[name],
                renumber=False,
                widths=glyphs.widths.get(name, {}),
                unicode=glyphs.unicode.get(name),
            )


def _page_fonts(holder: Any) -> list[Any]:
    """The fonts in a page's or form's resources and in those of the forms it holds, at any depth."""
    out, todo, seen = [], [holder], set()
    while todo:
        resources = todo.pop().get("/Resources", {})
        out += list(resources.get("/Font", {}).values())
        for x in resources.get("/XObject", {}).values():
            if x.get("/Subtype") == "/Form" and x.objgen not in seen:
                seen.add(x.objgen)
                todo.append(x)
    return out


def _subset(
    pdf: Any,
    font: Any,
    codes: set[int],
    *,
    renumber: bool,
    widths: dict[int, bytes],
    unicode: tuple[bytes, dict[int, bytes]] | None,
) -> dict[int, int] | None:
    """Subset the font to the glyphs of ``codes``, renumbered densely or not; its widths and ToUnicode map
    (given, as read) keep those glyphs. The new code of each code (a CFF font's code is its glyph id; a
    TrueType font keeps its codes and gets a new CIDToGIDMap); None for a font not handled here."""
    import pikepdf
    import uharfbuzz as hb

    descendant = font.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    cff = "/FontFile3" in descriptor
    key = "/FontFile3" if cff else "/FontFile2"
    if key not in descriptor or not codes:
        return None
    cid_map = descendant.get("/CIDToGIDMap", pikepdf.Name.Identity)
    if cff or not isinstance(cid_map, pikepdf.Stream):
        gid = {c: c for c in codes}
    else:
        table = cid_map.read_bytes()
        gid = {c: int.from_bytes(table[2 * c : 2 * c + 2], "big") for c in codes}
    stream = descriptor[key]
    wanted = hb.SubsetInput()
    wanted.glyph_set.update({0, *gid.values()})
    flags = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.NO_LAYOUT_CLOSURE
    if cff:
        flags |= hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.CFF_IDENTITY_CHARSET
    if not renumber:
        flags |= hb.SubsetFlags.RETAIN_GIDS
    wanted.flags = flags
    plan = hb.SubsetPlan(hb.Face(stream.read_bytes()), wanted)
    new_gid = dict(plan.old_to_new_glyph_mapping.items())
    program = bytes(plan.execute().blob.data)
    stream.write(_flate(program), filter=pikepdf.Name.FlateDecode)
    if not cff:
        stream.Length1 = len(program)
    new_code = {c: new_gid[c] for c in codes} if cff else {c: c for c in codes}
    _write_widths(descendant, widths, new_code)
    if unicode is not None:
        _write_unicode(font, unicode, new_code)
    if renumber and not cff:
        cid_to_gid = bytearray(2 * (max(codes) + 1))
        for cid in codes:
            cid_to_gid[2 * cid : 2 * cid + 2] = new_gid[gid[cid]].to_bytes(2, "big")
        descendant.CIDToGIDMap = pdf.make_stream(_flate(bytes(cid_to_gid)), Filter=pikepdf.Name.FlateDecode)
    return new_code


_W_RUN = re.compile(rb"(\d+)\s*\[([^\]]*)\]|(\d+)\s+(\d+)\s+([-+.\d]+)")


def _widths(w: bytes) -> dict[int, bytes]:
    """A /W array read from its text (much faster than through ~1000 pikepdf objects)."""
    widths: dict[int, bytes] = {}
    for first, listed, start, end, width in _W_RUN.findall(w[1:-1]):
        if first:  # c [w1 w2 ...]
            widths.update(enumerate(listed.split(), int(first)))
        else:  # c_first c_last w
            widths.update((c, width) for c in range(int(start), int(end) + 1))
    return widths


def _write_widths(descendant: Any, widths: dict[int, bytes], new_code: dict[int, int]) -> None:
    """The /W array of the glyphs drawn, under their new codes."""
    import pikepdf

    text: list[bytes] = []
    last = -2
    for code, width in sorted((new, widths[old]) for old, new in new_code.items() if old in widths):
        text.append((b"" if code == last + 1 else (b"] " if text else b"") + b"%d [" % code) + width + b" ")
        last = code
    descendant.W = pikepdf.Object.parse(b"[" + b"".join(text) + (b"]" if text else b"") + b"]")


def _unicode(cmap: bytes) -> tuple[bytes, dict[int, bytes]] | None:
    """A ToUnicode CMap's head (up to its code space) and its entries by code; None for a kind WeasyPrint
    does not write (ranges), left as it is."""
    head, sep, rest = cmap.partition(b"endcodespacerange")
    if not sep or b"bfrange" in rest:
        return None
    return head + sep + b"\n", {int(g, 16): u for g, u in _BFCHAR.findall(rest)}


def _write_unicode(font: Any, unicode: tuple[bytes, dict[int, bytes]], new_code: dict[int, int]) -> None:
    """The ToUnicode map of the glyphs drawn, under their new codes (bfchar entries, 100 a block)."""
    import pikepdf

    head, texts = unicode
    entries = sorted((new, texts[old]) for old, new in new_code.items() if old in texts)
    body = [head]
    for i in range(0, len(entries), 100):
        chunk = entries[i : i + 100]
        body.append(b"%d beginbfchar\n" % len(chunk))
        body += [b"<%04x> <%s>\n" % (code, text) for code, text in chunk]
        body.append(b"endbfchar\n")
    body.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    font.ToUnicode.write(_flate(b"".join(body)), filter=pikepdf.Name.FlateDecode)
