"""Engine agreement: every rule's verdict, checked against what SQLite itself does.

Each case is (rule, statement, setup DDL, rows inserted first, target) and an expectation
about the engine:

- ``reject``: SQLite rejects it on an empty table and on one with rows;
- ``reject-rows``: it passes on an empty table and fails once the table has rows;
- ``runner``: it fails under qscaffold's runner (foreign keys off, one transaction,
  ``PRAGMA foreign_key_check`` before COMMIT) once the tables have rows;
- ``fragile``: SQLite accepts it, and the rule warns about what happens later;
- ``accept``: SQLite accepts it everywhere, and the rule must stay silent;
- ``other-error``: SQLite rejects it, but for a reason this rule is not about (it must stay
  silent; the engine's syntax check or another rule reports it);
- ``old-target``: the target is older than the local engine: the rule fires, and the newer
  engines accept the statement (the gate is checked both ways in test_rules_versions.py).

The engine is stdlib sqlite3 (3.40.1) for targets up to 3.40.1 and apsw's SQLite (3.54.1)
above. Where a rule quotes SQLite's message in backticks, the quote must equal the engine's.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.model import Severity, parse_version
from qscaffold.lint.registry import RULES

from test_rules_helpers import APSW, LOCAL, check, engine_for, run


class Case(NamedTuple):
    code: str
    sql: str
    expect: str
    setup: str = ""
    rows: str = ""
    target: str | None = None
    fk: bool = False
    quote: bool = True  # compare the rule's backticked quote with the engine's message
    following: str | None = None
    section: str = "up"


T = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"
TR = "INSERT INTO t (id, name, qty) VALUES (1, 'a', 5);"
P = ("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);"
     "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));")
PR = "INSERT INTO p (id, code) VALUES (1, 'x'); INSERT INTO ch (id, p_id) VALUES (1, 1);"
STRICT = "CREATE TABLE s (id INTEGER PRIMARY KEY, name TEXT) STRICT;"
SR = "INSERT INTO s (id, name) VALUES (1, 'a');"
V = T + "CREATE VIEW v AS SELECT id, name FROM t;"
NEW = "3.54.1"
PU = ("CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT); CREATE UNIQUE INDEX ix_p_code ON p (code);"
      "CREATE TABLE ch (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code));")
PUR = "INSERT INTO p (id, code) VALUES (1, 'x'); INSERT INTO ch (id, pc) VALUES (1, 'x');"

CASES = [
    # QS101 unsupported ALTER forms
    Case("QS101", "ALTER TABLE t ALTER COLUMN name TYPE INTEGER", "reject", T, TR),
    Case("QS101", "ALTER TABLE t ALTER COLUMN name TYPE INTEGER", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t ALTER COLUMN name SET DATA TYPE INTEGER", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t ALTER COLUMN qty SET DEFAULT 0", "reject", T, TR),
    Case("QS101", "ALTER TABLE t ALTER COLUMN qty SET DEFAULT 0", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t ALTER COLUMN qty DROP DEFAULT", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t MODIFY name INTEGER", "reject", T, TR),
    Case("QS101", "ALTER TABLE t CHANGE COLUMN name title TEXT", "reject", T, TR),
    Case("QS101", "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (name)", "reject", T, TR),
    Case("QS101", "ALTER TABLE t ADD CONSTRAINT uq UNIQUE (name)", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t ADD UNIQUE (name)", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE t ADD PRIMARY KEY (id)", "reject", T, TR),
    Case("QS101", "ALTER TABLE ch ADD FOREIGN KEY (p_id) REFERENCES p (id)", "reject", P, PR, NEW),
    Case("QS101", "ALTER TABLE t ADD (extra TEXT)", "reject", T, TR),
    Case("QS101", "ALTER TABLE t DROP PRIMARY KEY", "reject", T, TR),
    Case("QS101", "ALTER TABLE t DROP INDEX ix", "reject", T, TR),
    Case("QS101", "ALTER TABLE t RENAME CONSTRAINT a TO b", "reject", T, TR, NEW),
    Case("QS101", "ALTER TABLE ONLY t ADD COLUMN extra TEXT", "reject", T, TR),
    Case("QS101", "ALTER INDEX ix RENAME TO ix2", "reject", T + "CREATE INDEX ix ON t (name);", TR),
    Case("QS101", "ALTER VIEW v RENAME TO v2", "reject", V, TR),
    Case("QS101", "RENAME TABLE t TO t2", "reject", T, TR),
    Case("QS101", "ALTER TABLE t RENAME TO t2", "accept", T, TR),
    Case("QS101", "ALTER TABLE t ALTER COLUMN name SET NOT NULL", "accept", T, TR, NEW),
    # QS102 several actions
    Case("QS102", "ALTER TABLE t ADD a TEXT, ADD b TEXT", "reject", T, TR),
    Case("QS102", "ALTER TABLE t DROP COLUMN name, DROP COLUMN qty", "reject", T, TR),
    Case("QS102", "ALTER TABLE t ADD price NUMERIC(10, 2) CHECK (price IN (1, 2))", "accept", T, TR),
    # QS103 IF [NOT] EXISTS in ALTER
    Case("QS103", "ALTER TABLE t ADD COLUMN IF NOT EXISTS note TEXT", "reject", T, TR),
    Case("QS103", "ALTER TABLE t ADD IF NOT EXISTS note TEXT", "reject", T, TR),
    Case("QS103", "ALTER TABLE t DROP COLUMN IF EXISTS name", "reject", T, TR),
    Case("QS103", "ALTER TABLE IF EXISTS t ADD COLUMN note TEXT", "reject", T, TR),
    Case("QS103", "ALTER TABLE t DROP CONSTRAINT IF EXISTS ck", "reject", T, TR, NEW),
    Case("QS103", "ALTER TABLE t ADD COLUMN if TEXT", "accept", T, TR),
    # QS104 qualified rename target
    Case("QS104", "ALTER TABLE t RENAME TO main.t2", "reject", T, TR),
    Case("QS104", "ALTER TABLE main.t RENAME TO t2", "accept", T, TR),
    # QS105 protected objects
    Case("QS105", "ALTER TABLE sqlite_master ADD COLUMN x TEXT", "reject", T, TR),
    Case("QS105", "ALTER TABLE sqlite_master RENAME TO m", "reject", T, TR),
    Case("QS105", "ALTER TABLE t RENAME TO sqlite_t", "reject", T, TR),
    Case("QS105", "ALTER TABLE v ADD COLUMN qty INTEGER", "reject", V, TR),
    Case("QS105", "ALTER TABLE v RENAME TO v2", "reject", V, TR),
    Case("QS105", "ALTER TABLE v DROP COLUMN name", "reject", V, TR),
    Case("QS105", "ALTER TABLE v RENAME COLUMN name TO title", "reject", V, TR),
    Case("QS105", "ALTER TABLE f ADD COLUMN y TEXT", "reject", "CREATE VIRTUAL TABLE f USING fts5(x);"),
    Case("QS105", "ALTER TABLE f RENAME COLUMN x TO y", "reject", "CREATE VIRTUAL TABLE f USING fts5(x);"),
    Case("QS105", "ALTER TABLE f RENAME TO f2", "accept", "CREATE VIRTUAL TABLE f USING fts5(x);"),
    # QS109 a trailing line comment ends up inside the CREATE TABLE text
    Case("QS109", "ALTER TABLE t ADD COLUMN note TEXT -- why", "reject", T, TR),
    Case("QS109", "ALTER TABLE t ADD COLUMN note TEXT -- why\n", "reject", T, TR),
    Case("QS109", "ALTER TABLE t ADD note TEXT DEFAULT '--' -- why", "reject", T, TR),
    Case("QS109", "ALTER TABLE t ADD COLUMN note TEXT /* why */", "accept", T, TR),
    Case("QS109", "ALTER TABLE t ADD COLUMN note TEXT -- why\n DEFAULT 'x'", "accept", T, TR),
    Case("QS109", "ALTER TABLE t ADD COLUMN note TEXT DEFAULT '--'", "accept", T, TR),
    # QS110 / QS111
    Case("QS110", "ALTER TABLE t ADD COLUMN code INTEGER PRIMARY KEY", "reject", T, TR),
    Case("QS110", "ALTER TABLE t ADD COLUMN code INTEGER", "accept", T, TR),
    Case("QS111", "ALTER TABLE t ADD COLUMN email TEXT UNIQUE", "reject", T, TR),
    Case("QS111", "ALTER TABLE t ADD COLUMN email TEXT CONSTRAINT uq UNIQUE", "reject", T, TR),
    Case("QS111", "ALTER TABLE t ADD COLUMN email TEXT", "accept", T, TR),
    # QS112 NOT NULL without default: only once the table has rows
    Case("QS112", "ALTER TABLE t ADD COLUMN status TEXT NOT NULL", "reject-rows", T, TR),
    Case("QS112", "ALTER TABLE t ADD COLUMN status TEXT NOT NULL DEFAULT NULL", "reject-rows", T, TR),
    Case("QS112", "ALTER TABLE t ADD COLUMN status TEXT NOT NULL DEFAULT (NULL)", "reject-rows", T, TR),
    Case("QS112", "ALTER TABLE t ADD COLUMN status TEXT NOT NULL DEFAULT 'new'", "accept", T, TR),
    Case("QS112", "ALTER TABLE t ADD COLUMN status TEXT DEFAULT 'new' NOT NULL", "accept", T, TR),
    # QS113 non-constant default: only once the table has rows
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT (datetime('now'))", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT ('a' || 'b')", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at INTEGER DEFAULT (1 + 1)", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at INTEGER DEFAULT (NOT 0)", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT ('x' COLLATE NOCASE)", "reject-rows", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at INTEGER DEFAULT (-1)", "accept", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at INTEGER DEFAULT ((1))", "accept", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT (CAST(1 AS TEXT))", "accept", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT word", "accept", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at BLOB DEFAULT x'00'", "accept", T, TR),
    Case("QS113", "ALTER TABLE t ADD COLUMN at INTEGER DEFAULT TRUE", "accept", T, TR),
    # QS114 REFERENCES with a non-NULL default (foreign keys on)
    Case("QS114", "ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id) DEFAULT 1", "reject-rows",
         T + "CREATE TABLE p (id INTEGER PRIMARY KEY);", TR, fk=True),
    Case("QS114", "ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id) DEFAULT NULL", "accept",
         T + "CREATE TABLE p (id INTEGER PRIMARY KEY);", TR, fk=True),
    Case("QS114", "ALTER TABLE t ADD COLUMN p_id INTEGER REFERENCES p (id)", "accept",
         T + "CREATE TABLE p (id INTEGER PRIMARY KEY);", TR, fk=True),
    # QS115 STORED generated column
    Case("QS115", "ALTER TABLE t ADD COLUMN q2 INTEGER AS (qty * 2) STORED", "reject-rows", T, TR),
    Case("QS115", "ALTER TABLE t ADD COLUMN q2 INTEGER GENERATED ALWAYS AS (qty * 2) STORED", "reject-rows", T, TR),
    Case("QS115", "ALTER TABLE t ADD COLUMN q2 INTEGER AS (qty * 2) VIRTUAL", "accept", T, TR),
    Case("QS115", "ALTER TABLE t ADD COLUMN q2 INTEGER AS (qty * 2)", "accept", T, TR),
    # QS116 new CHECK / generated NOT NULL tested against rows (3.37+)
    Case("QS116", "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 0 CHECK (n > 0)", "reject-rows", T, TR),
    Case("QS116", "ALTER TABLE t ADD COLUMN n INTEGER CHECK (n > qty)", "fragile", T, TR),
    Case("QS116", "ALTER TABLE t ADD COLUMN n INTEGER AS (qty + 1) NOT NULL", "fragile", T, TR),
    Case("QS116", "ALTER TABLE t ADD COLUMN n INTEGER CHECK (n > 0)", "accept", T, TR),
    Case("QS116", "ALTER TABLE t ADD COLUMN n INTEGER DEFAULT 1 CHECK (n > 0)", "accept", T, TR),
    # QS117 STRICT types
    Case("QS117", "CREATE TABLE IF NOT EXISTS s2 (id INTEGER PRIMARY KEY, name VARCHAR(10)) STRICT", "reject"),
    Case("QS117", "CREATE TABLE IF NOT EXISTS s2 (id INTEGER PRIMARY KEY, name) STRICT", "reject"),
    Case("QS117", "ALTER TABLE s ADD COLUMN title VARCHAR(10)", "reject", STRICT, SR),
    Case("QS117", "ALTER TABLE s ADD COLUMN n INTEGER DEFAULT 'abc'", "reject-rows", STRICT, SR, NEW, quote=False),
    Case("QS117", "ALTER TABLE s ADD COLUMN n INTEGER DEFAULT 'abc'", "accept", STRICT, SR, "3.40.1"),
    Case("QS117", "ALTER TABLE s ADD COLUMN n INTEGER DEFAULT '12'", "accept", STRICT, SR, NEW),
    Case("QS117", "ALTER TABLE s ADD COLUMN title TEXT", "accept", STRICT, SR),
    Case("QS117", "CREATE TABLE IF NOT EXISTS s2 (id INTEGER PRIMARY KEY, name TEXT, v ANY) STRICT", "accept"),
    # QS118 rowid aliases: refused from 3.54, a warning below
    Case("QS118", "ALTER TABLE t ADD COLUMN rowid TEXT", "reject", T, TR, NEW),
    Case("QS118", "ALTER TABLE t ADD COLUMN _rowid_ TEXT", "reject", T, TR, NEW),
    Case("QS118", "ALTER TABLE t RENAME COLUMN name TO oid", "reject", T, TR, NEW),
    Case("QS118", "ALTER TABLE r RENAME COLUMN oid TO other", "reject",
         "CREATE TABLE r (id INTEGER PRIMARY KEY, oid TEXT);", "", NEW),
    Case("QS118", "ALTER TABLE r DROP COLUMN oid", "reject",
         "CREATE TABLE r (id INTEGER PRIMARY KEY, oid TEXT);", "", NEW),
    Case("QS118", "ALTER TABLE t ADD COLUMN rowid TEXT", "fragile", T, TR, "3.40.1"),
    Case("QS118", "ALTER TABLE w ADD COLUMN rowid TEXT", "accept",
         "CREATE TABLE w (id INTEGER PRIMARY KEY) WITHOUT ROWID;", "", NEW),
    # QS119 duplicate column (schema)
    Case("QS119", "ALTER TABLE t ADD COLUMN Name TEXT", "reject", T, TR),
    Case("QS119", "ALTER TABLE t RENAME COLUMN qty TO name", "reject", T, TR),
    Case("QS119", "ALTER TABLE t RENAME COLUMN qty TO QTY", "accept", T, TR),
    Case("QS119", "ALTER TABLE t RENAME COLUMN qty TO quantity", "accept", T, TR),
    # QS120 RENAME COLUMN before 3.25
    Case("QS120", "ALTER TABLE t RENAME COLUMN qty TO quantity", "old-target", T, TR, "3.24.0"),
    Case("QS120", "ALTER TABLE t RENAME qty TO quantity", "old-target", T, TR, "3.24.0"),
    Case("QS120", "ALTER TABLE t RENAME COLUMN qty TO quantity", "accept", T, TR, "3.25.0"),
    # QS121 a broken view blocks every rename
    Case("QS121", "ALTER TABLE t RENAME COLUMN qty TO quantity", "reject",
         T + "CREATE VIEW stale AS SELECT * FROM gone;", TR),
    Case("QS121", "ALTER TABLE t RENAME TO t2", "reject",
         T + "CREATE TRIGGER stale AFTER UPDATE ON t BEGIN DELETE FROM gone; END;", TR),
    Case("QS121", "ALTER TABLE t RENAME COLUMN qty TO quantity", "accept", V, TR),
    # QS122 rename-away rebuild
    Case("QS122", "DROP TABLE p_old", "runner",
         P + "ALTER TABLE p RENAME TO p_old; CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT NOT NULL DEFAULT '');",
         PR.replace("INTO p ", "INTO p_old ") + "INSERT INTO p (id, code) SELECT id, code FROM p_old;"),
    Case("QS122", "DROP TABLE p", "accept",
         P + "CREATE TABLE new_p (id INTEGER PRIMARY KEY, code TEXT NOT NULL DEFAULT '');", PR
         + "INSERT INTO new_p (id, code) SELECT id, code FROM p;",
         following="ALTER TABLE new_p RENAME TO p;"),
    # QS130 DROP COLUMN before 3.35
    Case("QS130", "ALTER TABLE t DROP COLUMN name", "old-target", T, TR, "3.34.0"),
    Case("QS130", "ALTER TABLE t DROP name", "old-target", T, TR, "3.34.0"),
    Case("QS130", "ALTER TABLE t DROP COLUMN name", "accept", T, TR, "3.35.0"),
    # QS131 / QS132 / QS134 DROP COLUMN refusals (schema)
    Case("QS131", "ALTER TABLE t DROP COLUMN id", "reject", T, TR),
    Case("QS131", "ALTER TABLE k DROP COLUMN b", "reject", "CREATE TABLE k (a, b, c, PRIMARY KEY (a, b));"),
    Case("QS131", "ALTER TABLE u DROP COLUMN e", "reject", "CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT UNIQUE);"),
    Case("QS131", "ALTER TABLE t DROP COLUMN name", "accept", T, TR),
    Case("QS132", "ALTER TABLE t DROP COLUMN name", "reject", T + "CREATE INDEX ix ON t (name);", TR),
    Case("QS132", "ALTER TABLE t DROP COLUMN name", "reject", T + "CREATE INDEX ix ON t (lower(name));", TR),
    Case("QS132", "ALTER TABLE t DROP COLUMN name", "reject", T + "CREATE INDEX ix ON t (qty) WHERE name IS NOT NULL;", TR),
    Case("QS132", "ALTER TABLE k DROP COLUMN b", "reject", "CREATE TABLE k (a, b, CHECK (b > 0));"),
    Case("QS132", "ALTER TABLE k DROP COLUMN b", "reject", "CREATE TABLE k (a CHECK (a > b), b);"),
    Case("QS132", "ALTER TABLE k DROP COLUMN b", "reject", "CREATE TABLE k (a, b, c, UNIQUE (a, b));"),
    Case("QS132", "ALTER TABLE ch DROP COLUMN p_id", "reject",
         "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id, "
         "FOREIGN KEY (p_id) REFERENCES p (id));"),
    Case("QS132", "ALTER TABLE g DROP COLUMN a", "reject", "CREATE TABLE g (id INTEGER PRIMARY KEY, a, b AS (a + 1));"),
    Case("QS132", "ALTER TABLE t DROP COLUMN name", "reject", V, TR),
    Case("QS132", "ALTER TABLE t DROP COLUMN qty", "reject",
         T + "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT new.qty; END;", TR),
    Case("QS132", "ALTER TABLE k DROP COLUMN b", "accept", "CREATE TABLE k (a, b CHECK (b > 0));"),
    Case("QS132", "ALTER TABLE ch DROP COLUMN p_id", "accept", P, PR),
    Case("QS132", "ALTER TABLE g DROP COLUMN b", "accept", "CREATE TABLE g (id INTEGER PRIMARY KEY, a, b AS (a + 1));"),
    Case("QS134", "ALTER TABLE one DROP COLUMN a", "reject", "CREATE TABLE one (a TEXT);"),
    Case("QS134", "ALTER TABLE t DROP COLUMN qty", "accept", T, TR),
    # QS133 accepted drops that break things later
    Case("QS133", "ALTER TABLE t DROP COLUMN qty", "fragile",
         T + "CREATE TABLE log (x); CREATE TRIGGER tr AFTER UPDATE OF qty ON t BEGIN INSERT INTO log VALUES (1); END;", TR),
    Case("QS133", "ALTER TABLE t DROP COLUMN qty", "fragile", T + "CREATE VIEW v AS SELECT * FROM t;", TR),
    Case("QS133", "ALTER TABLE t DROP COLUMN qty", "accept", V, TR),
    # QS140 the 3.53 constraint ALTERs below 3.53
    Case("QS140", "ALTER TABLE t ADD CHECK (qty > 0)", "reject", T, TR, "3.40.1"),
    Case("QS140", "ALTER TABLE t ADD CONSTRAINT ck CHECK (qty > 0)", "reject", T, TR, "3.40.1"),
    Case("QS140", "ALTER TABLE t DROP CONSTRAINT ck", "reject", T, TR, "3.40.1"),
    Case("QS140", "ALTER TABLE t ALTER COLUMN name SET NOT NULL", "reject", T, TR, "3.40.1"),
    Case("QS140", "ALTER TABLE t ALTER name DROP NOT NULL", "reject", T, TR, "3.40.1"),
    Case("QS140", "ALTER TABLE t ADD CONSTRAINT ck CHECK (qty > 0)", "accept", T, TR, "3.53.0"),
    Case("QS140", "ALTER TABLE t ALTER COLUMN name SET NOT NULL", "accept", T, TR, NEW),
    Case("QS140", "ALTER TABLE t ALTER name DROP NOT NULL", "accept", T, TR, NEW),
    # QS141 DROP CONSTRAINT refusals
    Case("QS141", "ALTER TABLE u DROP CONSTRAINT uq", "reject",
         "CREATE TABLE u (id INTEGER PRIMARY KEY, e TEXT CONSTRAINT uq UNIQUE);", "", NEW),
    Case("QS141", "ALTER TABLE u DROP CONSTRAINT pk", "reject",
         "CREATE TABLE u (a, b, CONSTRAINT pk PRIMARY KEY (a, b));", "", NEW),
    Case("QS141", "ALTER TABLE t DROP CONSTRAINT nope", "reject", T, TR, NEW),
    Case("QS141", "ALTER TABLE ch DROP CONSTRAINT fk", "old-target",
         "CREATE TABLE p (id INTEGER PRIMARY KEY); "
         "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER CONSTRAINT fk REFERENCES p (id));", "", "3.53.4"),
    Case("QS141", "ALTER TABLE ch DROP CONSTRAINT fk", "accept",
         "CREATE TABLE p (id INTEGER PRIMARY KEY); "
         "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER CONSTRAINT fk REFERENCES p (id));", "", NEW),
    Case("QS141", "ALTER TABLE c DROP CONSTRAINT ck", "accept",
         "CREATE TABLE c (id INTEGER PRIMARY KEY, q INTEGER, CONSTRAINT ck CHECK (q > 0));", "", NEW),
    Case("QS141", "ALTER TABLE c DROP CONSTRAINT nn", "accept",
         "CREATE TABLE c (id INTEGER PRIMARY KEY, q INTEGER CONSTRAINT nn NOT NULL);", "", NEW),
    # QS142 DROP CONSTRAINT of a DEFAULT / COLLATE name
    Case("QS142", "ALTER TABLE d DROP CONSTRAINT df", "fragile",
         "CREATE TABLE d (id INTEGER PRIMARY KEY, b INTEGER CONSTRAINT df DEFAULT 1);", "", NEW),
    Case("QS142", "ALTER TABLE d DROP CONSTRAINT cl", "fragile",
         "CREATE TABLE d (id INTEGER PRIMARY KEY, b TEXT CONSTRAINT cl COLLATE NOCASE);", "", NEW),
    Case("QS142", "ALTER TABLE d DROP CONSTRAINT ck", "accept",
         "CREATE TABLE d (id INTEGER PRIMARY KEY, b INTEGER CONSTRAINT ck CHECK (b > 0));", "", NEW),
    # QS143 ADD CHECK / SET NOT NULL validate existing rows
    Case("QS143", "ALTER TABLE t ADD CONSTRAINT ck CHECK (qty > 10)", "reject-rows", T, TR, NEW, quote=False),
    Case("QS143", "ALTER TABLE t ALTER COLUMN name SET NOT NULL", "reject-rows", T,
         "INSERT INTO t (id, name) VALUES (1, NULL);", NEW, quote=False),
    Case("QS143", "ALTER TABLE t ALTER COLUMN name DROP NOT NULL", "accept", T, TR, NEW),
    # QS201-QS204 guards
    Case("QS201", "CREATE TABLE t (id INTEGER PRIMARY KEY)", "reject", T, quote=False),
    Case("QS201", "CREATE TEMP TABLE t (id INTEGER PRIMARY KEY)", "fragile"),
    Case("QS201", "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)", "accept", T),
    Case("QS202", "CREATE INDEX ix ON t (name)", "reject", T + "CREATE INDEX ix ON t (name);", quote=False),
    Case("QS202", "CREATE UNIQUE INDEX IF NOT EXISTS ix ON t (name)", "accept", T),
    Case("QS203", "CREATE VIEW v AS SELECT id FROM t", "reject", V, quote=False),
    Case("QS203", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", "reject",
         T + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;", quote=False),
    Case("QS203", "CREATE VIRTUAL TABLE f USING fts5(x)", "reject", "CREATE VIRTUAL TABLE f USING fts5(x);", quote=False),
    Case("QS203", "CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(x)", "accept"),
    Case("QS203", "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; END", "accept", T),
    Case("QS204", "DROP TABLE t", "reject", "", quote=False),
    Case("QS204", "DROP INDEX ix", "reject", T, quote=False),
    Case("QS204", "DROP VIEW v", "reject", T, section="down", quote=False),
    Case("QS204", "DROP TRIGGER IF EXISTS tr", "accept", T),
    Case("QS204", "DROP TABLE t", "accept", T + "CREATE TABLE new_t (id INTEGER PRIMARY KEY);", TR,
         following="ALTER TABLE new_t RENAME TO t;"),
    # QS205 IF NOT EXISTS masking drift
    Case("QS205", "CREATE INDEX IF NOT EXISTS ix ON t (qty)", "fragile", T + "CREATE INDEX ix ON t (name);"),
    Case("QS205", "CREATE TABLE IF NOT EXISTS v (x)", "fragile", V),
    Case("QS205", "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, extra TEXT)", "fragile", T),
    Case("QS205", 'CREATE TABLE IF NOT EXISTS "t" (id integer primary key, name TEXT, qty INTEGER)', "accept", T),
    Case("QS205", "CREATE INDEX IF NOT EXISTS ix2 ON t (qty)", "accept", T + "CREATE INDEX ix ON t (name);"),
    Case("QS205", "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; END", "accept",
         T + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"),
    Case("QS205", "CREATE VIEW IF NOT EXISTS v AS SELECT id, name FROM t", "accept", V),
    Case("QS205", "CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t", "fragile", V),
    Case("QS205", "CREATE INDEX IF NOT EXISTS ix ON t (name)", "accept", T + "CREATE INDEX ix ON t (name);"),
    # QS208 CREATE TABLE AS SELECT
    Case("QS208", "CREATE TABLE t2 AS SELECT id, name FROM t", "fragile", T, TR),
    Case("QS208", "CREATE TABLE IF NOT EXISTS t2 (id INTEGER PRIMARY KEY, name TEXT)", "accept", T, TR),
    # QS209 unbounded DML
    Case("QS209", "UPDATE t SET qty = 0", "fragile", T, TR),
    Case("QS209", "DELETE FROM t", "fragile", T, TR),
    Case("QS209", "WITH x AS (SELECT 1) DELETE FROM t", "fragile", T, TR),
    Case("QS209", "UPDATE t SET qty = 0 WHERE qty IS NULL", "accept", T, TR),
    Case("QS209", "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE qty < 0)", "accept", T, TR),
    Case("QS209", "UPDATE t SET qty = 0", "accept", T, TR, section="down"),
    # QS210 positional INSERT
    Case("QS210", "INSERT INTO t VALUES (1, 'a')", "reject", T, quote=False),
    Case("QS210", "INSERT INTO t2 SELECT * FROM t", "fragile", T + "CREATE TABLE t2 (id INTEGER PRIMARY KEY, qty INTEGER, name TEXT);", TR),
    Case("QS210", "INSERT INTO t (id, name) VALUES (1, 'a')", "accept", T),
    Case("QS210", "INSERT INTO t DEFAULT VALUES", "accept", T),
    # QS301-QS305 under the runner's transaction
    Case("QS301", "BEGIN", "runner", T),
    Case("QS301", "BEGIN IMMEDIATE TRANSACTION", "runner", T),
    Case("QS301", "COMMIT", "runner", T),
    Case("QS301", "END TRANSACTION", "runner", T),
    Case("QS301", "ROLLBACK", "runner", T),
    Case("QS301", "SAVEPOINT sp", "accept", T, following="RELEASE sp;"),
    Case("QS301", "SAVEPOINT sp", "accept", T, following="ROLLBACK TO sp; RELEASE sp;"),
    Case("QS302", "VACUUM", "runner", T),
    Case("QS302", "VACUUM INTO '/nonexistent/copy.db'", "runner", T),
    Case("QS302", "PRAGMA optimize", "accept", T),
    Case("QS303", "PRAGMA synchronous = OFF", "runner", T),
    Case("QS303", "PRAGMA temp_store = MEMORY", "runner", T + "CREATE TEMP TABLE scratch (x);"),
    Case("QS303", "PRAGMA wal_checkpoint", "runner", T),
    Case("QS303", "PRAGMA journal_mode = WAL", "fragile", T),
    Case("QS303", "PRAGMA main.synchronous = 1", "runner", T),
    Case("QS303", "PRAGMA synchronous", "accept", T),
    Case("QS303", "PRAGMA legacy_alter_table = ON", "accept", T),
    Case("QS304", "PRAGMA foreign_keys = ON", "fragile", T),
    Case("QS304", "PRAGMA foreign_key_check", "accept", T),
    Case("QS305", "PRAGMA writable_schema = ON", "fragile", T),
    Case("QS305", "PRAGMA page_size = 8192", "fragile", T),
    Case("QS305", "PRAGMA auto_vacuum = FULL", "fragile", T),
    Case("QS305", "PRAGMA defer_foreign_keys = ON", "accept", T),
    # QS401 dropping a parent table outside a rebuild
    Case("QS401", "DROP TABLE IF EXISTS p", "runner", P, PR),
    Case("QS401", "DROP TABLE p", "accept", P, PR, following="DROP TABLE ch;"),
    Case("QS401", "DROP TABLE IF EXISTS p", "accept", P, PR, section="down", following="DROP TABLE ch;"),
    Case("QS401", "DROP TABLE p", "accept",
         P + "CREATE TABLE new_p (id INTEGER PRIMARY KEY, code TEXT NOT NULL DEFAULT '');",
         PR + "INSERT INTO new_p (id, code) SELECT id, code FROM p;",
         following="ALTER TABLE new_p RENAME TO p;"),
    Case("QS401", "DROP TABLE ch", "accept", P, PR),
    # QS402 rebuild that forgets indexes/triggers
    Case("QS402", "DROP TABLE t", "fragile",
         T + "CREATE INDEX ix_t ON t (name); CREATE TABLE new_t (id INTEGER PRIMARY KEY, name TEXT);", TR,
         following="ALTER TABLE new_t RENAME TO t;"),
    Case("QS402", "DROP TABLE t", "accept",
         T + "CREATE INDEX ix_t ON t (qty); CREATE TRIGGER tr AFTER UPDATE OF qty ON t BEGIN SELECT 1; END;"
         "CREATE TABLE new_t (id INTEGER PRIMARY KEY, name TEXT);", TR,
         following="ALTER TABLE new_t RENAME TO t;"),
    Case("QS402", "DROP TABLE t", "accept",
         T + "CREATE INDEX ix_t ON t (name); CREATE TABLE new_t (id INTEGER PRIMARY KEY, name TEXT);", TR,
         following="ALTER TABLE new_t RENAME TO t; CREATE INDEX IF NOT EXISTS ix_t ON t (name);"),
    # QS403 a view blocks the rebuild's rename
    Case("QS403", "ALTER TABLE new_t RENAME TO t", "reject",
         V + "CREATE TABLE new_t (id INTEGER PRIMARY KEY, name TEXT); DROP TABLE t;"),
    Case("QS403", "ALTER TABLE new_t RENAME TO t", "accept",
         V + "DROP VIEW v; CREATE TABLE new_t (id INTEGER PRIMARY KEY, name TEXT); DROP TABLE t;"),
    # QS407 foreign keys to columns that are not a parent key
    Case("QS407", "CREATE TABLE IF NOT EXISTS c2 (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code))", "runner",
         "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);", quote=False),
    Case("QS407", "ALTER TABLE t ADD COLUMN pc TEXT REFERENCES p (code)", "runner",
         T + "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT);", TR, quote=False),
    Case("QS407", "DROP INDEX IF EXISTS ix_p_code", "runner", PU, PUR, quote=False),
    Case("QS407", "ALTER TABLE new_p RENAME TO p", "runner",
         PU + "CREATE TABLE new_p (id INTEGER PRIMARY KEY, code TEXT); DROP TABLE p;", PUR.replace("INTO p ", "INTO new_p "),
         quote=False),
    Case("QS407", "ALTER TABLE new_p RENAME TO p", "accept",
         PU + "CREATE TABLE new_p (id INTEGER PRIMARY KEY, code TEXT UNIQUE); DROP TABLE p;",
         PUR.replace("INTO p ", "INTO new_p ")),
    Case("QS407", "CREATE TABLE IF NOT EXISTS c2 (id INTEGER PRIMARY KEY, pc TEXT REFERENCES p (code))", "accept", PU),
    Case("QS407", "CREATE TABLE IF NOT EXISTS c2 (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p)", "accept", PU),
    # QS408 a view or trigger left broken at the end of the migration
    Case("QS408", "DROP TABLE IF EXISTS t", "fragile", V, TR),
    Case("QS408", "DROP TABLE IF EXISTS t", "accept", V, TR,
         following="CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"),
    Case("QS408", "DROP VIEW IF EXISTS v", "accept", V, TR),
    Case("QS408", "ALTER TABLE t RENAME TO t2", "accept", V, TR),
    # QS405 REPLACE
    Case("QS405", "REPLACE INTO t (id, name) VALUES (1, 'b')", "fragile", T, TR),
    Case("QS405", "INSERT OR REPLACE INTO t (id, name) VALUES (1, 'b')", "fragile", T, TR),
    Case("QS405", "INSERT INTO t (id, name) VALUES (1, 'b') ON CONFLICT (id) DO UPDATE SET name = excluded.name",
         "accept", T, TR),
    # QS501 syntax newer than the target
    Case("QS501", "INSERT INTO t (name) VALUES ('b') RETURNING id", "old-target", T, TR, "3.34.0"),
    Case("QS501", "INSERT INTO t (name) VALUES ('b') RETURNING id", "accept", T, TR, "3.35.0"),
    Case("QS501", "CREATE TABLE IF NOT EXISTS s2 (a TEXT) STRICT", "old-target", "", "", "3.36.0"),
    Case("QS501", "CREATE TABLE IF NOT EXISTS s2 (a TEXT) STRICT", "accept", "", "", "3.37.0"),
    Case("QS501", "INSERT INTO t (id, name) VALUES (1, 'b') ON CONFLICT (id) DO NOTHING", "old-target", T, TR, "3.23.0"),
    Case("QS501", "SELECT name, row_number() OVER (ORDER BY id) FROM t", "old-target", T, TR, "3.24.0"),
    Case("QS501", "SELECT count(*) FILTER (WHERE qty > 0) FROM t", "old-target", T, TR, "3.29.0"),
    Case("QS501", "SELECT name FROM t ORDER BY name NULLS LAST", "old-target", T, TR, "3.29.0"),
    Case("QS501", "ALTER TABLE t ADD COLUMN q2 AS (qty * 2)", "old-target", T, TR, "3.30.0"),
    Case("QS501", "UPDATE t SET qty = x.q FROM (SELECT 1 AS q) AS x WHERE t.id = 1", "old-target", T, TR, "3.32.0"),
    Case("QS501", "SELECT '{\"a\":1}' ->> '$.a'", "old-target", "", "", "3.37.0"),
    Case("QS501", "SELECT * FROM t RIGHT JOIN t AS u ON t.id = u.id", "old-target", T, TR, "3.38.0"),
    Case("QS501", "SELECT group_concat(name ORDER BY name) FROM t", "reject", T, TR, "3.40.1", quote=False),
    Case("QS501", "SELECT group_concat(name ORDER BY name) FROM t", "accept", T, TR, NEW),
    Case("QS501", "SELECT name FROM t WHERE id IN (SELECT id FROM t ORDER BY id)", "accept", T, TR),
    Case("QS501", "SELECT '{\"a\":1}' ->> '$.a'", "accept", "", "", "3.38.0"),
    # QS502 functions newer than the target
    Case("QS502", "SELECT unhex('00')", "reject", "", "", "3.40.1", quote=False),
    Case("QS502", "SELECT concat('a', 'b')", "reject", "", "", "3.40.1", quote=False),
    Case("QS502", "SELECT octet_length('a')", "reject", "", "", "3.40.1", quote=False),
    Case("QS502", "SELECT if(1, 'a', 'b')", "reject", "", "", "3.40.1", quote=False),
    Case("QS502", "SELECT unistr('a')", "reject", "", "", "3.40.1", quote=False),
    Case("QS502", "SELECT unhex('00'), concat('a'), if(1, 2, 3), unistr('a')", "accept", "", "", NEW),
    Case("QS502", "SELECT iif(1, 'a', 'b'), unixepoch('now'), format('%d', 1)", "accept", "", "", "3.40.1"),
    Case("QS502", "SELECT iif(1, 'a', 'b')", "old-target", "", "", "3.31.0"),
    Case("QS502", "CREATE TABLE IF NOT EXISTS format (concat TEXT)", "accept"),
    # QS601 double-quoted strings (SQLite with DQS on accepts them; see test_rules_behaviour)
    Case("QS601", 'CREATE TABLE IF NOT EXISTS u (s TEXT CHECK (s IN ("active", "off")))', "fragile"),
    Case("QS601", 'CREATE TABLE IF NOT EXISTS u (a TEXT, CHECK (a <> ""))', "fragile"),
    Case("QS601", 'CREATE INDEX IF NOT EXISTS ix ON t ("nmae")', "fragile", T),
    Case("QS601", 'CREATE INDEX IF NOT EXISTS ix ON t (qty) WHERE name <> "x"', "fragile", T),
    Case("QS601", 'ALTER TABLE t ADD COLUMN s TEXT CHECK (s <> "x")', "accept", T, TR),
    Case("QS601", """CREATE TABLE IF NOT EXISTS u ("s" TEXT CHECK ("s" IN ('a', 'b')), "t" TEXT DEFAULT "x")""", "accept"),
    Case("QS601", 'CREATE INDEX IF NOT EXISTS ix ON t ("name") WHERE "qty" > 0', "accept", T),
    Case("QS601", 'ALTER TABLE t ADD COLUMN s TEXT CHECK ("s" <> \'x\' AND "qty" > 0)', "accept", T, TR),
    Case("QS601", 'CREATE TABLE IF NOT EXISTS "new_u" (s TEXT CHECK (s IN ("active")))', "accept",
         'CREATE TABLE u (s TEXT CHECK (s IN ("active")), legacy TEXT);'),
    # QS603 nullable / non-alias primary key
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (id INT PRIMARY KEY, name TEXT)", "fragile"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (code TEXT PRIMARY KEY, name TEXT)", "fragile"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY DESC, name TEXT)", "fragile"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (a INTEGER, b INTEGER, PRIMARY KEY (a, b))", "fragile"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (id INTEGER AUTO_INCREMENT PRIMARY KEY, name TEXT)", "fragile"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, name TEXT)", "accept"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (id integer, name TEXT, PRIMARY KEY (id))", "accept"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (code TEXT NOT NULL PRIMARY KEY)", "accept"),
    Case("QS603", "CREATE TABLE IF NOT EXISTS u (code TEXT PRIMARY KEY) WITHOUT ROWID", "accept"),
    Case("QS603", 'CREATE TABLE IF NOT EXISTS "new_u" (code TEXT PRIMARY KEY, name TEXT)', "accept",
         "CREATE TABLE u (code TEXT PRIMARY KEY, name TEXT, legacy TEXT);"),
    # QS604 AUTOINCREMENT misuse
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id INT PRIMARY KEY AUTOINCREMENT)", "reject"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY AUTOINCREMENT) WITHOUT ROWID", "reject"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY DESC AUTOINCREMENT)", "reject"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id UNSIGNED INTEGER PRIMARY KEY AUTOINCREMENT)", "reject"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id integer PRIMARY KEY ASC AUTOINCREMENT)", "accept"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY AUTOINCREMENT)", "accept"),
    Case("QS604", "CREATE TABLE IF NOT EXISTS u (id INTEGER, PRIMARY KEY (id AUTOINCREMENT))", "accept"),
    # QS605 other databases' syntax
    Case("QS605", "TRUNCATE TABLE t", "reject", T),
    Case("QS605", "CREATE OR REPLACE VIEW v AS SELECT 1", "reject", T),
    Case("QS605", "CREATE SEQUENCE s", "reject"),
    Case("QS605", "COMMENT ON TABLE t IS 'x'", "reject", T),
    Case("QS605", "SET search_path TO main", "reject"),
    Case("QS605", "SHOW TABLES", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY AUTO_INCREMENT)", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER GENERATED ALWAYS AS IDENTITY)", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY) ENGINE=InnoDB", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, at TEXT DEFAULT now())", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, k ENUM('a', 'b'))", "reject"),
    Case("QS605", "ALTER TABLE t ADD COLUMN at TEXT DEFAULT now()", "reject", T),
    Case("QS605", "CREATE INDEX CONCURRENTLY ix ON t (name)", "reject", T),
    Case("QS605", "CREATE INDEX IF NOT EXISTS ix ON t USING btree (name)", "reject", T),
    Case("QS605", "CREATE INDEX IF NOT EXISTS ix ON t (name) INCLUDE (qty)", "reject", T),
    Case("QS605", "DROP TABLE IF EXISTS t CASCADE", "reject", T),
    Case("QS605", "DROP TABLE IF EXISTS t, t2", "reject", T),
    Case("QS605", "DROP INDEX IF EXISTS ix ON t", "reject", T),
    Case("QS605", "DROP VIRTUAL TABLE f", "reject", "CREATE VIRTUAL TABLE f USING fts5(x);"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY) DEFAULT CHARSET=utf8", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, n TEXT CHARACTER SET utf8)", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, n TEXT COMMENT 'name')", "accept"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, at INTEGER ON UPDATE CURRENT_TIMESTAMP)", "reject"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, n INTEGER CHECK (n = = 1))", "other-error"),
    Case("QS605", "CREATE VIRTUAL TABLE IF NOT EXISTS f USING fts5(x)", "accept"),
    Case("QS605", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, at TEXT DEFAULT (datetime('now')))", "accept"),
    Case("QS605", "DELETE FROM t WHERE 1", "accept", T, TR),
    # QS606 CREATE TABLE … LIKE
    Case("QS606", "CREATE TABLE IF NOT EXISTS u (LIKE t)", "fragile", T),
    Case("QS606", "CREATE TABLE u LIKE t", "reject", T),
    Case("QS606", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, name TEXT LIKE_ME)", "accept", T),
    # QS607 CREATE TABLE the schema checks refuse
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, c TEXT PRIMARY KEY)", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER CHECK (a IN (SELECT 1)))", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER, b INTEGER DEFAULT (a))", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER, b INTEGER AS (a) PRIMARY KEY)", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER, b INTEGER AS (a) DEFAULT 1)", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER) WITHOUT ROWID", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER, A TEXT)", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS sqlite_u (a INTEGER)", "reject"),
    Case("QS607", "CREATE TABLE IF NOT EXISTS u (a INTEGER, at TEXT DEFAULT CURRENT_TIMESTAMP)", "accept"),
    # QS608 reserved words as names
    Case("QS608", "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, order INTEGER)", "reject"),
    Case("QS608", "CREATE TABLE IF NOT EXISTS group (id INTEGER PRIMARY KEY)", "reject"),
    Case("QS608", "ALTER TABLE t ADD COLUMN default TEXT", "reject", T),
    Case("QS608", "ALTER TABLE t RENAME COLUMN name TO from", "reject", T),
    Case("QS608", 'CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, "order" INTEGER, key TEXT, action TEXT)', "accept"),
    # QS609 DROP of the wrong kind
    Case("QS609", "DROP TABLE IF EXISTS v", "reject", V),
    Case("QS609", "DROP VIEW IF EXISTS t", "reject", T),
    Case("QS609", "DROP VIEW IF EXISTS v", "accept", V),
    # QS610 words SQLite swallows into the declared type
    Case("QS610", "CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, ip TEXT NOL NULL UNIQUE)", "fragile"),
    Case("QS610", "CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, n INTEGER AUTO_INCREMENT)", "fragile"),
    Case("QS610", "CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, n TEXT COMMENT 'x')", "fragile"),
    Case("QS610", "CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, tags TEXT[])", "fragile"),
    Case("QS610", "ALTER TABLE t ADD COLUMN z INT AFTER name", "fragile", T, TR),
    Case("QS610", "ALTER TABLE t ADD COLUMN z INT", "accept", T, TR),
    Case("QS610", "CREATE TABLE IF NOT EXISTS h (id INTEGER PRIMARY KEY, ip TEXT NOT NULL UNIQUE, "
         "d DOUBLE PRECISION, u UNSIGNED BIG INT, c CHARACTER VARYING(20), at TIMESTAMP WITH TIME ZONE, "
         "g GEOMETRY, v VARCHAR(255), x)", "accept"),
    # QS701 / QS702 destructive changes in up()
    Case("QS701", "DROP TABLE IF EXISTS t", "fragile", T, TR),
    Case("QS701", "DROP TABLE IF EXISTS t", "accept", T, TR, section="down"),
    Case("QS701", "DROP TABLE t", "accept", T + "CREATE TABLE t_new (id INTEGER PRIMARY KEY);", TR,
         following="ALTER TABLE t_new RENAME TO t;"),
    Case("QS701", "DROP TABLE IF EXISTS v", "other-error", V, TR),
    Case("QS702", "ALTER TABLE t DROP COLUMN qty", "fragile", T, TR),
    Case("QS702", "ALTER TABLE t DROP COLUMN qty", "accept", T, TR, section="down"),
]

_QUOTE = re.compile(r"`([^`]*)`")


def _id(case: Case) -> str:
    return f"{case.code}-{case.expect}-{case.sql[:60]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_rule_agrees_with_engine(case: Case):
    schema = case.setup + case.rows
    found = check(case.code, case.sql, schema=schema, target=case.target, section=case.section,
                  following=case.following)
    if case.section not in RULES[case.code].sections:
        found = []  # the engine does not run the rule there
    flagged = case.expect not in ("accept", "other-error")
    assert bool(found) == flagged, found

    engine = engine_for(case.target or LOCAL)
    kw = dict(setup=case.setup, engine=engine, fk=case.fk, following=case.following or "")
    empty = run(case.sql, **kw) if case.expect != "old-target" else None
    with_rows = run(case.sql, rows=case.rows, **kw) if case.rows else empty
    under_runner = run(case.sql, rows=case.rows, runner=True, **kw)
    if case.expect == "reject":
        assert empty is not None and with_rows is not None
        error = empty
    elif case.expect == "reject-rows":
        assert empty is None, empty
        assert with_rows is not None
        error = with_rows
    elif case.expect == "other-error":
        assert empty is not None
        error = None
    elif case.expect == "runner":
        assert under_runner is not None
        error = None
    elif case.expect == "old-target":
        newer = "sqlite3" if parse_version(case.target) < LOCAL else "apsw"
        assert parse_version(case.target) < (LOCAL if newer == "sqlite3" else APSW)
        kw["engine"] = newer
        assert run(case.sql, **kw) is None  # a newer engine accepts it
        assert run(case.sql, rows=case.rows, **kw) is None
        error = None
    else:  # fragile, accept: SQLite runs it
        assert empty is None, empty
        assert with_rows is None, with_rows
        if case.expect == "accept":
            assert under_runner is None, under_runner
        error = None

    messages = [m[1] if isinstance(m, tuple) else m for m in found]
    if error is not None and case.quote and RULES[case.code].severity is Severity.ERROR:
        quotes = [q for m in messages for q in _QUOTE.findall(m)]
        assert quotes, f"{case.code} quotes no SQLite message: {messages}"
        assert quotes[0] == error, (quotes[0], error)


@pytest.mark.parametrize("case", [c for c in CASES if c.target is None or parse_version(c.target) == LOCAL],
                         ids=lambda c: _id(c))
def test_lint_sql_reports_the_same_verdict(case: Case):
    """Through the whole linter (shadow replay, sections, following statements)."""
    script = case.sql.rstrip(";") + ";" + ("\n" + case.following if case.following else "")
    findings = lint_sql(script, schema=case.setup + case.rows, target=case.target,
                        section=case.section)
    first_line = [f for f in findings if f.line == 1]
    codes = {f.code for f in first_line}
    assert (case.code in codes) == (case.expect not in ("accept", "other-error")), findings
    if case.expect in ("reject", "reject-rows", "runner", "other-error"):
        assert any(f.severity is Severity.ERROR for f in first_line) or \
            RULES[case.code].severity is not Severity.ERROR, findings


def test_every_statement_rule_has_cases():
    from test_rules_docs import my_rules

    covered = {c.code for c in CASES}
    missing = sorted(set(my_rules()) - covered)
    assert not missing
    both = {c.code for c in CASES if c.expect == "accept"} & {c.code for c in CASES if c.expect != "accept"}
    assert set(my_rules()) - both == set(), "each rule needs a flagged and an accepted case"


def test_verdicts_ignore_terminators_and_comments():
    """The rules read statements as SQLite does: a trailing ``;`` and comments around the
    statement change nothing."""
    for case in CASES:
        kw = dict(schema=case.setup + case.rows, target=case.target, section=case.section,
                  following=case.following)
        plain = bool(check(case.code, case.sql, **kw))
        assert bool(check(case.code, case.sql + " ;", **kw)) == plain, case
        assert bool(check(case.code, "/* why */ " + case.sql + " ; -- trailing note", **kw)) == plain, case
        assert bool(check(case.code, "-- why\n" + case.sql, **kw)) == plain, case
