"""Simulated radiation-hardened compute module: the simulator behind the hw-compute-module reference.

The module is a discrete-event simulation in **simulated time** (no wall clock, fully
deterministic). It models the behaviours the spec ``hw-compute-module`` 1.0.0 makes normative:

* **Memory with SEC-DED EDAC** (Hsiao 1970; GR740 user's manual, FTMCTRL EDAC). Every word is
  stored as a (72,64) codeword of :mod:`.edac`; reads decode, correct single errors on the fly
  and flag double errors, without writing memory. Memory is *sparse*: only words that were written
  (or hit by a transient fault) are stored, in sorted numpy arrays; an unstored word is the zero
  codeword (zero data, zero check bits, a codeword of any linear code). Reads of up to 65536
  consecutive words are vectorized.
* **EDAC registers** (GR740 UM, AHB status register and scrubber counters): write-one-to-clear
  status (CE, UE, CE_ALARM), first-error capture of the failing address and syndrome until CE and
  UE are both cleared, saturating 16-bit counters cleared by any write, the CE alarm threshold.
* **Scrubber** (GR740 UM, memory scrubber): sweeps word 0..M-1 at M / T words per second from
  power-on or reset (T = ICS ``scrub_period_s``). Visit j (0-based, counted from the scrubber's
  start time ``t_s``) is of word ``j mod M`` and completes at ``t_s + (j + 1) T / M``. Because
  memory is sparse, :meth:`ComputeModule.advance` never iterates over M: it computes, for the
  stored words and the words holding a persistent fault, how many visits fall in each interval
  and when, and processes them in vectorized rounds (a word whose visit left it unchanged and that
  holds no intermittent fault is *stationary*: its remaining visits in the interval repeat the
  same outcome and are counted at once).
* **TMR configuration register** SYS_CONFIG: three copies read through a bitwise majority voter,
  every read rewrites the copies with the voted value.
* **Watchdog and reset-loop protection**: expires ``watchdog_timeout_s`` after the last service
  or reset; up to ``reset_loop_limit`` consecutive expiries reset the module, the next one puts it
  in the safe state (SYS_STATE = 1) until :meth:`ComputeModule.power_cycle`.
* **Latch-up current monitor** (ECSS-Q-ST-60-15C, single-event latch-up): samples the monitored
  domains' currents every ``latchup_response_s / 2`` on a fixed time grid, so a latch-up is
  detected at most half a response time after its onset; the domain is then switched off for
  ``latchup_response_s / 4`` and on again, so the power cycle completes within 3/4 of the declared
  response time. A core-domain power cycle resets the module (cause latchup). A latch-up left
  longer than :data:`LATCHUP_DAMAGE_S` destroys the domain (it stays off for good): only an
  unmonitored domain or a broken product gets there.
* **Fault injection** with FIES-style descriptors (Holler et al., DSD 2015): memory faults
  (transient flips/stuck-at applied once to the stored codeword; permanent and intermittent ones
  applied whenever the cell is *read* -- by the EDAC, the scrubber and ``mem_read_raw`` -- while
  active; when several persistent faults hit one word, flips are applied first, then stuck-at-0,
  then stuck-at-1), configuration faults (one copy of SYS_CONFIG) and power faults (a latch-up
  from ``time_s`` until the domain is power-cycled). Faults with a future ``time_s`` take effect
  when :meth:`ComputeModule.advance` reaches that time, in time order with the scrubber visits,
  watchdog expiries and monitor samples.

Extension points for broken products (override one method in a subclass):
:meth:`ComputeModule._decode_words` (EDAC decoder), :meth:`ComputeModule._scrub_visit` (one
scrubber visit of some words), :meth:`ComputeModule._watchdog_expired` (what an expiry does),
:meth:`ComputeModule._latchup_sample_period` (monitor sampling period).

Bad arguments raise :class:`HardwareError` (a ``ValueError``) with a message naming the argument.
"""

from __future__ import annotations

import collections
import functools
import importlib.resources
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import edac

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "DEFAULT_SPEC_ID",
    "DEFAULT_SPEC_VERSION",
    "LATCHUP_DAMAGE_S",
    "ComputeModule",
    "HardwareError",
    "HardwareParameters",
    "default_parameters",
]

DEFAULT_SPEC_ID = "hw-compute-module"
DEFAULT_SPEC_VERSION = "1.0.0"

#: Damage model: a latch-up that lasts longer than this (s) destroys its power domain, which then
#: stays off (the order of magnitude of the thermal destruction time of CMOS parts in sustained
#: latch-up reported in SEL test practice, ECSS-Q-ST-60-15C / JESD89; a model constant, not a
#: normative value). A product meeting HWC-SEL-001 never gets close to it.
LATCHUP_DAMAGE_S = 1.0

#: Most words one mem_read / mem_read_raw may return (spec interface, count maximum).
MAX_READ_WORDS = 65536

