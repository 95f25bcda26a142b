"""Score a stream of input records in chunks, in-process or in worker processes, in order.

Memory stays flat: records are read lazily, and at most a few chunks per worker are in flight.
A worker process that dies (e.g. killed by the out-of-memory killer) stops the run with a
ThreatTaggerError naming the records that were lost, instead of hanging; a parent that dies
(even by SIGKILL) takes its workers with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import chain, islice
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from infer import interrupts
from infer.errors import ThreatTaggerError
from infer.jsonl_reader import JsonlLines
from infer.predictor import BATCH_SIZE, Prediction, Predictor
from infer.readers import InputRecord, Unit
from infer.scoring import prediction_dicts
from infer.tokenpass import char_kernels

DEFAULT_BATCH_SIZE = BATCH_SIZE  # records a chunk: one predictor batch (500 was ~5% slower)
CHUNKS_PER_WORKER = 3
DIGITS = 4
ORPHAN_CHECK_SECONDS = 0.5
RESULT_POLL_SECONDS = 0.05  # how soon a stop signal ends the wait for a chunk's result
_PR_SET_PDEATHSIG = 1
# what a worker gets: records, or raw JSONL lines that it parses itself (infer.jsonl_reader)
Chunk = list[InputRecord] | JsonlLines
InFlight = tuple[Chunk, "Future[Any]"]  # a chunk and its result
_COUNTED = ("id", "source", "error", "warning")


@dataclass(frozen=True, slots=True)
class EncodedChunk:
    """A chunk's output records encoded as text (`infer.writers.line_encoder`), one line each,
    joined into one string (one object to pass back from a worker and one write for the
    parent), how many records that is, and what the caller counts of those with an error or a
    warning, by their index."""

    text: str
    count: int
    notes: dict[int, dict[str, Any]]  # {id, source, error | warning} of the records that have one


def chunks_of(units: Iterable[Unit], size: int) -> Iterator[Chunk]:
    """Consecutive records in lists of at most `size`; each block of JSONL lines a chunk of its
    own (`iter_units(..., jsonl_lines=size)` makes them `size` lines long)."""
    records: list[InputRecord] = []
    for unit in units:
        if isinstance(unit, InputRecord):
            records.append(unit)
            if len(records) >= size:
                yield records
                records = []
            continue
        if records:
            yield records
            records = []
        yield unit
    if records:
        yield records


def records_of(chunk: Chunk) -> list[InputRecord]:
    """The records of a chunk (its JSONL lines parsed)."""
    return chunk.records() if isinstance(chunk, JsonlLines) else chunk


def error_output(record: InputRecord, error: str | None = None) -> dict[str, Any]:
    """The output of a record that could not be scored."""
    return {"id": record.id, "source": record.source, "error": error or record.error}


def scored_output(
    record: InputRecord, prediction: Prediction, explanation: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The output of a scored record: id, source and `Prediction.to_dict()` with probabilities
    rounded to 4 places (infer/prediction.schema.json, `scored_record`)."""
    return _output(record, prediction.to_dict(DIGITS), explanation)


def _output(
    record: InputRecord, prediction: dict[str, Any], explanation: dict[str, Any] | None
) -> dict[str, Any]:
    """scored_output from the prediction's JSON form."""
    out = {"id": record.id, "source": record.source, **prediction}
    if record.warnings:
        out["warning"] = "; ".join(record.warnings)
    if explanation is not None:
        out["explanation"] = explanation
    return out


@dataclass
class Scorer:
    """Turns chunks of input records into output records with one loaded predictor (and
    into encoded lines, with `encode`: `infer.writers.line_encoder`)."""

    predictor: Predictor
    explain: bool = False
    encode: Callable[[dict[str, Any]], str] | None = None

    def __call__(self, chunk: Chunk) -> list[dict[str, Any]]:
        """Output records for a chunk, in order; a failure costs only the records it hits."""
        chunk = records_of(chunk)
        todo = [r for r in chunk if r.error is None]
        with interrupts.deferred():  # a stop signal waits for the compiled kernels to return
            try:
                done = dict(zip((id(r) for r in todo), self._score(todo), strict=True))
            except Exception:
                done = {id(r): self._score_one(r) for r in todo}
        return [error_output(r) if r.error is not None else done[id(r)] for r in chunk]

    def encoded(self, chunk: Chunk) -> EncodedChunk:
        """The chunk's output records encoded by `encode`, with what the caller counts."""
        encode = self.encode
        assert encode is not None, "this scorer has no encoder"
        outputs = self(chunk)
        notes = {
            i: {key: out[key] for key in _COUNTED if key in out}
            for i, out in enumerate(outputs)
            if "error" in out or "warning" in out
        }
        return EncodedChunk("".join(map(encode, outputs)), len(outputs), notes)

    def _score(self, records: list[InputRecord]) -> list[dict[str, Any]]:
        """Score records together (one batch)."""
        if not records:
            return []
        texts = [r.text or "" for r in records]
        predictions = self.predictor.predict(texts, batch_size=max(len(texts), 1))
        return [  # scored_output of each, with the probabilities rounded in one call
            _output(r, p, self._explanation(r))
            for r, p in zip(records, prediction_dicts(predictions, DIGITS), strict=True)
        ]

    def _score_one(self, record: InputRecord) -> dict[str, Any]:
        """Score one record alone, turning an exception into an error record."""
        try:
            return self._score([record])[0]
        except Exception as exc:
            return error_output(record, f"scoring failed: {type(exc).__name__}: {exc}")

    def _explanation(self, record: InputRecord) -> dict[str, Any] | None:
        """The decision explanations of one record (only with explain=True)."""
        if not self.explain:
            return None
        return self.predictor.explain(record.text or "").to_dict()["heads"]


