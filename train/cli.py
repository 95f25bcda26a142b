"""The `threat-tagger` command: one typer app that gathers every sub-command.

Sub-command modules import their heavy dependencies inside the commands, so that
`threat-tagger score` starts as fast as the runtime allows.
"""

from __future__ import annotations

import typer

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


def main() -> None:
    """Console-script entry point."""
    app()
