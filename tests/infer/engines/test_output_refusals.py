"""`score --engine dask|spark -o FOLDER` refuses, before any work, every output that local `score`
refuses (the same check), and anything already at FOLDER: nothing is written or changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.engines.job import run_job
from infer.writers import OutputError


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"id": "a", "text": "a bomb exploded"}\n')
    return folder


def _input_file(tmp_path: Path) -> tuple[list[str], str]:
    given = str(_inputs(tmp_path) / "a.jsonl")
    return [given], given


def _input_folder(tmp_path: Path) -> tuple[list[str], str]:
    given = str(_inputs(tmp_path))
    return [given], given


def _inside_input_folder(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    return [str(given)], str(given / "scored")


def _inside_linked_input_folder(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    (tmp_path / "link").symlink_to(given)
    return [str(tmp_path / "link")], str(given / "deeper" / ".." / "scored")


def _existing_folder(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    (tmp_path / "scored").mkdir()
    (tmp_path / "scored" / "keep.txt").write_text("mine")
    return [str(given)], str(tmp_path / "scored")


def _existing_file(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    (tmp_path / "scored.jsonl").write_text("mine\n")
    return [str(given)], str(tmp_path / "scored.jsonl")


def _fifo(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    return [str(given)], str(tmp_path / "pipe")


def _device(tmp_path: Path) -> tuple[list[str], str]:
    return [str(_inputs(tmp_path))], os.devnull


def _dangling_link(tmp_path: Path) -> tuple[list[str], str]:
    given = _inputs(tmp_path)
    (tmp_path / "scored").symlink_to(tmp_path / "nowhere")
    return [str(given)], str(tmp_path / "scored")


def _missing_folder(tmp_path: Path) -> tuple[list[str], str]:
    return [str(_inputs(tmp_path))], str(tmp_path / "no" / "such" / "scored")


def _stdout(tmp_path: Path) -> tuple[list[str], str]:
    return [str(_inputs(tmp_path))], "-"


def _empty(tmp_path: Path) -> tuple[list[str], str]:
    return [str(_inputs(tmp_path))], " "


REFUSALS: dict[str, tuple[Callable[[Path], tuple[list[str], str]], str]] = {
    "an input file": (_input_file, "is also an input"),
    "an input folder": (_input_folder, "is also an input"),
    "inside an input folder": (_inside_input_folder, "is inside the input folder"),
    "inside an input folder by another path": (
        _inside_linked_input_folder,
        "is inside the input folder",
    ),
    "an existing folder": (_existing_folder, "already exists (a folder)"),
    "an existing file": (_existing_file, "already exists (a regular file)"),
    "a FIFO": (_fifo, "already exists (a FIFO, device or socket)"),
    "a device": (_device, "already exists (a FIFO, device or socket)"),
    "a dangling link": (_dangling_link, "already exists (a dangling link)"),
    "a missing folder": (_missing_folder, "does not exist"),
    "stdout": (_stdout, "give it with -o FOLDER"),
    "an empty path": (_empty, "the output path is empty"),
}


def _tree(top: Path) -> dict[str, object]:
    """Every path below `top` with its kind and, for a file, its bytes."""
    tree: dict[str, object] = {}
    for path in sorted(top.rglob("*")):
        if path.is_symlink():
            tree[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            tree[str(path)] = path.read_bytes()
        else:
            tree[str(path)] = "fifo" if path.is_fifo() else "folder"
    return tree


@pytest.mark.parametrize("engine_name", ["dask", "spark"])
@pytest.mark.parametrize("case", list(REFUSALS))
def test_score_on_a_cluster_refuses_the_output_and_changes_nothing(
    app, model_dir, tmp_path, case, engine_name
):
    make, message = REFUSALS[case]
    inputs, output = make(tmp_path)
    before = _tree(tmp_path)
    result = CliRunner().invoke(
        app,
        ["score", *inputs, "--model", str(model_dir), "--engine", engine_name, "-o", output],
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    "case", ["an input file", "inside an input folder", "an existing folder", "a device"]
)
def test_run_job_refuses_the_output_before_starting_a_cluster(model_dir, tmp_path, case):
    make, message = REFUSALS[case]
    inputs, output = make(tmp_path)
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_job("dask", inputs, output, model=str(model_dir))
    assert _tree(tmp_path) == before


def test_local_score_refuses_an_input_as_output_with_the_same_message(app, model_dir, tmp_path):
    inputs, output = _input_file(tmp_path)
    result = CliRunner().invoke(app, ["score", *inputs, "--model", str(model_dir), "-o", output])
    assert result.exit_code == 2 and "is also an input" in result.stderr
