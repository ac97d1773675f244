"""Helpers for the lint tests: write migration files with raw Python bodies, run the CLI."""

from __future__ import annotations

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
