"""Deliberately broken ``sw-compute-runtime`` products: the reference runtime
(:mod:`orbitcert.reference_impl.runtime.iut`) with ONE deviation each, declaring the reference's
ICS. Each factory takes ``spec=None`` like the reference's ``create``; its docstring names the
requirement(s) a certification must fail it on:

* :func:`forgets_jobs_across_reset` - SWR-RES-001 (a reset drops every job that is not terminal)
* :func:`accepts_bad_crc` - SWR-VER-004 (the packet error control is never checked)
* :func:`never_sends_failure_reports` - SWR-VER-004, SWR-VER-005, SWR-VER-006, SWR-VER-007
  (rejected telecommands are dropped silently)
* :func:`dmr_silent_wrong_result` - SWR-RES-005 (DMR runs two replicas but never compares them)
* :func:`tmr_no_vote` - SWR-RES-006 (TMR returns the first replica's result)
* :func:`crc_before_length` - SWR-VER-005 (the checksum is checked before the packet length, so a
  wrong packet data length field is reported as a checksum error)
* :func:`sequence_count_stuck` - SWR-VER-002 (every TM has sequence count 0)
* :func:`destination_not_echoed` - SWR-VER-002 (replies carry destination 0)
* :func:`progress_steps_from_zero` - SWR-VER-009 (TM[1,5] steps count from 0)
* :func:`hk_period_long` - SWR-HK-001 (the health report comes every 1.1 x hk_period_s)
* :func:`disable_events_ignored` - SWR-EVT-002 (TC[5,6] is acknowledged and listed by TM[5,8]
  but the events are still reported)
* :func:`fifo_scheduler` - SWR-JOB-005 (dispatch in acceptance order, priorities ignored)
* :func:`deadline_ignored` - SWR-JOB-006 (jobs never expire)
* :func:`energy_ignored` - SWR-JOB-007 (energy budgets are never enforced)
* :func:`chunk_off_by_one` - SWR-JOB-002 (TM[128,10] data starts one octet after the offset)
* :func:`suspend_loses_progress` - SWR-RES-003 (a suspended job restarts from zero when it resumes)
* :func:`no_checkpoint_resume` - SWR-RES-002 (declares checkpointing, restarts from zero after a reset)

Use e.g. ``--impl products.broken_runtime:accepts_bad_crc`` (``PYTHONPATH=tests``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from orbitcert.reference_impl.frames import check_fecf, with_fecf
from orbitcert.reference_impl.runtime import pus
from orbitcert.reference_impl.runtime.iut import ReferenceRuntime, create
from orbitcert.reference_impl.runtime.runtime import Job, Rejected
from orbitcert.reference_impl.runtime.services import build_tm_data
from orbitcert.reference_impl.runtime.workloads import JobOutcome

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec


class _ForgetsJobs(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            for job_id in [
                j for j, job in self.journal.jobs.items() if job.state in ("queued", "running", "suspended")
            ]:
                del self.journal.jobs[job_id]
        super()._boot(kind)


def forgets_jobs_across_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-001: jobs not yet terminal vanish at every reset."""
    return create(spec, cls=_ForgetsJobs)


class _AcceptsBadCrc(ReferenceRuntime):
    def _accept(self, raw: bytes) -> pus.PusTc:
        if len(raw) >= pus.TC_MIN_LENGTH:
            raw = with_fecf(raw[: -pus.PEC_LENGTH])  # as if the CRC were right
        return super()._accept(raw)


