"""Secure and measured boot of ``sec-link-security`` (class ``secure-boot``, SEC-BOOT-001..005).

Image format (spec parameter ``boot_manifest``; all integers big-endian)::

    magic "OCFW" (4) | format version (1, value 1) | signature algorithm (1: 1 ed25519, 2 sm2-sm3)
    | key id (2) | security version (4) | hash algorithm (1: 1 sha-256, 2 sm3) | stage count (1, >= 1)
    | per stage: length (4) and its octets | nothing after the last stage

The signature covers the whole image and travels beside it. :meth:`SecureBoot.boot` makes the
checks in the order of parameter ``boot_check_order`` and reports the first that fails:

1. ``malformed``: the image does not parse (this includes an algorithm *code* the format does not
   define: such a manifest names no algorithm at all);
2. ``unsupported_algorithm``: the manifest names a signature or hash algorithm this product does
   not declare;
3. ``untrusted_key``: the key id is not trusted, or trusted for the other signature algorithm;
4. ``bad_signature``: the signature does not verify (including a signature of the wrong length);
5. ``rollback``: the security version is below the highest accepted so far (a refused image
   leaves that highest version unchanged; it starts at 0).

An accepted image is measured: one digest per stage, in stage order, with the manifest's hash
algorithm, as lowercase hex (SEC-BOOT-001, SEC-BOOT-005).

Cryptography, none of it written here:

* Ed25519 verification (RFC 8032 5.1.7) by ``cryptography``'s ``Ed25519PublicKey`` (OpenSSL).
* SHA-256 (FIPS 180-4 6.2) and SM3 (GB/T 32905-2016) by ``cryptography``'s ``hashes``.
* SM2 with SM3 (GB/T 32918.2-2016): the signed digest is e = SM3(Z_A || M) with
  Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) (GB/T 32918.2-2016 5.5, ID_A the
  spec's ``sm2_default_id``), both hashed here with ``cryptography``'s SM3; the curve arithmetic of
  verification (GB/T 32918.2-2016 7.1, steps B5-B7) is ``gmssl``'s ``CryptSM2.verify``. gmssl does
  not make the range checks of steps B1-B2 (r, s in [1, n-1]) nor validate the public key (both
  coordinates below p, the point on the curve: GB/T 32918.1-2016 public key verification), so
  those checks are made here, with the curve parameters gmssl itself uses. gmssl's constructor
  mangles a public key whose hex starts with "04" (``str.lstrip``), so the key is set afterwards.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from gmssl import sm2

from .errors import ManifestError, ProvisioningError

__all__ = [
    "BOOT_CHECK_ORDER",
    "HASH_ALGORITHMS",
    "MAGIC",
    "PUBLIC_KEY_LENGTHS",
    "SIGNATURE_ALGORITHMS",
    "SIGNATURE_LENGTH",
    "SM2_DEFAULT_ID",
    "Manifest",
    "SecureBoot",
    "TrustedKey",
    "build_image",
    "digest",
    "parse_manifest",
    "sm2_signed_digest",
    "trusted_key",
]

#: Manifest magic (parameter ``boot_manifest``).
MAGIC: Final = b"OCFW"
#: The only manifest format version this spec defines.
FORMAT_VERSION: Final = 1
#: Signature algorithm codes of the manifest (parameter ``boot_manifest``).
SIGNATURE_ALGORITHMS: Final[dict[int, str]] = {1: "ed25519", 2: "sm2-sm3"}
#: Hash algorithm codes of the manifest (parameter ``boot_manifest``).
HASH_ALGORITHMS: Final[dict[int, str]] = {1: "sha-256", 2: "sm3"}
#: Public key octets per algorithm: Ed25519 (RFC 8032 5.1.5) 32, SM2 x || y 64.
PUBLIC_KEY_LENGTHS: Final[dict[str, int]] = {"ed25519": 32, "sm2-sm3": 64}
#: Signature octets of both algorithms: Ed25519 R || S (RFC 8032 5.1.6), SM2 r || s.
SIGNATURE_LENGTH: Final = 64
#: SM2 distinguishing identifier (parameter ``sm2_default_id``; GB/T 32918.2-2016 5.5 default).
SM2_DEFAULT_ID: Final = b"1234567812345678"
#: Parameter ``boot_check_order``: the first failing check is the refusal reason.
BOOT_CHECK_ORDER: Final = ("malformed", "unsupported_algorithm", "untrusted_key", "bad_signature", "rollback")

#: magic, format version, signature algorithm, key id, security version, hash algorithm, stage count.
_HEADER: Final = struct.Struct(">4sBBHIBB")
_STAGE_LENGTH: Final = struct.Struct(">I")
_CODE_OF_SIGNATURE: Final = {name: code for code, name in SIGNATURE_ALGORITHMS.items()}
_CODE_OF_HASH: Final = {name: code for code, name in HASH_ALGORITHMS.items()}

# SM2 recommended curve (GB/T 32918.5-2017), as gmssl holds it.
_SM2_P: Final = int(sm2.default_ecc_table["p"], 16)
_SM2_A: Final = int(sm2.default_ecc_table["a"], 16)
_SM2_B: Final = int(sm2.default_ecc_table["b"], 16)
_SM2_N: Final = int(sm2.default_ecc_table["n"], 16)
_SM2_G: Final = bytes.fromhex(sm2.default_ecc_table["g"])
_SM2_COORDINATE: Final = 32


def digest(algorithm: str, data: bytes) -> bytes:
    """The ``sha-256`` (FIPS 180-4 6.2) or ``sm3`` (GB/T 32905-2016) digest of ``data``."""
    if algorithm == "sha-256":
        h = hashes.Hash(hashes.SHA256())
    elif algorithm == "sm3":
        h = hashes.Hash(hashes.SM3())
    else:
        raise ProvisioningError(f"hash algorithm {algorithm!r}: expected one of {', '.join(_CODE_OF_HASH)}")
    h.update(data)
    return h.finalize()


def sm2_signed_digest(public_key: bytes, message: bytes, ident: bytes = SM2_DEFAULT_ID) -> bytes:
    """e = SM3(Z_A || M), the digest an SM2 signature of ``message`` signs (GB/T 32918.2-2016 5.5, 6.1 A1-A2).

    Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), ENTL_A the bit length of
    ``ident`` on two octets, ``public_key`` = x_A || y_A (64 octets).
    """
    if len(public_key) != 2 * _SM2_COORDINATE:
        raise ProvisioningError(f"public_key: SM2 keys are x || y, 64 octets; got {len(public_key)}")
    if len(ident) >= 8192:
        raise ProvisioningError(f"ident: {len(ident)} octets; ENTL_A has 16 bits")
    z_a = digest(
        "sm3",
        struct.pack(">H", 8 * len(ident))
        + ident
        + _SM2_A.to_bytes(_SM2_COORDINATE, "big")
        + _SM2_B.to_bytes(_SM2_COORDINATE, "big")
        + _SM2_G
        + public_key,
    )
    return digest("sm3", z_a + message)


def _octets(value: Any, name: str, error: type[Exception]) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise error(f"{name}: expected bytes, got {type(value).__name__}")


# ---- manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """A parsed firmware image (parameter ``boot_manifest``)."""

    signature_algorithm: str
    key_id: int
    security_version: int
    hash_algorithm: str
    stages: tuple[bytes, ...]


def parse_manifest(image: bytes) -> Manifest:
    """Parse ``image``; :class:`ManifestError` (a SecurityError) names the first violation of ``boot_manifest``."""
    image = _octets(image, "image", ManifestError)
    if len(image) < _HEADER.size:
        raise ManifestError(f"image: {len(image)} octets, shorter than the {_HEADER.size}-octet manifest header")
    magic, version, sig_code, key_id, security_version, hash_code, count = _HEADER.unpack_from(image)
    if magic != MAGIC:
        raise ManifestError(f"image: magic {magic.hex()}, expected {MAGIC.hex()} ({MAGIC.decode()!r})")
    if version != FORMAT_VERSION:
        raise ManifestError(f"image: format version {version}, expected {FORMAT_VERSION}")
    if sig_code not in SIGNATURE_ALGORITHMS:
        raise ManifestError(f"image: signature algorithm code {sig_code} is not one of {sorted(SIGNATURE_ALGORITHMS)}")
    if hash_code not in HASH_ALGORITHMS:
        raise ManifestError(f"image: hash algorithm code {hash_code} is not one of {sorted(HASH_ALGORITHMS)}")
    if count < 1:
        raise ManifestError("image: stage count 0, at least 1 stage expected")
    stages: list[bytes] = []
    offset = _HEADER.size
    for index in range(count):
        if len(image) - offset < _STAGE_LENGTH.size:
            raise ManifestError(f"image: truncated in the length of stage {index} (offset {offset})")
        (length,) = _STAGE_LENGTH.unpack_from(image, offset)
        offset += _STAGE_LENGTH.size
        if len(image) - offset < length:
            raise ManifestError(
                f"image: stage {index} declares {length} octets, only {len(image) - offset} remain"
            )
        stages.append(image[offset : offset + length])
        offset += length
    if offset != len(image):
        raise ManifestError(f"image: {len(image) - offset} octets after the last stage")
    return Manifest(
        signature_algorithm=SIGNATURE_ALGORITHMS[sig_code],
        key_id=key_id,
        security_version=security_version,
        hash_algorithm=HASH_ALGORITHMS[hash_code],
        stages=tuple(stages),
    )


def _in_range(value: Any, name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ManifestError(f"{name}: expected an integer, got {type(value).__name__}")
    if not 0 <= value <= high:
        raise ManifestError(f"{name}: {value} out of range 0..{high}")
    return value


def build_image(
    stages: Iterable[bytes],
    *,
    key_id: int,
    security_version: int,
    signature_algorithm: str = "ed25519",
    hash_algorithm: str = "sha-256",
) -> bytes:
    """The firmware image (parameter ``boot_manifest``) holding ``stages``; sign it separately.

    :class:`ManifestError` for a field the format cannot carry (no stage, more than 255, a stage
    of 2^32 octets or more, an unknown algorithm name, a key id or version out of range).
    """
    if isinstance(stages, (bytes, bytearray, memoryview, str)):
        raise ManifestError("stages: expected a sequence of stages (bytes each), got a single value")
    parts = [_octets(stage, f"stages[{i}]", ManifestError) for i, stage in enumerate(stages)]
    if not 1 <= len(parts) <= 255:
        raise ManifestError(f"stages: {len(parts)} stages, the manifest holds 1..255")
    if signature_algorithm not in _CODE_OF_SIGNATURE:
        raise ManifestError(f"signature_algorithm {signature_algorithm!r}: expected one of {', '.join(_CODE_OF_SIGNATURE)}")
    if hash_algorithm not in _CODE_OF_HASH:
        raise ManifestError(f"hash_algorithm {hash_algorithm!r}: expected one of {', '.join(_CODE_OF_HASH)}")
    header = _HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        _CODE_OF_SIGNATURE[signature_algorithm],
        _in_range(key_id, "key_id", 0xFFFF),
        _in_range(security_version, "security_version", 0xFFFFFFFF),
        _CODE_OF_HASH[hash_algorithm],
        len(parts),
    )
    body = bytearray(header)
    for i, stage in enumerate(parts):
        if len(stage) > 0xFFFFFFFF:
            raise ManifestError(f"stages[{i}]: {len(stage)} octets, a stage holds at most 2^32 - 1")
        body += _STAGE_LENGTH.pack(len(stage)) + stage
    return bytes(body)


# ---- trusted keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    """One trusted firmware signing key: its algorithm and public key octets, validated."""

    algorithm: str
    public_key: bytes
    sm2_id: bytes = SM2_DEFAULT_ID

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is a valid signature of ``message`` under this key.

        Ed25519: RFC 8032 5.1.7 (by OpenSSL, which also rejects S >= L). SM2: GB/T 32918.2-2016
        7.1, r || s of 32 octets each. A signature of the wrong length never verifies.
        """
        if len(signature) != SIGNATURE_LENGTH:
            return False
        if self.algorithm == "ed25519":
            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            except InvalidSignature:
                return False
            return True
        return self._verify_sm2(message, signature)

    def _verify_sm2(self, message: bytes, signature: bytes) -> bool:
        r = int.from_bytes(signature[:_SM2_COORDINATE], "big")
        s = int.from_bytes(signature[_SM2_COORDINATE:], "big")
        if not (1 <= r < _SM2_N and 1 <= s < _SM2_N):  # GB/T 32918.2-2016 7.1 B1, B2
            return False
        e = sm2_signed_digest(self.public_key, message, self.sm2_id)  # B3, B4
        verifier = sm2.CryptSM2(private_key=None, public_key=self.public_key.hex())
        verifier.public_key = self.public_key.hex()  # undo the constructor's lstrip("04")
        try:
            return bool(verifier.verify(signature.hex(), e))  # B5-B7
        except (TypeError, ValueError, IndexError, ZeroDivisionError):
            # gmssl fails on the point at infinity (t * P_A = -s * G): not a valid signature.
            return False


