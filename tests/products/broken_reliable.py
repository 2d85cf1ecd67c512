"""Deliberately broken ``net-optical-isl`` products for the ``reliable`` class (COP-1): the
reference with ONE deviation each. Each factory takes ``spec=None`` like
:func:`orbitcert.reference_impl.optical.iut.create`; its docstring names the requirement a
certification must fail it on:

* :func:`farm_accepts_out_of_window` - OISL-REL-011
* :func:`fop_never_retransmits` - OISL-REL-004 (and OISL-REL-003, OISL-REL-015)
* :func:`fop_exceeds_window` - OISL-REL-002
* :func:`farm_ignores_set_vr` - OISL-REL-012
* :func:`clcw_wrong_layout` - OISL-REL-014
* :func:`fop_ignores_wait` - OISL-REL-003
* :func:`fop_keeps_transmission_count` - OISL-REL-004 (and OISL-REL-015)
* :func:`fop_unlock_despite_lockout` - OISL-REL-006
* :func:`farm_bd_not_counted` - OISL-REL-012
* :func:`farm_release_after_frames` - OISL-REL-013

Use e.g. ``--impl tests.products.broken_reliable:farm_accepts_out_of_window``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dataclasses
from collections.abc import Iterable
from typing import Any

from orbitcert.reference_impl.optical.cop1 import Clcw, CopFrame, Farm1, FarmState, Fop1
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.parameters import CodingParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "clcw_wrong_layout",
    "farm_accepts_out_of_window",
    "farm_ignores_set_vr",
    "farm_bd_not_counted",
    "farm_release_after_frames",
    "fop_exceeds_window",
    "fop_ignores_wait",
    "fop_keeps_transmission_count",
    "fop_never_retransmits",
    "fop_unlock_despite_lockout",
]


def _build(cls: type[ReferenceOpticalLink], spec: Spec | None) -> ReferenceOpticalLink:
    """``cls`` built like :func:`orbitcert.reference_impl.optical.iut.create` builds the reference."""
    return cls() if spec is None else cls(CodingParameters.from_spec(spec), spec)


# -- farm_accepts_out_of_window ---------------------------------------------------------------------


class _OpenFarm(Farm1):
    def _e5_lockout_area(self, frame: CopFrame, delivered: list[bytes]) -> None:
        # Takes the frame as the new in-sequence one instead of locking out.
        assert frame.ns is not None
        delivered.append(frame.data)
        self.vr = (frame.ns + 1) % 256


class FarmAcceptsOutOfWindow(ReferenceOpticalLink):
    """FARM-1 accepts an AD frame outside both windows (and resynchronises on it) instead of
    entering lockout. Fails OISL-REL-011."""

    name = "broken-farm-accepts-out-of-window"
    farm_class = _OpenFarm


def farm_accepts_out_of_window(spec: Spec | None = None) -> ReferenceOpticalLink:
    """FARM-1 without lockout; must fail OISL-REL-011."""
    return _build(FarmAcceptsOutOfWindow, spec)


# -- fop_never_retransmits --------------------------------------------------------------------------


class _LazyFop(Fop1):
    def _initiate_retransmission(self) -> None:
        # Neither the retransmit flag nor T1 leads to a retransmission (nor counts one).
        pass


class FopNeverRetransmits(ReferenceOpticalLink):
    """FOP-1 never retransmits: not on the CLCW retransmit flag, not on T1 expiry (so it never
    reaches the transmission limit either). Fails OISL-REL-004, OISL-REL-003 and OISL-REL-015."""

    name = "broken-fop-never-retransmits"
    fop_class = _LazyFop


def fop_never_retransmits(spec: Spec | None = None) -> ReferenceOpticalLink:
    """FOP-1 without retransmission; must fail OISL-REL-004."""
    return _build(FopNeverRetransmits, spec)


# -- fop_exceeds_window -----------------------------------------------------------------------------


class _WideFop(Fop1):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.window += 1  # off by one: K + 1 frames outstanding


class FopExceedsWindow(ReferenceOpticalLink):
    """FOP-1 keeps K + 1 frames outstanding. Fails OISL-REL-002."""

    name = "broken-fop-exceeds-window"
    fop_class = _WideFop


def fop_exceeds_window(spec: Spec | None = None) -> ReferenceOpticalLink:
    """FOP-1 sliding window one too wide; must fail OISL-REL-002."""
    return _build(FopExceedsWindow, spec)


# -- farm_ignores_set_vr ----------------------------------------------------------------------------


class _DeafFarm(Farm1):
    def _e8_set_vr(self, value: int) -> None:
        self._count("E8")  # counted (FARM-B), but V(R) is never set


class FarmIgnoresSetVr(ReferenceOpticalLink):
    """FARM-1 counts a Set V(R) command but does not execute it. Fails OISL-REL-012."""

    name = "broken-farm-ignores-set-vr"
    farm_class = _DeafFarm


def farm_ignores_set_vr(spec: Spec | None = None) -> ReferenceOpticalLink:
    """FARM-1 ignoring Set V(R); must fail OISL-REL-012."""
    return _build(FarmIgnoresSetVr, spec)


# -- clcw_wrong_layout ------------------------------------------------------------------------------


class _SwappedFlagsFarm(Farm1):
    def clcw(self) -> Clcw:
        # Lockout and Wait in each other's bit positions (232.0-B-4 4.2.1.4 puts Lockout first).
        good = super().clcw()
        return Clcw(
            virtual_channel_id=good.virtual_channel_id,
            lockout=good.wait,
            wait=good.lockout,
            retransmit=good.retransmit,
            farm_b_counter=good.farm_b_counter,
            report_value=good.report_value,
        )


class ClcwWrongLayout(ReferenceOpticalLink):
    """FARM-1 reports the Lockout flag in the Wait bit and the reverse. Fails OISL-REL-014."""

    name = "broken-clcw-wrong-layout"
    farm_class = _SwappedFlagsFarm


def clcw_wrong_layout(spec: Spec | None = None) -> ReferenceOpticalLink:
    """CLCW with Lockout and Wait swapped; must fail OISL-REL-014."""
    return _build(ClcwWrongLayout, spec)


# -- fop_ignores_wait (a survivor of the first adversarial review) -----------------------------------


class _WaitBlindFop(Fop1):
    def _classify(self, clcw: Clcw) -> str:
        # The wait flag is not looked at when the retransmit flag is set: E9/E11 become E8/E10.
        if clcw.retransmit and not clcw.lockout:
            clcw = dataclasses.replace(clcw, wait=False)
        return super()._classify(clcw)


class FopIgnoresWait(ReferenceOpticalLink):
    """FOP-1 retransmits on a CLCW with retransmit and wait set instead of waiting in state
    retransmit-with-wait (table 5-1 E9, E11). Fails OISL-REL-003."""

    name = "broken-fop-ignores-wait"
    fop_class = _WaitBlindFop


def fop_ignores_wait(spec: Spec | None = None) -> ReferenceOpticalLink:
    """FOP-1 blind to the wait flag; must fail OISL-REL-003."""
    return _build(FopIgnoresWait, spec)


# -- fop_keeps_transmission_count ---------------------------------------------------------------------


class _CountingFop(Fop1):
    def _remove_acknowledged(self, nr: int) -> None:
        # 5.2.7 without "Transmission_Count := 1": acknowledgements do not reset the count.
        count = self.transmission_count
        super()._remove_acknowledged(nr)
        if self.sent_queue:
            self.transmission_count = count


class FopKeepsTransmissionCount(ReferenceOpticalLink):
    """FOP-1 does not reset Transmission_Count when frames are acknowledged (5.2.7), so a link
    with intermittent losses reaches the limit early. Fails OISL-REL-004 (and OISL-REL-015)."""

    name = "broken-fop-keeps-transmission-count"
    fop_class = _CountingFop


def fop_keeps_transmission_count(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Transmission_Count never reset on acknowledgement; must fail OISL-REL-004."""
    return _build(FopKeepsTransmissionCount, spec)


