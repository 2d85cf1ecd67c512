"""Conformance suite of hw-compute-module, class ``latchup`` (HWC-SEL-001..004): single-event
latch-up detection and power cycling of every declared power domain (ECSS-Q-ST-60-15C,
single-event latch-up: a parasitic thyristor in CMOS that draws a destructive current until its
supply is removed; a current monitor removes and restores the supply of the affected domain).

Each latch-up is injected as a FIES-style power fault (FIES 2015; spec ``inject``: component
power, type permanent, from ``time_s`` until the domain is power-cycled) with a ``time_s`` in
the future drawn from the run's seed, so the suite knows the onset exactly and the product cannot
predict it. Time is then stepped in ``latchup_response_s / 10`` increments up to the onset plus
``latchup_response_s`` (ICS), where the registers (LU_DOMAINS_ON, LU_LATCHED, LU_COUNT) must show
the domain detected and power-cycled (HWC-SEL-001) and the event log must hold the detection and
the power cycle within the window (HWC-SEL-002). A latch-up of the core domain resets the module
with the latch-up cause by then (HWC-SEL-003, applicable when core is declared); of any other
domain it leaves the module running, every register but the latch-up ones and the time-driven
scrubber position untouched, and memory unchanged (HWC-SEL-004: contiguous blocks and random
words of every bank written before the onset are compared, as stored codewords, after it), and
latch-ups of several domains at once or overlapping are each handled in time.

The watchdog is frozen by the ``port`` fixture (again after every power_cycle) and serviced at
every observation step as well, so a short watchdog timeout never interferes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.hw_compute_module import FaultDescriptor, memory_fault, power_fault
from orbitcert.specs import Ics


#: Latch-ups per declared domain, each at an onset drawn at random.
LATCHUPS_PER_DOMAIN = 2
#: Observation steps per response time.
STEPS = 10
#: Numerical slack of the final observation instant (floating-point sums of simulated time).
SLACK_S = 1e-9
#: Random words per bank written before a non-core latch-up and compared after it.
WORDS_PER_BANK = 4
#: Contiguous blocks compared per bank after a non-core latch-up (HWC-SEL-004): at the bank's
#: start and at every eighth of it, one ending at its last word, and one at a random place.
BLOCK_WORDS = 512
#: Latch-ups of HWC-SEL-001's phase test, onsets stratified over one response time.
PHASED_LATCHUPS = 40
#: Staggers (in response times) between the onsets of HWC-SEL-004's concurrent latch-ups.
STAGGERS = (0.0, 0.3)


@dataclass(frozen=True)
class Declared:
    """What the ICS declares for the latchup class."""

    domains: tuple[str, ...]
    response: float


@pytest.fixture
def declared(ics: Ics, hw: Any) -> Declared:
    domains = ics.items.get("latchup_domains")
    response = ics.items.get("latchup_response_s")
    if not domains:
        inconclusive("the ICS declares no latchup_domains, which the latchup class needs")
    if (
        not isinstance(response, int | float)
        or isinstance(response, bool)
        or not math.isfinite(response)
        or response <= 0
    ):
        inconclusive(f"ICS latchup_response_s {response!r} is not a positive number")
    names = tuple(str(d) for d in domains)
    unknown = [d for d in names if d not in hw.power_domains]
    if unknown:
        inconclusive(f"ICS latchup_domains {unknown} are not power domains of the spec ({', '.join(hw.power_domains)})")
    return Declared(tuple(d for d in hw.power_domains if d in names), float(response))


@dataclass(frozen=True)
class Observation:
    time: float
    on: int
    latched: int
    count: int

    def __str__(self) -> str:
        return f"t={self.time:.7f} s: LU_DOMAINS_ON={self.on:#04x} LU_LATCHED={self.latched:#04x} LU_COUNT={self.count}"


@dataclass
class Latchup:
    """One latch-up scenario: the onset, the observations up to onset + response, the log."""

    domain: str
    bit: int
    onset: float
    response: float
    count_before: int
    trace: list[Observation]
    events: list[dict[str, Any]]

    @property
    def end(self) -> Observation:
        return self.trace[-1]

    def describe(self) -> str:
        shown = self.trace if len(self.trace) <= 14 else self.trace[:3] + self.trace[-8:]
        return (
            f"latch-up of domain {self.domain} (bit {self.bit}) at onset t={self.onset:.7f} s, declared response "
            f"{self.response} s; observed: " + "; ".join(str(o) for o in shown)
        )


def _observe(port: Any) -> Observation:
    return Observation(port.now, port.reg("LU_DOMAINS_ON"), port.reg("LU_LATCHED"), port.reg("LU_COUNT"))


def _latchup(port: Any, hw: Any, domain: str, response: float, rng: np.random.Generator) -> Latchup:
    """Service the watchdog, schedule a latch-up of ``domain`` at a random future onset, and step
    time to onset + response, observing the latch-up registers at every step."""
    port.set_reg("WDOG_SERVICE", hw.service_key)
    before = _observe(port)
    onset = port.now + float(rng.uniform(0.5, 1.5)) * response
    port.inject([power_fault(domain, onset)])
    port.advance(onset - port.now)
    trace = [_observe(port)]
    for k in range(1, STEPS + 1):
        target = onset + response * k / STEPS + (SLACK_S if k == STEPS else 0.0)
        port.set_reg("WDOG_SERVICE", hw.service_key)  # a short watchdog must not interfere
        port.advance(max(0.0, target - port.now))
        trace.append(_observe(port))
    return Latchup(domain, hw.domain_bit(domain), onset, response, before.count, trace, port.events())


def _scenarios(port: Any, hw: Any, declared: Declared, rng: np.random.Generator) -> list[Latchup]:
    """LATCHUPS_PER_DOMAIN latch-ups of every declared domain, each from a freshly power-cycled
    module (the log then holds that domain's events only)."""
    out = []
    for domain in declared.domains:
        port.power_cycle()
        for _ in range(LATCHUPS_PER_DOMAIN):
            out.append(_latchup(port, hw, domain, declared.response, rng))
    return out


@pytest.mark.requirement("HWC-SEL-001")
def test_latchup_detected_and_power_cycled_in_time(
    port: Any, hw: Any, declared: Declared, rng: np.random.Generator
) -> None:
    """HWC-SEL-001: at onset + latchup_response_s the domain's LU_DOMAINS_ON bit is set, its
    LU_LATCHED bit clear and LU_COUNT one more than before the latch-up, for every declared domain."""
    for lu in _scenarios(port, hw, declared, rng):
        end = lu.end
        assert end.on & lu.bit, (
            f"{lu.describe()}: at onset + response the domain is not powered (LU_DOMAINS_ON bit {lu.bit:#x} clear)"
        )
        assert not end.latched & lu.bit, (
            f"{lu.describe()}: at onset + response the domain is still latched (LU_LATCHED bit {lu.bit:#x} set)"
        )
        assert end.count == lu.count_before + 1, (
            f"{lu.describe()}: LU_COUNT {lu.count_before} before the latch-up, expected {lu.count_before + 1} at onset + response, observed {end.count}"
        )


def _check_log(lu: Latchup) -> str | None:
    """Why the log does not record ``lu`` as HWC-SEL-002 requires (None: it does)."""
    times = [e["time_s"] for e in lu.events]
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        return f"event_log is not in time order: times {times[:20]}"
    hi = lu.onset + lu.response + SLACK_S
    mine = [e for e in lu.events if e["domain"] == lu.domain and lu.onset - SLACK_S <= e["time_s"] <= hi]
    kinds = [e["kind"] for e in mine]
    if "latchup-detected" not in kinds:
        return f"no latchup-detected event naming {lu.domain} between t={lu.onset:.7f} and {hi:.7f} s"
    if "power-cycled" not in kinds:
        return f"no power-cycled event naming {lu.domain} between t={lu.onset:.7f} and {hi:.7f} s"
    if kinds.index("power-cycled") < kinds.index("latchup-detected"):
        return f"the power-cycled event of {lu.domain} precedes its latchup-detected event"
    return None


@pytest.mark.requirement("HWC-SEL-002")
def test_latchup_logged(port: Any, hw: Any, declared: Declared, rng: np.random.Generator) -> None:
    """HWC-SEL-002: every latch-up leaves a latchup-detected and then a power-cycled event naming
    its domain, both timed within [onset, onset + latchup_response_s], in a time-ordered log."""
    for lu in _scenarios(port, hw, declared, rng):
        why = _check_log(lu)
        assert why is None, f"{lu.describe()}: {why}; event_log: {lu.events[-12:]}"


def _power_cycle_domains(port: Any, hw: Any, domains: list[str], onsets: list[float], response: float) -> None:
    """Schedule latch-ups of ``domains`` at ``onsets`` and run to the last onset plus the response
    time (the watchdog, frozen by the ``port`` fixture, serviced as well)."""
    port.set_reg("WDOG_SERVICE", hw.service_key)
    port.inject([power_fault(d, t) for d, t in zip(domains, onsets, strict=True)])
    end = max(max(onsets), port.now) + response + SLACK_S
    port.advance(end - port.now)


@pytest.mark.requirement("HWC-SEL-001")
def test_latchup_handled_at_every_onset_phase(port: Any, hw: Any, declared: Declared, rng: np.random.Generator) -> None:
    """HWC-SEL-001: 40 latch-ups since one power_cycle, the declared domains in turn, with onsets
    stratified over a response time (onset k at phase (k + u) / 40 of it after a random base, so
    a current monitor sampling too slowly misses the deadline for some phase), the first two
    injected with time_s at and before the present (inject: "applies at once"): at onset +
    latchup_response_s each is power-cycled and LU_COUNT is one more than before it (1 .. 40:
    no wrapping counter)."""
    port.set_reg("WDOG_SERVICE", hw.service_key)
    for k in range(PHASED_LATCHUPS):
        domain = declared.domains[k % len(declared.domains)]
        bit = hw.domain_bit(domain)
        c0 = port.reg("LU_COUNT")
        if k == 0:
            onset, time_s = port.now, port.now
        elif k == 1:
            onset, time_s = port.now, max(0.0, port.now - 0.5 * declared.response)
        else:
            onset = port.now + declared.response * (1.0 + (k + float(rng.uniform())) / PHASED_LATCHUPS)
            time_s = onset
        _power_cycle_domains(port, hw, [domain], [time_s], declared.response)
        end = onset + declared.response + SLACK_S
        if port.now < end:
            port.advance(end - port.now)
        obs = _observe(port)
        when = "injected at the present" if k == 0 else "injected in the past" if k == 1 else f"onset t={onset:.7f} s"
        assert obs.on & bit and not obs.latched & bit and obs.count == min(c0 + 1, hw.counter_max), (
            f"latch-up {k + 1} of {PHASED_LATCHUPS} since power_cycle, domain {domain} (bit {bit:#x}), {when} "
            f"(time_s {time_s:.7f}), declared response {declared.response} s: expected the domain powered, not "
            f"latched and LU_COUNT {c0 + 1} at onset + response; observed {obs}"
        )


@pytest.mark.requirement("HWC-SEL-003")
@pytest.mark.applies_if("'core' in latchup_domains")
def test_core_latchup_resets_with_latchup_cause(
    port: Any, hw: Any, declared: Declared, rng: np.random.Generator
) -> None:
    """HWC-SEL-003: a latch-up of the core domain resets the module by the end of its power cycle:
    at onset + latchup_response_s SYS_RESET_COUNT (the resets since power_cycle) has grown by one
    and SYS_RESET_CAUSE is the latch-up code; twice in a row."""
    if "core" not in declared.domains:
        inconclusive("the ICS does not declare the core domain in latchup_domains")
    code = hw.reset_causes["latchup"]
    for _ in range(LATCHUPS_PER_DOMAIN):
        resets = port.reg("SYS_RESET_COUNT")
        lu = _latchup(port, hw, "core", declared.response, rng)
        cause, count = port.reg("SYS_RESET_CAUSE"), port.reg("SYS_RESET_COUNT")
        assert cause == code and count == resets + 1, (
            f"{lu.describe()}: by t={port.now:.7f} s (onset + response) expected a reset with SYS_RESET_CAUSE {code} "
            f"(latchup), observed SYS_RESET_CAUSE {cause} (SYS_RESET_COUNT {resets} before the latch-up, {count} after)"
        )


def _others(declared: Declared) -> list[str]:
    others = [d for d in declared.domains if d != "core"]
    if not others:
        inconclusive("the ICS declares no latch-up domain other than core")
    return others


#: Registers HWC-SEL-004 lets a non-core latch-up change (the latch-up ones and the time-driven
#: scrubber position), and the write-only command that reads 0.
_MAY_CHANGE = frozenset({"LU_COUNT", "LU_DOMAINS_ON", "LU_LATCHED", "SCRUB_POSITION", "SCRUB_PASSES", "WDOG_SERVICE"})


def _blocks(geometry: Any, rng: np.random.Generator) -> list[int]:
    """Start addresses of BLOCK_WORDS-word blocks of every bank: at its start and every eighth of
    it, one ending at its last word, one at a random place."""
    bank = geometry.bank_words
    size = min(BLOCK_WORDS, bank)
    out: set[int] = set()
    for b in range(geometry.banks):
        base = b * bank
        out.update(base + min(k * bank // 8, bank - size) for k in range(8))
        out.add(base + bank - size)
        out.add(base + int(rng.integers(0, bank - size + 1)))
    return sorted(out)


@pytest.mark.requirement("HWC-SEL-004")
def test_other_latchup_keeps_module_and_memory(
    port: Any, hw: Any, declared: Declared, geometry: Any, rng: np.random.Generator
) -> None:
    """HWC-SEL-004: a latch-up of any declared domain other than core does not reset the module
    and changes no register except LU_COUNT, LU_DOMAINS_ON, LU_LATCHED, SCRUB_POSITION and
    SCRUB_PASSES: every other register of parameter ``registers`` reads the same before and after
    (SYS_CONFIG and EDAC_CE_THRESHOLD set to random values and an EDAC error captured first, so
    they differ from their reset values); memory is unchanged: contiguous blocks at the start,
    every eighth and the end of every bank, a random block and random words of every bank, written
    before the onset, are stored unchanged afterwards (raw codewords compared)."""
    others = _others(declared)
    blocks = _blocks(geometry, rng)
    addresses = [a for a in geometry.spread(rng, WORDS_PER_BANK) if not any(b <= a < b + BLOCK_WORDS for b in blocks)]
    size = min(BLOCK_WORDS, geometry.bank_words)
    names = [n for n in hw.registers if n not in _MAY_CHANGE]
    for domain in others:
        port.power_cycle()
        words = rng.integers(0, np.iinfo(np.uint64).max, (len(blocks), size), dtype=np.uint64, endpoint=True)
        for b, w in zip(blocks, words, strict=True):
            port.write(b, w)
        singles = rng.integers(0, np.iinfo(np.uint64).max, len(addresses), dtype=np.uint64, endpoint=True)
        for a, w in zip(addresses, singles, strict=True):
            port.write(a, [int(w)])
        # Registers away from their reset values: a captured correctable error (the word then
        # written again, so that no scrubber pass can change it), a threshold, a config.
        victim = blocks[-1] + size - 1
        port.inject([_flip_data_bit(victim, int(rng.integers(0, 64)))])
        port.read(victim, 1)
        port.write(victim, [int(words[-1][-1])])
        port.set_reg("EDAC_CE_THRESHOLD", int(rng.integers(2, 1 << 16)))
        port.set_reg("SYS_CONFIG", int(rng.integers(1, 1 << 32, dtype=np.uint64)))
        stored_blocks = [port.read_raw(b, size) for b in blocks]
        stored = [port.read_raw(a, 1) for a in addresses]
        regs = {n: port.reg(n) for n in names}
        lu = _latchup(port, hw, domain, declared.response, rng)
        after = {n: port.reg(n) for n in names}
        changed = {n: (regs[n], after[n]) for n in names if regs[n] != after[n]}
        assert not changed, f"{lu.describe()}: registers changed (register: (before, after)) {changed}"
        for b, (d0, c0) in zip(blocks, stored_blocks, strict=True):
            d1, c1 = port.read_raw(b, size)
            bad = np.flatnonzero((d1 != d0) | (c1 != c0))
            assert bad.size == 0, (
                f"{lu.describe()}: {bad.size} of the {size} words at {b:#x}.. changed, first {b + int(bad[0]):#x}: stored "
                f"data {int(d0[bad[0]]):#018x} check {int(c0[bad[0]]):#04x} before, data {int(d1[bad[0]]):#018x} "
                f"check {int(c1[bad[0]]):#04x} after"
            )
        for a, (d0, c0) in zip(addresses, stored, strict=True):
            d1, c1 = port.read_raw(a, 1)
            assert int(d1[0]) == int(d0[0]) and int(c1[0]) == int(c0[0]), (
                f"{lu.describe()}: memory word {a:#x} changed: stored data {int(d0[0]):#018x} check "
                f"{int(c0[0]):#04x} before, data {int(d1[0]):#018x} check {int(c1[0]):#04x} after"
            )


def _flip_data_bit(address: int, bit: int) -> FaultDescriptor:
    """A transient flip of one data bit of the codeword at ``address`` (inject, component memory)."""
    return memory_fault(address, [bit])


@pytest.mark.requirement("HWC-SEL-004")
def test_concurrent_latchups_each_handled(port: Any, hw: Any, declared: Declared, rng: np.random.Generator) -> None:
    """HWC-SEL-004 (latch-ups of several domains at once or overlapping, each as HWC-SEL-001 and
    HWC-SEL-002 require): every declared domain other than core latches at the same onset, then
    at onsets staggered by 0.3 response times, then at random onsets within one response time:
    at the last onset + latchup_response_s every one is powered and not latched, LU_COUNT grew by
    their number, and the log holds each one's detection and power cycle within [its onset, its
    onset + response]."""
    others = _others(declared)
    bits = sum(hw.domain_bit(d) for d in others)
    port.set_reg("WDOG_SERVICE", hw.service_key)
    for stagger in (*STAGGERS, None):
        c0 = port.reg("LU_COUNT")
        start = port.now + float(rng.uniform(0.5, 1.5)) * declared.response
        if stagger is None:
            onsets = [start + float(u) * declared.response for u in rng.uniform(0.0, 1.0, len(others))]
        else:
            onsets = [start + i * stagger * declared.response for i in range(len(others))]
        _power_cycle_domains(port, hw, others, onsets, declared.response)
        obs = _observe(port)
        how = "at once" if stagger == 0 else f"staggered by {stagger} response times" if stagger else "at random onsets"
        what = (
            f"latch-ups of {others} {how} (onsets {', '.join(f'{t:.7f}' for t in onsets)} s), declared response "
            f"{declared.response} s"
        )
        assert obs.on & bits == bits and not obs.latched & bits and obs.count == c0 + len(others), (
            f"{what}: at the last onset + response expected the domains' bits {bits:#x} all set in LU_DOMAINS_ON, clear "
            f"in LU_LATCHED, and LU_COUNT {c0 + len(others)}; observed {obs}"
        )
        events = port.events()
        for d, t in zip(others, onsets, strict=True):
            lu = Latchup(d, hw.domain_bit(d), t, declared.response, c0, [obs], events)
            why = _check_log(lu)
            assert why is None, f"{what}: {why}; event_log: {events[-16:]}"
        port.power_cycle()
        port.set_reg("WDOG_SERVICE", hw.service_key)
