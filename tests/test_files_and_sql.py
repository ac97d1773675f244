"""File names, checksums, statement splitting and settings."""

from __future__ import annotations

import sqlite3

import pytest

from qscaffold.config import load_settings
from qscaffold.errors import ConfigError
from qscaffold.files import checksum_bytes, discover, format_filename, naming_problem, parse_filename
from qscaffold.sql import first_keywords, split_statements


@pytest.mark.parametrize("name, parsed", [
    ("001-initial-schema.py", (1, "initial-schema")),
    ("999-x.py", (999, "x")),
    ("1000-add-index2.py", (1000, "add-index2")),
    ("01-short.py", None),
    ("0001-padded.py", None),
    ("002-AddUserField.py", None),
    ("003_add_api_keys.py", None),
    ("004-trailing-.py", None),
    ("005-double--dash.py", None),
    ("006-add.js", None),
])
def test_parse_filename(name, parsed):
    assert parse_filename(name) == parsed


def test_format_filename_pads_to_three_digits():
    assert format_filename(7, "x") == "007-x.py"
    assert format_filename(1000, "x") == "1000-x.py"


def test_naming_problems_say_what_to_fix():
    assert "at least 3 digits" in naming_problem("1-initial.py")
    assert "kebab-case" in naming_problem("002-AddUserField.py")
    assert "separated by '-'" in naming_problem("003_add_api_keys.py")


def test_checksum_ignores_line_endings_only():
    assert checksum_bytes(b"a\nb\n") == checksum_bytes(b"a\r\nb\r\n") == checksum_bytes(b"a\rb\r")
    assert checksum_bytes(b"a\nb\n") != checksum_bytes(b"a\nb \n")


def test_discover_sorts_numerically_and_skips_other_files(tmp_path):
    for name in ("1000-last.py", "002-b.py", "010-c.py", "__init__.py", "helpers.py", "README.md"):
        (tmp_path / name).write_text("")
    assert [f.filename for f in discover(tmp_path)] == ["002-b.py", "010-c.py", "1000-last.py"]


SCRIPT = """
-- leading comment; with a semicolon
CREATE TABLE a (x TEXT DEFAULT 'a;b');
/* block ; comment */
CREATE TRIGGER tr AFTER INSERT ON a BEGIN
  INSERT INTO a VALUES ('in trigger;');
  UPDATE a SET x = "y;" WHERE x = 'z';
END;
;;
INSERT INTO a VALUES ('last without semicolon')
"""


def test_split_statements_knows_strings_comments_and_triggers():
    parts = split_statements(SCRIPT)
    assert [first_keywords(p.text, 2) for p in parts] == [
        ("CREATE", "TABLE"), ("CREATE", "TRIGGER"), ("INSERT", "INTO")]
    assert parts[1].text.endswith("END;")
    for part in parts:
        assert SCRIPT[part.start:].startswith(part.text)
    conn = sqlite3.connect(":memory:")
    for part in parts:
        conn.execute(part.text)
    assert conn.execute("SELECT count(*) FROM a").fetchone() == (2,)


def test_split_statements_of_nothing():
    assert split_statements("") == []
    assert split_statements("  -- only a comment\n /* and another */ ; ") == []


def test_settings_defaults_are_relative_to_the_current_folder(tmp_path):
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.database == str(tmp_path / "data" / "app.db")
    assert settings.migrations_dir == tmp_path / "migrations"


def test_settings_from_the_nearest_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.qscaffold]\ndatabase = ':memory:'\nmigrations_dir = 'db/m'\ntarget_sqlite = '3.35'\n"
        "select = ['QS1']\nignore = 'QS206, qs207'\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    settings = load_settings(cwd=tmp_path / "deep" / "er", environ={})
    assert settings.database == ":memory:"
    assert settings.migrations_dir == tmp_path / "db" / "m"
    assert settings.target_sqlite == "3.35"
    assert settings.select == ("QS1",) and settings.ignore == ("QS206", "QS207")
    env = {"QSCAFFOLD_MIGRATIONS": "elsewhere"}
    assert load_settings(cwd=tmp_path, environ=env).migrations_dir == tmp_path / "elsewhere"
    assert load_settings(cwd=tmp_path, environ=env, migrations_dir="flag").migrations_dir == tmp_path / "flag"


@pytest.mark.parametrize("content, message", [
    ("[tool.qscaffold]\nnope = 1\n", "unknown key 'nope'"),
    ("[tool.qscaffold]\ndatabase = 3\n", "database must be a string"),
    ("[tool.qscaffold]\nselect = 3\n", "select must be a list"),
    ("[tool.qscaffold]\nbusy_timeout = 'long'\n", "busy_timeout must be a number"),
    ("not toml [", "invalid TOML"),
])
def test_bad_settings_name_the_file(tmp_path, content, message):
    (tmp_path / "pyproject.toml").write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path, environ={})
    assert message in str(info.value) and "pyproject.toml" in str(info.value)
    assert info.value.exit_code == 2
