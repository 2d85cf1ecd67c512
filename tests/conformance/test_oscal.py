"""The OSCAL assessment-results export (:mod:`orbitcert.conformance.oscal`), validated against
compliance-trestle's OSCAL models (an independent implementation of the NIST OSCAL schema).

What the export must say is checked against the report it came from and the mapping the issue
fixes (tests are observations with method TEST, requirement verdicts are findings whose state is
satisfied only for pass or not-applicable, applied waivers are risks with status
deviation-approved and a deadline), not against the exporter's own tables.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives import serialization

from orbitcert.conformance.oscal import OSCAL_VERSION, control_id, report_oscal
from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.results import AnalysisEvidence, BinomialEvidence, Quantity, TestResult, Verdict, Waiver
from orbitcert.conformance.signing import generate_key, sign_report
from orbitcert.conformance.writers import load_report, report_json
from orbitcert.specs.errors import ReportError
from orbitcert.specs.ics import full_ics, load_ics_text
from orbitcert.specs.loader import load_ref

try:
    from trestle.oscal.assessment_results import Model as OscalModel
    from trestle.oscal.common import TokenDatatype
except ImportError as exc:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise ImportError(
            "compliance-trestle is required in CI to validate the OSCAL export: pip install 'orbitcert[oscal]'"
        ) from exc
    pytest.skip("compliance-trestle is not installed (pip install 'orbitcert[oscal]')", allow_module_level=True)

SPEC = "net-optical-isl@1.0.0"
FINISHED = "2026-11-25T00:10:00Z"
RUN_DAY = "2026-11-25"
NS = "https://orbitcert.dev/ns/oscal"


# -- reports ----------------------------------------------------------------------------------------


def make_report(
    verdicts: dict[str, Verdict] | None = None,
    *,
    ics_text: str | None = None,
    waivers: tuple[Waiver, ...] = (),
    extra_tests: tuple[TestResult, ...] = (),
) -> Report:
    """A net-optical-isl 1.0.0 report built by the real roll-up (:func:`build_report`): one test
    per requirement, passing unless ``verdicts`` says otherwise; fixed times, so it is reproducible."""
    loaded = load_ref(SPEC)
    verdicts = verdicts or {}
    ics = full_ics(loaded.spec) if ics_text is None else load_ics_text(ics_text, loaded.spec)
    tests = [
        TestResult(
            nodeid=f"test_coding.py::test_{r.id.lower().replace('-', '_')}",
            requirements=[r.id],
            verdict=verdicts.get(r.id, Verdict.passed),
            duration=0.25,
            message="" if verdicts.get(r.id, Verdict.passed) is Verdict.passed else f"{r.id} broke",
        )
        for r in loaded.spec.requirements
    ]
    return build_report(
        loaded,
        ics,
        [*tests, *extra_tests],
        Implementation(name="acme-modem", version="2.0", supplier="ACME Space", factory="acme:create", shared_process=False),
        SuiteBinding(path="suites/net-optical-isl", origin="bundled", digest="sha256:" + "ab" * 32),
        started="2026-11-25T00:00:00Z",
        finished=FINISHED,
        thoroughness=Thoroughness(examples=50, minimum_examples=25, derandomized=True, timeout=300.0, seed=7),
        waivers=waivers,
    )


def waiver(wid: str, requirements: list[str], expires: str = "2027-01-31", **kw: str) -> Waiver:
    return Waiver(
        id=wid, spec="net-optical-isl", requirements=requirements, approver="CCSDS SLS-OPT review board",
        reason="shortened code blocks are scheduled for firmware 2.3", issue="https://tracker.example/ACME-88",
        expires=expires, **kw,
    )


# The randomizer and shortened codeblocks not supported: the requirements that apply only to
# them are not applicable (net-optical-isl 1.0.0 `applies_if`).
NARROW_ICS = """\
spec: net-optical-isl@1.0.0
product: {name: acme-modem, version: "2.0"}
classes: [coding]
items:
  rs_interleaving_depths: [1, 5]
  randomizer: false
  shortened_codeblocks: false
