"""Statements that break, or are silently ignored, inside the runner's transaction."""

from __future__ import annotations

from ..model import Severity
from ..registry import rule
from ._syntax import at, is_op, tokenize


@rule("QS301", "transaction-control", Severity.ERROR,
      "BEGIN, COMMIT, END or ROLLBACK inside a migration")
def transaction_control(stmt):
    """## What it does
    Flags `BEGIN`, `COMMIT`, `END` and `ROLLBACK` (but not `SAVEPOINT`, `RELEASE` or
    `ROLLBACK TO`).

    ## Why is this bad?
    The runner wraps each migration in one transaction. `BEGIN` fails with
    `cannot start a transaction within a transaction`; `COMMIT`/`END` commit half a
    migration and the runner's own COMMIT then fails with
    `cannot commit - no transaction is active`; `ROLLBACK` silently undoes the work so far.
    `Database` refuses all of them. Use a savepoint to nest.

    ## Example
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    BEGIN;
    ```

    Use instead:
    ```sql
    CREATE TABLE t (id INTEGER PRIMARY KEY);
    SAVEPOINT fill_t;
    -- then:
    INSERT INTO t (id) VALUES (1);
    RELEASE fill_t;
    ```

    ## References
    - https://www.sqlite.org/lang_transaction.html
    """
    kw = stmt.keywords
    if not kw or kw[0] not in ("BEGIN", "COMMIT", "END", "ROLLBACK"):
        return
    if kw[0] == "ROLLBACK" and ("TO" in kw[1:3]):
        return
    if not stmt.wrapped:
        # a file run as written (the sqlite3 shell, a runner's per-file opt-out) manages
        # its own transaction: only a BEGIN inside it, or an end without one, fails
        if kw[0] == "BEGIN" and stmt.in_transaction:
            yield ("`cannot start a transaction within a transaction`: this file already began "
                   "one; COMMIT it first, or use SAVEPOINT name … RELEASE name to nest")
        elif kw[0] != "BEGIN" and not stmt.in_transaction:
            yield (f"`cannot {'rollback' if kw[0] == 'ROLLBACK' else 'commit'} - no transaction "
                   f"is active`: this file began none before this {kw[0]}")
        return
    yield {
        "BEGIN": "`cannot start a transaction within a transaction`: the runner already opened "
                 "one; use SAVEPOINT name … RELEASE name to nest",
        "ROLLBACK": "ROLLBACK undoes the runner's transaction and its own ROLLBACK then fails; "
                    "raise an exception to abort the migration, or use ROLLBACK TO a savepoint",
    }.get(kw[0], f"{kw[0]} commits half the migration and the runner's COMMIT then fails with "
                 "`cannot commit - no transaction is active`: remove it")


@rule("QS302", "vacuum-in-transaction", Severity.ERROR, "VACUUM inside a migration")
def vacuum_in_transaction(stmt):
    """## What it does
    Flags `VACUUM` and `VACUUM INTO`.

    ## Why is this bad?
    VACUUM cannot run inside a transaction, and every migration runs in one:
    `cannot VACUUM from within a transaction`. Run it outside the migrations (a maintenance
    command after `migrate up`).

    ## Example
    ```sql
    VACUUM;
    ```

    Use instead:
    ```sql
    PRAGMA optimize;
    ```

    ## References
    - https://www.sqlite.org/lang_vacuum.html
    """
    if stmt.keywords[:1] == ("VACUUM",) and stmt.in_transaction:
        yield ("`cannot VACUUM from within a transaction`: migrations run inside one; run VACUUM "
               "separately after migrating")


def _pragma(stmt) -> tuple[str, bool, str | None] | None:
    """``(name, assigns, value)`` of a PRAGMA (schema prefix dropped)."""
    if stmt.keywords[:1] != ("PRAGMA",):
        return None
    toks = tokenize(stmt.sql)
    i = 1
    if is_op(at(toks, i + 1), "."):
        i += 2
    name_tok = at(toks, i)
    if name_tok is None:
        return None
    name = name_tok.value.lower() if name_tok.kind != "word" else name_tok.text.lower()
    nxt = at(toks, i + 1)
    assigns = is_op(nxt, "=") or (is_op(nxt, "(") and name in _ASSIGN_PAREN)
    value = None
    if assigns:
        v = at(toks, i + 2)
        value = v.value.upper() if v is not None else None
    return name, assigns, value


_ASSIGN_PAREN = {"journal_mode", "synchronous", "temp_store", "foreign_keys", "writable_schema",
                 "page_size", "auto_vacuum"}


@rule("QS303", "pragma-not-transactional", Severity.ERROR,
      "PRAGMA that fails inside a transaction (journal_mode, synchronous, temp_store, wal_checkpoint)")
