"""Waivers (issue 13): loading, version ranges, what each waiver did, and the verdict rules.

Reports are built in memory (``build_report``, milliseconds) for the small spec in
``waivers/spec.yaml``: classes core <- ext <- top, SHALL and SHOULD requirements, one verified by
analysis, one that applies only with the ICS option ``fancy``. Oracles: the precedence chain
published in Semantic Versioning 2.0.0 item 11, the dates of the calendar (``datetime``), and a
brute-force restatement of the decision rule of issue 13 for the property test.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.results import (
    ClassResult,
    Decision,
    RequirementResult,
    TestResult,
    Verdict,
    Waiver,
)
from orbitcert.conformance.verdicts import decide_classes, overall_decision, roll_up_requirements
from orbitcert.conformance.waivers import (
    apply_waivers,
    load_waivers,
    load_waivers_text,
    parse_version_range,
    utc_day,
    waivers_of,
)
from orbitcert.specs.errors import InputFileError, OrbitcertError, ReportError, WaiverError
from orbitcert.specs.ics import Ics, validate_ics_document
from orbitcert.specs.loader import LoadedSpec, load_spec_document, load_spec_file
from orbitcert.specs.model import Level
from orbitcert.specs.yamlio import load_yaml_text

HERE = Path(__file__).parent / "waivers"
LOADED = load_spec_file(HERE / "spec.yaml")
SPEC = LOADED.spec
SPEC_ID, VERSION, PRODUCT = SPEC.id, SPEC.version, "acme-modem"
FINISHED = "2026-11-25T12:00:00Z"
ON = "2026-11-25"


def make_ics(classes: Sequence[str] = ("core", "ext", "top"), fancy: bool = True) -> Ics:
    text = f"spec: {SPEC.ref}\nproduct: {{name: {PRODUCT}, version: '1.0'}}\nclasses: [{', '.join(classes)}]\n"
    text += f"items: {{fancy: {'true' if fancy else 'false'}}}\n"
    return validate_ics_document(load_yaml_text(text, "ics.yaml"), SPEC)


def results_for(verdicts: Mapping[str, Verdict]) -> list[TestResult]:
    """One test per requirement verified by test (passing unless named in ``verdicts``); a
    requirement mapped to Verdict.none gets no test at all."""
    out = []
    for r in SPEC.requirements:
        v = verdicts.get(r.id, Verdict.passed if r.verification.value == "test" else Verdict.none)
        if v is Verdict.none:
            continue
        out.append(TestResult(nodeid=f"test_demo.py::test_{r.id}", requirements=[r.id], verdict=v,
                              message="" if v is Verdict.passed else f"{r.id}: {v.value}"))
    return out


def report(
    verdicts: Mapping[str, Verdict] | None = None,
    waivers: Sequence[Waiver] = (),
    *,
    claimed: Ics | None = None,
    finished: str = FINISHED,
    product: str = PRODUCT,
    loaded: LoadedSpec = LOADED,
) -> Report:
    """A report of waiver-demo 1.2.0 built in memory (the ``synthetic_report`` idea of helpers.py)."""
    return build_report(
        loaded,
        claimed or make_ics(),
        results_for(verdicts or {}),
        Implementation(name=product, version="1.0", factory="acme:create", shared_process=False),
        SuiteBinding(path="suites/waiver-demo", origin="catalog", digest="sha256:" + "0" * 64),
        started="2026-11-25T11:00:00Z",
        thoroughness=Thoroughness(examples=50, minimum_examples=25, derandomized=True, timeout=300.0),
        finished=finished,
        waivers=waivers,
    )


def waiver(wid: str = "W-1", requirements: Sequence[str] = ("WD-002",), **fields: str) -> Waiver:
    data = {
        "id": wid, "spec": SPEC_ID, "versions": "*", "requirements": list(requirements), "product": "*",
        "approver": "Demo review board", "reason": "fix scheduled", "issue": "DEMO-1", "expires": "2027-01-31",
    }
    data.update(fields)
    return Waiver.model_validate(data)


def req(rep: Report, rid: str) -> RequirementResult:
    return next(r for r in rep.requirements if r.id == rid)


def cls(rep: Report, cid: str) -> ClassResult:
    return next(c for c in rep.classes if c.id == cid)


def record_status(rep: Report) -> dict[str, str]:
    return {w.id: w.status for w in rep.waivers}


# --- loading -----------------------------------------------------------------------------------


def test_load_valid_file() -> None:
    ws = load_waivers(HERE / "valid.yaml")
    assert [w.id for w in ws] == ["W-001", "W-002"]
    first = ws[0]
    assert (first.spec, first.versions, first.requirements, first.product) == ("waiver-demo", ">=1.0.0,<2.0.0", ["WD-002"], "acme-*")
    assert (first.approver, first.issue, first.expires) == ("Demo review board", "https://tracker.example/ACME-88", "2027-01-31")
    assert ws[1].versions == "*" and ws[1].product == "*"  # defaults


def test_unquoted_date_stays_a_string_and_empty_list_loads() -> None:
    text = "waivers:\n  - {id: W-1, spec: s, requirements: [A-1], approver: a, reason: r, issue: i, expires: 2027-01-31}\n"
    assert load_waivers_text(text)[0].expires == "2027-01-31"
    assert load_waivers_text("waivers: []\n") == []


ENTRY = """\
waivers:
  - id: W-1
    spec: waiver-demo
    versions: "*"
    requirements: [WD-001]
    approver: board
    reason: why
    issue: DEMO-1
    expires: "2027-01-31"
