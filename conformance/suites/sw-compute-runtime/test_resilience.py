"""Conformance suite of sw-compute-runtime, class ``resilience`` (SWR-RES-001..008): resets,
checkpoints, power budgets and protected computation against armed faults.

Faults are armed only through TC[128,13] (parameter fault_injection) in jobs held queued by a
budget below idle_power_w, at replicas, offsets and masks drawn from the run's seed. Expected
results are the suite's own (hashlib, numpy exact matmul modulo 2^32); the corrupted result of an
unprotected job is the expected one with the armed octet XORed with the mask. Checkpoint and
progress claims are judged from job queries before and after resets and from the running
intervals the job events give (TM time fields).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive

TERMINAL_EVENTS = ("job_completed", "job_failed", "job_cancelled", "job_expired")
KINDS = ["watchdog", "latchup", "power"]


def _wait(ground: Any, jobs: list[Any], max_s: float, step: float = 1.0) -> None:
    ids = {j.job_id for j in jobs}

    def done(tms: list[Any]) -> bool:
        ended = {tm.f["job_id"] for tm in ground.events(tms=ground.log) if tm.f["event"] in TERMINAL_EVENTS}
        return ids <= ended

    if not done([]):
        ground.run_until(done, max_s, step)


def _running_time(ground: Any, job_id: int) -> float:
    total, start = 0.0, None
    for tm in ground.job_events(job_id):
        if tm.f["to_state"] == 1:
            start = tm.t
        elif tm.f["from_state"] == 1 and start is not None:
            total += tm.t - start
            start = None
    return total + (ground.now - start if start is not None else 0.0)


def _arm(ground: Any, job: Any, replica: int, offset: int, mask: int, requirement: str) -> None:
    rid = ground.tc("arm_fault", job_id=job.job_id, replica=replica, offset=offset, mask=mask)
    tms = ground.advance(0)
    assert ground.accepted(rid, tms) and ground.failure(rid, tms) is None, (
        f"{requirement}: TC[128,13] job {job.job_id} replica {replica} offset {offset} mask {mask:#04x} refused: {ground.show(tms)}"
    )


def _need_mode(sw: Any, mode: str) -> None:
    if mode not in sw.protection_modes:
        inconclusive(f"the ICS does not declare protection mode {mode}")


# --------------------------------------------------------------------------------------------------
# SWR-RES-001


@pytest.mark.requirement("SWR-RES-001")
@pytest.mark.parametrize("kind", KINDS)
def test_resets_lose_no_job(ground: Any, sw: Any, rng: np.random.Generator, kind: str) -> None:
    """Jobs completed, failed (energy), cancelled, expired, running, suspended and queued before a
    reset: all tracked after it, terminal ones unchanged with identical results, the others
    queued, running or suspended again (failed with reason reset only without checkpointing);
    afterwards they complete with the right results, and submission, query and retrieval work."""
    done = ground.submit("shake256-expand", int(rng.integers(1000, 9000)))
    failed = ground.submit("sha256", 1_000_000, energy_mj=1000)
    expired = ground.submit("sha256", 1_000_000, deadline_ms=100)
    _wait(ground, [done, failed, expired], 3.0, 0.5)
    cancelled = ground.submit("sha256", 1000)
    ground.set_power(0.0)
    ground.tc("cancel_job", job_id=cancelled.job_id)
    ground.set_power(1e5)
    hi = ground.submit("sha256", 900_000, priority=200)
    lo = ground.submit("sha256", 900_000, priority=100)
    ground.advance(0.3)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)
    queued = ground.submit("sha256", 5000, priority=1)
    ground.advance(0.2)
    jobs = [done, failed, expired, cancelled, hi, lo, queued]
    before = {j.job_id: ground.query_job(j.job_id, "SWR-RES-001") for j in jobs}
    assert all(before.values()), f"SWR-RES-001: setup: {before}"
    result = ground.retrieve(done.job_id, len(done.expected), requirement="SWR-RES-001")
    ground.reset(kind)
    ground.advance(float(rng.uniform(0.0, 0.2)))
    after = {j.job_id: ground.query_job(j.job_id, "SWR-RES-001") for j in jobs}
    listed = dict(ground.list_jobs("SWR-RES-001"))
    for j in jobs:
        b, a = before[j.job_id], after[j.job_id]
        assert a is not None and j.job_id in listed, (
            f"SWR-RES-001: job {j.job_id} ({sw.state_name(b['state'])}) lost by a {kind} reset"
        )
        if b["state"] in sw.terminal:
            keep = ("state", "reason", "result_size")
            assert {k: a[k] for k in keep} == {k: b[k] for k in keep}, (
                f"SWR-RES-001: terminal job {j.job_id} changed by a {kind} reset: {b} -> {a}"
            )
        elif a["state"] == sw.states["failed"]:
            assert not sw.checkpointing and a["reason"] == sw.reasons["reset"], (
                f"SWR-RES-001: job {j.job_id} failed at a {kind} reset ({a}) although the ICS declares checkpointing"
            )
        else:
            assert a["state"] in (sw.states["queued"], sw.states["running"], sw.states["suspended"]), (
                f"SWR-RES-001: job {j.job_id} ({sw.state_name(b['state'])} before) is {sw.state_name(a['state'])} after a {kind} reset"
            )
    assert ground.retrieve(done.job_id, len(done.expected), requirement="SWR-RES-001") == result == done.expected, (
        f"SWR-RES-001: the result of job {done.job_id} differs after a {kind} reset"
    )
    ground.set_power(1e5)
    new = ground.submit("sha256", 2000)
    live = [hi, lo, queued, new]
    _wait(ground, live, 8.0, 1.0)
    for j in live:
        st = ground.query_job(j.job_id, "SWR-RES-001")
        assert st is not None and st["state"] == sw.states["completed"], (
            f"SWR-RES-001: job {j.job_id} after a {kind} reset: {st}"
        )
        assert ground.retrieve(j.job_id, len(j.expected), requirement="SWR-RES-001") == j.expected, (
            f"SWR-RES-001: job {j.job_id} interrupted by a {kind} reset completed with a wrong result"
        )


# --------------------------------------------------------------------------------------------------
# SWR-RES-002


@pytest.mark.requirement("SWR-RES-002")
@pytest.mark.applies_if("checkpointing")
@pytest.mark.parametrize("kind", KINDS)
def test_resume_from_checkpoint(ground: Any, sw: Any, rng: np.random.Generator, kind: str) -> None:
    """A long job reset at a random point of its run: progress after the reset at least progress
    before less one checkpoint interval; total running time at most nominal + one interval +
    job_latency_s; the right result."""
    cp = sw.checkpoint_s
    if cp is None:
        inconclusive("checkpointing declared without checkpoint_interval_s")
    mode = max((m for m in sw.workload_protection["sha256"] if m in sw.protection_modes), key=lambda m: sw.replicas[m])
    size = sw.max_input
    nominal = sw.nominal_s(size, mode)
    if nominal < 1.5 * cp:
        inconclusive(f"the longest job ({nominal:.2f} s) is shorter than 1.5 checkpoint intervals ({cp} s)")
    job = ground.submit("sha256", size, protection=mode)
    ground.advance(float(rng.uniform(cp * 1.05, nominal - 0.1 * cp)))
    b = ground.query_job(job.job_id, "SWR-RES-002")
    assert b is not None and b["state"] == sw.states["running"], f"SWR-RES-002: job not running before the reset: {b}"
    ground.reset(kind)
    ground.advance(0)
    a = ground.query_job(job.job_id, "SWR-RES-002")
    if a is None:
        inconclusive(f"job {job.job_id} was lost by the {kind} reset (SWR-RES-001): no checkpoint to judge")
    loss = 1000.0 * cp / nominal
    assert a["progress_permille"] >= b["progress_permille"] - loss - 1, (
        f"SWR-RES-002: progress {b['progress_permille']} before a {kind} reset, {a['progress_permille']} after: more than one "
        f"checkpoint interval ({loss:.0f} per mille) lost"
    )
    _wait(ground, [job], nominal + cp + 2.0, 0.5)
    ev = ground.job_events(job.job_id)
    assert ev[-1].f["event"] == "job_completed", f"SWR-RES-002: job after a {kind} reset: {ground.show(ev)}"
    ran = _running_time(ground, job.job_id)
    limit = nominal + cp + sw.job_latency_s + sw.tolerance(nominal)
    assert ran <= limit, f"SWR-RES-002: running time {ran:.3f} s with a {kind} reset, at most {limit:.3f} s allowed"
    assert ground.retrieve(job.job_id, 32, requirement="SWR-RES-002") == job.expected


@pytest.mark.requirement("SWR-RES-002")
@pytest.mark.applies_if("checkpointing")
def test_checkpoint_interval(ground: Any, sw: Any) -> None:
    """Checkpoints (TM[1,5], one per checkpoint) at least every checkpoint_interval_s of running time."""
    cp = sw.checkpoint_s
    if cp is None:
        inconclusive("checkpointing declared without checkpoint_interval_s")
    mode = max((m for m in sw.workload_protection["sha256"] if m in sw.protection_modes), key=lambda m: sw.replicas[m])
    job = ground.submit("sha256", sw.max_input, protection=mode)
    _wait(ground, [job], sw.nominal_s(sw.max_input, mode) + 2.0, 10.0)
    run = [tm.t for tm in ground.job_events(job.job_id) if tm.f["event"] in ("job_running", "job_completed")]
    marks = [run[0], *[tm.t for tm in ground.verification(job.rid) if tm.key == (1, 5)], run[-1]]
    gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    assert max(gaps[:-1] or [0.0]) <= cp + sw.tolerance(cp), (
        f"SWR-RES-002: {cp} s checkpoint interval, gaps {[round(g, 3) for g in gaps]}"
    )


# --------------------------------------------------------------------------------------------------
# SWR-RES-003


@pytest.mark.requirement("SWR-RES-003")
def test_power_budget_suspends_and_resumes(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Budget lowered to one slot: the lower-priority running job suspended at once (reason
    power), power_draw within the budget, its progress frozen; budget 0: all suspended; budget
    raised: both resume and complete with no lost work and the right results."""
    if sw.concurrency < 2:
        inconclusive("needs concurrency >= 2")
    size = 1_000_000
    p = sorted(int(x) for x in rng.choice(256, 2, replace=False))
    lo = ground.submit("sha256", size, priority=p[0])
    hi = ground.submit("sha256", size, priority=p[1])
    ground.advance(float(rng.uniform(0.1, 0.4)))
    budget = sw.idle_w + float(rng.uniform(1.05, 1.95)) * sw.job_w
    t_set = ground.now
    ground.set_power(budget)
    tms = ground.advance(0)
    sus = [tm for tm in ground.job_events(lo.job_id, tms) if tm.f["event"] == "job_suspended"]
    assert sus and abs(sus[0].t - t_set) <= sw.tolerance(0) and sus[0].f["reason"] == sw.reasons["power"], (
        f"SWR-RES-003: budget {budget:.3f} W (one slot): the lower-priority job {lo.job_id} must be suspended at once, reason power: "
        f"{ground.show(ground.job_events(lo.job_id, tms))}"
    )
    assert not [tm for tm in ground.job_events(hi.job_id, tms) if tm.f["event"] == "job_suspended"], (
        "SWR-RES-003: the higher-priority job was suspended"
    )
    h = ground.health("SWR-RES-003")
    assert h["power_draw"] <= budget * 1000 + sw.power_tolerance(budget * 1000), (
        f"SWR-RES-003: draw {h['power_draw']} mW > budget {budget} W"
    )
    q1 = ground.query_job(lo.job_id, "SWR-RES-003")
    ground.advance(0.2)
    q2 = ground.query_job(lo.job_id, "SWR-RES-003")
    assert q1 and q2 and q1["progress_permille"] == q2["progress_permille"], (
        f"SWR-RES-003: a suspended job progressed: {q1} -> {q2}"
    )
    ground.set_power(sw.idle_w * float(rng.uniform(0.0, 1.0)))
    tms = ground.advance(0)
    assert [tm.f["event"] for tm in ground.job_events(hi.job_id, tms)] == ["job_suspended"], (
        f"SWR-RES-003: budget below idle_power_w: job {hi.job_id} must be suspended: {ground.show(tms)}"
    )
    ground.advance(0.3)
    ground.set_power(1e5)
    _wait(ground, [lo, hi], 4.0, 0.5)
    for j in (lo, hi):
        ran = _running_time(ground, j.job_id)
        nominal = sw.nominal_s(size)
        assert ran <= nominal + sw.job_latency_s + sw.tolerance(nominal), (
            f"SWR-RES-003: job {j.job_id} ran {ran:.3f} s in total for {nominal:.3f} s of work: progress lost at suspension"
        )
        assert ground.retrieve(j.job_id, 32, requirement="SWR-RES-003") == j.expected, (
            f"SWR-RES-003: wrong result of job {j.job_id}"
        )


