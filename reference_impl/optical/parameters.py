"""Normative parameters of the optical coding golden model, and the checks of its arguments.

:class:`CodingParameters` holds the constants of CCSDS 131.0-B-3 section 4 (Reed-Solomon code:
field polynomial, code generator, n, k, E, interleaving depths, Annex F dual basis), section 9
(attached sync marker), section 10 (pseudo-randomizer) and CCSDS 132.0-B-3 4.1.6 (CRC-16). They
are not written in code: they are read from the spec under test (:meth:`CodingParameters.from_spec`)
so that a parameter is written once, in the spec.

The only constant of the standard kept in code is the definition of the dual basis (the basis
{1, beta, ..., beta^7} with beta = alpha^117, 131.0-B-3 Annex F), which spec 1.0.0 names only as
``rs_symbol_representation: dual-basis``; a later spec version may state the exponent as
``rs_dual_basis_exponent``.

Every public function of :mod:`orbitcert.reference_impl.optical` raises only :class:`CodingError`
for a bad argument; the ``check_*`` and ``as_*`` helpers here are the one place those arguments
are checked (flags must be real booleans, octets must be bytes-like octets, lengths and depths
integers inside the range the standard allows).
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "BERLEKAMP_BASIS_EXPONENT",
    "DEFAULT_SPEC_ID",
    "DEFAULT_SPEC_VERSION",
    "CodingError",
    "CodingParameters",
    "U8Array",
    "default_parameters",
]

#: 131.0-B-3 Annex F: the dual basis {l_0..l_7} is dual to {1, beta, ..., beta^7}, beta = alpha^117.
#: The default of the optional spec parameter ``rs_dual_basis_exponent``.
BERLEKAMP_BASIS_EXPONENT = 117

#: The spec version :func:`default_parameters` reads (a published version: its content never changes).
DEFAULT_SPEC_ID = "net-optical-isl"
DEFAULT_SPEC_VERSION = "1.0.0"

U8Array = npt.NDArray[np.uint8]


class CodingError(ValueError):
    """An argument or parameter is outside what CCSDS 131.0-B-3 allows (the message names it)."""


# --------------------------------------------------------------------------------------------
# Spec parameter coercion
# --------------------------------------------------------------------------------------------


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise CodingError(f"spec parameter {name!r}: expected an integer, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    raise CodingError(f"spec parameter {name!r}: expected an integer, got {value!r}")


def _as_marker(name: str, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        marker = bytes(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower().startswith("0x"):
            text = text[2:]
        try:
            marker = bytes.fromhex(text)
        except ValueError:
            raise CodingError(f"spec parameter {name!r}: not a hex string: {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        marker = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    else:
        raise CodingError(f"spec parameter {name!r}: expected hex octets, got {value!r}")
    if not marker:
        raise CodingError(f"spec parameter {name!r}: the sync marker is empty")
    return marker


_INT_FIELDS = {
    # dataclass field -> spec parameter name (used in messages)
    "field_polynomial": "rs_field_polynomial",
    "first_consecutive_root": "rs_first_consecutive_root",
    "generator_exponent": "rs_generator_exponent",
    "codeword_length": "rs_codeword_length",
    "message_length": "rs_message_length",
    "error_correction_capability": "rs_error_correction_capability",
    "randomizer_polynomial": "randomizer_polynomial",
    "randomizer_seed": "randomizer_seed",
    "crc16_polynomial": "crc16_polynomial",
    "crc16_initial": "crc16_initial",
    "dual_basis_exponent": "rs_dual_basis_exponent",
}


@dataclass(frozen=True)
class CodingParameters:
    """The normative constants of CCSDS 131.0-B-3 sections 4, 9 and 10 and 132.0-B-3 4.1.6.

    Build them from the spec under test with :meth:`from_spec` (or from its unwrapped parameter
    values with :meth:`from_spec_parameters`). Direct construction checks every field too: an
    inconsistent set raises :class:`CodingError` naming the spec parameter.
    """

    attached_sync_marker: bytes  # section 9, ASM
    field_polynomial: int  # section 4, field generator F(x)
    first_consecutive_root: int  # section 4, code generator: first root j0
    generator_exponent: int  # section 4, roots (alpha^generator_exponent)^j
    codeword_length: int  # section 4, n
    message_length: int  # section 4, k
    error_correction_capability: int  # section 4, E
    interleaving_depths: tuple[int, ...]  # section 4, allowed interleaving depths I
    randomizer_polynomial: int  # section 10, h(x)
    randomizer_seed: int  # section 10, initial register (first output bits, MSB first)
    crc16_polynomial: int  # 132.0-B-3 4.1.6
    crc16_initial: int  # 132.0-B-3 4.1.6
    symbol_representation: Literal["dual-basis", "conventional"] = "dual-basis"  # section 4, Annex F
    dual_basis_exponent: int = BERLEKAMP_BASIS_EXPONENT  # Annex F: beta = alpha^dual_basis_exponent

    def __post_init__(self) -> None:
        if not isinstance(self.attached_sync_marker, bytes) or not self.attached_sync_marker:
            raise CodingError(
                f"spec parameter 'attached_sync_marker': expected non-empty bytes, got {self.attached_sync_marker!r}"
            )
        for field, name in _INT_FIELDS.items():
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int):
                raise CodingError(f"spec parameter {name!r}: expected an integer, got {value!r}")
        depths = self.interleaving_depths
        if (
            not isinstance(depths, tuple)
            or not depths
            or any(isinstance(d, bool) or not isinstance(d, int) for d in depths)
        ):
            raise CodingError(
                f"spec parameter 'rs_interleaving_depths': expected a non-empty tuple of integers, got {depths!r}"
            )
        if not isinstance(self.symbol_representation, str) or self.symbol_representation not in (
            "dual-basis",
            "conventional",
        ):
            raise CodingError(
                "spec parameter 'rs_symbol_representation': expected 'dual-basis' or "
                f"'conventional', got {self.symbol_representation!r}"
            )
        self._validate()

    @property
    def n(self) -> int:
        """Codeword length n (131.0-B-3 section 4)."""
        return self.codeword_length

    @property
    def k(self) -> int:
        """Message length k (131.0-B-3 section 4)."""
        return self.message_length

    @property
    def E(self) -> int:  # noqa: N802 - the standard's name
        """Correctable symbol errors per codeword E (131.0-B-3 section 4)."""
        return self.error_correction_capability

    @property
    def max_codeblock_length(self) -> int:
        """Octets of the longest codeblock these parameters allow: n * max(I) (131.0-B-3 section 4)."""
        return self.codeword_length * max(self.interleaving_depths)

    @classmethod
    def from_spec(cls, spec: Spec) -> CodingParameters:
        """The parameters of the spec under test (an :class:`orbitcert.specs.model.Spec`).

        Reads ``spec.parameters`` (name -> Parameter, the value in ``.value``) and nothing else;
        see :meth:`from_spec_parameters` for the keys and the checks.
        """
        from orbitcert.specs.model import Spec

        if not isinstance(spec, Spec):
            raise CodingError(f"spec: expected an orbitcert.specs.model.Spec, got {type(spec).__name__}")
        return cls.from_spec_parameters({name: p.value for name, p in spec.parameters.items()})

    @classmethod
    def from_spec_parameters(cls, values: Mapping[str, Any]) -> CodingParameters:
        """Build the parameters from a spec's ``parameters`` mapping (name -> unwrapped value).

        Keys are those of ``net-optical-isl`` (``attached_sync_marker``, ``rs_*``,
        ``randomizer_*``, ``crc16_*``; ``rs_symbol_representation``, ``rs_dual_basis_exponent``
        and ``randomizer_period_bits`` are optional). Raises :class:`CodingError` naming the
        offending key when one is missing, mistyped, or inconsistent with CCSDS 131.0-B-3
        section 4 (n = 255, n - k = 2E), section 10 (the stated period) or Annex F.
        """
        if not isinstance(values, Mapping):
            raise CodingError(f"values: expected a mapping of spec parameters, got {type(values).__name__}")

        def get(name: str) -> Any:
            try:
                return values[name]
            except KeyError:
                raise CodingError(f"spec parameter {name!r} is missing") from None

        depths_raw = get("rs_interleaving_depths")
        if not isinstance(depths_raw, (list, tuple)) or not depths_raw:
            raise CodingError(
                f"spec parameter 'rs_interleaving_depths': expected a non-empty list, got {depths_raw!r}"
            )
        depths = tuple(_as_int("rs_interleaving_depths", d) for d in depths_raw)
        representation = values.get("rs_symbol_representation", "dual-basis")
        if not isinstance(representation, str) or representation not in ("dual-basis", "conventional"):
            raise CodingError(
                "spec parameter 'rs_symbol_representation': expected 'dual-basis' or "
                f"'conventional', got {representation!r}"
            )
        params = cls(
            attached_sync_marker=_as_marker("attached_sync_marker", get("attached_sync_marker")),
            field_polynomial=_as_int("rs_field_polynomial", get("rs_field_polynomial")),
            first_consecutive_root=_as_int("rs_first_consecutive_root", get("rs_first_consecutive_root")),
            generator_exponent=_as_int("rs_generator_exponent", get("rs_generator_exponent")),
            codeword_length=_as_int("rs_codeword_length", get("rs_codeword_length")),
            message_length=_as_int("rs_message_length", get("rs_message_length")),
            error_correction_capability=_as_int(
                "rs_error_correction_capability", get("rs_error_correction_capability")
            ),
            interleaving_depths=depths,
            randomizer_polynomial=_as_int("randomizer_polynomial", get("randomizer_polynomial")),
            randomizer_seed=_as_int("randomizer_seed", get("randomizer_seed")),
            crc16_polynomial=_as_int("crc16_polynomial", get("crc16_polynomial")),
            crc16_initial=_as_int("crc16_initial", get("crc16_initial")),
            symbol_representation=representation,  # type: ignore[arg-type]  # checked above
            dual_basis_exponent=_as_int(
                "rs_dual_basis_exponent", values.get("rs_dual_basis_exponent", BERLEKAMP_BASIS_EXPONENT)
            ),
        )
        if "randomizer_period_bits" in values:
            from .randomizer import randomizer_period

            period = _as_int("randomizer_period_bits", values["randomizer_period_bits"])
            actual = randomizer_period(params.randomizer_polynomial, params.randomizer_seed)
            if period != actual:
                raise CodingError(
                    f"spec parameter 'randomizer_period_bits' is {period} but h(x) = "
                    f"{params.randomizer_polynomial:#x} with seed {params.randomizer_seed:#x} "
                    f"has period {actual}"
                )
        return params

    def _validate(self) -> None:
        if self.field_polynomial >> 8 != 1:
            raise CodingError(
                f"spec parameter 'rs_field_polynomial' {self.field_polynomial:#x} is not of degree 8"
            )
        if self.codeword_length != 255:
            raise CodingError(
                f"spec parameter 'rs_codeword_length' is {self.codeword_length}; only n = 255 is supported"
            )
        e = self.error_correction_capability
        if e < 1 or self.codeword_length - self.message_length != 2 * e:
            raise CodingError(
                "spec parameters 'rs_codeword_length', 'rs_message_length' and "
                f"'rs_error_correction_capability' are inconsistent: n - k = "
                f"{self.codeword_length - self.message_length}, 2E = {2 * e}"
            )
        if not 0 <= self.first_consecutive_root < 255:
            raise CodingError(
                f"spec parameter 'rs_first_consecutive_root' {self.first_consecutive_root} is not in 0 .. 254"
            )
        if not 1 <= self.generator_exponent < 255 or math.gcd(self.generator_exponent, 255) != 1:
            raise CodingError(
                f"spec parameter 'rs_generator_exponent' {self.generator_exponent} is not in 1 .. 254 "
                "and coprime to 255"
            )
        # Annex F: {1, beta, ..., beta^7} is a basis of GF(2^8) over GF(2) only when beta lies in no
        # proper subfield, i.e. beta^15 != 1, i.e. 17 does not divide the exponent of beta = alpha^e.
        if not 1 <= self.dual_basis_exponent < 255 or self.dual_basis_exponent % 17 == 0:
            raise CodingError(
                f"spec parameter 'rs_dual_basis_exponent' {self.dual_basis_exponent} does not define a "
                "dual basis: beta = alpha^e needs 1 <= e <= 254 and e not a multiple of 17 (CCSDS 131.0-B-3 Annex F)"
            )
        if any(d < 1 or d > 255 for d in self.interleaving_depths):
            raise CodingError(
                f"spec parameter 'rs_interleaving_depths' has a depth outside 1 .. 255: {self.interleaving_depths}"
            )
        if self.randomizer_polynomial >> 8 != 1 or not self.randomizer_polynomial & 1:
            raise CodingError(
                f"spec parameter 'randomizer_polynomial' {self.randomizer_polynomial:#x} is not a "
                "degree-8 polynomial with a constant term"
            )
        if not 0 < self.randomizer_seed < 256:
            raise CodingError(f"spec parameter 'randomizer_seed' {self.randomizer_seed:#x} is not 8 bits, non-zero")
        if not 0 <= self.crc16_polynomial < 1 << 16 or not 0 <= self.crc16_initial < 1 << 16:
            raise CodingError("spec parameters 'crc16_polynomial' / 'crc16_initial' must be 16-bit")


@functools.cache
def default_parameters() -> CodingParameters:
    """The parameters of the bundled spec ``net-optical-isl`` 1.0.0 (131.0-B-3 4, 9, 10).

    Pinned to that published version (immutable, so these defaults never change under a caller),
    read through the spec loader from the bundled catalog. They serve library calls made without
    ``params=``; certification builds the reference from the spec under test instead
    (:meth:`CodingParameters.from_spec`, :func:`orbitcert.reference_impl.optical.iut.create`).
    """
    from orbitcert.specs.loader import load_spec_file

    path = importlib.resources.files("orbitcert.specs") / "catalog" / DEFAULT_SPEC_ID / f"{DEFAULT_SPEC_VERSION}.yaml"
    return CodingParameters.from_spec(load_spec_file(str(path)).spec)


# --------------------------------------------------------------------------------------------
# Argument checks shared by the public functions (each raises CodingError naming the argument)
# --------------------------------------------------------------------------------------------


def resolve_params(params: Any) -> CodingParameters:
    """``params`` itself, or :func:`default_parameters` when it is None."""
    if params is None:
        return default_parameters()
    if not isinstance(params, CodingParameters):
        raise CodingError(f"params: expected CodingParameters, got {type(params).__name__}")
    return params


def check_flag(value: Any, name: str) -> bool:
    """A flag must be a real boolean (``bool`` or ``numpy.bool_``), never a truthy object."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise CodingError(f"{name}: expected True or False, got {value!r}")


