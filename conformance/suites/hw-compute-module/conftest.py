"""Fixtures of the hw-compute-module suite: the product's test port, the spec's code and constants.

The product is a compute module behind a simulator's test port (spec ``interface``): memory and
register access, simulated time, FIES-style fault injection. :class:`Port` wraps it so that every
answer is checked for type and shape before a test looks at it: a malformed answer fails the
requirement under test with a message naming the operation, it never crashes the suite.

Known answers: codewords and syndromes are computed with the code the spec defines (parameter
``edac_codes``, built into :class:`orbitcert.reference_impl.hardware.edac.SecDedCode`, which
orbitcert's own tests check against Hsiao's published matrix and galois); nothing else of the
reference is used.

State: one product serves the whole run. The ``port`` fixture power-cycles it before each test,
so every test starts from the power-on state (registers at reset values, memory all zero, no
faults, empty event log), and freezes the watchdog outside the watchdog's own tests (again after
every power_cycle a test makes, :meth:`Port.power_cycle`); simulated time keeps running across
tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from orbitcert.conformance import inconclusive
from orbitcert.conformance.interfaces.hw_compute_module import words_to_bytes
from orbitcert.reference_impl.hardware.edac import SecDedCode, from_codewords
from orbitcert.specs import Ics, Spec

# --------------------------------------------------------------------------------------------------
# Constants of the spec under test


@dataclass(frozen=True)
class Params:
    """The constants of the spec version under test, read from its ``parameters``."""

    counter_max: int
    registers: dict[str, dict[str, Any]]
    reset_causes: dict[str, int]
    service_key: int
    power_domains: tuple[str, ...]
    tolerance_abs: float
    tolerance_frac: float
    position_tolerance: float

    @classmethod
    def from_spec(cls, spec: Spec) -> Params:
        tol = spec.parameter("timing_tolerance")
        return cls(
            counter_max=(1 << int(spec.parameter("counter_bits"))) - 1,
            registers={str(r["name"]): dict(r) for r in spec.parameter("registers")},
            reset_causes={str(k): int(v) for k, v in spec.parameter("reset_causes").items()},
            service_key=int(spec.parameter("watchdog_service_key")),
            power_domains=tuple(str(d) for d in spec.parameter("power_domains")),
            tolerance_abs=float(tol["absolute_s"]),
            tolerance_frac=float(tol["fraction"]),
            position_tolerance=float(spec.parameter("scrub_position_tolerance")),
        )

    def tolerance(self, interval: float) -> float:
        """Timing tolerance of an interval (parameter timing_tolerance)."""
        return max(self.tolerance_abs, self.tolerance_frac * interval)

    def domain_bit(self, domain: str) -> int:
        return 1 << self.power_domains.index(domain)


@pytest.fixture(scope="session")
def hw(spec: Spec) -> Params:
    return Params.from_spec(spec)


@pytest.fixture(scope="session")
def code(spec: Spec, ics: Ics) -> SecDedCode:
    """The SEC-DED code the product declares (ICS edac_code), as the spec defines it."""
    name = str(ics.items.get("edac_code", ""))
    codes = spec.parameter("edac_codes")
    if name not in codes:
        inconclusive(f"ICS edac_code {name!r} is not a code of parameter edac_codes ({', '.join(codes)})")
    return SecDedCode(name=name, data_columns=tuple(int(c) for c in codes[name]["data_columns"]))


def needed(ics: Ics, item: str) -> Any:
    """The ICS value the class under test needs; inconclusive (not certified) when undeclared."""
    value = ics.items.get(item)
    if value is None:
        inconclusive(f"the ICS does not declare {item}, which this class needs")
    return value


@dataclass(frozen=True)
class Geometry:
    """Memory size and banks (ICS memory_words, memory_banks)."""

    words: int
    banks: int

    @property
    def bank_words(self) -> int:
        return self.words // self.banks

    def where(self, address: int) -> str:
        """A word's address and bank, for failure messages."""
        return f"word {address:#x} (bank {address // self.bank_words})"

    def bank_edges(self) -> list[int]:
        """The first and last word of every bank."""
        out: list[int] = []
        for b in range(self.banks):
            out += [b * self.bank_words, (b + 1) * self.bank_words - 1]
        return out

    def spread(self, rng: np.random.Generator, per_bank: int) -> list[int]:
        """Distinct addresses in every bank: its first and last word and ``per_bank`` random ones."""
        out = set(self.bank_edges())
        for b in range(self.banks):
            out.update(int(x) for x in rng.integers(b * self.bank_words, (b + 1) * self.bank_words, per_bank))
        return sorted(out)


@pytest.fixture(scope="session")
def geometry(ics: Ics) -> Geometry:
    words, banks = int(needed(ics, "memory_words")), int(needed(ics, "memory_banks"))
    if words % banks:
        inconclusive(f"ICS memory_words {words} is not divisible by memory_banks {banks}")
    return Geometry(words, banks)


@pytest.fixture
def period(ics: Ics) -> float:
    """The declared full-pass period of the scrubber (ICS scrub_period_s)."""
    value = ics.items.get("scrub_period_s")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        inconclusive(f"the ICS does not declare scrub_period_s as a positive number ({value!r}), which this class needs")
    return float(value)


