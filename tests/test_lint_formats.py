"""Report formats: text, json, github workflow commands, SARIF 2.1.0."""

from __future__ import annotations

import json
import re

import pytest

from _lint_support import invoke, migration, write_py
from qscaffold import __version__
from qscaffold.lint.model import Finding, Severity
from qscaffold.lint.registry import all_rules
from qscaffold.lint.report import render, render_github

BAD = migration(1, '''\
    db.exec("""
        CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY);
        ALTER TABLE nope ADD COLUMN x TEXT;
    """)
    name = "t"
    db.exec(f"UPDATE {name} SET id = id")
''', None)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root for SARIF uris
    write_py(tmp_path / "migrations", "001-bad.py", BAD)
    return tmp_path


def _run(project, monkeypatch, fmt):
    result = invoke(["lint", "--format", fmt], project, monkeypatch)
    assert result.exit_code == 1, result.output
    return result


def test_text_lines_and_summary(project, monkeypatch):
    lines = _run(project, monkeypatch, "text").stdout.splitlines()
    assert re.fullmatch(r"migrations/001-bad\.py:8:9: QS010 SQLite rejects this statement: "
                        r"no such table: nope", lines[1]), lines
    assert [line.split(": ")[1].split()[0] for line in lines[:-1]] == ["QS206", "QS010", "QS003"]
    assert lines[-1] == "Found 3 findings: 1 error, 1 warning, 1 info."


def test_json_is_a_list_of_findings(project, monkeypatch):
    data = json.loads(_run(project, monkeypatch, "json").stdout)
    assert isinstance(data, list) and len(data) == 3
    for item in data:
        assert set(item) == {"path", "line", "column", "code", "severity", "message"}
        assert item["path"] == "migrations/001-bad.py"
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
        assert item["severity"] in {"error", "warning", "info"}
    assert [d["code"] for d in data] == ["QS206", "QS010", "QS003"]


WORKFLOW_RE = re.compile(
    r"::(error|warning|notice) file=([^,:]+),line=(\d+),col=(\d+),title=(QS\d{3})::(.+)")


def test_github_commands_only_on_stdout_errors_first(project, monkeypatch):
    result = _run(project, monkeypatch, "github")
    lines = result.stdout.splitlines()
    matches = [WORKFLOW_RE.fullmatch(line) for line in lines]
    assert all(matches), lines
    assert [m.group(1) for m in matches] == ["error", "warning", "notice"]
    assert [m.group(5) for m in matches] == ["QS010", "QS206", "QS003"]
    assert matches[0].group(2) == "migrations/001-bad.py"
    assert "Found 3 findings" in result.stderr


def _finding(i, severity, message="m"):
    return Finding("/x/migrations/001-a.py", i + 1, 1, "QS010", severity, message)


def test_github_escapes_and_notes_the_annotation_cap():
    findings = [_finding(i, Severity.WARNING) for i in range(3)]
    findings += [_finding(i, Severity.ERROR, "50% done\nnext, line") for i in range(12)]
    out, err = render_github(findings)
    lines = out.splitlines()
    assert len(lines) == 15
    assert all(line.startswith("::error ") for line in lines[:12])
    assert all(line.startswith("::warning ") for line in lines[12:])
    assert lines[0].endswith("::QS010 50%25 done%0Anext, line")
    assert "Found 15 findings: 12 errors, 3 warnings, 0 info." in err
    assert "at most 10" in err and "2 errors" in err and "--format sarif" in err
    out, err = render_github([])
    assert out == "" and "no findings" in err


def _sarif(project, monkeypatch):
    return json.loads(_run(project, monkeypatch, "sarif").stdout)


def test_sarif_structure(project, monkeypatch):
    doc = _sarif(project, monkeypatch)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "qscaffold" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == list(rules)
    for item in driver["rules"]:
        rule = rules[item["id"]]
        assert item["shortDescription"]["text"] == rule.summary
        assert item["fullDescription"]["text"]
        assert item["help"]["text"] == rule.explanation
        assert item["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["QS206", "QS010", "QS003"]
    assert [r["level"] for r in results] == ["warning", "error", "note"]
    ids = [r["id"] for r in driver["rules"]]
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]
        (loc,) = r["locations"]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art == {"uri": "migrations/001-bad.py", "uriBaseId": "%SRCROOT%"}
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert re.fullmatch(r"[0-9a-f]{64}", r["partialFingerprints"]["qscaffold/v1"])


def test_sarif_fingerprints_survive_moved_lines(project, monkeypatch):
    before = _sarif(project, monkeypatch)["runs"][0]["results"]
    path = project / "migrations" / "001-bad.py"
    path.write_text("\n\n" + path.read_text().replace("def up(db):", "# moved\n\ndef up(db):"))
    after = _sarif(project, monkeypatch)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after] != \
        [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before]
    assert [r["partialFingerprints"] for r in after] == [r["partialFingerprints"] for r in before]
    # a different statement gets a different fingerprint
    path.write_text(path.read_text().replace("nope", "nope2"))
    changed = _sarif(project, monkeypatch)["runs"][0]["results"]
    assert changed[1]["ruleId"] == "QS010"
    assert changed[1]["partialFingerprints"] != before[1]["partialFingerprints"]
    assert changed[0]["partialFingerprints"] == before[0]["partialFingerprints"]


def test_identical_findings_get_distinct_fingerprints():
    findings = [Finding("/r/a.py", line, 1, "QS010", Severity.ERROR, "m", "SELECT 1")
                for line in (3, 9)]
    doc = json.loads(render(findings, "sarif")[0])
    prints = [r["partialFingerprints"]["qscaffold/v1"] for r in doc["runs"][0]["results"]]
    assert len(set(prints)) == 2


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        render([], "xml")
