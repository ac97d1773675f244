"""Other tools' .sql migrations (`sql_runner`): each runner's layout and transactions, on
fixtures written the way that tool writes them, and each verdict checked by running the
files on SQLite as that runner would (one transaction per file, or as written)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.runners import RUNNERS, half_of, is_flyway_callback, order_key

from _lint_support import invoke, lint

USERS = "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);"
POSTS = ("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY, "
         "user_id INTEGER REFERENCES users (id));")
OWN_TRANSACTION = ("PRAGMA foreign_keys = OFF;\nBEGIN;\n"
                   "CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY, name TEXT);\n"
                   "COMMIT;\nPRAGMA foreign_keys = ON;\n")

# runner → {relative path: text}: a clean project laid out as that tool lays it out
FIXTURES: dict[str, dict[str, str]] = {
    "qscaffold": {
        "001-users.sql": f"-- migrate:up\n{USERS}\n-- migrate:down\nDROP TABLE IF EXISTS users;\n",
        "002-posts.up.sql": POSTS + "\n",
        "002-posts.down.sql": "DROP TABLE IF EXISTS posts;\n",
    },
    "goose": {
        "00001_users.sql": f"-- +goose Up\n{USERS}\n-- +goose Down\nDROP TABLE IF EXISTS users;\n",
        "00002_posts.sql": (f"-- +goose Up\n{POSTS}\n-- +goose StatementBegin\n"
                            "CREATE TRIGGER IF NOT EXISTS posts_ai AFTER INSERT ON posts BEGIN "
                            "UPDATE users SET email = email WHERE id = new.user_id; END;\n"
                            "-- +goose StatementEnd\n-- +goose Down\nDROP TABLE IF EXISTS posts;\n"),
        "00003_tags.sql": f"-- +goose NO TRANSACTION\n-- +goose Up\n{OWN_TRANSACTION}"
                          "-- +goose Down\nDROP TABLE IF EXISTS tags;\n",
    },
    "dbmate": {
        "20240101000000_users.sql": f"-- migrate:up\n{USERS}\n\n-- migrate:down\nDROP TABLE IF EXISTS users;\n",
        "20240102000000_posts.sql": f"-- migrate:up\n{POSTS}\n\n-- migrate:down\nDROP TABLE IF EXISTS posts;\n",
        "20240103000000_tags.sql": f"-- migrate:up transaction:false\n{OWN_TRANSACTION}\n"
                                   "-- migrate:down\nDROP TABLE IF EXISTS tags;\n",
    },
    "sqlx": {
        "20240101000000_users.up.sql": USERS + "\n",
        "20240101000000_users.down.sql": "DROP TABLE IF EXISTS users;\n",
        "20240102000000_posts.up.sql": POSTS + "\n",
        "20240102000000_posts.down.sql": "DROP TABLE IF EXISTS posts;\n",
        "20240103000000_tags.sql": "-- no-transaction\n" + OWN_TRANSACTION,
    },
    "golang-migrate": {
        "000001_users.up.sql": USERS + "\n",
        "000001_users.down.sql": "DROP TABLE IF EXISTS users;\n",
        "000002_posts.up.sql": POSTS + "\n",
        "000002_posts.down.sql": "DROP TABLE IF EXISTS posts;\n",
    },
    "diesel": {
        "2024-01-01-000000_create_users/up.sql": USERS + "\n",
        "2024-01-01-000000_create_users/down.sql": "DROP TABLE IF EXISTS users;\n",
        "2024-01-02-000000_create_posts/up.sql": POSTS + "\n",
        "2024-01-02-000000_create_posts/down.sql": "DROP TABLE IF EXISTS posts;\n",
        "2024-01-03-000000_tags/up.sql": OWN_TRANSACTION,
        "2024-01-03-000000_tags/down.sql": "DROP TABLE IF EXISTS tags;\n",
        "2024-01-03-000000_tags/metadata.toml": "run_in_transaction = false\n",
    },
    "flyway": {
        "V1__users.sql": USERS + "\n",
        "U1__users.sql": "DROP TABLE IF EXISTS users;\n",
        "V2__posts.sql": POSTS + "\n",
        "U2__posts.sql": "DROP TABLE IF EXISTS posts;\n",
        "V3__tags.sql": OWN_TRANSACTION,
        "V3__tags.sql.conf": "executeInTransaction=false\n",
        # a callback, run after every migrate: not a migration (alone it is QS209's)
        "afterMigrate.sql": "UPDATE users SET email = lower(email);\n",
    },
    "sqlite3": {
        "001_users.sql": ".bail on\n.timeout 30000\n" + USERS + "\n",
        "002_posts.sql": POSTS + "\n",
        "003_tags.sql": OWN_TRANSACTION,
    },
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def up_files(folder: Path) -> list[Path]:
    files = [p for p in folder.rglob("*.sql") if half_of(p) != "down" and not is_flyway_callback(p)]
    return sorted(files, key=order_key)


def apply_as(runner: str, folder: Path) -> str | None:
    """Run the up migrations on SQLite as ``runner`` does: the up half (markers) of each
    file, inside one transaction unless the file runs as written; SQLite's first error."""
    from qscaffold.lint.engine import extract

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for path in up_files(folder):
            ex = extract(path, runner=RUNNERS[runner])
            pieces = [p.text for p in ex.up_pieces()]
            if ex.wrapped:
                conn.execute("BEGIN")
            for sql in pieces:
                conn.execute(sql)
            if ex.wrapped:
                conn.execute("COMMIT")
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return None


