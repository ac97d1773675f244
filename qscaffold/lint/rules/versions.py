"""Syntax and functions newer than ``--target-sqlite``."""

from __future__ import annotations

from ...schema.features import FEATURES as F
from ...schema.features import FUNCTIONS
from ..model import Severity, format_version
from ..registry import rule
from ._syntax import at, close_paren, depth_map, is_op, is_word, parse_create_table, tokenize

_DML = {"INSERT", "REPLACE", "UPDATE", "DELETE", "WITH", "SELECT", "CREATE"}


def _features(stmt):
    """``(version, feature)`` for each piece of version-gated syntax in the statement."""
    toks = tokenize(stmt.sql)
    kw = stmt.keywords
    out: list[tuple[tuple[int, int, int], str]] = []
    depths = depth_map(toks)
    for k, t in enumerate(toks):
        prev, nxt = at(toks, k - 1), at(toks, k + 1)
        if t.kind == "word":
            v = t.value
            if v == "DO" and is_word(nxt, "UPDATE", "NOTHING"):
                out.append((F["upsert"], "UPSERT (ON CONFLICT … DO)"))
            elif v == "OVER" and is_op(prev, ")") and (is_op(nxt, "(") or (nxt is not None and nxt.kind in ("word", "id"))):
                out.append((F["window-functions"], "window functions (OVER)"))
            elif v == "FILTER" and is_op(prev, ")") and is_op(nxt, "(") and is_word(at(toks, k + 2), "WHERE"):
                out.append((F["aggregate-filter"], "aggregate FILTER"))
            elif v == "NULLS" and is_word(nxt, "FIRST", "LAST"):
                out.append((F["nulls-first-last"], "NULLS FIRST/LAST"))
            elif v == "FROM" and kw[:1] == ("UPDATE",) and depths[k] == 0:
                out.append((F["update-from"], "UPDATE … FROM"))
            elif v == "RETURNING" and kw[:1] and kw[0] in _DML - {"CREATE", "SELECT"}:
                out.append((F["returning"], "RETURNING"))
            elif v == "MATERIALIZED" and (is_word(prev, "AS") or (is_word(prev, "NOT") and is_word(at(toks, k - 2), "AS"))):
                out.append((F["materialized-cte"], "MATERIALIZED CTE hints"))
            elif v in ("RIGHT", "FULL") and (is_word(nxt, "JOIN") or (is_word(nxt, "OUTER") and is_word(at(toks, k + 2), "JOIN"))):
                out.append((F["right-full-join"], f"{v} JOIN"))
            elif v == "DISTINCT" and is_word(nxt, "FROM") and (is_word(prev, "IS") or (is_word(prev, "NOT") and is_word(at(toks, k - 2), "IS"))):
                out.append((F["is-distinct-from"], "IS [NOT] DISTINCT FROM"))
            elif v == "EXPRESSIONS" and k == 1 and kw[:1] == ("REINDEX",):
                out.append((F["reindex-expressions"], "REINDEX EXPRESSIONS"))
            elif v == "SQLITE_SCHEMA" or v == "SQLITE_TEMP_SCHEMA":
                out.append((F["sqlite-schema-name"], "the sqlite_schema name"))
            elif v == "ORDER" and depths[k] > 0 and is_word(nxt, "BY"):
                opener = _opener(toks, k)
                if opener is not None and opener > 0 and toks[opener - 1].kind == "word" \
                        and toks[opener - 1].value not in ("OVER", "AS", "IN", "EXISTS", "FROM", "JOIN", "VALUES") \
                        and not is_word(at(toks, opener + 1), "SELECT", "WITH", "VALUES", "PARTITION", "ORDER"):
                    out.append((F["aggregate-order-by"], "ORDER BY inside an aggregate"))
        elif t.kind == "op" and t.value in ("->", "->>"):
            out.append((F["json-operators"], f"the {t.value} operator"))
    if kw[:1] == ("CREATE",) or kw[:2] == ("ALTER", "TABLE"):
        columns = []
        if kw[:1] == ("CREATE",):
            table = parse_create_table(stmt.sql)
            if table is not None:
                columns = table.columns
                if any("STRICT" in o.split() for o in table.options):
                    out.append((F["strict"], "STRICT tables"))
        else:
            from .alter import alter_of

            a = alter_of(stmt)
            if a is not None and a.coldef is not None:
                columns = [a.coldef]
        if any(c.has("generated") for c in columns):
            out.append((F["generated-columns"], "generated columns"))
    return out


