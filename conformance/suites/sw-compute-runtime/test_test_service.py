"""Conformance suite of sw-compute-runtime, class ``test`` (SWR-TST-001): the are-you-alive
connection test of ECSS-E-ST-70-41C 6.17.3.

TC[17,1] is sent at random instants (between advances of random length, while periodic
housekeeping runs), with random source identifiers and acknowledgement flags, back to back, and
right after each kind of reset; each must be answered by exactly one TM[17,2] with no source
data (SWR-VER-001 checks the empty layout), destination the TC's source identifier and the time of
receipt (the ground time of the send, within parameter timing_tolerance, read from the time field
as it is: ``Tm.stamped``, not clamped into the advance).
"""

from __future__ import annotations

import numpy as np
import pytest

from typing import Any

#: Connection tests at random instants.
PINGS = 12


def _check_alive(ground: Any, sw: Any, sources: list[int], t_sent: float, tms: list[Any], what: str) -> None:
    alive = ground.of(tms, 17, 2)
    assert len(alive) == len(sources), (
        f"SWR-TST-001: {what}: {len(sources)} TC[17,1] sent at t={t_sent:.3f}, expected {len(sources)} TM[17,2], "
        f"observed {ground.show(tms)}"
    )
    for tm, src in zip(alive, sources, strict=True):
        assert tm.raw and len(tm.f) == 0, f"SWR-TST-001: {what}: TM[17,2] with source data: {tm}"
        assert tm.dest == src, f"SWR-TST-001: {what}: {tm} has destination {tm.dest}, the TC's source id was {src}"
        tol = sw.tolerance(0.0)
        assert abs(tm.stamped - t_sent) <= tol, (
            f"SWR-TST-001: {what}: {tm} stamped {tm.stamped:.4f} s (its time field), the TC was received at "
            f"{t_sent:.4f} s"
        )


@pytest.mark.requirement("SWR-TST-001")
def test_are_you_alive_at_random_times(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    for i in range(PINGS):
        ground.advance(float(rng.uniform(0.0, 2.0 * sw.hk_period_s)))
        n = 1 + int(rng.integers(0, 3))
        sources = [int(s) for s in rng.integers(0, 1 << 16, n)]
        t_sent = ground.now
        for src in sources:
            ground.send(17, 1, ack=int(rng.integers(0, 16)), source_id=src)
        tms = ground.advance(0)
        _check_alive(ground, sw, sources, t_sent, tms, f"ping {i}")


@pytest.mark.requirement("SWR-TST-001")
@pytest.mark.parametrize("kind", ["watchdog", "latchup", "power"])
def test_are_you_alive_after_reset(ground: Any, sw: Any, rng: np.random.Generator, kind: str) -> None:
    ground.advance(float(rng.uniform(0.1, sw.hk_period_s)))
    ground.reset(kind)
    src = int(rng.integers(1, 1 << 16))
    t_sent = ground.now
    ground.send(17, 1, ack=0, source_id=src)
    tms = ground.advance(0)
    _check_alive(ground, sw, [src], t_sent, tms, f"right after a {kind} reset")
    ground.advance(float(rng.uniform(0.1, sw.hk_period_s)))
    t_sent = ground.now
    ground.send(17, 1, ack=0, source_id=src)
    _check_alive(ground, sw, [src], t_sent, ground.advance(0), f"after a {kind} reset and {t_sent:.1f} s")
