"""The shadow schema checks each file in a database of only the objects its SQL can meet
(qscaffold/lint/shadow.py). These tests lint whole chains both ways — partitioned, and
in a database holding the whole schema — and require the same findings, folder-wide and
file by file."""

from __future__ import annotations

import pytest

from _lint_support import exec_body, lint, migration, random_chain, write_chain, write_py
from qscaffold.lint import engine, shadow as shadow_module


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
    # a view and a trigger
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



# (up, down): foreign keys, views and triggers across tables, renames, rebuilds, virtual
# and temporary tables, odd names and carried pragmas: what reaches beyond a file's words
LINKED = [
    ("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);",
     "DROP TABLE users;"),
    ("CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
     "user_email TEXT REFERENCES users(email), total INTEGER);", "DROP TABLE orders;"),
    ("CREATE INDEX orders_user ON orders(user_id);", "DROP INDEX orders_user;"),
    ("CREATE VIEW big_orders AS SELECT o.id, u.name FROM orders o JOIN users u ON u.id = o.user_id;",
     "DROP VIEW big_orders;"),
    ("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);", "DROP TABLE audit;"),
    ("CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN "
     "INSERT INTO audit (what) VALUES ('order'); END;", "DROP TRIGGER orders_audit;"),
    # renaming the table a trigger on another table writes to
    ("ALTER TABLE audit RENAME TO audit_log;", "ALTER TABLE audit_log RENAME TO audit;"),
    # a view left broken by a drop: every later RENAME / DROP COLUMN anywhere fails
    ("CREATE TABLE scratch (a);\nCREATE VIEW scratch_v AS SELECT a FROM scratch;",
     "DROP VIEW scratch_v;\nDROP TABLE scratch;"),
    ("DROP TABLE scratch;", "CREATE TABLE scratch (a);"),
    ("CREATE TABLE lonely (x, y);\nALTER TABLE lonely RENAME COLUMN y TO z;",
     "DROP TABLE lonely;"),
    ("DROP VIEW scratch_v;", "SELECT 1;"),
    ("CREATE TABLE lonely2 (x, y);\nALTER TABLE lonely2 RENAME COLUMN y TO z;",
     "DROP TABLE lonely2;"),
    # dropping the unique index a child's foreign key needs; a parent rebuilt without it
    ("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);\n"
     "CREATE UNIQUE INDEX ix_p_code ON p(code);\n"
     "CREATE TABLE ch (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p(code));",
     "DROP TABLE ch;\nDROP TABLE p;"),
    ("DROP INDEX ix_p_code;", "CREATE UNIQUE INDEX ix_p_code ON p(code);"),
    ("CREATE UNIQUE INDEX IF NOT EXISTS ix_p_code ON p(code);", "SELECT 1;"),
    # a child changed alone: its parent's unique index is what makes its key valid
    ("ALTER TABLE ch ADD COLUMN note TEXT;", "ALTER TABLE ch DROP COLUMN note;"),
    ("CREATE TABLE new_p (id INTEGER PRIMARY KEY, code TEXT);\n"
     "INSERT INTO new_p (id, code) SELECT id, code FROM p;\nDROP TABLE p;\n"
     "ALTER TABLE new_p RENAME TO p;", "SELECT 1;"),
    # a parent created after its child; a rebuild that forgets an index and a trigger
    ("CREATE TABLE kid (id INTEGER PRIMARY KEY, mom_id INTEGER REFERENCES mom(id));",
     "DROP TABLE kid;"),
    ("CREATE TABLE mom (id INTEGER PRIMARY KEY, name TEXT);", "DROP TABLE mom;"),
    ("CREATE INDEX users_name ON users(name);\n"
     "CREATE TRIGGER users_touch AFTER UPDATE OF name ON users BEGIN SELECT 1; END;",
     "DROP TRIGGER users_touch;\nDROP INDEX users_name;"),
    ("DROP VIEW IF EXISTS big_orders;", "SELECT 1;"),
    ("CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\n"
     "INSERT INTO users_new (id, email, name) SELECT id, email, name FROM users;\nDROP TABLE users;\n"
     "ALTER TABLE users_new RENAME TO users;", "SELECT 1;"),
    ("ALTER TABLE orders RENAME TO orders_old;\n"
     "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);", "SELECT 1;"),
    # names that are not one word, case, quoting
    ('CREATE TABLE "Order Lines" (id INTEGER PRIMARY KEY, "Order Id" INTEGER);',
     'DROP TABLE "Order Lines";'),
    ('CREATE INDEX "lines by order" ON "Order Lines"("Order Id");', 'DROP INDEX "lines by order";'),
    ('ALTER TABLE "order lines" ADD COLUMN qty INTEGER;', 'ALTER TABLE "Order Lines" DROP COLUMN "Order Id";'),
    ("CREATE TABLE Mixed (Id INTEGER PRIMARY KEY, Val TEXT);", "DROP TABLE MIXED;"),
    ("CREATE INDEX mixed_val ON MIXED(val);", "ALTER TABLE mixed DROP COLUMN VAL;"),
    # virtual tables and their shadow tables; temporary objects; a carried pragma
    ("CREATE VIRTUAL TABLE docs USING fts5(title, body);", "DROP TABLE docs;"),
    ("CREATE TABLE docs_meta (id INTEGER PRIMARY KEY, doc_id INTEGER);", "DROP TABLE docs_meta;"),
    ("DROP TABLE docs;", "CREATE VIRTUAL TABLE docs USING fts5(title, body);"),
    ("CREATE TEMP TABLE stash (a);\nCREATE TEMP TRIGGER stash_t AFTER INSERT ON mom BEGIN "
     "INSERT INTO stash VALUES (new.id); END;", "SELECT 1;"),
    ("INSERT INTO mom (name) VALUES ('x');\nCREATE TABLE stash (b);", "DROP TABLE stash;"),
    ("PRAGMA legacy_alter_table = ON;", "PRAGMA legacy_alter_table = OFF;"),
    ("ALTER TABLE mom RENAME TO mother;", "ALTER TABLE mother RENAME TO mom;"),
    ("PRAGMA legacy_alter_table = OFF;\nALTER TABLE mother RENAME TO mom;", "SELECT 1;"),
    ("CREATE TABLE users_v2 (id INTEGER PRIMARY KEY);", "DROP TABLE users_v2;"),
    ("CREATE TABLE tmp_users (id INTEGER PRIMARY KEY, email TEXT);\nDROP TABLE users;",
     "SELECT 1;"),
]


