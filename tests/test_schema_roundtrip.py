"""Round trips over migration chains written in the style of real projects: for consecutive
states k, k+1, ``diff(k, k+1)`` applied to a database in state k (with rows) gives k+1 --
the diff back is empty -- and every row survives in the tables both states have."""

from __future__ import annotations

import sqlite3

import pytest
from _schema_support import apply_like_runner, schema_of

from qscaffold.schema.diff import plan_diff
from qscaffold.schema.model import read_model

# A blog that grows the way Django and Rails projects do: tables, then columns, indexes,
# tightened constraints, a rename, a view, triggers, STRICT and a join table.
BLOG = [
    ("""
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), title TEXT);
""", [], """
INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x'); DELETE FROM users WHERE email = 'c@x';
INSERT INTO posts VALUES (1, 1, 'hello'), (2, 2, NULL);
"""),
    ("""
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), title TEXT,
                    published_at TEXT);
CREATE INDEX idx_posts_user ON posts (user_id);
""", [], ""),
    ("""
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    title TEXT NOT NULL DEFAULT 'untitled', published_at TEXT);
CREATE INDEX idx_posts_user ON posts (user_id);
CREATE INDEX idx_posts_published ON posts (published_at) WHERE published_at IS NOT NULL;
""", [], ""),
    ("""
CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                       display_name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    title TEXT NOT NULL DEFAULT 'untitled', published_at TEXT);
CREATE INDEX idx_posts_user ON posts (user_id);
CREATE INDEX idx_posts_published ON posts (published_at) WHERE published_at IS NOT NULL;
CREATE VIEW published AS SELECT p.id, p.title, a.display_name FROM posts p JOIN accounts a ON a.id = p.user_id
  WHERE p.published_at IS NOT NULL;
""", ["users=accounts", "accounts.name=display_name"], ""),
    ("""
CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                       display_name TEXT, CHECK (length(email) > 2));
CREATE TABLE posts (id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    title TEXT NOT NULL DEFAULT 'untitled', published_at TEXT,
                    slug TEXT AS (lower(title)) STORED);
CREATE INDEX idx_posts_user ON posts (user_id);
CREATE UNIQUE INDEX idx_posts_slug ON posts (slug, user_id);
CREATE VIEW published AS SELECT p.id, p.title, a.display_name FROM posts p JOIN accounts a ON a.id = p.user_id
  WHERE p.published_at IS NOT NULL;
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
CREATE TRIGGER posts_audit AFTER INSERT ON posts BEGIN INSERT INTO audit (what) VALUES ('post ' || new.id); END;
""", [], ""),
    ("""
CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                       display_name TEXT, CHECK (length(email) > 2));
CREATE TABLE posts (id INTEGER PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    title TEXT NOT NULL DEFAULT 'untitled',
                    slug TEXT AS (lower(title)) STORED);
CREATE INDEX idx_posts_user ON posts (user_id);
CREATE UNIQUE INDEX idx_posts_slug ON posts (slug, user_id);
CREATE VIEW published AS SELECT p.id, p.title, a.display_name FROM posts p JOIN accounts a ON a.id = p.user_id;
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
CREATE TRIGGER posts_audit AFTER INSERT ON posts BEGIN INSERT INTO audit (what) VALUES ('post ' || new.id); END;
CREATE TABLE tags (post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE, tag TEXT NOT NULL,
                   PRIMARY KEY (post_id, tag)) WITHOUT ROWID;
""", [], "INSERT INTO audit (what) VALUES ('by hand');"),
]

