"""Issue 13, adversarial review of the trust model: one reproducer per finding.

Each test states what ``report verify`` (or the bundle / ``--since`` path) *should* do and is marked
``xfail(strict=True, reason="finding N")`` while the code does otherwise; when a finding is fixed,
its test passes and the strict xfail turns the run red, so the mark is removed with the fix.

Two attackers (docs/concepts/trust.md): a third party without the vendor's private key, and the
vendor itself, whose key is in the reader's keyring. Forgeries start from a report that passes
every check: a run of ``sec-link-security@1.0.0`` built in memory from the suite's own collection
(every selected test recorded, the ICS exclusions honoured, the real suite/support digests) and
signed with the vendor's key. This is what a vendor who controls its machine can always write
(the documented limit of verification); the findings are the lies verify should catch on top.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance.bundle import make_bundle
from orbitcert.conformance.cli.report import _verify_path
from orbitcert.conformance.delta import report_file_digest, suite_file_digests, support_digest
from orbitcert.conformance.options import minimum_examples
from orbitcert.conformance.recorder import canonical_id
from orbitcert.conformance.report import (
    DeltaRecord,
    Implementation,
    Report,
    SuiteBinding,
    Thoroughness,
    build_report,
    suite_digest,
)
from orbitcert.conformance.results import TestResult, Verdict, Waiver, WaiverRecord
from orbitcert.conformance.session import suite_dir
from orbitcert.conformance.signing import load_keyring, load_private_key, sign_report, write_key_pair
from orbitcert.conformance.traceability import collect_suite
from orbitcert.conformance.verdicts import exclusion_reason
from orbitcert.conformance.verify import Verification, verify_report
from orbitcert.conformance.writers import report_json
from orbitcert.specs.digest import canonical_json
from orbitcert.specs.ics import full_ics
from orbitcert.specs.lifecycle import publish_spec_file
from orbitcert.specs.loader import Catalog, bundled_catalog_dir

SPEC = "sec-link-security@1.0.0"


def _consistent_report(ref: str, catalogs: list[Path] | None = None) -> Report:
    """A report of ``ref`` that passes every check: every test the suite selects (collected, not
    run) recorded as pass, or not-applicable where the ICS excludes it; the suite's real digests;
    the harness minimum of examples; the product isolated."""
    cats = catalogs or []
    loaded = Catalog.discover(cats).load(ref)
    folder, origin = suite_dir(loaded)
    collected = collect_suite(loaded, folder, [str(c) for c in cats])
    assert not collected.errors, collected.errors
    ics = full_ics(loaded.spec)
    tests = []
    for nodeid, reqs in collected.tests.items():
        why = exclusion_reason(loaded.spec, ics, reqs, collected.predicates.get(nodeid, ()))
        tests.append(
            TestResult(
                nodeid=canonical_id(nodeid, folder.parent, folder), requirements=list(reqs),
                verdict=Verdict.not_applicable if why else Verdict.passed, duration=0.01,
            )
        )
    need = minimum_examples(loaded.spec)
    return build_report(
        loaded, ics, tests,
        Implementation(name="acme-modem", version="1.0", factory="acme:create", shared_process=False),
        SuiteBinding(
            path=f"suites/{loaded.spec.id}", origin=origin, digest=suite_digest(folder),
            files=suite_file_digests(folder), support=support_digest(folder),
        ),
        started="2026-11-25T00:00:00Z", finished="2026-11-25T00:10:00Z",
        thoroughness=Thoroughness(examples=need, minimum_examples=need, derandomized=True, timeout=300.0),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("review13")
    (root / "vendors").mkdir()
    write_key_pair(root / "acme.pem", root / "vendors" / "acme.pub")
    base = _consistent_report(SPEC)
    return {"root": root, "key": load_private_key(root / "acme.pem"), "vendors": load_keyring(root / "vendors"), "base": base}


def _signed(world: dict[str, Any], name: str, report: Report, **sign: Any) -> Path:
    """``report`` re-signed with the vendor's own (trusted) key, written canonically."""
    signed = sign_report(report.model_copy(update={"signatures": []}), world["key"], signer="ACME Space", **sign)
    path: Path = world["root"] / name
    path.write_bytes(report_json(signed))
    return path


