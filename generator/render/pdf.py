"""PDF rendering with WeasyPrint: each page laid out once, written alone and reused in the merged pack."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import RenderError
from generator.render.fontsubset import Glyphs, compact_fonts, cut_fonts
from generator.render.html import BASE_URL, css, logo_url
from generator.resources import template_path

PDF_VARIANT = "pdf/a-3b"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@functools.cache
def _weasyprint() -> Any:
    """WeasyPrint, imported without the ~0.35 s its libraries' lookup costs on Linux: WeasyPrint tries names
    such as 'libgobject-2.0-0' before 'libgobject-2.0.so.0', and cffi asks ctypes.util.find_library for
    each name that fails to load, which runs ldconfig, gcc and ld in subprocesses (Kozea/WeasyPrint#1125).
    With find_library answering nothing during the import, the sonames WeasyPrint also lists load directly
    from the dynamic loader's search path, the same libraries. Should one not be found that way (a library
    only find_library can locate), the import is done again as WeasyPrint itself does it."""
    import sys

    if sys.platform != "linux" or "weasyprint" in sys.modules:
        import weasyprint

        return weasyprint
    import contextlib
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints a banner before it gives up
            import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = real
        import weasyprint
    finally:
        ctypes.util.find_library = real
    return weasyprint


_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _fetcher(allowed: dict[str, Path]) -> Any:
    """A URL fetcher that serves the allowed files and refuses everything else (no network, no other file)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OnlyAllowed(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = allowed.get(url)
            if path is None:
                raise ValueError(f"refused to load {url!r}: only the logo file may be read")
            return URLFetcherResponse(
                url,
                path.read_bytes(),
                {"Content-Type": _MIME.get(path.suffix.lower(), "application/octet-stream")},
            )

    return OnlyAllowed(fail_on_errors=True)


@functools.cache
def _html_class() -> Any:
    """WeasyPrint's HTML with the user-agent stylesheet of templates/layout/ua.css: the rules of WeasyPrint's
    own for the markup our templates produce, without those for forms, frames and attributes they never use
    (the layout of a pack 0.71 -> 0.55 s). Overriding _ua_stylesheets is how WeasyPrint's own tests swap it."""
    _weasyprint()
    from weasyprint import CSS, HTML

    ua = CSS(string=template_path("layout", "ua.css").read_text(encoding="utf-8"))

    class DocumentHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [ua]

    return DocumentHTML


class PdfRenderer:
    """Holds the font configuration and the parsed stylesheet, shared by every document it renders.

    Only the files in ``allowed`` can be fetched (a logo); nothing from the network.
    Any WeasyPrint warning (a missing glyph, a font, an image that did not load) fails the render.
    """

    def __init__(self, allowed: Iterable[Path] = ()) -> None:
        _weasyprint()
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=css(), font_config=self.font_config)
        self.fetcher = _fetcher({logo_url(p): p for p in allowed})
        self._extra: dict[str, Any] = {}

    def render(self, html: str, name: str, *, plain: bool = False, extra: str | None = None) -> Any:
        """The laid-out document; ``extra``: CSS after the stylesheet (the first page on stationery)."""
        from weasyprint import CSS

        sheets = [] if plain else [self.stylesheet]
        if extra:
            if extra not in self._extra:
                self._extra[extra] = CSS(string=extra, font_config=self.font_config)
            sheets.append(self._extra[extra])
        handler = _Collect()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            document = _html_class()(string=html, base_url=BASE_URL, url_fetcher=self.fetcher).render(
                stylesheets=sheets, font_config=self.font_config
            )
        finally:
            logger.removeHandler(handler)
        if handler.messages:
            raise RenderError(f"rendering {name} went wrong: " + "; ".join(sorted(set(handler.messages))))
        return document

    @staticmethod
    def write(document: Any) -> bytes:
        out = io.BytesIO()
        document.write_pdf(out, pdf_variant=PDF_VARIANT, finisher=_deflate_at_default_level)
        return out.getvalue()

    @staticmethod
    def merge(documents: list[Any]) -> Any:
        """One document from the pages of several, keeping PDF/A and sharing fonts (no re-layout)."""
        pages = [page for doc in documents for page in doc.pages]
        return documents[0].copy(pages)


def _deflate_at_default_level(_document: Any, pdf: Any) -> None:
    """WeasyPrint's finisher hook: compress the streams at zlib's default level rather than pydyf's 9.
    The CJK font subsets keep their glyph ids and weigh ~0.8 MB each before compression; level 9 spent a
    quarter of the time of writing a pack for 0.4 % smaller files (measured: write 0.34 -> 0.29 s)."""
    import zlib

    for obj in pdf.objects:
        if getattr(obj, "compress", False) and isinstance(getattr(obj, "stream", None), list):
            obj.stream, obj.compress = [zlib.compress(_payload(obj), 6)], False
            obj.extra["Filter"] = "/FlateDecode"


