"""The reference runtime's constants against the spec's parameters, its workloads against
independent computations, and its protection modes against armed faults.

The runtime (``reference_impl/runtime``) writes the spec's tables as Python constants and
construct layouts; these tests read ``sw-compute-runtime`` 1.0.0 and check every table the runtime
depends on, so a spec edit that the reference does not follow fails here, naming the table.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import orbitcert.specs

from orbitcert.reference_impl.runtime import runtime as rt
from orbitcert.reference_impl.runtime import services, workloads
from orbitcert.specs import Spec
from orbitcert.specs.loader import load_spec_file

SEED = 20261126


SPEC_FILE = Path(orbitcert.specs.__file__).parent / "catalog" / "sw-compute-runtime" / "1.0.0.yaml"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec_file(SPEC_FILE).spec


def test_codes_and_tables_equal_the_spec(spec: Spec) -> None:
    assert rt.ERROR_CODES == spec.parameter("error_codes")
    assert rt.JOB_STATES == spec.parameter("job_states")["codes"]
    assert rt.TERMINAL == set(spec.parameter("job_states")["terminal"])
    assert rt.JOB_REASONS == spec.parameter("job_reasons")
    assert rt.RESET_CAUSES == spec.parameter("reset_causes")
    assert rt.EVENTS == {e["name"]: (e["id"], e["severity"]) for e in spec.parameter("events")}
    assert rt.HK_PARAMETERS == {p["id"]: (p["name"], p["type"]) for p in spec.parameter("hk_parameters")}
    health = spec.parameter("health_structure")
    assert (rt.HEALTH_SID, tuple(rt.HK_PARAMETERS)) == (health["sid"], tuple(health["parameters"]))
    limits = spec.parameter("hk_limits")
    assert (rt.MIN_INTERVAL_MS, rt.MAX_INTERVAL_MS, rt.MAX_STRUCTURES, rt.MAX_PARAMETERS) == (
        limits["min_interval_ms"], limits["max_interval_ms"], limits["max_structures"], limits["max_parameters"],
    )  # fmt: skip
    assert rt.MAX_CHUNK == spec.parameter("max_chunk_octets")
    modes = spec.parameter("protection_modes")
    assert {v: k for k, v in workloads.PROTECTION_CODES.items()} == modes["codes"]
    assert workloads.REPLICAS == modes["replicas"]


def test_workloads_equal_the_spec(spec: Spec) -> None:
    table = spec.parameter("workloads")
    assert {w.digest.hex(): (w.name, w.protections) for w in workloads.WORKLOADS.values()} == {
        w["digest"]: (w["name"], frozenset(w["protection"])) for w in table
    }
    for w in table:  # the digest rule of the parameter's description
        assert hashlib.sha256(("orbitcert-workload:" + w["name"]).encode()).hexdigest() == w["digest"]


_WIDTH = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "octets32": 32, "octets4": 4}


def _fixed_size(fields: list[list[str]]) -> int | None:
    """Octets of a layout of fixed-size fields (None if it has a list or rest field)."""
    sizes = [_WIDTH.get(f[1]) for f in fields]
    return None if None in sizes else sum(s for s in sizes if s is not None)


def test_tc_layouts_equal_the_spec(spec: Spec) -> None:
    table = {(t["service"], t["subtype"]): t for t in spec.parameter("tc_layouts")}
    assert set(services.TC_LAYOUTS) == set(table)
    for key, entry in table.items():
        names = [f[0] for f in entry["fields"]]
        layout = services.TC_LAYOUTS[key]
        assert [s.name for s in layout.subcons if s.name] == names, key
        size = _fixed_size(entry["fields"])
        if size is not None:
            assert len(layout.build({f[0]: (b"\0" * 32 if f[1] == "octets32" else 0) for f in entry["fields"]})) == size


def test_tm_layouts_equal_the_spec(spec: Spec) -> None:
    table = {(t["service"], t["subtype"]): t for t in spec.parameter("tm_layouts")}
    generated = {(3, 25), (5, 1), (5, 2), (5, 3), (5, 4)}  # built from hk_parameters / events
    assert set(services.TM_LAYOUTS) | generated == set(table)
    for key, layout in services.TM_LAYOUTS.items():
        names = [f[0] for f in table[key]["fields"]]
        if key == (128, 6):
            names = ["jobs"]  # count + entries: one PrefixedArray
        assert [s.name for s in layout.subcons] == names, key
    for event in spec.parameter("events"):
        aux = services.EVENT_AUX[event["name"]]
        assert [s.name for s in aux.subcons] == [f[0] for f in event["aux"]], event["name"]


def _matmul_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A B modulo 2^32 with Python integers (exact, no numpy integer arithmetic)."""
    n = a.shape[0]
    rows = [[int(x) for x in row] for row in a]
    cols = [[int(b[k, j]) for k in range(n)] for j in range(n)]
    return np.array([[sum(x * y for x, y in zip(r, c)) % (1 << 32) for c in cols] for r in rows], dtype=np.uint64)


