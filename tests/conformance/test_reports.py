"""Reports without a certification run: writers, signing, verification and the regression gate,
on reports built in memory from synthetic results (docs/concepts/reports.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from cryptography.hazmat.primitives import serialization
from helpers import certify_gate, key_in_keyring, synthetic_report
from jsonschema import Draft202012Validator

from orbitcert.conformance import Verdict, diff_reports, load_report, verify_report, write_reports
from orbitcert.conformance.schemas import load_schema
from orbitcert.conformance.signing import generate_key, sign_report, verify_signature
from orbitcert.conformance.verify import CHECKS, Verification
from orbitcert.conformance.writers import report_html, report_json, report_junit, report_markdown
from orbitcert.specs.digest import canonical_json
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


def _checks(v: Verification) -> dict[str, str]:
    return {c.name: c.status for c in v.checks}


def test_a_signed_report_verifies_and_any_change_breaks_it(tmp_path: Path) -> None:
    """A synthetic report has a fake suite digest and no real tests (checks 6 and 8 cannot pass;
    ``collect=False`` skips collecting the suite): every check that does not need the suite passes,
    and an edit to a verdict breaks the signature and the roll-up, each named."""
    path = _write(tmp_path)
    v = verify_report(path, collect=False)
    assert [c.number for c in v.checks] == list(range(1, 12))
    assert _checks(v) == {
        "json": "pass", "schema": "pass", "signatures": "pass", "trust": "fail", "spec": "pass", "suite": "fail",
        "ics": "pass", "coverage": "pass", "verdicts": "pass", "thoroughness": "pass", "delta": "pass",
    }
    assert v.check("signatures").messages[0].startswith("signature 1: vendor") and "valid" in v.check("signatures").messages[0]
    assert "recompute" in v.check("verdicts").messages[0]
    assert any("one-time key" in m for m in v.check("trust").failures), "certify without a key: nobody can trust it"
    data = json.loads(path.read_text())
    data["requirements"][0]["verdict"] = "fail"
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(canonical_json(data))  # as orbitcert writes it: only the content is wrong
    v = verify_report(tampered, collect=False)
    assert v.check("json").status == "pass" and v.check("schema").status == "pass"
    assert any("altered" in m for m in v.check("signatures").failures), v.check("signatures").messages
    assert any(m.startswith("requirement OISL-COD-001: report says fail") for m in v.check("verdicts").failures)
    assert v.exit_code == 1 and not v.intact and not v.trusted
    reserialised = tmp_path / "reserialised.json"
    reserialised.write_text(json.dumps(json.loads(path.read_text()), indent=1))  # same content, other bytes
    v = verify_report(reserialised, collect=False)
    assert v.check("json").status == "fail" and "canonical form" in v.check("json").failures[0]
    assert {c.status for c in v.checks[1:]} == {"skip"}


def test_a_re_signed_lie_is_caught_by_the_roll_up(tmp_path: Path) -> None:
    """Whoever holds a key can sign anything; verify recomputes every verdict from the tests."""
    lie = synthetic_report({"OISL-COD-007": Verdict.failed})
    lie.requirements[6].verdict = Verdict.passed
    signed = sign_report(lie, generate_key())
    path = tmp_path / "lie.json"
    path.write_bytes(report_json(signed))
    v = verify_report(path, collect=False)
    assert v.check("signatures").status == "pass", "the signature is good: the lie is in the content"
    assert any(m.startswith("requirement OISL-COD-007: report says pass, its tests give fail") for m in v.check("verdicts").failures)


def test_signature_checks() -> None:
    key, other = generate_key(), generate_key()
    signed = sign_report(synthetic_report(), key)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert verify_signature(signed, key.public_key()) == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert signed.signatures[0].role == "vendor" and base64.b64decode(signed.signatures[0].public_key) == raw
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


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real signed reports (the gate-demo spec of ``helpers.gate_catalog``, a few seconds each):
    a good product and one that fails GATE-002, signed with the vendor's key, and a third run
    signed with a one-time key; the vendor's keyring and another."""
    root = tmp_path_factory.mktemp("gate")
    key, ring = key_in_keyring(root, "vendor")
    _, other = key_in_keyring(root, "other")
    assert certify_gate(root, root / "good", "good", key) == 0
    assert certify_gate(root, root / "bad", "broken", key) == 1
    assert certify_gate(root, root / "oneoff", "good") == 0
    name = "gate-demo-1.0.0.json"
    return {"catalog": root / "catalog", "good": root / "good" / name, "bad": root / "bad" / name,
            "oneoff": root / "oneoff" / name, "ring": ring, "other": other}


