"""Fault injection (issue 14): `score` and `train` killed at random points by SIGKILL or SIGTERM.

After every kill: no output passes for complete, the previous model is intact, and no process
of the run survives. Bounded: a fixed seed, a few kills per command, each run capped in time.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infer.predictor import Predictor

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SCORE = (
    "import typer; from infer.cli import register; app = typer.Typer(); "
    "app.callback()(lambda: None); register(app); app()"
)
TRAIN = (
    "import typer; from train.cli_train import register; app = typer.Typer(); "
    "app.callback()(lambda: None); register(app); app()"
)
KILLS = 4  # per command
SIGNALS = (signal.SIGKILL, signal.SIGTERM)
# enough that most kills land while scoring, not after it (the demo model scores ~25k docs/s)
LINES = 100_000
TEXT = "gunmen stormed a hotel in the capital and took guests hostage"


def _session(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    """Live child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _assert_session_ends(sid: int, seconds: float = 15.0) -> None:
    """Every process of the session is gone within `seconds` (else kill them and fail)."""
    deadline = time.monotonic() + seconds
    while (alive := _session(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in alive:  # only processes this test started
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"processes {alive} of the killed run survived it"


def _folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "in.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"r{i}", "text": f"{TEXT} {i}"}) + "\n" for i in range(LINES)),
        encoding="utf-8",
    )
    return path


def test_score_workers_die_when_their_parent_is_killed(model_dir, big_input, tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCORE,
            "score",
            str(big_input),
            "--model",
            str(model_dir),
            "--jobs",
            "2",
            "--batch-size",
            "50",
            "-o",
            str(tmp_path / "out.jsonl"),
        ],
        cwd=REPO,
        env=ENV,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "score ended before its workers started"
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) == 2
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    _assert_session_ends(process.pid)


def _score_until_killed(
    model_dir: Path, source: Path, out: Path, jobs: int, sig: int, delay: float
) -> int:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCORE,
            "score",
            str(source),
            "--model",
            str(model_dir),
            "--jobs",
            str(jobs),
            "--batch-size",
            "200",
            "-o",
            str(out),
        ],
        cwd=REPO,
        env=ENV,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(sig)
    code = process.wait(timeout=60)
    _assert_session_ends(process.pid)
    return code


@pytest.mark.parametrize("run", range(KILLS))
def test_score_killed_at_a_random_point_leaves_no_output_that_passes_for_complete(
    model_dir, big_input, tmp_path, run
):
    rng = random.Random(1400 + run)
    sig, jobs, delay = rng.choice(SIGNALS), rng.choice((1, 2)), rng.uniform(0.5, 6.0)
    out = tmp_path / "scores.jsonl"
    out.write_text("previous complete output\n", encoding="utf-8")
    code = _score_until_killed(model_dir, big_input, out, jobs, sig, delay)
    lines = out.read_text(encoding="utf-8").splitlines()
    whole = len(lines) == LINES and json.loads(lines[-1])["id"] == f"r{LINES - 1}"
    if code == 0:  # finished before the signal: the whole output
        assert whole
    else:  # the previous output, untouched; or the whole new one, when the signal came after
        # it was complete (while the process was exiting)
        assert lines == ["previous complete output"] or whole, (sig, jobs, delay, code)
    others = [p.name for p in tmp_path.iterdir() if p != out]
    if sig == signal.SIGTERM or code == 0:
        assert others == []
    else:  # SIGKILL skips clean-up: a hidden .part, never the output's name
        assert all(name.startswith(".scores.jsonl.") and name.endswith(".part") for name in others)


def _train_command(corpus: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        TRAIN,
        "train",
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--set",
        "features.min_df=1",
    ]


@pytest.fixture(scope="module")
def previous_model(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("train-faults")
    corpus = base / "corpus.jsonl"
    lines = [
        line
        for path in sorted(DEMO.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus.write_text("\n".join(lines[::3]) + "\n", encoding="utf-8")
    model = base / "models" / "previous"
    subprocess.run(
        _train_command(corpus, model),
        cwd=REPO,
        env=ENV,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return corpus, model


def test_terminated_training_says_so_and_leaves_no_staging_folder(previous_model, tmp_path):
    corpus, model = previous_model
    target = tmp_path / "models" / "m"
    target.parent.mkdir()
    subprocess.run(["cp", "-r", str(model), str(target)], check=True)
    before = _folder_digest(target)
    process = subprocess.Popen(
        _train_command(corpus, target),
        cwd=REPO,
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not list(target.parent.glob(".tmp-m-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(target.parent.glob(".tmp-m-*")), "training never staged its folder"
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    # without a terminal, finished stages log a line each; the refusal is the last line
    assert stderr.strip().splitlines()[-1] == (
        "error: terminated; the previous model was left untouched"
    )
    assert "Traceback" not in stderr
    assert [p.name for p in target.parent.iterdir()] == ["m"]
    assert _folder_digest(target) == before
    _assert_session_ends(process.pid)


@pytest.mark.parametrize("run", range(KILLS))
def test_training_killed_at_a_random_point_keeps_the_previous_model_intact(
    previous_model, tmp_path, run
):
    corpus, model = previous_model
    rng = random.Random(1410 + run)
    sig, delay = rng.choice(SIGNALS), rng.uniform(0.5, 12.0)
    target = tmp_path / "models" / "m"
    target.parent.mkdir()
    subprocess.run(["cp", "-r", str(model), str(target)], check=True)
    before = _folder_digest(target)
    process = subprocess.Popen(
        _train_command(corpus, target),
        cwd=REPO,
        env=ENV,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(sig)
    code = process.wait(timeout=120)
    _assert_session_ends(process.pid)
    Predictor.load(target)  # whichever model is there loads (every file checked against meta)
    if code != 0:  # the previous model, untouched; or the whole new one, when the signal came
        # after it was renamed into place (while the process was exiting: seen at 11.0 s)
        after = _folder_digest(target)
        whole_new = after.keys() == before.keys() and after["meta.json"] != before["meta.json"]
        assert after == before or whole_new, (sig, delay, code)
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "m"]
    if sig == signal.SIGTERM or code == 0:
        assert leftovers == []
    else:  # SIGKILL skips clean-up: a staging folder the next run removes
        assert all(name.startswith(".tmp-m-") for name in leftovers)
