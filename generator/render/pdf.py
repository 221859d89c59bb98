"""PDF rendering with WeasyPrint: each page laid out once, written alone and reused in the merged pack."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import RenderError
from generator.render.html import BASE_URL, css, logo_url
from generator.resources import template_path

PDF_VARIANT = "pdf/a-3b"
# pypdf reads WeasyPrint's xref streams with a harmless "object count exceeds trailer size" warning
logging.getLogger("pypdf").setLevel(logging.ERROR)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


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
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=css(), font_config=self.font_config)
        self.fetcher = _fetcher({logo_url(p): p for p in allowed})

    def render(self, html: str, name: str, *, plain: bool = False) -> Any:
        handler = _Collect()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            document = _html_class()(string=html, base_url=BASE_URL, url_fetcher=self.fetcher).render(
                stylesheets=[] if plain else [self.stylesheet], font_config=self.font_config
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


def folios(renderer: PdfRenderer, labels: list[str]) -> bytes:
    """A PDF with one page per pack page holding only its pack-wide folio ("Pack 7 / 20 · Checklist").

    Latin text only (the labels are the titles' English part): the stamps then embed a small subset of the
    Latin font and not a second subset of the CJK one (-30 ms and -60 KB per pack)."""
    return _folios(renderer, tuple(labels))


@functools.lru_cache(maxsize=16)
def _folios(renderer: PdfRenderer, labels: tuple[str, ...]) -> bytes:
    """The folios depend only on the page labels, which repeat from pack to pack: the packs of one route in
    a cohort mostly have the same documents with the same page counts (the 100 packs of bench_batch.py
    have two such structures), so a batch worker lays them out once per structure, not once per pack."""
    from markupsafe import escape

    total = len(labels)
    body = "".join(f"<p>Pack {n} / {total} · {escape(label)}</p>" for n, label in enumerate(labels, 1))
    stamps = renderer.render(
        f"<html><head><style>{_stamp_css()}</style></head><body>{body}</body></html>", "pack numbers", plain=True
    )
    if len(stamps.pages) != total:
        raise RenderError(f"pack numbering laid out {len(stamps.pages)} folios for {total} pages")
    return renderer.write(stamps)


def _identifier(*parts: bytes) -> Any:
    """A content-derived PDF file identifier (the same input gives the same bytes)."""
    import hashlib

    from pypdf.generic import ArrayObject, ByteStringObject

    digest = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest().encode()
    return ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])


def read(pdf: bytes) -> Any:
    """A pypdf reader of a written PDF, for split() and overlay_folios() to share (it is parsed once)."""
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def overlay_folios(pack: bytes, stamps: bytes, reader: Any = None) -> bytes:
    """The pack with each stamp page drawn over the matching page as a form XObject: the pages' own
    compressed content is left untouched, and the catalog (PDF/A metadata, outline) is kept. ``reader``:
    the pack already parsed by read(), if there is one."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter(clone_from=reader or read(pack))
    stamp_pages = PdfReader(io.BytesIO(stamps)).pages
    before = writer._add_object(_content(b"q\n"))
    for n, (page, stamp) in enumerate(zip(writer.pages, stamp_pages, strict=True), 1):
        form = DecodedStreamObject()
        form.set_data(stamp.get_contents().get_data())  # type: ignore[union-attr]
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = stamp.mediabox
        form[NameObject("/Resources")] = stamp["/Resources"].clone(writer)
        name = NameObject(f"/IPFolio{n}")
        resources: Any = page["/Resources"].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"].get_object()[name] = writer._add_object(form.flate_encode())
        contents: Any = page.get("/Contents")
        refs = list(contents) if isinstance(contents.get_object(), ArrayObject) else [contents]
        after = writer._add_object(_content(b"\nQ q " + name.encode() + b" Do Q"))
        page[NameObject("/Contents")] = ArrayObject([before, *refs, after])
    writer._ID = _identifier(pack, stamps)
    writer.pdf_header = "%PDF-1.7"  # as WeasyPrint writes the separate files (pypdf's default is 1.3)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _content(data: bytes) -> Any:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def split(pack: bytes, parts: list[tuple[int, int, Any, str]], reader: Any = None) -> list[bytes]:
    """Separate PDF/A files cut from the written pack, one per (first page, page count, metadata, bookmark):
    every page is painted once, for the pack, and the separate files share its font subsets. Each file gets
    its own title, XMP metadata, outline entry and content-derived identifier. ``reader``: the pack
    already parsed by read(), if there is one."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    reader = reader or read(pack)
    root: Any = reader.trailer["/Root"]
    info: Any = reader.metadata or {}
    out = []
    for first, count, meta, bookmark in parts:
        writer = PdfWriter()
        for index in range(first, first + count):
            writer.add_page(reader.pages[index])
        for key in ("/OutputIntents", "/Lang"):
            if key in root:
                writer._root_object[NameObject(key)] = root[key].clone(writer)
        header = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        footer = b'</x:xmpmeta>\n<?xpacket end="r"?>'
        xmp = _content(b"\n".join((header, meta.generate_rdf_metadata("a", 3, "B"), footer)))
        xmp[NameObject("/Type")] = NameObject("/Metadata")
        xmp[NameObject("/Subtype")] = NameObject("/XML")
        writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
        fields = {k: info[k] for k in ("/Producer", "/Creator", "/Author", "/CreationDate", "/ModDate") if k in info}
        writer.add_metadata({**fields, "/Title": meta.title or ""})
        writer.add_outline_item(title=TextStringObject(bookmark or meta.title or ""), page_number=0)
        writer._ID = _identifier(pack, str((first, count, meta.title)).encode())
        buf = io.BytesIO()
        writer.write(buf)
        out.append(buf.getvalue())
    return out
