"""Conformance suite of sw-compute-runtime, class ``housekeeping`` (SWR-HK-001..006): housekeeping
report structures, periodic and one-shot generation, ECSS-E-ST-70-41C 6.3.

Report instants are read from TM time fields (stamped at emission, SWR-VER-002), so one long
advance times a whole series: the k-th report of a series must lie k intervals after its
reference instant (power-on or reset, TC[3,5], TC[3,31]) within parameter timing_tolerance of
the interval. Values are decoded by the structure's parameter list (parameter hk_parameters);
a structure's values are compared by name with those of the health structure reported by the
same TC[3,27], so a product that reorders parameters fails. The truth of the health values is
judged against job queries and lists, the ICS power figures and the budget the ground set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def _series(
    ground: Any, sw: Any, sid: int, t0: float, interval: float, tms: list[Any], requirement: str, what: str
) -> None:
    """The reports of ``sid`` in ``tms`` are at t0 + k interval, k = 1, 2, ... up to ground.now."""
    reports = ground.hk(sid, tms)
    n = int((ground.now - t0) / interval + 1e-9)
    times = [tm.t for tm in reports]
    if abs((ground.now - t0) / interval - round((ground.now - t0) / interval)) < 1e-6:
        n_ok = {n, n - 1}
    else:
        n_ok = {n}
    assert len(reports) in n_ok, (
        f"{requirement}: {what}: {len(reports)} TM[3,25] of structure {sid} from {t0:.3f} to {ground.now:.3f} s, "
        f"expected {n} at {interval} s intervals; times {[round(t, 3) for t in times[:8]]}"
    )
    for k, t in enumerate(times, start=1):
        want = t0 + k * interval
        assert abs(t - want) <= sw.tolerance(k * interval), (
            f"{requirement}: {what}: report {k} of structure {sid} at {t:.4f} s, expected {want:.4f} s (every {interval} s from {t0:.4f})"
        )


def _create(ground: Any, sid: int, interval_ms: int, params: list[int], requirement: str) -> None:
    ground.created_sids.add(sid)
    rid = ground.tc("create_hk_structure", sid=sid, interval_ms=interval_ms, parameters=params)
    tms = ground.advance(0)
    assert ground.accepted(rid, tms) and ground.failure(rid, tms) is None, (
        f"{requirement}: TC[3,1] sid {sid} interval {interval_ms} ms parameters {params} refused: {ground.show(tms)}"
    )
    ground.structures[sid] = tuple(params)


def _free_sid(rng: np.random.Generator, taken: set[int]) -> int:
    while True:
        s = int(rng.integers(2, 1 << 16))
        if s not in taken:
            taken.add(s)
            return s


@pytest.mark.requirement("SWR-HK-001")
def test_health_report_period_from_power_on(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Structure 1 every hk_period_s from the power reset, with every health parameter in order
    (layout checked on decoding), one-shot reports (TC[3,27]) of it at random instants in between
    not moving the periodic series; disabled: none; enabled again: every period from the TC."""
    t0 = ground.now
    periods = 12
    left = periods * sw.hk_period_s + float(rng.uniform(0.1, 0.9)) * sw.hk_period_s
    tms: list[Any] = []
    shots = 0
    while left > 1e-9:
        dt = min(float(rng.uniform(0.3, 1.7)) * sw.hk_period_s, left)
        tms += ground.advance(dt)  # the periodic reports (the one-shot replies are not gathered)
        left -= dt
        if left > 1e-9 and shots < 6:
            ground.one_shot((1,), "SWR-HK-001")
            shots += 1
    _series(ground, sw, 1, t0, sw.hk_period_s, tms, "SWR-HK-001", f"after a power reset, with {shots} one-shot reports")
    for tm in ground.hk(1, tms):
        assert [p for p, _ in tm.f["ordered"]] == list(sw.health_parameters)
        if tm.dest != 0:
            ground.violation("SWR-VER-002", f"SWR-VER-002: periodic {tm} has destination {tm.dest}")
    ground.tc("disable_hk_periodic", sids=[1])
    ground.advance(0)
    tms = ground.advance(3 * sw.hk_period_s)
    assert not ground.hk(1, tms), f"SWR-HK-001: structure 1 reported while disabled: {ground.show(ground.hk(1, tms))}"
    ground.tc("enable_hk_periodic", sids=[1])
    ground.advance(0)
    t1 = ground.now
    tms = ground.advance(4.5 * sw.hk_period_s)
    _series(ground, sw, 1, t1, sw.hk_period_s, tms, "SWR-HK-003", "structure 1 enabled again")


