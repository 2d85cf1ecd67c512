"""Conformance suite of sw-compute-runtime, class ``jobs`` (SWR-JOB-001..008): the compute-job
service (mission-specific service type 128, ECSS-E-ST-70-41C 8.1) and its scheduler.

Expected results come from the spec's workload definitions computed by the suite (hashlib
SHA-256, SHAKE128 for the input, SHAKE256; numpy exact uint64 arithmetic for matmul-u32 modulo
2^32), never from the product. Job ids, seeds, sizes, priorities, deadlines and energy budgets are
drawn from the run's seed. Times are read from TM time fields (the product stamps each TM with the
simulated time it is emitted, checked by SWR-VER-002), so one long advance gives exact instants of
dispatch, completion and expiry; the power budget (set_power) holds jobs queued when a test needs
a backlog.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def _fail(message: str) -> None:
    raise AssertionError(message)


from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.sw_compute_runtime import job_input, matmul_u32

TERMINAL_EVENTS = ("job_completed", "job_failed", "job_cancelled", "job_expired")


def _ended(ground: Any, jobs: list[Any]) -> Any:
    ids = {j.job_id for j in jobs}

    def pred(tms: list[Any]) -> bool:
        done = {tm.f["job_id"] for tm in ground.events(tms=tms) if tm.f["event"] in TERMINAL_EVENTS}
        return ids <= done

    return pred


def _wait(ground: Any, jobs: list[Any], max_s: float, step: float = 1.0) -> list[Any]:
    tms = ground.run_until(_ended(ground, jobs), max_s, step)
    for j in jobs:
        ev = ground.job_events(j.job_id)
        assert ev and ev[-1].f["event"] in TERMINAL_EVENTS, (
            f"SWR-JOB-004: job {j.job_id} did not reach a terminal state within {max_s} s: {ground.show(ev)}"
        )
    return list(tms)


def _event_time(ground: Any, job_id: int, name: str, tms: Any = None) -> float | None:
    ev = [tm for tm in ground.job_events(job_id, tms) if tm.f["event"] == name]
    return ev[0].t if ev else None


# --------------------------------------------------------------------------------------------------
# SWR-JOB-001


@pytest.mark.requirement("SWR-JOB-001")
def test_submission_creates_a_queued_job(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Every workload with every protection mode it and the ICS allow: the job is queued with the
    manifest's id, priority and protection (budget 0 keeps it queued)."""
    ground.set_power(0.0)
    jobs = []
    for workload, modes in sorted(sw.workload_protection.items()):
        for mode in sorted(modes & sw.protection_modes):
            size = 8 * 4 * 4 if workload == "matmul-u32" else int(rng.integers(1, 10_000))
            jobs.append(ground.submit(workload, size, priority=int(rng.integers(0, 256)), protection=mode))
    tms = ground.advance(0)
    for job in jobs:
        assert ground.accepted(job.rid, tms), (
            f"SWR-JOB-001: valid submission {job} not accepted: {ground.show(ground.verification(job.rid, tms))}"
        )
        ev = ground.job_events(job.job_id, tms)
        assert [(tm.f["event"], tm.f["from_state"], tm.f["to_state"]) for tm in ev] == [
            ("job_queued", 255, sw.states["queued"])
        ], f"SWR-JOB-001: job {job.job_id}: expected one job_queued event from 255, observed {ground.show(ev)}"
        st = ground.query_job(job.job_id, "SWR-JOB-001")
        assert st is not None, f"SWR-JOB-001: accepted job {job.job_id} is unknown to TC[128,3]"
        want = (sw.states["queued"], job.priority, sw.protection_codes[job.protection], 0)
        got = (st["state"], st["priority"], st["protection"], st["result_size"])
        assert got == want, (
            f"SWR-JOB-001: job {job.job_id} (state, priority, protection, result_size) {got}, expected {want}"
        )


@pytest.mark.requirement("SWR-JOB-001")
def test_invalid_submissions_create_no_job(ground: Any, sw: Any, wire: Any, rng: np.random.Generator) -> None:
    """Job id 0, an unknown digest, input sizes the workload does not allow or above
    max_input_octets, protection modes the workload or the ICS does not allow, an existing job id,
    and a submission with job_capacity jobs tracked: rejected with their codes, no job created."""
    existing = ground.submit("sha256", 100)
    ground.advance(0.5)
    n = int(rng.integers(2, 9))
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("job id 0", "parameter", {"job_id": 0}),
        ("unknown digest", "unknown_workload", {"digest": bytes(rng.integers(0, 256, 32, dtype=np.uint8))}),
        ("matmul input not 8 n^2", "parameter", {"workload": "matmul-u32", "size": 8 * n * n + 8}),
        ("input of max_input_octets + 1", "parameter", {"size": sw.max_input + 1}),
        ("input above max_input_octets", "parameter", {"size": sw.max_input + int(rng.integers(2, 1000))}),
        ("existing job id", "job_exists", {"job_id": existing.job_id}),
    ]
    for workload, modes in sorted(sw.workload_protection.items()):
        for mode in sorted(set(sw.protection_codes) - modes):
            cases.append((f"{mode} for {workload}", "protection", {"workload": workload, "protection": mode}))
    for mode in sorted(set(sw.protection_codes) - sw.protection_modes):
        cases.append(
            (f"{mode}, not in the ICS", "protection", {"workload": "matmul-u32", "size": 32, "protection": mode})
        )
    for label, code, over in cases:
        kw: dict[str, Any] = {"workload": "sha256", "size": 64}
        kw.update(over)
        job = ground.submit(kw.pop("workload"), kw.pop("size"), **kw)
        ground.expect_rejection(job.rid, code, ground.advance(0), "SWR-JOB-001", f"submission with {label}")
        if label not in ("existing job id", "job id 0"):
            assert ground.query_job(job.job_id, "SWR-JOB-001") is None, (
                f"SWR-JOB-001: a rejected submission ({label}) created job {job.job_id}"
            )
    ground.set_power(0.0)
    # churn: jobs submitted, cancelled and deleted free their slots (no reset in between)
    churn = [ground.submit("sha256", 10, ack=0) for _ in range(int(rng.integers(8, 13)))]
    for job in churn:
        ground.tc("cancel_job", ack=0, job_id=job.job_id)
        ground.tc("delete_job", ack=0, job_id=job.job_id)
    ground.advance(0)
    fill = [ground.submit("sha256", 10, ack=0) for _ in range(sw.job_capacity - 1)]
    ground.advance(0)
    tracked = len(ground.list_jobs("SWR-JOB-001"))
    assert tracked == sw.job_capacity, (
        f"SWR-JOB-001: after {len(churn)} jobs submitted, cancelled and deleted and {len(fill) + 1} submitted, "
        f"{tracked} jobs tracked, expected job_capacity {sw.job_capacity}: deleted jobs' slots not reclaimed"
    )
    extra = ground.submit("sha256", 10)
    ground.expect_rejection(
        extra.rid, "capacity", ground.advance(0), "SWR-JOB-001", f"submission {sw.job_capacity + 1}"
    )
    assert ground.query_job(extra.job_id, "SWR-JOB-001") is None, (
        "SWR-JOB-001: a submission over capacity created a job"
    )
    for job in fill[:2]:
        ground.tc("cancel_job", ack=0, job_id=job.job_id)
        ground.tc("delete_job", ack=0, job_id=job.job_id)
    ground.advance(0)
    for k in range(2):
        again = ground.submit("sha256", 10)
        tms = ground.advance(0)
        assert ground.accepted(again.rid, tms) and ground.failure(again.rid, tms) is None, (
            f"SWR-JOB-001: with job_capacity jobs tracked, 2 deleted, submission {k + 1} refused: {ground.show(tms)}"
        )


