"""Conformance suite of sw-compute-runtime, class ``verification`` (SWR-VER-001..009): PUS-C packet
conventions and request verification (ECSS-E-ST-70-41C 6.1, 7.4; CCSDS 133.0-B-2 4.1.3; CCSDS
301.0-B-4 3.3).

Every TM the ground receives, in every test of the suite, is checked as it arrives against the
packet conventions (SWR-VER-001) and the sequence count, time and service 1 destination rules
(SWR-VER-002): the tests here drive the product through every kind of TM and a day of simulated
time (sequence count wrap, day boundary of the CDS time).

Negative telecommands are built field by field (``Ground.raw_packet``, the packet error control
computed by the suite's own CRC, checked against the catalogue check value): corrupt packet error
control at random bit positions, packets shorter than 13 octets, packet data length field off by
+-1, truncated and extended packets, application data one octet short and long for every
telecommand of tc_layouts, every wrong header field, wrong APIDs, unimplemented service types,
unknown subtypes, out-of-range fields of every telecommand and every state check, plus pairs of
faults that test the order of parameter acceptance_checks. Each must be answered by one TM[1,2]
with the expected failure code and nothing else; the product's state, observed by housekeeping
(TC[3,27]), job list and queries and the disabled-event list, must not change. The telecommands
corrupted are ones that would change that state if accepted (job submissions, event disabling).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.reference_impl.runtime.pus import ACK_ACCEPTANCE, ACK_ALL, ACK_COMPLETION, ACK_PROGRESS, ACK_START

#: Corrupted-CRC telecommands per test.
CRC_TRIALS = 24


def _state_changing(ground: Any, rng: np.random.Generator) -> tuple[int, int, bytes]:
    """(service, subtype, app data) of a valid TC that would change the visible state."""
    w = ground.wire
    if rng.integers(0, 2):
        job_id = ground.new_job_id()
        seed, size, priority = int(rng.integers(0, 1 << 62)), int(rng.integers(1, 5000)), int(rng.integers(0, 256))
        app = w.tc_app_data(
            "submit_job", **_submit_fields(ground, job_id=job_id, input_seed=seed, input_size=size, priority=priority)
        )
        return 128, 1, app
    eid = int(rng.choice(sorted(w.events)))
    return 5, 6, w.tc_app_data("disable_events", event_ids=[eid])


def _case(w: Any, label: str, code: str, name: str, **fields: Any) -> tuple[str, None, str, dict[str, Any]]:
    """A case of :func:`_reject_each`: the TC ``name`` of tc_layouts with ``fields``, expecting ``code``."""
    service, subtype = w.tc_key(name)
    return (label, None, code, {"service": service, "subtype": subtype, "app_data": w.tc_app_data(name, **fields)})


def _submit_fields(ground: Any, **over: Any) -> dict[str, Any]:
    """The fields of a TC[128,1] for a new job id (sha256 of 64 octets of seed 1, priority 1, no
    deadline, no energy budget, no protection), with ``over`` replacing any of them."""
    fields: dict[str, Any] = {
        "job_id": over["job_id"] if "job_id" in over else ground.new_job_id(),
        "workload_digest": ground.wire.workloads["sha256"],
        "input_seed": 1,
        "input_size": 64,
        "priority": 1,
        "deadline_ms": 0,
        "energy_budget_mj": 0,
        "protection": 0,
    }
    fields.update(over)
    return fields


def _reject_each(ground: Any, cases: list[tuple[str, bytes | None, str, dict[str, Any]]], requirement: str) -> None:
    """Send each case (label, raw packet or None, expected code, else fields for ground.send) alone
    and check its reply is exactly the TM[1,2] with that code; the visible state does not change.
    Cases without their own flags get acknowledgement flags 0000 (every third) or random ones: a
    rejection is reported whatever the flags (SWR-VER-004..007)."""
    before = ground.snapshot(requirement)
    for i, (label, raw, code, kw) in enumerate(cases):
        if raw is None and "ack" not in kw:
            kw = {**kw, "ack": 0 if i % 3 == 0 else int(ground.rng.integers(0, 16))}
            label = f"{label} (ack flags {kw['ack']:04b})"
        rid = ground.send(raw=raw) if raw is not None else ground.send(**kw)
        tms = ground.advance(0)
        ground.expect_rejection(rid, code, tms, requirement, label)
    after = ground.snapshot(requirement)
    assert after == before, f"{requirement}: rejected TCs changed the state: before {before}, after {after}"


# --------------------------------------------------------------------------------------------------
# SWR-VER-001 / 002


@pytest.mark.requirement("SWR-VER-001")
def test_every_kind_of_tm_follows_the_conventions(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Periodic and one-shot housekeeping, events, service 1 reports of every kind, job status,
    list and result chunks, disabled-event list, alive: each checked by the ground as it arrives."""
    job = ground.submit("sha256", 2000)
    ground.tc("disable_events", event_ids=[ground.wire.event_ids["job_running"]])
    ground.advance(sw.hk_period_s * 2.5)
    ground.tc("query_job", job_id=job.job_id)
    ground.tc("list_jobs")
    ground.tc("report_disabled_events")
    ground.tc("retrieve_result", job_id=job.job_id, offset=0, length=16)
    ground.tc("one_shot_hk", sids=[1])
    ground.tc("query_job", job_id=ground.new_job_id())  # unknown_job: TM[1,2]
    ground.send(17, 1)
    ground.advance(0)
    gone = ground.submit("sha256", 5000, ack=ACK_ALL)
    ground.advance(0)
    ground.tc("cancel_job", job_id=gone.job_id)  # a TM[1,8] for the submission
    ground.advance(sw.hk_period_s)
    # (every TM was checked as it arrived; a kind the product never sent is another requirement's matter)
    ground.reset("watchdog")
    ground.advance(0)


@pytest.mark.requirement("SWR-VER-001")
def test_time_field_across_the_day_boundary(ground: Any, sw: Any) -> None:
    """A day of simulated time with structure 1 disabled (few TMs), then TMs of the next CDS day:
    millisecond of day below 86,400,000 (checked as they arrive)."""
    ground.tc("disable_hk_periodic", ack=0, sids=[1])
    first = ground.advance(0)
    ground.send(17, 1, ack=0)
    first += ground.advance(0)
    ground.advance(86_400.0)
    ground.send(17, 1, ack=0)
    last = ground.advance(0)
    ground.tc("enable_hk_periodic", ack=0, sids=[1])
    ground.advance(0)
    if first and last:
        assert int(last[-1].time // 86_400) == int(first[-1].time // 86_400) + 1, (
            f"SWR-VER-001: TMs a day apart at CDS days {int(first[-1].time // 86_400)} and {int(last[-1].time // 86_400)}"
        )


