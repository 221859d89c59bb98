"""Writing into OUT under races, crashes, signals, full disks and odd entries (issue 13; generator/outdir.py,
spec/cli.md "OUT"): two builds of one pack never both write it, a sweep never deletes a running build's
folder, at every instant OUT holds the old pack or the new one, a killed build's leftovers are cleaned up
by the next one, which says so, and children die with their parent."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SAMPLES

import generator.outdir as outdir
from generator.api import build_file
from generator.errors import InputError, InternpackError

TODAY = "2026-12-01"
X1 = SAMPLES / "x1-fudan.yaml"
SLUG = "janssens-pieter-2027-03-01"
DOCX_ONLY = ("--route", "x1", "--format", "docx", "--lang", "en", "--today", TODAY)


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    e["PYTHONPATH"] = str(REPO)
    return e


def cli(*args: Any, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def complete(folder: Path) -> bool:
    """The pack in ``folder`` has every file its manifest lists, with the listed size."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return all((folder / f["path"]).stat().st_size == f["size"] for f in m["files"])


def small_build(out: Path, **kw: Any) -> Any:
    return build_file(X1, out, route="x1", formats=("docx",), lang=("en",), today=TODAY, jobs=1, **kw)


# -- claims ---------------------------------------------------------------------------------------


def test_a_second_build_of_a_pack_being_written_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    with outdir.claim(out, SLUG):
        proc = cli("build", X1, "-o", out, *DOCX_ONLY, "--force")
    assert proc.returncode == 2, proc.stderr
    assert "is being written by another internpack build right now" in proc.stderr
    assert not (out / SLUG).exists() and hidden(out) == []


def test_two_builds_at_once_one_is_refused(tmp_path: Path) -> None:
    """The issue's race: two builds of the same student and start, no --force, same OUT. Exactly one
    builds; the other is refused (being written, or already exists), never silently replaces it."""
    out = tmp_path / "OUT"
    for _round in range(3):
        shutil.rmtree(out, ignore_errors=True)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "generator", "build", str(X1), "-o", str(out), *DOCX_ONLY],
                cwd=REPO,
                env=env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes == [0, 2], results
        refused = next(err for code, err in results if code == 2)
        assert "already exists" in refused or "being written by another" in refused, refused
        assert complete(out / SLUG) and hidden(out) == []


def test_the_sweep_leaves_a_running_builds_folder_alone(tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    out.mkdir()
    running = out / f".{SLUG}.{os.getpid()}.0badc0de.tmp"
    dead = out / ".other-2027-01-01.999999.deadbeef.tmp"
    with outdir.claim(out, SLUG):
        running.mkdir()
        (running / "report.json").write_text("{}")
        dead.mkdir()
        notes = outdir.sweep(out)
        assert running.is_dir() and (running / "report.json").is_file()
        assert not dead.exists()
        assert notes == [f"removed {dead.name}, left by an interrupted build"]
    outdir.sweep(out)
    assert hidden(out) == []


def test_a_temporary_folder_removed_underneath_fails_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the batch sweep used to do: the build writes through its held folder, so it fails instead of
    recreating the folder and renaming an incomplete pack into place."""
    out = tmp_path / "OUT"
    small_build(out)
    before = (out / SLUG / "manifest.json").read_bytes()
    real = outdir.write_tree

    def swept(dir_fd: int, files: dict[str, bytes]) -> None:
        items = sorted(files.items())
        real(dir_fd, dict(items[:2]))
        for p in out.glob(".*.tmp"):
            shutil.rmtree(p)
        real(dir_fd, dict(items[2:]))

    monkeypatch.setattr(outdir, "write_tree", swept)
    with pytest.raises(InternpackError, match="nothing was changed"):
        small_build(out, force=True)
    assert (out / SLUG / "manifest.json").read_bytes() == before and complete(out / SLUG)
    assert hidden(out) == []


# -- crash windows --------------------------------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import generator.outdir as outdir
    from generator.api import build_file
    point, fallback = sys.argv[3], sys.argv[4] == "fallback"
    if fallback:
        outdir.exchange = lambda *a: False
    calls = []
    real_run = outdir._Swap.run
    def run(self, out_fd, aside):
        if point == "aside" and fallback:
            os.rename(self.final, aside, src_dir_fd=out_fd, dst_dir_fd=out_fd)
            os.kill(os.getpid(), signal.SIGKILL)
        real_run(self, out_fd, aside)
        calls.append(self.final)
        if point == "between" and len(calls) == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    outdir._Swap.run = run
    real_remove = outdir.remove
    def remove(out_fd, name):
        if point == "after" and (".tmp" in name or ".old-" in name):
            os.kill(os.getpid(), signal.SIGKILL)
        real_remove(out_fd, name)
    outdir.remove = remove
    build_file(Path(sys.argv[1]), Path(sys.argv[2]), route="x1", formats=("docx",), lang=("en",), zip_=True,
               force=True, today="2026-12-01", jobs=1)
    """
)


