"""Every statement rule documents itself, and its examples behave as documented on the real
engines: the Example is flagged (and, for an error rule, fails on SQLite or under the runner),
the "Use instead" is not flagged and runs."""

from __future__ import annotations

import re

import pytest

from qscaffold.lint.model import Severity, parse_version
from qscaffold.lint.registry import RULES

from test_rules_helpers import LOCAL, check, engine_for, run, statements

MODULES = {f"qscaffold.lint.rules.{m}" for m in
           ("alter", "columns", "design", "destructive", "guards", "rebuild", "transactions",
            "versions")}

# Error rules whose Example SQLite accepts: the harm is silent (the agreement tests check it).
SILENT = {
    "QS304": "PRAGMA foreign_keys is ignored, not refused, inside a transaction",
    "QS305": "writable_schema is accepted; the danger is what it allows",
}


def my_rules() -> dict:
    return {code: r for code, r in RULES.items() if r.check.__module__ in MODULES}


def parse_block(block: str):
    """``(target, setup, flagged statement, following)`` of an example block."""
    target = None
    m = re.match(r"--\s*target:\s*([\d.]+)\s*\n", block)
    if m:
        target, block = m.group(1), block[m.end():]
    fk = re.match(r"--\s*foreign keys:\s*on\s*\n", block)  # enforced where it runs
    if fk:
        block = block[fk.end():]
    before, _, after = block.partition("-- then:")
    stmts = statements(before)
    return (target, "\n".join(s.rstrip(";") + ";" for s in stmts[:-1]), stmts[-1], after,
            bool(fk))


@pytest.mark.parametrize("code", sorted(my_rules()))
def test_docstring_sections(code):
    rule = RULES[code]
    text = rule.explanation
    for heading in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert heading in text, f"{code} lacks {heading}"
    assert text.index("## What it does") < text.index("## Why is this bad?") < text.index("## Example") \
        < text.index("Use instead:")
    assert rule.example() and rule.example("Use instead:")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and "\n" not in rule.summary


@pytest.mark.parametrize("code", sorted(my_rules()))
def test_example_is_flagged_and_fails(code):
    rule = RULES[code]
    target, setup, sql, following, fk = parse_block(rule.example())
    found = check(code, sql, schema=setup, target=target, following=following if following else None,
                  foreign_keys=fk)
    assert found, f"{code}: its Example is not flagged"
    if rule.severity is not Severity.ERROR or code in SILENT:
        return
    severities = {f[0] if isinstance(f, tuple) else rule.severity for f in found}
    assert Severity.ERROR in severities
    if target is not None and parse_version(target) < LOCAL:
        return  # an older engine's refusal: the version-gate tests cover it
    engine = engine_for(target or LOCAL)
    error = run(sql, setup=setup, engine=engine, following=following, fk=fk)
    error = error or run(sql, setup=setup, engine=engine, runner=not fk, following=following,
                         fk=fk)
    assert error, f"{code}: SQLite accepts its Example"


@pytest.mark.parametrize("code", sorted(my_rules()))
def test_use_instead_is_clean_and_runs(code):
    rule = RULES[code]
    target, setup, sql, following, fk = parse_block(rule.example("Use instead:"))
    assert not check(code, sql, schema=setup, target=target, following=following if following else None,
                     foreign_keys=fk)
    engine = engine_for(target or LOCAL)
    assert run(sql, setup=setup, engine=engine, runner=not fk, following=following, fk=fk) is None


def test_no_rule_module_imports_another():
    """A rule's code tells its file: rule modules share code through the statement reader
    (_syntax) and the helpers module only."""
    import ast
    from pathlib import Path

    import qscaffold.lint.rules as package

    folder = Path(package.__file__).parent
    for path in folder.glob("*.py"):
        if path.name in ("__init__.py", "_syntax.py", "helpers.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module in ("_syntax", "helpers"), (path.name, node.module)


@pytest.mark.parametrize("code", sorted(my_rules()))
def test_optional_sections_follow_the_example(code):
    """`## Known problems` (where a rule guesses) and `## References` come after the fix, in
    that order; every error rule, which quotes or follows the engine, cites sqlite.org."""
    text = RULES[code].explanation
    fix = text.index("Use instead:")
    positions = [text.find(h) for h in ("## Known problems", "## References")]
    present = [p for p in positions if p >= 0]
    assert all(p > fix for p in present) and present == sorted(present)
    if RULES[code].severity is Severity.ERROR:
        assert positions[1] >= 0, f"{code} has no ## References"
        assert "https://www.sqlite.org/" in text[positions[1]:]


def test_a_rules_code_tells_its_module():
    from qscaffold.lint.registry import all_rules
    from qscaffold.lint.rules import module_of

    for code, rule in all_rules().items():
        assert rule.check.__module__ == f"qscaffold.lint.rules.{module_of(code)}", code
