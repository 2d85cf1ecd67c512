"""Soak test of the reference runtime (``orbitcert.reference_impl.runtime.iut``): 10^5 telecommands
and 10^4 jobs with random resets, seeded (numpy ``SeedSequence``), under ``tracemalloc``.

Checks (SWR-RES-001, SWR-JOB-002, SWR-JOB-004, SWR-VER-003/004):

* nothing is lost: every accepted job (its TM[1,1], no TM[1,2]) is reported terminal by its events
  or is still in ``rt.tracked_jobs()``, through about 30 watchdog, latch-up and power resets; the
  job states the events give agree with ``tracked_jobs()`` at the end of every round; every TC
  gets its TM[1,1] or TM[1,2] (garbage its TM[1,2]);
* every completed result is correct for a seeded sample of about 1000 jobs plus every DMR and TMR
  job: retrieved with TC[128,9] and compared with the workload computed here (``hashlib``
  SHA-256 / SHAKE (FIPS 180-4, FIPS 202) and a brute-force integer matrix product);
* memory stays flat: jobs are deleted as soon as they are terminal (and checked), so the runtime's
  state is bounded by its configuration; the traced size (``tracemalloc``) after a warm-up of 10 %
  of the rounds and at the end must differ by less than :data:`GROWTH_BOUND` (see there).

It prints TCs/s, jobs/s (wall time, ``tracemalloc`` on: it slows Python down about 2x), the traced
sizes and the peak. Marked slow: run with ``-m slow``.
"""

from __future__ import annotations

import struct
import time
import tracemalloc

import numpy as np
import pytest

from orbitcert.reference_impl.runtime import pus
from orbitcert.reference_impl.runtime.iut import create

SEED = 20261126
TCS = 100_000
JOBS = 10_000
#: Allowed growth of the traced size between the end of the warm-up and the end (octets). After the
#: warm-up the remaining ~9e4 TCs and ~9e3 jobs would leak at least 9e4 x 22 octets (2 MB) if
#: every TC left one TM-sized object behind, and 9e3 x (32-octet result + manifest, > 150 octets)
#: (1.35 MB) if every job left its record or result; a 512 KiB bound catches either, while
#: leaving room for bounded things that legitimately settle later (free lists, the interpreter's
#: small-int and string caches, dict resizes of the <= 256-entry job table).
GROWTH_BOUND = 512 * 1024

from runtime_oracles import DIGEST, ERROR, EVENT, PROTECTION, STATE_NAME, TERMINAL, expected_result  # noqa: E402
from runtime_oracles import tc_packet as tc  # noqa: E402

EVENT_NAME = {i: e["name"] for i, e in EVENT.items()}


class Soak:
    def __init__(self) -> None:
        self.rt = create()
        self.seq = 0
        self.tcs = 0
        self.now = 0.0
        # per job id (1..JOBS), preallocated so that the bookkeeping does not grow after warm-up
        self.state = np.full(JOBS + 1, -1, dtype=np.int8)  # -1 unknown / not accepted, else state code
        self.deleted = np.zeros(JOBS + 1, dtype=bool)
        self.accepted = np.zeros(JOBS + 1, dtype=bool)
        self.check = np.zeros(JOBS + 1, dtype=bool)
        self.checked = 0
        self.manifest: dict[int, tuple[str, int, int]] = {}  # jobs in flight that will be checked
        self.retrieve_queue: list[int] = []
        self.delete_queue: list[int] = []
        self.resets = 0
        self.last_ack: pus.PusTm | None = None

    def send(self, packet: bytes) -> list[pus.PusTm]:
        """Send one TC, collect what it causes; exactly one TM[1,1] or TM[1,2] for it."""
        self.rt.send_tc(packet)
        self.tcs += 1
        self.seq = (self.seq + 1) % 16384
        tms = self.process(self.rt.advance(0.0))
        rid = (packet[:4] + bytes(4))[:4]
        acks = [t for t in tms if t.service == 1 and t.subtype in (1, 2) and t.source_data[:4] == rid]
        assert len(acks) == 1, (packet.hex(), [(t.service, t.subtype) for t in tms])
        self.last_ack = acks[0]
        return tms

    def process(self, raws: list[bytes]) -> list[pus.PusTm]:
        tms = [pus.parse_tm(raw) for raw in raws]
        for t in tms:
            if t.service == 5 and t.subtype <= 4:
                (event_id,) = struct.unpack_from(">H", t.source_data)
                name = EVENT_NAME[event_id]
                if name.startswith("job_"):
                    job_id, old, new, _reason = struct.unpack_from(">IBBH", t.source_data, 2)
                    assert self.accepted[job_id]
                    assert old == 255 or int(self.state[job_id]) == old, (job_id, old, new, self.state[job_id])
                    self.state[job_id] = new
                    if STATE_NAME[new] in TERMINAL:
                        (
                            self.retrieve_queue
                            if STATE_NAME[new] == "completed" and self.check[job_id]
                            else self.delete_queue
                        ).append(job_id)
            elif t.service == 1 and t.subtype == 8:
                pass  # failure of a job's execution: its event says which
        return tms

    def submit(self, job_id: int, rng: np.random.Generator) -> None:
        kind = rng.random()
        if kind < 0.7:
            workload, size = "sha256", int(rng.integers(16, 2049))
        elif kind < 0.9:
            workload, size = "shake256-expand", int(rng.integers(16, 1025))
        else:
            n = int(rng.integers(1, 5))
            workload, size = "matmul-u32", 8 * n * n
        modes = ["none", "dmr", "tmr"] + (["abft"] if workload == "matmul-u32" else [])
        protection = modes[int(rng.integers(0, len(modes)))]
        seed = int(rng.integers(0, 2**63))
        app = struct.pack(
            ">I32sQIBIIB", job_id, DIGEST[workload], seed, size, int(rng.integers(0, 256)), 0, 0, PROTECTION[protection]
        )
        self.accepted[job_id] = True  # before its events arrive (it may run at once)
        self.send(tc(self.seq, 128, 1, app))
        assert self.last_ack is not None and self.last_ack.subtype == 1, self.last_ack
        if protection in ("dmr", "tmr") or rng.random() < 0.1:
            self.check[job_id] = True
            self.manifest[job_id] = (workload, seed, size)

    def drain(self) -> None:
        """Retrieve (and check) then delete the terminal jobs."""
        while self.retrieve_queue:
            job_id = self.retrieve_queue.pop()
            tms = self.send(tc(self.seq, 128, 9, struct.pack(">IIH", job_id, 0, 4096)))
            (chunk,) = [t for t in tms if (t.service, t.subtype) == (128, 10)]
            jid, offset, total = struct.unpack_from(">III", chunk.source_data)
            want = expected_result(*self.manifest.pop(job_id))
            assert (jid, offset, total) == (job_id, 0, len(want)) and chunk.source_data[12:] == want, job_id
            self.checked += 1
            self.delete_queue.append(job_id)
        while self.delete_queue:
            job_id = self.delete_queue.pop()
            self.send(tc(self.seq, 128, 11, struct.pack(">I", job_id)))
            assert self.last_ack is not None and self.last_ack.subtype == 1
            self.deleted[job_id] = True
            self.manifest.pop(job_id, None)

    def agree(self) -> None:
        """SWR-RES-001: every accepted, undeleted job is tracked, in the state its events say."""
        tracked = self.rt.tracked_jobs()
        live = np.flatnonzero(self.accepted & ~self.deleted)
        assert len(tracked) == len(live)
        for job_id in live.tolist():
            assert tracked[job_id] == STATE_NAME[int(self.state[job_id])], (job_id, tracked.get(job_id))