"""


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (ENTRY.replace("    issue: DEMO-1\n", "    issue: DEMO-1\n    ticket: 7\n"), 9, "waivers.0.ticket", "Extra inputs"),
        (ENTRY + "other: 1\n", 10, "other", "Extra inputs"),
        (ENTRY.replace("    approver: board\n", ""), 2, "waivers.0.approver", "required"),
        (ENTRY + ENTRY.split("\n", 1)[1], 10, "waivers.1.id", "duplicate waiver id 'W-1'"),
        (ENTRY.replace('versions: "*"', 'versions: ">=1.0,<2.0.0"'), 4, "waivers.0.versions", "'1.0' is not a semantic version"),
        (ENTRY.replace('versions: "*"', 'versions: "~1.0.0"'), 4, "waivers.0.versions", "bad version range"),
        (ENTRY.replace('versions: "*"', 'versions: "1.0.0+build.5"'), 4, "waivers.0.versions", "not a semantic version"),
        (ENTRY.replace('versions: "*"', 'versions: ">=1.0.0,,<2.0.0"'), 4, "waivers.0.versions", "not a comparison"),
        (ENTRY.replace('versions: "*"', 'versions: ""'), 4, "waivers.0.versions", "empty version range"),
        (ENTRY.replace('"2027-01-31"', '"2027-02-30"'), 9, "waivers.0.expires", "is not a date"),
        (ENTRY.replace('"2027-01-31"', '"31/01/2027"'), 9, "waivers.0.expires", "pattern"),
        (ENTRY.replace("[WD-001]", "[WD-001, WD-002, WD-001]"), 5, "waivers.0.requirements.2", "named twice"),
        (ENTRY.replace("[WD-001]", "[]"), 5, "waivers.0.requirements", "at least 1"),
        (ENTRY.replace("id: W-1", "id: 'W 1'"), 2, "waivers.0.id", "pattern"),
        (ENTRY.replace("    reason: why\n", "    reason: why\n    reason: again\n"), 8, None, "duplicate key 'reason'"),
        ("- just a list\n", 1, None, "mapping with the key 'waivers'"),
        ("", 1, None, "empty"),
    ],
    ids=["unknown-key", "unknown-top-key", "missing-field", "duplicate-id", "short-version", "tilde-range", "build-metadata",
         "empty-comparison", "empty-range", "impossible-date", "date-format", "requirement-twice", "no-requirements",
         "bad-id", "duplicate-yaml-key", "not-a-mapping", "empty-file"],
)
def test_loader_errors_name_file_line_and_field(tmp_path: Path, text: str, line: int, field: str | None, words: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as info:
        load_waivers(path)
    err = info.value
    assert isinstance(err, OrbitcertError) and err.exit_code == 2
    assert err.path == str(path) and err.line == line, str(err)
    assert err.field == field, str(err)
    assert words in err.message, str(err)
    assert str(err).startswith(f"{path}:{line}: ")


def test_loader_errors_are_waiver_errors_for_content(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(ENTRY + ENTRY.split("\n", 1)[1])
    with pytest.raises(WaiverError):
        load_waivers(path)


def test_loader_refuses_non_regular_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="regular file|directory|not a file"):
        load_waivers(tmp_path)
    with pytest.raises(InputFileError):
        load_waivers(tmp_path / "missing.yaml")


def test_loader_counts_further_problems(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(ENTRY.replace('versions: "*"', 'versions: "x"').replace('"2027-01-31"', '"2027-13-01"'))
    with pytest.raises(WaiverError, match=r"\(and 1 more problem\)"):
        load_waivers(path)


# --- version ranges ----------------------------------------------------------------------------

#: The precedence example of Semantic Versioning 2.0.0, item 11 (semver.org), extended with
#: releases around it: each version has lower precedence than the next.
CHAIN = [
    "0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
    "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "10.0.0",
]


@pytest.mark.parametrize("op", [">=", "<=", ">", "<", "==", "!=", "="])
def test_comparators_follow_semver_precedence(op: str) -> None:
    oracle = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq,
              "!=": operator.ne, "=": operator.eq}[op]
    for (i, v), (j, bound) in itertools.product(enumerate(CHAIN), repeat=2):
        assert (v in parse_version_range(f"{op}{bound}")) is oracle(i, j), (v, op, bound)


def test_ranges_join_comparators_and_star_matches_all() -> None:
    every = parse_version_range("*")
    assert all(v in every for v in CHAIN)
    rng = parse_version_range(">=1.0.0, <2.0.0")
    assert [v for v in CHAIN if v in rng] == ["1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0-rc.1"]
    exact = parse_version_range("1.0.0-rc.1")
    assert [v for v in CHAIN if v in exact] == ["1.0.0-rc.1"]
    assert [v for v in CHAIN if v in parse_version_range(">1.0.0-beta,<1.0.0,!=1.0.0-beta.11")] == [
        "1.0.0-beta.2", "1.0.0-rc.1"
    ]


@pytest.mark.parametrize("bad", ["", " ", "1.0", ">=1", "~1.0.0", "^1.0.0", "1.0.0+b1", ">=1.0.0,", "01.0.0", "=>1.0.0", "latest"])
def test_bad_ranges_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_version_range(bad)


# --- what each waiver did ------------------------------------------------------------------------


def test_applied_waiver_keeps_the_underlying_verdict_in_its_reason() -> None:
    rep = report({"WD-002": Verdict.failed}, [waiver()])
    r = req(rep, "WD-002")
    assert r.verdict is Verdict.waived and r.waiver == "W-1"
    assert r.reason.startswith("waived by W-1 until 2027-01-31 (tests: fail; 1 test(s) fail: test_demo.py::test_WD-002")
    assert record_status(rep) == {"W-1": "applied"}
    assert "WD-002" in rep.waivers[0].note and rep.waivers[0].approver == "Demo review board"
    assert rep.summary.requirements.get("waived") == 1 and "fail" not in rep.summary.requirements


@pytest.mark.parametrize("underlying", [Verdict.failed, Verdict.error, Verdict.inconclusive, Verdict.none])
def test_every_non_passing_verdict_can_be_waived(underlying: Verdict) -> None:
    rep = report({**base_verdicts(), "WD-002": underlying}, [waiver()])
    r = req(rep, "WD-002")
    assert r.verdict is Verdict.waived and f"(tests: {underlying.value}" in r.reason
    assert rep.decision is Decision.certified_with_waivers


def test_evidence_required_requirement_can_be_waived() -> None:
    plain = report()
    assert req(plain, "WD-004").verdict is Verdict.none and cls(plain, "core").evidence_required == ["WD-004"]
    assert plain.decision is Decision.not_certified
    rep = report(waivers=[waiver(requirements=["WD-004"])])
    assert cls(rep, "core").waived == ["WD-004"] and cls(rep, "core").evidence_required == []
    assert rep.decision is Decision.certified_with_waivers


def base_verdicts() -> dict[str, Verdict]:
    """Every requirement verified by test passes and the analysis one passes too (a test names it)."""
    return {"WD-004": Verdict.passed}


def test_waiver_on_a_passing_requirement_is_not_needed() -> None:
    rep = report(base_verdicts(), [waiver(requirements=["WD-001", "WD-002"])])
    assert rep.decision is Decision.certified
    assert record_status(rep) == {"W-1": "not-needed"}
    assert "WD-001, WD-002 passed: remove this waiver" in rep.waivers[0].note
    assert all(r.verdict is not Verdict.waived and r.waiver is None for r in rep.requirements)


def test_partly_needed_waiver_is_applied_and_names_what_passed() -> None:
    rep = report({**base_verdicts(), "WD-002": Verdict.failed}, [waiver(requirements=["WD-001", "WD-002", "XX-999"])])
    assert record_status(rep) == {"W-1": "applied"}
    note = rep.waivers[0].note
    assert "waived WD-002" in note and "WD-001 passed" in note and "XX-999 not in waiver-demo 1.2.0" in note
    assert req(rep, "WD-001").verdict is Verdict.passed


@pytest.mark.parametrize(
    ("fields", "product", "words"),
    [
        ({"versions": ">=2.0.0"}, PRODUCT, "covers versions '>=2.0.0' of waiver-demo, not 1.2.0"),
        ({"versions": "1.2.0-rc.1"}, PRODUCT, "not 1.2.0"),
        ({"product": "other-*"}, PRODUCT, "covers product 'other-*', not 'acme-modem'"),
        ({"product": "ACME-*"}, PRODUCT, "not 'acme-modem'"),  # case-sensitive on every platform
        ({"requirements": ["XX-001"]}, PRODUCT, "names no requirement of waiver-demo 1.2.0 (XX-001)"),
        ({"requirements": ["WD-006"]}, PRODUCT, "do not apply to this product"),
    ],
    ids=["version", "pre-release", "product", "product-case", "unknown-requirement", "not-applicable"],
)
def test_unmatched_waivers(fields: dict[str, Any], product: str, words: str) -> None:
    requirements = fields.pop("requirements", ["WD-002"])
    rep = report({"WD-002": Verdict.failed, "WD-006": Verdict.failed}, [waiver(requirements=requirements, **fields)],
                 claimed=make_ics(fancy=False), product=product)
    assert record_status(rep) == {"W-1": "unmatched"}
    assert words in rep.waivers[0].note
    assert req(rep, "WD-002").verdict is Verdict.failed
    assert rep.decision is Decision.not_certified


@pytest.mark.parametrize(("pattern", "matches"), [("acme-*", True), ("acme-mode?", True), ("[!b]*", True), ("acme", False), ("*-router", False)])
def test_product_patterns(pattern: str, matches: bool) -> None:
    rep = report({"WD-002": Verdict.failed}, [waiver(product=pattern)])
    assert (record_status(rep)["W-1"] == "applied") is matches


@pytest.mark.parametrize(
    ("finished", "status"),
    [
        ("2027-01-31T00:00:00Z", "applied"),
        ("2027-01-31T23:59:59Z", "applied"),  # the expiry day itself is covered
        ("2027-02-01T00:00:00Z", "expired"),
        ("2027-02-01T01:00:00+02:00", "applied"),  # 2027-01-31 23:00 UTC
        ("2027-01-31T22:30:00-02:00", "expired"),  # 2027-02-01 00:30 UTC
    ],
)
def test_expiry_is_checked_on_the_utc_day_the_run_finished(finished: str, status: str) -> None:
    rep = report({**base_verdicts(), "WD-002": Verdict.failed}, [waiver()], finished=finished)
    assert record_status(rep) == {"W-1": status}
    if status == "expired":
        assert req(rep, "WD-002").verdict is Verdict.failed and req(rep, "WD-002").waiver is None
        assert rep.decision is Decision.not_certified
        assert "expired on 2027-01-31" in rep.waivers[0].note and "keep their verdicts" in rep.waivers[0].note
    else:
        assert rep.decision is Decision.certified_with_waivers


def test_utc_day_against_datetime_arithmetic() -> None:
    """Oracle: the UTC day computed by hand (local time minus its offset)."""
    assert utc_day("2027-01-31T23:59:59Z") == "2027-01-31"
    assert utc_day("2027-01-31T23:59:59") == "2027-01-31"  # no offset: UTC
    assert utc_day("2027-02-01T01:59:59+02:00") == "2027-01-31"
    assert utc_day("2024-02-28T22:00:00-03:00") == "2024-02-29"  # leap day
    with pytest.raises(ReportError, match="ISO 8601"):
        utc_day("yesterday")


def test_first_waiver_by_id_wins_and_the_other_is_not_needed() -> None:
    later, first = waiver("W-2", expires="2030-01-01"), waiver("W-1")
    rep = report({**base_verdicts(), "WD-002": Verdict.failed}, [later, first])
    assert req(rep, "WD-002").waiver == "W-1"
    assert [(w.id, w.status) for w in rep.waivers] == [("W-1", "applied"), ("W-2", "not-needed")]
    assert "already waived by W-1" in rep.waivers[1].note


def test_waivers_of_other_specs_get_no_record_and_inputs_are_not_changed() -> None:
    loaded = load_waivers(HERE / "valid.yaml")
    tests = results_for({"WD-002": Verdict.failed})
    reqs = roll_up_requirements(SPEC, make_ics(), tests)
    before = [r.model_dump() for r in reqs]
    out, records = apply_waivers(reqs, loaded, spec_id=SPEC_ID, version=VERSION, product=PRODUCT, on=ON)
    assert [r.model_dump() for r in reqs] == before
    assert [w.id for w in records] == ["W-001"] and records[0].status == "applied"
    assert [r.id for r in out] == [r.id for r in reqs]
    assert [r.id for r in out if r.verdict is Verdict.waived] == ["WD-002"]


def test_apply_refuses_bad_input() -> None:
    reqs = roll_up_requirements(SPEC, make_ics(), results_for({}))
    with pytest.raises(WaiverError, match="duplicate waiver id"):
        apply_waivers(reqs, [waiver(), waiver()], spec_id=SPEC_ID, version=VERSION, product=PRODUCT, on=ON)
    with pytest.raises(WaiverError, match="bad version range"):
        apply_waivers(reqs, [waiver(versions="1.x")], spec_id=SPEC_ID, version=VERSION, product=PRODUCT, on=ON)
    with pytest.raises(WaiverError, match="YYYY-MM-DD"):
        apply_waivers(reqs, [waiver()], spec_id=SPEC_ID, version=VERSION, product=PRODUCT, on="2026-02-30")


def test_records_reapply_to_the_same_result() -> None:
    """What verify does: the report's records, applied again to the recomputed roll-up, give the
    same requirement verdicts and the same records."""
    rep = report({"WD-002": Verdict.failed, "WD-003": Verdict.error}, [waiver(requirements=["WD-002", "WD-003"]), waiver("W-0", versions=">=2.0.0")])
    again = Report.model_validate_json(rep.model_dump_json(by_alias=True))
    reqs = roll_up_requirements(SPEC, again.ics, again.tests)
    out, records = apply_waivers(reqs, waivers_of(again.waivers), spec_id=SPEC_ID, version=VERSION, product=PRODUCT, on=ON)
    assert out == again.requirements and records == again.waivers


# --- verdict rules -------------------------------------------------------------------------------


def test_waived_shall_gives_certified_with_waivers_never_certified() -> None:
    rep = report({**base_verdicts(), "WD-002": Verdict.failed}, [waiver()])
    core = cls(rep, "core")
    assert core.decision is Decision.certified_with_waivers
    assert core.waived == ["WD-002"] and "WD-002" not in core.passed and core.failed == []
    assert "SHALL WD-002 waived by W-1" in core.reason
    assert rep.decision is Decision.certified_with_waivers


def test_waived_should_is_listed_not_an_advisory() -> None:
    rep = report({**base_verdicts(), "WD-003": Verdict.failed}, [waiver(requirements=["WD-003"])])
    core = cls(rep, "core")
    assert core.waived == ["WD-003"] and core.advisories == []
    assert core.decision is Decision.certified_with_waivers and "SHOULD WD-003 waived by W-1" in core.reason
    without = report({**base_verdicts(), "WD-003": Verdict.failed})
    assert cls(without, "core").advisories == ["WD-003"] and without.decision is Decision.certified


def test_dependency_on_a_class_certified_with_waivers() -> None:
    rep = report({**base_verdicts(), "WD-001": Verdict.error}, [waiver(requirements=["WD-001"])])
    assert [c.decision for c in rep.classes] == [Decision.certified_with_waivers] * 3
    assert "depends on class(es) certified with waivers: core" in cls(rep, "ext").reason
    assert "depends on class(es) certified with waivers: ext" in cls(rep, "top").reason
    assert cls(rep, "ext").waived == [] and cls(rep, "ext").passed == ["WD-005"]
    # Claiming only the base class: certified with waivers, nothing else considered.
    only = report({**base_verdicts(), "WD-001": Verdict.error}, [waiver(requirements=["WD-001"])], claimed=make_ics(["core"]))
    assert only.decision is Decision.certified_with_waivers and cls(only, "ext").decision is Decision.not_claimed


def test_failure_elsewhere_is_not_waived_away() -> None:
    rep = report({**base_verdicts(), "WD-001": Verdict.error, "WD-005": Verdict.failed}, [waiver(requirements=["WD-001"])])
    assert cls(rep, "core").decision is Decision.certified_with_waivers
    assert cls(rep, "ext").decision is Decision.not_certified and cls(rep, "top").decision is Decision.not_certified
    assert "depends on class(es) not certified: ext" in cls(rep, "top").reason
    assert rep.decision is Decision.not_certified


def test_blockers_win_over_waivers() -> None:
    text = (HERE / "spec.yaml").read_text().replace("status: published", "status: draft")
    draft = load_spec_document(load_yaml_text(text, "draft.yaml"))
    rep = report({**base_verdicts(), "WD-002": Verdict.failed}, [waiver()], loaded=draft)
    assert rep.blockers and record_status(rep) == {"W-1": "applied"}
    assert rep.decision is Decision.not_certified


def test_test_level_waived_verdict_is_no_longer_rolled_up() -> None:
    tests = [t if "WD-001" not in t.nodeid else t.model_copy(update={"verdict": Verdict.waived}) for t in results_for({})]
    r = next(r for r in roll_up_requirements(SPEC, make_ics(), tests) if r.id == "WD-001")
    assert r.verdict is Verdict.none and r.waiver is None


def _class(decision: Decision, claimed: bool = True) -> ClassResult:
    return ClassResult(id="c", claimed=claimed, decision=decision)


@pytest.mark.parametrize(
    ("decisions", "blocked", "expected"),
    [
        ([Decision.certified, Decision.certified], False, Decision.certified),
        ([Decision.certified, Decision.certified_with_waivers], False, Decision.certified_with_waivers),
        ([Decision.certified_with_waivers], False, Decision.certified_with_waivers),
        ([Decision.certified_with_waivers, Decision.not_certified], False, Decision.not_certified),
        ([Decision.certified_with_waivers], True, Decision.not_certified),
        ([Decision.certified], True, Decision.not_certified),
        ([], False, Decision.not_certified),
    ],
)
def test_overall_decision_table(decisions: list[Decision], blocked: bool, expected: Decision) -> None:
    classes = [_class(d) for d in decisions] + [_class(Decision.not_claimed, claimed=False)]
    assert overall_decision(classes, ["blocked"] if blocked else []) is expected


def test_decide_classes_keeps_its_signature() -> None:
    reqs = roll_up_requirements(SPEC, make_ics(), results_for(base_verdicts()))
    assert [c.decision for c in decide_classes(SPEC, make_ics(), reqs)] == [Decision.certified] * 3


# --- property: a waived requirement never leaves a report "certified" --------------------------

#: Mostly passes, so that every decision is drawn often.
VERDICTS = [Verdict.passed] * 6 + [Verdict.failed, Verdict.error, Verdict.inconclusive, Verdict.none]
REQ_IDS = [r.id for r in SPEC.requirements]
CLAIMS = [("core",), ("core", "ext"), ("core", "ext", "top")]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Verdict], list[Waiver], Ics]:
    verdicts = {rid: draw(st.sampled_from(VERDICTS)) for rid in REQ_IDS}
    waivers = []
    for n in range(draw(st.integers(0, 5))):
        waivers.append(waiver(
            f"W-{n}",
            requirements=draw(st.lists(st.sampled_from([*REQ_IDS, "XX-001"]), min_size=1, max_size=4, unique=True)),
            versions=draw(st.sampled_from(["*", "1.2.0", ">=1.0.0,<2.0.0", "*", ">=2.0.0", "<1.2.0"])),
            product=draw(st.sampled_from(["*", "acme-*", "*", "other"])),
            expires=draw(st.sampled_from(["2026-11-24", "2026-11-25", "2027-06-30"])),
            spec=draw(st.sampled_from([SPEC_ID] * 5 + ["other-spec"])),
        ))
    claimed = make_ics(draw(st.sampled_from(CLAIMS)), fancy=draw(st.booleans()))
    return verdicts, waivers, claimed


def oracle(verdicts: Mapping[str, Verdict], waivers: Sequence[Waiver], claimed: Ics) -> tuple[Decision, set[str]]:
    """The decision of issue 13 restated by brute force for this spec (every dependency of a
    claimed class is claimed, no misdeclaration, no blocker): not certified when an applicable
    SHALL neither passes nor is waived; certified with waivers when anything is waived."""
    waived: set[str] = set()
    bad = False
    for r in SPEC.requirements:
        applies = r.class_ in claimed.classes and (r.applies_if is None or claimed.items.get(r.applies_if) is True)
        if not applies:
            continue
        v = verdicts[r.id]
        covered = any(
            w.spec == SPEC_ID and r.id in w.requirements and w.expires >= ON and w.product in ("*", "acme-*")
            and w.versions in ("*", "1.2.0", ">=1.0.0,<2.0.0")
            for w in waivers
        )
        if v is not Verdict.passed and covered:
            waived.add(r.id)
        elif v is not Verdict.passed and r.level is Level.SHALL:
            bad = True
    if bad:
        return Decision.not_certified, waived
    return (Decision.certified_with_waivers if waived else Decision.certified), waived


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_property_waived_never_certified(case: tuple[dict[str, Verdict], list[Waiver], Ics]) -> None:
    verdicts, waivers, claimed = case
    rep = report(verdicts, waivers, claimed=claimed)
    waived = {r.id for r in rep.requirements if r.verdict is Verdict.waived}
    if waived:
        assert rep.decision is not Decision.certified
    if rep.decision is Decision.certified_with_waivers:
        assert waived
    expected, expected_waived = oracle(verdicts, waivers, claimed)
    assert (rep.decision, waived) == (expected, expected_waived)
    for c in rep.classes:
        assert not set(c.passed) & waived
        assert set(c.waived) <= waived
    applied = {w.id for w in rep.waivers if w.status == "applied"}
    assert {r.waiver for r in rep.requirements if r.verdict is Verdict.waived} == applied
    assert [w.id for w in rep.waivers] == sorted(w.id for w in waivers if w.spec == SPEC_ID)