def test_every_runner_has_a_fixture():
    assert set(FIXTURES) == set(RUNNERS)


@pytest.mark.parametrize("runner", sorted(FIXTURES))
def test_a_runners_project_lints_clean_and_runs(runner, tmp_path):
    folder = write(tmp_path / "migrations", FIXTURES[runner])
    assert lint([folder], cwd=tmp_path, sql_runner=runner) == []
    assert apply_as(runner, folder) is None
    # ...and the layout is detected without the setting (a shell script only says so
    # through its dot-commands: 003_tags.sql has none, and BEGIN is then refused)
    detected = [(Path(f.path).name, f.code) for f in lint([folder], cwd=tmp_path)]
    if runner == "sqlite3":
        assert {name for name, _ in detected} == {"003_tags.sql"}
    else:
        assert detected == []


@pytest.mark.parametrize("runner", sorted(r for r in FIXTURES if RUNNERS[r].wraps))
def test_a_file_that_begins_its_own_transaction_fails_where_the_runner_wraps_it(runner, tmp_path):
    folder = tmp_path / "migrations"
    write(folder, FIXTURES[runner])
    # drop every per-file opt-out: the file now runs inside the runner's transaction
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".conf"):
            path.unlink()
        elif path.is_file():
            text = path.read_text()
            for marker in ("-- +goose NO TRANSACTION\n", " transaction:false", "-- no-transaction\n"):
                text = text.replace(marker, "")
            path.write_text(text)
    found = lint([folder], cwd=tmp_path, sql_runner=runner)
    codes = [f.code for f in found]
    if not any("BEGIN" in text for text in FIXTURES[runner].values()):
        assert codes == []  # this fixture has no such file
        return
    assert sorted(set(codes)) == ["QS301", "QS304"], found
    assert apply_as(runner, folder) == "cannot start a transaction within a transaction"


# -- item 4: .up.sql/.down.sql pairs -------------------------------------------------------


def test_the_down_half_of_a_pair_is_not_replayed_as_a_forward_migration(tmp_path):
    folder = write(tmp_path / "migrations", FIXTURES["golang-migrate"])
    assert sorted(p.name for p in folder.iterdir())[0] == "000001_users.down.sql"  # sorts first
    assert lint([folder], cwd=tmp_path) == []
    # the down half is still checked, against the schema its up half leaves
    (folder / "000002_posts.down.sql").write_text("DROP TABLE post;\n")
    found = lint([folder], cwd=tmp_path)
    assert [(Path(f.path).name, f.code) for f in found if f.severity.value == "error"] == [
        ("000002_posts.down.sql", "QS010")]
    conn = sqlite3.connect(":memory:")
    conn.executescript(USERS + POSTS)
    with pytest.raises(sqlite3.OperationalError, match="no such table: post"):
        conn.execute("DROP TABLE post")


