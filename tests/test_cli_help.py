"""Help as a user reads it: examples, the values settings resolve to, completion, and
options that behave alike across commands."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import table_migrations, version


def run(*args):
    return CliRunner().invoke(main, list(args))


def help_text(*command) -> str:
    """A command's help with its line wrapping undone."""
    return " ".join(run(*command, "--help").output.split())


def _commands(group=main, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("command", list(_commands()), ids=" ".join)
def test_every_command_has_examples(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output, command
    assert f"qscaffold {' '.join(command)}" in result.output, command


def test_help_shows_the_values_the_project_resolves_to(project):
    (project / "pyproject.toml").write_text(
        "[tool.qscaffold]\ndatabase = 'state/prod.db'\nmigrations_dir = 'db/migrations'\n"
        "busy_timeout = 5\ntarget_sqlite = '3.35'\n")
    up = help_text("migrate", "up")
    assert "[now: state/prod.db]" in up and "[now: db/migrations]" in up and "[now: 5 s]" in up
    assert "data/app.db" not in up
    assert "busy_timeout" in up and "[tool.qscaffold]" in up
    assert "[now: 3.35]" in help_text("lint")
    assert "[now: db/migrations]" in help_text("new")


def test_top_level_help_mentions_settings_and_completion():
    text = run("--help").output
    assert "[tool.qscaffold]" in text and "busy_timeout" in text
    assert "_QSCAFFOLD_COMPLETE=bash_source qscaffold" in text


def test_shell_completion_works(project):
    env = dict(os.environ, COMP_WORDS="qscaffold migrate st", COMP_CWORD="2",
               _QSCAFFOLD_COMPLETE="bash_complete")
    result = subprocess.run([sys.executable, "-m", "qscaffold"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "status" in result.stdout and "stamp" in result.stdout


def test_lint_takes_dir_like_the_other_commands(project):
    folder = project / "db" / "migs"
    folder.mkdir(parents=True)
    (folder / "001-bad.py").write_text(
        'name = "Bad"\nversion = 1\n\n\ndef up(db):\n    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY")\n')
    result = run("lint", "--dir", "db/migs")
    assert result.exit_code == 1
    assert "001-bad.py" in result.output and "QS001" in result.output


def test_rules_accepts_a_prefix_as_select_does():
    result = run("rules", "qs2")
    assert result.exit_code == 0
    codes = [line.split()[0] for line in result.output.splitlines()]
    assert codes and all(c.startswith("QS2") for c in codes) and "QS201" in codes
    assert "What it does" in run("rules", "QS201").output
    bad = run("rules", "QS99")
    assert bad.exit_code == 2 and "unknown rule code 'QS99': no rule code is or starts with it" in bad.output


def test_up_and_down_treat_to_and_steps_alike(project):
    table_migrations(project / "migrations", 4)
    assert run("migrate", "up", "--to", "3").exit_code == 0
    for direction, yes in (("up", ()), ("down", ("--yes",))):
        both = run("migrate", direction, "--to", "2", "--steps", "1", *yes)
        assert both.exit_code == 2 and "give either --steps or --to, not both" in both.output, direction
        unknown = run("migrate", direction, "--to", "9", *yes)
        assert unknown.exit_code == 2 and "--to 9: no migration file has version 9" in unknown.output
        zero = run("migrate", direction, "--steps", "0", *yes)
        assert zero.exit_code == 2, direction
    backwards = run("migrate", "up", "--to", "2")
    assert backwards.exit_code == 2
    assert "the database is at version 3; up only goes forward (use `migrate down --to 2`)" in backwards.output
    forwards = run("migrate", "down", "--to", "4", "--yes")
    assert forwards.exit_code == 2 and "down only goes back" in forwards.output
    assert version(project / "data" / "app.db") == 3
