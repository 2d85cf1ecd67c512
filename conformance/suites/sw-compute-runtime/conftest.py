"""Fixtures of the sw-compute-runtime suite: a ground segment that knows the product only by packets.

Public API (for every test module of this suite)
================================================

Fixtures
--------
* ``sw`` (session): :class:`Params`, the constants of the spec under test (error codes, job states
  and reasons, protection modes, limits, tolerances) and of the ICS (apid, hk_period_s,
  job_capacity, concurrency, compute_rate_bps, max_input_octets, idle_power_w, job_power_w,
  checkpointing, checkpoint_interval_s, protection_modes); an undeclared mandatory ICS item makes
  the test inconclusive.
* ``wire`` (session): :class:`~orbitcert.conformance.interfaces.sw_compute_runtime.Wire`, the
  application data builders and TM decoders of the spec's tables.
* ``rng``: a numpy Generator per test from the run's seed and the test's node id.
* ``ground``: the :class:`Ground` wrapping the product (one per session), normalised before the
  test (fixture ``ground``; its first use records ``ground.initial``, the health values and
  disabled-event list the product reports before the suite changed anything): jobs of earlier
  tests cancelled and deleted, structures the suite created deleted, structure 1 enabled at
  hk_period_s, every event enabled, power budget :data:`BIG_BUDGET_W`, then ``reset("power")``
  and its TMs drained; ``ground.log`` is empty and ``ground.now`` is the ground time of that reset.

Ground (all times in ground seconds: simulated time since the suite began)
--------------------------------------------------------------------------
* ``send(service, subtype, app_data=b"", ack=ACK_ALL, source_id=None, apid=None, raw=None,
  seq=None) -> bytes``: sends one TC (or the octets ``raw`` as they are); returns its request ID.
  ``packet(...)`` builds the octets without sending; ``raw_packet(service, subtype, app_data, *,
  ack, source_id, apid, version, packet_type, sec_header, seq_flags, pus_version, length_delta)``
  builds a TC field by field (any field wrong) with a correct PEC (the suite's own CRC).
  ``source_id``: the test's random source id (the default of every TC).
* ``tc(name, ack=ACK_ALL, source_id=None, **fields) -> bytes``: a TC of tc_layouts by name.
* ``advance(seconds) -> list[Tm]``: every TM decoded and checked as it arrives against
  SWR-VER-001 (layout, conventions: a violation fails the test at once, naming SWR-VER-001) and
  SWR-VER-002 (sequence count, time, destination of service 1 reports: ``violation(requirement,
  message)`` fails the test when the test names that requirement, else records the message in
  ``ground.violations``, so one broken convention does not fail every requirement).
  ``ground.log`` accumulates the TMs of the test; ``Tm`` has service, subtype, seq, dest, time
  (on-board s), t (ground s, clamped into the advance that returned the TM), stamped (ground s
  from the time field, NOT clamped: what a timing check of the time field itself must use), f
  (decoded fields, see ``Wire.decode_tm``), raw, key, rid.
  Destinations (SWR-VER-002) are checked for every service 1 report: the TM[1,2] of a TC that
  failed the length, checksum or header checks (judged from its octets by ``unverified(packet)``)
  must go to destination 0, the reports of any other TC to its source id field.
* ``reset(kind)``, ``set_power(budget_w)``.
* ``verification(rid, tms=None)``, ``events(name=None, tms=None)``, ``hk(sid=1, tms=None)``,
  ``of(tms, service, subtype)``, ``job_events(job_id, tms=None)``: filters (of ``ground.log`` by
  default); ``show(tms)``: a listing for failure messages; ``single(tms, service, subtype, what,
  requirement)``: the one reply TM of that kind (destination checked).
* ``expect_rejection(rid, code, tms)``: exactly one TM in ``tms``, a TM[1,2] of ``rid`` with
  failure code ``code`` (a name of error_codes); ``requirement`` names the requirement in messages.
* ``one_shot(sids=(1,)) -> dict[int, Tm]``, ``health() -> dict[str, int]`` (structure 1 values
  by name, from a TC[3,27]).
* ``query_job(job_id) -> dict | None`` (TM[128,4] fields, None when rejected with unknown_job),
  ``list_jobs() -> list[tuple[int, int]]``, ``disabled_events() -> list[int]``,
  ``snapshot()`` (health minus temperature, job list, every listed job's status, disabled events:
  what "nothing changed" compares).
* ``new_job_id()``, ``submit(workload="sha256", size=1000, ...) -> Job``, ``run_until(pred, max_s,
  step)``, ``retrieve(job_id, total, chunk) -> bytes``, ``accepted(rid)`` (TM[1,1] seen).
* ``Job``: the manifest, its rid and the expected result (``job.expected``, hashlib/numpy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.sw_compute_runtime import (
    Wire,
    WireError,
    job_input,
    pec,
    request_id,
    workload_result,
)
from orbitcert.reference_impl.runtime.pus import ACK_ALL, PusError, PusTc, parse_tm
from orbitcert.specs import Ics, Spec


def _fail(message: str) -> NoReturn:
    """Fail the test as a product failure (an AssertionError: the harness's ``fail`` verdict;
    ``pytest.fail`` would be an ``error``)."""
    raise AssertionError(message)


#: Power budget restored before each test (W): larger than any product's draw (the spec's
#: power-on budget is unlimited, but a reset keeps the budget last set).
BIG_BUDGET_W = 1e5
#: TM sequence counts are 14 bits (CCSDS 133.0-B-2 4.1.3.4.3).
SEQ_MODULO = 16384
#: Half a millisecond: TM times are rounded to the millisecond (parameter packet_conventions).
ROUNDING_S = 0.0005


@dataclass(frozen=True)
class Params:
    """Constants of the spec under test (parameters) and of the ICS under test."""

    apid: int
    hk_period_s: float
    job_capacity: int
    concurrency: int
    rate_bps: float
    max_input: int
    idle_w: float
    job_w: float
    checkpointing: bool
    checkpoint_s: float | None
    protection_modes: frozenset[str]
    error_codes: dict[str, int]
    states: dict[str, int]
    terminal: frozenset[int]
    transitions: dict[int, frozenset[int]]
    reasons: dict[str, int]
    protection_codes: dict[str, int]
    replicas: dict[str, int]
    workload_protection: dict[str, frozenset[str]]
    hk_limits: dict[str, int]
    health_sid: int
    health_parameters: tuple[int, ...]
    reset_causes: dict[str, int]
    max_chunk: int
    job_latency_s: float
    tol_abs: float
    tol_frac: float
    ptol_abs_mw: float
    ptol_frac: float

    @classmethod
    def from_spec(cls, spec: Spec, ics: Ics) -> Params:
        items = ics.items

        def need(item: str) -> Any:
            value = items.get(item)
            if value is None or isinstance(value, bool) and item != "checkpointing":
                inconclusive(f"the ICS does not declare {item}, which sw-compute-runtime needs")
            return value

        st = spec.parameter("job_states")
        codes = {str(k): int(v) for k, v in st["codes"].items()}
        pm = spec.parameter("protection_modes")
        tol = spec.parameter("timing_tolerance")
        ptol = spec.parameter("power_tolerance")
        hs = spec.parameter("health_structure")
        checkpointing = bool(items.get("checkpointing", False))
        cp = items.get("checkpoint_interval_s")
        return cls(
            apid=int(need("apid")),
            hk_period_s=float(need("hk_period_s")),
            job_capacity=int(need("job_capacity")),
            concurrency=int(need("concurrency")),
            rate_bps=float(need("compute_rate_bps")),
            max_input=int(need("max_input_octets")),
            idle_w=float(need("idle_power_w")),
            job_w=float(need("job_power_w")),
            checkpointing=checkpointing,
            checkpoint_s=float(cp) if checkpointing and cp is not None else None,
            protection_modes=frozenset(str(m) for m in items.get("protection_modes") or ()) | {"none"},
            error_codes={str(k): int(v) for k, v in spec.parameter("error_codes").items()},
            states=codes,
            terminal=frozenset(codes[s] for s in st["terminal"]),
            transitions={codes[k]: frozenset(codes[t] for t in v) for k, v in st["transitions"].items()},
            reasons={str(k): int(v) for k, v in spec.parameter("job_reasons").items()},
            protection_codes={str(k): int(v) for k, v in pm["codes"].items()},
            replicas={str(k): int(v) for k, v in pm["replicas"].items()},
            workload_protection={
                str(w["name"]): frozenset(str(p) for p in w["protection"]) for w in spec.parameter("workloads")
            },
            hk_limits={str(k): int(v) for k, v in spec.parameter("hk_limits").items()},
            health_sid=int(hs["sid"]),
            health_parameters=tuple(int(p) for p in hs["parameters"]),
            reset_causes={str(k): int(v) for k, v in spec.parameter("reset_causes").items()},
            max_chunk=int(spec.parameter("max_chunk_octets")),
            job_latency_s=float(spec.parameter("job_latency_s")),
            tol_abs=float(tol["absolute_s"]),
            tol_frac=float(tol["fraction"]),
            ptol_abs_mw=float(ptol["absolute_mw"]),
            ptol_frac=float(ptol["fraction"]),
        )

    def tolerance(self, interval: float) -> float:
        """Timing tolerance of an interval (parameter timing_tolerance), plus the half millisecond
        of a TM time's rounding."""
        return max(self.tol_abs, self.tol_frac * abs(interval)) + ROUNDING_S

    def power_tolerance(self, value_mw: float) -> float:
        """Tolerance of a power (mW) or energy (mJ) value (parameter power_tolerance)."""
        return max(self.ptol_abs_mw, self.ptol_frac * abs(value_mw))

    def code(self, name: str) -> int:
        return self.error_codes[name]

    def code_name(self, code: int) -> str:
        names = [k for k, v in self.error_codes.items() if v == code]
        if names:
            return names[0]
        if code >= 256:
            reason = [k for k, v in self.reasons.items() if v == code - 256]
            return f"256+{reason[0] if reason else code - 256}"
        return str(code)

    def state_name(self, code: int) -> str:
        names = [k for k, v in self.states.items() if v == code]
        return names[0] if names else f"state {code}"

    def nominal_s(self, size: int, protection: str = "none") -> float:
        """Nominal running time of a job (parameter workloads)."""
        return self.replicas[protection] * size / self.rate_bps


