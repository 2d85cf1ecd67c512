"""net-optical-isl 1.1.0, classes ``acquisition`` and ``budget`` end to end: the reference is
certified for both; each broken PAT controller (``products.broken_acquisition``) and each broken
ICS (``products/ics/budget_*.yaml``) is not, with the requirement it breaks named; the report's JSON
carries the statistical evidence of OISL-ACQ-004 and the analysis of the budget.

ICS files under ``tests/products/ics/`` are overlays: their ``items`` are merged onto the
reference's ICS (``reference_impl/ics/net-optical-isl.yaml``), ``terminal.yaml`` first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget

SPEC = "net-optical-isl@1.1.0"
OVERLAYS = Path(__file__).resolve().parent.parent / "products" / "ics"
REFERENCE_ICS = Path(__file__).resolve().parents[2] / "reference_impl" / "ics" / "net-optical-isl.yaml"


def ics_file(tmp_path: Path, *overlays: str, classes: list[str]) -> Path:
    """The reference's ICS with ``terminal.yaml`` and ``overlays`` merged in, claiming ``classes``."""
    doc = yaml.safe_load(REFERENCE_ICS.read_text())
    for name in ("terminal.yaml", *overlays):
        doc["items"].update(yaml.safe_load((OVERLAYS / name).read_text())["items"])
    doc["classes"] = classes
    out = tmp_path / "ics.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def certify(tmp_path: Path, ics: Path, impl: str | None = None, isolate: bool = True) -> Report:
    """Certify net-optical-isl 1.1.0 in this process (tests/ is on sys.path for ``products``).
    ``isolate=False`` (the product in this process) only where no product operation is called."""
    target = CertificationTarget.resolve(SPEC, impl=impl or "orbitcert.reference_impl.optical.iut:create", ics_path=ics)
    options = RunOptions.create(out=tmp_path, examples=10, formats="json", isolate=isolate)
    return run_certification(target, options).report


def verdicts(r: Report) -> dict[str, str]:
    return {q.id: q.verdict.value for q in r.requirements if q.id.startswith(("OISL-ACQ", "OISL-BUD"))}


def report_json(tmp_path: Path) -> dict[str, Any]:
    files = sorted(tmp_path.rglob("*.json"))
    docs = [json.loads(f.read_text()) for f in files]
    reports = [d for d in docs if isinstance(d, dict) and "requirements" in d]
    assert len(reports) == 1, [str(f) for f in files]
    return reports[0]


def find_evidence(doc: Any, kind: str) -> list[dict[str, Any]]:
    """Every evidence object of ``kind`` anywhere in the report JSON."""
    found: list[dict[str, Any]] = []
    if isinstance(doc, dict):
        if doc.get("kind") == kind:
            found.append(doc)
        for v in doc.values():
            found += find_evidence(v, kind)
    elif isinstance(doc, list):
        for v in doc:
            found += find_evidence(v, kind)
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("oisl-acq-ref")
    r = certify(tmp / "out", ics_file(tmp, classes=["acquisition", "budget"]))
    return r, report_json(tmp / "out")


def test_the_reference_is_certified_for_acquisition_and_budget(reference: tuple[Report, dict[str, Any]]) -> None:
    r, _ = reference
    classes = {c.id: c.decision.value for c in r.classes}
    assert classes["acquisition"] == "certified", [(q.id, q.verdict.value, q.reason) for q in r.not_passed()]
    assert classes["budget"] == "certified", [(q.id, q.verdict.value, q.reason) for q in r.not_passed()]
    assert set(verdicts(r).values()) == {"pass"}, verdicts(r)


def test_the_report_json_carries_the_statistical_evidence(reference: tuple[Report, dict[str, Any]]) -> None:
    """OISL-ACQ-004's entry records n (fixed from the spec: 124 for 5 % at 95 % with 2 failures),
    the failures, the Clopper-Pearson bound, the confidence and one sample per trial."""
    _, doc = reference
    (ev,) = find_evidence(doc, "binomial")
    assert ev["trials"] == 124 and ev["confidence"] == 0.95 and ev["max_fraction"] == 0.05
    assert 0 <= ev["failures"] <= 2 and ev["passed"] is True
    assert 0 < ev["bound"] <= 0.05
    assert ev["method"] == "clopper-pearson" and ev["limit"] == 100.0 and ev["unit"] == "s"
    assert len(ev["samples"]) == 124
    assert sum(1 for s in ev["samples"] if s is None or s > 100.0) == ev["failures"]
    analyses = find_evidence(doc, "analysis")
    assert analyses, "the budget analysis is not in the report"
    steps = {s["name"]: s["value"] for s in analyses[0]["steps"]}
    assert steps["link margin"] == pytest.approx(5.1158, abs=1e-3)


def test_the_reference_ics_declares_the_terminal() -> None:
    """The reference's own ICS answers the acquisition and budget items as ``terminal.yaml`` does,
    so the overlays describe deviations from the real reference terminal."""
    ref = yaml.safe_load(REFERENCE_ICS.read_text())["items"]
    terminal = yaml.safe_load((OVERLAYS / "terminal.yaml").read_text())["items"]
    differ = {k: (ref.get(k), v) for k, v in terminal.items() if ref.get(k) != v}
    assert not differ, f"reference ICS vs terminal.yaml: {differ}"


