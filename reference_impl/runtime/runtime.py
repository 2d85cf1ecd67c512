"""The reference on-board compute runtime of ``sw-compute-runtime`` (a deterministic simulation).

It consumes PUS-C telecommand space packets and emits PUS-C telemetry space packets (:mod:`.pus`,
application data :mod:`.services`), driven by simulated time in integer microseconds so that
every run is reproducible and no floating-point drift accumulates:

* **verification** (ECSS-E-ST-70-41C 6.1): every TC passes the acceptance checks of the spec's
  parameter ``acceptance_checks`` in that order; failures are TM[1,2] with the code of
  ``error_codes`` whatever the acknowledgement flags; successes TM[1,1], TM[1,3], TM[1,7] as the
  flags ask. A job submission starts when the job first runs, reports a TM[1,5] per checkpoint
  (steps 1, 2, ...), and completes when the job is terminal (TM[1,8] code 256 + reason unless it
  completed).
* **housekeeping** (6.3): report structures (structure 1, the health report, predefined at the ICS
  period), periodic TM[3,25], create/delete/enable/disable/one-shot/modify interval.
* **events** (6.5): TM[5,severity] for the spec's events table, enable/disable, TM[5,8].
* **test** (6.17): TC[17,1] -> TM[17,2].
* **jobs** (service 128): a scheduler honouring priorities (then suspended before queued, then
  acceptance order), the concurrency and the power budget; deadlines; energy budgets; checkpoints.
* **resilience**: everything a reset must not lose lives in a :class:`Journal` (non-volatile
  storage: job records, results, configuration). A reset throws away every volatile structure
  (the running set, timers, TM counters) and rebuilds the runtime from the journal, so a job can
  only survive a reset through what was committed. Journal records are immutable snapshots
  replaced whole (a commit is one assignment), so an instantaneous simulated reset cannot tear one.

Semantics the spec leaves to the product and the reference fixes: a job's running work is
``replicas x input_size / compute_rate_bps`` seconds exactly; the job is computed (hashlib/numpy)
when its work completes; a suspension (power) writes a checkpoint, so suspended work is never
lost; a reset re-queues running and suspended jobs (reason reset) from their last checkpoint; memory
error counters stay 0 (the reference's memory sees no upsets; the hardware reference simulates
those); the temperature is 20.00 degC plus 1.50 degC per running job.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field, replace
from typing import Any, Final

from construct import Struct

from ..frames import check_fecf
from . import pus
from .services import EVENT_AUX, HK_TYPES, JOB_SERVICE, TC_LAYOUTS, AppDataError, build_tm_data, parse_app_data
from .workloads import PROTECTION_CODES, REPLICAS, WORKLOADS, JobOutcome, Protection, Workload, job_input, run_job

__all__ = [
    "ERROR_CODES",
    "EVENTS",
    "HK_PARAMETERS",
    "JOB_REASONS",
    "JOB_STATES",
    "RESET_CAUSES",
    "ComputeRuntime",
    "Job",
    "Journal",
    "RuntimeConfig",
]

#: Spec parameter error_codes.
ERROR_CODES: Final = {
    "checksum": 1, "length": 2, "apid": 3, "service": 4, "subtype": 5, "parameter": 6, "header": 7,
    "unknown_job": 16, "job_exists": 17, "job_state": 18, "capacity": 19, "unknown_sid": 20,
    "sid_exists": 21, "unknown_workload": 22, "protection": 23,
}  # fmt: skip
#: Spec parameter job_states (codes) and job_reasons.
JOB_STATES: Final = {
    "queued": 0,
    "running": 1,
    "suspended": 2,
    "completed": 3,
    "failed": 4,
    "cancelled": 5,
    "expired": 6,
}
TERMINAL: Final = frozenset({"completed", "failed", "cancelled", "expired"})
JOB_REASONS: Final = {"none": 0, "cancelled": 1, "deadline": 2, "energy": 3, "mismatch": 4, "reset": 5, "power": 6}
#: Spec parameter reset_causes.
RESET_CAUSES: Final = {"power": 0, "watchdog": 1, "latchup": 2}
#: Spec parameter events: name -> (id, severity).
EVENTS: Final = {
    "power_on": (1, 1), "watchdog_reset": (2, 3), "latchup_reset": (3, 4),
    "job_queued": (257, 1), "job_running": (258, 1), "job_suspended": (259, 2), "job_completed": (260, 1),
    "job_failed": (261, 3), "job_cancelled": (262, 1), "job_expired": (263, 2),
    "protection_mismatch_detected": (513, 4), "protection_mismatch_corrected": (514, 3),
    "power_budget_low": (769, 2),
}  # fmt: skip
_EVENT_IDS: Final = frozenset(i for i, _ in EVENTS.values())
#: Spec parameter hk_parameters: id -> (name, type).
HK_PARAMETERS: Final = {
    1: ("cpu_load", "u8"), 2: ("accel_load", "u8"), 3: ("mem_corrected", "u32"), 4: ("mem_uncorrectable", "u32"),
    5: ("temperature", "i16"), 6: ("power_draw", "u32"), 7: ("jobs_queued", "u16"), 8: ("jobs_running", "u16"),
    9: ("jobs_suspended", "u16"), 10: ("last_reset_cause", "u8"), 11: ("reset_count", "u16"),
    12: ("power_budget", "u32"), 13: ("jobs_tracked", "u16"),
}  # fmt: skip
HEALTH_SID: Final = 1
#: Spec parameter hk_limits.
MIN_INTERVAL_MS: Final = 100
MAX_INTERVAL_MS: Final = 86_400_000
MAX_STRUCTURES: Final = 16
MAX_PARAMETERS: Final = 32
MAX_LIST: Final = {"sids": 16, "event_ids": 64}
#: Spec parameter max_chunk_octets.
MAX_CHUNK: Final = 4096
_UNLIMITED_MW: Final = 0xFFFFFFFF
_US: Final = 1_000_000
#: The product's on-board time 0 (the CDS day count starts from it: CCSDS 301.0-B-4 3.3).
ONBOARD_EPOCH: Final = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_MS: Final = round((ONBOARD_EPOCH - pus.CCSDS_EPOCH).total_seconds() * 1000)
_TC_SERVICES: Final = {s for s, _ in TC_LAYOUTS}


class Rejected(Exception):
    """A telecommand fails an acceptance check: ``code`` is a key of :data:`ERROR_CODES`."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class RuntimeConfig:
    """The product's declared figures (the ICS items of the spec)."""

    apid: int = 100
    hk_period_s: float = 5.0
    job_capacity: int = 256
    concurrency: int = 2
    compute_rate_bps: float = 1e6
    max_input_octets: int = 1 << 20
    idle_power_w: float = 5.0
    job_power_w: float = 20.0
    checkpointing: bool = True
    checkpoint_interval_s: float = 1.0
    protection_modes: frozenset[str] = frozenset({"abft", "dmr", "tmr"})


