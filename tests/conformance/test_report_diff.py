"""The CI gate ``orbitcert report diff`` (issue 13): verdict order, class and decision order,
thoroughness, the known-failing list, the renderings, and the command on real signed reports.

Unit tests compare in-memory reports (milliseconds). The command tests certify a tiny published
spec of a temporary catalog (``gate-demo``: 15 tests, one of them parametrized 12 times) twice, a
good product and one that refuses every ``beta`` name, in a module-scoped fixture (a few seconds),
so both inputs really verify: signature, spec and suite digests, coverage, verdicts.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance.diff import DECISION_RANK, diff_json, diff_markdown, diff_reports, group_tests
from orbitcert.conformance.known_failing import load_known_failing, parse_known_failing
from orbitcert.conformance.report import Implementation, Report, SuiteBinding, Thoroughness, build_report
from orbitcert.conformance.results import Decision, TestResult, Verdict
from orbitcert.specs.errors import InputFileError, ReportError
from orbitcert.specs.ics import full_ics
from helpers import gate_catalog
from orbitcert.specs.loader import load_ref


def synthetic_report(verdicts: dict[str, Verdict] | None = None, version: str = "2.0", examples: int = 50) -> Report:
    """A report of net-optical-isl 1.0.0 built in memory (as ``helpers.synthetic_report``, with an
    isolated product so that the decision is the classes' alone): one test per requirement, named
    after it, passing except those in ``verdicts``."""
    loaded = load_ref("net-optical-isl@1.0.0")
    verdicts = verdicts or {}
    tests = [
        TestResult(
            nodeid=f"test_coding.py::test_{r.id}", requirements=[r.id], verdict=verdicts.get(r.id, Verdict.passed),
            duration=0.01, message="" if verdicts.get(r.id, Verdict.passed) is Verdict.passed else f"{r.id} broke",
        )
        for r in loaded.spec.requirements
    ]
    return build_report(
        loaded, full_ics(loaded.spec), tests,
        Implementation(name="acme-modem", version=version, factory="acme:create", shared_process=False),
        SuiteBinding(path="suites/net-optical-isl", origin="bundled", digest="sha256:" + "0" * 64),
        started="2026-11-25T00:00:00Z",
        thoroughness=Thoroughness(examples=examples, minimum_examples=25, derandomized=True, timeout=300.0),
    )

# ---- unit: verdict order ------------------------------------------------------------------------

#: The gate's order written out as a table (independent of the module's rules): a requirement
#: that passed and no longer passes, or whose verdict moves up none < pass < inconclusive < fail <
#: error (untested to passing is an improvement), or that was waived and now does not pass
#: outright, is a regression.
_RANK = {"none": 0, "pass": 1, "inconclusive": 2, "fail": 3, "error": 4}


def _expected_regression(before: str, after: str) -> bool:
    if before == after:
        return False
    if before == "pass":
        return True
    if after == "pass":
        return False
    if before in _RANK and after in _RANK:
        return _RANK[after] > _RANK[before]
    return before == "waived" and after in ("inconclusive", "fail", "error")


def _with_verdicts(report: Report, verdicts: dict[str, Verdict]) -> Report:
    out = report.model_copy(deep=True)
    for r in out.requirements:
        if r.id in verdicts:
            r.verdict = verdicts[r.id]
    return out


def test_requirement_regressions_follow_the_published_order() -> None:
    """Random before/after verdicts (seeded) against the order table above."""
    base = synthetic_report()
    ids = [r.id for r in base.requirements]
    choices = list(Verdict)
    rng = np.random.default_rng(np.random.SeedSequence(1313))
    for _ in range(40):
        before = {rid: choices[int(i)] for rid, i in zip(ids, rng.integers(0, len(choices), len(ids)), strict=True)}
        after = {rid: choices[int(i)] for rid, i in zip(ids, rng.integers(0, len(choices), len(ids)), strict=True)}
        d = diff_reports(_with_verdicts(base, before), _with_verdicts(base, after))
        got = {f.subject for f in d.of("regression", "requirement")}
        want = {rid for rid in ids if _expected_regression(before[rid].value, after[rid].value)}
        assert got == want
        better = {f.subject for f in d.of("improvement", "requirement")}
        assert not better & got
        assert all(before[rid] is not after[rid] for rid in better)


def test_a_waiver_never_counts_as_a_pass() -> None:
    base = synthetic_report()
    d = diff_reports(base, _with_verdicts(base, {"OISL-COD-002": Verdict.waived}))
    assert "requirement OISL-COD-002: pass -> waived" in d.regressions
    failing = _with_verdicts(base, {"OISL-COD-002": Verdict.failed})
    waived = _with_verdicts(base, {"OISL-COD-002": Verdict.waived})
    assert diff_reports(failing, waived).regressions == [] and not diff_reports(failing, waived).improvements
    assert "requirement OISL-COD-002: waived -> fail" in diff_reports(waived, failing).regressions


def _with_class(report: Report, cid: str, decision: Decision) -> Report:
    out = report.model_copy(deep=True)
    for c in out.classes:
        if c.id == cid:
            c.decision = decision
    return out


@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [
        (Decision.certified, Decision.certified_with_waivers, "regression"),
        (Decision.certified, Decision.not_certified, "regression"),
        (Decision.certified_with_waivers, Decision.not_certified, "regression"),
        (Decision.certified, Decision.not_claimed, "regression"),
        (Decision.not_certified, Decision.certified_with_waivers, "improvement"),
        (Decision.certified_with_waivers, Decision.certified, "improvement"),
        (Decision.not_claimed, Decision.certified, "improvement"),
        (Decision.not_certified, Decision.not_claimed, "change"),
    ],
)
def test_class_order(before: Decision, after: Decision, severity: str) -> None:
    base = synthetic_report()
    d = diff_reports(_with_class(base, "coding", before), _with_class(base, "coding", after))
    assert [(f.subject, f.severity) for f in d.findings if f.kind == "class"] == [("coding", severity)]
    assert d.exit_code == (1 if severity == "regression" else 0)


def test_decision_order() -> None:
    assert sorted(DECISION_RANK, key=DECISION_RANK.__getitem__) == [
        Decision.not_certified, Decision.certified_with_waivers, Decision.certified
    ]
    base = synthetic_report()
    waived = base.model_copy(update={"decision": Decision.certified_with_waivers})
    assert "decision: certified -> certified-with-waivers" in diff_reports(base, waived).regressions
    assert "decision: certified-with-waivers -> certified" in diff_reports(waived, base).improvements


def test_thoroughness() -> None:
    base = synthetic_report(examples=200)
    fewer = synthetic_report(examples=30)
    assert "thoroughness: hypothesis examples 200 -> 30" in diff_reports(base, fewer).regressions
    assert "thoroughness: hypothesis examples 30 -> 200" in diff_reports(fewer, base).improvements
    other = base.model_copy(deep=True)
    other.thoroughness.timeout = 0.0
    other.thoroughness.call_timeout = 5.0
    other.thoroughness.derandomized = False
    other.thoroughness.seed = 42  # a fresh seed says nothing about thoroughness: not compared
    d = diff_reports(base, other)
    assert d.regressions == [] and d.exit_code == 0
    assert set(d.changes) == {
        "thoroughness: time limit per test 300 s -> none",
        "thoroughness: product call time limit each operation's own -> 5 s",
        "thoroughness: derandomized true -> false",
    }
    cut = base.model_copy(update={"complete": False, "selected": base.selected - 1})
    d = diff_reports(base, cut)
    assert "run: complete -> incomplete (interrupted)" in d.regressions
    assert f"tests selected: {base.selected} -> {base.selected - 1}" in d.regressions


def test_requirements_that_appear_or_disappear_and_vanished_tests() -> None:
    before, after = synthetic_report(), synthetic_report()
    gone = after.requirements.pop(0)
    d = diff_reports(before, after)
    assert f"requirement {gone.id}: disappeared (was pass)" in d.changes
    assert f"requirement {gone.id}: appeared (pass)" in diff_reports(after, before).changes
    after = synthetic_report()
    dropped = after.tests.pop(1)
    assert f"test {dropped.nodeid}: passed before, missing now" in diff_reports(before, after).regressions


def test_reports_of_different_specs_are_not_compared() -> None:
    other = synthetic_report()
    other.spec.id = "net-other"
    with pytest.raises(ReportError, match="different specs"):
        diff_reports(synthetic_report(), other)


# ---- unit: known-failing list -------------------------------------------------------------------


def test_known_failing_parses_text_and_yaml(tmp_path: Path) -> None:
    text = tmp_path / "kf.txt"
    text.write_text("# known failures\n\nOISL-COD-004   # issue 41\ntest_coding.py::test_rs_*\n")
    kf = load_known_failing(text)
    assert [(e.line, e.kind, e.value, e.comment) for e in kf.entries] == [
        (3, "requirement", "OISL-COD-004", "issue 41"),
        (4, "test", "test_coding.py::test_rs_*", ""),
    ]
    yml = tmp_path / "kf.yaml"
    yml.write_text("# known failures\n- OISL-COD-004  # issue 41\n- 'test_coding.py::test_rs_*'\n")
    assert [(e.line, e.value) for e in load_known_failing(yml).entries] == [(2, "OISL-COD-004"), (3, "test_coding.py::test_rs_*")]


@pytest.mark.parametrize(
    ("name", "content", "line", "match"),
    [
        ("a.txt", "OISL-COD-004\nhello world\n", 2, "not an entry"),
        ("a.txt", "OISL-COD-004\nlowercase\n", 2, "neither a requirement id"),
        ("a.txt", "# c\nOISL-COD-004\nOISL-COD-004\n", 3, "listed twice"),
        ("a.txt", "'OISL-COD-004\n", 1, "unbalanced quotes"),
        ("a.yaml", "# c\nkey: [1\n", 3, "not valid YAML"),
        ("a.yaml", "# c\nkey: value\n", 2, "sequence of strings"),
    ],
)
def test_a_bad_known_failing_file_names_the_line(tmp_path: Path, name: str, content: str, line: int, match: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputFileError, match=match) as info:
        load_known_failing(path)
    assert info.value.line == line and info.value.path == str(path)


def test_patterns_match_node_ids_under_any_folder() -> None:
    (entry,) = parse_known_failing("test_coding.py::test_rs_*").entries
    assert entry.matches_test("test_coding.py::test_rs_decode[3]")
    assert entry.matches_test("suites/net-optical-isl/test_coding.py::test_rs_x")
    assert not entry.matches_test("test_coding.py::test_ldpc")
    assert not entry.matches_test("other_test_coding.py::test_rs_x")
    (exact,) = parse_known_failing("test_coding.py::test_rs[8]").entries
    assert exact.matches_test("test_coding.py::test_rs[8]") and exact.matches_test("s/test_coding.py::test_rs[8]")
    assert exact.matches_test("test_coding.py::test_rs8"), "as an fnmatch pattern too"
    (literal,) = parse_known_failing("test_coding.py::test_rs[[]*").entries
    assert literal.matches_test("test_coding.py::test_rs[4-8]") and not literal.matches_test("test_coding.py::test_rs_4")


def test_known_failing_tolerates_listed_regressions_only() -> None:
    good = synthetic_report()
    bad = synthetic_report({"OISL-COD-002": Verdict.failed, "OISL-COD-003": Verdict.error})
    d = diff_reports(good, bad, parse_known_failing("OISL-COD-002\n"))
    assert d.regressions == ["requirement OISL-COD-003: pass -> error", "class coding: certified -> not-certified",
                             "decision: certified -> not-certified"]
    assert d.tolerated == ["requirement OISL-COD-002: pass -> fail"] and d.exit_code == 1
    both = parse_known_failing("OISL-COD-002\ntest_coding.py::test_OISL-COD-003\n")
    d = diff_reports(good, bad, both)
    assert d.regressions == [] and d.exit_code == 0, d.regressions
    assert set(d.tolerated) >= {"class coding: certified -> not-certified", "decision: certified -> not-certified"}
    assert [s.status for s in d.known_failing] == ["tolerates", "tolerates"]
    interrupted = bad.model_copy(update={"blockers": ["the run was interrupted"]})
    d = diff_reports(good, interrupted, both)
    assert d.regressions == ["decision: certified -> not-certified (the run was interrupted)"], "a new blocker is never known failing"


def test_a_pattern_must_cover_every_failing_test_of_a_requirement() -> None:
    good = synthetic_report()
    bad = synthetic_report({"OISL-COD-002": Verdict.failed})
    bad.tests.append(bad.tests[1].model_copy(update={"nodeid": "test_other.py::test_more"}))
    partial = parse_known_failing("test_coding.py::test_OISL-COD-002\n")
    assert "requirement OISL-COD-002: pass -> fail" in diff_reports(good, bad, partial).regressions
    full = parse_known_failing("test_coding.py::test_OISL-COD-002\ntest_other.py::*\n")
    assert "requirement OISL-COD-002: pass -> fail" in diff_reports(good, bad, full).tolerated


def test_stale_and_unmatched_entries() -> None:
    good = synthetic_report()
    kf = parse_known_failing("OISL-COD-005  # fixed long ago\nNOPE-001\ntest_nothing.py::*\ntest_coding.py::test_OISL-COD-00[67]\n")
    d = diff_reports(good, good, kf)
    assert [(s.entry.value, s.status) for s in d.known_failing] == [
        ("OISL-COD-005", "stale"), ("NOPE-001", "unmatched"), ("test_nothing.py::*", "unmatched"),
        ("test_coding.py::test_OISL-COD-00[67]", "stale"),
    ]
    assert d.regressions == [] and d.exit_code == 1, "a stale entry fails the gate"
    failing = synthetic_report({"OISL-COD-005": Verdict.failed})
    d = diff_reports(failing, failing, parse_known_failing("OISL-COD-005\n"))
    assert [s.status for s in d.known_failing] == ["failing"] and d.exit_code == 0


# ---- unit: renderings ---------------------------------------------------------------------------


def test_test_noise_is_grouped_and_identical_messages_collapsed() -> None:
    good = synthetic_report()
    bad = synthetic_report({"OISL-COD-004": Verdict.failed})
    template = bad.tests[3]
    bad.tests += [template.model_copy(update={"nodeid": f"{template.nodeid}[{i}]"}) for i in range(11)]
    good.tests += [t.model_copy(update={"verdict": Verdict.passed, "message": ""}) for t in bad.tests[-11:]]
    d = diff_reports(good, bad)
    (group,) = group_tests(d.tests)
    assert group.requirements == ("OISL-COD-004",) and group.count == 12
    assert group.kinds == (("pass", "fail", "OISL-COD-004 broke", 12),)
    md = diff_markdown(d)
    assert "12 tests of `OISL-COD-004` changed: 12 × pass → fail: OISL-COD-004 broke" in md


def _cells(row: str) -> list[str]:
    """Cells of a Markdown table row, honouring backslash-escaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_markdown_headline_order_and_escaping() -> None:
    good = synthetic_report()
    bad = synthetic_report({"OISL-COD-002": Verdict.failed}, version="2.1 <b>|x|</b>")
    bad.tests[1].message = "got `a|b` *bold* <script>alert(1)</script> [link](http://x)"
    md = diff_markdown(diff_reports(good, bad))
    head = md.splitlines()[0]
    assert head.startswith("### orbitcert report diff: 3 regression(s), decision certified → not-certified")
    assert md.index("#### Regressions") < md.index("#### Other changes") < md.index("#### Test changes")
    (noise,) = [x for x in md.splitlines() if x.startswith("- 1 test of")]
    message = noise.split("pass → fail: ", 1)[1]
    assert re.sub(r"\\.", "", message) == "got ab bold scriptalert(1)/script link(http://x)", message
    assert "<" not in re.sub(r"\\<", "", md), "every < from a report is escaped"
    for row in (x for x in md.splitlines() if x.startswith("|")):
        assert len(_cells(row)) == 3, row
    assert r"2.1 \<b\>\|x\|\</b\>" in md


def test_json_lists() -> None:
    good = synthetic_report()
    bad = synthetic_report({"OISL-COD-002": Verdict.failed})
    data = json.loads(diff_json(diff_reports(good, bad, parse_known_failing("NOPE-001\n"))))
    assert data["requirements"]["worse"] == ["OISL-COD-002"] and data["classes"]["lost"] == ["coding"]
    assert data["decision"] == {"before": "certified", "after": "not-certified"} and data["exit_code"] == 1
    assert data["known_failing"][0]["status"] == "unmatched"
    assert [t["nodeid"] for t in data["tests"]] == ["test_coding.py::test_OISL-COD-002"]


# ---- the command, on real signed reports --------------------------------------------------------

@dataclass
class Gate:
    root: Path
    catalog: Path
    good: Path
    bad: Path
    keyring: Path
    other_keyring: Path


def _orbitcert(*args: str) -> int:
    from orbitcert.conformance.cli import main

    with pytest.MonkeyPatch.context() as m:
        m.setattr(sys, "argv", ["orbitcert", *args])
        try:
            main()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 1
    return 0


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gate]:
    from orbitcert.conformance.signing import write_key_pair

    root = tmp_path_factory.mktemp("gate")
    catalog = gate_catalog(root)
    for v in ("1.0", "1.1"):
        (root / f"ics-{v}.yaml").write_text(
            f"spec: gate-demo@1.0.0\nproduct: {{name: gate-product, version: '{v}'}}\nclasses: [core, extra]\n"
        )
    (root / "vendor").mkdir()
    (root / "other").mkdir()
    write_key_pair(root / "vendor.pem", root / "vendor" / "vendor.pub")
    write_key_pair(root / "other.pem", root / "other" / "other.pub")
    with pytest.MonkeyPatch.context() as m:
        m.syspath_prepend(str(root))
        m.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p))
        m.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)
        for name, impl, ics in (("good", "good", "1.0"), ("bad", "broken", "1.1")):
            code = _orbitcert(
                "certify", "--catalog", str(catalog), "--spec", "gate-demo@1.0.0", "--impl", f"gate_products:{impl}",
                "--ics", str(root / f"ics-{ics}.yaml"), "--sign-key", str(root / "vendor.pem"),
                "--out", str(root / name), "--format", "json",
            )
            assert code == (0 if name == "good" else 1)
    yield Gate(root, catalog, root / "good" / "gate-demo-1.0.0.json", root / "bad" / "gate-demo-1.0.0.json",
               root / "vendor", root / "other")


