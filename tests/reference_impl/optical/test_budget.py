"""The optical link budget (net-optical-isl 1.1.0, class ``budget``), checked against:

* a published worked example: the optical ISL link budget notebook of
  github.com/henrique-muon/henrique-sandbox (after Majumdar and Ricklin, *Free-Space Laser
  Communications*, Springer 2008): 1550 nm, 7,000 km, 33 dBm, 10 cm apertures with efficiency 0.5
  and 3 dB optics loss at each end, 10 Gbit/s: published P_rx = -41.827 dBm, 51 photons/bit.
  Its efficiency eta is a declared optics loss of -10 log10(0.5) dB in this model;
* an independent hand calculation in linear units (watts and ratios, no decibels) of the
  reference terminal: 1 W, 1550 nm, 100 mm apertures, 2 dB pointing, 1.5 dB optics each end,
  -40 dBm at 10 Gbit/s, 5,000 km;
* closed forms (6.02 dB per doubling of range, the aperture gain of 100 mm at 1550 nm).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.reference_impl.optical.budget import (
    ICS_ITEMS,
    PLANCK,
    SPEED_OF_LIGHT,
    BudgetError,
    PlausibilityLimits,
    far_field_distance_m,
    TerminalParameters,
    aperture_gain_db,
    free_space_loss_db,
    link_budget,
    margin_db,
    photons_per_bit,
    plausibility_findings,
)

OVERLAYS = Path(__file__).resolve().parents[2] / "products" / "ics"
REFERENCE = TerminalParameters(
    tx_power_w=1.0, wavelength_nm=1550.0, tx_aperture_m=0.1, rx_aperture_m=0.1, pointing_loss_db=2.0,
    tx_optics_loss_db=1.5, rx_optics_loss_db=1.5, rx_sensitivity_dbm=-40.0, data_rate_gbps=10.0,
    max_range_km=5000.0, declared_margin_db=5.0,
)


def terminal(*overlays: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for name in ("terminal.yaml", *overlays):
        items.update(yaml.safe_load((OVERLAYS / name).read_text())["items"])
    return items


def test_published_example() -> None:
    """henrique-muon/henrique-sandbox optical ISL budget: P_rx = -41.827 dBm, 51 photons/bit."""
    eta_db = -10 * math.log10(0.5)
    t = TerminalParameters(
        tx_power_w=10 ** (33 / 10) / 1000, wavelength_nm=1550, tx_aperture_m=0.1, rx_aperture_m=0.1,
        pointing_loss_db=0.0, tx_optics_loss_db=3 + eta_db, rx_optics_loss_db=3 + eta_db,
        rx_sensitivity_dbm=-45.0, data_rate_gbps=10.0, max_range_km=7000.0, declared_margin_db=0.0,
    )
    b = link_budget(t)
    assert b.received_power_dbm == pytest.approx(-41.827, abs=5e-4)
    assert round(float(photons_per_bit(b.received_power_dbm, 1550, 10))) == 51


def test_hand_calculation_in_linear_units() -> None:
    """P_r = P_t (pi D / lambda)^2 (lambda / (4 pi R))^2 (pi D / lambda)^2 x the losses as power
    ratios, in watts; the margin is P_r / sensitivity in dB."""
    lam, d, r = 1550e-9, 0.1, 5.0e6
    ratio = lambda db: 10 ** (-db / 10)  # noqa: E731 - a loss in dB as a power ratio
    p_r_w = 1.0 * (math.pi * d / lam) ** 2 * ratio(1.5) * ratio(2.0) * (lam / (4 * math.pi * r)) ** 2 * (math.pi * d / lam) ** 2 * ratio(1.5)
    sens_w = 1e-3 * 10 ** (-40 / 10)
    b = link_budget(REFERENCE)
    assert b.received_power_dbm == pytest.approx(10 * math.log10(p_r_w / 1e-3), abs=1e-9)
    assert b.margin_db == pytest.approx(10 * math.log10(p_r_w / sens_w), abs=1e-9)
    assert b.margin_db == pytest.approx(5.1158, abs=1e-4)
    assert b.value("link margin") == b.margin_db
    assert [s[0] for s in b.as_steps()][-3:] == ["received power", "receiver sensitivity", "link margin"]
    assert sum(s.value for s in b.steps[:7]) == pytest.approx(b.received_power_dbm)


def test_closed_forms() -> None:
    assert float(aperture_gain_db(0.1, 1550e-9)) == pytest.approx(20 * math.log10(math.pi * 0.1 / 1550e-9))
    assert float(aperture_gain_db(0.1, 1550e-9)) == pytest.approx(106.136, abs=1e-3)
    assert float(free_space_loss_db(1550e-9, 5.0e6)) == pytest.approx(-272.157, abs=1e-3)
    ranges = np.array([1250.0, 2500.0, 5000.0, 10000.0])
    m = margin_db(REFERENCE, ranges)
    assert np.allclose(np.diff(m), -20 * math.log10(2))
    assert m[2] == pytest.approx(link_budget(REFERENCE).margin_db)
    assert link_budget(REFERENCE, 2500.0).margin_db == pytest.approx(m[1])
    # one photon per bit at 10 Gbit/s and 1550 nm: h c / lambda * 1e10 W
    one = 10 * math.log10(PLANCK * SPEED_OF_LIGHT / 1550e-9 * 1e10 / 1e-3)
    assert float(photons_per_bit(one, 1550, 10)) == pytest.approx(1.0)


def test_ics_overlays_of_the_toolkit_tests() -> None:
    """terminal.yaml is the reference; the broken overlays break exactly what they say."""
    ref = TerminalParameters.from_ics(terminal())
    assert ref == REFERENCE
    assert plausibility_findings(terminal(), PlausibilityLimits()) == []
    assert link_budget(ref).margin_db >= 3.0 and ref.declared_margin_db <= link_budget(ref).margin_db + 0.1
    short = TerminalParameters.from_ics(terminal("budget_margin_short.yaml"))
    assert link_budget(short).margin_db < 3.0 and short.declared_margin_db <= link_budget(short).margin_db + 0.1
    over = TerminalParameters.from_ics(terminal("budget_margin_overstated.yaml"))
    assert link_budget(over).margin_db >= 3.0 and over.declared_margin_db > link_budget(over).margin_db + 0.1
    bad = plausibility_findings(terminal("budget_implausible.yaml"), PlausibilityLimits())
    assert any("wavelength" in f for f in bad) and any("photons per bit" in f for f in bad)


@pytest.mark.parametrize(
    ("item", "value", "finding"),
    [
        ("budget_tx_power_w", 0.0, "not positive"),
        ("budget_tx_aperture_m", -0.1, "not positive"),
        ("budget_pointing_loss_db", -1.0, "a gain, not a loss"),
        ("budget_wavelength_nm", 1750.0, "outside"),
        ("budget_wavelength_nm", 999.0, "outside"),
        ("budget_max_range_km", None, "not declared"),
        ("budget_rx_sensitivity_dbm", -70.0, "photons per bit"),
        ("budget_data_rate_gbps", "10", "not a finite number"),
        ("budget_rx_optics_loss_db", 0.0, "no loss"),
        ("budget_tx_power_w", 150.0, "above the plausible"),
        ("budget_rx_aperture_m", 1.2, "above the plausible"),
        ("budget_max_range_km", 6.0e5, "above the plausible"),
        ("budget_data_rate_gbps", 1e-4, "below the plausible"),
        ("budget_max_range_km", 10.0, "near field"),
        ("budget_rx_sensitivity_dbm", -40.0 - 10 * math.log10(78.2), "photons per bit"),
    ],
)
def test_plausibility_findings(item: str, value: Any, finding: str) -> None:
    items = terminal()
    items[item] = value
    found = plausibility_findings(items, PlausibilityLimits())
    assert any(finding in f and (item in f or finding == "not declared") for f in found), found


def test_missing_items_are_named() -> None:
    items = terminal()
    del items["budget_max_range_km"], items["budget_declared_margin_db"]
    with pytest.raises(BudgetError, match="budget_max_range_km, budget_declared_margin_db"):
        TerminalParameters.from_ics(items)


values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3)
)


@given(st.dictionaries(st.sampled_from([i for i, _ in ICS_ITEMS.values()]), values))
def test_budget_raises_only_budget_error(overrides: dict[str, Any]) -> None:
    """Whatever the ICS says: plausibility_findings never raises, the budget raises only
    BudgetError, and a plausible declaration always has a finite budget."""
    items = terminal()
    items.update(overrides)
    findings = plausibility_findings(items, PlausibilityLimits())
    try:
        b = link_budget(TerminalParameters.from_ics(items))
    except BudgetError:
        assert findings
        return
    if not findings:
        assert math.isfinite(b.margin_db)


def test_far_field_and_received_power_findings() -> None:
    """2 D^2 / lambda: 12.9 km for 0.1 m at 1550 nm; at 13 km the reference terminal is in the far
    field, at 12 km not. In the far field of both apertures P_r / P_t <= (pi / 8)^2 whatever the
    diameters, so received power above the transmit power (the reviewer's 1 km case: +39 dBm
    from +30 dBm) comes only with a near-field finding; both are reported."""
    assert float(far_field_distance_m(0.1, 1550e-9)) == pytest.approx(2 * 0.01 / 1550e-9)
    items = terminal()
    items["budget_max_range_km"] = 13.0
    assert not any("near field" in f for f in plausibility_findings(items, PlausibilityLimits()))
    items["budget_max_range_km"] = 12.0
    assert any("near field" in f for f in plausibility_findings(items, PlausibilityLimits()))
    items["budget_max_range_km"] = 1.0
    b = link_budget(TerminalParameters.from_ics(items))
    assert b.received_power_dbm == pytest.approx(39.1, abs=0.1) and b.value("transmit power") == 30.0
    found = plausibility_findings(items, PlausibilityLimits())
    assert [f for f in found if "exceeds the transmit power" in f] and [f for f in found if "near field" in f]
    # at the far-field distance itself the power ratio is (pi / 8)^2 before losses
    for d in (0.05, 0.3, 1.0):
        items = terminal()
        items.update(budget_tx_aperture_m=d, budget_rx_aperture_m=d, budget_pointing_loss_db=1e-9,
                     budget_tx_optics_loss_db=1e-9, budget_rx_optics_loss_db=1e-9)
        items["budget_max_range_km"] = float(far_field_distance_m(d, 1550e-9)) / 1e3
        b = link_budget(TerminalParameters.from_ics(items))
        assert b.received_power_dbm - 30.0 == pytest.approx(20 * math.log10(math.pi / 8), abs=1e-6)


def test_limits_from_the_spec() -> None:
    from orbitcert.specs.loader import load_ref

    loaded = load_ref("net-optical-isl@1.1.0")
    spec = getattr(loaded, "spec", loaded)
    assert PlausibilityLimits.from_spec(spec) == PlausibilityLimits()
