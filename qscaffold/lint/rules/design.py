"""Table design traps and other databases' dialects."""

from __future__ import annotations

import re

from ..model import Severity
from ..registry import rule
from ._syntax import (at, compile_alone, created_name, is_op, is_word, parse_create_table,
                      parse_drop, table_sql, tokenize, words_at)
from ._syntax import is_rebuild_name, tables_within
from .alter import alter_of

# Words SQLite's parser refuses as an unquoted column name (probed on the engine).
RESERVED = frozenset(
    "ADD ALL ALTER AND AS AUTOINCREMENT BETWEEN CASE CHECK COLLATE COMMIT CONSTRAINT CREATE "
    "DEFAULT DEFERRABLE DELETE DISTINCT DROP ELSE ESCAPE EXCEPT EXISTS FOREIGN FROM GROUP "
    "HAVING IN INDEX INSERT INTERSECT INTO IS ISNULL JOIN LIMIT NOT NOTHING NOTNULL NULL ON OR "
    "ORDER PRIMARY REFERENCES RETURNING SELECT SET TABLE THEN TO TRANSACTION UNION UNIQUE "
    "UPDATE USING VALUES WHEN WHERE".split())


def _create_table(stmt):
    if stmt.keywords[:1] != ("CREATE",):
        return None
    key = "_qs_create_table"
    if key not in stmt.__dict__:
        stmt.__dict__[key] = parse_create_table(stmt.sql)
    return stmt.__dict__[key]


def _pk_columns(table):
    """``[(column def, desc)]`` of the table's PRIMARY KEY."""
    for col in table.columns:
        pk = col.get("pk")
        if pk is not None:
            return [(col, pk.desc)]
    for c in table.constraints:
        if c.kind == "pk":
            return [(table.column(n), False) for n in c.columns if table.column(n) is not None]
    return []


def _inherited_key(stmt, table) -> bool:
    """Whether the table repeats the primary key of a table the schema already has (a
    rebuild's ``new_x`` of ``x``, or a no-op CREATE … IF NOT EXISTS)."""
    if stmt.schema is None:
        return False
    mine = sorted((c.name.lower(), c.type.upper(), c.has("notnull")) for c, _ in _pk_columns(table))
    low = table.name.lower()
    for name, _sql in tables_within(stmt.schema, low):
        other = name.lower()
        if other != low and not is_rebuild_name(low, other):
            continue
        theirs = sorted((r[1].lower(), (r[2] or "").upper(), bool(r[3]))
                        for r in stmt.columns(name) if r[5])
        if theirs == mine:
            return True
    return False


def _dqs_tokens(toks, columns: set[str]):
    """Double-quoted tokens in an expression that name no column in scope: SQLite reads
    them as string literals (the DQS misfeature)."""
    out = []
    for k, t in enumerate(toks):
        if t.kind != "id" or not t.text.startswith('"'):
            continue
        if is_op(at(toks, k + 1), "(", ".") or is_op(at(toks, k - 1), "."):
            continue
        if t.value.lower() not in columns:
            out.append(t)
    return out


def _index_parts(toks):
    """``(table, expression tokens)`` of a CREATE INDEX: its column list and WHERE."""
    for k, t in enumerate(toks):
        if is_word(t, "ON") and at(toks, k + 1) is not None and is_op(at(toks, k + 2), "("):
            table_tok = toks[k + 1]
            return (table_tok.value if table_tok.kind != "word" else table_tok.text), list(toks[k + 2:])
    return None, []


def _rebuilds_existing(stmt, name: str) -> bool:
    """Whether ``name`` is a rebuild's new table for a table the schema has (``new_x``)."""
    if stmt.schema is None:
        return False
    return any(is_rebuild_name(name, other)
               for other, _sql in tables_within(stmt.schema, name.lower()))


@rule("QS601", "double-quoted-string", Severity.WARNING,
      "Double-quoted word that names no column, read by SQLite as a string")
