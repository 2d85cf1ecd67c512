"""A guard for tests whose failure mode is a hang or a memory blow-up (FIFOs, /dev/zero)."""

from __future__ import annotations

import contextlib
import resource
import signal
from collections.abc import Iterator
from pathlib import Path


class Hung(BaseException):
    """Raised by the alarm of :func:`guarded`: a BaseException, so no ``except OSError`` or
    ``except Exception`` on the way up turns a hang into an ordinary error."""


@contextlib.contextmanager
def guarded(seconds: float = 10.0, headroom: int = 2**30) -> Iterator[None]:
    """Run a call in this process, but fail it (instead of hanging or swapping) when it blocks
    for ``seconds`` (SIGALRM interrupts a blocking open or read: :class:`Hung`) or allocates
    more than ``headroom`` bytes of address space (MemoryError)."""

    def alarm(signum: int, frame: object) -> None:
        raise Hung(f"hung for {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    limit = used + headroom if hard == resource.RLIM_INFINITY else min(used + headroom, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, previous)
