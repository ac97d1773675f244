"""`qscaffold new`: numbering, names, inference, templates, dry runs and refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qscaffold.cli import main
from qscaffold.config import load_settings
from qscaffold.errors import UsageError
from qscaffold.files import discover
from qscaffold.scaffold import (
    FileExists,
    TemplateError,
    human_name,
    infer,
    new_migration,
    plan_migration,
    shipped_templates,
    slugify,
    write_migration,
)

from support import table_migrations, write_migration as write_file

PATTERNS = ("table", "column", "index", "data", "drop-column")


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def settings(folder: Path, **kwargs):
    return load_settings(migrations_dir=folder, cwd=folder.parent, **kwargs)


def users_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    write_file(folder, 1, "create-users",
               "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, "
               "nickname TEXT);"
               "CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, "
               "user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, token TEXT)",
               "DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS users")
    return folder


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Add API keys table", "add_api_keys_table", "AddApiKeysTable",
                                  "AddAPIKeysTable", "add-api-keys-table", "  add  API keys   table ",
                                  "add.api.keys.table"])
def test_name_spellings_become_one_kebab_case_slug(name):
    assert slugify(name) == "add-api-keys-table"


@pytest.mark.parametrize("name, slug", [
    ("HTMLParserCache", "html-parser-cache"),
    ("addV2Column", "add-v2-column"),
    ("OAuth2Tokens", "o-auth2-tokens"),
    ("Ajouter la table des clés", "ajouter-la-table-des-cles"),
    ("add 2fa to users", "add-2fa-to-users"),
])
def test_acronyms_digits_and_accents(name, slug):
    assert slugify(name) == slug


@pytest.mark.parametrize("name, human", [
    ("Add API keys table", "Add API keys table"),
    ("add_api_keys_table", "Add api keys table"),
    ("AddAPIKeysTable", "Add API keys table"),
    ("add-email-to-users", "Add email to users"),
])
def test_human_readable_name(name, human):
    assert human_name(name) == human


def test_the_three_spellings_write_the_same_file_name_through_the_cli(tmp_path):
    for k, name in enumerate(["Add API keys table", "add_api_keys_table", "AddApiKeysTable"], start=1):
        folder = tmp_path / str(k)
        result = run("new", name, "--dir", str(folder), "--pattern", "data")
        assert result.exit_code == 0, result.output
        assert [p.name for p in folder.iterdir()] == ["001-add-api-keys-table.py"]
        assert 'name = "' in (folder / "001-add-api-keys-table.py").read_text()


BAD_NAMES = ["", "   ", "---", "!!!", "../evil", "a/b", "a\\b", "x..y", "a" * 101, "line\nbreak"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_exit_2_and_write_nothing(tmp_path, name):
    folder = tmp_path / "migrations"
    write_file(folder, 1, "first", "SELECT 1")
    before = listing(folder)
    outside = sorted(p.name for p in tmp_path.iterdir())
    result = run("new", "--dir", str(folder), "--", name)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: NAME")
    assert len(result.stderr.strip().splitlines()) == 1
    assert listing(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == outside


def test_bad_name_does_not_create_a_missing_folder(tmp_path):
    folder = tmp_path / "missing"
    with pytest.raises(UsageError):
        new_migration(settings(folder), "../x")
    assert not folder.exists()


def test_a_100_character_name_is_fine(tmp_path):
    name = "a" * 100
    path = new_migration(settings(tmp_path / "m"), name)
    assert path.name == f"001-{name}.py"


# -- numbering --------------------------------------------------------------------------


@pytest.mark.parametrize("existing, expected", [(0, "001"), (9, "010"), (999, "1000")])
def test_numbering_follows_the_highest_version(tmp_path, existing, expected):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for v in range(1, existing + 1):
        (folder / f"{v:03d}-step.py").write_text(f"name = 's'\nversion = {v}\n\n\ndef up(db):\n    pass\n")
    path = new_migration(settings(folder), "next step")
    assert path.name == f"{expected}-next-step.py"
    assert path.parent == folder
    loaded = discover(folder)
    assert loaded[-1].path == path and loaded[-1].version == int(expected)
    assert loaded[-1].module.version == int(expected)  # the file loads and declares its number


def test_numbering_uses_the_highest_not_the_count(tmp_path):
    folder = tmp_path / "migrations"
    table_migrations(folder, 1, start=1)
    table_migrations(folder, 1, start=41)
    (folder / "README.md").write_text("notes")
    assert new_migration(settings(folder), "x").name == "042-x.py"


def test_a_missing_folder_is_created(tmp_path):
    folder = tmp_path / "deep" / "migrations"
    result = run("new", "create-notes-table", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / "001-create-notes-table.py").is_file()
    assert result.stdout.strip().endswith("001-create-notes-table.py")


def test_never_overwrites(tmp_path):
    folder = tmp_path / "migrations"
    scaffold = plan_migration(settings(folder), "create-notes-table")
    folder.mkdir()
    scaffold.path.write_text("# someone else's file\n")
    with pytest.raises(FileExists, match="already exists"):
        write_migration(scaffold)
    assert scaffold.path.read_text() == "# someone else's file\n"


def test_every_file_written_stays_inside_the_folder(tmp_path):
    folder = tmp_path / "migrations"
    for name in ("create-a-table", "Add B", "c_c_c"):
        path = new_migration(settings(folder), name)
        assert path.resolve().parent == folder.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migrations"]


# -- inference --------------------------------------------------------------------------


@pytest.mark.parametrize("slug, pattern, table, columns", [
    ("add-email-to-users", "column", "users", ["email"]),
    ("add-last-login-at-to-user-sessions", "column", "user_sessions", ["last_login_at"]),
    ("create-api-keys-table", "table", "api_keys", []),
    ("add-api-keys-table", "table", "api_keys", []),
    ("add-index-on-sessions-user-id", "index", "sessions", ["user_id"]),
    ("add-index-to-sessions-on-user-id", "index", "sessions", ["user_id"]),
    ("add-index-on-sessions-user-id-and-token", "index", "sessions", ["user_id", "token"]),
    ("drop-nickname-from-users", "drop-column", "users", ["nickname"]),
    ("remove-nickname-from-users", "drop-column", "users", ["nickname"]),
    ("backfill-user-emails", "data", None, []),
    ("add-defaults", "data", None, []),
])
def test_inference(slug, pattern, table, columns):
    guess = infer(slug, {"users", "sessions", "user_sessions"})
    assert (guess.pattern, guess.table, guess.columns) == (pattern, table, columns)


def test_inference_uses_the_schema_to_find_where_the_table_name_ends():
    assert infer("add-index-on-user-sessions-token", {"user_sessions"}).table == "user_sessions"
    assert infer("add-index-on-user-sessions-token", {"user_sessions"}).columns == ["token"]


def test_the_cli_says_what_it_inferred(tmp_path):
    folder = users_folder(tmp_path)
    result = run("new", "add-phone-to-users", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "Inferred from NAME: pattern column; table users; column phone TEXT" in result.stderr
    text = (folder / "002-add-phone-to-users.py").read_text()
    assert 'db.exec("ALTER TABLE users ADD COLUMN phone TEXT")' in text


def test_an_explicit_pattern_is_not_reported_as_inferred(tmp_path):
    folder = users_folder(tmp_path)
    result = run("new", "phones", "--pattern", "column", "--table", "users", "--column", "phone:VARCHAR(20)",
                 "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert "Inferred" not in result.stderr
    assert "ADD COLUMN phone VARCHAR(20)" in (folder / "002-phones.py").read_text()


@pytest.mark.parametrize("args, message", [
    (["--column", "a:TEXT NOT NULL"], "SQLite cannot add a NOT NULL column without a DEFAULT"),
    (["--column", "a:TEXT CHECK ("], "SQLite rejects the column definition a TEXT CHECK ("),
    (["--column", "a TEXT, b TEXT"], "must define exactly one column"),
    (["--column", "a TEXT) --"], "comments and ';' are not allowed"),
    (["--column", "a:INTEGER UNIQUE"], "Cannot add a UNIQUE column"),
    (["--column", "a\"b"], "quotes"),
    (["--table", "sqlite_x"], "reserved"),
    (["--target-sqlite", "three"], "not a SQLite version"),
])
def test_bad_options_exit_2(tmp_path, args, message):
    folder = users_folder(tmp_path)
    result = run("new", "x", "--pattern", "column", "--table", "users", "--dir", str(folder), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["001-create-users.py"]


def test_schema_comes_from_the_migrations_not_the_real_database(tmp_path, monkeypatch):
    folder = users_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run("new", "add-phone-to-users", "--dir", str(folder), "--dry-run")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "data").exists()


def test_target_sqlite_from_pyproject(tmp_path, monkeypatch):
    folder = users_folder(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nmigrations_dir = "migrations"\n'
                                             'target_sqlite = "3.34.1"\n')
    monkeypatch.chdir(tmp_path)
    result = run("new", "add-phone-to-users", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "ALTER TABLE users DROP COLUMN" not in result.stdout
    assert "CREATE TABLE IF NOT EXISTS new_users (" in result.stdout
    result = run("new", "add-phone-to-users", "--dry-run", "--target-sqlite", "3.35")
    assert 'db.exec("ALTER TABLE users DROP COLUMN phone")' in result.stdout


# -- dry run ----------------------------------------------------------------------------


def test_dry_run_prints_the_file_and_writes_nothing(tmp_path):
    folder = users_folder(tmp_path)
    before = listing(folder)
    result = run("new", "create-notes-table", "--column", "body", "--dir", str(folder), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('"""Migration 002: Create notes table.')
    assert "CREATE TABLE IF NOT EXISTS notes (" in result.stdout
    compile(result.stdout, "dry-run", "exec")
    assert listing(folder) == before
    real = run("new", "create-notes-table", "--column", "body", "--dir", str(folder))
    assert real.exit_code == 0
    written = (folder / "002-create-notes-table.py").read_text()
    strip = lambda text: [line for line in text.splitlines() if "Generated by" not in line]  # noqa: E731
    assert strip(written) == strip(result.stdout)


