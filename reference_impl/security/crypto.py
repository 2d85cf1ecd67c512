"""AES-256-GCM, SM4-GCM, AES-256-CCM, GMAC, SM3 and SHA-256 through the ``cryptography`` package only.

* AES-256-GCM: NIST SP 800-38D 7.1 with ``AESGCM`` (FIPS 197).
* AES-256-CCM (``sec-link-security`` 1.1.0, class aead-ccm): NIST SP 800-38C 6.1 / 6.2 with
  ``AESCCM``; the nonce is the full 12-octet SDLS IV (n = 12, so q = 15 - n = 3, Appendix A.2.1)
  and the tag 16 octets (Tlen = 128). :class:`CcmCipher`; the authentication-only service is not
  defined with CCM (SEC-CCM-005), so it has no GMAC.
* SM4-GCM: RFC 8998 3.2 (GB/T 32907-2016 SM4 in the GCM of SP 800-38D) with
  ``Cipher(algorithms.SM4(key), modes.GCM(iv))``; present only when the OpenSSL under
  ``cryptography`` provides it (:func:`sm4_gcm_supported`), else :class:`UnsupportedAlgorithm`.
* GMAC: GCM with an empty plaintext (SP 800-38D 7.1), the authentication service of CCSDS
  355.0-B-2 4.2.2.4.
* SM3 (GB/T 32905-2016) and SHA-256 (FIPS 180-4 6.2) with ``hashes``.

No cipher or hash is written here: this module only adapts those primitives to the fixed
12-octet IV and 16-octet tag of the ``sec-link-security`` profile; the key store caches one cipher
object per key and algorithm (:func:`aead_cipher`, typed :class:`AeadCipher`).
"""

from __future__ import annotations

import functools
from typing import Final, Protocol, TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

from .errors import ProvisioningError, UnsupportedAlgorithm

__all__ = [
    "ALGORITHMS",
    "AeadCipher",
    "Buffer",
    "CCM_ALGORITHM",
    "CCM_LENGTH_FIELD",
    "KEY_LENGTHS",
    "TAG_LENGTH",
    "CcmCipher",
    "GCM_ALGORITHMS",
    "GcmCipher",
    "aead_cipher",
    "gcm_cipher",
    "hash_digest",
    "sm3",
    "sha256",
    "sm4_gcm_supported",
]

#: The octet buffers the ciphers read (slices of frames are passed as memoryviews, not copied).
Buffer: TypeAlias = bytes | bytearray | memoryview

#: The CCM suite added by sec-link-security 1.1.0 (class aead-ccm).
CCM_ALGORITHM: Final = "aes-256-ccm"
#: Key octets per algorithm the reference provides (spec parameter ``key_lengths``: 1.0.0 names
#: the two GCM suites, 1.1.0 adds aes-256-ccm). Which of them a product built for one spec version
#: accepts is decided by that version's ``key_lengths`` (:class:`.sa.SecurityParameters`).
KEY_LENGTHS: Final[dict[str, int]] = {"aes-256-gcm": 32, "sm4-gcm": 16, CCM_ALGORITHM: 32}
ALGORITHMS: Final = tuple(KEY_LENGTHS)
#: The GCM suites (:class:`GcmCipher`).
GCM_ALGORITHMS: Final = ("aes-256-gcm", "sm4-gcm")
#: GCM and CCM tag octets (SP 800-38D 5.2.1.2, SP 800-38C Tlen = 128; the profile's ``mac_lengths``).
TAG_LENGTH: Final = 16
IV_LENGTH: Final = 12
#: Octets q of CCM's length field with the 12-octet nonce: n + q = 15 (SP 800-38C A.2.1).
CCM_LENGTH_FIELD: Final = 15 - IV_LENGTH


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


