"""The out-of-process bridge: a faithful channel, and a harness that survives every product."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orbitcert.conformance import Report, run_certification, verify_report
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.specs.errors import ImplementationError

PRODUCTS = Path(__file__).resolve().parent.parent / "products"
MISBEHAVING = f"{sys.executable} {PRODUCTS / 'misbehaving.py'}"
TRIGGERED = "test_all_ones_frame_has_all_ones_check_symbols[I2]"


def certify(out: Path, examples: int = 25, workers: int = 0, **target: Any) -> Report:
    options = RunOptions.create(
        out=out, examples=examples, workers=workers, formats="json", max_message=target.pop("max_message", 1 << 20),
        call_timeout=target.pop("call_timeout", None), isolate=target.pop("isolate", True),
        timeout=target.pop("timeout", 300.0),
    )
    return run_certification(CertificationTarget.resolve("net-optical-isl@1.0.0", **target), options).report


def _stable(report: Report) -> dict[str, Any]:
    return {
        "requirements": [(r.id, r.verdict.value) for r in report.requirements],
        "tests": [(t.nodeid, t.verdict.value) for t in report.tests],
        "classes": [(c.id, c.decision.value) for c in report.classes],
        "decision": report.decision.value,
    }


def test_the_reference_gets_the_same_verdicts_in_process_and_through_serve(tmp_path: Path) -> None:
    in_process = certify(tmp_path / "in", isolate=False)
    served = certify(
        tmp_path / "served",
        command=f"{sys.executable} -m orbitcert.conformance.cli serve --impl orbitcert.reference_impl.optical.iut:create "
        "--spec net-optical-isl@1.0.0",
    )
    # A product in the harness's own process could have changed the verdicts: that run never
    # certifies, though every class does; served, the same verdicts certify.
    assert served.decision.value == "certified" and not served.blockers
    assert in_process.decision.value == "not-certified" and len(in_process.blockers) == 1
    assert "--no-isolate" in in_process.blockers[0]
    assert _stable(served) == {**_stable(in_process), "decision": "certified"}
    assert in_process.implementation.shared_process and not served.implementation.shared_process
    assert served.implementation.command and "orbitcert.conformance.cli serve" in served.implementation.command
    assert served.implementation.name == "orbitcert-reference-optical", "the report names the product from hello"


@pytest.mark.parametrize(
    ("mode", "evidence"),
    [
        ("hang", "no reply within 2 s (the product hung)"),
        ("crash", "the product ended during the call; exit status 3; stderr tail: misbehaving: crash"),
        ("segfault", "killed by signal 11 (SIGSEGV)"),
        ("garbage", "not a protocol reply: b'DEBUG: encoding 446 octets'"),
        ("wrong-id", "answers no request"),
        ("flood", "reply larger than the 1048576-byte limit"),
    ],
)
def test_a_misbehaving_product_gets_an_error_with_evidence_and_the_run_completes(
    tmp_path: Path, mode: str, evidence: str
) -> None:
    r = certify(tmp_path, command=f"{MISBEHAVING} {mode}", call_timeout=2.0)
    assert r.complete and r.selected == len(r.tests) == 79
    (hit,) = [t for t in r.tests if t.nodeid.endswith(TRIGGERED)]
    assert hit.verdict.value == "error" and evidence in hit.message, hit.message
    others = [t.verdict.value for t in r.tests if t is not hit]
    assert set(others) == {"pass"}, "the product is restarted and the run goes on"
    assert r.decision.value == "not-certified"
    v = verify_report(tmp_path / "net-optical-isl-1.0.0.json")
    assert v.intact and v.exit_code == 3, v.problems  # every check passes; signed with a one-time key


def test_serial_and_parallel_runs_agree_for_a_crashing_product(tmp_path: Path) -> None:
    serial = certify(tmp_path / "serial", command=f"{MISBEHAVING} crash")
    parallel = certify(tmp_path / "parallel", command=f"{MISBEHAVING} crash", workers=2)
    assert _stable(serial) == _stable(parallel)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/nonexistent/modem --serve", "cannot start the product (/nonexistent/modem --serve)"),
        (f"{MISBEHAVING} bad-hello", "failed hello: hello: the product wrote something that is not a protocol reply"),
        (f"{sys.executable} -c 'import sys; sys.stderr.write(\"licence expired\"); sys.exit(9)'", "licence expired"),
    ],
)
def test_a_product_that_cannot_start_is_refused(tmp_path: Path, command: str, message: str) -> None:
    with pytest.raises(ImplementationError) as info:
        certify(tmp_path, command=command)
    assert message in str(info.value)
    assert not list(tmp_path.glob("*.json"))


def test_a_silent_product_is_refused_within_the_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ImplementationError, match="no reply within 3 s"):
        certify(tmp_path, command=f"{MISBEHAVING} silent", timeout=3.0)
    assert time.monotonic() - started < 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_product_reached_over_tcp(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "orbitcert.conformance.cli", "serve", "--impl", "orbitcert.reference_impl.optical.iut:create",
         "--spec", "net-optical-isl@1.0.0", "--listen", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        r = certify(tmp_path, connect=f"127.0.0.1:{port}")
    finally:
        server.kill()
        server.wait()
    assert r.decision.value == "certified"
    assert r.implementation.command == f"tcp://127.0.0.1:{port}"


def test_the_protocol_schema_ships_and_describes_both_directions() -> None:
    from orbitcert.conformance.schemas import load_schema

    schema = load_schema("bridge.schema.json")
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    assert validator.is_valid({"id": 0, "op": "hello", "args": {}})
    assert validator.is_valid({"id": 3, "result": "AAAA"})
    assert validator.is_valid({"id": 3, "error": {"type": "ValueError", "message": "bad depth"}})
    assert not validator.is_valid({"op": "hello"})
    assert json.dumps(schema)


def test_a_product_that_rewrites_the_harness_has_no_effect_when_isolated(tmp_path: Path) -> None:
    r = certify(tmp_path, impl="broken_impls:rewrites_the_harness")
    assert r.decision.value == "not-certified"
    verdicts = {q.id: q.verdict.value for q in r.requirements}
    assert verdicts["OISL-COD-003"] in ("fail", "error") and verdicts["OISL-COD-004"] in ("fail", "error")
    assert r.implementation.shared_process is False


def test_in_process_the_report_says_the_product_shared_the_harness(tmp_path: Path) -> None:
    """--no-isolate is for debugging: the same attacker may then fool the run, and the report
    says that the product shared the harness's process."""
    r = certify(tmp_path, impl="broken_impls:rewrites_the_harness", isolate=False)
    assert r.implementation.shared_process is True