# --------------------------------------------------------------------------------------------------
# SWR-JOB-002


@pytest.mark.requirement("SWR-JOB-002")
def test_results_are_the_workloads(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Random inputs of every workload (every n of matmul-u32 from 1 to 8, a random one up to 64
    and n = 256 where max_input allows), results retrieved whole and compared with the suite's own
    computation."""
    cases: list[tuple[str, int]] = [("sha256", 1), ("sha256", int(rng.integers(2, 200_000))), ("shake256-expand", 1)]
    cases.append(("shake256-expand", int(rng.integers(2, 20_000))))
    ns = list(range(1, 9)) + [int(rng.integers(9, 65))] + ([256] if 8 * 256 * 256 <= sw.max_input else [])
    cases += [("matmul-u32", 8 * n * n) for n in ns]
    jobs = [ground.submit(w, size) for w, size in cases]
    _wait(ground, jobs, 10.0 + 2 * sum(sw.nominal_s(j.size) for j in jobs) / sw.concurrency, 1.0)
    for job in jobs:
        st = ground.query_job(job.job_id, "SWR-JOB-002")
        assert st is not None and st["state"] == sw.states["completed"], f"SWR-JOB-002: job {job} not completed: {st}"
        want = job.expected
        assert st["result_size"] == len(want), (
            f"SWR-JOB-002: {job.workload} job of {job.size} octets: result_size {st['result_size']}, expected {len(want)}"
        )
        got = ground.retrieve(job.job_id, len(want))
        if got != want:
            first = next(i for i in range(len(want)) if got[i] != want[i])
            _fail(
                f"SWR-JOB-002: {job.workload} job {job.job_id} (seed {job.seed}, {job.size} octets): result differs "
                f"from octet {first} on: {got[first : first + 8].hex()} instead of {want[first : first + 8].hex()}"
            )


@pytest.mark.requirement("SWR-JOB-002")
def test_matmul_oracle_agrees_with_python_integers(rng: np.random.Generator) -> None:
    """The suite's own matmul-u32 oracle (split 16-bit halves in uint64) against exact Python
    integers on random matrices, so SWR-JOB-002 judges products with a correct reference."""
    for n in (1, 3, 7):
        a = rng.integers(0, 1 << 32, (n, n), dtype=np.uint64)
        b = rng.integers(0, 1 << 32, (n, n), dtype=np.uint64)
        want = [[sum(int(a[i, k]) * int(b[k, j]) for k in range(n)) % (1 << 32) for j in range(n)] for i in range(n)]
        assert matmul_u32(a, b).tolist() == want
    assert len(job_input(0, 17)) == 17


@pytest.mark.requirement("SWR-JOB-002")
def test_chunks_from_any_offset(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """TC[128,9] from random offsets (the first and last octet included) with random lengths:
    exactly the octets from the offset, up to the length or the end of the result."""
    job = ground.submit("shake256-expand", int(rng.integers(3 * sw.max_chunk, 6 * sw.max_chunk)))
    _wait(ground, [job], 5.0 + 2 * sw.nominal_s(job.size))
    want = job.expected
    total = len(want)
    offsets = [0, 1, total - 1, total - sw.max_chunk, *[int(x) for x in rng.integers(0, total, 12)]]
    for off in offsets:
        length = int(rng.choice([1, sw.max_chunk, int(rng.integers(1, sw.max_chunk + 1))]))
        ground.tc("retrieve_result", job_id=job.job_id, offset=off, length=length)
        tms = ground.advance(0)
        tm = ground.single(tms, 128, 10, f"TC[128,9] offset {off} length {length}", "SWR-JOB-002")
        exp = want[off : off + length]
        assert (tm.f["job_id"], tm.f["offset"], tm.f["total_size"]) == (job.job_id, off, total), (
            f"SWR-JOB-002: chunk header {tm}"
        )
        assert tm.f["data"] == exp, (
            f"SWR-JOB-002: chunk at offset {off} length {length} of a {total}-octet result: {len(tm.f['data'])} octets "
            f"{tm.f['data'][:8].hex()}..., expected {len(exp)} octets {exp[:8].hex()}..."
        )
    rid = ground.tc("retrieve_result", job_id=job.job_id, offset=total, length=1)
    ground.expect_rejection(
        rid, "parameter", ground.advance(0), "SWR-JOB-002", f"TC[128,9] at offset {total} = result size"
    )


# --------------------------------------------------------------------------------------------------
# SWR-JOB-003


@pytest.mark.requirement("SWR-JOB-003")
def test_status_and_list(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Jobs completed, cancelled, running and queued: each listed once, ascending, with the state
    its query and its last event give; progress never decreases and is 1000 when completed;
    result size 0 until completed; energy used job_power_w times the running time."""
    done = ground.submit("sha256", int(rng.integers(100_000, 300_000)), priority=200)
    _wait(ground, [done], 3.0, 0.5)
    gone = ground.submit("sha256", 1000)
    ground.set_power(0.0)
    ground.advance(0)
    ground.tc("cancel_job", job_id=gone.job_id)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)
    size = sw.max_input
    slow = ground.submit("sha256", size, priority=250)
    waiting = ground.submit("sha256", 1000, priority=1)
    ground.advance(0)
    progress = []
    for _ in range(6):
        ground.advance(sw.nominal_s(size) / 8)
        st = ground.query_job(slow.job_id)
        assert st is not None, f"SWR-JOB-003: job {slow.job_id} unknown"
        assert st["result_size"] == 0 or st["state"] == sw.states["completed"], (
            f"SWR-JOB-003: result size before completion: {st}"
        )
        assert 0 <= st["progress_permille"] <= 1000, f"SWR-JOB-003: progress {st['progress_permille']} out of 0..1000"
        progress.append(st["progress_permille"])
    assert progress == sorted(progress) and progress[-1] > 0, (
        f"SWR-JOB-003: progress of a running job {progress} decreases or stays 0"
    )
    jobs = ground.list_jobs()
    ids = [j for j, _ in jobs]
    assert ids == sorted(set(ids)), f"SWR-JOB-003: TM[128,6] ids {ids} not ascending or repeated"
    assert {done.job_id, gone.job_id, slow.job_id, waiting.job_id} <= set(ids), (
        f"SWR-JOB-003: tracked jobs missing from {ids}"
    )
    for j, state in jobs:
        st = ground.query_job(j)
        assert st is not None and st["state"] == state, (
            f"SWR-JOB-003: job {j} listed in state {state}, its query says {st}"
        )
        ev = ground.job_events(j)
        if ev:
            assert ev[-1].f["to_state"] == state, (
                f"SWR-JOB-003: job {j} listed in state {state}, its last event {ev[-1]}"
            )
    want = {done.job_id: "completed", gone.job_id: "cancelled", slow.job_id: "running", waiting.job_id: "queued"}
    for j, name in want.items():
        assert dict(jobs)[j] == sw.states[name], (
            f"SWR-JOB-003: job {j} listed in state {dict(jobs)[j]}, expected {name}"
        )
    st = ground.query_job(done.job_id)
    assert st is not None
    assert st["progress_permille"] == 1000 and st["result_size"] == 32, f"SWR-JOB-003: completed job status {st}"
    t0, t1 = _event_time(ground, done.job_id, "job_running"), _event_time(ground, done.job_id, "job_completed")
    assert t0 is not None and t1 is not None
    energy = sw.job_w * (t1 - t0) * 1000.0
    tol = sw.power_tolerance(energy) + sw.job_w * 1000.0 * sw.tolerance(t1 - t0)
    assert abs(st["energy_used_mj"] - energy) <= tol, (
        f"SWR-JOB-003: completed job ran {t1 - t0:.4f} s at {sw.job_w} W: energy used {st['energy_used_mj']} mJ, expected {energy:.0f}"
    )
    assert st["reason"] == sw.reasons["none"] and st["restarts"] == 0, f"SWR-JOB-003: completed job status {st}"
    st = ground.query_job(gone.job_id)
    assert st is not None and st["reason"] == sw.reasons["cancelled"] and st["result_size"] == 0, (
        f"SWR-JOB-003: cancelled job {st}"
    )


