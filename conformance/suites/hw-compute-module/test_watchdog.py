"""Conformance suite of hw-compute-module, class ``watchdog`` (HWC-WDG-001..005): watchdog
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
around the timeout; in an unserviced reset loop every expiry is bracketed so, each timed from the
bracket of the previous reset. Sequences of several expiries (HWC-WDG-003/004) are observed half
a timeout after each expected expiry, far from any tolerance edge. DBG_FREEZE (HWC-WDG-005) is
checked to stop the timer, to resume it where it stopped, to survive a reset (a core latch-up,
where the latchup class is claimed) and to be cleared by power_cycle. The watchdog timer is taken to restart
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
from orbitcert.conformance.interfaces.hw_compute_module import power_fault
from orbitcert.specs import Ics


#: Timeouts of HWC-WDG-001 serviced at 0.9 x the timeout, then at random intervals.
SERVICED_TIMEOUTS = 20
#: Timeouts watched in the safe state (HWC-WDG-003).
SAFE_STATE_TIMEOUTS = 10
#: Wrong keys written to WDOG_SERVICE in HWC-WDG-002: random 32-bit values, and the key with
#: random nonzero high bits.
WRONG_KEYS = 6
HIGH_BIT_KEYS = 6
#: Watchdog resets counted one by one (HWC-WDG-002), each followed by a service.
COUNTED_RESETS = 40
#: Timeouts watched in the safe state after the first SAFE_STATE_TIMEOUTS (HWC-WDG-003).
SAFE_STATE_LONG = 1000
#: Services at each very short interval of HWC-WDG-001 (at most).
SHORT_SERVICES = 100
#: Timeouts the watchdog stays frozen in HWC-WDG-005.
FROZEN_TIMEOUTS = 10
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
    # The key with nonzero high bits (a comparator that looks at the low 16 bits only).
    wrong += [key | 0x80000000, key ^ 0x10000]
    wrong += [key | (int(h) << 16) for h in rng.integers(1, 1 << 16, HIGH_BIT_KEYS)]
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
def test_reset_loop_ends_in_safe_state(wd: Watchdog, timeout: float, loop_limit: int, rng: np.random.Generator) -> None:
    """HWC-WDG-003: never serviced, the module resets at each expiry until reset_loop_limit
    consecutive resets, then the next expiry puts it in the safe state (SYS_STATE 1). It then
    stays there without any reset for 1000 timeouts (observed after each of the first 10
    timeouts, then every 100 at a random phase), although it is serviced once in it; power_cycle
    returns it to running with cause power-on and clears the consecutive count (the next expiry
    resets it, it does not enter the safe state). Observed half a timeout after each expected
    expiry."""
    start = wd.port.now
    for k in range(1, loop_limit + 2):
        st = wd.run_to(start + (k + 0.5) * timeout)
        expired = f"never serviced since t={start:.6f} s, {k} expiries of the {timeout} s watchdog (reset_loop_limit {loop_limit})"
        if k <= loop_limit:
            _expect(st, k, 0, expired)
        else:
            _expect(st, loop_limit, 1, expired)
    safe_since = wd.port.now
    marks = [float(k) for k in range(1, SAFE_STATE_TIMEOUTS + 1)]
    marks += [k + float(rng.uniform(-50.0, 0.0)) for k in range(100, SAFE_STATE_LONG + 1, 100)]
    marks[-1] = float(SAFE_STATE_LONG)
    serviced = None
    for n, at in enumerate(marks):
        st = wd.run_to(safe_since + at * timeout)
        also = f", serviced at t={serviced:.6f} s" if serviced is not None else ""
        _expect(
            st,
            loop_limit,
            1,
            f"in the safe state since t<={safe_since:.6f} s{also}, {at:.2f} timeouts later (no reset may happen, "
            f"a service does not leave the safe state)",
        )
        if n == 0:
            serviced = wd.service()
    wd.port.power_cycle()
    st = wd.status()
    assert st.state == 0 and st.cause == wd.power_on, (
        f"power_cycle in the safe state: expected SYS_STATE 0 (running) and SYS_RESET_CAUSE {wd.power_on} (power-on), observed {st}"
    )
    _expect(
        wd.run_to(wd.port.now + 1.5 * timeout),
        1,
        0,
        f"power_cycle at t={st.time:.6f} s in the safe state (clears the consecutive count), then one expiry",
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


def _bracket_expiry(
    wd: Watchdog, lo_due: float, hi_due: float, tol: float, before: Status, what: str
) -> tuple[float, float, Status]:
    """An expiry due in [lo_due, hi_due] (the timer's start is known to a bracket): the registers
    must be unchanged (SYS_RESET_COUNT, SYS_STATE as in ``before``) at ``lo_due - tol`` and
    changed by ``hi_due + tol``; observed every ``tol / 2``. Returns the bracket (last unchanged,
    first changed observation) and the status at the change."""
    st = wd.run_to(lo_due - tol)
    assert (st.count, st.state) == (before.count, before.state), (
        f"{what}: the expiry is due between t={lo_due:.6f} and {hi_due:.6f} s (tolerance {tol} s), but at "
        f"t={st.time:.6f} s the module has already changed: {before} -> {st}"
    )
    prev = wd.port.now
    for instant in np.arange(prev + tol / 2, hi_due + tol + tol / 4, tol / 2):
        st = wd.run_to(min(float(instant), hi_due + tol))
        if (st.count, st.state) != (before.count, before.state):
            return prev, st.time, st
        prev = st.time
    raise AssertionError(
        f"{what}: the expiry is due between t={lo_due:.6f} and {hi_due:.6f} s (tolerance {tol} s), but by "
        f"t={wd.port.now:.6f} s nothing changed ({st})"
    )


@pytest.mark.requirement("HWC-WDG-002")
def test_every_expiry_of_a_reset_loop_is_timed(wd: Watchdog, timeout: float, hw: Any, loop_limit: int) -> None:
    """HWC-WDG-002 (with HWC-WDG-001: the timer restarts at every reset): left unserviced after a
    service, the module resets reset_loop_limit times and then expires once more; EVERY expiry is
    timed, each from the previous one: the reset (or, for the last, any change of SYS_RESET_COUNT
    or SYS_STATE) must come within the tolerance of the timeout after the bracket of the previous
    reset (observations tol / 2 apart), each reset with SYS_RESET_COUNT one more and
    SYS_RESET_CAUSE watchdog."""
    tol = hw.tolerance(timeout)
    lo = hi = wd.service()
    st = wd.status()
    for k in range(1, loop_limit + 2):
        final = k > loop_limit
        what = (
            f"expiry {k} of an unserviced watchdog (timeout {timeout} s, reset_loop_limit {loop_limit}), "
            + ("the previous reset bracketed" if k > 1 else "after the service")
            + f" in [{lo:.6f}, {hi:.6f}] s"
        )
        lo, hi, st = _bracket_expiry(wd, lo + timeout, hi + timeout, tol, st, what)
        # The expiry after reset_loop_limit resets is timed too; what it does (the safe state) is
        # HWC-WDG-003's, tested there, and so is a safe state entered too early.
        if st.state == 1 and st.count == k - 1:
            return
        if not final:
            _expect(st, k, 0, f"{what}: reset {k}")
            assert st.cause == wd.watchdog, f"{what}: expected SYS_RESET_CAUSE {wd.watchdog} (watchdog), observed {st}"


@pytest.mark.requirement("HWC-WDG-002")
def test_reset_count_counts_every_reset(wd: Watchdog, timeout: float, hw: Any, loop_limit: int) -> None:
    """HWC-WDG-002: 40 watchdog resets, each timed from the service that follows the previous one
    (so the loop limit is never reached): SYS_RESET_COUNT is 1, 2, ..., 40 (16 bits, saturating
    only at 65535), SYS_RESET_CAUSE watchdog, SYS_STATE running, every time. (A module that enters
    the safe state nonetheless does not clear the consecutive count at a service: HWC-WDG-004's
    failure, tested there; the counting is then checked up to that point.)"""
    tol = hw.tolerance(timeout)
    st = wd.status()
    for k in range(1, COUNTED_RESETS + 1):
        last = wd.service()
        what = f"watchdog reset {k} since power_cycle (each after a service, the last at t={last:.6f} s)"
        _, _, st = _bracket_expiry(wd, last + timeout, last + timeout, tol, st, what)
        if st.state == 1 and st.count == k - 1 >= loop_limit:
            return  # HWC-WDG-004: the services did not clear the consecutive count
        assert (st.count, st.cause, st.state) == (k, wd.watchdog, 0), (
            f"{what}: expected SYS_RESET_COUNT {k}, SYS_RESET_CAUSE {wd.watchdog}, SYS_STATE 0; observed {st}"
        )


@pytest.mark.requirement("HWC-WDG-001")
def test_very_frequent_services_never_reset(wd: Watchdog, timeout: float, hw: Any) -> None:
    """HWC-WDG-001: services at very short intervals (0: repeated writes at one instant, 1 us,
    1 ms and 0.01 x the timeout, those shorter than the longest interval of
    :func:`_longest_interval`), at most 100 each, every burst followed by one service after the
    longest interval, never reset the module (no window below which a service is ignored)."""
    longest = _longest_interval(timeout, hw.tolerance(timeout))
    last = wd.service()
    for gap in (0.0, 1e-6, 1e-3, 0.01 * timeout):
        if gap >= longest:
            continue
        n = SHORT_SERVICES if gap == 0 else int(min(SHORT_SERVICES, math.ceil(1.5 * timeout / gap)))
        for _ in range(n):
            wd.run_to(last + gap)
            last = wd.service()
        st = wd.run_to(last + longest)
        assert (st.count, st.state) == (0, 0), (
            f"{n} services {gap} s apart, then {longest:.6f} s without one (timeout {timeout} s): expected no reset; observed {st}"
        )
        last = wd.service()


@pytest.mark.requirement("HWC-WDG-005")
def test_freeze_stops_and_resumes_the_timer(wd: Watchdog, timeout: float, hw: Any, rng: np.random.Generator) -> None:
    """HWC-WDG-005: serviced, then frozen (DBG_FREEZE = 1) after a random fraction f of the
    timeout: no reset for 10 timeouts while frozen (DBG_FREEZE reads 1); cleared: the timer
    resumes where it stopped, so the reset comes (1 - f) x the timeout later, within the
    tolerance. Then frozen again and power-cycled: DBG_FREEZE reads 0 and the watchdog runs
    from power-on (a reset one timeout later)."""
    tol = hw.tolerance(timeout)
    frac = float(rng.uniform(0.3, 0.7))
    last = wd.service()
    wd.run_to(last + frac * timeout)
    wd.port.set_reg("DBG_FREEZE", 1)
    frozen_at = wd.port.now
    assert wd.port.reg("DBG_FREEZE") & 1, (
        f"DBG_FREEZE written 1 at t={frozen_at:.6f} s reads {wd.port.reg('DBG_FREEZE')}"
    )
    st = wd.run_to(frozen_at + FROZEN_TIMEOUTS * timeout)
    assert (st.count, st.state) == (0, 0), (
        f"serviced at t={last:.6f} s, frozen at t={frozen_at:.6f} s: expected no reset while frozen; observed {st}"
    )
    wd.port.set_reg("DBG_FREEZE", 0)
    thawed = wd.port.now
    remaining = (1.0 - frac) * timeout
    try:
        _bracket_reset(wd, thawed - timeout + remaining, timeout, tol, before=0)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; serviced at t={last:.6f} s, frozen {frac:.3f} timeouts later at t={frozen_at:.6f} s, cleared at "
            f"t={thawed:.6f} s: the timer must resume with {remaining:.6f} s left"
        ) from None
    wd.port.set_reg("DBG_FREEZE", 1)
    t0 = wd.port.power_cycle(refreeze=False)
    freeze = wd.port.reg("DBG_FREEZE")
    assert freeze == 0, f"power_cycle with DBG_FREEZE set: expected DBG_FREEZE 0 (its reset value), read {freeze}"
    try:
        _bracket_reset(wd, t0, timeout, tol, before=0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; power_cycle at t={t0:.6f} s with DBG_FREEZE set before it") from None


@pytest.mark.requirement("HWC-WDG-005", "HWC-SEL-003")
@pytest.mark.applies_if("'core' in latchup_domains")
def test_reset_keeps_freeze(wd: Watchdog, timeout: float, hw: Any, ics: Ics) -> None:
    """HWC-WDG-005 (a reset keeps DBG_FREEZE), observable only through a reset that is not the
    watchdog's: a core latch-up (HWC-SEL-003, so this test applies when the latchup class is
    claimed with core declared). Frozen, the module resets on a core latch-up; DBG_FREEZE still
    reads 1 and the watchdog stays still for 3 timeouts; cleared, it expires one timeout later
    (the reset restarted the timer, HWC-WDG-001)."""
    response = ics.items.get("latchup_response_s")
    if not isinstance(response, int | float) or isinstance(response, bool) or not 0 < response < math.inf:
        inconclusive(f"ICS latchup_response_s {response!r} is not a positive number")
    tol = hw.tolerance(timeout)
    wd.port.set_reg("DBG_FREEZE", 1)
    onset = wd.port.now
    wd.port.inject([power_fault("core", onset)])
    st = wd.run_to(onset + float(response) + 1e-9)
    latchup = int(hw.reset_causes["latchup"])
    assert (st.count, st.cause) == (1, latchup), (
        f"core latch-up at t={onset:.7f} s with DBG_FREEZE set: expected a latch-up reset by onset + {response} s "
        f"(SYS_RESET_COUNT 1, SYS_RESET_CAUSE {latchup}); observed {st}"
    )
    freeze = wd.port.reg("DBG_FREEZE")
    assert freeze & 1, (
        f"after the core latch-up reset (by t={st.time:.7f} s) DBG_FREEZE reads {freeze}: a reset keeps it"
    )
    st = wd.run_to(wd.port.now + 3 * timeout)
    assert (st.count, st.state) == (1, 0), (
        f"frozen across the latch-up reset: no watchdog reset expected; observed {st}"
    )
    wd.port.set_reg("DBG_FREEZE", 0)
    thawed = wd.port.now
    try:
        _bracket_reset(wd, thawed, timeout, tol, before=1)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}; DBG_FREEZE set before a core latch-up reset and cleared at t={thawed:.6f} s: the timer, restarted "
            f"by the reset and frozen since, must expire one timeout after the clear"
        ) from None
