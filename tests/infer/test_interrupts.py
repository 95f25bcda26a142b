"""infer/interrupts.py: SIGTERM and Ctrl-C stop a run, but never from inside a deferred block."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import deque
from concurrent.futures import Future

import pytest

from infer import interrupts
from infer.batch import _oldest, _submit


def _raise_sigterm() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # the handler runs at the next bytecode


def test_sigterm_inside_a_deferred_block_is_raised_when_the_block_ends():
    reached_end_of_block = False
    with pytest.raises(KeyboardInterrupt), interrupts.handled(), interrupts.deferred():
        _raise_sigterm()
        for _ in range(1000):  # plenty of bytecodes at which the handler could raise
            pass
        reached_end_of_block = True
    assert reached_end_of_block


def test_sigterm_outside_a_deferred_block_stops_at_once():
    after = []
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        _raise_sigterm()
        for _ in range(1000):
            pass
        after.append("ran")
    assert after == []


def test_a_dropped_interrupt_is_raised_by_check():
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        try:  # like a garbage collector's __del__, which prints the exception and drops it
            _raise_sigterm()
            for _ in range(1000):
                pass
        except KeyboardInterrupt:
            pass
        interrupts.check()


def test_handled_restores_the_previous_handlers_and_forgets_the_request():
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        _raise_sigterm()
        for _ in range(1000):
            pass
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    interrupts.check()  # no stale request


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts.handled():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGINT, previous)


class _SignalledWhileCollected:
    """Sends SIGTERM from its __del__: a callback whose exceptions Python prints and drops,
    like the fork callbacks that run inside a pool's first submit."""

    def __del__(self) -> None:
        _raise_sigterm()
        for _ in range(1000):
            pass


class _ForkingPool:
    def submit(self, work, chunk):
        _SignalledWhileCollected()  # collected at once
        done: Future = Future()
        done.set_result(work(chunk))
        return done


def test_a_stop_signal_dropped_in_a_callback_prints_nothing_and_check_raises_it(monkeypatch):
    printed = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        _submit(_ForkingPool(), len, ["a chunk"])  # the handler's raise is dropped in __del__
        assert printed == []
        interrupts.check()
    assert sys.unraisablehook == printed.append  # the previous hook is back


def test_other_exceptions_dropped_in_callbacks_are_still_printed(monkeypatch):
    printed = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)

    class Broken:
        def __del__(self) -> None:
            raise ValueError("broken __del__")

    with interrupts.handled():
        Broken()
    assert [type(u.exc_value) for u in printed] == [ValueError]


def test_a_child_forked_inside_a_deferred_block_still_stops_on_sigterm():
    with interrupts.handled(), interrupts.deferred():
        pid = os.fork()
        if pid == 0:  # the child: 3 if SIGTERM stopped it, 0 if it was swallowed
            code = 4
            try:
                _raise_sigterm()
                for _ in range(1000):
                    pass
                code = 0
            except KeyboardInterrupt:
                code = 3
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3


def test_a_stop_while_waiting_for_a_chunk_is_raised_between_polls_not_inside_the_futures_lock():
    # A KeyboardInterrupt raised inside Condition.wait left the future's lock released and
    # turned into "cannot release un-acquired lock" (exit 1, not 130). The wait is deferred:
    # the stop comes from check(), between two polls, with the lock free.
    never_done: Future[list] = Future()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as stopped, interrupts.handled():
            _oldest(deque([((), never_done)]))
    finally:
        timer.cancel()
    assert stopped.traceback[-1].name == "check"
    assert never_done._condition.acquire(blocking=False)  # nobody holds it
    never_done._condition.release()