# -- item 5: migrations the linter cannot read --------------------------------------------


def test_schema_verdicts_stop_after_a_migration_the_linter_cannot_read(tmp_path):
    folder = write(tmp_path / "migrations", {
        "00001_users.sql": f"-- +goose Up\n{USERS}\n",
        "00002_accounts.go": "package migrations\n// creates accounts in Go\n",
        "00003_link.sql": "-- +goose Up\nALTER TABLE accounts ADD COLUMN user_id INTEGER;\n",
    })
    assert lint([folder], cwd=tmp_path) == []
    # without the Go migration the missing table is a true error
    (folder / "00002_accounts.go").unlink()
    found = lint([folder], cwd=tmp_path)
    assert [f.code for f in found] == ["QS010"] and "no such table: accounts" in found[0].message


# -- item 6: files that run as written ----------------------------------------------------


def test_own_transaction_is_right_under_the_shell_and_wrong_under_a_wrapping_runner():
    assert lint_sql(OWN_TRANSACTION, schema="", sql_runner="sqlite3") == []
    wrapped = lint_sql(OWN_TRANSACTION, schema="", sql_runner="goose")
    assert sorted({f.code for f in wrapped}) == ["QS301", "QS304"]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(OWN_TRANSACTION)  # as the sqlite3 shell runs it
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_the_shell_still_catches_transaction_mistakes():
    found = lint_sql("COMMIT;\nBEGIN;\nBEGIN;\nCOMMIT;\n", schema="", sql_runner="sqlite3")
    assert [(f.line, f.code) for f in found] == [(1, "QS301"), (3, "QS301")]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="no transaction is active"):
        conn.execute("COMMIT")
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        conn.execute("BEGIN")


# -- item 3: ADD COLUMN ... REFERENCES with a default -------------------------------------

LIB = ("CREATE TABLE library (id INTEGER PRIMARY KEY); CREATE TABLE m (id INTEGER PRIMARY KEY);"
       "INSERT INTO library VALUES (1); INSERT INTO m VALUES (1);")
ADD = "ALTER TABLE m ADD COLUMN library_id INTEGER NOT NULL DEFAULT 1 REFERENCES library (id);"


def test_references_column_with_default_is_judged_by_whether_foreign_keys_are_on():
    assert "QS114" not in [f.code for f in lint_sql(ADD, schema=LIB)]  # qscaffold: off
    assert "QS114" in [f.code for f in lint_sql(ADD, schema=LIB, sql_runner="sqlx")]
    shell = "PRAGMA foreign_keys = ON;\n" + ADD
    assert [f.line for f in lint_sql(shell, schema=LIB, sql_runner="sqlite3")
            if f.code == "QS114"] == [2]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(LIB)
    conn.execute(ADD)  # foreign keys off: accepted, and the rows are valid
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(LIB)
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.OperationalError, match="non-NULL default"):
        conn.execute(ADD)


# -- item 7: sqlite3 shell dot-commands ---------------------------------------------------


def test_a_dot_command_does_not_hide_the_next_statement():
    found = lint_sql(".timeout 30000\nCREATE TABLE IF NOT EXISTS x (a INTEGER PRIMARY KEY,);\n",
                     schema="")
    assert [(f.line, f.code) for f in found] == [(2, "QS001")]
    assert lint_sql(".timeout 30000\n.bail on\n" + USERS, schema="") == []


def test_a_dot_command_is_an_error_for_runners_that_send_it_to_sqlite():
    found = lint_sql(".timeout 30000\n" + USERS, schema="", sql_runner="dbmate")
    assert [(f.line, f.code) for f in found] == [(1, "QS001")]
    assert "sqlite3 shell command" in found[0].message
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        sqlite3.connect(":memory:").execute(".timeout 30000")


