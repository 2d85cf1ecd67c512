"""benchmarks/bench_golden.py (issue 14): the table's shape, the workload, and the refusal to time a wrong kernel.

The benchmark runs here on a tiny batch (the full 64 MB + 1 GiB capture run is the slow test).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
# Not NUMBA_NUM_THREADS: numba refuses a change of it once its threads run (another test of this
# worker may have started them), and monkeypatch would change it back after each test.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FAST = ["--mb", "0.05", "--repeat", "1", "--no-galois", "--no-reedsolo"]


@pytest.fixture()
def bench(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The benchmark module, with the BLAS thread variables pinned for the test (monkeypatch restores them)."""
    for name in THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    module = importlib.import_module("bench_golden")
    if module.kernels is not None:
        before = module.kernels.active()
        yield module
        module.kernels.use(before)
    else:
        yield module


def _run(bench: ModuleType, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "bench.json"
    assert bench.main([*FAST, *extra, "--json", str(out)]) == 0
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def _variants(bench: ModuleType) -> list[str]:
    return list(bench.kernels.variants()) if bench.kernels is not None else ["numpy"]


def test_table_shape(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(bench, tmp_path, "--capture-gib", "0.002", "--chunk-mb", "0.25")
    text = capsys.readouterr().out
    names = [row["implementation"] for row in doc["rows"]]
    libfec = any(name.startswith("libfec") for name in names)
    assert len(doc["rows"]) == 3 * (len(_variants(bench)) + libfec)
    for start in range(0, len(doc["rows"]), 3):  # every implementation runs the three operations, in order
        group = doc["rows"][start : start + 3]
        assert [r["operation"] for r in group] == list(bench.OPERATIONS)
        assert len({r["implementation"] for r in group}) == 1
    frames = doc["frames"] * doc["frame_length"]
    for row in doc["rows"]:
        assert row["input_octets"] == (frames if row["operation"] == "encode" else doc["frames"] * (4 + 1115 + 160))
        assert row["seconds"] > 0 and row["crc32_seconds"] > 0
        assert row["ratio"] == pytest.approx(row["crc32_seconds"] / row["seconds"])
    dispatched = {row["dispatch"] for row in doc["rows"]}
    assert set(_variants(bench)) <= dispatched  # each kernel row ran on its own kernel
    assert doc["default_kernel"] == (bench.kernels.active() if bench.kernels is not None else None)
    # Targets: three ratios against the default kernel, and the streaming decoder's memory.
    assert [t["target"].split(" >=")[0] for t in doc["targets"][:3]] == list(bench.TARGETS)
    if bench.stream is not None:
        streamed = doc["stream"]
        assert streamed["rss_pass"]["codeblocks"] == streamed["capture"]["codeblocks"] > 0
        assert streamed["tracemalloc_peak_mb"] > 0
        assert "peak memory" in doc["targets"][3]["target"]
        assert "decode stream" in text
    for line in ("| implementation", "| target (issue 14)", "PASS" if doc["targets"][0]["pass"] else "FAIL"):
        assert line in text
    assert "AMD" in doc["cpu"] or "CPUs" in doc["cpu"]


@pytest.mark.parametrize("peer", [
    "reedsolo",
    pytest.param("galois", marks=pytest.mark.slow),  # importing galois and its numba compilation: ~15 s
])
def test_capped_peers_and_strict(bench: ModuleType, tmp_path: Path, peer: str) -> None:
    """galois and reedsolo run on a prefix of the same batch and are marked capped; --strict exits 3 on a FAIL."""
    pytest.importorskip(peer)
    out = tmp_path / "bench.json"
    other = "--no-galois" if peer == "reedsolo" else "--no-reedsolo"
    code = bench.main(["--mb", "0.02", "--repeat", "1", "--peer-repeat", "1", "--capture-gib", "0", "--kernels",
                       "numpy", "--no-libfec", other, f"--{peer}-mb", "0.005", "--strict", "--json", str(out)])
    doc = json.loads(out.read_text())
    peers = [r for r in doc["rows"] if r["capped"]]
    assert {r["implementation"] for r in peers} == {bench.Galois.name if peer == "galois" else bench.Reedsolo.name}
    assert len(peers) == 3
    for row in peers:
        assert row["input_octets"] < doc["frames"] * doc["frame_length"] + 1
    failed = not all(t["pass"] for t in doc["targets"])
    assert code == (3 if failed else 0)


def test_workload_carries_the_stated_errors(bench: ModuleType) -> None:
    """1% of the codewords differ from the clean capture in exactly 16 symbols, and the model corrects them."""
    w = bench.make_workload(0.2, 1115, 5, 7)
    assert w.dirty_codewords == w.count * 5 // 100
    clean = w.clean.reshape(w.count, w.cadu)[:, 4:].reshape(w.count, 255, 5)
    dirty = w.dirty.reshape(w.count, w.cadu)[:, 4:].reshape(w.count, 255, 5)
    errors = np.count_nonzero(clean != dirty, axis=1)  # (N, I) symbol errors per codeword
    assert np.count_nonzero(errors) == w.dirty_codewords
    assert set(np.unique(errors).tolist()) == {0, 16}
    assert np.array_equal(w.expected_dirty.corrected, errors)
    assert np.array_equal(w.expected_dirty.frames, w.frames) and np.array_equal(w.expected_clean.frames, w.frames)
    assert np.array_equal(w.clean.reshape(w.count, w.cadu)[:, :4], np.tile(np.frombuffer(w.marker, np.uint8),
                                                                         (w.count, 1)))


def _victim(bench: ModuleType) -> str:
    return _variants(bench)[0]


def test_wrong_encode_is_refused(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = _victim(bench)
    real = bench.KernelPath.encode

    def flipped(self: Any, w: Any, out: Any) -> float:
        seconds: float = real(self, w, out)
        if self.variant == victim:
            out[len(out) // 2] ^= 0x10
        return seconds

    monkeypatch.setattr(bench.KernelPath, "encode", flipped)
    timed: list[int] = []

    def crc32_seconds(data: Any) -> float:
        timed.append(len(data))
        return 1.0

    monkeypatch.setattr(bench, "crc32_seconds", crc32_seconds)
    with pytest.raises(SystemExit) as excinfo:
        bench.main([*FAST, "--capture-gib", "0"])
    message = str(excinfo.value.code)
    assert "REFUSED" in message and repr(victim) in message and "'encode'" in message
    assert excinfo.value.code not in (0, None)
    assert not timed  # refused before anything was timed


def test_wrong_dirty_decode_is_refused(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = _variants(bench)[-1]  # the numpy path
    real = bench.KernelPath.decode

    def miscounted(self: Any, w: Any, capture: Any) -> Any:
        seconds, got = real(self, w, capture)
        if self.variant == victim and capture is w.dirty:
            got.corrected[np.nonzero(got.corrected)[0][0]] -= 1
        return seconds, got

    monkeypatch.setattr(bench.KernelPath, "decode", miscounted)
    with pytest.raises(SystemExit) as excinfo:
        bench.main([*FAST, "--capture-gib", "0", "--no-libfec"])
    message = str(excinfo.value.code)
    assert "REFUSED" in message and repr(victim) in message and "decode 1%x16" in message
    assert "corrected counts" in message and "frames:" not in message


def test_libfec_shim_equals_the_model(bench: ModuleType, tmp_path: Path) -> None:
    """The C timing shim (libfec) reproduces the model at a shortened length and another depth."""
    library = bench.build_libfec(tmp_path)
    if isinstance(library, str):
        if bench.os.environ.get("CI"):
            pytest.fail(f"libfec is required under CI: {library}")
        pytest.skip(f"libfec not available: {library}")
    w = bench.make_workload(0.05, 8 * 101, 8, 11)  # kp = 101: 122 symbols of virtual fill per codeword
    impl = bench.Libfec(library)
    out = np.empty(w.count * w.cadu, dtype=np.uint8)
    for operation in bench.OPERATIONS:
        assert bench.run_operation(impl, w, operation, out) >= 0


@pytest.mark.slow
def test_full_run(bench: ModuleType, tmp_path: Path) -> None:
    """The issue's run at a reduced batch: 1 GiB capture through the streaming decoder in bounded memory."""
    out = tmp_path / "bench.json"
    assert bench.main(["--mb", "8", "--repeat", "3", "--capture-gib", "1", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    if bench.stream is not None:
        assert doc["stream"]["capture"]["octets"] > 0.99 * 2**30
        assert doc["targets"][-1]["pass"], doc["targets"][-1]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
