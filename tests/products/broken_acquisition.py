"""Deliberately broken ``net-optical-isl`` PAT controllers: the reference with ONE deviation each.

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.optical.iut.create` and
returns a product whose docstring names the requirement a certification must fail it on:

* :func:`slow_acquisition` - OISL-ACQ-004 (scan dwells 8 steps, 4 s, per point: a 392 s scan,
  honestly declared, so about 40 % of the acquisitions exceed 100 s)
* :func:`never_lost` - OISL-ACQ-003 (never declares lost, although it declares a 2 s timeout)
* :func:`skip_track` - OISL-ACQ-001 (acquire goes straight to communicate)
* :func:`coarse_scan` - OISL-ACQ-002 (scan rings as far apart as the beacon divergence allows
  for full-divergence coverage, leaving gaps larger than the spec's coverage radius)

Their ICS answers for the acquisition class are in ``tests/products/ics/`` (``acquisition_*.yaml``).
Use e.g. ``--impl products.broken_acquisition:slow_acquisition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.parameters import CodingParameters
from orbitcert.reference_impl.optical.pat import PatConfig, PatController, PatOutput, PatState

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["coarse_scan", "never_lost", "skip_track", "slow_acquisition"]


def _build(cls: type[ReferenceOpticalLink], spec: Spec | None) -> ReferenceOpticalLink:
    return cls() if spec is None else cls(CodingParameters.from_spec(spec), spec)


class SlowAcquisitionProduct(ReferenceOpticalLink):
    """Dwells eight time steps (4 s) on every scan point: the scan period grows from 49 s to 392 s at
    the spec's parameters and about 40 % of acquisitions exceed 100 s (measured: 165 of 400
    seeded trials). Fails OISL-ACQ-004."""

    name = "broken-slow-acquisition"
    pat_profile_overrides: Mapping[str, Any] = {"dwell_steps": 8}


def slow_acquisition(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Scans eight times too slowly; must fail OISL-ACQ-004."""
    return _build(SlowAcquisitionProduct, spec)


class NeverLostProduct(ReferenceOpticalLink):
    """Holds its last pointing forever when the beacon disappears (a loss timeout of 10^9 s in
    effect) although its ICS declares 2 s. Fails OISL-ACQ-003."""

    name = "broken-never-lost"
    pat_profile_overrides: Mapping[str, Any] = {"loss_timeout": 1e9}


def never_lost(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Never declares lost; must fail OISL-ACQ-003."""
    return _build(NeverLostProduct, spec)


class _SkipTrackController(PatController):
    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        before = self.state
        out = super().step(now, command, detected, offset_x, offset_y)
        if before is PatState.acquire and out.state is PatState.track:
            self.state = PatState.communicate
            return PatOutput(PatState.communicate, out.pointing_x, out.pointing_y)
        return out


class SkipTrackProduct(ReferenceOpticalLink):
    """Declares communicate at the first detection after acquire, skipping track and its dwell of
    good tracking. Fails OISL-ACQ-001."""

    name = "broken-skip-track"

    def _pat_controller(self, config: PatConfig) -> PatController:
        return _SkipTrackController(config, self._pat_profile())


def skip_track(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Goes from acquire straight to communicate; must fail OISL-ACQ-001."""
    return _build(SkipTrackProduct, spec)


class CoarseScanProduct(ReferenceOpticalLink):
    """Spaces its scan for a coverage radius of the full beacon divergence instead of the spec's
    fraction of it: a faster scan (its declared period is honest) with gaps. Fails OISL-ACQ-002."""

    name = "broken-coarse-scan"
    pat_profile_overrides: Mapping[str, Any] = {"coverage_fraction": 1.0}


def coarse_scan(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Scans with gaps in the uncertainty cone; must fail OISL-ACQ-002."""
    return _build(CoarseScanProduct, spec)
