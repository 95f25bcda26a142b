"""threat-tagger runtime: load a trained model and tag texts (light imports only).

`from infer import Predictor` is the whole story; the predictor (numpy; never scipy) is imported on
first use, so that `import infer.taxonomy` or the CLI's start-up stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infer.errors import ThreatTaggerError
    from infer.explain import Explanation
    from infer.predictor import Predictor
    from infer.scoring import Prediction

__all__ = ["Explanation", "Prediction", "Predictor", "ThreatTaggerError"]

_EXPORTS = {
    "Predictor": "infer.predictor",
    "Prediction": "infer.scoring",
    "Explanation": "infer.explain",
    "ThreatTaggerError": "infer.errors",
}


def __getattr__(name: str) -> Any:
    """Import the public names lazily (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'infer' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_EXPORTS[name]), name)