def _payload(stream: Any) -> bytes:
    """The uncompressed content of a pydyf stream, exactly as pydyf serialises it."""
    import pydyf

    data: bytes = pydyf.Stream(stream.stream).data  # <<dict>> \n stream \n content \n endstream
    return data.partition(b"\nstream\n")[2][: -len(b"\nendstream")]


@functools.cache
def _stamp_css() -> str:
    from generator import fonts

    return (
        "@page { size: A4; margin: 0 }"
        f"html {{ font-family: {fonts.css_stack(latin=True)}; font-size: 7.5pt; color: #1f4e79 }}"
        # in the flow, not absolutely positioned (a third faster): the line ends 8.5 mm above the bottom edge
        "p { margin: 0; padding: 285.46mm 18mm 0 0; line-height: 3mm; text-align: right; break-after: page }"
    )


def folios(renderer: PdfRenderer, labels: list[str], raised: dict[int, float] | None = None) -> bytes:
    """A PDF with one page per pack page holding only its pack-wide folio ("Pack 7 / 20 · Checklist").
    ``raised``: pages (by index) whose bottom margin is this many millimetres (a first page on the host's
    stationery): their folio sits at the top of that margin, on the page number's line, above the
    stationery's printed footer.

    Latin text only (the labels are the titles' English part): the stamps then embed a small subset of the
    Latin font and not a second subset of the CJK one (-30 ms and -60 KB per pack)."""
    return _folios(renderer, tuple(labels), tuple(sorted((raised or {}).items())))


@functools.lru_cache(maxsize=16)
def _folios(renderer: PdfRenderer, labels: tuple[str, ...], raised: tuple[tuple[int, float], ...] = ()) -> bytes:
    """The folios depend only on the page labels, which repeat from pack to pack: the packs of one route in
    a cohort mostly have the same documents with the same page counts (the 100 packs of bench_batch.py
    have two such structures), so a batch worker lays them out once per structure, not once per pack."""
    from markupsafe import escape

    total = len(labels)
    high = dict(raised)

    def stamp(n: int, label: str) -> str:
        style = f' style="padding-top: {297 - float(high[n - 1]) + 1.8:.2f}mm"' if n - 1 in high else ""
        return f"<p{style}>Pack {n} / {total} · {escape(label)}</p>"

    body = "".join(stamp(n, label) for n, label in enumerate(labels, 1))
    stamps = renderer.render(
        f"<html><head><style>{_stamp_css()}</style></head><body>{body}</body></html>", "pack numbers", plain=True
    )
    if len(stamps.pages) != total:
        raise RenderError(f"pack numbering laid out {len(stamps.pages)} folios for {total} pages")
    return renderer.write(stamps)


def stationery_css(margins: Any) -> str:
    """The first page of a host letter on the host's stationery (a PDF laid under it, Reader.lay_under()):
    its margins keep the text clear of the stationery's printed areas, the built-in letterhead is left out,
    and the reference and page number sit at the top of the bottom margin, above a printed footer.
    ``margins``: host.stationery_margins (mm)."""
    m, top_aligned = margins, "vertical-align: top; padding-top: 1.5mm;"
    return (
        f"@page :first {{ margin: {m.top}mm {m.right}mm {m.bottom}mm {m.left}mm;"
        f" @bottom-left {{ {top_aligned} }} @bottom-center {{ {top_aligned} }} }}"
        ".letterhead { display: none; }"
    )


@dataclass(frozen=True)
class Underlay:
    """A one-page PDF (the host's stationery, checked by generator/stationery.py) and the pack's pages it is
    laid under (the first page of each host letter)."""

    pdf: bytes
    pages: frozenset[int]


@dataclass
class Reader:
    """The written pack opened with pikepdf (read())."""

    pdf: Any
    glyphs: Glyphs | None
    underlay: Underlay | None = None
    _source: Any = None  # the underlay's PDF, opened once

    def lay_under(self, pdf: Any, pages: Iterable[tuple[int, int]]) -> None:
        """Draw the underlay's page beneath the content of ``pdf``'s pages given as (page of ``pdf``, page of
        the pack), where the pack's page is one the underlay goes under. A form XObject with a fixed name,
        drawn first: the page's own content and fonts are untouched (and fontsubset.py never reads it)."""
        import pikepdf

        if self.underlay is None:
            return
        wanted = [index for index, in_pack in pages if in_pack in self.underlay.pages]
        if not wanted:
            return
        if self._source is None:
            source = pikepdf.open(io.BytesIO(self.underlay.pdf))
            page = source.pages[0]
            x0, y0 = (float(v) for v in page.mediabox[:2])
            self._source = (source, source.make_indirect(page.as_form_xobject()), x0, y0)
        source, form, x0, y0 = self._source
        copied = pdf.copy_foreign(form)
        shift = b"" if (x0, y0) == (0, 0) else b"1 0 0 1 %s %s cm " % (_num(-x0), _num(-y0))
        for index in wanted:
            page = pdf.pages[index]
            name = page.add_resource(copied, pikepdf.Name.XObject, pikepdf.Name("/IPStationery"))
            page.contents_add(pdf.make_stream(b"q " + shift + bytes(name) + b" Do Q\n"), prepend=True)


