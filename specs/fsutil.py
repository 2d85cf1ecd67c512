"""File access for untrusted paths: atomic writes, and bounded reads of regular files only.

* :func:`atomic_write`: an interrupted run never leaves a file that looks complete.
* :func:`read_bounded`: reading a path a user gave can neither block (a FIFO) nor exhaust memory
  (``/dev/zero``, a file growing while it is read): only a regular file is read, and at most
  ``limit`` bytes of it.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputFileError


def file_mode_for(path: Path) -> int:
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
            os.fchmod(fh.fileno(), file_mode_for(p) if mode is None else mode)
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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "special file"


def read_bounded(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at ``path``, refused when it holds more than ``limit`` bytes.

    The file is opened without blocking (``O_NONBLOCK``: opening a FIFO does not wait for a
    writer), the open descriptor (not the path, so a symlink or a swap cannot fool the check) must
    be a regular file, and at most ``limit + 1`` bytes are read whatever ``st_size`` says.
    Every failure is an :class:`InputFileError` naming the path; ``what`` says what the file is
    for (``"signing key"``) in the message.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(f"cannot read {what}: {exc.strerror or exc}", path=p) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputFileError(f"cannot read {what}: not a regular file ({_kind(st.st_mode)})", path=p)
        if st.st_size > limit:
            raise InputFileError(f"cannot read {what}: file is larger than the limit of {limit} bytes", path=p)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InputFileError(f"cannot read {what}: file is larger than the limit of {limit} bytes", path=p)
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"cannot read {what}: {exc.strerror or exc}", path=p) from None
    finally:
        os.close(fd)
