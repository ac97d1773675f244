"""A DROP COLUMN that ends a down() is judged on a copy of its table while the schema has
no views, triggers or temporary objects: the findings are those the whole shadow gives."""

from __future__ import annotations

import textwrap

import pytest

from _lint_support import lint, migration, write_py
from qscaffold.lint import engine


def _body(sql: str) -> str:
    return f'    db.exec(\n        """\n{textwrap.indent(sql, " " * 8)}\n        """\n    )\n'


# (up, down): each down ends with an ALTER TABLE … DROP COLUMN
STEPS = [
    ("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, note TEXT, "
     "qty INTEGER CHECK (qty >= 0), total INTEGER CHECK (total > qty));",
     "DROP TABLE p;"),
    ("CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id), "
     "p_code TEXT, label TEXT, FOREIGN KEY (p_code) REFERENCES p(code));",
     "DROP TABLE c;"),
    ("ALTER TABLE p ADD COLUMN extra TEXT;", "ALTER TABLE p DROP COLUMN extra;"),
    ("ALTER TABLE p ADD COLUMN extra TEXT;", "ALTER TABLE p DROP COLUMN id;"),
    ("CREATE INDEX p_note ON p(note);", "ALTER TABLE p DROP COLUMN code;"),
    ("ALTER TABLE c ADD COLUMN flag INTEGER;", "ALTER TABLE c DROP COLUMN p_id;"),
    ("ALTER TABLE c ADD COLUMN flag2 INTEGER;", "ALTER TABLE c DROP COLUMN p_code;"),
    ("ALTER TABLE c ADD COLUMN flag3 INTEGER;", "ALTER TABLE c DROP COLUMN flag2;"),
    ("ALTER TABLE p ADD COLUMN more TEXT;", "ALTER TABLE p DROP COLUMN note;"),
    ("ALTER TABLE p ADD COLUMN more2 TEXT;", "ALTER TABLE p DROP COLUMN qty;"),
    ("ALTER TABLE p ADD COLUMN more3 TEXT;", "ALTER TABLE p DROP COLUMN nothing_here;"),
    ("CREATE TABLE one (only_col TEXT);", "ALTER TABLE one DROP COLUMN only_col;"),
    ("CREATE TABLE g (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2), z TEXT);",
     "ALTER TABLE g DROP COLUMN a;"),
    ("CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);",
     "ALTER TABLE seq DROP COLUMN v;"),
    ("CREATE TABLE filled AS SELECT 1 AS a, 2 AS b;", "ALTER TABLE filled DROP COLUMN b;"),
    ("CREATE INDEX g_z ON g(z) WHERE z IS NOT NULL;", "ALTER TABLE g DROP COLUMN z;"),
    ("CREATE TABLE w (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID;",
     "PRAGMA legacy_alter_table = ON;\nALTER TABLE w DROP COLUMN v;"),
    ("ALTER TABLE g ADD COLUMN y TEXT;",
     "CREATE TEMP TABLE tmp_x (a);\nALTER TABLE g DROP COLUMN y;"),
    ("ALTER TABLE g ADD COLUMN y TEXT;", "ALTER TABLE missing_table DROP COLUMN y;"),
    ("ALTER TABLE g ADD COLUMN y2 TEXT;", "ALTER TABLE main.g DROP COLUMN y2;"),
    ("ALTER TABLE g ADD COLUMN y3 TEXT;", "ALTER TABLE g DROP COLUMN y3, x;"),
    ("ALTER TABLE g ADD COLUMN \"odd name\" TEXT;", "ALTER TABLE g DROP COLUMN \"odd name\";"),
    # a view and a trigger: the whole shadow judges from here on
    ("CREATE VIEW pv AS SELECT id, more FROM p;", "DROP VIEW pv;"),
    ("ALTER TABLE p ADD COLUMN v1 TEXT;", "ALTER TABLE p DROP COLUMN more;"),
    ("ALTER TABLE p ADD COLUMN v2 TEXT;", "ALTER TABLE p DROP COLUMN v2;"),
    ("CREATE TRIGGER ct AFTER INSERT ON c BEGIN UPDATE c SET label = NEW.flag; END;",
     "DROP TRIGGER ct;"),
    ("ALTER TABLE c ADD COLUMN f4 TEXT;", "ALTER TABLE c DROP COLUMN flag;"),
    ("ALTER TABLE c ADD COLUMN f5 TEXT;", "ALTER TABLE c DROP COLUMN f5;"),
    ("DROP VIEW pv;\nDROP TRIGGER ct;", "SELECT 1;"),
    # no views or triggers again
    ("ALTER TABLE p ADD COLUMN v3 TEXT;", "ALTER TABLE p DROP COLUMN more;"),
    ("ALTER TABLE p ADD COLUMN v4 TEXT;", "ALTER TABLE p DROP COLUMN v4;"),
    ("ALTER TABLE c ADD COLUMN f6 TEXT;", "ALTER TABLE c DROP COLUMN flag;\nSELECT 1;"),
    ("CREATE TEMP VIEW tv AS SELECT * FROM p;", "ALTER TABLE p DROP COLUMN v3;"),
]


