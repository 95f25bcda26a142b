"""Stop a run on SIGTERM or Ctrl-C without raising inside compiled code.

Python runs a signal handler between two bytecodes of the main thread, wherever they are. A
handler that raises KeyboardInterrupt therefore raised it inside numba's dispatch and compile
machinery (the process then died with SIGSEGV) or inside a garbage collector's `__del__` (where
the exception is printed and dropped, so the run went on to the end). Here the handler records
the request and raises only outside `deferred()` blocks; a deferred request is raised when the
block ends, and `check()` raises a request that was dropped.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_requested = False
_local = threading.local()  # the handler runs in the main thread: its depth is what counts


def _depth() -> int:
    return getattr(_local, "depth", 0)


def _handler(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = True
    if _depth() == 0:
        raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if a stop signal arrived (even one whose raise was dropped)."""
    if _requested:
        raise KeyboardInterrupt


@contextmanager
def handled() -> Iterator[None]:
    """SIGTERM and SIGINT stop the block with KeyboardInterrupt (main thread only; elsewhere
    the signals keep their handlers; an ignored SIGINT, as in a shell's background job, stays
    ignored). The previous handlers come back at the end."""
    global _requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested = False
    previous = {
        sig: signal.signal(sig, _handler)
        for sig in STOP_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _requested = False


@contextmanager
def deferred() -> Iterator[None]:
    """A block that a stop signal does not interrupt: the request is raised when it ends."""
    _local.depth = _depth() + 1
    try:
        yield
    finally:
        _local.depth -= 1
    if _local.depth == 0:
        check()
