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
* :func:`burst_limit_4096` - HWC-EDAC-003 (only the first 4096 words of a read go through the
  decoder; the rest are returned as stored and listed clean)
* :func:`read_writes_back` - HWC-EDAC-003 (a read writes the corrected codeword of every word it
  corrects back to memory)
* :func:`alarm_on_crossing_only` - HWC-EDAC-007 (CE_ALARM set only by the read that takes the
  count from below the threshold to at or above it)
* :func:`address_line_20_stuck` - HWC-EDAC-010 (address line 20 stuck at 0: words a and
  a | 2^20 are one cell)
* :func:`ro_registers_writable` - HWC-EDAC-010 (EDAC_FAIL_ADDR and EDAC_FAIL_SYNDROME take writes)
* :func:`scrub_only_written_words` - HWC-SCR-001 (the scrubber visits only words written since
  power-on)
* :func:`scrub_restarts_on_counter_clear` - HWC-SCR-005 (clearing a scrubber counter restarts the
  sweep at word 0)

And one correct product configured unlike the reference, which must be certified:
:func:`small_banks` (1024 words in 64 banks of 16, the smallest memory with the most banks the ICS
allows).

Their ICS is the reference's (``reference_impl/ics/hw-compute-module.yaml``): they claim what the
reference does. Use e.g. ``--impl products.broken_hw_memory:scrub_skips_bank``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from orbitcert.reference_impl.hardware import edac
from orbitcert.reference_impl.hardware.iut import SIMULATOR_ITEMS, ReferenceComputeModule, create, reference_ics_items
from orbitcert.reference_impl.hardware.module import HardwareParameters

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "address_line_20_stuck",
    "alarm_off_by_one",
    "alarm_on_crossing_only",
    "burst_limit_4096",
    "read_writes_back",
    "ro_registers_writable",
    "scrub_only_written_words",
    "scrub_restarts_on_counter_clear",
    "small_banks",
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


# --------------------------------------------------------------------------------------------------
# memory-edac: long reads, reads that write, the alarm, address decoding, the register map


class BurstLimitModule(ReferenceComputeModule):
    """Only the first 4096 words of a read go through the EDAC decoder (a decoder pipeline that
    handles one 4096-word burst); the rest of a longer read is returned as stored, faults and all,
    and listed neither corrected nor uncorrectable. Fails HWC-EDAC-003 (and HWC-EDAC-004 when a
    double error lies beyond the burst)."""

    name = "broken-burst-limit-4096"
    burst = 4096

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        if not isinstance(count, int) or count <= self.burst:
            return super().mem_read(address, count)
        out = super().mem_read(address, self.burst)
        a = int(address)
        self._check_range(a, int(count))
        data, _ = self._read_codewords(np.arange(a + self.burst, a + int(count), dtype=np.int64), self.time)
        out["data"] = bytes(out["data"]) + np.asarray(data, dtype=">u8").tobytes()
        return out


def burst_limit_4096(spec: Spec | None = None) -> ReferenceComputeModule:
    """Reads decoded only in their first 4096 words; must fail HWC-EDAC-003."""
    return _build(BurstLimitModule, spec)


class ReadWritesBackModule(ReferenceComputeModule):
    """Every read writes the corrected codeword of each word it corrected back to memory (a
    correct-on-read controller), so a transient single error is gone after its first read; the
    interface says a read does not write memory. Fails HWC-EDAC-003 (and, as consequences, the
    tests that count errors by reading the same faulty words again: HWC-EDAC-005..007)."""

    name = "broken-read-writes-back"

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        out = super().mem_read(address, count)
        if out["corrected"]:
            offsets = np.asarray(out["corrected"], dtype=np.int64)
            data = np.frombuffer(out["data"], dtype=">u8").astype(np.uint64)[offsets]
            self._store(int(address) + offsets, data, self.code.encode(data))
        return out


def read_writes_back(spec: Spec | None = None) -> ReferenceComputeModule:
    """Reads write corrected words back; must fail HWC-EDAC-003."""
    return _build(ReadWritesBackModule, spec)


class AlarmOnCrossingOnlyModule(ReferenceComputeModule):
    """Sets CE_ALARM only on the read that takes EDAC_CE_COUNT from below EDAC_CE_THRESHOLD to at
    or above it (an edge-triggered alarm): once cleared with the count above the threshold, or
    with the threshold lowered below the count, it is never set again. Fails HWC-EDAC-007."""

    name = "broken-alarm-on-crossing-only"

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        threshold = self._regs.get("EDAC_CE_THRESHOLD", 0)
        before = self._regs.get("EDAC_CE_COUNT", 0)
        self._regs["EDAC_CE_THRESHOLD"] = 0  # the reference's level-triggered alarm disabled
        try:
            out = super().mem_read(address, count)
        finally:
            self._regs["EDAC_CE_THRESHOLD"] = threshold
        if threshold and before < threshold <= self._regs.get("EDAC_CE_COUNT", 0):
            self._regs["EDAC_STATUS"] = self._regs.get("EDAC_STATUS", 0) | 0b100
        return out