def _verify(world: dict[str, Any], path: Path, *, collect: bool = False, **kw: Any) -> Verification:
    """verify against the vendor keyring. ``collect=False`` (check 8 without collecting the suite)
    where the forgery leaves the recorded tests as the suite selects them, to keep this file fast."""
    return verify_report(path, keyrings=[world["vendors"]], collect=collect, **kw)


def test_baseline_verifies(world: dict[str, Any]) -> None:
    """Not a finding: the starting point passes every check with the full coverage check."""
    v = _verify(world, _signed(world, "base.json", world["base"]), collect=True)
    assert v.exit_code == 0, v.problems


# --- finding 1: a bundle brings its own spec version --------------------------------------------


def test_bundle_cannot_supply_a_spec_version_the_verifier_does_not_have(world: dict[str, Any]) -> None:
    """The vendor writes ``sec-link-security@1.0.1`` itself (here a copy of 1.0.0 with every SHALL
    turned into a MAY, so a failing test no longer matters), marks it published, certifies against
    it and bundles it. ``report verify BUNDLE`` uses the bundled spec file as a catalog, so the
    spec check passes for a version no standards body ever published, and the bundle verifies
    (exit 0, "certified") although a SHALL test of the real spec failed. Check 5 should take the
    spec from the verifier's catalogs only (the bundled file is compared against it)."""
    root: Path = world["root"]
    cat = root / "fakecat"
    src = (bundled_catalog_dir() / "sec-link-security" / "1.0.0.yaml").read_text()
    text = re.sub(r"(?m)^digest: .*\n", "", src).replace("status: published", "status: draft")
    text = re.sub(r"(?m)^version: 1\.0\.0$", "version: 1.0.1", text)
    text = re.sub(r"level: SHALL\b", "level: MAY", text)
    path = cat / "sec-link-security" / "1.0.1.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    publish_spec_file(path, lambda p: [], [cat], on="2026-01-01")
    honest = _consistent_report("sec-link-security@1.0.1", [cat])
    first = honest.tests[0]
    failing = [t.model_copy(update={"verdict": Verdict.failed, "message": "MAC accepted"}) if t is first else t for t in honest.tests]
    loaded = Catalog.discover([cat]).load("sec-link-security@1.0.1")
    forged = build_report(
        loaded, honest.ics, failing, honest.implementation, honest.suite, started=honest.environment.started,
        finished=honest.environment.finished, thoroughness=honest.thoroughness,
    )
    assert forged.decision.value == "certified"  # a failed test, yet certified: its requirement is a MAY here
    report = _signed(world, "fake-1.0.1.json", forged)
    bundle = root / "fake-1.0.1.zip"
    make_bundle(report, bundle, catalogs=[cat])
    assert verify_report(report, keyrings=[world["vendors"]]).check("spec").status == "fail"  # as a plain file: caught
    checked, lines = _verify_path(bundle, [world["vendors"]], [], None)
    assert all(ok for _, ok, _ in lines)
    assert checked.exit_code != 0, "a bundle verified against a spec version only the bundle holds"


# --- findings 2 and 3: carried-over verdicts ----------------------------------------------------


def _all_carried(world: dict[str, Any], old: Path) -> Path:
    base: Report = world["base"]
    delta = DeltaRecord(
        since_report=report_file_digest(old), since_spec=SPEC, since_key_id=None,
        carried=[t.nodeid for t in base.tests], rerun=[],
    )
    return _signed(world, "all-carried.json", base.model_copy(update={"delta": delta}))


def test_delta_report_without_since_is_not_verified(world: dict[str, Any]) -> None:
    """Every verdict "carried over" (no test run at all) from a report that need not exist: without
    ``--since``, check 11 only checks that carried and re-run partition the tests, and verify exits
    0. A delta report whose carried verdicts cannot be checked should not verify (exit 1, or a
    distinct exit code like 3), whatever --since."""
    old = world["root"] / "nothing.json"
    old.write_bytes(b"{}")
    v = _verify(world, _all_carried(world, old), collect=True)
    assert v.exit_code != 0, "441 verdicts carried from an unverifiable source verified"