U8Array = npt.NDArray[np.uint8]
U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]
F64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_MODES = {"flip": 0, "stuck-at-0": 1, "stuck-at-1": 2}
_FLIP, _STUCK0, _STUCK1 = 0, 1, 2
_ALL64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class HardwareError(ValueError):
    """A bad argument to the simulated compute module (the message names it)."""


# ------------------------------------------------------------------------------------------------
# Spec parameters
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """One entry of spec parameter ``registers``."""

    name: str
    bits: int
    access: str
    reset: int

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1


@dataclass(frozen=True)
class HardwareParameters:
    """The normative parameters of the spec under test that the simulator needs.

    Read from the spec (:meth:`from_spec`), never written in code: register map, reset-cause codes,
    watchdog service key, power domains (bit order of LU_*), counter width, the SEC-DED codes'
    data columns, and the ABFT constants.
    """

    registers: tuple[Register, ...]
    reset_causes: Mapping[str, int]
    watchdog_service_key: int
    power_domains: tuple[str, ...]
    counter_bits: int
    edac_columns: Mapping[str, tuple[int, ...]]
    abft_significance: float
    abft_accuracy: float
    register_map: Mapping[str, Register] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "register_map", {r.name: r for r in self.registers})

    @classmethod
    def from_spec(cls, spec: Spec) -> HardwareParameters:
        """The parameters of ``spec`` (an :class:`orbitcert.specs.model.Spec`)."""
        return cls.from_values({name: p.value for name, p in spec.parameters.items()})

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> HardwareParameters:
        """Build from a spec's parameter values (name -> value); HardwareError naming a bad one."""

        def get(name: str) -> Any:
            try:
                return values[name]
            except KeyError:
                raise HardwareError(f"spec parameter {name!r} is missing") from None

        try:
            registers = tuple(
                Register(str(r["name"]), int(r["bits"]), str(r["access"]), int(r["reset"])) for r in get("registers")
            )
            causes = {str(k): int(v) for k, v in dict(get("reset_causes")).items()}
            key = int(get("watchdog_service_key"))
            domains = tuple(str(d) for d in get("power_domains"))
            counter_bits = int(get("counter_bits"))
            columns: dict[str, tuple[int, ...]] = {}
            for name, entry in dict(get("edac_codes")).items():
                raw = entry.get("data_columns") or ()
                columns[str(name)] = tuple(int(v) for v in raw)
            significance = float(get("abft_significance"))
            accuracy = float(get("abft_accuracy"))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise HardwareError(f"spec parameters of hw-compute-module are malformed: {exc}") from None
        for needed in ("power-on", "watchdog", "latchup"):
            if needed not in causes:
                raise HardwareError(f"spec parameter 'reset_causes' lacks {needed!r}")
        return cls(registers, causes, key, domains, counter_bits, columns, significance, accuracy)

    def code(self, name: str) -> edac.SecDedCode:
        """The SEC-DED code ``name``: the spec's data columns, or :func:`edac.code` when the spec's are empty."""
        columns = self.edac_columns.get(name)
        if columns is None:
            raise HardwareError(f"edac_code {name!r} is not a code of spec parameter edac_codes")
        if not columns:
            return edac.code(name)
        try:
            return edac.SecDedCode(name=name, data_columns=columns)
        except edac.EdacError as exc:
            raise HardwareError(f"spec parameter edac_codes.{name}: {exc}") from None


@functools.cache
def default_parameters() -> HardwareParameters:
    """The parameters of the bundled spec ``hw-compute-module`` 1.0.0."""
    from orbitcert.specs.loader import load_spec_file

    path = importlib.resources.files("orbitcert.specs") / "catalog" / DEFAULT_SPEC_ID / f"{DEFAULT_SPEC_VERSION}.yaml"
    return HardwareParameters.from_spec(load_spec_file(str(path)).spec)


# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------