@dataclass(frozen=True)
class Job:
    """One job's record as committed to the journal (immutable: a commit replaces it whole)."""

    job_id: int
    order: int
    workload: Workload
    input_seed: int
    input_size: int
    priority: int
    protection: Protection
    accepted_us: int
    deadline_us: int | None
    energy_budget_mj: int
    total_work_us: int
    request_id: bytes
    source_id: int
    ack_flags: int
    state: str = "queued"
    reason: str = "none"
    work_us: int = 0
    saved_us: int = 0
    checkpoints: int = 0
    started: bool = False
    restarts: int = 0
    energy_mj: float = 0.0
    result: bytes | None = None
    faults: tuple[tuple[int, int, int], ...] = ()

    @property
    def result_size(self) -> int:
        return self.workload.result_size(self.input_size)

    @property
    def replicas(self) -> int:
        return REPLICAS[self.protection]


@dataclass
class Structure:
    """A housekeeping report structure (ECSS-E-ST-70-41C 6.3.3.1)."""

    sid: int
    interval_ms: int
    parameters: tuple[int, ...]
    enabled: bool


@dataclass
class Journal:
    """Non-volatile storage: what survives every reset. Values are replaced whole on commit."""

    jobs: dict[int, Job] = field(default_factory=dict)
    structures: dict[int, Structure] = field(default_factory=dict)
    disabled_events: set[int] = field(default_factory=set)
    next_order: int = 0
    commits: int = 0

    def commit(self, job: Job) -> None:
        self.jobs[job.job_id] = job
        self.commits += 1


