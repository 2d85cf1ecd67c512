"""Conformance suite of hw-compute-module, class ``memory-edac`` (HWC-EDAC-001..010).

What is checked, and against what:

* **Codewords** (HWC-EDAC-001): the check bits of every written word are recomputed here from the
  spec's parameter ``edac_codes`` alone (the 8 rows of H_d as 64-bit masks, parity of
  ``data & row``; :func:`spec_check_bits`), not with any code of the reference; unit data words
  must carry exactly their published column (Hsiao 1970, Fig. 6).
* **Reads** (HWC-EDAC-002..004, 009): every error is injected with a known mask, so the stored
  codeword the product must hold is known; the raw read is checked against it first (a product
  that ignores ``inject`` fails there), then the decoded read, its corrected/uncorrectable lists
  and the counter deltas, per word. Single errors cover all 72 codeword bits in distinct words,
  double errors all C(72, 2) = 2556 bit pairs (data/data, data/check, check/check, adjacent).
  Reads of the interface's maximum of 65536 words cross bank boundaries with errors at both ends,
  around offset 4096 and either side of each boundary; raw reads before and after every read
  show that a read leaves memory as it was.
* **Registers** (HWC-EDAC-005..008): first-error capture and its syndrome (H applied to the
  stored codeword, computed here), write-one-to-clear status, saturating write-clear counters
  (GR740 UM, memory scrubber and AHB status register), the correctable-error alarm at its
  threshold (set by every read that counts an error at or above it, also after a clear or a
  lowered threshold), and the triplicated SYS_CONFIG register behind a voter.
* **Register map and addresses** (HWC-EDAC-010): reset values, read-only registers ignoring
  writes, widths, unknown names refused (``orbitcert.conformance.refusal``); distinct words at
  the walking-one and walking-zero addresses of every address line (the classic address-bus test
  of memory diagnostics) and every bank edge, read back raw.

A read does not write memory (interface ``mem_read``), so transient errors stay until the word is
written again: counters are driven by re-reading the same faulty words. Memory is large (2^27
words in the reference): tests touch the first and last word of every bank and a few random words
per bank (``geometry.spread``), and batch faults and reads. Every draw comes from the per-test
``rng`` (run seed), so a product cannot predict addresses, bits or data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive, refusal
from orbitcert.conformance.interfaces.hw_compute_module import (
    FaultDescriptor,
    bit_masks,
    check_bits,
    fault,
    memory_fault,
    random_words,
)

# --------------------------------------------------------------------------------------------------
# Independent oracle of the declared code, and small helpers

U64 = np.uint64


def spec_syndrome(data: np.ndarray, check: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Syndromes (bit j = row j of H applied to the codeword) of stored (data, check) pairs."""
    return np.asarray(check_bits(data, columns) ^ np.asarray(check, dtype=np.uint8), dtype=np.uint8)



def status_bits(hw: Any) -> dict[str, int]:
    """Bit masks of EDAC_STATUS from the register map (parameter registers, "bit 0 CE, ...")."""
    fields = str(hw.registers["EDAC_STATUS"]["fields"])
    found = {name: 1 << int(pos) for pos, name in re.findall(r"bit\s+(\d+)\s+(\w+)", fields)}
    if not {"CE", "UE", "CE_ALARM"} <= set(found):
        inconclusive(f"EDAC_STATUS fields {fields!r} do not name CE, UE and CE_ALARM")
    return found



def expect_raw(port: Any, address: int, data: np.ndarray, check: np.ndarray, geometry: Any, what: str) -> None:
    """The stored codewords from ``address`` are exactly (data, check)."""
    got_d, got_c = port.read_raw(address, len(data))
    bad = np.flatnonzero((got_d != data) | (got_c != check))
    if bad.size:
        i = int(bad[0])
        raise AssertionError(
            f"{what}: mem_read_raw of {geometry.where(address + i)} holds data {int(got_d[i]):#018x} check "
            f"{int(got_c[i]):#04x}, expected data {int(data[i]):#018x} check {int(check[i]):#04x} "
            f"({bad.size} of {len(data)} words differ)"
        )


def expect_read(
    port: Any,
    address: int,
    data: np.ndarray,
    geometry: Any,
    what: str,
    corrected: set[int] | frozenset[int] = frozenset(),
    uncorrectable: set[int] | frozenset[int] = frozenset(),
) -> None:
    """mem_read of len(data) words from ``address``: data equal where not uncorrectable, and exactly
    the given offsets listed as corrected and uncorrectable."""
    r = port.read(address, len(data))
    good = np.ones(len(data), dtype=bool)
    good[list(uncorrectable)] = False
    bad = np.flatnonzero(good & (r.data != data))
    if bad.size:
        i = int(bad[0])
        raise AssertionError(
            f"{what}: mem_read of {geometry.where(address + i)} returned {int(r.data[i]):#018x}, written "
            f"{int(data[i]):#018x} ({bad.size} of {len(data)} words wrong)"
        )
    for name, got, want in (("corrected", r.corrected, corrected), ("uncorrectable", r.uncorrectable, uncorrectable)):
        if set(got) != set(want):
            missing = sorted(set(want) - set(got))[:5]
            extra = sorted(set(got) - set(want))[:5]
            raise AssertionError(
                f"{what}: mem_read of {len(data)} words from {geometry.where(address)} listed {len(got)} words as "
                f"{name}, expected {len(want)}; not listed: {[hex(address + o) for o in missing]}, listed wrongly: "
                f"{[hex(address + o) for o in extra]}"
            )


def expect_reg(port: Any, name: str, want: int, what: str) -> None:
    got = port.reg(name)
    if got != want:
        raise AssertionError(f"{what}: {name} = {got}, expected {want}")


def block_start(rng: np.random.Generator, geometry: Any, bank: int, n: int, where_: str = "random") -> int:
    """Start of a block of ``n`` words inside ``bank``: at its first word, ending at its last word,
    or at a random offset."""
    lo = bank * geometry.bank_words
    if where_ == "first":
        return int(lo)
    if where_ == "last":
        return int(lo + geometry.bank_words - n)
    return int(rng.integers(lo, lo + geometry.bank_words - n + 1))


def anywhere(rng: np.random.Generator, geometry: Any, n: int) -> int:
    """Start of a block of ``n`` consecutive words at a random place in memory (any bank)."""
    return int(rng.integers(0, geometry.words - n + 1))


def bank_rounds(rng: np.random.Generator, geometry: Any, per_bank: int) -> list[list[tuple[int, int, int]]]:
    """Blocks covering ``per_bank`` words in every bank, as rounds of non-overlapping blocks
    ``(bank, start, offset)`` of one length (a round's words: ``start .. start + length``, the
    ``offset``-th to ``offset + length - 1``-th of the bank's ``per_bank``): bank 0's blocks start
    at its first word, the last bank's end at its last word, the others lie at random offsets. One
    round when a bank holds ``per_bank`` words, more in small banks."""
    size = min(per_bank, geometry.bank_words)
    rounds: list[list[tuple[int, int, int]]] = []
    for offset in range(0, per_bank, size):
        n = min(size, per_bank - offset)
        kinds = ["first" if b == 0 else "last" if b == geometry.banks - 1 else "random" for b in range(geometry.banks)]
        rounds.append([(b, block_start(rng, geometry, b, n, kinds[b]), offset) for b in range(geometry.banks)])
    return rounds


