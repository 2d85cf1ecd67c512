"""A hypothesis state machine against the reference runtime (``orbitcert.reference_impl.runtime.iut``).

Rules send random valid telecommands (job submissions with random manifests of small inputs, query,
list, cancel, retrieve, delete, arm_fault, housekeeping and event requests, pings), random garbage
and corrupted packets, advance random times, reset (watchdog, latchup, power) and set the power
budget. A model kept here from the spec ``sw-compute-runtime@1.0.0`` and the reference ICS
predicts what each telecommand should get. Invariants, after every step:

* nothing raises; every TM parses with ``pus.parse_tm`` (APID 100, PEC) and its source data has
  exactly the layout of parameter ``tm_layouts`` (events: the ``events`` table; housekeeping: the
  structure's parameters, typed by ``hk_parameters``); sequence counts +1 between resets, time
  fields never decrease and stay within the advance (SWR-VER-001/002);
* every TC gets exactly one TM[1,1] or TM[1,2] with its request ID when its acceptance flag is
  set, TM[1,2] always on a failure and then nothing else; the failure code is the one the model
  predicts where the spec fixes it (SWR-VER-003..007);
* every accepted job stays tracked until deleted: ``rt.tracked_jobs()`` and the TM[128,6] list
  agree with the model; a job changes state only along parameter ``job_states`` (seen through its
  events, never disabled here), terminal states are never left (SWR-JOB-004, SWR-RES-001);
* the verification of a job submission: one TM[1,3] when it first runs (start flag), TM[1,5]
  steps 1, 2, ... (progress flag), TM[1,7] on completed (completion flag) or TM[1,8] with code
  256 + reason on any other terminal state (SWR-VER-008/009);
* at most ``concurrency`` and the power budget's jobs run, and no job waits while a slot is free
  (SWR-JOB-005, parameter scheduling); housekeeping job counts, power draw and budget, reset cause
  and count are the model's (SWR-HK-002, SWR-RES-008);
* a completed job's result (retrieved, and all of them at teardown) equals the workload computed
  here independently (``hashlib`` SHA-256/SHAKE, a brute-force integer matrix product), with the
  armed faults applied as parameters ``fault_injection`` and ``protection_modes`` say (none: the
  octet XORed; abft: corrected; dmr: failed with reason mismatch; tmr: octet-wise majority).

Disabling job events would hide the state changes the model follows, so event TCs name only the
other events (SWR-EVT-002 says behaviour does not depend on it). Hypothesis runs derandomized (the
repository's profiles, tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from orbitcert.reference_impl.runtime import pus
from orbitcert.reference_impl.runtime.iut import create

# ------------------------------------------------------------------------------------------------
# Spec parameters, reference ICS
# ------------------------------------------------------------------------------------------------

from runtime_oracles import (  # noqa: E402 - the spec's tables, shared with the spacepackets test and soak
    EVENT,
    EVENT_ID,
    ERROR,
    HEALTH,
    HEALTH_SID,
    HK_LIMITS,
    HK_NAME,
    HK_PARAM,
    MAX_CHUNK,
    MS_PER_DAY,
    PROTECTION,
    REASON,
    REPLICAS,
    RESET_CAUSE,
    STATE_CODE,
    STATE_NAME,
    TERMINAL,
    TRANSITIONS,
    WORKLOAD,
    decode_source,
    expected_result,
    tc_packet,
    u16list,
)

JOB_EVENTS = {i for i, e in EVENT.items() if e["name"].startswith("job_")}
OTHER_EVENTS = sorted(set(EVENT) - JOB_EVENTS)

APID, CONCURRENCY, IDLE_W, JOB_W = 100, 2, 5.0, 20.0  # reference ICS
ACK_ACCEPT, ACK_START, ACK_PROGRESS, ACK_COMPLETE = 0b0001, 0b0010, 0b0100, 0b1000
REPLY_KINDS = {(17, 2), (5, 8), (128, 4), (128, 6), (128, 10), (3, 25)}

# ------------------------------------------------------------------------------------------------
# Oracles: workloads (FIPS 180-4, FIPS 202, brute force) and the TM layouts
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------

MISMATCH = "mismatch"
UNKNOWN = "unknown"


@dataclass
class Job:
    job_id: int
    workload: str
    seed: int
    size: int
    priority: int
    protection: str
    ack: int
    request_id: bytes
    state: str | None = None  # set by the job_queued event
    reason: int = 0
    started: bool = False
    faults: dict[int, tuple[int, int]] = field(default_factory=dict)
    uncertain: bool = False  # a fault armed after the job had run: when it hits is unknowable
    start_reports: int = 0
    steps: list[int] = field(default_factory=list)
    completions: list[tuple[int, int]] = field(default_factory=list)  # (subtype, code)

    def clean(self) -> bytes:
        return expected_result(self.workload, self.seed, self.size)

    def outcome(self) -> bytes | str:
        """Parameters fault_injection and protection_modes applied to the replicas."""
        if self.uncertain:
            return UNKNOWN
        clean = self.clean()
        reps = []
        for r in range(REPLICAS[self.protection]):
            b = bytearray(clean)
            if r in self.faults:
                off, mask = self.faults[r]
                b[off] ^= mask
            reps.append(bytes(b))
        if self.protection == "none":
            return reps[0]
        if self.protection == "abft":
            return clean  # one octet of one element: located and corrected (Huang-Abraham 1984)
        if self.protection == "dmr":
            return reps[0] if reps[0] == reps[1] else MISMATCH
        out = bytearray()
        for x, y, z in zip(*reps):
            if x == y or x == z:
                out.append(x)
            elif y == z:
                out.append(y)
            else:
                return UNKNOWN  # no majority: the spec does not say
        return bytes(out)

    def result_size(self) -> int:
        return len(self.clean()) if self.workload != "sha256" else 32


def allowed_jobs(budget_w: float | None) -> int:
    """Parameter scheduling."""
    if budget_w is None:
        return CONCURRENCY
    if budget_w < IDLE_W:
        return 0
    return min(CONCURRENCY, math.floor((budget_w - IDLE_W) / JOB_W))


# ------------------------------------------------------------------------------------------------
# The machine
# ------------------------------------------------------------------------------------------------

JOB_IDS = st.integers(1, 8)
PICK = st.one_of(st.none(), st.integers(0, 7))  # None: a random id; else the pick-th tracked job
ACKS = st.integers(0, 15)


class RuntimeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rt = create()
        self.now_s = 0.0
        self.seq = 0
        self.jobs: dict[int, Job] = {}
        self.by_request: dict[bytes, Job] = {}
        self.structures: dict[int, list[int]] = {HEALTH_SID: list(HEALTH)}
        self.enabled: dict[int, bool] = {HEALTH_SID: True}
        self.disabled_events: set[int] = set()
        self.budget_w: float | None = None
        self.reset_cause = "power"
        self.reset_count = 0
        self.offset_ms: int | None = None
        self.last_seq: int | None = None
        self.last_time_ms: int | None = None
        self.pending_reset: str | None = "power"
        self.tcs = 0
        self.pending: Job | None = None  # a submission being sent: adopted at its job_queued event
        self._batch(self.rt.advance(0.0), 0.0, 0.0)

    # -- TM processing --------------------------------------------------------------------------
    def _batch(self, raws: list[bytes], start_s: float, end_s: float) -> list[tuple[pus.PusTm, dict[str, Any]]]:
        out = []
        job_event_times = set()
        decoded = []
        for raw in raws:
            tm = pus.parse_tm(raw)  # SWR-VER-001: raises PusError on any convention broken
            assert tm.apid == APID and tm.time.ms_of_day < MS_PER_DAY
            decoded.append((tm, decode_source(tm.service, tm.subtype, tm.source_data, self.structures)))
            if tm.service == 5 and tm.subtype <= 4 and decoded[-1][1]["event_id"] in JOB_EVENTS:
                job_event_times.add(tm.time.days * MS_PER_DAY + tm.time.ms_of_day)
        if self.offset_ms is None and decoded:
            self.offset_ms = decoded[0][0].time.days * MS_PER_DAY + decoded[0][0].time.ms_of_day - round(start_s * 1000)
        tol = 1 + max(2.0, end_s - start_s)
        for i, (tm, f) in enumerate(decoded):
            t_ms = tm.time.days * MS_PER_DAY + tm.time.ms_of_day
            if self.last_seq is not None:
                assert tm.sequence_count == (self.last_seq + 1) % 16384
            self.last_seq = tm.sequence_count
            assert self.offset_ms is not None
            assert start_s * 1000 - tol <= t_ms - self.offset_ms <= end_s * 1000 + tol, (t_ms - self.offset_ms, start_s)
            assert self.last_time_ms is None or t_ms >= self.last_time_ms
            self.last_time_ms = t_ms
            if i == 0 and self.pending_reset is not None:
                name = {"power": "power_on", "watchdog": "watchdog_reset", "latchup": "latchup_reset"}
                ev = EVENT_ID[name[self.pending_reset]]
                if ev not in self.disabled_events:  # SWR-EVT-001: first after the reset
                    assert tm.service == 5 and f["event_id"] == ev and f["aux"]["reset_count"] == self.reset_count
            if tm.service == 5 and tm.subtype <= 4:
                assert f["event_id"] not in self.disabled_events, f"disabled event {f['event_id']} reported"
                if f["event_id"] in JOB_EVENTS:
                    self._job_event(f["event_id"], f["aux"])
            elif tm.service == 1:
                self._verification(tm.subtype, f)
            elif (tm.service, tm.subtype) == (3, 25):
                self._hk(f, t_ms in job_event_times)
            elif (tm.service, tm.subtype) == (128, 10):
                self._chunk(f)
            out.append((tm, f))
        if self.pending_reset is not None and not decoded:
            name = {"power": "power_on", "watchdog": "watchdog_reset", "latchup": "latchup_reset"}
            assert EVENT_ID[name[self.pending_reset]] in self.disabled_events
        self.pending_reset = None
        return out

    def _job_event(self, event_id: int, aux: dict[str, Any]) -> None:
        """SWR-JOB-004: the event of the new state, a transition of parameter job_states."""
        new = STATE_NAME[aux["to_state"]]
        assert event_id == EVENT_ID[f"job_{new}"]
        job = self.jobs.get(aux["job_id"])
        pending = self.pending
        if pending is not None and aux["job_id"] == pending.job_id and aux["from_state"] == 255:
            assert job is None, f"job {aux['job_id']} queued again while tracked"
            job = self.jobs[pending.job_id] = pending
            self.by_request[pending.request_id] = pending
            self.pending = None
        assert job is not None, f"event for untracked job {aux}"
        if aux["from_state"] == 255:
            assert job.state is None and new == "queued", (aux, job.state)
        else:
            assert job.state is not None and STATE_NAME[aux["from_state"]] == job.state, (aux, job.state)
            assert job.state not in TERMINAL and new in TRANSITIONS[job.state], (job.state, new)
        if new == "running":
            job.started = True
        if new == "completed":
            assert job.outcome() != MISMATCH, f"job {job.job_id}: dmr replicas differ, yet completed"
        if new == "failed" and aux["reason"] == REASON["mismatch"]:
            assert job.outcome() in (MISMATCH, UNKNOWN), f"job {job.job_id} failed with mismatch: {job}"
        job.state, job.reason = new, aux["reason"]

    def _verification(self, subtype: int, f: dict[str, Any]) -> None:
        """Service 1 reports of job submissions after their acceptance (SWR-VER-008/009)."""
        job = self.by_request.get(f["request_id"])
        if subtype in (1, 2) or job is None:
            return  # acceptance: checked by _send
        assert job.state is not None
        if subtype == 3:
            assert job.ack & ACK_START and job.start_reports == 0 and not job.completions
            job.start_reports += 1
        elif subtype == 5:
            assert job.ack & ACK_PROGRESS and not job.completions
            assert f["step"] == len(job.steps) + 1, (job.steps, f["step"])
            job.steps.append(f["step"])
        elif subtype in (7, 8):
            assert not job.completions, f"second completion report for job {job.job_id}"
            job.completions.append((subtype, f.get("code", 0)))
        else:
            raise AssertionError(f"TM[1,{subtype}] for a job submission")

    def _hk(self, f: dict[str, Any], ambiguous: bool) -> None:
        """SWR-HK-002, SWR-RES-008: the values the model knows."""
        v = f["values"]
        want = {
            HK_NAME["last_reset_cause"]: RESET_CAUSE[self.reset_cause],
            HK_NAME["reset_count"]: self.reset_count,
            HK_NAME["power_budget"]: 0xFFFFFFFF if self.budget_w is None else math.floor(self.budget_w * 1000),
        }
        if not ambiguous:
            states = [j.state for j in self.jobs.values()]
            running = states.count("running")
            want |= {
                HK_NAME["jobs_queued"]: states.count("queued"),
                HK_NAME["jobs_running"]: running,
                HK_NAME["jobs_suspended"]: states.count("suspended"),
                HK_NAME["jobs_tracked"]: len(states),
            }
            if HK_NAME["power_draw"] in v:
                draw = 1000 * (IDLE_W + JOB_W * running)
                assert abs(v[HK_NAME["power_draw"]] - draw) <= max(10, 0.01 * draw), (v, running)
            if HK_NAME["cpu_load"] in v:
                assert (v[HK_NAME["cpu_load"]] > 0) == (running > 0) and v[HK_NAME["cpu_load"]] <= 100
        for pid, value in want.items():
            if pid in v:
                assert v[pid] == value, (HK_PARAM[pid]["name"], v[pid], value)

    def _chunk(self, f: dict[str, Any]) -> None:
        """SWR-JOB-002: the chunk is the workload's result from the offset."""
        job = self.jobs[f["job_id"]]
        assert job.state == "completed"
        want = job.outcome()
        if isinstance(want, bytes):
            assert f["total_size"] == len(want)
            assert f["data"] == want[f["offset"] : f["offset"] + len(f["data"])], job
        else:
            assert want == UNKNOWN, job

    # -- sending --------------------------------------------------------------------------------
    def _send(
        self, service: int, subtype: int, app: bytes, ack: int, expect: set[int] | None, raw: bytes | None = None
    ) -> tuple[bool, list[tuple[pus.PusTm, dict[str, Any]]]]:
        """Send, advance 0, check acceptance. ``expect``: the failure codes the model allows (empty:
        must be accepted; None: anything). Returns (accepted, batch)."""
        source_id = 0x4000 + self.seq
        well_formed = raw is None
        if raw is None:
            raw = tc_packet(self.seq, service, subtype, app, ack, source_id)
        self.seq = (self.seq + 1) % 16384
        self.tcs += 1
        request_id = (raw[:4] + bytes(4))[:4]
        self.rt.send_tc(raw)
        batch = self._batch(self.rt.advance(0.0), self.now_s, self.now_s)
        mine = [
            (tm, f) for tm, f in batch if tm.service == 1 and tm.subtype in (1, 2) and f["request_id"] == request_id
        ]
        fails = [f["code"] for tm, f in mine if tm.subtype == 2]
        if well_formed:  # SWR-VER-002: a reply carries the TC's source identifier
            assert all(tm.destination_id == source_id for tm, f in mine), [tm.destination_id for tm, f in mine]
        if fails:  # SWR-VER-004..007: one TM[1,2], nothing else in reply
            assert len(mine) == 1, mine
            replies = [
                tm for tm, f in batch if (tm.service, tm.subtype) in REPLY_KINDS and tm.destination_id == source_id
            ]
            assert not replies and not [
                tm for tm, f in batch if tm.service == 1 and f["request_id"] == request_id and tm.subtype != 2
            ]
            assert expect is None or fails[0] in expect, (service, subtype, fails[0], expect)
            return False, batch
        assert expect is None or not expect, f"TC[{service},{subtype}] accepted, expected a failure in {expect}"
        assert len(mine) == (1 if ack & ACK_ACCEPT else 0), (mine, ack)
        return True, batch

    # -- rules: jobs ----------------------------------------------------------------------------
    @rule(
        job_id=JOB_IDS,
        workload=st.sampled_from(sorted(WORKLOAD)),
        seed=st.integers(0, 2**64 - 1),
        size=st.integers(1, 3000),
        n=st.integers(1, 5),
        big=st.sampled_from([0] * 5 + [200_000, 1_000_000]),
        priority=st.integers(0, 255),
        deadline=st.sampled_from([0, 0, 0, 50, 400, 2000]),
        energy=st.sampled_from([0, 0, 0, 100, 5000]),
        protection=st.sampled_from(sorted(PROTECTION)),
        ack=ACKS,
        flaw=st.sampled_from(["none"] * 8 + ["zero_id", "digest", "size"]),
    )
    def submit(
        self,
        job_id: int,
        workload: str,
        seed: int,
        size: int,
        n: int,
        big: int,
        priority: int,
        deadline: int,
        energy: int,
        protection: str,
        ack: int,
        flaw: str,
    ) -> None:
        if flaw == "size" and workload != "matmul-u32":
            flaw = "none"  # any size is a valid input of the hashes
        if workload == "matmul-u32":
            size = 8 * n * n if flaw != "size" else 8 * n * n + 1
        elif big and workload == "sha256":
            size = big
        jid = 0 if flaw == "zero_id" else job_id
        digest = bytes.fromhex(WORKLOAD[workload]["digest"]) if flaw != "digest" else hashlib.sha256(b"x").digest()
        app = struct.pack(">I32sQIBIIB", jid, digest, seed, size, priority, deadline, energy, PROTECTION[protection])
        expect: set[int] = set()
        if flaw in ("zero_id", "size"):
            expect = {ERROR["parameter"]}
        else:
            if flaw == "digest":
                expect.add(ERROR["unknown_workload"])
            elif protection not in WORKLOAD[workload]["protection"]:
                expect.add(ERROR["protection"])
            if jid in self.jobs:
                expect.add(ERROR["job_exists"])
        rid = tc_packet(self.seq, 128, 1, app, ack, 0)[:4]
        self.pending = Job(jid, workload, seed, size, priority, protection, ack, rid)
        ok, batch = self._send(128, 1, app, ack, expect)
        if ok:  # SWR-JOB-001: created in state queued (its job_queued event adopted the pending job)
            assert self.pending is None and self.jobs[jid].request_id == rid, "accepted job without job_queued"
        self.pending = None

    def _pick(self, job_id: int, pick: int | None) -> int:
        """A tracked job (when there is one and ``pick`` is given) or ``job_id``."""
        if pick is None or not self.jobs:
            return job_id
        return sorted(self.jobs)[pick % len(self.jobs)]

    def _job_codes(self, job_id: int, ok_states: set[str]) -> set[int]:
        job = self.jobs.get(job_id)
        if job is None:
            return {ERROR["unknown_job"]}
        return set() if job.state in ok_states else {ERROR["job_state"]}

    @rule(job_id=JOB_IDS, pick=PICK, ack=ACKS)
    def query(self, job_id: int, pick: int | None, ack: int) -> None:
        job_id = self._pick(job_id, pick)
        ok, batch = self._send(128, 3, struct.pack(">I", job_id), ack, self._job_codes(job_id, set(STATE_CODE)))
        if ok:
            (f,) = [f for tm, f in batch if (tm.service, tm.subtype) == (128, 4)]
            job = self.jobs[job_id]
            assert (STATE_NAME[f["state"]], f["priority"], f["protection"]) == (
                job.state,
                job.priority,
                PROTECTION[job.protection],
            )
            assert f["reason"] == job.reason
            assert f["result_size"] == (job.result_size() if job.state == "completed" else 0)
            assert 0 <= f["progress_permille"] <= 1000 and (job.state != "completed" or f["progress_permille"] == 1000)

    @rule(ack=ACKS)
    def list_jobs(self, ack: int) -> None:
        ok, batch = self._send(128, 5, b"", ack, set())
        (f,) = [f for tm, f in batch if (tm.service, tm.subtype) == (128, 6)]
        assert f["jobs"] == [(j, STATE_CODE[self.jobs[j].state or "queued"]) for j in sorted(self.jobs)]

    @rule(job_id=JOB_IDS, pick=PICK, ack=ACKS)
    def cancel(self, job_id: int, pick: int | None, ack: int) -> None:
        job_id = self._pick(job_id, pick)
        ok, batch = self._send(
            128, 7, struct.pack(">I", job_id), ack, self._job_codes(job_id, {"queued", "running", "suspended"})
        )
        if ok:
            assert self.jobs[job_id].state == "cancelled" and self.jobs[job_id].reason == REASON["cancelled"]

    @rule(
        job_id=JOB_IDS,
        pick=PICK,
        frac=st.floats(0, 0.999),
        length=st.sampled_from([1, 7, 32, 100, MAX_CHUNK, 0, MAX_CHUNK + 1]),
        ack=ACKS,
    )
    def retrieve(self, job_id: int, pick: int | None, frac: float, length: int, ack: int) -> None:
        job_id = self._pick(job_id, pick)
        job = self.jobs.get(job_id)
        offset = int(frac * job.result_size()) if job is not None and job.state == "completed" else 0
        expect = {ERROR["parameter"]} if length in (0, MAX_CHUNK + 1) else self._job_codes(job_id, {"completed"})
        ok, batch = self._send(128, 9, struct.pack(">IIH", job_id, offset, length), ack, expect)
        if ok:
            (f,) = [f for tm, f in batch if (tm.service, tm.subtype) == (128, 10)]
            assert (f["job_id"], f["offset"]) == (job_id, offset)
            assert len(f["data"]) == min(length, f["total_size"] - offset)

    @rule(job_id=JOB_IDS, pick=PICK, ack=ACKS)
    def delete(self, job_id: int, pick: int | None, ack: int) -> None:
        job_id = self._pick(job_id, pick)
        ok, batch = self._send(128, 11, struct.pack(">I", job_id), ack, self._job_codes(job_id, TERMINAL))
        if ok:
            del self.jobs[job_id]

    @rule(
        job_id=JOB_IDS,
        pick=PICK,
        replica=st.integers(0, 3),
        frac=st.floats(0, 0.999),
        mask=st.integers(0, 255),
        ack=ACKS,
    )
    def arm_fault(self, job_id: int, pick: int | None, replica: int, frac: float, mask: int, ack: int) -> None:
        job_id = self._pick(job_id, pick)
        job = self.jobs.get(job_id)
        offset = int(frac * job.result_size()) if job is not None else 0
        expect: set[int] | None
        if mask == 0:
            expect = {ERROR["parameter"]}  # a range of tc_layouts that depends on nothing else
        elif job is None:
            expect = {ERROR["unknown_job"]}
        elif job.state != "queued" or job.started:
            expect = {ERROR["job_state"]}  # fault_injection: only a job that has never run (check 11)
        elif replica >= REPLICAS[job.protection]:
            expect = {ERROR["parameter"]}  # a range that depends on the job (check 12)
        else:
            expect = set()
        ok, batch = self._send(128, 13, struct.pack(">IBIB", job_id, replica, offset, mask), ack, expect)
        if ok and job is not None:
            job.faults[replica] = (offset, mask)
            if job.started:
                job.uncertain = True

    @rule(
        job_id=JOB_IDS,
        seed=st.integers(0, 2**64 - 1),
        protection=st.sampled_from(["none", "dmr", "tmr"]),
        priority=st.integers(0, 255),
        ack=st.integers(0, 15).map(lambda a: a | ACK_PROGRESS),
    )
    def long_job(self, job_id: int, seed: int, protection: str, priority: int, ack: int) -> None:
        """A 1 MB sha256 job (1 to 3 s of running time) with the progress flag: checkpoints every
        second give TM[1,5] steps 1, 2, ... (SWR-VER-009, SWR-RES-002)."""
        self.submit(job_id, "sha256", seed, 1, 1, 1_000_000, priority, 0, 0, protection, ack, "none")

    @rule(
        job_id=JOB_IDS,
        workload=st.sampled_from(sorted(WORKLOAD)),
        seed=st.integers(0, 2**64 - 1),
        size=st.integers(1, 2000),
        n=st.integers(1, 4),
        protection=st.sampled_from(sorted(PROTECTION)),
        faults=st.lists(st.tuples(st.integers(0, 2), st.floats(0, 0.999), st.integers(1, 255)), min_size=1, max_size=3),
        ack=ACKS,
    )
    def faulty_job(
        self,
        job_id: int,
        workload: str,
        seed: int,
        size: int,
        n: int,
        protection: str,
        faults: list[tuple[int, float, int]],
        ack: int,
    ) -> None:
        """Budget 0 (nothing runs), submit, arm faults while it is queued, budget back (SWR-RES-004..007)."""
        if protection not in WORKLOAD[workload]["protection"]:
            protection = "tmr"
        budget = self.budget_w
        self.set_power(0.0)
        self.submit(job_id, workload, seed, size, n, 0, 128, 0, 0, protection, ack, "none")
        for replica, frac, mask in faults:
            self.arm_fault(job_id, None, replica % REPLICAS[protection], frac, mask, ack)
        self.set_power(100000.0 if budget is None else budget)

    # -- rules: housekeeping, events, test --------------------------------------------------------
    @rule(
        sid=st.integers(2, 5),
        interval=st.sampled_from([1000, 2500, 7000, 50, 86_400_001]),
        params=st.lists(st.integers(1, 14), min_size=1, max_size=5),
        ack=ACKS,
    )
    def hk_create(self, sid: int, interval: int, params: list[int], ack: int) -> None:
        bad = (
            not HK_LIMITS["min_interval_ms"] <= interval <= HK_LIMITS["max_interval_ms"]
            or len(set(params)) != len(params)
            or any(p not in HK_PARAM for p in params)
        )
        expect = {ERROR["parameter"]} if bad else {ERROR["sid_exists"]} if sid in self.structures else set()
        if bad and sid in self.structures:
            expect.add(ERROR["sid_exists"])
        ok, _ = self._send(3, 1, struct.pack(">HI", sid, interval) + u16list(params), ack, expect)
        if ok:
            self.structures[sid] = params
            self.enabled[sid] = False

    @rule(subtype=st.sampled_from([3, 5, 6, 27]), sids=st.lists(st.integers(1, 5), min_size=1, max_size=3), ack=ACKS)
    def hk_sids(self, subtype: int, sids: list[int], ack: int) -> None:
        expect: set[int] = set()
        if len(set(sids)) != len(sids) or (subtype == 3 and HEALTH_SID in sids):
            expect.add(ERROR["parameter"])
        if any(s not in self.structures for s in sids):
            expect.add(ERROR["unknown_sid"])
        ok, batch = self._send(3, subtype, u16list(sids), ack, expect)
        if not ok:
            return
        if subtype == 3:
            for s in sids:
                del self.structures[s], self.enabled[s]
        elif subtype in (5, 6):
            for s in sids:
                self.enabled[s] = subtype == 5
        else:
            shots = [
                f["sid"]
                for tm, f in batch
                if (tm.service, tm.subtype) == (3, 25) and tm.destination_id == 0x4000 + (self.seq - 1) % 16384
            ]
            assert shots == sids, (shots, sids)

    @rule(sid=st.integers(1, 5), interval=st.sampled_from([1000, 3000, 50]), ack=ACKS)
    def hk_modify(self, sid: int, interval: int, ack: int) -> None:
        expect: set[int] | None
        if sid not in self.structures:
            expect = {ERROR["unknown_sid"], ERROR["parameter"]} if interval < 100 else {ERROR["unknown_sid"]}
        elif interval < HK_LIMITS["min_interval_ms"]:
            expect = {ERROR["parameter"]}
        else:
            expect = set() if self.enabled[sid] else None  # modifying a disabled structure: unspecified
        self._send(3, 31, struct.pack(">HI", sid, interval), ack, expect)

    @rule(
        subtype=st.sampled_from([5, 6]),
        ids=st.lists(st.sampled_from(OTHER_EVENTS + [9999]), min_size=1, max_size=4),
        ack=ACKS,
    )
    def events(self, subtype: int, ids: list[int], ack: int) -> None:
        bad = len(set(ids)) != len(ids) or 9999 in ids
        ok, _ = self._send(5, subtype, u16list(ids), ack, {ERROR["parameter"]} if bad else set())
        if ok:
            if subtype == 5:
                self.disabled_events -= set(ids)
            else:
                self.disabled_events |= set(ids)

    @rule(ack=ACKS)
    def report_disabled(self, ack: int) -> None:
        _, batch = self._send(5, 7, b"", ack, set())
        (f,) = [f for tm, f in batch if (tm.service, tm.subtype) == (5, 8)]
        assert f["event_ids"] == sorted(self.disabled_events)  # SWR-EVT-003

    @rule(ack=ACKS)
    def ping(self, ack: int) -> None:
        _, batch = self._send(17, 1, b"", ack, set())
        assert [f for tm, f in batch if (tm.service, tm.subtype) == (17, 2)] == [{}]

    # -- rules: garbage ---------------------------------------------------------------------------
    @rule(data=st.binary(max_size=40), ack=ACKS)
    def garbage(self, data: bytes, ack: int) -> None:
        expect = {ERROR["length"]} if len(data) < 13 else set(ERROR.values())
        ok, _ = self._send(0, 0, b"", ack, expect, raw=data)
        assert not ok or len(data) >= 13

    @rule(index=st.integers(0, 100), xor=st.integers(1, 255), job_id=JOB_IDS)
    def corrupted(self, index: int, xor: int, job_id: int) -> None:
        """One octet of a valid TC[128,3] changed: length if in the length field, else checksum
        (a CRC-16 detects every error burst of up to 16 bits)."""
        raw = bytearray(tc_packet(self.seq, 128, 3, struct.pack(">I", job_id), 0b1111, 0x4000 + self.seq))
        index %= len(raw)
        raw[index] ^= xor
        code = ERROR["length"] if index in (4, 5) else ERROR["checksum"]
        self._send(128, 3, b"", 0b1111, {code}, raw=bytes(raw))

    # -- rules: time, resets, power ---------------------------------------------------------------
    @rule(seconds=st.sampled_from([0.0, 0.001, 0.05, 0.3, 1.0, 2.5, 6.0]))
    def advance(self, seconds: float) -> None:
        start = self.now_s
        raws = self.rt.advance(seconds)
        self.now_s += seconds
        self._batch(raws, start, self.now_s)

    @rule(kind=st.sampled_from(["watchdog", "latchup", "power"]))
    def reset(self, kind: str) -> None:
        before = {j: job.state for j, job in self.jobs.items()}
        self.rt.reset(kind)
        self.reset_cause = kind
        self.reset_count = 0 if kind == "power" else min(self.reset_count + 1, 0xFFFF)
        self.last_seq = None
        self.pending_reset = kind
        self._batch(self.rt.advance(0.0), self.now_s, self.now_s)
        for j, state in before.items():  # SWR-RES-001: terminal kept, the others queued again (or running)
            now = self.jobs[j].state
            assert now == state if state in TERMINAL else now in ("queued", "running", "suspended", "expired"), (
                j,
                state,
                now,
            )

    @rule(budget=st.sampled_from([0.0, 4.0, 5.0, 24.9, 25.0, 30.0, 45.0, 60.0, 1000.0, 100000.0]))
    def set_power(self, budget: float) -> None:
        self.rt.set_power(budget)
        self.budget_w = budget
        batch = self._batch(self.rt.advance(0.0), self.now_s, self.now_s)
        suspended = [f["aux"] for tm, f in batch if tm.service == 5 and f["event_id"] == EVENT_ID["job_suspended"]]
        assert all(aux["reason"] == REASON["power"] for aux in suspended)
        low = [f["aux"] for tm, f in batch if tm.service == 5 and f["event_id"] == EVENT_ID["power_budget_low"]]
        if EVENT_ID["power_budget_low"] not in self.disabled_events:
            assert len(low) == (1 if suspended else 0), (low, suspended)
            if low:
                assert low[0] == {"budget_mw": math.floor(budget * 1000), "suspended": len(suspended)}

    # -- invariants -----------------------------------------------------------------------------
    @invariant()
    def tracked_jobs_agree(self) -> None:
        tracked = self.rt.tracked_jobs()
        assert tracked == {j: job.state for j, job in self.jobs.items()}, (tracked, self.jobs)

    @invariant()
    def scheduler_limits(self) -> None:
        states = [j.state for j in self.jobs.values()]
        running = states.count("running")
        waiting = states.count("queued") + states.count("suspended")
        allowed = allowed_jobs(self.budget_w)
        assert running <= allowed, (running, allowed)
        assert running == min(allowed, running + waiting), ("a job waits while a slot is free", states, allowed)

    @invariant()
    def job_verification(self) -> None:
        for job in self.jobs.values():
            if job.state in TERMINAL:
                if job.state == "completed":
                    want = [(7, 0)] if job.ack & ACK_COMPLETE else []
                else:
                    want = [(8, 256 + job.reason)]
                assert job.completions == want, (job.job_id, job.state, job.completions, want)
            else:
                assert job.completions == []
            assert job.start_reports == (1 if job.started and job.ack & ACK_START else 0), job

    def teardown(self) -> None:
        """Run every job to its end, then retrieve every completed result (SWR-JOB-002)."""
        if not hasattr(self, "rt"):
            return
        self.rt.set_power(100000.0)
        self.budget_w = 100000.0
        self._batch(self.rt.advance(0.0), self.now_s, self.now_s)
        for _ in range(40):
            if all(j.state in TERMINAL for j in self.jobs.values()):
                break
            self.advance(1.0)
        assert all(j.state in TERMINAL for j in self.jobs.values()), self.jobs
        self.job_verification()
        self.tracked_jobs_agree()
        self.list_jobs(0b1111)  # the TM[128,6] list agrees too
        for job in list(self.jobs.values()):
            if job.state != "completed":
                continue
            data = b""
            while True:
                ok, batch = self._send(128, 9, struct.pack(">IIH", job.job_id, len(data), MAX_CHUNK), 0, set())
                (f,) = [f for tm, f in batch if (tm.service, tm.subtype) == (128, 10)]
                data += f["data"]
                if len(data) >= f["total_size"]:
                    break
            want = job.outcome()
            assert data == want or want == UNKNOWN, job


RuntimeMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("ORBITCERT_STATEFUL_EXAMPLES", "150")),
    stateful_step_count=50,
    deadline=None,
    derandomize=bool(os.environ.get("CI")) or settings().derandomize,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
TestRuntimeStateMachine = RuntimeMachine.TestCase
