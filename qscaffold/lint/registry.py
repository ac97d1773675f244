"""The rule registry: code → rule. One docstring per rule feeds ``qscaffold rules``, SARIF
and the docs test.

A rule's docstring has the sections ``## What it does``, ``## Why is this bad?``,
``## Example`` (a fenced ``sql`` block SQLite rejects or that is fragile) and
``Use instead:`` (a fenced ``sql`` block that is fine).

A statement rule is ``check(stmt: Statement) -> Iterable[str | tuple[Severity, str]]``:
each item is one finding's message (optionally with a severity that overrides the rule's
default, for rules whose severity depends on the target version). A file rule is
``check(unit: FileUnit) -> Iterable[tuple[int, int, str]]`` (line, column, message).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .model import Severity

CODE_RE = re.compile(r"^QS\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str  # one line, for listings and SARIF shortDescription
    check: Callable
    kind: str = "statement"  # "statement" or "file"
    sections: tuple[str, ...] = ("up", "down", None)  # where a statement rule applies

    @property
    def explanation(self) -> str:
        import inspect  # only `qscaffold rules` shows the documentation

        return inspect.cleandoc(self.check.__doc__ or "")

    def example(self, heading: str = "## Example") -> str | None:
        """The first ```sql block after ``heading`` (``"Use instead:"`` for the fix)."""
        text = self.explanation
        start = text.find(heading)
        if start < 0:
            return None
        match = re.search(r"```sql\n(.*?)```", text[start:], re.S)
        return match.group(1).strip() if match else None


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, summary: str, *, kind: str = "statement",
         sections: tuple[str | None, ...] = ("up", "down", None)):
    """Register a rule. ``sections=("up", None)`` keeps destructive-change rules out of down()."""
    if not CODE_RE.match(code) or not NAME_RE.match(name):
        raise ValueError(f"bad rule code or name: {code} {name}")

    def register(check: Callable) -> Callable:
        if code in RULES:
            raise ValueError(f"rule {code} registered twice")
        RULES[code] = Rule(code, name, Severity(severity), summary, check, kind, tuple(sections))
        return check

    return register


def all_rules() -> dict[str, Rule]:
    """Every rule, once the rule modules have been imported."""
    from . import rules  # noqa: F401 - registers the rules

    return dict(sorted(RULES.items()))