def alarm_on_crossing_only(spec: Spec | None = None) -> ReferenceComputeModule:
    """Edge-triggered CE alarm; must fail HWC-EDAC-007."""
    return _build(AlarmOnCrossingOnlyModule, spec)


class AddressLineStuckModule(ReferenceComputeModule):
    """Address line 20 of the memory stuck at 0: words a and a | 2^20 are one cell (the last write
    to either wins, and both read it). Every other behaviour is the reference's. Fails
    HWC-EDAC-010 (and whatever other test happens to use two aliased addresses)."""

    name = "broken-address-line-20-stuck"
    line = 20

    def _cells(self, addresses: I64Array) -> I64Array:
        return np.asarray(addresses, dtype=np.int64) & ~np.int64(1 << self.line)

    def _load(self, addresses: I64Array) -> tuple[U64Array, U8Array]:
        cells, inverse = np.unique(self._cells(addresses), return_inverse=True)
        data, check = super()._load(cells)
        return data[inverse], check[inverse]

    def _store(self, addresses: I64Array, data: U64Array, check: U8Array) -> None:
        cells = self._cells(addresses)[::-1]  # reversed: np.unique keeps the first, the last write wins
        unique, first = np.unique(cells, return_index=True)
        super()._store(unique, data[::-1][first], check[::-1][first])

    def _store_range(self, address: int, data: U64Array, check: U8Array) -> None:
        self._store(np.arange(address, address + data.size, dtype=np.int64), data, check)


def address_line_20_stuck(spec: Spec | None = None) -> ReferenceComputeModule:
    """Address line 20 stuck at 0; must fail HWC-EDAC-010."""
    return _build(AddressLineStuckModule, spec)


class RoRegistersWritableModule(ReferenceComputeModule):
    """The read-only EDAC registers (EDAC_FAIL_ADDR, EDAC_FAIL_SYNDROME) take writes like
    read-write ones (masked to their width). Fails HWC-EDAC-010."""

    name = "broken-ro-registers-writable"

    def reg_write(self, name: Any, value: Any) -> None:
        reg = self.params.register_map.get(name) if isinstance(name, str) else None
        if reg is not None and reg.access == "ro" and reg.name.startswith("EDAC_") and isinstance(value, int):
            self._regs[reg.name] = value & reg.mask
            return
        super().reg_write(name, value)


def ro_registers_writable(spec: Spec | None = None) -> ReferenceComputeModule:
    """Writable failing-address registers; must fail HWC-EDAC-010."""
    return _build(RoRegistersWritableModule, spec)


# --------------------------------------------------------------------------------------------------
# scrubbing: words never written, the sweep and counter clears


class ScrubOnlyWrittenWordsModule(ReferenceComputeModule):
    """Its scrubber visits only the words written since power-on (an "allocated region" scrubber):
    a single error in a word never written (the zero codeword) is never repaired or counted.
    Fails HWC-SCR-001."""

    name = "broken-scrub-only-written-words"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._written: I64Array = np.zeros(0, dtype=np.int64)
        super().__init__(*args, **kwargs)

    def power_cycle(self) -> float:
        self._written = np.zeros(0, dtype=np.int64)
        return super().power_cycle()

    def mem_write(self, address: Any, data: Any) -> int:
        n = super().mem_write(address, data)
        self._written = np.union1d(self._written, np.arange(int(address), int(address) + n, dtype=np.int64))
        return n

    def _scrub_visit(self, addresses: I64Array, times: F64Array, repeats: I64Array) -> None:
        keep = np.isin(addresses, self._written)
        super()._scrub_visit(addresses[keep], np.asarray(times)[keep], repeats[keep])


def scrub_only_written_words(spec: Spec | None = None) -> ReferenceComputeModule:
    """Scrubber skips never-written words; must fail HWC-SCR-001."""
    return _build(ScrubOnlyWrittenWordsModule, spec)


class ScrubRestartsOnCounterClearModule(ReferenceComputeModule):
    """Clearing SCRUB_CE_COUNT or SCRUB_UE_COUNT also restarts the sweep at word 0 (a controller
    that resets the whole scrubber block on a counter write). Fails HWC-SCR-005."""

    name = "broken-scrub-restarts-on-counter-clear"

    def reg_write(self, name: Any, value: Any) -> None:
        super().reg_write(name, value)
        if name in ("SCRUB_CE_COUNT", "SCRUB_UE_COUNT"):
            self._scrub_start = self.time


def scrub_restarts_on_counter_clear(spec: Spec | None = None) -> ReferenceComputeModule:
    """Counter clears restart the sweep; must fail HWC-SCR-005."""
    return _build(ScrubRestartsOnCounterClearModule, spec)


# --------------------------------------------------------------------------------------------------
# a correct product unlike the reference


#: ICS items of :func:`small_banks` (the certification test declares them in its ICS).
SMALL_BANKS_ITEMS = {"memory_words": 1024, "memory_banks": 64}


def small_banks(spec: Spec | None = None) -> ReferenceComputeModule:
    """The reference module with 1024 words in 64 banks of 16 words: correct, must be certified
    (with an ICS declaring :data:`SMALL_BANKS_ITEMS`)."""
    return create(spec, items=SMALL_BANKS_ITEMS)