def _num(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def read(pdf: bytes, underlay: Underlay | None = None) -> Reader:
    """The written pack opened with pikepdf, its fonts subset to the glyphs it draws (fontsubset.py), for
    split() to take its pages from and overlay_folios() to finish (both lay ``underlay`` under its pages).
    Subset first for the whole pack, the fonts hold a few hundred glyphs, not WeasyPrint's ~60 000 glyph
    slots: cutting each separate PDF's subset from them is then cheap."""
    import pikepdf

    reader = pikepdf.open(io.BytesIO(pdf))
    return Reader(reader, compact_fonts(reader), underlay)


def _save(pdf: Any) -> bytes:
    """PDF 1.7 as WeasyPrint writes, with a file identifier derived from the content (same input, same bytes)."""
    out = io.BytesIO()
    pdf.save(out, min_version="1.7", deterministic_id=True)
    return out.getvalue()


def overlay_folios(pack: bytes, stamps: bytes, reader: Any = None) -> bytes:
    """The pack with each stamp page drawn over the matching page as a form XObject: the pages' own content
    is left untouched, the catalog with the PDF/A metadata and outline is kept. ``reader``: the pack as
    read() opened it, once split() is done with it (it is changed here); else it is opened afresh."""
    import pikepdf

    opened = reader if reader is not None else read(pack)
    pdf = opened.pdf
    opened.lay_under(pdf, ((n, n) for n in range(len(pdf.pages))))
    with pikepdf.open(io.BytesIO(stamps)) as folio:
        if len(pdf.pages) != len(folio.pages):
            raise RenderError(f"{len(folio.pages)} folios for a pack of {len(pdf.pages)} pages")
        before = pdf.make_stream(b"q\n")
        for n, (page, stamp) in enumerate(zip(pdf.pages, folio.pages, strict=True), 1):
            # named by number, not by Page.add_overlay's random names: the same input gives the same bytes
            form = pdf.copy_foreign(folio.make_indirect(stamp.as_form_xobject()))
            name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/IPFolio{n}"))
            page.contents_add(before, prepend=True)
            page.contents_add(pdf.make_stream(b"\nQ q " + bytes(name) + b" Do Q"))
        return _save(pdf)


def split(pack: bytes, parts: list[tuple[int, int, Any, str]], reader: Any = None) -> list[bytes]:
    """Separate PDF/A files cut from the written pack, one per (first page, page count, metadata, bookmark):
    every page is painted once, for the pack. Each file carries only the glyphs it draws (fontsubset.py) and
    gets its own title, XMP metadata, outline entry and content-derived identifier, and the pack's output
    intent and language. ``reader``: the pack already
    opened by read(), if there is one."""
    import pikepdf

    opened = reader if reader is not None else read(pack)
    src = opened.pdf
    info = src.docinfo
    out = []
    for first, count, meta, bookmark in parts:
        with pikepdf.new() as pdf:
            pdf.pages.extend(src.pages[first : first + count])
            for key in ("/OutputIntents", "/Lang"):
                if key in src.Root:
                    value = src.Root[key]  # copy_foreign copies indirect objects only (the pack itself is not saved)
                    pdf.Root[key] = pdf.copy_foreign(value if value.is_indirect else src.make_indirect(value))
            header = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            footer = b'</x:xmpmeta>\n<?xpacket end="r"?>'
            xmp = b"\n".join((header, meta.generate_rdf_metadata("a", 3, "B"), footer))
            pdf.Root.Metadata = pdf.make_stream(xmp, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
            fields = {
                k: info[k] for k in ("/Producer", "/Creator", "/Author", "/CreationDate", "/ModDate") if k in info
            }
            pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary({**fields, "/Title": pikepdf.String(meta.title or "")}))
            with pdf.open_outline() as outline:
                outline.root.append(pikepdf.OutlineItem(bookmark or meta.title or "", 0))
            if opened.glyphs is not None:
                cut_fonts(pdf, opened.glyphs, first)
            opened.lay_under(pdf, ((n, first + n) for n in range(count)))  # after cut_fonts: its fonts are its own
            out.append(_save(pdf))
    return out
