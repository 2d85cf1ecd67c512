"""Issue 13: the trust model. A signed, countersigned report of the reference verifies against two
keyrings; a report an attacker touched never verifies, and the check that catches it is named.

One real certification (sec-link-security 1.0.0, the reference, about 25 s) signed with a vendor
key and countersigned by a body key; every forgery below starts from it and is re-signed with the
vendor's own key where that makes the forgery stronger (then the signature and trust checks pass and
only the content checks can catch it).
"""

from __future__ import annotations

import base64
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.report import Report, build_report
from orbitcert.conformance.results import TestResult, Verdict
from orbitcert.conformance.run import run_certification
from orbitcert.conformance.session import CertificationTarget
from orbitcert.conformance.signing import (
    generate_key,
    key_id,
    load_keyring,
    load_private_key,
    sign_report,
    signature_problem,
    write_key_pair,
)
from orbitcert.conformance.verify import CHECKS, verify_report
from orbitcert.conformance.writers import load_report, report_json
from orbitcert.specs.digest import canonical_json
from orbitcert.specs.loader import load_ref

SPEC = "sec-link-security@1.0.0"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("trust")
    keys = {}
    for who, ring in (("acme", "vendors"), ("ccsds-sec", "bodies"), ("mallory", "elsewhere")):
        (root / ring).mkdir()
        write_key_pair(root / f"{who}.pem", root / ring / f"{who}.pub")
        keys[who] = load_private_key(root / f"{who}.pem")
    options = RunOptions.create(
        out=root / "out", formats="json", workers=2, seed=13, sign_key=root / "acme.pem", signer="ACME Space"
    )
    run = run_certification(CertificationTarget.resolve(SPEC), options)
    assert run.report.decision.value == "certified"
    vendor_path = root / "out" / "sec-link-security-1.0.0.json"
    countersigned = sign_report(run.report, keys["ccsds-sec"], role="countersignature", signer="Standards Body")
    cs_path = root / "countersigned.json"
    cs_path.write_bytes(report_json(countersigned))
    return {
        "root": root, "keys": keys, "vendor_path": vendor_path, "report": run.report, "cs_path": cs_path,
        "countersigned": countersigned,
        "vendors": load_keyring(root / "vendors"), "bodies": load_keyring(root / "bodies"),
        "elsewhere": load_keyring(root / "elsewhere"),
    }


def _write(world: dict[str, Any], name: str, report: Report) -> Path:
    path = world["root"] / name
    path.write_bytes(report_json(report))
    return path


def _resigned(world: dict[str, Any], report: Report, who: str = "acme") -> Report:
    return sign_report(report.model_copy(update={"signatures": []}), world["keys"][who], signer="ACME Space")


def _failed(v: Any) -> list[str]:
    return [c.name for c in v.failed]


# ---- the good path --------------------------------------------------------------------------------


def test_a_countersigned_report_of_the_reference_verifies_against_the_two_keyrings(world: dict[str, Any]) -> None:
    v = verify_report(world["cs_path"], keyrings=[world["vendors"], world["bodies"]])
    assert [c.status for c in v.checks] == ["pass"] * len(CHECKS), [(c.name, c.failures) for c in v.failed]
    assert v.exit_code == 0 and v.trusted
    vendor, body = v.signatures
    assert (vendor.role, vendor.trusted_by) == ("vendor", ("vendors/acme",))
    assert (body.role, body.trusted_by) == ("countersignature", ("bodies/ccsds-sec",))
    assert vendor.signer == "ACME Space" and body.signer == "Standards Body"


def test_checks_are_numbered_in_the_published_order(world: dict[str, Any]) -> None:
    v = verify_report(world["vendor_path"], keyrings=[world["vendors"]], collect=False)
    assert [(c.number, c.name) for c in v.checks] == [(i + 1, n) for i, (n, _) in enumerate(CHECKS)]
    assert [n for n, _ in CHECKS][:4] == ["json", "schema", "signatures", "trust"]


