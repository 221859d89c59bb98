"""Hostile and awkward logos (issue 13; generator/images.py): each is used, converted and scaled, or refused
naming host.logo — never an internal error, a raw Python warning, a hang, or a 27 MB image in every PDF."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SAMPLES
from PIL import Image

from generator import images
from generator.errors import InputError

TODAY = "2026-12-01"
WHERE = {"file": "p.yaml", "line": 57, "path": "host.logo"}


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height 8-bit grey pixels (a decompression bomb's header) with one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def save(img: Image.Image, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def prepare(tmp_path: Path, name: str, data: bytes | None = None) -> Path:
    if data is not None:
        (tmp_path / name).write_bytes(data)
    return images.prepare_logo(name, tmp_path, WHERE)


def refused(tmp_path: Path, name: str, data: bytes | None = None) -> str:
    with pytest.raises(InputError) as err:
        prepare(tmp_path, name, data)
    (problem,) = err.value.problems
    assert problem.path == "host.logo" and problem.line == 57
    return str(problem)


def test_the_sample_logo_is_used_as_it_is(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "lowlands-logo.png", tmp_path)
    assert prepare(tmp_path, "lowlands-logo.png") == (tmp_path / "lowlands-logo.png").resolve()


def test_a_cmyk_jpeg_becomes_an_rgb_png(tmp_path: Path) -> None:
    path = prepare(tmp_path, "cmyk.jpg", save(Image.new("CMYK", (400, 120), (0, 200, 200, 0)), "JPEG"))
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGB" and img.size == (400, 120)
        r, g, b = img.getpixel((10, 10))
        assert r > 200 and g < 100 and b < 100, (r, g, b)  # cyan-free, magenta+yellow: red, not inverted


def test_a_large_logo_is_scaled_to_the_printed_box_and_written_the_same_way_twice(tmp_path: Path) -> None:
    big = Image.linear_gradient("L").resize((3000, 900)).convert("RGB")
    data = save(big, "PNG")
    first = prepare(tmp_path, "big.png", data)
    with Image.open(first) as img:
        assert img.size[0] <= images.BOX[0] and img.size[1] <= images.BOX[1] and img.info == {}
    again = first.read_bytes()
    first.unlink()
    assert prepare(tmp_path, "big.png", data).read_bytes() == again


def test_a_27_mb_noise_png_is_refused_by_size(tmp_path: Path) -> None:
    noise = os.urandom(27 * 1024 * 1024)
    message = refused(tmp_path, "noise.png", noise)
    assert "is 28,311,552 bytes; a logo may be at most 5 MiB" in message, message


def test_a_144_megapixel_png_bomb_is_refused_without_a_python_warning(tmp_path: Path) -> None:
    placement = tmp_path / "p.yaml"
    text = (SAMPLES / "s2-shanghai.yaml").read_text(encoding="utf-8")
    placement.write_text(text, encoding="utf-8")
    (tmp_path / "lowlands-logo.png").write_bytes(png_header_only(12000, 12000))
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-m", "generator", "build", str(placement), "-o", str(tmp_path / "out")]
        + ["--route", "s2", "--format", "docx", "--today", TODAY],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "host.logo: 'lowlands-logo.png' is too large: a logo may have at most 25 megapixels" in proc.stderr
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_damaged_image_data_that_passes_verify_is_refused(tmp_path: Path) -> None:
    good = save(Image.linear_gradient("L").resize((300, 100)).convert("RGB"), "PNG")
    start = good.index(b"IDAT") + 4
    length = struct.unpack(">I", good[start - 8 : start - 4])[0]
    body = bytearray(good[start : start + length])
    body[len(body) // 2 :] = b"\xff" * (len(body) - len(body) // 2)  # the deflate stream's second half
    broken = (
        good[: start - 4] + b"IDAT" + bytes(body) + struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)) & 0xFFFFFFFF)
    )
    broken += good[start + length + 4 :]
    with Image.open(io.BytesIO(broken)) as img:
        img.verify()  # the checksums are right: verify() alone lets it through
    assert "its data is damaged" in refused(tmp_path, "broken.png", broken)
    import weasyprint  # noqa: F401  (it makes Pillow lenient with truncated images, for the whole process)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    assert "its data is damaged" in refused(tmp_path, "broken.png", broken)  # refused all the same
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # and WeasyPrint's setting is left as it was


def test_a_300_character_file_name_is_an_input_error(tmp_path: Path) -> None:
    name = "l" * 296 + ".png"
    message = refused(tmp_path, name)
    assert "cannot be read: File name too long" in message and "…" in message, message


def test_a_symlink_loop_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    message = refused(tmp_path, "loop.png")
    assert "'loop.png' cannot be read" in message, message


def test_a_fifo_logo_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    assert "'pipe.png' is a pipe or named pipe (FIFO), not a logo" in refused(tmp_path, "pipe.png")


def test_a_text_file_named_png_is_refused(tmp_path: Path) -> None:
    assert "is not a readable PNG or JPEG image" in refused(tmp_path, "fake.png", b"hello, not an image\n")


def test_a_missing_logo_and_one_outside_the_folder(tmp_path: Path) -> None:
    assert "'none.png' does not exist (looked for" in refused(tmp_path, "none.png")
    assert "is outside the placement file's folder" in refused(tmp_path, "../x.png")


def test_a_cmyk_logo_builds_a_pack(tmp_path: Path) -> None:
    from generator.api import build_file

    placement = tmp_path / "p.yaml"
    placement.write_text((SAMPLES / "s2-shanghai.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    Image.new("CMYK", (2400, 800), (0, 200, 200, 0)).save(tmp_path / "lowlands-logo.png", "JPEG")
    result = build_file(placement, tmp_path / "out", route="s2", formats=("docx",), lang=("en",), today=TODAY, jobs=1)
    assert result.files
    size = (result.folder / "s2" / "invitation_letter.docx").stat().st_size
    assert size < 400_000, size  # the scaled logo, not the 2400 x 800 original


def test_a_30_megapixel_logo_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    message = refused(tmp_path, "wide.png", png_header_only(6000, 5000))  # below Pillow's own bomb limit
    assert "'wide.png' is 6000 x 5000 pixels; a logo may have at most 25 megapixels" in message, message