def test_countersign_refuses_uncheckable_carried_verdicts(world: dict[str, Any], cli: Any) -> None:
    """The same report, given to a standards body: ``report countersign`` has no ``--since`` and
    runs verify without it, so the body countersigns 441 verdicts nobody can check (exit 0)."""
    old = world["root"] / "nothing2.json"
    old.write_bytes(b"{}")
    report = _all_carried(world, old)
    write_key_pair(world["root"] / "body.pem")
    out = world["root"] / "all-carried-countersigned.json"
    result = cli(
        "report", "countersign", str(report), "--key", str(world["root"] / "body.pem"),
        "--trusted-keys", str(world["root"] / "vendors"), "-o", str(out),
    )
    assert result.code != 0 and not out.exists(), result.stdout


def test_since_report_must_itself_verify(world: dict[str, Any]) -> None:
    """``verify --since OLD`` compares the carried results with OLD read by ``load_report`` only:
    OLD may be unsigned (here), signed by another key than ``delta.since_key_id``, of another
    product, or fail any check. Check 11 should run the checks on OLD and require its vendor key
    to be trusted or equal to the new report's (and ``since_key_id``)."""
    old = world["root"] / "old-unsigned.json"
    old.write_bytes(report_json(world["base"]))  # no signature at all
    assert verify_report(old, keyrings=[world["vendors"]], collect=False).check("signatures").status == "fail"
    v = _verify(world, _all_carried(world, old), since=old)
    assert v.check("delta").status == "fail", "verdicts carried from an unsigned report verified with --since"


# --- finding 4: times are free text, and a waiver's expiry is judged by one of them -------------


def _with_waiver(world: dict[str, Any], finished: str, expires: str) -> Report:
    base: Report = world["base"]
    first = next(t for t in base.tests if t.verdict is Verdict.passed)
    tests = [t.model_copy(update={"verdict": Verdict.failed, "message": "boom"}) if t is first else t for t in base.tests]
    waiver = Waiver(
        id="W-1", spec="sec-link-security", requirements=[first.requirements[0]], approver="ACME itself",
        reason="later", issue="ACME-1", expires=expires,
    )
    loaded = Catalog.discover([]).load(SPEC)
    return build_report(
        loaded, base.ics, tests, base.implementation, base.suite, started="2026-11-25T00:00:00Z",
        finished=finished, thoroughness=base.thoroughness, waivers=[waiver],
    )


def test_backdated_finish_cannot_revive_an_expired_waiver(world: dict[str, Any]) -> None:
    """The waiver expired on 2026-01-31; the run started on 2026-11-25 and was signed that day,
    but ``environment.finished`` says 2026-01-01, so check 9 re-applies the waiver "on" that day
    and the report verifies as certified-with-waivers. Nothing compares started <= finished <=
    signed_at. Check 9 (or 2) should."""
    honest = _with_waiver(world, "2026-11-25T00:10:00Z", "2026-01-31")
    assert honest.decision.value == "not-certified" and honest.waivers[0].status == "expired"
    forged = _with_waiver(world, "2026-01-01T00:00:00Z", "2026-01-31")
    assert forged.decision.value == "certified-with-waivers"
    v = _verify(world, _signed(world, "backdated.json", forged, signed_at="2026-11-25T00:20:00Z"))
    assert v.exit_code != 0, "a run that finished 11 months before it started verified"


def test_times_must_be_iso_8601(world: dict[str, Any]) -> None:
    """``environment.started`` and a signature's ``signed_at`` were free strings: "yesterday" and
    "not a time" verified (exit 0). Fixed: the model and schema require RFC 3339 times."""
    from pydantic import ValidationError

    base: Report = world["base"]
    with pytest.raises(ValidationError, match="signed_at"):
        sign_report(base.model_copy(update={"signatures": []}), world["key"], signed_at="not a time")
    env = base.environment.model_copy(update={"started": "yesterday"})
    v = _verify(world, _signed(world, "nonsense-time.json", base.model_copy(update={"environment": env})))
    assert v.exit_code != 0 and v.check("schema").status == "fail"


# --- finding 5: the support digest is skipped for another version string ------------------------


