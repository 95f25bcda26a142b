"""The README runs as written: every shell and Python example, against a small model.

The examples run in a scratch folder that looks like a clone (data/, tests/, train/ linked in;
models/default, full and fast are the session's small demo model) plus the files a user would
bring (my_reports.jsonl, held_out.jsonl, a GTD export and an ACLED export, written here in our
own words). The few examples that cannot run here are listed in SKIPPED with the reason.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# (what the command starts with or contains, why it does not run here)
SKIPPED = (
    ("make test", "it is the command that runs this test"),
    ("make train", "builds .venv and trains on the real corpora: CI's own steps"),
    ("make serve", "serves until stopped; tests/infer/serve runs the service"),
    ("pip install", "installs packages (CI's light-install step checks `pip install .`)"),
    ("curl ", "needs the service running; tests/infer/serve sends these requests"),
    ("--engine", "starts a Dask or Spark cluster; tests/infer/engines runs these"),
    ("import dask", "starts a Dask cluster; tests/infer/engines runs this"),
    ("spark_session", "starts Spark; tests/infer/engines runs this"),
)
TIMEOUT = 1200  # seconds per example (trainings on a loaded CI machine)


def examples() -> list[tuple[str, str]]:
    """(language, code) of every example: one per shell command, one per Python block."""
    found = []
    for language, body in BLOCK.findall(README.read_text(encoding="utf-8")):
        if language == "python":
            found.append((language, body))
            continue
        for command in body.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#\s.*$", "", command).strip()
            if command and not command.startswith("#"):
                found.append((language, command))
    return found


def skip_reason(code: str) -> str | None:
    """Why an example does not run in this test (None: it runs)."""
    for marker, reason in SKIPPED:
        if code.startswith(marker) or (
            marker.startswith(("--", "import", "spark")) and marker in code
        ):
            return reason
    return None


def _demo_lines() -> list[str]:
    return [
        line
        for path in sorted((REPO / "data" / "demo").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _gtd_export(path: Path) -> None:
    """A small GTD-style export (XLSX, as the publisher ships it), in our own words."""
    from openpyxl import Workbook

    rows = [
        ("Bombing/Explosion", "A roadside bomb struck a bus of workers outside the town."),
        ("Armed Assault", "Gunmen opened fire on worshippers leaving the evening service."),
        ("Hostage Taking (Kidnapping)", "Armed men seized two engineers at the dam site."),
        ("Facility/Infrastructure Attack", "Attackers set the district office on fire."),
        ("Assassination", "A provincial judge was shot dead outside his home."),
    ] * 6
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "eventid",
            "iyear",
            "imonth",
            "iday",
            "country_txt",
            "region_txt",
            "attacktype1_txt",
            "attacktype2_txt",
            "attacktype3_txt",
            "summary",
        ]
    )
    for i, (kind, text) in enumerate(rows):
        sheet.append(
            [
                f"2019{i:06d}",
                2019,
                1 + i % 12,
                1 + i % 28,
                "Nigeria",
                "Sub-Saharan Africa",
                kind,
                "",
                "",
                f"{text} (incident {i})",
            ]
        )
    book.save(path)


def _acled_export(path: Path) -> None:
    """A small ACLED-style export, in our own words."""
    rows = [
        ("Violence against civilians", "Attack", "Gunmen shot three farmers in a field."),
        (
            "Explosions/Remote violence",
            "Remote explosive/landmine/IED",
            "An explosive device hit a patrol vehicle on the main road.",
        ),
        (
            "Violence against civilians",
            "Abduction/forced disappearance",
            "Militants abducted a village chief and his son.",
        ),
        ("Protests", "Peaceful protest", "Teachers marched to demand unpaid salaries."),
        ("Strategic developments", "Agreement", "Two armed groups signed a truce."),
    ] * 6
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "event_id_cnty",
                "event_date",
                "event_type",
                "sub_event_type",
                "region",
                "country",
                "notes",
            ]
        )
        for i, (event, sub, notes) in enumerate(rows):
            writer.writerow(
                [
                    f"MLI{i:04d}",
                    f"{1 + i % 28} March 2022",
                    event,
                    sub,
                    "Western Africa",
                    "Mali",
                    f"{notes} (event {i})",
                ]
            )


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """A scratch folder that looks like a clone, with the user's own files."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("data", "tests", "train", "infer"):
        (root / name).symlink_to(REPO / name)
    (root / "models").mkdir()
    for name in ("default", "full", "fast"):
        (root / "models" / name).symlink_to(model_dir)
    lines = _demo_lines()
    (root / "my_reports.jsonl").write_text("\n".join(lines[::5]) + "\n", encoding="utf-8")
    held_out = [json.loads(line) for line in lines[2::25]]
    (root / "held_out.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in held_out), encoding="utf-8"
    )
    _gtd_export(root / "globalterrorismdb.xlsx")
    _acled_export(root / "acled_export.csv")
    return root


def _run(sandbox: Path, language: str, code: str) -> subprocess.CompletedProcess:
    """Run one example in the sandbox with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "THREAT_TAGGER_MODEL": ""}
    if language == "python":
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=sandbox,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    # `threat-tagger` is the console script; here it runs this checkout's code.
    prelude = f'threat-tagger() {{ "{sys.executable}" -m train.cli "$@"; }}\nset -euo pipefail\n'
    if code.startswith("make "):
        code = f"make -f {REPO / 'Makefile'} {code[5:]}"
    return subprocess.run(
        ["bash", "-c", prelude + code],
        cwd=sandbox,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


EXAMPLES = examples()


def test_the_readme_has_examples_of_every_kind():
    assert sum(language == "bash" for language, _ in EXAMPLES) >= 8
    assert sum(language == "python" for language, _ in EXAMPLES) >= 1
    runnable = [code for _, code in EXAMPLES if skip_reason(code) is None]
    for needed in (
        "threat-tagger train",
        "threat-tagger evaluate",
        "threat-tagger predict",
        "threat-tagger score",
        "threat-tagger corpus",
        "make help",
    ):
        assert any(code.startswith(needed) or needed in code for code in runnable), needed


@pytest.mark.parametrize(
    ("language", "code"), EXAMPLES, ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(EXAMPLES)]
)
def test_readme_example_runs_as_written(sandbox, language, code):
    reason = skip_reason(code)
    if reason is not None:
        pytest.skip(reason)
    done = _run(sandbox, language, code)
    assert done.returncode == 0, f"{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr
    if code.startswith("make help"):
        assert "$$" not in done.stdout and "$THREAT_CORPORA" in done.stdout
    if code.startswith("threat-tagger train"):  # the GTD and ACLED examples once had no places
        out = re.search(r"--out\s+(\S+)", code)
        assert out is not None, code
        meta = json.loads((sandbox / out.group(1) / "meta.json").read_text(encoding="utf-8"))
        assert "places" in {block["name"] for block in meta["features"]}, code


def test_the_layout_table_names_every_tracked_top_level_path():
    """README's Layout table and the tree agree: each tracked top-level file or folder has a
    row, and each row names something that exists."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0 or not listed.stdout:
        pytest.skip("not a git checkout")
    tracked = {path.split("/")[0] for path in listed.stdout.splitlines()} - {".gitignore"}
    top = {name for name in tracked if (REPO / name).is_dir()}
    tracked = {f"{name}/" if name in top else name for name in tracked} - {"README.md"}
    text = README.read_text(encoding="utf-8")
    table = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            rows.update(re.findall(r"`([^`]+)`", line.split(" | ")[0]))
    assert rows == tracked
