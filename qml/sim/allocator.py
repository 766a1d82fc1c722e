"""Keep freed state buffers in the process instead of returning them to the OS.

Every out-of-place simulator step allocates a new state. With glibc's defaults, buffers of
a few MiB and more are ``mmap``-ed fresh and unmapped when freed (or trimmed off the heap
top), so the next step pays a page fault for every 4 KiB it touches. On the machines we
measured (KVM guests) that costs more than the arithmetic: a W1 training step (B=256,
n=12) took 1.4x, and an 8-qubit one 1.4x, the time of the same step with retained
buffers (benchmarks/NOTES.md).

:func:`retain_freed_memory` raises glibc's ``mmap`` threshold and its trim threshold to
1 GiB through ``mallopt``, and its top pad (what a trim leaves) to 1 GiB, once per
process. Freed buffers are then reused by the next step, as a caching allocator would.
Without the pad, a step whose peak exceeds the trim threshold (n=12, B=1024: 2 GB) had
glibc hand back all but a few KiB after each step and fault up to 1.3 GB in again (0.8 s ->
0.9-2.4 s per step, varying with the order of the frees). The cost: the process keeps up
to ~1 GiB of freed memory resident (it is reused, not leaked; ``malloc_trim(0)`` returns it).

It is opt-in, because it changes ``malloc`` for the whole process (every library in it): a
program calls :func:`retain_freed_memory` itself, or sets ``QML_RETAIN_MEMORY=1`` and the
simulator calls it on its first run. The ``qml`` command and the benchmark scripts, which
own their processes, call it; ``QML_RETAIN_MEMORY=0`` vetoes it everywhere. Nothing happens
on other C libraries or operating systems.

Example:
    >>> retain_freed_memory() in (True, False)
    True
"""

from __future__ import annotations

import ctypes
import logging
import sys

from qml import config

__all__ = ["retain_freed_memory", "retain_on_request"]

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 2**30
_TRIM_THRESHOLD = 2**30
_TOP_PAD = 2**30
_state: dict[str, bool] = {}


def retain_on_request() -> bool:
    """What the simulator calls on each run: tune ``malloc`` only if ``QML_RETAIN_MEMORY=1``.

    Returns:
        Whether the tuning is active in this process.

    Example:
        >>> retain_on_request() in (True, False)
        True
    """
    if config.retain_memory():
        return retain_freed_memory()
    return _state.get("done", False)


def retain_freed_memory() -> bool:
    """Tune glibc ``malloc`` once so that freed state buffers are reused (see module docstring).

    Returns:
        Whether the tuning is active in this process (False with ``QML_RETAIN_MEMORY=0``,
        or off glibc).
    """
    if "done" in _state:
        return _state["done"]
    ok = False
    wanted = config.retain_memory() is not False
    if wanted and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6")
            ok = bool(
                libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_MMAP_THRESHOLD))
                and libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_TRIM_THRESHOLD))
                and libc.mallopt(_M_TOP_PAD, ctypes.c_int(_TOP_PAD))
            )
        except (OSError, AttributeError):  # not glibc
            ok = False
        if ok:
            log.debug(
                "glibc malloc: mmap threshold %d, trim threshold %d, top pad %d",
                _MMAP_THRESHOLD,
                _TRIM_THRESHOLD,
                _TOP_PAD,
            )
    _state["done"] = ok
    return ok