@pytest.mark.requirement("SWR-JOB-003")
def test_replicated_job_progress_and_energy(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A job with the most replicas the ICS allows (tmr or dmr), alone, queried through its run:
    progress never decreases from one replica to the next (it counts the job's total running work,
    parameter checkpointing: replicas run one after the other), and energy used is job_power_w times
    the job's running time (tm_layouts TM[128,4]), not per replica; 1000 and job_power_w x the
    running time when completed."""
    modes = [m for m in ("tmr", "dmr") if m in sw.protection_modes]
    if not modes:
        inconclusive("the ICS declares neither tmr nor dmr")
    mode = modes[0]
    size = min(int(rng.integers(300_000, 500_000)), sw.max_input)
    nominal = sw.nominal_s(size, mode)
    rep = ground.submit("sha256", size, protection=mode)
    ground.advance(0)
    t0 = _event_time(ground, rep.job_id, "job_running")
    assert t0 is not None, f"SWR-JOB-003: a lone {mode} job did not start: {ground.show(ground.job_events(rep.job_id))}"
    n = 4 * sw.replicas[mode]
    progress: list[int] = []
    for _ in range(n):
        ground.advance(nominal / (n + 2))
        st = ground.query_job(rep.job_id)
        assert st is not None, f"SWR-JOB-003: job {rep.job_id} unknown"
        if st["state"] != sw.states["running"]:
            break
        progress.append(st["progress_permille"])
        ran = ground.now - t0
        energy = sw.job_w * ran * 1000.0
        tol = sw.power_tolerance(energy) + sw.job_w * 1000.0 * sw.tolerance(ran)
        assert abs(st["energy_used_mj"] - energy) <= tol, (
            f"SWR-JOB-003: {mode} job running for {ran:.4f} s at {sw.job_w} W: energy used {st['energy_used_mj']} mJ, "
            f"expected {energy:.0f} mJ (job_power_w times the running time)"
        )
    assert progress == sorted(progress) and progress and progress[-1] > 0, (
        f"SWR-JOB-003: progress of a running {mode} job {progress} decreases or stays 0 (it counts the job's total "
        f"work, over all {sw.replicas[mode]} replicas)"
    )
    _wait(ground, [rep], nominal + 2.0, 0.5)
    st = ground.query_job(rep.job_id)
    t1 = _event_time(ground, rep.job_id, "job_completed")
    assert st is not None and st["state"] == sw.states["completed"] and t1 is not None, f"SWR-JOB-003: {mode} job {st}"
    energy = sw.job_w * (t1 - t0) * 1000.0
    tol = sw.power_tolerance(energy) + sw.job_w * 1000.0 * sw.tolerance(t1 - t0)
    assert abs(st["energy_used_mj"] - energy) <= tol and st["progress_permille"] == 1000, (
        f"SWR-JOB-003: completed {mode} job ran {t1 - t0:.4f} s at {sw.job_w} W: energy used {st['energy_used_mj']} "
        f"mJ, expected {energy:.0f}; progress {st['progress_permille']}"
    )


@pytest.mark.requirement("SWR-JOB-003")
def test_restarts_count_resets(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """restarts (tm_layouts TM[128,4]: the resets that re-queued the job) is 0 for a job never
    re-queued and grows by one at each reset of a job running or suspended at it (random kinds)."""
    a = ground.submit("sha256", 1_000_000, priority=100)
    b = ground.submit("sha256", 1_000_000, priority=10)
    ground.advance(0.05)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)  # one slot: the lower-priority job suspended
    ground.advance(0.05)
    for k in range(2):
        before = {j.job_id: ground.query_job(j.job_id) for j in (a, b)}
        if k == 0:
            assert all(st is not None and st["restarts"] == 0 for st in before.values()), (
                f"SWR-JOB-003: jobs never re-queued report restarts: {before}"
            )
        kind = str(rng.choice(["watchdog", "latchup", "power"]))
        ground.reset(kind)
        ground.advance(0.05)
        for j in (a, b):
            st, was = ground.query_job(j.job_id), before[j.job_id]
            if st is None or was is None or was["state"] not in (sw.states["running"], sw.states["suspended"]):
                continue  # lost (judged by SWR-RES-001) or never ran (concurrency 1): no re-queue to count
            if st["state"] == sw.states["failed"] and not sw.checkpointing:
                continue  # failed with reason reset (SWR-RES-001): not re-queued
            assert st["restarts"] == was["restarts"] + 1, (
                f"SWR-JOB-003: job {j.job_id}, {sw.state_name(was['state'])} with restarts {was['restarts']} at a {kind} "
                f"reset that re-queued it: restarts {st['restarts']} after it"
            )


# --------------------------------------------------------------------------------------------------
# SWR-JOB-004


def _check_transitions(ground: Any, sw: Any, job_ids: list[int], lost_ok: frozenset[int] = frozenset()) -> None:
    """Each job's events chain by job_states with their reasons (parameter job_states: running ->
    queued and suspended -> queued only at a reset, reason reset; SWR-RES-003: suspension by the
    budget, reason power), the last one its queried state; and the events in log (sequence count)
    order never have more than concurrency jobs running at once: a job dispatched because another
    left running is reported after that one's event (SWR-JOB-004)."""
    reason_of_state = {"cancelled": "cancelled", "expired": "deadline", "suspended": "power"}
    running: set[int] = set()
    for tm in ground.log:
        if tm.service == 5 and tm.f.get("event") in ("power_on", "watchdog_reset", "latchup_reset"):
            running.clear()  # nothing runs after a reset until dispatched again
            continue
        if tm.service != 5 or not str(tm.f.get("event", "")).startswith("job_"):
            continue
        if tm.f["to_state"] == sw.states["running"]:
            running.add(tm.f["job_id"])
        else:
            running.discard(tm.f["job_id"])
        assert len(running) <= sw.concurrency, (
            f"SWR-JOB-004: after {tm} the events report {len(running)} jobs running at once (concurrency "
            f"{sw.concurrency}): a job dispatched because another left running must be reported after that "
            f"one's event: {ground.show([t for t in ground.log if t.t == tm.t and t.service == 5])}"
        )
    for j in job_ids:
        ev = ground.job_events(j)
        assert ev, f"SWR-JOB-004: job {j} has no event"
        prev = 255
        for tm in ev:
            frm, to = tm.f["from_state"], tm.f["to_state"]
            name = sw.state_name(to)
            assert tm.f["event"] == f"job_{name}", f"SWR-JOB-004: {tm}: event {tm.f['event']} for new state {name}"
            assert frm == prev, f"SWR-JOB-004: {tm}: from_state {frm}, the job's previous state was {prev}"
            if prev == 255:
                assert to == sw.states["queued"], f"SWR-JOB-004: {tm}: a new job must be queued"
            else:
                assert prev not in sw.terminal, f"SWR-JOB-004: {tm}: job {j} left terminal state {sw.state_name(prev)}"
                assert to in sw.transitions.get(prev, ()), (
                    f"SWR-JOB-004: {tm}: {sw.state_name(prev)} -> {name} not allowed"
                )
            if name in reason_of_state:
                assert tm.f["reason"] == sw.reasons[reason_of_state[name]], (
                    f"SWR-JOB-004: {tm}: reason {tm.f['reason']}, expected {reason_of_state[name]}"
                )
            if name == "queued" and prev in (sw.states["running"], sw.states["suspended"]):
                assert tm.f["reason"] == sw.reasons["reset"], (
                    f"SWR-JOB-004: {tm}: {sw.state_name(prev)} -> queued (a reset) with reason {tm.f['reason']}, "
                    f"expected reset ({sw.reasons['reset']})"
                )
            prev = to
        st = ground.query_job(j, "SWR-JOB-004")
        if st is None and j in lost_ok:
            continue  # lost at a reset: judged by SWR-RES-001
        assert st is not None and st["state"] == prev, (
            f"SWR-JOB-004: job {j} last event says {sw.state_name(prev)}, query {st}"
        )