@pytest.mark.slow
def test_soak_1e5_tcs_1e4_jobs_with_resets() -> None:
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 11]))
    tracemalloc.start()
    soak = Soak()
    rounds = JOBS
    others = (TCS - 2.5 * JOBS) / JOBS  # each job costs about 2.5 TCs (submit, delete, some retrieves)
    garbage = rng.integers(0, 256, size=(64, 20), dtype=np.uint8)
    baseline = 0
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for r in range(1, rounds + 1):
        soak.submit(r, rng)
        if rng.random() < 0.01:  # cancel right away (accepted: still queued or running)
            soak.send(tc(soak.seq, 128, 7, struct.pack(">I", r)))
        for _ in range(int(rng.poisson(others))):
            pick = rng.random()
            live = r - int(rng.integers(0, 4))
            if pick < 0.35:
                soak.send(tc(soak.seq, 17, 1, ack=0b1111))
            elif pick < 0.6:
                soak.send(tc(soak.seq, 128, 3, struct.pack(">I", max(live, 1))))
            elif pick < 0.7:
                soak.send(tc(soak.seq, 128, 5))
            elif pick < 0.8:
                soak.send(tc(soak.seq, 3, 27, struct.pack(">HH", 1, 1)))
            elif pick < 0.9:
                soak.send(tc(soak.seq, 5, 7))
            else:  # garbage and corrupted packets: TM[1,2]
                if rng.random() < 0.5:
                    soak.send(garbage[int(rng.integers(0, 64))].tobytes())
                else:
                    bad = bytearray(tc(soak.seq, 17, 1))
                    bad[int(rng.integers(6, len(bad)))] ^= 0x20
                    soak.send(bytes(bad))
                    assert soak.last_ack is not None and soak.last_ack.subtype == 2
                    assert struct.unpack_from(">H", soak.last_ack.source_data, 4)[0] == ERROR["checksum"]
        step = float(rng.exponential(0.004))
        soak.process(soak.rt.advance(step))
        soak.now += step
        if rng.random() < 0.003:
            kind = ("watchdog", "latchup", "power")[int(rng.integers(0, 3))]
            soak.rt.reset(kind)
            soak.resets += 1
            soak.process(soak.rt.advance(0.0))
        soak.drain()
        if r % 50 == 0:
            soak.agree()
        if r == rounds // 10:
            baseline = tracemalloc.get_traced_memory()[0]
    for _ in range(200):  # let every job finish
        soak.process(soak.rt.advance(0.05))
        soak.drain()
        if not soak.rt.tracked_jobs():
            break
    soak.agree()
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    final, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    lost = np.flatnonzero(soak.accepted & ~soak.deleted)
    assert lost.size == 0, f"jobs neither terminal nor deleted: {lost[:10]}"
    assert int(soak.accepted.sum()) == JOBS
    assert not soak.manifest and soak.checked >= 1000
    print(
        f"\nsoak: {soak.tcs:,} TCs, {JOBS:,} jobs, {soak.resets} resets, {soak.now:.1f} s simulated, "
        f"{soak.checked:,} results checked; {wall:.1f} s wall, {cpu:.1f} s CPU (tracemalloc on): "
        f"{soak.tcs / wall:,.0f} TCs/s, {JOBS / wall:,.0f} jobs/s; traced {baseline / 2**20:.2f} MB after "
        f"warm-up, {final / 2**20:.2f} MB at the end (growth {(final - baseline) / 1024:+.1f} KiB), "
        f"peak {peak / 2**20:.2f} MB"
    )
    assert soak.tcs >= TCS * 0.95
    assert soak.resets >= 10
    assert final - baseline < GROWTH_BOUND, (baseline, final)
