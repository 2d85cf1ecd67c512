"""Toolkit tests: hypothesis runs derandomized under CI (profile ``ci``), and quickly elsewhere."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", derandomize=True, database=None, deadline=None, max_examples=40)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Certifications run by these tests use one fixed seed (a real run draws a fresh one and records it
# in its report): the verdicts asserted here are then reproducible. A test may still pass --seed.
os.environ.setdefault("ORBITCERT_SEED", "20261126")

ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture()
def repo_root() -> Path:
    return ROOT

# The demo catalog's suite tests *products*; tests/conformance/test_plugin.py runs it on purpose.
collect_ignore = ["conformance/demo_catalog"]


@dataclass
class CliResult:
    """What one in-process ``orbitcert`` invocation did."""

    code: int
    stdout: str
    stderr: str


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``orbitcert ARGS`` in this process (as the console script does, through ``main``):
    milliseconds instead of an interpreter start. ``cwd`` changes directory for the call."""
    from orbitcert.conformance.cli import main

    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))  # certify may extend it
    monkeypatch.setattr(sys, "path", list(sys.path))

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        capsys.readouterr()
        with monkeypatch.context() as m:
            if cwd is not None:
                m.chdir(cwd)
            m.setattr(sys, "argv", ["orbitcert", *args])
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