# A task tracker in the style of small Flask/FastAPI apps: STRICT tables, FTS5 search,
# type changes, a parent rebuilt under children with ON DELETE CASCADE.
TASKS = [
    ("""
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
                    title TEXT, estimate TEXT, done INTEGER DEFAULT 0);
CREATE VIRTUAL TABLE task_search USING fts5(title);
""", [], """
INSERT INTO projects VALUES (1, 'alpha'), (2, NULL);
INSERT INTO tasks VALUES (1, 1, 'write', '3', 0), (2, 1, 'test', '5', 1), (3, 2, NULL, NULL, 0);
INSERT INTO task_search (title) VALUES ('write'), ('test');
"""),
    ("""
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'unnamed');
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
                    title TEXT, estimate INTEGER, done INTEGER DEFAULT 0 CHECK (done IN (0, 1)));
CREATE VIRTUAL TABLE task_search USING fts5(title);
""", [], ""),
    ("""
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'unnamed') STRICT;
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
                    title TEXT, estimate INTEGER, done INTEGER DEFAULT 0 CHECK (done IN (0, 1)),
                    created_at TEXT DEFAULT '2024-01-01');
CREATE VIRTUAL TABLE task_search USING fts5(title);
CREATE INDEX idx_tasks_open ON tasks (project_id) WHERE done = 0;
""", [], ""),
    ("""
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'unnamed') STRICT;
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
                    title TEXT, estimate REAL, done INTEGER DEFAULT 0 CHECK (done IN (0, 1)),
                    created_at TEXT DEFAULT '2024-01-01');
CREATE VIRTUAL TABLE task_search USING fts5(title, body);
CREATE INDEX idx_tasks_open ON tasks (project_id) WHERE done = 0;
CREATE VIEW open_tasks AS SELECT * FROM tasks WHERE done = 0;
""", [], ""),
]


def _counts(conn: sqlite3.Connection, tables) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.mark.parametrize("chain", [BLOG, TASKS], ids=["blog", "tasks"])
def test_each_step_of_the_chain_round_trips(chain):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(chain[0][0])
    conn.executescript(chain[0][2])
    for k in range(1, len(chain)):
        sql, renames, rows = chain[k]
        before = read_model(conn, check_views=True)
        target = schema_of(sql)
        plan = plan_diff(before, target, renames=renames)
        assert not plan.same, f"state {k}: no difference found"
        renamed = {r.split("=")[0].lower(): r.split("=")[1].lower() for r in renames if "." not in r}
        kept = [t.name.lower() for t in before.user_tables
                if t.kind == "table" and renamed.get(t.name.lower(), t.name.lower()) in target.tables]
        counts = _counts(conn, kept)
        apply_like_runner(conn, plan.to_sql())
        back = plan_diff(read_model(conn), target)
        assert back.same, f"state {k}:\n{plan.to_sql()}\nleft:\n{back.to_sql()}"
        assert _counts(conn, [renamed.get(t, t) for t in kept]) == {renamed.get(t, t): n for t, n in counts.items()}
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        if rows:
            conn.executescript(rows)


def test_chain_run_backwards_round_trips_too():
    """down() of ``new --to`` is the diff back: every step of the chain, in reverse."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(TASKS[-1][0])
    conn.executescript("INSERT INTO projects VALUES (1, 'p'); INSERT INTO tasks (project_id, title) VALUES (1, 't');")
    for k in range(len(TASKS) - 2, -1, -1):
        target = schema_of(TASKS[k][0])
        plan = plan_diff(read_model(conn, check_views=True), target)
        apply_like_runner(conn, plan.to_sql())
        assert plan_diff(read_model(conn), target).same
        assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (1,)


def test_the_benchmark_workload_round_trips():
    """The schemas `benchmarks/run.py` times: the diff is right, not only fast."""
    import sys
    from pathlib import Path

    bench = str(Path(__file__).resolve().parent.parent / "benchmarks")
    sys.path.insert(0, bench)
    try:
        import run
    finally:
        sys.path.remove(bench)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(run.diff_schema_sql(100, changed=False))
    for i in range(1, 101):
        conn.execute(f"INSERT INTO t{i} (id, parent_id, title, score, note) VALUES (1, 1, 'x', 1, 'n')")
    target = schema_of(run.diff_schema_sql(100, changed=True))
    plan = plan_diff(read_model(conn), target)
    assert len(plan.rebuilt) + len(plan.native) == 10
    apply_like_runner(conn, plan.to_sql())
    assert plan_diff(read_model(conn), target).same
    assert all(conn.execute(f"SELECT count(*) FROM t{i}").fetchone() == (1,) for i in range(1, 101))