_WORKER: Scorer | None = None


def _init_worker(
    model: str | None,
    explain: bool,
    encode_as: str | None,
    parent: int,
    from_main_thread: bool,
) -> None:
    """Pool initializer: die with the parent, load the predictor once per worker (inherited
    as is under fork)."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # terminating a worker must stop it
    die_with_parent(parent, signal_too=from_main_thread)
    if _WORKER is None:
        _WORKER = Scorer(Predictor.load(model), explain, _encoder(encode_as, explain))


def _encoder(encode_as: str | None, explain: bool) -> Callable[[dict[str, Any]], str] | None:
    """The line encoder of an output format (None: records stay dicts)."""
    if encode_as is None:
        return None
    from infer.writers import line_encoder

    return line_encoder(encode_as, explain=explain)


def die_with_parent(parent: int, *, signal_too: bool = True) -> None:
    """End this process as soon as process `parent` is gone, however it ended.

    With `signal_too`, Linux delivers SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG;
    it fires when the parent *thread* that started the worker ends, so only for pools started
    from the main thread); a daemon thread that notices the worker was re-parented covers the
    rest. An orphaned worker would otherwise wait for chunks forever.
    """
    if signal_too:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def _work(chunk: Chunk) -> list[dict[str, Any]]:
    """Score one chunk in a worker."""
    assert _WORKER is not None, "worker not initialised"
    return _WORKER(chunk)


def _work_encoded(chunk: Chunk) -> EncodedChunk:
    """Score one chunk in a worker and encode its output records there."""
    assert _WORKER is not None, "worker not initialised"
    return _WORKER.encoded(chunk)


def start_method() -> str:
    """'fork' where available (fast start, the loaded model is shared), else 'spawn'."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


@dataclass
class BatchScorer:
    """Score records with `jobs` processes (1 = in-process), preserving input order."""

    predictor: Predictor
    model: str | Path | None = None
    jobs: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    explain: bool = False
    encode_as: str | None = None  # 'jsonl' or 'csv': `score_encoded` yields that format's text
    _scorer: Scorer = field(init=False)

    def __post_init__(self) -> None:
        self._scorer = Scorer(self.predictor, self.explain, _encoder(self.encode_as, self.explain))

    def score(self, records: Iterable[Unit]) -> Iterator[dict[str, Any]]:
        """One output record per input record, in input order (`records` may hold blocks of
        JSONL lines, `iter_units`: they are parsed where they are scored)."""
        for outputs in self._run(records, self._scorer, _work):
            yield from outputs

    def score_encoded(self, records: Iterable[Unit]) -> Iterator[EncodedChunk]:
        """The output records of each chunk of records, in input order, encoded as `encode_as`
        text (by the worker processes, when there are any), with what the caller counts."""
        if self.encode_as is None:
            raise ValueError("score_encoded needs a BatchScorer made with encode_as")
        return self._run(records, self._scorer.encoded, _work_encoded)

    def _run(
        self,
        records: Iterable[Unit],
        here: Callable[[Chunk], Any],
        there: Callable[[Chunk], Any],
    ) -> Iterator[Any]:
        """`here` of every chunk in this process, or `there` of it in workers, in order."""
        chunks = chunks_of(records, max(self.batch_size, 1))
        head = list(islice(chunks, 2))
        if self.jobs <= 1 or len(head) < 2:  # a single chunk is not worth starting workers
            yield from map(here, chain(head, chunks))
            return
        yield from self._pooled(chain(head, chunks), there)

    def _pooled(
        self,
        chunks: Iterator[Chunk],
        work: Callable[[Chunk], Any],
    ) -> Iterator[Any]:
        """Score chunks in a process pool with a bounded window of chunks in flight."""
        global _WORKER
        method = start_method()
        _WORKER = self._scorer if method == "fork" else None
        if method == "fork":  # the workers inherit the kernels, n-gram tables and place matcher
            with interrupts.deferred():
                self.predictor.model.featurizer.rows([""])
                char_kernels()  # what only new tokens call (rows([""]) has none)
        model = None if self.model is None else str(self.model)
        pool = ProcessPoolExecutor(
            self.jobs,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(
                model,
                self.explain,
                self.encode_as,
                os.getpid(),
                threading.current_thread() is threading.main_thread(),
            ),
        )
        pending: deque[InFlight] = deque()
        try:
            for chunk in chunks:
                pending.append((chunk, _submit(pool, work, chunk)))
                if len(pending) >= self.jobs * CHUNKS_PER_WORKER:
                    yield _oldest(pending)
            while pending:
                yield _oldest(pending)
        except BrokenProcessPool:
            processes = _stop(pool)
            raise ThreatTaggerError(_lost_message(processes, [c for c, _ in pending])) from None
        except BaseException:  # Ctrl-C, SIGTERM, the consumer closing the generator, ...
            _stop(pool)
            raise
        else:
            with interrupts.deferred():  # (joins threads: not interrupted inside their locks)
                pool.shutdown()
        finally:
            _WORKER = None


