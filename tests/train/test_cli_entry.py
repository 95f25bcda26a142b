from typer.testing import CliRunner

from train.cli import app


def test_cli_help_lists_the_command_name():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "threat-tagger" in result.output or "Tag threat reports" in result.output


def test_loading_the_command_imports_no_table_library_and_no_scoring_stack():
    # every command pays for what train.cli imports; rich, numpy and scipy load inside the
    # commands that use them
    import subprocess
    import sys

    probe = (
        "import sys, train.cli; "
        "print(sorted(m for m in ('rich', 'numpy', 'scipy', 'sklearn', 'numba') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_command_runs_without_importing_pydantic(tmp_path):
    # typer 0.29 checks every option through pydantic TypeAdapters, ~0.1 s of CPU per command
    # (pyproject.toml keeps typer below it); a one-line `score` stands for every command here
    import subprocess
    import sys

    records = tmp_path / "one.jsonl"
    records.write_text('{"text": "hello"}\n', encoding="utf-8")
    probe = (
        "import sys\n"
        "from train.cli import app\n"
        f"sys.argv = ['threat-tagger', 'score', '--model', 'no-such-model', {str(records)!r}]\n"
        "try:\n"
        "    app()\n"
        "except SystemExit as stop:\n"
        "    print(stop.code, 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == ["1", "False"], done.stderr