def test_an_intact_report_whose_key_nobody_trusts_is_never_verified(world: dict[str, Any]) -> None:
    for keyrings in ([], [world["bodies"]], [world["elsewhere"]]):
        v = verify_report(world["vendor_path"], keyrings=keyrings, collect=False)
        assert v.intact and not v.trusted and v.exit_code == 3
        assert v.check("trust").status == "fail"
    # Trusting only the body: the countersignature is trusted, the vendor's is not: still exit 3.
    v = verify_report(world["cs_path"], keyrings=[world["bodies"]], collect=False)
    assert v.exit_code == 3 and v.signatures[1].trusted and not v.signatures[0].trusted


def test_a_report_re_signed_by_an_untrusted_key_never_verifies(world: dict[str, Any]) -> None:
    forged = _resigned(world, world["report"], who="mallory")
    v = verify_report(_write(world, "mallory.json", forged), keyrings=[world["vendors"], world["bodies"]], collect=False)
    assert v.check("signatures").status == "pass"  # a valid signature...
    assert v.exit_code == 3 and "no trusted keyring" in v.check("trust").failures[0]  # ...by nobody we trust


def test_a_forged_key_id_is_caught_because_the_signature_covers_it(world: dict[str, Any]) -> None:
    """Mallory signs with her key but writes the vendor's key id (which the HTML would display)."""
    forged = _resigned(world, world["report"], who="mallory")
    sig = forged.signatures[0].model_copy(update={"key_id": world["report"].signatures[0].key_id})
    forged = forged.model_copy(update={"signatures": [sig]})
    v = verify_report(_write(world, "borrowed-id.json", forged), keyrings=[world["vendors"]], collect=False)
    assert v.exit_code == 1 and "not the fingerprint" in v.check("signatures").failures[0]
    # and with her public key swapped for the vendor's, the value no longer verifies
    vendor_pub = world["report"].signatures[0].public_key
    sig2 = sig.model_copy(update={"public_key": vendor_pub})
    v = verify_report(
        _write(world, "borrowed-key.json", forged.model_copy(update={"signatures": [sig2]})),
        keyrings=[world["vendors"]], collect=False,
    )
    assert v.exit_code == 1 and "does not match" in v.check("signatures").failures[0]


def test_a_countersignature_covers_the_vendor_signature(world: dict[str, Any]) -> None:
    """Swap the vendor's signature under a body's countersignature: the countersignature breaks."""
    cs: Report = world["countersigned"]
    other_vendor = _resigned(world, world["report"]).signatures[0]  # a fresh, valid vendor signature (new time)
    assert other_vendor.value != cs.signatures[0].value
    swapped = cs.model_copy(update={"signatures": [other_vendor, cs.signatures[1]]})
    assert signature_problem(swapped, 0) is None and "earlier signature" in str(signature_problem(swapped, 1))


def test_signature_order_roles_and_times_are_checked(world: dict[str, Any]) -> None:
    cs: Report = world["countersigned"]
    reversed_ = cs.model_copy(update={"signatures": list(reversed(cs.signatures))})
    v = verify_report(_write(world, "reversed.json", reversed_), keyrings=[world["bodies"]], collect=False)
    assert v.check("signatures").status == "fail" and any("role" in m for m in v.check("signatures").failures)
    unsigned = world["report"].model_copy(update={"signatures": []})
    v = verify_report(_write(world, "unsigned.json", unsigned), collect=False)
    assert v.check("signatures").failures == ["the report is not signed"] and v.exit_code == 1


