"""hw-compute-module 1.0.0, classes ``watchdog``, ``latchup`` and ``compute-integrity`` end to
end: the reference is certified for the three; each broken product of
``products.broken_hw_control`` (the reference with one deviation, declaring the reference's ICS)
is not, with exactly the requirements it breaks failing; the report's JSON carries the
statistical evidence of HWC-ABFT-004.

Certifications run in this process with the product out of process behind the bridge (the
default isolation), claiming only the classes concerned (the reference's ICS with ``classes:``
cut down).

Note (compute-integrity): there is no ``abft_cheat`` product any more. It reported the fault
position that abft_matmul used to be given and returned the fault-free C, passing with no
checksum at all; abft_matmul now takes no fault, and errors reach the product only through
abft_verify on a C the suite corrupted itself, so a product that computes no checksum is
``abft_verify_trusts_c`` (which fails HWC-ABFT-002 and -004).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orbitcert.conformance import Report, binomial_sample_size, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget

SPEC = "hw-compute-module@1.0.0"
REFERENCE = "orbitcert.reference_impl.hardware.iut:create"
REFERENCE_ICS = Path(__file__).resolve().parents[2] / "reference_impl" / "ics" / "hw-compute-module.yaml"
CLASSES = ["watchdog", "latchup", "compute-integrity"]
PREFIXES = ("HWC-WDG", "HWC-SEL", "HWC-ABFT")


def ics_file(tmp_path: Path, classes: list[str]) -> Path:
    """The reference's ICS claiming only ``classes``."""
    doc = yaml.safe_load(REFERENCE_ICS.read_text())
    doc["classes"] = classes
    out = tmp_path / "ics.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def certify(out: Path, ics: Path, impl: str = REFERENCE) -> Report:
    target = CertificationTarget.resolve(SPEC, impl=impl, ics_path=ics)
    return run_certification(target, RunOptions.create(out=out, examples=10, formats="json")).report


def verdicts(r: Report) -> dict[str, str]:
    return {q.id: q.verdict.value for q in r.requirements if q.id.startswith(PREFIXES)}


def report_json(out: Path) -> dict[str, Any]:
    docs = [json.loads(f.read_text()) for f in sorted(out.rglob("*.json"))]
    (doc,) = [d for d in docs if isinstance(d, dict) and "requirements" in d]
    return doc