# -- fop_unlock_despite_lockout -----------------------------------------------------------------------


class _EagerFop(Fop1):
    def _on_clcw(self, clcw: Clcw) -> None:
        # In initialising-with-bc the lockout flag is not looked at: N(R) = V(S) confirms.
        if self.state.value == "initialising-with-bc" and clcw.lockout:
            clcw = dataclasses.replace(clcw, lockout=False)
        super()._on_clcw(clcw)


class FopUnlockDespiteLockout(ReferenceOpticalLink):
    """FOP-1 takes a CLCW with N(R) = V(S) as the confirmation of its BC frame even when the
    CLCW still reports lockout (table 5-1 column S5: only E1 confirms). Fails OISL-REL-006."""

    name = "broken-fop-unlock-despite-lockout"
    fop_class = _EagerFop


def fop_unlock_despite_lockout(spec: Spec | None = None) -> ReferenceOpticalLink:
    """BC frame confirmed by a lockout CLCW; must fail OISL-REL-006."""
    return _build(FopUnlockDespiteLockout, spec)


# -- farm_bd_not_counted ------------------------------------------------------------------------------


class _BdFarm(Farm1):
    def _e6(self, frame: CopFrame, delivered: list[bytes]) -> None:
        delivered.append(frame.data)  # accepted, but the FARM-B counter is not incremented


class FarmBdNotCounted(ReferenceOpticalLink):
    """FARM-1 delivers Type-BD frames without counting them in the FARM-B counter (table 6-1
    E6). Fails OISL-REL-012."""

    name = "broken-farm-bd-not-counted"
    farm_class = _BdFarm


def farm_bd_not_counted(spec: Spec | None = None) -> ReferenceOpticalLink:
    """BD frames not counted; must fail OISL-REL-012."""
    return _build(FarmBdNotCounted, spec)


# -- farm_release_after_frames ------------------------------------------------------------------------


class _LateReleaseFarm(Farm1):
    def receive(self, frames: Iterable[Any], buffer_available: bool = True) -> list[bytes]:
        # The buffer release of the call is processed after its frames, not before.
        if self.state is FarmState.WAIT and buffer_available:
            delivered = super().receive(frames, False)
            self.buffer_release()
            return delivered
        return super().receive(frames, buffer_available)


class FarmReleaseAfterFrames(ReferenceOpticalLink):
    """FARM-1 in wait processes a call's frames before the buffer release that call signals, so
    the in-sequence frame of that call is discarded. Fails OISL-REL-013."""

    name = "broken-farm-release-after-frames"
    farm_class = _LateReleaseFarm


def farm_release_after_frames(spec: Spec | None = None) -> ReferenceOpticalLink:
    """Buffer release after the frames; must fail OISL-REL-013."""
    return _build(FarmReleaseAfterFrames, spec)