def _int(value: Any, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise HardwareError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        top = "" if maximum is None else f"..{maximum}"
        raise HardwareError(f"{name} = {v} is out of range {minimum}{top}")
    return v


def _number(value: Any, name: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise HardwareError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or v < minimum:
        raise HardwareError(f"{name} = {v} must be finite and at least {minimum}")
    return v


def _octets(value: Any, name: str) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise HardwareError(f"{name} must be bytes, got {type(value).__name__}")
    return bytes(value)


def _apply_masks(
    data: U64Array, check: U8Array, index: I64Array, mode: npt.NDArray[np.int8], dmask: U64Array, cmask: U8Array
) -> None:
    """Apply fault masks in place: word ``index[i]`` gets mask i in mode i (flips, then stuck-at-0, then stuck-at-1)."""
    flip = mode == _FLIP
    np.bitwise_xor.at(data, index[flip], dmask[flip])
    np.bitwise_xor.at(check, index[flip], cmask[flip])
    s0 = mode == _STUCK0
    np.bitwise_and.at(data, index[s0], ~dmask[s0])
    np.bitwise_and.at(check, index[s0], ~cmask[s0])
    s1 = mode == _STUCK1
    np.bitwise_or.at(data, index[s1], dmask[s1])
    np.bitwise_or.at(check, index[s1], cmask[s1])


_FAULT_FIELDS = ("address", "mode", "dmask", "cmask", "start", "period", "duration", "intermittent")


@dataclass
class _MemoryFaults:
    """Faults of memory cells, one entry per fault (arrays in injection order)."""

    address: I64Array = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    mode: npt.NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    dmask: U64Array = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    cmask: U8Array = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    start: F64Array = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    period: F64Array = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    duration: F64Array = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    intermittent: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return int(self.address.size)

    @staticmethod
    def concat(parts: Sequence[_MemoryFaults]) -> _MemoryFaults:
        """All faults of ``parts``, in order (one concatenation per field)."""
        merged = _MemoryFaults()
        if parts:
            for name in _FAULT_FIELDS:
                setattr(merged, name, np.concatenate([getattr(p, name) for p in parts]))
        return merged

    def take(self, selector: BoolArray | I64Array) -> _MemoryFaults:
        return _MemoryFaults(
            self.address[selector],
            self.mode[selector],
            self.dmask[selector],
            self.cmask[selector],
            self.start[selector],
            self.period[selector],
            self.duration[selector],
            self.intermittent[selector],
        )

    def active(self, times: F64Array) -> BoolArray:
        """Whether each fault is active at ``times`` (one time per fault)."""
        on = times >= self.start
        inter = self.intermittent
        if inter.any():
            phase = np.mod(times[inter] - self.start[inter], self.period[inter])
            on[inter] &= phase < self.duration[inter]
        return on


@dataclass
class _Pending:
    """A scheduled fault not yet applied (time order, then injection order)."""

    time: float
    seq: int
    component: str
    payload: Any


# ------------------------------------------------------------------------------------------------
# The simulator
# ------------------------------------------------------------------------------------------------


class ComputeModule:
    """The simulated compute module (see the module docstring for the model).

    The keyword arguments are the ICS values of the product (reference values as defaults);
    ``params`` the spec's normative parameters (default: the bundled spec 1.0.0). Public methods
    are the spec's interface operations with Python types (bytes, ints, floats, dicts).
    """

    def __init__(
        self,
        params: HardwareParameters | None = None,
        *,
        edac_code: str = "hsiao-72-64",
        memory_words: int = 134217728,
        memory_banks: int = 4,
        config_tmr: bool = True,
        scrub_period_s: float = 3600.0,
        watchdog_timeout_s: float = 1.0,
        reset_loop_limit: int = 3,
        latchup_domains: Sequence[str] = ("core", "memory", "accelerator", "io"),
        latchup_response_s: float = 0.005,
    ) -> None:
        if params is not None and not isinstance(params, HardwareParameters):
            raise HardwareError(f"params: expected HardwareParameters, got {type(params).__name__}")
        self.params = default_parameters() if params is None else params
        self.code = self.params.code(edac_code)
        self.memory_words = _int(memory_words, "memory_words", 1)
        self.memory_banks = _int(memory_banks, "memory_banks", 1, self.memory_words)
        if self.memory_words % self.memory_banks:
            raise HardwareError(
                f"memory_words {self.memory_words} is not divisible by memory_banks {self.memory_banks}"
            )
        if not isinstance(config_tmr, (bool, np.bool_)):
            raise HardwareError(f"config_tmr must be a boolean, got {type(config_tmr).__name__}")
        self.config_tmr = bool(config_tmr)
        self.scrub_period_s = _number(scrub_period_s, "scrub_period_s")
        self.watchdog_timeout_s = _number(watchdog_timeout_s, "watchdog_timeout_s")
        if self.scrub_period_s <= 0 or self.watchdog_timeout_s <= 0:
            raise HardwareError("scrub_period_s and watchdog_timeout_s must be positive")
        self.reset_loop_limit = _int(reset_loop_limit, "reset_loop_limit", 0)
        unknown = [d for d in latchup_domains if d not in self.params.power_domains]
        if unknown:
            raise HardwareError(
                f"latchup_domains: unknown power domain(s) {unknown}; known: {list(self.params.power_domains)}"
            )
        self.latchup_domains = tuple(latchup_domains)
        self.latchup_response_s = _number(latchup_response_s, "latchup_response_s")
        if self.latchup_response_s <= 0:
            raise HardwareError("latchup_response_s must be positive")
        self._counter_max = (1 << self.params.counter_bits) - 1
        self.time = 0.0
        self._destroyed: set[str] = set()
        self._reset_state()
        self._power_on()

    # -- state -----------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._addr: I64Array = np.zeros(0, dtype=np.int64)
        self._data: U64Array = np.zeros(0, dtype=np.uint64)
        self._check: U8Array = np.zeros(0, dtype=np.uint8)
        self._faults = _MemoryFaults()
        self._pending: collections.deque[_Pending] = collections.deque()
        self._seq = 0
        self._events: list[dict[str, Any]] = []
        self._latched: dict[str, float] = {}  # domain -> onset
        self._off_until: dict[str, float] = {}  # domain -> end of its power cycle
        self._reset_count = 0
        self._lu_count = 0
        self._consecutive = 0
        self._safe = False
        self._cause = self.params.reset_causes["power-on"]

    def _power_on(self) -> None:
        self._regs: dict[str, int] = {r.name: r.reset for r in self.params.registers}
        self._config = [self._regs.get("SYS_CONFIG", 0)] * (3 if self.config_tmr else 1)
        self._scrub_start = self.time
        self._wdog_last = self.time
        self._wdog_remaining = self.watchdog_timeout_s

    def _reset(self, cause: str, domain: str | None = None) -> None:
        """Reset (watchdog or core latch-up): registers to reset values except the kept ones
        (DBG_FREEZE among them: a debug freeze outlives a reset)."""
        freeze = self._regs.get("DBG_FREEZE", 0)
        self._regs = {r.name: r.reset for r in self.params.registers}
        if "DBG_FREEZE" in self._regs:
            self._regs["DBG_FREEZE"] = freeze
        self._wdog_remaining = self.watchdog_timeout_s  # a frozen timer restarts from the full timeout
        self._config = [self._regs.get("SYS_CONFIG", 0)] * len(self._config)
        self._scrub_start = self.time
        self._wdog_last = self.time
        self._cause = self.params.reset_causes[cause]
        self._reset_count = min(self._reset_count + 1, self._reg_max("SYS_RESET_COUNT"))
        self._log("reset", domain)

    @property
    def _wdog_frozen(self) -> bool:
        """Whether DBG_FREEZE holds the watchdog timer."""
        return bool(self._regs.get("DBG_FREEZE", 0) & 1)

    def _reg_max(self, name: str) -> int:
        reg = self.params.register_map.get(name)
        return reg.mask if reg is not None else self._counter_max

    def _log(self, kind: str, domain: str | None, time: float | None = None) -> None:
        self._events.append({"time_s": self.time if time is None else time, "kind": kind, "domain": domain})

    # -- memory store ----------------------------------------------------------------------------

    def _check_range(self, address: Any, count: int, name: str = "address") -> int:
        a = _int(address, name)
        if a + count > self.memory_words:
            raise HardwareError(f"{name} {a} + {count} word(s) exceeds the memory of {self.memory_words} words")
        return a

    def _load(self, addresses: I64Array) -> tuple[U64Array, U8Array]:
        """Stored codewords of sorted unique ``addresses`` (unstored words: the zero codeword)."""
        data = np.zeros(addresses.size, dtype=np.uint64)
        check = np.zeros(addresses.size, dtype=np.uint8)
        if self._addr.size and addresses.size:
            idx = np.searchsorted(self._addr, addresses)
            idxc = np.minimum(idx, self._addr.size - 1)
            hit = self._addr[idxc] == addresses
            data[hit] = self._data[idxc[hit]]
            check[hit] = self._check[idxc[hit]]
        return data, check

    def _store(self, addresses: I64Array, data: U64Array, check: U8Array) -> None:
        """Store codewords at sorted unique ``addresses``."""
        if not addresses.size:
            return
        hit = np.zeros(addresses.size, dtype=bool)
        if self._addr.size:
            idxc = np.minimum(np.searchsorted(self._addr, addresses), self._addr.size - 1)
            hit = self._addr[idxc] == addresses
            self._data[idxc[hit]] = data[hit]
            self._check[idxc[hit]] = check[hit]
        miss = ~hit
        if miss.any():  # new words: insert at their sorted positions (one copy, no re-sort)
            pos = np.searchsorted(self._addr, addresses[miss])
            self._addr = np.insert(self._addr, pos, addresses[miss])
            self._data = np.insert(self._data, pos, data[miss])
            self._check = np.insert(self._check, pos, check[miss])

    def _store_range(self, address: int, data: U64Array, check: U8Array) -> None:
        lo = int(np.searchsorted(self._addr, address))
        hi = int(np.searchsorted(self._addr, address + data.size))
        self._addr = np.concatenate(
            [self._addr[:lo], np.arange(address, address + data.size, dtype=np.int64), self._addr[hi:]]
        )
        self._data = np.concatenate([self._data[:lo], data, self._data[hi:]])
        self._check = np.concatenate([self._check[:lo], check, self._check[hi:]])

    def _read_codewords(self, addresses: I64Array, times: F64Array | float) -> tuple[U64Array, U8Array]:
        """Codewords as read at ``times`` (scalar, or one per address): stored value, active persistent faults applied."""
        data, check = self._load(addresses)
        faults = self._faults
        if len(faults) and addresses.size:
            idx = np.searchsorted(addresses, faults.address)
            idxc = np.minimum(idx, addresses.size - 1)
            hit = addresses[idxc] == faults.address
            if hit.any():
                sel = faults.take(hit)
                at = idxc[hit]
                t = np.full(at.size, times, dtype=np.float64) if np.ndim(times) == 0 else np.asarray(times)[at]
                on = sel.active(t)
                if on.any():
                    _apply_masks(data, check, at[on], sel.mode[on], sel.dmask[on], sel.cmask[on])
        return data, check

    def _decode_words(self, data: U64Array, check: U8Array) -> edac.DecodeResult:
        """The EDAC decoder (Hsiao SEC-DED): one :class:`edac.DecodeResult` per word."""
        return self.code.decode(data, check)

    # -- interface: power, time ------------------------------------------------------------------

    def power_cycle(self) -> float:
        """Power the module off and on: reset values, zero memory, faults and log cleared. Result: time."""
        self._reset_state()
        self._power_on()
        return self.time

    def advance(self, seconds: Any) -> float:
        """Run simulated time for ``seconds`` (scrubber, watchdog, monitor, faults). Result: time."""
        dt = _number(seconds, "seconds")
        if dt > 1e8:
            raise HardwareError(f"seconds = {dt} exceeds the maximum 1e8")
        self._run_until(self.time + dt)
        return self.time

    def _next_event(self) -> tuple[float, str, Any] | None:
        candidates: list[tuple[float, int, str, Any]] = []
        if self._pending:
            p = self._pending[0]
            candidates.append((p.time, 0, "fault", None))
        for domain, onset in self._latched.items():
            if domain in self.latchup_domains:
                candidates.append((self._detection_time(onset), 1, "detect", domain))
            candidates.append((onset + LATCHUP_DAMAGE_S, 2, "damage", domain))
        for domain, until in self._off_until.items():
            candidates.append((until, 3, "power-on", domain))
        if not self._safe and not self._wdog_frozen:
            candidates.append((self._wdog_last + self.watchdog_timeout_s, 4, "watchdog", None))
        if not candidates:
            return None
        t, _, kind, arg = min(candidates, key=lambda c: (c[0], c[1]))
        return t, kind, arg

    def _run_until(self, end: float) -> None:
        while True:
            nxt = self._next_event()
            if nxt is None or nxt[0] > end:
                self._scrub(end)
                self.time = end
                return
            t, kind, arg = nxt
            t = max(t, self.time)
            self._scrub(t)
            self.time = t
            if kind == "fault":
                self._apply_due_faults()
            elif kind == "detect":
                self._latchup_detected(arg)
            elif kind == "damage":
                self._latched.pop(arg, None)
                self._destroyed.add(arg)
            elif kind == "power-on":
                self._domain_powered_on(arg)
            else:
                self._wdog_last = self.time
                self._watchdog_expired()

    # -- scrubber --------------------------------------------------------------------------------

    def _visit_index(self, t: float) -> int:
        """Visits completed since the scrubber's start at time ``t``: floor((t - t_s) M / T)."""
        return max(0, math.floor((t - self._scrub_start) / self.scrub_period_s * self.memory_words))

    def _visit_time(self, j: I64Array) -> F64Array:
        return self._scrub_start + (j.astype(np.float64) + 1.0) * (self.scrub_period_s / self.memory_words)

    def _scrub(self, end: float) -> None:
        """Scrubber visits completing in (self.time, end], in vectorized rounds (O(stored words))."""
        lo, hi = self._visit_index(self.time), self._visit_index(end)
        if hi <= lo:
            return
        m = self.memory_words
        cand = np.union1d(self._window(self._addr, lo, hi, True), self._window(self._faults.address, lo, hi)).astype(
            np.int64
        )
        if not cand.size:
            return
        first = lo + np.mod(cand - lo, m)  # first visit index >= lo of each candidate word
        count = np.where(first < hi, (hi - 1 - first) // m + 1, 0).astype(np.int64)
        keep = count > 0
        cand, first, count = cand[keep], first[keep], count[keep]
        dynamic = np.isin(cand, self._faults.address[self._faults.intermittent])
        done = np.zeros(cand.size, dtype=np.int64)
        while True:
            live = np.flatnonzero(done < count)
            if not live.size:
                return
            addrs = cand[live]
            before = self._load(addrs)
            self._scrub_visit(addrs, self._visit_time(first[live] + done[live] * m), np.ones(live.size, dtype=np.int64))
            done[live] += 1
            after = self._load(addrs)
            stationary = (before[0] == after[0]) & (before[1] == after[1]) & ~dynamic[live] & (done[live] < count[live])
            if stationary.any():
                s = live[stationary]
                self._scrub_visit(cand[s], self._visit_time(first[s] + done[s] * m), count[s] - done[s])
                done[s] = count[s]

    def _window(self, addresses: I64Array, lo: int, hi: int, is_sorted: bool = False) -> I64Array:
        """The addresses among ``addresses`` that visits lo..hi-1 reach (all when hi - lo >= M)."""
        m = self.memory_words
        if hi - lo >= m or not addresses.size:
            return addresses
        a, b = lo % m, hi % m
        if is_sorted:  # binary search: O(log S + words in the window)
            ia, ib = np.searchsorted(addresses, [a, b])
            return addresses[ia:ib] if a < b else np.concatenate([addresses[ia:], addresses[:ib]])
        inside = (addresses >= a) & (addresses < b) if a < b else (addresses >= a) | (addresses < b)
        return addresses[inside]

    def _scrub_visit(self, addresses: I64Array, times: F64Array, repeats: I64Array) -> None:
        """One scrubber visit of each of the sorted unique ``addresses`` at ``times``, counted ``repeats`` times.

        Decodes each word as read (active faults applied); a single error: the corrected codeword
        is written back and SCRUB_CE_COUNT counts it; an uncorrectable word is left as stored and
        counted in SCRUB_UE_COUNT. The caller passes repeats > 1 only for words whose visit is
        known to repeat identically (stationary words).
        """
        if not addresses.size:
            return
        data, check = self._read_codewords(addresses, times)
        res = self._decode_words(data, check)
        ce = res.status == edac.STATUS_CORRECTED
        ue = res.status == edac.STATUS_UNCORRECTABLE
        if ce.any():
            self._store(addresses[ce], res.data[ce], res.check[ce])
        self._count("SCRUB_CE_COUNT", int(repeats[ce].sum()))
        self._count("SCRUB_UE_COUNT", int(repeats[ue].sum()))

    def _count(self, name: str, n: int) -> None:
        if n:
            self._regs[name] = min(self._regs.get(name, 0) + n, self._reg_max(name))

    # -- watchdog --------------------------------------------------------------------------------

    def _watchdog_expired(self) -> None:
        """An expiry (the timer has already restarted): reset, or the safe state after the loop limit."""
        self._consecutive += 1
        if self._consecutive <= self.reset_loop_limit:
            self._reset("watchdog")
        else:
            self._safe = True
            self._log("safe-state", None)

    # -- latch-up monitor ------------------------------------------------------------------------

    def _latchup_sample_period(self) -> float:
        """The current monitor's sampling period: half the declared response time."""
        return self.latchup_response_s / 2.0

    def _detection_time(self, onset: float) -> float:
        period = self._latchup_sample_period()
        return max(math.ceil(onset / period) * period, onset)

    def _latchup_detected(self, domain: str) -> None:
        self._latched.pop(domain, None)
        self._lu_count = min(self._lu_count + 1, self._reg_max("LU_COUNT"))
        self._log("latchup-detected", domain)
        self._off_until[domain] = self.time + self.latchup_response_s / 4.0

    def _domain_powered_on(self, domain: str) -> None:
        self._off_until.pop(domain, None)
        self._log("power-cycled", domain)
        if domain == "core":
            self._reset("latchup", "core")

    def _domain_bits(self, domains: Sequence[str] | set[str]) -> int:
        bits = 0
        for i, d in enumerate(self.params.power_domains):
            if d in domains:
                bits |= 1 << i
        return bits

    # -- faults ----------------------------------------------------------------------------------

    def inject(self, faults: Any) -> int:
        """Schedule FIES-style fault descriptors (spec operation ``inject``). Result: how many."""
        if not isinstance(faults, (list, tuple)):
            raise HardwareError(f"faults must be a list, got {type(faults).__name__}")
        if len(faults) > 65536:
            raise HardwareError(f"faults: at most 65536 descriptors, got {len(faults)}")
        parsed = [self._parse_fault(i, f) for i, f in enumerate(faults)]
        for time_s, component, payload in parsed:
            self._pending.append(_Pending(time_s, self._seq, component, payload))
            self._seq += 1
        self._pending = collections.deque(sorted(self._pending, key=lambda p: (p.time, p.seq)))
        self._apply_due_faults()
        return len(parsed)

    def _parse_fault(self, i: int, f: Any) -> tuple[float, str, Any]:
        where = f"faults[{i}]"
        if not isinstance(f, Mapping):
            raise HardwareError(f"{where} must be an object, got {type(f).__name__}")
        required = ("component", "target", "type", "mode", "time_s", "address", "mask", "period_s", "duration_s")
        missing = [k for k in required if k not in f]
        if missing:
            raise HardwareError(f"{where} lacks {missing}")
        extra = sorted(set(f) - set(required))
        if extra:
            raise HardwareError(f"{where} has unknown field(s) {extra}")
        component, target, kind, mode = f["component"], f["target"], f["type"], f["mode"]
        time_s = _number(f["time_s"], f"{where}.time_s")
        if mode not in _MODES:
            raise HardwareError(f"{where}.mode {mode!r} is not one of {list(_MODES)}")
        if kind not in ("transient", "permanent", "intermittent"):
            raise HardwareError(f"{where}.type {kind!r} is not transient, permanent or intermittent")
        period = _number(f["period_s"], f"{where}.period_s")
        duration = _number(f["duration_s"], f"{where}.duration_s")
        if component == "memory":
            if target != "memory":
                raise HardwareError(f"{where}.target must be 'memory' for a memory fault, got {target!r}")
            address = self._check_range(f["address"], 1, f"{where}.address")
            mask = _octets(f["mask"], f"{where}.mask")
            if len(mask) != edac.CODEWORD_OCTETS:
                raise HardwareError(f"{where}.mask must be {edac.CODEWORD_OCTETS} octets (a codeword), got {len(mask)}")
            if kind == "intermittent" and period <= 0:
                raise HardwareError(f"{where}.period_s must be positive for an intermittent fault")
            dmask, cmask = edac.from_codewords(mask)
            one = _MemoryFaults(
                np.array([address], dtype=np.int64),
                np.array([_MODES[mode]], dtype=np.int8),
                dmask,
                cmask,
                np.array([time_s]),
                np.array([period]),
                np.array([duration]),
                np.array([kind == "intermittent"]),
            )
            return time_s, "memory-" + ("transient" if kind == "transient" else "persistent"), one
        if component == "config":
            if target != "SYS_CONFIG":
                raise HardwareError(f"{where}.target {target!r}: the only TMR register is SYS_CONFIG")
            copies = len(self._config)
            copy = _int(f["address"], f"{where}.address (the copy)", 0, copies - 1)
            mask = _octets(f["mask"], f"{where}.mask")
            if len(mask) != 4:
                raise HardwareError(f"{where}.mask must be 4 octets for a config fault, got {len(mask)}")
            if kind != "transient":
                raise HardwareError(f"{where}.type must be transient for a config fault, got {kind!r}")
            return time_s, "config", (copy, _MODES[mode], int.from_bytes(mask, "big"))
        if component == "power":
            if target not in self.params.power_domains:
                raise HardwareError(
                    f"{where}.target {target!r} is not a power domain {list(self.params.power_domains)}"
                )
            if kind != "permanent":
                raise HardwareError(f"{where}.type must be permanent for a power fault (latch-up), got {kind!r}")
            return time_s, "power", str(target)
        raise HardwareError(f"{where}.component {component!r} is not memory, config or power")

    def _apply_due_faults(self) -> None:
        due: list[_Pending] = []
        while self._pending and self._pending[0].time <= self.time:
            due.append(self._pending.popleft())
        if not due:
            return
        transient = [p.payload for p in due if p.component == "memory-transient"]
        if transient:
            faults = _MemoryFaults.concat(transient)
            addrs, index = np.unique(faults.address, return_inverse=True)
            data, check = self._load(addrs)
            _apply_masks(data, check, index.astype(np.int64), faults.mode, faults.dmask, faults.cmask)
            self._store(addrs, data, check)
        persistent = [p.payload for p in due if p.component == "memory-persistent"]
        if persistent:
            self._faults = _MemoryFaults.concat([self._faults, *persistent])
        for p in due:
            if p.component == "config":
                copy, mode, mask = p.payload
                value = self._config[copy]
                value = value ^ mask if mode == _FLIP else (value & ~mask if mode == _STUCK0 else value | mask)
                self._config[copy] = value & 0xFFFFFFFF
            elif p.component == "power":
                domain = p.payload
                if domain not in self._latched and domain not in self._off_until and domain not in self._destroyed:
                    self._latched[domain] = self.time

    # -- interface: memory -----------------------------------------------------------------------

    def mem_write(self, address: Any, data: Any) -> int:
        """Write consecutive big-endian 64-bit words through the EDAC encoder. Result: words written."""
        blob = _octets(data, "data")
        if not blob or len(blob) % 8:
            raise HardwareError(f"data must be a nonzero multiple of 8 octets, got {len(blob)}")
        n = len(blob) // 8
        a = self._check_range(address, n)
        words = np.frombuffer(blob, dtype=">u8").astype(np.uint64)
        self._store_range(a, words, self.code.encode(words))
        return n

    def _read_range(self, address: Any, count: Any) -> tuple[int, int, U64Array, U8Array]:
        n = _int(count, "count", 1, MAX_READ_WORDS)
        a = self._check_range(address, n)
        data, check = self._read_codewords(np.arange(a, a + n, dtype=np.int64), self.time)
        return a, n, data, check

    def mem_read(self, address: Any, count: Any) -> dict[str, Any]:
        """Read through the EDAC decoder: {data, corrected, uncorrectable}; updates the EDAC registers."""
        a, _, data, check = self._read_range(address, count)
        res = self._decode_words(data, check)
        corrected = np.flatnonzero(res.status == edac.STATUS_CORRECTED)
        bad = np.flatnonzero(res.status == edac.STATUS_UNCORRECTABLE)
        errors = np.flatnonzero(res.status != edac.STATUS_CLEAN)
        status = self._regs.get("EDAC_STATUS", 0)
        if errors.size and not status & 0b11:
            first = int(errors[0])
            self._regs["EDAC_FAIL_ADDR"] = (a + first) & self._reg_max("EDAC_FAIL_ADDR")
            self._regs["EDAC_FAIL_SYNDROME"] = int(res.syndrome[first])
        if corrected.size:
            status |= 0b001
            self._count("EDAC_CE_COUNT", int(corrected.size))
            threshold = self._regs.get("EDAC_CE_THRESHOLD", 0)
            if threshold and self._regs["EDAC_CE_COUNT"] >= threshold:
                status |= 0b100
        if bad.size:
            status |= 0b010
            self._count("EDAC_UE_COUNT", int(bad.size))
        self._regs["EDAC_STATUS"] = status
        return {
            "data": np.asarray(res.data, dtype=">u8").tobytes(),
            "corrected": [int(i) for i in corrected],
            "uncorrectable": [int(i) for i in bad],
        }

    def mem_read_raw(self, address: Any, count: Any) -> bytes:
        """Stored codewords with active faults applied, 9 octets each; changes nothing."""
        _, _, data, check = self._read_range(address, count)
        return edac.to_codewords(data, check)

    # -- interface: registers --------------------------------------------------------------------

    def _register(self, name: Any) -> Register:
        if not isinstance(name, str):
            raise HardwareError(f"name must be a string, got {type(name).__name__}")
        reg = self.params.register_map.get(name)
        if reg is None:
            raise HardwareError(f"unknown register {name!r}; known: {', '.join(self.params.register_map)}")
        return reg

    def reg_read(self, name: Any) -> int:
        """Value of register ``name`` (TMR vote and rewrite for SYS_CONFIG)."""
        reg = self._register(name)
        n = reg.name
        if n == "SYS_CONFIG":
            if len(self._config) == 3:
                a, b, c = self._config
                voted = (a & b) | (a & c) | (b & c)
                self._config = [voted] * 3
            return self._config[0] & reg.mask
        if n == "SCRUB_POSITION":
            return self._visit_index(self.time) % self.memory_words
        if n == "SCRUB_PASSES":
            return min(self._visit_index(self.time) // self.memory_words, reg.mask)
        if n == "WDOG_SERVICE" or reg.access == "wo":
            return 0
        if n == "SYS_STATE":
            return 1 if self._safe else 0
        if n == "SYS_RESET_CAUSE":
            return self._cause
        if n == "SYS_RESET_COUNT":
            return self._reset_count
        if n == "LU_COUNT":
            return self._lu_count
        if n == "LU_DOMAINS_ON":
            off = set(self._off_until) | self._destroyed
            return self._domain_bits([d for d in self.params.power_domains if d not in off])
        if n == "LU_LATCHED":
            return self._domain_bits(set(self._latched))
        return self._regs.get(n, reg.reset) & reg.mask

    def reg_write(self, name: Any, value: Any) -> None:
        """Write register ``name`` with its access semantics (rw, w1c, wc, wo; ro ignored)."""
        reg = self._register(name)
        v = _int(value, "value", 0, 0xFFFFFFFF)
        if reg.access == "ro":
            return
        if reg.access == "wc":
            self._regs[reg.name] = 0
        elif reg.access == "w1c":
            self._regs[reg.name] = self._regs.get(reg.name, 0) & ~v & reg.mask
        elif reg.access == "wo":
            if reg.name == "WDOG_SERVICE" and v == self.params.watchdog_service_key:
                self._wdog_last = self.time
                self._consecutive = 0
        elif reg.name == "SYS_CONFIG":
            self._config = [v & reg.mask] * len(self._config)
        elif reg.name == "DBG_FREEZE":
            # The watchdog timer stops while bit 0 is set and resumes where it stopped (GR740
            # GPTIMER timers freeze while the processor is halted in debug mode).
            if v & 1 and not self._wdog_frozen:
                self._wdog_remaining = self._wdog_last + self.watchdog_timeout_s - self.time
            elif not v & 1 and self._wdog_frozen:
                self._wdog_last = self.time - (self.watchdog_timeout_s - self._wdog_remaining)
            self._regs[reg.name] = v & reg.mask
        else:
            self._regs[reg.name] = v & reg.mask

    def event_log(self) -> list[dict[str, Any]]:
        """Events since power_cycle, oldest first: {time_s, kind, domain}."""
        return [dict(e) for e in self._events]
