"""hw-compute-module 1.0.0, class ``radiation`` end to end, and the spec's test interface.

The class depends on memory-edac and scrubbing (which verify the declared code, memory size and
scrub period on the product), so every certification here claims the three. The reference's
declaration is certified; declarations that break one rule are not, with the requirement named: a
module that really scrubs daily, declaring a commercial-DDR-like upset rate during a solar particle
event (HWC-RAD-002), no source for the rates, an implausible rate, a solar-event rate below the
quiet one (HWC-RAD-001); a declaration too costly to simulate is inconclusive, never certified;
radiation claimed without scrubbing is refused before any test. The report carries each
environment's Poisson verdicts and the campaign's analysis.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.interfaces import CLASS_PROTOCOLS, PROTOCOLS
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.reference_impl.hardware.environment import ENVIRONMENTS
from orbitcert.specs.errors import IcsError
from orbitcert.specs.loader import Catalog

SPEC = "hw-compute-module@1.0.0"
REFERENCE_ICS = Path(__file__).resolve().parents[2] / "reference_impl" / "ics" / "hw-compute-module.yaml"


def ics_file(tmp_path: Path, classes: list[str], **items: Any) -> Path:
    """The reference's ICS claiming ``classes``, with ``items`` changed (None removes one)."""
    doc = yaml.safe_load(REFERENCE_ICS.read_text())
    for key, value in items.items():
        if value is None:
            doc["items"].pop(key, None)
        else:
            doc["items"][key] = value
    doc["classes"] = classes
    out = tmp_path / "ics.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


CLASSES = ["memory-edac", "scrubbing", "radiation"]


def certify(tmp_path: Path, ics: Path, impl: str = "orbitcert.reference_impl.hardware.iut:create") -> tuple[Report, dict[str, Any]]:
    target = CertificationTarget.resolve(SPEC, impl=impl, ics_path=ics)
    report = run_certification(target, RunOptions.create(out=tmp_path, examples=10, formats="json")).report
    return report, json.loads((tmp_path / "hw-compute-module-1.0.0.json").read_text())


def verdicts(r: Report, prefix: str = "HWC-RAD") -> dict[str, str]:
    return {q.id: q.verdict.value for q in r.requirements if q.id.startswith(prefix)}


def decision(r: Report, cls: str) -> str:
    return next(c.decision.value for c in r.classes if c.id == cls)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("radiation")
    return certify(tmp, ics_file(tmp, CLASSES))


def test_the_reference_declaration_is_certified_with_poisson_evidence(reference: tuple[Report, dict[str, Any]]) -> None:
    report, data = reference
    assert {c: decision(report, c) for c in CLASSES} == dict.fromkeys(CLASSES, "certified"), verdicts(report)
    assert verdicts(report) == dict.fromkeys(("HWC-RAD-001", "HWC-RAD-002", "HWC-RAD-003"), "pass")
    envs = [e["name"] for e in Catalog.discover().load(SPEC).spec.parameter("radiation_environments")]
    poisson = [e for t in data["tests"] for e in t["evidence"] if e["kind"] == "poisson"]
    assert sorted(e["quantity"] for e in poisson) == sorted(
        [f"uncorrectable words ({n})" for n in envs] + [f"silent errors ({n})" for n in envs]
    )
    for e in poisson:
        assert e["passed"] and e["bound"] <= e["max_rate"] and e["exposure"] > 0, e
    analyses = [e for t in data["tests"] for e in t["evidence"] if e["kind"] == "analysis"]
    assert any(a["title"].startswith("Radiation campaign") for a in analyses)


def test_the_reference_ics_rates_are_the_environment_model() -> None:
    """The reference declares the rates its environment model derives (and names their source)."""
    items = yaml.safe_load(REFERENCE_ICS.read_text())["items"]
    spec = Catalog.discover().load(SPEC).spec
    for env in spec.parameter("radiation_environments"):
        assert items[env["ics_item"]] == pytest.approx(ENVIRONMENTS[env["name"]].rate_per_bit_day, rel=1e-4)
    assert "Petersen" in items["upset_rate_source"]


