"""``net-optical-isl`` 1.1.0 class ``framing`` end to end: the reference is certified for it, and
each broken product of :mod:`products.broken_framing` is not, with the requirement it breaks named.

The ICS claims only ``framing`` (with every option), so the other classes' suites do not run here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orbitcert.conformance import Report, run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget

#: Eleven certifications of about 9 s each (the suite itself takes 2 s of that).
pytestmark = pytest.mark.slow

SPEC = "net-optical-isl@1.1.0"
REFERENCE_ICS = Path(__file__).resolve().parents[2] / "reference_impl" / "ics" / "net-optical-isl.yaml"


def certify(tmp_path: Path, impl: str) -> Report:
    """Every item of the reference's ICS (all options), but only class ``framing`` claimed."""
    answers = yaml.safe_load(REFERENCE_ICS.read_text())
    answers["classes"] = ["framing"]
    answers["product"]["name"] = impl.rsplit(":", 1)[-1]
    ics = tmp_path / "ics.yaml"
    ics.write_text(yaml.safe_dump(answers))
    target = CertificationTarget.resolve(SPEC, impl=impl, ics_path=ics)
    options = RunOptions.create(out=tmp_path / "out", examples=25, formats="json", isolate=True)
    return run_certification(target, options).report


def _framing(r: Report) -> str:
    return next(c for c in r.classes if c.id == "framing").decision.value


def test_the_reference_is_certified_for_framing(tmp_path: Path) -> None:
    r = certify(tmp_path, "orbitcert.reference_impl.optical.iut:create")
    frm = [q for q in r.requirements if q.id.startswith("OISL-FRM-")]
    assert len(frm) == 13
    assert all(q.verdict.value == "pass" for q in frm), [(q.id, q.verdict.value, q.reason) for q in frm]
    assert _framing(r) == "certified"


@pytest.mark.parametrize(
    ("factory", "must_fail"),
    [
        ("products.broken_framing:wrong_first_header_pointer", {"OISL-FRM-009"}),
        ("products.broken_framing:frame_length_off_by_one", {"OISL-FRM-002"}),
        ("products.broken_framing:crc_over_wrong_range", {"OISL-FRM-004", "OISL-FRM-005"}),
        ("products.broken_framing:splicing_receiver", {"OISL-FRM-012"}),
        ("products.broken_framing:idle_delivering", {"OISL-FRM-010"}),
        ("products.broken_framing:foreign_vc_accepting", {"OISL-FRM-012"}),
        ("products.broken_framing:zero_padding_flush", {"OISL-FRM-010"}),
        ("products.broken_framing:ocf_placeholder", {"OISL-FRM-006"}),
        ("products.broken_framing:count_wrap_blind_receiver", {"OISL-FRM-011"}),
        ("products.broken_framing:spare_bit_lenient_parser", {"OISL-FRM-007"}),
    ],
)
def test_broken_products_are_not_certified(tmp_path: Path, factory: str, must_fail: set[str]) -> None:
    r = certify(tmp_path, factory)
    failed = {q.id for q in r.requirements if q.verdict.value == "fail"}
    assert must_fail <= failed, (failed, [(q.id, q.verdict.value, q.reason) for q in r.not_passed()])
    assert _framing(r) == "not-certified"
    cls = next(c for c in r.classes if c.id == "framing")
    assert any(rid in cls.reason for rid in must_fail), cls.reason
