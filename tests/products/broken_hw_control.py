"""Deliberately broken ``hw-compute-module`` products, classes watchdog, latchup and
compute-integrity: the reference (:mod:`orbitcert.reference_impl.hardware.iut`) with ONE
deviation each. Each factory takes ``spec=None`` like the reference's ``create`` and keeps the
reference's ICS, so it declares what it does not do; its docstring names the requirement(s) a
certification must fail it on:

* :func:`watchdog_never_fires` - HWC-WDG-002 (and HWC-WDG-003, HWC-WDG-004, which need resets)
* :func:`no_safe_state` - HWC-WDG-003 (and HWC-WDG-004: the limit never applies again)
* :func:`wrong_reset_cause` - HWC-WDG-002 (a watchdog reset reports cause power-on)
* :func:`loop_count_not_cleared` - HWC-WDG-004 (a service does not clear the consecutive count)
* :func:`slow_latchup_response` - HWC-SEL-001, HWC-SEL-002 (power cycle completes 2 x the
  declared response time after detection)
* :func:`noncore_latchup_resets` - HWC-SEL-003 (every domain's power cycle resets the module)
* :func:`memory_latchup_erases` - HWC-SEL-003 (the memory domain's power cycle zeroes memory)
* :func:`abft_misses_last_row` - HWC-ABFT-002, HWC-ABFT-004 (row checksums of the last row not verified)
* :func:`abft_transposed_location` - HWC-ABFT-002, HWC-ABFT-004 (reports (col, row))
* :func:`abft_loose_threshold` - HWC-ABFT-002, HWC-ABFT-004 (flags residuals only above 4 x
  the spec's significance level)
* :func:`abft_no_correction` - HWC-ABFT-003 (declares abft_correction but never corrects)

Use e.g. ``--impl products.broken_hw_control:no_safe_state`` (``PYTHONPATH=tests``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from orbitcert.reference_impl.hardware.abft import AbftEngine, AbftResult
from orbitcert.reference_impl.hardware.iut import ReferenceComputeModule, create

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "abft_loose_threshold",
    "abft_misses_last_row",
    "abft_no_correction",
    "abft_transposed_location",
    "loop_count_not_cleared",
    "memory_latchup_erases",
    "no_safe_state",
    "noncore_latchup_resets",
    "slow_latchup_response",
    "watchdog_never_fires",
    "wrong_reset_cause",
]


def _build(cls: type[ReferenceComputeModule], spec: Spec | None, **overrides: Any) -> ReferenceComputeModule:
    """An instance of ``cls`` configured as the reference (its bundled ICS); ``overrides`` change
    the product's behaviour, never its declaration (the certification uses the reference's ICS)."""
    return create(spec, cls=cls, **overrides)


# -- watchdog --------------------------------------------------------------------------------------


class WatchdogNeverFires(ReferenceComputeModule):
    """The watchdog timer runs but its expiry does nothing. Fails HWC-WDG-002 (and HWC-WDG-003/004)."""

    name = "broken-watchdog-never-fires"

    def _watchdog_expired(self) -> None:
        return None


def watchdog_never_fires(spec: Spec | None = None) -> ReferenceComputeModule:
    """Never resets on a watchdog expiry; must fail HWC-WDG-002 (and HWC-WDG-003, HWC-WDG-004)."""
    return _build(WatchdogNeverFires, spec)


class NoSafeState(ReferenceComputeModule):
    """Resets on every expiry, forever: no reset-loop protection. Fails HWC-WDG-003 (and
    HWC-WDG-004, whose limit must apply again after the service)."""

    name = "broken-no-safe-state"

    def _watchdog_expired(self) -> None:
        self._consecutive += 1
        self._reset("watchdog")


def no_safe_state(spec: Spec | None = None) -> ReferenceComputeModule:
    """Keeps resetting forever; must fail HWC-WDG-003 (and HWC-WDG-004)."""
    return _build(NoSafeState, spec)


class WrongResetCause(ReferenceComputeModule):
    """A watchdog reset reports cause power-on (0) instead of watchdog (1). Fails HWC-WDG-002."""

    name = "broken-wrong-reset-cause"

    def _reset(self, cause: str, domain: str | None = None) -> None:
        super()._reset("power-on" if cause == "watchdog" else cause, domain)


def wrong_reset_cause(spec: Spec | None = None) -> ReferenceComputeModule:
    """Reports the wrong cause of a watchdog reset; must fail HWC-WDG-002."""
    return _build(WrongResetCause, spec)


class LoopCountNotCleared(ReferenceComputeModule):
    """A service restarts the watchdog timer but keeps the count of consecutive watchdog resets,
    so resets separated by services still add up to the loop limit. Fails HWC-WDG-004."""

    name = "broken-loop-count-not-cleared"

    def reg_write(self, name: Any, value: Any) -> None:
        kept = self._consecutive
        super().reg_write(name, value)
        self._consecutive = kept


def loop_count_not_cleared(spec: Spec | None = None) -> ReferenceComputeModule:
    """Never clears the consecutive-reset count; must fail HWC-WDG-004."""
    return _build(LoopCountNotCleared, spec)


# -- latchup ---------------------------------------------------------------------------------------


class SlowLatchupResponse(ReferenceComputeModule):
    """Holds a latched domain off for twice the declared response time after detecting it, so the
    power cycle ends more than latchup_response_s after the onset. Fails HWC-SEL-001 and HWC-SEL-002."""

    name = "broken-slow-latchup-response"

    def _latchup_detected(self, domain: str) -> None:
        super()._latchup_detected(domain)
        self._off_until[domain] = self.time + 2.0 * self.latchup_response_s


def slow_latchup_response(spec: Spec | None = None) -> ReferenceComputeModule:
    """Power-cycles a latched domain too slowly; must fail HWC-SEL-001 and HWC-SEL-002."""
    return _build(SlowLatchupResponse, spec)


class NoncoreLatchupResets(ReferenceComputeModule):
    """Resets the whole module after the power cycle of any domain, not only core. Fails HWC-SEL-003."""

    name = "broken-noncore-latchup-resets"

    def _domain_powered_on(self, domain: str) -> None:
        super()._domain_powered_on(domain)
        if domain != "core":
            self._reset("latchup", domain)


def noncore_latchup_resets(spec: Spec | None = None) -> ReferenceComputeModule:
    """Resets on a latch-up of any domain; must fail HWC-SEL-003."""
    return _build(NoncoreLatchupResets, spec)


class MemoryLatchupErases(ReferenceComputeModule):
    """The power cycle of the memory domain loses the memory content (every word reads as the
    zero codeword afterwards), as an unprotected DRAM would. Fails HWC-SEL-003."""

    name = "broken-memory-latchup-erases"

    def _domain_powered_on(self, domain: str) -> None:
        super()._domain_powered_on(domain)
        if domain == "memory":
            self._addr = np.zeros(0, dtype=np.int64)
            self._data = np.zeros(0, dtype=np.uint64)
            self._check = np.zeros(0, dtype=np.uint8)


def memory_latchup_erases(spec: Spec | None = None) -> ReferenceComputeModule:
    """Loses memory on a memory-domain latch-up; must fail HWC-SEL-003."""
    return _build(MemoryLatchupErases, spec)


# -- compute-integrity -----------------------------------------------------------------------------


class LastRowUnchecked(AbftEngine):
    """Row-checksum verification skips the last row of C (its residual is taken as zero)."""

    def residuals(self, c: Any, row_checksum: Any, col_checksum: Any, *more: Any) -> tuple[Any, Any]:
        rows, cols = super().residuals(c, row_checksum, col_checksum, *more)
        rows = np.array(rows)
        rows[-1] = 0.0
        return rows, cols


class AbftMissesLastRow(ReferenceComputeModule):
    """An error in the last row of C shows only in its column: detected, never located (nor
    corrected). Fails HWC-ABFT-002 and HWC-ABFT-004 (1 in 8 faults of an 8-row product)."""

    name = "broken-abft-misses-last-row"
    abft_class = LastRowUnchecked


def abft_misses_last_row(spec: Spec | None = None) -> ReferenceComputeModule:
    """Does not verify the last row's checksum; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftMissesLastRow, spec)