def double_quoted_string(stmt):
    """## What it does
    Flags `"x"` in a CREATE TABLE's CHECK constraints, or in a CREATE INDEX's columns or
    WHERE, when no column of the table is called `x`.

    ## Why is this bad?
    Double quotes are for identifiers. When no column matches, SQLite falls back to reading
    `"x"` as the string `'x'`: `CHECK (status IN ("active"))` compares with strings until a
    column named `active` appears, and `CREATE INDEX ix ON t ("nmae")` (a typo) indexes a
    constant. SQLite builds that disable the fallback (`SQLITE_DQS=0`, which SQLite
    recommends) refuse the statement: `no such column: "active" - should this be a string
    literal in single-quotes?`.

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY,
        status TEXT CHECK (status IN ("active", "disabled")));
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY,
        status TEXT CHECK (status IN ('active', 'disabled')));
    ```
    """
    kw = stmt.keywords
    if not kw or '"' not in stmt.sql:
        return
    found = []
    if kw[0] == "CREATE":
        toks = tokenize(stmt.sql)
        kind, _name, _ = created_name(toks)
        if kind == "TABLE":
            table = _create_table(stmt)
            if table is None or table.as_select or _rebuilds_existing(stmt, table.name):
                return
            columns = {c.name.lower() for c in table.columns}
            checks = [c.expr for col in table.columns for c in col.constraints if c.kind == "check"]
            checks += [c.expr for c in table.constraints if c.kind == "check"]
            for expr in checks:
                found += _dqs_tokens(expr, columns)
        elif kind == "INDEX" and stmt.schema is not None:
            table_name, expr = _index_parts(toks)
            rows = stmt.columns(table_name) if table_name else []
            if rows:
                found += _dqs_tokens(expr, {r[1].lower() for r in rows})
    for t in found:
        yield (f'{t.text} names no column, so SQLite reads it as the string \'{t.value}\' (and '
               f'refuses it where double-quoted strings are off: `no such column: {t.text} - '
               "should this be a string literal in single-quotes?`): write "
               f"'{t.value}' for a string, or fix the column name")


@rule("QS603", "nullable-or-non-alias-primary-key", Severity.WARNING,
      "PRIMARY KEY that allows NULL or is not the rowid alias")
def nullable_or_non_alias_primary_key(stmt):
    """## What it does
    Flags a rowid table's PRIMARY KEY column that is not `INTEGER PRIMARY KEY` and is not
    declared NOT NULL: `TEXT PRIMARY KEY`, `INT PRIMARY KEY`, `BIGINT PRIMARY KEY`,
    `SERIAL PRIMARY KEY`, `INTEGER PRIMARY KEY DESC`, and composite keys. A rebuild's new
    table that keeps the old table's key is not flagged.

    ## Why is this bad?
    For historical reasons SQLite lets such a key hold NULL, any number of times. And only
    the exact type `INTEGER` makes the column an alias of the rowid: with `INT` or `BIGINT`
    an insert without an id stores NULL instead of a new number.

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS users (id BIGINT PRIMARY KEY, email TEXT);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, email TEXT);
    ```
    """
    table = _create_table(stmt)
    if table is None or table.as_select or any("WITHOUT ROWID" in o for o in table.options):
        return
    pk = _pk_columns(table)
    if not pk or _inherited_key(stmt, table):
        return
    single = len(pk) == 1
    for col, desc in pk:
        if col.has("notnull"):
            continue
        typ = col.type.upper()
        if single and typ == "INTEGER" and not desc:
            continue
        if single and ("INT" in typ or typ == "SERIAL"):
            why = ("is not the rowid alias (only `INTEGER PRIMARY KEY` is), so rows inserted "
                   "without an id get NULL: declare it INTEGER PRIMARY KEY")
            if typ == "INTEGER" and desc:
                why = ("is not the rowid alias because of DESC, so rows inserted without an id get "
                       "NULL: drop DESC")
            yield f"{table.name}.{col.name} {col.type} PRIMARY KEY {why}"
        else:
            yield (f"{table.name}.{col.name} is part of a PRIMARY KEY but may hold NULL (SQLite "
                   "allows NULLs in a rowid table's key): add NOT NULL")


@rule("QS604", "autoincrement-misuse", Severity.ERROR,
      "AUTOINCREMENT on something other than a rowid table's INTEGER PRIMARY KEY")