@pytest.mark.parametrize(
    ("factory", "overlay", "must_fail"),
    [
        ("products.broken_acquisition:slow_acquisition", "acquisition_slow.yaml", {"OISL-ACQ-004"}),
        # A controller that never reports lost also never makes the track/communicate -> lost
        # transition of OISL-ACQ-001 (the closed-loop scenario requires every state).
        pytest.param(
            "products.broken_acquisition:never_lost", None, {"OISL-ACQ-001", "OISL-ACQ-003"}, marks=pytest.mark.slow
        ),
        pytest.param("products.broken_acquisition:skip_track", None, {"OISL-ACQ-001"}, marks=pytest.mark.slow),
        pytest.param(
            "products.broken_acquisition:coarse_scan", "acquisition_coarse.yaml", {"OISL-ACQ-002"}, marks=pytest.mark.slow
        ),
        pytest.param(
            "products.broken_acquisition:premature_lost", None, {"OISL-ACQ-001", "OISL-ACQ-003"}, marks=pytest.mark.slow
        ),
        pytest.param("products.broken_acquisition:no_dwell", None, {"OISL-ACQ-001"}, marks=pytest.mark.slow),
        pytest.param("products.broken_acquisition:mispointed_communicate", None, {"OISL-ACQ-005"}, marks=pytest.mark.slow),
        pytest.param("products.broken_acquisition:deaf_to_power_off", None, {"OISL-ACQ-001"}, marks=pytest.mark.slow),
        pytest.param("products.broken_acquisition:local_rescan", None, {"OISL-ACQ-002"}, marks=pytest.mark.slow),
    ],
)
def test_broken_pat_controllers_are_not_certified(tmp_path: Path, factory: str, overlay: str | None, must_fail: set[str]) -> None:
    overlays = (overlay,) if overlay else ()
    r = certify(tmp_path / "out", ics_file(tmp_path, *overlays, classes=["acquisition"]), impl=factory)
    acq = next(c for c in r.classes if c.id == "acquisition")
    assert acq.decision.value == "not-certified"
    failed = {q for q, v in verdicts(r).items() if v == "fail"}
    assert failed == must_fail, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    for rid in must_fail:
        assert rid in acq.reason
    if "OISL-ACQ-004" in must_fail:
        # The bound is shown: in the evidence, and in the failed test's message.
        (ev,) = find_evidence(report_json(tmp_path / "out"), "binomial")
        assert ev["trials"] == 124 and ev["passed"] is False
        assert ev["failures"] >= 0.5 * 124 and ev["bound"] > 0.05
        (t,) = [t for t in r.tests if t.nodeid.endswith("test_acquisition_time_statistical")]
        assert "bound" in t.message, t.message


@pytest.mark.parametrize(
    ("overlay", "must_fail"),
    [
        pytest.param("budget_margin_short.yaml", {"OISL-BUD-001"}, marks=pytest.mark.slow),
        ("budget_margin_overstated.yaml", {"OISL-BUD-002"}),
        pytest.param("budget_implausible.yaml", {"OISL-BUD-003"}, marks=pytest.mark.slow),
        pytest.param("budget_oversized.yaml", {"OISL-BUD-003"}, marks=pytest.mark.slow),
        pytest.param("budget_near_field.yaml", {"OISL-BUD-003"}, marks=pytest.mark.slow),
    ],
)
def test_broken_budget_declarations_are_not_certified(tmp_path: Path, overlay: str, must_fail: set[str]) -> None:
    r = certify(tmp_path / "out", ics_file(tmp_path, overlay, classes=["budget"]), isolate=False)
    bud = next(c for c in r.classes if c.id == "budget")
    assert bud.decision.value == "not-certified"
    failed = {q for q, v in verdicts(r).items() if v == "fail"}
    assert must_fail <= failed, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    for rid in must_fail:
        assert rid in bud.reason
    (analysis, *_) = find_evidence(report_json(tmp_path / "out"), "analysis")
    assert analysis["conclusion"] and analysis["steps"]


def test_ics_caps_refuse_an_endless_scan_or_timeout(tmp_path: Path) -> None:
    """pat_scan_period_s above 100 s (the acquisition time limit) and pat_loss_timeout_s above
    10 s are refused with the ICS, before any test runs."""
    from orbitcert.specs.errors import OrbitcertError

    for item, value in (("pat_scan_period_s", 392.0), ("pat_loss_timeout_s", 900.0)):
        doc = yaml.safe_load(ics_file(tmp_path, classes=["acquisition"]).read_text())
        doc["items"][item] = value
        path = tmp_path / f"ics_{item}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        with pytest.raises(OrbitcertError, match="above the maximum"):
            CertificationTarget.resolve(SPEC, impl="orbitcert.reference_impl.optical.iut:create", ics_path=path)