@pytest.mark.parametrize(
    ("point", "mode"),
    [("between", "exchange"), ("after", "exchange"), ("aside", "fallback"), ("between", "fallback")],
)
def test_a_build_killed_during_the_swap_leaves_a_whole_pack(tmp_path: Path, point: str, mode: str) -> None:
    """SIGKILL between the folder's and the zip's swap, after both (before the old pack is removed), and
    in the two-step fallback after the old pack was moved aside: OUT holds a whole pack (old or new), and
    the next build cleans up or puts back what was left, and says so."""
    out = tmp_path / "OUT"
    small_build(out, zip_=True)
    old = (out / SLUG / "manifest.json").read_bytes()
    placement = tmp_path / "p.yaml"  # a different placement: the new pack differs from the old one
    placement.write_text(X1.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    shutil.copy(SAMPLES / "lowlands-logo.png", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(placement), str(out), point, mode],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert hidden(out), "the kill point was not reached"
    if (out / SLUG).exists():
        assert complete(out / SLUG)
    else:
        assert point == "aside", "OUT/<slug> went missing"
    again = cli("build", X1, "-o", out, *DOCX_ONLY, "--zip")
    assert again.returncode == 2 and "already exists" in again.stderr, again.stderr
    assert "(cleaned up first: " in again.stderr and "left by an interrupted build" in again.stderr, again.stderr
    assert hidden(out) == [], hidden(out)
    assert complete(out / SLUG)
    now = (out / SLUG / "manifest.json").read_bytes()
    if point == "aside":
        assert now == old  # the old pack was put back
    import zipfile

    with zipfile.ZipFile(out / f"{SLUG}.zip") as zf:  # the zip belongs to the pack in the folder
        assert zf.read(f"{SLUG}/manifest.json") == now


def test_the_swap_is_one_exchange_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With an old pack there, the folder is exchanged in one call and no aside name is ever used."""
    out = tmp_path / "OUT"
    small_build(out)
    calls: list[tuple[str, str]] = []
    real = outdir.exchange

    def spy(out_fd: int, a: str, b: str) -> bool:
        calls.append((a, b))
        return real(out_fd, a, b)

    renames: list[Any] = []
    real_rename = os.rename
    monkeypatch.setattr(outdir, "exchange", spy)
    monkeypatch.setattr(outdir.os, "rename", lambda *a, **k: (renames.append(a), real_rename(*a, **k)))
    small_build(out, force=True)
    assert len(calls) == 1 and calls[0][1] == SLUG and calls[0][0].endswith(".tmp")
    assert renames == []
    assert complete(out / SLUG) and hidden(out) == []


def test_files_and_folders_are_synced_before_the_swap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "OUT"
    small_build(out)
    events: list[str] = []
    real_fsync, real_exchange = os.fsync, outdir.exchange

    def fsync(fd: int) -> None:
        events.append("dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    def exchange(out_fd: int, a: str, b: str) -> bool:
        events.append("swap")
        return real_exchange(out_fd, a, b)

    monkeypatch.setattr(outdir.os, "fsync", fsync)
    monkeypatch.setattr(outdir, "exchange", exchange)
    result = small_build(out, force=True)
    first_swap = events.index("swap")
    assert events[:first_swap].count("file") == len(result.files)
    assert events[:first_swap].count("dir") >= 2  # the route folder and the pack folder
    assert "dir" in events[first_swap:]  # OUT itself, after the swap


# -- what is in the way ---------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _file(path: Path) -> None:
    path.write_text("not a pack")


def _link_elsewhere(path: Path) -> None:
    target = path.parent.parent / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep me")
    path.symlink_to(target)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_file, "(a file)"),
        (_fifo, "(a named pipe (FIFO))"),
        (_link_elsewhere, "(a symbolic link to"),
        (_dangling, "which does not exist)"),
    ],
    ids=["file", "fifo", "symlink", "dangling-symlink"],
)
def test_something_in_the_way_is_named_and_force_replaces_only_the_entry(tmp_path: Path, make: Any, words: str) -> None:
    out = tmp_path / "OUT"
    out.mkdir()
    make(out / SLUG)
    refused = cli("build", X1, "-o", out, *DOCX_ONLY, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert "already exists" in refused.stderr and words in refused.stderr, refused.stderr
    forced = cli("build", X1, "-o", out, *DOCX_ONLY, "--force", timeout=120)
    assert forced.returncode == 0, forced.stderr
    assert (out / SLUG).is_dir() and not (out / SLUG).is_symlink() and complete(out / SLUG)
    assert hidden(out) == []
    if make is _link_elsewhere:
        assert (tmp_path / "elsewhere" / "keep.txt").read_text() == "keep me"


@pytest.mark.parametrize("what", ["file", "under-a-file"])
def test_an_out_that_cannot_be_created_is_a_usage_error(tmp_path: Path, what: str) -> None:
    """spec/cli.md: OUT that cannot be created or written to is exit status 2, naming -o."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = blocker if what == "file" else blocker / "OUT"
    proc = cli("build", X1, "-o", out, *DOCX_ONLY)
    assert proc.returncode == 2, proc.stderr
    if what == "file":  # click's own check of -o says it
        assert "Invalid value for '-o' / '--out'" in proc.stderr and "is a file" in proc.stderr
    else:
        assert f"-o {out}: the output folder cannot be created or written to (Not a directory)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only tmpfs needs root")
