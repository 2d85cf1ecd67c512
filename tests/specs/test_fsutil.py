"""Atomic writes: all-or-nothing, permissions kept, failures typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orbitcert.specs.fsutil import atomic_write
from orbitcert.specs.errors import InputFileError


def test_new_file_gets_umask_permissions_and_content(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = atomic_write(tmp_path / "sub" / "r.json", "{}")
    finally:
        os.umask(old)
    assert p.read_text() == "{}"
    assert p.stat().st_mode & 0o777 == 0o644
    assert not list(p.parent.glob("*.partial"))


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    p = tmp_path / "spec.yaml"
    p.write_text("old")
    p.chmod(0o640)
    atomic_write(p, "new")
    assert p.read_text() == "new" and p.stat().st_mode & 0o777 == 0o640


def test_failure_is_typed_and_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "adir"
    target.mkdir()
    with pytest.raises(InputFileError, match="cannot write"):
        atomic_write(target, "data")
    assert target.is_dir() and not list(tmp_path.glob("*.partial"))


def test_interrupted_write_leaves_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "report.json"
    p.write_text("complete old report")

    def boom(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(p, "half")
    assert p.read_text() == "complete old report"
    assert not list(tmp_path.glob("*.partial"))
