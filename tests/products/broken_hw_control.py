"""Deliberately broken ``hw-compute-module`` products, classes watchdog, latchup and
compute-integrity: the reference (:mod:`orbitcert.reference_impl.hardware.iut`) with ONE
deviation each. Each factory takes ``spec=None`` like the reference's ``create`` and keeps the
reference's ICS, so it declares what it does not do; its docstring names the requirement(s) a
certification must fail it on:

* :func:`watchdog_never_fires` - HWC-WDG-002 (and HWC-WDG-003, HWC-WDG-004, which need resets)
* :func:`no_safe_state` - HWC-WDG-003 (and HWC-WDG-004: the limit never applies again)
* :func:`wrong_reset_cause` - HWC-WDG-002 (a watchdog reset reports cause power-on)
* :func:`loop_count_not_cleared` - HWC-WDG-004 (a service does not clear the consecutive count)
* :func:`wdg_late_after_reset` - HWC-WDG-002 (after a watchdog reset the timer restarts 0.15 x
  the timeout late: only the first expiry of a reset loop is on time)
* :func:`wdg_safe_state_reboots` - HWC-WDG-003 (a supervisor resets the module every 16
  timeouts while it is in the safe state)
* :func:`wdg_key_low16` - HWC-WDG-002 (the key comparator looks at the low 16 bits only)
* :func:`wdg_freeze_latches` - HWC-WDG-005 (clearing DBG_FREEZE does not restart the timer)
* :func:`slow_latchup_response` - HWC-SEL-001, HWC-SEL-002 (power cycle completes 2 x the
  declared response time after detection)
* :func:`noncore_latchup_resets` - HWC-SEL-004 (every domain's power cycle resets the module)
* :func:`memory_latchup_erases` - HWC-SEL-004 (the memory domain's power cycle zeroes memory)
* :func:`sel_core_reset_late` - HWC-SEL-003 (the core reset comes 3 x the response time after
  the core domain's power cycle)
* :func:`sel_one_at_a_time` - HWC-SEL-004 (a domain latched while another one is detected is
  never detected)
* :func:`sel_memory_window_lost` - HWC-SEL-004 (the memory domain's power cycle loses a
  64 Ki-word window in the middle of every bank)
* :func:`abft_misses_last_row` - HWC-ABFT-002, HWC-ABFT-004 (row checksums of the last row not verified)
* :func:`abft_transposed_location` - HWC-ABFT-002, HWC-ABFT-004 (reports (col, row))
* :func:`abft_loose_threshold` - HWC-ABFT-002, HWC-ABFT-004 (flags residuals only above 4 x
  the spec's significance level)
* :func:`abft_no_correction` - HWC-ABFT-003 (declares abft_correction but never corrects)
* :func:`abft_square_only` - HWC-ABFT-001 (raises on non-square shapes; HWC-ABFT-002, -003 and
  -004, which use rectangular shapes too, fail as well)
* :func:`abft_rect_mislocated` - HWC-ABFT-002, HWC-ABFT-004 (wrong location when rows != cols)
* :func:`abft_fp32_large` - HWC-ABFT-001 (binary32 products when inner > 32)
* :func:`abft_false_alarm_wide` - HWC-ABFT-001 (threshold scale capped at 2^80: false alarms at
  large magnitudes)
* :func:`abft_verify_trusts_c` - HWC-ABFT-002, HWC-ABFT-004 (abft_verify recomputes nothing and
  reports no error; HWC-ABFT-003 inconclusive)

Correct products with edge declarations (certified with an ICS declaring them):
:func:`edge_fast_watchdog`, :func:`edge_latchup_core_only`, :func:`edge_latchup_no_core`.

Use e.g. ``--impl products.broken_hw_control:no_safe_state`` (``PYTHONPATH=tests``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from orbitcert.reference_impl.hardware.abft import AbftEngine, AbftError, AbftResult, Scaled, decode_matrix
from orbitcert.reference_impl.hardware.iut import ReferenceComputeModule, create

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "abft_false_alarm_wide",
    "abft_fp32_large",
    "abft_loose_threshold",
    "abft_misses_last_row",
    "abft_no_correction",
    "abft_rect_mislocated",
    "abft_square_only",
    "abft_transposed_location",
    "abft_verify_trusts_c",
    "edge_fast_watchdog",
    "edge_latchup_core_only",
    "edge_latchup_no_core",
    "loop_count_not_cleared",
    "memory_latchup_erases",
    "no_safe_state",
    "noncore_latchup_resets",
    "sel_core_reset_late",
    "sel_memory_window_lost",
    "sel_one_at_a_time",
    "slow_latchup_response",
    "watchdog_never_fires",
    "wdg_freeze_latches",
    "wdg_key_low16",
    "wdg_late_after_reset",
    "wdg_safe_state_reboots",
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


class _Timers(ReferenceComputeModule):
    """Base of the deviations that act later: one-shot timers (instant, method name) run inside
    :meth:`advance` in time order, the simulator run up to each instant first."""

    def power_cycle(self) -> float:
        self._timers: list[tuple[float, str]] = []
        return super().power_cycle()

    def _at(self, instant: float, method: str) -> None:
        timers = getattr(self, "_timers", [])
        timers.append((instant, method))
        timers.sort()
        self._timers = timers

    def advance(self, seconds: Any) -> float:
        end = self.time + float(seconds)
        timers = getattr(self, "_timers", [])
        while timers and timers[0][0] <= end:
            instant, method = timers.pop(0)
            super().advance(max(0.0, instant - self.time))
            getattr(self, method)()
        return super().advance(max(0.0, end - self.time))


class WdgLateAfterReset(ReferenceComputeModule):
    """After a watchdog reset the timer is re-armed 0.15 x the timeout late (a boot delay), so
    every expiry of a reset loop but the first comes 1.15 timeouts after the previous reset.
    Fails HWC-WDG-002 (only a test that times every expiry from the previous reset sees it)."""

    name = "broken-wdg-late-after-reset"

    def _reset(self, cause: str, domain: str | None = None) -> None:
        super()._reset(cause, domain)
        if cause == "watchdog":
            self._wdog_last = self.time + 0.15 * self.watchdog_timeout_s


def wdg_late_after_reset(spec: Spec | None = None) -> ReferenceComputeModule:
    """Re-arms the watchdog late after a watchdog reset; must fail HWC-WDG-002."""
    return _build(WdgLateAfterReset, spec)


class WdgSafeStateReboots(_Timers):
    """A supervisor resets the module (cause watchdog) every 16 timeouts while it is in the safe
    state; it stays safe. Fails HWC-WDG-003 (no reset in the safe state until power_cycle)."""

    name = "broken-wdg-safe-state-reboots"

    def _watchdog_expired(self) -> None:
        was_safe = self._safe
        super()._watchdog_expired()
        if self._safe and not was_safe:
            self._at(self.time + 16 * self.watchdog_timeout_s, "_supervise")

    def _supervise(self) -> None:
        if self._safe:
            self._reset("watchdog")
            self._at(self.time + 16 * self.watchdog_timeout_s, "_supervise")


def wdg_safe_state_reboots(spec: Spec | None = None) -> ReferenceComputeModule:
    """Resets itself periodically in the safe state; must fail HWC-WDG-003."""
    return _build(WdgSafeStateReboots, spec)


class WdgKeyLow16(ReferenceComputeModule):
    """The service comparator looks at the low 16 bits of WDOG_SERVICE only: the key with any high
    bits set services the watchdog. Fails HWC-WDG-002 (any other value shall not service it)."""

    name = "broken-wdg-key-low16"

    def reg_write(self, name: Any, value: Any) -> None:
        key = self.params.watchdog_service_key
        if name == "WDOG_SERVICE" and isinstance(value, int) and value & 0xFFFF == key:
            value = key
        super().reg_write(name, value)


def wdg_key_low16(spec: Spec | None = None) -> ReferenceComputeModule:
    """Accepts the key with high bits set; must fail HWC-WDG-002."""
    return _build(WdgKeyLow16, spec)


class WdgFreezeLatches(ReferenceComputeModule):
    """Setting DBG_FREEZE stops the watchdog until power_cycle: clearing the bit does not resume
    the timer. Fails HWC-WDG-005."""

    name = "broken-wdg-freeze-latches"

    @property
    def _wdog_frozen(self) -> bool:
        return bool(self._regs.get("DBG_FREEZE", 0) & 1) or getattr(self, "_stopped", False)

    def reg_write(self, name: Any, value: Any) -> None:
        if name == "DBG_FREEZE" and isinstance(value, int) and value & 1:
            self._stopped = True
        super().reg_write(name, value)

    def power_cycle(self) -> float:
        self._stopped = False
        return super().power_cycle()


def wdg_freeze_latches(spec: Spec | None = None) -> ReferenceComputeModule:
    """Never resumes the watchdog once frozen; must fail HWC-WDG-005."""
    return _build(WdgFreezeLatches, spec)


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
    """Resets the whole module after the power cycle of any domain, not only core. Fails HWC-SEL-004."""

    name = "broken-noncore-latchup-resets"

    def _domain_powered_on(self, domain: str) -> None:
        super()._domain_powered_on(domain)
        if domain != "core":
            self._reset("latchup", domain)


def noncore_latchup_resets(spec: Spec | None = None) -> ReferenceComputeModule:
    """Resets on a latch-up of any domain; must fail HWC-SEL-004."""
    return _build(NoncoreLatchupResets, spec)


class MemoryLatchupErases(ReferenceComputeModule):
    """The power cycle of the memory domain loses the memory content (every word reads as the
    zero codeword afterwards), as an unprotected DRAM would. Fails HWC-SEL-004."""

    name = "broken-memory-latchup-erases"

    def _domain_powered_on(self, domain: str) -> None:
        super()._domain_powered_on(domain)
        if domain == "memory":
            self._addr = np.zeros(0, dtype=np.int64)
            self._data = np.zeros(0, dtype=np.uint64)
            self._check = np.zeros(0, dtype=np.uint8)


def memory_latchup_erases(spec: Spec | None = None) -> ReferenceComputeModule:
    """Loses memory on a memory-domain latch-up; must fail HWC-SEL-004."""
    return _build(MemoryLatchupErases, spec)


class SelCoreResetLate(_Timers):
    """The core domain is power-cycled in time, but the module reset (cause latchup) follows 3 x
    the response time after the power cycle (a slow reset sequencer). Fails HWC-SEL-003 (the reset
    by the end of the domain's power cycle)."""

    name = "broken-sel-core-reset-late"

    def _domain_powered_on(self, domain: str) -> None:
        if domain != "core":
            super()._domain_powered_on(domain)
            return
        self._off_until.pop(domain, None)
        self._log("power-cycled", domain)
        self._at(self.time + 3 * self.latchup_response_s, "_core_reset")

    def _core_reset(self) -> None:
        self._reset("latchup", "core")


def sel_core_reset_late(spec: Spec | None = None) -> ReferenceComputeModule:
    """Resets the module too late after a core latch-up; must fail HWC-SEL-003."""
    return _build(SelCoreResetLate, spec)


class SelOneAtATime(ReferenceComputeModule):
    """The current monitor follows one domain at a time: a domain already latched when another
    domain's latch-up is detected is never detected (until power_cycle). Fails HWC-SEL-004
    (concurrent latch-ups each handled as HWC-SEL-001 requires)."""

    name = "broken-sel-one-at-a-time"

    def power_cycle(self) -> float:
        self._ignored: set[str] = set()
        return super().power_cycle()

    def _latchup_detected(self, domain: str) -> None:
        super()._latchup_detected(domain)
        self._ignored = getattr(self, "_ignored", set()) | {d for d in self._latched if d != domain}

    def _next_event(self) -> Any:
        monitored = self.latchup_domains
        self.latchup_domains = tuple(d for d in monitored if d not in getattr(self, "_ignored", set()))
        try:
            return super()._next_event()
        finally:
            self.latchup_domains = monitored


def sel_one_at_a_time(spec: Spec | None = None) -> ReferenceComputeModule:
    """Misses a latch-up concurrent with another; must fail HWC-SEL-004."""
    return _build(SelOneAtATime, spec)


class SelMemoryWindowLost(ReferenceComputeModule):
    """The memory domain's power cycle loses a 64 Ki-word window starting at the middle of every
    bank (buffers back to the zero codeword). Fails HWC-SEL-004 (memory unchanged)."""

    name = "broken-sel-memory-window-lost"

    def _domain_powered_on(self, domain: str) -> None:
        super()._domain_powered_on(domain)
        if domain == "memory":
            bank = self.memory_words // self.memory_banks
            offset = self._addr % bank
            keep = ~((offset >= bank // 2) & (offset < bank // 2 + 65536))
            self._addr, self._data, self._check = self._addr[keep], self._data[keep], self._check[keep]


def sel_memory_window_lost(spec: Spec | None = None) -> ReferenceComputeModule:
    """Loses part of every bank on a memory-domain latch-up; must fail HWC-SEL-004."""
    return _build(SelMemoryWindowLost, spec)


# -- correct edge declarations (the reference with other ICS answers; certify with that ICS) ------


def edge_fast_watchdog(spec: Spec | None = None) -> ReferenceComputeModule:
    """CORRECT: the reference with the ICS extremes watchdog_timeout_s 0.01 and reset_loop_limit
    16; certified with an ICS declaring them (no false failure from a short watchdog)."""
    return _build(ReferenceComputeModule, spec, watchdog_timeout_s=0.01, reset_loop_limit=16)


def edge_latchup_core_only(spec: Spec | None = None) -> ReferenceComputeModule:
    """CORRECT: the reference monitoring the core domain only (ICS latchup_domains [core])."""
    return _build(ReferenceComputeModule, spec, latchup_domains=("core",))


def edge_latchup_no_core(spec: Spec | None = None) -> ReferenceComputeModule:
    """CORRECT: the reference monitoring memory, accelerator and io only (no core)."""
    return _build(ReferenceComputeModule, spec, latchup_domains=("memory", "accelerator", "io"))


# -- compute-integrity -----------------------------------------------------------------------------
# The harness corrupts C itself and hands it to abft_verify, so a product can no longer "detect"
# an error by being told where it is (the old abft_matmul fault argument); each product below gets
# a real checksum step wrong.


class LastRowUnchecked(AbftEngine):
    """Row-checksum verification skips the last row of C (its residual is taken as zero)."""

    def residuals(self, s: Scaled, c: Any) -> tuple[Any, Any, Any, Any]:
        row_r, row_scale, col_r, col_scale = super().residuals(s, c)
        row_r = np.array(row_r)
        row_r[-1] = 0.0
        return row_r, row_scale, col_r, col_scale


class AbftMissesLastRow(ReferenceComputeModule):
    """An error in the last row of C shows only in its column: detected, never located (nor
    corrected). Fails HWC-ABFT-002 and HWC-ABFT-004."""

    name = "broken-abft-misses-last-row"
    abft_class = LastRowUnchecked


def abft_misses_last_row(spec: Spec | None = None) -> ReferenceComputeModule:
    """Does not verify the last row's checksum; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftMissesLastRow, spec)


class TransposedLocation(AbftEngine):
    """Locates and corrects the right element but reports its position transposed (col, row)."""

    def check(self, s: Scaled, c: Any) -> AbftResult:
        r = super().check(s, c)
        return AbftResult(r.c, r.detected, r.col, r.row, r.corrected)


class AbftTransposedLocation(ReferenceComputeModule):
    """Reports row and column swapped: off-diagonal errors are mislocated (and, in a non-square
    result, out of range). Fails HWC-ABFT-002 and HWC-ABFT-004."""

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


class SquareOnly(AbftEngine):
    """Accepts square operands only (rows = inner = cols), as a fixed-size systolic array would."""

    def operands(self, a_blob: Any, b_blob: Any, rows: Any, inner: Any, cols: Any) -> Scaled:
        if not rows == inner == cols:
            raise AbftError(f"only square matrices are supported, got {rows} x {inner} by {inner} x {cols}")
        return super().operands(a_blob, b_blob, rows, inner, cols)


class AbftSquareOnly(ReferenceComputeModule):
    """Raises on every non-square shape, in abft_matmul and abft_verify alike, while HWC-ABFT-001
    (and HWC-ABFT-002) demand every shape up to abft_max_dimension. Fails HWC-ABFT-001 and, as
    the error-handling requirements use rectangular shapes too, HWC-ABFT-002, -003 and -004."""

    name = "broken-abft-square-only"
    abft_class = SquareOnly


def abft_square_only(spec: Spec | None = None) -> ReferenceComputeModule:
    """Square matrices only; must fail HWC-ABFT-001 (and HWC-ABFT-002, -003, -004)."""
    return _build(AbftSquareOnly, spec)


class RectMislocated(AbftEngine):
    """Turns the flagged (row, col) into a flat index of C and back with the row stride ``rows``
    instead of ``cols``: right for square results, wrong for most elements of the others."""

    def locate(self, bad_rows: Any, bad_cols: Any, rows: int, cols: int) -> tuple[int, int] | None:
        where = super().locate(bad_rows, bad_cols, rows, cols)
        if where is None:
            return None
        flat = where[0] * cols + where[1]
        return (flat // rows) % rows, (flat % rows) % cols


class AbftRectMislocated(ReferenceComputeModule):
    """Reports the wrong element (and corrects it) when rows != cols. Fails HWC-ABFT-002 and
    HWC-ABFT-004 (whose trials include rectangular shapes)."""

    name = "broken-abft-rect-mislocated"
    abft_class = RectMislocated


def abft_rect_mislocated(spec: Spec | None = None) -> ReferenceComputeModule:
    """Mislocates errors of non-square results; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftRectMislocated, spec)


#: Inner dimension above which :class:`Fp32Large` multiplies in binary32.
FP32_INNER = 32


class Fp32Large(AbftEngine):
    """abft_matmul multiplies in IEEE 754 binary32 when inner > 32 (a "fast path"); the checksums
    stay binary64, so the product's own result does not match them."""

    def product(self, s: Scaled) -> Any:
        if s.a.shape[1] <= FP32_INNER:
            return super().product(s)
        with np.errstate(over="ignore", invalid="ignore"):
            return (s.a.astype(np.float32) @ s.b.astype(np.float32)).astype(np.float64)


class AbftFp32Large(ReferenceComputeModule):
    """Inaccurate (about 2^-24 relative, overflowing above 2^128) and self-alarming products of
    long inner dimensions. Fails HWC-ABFT-001 only: abft_verify and the error-handling
    requirements (inner dimensions of at most 16) are the reference's."""

    name = "broken-abft-fp32-large"
    abft_class = Fp32Large


def abft_fp32_large(spec: Spec | None = None) -> ReferenceComputeModule:
    """binary32 products when inner > 32; must fail HWC-ABFT-001."""
    return _build(AbftFp32Large, spec)


#: Cap of the residual scale of :class:`CappedScale` (an "overflow guard").
SCALE_CAP = 2.0**80


class CappedScale(AbftEngine):
    """Unscaled Huang-Abraham residuals whose threshold scale (the row / column sum of |A||B|) is
    capped at 2^80 "so that it cannot overflow": above that, binary64 rounding noise of the
    checksums (about 2^-50 of the sums) exceeds 2^-36 x 2^80 and fault-free products raise alarms."""

    def residuals(self, s: Scaled, c: Any) -> tuple[Any, Any, Any, Any]:
        a, b = s.a, s.b
        with np.errstate(over="ignore", invalid="ignore"):
            row_r = c.sum(axis=1) - a @ b.sum(axis=1)
            col_r = c.sum(axis=0) - a.sum(axis=0) @ b
        row_scale = np.minimum(np.abs(a) @ np.abs(b).sum(axis=1), SCALE_CAP)
        col_scale = np.minimum(np.abs(a).sum(axis=0) @ np.abs(b), SCALE_CAP)
        return row_r, row_scale, col_r, col_scale


class AbftFalseAlarmWide(ReferenceComputeModule):
    """False alarms on fault-free products whose row or column sums of |A||B| exceed about 2^94
    (operand magnitudes near abft_max_magnitude). Fails HWC-ABFT-001 only (the error-handling
    requirements use magnitudes up to 2^30, where it is the reference)."""

    name = "broken-abft-false-alarm-wide"
    abft_class = CappedScale


def abft_false_alarm_wide(spec: Spec | None = None) -> ReferenceComputeModule:
    """False alarms at large magnitudes; must fail HWC-ABFT-001."""
    return _build(AbftFalseAlarmWide, spec)


class TrustsC(AbftEngine):
    """abft_verify validates its arguments and returns C as given, reporting nothing: no checksum
    is computed (abft_matmul is the reference's)."""

    def verify(self, a_blob: Any, b_blob: Any, c_blob: Any, rows: Any, inner: Any, cols: Any) -> AbftResult:
        s = self.operands(a_blob, b_blob, rows, inner, cols)
        c = decode_matrix(c_blob, s.a.shape[0], s.b.shape[1], "c")
        return AbftResult(np.array(c), False, None, None, False)


class AbftVerifyTrustsC(ReferenceComputeModule):
    """Never detects an error in a C it is given. Fails HWC-ABFT-002 and HWC-ABFT-004;
    HWC-ABFT-003 is inconclusive (no error is ever located, so no correction can be checked)."""

    name = "broken-abft-verify-trusts-c"
    abft_class = TrustsC


def abft_verify_trusts_c(spec: Spec | None = None) -> ReferenceComputeModule:
    """abft_verify checks nothing; must fail HWC-ABFT-002 and HWC-ABFT-004."""
    return _build(AbftVerifyTrustsC, spec)
