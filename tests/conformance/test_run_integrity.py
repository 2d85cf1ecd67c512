"""A certification cannot be fooled, stalled or misread (issue: run integrity).

Each adversarial product of ``tests/broken_impls.py`` is certified for real, in child processes
supervised by :func:`~orbitcert.conformance.run_certification` (or the CLI); the run must complete
with a report whose verdicts name what the product did.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import new_optical_version

from orbitcert.conformance import Report, run_certification, verify_report
from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.session import CertificationTarget
from orbitcert.specs.errors import ImplementationError

TESTS = Path(__file__).resolve().parent.parent


def certify(
    tmp_path: Path,
    impl: str,
    examples: int = 25,
    timeout: float = 300.0,
    workers: int = 0,
    isolate: bool = True,
    **kw: Any,
) -> Report:
    target = CertificationTarget.resolve("net-optical-isl@1.0.0", impl=impl, **kw)
    catalogs = kw.get("catalogs", [])
    opts = RunOptions.create(
        out=tmp_path, examples=examples, timeout=timeout, formats="json,html", workers=workers, catalogs=catalogs,
        isolate=isolate,
    )
    return run_certification(target, opts).report


def verdict_of(report: Report, suffix: str) -> str:
    (test,) = [t for t in report.tests if t.nodeid.endswith(suffix)]
    return test.verdict.value


def test_a_product_that_empties_the_callers_list_is_not_certified(tmp_path: Path) -> None:
    r = certify(tmp_path, "broken_impls:input_eater")
    assert r.decision.value == "not-certified"
    assert {q.id: q.verdict.value for q in r.requirements}["OISL-COD-001"] == "fail"


def test_a_hostile_but_correct_product_is_certified(tmp_path: Path) -> None:
    """It consumes its input list, prints 2 MB per call, lowers the recursion limit, leaves a
    non-daemon thread behind and has a ``name`` that raises: certified all the same, the run
    ends, and the console log stays bounded."""
    started = time.monotonic()
    r = certify(tmp_path, "broken_impls:noisy_but_correct")
    assert r.decision.value == "certified", [(q.id, q.reason) for q in r.not_passed()]
    assert r.implementation.name == "broken_impls:noisy_but_correct", "a raising name falls back to the factory"
    assert time.monotonic() - started < 120, "the stray thread did not keep the run alive"
    log = (tmp_path / "net-optical-isl-1.0.0.log").stat().st_size
    assert log < 400_000, f"console log of {log} bytes: product output must be bounded"


@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "xdist"])
def test_a_product_that_tries_to_end_the_run_gets_errors_and_the_run_completes(tmp_path: Path, workers: int) -> None:
    """Serial and -n 2 alike: every selected test has a result (a crashed xdist worker used to
    leave a verifiable report lacking 25 to 69 of 79 tests)."""
    r = certify(tmp_path, "broken_impls:ends_the_run", workers=workers)
    assert r.complete and r.selected == len(r.tests) == 79
    name = "test_all_ones_frame_has_all_ones_check_symbols"
    assert verdict_of(r, f"{name}[I2]") == "error"  # KeyboardInterrupt
    assert verdict_of(r, f"{name}[I3]") == "error"  # pytest.exit
    assert verdict_of(r, f"{name}[I4]") == "error"  # os._exit(0): the process died under the test
    assert verdict_of(r, f"{name}[I5]") == "pass"
    messages = {t.nodeid.rsplit("[", 1)[1]: t.message for t in r.tests if t.nodeid.startswith(f"test_coding.py::{name}")}
    assert "KeyboardInterrupt" in messages["I2]"]
    assert "exit status 0" in messages["I4]"] or "crashed" in messages["I4]"], messages["I4]"]
    assert r.decision.value == "not-certified"


@pytest.mark.slow
def test_every_hang_ends_within_its_limit(tmp_path: Path) -> None:
    """A hang inside a hypothesis property test, a product swallowing the timeout and one that
    cancels the timer: each test gets an error verdict and the run completes."""
    started = time.monotonic()
    # 5 s: the honest tests of the run must stay well inside the limit on a loaded machine (a
    # 1 s limit made them time out too, and hypothesis then reported them flaky).
    r = certify(tmp_path, "broken_impls:hangs", examples=25, timeout=5.0)
    assert time.monotonic() - started < 150
    assert r.complete and len(r.tests) == 79
    assert verdict_of(r, "test_corrects_up_to_e_errors_per_codeword[I2]") == "error"
    assert verdict_of(r, "test_all_ones_frame_has_all_ones_check_symbols[I3]") == "error"
    assert verdict_of(r, "test_all_ones_frame_has_all_ones_check_symbols[I4]") == "error"
    assert verdict_of(r, "test_all_ones_frame_has_all_ones_check_symbols[I5]") == "pass"
    assert all("TestTimeout" in t.message for t in r.tests if t.verdict.value == "error")


def test_a_factory_that_hangs(tmp_path: Path) -> None:
    """In process, every test gets an error verdict; isolated (the default), the product never
    answers hello: the run is refused within the limit (exit 2), naming what happened."""
    r = certify(tmp_path, "broken_impls:factory_hangs", timeout=1.0, isolate=False)
    assert r.complete and {t.verdict.value for t in r.tests} == {"error"}
    assert "creating the product exceeded the 1 s limit" in r.tests[0].message
    started = time.monotonic()
    with pytest.raises(ImplementationError, match="failed hello: hello: no reply within 1 s"):
        certify(tmp_path / "iso", "broken_impls:factory_hangs", timeout=1.0)
    assert time.monotonic() - started < 30


def test_a_module_exiting_at_import_is_bad_input_not_success(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("certify", "--spec", "net-optical-isl@1.0.0", "--impl", "broken_exit_at_import:create", "--out", str(tmp_path), cwd=TESTS)
    assert result.code == 2, result.stdout + result.stderr
    assert "cannot import module 'broken_exit_at_import': SystemExit" in result.stderr
    assert not list(tmp_path.glob("*.json"))


def test_too_few_examples_cannot_certify(tmp_path: Path, cli: Callable[..., Any]) -> None:
    """``--examples 1`` certified a decoder that corrects nothing; now thoroughness is recorded and
    below the minimum the decision cannot be certified, even for the reference."""
    result = cli("certify", "--spec", "net-optical-isl@1.0.0", "--examples", "1", "--out", str(tmp_path))
    assert result.code == 1
    data = json.loads((tmp_path / "net-optical-isl-1.0.0.json").read_text())
    assert data["decision"] == "not-certified"
    assert data["thoroughness"] == {
        "examples": 1, "minimum_examples": 25, "derandomized": True, "timeout": 300.0, "seed": int(os.environ["ORBITCERT_SEED"]),
        "call_timeout": None,
    }
    assert "1 hypothesis example(s) per property test; a certification needs at least 25" in data["blockers"][0]
    assert "cannot certify: 1 hypothesis example(s)" in result.stdout
    # An honest not-certified report: every check passes but thoroughness, which names the shortfall
    # (and trust: no --sign-key, a one-time key).
    v = verify_report(tmp_path / "net-optical-isl-1.0.0.json")
    assert [c.name for c in v.failed] == ["trust", "thoroughness"], v.problems
    assert v.check("thoroughness").failures == [
        "1 hypothesis example(s) per property test; a certification of net-optical-isl@1.0.0 needs at least 25"
    ]


def test_a_vendor_catalog_cannot_replace_the_bundled_suite(tmp_path: Path) -> None:
    """An outside catalog holding an identical copy of the spec and an always-true suite: the
    bundled suite runs all the same; asking for another suite explicitly says so in the report."""
    catalog = tmp_path / "vendor"
    spec_dir = catalog / "net-optical-isl"
    spec_dir.mkdir(parents=True)
    bundled = Path(CertificationTarget.resolve("net-optical-isl@1.0.0").loaded.path)
    (spec_dir / "1.0.0.yaml").write_bytes(bundled.read_bytes())
    fake = catalog / "suites" / "net-optical-isl"
    fake.mkdir(parents=True)
    (fake / "test_fake.py").write_text(
        "import pytest\n"
        + "".join(f"@pytest.mark.requirement('OISL-COD-{i:03d}')\ndef test_{i}():\n    pass\n" for i in range(1, 13))
    )
    r = certify(tmp_path / "out", "broken_impls:wrong_seed", catalogs=[catalog])
    assert r.suite.origin == "bundled" and r.decision.value == "not-certified"
    overridden = certify(tmp_path / "out2", "broken_impls:wrong_seed", suite=fake, catalogs=[catalog])
    assert overridden.suite.origin == "override" and len(overridden.tests) == 12
    html = (tmp_path / "out2" / "net-optical-isl-1.0.0.html").read_text()
    assert "not the spec&#39;s own suite" in html or "not the spec's own suite" in html


def test_a_second_run_in_the_same_folder_is_refused(tmp_path: Path, cli: Callable[..., Any]) -> None:
    tmp_path.mkdir(exist_ok=True)
    fd = os.open(tmp_path / ".orbitcert.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = cli("certify", "--out", str(tmp_path))
    finally:
        os.close(fd)
    assert result.code == 2 and "another certification run is writing to this folder" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_ends_quickly_with_a_report_marked_incomplete(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "net-optical-isl-1.0.0.json").write_text('{"decision": "certified"}')  # an earlier run's file
    started = tmp_path / "started"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"ORBITCERT_TEST_STARTED": str(started)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", "net-optical-isl@1.0.0", "--impl", "broken_impls:slow", "--out", str(out)],
        cwd=TESTS, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # Interrupt once tests are running (the product has been called), however long collection
    # takes on a loaded machine.
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "the run ends within seconds"
    assert proc.returncode == 3, output
    data = json.loads((out / "net-optical-isl-1.0.0.json").read_text())
    assert data["complete"] is False and data["decision"] == "not-certified"
    assert data["selected"] == 79 and len(data["tests"]) < 79
    assert "INCOMPLETE" in (out / "net-optical-isl-1.0.0.html").read_text()
    v = verify_report(out / "net-optical-isl-1.0.0.json")
    assert v.check("thoroughness").failures[0].startswith("the run was interrupted"), v.check("thoroughness").messages
    # An honest record of an interrupted run is intact (report diff compares it), never a certification.
    assert v.check("coverage").status == "pass" and "the run was interrupted" in " ".join(v.check("coverage").messages)
    assert v.check("signatures").status == "pass" and v.check("verdicts").status == "pass", v.problems
    assert v.intact and v.exit_code == 1


def test_test_ids_do_not_depend_on_how_the_run_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain pytest from another folder, with the ICS elsewhere, names tests as certify does."""
    import contextlib
    import io

    r = certify(tmp_path / "certify", "orbitcert.reference_impl.optical.iut:create", examples=2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(["-p", "no:cacheprovider", "--orbitcert-spec", "net-optical-isl@1.0.0", "--orbitcert-examples", "2",
                     "--orbitcert-out", str(tmp_path / "plain"), "--orbitcert-format", "json"])
    plain = json.loads((tmp_path / "plain" / "net-optical-isl-1.0.0.json").read_text())
    assert sorted(t["nodeid"] for t in plain["tests"]) == sorted(t.nodeid for t in r.tests)
    assert all(t.nodeid.startswith("test_coding.py::") for t in r.tests)
    assert "/" not in (plain["ics"]["source"] or ""), "no machine path in a report"


def test_plain_pytest_imports_a_factory_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import io

    (tmp_path / "acme_adapter.py").write_text(
        "from orbitcert.reference_impl.optical.iut import create as _create\n\ndef create(spec):\n    return _create(spec)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = pytest.main(["-p", "no:cacheprovider", "--orbitcert-spec", "net-optical-isl@1.0.0", "--orbitcert-impl",
                            "acme_adapter:create", "--orbitcert-examples", "2", "-k", "asm_precedes"])
    assert code == 0
    assert json.loads((tmp_path / "reports" / "net-optical-isl-1.0.0.json").read_text())["implementation"]["factory"] == (
        "acme_adapter:create"
    )


