"""TM synchronization and channel coding golden model (CCSDS 131.0-B-3): the public façade.

This module is the documented entry point of the reference implementation of the ``coding``
conformance class of ``net-optical-isl`` (and of the CRC-16 its later ``framing`` class uses):
``from orbitcert.reference_impl.optical import coding``. It re-exports the public API of one
module per standard concern:

* :mod:`.parameters`: the spec's normative constants and the argument checks (CodingError,
  CodingParameters, default_parameters);
* :mod:`.reed_solomon`: 131.0-B-3 section 4, Reed-Solomon coding with the Annex F dual basis
  (rs_encode, rs_encode_batch, rs_decode, rs_decode_batch, RSResult, RSBatchResult);
* :mod:`.randomizer`: 131.0-B-3 section 10, pseudo-randomizer (randomize);
* :mod:`.frame_sync`: 131.0-B-3 section 9, attached sync marker and frame synchronization
  (find_codeblocks, SyncEvent);
* :mod:`.cadu`: CADU streams, sections 9, 10 and 4 chained (encode_cadus, decode_cadus);
* :mod:`.crc16`: CCSDS 132.0-B-3 4.1.6, frame error control field (crc16).

Normative constants are not written in code: they come from the spec under test
(:meth:`CodingParameters.from_spec`); every function takes them as ``params=`` and falls back to
:func:`default_parameters` (``net-optical-isl`` 1.0.0) when it is omitted. Every public function
raises only :class:`CodingError` (a :class:`ValueError`) for a bad argument, naming it.
"""

from __future__ import annotations

from .cadu import decode_cadus, encode_cadus
from .crc16 import crc16
from .frame_sync import MARKER_LOCK_TOLERANCE as MARKER_LOCK_TOLERANCE  # public constant, not in __all__
from .frame_sync import MAX_CODEBLOCK_LENGTH as MAX_CODEBLOCK_LENGTH
from .frame_sync import SyncEvent, find_codeblocks
from .parameters import BERLEKAMP_BASIS_EXPONENT as BERLEKAMP_BASIS_EXPONENT
from .parameters import CodingError, CodingParameters, default_parameters
from .randomizer import randomize
from .reed_solomon import RSBatchResult, RSResult, rs_decode, rs_decode_batch, rs_encode, rs_encode_batch

__all__ = [
    "CodingError",
    "CodingParameters",
    "RSBatchResult",
    "RSResult",
    "SyncEvent",
    "crc16",
    "decode_cadus",
    "default_parameters",
    "encode_cadus",
    "find_codeblocks",
    "randomize",
    "rs_decode",
    "rs_decode_batch",
    "rs_encode",
    "rs_encode_batch",
]
