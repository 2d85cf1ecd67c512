"""``orbitcert certify`` end to end, and certification runs in process.

A few runs go through the real console script in a subprocess (the reference, and the -n 2 runs
where worker processes matter); everything else runs in this process through
:func:`~orbitcert.conformance.run_certification` or the in-process ``cli`` fixture.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orbitcert.conformance import Report, run_certification, verify_report
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.schemas import load_schema
from orbitcert.conformance.session import CertificationTarget
from orbitcert.specs.errors import InterfaceError

TESTS = Path(__file__).resolve().parent.parent
FAST = ["--examples", "25"]


def run(*args: str, cwd: Path = TESTS) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: `broken_impls` is importable because certify runs with cwd = tests/.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )


def certify(
    tmp_path: Path, impl: str | None = None, ics: Path | None = None, isolate: bool = True, **options: Any
) -> Report:
    """Certify net-optical-isl@1.0.0 in this process (tests/ is on sys.path for broken_impls)."""
    target = CertificationTarget.resolve("net-optical-isl@1.0.0", impl=impl, ics_path=ics)
    opts = RunOptions.create(out=tmp_path, examples=25, formats="json", isolate=isolate, **options)
    return run_certification(target, opts).report


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "net-optical-isl-1.0.0.json").read_text())
    return data


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("ref")
    return run("certify", "--spec", "net-optical-isl@1.0.0", "--out", str(out), *FAST), out


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
    assert (out / "net-optical-isl-1.0.0.log").exists()
    suite = data["suite"]
    assert {k: suite[k] for k in ("path", "origin")} == {"path": "suites/net-optical-isl", "origin": "bundled"}
    assert set(suite) == {"path", "origin", "digest", "files", "support"}
    assert "test_coding.py" in suite["files"] and suite["support"].startswith("sha256:")
    assert data["ics"]["source"] == "net-optical-isl.yaml", "no machine path in a signed report"


def test_no_arguments_certifies_every_bundled_spec(tmp_path: Path) -> None:
    """``orbitcert certify`` with no arguments: every bundled spec with a reference, at its latest
    published version (net-optical-isl 1.1.0, all five classes), each certified."""
    from orbitcert.reference_impl import REFERENCES
    from orbitcert.specs.loader import Catalog

    out = tmp_path / "all"
    proc = run("certify", "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    catalog = Catalog.discover()
    assert set(REFERENCES) == set(catalog.ids())
    for spec_id in catalog.ids():
        version = catalog.load(f"{spec_id}@latest").spec.version
        data = json.loads((out / f"{spec_id}-{version}.json").read_text())
        assert data["decision"] == "certified", (spec_id, [c for c in data["classes"] if c["decision"] != "certified"])
        assert f"{spec_id}@{version}" in proc.stdout
    optical = json.loads((out / "net-optical-isl-1.1.0.json").read_text())
    assert {c["id"]: c["decision"] for c in optical["classes"]} == dict.fromkeys(
        ("coding", "framing", "reliable", "acquisition", "budget"), "certified"
    )


def test_report_json_is_schema_valid_and_complete(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = reference_run
    data = report(out)
    errors = list(Draft202012Validator(load_schema("report.schema.json")).iter_errors(data))
    assert not errors, errors[0].message
    for key in ("spec", "implementation", "ics", "environment", "tests", "requirements", "classes", "decision", "signatures"):
        assert data[key], key
    assert data["format"] == "orbitcert-report/3"
    (vendor,) = data["signatures"]
    assert vendor["role"] == "vendor" and vendor["ephemeral"] is True, "no --sign-key: a one-time key, marked as such"
    raw = base64.b64decode(vendor["public_key"])
    assert len(raw) == 32 and vendor["key_id"] == "sha256:" + hashlib.sha256(raw).hexdigest(), "the key id is the key's fingerprint"
    for t in data["tests"]:
        assert t["requirements"] and t["verdict"] and t["duration"] >= 0 and "::" in t["nodeid"]
    assert {"orbitcert", "python", "platform", "started", "finished"} <= set(data["environment"])


def test_every_format_is_written(reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = reference_run
    html = (out / "net-optical-isl-1.0.0.html").read_text()
    assert not re.search(r"<script[^>]*\bsrc=|<link\b|@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert '<property name="requirement" value="OISL-COD-001"' in (out / "net-optical-isl-1.0.0.junit.xml").read_text()
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
    r = certify(tmp_path, impl=factory)
    assert r.decision.value == "not-certified"
    failed = {q.id for q in r.requirements if q.verdict.value == "fail"}
    assert must_fail <= failed, failed
    (coding,) = r.classes
    assert must_fail <= set(coding.failed)
    assert all(rid in coding.reason for rid in must_fail)
    assert r.implementation.factory == factory
    assert r.ics.generated is True, "no --ics: the product claims every class and option"


RESTRICTED_ICS = (
    "spec: net-optical-isl@1.0.0\nproduct: {name: small-modem, version: '1'}\nclasses: [coding]\n"
    "items:\n  rs_interleaving_depths: [5]\n  randomizer: false\n"
)


def test_restricted_ics_makes_tests_not_applicable(tmp_path: Path) -> None:
    """An honest product that implements only what its ICS declares is certified."""
    ics = tmp_path / "ics.yaml"
    ics.write_text(RESTRICTED_ICS)
    r = certify(tmp_path, impl="broken_impls:depth_five_only", ics=ics)
    assert r.decision.value == "certified", [(q.id, q.reason) for q in r.not_passed()] + [m.message for m in r.misdeclared]
    verdicts = {q.id: q for q in r.requirements}
    assert verdicts["OISL-COD-002"].verdict.value == "not-applicable" and "randomizer" in verdicts["OISL-COD-002"].reason
    assert verdicts["OISL-COD-006"].verdict.value == "not-applicable"
    na = [t for t in r.tests if t.verdict.value == "not-applicable"]
    assert any("8 in rs_interleaving_depths" in t.message for t in na)
    assert not any(t.nodeid.endswith("[I5]") and "rs_interleaving" in t.message for t in na)
    probes = {t.probe: t.observed for t in r.tests if t.probe}
    assert probes == {"randomizer": False, "shortened_codeblocks": False,
                      **{f"rs_interleaving_depths={d}": False for d in (1, 2, 3, 4, 8)}}
    assert not r.misdeclared
    assert r.implementation.name == "small-modem"


def test_a_product_that_does_more_than_it_declares_is_misdeclared(tmp_path: Path) -> None:
    """Declared versus observed: the reference implements every depth and the randomizer, but
    this ICS says it does not: misdeclared findings name the ICS items and fail the class."""
    ics = tmp_path / "ics.yaml"
    ics.write_text(RESTRICTED_ICS)
    r = certify(tmp_path, impl="orbitcert.reference_impl.optical.iut:create", ics=ics)
    assert r.decision.value == "not-certified"
    found = {(m.item, m.value) for m in r.misdeclared}
    assert found == {("randomizer", None), ("shortened_codeblocks", None),
                     *{("rs_interleaving_depths", str(d)) for d in (1, 2, 3, 4, 8)}}
    (coding,) = r.classes
    assert coding.decision.value == "not-certified" and "misdeclared: ICS item 'randomizer'" in coding.reason
    assert all(q.verdict.value in ("pass", "not-applicable") for q in r.requirements), "no requirement failed"
    v = verify_report(tmp_path / "net-optical-isl-1.0.0.json")
    assert v.intact, v.problems  # every check but trust: the report was signed with a one-time key
    assert v.exit_code == 3 and not v.trusted


def _stable(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in ("environment", "signatures")}
    data["tests"] = [{k: v for k, v in t.items() if k != "duration"} for t in data["tests"]]
    return data


def test_xdist_report_equals_serial_report(tmp_path: Path, reference_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc = run("certify", "--spec", "net-optical-isl@1.0.0", "-n", "2", "--out", str(tmp_path), *FAST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    parallel, serial = report(tmp_path), report(reference_run[1])
    assert parallel["environment"]["workers"] == 2
    assert _stable(parallel) == _stable(serial)


def test_crashed_worker_is_an_error_and_identity_survives_xdist(tmp_path: Path) -> None:
    """A product that kills its test process: under -n 2 that test is an error (never a pass),
    and the report still names the product as it declares itself (identity travels from workers)."""
    proc = run("certify", "--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls:crashes", "-n", "2", "--out", str(tmp_path), *FAST)
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
        (["--spec", "net-optical-isl@1.0.0", "--impl", "no_such_module:create"], "cannot import module 'no_such_module'"),
        (["--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls"], "malformed implementation reference"),
        (["--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls:nothing_here"], "has no attribute 'nothing_here'"),
        (["--impl", "broken_impls:crashes"], "which spec does the product implement? give --spec"),
        (["--impl-cmd", "true"], "the catalog has hw-compute-module, net-optical-isl, sec-link-security"),
        (["--ics", "/nonexistent/ics.yaml"], "cannot read file"),
        (["--format", "json,pdf"], "unknown report format"),
        (["--timeout", "1e300"], "timeout: must be between 0"),
        (["--timeout", "-1"], "timeout: must be between 0"),
        (["--examples", "0"], "examples: must be between 1"),
        (["--workers", "-3"], "workers: must be between 0"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    tmp_path: Path, cli: Callable[..., Any], args: list[str], message: str
) -> None:
    result = cli("certify", "--out", str(tmp_path), *args, cwd=TESTS)
    assert result.code == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not [p for p in tmp_path.iterdir() if p.suffix not in (".log", ".lock")], "bad input writes no report"


def test_invalid_ics_exits_2_naming_the_item(tmp_path: Path, cli: Callable[..., Any]) -> None:
    ics = tmp_path / "ics.yaml"
    ics.write_text("spec: net-optical-isl@1.0.0\nclasses: [coding]\nitems:\n  rs_interleaving_depths: [1, 7]\n")
    result = cli("certify", "--ics", str(ics), "--out", str(tmp_path))  # the ICS names the spec
    assert result.code == 2
    assert f"{ics}:4: items.rs_interleaving_depths:" in result.stderr.replace("\n", "")
    assert not (tmp_path / "net-optical-isl-1.0.0.json").exists()


def test_an_ics_without_a_spec_is_bad_input(tmp_path: Path, cli: Callable[..., Any]) -> None:
    ics = tmp_path / "ics.yaml"
    ics.write_text("classes: [coding]\n")
    result = cli("certify", "--ics", str(ics), "--out", str(tmp_path))
    assert result.code == 2 and "an ICS names the spec it answers" in result.stderr and str(ics) in result.stderr


def test_factory_that_raises(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """Isolated (the default), the product fails to start: exit 2 with its stderr. In process
    (--no-isolate), every test gets an error verdict."""
    result = cli("certify", "--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls:explodes", "--out", str(tmp_path / "iso"), cwd=TESTS)
    assert result.code == 2 and "failed hello" in result.stderr
    assert "the product's factory failed: RuntimeError: factory failed" in result.stderr
    assert "Traceback" not in result.stderr
    r = certify(tmp_path, impl="broken_impls:explodes", isolate=False)
    assert {t.verdict.value for t in r.tests} == {"error"}
    assert "factory failed" in r.tests[0].message


def test_missing_operation_is_refused_before_any_test(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """A product without ``decode``: exit 2 naming the operation, no test run, no report."""
    with pytest.raises(InterfaceError, match=r"decode \(class coding\) is missing"):
        certify(tmp_path, impl="broken_impls:no_decoder")
    result = cli("certify", "--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls:no_decoder", "--out", str(tmp_path / "cli"), cwd=TESTS)
    assert result.code == 2
    assert "decode (class coding) is missing" in result.stderr and "Traceback" not in result.stderr
    assert not list((tmp_path / "cli").glob("*.json"))
    log = (tmp_path / "cli" / "net-optical-isl-1.0.0.log").read_text()
    assert "passed" not in log and "failed" not in log, "no test ran"


def test_wrong_signature_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InterfaceError, match=r"encode\(frames, interleave, randomize\) cannot be called"):
        certify(tmp_path, impl="broken_impls:encode_takes_no_arguments", isolate=False)
    with pytest.raises(InterfaceError, match=r"encode \(class coding\) is missing"):  # served: hello omits it
        certify(tmp_path / "iso", impl="broken_impls:encode_takes_no_arguments")


def test_signing_with_a_key_and_trusted_verification(tmp_path: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed with the vendor's key: verified (exit 0) only with a keyring holding that key; with
    another keyring, or none, the report is intact but not verified (exit 3)."""
    monkeypatch.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)
    key, other = tmp_path / "vendor.pem", tmp_path / "other.pem"
    ring, other_ring = tmp_path / "ring", tmp_path / "other-ring"
    ring.mkdir()
    other_ring.mkdir()
    assert cli("keygen", str(key), "--public", str(ring / "vendor.pub")).code == 0
    assert cli("keygen", str(other), "--public", str(other_ring / "other.pub")).code == 0
    assert (key.stat().st_mode & 0o777) == 0o600
    out = tmp_path / "out"
    result = cli("certify", "--spec", "net-optical-isl@1.0.0", "--sign-key", str(key), "--out", str(out), "--format", "md", *FAST)
    assert result.code == 0, result.stderr
    path = out / "net-optical-isl-1.0.0.json"
    assert path.exists(), "the signed JSON record is written whatever --format says"
    assert (out / "net-optical-isl-1.0.0.md").exists() and not (out / "net-optical-isl-1.0.0.html").exists()
    signed = json.loads(path.read_text())["signatures"]
    assert [(s["role"], s["ephemeral"]) for s in signed] == [("vendor", False)]
    ok = cli("report", "verify", str(path), "--trusted-keys", str(ring))
    assert ok.code == 0 and "trusted by ring/vendor" in ok.stdout and "VERIFIED:" in ok.stdout, ok.stdout
    for args in (["--trusted-keys", str(other_ring)], []):
        wrong = cli("report", "verify", str(path), *args)
        assert wrong.code == 3, wrong.stdout
        assert "valid, but the key is in no trusted keyring" in wrong.stdout
        assert "NOT VERIFIED" in wrong.stdout and "no given keyring trusts its signer" in wrong.stdout