def _key(findings):
    return [(f.path, f.line, f.column, f.code, f.severity, f.message) for f in findings]


@pytest.mark.parametrize("steps", [STEPS, LINKED], ids=["drop-column", "linked"])
def test_the_partitioned_shadow_gives_the_whole_schemas_findings(tmp_path, monkeypatch, steps):
    folder = tmp_path / "migrations"
    files = write_chain(folder, steps)
    partitioned = lint([folder], cwd=tmp_path)
    monkeypatch.setattr(shadow_module, "_PARTITION", False)
    whole = lint([folder], cwd=tmp_path)
    assert _key(partitioned) == _key(whole)
    assert len({f.path for f in whole}) > len(steps) // 4  # the chains are not lint-clean
    # per file, against the schema the earlier files build, both ways agree too
    for path in files:
        monkeypatch.setattr(shadow_module, "_PARTITION", True)
        alone = lint([path], cwd=tmp_path)
        monkeypatch.setattr(shadow_module, "_PARTITION", False)
        alone_whole = lint([path], cwd=tmp_path)
        assert _key(alone) == _key(alone_whole) == \
            _key([f for f in partitioned if f.path == str(path)]), path.name


@pytest.mark.parametrize("seed", range(12))
def test_random_chains_give_the_same_findings_both_ways(tmp_path, monkeypatch, seed):
    """Chains drawn at random from tables, views, triggers, foreign keys, renames, drops and
    pragmas (660 seeds were run this way while building the partitioning, none differed)."""
    folder = tmp_path / "migrations"
    write_chain(folder, random_chain(seed))
    partitioned = lint([folder], cwd=tmp_path)
    monkeypatch.setattr(shadow_module, "_PARTITION", False)
    assert _key(partitioned) == _key(lint([folder], cwd=tmp_path))
    assert {f.code for f in partitioned} & {"QS010", "QS121", "QS207", "QS407"}