def _chain(folder):
    files = []
    for i, (up, down) in enumerate(STEPS, start=1):
        files.append(write_py(folder, f"{i:03d}-step-{i}.py",
                              migration(i, _body(up), _body(down), name=f"Step {i}")))
    return files


def _key(findings):
    return [(f.path, f.line, f.column, f.code, f.severity, f.message) for f in findings]


def test_drop_column_on_a_table_copy_gives_the_whole_shadows_findings(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    files = _chain(folder)
    taken = []
    original = engine.Shadow.replay_last_in_scratch

    def spy(self, sql):
        outcome = original(self, sql)
        taken.append(outcome[0])
        return outcome

    monkeypatch.setattr(engine.Shadow, "replay_last_in_scratch", spy)
    fast = lint([folder], cwd=tmp_path)
    assert any(taken) and not all(taken)
    monkeypatch.setattr(engine, "_FAST_DROP_COLUMN", False)
    slow = lint([folder], cwd=tmp_path)
    assert _key(fast) == _key(slow)
    codes = {f.code for f in fast}
    assert {"QS010", "QS131", "QS207"} <= codes
    # per file, against the schema the earlier files build, both ways agree too
    for path in files:
        monkeypatch.setattr(engine, "_FAST_DROP_COLUMN", True)
        alone_fast = lint([path], cwd=tmp_path)
        monkeypatch.setattr(engine, "_FAST_DROP_COLUMN", False)
        alone_slow = lint([path], cwd=tmp_path)
        assert _key(alone_fast) == _key(alone_slow) == \
            _key([f for f in fast if f.path == str(path)]), path.name


@pytest.mark.parametrize("down, expected", [
    ("ALTER TABLE p DROP COLUMN extra;", []),
    ("ALTER TABLE p DROP COLUMN note;", ["QS207"]),
    ("ALTER TABLE p DROP COLUMN id;", ["QS131", "QS207"]),
    ("ALTER TABLE p DROP COLUMN nothing;", ["QS001", "QS207"]),
])
def test_what_a_down_drop_column_reports(tmp_path, down, expected):
    folder = tmp_path / "migrations"
    write_py(folder, "001-base.py", migration(
        1, _body("CREATE TABLE p (id INTEGER PRIMARY KEY, note TEXT);"),
        _body("DROP TABLE p;")))
    target = write_py(folder, "002-extra.py", migration(
        2, _body("ALTER TABLE p ADD COLUMN extra TEXT;"), _body(down)))
    found = sorted({f.code for f in lint([target], cwd=tmp_path)})
    assert found == expected


@pytest.mark.parametrize("extra_words", [0, 1000])
def test_a_snapshot_by_words_lists_what_a_whole_one_lists_for_them(extra_words):
    shadow = engine.Shadow()
    try:
        for sql in ["CREATE TABLE Users (id INTEGER PRIMARY KEY, Name TEXT)",
                    "CREATE INDEX users_name ON Users(Name)",
                    'CREATE TABLE "odd-name" (a)', 'CREATE INDEX "i x" ON "odd-name"(a)',
                    'CREATE TABLE "" (b)', "CREATE TABLE sqlitemeta (c)",
                    "CREATE TABLE other (d)", "CREATE VIEW v_users AS SELECT id FROM Users",
                    "CREATE TRIGGER trg AFTER INSERT ON other BEGIN SELECT 1; END"]:
            assert shadow.replay(sql) is None, sql
        whole = shadow.snapshot()
        for words in ({"users", "odd", "name"}, {"other", "trg", "x", "i"}, {"v_users"},
                      {"nothing"}, set()):
            words = words | {f"w{n}" for n in range(extra_words)}
            expected = {key: (columns if key[1] in words else frozenset())
                        for key, columns in whole.items()
                        if engine._made_of(key[1], words)
                        or engine._made_of(_owner(shadow, key), words)}
            assert shadow.snapshot(words) == expected, sorted(words)[:5]
    finally:
        shadow.close()


def _owner(shadow, key):
    return shadow.conn.execute("SELECT tbl_name FROM sqlite_master WHERE type = ? AND "
                               "lower(name) = ?", key).fetchone()[0]