def test_runaway_memory_is_an_error_verdict(tmp_path: Path) -> None:
    options = RunOptions.create(out=tmp_path, examples=25, formats="json", memory_limit=1024**3)
    target = CertificationTarget.resolve("net-optical-isl@1.0.0", impl="broken_impls:memory_hog")
    r = run_certification(target, options).report
    (hit,) = [t for t in r.tests if t.nodeid.endswith(TRIGGERED)]
    assert hit.verdict.value == "error" and "MemoryError" in hit.message, hit.message
    assert r.complete and len(r.tests) == 79


def test_the_python_example_is_certified_out_of_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "python-serve"
    monkeypatch.chdir(example)
    command = f"{sys.executable} -m orbitcert.conformance.cli serve --impl acme_modem:create --spec net-optical-isl@1.0.0"
    r = certify(tmp_path, command=command)
    assert r.decision.value == "certified"
    assert (r.implementation.name, r.implementation.version) == ("acme-oisl-modem", "2.1.0")


def test_a_time_limit_striking_during_hello_leaves_no_half_started_product() -> None:
    """The per-test alarm may strike while a restarted product is still answering hello: the
    product is stopped, so the next call never reads the stale hello reply (seen under load as
    a 'reply id 0 answers no request' error in the test after a hang)."""
    from orbitcert.conformance.bridge.client import BridgeClient
    from orbitcert.conformance.bridge.transport import ProcessChannel
    from orbitcert.conformance.timeouts import TestTimeout, time_limit
    from orbitcert.specs.loader import load_ref

    spec = load_ref("net-optical-isl@1.0.0").spec
    client = BridgeClient(spec, lambda: ProcessChannel([sys.executable, str(PRODUCTS / "misbehaving.py"), "ok"]), "test")
    with pytest.raises(TestTimeout), time_limit(0.05, "test"):
        client.start()  # the product needs far longer than 50 ms to start and answer
    assert client.channel is None
    try:
        assert client.call("encode", {"frames": [b"\x00" * 3], "interleave": 1, "randomize": False})[:4] == b"\x1a\xcf\xfc\x1d"
    finally:
        client.stop()
