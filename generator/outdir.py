"""Writing a pack into OUT so that nothing is lost, whatever happens (spec/cli.md, "OUT"):

- a build first *claims* OUT/<name>: an exclusive, non-blocking ``flock`` on ``OUT/.<name>.lock``, held until
  the pack is in place. A second build of the same name is refused at once, never silently replaces the
  first; the kernel drops the lock of a killed process, so a crash never blocks the next build;
- with the claim held, whatever a killed build left for that name is removed, or put back when it was
  the previous pack (``recover``); the build says what it did;
- the files are written through a held descriptor of a temporary folder ``OUT/.<name>.<pid>.<hex>.tmp``
  (a folder removed underneath fails the build instead of being recreated half-empty), each file and
  folder fsync'ed;
- the temporary folder and OUT/<name> are swapped with one ``renameat2(RENAME_EXCHANGE)`` (Linux), so OUT
  holds the old pack or the new one at every instant; elsewhere the old pack is renamed aside first and a
  killed build's aside copy is put back by the next one. The zip follows the same way.

A sweep (batch) removes only leftovers whose name it can claim: never what a running build is writing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import InputError, InternpackError, Problem

_LEFTOVER = re.compile(r"^\.(?P<name>[^/]+?)\.(?:\d+\.[0-9a-f]+\.tmp(?:\.zip)?|old-\d+(?:\.zip)?|lock)$")


def describe(out_fd: int, name: str) -> str | None:
    """What OUT/<name> is, in words for a message ("a folder", "a symbolic link to '…', which does not
    exist"), or None when nothing is there."""
    try:
        st = os.stat(name, dir_fd=out_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        target = os.readlink(name, dir_fd=out_fd)
        try:
            os.stat(name, dir_fd=out_fd)
        except OSError:
            return f"a symbolic link to {target!r}, which does not exist"
        return f"a symbolic link to {target!r}"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device file"


def remove(out_fd: int, name: str) -> None:
    """Remove OUT/<name> whatever it is: a folder with its contents, or the entry itself (a symbolic link
    is removed, never what it points to; a FIFO is unlinked, never opened)."""
    try:
        st = os.stat(name, dir_fd=out_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(name, dir_fd=out_fd)
    else:
        os.unlink(name, dir_fd=out_fd)


# -- the swap -------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2  # <linux/fs.h>
_renameat2: Callable[..., int] | None = None
_probed = False


def exchange(out_fd: int, a: str, b: str) -> bool:
    """Swap the entries ``a`` and ``b`` of one folder atomically (Linux renameat2 RENAME_EXCHANGE). False
    where the C library or the file system cannot do it (the caller then renames in two steps)."""
    global _renameat2, _probed
    if not _probed:
        _probed = True
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
            _renameat2 = fn
        except (AttributeError, OSError):
            _renameat2 = None
    if _renameat2 is None:
        return False
    if _renameat2(out_fd, os.fsencode(a), out_fd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def _exists(out_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=out_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


@dataclass
class _Swap:
    """One temporary entry put in place of ``final``; ``old`` is where the previous entry went (or None)."""

    tmp: str
    final: str
    old: str | None = None
    done: bool = False

    def run(self, out_fd: int, aside: str) -> None:
        if not _exists(out_fd, self.final):
            os.rename(self.tmp, self.final, src_dir_fd=out_fd, dst_dir_fd=out_fd)
        elif exchange(out_fd, self.tmp, self.final):
            self.old = self.tmp  # the temporary name now holds the previous entry
        else:  # two steps: a killed build's aside copy is put back by recover()
            os.rename(self.final, aside, src_dir_fd=out_fd, dst_dir_fd=out_fd)
            self.old = aside
            os.rename(self.tmp, self.final, src_dir_fd=out_fd, dst_dir_fd=out_fd)
        self.done = True

    def undo(self, out_fd: int) -> None:
        if not self.done:
            return
        if self.old is None:
            remove(out_fd, self.final)
        elif self.old == self.tmp and exchange(out_fd, self.tmp, self.final):
            pass  # the previous entry is back, the new one is at tmp (removed by the caller)
        else:
            remove(out_fd, self.final)
            os.rename(self.old, self.final, src_dir_fd=out_fd, dst_dir_fd=out_fd)
        self.done = False


# -- the claim ------------------------------------------------------------------------------------


def _not_writable(out: Path, exc: OSError) -> InputError:
    return InputError(
        f"-o {out}: the output folder cannot be created or written to ({exc.strerror or exc})",
        hint="choose another -o folder, or fix its permissions",
    )


def open_out(out: Path) -> tuple[int, bool]:
    """OUT created when missing and opened as a held folder; (descriptor, whether it was created now)."""
    created = not os.path.lexists(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _not_writable(out, exc) from exc
    return fd, created


@dataclass
class Claim:
    out: Path
    out_fd: int
    name: str
    notes: list[str] = field(default_factory=list)


def _lock(out: Path, out_fd: int, name: str, wait: bool) -> int | None:
    """The lock file of ``name``, locked (None when another process holds it and ``wait`` is false). The
    file is unlinked by its holder before it unlocks: a lock taken on a file that is no longer the one
    under that name is dropped and taken again."""
    lock = f".{name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644, dir_fd=out_fd)
        except OSError as exc:
            raise _not_writable(out, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(lock, dir_fd=out_fd, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


def _unlock(out_fd: int, name: str, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(f".{name}.lock", dir_fd=out_fd)
    os.close(fd)


@contextlib.contextmanager
def claim(out: Path, name: str, *, zip_name: str | None = None, force: bool = False) -> Iterator[Claim]:
    """The exclusive right to write OUT/<name> (and OUT/<zip_name>), after what a killed build left was
    cleaned up. Refused (exit 2) when another build holds it, or when something is in the way and
    ``force`` is not given. OUT is removed again on failure when this call created it and it is empty."""
    out_fd, created = open_out(out)
    ok = False
    try:
        fd = _lock(out, out_fd, name, wait=False)
        if fd is None:
            raise InputError(
                f"{out / name} is being written by another internpack build right now",
                hint="wait for it to finish; --force then replaces its pack",
            )
        try:
            c = Claim(out, out_fd, name, recover(out_fd, name, zip_name))
            what = describe(out_fd, name)
            if what is not None and not force:
                raise InputError(
                    [
                        Problem(
                            f"{out / name} already exists" + ("" if what == "a folder" else f" ({what})"),
                            hint="use --force to replace it",
                        ),
                        *(Problem(f"(cleaned up first: {note})") for note in c.notes),
                    ]
                )
            if zip_name is not None and describe(out_fd, zip_name) == "a folder":
                raise InputError(
                    f"{out / zip_name} exists and is a folder, not a file", hint="remove it or build without --zip"
                )
            yield c
            ok = True
        finally:
            _unlock(out_fd, name, fd)
    finally:
        if created and not ok:
            with contextlib.suppress(OSError):
                os.rmdir(out)
        os.close(out_fd)


# -- what a killed build left ---------------------------------------------------------------------


def _zip_manifest(out_fd: int, entry: str, name: str) -> bytes | None:
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=out_fd)
        with os.fdopen(fd, "rb") as fh, zipfile.ZipFile(fh) as zf:
            return zf.read(f"{name}/manifest.json")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None


def _read(out_fd: int, rel: str) -> bytes | None:
    try:
        fd = os.open(rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=out_fd)
        with os.fdopen(fd, "rb") as fh:
            return fh.read(1 << 22)
    except OSError:
        return None


def recover(out_fd: int, name: str, zip_name: str | None = None) -> list[str]:
    """Clean up after a build of ``name`` that was killed (the caller holds the claim, so none is running):
    a previous pack or zip that was renamed aside while OUT/<name> is missing is put back; a new zip whose
    pack is already in place (killed between the two swaps) is moved into place; everything else (temporary
    folders and zips, the previous pack left after a swap) is removed. Returns what was done, as notes."""
    zip_name = zip_name or f"{name}.zip"
    notes: list[str] = []
    mine = sorted(e for e in os.listdir(out_fd) if (m := _LEFTOVER.match(e)) and m["name"] == name)
    for entry in mine:
        if entry.endswith(".lock") or not _exists(out_fd, entry):
            continue
        if ".old-" in entry:
            final = zip_name if entry.endswith(".zip") else name
            if not _exists(out_fd, final):
                os.rename(entry, final, src_dir_fd=out_fd, dst_dir_fd=out_fd)
                notes.append(f"put back {final}, which an interrupted build had moved aside ({entry})")
                continue
        elif entry.endswith(".tmp.zip"):
            built = _zip_manifest(out_fd, entry, name)
            if built is not None and built == _read(out_fd, f"{name}/manifest.json"):
                if _exists(out_fd, zip_name) and exchange(out_fd, entry, zip_name):
                    remove(out_fd, entry)
                else:
                    os.replace(entry, zip_name, src_dir_fd=out_fd, dst_dir_fd=out_fd)
                notes.append(f"moved {zip_name} of the pack in place, which an interrupted build had not ({entry})")
                continue
        remove(out_fd, entry)
        notes.append(f"removed {entry}, left by an interrupted build")
    return notes


def sweep(out: Path) -> list[str]:
    """Clean up what killed builds left in OUT, for every name no running build has claimed."""
    try:
        out_fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return []
    notes: list[str] = []
    try:
        names = sorted({m["name"] for e in os.listdir(out_fd) if (m := _LEFTOVER.match(e))})
        for name in names:
            try:
                fd = _lock(out, out_fd, name, wait=False)
            except InputError:
                return notes
            if fd is None:
                continue  # a build is writing it: not ours to touch
            try:
                notes += recover(out_fd, name)
            finally:
                _unlock(out_fd, name, fd)
    finally:
        os.close(out_fd)
    return notes


# -- writing --------------------------------------------------------------------------------------


def _fsync_dir(dir_fd: int, rel: str | None = None) -> None:
    fd = os.open(rel, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd) if rel else dir_fd
    try:
        os.fsync(fd)
    finally:
        if rel:
            os.close(fd)


def write_file(dir_fd: int, rel: str, data: bytes) -> None:
    fd = os.open(rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_tree(dir_fd: int, files: dict[str, bytes]) -> None:
    """Every file under the held folder ``dir_fd`` (its sub-folders made once), synced to disk."""
    folders: list[str] = []
    for rel in sorted(files):
        parts = rel.split("/")
        for i in range(1, len(parts)):
            sub = "/".join(parts[:i])
            if sub not in folders:
                os.mkdir(sub, 0o777, dir_fd=dir_fd)
                folders.append(sub)
        write_file(dir_fd, rel, files[rel])
    for sub in reversed(folders):
        _fsync_dir(dir_fd, sub)
    os.fsync(dir_fd)


def temporary_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def write_pack(
    c: Claim,
    files: dict[str, bytes],
    zip_name: str | None,
    make_zip: Callable[[Path, Path], None],
) -> None:
    """Write ``files`` into a temporary folder of OUT (and the zip, made by ``make_zip(folder, target)``),
    then swap them in. On any failure, or a signal, the temporary entries are removed and whatever was in
    OUT before is there again, as it was."""
    out_fd, name = c.out_fd, c.name
    tmp = temporary_name(name)
    tmp_zip = tmp + ".zip"
    swaps = [_Swap(tmp, name)] + ([_Swap(tmp_zip, zip_name)] if zip_name else [])
    try:
        os.mkdir(tmp, 0o700, dir_fd=out_fd)
        tmp_fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=out_fd)
        try:
            write_tree(tmp_fd, files)
            if zip_name:
                make_zip(c.out / tmp, c.out / tmp_zip)
                zfd = os.open(tmp_zip, os.O_RDONLY | os.O_CLOEXEC, dir_fd=out_fd)
                try:
                    os.fsync(zfd)
                finally:
                    os.close(zfd)
            if os.fstat(tmp_fd).st_nlink == 0 or os.stat(tmp, dir_fd=out_fd).st_ino != os.fstat(tmp_fd).st_ino:
                raise InternpackError(
                    f"the temporary folder of {c.out / name} was removed while the pack was written; nothing "
                    "was changed",
                    hint="do not run other programs that clean OUT while a build runs",
                )
        finally:
            os.close(tmp_fd)
        for n, swap in enumerate(swaps):
            swap.run(out_fd, f".{swap.final}.old-{os.getpid()}" if n == 0 else f".{name}.old-{os.getpid()}.zip")
        os.fsync(out_fd)
    except BaseException as exc:
        for swap in reversed(swaps):  # undo in reverse order: whatever was there comes back
            with contextlib.suppress(OSError):
                swap.undo(out_fd)
        for entry in (tmp, tmp_zip):
            with contextlib.suppress(OSError):
                remove(out_fd, entry)
        if isinstance(exc, OSError):
            raise InternpackError(
                f"writing the pack to {c.out / name} failed: {exc.strerror or exc}; nothing was changed",
                hint="check the free space and permissions of the output folder",
            ) from exc
        raise
    for swap in swaps:  # the previous pack and zip, now under the temporary or aside names
        if swap.old is not None:
            with contextlib.suppress(OSError):
                remove(out_fd, swap.old)
    with contextlib.suppress(OSError):
        os.fsync(out_fd)


__all__ = ["Claim", "claim", "describe", "exchange", "recover", "remove", "sweep", "write_pack"]
