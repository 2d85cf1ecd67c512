"""One-deviation mutants of the sw-compute-runtime reference (classes verification, housekeeping,
events, test). Each is a subclass of ReferenceRuntime overriding one hook; each factory's docstring
names the requirement it violates. Written for the issue-11 suite review (review_a).

Use: PYTHONPATH=tests orbitcert certify --spec sw-compute-runtime@1.0.0 --impl products.runtime_mutants_services:NAME;
tests/conformance/test_runtime_mutants.py certifies each.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from orbitcert.reference_impl.frames import with_fecf
from orbitcert.reference_impl.runtime import pus
from orbitcert.reference_impl.runtime.iut import ReferenceRuntime, create
from orbitcert.reference_impl.runtime.runtime import Job, Rejected, Structure
from orbitcert.reference_impl.runtime.services import build_tm_data, parse_app_data

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec


def reference(spec: Spec | None = None) -> ReferenceRuntime:
    """The unmodified reference (baseline run)."""
    return create(spec)


class _Mute(ReferenceRuntime):
    """Helper: drop TMs of the keys in ``_muted`` (a set managed by subclasses)."""

    _muted: frozenset[tuple[int, int]] = frozenset()

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) in self._muted:
            return
        super()._tm(service, subtype, data, destination)


# ------------------------------------------------------------------------------------------------
# verification


class _Tm18NoOffset(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 8):
            code = int.from_bytes(data[4:6], "big") - 256
            data = build_tm_data(1, 8, request_id=data[:4], code=code, data=b"")
        super()._tm(service, subtype, data, destination)


def tm18_no_offset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: TM[1,8] of a job carries the bare job reason, not 256 + reason."""
    return create(spec, cls=_Tm18NoOffset)


class _StartAtAcceptance(ReferenceRuntime):
    def _submit(self, tc: pus.PusTc, f: dict[str, Any], request_id: bytes) -> None:
        if tc.ack_flags & pus.ACK_START:
            self._tm(1, 3, build_tm_data(1, 3, request_id=request_id), tc.source_id)
        super()._submit(tc, f, request_id)
        job = self.journal.jobs[f["job_id"]]
        self.journal.commit(replace(job, ack_flags=job.ack_flags & ~pus.ACK_START))


