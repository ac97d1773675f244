"""Version gates, both ways: a form newer than the target is an error; a restriction lifted
in a newer SQLite is not reported when the target has it; a restriction added later is
reported from its version on. Where the local engine (3.40.1) and apsw's (3.54.1) straddle a
gate, both are run to show the gate is real."""

from __future__ import annotations

import pytest

from qscaffold.lint.engine import lint_sql
from qscaffold.lint.model import Severity
from qscaffold.lint.rules.versions import FUNCTIONS

from test_rules_helpers import APSW, LOCAL, check, run

T = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);"
FK = ("CREATE TABLE p (id INTEGER PRIMARY KEY);"
      "CREATE TABLE ch (id INTEGER PRIMARY KEY, p_id INTEGER CONSTRAINT fk REFERENCES p (id));")

# (rule, setup, statement, last target that lacks it, first target that has it)
GATES = [
    ("QS130", T, "ALTER TABLE t DROP COLUMN qty", "3.34.0", "3.35.0"),
    ("QS120", T, "ALTER TABLE t RENAME COLUMN qty TO quantity", "3.24.0", "3.25.0"),
    ("QS501", "", "CREATE TABLE IF NOT EXISTS s (id INTEGER PRIMARY KEY, v TEXT) STRICT", "3.36.0", "3.37.0"),
    ("QS501", T, "INSERT INTO t (name) VALUES ('a') RETURNING id", "3.34.0", "3.35.0"),
    ("QS501", T, "UPDATE t SET qty = 1 FROM (SELECT 1) AS x WHERE t.id = 1", "3.32.0", "3.33.0"),
    ("QS501", T, "SELECT * FROM t FULL OUTER JOIN t AS u ON t.id = u.id", "3.38.0", "3.39.0"),
    ("QS501", T, "SELECT group_concat(name ORDER BY name) FROM t", "3.43.0", "3.44.0"),
    ("QS501", T, "REINDEX EXPRESSIONS", "3.52.0", "3.53.0"),
    ("QS140", T, "ALTER TABLE t ADD CHECK (qty > 0)", "3.40.0", "3.53.0"),
    ("QS140", T, "ALTER TABLE t ADD CONSTRAINT ck CHECK (qty > 0)", "3.52.0", "3.53.0"),
    ("QS140", T, "ALTER TABLE t ALTER COLUMN name SET NOT NULL", "3.40.1", "3.53.0"),
    ("QS140", T, "ALTER TABLE t ALTER name DROP NOT NULL", "3.40.1", "3.53.0"),
    ("QS140", T + "", "ALTER TABLE t DROP CONSTRAINT ck", "3.40.1", "3.53.0"),
    ("QS141", FK, "ALTER TABLE ch DROP CONSTRAINT fk", "3.53.0", "3.54.0"),
    ("QS502", "", "SELECT unhex('00')", "3.40.0", "3.41.0"),
    ("QS502", "", "SELECT concat('a', 'b')", "3.43.2", "3.44.0"),
]


@pytest.mark.parametrize("code,setup,sql,lacks,has", GATES, ids=[g[2][:50] for g in GATES])
def test_gate_both_ways(code, setup, sql, lacks, has):
    assert check(code, sql, schema=setup, target=lacks)
    assert not check(code, sql, schema=setup, target=has)
    assert code in {f.code for f in lint_sql(sql, schema=setup, target=lacks)}
    assert code not in {f.code for f in lint_sql(sql, schema=setup, target=has)}


NEWER_THAN_LOCAL = [
    (T, "ALTER TABLE t ADD CHECK (qty > 0)"),
    (T, "ALTER TABLE t ADD CONSTRAINT ck CHECK (qty > 0)"),
    (T, "ALTER TABLE t ALTER COLUMN name SET NOT NULL"),
    (T + "INSERT INTO t (id, name) VALUES (1, NULL);", "ALTER TABLE t ALTER name DROP NOT NULL"),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER CONSTRAINT ck CHECK (q > 0));", "ALTER TABLE t DROP CONSTRAINT ck"),
    (FK, "ALTER TABLE ch DROP CONSTRAINT fk"),
    (T, "SELECT group_concat(name ORDER BY name) FROM t"),
    (T, "REINDEX EXPRESSIONS"),
]