def autoincrement_misuse(stmt):
    """## What it does
    Flags AUTOINCREMENT on a column that is not `INTEGER PRIMARY KEY`, or in a WITHOUT
    ROWID table.

    ## Why is this bad?
    SQLite refuses it: `AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY`,
    `AUTOINCREMENT not allowed on WITHOUT ROWID tables`. (`INTEGER PRIMARY KEY` alone already
    numbers rows; AUTOINCREMENT only forbids reusing the numbers of deleted rows.)

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY AUTOINCREMENT, name TEXT);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
    ```
    """
    table = _create_table(stmt)
    if table is None or table.as_select:
        return
    for col in table.columns:
        pk = col.get("pk")
        if pk is not None and pk.autoincrement:
            if any("WITHOUT ROWID" in o for o in table.options):
                yield "`AUTOINCREMENT not allowed on WITHOUT ROWID tables`: remove AUTOINCREMENT"
            elif col.type.upper() != "INTEGER" or pk.desc:
                yield (f"`AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY`: declare "
                       f"{col.name} INTEGER PRIMARY KEY" + (" without DESC" if pk.desc else ""))
    for c in table.constraints:
        if c.kind == "pk" and c.autoincrement:
            col = table.column(c.columns[0]) if len(c.columns) == 1 else None
            if any("WITHOUT ROWID" in o for o in table.options):
                yield "`AUTOINCREMENT not allowed on WITHOUT ROWID tables`: remove AUTOINCREMENT"
            elif col is None or col.type.upper() != "INTEGER":
                yield "`AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY`: remove AUTOINCREMENT"


_FOREIGN_FIRST = {
    "TRUNCATE": "use DELETE FROM t",
    "COMMENT": "SQLite has no comments on objects; use a SQL comment in the migration",
    "GRANT": "SQLite has no users or privileges", "REVOKE": "SQLite has no users or privileges",
    "SET": "SQLite has no session variables; use PRAGMA", "USE": "SQLite has one main schema; use ATTACH",
    "SHOW": "query sqlite_schema or pragma_table_list instead",
    "DESCRIBE": "use PRAGMA table_info(t)", "DESC": "use PRAGMA table_info(t)",
    "MERGE": "use INSERT … ON CONFLICT DO UPDATE", "CALL": "SQLite has no stored procedures",
    "EXEC": "SQLite has no stored procedures", "EXECUTE": "SQLite has no stored procedures",
    "LOCK": "the migration's transaction already locks the database",
    "UNLOCK": "the migration's transaction already locks the database",
}
_FOREIGN_OBJECTS = {"SCHEMA", "DATABASE", "SEQUENCE", "TYPE", "EXTENSION", "FUNCTION",
                    "PROCEDURE", "MATERIALIZED", "DOMAIN", "ROLE", "USER"}


_NEAR_FIXES = {
    "AUTO_INCREMENT": "use INTEGER PRIMARY KEY (optionally AUTOINCREMENT)",
    "IDENTITY": "use INTEGER PRIMARY KEY (the rowid alias numbers rows)",
    "=": "remove the table options (ENGINE=, CHARSET=…); SQLite has neither",
    "DEFAULT": "remove the table options (DEFAULT CHARSET=…); SQLite stores text as UTF-8 or UTF-16",
    "CHARSET": "remove it; SQLite stores text as UTF-8 or UTF-16",
    "SET": "remove CHARACTER SET; SQLite stores text as UTF-8 or UTF-16",
    "COMMENT": "use a SQL comment (-- …)",
    "ON": "SQLite has no ON UPDATE clause on columns; use a trigger",
}


def _column_dialect(sql: str, toks):
    """Foreign column or table syntax in a CREATE TABLE / ADD COLUMN, as SQLite's parser
    reports it: ``(message, fix)``. ``sql`` is compiled alone (ADD COLUMN: as a one-column
    CREATE TABLE)."""
    error = compile_alone(sql) or ""
    m = re.fullmatch(r'near "(.*)": syntax error', error)
    if not m:
        return None
    near = m.group(1).upper()
    words = {t.value for t in toks if t.kind == "word"}
    evidence = {
        "=": bool(words & {"ENGINE", "CHARSET", "AUTO_INCREMENT", "ROW_FORMAT", "COMMENT"}),
        "DEFAULT": bool(words & {"CHARSET", "CHARACTER"}),
        "SET": "CHARACTER" in words,
        "ON": "UPDATE" in words,
    }
    if near in _NEAR_FIXES and evidence.get(near, True):
        return error, _NEAR_FIXES[near]
    if near == "(" and any(is_word(t, "DEFAULT") and at(toks, k + 1) is not None
                           and toks[k + 1].kind == "word" and is_op(at(toks, k + 2), "(")
                           for k, t in enumerate(toks)):
        return error, "put the call in parentheses: DEFAULT (expr)"
    if near.startswith("'") and words & {"ENUM", "SET"}:
        return error, "use TEXT CHECK (c IN ('a', 'b'))"
    return None