def test_a_signature_dated_before_the_run_finished_fails(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    early = sign_report(r.model_copy(update={"signatures": []}), world["keys"]["acme"], signed_at="2000-01-01T00:00:00Z")
    v = verify_report(_write(world, "early.json", early), keyrings=[world["vendors"]], collect=False)
    assert v.check("signatures").failures == ["signature 1 is dated 2000-01-01T00:00:00Z, before the run finished"]


# ---- every single-byte change ---------------------------------------------------------------------


def _mutations(raw: bytes, positions: list[int]) -> list[tuple[int, bytes]]:
    out = []
    for pos in positions:
        b = bytearray(raw)
        b[pos] ^= 0x01 if raw[pos] not in b"\\" else 0x02
        out.append((pos, bytes(b)))
    return out


def test_every_single_byte_change_to_the_signature_block_fails_its_check(world: dict[str, Any]) -> None:
    raw = world["cs_path"].read_bytes()
    start = raw.index(b'"signatures":')
    end = raw.index(b"]", raw.index(b'"value"', raw.rindex(b'"signed_at"'))) + 1
    seen: set[str] = set()
    path = world["root"] / "mutant.json"
    for pos, mutant in _mutations(raw, list(range(start, end))):
        path.write_bytes(mutant)
        v = verify_report(path, keyrings=[world["vendors"], world["bodies"]], fail_fast=True, collect=False)
        assert v.exit_code != 0, f"byte {pos} ({raw[pos:pos + 1]!r}) changed and the report still verifies"
        assert v.failed[0].name in ("json", "schema", "signatures", "trust"), (pos, _failed(v))
        seen.add(v.failed[0].name)
    assert {"json", "signatures"} <= seen


def test_single_byte_changes_anywhere_fail_with_the_check_named(world: dict[str, Any]) -> None:
    """A fixed sample of 400 positions over the whole file (seeded), plus every byte of the first
    test record and of the decision: each change is caught by json, schema or signatures."""
    raw = world["cs_path"].read_bytes()
    rng = random.Random(1301)
    positions = sorted(set(rng.sample(range(len(raw)), 400)))
    first_test = raw.index(b'"tests":[{') + 9
    positions += list(range(first_test, raw.index(b"}", first_test)))
    decision = raw.index(b'"decision":"')
    positions += list(range(decision, decision + 24))
    path = world["root"] / "mutant2.json"
    counts: dict[str, int] = {}
    for pos, mutant in _mutations(raw, positions):
        path.write_bytes(mutant)
        v = verify_report(path, keyrings=[world["vendors"], world["bodies"]], fail_fast=True, collect=False)
        assert v.exit_code != 0, f"byte {pos} changed and the report still verifies"
        name = v.failed[0].name
        assert name in ("json", "schema", "signatures"), (pos, name, v.failed[0].failures)
        counts[name] = counts.get(name, 0) + 1
    assert counts.get("signatures", 0) > 50 and counts.get("json", 0) > 10, counts


# ---- forgeries re-signed with the vendor's own key: the content checks catch them -----------------


def _verify_forged(world: dict[str, Any], name: str, report: Report, **kw: Any) -> Any:
    path = _write(world, name, _resigned(world, report))
    v = verify_report(path, keyrings=[world["vendors"]], **kw)
    assert v.check("signatures").status == "pass" and v.check("trust").status == "pass"
    assert v.exit_code == 1
    return v


def _tests_of(report: Report, verdict: Verdict) -> list[TestResult]:
    return [t for t in report.tests if t.verdict is verdict]


def test_a_forged_verdict_fails_the_verdicts_check(world: dict[str, Any]) -> None:
    """Tests say fail, the requirement says pass."""
    r: Report = world["report"]
    victim = next(t for t in r.tests if t.verdict is Verdict.passed and t.requirements)
    tests = [t.model_copy(update={"verdict": Verdict.failed, "message": "broke"}) if t is victim else t for t in r.tests]
    summary = r.summary.model_copy(update={"tests": {**r.summary.tests, "pass": r.summary.tests["pass"] - 1, "fail": 1}})
    v = _verify_forged(world, "forged-verdict.json", r.model_copy(update={"tests": tests, "summary": summary}), collect=False)
    assert _failed(v) == ["verdicts"]
    assert any(f"requirement {victim.requirements[0]}: report says pass" in m for m in v.check("verdicts").failures)


def test_a_lying_summary_fails_the_verdicts_check(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    lie = r.summary.model_copy(update={"tests": {"fail": 1, "pass": len(r.tests) - 1}})
    assert lie.tests != r.summary.tests
    v = _verify_forged(world, "lying-summary.json", r.model_copy(update={"summary": lie}), collect=False)
    assert _failed(v) == ["verdicts"] and "summary: tests" in v.check("verdicts").failures[0]


def test_a_dropped_test_fails_the_coverage_check(world: dict[str, Any]) -> None:
    """The failing test is dropped and the report rebuilt consistently (roll-up, summary, selected
    count): only the comparison with the suite's own collection catches it."""
    r: Report = world["report"]
    loaded = load_ref(SPEC)
    dropped = r.tests[7]
    rebuilt = build_report(
        loaded, r.ics, [t for t in r.tests if t is not dropped], r.implementation, r.suite,
        started=r.environment.started, thoroughness=r.thoroughness, finished=r.environment.finished,
        workers=r.environment.workers,
    )
    rebuilt = rebuilt.model_copy(update={"environment": r.environment})
    v = _verify_forged(world, "dropped.json", rebuilt)
    assert _failed(v) == ["coverage"], [(c.name, c.failures) for c in v.failed]
    assert f"1 selected test(s) have no result, e.g. {dropped.nodeid}" in v.check("coverage").failures[0]


def test_a_replaced_suite_fails_the_suite_check(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    files = dict(r.suite.files)
    name = sorted(files)[-1]
    files[name] = "sha256:" + "ab" * 32
    suite = r.suite.model_copy(update={"digest": "sha256:" + "cd" * 32, "files": files})
    v = _verify_forged(world, "replaced-suite.json", r.model_copy(update={"suite": suite}), collect=False)
    assert _failed(v) == ["suite"]
    assert any("is not that of the suite" in m for m in v.check("suite").failures)
    assert any(name in m for m in v.check("suite").failures)
    override = r.model_copy(update={"suite": r.suite.model_copy(update={"origin": "override"})})
    v = _verify_forged(world, "override-suite.json", override, collect=False)
    assert "suite" in _failed(v) and "--suite" in v.check("suite").failures[0]


def test_duplicate_keys_fail_the_json_check(world: dict[str, Any]) -> None:
    """A first-wins reader would see "certified" where the signature covers "not-certified"."""
    raw = world["vendor_path"].read_bytes()
    assert b'"decision":"certified"' in raw
    path = world["root"] / "dup.json"
    path.write_bytes(raw.replace(b'"decision":"certified"', b'"decision":"not-certified","decision":"certified"', 1))
    v = verify_report(path, keyrings=[world["vendors"]])
    assert _failed(v)[0] == "json" and "duplicate key 'decision'" in v.check("json").failures[0]
    assert all(c.status == "skip" for c in v.checks[2:])


def test_a_re_serialised_report_fails_the_json_check(world: dict[str, Any]) -> None:
    data = json.loads(world["vendor_path"].read_bytes())
    path = world["root"] / "pretty.json"
    path.write_text(json.dumps(data, indent=1))
    v = verify_report(path, keyrings=[world["vendors"]], collect=False)
    assert _failed(v) == ["json"] and "canonical form" in v.check("json").failures[0]


def test_a_test_marked_not_applicable_against_the_ics_fails_coverage(world: dict[str, Any]) -> None:
    """Hiding a test that ran (and might fail) as not-applicable, with every count rebuilt."""
    r: Report = world["report"]
    victim = next(t for t in r.tests if t.verdict is Verdict.passed)
    tests = [t.model_copy(update={"verdict": Verdict.not_applicable}) if t is victim else t for t in r.tests]
    rebuilt = build_report(
        load_ref(SPEC), r.ics, tests, r.implementation, r.suite, started=r.environment.started,
        thoroughness=r.thoroughness, finished=r.environment.finished,
    ).model_copy(update={"environment": r.environment})
    v = _verify_forged(world, "hidden.json", rebuilt)
    assert _failed(v) == ["coverage"] and f"test {victim.nodeid} applies" in v.check("coverage").failures[0]


def test_a_waived_test_verdict_is_rejected(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    tests = [t.model_copy(update={"verdict": Verdict.waived}) if i == 0 else t for i, t in enumerate(r.tests)]
    v = _verify_forged(world, "waived-test.json", r.model_copy(update={"tests": tests}), collect=False)
    assert "coverage" in _failed(v) and "a requirement verdict given by a waiver" in v.check("coverage").failures[0]


def test_a_waived_requirement_without_a_waiver_is_rejected(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    reqs = [q.model_copy(update={"verdict": Verdict.waived}) if i == 0 else q for i, q in enumerate(r.requirements)]
    v = _verify_forged(world, "waived-req.json", r.model_copy(update={"requirements": reqs}), collect=False)
    assert _failed(v) == ["verdicts"] and "report says waived" in v.check("verdicts").failures[0]


def test_too_few_examples_or_a_lowered_minimum_fails_thoroughness(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    # Lower the minimum the report claims together with the examples: the minimum is recomputed.
    t = r.thoroughness.model_copy(update={"examples": 5, "minimum_examples": 5})
    v = _verify_forged(world, "thin.json", r.model_copy(update={"thoroughness": t}), collect=False)
    assert _failed(v) == ["thoroughness"]
    assert any("needs at least 25" in m for m in v.check("thoroughness").failures)


def test_a_missing_class_or_requirement_record_fails_verdicts(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    v = _verify_forged(world, "no-class.json", r.model_copy(update={"classes": r.classes[1:]}), collect=False)
    assert _failed(v) == ["verdicts"] and f"class {r.classes[0].id}: missing" in v.check("verdicts").failures[0]
    v = _verify_forged(
        world, "dup-req.json", r.model_copy(update={"requirements": [r.requirements[0], *r.requirements]}), collect=False
    )
    assert "recorded more than once" in v.check("verdicts").failures[0]


def test_a_test_naming_an_unknown_requirement_fails_coverage(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    tests = [t.model_copy(update={"requirements": [*t.requirements, "SEC-XXX-999"]}) if i == 0 else t for i, t in enumerate(r.tests)]
    v = _verify_forged(world, "unknown-req.json", r.model_copy(update={"tests": tests}), collect=False)
    assert "coverage" in _failed(v) and "SEC-XXX-999" in v.check("coverage").failures[0]


def test_an_invalid_ics_value_fails_the_ics_check(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    item = next(k for k, val in r.ics.items.items() if isinstance(val, list) and val)
    ics = r.ics.model_copy(update={"items": {**r.ics.items, item: ["no-such-value"]}})
    v = _verify_forged(world, "bad-ics.json", r.model_copy(update={"ics": ics}), collect=False)
    assert "ics" in _failed(v) and "does not validate" in v.check("ics").failures[0]


def test_a_changed_spec_digest_fails_the_spec_check(world: dict[str, Any]) -> None:
    r: Report = world["report"]
    spec = r.spec.model_copy(update={"digest": "sha256:" + "1" * 64})
    v = _verify_forged(world, "digest.json", r.model_copy(update={"spec": spec}), collect=False)
    assert _failed(v) == ["spec"] and "differs from the catalog" in v.check("spec").failures[0]


# ---- the command line --------------------------------------------------------------------------


def test_verify_cli_exit_codes_and_numbered_output(world: dict[str, Any], cli: Any) -> None:
    root = world["root"]
    ok = cli("report", "verify", str(world["cs_path"]), "--trusted-keys", str(root / "vendors"), "--trusted-keys", str(root / "bodies"))
    assert ok.code == 0, ok.stdout
    assert " 1 json" in ok.stdout and "11 delta" in ok.stdout and "VERIFIED" in ok.stdout
    assert "trusted by vendors/acme" in ok.stdout and "trusted by bodies/ccsds-sec" in ok.stdout
    untrusted = cli("report", "verify", str(world["cs_path"]))
    assert untrusted.code == 3 and "NOT VERIFIED" in untrusted.stdout and "intact" in untrusted.stdout
    bad = root / "flipped.json"
    raw = bytearray(world["cs_path"].read_bytes())
    at = raw.index(b'"nodeid":"') + 11  # inside a string: still canonical JSON, still schema-valid
    raw[at] = ord("Z") if raw[at] != ord("Z") else ord("Y")
    bad.write_bytes(bytes(raw))
    tampered = cli("report", "verify", str(bad), "--trusted-keys", str(root / "vendors"))
    assert tampered.code == 1 and " 3 signatures    FAIL" in tampered.stdout
    missing = cli("report", "verify", str(root / "nope.json"))
    assert missing.code == 2 and "Traceback" not in missing.stdout + missing.stderr
    as_json = cli("report", "verify", str(world["cs_path"]), "--format", "json", "--trusted-keys", str(root / "vendors"))
    data = json.loads(as_json.stdout)
    assert as_json.code == 0 and data["trusted"] and [c["name"] for c in data["checks"]] == [n for n, _ in CHECKS]


def test_countersign_cli_verifies_first_and_names_the_body(world: dict[str, Any], cli: Any, tmp_path: Path) -> None:
    root = world["root"]
    report = tmp_path / "vendor.json"
    shutil.copy(world["vendor_path"], report)
    untrusted = cli("report", "countersign", str(report), "--key", str(root / "ccsds-sec.pem"))
    assert untrusted.code == 3 and "not countersigned" in untrusted.stdout
    assert report.read_bytes() == world["vendor_path"].read_bytes(), "nothing written when the vendor is not trusted"
    done = cli(
        "report", "countersign", str(report), "--key", str(root / "ccsds-sec.pem"), "--signer", "Body",
        "--trusted-keys", str(root / "vendors"),
    )
    assert done.code == 0, done.stdout
    signed = load_report(report)
    assert [s.role for s in signed.signatures] == ["vendor", "countersignature"]
    assert signed.signatures[1].key_id == key_id(world["keys"]["ccsds-sec"].public_key())
    assert signed.content() == world["report"].content()
    rendered = cli("report", "render", str(report), "--format", "html", "--trusted-keys", str(root / "bodies"))
    assert rendered.code == 0, rendered.stdout
    html = report.with_suffix(".html").read_text() if report.with_suffix(".html").exists() else next(tmp_path.glob("*.html")).read_text()
    assert "bodies/ccsds-sec" in html


def test_keygen_prints_the_fingerprint(cli: Any, tmp_path: Path) -> None:
    r = cli("keygen", str(tmp_path / "k.pem"))
    assert r.code == 0
    pub = (tmp_path / "k.pem.pub").read_bytes()
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(pub)
    assert key_id(key) in r.stdout  # type: ignore[arg-type]


def test_a_bad_keyring_is_a_clear_error(cli: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    ring = tmp_path / "ring"
    ring.mkdir()
    (ring / "junk.pub").write_text("not a key\n")
    r = cli("report", "verify", str(world["vendor_path"]), "--trusted-keys", str(ring))
    assert r.code == 2 and "junk.pub" in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr
    r = cli("report", "verify", str(world["vendor_path"]), "--trusted-keys", str(tmp_path / "absent"))
    assert r.code == 2 and "keyring" in r.stdout + r.stderr


def test_the_environment_variable_names_keyrings(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from orbitcert.conformance.signing import TRUSTED_KEYS_ENV, load_keyrings

    monkeypatch.setenv(TRUSTED_KEYS_ENV, f"{world['root'] / 'vendors'}:{world['root'] / 'bodies'}")
    rings = load_keyrings()
    v = verify_report(world["cs_path"], keyrings=rings, collect=False)
    assert v.trusted and [r.name for r in rings] == ["vendors", "bodies"]


def test_ephemeral_signatures_say_so_and_cannot_be_trusted(world: dict[str, Any]) -> None:
    key = generate_key()
    report = sign_report(world["report"].model_copy(update={"signatures": []}), key, ephemeral=True)
    path = _write(world, "ephemeral.json", report)
    v = verify_report(path, keyrings=[world["vendors"]], collect=False)
    assert v.exit_code == 3 and "one-time key" in v.check("trust").failures[0]


def test_the_signed_message_is_domain_separated_and_covers_the_header(world: dict[str, Any]) -> None:
    """The Ed25519 value signs canonical JSON holding a context string, the content and the header."""
    r: Report = world["countersigned"]
    from orbitcert.conformance.signing import SIGNATURE_CONTEXT, signed_message

    msg = json.loads(signed_message(r, 1))
    assert msg["context"] == SIGNATURE_CONTEXT and msg["signature"]["role"] == "countersignature"
    assert msg["previous"][0]["value"] == r.signatures[0].value and "value" not in msg["signature"]
    assert canonical_json(msg) == signed_message(r, 1)
    raw_pub = base64.b64decode(r.signatures[1].public_key)
    assert len(raw_pub) == 32


def test_a_signer_name_is_one_line_and_bounded_before_anything_runs(tmp_path: Path) -> None:
    from orbitcert.specs.errors import SignatureError

    with pytest.raises(SignatureError, match="300 characters long; at most 200"):
        RunOptions.create(out=tmp_path, signer="x" * 300)
    signed = sign_report(_unsigned_report(), generate_key(), signer="ACME\nvendor signature, trusted")
    assert signed.signatures[0].signer == "ACME\\nvendor signature, trusted"


def _unsigned_report() -> Report:
    from helpers import synthetic_report

    return synthetic_report()