def trusted_key(algorithm: Any, public_key: Any, *, sm2_id: bytes = SM2_DEFAULT_ID) -> TrustedKey:
    """A validated :class:`TrustedKey`; :class:`ProvisioningError` naming what is wrong."""
    if not isinstance(algorithm, str) or algorithm not in PUBLIC_KEY_LENGTHS:
        raise ProvisioningError(f"algorithm: {algorithm!r} is not one of {', '.join(PUBLIC_KEY_LENGTHS)}")
    key = _octets(public_key, "public_key", ProvisioningError)
    expected = PUBLIC_KEY_LENGTHS[algorithm]
    if len(key) != expected:
        layout = "x || y" if algorithm == "sm2-sm3" else "RFC 8032 5.1.5 encoding"
        raise ProvisioningError(f"public_key: {algorithm} keys are {expected} octets ({layout}); got {len(key)}")
    if algorithm == "ed25519":
        try:
            Ed25519PublicKey.from_public_bytes(key)
        except ValueError as exc:
            raise ProvisioningError(f"public_key: not an Ed25519 public key ({exc})") from None
    else:
        x = int.from_bytes(key[:_SM2_COORDINATE], "big")
        y = int.from_bytes(key[_SM2_COORDINATE:], "big")
        if not (x < _SM2_P and y < _SM2_P):
            raise ProvisioningError("public_key: an SM2 coordinate is not below the field prime p")
        if (y * y - (x * x * x + _SM2_A * x + _SM2_B)) % _SM2_P != 0:
            raise ProvisioningError("public_key: the point x || y is not on the SM2 curve")
    return TrustedKey(algorithm, key, bytes(sm2_id))


