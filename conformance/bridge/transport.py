"""Byte channels to a product: its stdin/stdout, or a TCP connection (loopback in tests).

Reads take a deadline and a size limit, so a product that hangs or floods costs a bounded time
and bounded memory. A product's stderr is kept as a bounded tail, for evidence.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence

__all__ = ["ChannelClosed", "ChannelTimeout", "LineTooLong", "ProcessChannel", "SocketChannel"]

STDERR_TAIL = 8 * 1024


class ChannelClosed(Exception):
    """The product closed its end (it exited, crashed or dropped the connection)."""


class ChannelTimeout(Exception):
    """No complete line arrived before the deadline."""


class LineTooLong(Exception):
    """A line longer than the limit arrived; ``head`` holds its first bytes."""

    def __init__(self, size: int, head: bytes) -> None:
        super().__init__(size)
        self.size, self.head = size, head


def _write_all(fd: int, data: bytes, deadline: float, write: object) -> None:
    """Write ``data`` to a non-blocking ``fd`` before ``deadline`` (a product that stops reading
    cannot block the harness)."""
    view = memoryview(data)
    first = True  # a small request usually fits the pipe at once: write before waiting
    while view:
        if not first:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            _, ready, _ = select.select([], [fd], [], remaining)
            if not ready:
                raise ChannelTimeout()
        first = False
        try:
            n = write(view[: 1 << 20])  # type: ignore[operator]
        except BlockingIOError:
            continue
        except OSError:
            raise ChannelClosed() from None
        view = view[n:]


class _LineReader:
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.scanned = 0  # bytes at the start of buffer known to hold no newline

    def read_line(self, fd: int, deadline: float, limit: int, recv: object) -> bytes:
        while True:
            end = self.buffer.find(b"\n", self.scanned)
            if end >= 0:
                if end > limit:
                    raise LineTooLong(end, bytes(self.buffer[:200]))
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                self.scanned = 0
                return line
            self.scanned = len(self.buffer)
            if len(self.buffer) > limit:
                raise LineTooLong(len(self.buffer), bytes(self.buffer[:200]))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ChannelTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise ChannelTimeout()
            chunk = recv(1 << 20)  # type: ignore[operator]
            if chunk is None:
                continue
            if not chunk:
                raise ChannelClosed()
            self.buffer += chunk


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe buffer (default 64 KiB): a 1 MB message then crosses in a few
    reads instead of sixteen. Best effort: other systems, or a lower pipe-max-size, keep theirs."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


class ProcessChannel:
    """A product started as a process; requests on its stdin, replies on its stdout."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # The product never sees the run's seed (it would know the suites' random trials).
            env=env if env is not None else {k: v for k, v in os.environ.items() if k != "ORBITCERT_SEED"},
            cwd=cwd,
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self._stdout = self.proc.stdout.fileno()
        self._stdin = self.proc.stdin.fileno()
        os.set_blocking(self._stdin, False)
        _widen_pipe(self._stdin)
        _widen_pipe(self._stdout)
        self._reader = _LineReader()
        self._stderr = bytearray()
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while chunk := os.read(fd, 65536):
            self._stderr += chunk
            if len(self._stderr) > STDERR_TAIL:
                del self._stderr[: len(self._stderr) - STDERR_TAIL]

    def send(self, data: bytes, deadline: float) -> None:
        _write_all(self._stdin, data, deadline, lambda chunk: os.write(self._stdin, chunk))

    def read_line(self, deadline: float, limit: int) -> bytes:
        return self._reader.read_line(self._stdout, deadline, limit, lambda n: os.read(self._stdout, n))

    def evidence(self) -> str:
        """Exit status or signal, and the tail of stderr."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(0.2)
        code = self.proc.returncode
        if code is None:
            status = "still running"
        elif code < 0:
            status = f"killed by signal {-code} ({signal.Signals(-code).name})" if -code in signal.valid_signals() else f"signal {-code}"
        else:
            status = f"exit status {code}"
        self._stderr_thread.join(timeout=0.5)
        tail = bytes(self._stderr[-1000:]).decode("utf-8", "replace").strip()
        return status + (f"; stderr tail: {tail}" if tail else "; no stderr output")

    def close(self) -> None:
        """Stop the product (it shares the harness's process group, which the supervisor stops as a
        whole when it ends a run)."""
        with contextlib.suppress(Exception):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(0.5)
        for stop in (self.proc.terminate, self.proc.kill):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                stop()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2.0)
        for stream in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(Exception):
                assert stream is not None
                stream.close()


class SocketChannel:
    """A product listening on TCP (a test fixture, another machine; tests use loopback only)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 10.0) -> None:
        self.address = (host, port)
        try:
            self.sock = socket.create_connection(self.address, timeout=connect_timeout)
        except OSError as exc:
            raise ChannelClosed(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
        self.sock.setblocking(False)
        self._reader = _LineReader()

    def send(self, data: bytes, deadline: float) -> None:
        _write_all(self.sock.fileno(), data, deadline, self.sock.send)

    def read_line(self, deadline: float, limit: int) -> bytes:
        def recv(n: int) -> bytes | None:
            try:
                return self.sock.recv(n)
            except BlockingIOError:
                return None  # spurious wake-up: select again
            except OSError:
                return b""

        return self._reader.read_line(self.sock.fileno(), deadline, limit, recv)

    def evidence(self) -> str:
        return f"connection to {self.address[0]}:{self.address[1]}"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