"""


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    key = generate_key()
    body = generate_key()
    passing = make_report()
    signed = sign_report(passing, key, signer="ACME Space", signed_at="2026-11-25T00:11:00Z")
    countersigned = sign_report(signed, body, role="countersignature", signer="body", signed_at="2026-11-27T09:00:00Z")
    # one more test covering two requirements: a finding links every test of its requirement
    both = TestResult(
        nodeid="test_coding.py::test_two_requirements", requirements=["OISL-COD-002", "OISL-COD-003"],
        verdict=Verdict.passed, duration=0.5,
    )
    failing = make_report(
        {"OISL-COD-002": Verdict.failed, "OISL-COD-003": Verdict.error, "OISL-COD-012": Verdict.inconclusive},
        extra_tests=(both,),
    )
    waived = make_report(
        {"OISL-COD-004": Verdict.failed, "OISL-COD-005": Verdict.failed, "OISL-COD-008": Verdict.error},
        waivers=(
            waiver("W-1", ["OISL-COD-004", "OISL-COD-005"]),  # applied to both
            waiver("W-2", ["OISL-COD-008"], expires="2026-11-01"),  # expired: COD-008 stays error
            waiver("W-3", ["OISL-COD-001"]),  # not needed: COD-001 passes
            waiver("W-4", ["OISL-COD-004"], product="other-*"),  # unmatched product
        ),
    )
    narrow = make_report(ics_text=NARROW_ICS)
    return {
        "passing": passing,
        "signed": signed,
        "countersigned": countersigned,
        "failing": failing,
        "waived": waived,
        "not-applicable": narrow,
    }


def export(report: Report) -> tuple[dict[str, Any], Any]:
    """The export as JSON data and as trestle's validated model (which raises on any schema violation)."""
    raw = report_oscal(report)
    data = json.loads(raw)
    model = OscalModel.model_validate_json(raw)
    return data, model


def result_of(data: dict[str, Any]) -> dict[str, Any]:
    results = data["assessment-results"]["results"]
    assert len(results) == 1
    r: dict[str, Any] = results[0]
    return r


def props(obj: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in obj.get("props", []) if p["name"] == name]


def prop(obj: dict[str, Any], name: str) -> str:
    (value,) = props(obj, name)
    return value


