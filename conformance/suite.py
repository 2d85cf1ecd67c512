"""The API a conformance suite uses (docs/guides/writing-a-suite.md).

Suites, bundled or in an outside catalog, import only this module's names (re-exported by
``orbitcert.conformance``), the fixtures ``spec``, ``ics`` and ``iut``, and the markers::

    @pytest.mark.requirement("OISL-COD-004", ...)       # what the test verifies (required)
    @pytest.mark.applies_if("8 in rs_interleaving_depths")  # a per-test ICS predicate

In ``pytest_generate_tests`` (where fixtures are not available) :func:`spec_under_test` and
:func:`ics_under_test` give the spec and ICS of the run, e.g. to parametrize over the values a
spec allows and mark those the ICS does not declare as not applicable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .verdicts import Inconclusive, inconclusive

if TYPE_CHECKING:
    from orbitcert.specs.ics import Ics
    from orbitcert.specs.model import Spec

    from .recorder import CertificationSession

__all__ = ["Inconclusive", "ics_under_test", "inconclusive", "refusal", "requirement_ids", "spec_under_test"]

SESSION_KEY = pytest.StashKey["CertificationSession"]()


def certification_session(config: pytest.Config) -> CertificationSession:
    """The run's certification state; a usage error when no spec is being certified."""
    state = config.stash.get(SESSION_KEY, None)
    if state is None:
        raise pytest.UsageError("orbitcert: this suite needs a spec under test (--orbitcert-spec ID@VERSION)")
    return state


def spec_under_test(config: pytest.Config) -> Spec:
    """The spec version being certified in this pytest run."""
    return certification_session(config).target.loaded.spec


def ics_under_test(config: pytest.Config) -> Ics:
    """The validated ICS of the product being certified in this pytest run."""
    return certification_session(config).target.ics


def requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    """Requirement ids named by a test's ``requirement`` markers, in order, without repeats."""
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        for a in mark.args:
            if str(a) not in ids:
                ids.append(str(a))
    return tuple(ids)


def other_version_requirements(spec: Spec, catalogs: Sequence[str | Path] = ()) -> frozenset[str]:
    """Requirement ids that other versions of ``spec`` in the catalog define and ``spec`` does not.

    One suite serves every version of its spec. A test all of whose requirements are such ids
    verifies a requirement another version added (or retired): it is not part of this version's
    suite and is deselected, so ``net-optical-isl@1.0.0`` is certified without the framing tests
    1.1.0 added. A test naming an id that no version defines stays an error (a typo is never
    silently skipped). A version that does not load is skipped here: ``specs lint`` reports it.
    """
    from orbitcert.specs.errors import OrbitcertError
    from orbitcert.specs.loader import Catalog

    own = {r.id for r in spec.requirements}
    catalog = Catalog.discover(catalogs)
    others: set[str] = set()
    for version in catalog.versions(spec.id):
        if version == spec.version:
            continue
        try:
            loaded = catalog.load(f"{spec.id}@{version}")
        except OrbitcertError:
            continue
        others.update(r.id for r in loaded.spec.requirements)
    return frozenset(others - own)


def belongs_to_other_version(ids: Sequence[str], others: frozenset[str]) -> bool:
    """Whether a test naming ``ids`` verifies only requirements of other versions of the spec."""
    return bool(ids) and all(r in others for r in ids)


def applies_if_predicates(item: pytest.Item) -> tuple[str, ...]:
    """The ``applies_if`` predicates of a test (its own and its parametrization's)."""
    return tuple(str(mark.args[0]) for mark in item.iter_markers("applies_if") if mark.args)




def refusal(operation: Callable[..., Any], *args: Any) -> Exception | None:
    """Call a product operation the spec says the product must refuse, and return the product's
    refusal: the error it reported (an error reply over the bridge, an ordinary exception in
    process), or None when the call returned normally (the suite then fails the test).

    What is not a refusal propagates and becomes an ``error`` verdict: the product crashing,
    hanging or breaking the protocol, a result of the wrong type, the test's time limit::

        assert refusal(iut.apply_security, frame, spi) is not None, "an SA that is not operational was used"
    """
    from .bridge.client import BridgeFailure
    from .interfaces.codec import InterfaceViolation
    from .interfaces.proxy import ProductMisbehaved
    from .timeouts import TestTimeout

    try:
        operation(*args)
    except (BridgeFailure, InterfaceViolation, ProductMisbehaved, TestTimeout):
        raise
    except Exception as exc:  # noqa: BLE001 - any ordinary error the product reports is its refusal
        return exc
    return None
