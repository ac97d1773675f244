"""Names are never mangled: NAME's letters, and migration files reached through symlinks."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from support import version, write_migration


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("name, lost", [("ß-straße", "'ß'"), ("添加用户表", "'添', '加'"),
                                        ("Ωmega-values", "'Ω'")])
def test_letters_a_file_name_cannot_hold_are_refused_not_dropped(project, name, lost):
    result = run("new", name)
    assert result.exit_code == 2
    assert f"{lost}" in result.output and "cannot be spelt in a migration file name" in result.output
    assert list((project / "migrations").iterdir()) == []


def test_accents_are_spelt_by_their_base_letter(project):
    result = run("new", "Café menu")
    assert result.exit_code == 0, result.output
    assert (project / "migrations" / "001-cafe-menu.py").is_file()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symlinks")
def test_a_symlinked_migration_is_linted_and_run_under_its_link_name(project):
    shared = project / "shared"
    target = write_migration(shared, 7, "users-table-v2",
                             "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)",
                             "DROP TABLE IF EXISTS users", name="Create users")
    # the target's name and version are not the link's: the file's version must match the link
    target.write_text(target.read_text().replace("version = 7", "version = 1"))
    (project / "migrations" / "001-create-users.py").symlink_to(target)
    lint = run("lint")
    assert lint.exit_code == 0, lint.output
    assert "QS903" not in lint.output and "users-table-v2" not in lint.output
    up = run("migrate", "up")
    assert up.exit_code == 0, up.output
    assert version(project / "data" / "app.db") == 1
    named = run("lint", "migrations/001-create-users.py", "--format", "json")
    assert named.exit_code == 0 and named.output.strip() == "[]"
