"""sw-compute-runtime 1.0.0 end to end: the reference runtime is certified for all six classes;
each broken runtime of ``products.broken_runtime`` (the reference with one deviation, declaring
the reference's ICS) is not, with exactly the requirements it breaks failing.

Certifications run in this process with the product out of process behind the bridge (the
default isolation). A broken product claims the class it breaks and the classes that class
depends on (jobs needs verification and events; resilience needs jobs and housekeeping).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget

SPEC = "sw-compute-runtime@1.0.0"
REFERENCE = "orbitcert.reference_impl.runtime.iut:create"
REFERENCE_ICS = Path(__file__).resolve().parents[2] / "reference_impl" / "ics" / "sw-compute-runtime.yaml"
ALL = ["verification", "housekeeping", "events", "test", "jobs", "resilience"]
JOBS = ["verification", "events", "jobs"]


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
    return {q.id: q.verdict.value for q in r.requirements}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Report:
    tmp = tmp_path_factory.mktemp("swr-ref")
    return certify(tmp / "out", ics_file(tmp, ALL))


def test_the_reference_is_certified_for_all_six_classes(reference: Report) -> None:
    decisions = {c.id: c.decision.value for c in reference.classes}
    problems = [(q.id, q.verdict.value, q.reason) for q in reference.not_passed()]
    assert decisions == dict.fromkeys(ALL, "certified"), problems
    v = verdicts(reference)
    assert len(v) == 35 and set(v.values()) == {"pass"}, v


#: Requirements a broken product leaves inconclusive rather than failed (nothing left to check).
EXPECTED_INCONCLUSIVE: dict[str, set[str]] = {
    # The job whose resumption SWR-RES-002 would time vanished at the reset.
    "forgets_jobs_across_reset": {"SWR-RES-002"},
}


@pytest.mark.parametrize(
    ("factory", "classes", "must_fail"),
    [
        # The four runtimes the issue names.
        ("forgets_jobs_across_reset", ALL, {"SWR-RES-001"}),
        ("accepts_bad_crc", ["verification"], {"SWR-VER-004"}),
        (
            "never_sends_failure_reports",
            ["verification"],
            {"SWR-VER-004", "SWR-VER-005", "SWR-VER-006", "SWR-VER-007"},
        ),
        ("dmr_silent_wrong_result", ALL, {"SWR-RES-005"}),
        # One deviation each, per requirement.
        pytest.param("tmr_no_vote", ALL, {"SWR-RES-006"}, marks=pytest.mark.slow),
        pytest.param("crc_before_length", ["verification"], {"SWR-VER-005"}, marks=pytest.mark.slow),
        pytest.param("sequence_count_stuck", ["verification"], {"SWR-VER-002"}, marks=pytest.mark.slow),
        pytest.param("destination_not_echoed", ["verification"], {"SWR-VER-002"}, marks=pytest.mark.slow),
        pytest.param("progress_steps_from_zero", JOBS, {"SWR-VER-009"}, marks=pytest.mark.slow),
        pytest.param("hk_period_long", ["housekeeping"], {"SWR-HK-001"}, marks=pytest.mark.slow),
        pytest.param("disable_events_ignored", ["events"], {"SWR-EVT-002"}, marks=pytest.mark.slow),
        pytest.param("fifo_scheduler", JOBS, {"SWR-JOB-005"}, marks=pytest.mark.slow),
        pytest.param("deadline_ignored", JOBS, {"SWR-JOB-006"}, marks=pytest.mark.slow),
        pytest.param("energy_ignored", JOBS, {"SWR-JOB-007"}, marks=pytest.mark.slow),
        pytest.param("chunk_off_by_one", JOBS, {"SWR-JOB-002"}, marks=pytest.mark.slow),
        pytest.param("suspend_loses_progress", ALL, {"SWR-RES-003"}, marks=pytest.mark.slow),
        pytest.param("no_checkpoint_resume", ALL, {"SWR-RES-002"}, marks=pytest.mark.slow),
    ],
)
def test_broken_runtimes_are_not_certified(
    tmp_path: Path, reference: Report, factory: str, classes: list[str], must_fail: set[str]
) -> None:
    assert all(c.decision.value == "certified" for c in reference.classes)
    r = certify(tmp_path / "out", ics_file(tmp_path, classes), impl=f"products.broken_runtime:{factory}")
    v = verdicts(r)
    failed = {q for q, verdict in v.items() if verdict == "fail"}
    assert failed == must_fail, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    claimed = {q.id for q in r.requirements if q.class_ in classes}
    expected_inconclusive = dict.fromkeys(EXPECTED_INCONCLUSIVE.get(factory, set()), "inconclusive")
    assert {q: v[q] for q in claimed - must_fail if v[q] != "pass"} == expected_inconclusive, v
    for result in r.classes:
        broken = sorted(q.id for q in r.requirements if q.class_ == result.id and q.id in must_fail)
        if broken:
            assert result.decision.value == "not-certified", (result.id, result.decision.value)
            assert set(broken) <= set(result.failed) and all(rid in result.reason for rid in broken), result
