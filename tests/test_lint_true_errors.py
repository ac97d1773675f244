"""The linter's errors are true on other projects' migrations: each case is a false error or
a blind spot found on real chains, and each verdict is checked on the real engine too
(stdlib sqlite3; apsw's newer SQLite where a form is version-gated)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from qscaffold.lint.engine import lint_sql

from test_rules_helpers import run


def _codes(findings, line=None):
    return [f.code for f in findings if line is None or f.line == line]


# -- item 8: syntax errors at every target ------------------------------------------------


@pytest.mark.parametrize("target", ["3.40.0", "3.25.0", "3.54.1"])
def test_syntax_errors_show_at_targets_other_than_the_local_library(target):
    found = lint_sql("SELEC 1;", schema="", target=target)
    assert _codes(found) == ["QS001"]
    assert run("SELEC 1") == 'near "SELEC": syntax error'


def test_a_newer_target_still_leaves_out_what_its_newer_syntax_explains():
    sql = "ALTER TABLE t ADD CONSTRAINT positive CHECK (n > 0)"
    schema = "CREATE TABLE t (n INTEGER)"
    assert "QS001" not in _codes(lint_sql(sql, schema=schema, target="3.54.1"))
    assert run(sql, setup=schema, engine="apsw") is None  # 3.54 accepts it


# -- item 9: the direct SQLite form in the message ----------------------------------------

P9 = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX i ON p (name);"


@pytest.mark.parametrize("sql, form", [
    ("ALTER TABLE p DROP INDEX i", "DROP INDEX IF EXISTS i"),
    ("ALTER TABLE p ADD CONSTRAINT c UNIQUE (name)", "CREATE UNIQUE INDEX IF NOT EXISTS c ON p (name)"),
    ("ALTER TABLE p ADD UNIQUE (name, id)", "CREATE UNIQUE INDEX IF NOT EXISTS ux_p_name_id ON p (name, id)"),
    ("RENAME TABLE p TO q", "ALTER TABLE p RENAME TO q"),
])
def test_unsupported_alter_names_the_sqlite_form_and_the_engine_accepts_it(sql, form):
    found = lint_sql(sql + ";", schema=P9)
    messages = [f.message for f in found if f.code == "QS101"]
    assert len(messages) == 1 and form in messages[0], found
    assert "rebuild" not in messages[0]
    assert run(sql, setup=P9) is not None  # SQLite rejects the foreign form...
    assert run(form, setup=P9) is None  # ...and runs the one offered


def test_alter_column_type_points_to_the_schema_diff():
    found = lint_sql("ALTER TABLE p ALTER COLUMN name TYPE INTEGER;", schema=P9)
    message = next(f.message for f in found if f.code == "QS101")
    assert "--to schema.sql" in message and "CREATE TABLE new_t" in message
    assert run("ALTER TABLE p ALTER COLUMN name TYPE INTEGER", setup=P9) is not None


# -- item 2: editing sqlite_master once writable_schema is on ------------------------------


def test_sqlite_master_edit_after_writable_schema_is_not_a_rejection():
    setup = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"
    edit = ("UPDATE sqlite_master SET sql = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)' "
            "WHERE name = 't'")
    found = lint_sql(f"PRAGMA writable_schema = ON;\n{edit};\nPRAGMA writable_schema = OFF;",
                     schema=setup)
    assert "QS010" not in _codes(found), found
    assert "QS305" in _codes(found, 1)  # the pragma itself is still flagged
    assert run(f"PRAGMA writable_schema = ON; {edit}; PRAGMA writable_schema = OFF",
               setup=setup) is None
    # without the pragma SQLite refuses, and so does the linter
    assert _codes(lint_sql(edit + ";", schema=setup)) == ["QS010"]
    assert run(edit, setup=setup) == "table sqlite_master may not be modified"
