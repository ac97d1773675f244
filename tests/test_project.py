"""`qscaffold init`, `--version`, and the project root every command resolves paths from."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold import __version__
from qscaffold.cli import main
from support import table_migrations, version


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty folder as the current folder, with no qscaffold settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QSCAFFOLD_DATABASE", raising=False)
    monkeypatch.delenv("QSCAFFOLD_MIGRATIONS", raising=False)
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flags(flag):
    result = run(flag)
    assert result.exit_code == 0 and result.output == f"qscaffold {__version__}\n"


# -- init -------------------------------------------------------------------------------


def test_a_new_project_is_told_to_run_init(folder):
    result = run("migrate", "up")
    assert result.exit_code == 1
    assert "migrations folder not found" in result.output and "qscaffold init" in result.output


def test_init_creates_the_folder_and_prints_next_steps(folder):
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (folder / "migrations").is_dir()
    assert "Created migrations/" in result.output
    assert "Next steps:" in result.output and "qscaffold new create-users-table" in result.output
    assert run("new", "create-users-table", "--column", "email:TEXT").exit_code == 0
    assert run("migrate", "up").exit_code == 0
    assert version(folder / "data" / "app.db") == 1


def test_init_is_safe_to_run_twice(folder):
    assert run("init").exit_code == 0
    table_migrations(folder / "migrations", 2)
    before = {p.name: p.read_bytes() for p in (folder / "migrations").iterdir()}
    result = run("init")
    assert result.exit_code == 0
    assert "migrations/ already exists (2 file(s)); nothing changed" in result.output
    assert {p.name: p.read_bytes() for p in (folder / "migrations").iterdir()} == before


def test_init_offers_the_pyproject_table_and_adds_it_when_asked(folder):
    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\n')
    offered = run("init")
    assert offered.exit_code == 0
    assert "pyproject.toml has no [tool.qscaffold] table" in offered.output
    assert "[tool.qscaffold]\ndatabase = \"data/app.db\"" in offered.output
    assert pyproject.read_text() == '[project]\nname = "app"\n', "offering must not write"

    added = run("init", "--pyproject", "--dir", "db/migrations")
    assert added.exit_code == 0, added.output
    assert "Added [tool.qscaffold] to pyproject.toml" in added.output
    data = tomllib.loads(pyproject.read_text())
    assert data["project"] == {"name": "app"}
    assert data["tool"]["qscaffold"] == {"database": "data/app.db", "migrations_dir": "db/migrations"}
    assert (folder / "db" / "migrations").is_dir()

    again = run("init", "--pyproject")
    assert again.exit_code == 0 and "Added" not in again.output
    assert pyproject.read_text().count("[tool.qscaffold]") == 1


def test_init_refuses_to_break_a_pyproject(folder):
    pyproject = folder / "pyproject.toml"
    pyproject.write_text('tool = { black = { line-length = 100 } }\n')
    result = run("init", "--pyproject")
    assert result.exit_code == 2
    assert "would make it invalid TOML" in result.output and "Traceback" not in result.output
    assert pyproject.read_text() == 'tool = { black = { line-length = 100 } }\n'


# -- the project root -------------------------------------------------------------------


@pytest.fixture
def nested(folder, monkeypatch):
    """A project with [tool.qscaffold] at its root, a subpackage with its own pyproject.toml
    (no table), and the current folder deep inside it."""
    (folder / "pyproject.toml").write_text("[tool.qscaffold]\ntarget_sqlite = '3.40'\n")
    deep = folder / "src" / "pkg"
    deep.mkdir(parents=True)
    (folder / "src" / "pyproject.toml").write_text('[project]\nname = "sub"\n')
    (folder / "migrations").mkdir()
    monkeypatch.chdir(deep)
    return folder


def test_commands_from_a_subfolder_use_the_project_root(nested):
    result = run("new", "create-users-table", "--column", "email")
    assert result.exit_code == 0, result.output
    assert (nested / "migrations" / "001-create-users-table.py").is_file()
    assert not (nested / "src" / "pkg" / "migrations").exists()
    up = run("migrate", "up")
    assert up.exit_code == 0, up.output
    assert version(nested / "data" / "app.db") == 1
    assert not (nested / "src" / "pkg" / "data").exists()
    status = run("migrate", "status")
    assert "Applied v1: Create users table" in status.output
    assert run("lint").exit_code == 0


def test_flags_stay_relative_to_the_current_folder(nested):
    table_migrations(nested / "migrations", 1)
    result = run("migrate", "up", "--dir", "../../migrations", "--database", "local.db")
    assert result.exit_code == 0, result.output
    assert (nested / "src" / "pkg" / "local.db").is_file()


def test_a_bad_target_in_pyproject_is_reported_as_pyproject(folder):
    (folder / "pyproject.toml").write_text("[tool.qscaffold]\ntarget_sqlite = \"3.x\"\n")
    (folder / "migrations").mkdir()
    for args in (["lint"], ["new", "add-email-to-users"], ["migrate", "status"]):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "pyproject.toml: [tool.qscaffold] target_sqlite '3.x' is not a SQLite version" in result.output
        assert "--target-sqlite" not in result.output


def test_a_misspelt_key_suggests_the_right_one(folder):
    (folder / "pyproject.toml").write_text("[tool.qscaffold]\ntemplate_dir = \"tpl\"\n")
    result = run("migrate", "status")
    assert result.exit_code == 2
    assert "unknown key 'template_dir'" in result.output and "did you mean 'templates_dir'?" in result.output


def test_a_misspelt_templates_folder_is_an_error(folder):
    (folder / "pyproject.toml").write_text("[tool.qscaffold]\ntemplates_dir = \"migration-templtes\"\n")
    (folder / "migration-templates").mkdir()
    result = run("new", "backfill-plans")
    assert result.exit_code == 2
    assert "templates_dir" in result.output and "migration-templtes" in result.output
    assert "no such folder" in result.output
    assert not (folder / "migrations").exists()


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("answer, added", [("y", True), ("n", False)])
def test_init_asks_on_a_terminal(folder, answer, added):
    import os
    import subprocess
    import sys

    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\n')
    master, slave = os.openpty()
    try:
        os.write(master, f"{answer}\n".encode())
        result = subprocess.run([sys.executable, "-m", "qscaffold", "init"], stdin=slave, stdout=slave,
                                stderr=subprocess.PIPE, cwd=folder, timeout=60)
        output = os.read(master, 65536).decode()
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 0, result.stderr
    assert "Add [tool.qscaffold] to pyproject.toml? [Y/n]" in output + result.stderr.decode()
    assert ("[tool.qscaffold]" in pyproject.read_text()) is added
    assert (folder / "migrations").is_dir()


def test_a_broken_pyproject_far_up_does_not_stop_the_search(folder, monkeypatch):
    (folder / "pyproject.toml").write_text("[project\nname = 'broken, and no table of ours'\n")
    project = folder / "app"
    (project / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    monkeypatch.chdir(project)
    result = run("migrate", "status")
    assert result.exit_code == 0, result.output
    assert "(none in migrations)" in result.output
    (project / "pyproject.toml").write_text("[project\n")
    broken = run("migrate", "status")  # the nearest one is always read: a typo there is reported
    assert broken.exit_code == 2 and "invalid TOML" in broken.output
