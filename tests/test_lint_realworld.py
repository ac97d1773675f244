"""Real-world migration layouts, converted into qscaffold files at test time.

Public projects keep SQLite migrations in three common layouts: one folder per migration
with ``up.sql``/``down.sql`` (diesel), ``<ts>_<name>.up.sql``/``.down.sql`` pairs or a single
``<ts>_<name>.sql`` (sqlx), and flat numbered files (``0215__name.sql``). The SQL below is
written for these tests in the style of such chains (tables created, columns added, a table
rebuilt, empty or wrong down scripts); the generator turns any of those layouts into
``NNN-slug.py`` migrations, and the linter must find exactly the real problems.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from _lint_support import codes, lint

MINE = "QS0,QS9,QS206,QS207,QS306,QS307"


# -- the generator --------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "migration"


def _literal(sql: str) -> str:
    if '"""' not in sql and not sql.endswith('"') and "\\" not in sql:
        return 'r"""' + sql + '"""'
    return repr(sql)


def read_chain(root: Path) -> list[tuple[str, str, str | None]]:
    """``(name, up_sql, down_sql)`` in order, from any of the three layouts."""
    chain: dict[str, list] = {}
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and (entry / "up.sql").exists():
            down = entry / "down.sql"
            chain[entry.name] = [entry.name.split("_", 1)[-1], (entry / "up.sql").read_text(),
                                 down.read_text() if down.exists() else None]
    for entry in sorted(root.glob("*.sql"), key=lambda p: (".down." in p.name, p.name)):
        match = re.match(r"(\d+)_+(.*?)(?:\.(up|down))?\.sql$", entry.name)
        if not match:
            continue
        key, name, direction = match.groups()
        if direction == "down":
            chain[key][2] = entry.read_text()
        else:
            chain[key] = [name, entry.read_text(), None]
    return [tuple(chain[key]) for key in sorted(chain)]


