"""A product module that exits the interpreter as it is imported (certify must not exit 0)."""

import sys

sys.exit(0)


def create() -> None:  # pragma: no cover - never reached
    return None