def test_the_chains_meet_what_reaches_beyond_a_files_words(tmp_path):
    """The findings the linked chain must give, whichever way it is checked."""
    folder = tmp_path / "migrations"
    files = write_chain(folder, LINKED)
    found = {(f.path, f.code, f.message) for f in lint([folder], cwd=tmp_path)}

    def messages(up_start):
        step = next(i for i, (up, _down) in enumerate(LINKED, start=1) if up.startswith(up_start))
        return " | ".join(m for p, _c, m in found if p == str(files[step - 1]))

    # a broken view blocks a RENAME anywhere, until it is dropped
    assert "error in view scratch_v" in messages("CREATE TABLE lonely ")
    assert "error in view scratch_v" not in messages("CREATE TABLE lonely2 ")
    # the unique index a child's foreign key needs, dropped; a parent rebuilt without it
    assert 'foreign key mismatch - "ch" referencing "p"' in messages("DROP INDEX ix_p_code")
    assert 'foreign key mismatch - "ch" referencing "p"' in messages("CREATE TABLE new_p")
    assert "foreign key" not in messages("ALTER TABLE ch ADD COLUMN note")
    # a rebuild that forgets the index and trigger of the table it replaces
    assert "also drops index users_name, trigger users_touch" in messages("CREATE TABLE users_new")
    assert "error in view" not in messages("CREATE TABLE users_new")


def _focused(schema: list[str], sql: str) -> set[str]:
    """The names in the database the shadow checks ``sql`` in, after ``schema``."""
    shadow = shadow_module.Shadow()
    try:
        for statement in schema:
            assert shadow.replay(statement) is None, statement
        shadow.settle()
        shadow.focus_on([sql])
        return {name for (name,) in shadow.conn.execute(
            "SELECT name FROM sqlite_master UNION ALL SELECT name FROM sqlite_temp_master")}
    finally:
        shadow.close()


MANY = [f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT)" for i in range(200)] + [
    "CREATE INDEX t7_v ON t7(v)",
    "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT)",
    "CREATE UNIQUE INDEX parent_code ON parent(code)",
    "CREATE TABLE child (id INTEGER PRIMARY KEY, pc TEXT REFERENCES parent(code))",
    "CREATE TABLE log (id INTEGER PRIMARY KEY, what TEXT)",
    "CREATE TRIGGER t9_log AFTER INSERT ON t9 BEGIN INSERT INTO log (what) VALUES ('x'); END",
    "CREATE VIEW t3_v AS SELECT t3.id, t4.v FROM t3 JOIN t4 ON t4.id = t3.id",
    "CREATE VIEW t3_vv AS SELECT * FROM t3_v",
    "CREATE TABLE t8_new (id INTEGER PRIMARY KEY)",
]


