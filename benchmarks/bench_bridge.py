"""Cost of the out-of-process bridge (docs/reference/protocol.md).

Run: ``python benchmarks/bench_bridge.py [--calls 20000] [--mb 1] [--certify-runs 3]``.

In one run, with the generic bridge client (the one certification uses):

* small round trips per second (``hello``) over stdin/stdout and over TCP on loopback, against
  the Python server (``orbitcert serve``) and, when it is built (``make -C examples/c-coding``),
  the C example product;
* payload throughput, MB/s of frame data, for a 1 MB ``encode`` (the reference behind
  ``orbitcert serve``, and the C product), next to the reference called in process;
* the wall time of ``orbitcert certify`` of the reference in process (``--no-isolate``) and through
  the bridge (the default), median of ``--certify-runs``, and their ratio.

Round-trip and payload figures use the client process's CPU time and wall time; the machine is
shared, so each figure is the median of several repetitions.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from orbitcert.conformance.bridge.client import BridgeClient
from orbitcert.conformance.bridge.transport import ProcessChannel, SocketChannel
from orbitcert.reference_impl.optical import coding
from orbitcert.specs.loader import load_ref

ROOT = Path(__file__).resolve().parent.parent
C_PRODUCT = ROOT / "examples" / "c-coding" / "product"
SPEC = load_ref("net-optical-isl@1.0.0").spec
SERVE = [sys.executable, "-m", "orbitcert.conformance.cli", "serve", "--impl",
         "orbitcert.reference_impl.optical.iut:create", "--spec", SPEC.ref]


def median_rate(work: Callable[[], None], count: int, repeat: int = 5) -> tuple[float, float]:
    """(count per wall second, count per client-CPU second), medians over ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append(count / (time.perf_counter() - w0))
        cpu.append(count / max(time.process_time() - c0, 1e-9))
    return statistics.median(wall), statistics.median(cpu)


def client_for(open_channel: Callable[[], object]) -> BridgeClient:
    client = BridgeClient(SPEC, open_channel, "bench")  # type: ignore[arg-type]
    client.start()
    return client


def round_trips(client: BridgeClient, calls: int) -> tuple[float, float]:
    def work() -> None:
        for _ in range(calls):
            client._exchange("hello", {}, 10.0)

    return median_rate(work, calls)


def payload(client: BridgeClient, frames: list[bytes]) -> tuple[float, float]:
    mb = sum(map(len, frames)) / 1e6

    def work() -> None:
        out = client.call("encode", {"frames": frames, "interleave": 5, "randomize": True})
        assert out == expected

    expected = coding.encode_cadus(frames, 5, True)
    return median_rate(work, 1, repeat=5)[0] * mb, median_rate(work, 1, repeat=3)[1] * mb


def certify_wall(extra: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "orbitcert.conformance.cli", "certify", "-o", out, *extra],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--certify-runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(20261125)
    frames = [rng.integers(0, 256, 1115, dtype=np.uint8).tobytes() for _ in range(int(args.mb * 1e6 // 1115))]

    rows: list[tuple[str, str, str]] = []
    servers: list[tuple[str, Callable[[], object]]] = [("python serve, pipes", lambda: ProcessChannel(SERVE))]
    if C_PRODUCT.is_file():
        servers.append(("C product, pipes", lambda: ProcessChannel([str(C_PRODUCT)])))
    port = free_port()
    tcp = subprocess.Popen([*SERVE, "--listen", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    servers.append(("python serve, TCP loopback", lambda: SocketChannel("127.0.0.1", port)))
    try:
        for name, opener in servers:
            client = client_for(opener)
            wall, cpu = round_trips(client, args.calls)
            rows.append((f"round trips/s (hello), {name}", f"{wall:,.0f}", f"{cpu:,.0f}"))
            wall, cpu = payload(client, frames)
            rows.append((f"encode {args.mb:g} MB, MB/s, {name}", f"{wall:.1f}", f"{cpu:.1f}"))
            client.stop()
    finally:
        tcp.kill()
    def in_process() -> None:
        coding.encode_cadus(frames, 5, True)

    wall, cpu = median_rate(in_process, 1)
    rows.append((f"encode {args.mb:g} MB, MB/s, reference in process", f"{wall * args.mb:.1f}", f"{cpu * args.mb:.1f}"))
    direct = certify_wall(["--no-isolate"], args.certify_runs)
    bridged = certify_wall([], args.certify_runs)
    rows.append(("certify wall s, reference in process (--no-isolate)", f"{direct:.2f}", "-"))
    rows.append(("certify wall s, reference through the bridge", f"{bridged:.2f}", "-"))
    rows.append(("bridge / in process (certify wall)", f"{bridged / direct:.2f}x", "-"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'wall':>10}  {'client CPU':>10}")
    for name, wall_s, cpu_s in rows:
        print(f"{name:<{width}}  {wall_s:>10}  {cpu_s:>10}")
    print("targets: >= 20,000 round trips/s over pipes; >= 100 MB/s payload; bridge adds <= 25% to certify")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
