"""Micro-batching: concurrent requests' texts are scored together in one `predict` call.

One asyncio task gathers the queued requests into batches of at most `max_batch_size` texts and
scores each batch in a worker thread, so the event loop keeps accepting and answering requests
while a batch is scored. When the batcher was idle, the first request waits up to `max_wait`
seconds for company; requests that queued up while a batch was being scored go straight into
the next one (their wait was the scoring time), so under load batches form by themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from infer.readers import InputRecord

Outputs = list[dict[str, Any]]
T = TypeVar("T")


@dataclass
class _Job:
    """One request's records and the future its handler awaits."""

    records: list[InputRecord]
    future: asyncio.Future[Outputs] = field(repr=False)


class MicroBatcher:
    """Groups `submit` calls into batches for `score` (records in, one output each, in order)."""

    def __init__(
        self,
        score: Callable[[list[InputRecord]], Outputs],
        max_batch_size: int,
        max_wait: float,
        on_batch: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self._score = score
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait
        self._on_batch = on_batch  # (texts, requests, seconds) of every batch scored
        self._pending: deque[_Job] = deque()
        self._queued = 0  # texts in self._pending
        self._incoming = 0  # requests announced (being read and checked), not yet submitted
        self._arrived = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # one scoring thread: the model is shared, and two cores gain nothing from a second
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="threat-tagger-score")

    def start(self) -> None:
        """Start the batching task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="micro-batcher")

    async def stop(self) -> None:
        """Score whatever is still queued, then stop the task and the scoring thread."""
        self._stopping = True
        self._arrived.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    def announce(self) -> None:
        """A request has arrived and will `submit` or `withdraw` soon: batches wait for it."""
        self._incoming += 1

    def withdraw(self) -> None:
        """An announced request will not submit (it was refused): stop waiting for it."""
        self._incoming -= 1
        self._arrived.set()

    async def submit(self, records: list[InputRecord], announced: bool = False) -> Outputs:
        """The outputs of `records`, scored in some batch (with other requests' records)."""
        if announced:
            self._incoming -= 1
        if self._stopping:
            raise RuntimeError("the batcher is stopping")
        job = _Job(records, asyncio.get_running_loop().create_future())
        self._pending.append(job)
        self._queued += len(records)
        self._arrived.set()
        return await job.future

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the scoring thread (e.g. an explanation), off the loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _loop(self) -> None:
        """Gather and score batches until stopped with nothing left to score."""
        backlog = False
        while True:
            while not self._pending:
                if self._stopping:
                    return
                self._arrived.clear()
                await self._arrived.wait()
            if not backlog:
                await self._gather()
            batch = self._take()
            await self._run_batch(batch)
            backlog = bool(self._pending)

    async def _gather(self) -> None:
        """Wait up to max_wait for the requests being read, until a batch is full."""
        deadline = time.monotonic() + self.max_wait
        while self._incoming > 0 and self._queued < self.max_batch_size and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[_Job]:
        """The oldest jobs that fit in one batch (always at least one, however large)."""
        batch = [self._pending.popleft()]
        size = len(batch[0].records)
        while self._pending and size + len(self._pending[0].records) <= self.max_batch_size:
            job = self._pending.popleft()
            batch.append(job)
            size += len(job.records)
        self._queued -= size
        return batch

    async def _run_batch(self, batch: list[_Job]) -> None:
        """Score one batch on the scoring thread and hand each job its outputs."""
        records = [record for job in batch for record in job.records]
        start = time.perf_counter()
        try:
            outputs = await self.run(self._score, records)
        except Exception as exc:  # the scorer already turns per-record failures into records
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        if self._on_batch is not None:
            self._on_batch(len(records), len(batch), time.perf_counter() - start)
        offset = 0
        for job in batch:
            if not job.future.done():  # a client that hung up cancelled its future
                job.future.set_result(outputs[offset : offset + len(job.records)])
            offset += len(job.records)
