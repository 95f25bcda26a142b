"""The `threat-tagger` command: one typer app that gathers every sub-command.

Sub-command modules import their heavy dependencies inside the commands, so that
`threat-tagger score` starts as fast as the runtime allows.
"""

from __future__ import annotations

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
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # `python -m train.cli ...` behaves like `threat-tagger ...`
    main()
