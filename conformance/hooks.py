"""Hooks the orbitcert plugin adds to pytest (registered with ``pytest_addhooks``).

A program that runs a certification in process (``run_certification``) or a vendor's own
``conftest.py`` implements them to receive the report from the run itself, never from disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from orbitcert.specs.errors import OrbitcertError

    from .report import Report


def pytest_orbitcert_report(config: pytest.Config, report: Report, paths: list[Path]) -> None:
    """Called on the controlling process once the signed report of the run has been written."""


def pytest_orbitcert_refused(config: pytest.Config, error: OrbitcertError) -> None:
    """Called when the run is refused before any test runs (e.g. the product lacks an operation)."""
