"""Malformed input becomes findings, never a crash: 120 randomly mangled migration files."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from _lint_support import REPO
from qscaffold.cli import main

SOURCES = sorted((REPO / "migrations").glob("*.py"))
SQL_SOURCE = b"""-- schema
CREATE TABLE IF NOT EXISTS a (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'x;y');
CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON a BEGIN UPDATE a SET note = 'z' WHERE id = new.id; END;
ALTER TABLE a ADD COLUMN b TEXT;
"""


def _truncate(rng, data):
    return data[: rng.randrange(len(data))]


def _flip_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _nul_bytes(rng, data):
    i = rng.randrange(len(data))
    return data[:i] + b"\x00" * rng.randint(1, 4) + data[i:]


def _unbalanced_quote(rng, data):
    quotes = [i for i, b in enumerate(data) if b in b"'\""]
    i = rng.choice(quotes) if quotes else rng.randrange(len(data))
    return data[:i] + data[i + 1:] if rng.random() < 0.5 else data[:i] + b"'" + data[i:]


def _binary_junk(rng, data):
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    i = rng.randrange(len(data))
    return data[:i] + junk + data[i:] if rng.random() < 0.7 else junk


def _delete_lines(rng, data):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        if len(lines) > 1:
            del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _sql_quote_inside_string(rng, data):
    # an unbalanced quote in the SQL, inside an otherwise valid Python string
    return data.replace(b"'", b"", 1) if b"'" in data else data.replace(b"(", b"('", 1)


MANGLERS = [_truncate, _flip_bytes, _nul_bytes, _unbalanced_quote, _binary_junk, _delete_lines,
            _sql_quote_inside_string]


def _cases(count=120, seed=20261125):
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        mangle = MANGLERS[i % len(MANGLERS)]
        if i % 5 == 4:
            cases.append((f"{i:03d}-{mangle.__name__}", "0002_mangled.sql", mangle(rng, SQL_SOURCE)))
        else:
            source = rng.choice(SOURCES)
            data = mangle(rng, source.read_bytes())
            if rng.random() < 0.3:
                data = mangle(rng, data) if data else data
            cases.append((f"{i:03d}-{mangle.__name__}", "002-mangled.py", data))
    return cases


CASES = _cases()


def test_there_are_120_cases_of_every_kind():
    assert len(CASES) == 120
    assert {name.split("-", 1)[1] for name, _, _ in CASES} == {m.__name__ for m in MANGLERS}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_mangled_files_lint_without_crashing(tmp_path, monkeypatch, case):
    _, filename, data = case
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001-initial-schema.py").write_bytes(SOURCES[0].read_bytes())
    target = folder / filename
    target.write_bytes(data)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["lint", "--format", "json", "migrations"],
                 ["lint", "--format", "json", f"migrations/{filename}"]):
        result = runner.invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.exc_info
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        findings = json.loads(result.stdout)
        assert all(f["path"].startswith("migrations/") for f in findings)
        assert result.exit_code == (1 if any(f["severity"] != "info" for f in findings) else 0)
