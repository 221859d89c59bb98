"""How a process that renders packs is tuned (the CLI, a batch worker, the web app): the renderers it keeps,
its one warm-up, the garbage collector and malloc settings, and rendering in forked processes.

None of it changes what a pack holds: only how fast and in how much memory it is made."""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Renderers:
    """The heavy renderers, created once per process (batch workers reuse them across packs)."""

    def __init__(self) -> None:
        self._pdf: dict[Path | None, Any] = {}

    def pdf(self, logo: Path | None) -> Any:
        from generator.render.pdf import PdfRenderer

        if logo not in self._pdf:
            self._pdf[logo] = PdfRenderer([logo] if logo else [])
        return self._pdf[logo]


_DEFAULT_RENDERERS: Renderers | None = None


def default_renderers() -> Renderers:
    global _DEFAULT_RENDERERS
    if _DEFAULT_RENDERERS is None:
        _DEFAULT_RENDERERS = Renderers()
    return _DEFAULT_RENDERERS


def warm_up(
    renderers: Renderers | None = None,
    formats: Collection[str] = ("docx", "pdf"),
    logo: Path | None = None,
) -> None:
    """Import the heavy libraries and set the renderers up once (before a fork: the children share it).
    Every face calls this one: the CLI through a build, a batch worker with its first pack, the web app
    when it starts."""
    renderers = renderers or default_renderers()
    if "pdf" in formats:
        renderers.pdf(logo)
        import pypdf  # noqa: F401
    if "docx" in formats:
        import docxtpl  # noqa: F401
        import lxml.html  # noqa: F401

        import generator.render.docx  # noqa: F401
    settle_heap()


@functools.cache
def settle_heap() -> None:
    """Once per process, after the heavy imports: freeze what exists (the cyclic collector stops scanning
    the libraries' objects, and forked workers leave those pages shared), and collect young objects less
    often in what runs outside the rendering (reading and checking a cohort's rows, composing): with the
    default threshold (700) the collector ran hundreds of times per pack, before rendering went without it
    (collected_once). Measured then: one pack in a warm process 1.70 -> 1.50 s."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(2000, 10, 10)
    _keep_large_blocks()


def _keep_large_blocks() -> None:
    """glibc only: serve blocks up to 32 MiB from the heap and keep freed memory there (up to 128 MiB)
    instead of mapping and unmapping it each time. WeasyPrint copies each font file it embeds (20 MB for
    the CJK one) every time it writes a PDF; those pages were faulted in afresh for every pack. Measured
    over ten packs: 25 000 -> 14 600 page faults and 1.12 -> 1.08 s per pack, the same peak memory."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):  # not glibc
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's upper limit for it on 64-bit systems
    mallopt(m_trim_threshold, 128 << 20)


@contextlib.contextmanager
def collected_once() -> Iterator[None]:
    """No automatic cyclic garbage collection while a pack renders; one collection of the young generations
    when it is done. Rendering allocates ~10^6 objects, few of them in cycles: the collector ran ~45 times
    per pack and went through older survivors again and again, 80-105 ms of a 1.2 s pack. Collecting once at
    the end took 35-70 ms, and peak memory was lower too (a pack's garbage no longer got promoted to the
    old generation, which is only collected now and then): 232 -> 222 MiB after ten packs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(1)


def can_fork() -> bool:
    import multiprocessing
    import threading

    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


_FORKED: Callable[[Any], Any] | None = None


def _call_forked(item: Any) -> Any:
    assert _FORKED is not None, "only called in a process forked by in_forked_processes"
    return _FORKED(item)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (whatever was being written is removed, nothing partial is left), and
    reported with exit status 143 (128 + SIGTERM) instead of 130."""


_TERMINATED = False


def terminated() -> bool:
    """Whether this process got SIGTERM (after terminate_like_interrupt): its exit status is then 143."""
    return _TERMINATED


def terminate_like_interrupt() -> None:
    """From now on SIGTERM in this process raises Terminated (the faces call it when they start)."""

    def handler(signum: int, frame: Any) -> None:
        global _TERMINATED
        _TERMINATED = True
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the clean-up runs undisturbed
        raise Terminated

    import threading

    if threading.current_thread() is threading.main_thread():  # signals can only be set there
        signal.signal(signal.SIGTERM, handler)


def die_with_parent(parent: int) -> None:
    """In a forked child (a renderer, a batch worker): killed by the kernel as soon as its parent dies,
    however it dies (Linux prctl PR_SET_PDEATHSIG), so no child outlives a killed build; SIGTERM back to
    its default. ``parent`` is the pid of the parent, taken before the fork (it may already be gone)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (AttributeError, OSError):  # not Linux
        return
    pr_set_pdeathsig = 1  # <linux/prctl.h>
    prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


def fork_pool(workers: int) -> Any:
    """A pool of forked worker processes that die with this one."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


def kill_pool(pool: Any) -> None:
    """Stop a pool's processes now (on Ctrl-C or SIGTERM: what they were making is thrown away anyway)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, AttributeError):
            proc.kill()


def in_forked_processes(
    fn: Callable[[T], R], items: Sequence[T], jobs: int, meanwhile: Callable[[], None] = lambda: None
) -> list[R]:
    """``fn(item)`` for each item, in up to ``jobs`` processes forked from this one (they share what
    warm_up set up, and ``fn`` itself is inherited, never pickled: only the items and results are), while
    this process runs ``meanwhile``. The results in the order of ``items``."""
    global _FORKED
    _FORKED = fn
    try:
        with fork_pool(min(jobs, len(items))) as pool:
            try:
                futures = [pool.submit(_call_forked, item) for item in items]
                meanwhile()
                return [future.result() for future in futures]
            except BaseException:
                kill_pool(pool)
                raise
    finally:
        _FORKED = None


__all__ = [
    "Renderers",
    "Terminated",
    "die_with_parent",
    "fork_pool",
    "kill_pool",
    "terminate_like_interrupt",
    "terminated",
    "can_fork",
    "collected_once",
    "default_renderers",
    "in_forked_processes",
    "settle_heap",
    "warm_up",
]
