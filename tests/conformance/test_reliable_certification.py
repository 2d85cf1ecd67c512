"""``net-optical-isl`` class ``reliable`` (COP-1) end to end: the reference is certified for
``reliable``, and each broken product of :mod:`products.broken_reliable` is not, with the
requirement it breaks named. The ICS claims only ``reliable`` so that only its suite runs.
Each certification takes 7-14 s (a child process behind the bridge): all broken products but the
one the issue names are marked ``slow``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.specs.ics import full_ics
from orbitcert.specs.loader import Catalog

SPEC = "net-optical-isl@1.1.0"
ITEMS = {
    "cop1_fop_max_window": 255,
    "cop1_farm_max_window": 254,
    "cop1_max_transmission_limit": 255,
    "cop1_max_sdu_length": 65525,
}
REQUIREMENTS = {f"OISL-REL-{i:03d}" for i in range(1, 17)}


def _ics(folder: Path, name: str) -> Path:
    """An ICS claiming only ``reliable`` (the mandatory items of the other classes answered as a
    product claiming every option would)."""
    spec = Catalog.discover().load(SPEC).spec
    items = {k: v for k, v in full_ics(spec).items.items()}
    items.update(ITEMS)
    path = folder / "ics-reliable.yaml"
    doc = {"spec": "net-optical-isl", "product": {"name": name, "version": "0", "supplier": "orbitcert tests"},
           "classes": ["reliable"], "items": items}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def certify(tmp_path: Path, impl: str) -> Report:
    """Certify ``impl`` for the reliable class of net-optical-isl@1.1.0, behind the bridge."""
    target = CertificationTarget.resolve(SPEC, impl=impl, ics_path=_ics(tmp_path, impl))
    options = RunOptions.create(out=tmp_path, examples=10, formats="json", isolate=True)
    return run_certification(target, options).report


def test_the_reference_is_certified_for_reliable(tmp_path: Path) -> None:
    r = certify(tmp_path, "orbitcert.reference_impl.optical.iut:create")
    decisions = {c.id: c.decision.value for c in r.classes}
    assert decisions.get("reliable") == "certified", [(q.id, q.verdict.value, q.reason) for q in r.not_passed()]
    verdicts = {q.id: q.verdict.value for q in r.requirements if q.id in REQUIREMENTS}
    assert verdicts == dict.fromkeys(REQUIREMENTS, "pass"), verdicts


@pytest.mark.parametrize(
    ("factory", "must_fail"),
    [
        ("products.broken_reliable:farm_accepts_out_of_window", {"OISL-REL-011"}),
        pytest.param("products.broken_reliable:fop_never_retransmits", {"OISL-REL-004", "OISL-REL-003", "OISL-REL-015"},
                     marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:fop_exceeds_window", {"OISL-REL-002"}, marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:farm_ignores_set_vr", {"OISL-REL-012"}, marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:clcw_wrong_layout", {"OISL-REL-014"}, marks=pytest.mark.slow),
        # Survivors of the first adversarial review of the suite (25 of 29 one-bug mutants certified).
        pytest.param("products.broken_reliable:fop_ignores_wait", {"OISL-REL-003"}, marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:fop_keeps_transmission_count", {"OISL-REL-004", "OISL-REL-015"},
                     marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:fop_unlock_despite_lockout", {"OISL-REL-006"}, marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:farm_bd_not_counted", {"OISL-REL-012"}, marks=pytest.mark.slow),
        pytest.param("products.broken_reliable:farm_release_after_frames", {"OISL-REL-013"}, marks=pytest.mark.slow),
    ],
)
def test_broken_reliable_products_are_not_certified(tmp_path: Path, factory: str, must_fail: set[str]) -> None:
    r = certify(tmp_path, factory)
    reliable = next(c for c in r.classes if c.id == "reliable")
    assert reliable.decision.value == "not-certified"
    failed = {q.id for q in r.requirements if q.verdict.value == "fail"}
    assert must_fail <= failed, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    for rid in must_fail:
        assert rid in reliable.failed and rid in reliable.reason