@pytest.mark.xfail(strict=True, reason="finding 5")
def test_support_digest_cannot_be_skipped_by_naming_another_version(world: dict[str, Any]) -> None:
    """The support digest covers the harness, the plugin and the verdict rules the suite ran with.
    Check 6 compares it only when ``environment.orbitcert`` equals the verifier's version; a
    report that says it was made by "0.0.1" with any support digest verifies (exit 0). A patched
    harness thus passes as long as the report names a version that does not exist. Check 6
    should know the support digests of released versions, and fail an unknown version."""
    base: Report = world["base"]
    forged = base.model_copy(update={
        "environment": base.environment.model_copy(update={"orbitcert": "0.0.1"}),
        "suite": base.suite.model_copy(update={"support": "sha256:" + "1" * 64}),
    })
    v = _verify(world, _signed(world, "support.json", forged))
    assert v.check("suite").status == "fail"


# --- finding 6: the file is malleable without the key --------------------------------------------


def test_removing_default_fields_breaks_verification(world: dict[str, Any]) -> None:
    """Third party, no key: delete every member whose value is the model's default (a test's
    ``probe: null``, ``evidence: []``, a requirement's ``waiver: null``, the signature's
    ``algorithm`` and ``ephemeral``) and re-canonicalise. The file is 20% shorter and has another
    sha256 (the id a delta report and a bundle manifest use), yet checks 1-4 pass with the
    vendor's key trusted: the signature covers the parsed model, and check 1 only asks that the
    file be the canonical form of *its own* parse. Check 1 should require the bytes to equal
    ``report_json`` of the validated report."""
    signed = _signed(world, "original.json", world["base"])
    data = json.loads(signed.read_bytes())
    for t in data["tests"]:
        for k in ("probe", "observed", "evidence", "message"):
            if t.get(k) in (None, [], ""):
                del t[k]
    for r in data["requirements"]:
        if r.get("waiver") is None:
            del r["waiver"]
    for k in ("algorithm", "ephemeral"):
        del data["signatures"][0][k]
    stripped = world["root"] / "stripped.json"
    stripped.write_bytes(canonical_json(data))
    assert len(stripped.read_bytes()) < 0.9 * len(signed.read_bytes())
    v = _verify(world, stripped)
    failed = {c.name for c in v.failed}
    assert failed & {"json", "schema", "signatures"}, f"an edited file verified (exit {v.exit_code})"


# --- finding 7: "latest" as a recorded version ------------------------------------------------


def test_recorded_version_latest_is_refused(world: dict[str, Any]) -> None:
    """``spec.version: "latest"``: check 5 loads ``sec-link-security@latest`` (1.1.0 today) and
    the report verifies (exit 0) as a certification of "sec-link-security@latest". Check 5
    should require the recorded version to be the loaded spec's version."""
    base = _consistent_report("sec-link-security@1.1.0")
    forged = base.model_copy(update={"spec": base.spec.model_copy(update={"version": "latest"})})
    v = _verify(world, _signed(world, "latest.json", forged))
    assert v.check("spec").status == "fail"


def test_verify_never_raises_on_version_latest_with_a_waiver(world: dict[str, Any]) -> None:
    """The same report with one waiver record: check 9 re-applies waivers with version "latest",
    ``version_key`` raises ValueError and ``report verify`` dies with a traceback (the CLI too).
    Needs no key: checks run after a failed signature, so anyone can crash a verifier. Verify
    should turn any exception in a check into that check's failure."""
    base: Report = world["base"]
    waiver = Waiver(
        id="W-1", spec="sec-link-security", versions=">=1.0.0", requirements=[base.requirements[0].id],
        approver="a", reason="r", issue="i", expires="2099-01-01",
    )
    record = WaiverRecord(**waiver.model_dump(), status="unmatched", note="")
    forged = base.model_copy(update={
        "spec": base.spec.model_copy(update={"version": "latest"}), "waivers": [record],
    })
    path = world["root"] / "latest-waiver-unsigned.json"
    path.write_bytes(report_json(forged))  # unsigned: a third party's file
    v = _verify(world, path)
    assert v.exit_code == 1


# --- finding 8: statistical evidence with the rule's parameters changed ---------------------------