@rule("QS605", "foreign-dialect", Severity.ERROR,
      "Statement written for another database (TRUNCATE, CREATE OR REPLACE, AUTO_INCREMENT, …)")
def foreign_dialect(stmt):
    """## What it does
    Flags syntax from other databases that SQLite rejects: `TRUNCATE`, `CREATE OR
    REPLACE`, `CREATE SCHEMA/SEQUENCE/TYPE/EXTENSION/FUNCTION/MATERIALIZED VIEW`,
    `COMMENT ON`, `GRANT`, `SET`, `USE`, `SHOW`, `DESCRIBE`, `IDENTITY`, `AUTO_INCREMENT`,
    `ENUM(…)`, `ENGINE=`, `CHARSET`, `DEFAULT now()`, `CREATE INDEX CONCURRENTLY`,
    `USING btree`, `INCLUDE (…)`, `DROP … CASCADE`, `DROP TABLE a, b`, `DROP INDEX ix ON t`
    and `DROP VIRTUAL TABLE`.

    ## Why is this bad?
    Each fails with `near "…": syntax error`. The message names SQLite's equivalent.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    TRUNCATE TABLE t;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    DELETE FROM t WHERE 1;
    ```
    """
    kw = stmt.keywords
    if not kw:
        return
    toks = tokenize(stmt.sql)
    first = kw[0]
    if first in _FOREIGN_FIRST:
        yield f'SQLite has no {first} statement (`near "{toks[0].text}": syntax error`): {_FOREIGN_FIRST[first]}'
        return
    if first == "CREATE":
        if is_word(at(toks, 1), "OR") and is_word(at(toks, 2), "REPLACE"):
            yield ('SQLite has no CREATE OR REPLACE (`near "OR": syntax error`): DROP … IF EXISTS, '
                   "then CREATE")
            return
        obj = at(toks, 1)
        if is_word(obj, *_FOREIGN_OBJECTS):
            yield f'SQLite has no CREATE {obj.value} (`near "{obj.text}": syntax error`)'
            return
        kind, i = _create_index_pos(toks)
        if kind:
            for k in range(2, len(toks)):
                t = toks[k]
                if is_word(t, "CONCURRENTLY"):
                    yield (f'`near "{at(toks, k + 1).text if at(toks, k + 1) else t.text}": syntax '
                           "error`: SQLite has no CREATE INDEX CONCURRENTLY; remove CONCURRENTLY")
                    return
                if is_word(t, "USING") and is_op(at(toks, k + 2), "("):
                    yield '`near "USING": syntax error`: SQLite has one index type; remove USING …'
                    return
                if is_word(t, "INCLUDE") and is_op(at(toks, k - 1), ")"):
                    yield ('`near "INCLUDE": syntax error`: SQLite has no covering-index INCLUDE; '
                           "add the columns to the index instead")
                    return
            return
        if is_word(at(toks, 1), "TABLE") or is_word(at(toks, 2), "TABLE"):
            hit = _column_dialect(stmt.sql, toks)
            if hit:
                yield f"`{hit[0]}`: {hit[1]}"
        return
    if first == "ALTER":
        a = alter_of(stmt)
        if a is not None and a.action == "add-column" and a.coldef is not None:
            coldef = a.act[1:] if not is_word(at(a.act, 1), "COLUMN") else a.act[2:]
            probe = "CREATE TABLE qs_probe (" + stmt.sql[coldef[0].start:a.act[-1].end] + ")"
            hit = _column_dialect(probe, a.act)
            if hit:
                yield f"`{hit[0]}`: {hit[1]}"
        return
    if first == "DROP":
        obj = at(toks, 1)
        if is_word(obj, "VIRTUAL"):
            yield '`near "VIRTUAL": syntax error`: drop a virtual table with DROP TABLE'
            return
        if is_word(obj, *_FOREIGN_OBJECTS):
            yield f'SQLite has no DROP {obj.value} (`near "{obj.text}": syntax error`)'
            return
        if is_word(obj, "TABLE", "VIEW", "INDEX", "TRIGGER"):
            last = toks[-1]
            if is_word(last, "CASCADE", "RESTRICT"):
                yield (f'`near "{last.text}": syntax error`: SQLite has no DROP … {last.value}; drop '
                       "dependent objects explicitly first")
            elif any(is_op(t, ",") for t in toks):
                yield '`near ",": syntax error`: SQLite drops one object per statement; write one DROP each'
            elif obj.value == "INDEX" and any(is_word(t, "ON") for t in toks[3:]):
                yield ('`near "ON": syntax error`: DROP INDEX takes only the index name (indexes '
                       "are schema-wide in SQLite)")


