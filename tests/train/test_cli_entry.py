from typer.testing import CliRunner

from train.cli import app


def test_cli_help_lists_the_command_name():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    assert "threat-tagger" in result.output or "Tag threat reports" in result.output
