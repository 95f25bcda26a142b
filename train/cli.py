"""The `threat-tagger` command: one typer app that gathers every sub-command.

Sub-command modules import their heavy dependencies inside the commands, so that
`threat-tagger score` starts as fast as the runtime allows.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

import typer

from infer import cli as infer_cli
from train import cli_corpus, cli_evaluate, cli_train

app = typer.Typer(
    name="threat-tagger",
    help="Tag threat reports by incident type, region and country.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Tag threat reports by incident type, region and country."""


infer_cli.register(app)
cli_train.register(app)
cli_evaluate.register(app)
app.add_typer(cli_corpus.app, name="corpus")


def main() -> None:
    """Console-script entry point: run the command, then end the process without the
    interpreter's teardown (see `exit_without_teardown`)."""
    try:
        app()
    except SystemExit as stop:
        exit_without_teardown(stop.code)
    exit_without_teardown(0)


def exit_without_teardown(code: int | str | None) -> None:
    """End the process with `code` once everything a normal exit does for the user is done,
    but skip freeing the interpreter's objects one by one: with numba's kernels loaded that
    alone takes 0.3-0.4 s, paid by every command, a one-line `score` included.

    Done first, as at a normal exit: every `atexit` handler (logging's flush, temporary
    directories, multiprocessing's and clusters' clean-up), then stdout and stderr flushed.
    A message code (a string) or any thread still running takes the normal exit instead."""
    if not (code is None or isinstance(code, int)) or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):  # closed (`| head`): nothing to save
                stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":  # `python -m train.cli ...` behaves like `threat-tagger ...`
    main()
