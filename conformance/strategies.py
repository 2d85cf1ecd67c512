"""Public hypothesis strategies for testing channel-coding products (docs/guides/writing-a-suite.md).

The bundled ``net-optical-isl`` suite draws its channel impairments from these strategies, and
vendors may reuse them in their own tests, e.g.::

    from hypothesis import given
    from orbitcert.conformance.strategies import symbol_error_patterns

    @given(symbol_error_patterns(interleave=5, min_errors=0, max_errors=16))
    def test_my_decoder_corrects(patterns): ...

A pattern is applied to a codeblock with :func:`apply_symbol_errors`.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

__all__ = [
    "ErrorPattern",
    "apply_symbol_errors",
    "garbage_without_marker",
    "symbol_error_patterns",
]

#: Per codeword: (distinct symbol positions, non-zero error values XORed at them).
ErrorPattern = list[tuple[list[int], list[int]]]


@st.composite
def _patterns(
    draw: st.DrawFn, interleave: int, min_errors: int, max_errors: int, codewords_hit: int | None, n: int
) -> ErrorPattern:
    patterns: ErrorPattern = []
    for cw in range(interleave):
        count = draw(st.integers(min_errors, max_errors)) if codewords_hit is None or cw < codewords_hit else 0
        positions = draw(st.lists(st.integers(0, n - 1), min_size=count, max_size=count, unique=True))
        values = draw(st.lists(st.integers(1, 255), min_size=count, max_size=count))
        patterns.append((positions, values))
    return patterns


def symbol_error_patterns(
    interleave: int,
    min_errors: int,
    max_errors: int,
    *,
    codewords_hit: int | None = None,
    codeword_length: int = 255,
) -> st.SearchStrategy[ErrorPattern]:
    """Symbol error patterns for a codeblock of depth ``interleave``: for each codeword, between
    ``min_errors`` and ``max_errors`` errors at distinct positions with non-zero values. With
    ``codewords_hit``, only the first that many codewords get errors."""
    if not 1 <= interleave:
        raise ValueError(f"interleave must be >= 1, not {interleave}")
    if not 0 <= min_errors <= max_errors <= codeword_length:
        raise ValueError(f"need 0 <= min_errors <= max_errors <= {codeword_length}, not {min_errors}..{max_errors}")
    return _patterns(interleave, min_errors, max_errors, codewords_hit, codeword_length)


def apply_symbol_errors(codeblock: bytes, interleave: int, patterns: Sequence[tuple[Sequence[int], Sequence[int]]]) -> bytes:
    """``codeblock`` with each pattern's errors XORed into its codeword (symbol j of codeword k
    sits at octet j*I + k, CCSDS 131.0-B-3 4.3.8). A shortened codeblock has fewer symbols per
    codeword; positions are those of the transmitted symbols."""
    out = bytearray(codeblock)
    for codeword, (positions, values) in enumerate(patterns):
        for pos, val in zip(positions, values, strict=True):
            out[pos * interleave + codeword] ^= val
    return bytes(out)


def garbage_without_marker(
    marker: bytes, max_size: int, min_size: int = 0, *, before: bytes = b""
) -> st.SearchStrategy[bytes]:
    """Arbitrary octets that hold no copy of ``marker``, even between the octets ``before`` them
    and a marker directly after them (no false marker straddles either boundary)."""
    head = before[len(before) - (len(marker) - 1) :] if before else b""
    return st.binary(min_size=min_size, max_size=max_size).filter(lambda g: marker not in head + g + marker[:-1])
