"""Conformance suite of sw-compute-runtime, class ``events`` (SWR-EVT-001..003): event reporting,
ECSS-E-ST-70-41C 6.5 (TM[5,1..4] by severity, TC[5,5]/[5,6] enable and disable report generation,
TC[5,7]/TM[5,8] the disabled list).

A scenario drives the product through every event of parameter events that its ICS allows
(the three reset kinds, every job state, a power budget that suspends jobs, protection
mismatches through armed faults where dmr/tmr are declared); each report is checked against the
events table (severity as message subtype, auxiliary data as laid out and consistent with what
the ground did). Disabling is checked by running the same scenario with the events disabled
(none reported, the same job outcomes and results: reporting does not change behaviour), across
resets, and by the disabled list.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

JOB_EVENTS = (
    "job_queued",
    "job_running",
    "job_suspended",
    "job_completed",
    "job_failed",
    "job_cancelled",
    "job_expired",
)


def _scenario(ground: Any, sw: Any, rng: np.random.Generator, seed: int) -> dict[str, Any]:
    """Jobs through every state, a budget drop that suspends one, resets of every kind and, where
    declared, dmr and tmr jobs with an armed fault. Returns what happened, as the ground saw it."""
    out: dict[str, Any] = {"resets": []}
    a = ground.submit("sha256", 400_000, priority=100, seed=seed)
    b = ground.submit("sha256", 400_000, priority=50, seed=seed + 1)
    ground.advance(0.05)
    budget = sw.idle_w + 1.5 * sw.job_w
    ground.set_power(budget)
    out["budget_mw"] = int(budget * 1000)
    ground.advance(0.05)
    ground.set_power(1e5)
    c = ground.submit("sha256", 1000, seed=seed + 2)
    ground.advance(0)
    ground.tc("cancel_job", job_id=c.job_id)
    d = ground.submit("sha256", 1_000_000, deadline_ms=200, seed=seed + 3)
    e = ground.submit("sha256", 1_000_000, energy_mj=1000, seed=seed + 4)
    jobs = [a, b, c, d, e]
    if "dmr" in sw.protection_modes:
        ground.set_power(0.0)
        f = ground.submit("sha256", 1000, protection="dmr", seed=seed + 5)
        g = ground.submit("sha256", 1000, protection="tmr", seed=seed + 6) if "tmr" in sw.protection_modes else None
        ground.tc("arm_fault", job_id=f.job_id, replica=1, offset=3, mask=0x40)
        jobs.append(f)
        if g is not None:
            ground.tc("arm_fault", job_id=g.job_id, replica=2, offset=5, mask=0x81)
            jobs.append(g)
        ground.set_power(1e5)
    ground.advance(2.0)
    jobs.append(ground.submit("sha256", 1_000_000, seed=seed + 7))  # running at the resets
    ground.advance(0.01)
    for kind in ("watchdog", "latchup", "watchdog", "power"):
        ground.advance(float(rng.uniform(0.01, 0.5)))
        ground.reset(kind)
        out["resets"].append((kind, ground.now, ground.advance(0)))
    out["jobs"] = jobs
    out["final"] = {j.job_id: ground.query_job(j.job_id, "SWR-EVT-002") for j in jobs}
    return out


@pytest.mark.requirement("SWR-EVT-001")
def test_every_event_is_reported_as_defined(ground: Any, sw: Any, wire: Any, rng: np.random.Generator) -> None:
    run = _scenario(ground, sw, rng, int(rng.integers(0, 1 << 60)))
    events = ground.events()
    for tm in events:
        ev = wire.events[tm.f["event_id"]]
        assert tm.subtype == ev.severity, (
            f"SWR-EVT-001: {tm}: event {ev.name} has severity {ev.severity}, reported as TM[5,{tm.subtype}]"
        )
        if tm.dest not in (0, ground.source_id):
            ground.violation("SWR-VER-002", f"SWR-VER-002: {tm} destination {tm.dest}")
    names = {tm.f["event"] for tm in events}
    # the events the product's own state says happened (how jobs end is judged elsewhere)
    want = {"power_on", "watchdog_reset", "latchup_reset", "job_queued"}
    for job in run["jobs"]:
        st = run["final"][job.job_id]
        if st is None:
            continue
        name = "job_" + sw.state_name(st["state"])
        got = [tm for tm in ground.job_events(job.job_id) if tm.f["event"] == name]
        assert got, f"SWR-EVT-001: job {job.job_id} is {sw.state_name(st['state'])} but no {name} event was reported"
        if job.protection == "dmr" and (st["state"], st["reason"]) == (sw.states["failed"], sw.reasons["mismatch"]):
            want.add("protection_mismatch_detected")
    assert want <= names, f"SWR-EVT-001: events {sorted(want - names)} not reported in a scenario that causes them"
    count = 0
    for kind, _t, tms in run["resets"]:
        name = {"power": "power_on", "watchdog": "watchdog_reset", "latchup": "latchup_reset"}[kind]
        assert tms and tms[0].key[0] == 5 and tms[0].f["event"] == name, (
            f"SWR-EVT-001: after a {kind} reset the first TM must be the event {name}, observed {ground.show(tms[:3])}"
        )
        count = 0 if kind == "power" else min(count + 1, 0xFFFF)
        assert tms[0].f["reset_count"] == count, (
            f"SWR-EVT-001: {tms[0]}: reset_count {tms[0].f['reset_count']}, expected {count}"
        )
    power_suspensions = [tm for tm in ground.events("job_suspended") if tm.f["reason"] == sw.reasons["power"]]
    low = ground.events("power_budget_low")
    if power_suspensions:
        t = power_suspensions[0].t
        at_once = [tm for tm in power_suspensions if abs(tm.t - t) <= sw.tolerance(0)]
        assert low and low[0].f["budget_mw"] == run["budget_mw"] and low[0].f["suspended"] == len(at_once), (
            f"SWR-EVT-001: set_power({run['budget_mw'] / 1000} W) suspended {len(at_once)} job(s): expected power_budget_low with "
            f"budget_mw {run['budget_mw']} and suspended {len(at_once)}, observed {ground.show(low)}"
        )
    codes = sw.protection_codes
    for name in ("protection_mismatch_detected", "protection_mismatch_corrected"):
        for tm in ground.events(name):
            jobs = [j for j in run["jobs"] if j.job_id == tm.f["job_id"]]
            assert jobs and tm.f["protection"] == codes[jobs[0].protection], (
                f"SWR-EVT-001: {tm}: job or protection code wrong"
            )


@pytest.mark.requirement("SWR-EVT-001")
def test_power_budget_low_only_when_a_job_is_suspended(ground: Any, sw: Any, rng: np.random.Generator) -> None:
    """power_budget_low is reported when, and only when, set_power suspends at least one job
    (parameter events): not for budgets below concurrency slots that suspend nothing (no job,
    or fewer jobs running than the slots left); once with budget_mw and suspended 1 when it
    suspends one."""
    for budget in (0.0, sw.idle_w + float(rng.uniform(0.2, 0.8)) * sw.job_w, sw.idle_w * float(rng.uniform(0.1, 0.9))):
        ground.set_power(budget)
        ground.advance(0.05)
    ground.set_power(1e5)
    job = ground.submit("sha256", 900_000)
    ground.advance(0.05)
    slots = min(1, sw.concurrency - 1)
    if slots:
        ground.set_power(sw.idle_w + float(rng.uniform(slots + 0.2, slots + 0.8)) * sw.job_w)
        ground.advance(0.05)
    spurious = ground.events("power_budget_low")
    assert not spurious, (
        f"SWR-EVT-001: power_budget_low although set_power suspended no job (budgets {0.0} W and below "
        f"{sw.concurrency} slots, with no job or {slots} job(s) running and {slots} slot(s) left): {ground.show(spurious)}"
    )
    assert not ground.events("job_suspended"), f"SWR-EVT-001: job {job.job_id} suspended by a budget that fits it"
    ground.set_power(0.0)
    tms = ground.advance(0)
    low = ground.events("power_budget_low", tms)
    suspended = [tm for tm in ground.events("job_suspended", tms) if tm.f.get("job_id") == job.job_id]
    assert suspended, f"SWR-EVT-001: set_power(0) with job {job.job_id} running: no job_suspended, {ground.show(tms)}"
    assert len(low) == 1 and (low[0].f["budget_mw"], low[0].f["suspended"]) == (0, 1), (
        f"SWR-EVT-001: set_power(0) suspended one job: expected one power_budget_low with budget_mw 0 and suspended 1, "
        f"observed {ground.show(low)}"
    )


@pytest.mark.requirement("SWR-EVT-002")
def test_disabled_events_are_not_reported_and_change_nothing(
    ground: Any, sw: Any, wire: Any, rng: np.random.Generator
) -> None:
    """The scenario with every event enabled, then again (same seeds) with a random half of the
    events disabled: no report of a disabled event, the others still reported, the same final
    job states and results."""
    seed = int(rng.integers(0, 1 << 60))
    first = _scenario(ground, sw, rng, seed)
    ids = sorted(wire.events)
    off = sorted(int(i) for i in rng.choice(ids, len(ids) // 2, replace=False))
    off_names = {wire.events[i].name for i in off}
    results = {
        i: ground.retrieve(j.job_id, st["result_size"], requirement="SWR-EVT-002")
        for i, (j, st) in enumerate(zip(first["jobs"], first["final"].values(), strict=True))
        if st and st["state"] == sw.states["completed"]
    }
    for j in first["jobs"]:
        ground.tc("delete_job", ack=0, job_id=j.job_id)
    ground.tc("disable_events", event_ids=off)
    ground.advance(0)
    start = len(ground.log)
    second = _scenario(ground, sw, rng, seed)
    seen = {tm.f["event"] for tm in ground.events(tms=ground.log[start:])}
    assert not seen & off_names, f"SWR-EVT-002: disabled events reported: {sorted(seen & off_names)}"
    first_names = {tm.f["event"] for tm in ground.events(tms=ground.log[:start])}
    missing = (first_names - off_names) - seen
    assert not missing, f"SWR-EVT-002: enabled events not reported any more: {sorted(missing)}"

    def outcome(run: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (st["state"], st["reason"], st["result_size"], st["restarts"]) if st else None  # type: ignore[misc]
            for st in run["final"].values()
        ]

    assert outcome(first) == outcome(second), (
        f"SWR-EVT-002: the same scenario ends differently with events {sorted(off_names)} disabled: {outcome(first)} vs {outcome(second)}"
    )
    for i, j2 in enumerate(second["jobs"]):
        st = second["final"][j2.job_id]
        if i in results and st:
            assert ground.retrieve(j2.job_id, st["result_size"], requirement="SWR-EVT-002") == results[i], (
                f"SWR-EVT-002: job {j2.job_id} result differs with events disabled"
            )


@pytest.mark.requirement("SWR-EVT-002")
def test_disabled_status_survives_resets(ground: Any, sw: Any, wire: Any, rng: np.random.Generator) -> None:
    """power_on, watchdog_reset, latchup_reset and job_completed disabled: not reported after
    resets of every kind; enabled again by TC[5,5], reported again."""
    first = (ground.initial or {}).get("disabled")
    assert first in (None, []), f"SWR-EVT-002: events {first} disabled at power-on, before any TC[5,6]"
    names = ["power_on", "watchdog_reset", "latchup_reset", "job_completed"]
    ids = [wire.event_ids[n] for n in names]
    ground.tc("disable_events", event_ids=ids)
    ground.advance(0)
    for kind in ("watchdog", "latchup", "power"):
        ground.reset(kind)
        tms = ground.advance(0)
        job = ground.submit("sha256", 1000)
        tms += ground.advance(0.5)
        bad = [tm for tm in ground.events(tms=tms) if tm.f["event"] in names]
        assert not bad, f"SWR-EVT-002: after a {kind} reset, disabled events reported: {ground.show(bad)}"
        st = ground.query_job(job.job_id, "SWR-EVT-002")
        assert st is not None and st["state"] == sw.states["completed"], (
            f"SWR-EVT-002: job with job_completed disabled: {st}"
        )
        done = [tm for tm in ground.verification(job.rid, tms) if tm.key == (1, 7)]
        assert len(done) == 1, (
            f"SWR-EVT-002: job completed with job_completed disabled (after a {kind} reset): expected the "
            f"submission's TM[1,7] all the same (disabling a report changes no behaviour), observed "
            f"{ground.show(ground.verification(job.rid, tms))}"
        )
    ground.tc("enable_events", event_ids=ids[::-1])
    ground.advance(0)
    ground.reset("latchup")
    tms = ground.advance(0)
    job = ground.submit("sha256", 1000)
    tms += ground.advance(0.5)
    got = {tm.f["event"] for tm in ground.events(tms=tms)}
    assert {"latchup_reset", "job_completed"} <= got, f"SWR-EVT-002: re-enabled events not reported: {sorted(got)}"


@pytest.mark.requirement("SWR-EVT-003")
def test_disabled_list(ground: Any, wire: Any, rng: np.random.Generator) -> None:
    """Random disable/enable sequences (ids in random order, some twice across TCs): TM[5,8]
    lists exactly the disabled ids, once each, ascending; a TC naming an unknown id is rejected
    whole with parameter and changes nothing."""
    ids = sorted(wire.events)
    disabled: set[int] = set()
    assert ground.disabled_events() == [], "SWR-EVT-003: events disabled after the suite enabled them all"
    for _ in range(6):
        pick = [int(i) for i in rng.permutation(rng.choice(ids, int(rng.integers(1, len(ids))), replace=False))]
        if rng.integers(0, 2):
            ground.tc("disable_events", event_ids=pick)
            disabled |= set(pick)
        else:
            ground.tc("enable_events", event_ids=pick)
            disabled -= set(pick)
        ground.advance(0)
        got = ground.disabled_events()
        assert got == sorted(disabled), f"SWR-EVT-003: TM[5,8] lists {got}, expected {sorted(disabled)}"
    bad = int(rng.choice([e for e in range(1, 1024) if e not in wire.events]))
    for name in ("disable_events", "enable_events"):
        pick = (
            [i for i in ids if i not in disabled][:2] if name == "disable_events" else sorted(disabled)[:2] or ids[:1]
        )
        rid = ground.tc(name, event_ids=[*pick, bad])
        ground.expect_rejection(rid, "parameter", ground.advance(0), "SWR-EVT-003", f"TC {name} {[*pick, bad]}")
        got = ground.disabled_events()
        assert got == sorted(disabled), (
            f"SWR-EVT-003: a rejected {name} changed the disabled list to {got}, expected {sorted(disabled)}"
        )
