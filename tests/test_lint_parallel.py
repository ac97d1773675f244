"""`qscaffold lint` on a large folder checks it with several processes (Linux): each replays
the schema the files before its share build. The findings must not depend on it."""

from __future__ import annotations

import sys

import pytest

from _lint_support import invoke, random_chain, write_chain
from qscaffold.config import load_settings
from qscaffold.lint import engine

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="lint checks in several processes on Linux only")


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    """A chain of PARALLEL_MIN_FILES + 20 migrations with findings all along it."""
    root = tmp_path_factory.mktemp("parallel")
    folder = root / "migrations"
    write_chain(folder, random_chain(7, engine.PARALLEL_MIN_FILES + 20))
    return root, folder


def _key(findings):
    return [(f.path, f.line, f.column, f.code, f.message) for f in findings]


def test_several_processes_report_what_one_does(big_folder):
    root, folder = big_folder
    settings = load_settings(cwd=root)
    one = engine.lint_paths([str(folder)], settings=settings, jobs=1)
    assert len({f.path for f in one}) > engine.PARALLEL_MIN_FILES // 2
    # findings late in the chain depend on the schema the early files build
    late = [f for f in one if int(f.path.rsplit("-", 1)[-1][:-3]) > engine.PARALLEL_MIN_FILES // 2]
    assert {"QS010", "QS207"} <= {f.code for f in late}
    assert _key(engine.lint_paths([str(folder)], settings=settings, jobs=2)) == _key(one)


@pytest.mark.parametrize("workers", [2, 3, 4, 7])
def test_shares_checked_apart_add_up_to_the_whole(big_folder, workers):
    root, folder = big_folder
    settings = load_settings(cwd=root)
    options = engine.make_options(settings.target_sqlite, settings.select, settings.ignore)
    chain = engine._chain(folder.resolve(), set())
    wanted = set(chain)
    whole = engine._lint_share(chain, wanted, 0, len(chain), options)
    parts = [f for start, stop in engine._shares(chain, wanted, workers)
             for f in engine._lint_share(chain, wanted, start, stop, options)]
    assert _key(engine.sort_findings(parts)) == _key(engine.sort_findings(whole))


def test_the_cli_reports_the_same_with_any_jobs(big_folder, monkeypatch):
    root, folder = big_folder
    outputs = []
    for jobs in ("1", "2", "0"):
        result = invoke(["lint", str(folder), "--jobs", jobs, "--format", "json"], root, monkeypatch)
        assert result.exit_code == 1, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].count('"code"') > engine.PARALLEL_MIN_FILES


def test_a_negative_jobs_count_is_a_usage_error(big_folder, monkeypatch):
    root, folder = big_folder
    result = invoke(["lint", str(folder), "--jobs", "-1"], root, monkeypatch)
    assert result.exit_code == 2
    assert "--jobs" in result.output


@pytest.mark.parametrize("workers", [2, 3, 4, 8])
def test_shares_cover_the_chain_once_and_balance_replay_against_checking(workers):
    chain = [engine.Path(f"{i:04d}-m.py") for i in range(1000)]
    shares = engine._shares(chain, set(chain), workers)
    assert shares[0][0] == 0 and shares[-1][1] == 1000
    assert all(a[1] == b[0] for a, b in zip(shares, shares[1:]))
    costs = [engine._REPLAY_COST * start + (stop - start) for start, stop in shares]
    assert max(costs) - min(costs) <= 2
    # later shares are shorter: their processes replay what comes before them first
    assert [stop - start for start, stop in shares] == sorted((stop - start for start, stop in shares),
                                                              reverse=True)


def test_small_folders_and_jobs_1_stay_in_one_process():
    assert engine._workers(0, engine.PARALLEL_MIN_FILES - 1) == 1
    assert engine._workers(1, 10_000) == 1
    assert engine._workers(4, 10_000) == 4
    assert engine._workers(8, engine.PARALLEL_MIN_FILES) == 2  # at least 50 files each
    usable = len(engine.os.sched_getaffinity(0))
    assert engine._workers(0, 100_000) == min(usable, engine._AUTO_MAX_WORKERS)
    assert engine._workers(16, 100_000) == 16  # asked for explicitly


def test_the_cache_gives_what_a_cold_run_gives_with_several_processes(big_folder, monkeypatch):
    root, folder = big_folder
    monkeypatch.chdir(root)  # no pyproject.toml: the cache goes to the current folder
    settings = load_settings(cwd=root)
    cold = _key(engine.lint_paths([str(folder)], settings=settings, jobs=1))
    first = engine.lint_paths([str(folder)], settings=settings, jobs=2, cache=True)
    assert _key(first) == cold
    # an edit in the middle: the files after it are checked again, from a saved schema state
    files = sorted(folder.iterdir())
    middle = files[len(files) // 2]
    original = middle.read_text()
    try:
        middle.write_text(original + "\n# an edit\n")
        again = engine.lint_paths([str(folder)], settings=settings, jobs=2, cache=True)
        assert _key(again) == _key(engine.lint_paths([str(folder)], settings=settings, jobs=1))
    finally:
        middle.write_text(original)
    assert _key(engine.lint_paths([str(folder)], settings=settings, jobs=2, cache=True)) == cold
    assert (root / ".qscaffold_cache" / ".gitignore").is_file()