@pytest.mark.requirement("SWR-JOB-004")
def test_transitions_are_reported(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Jobs through every kind of transition (queued, running, suspended by power, resumed,
    completed, cancelled from each state, expired, failed on energy): every change one event with
    the previous and new state, allowed by job_states, in order; terminal states never left (TCs
    on terminal jobs, further time and a reset change nothing); a running and a suspended job kept
    across a watchdog reset re-queued with reason reset; with the slots full and jobs waiting, the
    event of a job leaving running comes before that of the job dispatched in its place."""
    a = ground.submit("sha256", 600_000, priority=10)
    b = ground.submit("sha256", 600_000, priority=20)
    ground.advance(0.1)
    ground.set_power(sw.idle_w + 0.5 * sw.job_w)  # nothing fits: both suspended
    c = ground.submit("sha256", 100_000, priority=30)
    ground.advance(0.1)
    ground.tc("cancel_job", job_id=a.job_id)  # suspended -> cancelled
    ground.set_power(1e5)
    ground.advance(0.1)
    ground.tc("cancel_job", job_id=b.job_id)  # running -> cancelled
    d = ground.submit("sha256", 1_000_000, deadline_ms=300)
    e = ground.submit("sha256", 1_000_000, energy_mj=2000)
    ground.run_until(_ended(ground, [c, d, e]), 4.0, 0.5)
    ids = [a.job_id, b.job_id, c.job_id, d.job_id, e.job_id]
    for j in ids:
        ground.tc("cancel_job", ack=0, job_id=j)
        ground.tc("arm_fault", ack=0, job_id=j, replica=0, offset=0, mask=1)
    ground.advance(2.0)
    # a running, a suspended and a queued job kept across the reset (re-queued with reason reset)
    f = ground.submit("sha256", 1_000_000, priority=200)
    g = ground.submit("sha256", 1_000_000, priority=100)
    ground.advance(0.1)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)  # one slot: g suspended (or still queued, concurrency 1)
    h = ground.submit("sha256", 1000, priority=1)
    ground.advance(0.1)
    before = dict(ground.list_jobs("SWR-JOB-004"))
    ground.reset("watchdog")
    ground.advance(1.0)
    ids += [f.job_id, g.job_id, h.job_id]
    # unlimited budget, slots full and jobs waiting: each completion dispatches a waiting job
    ground.set_power(1e5)
    more = [ground.submit("sha256", int(rng.integers(50_000, 150_000)), priority=1) for _ in range(sw.concurrency + 1)]
    ground.run_until(_ended(ground, [f, g, h, *more]), 6.0, 1.0)
    ids += [j.job_id for j in more]
    kept = frozenset({f.job_id, g.job_id, h.job_id})
    _check_transitions(ground, sw, ids, kept)
    listed = dict(ground.list_jobs("SWR-JOB-004"))
    for job in (f, g):
        if before.get(job.job_id) not in (sw.states["running"], sw.states["suspended"]) or job.job_id not in listed:
            continue  # never ran (concurrency 1), or lost at the reset (SWR-RES-001)
        requeue = [
            tm
            for tm in ground.job_events(job.job_id)
            if tm.f["from_state"] == before[job.job_id] and tm.f["to_state"] == sw.states["queued"]
        ]
        failed = [tm for tm in ground.job_events(job.job_id) if tm.f["event"] == "job_failed"]
        assert requeue or (failed and not sw.checkpointing), (
            f"SWR-JOB-004: job {job.job_id}, {sw.state_name(before[job.job_id])} at a watchdog reset: no "
            f"{sw.state_name(before[job.job_id])} -> queued event: {ground.show(ground.job_events(job.job_id))}"
        )
    # (which terminal state each job reaches is judged by SWR-JOB-006/007/008 and SWR-RES-003)


# --------------------------------------------------------------------------------------------------
# SWR-JOB-005


def _running_intervals(ground: Any, job_ids: list[int]) -> dict[int, list[tuple[float, float]]]:
    out: dict[int, list[tuple[float, float]]] = {}
    for j in job_ids:
        start = None
        for tm in ground.job_events(j):
            if tm.f["to_state"] == 1:
                start = tm.t
            elif tm.f["from_state"] == 1 and start is not None:
                out.setdefault(j, []).append((start, tm.t))
                start = None
        if start is not None:
            out.setdefault(j, []).append((start, ground.now))
    return out


@pytest.mark.requirement("SWR-JOB-005")
def test_concurrency_is_used_and_not_exceeded(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """concurrency + 3 jobs of equal priority, unlimited budget: never more than concurrency
    running, no slot idle while a job waits, dispatched in acceptance order."""
    n = sw.concurrency + 3
    sizes = [int(x) for x in rng.integers(100_000, 300_000, n)]
    jobs = [ground.submit("sha256", s, priority=77, ack=0) for s in sizes]
    _wait(ground, jobs, 5.0 + 2 * sum(sw.nominal_s(s) for s in sizes), 1.0)
    runs = _running_intervals(ground, [j.job_id for j in jobs])
    edges = sorted({t for iv in runs.values() for p in iv for t in p})
    tol = sw.tolerance(0)
    eps = 1e-6
    for t in edges:
        active = [j for j, iv in runs.items() for s, e in iv if s <= t + eps < e]
        assert len(active) <= sw.concurrency, (
            f"SWR-JOB-005: {len(active)} jobs running at t={t:.4f} > concurrency {sw.concurrency}"
        )
        waiting = [j.job_id for j in jobs if runs.get(j.job_id) and runs[j.job_id][0][0] > t + tol and j.t <= t]
        if waiting and len(active) < sw.concurrency:
            _fail(
                f"SWR-JOB-005: after t={t:.4f} {len(active)} jobs run (concurrency {sw.concurrency}) while {len(waiting)} wait "
                f"(running intervals {runs})"
            )
    order = sorted(jobs, key=lambda j: runs[j.job_id][0][0])
    assert [j.job_id for j in order] == [j.job_id for j in jobs], (
        f"SWR-JOB-005: equal-priority jobs dispatched in order {[j.job_id for j in order]}, accepted {[j.job_id for j in jobs]}"
    )


@pytest.mark.requirement("SWR-JOB-005")
def test_dispatch_by_priority_then_acceptance(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A backlog of jobs with random (partly equal) priorities accepted under a budget that runs
    none, then a budget for one job at a time: they run in order of priority, then acceptance."""
    ground.set_power(sw.idle_w * 0.5)
    prios = [int(p) for p in rng.choice([3, 50, 50, 120, 200, 200, 255, 0], 8, replace=False)]
    jobs = [ground.submit("sha256", int(rng.integers(20_000, 60_000)), priority=p, ack=0) for p in prios]
    ground.advance(0.5)
    early = [tm for tm in ground.log if tm.f.get("event") == "job_running"]
    assert not early, f"SWR-JOB-005: jobs ran under a budget below idle_power_w: {ground.show(early)}"
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)
    _wait(ground, jobs, 5.0, 1.0)
    runs = _running_intervals(ground, [j.job_id for j in jobs])
    got = sorted(jobs, key=lambda j: runs[j.job_id][0][0])
    want = sorted(jobs, key=lambda j: -j.priority)  # stable: acceptance order within a priority
    assert [j.job_id for j in got] == [j.job_id for j in want], (
        f"SWR-JOB-005: dispatch order (priority) {[j.priority for j in got]}, expected {[j.priority for j in want]}"
    )