@pytest.mark.parametrize("n", [1, 2, 7, 16])
def test_matmul_u32_is_exact(n: int) -> None:
    g = np.random.default_rng(np.random.SeedSequence([SEED, n]))
    a = g.integers(0, 1 << 32, size=(n, n), dtype=np.uint64)
    b = g.integers(0, 1 << 32, size=(n, n), dtype=np.uint64)
    assert np.array_equal(workloads.matmul_u32(a, b), _matmul_reference(a, b))


def _job(name: str, size: int, seed: int = 7) -> tuple[workloads.Workload, bytes]:
    return workloads.WORKLOADS[workloads.workload_digest(name)], workloads.job_input(seed, size)


def test_workload_results_match_hashlib_and_python() -> None:
    w, data = _job("sha256", 1000)
    assert data == hashlib.shake_128((7).to_bytes(8, "big")).digest(1000)
    assert workloads.run_job(w, data, "none", {}).result == hashlib.sha256(data).digest()
    w, data = _job("shake256-expand", 333)
    assert workloads.run_job(w, data, "tmr", {}).result == hashlib.shake_256(data).digest(333)
    n = 5
    w, data = _job("matmul-u32", 8 * n * n)
    words = np.frombuffer(data, dtype=">u4").astype(np.uint64)
    expected = _matmul_reference(words[: n * n].reshape(n, n), words[n * n :].reshape(n, n)).astype(">u4").tobytes()
    assert workloads.run_job(w, data, "none", {}).result == expected
    assert w.result_size(8 * n * n) == len(expected)


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 17, 99])
def test_protection_modes_against_armed_faults(offset: int) -> None:
    n = 5
    w, data = _job("matmul-u32", 8 * n * n)
    clean = workloads.run_job(w, data, "none", {}).result
    assert clean is not None
    corrupt = workloads.run_job(w, data, "none", {0: (offset, 0x41)})
    assert corrupt.result is not None and corrupt.result[offset] == clean[offset] ^ 0x41
    assert workloads.run_job(w, data, "dmr", {1: (offset, 0x41)}) == workloads.JobOutcome(None, "detected")
    assert workloads.run_job(w, data, "tmr", {2: (offset, 0x41)}) == workloads.JobOutcome(clean, "corrected")
    assert workloads.run_job(w, data, "abft", {0: (offset, 0x41)}) == workloads.JobOutcome(clean, "corrected")
    assert workloads.run_job(w, data, "abft", {}) == workloads.JobOutcome(clean, "none")
    # TMR with no majority at one octet fails rather than guessing.
    three = {0: (offset, 1), 1: (offset, 2)}
    assert workloads.run_job(w, data, "tmr", three) == workloads.JobOutcome(None, "detected")


def test_reset_count_saturates_at_65535() -> None:
    """SWR-HK-002 / SWR-RES-008: reset_count (u16) saturates. The suite does not check this
    (65,537 resets behind the bridge cost about 10 s), so the reference is checked here, in
    process: 65,537 watchdog resets leave the health report's reset_count at 65,535, and a power
    reset clears it."""
    from orbitcert.reference_impl.runtime import pus
    from orbitcert.reference_impl.runtime.iut import create

    product = create()
    product.advance(0)
    for _ in range(0xFFFF + 2):
        product.reset("watchdog")
    product.advance(0)

    def health() -> tuple[int, int]:
        product.send_tc(pus.PusTc(100, 1, 3, 27, 0, 0, (1).to_bytes(2, "big") + (1).to_bytes(2, "big")).build())
        (tm,) = [pus.parse_tm(p) for p in product.advance(0) if pus.parse_tm(p).service == 3]
        data = tm.source_data  # sid, then the 13 health parameters (cause at 24, count at 25..26)
        return data[24], int.from_bytes(data[25:27], "big")

    assert health() == (rt.RESET_CAUSES["watchdog"], 0xFFFF)
    product.reset("power")
    assert health() == (rt.RESET_CAUSES["power"], 0)