@pytest.fixture
def rng(run_seed: int, request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator per test, from the run's seed and the test's id (so a product cannot predict
    the addresses and values the suite draws)."""
    key = [ord(c) for c in request.node.nodeid][-64:]
    return np.random.default_rng([int(run_seed) & 0xFFFFFFFF, int(run_seed) >> 32, *key])


# --------------------------------------------------------------------------------------------------
# The test port


@dataclass(frozen=True)
class ReadResult:
    data: np.ndarray  # uint64 per word
    corrected: frozenset[int]
    uncorrectable: frozenset[int]


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AssertionError(f"{what}: expected an integer, got {value!r:.80}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AssertionError(f"{what}: expected a finite number, got {value!r:.80}")
    return float(value)


def _bytes(value: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise AssertionError(f"{what}: expected bytes, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise AssertionError(f"{what}: expected {length} octets, got {len(value)}")
    return bytes(value)


def _offsets(value: Any, what: str, count: int) -> frozenset[int]:
    if not isinstance(value, list):
        raise AssertionError(f"{what}: expected a list of word offsets, got {value!r:.80}")
    out = [_int(v, what) for v in value]
    if any(not 0 <= v < count for v in out) or len(set(out)) != len(out):
        raise AssertionError(f"{what}: offsets must be distinct and in 0..{count - 1}, got {out[:20]}")
    return frozenset(out)


class Port:
    """The product's test port, every answer checked for type and shape (a wrong one raises
    AssertionError, failing the requirement of the calling test)."""

    def __init__(self, iut: Any) -> None:
        self.iut = iut
        self.now = 0.0
        #: Whether :meth:`power_cycle` freezes the watchdog again (the ``port`` fixture's choice).
        self.refreeze = False

    def power_cycle(self, refreeze: bool | None = None) -> float:
        """Power-cycle the product. A power_cycle clears DBG_FREEZE (its reset value 0,
        HWC-WDG-005); with ``refreeze`` (default: the fixture's choice, :attr:`refreeze`) the
        watchdog is frozen again at once, so that a test of another class that power-cycles the
        module is not reset by a short watchdog."""
        self.now = _number(self.iut.power_cycle(), "power_cycle result")
        if self.refreeze if refreeze is None else refreeze:
            self.set_reg("DBG_FREEZE", 1)
        return self.now

    def advance(self, seconds: float) -> float:
        before = self.now
        self.now = _number(self.iut.advance(float(seconds)), "advance result")
        if not math.isclose(self.now, before + seconds, rel_tol=1e-9, abs_tol=1e-9):
            raise AssertionError(f"advance({seconds}) from t={before} reported t={self.now}")
        return self.now

    def write(self, address: int, words: Sequence[int] | np.ndarray) -> None:
        data = words_to_bytes(words)
        n = _int(self.iut.mem_write(int(address), data), "mem_write result")
        if n != len(data) // 8:
            raise AssertionError(f"mem_write of {len(data) // 8} words reported {n}")

    def read(self, address: int, count: int) -> ReadResult:
        r = self.iut.mem_read(int(address), int(count))
        if not isinstance(r, dict) or set(r) != {"data", "corrected", "uncorrectable"}:
            raise AssertionError(f"mem_read result: expected data, corrected, uncorrectable, got {r!r:.120}")
        data = np.frombuffer(_bytes(r["data"], "mem_read data", 8 * count), dtype=">u8").astype(np.uint64)
        corrected = _offsets(r["corrected"], "mem_read corrected", count)
        uncorrectable = _offsets(r["uncorrectable"], "mem_read uncorrectable", count)
        if corrected & uncorrectable:
            raise AssertionError(f"mem_read lists words both corrected and uncorrectable: {sorted(corrected & uncorrectable)[:10]}")
        return ReadResult(data, corrected, uncorrectable)

    def read_raw(self, address: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        blob = _bytes(self.iut.mem_read_raw(int(address), int(count)), "mem_read_raw result", 9 * count)
        return from_codewords(blob)

    def reg(self, name: str) -> int:
        value = _int(self.iut.reg_read(name), f"reg_read({name})")
        if not 0 <= value <= 0xFFFFFFFF:
            raise AssertionError(f"reg_read({name}) = {value} is not a 32-bit unsigned value")
        return value

    def set_reg(self, name: str, value: int) -> None:
        self.iut.reg_write(name, int(value))

    def inject(self, faults: list[dict[str, Any]]) -> None:
        n = _int(self.iut.inject(faults), "inject result")
        if n != len(faults):
            raise AssertionError(f"inject of {len(faults)} faults reported {n} scheduled")

    def events(self) -> list[dict[str, Any]]:
        log = self.iut.event_log()
        if not isinstance(log, list):
            raise AssertionError(f"event_log: expected a list, got {log!r:.80}")
        out = []
        for e in log:
            if not isinstance(e, dict) or set(e) != {"time_s", "kind", "domain"}:
                raise AssertionError(f"event_log entry malformed: {e!r:.120}")
            out.append({"time_s": _number(e["time_s"], "event time_s"), "kind": e["kind"], "domain": e["domain"]})
        return out


@pytest.fixture
def port(iut: Any, request: pytest.FixtureRequest) -> Port:
    """The product, power-cycled: every test starts from the power-on state. Outside the
    watchdog's own tests the watchdog is frozen (register DBG_FREEZE), so that the hours of
    simulated time a scrubbing test lets pass do not reset the module every timeout."""
    p = Port(iut)
    requirements = {rid for m in request.node.iter_markers("requirement") for rid in m.args}
    p.refreeze = not any(str(rid).startswith("HWC-WDG") for rid in requirements)
    p.power_cycle()
    return p
