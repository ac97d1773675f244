"""The plugin's node ids under pytest 8 and 9, as a user's own pytest runs them.

pytest 9 compares structured node ids: an item whose id was built from a name holding
``[…]`` did not match the id pytest cached for it, so ``--lf`` skipped the failed
``test_up_down_consistency[...]`` items. And ``qscaffold::…`` ids, reported for every item,
were refused as "file or directory not found" when passed back. Each run here is a real
``python -m pytest`` in a throwaway project; the major version that is not installed is
fetched into a folder of its own (``pip install --target``), skipped when it cannot be.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FAILED_ITEM = "qscaffold::test_up_down_consistency[002-add-nick]"


@pytest.fixture(scope="module", params=["8", "9"])
def pytest_env(request, tmp_path_factory) -> dict:
    """The environment in which ``python -m pytest`` is pytest ``request.param``.x."""
    major = request.param
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "QSCAFFOLD_")) and k != "PYTHONPATH"}
    env["EXPECTED_PYTEST_MAJOR"] = major
    if pytest.__version__.split(".")[0] == major:
        return env
    folder = tmp_path_factory.mktemp(f"pytest{major}")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                             "--disable-pip-version-check", "--target", str(folder),
                             f"pytest>={major},<{int(major) + 1}"],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"pytest {major} cannot be installed here: {result.stderr.strip()[-200:]}")
    env["PYTHONPATH"] = str(folder)
    return env


def run_pytest(project: Path, env: dict, *args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-q", *args], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\nqscaffold_tests = true\n")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001-create-users.py").write_text(textwrap.dedent('''\
        name = "Create users"
        version = 1


        def up(db):
            db.exec("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY)")


        def down(db):
            db.exec("DROP TABLE IF EXISTS users")
        '''))
    (migrations / "002-add-nick.py").write_text(textwrap.dedent('''\
        name = "Add nick"
        version = 2


        def up(db):
            db.exec("ALTER TABLE users ADD COLUMN nick TEXT")


        def down(db):
            db.exec("SELECT 1")  # forgets to drop the column
        '''))
    (tmp_path / "test_app.py").write_text("def test_app():\n    pass\n")
    return tmp_path


def test_lf_reruns_the_failed_items_and_their_ids_work_on_the_command_line(project, pytest_env):
    code, output = run_pytest(project, pytest_env)
    version = re.search(r"platform \S+ -- Python \S+, pytest-(\d+)", run_pytest(project, pytest_env, "-v")[1])
    assert code == 1, output
    assert f"FAILED {FAILED_ITEM}" in output

    code, output = run_pytest(project, pytest_env, "--lf")
    assert code == 1, output
    assert f"FAILED {FAILED_ITEM}" in output
    assert "PASSED test_app.py::test_app" not in output  # only the failures are rerun
    assert re.search(r"2 failed, \d+ deselected", output), output

    code, output = run_pytest(project, pytest_env, FAILED_ITEM)
    assert code == 1, output
    assert f"FAILED {FAILED_ITEM}" in output and "1 failed" in output
    assert "file or directory not found" not in output

    code, output = run_pytest(project, pytest_env, "qscaffold::test_upgrade", "test_app.py")
    assert code == 0 and "2 passed" in output, output

    code, output = run_pytest(project, pytest_env, "qscaffold::test_nothing")
    assert code != 0 and "qscaffold: no such test: qscaffold::test_nothing" in output
    assert version is not None and version.group(1) == pytest_env["EXPECTED_PYTEST_MAJOR"]
