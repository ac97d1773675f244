"""Fixtures the test files share: a migrations folder, a database path, a project folder."""

from __future__ import annotations

import pytest


@pytest.fixture
def mig(tmp_path):
    """Where a test writes its migrations (not created: the runner must cope)."""
    return tmp_path / "migrations"


@pytest.fixture
def db(tmp_path):
    """A database path in an existing ``data/`` folder (the file itself does not exist yet)."""
    (tmp_path / "data").mkdir()
    return tmp_path / "data" / "app.db"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project folder with a migrations folder, as the current folder, with no
    QSCAFFOLD_* variables from the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QSCAFFOLD_DATABASE", raising=False)
    monkeypatch.delenv("QSCAFFOLD_MIGRATIONS", raising=False)
    (tmp_path / "migrations").mkdir()
    return tmp_path
