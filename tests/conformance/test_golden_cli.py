"""``orbitcert golden optical encode|decode|compare``: the command-line golden model.

Oracles: the numpy Reed-Solomon model (:meth:`ReedSolomonCode.parity`, :func:`rs_decode_batch` under
the numpy kernel) and the batch synchronizer :func:`locate_codeblocks`, never the streaming code
the commands run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coding_oracles import oracle_cadus, oracle_decode
from orbitcert.reference_impl.optical import kernels


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return np.random.default_rng(14).integers(0, 256, size=(700, 1115), dtype=np.uint8)


def test_encode_then_decode_round_trip(cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray) -> None:
    src = tmp_path / "frames.bin"
    frames.tofile(src)
    r = cli("golden", "optical", "encode", str(src), str(tmp_path / "cadus.bin"), "--summary", str(tmp_path / "e.json"))
    assert r.code == 0, r.stderr
    assert (tmp_path / "cadus.bin").read_bytes() == oracle_cadus(frames, 5).tobytes()
    summary = json.loads((tmp_path / "e.json").read_text())
    assert summary["frames"] == 700 and summary["output_octets"] == 700 * 1279 and summary["kernel"] == kernels.active()
    r = cli("golden", "optical", "decode", str(tmp_path / "cadus.bin"), str(tmp_path / "out.bin"), "--chunk-mib", "1")
    assert r.code == 0, r.stderr
    assert (tmp_path / "out.bin").read_bytes() == frames.tobytes()
    assert "codeblocks:               700 (700 frames delivered)" in r.stderr


@pytest.mark.parametrize(("depth", "length", "randomize"), [(1, 100, True), (3, 669, False), (8, 8, True)])
def test_other_depths_lengths_and_no_randomize(
    cli: Callable[..., Any], tmp_path: Path, depth: int, length: int, randomize: bool
) -> None:
    arr = np.random.default_rng(depth).integers(0, 256, size=(50, length), dtype=np.uint8)
    (tmp_path / "f").write_bytes(arr.tobytes())
    opts = ["-I", str(depth), "-L", str(length)] + ([] if randomize else ["--no-randomize"])
    assert cli("golden", "optical", "encode", str(tmp_path / "f"), str(tmp_path / "c"), *opts).code == 0
    assert (tmp_path / "c").read_bytes() == oracle_cadus(arr, depth, randomize).tobytes()
    assert cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "c"), *opts).code == 0


def test_decode_of_an_impaired_capture_matches_the_batch_models(
    cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray
) -> None:
    rng = np.random.default_rng(3)
    cadus = oracle_cadus(frames, 5)
    for row in rng.choice(700, 40, replace=False):  # correctable errors
        cadus[row, 4 + rng.choice(1275, 10, replace=False)] ^= 0x11
    for row in (100, 200, 300):  # 17 errors in codeword 2: uncorrectable
        cadus[row, 4 + np.arange(17) * 5 + 2] ^= 0xFF
    capture = np.concatenate([cadus[:400].reshape(-1), cadus[400:].reshape(-1)[37:]])  # a slip
    (tmp_path / "cap").write_bytes(capture.tobytes())
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"), "--summary", str(tmp_path / "s"))
    assert r.code == 0, r.stderr
    offsets, events, data, corrected, bad = oracle_decode(capture, 1115, 5)
    assert (tmp_path / "out").read_bytes() == data[~bad].tobytes()
    s = json.loads((tmp_path / "s").read_text())
    assert s["codeblocks"] == offsets.size and s["uncorrectable_codeblocks"] == int(bad.sum()) == 3
    assert s["corrected_symbols"] == int(np.where(corrected > 0, corrected, 0)[~bad].sum()) == 400
    assert s["sync_losses"] == sum(e.kind == "lost" for e in events) == 1
    assert s["first_uncorrectable_offsets"] == [int(o) for o in offsets[bad]]
    assert s["sync_events"] == [{"offset": e.offset, "kind": e.kind} for e in events]


def test_stdin_and_stdout(tmp_path: Path, frames: np.ndarray) -> None:
    """A real pipe: encode - - | decode - - gives the frames back."""
    exe = [sys.executable, "-m", "orbitcert.conformance.cli"]
    enc = subprocess.run([*exe, "golden", "optical", "encode", "-", "-"], input=frames.tobytes(),
                         capture_output=True, check=True)
    assert enc.stdout == oracle_cadus(frames, 5).tobytes()
    dec = subprocess.run([*exe, "golden", "optical", "decode", "-", "-"], input=enc.stdout, capture_output=True,
                         check=True)
    assert dec.stdout == frames.tobytes()
    assert b"sync losses" in dec.stderr


def test_truncated_frames_are_an_error_and_write_nothing(
    cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray
) -> None:
    (tmp_path / "f").write_bytes(frames.tobytes()[:-7])
    out = tmp_path / "c"
    out.write_bytes(b"keep me")
    r = cli("golden", "optical", "encode", str(tmp_path / "f"), str(out))
    assert r.code == 2 and "Traceback" not in r.stderr
    assert "699 whole frames of --frame-length 1115 and 1108 octets more" in r.stderr and str(tmp_path / "f") in r.stderr
    assert out.read_bytes() == b"keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["c", "f"]


def test_wrong_frame_length_names_the_one_that_fits(cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray) -> None:
    (tmp_path / "cap").write_bytes(oracle_cadus(frames, 5).tobytes())
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"), "-L", "1110")
    assert r.code == 2 and "no codeblock found" in r.stderr and "fits --interleave 5 --frame-length 1115" in r.stderr
    assert not (tmp_path / "out").exists()
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"), "-L", "1114")
    assert r.code == 2 and "--frame-length 1114 is invalid for interleave=5" in r.stderr
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"), "-I", "6")
    assert r.code == 2 and "interleave=6 is not an allowed interleaving depth" in r.stderr
    r = cli("golden", "optical", "decode", str(tmp_path / "missing"), str(tmp_path / "out"))
    assert r.code == 2 and "cannot read" in r.stderr and "missing" in r.stderr


def test_truncated_capture(cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray) -> None:
    (tmp_path / "cap").write_bytes(oracle_cadus(frames, 5).tobytes()[:-100])
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"))
    assert r.code == 2 and "ends inside a CADU: its last 1179 octets" in r.stderr and not (tmp_path / "out").exists()
    r = cli("golden", "optical", "decode", str(tmp_path / "cap"), str(tmp_path / "out"), "--allow-partial")
    assert r.code == 0 and "warning" in r.stderr
    assert (tmp_path / "out").read_bytes() == frames[:699].tobytes()


def test_compare_names_the_first_differing_codeblock(
    cli: Callable[..., Any], tmp_path: Path, frames: np.ndarray
) -> None:
    (tmp_path / "f").write_bytes(frames.tobytes())
    good = oracle_cadus(frames, 5)
    (tmp_path / "same").write_bytes(good.tobytes())
    r = cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "same"), "--chunk-mib", "1")
    assert r.code == 0 and "identical: 700 CADUs" in r.stderr
    bad = good.copy()
    bad[123, 4 + 1115 + 6 * 5 + 3] ^= 0x01  # check symbol 6 of codeword 3 of CADU 123
    bad[456, 10] ^= 0x80
    (tmp_path / "bad").write_bytes(bad.tobytes())
    r = cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "bad"), "--summary", str(tmp_path / "s"))
    offset = 123 * 1279 + 4 + 1115 + 33
    assert r.code == 1
    assert f"first difference at capture offset {offset:,}: CADU 123" in r.stderr
    assert "check symbol 6 of codeword 3" in r.stderr and "2 CADU(s) differ" in r.stderr
    s = json.loads((tmp_path / "s").read_text())
    assert s["first_difference"] == {"offset": offset, "cadu": 123, "where": "check symbol 6 of codeword 3 (codeblock "
                                     "octet 1148)", "expected": int(good[123, 4 + 1148]), "got": int(bad[123, 4 + 1148])}
    (tmp_path / "short").write_bytes(good.tobytes()[:-10])
    r = cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "short"))
    assert r.code == 1 and "ends 10 octets early" in r.stderr
    (tmp_path / "long").write_bytes(good.tobytes() + b"xyz")
    r = cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "long"))
    assert r.code == 1 and "3 octets more" in r.stderr
    marker = good.copy()
    marker[5, 1] ^= 0x40
    (tmp_path / "marker").write_bytes(marker.tobytes())
    r = cli("golden", "optical", "compare", str(tmp_path / "f"), str(tmp_path / "marker"))
    assert r.code == 1 and "CADU 5" in r.stderr and "attached sync marker octet 1" in r.stderr
    (tmp_path / "cut").write_bytes(frames.tobytes()[:-7])
    r = cli("golden", "optical", "compare", str(tmp_path / "cut"), str(tmp_path / "same"))
    assert r.code == 2 and "699 whole frames of --frame-length 1115 and 1108 octets more" in r.stderr


@pytest.mark.slow
def test_a_1_gib_capture_in_bounded_memory(tmp_path: Path) -> None:
    """The issue's done-when: 1 GiB through the command-line golden model, peak RSS under 200 MB,
    the delivered frames equal to the batch models' (whole-capture sync, numpy decoding)."""
    rng = np.random.default_rng(1)
    count = (1 << 30) // 1279 + 1
    cap_path = tmp_path / "capture.bin"
    with open(cap_path, "wb") as fh:
        for lo in range(0, count, 20_000):
            n = min(20_000, count - lo)
            arr = rng.integers(0, 256, size=(n, 1115), dtype=np.uint8)
            cadus = oracle_cadus(arr, 5)
            dirty = rng.choice(n, n // 100, replace=False)  # 1% of codeblocks with 8 errors in one codeword
            for row in dirty:
                cadus[row, 4 + rng.choice(255, 8, replace=False) * 5 + int(rng.integers(5))] ^= 0x5A
            fh.write(cadus.tobytes())
    out = tmp_path / "frames.bin"
    script = (
        "import sys\n"
        "from orbitcert.conformance.cli import main\n"
        "sys.argv = ['orbitcert', 'golden', 'optical', 'decode', sys.argv[1], sys.argv[2], '--summary', sys.argv[3]]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n    code = 0\n"
        # VmHWM: this process's own peak (ru_maxrss would include pytest's, inherited across fork and exec)
        "print([int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')][0], file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(cap_path), str(out), str(tmp_path / "s.json")],
                         capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    peak_mb = int(run.stderr.strip().splitlines()[-1]) / 1024
    assert peak_mb <= 200, f"peak RSS {peak_mb:.0f} MB"
    summary = json.loads((tmp_path / "s.json").read_text())
    capture = np.memmap(cap_path, dtype=np.uint8, mode="r")
    offsets, events, data, corrected, bad = oracle_decode(np.asarray(capture), 1115, 5)
    assert summary["codeblocks"] == offsets.size == count and not bad.any()
    assert summary["corrected_symbols"] == int(corrected.sum()) == (count // 20_000 * 200 + (count % 20_000) // 100) * 8
    decoded = np.memmap(out, dtype=np.uint8, mode="r")
    assert decoded.size == data.size and np.array_equal(decoded.reshape(data.shape), data)
