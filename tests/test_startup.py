"""What a fresh process spends before its first page (issue 11): WeasyPrint imported without the library
lookup's subprocesses. Each check runs in a subprocess: the import happens once per process.

(Jinja's bytecode cache would save another ~0.3 s per fresh build, but it writes into the temp folder, and
a build writes nothing outside its output folder: tests/test_pack.py::test_nothing_is_written_outside_out.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, **env: str) -> str:
    import os

    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="the lookup is bypassed on Linux only")
def test_weasyprint_loads_its_libraries_without_running_find_library() -> None:
    out = _python(
        "import ctypes.util, subprocess\n"
        "real = ctypes.util.find_library\n"
        "spawned = []\n"
        "popen = subprocess.Popen.__init__\n"
        "def spy(self, args, *a, **k):\n"
        "    spawned.append(args)\n"
        "    popen(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "from generator.render.pdf import PdfRenderer\n"
        "renderer = PdfRenderer()\n"
        "assert ctypes.util.find_library is real\n"
        "maps = open('/proc/self/maps').read()\n"
        "for lib in ('libgobject-2.0', 'libpango-1.0', 'libharfbuzz', 'libfontconfig', 'libpangoft2-1.0'):\n"
        "    assert lib in maps, lib\n"
        "doc = renderer.render('<p>实习 internship</p>', 'probe')\n"
        "assert len(renderer.write(doc)) > 1000\n"
        "print(len(spawned))\n"
    )
    assert out.strip() == "0"  # no ldconfig, gcc or ld started


def test_weasyprint_is_imported_as_usual_when_a_library_is_only_found_by_find_library() -> None:
    """The first import attempt fails (as when a library lies outside the loader's search path): the import
    is done again with ctypes.util.find_library in place, and WeasyPrint's banner is not printed."""
    out = _python(
        "import sys, ctypes.util\n"
        "real = ctypes.util.find_library\n"
        "tries = []\n"
        "class FailOnce:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'weasyprint.text.ffi' and not tries:\n"
        "            tries.append(ctypes.util.find_library('gobject-2.0'))\n"
        "            raise OSError('cannot load library libgobject-2.0-0')\n"
        "        return None\n"
        "sys.meta_path.insert(0, FailOnce())\n"
        "from generator.render.pdf import _weasyprint\n"
        "weasyprint = _weasyprint()\n"
        "assert weasyprint.HTML and ctypes.util.find_library is real\n"
        "print(tries)\n"
    )
    assert out.strip() == "[None]"  # the failed attempt ran with the lookup bypassed, the retry succeeded
