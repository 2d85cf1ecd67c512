"""Deliberately broken AES-256-CCM products (``sec-link-security`` 1.1.0, class ``aead-ccm``): the
reference with ONE deviation each, confined to aes-256-ccm SAs (their GCM SAs stay right).

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.security.iut.create` and
returns a product whose docstring names the one SEC-CCM requirement a certification must fail it
on (the suite judges each deviation by exactly one requirement; the others are inconclusive or
pass):

* :func:`gcm_substituted` - ApplySecurity seals with AES-256-GCM: SEC-CCM-001
* :func:`tag_truncated` - ApplySecurity emits a CCM tag of Tlen = 64 (8 octets): SEC-CCM-001
* :func:`abm_ignoring` - the CCM associated data is the unmasked AAD: SEC-CCM-002
* :func:`mac_unchecked` - ProcessSecurity decrypts without verifying the tag: SEC-CCM-003
* :func:`nonce_from_transmitted_octets` - the nonce is the transmitted IV octets, zero-padded: SEC-CCM-004
* :func:`any_aes_key` - AES-128/192-CCM with a 16/24-octet key under an aes-256-ccm SA: SEC-CCM-006

Use e.g. ``--impl products.broken_ccm:mac_unchecked`` (with ``tests/`` on the path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from orbitcert.reference_impl.security.crypto import (
    CCM_ALGORITHM,
    AeadCipher,
    Buffer,
    CcmCipher,
    GcmCipher,
)
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity
from orbitcert.reference_impl.security.keys import KeyStore
from orbitcert.reference_impl.security.sa import SaRecord, SecurityParameters
from orbitcert.reference_impl.security.sdls import SdlsEngine

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "abm_ignoring",
    "any_aes_key",
    "gcm_substituted",
    "mac_unchecked",
    "nonce_from_transmitted_octets",
    "tag_truncated",
]

Seal = Callable[[bytes, Buffer, bytes], bytes]
Open = Callable[[bytes, Buffer, bytes], "bytes | None"]


def _build(cls: type[ReferenceLinkSecurity], spec: Spec | None) -> ReferenceLinkSecurity:
    return cls() if spec is None else cls(SecurityParameters.from_spec(spec))


class _Patched:
    """A cipher whose seal or open is replaced (the other one is the real CCM's)."""

    def __init__(self, real: CcmCipher, seal: Seal | None = None, open_: Open | None = None) -> None:
        self.algorithm = real.algorithm
        self._real = real
        self._seal = seal or real.seal
        self._open = open_ or real.open

    def seal(self, iv: bytes, plaintext: Buffer, aad: bytes) -> bytes:
        return self._seal(iv, plaintext, aad)

    def open(self, iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
        return self._open(iv, sealed, aad)

    def gmac(self, iv: bytes, aad: bytes) -> bytes:
        return self._real.gmac(iv, aad)


class _PatchingKeyStore(KeyStore):
    """Hands out a patched cipher for aes-256-ccm keys (:meth:`patch`)."""

    def patch(self, real: CcmCipher, key: bytes) -> AeadCipher:
        raise NotImplementedError

    def cipher(self, key_id: int | None, algorithm: str) -> AeadCipher | None:
        cipher = super().cipher(key_id, algorithm)
        if isinstance(cipher, CcmCipher) and key_id is not None:
            key = self.get(key_id)
            assert key is not None
            return self.patch(cipher, key.value)
        return cipher


# -- gcm_substituted -------------------------------------------------------------------------------


class _GcmSealingKeys(_PatchingKeyStore):
    def patch(self, real: CcmCipher, key: bytes) -> AeadCipher:
        return _Patched(real, seal=GcmCipher("aes-256-gcm", key).seal)


class GcmSubstitutedProduct(ReferenceLinkSecurity):
    """Protects frames of aes-256-ccm SAs with AES-256-GCM (same key, IV, AAD); its
    ProcessSecurity is right. Fails SEC-CCM-001."""

    name = "broken-ccm-gcm-substituted"
    key_store_class = _GcmSealingKeys


def gcm_substituted(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """GCM where the SA says CCM, on ApplySecurity; must fail SEC-CCM-001."""
    return _build(GcmSubstitutedProduct, spec)


# -- tag_truncated ---------------------------------------------------------------------------------


class _ShortTagKeys(_PatchingKeyStore):
    def patch(self, real: CcmCipher, key: bytes) -> AeadCipher:
        short = AESCCM(key, tag_length=8)
        return _Patched(real, seal=lambda iv, data, aad: short.encrypt(iv, data, aad))


class TagTruncatedProduct(ReferenceLinkSecurity):
    """Protects frames of aes-256-ccm SAs with an 8-octet CCM tag (Tlen = 64, whatever the SA's
    mac_length); its ProcessSecurity is right. Fails SEC-CCM-001."""

    name = "broken-ccm-tag-truncated"
    key_store_class = _ShortTagKeys


def tag_truncated(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """An 8-octet CCM tag on ApplySecurity; must fail SEC-CCM-001."""
    return _build(TagTruncatedProduct, spec)


# -- abm_ignoring ----------------------------------------------------------------------------------


class _UnmaskedCcmEngine(SdlsEngine):
    def mask(self, sa: SaRecord, aad: bytes) -> bytes:
        if sa.algorithm == CCM_ALGORITHM:
            return aad
        return super().mask(sa, aad)


class AbmIgnoringCcmProduct(ReferenceLinkSecurity):
    """Uses the unmasked AAD as CCM associated data (GCM SAs are masked right). Fails SEC-CCM-002."""

    name = "broken-ccm-abm-ignoring"
    engine_class = _UnmaskedCcmEngine


def abm_ignoring(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """The authentication bit mask ignored for CCM SAs; must fail SEC-CCM-002."""
    return _build(AbmIgnoringCcmProduct, spec)


# -- mac_unchecked ---------------------------------------------------------------------------------


class _UncheckedKeys(_PatchingKeyStore):
    def patch(self, real: CcmCipher, key: bytes) -> AeadCipher:
        def open_without_check(iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
            return real.keystream_xor(iv, memoryview(sealed)[: len(sealed) - real.tag_length])

        return _Patched(real, open_=open_without_check)


class MacUncheckedProduct(ReferenceLinkSecurity):
    """Decrypts received frames of aes-256-ccm SAs (CTR part) without verifying the tag, so a
    tampered frame is accepted with a garbled payload. Fails SEC-CCM-003."""

    name = "broken-ccm-mac-unchecked"
    key_store_class = _UncheckedKeys


def mac_unchecked(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """CCM tag never checked on receive; must fail SEC-CCM-003."""
    return _build(MacUncheckedProduct, spec)


# -- nonce_from_transmitted_octets -----------------------------------------------------------------


class _TransmittedNonceEngine(SdlsEngine):
    def nonce(self, sa: SaRecord, iv: int) -> bytes:
        if sa.algorithm == CCM_ALGORITHM:
            return (iv % sa.iv_modulus).to_bytes(12, "big")
        return super().nonce(sa, iv)


class TransmittedNonceProduct(ReferenceLinkSecurity):
    """Takes as CCM nonce the transmitted IV octets, left-padded with zeros, instead of the full
    IV (the same thing when iv_length is 12). Fails SEC-CCM-004."""

    name = "broken-ccm-transmitted-nonce"
    engine_class = _TransmittedNonceEngine


def nonce_from_transmitted_octets(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """The CCM nonce built from the transmitted IV octets only; must fail SEC-CCM-004."""
    return _build(TransmittedNonceProduct, spec)


# -- any_aes_key -----------------------------------------------------------------------------------


class _AnyAesCcm:
    """AES-CCM with a key of any AES length (16, 24 or 32 octets) and the 16-octet tag."""

    algorithm = CCM_ALGORITHM

    def __init__(self, key: bytes) -> None:
        self._ccm = AESCCM(key, tag_length=16)

    def seal(self, iv: bytes, plaintext: Buffer, aad: bytes) -> bytes:
        return self._ccm.encrypt(iv, plaintext, aad)

    def open(self, iv: bytes, sealed: Buffer, aad: bytes) -> bytes | None:
        try:
            return self._ccm.decrypt(iv, sealed, aad)
        except Exception:  # noqa: BLE001 - InvalidTag or a short input: INVALID
            return None

    def gmac(self, iv: bytes, aad: bytes) -> bytes:
        raise NotImplementedError


class _AnyLengthKeys(KeyStore):
    def cipher(self, key_id: int | None, algorithm: str) -> AeadCipher | None:
        if algorithm == CCM_ALGORITHM and key_id is not None:
            key = self.get(key_id)
            if key is not None and self.is_usable(key) and len(key.value) in (16, 24, 32):
                return _AnyAesCcm(key.value)
        return super().cipher(key_id, algorithm)


class AnyAesKeyProduct(ReferenceLinkSecurity):
    """Uses whatever AES key an aes-256-ccm SA names: a 16-octet key gives AES-128-CCM. Fails SEC-CCM-006."""

    name = "broken-ccm-any-aes-key"
    key_store_class = _AnyLengthKeys


def any_aes_key(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """AES-128/192-CCM accepted under aes-256-ccm SAs; must fail SEC-CCM-006."""
    return _build(AnyAesKeyProduct, spec)
