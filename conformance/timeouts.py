"""A per-test time limit: a hung product gets an ``error`` verdict instead of stalling the run.

A real-time interval timer (``SIGALRM``) raises :class:`TestTimeout` in the test's thread, and
again every second until the test ends. It works on POSIX, in the main thread; elsewhere there
is no limit. The out-of-process bridge puts a timeout on every call as well, and the supervising
parent stops a test process whose test outlives its limit.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["TestTimeout", "time_limit"]


class TestTimeout(Exception):
    """A test (in practice, the product it calls) ran past its time limit."""

    __test__ = False  # not a pytest test class


@contextmanager
def time_limit(seconds: float, what: str = "test") -> Iterator[None]:
    """Raise :class:`TestTimeout` in the block after ``seconds`` (0 or less: no limit)."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TestTimeout(f"{what} exceeded the {seconds:g} s limit (--timeout): product hung or too slow")

    previous = signal.signal(signal.SIGALRM, expire)
    # Re-armed every second after the limit: hypothesis replays a failing example and a product
    # may catch the first exception; each gets another until the block ends. A hang that signals
    # cannot interrupt (C code, a cancelled timer) is the supervisor's to stop (conformance/run.py).
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