def test_dry_run_into_a_missing_folder_creates_nothing(tmp_path):
    result = run("new", "create-notes-table", "--dir", str(tmp_path / "nope"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []


# -- templates --------------------------------------------------------------------------


def test_the_five_templates_and_the_declarative_one_ship():
    folder = shipped_templates()
    assert sorted(p.name for p in folder.glob("*.py.j2")) == sorted(
        [f"{p}.py.j2" for p in PATTERNS] + ["declarative.py.j2"])


def test_a_project_template_overrides_only_its_own_pattern(tmp_path, monkeypatch):
    folder = users_folder(tmp_path)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "table.py.j2").write_text(
        '"""{{ name }} ({{ slug }}, {{ pattern }}, {{ created_at[:4] }})."""\n'
        "# house style\nname = {{ name | pystr }}\nversion = {{ version }}\n\n\n"
        "def up(db):\n    db.exec({{ ('CREATE TABLE IF NOT EXISTS %s (id INTEGER PRIMARY KEY)' % table_sql) | pystr }})\n\n\n"
        "def down(db):\n    db.exec({{ ('DROP TABLE IF EXISTS %s' % table_sql) | pystr }})\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nmigrations_dir = "migrations"\n'
                                             'templates_dir = "tpl"\n')
    monkeypatch.chdir(tmp_path)
    result = run("new", "create-notes-table")
    assert result.exit_code == 0, result.output
    text = (folder / "002-create-notes-table.py").read_text()
    assert text.startswith('"""Create notes table (create-notes-table, table, 20')
    assert "# house style" in text
    result = run("new", "add-phone-to-users")
    assert result.exit_code == 0, result.output
    assert "# house style" not in (folder / "003-add-phone-to-users.py").read_text()


@pytest.mark.parametrize("body, message", [
    ("name = 'x'\nversion = {{ nope }}\n", "'nope' is undefined"),
    ("name = 'x'\nversion = {{ version }}\ndef up(db) pass\n", "renders invalid Python"),
    ("name = 'x'\nversion = {{ version + 1 }}\ndef up(db):\n    pass\n", "not the file's number"),
    ("name = 'x'\nversion = {{ version }}\n", "no `def up(db)`"),
    ("{% if %}", "template syntax error"),
])
def test_a_broken_template_is_a_one_line_error_naming_it(tmp_path, body, message):
    folder = tmp_path / "migrations"
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "data.py.j2").write_text(body)
    s = load_settings(migrations_dir=folder, templates_dir=tmp_path / "tpl", cwd=tmp_path)
    with pytest.raises(TemplateError, match="data.py.j2") as err:
        new_migration(s, "fix")
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not folder.exists()


