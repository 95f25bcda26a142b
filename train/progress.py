"""Progress of long commands: a rich bar on a terminal, one log line per stage elsewhere.

CI, nohup and pipelines have no terminal; there a bar is invisible and a long run would be
silent for minutes, so each stage is logged when it is done, with its number, the counts it
names and the time elapsed since the command began. A stage that fails logs nothing: the
error is the one line the user sees.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class Stages:
    """A `step(description)` callback: use as a context manager around the work."""

    def __init__(self, console: Console, command: str, total: int) -> None:
        self.console = console
        self.command = command
        self.total = total
        self.done = 0
        self._start = time.perf_counter()
        self._bar: Progress | None = None
        self._task: Any = None
        self._running: str | None = None  # the stage in progress (logged when done)

    def __enter__(self) -> Stages:
        if self.console.is_terminal:
            columns = (TextColumn("{task.description:<32}"), BarColumn(), TimeElapsedColumn())
            self._bar = Progress(*columns, console=self.console, transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.command, total=self.total)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, error, trace)
        elif kind is None and self._running is not None:
            self._log(self._running)

    def __call__(self, description: str) -> None:
        """A stage begins (the previous one is done)."""
        if self._bar is not None:
            self.done += 1
            self._bar.update(self._task, advance=1, description=description)
            return
        if self._running is not None:
            self._log(self._running)
        self._running = description

    def _log(self, description: str) -> None:
        """The line of a finished stage."""
        self.done += 1
        elapsed = time.perf_counter() - self._start
        self.console.print(
            f"{self.command} [{min(self.done, self.total)}/{self.total}] "
            f"{elapsed:7.1f} s  {description}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
