"""Helpers shared by the benchmark scripts: CPU-time medians and the Markdown result table.

The scripts run as ``python benchmarks/bench_x.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def cpu_median(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median CPU seconds (``time.process_time``) of ``repeat`` calls of ``fn``, and its last result.
    CPU time, not wall time: the machine is shared, and another process's load should not count."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print ``rows`` (the first is the header) as an aligned Markdown table."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for i, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
