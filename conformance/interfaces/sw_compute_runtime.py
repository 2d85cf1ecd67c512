"""The test interface of ``sw-compute-runtime`` and the wire helpers of its ground segment.

The product is known only through packets, as a ground segment knows it (spec ``interface``):
``send_tc`` delivers one telecommand packet, ``advance`` lets simulated time run and returns the TM
packets emitted, ``reset`` resets the payload's processor and ``set_power`` sets the power budget.
Every class needs all four operations, so :data:`CLASS_PROTOCOLS` maps each class to
:class:`SwComputeRuntimeProduct`.

Above the packet layer (CCSDS 133.0-B-2 space packets with ECSS-E-ST-70-41C PUS-C secondary
headers, built and parsed by :mod:`orbitcert.reference_impl.runtime.pus`), this module gives what a
ground segment or a vendor scripting its own tests needs, written from the spec's tables (read from
the :class:`~orbitcert.specs.Spec` object, never re-typed): :class:`Wire` builds the application
data of every telecommand of parameter ``tc_layouts`` and decodes the source data of every TM of
parameter ``tm_layouts`` (housekeeping values by a structure's parameter list and parameter
``hk_parameters``, event auxiliary data by parameter ``events``); :func:`request_id` is the
request ID of parameter ``request_id`` (ECSS-E-ST-70-41C 6.1.2, 5.4.11.2.1); :func:`workload_digest`,
:func:`job_input` and :func:`workload_result` give a job's manifest digest, input and expected
result from parameters ``workloads`` and ``job_input`` with hashlib (FIPS 180-4 SHA-256, FIPS 202
SHAKE128/SHAKE256) and numpy (matmul-u32 modulo 2^32 in exact integer arithmetic).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CLASS_PROTOCOLS",
    "FIXED_SIZES",
    "SwComputeRuntimeProduct",
    "Wire",
    "WireError",
    "job_input",
    "matmul_u32",
    "pec",
    "request_id",
    "workload_digest",
    "workload_result",
]


@runtime_checkable
class SwComputeRuntimeProduct(Protocol):
    """An on-board compute runtime behind its test port (every class of ``sw-compute-runtime``)."""

    def send_tc(self, packet: bytes) -> None:
        """Deliver one telecommand packet (any octets; the product rejects what is not valid)."""
        ...

    def advance(self, seconds: float) -> list[bytes]:
        """Let simulated time run; every TM packet emitted since the previous advance, in order."""
        ...

    def reset(self, kind: str) -> None:
        """Reset the processor: ``watchdog``, ``latchup`` or ``power``."""
        ...

    def set_power(self, budget_w: float) -> None:
        """Set the power budget (W) granted from now on."""
        ...


#: Every class of ``sw-compute-runtime`` needs the four operations.
CLASS_PROTOCOLS: dict[str, type] = {
    cls: SwComputeRuntimeProduct for cls in ("verification", "housekeeping", "events", "test", "jobs", "resilience")
}


class WireError(ValueError):
    """Application data that does not fit its layout (or a value that does not fit its type)."""


#: Octets of the fixed-size field types of parameters tc_layouts / tm_layouts / hk_parameters.
FIXED_SIZES: dict[str, int] = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "i16": 2, "octets4": 4, "octets32": 32}


def request_id(packet: bytes) -> bytes:
    """The request ID of a telecommand (parameter request_id): its first 4 octets as received,
    zero-padded when fewer were received (ECSS-E-ST-70-41C 5.4.11.2.1)."""
    return bytes(packet[:4]).ljust(4, b"\0")


def pec(data: bytes) -> int:
    """The packet error control of ``data`` (parameter packet_conventions; ECSS-E-ST-70-41C 7.4.4,
    Annex B): CRC-16, polynomial 0x1021, register preset 0xFFFF, no reflection, no final XOR
    (the CRC-16/CCITT-FALSE of the CRC catalogues, check value 0x29B1 for ``b"123456789"``)."""
    crc = 0xFFFF
    for octet in bytes(data):
        crc ^= octet << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def workload_digest(name: str) -> bytes:
    """The digest identifying a workload: SHA-256 of ``"orbitcert-workload:" + name`` (parameter
    workloads; FIPS 180-4)."""
    return hashlib.sha256(("orbitcert-workload:" + name).encode("utf-8")).digest()


def job_input(seed: int, size: int) -> bytes:
    """A job's input (parameter job_input): the first ``size`` octets of SHAKE128 (FIPS 202) of
    ``seed`` as 8 octets big-endian."""
    return hashlib.shake_128(int(seed).to_bytes(8, "big")).digest(int(size))


def matmul_u32(a: Any, b: Any) -> Any:
    """C = A B modulo 2^32 of two n x n uint32 matrices, exactly: A = 2^16 A_h + A_l, so
    C = A_l B + 2^16 (A_h B) mod 2^32 with B split likewise; every partial product of 16-bit by
    16-bit halves summed over n <= 2^16 terms fits a uint64, so no float BLAS is involved."""
    import numpy as np

    a64 = np.asarray(a, dtype=np.uint64)
    b64 = np.asarray(b, dtype=np.uint64)
    lo, hi = np.uint64(0xFFFF), np.uint64(16)
    al, ah = a64 & lo, a64 >> hi
    bl, bh = b64 & lo, b64 >> hi
    mask = np.uint64(0xFFFFFFFF)
    ll = (al @ bl) & mask
    cross = ((ah @ bl) + (al @ bh)) & np.uint64(0xFFFF)
    return ((ll + (cross << hi)) & mask).astype(np.uint32)


def workload_result(name: str, data: bytes) -> bytes:
    """The result parameter workloads defines for workload ``name`` and input ``data``:
    ``sha256`` SHA-256 (32 octets); ``shake256-expand`` the first len(data) octets of SHAKE256;
    ``matmul-u32`` C = A B mod 2^32 of the n x n big-endian u32 matrices A then B in ``data``."""
    if name == "sha256":
        return hashlib.sha256(data).digest()
    if name == "shake256-expand":
        return hashlib.shake_256(data).digest(len(data))
    if name == "matmul-u32":
        import numpy as np

        n = matmul_dimension(len(data))
        if n is None:
            raise WireError(f"matmul-u32 input of {len(data)} octets is not 8 n^2 with 1 <= n <= 256")
        m = np.frombuffer(data, dtype=">u4").astype(np.uint32)
        c = matmul_u32(m[: n * n].reshape(n, n), m[n * n :].reshape(n, n))
        return bytes(c.astype(">u4").tobytes())
    raise WireError(f"unknown workload {name!r}")


def matmul_dimension(size: int) -> int | None:
    """n when ``size`` is 8 n^2 octets with 1 <= n <= 256 (the matmul-u32 input), else None."""
    if size <= 0 or size % 8:
        return None
    n = int(round((size // 8) ** 0.5))
    return n if n * n * 8 == size and 1 <= n <= 256 else None


def _encode(kind: str, value: Any) -> bytes:
    if kind in ("u8", "u16", "u32", "u64"):
        size = FIXED_SIZES[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << (8 * size):
            raise WireError(f"{value!r} does not fit {kind}")
        return value.to_bytes(size, "big")
    if kind == "i16":
        if isinstance(value, bool) or not isinstance(value, int) or not -(1 << 15) <= value < 1 << 15:
            raise WireError(f"{value!r} does not fit i16")
        return value.to_bytes(2, "big", signed=True)
    if kind in ("octets4", "octets32"):
        if not isinstance(value, bytes | bytearray) or len(value) != FIXED_SIZES[kind]:
            raise WireError(f"{kind}: expected {FIXED_SIZES[kind]} octets, got {value!r}")
        return bytes(value)
    if kind == "u16list":
        values = list(value)
        if len(values) > 0xFFFF:
            raise WireError(f"u16list of {len(values)} entries")
        return _encode("u16", len(values)) + b"".join(_encode("u16", int(v)) for v in values)
    if kind == "rest":
        return bytes(value)
    raise WireError(f"unknown field type {kind!r}")


class _Reader:
    """Reads typed big-endian fields from source data; raises :class:`WireError` past the end."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = bytes(data), 0, what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise WireError(
                f"{self.what}: {len(self.data)} octets of source data end before the field at octet {self.pos} "
                f"({n} octets)"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def read(self, kind: str) -> Any:
        if kind in ("u8", "u16", "u32", "u64"):
            return int.from_bytes(self.take(FIXED_SIZES[kind]), "big")
        if kind == "i16":
            return int.from_bytes(self.take(2), "big", signed=True)
        if kind in ("octets4", "octets32"):
            return self.take(FIXED_SIZES[kind])
        if kind == "u16list":
            n = self.read("u16")
            return [self.read("u16") for _ in range(n)]
        if kind == "rest":
            return self.take(len(self.data) - self.pos)
        raise WireError(f"unknown field type {kind!r}")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise WireError(f"{self.what}: {len(self.data) - self.pos} octets left after the last field")