@pytest.mark.requirement("SWR-VER-002")
def test_a_day_of_telemetry(ground: Any, sw: Any) -> None:
    """A day of periodic housekeeping in one advance: the sequence count wraps at 16384 where
    hk_period_s allows that many reports, times follow the simulated time (checked as the TMs
    arrive); periodic reports and reset events have destination 0."""
    tms = ground.advance(86_400.0)
    ground.reset("watchdog")
    tms += ground.advance(0)
    bad = [tm for tm in tms if tm.dest != 0]
    assert not bad, f"SWR-VER-002: unsolicited TMs with a nonzero destination: {ground.show(bad)}"
    if len(tms) > 16384:
        seqs = [tm.seq for tm in tms]
        assert 0 in seqs and 16383 in seqs, "SWR-VER-002: the TM sequence count did not wrap modulo 16384"


@pytest.mark.requirement("SWR-VER-002")
def test_replies_echo_the_source_id(ground: Any, rng: np.random.Generator) -> None:
    """Replies to TCs with random source identifiers carry them as destination."""
    job = ground.submit("sha256", 100)
    ground.advance(1.0)
    for name, fields, key in [
        ("are_you_alive", {}, (17, 2)),
        ("list_jobs", {}, (128, 6)),
        ("query_job", {"job_id": job.job_id}, (128, 4)),
        ("report_disabled_events", {}, (5, 8)),
        ("one_shot_hk", {"sids": [1]}, (3, 25)),
        ("retrieve_result", {"job_id": job.job_id, "offset": 0, "length": 8}, (128, 10)),
    ]:
        for _ in range(2):
            src = int(rng.integers(0, 1 << 16))
            ground.tc(name, source_id=src, **fields)
            tms = ground.advance(0)
            assert tms and all(tm.dest == src for tm in tms), (
                f"SWR-VER-002: reply to TC {name} of source id {src}: expected every TM with destination {src}, "
                f"observed {ground.show(tms)}"
            )
            assert any(tm.key == key for tm in tms), (
                f"SWR-VER-002: no TM{list(key)} in reply to {name}: {ground.show(tms)}"
            )
    for service, subtype, apid in [(17, 1, (ground.sw.apid + 1) % 2047), (99, 1, None), (17, 99, None), (128, 3, None)]:
        src = int(rng.integers(1, 1 << 16))
        ground.send(service, subtype, b"", source_id=src, apid=apid)
        tms = ground.advance(0)
        assert all(tm.dest == src for tm in tms), (
            f"SWR-VER-002: TM[1,2] in reply to a rejected TC[{service},{subtype}] (APID {apid or ground.sw.apid}) of source id {src}: "
            f"expected destination {src}, observed {ground.show(tms)}"
        )


@pytest.mark.requirement("SWR-VER-002")
def test_replies_to_unverified_tcs_go_to_destination_0(ground: Any, rng: np.random.Generator) -> None:
    """A TC failing the length, checksum or header checks has no known source id: its TM[1,2]
    goes to destination 0 whatever its source id field holds; a TC failing a later check (APID)
    is answered to its source id."""
    w = ground.wire
    app = w.tc_app_data("disable_events", event_ids=[int(rng.choice(sorted(w.events)))])
    for i in range(6):
        src = int(rng.integers(1, 1 << 16))
        kind = ("checksum", "length", "header")[i % 3]
        if kind == "checksum":
            pkt = bytearray(ground.packet(5, 6, app, source_id=src))
            pkt[-1 - int(rng.integers(0, 2))] ^= 1 << int(rng.integers(0, 8))
            raw = bytes(pkt)
        elif kind == "length":
            raw = ground.raw_packet(5, 6, app, source_id=src, length_delta=int(rng.choice([-1, 1])))
        else:
            raw = ground.raw_packet(5, 6, app, source_id=src, pus_version=1)
        rid = ground.send(raw=raw)
        # (a missing or wrong rejection is SWR-VER-004/005's matter: here only where the TM[1,2] goes)
        for tm in ground.of(ground.verification(rid, ground.advance(0)), 1, 2):
            assert tm.dest == 0, (
                f"SWR-VER-002: {tm} answers a TC failing the {kind} check (its source id field {src} unverified): "
                "expected destination 0"
            )
    src = int(rng.integers(1, 1 << 16))
    rid = ground.send(raw=ground.raw_packet(5, 6, app, source_id=src, apid=(ground.sw.apid + 1) % 2047))
    tms = ground.advance(0)
    assert all(tm.dest == src for tm in ground.verification(rid, tms)), (
        f"SWR-VER-002: TC to a wrong APID of source id {src}: expected its TM[1,2] to {src}, observed {ground.show(tms)}"
    )


