"""Throughput of the reference on-board compute runtime (sw-compute-runtime, ECSS PUS-C over CCSDS
space packets) and of its packet layer against spacepackets.

Run: ``python benchmarks/bench_runtime.py [--tcs 20000] [--jobs 2000] [--repeat 5]``.

End to end (``orbitcert.reference_impl.runtime.iut.create()``, the reference ICS: APID 100, two
compute slots of 1 MB/s), TC in and every TM it causes out:

* TC[17,1] with all four acknowledgement flags, one ``send_tc`` + ``advance(0)`` per TC (4 TMs
  each: TM[1,1], TM[1,3], TM[17,2], TM[1,7]), and the same TCs sent in groups of 1000 per advance;
* a mixed load (seeded): pings, job queries, job lists (50 jobs), one-shot housekeeping, disabled
  event reports, 32-octet result retrievals, garbage and corrupted packets (TM[1,2]);
* jobs through submit - run - retrieve - delete: sha256 jobs of 1 KiB input in groups of 200
  (the runtime tracks 256), ``advance`` until they are done, TC[128,9] of the 32-octet result,
  TC[128,11]; every result is checked against ``hashlib.sha256`` of the job's input (SHAKE128 of
  its seed, spec parameter ``job_input``) after the timing.

Packet layer, peer side by side: building a TC[128,1] (58 octets of application data) and parsing
a TM[128,4] (21 octets of source data, CDS time) -- the ground's side -- and parsing that TC and
building that TM -- the runtime's side -- with ``orbitcert.reference_impl.runtime.pus`` and with
``spacepackets`` 0.32 (``PusTc(...).pack()``, ``PusTm.unpack(raw, timestamp_len=7)``,
``PusTc.unpack``, ``PusTm(...).pack()``); the octets built and the fields parsed are checked equal
before a number is printed.

Times are CPU seconds (``time.process_time``), the median of ``--repeat`` runs, single thread;
the ratio column is pus.py / spacepackets.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before numpy is imported

import argparse  # noqa: E402
import binascii  # noqa: E402
import hashlib  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from _common import cpu_median, print_table  # noqa: E402
from orbitcert.reference_impl.runtime import pus  # noqa: E402
from orbitcert.reference_impl.runtime.iut import create  # noqa: E402

SEED = 20261126
APID = 100
SHA256_DIGEST = hashlib.sha256(b"orbitcert-workload:sha256").digest()  # spec parameter workloads


def tc(seq: int, service: int, subtype: int, app: bytes = b"", ack: int = 0b1111) -> bytes:
    """A PUS-C TC built by hand (CRC-16-CCITT preset 0xFFFF, ECSS-E-ST-70-41C Annex B)."""
    body = struct.pack(">BBBH", 0x20 | ack, service, subtype, 1) + app
    packet = struct.pack(">HHH", 0x1800 | APID, 0xC000 | (seq % 16384), len(body) + 1) + body
    return packet + struct.pack(">H", binascii.crc_hqx(packet, 0xFFFF))


def submit_app(job_id: int, seed: int, size: int) -> bytes:
    return struct.pack(">I32sQIBIIB", job_id, SHA256_DIGEST, seed, size, 0, 0, 0, 0)


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# ------------------------------------------------------------------------------------------------
# End to end
# ------------------------------------------------------------------------------------------------


def bench_ping(count: int, repeat: int) -> list[tuple[str, float, int]]:
    packets = [tc(i, 17, 1) for i in range(count)]

    def one_by_one() -> int:
        rt = create()
        rt.advance(0.0)
        tms = 0
        for p in packets:
            rt.send_tc(p)
            tms += len(rt.advance(0.0))
        return tms

    def grouped() -> int:
        rt = create()
        rt.advance(0.0)
        tms = 0
        for start in range(0, count, 1000):
            for p in packets[start : start + 1000]:
                rt.send_tc(p)
            tms += len(rt.advance(0.0))
        return tms

    t1, n1 = cpu_median(one_by_one, repeat)
    t2, n2 = cpu_median(grouped, repeat)
    assert n1 == n2 == 4 * count, (n1, n2)
    return [
        ("TC[17,1] all acks, advance(0) per TC", _rate(count, t1), n1),
        ("TC[17,1] all acks, 1000 TCs per advance", _rate(count, t2), n2),
    ]


def _prepared_runtime(jobs: int) -> Any:
    """A runtime with ``jobs`` completed sha256 jobs (ids 1..jobs)."""
    rt = create()
    for j in range(1, jobs + 1):
        rt.send_tc(tc(j, 128, 1, submit_app(j, j, 64), ack=0))
    rt.advance(1.0)
    assert set(rt.tracked_jobs().values()) == {"completed"}
    return rt


def bench_mixed(count: int, repeat: int) -> tuple[str, float, int]:
    rng = np.random.default_rng(np.random.SeedSequence([SEED, 1]))
    packets: list[bytes] = []
    for i in range(count):
        pick = rng.random()
        job = int(rng.integers(1, 51))
        if pick < 0.3:
            packets.append(tc(i, 17, 1))
        elif pick < 0.5:
            packets.append(tc(i, 128, 3, struct.pack(">I", job)))
        elif pick < 0.6:
            packets.append(tc(i, 128, 5))
        elif pick < 0.7:
            packets.append(tc(i, 3, 27, struct.pack(">HH", 1, 1)))
        elif pick < 0.8:
            packets.append(tc(i, 5, 7))
        elif pick < 0.9:
            packets.append(tc(i, 128, 9, struct.pack(">IIH", job, 0, 32)))
        elif pick < 0.95:
            packets.append(rng.integers(0, 256, int(rng.integers(1, 40)), dtype=np.uint8).tobytes())
        else:
            bad = bytearray(tc(i, 17, 1))
            bad[int(rng.integers(6, len(bad)))] ^= 0x01
            packets.append(bytes(bad))

    def run() -> int:
        rt = _prepared_runtime(50)
        tms = 0
        for p in packets:
            rt.send_tc(p)
            tms += len(rt.advance(0.0))
        return tms

    t, n = cpu_median(run, repeat)
    t0, _ = cpu_median(lambda: _prepared_runtime(50), repeat)  # the preparation, subtracted
    return ("mixed load (10 kinds, garbage 10 %)", _rate(count, t - t0), n)


def bench_jobs(count: int, repeat: int) -> tuple[str, float, int]:
    group = 200
    size = 1024

    def run() -> tuple[dict[int, bytes], int]:
        rt = create()
        rt.advance(0.0)
        seq = 0
        tms = 0
        results: dict[int, bytes] = {}
        for start in range(1, count + 1, group):
            ids = range(start, min(start + group, count + 1))
            for j in ids:
                rt.send_tc(tc(seq, 128, 1, submit_app(j, j, size), ack=0b1001))
                seq += 1
            tms += len(rt.advance(0.0))
            while any(s != "completed" for s in rt.tracked_jobs().values()):
                tms += len(rt.advance(0.01))
            for j in ids:
                rt.send_tc(tc(seq, 128, 9, struct.pack(">IIH", j, 0, 4096), ack=0))
                seq += 1
            for tm in rt.advance(0.0):
                tms += 1
                if tm[7:9] == b"\x80\x0a":
                    job_id, _offset, _total = struct.unpack_from(">III", tm, 20)
                    results[job_id] = tm[32:-2]
            for j in ids:
                rt.send_tc(tc(seq, 128, 11, struct.pack(">I", j), ack=0))
                seq += 1
            tms += len(rt.advance(0.0))
            assert not rt.tracked_jobs()
        return results, tms

    t, (results, tms) = cpu_median(run, repeat)
    assert len(results) == count
    for j, result in results.items():  # checked after the timing, against hashlib
        assert result == hashlib.sha256(hashlib.shake_128(j.to_bytes(8, "big")).digest(size)).digest(), j
    return (f"jobs: submit-run-retrieve-delete, sha256 of {size} octets", _rate(count, t), tms)


# ------------------------------------------------------------------------------------------------
# Packet layer: pus.py against spacepackets
# ------------------------------------------------------------------------------------------------


def bench_packet_layer(count: int, repeat: int) -> list[tuple[str, float, float]]:
    from spacepackets.ccsds.time import CdsShortTimestamp
    from spacepackets.ecss.tc import PusTc as SpTc
    from spacepackets.ecss.tm import PusTm as SpTm

    rng = np.random.default_rng(np.random.SeedSequence([SEED, 2]))
    apps = [
        submit_app(int(rng.integers(1, 2**32)), int(rng.integers(0, 2**63)), int(rng.integers(1, 4096)))
        for _ in range(count)
    ]
    status = [rng.integers(0, 256, 21, dtype=np.uint8).tobytes() for _ in range(count)]
    tms = [
        pus.PusTm(APID, i % 16384, 128, 4, i % 65536, 7, pus.CdsTime(i % 65536, (i * 997) % 86_400_000), s).build()
        for i, s in enumerate(status)
    ]

    def ours_build() -> list[bytes]:
        return [pus.PusTc(APID, i % 16384, 128, 1, 1, 0b1111, a).build() for i, a in enumerate(apps)]

    def peer_build() -> list[bytes]:
        return [
            bytes(
                SpTc(
                    service=128,
                    message_subtype=1,
                    apid=APID,
                    seq_count=i % 16384,
                    source_id=1,
                    ack_flags=0b1111,
                    app_data=a,
                ).pack()
            )
            for i, a in enumerate(apps)
        ]

    def ours_parse() -> list[tuple[Any, ...]]:
        out = []
        for raw in tms:
            t = pus.parse_tm(raw)
            out.append(
                (t.sequence_count, t.message_counter, t.destination_id, t.time.days, t.time.ms_of_day, t.source_data)
            )
        return out

    def peer_parse() -> list[tuple[Any, ...]]:
        out = []
        for raw in tms:
            t = SpTm.unpack(raw, timestamp_len=7)
            stamp = CdsShortTimestamp.unpack(t.timestamp)
            head = t.pus_tm_sec_header
            out.append(
                (
                    t.seq_count,
                    head.message_counter,
                    head.dest_id,
                    stamp.ccsds_days,
                    stamp.ms_of_day,
                    bytes(t.source_data),
                )
            )
        return out

    tcs = ours_build()

    def ours_parse_tc() -> list[tuple[Any, ...]]:
        out = []
        for raw in tcs:
            t = pus.parse_tc(raw)
            out.append((t.sequence_count, t.service, t.subtype, t.source_id, t.ack_flags, t.app_data))
        return out

    def peer_parse_tc() -> list[tuple[Any, ...]]:
        out = []
        for raw in tcs:
            t = SpTc.unpack(raw)
            out.append(
                (
                    t.seq_count,
                    t.service,
                    t.message_subtype,
                    t.source_id,
                    t.pus_tc_sec_header.ack_flags,
                    bytes(t.app_data),
                )
            )
        return out

    def ours_build_tm() -> list[bytes]:
        return [
            pus.PusTm(APID, i % 16384, 128, 4, i % 65536, 7, pus.CdsTime(i % 65536, (i * 997) % 86_400_000), s).build()
            for i, s in enumerate(status)
        ]

    def peer_build_tm() -> list[bytes]:
        return [
            bytes(
                SpTm(
                    service=128,
                    message_subtype=4,
                    apid=APID,
                    seq_count=i % 16384,
                    message_counter=i % 65536,
                    destination_id=7,
                    source_data=s,
                    timestamp=CdsShortTimestamp(i % 65536, (i * 997) % 86_400_000).pack(),
                ).pack()
            )
            for i, s in enumerate(status)
        ]

    rows = []
    for name, ours, peer in (
        ("ground: build TC[128,1] (58-octet app data)", ours_build, peer_build),
        ("ground: parse TM[128,4] (CDS time, CRC)", ours_parse, peer_parse),
        ("on board: parse TC[128,1]", ours_parse_tc, peer_parse_tc),
        ("on board: build TM[128,4]", ours_build_tm, peer_build_tm),
    ):
        t_ours, r_ours = cpu_median(ours, repeat)
        t_peer, r_peer = cpu_median(peer, max(3, repeat))
        assert r_ours == r_peer, f"{name}: pus.py and spacepackets disagree"
        rows.append((name, _rate(count, t_ours), _rate(count, t_peer)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tcs", type=int, default=20000, help="TCs per end-to-end row and packets per peer row")
    parser.add_argument("--jobs", type=int, default=2000, help="jobs through submit-run-retrieve-delete")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (median)")
    args = parser.parse_args(argv)
    print(f"seed {SEED}; single thread; CPU time, median of {args.repeat}; numpy {np.__version__}", flush=True)

    e2e: list[tuple[str, float, int]] = bench_ping(args.tcs, args.repeat)
    e2e.append(bench_mixed(args.tcs, args.repeat))
    e2e.append(bench_jobs(args.jobs, args.repeat))
    table: list[tuple[str, ...]] = [("end to end (reference runtime)", "per CPU second", "TMs out")]
    for name, rate, tms in e2e:
        unit = "jobs" if name.startswith("jobs") else "TCs"
        table.append((name, f"{rate:,.0f} {unit}", f"{tms:,}"))
    print_table(table)

    rows = bench_packet_layer(args.tcs, args.repeat)
    peer_table: list[tuple[str, ...]] = [
        ("packet layer", "pus.py /s", "spacepackets /s", "pus.py us", "spacepackets us", "ratio")
    ]
    for name, ours, peer in rows:
        peer_table.append(
            (name, f"{ours:,.0f}", f"{peer:,.0f}", f"{1e6 / ours:.2f}", f"{1e6 / peer:.2f}", f"{ours / peer:.2f}x")
        )
    print_table(peer_table)
    print("\nJob results were checked against hashlib; spacepackets' octets and fields equal pus.py's.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