def check_integer(value: Any, name: str) -> int:
    """An integer argument (``int`` or a numpy integer, not ``bool``)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise CodingError(f"{name}: expected an integer, got {value!r}")
    return int(value)


def check_depth(interleave: Any, p: CodingParameters) -> int:
    """The interleaving depth I, one of the spec's ``rs_interleaving_depths`` (131.0-B-3 section 4)."""
    if isinstance(interleave, bool) or not isinstance(interleave, (int, np.integer)):
        raise CodingError(f"interleave: expected an integer interleaving depth, got {interleave!r}")
    depth = int(interleave)
    if depth not in p.interleaving_depths:
        raise CodingError(
            f"interleave={depth} is not an allowed interleaving depth (allowed: "
            f"{', '.join(map(str, p.interleaving_depths))}; CCSDS 131.0-B-3 section 4)"
        )
    return depth


def check_frame_length(length: int, depth: int, p: CodingParameters, name: str = "frame length") -> int:
    """Return k' = L / I (131.0-B-3 section 4 virtual fill: L a multiple of I, 1 <= L/I <= k)."""
    if length % depth or not 1 <= length // depth <= p.k:
        raise CodingError(
            f"{name} {length} is invalid for interleave={depth}: it must be a multiple of the "
            f"depth with 1 <= L/I <= {p.k} (CCSDS 131.0-B-3 section 4, virtual fill), i.e. up to {p.k * depth} octets"
        )
    return length // depth