@pytest.mark.requirement("SWR-JOB-005")
def test_budget_of_exactly_k_slots(ground: Any, sw: Any) -> None:
    """A budget of exactly idle_power_w + k x job_power_w runs k jobs (parameter scheduling:
    floor((budget - idle_power_w) / job_power_w), the draw may equal the budget), k = 0 ..
    concurrency, with concurrency + 1 jobs waiting."""
    ground.set_power(0.0)
    jobs = [ground.submit("sha256", 1_000_000, priority=50, ack=0) for _ in range(sw.concurrency + 1)]
    ground.advance(0)
    ids = {j.job_id for j in jobs}
    for k in range(sw.concurrency + 1):
        budget = sw.idle_w + k * sw.job_w
        ground.set_power(budget)
        ground.advance(0.02)
        running = [j for j, state in ground.list_jobs("SWR-JOB-005") if j in ids and state == sw.states["running"]]
        assert len(running) == k, (
            f"SWR-JOB-005: budget {budget} W = idle_power_w {sw.idle_w} + {k} x job_power_w {sw.job_w}: "
            f"{len(running)} jobs running, expected {k} (jobs waiting: {len(jobs) - len(running)})"
        )


@pytest.mark.requirement("SWR-JOB-005")
def test_suspended_before_queued(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Two running jobs, the budget lowered to one slot (the later one suspended), a job of the
    same priority queued, the budget raised for two: the suspended job runs before the queued one,
    and a newly accepted higher-priority job does not preempt a running one."""
    if sw.concurrency < 2:
        inconclusive("needs concurrency >= 2")
    p = int(rng.integers(10, 200))
    first = ground.submit("sha256", 800_000, priority=p)
    second = ground.submit("sha256", 800_000, priority=p)
    ground.advance(0.1)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)
    third = ground.submit("sha256", 300_000, priority=p)
    ground.advance(0.1)
    sus = [tm for tm in ground.job_events(second.job_id) if tm.f["event"] == "job_suspended"]
    assert sus, (
        f"SWR-JOB-005: lowering the budget to one slot did not suspend the later job {second.job_id}: {ground.show(ground.events())}"
    )
    ground.set_power(sw.idle_w + 2.5 * sw.job_w)
    ground.advance(0)
    resumed = _event_time(ground, second.job_id, "job_running")
    runs = _running_intervals(ground, [second.job_id, third.job_id])
    assert resumed is not None and len(runs.get(second.job_id, [])) >= 2, (
        f"SWR-JOB-005: the suspended job {second.job_id} did not resume when a slot opened: {ground.show(ground.job_events(second.job_id))}"
    )
    assert third.job_id not in runs or runs[third.job_id][0][0] > runs[second.job_id][1][0] - 1e-9, (
        "SWR-JOB-005: the queued job ran before the suspended job of the same priority"
    )
    urgent = ground.submit("sha256", 1000, priority=255)
    ground.advance(0)
    pre = [tm for tm in ground.events(tms=ground.log[-6:]) if tm.f["event"] == "job_suspended"]
    assert not pre, f"SWR-JOB-005: a newly accepted job preempted a running one: {ground.show(pre)}"
    _wait(ground, [first, second, third, urgent], 6.0, 1.0)


# --------------------------------------------------------------------------------------------------
# SWR-JOB-006


def _expiry(ground: Any, sw: Any, job: Any, d_ms: int, state: str, case: str) -> None:
    """``job`` (deadline ``d_ms``) expired at acceptance + deadline, from ``state``, reason deadline."""
    ev = [tm for tm in ground.job_events(job.job_id) if tm.f["event"] == "job_expired"]
    assert ev, (
        f"SWR-JOB-006: {case}: job {job.job_id} with deadline {d_ms} ms did not expire: "
        f"{ground.show(ground.job_events(job.job_id))}"
    )
    want = job.t + d_ms / 1000.0
    assert abs(ev[0].t - want) <= sw.tolerance(d_ms / 1000.0), (
        f"SWR-JOB-006: {case}: job {job.job_id} accepted at {job.t:.4f} with deadline {d_ms} ms expired at "
        f"{ev[0].t:.4f}, expected {want:.4f} (deadline counted from acceptance)"
    )
    assert ev[0].f["reason"] == sw.reasons["deadline"], f"SWR-JOB-006: {case}: {ev[0]} reason"
    assert ev[0].f["from_state"] == sw.states[state], (
        f"SWR-JOB-006: {case}: job {job.job_id} expired from {sw.state_name(ev[0].f['from_state'])}, expected from "
        f"{state}: {ground.show(ground.job_events(job.job_id))}"
    )


@pytest.mark.requirement("SWR-JOB-006")
def test_deadlines(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Deadlines shorter than the running time, one clean case at a time: a lone job running from
    its acceptance expires from running; a job held queued by budget 0 for about half its deadline,
    then released, expires from running at acceptance + deadline (not dispatch + deadline); a job
    held queued throughout expires from queued; a job suspended before its deadline expires from
    suspended; each at acceptance + deadline_ms with reason deadline. A generous deadline does not
    expire."""
    size = 1_000_000
    nominal = sw.nominal_s(size)
    d = int(rng.integers(100, int(min(700, 600 * nominal)) + 1))
    job = ground.submit("sha256", size, deadline_ms=d, priority=100)
    _wait(ground, [job], d / 1000.0 + 1.0, 0.25)
    _expiry(ground, sw, job, d, "running", "a lone running job")

    d = int(rng.integers(200, int(min(700, 600 * nominal)) + 1))
    ground.set_power(0.0)
    job = ground.submit("sha256", size, deadline_ms=d, priority=100)
    ground.advance(d / 2000.0)
    ground.set_power(1e5)
    _wait(ground, [job], d / 1000.0 + 1.0, 0.25)
    started = _event_time(ground, job.job_id, "job_running")
    assert started is not None, (
        f"SWR-JOB-006: a job released by the budget did not run: {ground.show(ground.job_events(job.job_id))}"
    )
    _expiry(ground, sw, job, d, "running", f"a job held queued {d / 2:.0f} ms, then running")

    d = int(rng.integers(100, 700))
    ground.set_power(0.0)
    job = ground.submit("sha256", size, deadline_ms=d, priority=100)
    _wait(ground, [job], d / 1000.0 + 1.0, 0.25)
    _expiry(ground, sw, job, d, "queued", "a job held queued")

    d = int(rng.integers(300, int(min(900, 900 * nominal)) + 1))
    ground.set_power(1e5)
    job = ground.submit("sha256", size, deadline_ms=d, priority=100)
    ground.advance(float(rng.uniform(0.2, 0.5)) * d / 1000.0)
    ground.set_power(0.0)
    _wait(ground, [job], d / 1000.0 + 1.0, 0.25)
    _expiry(ground, sw, job, d, "suspended", "a job suspended by the budget")

    ground.set_power(1e5)
    ok = ground.submit("sha256", 100_000, deadline_ms=20_000, priority=100)
    _wait(ground, [ok], 4.0, 1.0)
    assert _event_time(ground, ok.job_id, "job_completed") is not None, (
        f"SWR-JOB-006: job {ok.job_id} did not complete before its deadline: {ground.show(ground.job_events(ok.job_id))}"
    )


@pytest.mark.requirement("SWR-JOB-006")
def test_a_lone_job_completes_in_its_nominal_time(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Jobs alone on the payload, unlimited budget, every workload and declared protection: each
    completes within its nominal running time plus job_latency_s after acceptance."""
    for workload, modes in sorted(sw.workload_protection.items()):
        for mode in sorted(modes & sw.protection_modes):
            if workload == "matmul-u32":
                n = int(rng.integers(50, 200))
                size = 8 * n * n
            else:
                size = int(rng.integers(100_000, sw.max_input + 1))
            job = ground.submit(workload, size, protection=mode)
            nominal = sw.nominal_s(size, mode)
            _wait(ground, [job], nominal + sw.job_latency_s + 1.0, nominal + sw.job_latency_s + 0.5)
            t = _event_time(ground, job.job_id, "job_completed")
            assert t is not None, (
                f"SWR-JOB-006: {workload}/{mode} job did not complete: {ground.show(ground.job_events(job.job_id))}"
            )
            limit = nominal + sw.job_latency_s + sw.tolerance(nominal)
            assert t - job.t <= limit, (
                f"SWR-JOB-006: {workload}/{mode} job of {size} octets took {t - job.t:.4f} s, nominal {nominal:.4f} s + "
                f"latency {sw.job_latency_s} s"
            )


# --------------------------------------------------------------------------------------------------
# SWR-JOB-007


@pytest.mark.requirement("SWR-JOB-007")
def test_energy_budget(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A job whose energy budget covers a random fraction of its running work fails with reason
    energy once job_power_w x running time reaches the budget, never reporting more energy used
    than budget + tolerance; one whose budget covers it completes."""
    size = 1_000_000
    nominal = sw.nominal_s(size)
    full_mj = sw.job_w * nominal * 1000.0
    budget = int(full_mj * float(rng.uniform(0.1, 0.6)))
    short = ground.submit("sha256", size, energy_mj=budget)
    _wait(ground, [short], nominal + 2.0, 0.25)
    ev = ground.job_events(short.job_id)
    assert ev[-1].f["event"] == "job_failed" and ev[-1].f["reason"] == sw.reasons["energy"], (
        f"SWR-JOB-007: job with {budget} mJ of {full_mj:.0f} mJ needed: {ground.show(ev)}"
    )
    start = _event_time(ground, short.job_id, "job_running")
    assert start is not None
    ran = ev[-1].t - start
    want = budget / (sw.job_w * 1000.0)
    slack = sw.tolerance(want) + sw.power_tolerance(budget) / (sw.job_w * 1000.0)
    assert want - slack <= ran <= want + slack, (
        f"SWR-JOB-007: job with {budget} mJ at {sw.job_w} W ran {ran:.4f} s, the budget lasts {want:.4f} s: it must "
        f"fail when (not before) its energy used would exceed the budget"
    )
    st = ground.query_job(short.job_id, "SWR-JOB-007")
    assert st is not None and st["energy_used_mj"] <= budget + sw.power_tolerance(budget), (
        f"SWR-JOB-007: energy used {st and st['energy_used_mj']} mJ above the budget {budget} mJ"
    )
    assert st["energy_used_mj"] >= budget - sw.power_tolerance(budget), (
        f"SWR-JOB-007: job failed for energy having used {st['energy_used_mj']} mJ of its {budget} mJ budget"
    )
    small = size // 4
    # Running time may exceed the nominal one by job_latency_s (SWR-JOB-006): budget that too.
    need = sw.job_w * (sw.nominal_s(small) + sw.job_latency_s) * 1000.0
    enough = ground.submit("sha256", small, energy_mj=int(1.02 * need + sw.power_tolerance(need)) + 1)
    _wait(ground, [enough], nominal + 2.0, 0.5)
    assert ground.job_events(enough.job_id)[-1].f["event"] == "job_completed", (
        f"SWR-JOB-007: a job with an energy budget 2 % above job_power_w x (its nominal running time + "
        f"job_latency_s) did not complete: {ground.show(ground.job_events(enough.job_id))}"
    )


# --------------------------------------------------------------------------------------------------
# SWR-JOB-008


@pytest.mark.requirement("SWR-JOB-008")
def test_cancel_delete_and_retrieval_rules(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Cancel queued, running and suspended jobs (cancelled, reason cancelled); cancel a terminal
    job, delete a non-terminal one, retrieve from a non-completed one: job_state; delete a terminal
    job: no longer listed, its id accepted again."""
    run = ground.submit("sha256", 1_000_000, priority=200)
    sus = ground.submit("sha256", 1_000_000, priority=100)
    ground.advance(0.05)
    ground.set_power(sw.idle_w + 1.5 * sw.job_w)
    que = ground.submit("sha256", 1000, priority=1)
    ground.advance(0.05)
    for job in (run, sus, que):
        rid = ground.tc("retrieve_result", job_id=job.job_id, offset=0, length=1)
        ground.expect_rejection(
            rid, "job_state", ground.advance(0), "SWR-JOB-008", f"TC[128,9] of non-completed job {job.job_id}"
        )
        rid = ground.tc("delete_job", job_id=job.job_id)
        ground.expect_rejection(
            rid, "job_state", ground.advance(0), "SWR-JOB-008", f"TC[128,11] of non-terminal job {job.job_id}"
        )
    states = dict(ground.list_jobs("SWR-JOB-008"))
    assert [states.get(j.job_id) for j in (run, sus, que)] == [
        sw.states[s] for s in ("running", "suspended", "queued")
    ], f"SWR-JOB-008: setup: states {states}"
    for job in (run, sus, que):
        rid = ground.tc("cancel_job", job_id=job.job_id)
        tms = ground.advance(0)
        assert ground.accepted(rid, tms), f"SWR-JOB-008: TC[128,7] of job {job.job_id} not accepted: {ground.show(tms)}"
        st = ground.query_job(job.job_id, "SWR-JOB-008")
        assert st is not None and (st["state"], st["reason"]) == (sw.states["cancelled"], sw.reasons["cancelled"]), (
            f"SWR-JOB-008: cancelled job {job.job_id}: {st}"
        )
        rid = ground.tc("cancel_job", job_id=job.job_id)
        ground.expect_rejection(
            rid, "job_state", ground.advance(0), "SWR-JOB-008", f"second TC[128,7] of job {job.job_id}"
        )
        rid = ground.tc("retrieve_result", job_id=job.job_id, offset=0, length=1)
        ground.expect_rejection(
            rid, "job_state", ground.advance(0), "SWR-JOB-008", f"TC[128,9] of cancelled job {job.job_id}"
        )
    ground.set_power(1e5)
    for job in (run, sus, que):
        rid = ground.tc("delete_job", job_id=job.job_id)
        tms = ground.advance(0)
        assert ground.accepted(rid, tms) and ground.failure(rid, tms) is None, (
            f"SWR-JOB-008: delete of terminal job refused: {ground.show(tms)}"
        )
    listed = {j for j, _ in ground.list_jobs("SWR-JOB-008")}
    assert not listed & {run.job_id, sus.job_id, que.job_id}, f"SWR-JOB-008: deleted jobs still listed: {listed}"
    assert ground.query_job(run.job_id, "SWR-JOB-008") is None, "SWR-JOB-008: a deleted job still answers TC[128,3]"
    for kind in [str(k) for k in rng.permutation(["watchdog", "latchup", "power"])]:
        ground.reset(kind)
        ground.advance(0.05)
        listed = {j for j, _ in ground.list_jobs("SWR-JOB-008")}
        assert not listed & {run.job_id, sus.job_id, que.job_id}, (
            f"SWR-JOB-008: deleted jobs listed again after a {kind} reset: {sorted(listed)}"
        )
        for job in (run, sus, que):
            assert ground.query_job(job.job_id, "SWR-JOB-008") is None, (
                f"SWR-JOB-008: deleted job {job.job_id} answers TC[128,3] again after a {kind} reset"
            )
    again = ground.submit("sha256", 64, job_id=run.job_id)
    _wait(ground, [again], 2.0, 0.5)
    assert ground.accepted(again.rid), (
        f"SWR-JOB-008: the id of a deleted job was refused: {ground.show(ground.verification(again.rid))}"
    )
    rid = ground.tc("retrieve_result", job_id=again.job_id, offset=0, length=8)
    tms = ground.advance(0)
    assert ground.failure(rid, tms) is None and ground.of(tms, 128, 10), (
        f"SWR-JOB-008: TC[128,9] of a completed job: {ground.show(tms)}"
    )