@pytest.mark.parametrize("sql, expected", [
    # a table alone comes with its indexes, and nothing else
    ("ALTER TABLE t7 ADD COLUMN w TEXT", {"t7", "t7_v"}),
    ("CREATE TABLE fresh (id INTEGER PRIMARY KEY)", set()),
    # a child comes with its parent and the parent's unique index
    ("INSERT INTO child (pc) VALUES ('x')", {"child", "parent", "parent_code"}),
    # a parent comes with its children; an index with its table's children
    ("DROP TABLE parent", {"parent", "parent_code", "child"}),
    ("DROP INDEX parent_code", {"parent", "parent_code", "child"}),
    # a table a trigger on another table writes to: the trigger, its table, what it reads
    ("DROP TABLE log", {"log", "t9_log", "t9"}),
    # a view comes with every table it reads
    ("DROP TABLE t4", {"t4", "t3_v", "t3"}),
    # a view comes with what the views it reads read
    ("SELECT * FROM t3_vv", {"t3_vv", "t3_v", "t3", "t4"}),
    # a table comes with the table a rebuild is building to replace it
    ("DROP TABLE t8", {"t8", "t8_new"}),
    # a name read as a rebuild or renamed-away copy of a table meets that table (rules
    # compare the two), with what it comes with
    ("CREATE TABLE IF NOT EXISTS t3_archive (id INTEGER PRIMARY KEY)", {"t3", "t3_v", "t4"}),
    ("CREATE TABLE IF NOT EXISTS new_t8 (id INTEGER PRIMARY KEY)", {"t8"}),
])
def test_a_file_is_checked_with_only_what_it_can_meet(sql, expected):
    assert _focused(MANY, sql) - {"sqlite_sequence"} == expected


@pytest.mark.parametrize("sql", ["ALTER TABLE t100 RENAME COLUMN v TO w",
                                 "ALTER TABLE t100 RENAME TO t100_b",
                                 "ALTER TABLE t100 DROP COLUMN v"])
def test_a_file_that_renames_or_drops_a_column_meets_every_view_and_trigger(sql):
    """SQLite checks the whole schema's views and triggers on these (not on ADD COLUMN)."""
    assert {"t100", "t3_v", "t3_vv", "t3", "t4", "t9_log", "t9", "log"} == \
        _focused(MANY, sql) - {"t100_b"}


@pytest.mark.parametrize("down, expected", [
    ("ALTER TABLE p DROP COLUMN extra;", []),
    ("ALTER TABLE p DROP COLUMN note;", ["QS207"]),
    ("ALTER TABLE p DROP COLUMN id;", ["QS131", "QS207"]),
    ("ALTER TABLE p DROP COLUMN nothing;", ["QS001", "QS207"]),
])
def test_what_a_down_drop_column_reports(tmp_path, down, expected):
    folder = tmp_path / "migrations"
    write_py(folder, "001-base.py", migration(
        1, exec_body("CREATE TABLE p (id INTEGER PRIMARY KEY, note TEXT);"),
        exec_body("DROP TABLE p;")))
    target = write_py(folder, "002-extra.py", migration(
        2, exec_body("ALTER TABLE p ADD COLUMN extra TEXT;"), exec_body(down)))
    found = sorted({f.code for f in lint([target], cwd=tmp_path)})
    assert found == expected


def test_a_snapshot_by_words_lists_what_a_whole_one_lists_for_them():
    shadow = engine.Shadow()
    try:
        for sql in ["CREATE TABLE Users (id INTEGER PRIMARY KEY, Name TEXT)",
                    "CREATE INDEX users_name ON Users(Name)",
                    'CREATE TABLE "odd-name" (a)', 'CREATE INDEX "i x" ON "odd-name"(a)',
                    'CREATE TABLE "" (b)', "CREATE TABLE sqlitemeta (c)",
                    "CREATE TABLE other (d)", "CREATE VIEW v_users AS SELECT id FROM Users",
                    "CREATE VIEW a_broken AS SELECT * FROM gone",
                    "CREATE TRIGGER trg AFTER INSERT ON other BEGIN SELECT 1; END"]:
            assert shadow.replay(sql) is None, sql
        whole = shadow.snapshot()
        assert whole[("view", "a_broken")] == frozenset()  # listed, without columns
        assert whole[("view", "v_users")] == {"id"} and whole[("table", "users")] == {"id", "name"}
        for words in ({"users", "odd", "name"}, {"other", "trg", "x", "i"}, {"v_users"},
                      {"nothing"}, {"a_broken", "users"}, set()):
            expected = {key: (columns if key[1] in words else frozenset())
                        for key, columns in whole.items()
                        if shadow_module._made_of(key[1], words)
                        or shadow_module._made_of(_owner(shadow, key), words)}
            assert shadow.snapshot(words) == expected, sorted(words)[:5]
    finally:
        shadow.close()


