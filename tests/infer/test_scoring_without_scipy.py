"""Scoring never imports scipy (about 0.18 CPU-s of every scoring process's start-up):
`Predictor.predict` and `explain`, and `threat-tagger score` with and without workers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"

# Records every process that imports scipy (score's forked workers inherit the watch) in the
# file named by the first argument, then runs the rest of the script.
WATCH = """
import os, sys

class Watch:
    log = sys.argv[1]

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("scipy", "sklearn"):
            with open(self.log, "a") as log:
                log.write(f"{os.getpid()} {name}\\n")
        return None

sys.meta_path.insert(0, Watch())
"""

PREDICT = """
from infer import Predictor
predictor = Predictor.load(sys.argv[2])
texts = [json.loads(line)["text"] for line in open(sys.argv[3], encoding="utf-8")]
predictor.predict(texts + [" ".join(texts)])  # the last one long: scored in windows too
predictor.explain(" ".join(texts[:20]))
print(len(texts), "scipy" in sys.modules)
"""

SCORE = """
from train.cli import app
sys.argv = ["threat-tagger", "score", "--model", *sys.argv[2:]]
try:
    app()
except SystemExit as stop:
    print(stop.code, "scipy" in sys.modules)
"""


def _demo_records(tmp_path: Path, n: int) -> Path:
    lines = [
        line
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    out = tmp_path / "records.jsonl"
    out.write_text("\n".join(lines[:n]) + "\n", encoding="utf-8")
    return out


def _run(script: str, log: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{WATCH}\n{script}", str(log), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_watch_sees_an_import_of_scipy(tmp_path: Path):
    log = tmp_path / "imports.log"
    assert _run("import scipy.sparse\nprint('scipy' in sys.modules)", log) == ["True"]
    assert "scipy.sparse" in log.read_text()


def test_predicting_and_explaining_import_no_scipy(model_dir: Path, tmp_path: Path):
    log = tmp_path / "imports.log"
    records = _demo_records(tmp_path, 60)
    assert _run(PREDICT, log, str(model_dir), str(records)) == ["60", "False"]
    assert not log.exists(), log.read_text()


def test_the_score_command_imports_no_scipy_in_one_process_or_in_its_workers(
    model_dir: Path, tmp_path: Path
):
    records = _demo_records(tmp_path, 40)
    for jobs in ("1", "2"):
        log, out = tmp_path / f"imports-{jobs}.log", tmp_path / f"out-{jobs}.jsonl"
        args = [str(model_dir), str(records), "-o", str(out), "--jobs", jobs, "--batch-size", "8"]
        assert _run(SCORE, log, *args) == ["0", "False"]
        assert len(out.read_text(encoding="utf-8").splitlines()) == 40
        assert not log.exists(), log.read_text()
    explained = tmp_path / "explained.jsonl"
    args = [str(model_dir), str(records), "-o", str(explained), "--explain"]
    assert _run(SCORE, tmp_path / "imports-explain.log", *args) == ["0", "False"]
    lines = explained.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40 and all("explanation" in json.loads(line) for line in lines)
    assert not (tmp_path / "imports-explain.log").exists()
