"""Adversarial review of the certify-latency change (issue 14: plugin autoload off, the suite's
code compiled by the certifying process and sent to the pytest child on a pipe).

Findings 3 and 4 (PYTEST_ADDOPTS reaching the child) are fixed and are plain tests now. Findings
1, 2 and 5 (bytecode caches of the installation and of a catalog suite's helper modules) are known
limits, documented in docs/concepts/trust.md ("What the harness trusts on the certifying machine"),
and stay ``xfail(strict=True)``: each passes once fixed, and then fails as XPASS. Probes that held
are plain tests.

Oracles: pytest itself (what its import hook loads), CPython's import system (what an ordinary
``__pycache__`` file must carry to be used), a real ``orbitcert certify`` run's report.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from orbitcert.conformance.run import child_env, plugin_args, suite_code

from helpers import certify_gate, gate_catalog

GENUINE_TEST = 'def test_it():\n    assert 1 + 1 == 3, "GENUINE SUITE CODE"\n'


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS", "PYTEST_ADDOPTS")
           and not k.startswith("PYTEST_XDIST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _child(folder: Path, *args: str, blob: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pytest`` as a certification's child runs: the harness's plugins, the suite's
    code on ``--orbitcert-code-fd``."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    read_fd, write_fd = os.pipe()
    command = [sys.executable, "-m", "pytest", *plugin_args(), "-p", "no:cacheprovider", "-s",
               "--rootdir", str(folder), "-c", str(folder / "pytest.ini"), *args,
               "--orbitcert-code-fd", str(read_fd)]

    def send() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(blob)

    try:
        proc = subprocess.Popen(command, cwd=folder, env=env or _env(), pass_fds=(read_fd,), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        os.close(read_fd)
    threading.Thread(target=send, daemon=True).start()
    out, _ = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def _plant_ordinary_pyc(source_file: Path, code_text: str) -> Path:
    """An ordinary CPython cache file for ``source_file`` (PEP 3147 path, timestamp-validated
    header: the source's mtime and size, both public) carrying ``code_text``: what a product
    running as the same user can write beside a suite."""
    st = source_file.stat()
    pyc = Path(importlib.util.cache_from_source(str(source_file)))
    pyc.parent.mkdir(exist_ok=True)
    code = compile(code_text, str(source_file), "exec", dont_inherit=True)
    header = (importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
              + (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little"))
    pyc.write_bytes(header + marshal.dumps(code))
    return pyc


# ---- finding 1: the harness plugin itself goes through pytest's rewrite cache ---------------------


PLUGIN_PROBE = '''\
import sys

from _pytest.assertion.rewrite import AssertionRewritingHook


def test_plugin_loader():
    plugin = sys.modules["orbitcert.conformance.plugin"]
    print("PLUGIN_LOADER=" + type(plugin.__loader__).__name__)
'''


@pytest.mark.xfail(strict=True, reason=(
    "finding 1: `-p orbitcert.conformance.plugin` marks the plugin for assertion rewriting and pytest "
    "imports it (through its own exec_module, i.e. from __pycache__/plugin.cpython-311-pytest-X.pyc when "
    "one with the source's public SipHash is there) before pytest_load_initial_conftests swaps "
    "exec_module: the module that writes the verdicts is loaded from exactly the cache the change "
    "distrusts for the suite"))
def test_the_harness_plugin_is_not_loaded_through_pytests_rewrite_cache(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PLUGIN_PROBE)
    proc = _child(tmp_path, "test_probe.py", blob=suite_code(tmp_path, ["test_probe.py::test_plugin_loader"]))
    assert proc.returncode == 0, proc.stdout
    assert "PLUGIN_LOADER=AssertionRewritingHook" not in proc.stdout, proc.stdout


# ---- finding 2: a suite's helper module is loaded from an ordinary (plantable) pyc ----------------


HELPER = 'def check():\n    assert 1 + 1 == 3, "GENUINE HELPER CODE"\n'
USES_HELPER = 'import suite_helper\n\n\ndef test_it():\n    suite_helper.check()\n'


@pytest.mark.xfail(strict=True, reason=(
    "finding 2: suite_code() covers test files and conftest.py only; a module of the suite that pytest "
    "does not rewrite (a helper a test imports, a package __init__.py) is imported by CPython's "
    "ordinary loader, which trusts a __pycache__ file whose header carries the source's mtime and size: "
    "a planted one runs as the suite (the failing check passes)"))
def test_a_suite_helper_module_runs_from_its_source_not_a_planted_pyc(tmp_path: Path) -> None:
    helper = tmp_path / "suite_helper.py"
    helper.write_text(HELPER)
    (tmp_path / "test_uses_helper.py").write_text(USES_HELPER)
    _plant_ordinary_pyc(helper, "def check():\n    pass\n")
    blob = suite_code(tmp_path, ["test_uses_helper.py::test_it"])
    proc = _child(tmp_path, "test_uses_helper.py", blob=blob)
    assert proc.returncode == 1 and "GENUINE HELPER CODE" in proc.stdout, proc.stdout


def test_the_helper_probe_is_sound_without_a_planted_pyc(tmp_path: Path) -> None:
    """Control for finding 2: without the planted file the helper's assertion fails the test."""
    (tmp_path / "suite_helper.py").write_text(HELPER)
    (tmp_path / "test_uses_helper.py").write_text(USES_HELPER)
    proc = _child(tmp_path, "test_uses_helper.py", blob=suite_code(tmp_path, ["test_uses_helper.py::test_it"]))
    assert proc.returncode == 1 and "GENUINE HELPER CODE" in proc.stdout, proc.stdout


# ---- finding 3: PYTEST_ADDOPTS reaches the child; --assert=plain turns the protection off ----------


def test_pytest_addopts_assert_plain_does_not_let_a_planted_pyc_certify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = gate_catalog(tmp_path)
    suite_file = catalog / "suites" / "gate-demo" / "test_gate.py"
    _plant_ordinary_pyc(suite_file, suite_file.read_text().replace("assert iut.check", "assert True or iut.check"))
    monkeypatch.setenv("PYTEST_ADDOPTS", "--assert=plain")  # e.g. a user's CI job, not the product
    code = certify_gate(tmp_path, tmp_path / "out", "broken", None)
    assert code == 1  # `broken` refuses beta names: GATE-002 must fail


def test_without_addopts_the_planted_ordinary_pyc_is_not_used(tmp_path: Path) -> None:
    """Control for finding 3: the same planted file, no PYTEST_ADDOPTS: not certified."""
    catalog = gate_catalog(tmp_path)
    suite_file = catalog / "suites" / "gate-demo" / "test_gate.py"
    _plant_ordinary_pyc(suite_file, suite_file.read_text().replace("assert iut.check", "assert True or iut.check"))
    assert certify_gate(tmp_path, tmp_path / "out", "broken", None) == 1


# ---- finding 4: an installed plugin's option in PYTEST_ADDOPTS now breaks the child ---------------


def test_a_ci_addopts_of_an_installed_plugin_does_not_break_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n")
    """Finding 4 (fixed): a certification's child gets the harness's environment (run.child_env),
    which drops PYTEST_ADDOPTS: a CI job's options of plugins the child does not load are not its."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "--benchmark-disable")
    proc = _child(tmp_path, "test_ok.py", blob=suite_code(tmp_path, ["test_ok.py::test_ok"]), env=child_env())
    assert proc.returncode == 0, proc.stdout


# ---- held: xdist workers run the controller's code and check each file's SHA-256 ------------------


@pytest.mark.slow
def test_an_xdist_worker_refuses_a_suite_file_changed_after_the_start(tmp_path: Path) -> None:
    """Workers get no code pipe; they get the table from their controller (workerinput) and a
    file changed after the parent compiled it is a collection error there too, not other code."""
    test_file = tmp_path / "test_gate_w.py"
    test_file.write_text(GENUINE_TEST)
    blob = suite_code(tmp_path, ["test_gate_w.py::test_it"])
    test_file.write_text("def test_it():\n    pass\n")
    proc = _child(tmp_path, "-p", "xdist.plugin", "-n", "2", "test_gate_w.py", blob=blob,
                  env=_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert proc.returncode != 0, proc.stdout
    assert "changed after the certification started" in proc.stdout, proc.stdout


def test_the_childs_environment_is_no_xdist_worker_and_autoload_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    env = child_env()
    assert not [k for k in env if k.startswith("PYTEST_XDIST_")]
    assert env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"


# ---- held: a conftest.py (rootdir's and a subfolder's) is in the table and checked ----------------


def test_a_conftest_changed_after_the_start_is_an_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    (suite / "sub").mkdir(parents=True)
    (tmp_path / "conftest.py").write_text("")  # the rootdir's (suite.parent's) conftest
    (suite / "sub" / "conftest.py").write_text('import pytest\n\n\n@pytest.fixture\ndef value():\n    return 2\n')
    (suite / "sub" / "test_c.py").write_text('def test_it(value):\n    assert value == 3, "GENUINE SUITE CODE"\n')
    header, table = marshal.loads(suite_code(suite, ["sub/test_c.py::test_it"]))
    assert set(table) == {os.path.realpath(p) for p in
                          (tmp_path / "conftest.py", suite / "sub" / "conftest.py", suite / "sub" / "test_c.py")}
    blob = marshal.dumps((header, table))
    (suite / "sub" / "conftest.py").write_text('import pytest\n\n\n@pytest.fixture\ndef value():\n    return 3\n')
    proc = _child(tmp_path, "suite/sub/test_c.py", blob=blob)
    assert proc.returncode != 0 and "changed after the certification started" in proc.stdout, proc.stdout


# ---- finding 5: the rest of the child's code (harness, golden models) is read from ordinary pycs ---


LOADER_PROBE = '''\
import importlib.machinery
import sys

import orbitcert.conformance.results  # noqa: F401 - what records the verdicts
import orbitcert.reference_impl.optical.reed_solomon  # noqa: F401 - a golden model a suite compares with


def test_loaders():
    trusting = sorted(
        name for name, module in list(sys.modules.items())
        if name.startswith("orbitcert") and type(getattr(module, "__loader__", None)) is importlib.machinery.SourceFileLoader
    )
    print("PYC_TRUSTING=" + ",".join(trusting))
'''


@pytest.mark.xfail(strict=True, reason=(
    "finding 5: every module the child imports besides the suite's test files and conftests (the "
    "harness's results/recorder/strategies, orbitcert.reference_impl's golden models the suites compare "
    "with, hypothesis, numpy) is loaded by CPython's SourceFileLoader, which runs a __pycache__ file whose "
    "header names the source's mtime and size; the suite digest covers none of them"))
def test_the_childs_harness_and_golden_models_are_not_read_from_plantable_pycs(tmp_path: Path) -> None:
    (tmp_path / "test_loaders.py").write_text(LOADER_PROBE)
    proc = _child(tmp_path, "test_loaders.py", blob=suite_code(tmp_path, ["test_loaders.py::test_loaders"]))
    assert proc.returncode == 0, proc.stdout
    assert "PYC_TRUSTING=" in proc.stdout, proc.stdout
    trusting = proc.stdout.split("PYC_TRUSTING=")[1].split()[0]
    assert "orbitcert.reference_impl.optical.reed_solomon" not in trusting.split(","), trusting


def test_finding_1_mechanism_a_plugin_named_by_p_runs_from_a_planted_pytest_pyc(tmp_path: Path) -> None:
    """How finding 1 is exploited, shown on a stand-in package (the real plugin's folder is shared
    and stays untouched): a module named by ``-p`` runs the code of a planted pytest cache file."""
    from _pytest.assertion.rewrite import PYC_TAIL

    package = tmp_path / "standin_harness"
    package.mkdir()
    (package / "__init__.py").write_text("")
    plugin = package / "plugin.py"
    plugin.write_text("def pytest_report_header(config):\n    return 'GENUINE HARNESS PLUGIN'\n")
    source = plugin.read_bytes()
    pyc = package / "__pycache__" / ("plugin" + PYC_TAIL)
    pyc.parent.mkdir()
    code = compile("def pytest_report_header(config):\n    return 'PLANTED HARNESS PLUGIN'\n", str(plugin), "exec")
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + b"\x03\x00\x00\x00" + importlib.util.source_hash(source)[:8]
                    + marshal.dumps(code))
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n")
    proc = _child(tmp_path, "-p", "standin_harness.plugin", "test_ok.py",
                  blob=suite_code(tmp_path, ["test_ok.py::test_ok"]), env=_env(PYTHONPATH=str(tmp_path)))
    assert proc.returncode == 0, proc.stdout
    assert "PLANTED HARNESS PLUGIN" in proc.stdout, proc.stdout  # the threat is real, as for the suite
