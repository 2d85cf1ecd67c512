"""Toolkit tests: hypothesis runs derandomized under CI (profile ``ci``), and quickly elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", derandomize=True, database=None, deadline=None, max_examples=40)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture()
def repo_root() -> Path:
    return ROOT

# The demo catalog's suite tests *products*; tests/conformance/test_plugin.py runs it on purpose.
collect_ignore = ["conformance/demo_catalog"]