@pytest.mark.parametrize("setup,sql", NEWER_THAN_LOCAL, ids=[s for _, s in NEWER_THAN_LOCAL])
def test_newer_forms_are_real(setup, sql):
    """stdlib SQLite 3.40.1 rejects them and apsw's 3.54.1 accepts them."""
    assert run(sql, setup=setup) is not None
    assert run(sql, setup=setup, engine="apsw") is None


def test_drop_constraint_of_a_foreign_key_needs_354_on_the_engine():
    # 3.54.1 accepts it; the rule accepts it from 3.54 and refuses it at 3.53 with the
    # message 3.53.x gives
    assert run("ALTER TABLE ch DROP CONSTRAINT fk", setup=FK, engine="apsw") is None
    [message] = check("QS141", "ALTER TABLE ch DROP CONSTRAINT fk", schema=FK, target="3.53.4")
    assert "`constraint may not be dropped: fk`" in message


@pytest.mark.parametrize("sql", ["ALTER TABLE t ADD COLUMN rowid TEXT",
                                 "ALTER TABLE t ADD COLUMN OID TEXT",
                                 "ALTER TABLE t RENAME COLUMN name TO _rowid_"])
def test_rowid_alias_column_is_an_error_from_354_and_a_warning_below(sql):
    # the restriction is new: 3.40.1 accepts, 3.54.1 refuses
    assert run(sql, setup=T) is None
    assert run(sql, setup=T, engine="apsw").startswith("cannot ")
    [below] = check("QS118", sql, schema=T, target="3.53.4")
    assert below[0] is Severity.WARNING
    [above] = check("QS118", sql, schema=T, target="3.54.0")
    assert isinstance(above, str)  # the rule's default severity: error
    assert f"`{run(sql, setup=T, engine='apsw')}`" in above


def test_strict_default_type_mismatch_from_344():
    setup = "CREATE TABLE s (id INTEGER PRIMARY KEY) STRICT; INSERT INTO s (id) VALUES (1);"
    sql = "ALTER TABLE s ADD COLUMN n INTEGER DEFAULT 'abc'"
    assert run(sql, setup=setup) is None
    assert run(sql, setup=setup, engine="apsw") == "type mismatch on DEFAULT"
    assert not check("QS117", sql, schema=setup, target="3.43.2")
    assert check("QS117", sql, schema=setup, target="3.44.0")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_table_matches_the_engines(name):
    """Each gated function is missing from 3.40.1 exactly when its version is newer, and
    present in apsw's 3.54.1."""
    args = {"if": "1, 2, 3", "iif": "1, 2, 3", "format": "'%d', 1", "unixepoch": "'now'",
            "timediff": "'2024-01-02', '2024-01-01'", "concat_ws": "',', 'a'",
            "string_agg": "'a', ','", "jsonb_group_array": "1", "jsonb_group_object": "'a', 1",
            "json_array_insert": "'[1]', '$[0]', 0", "jsonb_object": "'a', 1",
            "jsonb_extract": "'{\"a\":1}', '$.a'", "jsonb_insert": "'{}', '$.a', 1",
            "jsonb_replace": "'{}', '$.a', 1", "jsonb_set": "'{}', '$.a', 1",
            "jsonb_patch": "'{}', '{}'", "jsonb_remove": "'{}', '$.a'", "unhex": "'00'",
            "octet_length": "'a'", "concat": "'a'", "jsonb": "'{}'", "jsonb_array": "1",
            "unistr": "'a'"}[name]
    sql = f"SELECT {name}({args})"
    local = run(sql)
    assert (local is not None) == (FUNCTIONS[name] > LOCAL), local
    assert FUNCTIONS[name] <= APSW and run(sql, engine="apsw") is None
    assert bool(check("QS502", sql, target=".".join(map(str, LOCAL)))) == (FUNCTIONS[name] > LOCAL)