@dataclass
class _Running:
    """Volatile state of a running job: work done since its last journal commit."""

    since_us: int
    work_at_start: int


class ComputeRuntime:
    """The reference runtime: ``send_tc``, ``advance``, ``reset``, ``set_power`` (the spec's
    interface) over a journal and simulated time."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        c = self.config
        self._hk_period_ms = max(MIN_INTERVAL_MS, round(c.hk_period_s * 1000))
        self._ckpt_us = round(c.checkpoint_interval_s * _US) if c.checkpointing else 0
        self.journal = Journal()
        self.journal.structures[HEALTH_SID] = Structure(HEALTH_SID, self._hk_period_ms, tuple(HK_PARAMETERS), True)
        self._now_us = 0
        self._budget_w: float | None = None
        self._outbox: list[bytes] = []
        self._reset_count = 0
        self._last_cause = "power"
        self._boot("power")

    # ---------------------------------------------------------------------------------------------
    # The test interface

    def send_tc(self, packet: bytes) -> None:
        """Receive one telecommand (any octets)."""
        raw = bytes(packet)
        request_id = (raw[:4] + b"\0\0\0\0")[:4]
        source_id = 0
        try:
            tc = self._accept(raw)
            source_id = tc.source_id  # vouched for by the checksum and header checks
            self._route(tc)
            fields = self._check_fields(tc)
            self._check_state(tc, fields)
        except Rejected as exc:
            self._tm(1, 2, build_tm_data(1, 2, request_id=request_id, code=ERROR_CODES[exc.code], data=b""), source_id)
            return
        if tc.ack_flags & pus.ACK_ACCEPTANCE:
            self._tm(1, 1, build_tm_data(1, 1, request_id=request_id), source_id)
        if (tc.service, tc.subtype) == (JOB_SERVICE, 1):
            self._submit(tc, fields, request_id)
            self._dispatch()
            return
        if tc.ack_flags & pus.ACK_START:
            self._tm(1, 3, build_tm_data(1, 3, request_id=request_id), source_id)
        self._execute(tc, fields)
        if tc.ack_flags & pus.ACK_COMPLETION:
            self._tm(1, 7, build_tm_data(1, 7, request_id=request_id), source_id)

    def advance(self, seconds: float) -> list[bytes]:
        """Run simulated time for ``seconds``; the TM packets emitted since the last call."""
        s = float(seconds)
        if not math.isfinite(s) or s < 0:
            raise ValueError(f"seconds: expected a finite number >= 0, got {seconds!r}")
        self._run_until(self._now_us + round(s * _US))
        out, self._outbox = self._outbox, []
        return out

    def reset(self, kind: str) -> None:
        """A processor reset of ``kind`` (watchdog, latchup, power): volatile state is lost, the
        runtime restarts from its journal."""
        if kind not in RESET_CAUSES:
            raise ValueError(f"kind: expected one of {sorted(RESET_CAUSES)}, got {kind!r}")
        self._boot(kind)

    def set_power(self, budget_w: float) -> None:
        """The power budget from now on (W)."""
        b = float(budget_w)
        if not math.isfinite(b) or b < 0:
            raise ValueError(f"budget_w: expected a finite number >= 0, got {budget_w!r}")
        self._budget_w = b
        self._enforce_budget()
        self._dispatch()

    # Test introspection (not part of the spec's interface).
    def tracked_jobs(self) -> dict[int, str]:
        """Job id -> state name of every tracked job."""
        return {j: job.state for j, job in sorted(self.journal.jobs.items())}

    @property
    def now_s(self) -> float:
        return self._now_us / _US

    # ---------------------------------------------------------------------------------------------
    # Boot and reset

    def _boot(self, kind: str) -> None:
        """Rebuild every volatile structure from the journal (power-on and every reset)."""
        self._seq = 0
        self._counters: dict[tuple[int, int], int] = {}
        self._running: dict[int, _Running] = {}
        if kind == "power":
            self._reset_count = 0
        else:
            self._reset_count = min(self._reset_count + 1, 0xFFFF)
        self._last_cause = kind
        self._hk_due: dict[int, int] = {
            sid: self._now_us + s.interval_ms * 1000 for sid, s in self.journal.structures.items() if s.enabled
        }
        event = {"power": "power_on", "watchdog": "watchdog_reset", "latchup": "latchup_reset"}[kind]
        self._event(event, reset_count=self._reset_count)
        for job in sorted(self.journal.jobs.values(), key=lambda j: j.order):
            if job.state in ("running", "suspended"):
                back = job.saved_us if self._ckpt_us else 0
                self._transition(job, "queued", "reset", work_us=back, restarts=min(job.restarts + 1, 0xFFFF))
        self._dispatch()

    # ---------------------------------------------------------------------------------------------
    # Acceptance (spec parameter acceptance_checks, in order)

    def _accept(self, raw: bytes) -> pus.PusTc:
        if len(raw) < pus.TC_MIN_LENGTH:
            raise Rejected("length", f"{len(raw)} octets")
        if len(raw) != 7 + int.from_bytes(raw[4:6], "big"):
            raise Rejected("length", "packet data length field disagrees with the octets received")
        if not check_fecf(raw):
            raise Rejected("checksum", "packet error control mismatch")
        try:
            tc = pus.parse_tc(raw)
        except pus.PusError as exc:
            raise Rejected("header", str(exc)) from None
        return tc

    def _route(self, tc: pus.PusTc) -> None:
        """Checks 4 to 6: APID, service, subtype."""
        if tc.apid != self.config.apid:
            raise Rejected("apid", f"APID {tc.apid}")
        if tc.service not in _TC_SERVICES:
            raise Rejected("service", f"service {tc.service}")
        if (tc.service, tc.subtype) not in TC_LAYOUTS:
            raise Rejected("subtype", f"TC[{tc.service},{tc.subtype}]")

    def _check_fields(self, tc: pus.PusTc) -> dict[str, Any]:
        """Checks 7 (layout) and 8 (ranges that depend on nothing else)."""
        try:
            f = parse_app_data(tc.service, tc.subtype, tc.app_data)
        except AppDataError as exc:
            raise Rejected("length", str(exc)) from None
        for name in ("sids", "event_ids", "parameters"):
            if name in f:
                values = f[name]
                top = MAX_PARAMETERS if name == "parameters" else MAX_LIST[name]
                if not 1 <= len(values) <= top or len(set(values)) != len(values):
                    raise Rejected("parameter", f"{name}: {len(values)} entries (1..{top}, no repeats)")
        key = (tc.service, tc.subtype)
        if "interval_ms" in f and not MIN_INTERVAL_MS <= f["interval_ms"] <= MAX_INTERVAL_MS:
            raise Rejected("parameter", f"interval_ms {f['interval_ms']}")
        if key == (3, 1):
            if f["sid"] == 0 or any(p not in HK_PARAMETERS for p in f["parameters"]):
                raise Rejected("parameter", "structure id 0 or unknown parameter id")
        if key == (3, 3) and HEALTH_SID in f["sids"]:
            raise Rejected("parameter", "structure 1 cannot be deleted")
        if key in ((5, 5), (5, 6)) and any(e not in _EVENT_IDS for e in f["event_ids"]):
            raise Rejected("parameter", "unknown event id")
        if "job_id" in f and f["job_id"] == 0:
            raise Rejected("parameter", "job id 0")
        if key == (JOB_SERVICE, 1):
            if not 1 <= f["input_size"] <= self.config.max_input_octets:
                raise Rejected("parameter", f"input_size {f['input_size']}")
            if f["protection"] not in PROTECTION_CODES:
                raise Rejected("parameter", f"protection code {f['protection']}")
        if key == (JOB_SERVICE, 9) and not 1 <= f["length"] <= MAX_CHUNK:
            raise Rejected("parameter", f"length {f['length']}")
        if key == (JOB_SERVICE, 13) and f["mask"] == 0:
            raise Rejected("parameter", "mask 0")
        return f

    def _check_state(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        """Checks 9 to 15 (state and cross-field)."""
        key = (tc.service, tc.subtype)
        structures = self.journal.structures
        sids = f.get("sids", [f["sid"]] if "sid" in f and key != (3, 1) else [])
        for sid in sids:
            if sid not in structures:
                raise Rejected("unknown_sid", f"structure {sid}")
        job = None
        if "job_id" in f and key != (JOB_SERVICE, 1):
            job = self.journal.jobs.get(f["job_id"])
            if job is None:
                raise Rejected("unknown_job", f"job {f['job_id']}")
        if key == (3, 1):
            if f["sid"] in structures:
                raise Rejected("sid_exists", f"structure {f['sid']}")
            if len(structures) >= MAX_STRUCTURES:
                raise Rejected("capacity", f"{len(structures)} structures")
            return
        if key == (JOB_SERVICE, 1):
            workload = WORKLOADS.get(bytes(f["workload_digest"]))
            if workload is None:
                raise Rejected("unknown_workload", f["workload_digest"].hex())
            if not workload.allows_size(f["input_size"]):
                raise Rejected("parameter", f"input_size {f['input_size']} for {workload.name}")
            mode = PROTECTION_CODES[f["protection"]]
            if mode not in workload.protections or (mode != "none" and mode not in self.config.protection_modes):
                raise Rejected("protection", f"{mode} for {workload.name}")
            if f["job_id"] in self.journal.jobs:
                raise Rejected("job_exists", f"job {f['job_id']}")
            if len(self.journal.jobs) >= self.config.job_capacity:
                raise Rejected("capacity", f"{len(self.journal.jobs)} jobs tracked")
            return
        if job is None:
            return
        if key == (JOB_SERVICE, 7) and job.state in TERMINAL:
            raise Rejected("job_state", f"job {job.job_id} is {job.state}")
        if key == (JOB_SERVICE, 11) and job.state not in TERMINAL:
            raise Rejected("job_state", f"job {job.job_id} is {job.state}")
        if key == (JOB_SERVICE, 9):
            if job.state != "completed":
                raise Rejected("job_state", f"job {job.job_id} is {job.state}")
            if f["offset"] >= job.result_size:
                raise Rejected("parameter", f"offset {f['offset']} >= {job.result_size}")
        if key == (JOB_SERVICE, 13):
            if job.state != "queued" or job.started:
                raise Rejected("job_state", f"job {job.job_id} has run (state {job.state})")
            if f["replica"] >= job.replicas or f["offset"] >= job.result_size:
                raise Rejected("parameter", f"replica {f['replica']} / offset {f['offset']}")

    # ---------------------------------------------------------------------------------------------
    # Execution of accepted telecommands

    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        key = (tc.service, tc.subtype)
        src = tc.source_id
        structures = self.journal.structures
        if key == (3, 1):
            structures[f["sid"]] = Structure(f["sid"], f["interval_ms"], tuple(f["parameters"]), False)
        elif key == (3, 3):
            for sid in f["sids"]:
                del structures[sid]
                self._hk_due.pop(sid, None)
        elif key == (3, 5):
            for sid in f["sids"]:
                if not structures[sid].enabled:
                    structures[sid].enabled = True
                    self._hk_due[sid] = self._now_us + structures[sid].interval_ms * 1000
        elif key == (3, 6):
            for sid in f["sids"]:
                structures[sid].enabled = False
                self._hk_due.pop(sid, None)
        elif key == (3, 27):
            for sid in f["sids"]:
                self._hk_report(structures[sid], src)
        elif key == (3, 31):
            s = structures[f["sid"]]
            s.interval_ms = f["interval_ms"]
            if s.enabled:
                self._hk_due[s.sid] = self._now_us + s.interval_ms * 1000
        elif key == (5, 5):
            self.journal.disabled_events.difference_update(f["event_ids"])
        elif key == (5, 6):
            self.journal.disabled_events.update(f["event_ids"])
        elif key == (5, 7):
            self._tm(5, 8, build_tm_data(5, 8, event_ids=sorted(self.journal.disabled_events)), src)
        elif key == (17, 1):
            self._tm(17, 2, b"", src)
        elif key == (JOB_SERVICE, 3):
            self._job_status(self.journal.jobs[f["job_id"]], src)
        elif key == (JOB_SERVICE, 5):
            listing = [{"job_id": j, "state": JOB_STATES[job.state]} for j, job in sorted(self.journal.jobs.items())]
            self._tm(JOB_SERVICE, 6, build_tm_data(JOB_SERVICE, 6, jobs=listing), src)
        elif key == (JOB_SERVICE, 7):
            self._stop(self.journal.jobs[f["job_id"]], "cancelled", "cancelled")
            self._dispatch()
        elif key == (JOB_SERVICE, 9):
            job = self.journal.jobs[f["job_id"]]
            assert job.result is not None
            data = job.result[f["offset"] : f["offset"] + f["length"]]
            chunk = build_tm_data(
                JOB_SERVICE, 10, job_id=job.job_id, offset=f["offset"], total_size=len(job.result), data=data
            )
            self._tm(JOB_SERVICE, 10, chunk, src)
        elif key == (JOB_SERVICE, 11):
            del self.journal.jobs[f["job_id"]]
        elif key == (JOB_SERVICE, 13):
            job = self.journal.jobs[f["job_id"]]
            faults = tuple(x for x in job.faults if x[0] != f["replica"]) + ((f["replica"], f["offset"], f["mask"]),)
            self.journal.commit(replace(job, faults=faults))

    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        workload = WORKLOADS[bytes(f["workload_digest"])]
        protection = PROTECTION_CODES[f["protection"]]
        replicas = REPLICAS[protection]
        work = max(1, math.ceil(replicas * f["input_size"] * _US / self.config.compute_rate_bps))
        job = Job(
            job_id=f["job_id"],
            order=self.journal.next_order,
            workload=workload,
            input_seed=f["input_seed"],
            input_size=f["input_size"],
            priority=f["priority"],
            protection=protection,
            accepted_us=self._now_us,
            deadline_us=self._now_us + f["deadline_ms"] * 1000 if f["deadline_ms"] else None,
            energy_budget_mj=f["energy_budget_mj"],
            total_work_us=work,
            request_id=request_id,
            source_id=tc.source_id,
            ack_flags=tc.ack_flags,
        )
        self.journal.next_order += 1
        self.journal.commit(job)
        self._job_event(job, None, "queued", "none")

    # ---------------------------------------------------------------------------------------------
    # Jobs: state changes, scheduling, running

    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        new = replace(job, state=state, reason=reason, **changes)
        self.journal.commit(new)
        self._job_event(new, job.state, state, reason)
        return new

    def _job_event(self, job: Job, old: str | None, new: str, reason: str) -> None:
        self._event(
            "job_" + new,
            job_id=job.job_id,
            from_state=255 if old is None else JOB_STATES[old],
            to_state=JOB_STATES[new],
            reason=JOB_REASONS[reason],
        )

    def _slots(self) -> int:
        c = self.config
        if self._budget_w is None:
            return c.concurrency
        if self._budget_w < c.idle_power_w:
            return 0
        return min(c.concurrency, int((self._budget_w - c.idle_power_w) / c.job_power_w + 1e-9))

    @staticmethod
    def _dispatch_key(job: Job) -> tuple[int, int, int]:
        return (-job.priority, 0 if job.state == "suspended" else 1, job.order)

    def _dispatch(self) -> None:
        free = self._slots() - len(self._running)
        if free <= 0:
            return
        waiting = sorted(
            (j for j in self.journal.jobs.values() if j.state in ("queued", "suspended")), key=self._dispatch_key
        )
        for job in waiting[:free]:
            first = not job.started
            job = self._transition(job, "running", "none", started=True)
            self._running[job.job_id] = _Running(self._now_us, job.work_us)
            if first and job.ack_flags & pus.ACK_START:
                self._tm(1, 3, build_tm_data(1, 3, request_id=job.request_id), job.source_id)

    def _sync(self, job: Job) -> Job:
        """Bring a running job's work and energy up to now (a journal commit)."""
        run = self._running[job.job_id]
        dt = self._now_us - run.since_us
        if dt == 0:
            return job
        job = replace(job, work_us=job.work_us + dt, energy_mj=job.energy_mj + self.config.job_power_w * dt / 1000)
        self.journal.commit(job)
        run.since_us = self._now_us
        return job

    def _stop(self, job: Job, state: str, reason: str) -> Job:
        """Move a job out of running/queued/suspended into ``state``."""
        if job.job_id in self._running:
            job = self._sync(job)
            del self._running[job.job_id]
        changes: dict[str, Any] = {}
        if state == "suspended" and self._ckpt_us:
            changes["saved_us"] = job.work_us  # a suspension writes a checkpoint
        job = self._transition(job, state, reason, **changes)
        if state in TERMINAL and state != "completed":
            code = 256 + JOB_REASONS[reason]
            self._tm(1, 8, build_tm_data(1, 8, request_id=job.request_id, code=code, data=b""), job.source_id)
        return job

    def _enforce_budget(self) -> None:
        excess = len(self._running) - self._slots()
        if excess <= 0:
            return
        running = sorted((self.journal.jobs[j] for j in self._running), key=self._dispatch_key)
        victims = running[-excess:]
        for job in reversed(victims):
            self._stop(job, "suspended", "power")
        budget_mw = _UNLIMITED_MW if self._budget_w is None else min(int(self._budget_w * 1000), _UNLIMITED_MW - 1)
        self._event("power_budget_low", budget_mw=budget_mw, suspended=len(victims))

    def _next_job_event(self, job: Job) -> tuple[int, str]:
        """When the next thing happens to a running job and what: checkpoint, completion, energy."""
        run = self._running[job.job_id]
        done = job.work_us + (self._now_us - run.since_us)
        t_done = self._now_us + (job.total_work_us - done)
        best = (t_done, "complete")
        if self._ckpt_us:
            nxt = job.saved_us + self._ckpt_us
            if nxt < job.total_work_us:
                best = min(best, (self._now_us + nxt - done, "checkpoint"))
        if job.energy_budget_mj:
            used = job.energy_mj + self.config.job_power_w * (self._now_us - run.since_us) / 1000
            left_us = math.floor((job.energy_budget_mj - used) * 1000 / self.config.job_power_w)
            t_energy = self._now_us + max(0, left_us)
            if t_energy < t_done:
                best = min(best, (t_energy, "energy"))
        return best

    def _run_until(self, target_us: int) -> None:
        while True:
            t, action, subject = target_us + 1, "", 0
            for jid in sorted(self._running):
                when, what = self._next_job_event(self.journal.jobs[jid])
                if when < t:
                    t, action, subject = when, what, jid
            for job in self.journal.jobs.values():
                if job.deadline_us is not None and job.state not in TERMINAL and job.deadline_us < t:
                    t, action, subject = job.deadline_us, "deadline", job.job_id
            for sid in sorted(self._hk_due):
                if self._hk_due[sid] < t:
                    t, action, subject = self._hk_due[sid], "hk", sid
            if t > target_us:
                self._now_us = target_us
                for jid in sorted(self._running):
                    self._sync(self.journal.jobs[jid])
                return
            self._now_us = max(self._now_us, t)
            self._act(action, subject)

    def _act(self, action: str, subject: int) -> None:
        if action == "hk":
            s = self.journal.structures[subject]
            self._hk_report(s, 0)
            self._hk_due[subject] += s.interval_ms * 1000
            return
        job = self.journal.jobs[subject]
        if action == "deadline":
            self._stop(job, "expired", "deadline")
        elif action == "energy":
            self._stop(job, "failed", "energy")
        elif action == "checkpoint":
            job = self._sync(job)
            job = replace(job, checkpoints=job.checkpoints + 1, saved_us=job.work_us)
            self.journal.commit(job)
            if job.ack_flags & pus.ACK_PROGRESS:
                self._tm(1, 5, build_tm_data(1, 5, request_id=job.request_id, step=job.checkpoints), job.source_id)
            return
        else:
            self._complete(self._sync(job))
        self._dispatch()

    def _complete(self, job: Job) -> None:
        del self._running[job.job_id]
        outcome = self._compute(job)
        job = replace(job, faults=())
        if outcome.result is None:
            self._event("protection_mismatch_detected", job_id=job.job_id, protection=_PROTECTION_IDS[job.protection])
            self.journal.commit(job)
            self._stop(job, "failed", "mismatch")
            return
        if outcome.mismatch == "corrected":
            self._event("protection_mismatch_corrected", job_id=job.job_id, protection=_PROTECTION_IDS[job.protection])
        job = self._transition(job, "completed", "none", result=outcome.result)
        if job.ack_flags & pus.ACK_COMPLETION:
            self._tm(1, 7, build_tm_data(1, 7, request_id=job.request_id), job.source_id)

    def _compute(self, job: Job) -> JobOutcome:
        """Run the job's replicas with its armed faults and apply its protection mode."""
        faults = {r: (off, mask) for r, off, mask in job.faults}
        return run_job(job.workload, job_input(job.input_seed, job.input_size), job.protection, faults)

    # ---------------------------------------------------------------------------------------------
    # Reports

    def _job_status(self, job: Job, destination: int) -> None:
        work = job.work_us
        if job.job_id in self._running:
            work += self._now_us - self._running[job.job_id].since_us
        data = build_tm_data(
            JOB_SERVICE,
            4,
            job_id=job.job_id,
            state=JOB_STATES[job.state],
            reason=JOB_REASONS[job.reason],
            priority=job.priority,
            protection=_PROTECTION_IDS[job.protection],
            progress_permille=min(1000, work * 1000 // job.total_work_us),
            result_size=len(job.result) if job.result is not None and job.state == "completed" else 0,
            restarts=job.restarts,
            energy_used_mj=min(int(job.energy_mj), 0xFFFFFFFF),
        )
        self._tm(JOB_SERVICE, 4, data, destination)

    def _hk_values(self) -> dict[int, int]:
        c = self.config
        states = [j.state for j in self.journal.jobs.values()]
        running = len(self._running)
        matmul = sum(1 for j in self._running if self.journal.jobs[j].workload.name == "matmul-u32")
        budget = _UNLIMITED_MW if self._budget_w is None else min(int(self._budget_w * 1000), _UNLIMITED_MW - 1)
        return {
            1: round(100 * running / c.concurrency),
            2: round(100 * matmul / c.concurrency),
            3: 0,
            4: 0,
            5: 2000 + 150 * running,
            6: min(round((c.idle_power_w + running * c.job_power_w) * 1000), _UNLIMITED_MW),
            7: states.count("queued"),
            8: running,
            9: states.count("suspended"),
            10: RESET_CAUSES[self._last_cause],
            11: self._reset_count,
            12: budget,
            13: len(states),
        }

    def _hk_report(self, s: Structure, destination: int) -> None:
        values = self._hk_values()
        out = bytearray(s.sid.to_bytes(2, "big"))
        for p in s.parameters:
            out += HK_TYPES[HK_PARAMETERS[p][1]].build(values[p])
        self._tm(3, 25, bytes(out), destination)

    def _event(self, name: str, **aux: Any) -> None:
        event_id, severity = EVENTS[name]
        if event_id in self.journal.disabled_events:
            return
        layout: Struct = EVENT_AUX[name]
        self._tm(5, severity, event_id.to_bytes(2, "big") + bytes(layout.build(aux)), 0)

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        counter = self._counters.get((service, subtype), 0)
        self._counters[(service, subtype)] = (counter + 1) & 0xFFFF
        days, ms = divmod(_EPOCH_MS + (self._now_us + 500) // 1000, 86_400_000)
        packet = pus.PusTm(
            apid=self.config.apid,
            sequence_count=self._seq,
            service=service,
            subtype=subtype,
            message_counter=counter,
            destination_id=destination,
            time=pus.CdsTime(days, ms),
            source_data=data,
        ).build()
        self._seq = (self._seq + 1) & 0x3FFF
        self._outbox.append(packet)


_PROTECTION_IDS: Final = {name: code for code, name in PROTECTION_CODES.items()}