def start_reported_at_acceptance(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: a submission's TM[1,3] is sent at acceptance, even for a job that never runs."""
    return create(spec, cls=_StartAtAcceptance)


class _StartEveryDispatch(ReferenceRuntime):
    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        new = super()._transition(job, state, reason, **changes)
        if state == "running" and job.started and new.ack_flags & pus.ACK_START:
            self._tm(1, 3, build_tm_data(1, 3, request_id=new.request_id), new.source_id)
        return new


def start_reported_every_dispatch(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: TM[1,3] again each time a suspended or re-queued job resumes running."""
    return create(spec, cls=_StartEveryDispatch)


class _MismatchNoTm18(_Mute):
    def _stop(self, job: Job, state: str, reason: str) -> Job:
        if reason == "mismatch":
            self._muted = frozenset({(1, 8)})
        try:
            return super()._stop(job, state, reason)
        finally:
            self._muted = frozenset()


def mismatch_no_tm18(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-008: a job failed by a DMR/TMR mismatch gets no TM[1,8]."""
    return create(spec, cls=_MismatchNoTm18)


class _CancelAckedLate(ReferenceRuntime):
    def send_tc(self, packet: bytes) -> None:
        raw = bytes(packet)
        if len(raw) >= 13 and raw[7] == 128 and raw[8] == 7:
            try:
                tc = self._accept(raw)
                self._route(tc)
                f = self._check_fields(tc)
                self._check_state(tc, f)
            except Rejected:
                super().send_tc(packet)
                return
            rid = raw[:4]
            self._execute(tc, f)  # the cancellation's effects (event, TM[1,8]) first
            for flag, sub in ((pus.ACK_ACCEPTANCE, 1), (pus.ACK_START, 3), (pus.ACK_COMPLETION, 7)):
                if tc.ack_flags & flag:
                    self._tm(1, sub, build_tm_data(1, sub, request_id=rid), tc.source_id)
            return
        super().send_tc(packet)


def cancel_acked_after_effects(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-003: TC[128,7] is executed before its TM[1,1] (job_cancelled event and the
    submission's TM[1,8] come first)."""
    return create(spec, cls=_CancelAckedLate)


class _FailureNeedsAck(_Mute):
    def send_tc(self, packet: bytes) -> None:
        try:
            tc = self._accept(bytes(packet))
        except Rejected:
            tc = None
        if tc is not None and not tc.ack_flags & pus.ACK_ACCEPTANCE:
            self._muted = frozenset({(1, 2)})
        try:
            super().send_tc(packet)
        finally:
            self._muted = frozenset()


def failure_report_needs_ack_flag(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-005/006/007: TM[1,2] only when the acceptance flag is set (checksum, length and
    header failures are still reported)."""
    return create(spec, cls=_FailureNeedsAck)


class _PecZeroUnused(ReferenceRuntime):
    def _accept(self, raw: bytes) -> pus.PusTc:
        if len(raw) >= pus.TC_MIN_LENGTH and raw[-2:] == b"\0\0":
            raw = with_fecf(raw[:-2])  # "PEC not used"
        return super()._accept(raw)


def pec_zero_means_unused(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-004: a TC whose packet error control field is 0x0000 is not checked (accepted)."""
    return create(spec, cls=_PecZeroUnused)


class _EchoRawSource(ReferenceRuntime):
    _raw = b""

    def send_tc(self, packet: bytes) -> None:
        self._raw = bytes(packet)
        super().send_tc(packet)

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 2) and destination == 0 and len(self._raw) >= 11:
            destination = int.from_bytes(self._raw[9:11], "big")
        super()._tm(service, subtype, data, destination)


def checksum_failure_echoes_source(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-002: TM[1,2] of a TC failing the length/checksum/header checks carries the
    (unverified) source id field as destination instead of 0."""
    return create(spec, cls=_EchoRawSource)


class _ApidBeforeSecondaryHeader(ReferenceRuntime):
    def _accept(self, raw: bytes) -> pus.PusTc:
        try:
            return super()._accept(raw)
        except Rejected as exc:
            if exc.code == "header":
                h = pus.unpack_primary_header(raw)
                if (h.version, h.packet_type, h.sec_header_flag) == (0, 1, 1) and h.apid != self.config.apid:
                    raise Rejected("apid", "routed by APID before the secondary header") from None
            raise


def apid_before_seqflags_and_pus_version(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-005: sequence flags and TC PUS version are checked after the APID (a TC with both a
    wrong APID and a wrong PUS version is failure code apid, not header)."""
    return create(spec, cls=_ApidBeforeSecondaryHeader)


class _DupAfterExistence(ReferenceRuntime):
    def _check_fields(self, tc: pus.PusTc) -> dict[str, Any]:
        if tc.service == 3 and tc.subtype in (3, 5, 6, 27):
            try:
                f = parse_app_data(tc.service, tc.subtype, tc.app_data)
            except Exception:  # noqa: BLE001
                f = {}
            sids = f.get("sids", [])
            if 1 <= len(sids) <= 16 and len(set(sids)) != len(sids):
                for sid in sids:
                    if sid not in self.journal.structures:
                        raise Rejected("unknown_sid", f"structure {sid}")
        return super()._check_fields(tc)


def duplicates_checked_after_existence(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-007 / SWR-HK-005 (acceptance_checks order): a structure list naming an unknown
    structure twice is failure code unknown_sid, not parameter."""
    return create(spec, cls=_DupAfterExistence)


class _StepsPerRun(ReferenceRuntime):
    def _transition(self, job: Job, state: str, reason: str, **changes: Any) -> Job:
        new = super()._transition(job, state, reason, **changes)
        if state == "running":
            base = getattr(self, "_base", None)
            if base is None:
                base = self._base = {}
            base[new.request_id] = new.checkpoints
        return new

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) == (1, 5):
            step = int.from_bytes(data[4:6], "big") - getattr(self, "_base", {}).get(bytes(data[:4]), 0)
            data = build_tm_data(1, 5, request_id=data[:4], step=step)
        super()._tm(service, subtype, data, destination)


def progress_steps_restart_per_run(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-009: TM[1,5] steps count from 1 again after each resume (suspension or reset)."""
    return create(spec, cls=_StepsPerRun)


class _BatchStamp(ReferenceRuntime):
    _stamp: int | None = None

    def advance(self, seconds: float) -> list[bytes]:
        self._stamp = self._now_us + round(float(seconds) * 1_000_000)
        try:
            return super().advance(seconds)
        finally:
            self._stamp = None

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if self._stamp is None:
            super()._tm(service, subtype, data, destination)
            return
        saved, self._now_us = self._now_us, self._stamp
        try:
            super()._tm(service, subtype, data, destination)
        finally:
            self._now_us = saved


def tm_stamped_at_end_of_advance(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-VER-002: every TM emitted during an advance is stamped with the time at the end of that
    advance (when the telemetry task flushes), not when it was emitted."""
    return create(spec, cls=_BatchStamp)


# ------------------------------------------------------------------------------------------------
# housekeeping


class _HealthReenabled(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            self.journal.structures[1].enabled = True
        super()._boot(kind)


def health_reenabled_at_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-006: structure 1 disabled by TC[3,6] is enabled again by every reset."""
    return create(spec, cls=_HealthReenabled)


class _ModifyDisabledIgnored(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (3, 31) and not self.journal.structures[f["sid"]].enabled:
            return  # only the scheduler entry is updated, and a disabled structure has none
        super()._execute(tc, f)


def modify_disabled_interval_ignored(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-004: TC[3,31] on a disabled structure is accepted but the interval is unchanged."""
    return create(spec, cls=_ModifyDisabledIgnored)


class _ModifyEnables(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (3, 31):
            self.journal.structures[f["sid"]].enabled = True
        super()._execute(tc, f)


def modify_interval_enables(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-004 / SWR-HK-003: TC[3,31] on a disabled structure starts its periodic generation."""
    return create(spec, cls=_ModifyEnables)


class _GhostStructures(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        if (tc.service, tc.subtype) == (3, 3):
            ghosts = self.__dict__.setdefault("_ghosts", {})
            for sid in f["sids"]:
                ghosts[sid] = self.journal.structures.pop(sid)  # the timer is not cancelled
            return
        super()._execute(tc, f)

    def _act(self, action: str, subject: int) -> None:
        if action == "hk" and subject not in self.journal.structures:
            s: Structure = self.__dict__["_ghosts"][subject]
            self._hk_report(s, 0)
            self._hk_due[subject] += s.interval_ms * 1000
            return
        super()._act(action, subject)


def deleted_structure_still_reporting(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-003: an enabled structure deleted by TC[3,3] keeps being reported until the next reset."""
    return create(spec, cls=_GhostStructures)


class _OneShotRestartsPhase(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        super()._execute(tc, f)
        if (tc.service, tc.subtype) == (3, 27):
            for sid in f["sids"]:
                s = self.journal.structures[sid]
                if s.enabled:
                    self._hk_due[sid] = self._now_us + s.interval_ms * 1000


def one_shot_restarts_period(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-001 / SWR-HK-004: a TC[3,27] of an enabled structure restarts its periodic timer."""
    return create(spec, cls=_OneShotRestartsPhase)


class _QueuedIncludesSuspended(ReferenceRuntime):
    def _hk_values(self) -> dict[int, int]:
        v = super()._hk_values()
        v[7] += v[9]
        return v


def jobs_queued_counts_suspended(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-002: jobs_queued counts the suspended jobs too (all waiting jobs)."""
    return create(spec, cls=_QueuedIncludesSuspended)


class _ResetCountWraps(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if kind != "power" and getattr(self, "_reset_count", 0) == 0xFFFF:
            self._reset_count = -1  # u16 increment that wraps
        super()._boot(kind)


def reset_count_wraps(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-002 (hk_parameters reset_count saturating) / SWR-EVT-001: reset_count wraps to 0
    after 65535 resets instead of saturating."""
    return create(spec, cls=_ResetCountWraps)


class _ResetCountKept(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        pre = getattr(self, "_reset_count", 0)
        self._pinned = pre
        super()._boot(kind)
        if kind == "power":
            self._reset_count = pre

    def _event(self, name: str, **aux: Any) -> None:
        if name == "power_on":
            aux = dict(aux, reset_count=getattr(self, "_pinned", 0))
        super()._event(name, **aux)


def reset_count_kept_at_power(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-HK-002 / SWR-RES-008 / SWR-EVT-001: a power reset does not clear reset_count."""
    return create(spec, cls=_ResetCountKept)


# ------------------------------------------------------------------------------------------------
# events


class _CompletionViaEvent(_Mute):
    def _complete(self, job: Job) -> None:
        if 260 in self.journal.disabled_events:
            self._muted = frozenset({(1, 7)})
        try:
            super()._complete(job)
        finally:
            self._muted = frozenset()


def completion_report_tied_to_event(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-EVT-002 (and SWR-VER-008): with job_completed disabled, a submission's TM[1,7] is not
    sent either (the completion report is generated by the event's handler)."""
    return create(spec, cls=_CompletionViaEvent)


class _UnsortedDisabled(ReferenceRuntime):
    def _execute(self, tc: pus.PusTc, f: dict[str, Any]) -> None:
        order: list[int] = self.__dict__.setdefault("_order", [])
        key = (tc.service, tc.subtype)
        if key == (5, 6):
            order.extend(e for e in f["event_ids"] if e not in order)
        elif key == (5, 5):
            order[:] = [e for e in order if e not in f["event_ids"]]
        elif key == (5, 7):
            self._tm(5, 8, build_tm_data(5, 8, event_ids=list(order)), tc.source_id)
            return
        super()._execute(tc, f)


def disabled_list_unsorted(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-EVT-003: TM[5,8] lists the disabled ids in the order they were disabled."""
    return create(spec, cls=_UnsortedDisabled)


class _DisabledUntilReset(ReferenceRuntime):
    def _boot(self, kind: str) -> None:
        if hasattr(self, "journal"):
            self.journal.disabled_events.clear()
        super()._boot(kind)


def events_disabled_until_reset(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-EVT-002: the disabled-event list is volatile (every event enabled again at any reset)."""
    return create(spec, cls=_DisabledUntilReset)


class _SpuriousBudgetLow(ReferenceRuntime):
    def _enforce_budget(self) -> None:
        if len(self._running) <= self._slots() < self.config.concurrency:
            budget_mw = 0xFFFFFFFF if self._budget_w is None else min(int(self._budget_w * 1000), 0xFFFFFFFE)
            self._event("power_budget_low", budget_mw=budget_mw, suspended=0)
            return
        super()._enforce_budget()


def spurious_power_budget_low(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-EVT-001 (parameter events: power_budget_low when set_power suspends at least one job):
    power_budget_low with suspended 0 whenever the budget fits fewer than concurrency jobs."""
    return create(spec, cls=_SpuriousBudgetLow)


# ------------------------------------------------------------------------------------------------
# test


class _AliveStale(ReferenceRuntime):
    _tick_us = 0

    def _act(self, action: str, subject: int) -> None:
        if action == "hk":
            self._tick_us = self._now_us
        super()._act(action, subject)

    def _boot(self, kind: str) -> None:
        self._tick_us = getattr(self, "_now_us", 0)
        super()._boot(kind)

    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) != (17, 2):
            super()._tm(service, subtype, data, destination)
            return
        saved, self._now_us = self._now_us, self._tick_us
        try:
            super()._tm(service, subtype, data, destination)
        finally:
            self._now_us = saved


def alive_stamped_with_stale_time(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-TST-001: TM[17,2] is stamped with the cached on-board time of the last housekeeping
    tick (or reset), not the time of receipt."""
    return create(spec, cls=_AliveStale)


class _AliveLate(ReferenceRuntime):
    def _tm(self, service: int, subtype: int, data: bytes, destination: int) -> None:
        if (service, subtype) != (17, 2):
            super()._tm(service, subtype, data, destination)
            return
        saved = self._now_us
        self._now_us += 250_000  # stamped when the low-priority task would answer
        try:
            super()._tm(service, subtype, data, destination)
        finally:
            self._now_us = saved


def alive_stamped_late(spec: Spec | None = None) -> ReferenceRuntime:
    """SWR-TST-001: TM[17,2] stamped 250 ms after the time of receipt."""
    return create(spec, cls=_AliveLate)


MUTANTS = [
    "tm18_no_offset", "start_reported_at_acceptance", "start_reported_every_dispatch", "mismatch_no_tm18",
    "cancel_acked_after_effects", "failure_report_needs_ack_flag", "pec_zero_means_unused",
    "checksum_failure_echoes_source", "apid_before_seqflags_and_pus_version", "duplicates_checked_after_existence",
    "progress_steps_restart_per_run", "tm_stamped_at_end_of_advance", "health_reenabled_at_reset",
    "modify_disabled_interval_ignored", "modify_interval_enables", "deleted_structure_still_reporting",
    "one_shot_restarts_period", "jobs_queued_counts_suspended", "reset_count_wraps", "reset_count_kept_at_power",
    "completion_report_tied_to_event", "disabled_list_unsorted", "events_disabled_until_reset",
    "spurious_power_budget_low", "alive_stamped_with_stale_time", "alive_stamped_late",
]
