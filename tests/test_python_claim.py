"""The Python versions pyproject claims are the ones checked (issue 15 point 7): CI runs the
oldest claimed version, and ruff lints for it (so newer syntax or stdlib use is caught)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CI = REPO / ".ci" / "run"


def _claimed_floor() -> str:
    """'>=3.11' -> '3.11'."""
    claim = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    found = re.fullmatch(r">=\s*(\d+\.\d+)", claim.strip())
    assert found, f"requires-python {claim!r} is not a plain floor"
    return found.group(1)


def test_ci_runs_the_oldest_python_that_pyproject_claims():
    script = CI.read_text()
    [picking] = [line for line in script.splitlines() if line.startswith("oldest=")]
    picked = subprocess.run(
        ["bash", "-c", f'{picking}\necho "$oldest"'],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert picked == _claimed_floor()
    assert 'PY="$(find_python "$oldest")"' in script
    for step in ('make lint PYTHON="$PY"', 'make test PYTHON="$PY"', '.ci/light-install "$PY"'):
        assert step in script, step


def test_ruff_lints_for_the_claimed_floor():
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["target-version"] == "py" + _claimed_floor().replace(".", "")