def walk(data: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (path, key, value) of a JSON tree."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield path, k, v
            yield from walk(v, f"{path}/{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from walk(v, f"{path}/{i}")


#: OSCAL objective status a requirement verdict must get: satisfied only when the requirement
#: passed or does not apply (the issue: a waived SHALL never counts as a pass).
EXPECTED_STATE = {
    "pass": "satisfied",
    "not-applicable": "satisfied",
    "fail": "not-satisfied",
    "error": "not-satisfied",
    "inconclusive": "not-satisfied",
    "none": "not-satisfied",
    "waived": "not-satisfied",
}

NAMES = ["passing", "signed", "countersigned", "failing", "waived", "not-applicable"]


# -- the mapping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_export_validates_against_trestle(reports: dict[str, Report], name: str) -> None:
    data, model = export(reports[name])
    ar = model.assessment_results
    assert ar.metadata.oscal_version.root.root == OSCAL_VERSION
    assert len(ar.results) == 1
    # trestle's own serialisation of what it parsed gives the same document back (nothing dropped)
    again = json.loads(model.model_dump_json(by_alias=True, exclude_none=True))
    assert again["assessment-results"]["uuid"] == data["assessment-results"]["uuid"]
    assert len(again["assessment-results"]["results"][0]["findings"]) == len(reports[name].requirements)


@pytest.mark.parametrize("name", NAMES)
def test_every_test_is_an_observation(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    data, _ = export(report)
    observations = result_of(data)["observations"]
    assert len(observations) == len(report.tests)
    by_node = {prop(o, "node-id"): o for o in observations}
    assert set(by_node) == {t.nodeid for t in report.tests}
    for t in report.tests:
        o = by_node[t.nodeid]
        assert o["methods"] == ["TEST"]
        assert prop(o, "verdict") == t.verdict.value
        assert props(o, "requirement") == t.requirements
        assert o["collected"] == FINISHED
        if t.message:
            assert t.message in o["description"]


@pytest.mark.parametrize("name", NAMES)
def test_every_requirement_is_a_finding_with_its_state(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    data, _ = export(report)
    result = result_of(data)
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert len(findings) == len(report.requirements) == len(result["findings"])
    observation_uuid = {prop(o, "node-id"): o["uuid"] for o in result["observations"]}
    for r in report.requirements:
        f = findings[r.id]  # requirement ids are OSCAL tokens: the control id is the id itself
        assert f["target"]["type"] == "objective-id"
        assert f["target"]["status"]["state"] == EXPECTED_STATE[r.verdict.value], r.id
        assert prop(f, "requirement-id") == r.id
        assert prop(f, "verdict") == r.verdict.value
        linked = [x["observation-uuid"] for x in f.get("related-observations", [])]
        assert linked == [observation_uuid[n] for n in r.tests]
        if name == "failing" and r.id in ("OISL-COD-002", "OISL-COD-003"):
            assert len(linked) == 2
        if r.verdict is Verdict.not_applicable:
            assert f["target"]["implementation-status"]["state"] == "not-applicable"
    # the controls reviewed are the requirements, in spec order
    (selection,) = result["reviewed-controls"]["control-selections"]
    assert [c["control-id"] for c in selection["include-controls"]] == [r.id for r in report.requirements]


def test_failures_are_not_satisfied(reports: dict[str, Report]) -> None:
    data, _ = export(reports["failing"])
    findings = {f["target"]["target-id"]: f["target"]["status"] for f in result_of(data)["findings"]}
    assert findings["OISL-COD-002"] == {"state": "not-satisfied", "reason": "fail"}
    assert findings["OISL-COD-003"] == {"state": "not-satisfied", "reason": "fail"}
    assert findings["OISL-COD-012"]["state"] == "not-satisfied"
    assert findings["OISL-COD-001"] == {"state": "satisfied", "reason": "pass"}
    assert prop(result_of(data), "decision") == "not-certified"


def test_not_applicable_requirements(reports: dict[str, Report]) -> None:
    report = reports["not-applicable"]
    na = [r.id for r in report.requirements if r.verdict is Verdict.not_applicable]
    assert len(na) >= 2  # the randomizer's and the shortened codeblocks' requirements
    data, _ = export(report)
    for f in result_of(data)["findings"]:
        if f["target"]["target-id"] in na:
            assert f["target"]["implementation-status"] == {"state": "not-applicable"}
            assert f["target"]["status"]["state"] == "satisfied"


def test_waivers_are_risks(reports: dict[str, Report]) -> None:
    report = reports["waived"]
    status = {w.id: w.status for w in report.waivers}
    assert status == {"W-1": "applied", "W-2": "expired", "W-3": "not-needed", "W-4": "unmatched"}
    assert report.decision.value in ("certified-with-waivers", "not-certified")
    data, _ = export(report)
    result = result_of(data)
    risks = {prop(r, "waiver-id"): r for r in result["risks"]}
    assert set(risks) == {"W-1"}  # only an applied waiver approves a deviation
    risk = risks["W-1"]
    assert risk["status"] == "deviation-approved"
    assert risk["deadline"] == "2027-01-31T23:59:59Z"  # through the last day the waiver applies
    assert prop(risk, "approver") == "CCSDS SLS-OPT review board"
    assert prop(risk, "issue") == "https://tracker.example/ACME-88"
    assert sorted(props(risk, "requirement")) == ["OISL-COD-004", "OISL-COD-005"]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    for rid in ("OISL-COD-004", "OISL-COD-005"):
        f = findings[rid]
        assert prop(f, "verdict") == "waived"
        assert f["target"]["status"]["state"] == "not-satisfied"  # a waived SHALL is never a pass
        assert f["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    # the expired waiver did not apply: COD-008 keeps its error and links no risk
    assert "related-risks" not in findings["OISL-COD-008"]
    assert findings["OISL-COD-008"]["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    # the waivers that did nothing are reported in the result's remarks
    for wid in ("W-2", "W-3", "W-4"):
        assert wid in result["remarks"]


@pytest.mark.parametrize("name", NAMES)
def test_uuids_are_unique_and_references_resolve(reports: dict[str, Report], name: str) -> None:
    data, _ = export(reports[name])
    defined = [v for _, k, v in walk(data) if k == "uuid"]
    assert len(defined) == len(set(defined))
    for u in defined:
        assert uuid.UUID(u).version == 5
    refs = [(k, v) for _, k, v in walk(data) if k.endswith("-uuid")]
    assert refs, "the export links its objects"
    kinds = {k for k, _ in refs}
    assert {"observation-uuid", "actor-uuid", "subject-uuid"} <= kinds
    for k, v in refs:
        assert v in defined, f"{k} {v} names nothing in the document"
    result = result_of(data)
    observations = {o["uuid"] for o in result["observations"]}
    risks = {r["uuid"] for r in result.get("risks", [])}
    components = {c["uuid"] for c in result["local-definitions"]["components"]}
    for f in result["findings"]:
        assert {x["observation-uuid"] for x in f.get("related-observations", [])} <= observations
        assert {x["risk-uuid"] for x in f.get("related-risks", [])} <= risks
    for o in result["observations"]:
        assert {a["actor-uuid"] for origin in o["origins"] for a in origin["actors"]} <= components
        assert {s["subject-uuid"] for s in o["subjects"]} <= components
    # import-ap points at the back-matter resource describing the plan (spec version and ICS)
    ar = data["assessment-results"]
    href = ar["import-ap"]["href"]
    assert href.startswith("#")
    (plan,) = [res for res in ar["back-matter"]["resources"] if res["uuid"] == href[1:]]
    report = reports[name]
    assert prop(plan, "spec-digest") == report.spec.digest
    ics = json.loads(base64.b64decode(plan["base64"]["value"]))
    assert ics["classes"] == report.ics.classes and ics["items"] == json.loads(report.ics.model_dump_json())["items"]


def test_result_props_bind_decision_spec_and_signature(reports: dict[str, Report]) -> None:
    report = reports["countersigned"]
    data, _ = export(report)
    result = result_of(data)
    assert prop(result, "decision") == report.decision.value == "certified"
    assert prop(result, "spec-digest") == report.spec.digest
    assert prop(result, "suite-digest") == "sha256:" + "ab" * 32
    # the vendor's key id is the fingerprint of its key: sha256 of the raw public key
    raw = [s for s in report.signatures if s.role == "vendor"][0].public_key
    assert prop(result, "vendor-key-id") == "sha256:" + hashlib.sha256(base64.b64decode(raw)).hexdigest()
    assert props(result, "countersignature-key-id") == [report.signatures[1].key_id]
    assert result["start"] == "2026-11-25T00:00:00Z" and result["end"] == FINISHED
    meta = data["assessment-results"]["metadata"]
    assert meta["published"] == "2026-11-25T00:11:00Z"  # the vendor signed
    assert meta["last-modified"] == "2026-11-27T09:00:00Z"  # the countersignature is the latest revision
    # an unsigned report names no key
    unsigned, _ = export(reports["passing"])
    assert props(result_of(unsigned), "vendor-key-id") == []
    assert unsigned["assessment-results"]["metadata"]["last-modified"] == FINISHED


def test_vendor_key_id_against_cryptography() -> None:
    """The key id in the export is the fingerprint cryptography computes for the signing key."""
    key = generate_key()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    data, _ = export(sign_report(make_report(), key, signed_at="2026-11-25T00:11:00Z"))
    assert prop(result_of(data), "vendor-key-id") == "sha256:" + hashlib.sha256(raw).hexdigest()


# -- determinism ------------------------------------------------------------------------------------


def test_same_report_same_bytes(reports: dict[str, Report], tmp_path: Path) -> None:
    report = reports["waived"]
    first = report_oscal(report)
    assert report_oscal(report) == first
    # a report rebuilt from scratch, and one read back from its canonical JSON file, give the same bytes
    rebuilt = make_report(
        {"OISL-COD-004": Verdict.failed, "OISL-COD-005": Verdict.failed, "OISL-COD-008": Verdict.error},
        waivers=(
            waiver("W-1", ["OISL-COD-004", "OISL-COD-005"]),
            waiver("W-2", ["OISL-COD-008"], expires="2026-11-01"),
            waiver("W-3", ["OISL-COD-001"]),
            waiver("W-4", ["OISL-COD-004"], product="other-*"),
        ),
    )
    assert report_oscal(rebuilt) == first
    path = tmp_path / "r.json"
    path.write_bytes(report_json(reports["signed"]))
    assert report_oscal(load_report(path)) == report_oscal(reports["signed"])
    # and it runs the same in another process (no dependence on hash seeds or the clock)
    code = (
        "import sys; from orbitcert.conformance.writers import load_report; "
        "from orbitcert.conformance.oscal import report_oscal; sys.stdout.buffer.write(report_oscal(load_report(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, check=True, env=env).stdout
    assert out == report_oscal(reports["signed"])


def test_uuids_follow_the_content(reports: dict[str, Report]) -> None:
    """A countersignature is a revision of the same assessment: every uuid is kept, the
    document's version and last-modified change. Another assessment gets other uuids."""
    signed, _ = export(reports["signed"])
    counter, _ = export(reports["countersigned"])
    failing, _ = export(reports["failing"])

    def uuids(data: dict[str, Any]) -> list[str]:
        return [v for _, k, v in walk(data) if k == "uuid"]

    assert uuids(signed) == uuids(counter)
    assert signed["assessment-results"]["metadata"]["version"] != counter["assessment-results"]["metadata"]["version"]
    doc = {d["assessment-results"]["uuid"] for d in (signed, failing)}
    assert len(doc) == 2
    finding = {result_of(d)["findings"][0]["uuid"] for d in (signed, failing)}
    assert len(finding) == 2
    # the product and the tool keep their uuid across assessments (OSCAL: per subject)
    comps = [[c["uuid"] for c in result_of(d)["local-definitions"]["components"]] for d in (signed, failing)]
    assert comps[0] == comps[1]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_control_ids_are_oscal_tokens(text: str) -> None:
    """Whatever a requirement id holds, its control id passes trestle's OSCAL token pattern;
    an id that already is one is kept as it is."""
    token = control_id(text)
    assert TokenDatatype.model_validate(token).root == token
    try:
        TokenDatatype.model_validate(text)
    except ValueError:
        return
    if text.isascii():
        assert token == text


# -- untrusted text and malformed reports -------------------------------------------------------


def test_hostile_text_still_validates() -> None:
    """A product's message may hold anything: line breaks, control characters, a lone surrogate,
    leading blanks. Titles and property values stay one line, and trestle still accepts it."""
    nasty = "  boom\r\n\x1b[31mred\x00 \ud800 end \n"
    evidence = [
        BinomialEvidence(
            quantity="frames lost", trials=100, failures=1, confidence=0.95, bound=0.0466, max_fraction=0.05, passed=True
        ),
        AnalysisEvidence(title="margin", inputs=[Quantity(name="P", value=1.0, unit="W")], conclusion="ok"),
    ]
    extra = TestResult(
        nodeid="test_coding.py::test_weird[\x1b\n]", requirements=["OISL-COD-001"], verdict=Verdict.failed,
        message=nasty, evidence=evidence,
    )
    report = make_report(extra_tests=(extra,))
    data, _ = export(report)
    result = result_of(data)
    (o,) = [o for o in result["observations"] if "weird" in o["title"]]
    assert "\n" not in o["title"] and "\x1b" not in json.dumps(o, ensure_ascii=False)
    assert len(o["relevant-evidence"]) == 2
    assert "frames lost" in o["relevant-evidence"][0]["description"]
    for _, k, v in walk(data):
        if k == "value" and isinstance(v, str):
            assert v == v.strip() and "\n" not in v


def test_malformed_reports_are_refused(reports: dict[str, Report]) -> None:
    report = reports["passing"]
    dup = report.model_copy(update={"tests": [*report.tests, report.tests[0]]})
    with pytest.raises(ReportError, match="appears twice"):
        report_oscal(dup)
    bad_time = report.model_copy(
        update={"environment": report.environment.model_copy(update={"finished": "yesterday"})}
    )
    with pytest.raises(ReportError, match="environment.finished"):
        report_oscal(bad_time)
    # a requirement marked waived with no applied waiver behind it cannot become a risk
    reqs = [r.model_copy(update={"verdict": Verdict.waived, "waiver": "W-9"}) if i == 0 else r
            for i, r in enumerate(report.requirements)]
    with pytest.raises(ReportError, match="W-9"):
        report_oscal(report.model_copy(update={"requirements": reqs}))


# -- a real certification ---------------------------------------------------------------------------


@pytest.mark.slow
def test_export_of_a_signed_reference_certification(tmp_path: Path) -> None:
    """``orbitcert certify`` of the reference (signed with a vendor key), exported: trestle accepts
    it, every recorded test is an observation and every requirement a finding linked to them."""
    from orbitcert.conformance.signing import key_id, load_private_key, write_key_pair

    key = tmp_path / "vendor.pem"
    write_key_pair(key)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", SPEC, "--examples", "25",
         "--format", "json", "--sign-key", str(key), "--out", str(out)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = load_report(out / "net-optical-isl-1.0.0.json")
    data, model = export(report)
    result = result_of(data)
    assert len(model.assessment_results.results[0].observations) == len(report.tests) > 0
    assert {prop(o, "node-id") for o in result["observations"]} == {t.nodeid for t in report.tests}
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]}
    assert states == {r.id: EXPECTED_STATE[r.verdict.value] for r in report.requirements}
    assert prop(result, "decision") == report.decision.value
    assert prop(result, "vendor-key-id") == key_id(load_private_key(key).public_key())
