"""One-deviation mutants of the sw-compute-runtime reference, classes jobs and resilience.

Each factory ``name(spec=None)`` builds the reference runtime with ONE plausible vendor bug; its
docstring names the requirement it violates. Use with
``PYTHONPATH=tests orbitcert certify --impl products.runtime_mutants_jobs:NAME``. Written by an
adversarial review of the suite; tests/conformance/test_runtime_mutants.py certifies each.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from orbitcert.reference_impl.runtime import pus
from orbitcert.reference_impl.runtime.iut import ReferenceRuntime, create
from orbitcert.reference_impl.runtime.runtime import (
    JOB_STATES,
    TERMINAL,
    Job,
    Rejected,
)
from orbitcert.reference_impl.runtime.services import build_tm_data
from orbitcert.reference_impl.runtime.workloads import REPLICAS, JobOutcome, job_input

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec


def reference(spec: Spec | None = None) -> ReferenceRuntime:
    """The unmodified reference (baseline)."""
    return create(spec)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-001


class _CapacityOffByOne(ReferenceRuntime):
    def _check_state(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (128, 1):
            saved = self.config  # vendor: "> capacity" instead of ">= capacity"
            self.config = replace(saved, job_capacity=saved.job_capacity + 1)
            try:
                super()._check_state(tc, f)
            finally:
                self.config = saved
            return
        super()._check_state(tc, f)


def capacity_off_by_one(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-001: job_capacity + 1 jobs can be tracked (the capacity check uses >)."""
    return create(spec, cls=_CapacityOffByOne)


class _MaxInputPlusOne(ReferenceRuntime):
    def _check_fields(self, tc: pus.PusTc) -> dict[str, Any]:
        if (tc.service, tc.subtype) == (128, 1):
            saved = self.config
            self.config = replace(saved, max_input_octets=saved.max_input_octets + 1)
            try:
                return super()._check_fields(tc)
            finally:
                self.config = saved
        return super()._check_fields(tc)


