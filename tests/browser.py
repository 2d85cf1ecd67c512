"""Headless Chromium for the tests that look at pages in a real browser (the documentation site,
the HTML report)."""

from __future__ import annotations

import os
import shutil

import pytest


def chromium() -> str:
    """The Chromium binary; the test skips without one, except in CI (``CI`` set), where it fails:
    ``.ci/run`` installs the Debian package ``chromium`` when it is missing."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is needed in CI (Debian: apt-get install -y chromium)")
    pytest.skip("no chromium installed (Debian: apt-get install -y chromium); CI installs it and runs this test")