def test_a_daily_scrub_in_a_solar_event_is_not_certified(tmp_path: Path) -> None:
    """A module that really scrubs once a day (its scrubbing class is certified against that
    declaration) declaring a commercial-DDR-like 1e-5 upsets per bit per day in the worst week:
    about 30 uncorrectable words per device-day against the 0.1 allowed."""
    ics = ics_file(tmp_path, CLASSES, scrub_period_s=86400, upset_rate_geo_spe_worst_week=1e-5)
    report, data = certify(tmp_path, ics, impl="products.hw_variants:daily_scrub")
    assert decision(report, "scrubbing") == "certified", verdicts(report, "HWC-SCR")
    got = verdicts(report)
    assert got["HWC-RAD-002"] == "fail" and got["HWC-RAD-001"] == "pass", got
    assert decision(report, "radiation") == "not-certified"
    failed = [e for t in data["tests"] for e in t["evidence"] if e["kind"] == "poisson" and not e["passed"]]
    assert [e["quantity"] for e in failed] == ["uncorrectable words (geo-spe-worst-week)"]
    assert failed[0]["bound"] > failed[0]["max_rate"] and failed[0]["predicted"] > failed[0]["max_rate"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("items", "failing"),
    [
        ({"upset_rate_source": None}, "HWC-RAD-001"),
        ({"upset_rate_source": "estimate"}, "HWC-RAD-001"),
        ({"upset_rate_geo_quiet": 0.5}, "HWC-RAD-001"),
        ({"upset_rate_leo_500km_quiet": 1e-30}, "HWC-RAD-001"),
        ({"upset_rate_geo_spe_worst_week": 1e-12}, "HWC-RAD-001"),
    ],
    ids=["no-source", "vague-source", "implausibly-high-rate", "implausibly-low-rate", "solar-event-below-quiet"],
)
def test_broken_declarations_are_not_certified(tmp_path: Path, items: dict[str, Any], failing: str) -> None:
    report, _ = certify(tmp_path, ics_file(tmp_path, CLASSES, **items))
    got = verdicts(report)
    assert got[failing] == "fail", got
    assert decision(report, "radiation") == "not-certified"
    assert decision(report, "memory-edac") == "certified", "the memory itself is fine"


@pytest.mark.slow
def test_a_declaration_too_costly_to_simulate_is_inconclusive(tmp_path: Path) -> None:
    """2^32 words at 1e-3 upsets per bit per day would need ~1e11 simulated upsets: the suite
    refuses to pretend and the requirement is inconclusive (never certified)."""
    ics = ics_file(tmp_path, CLASSES, memory_words=4294967296, upset_rate_leo_500km_quiet=1e-3)
    report, _ = certify(tmp_path, ics, impl="products.hw_variants:huge_memory")
    got = verdicts(report)
    assert got["HWC-RAD-002"] == "inconclusive" and got["HWC-RAD-001"] == "pass", got
    assert decision(report, "radiation") != "certified"


def test_radiation_without_scrubbing_is_refused(tmp_path: Path) -> None:
    """The class depends on memory-edac and scrubbing: claiming it alone is a bad ICS (exit 2)."""
    with pytest.raises(IcsError, match="depends on"):
        CertificationTarget.resolve(
            SPEC, impl="orbitcert.reference_impl.hardware.iut:create", ics_path=ics_file(tmp_path, ["memory-edac", "radiation"])
        )


def test_class_protocols_name_exactly_the_spec_operations() -> None:
    """Each class's Protocol has the operations the spec assigns to that class, no more, no fewer."""
    spec = Catalog.discover().load(SPEC).spec
    protocols = CLASS_PROTOCOLS["hw-compute-module"]
    for cls in spec.classes:
        ops = {op.name for op in spec.interface.operations if cls.id in op.classes}
        if cls.id == "radiation":
            assert not ops and cls.id not in protocols
            continue
        methods = {n for n in dir(protocols[cls.id]) if not n.startswith("_")}
        assert methods == ops, (cls.id, methods ^ ops)
    every = {op.name for op in spec.interface.operations}
    assert {n for n in dir(PROTOCOLS["hw-compute-module"]) if not n.startswith("_")} == every
