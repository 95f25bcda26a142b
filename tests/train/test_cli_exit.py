"""The console entry point ends the process without the interpreter's teardown, and loses
nothing a normal exit would have done: output, atexit handlers, exit codes, running threads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def _run(program: str, *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`program` in a fresh interpreter run from the repository root, its output buffered."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_atexit_handlers_still_run_and_what_they_print_is_flushed() -> None:
    done = _run(
        "import atexit, sys\n"
        "from train.cli import main\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "sys.argv = ['threat-tagger', '--help']\n"
        "main()\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Tag threat reports" in done.stdout
    assert done.stdout.rstrip().endswith("handler ran")


def test_every_scored_line_reaches_a_piped_stdout(model_dir: Path) -> None:
    texts = [f"A bomb exploded near the market in Kabul, report {i}." for i in range(3000)]
    lines = "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts))
    done = _run(
        "import sys\n"
        "from train.cli import main\n"
        f"sys.argv = ['threat-tagger', 'score', '--model', {str(model_dir)!r}, '-']\n"
        "main()\n",
        stdin=lines,
    )
    assert done.returncode == 0, done.stderr
    ids = [json.loads(line)["id"] for line in done.stdout.splitlines()]
    assert ids == [str(i) for i in range(3000)]


def test_a_failing_command_keeps_its_exit_code_and_message(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    done = _run(
        "import sys\n"
        "from train.cli import main\n"
        f"sys.argv = ['threat-tagger', 'score', '--model', {str(missing)!r}, '-']\n"
        "main()\n",
        stdin='{"id": "1", "text": "A bomb."}\n',
    )
    assert done.returncode not in (0, None)
    assert str(missing) in done.stderr


def test_a_usage_error_exits_2() -> None:
    done = _run("import sys\nfrom train.cli import main\nsys.argv = ['tt', 'nope']\nmain()\n")
    assert done.returncode == 2
    assert "nope" in done.stderr


def test_a_message_code_is_printed_and_exits_1() -> None:
    done = _run("from train.cli import exit_without_teardown as end\nend('it went wrong')\n")
    assert done.returncode == 1
    assert "it went wrong" in done.stderr


def test_a_thread_still_running_is_waited_for() -> None:
    done = _run(
        "import sys, threading, time\n"
        "from train.cli import main\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=late).start()\n"
        "sys.argv = ['threat-tagger', '--help']\n"
        "main()\n"
    )
    assert done.returncode == 0, done.stderr
    assert "thread finished" in done.stdout
