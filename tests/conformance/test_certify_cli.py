"""`orbitcert certify` end to end: the reference is certified, broken products are not, bad input exits 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orbitcert.conformance.schemas import load_schema

TESTS = Path(__file__).resolve().parent.parent
FAST = ["--examples", "8"]


def run(*args: str, cwd: Path = TESTS, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: `broken_impls` is importable because certify runs with cwd = tests/.
    full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600,
    )


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "net-optical-isl-1.0.0.json").read_text())
    return data


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("ref")
    return run("certify", "--out", str(out), *FAST), out


def test_reference_is_certified(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, out = reference_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = report(out)
    assert data["decision"] == "certified"
    assert data["spec"]["id"] == "net-optical-isl" and data["spec"]["digest"].startswith("sha256:")
    assert data["implementation"]["name"] == "orbitcert-reference-optical"
    assert {c["id"]: c["decision"] for c in data["classes"]} == {"coding": "certified"}
    assert all(r["verdict"] == "pass" for r in data["requirements"]), [r for r in data["requirements"] if r["verdict"] != "pass"]
    assert "Certification" in proc.stdout and "certified" in proc.stdout


def test_report_json_is_schema_valid_and_complete(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = reference_run
    data = report(out)
    errors = list(Draft202012Validator(load_schema("report.schema.json")).iter_errors(data))
    assert not errors, errors[0].message
    for key in ("spec", "implementation", "ics", "environment", "tests", "requirements", "classes", "decision", "signature"):
        assert data[key], key
    for t in data["tests"]:
        assert t["requirements"] and t["verdict"] and t["duration"] >= 0 and "::" in t["nodeid"]
    assert {"orbitcert", "python", "platform", "started", "finished"} <= set(data["environment"])


def test_html_report_is_self_contained_and_ordered(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = reference_run
    html = (out / "net-optical-isl-1.0.0.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    summary, classes, reqs = (html.index(f"<h2>{h}</h2>") for h in ("Summary", "Conformance classes", "Requirements"))
    assert summary < classes < reqs
    assert "OISL-COD-009" in html and "certified" in html


def test_junit_and_markdown_name_requirements(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = reference_run
    junit = (out / "net-optical-isl-1.0.0.junit.xml").read_text()
    assert '<property name="requirement" value="OISL-COD-001"' in junit
    assert "**certified**" in (out / "net-optical-isl-1.0.0.md").read_text()


@pytest.mark.parametrize(
    ("factory", "must_fail"),
    [
        ("broken_impls:wrong_seed", {"OISL-COD-002"}),
        ("broken_impls:conventional", {"OISL-COD-003", "OISL-COD-004"}),
        ("broken_impls:miscorrecting", {"OISL-COD-009"}),
    ],
)
def test_broken_products_are_not_certified(tmp_path: Path, factory: str, must_fail: set[str]) -> None:
    proc = run("certify", "--impl", factory, "--out", str(tmp_path), *FAST)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = report(tmp_path)
    assert data["decision"] == "not-certified"
    failed = {r["id"] for r in data["requirements"] if r["verdict"] == "fail"}
    assert must_fail <= failed, failed
    (coding,) = data["classes"]
    assert must_fail <= set(coding["failed"])
    assert all(rid in coding["reason"] for rid in must_fail)
    assert data["implementation"]["factory"] == factory
    assert data["ics"]["generated"] is True, "no --ics: the product claims every class and option"


def test_restricted_ics_makes_tests_not_applicable(tmp_path: Path) -> None:
    ics = tmp_path / "ics.yaml"
    ics.write_text(
        "spec: net-optical-isl@1.0.0\nproduct: {name: small-modem, version: '1'}\nclasses: [coding]\n"
        "items:\n  rs_interleaving_depths: [5]\n  randomizer: false\n"
    )
    proc = run("certify", "--impl", "orbitcert.reference_impl.optical.iut:create", "--ics", str(ics), "--out", str(tmp_path), *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = report(tmp_path)
    verdicts = {r["id"]: r for r in data["requirements"]}
    assert verdicts["OISL-COD-002"]["verdict"] == "not-applicable" and "randomizer" in verdicts["OISL-COD-002"]["reason"]
    assert verdicts["OISL-COD-006"]["verdict"] == "not-applicable"
    na = [t for t in data["tests"] if t["verdict"] == "not-applicable"]
    assert any("8 in rs_interleaving_depths" in t["message"] for t in na)
    assert not any(t["nodeid"].endswith("[I5]") and t["verdict"] == "not-applicable" and "rs_interleaving" in t["message"] for t in na)
    assert data["implementation"]["name"] == "small-modem"


def _stable(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in ("environment", "signature")}
    data["tests"] = [{k: v for k, v in t.items() if k != "duration"} for t in data["tests"]]
    return data


def test_xdist_report_equals_serial_report(tmp_path: Path, reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc = run("certify", "-n", "2", "--out", str(tmp_path), *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    parallel, serial = report(tmp_path), report(reference_run[1])
    assert parallel["environment"]["workers"] == 2
    assert _stable(parallel) == _stable(serial)


def test_crashed_worker_is_an_error_and_identity_survives_xdist(tmp_path: Path) -> None:
    """A product that kills its test process: under -n 2 that test is an error (never a pass),
    and the report still names the product as it declares itself (identity travels from workers)."""
    proc = run("certify", "--impl", "broken_impls:crashes", "-n", "2", "--out", str(tmp_path), *FAST)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = report(tmp_path)
    crashed = [t for t in data["tests"] if t["nodeid"].endswith("test_all_ones_frame_has_all_ones_check_symbols[I8]")]
    assert [t["verdict"] for t in crashed] == ["error"]
    assert {r["id"]: r["verdict"] for r in data["requirements"]}["OISL-COD-004"] == "error"
    assert data["decision"] == "not-certified"
    assert (data["implementation"]["name"], data["implementation"]["version"]) == ("broken-crashes", "6.6.6")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", "no-such-spec@1.0.0"], "no spec 'no-such-spec'"),
        (["--spec", "net-optical-isl@7.0.0"], "no version 7.0.0"),
        (["--impl", "no_such_module:create"], "cannot import module 'no_such_module'"),
        (["--impl", "broken_impls"], "malformed implementation reference"),
        (["--impl", "broken_impls:nothing_here"], "has no attribute 'nothing_here'"),
        (["--ics", "/nonexistent/ics.yaml"], "cannot read file"),
        (["--format", "json,pdf"], "unknown report format"),
        (["--timeout", "1e300"], "--timeout must be between 0"),
        (["--timeout", "-1"], "--timeout must be between 0"),
    ],
)
def test_bad_input_exits_2_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    proc = run("certify", "--out", str(tmp_path), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout


def test_invalid_ics_exits_2_naming_the_item(tmp_path: Path) -> None:
    ics = tmp_path / "ics.yaml"
    ics.write_text("spec: net-optical-isl@1.0.0\nclasses: [coding]\nitems:\n  rs_interleaving_depths: [1, 7]\n")
    proc = run("certify", "--ics", str(ics), "--out", str(tmp_path))
    assert proc.returncode == 2
    assert f"{ics}:4: items.rs_interleaving_depths:" in proc.stderr.replace("\n", "")
    assert not (tmp_path / "net-optical-isl-1.0.0.json").exists()


def test_factory_that_raises_gives_error_verdicts(tmp_path: Path) -> None:
    proc = run("certify", "--impl", "broken_impls:explodes", "--out", str(tmp_path), *FAST)
    assert proc.returncode == 1
    data = report(tmp_path)
    assert {t["verdict"] for t in data["tests"]} == {"error"}
    assert "factory failed" in data["tests"][0]["message"]


def test_report_verify_detects_tampering(tmp_path: Path, reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    good = reference_run[1] / "net-optical-isl-1.0.0.json"
    ok = run("report", "verify", str(good))
    assert ok.returncode == 0 and "signature valid" in ok.stdout
    data = json.loads(good.read_text())
    data["requirements"][0]["verdict"] = "fail"
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data))
    proc = run("report", "verify", str(bad))
    assert proc.returncode == 1
    assert "altered" in proc.stdout and "OISL-COD-001" in proc.stdout


def test_signing_with_a_key_and_trusted_verification(tmp_path: Path) -> None:
    key = tmp_path / "vendor.pem"
    assert run("keygen", str(key)).returncode == 0
    other = tmp_path / "other.pem"
    assert run("keygen", str(other)).returncode == 0
    out = tmp_path / "out"
    proc = run("certify", "--sign-key", str(key), "--out", str(out), "--format", "md", *FAST)
    assert proc.returncode == 0, proc.stderr
    path = out / "net-optical-isl-1.0.0.json"
    assert path.exists(), "the signed JSON record is written whatever --format says"
    assert (out / "net-optical-isl-1.0.0.md").exists() and not (out / "net-optical-isl-1.0.0.html").exists()
    assert run("report", "verify", str(path), "--public-key", f"{key}.pub").returncode == 0
    wrong = run("report", "verify", str(path), "--public-key", f"{other}.pub")
    assert wrong.returncode == 1 and "not by the trusted key" in wrong.stdout


def test_report_diff_is_a_regression_gate(tmp_path: Path, reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    good = reference_run[1] / "net-optical-isl-1.0.0.json"
    same = run("report", "diff", str(good), str(good))
    assert same.returncode == 0 and "0 regression(s)" in same.stdout
    broken_out = tmp_path / "broken"
    assert run("certify", "--impl", "broken_impls:wrong_seed", "--out", str(broken_out), *FAST).returncode == 1
    broken = broken_out / "net-optical-isl-1.0.0.json"
    worse = run("report", "diff", str(good), str(broken))
    assert worse.returncode == 1
    assert "REGRESSION requirement OISL-COD-002: pass -> fail" in worse.stdout
    assert "REGRESSION class coding: certified -> not-certified" in worse.stdout
    better = run("report", "diff", str(broken), str(good))
    assert better.returncode == 0 and "improved requirement OISL-COD-002: fail -> pass" in better.stdout
    missing = run("report", "diff", str(good), str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read report" in missing.stderr