# --------------------------------------------------------------------------------------------------
# SWR-RES-004 .. 007


def _held(ground: Any, workload: str, size: int, mode: str) -> Any:
    ground.set_power(0.0)
    return ground.submit(workload, size, protection=mode)


@pytest.mark.requirement("SWR-RES-004")
def test_fault_corrupts_an_unprotected_result(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """protection none: the armed octet XORed with the mask, every other octet right; a second
    TC[128,13] for the same replica replaces the first."""
    cases = [
        ("sha256", int(rng.integers(10, 5000))),
        ("shake256-expand", int(rng.integers(100, 5000))),
        ("matmul-u32", 8 * 5 * 5),
    ]
    for workload, size in cases:
        job = _held(ground, workload, size, "none")
        total = len(job.expected)
        off, mask = int(rng.integers(0, total)), int(rng.integers(1, 256))
        _arm(ground, job, 0, int(rng.integers(0, total)), int(rng.integers(1, 256)), "SWR-RES-004")
        _arm(ground, job, 0, off, mask, "SWR-RES-004")
        ground.set_power(1e5)
        _wait(ground, [job], 2.0, 0.5)
        want = bytearray(job.expected)
        want[off] ^= mask
        got = ground.retrieve(job.job_id, total, requirement="SWR-RES-004")
        assert got == bytes(want), (
            f"SWR-RES-004: {workload} job with a fault at octet {off} mask {mask:#04x}: octets differing from the expected "
            f"corrupted result at {[i for i in range(total) if got[i : i + 1] != want[i : i + 1]][:8]}"
        )


def _mismatch_events(ground: Any, job_id: int) -> list[Any]:
    return [
        tm
        for tm in ground.events()
        if tm.f["event"] in ("protection_mismatch_detected", "protection_mismatch_corrected")
        and tm.f["job_id"] == job_id
    ]


def _clean(ground: Any, sw: Any, job: Any, mode: str, requirement: str) -> None:
    """A protected job without an armed fault: completed with the right result and no mismatch event
    (parameter fault_injection: reported only when the replicas or checksums disagree)."""
    st = ground.query_job(job.job_id, requirement)
    assert st is not None and st["state"] == sw.states["completed"], (
        f"{requirement}: {mode} {job.workload} job without a fault: {st}"
    )
    assert ground.retrieve(job.job_id, len(job.expected), requirement=requirement) == job.expected, (
        f"{requirement}: {mode} {job.workload} job without a fault: wrong result"
    )
    ev = _mismatch_events(ground, job.job_id)
    assert not ev, f"{requirement}: {mode} {job.workload} job without a fault reported {ground.show(ev)}"


def _failed_on_mismatch(ground: Any, sw: Any, job: Any, mode: str, what: str, requirement: str) -> None:
    """Failed with reason mismatch, one protection_mismatch_detected event, no result retrievable
    (SWR-RES-005, SWR-RES-006; its TM[1,8] 256 + mismatch is SWR-VER-008's, judged there)."""
    st = ground.query_job(job.job_id, requirement)
    assert st is not None and (st["state"], st["reason"]) == (sw.states["failed"], sw.reasons["mismatch"]), (
        f"{requirement}: {mode} {job.workload} job {what}: {st}, expected failed with reason mismatch"
    )
    ev = _mismatch_events(ground, job.job_id)
    assert [(tm.f["event"], tm.f["protection"]) for tm in ev] == [
        ("protection_mismatch_detected", sw.protection_codes[mode])
    ], f"{requirement}: {mode} job {what}: mismatch events {ground.show(ev)}"
    rid = ground.tc("retrieve_result", job_id=job.job_id, offset=0, length=16)
    ground.expect_rejection(
        rid, "job_state", ground.advance(0), requirement, f"retrieval from a {mode} job that failed"
    )


@pytest.mark.requirement("SWR-RES-005")
@pytest.mark.applies_if("'dmr' in protection_modes")
def test_dmr_detects_a_mismatch(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """dmr with a fault in either replica (for a result of several chunks, in its last max_chunk
    octets: the whole result is compared): failed with reason mismatch, the event
    protection_mismatch_detected, no result retrievable; without a fault: the right result
    and no mismatch event. (The TM[1,8] 256+mismatch of a failed job is judged by SWR-VER-008.)"""
    big = min(3 * sw.max_chunk, sw.max_input)
    for workload, size, lo in (
        ("sha256", int(rng.integers(10, 5000)), 0),
        ("matmul-u32", 8 * 6 * 6, 0),
        ("shake256-expand", big, max(0, big - sw.max_chunk)),
    ):
        job = _held(ground, workload, size, "dmr")
        clean = ground.submit(workload, size, protection="dmr")
        r = int(rng.integers(0, 2))
        off = int(rng.integers(lo, len(job.expected)))
        _arm(ground, job, r, off, int(rng.integers(1, 256)), "SWR-RES-005")
        ground.set_power(1e5)
        _wait(ground, [job, clean], 2.0, 0.5)
        _failed_on_mismatch(ground, sw, job, "dmr", f"with a fault in replica {r} at octet {off}", "SWR-RES-005")
        _clean(ground, sw, clean, "dmr", "SWR-RES-005")


@pytest.mark.requirement("SWR-RES-006")
@pytest.mark.applies_if("'tmr' in protection_modes")
def test_tmr_outvotes_a_fault(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """tmr with a fault in one random replica: completed, the right result, one
    protection_mismatch_corrected event; without a fault: the right result and no mismatch event."""
    for workload, size in (
        ("sha256", int(rng.integers(10, 5000))),
        ("matmul-u32", 8 * 7 * 7),
        ("shake256-expand", 700),
    ):
        job = _held(ground, workload, size, "tmr")
        clean = ground.submit(workload, size, protection="tmr")
        r = int(rng.integers(0, 3))
        _arm(ground, job, r, int(rng.integers(0, len(job.expected))), int(rng.integers(1, 256)), "SWR-RES-006")
        ground.set_power(1e5)
        _wait(ground, [job, clean], 2.0, 0.5)
        st = ground.query_job(job.job_id, "SWR-RES-006")
        assert st is not None and st["state"] == sw.states["completed"], (
            f"SWR-RES-006: tmr job with a fault in replica {r}: {st}"
        )
        assert ground.retrieve(job.job_id, len(job.expected), requirement="SWR-RES-006") == job.expected, (
            f"SWR-RES-006: tmr {workload} job with a fault in replica {r}: wrong result"
        )
        ev = _mismatch_events(ground, job.job_id)
        assert [(tm.f["event"], tm.f["protection"]) for tm in ev] == [
            ("protection_mismatch_corrected", sw.protection_codes["tmr"])
        ], f"SWR-RES-006: tmr job with a fault in replica {r}: events {ground.show(ev)}"
        _clean(ground, sw, clean, "tmr", "SWR-RES-006")


@pytest.mark.requirement("SWR-RES-006")
@pytest.mark.applies_if("'tmr' in protection_modes")
def test_tmr_without_majority_fails(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """tmr with faults at the same octet of two replicas, different masks: the three replicas
    disagree there (no majority), so the job fails with reason mismatch like a DMR mismatch
    (protection_mismatch_detected, no result; its TM[1,8] is SWR-VER-008's)."""
    for workload, size in (("sha256", int(rng.integers(10, 5000))), ("shake256-expand", int(rng.integers(100, 3000)))):
        job = _held(ground, workload, size, "tmr")
        reps = sorted(int(x) for x in rng.choice(3, 2, replace=False))
        off = int(rng.integers(0, len(job.expected)))
        m1 = int(rng.integers(1, 256))
        m2 = int((m1 + rng.integers(1, 255)) % 256) or 1
        m2 = m2 if m2 != m1 else (m1 % 255) + 1
        _arm(ground, job, reps[0], off, m1, "SWR-RES-006")
        _arm(ground, job, reps[1], off, m2, "SWR-RES-006")
        ground.set_power(1e5)
        _wait(ground, [job], 2.0, 0.5)
        _failed_on_mismatch(
            ground,
            sw,
            job,
            "tmr",
            f"with faults at octet {off} of replicas {reps} (masks {m1:#04x}, {m2:#04x}): no majority",
            "SWR-RES-006",
        )


@pytest.mark.requirement("SWR-RES-007")
@pytest.mark.applies_if("'abft' in protection_modes")
def test_abft_corrects_an_element(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """matmul-u32 with abft and a fault at a random octet of C (random n): completed with the right
    C, one protection_mismatch_corrected event."""
    for n in (1, 2, int(rng.integers(3, 40))):
        job = _held(ground, "matmul-u32", 8 * n * n, "abft")
        off = int(rng.integers(0, 4 * n * n))
        _arm(ground, job, 0, off, int(rng.integers(1, 256)), "SWR-RES-007")
        ground.set_power(1e5)
        _wait(ground, [job], 2.0, 0.5)
        st = ground.query_job(job.job_id, "SWR-RES-007")
        assert st is not None and st["state"] == sw.states["completed"], (
            f"SWR-RES-007: abft n={n} fault at octet {off}: {st}"
        )
        got = ground.retrieve(job.job_id, len(job.expected), requirement="SWR-RES-007")
        assert got == job.expected, (
            f"SWR-RES-007: abft n={n} with a fault at octet {off} (element {off // 4}): C not corrected"
        )
        ev = _mismatch_events(ground, job.job_id)
        assert [(tm.f["event"], tm.f["protection"]) for tm in ev] == [
            ("protection_mismatch_corrected", sw.protection_codes["abft"])
        ], f"SWR-RES-007: abft n={n} with a fault at octet {off}: events {ground.show(ev)}"
    n = int(rng.integers(2, 40))
    clean = ground.submit("matmul-u32", 8 * n * n, protection="abft")
    _wait(ground, [clean], 2.0, 0.5)
    _clean(ground, sw, clean, "abft", "SWR-RES-007")


# --------------------------------------------------------------------------------------------------
# SWR-RES-008


@pytest.mark.requirement("SWR-RES-008")
def test_reset_cause_count_and_budget(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Random sequences of resets: last_reset_cause and reset_count after each (watchdog and
    latch-up counted, a power reset clears); the budget last set still applies after a reset
    (power_budget value and one job running under a one-slot budget)."""
    budget = sw.idle_w + float(rng.uniform(1.1, 1.9)) * sw.job_w
    ground.set_power(budget)
    jobs = [ground.submit("sha256", 1_000_000) for _ in range(3)]
    ground.advance(0.05)
    count = 0
    for kind in [str(k) for k in rng.choice(KINDS, 8)] + ["watchdog"]:
        ground.reset(kind)
        ground.advance(float(rng.uniform(0.0, 0.05)))
        count = 0 if kind == "power" else min(count + 1, 0xFFFF)
        h = ground.health("SWR-RES-008")
        assert (h["last_reset_cause"], h["reset_count"]) == (sw.reset_causes[kind], count), (
            f"SWR-RES-008: after a {kind} reset: cause {h['last_reset_cause']}, count {h['reset_count']}; expected "
            f"{sw.reset_causes[kind]}, {count}"
        )
        assert h["power_budget"] == int(budget * 1000), (
            f"SWR-RES-008: power_budget {h['power_budget']} mW after a {kind} reset, set {budget} W"
        )
        assert h["jobs_running"] <= 1, (
            f"SWR-RES-008: {h['jobs_running']} jobs running after a {kind} reset under a one-slot budget"
        )
    jobs += [ground.submit("sha256", 1_000_000) for _ in range(2)]
    ground.advance(0.5)
    h = ground.health("SWR-RES-008")
    assert h["jobs_running"] == 1, f"SWR-RES-008: one slot after the resets, {h['jobs_running']} running"
