"""Fixtures of the net-optical-isl suite: per-depth parametrization gated by the ICS."""

from __future__ import annotations

from typing import Any

import pytest

from orbitcert.specs.model import Spec


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run ``interleave`` tests at every depth the spec allows; depths the ICS does not declare
    are not applicable (predicate ``I in rs_interleaving_depths``)."""
    if "interleave" in metafunc.fixturenames:
        spec: Spec = metafunc.config.stash[_state_key()].target.loaded.spec
        depths = spec.parameter("rs_interleaving_depths")
        metafunc.parametrize(
            "interleave",
            [pytest.param(d, id=f"I{d}", marks=pytest.mark.applies_if(f"{d} in rs_interleaving_depths")) for d in depths],
        )


def _state_key() -> Any:
    from orbitcert.conformance.plugin import STATE_KEY

    return STATE_KEY


@pytest.fixture(scope="session")
def randomize(ics: Any) -> bool:
    """Whether the product under test randomizes (ICS item ``randomizer``)."""
    return bool(ics.values.get("randomizer", False))


@pytest.fixture(scope="session")
def asm(spec: Spec) -> bytes:
    """The attached sync marker (parameter ``attached_sync_marker``)."""
    return bytes.fromhex(spec.parameter("attached_sync_marker"))
