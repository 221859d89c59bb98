"""`internpack serve`: how long the live check takes at the server (target <= 150 ms for a sample), and a build
in the app against the CLI's build of the same file. The check is a real HTTP request through uvicorn on
127.0.0.1 (the figure a browser waits for, less its own rendering); the build compares the app's /build with
`internpack build` as a whole process and in-process (api.build_file).

    .venv/bin/python bench/bench_web.py [N] [--build]
"""

from __future__ import annotations

import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator import api  # noqa: E402
from generator.web import form  # noqa: E402
from generator.web.app import Config, create_app  # noqa: E402
from generator.web.serve import bind  # noqa: E402

TODAY = "2026-12-01"
EXE = str(Path(sys.executable).with_name("internpack"))


def body(values: dict[str, Any], csrf: str, **extra: str) -> bytes:
    boxes = {f.path for f in form.fields() if f.kind == "checkboxes"}
    pairs = [("csrf", csrf)] + [("_lists", p) for p in sorted(boxes)]
    for key, value in values.items():
        if key in boxes:
            pairs += [(key, v) for v in value]
        else:
            pairs.append((key, "\n".join(value) if isinstance(value, list) else value))
    pairs += list(extra.items())
    return urlencode(pairs).encode()


def post(port: int, path: str, data: bytes) -> tuple[float, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("POST", path, data, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    content = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    assert response.status == 200, content[:300]
    return seconds, content


def main() -> None:
    runs = int(next((a for a in sys.argv[1:] if a.isdigit()), "30"))
    data = Path(tempfile.mkdtemp())
    app = create_app(Config(today=TODAY, data=data))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    csrf = app.state.s.csrf
    print(f"live check: POST /check through uvicorn on 127.0.0.1, {runs} runs after one warm-up request")
    print(f"{'sample':<28}{'median ms':>10}{'p90 ms':>10}{'max ms':>10}{'bytes':>9}")
    for name in ("s2-shanghai.yaml", "x1-fudan.yaml", "s2-zhongguancun.yaml", "no-route.yaml"):
        values = form.values_of_data(api.read_placement(ROOT / "samples" / name).data)
        values.pop("host.logo", None)
        payload = body(values, csrf)
        post(port, "/check", payload)
        times = sorted(post(port, "/check", payload)[0] * 1000 for _ in range(runs))
        size = len(post(port, "/check", payload)[1])
        p90 = times[int(0.9 * (len(times) - 1))]
        print(f"{name:<28}{statistics.median(times):>10.1f}{p90:>10.1f}{times[-1]:>10.1f}{size:>9}")
    if "--build" in sys.argv:
        values = form.values_of_data(api.read_placement(ROOT / "samples" / "x1-fudan.yaml").data)
        values.pop("host.logo", None)
        payload = body(values, csrf, _route="both", _blanks="1")
        web = []
        for _ in range(3):
            seconds, content = post(port, "/build", payload)
            assert b'data-build="' in content, content[:500]
            web.append(seconds)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "placement.yaml").write_text(api.placement_yaml(form.placement_data(values)), encoding="utf-8")
            cli = []
            for n in range(3):
                started = time.perf_counter()
                subprocess.run(
                    [EXE, "build", "placement.yaml", "-o", f"out{n}", "--route", "both", "--zip", "--allow-blanks"]
                    + ["--today", TODAY],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                )
                cli.append(time.perf_counter() - started)
        print(
            "build x1-fudan --route both --zip --allow-blanks (3 runs each; the app's first build includes its warm-up)"
        )
        print(f"  app POST /build   median {statistics.median(web):.2f} s   runs {', '.join(f'{t:.2f}' for t in web)}")
        print(f"  CLI whole process median {statistics.median(cli):.2f} s   runs {', '.join(f'{t:.2f}' for t in cli)}")
    server.should_exit = True
    thread.join(10)


if __name__ == "__main__":
    main()