# -- the setting -------------------------------------------------------------------------


def test_sql_runner_setting_and_flag(tmp_path, monkeypatch):
    folder = write(tmp_path / "migrations", {"001_tags.sql": OWN_TRANSACTION})
    assert invoke(["lint"], tmp_path, monkeypatch).exit_code == 1  # qscaffold wraps it
    result = invoke(["lint", "--sql-runner", "sqlite3"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nsql_runner = "sqlite3"\n')
    assert invoke(["lint"], tmp_path, monkeypatch).exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nsql_runner = "liquibase"\n')
    bad = invoke(["lint"], tmp_path, monkeypatch)
    assert bad.exit_code == 2 and "sql_runner" in bad.stderr and "Traceback" not in bad.output
    bad = invoke(["lint", "--sql-runner", "liquibase"], tmp_path, monkeypatch)
    assert bad.exit_code == 2
    assert folder.is_dir()


def test_the_readme_pre_commit_snippet_for_goose_works(tmp_path, monkeypatch):
    """The snippet's `files` pattern picks goose migrations and its `args` lint them as goose
    runs them, each changed file against its earlier siblings."""
    import re as re_

    import yaml

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Linting another tool's migrations"):]
    block = re_.search(r"```yaml\n(.*?)```", section, re_.S).group(1)
    hook = yaml.safe_load(block)["repos"][0]["hooks"][0]
    assert hook["id"] == "qscaffold-lint"
    files = re_.compile(hook["files"])
    folder = write(tmp_path / "db" / "migrations", FIXTURES["goose"])
    (folder / "00004_bad.sql").write_text(
        "-- +goose Up\nBEGIN;\nALTER TABLE nope ADD COLUMN x TEXT;\nCOMMIT;\n")
    changed = [p.relative_to(tmp_path).as_posix() for p in sorted(folder.iterdir())]
    assert all(files.search(p) for p in changed)
    assert not files.search("db/migrations/README.md")
    ok = invoke(["lint", *hook["args"], "db/migrations/00003_tags.sql"], tmp_path, monkeypatch)
    assert ok.exit_code == 0, ok.output
    bad = invoke(["lint", *hook["args"], "db/migrations/00004_bad.sql"], tmp_path, monkeypatch)
    assert bad.exit_code == 1
    assert [line.split(": ")[0].split(":", 1)[1] + " " + line.split()[1]
            for line in bad.stdout.splitlines() if "QS" in line] == [
        "2:1 QS301", "3:1 QS010", "4:1 QS301"]


def test_a_flyway_callback_is_not_a_migration():
    assert is_flyway_callback(Path("afterMigrate.sql"))
    assert is_flyway_callback(Path("beforeEachMigrate__log.sql"))
    assert not is_flyway_callback(Path("V1__after_migrate.sql"))
    assert not is_flyway_callback(Path("001-aftermath.sql"))
    assert [f.code for f in lint_sql(FIXTURES["flyway"]["afterMigrate.sql"], schema=USERS)] == ["QS209"]


def test_a_changed_opt_out_file_is_not_answered_from_the_cache(tmp_path, monkeypatch):
    """diesel's metadata.toml decides whether up.sql runs in a transaction: the cached
    verdict must follow it."""
    folder = write(tmp_path / "migrations", {
        k: v for k, v in FIXTURES["diesel"].items() if not k.endswith("metadata.toml")})
    first = invoke(["lint", "--sql-runner", "diesel"], tmp_path, monkeypatch)
    assert first.exit_code == 1 and "QS301" in first.stdout  # BEGIN inside diesel's transaction
    (folder / "2024-01-03-000000_tags" / "metadata.toml").write_text("run_in_transaction = false\n")
    again = invoke(["lint", "--sql-runner", "diesel"], tmp_path, monkeypatch)
    assert again.exit_code == 0, again.output
