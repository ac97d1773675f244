"""The `qscaffold-lint` hook of .pre-commit-hooks.yaml under the real pre-commit tool."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from _lint_support import REPO

pytestmark = pytest.mark.slow

NETWORK_TROUBLE = re.compile(
    r"(Could not find a version|No matching distribution|Temporary failure in name resolution|"
    r"Failed to establish a new connection|Network is unreachable|ProxyError|ConnectTimeout)", re.I)


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=lint@example.invalid", "-c", "user.name=lint",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=120)


def test_the_hook_manifest_matches_migration_files():
    text = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "id: qscaffold-lint" in text
    assert "entry: qscaffold lint" in text
    assert "language: python" in text
    pattern = re.search(r"^\s*files:\s*(.+)$", text, re.M).group(1).strip()
    regex = re.compile(pattern)
    for path in ("migrations/001-initial-schema.py", "app/migrations/0001_init.sql",
                 "migrations/002-add-user-field.py"):
        assert regex.search(path), path
    for path in ("qscaffold/cli.py", "migrations/README.md", "tests/test_x.py",
                 "migrations/__init__.py", "migrations/helpers.py", "migrations/old/001-x.py",
                 # Django's and Alembic's migrations are not qscaffold's
                 "polls/migrations/0001_initial.py", "app/migrations/0002_auto_20240101_1200.py",
                 "migrations/versions/1a2b3c4d5e6f_add_users.py", "migrations/01-too-short.py"):
        assert not regex.search(path), path


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A committed copy of this repository, so try-repo sees the current hook and code."""
    if importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None:
        pytest.skip("pre-commit (the `test` extra) or git is not installed")
    copy = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, copy / name)
    for name in ("qscaffold", "templates", "migrations"):
        shutil.copytree(REPO / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-q", "-m", "snapshot")
    return copy


@pytest.fixture
def user_repo(tmp_path):
    repo = tmp_path / "project"
    (repo / "migrations").mkdir(parents=True)
    shutil.copy2(REPO / "migrations" / "001-initial-schema.py", repo / "migrations")
    (repo / "migrations" / "002-add-nickname.py").write_text(
        'name = "Add nickname"\nversion = 2\n\n\ndef up(db):\n'
        '    db.exec("ALTER TABLE sessions ADD COLUMN nickname TEXT")\n\n\n'
        'def down(db):\n    db.exec("ALTER TABLE sessions DROP COLUMN nickname")\n')
    (repo / "migrations" / "003-broken.py").write_text(
        'name = "Broken"\nversion = 3\n\n\ndef up(db):\n'
        '    db.exec("ALTER TABLE nope ADD COLUMN x TEXT")\n\n\n'
        'def down(db):\n    db.exec("ALTER TABLE nope DROP COLUMN x")\n')
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    return repo


def _try_repo(user_repo, hook_repo, tmp_path, filename):
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
               PRE_COMMIT_COLOR="never")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "qscaffold-lint",
         "--files", filename],
        cwd=user_repo, capture_output=True, text=True, env=env, timeout=900)
    output = result.stdout + result.stderr
    if result.returncode not in (0, 1) or (result.returncode == 1 and NETWORK_TROUBLE.search(output)):
        if NETWORK_TROUBLE.search(output):
            pytest.skip("no network to install the hook's environment")
    return result.returncode, output


def test_hook_passes_on_a_clean_file_and_fails_naming_a_bad_one(user_repo, hook_repo, tmp_path):
    code, output = _try_repo(user_repo, hook_repo, tmp_path, "migrations/002-add-nickname.py")
    assert code == 0, output
    assert re.search(r"qscaffold lint\.+Passed", output), output

    code, output = _try_repo(user_repo, hook_repo, tmp_path, "migrations/003-broken.py")
    assert code == 1, output
    assert re.search(r"qscaffold lint\.+Failed", output), output
    assert "migrations/003-broken.py:6:14: QS010" in output
    assert "no such table: nope" in output

    django = user_repo / "polls" / "migrations"
    django.mkdir(parents=True)
    (django / "0001_initial.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    initial = True\n    operations = []\n")
    code, output = _try_repo(user_repo, hook_repo, tmp_path, "polls/migrations/0001_initial.py")
    assert code == 0, output
    assert re.search(r"qscaffold lint\.+\(no files to check\)Skipped", output), output


def test_the_readme_documents_a_rev_that_exists_and_the_hook_s_own_pattern():
    """`rev: v0.1.0` was documented while no such tag existed; the local hook's pattern must
    be the manifest's."""
    readme = (REPO / "README.md").read_text()
    revs = re.findall(r"^\s*rev:\s*(\S+)", readme, re.M)
    assert revs
    tags = set()
    if shutil.which("git") and (REPO / ".git").exists():
        listed = subprocess.run(["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True)
        tags = set(listed.stdout.split())
    for rev in revs:
        assert rev == "<commit>" or re.fullmatch(r"[0-9a-f]{40}", rev) or rev in tags, rev
    assert "pre-commit autoupdate --bleeding-edge --freeze" in readme
    manifest = (REPO / ".pre-commit-hooks.yaml").read_text()
    pattern = re.search(r"^\s*files:\s*(.+)$", manifest, re.M).group(1).strip()
    assert f"files: {pattern}" in readme
