"""Assertion rewriting in a certification (issue 14, "Certify latency").

* The pytest child loads only the harness's plugins (``run.plugin_args``): pytest's default,
  autoloading ``pytest11`` entry points, marks each such distribution's whole package for
  assertion rewriting, so every process re-parsed, rewrote and compiled all of hypothesis (about
  0.6 s where bytecode writing is disabled).
* The suite's modules run from code the certifying process compiled from their source and sent
  on a pipe (``run.suite_code``, the plugin's ``--orbitcert-code-fd``), never from pytest's cache
  of rewritten modules: that cache is validated by a public 64-bit hash of the source, which a
  product can copy into a file carrying other code.

The oracles are pytest itself (what it rewrites and loads by default, its own rewrite of a file)
and the verdicts of a real certification.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from _pytest.assertion.rewrite import PYC_TAIL, _rewrite_test

from orbitcert.conformance.options import RunOptions
from orbitcert.conformance.plugin import suite_code_header
from orbitcert.conformance.run import plugin_args, pytest_args, suite_code
from orbitcert.conformance.session import SUITES_DIR, CertificationTarget

from helpers import certify_gate, gate_catalog

PROBE = '''\
import sys

import hypothesis.core  # noqa: F401 - a module of a plugin's distribution
from _pytest.assertion.rewrite import AssertionRewritingHook


def test_probe():
    rewritten = sorted(
        name for name, module in list(sys.modules.items())
        if isinstance(getattr(module, "__loader__", None), AssertionRewritingHook)
    )
    print("REWRITTEN=" + ",".join(rewritten))


def test_introspection():
    got = [1, 2, 3]
    assert got == [1, 2, 4]
'''


def _pytest_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS", "PYTEST_ADDOPTS") and not k.startswith("PYTEST_XDIST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # as on the CI images the issue measured
    return env


def _run_pytest(folder: Path, *args: str, blob: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` in ``folder`` (its own empty ini); with ``blob``, sent on a pipe
    named by ``--orbitcert-code-fd`` as ``orbitcert certify`` does."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", "--rootdir", str(folder),
               "-c", str(folder / "pytest.ini"), *args]
    fds: tuple[int, ...] = ()
    writer = None
    if blob is not None:
        read_fd, write_fd = os.pipe()
        command += ["--orbitcert-code-fd", str(read_fd)]
        fds = (read_fd,)

        def send() -> None:
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(blob)

        writer = threading.Thread(target=send, daemon=True)
    try:
        proc = subprocess.Popen(command, cwd=folder, env=_pytest_env(), pass_fds=fds, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        for fd in fds:
            os.close(fd)
    if writer is not None:
        writer.start()
    out, _ = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def _rewritten(output: str) -> set[str]:
    found = re.search(r"REWRITTEN=(\S*)", output)
    assert found, output
    return set(found.group(1).split(","))


# ---- which modules are rewritten ------------------------------------------------------------------


def test_plugin_args_name_modules_never_a_whole_package() -> None:
    assert plugin_args() == [
        "--disable-plugin-autoload", "-p", "orbitcert.conformance.plugin", "-p", "_hypothesis_pytestplugin",
    ]
    assert plugin_args(2)[-2:] == ["-p", "xdist.plugin"]
    # `-p orbitcert` (the entry point's name) would mark the whole orbitcert package for rewriting.
    names = plugin_args(2)[2::2]
    assert all("." in n or n.startswith("_") for n in names), names


def test_the_child_gets_the_harness_plugins(tmp_path: Path) -> None:
    target = CertificationTarget.resolve("net-optical-isl@1.0.0")
    args = pytest_args(target, RunOptions.create(out=tmp_path, workers=2))
    assert args[: len(plugin_args(2))] == plugin_args(2)
    assert "-n" in args


def test_autoloading_rewrites_all_of_hypothesis_the_harness_plugins_do_not(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    default = _run_pytest(tmp_path, "test_probe.py")
    # The oracle, pytest's default: the hypothesis distribution has a pytest11 entry point, so its
    # whole package is rewritten (and so is pytest-xdist's).
    assert "hypothesis.core" in _rewritten(default.stdout), default.stdout
    harness = _run_pytest(tmp_path, *plugin_args(), "test_probe.py")
    rewritten = _rewritten(harness.stdout)
    assert not {n for n in rewritten if n.split(".")[0] in ("hypothesis", "xdist", "platformdirs")}, rewritten
    assert "test_probe" in rewritten
    # The suite's own assertions are still rewritten: the failure explains itself.
    assert harness.returncode == 1
    assert "At index 2 diff: 3 != 4" in harness.stdout, harness.stdout


def test_a_plugin_named_in_pytest_plugins_still_loads(tmp_path: Path) -> None:
    (tmp_path / "extra_plugin.py").write_text("def pytest_report_header(config):\n    return 'EXTRA PLUGIN LOADED'\n")
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    env = _pytest_env() | {"PYTEST_PLUGINS": "extra_plugin", "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *plugin_args(), "-p", "no:cacheprovider", "-c", "/dev/null",
         "--rootdir", str(tmp_path), "test_one.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0 and "EXTRA PLUGIN LOADED" in proc.stdout, proc.stdout + proc.stderr


# ---- the suite's code: compiled by the certifying process, never read from a pyc -------------------


def test_suite_code_is_pytests_own_rewrite_of_each_file(pytestconfig: pytest.Config) -> None:
    suite = SUITES_DIR / "net-optical-isl"
    header, table = marshal.loads(suite_code(suite, ["test_coding.py::test_a[I1]", "test_budget.py::test_b", "test_coding.py::c"]))
    assert header == suite_code_header()
    files = [suite / "test_coding.py", suite / "test_budget.py", suite / "conftest.py"]
    assert set(table) == {os.path.realpath(f) for f in files}
    assert not pytestconfig.getini("enable_assertion_pass_hook")
    for f in files:
        digest, code = table[os.path.realpath(f)]
        assert digest == hashlib.sha256(f.read_bytes()).digest()
        assert code == _rewrite_test(f, pytestconfig)[1], f  # pytest's rewrite of the same file


GENUINE = 'def test_it():\n    assert 1 + 1 == 3, "GENUINE SUITE CODE"\n'


def _plant_pyc(test_file: Path, code_text: str) -> Path:
    """A pytest cache file for ``test_file`` that passes pytest's check (the source's hash in the
    header) and carries the code of ``code_text``: what a product running as the same user can
    write beside a suite."""
    source = test_file.read_bytes()
    pyc = test_file.parent / "__pycache__" / (test_file.name[:-3] + PYC_TAIL)
    pyc.parent.mkdir(exist_ok=True)
    code = compile(code_text, str(test_file), "exec", dont_inherit=True)
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00" + importlib.util.source_hash(source)[:8] + marshal.dumps(code))
    return pyc


def test_pytest_runs_a_planted_pyc_a_certification_child_never_does(tmp_path: Path) -> None:
    test_file = tmp_path / "test_gate_x.py"
    test_file.write_text(GENUINE)
    _plant_pyc(test_file, "def test_it():\n    pass\n")
    # The threat, shown by pytest itself: with bytecode writing disabled it still loads the
    # planted file, and the failing test passes.
    plain = _run_pytest(tmp_path, *plugin_args(), "test_gate_x.py")
    assert plain.returncode == 0, plain.stdout
    # A certification's child compiles the source, with or without code from its parent.
    for blob in (b"", suite_code(tmp_path, ["test_gate_x.py::test_it"])):
        child = _run_pytest(tmp_path, *plugin_args(), "test_gate_x.py", blob=blob)
        assert child.returncode == 1 and "GENUINE SUITE CODE" in child.stdout, child.stdout


def test_a_suite_file_changed_after_the_start_is_an_error_not_other_code(tmp_path: Path) -> None:
    test_file = tmp_path / "test_gate_y.py"
    test_file.write_text(GENUINE)
    blob = suite_code(tmp_path, ["test_gate_y.py::test_it"])
    test_file.write_text("def test_it():\n    pass\n")  # e.g. a product rewrote the suite during the run
    child = _run_pytest(tmp_path, *plugin_args(), "test_gate_y.py", blob=blob)
    assert child.returncode == 2, child.stdout  # a collection error: nothing of that file ran
    assert "changed after the certification started" in child.stdout, child.stdout
    # A blob of another format (another pytest or Python) is ignored, as is garbage: the child
    # compiles the file it finds.
    for junk in (marshal.dumps((("other", b"", ""), {})), b"\x00garbage"):
        child = _run_pytest(tmp_path, *plugin_args(), "test_gate_y.py", blob=junk)
        assert child.returncode == 0, child.stdout


PLANTED_PLUGIN = '''\
import os
import sys


def pytest_configure(config):
    with open(os.environ["PLANTED_PLUGIN_LOG"], "a") as log:
        log.write(("child" if "--orbitcert-events-fd" in sys.argv else "other") + "\\n")
'''


def _plant_entry_point_plugin(root: Path, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution with a pytest11 entry point (on the product's import path)."""
    dist = root / "planted_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: planted-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\nplanted = planted_plugin\n")
    (root / "planted_plugin.py").write_text(PLANTED_PLUGIN)
    monkeypatch.setenv("PLANTED_PLUGIN_LOG", str(log))


@pytest.mark.parametrize("workers", [0, pytest.param(2, marks=pytest.mark.slow)], ids=["serial", "xdist"])
def test_a_certification_runs_the_suite_source_not_planted_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    catalog = gate_catalog(tmp_path)
    suite_file = catalog / "suites" / "gate-demo" / "test_gate.py"
    # The product `broken` refuses beta names: GATE-002 fails. Planted code that asserts nothing
    # would certify it.
    _plant_pyc(suite_file, suite_file.read_text().replace("assert iut.check", "assert True or iut.check"))
    log = tmp_path / "planted.log"
    _plant_entry_point_plugin(tmp_path, log, monkeypatch)
    extra = ("--workers", str(workers)) if workers else ()
    code = certify_gate(tmp_path, tmp_path / "out", "broken", None, *extra)
    assert code == 1  # not certified
    report = (tmp_path / "out" / "gate-demo-1.0.0.json").read_text()
    assert '"GATE-002"' in report and "refused a" in report
    # An installed pytest plugin does not run in the suite's process.
    assert "child" not in (log.read_text().split() if log.exists() else [])
