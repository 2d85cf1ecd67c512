"""Nothing is pinned to net-optical-isl@1.0.0: a new version of a bundled spec in an outside
catalog certifies out of the box, with known answers computed from its own parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitcert.conformance import run_certification
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.specs.loader import Catalog

from helpers import new_optical_version


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalog")
    new_optical_version(root)
    return root


def stale_product() -> ReferenceOpticalLink:
    """A product built for 1.0.0 whatever the spec says (the 1.0.0 attached sync marker)."""
    return ReferenceOpticalLink()


def _certify(catalog: Path, out: Path, ref: str, impl: str | None = None) -> object:
    options = RunOptions.create(out=out, examples=25, catalogs=[catalog], formats="json")
    target = CertificationTarget.resolve(ref, impl=impl, catalogs=[catalog])
    return run_certification(target, options).report


def test_latest_is_the_new_version_and_its_suite_is_the_bundled_one(catalog: Path) -> None:
    target = CertificationTarget.resolve("net-optical-isl@latest", catalogs=[catalog])
    assert target.loaded.spec.version == "2.0.0"
    assert target.loaded.spec.parameter("attached_sync_marker") == "352EF853"
    assert target.suite_origin == "bundled" and target.suite.name == "net-optical-isl"
    assert target.ics.spec == "net-optical-isl@2.0.0", "the reference ICS answers every version"
    product = target.create_product()
    assert product.params.attached_sync_marker == bytes.fromhex("352EF853"), "the factory got the spec under test"


def test_reference_certifies_against_the_new_version_with_its_parameters(catalog: Path, tmp_path: Path) -> None:
    report = _certify(catalog, tmp_path, "net-optical-isl@2.0.0")
    assert report.spec.version == "2.0.0"  # type: ignore[attr-defined]
    assert report.decision.value == "certified", report.not_passed()  # type: ignore[attr-defined]


def test_a_product_that_ignores_the_new_parameters_is_not_certified(catalog: Path, tmp_path: Path) -> None:
    """Known answers come from 2.0.0's marker: the 1.0.0 marker fails OISL-COD-001, and the
    stale receiver finds no 2.0.0 codeblock (OISL-COD-010)."""
    report = _certify(catalog, tmp_path, "net-optical-isl@2.0.0", impl=f"{__name__}:stale_product")
    verdicts = {r.id: r.verdict.value for r in report.requirements}  # type: ignore[attr-defined]
    assert verdicts["OISL-COD-001"] == "fail"
    assert verdicts["OISL-COD-010"] == "fail"
    assert report.decision.value == "not-certified"  # type: ignore[attr-defined]


def test_the_old_version_still_certifies(catalog: Path, tmp_path: Path) -> None:
    report = _certify(catalog, tmp_path, "net-optical-isl@1.0.0")
    assert report.decision.value == "certified"  # type: ignore[attr-defined]
    assert Catalog.discover([catalog]).versions("net-optical-isl") == ["1.0.0", "1.1.0", "2.0.0"]
