"""The host's logo (placement `host.logo`): read once, decoded once by Pillow within a byte and a pixel cap,
and scaled to what the letterhead prints, so a hostile or merely huge image neither exhausts memory nor
goes into every PDF of the pack at full size.

The letterhead prints the logo in a 45 x 14 mm box (templates/layout/style.css): at 600 dpi that is
1063 x 331 pixels. A PNG or JPEG that fits it in an ordinary colour mode is used as it is (its bytes
unchanged); anything else (larger, CMYK, 16-bit...) is converted and scaled down into the box and written
as a PNG with no metadata: the same logo gives the same bytes. Converted logos are kept in one temporary
folder per process, removed when the process ends."""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
from pathlib import Path
from typing import Any

from generator.errors import InputError, Problem, shown

MAX_BYTES = 5 * 1024 * 1024  # a letterhead logo is a few hundred kB at most
MAX_PIXELS = 25_000_000  # 5000 x 5000; decoding one takes ~100 MB
MAX_SIDE = 10_000
BOX = (1063, 331)  # 45 x 14 mm at 600 dpi
_KEEP_MODES = {"RGB", "RGBA", "L", "LA", "P", "1"}

_folder: Path | None = None


def _scaled_folder() -> Path:
    global _folder
    if _folder is None:
        import multiprocessing.util
        import shutil

        _folder = Path(tempfile.mkdtemp(prefix="internpack-logo-"))
        # run at exit by this process only (multiprocessing runs finalizers in its workers too)
        multiprocessing.util.Finalize(None, shutil.rmtree, args=(str(_folder), True), exitpriority=10)
    return _folder


def prepare_logo(name: str, placement_dir: Path, where: dict[str, Any]) -> Path:
    """The logo file the renderers get for ``host.logo`` = ``name`` (relative to the placement's folder), or
    InputError naming host.logo: outside the folder, not PNG/JPEG, unreadable (missing, a FIFO, a symlink
    loop, a name too long), too large in bytes or pixels, or not decodable."""
    from generator.loader import read_bytes

    quoted = shown(name)

    def fail(message: str, hint: str | None = None) -> InputError:
        return InputError(Problem(f"{quoted} {message}", hint=hint, **where))

    base = placement_dir.resolve()
    try:
        path = Path(placement_dir / name).resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise fail(f"cannot be read: {getattr(exc, 'strerror', None) or 'a symbolic link loop'}") from None
    if not path.is_relative_to(base):
        raise fail(
            "is outside the placement file's folder", hint="copy the logo next to the placement file and give its name"
        )
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise InputError(Problem("must be a PNG or JPEG image", **where, hint="convert the logo to PNG"))
    try:
        raw = read_bytes(path, str(path), limit=MAX_BYTES, what="a logo")
    except InputError as exc:
        message = exc.problems[0].message
        if message == "does not exist":
            raise fail(
                f"does not exist (looked for {path})",
                hint="give the path relative to the placement file, or remove the field",
            ) from None
        if message.startswith("is ") and "bytes" in message:
            raise fail(message, hint="a letterhead logo of 1000 x 300 pixels is plenty") from None
        raise fail(message, hint=exc.problems[0].hint) from None
    try:
        return _decoded(raw, path)
    except _Refused as exc:
        raise fail(str(exc), hint="save it as an RGB PNG of about 1000 x 300 pixels") from None


class _Refused(Exception):
    pass


def _decoded(raw: bytes, path: Path) -> Path:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # never a raw Python warning
        try:
            img = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG"])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _Refused(
                f"is too large: a logo may have at most {MAX_PIXELS // 1_000_000} megapixels and {MAX_SIDE} pixels "
                "a side"
            ) from None
        except Exception as exc:
            raise _Refused(f"is not a readable PNG or JPEG image ({exc})") from None
        with img:
            width, height = img.size
            if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                raise _Refused(
                    f"is {width} x {height} pixels; a logo may have at most {MAX_PIXELS // 1_000_000} megapixels "
                    f"and {MAX_SIDE} pixels a side"
                )
            from PIL import ImageFile

            lenient = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint sets it when imported: not for the logo
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                img.load()  # the whole image, once: corrupt data fails here, not in the renderer
            except Exception as exc:
                raise _Refused(f"is not a readable image: its data is damaged ({exc})") from None
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = lenient
            if img.mode in _KEEP_MODES and width <= BOX[0] and height <= BOX[1]:
                return path  # used as it is
            return _write_scaled(img, raw)


def _write_scaled(img: Any, raw: bytes) -> Path:
    from PIL import Image

    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    out = img.convert("RGBA" if has_alpha else "RGB")
    out.thumbnail(BOX, Image.Resampling.LANCZOS)
    out.info = {}
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=False, compress_level=9)
    data = buf.getvalue()
    target = _scaled_folder() / f"logo-{hashlib.sha256(raw).hexdigest()[:24]}.png"
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


__all__ = ["BOX", "MAX_BYTES", "MAX_PIXELS", "prepare_logo"]
