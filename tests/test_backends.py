"""The backend interface (qscaffold.backends): URLs, and what the runner does when a server
loses the connection during COMMIT."""

from __future__ import annotations

import logging

import pytest

import flaky_backend
from qscaffold import MigrationRunner, backends
from qscaffold.config import load_settings
from qscaffold.errors import DatabaseError, UsageError
from support import query, table_migrations, version


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setitem(backends.SCHEMES, "flaky", "flaky_backend")
    flaky_backend.FAILED_COMMITS.clear()
    return flaky_backend.FAILED_COMMITS


def test_a_commit_whose_outcome_is_unknown_is_settled_by_the_history(flaky, tmp_path, caplog):
    table_migrations(tmp_path / "migrations", 2)
    db = tmp_path / "app.db"
    caplog.set_level(logging.INFO, logger="qscaffold")
    with MigrationRunner(f"flaky://{db}?commit=saved", tmp_path / "migrations") as runner:
        results = runner.run_migrations()
        assert [r.version for r in results] == [1, 2]
        assert runner.get_current_version() == 2
    assert flaky == ["saved"]
    assert version(db) == 2 and [r[0] for r in query(db, "SELECT version FROM migration_history")] == [1, 2]
    assert "the history shows the COMMIT was saved" in caplog.text


def test_a_commit_that_was_not_saved_is_reported_and_a_rerun_finishes(flaky, tmp_path):
    table_migrations(tmp_path / "migrations", 2)
    db = tmp_path / "app.db"
    url = f"flaky://{db}?commit=lost"
    with MigrationRunner(url, tmp_path / "migrations") as runner:
        with pytest.raises(DatabaseError) as info:
            runner.run_migrations()
    assert str(info.value) == (
        f"{url}: the connection was lost during COMMIT and the history shows it was not saved: "
        "the database stays at version 0; run the command again")
    with MigrationRunner(url, tmp_path / "migrations") as runner:
        assert [r.version for r in runner.run_migrations()] == [1, 2]
    assert version(db) == 2


def test_urls_are_kept_as_they_are_and_unknown_schemes_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("QSCAFFOLD_DATABASE", raising=False)
    settings = load_settings(database="dqlite://127.0.0.1:9001/app", cwd=tmp_path)
    assert settings.database == "dqlite://127.0.0.1:9001/app"
    with pytest.raises(UsageError, match="unknown database URL scheme 'rqlite'"):
        MigrationRunner("rqlite://127.0.0.1:4001/app", tmp_path).status()
    assert not list(tmp_path.iterdir()), "nothing is created for a URL"