def test_report_cli_verify_exit_codes_and_trust(gate: dict[str, Path], cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """0 only for an intact report whose vendor key is in a given keyring; 3 intact but untrusted
    (no keyring, another keyring, a one-time key); 1 a check failed."""
    monkeypatch.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)
    cat = ("--catalog", str(gate["catalog"]))
    ok = cli("report", "verify", str(gate["good"]), "--trusted-keys", str(gate["ring"]), *cat)
    assert ok.code == 0, ok.stdout
    lines = ok.stdout.splitlines()
    numbered = [m.groups() for ln in lines if (m := re.match(r"\s*(\d+) (\w+) +(pass|FAIL|skip)  ", ln))]
    assert numbered == [(str(i + 1), name, "pass") for i, (name, _) in enumerate(CHECKS)], ok.stdout
    assert "trusted by vendor-ring/vendor" in ok.stdout and lines[-1].startswith("VERIFIED:")
    for args in ((), ("--trusted-keys", str(gate["other"])), ("--trusted-keys", str(gate["ring"]))):
        path = gate["oneoff"] if args and args[1] == str(gate["ring"]) else gate["good"]
        untrusted = cli("report", "verify", str(path), *args, *cat)
        assert untrusted.code == 3, untrusted.stdout
        assert "NOT VERIFIED" in untrusted.stdout and "intact" in untrusted.stdout
    monkeypatch.setenv("ORBITCERT_TRUSTED_KEYS", str(gate["ring"]))
    assert cli("report", "verify", str(gate["good"]), *cat).code == 0, "the environment names keyrings too"
    monkeypatch.delenv("ORBITCERT_TRUSTED_KEYS")
    data = json.loads(gate["good"].read_text())
    data["tests"][0]["verdict"] = "fail"
    tampered = gate["good"].parent.parent / "tampered.json"
    tampered.write_bytes(canonical_json(data))
    bad = cli("report", "verify", str(tampered), "--trusted-keys", str(gate["ring"]), "--format", "json", *cat)
    assert bad.code == 1
    out = json.loads(bad.stdout)
    failed = {c["name"] for c in out["checks"] if c["status"] == "fail"}
    assert {"signatures", "trust", "verdicts"} <= failed and out["intact"] is False, failed
    assert out["signatures"][0]["valid"] is False and "altered" in out["signatures"][0]["problem"]


def test_report_cli_diff(gate: dict[str, Path], cli: Callable[..., Any], tmp_path: Path) -> None:
    """The gate on real reports (the command in full: tests/conformance/test_report_diff.py); a
    synthetic report, whose suite digest is fake, is refused as not verifying (exit 2)."""
    cat = ("--catalog", str(gate["catalog"]))
    same = cli("report", "diff", str(gate["good"]), str(gate["good"]), *cat)
    assert same.code == 0 and "0 regression(s)" in same.stdout
    worse = cli("report", "diff", str(gate["good"]), str(gate["bad"]), *cat)
    assert worse.code == 1
    assert "REGRESSION     requirement GATE-002: pass -> fail" in worse.stdout
    assert re.search(r"REGRESSION +class core: certified -> not-certified", worse.stdout), worse.stdout
    better = cli("report", "diff", str(gate["bad"]), str(gate["good"]), *cat)
    assert better.code == 0 and "requirement GATE-002: fail -> pass" in better.stdout
    missing = cli("report", "diff", str(gate["good"]), str(tmp_path / "nope.json"), *cat)
    assert missing.code == 2 and "cannot read report" in missing.stderr
    synthetic = _write(tmp_path / "synthetic")
    refused = cli("report", "diff", str(synthetic), str(synthetic))
    assert refused.code == 2 and "does not verify: check 6 suite:" in " ".join(refused.stderr.split())


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
