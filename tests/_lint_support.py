"""Helpers for the lint tests: write migration files with raw Python bodies, run the CLI."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

from click.testing import CliRunner

from qscaffold.cli import main
from qscaffold.config import load_settings
from qscaffold.lint.engine import lint_paths

REPO = Path(__file__).resolve().parents[1]


def write_py(folder: Path, filename: str, source: str) -> Path:
    """Write a migration file with ``source`` dedented, exactly as given otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def migration(version: int, up_body: str, down_body: str | None = "    pass\n", *,
              name: str = "A migration", extra: str = "") -> str:
    """Source of a well-formed migration whose up/down bodies are given as indented code."""
    text = f'name = "{name}"\nversion = {version}\n{extra}\n\ndef up(db):\n{up_body}'
    if down_body is not None:
        text += f"\n\ndef down(db):\n{down_body}"
    return text


def exec_body(sql: str) -> str:
    """A function body that passes ``sql`` to ``db.exec`` as one triple-quoted script."""
    return f'    db.exec(\n        """\n{textwrap.indent(sql, " " * 8)}\n        """\n    )\n'


def write_chain(folder: Path, steps: list[tuple[str, str]]) -> list[Path]:
    """Migrations ``001-step-1.py`` … whose up()/down() run the ``(up, down)`` SQL of ``steps``."""
    return [write_py(folder, f"{i:03d}-step-{i}.py",
                     migration(i, exec_body(up), exec_body(down), name=f"Step {i}"))
            for i, (up, down) in enumerate(steps, start=1)]


def lint(paths, *, cwd: Path, **flags):
    """``lint_paths`` with settings resolved from ``cwd`` and ``flags``."""
    settings = load_settings(cwd=cwd, **flags)
    return lint_paths([str(p) for p in paths], settings=settings)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def invoke(args, cwd: Path, monkeypatch):
    """Run ``qscaffold ARGS`` in ``cwd`` through CliRunner; stdout and stderr kept apart."""
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


# -- random migration chains ------------------------------------------------------------

_TABLES = ["users", "orders", "items", "audit", "Tags", "new_users", "users_old", "odd one"]
_COLS = ["id", "name", "code", "ref", "qty", "note"]


def _q(name):
    return f'"{name}"' if " " in name else name


def _random_statement(r: random.Random) -> str:
    t = r.choice(_TABLES)
    u = r.choice(_TABLES)
    c = r.choice(_COLS)
    d = r.choice(_COLS)
    k = r.randrange(30)
    if k < 5:
        cols = ["id INTEGER PRIMARY KEY"] + [f"{x} TEXT" + (" UNIQUE" if r.random() < 0.2 else "")
                                             for x in r.sample(_COLS[1:], r.randint(1, 3))]
        if r.random() < 0.5:
            cols.append(f"{r.choice(['ref', 'code'])}_id INTEGER REFERENCES {_q(u)}({r.choice(['id', 'code'])})")
        ine = "IF NOT EXISTS " if r.random() < 0.5 else ""
        return f"CREATE TABLE {ine}{_q(t)} ({', '.join(cols)})"
    if k < 7:
        uniq = "UNIQUE " if r.random() < 0.3 else ""
        return f"CREATE {uniq}INDEX IF NOT EXISTS ix_{t.replace(' ', '_')}_{c} ON {_q(t)}({c})"
    if k < 9:
        return f"CREATE VIEW IF NOT EXISTS v_{t.replace(' ', '_')} AS SELECT a.{c}, b.{d} FROM {_q(t)} a JOIN {_q(u)} b ON b.id = a.id"
    if k < 10:
        v = r.choice(_TABLES)
        return f"CREATE VIEW IF NOT EXISTS vv_{v.replace(' ', '_')} AS SELECT * FROM v_{v.replace(' ', '_')}"
    if k < 12:
        return (f"CREATE TRIGGER IF NOT EXISTS tr_{t.replace(' ', '_')} AFTER INSERT ON {_q(t)} "
                f"BEGIN INSERT INTO {_q(u)} ({c}) VALUES (new.{d}); END")
    if k < 14:
        return f"ALTER TABLE {_q(t)} RENAME TO {_q(u)}"
    if k < 16:
        return f"ALTER TABLE {_q(t)} RENAME COLUMN {c} TO {d}"
    if k < 18:
        return f"ALTER TABLE {_q(t)} ADD COLUMN {c} TEXT"
    if k < 20:
        return f"ALTER TABLE {_q(t)} DROP COLUMN {c}"
    if k < 22:
        return f"DROP TABLE IF EXISTS {_q(t)}"
    if k < 23:
        return f"DROP VIEW IF EXISTS v_{t.replace(' ', '_')}"
    if k < 24:
        return f"DROP INDEX IF EXISTS ix_{t.replace(' ', '_')}_{c}"
    if k < 25:
        return f"DROP TRIGGER IF EXISTS tr_{t.replace(' ', '_')}"
    if k < 26:
        return f"INSERT INTO {_q(t)} ({c}) SELECT {d} FROM {_q(u)}"
    if k < 27:
        return f"UPDATE {_q(t)} SET {c} = {d} WHERE id = 1"
    if k < 28:
        return r.choice(["PRAGMA legacy_alter_table = ON", "PRAGMA legacy_alter_table = OFF"])
    if k < 29:
        return f"CREATE TEMP TABLE IF NOT EXISTS tmp_{t.replace(' ', '_')} (a)"
    return f"CREATE TABLE IF NOT EXISTS {_q(t)} AS SELECT * FROM {_q(u)}"


def random_chain(seed: int, files: int = 25) -> list[tuple[str, str]]:
    """``(up, down)`` SQL of ``files`` migrations drawn from a small vocabulary of tables,
    columns, views, triggers, renames, drops and pragmas: chains that reach across objects
    in every way the shadow must follow. The same seed gives the same chain."""
    r = random.Random(seed)
    steps = []
    for _ in range(files):
        up = ";\n".join(_random_statement(r) for _ in range(r.randint(1, 4))) + ";"
        down = ";\n".join(_random_statement(r) for _ in range(r.randint(0, 2)))
        steps.append((up, (down + ";") if down else "SELECT 1;"))
    return steps