class TransposedLocation(AbftEngine):
    """Locates and corrects the right element but reports its position transposed (col, row)."""

    def matmul(self, a_blob: Any, b_blob: Any, rows: Any, inner: Any, cols: Any, fault: Any) -> AbftResult:
        r = super().matmul(a_blob, b_blob, rows, inner, cols, fault)
        return AbftResult(r.c, r.detected, r.col, r.row, r.corrected)


class AbftTransposedLocation(ReferenceComputeModule):
    """Reports row and column swapped: off-diagonal errors are mislocated. Fails HWC-ABFT-002 and
    HWC-ABFT-004."""

    name = "broken-abft-transposed-location"
    abft_class = TransposedLocation


def abft_transposed_location(spec: Spec | None = None) -> ReferenceComputeModule:
    """Swaps the reported row and column; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftTransposedLocation, spec)


#: Residual threshold of :class:`LooseThreshold`: 2^-28, four times the spec's significance level
#: abft_significance = 2^-30 (the reference: 2^-36).
LOOSE_FACTOR = 2.0**-28


class LooseThreshold(AbftEngine):
    """Flags a residual only above 2^-28 times its row / column sum of |A||B|."""

    def flagged(self, residual: Any, scale: Any, *where: Any) -> Any:
        with np.errstate(invalid="ignore"):
            return np.asarray(~np.isfinite(residual) | (np.abs(residual) > LOOSE_FACTOR * scale))


class AbftLooseThreshold(ReferenceComputeModule):
    """Misses significant errors smaller than four times the significance level (about the
    two lowest significant mantissa bits of every element). Fails HWC-ABFT-002 and HWC-ABFT-004."""

    name = "broken-abft-loose-threshold"
    abft_class = LooseThreshold


def abft_loose_threshold(spec: Spec | None = None) -> ReferenceComputeModule:
    """Detection threshold above the significance level; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftLooseThreshold, spec)


class AbftNoCorrection(ReferenceComputeModule):
    """Detects and locates but never corrects, while its ICS declares abft_correction true.
    Fails HWC-ABFT-003."""

    name = "broken-abft-no-correction"


def abft_no_correction(spec: Spec | None = None) -> ReferenceComputeModule:
    """Declares correction but does not correct; must fail HWC-ABFT-003."""
    return _build(AbftNoCorrection, spec, abft_correction=False)