def _create_index_pos(toks):
    i = 1
    if is_word(at(toks, i), "UNIQUE"):
        i += 1
    if is_word(at(toks, i), "INDEX"):
        return "INDEX", i + 1
    return None, i


@rule("QS606", "create-table-like", Severity.WARNING,
      "CREATE TABLE c (LIKE t) creates a column named LIKE")
def create_table_like(stmt):
    """## What it does
    Flags `CREATE TABLE c (LIKE t)` (a warning) and `CREATE TABLE c LIKE t` (an error).

    ## Why is this bad?
    SQLite has no CREATE TABLE … LIKE. Without parentheses it fails with
    `near "LIKE": syntax error`; with them it succeeds and creates one column named `LIKE`
    of type `t`. Write the table's definition out (copy it from `sqlite_schema`).

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE IF NOT EXISTS t_archive (LIKE t);
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE IF NOT EXISTS t_archive (id INTEGER PRIMARY KEY, name TEXT);
    ```
    """
    if stmt.keywords[:1] != ("CREATE",):
        return
    toks = tokenize(stmt.sql)
    kind, name, _ = created_name(toks)
    if kind != "TABLE" or not name:
        return
    for k, t in enumerate(toks):
        if is_word(t, "LIKE") and k > 0:
            prev = toks[k - 1]
            if is_op(prev, "(") and (is_op(at(toks, k + 2), ")") or is_op(at(toks, k + 3), ")")):
                yield (f"(LIKE {at(toks, k + 1).text}) creates a column named LIKE, not a copy of "
                       "the table: write the columns out")
            elif prev.kind in ("word", "id") and prev.value.lower() == name.lower():
                yield (Severity.ERROR, '`near "LIKE": syntax error`: SQLite has no CREATE TABLE … '
                       "LIKE; write the columns out")
            return


_NOT_QS607 = ("near ", "incomplete input", "unknown datatype", "missing datatype", "AUTOINCREMENT",
              "unknown database", "no such collation")


@rule("QS607", "invalid-create-table", Severity.ERROR,
      "CREATE TABLE that SQLite refuses (CHECK subquery, non-constant default, two primary keys…)")
def invalid_create_table(stmt):
    """## What it does
    Flags a CREATE TABLE that SQLite's parser accepts but its schema checks refuse:
    `subqueries prohibited in CHECK constraints`,
    `default value of column [b] is not constant`,
    `generated columns cannot be part of the PRIMARY KEY`, `error in generated column "b"`,
    `PRIMARY KEY missing on table x`, `table "x" has more than one primary key`,
    `duplicate column name: a`, `object name reserved for internal use: sqlite_x`.

    ## Why is this bad?
    The statement fails, with the message shown.

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, code TEXT PRIMARY KEY);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
    ```
    """
    table = _create_table(stmt)
    if table is None or table.as_select:
        return
    error = compile_alone(stmt.sql)
    if error and not error.startswith(_NOT_QS607) and "already exists" not in error:
        yield f"`{error}`: {_fix_607(error)}"


def _fix_607(error: str) -> str:
    for needle, fix in (
        ("more than one primary key", "keep one PRIMARY KEY and make the other columns UNIQUE"),
        ("subqueries prohibited", "move the rule into a trigger"),
        ("is not constant", "a default cannot read other columns; use a trigger or a generated column"),
        ("cannot be part of the PRIMARY KEY", "key on an ordinary column"),
        ("error in generated column", "a generated column takes no DEFAULT"),
        ("PRIMARY KEY missing", "a WITHOUT ROWID table needs a PRIMARY KEY"),
        ("duplicate column name", "rename one of the columns"),
        ("reserved for internal use", "names starting with sqlite_ belong to SQLite"),
    ):
        if needle in error:
            return fix
    return "SQLite refuses this table definition"