@pytest.fixture()
def diff_cli(cli: Callable[..., Any], gate: Gate, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``orbitcert report diff ARGS --catalog CATALOG`` in this process."""
    from orbitcert.conformance.cli import report
    from orbitcert.conformance.cli.report_diff import register

    if not any(c.name == "diff" for c in report.app.registered_commands):
        register(report.app)  # until the report app registers it itself
    monkeypatch.delenv("ORBITCERT_TRUSTED_KEYS", raising=False)

    def run(*args: str) -> Any:
        return cli("report", "diff", *args, "--catalog", str(gate.catalog))

    return run


def test_a_regression_exits_1_and_an_improvement_0(gate: Gate, diff_cli: Callable[..., Any]) -> None:
    worse = diff_cli(str(gate.good), str(gate.bad))
    assert worse.code == 1, worse.stderr
    assert "REGRESSION     requirement GATE-002: pass -> fail" in worse.stdout
    assert "REGRESSION     class core: certified -> not-certified" in worse.stdout
    assert "REGRESSION     class extra: certified -> not-certified" in worse.stdout
    assert "REGRESSION     decision: certified -> not-certified" in worse.stdout
    assert "changed        product version 1.0 -> 1.1" in worse.stdout
    assert "12 test(s) of GATE-002 changed: 12 x pass -> fail" in worse.stdout
    assert "valid, but the key is in no trusted keyring" in worse.stderr  # untrusted: fine without a keyring
    better = diff_cli(str(gate.bad), str(gate.good))
    assert better.code == 0 and "improved       requirement GATE-002: fail -> pass" in better.stdout
    same = diff_cli(str(gate.good), str(gate.good))
    assert same.code == 0 and "0 regression(s)" in same.stdout


def test_a_tampered_input_exits_2_naming_the_check(gate: Gate, diff_cli: Callable[..., Any], tmp_path: Path) -> None:
    raw = bytearray(gate.bad.read_bytes())
    at = raw.index(b'"decision":"not-certified"') + len(b'"decision":"')
    raw[at : at + 3] = b"NOT"  # one field's bytes changed, JSON still canonical
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(bytes(raw))
    result = diff_cli(str(gate.good), str(tampered))
    assert result.code == 2
    assert f"NEW {tampered} does not verify: check 2 schema" in result.stderr
    raw = bytearray(gate.good.read_bytes())
    at = raw.index(b'"name":"gate-product"') + len(b'"name":"')
    raw[at] = ord("G")  # the product's name: still valid, but the signature no longer covers it
    tampered.write_bytes(bytes(raw))
    result = diff_cli(str(tampered), str(gate.bad))
    assert result.code == 2 and f"OLD {tampered} does not verify: check 3 signatures" in result.stderr
    missing = diff_cli(str(gate.good), str(tmp_path / "nope.json"))
    assert missing.code == 2 and "nope.json" in missing.stderr


def test_trusted_keys_make_an_untrusted_signer_bad_input(gate: Gate, diff_cli: Callable[..., Any]) -> None:
    untrusted = diff_cli(str(gate.good), str(gate.bad), "--trusted-keys", str(gate.other_keyring))
    assert untrusted.code == 2 and "is not signed by a trusted key" in untrusted.stderr
    trusted = diff_cli(str(gate.good), str(gate.bad), "--trusted-keys", str(gate.keyring))
    assert trusted.code == 1 and "REGRESSION" in trusted.stdout and "note:" not in trusted.stderr


def test_known_failing_tolerates_and_stale_entries_fail(gate: Gate, diff_cli: Callable[..., Any], tmp_path: Path) -> None:
    kf = tmp_path / "known-failing.txt"
    kf.write_text("GATE-002  # issue 7: beta names\n")
    tolerated = diff_cli(str(gate.good), str(gate.bad), "--known-failing", str(kf))
    assert tolerated.code == 0, tolerated.stdout
    assert "known failing  requirement GATE-002: pass -> fail [GATE-002]" in tolerated.stdout
    assert "0 regression(s), 4 known failing, 0 stale" in tolerated.stdout
    patterns = tmp_path / "known-failing.yaml"
    patterns.write_text("- 'test_gate.py::test_beta[[]*'\n")
    assert diff_cli(str(gate.good), str(gate.bad), "--known-failing", str(patterns)).code == 0
    kf.write_text("GATE-002\nGATE-001  # passes: stale\nGATE-404\n")
    stale = diff_cli(str(gate.good), str(gate.bad), "--known-failing", str(kf))
    assert stale.code == 1
    assert "STALE          known-failing line 2 GATE-001: requirement GATE-001 passes now" in stale.stdout
    assert f"{kf}:3: known-failing entry GATE-404 matches nothing" in stale.stderr
    kf.write_text("GATE-002\nnot an entry\n")
    bad = diff_cli(str(gate.good), str(gate.bad), "--known-failing", str(kf))
    assert bad.code == 2 and f"{kf}:2:" in bad.stderr


def test_markdown_comment(gate: Gate, diff_cli: Callable[..., Any]) -> None:
    md = diff_cli(str(gate.good), str(gate.bad), "--format", "md")
    assert md.code == 1
    lines = md.stdout.splitlines()
    assert lines[0] == "### orbitcert report diff: 4 regression(s), decision certified → not-certified — gate fails"
    assert md.stdout.index("#### Regressions") < md.stdout.index("#### Other changes")
    (noise,) = [x for x in lines if x.startswith("- 12 tests of `GATE-002` changed")]
    assert r"12 × pass → fail: AssertionError: refused a \<b\>\|beta\|\</b\> \*name\*" in noise
    assert "<b>" not in md.stdout


def test_json_format(gate: Gate, diff_cli: Callable[..., Any]) -> None:
    out = diff_cli(str(gate.good), str(gate.bad), "--format", "json")
    assert out.code == 1
    data = json.loads(out.stdout)
    assert data["requirements"]["worse"] == ["GATE-002"]
    assert data["classes"]["lost"] == ["core", "extra"]
    assert len(data["tests"]) == 12 and data["exit_code"] == 1
    assert diff_cli(str(gate.good), str(gate.bad), "--format", "yaml").code == 2


def test_the_command_is_documented() -> None:
    guide = Path(__file__).resolve().parents[2] / "docs" / "guides" / "ci-gates.md"
    text = textwrap.dedent(guide.read_text()) if guide.exists() else ""
    assert "--known-failing" in text and "report diff" in text
