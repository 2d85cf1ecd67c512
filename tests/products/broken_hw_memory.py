"""Deliberately broken ``hw-compute-module`` memory controllers: the reference with ONE deviation each.

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.hardware.iut.create` and
returns a product (a subclass of the reference, overriding one method) whose docstring names the
requirement a certification of the memory-edac or scrubbing class must fail it on:

* :func:`no_double_detection` - HWC-EDAC-004 (a SEC-only decoder: double errors are reported as
  corrected, never uncorrectable)
* :func:`last_error_capture` - HWC-EDAC-005 (EDAC_FAIL_ADDR / EDAC_FAIL_SYNDROME overwritten by
  every error read, the last one of a read winning)
* :func:`wrapping_counters` - HWC-EDAC-006 (the 16-bit error counters wrap to 0 instead of
  saturating)
* :func:`alarm_off_by_one` - HWC-EDAC-007 (CE_ALARM only once the count exceeds the threshold)
* :func:`wrong_check_column` - HWC-EDAC-001 (data bit 40 encoded with column 0x1F instead of
  Hsiao's 0xA1: a valid SEC-DED code, self-consistent, but not the declared one)
* :func:`tmr_without_repair` - HWC-EDAC-008 (SYS_CONFIG voted on read but the copies never
  rewritten, so upsets of one bit in two copies at different times win the vote)
* :func:`permanent_as_transient` - HWC-EDAC-009 (a permanent memory fault applied once, as if
  transient: rewriting the word clears it)
* :func:`scrub_skips_bank` - HWC-SCR-001 (the scrubber never visits the last bank)
* :func:`scrub_rewrites_uncorrectable` - HWC-SCR-002 (the scrubber recomputes the check bits of
  an uncorrectable word and writes it back, silently corrupting it)
* :func:`scrub_position_in_bytes` - HWC-SCR-003 (SCRUB_POSITION holds the byte address, 8 times
  the word address, of the word visited next)

Their ICS is the reference's (``reference_impl/ics/hw-compute-module.yaml``): they claim what the
reference does. Use e.g. ``--impl products.broken_hw_memory:scrub_skips_bank``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from orbitcert.reference_impl.hardware import edac
from orbitcert.reference_impl.hardware.iut import SIMULATOR_ITEMS, ReferenceComputeModule, reference_ics_items
from orbitcert.reference_impl.hardware.module import HardwareParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "alarm_off_by_one",
    "last_error_capture",
    "no_double_detection",
    "permanent_as_transient",
    "scrub_position_in_bytes",
    "scrub_rewrites_uncorrectable",
    "scrub_skips_bank",
    "tmr_without_repair",
    "wrapping_counters",
    "wrong_check_column",
]

U8Array = npt.NDArray[np.uint8]
U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]
F64Array = npt.NDArray[np.float64]


def _build(cls: type[ReferenceComputeModule], spec: Spec | None) -> ReferenceComputeModule:
    """``cls`` configured as :func:`orbitcert.reference_impl.hardware.iut.create` configures the reference."""
    values = reference_ics_items()
    kwargs: dict[str, Any] = {k: values[k] for k in SIMULATOR_ITEMS if k in values}
    if "latchup_domains" in kwargs:
        kwargs["latchup_domains"] = tuple(kwargs["latchup_domains"])
    params = None if spec is None else HardwareParameters.from_spec(spec)
    return cls(
        params,
        abft_max_dimension=int(values.get("abft_max_dimension", 1024)),
        abft_correction=bool(values.get("abft_correction", True)),
        **kwargs,
    )


# --------------------------------------------------------------------------------------------------
# memory-edac


class NoDoubleDetectionModule(ReferenceComputeModule):
    """A single-error-correcting decoder without double-error detection (a Hamming SEC decoder):
    every nonzero syndrome is reported as a corrected error and the word returned as read. Fails
    HWC-EDAC-004 (and, as consequences, HWC-EDAC-005 and -006, whose uncorrectable errors it
    never reports, and HWC-SCR-002: its scrubber "corrects" double errors)."""

    name = "broken-no-double-detection"

    def _decode_words(self, data: U64Array, check: U8Array) -> edac.DecodeResult:
        res = super()._decode_words(data, check)
        status = np.where(res.status == edac.STATUS_UNCORRECTABLE, edac.STATUS_CORRECTED, res.status).astype(np.uint8)
        return edac.DecodeResult(data=res.data, check=res.check, status=status, syndrome=res.syndrome, bit=res.bit)


def no_double_detection(spec: Spec | None = None) -> ReferenceComputeModule:
    """SEC-only decoder; must fail HWC-EDAC-004."""
    return _build(NoDoubleDetectionModule, spec)


class LastErrorCaptureModule(ReferenceComputeModule):
    """Captures the failing address and syndrome of every error read (the last of a read), even
    while EDAC_STATUS.CE or UE is set. Fails HWC-EDAC-005."""

    name = "broken-last-error-capture"

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        out = super().mem_read(address, count)
        errors = sorted([*out["corrected"], *out["uncorrectable"]])
        if errors:
            a = int(address) + errors[-1]
            data, check = self._read_codewords(np.array([a], dtype=np.int64), self.time)
            self._regs["EDAC_FAIL_ADDR"] = a
            self._regs["EDAC_FAIL_SYNDROME"] = int(self.code.syndrome(data, check)[0])
        return out


def last_error_capture(spec: Spec | None = None) -> ReferenceComputeModule:
    """Failing address overwritten by every error; must fail HWC-EDAC-005."""
    return _build(LastErrorCaptureModule, spec)


class WrappingCountersModule(ReferenceComputeModule):
    """Error counters that wrap modulo 2^16 instead of saturating at 65535. Fails HWC-EDAC-006."""

    name = "broken-wrapping-counters"

    def _count(self, name: str, n: int) -> None:
        if n:
            self._regs[name] = (self._regs.get(name, 0) + n) % (self._reg_max(name) + 1)


def wrapping_counters(spec: Spec | None = None) -> ReferenceComputeModule:
    """Counters wrap; must fail HWC-EDAC-006."""
    return _build(WrappingCountersModule, spec)


class AlarmOffByOneModule(ReferenceComputeModule):
    """Sets CE_ALARM only when EDAC_CE_COUNT exceeds EDAC_CE_THRESHOLD (one error late). Fails
    HWC-EDAC-007."""

    name = "broken-alarm-off-by-one"

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        threshold = self._regs.get("EDAC_CE_THRESHOLD", 0)
        if threshold:
            self._regs["EDAC_CE_THRESHOLD"] = threshold + 1
        try:
            return super().mem_read(address, count)
        finally:
            self._regs["EDAC_CE_THRESHOLD"] = threshold


def alarm_off_by_one(spec: Spec | None = None) -> ReferenceComputeModule:
    """Alarm one error late; must fail HWC-EDAC-007."""
    return _build(AlarmOffByOneModule, spec)


#: Hsiao's column of data bit 40 (0xA1) replaced by the weight-5 column 0x1F, which the published
#: matrix does not use: still odd-weight, distinct columns (a SEC-DED code), not the declared one.
WRONG_COLUMN_BIT, WRONG_COLUMN = 40, 0x1F


class WrongCheckColumnModule(ReferenceComputeModule):
    """Encodes and decodes with Hsiao's matrix except for one data column (bit 40: 0x1F instead of
    0xA1). Self-consistent, so its reads look right; its stored codewords are not those of the
    declared code. Fails HWC-EDAC-001 (and every test that compares stored codewords with the
    declared code's)."""

    name = "broken-wrong-check-column"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = list(self.code.data_columns)
        columns[WRONG_COLUMN_BIT] = WRONG_COLUMN
        self.code = edac.SecDedCode(name=self.code.name, data_columns=tuple(columns))


def wrong_check_column(spec: Spec | None = None) -> ReferenceComputeModule:
    """One wrong column of H; must fail HWC-EDAC-001."""
    return _build(WrongCheckColumnModule, spec)


class TmrWithoutRepairModule(ReferenceComputeModule):
    """Reads SYS_CONFIG through the majority voter but never rewrites the copies, so upsets of the
    same bit in two copies at different times outvote the good copy. Fails HWC-EDAC-008."""

    name = "broken-tmr-without-repair"

    def reg_read(self, name: Any) -> int:
        if name == "SYS_CONFIG" and len(self._config) == 3:
            a, b, c = self._config
            return ((a & b) | (a & c) | (b & c)) & 0xFFFFFFFF
        return super().reg_read(name)


def tmr_without_repair(spec: Spec | None = None) -> ReferenceComputeModule:
    """Voter without repair; must fail HWC-EDAC-008."""
    return _build(TmrWithoutRepairModule, spec)


class PermanentAsTransientModule(ReferenceComputeModule):
    """Applies a permanent memory fault once, like a transient one: the cell is healed by the next
    write (and by the scrubber's write-back). Fails HWC-EDAC-009 (and HWC-EDAC-006, whose scrub
    counters test relies on permanent faults found at every visit)."""

    name = "broken-permanent-as-transient"

    def inject(self, faults: Any) -> int:
        if isinstance(faults, list):
            faults = [
                {**f, "type": "transient"}
                if isinstance(f, Mapping) and f.get("component") == "memory" and f.get("type") == "permanent"
                else f
                for f in faults
            ]
        return super().inject(faults)


def permanent_as_transient(spec: Spec | None = None) -> ReferenceComputeModule:
    """Permanent faults heal on write; must fail HWC-EDAC-009."""
    return _build(PermanentAsTransientModule, spec)


# --------------------------------------------------------------------------------------------------
# scrubbing


class ScrubSkipsBankModule(ReferenceComputeModule):
    """Its scrubber sweeps at the declared rate but never visits (or counts) a word of the last
    bank. Fails HWC-SCR-001 (and HWC-SCR-003 when a position test's words fall in that bank)."""

    name = "broken-scrub-skips-bank"

    def _scrub_visit(self, addresses: I64Array, times: F64Array, repeats: I64Array) -> None:
        keep = addresses < (self.memory_banks - 1) * (self.memory_words // self.memory_banks)
        super()._scrub_visit(addresses[keep], np.asarray(times)[keep], repeats[keep])


def scrub_skips_bank(spec: Spec | None = None) -> ReferenceComputeModule:
    """Scrubber misses the last bank; must fail HWC-SCR-001."""
    return _build(ScrubSkipsBankModule, spec)


class ScrubRewritesUncorrectableModule(ReferenceComputeModule):
    """Counts an uncorrectable word like the reference, then "repairs" it by writing back its data
    with freshly computed check bits: a valid codeword of wrong data (silent corruption). Fails
    HWC-SCR-002."""

    name = "broken-scrub-rewrites-uncorrectable"

    def _scrub_visit(self, addresses: I64Array, times: F64Array, repeats: I64Array) -> None:
        super()._scrub_visit(addresses, times, repeats)
        if not addresses.size:
            return
        data, check = self._read_codewords(addresses, times)
        ue = self._decode_words(data, check).status == edac.STATUS_UNCORRECTABLE
        if ue.any():
            self._store(addresses[ue], data[ue], self.code.encode(data[ue]))


def scrub_rewrites_uncorrectable(spec: Spec | None = None) -> ReferenceComputeModule:
    """Scrubber rewrites double errors as valid codewords; must fail HWC-SCR-002."""
    return _build(ScrubRewritesUncorrectableModule, spec)


class ScrubPositionInBytesModule(ReferenceComputeModule):
    """Scrubs like the reference but reports in SCRUB_POSITION the byte address (8 octets per
    word) of the next word instead of its word address. Fails HWC-SCR-003."""

    name = "broken-scrub-position-in-bytes"

    def reg_read(self, name: Any) -> int:
        value = super().reg_read(name)
        if name == "SCRUB_POSITION":
            return (8 * value) & 0xFFFFFFFF
        return value


def scrub_position_in_bytes(spec: Spec | None = None) -> ReferenceComputeModule:
    """Position register in bytes; must fail HWC-SCR-003."""
    return _build(ScrubPositionInBytesModule, spec)
