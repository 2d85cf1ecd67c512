"""Conformance suite of net-optical-isl, class ``budget``: the optical link budget, verified by
analysis of the terminal parameters the supplier declares in the ICS (no product operation).

The suite computes the free-space optical link equation (Hemmati (ed.), *Near-Earth Laser
Communications*, 2009) with :func:`orbitcert.reference_impl.optical.budget.link_budget` (checked in
orbitcert's own tests against an independent hand calculation in linear units and a published
example) and records every step in the report with ``evidence.analysis``.
"""

from __future__ import annotations

from typing import Any

import pytest

from orbitcert.conformance import inconclusive
from orbitcert.reference_impl.optical.budget import (
    ICS_ITEMS,
    LinkBudget,
    PlausibilityLimits,
    TerminalParameters,
    link_budget,
    plausibility_findings,
)
from orbitcert.specs import Ics, Spec


def _budget(ics: Ics) -> tuple[TerminalParameters, LinkBudget]:
    """The declared terminal and its budget at maximum range; inconclusive when the ICS does not
    declare enough for a budget (OISL-BUD-003 fails that case)."""
    findings = plausibility_findings(ics.items, PlausibilityLimits())
    try:
        t = TerminalParameters.from_ics(ics.items)
        return t, link_budget(t)
    except ValueError as exc:
        inconclusive(f"no budget can be computed from the ICS: {exc} ({'; '.join(findings)})")
        raise  # unreachable: inconclusive raises


def _record(evidence: Any, t: TerminalParameters, b: LinkBudget, conclusion: str) -> None:
    evidence.analysis(
        title=f"Optical link budget at the maximum range {t.max_range_km:g} km",
        inputs=t.as_inputs(),
        steps=b.as_steps(),
        conclusion=conclusion,
    )


@pytest.mark.requirement("OISL-BUD-001")
def test_margin_at_maximum_range(ics: Ics, spec: Spec, evidence: Any) -> None:
    """The computed margin at the declared maximum range is at least link_margin_required."""
    required = float(spec.parameter("link_margin_required"))
    t, b = _budget(ics)
    ok = b.margin_db >= required
    _record(
        evidence, t, b,
        f"computed margin {b.margin_db:.2f} dB {'>=' if ok else '<'} required {required:g} dB",
    )
    assert ok, f"computed link margin {b.margin_db:.2f} dB at {t.max_range_km:g} km is below the required {required:g} dB"


@pytest.mark.requirement("OISL-BUD-002")
def test_declared_margin_not_overstated(ics: Ics, spec: Spec, evidence: Any) -> None:
    """The supplier's declared margin does not exceed the computed one by more than the tolerance."""
    tolerance = float(spec.parameter("link_margin_tolerance"))
    t, b = _budget(ics)
    ok = t.declared_margin_db <= b.margin_db + tolerance
    _record(
        evidence, t, b,
        f"declared margin {t.declared_margin_db:g} dB {'<=' if ok else '>'} computed {b.margin_db:.2f} dB "
        f"+ tolerance {tolerance:g} dB",
    )
    assert ok, (
        f"declared margin {t.declared_margin_db:g} dB overstates the computed {b.margin_db:.2f} dB "
        f"by {t.declared_margin_db - b.margin_db:.2f} dB (tolerance {tolerance:g} dB)"
    )


@pytest.mark.requirement("OISL-BUD-003")
def test_terminal_parameters_declared_and_plausible(ics: Ics, spec: Spec, evidence: Any) -> None:
    """Every budget parameter is declared, finite, positive where it must be, within the spec's
    caps, losses are positive, the wavelength is in the spec's band, the sensitivity is not below
    the photon floor, the range is in the far field of both apertures and the computed received
    power does not exceed the transmit power."""
    limits = PlausibilityLimits.from_spec(spec)
    findings = plausibility_findings(ics.items, limits)
    evidence.analysis(
        title="Terminal parameters declared and physically plausible",
        inputs={
            ics_id: (v, unit)
            for ics_id, unit in ICS_ITEMS.values()
            if isinstance(v := ics.items.get(ics_id), int | float) and not isinstance(v, bool)
        },
        steps=[
            ("wavelength band minimum", limits.wavelength_min_nm, "nm"),
            ("wavelength band maximum", limits.wavelength_max_nm, "nm"),
            ("fewest photons per bit", limits.min_photons_per_bit, ""),
            ("largest transmit power", limits.tx_power_max_w, "W"),
            ("largest aperture diameter", limits.aperture_max_m, "m"),
            ("smallest data rate", limits.data_rate_min_gbps, "Gbit/s"),
            ("longest range", limits.range_max_km, "km"),
            ("findings", len(findings), ""),
        ],
        conclusion="; ".join(findings) if findings else "all declared and plausible",
    )
    assert not findings, "; ".join(findings)
