"""The simulated compute module (reference_impl.hardware.module / iut) against the spec text.

Oracles: the check bits are recomputed bit by bit from the spec's parity-check columns (parameter
edac_codes) with Python integers; syndromes are XORs of the spec's columns of the flipped bits;
scrubber, watchdog and latch-up timings are checked against the spec's tolerances and closed-form
visit times; the register semantics against the spec's register table.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from orbitcert.reference_impl.hardware import edac
from orbitcert.reference_impl.hardware.iut import ReferenceComputeModule, create, reference_ics_items
from orbitcert.reference_impl.hardware.module import LATCHUP_DAMAGE_S, ComputeModule, HardwareError

SPEC_FILE = "specs/catalog/hw-compute-module/1.0.0.yaml"
KEY = 0x5AFE
DOMAINS = ["core", "memory", "accelerator", "io"]


@pytest.fixture(scope="module")
def spec() -> Any:
    from orbitcert.specs.loader import load_spec_file

    return load_spec_file(SPEC_FILE).spec


@pytest.fixture(scope="module")
def columns(spec: Any) -> list[int]:
    cols = spec.parameter("edac_codes")["hsiao-72-64"]["data_columns"]
    return list(cols) if cols else list(edac.HSIAO_72_64_DATA_COLUMNS)


def quiet(**items: Any) -> ReferenceComputeModule:
    """A reference module whose watchdog does not interfere (long timeout)."""
    return create(items={"watchdog_timeout_s": 1e7, **items})


def word_bytes(*words: int) -> bytes:
    return b"".join(int(w).to_bytes(8, "big") for w in words)


def mask_of(bits: list[int] | tuple[int, ...]) -> bytes:
    data = sum(1 << b for b in bits if b < 64)
    check = sum(1 << (b - 64) for b in bits if b >= 64)
    return data.to_bytes(8, "big") + bytes([check])


def mem_fault(
    address: int,
    bits: Any,
    kind: str = "transient",
    mode: str = "flip",
    time_s: float = 0.0,
    period_s: float = 0.0,
    duration_s: float = 0.0,
) -> dict[str, Any]:
    return {
        "component": "memory",
        "target": "memory",
        "type": kind,
        "mode": mode,
        "time_s": time_s,
        "address": address,
        "mask": mask_of(bits),
        "period_s": period_s,
        "duration_s": duration_s,
    }


def config_fault(copy: int, mask: int, time_s: float = 0.0) -> dict[str, Any]:
    return {
        "component": "config",
        "target": "SYS_CONFIG",
        "type": "transient",
        "mode": "flip",
        "time_s": time_s,
        "address": copy,
        "mask": mask.to_bytes(4, "big"),
        "period_s": 0,
        "duration_s": 0,
    }


def power_fault(domain: str, time_s: float) -> dict[str, Any]:
    return {
        "component": "power",
        "target": domain,
        "type": "permanent",
        "mode": "flip",
        "time_s": time_s,
        "address": 0,
        "mask": b"",
        "period_s": 0,
        "duration_s": 0,
    }


def oracle_check(word: int, columns: list[int]) -> int:
    """c_j = parity of the data bits whose column has bit j set (H_d d over GF(2)), bit by bit."""
    check = 0
    for j in range(8):
        parity = 0
        for b in range(64):
            if (word >> b) & 1 and (columns[b] >> j) & 1:
                parity ^= 1
        check |= parity << j
    return check


def column(bit: int, columns: list[int]) -> int:
    return columns[bit] if bit < 64 else 1 << (bit - 64)


def raw_words(m: ComputeModule, address: int, count: int) -> list[tuple[int, int]]:
    blob = m.mem_read_raw(address, count)
    return [(int.from_bytes(blob[9 * i : 9 * i + 8], "big"), blob[9 * i + 8]) for i in range(count)]


# ---- ICS and factory ------------------------------------------------------------------------------


def test_reference_ics_validates_against_the_spec(spec: Any) -> None:
    from orbitcert.specs.ics import load_ics

    ics = load_ics("reference_impl/ics/hw-compute-module.yaml", spec)
    assert set(ics.classes) == {c.id for c in spec.classes}
    items = reference_ics_items()
    m = create(spec)
    assert m.memory_words == items["memory_words"] == 2**27
    assert m.scrub_period_s == items["scrub_period_s"]
    assert m.latchup_domains == tuple(items["latchup_domains"])
    assert m.power_cycle() == 0.0


# ---- memory-edac ------------------------------------------------------------------------------------


def test_edac_001_stored_codeword_layout_and_check_bits(columns: list[int]) -> None:
    rng = np.random.default_rng(np.random.SeedSequence(1001))
    words = [int(w) for w in rng.integers(0, 2**63, 64, dtype=np.uint64) * 2 + rng.integers(0, 2, 64, dtype=np.uint64)]
    words += [0, 2**64 - 1, 1, 1 << 63]
    m = create()
    base = m.memory_words - len(words)  # top of memory: the last bank
    assert m.mem_write(base, word_bytes(*words)) == len(words)
    blob = m.mem_read_raw(base, len(words))
    assert len(blob) == 9 * len(words)
    for i, w in enumerate(words):
        assert blob[9 * i : 9 * i + 8] == w.to_bytes(8, "big")
        assert blob[9 * i + 8] == oracle_check(w, columns)


def test_edac_002_clean_read_changes_nothing() -> None:
    m = create()
    data = word_bytes(*range(1000, 1100))
    m.mem_write(5000, data)
    before = {
        n: m.reg_read(n)
        for n in ("EDAC_STATUS", "EDAC_CE_COUNT", "EDAC_UE_COUNT", "EDAC_FAIL_ADDR", "EDAC_FAIL_SYNDROME")
    }
    result = m.mem_read(5000, 100)
    assert result == {"data": data, "corrected": [], "uncorrectable": []}
    assert m.mem_read(0, 16)["data"] == bytes(128)  # never written: zero words
    after = {n: m.reg_read(n) for n in before}
    assert before == after == dict.fromkeys(before, 0)


def test_edac_003_every_single_bit_error_is_corrected(columns: list[int]) -> None:
    m = create()
    rng = np.random.default_rng(np.random.SeedSequence(1003))
    words = [int(w) for w in rng.integers(0, 2**62, 72, dtype=np.uint64)]
    m.mem_write(100, word_bytes(*words))
    m.inject([mem_fault(100 + b, [b]) for b in range(72)])
    raw = raw_words(m, 100, 72)
    for b, (data, check) in enumerate(raw):  # the fault is in the stored codeword
        assert data ^ words[b] == (1 << b if b < 64 else 0)
        assert check ^ oracle_check(words[b], columns) == (1 << (b - 64) if b >= 64 else 0)
    result = m.mem_read(100, 72)
    assert result["data"] == word_bytes(*words)
    assert result["corrected"] == list(range(72)) and result["uncorrectable"] == []
    assert m.reg_read("EDAC_CE_COUNT") == 72 and m.reg_read("EDAC_UE_COUNT") == 0
    assert m.reg_read("EDAC_STATUS") & 1 and not m.reg_read("EDAC_STATUS") & 2
    assert m.reg_read("EDAC_FAIL_ADDR") == 100 and m.reg_read("EDAC_FAIL_SYNDROME") == columns[0]
    assert raw_words(m, 100, 72) == raw  # a read does not write memory


def test_edac_004_double_errors_are_uncorrectable_and_memory_unchanged(columns: list[int]) -> None:
    m = create()
    rng = np.random.default_rng(np.random.SeedSequence(1004))
    pairs = [tuple(int(b) for b in rng.choice(72, 2, replace=False)) for _ in range(300)]
    pairs += [(b, b + 1) for b in range(71)]
    m.mem_write(0, word_bytes(*range(7, 7 + len(pairs))))
    m.inject([mem_fault(i, list(p)) for i, p in enumerate(pairs)])
    raw = raw_words(m, 0, len(pairs))
    result = m.mem_read(0, len(pairs))
    assert result["uncorrectable"] == list(range(len(pairs))) and result["corrected"] == []
    assert m.reg_read("EDAC_UE_COUNT") == len(pairs) and m.reg_read("EDAC_CE_COUNT") == 0
    assert m.reg_read("EDAC_STATUS") & 0b11 == 0b10
    assert m.reg_read("EDAC_FAIL_SYNDROME") == column(pairs[0][0], columns) ^ column(pairs[0][1], columns)
    assert raw_words(m, 0, len(pairs)) == raw


def test_edac_005_first_error_capture_and_w1c(columns: list[int]) -> None:
    m = create()
    m.inject([mem_fault(300, [5]), mem_fault(200, [70]), mem_fault(400, [1, 2])])
    m.mem_read(300, 1)
    assert (m.reg_read("EDAC_FAIL_ADDR"), m.reg_read("EDAC_FAIL_SYNDROME")) == (300, columns[5])
    m.mem_read(200, 1)
    m.mem_read(400, 1)  # later errors do not overwrite the capture
    assert (m.reg_read("EDAC_FAIL_ADDR"), m.reg_read("EDAC_FAIL_SYNDROME")) == (300, columns[5])
    assert m.reg_read("EDAC_STATUS") == 0b011
    m.reg_write("EDAC_STATUS", 0)  # writing 0 changes nothing
    assert m.reg_read("EDAC_STATUS") == 0b011
    m.reg_write("EDAC_STATUS", 0b001)  # clear CE only: UE still set, capture still held
    assert m.reg_read("EDAC_STATUS") == 0b010
    m.mem_read(200, 1)
    assert m.reg_read("EDAC_FAIL_ADDR") == 300
    m.reg_write("EDAC_STATUS", 0b011)
    assert m.reg_read("EDAC_STATUS") == 0
    m.mem_read(400, 1)  # both clear: the next error is captured
    assert (m.reg_read("EDAC_FAIL_ADDR"), m.reg_read("EDAC_FAIL_SYNDROME")) == (400, columns[1] ^ columns[2])
    m.reg_write("EDAC_FAIL_ADDR", 7)  # read-only: ignored
    assert m.reg_read("EDAC_FAIL_ADDR") == 400


def test_edac_006_counters_saturate_and_clear_on_write() -> None:
    m = quiet(memory_words=2**17, scrub_period_s=10.0)
    n = 65536
    m.inject([mem_fault(a, [a % 72]) for a in range(n)])
    result = m.mem_read(0, n)
    assert len(result["corrected"]) == n
    assert m.reg_read("EDAC_CE_COUNT") == 2**16 - 1
    m.mem_read(0, 10)
    assert m.reg_read("EDAC_CE_COUNT") == 2**16 - 1  # never wraps
    m.advance(10.0)  # one full scrubber pass: 65536 words corrected and written back
    assert m.reg_read("SCRUB_CE_COUNT") == 2**16 - 1
    for name in ("EDAC_CE_COUNT", "SCRUB_CE_COUNT"):
        m.reg_write(name, 12345)  # any write clears
        assert m.reg_read(name) == 0
    assert m.mem_read(0, n)["corrected"] == []  # the scrubber repaired every word


def test_edac_007_ce_alarm_threshold() -> None:
    m = create()
    m.inject([mem_fault(a, [3]) for a in range(10)])
    m.mem_read(0, 5)
    assert not m.reg_read("EDAC_STATUS") & 4  # threshold 0: never
    m.reg_write("EDAC_CE_COUNT", 0)
    m.reg_write("EDAC_CE_THRESHOLD", 3)
    m.mem_read(0, 2)
    assert m.reg_read("EDAC_CE_COUNT") == 2 and not m.reg_read("EDAC_STATUS") & 4
    m.mem_read(2, 1)
    assert m.reg_read("EDAC_CE_COUNT") == 3 and m.reg_read("EDAC_STATUS") & 4
    m.reg_write("EDAC_STATUS", 0b011)  # clearing CE/UE leaves the alarm
    assert m.reg_read("EDAC_STATUS") == 0b100
    m.reg_write("EDAC_STATUS", 0b100)
    assert m.reg_read("EDAC_STATUS") == 0


def test_edac_008_tmr_config_register() -> None:
    m = create()
    m.reg_write("SYS_CONFIG", 0xDEADBEEF)
    m.inject([config_fault(1, 1 << 7)])
    assert m.reg_read("SYS_CONFIG") == 0xDEADBEEF  # a single upset copy is outvoted
    m.inject([config_fault(2, 1 << 7)])  # same bit, other copy, after a read (which scrubbed copy 1)
    assert m.reg_read("SYS_CONFIG") == 0xDEADBEEF
    m.inject([config_fault(c, 0xFFFFFFFF) for c in range(3)])  # one upset in each copy... all bits
    assert m.reg_read("SYS_CONFIG") == 0xDEADBEEF ^ 0xFFFFFFFF  # ... is a real change (voter sees 3 of 3)
    m.reg_write("SYS_CONFIG", 5)
    m.inject([config_fault(0, 2), config_fault(1, 2)])  # two copies without a read between: the vote flips
    assert m.reg_read("SYS_CONFIG") == 7
    with pytest.raises(HardwareError, match="copy"):
        m.inject([config_fault(3, 1)])
    plain = create(items={"config_tmr": False})
    plain.reg_write("SYS_CONFIG", 5)
    plain.inject([config_fault(0, 1)])
    assert plain.reg_read("SYS_CONFIG") == 4  # no voter without TMR


def test_edac_009_permanent_stuck_and_intermittent_faults() -> None:
    m = create()
    m.mem_write(10, word_bytes(0b1000, 0b1000, 0b1000))
    m.inject(
        [
            mem_fault(10, [40], kind="permanent"),
            mem_fault(11, [3], kind="permanent", mode="stuck-at-1"),  # already 1: invisible
            mem_fault(12, [3], kind="permanent", mode="stuck-at-0"),
        ]
    )
    for k in range(1, 4):  # corrected and counted on every read
        result = m.mem_read(10, 3)
        assert result["corrected"] == [0, 2] and result["data"] == word_bytes(8, 8, 8)
        assert m.reg_read("EDAC_CE_COUNT") == 2 * k
    m.mem_write(10, word_bytes(1, 0))  # a write does not remove a permanent fault
    assert m.mem_read(10, 2) == {"data": word_bytes(1, 0), "corrected": [0, 1], "uncorrectable": []}
    assert raw_words(m, 11, 1)[0][0] == 0b1000  # mem_read_raw shows the stuck bit
    # intermittent: active while (t - 5) mod 10 < 1
    m.inject([mem_fault(50, [9], kind="intermittent", time_s=5.0, period_s=10.0, duration_s=1.0)])
    expected = {2.0: False, 5.5: True, 7.0: False, 15.2: True, 16.5: False, 25.9: True}
    for t, active in expected.items():
        m.reg_write("WDOG_SERVICE", KEY)
        while m.time < t - 0.5:
            m.advance(0.5)
            m.reg_write("WDOG_SERVICE", KEY)
        m.advance(t - m.time)
        assert (m.mem_read(50, 1)["corrected"] == [0]) is active, t


def test_future_faults_take_effect_when_time_reaches_them() -> None:
    m = create()
    assert m.inject([mem_fault(7, [1], time_s=0.5), mem_fault(8, [2], time_s=0.25)]) == 2
    assert m.mem_read(7, 2)["corrected"] == []
    m.advance(0.3)
    assert m.mem_read(7, 2)["corrected"] == [1]
    m.advance(0.3)
    assert m.mem_read(7, 2)["corrected"] == [0, 1]
    m.inject([mem_fault(9, [4], time_s=0.1)])  # in the past: at once
    assert m.mem_read(9, 1)["corrected"] == [0]


# ---- scrubbing ----------------------------------------------------------------------------------


def test_scr_001_sparse_full_memory_scrub_is_fast_and_complete() -> None:
    m = quiet()
    big_m, period = m.memory_words, m.scrub_period_s
    assert big_m == 2**27
    rng = np.random.default_rng(np.random.SeedSequence(2001))
    banks = m.memory_banks
    per_bank = big_m // banks
    addrs = np.concatenate([b * per_bank + rng.choice(per_bank, 75, replace=False) for b in range(banks)])
    times = rng.uniform(0.0, period, addrs.size)
    bits = rng.integers(0, 72, addrs.size)
    m.mem_write(int(addrs[0]), word_bytes(0x0123456789ABCDEF))
    m.inject([mem_fault(int(a), [int(b)], time_s=float(t)) for a, b, t in zip(addrs, bits, times, strict=True)])
    tol = max(0.001, 0.001 * period)
    start = time.perf_counter()
    m.advance(2 * period + tol)  # every fault is at most one period plus the tolerance old at its next visit
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, elapsed
    assert m.reg_read("SCRUB_CE_COUNT") == addrs.size
    assert m.reg_read("SCRUB_UE_COUNT") == 0
    for a in addrs:  # every faulty word was written back clean
        data, check = raw_words(m, int(a), 1)[0]
        assert m.code.syndrome(np.array([data], np.uint64), np.array([check], np.uint8))[0] == 0
    assert m.mem_read(int(addrs[0]), 1)["data"] == word_bytes(0x0123456789ABCDEF)
    assert m.reg_read("EDAC_CE_COUNT") == 0  # the scrubber is not the processor's read path


def test_scr_001_visit_within_period_plus_tolerance_in_every_bank() -> None:
    m = quiet(memory_words=2**20, scrub_period_s=100.0)
    period, big_m = m.scrub_period_s, m.memory_words
    tol = max(0.001, 0.001 * period)
    rng = np.random.default_rng(np.random.SeedSequence(2002))
    addrs = sorted({int(a) for a in rng.integers(0, big_m, 200)} | {0, big_m - 1, big_m // 4, big_m // 2})
    m.advance(37.0)  # any phase
    t0 = m.time
    m.inject([mem_fault(a, [11], time_s=t0) for a in addrs])
    # brute-force oracle of the visit schedule: word a is visited M / T words per second from 0
    rate = big_m / period
    m.advance(period + tol)
    assert m.reg_read("SCRUB_CE_COUNT") == len(addrs)
    # before a word's visit its error is still there: stop halfway through a period and compare
    m2 = quiet(memory_words=2**20, scrub_period_s=100.0)
    m2.inject([mem_fault(a, [11]) for a in addrs])
    m2.advance(period / 2)
    swept = [a for a in addrs if (a + 1) / rate <= period / 2 - tol]
    pending = [a for a in addrs if (a + 1) / rate > period / 2 + tol]
    for a in swept:
        assert raw_words(m2, a, 1)[0][0] == 0
    for a in pending:
        assert raw_words(m2, a, 1)[0][0] == 1 << 11
    assert len(swept) + len(pending) >= 0.9 * len(addrs)


def test_scr_002_uncorrectable_counted_per_visit_and_not_rewritten() -> None:
    m = quiet(memory_words=4096, scrub_period_s=1.0)
    m.mem_write(0, word_bytes(*range(1, 4097)))
    clean_before = m.mem_read_raw(0, 4096)
    m.inject([mem_fault(100, [0, 70]), mem_fault(2000, [5, 6])])
    raw_bad = raw_words(m, 100, 1), raw_words(m, 2000, 1)
    m.advance(3.0)  # three passes
    assert m.reg_read("SCRUB_UE_COUNT") == 6 and m.reg_read("SCRUB_CE_COUNT") == 0
    assert (raw_words(m, 100, 1), raw_words(m, 2000, 1)) == raw_bad
    assert m.mem_read(100, 1)["uncorrectable"] == [0]
    after = m.mem_read_raw(0, 4096)
    good = [i for i in range(4096) if i not in (100, 2000)]
    assert all(after[9 * i : 9 * i + 9] == clean_before[9 * i : 9 * i + 9] for i in good)


def test_scr_permanent_fault_counted_once_per_pass() -> None:
    m = quiet(memory_words=2**16, scrub_period_s=2.0)
    m.mem_write(1234, word_bytes(99))
    m.inject([mem_fault(1234, [64], kind="permanent")])
    m.advance(6.0)
    assert m.reg_read("SCRUB_CE_COUNT") == 3
    assert m.mem_read(1234, 1) == {"data": word_bytes(99), "corrected": [0], "uncorrectable": []}
    m.advance(2000.0)  # many passes at once: still one per pass
    assert m.reg_read("SCRUB_CE_COUNT") == 1003
    assert m.reg_read("SCRUB_PASSES") == 1003


def test_scr_003_position_and_passes() -> None:
    m = quiet()
    big_m, period = m.memory_words, m.scrub_period_s
    tol = 0.01 * big_m
    for t in (0.0, 1.0, 900.0, 1799.5, 3599.0, 3601.0, 10000.0, 40000.25):
        m.advance(t - m.time)
        expected = (big_m * t / period) % big_m
        position = m.reg_read("SCRUB_POSITION")
        assert 0 <= position < big_m
        assert min(abs(position - expected), big_m - abs(position - expected)) <= tol
        assert abs(m.reg_read("SCRUB_PASSES") - int(t // period)) <= 1


# ---- watchdog -----------------------------------------------------------------------------------


def test_wdg_001_serviced_watchdog_never_resets() -> None:
    m = create()
    for _ in range(50):
        m.advance(0.9)
        m.reg_write("WDOG_SERVICE", KEY)
        assert m.reg_read("WDOG_SERVICE") == 0  # write-only
    assert m.reg_read("SYS_RESET_COUNT") == 0 and m.event_log() == []


def test_wdg_002_reset_at_timeout_and_wrong_key_ignored() -> None:
    m = create()
    timeout = m.watchdog_timeout_s
    tol = max(0.001, 0.001 * timeout)
    m.reg_write("EDAC_CE_THRESHOLD", 9)
    m.reg_write("SYS_CONFIG", 3)
    m.mem_write(77, word_bytes(42))
    m.inject([mem_fault(78, [1], kind="permanent")])
    m.advance(0.5)
    m.reg_write("WDOG_SERVICE", KEY ^ 1)  # not the key: no service
    m.advance(timeout - tol - 0.5)
    assert m.reg_read("SYS_RESET_COUNT") == 0
    m.advance(2 * tol)
    assert m.reg_read("SYS_RESET_COUNT") == 1
    assert m.reg_read("SYS_RESET_CAUSE") == 1
    (event,) = m.event_log()
    assert event["kind"] == "reset" and abs(event["time_s"] - timeout) <= tol
    assert m.reg_read("EDAC_CE_THRESHOLD") == 0 and m.reg_read("SYS_CONFIG") == 0  # reset values
    assert m.reg_read("SCRUB_POSITION") < 0.01 * m.memory_words  # the scrubber restarted at 0
    assert m.mem_read(77, 2) == {"data": word_bytes(42, 0), "corrected": [1], "uncorrectable": []}


def test_wdg_003_safe_state_after_reset_loop_limit() -> None:
    m = create()
    limit, timeout = m.reset_loop_limit, m.watchdog_timeout_s
    m.advance(limit * timeout + 0.5)
    assert m.reg_read("SYS_RESET_COUNT") == limit and m.reg_read("SYS_STATE") == 0
    m.advance(timeout)
    assert m.reg_read("SYS_STATE") == 1 and m.reg_read("SYS_RESET_COUNT") == limit
    m.advance(100.0)
    assert m.reg_read("SYS_STATE") == 1 and m.reg_read("SYS_RESET_COUNT") == limit
    kinds = [e["kind"] for e in m.event_log()]
    assert kinds == ["reset"] * limit + ["safe-state"]
    assert m.power_cycle() == m.time
    assert (m.reg_read("SYS_STATE"), m.reg_read("SYS_RESET_CAUSE"), m.reg_read("SYS_RESET_COUNT")) == (0, 0, 0)
    assert m.event_log() == []
    m.advance(timeout + 0.01)
    assert m.reg_read("SYS_RESET_COUNT") == 1  # the watchdog runs again


def test_wdg_004_service_clears_the_consecutive_count() -> None:
    m = create()
    limit, timeout = m.reset_loop_limit, m.watchdog_timeout_s
    m.advance(limit * timeout + 0.5)  # limit consecutive resets
    m.reg_write("WDOG_SERVICE", KEY)
    m.advance(limit * timeout + 0.2)  # limit more: still running
    assert m.reg_read("SYS_STATE") == 0 and m.reg_read("SYS_RESET_COUNT") == 2 * limit
    m.advance(timeout)
    assert m.reg_read("SYS_STATE") == 1


# ---- latchup ------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
def test_sel_001_002_003_latchup_detected_and_power_cycled(domain: str) -> None:
    m = quiet()
    response = m.latchup_response_s
    bit = 1 << DOMAINS.index(domain)
    m.mem_write(500, word_bytes(*range(64)))
    raw = m.mem_read_raw(500, 64)
    onset = 0.0123456
    m.inject([power_fault(domain, onset)])
    m.advance(onset + 1e-7)
    assert m.reg_read("LU_LATCHED") == bit and m.reg_read("LU_COUNT") == 0
    m.advance(response)
    assert m.reg_read("LU_LATCHED") == 0 and m.reg_read("LU_DOMAINS_ON") == 0b1111
    assert m.reg_read("LU_COUNT") == 1
    log = [e for e in m.event_log() if e["kind"] != "reset"]
    assert [(e["kind"], e["domain"]) for e in log] == [("latchup-detected", domain), ("power-cycled", domain)]
    times = [e["time_s"] for e in m.event_log()]
    assert times == sorted(times)
    assert all(onset <= t <= onset + response for t in times)
    assert m.mem_read_raw(500, 64) == raw  # memory content unchanged
    if domain == "core":
        assert m.reg_read("SYS_RESET_CAUSE") == 2 and m.reg_read("SYS_RESET_COUNT") == 1
        assert m.event_log()[-1]["kind"] == "reset"
        assert m.reg_read("LU_COUNT") == 1  # kept through the reset
    else:
        assert m.reg_read("SYS_RESET_COUNT") == 0 and m.reg_read("SYS_RESET_CAUSE") == 0


def test_sel_power_cycle_window_and_many_latchups() -> None:
    m = quiet()
    response = m.latchup_response_s
    rng = np.random.default_rng(np.random.SeedSequence(3001))
    onsets = np.cumsum(rng.uniform(2 * response, 0.2, 40))  # one latch-up handled at a time
    domains = [DOMAINS[1 + int(i)] for i in rng.integers(0, 3, 40)]
    m.inject([power_fault(d, float(t)) for d, t in zip(domains, onsets, strict=True)])
    m.advance(float(onsets[-1]) + 1.0)
    log = m.event_log()
    assert m.reg_read("LU_COUNT") == len(onsets) == len(log) // 2
    for k, onset in enumerate(onsets):
        detected, cycled = log[2 * k], log[2 * k + 1]
        assert detected["kind"] == "latchup-detected" and cycled["kind"] == "power-cycled"
        assert onset <= detected["time_s"] <= cycled["time_s"] <= onset + response


def test_unmonitored_latchup_destroys_the_domain() -> None:
    m = quiet(latchup_domains=["core"])
    m.inject([power_fault("io", 0.5)])
    m.advance(0.5 + LATCHUP_DAMAGE_S / 2)
    assert m.reg_read("LU_LATCHED") == 0b1000 and m.reg_read("LU_COUNT") == 0
    m.advance(LATCHUP_DAMAGE_S)
    assert m.reg_read("LU_LATCHED") == 0 and m.reg_read("LU_DOMAINS_ON") == 0b0111
    m.power_cycle()
    assert m.reg_read("LU_DOMAINS_ON") == 0b0111  # destroyed for good


# ---- determinism, power cycle, errors -----------------------------------------------------------


def _scenario(seed: int) -> tuple[Any, ...]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    m = create(items={"memory_words": 2**14, "scrub_period_s": 2.0})
    m.mem_write(0, rng.integers(0, 2**63, 512, dtype=np.uint64).astype(">u8").tobytes())
    faults = [
        mem_fault(int(a), [int(b) for b in rng.choice(72, int(k), replace=False)], time_s=float(t))
        for a, k, t in zip(rng.integers(0, 2**14, 200), rng.integers(1, 3, 200), rng.uniform(0, 4, 200), strict=True)
    ]
    faults += [
        power_fault(DOMAINS[int(d)], float(t)) for d, t in zip(rng.integers(0, 4, 5), rng.uniform(0, 4, 5), strict=True)
    ]
    m.inject(faults)
    for _ in range(8):
        m.advance(0.6)
        m.reg_write("WDOG_SERVICE", KEY)
    regs = tuple(m.reg_read(r.name) for r in m.params.registers)
    return regs, m.event_log(), m.mem_read_raw(0, 2**14), m.mem_read(0, 2**14)


def test_determinism() -> None:
    first, second, other = _scenario(7), _scenario(7), _scenario(8)
    assert first == second
    assert first != other


def test_power_cycle_clears_memory_faults_registers_and_log() -> None:
    m = create()
    m.mem_write(0, word_bytes(5, 6))
    m.inject([mem_fault(0, [1], kind="permanent"), mem_fault(3, [1], time_s=10.0), power_fault("io", 0.0)])
    m.mem_read(0, 2)
    m.advance(0.5)
    t = m.power_cycle()
    assert t == m.time == 0.5
    assert m.mem_read_raw(0, 4) == bytes(36)
    assert m.event_log() == []
    for reg in m.params.registers:
        assert m.reg_read(reg.name) == reg.reset, reg.name
    m.reg_write("WDOG_SERVICE", KEY)
    m.advance(0.6)
    m.reg_write("WDOG_SERVICE", KEY)
    m.advance(10.0 - m.time + 0.1)
    assert m.mem_read(3, 1)["corrected"] == []  # the scheduled fault was cleared too


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m: m.reg_read("NO_SUCH_REG"), "unknown register"),
        (lambda m: m.reg_write("FOO", 1), "unknown register"),
        (lambda m: m.reg_write("SYS_CONFIG", 2**32), "value"),
        (lambda m: m.mem_read(2**27 - 1, 2), "exceeds the memory"),
        (lambda m: m.mem_read(0, 65537), "count"),
        (lambda m: m.mem_read_raw(-1, 1), "address"),
        (lambda m: m.mem_write(0, b"\x00" * 7), "multiple of 8"),
        (lambda m: m.mem_write(2**27, b"\x00" * 8), "exceeds the memory"),
        (lambda m: m.mem_write(0, "not bytes"), "bytes"),
        (lambda m: m.inject([{**mem_fault(0, [1]), "mask": b"\x00" * 8}]), "9 octets"),
        (lambda m: m.inject([{**config_fault(0, 1), "mask": b"\x00" * 3}]), "4 octets"),
        (lambda m: m.inject([power_fault("gpu", 0.0)]), "power domain"),
        (lambda m: m.inject([{**mem_fault(0, [1]), "address": 2**27}]), "exceeds the memory"),
        (lambda m: m.inject([{**mem_fault(0, [1]), "component": "cache"}]), "component"),
        (lambda m: m.inject([{**mem_fault(0, [1]), "mode": "toggle"}]), "mode"),
        (lambda m: m.inject([mem_fault(0, [1], kind="intermittent")]), "period_s"),
        (lambda m: m.advance(-1.0), "seconds"),
        (lambda m: m.advance(True), "seconds"),
    ],
)
def test_bad_arguments_raise_hardware_error(call: Any, match: str) -> None:
    m = create()
    with pytest.raises(HardwareError, match=match):
        call(m)
    assert issubclass(HardwareError, ValueError)


def test_broken_variant_is_a_small_subclass() -> None:
    class NoDoubleErrorDetection(ReferenceComputeModule):
        def _decode_words(self, data: Any, check: Any) -> edac.DecodeResult:
            res = super()._decode_words(data, check)
            status = np.where(res.status == edac.STATUS_UNCORRECTABLE, edac.STATUS_CLEAN, res.status).astype(np.uint8)
            return edac.DecodeResult(res.data, res.check, status, res.syndrome, res.bit)

    broken = NoDoubleErrorDetection()
    broken.inject([mem_fault(0, [1, 2])])
    assert broken.mem_read(0, 1)["uncorrectable"] == []
    assert create().inject([mem_fault(0, [1, 2])]) == 1


# ---- the vectorized scrubber against a per-visit brute-force simulation -------------------------


def _brute_scrub(
    big_m: int, period: float, words: list[int], faults: list[dict[str, Any]], end: float, code: edac.SecDedCode
) -> tuple[int, int, list[tuple[int, int]]]:
    """Visit j of word j mod M at (j + 1) T / M, one visit after the other, Python integers throughout."""

    def encode(w: int) -> int:
        return int(code.encode(np.array([w], dtype=np.uint64))[0])

    store = {a: (w, encode(w)) for a, w in enumerate(words)}
    parsed = []
    for f in faults:
        dmask, cmask = int.from_bytes(f["mask"][:8], "big"), f["mask"][8]
        parsed.append((f, dmask, cmask))
    transient = sorted((p for p in parsed if p[0]["type"] == "transient"), key=lambda p: p[0]["time_s"])
    persistent = [p for p in parsed if p[0]["type"] != "transient"]

    def apply(value: tuple[int, int], mode: str, dmask: int, cmask: int) -> tuple[int, int]:
        d, c = value
        if mode == "flip":
            return d ^ dmask, c ^ cmask
        if mode == "stuck-at-0":
            return d & ~dmask, c & ~cmask
        return d | dmask, c | cmask

    def read(a: int, t: float) -> tuple[int, int]:
        value = store.get(a, (0, 0))
        for mode in ("flip", "stuck-at-0", "stuck-at-1"):
            for f, dmask, cmask in persistent:
                if f["address"] != a or f["mode"] != mode or t < f["time_s"]:
                    continue
                if f["type"] == "intermittent" and (t - f["time_s"]) % f["period_s"] >= f["duration_s"]:
                    continue
                value = apply(value, mode, dmask, cmask)
        return value

    ce = ue = 0
    k = 0
    visits = int(end / period * big_m)
    for j in range(visits):
        t = (j + 1) * period / big_m
        while k < len(transient) and transient[k][0]["time_s"] < t:
            f, dmask, cmask = transient[k]
            store[f["address"]] = apply(store.get(f["address"], (0, 0)), f["mode"], dmask, cmask)
            k += 1
        a = j % big_m
        d, c = read(a, t)
        res = code.decode(np.array([d], dtype=np.uint64), np.array([c], dtype=np.uint8))
        if res.status[0] == edac.STATUS_CORRECTED:
            ce += 1
            store[a] = (int(res.data[0]), int(res.check[0]))
        elif res.status[0] == edac.STATUS_UNCORRECTABLE:
            ue += 1
    while k < len(transient):
        f, dmask, cmask = transient[k]
        store[f["address"]] = apply(store.get(f["address"], (0, 0)), f["mode"], dmask, cmask)
        k += 1
    return ce, ue, [read(a, end) for a in range(big_m)]


@pytest.mark.parametrize("seed", range(6))
def test_scrubber_matches_a_per_visit_brute_force(seed: int) -> None:
    rng = np.random.default_rng(np.random.SeedSequence([5000, seed]))
    big_m, period, end = 64, 1.0, 6.0
    m = ComputeModule(memory_words=big_m, memory_banks=1, scrub_period_s=period, watchdog_timeout_s=1e7)
    words = [int(w) for w in rng.integers(0, 2**63, 40, dtype=np.uint64)]
    m.mem_write(0, word_bytes(*words))
    faults = []
    for _ in range(60):
        kind = ["transient", "transient", "permanent", "intermittent"][int(rng.integers(4))]
        mode = ["flip", "flip", "stuck-at-0", "stuck-at-1"][int(rng.integers(4))]
        bits = [int(b) for b in rng.choice(72, int(rng.choice([1, 1, 1, 2, 3])), replace=False)]
        faults.append(
            mem_fault(
                int(rng.integers(big_m)),
                bits,
                kind=kind,
                mode=mode,
                time_s=float(rng.uniform(0, end)),
                period_s=float(rng.uniform(0.2, 2.0)),
                duration_s=float(rng.uniform(0.05, 1.0)),
            )
        )
    m.inject(faults)
    while m.time < end:  # steps from a fraction of a visit to several passes
        m.advance(min(float(rng.choice([0.003, 0.1, 0.7, 2.5])), end - m.time))
    ce, ue, memory = _brute_scrub(big_m, period, words, faults, end, m.code)
    assert (m.reg_read("SCRUB_CE_COUNT"), m.reg_read("SCRUB_UE_COUNT")) == (ce, ue)
    assert raw_words(m, 0, big_m) == memory
    assert ce > 0


def test_dbg_freeze_stops_the_watchdog_and_resumes_where_it_stopped() -> None:
    """DBG_FREEZE bit 0 holds the watchdog timer; clearing it resumes the remaining time."""
    m = create()
    m.power_cycle()
    t0 = m.advance(0.6)
    m.reg_write("DBG_FREEZE", 1)
    m.advance(3600.0)
    assert m.reg_read("SYS_RESET_COUNT") == 0, "frozen watchdog fired"
    m.reg_write("DBG_FREEZE", 0)
    m.advance(0.39)
    assert m.reg_read("SYS_RESET_COUNT") == 0, "the watchdog did not resume from 0.6 s"
    m.advance(0.02)
    assert m.reg_read("SYS_RESET_COUNT") == 1 and m.reg_read("DBG_FREEZE") == 0
    assert m.event_log()[-1]["time_s"] == pytest.approx(t0 + 3600.0 + 0.4)