def max_input_plus_one(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-001: an input size of max_input_octets + 1 is accepted (range check off by one)."""
    return create(spec, cls=_MaxInputPlusOne)


class _DeletedSlotsNotReclaimed(ReferenceRuntime):
    """Vendor keeps a volatile 'slots used' counter incremented on submit, never decremented on
    delete (reclaimed only by a reset, which recounts the journal)."""

    def _boot(self, kind: str) -> None:
        self._used = len(self.journal.jobs)
        super()._boot(kind)

    def _check_state(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        super()._check_state(tc, f)
        if (tc.service, tc.subtype) == (128, 1) and self._used >= self.config.job_capacity:
            raise Rejected("capacity", f"{self._used} slots used")

    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        self._used += 1
        super()._submit(tc, f, request_id)


def deleted_slots_not_reclaimed(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-001: after TC[128,11] deletes, submissions are refused with capacity although fewer
    than job_capacity jobs are tracked (slots reclaimed only at a reset)."""
    return create(spec, cls=_DeletedSlotsNotReclaimed)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-003


class _ProgressPerReplica(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (128, 4):
            job = self.journal.jobs.get(int.from_bytes(data[:4], "big"))
            if job is not None and job.replicas > 1 and job.state != "completed":
                work = job.work_us
                if job.job_id in self._running:
                    work += self._now_us - self._running[job.job_id].since_us
                per = job.total_work_us // job.replicas
                pm = min(1000, (work % per) * 1000 // per)
                data = data[:9] + pm.to_bytes(2, "big") + data[11:]
        super()._tm(service, subtype, data, destination)


def progress_per_replica(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-003: progress_permille is that of the current replica (drops back to 0 when a dmr
    or tmr job starts its next replica)."""
    return create(spec, cls=_ProgressPerReplica)


class _EnergyPerReplica(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (128, 4):
            job = self.journal.jobs.get(int.from_bytes(data[:4], "big"))
            if job is not None:
                e = int.from_bytes(data[17:21], "big") * job.replicas
                data = data[:17] + min(e, 0xFFFFFFFF).to_bytes(4, "big") + data[21:]
        super()._tm(service, subtype, data, destination)


def energy_reported_per_replica(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-003: energy_used is reported multiplied by the replica count (dmr x2, tmr x3)."""
    return create(spec, cls=_EnergyPerReplica)


class _RestartsNotCounted(ReferenceRuntime):
    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        changes.pop("restarts", None)
        return super()._transition(job, state, reason, **changes)


def restarts_not_counted(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-003: the restart count of TM[128,4] stays 0 after resets re-queue a job."""
    return create(spec, cls=_RestartsNotCounted)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-004


class _SilentRequeue(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        self._booting = True
        try:
            super()._boot(kind)
        finally:
            self._booting = False

    def _job_event(self, job: Job, old: str | None, new: str, reason: str) -> None:
        if getattr(self, "_booting", False) and new == "queued":
            return  # the reset re-queue is not reported
        super()._job_event(job, old, new, reason)


def reset_requeue_not_reported(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-004: the running/suspended -> queued change at a reset has no job_queued event."""
    return create(spec, cls=_SilentRequeue)


class _RequeueReasonNone(ReferenceRuntime):
    def _job_event(self, job: Job, old: str | None, new: str, reason: str) -> None:
        if reason == "reset":
            reason = "none"
        super()._job_event(job, old, new, reason)


def reset_requeue_reason_none(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-004: the re-queue event at a reset carries reason none instead of reset."""
    return create(spec, cls=_RequeueReasonNone)


class _SuspendedCancelSilent(ReferenceRuntime):
    def _job_event(self, job: Job, old: str | None, new: str, reason: str) -> None:
        if old == "suspended" and new == "cancelled":
            return
        super()._job_event(job, old, new, reason)


def cancel_of_suspended_not_reported(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-004: cancelling a suspended job emits no job_cancelled event."""
    return create(spec, cls=_SuspendedCancelSilent)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-005


class _NoSuspendedFirst(ReferenceRuntime):
    @staticmethod
    def _dispatch_key(job: Job) -> tuple[int, int, int]:
        return (-job.priority, 0, job.order)


def suspended_not_before_queued(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005: ties broken by acceptance order only (a suspended job accepted after a queued
    one of the same priority waits behind it)."""
    return create(spec, cls=_NoSuspendedFirst)


class _StrictBudget(ReferenceRuntime):
    def _slots(self) -> int:
        c = self.config
        if self._budget_w is None:
            return c.concurrency
        if self._budget_w <= c.idle_power_w:
            return 0
        # vendor: draw must stay strictly below the budget
        return max(0, min(c.concurrency, math.ceil((self._budget_w - c.idle_power_w) / c.job_power_w - 1e-9) - 1))


def budget_strictly_below(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005: with a budget of exactly idle + k x job_power_w only k - 1 jobs run."""
    return create(spec, cls=_StrictBudget)


class _RoundedSlots(ReferenceRuntime):
    def _slots(self) -> int:
        c = self.config
        if self._budget_w is None:
            return c.concurrency
        if self._budget_w < c.idle_power_w:
            return 0
        return min(c.concurrency, round((self._budget_w - c.idle_power_w) / c.job_power_w))


def slots_rounded_not_floored(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005 (and RES-003 power_draw): slots = round(...) instead of floor(...)."""
    return create(spec, cls=_RoundedSlots)


class _SignedPriority(ReferenceRuntime):
    @staticmethod
    def _dispatch_key(job: Job) -> tuple[int, int, int]:
        p = job.priority - 256 if job.priority >= 128 else job.priority
        return (-p, 0 if job.state == "suspended" else 1, job.order)


def priority_read_as_int8(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005: the scheduler reads priority as a signed int8 (128..255 rank lowest)."""
    return create(spec, cls=_SignedPriority)


class _LazyResume(ReferenceRuntime):
    def set_power(self, budget_w: float) -> None:
        b = float(budget_w)
        self._budget_w = b
        self._enforce_budget()  # raising the budget dispatches only at the next scheduler event


def lazy_dispatch_on_budget_rise(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005: a higher budget does not dispatch waiting jobs until the next scheduler event."""
    return create(spec, cls=_LazyResume)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-006 / 007


class _DeadlineFromDispatch(ReferenceRuntime):
    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        if state == "running" and not job.started and job.deadline_us is not None:
            changes["deadline_us"] = job.deadline_us + (self._now_us - job.accepted_us)
        return super()._transition(job, state, reason, **changes)


def deadline_from_dispatch(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-006: the deadline counts from the job's first dispatch, not its acceptance."""
    return create(spec, cls=_DeadlineFromDispatch)


class _EnergyMargin(ReferenceRuntime):
    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        if f["energy_budget_mj"]:
            f = dict(f, energy_budget_mj=max(1, f["energy_budget_mj"] * 4 // 5))
        super()._submit(tc, f, request_id)


def energy_fails_at_80_percent(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-007: a job fails for energy at 80 % of its budget (a vendor safety margin)."""
    return create(spec, cls=_EnergyMargin)


# ---------------------------------------------------------------------------------------------
# SWR-JOB-008


class _DeleteVolatile(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        self._hidden: set[int] = set()
        super()._boot(kind)

    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (128, 11):
            self._hidden.add(f["job_id"])
            self._stash = getattr(self, "_stash", {})
            self._stash[f["job_id"]] = self.journal.jobs.pop(f["job_id"])
            return
        super()._execute(tc, f)

    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        getattr(self, "_stash", {}).pop(f["job_id"], None)
        super()._submit(tc, f, request_id)

    def reset(self, kind: str) -> None:
        # the deletion lived in RAM only: the journal record comes back
        for j, job in getattr(self, "_stash", {}).items():
            self.journal.jobs.setdefault(j, job)
        self._stash = {}
        super().reset(kind)


def deleted_job_returns_after_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-008: a deleted job is listed again after any reset (the delete was not committed)."""
    return create(spec, cls=_DeleteVolatile)


# ---------------------------------------------------------------------------------------------
# SWR-RES-002


class _OlderCheckpoint(ReferenceRuntime):
    def _act(self, action: str, subject: int) -> None:
        if action == "checkpoint":
            job = self.journal.jobs[subject]
            prev = job.saved_us
            super()._act(action, subject)
            self._prev_ckpt = getattr(self, "_prev_ckpt", {})
            self._prev_ckpt[subject] = prev
            return
        super()._act(action, subject)

    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            for j, prev in getattr(self, "_prev_ckpt", {}).items():
                job = self.journal.jobs.get(j)
                if job is not None and job.state == "running":
                    self.journal.commit(replace(job, saved_us=prev))
        super()._boot(kind)


def resumes_from_previous_checkpoint(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-002: a reset resumes from the checkpoint before the latest (two intervals lost)."""
    return create(spec, cls=_OlderCheckpoint)


class _ReplicaGranularResume(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            for job in list(self.journal.jobs.values()):
                if job.state in ("running", "suspended") and job.replicas > 1:
                    per = job.total_work_us // job.replicas
                    self.journal.commit(replace(job, saved_us=(job.saved_us // per) * per))
        super()._boot(kind)


def resume_from_replica_start(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-002: progress checkpoints are reported, but a reset restarts the current replica
    from its beginning (up to one replica's running time lost)."""
    return create(spec, cls=_ReplicaGranularResume)


# ---------------------------------------------------------------------------------------------
# SWR-RES-003


class _ResumeFromCheckpoint(ReferenceRuntime):
    def _stop(self, job: Job, state: str, reason: str) -> Job:
        if state == "suspended":
            saved = job.saved_us
            job = super()._stop(job, state, reason)
            job = replace(job, work_us=saved, saved_us=saved)  # suspension writes no checkpoint
            self.journal.commit(job)
            return job
        return super()._stop(job, state, reason)


def suspend_resumes_from_checkpoint(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-003: a job suspended for power resumes from its last periodic checkpoint (up to one
    interval of work lost at each suspension)."""
    return create(spec, cls=_ResumeFromCheckpoint)


# ---------------------------------------------------------------------------------------------
# SWR-RES-004 .. 007


class _FaultsAccumulate(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (128, 13):
            job = self.journal.jobs[f["job_id"]]
            self.journal.commit(replace(job, faults=(*job.faults, (f["replica"], f["offset"], f["mask"]))))
            return
        super()._execute(tc, f)

    def _compute(self, job: Job) -> JobOutcome:
        data = bytearray(job.workload.compute(job_input(job.input_seed, job.input_size)))
        if job.protection == "none":
            for r, off, mask in job.faults:
                if r == 0:
                    data[off] ^= mask
            return JobOutcome(bytes(data), "none")
        return super()._compute(job)


def second_arm_adds(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-004: a second TC[128,13] for the same replica adds a fault instead of replacing."""
    return create(spec, cls=_FaultsAccumulate)


class _TmrFallback(ReferenceRuntime):
    def _compute(self, job: Job) -> JobOutcome:
        out = super()._compute(job)
        if job.protection == "tmr" and out.result is None:
            faults = {r: (off, mask) for r, off, mask in job.faults}
            data = job_input(job.input_seed, job.input_size)
            reps = []
            for r in range(3):
                res = bytearray(job.workload.compute(data))
                if r in faults:
                    res[faults[r][0]] ^= faults[r][1]
                reps.append(np.frombuffer(bytes(res), dtype=np.uint8))
            a, b, c = reps
            voted = np.where(a == b, a, np.where(a == c, a, np.where(b == c, b, a)))
            return JobOutcome(voted.tobytes(), "corrected")
        return out


def tmr_no_majority_takes_replica0(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-006: with no majority at an octet, TMR takes replica 0's octet and completes."""
    return create(spec, cls=_TmrFallback)


class _TmrAlwaysCorrected(ReferenceRuntime):
    def _compute(self, job: Job) -> JobOutcome:
        out = super()._compute(job)
        if job.protection == "tmr" and out.result is not None:
            return JobOutcome(out.result, "corrected")
        return out


def tmr_reports_correction_without_fault(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-006 / SWR-EVT-001: every tmr job reports protection_mismatch_corrected, fault or not."""
    return create(spec, cls=_TmrAlwaysCorrected)


class _DmrFirstBlock(ReferenceRuntime):
    def _compute(self, job: Job) -> JobOutcome:
        if job.protection != "dmr":
            return super()._compute(job)
        faults = {r: (off, mask) for r, off, mask in job.faults}
        data = job_input(job.input_seed, job.input_size)
        reps = []
        for r in range(2):
            res = bytearray(job.workload.compute(data))
            if r in faults:
                res[faults[r][0]] ^= faults[r][1]
            reps.append(bytes(res))
        # vendor compares a 256-octet prefix only ("the first block")
        if reps[0][:256] != reps[1][:256]:
            return JobOutcome(None, "detected")
        return JobOutcome(reps[0], "none")


def dmr_compares_prefix_only(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-005: DMR compares the first 256 octets of the replicas only."""
    return create(spec, cls=_DmrFirstBlock)


# ---------------------------------------------------------------------------------------------
# SWR-RES-008


class _ResetCountWraps(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if kind != "power" and getattr(self, "_reset_count", 0) == 0xFFFF:
            self._reset_count = -1  # counter wraps to 0 instead of saturating
        super()._boot(kind)


def reset_count_wraps(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-008: reset_count wraps from 65535 to 0 instead of saturating."""
    return create(spec, cls=_ResetCountWraps)


class _LatchupNotCounted(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if kind == "latchup":
            self._reset_count = max(-1, getattr(self, "_reset_count", 0) - 1)
        super()._boot(kind)


def latchup_not_counted(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-008: only watchdog resets are counted in reset_count (latch-up not)."""
    return create(spec, cls=_LatchupNotCounted)


# ---------------------------------------------------------------------------------------------
# cross-class (verification / housekeeping), for completeness


class _NoOffset(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 8):
            code = int.from_bytes(data[4:6], "big")
            if code >= 256:
                data = data[:4] + (code - 256).to_bytes(2, "big") + data[6:]
        super()._tm(service, subtype, data, destination)


def tm18_without_256(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: TM[1,8] of a job carries the bare reason without the 256 offset."""
    return create(spec, cls=_NoOffset)


class _QueuedCountsSuspended(ReferenceRuntime):
    def _hk_values(self) -> dict[int, int]:
        v = super()._hk_values()
        v[7] += v[9]
        return v


def jobs_queued_includes_suspended(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-002: jobs_queued counts suspended jobs too."""
    return create(spec, cls=_QueuedCountsSuspended)


_ = (JOB_STATES, TERMINAL, REPLICAS, build_tm_data)


class _DispatchFirst(ReferenceRuntime):
    def _complete(self, job: Job) -> None:
        # vendor frees the slot and starts the next job before reporting the finished one
        del self._running[job.job_id]
        self._dispatch()
        self._running[job.job_id] = _RunningStub(self._now_us, job.work_us)
        super()._complete(job)


from orbitcert.reference_impl.runtime.runtime import _Running as _RunningStub  # noqa: E402


def dispatch_before_completion_event(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-004: when a job completes, the next job's job_running event precedes the finished
    job's job_completed event (changes not reported in the order they happen)."""
    return create(spec, cls=_DispatchFirst)


class _CancelQueuedNoTm18(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (128, 7) and self.journal.jobs[f["job_id"]].state == "queued":
            self._suppress18 = True
        try:
            super()._execute(tc, f)
        finally:
            self._suppress18 = False

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 8) and getattr(self, "_suppress18", False):
            return
        super()._tm(service, subtype, data, destination)


def cancel_of_queued_no_tm18(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: a job cancelled before it ever ran gets no TM[1,8] (it never 'started')."""
    return create(spec, cls=_CancelQueuedNoTm18)


class _DeadlineWhenWaiting(ReferenceRuntime):
    """Vendor enforces deadlines in the scheduler only: a running job is never expired (its
    deadline is looked at again only if it has to wait once more)."""

    def _act(self, action: str, subject: int) -> None:
        job = self.journal.jobs.get(subject)
        if action == "deadline" and job is not None and job.state == "running":
            self._late = getattr(self, "_late", {})
            self._late[subject] = job.deadline_us
            self.journal.commit(replace(job, deadline_us=None))
            return
        super()._act(action, subject)

    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        late = getattr(self, "_late", {})
        if state in ("queued", "suspended") and job.job_id in late:
            changes["deadline_us"] = late.pop(job.job_id)
        return super()._transition(job, state, reason, **changes)


def deadline_ignored_while_running(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-006: a running job never expires (deadlines enforced only for waiting jobs)."""
    return create(spec, cls=_DeadlineWhenWaiting)


class _BudgetLostAtPower(ReferenceRuntime):
    def reset(self, kind: str) -> None:
        if kind == "power":
            self._budget_w = None  # vendor keeps the budget in RAM: a power cycle forgets it
        super().reset(kind)


def budget_lost_at_power_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-008: after a power reset the budget last set no longer applies (unlimited)."""
    return create(spec, cls=_BudgetLostAtPower)


class _Fifo(ReferenceRuntime):
    @staticmethod
    def _dispatch_key(job: Job) -> tuple[int, int, int]:
        return (0, 0 if job.state == "suspended" else 1, job.order)


def control_fifo(spec: Spec | None = None) -> ReferenceRuntime:
    """Control for equiv.py (priorities ignored): must differ."""
    return create(spec, cls=_Fifo)


class _DeleteVolatileWarm(_DeleteVolatile):
    """The delete is committed at a power reset, lost at a watchdog or latch-up reset."""

    def reset(self, kind: str) -> None:
        if kind == "power":
            self._stash = {}
        super().reset(kind)


def deleted_job_returns_after_warm_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-008: a deleted job is listed again after a watchdog or latch-up reset."""
    return create(spec, cls=_DeleteVolatileWarm)