def write_qscaffold(chain, folder: Path) -> list[Path]:
    """One ``NNN-slug.py`` per migration: up() and (when there is a down script) down()."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for version, (name, up, down) in enumerate(chain, 1):
        text = f"name = {name!r}\nversion = {version}\n\n\ndef up(db):\n    db.exec({_literal(up)})\n"
        if down is not None:
            text += f"\n\ndef down(db):\n    db.exec({_literal(down)})\n"
        path = folder / f"{version:03d}-{_slug(name)}.py"
        path.write_text(text)
        paths.append(path)
    return paths


def _files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if fragment in t)


# -- diesel layout: up.sql / down.sql folders ------------------------------------------


DIESEL = {
    "2018-01-14-171611_create_tables/up.sql": """
        CREATE TABLE users (
          uuid TEXT NOT NULL PRIMARY KEY,
          email TEXT NOT NULL UNIQUE,
          password_hash BLOB NOT NULL
        );

        CREATE TABLE devices (
          uuid TEXT NOT NULL PRIMARY KEY,
          user_uuid TEXT NOT NULL REFERENCES users (uuid),
          name TEXT NOT NULL
        );
    """,
    "2018-01-14-171611_create_tables/down.sql": """
        DROP TABLE devices;
        DROP TABLE users;
    """,
    "2018-06-01-112529_add_remember_token/up.sql": """
        ALTER TABLE devices
            ADD COLUMN
            remember_token TEXT;
    """,
    "2018-06-01-112529_add_remember_token/down.sql": "-- This file should undo anything in `up.sql`\n",
    "2019-03-02-090000_rebuild_devices/up.sql": """
        CREATE TABLE devices_new (
          uuid TEXT NOT NULL,
          user_uuid TEXT NOT NULL REFERENCES users (uuid),
          name TEXT NOT NULL,
          remember_token TEXT,
          PRIMARY KEY (uuid, user_uuid)
        );

        INSERT INTO devices_new (uuid, user_uuid, name, remember_token)
        SELECT uuid, user_uuid, name, remember_token FROM devices;

        DROP TABLE devices;

        ALTER TABLE devices_new RENAME TO devices;
    """,
    "2019-03-02-090000_rebuild_devices/down.sql": "",
    "2020-05-05-000000_trigger/up.sql": """
        CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
        CREATE TRIGGER devices_audit AFTER DELETE ON devices
        BEGIN
            INSERT INTO audit (note) VALUES ('device ' || old.uuid || '; deleted');
        END;
    """,
    "2020-05-05-000000_trigger/down.sql": """
        DROP TRIGGER devices_audit;
        DROP TABLE audit;
    """,
}


def test_diesel_layout_converts_and_replays_without_false_errors(tmp_path):
    root = _files(tmp_path / "diesel", DIESEL)
    chain = read_chain(root)
    assert [name for name, _, _ in chain] == ["create_tables", "add_remember_token",
                                              "rebuild_devices", "trigger"]
    paths = write_qscaffold(chain, tmp_path / "migrations")
    found = lint([tmp_path / "migrations"], cwd=tmp_path, select=MINE)
    # the whole chain replays: no engine rejections, no syntax errors, nothing unparsed
    assert not [f for f in found if f.code in ("QS001", "QS002", "QS010", "QS902")], found
    by_file = {(Path(f.path).name, f.code, f.message) for f in found}
    assert by_file == {
        (paths[1].name, "QS207", "`down()` does nothing: `migrate down` will not undo `up()`"),
        (paths[2].name, "QS207", "`down()` does nothing: `migrate down` will not undo `up()`"),
    }
    assert {f.line for f in found if Path(f.path) == paths[1]} == {_line_of(paths[1], "def down")}
    # a down that runs but forgets the column is caught by the schema comparison
    files = dict(DIESEL)
    files["2018-06-01-112529_add_remember_token/down.sql"] = "SELECT 1;\n"
    paths = write_qscaffold(read_chain(_files(tmp_path / "diesel2", files)), tmp_path / "m2")
    found = lint([paths[1]], cwd=tmp_path, select="QS207")
    assert [f.message for f in found] == [
        "`down()` leaves column devices.remember_token, which `up()` adds"]


def test_the_converted_positions_point_into_the_sql(tmp_path):
    files = dict(DIESEL)
    files["2018-06-01-112529_add_remember_token/up.sql"] = "ALTER TABLE devices ADD COLUMN name TEXT;\n"
    root = _files(tmp_path / "diesel", files)
    paths = write_qscaffold(read_chain(root), tmp_path / "migrations")
    found = [f for f in lint([paths[1]], cwd=tmp_path, select="QS0")]
    assert [(f.code, f.line, f.column) for f in found] == [
        ("QS010", _line_of(paths[1], "ADD COLUMN name"), len("    db.exec(r\"\"\"") + 1)]
    assert found[0].message.endswith("duplicate column name: name")


# -- sqlx layout: .up.sql / .down.sql pairs and single files ---------------------------


SQLX = {
    "20250326160051_create_scripts.up.sql": """
        create table scripts (
            id text primary key,
            name text not null,
            script text not null
        );
        create table script_tags (
            id integer primary key autoincrement,
            script_id text not null,
            tag text not null
        );
        create unique index idx_script_tags on script_tags (script_id, tag);
    """,
    "20250326160051_create_scripts.down.sql": """
        drop table scripts;
        drop table script_tags;
    """,
    "20250402170430_unique_names.up.sql": "create unique index name_uniq_idx on scripts(name);\n",
    "20250402170430_unique_names.down.sql": "-- Add down migration script here\n"
                                            "alter table scripts drop index name_uniq_idx;\n",
    "20250501000000_add_shebang.sql": "alter table scripts add column shebang text;\n",
}


def test_sqlx_layout_finds_the_mysql_style_down_and_the_missing_down(tmp_path):
    root = _files(tmp_path / "sqlx", SQLX)
    paths = write_qscaffold(read_chain(root), tmp_path / "migrations")
    found = lint([tmp_path / "migrations"], cwd=tmp_path)
    bad_line = _line_of(paths[1], "drop index")
    errors = [(Path(f.path).name, f.line) for f in found if f.severity.value == "error"]
    # `ALTER TABLE … DROP INDEX` is MySQL: SQLite rejects it (QS001, or a more specific rule)
    assert errors == [(paths[1].name, bad_line)]
    assert "QS206" in codes(f for f in found if Path(f.path) == paths[2])
    mine = lint([tmp_path / "migrations"], cwd=tmp_path, select=MINE)
    # the failed down leaves the index in place: the inverse check notices
    assert (paths[1].name, "QS207") in {(Path(f.path).name, f.code) for f in mine}


# -- flat numbered .sql files, linted as they are --------------------------------------


FLAT = {
    "0215__content_structure.sql": """
        CREATE TABLE IF NOT EXISTS "blobs" (
            `blobId` TEXT NOT NULL,
            `content` TEXT NULL DEFAULT NULL,
            PRIMARY KEY(`blobId`)
        );
        ALTER TABLE notes ADD blobId TEXT DEFAULT NULL;
    """,
    "0217__drop_content_tables.sql": """
        DROP TABLE note_contents;
        UPDATE notes SET blobId = NULL WHERE blobId = '';
        ALTER TABLE notes ADD COLUMN isDeleted INTEGER,;
    """,
}


def test_flat_sql_chain_after_a_squashed_baseline_does_not_guess_the_schema(tmp_path):
    root = _files(tmp_path / "flat", FLAT)
    found = lint([root], cwd=tmp_path, select="QS0")
    # the chain starts at 0215: the tables of the squashed baseline are unknown, so
    # "no such table" is not claimed, but syntax is still judged
    assert [(Path(f.path).name, f.line, f.code) for f in found] == [
        ("0217__drop_content_tables.sql", 3, "QS001")]
    # renumbered from 1, the same chain claims the tables are missing
    renumbered = _files(tmp_path / "renumbered", {
        name.replace("0215", "0001").replace("0217", "0002"): text for name, text in FLAT.items()})
    found = lint([renumbered], cwd=tmp_path, select="QS0")
    assert [(Path(f.path).name, f.line, f.message) for f in found] == [
        ("0001__content_structure.sql", 6, "SQLite rejects this statement: no such table: notes"),
        ("0002__drop_content_tables.sql", 1, "SQLite rejects this statement: no such table: note_contents"),
        ("0002__drop_content_tables.sql", 3, 'SQLite rejects this statement: near ",": syntax error'),
    ]
    # with the baseline in the folder, the chain is checked against it
    (root / "0001__baseline.sql").write_text(
        "CREATE TABLE notes (noteId TEXT NOT NULL PRIMARY KEY, title TEXT);\n"
        "CREATE TABLE note_contents (noteId TEXT NOT NULL PRIMARY KEY, content TEXT);\n")
    assert codes(lint([root], cwd=tmp_path, select="QS0")) == ["QS001"]
    (root / "0217__drop_content_tables.sql").write_text(
        FLAT["0217__drop_content_tables.sql"].replace("INTEGER,", "INTEGER"))
    assert lint([root], cwd=tmp_path, select="QS0") == []
    # and converted to qscaffold files it gives the same verdict
    paths = write_qscaffold(read_chain(root), tmp_path / "migrations")
    assert len(paths) == 3
    assert lint([tmp_path / "migrations"], cwd=tmp_path, select="QS0") == []
