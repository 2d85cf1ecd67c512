"""The spec's tables and independent oracles shared by orbitcert's tests of the reference runtime
(spacepackets, state machine, soak): every table read from ``sw-compute-runtime`` 1.0.0, job
results computed with hashlib and Python integers, TM source data decoded with struct from the
spec's ``tm_layouts``, TCs built by hand with binascii's CRC -- nothing from the reference.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import math
import struct
from typing import Any

from orbitcert.specs.loader import load_ref

SPEC = load_ref("sw-compute-runtime@1.0.0").spec
PARAM: dict[str, Any] = {name: p.value for name, p in SPEC.parameters.items()}
ERROR: dict[str, int] = PARAM["error_codes"]
STATE_CODE: dict[str, int] = PARAM["job_states"]["codes"]
STATE_NAME = {v: k for k, v in STATE_CODE.items()}
TERMINAL = set(PARAM["job_states"]["terminal"])
TRANSITIONS: dict[str, list[str]] = PARAM["job_states"]["transitions"]
REASON: dict[str, int] = PARAM["job_reasons"]
EVENT = {e["id"]: e for e in PARAM["events"]}
EVENT_ID = {e["name"]: e["id"] for e in PARAM["events"]}
HK_PARAM = {p["id"]: p for p in PARAM["hk_parameters"]}
HK_NAME = {p["name"]: p["id"] for p in PARAM["hk_parameters"]}
HEALTH_SID: int = PARAM["health_structure"]["sid"]
HEALTH: list[int] = PARAM["health_structure"]["parameters"]
HK_LIMITS: dict[str, int] = PARAM["hk_limits"]
TM_LAYOUT = {(t["service"], t["subtype"]): t for t in PARAM["tm_layouts"]}
TC_LAYOUT = {(t["service"], t["subtype"]): t for t in PARAM["tc_layouts"]}
WORKLOAD = {w["name"]: w for w in PARAM["workloads"]}
DIGEST = {name: bytes.fromhex(w["digest"]) for name, w in WORKLOAD.items()}
PROTECTION: dict[str, int] = PARAM["protection_modes"]["codes"]
REPLICAS: dict[str, int] = PARAM["protection_modes"]["replicas"]
MAX_CHUNK: int = PARAM["max_chunk_octets"]
RESET_CAUSE: dict[str, int] = PARAM["reset_causes"]
MS_PER_DAY = 86_400_000
#: struct formats of the layout types of tc_layouts / tm_layouts / hk_parameters / events.
FMT = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "i16": "h", "octets4": "4s", "octets32": "32s"}
#: The reference ICS (reference_impl/ics/sw-compute-runtime.yaml).
APID = 100


def job_input(seed: int, size: int) -> bytes:
    """Spec parameter job_input: SHAKE128 (FIPS 202) of the seed as 8 octets big-endian."""
    return hashlib.shake_128(seed.to_bytes(8, "big")).digest(size)


@functools.lru_cache(maxsize=512)
def expected_result(workload: str, seed: int, size: int) -> bytes:
    """The result parameter workloads defines (FIPS 180-4, FIPS 202, matrix product in Python ints)."""
    data = job_input(seed, size)
    if workload == "sha256":
        return hashlib.sha256(data).digest()
    if workload == "shake256-expand":
        return hashlib.shake_256(data).digest(size)
    n = math.isqrt(size // 8)
    assert 8 * n * n == size
    words = struct.unpack(f">{2 * n * n}I", data)
    a, b = words[: n * n], words[n * n :]
    c = [sum(a[i * n + k] * b[k * n + j] for k in range(n)) % 2**32 for i in range(n) for j in range(n)]
    return struct.pack(f">{n * n}I", *c)


def u16list(values: list[int]) -> bytes:
    """A u16list of tc_layouts: the count, then the values."""
    return struct.pack(f">H{len(values)}H", len(values), *values)


def tc_packet(seq: int, service: int, subtype: int, app: bytes = b"", ack: int = 0b0001, source_id: int = 7) -> bytes:
    """A PUS-C TC built by hand (CCSDS 133.0-B-2 4.1.3, ECSS-E-ST-70-41C 7.4.3.1, CRC-16-CCITT
    preset 0xFFFF via binascii.crc_hqx), independent of pus.py."""
    body = struct.pack(">BBBH", 0x20 | ack, service, subtype, source_id) + app
    packet = struct.pack(">HHH", 0x1800 | APID, 0xC000 | seq, len(body) + 1) + body
    return packet + struct.pack(">H", binascii.crc_hqx(packet, 0xFFFF))


def decode_source(service: int, subtype: int, data: bytes, structures: dict[int, list[int]]) -> dict[str, Any]:
    """The source data as parameter tm_layouts lays it out; any missing or trailing octet fails."""
    layout = TM_LAYOUT.get((service, subtype))
    assert layout is not None, f"TM[{service},{subtype}] is not in tm_layouts"
    out: dict[str, Any] = {}
    pos = 0

    def take(fmt: str) -> Any:
        nonlocal pos
        size = struct.calcsize(">" + fmt)
        assert pos + size <= len(data), f"TM[{service},{subtype}] {data.hex()}: too short at {pos}"
        value = struct.unpack_from(">" + fmt, data, pos)[0]
        pos += size
        return value

    for name, typ in layout["fields"]:
        if typ in FMT:
            out[name] = take(FMT[typ])
        elif typ == "rest":
            out[name], pos = data[pos:], len(data)
        elif typ == "u16list":
            out[name] = [take("H") for _ in range(take("H"))]
        elif name == "values":
            assert out["sid"] in structures, f"TM[3,25] of unknown structure {out['sid']}"
            out[name] = {pid: take(FMT[HK_PARAM[pid]["type"]]) for pid in structures[out["sid"]]}
        elif name == "aux":
            event = EVENT.get(out["event_id"])
            assert event is not None and event["severity"] == subtype, (out, subtype)
            out[name] = {aux: take(FMT[t]) for aux, t in event["aux"]}
        elif name == "jobs":
            out[name] = [(take("I"), take("B")) for _ in range(out["count"])]
        else:  # pragma: no cover - a layout type this decoder does not know
            raise AssertionError(typ)
    assert pos == len(data), f"TM[{service},{subtype}] {data.hex()}: trailing octets"
    return out
