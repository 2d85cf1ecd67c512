"""Demo suite: one test per verdict, plus traceability mistakes for lint."""

import time

import pytest

from orbitcert.conformance import inconclusive


@pytest.mark.requirement("DEMO-001")
def test_passes(iut, spec, ics):
    assert spec.id == "demo-spec" and ics.classes == ["base"]
    assert repr(iut).startswith(("InterfaceProxy(dict", "BridgeProduct(")), "the product only through its interface"


@pytest.mark.requirement("DEMO-002")
def test_fails():
    assert 1 + 1 == 3, "arithmetic is broken"


@pytest.mark.requirement("DEMO-003")
def test_product_raises():
    raise ValueError("product crashed")


@pytest.mark.requirement("DEMO-004")
def test_inconclusive():
    inconclusive("channel too noisy to decide")


@pytest.mark.requirement("DEMO-005")
def test_fancy():
    assert True


@pytest.mark.requirement("DEMO-006")
def test_extra_class():
    assert True


@pytest.mark.requirement("DEMO-001")
@pytest.mark.applies_if("fancy")
def test_item_level_predicate():
    assert True


def test_names_no_requirement():
    assert True


@pytest.mark.requirement("DEMO-999")
def test_names_unknown_requirement():
    assert True


@pytest.mark.requirement("DEMO-003")
def test_product_hangs():
    time.sleep(30)
