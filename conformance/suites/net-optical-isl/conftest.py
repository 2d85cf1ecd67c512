"""Fixtures of the net-optical-isl suite: parameters of the spec under test, and per-depth
parametrization gated by the ICS."""

from __future__ import annotations

import pytest

from orbitcert.conformance import spec_under_test
from orbitcert.reference_impl.optical.coding import CodingParameters
from orbitcert.specs import Ics, Spec


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run ``interleave`` tests at every depth the spec allows; depths the ICS does not declare
    are not applicable (predicate ``I in rs_interleaving_depths``)."""
    if "interleave" in metafunc.fixturenames:
        depths = spec_under_test(metafunc.config).parameter("rs_interleaving_depths")
        metafunc.parametrize(
            "interleave",
            [pytest.param(d, id=f"I{d}", marks=pytest.mark.applies_if(f"{d} in rs_interleaving_depths")) for d in depths],
        )


@pytest.fixture(scope="session")
def params(spec: Spec) -> CodingParameters:
    """The coding parameters of the spec version under test: every known answer the suite
    computes with the reference uses them, so each version is tested against its own constants."""
    return CodingParameters.from_spec(spec)


@pytest.fixture(scope="session")
def randomize(ics: Ics) -> bool:
    """Whether the product under test randomizes (ICS item ``randomizer``)."""
    return bool(ics.items.get("randomizer", False))


@pytest.fixture(scope="session")
def asm(params: CodingParameters) -> bytes:
    """The attached sync marker of the spec under test (parameter ``attached_sync_marker``)."""
    return params.attached_sync_marker
