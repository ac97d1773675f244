"""The lint cache, ``.qscaffold_cache/``: same verdicts as without it, keyed by every earlier file."""

from __future__ import annotations

import json
import os

import pytest

from qscaffold.lint import engine
from _lint_support import invoke, migration, write_py

CREATE_T = migration(1, '    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")\n',
                     '    db.exec("DROP TABLE IF EXISTS t")\n')
CREATE_U = migration(1, '    db.exec("CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY)")\n',
                     '    db.exec("DROP TABLE IF EXISTS u")\n')
ADD_B = migration(2, '    db.exec("ALTER TABLE t ADD COLUMN b TEXT")\n',
                  '    db.exec("ALTER TABLE t DROP COLUMN b")\n')


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.qscaffold]\nmigrations_dir = "db/migrations"\n')
    folder = tmp_path / "db" / "migrations"
    write_py(folder, "001-create-t.py", CREATE_T)
    write_py(folder, "002-add-b.py", ADD_B)
    return tmp_path


def lint_json(project, monkeypatch, *args):
    result = invoke(["lint", "--format", "json", *args], project, monkeypatch)
    return result.exit_code, json.loads(result.stdout)


def test_the_cache_lives_beside_pyproject_and_ignores_itself(project, monkeypatch):
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    assert invoke(["lint"], project / "sub", monkeypatch).exit_code == 0
    cache = project / ".qscaffold_cache"
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert any(cache.rglob("r-*.json"))
    assert not (project / "sub" / ".qscaffold_cache").exists()


def test_no_cache_neither_reads_nor_writes(project, monkeypatch):
    assert invoke(["lint", "--no-cache"], project, monkeypatch).exit_code == 0
    assert not (project / ".qscaffold_cache").exists()


def test_editing_an_earlier_file_changes_later_verdicts(project, monkeypatch):
    later = str(project / "db" / "migrations" / "002-add-b.py")
    assert lint_json(project, monkeypatch, later) == (0, [])
    assert lint_json(project, monkeypatch, later) == (0, [])  # from the cache
    write_py(project / "db" / "migrations", "001-create-t.py", CREATE_U)  # t is gone
    code, found = lint_json(project, monkeypatch, later)
    assert code == 1
    assert [(d["code"], d["message"]) for d in found if d["code"] == "QS010"] == [
        ("QS010", "SQLite rejects this statement: no such table: t")]
    write_py(project / "db" / "migrations", "001-create-t.py", CREATE_T)  # and back
    assert lint_json(project, monkeypatch, later) == (0, [])


def test_settings_are_part_of_the_key(project, monkeypatch):
    later = str(project / "db" / "migrations" / "002-add-b.py")
    assert lint_json(project, monkeypatch, later) == (0, [])
    code, found = lint_json(project, monkeypatch, "--target-sqlite", "3.30.0", later)
    assert code == 1 and {d["code"] for d in found} == {"QS130"}  # DROP COLUMN needs 3.35
    assert lint_json(project, monkeypatch, later) == (0, [])


def test_warm_findings_equal_cold_ones_noqa_and_fixes_included(project, monkeypatch):
    folder = project / "db" / "migrations"
    write_py(folder, "003-seed.py", migration(3, '''\
    db.exec("INSERT IGNORE INTO t (id) VALUES (1)")
    db.exec("UPDATE t SET b = 'x'")  # qscaffold: noqa: QS401
    db.exec("SELECT 1")  # qscaffold: noqa: QS201
''', '    db.exec("DELETE FROM t WHERE id = 1")\n'))
    cold = lint_json(project, monkeypatch, "--no-cache")
    first = lint_json(project, monkeypatch)
    warm = lint_json(project, monkeypatch)
    assert cold == first == warm
    codes = [d["code"] for d in warm[1]]
    assert "QS004" in codes  # the unused noqa is still reported from the cache
    assert [d["fix"]["replacement"] for d in warm[1] if "fix" in d] == ["INSERT OR IGNORE INTO t (id) VALUES (1)"]


