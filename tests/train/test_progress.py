"""Long commands log one line per stage when stderr is not a terminal (CI, nohup, pipes)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from train.cli import app
from train.progress import Stages

REPO = Path(__file__).resolve().parents[2]
STAGE = re.compile(r"^train \[(\d+)/(\d+)\] +(\d+\.\d) s  (.+)$")


def test_stages_without_a_terminal_print_numbered_timed_lines():
    stream = io.StringIO()
    with Stages(Console(file=stream, force_terminal=False, width=200), "train", 3) as step:
        step("loading corpora")
        assert stream.getvalue() == ""  # logged when done
        step("features: 120 records")
    lines = stream.getvalue().splitlines()
    assert [STAGE.match(line).group(1, 2, 4) for line in lines] == [
        ("1", "3", "loading corpora"),
        ("2", "3", "features: 120 records"),
    ]


def test_stages_on_a_terminal_draw_a_bar_and_print_no_lines():
    stream = io.StringIO()
    with Stages(Console(file=stream, force_terminal=True, width=200), "train", 2) as step:
        step("loading corpora")
    assert "train [1/2]" not in stream.getvalue()


def test_train_without_a_terminal_logs_every_stage_with_counts(tmp_path):
    lines = [
        line
        for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines[::6]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--config",
            str(REPO / "train/configs/default.toml"),
            "--corpus",
            str(corpus),
            "--out",
            str(tmp_path / "model"),
            "--set",
            "features.gazetteer=false",
        ],
    )
    assert result.exit_code == 0, result.output
    stages = [STAGE.match(line) for line in result.stderr.splitlines()]
    stages = [m for m in stages if m]
    assert len(stages) == int(stages[0].group(2))  # every stage, and the total is right
    described = [m.group(4) for m in stages]
    assert described[0] == "loading corpora"
    assert f"grouping near-duplicates: {len(lines[::6])} records" in described
    assert any(re.fullmatch(r"head: bombing \(\d+ of \d+ records\)", d) for d in described)
    seconds = [float(m.group(3)) for m in stages]
    assert seconds == sorted(seconds)


def test_a_failing_stage_logs_nothing_so_the_error_stays_one_line():
    stream = io.StringIO()
    try:
        with Stages(Console(file=stream, force_terminal=False), "train", 3) as step:
            step("loading corpora")
            raise ValueError("no such corpus")
    except ValueError:
        pass
    assert stream.getvalue() == ""


def test_score_without_a_terminal_logs_counts_as_it_goes(app, model_dir, tmp_path, monkeypatch):
    import json

    from infer import cli

    monkeypatch.setattr(cli, "LOG_EVERY", 2)
    path = tmp_path / "in.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "text": f"A bomb went off, report {i}."}) + "\n"
            for i in range(5)
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--model",
            str(model_dir),
            "--jobs",
            "1",
            str(path),
            "-o",
            str(tmp_path / "out.jsonl"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stderr.splitlines() if x.startswith("score ")]
    assert [re.search(r"s  (\d+) records, 0 failures", x).group(1) for x in lines] == ["2", "4"]
