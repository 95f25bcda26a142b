"""Train one fastText model in this process: `python -m train.bench.fasttext_fit DATA OUT`.

Reads the training parameters as JSON on stdin, writes fastText's binary model to OUT and
prints the learning rate it used. The benchmark runs it in a fresh process per model (see
`baselines.train_in_subprocess`).
"""

from __future__ import annotations

import json
import sys

ATTEMPTS = 4  # the learning rate is halved after each diverged attempt


def fit(data: str, out: str, params: dict) -> float:
    """Train with `params`, halving lr while training diverges; return the lr used."""
    import fasttext

    params = dict(params)
    for _attempt in range(ATTEMPTS):
        try:
            model = fasttext.train_supervised(input=data, **params)
        except RuntimeError as error:  # "Encountered NaN": lr too high for this data
            if "NaN" not in str(error):
                raise
            params["lr"] /= 2
            continue
        model.save_model(out)
        return float(params["lr"])
    raise RuntimeError(f"fastText diverged (NaN) even at lr {params['lr'] * 2}")


def main(argv: list[str]) -> int:
    """Entry point: DATA OUT, parameters on stdin."""
    data, out = argv
    print(fit(data, out, json.loads(sys.stdin.read())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
