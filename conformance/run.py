"""Running a certification in process: :func:`run_certification` returns the run's own report.

The CLI's ``certify`` is a thin layer over this function. The report comes from the run itself
(through the ``pytest_orbitcert_report`` hook), never read back from the output folder, so an
earlier run's files or a concurrent run can never pass for this one.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orbitcert.specs.errors import OrbitcertError, RunIncompleteError

from orbitcert.specs.fsutil import atomic_write
from .options import RunOptions
from .report import Report
from .session import CertificationTarget

__all__ = ["CertificationRun", "pytest_args", "run_certification"]


@dataclass
class CertificationRun:
    """The outcome of one run: its report, the files written and pytest's console output."""

    report: Report
    paths: list[Path] = field(default_factory=list)
    log: str = ""
    exit_code: int = 0


class _Receiver:
    """Receives the report (or the refusal) of the run from the plugin's hooks."""

    def __init__(self) -> None:
        self.report: Report | None = None
        self.paths: list[Path] = []
        self.refusal: OrbitcertError | None = None

    def pytest_orbitcert_report(self, config: pytest.Config, report: Report, paths: list[Path]) -> None:
        self.report, self.paths = report, list(paths)

    def pytest_orbitcert_refused(self, config: pytest.Config, error: OrbitcertError) -> None:
        self.refusal = error


def pytest_args(target: CertificationTarget, options: RunOptions) -> list[str]:
    """The pytest command line that certifies ``target`` with ``options``."""
    args = [
        str(target.suite),
        "-p", "no:cacheprovider",
        "--import-mode=importlib",
        # Suite modules are named <spec-id>.test_x (a name no importable module has), so a
        # module of the same file name elsewhere in the process is never taken for the suite's.
        "--rootdir", str(target.suite.parent),
        "-q",
        "--orbitcert-spec", target.loaded.spec.ref,
        "--orbitcert-impl", target.factory_ref,
        "--orbitcert-out", str(options.out),
        "--orbitcert-format", ",".join(options.formats),
        "--orbitcert-examples", str(options.examples),
        "--orbitcert-timeout", str(options.timeout),
    ]
    if target.ics_path is not None:
        args += ["--orbitcert-ics", str(target.ics_path)]
    for c in options.catalogs:
        args += ["--orbitcert-catalog", str(c)]
    if options.sign_key is not None:
        args += ["--orbitcert-sign-key", str(options.sign_key)]
    if options.workers > 0:
        args += ["-n", str(options.workers)]
    return args


def importable_from_cwd() -> None:
    """Make modules in the working directory importable as ``--impl`` factories, here and in
    pytest-xdist workers (as ``python -m`` does)."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (cwd, os.environ.get("PYTHONPATH", "")) if p)


def run_certification(
    target: CertificationTarget, options: RunOptions, plugins: Sequence[Any] = ()
) -> CertificationRun:
    """Run the suite of ``target`` under pytest and return the run's report.

    ``plugins`` are extra pytest plugin objects (e.g. a progress display). Raises
    :class:`~orbitcert.specs.errors.InterfaceError` when the product lacks an operation (no test
    ran) and :class:`~orbitcert.specs.errors.RunIncompleteError` when the run ended without a
    report. pytest's console output is returned as ``log`` and written beside the report as
    ``<spec-id>-<version>.log``, never printed.
    """
    receiver = _Receiver()
    log = io.StringIO()
    spec = target.loaded.spec
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            code = pytest.main(pytest_args(target, options), plugins=[receiver, *plugins])
    finally:
        atomic_write(options.out / f"{spec.id}-{spec.version}.log", log.getvalue())
    if receiver.refusal is not None:
        raise receiver.refusal
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or receiver.report is None:
        tail = " ".join(log.getvalue().split())[-600:]
        raise RunIncompleteError(
            f"the conformance run of {target.loaded.spec.ref} did not complete (pytest exit {int(code)}): {tail}"
        )
    return CertificationRun(receiver.report, receiver.paths, log.getvalue(), int(code))
