"""Conformance suite of hw-compute-module, class ``latchup`` (HWC-SEL-001..003): single-event
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
with the latch-up cause; of any other domain it leaves the module running, its registers and
memory untouched (HWC-SEL-003: memory words written before the onset are compared, as stored
codewords, after it).

The watchdog (a core class) is serviced at every observation step, so a short watchdog timeout
never interferes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.hw_compute_module import power_fault
from orbitcert.specs import Ics


#: Latch-ups per declared domain, each at an onset drawn at random.
LATCHUPS_PER_DOMAIN = 2
#: Observation steps per response time.
STEPS = 10
#: Numerical slack of the final observation instant (floating-point sums of simulated time).
SLACK_S = 1e-9
#: How long (in response times after the onset) HWC-SEL-003 waits for the core reset.
LATE_RESET_RESPONSES = 10
#: Random words per bank written before a non-core latch-up and compared after it.
WORDS_PER_BANK = 4


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


@pytest.mark.requirement("HWC-SEL-003")
def test_core_latchup_resets_with_latchup_cause(
    port: Any, hw: Any, declared: Declared, rng: np.random.Generator
) -> None:
    """HWC-SEL-003: a latch-up of the core domain resets the module (SYS_RESET_COUNT, the resets
    since power_cycle, grows) with SYS_RESET_CAUSE the latch-up code, twice in a row."""
    if "core" not in declared.domains:
        inconclusive("the ICS does not declare the core domain in latchup_domains")
    code = hw.reset_causes["latchup"]
    for _ in range(LATCHUPS_PER_DOMAIN):
        resets = port.reg("SYS_RESET_COUNT")
        lu = _latchup(port, hw, "core", declared.response, rng)
        # HWC-SEL-003 sets no deadline of its own (HWC-SEL-001 times the power cycle): wait for
        # the reset up to LATE_RESET_RESPONSES response times after the onset.
        step = declared.response / STEPS
        while port.reg("SYS_RESET_COUNT") == resets and port.now < lu.onset + LATE_RESET_RESPONSES * declared.response:
            port.set_reg("WDOG_SERVICE", hw.service_key)
            port.advance(step)
        cause, count = port.reg("SYS_RESET_CAUSE"), port.reg("SYS_RESET_COUNT")
        assert cause == code and count > resets, (
            f"{lu.describe()}: by t={port.now:.7f} s expected a reset with SYS_RESET_CAUSE {code} (latchup), observed "
            f"SYS_RESET_CAUSE {cause} (SYS_RESET_COUNT {resets} before the latch-up, {count} after)"
        )


@pytest.mark.requirement("HWC-SEL-003")
def test_other_latchup_keeps_module_and_memory(
    port: Any, hw: Any, declared: Declared, geometry: Any, rng: np.random.Generator
) -> None:
    """HWC-SEL-003: a latch-up of any declared domain other than core does not reset the module
    (SYS_RESET_COUNT, SYS_RESET_CAUSE and the read-write SYS_CONFIG keep their values, SYS_STATE
    stays running) and does not change memory: random words at the edges of and inside every
    bank, written before the onset, are stored unchanged afterwards (raw codewords compared)."""
    others = [d for d in declared.domains if d != "core"]
    if not others:
        inconclusive("the ICS declares no latch-up domain other than core")
    addresses = geometry.spread(rng, WORDS_PER_BANK)
    for domain in others:
        port.power_cycle()
        config = int(rng.integers(1, 1 << 32, dtype=np.uint64))
        port.set_reg("SYS_CONFIG", config)
        words = rng.integers(0, np.iinfo(np.uint64).max, len(addresses), dtype=np.uint64, endpoint=True)
        for a, w in zip(addresses, words, strict=True):
            port.write(a, [int(w)])
        stored = [port.read_raw(a, 1) for a in addresses]
        regs = {n: port.reg(n) for n in ("SYS_RESET_COUNT", "SYS_RESET_CAUSE", "SYS_STATE", "SYS_CONFIG")}
        lu = _latchup(port, hw, domain, declared.response, rng)
        after = {n: port.reg(n) for n in regs}
        changed = {n: (regs[n], after[n]) for n in regs if regs[n] != after[n]}
        assert not changed, f"{lu.describe()}: the module was reset (register: (before, after)) {changed}"
        for a, w, (d0, c0) in zip(addresses, words, stored, strict=True):
            d1, c1 = port.read_raw(a, 1)
            assert int(d1[0]) == int(d0[0]) and int(c1[0]) == int(c0[0]), (
                f"{lu.describe()}: memory word {a:#x} (written {int(w):#018x}) changed: stored data {int(d0[0]):#018x} check "
                f"{int(c0[0]):#04x} before, data {int(d1[0]):#018x} check {int(c1[0]):#04x} after"
            )
