"""Deliberately broken ``sec-link-security`` products: the reference with ONE deviation each.

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.security.iut.create` and
returns a product whose docstring names the requirement a certification must fail it on:

* :func:`replay_accepting` - SEC-ARP-001 / SEC-ARP-002
* :func:`abm_ignoring` - SEC-AES-003
* :func:`deactivated_key_using` - SEC-KEY-001
* :func:`sm4_wrong_aad` - SEC-SM4-002
* :func:`iv_reusing` - SEC-AES-006
* :func:`state_changing_on_reject` - SEC-ARP-003
* :func:`otar_unauthenticated` - SEC-KEY-002

(Secure-boot deviations live elsewhere.) Use e.g.
``--impl tests.products.broken_security:replay_accepting``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orbitcert.reference_impl.security.crypto import Buffer, GcmCipher
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity
from orbitcert.reference_impl.security.keys import Key, KeyStore
from orbitcert.reference_impl.security.procedures import ExtendedProcedures
from orbitcert.reference_impl.security.sa import SaRecord, SecurityParameters
from orbitcert.reference_impl.security.sdls import SdlsEngine

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = [
    "abm_ignoring",
    "deactivated_key_using",
    "iv_reusing",
    "otar_unauthenticated",
    "replay_accepting",
    "sm4_wrong_aad",
    "state_changing_on_reject",
]


def _build(cls: type[ReferenceLinkSecurity], spec: Spec | None) -> ReferenceLinkSecurity:
    return cls() if spec is None else cls(SecurityParameters.from_spec(spec))


# -- replay_accepting ------------------------------------------------------------------------------


class _NoWindowEngine(SdlsEngine):
    def window_accepts(self, delta: int, window: int) -> bool:
        return True


class ReplayAcceptingProduct(ReferenceLinkSecurity):
    """Skips the anti-replay window check: a replayed frame whose MAC verifies is accepted.
    Fails SEC-ARP-001 (sequence number window) and SEC-ARP-002 (IV window)."""

    name = "broken-replay-accepting"
    engine_class = _NoWindowEngine


def replay_accepting(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Accepts replays whose MAC verifies (no window check); must fail SEC-ARP-001/002."""
    return _build(ReplayAcceptingProduct, spec)


# -- abm_ignoring ----------------------------------------------------------------------------------


class _UnmaskedEngine(SdlsEngine):
    def mask(self, sa: SaRecord, aad: bytes) -> bytes:
        return aad


class AbmIgnoringProduct(ReferenceLinkSecurity):
    """Authenticates the unmasked AAD: a mask clearing bits has no effect, so its MACs differ from
    the reference's whenever the mask clears a set bit. Fails SEC-AES-003."""

    name = "broken-abm-ignoring"
    engine_class = _UnmaskedEngine


def abm_ignoring(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Uses the unmasked AAD; must fail SEC-AES-003."""
    return _build(AbmIgnoringProduct, spec)


# -- deactivated_key_using -------------------------------------------------------------------------


class _StatelessKeyStore(KeyStore):
    def is_usable(self, key: Key) -> bool:
        return True


class DeactivatedKeyUsingProduct(ReferenceLinkSecurity):
    """Uses keys regardless of their state (pre-activation, deactivated). Fails SEC-KEY-001."""

    name = "broken-deactivated-key-using"
    key_store_class = _StatelessKeyStore


def deactivated_key_using(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Uses keys that are not active; must fail SEC-KEY-001."""
    return _build(DeactivatedKeyUsingProduct, spec)


# -- sm4_wrong_aad ---------------------------------------------------------------------------------


class _Sm4ShortAadEngine(SdlsEngine):
    def additional_data(self, sa: SaRecord, headers: bytes, security_header: bytes, data: Buffer) -> bytes:
        if sa.algorithm == "sm4-gcm":
            return headers if sa.aead else headers + data
        return super().additional_data(sa, headers, security_header, data)


class Sm4WrongAadProduct(ReferenceLinkSecurity):
    """Computes the SM4-GCM tag over the AAD without the security header (AES is correct).
    Fails SEC-SM4-002."""

    name = "broken-sm4-wrong-aad"
    engine_class = _Sm4ShortAadEngine


def sm4_wrong_aad(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """SM4-GCM AAD without the security header; must fail SEC-SM4-002."""
    return _build(Sm4WrongAadProduct, spec)


# -- iv_reusing ------------------------------------------------------------------------------------


class _StuckIvEngine(SdlsEngine):
    def next_iv(self, sa: SaRecord) -> int:
        return sa.iv


class IvReusingProduct(ReferenceLinkSecurity):
    """Never increments the IV: every frame under an SA is protected with the same IV.
    Fails SEC-AES-006."""

    name = "broken-iv-reusing"
    engine_class = _StuckIvEngine


def iv_reusing(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Reuses the SA's IV for every frame; must fail SEC-AES-006."""
    return _build(IvReusingProduct, spec)


# -- state_changing_on_reject ----------------------------------------------------------------------


class _EagerCommitEngine(SdlsEngine):
    def before_mac(self, sa: SaRecord, iv: int, sn: int) -> None:
        sa.iv, sa.sn = iv, sn


class StateChangingOnRejectProduct(ReferenceLinkSecurity):
    """Advances the SA's sequence number and IV before the MAC check, so a frame rejected with
    bad_mac still moves the window. Fails SEC-ARP-003."""

    name = "broken-state-changing-on-reject"
    engine_class = _EagerCommitEngine


def state_changing_on_reject(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Changes SA state on a bad_mac rejection; must fail SEC-ARP-003."""
    return _build(StateChangingOnRejectProduct, spec)


# -- otar_unauthenticated --------------------------------------------------------------------------


class _UncheckedOtar(ExtendedProcedures):
    def decrypt_otar(self, cipher: GcmCipher, iv: bytes, sealed: bytes, aad: bytes) -> bytes | None:
        return cipher.keystream_xor(iv, sealed[:-16])


class OtarUnauthenticatedProduct(ReferenceLinkSecurity):
    """Installs OTAR keys without verifying the PDU's MAC. Fails SEC-KEY-002."""

    name = "broken-otar-unauthenticated"
    procedures_class = _UncheckedOtar


def otar_unauthenticated(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Installs OTAR keys even when the MAC fails; must fail SEC-KEY-002."""
    return _build(OtarUnauthenticatedProduct, spec)
