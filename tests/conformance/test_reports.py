"""Reports without a certification run: writers, signing, verification and the regression gate,
on reports built in memory from synthetic results (docs/concepts/reports.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from helpers import synthetic_report
from jsonschema import Draft202012Validator

from orbitcert.conformance import Verdict, diff_reports, load_report, verify_report, write_reports
from orbitcert.conformance.schemas import load_schema
from orbitcert.conformance.signing import generate_key, sign_report, verify_signature
from orbitcert.conformance.writers import report_html, report_junit, report_markdown
from orbitcert.specs.errors import ReportError, SignatureError


def _write(tmp_path: Path, verdicts: dict[str, Verdict] | None = None, **kw: Any) -> Path:
    _, paths = write_reports(synthetic_report(verdicts, **kw), tmp_path, ("json", "html", "junit", "md"))
    (json_path,) = [p for p in paths if p.suffix == ".json"]
    return json_path


def test_json_is_schema_valid_canonical_and_written_last(tmp_path: Path) -> None:
    _, paths = write_reports(synthetic_report(), tmp_path, ("md", "json", "html"))
    assert [p.suffix for p in paths][-1] == ".json", "the JSON marks a complete set of files: written last"
    raw = paths[-1].read_bytes()
    data = json.loads(raw)
    assert not list(Draft202012Validator(load_schema("report.schema.json")).iter_errors(data))
    assert raw == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_html_is_self_contained_and_ordered() -> None:
    html = report_html(synthetic_report({"OISL-COD-009": Verdict.failed}))
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    summary, classes, reqs = (html.index(f"<h2>{h}</h2>") for h in ("Summary", "Conformance classes", "Requirements"))
    assert summary < classes < reqs
    assert "OISL-COD-009 broke" in html and "not-certified" in html
    assert "<td>SHALL</td>" in html and "Level." not in html


def test_junit_names_requirements_and_failures() -> None:
    root = ET.fromstring(report_junit(synthetic_report({"OISL-COD-002": Verdict.failed, "OISL-COD-003": Verdict.error})))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("errors") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    props = [p.get("value") for p in cases["test_OISL-COD-002"].iter("property") if p.get("name") == "requirement"]
    assert props == ["OISL-COD-002"]
    assert cases["test_OISL-COD-002"].find("failure") is not None and cases["test_OISL-COD-003"].find("error") is not None


def test_markdown_summarises_for_a_pull_request() -> None:
    md = report_markdown(synthetic_report({"OISL-COD-004": Verdict.failed}))
    assert "**not-certified**" in md and "`OISL-COD-004` (SHALL) fail" in md


def test_a_signed_report_verifies_and_any_change_breaks_it(tmp_path: Path) -> None:
    path = _write(tmp_path)
    problems, notes = verify_report(path)
    assert not problems, problems
    assert any("signature valid" in n for n in notes) and any("follow from the test outcomes" in n for n in notes)
    data = json.loads(path.read_text())
    data["requirements"][0]["verdict"] = "fail"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    problems, _ = verify_report(tampered)
    assert any("altered" in p for p in problems)
    assert any(p.startswith("requirement OISL-COD-001") for p in problems)


def test_a_re_signed_lie_is_caught_by_the_roll_up(tmp_path: Path) -> None:
    """Whoever holds a key can sign anything; verify recomputes every verdict from the tests."""
    lie = synthetic_report({"OISL-COD-007": Verdict.failed})
    lie.requirements[6].verdict = Verdict.passed
    signed = sign_report(lie, generate_key())
    path = tmp_path / "lie.json"
    path.write_text(json.dumps(signed.model_dump(mode="json", by_alias=True)))
    problems, _ = verify_report(path)
    assert any("OISL-COD-007" in p for p in problems)


def test_signature_checks() -> None:
    key, other = generate_key(), generate_key()
    signed = sign_report(synthetic_report(), key)
    assert verify_signature(signed, key.public_key())
    with pytest.raises(SignatureError, match="not by the trusted key"):
        verify_signature(signed, other.public_key())
    with pytest.raises(SignatureError, match="not signed"):
        verify_signature(synthetic_report())


def test_diff_finds_regressions_improvements_and_changes() -> None:
    good, bad = synthetic_report(), synthetic_report({"OISL-COD-002": Verdict.failed}, version="2.1")
    worse = diff_reports(good, bad)
    assert "requirement OISL-COD-002: pass -> fail" in worse.regressions
    assert "class coding: certified -> not-certified" in worse.regressions
    assert "product version 2.0 -> 2.1" in worse.changes
    better = diff_reports(bad, good)
    assert not better.regressions and "requirement OISL-COD-002: fail -> pass" in better.improvements
    assert diff_reports(good, good).regressions == []


def test_diff_counts_a_passed_test_that_vanished() -> None:
    before, after = synthetic_report(), synthetic_report()
    after.tests = after.tests[1:]
    assert any("passed before, missing now" in r for r in diff_reports(before, after).regressions)


def test_report_cli_verify_and_diff(tmp_path: Path, cli: Callable[..., Any]) -> None:
    good = _write(tmp_path / "good")
    bad = _write(tmp_path / "bad", {"OISL-COD-002": Verdict.failed})
    ok = cli("report", "verify", str(good))
    assert ok.code == 0 and "signature valid" in ok.stdout
    same = cli("report", "diff", str(good), str(good))
    assert same.code == 0 and "0 regression(s)" in same.stdout
    worse = cli("report", "diff", str(good), str(bad))
    assert worse.code == 1
    assert "REGRESSION requirement OISL-COD-002: pass -> fail" in worse.stdout
    assert "REGRESSION class coding: certified -> not-certified" in worse.stdout
    missing = cli("report", "diff", str(good), str(tmp_path / "nope.json"))
    assert missing.code == 2 and "cannot read report" in missing.stderr


def test_a_non_report_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"format": "orbitcert-report/1", "spec": {}}))
    with pytest.raises(ReportError, match="not a valid report") as info:
        load_report(path)
    assert info.value.path == str(path) and info.value.field


def test_diff_shows_a_change_in_thoroughness() -> None:
    thorough, hasty = synthetic_report(examples=200), synthetic_report(examples=30)
    assert "thoroughness: hypothesis examples 200 -> 30" in diff_reports(thorough, hasty).regressions
    assert "thoroughness: hypothesis examples 30 -> 200" in diff_reports(hasty, thorough).improvements
