"""Deliberately broken ``net-optical-isl`` products for the ``reliable`` class (COP-1): the
reference with ONE deviation each. Each factory takes ``spec=None`` like
:func:`orbitcert.reference_impl.optical.iut.create`; its docstring names the requirement a
certification must fail it on:

* :func:`farm_accepts_out_of_window` - OISL-REL-011
* :func:`fop_never_retransmits` - OISL-REL-004 (and OISL-REL-003, OISL-REL-015)
* :func:`fop_exceeds_window` - OISL-REL-002
* :func:`farm_ignores_set_vr` - OISL-REL-012
* :func:`clcw_wrong_layout` - OISL-REL-014

Use e.g. ``--impl tests.products.broken_reliable:farm_accepts_out_of_window``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orbitcert.reference_impl.optical.cop1 import Clcw, CopFrame, Farm1, Fop1
from orbitcert.reference_impl.optical.iut import ReferenceOpticalLink
from orbitcert.reference_impl.optical.parameters import CodingParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "clcw_wrong_layout",
    "farm_accepts_out_of_window",
    "farm_ignores_set_vr",
    "fop_exceeds_window",
    "fop_never_retransmits",
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