def binomial_evidence(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for t in doc["tests"] for e in t.get("evidence", []) if e.get("kind") == "binomial"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("hwc-control-ref")
    r = certify(tmp / "out", ics_file(tmp, CLASSES))
    return r, report_json(tmp / "out")


def test_the_reference_is_certified_for_watchdog_latchup_and_compute_integrity(
    reference: tuple[Report, dict[str, Any]],
) -> None:
    r, _ = reference
    decisions = {c.id: c.decision.value for c in r.classes}
    problems = [(q.id, q.verdict.value, q.reason) for q in r.not_passed()]
    for cls in CLASSES:
        assert decisions[cls] == "certified", (cls, problems)
    v = verdicts(r)
    expected = {f"HWC-WDG-00{i}" for i in range(1, 6)} | {f"HWC-SEL-00{i}" for i in range(1, 5)}
    expected |= {f"HWC-ABFT-00{i}" for i in range(1, 5)}
    assert set(v) == expected and set(v.values()) == {"pass"}, v


def test_the_report_carries_the_abft_coverage_evidence(reference: tuple[Report, dict[str, Any]]) -> None:
    """HWC-ABFT-004's entry: n fixed from the declared coverage 0.999 at abft_confidence 0.95
    with no allowed failure (2995 trials), no failure, the Clopper-Pearson bound below 0.001,
    one sample (the location error) per trial."""
    _, doc = reference
    (ev,) = binomial_evidence(doc)
    n = binomial_sample_size(1 - 0.999, 0.95)
    assert n == 2995
    assert ev["trials"] == n and ev["failures"] == 0 and ev["passed"] is True
    assert ev["confidence"] == 0.95 and ev["max_fraction"] == pytest.approx(0.001)
    assert 0 < ev["bound"] <= 0.001 and ev["method"] == "clopper-pearson"
    assert len(ev["samples"]) == n and set(ev["samples"]) == {0.0} and ev["limit"] == 0.0


#: Requirements a broken product leaves inconclusive rather than failed (nothing to check).
EXPECTED_INCONCLUSIVE: dict[str, set[str]] = {"abft_verify_trusts_c": {"HWC-ABFT-003"}}


@pytest.mark.parametrize(
    ("factory", "classes", "must_fail"),
    [
        ("no_safe_state", ["watchdog"], {"HWC-WDG-003", "HWC-WDG-004"}),
        # Late power cycles: the core reset (003) and concurrent latch-ups (004) are late too.
        pytest.param(
            "slow_latchup_response",
            ["latchup"],
            {"HWC-SEL-001", "HWC-SEL-002", "HWC-SEL-003", "HWC-SEL-004"},
            marks=pytest.mark.slow,
        ),
        ("abft_misses_last_row", ["compute-integrity"], {"HWC-ABFT-002", "HWC-ABFT-004"}),
        # A watchdog that never fires makes no reset, so the reset loop (003, 004) fails too, and
        # so does the resumption after a freeze (005: no expiry after DBG_FREEZE is cleared).
        pytest.param(
            "watchdog_never_fires",
            ["watchdog"],
            {"HWC-WDG-002", "HWC-WDG-003", "HWC-WDG-004", "HWC-WDG-005"},
            marks=pytest.mark.slow,
        ),
        pytest.param("wrong_reset_cause", ["watchdog"], {"HWC-WDG-002"}, marks=pytest.mark.slow),
        pytest.param("loop_count_not_cleared", ["watchdog"], {"HWC-WDG-004"}, marks=pytest.mark.slow),
        pytest.param("noncore_latchup_resets", ["latchup"], {"HWC-SEL-004"}, marks=pytest.mark.slow),
        pytest.param("memory_latchup_erases", ["latchup"], {"HWC-SEL-004"}, marks=pytest.mark.slow),
        # Mutants of the adversarial review (watchdog and latch-up gaps).
        ("wdg_late_after_reset", ["watchdog"], {"HWC-WDG-002"}),
        pytest.param("wdg_safe_state_reboots", ["watchdog"], {"HWC-WDG-003"}, marks=pytest.mark.slow),
        pytest.param("wdg_key_low16", ["watchdog"], {"HWC-WDG-002"}, marks=pytest.mark.slow),
        pytest.param("wdg_freeze_latches", ["watchdog"], {"HWC-WDG-005"}, marks=pytest.mark.slow),
        pytest.param("sel_core_reset_late", ["latchup"], {"HWC-SEL-003"}, marks=pytest.mark.slow),
        pytest.param("sel_one_at_a_time", ["latchup"], {"HWC-SEL-004"}, marks=pytest.mark.slow),
        pytest.param("sel_memory_window_lost", ["latchup"], {"HWC-SEL-004"}, marks=pytest.mark.slow),
        pytest.param(
            "abft_transposed_location", ["compute-integrity"], {"HWC-ABFT-002", "HWC-ABFT-004"}, marks=pytest.mark.slow
        ),
        # Misses significant errors below 4x the significance level: ABFT-002 picks such flips
        # for some elements (its mantissa bits are drawn among all significant ones).
        pytest.param(
            "abft_loose_threshold", ["compute-integrity"], {"HWC-ABFT-002", "HWC-ABFT-004"}, marks=pytest.mark.slow
        ),
        pytest.param("abft_no_correction", ["compute-integrity"], {"HWC-ABFT-003"}, marks=pytest.mark.slow),
        # Mutants of the adversarial review (compute-integrity). The old "abft_cheat" (report the
        # fault position abft_matmul was told, return the fault-free C) cannot be written any
        # more: abft_matmul takes no fault, and errors reach the product only through
        # abft_verify on a C the suite corrupted itself, with nothing telling where.
        # Square-only: every rectangular call is refused, so the error-handling requirements,
        # which use rectangular shapes too, miss those errors (003 passes on the square ones).
        pytest.param(
            "abft_square_only",
            ["compute-integrity"],
            {"HWC-ABFT-001", "HWC-ABFT-002", "HWC-ABFT-004"},
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "abft_rect_mislocated", ["compute-integrity"], {"HWC-ABFT-002", "HWC-ABFT-004"}, marks=pytest.mark.slow
        ),
        pytest.param("abft_fp32_large", ["compute-integrity"], {"HWC-ABFT-001"}, marks=pytest.mark.slow),
        pytest.param("abft_false_alarm_wide", ["compute-integrity"], {"HWC-ABFT-001"}, marks=pytest.mark.slow),
        # Locates nothing, so HWC-ABFT-003 has nothing to check (EXPECTED_INCONCLUSIVE).
        ("abft_verify_trusts_c", ["compute-integrity"], {"HWC-ABFT-002", "HWC-ABFT-004"}),
    ],
)
def test_broken_products_are_not_certified(
    tmp_path: Path, reference: tuple[Report, dict[str, Any]], factory: str, classes: list[str], must_fail: set[str]
) -> None:
    ref, _ = reference
    assert all(c.decision.value == "certified" for c in ref.classes if c.id in classes)
    r = certify(tmp_path / "out", ics_file(tmp_path, classes), impl=f"products.broken_hw_control:{factory}")
    v = verdicts(r)
    failed = {q for q, verdict in v.items() if verdict == "fail"}
    assert failed == must_fail, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    # Every other requirement of the claimed classes passes: the deviation is the only one.
    claimed = {q.id for q in r.requirements if q.class_ in classes}
    expected_inconclusive = {q: "inconclusive" for q in EXPECTED_INCONCLUSIVE.get(factory, set())}
    assert {q: v[q] for q in claimed - must_fail if v[q] != "pass"} == expected_inconclusive, v
    for cls in classes:
        result = next(c for c in r.classes if c.id == cls)
        broken = sorted(q.id for q in r.requirements if q.class_ == cls and q.id in must_fail)
        assert broken, f"class {cls} has none of {sorted(must_fail)}"
        assert result.decision.value == "not-certified", (cls, result.decision.value)
        assert set(broken) <= set(result.failed) and all(rid in result.reason for rid in broken), result
    if "HWC-ABFT-004" in must_fail:
        (ev,) = binomial_evidence(report_json(tmp_path / "out"))
        assert ev["trials"] == 2995 and ev["passed"] is False and ev["bound"] > 0.001
        (t,) = [t for t in r.tests if t.nodeid.endswith("test_detection_coverage_statistical")]
        assert "bound" in t.message, t.message


# -- correct products with edge declarations (watchdog, latchup) ------------------------------------


def ics_overlay(tmp_path: Path, classes: list[str], items: dict[str, Any]) -> Path:
    """The reference's ICS claiming only ``classes``, with ``items`` answered differently."""
    doc = yaml.safe_load(REFERENCE_ICS.read_text())
    doc["classes"] = classes
    doc["items"].update(items)
    out = tmp_path / "ics-edge.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


@pytest.mark.parametrize(
    ("factory", "classes", "items", "not_applicable"),
    [
        # Only core monitored: HWC-SEL-004 (non-core domains) does not apply.
        pytest.param(
            "edge_latchup_core_only",
            ["latchup"],
            {"latchup_domains": ["core"]},
            {"HWC-SEL-004"},
            marks=pytest.mark.slow,
        ),
        # The shortest watchdog and the longest reset loop the ICS allows: no false failure (the
        # latch-up tests power-cycle the module and must keep the watchdog frozen).
        pytest.param(
            "edge_fast_watchdog",
            ["watchdog", "latchup"],
            {"watchdog_timeout_s": 0.01, "reset_loop_limit": 16},
            set(),
            marks=pytest.mark.slow,
        ),
        # No core monitored: HWC-SEL-003 (the core latch-up) does not apply -- once the spec says so.
        pytest.param(
            "edge_latchup_no_core",
            ["latchup"],
            {"latchup_domains": ["memory", "accelerator", "io"]},
            {"HWC-SEL-003"},
            marks=pytest.mark.slow,
        ),
    ],
)
def test_correct_edge_declarations_are_certified(
    tmp_path: Path, factory: str, classes: list[str], items: dict[str, Any], not_applicable: set[str]
) -> None:
    r = certify(tmp_path / "out", ics_overlay(tmp_path, classes, items), impl=f"products.broken_hw_control:{factory}")
    problems = [(q.id, q.verdict.value, q.reason) for q in r.not_passed()]
    assert all(c.decision.value == "certified" for c in r.classes if c.id in classes), problems
    v = {q.id: q.verdict.value for q in r.requirements if q.class_ in classes}
    assert {q for q, verdict in v.items() if verdict == "not-applicable"} == not_applicable, v
    assert {q for q, verdict in v.items() if verdict != "not-applicable"} <= {q for q, x in v.items() if x == "pass"}, v
