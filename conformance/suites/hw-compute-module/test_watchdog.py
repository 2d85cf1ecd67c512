"""Conformance suite of hw-compute-module, class ``watchdog`` (HWC-WDG-001..004): watchdog
timeout, reset cause and count, reset-loop protection (safe state) and its clearing by a service.

Watchdog practice of on-board computers (ECSS-Q-ST-60-15C functional interrupts; the GR740's
watchdog and reset-cause reporting): the module resets when WDOG_SERVICE has not received the key
``watchdog_service_key`` for ``watchdog_timeout_s`` (ICS), reports the cause (parameter
``reset_causes``) and counts resets (SYS_RESET_COUNT); after ``reset_loop_limit`` (ICS)
consecutive watchdog resets the next expiry holds it in the safe state (SYS_STATE = 1) until
power_cycle.

Everything is observed through the registers (SYS_RESET_COUNT, SYS_RESET_CAUSE, SYS_STATE) at
simulated instants the suite chooses: the reset instant of HWC-WDG-002 is bracketed between two
observations ``timing_tolerance / 2`` apart, and the bracket must lie within the tolerance window
around the timeout. Sequences of several expiries (HWC-WDG-003/004) are observed half a timeout
after each expected expiry, far from any tolerance edge. The watchdog timer is taken to restart
at every service, reset and power_cycle (parameter ``registers``: a reset returns the module to
its reset state, the watchdog included).

Intervals and wrong keys are drawn from the run's seed (fixture ``rng``), so a product cannot
predict them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.specs import Ics


#: Timeouts of HWC-WDG-001 serviced at 0.9 x the timeout, then at random intervals.
SERVICED_TIMEOUTS = 20
#: Timeouts watched in the safe state (HWC-WDG-003).
SAFE_STATE_TIMEOUTS = 10
#: Wrong keys written to WDOG_SERVICE in HWC-WDG-002.
WRONG_KEYS = 6
#: Largest number of watchdog periods one scenario may follow (a sanity cap on the ICS).
MAX_PERIODS = 200


def _declared(ics: Ics, item: str) -> Any:
    value = ics.items.get(item)
    if value is None or isinstance(value, bool):
        inconclusive(f"the ICS does not declare {item}, which the watchdog class needs")
    return value


@pytest.fixture
def timeout(ics: Ics) -> float:
    """The declared watchdog timeout (ICS watchdog_timeout_s)."""
    value = _declared(ics, "watchdog_timeout_s")
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        inconclusive(f"ICS watchdog_timeout_s {value!r} is not a positive number")
    return float(value)


@pytest.fixture
def loop_limit(ics: Ics) -> int:
    """The declared reset-loop limit (ICS reset_loop_limit)."""
    value = _declared(ics, "reset_loop_limit")
    if not isinstance(value, int) or value < 1:
        inconclusive(f"ICS reset_loop_limit {value!r} is not a positive integer")
    if 2 * value + 4 > MAX_PERIODS:
        inconclusive(f"ICS reset_loop_limit {value} needs more than the {MAX_PERIODS} periods this suite follows")
    return int(value)


@dataclass(frozen=True)
class Status:
    """The watchdog registers at one instant."""

    time: float
    count: int
    cause: int
    state: int

    def __str__(self) -> str:
        return (
            f"t={self.time:.6f} s: SYS_RESET_COUNT={self.count}, SYS_RESET_CAUSE={self.cause}, SYS_STATE={self.state}"
        )


class Watchdog:
    """The watchdog side of the test port: service, observe, run time to an absolute instant."""

    def __init__(self, port: Any, hw: Any) -> None:
        self.port = port
        self.hw = hw
        self.key = int(hw.service_key)
        self.watchdog = int(hw.reset_causes["watchdog"])
        self.power_on = int(hw.reset_causes["power-on"])

    def status(self) -> Status:
        return Status(
            self.port.now,
            self.port.reg("SYS_RESET_COUNT"),
            self.port.reg("SYS_RESET_CAUSE"),
            self.port.reg("SYS_STATE"),
        )

    def service(self) -> float:
        """Write the key; the instant of the service."""
        self.port.set_reg("WDOG_SERVICE", self.key)
        return float(self.port.now)

    def run_to(self, instant: float) -> Status:
        """Let simulated time run to ``instant`` (absolute) and read the registers there."""
        dt = instant - self.port.now
        if dt > 0:
            self.port.advance(dt)
        return self.status()


@pytest.fixture
def wd(port: Any, hw: Any) -> Watchdog:
    w = Watchdog(port, hw)
    first = w.status()
    assert first.count == 0 and first.state == 0 and first.cause == w.power_on, (
        f"after power_cycle expected SYS_RESET_COUNT=0, SYS_STATE=0 (running), SYS_RESET_CAUSE="
        f"{w.power_on} (power-on); observed {first}"
    )
    return w


def _longest_interval(timeout: float, tol: float) -> float:
    """The longest service interval the suite uses: 0.9 x the timeout, but at least twice the
    tolerance below the timeout (HWC-WDG-002 lets a product reset as early as the timeout less the
    tolerance), and half the timeout where the tolerance leaves no room for that."""
    margin = timeout - 2 * tol
    return min(0.9 * timeout, margin) if margin > 0 else 0.5 * timeout


def _intervals(rng: np.random.Generator, longest: float, total: float) -> list[float]:
    """Random service intervals uniform in [longest / 18, longest] whose sum is at least ``total``."""
    lo = longest / 18.0
    draws = rng.uniform(lo, longest, int(math.ceil(total / lo)) + 1)
    used = int(np.searchsorted(np.cumsum(draws), total)) + 1
    return [float(x) for x in draws[:used]]


@pytest.mark.requirement("HWC-WDG-001")
def test_serviced_watchdog_never_resets(wd: Watchdog, timeout: float, hw: Any, rng: np.random.Generator) -> None:
    """HWC-WDG-001: serviced every 0.9 x timeout for 20 timeouts, then at random intervals (up to
    that interval) for 20 more, the module never resets: SYS_RESET_COUNT stays 0, SYS_RESET_CAUSE
    power-on, SYS_STATE running. (Intervals stay two tolerances below the timeout, see
    :func:`_longest_interval`.)"""
    longest = _longest_interval(timeout, hw.tolerance(timeout))
    plan = [longest] * SERVICED_TIMEOUTS
    plan += _intervals(rng, longest, SERVICED_TIMEOUTS * timeout)
    last = wd.service()
    for n, gap in enumerate(plan):
        # Observe just before the service is due, then service.
        st = wd.run_to(last + gap)
        assert st.count == 0 and st.state == 0 and st.cause == wd.power_on, (
            f"service {n + 1} of {len(plan)}: serviced every <= {gap:.6f} s (timeout {timeout} s), expected no reset "
            f"(SYS_RESET_COUNT 0, SYS_STATE 0, SYS_RESET_CAUSE {wd.power_on}); observed {st}, last service at t={last:.6f} s"
        )
        last = wd.service()


def _bracket_reset(wd: Watchdog, last: float, timeout: float, tol: float, before: int) -> tuple[float, float]:
    """Observe from ``last + timeout - tol`` to ``last + timeout + tol`` in steps of ``tol / 2``;
    the (previous, first) observation instants around the first change of SYS_RESET_COUNT.
    Fails when the count has already changed at the first instant (a reset earlier than the
    timeout less the tolerance) or not by the last (no reset within the tolerance)."""
    grid = last + timeout + tol * np.arange(-2, 3) / 2.0
    st = wd.run_to(float(grid[0]))
    assert st.count == before, (
        f"last service at t={last:.6f} s, timeout {timeout} s, tolerance {tol} s: the module reset before "
        f"t={grid[0]:.6f} s (timeout less tolerance); SYS_RESET_COUNT {before} -> {st.count} ({st})"
    )
    prev = float(grid[0])
    for instant in grid[1:]:
        st = wd.run_to(float(instant))
        if st.count != before:
            return prev, float(instant)
        prev = float(instant)
    raise AssertionError(
        f"last service at t={last:.6f} s, timeout {timeout} s, tolerance {tol} s: no reset by t={grid[-1]:.6f} s "
        f"(timeout plus tolerance): SYS_RESET_COUNT still {before} ({st})"
    )


@pytest.mark.requirement("HWC-WDG-002")
def test_unserviced_watchdog_resets_on_time(wd: Watchdog, timeout: float, hw: Any) -> None:
    """HWC-WDG-002: serviced once, then left alone: the reset happens within timing_tolerance of
    the timeout (bracketed by observations tolerance/2 apart), SYS_RESET_COUNT goes 0 -> 1 and
    SYS_RESET_CAUSE is the watchdog code."""
    tol = hw.tolerance(timeout)
    wd.run_to(wd.port.now + 0.3 * timeout)  # not right at power-on: the service defines the start
    last = wd.service()
    lo, hi = _bracket_reset(wd, last, timeout, tol, before=0)
    st = wd.status()
    assert st.count == 1, (
        f"after one watchdog expiry (reset between t={lo:.6f} and {hi:.6f} s) expected SYS_RESET_COUNT 1, observed {st}"
    )
    assert st.cause == wd.watchdog, (
        f"after the watchdog reset (between t={lo:.6f} and {hi:.6f} s) expected SYS_RESET_CAUSE {wd.watchdog} (watchdog), observed {st}"
    )
    assert st.state == 0, f"one watchdog reset: expected SYS_STATE 0 (running), observed {st}"


@pytest.mark.requirement("HWC-WDG-002")
def test_wrong_key_does_not_service(wd: Watchdog, timeout: float, hw: Any, rng: np.random.Generator) -> None:
    """HWC-WDG-002: after a service, writes of other values to WDOG_SERVICE (zero, the key with
    one bit flipped, random 32-bit values) at random instants before the timeout do not service
    it: the reset still comes within the tolerance of the timeout after the real service."""
    tol = hw.tolerance(timeout)
    key = wd.key
    wrong = [0, key ^ (1 << int(rng.integers(0, 16))), 0xFFFFFFFF, (key << 16) & 0xFFFFFFFF]
    wrong += [int(v) for v in rng.integers(0, 1 << 32, WRONG_KEYS, dtype=np.uint64) if int(v) != key]
    wrong = [w for w in wrong if w != key]
    instants = np.sort(rng.uniform(0.1, 1.0, len(wrong))) * _longest_interval(timeout, tol)
    last = wd.service()
    for value, at in zip(wrong, instants, strict=True):
        wd.run_to(last + float(at))
        wd.port.set_reg("WDOG_SERVICE", value)
    try:
        lo, hi = _bracket_reset(wd, last, timeout, tol, before=0)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; after the service, WDOG_SERVICE received only wrong values "
            f"{', '.join(f'{w:#x}' for w in wrong)} (the key is {key:#x})"
        ) from None
    st = wd.status()
    assert st.cause == wd.watchdog, (
        f"reset between t={lo:.6f} and {hi:.6f} s: expected SYS_RESET_CAUSE {wd.watchdog}, observed {st}"
    )


def _expect(st: Status, count: int, state: int, what: str) -> None:
    assert st.count == count and st.state == state, (
        f"{what}: expected SYS_RESET_COUNT {count} and SYS_STATE {state} ({'safe' if state else 'running'}); observed {st}"
    )


@pytest.mark.requirement("HWC-WDG-003")
def test_reset_loop_ends_in_safe_state(wd: Watchdog, timeout: float, loop_limit: int) -> None:
    """HWC-WDG-003: never serviced, the module resets at each expiry until reset_loop_limit
    consecutive resets, then the next expiry puts it in the safe state (SYS_STATE 1) with no
    further reset for 10 timeouts; power_cycle returns it to running with cause power-on.
    Observed half a timeout after each expected expiry."""
    start = wd.port.now
    for k in range(1, loop_limit + 2):
        st = wd.run_to(start + (k + 0.5) * timeout)
        expired = f"never serviced since t={start:.6f} s, {k} expiries of the {timeout} s watchdog (reset_loop_limit {loop_limit})"
        if k <= loop_limit:
            _expect(st, k, 0, expired)
        else:
            _expect(st, loop_limit, 1, expired)
    safe_since = wd.port.now
    for k in range(1, SAFE_STATE_TIMEOUTS + 1):
        st = wd.run_to(safe_since + k * timeout)
        _expect(
            st,
            loop_limit,
            1,
            f"in the safe state since t<={safe_since:.6f} s, {k} timeouts later (no reset may happen)",
        )
    wd.port.power_cycle()
    st = wd.status()
    assert st.state == 0 and st.cause == wd.power_on, (
        f"power_cycle in the safe state: expected SYS_STATE 0 (running) and SYS_RESET_CAUSE {wd.power_on} (power-on), observed {st}"
    )


@pytest.mark.requirement("HWC-WDG-004")
def test_service_clears_the_reset_loop_count(wd: Watchdog, timeout: float, loop_limit: int) -> None:
    """HWC-WDG-004: m consecutive watchdog resets, then one service, then no service: the count of
    consecutive resets restarts at the service, so reset_loop_limit further resets happen before
    the safe state. Run for m = reset_loop_limit - 1 and for m = the limit itself (a service just
    before the expiry that would enter the safe state), from a power-cycled module each time."""
    for m in sorted({max(loop_limit - 1, 1), loop_limit}):
        wd.port.power_cycle()
        start = wd.port.now
        for k in range(1, m + 1):
            _expect(wd.run_to(start + (k + 0.5) * timeout), k, 0, f"never serviced since t={start:.6f} s, {k} expiries")
        last = wd.service()
        for k in range(1, loop_limit + 1):
            _expect(
                wd.run_to(last + (k + 0.5) * timeout),
                m + k,
                0,
                f"{m} consecutive watchdog resets, then a service at t={last:.6f} s, then {k} expiries "
                f"(reset_loop_limit {loop_limit}: the service must clear the consecutive count)",
            )
        _expect(
            wd.run_to(last + (loop_limit + 1.5) * timeout),
            m + loop_limit,
            1,
            f"{m} consecutive watchdog resets, a service at t={last:.6f} s, then {loop_limit + 1} expiries "
            f"(the loop limit applies again from the service)",
        )