def test_the_newest_file_is_checked_again_from_a_saved_schema_state(project, monkeypatch):
    folder = project / "db" / "migrations"
    for n in range(3, 8):
        write_py(folder, f"00{n}-t{n}.py", migration(
            n, f'    db.exec("CREATE TABLE IF NOT EXISTS t{n} (id INTEGER PRIMARY KEY)")\n',
            f'    db.exec("DROP TABLE IF EXISTS t{n}")\n'))
    newest = folder / "007-t7.py"
    assert invoke(["lint", str(newest)], project, monkeypatch).exit_code == 0
    read = []
    real = engine.extract
    monkeypatch.setattr(engine, "extract", lambda path, **kw: read.append(path.name) or real(path, **kw))
    assert invoke(["lint", str(newest)], project, monkeypatch).exit_code == 0
    assert read == []  # cached verdict: nothing read as SQL
    write_py(folder, "007-t7.py", migration(
        7, '    db.exec("ALTER TABLE t6 ADD COLUMN note TEXT")\n', '    db.exec("ALTER TABLE t6 DROP COLUMN note")\n'))
    code, found = lint_json(project, monkeypatch, str(newest))
    assert (code, found) == (0, [])  # t6 is known: the saved state holds it
    assert read == ["007-t7.py"]  # the 6 files before it were not replayed
    write_py(folder, "007-t7.py", migration(
        7, '    db.exec("ALTER TABLE t9 ADD COLUMN note TEXT")\n', '    db.exec("ALTER TABLE t9 DROP COLUMN note")\n'))
    code, found = lint_json(project, monkeypatch, str(newest))
    assert code == 1 and [d["code"] for d in found] == ["QS010"]


def test_a_later_file_sharing_the_version_is_seen_by_a_cached_file(project, monkeypatch):
    earlier = str(project / "db" / "migrations" / "002-add-b.py")
    assert lint_json(project, monkeypatch, earlier) == (0, [])
    write_py(project / "db" / "migrations", "002-other.py", migration(2, "    pass\n"))
    code, found = lint_json(project, monkeypatch, earlier)
    assert ("QS906", "version 2 is also used by 002-other.py: renumber one of them") in \
        [(d["code"], d["message"]) for d in found]


def test_a_damaged_cache_is_ignored(project, monkeypatch):
    later = str(project / "db" / "migrations" / "002-add-b.py")
    lint_json(project, monkeypatch, later)
    for entry in (project / ".qscaffold_cache").rglob("*.json"):
        entry.write_text("{not json")
    write_py(project / "db" / "migrations", "001-create-t.py", CREATE_U)
    write_py(project / "db" / "migrations", "001-create-t.py", CREATE_T)
    assert lint_json(project, monkeypatch, later) == (0, [])
    for entry in (project / ".qscaffold_cache").rglob("r-*.json"):
        entry.write_text(json.dumps({"raws": [["x"]], "noqas": []}))
    assert lint_json(project, monkeypatch, later) == (0, [])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user who cannot write everywhere")
def test_an_unwritable_project_lints_without_a_cache(project, monkeypatch):
    project.chmod(0o555)
    try:
        assert invoke(["lint"], project, monkeypatch).exit_code == 0
    finally:
        project.chmod(0o755)
    assert not (project / ".qscaffold_cache").exists()


def test_an_unwritable_cache_folder_is_not_an_error(project, monkeypatch):
    (project / ".qscaffold_cache").write_text("a file where the folder would go")
    result = invoke(["lint"], project, monkeypatch)
    assert result.exit_code == 0 and result.stderr == ""


def test_old_schema_states_are_dropped(project, monkeypatch):
    from qscaffold.lint import cache

    monkeypatch.setattr(cache, "KEEP_STATES", 2)
    folder = project / "db" / "migrations"
    for n in range(3, 8):  # each new newest file: a new state before it is saved
        write_py(folder, f"00{n}-t{n}.py", migration(
            n, f'    db.exec("CREATE TABLE IF NOT EXISTS t{n} (id INTEGER PRIMARY KEY)")\n',
            f'    db.exec("DROP TABLE IF EXISTS t{n}")\n'))
        assert invoke(["lint", str(folder / f"00{n}-t{n}.py")], project, monkeypatch).exit_code == 0
    states = list((project / ".qscaffold_cache").rglob("s-*.json"))
    assert len(states) == 2
    assert lint_json(project, monkeypatch, "--no-cache") == lint_json(project, monkeypatch)