def _oldest(pending: deque[InFlight]) -> Any:
    """The result of the oldest chunk in flight, removed from the window once it succeeded.

    A stop signal does not raise inside the wait: a KeyboardInterrupt raised there, between
    `Condition.wait` releasing the future's lock and taking it back, left the lock released,
    and the `with` around the wait then failed with "cannot release un-acquired lock" (exit
    1 instead of 130). The wait is deferred and polled instead; a stop raises between polls."""
    future = pending[0][1]
    with interrupts.deferred():
        while True:
            try:
                outputs = future.result(timeout=RESULT_POLL_SECONDS)
                break
            except FutureTimeout:
                interrupts.check()
    pending.popleft()
    return outputs


def _submit(
    pool: ProcessPoolExecutor,
    work: Callable[[Chunk], Any],
    chunk: Chunk,
) -> Future[Any]:
    """Submit a chunk; a pool already broken gives a failed future (reported like the others)."""
    try:
        with interrupts.deferred():  # (the pool's locks and queues: see `_oldest`)
            return pool.submit(work, chunk)
    except BrokenProcessPool as exc:
        failed: Future[Any] = Future()
        failed.set_exception(exc)
        return failed


def _stop(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    """Cancel queued chunks and terminate the workers now (not after their current chunk)."""
    with interrupts.deferred():  # a second Ctrl-C is raised once the workers are gone
        # ProcessPoolExecutor has no public way to stop running workers before Python 3.14.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets both
        results = getattr(pool, "_result_queue", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
        # A worker killed while sending its result leaves part of a message in the result pipe, and
        # the pool's manager thread waits for the rest forever (the interpreter then hangs at exit,
        # joining it). With the workers gone, closing this process's copy of the pipe's write end
        # turns that wait into end-of-file: the thread sees a broken pool and ends.
        if results is not None:
            with contextlib.suppress(OSError, AttributeError):
                results._writer.close()
        # Join the manager thread too: left running, it may write to its closed wake-up pipe while
        # the interpreter exits ("Exception ignored ... Bad file descriptor" on stderr).
        if manager is not None:
            manager.join(timeout=10)
        return processes


def _exit_of(processes: Sequence[BaseProcess]) -> str:
    """How the worker that broke the pool ended (the others were terminated afterwards)."""
    deadline = time.monotonic() + 1.0
    codes: list[int] = []
    while time.monotonic() < deadline:  # another thread may be reaping them this instant
        codes = [p.exitcode for p in processes if p.exitcode is not None]
        if len(codes) == len(processes):
            break
        time.sleep(0.01)
    unusual = [c for c in codes if c != -signal.SIGTERM] or codes
    if not unusual:
        return "stopped unexpectedly"
    code = unusual[0]
    if code >= 0:
        return f"exited unexpectedly with status {code}"
    name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
    oom = " (the out-of-memory killer does this)" if -code == signal.SIGKILL else ""
    return f"was killed by {name}{oom}"


def _lost_message(processes: Sequence[BaseProcess], lost: Sequence[Chunk]) -> str:
    """The error of a broken pool: how the worker ended and which records were lost."""
    records = [record for chunk in lost for record in records_of(chunk)]
    what = (
        f"the {len(records)} records from {records[0].source} to {records[-1].source} "
        "were not scored"
        if records
        else "no record was lost"
    )
    return (
        f"a scoring worker process {_exit_of(processes)}; {what} and scoring stopped "
        "there (try fewer --jobs or a smaller --batch-size if memory ran out)"
    )