_ALTER_GATES = {"rename-column": F["rename-column"], "drop-column": F["drop-column"],
                **{form: F["constraint-alters"]
                   for form in ("add-check", "drop-constraint", "set-not-null", "drop-not-null")}}


def uses_syntax_newer_than(stmt, version) -> bool:
    """Whether the statement uses version-gated syntax (a :func:`_features` item or an
    ALTER TABLE form) that ``version`` does not have yet: a syntax error from a library of
    that version may then be the gate's verdict rather than a real one."""
    if any(version < needed for needed, _ in _features(stmt)):
        return True
    if stmt.keywords[:2] == ("ALTER", "TABLE"):
        from .alter import alter_of

        a = alter_of(stmt)
        needed = _ALTER_GATES.get(a.action) if a is not None else None
        return needed is not None and version < needed
    return False


def _opener(toks, k: int) -> int | None:
    depth = 0
    for j in range(k - 1, -1, -1):
        if is_op(toks[j], ")"):
            depth += 1
        elif is_op(toks[j], "("):
            if depth == 0:
                return j
            depth -= 1
    return None


@rule("QS501", "syntax-newer-than-target", Severity.ERROR,
      "SQL syntax that the target SQLite version does not have")
def syntax_newer_than_target(stmt):
    """## What it does
    Flags syntax newer than `--target-sqlite`: UPSERT (3.24), window functions (3.25),
    FILTER and NULLS FIRST/LAST (3.30), generated columns (3.31), UPDATE … FROM and the
    `sqlite_schema` name (3.33), RETURNING and MATERIALIZED (3.35), STRICT tables (3.37),
    `->`/`->>` (3.38), RIGHT/FULL JOIN and IS [NOT] DISTINCT FROM (3.39), ORDER BY inside an
    aggregate (3.44), REINDEX EXPRESSIONS (3.53). ALTER TABLE forms have their own rules.

    ## Why is this bad?
    An older library fails with a syntax error. A STRICT table or a generated column also
    makes the database file unreadable by older libraries.

    ## Example
    ```sql
    -- target: 3.34.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO t (name) VALUES ('a') RETURNING id;
    ```

    Use instead:
    ```sql
    -- target: 3.34.0
    CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO t (name) VALUES ('a');
    ```
    """
    seen = set()
    for version, feature in _features(stmt):
        if stmt.target < version and feature not in seen:
            seen.add(feature)
            yield (f"{feature} needs SQLite {format_version(version)}; the target is "
                   f"{format_version(stmt.target)}: raise --target-sqlite or rewrite without it")


_NOT_A_CALL_AFTER = {"TABLE", "INDEX", "VIEW", "TRIGGER", "ON", "INTO", "REFERENCES", "EXISTS",
                     "UPDATE", "FROM", "JOIN", "KEY", "UNIQUE", "CONSTRAINT"}


@rule("QS502", "function-newer-than-target", Severity.ERROR,
      "SQL function that the target SQLite version does not have")
def function_newer_than_target(stmt):
    """## What it does
    Flags calls to functions newer than `--target-sqlite`: `iif` 3.32, `unixepoch` and
    `format` 3.38, `unhex` 3.41, `octet_length` and `timediff` 3.43, `concat`, `concat_ws`
    and `string_agg` 3.44, `jsonb…` 3.45, `if` 3.48, `unistr` 3.50, `json_array_insert`
    3.53.

    ## Why is this bad?
    An older library fails with `no such function: unhex` — in a CHECK, DEFAULT, index or
    view that can mean the statement fails, or the schema cannot be read at all.

    ## Example
    ```sql
    -- target: 3.40.1
    CREATE TABLE t (id INTEGER PRIMARY KEY, hex TEXT);
    SELECT unhex(hex) FROM t;
    ```

    Use instead:
    ```sql
    -- target: 3.40.1
    CREATE TABLE t (id INTEGER PRIMARY KEY, hex TEXT);
    SELECT hex(hex) FROM t;
    ```
    """
    toks = tokenize(stmt.sql)
    seen = set()
    for k, t in enumerate(toks):
        if t.kind != "word" or not is_op(at(toks, k + 1), "("):
            continue
        name = t.text.lower()
        version = FUNCTIONS.get(name)
        if version is None or stmt.target >= version or name in seen:
            continue
        prev = at(toks, k - 1)
        if is_op(prev, ".") or (prev is not None and prev.kind == "word" and prev.value in _NOT_A_CALL_AFTER):
            continue
        if name == "if" and close_paren(toks, k + 1) == len(toks):
            continue
        seen.add(name)
        yield (f"{name}() needs SQLite {format_version(version)}; the target is "
               f"{format_version(stmt.target)} (`no such function: {name}`)")