def pragma_not_transactional(stmt):
    """## What it does
    Flags `PRAGMA journal_mode = …`, `PRAGMA synchronous = …`, `PRAGMA temp_store = …` and
    `PRAGMA wal_checkpoint`.

    ## Why is this bad?
    They cannot take effect inside the migration's transaction. `synchronous` fails with
    `Safety level may not be changed inside a transaction`, `wal_checkpoint` with
    `database table is locked`, and `temp_store` with
    `temporary storage cannot be changed from within a transaction` once the connection
    has used temporary storage. `journal_mode` is silently left as it was: the pragma
    answers with the old mode. Connection settings belong where the application opens its
    connection, not in a migration.

    ## Example
    ```sql
    PRAGMA synchronous = OFF;
    ```

    Use instead:
    ```sql
    PRAGMA synchronous;
    ```

    ## References
    - https://www.sqlite.org/pragma.html
    """
    p = _pragma(stmt)
    if p is None or not stmt.in_transaction:
        return
    name, assigns, value = p
    messages = {
        "journal_mode": "is silently ignored inside a transaction (the journal mode stays as it was)",
        "synchronous": "fails with `Safety level may not be changed inside a transaction`",
        "temp_store": ("fails with `temporary storage cannot be changed from within a transaction` "
                       "once the connection has used temporary storage"),
    }
    if name == "wal_checkpoint":
        yield "`database table is locked`: wal_checkpoint cannot run inside the migration's transaction"
    elif assigns and name in messages:
        yield (f"PRAGMA {name} = … {messages[name]}: set it where the application opens its "
               "connection, not in a migration")


@rule("QS304", "pragma-foreign-keys-ignored", Severity.ERROR,
      "PRAGMA foreign_keys = … is a no-op inside the runner's transaction")
def pragma_foreign_keys_ignored(stmt):
    """## What it does
    Flags `PRAGMA foreign_keys = ON/OFF` in a migration.

    ## Why is this bad?
    SQLite ignores it while a transaction is open, silently: the setting does not change and
    `PRAGMA foreign_keys` still returns the old value. A migration always runs inside the
    runner's transaction, so it can never switch foreign keys itself. The runner already
    turns enforcement off around each migration and runs `PRAGMA foreign_key_check` before
    committing.

    ## Example
    ```sql
    PRAGMA foreign_keys = OFF;
    ```

    Use instead:
    ```sql
    PRAGMA foreign_key_check;
    ```

    ## References
    - https://www.sqlite.org/pragma.html#pragma_foreign_keys
    - https://www.sqlite.org/foreignkeys.html#fk_enable
    """
    p = _pragma(stmt)
    if not (p and p[0] == "foreign_keys" and p[1]) or not stmt.in_transaction:
        return  # outside a transaction (a file run as written) it takes effect
    if stmt.wrapped:
        yield ("PRAGMA foreign_keys is silently ignored inside the migration's transaction: "
               "remove it (the runner turns foreign keys off around each migration and checks "
               "them before commit)")
    else:
        yield ("PRAGMA foreign_keys is silently ignored inside the transaction this file "
               "began: set it before BEGIN")


@rule("QS305", "dangerous-or-inert-pragma", Severity.ERROR,
      "PRAGMA writable_schema (dangerous), page_size or auto_vacuum (no effect)")
def dangerous_or_inert_pragma(stmt):
    """## What it does
    Flags `PRAGMA writable_schema = …` (an error), and `PRAGMA page_size = …` and
    `PRAGMA auto_vacuum = …` (warnings).

    ## Why is this bad?
    `writable_schema` lets the migration edit `sqlite_schema` by hand, which can corrupt
    the database beyond repair. `page_size` and `auto_vacuum` are accepted but do nothing on
    an existing database until a VACUUM, which cannot run inside the migration.

    ## Example
    ```sql
    PRAGMA writable_schema = ON;
    ```

    Use instead:
    ```sql
    PRAGMA legacy_alter_table = ON;
    ```

    ## References
    - https://www.sqlite.org/pragma.html#pragma_writable_schema
    """
    p = _pragma(stmt)
    if p is None or not p[1]:
        return
    if p[0] == "writable_schema":
        yield ("PRAGMA writable_schema lets SQL edit sqlite_schema directly and can corrupt the "
               "database: change the schema with CREATE/ALTER/DROP or a table rebuild")
    elif p[0] in ("page_size", "auto_vacuum"):
        yield (Severity.WARNING, f"PRAGMA {p[0]} has no effect on an existing database until "
               "VACUUM, which cannot run in a migration: set it when the database is created")