@dataclass(frozen=True)
class TcLayout:
    """One row of parameter tc_layouts: service, subtype, name and (field, type, range) triples."""

    service: int
    subtype: int
    name: str
    fields: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class EventDef:
    """One row of parameter events."""

    id: int
    name: str
    severity: int
    aux: tuple[tuple[str, str], ...]


class Wire:
    """Application data of the telecommands and source data of the TMs of one spec version,
    from its parameters tc_layouts, tm_layouts, hk_parameters, events, workloads."""

    def __init__(self, spec: Any) -> None:
        self.tc_layouts: dict[tuple[int, int], TcLayout] = {}
        for row in spec.parameter("tc_layouts"):
            fields = tuple((str(f[0]), str(f[1]), str(f[2]) if len(f) > 2 else "") for f in row["fields"])
            lay = TcLayout(int(row["service"]), int(row["subtype"]), str(row["name"]), fields)
            self.tc_layouts[(lay.service, lay.subtype)] = lay
        self.tc_by_name: dict[str, TcLayout] = {lay.name: lay for lay in self.tc_layouts.values()}
        self.tm_layouts: dict[tuple[int, int], tuple[str, tuple[tuple[str, str], ...]]] = {
            (int(r["service"]), int(r["subtype"])): (str(r["name"]), tuple((str(f[0]), str(f[1])) for f in r["fields"]))
            for r in spec.parameter("tm_layouts")
        }
        self.hk_parameters: dict[int, tuple[str, str]] = {
            int(p["id"]): (str(p["name"]), str(p["type"])) for p in spec.parameter("hk_parameters")
        }
        self.hk_ids: dict[str, int] = {name: pid for pid, (name, _) in self.hk_parameters.items()}
        self.events: dict[int, EventDef] = {
            int(e["id"]): EventDef(
                int(e["id"]), str(e["name"]), int(e["severity"]), tuple((str(a[0]), str(a[1])) for a in e["aux"])
            )
            for e in spec.parameter("events")
        }
        self.event_ids: dict[str, int] = {e.name: e.id for e in self.events.values()}
        self.workloads: dict[str, bytes] = {}
        for w in spec.parameter("workloads"):
            self.workloads[str(w["name"])] = bytes.fromhex(str(w["digest"]))
        self.workload_names: dict[bytes, str] = {d: n for n, d in self.workloads.items()}
        self.tc_services: frozenset[int] = frozenset(s for s, _ in self.tc_layouts)

    # ---- telecommands -------------------------------------------------------------------------------
    def tc_app_data(self, name: str, **values: Any) -> bytes:
        """The application data of telecommand ``name`` (parameter tc_layouts) from its field
        values. Only the types are checked, not the ranges: a suite sends out-of-range values
        on purpose."""
        lay = self.tc_by_name.get(name)
        if lay is None:
            raise WireError(f"no telecommand {name!r} in tc_layouts")
        names = [f[0] for f in lay.fields]
        if set(values) != set(names):
            raise WireError(f"{name}: fields {sorted(values)} given, the layout has {names}")
        out = b""
        for fname, kind, _ in lay.fields:
            try:
                out += _encode(kind, values[fname])
            except WireError as exc:
                raise WireError(f"{name}.{fname}: {exc}") from None
        return out

    def tc_key(self, name: str) -> tuple[int, int]:
        """(service, subtype) of telecommand ``name``."""
        lay = self.tc_by_name[name]
        return lay.service, lay.subtype

    # ---- telemetry ----------------------------------------------------------------------------------
    def decode_hk_values(self, data: bytes, parameters: Sequence[int], what: str = "TM[3,25]") -> list[tuple[int, Any]]:
        """(parameter id, value) of housekeeping values laid out by a structure's ``parameters``."""
        r = _Reader(data, what)
        out: list[tuple[int, Any]] = []
        for pid in parameters:
            if pid not in self.hk_parameters:
                raise WireError(f"{what}: structure parameter {pid} is not in hk_parameters")
            out.append((pid, r.read(self.hk_parameters[pid][1])))
        r.end()
        return out

    def decode_tm(
        self, service: int, subtype: int, data: bytes, structures: Mapping[int, Sequence[int]] | None = None
    ) -> dict[str, Any]:
        """The fields of the source data of TM[service,subtype] (parameter tm_layouts); raises
        :class:`WireError` when it does not fit. A housekeeping report is decoded with the
        parameter list of its structure in ``structures`` (sid -> parameter ids): field ``values``
        maps parameter names to values, ``ordered`` lists (id, value). An event report's aux
        fields (parameter events) are merged into the result."""
        key = (service, subtype)
        what = f"TM[{service},{subtype}]"
        if key not in self.tm_layouts:
            raise WireError(f"{what} is not a TM of tm_layouts")
        r = _Reader(data, what)
        if key == (3, 25):
            sid = r.read("u16")
            params = (structures or {}).get(sid)
            if params is None:
                raise WireError(f"{what} of structure {sid}, which is not a structure the ground defined")
            ordered = self.decode_hk_values(r.read("rest"), params, f"{what} sid {sid}")
            return {"sid": sid, "ordered": ordered, "values": {self.hk_parameters[p][0]: v for p, v in ordered}}
        if service == 5 and subtype in (1, 2, 3, 4):
            eid = r.read("u16")
            ev = self.events.get(eid)
            if ev is None:
                raise WireError(f"{what}: event id {eid} is not in parameter events")
            out: dict[str, Any] = {"event_id": eid, "event": ev.name}
            for fname, kind in ev.aux:
                out[fname] = r.read(kind)
            r.end()
            return out
        if key == (128, 6):
            count = r.read("u16")
            jobs = [(r.read("u32"), r.read("u8")) for _ in range(count)]
            r.end()
            return {"count": count, "jobs": jobs}
        result: dict[str, Any] = {}
        for fname, kind in self.tm_layouts[key][1]:
            result[fname] = r.read(kind)
        r.end()
        return result
