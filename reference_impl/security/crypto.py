"""AES-256-GCM, SM4-GCM, GMAC, SM3 and SHA-256 through the ``cryptography`` package only.

* AES-256-GCM: NIST SP 800-38D 7.1 with ``AESGCM`` (FIPS 197).
* SM4-GCM: RFC 8998 3.2 (GB/T 32907-2016 SM4 in the GCM of SP 800-38D) with
  ``Cipher(algorithms.SM4(key), modes.GCM(iv))``; present only when the OpenSSL under
  ``cryptography`` provides it (:func:`sm4_gcm_supported`), else :class:`UnsupportedAlgorithm`.
* GMAC: GCM with an empty plaintext (SP 800-38D 7.1), the authentication service of CCSDS
  355.0-B-2 4.2.2.4.
* SM3 (GB/T 32905-2016) and SHA-256 (FIPS 180-4 6.2) with ``hashes``.

No cipher or hash is written here: this module only adapts those primitives to the fixed
12-octet IV and 16-octet tag of the ``sec-link-security`` profile and caches one cipher object
per key (:class:`GcmCipher`).
"""

from __future__ import annotations

import functools
from typing import Final, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import ProvisioningError, UnsupportedAlgorithm

__all__ = [
    "ALGORITHMS",
    "Buffer",
    "KEY_LENGTHS",
    "TAG_LENGTH",
    "GcmCipher",
    "gcm_cipher",
    "hash_digest",
    "sm3",
    "sha256",
    "sm4_gcm_supported",
]

#: The octet buffers the ciphers read (slices of frames are passed as memoryviews, not copied).
Buffer: TypeAlias = bytes | bytearray | memoryview

#: Key octets per algorithm (spec parameter ``key_lengths`` of sec-link-security 1.0.0).
KEY_LENGTHS: Final[dict[str, int]] = {"aes-256-gcm": 32, "sm4-gcm": 16}
ALGORITHMS: Final = tuple(KEY_LENGTHS)
#: GCM tag octets (SP 800-38D 5.2.1.2, the profile's ``mac_lengths``).
TAG_LENGTH: Final = 16
IV_LENGTH: Final = 12


@functools.cache
def sm4_gcm_supported() -> bool:
    """Whether this platform's ``cryptography``/OpenSSL provides SM4 in GCM mode (RFC 8998 3.2)."""
    try:
        return bool(
            default_backend().cipher_supported(algorithms.SM4(b"\0" * 16), modes.GCM(b"\0" * 12))
        )
    except Exception:  # noqa: BLE001 - an absent algorithm class or backend is "not supported"
        return False


def require_algorithm(algorithm: str) -> None:
    """Raise :class:`UnsupportedAlgorithm` (or ProvisioningError for an unknown name) unless usable here."""
    if algorithm not in KEY_LENGTHS:
        raise ProvisioningError(f"algorithm: {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    if algorithm == "sm4-gcm" and not sm4_gcm_supported():
        raise UnsupportedAlgorithm(
            "algorithm 'sm4-gcm': the OpenSSL under the installed cryptography package does not provide "
            "SM4 in GCM mode (RFC 8998 3.2); install a cryptography wheel built with SM4 support"
        )


class GcmCipher:
    """One key of one GCM suite: :meth:`seal` and :meth:`open` with a 12-octet IV and 16-octet tag.

    ``seal(iv, plaintext, aad)`` returns ciphertext || tag (SP 800-38D 7.1); ``open`` returns the
    plaintext, or None when the tag does not verify (7.2). The key length is checked once here.
    """

    __slots__ = ("_aes", "_key", "algorithm")

    def __init__(self, algorithm: str, key: bytes) -> None:
        require_algorithm(algorithm)
        if len(key) != KEY_LENGTHS[algorithm]:
            raise ProvisioningError(
                f"key: {algorithm} needs a {KEY_LENGTHS[algorithm]}-octet key, got {len(key)} octets"
            )
        self.algorithm = algorithm
        self._key = bytes(key)
        self._aes = AESGCM(self._key) if algorithm == "aes-256-gcm" else None

    def seal(self, iv: bytes, plaintext: Buffer, aad: bytes) -> bytes:
        """Ciphertext || 16-octet tag of ``plaintext`` under ``iv`` with additional data ``aad``."""
        if self._aes is not None:
            return self._aes.encrypt(iv, plaintext, aad)
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(iv)).encryptor()
        encryptor.authenticate_additional_data(aad)
        ciphertext = encryptor.update(plaintext) + encryptor.finalize()
        return ciphertext + encryptor.tag

    def open(self, iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
        """The plaintext of ``sealed`` (ciphertext || tag), or None when the tag does not verify."""
        if len(sealed) < TAG_LENGTH:
            return None
        try:
            if self._aes is not None:
                return self._aes.decrypt(iv, sealed, aad)
            decryptor = Cipher(
                algorithms.SM4(self._key), modes.GCM(iv, bytes(sealed[-TAG_LENGTH:]))
            ).decryptor()
            decryptor.authenticate_additional_data(aad)
            return decryptor.update(sealed[:-TAG_LENGTH]) + decryptor.finalize()
        except InvalidTag:
            return None

    def gmac(self, iv: bytes, aad: bytes) -> bytes:
        """The 16-octet GMAC of ``aad`` (GCM with an empty plaintext, SP 800-38D 7.1)."""
        return self.seal(iv, b"", aad)

    def keystream_xor(self, iv: bytes, data: Buffer) -> bytes:
        """GCM's CTR part alone (counter from inc32(J0), SP 800-38D 7.1 step 3) with NO tag check.

        Not used by the reference's procedures; it exists so that deliberately broken products
        (tests/products/broken_security.py) can decrypt without authenticating.
        """
        algorithm = algorithms.AES(self._key) if self._aes is not None else algorithms.SM4(self._key)
        decryptor = Cipher(algorithm, modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
        return decryptor.update(data) + decryptor.finalize()


def gcm_cipher(algorithm: str, key: bytes) -> GcmCipher:
    """A :class:`GcmCipher` for ``algorithm`` (``aes-256-gcm`` or ``sm4-gcm``) and ``key``."""
    return GcmCipher(algorithm, key)


def sm3(data: bytes) -> bytes:
    """SM3 digest of ``data`` (GB/T 32905-2016), 32 octets."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data`` (FIPS 180-4 6.2), 32 octets."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


def hash_digest(name: str, data: bytes) -> bytes:
    """The ``sha-256`` or ``sm3`` digest of ``data``."""
    if name == "sha-256":
        return sha256(data)
    if name == "sm3":
        return sm3(data)
    raise UnsupportedAlgorithm(f"hash {name!r}: expected 'sha-256' or 'sm3'")