def _name_tokens(stmt, toks):
    """Tokens in name positions: table, index and column names being defined."""
    out = []
    kw = stmt.keywords
    if kw[:1] == ("CREATE",):
        kind, i = None, 1
        while i < len(toks) and is_word(toks[i], "TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL"):
            i += 1
        if is_word(at(toks, i), "TABLE", "INDEX", "VIEW", "TRIGGER"):
            kind = toks[i].value
            i += 1
            if words_at(toks, i, "IF", "NOT", "EXISTS"):
                i += 3
            if at(toks, i) is not None:
                out.append(toks[i])
        if kind == "TABLE":
            table = _create_table(stmt)
            if table is not None:
                out += [c.name_tok for c in table.columns]
    elif kw[:2] == ("ALTER", "TABLE"):
        a = alter_of(stmt)
        if a is not None and a.coldef is not None:
            out.append(a.coldef.name_tok)
        if a is not None and a.action == "rename-column":
            k = len(a.act) - 1
            out.append(a.act[k])
    return out


@rule("QS608", "keyword-identifier", Severity.ERROR,
      "Reserved word used unquoted as a table, index or column name")
def keyword_identifier(stmt):
    """## What it does
    Flags an SQL keyword SQLite reserves (`order`, `group`, `default`, `references`, …)
    used unquoted as the name of a table, index, view, trigger or column being defined.

    ## Why is this bad?
    SQLite fails with `near "order": syntax error`. Quote the name with double quotes —
    and everywhere it is used — or pick another.

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, order INTEGER);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, "order" INTEGER);
    ```
    """
    toks = tokenize(stmt.sql)
    for t in _name_tokens(stmt, toks):
        if t.kind == "word" and t.value in RESERVED:
            yield f'`near "{t.text}": syntax error`: {t.text} is a reserved word; quote it as "{t.text}" or rename it'
            return


@rule("QS609", "drop-wrong-kind", Severity.ERROR,
      "DROP TABLE of a view or DROP VIEW of a table")
def drop_wrong_kind(stmt):
    """## What it does
    With the schema, flags `DROP TABLE v` when `v` is a view and `DROP VIEW t` when `t` is
    a table — with or without IF EXISTS.

    ## Why is this bad?
    SQLite refuses them, even with IF EXISTS: `use DROP VIEW to delete view v`,
    `use DROP TABLE to delete table t`.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t;
    DROP TABLE IF EXISTS v;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    CREATE VIEW IF NOT EXISTS v AS SELECT id FROM t;
    DROP VIEW IF EXISTS v;
    ```
    """
    if stmt.keywords[:1] != ("DROP",) or stmt.schema is None:
        return
    drop = parse_drop(stmt.sql)
    if drop is None or drop.kind not in ("TABLE", "VIEW"):
        return
    obj = table_sql(stmt.schema, drop.name)
    if obj is None:
        return
    if drop.kind == "TABLE" and obj[0] == "view":
        yield f"`use DROP VIEW to delete view {obj[1]}`: write DROP VIEW IF EXISTS {obj[1]}"
    elif drop.kind == "VIEW" and obj[0] == "table":
        yield f"`use DROP TABLE to delete table {obj[1]}`: write DROP TABLE IF EXISTS {obj[1]}"



# Words of the type names people write (SQLite's own, the SQL standard's, other databases'):
# any of them may follow another in a declared type.
TYPE_WORDS = frozenset(
    "INT INTEGER TINYINT SMALLINT MEDIUMINT BIGINT UNSIGNED SIGNED BIG INT2 INT4 INT8 "
    "CHARACTER CHAR VARCHAR VARYING NCHAR NATIVE NATIONAL NVARCHAR VARCHAR2 NVARCHAR2 TEXT "
    "TINYTEXT MEDIUMTEXT LONGTEXT CLOB NCLOB BLOB TINYBLOB MEDIUMBLOB LONGBLOB BINARY VARBINARY "
    "LARGE OBJECT REAL DOUBLE PRECISION FLOAT FLOAT4 FLOAT8 NUMERIC DECIMAL DEC NUMBER BOOLEAN "
    "BOOL DATE DATETIME DATETIME2 TIME TIMESTAMP TIMESTAMPTZ TIMETZ WITH WITHOUT ZONE LOCAL "
    "INTERVAL YEAR MONTH DAY HOUR MINUTE SECOND TO JSON JSONB UUID SERIAL BIGSERIAL SMALLSERIAL "
    "MONEY BIT BYTEA STRING LONG RAW ANY XML INET CIDR".split())
_TYPE_END = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
             "REFERENCES", "GENERATED", "AS"}