def accepts_bad_crc(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-004: a TC with a corrupted packet error control is executed."""
    return create(spec, cls=_AcceptsBadCrc)


class _Silent(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) != (1, 2):
            super()._tm(service, subtype, data, destination)


def never_sends_failure_reports(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-004..007: rejected telecommands get no TM[1,2]."""
    return create(spec, cls=_Silent)


class _DmrSilent(ReferenceRuntime):
    def _compute(self, job: Job) -> JobOutcome:
        outcome = super()._compute(job)
        if job.protection == "dmr" and outcome.result is None:
            return super()._compute(replace(job, protection="none"))  # replica 0, unchecked
        return outcome


def dmr_silent_wrong_result(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-005: a DMR mismatch completes the job with replica 0's (wrong) result."""
    return create(spec, cls=_DmrSilent)


class _TmrNoVote(ReferenceRuntime):
    def _compute(self, job: Job) -> JobOutcome:
        if job.protection == "tmr":
            return super()._compute(replace(job, protection="none"))
        return super()._compute(job)


def tmr_no_vote(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-006: TMR returns replica 0's result (a fault armed there is not outvoted)."""
    return create(spec, cls=_TmrNoVote)


class _CrcFirst(ReferenceRuntime):
    def _accept(self, raw: bytes) -> pus.PusTc:
        if len(raw) >= pus.TC_MIN_LENGTH and not check_fecf(raw):
            raise Rejected("checksum", "checked first")
        return super()._accept(raw)


def crc_before_length(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-005: a packet data length field off by one is reported as checksum, not length."""
    return create(spec, cls=_CrcFirst)


class _SeqStuck(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        self._seq = 0
        super()._tm(service, subtype, data, destination)


def sequence_count_stuck(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-002: the packet sequence count never increases."""
    return create(spec, cls=_SeqStuck)


class _NoDestination(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        super()._tm(service, subtype, data, 0)


def destination_not_echoed(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-002: replies carry destination identifier 0, not the TC's source identifier."""
    return create(spec, cls=_NoDestination)


class _StepsFromZero(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 5):
            step = int.from_bytes(data[4:6], "big") - 1
            data = build_tm_data(1, 5, request_id=data[:4], step=step)
        super()._tm(service, subtype, data, destination)


def progress_steps_from_zero(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-009: progress steps 0, 1, 2 ... instead of 1, 2, 3 ..."""
    return create(spec, cls=_StepsFromZero)


class _HkLong(ReferenceRuntime):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        health = self.journal.structures[1]
        health.interval_ms = round(health.interval_ms * 1.1)
        self._hk_due[1] = self._now_us + health.interval_ms * 1000


def hk_period_long(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-001: the health report period is 10 % longer than the declared hk_period_s."""
    return create(spec, cls=_HkLong)


class _DisableIgnored(ReferenceRuntime):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._claimed: set[int] = set()
        super().__init__(*args, **kwargs)

    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        key = (tc.service, tc.subtype)
        if key == (5, 6):
            self._claimed.update(f["event_ids"])
        elif key == (5, 5):
            self._claimed.difference_update(f["event_ids"])
        elif key == (5, 7):
            self._tm(5, 8, build_tm_data(5, 8, event_ids=sorted(self._claimed)), tc.source_id)
        else:
            super()._execute(tc, f)


def disable_events_ignored(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-EVT-002: disabled events are still reported (TM[5,8] lists them as disabled)."""
    return create(spec, cls=_DisableIgnored)


class _Fifo(ReferenceRuntime):
    @staticmethod
    def _dispatch_key(job: Job) -> tuple[int, int, int]:
        return (0, 0, job.order)


def fifo_scheduler(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-005: waiting jobs are dispatched in acceptance order whatever their priority."""
    return create(spec, cls=_Fifo)


class _NoDeadline(ReferenceRuntime):
    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        super()._submit(tc, dict(f, deadline_ms=0), request_id)


def deadline_ignored(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-006: deadlines are ignored (no job ever expires)."""
    return create(spec, cls=_NoDeadline)


class _NoEnergy(ReferenceRuntime):
    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        super()._submit(tc, dict(f, energy_budget_mj=0), request_id)


def energy_ignored(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-007: energy budgets are ignored."""
    return create(spec, cls=_NoEnergy)


class _ChunkOffByOne(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (128, 10) and len(data) > 12:
            data = data[:12] + data[13:] + b"\0"
        super()._tm(service, subtype, data, destination)


def chunk_off_by_one(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-JOB-002: result chunks start one octet after the requested offset."""
    return create(spec, cls=_ChunkOffByOne)


class _SuspendLoses(ReferenceRuntime):
    def _stop(self, job: Job, state: str, reason: str) -> Job:
        job = super()._stop(job, state, reason)
        if state == "suspended":
            job = replace(job, work_us=0, saved_us=0, checkpoints=0)
            self.journal.commit(job)
        return job


def suspend_loses_progress(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-003: a job suspended for power restarts from zero when it resumes."""
    return create(spec, cls=_SuspendLoses)


class _NoResume(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            for job in list(self.journal.jobs.values()):
                self.journal.commit(replace(job, saved_us=0))
        super()._boot(kind)


def no_checkpoint_resume(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-RES-002: checkpoints are written but a reset restarts every job from zero."""
    return create(spec, cls=_NoResume)