# ---- the boot loader --------------------------------------------------------------------------


def _names(values: Any, known: Sequence[str], what: str) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ProvisioningError(f"{what}: expected a collection of names, got {type(values).__name__}")
    try:
        names = frozenset(values)
    except TypeError:
        raise ProvisioningError(f"{what}: expected a collection of names (strings)") from None
    unknown = sorted(str(n) for n in names - set(known))
    if unknown:
        raise ProvisioningError(f"{what}: unknown {', '.join(unknown)}; expected names among {', '.join(known)}")
    if not names:
        raise ProvisioningError(f"{what}: at least one is needed")
    return names


class SecureBoot:
    """Secure boot with a trusted key store and a rollback counter (class ``secure-boot``).

    ``signature_algorithms`` and ``hashes`` are what the product declares (ICS items
    ``signature_algorithms`` and ``measurement_hashes``): a manifest naming another is refused
    with ``unsupported_algorithm``. ``sm2_id`` is the spec's ``sm2_default_id``.
    """

    def __init__(
        self,
        signature_algorithms: Iterable[str] = ("ed25519", "sm2-sm3"),
        hashes: Iterable[str] = ("sha-256", "sm3"),
        *,
        sm2_id: bytes = SM2_DEFAULT_ID,
    ) -> None:
        self.signature_algorithms = _names(signature_algorithms, tuple(_CODE_OF_SIGNATURE), "signature_algorithms")
        self.hashes = _names(hashes, tuple(_CODE_OF_HASH), "hashes")
        self.sm2_id = _octets(sm2_id, "sm2_id", ProvisioningError)
        self._keys: dict[int, TrustedKey] = {}
        self._highest_version = 0

    @property
    def highest_security_version(self) -> int:
        """The highest security version accepted so far (0 before any)."""
        return self._highest_version

    def load_trusted_key(self, key_id: int, public_key: bytes, algorithm: str) -> None:
        """Trust ``public_key`` for ``algorithm`` under ``key_id`` (replacing any key with that id).

        :class:`ProvisioningError` for a key id outside 0..65535, an algorithm that is unknown or
        not among this product's ``signature_algorithms``, or a public key that is not one.
        """
        if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id <= 0xFFFF:
            raise ProvisioningError(f"key_id: {key_id!r} is not an integer in 0..65535")
        key = trusted_key(algorithm, public_key, sm2_id=self.sm2_id)
        if algorithm not in self.signature_algorithms:
            raise ProvisioningError(
                f"algorithm: {algorithm!r} is not among this product's signature algorithms "
                f"({', '.join(sorted(self.signature_algorithms))})"
            )
        self._keys[key_id] = key

    def check(self, image: bytes, signature: bytes) -> tuple[str | None, Manifest | None]:
        """(first failing check of ``boot_check_order`` or None, the manifest when it parsed); no state change."""
        image = _octets(image, "image", ManifestError)
        signature = _octets(signature, "signature", ManifestError)
        try:
            manifest = parse_manifest(image)
        except ManifestError:
            return "malformed", None
        if manifest.signature_algorithm not in self.signature_algorithms or manifest.hash_algorithm not in self.hashes:
            return "unsupported_algorithm", manifest
        key = self._keys.get(manifest.key_id)
        if key is None or key.algorithm != manifest.signature_algorithm:
            return "untrusted_key", manifest
        if not key.verify(image, signature):
            return "bad_signature", manifest
        if manifest.security_version < self._highest_version:
            return "rollback", manifest
        return None, manifest

    @staticmethod
    def measure(manifest: Manifest) -> list[str]:
        """One lowercase hex digest per stage, in stage order, with the manifest's hash algorithm."""
        return [digest(manifest.hash_algorithm, stage).hex() for stage in manifest.stages]

    def boot(self, image: bytes, signature: bytes) -> dict[str, Any]:
        """Verify and measure one image: ``{"accepted", "reason", "measurements"}``.

        An accepted image raises the rollback counter to its security version; a refused one
        changes nothing and has no measurements.
        """
        reason, manifest = self.check(image, signature)
        if reason is not None or manifest is None:
            return {"accepted": False, "reason": reason, "measurements": []}
        self._highest_version = max(self._highest_version, manifest.security_version)
        return {"accepted": True, "reason": None, "measurements": self.measure(manifest)}