def test_a_new_version_in_an_outside_catalog_runs_in_the_child_too(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    new_optical_version(catalog)
    target = CertificationTarget.resolve("net-optical-isl@2.0.0", catalogs=[catalog])
    run = run_certification(target, RunOptions.create(out=tmp_path / "out", examples=25, catalogs=[catalog]))
    assert run.report.decision.value == "certified" and run.report.spec.version == "2.0.0"


def test_the_product_cannot_see_the_runs_seed(tmp_path: Path) -> None:
    """A fresh seed is drawn for the run and sent to the pytest child on a pipe: neither the
    product's environment nor its ancestors' command lines and environments hold it."""
    snoop = tmp_path / "seen.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ORBITCERT_SEED")} | {"ORBITCERT_SNOOP_FILE": str(snoop)}
    proc = subprocess.run(
        [sys.executable, "-m", "orbitcert.conformance.cli", "certify", "--spec", "net-optical-isl@1.0.0",
         "--impl", "broken_impls:seed_snoop", "--out", str(tmp_path / "out"), "--format", "json"],
        cwd=TESTS, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seed = json.loads((tmp_path / "out" / "net-optical-isl-1.0.0.json").read_text())["thoroughness"]["seed"]
    seen = snoop.read_text()
    assert "orbitcert" in seen, "the snoop saw its ancestors"
    assert str(seed) not in seen, "the product found the run's seed"
