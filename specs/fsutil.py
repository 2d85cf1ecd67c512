"""Atomic file writes: an interrupted run never leaves a file that looks complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputFileError


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets 0666 less the umask (as ``open`` would)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | Path, data: bytes | str, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``.

    The directory is created if needed. Readers see either the old file or the complete new one;
    the file keeps its permissions (or gets ``mode``, which it has from its first byte on), and
    the directory entry is synced. Failures are
    :class:`InputFileError` naming the path.
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
            os.fchmod(fh.fileno(), _mode_for(p) if mode is None else mode)
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputFileError(f"cannot write: {exc.strerror or exc}", path=p) from None
        raise
    try:
        dir_fd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    return p