@pytest.mark.requirement("SWR-VER-002")
def test_time_fields_within_one_long_advance(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """One advance of several housekeeping periods: each TM is stamped when it is emitted, not
    when the advance returns (periodic report k at k periods after the reset, job events at
    the job's nominal running time, within parameter timing_tolerance), from the time fields as
    they are (unclamped)."""
    t0 = ground.now
    nominal = float(rng.uniform(0.3, 0.6)) * sw.hk_period_s
    job = ground.submit("sha256", max(1, min(sw.max_input, int(nominal * sw.rate_bps))), ack=0)
    nominal = sw.nominal_s(job.size)
    tms = ground.advance(4.5 * sw.hk_period_s)
    periodic = [tm for tm in ground.hk(1, tms)]
    assert len(periodic) >= 3, f"SWR-VER-002: {len(periodic)} periodic reports in 4.5 periods: {ground.show(tms)}"
    for k, tm in enumerate(periodic, start=1):
        want = t0 + k * sw.hk_period_s
        assert abs(tm.stamped - want) <= sw.tolerance(k * sw.hk_period_s), (
            f"SWR-VER-002: periodic report {k} emitted {k} periods after the reset ({want:.4f} s) is stamped "
            f"{tm.stamped:.4f} s: the time field does not follow the simulated time within one advance"
        )
    done = [tm for tm in ground.job_events(job.job_id, tms) if tm.f["event"] == "job_completed"]
    if done:
        slack = sw.tolerance(nominal) + sw.job_latency_s
        assert done[0].stamped <= t0 + nominal + slack + 1e-9, (
            f"SWR-VER-002: job of nominal running time {nominal:.3f} s submitted at {t0:.3f} s: job_completed stamped "
            f"{done[0].stamped:.4f} s, after the {4.5 * sw.hk_period_s:.1f} s advance it completed in"
        )


# --------------------------------------------------------------------------------------------------
# SWR-VER-003 / 008


def _check_ack_order(ground: Any, rid: bytes, ack: int, tms: list[Any], label: str, completes: bool = True) -> None:
    reports = ground.verification(rid, tms)
    keys = [tm.key for tm in reports]
    want = []
    if ack & ACK_ACCEPTANCE:
        want.append((1, 1))
    if ack & ACK_START:
        want.append((1, 3))
    if completes and ack & ACK_COMPLETION:
        want.append((1, 7))
    assert keys == want, (
        f"SWR-VER-003/008: {label} with ack flags {ack:04b}: expected {want}, observed {ground.show(reports)}"
    )
    if ack & ACK_ACCEPTANCE:
        caused = [tm for tm in tms if tm.dest == ground.source_id or tm.rid == rid]
        assert caused and caused[0].key == (1, 1) and caused[0].rid == rid, (
            f"SWR-VER-003: {label}: the TM[1,1] must come before any other TM the TC causes, observed {ground.show(tms)}"
        )


@pytest.mark.requirement("SWR-VER-003")
@pytest.mark.requirement("SWR-VER-008")
def test_acknowledgement_flags_of_immediate_requests(ground: Any, rng: np.random.Generator) -> None:
    """Every ack flag combination on TCs executed at once: TM[1,1], TM[1,3], TM[1,7] as the flags
    ask, in that order, none when clear."""
    job = ground.submit("sha256", 64)
    ground.advance(1.0)
    requests = [
        ("are_you_alive", {}),
        ("list_jobs", {}),
        ("query_job", {"job_id": job.job_id}),
        ("report_disabled_events", {}),
        ("one_shot_hk", {"sids": [1]}),
        ("enable_events", {"event_ids": [1]}),
        ("retrieve_result", {"job_id": job.job_id, "offset": 0, "length": 32}),
    ]
    for ack in range(16):
        name, fields = requests[int(rng.integers(0, len(requests)))]
        rid = ground.tc(name, ack=ack, **fields)
        _check_ack_order(ground, rid, ack, ground.advance(0), f"TC {name}")


@pytest.mark.requirement("SWR-VER-003")
def test_cancellation_is_accepted_before_its_effects(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """TC[128,7] of a running and of a queued job: its TM[1,1] comes before the job_cancelled
    event and the submission's TM[1,8] (the TMs it causes), nothing before it."""
    for queued in (False, True):
        if queued:
            ground.set_power(0.0)
        job = ground.submit("sha256", 800_000, ack=int(rng.integers(0, 16)))
        ground.advance(0.05)
        rid = ground.tc("cancel_job", ack=ACK_ALL if rng.integers(0, 2) else ACK_ACCEPTANCE, job_id=job.job_id)
        tms = ground.advance(0)
        assert tms and tms[0].key == (1, 1) and tms[0].rid == rid, (
            f"SWR-VER-003: TC[128,7] of a {'queued' if queued else 'running'} job: the TM[1,1] must come before any "
            f"other TM the cancellation causes, observed {ground.show(tms)}"
        )
        ground.set_power(1e5)
        ground.advance(0)


@pytest.mark.requirement("SWR-VER-008")
def test_start_is_reported_once_when_the_job_first_runs(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A job held queued by a zero budget has no TM[1,3] until it runs, and none at all when it
    is cancelled before running; a job suspended (budget) and resumed, and re-queued by a reset,
    has exactly one TM[1,3], at its first job_running."""
    ground.set_power(0.0)
    never = ground.submit("sha256", 5000)
    held = ground.submit("sha256", 400_000, seed=int(rng.integers(0, 1 << 62)))
    tms = ground.advance(float(rng.uniform(0.2, 0.5)))
    early = [tm for tm in ground.verification(never.rid, tms) + ground.verification(held.rid, tms) if tm.key == (1, 3)]
    assert not early, (
        f"SWR-VER-008: TM[1,3] of jobs that have not run (held queued by a zero budget): {ground.show(early)}"
    )
    ground.tc("cancel_job", ack=0, job_id=never.job_id)
    ground.advance(0)
    ground.set_power(1e5)
    ground.advance(0.1)
    ground.set_power(0.0)
    ground.advance(0.2)
    ground.set_power(1e5)
    ground.advance(0.05)
    ground.reset("watchdog")
    ground.run_until(
        lambda t: any(tm.f["event"] in ("job_completed", "job_failed") for tm in ground.job_events(held.job_id, t)),
        5.0,
        0.5,
    )
    starts = [tm for tm in ground.verification(never.rid) if tm.key == (1, 3)]
    assert not starts, f"SWR-VER-008: TM[1,3] of a job cancelled before it ever ran: {ground.show(starts)}"
    starts = [tm for tm in ground.verification(held.rid) if tm.key == (1, 3)]
    running = [tm for tm in ground.job_events(held.job_id) if tm.f["event"] == "job_running"]
    assert len(starts) == 1, (
        f"SWR-VER-008: job run, suspended, resumed and re-queued by a reset ({len(running)} job_running events): expected "
        f"one TM[1,3] (execution starts once), observed {ground.show(starts)}"
    )
    assert running and abs(starts[0].t - running[0].t) <= sw.tolerance(0), (
        f"SWR-VER-008: {starts[0]} is not at the job's first job_running {running[0] if running else None}"
    )


@pytest.mark.requirement("SWR-VER-003")
@pytest.mark.requirement("SWR-VER-008")
def test_acknowledgement_of_job_submissions(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A submission's TM[1,3] comes when the job first runs, its TM[1,7] when it completes; with
    the completion flag clear a completed job has no TM[1,7]; the TM[1,1] comes at once."""
    size = int(rng.integers(50_000, 200_000))
    for ack in [ACK_ALL, ACK_ACCEPTANCE | ACK_COMPLETION, ACK_START, 0, ACK_ACCEPTANCE | ACK_START]:
        job = ground.submit("sha256", size, ack=ack)
        now = ground.advance(0)
        got = [tm.key for tm in ground.verification(job.rid, now)]
        assert ((1, 1) in got) == bool(ack & ACK_ACCEPTANCE), (
            f"SWR-VER-003: submission with ack {ack:04b}: at once observed {got}"
        )
        if ack & ACK_ACCEPTANCE:
            mine = [tm for tm in now if tm.rid == job.rid or tm.f.get("job_id") == job.job_id]
            assert mine and mine[0].key == (1, 1), (
                f"SWR-VER-003: the TM[1,1] of a submission must come before any other TM it causes: {ground.show(mine)}"
            )
        tms = now + ground.run_until(
            lambda t, j=job: bool(
                ground.job_events(j.job_id, t)[-1:] and ground.job_events(j.job_id, t)[-1].f["event"] == "job_completed"
            ),
            5.0,
            0.5,
        )
        reports = [tm for tm in ground.verification(job.rid, tms) if tm.key != (1, 5)]
        _check_ack_order(ground, job.rid, ack, tms, "TC[128,1]")
        ev = ground.job_events(job.job_id, tms)
        running = [tm for tm in ev if tm.f["event"] == "job_running"]
        done = [tm for tm in ev if tm.f["event"] == "job_completed"]
        assert running and done, f"SWR-VER-008: job {job.job_id} did not run and complete: {ground.show(ev)}"
        for tm in reports:
            if tm.key == (1, 3):
                assert abs(tm.t - running[0].t) <= sw.tolerance(0), (
                    f"SWR-VER-008: {tm} is not at the job's start {running[0]}"
                )
            if tm.key == (1, 7):
                assert abs(tm.t - done[0].t) <= sw.tolerance(0), (
                    f"SWR-VER-008: {tm} is not at the job's completion {done[0]}"
                )


@pytest.mark.requirement("SWR-VER-008")
def test_job_failure_is_reported_whatever_the_flags(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A cancelled job (queued or running), an expired one and one out of energy each give one
    TM[1,8] with 256 + reason whatever the completion flag, and no TM[1,7]."""
    for ack in (0, ACK_COMPLETION, ACK_ALL):
        running = ground.submit("sha256", 500_000, ack=ack)
        ground.set_power(0.0)
        cancel_q = ground.submit("sha256", 10_000, ack=ack)
        ground.advance(0.01)
        ground.tc("cancel_job", ack=0, job_id=cancel_q.job_id)
        ground.set_power(1e5)
        ground.advance(0.05)
        ground.tc("cancel_job", ack=0, job_id=running.job_id)
        expired = ground.submit("sha256", 1_000_000, deadline_ms=int(rng.integers(100, 400)), ack=ack)
        energy = ground.submit("sha256", 1_000_000, energy_mj=int(rng.integers(1000, 5000)), ack=ack)
        jobs = [cancel_q, running, expired, energy]
        if "dmr" in sw.protection_modes:
            # a fault armed in one replica of a job that has never run: failed, reason mismatch (SWR-RES-005)
            ground.set_power(0.0)
            mismatch = ground.submit("sha256", 1000, protection="dmr", ack=ack)
            ground.tc("arm_fault", ack=0, job_id=mismatch.job_id, replica=1, offset=int(rng.integers(0, 32)), mask=0x10)
            ground.advance(0)
            ground.set_power(1e5)
            jobs.append(mismatch)
        ground.advance(1.5)
        for job in jobs:
            st = ground.query_job(job.job_id, "SWR-VER-008")
            reports = ground.verification(job.rid)
            if st is None or st["state"] not in sw.terminal:
                continue
            if st["state"] == sw.states["completed"]:
                continue  # (a job that should not have completed is SWR-JOB-006/007/008's matter)
            fails = [tm for tm in reports if tm.key == (1, 8)]
            assert len(fails) == 1 and not any(tm.key == (1, 7) for tm in reports), (
                f"SWR-VER-008: job {job.job_id} ended {sw.state_name(st['state'])} (ack {ack:04b}): expected one TM[1,8] and "
                f"no TM[1,7], observed {ground.show(reports)}"
            )
            assert fails[0].f["code"] == 256 + st["reason"], (
                f"SWR-VER-008: job {job.job_id} ended {sw.state_name(st['state'])} with reason {st['reason']}: TM[1,8] code "
                f"{fails[0].f['code']}, expected {256 + st['reason']}"
            )


# --------------------------------------------------------------------------------------------------
# SWR-VER-004


@pytest.mark.requirement("SWR-VER-004")
def test_corrupt_packet_error_control_is_rejected(ground: Any, rng: np.random.Generator) -> None:
    """Single bit errors at random positions of state-changing TCs (any bit except those of the
    packet data length field, which is a length error first): checksum, nothing else."""
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    for _ in range(CRC_TRIALS):
        service, subtype, app = _state_changing(ground, rng)
        pkt = bytearray(ground.packet(service, subtype, app, ack=int(rng.integers(0, 16))))
        while True:
            bit = int(rng.integers(0, 8 * len(pkt)))
            if bit // 8 not in (4, 5):
                break
        pkt[bit // 8] ^= 0x80 >> (bit % 8)
        cases.append((f"TC[{service},{subtype}] with bit {bit} flipped", bytes(pkt), "checksum", {}))
    for ack in (0, ACK_ALL):
        # a packet error control of 0x0000 is no "PEC not used" marker in PUS-C (7.4.4): checked like any other
        service, subtype, app = _state_changing(ground, rng)
        pkt = bytearray(ground.packet(service, subtype, app, ack=ack))
        if pkt[-2:] != b"\0\0":
            pkt[-2:] = b"\0\0"
            cases.append((f"TC[{service},{subtype}] with packet error control 0x0000", bytes(pkt), "checksum", {}))
    _reject_each(ground, cases, "SWR-VER-004")


@pytest.mark.requirement("SWR-VER-004")
def test_corrupt_pec_wins_over_every_later_check(ground: Any, rng: np.random.Generator) -> None:
    """A bad packet error control is reported as checksum even when the header, APID, service,
    subtype or application data are wrong too (parameter acceptance_checks order)."""
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    variants = [
        {"version": 1},
        {"packet_type": 0},
        {"sec_header": 0},
        {"seq_flags": 1},
        {"pus_version": 1},
        {"apid": (ground.sw.apid + 1) % 2047},
        {"service": 99},
        {"subtype": 200},
    ]
    for v in variants:
        kw = dict(v)
        service, subtype = kw.pop("service", 17), kw.pop("subtype", 1)
        pkt = bytearray(ground.raw_packet(service, subtype, b"", **kw))
        pkt[-1 - int(rng.integers(0, 2))] ^= 1 << int(rng.integers(0, 8))
        cases.append((f"TC with a bad PEC and {v}", bytes(pkt), "checksum", {}))
    _reject_each(ground, cases, "SWR-VER-004")


# --------------------------------------------------------------------------------------------------
# SWR-VER-005


@pytest.mark.requirement("SWR-VER-005")
def test_packet_length_errors(ground: Any, rng: np.random.Generator) -> None:
    """Packets of fewer than 13 octets, packet data length field off by +-1 (PEC recomputed),
    truncated and extended packets: failure code length, even with a bad PEC."""
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    for n in range(13):
        service, subtype, app = _state_changing(ground, rng)
        pkt = ground.packet(service, subtype, app)
        cases.append((f"{n}-octet packet", pkt[:n], "length", {}))
    for delta in (-1, 1, -2, 5):
        service, subtype, app = _state_changing(ground, rng)
        cases.append(
            (
                f"data length field {delta:+d}",
                ground.raw_packet(service, subtype, app, length_delta=delta),
                "length",
                {},
            )
        )
    service, subtype, app = _state_changing(ground, rng)
    pkt = ground.packet(service, subtype, app)
    cases.append(("packet truncated by one octet", pkt[:-1], "length", {}))
    pkt = ground.packet(service, subtype, app)
    cases.append(("packet truncated by three octets", pkt[:-3], "length", {}))
    pkt = ground.packet(service, subtype, app)
    cases.append(("packet with one extra octet", pkt + bytes([int(rng.integers(0, 256))]), "length", {}))
    pkt = bytearray(ground.raw_packet(17, 1, b"", length_delta=1))
    pkt[-1] ^= 0x10
    cases.append(("length field +1 and a bad PEC", bytes(pkt), "length", {}))
    _reject_each(ground, cases, "SWR-VER-005")


def _valid_app_data(ground: Any, name: str, rng: np.random.Generator) -> bytes:
    w = ground.wire
    table: dict[str, dict[str, Any]] = {
        "create_hk_structure": {"sid": 4000 + int(rng.integers(0, 1000)), "interval_ms": 1000, "parameters": [1, 7]},
        "delete_hk_structures": {"sids": [4000 + int(rng.integers(0, 1000))]},
        "enable_hk_periodic": {"sids": [1]},
        "disable_hk_periodic": {"sids": [1]},
        "one_shot_hk": {"sids": [1]},
        "modify_hk_interval": {"sid": 1, "interval_ms": 1000},
        "enable_events": {"event_ids": [1]},
        "disable_events": {"event_ids": [1]},
        "submit_job": _submit_fields(ground, input_size=100),
        "query_job": {"job_id": ground.new_job_id()},
        "cancel_job": {"job_id": ground.new_job_id()},
        "retrieve_result": {"job_id": ground.new_job_id(), "offset": 0, "length": 1},
        "delete_job": {"job_id": ground.new_job_id()},
        "arm_fault": {"job_id": ground.new_job_id(), "replica": 0, "offset": 0, "mask": 1},
    }
    return bytes(w.tc_app_data(name, **table.get(name, {})))


@pytest.mark.requirement("SWR-VER-005")
def test_application_data_one_octet_short_or_long(ground: Any, rng: np.random.Generator) -> None:
    """Every telecommand of tc_layouts with its application data one octet short (where it has
    any) and one octet long, and lists whose count disagrees with their entries: length."""
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    for (service, subtype), lay in sorted(ground.wire.tc_layouts.items()):
        app = _valid_app_data(ground, lay.name, rng)
        if app:
            cases.append(
                (
                    f"TC {lay.name} one octet short",
                    None,
                    "length",
                    {"service": service, "subtype": subtype, "app_data": app[:-1]},
                )
            )
        extra = bytes([int(rng.integers(0, 256))])
        cases.append(
            (
                f"TC {lay.name} one octet long",
                None,
                "length",
                {"service": service, "subtype": subtype, "app_data": app + extra},
            )
        )
    count2 = (2).to_bytes(2, "big") + (1).to_bytes(2, "big")
    cases.append(("TC[5,6] count 2 with one id", None, "length", {"service": 5, "subtype": 6, "app_data": count2}))
    cases.append(("TC[5,6] empty application data", None, "length", {"service": 5, "subtype": 6, "app_data": b""}))
    cases.append(
        (
            "TC[3,27] count 1 with two ids",
            None,
            "length",
            {"service": 3, "subtype": 27, "app_data": bytes.fromhex("000100010001")},
        )
    )
    _reject_each(ground, cases, "SWR-VER-005")


@pytest.mark.requirement("SWR-VER-005")
def test_header_errors(ground: Any, rng: np.random.Generator) -> None:
    """Packet version, packet type, secondary header flag, sequence flags or TC PUS version other
    than the conventions (valid PEC): header; also with a wrong APID or service (header first),
    and a header error in a packet whose application data does not fit (header first)."""
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    service, subtype, app = _state_changing(ground, rng)
    for v in [
        {"version": int(rng.integers(1, 8))},
        {"packet_type": 0},
        {"sec_header": 0},
        {"seq_flags": 0},
        {"seq_flags": 1},
        {"seq_flags": 2},
        {"pus_version": 1},
        {"pus_version": int(rng.integers(3, 16))},
        {"version": 1, "apid": (ground.sw.apid + 7) % 2047},
        {"pus_version": 1, "apid": (ground.sw.apid + 3) % 2047},
        {"seq_flags": 1, "apid": (ground.sw.apid + 5) % 2047},
        {"pus_version": 0, "service": 42},
    ]:
        kw = dict(v)
        svc, sub, data = kw.pop("service", service), subtype, app
        cases.append((f"TC[{svc},{sub}] with {v}", ground.raw_packet(svc, sub, data, **kw), "header", {}))
    cases.append(
        (
            "TC[17,1] sequence flags 01 and one octet too many",
            ground.raw_packet(17, 1, b"\0", seq_flags=1),
            "header",
            {},
        )
    )
    _reject_each(ground, cases, "SWR-VER-005")


# --------------------------------------------------------------------------------------------------
# SWR-VER-006


@pytest.mark.requirement("SWR-VER-006")
def test_apid_service_and_subtype_errors(ground: Any, rng: np.random.Generator) -> None:
    """Wrong APIDs, unimplemented service types (1, 2 and random ones), subtypes that are not
    telecommands of their service; and their precedence (apid before service before subtype
    before length)."""
    w = ground.wire
    apid = ground.sw.apid
    others = [a for a in (0, 2046, (apid + 1) % 2047, int(rng.integers(0, 2047))) if a != apid]
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []
    for a in others:
        service, subtype, app = _state_changing(ground, rng)
        cases.append(
            (
                f"TC[{service},{subtype}] to APID {a}",
                None,
                "apid",
                {"service": service, "subtype": subtype, "app_data": app, "apid": a},
            )
        )
    cases.append((f"TC[42,1] to APID {others[0]}", None, "apid", {"service": 42, "subtype": 1, "apid": others[0]}))
    services = [
        1,
        2,
        *[int(s) for s in rng.choice([s for s in range(256) if s not in w.tc_services], 4, replace=False)],
    ]
    for s in services:
        cases.append(
            (
                f"TC[{s},1] (service not implemented)",
                None,
                "service",
                {"service": s, "subtype": 1, "app_data": b"\0" * int(rng.integers(0, 9))},
            )
        )
    for s in sorted(w.tc_services):
        subs = [t for t in range(256) if (s, t) not in w.tc_layouts]
        for t in [*(t for t in (0, 2, 25) if t in subs), int(rng.choice(subs))]:
            cases.append(
                (
                    f"TC[{s},{t}] (no such telecommand)",
                    None,
                    "subtype",
                    {"service": s, "subtype": t, "app_data": b"\x00\x01"},
                )
            )
    _reject_each(ground, cases, "SWR-VER-006")


# --------------------------------------------------------------------------------------------------
# SWR-VER-007


def _field_cases(
    ground: Any, sw: Any, rng: np.random.Generator, live: int
) -> list[tuple[str, bytes | None, str, dict[str, Any]]]:
    """(label, None, code, send kwargs) of out-of-range fields of every telecommand."""
    w = ground.wire
    lim = sw.hk_limits
    out: list[tuple[str, bytes | None, str, dict[str, Any]]] = []

    def add(label: str, code: str, name: str, **fields: Any) -> None:
        out.append(_case(w, label, code, name, **fields))

    sid = 5000 + int(rng.integers(0, 1000))
    add("create: sid 0", "parameter", "create_hk_structure", sid=0, interval_ms=1000, parameters=[1])
    add(
        "create: interval below min",
        "parameter",
        "create_hk_structure",
        sid=sid,
        interval_ms=lim["min_interval_ms"] - 1,
        parameters=[1],
    )
    add(
        "create: interval above max",
        "parameter",
        "create_hk_structure",
        sid=sid,
        interval_ms=lim["max_interval_ms"] + 1,
        parameters=[1],
    )
    add("create: no parameter", "parameter", "create_hk_structure", sid=sid, interval_ms=1000, parameters=[])
    bad_pid = int(rng.choice([p for p in range(1, 1000) if p not in w.hk_parameters]))
    add(
        f"create: parameter {bad_pid}",
        "parameter",
        "create_hk_structure",
        sid=sid,
        interval_ms=1000,
        parameters=[1, bad_pid],
    )
    add("create: parameter 0", "parameter", "create_hk_structure", sid=sid, interval_ms=1000, parameters=[0])
    add(
        "create: parameter listed twice",
        "parameter",
        "create_hk_structure",
        sid=sid,
        interval_ms=1000,
        parameters=[7, 3, 7],
    )
    add(
        "create: more than max_parameters",
        "parameter",
        "create_hk_structure",
        sid=sid,
        interval_ms=1000,
        parameters=[1 + i % 13 for i in range(lim["max_parameters"] + 1)],
    )
    for name in ("delete_hk_structures", "enable_hk_periodic", "disable_hk_periodic", "one_shot_hk"):
        add(f"{name}: empty list", "parameter", name, sids=[])
        add(f"{name}: 17 ids", "parameter", name, sids=[1] + [sid + i for i in range(16)])
        add(f"{name}: an id twice", "parameter", name, sids=[1, 1] if name != "delete_hk_structures" else [sid, sid])
    add("delete structure 1", "parameter", "delete_hk_structures", sids=[1])
    add("modify: interval below min", "parameter", "modify_hk_interval", sid=1, interval_ms=lim["min_interval_ms"] - 1)
    add(
        "modify: interval above max",
        "parameter",
        "modify_hk_interval",
        sid=1,
        interval_ms=int(rng.integers(lim["max_interval_ms"] + 1, 1 << 32)),
    )
    ids = sorted(w.events)
    bad_eid = int(rng.choice([e for e in range(0, 2000) if e not in w.events]))
    for name in ("enable_events", "disable_events"):
        add(f"{name}: empty", "parameter", name, event_ids=[])
        add(f"{name}: 65 ids", "parameter", name, event_ids=[ids[i % len(ids)] for i in range(65)])
        add(f"{name}: unknown id {bad_eid}", "parameter", name, event_ids=[ids[0], bad_eid])
        add(f"{name}: an id twice", "parameter", name, event_ids=[ids[1], ids[1]])

    def submit(label: str, code: str, **over: Any) -> None:
        seed = int(rng.integers(0, 1 << 62))
        fields = _submit_fields(ground, **{"input_seed": seed, "input_size": 100, "priority": 7, **over})
        add(label, code, "submit_job", **fields)

    submit("submit: job id 0", "parameter", job_id=0)
    submit("submit: input size 0", "parameter", input_size=0)
    submit("submit: input size above max_input_octets", "parameter", input_size=sw.max_input + 1)
    submit(
        "submit: matmul input not 8 n^2", "parameter", workload_digest=w.workloads["matmul-u32"], input_size=8 * 9 + 8
    )
    submit("submit: matmul n = 257", "parameter", workload_digest=w.workloads["matmul-u32"], input_size=8 * 257 * 257)
    codes = set(sw.protection_codes.values())
    submit(
        "submit: protection code 4+", "parameter", protection=int(rng.choice([c for c in range(256) if c not in codes]))
    )
    submit(
        "submit: unknown digest", "unknown_workload", workload_digest=bytes(rng.integers(0, 256, 32, dtype=np.uint8))
    )
    submit("submit: abft for sha256", "protection", protection=sw.protection_codes["abft"])
    for mode in sorted(set(sw.protection_codes) - sw.protection_modes):
        submit(
            f"submit: {mode}, not in the ICS",
            "protection",
            protection=sw.protection_codes[mode],
            workload_digest=w.workloads["matmul-u32"],
            input_size=8 * 4,
        )
    submit("submit: existing job id", "job_exists", job_id=live)
    submit("submit: existing id and bad size", "parameter", job_id=live, input_size=0)
    submit("submit: unknown digest and bad size", "parameter", workload_digest=bytes(32), input_size=0)
    add("retrieve: length 0", "parameter", "retrieve_result", job_id=live, offset=0, length=0)
    add(
        "retrieve: length above max_chunk",
        "parameter",
        "retrieve_result",
        job_id=live,
        offset=0,
        length=sw.max_chunk + 1,
    )
    add("arm_fault: mask 0", "parameter", "arm_fault", job_id=live, replica=0, offset=0, mask=0)
    return out


@pytest.mark.requirement("SWR-VER-007")
def test_out_of_range_fields_are_rejected(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Every field outside its tc_layouts range, and lists naming an entry twice: parameter,
    nothing changed (with jobs, a created structure and a disabled event in place)."""
    done = ground.submit("sha256", 500)
    ground.advance(1.0)
    sid = 3000 + int(rng.integers(0, 1000))
    ground.created_sids.add(sid)
    ground.tc("create_hk_structure", sid=sid, interval_ms=2000, parameters=[7, 8])
    ground.structures[sid] = (7, 8)
    ground.tc("disable_events", event_ids=[ground.wire.event_ids["job_suspended"]])
    ground.set_power(0.0)
    ground.submit("sha256", 500, priority=3)
    ground.advance(0)
    _reject_each(ground, _field_cases(ground, sw, rng, done.job_id), "SWR-VER-007")


@pytest.mark.requirement("SWR-VER-007")
def test_state_errors_are_rejected(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """unknown_job, job_state, job_exists, unknown_sid, sid_exists, unknown_workload, protection:
    each named code, nothing changed."""
    w = ground.wire
    done = ground.submit("sha256", 500)
    ground.advance(1.0)
    ground.set_power(0.0)
    waiting = ground.submit("sha256", 500)
    ground.advance(0)
    unknown = ground.new_job_id()
    free_sid = 6000 + int(rng.integers(0, 1000))
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []

    def add(label: str, code: str, name: str, **fields: Any) -> None:
        cases.append(_case(w, label, code, name, **fields))

    add("query unknown job", "unknown_job", "query_job", job_id=unknown)
    add("cancel unknown job", "unknown_job", "cancel_job", job_id=unknown)
    add("delete unknown job", "unknown_job", "delete_job", job_id=unknown)
    add("retrieve unknown job", "unknown_job", "retrieve_result", job_id=unknown, offset=0, length=1)
    add("arm_fault unknown job", "unknown_job", "arm_fault", job_id=unknown, replica=0, offset=0, mask=1)
    add("cancel completed job", "job_state", "cancel_job", job_id=done.job_id)
    add("delete queued job", "job_state", "delete_job", job_id=waiting.job_id)
    add("retrieve queued job", "job_state", "retrieve_result", job_id=waiting.job_id, offset=0, length=1)
    add("arm_fault completed job", "job_state", "arm_fault", job_id=done.job_id, replica=0, offset=0, mask=1)
    add("create structure 1", "sid_exists", "create_hk_structure", sid=1, interval_ms=1000, parameters=[1])
    for name in ("enable_hk_periodic", "disable_hk_periodic", "one_shot_hk", "delete_hk_structures"):
        add(f"{name} of unknown sid", "unknown_sid", name, sids=[free_sid])
    add("enable sid 1 and an unknown sid", "unknown_sid", "enable_hk_periodic", sids=[1, free_sid])
    add("modify unknown sid", "unknown_sid", "modify_hk_interval", sid=free_sid, interval_ms=1000)
    add("submit existing id", "job_exists", "submit_job", **_submit_fields(ground, job_id=done.job_id, input_size=10))
    add(
        "submit unknown workload",
        "unknown_workload",
        "submit_job",
        **_submit_fields(ground, workload_digest=bytes(32), input_size=10),
    )
    add(
        "submit abft sha256",
        "protection",
        "submit_job",
        **_submit_fields(
            ground,
            workload_digest=w.workloads["shake256-expand"],
            input_size=10,
            protection=sw.protection_codes["abft"],
        ),
    )
    _reject_each(ground, cases, "SWR-VER-007")
    rid = ground.tc("one_shot_hk", sids=[free_sid])
    ground.expect_rejection(rid, "unknown_sid", ground.advance(0), "SWR-VER-007", "structure never created")


@pytest.mark.requirement("SWR-VER-007")
def test_order_of_the_state_checks(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """Pairs of faults in one TC, each reported as the earlier check of parameter
    acceptance_checks: parameter (no dependency) before unknown_sid; unknown_job before
    job_state before parameter (job-dependent); unknown_workload before protection before
    job_exists; parameter (workload-dependent) before job_exists."""
    w = ground.wire
    done = ground.submit("sha256", 500)
    ground.advance(1.0)
    ground.set_power(0.0)
    waiting = ground.submit("sha256", 500)
    ground.advance(0)
    unknown_sid = 7000 + int(rng.integers(0, 1000))
    cases: list[tuple[str, bytes | None, str, dict[str, Any]]] = []

    def add(label: str, code: str, name: str, **fields: Any) -> None:
        cases.append(_case(w, label, code, name, **fields))

    def submit(label: str, code: str, **over: Any) -> None:
        add(label, code, "submit_job", **_submit_fields(ground, **over))

    add("delete an unknown sid and structure 1", "parameter", "delete_hk_structures", sids=[unknown_sid, 1])
    add(
        "retrieve from a queued job at a huge offset",
        "job_state",
        "retrieve_result",
        job_id=waiting.job_id,
        offset=1 << 31,
        length=1,
    )
    add("arm a completed job, replica 9", "job_state", "arm_fault", job_id=done.job_id, replica=9, offset=0, mask=1)
    add(
        "arm a queued unprotected job, replica 1",
        "parameter",
        "arm_fault",
        job_id=waiting.job_id,
        replica=1,
        offset=0,
        mask=1,
    )
    add(
        "arm a queued job at its result size",
        "parameter",
        "arm_fault",
        job_id=waiting.job_id,
        replica=0,
        offset=32,
        mask=1,
    )
    add(
        "arm an unknown job with mask 0",
        "parameter",
        "arm_fault",
        job_id=ground.new_job_id(),
        replica=0,
        offset=0,
        mask=0,
    )
    submit(
        "unknown digest with abft",
        "unknown_workload",
        workload_digest=bytes(32),
        protection=sw.protection_codes["abft"],
    )
    submit("unknown digest, existing id", "unknown_workload", workload_digest=bytes(32), job_id=done.job_id)
    submit("abft for sha256, existing id", "protection", protection=sw.protection_codes["abft"], job_id=done.job_id)
    submit(
        "matmul size not 8 n^2, existing id",
        "parameter",
        workload_digest=w.workloads["matmul-u32"],
        input_size=80,
        job_id=done.job_id,
    )
    submit(
        "matmul size not 8 n^2 with abft",
        "parameter",
        workload_digest=w.workloads["matmul-u32"],
        input_size=80,
        protection=sw.protection_codes["abft"],
    )
    _reject_each(ground, cases, "SWR-VER-007")


@pytest.mark.requirement("SWR-VER-007")
def test_capacity_is_rejected(ground: Any, sw: Any) -> None:
    """With job_capacity jobs tracked a submission is rejected with capacity, nothing changed."""
    if sw.job_capacity > 4096:
        inconclusive(f"ICS job_capacity {sw.job_capacity} is beyond what this suite fills")
    ground.set_power(0.0)
    for _ in range(sw.job_capacity):
        ground.submit("sha256", 10, ack=0)
    tms = ground.advance(0)
    fails = ground.of(tms, 1, 2)
    if fails:
        inconclusive(f"submissions below job_capacity rejected (SWR-JOB-001): {ground.show(fails[:3])}")
    extra = ground.submit("sha256", 10)
    ground.expect_rejection(
        extra.rid, "capacity", ground.advance(0), "SWR-VER-007", f"submission {sw.job_capacity + 1}"
    )
    jobs = ground.list_jobs("SWR-VER-007")
    if jobs:
        again = ground.submit("sha256", 10, job_id=jobs[0][0])
        ground.expect_rejection(
            again.rid, "job_exists", ground.advance(0), "SWR-VER-007", "existing id at capacity (job_exists first)"
        )
    jobs = ground.list_jobs("SWR-VER-007")
    assert len(jobs) == sw.job_capacity and extra.job_id not in {j for j, _ in jobs}, (
        f"SWR-VER-007: after a rejected submission over capacity, {len(jobs)} jobs listed, expected {sw.job_capacity}"
    )


# --------------------------------------------------------------------------------------------------
# SWR-VER-009


@pytest.mark.requirement("SWR-VER-009")
@pytest.mark.applies_if("checkpointing")
def test_progress_reports(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """A long job with the progress flag: TM[1,5] steps 1, 2, 3 ... between TM[1,3] and TM[1,7],
    at least k when its running time exceeds k checkpoint intervals; none with the flag clear."""
    cp = sw.checkpoint_s
    if cp is None:
        inconclusive("the ICS claims checkpointing without checkpoint_interval_s")
    mode = max((m for m in sw.workload_protection["sha256"] if m in sw.protection_modes), key=lambda m: sw.replicas[m])
    size = sw.max_input
    nominal = sw.nominal_s(size, mode)
    if nominal < 2 * cp:
        inconclusive(f"the longest job ({nominal:.2f} s) is shorter than two checkpoint intervals ({cp} s)")
    for ack in (ACK_ALL, ACK_ALL & ~ACK_PROGRESS, ACK_PROGRESS):
        job = ground.submit("sha256", size, protection=mode, ack=ack)
        tms = ground.advance(nominal + 3 * cp + 1)
        rep = ground.verification(job.rid, tms)
        steps = [tm for tm in rep if tm.key == (1, 5)]
        ev = ground.job_events(job.job_id, tms)
        run = [tm.t for tm in ev if tm.f["event"] == "job_running"]
        end = [tm.t for tm in ev if tm.f["event"] in ("job_completed", "job_failed")]
        assert run and end, f"SWR-VER-009: job {job.job_id} did not run to completion: {ground.show(ev)}"
        if not ack & ACK_PROGRESS:
            assert not steps, f"SWR-VER-009: progress flag clear, yet {ground.show(steps)}"
            continue
        numbers = [tm.f["step"] for tm in steps]
        assert numbers == list(range(1, len(numbers) + 1)), (
            f"SWR-VER-009: progress steps {numbers}, expected 1, 2, 3 ..."
        )
        k = int((end[0] - run[0]) / cp - 1e-9)
        assert len(steps) >= k, (
            f"SWR-VER-009: running time {end[0] - run[0]:.3f} s exceeds {k} checkpoint intervals, {len(steps)} TM[1,5]"
        )
        keys = [tm.key for tm in rep]
        if (1, 3) in keys:
            assert keys.index((1, 3)) < keys.index((1, 5)), f"SWR-VER-009: a TM[1,5] before the TM[1,3]: {keys}"
        if (1, 7) in keys:
            assert max(i for i, k2 in enumerate(keys) if k2 == (1, 5)) < keys.index((1, 7)), (
                f"SWR-VER-009: a TM[1,5] after the TM[1,7]: {keys}"
            )
        assert all(run[0] - 1e-9 <= tm.t <= end[0] + 1e-9 for tm in steps), "SWR-VER-009: TM[1,5] outside the job's run"
    # steps continue over the whole life of the job: a reset does not restart them (a suspension
    # is not used here: a product that loses progress at suspension, SWR-RES-003's failure, would
    # write its checkpoints again)
    job = ground.submit("sha256", size, protection=mode, ack=ACK_PROGRESS)
    ground.advance(0.6 * nominal)
    ground.reset("watchdog")
    ground.run_until(
        lambda t: any(tm.f["event"] in ("job_completed", "job_failed") for tm in ground.job_events(job.job_id, t)),
        nominal + 6 * cp + 2,
        cp,
    )
    numbers = [tm.f["step"] for tm in ground.verification(job.rid) if tm.key == (1, 5)]
    ev = [tm.f["event"] for tm in ground.job_events(job.job_id)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 1, (
        f"SWR-VER-009: job reset while running ({ev}): progress steps {numbers}, expected 1, 2, 3 ... "
        "over the whole life of the job"
    )
