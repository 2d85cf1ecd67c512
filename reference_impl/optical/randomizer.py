"""Pseudo-randomizer of CCSDS 131.0-B-3 section 10.

The codeblock (not its attached sync marker) is XORed with the sequence of the LFSR with
polynomial h(x) = x^8+x^7+x^5+x^3+1 (spec parameter ``randomizer_polynomial``), restarted with
the all-ones state (``randomizer_seed``) at the first bit of every codeblock. The sequence
begins FF 48 0E C0 9A 0D 70 BC and has a period of 255 bits, so its octets repeat every 255
octets: one period is generated once per parameter set and tiled (numpy) over any length.
"""

from __future__ import annotations

import functools
import numpy as np

from .parameters import CodingError, CodingParameters, U8Array, as_octets, resolve_params

__all__ = ["lfsr_bits", "randomize", "randomizer_for", "randomizer_period", "randomizer_sequence"]


def lfsr_bits(polynomial: int, seed: int, count: int) -> list[int]:
    """The first ``count`` output bits of the section 10 generator for h(x) = ``polynomial``.

    a_{t+8} = sum over the set bits i < 8 of h(x) of a_{t+i}; a_0 .. a_7 are the seed bits, MSB first.
    """
    bits = [(seed >> (7 - i)) & 1 for i in range(8)]
    taps = [i for i in range(8) if (polynomial >> i) & 1]
    while len(bits) < count:
        t = len(bits) - 8
        bit = 0
        for i in taps:
            bit ^= bits[t + i]
        bits.append(bit)
    return bits[:count]


def randomizer_period(polynomial: int, seed: int) -> int:
    """Period in bits of the generator's output (0 when it does not repeat within 256 bits)."""
    bits = lfsr_bits(polynomial, seed, 2 * 256 + 8)
    for period in range(1, 257):
        if bits[period : period + 256] == bits[:256]:
            return period
    return 0


@functools.cache
def randomizer_sequence(polynomial: int, seed: int) -> U8Array:
    """One full period of the pseudo-random sequence, as octets (the octet period is the bit period)."""
    period = randomizer_period(polynomial, seed)
    if period == 0:
        raise CodingError(f"randomizer polynomial {polynomial:#x} with seed {seed:#x} is not periodic")
    bits = np.array(lfsr_bits(polynomial, seed, 8 * period), dtype=np.uint8)
    sequence = np.packbits(bits)
    sequence.setflags(write=False)
    return sequence


def randomizer_for(length: int, p: CodingParameters) -> U8Array:
    """The first ``length`` octets of the sequence of ``p`` (one codeblock's worth)."""
    return np.resize(randomizer_sequence(p.randomizer_polynomial, p.randomizer_seed), length)


def randomize(data: bytes, *, params: CodingParameters | None = None) -> bytes:
    """Pseudo-randomize (or de-randomize: the operation is an involution) one codeblock.

    CCSDS 131.0-B-3 section 10: XOR with the sequence of h(x) = x^8+x^7+x^5+x^3+1 from
    the all-ones state, restarting at ``data[0]``. The sequence begins FF 48 0E C0 9A 0D 70 BC and
    has a period of 255 bits, so its octets repeat every 255 octets. ``data`` must be bytes-like
    (an integer is not a length): anything else raises :class:`CodingError`.
    """
    p = resolve_params(params)
    arr = np.frombuffer(as_octets(data, "data"), dtype=np.uint8)
    return (arr ^ randomizer_for(arr.size, p)).tobytes()