def check_codeblock_length(length: int, depth: int, p: CodingParameters) -> int:
    """Return k' for a codeblock of ``length`` octets (L + 2E*I, 131.0-B-3 section 4)."""
    check = 2 * p.E * depth
    if length % depth or length <= check or not 1 <= (length - check) // depth <= p.k:
        raise CodingError(
            f"codeblock length {length} is invalid for interleave={depth}: it must be L + {check} "
            f"with L a multiple of {depth} and 1 <= L/I <= {p.k} (CCSDS 131.0-B-3 section 4)"
        )
    return (length - check) // depth


_OCTET_FORMATS = frozenset({"B", "b", "c"})


def octet_view(data: Any, name: str) -> U8Array:
    """Bytes-like octets (bytes, bytearray, memoryview, 1-D uint8/int8 array) as a 1-D uint8 view,
    without copying unless the buffer is not contiguous.

    An integer is not a length, a str is not octets, and an array of wider items or of more
    dimensions is not silently reinterpreted: each raises :class:`CodingError` naming ``name``.
    """
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data
    if isinstance(data, (str, int, np.integer, bool)) or data is None:
        raise CodingError(f"{name}: expected bytes-like octets, got {type(data).__name__}")
    try:
        view = memoryview(data)
    except TypeError:
        raise CodingError(f"{name}: expected bytes-like octets, got {type(data).__name__}") from None
    if view.ndim != 1 or view.itemsize != 1 or view.format not in _OCTET_FORMATS:
        raise CodingError(
            f"{name}: expected bytes-like octets (a 1-D buffer of 8-bit items), got "
            f"{type(data).__name__} of format {view.format!r} and shape {view.shape}"
        )
    if not view.c_contiguous:
        return np.frombuffer(view.tobytes(), dtype=np.uint8)
    return np.frombuffer(view, dtype=np.uint8)


def as_octets(data: Any, name: str) -> bytes:
    """Bytes-like octets as ``bytes`` (a copy unless ``data`` is bytes); see :func:`octet_view`."""
    if isinstance(data, bytes):
        return data
    return octet_view(data, name).tobytes()


def as_batch(array: Any, name: str) -> U8Array:
    """A 2-D (N, length) array of octets: uint8, or integers all within 0 .. 255."""
    if isinstance(array, (str, bytes, bytearray, memoryview)):
        raise CodingError(f"{name}: expected a 2-D (N, length) uint8 array, got {type(array).__name__}")
    try:
        arr = np.asarray(array)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is a bad argument
        raise CodingError(f"{name}: not convertible to an array ({exc})") from None
    if arr.ndim != 2:
        raise CodingError(f"{name}: expected a 2-D (N, length) uint8 array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
            raise CodingError(f"{name}: expected uint8 octets, got dtype {arr.dtype}")
        arr = arr.astype(np.uint8)
    return arr
