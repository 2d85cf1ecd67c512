"""The test interface of ``hw-compute-module``, as :class:`typing.Protocol` classes, one per class.

The module's test port (spec ``interface``): memory and register access, simulated time and
FIES-style fault injection. Classes share operations (``power_cycle``, ``advance``, ``reg_read``
...): each class's Protocol lists every operation that class needs, so a product claiming some
classes type-checks against exactly those. See the spec page for the JSON Schemas the bridge checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypedDict, runtime_checkable


class MemoryRead(TypedDict):
    """Result of ``mem_read``: the data (8 octets per word, big-endian) and the word offsets read
    with a corrected and with an uncorrectable error."""

    data: bytes
    corrected: list[int]
    uncorrectable: list[int]


class FaultDescriptor(TypedDict):
    """One fault of ``inject`` (FIES-style: component, target, type, mode, trigger, address, mask)."""

    component: str
    """``memory``, ``config`` or ``power``."""
    target: str
    type: str
    """``transient``, ``permanent`` or ``intermittent``."""
    mode: str
    """``flip``, ``stuck-at-0`` or ``stuck-at-1``."""
    time_s: float
    address: int
    mask: bytes
    period_s: float
    duration_s: float


class Event(TypedDict):
    time_s: float
    kind: str
    """``latchup-detected``, ``power-cycled``, ``reset`` or ``safe-state``."""
    domain: str | None


class AbftResult(TypedDict):
    c: bytes
    detected: bool
    row: int | None
    col: int | None
    corrected: bool


class _Port(Protocol):
    def power_cycle(self) -> float: ...

    def advance(self, seconds: float) -> float: ...

    def reg_read(self, name: str) -> int: ...

    def reg_write(self, name: str, value: int) -> None: ...


class _Memory(_Port, Protocol):
    def mem_write(self, address: int, data: bytes) -> int: ...

    def mem_read(self, address: int, count: int) -> MemoryRead: ...

    def mem_read_raw(self, address: int, count: int) -> bytes: ...

    def inject(self, faults: Sequence[FaultDescriptor]) -> int: ...


@runtime_checkable
class HwMemoryEdacProduct(_Memory, Protocol):
    """Class ``memory-edac``: SEC-DED memory, EDAC registers, TMR configuration register."""


@runtime_checkable
class HwScrubbingProduct(_Memory, Protocol):
    """Class ``scrubbing``: the memory scrubber, driven by simulated time."""


@runtime_checkable
class HwWatchdogProduct(_Port, Protocol):
    """Class ``watchdog``: watchdog, reset cause and reset-loop safe state, through registers."""


@runtime_checkable
class HwLatchupProduct(_Port, Protocol):
    """Class ``latchup``: latch-up injection (``inject`` with component power) and the event log."""

    def inject(self, faults: Sequence[FaultDescriptor]) -> int: ...

    def event_log(self) -> list[Event]: ...


@runtime_checkable
class HwComputeIntegrityProduct(Protocol):
    """Class ``compute-integrity``: matrix multiplication with Huang-Abraham checksums."""

    def abft_matmul(self, a: bytes, b: bytes, rows: int, inner: int, cols: int) -> AbftResult: ...

    def abft_verify(self, a: bytes, b: bytes, c: bytes, rows: int, inner: int, cols: int) -> AbftResult: ...


@runtime_checkable
class HwComputeModuleProduct(
    HwMemoryEdacProduct, HwLatchupProduct, HwComputeIntegrityProduct, Protocol
):
    """A product claiming every class of ``hw-compute-module`` (``radiation`` has no operation)."""


#: The Protocol of each class of ``hw-compute-module`` (``radiation`` is verified by analysis).
CLASS_PROTOCOLS: dict[str, type] = {
    "memory-edac": HwMemoryEdacProduct,
    "scrubbing": HwScrubbingProduct,
    "watchdog": HwWatchdogProduct,
    "latchup": HwLatchupProduct,
    "compute-integrity": HwComputeIntegrityProduct,
}


# --- wire values: fault descriptors, masks, words and the declared code's check bits -----------
# Used by the suite and by vendors scripting their own tests against the same port. numpy is
# imported inside the functions: importing this module stays cheap.


def fault(
    component: str,
    target: str,
    address: int = 0,
    mask: bytes = b"",
    *,
    type: str = "transient",  # noqa: A002 - the descriptor's field name
    mode: str = "flip",
    time_s: float = 0.0,
    period_s: float = 0.0,
    duration_s: float = 0.0,
) -> FaultDescriptor:
    """One FIES-style fault descriptor of the spec's ``inject`` operation (FIES 2015)."""
    return {
        "component": component, "target": target, "type": type, "mode": mode, "time_s": float(time_s),
        "address": int(address), "mask": mask, "period_s": float(period_s), "duration_s": float(duration_s),
    }


def bit_masks(patterns: Sequence[Sequence[int]]) -> tuple[Any, Any]:
    """(uint64 data masks, uint8 check masks) of per-word error patterns given as lists of
    codeword bits (parameter codeword_layout: bit b < 64 is data bit b, 64 + j is check bit j);
    a bit listed twice cancels (the pattern is the XOR of the flips)."""
    import numpy as np

    dm = np.zeros(len(patterns), dtype=np.uint64)
    cm = np.zeros(len(patterns), dtype=np.uint8)
    for i, pattern in enumerate(patterns):
        for b in pattern:
            if not 0 <= int(b) < 72:
                raise ValueError(f"codeword bit {b} is outside 0..71")
            if b < 64:
                dm[i] ^= np.uint64(1) << np.uint64(b)
            else:
                cm[i] ^= np.uint8(1 << (b - 64))
    return dm, cm


def codeword_mask(bits: Sequence[int]) -> bytes:
    """The 9-octet mask of the given codeword bits (data word big-endian, then the check octet)."""
    dm, cm = bit_masks([bits])
    return int(dm[0]).to_bytes(8, "big") + bytes([int(cm[0])])


def memory_fault(address: int, bits: Sequence[int], **kw: Any) -> FaultDescriptor:
    """A memory fault on the given codeword bits of one word (a time_s of 0 applies at once)."""
    return fault("memory", "memory", address, codeword_mask(bits), **kw)


def power_fault(domain: str, time_s: float) -> FaultDescriptor:
    """A latch-up of ``domain`` from ``time_s`` until the domain is power-cycled."""
    return fault("power", domain, type="permanent", time_s=time_s)


def words_to_bytes(words: Any) -> bytes:
    """64-bit words as the octets of ``mem_write`` (8 per word, big-endian)."""
    import numpy as np

    return bytes(np.asarray(words, dtype=np.uint64).astype(">u8").tobytes())


def random_words(rng: Any, n: int) -> Any:
    """``n`` uniformly random 64-bit words (uint64) from the numpy Generator ``rng``."""
    import numpy as np

    return rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


def check_bits(words: Any, data_columns: Sequence[int]) -> Any:
    """Check octets c = H_d d of uint64 ``words`` from the code's data columns alone (parameter
    edac_codes; Hsiao 1970: check bit c_j is the parity of the data bits whose column has bit j
    set) -- the suite's known answer, independent of any decoder."""
    import numpy as np

    w = np.asarray(words, dtype=np.uint64)
    out = np.zeros(w.shape, dtype=np.uint8)
    for j in range(8):
        row = sum(1 << b for b, col in enumerate(data_columns) if (int(col) >> j) & 1)
        out |= ((np.bitwise_count(w & np.uint64(row)) & 1).astype(np.uint8) << np.uint8(j)).astype(np.uint8)
    return out
