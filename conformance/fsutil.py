"""Atomic file writes: an interrupted run never leaves a file that looks complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orbitcert.specs.errors import InputFileError


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``.

    The directory is created if needed. Readers see either the old file or the complete new one.
    """
    p = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".partial", dir=p.parent)
    except OSError as exc:
        raise InputFileError(f"cannot write: {exc.strerror or exc}", path=p) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p