@pytest.mark.xfail(strict=True, reason="finding 8")
def test_statistical_evidence_uses_the_specs_parameters(world: dict[str, Any]) -> None:
    """net-optical-isl 1.1.0 requires acquisition failures <= 5 % at 95 % confidence
    (``acquisition_max_failure_fraction``, ``acquisition_confidence``): 59 trials with no failure
    at least (Clopper-Pearson, ``binomial_sample_size(0.05, 0.95)``). The vendor records "0 of 2
    trials, 50 % upper bound 0.29 <= 0.5": check 9 recomputes the bound from the recorded
    confidence and fraction, finds it consistent, and the report verifies (exit 0) with that
    evidence on its HTML page. Check 9 should take confidence, fraction (and the minimum trials)
    from the spec, not from the evidence."""
    from orbitcert.conformance.results import BinomialEvidence
    from orbitcert.conformance.statistics import binomial_sample_size, clopper_pearson_upper

    base = _consistent_report("net-optical-isl@1.1.0")
    spec = Catalog.discover([]).load("net-optical-isl@1.1.0").spec
    fraction = float(spec.parameter("acquisition_max_failure_fraction"))
    confidence = float(spec.parameter("acquisition_confidence"))
    assert binomial_sample_size(fraction, confidence) == 59
    weak = BinomialEvidence(
        quantity="acquisitions not complete within 100 s", trials=2, failures=0, confidence=0.5,
        bound=clopper_pearson_upper(0, 2, 0.5), max_fraction=0.5, passed=True, samples=[1.0, 2.0], limit=100.0, unit="s",
    )
    tests = [
        t.model_copy(update={"evidence": [weak]}) if t.nodeid.endswith("::test_acquisition_time_statistical") else t
        for t in base.tests
    ]
    assert tests != base.tests
    v = _verify(world, _signed(world, "weak-stats.json", base.model_copy(update={"tests": tests})))
    assert v.check("verdicts").status == "fail", "evidence at 50 % confidence verified for a 95 % requirement"


# --- finding 9: a time bomb in the signatures list ----------------------------------------------


def test_signature_list_is_bounded(world: dict[str, Any]) -> None:
    """Third party, no key: 100 copies of the vendor's signature block appended as
    countersignatures. Check 3 checks every one, and each :func:`signed_message` re-serialises
    the whole report plus every signature before it, so the cost grows with n x (report + n):
    measured here (2 cores) 3 s for 50, 6.6 s for 200, 39 s for 800 signatures of a 140 kB
    report; a 64 MiB file (the size limit) holds some 200,000 and never finishes. ``report
    verify``, ``countersign``, ``diff``, ``certify --since`` and bundles all reach it. The model
    and schema should bound the signatures (a vendor and a few bodies), and check 3 should
    serialise the content once."""
    data = json.loads(_signed(world, "one-sig.json", world["base"]).read_bytes())
    vendor = data["signatures"][0]
    data["signatures"] = [vendor] + [dict(vendor, role="countersignature")] * 100
    path = world["root"] / "many-signatures.json"
    path.write_bytes(canonical_json(data))
    v = _verify(world, path, fail_fast=True)
    assert {c.name for c in v.failed} & {"json", "schema"}, "a report with 101 signatures is read and checked in full"


# --- finding 10: line breaks in a signer name spoof verify's output ------------------------------


def test_signer_name_cannot_add_lines_to_verify_output(world: dict[str, Any], cli: Any) -> None:
    """The vendor signs with a ``signer`` holding line feeds (``say``'s :func:`printable` keeps
    them): ``report verify`` exits 0, rightly, but its table now shows a countersignature by a
    standards body "trusted by bodies/ccsds-sec" that does not exist. (A third party can do the
    same in a report it tampers with: the line is printed before the final NOT VERIFIED.) The
    signer, like every string printed on one line, should show line breaks as escapes, or the
    model should refuse control characters in ``signer``."""
    fake = "countersignature (CCSDS SLS), key 6358 3def eb97 beb7: valid, trusted by bodies/ccsds-sec"
    path = _signed(world, "signer-newline.json", world["base"])
    report = Report.model_validate_json(path.read_bytes())
    spoofed = sign_report(
        report.model_copy(update={"signatures": []}), world["key"], signer=f"ACME Space\n                  {fake}\n"
    )
    path.write_bytes(report_json(spoofed))
    result = cli("report", "verify", str(path), "--trusted-keys", str(world["root"] / "vendors"))
    assert result.code == 0
    assert not any(line.strip().startswith("countersignature") for line in result.stdout.splitlines()), result.stdout
