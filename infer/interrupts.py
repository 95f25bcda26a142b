"""Stop a run on SIGTERM or Ctrl-C without raising inside compiled code.

Python runs a signal handler between two bytecodes of the main thread, wherever they are. A
handler that raises KeyboardInterrupt therefore raised it inside numba's dispatch and compile
machinery (the process then died with SIGSEGV) or inside a garbage collector's `__del__` (where
the exception is printed and dropped, so the run went on to the end). Here the handler records
the request and raises only outside `deferred()` blocks; a deferred request is raised when the
block ends, and `check()` raises a request that was dropped.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

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


def _reset_in_child() -> None:
    """A forked child starts outside every deferred block and with no request: a pool worker
    forked inside one would otherwise swallow the SIGTERM that stops it before its
    initializer resets the handler."""
    global _requested
    _requested = False
    _local.depth = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)


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
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_when_requested(previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, old in previous.items():
            signal.signal(sig, old)
        _requested = False


def _quiet_when_requested(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An unraisable hook that drops, silently, the KeyboardInterrupt of a stop request that
    Python could not raise (in a `__del__`, or in a fork callback such as logging's lock
    release while a pool forks its workers): `check()` raises it later. Anything else goes
    to `hook`, which prints "Exception ignored in ..." as before."""

    def quiet(unraisable: Any) -> None:
        if not (_requested and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            hook(unraisable)

    return quiet


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