def test_a_read_only_out_is_a_usage_error(tmp_path: Path) -> None:
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("mount -t tmpfs is not allowed here")
    try:
        proc = cli("build", X1, "-o", mnt, *DOCX_ONLY)
        assert proc.returncode == 2, proc.stderr
        assert "cannot be created or written to (Read-only file system)" in proc.stderr
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


# -- full disk ------------------------------------------------------------------------------------


def _small_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]).returncode == 0


@pytest.mark.parametrize("mode", ["tmpfs", "simulated"])
def test_a_full_disk_while_writing_is_a_clean_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A real 64 kB tmpfs where the machine allows mounting (a DOCX-only pack is ~140 kB), and ENOSPC from
    the fifth write everywhere."""
    mnt = tmp_path / "disk"
    mounted = mode == "tmpfs" and _small_tmpfs(mnt, "64k")
    if mode == "tmpfs" and not mounted:
        pytest.skip("mount -t tmpfs is not allowed here (the simulated case runs)")
    try:
        if mode == "simulated":
            mnt.mkdir()
            calls = {"n": 0}
            real = os.write

            def write(fd: int, data: Any) -> int:
                calls["n"] += 1
                if calls["n"] > 4:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(fd, data)

            monkeypatch.setattr(outdir.os, "write", write)
        out = mnt / "OUT"
        with pytest.raises(InternpackError, match="No space left on device; nothing was changed") as err:
            small_build(out)
        assert not isinstance(err.value, InputError) and err.value.exit_code == 1
        assert not out.exists() or list(out.iterdir()) == []
    finally:
        if mounted:
            subprocess.run(["umount", str(mnt)], check=True)


def test_batch_on_a_full_disk_writing_the_summary_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path as P

    import generator.batch as batch

    out = tmp_path / "OUT"
    out.mkdir()
    real = P.write_bytes

    def full(self: P, data: bytes) -> int:
        if self.name.endswith(".tmp") and self.parent == out:
            real(self, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(P, "write_bytes", full)
    with pytest.raises(InternpackError, match="No space left on device") as err:
        batch.write_summary([], out, tmp_path / "cohort.csv", TODAY)
    assert not isinstance(err.value, InputError)
    assert hidden(out) == []


# -- signals and orphans --------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids |= {int(x) for x in fh.read().split()}
    except OSError:
        pass
    return kids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def _start_pdf_build(out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", str(X1), "-o", str(out), "--route", "both", "--today", TODAY],
        cwd=REPO,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_children(proc: subprocess.Popen[str], n: int = 2, timeout: float = 120) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= n:
            return kids
        if proc.poll() is not None:
            pytest.fail(f"the build ended before forking its renderers: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    pytest.fail("the build did not fork its renderers")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_renderers_die_with_a_killed_build(tmp_path: Path) -> None:
    proc = _start_pdf_build(tmp_path / "OUT")
    kids = _wait_for_children(proc)
    proc.kill()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if _alive(k)], "forked renderers outlived the killed build"


def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    proc = _start_pdf_build(out)
    kids = _wait_for_children(proc)
    proc.terminate()
    code = proc.wait(timeout=60)
    err = proc.stderr.read() if proc.stderr else ""
    assert code == 143, err
    assert "Terminated: nothing more was written." in err and "Traceback" not in err, err
    assert not (out / SLUG).exists() and (not out.exists() or hidden(out) == []), sorted(os.listdir(out))
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if _alive(k)]