# -- import cost ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["migrate", "status", "--database", ":memory:"]])
def test_help_and_status_do_not_import_jinja2(tmp_path, args):
    code = (
        "import sys\n"
        "from qscaffold.cli import main\n"
        "try:\n"
        f"    main({args!r}, standalone_mode=False)\n"
        "finally:\n"
        "    print('JINJA' if 'jinja2' in sys.modules else 'NO-JINJA')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "QSCAFFOLD_MIGRATIONS": str(tmp_path)})
    assert out.stdout.strip().endswith("NO-JINJA"), out.stdout + out.stderr


def test_new_does_import_jinja2_when_it_renders(tmp_path):
    code = (
        "import sys\nfrom qscaffold.cli import main\n"
        f"main(['new', 'x', '--dir', {str(tmp_path / 'm')!r}, '--dry-run'], standalone_mode=False)\n"
        "print('JINJA' if 'jinja2' in sys.modules else 'NO-JINJA')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().endswith("JINJA") and not out.stdout.strip().endswith("NO-JINJA")


# -- lint -------------------------------------------------------------------------------


GENERATED = [
    ("create-notes-table", ["--column", "body", "--column", "n:INTEGER"]),
    ("add-phone-to-users", []),
    ("add-phone-to-users", ["--target-sqlite", "3.34"]),
    ("add-index-on-sessions-user-id", []),
    ("backfill", ["--pattern", "data", "--table", "users"]),
    ("fix-everything", []),
    ("drop-nickname-from-users", []),
    ("drop-nickname-from-users", ["--target-sqlite", "3.34"]),
    ("drop-token-from-sessions", []),
]


@pytest.mark.parametrize("name, args", GENERATED)
def test_every_generated_file_lints_clean(tmp_path, name, args):
    pytest.importorskip("qscaffold.lint.engine")
    if "lint" not in main.commands:
        pytest.skip("the lint command is not there yet")
    folder = users_folder(tmp_path)
    result = run("new", name, "--dir", str(folder), *args)
    assert result.exit_code == 0, result.output
    generated = sorted(folder.iterdir())[-1]
    lint = run("lint", str(generated), "--format", "json")
    assert lint.exit_code == 0, lint.output
    assert lint.stdout.strip() in ("[]", ""), lint.stdout


def test_database_option_must_be_a_readable_database(tmp_path):
    folder = users_folder(tmp_path)
    (tmp_path / "junk.db").write_text("not a database" * 100)
    for path, message in [(tmp_path / "missing.db", "does not exist"), (tmp_path / "junk.db", "cannot be read")]:
        result = run("new", "add-phone-to-users", "--dir", str(folder), "--database", str(path))
        assert result.exit_code == 2, result.output
        assert message in result.stderr
    assert not (tmp_path / "missing.db").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["001-create-users.py"]


def test_a_rival_file_with_the_same_number_is_not_left_beside_ours(tmp_path):
    folder = tmp_path / "migrations"
    scaffold = plan_migration(settings(folder), "create-notes-table")
    folder.mkdir()
    (folder / "001-something-else.py").write_text("# written by a teammate's `new` at the same moment\n")
    with pytest.raises(FileExists, match="version 1 was just taken by 001-something-else.py"):
        write_migration(scaffold)
    assert sorted(p.name for p in folder.iterdir()) == ["001-something-else.py"]