def _owner(shadow, key):
    return shadow.conn.execute("SELECT tbl_name FROM sqlite_master WHERE type = ? AND "
                               "lower(name) = ?", key).fetchone()[0]


def test_a_schema_that_cannot_be_rebuilt_makes_the_shadow_a_guess():
    """Were an object ever impossible to create again, the file is checked against the
    whole schema, and if even that cannot be built, schema verdicts stop (known=False)."""
    shadow = shadow_module.Shadow()
    try:
        assert shadow.replay("CREATE TABLE fine (a)") is None
        shadow.settle()
        catalog = shadow.catalog
        catalog.add(shadow_module._Entry(catalog.next_seq(), False, "table", "broken", "broken",
                                         "CREATE TABLE broken ("))
        shadow.focus({"fine"})
        assert shadow.known
        shadow.focus({"broken"})
        assert not shadow.known
        names = {n for (n,) in shadow.conn.execute("SELECT name FROM sqlite_master")}
        assert names == {"fine"}  # the whole schema was tried
    finally:
        shadow.close()


@pytest.mark.parametrize("name, table, rebuild, away", [
    ("new_users", "users", True, False), ("users_new", "users", True, False),
    ("_alembic_tmp_users", "users", True, False), ("users_new_3f2a", "users", True, False),
    ("newusers", "users", True, False), ("users_old", "users", False, True),
    ("old_users", "users", False, True), ("_users_backup_", "users", False, True),
    ("users_2", "users", False, True), ("user_roles", "users", False, False),
    ("users", "users", False, True), ("renew_users", "users", False, False),
])
def test_rebuild_and_renamed_away_names(name, table, rebuild, away):
    from qscaffold.lint import names

    assert names.is_rebuild_name(name, table) is rebuild
    assert names.is_renamed_away(name, table) is away
    if (rebuild or away) and name != table:
        assert table in names.bases(name)  # so the shadow holds the table the rules compare


@pytest.mark.parametrize("pragma, expected", [
    ("PRAGMA legacy_alter_table = ON;", False),   # the rename then checks no view
    ("PRAGMA legacy_alter_table = OFF;", True),
    ("SELECT 1;", True),
])
def test_a_pragma_an_earlier_migration_sets_stays_set_for_the_next(tmp_path, pragma, expected):
    """One connection runs a whole `migrate up`, so a connection setting made by one
    migration holds for the next ones; the shadow carries it from file to file."""
    folder = tmp_path / "migrations"
    write_chain(folder, [("CREATE TABLE IF NOT EXISTS a (x);\n"
                          "CREATE VIEW IF NOT EXISTS broken AS SELECT * FROM gone;",
                          "DROP VIEW IF EXISTS broken;\nDROP TABLE IF EXISTS a;"),
                         (pragma, "SELECT 1;"),
                         ("ALTER TABLE a RENAME TO b;", "ALTER TABLE b RENAME TO a;")])
    found = lint([folder], cwd=tmp_path)
    def blocked(statement):
        return any(f.statement == statement and "error in view broken" in f.message for f in found)

    assert blocked("ALTER TABLE a RENAME TO b;") is expected, found
    # down() runs in a later `migrate down`, on a new connection: the setting is gone, so
    # its rename is blocked once up()'s went through (else there is no b to rename)
    assert blocked("ALTER TABLE b RENAME TO a;") is not expected