class AeadCipher(Protocol):
    """What the SDLS engine needs of one key of one suite: :class:`GcmCipher` or :class:`CcmCipher`."""

    algorithm: str

    def seal(self, iv: bytes, plaintext: Buffer, aad: bytes) -> bytes:
        """Ciphertext || tag of ``plaintext`` under the 12-octet ``iv`` with additional data ``aad``."""
        ...

    def open(self, iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
        """The plaintext of ``sealed`` (ciphertext || tag), or None when the tag does not verify."""
        ...

    def gmac(self, iv: bytes, aad: bytes) -> bytes:
        """The 16-octet MAC of ``aad`` alone (the authentication service)."""
        ...


class GcmCipher:
    """One key of one GCM suite: :meth:`seal` and :meth:`open` with a 12-octet IV and 16-octet tag.

    ``seal(iv, plaintext, aad)`` returns ciphertext || tag (SP 800-38D 7.1); ``open`` returns the
    plaintext, or None when the tag does not verify (7.2). The key length is checked once here.
    """

    __slots__ = ("_aes", "_key", "algorithm")

    def __init__(self, algorithm: str, key: bytes) -> None:
        require_algorithm(algorithm)
        if algorithm not in GCM_ALGORITHMS:
            raise ProvisioningError(f"algorithm: {algorithm!r} is not a GCM suite ({', '.join(GCM_ALGORITHMS)})")
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


class CcmCipher:
    """One AES-256 key in CCM mode (NIST SP 800-38C): :meth:`seal` and :meth:`open` with the
    profile's 12-octet nonce and a ``tag_length``-octet tag (16: Tlen = 128, parameter
    ``ccm_parameters``).

    ``seal(iv, plaintext, aad)`` is the generation-encryption process of SP 800-38C 6.1 (it returns
    C = ciphertext || T); ``open`` is the decryption-verification process of 6.2: the plaintext, or
    None (INVALID) when the tag does not verify, in which case no plaintext is released. The
    formatting (B0 with flags 64 Adata + 8 (t - 2) / 2 + (q - 1), the encoded associated data,
    the counter blocks (q - 1) || N || [i]_8q; Appendix A) is ``cryptography``'s ``AESCCM``.
    """

    __slots__ = ("_ccm", "_key", "algorithm", "tag_length")

    #: Tag lengths SP 800-38C allows (octets; its Appendix A.1 length requirements).
    TAG_LENGTHS: Final = (4, 6, 8, 10, 12, 14, 16)

    def __init__(self, key: bytes, tag_length: int = TAG_LENGTH) -> None:
        if len(key) != KEY_LENGTHS[CCM_ALGORITHM]:
            raise ProvisioningError(
                f"key: {CCM_ALGORITHM} needs a {KEY_LENGTHS[CCM_ALGORITHM]}-octet key (AES-256), got {len(key)} octets"
            )
        if tag_length not in self.TAG_LENGTHS:
            raise ProvisioningError(f"tag_length: CCM tags are {self.TAG_LENGTHS} octets (SP 800-38C A.1), got {tag_length}")
        self.algorithm = CCM_ALGORITHM
        self.tag_length = tag_length
        self._key = bytes(key)
        self._ccm = AESCCM(self._key, tag_length=tag_length)

    def seal(self, iv: bytes, plaintext: Buffer, aad: bytes) -> bytes:
        """C = ciphertext || tag of ``plaintext`` under the 12-octet nonce ``iv`` and associated data ``aad``."""
        if len(iv) != IV_LENGTH:
            raise ProvisioningError(f"iv: the CCM nonce of this profile is {IV_LENGTH} octets, got {len(iv)}")
        return self._ccm.encrypt(iv, plaintext, aad)

    def open(self, iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
        """The payload of ``sealed`` (ciphertext || tag), or None (INVALID, SP 800-38C 6.2 step 10)."""
        if len(sealed) < self.tag_length or len(iv) != IV_LENGTH:
            return None
        try:
            return self._ccm.decrypt(iv, sealed, aad)
        except InvalidTag:
            return None

    def gmac(self, iv: bytes, aad: bytes) -> bytes:
        """Not defined: this profile has no authentication-only service with CCM (SEC-CCM-005)."""
        raise UnsupportedAlgorithm(
            f"{CCM_ALGORITHM} provides the authenticated-encryption service only (SEC-CCM-005): no authentication-only MAC"
        )

    def keystream_xor(self, iv: bytes, data: Buffer) -> bytes:
        """CCM's CTR part alone (counter blocks from Ctr_1 = (q - 1) || N || [1]_8q, SP 800-38C
        6.1 steps 5-7 and A.3) with NO tag check.

        Not used by the reference's procedures; it exists so that deliberately broken products
        (tests/products/broken_ccm.py) can decrypt without verifying.
        """
        counter = bytes([CCM_LENGTH_FIELD - 1]) + bytes(iv) + (1).to_bytes(CCM_LENGTH_FIELD, "big")
        decryptor = Cipher(algorithms.AES(self._key), modes.CTR(counter)).decryptor()
        return decryptor.update(data) + decryptor.finalize()


def gcm_cipher(algorithm: str, key: bytes) -> GcmCipher:
    """A :class:`GcmCipher` for ``algorithm`` (``aes-256-gcm`` or ``sm4-gcm``) and ``key``."""
    return GcmCipher(algorithm, key)


def aead_cipher(algorithm: str, key: bytes) -> GcmCipher | CcmCipher:
    """The cipher of ``algorithm`` (``aes-256-gcm``, ``sm4-gcm`` or ``aes-256-ccm``) under ``key``;
    :class:`ProvisioningError` for an unknown algorithm or a key of the wrong length."""
    if algorithm == CCM_ALGORITHM:
        return CcmCipher(key)
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