_WHY = {
    "AFTER": "MySQL's column position; SQLite always adds a column last",
    "FIRST": "MySQL's column position; SQLite always adds a column last",
    "AUTO_INCREMENT": "MySQL's; in SQLite an INTEGER PRIMARY KEY numbers rows by itself",
    "IDENTITY": "SQL Server's; in SQLite an INTEGER PRIMARY KEY numbers rows by itself",
    "COMMENT": "MySQL's column comment; SQLite has none (use a -- comment)",
    "ZEROFILL": "a MySQL display attribute SQLite has no use for",
}


def _declared_type_tokens(toks, name_index: int) -> list:
    """The tokens SQLite reads as a column's declared type: names and strings after the
    column's name, up to a constraint keyword, a parenthesis or the column's end."""
    out = []
    for tok in toks[name_index + 1:]:
        if tok.kind not in ("word", "id", "str") or (tok.kind == "word" and tok.value in _TYPE_END):
            break
        out.append(tok)
    return out


def _foreign_type_word(type_toks) -> tuple[str, str] | None:
    """``(word, why)`` for the first word of a declared type that no type name uses."""
    for k, tok in enumerate(type_toks):
        if tok.kind == "str":
            return tok.text, "a string inside the type: " + _WHY.get(
                type_toks[k - 1].value if k else "", "SQLite keeps it as part of the type name")
        if tok.kind == "id" and tok.text.startswith("[") and not tok.value.strip():
            return tok.text, "an array type; SQLite has none (store JSON text)"
        if k == 0 and len(type_toks) == 1:
            return None  # one word is a type name, whatever it is
        if tok.kind == "word" and tok.value not in TYPE_WORDS and (k > 0 or tok.value in _WHY):
            return tok.text, _WHY.get(tok.value, "no type name uses it")
    return None


@rule("QS610", "foreign-word-in-type", Severity.WARNING,
      "Declared column type holding a word no type name uses (NOL NULL, AFTER b, AUTO_INCREMENT)")
def foreign_word_in_type(stmt):
    """## What it does
    Flags a column whose declared type holds a word no type name uses: a typo such as
    `TEXT NOL NULL`, MySQL's `INT AFTER b`, `INTEGER AUTO_INCREMENT`, `TEXT COMMENT 'x'`, or
    PostgreSQL's array `TEXT[]`.

    ## Why is this bad?
    SQLite accepts any run of names (and strings) as a type name, so it swallows these words
    without a murmur: `ip TEXT NOL NULL UNIQUE` declares the type "TEXT NOL", and the column
    stays nullable; `z INT AFTER b` declares the type "INT AFTER b" and adds the column last.
    What the author meant silently did not happen.

    ## Example
    ```sql
    CREATE TABLE IF NOT EXISTS hosts (id INTEGER PRIMARY KEY, ip TEXT NOL NULL UNIQUE);
    ```

    Use instead:
    ```sql
    CREATE TABLE IF NOT EXISTS hosts (id INTEGER PRIMARY KEY, ip TEXT NOT NULL UNIQUE);
    ```

    ## Known problems
    A type name made of several words of one's own (`GEOGRAPHY POINT`) is flagged: write it
    as one word, or add a noqa.

    ## References
    - https://www.sqlite.org/datatype3.html#affinity_name_examples
    - https://www.sqlite.org/syntax/type-name.html
    """
    kw = stmt.keywords
    columns = []
    if kw[:1] == ("CREATE",):
        table = _create_table(stmt)
        columns = table.columns if table is not None else []
    elif kw[:2] == ("ALTER", "TABLE"):
        a = alter_of(stmt)
        columns = [a.coldef] if a is not None and a.coldef is not None else []
    if not columns:
        return
    toks = tokenize(stmt.sql)
    index = {tok.start: k for k, tok in enumerate(toks)}
    for col in columns:
        k = index.get(col.name_tok.start)
        if k is None:
            continue
        type_toks = _declared_type_tokens(toks, k)
        found = _foreign_type_word(type_toks)
        if found is None:
            continue
        word, why = found
        declared = stmt.sql[type_toks[0].start:type_toks[-1].end]
        after = at(toks, k + 1 + len(type_toks))
        if is_word(after, "NULL") and len(word) == 3 and sum(
                a != b for a, b in zip(word.upper(), "NOT")) == 1:
            why = "a typo for NOT? NULL then stands alone and the column stays nullable"
        yield (f"column {col.name}: SQLite reads the declared type as \"{declared}\" "
               f"(`{word}`: {why})")