def round_length(per_bank: int, geometry: Any, offset: int) -> int:
    return int(min(per_bank, geometry.bank_words, per_bank - offset))


def single_fault_list(address: int, patterns: Sequence[Sequence[int]], **kw: Any) -> list[FaultDescriptor]:
    return [memory_fault(address + i, list(p), **kw) for i, p in enumerate(patterns) if p]


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-001: stored codewords


@pytest.mark.requirement("HWC-EDAC-001")
def test_unit_words_carry_their_published_columns(port: Any, code: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Hsiao 1970, Fig. 6: the check octet of the data word with only bit b set is column b of H_d
    (parameter edac_codes, read here directly); all-zero and all-one words too. Written at the
    first words of bank 0 and the last words of the last bank."""
    columns = code.data_columns
    words = np.array([1 << b for b in range(64)] + [0, (1 << 64) - 1, 0x5555555555555555, 0xAAAAAAAAAAAAAAAA], dtype=U64)
    expected = np.array([*columns, 0, 0, 0, 0], dtype=np.uint8)
    expected[64:] = check_bits(words[64:], columns)
    for start in (0, geometry.words - len(words)):
        port.write(start, words)
        got_d, got_c = port.read_raw(start, len(words))
        for i in np.flatnonzero((got_c != expected) | (got_d != words)):
            raise AssertionError(
                f"{geometry.where(start + int(i))} written {int(words[i]):#018x}: stored data {int(got_d[i]):#018x} "
                f"check {int(got_c[i]):#04x}, expected check {int(expected[i]):#04x}"
                + (f" (column of data bit {i} in Hsiao's H)" if i < 64 else "")
            )


def last_written(writes: Sequence[tuple[int, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """What memory must hold after ``writes`` (``(start, words)`` blocks, in write order, possibly
    overlapping): sorted addresses and, for each, the word of the last write covering it."""
    addrs = np.concatenate([np.arange(s, s + len(w), dtype=np.int64) for s, w in writes])
    words = np.concatenate([np.asarray(w, dtype=U64) for _, w in writes])
    # np.unique keeps the first occurrence: reverse, so that the last write wins
    uniq, first = np.unique(addrs[::-1], return_index=True)
    return uniq, words[::-1][first]


@pytest.mark.requirement("HWC-EDAC-001")
def test_random_words_stored_as_codewords(port: Any, code: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Random words at the edges and random addresses of every bank (single-word writes), blocks of
    up to 256 random words in every bank, and blocks straddling each bank boundary: raw codewords equal
    (data, H_d data). Blocks may overlap in small banks (a bank of 16 words lies inside the blocks
    around its boundaries): what each word must hold is the last value written to it. A word
    written twice holds the second value."""
    columns = code.data_columns
    addresses = geometry.spread(rng, 12)
    singles = random_words(rng, len(addresses))
    for a, w in zip(addresses, singles, strict=True):
        port.write(a, [w])
    for a, w in zip(addresses, singles, strict=True):
        expect_raw(port, a, np.array([w], dtype=U64), check_bits([w], columns), geometry, f"written {int(w):#018x}")
    size = min(256, geometry.bank_words)
    blocks: list[tuple[int, np.ndarray]] = [(s, random_words(rng, size)) for _, s, _ in bank_rounds(rng, geometry, size)[0]]
    half = min(32, geometry.bank_words)
    for b in range(1, geometry.banks):
        blocks.append((b * geometry.bank_words - half, random_words(rng, 2 * half)))
    for start, words in blocks:
        port.write(start, words)
    held_at, held = last_written(blocks)
    for start, words in blocks:
        idx = np.searchsorted(held_at, np.arange(start, start + len(words), dtype=np.int64))
        want = held[idx]
        expect_raw(port, start, want, check_bits(want, columns), geometry, f"block of {len(words)} words")
    again = random_words(rng, len(addresses))
    for a, w in zip(addresses, again, strict=True):
        port.write(a, [w])
    for a, w in zip(addresses, again, strict=True):
        expect_raw(port, a, np.array([w], dtype=U64), check_bits([w], columns), geometry, f"rewritten with {int(w):#018x}")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-002: error-free reads

EDAC_REGISTERS = ("EDAC_STATUS", "EDAC_CE_COUNT", "EDAC_UE_COUNT", "EDAC_FAIL_ADDR", "EDAC_FAIL_SYNDROME")


def edac_registers(port: Any) -> dict[str, int]:
    return {name: port.reg(name) for name in EDAC_REGISTERS}


def clean_reads(port: Any, geometry: Any, rng: np.random.Generator, what: str) -> None:
    """Write random words (edges, random addresses, blocks) and read them back error-free, plus one
    read of 65536 words over never-written memory and written words; registers must not change."""
    before = edac_registers(port)
    span = min(65536, geometry.words)
    start = int(rng.integers(0, geometry.words - span + 1))
    block = np.zeros(span, dtype=U64)
    inner = random_words(rng, min(512, span // 2))
    off = int(rng.integers(0, span - inner.size + 1))
    block[off : off + inner.size] = inner
    port.write(start + off, inner)
    addresses = geometry.spread(rng, 8)
    words = random_words(rng, len(addresses))
    for a, w in zip(addresses, words, strict=True):
        port.write(a, [w])
    # the single words written inside the span are part of what it must return
    for a, w in zip(addresses, words, strict=True):
        if start <= a < start + span:
            block[a - start] = w
    for a, w in zip(addresses, words, strict=True):
        expect_read(port, a, np.array([w], dtype=U64), geometry, what)
    expect_read(port, start, block, geometry, f"{what}, {span} words of which {span - inner.size} never written")
    after = edac_registers(port)
    changed = {k: (before[k], after[k]) for k in EDAC_REGISTERS if before[k] != after[k]}
    assert not changed, f"{what}: error-free reads changed EDAC registers (before, after): {changed}"


@pytest.mark.requirement("HWC-EDAC-002")
def test_clean_reads_from_power_on(port: Any, geometry: Any, rng: np.random.Generator) -> None:
    """After power_cycle: error-free words read back as written, no word listed, registers unchanged."""
    clean_reads(port, geometry, rng, "from power-on")


@pytest.mark.requirement("HWC-EDAC-002")
def test_clean_reads_leave_error_state_alone(port: Any, geometry: Any, rng: np.random.Generator) -> None:
    """With counters, status, failing address and syndrome already set by earlier errors, error-free
    reads change none of them."""
    a, b = (int(x) for x in rng.choice(geometry.spread(rng, 2), 2, replace=False))
    port.inject([memory_fault(a, [int(rng.integers(0, 72))]), memory_fault(b, [int(x) for x in rng.choice(72, 2, replace=False)])])
    port.read(a, 1)
    port.read(b, 1)
    port.read(a, 1)
    port.write(a, [0])  # transient errors: rewriting the words removes them (0: as never written)
    port.write(b, [0])
    clean_reads(port, geometry, rng, "after errors")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-003: single errors


@pytest.mark.requirement("HWC-EDAC-003")
def test_every_codeword_bit_single_error(port: Any, code: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """In every bank, 72 words each with one of the 72 codeword bits flipped (data and check bits,
    in a random order), injected in one call: each read returns the data written, lists exactly
    those words as corrected, adds one to EDAC_CE_COUNT per word and sets EDAC_STATUS.CE. A second
    read of a block among error-free words corrects and counts exactly the words still stored with
    their single error (HWC-EDAC-003: the read leaves memory as it was, checked with raw reads);
    so does a one-word read of a freshly injected one."""
    columns = code.data_columns
    st = status_bits(hw)
    perms = [[int(x) for x in rng.permutation(72)] for _ in range(geometry.banks)]
    ce0 = port.reg("EDAC_CE_COUNT")
    total = 0
    blocks: list[tuple[int, np.ndarray, list[list[int]]]] = []
    for r, rnd in enumerate(bank_rounds(rng, geometry, 72)):
        blocks = []
        faults: list[FaultDescriptor] = []
        for b, s, offset in rnd:
            n = round_length(72, geometry, offset)
            words, pats = random_words(rng, n), [[bit] for bit in perms[b][offset : offset + n]]
            port.write(s, words)
            faults += single_fault_list(s, pats)
            blocks.append((s, words, pats))
        port.inject(faults)
        for s, words, pats in blocks:
            dm, cm = bit_masks(pats)
            expect_raw(port, s, words ^ dm, check_bits(words, columns) ^ cm, geometry, "after injecting one bit flip per word")
        for s, words, pats in blocks:
            expect_read(port, s, words, geometry, f"single errors in bits {sorted(p[0] for p in pats)}", corrected=set(range(len(words))))
            total += len(words)
            expect_reg(port, "EDAC_CE_COUNT", min(hw.counter_max, ce0 + total), f"after reading {total} single errors")
            status = port.reg("EDAC_STATUS")
            assert status & st["CE"], f"EDAC_STATUS = {status:#x} after a read of {len(words)} corrected words: CE (mask {st['CE']:#x}) not set"
        for s, words, pats in blocks:
            dm, cm = bit_masks(pats)
            expect_raw(port, s, words ^ dm, check_bits(words, columns) ^ cm, geometry,
                       "after mem_read of single errors (a read does not change memory: the error stays)")
        if r == 0:
            # Read bank 0's block again, with never-written words after it: every error is still
            # stored, so every word is corrected and counted again.
            s, words, _ = blocks[0]
            span = min(len(words) + 256, geometry.bank_words)
            expected = np.zeros(span, dtype=U64)
            expected[: len(words)] = words
            ce1 = port.reg("EDAC_CE_COUNT")
            expect_read(port, s, expected, geometry, f"the single errors read again within {span} words", corrected=set(range(len(words))))
            expect_reg(port, "EDAC_CE_COUNT", min(hw.counter_max, ce1 + len(words)), f"after reading {len(words)} single errors again")
            ce0 += len(words)
    s, words, pats = blocks[-1]
    for i in (int(x) for x in rng.choice(len(words), min(3, len(words)), replace=False)):
        port.write(s + i, words[i : i + 1])
        port.inject([memory_fault(s + i, pats[i])])
        before = port.reg("EDAC_CE_COUNT")
        expect_read(port, s + i, words[i : i + 1], geometry, f"one word, bit {pats[i][0]} flipped", corrected={0})
        expect_reg(port, "EDAC_CE_COUNT", min(hw.counter_max, before + 1), "after a one-word read of a single error")


@pytest.mark.requirement("HWC-EDAC-003", "HWC-EDAC-004")
@pytest.mark.parametrize("boundary", ["near-4096", "random"])
def test_long_reads_across_bank_boundaries(
    port: Any, code: Any, hw: Any, geometry: Any, rng: np.random.Generator, boundary: str
) -> None:
    """One read of 65536 words (the interface's maximum; all of memory when smaller) across a bank
    boundary, at offset 4096 +- 2 of the read or at a random offset (with one bank: anywhere; with
    small banks the read crosses many): single errors at offsets 0 and 65535, 4095..4097, either
    side of every boundary inside the read and at random offsets, double errors at random offsets
    and just after 4096 and the boundaries. The read returns the data written, lists exactly those
    words as corrected and uncorrectable, the counters grow by one per word, memory is unchanged
    by the read (raw codewords before and after), and a second read counts them all again."""
    columns = code.data_columns
    st = status_bits(hw)
    n = min(65536, geometry.words)
    bw = geometry.bank_words
    if geometry.banks > 1 and n < geometry.words:
        edge = bw * int(rng.integers(1, geometry.banks))
        k = 4096 + int(rng.integers(-2, 3)) if boundary == "near-4096" and n > 4100 else int(rng.integers(1, n))
        start = min(max(0, edge - k), geometry.words - n)
    else:
        start = anywhere(rng, geometry, n)
    edges = [e - start for e in range(bw * (start // bw + 1), start + n, bw)]  # offsets of bank starts inside
    kinds: dict[int, int] = {}  # offset -> error weight (1 single, 2 double)
    for o in (int(x) for x in rng.choice(n, min(n // 4, 48), replace=False)):
        kinds[o] = 1 if rng.random() < 0.6 else 2
    for o in (4098, *(e + 1 for e in edges)):
        if o < n:
            kinds[o] = 2
    for o in (0, n - 1, 4095, 4096, 4097, *edges, *(e - 1 for e in edges)):
        if 0 <= o < n:
            kinds[o] = 1
    offsets = sorted(kinds)
    pats = [[int(x) for x in rng.choice(72, kinds[o], replace=False)] for o in offsets]
    singles = {o for o in offsets if kinds[o] == 1}
    doubles = {o for o in offsets if kinds[o] == 2}
    words = random_words(rng, n)
    port.write(start, words)
    port.inject([memory_fault(start + o, p) for o, p in zip(offsets, pats, strict=True)])
    dm = np.zeros(n, dtype=U64)
    cm = np.zeros(n, dtype=np.uint8)
    dm[offsets], cm[offsets] = bit_masks(pats)
    stored_d, stored_c = words ^ dm, check_bits(words, columns) ^ cm
    what = f"read of {n} words from {geometry.where(start)} ({len(edges)} bank boundaries inside, at offsets {edges[:4]})"
    expect_raw(port, start, stored_d, stored_c, geometry, f"{what}: after inject")
    for k in range(2):
        ce, ue = port.reg("EDAC_CE_COUNT"), port.reg("EDAC_UE_COUNT")
        expect_read(port, start, words, geometry, f"{what}, read {k + 1}", corrected=singles, uncorrectable=doubles)
        expect_reg(port, "EDAC_CE_COUNT", min(hw.counter_max, ce + len(singles)), f"{what}, read {k + 1}: {len(singles)} single errors")
        expect_reg(port, "EDAC_UE_COUNT", min(hw.counter_max, ue + len(doubles)), f"{what}, read {k + 1}: {len(doubles)} double errors")
        status = port.reg("EDAC_STATUS")
        assert status & st["CE"] and status & st["UE"], f"{what}: EDAC_STATUS = {status:#x}, CE and UE should be set"
        expect_raw(port, start, stored_d, stored_c, geometry, f"{what}, after read {k + 1} (a read does not change memory)")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-004: double errors

ALL_PAIRS = list(combinations(range(72), 2))


@pytest.mark.requirement("HWC-EDAC-004")
def test_every_double_error_detected(port: Any, code: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """All 2556 pairs of codeword bits (data/data, data/check, check/check, adjacent), each in its own
    word, spread over blocks in every bank and injected in one call per round: every word is listed
    uncorrectable (never corrected or clean), EDAC_UE_COUNT grows by one per word and read,
    EDAC_STATUS.UE is set, and the stored codewords are the same after the reads as before."""
    columns = code.data_columns
    st = status_bits(hw)
    order = [ALL_PAIRS[int(i)] for i in rng.permutation(len(ALL_PAIRS))]
    per_bank = -(-len(order) // geometry.banks)
    ue0 = port.reg("EDAC_UE_COUNT")
    seen = 0
    blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int]]]] = []
    for rnd in bank_rounds(rng, geometry, per_bank):
        blocks = []
        faults: list[FaultDescriptor] = []
        for b, s, offset in rnd:
            n = round_length(per_bank, geometry, offset)
            pairs = order[b * per_bank + offset : b * per_bank + offset + n]
            if not pairs:
                continue
            words = random_words(rng, len(pairs))
            port.write(s, words)
            faults += single_fault_list(s, pairs)
            dm, cm = bit_masks(pairs)
            blocks.append((s, words, words ^ dm, check_bits(words, columns) ^ cm, pairs))
        port.inject(faults)
        for s, _, raw_d, raw_c, _ in blocks:
            expect_raw(port, s, raw_d, raw_c, geometry, "after injecting one double error per word")
        for s, words, raw_d, raw_c, pairs in blocks:
            r = port.read(s, len(pairs))
            wrong = sorted(set(range(len(pairs))) - set(r.uncorrectable))
            if wrong:
                o = wrong[0]
                state = "corrected" if o in r.corrected else "error-free"
                raise AssertionError(
                    f"{len(wrong)} of {len(pairs)} double errors not listed uncorrectable; e.g. {geometry.where(s + o)} "
                    f"with bits {pairs[o]} flipped was read as {state}, data {int(r.data[o]):#018x} (written {int(words[o]):#018x})"
                )
            if r.corrected:
                raise AssertionError(f"words with double errors also listed corrected: {[hex(s + o) for o in sorted(r.corrected)[:5]]}")
            seen += len(pairs)
            expect_reg(port, "EDAC_UE_COUNT", min(hw.counter_max, ue0 + seen), f"after reading {seen} double errors")
            status = port.reg("EDAC_STATUS")
            assert status & st["UE"], f"EDAC_STATUS = {status:#x} after a read of {len(pairs)} double errors: UE (mask {st['UE']:#x}) not set"
            expect_raw(port, s, raw_d, raw_c, geometry, "after mem_read of double errors (the read must not change memory)")
    assert seen == len(ALL_PAIRS), f"suite defect: {seen} of {len(ALL_PAIRS)} double errors exercised"
    s, _, raw_d, raw_c, pairs = blocks[0]
    again = port.read(s, len(pairs))
    assert set(again.uncorrectable) == set(range(len(pairs))) and not again.corrected, (
        f"second read of {len(pairs)} double errors at {geometry.where(s)}: {len(again.uncorrectable)} listed uncorrectable, "
        f"{len(again.corrected)} corrected"
    )
    expect_reg(port, "EDAC_UE_COUNT", min(hw.counter_max, ue0 + seen + len(pairs)), "after reading a block of double errors again")
    expect_raw(port, s, raw_d, raw_c, geometry, "after a second read of double errors")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-005: failing address and syndrome, write-one-to-clear status


@pytest.mark.requirement("HWC-EDAC-005")
def test_first_error_captured_until_cleared(port: Any, code: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """GR740 AHB status register: the first error read while CE and UE are clear is captured
    (address, syndrome = H applied to the stored codeword); later correctable and uncorrectable
    errors do not overwrite it; writing 0 changes no status bit, writing one bit clears that bit
    only; capture re-arms only when both CE and UE are clear (after an uncorrectable and after a
    correctable error)."""
    columns = code.data_columns
    st = status_bits(hw)
    a, b, c, d = (int(x) for x in rng.choice(geometry.spread(rng, 3), 4, replace=False))
    words = random_words(rng, 4)
    bits = {
        a: [int(rng.integers(0, 72))],
        b: [int(rng.integers(0, 72))],
        c: [int(x) for x in rng.choice(72, 2, replace=False)],
        d: [int(x) for x in rng.choice(72, 2, replace=False)],
    }
    for addr, w in zip((a, b, c, d), words, strict=True):
        port.write(addr, [w])
    port.inject([memory_fault(addr, bits[addr]) for addr in (a, b, c, d)])
    syndrome: dict[int, int] = {}
    for addr in (a, b, c, d):
        raw_d, raw_c = port.read_raw(addr, 1)
        syndrome[addr] = int(spec_syndrome(raw_d, raw_c, columns)[0])
        if syndrome[addr] == 0:
            raise AssertionError(f"{geometry.where(addr)} with bits {bits[addr]} flipped by inject is stored as a valid codeword")
    expect_reg(port, "EDAC_STATUS", 0, "after power_cycle")

    def captured(addr: int, what: str) -> None:
        expect_reg(port, "EDAC_FAIL_ADDR", addr, what)
        expect_reg(port, "EDAC_FAIL_SYNDROME", syndrome[addr], f"{what} (address {addr:#x}, bits {bits[addr]})")

    port.read(a, 1)
    captured(a, f"first error (single, {geometry.where(a)})")
    port.read(c, 1)
    port.read(b, 1)
    captured(a, "after later uncorrectable and correctable errors")
    both = st["CE"] | st["UE"]
    expect_reg(port, "EDAC_STATUS", both, "after a correctable and an uncorrectable error")
    port.set_reg("EDAC_STATUS", 0)
    expect_reg(port, "EDAC_STATUS", both, "after writing 0 to EDAC_STATUS (write-one-to-clear)")
    port.set_reg("EDAC_STATUS", st["CE_ALARM"])
    expect_reg(port, "EDAC_STATUS", both, "after writing 1 to CE_ALARM only")
    port.set_reg("EDAC_STATUS", st["CE"])
    expect_reg(port, "EDAC_STATUS", st["UE"], "after writing 1 to CE only")
    port.read(d, 1)
    captured(a, "UE still set: an uncorrectable error must not be captured")
    port.set_reg("EDAC_STATUS", st["UE"])
    expect_reg(port, "EDAC_STATUS", 0, "after writing 1 to UE")
    captured(a, "clearing the status bits")
    port.read(d, 1)
    captured(d, f"re-armed: uncorrectable error at {geometry.where(d)}")
    port.read(b, 1)
    captured(d, "a correctable error after the captured uncorrectable one")
    port.set_reg("EDAC_STATUS", st["UE"])
    expect_reg(port, "EDAC_STATUS", st["CE"], "after writing 1 to UE only")
    port.read(a, 1)
    captured(d, "CE still set: a correctable error must not be captured")
    port.set_reg("EDAC_STATUS", both)
    port.read(b, 1)
    captured(b, f"re-armed: correctable error at {geometry.where(b)}")


@pytest.mark.requirement("HWC-EDAC-005")
@pytest.mark.parametrize("first", ["correctable", "uncorrectable"])
def test_first_error_of_a_multiword_read(port: Any, code: Any, geometry: Any, rng: np.random.Generator, first: str) -> None:
    """A read of consecutive words detects them in address order: the captured error is the one at
    the lowest address of the read, not a later one of the same read."""
    columns = code.data_columns
    n = min(64, geometry.bank_words)
    start = block_start(rng, geometry, int(rng.integers(0, geometry.banks)), n)
    offsets = sorted(int(x) for x in rng.choice(np.arange(1, n), 3, replace=False))
    kinds = [first, "uncorrectable" if first == "correctable" else "correctable", first]
    pats = [[int(rng.integers(0, 72))] if k == "correctable" else [int(x) for x in rng.choice(72, 2, replace=False)] for k in kinds]
    port.write(start, random_words(rng, n))
    port.inject([memory_fault(start + o, p) for o, p in zip(offsets, pats, strict=True)])
    raw_d, raw_c = port.read_raw(start + offsets[0], 1)
    syn = int(spec_syndrome(raw_d, raw_c, columns)[0])
    port.read(start, n)
    expect_reg(port, "EDAC_FAIL_ADDR", start + offsets[0], f"read of {n} words from {start:#x} with errors at offsets {offsets}")
    expect_reg(port, "EDAC_FAIL_SYNDROME", syn, f"{first} error at offset {offsets[0]} (bits {pats[0]})")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-006: saturating, write-clear counters


def _mixed_block(port: Any, geometry: Any, rng: np.random.Generator, half: int, **kw: Any) -> tuple[int, np.ndarray]:
    """A block of 2*half words: single errors in the first half, double errors in the second."""
    start = anywhere(rng, geometry, 2 * half)
    words = random_words(rng, 2 * half)
    port.write(start, words)
    singles = [[int(rng.integers(0, 72))] for _ in range(half)]
    doubles = [[int(x) for x in rng.choice(72, 2, replace=False)] for _ in range(half)]
    port.inject(single_fault_list(start, singles + doubles, **kw))
    return start, words


@pytest.mark.requirement("HWC-EDAC-006")
def test_read_counters_saturate_and_clear(port: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """EDAC_CE_COUNT and EDAC_UE_COUNT count every word read with an error up to 2^counter_bits - 1
    and stay there (1024 single and 1024 double errors read 64 times, the last reads landing
    exactly on the maximum; fewer, read more often, in a small memory); any write (zero or not) sets a
    counter to zero, and it counts again."""
    top = hw.counter_max
    half = min(1024, geometry.words // 4)
    start, _ = _mixed_block(port, geometry, rng, half)
    reads = top // half  # full reads before the counters pass the top
    for r in range(1, reads + 1):
        port.read(start, 2 * half)
        if r % 8 == 0 or r >= reads - 1:
            expect_reg(port, "EDAC_CE_COUNT", min(top, r * half), f"after {r} reads of {half} single errors")
            expect_reg(port, "EDAC_UE_COUNT", min(top, r * half), f"after {r} reads of {half} double errors")
    rest = top - reads * half
    port.read(start, rest)
    expect_reg(port, "EDAC_CE_COUNT", top, f"at exactly {top} correctable errors")
    expect_reg(port, "EDAC_UE_COUNT", reads * half, f"after {reads} reads of double errors")
    port.read(start + half, rest)
    expect_reg(port, "EDAC_UE_COUNT", top, f"at exactly {top} uncorrectable errors")
    for k in range(2):
        port.read(start, 2 * half)
        expect_reg(port, "EDAC_CE_COUNT", top, f"{(k + 1) * half} correctable errors beyond the maximum (saturating, no wrap)")
        expect_reg(port, "EDAC_UE_COUNT", top, f"{(k + 1) * half} uncorrectable errors beyond the maximum (saturating, no wrap)")
    value = int(rng.integers(1, 1 << 16))
    port.set_reg("EDAC_CE_COUNT", value)
    expect_reg(port, "EDAC_CE_COUNT", 0, f"after writing {value} to EDAC_CE_COUNT (any write clears)")
    expect_reg(port, "EDAC_UE_COUNT", top, "after clearing EDAC_CE_COUNT only")
    port.set_reg("EDAC_UE_COUNT", 0)
    expect_reg(port, "EDAC_UE_COUNT", 0, "after writing 0 to EDAC_UE_COUNT (any write clears)")
    port.read(start, 1)
    port.read(start + half, 2)
    expect_reg(port, "EDAC_CE_COUNT", 1, "one correctable error after clearing")
    expect_reg(port, "EDAC_UE_COUNT", 2, "two uncorrectable errors after clearing")


# The scrubber's counters (class scrubbing) are driven like the read counters above, with the
# helpers of this module.
@pytest.mark.requirement("HWC-SCR-004")
def test_scrub_counters_saturate_and_clear(
    port: Any, hw: Any, period: float, geometry: Any, rng: np.random.Generator
) -> None:
    """SCRUB_CE_COUNT and SCRUB_UE_COUNT: h = 1024 words (fewer in a small memory) with a permanent
    single-bit fault (found and corrected at every visit) and h with a double error (found at every
    visit), placed in the middle of memory; checked half a period after visit floor(65535 / h),
    the visit that takes the counts past the 16-bit maximum and the next, then cleared by a write
    and counting again."""
    t_s = port.now  # the scrubber starts at word 0 at power_cycle (watchdog frozen: no reset)
    top = hw.counter_max
    half = min(1024, geometry.words // 8)
    n = 2 * half
    lo, hi = int(0.3 * geometry.words), int(0.7 * geometry.words) - n
    start = int(rng.integers(lo, max(lo, hi) + 1))
    words = random_words(rng, n)
    port.write(start, words)
    singles = [[int(rng.integers(0, 72))] for _ in range(half)]
    doubles = [[int(x) for x in rng.choice(72, 2, replace=False)] for _ in range(half)]
    port.inject(
        single_fault_list(start, singles, type="permanent", time_s=port.now)
        + single_fault_list(start + half, doubles)
    )
    phase = (start + half) / geometry.words  # nominal visits of the block: t_s + (k + phase) * period
    first = max(0, math.ceil((port.now - t_s) / period - phase))  # the first visit after the injection

    def until_visits(visits: int) -> None:
        """Advance to half a period after the block's visit number ``visits`` (1-based)."""
        target = t_s + (first + visits - 1 + phase + 0.5) * period
        while port.now < target - 1e-9:
            port.advance(min(1e8, target - port.now))

    per_visit = top // half  # visits before the counts pass the maximum (63 for h = 1024)
    until_visits(per_visit)
    for name in ("SCRUB_CE_COUNT", "SCRUB_UE_COUNT"):
        expect_reg(port, name, per_visit * half, f"{per_visit} scrubber visits of {half} erroneous words")
    for visits in (per_visit + 1, per_visit + 2):
        until_visits(visits)
        for name in ("SCRUB_CE_COUNT", "SCRUB_UE_COUNT"):
            expect_reg(port, name, top, f"{visits} scrubber visits of {half} erroneous words ({visits * half} errors, saturating)")
    port.set_reg("SCRUB_CE_COUNT", int(rng.integers(1, 1 << 16)))
    port.set_reg("SCRUB_UE_COUNT", 0)
    for name in ("SCRUB_CE_COUNT", "SCRUB_UE_COUNT"):
        expect_reg(port, name, 0, "after a write (any write clears)")
    until_visits(per_visit + 3)
    for name in ("SCRUB_CE_COUNT", "SCRUB_UE_COUNT"):
        expect_reg(port, name, half, f"one scrubber visit of {half} erroneous words after clearing")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-007: correctable-error alarm


@pytest.mark.requirement("HWC-EDAC-007")
@pytest.mark.parametrize("kind", ["one", "random"])
def test_alarm_at_threshold(port: Any, hw: Any, geometry: Any, rng: np.random.Generator, kind: str) -> None:
    """CE_ALARM is clear while EDAC_CE_COUNT is below EDAC_CE_THRESHOLD (checked after every read of
    the last few words before it), set when the count reaches it, and stays set (further errors,
    clearing the counter, writing 0 or the CE/UE bits to EDAC_STATUS) until 1 is written to it.
    Cleared with the count still above the threshold, it stays clear through an error-free read
    and is set again by the next read that counts a correctable error; so it is after the
    threshold is written below the count. It is also set when one multi-word read takes the count
    across the threshold."""
    st = status_bits(hw)
    alarm = st["CE_ALARM"]
    threshold = 1 if kind == "one" else int(rng.integers(4, 200))
    n = threshold + 8
    start = anywhere(rng, geometry, n + 1)
    words = random_words(rng, n + 1)
    port.write(start, words)
    clean_at = start + n  # an error-free word
    port.inject(single_fault_list(start, [[int(rng.integers(0, 72))] for _ in range(n)]))
    port.set_reg("EDAC_CE_THRESHOLD", threshold)
    expect_reg(port, "EDAC_CE_THRESHOLD", threshold, "read back")

    def alarm_is(want: bool, what: str) -> None:
        status = port.reg("EDAC_STATUS")
        count = port.reg("EDAC_CE_COUNT")
        assert bool(status & alarm) == want, (
            f"{what}: EDAC_STATUS = {status:#x} (CE_ALARM {'clear' if not status & alarm else 'set'}) with EDAC_CE_COUNT "
            f"{count} and EDAC_CE_THRESHOLD {threshold}: CE_ALARM should be {'set' if want else 'clear'}"
        )

    bulk = max(0, threshold - 3)
    if bulk:
        port.read(start, bulk)
    alarm_is(False, f"{bulk} correctable errors")
    for i in range(bulk, threshold - 1):
        port.read(start + i, 1)
        alarm_is(False, f"{i + 1} correctable errors")
    port.read(start + threshold - 1, 1)
    expect_reg(port, "EDAC_CE_COUNT", threshold, "counting up to the threshold")
    alarm_is(True, "the count reached the threshold")
    port.read(start + threshold, 4)
    alarm_is(True, "more correctable errors")
    # cleared with the count still at/above the threshold: an error-free read leaves it clear
    # (HWC-EDAC-002), the next read that counts a correctable error sets it again
    port.set_reg("EDAC_STATUS", alarm)
    alarm_is(False, "1 written to CE_ALARM with EDAC_CE_COUNT above the threshold")
    port.read(clean_at, 1)
    alarm_is(False, "an error-free read after CE_ALARM was cleared (HWC-EDAC-002: no status bit changes)")
    port.read(start, 1)
    alarm_is(True, "one more correctable error, with EDAC_CE_COUNT already above the threshold")
    port.set_reg("EDAC_CE_COUNT", 0)
    alarm_is(True, "EDAC_CE_COUNT cleared")
    port.set_reg("EDAC_STATUS", 0)
    alarm_is(True, "0 written to EDAC_STATUS")
    port.set_reg("EDAC_STATUS", st["CE"] | st["UE"])
    alarm_is(True, "1 written to CE and UE only")
    port.set_reg("EDAC_STATUS", alarm)
    alarm_is(False, "1 written to CE_ALARM")
    # the threshold lowered below the count: the next read that counts an error sets the alarm
    high = hw.counter_max
    port.set_reg("EDAC_CE_THRESHOLD", high)
    port.read(start, 3)
    count = port.reg("EDAC_CE_COUNT")
    alarm_is_at = f"{count} correctable errors, threshold {high}"
    status = port.reg("EDAC_STATUS")
    assert not status & alarm, f"{alarm_is_at}: EDAC_STATUS = {status:#x}, CE_ALARM should be clear"
    lower = int(rng.integers(1, count)) if count > 1 else 1
    port.set_reg("EDAC_CE_THRESHOLD", lower)
    port.read(start + 3, 1)
    status = port.reg("EDAC_STATUS")
    assert status & alarm, (
        f"EDAC_CE_THRESHOLD lowered from {high} to {lower} below EDAC_CE_COUNT {count}, then one more correctable error: "
        f"EDAC_STATUS = {status:#x} with EDAC_CE_COUNT {port.reg('EDAC_CE_COUNT')}: CE_ALARM should be set"
    )
    port.set_reg("EDAC_CE_THRESHOLD", threshold)
    port.set_reg("EDAC_STATUS", alarm)
    alarm_is(False, "1 written to CE_ALARM")
    port.set_reg("EDAC_CE_COUNT", 0)
    port.read(start, n)
    alarm_is(True, f"one read of {n} correctable errors from a count of 0 (threshold {threshold})")


@pytest.mark.requirement("HWC-EDAC-007")
def test_no_alarm_with_threshold_zero(port: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """EDAC_CE_THRESHOLD 0 (its reset value, and written explicitly after a nonzero one): CE_ALARM
    stays clear after every read, up to 5 x 4096 correctable errors (fewer in a small memory)."""
    alarm = status_bits(hw)["CE_ALARM"]
    n = min(4096, geometry.words // 2)
    start = anywhere(rng, geometry, n)
    port.write(start, random_words(rng, n))
    port.inject(single_fault_list(start, [[int(rng.integers(0, 72))] for _ in range(n)]))
    for r in range(5):
        if r == 2:
            port.set_reg("EDAC_CE_THRESHOLD", 7)
            port.set_reg("EDAC_CE_THRESHOLD", 0)
        port.read(start, n)
        status = port.reg("EDAC_STATUS")
        assert not status & alarm, (
            f"EDAC_STATUS = {status:#x}: CE_ALARM set with EDAC_CE_THRESHOLD 0 at EDAC_CE_COUNT {port.reg('EDAC_CE_COUNT')}"
        )


@pytest.mark.requirement("HWC-EDAC-007")
def test_alarm_at_the_largest_threshold(port: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Threshold 2^16 - 1 (the counter's maximum): the alarm is clear at 65534 errors and set when
    the count reaches 65535."""
    alarm = status_bits(hw)["CE_ALARM"]
    top = hw.counter_max
    n = min(4096, geometry.words // 2)
    start = anywhere(rng, geometry, n)
    port.write(start, random_words(rng, n))
    port.inject(single_fault_list(start, [[int(rng.integers(0, 72))] for _ in range(n)]))
    port.set_reg("EDAC_CE_THRESHOLD", top)
    for _ in range((top - 1) // n):
        port.read(start, n)
    if (top - 1) % n:
        port.read(start, (top - 1) % n)
    expect_reg(port, "EDAC_CE_COUNT", top - 1, "counting up to one below the threshold")
    status = port.reg("EDAC_STATUS")
    assert not status & alarm, f"EDAC_STATUS = {status:#x}: CE_ALARM set at EDAC_CE_COUNT {top - 1} with threshold {top}"
    port.read(start, 1)
    status = port.reg("EDAC_STATUS")
    assert status & alarm, f"EDAC_STATUS = {status:#x}: CE_ALARM clear at EDAC_CE_COUNT {port.reg('EDAC_CE_COUNT')} with threshold {top}"


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-008: triplicated SYS_CONFIG


def _config_fault(copy: int, mask: int) -> FaultDescriptor:
    return fault("config", "SYS_CONFIG", copy, int(mask).to_bytes(4, "big"))


@pytest.mark.requirement("HWC-EDAC-008")
def test_sys_config_voted_and_repaired(port: Any, rng: np.random.Generator) -> None:
    """Upsets of random bits in single copies never change the value read; a read rewrites every
    copy, so the same bits upset in the other copies one after another (a read between each) never
    change it either; disjoint upsets in all three copies at once are voted out bit by bit; 40
    random single-copy upsets with reads between them leave the value intact."""
    value = int(rng.integers(0, 1 << 32))
    port.set_reg("SYS_CONFIG", value)
    expect_reg(port, "SYS_CONFIG", value, "written")
    for copy in range(3):
        mask = int(rng.integers(1, 1 << 32))
        port.inject([_config_fault(copy, mask)])
        expect_reg(port, "SYS_CONFIG", value, f"upset of copy {copy} (mask {mask:#010x})")
    mask = int(rng.integers(1, 1 << 32))
    for copy in (int(c) for c in rng.permutation(3)):
        port.inject([_config_fault(copy, mask)])
        expect_reg(port, "SYS_CONFIG", value, f"the same bits (mask {mask:#010x}) upset in copy {copy} after a read")
    bit = 1 << int(rng.integers(0, 32))
    for copy in (0, 1, 0, 2, 1, 2):
        port.inject([_config_fault(copy, bit)])
        expect_reg(port, "SYS_CONFIG", value, f"bit {bit.bit_length() - 1} upset again in copy {copy} after a read")
    perm = rng.permutation(32)
    masks = [sum(1 << int(b) for b in perm[k::3]) for k in range(3)]
    port.inject([_config_fault(k, m) for k, m in enumerate(masks)])
    expect_reg(port, "SYS_CONFIG", value, f"disjoint upsets of all three copies ({[hex(m) for m in masks]})")
    for _ in range(40):
        copy, mask = int(rng.integers(0, 3)), int(rng.integers(1, 1 << 32))
        port.inject([_config_fault(copy, mask)])
        expect_reg(port, "SYS_CONFIG", value, f"random upset of copy {copy} (mask {mask:#010x})")
    value2 = int(rng.integers(0, 1 << 32))
    port.set_reg("SYS_CONFIG", value2)
    port.inject([_config_fault(int(rng.integers(0, 3)), int(rng.integers(1, 1 << 32)))])
    expect_reg(port, "SYS_CONFIG", value2, "rewritten, then one copy upset")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-009: permanent and intermittent faults


@pytest.mark.requirement("HWC-EDAC-009")
def test_permanent_faults_corrected_on_every_read(port: Any, code: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """72 words with a permanent flip of each codeword bit, and words stuck at 1 (0) in a bit the data
    holds as 0 (1): corrected and counted on each of several reads, at different times and after
    the words are rewritten with new data (the fault stays whatever is written)."""
    columns = code.data_columns
    n = 72 + 32
    start = anywhere(rng, geometry, n)
    flips = [int(b) for b in rng.permutation(72)]

    def stuck_patterns(words: np.ndarray) -> tuple[list[int], list[int]]:
        """For the last 32 words: a codeword bit at 0 (stuck-at-1 words) or at 1 (stuck-at-0)."""
        checks = check_bits(words, columns)
        out_bits, modes = [], []
        for i in range(72, n):
            cw = int(words[i]) | (int(checks[i]) << 64)
            want = 0 if i < 72 + 16 else 1
            candidates = [b for b in range(72) if (cw >> b) & 1 == want]
            out_bits.append(int(rng.choice(candidates)))
            modes.append(want)
        return out_bits, modes

    words = random_words(rng, n)
    port.write(start, words)
    stuck_bits, stuck_vals = stuck_patterns(words)
    faults = [memory_fault(start + i, [flips[i]], type="permanent", time_s=port.now) for i in range(72)]
    faults += [
        memory_fault(start + 72 + k, [b], type="permanent", mode="stuck-at-0" if v else "stuck-at-1", time_s=port.now)
        for k, (b, v) in enumerate(zip(stuck_bits, stuck_vals, strict=True))
    ]
    port.inject(faults)
    everything = set(range(n))
    for step in range(3):
        if step == 1:
            port.advance(float(rng.uniform(0.5, 20.0)))
        if step == 2:
            words = random_words(rng, n)
            # keep the stuck bits in error: the new data must hold the opposite of the stuck value
            checks = check_bits(words, columns)
            for k, (b, v) in enumerate(zip(stuck_bits, stuck_vals, strict=True)):
                i = 72 + k
                if b < 64 and ((int(words[i]) >> b) & 1) != v:
                    words[i] ^= U64(1) << U64(b)
                elif b >= 64 and ((int(checks[i]) >> (b - 64)) & 1) != v:
                    words[i] = U64(int(words[i]) ^ next(1 << d for d in range(64) if (int(columns[d]) >> (b - 64)) & 1))
            port.write(start, words)
        ce = port.reg("EDAC_CE_COUNT")
        what = ["first read", f"read at t = {port.now:.3f} s", "read after rewriting the words"][step]
        expect_read(port, start, words, geometry, f"permanent single-bit faults, {what}", corrected=everything)
        expect_reg(port, "EDAC_CE_COUNT", min(hw.counter_max, ce + n), f"permanent single-bit faults, {what}")


@pytest.mark.requirement("HWC-EDAC-009")
def test_permanent_fault_from_its_time(port: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """A permanent fault scheduled 5 s ahead leaves the word clean until then, and is corrected and
    counted on every read from then on."""
    n = 16
    start = anywhere(rng, geometry, n)
    words = random_words(rng, n)
    port.write(start, words)
    port.inject([memory_fault(start + i, [int(rng.integers(0, 72))], type="permanent", time_s=port.now + 5.0) for i in range(n)])
    expect_read(port, start, words, geometry, "before a permanent fault's time")
    port.advance(6.0)
    for k in range(2):
        ce = port.reg("EDAC_CE_COUNT")
        expect_read(port, start, words, geometry, f"read {k + 1} after a permanent fault's time", corrected=set(range(n)))
        expect_reg(port, "EDAC_CE_COUNT", ce + n, f"read {k + 1} of {n} words with permanent faults")


@pytest.mark.requirement("HWC-EDAC-009")
def test_intermittent_faults_corrected_while_active(port: Any, code: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Intermittent flips (period 10 s, active 3 s of each): while active the stored codeword shows
    the flip and every read corrects and counts it; while inactive the word is clean and reads
    change no counter. Checked mid-window in three periods."""
    columns = code.data_columns
    n = 24
    period, duration = 10.0, 3.0
    start = anywhere(rng, geometry, n)
    words = random_words(rng, n)
    port.write(start, words)
    pats = [[int(rng.integers(0, 72))] for _ in range(n)]
    dm, cm = bit_masks(pats)
    checks = check_bits(words, columns)
    t0 = port.now
    port.inject([memory_fault(start + i, p, type="intermittent", time_s=t0, period_s=period, duration_s=duration) for i, p in enumerate(pats)])
    for at, active in ((1.5, True), (6.5, False), (11.5, True), (16.0, False), (22.0, True), (28.0, False)):
        port.advance(t0 + at - port.now)
        state = "active" if active else "inactive"
        expect_raw(port, start, words ^ dm if active else words, checks ^ cm if active else checks, geometry,
                   f"intermittent fault {state} at {at} s into its period of {period} s")
        ce = port.reg("EDAC_CE_COUNT")
        expect_read(port, start, words, geometry, f"intermittent fault {state} at t0 + {at} s", corrected=set(range(n)) if active else set())
        expect_reg(port, "EDAC_CE_COUNT", ce + (n if active else 0), f"intermittent fault {state} at t0 + {at} s")


# --------------------------------------------------------------------------------------------------
# HWC-EDAC-010: register map, address decoding


def address_line_probes(words: int) -> list[int]:
    """Addresses that tell every address line apart (the walking-one/walking-zero pattern of
    memory address-bus tests): 0, M - 1, and for every k with 2^k < M the word 2^k (line k alone
    high) and (M - 1) XOR 2^k (line k alone low, when it is a word of memory)."""
    out = {0, words - 1}
    k = 0
    while (1 << k) < words:
        out.add(1 << k)
        if ((words - 1) ^ (1 << k)) < words:
            out.add((words - 1) ^ (1 << k))
        k += 1
    return sorted(out)


@pytest.mark.requirement("HWC-EDAC-010")
def test_every_address_a_distinct_word(port: Any, code: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Distinct random words written one by one at 0, 2^k and (M - 1) XOR 2^k for every address
    line k (2^k < M), at the first and last word of every bank and at random words, then all read
    back raw: a stuck or shorted address line makes two of these addresses one cell, and the later
    write overwrites the earlier. Then read back again in reverse write order with fresh words."""
    columns = code.data_columns
    addresses = sorted(set(address_line_probes(geometry.words)) | set(geometry.spread(rng, 2)))
    for rnd in range(2):
        words = random_words(rng, len(addresses))
        while np.unique(words).size < words.size:  # distinct words, so that an alias cannot hide
            words = random_words(rng, len(addresses))
        order = range(len(addresses)) if rnd == 0 else range(len(addresses) - 1, -1, -1)
        for i in order:
            port.write(addresses[i], words[i : i + 1])
        for i, a in enumerate(addresses):
            got_d, got_c = port.read_raw(a, 1)
            if int(got_d[0]) != int(words[i]) or int(got_c[0]) != int(check_bits(words[i : i + 1], columns)[0]):
                alias = [addresses[j] for j in np.flatnonzero(words == got_d[0])]
                raise AssertionError(
                    f"{len(addresses)} distinct words written at address-line probes: mem_read_raw of {geometry.where(a)} "
                    f"holds data {int(got_d[0]):#018x}, written {int(words[i]):#018x}"
                    + (f": the word written at {alias[0]:#x} (address bits {a ^ alias[0]:#x} differ), one cell for both" if alias else "")
                )


def memory_registers(hw: Any) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in hw.registers.items() if r.get("class") == "memory-edac"}


def unknown_names(hw: Any, rng: np.random.Generator) -> list[str]:
    """Register names not in the map: a random one, and near misses of EDAC_STATUS."""
    names = [f"NO_SUCH_REG_{int(rng.integers(0, 1 << 32)):08X}", "EDAC_STATUS_X", "EDAC_STATU"]
    return [n for n in names if n not in hw.registers]


@pytest.mark.requirement("HWC-EDAC-010")
def test_register_map_access_width_reset(port: Any, hw: Any, geometry: Any, rng: np.random.Generator) -> None:
    """Parameter registers, class memory-edac: every register reads its reset value after
    power_cycle; writes to a read-only register (0, all ones, random) are ignored, with the
    register holding a captured value; a read-write register reads back what was written masked
    to its width; no value read exceeds the register's width; a read or write of a name not in the
    map is an error reply and changes no register."""
    regs = memory_registers(hw)
    if not regs:
        inconclusive("parameter registers lists no register of class memory-edac")
    for name, r in regs.items():
        expect_reg(port, name, int(r["reset"]), "after power_cycle (reset value of parameter registers)")
    # give the read-only registers a nonzero value: capture an uncorrectable error
    a = int(rng.integers(1, geometry.words))
    port.write(a, random_words(rng, 1))
    port.inject([memory_fault(a, [int(x) for x in rng.choice(72, 2, replace=False)])])
    port.read(a, 1)
    for name, r in regs.items():
        width = (1 << int(r["bits"])) - 1
        if r["access"] == "ro":
            held = port.reg(name)
            for value in (0, 0xFFFFFFFF, int(rng.integers(1, 1 << 32))):
                port.set_reg(name, value)
                expect_reg(port, name, held, f"{value:#x} written to read-only {name} (writes ignored)")
        elif r["access"] == "rw":
            for value in (0xFFFFFFFF, int(rng.integers(1 << int(r["bits"]), 1 << 32)) if r["bits"] < 32 else 0, int(rng.integers(0, 1 << 32))):
                port.set_reg(name, value)
                expect_reg(port, name, value & width, f"{value:#x} written to {r['bits']}-bit read-write {name}")
            port.set_reg(name, int(r["reset"]))
        got = port.reg(name)
        assert got <= width, f"{name} = {got:#x} exceeds its width of {r['bits']} bits"
    before = {name: port.reg(name) for name in regs}
    for bad in unknown_names(hw, rng):
        err = refusal(port.iut.reg_read, bad)
        assert err is not None, f"reg_read({bad!r}) of a name not in parameter registers returned a value instead of an error"
        err = refusal(port.iut.reg_write, bad, 0xFFFFFFFF)
        assert err is not None, f"reg_write({bad!r}, 0xffffffff) of a name not in parameter registers was accepted"
    after = {name: port.reg(name) for name in regs}
    changed = {k: (before[k], after[k]) for k in regs if before[k] != after[k]}
    assert not changed, f"refused accesses to unknown registers changed registers (before, after): {changed}"
