"""Output formats for lint findings: text, json, github (workflow commands) and SARIF 2.1.0.

:func:`render` returns ``(stdout, stderr)`` text; printing is the command line's job.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .model import Finding

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/qscaffold/"
GITHUB_CAP = 10  # annotations shown per type and step
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def display_path(path: str, cwd: Path | None = None) -> str:
    """``path`` relative to the current folder when it is inside it, else as it is."""
    cwd = Path.cwd() if cwd is None else cwd
    try:
        candidate = Path(path)
        if not candidate.is_absolute():
            return path
        return candidate.relative_to(cwd).as_posix()
    except ValueError:
        return path


def _ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (display_path(f.path), f.line, f.column, f.code))


def counts(findings: Iterable[Finding]) -> Counter:
    return Counter(f.severity.value for f in findings)


def summary_line(findings: list[Finding]) -> str:
    if not findings:
        return "All checks passed: no findings."
    c = counts(findings)
    parts = [f"{c['error']} error{'s' if c['error'] != 1 else ''}",
             f"{c['warning']} warning{'s' if c['warning'] != 1 else ''}",
             f"{c['info']} info"]
    total = len(findings)
    return f"Found {total} finding{'s' if total != 1 else ''}: {', '.join(parts)}."


def render(findings: list[Finding], fmt: str = "text", *, rules=None) -> tuple[str, str]:
    """The report in ``fmt``: ``(stdout, stderr)``."""
    if fmt == "text":
        return render_text(findings), ""
    if fmt == "json":
        return render_json(findings), ""
    if fmt == "github":
        return render_github(findings)
    if fmt == "sarif":
        return render_sarif(findings, rules=rules), ""
    raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def render_text(findings: list[Finding]) -> str:
    lines = [f"{display_path(f.path)}:{f.line}:{f.column}: {f.code} {f.message}"
             for f in _ordered(findings)]
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"


def render_json(findings: list[Finding]) -> str:
    items = []
    for f in _ordered(findings):
        item = f.to_dict()
        item["path"] = display_path(f.path)
        items.append(item)
    import json  # only the JSON formats need it

    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: list[Finding]) -> tuple[str, str]:
    """Workflow commands on stdout, errors first, then warnings, then notices; the true
    totals (and a note when GitHub's 10-per-type cap hides some) go to stderr."""
    ordered = sorted(findings, key=lambda f: (f.severity.rank, display_path(f.path), f.line,
                                              f.column, f.code))
    out = []
    for f in ordered:
        level = _GITHUB_LEVEL[f.severity.value]
        props = (f"file={_escape_property(display_path(f.path))},line={f.line},"
                 f"col={f.column},title={_escape_property(f.code)}")
        out.append(f"::{level} {props}::{_escape_data(f'{f.code} {f.message}')}")
    c = counts(findings)
    err = [summary_line(findings)]
    hidden = {level: c[sev] - GITHUB_CAP for sev, level in _GITHUB_LEVEL.items()
              if c[sev] > GITHUB_CAP}
    if hidden:
        detail = ", ".join(f"{n} {level}s" for level, n in hidden.items())
        err.append(f"GitHub shows at most {GITHUB_CAP} annotations of each type per step: "
                   f"{detail} are not annotated; use --format sarif for all of them.")
    return ("\n".join(out) + "\n" if out else ""), "\n".join(err) + "\n"


def repository_root(start: Path | None = None) -> Path:
    """The nearest folder holding ``.git`` (the current folder when there is none)."""
    start = (Path.cwd() if start is None else start).resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _first_paragraph(text: str, heading: str) -> str:
    start = text.find(heading)
    if start < 0:
        return ""
    body = text[start + len(heading):].strip()
    end = body.find("\n## ")
    body = body if end < 0 else body[:end]
    return " ".join(body.split())


def fingerprint(finding: Finding, uri: str, occurrence: int = 0) -> str:
    """Stable across runs and line moves: code, path and the normalised statement (or the
    message, for file findings)."""
    basis = finding.statement or finding.message
    text = f"{finding.code}\0{uri}\0{' '.join(basis.split())}\0{occurrence}"
    import hashlib  # only fingerprints need it

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_sarif(findings: list[Finding], *, rules=None) -> str:
    from .. import __version__

    if rules is None:
        from .registry import all_rules

        rules = all_rules()
    root = repository_root()
    codes = sorted(rules)
    index = {code: i for i, code in enumerate(codes)}
    sarif_rules = []
    for code in codes:
        r = rules[code]
        explanation = r.explanation
        sarif_rules.append({
            "id": code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": _first_paragraph(explanation, "## What it does") or r.summary},
            "help": {"text": explanation, "markdown": explanation},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity.value]},
            "properties": {"tags": [r.severity.value]},
        })
    results = []
    seen: Counter = Counter()
    for f in _ordered(findings):
        uri, base = _artifact_uri(f.path, root)
        key = (f.code, uri, " ".join((f.statement or f.message).split()))
        occurrence = seen[key]
        seen[key] += 1
        location = {"physicalLocation": {
            "artifactLocation": {"uri": uri, **({"uriBaseId": base} if base else {})},
            "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
        }}
        result = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [location],
            "partialFingerprints": {"qscaffold/v1": fingerprint(f, uri, occurrence)},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fix is not None:
            result["fixes"] = [_sarif_fix(f.fix, location["physicalLocation"]["artifactLocation"])]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "qscaffold",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": sarif_rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
            "results": results,
        }],
    }
    import json

    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sarif_fix(fix, artifact: dict) -> dict:
    """SARIF's ``fix``: one replacement of the statement by its engine-checked SQLite form."""
    return {
        "description": {"text": f"Use the SQLite form: {fix.replacement}"},
        "artifactChanges": [{
            "artifactLocation": artifact,
            "replacements": [{
                "deletedRegion": {"startLine": fix.line, "startColumn": fix.column,
                                  "endLine": fix.end_line, "endColumn": fix.end_column},
                "insertedContent": {"text": fix.replacement},
            }],
        }],
    }


def _artifact_uri(path: str, root: Path) -> tuple[str, str | None]:
    candidate = Path(path)
    if not candidate.is_absolute():
        if path.startswith("<"):
            return path, None
        candidate = Path(os.path.abspath(candidate))
    try:
        return candidate.resolve().relative_to(root).as_posix(), "%SRCROOT%"
    except (ValueError, OSError):
        return candidate.as_uri(), None