@pytest.mark.requirement("SWR-HK-001")
@pytest.mark.parametrize("kind", ["watchdog", "latchup"])
def test_health_report_period_after_reset(ground: Any, sw: Any, rng: np.random.Generator, kind: str) -> None:
    ground.advance(float(rng.uniform(0.1, 0.9)) * sw.hk_period_s)
    ground.reset(kind)
    t0 = ground.now
    tms = ground.advance(6.5 * sw.hk_period_s)
    _series(ground, sw, 1, t0, sw.hk_period_s, tms, "SWR-HK-001", f"after a {kind} reset")


@pytest.mark.requirement("SWR-HK-002")
def test_health_values_tell_the_truth(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Job counts against the job list, power budget as set (rounded down to mW), power draw
    idle + job power per running job, never above a budget of at least idle_power_w, cpu load
    0 idle and above 0 with a job, loads 0..100, reset cause and count, memory error counts
    non-decreasing."""

    def check(label: str) -> dict[str, int]:
        """The health values against the job list at the same instant."""
        h = ground.health("SWR-HK-002")
        jobs = ground.list_jobs("SWR-HK-002")
        counts = {s: sum(1 for _, st in jobs if st == sw.states[s]) for s in ("queued", "running", "suspended")}
        got = {s: h[f"jobs_{s}"] for s in counts}
        assert got == counts and h["jobs_tracked"] == len(jobs), (
            f"SWR-HK-002: {label}: health job counts {got}, tracked {h['jobs_tracked']}; job list says {counts}, {len(jobs)} tracked"
        )
        draw = (sw.idle_w + sw.job_w * counts["running"]) * 1000.0
        assert abs(h["power_draw"] - draw) <= sw.power_tolerance(draw), (
            f"SWR-HK-002: {label}: power_draw {h['power_draw']} mW with {counts['running']} running, expected {draw:.0f} mW"
        )
        assert 0 <= h["cpu_load"] <= 100 and 0 <= h["accel_load"] <= 100, f"SWR-HK-002: {label}: loads {h}"
        assert (h["cpu_load"] > 0) == (counts["running"] > 0), (
            f"SWR-HK-002: {label}: cpu_load {h['cpu_load']} with {counts['running']} jobs running"
        )
        return dict(h)

    first = (ground.initial or {}).get("health")
    if first is not None:
        assert first["power_budget"] == 0xFFFFFFFF, (
            f"SWR-HK-002: power_budget {first['power_budget']} before any set_power, expected 0xFFFFFFFF (unlimited)"
        )
    h = check("after a power reset")
    assert (h["last_reset_cause"], h["reset_count"]) == (sw.reset_causes["power"], 0), (
        f"SWR-HK-002: after a power reset: {h}"
    )
    jobs = [ground.submit("sha256", 800_000, priority=int(p)) for p in rng.integers(0, 256, sw.concurrency + 1)]
    ground.advance(0.1)
    check(f"{sw.concurrency} jobs running, one queued")
    # a budget of one slot fewer than the jobs running: one suspended (counted as suspended, not queued)
    slots = min(1, sw.concurrency - 1)
    lo, hi = sw.idle_w + (slots + 0.2) * sw.job_w, sw.idle_w + (slots + 0.8) * sw.job_w
    budget = float(np.round(rng.uniform(lo, hi), 4)) + 0.0004
    ground.set_power(budget)
    ground.advance(0.1)
    h = check(f"budget {budget} W, {slots} slot(s), jobs suspended")
    assert h["power_budget"] == int(budget * 1000), (
        f"SWR-HK-002: power_budget {h['power_budget']} mW after set_power({budget})"
    )
    assert h["power_draw"] <= budget * 1000 + sw.power_tolerance(budget * 1000), (
        f"SWR-HK-002: draw {h['power_draw']} above budget"
    )
    ground.set_power(1e5)
    ground.advance(0.1)
    check("unlimited budget, jobs running")
    for j in jobs:
        ground.tc("cancel_job", ack=0, job_id=j.job_id)
    ground.advance(0)
    check("jobs cancelled")
    mem = (h["mem_corrected"], h["mem_uncorrectable"])
    count = 0
    for kind in ("watchdog", "latchup", "watchdog"):
        ground.reset(kind)
        ground.advance(float(rng.uniform(0.01, 1.0)))
        count += 1
        h = check(f"after a {kind} reset")
        assert (h["last_reset_cause"], h["reset_count"]) == (sw.reset_causes[kind], count), (
            f"SWR-HK-002: after a {kind} reset: last_reset_cause {h['last_reset_cause']}, reset_count {h['reset_count']}, "
            f"expected {sw.reset_causes[kind]}, {count}"
        )
        assert (
            (h["mem_corrected"], h["mem_uncorrectable"]) >= mem
            and h["mem_corrected"] >= mem[0]
            and h["mem_uncorrectable"] >= mem[1]
        ), (
            f"SWR-HK-002: memory error counts decreased across a {kind} reset: {mem} -> {(h['mem_corrected'], h['mem_uncorrectable'])}"
        )
        mem = (h["mem_corrected"], h["mem_uncorrectable"])
    assert h["power_budget"] == int(1e5 * 1000) or h["power_budget"] == 0xFFFFFFFF, (
        f"SWR-HK-002: power_budget {h['power_budget']}"
    )
    ground.advance(float(rng.uniform(0.01, 1.0)))
    ground.reset("power")
    ground.advance(float(rng.uniform(0.01, 1.0)))
    h = check("after watchdog and latch-up resets, then a power reset")
    assert (h["last_reset_cause"], h["reset_count"]) == (sw.reset_causes["power"], 0), (
        f"SWR-HK-002: after {count} watchdog and latch-up resets then a power reset: last_reset_cause "
        f"{h['last_reset_cause']}, reset_count {h['reset_count']}, expected {sw.reset_causes['power']}, 0 (reset_count "
        "counts the resets since the last power reset)"
    )
    mem = (h["mem_corrected"], h["mem_uncorrectable"])
    tms = ground.advance(5 * sw.hk_period_s)
    prev = mem
    for tm in ground.hk(1, tms):
        cur = (tm.f["values"]["mem_corrected"], tm.f["values"]["mem_uncorrectable"])
        assert cur[0] >= prev[0] and cur[1] >= prev[1], (
            f"SWR-HK-002: memory error counts decreased: {prev} -> {cur} at {tm.t:.3f}"
        )
        prev = cur


@pytest.mark.requirement("SWR-HK-003")
def test_created_structure_lifecycle(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """TC[3,1] (random sid, interval and parameter order) creates a disabled structure: no
    report; TC[3,5]: one per interval from the TC, values in the given order; TC[3,6]: none;
    TC[3,3]: deleted (TC[3,27] of it then unknown_sid)."""
    sid = _free_sid(rng, {1})
    interval_ms = int(rng.integers(300, 1500))
    params = [int(p) for p in rng.permutation(sorted(ground.wire.hk_parameters))[: int(rng.integers(3, 10))]]
    _create(ground, sid, interval_ms, params, "SWR-HK-003")
    tms = ground.advance(3.5 * interval_ms / 1000)
    assert not ground.hk(sid, tms), (
        f"SWR-HK-003: structure {sid} reported before TC[3,5]: {ground.show(ground.hk(sid, tms))}"
    )
    ground.tc("enable_hk_periodic", sids=[sid])
    ground.advance(0)
    t0 = ground.now
    tms = ground.advance(6.5 * interval_ms / 1000)
    _series(ground, sw, sid, t0, interval_ms / 1000, tms, "SWR-HK-003", f"structure {sid} enabled")
    for tm in ground.hk(sid, tms):
        assert [p for p, _ in tm.f["ordered"]] == params
    both = ground.one_shot([sid, 1], "SWR-HK-003")
    mine, health = both[sid].f["values"], both[1].f["values"]
    for name, value in mine.items():
        if name != "temperature":
            assert value == health[name], (
                f"SWR-HK-003: structure {sid} (parameters {params}) reports {name}={value}, structure 1 at the same instant {health[name]}"
            )
    ground.tc("disable_hk_periodic", sids=[sid])
    ground.advance(0)
    tms = ground.advance(3.5 * interval_ms / 1000)
    assert not ground.hk(sid, tms), (
        f"SWR-HK-003: structure {sid} reported after TC[3,6]: {ground.show(ground.hk(sid, tms))}"
    )
    ground.tc("enable_hk_periodic", sids=[sid])
    ground.advance(float(rng.uniform(1.2, 1.8)) * interval_ms / 1000)
    rid = ground.tc("delete_hk_structures", sids=[sid])
    tms = ground.advance(0)
    assert ground.failure(rid, tms) is None, f"SWR-HK-003: TC[3,3] of structure {sid} refused: {ground.show(tms)}"
    tms = ground.advance(3.5 * interval_ms / 1000)
    assert not ground.hk(sid, tms), (
        f"SWR-HK-003: enabled structure {sid} still reported after TC[3,3] deleted it: {ground.show(ground.hk(sid, tms))}"
    )
    rid = ground.tc("one_shot_hk", sids=[sid])
    ground.expect_rejection(rid, "unknown_sid", ground.advance(0), "SWR-HK-003", f"TC[3,27] of deleted structure {sid}")


@pytest.mark.requirement("SWR-HK-004")
def test_one_shot_and_interval_change(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """TC[3,27] reports every listed structure at once, enabled or not, in reply (destination the
    TC's source id); TC[3,31] on an enabled structure: next report one new interval after the TC,
    then every new interval; also on structure 1."""
    taken = {1}
    a, b = _free_sid(rng, taken), _free_sid(rng, taken)
    _create(ground, a, 2000, [7, 8, 9, 13], "SWR-HK-004")
    _create(ground, b, 700, [1, 6, 12], "SWR-HK-004")
    ground.tc("enable_hk_periodic", sids=[b])
    ground.advance(float(rng.uniform(0.1, 0.6)))
    got = ground.one_shot([a, b, 1])
    if not all(tm.dest == ground.source_id for tm in got.values()):
        ground.violation("SWR-VER-002", f"SWR-VER-002: one-shot reports {ground.show(got.values())}")
    assert all(abs(tm.t - ground.now) <= sw.tolerance(0) for tm in got.values()), (
        "SWR-HK-004: one-shot reports not at once"
    )
    new_ms = int(rng.integers(150, 650))
    ground.tc("modify_hk_interval", sid=b, interval_ms=new_ms)
    ground.advance(0)
    t0 = ground.now
    tms = ground.advance(8.5 * new_ms / 1000)
    _series(ground, sw, b, t0, new_ms / 1000, tms, "SWR-HK-004", f"structure {b} after TC[3,31] to {new_ms} ms")
    assert not ground.hk(a, tms), "SWR-HK-004: a disabled structure reported periodically after a one-shot"
    p1 = int(rng.integers(1000, 3000))
    ground.advance(float(rng.uniform(0.1, 1.0)))
    ground.tc("modify_hk_interval", sid=1, interval_ms=p1)
    ground.advance(0)
    t1 = ground.now
    tms = ground.advance(5.5 * p1 / 1000)
    _series(ground, sw, 1, t1, p1 / 1000, tms, "SWR-HK-004", f"structure 1 after TC[3,31] to {p1} ms")
    # TC[3,31] of a disabled structure: the interval changes, the structure stays disabled
    a_ms = int(rng.integers(250, 900))
    rid = ground.tc("modify_hk_interval", sid=a, interval_ms=a_ms)
    tms = ground.advance(0)
    assert ground.failure(rid, tms) is None, (
        f"SWR-HK-004: TC[3,31] of disabled structure {a} refused: {ground.show(tms)}"
    )
    tms = ground.advance(3.5 * a_ms / 1000)
    assert not ground.hk(a, tms), (
        f"SWR-HK-004: disabled structure {a} reported after TC[3,31] to {a_ms} ms (only TC[3,5] enables it): "
        f"{ground.show(ground.hk(a, tms))}"
    )
    ground.tc("enable_hk_periodic", sids=[a])
    ground.advance(0)
    t2 = ground.now
    tms = ground.advance(5.5 * a_ms / 1000)
    _series(
        ground,
        sw,
        a,
        t2,
        a_ms / 1000,
        tms,
        "SWR-HK-004",
        f"structure {a} modified to {a_ms} ms while disabled, then enabled",
    )


@pytest.mark.requirement("SWR-HK-005")
def test_rejected_requests_change_no_structure(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """TC[3,5] naming an enabled-to-be structure and an unknown one, TC[3,3] naming a structure and
    structure 1 or one twice, TC[3,31] with a bad interval, TC[3,1] with a bad parameter or an
    existing sid: rejected whole, nothing enabled, deleted or modified; structure capacity:
    the structure after max_structures is capacity."""
    taken = {1}
    a, unknown = _free_sid(rng, taken), _free_sid(rng, taken)
    _create(ground, a, 500, [7, 1], "SWR-HK-005")
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("enable_hk_periodic", {"sids": [a, unknown]}, "unknown_sid"),
        ("delete_hk_structures", {"sids": [a, 1]}, "parameter"),
        ("delete_hk_structures", {"sids": [a, a]}, "parameter"),
        ("delete_hk_structures", {"sids": [a, unknown]}, "unknown_sid"),
        ("create_hk_structure", {"sid": a, "interval_ms": 800, "parameters": [2]}, "sid_exists"),
        ("create_hk_structure", {"sid": unknown, "interval_ms": 800, "parameters": [2, 99]}, "parameter"),
        (
            "create_hk_structure",
            {"sid": unknown, "interval_ms": sw.hk_limits["min_interval_ms"] - 1, "parameters": [2]},
            "parameter",
        ),
        ("modify_hk_interval", {"sid": a, "interval_ms": sw.hk_limits["max_interval_ms"] + 1}, "parameter"),
    ]
    for name, fields, code in cases:
        rid = ground.tc(name, **fields)
        ground.expect_rejection(rid, code, ground.advance(0), "SWR-HK-005", f"TC {name} {fields}")
    tms = ground.advance(2.2)
    assert not ground.hk(a, tms), (
        f"SWR-HK-005: structure {a} enabled by a rejected TC[3,5]: {ground.show(ground.hk(a, tms))}"
    )
    rid = ground.tc("one_shot_hk", sids=[unknown])
    ground.expect_rejection(rid, "unknown_sid", ground.advance(0), "SWR-HK-005", "structure of a rejected TC[3,1]")
    got = ground.one_shot([a], "SWR-HK-005")
    assert [p for p, _ in got[a].f["ordered"]] == [7, 1], (
        f"SWR-HK-005: structure {a} changed by a rejected TC: {got[a]}"
    )
    ground.tc("enable_hk_periodic", sids=[a])
    ground.advance(0)
    t0 = ground.now
    tms = ground.advance(2.2)
    _series(ground, sw, a, t0, 0.5, tms, "SWR-HK-005", f"structure {a} after rejected TC[3,31]")
    # capacity (structure 1 and structure a already exist)
    for _ in range(sw.hk_limits["max_structures"] - 2):
        _create(ground, _free_sid(rng, taken), 1000, [1], "SWR-HK-005")
    extra = _free_sid(rng, taken)
    rid = ground.tc("create_hk_structure", sid=extra, interval_ms=1000, parameters=[1])
    ground.expect_rejection(
        rid, "capacity", ground.advance(0), "SWR-HK-005", f"structure {sw.hk_limits['max_structures'] + 1}"
    )
    rid = ground.tc("one_shot_hk", sids=[extra])
    ground.expect_rejection(rid, "unknown_sid", ground.advance(0), "SWR-HK-005", "structure refused for capacity")


@pytest.mark.requirement("SWR-HK-006")
def test_disabled_health_structure_stays_disabled(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Structure 1 disabled by TC[3,6]: no periodic report of it after a reset of any kind (its
    enabled status survives resets); TC[3,5] enables it again."""
    ground.tc("disable_hk_periodic", sids=[1])
    ground.advance(0)
    for kind in ("watchdog", "latchup", "power"):
        ground.advance(float(rng.uniform(0.05, 0.5)))
        ground.reset(kind)
        tms = ground.advance(2.5 * sw.hk_period_s)
        assert not ground.hk(1, tms), (
            f"SWR-HK-006: structure 1, disabled by TC[3,6], reported after a {kind} reset: {ground.show(ground.hk(1, tms))}"
        )
    ground.tc("enable_hk_periodic", sids=[1])
    ground.advance(0)
    t0 = ground.now
    tms = ground.advance(2.5 * sw.hk_period_s)
    _series(ground, sw, 1, t0, sw.hk_period_s, tms, "SWR-HK-006", "structure 1 enabled again after resets")


@pytest.mark.requirement("SWR-HK-006")
def test_structures_survive_resets(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """An enabled structure, a disabled one and structure 1 at a modified interval: after each
    kind of reset the enabled ones report one interval after the reset, then every interval, the
    disabled one does not, and all still exist."""
    taken = {1}
    on, off = _free_sid(rng, taken), _free_sid(rng, taken)
    on_ms = int(rng.integers(300, 900))
    p1 = int(rng.integers(1500, 3500))
    _create(ground, on, on_ms, [13, 7, 1], "SWR-HK-006")
    _create(ground, off, 400, [6], "SWR-HK-006")
    ground.tc("enable_hk_periodic", sids=[on])
    ground.tc("modify_hk_interval", sid=1, interval_ms=p1)
    ground.advance(0)
    for kind in ("watchdog", "latchup", "power"):
        ground.advance(float(rng.uniform(0.05, 0.3)))
        ground.reset(kind)
        t0 = ground.now
        tms = ground.advance(4.5 * p1 / 1000)
        _series(ground, sw, on, t0, on_ms / 1000, tms, "SWR-HK-006", f"structure {on} after a {kind} reset")
        _series(ground, sw, 1, t0, p1 / 1000, tms, "SWR-HK-006", f"structure 1 ({p1} ms) after a {kind} reset")
        assert not ground.hk(off, tms), f"SWR-HK-006: disabled structure {off} reported after a {kind} reset"
        got = ground.one_shot([off, on], "SWR-HK-006")
        assert [p for p, _ in got[on].f["ordered"]] == [13, 7, 1] and [p for p, _ in got[off].f["ordered"]] == [6]
