"""Deliberately broken ``net-optical-isl`` PAT controllers: the reference with ONE deviation each.

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.optical.iut.create` and
returns a product whose docstring names the requirement a certification must fail it on:

* :func:`slow_acquisition` - OISL-ACQ-004 (waits for 85 s of good tracking before communicate,
  so about 75 % of the acquisitions exceed 100 s; a slow scan can no longer be declared honestly:
  the ICS caps pat_scan_period_s at the 100 s limit)
* :func:`never_lost` - OISL-ACQ-003 (never declares lost, although it declares a 2 s timeout)
* :func:`skip_track` - OISL-ACQ-001 (acquire goes straight to communicate)
* :func:`coarse_scan` - OISL-ACQ-002 (scan rings as far apart as the beacon divergence allows
  for full-divergence coverage, leaving gaps larger than the spec's coverage radius)
* :func:`premature_lost` - OISL-ACQ-001 and OISL-ACQ-003 (declares lost 1 s after the last
  detection while its ICS declares 2 s)
* :func:`no_dwell` - OISL-ACQ-001 (track -> communicate at the first good offset, no dwell)
* :func:`mispointed_communicate` - OISL-ACQ-005 (after 4 steps of communicate its pointing drifts
  40 urad off the tracked direction, five times the threshold, and it stays in communicate)
* :func:`deaf_to_power_off` - OISL-ACQ-001 (ignores power-off in acquire, track, communicate and
  lost)
* :func:`local_rescan` - OISL-ACQ-002 (after lost it rescans only a small disc around its last
  pointing)

Their ICS answers for the acquisition class are in ``tests/products/ics/`` (``acquisition_*.yaml``).
Use e.g. ``--impl products.broken_acquisition:slow_acquisition``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.parameters import CodingParameters
from orbitcert.reference_impl.optical.pat import PatConfig, PatController, PatOutput, PatState, scan_pattern

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "coarse_scan",
    "deaf_to_power_off",
    "local_rescan",
    "mispointed_communicate",
    "never_lost",
    "no_dwell",
    "premature_lost",
    "skip_track",
    "slow_acquisition",
]


def _build(cls: type[ReferenceOpticalLink], spec: Spec | None) -> ReferenceOpticalLink:
    return cls() if spec is None else cls(CodingParameters.from_spec(spec), spec)


class SlowAcquisitionProduct(ReferenceOpticalLink):
    """Confirms the link for 85 s of good tracking before it reports communicate (the reference:
    2 s): about 75 % of acquisitions exceed 100 s (measured: 151 of 200 seeded trials). Every
    transition is legal. Fails OISL-ACQ-004."""

    name = "broken-slow-acquisition"
    pat_profile_overrides: Mapping[str, Any] = {"comm_dwell": 85.0}


def slow_acquisition(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Confirms the link far too slowly; must fail OISL-ACQ-004."""
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


class PrematureLostProduct(ReferenceOpticalLink):
    """Declares lost 1 s after the last detection although its ICS declares a 2 s loss timeout.
    Fails OISL-ACQ-001 (lost before the timeout) and OISL-ACQ-003 (lost earlier than the declared
    timeout minus one step)."""

    name = "broken-premature-lost"
    pat_profile_overrides: Mapping[str, Any] = {"loss_timeout": 1.0}


def premature_lost(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Loses the link before its declared timeout; must fail OISL-ACQ-001 and OISL-ACQ-003."""
    return _build(PrematureLostProduct, spec)


class _NoDwellController(PatController):
    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        before = self.state
        out = super().step(now, command, detected, offset_x, offset_y)
        if before is PatState.track and out.state is PatState.track and self._good_since is not None:
            self.state = PatState.communicate
            return self._output()
        return out


class NoDwellProduct(ReferenceOpticalLink):
    """Enters communicate at the first offset within the threshold in track, without the dwell of
    good tracking. Fails OISL-ACQ-001."""

    name = "broken-no-dwell"

    def _pat_controller(self, config: PatConfig) -> PatController:
        return _NoDwellController(config, self._pat_profile())


def no_dwell(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Communicates without the dwell; must fail OISL-ACQ-001."""
    return _build(NoDwellProduct, spec)


class _MispointedController(PatController):
    """Reports a pointing 40 urad off its tracked direction after 4 steps of communicate (and
    tracks with the bias, so the measured offsets stay small), never falling back."""

    BIAS = 4e-5
    _in_comm = 0

    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        biased = self._in_comm > 4
        out = super().step(now, command, detected, offset_x + (self.BIAS if biased and detected else 0.0), offset_y)
        if biased and out.state is PatState.track:
            self.state = PatState.communicate
        self._in_comm = self._in_comm + 1 if self.state is PatState.communicate else 0
        if self._in_comm > 4:
            return PatOutput(self.state, float(self.pointing[0] + self.BIAS), float(self.pointing[1]))
        return self._output()


class MispointedCommunicateProduct(ReferenceOpticalLink):
    """Stays in communicate while mispointed by five times the threshold. Fails OISL-ACQ-005."""

    name = "broken-mispointed-communicate"

    def _pat_controller(self, config: PatConfig) -> PatController:
        return _MispointedController(config, self._pat_profile())


def mispointed_communicate(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Communicates while mispointed; must fail OISL-ACQ-005."""
    return _build(MispointedCommunicateProduct, spec)


class _DeafController(PatController):
    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        if command == "power-off" and self.state not in (PatState.off, PatState.scan):
            command = "none"
        return super().step(now, command, detected, offset_x, offset_y)


class DeafToPowerOffProduct(ReferenceOpticalLink):
    """Obeys power-off only in off and scan. Fails OISL-ACQ-001."""

    name = "broken-deaf-to-power-off"

    def _pat_controller(self, config: PatConfig) -> PatController:
        return _DeafController(config, self._pat_profile())


def deaf_to_power_off(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Ignores power-off once linked; must fail OISL-ACQ-001."""
    return _build(DeafToPowerOffProduct, spec)


class _LocalRescanController(PatController):
    """After lost, rescans the full pattern shrunk to a fifth around its last pointing."""

    def step(self, now: float, command: str, detected: bool, offset_x: float, offset_y: float) -> PatOutput:
        if self.state is PatState.lost and command == "none":
            full = scan_pattern(self.config.uncertainty, self.config.beacon_divergence, self.profile.coverage_fraction)
            self.pattern = self.pointing + 0.2 * full
        return super().step(now, command, detected, offset_x, offset_y)


class LocalRescanProduct(ReferenceOpticalLink):
    """Its scan after lost covers only a disc of a fifth of the cone around the last pointing.
    Fails OISL-ACQ-002."""

    name = "broken-local-rescan"

    def _pat_controller(self, config: PatConfig) -> PatController:
        return _LocalRescanController(config, self._pat_profile())


def local_rescan(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Rescans only locally after lost; must fail OISL-ACQ-002."""
    return _build(LocalRescanProduct, spec)