@pytest.fixture(scope="session")
def sw(spec: Spec, ics: Ics) -> Params:
    return Params.from_spec(spec, ics)


@pytest.fixture(scope="session")
def wire(spec: Spec) -> Wire:
    return Wire(spec)


@pytest.fixture
def rng(run_seed: int, request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator per test, from the run's seed and the test's id (so a product cannot predict
    the job ids, seeds and corruptions the suite draws)."""
    key = [ord(c) for c in request.node.nodeid][-64:]
    return np.random.default_rng([int(run_seed) & 0xFFFFFFFF, int(run_seed) >> 32, *key])


# --------------------------------------------------------------------------------------------------
# Telemetry as the ground sees it


@dataclass
class Tm:
    """One TM packet, checked and decoded. ``time`` is the on-board time (s since the CCSDS epoch,
    millisecond resolution), ``t`` the ground time it corresponds to."""

    service: int
    subtype: int
    seq: int
    dest: int
    time: float
    t: float
    f: dict[str, Any]
    raw: bytes
    #: Ground time from the time field, unclamped (``t`` is clamped into the advance).
    stamped: float = float("nan")

    @property
    def key(self) -> tuple[int, int]:
        return self.service, self.subtype

    @property
    def rid(self) -> bytes | None:
        v = self.f.get("request_id")
        return v if isinstance(v, bytes) else None

    def __str__(self) -> str:
        shown = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in self.f.items() if k != "ordered"}
        text = f"TM[{self.service},{self.subtype}] seq {self.seq} dest {self.dest} t={self.t:.3f} {shown}"
        return text if len(text) < 400 else text[:400] + "..."


def show(tms: Iterable[Tm], limit: int = 12) -> str:
    """A short listing of TMs for a failure message."""
    tms = list(tms)
    lines = [str(tm) for tm in tms[:limit]]
    if len(tms) > limit:
        lines.append(f"... {len(tms) - limit} more")
    return "[" + "; ".join(lines) + "]" if lines else "[no TM]"


def unverified(packet: bytes) -> bool:
    """Whether a TC fails the length, checksum or header checks (checks 1-3 of parameter
    acceptance_checks): its source identifier is then unknown and every reply goes to
    destination 0 (SWR-VER-002). Judged from the octets with the suite's own CRC."""
    p = bytes(packet)
    if len(p) < 13 or int.from_bytes(p[4:6], "big") + 7 != len(p):
        return True
    if pec(p[:-2]) != int.from_bytes(p[-2:], "big"):
        return True
    return (p[0] >> 5, (p[0] >> 4) & 1, (p[0] >> 3) & 1, p[2] >> 6, p[6] >> 4) != (0, 1, 1, 3, 2)


def _reply_destination(sent: SentTc) -> int:
    """The destination id of the replies to a TC (SWR-VER-002): 0 when it failed the length,
    checksum or header checks, else its source id field."""
    if unverified(sent.packet):
        return 0
    return int.from_bytes(sent.packet[9:11], "big")


@dataclass
class SentTc:
    rid: bytes
    service: int
    subtype: int
    source_id: int
    ack: int
    t: float
    packet: bytes
    raw: bool = False


@dataclass
class Job:
    """A job the suite submitted: its manifest and expected result (parameters workloads, job_input)."""

    job_id: int
    workload: str
    seed: int
    size: int
    priority: int
    deadline_ms: int
    energy_mj: int
    protection: str
    rid: bytes
    t: float
    _expected: bytes | None = field(default=None, repr=False)

    @property
    def expected(self) -> bytes:
        if self._expected is None:
            self._expected = workload_result(self.workload, job_input(self.seed, self.size))
        return self._expected


class Ground:
    """The ground segment: TCs out, TMs in, every TM checked as it arrives (see the module doc)."""

    def __init__(self, iut: Any, sw: Params, wire: Wire) -> None:
        self.iut, self.sw, self.wire = iut, sw, wire
        self.now = 0.0
        self.tc_seq = 0
        self.source_id = 1
        self.sent: dict[bytes, SentTc] = {}
        self.log: list[Tm] = []
        self.structures: dict[int, tuple[int, ...]] = {sw.health_sid: sw.health_parameters}
        self.created_sids: set[int] = set()
        self.next_seq: int | None = None
        self.last_time: float | None = None
        self.offset: float | None = None
        self.anchor = 0.0
        self.used_job_ids: set[int] = set()
        self.rng = np.random.default_rng(0)
        self.strict: set[str] = set()
        self.violations: list[str] = []
        self.hk1_modified = False
        self.initial: dict[str, Any] | None = None

    # ---- sending --------------------------------------------------------------------------------
    def packet(
        self,
        service: int,
        subtype: int,
        app_data: bytes = b"",
        ack: int = ACK_ALL,
        source_id: int | None = None,
        apid: int | None = None,
        seq: int | None = None,
    ) -> bytes:
        """The octets of a TC (sequence count: the ground's next one unless ``seq``)."""
        if seq is None:
            seq = self.tc_seq
            self.tc_seq = (self.tc_seq + 1) % SEQ_MODULO
        return bytes(
            PusTc(
                apid=self.sw.apid if apid is None else apid,
                sequence_count=seq,
                service=service,
                subtype=subtype,
                source_id=self.source_id if source_id is None else source_id,
                ack_flags=ack,
                app_data=app_data,
            ).build()
        )

    def raw_packet(
        self,
        service: int = 17,
        subtype: int = 1,
        app_data: bytes = b"",
        *,
        ack: int = ACK_ALL,
        source_id: int | None = None,
        apid: int | None = None,
        version: int = 0,
        packet_type: int = 1,
        sec_header: int = 1,
        seq_flags: int = 0b11,
        pus_version: int = 2,
        length_delta: int = 0,
    ) -> bytes:
        """A TC built field by field (parameter packet_conventions), any field possibly wrong, with
        a correct packet error control over what precedes it (``length_delta`` is added to the
        packet data length field)."""
        seq = self.tc_seq
        self.tc_seq = (self.tc_seq + 1) % SEQ_MODULO
        apid = self.sw.apid if apid is None else apid
        src = self.source_id if source_id is None else source_id
        body = bytes([(pus_version << 4) | ack, service, subtype]) + src.to_bytes(2, "big") + bytes(app_data)
        length = (len(body) + 2 - 1 + length_delta) & 0xFFFF
        head = (
            ((version << 13) | (packet_type << 12) | (sec_header << 11) | apid).to_bytes(2, "big")
            + ((seq_flags << 14) | seq).to_bytes(2, "big")
            + length.to_bytes(2, "big")
        )
        return bytes(head + body + int(pec(head + body)).to_bytes(2, "big"))

    def send(
        self,
        service: int = 17,
        subtype: int = 1,
        app_data: bytes = b"",
        ack: int = ACK_ALL,
        source_id: int | None = None,
        apid: int | None = None,
        raw: bytes | None = None,
        seq: int | None = None,
    ) -> bytes:
        """Send one TC (or ``raw`` octets as they are); its request ID (parameter request_id)."""
        src = self.source_id if source_id is None else source_id
        pkt = raw if raw is not None else self.packet(service, subtype, app_data, ack, src, apid, seq)
        rid = bytes(request_id(pkt))
        self.sent[rid] = SentTc(rid, service, subtype, src, ack, self.now, pkt, raw is not None)
        try:
            self.iut.send_tc(pkt)
        except Exception as exc:  # noqa: BLE001 - a product that fails the call
            _fail(f"SWR-VER-004..007: send_tc raised {type(exc).__name__}: {exc} for TC {pkt[:32].hex()}...")
        return rid

    def tc(self, name: str, ack: int = ACK_ALL, source_id: int | None = None, **fields: Any) -> bytes:
        """Send the telecommand ``name`` of tc_layouts with these field values."""
        service, subtype = self.wire.tc_key(name)
        if name == "modify_hk_interval" and fields.get("sid") == self.sw.health_sid:
            self.hk1_modified = True
        return self.send(service, subtype, self.wire.tc_app_data(name, **fields), ack=ack, source_id=source_id)

    # ---- receiving ------------------------------------------------------------------------------
    def advance(self, seconds: float) -> list[Tm]:
        """Let ``seconds`` of simulated time run; the TMs, checked (SWR-VER-001/002) and decoded."""
        a = self.now
        try:
            packets = self.iut.advance(float(seconds))
        except Exception as exc:  # noqa: BLE001
            _fail(f"advance({seconds}) raised {type(exc).__name__}: {exc}")
        self.now = a + float(seconds)
        if not isinstance(packets, list | tuple):
            _fail(f"SWR-VER-001: advance returned {type(packets).__name__}, expected a list of TM packets")
        out = [self._check(p, a, self.now) for p in packets]
        self.log.extend(out)
        return out

    def _check(self, packet: Any, a: float, b: float) -> Tm:
        where = f"at ground time {a:.3f}..{b:.3f}"
        if not isinstance(packet, bytes | bytearray):
            _fail(f"SWR-VER-001: advance returned {type(packet).__name__} {packet!r:.80}, expected bytes {where}")
        raw = bytes(packet)
        try:
            tm = parse_tm(raw)
        except PusError as exc:
            _fail(f"SWR-VER-001: malformed TM packet {raw[:40].hex()} ({len(raw)} octets) {where}: {exc}")
        if tm.apid != self.sw.apid:
            _fail(
                f"SWR-VER-001: TM[{tm.service},{tm.subtype}] with APID {tm.apid}, the ICS apid is {self.sw.apid} {where}"
            )
        if tm.time.ms_of_day >= 86_400_000:
            _fail(f"SWR-VER-001: TM[{tm.service},{tm.subtype}] ms of day {tm.time.ms_of_day} >= 86,400,000 {where}")
        try:
            fields = self.wire.decode_tm(tm.service, tm.subtype, tm.source_data, self.structures)
        except WireError as exc:
            _fail(f"SWR-VER-001: TM[{tm.service},{tm.subtype}] source data {tm.source_data[:40].hex()} {where}: {exc}")
        # SWR-VER-002: sequence count, time, destination (state updated before any verdict)
        problems: list[tuple[str, str]] = []
        if self.next_seq is not None and tm.sequence_count != self.next_seq:
            problems.append(
                (
                    "SWR-VER-002",
                    (
                        f"SWR-VER-002: TM[{tm.service},{tm.subtype}] sequence count {tm.sequence_count}, expected "
                        f"{self.next_seq} (one more than the previous TM's) {where}"
                    ),
                )
            )
        self.next_seq = (tm.sequence_count + 1) % SEQ_MODULO
        time = tm.time.to_seconds()
        if self.last_time is not None and time < self.last_time - 1e-9:
            problems.append(
                (
                    "SWR-VER-002",
                    (
                        f"SWR-VER-002: TM[{tm.service},{tm.subtype}] time {time:.3f} s is before the previous TM's "
                        f"{self.last_time:.3f} s {where}"
                    ),
                )
            )
        self.last_time = time
        if self.offset is None:
            self.offset, self.anchor = time - a, a
        tol = self.sw.tolerance(b - self.anchor)
        t = time - self.offset
        if not a - tol <= t <= b + tol:
            problems.append(
                (
                    "SWR-VER-002",
                    (
                        f"SWR-VER-002: TM[{tm.service},{tm.subtype}] stamped {t:.4f} s (ground time, from the on-board time "
                        f"{time:.3f} s) emitted by an advance from {a:.4f} to {b:.4f} s: the time field does not follow "
                        f"the simulated time (tolerance {tol:.4f} s)"
                    ),
                )
            )
        stamped = t
        t = min(max(t, a), b)
        out = Tm(tm.service, tm.subtype, tm.sequence_count, tm.destination_id, time, t, fields, raw, stamped)
        if tm.service == 1:
            sent = self.sent.get(fields["request_id"])
            if sent is None:
                problems.append(
                    (
                        "SWR-VER-003",
                        f"SWR-VER-003: {out} reports request ID {fields['request_id'].hex()}, which no TC had",
                    )
                )
            elif tm.destination_id != _reply_destination(sent) and (tm.subtype == 2 or not unverified(sent.packet)):
                # (other reports of a TC that should have been rejected: its acceptance is the failure, SWR-VER-004/005)
                problems.append(
                    (
                        "SWR-VER-002",
                        (
                            f"SWR-VER-002: {out} for a TC of source id {sent.source_id} "
                            f"({'failing the length, checksum or header checks' if unverified(sent.packet) else 'verified'}) "
                            f"has destination id {tm.destination_id}, expected {_reply_destination(sent)}"
                        ),
                    )
                )
        for requirement, message in problems:
            self.violation(requirement, message)
        return out

    def violation(self, requirement: str, message: str) -> None:
        """A convention broken (sequence count, time field, destination): fails the test when it
        names ``requirement``, else is recorded in ``violations`` (so one broken convention fails
        its own requirement, not every requirement of the suite)."""
        self.violations.append(message)
        if requirement in self.strict:
            _fail(message)

    def reset(self, kind: str) -> None:
        """Reset the product (the TM sequence count may restart, SWR-VER-002)."""
        try:
            self.iut.reset(kind)
        except Exception as exc:  # noqa: BLE001
            _fail(f"reset({kind!r}) raised {type(exc).__name__}: {exc}")
        self.next_seq = None

    def set_power(self, budget_w: float) -> None:
        try:
            self.iut.set_power(float(budget_w))
        except Exception as exc:  # noqa: BLE001
            _fail(f"set_power({budget_w}) raised {type(exc).__name__}: {exc}")

    # ---- filters --------------------------------------------------------------------------------
    show = staticmethod(show)

    def job_events(self, job_id: int, tms: Iterable[Tm] | None = None) -> list[Tm]:
        """The state-change events (job_queued .. job_expired) of one job, in order."""
        return [tm for tm in self.events(tms=tms, job_id=job_id) if str(tm.f["event"]).startswith("job_")]

    def of(self, tms: Iterable[Tm] | None, service: int, subtype: int | None = None) -> list[Tm]:
        return [
            tm for tm in (self.log if tms is None else tms) if tm.service == service and subtype in (None, tm.subtype)
        ]

    def verification(self, rid: bytes, tms: Iterable[Tm] | None = None) -> list[Tm]:
        """The service 1 reports of request ``rid``."""
        return [tm for tm in self.of(tms, 1) if tm.rid == rid]

    def events(self, name: str | None = None, tms: Iterable[Tm] | None = None, job_id: int | None = None) -> list[Tm]:
        """Event reports (of event ``name``, of job ``job_id``)."""
        return [
            tm
            for tm in self.of(tms, 5)
            if tm.subtype in (1, 2, 3, 4)
            and (name is None or tm.f["event"] == name)
            and (job_id is None or tm.f.get("job_id") == job_id)
        ]

    def hk(self, sid: int = 1, tms: Iterable[Tm] | None = None) -> list[Tm]:
        return [tm for tm in self.of(tms, 3, 25) if tm.f["sid"] == sid]

    # ---- acknowledgements -----------------------------------------------------------------------
    def expect_rejection(self, rid: bytes, code: str, tms: Sequence[Tm], requirement: str, what: str = "") -> None:
        """``tms`` (the reply of one TC) is exactly one TM[1,2] of ``rid`` with failure ``code``."""
        want = self.sw.code(code)
        label = f"{requirement}: {what or 'TC'} (request ID {rid.hex()})"
        fails = [tm for tm in tms if tm.key == (1, 2) and tm.rid == rid]
        assert fails, f"{label}: expected one TM[1,2] with failure code {code} ({want}), observed {show(tms)}"
        got = fails[0].f["code"]
        assert got == want, f"{label}: TM[1,2] failure code {got} ({self.sw.code_name(got)}), expected {want} ({code})"
        assert len(tms) == 1, f"{label}: expected only the TM[1,2], observed {show(tms)}"
        sent = self.sent.get(rid)
        if sent is not None and fails[0].dest != _reply_destination(sent):
            self.violation(
                "SWR-VER-002",
                f"SWR-VER-002: {label}: {fails[0]} has destination {fails[0].dest}, expected {_reply_destination(sent)}",
            )

    def accepted(self, rid: bytes, tms: Iterable[Tm] | None = None) -> bool:
        return any(tm.key == (1, 1) for tm in self.verification(rid, tms))

    def failure(self, rid: bytes, tms: Iterable[Tm] | None = None) -> Tm | None:
        f = [tm for tm in self.verification(rid, tms) if tm.key in ((1, 2), (1, 8))]
        return f[0] if f else None

    def single(self, tms: Sequence[Tm], service: int, subtype: int, what: str, requirement: str) -> Tm:
        got = self.of(tms, service, subtype)
        assert len(got) == 1, f"{requirement}: {what}: expected one TM[{service},{subtype}], observed {show(tms)}"
        if got[0].dest != self.source_id:
            self.violation(
                "SWR-VER-002",
                f"SWR-VER-002: {what}: {got[0]} has destination id {got[0].dest}, the TC's source id was {self.source_id}",
            )
        return got[0]

    # ---- queries --------------------------------------------------------------------------------
    def one_shot(self, sids: Sequence[int] = (1,), requirement: str = "SWR-HK-004") -> dict[int, Tm]:
        rid = self.tc("one_shot_hk", sids=list(sids))
        tms = self.advance(0)
        fail = self.failure(rid, tms)
        assert fail is None, f"{requirement}: TC[3,27] {list(sids)} rejected: {fail}"
        reports = self.of(tms, 3, 25)
        got = {tm.f["sid"]: tm for tm in reports}
        assert sorted(tm.f["sid"] for tm in reports) == sorted(sids), (
            f"{requirement}: TC[3,27] of structures {list(sids)}: expected one TM[3,25] of each, observed {show(tms)}"
        )
        return got

    def health(self, requirement: str = "SWR-HK-004") -> dict[str, int]:
        """The health report's values by parameter name, from a one-shot TC[3,27] now."""
        return dict(self.one_shot((self.sw.health_sid,), requirement)[self.sw.health_sid].f["values"])

    def query_job(self, job_id: int, requirement: str = "SWR-JOB-003") -> dict[str, Any] | None:
        """The job's TM[128,4] fields, or None when TC[128,3] is rejected with unknown_job."""
        rid = self.tc("query_job", job_id=job_id)
        tms = self.advance(0)
        fail = self.failure(rid, tms)
        if fail is not None:
            assert fail.key == (1, 2) and fail.f["code"] == self.sw.code("unknown_job"), (
                f"{requirement}: TC[128,3] of job {job_id} failed with {fail}, expected a TM[128,4] or unknown_job"
            )
            return None
        tm = self.single(tms, 128, 4, f"TC[128,3] of job {job_id}", requirement)
        assert tm.f["job_id"] == job_id, f"{requirement}: TC[128,3] of job {job_id} answered by {tm}"
        return dict(tm.f)

    def list_jobs(self, requirement: str = "SWR-JOB-003") -> list[tuple[int, int]]:
        rid = self.tc("list_jobs")
        tms = self.advance(0)
        fail = self.failure(rid, tms)
        assert fail is None, f"{requirement}: TC[128,5] rejected: {fail}"
        return list(self.single(tms, 128, 6, "TC[128,5]", requirement).f["jobs"])

    def disabled_events(self, requirement: str = "SWR-EVT-003") -> list[int]:
        rid = self.tc("report_disabled_events")
        tms = self.advance(0)
        fail = self.failure(rid, tms)
        assert fail is None, f"{requirement}: TC[5,7] rejected: {fail}"
        return list(self.single(tms, 5, 8, "TC[5,7]", requirement).f["event_ids"])

    def snapshot(self, requirement: str) -> dict[str, Any]:
        """What a rejected TC must not change (SWR-VER-007): health values (temperature aside),
        the job list, every listed job's status and the disabled-event list."""
        health = self.health(requirement)
        health.pop("temperature", None)
        jobs = self.list_jobs(requirement)
        status = {j: self.query_job(j, requirement) for j, _ in jobs}
        return {"health": health, "jobs": jobs, "status": status, "disabled": self.disabled_events(requirement)}

    # ---- jobs -----------------------------------------------------------------------------------
    def new_job_id(self) -> int:
        while True:
            j = int(self.rng.integers(1, 1 << 32))
            if j not in self.used_job_ids:
                self.used_job_ids.add(j)
                return j

    def submit(
        self,
        workload: str = "sha256",
        size: int = 1000,
        *,
        priority: int = 128,
        deadline_ms: int = 0,
        energy_mj: int = 0,
        protection: str = "none",
        ack: int = ACK_ALL,
        job_id: int | None = None,
        seed: int | None = None,
        digest: bytes | None = None,
    ) -> Job:
        """Send TC[128,1] (nothing advanced); the Job with its expected result."""
        job_id = self.new_job_id() if job_id is None else job_id
        seed = int(self.rng.integers(0, 1 << 63)) if seed is None else seed
        rid = self.tc(
            "submit_job",
            ack=ack,
            job_id=job_id,
            workload_digest=self.wire.workloads[workload] if digest is None else digest,
            input_seed=seed,
            input_size=size,
            priority=priority,
            deadline_ms=deadline_ms,
            energy_budget_mj=energy_mj,
            protection=self.sw.protection_codes.get(protection, 0),
        )
        return Job(job_id, workload, seed, size, priority, deadline_ms, energy_mj, protection, rid, self.now)

    def run_until(self, pred: Callable[[list[Tm]], bool], max_s: float, step: float = 1.0) -> list[Tm]:
        """Advance in steps until ``pred`` holds for the TMs gathered (or ``max_s`` elapsed)."""
        got: list[Tm] = []
        spent = 0.0
        while spent < max_s - 1e-12:
            dt = min(step, max_s - spent)
            got += self.advance(dt)
            spent += dt
            if pred(got):
                break
        return got

    def retrieve(self, job_id: int, total: int, chunk: int | None = None, requirement: str = "SWR-JOB-002") -> bytes:
        """The result of a completed job by TC[128,9] chunks of ``chunk`` octets."""
        chunk = chunk or self.sw.max_chunk
        out = b""
        for offset in range(0, total, chunk):
            rid = self.tc("retrieve_result", job_id=job_id, offset=offset, length=chunk)
            tms = self.advance(0)
            fail = self.failure(rid, tms)
            assert fail is None, f"{requirement}: TC[128,9] job {job_id} offset {offset} rejected: {fail}"
            tm = self.single(tms, 128, 10, f"TC[128,9] job {job_id} offset {offset}", requirement)
            want = min(chunk, total - offset)
            assert (tm.f["job_id"], tm.f["offset"], tm.f["total_size"], len(tm.f["data"])) == (
                job_id,
                offset,
                total,
                want,
            ), (
                f"{requirement}: TC[128,9] job {job_id} offset {offset} length {chunk}: expected job_id, offset, "
                f"total_size {total} and {want} octets, observed {tm}"
            )
            out += tm.f["data"]
        return out

    # ---- normalisation between tests -------------------------------------------------------------
    def begin(self, rng: np.random.Generator, strict: Iterable[str] = ()) -> None:
        """Bring the product to the suite's starting state (see the module doc) and clear the log;
        ``strict``: the requirements of the test (convention violations of those fail it)."""
        self.strict = set()
        self.violations = []
        self.rng = rng
        self.source_id = int(rng.integers(1, 1 << 16))
        if self.initial is None:
            self.initial = self._observe_power_on()
        self.set_power(BIG_BUDGET_W)
        self.tc("enable_events", ack=0, event_ids=sorted(self.wire.events))
        self.advance(0)
        jobs = self._listed()
        for j, state in jobs:
            if state not in self.sw.terminal:
                self.tc("cancel_job", ack=0, job_id=j)
        for j, _ in jobs:
            self.tc("delete_job", ack=0, job_id=j)
        sids = sorted(self.created_sids)
        if sids:
            self.tc("delete_hk_structures", ack=0, sids=sids)
        self.tc("enable_hk_periodic", ack=0, sids=[self.sw.health_sid])
        if self.hk1_modified:
            self.tc("modify_hk_interval", ack=0, sid=self.sw.health_sid, interval_ms=round(self.sw.hk_period_s * 1000))
            self.hk1_modified = False
        self.advance(0)
        self.created_sids.clear()
        self.structures = {self.sw.health_sid: self.sw.health_parameters}
        self.reset("power")
        self.advance(0)
        self.log = []
        self.violations = []
        self.strict = set(strict)

    def _observe_power_on(self) -> dict[str, Any]:
        """What the product reports before the suite changed anything (its power-on state): the
        health values and the disabled-event list, where it answers (judged by SWR-HK-002 and
        SWR-EVT-002)."""
        self.tc("one_shot_hk", ack=0, sids=[self.sw.health_sid])
        self.tc("report_disabled_events", ack=0)
        tms = self.advance(0)
        out: dict[str, Any] = {}
        health = self.hk(self.sw.health_sid, tms)
        if health:
            out["health"] = dict(health[0].f["values"])
        disabled = self.of(tms, 5, 8)
        if disabled:
            out["disabled"] = list(disabled[0].f["event_ids"])
        return out

    def _listed(self) -> list[tuple[int, int]]:
        rid = self.tc("list_jobs", ack=0)
        tms = self.advance(0)
        lists = self.of(tms, 128, 6)
        return list(lists[0].f["jobs"]) if lists and self.failure(rid, tms) is None else []


@pytest.fixture(scope="session")
def _ground_session(iut: Any, sw: Params, wire: Wire) -> Ground:
    return Ground(iut, sw, wire)


@pytest.fixture
def ground(_ground_session: Ground, rng: np.random.Generator, request: pytest.FixtureRequest) -> Ground:
    """The ground segment, the product normalised and reset (power) before the test."""
    strict = {str(a) for m in request.node.iter_markers("requirement") for a in m.args}
    _ground_session.begin(rng, strict)
    return _ground_session
