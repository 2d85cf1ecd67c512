"""The key store: keys by id with the states of CCSDS 355.1-B-1 3.2.

A key is pre-activation, active, deactivated or destroyed. Only an active key of the algorithm's
length is ever used (SEC-KEY-001; for aes-256-ccm, a 32-octet key: SEC-CCM-006); destruction
erases the key value. The multi-key transitions
(:meth:`KeyStore.transition`, :meth:`KeyStore.install`) check every key first and then change all
of them, or raise and change none (SEC-KEY-003, SEC-KEY-002).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from .crypto import KEY_LENGTHS, AeadCipher, aead_cipher, sm4_gcm_supported
from .errors import ProcedureError, ProvisioningError

__all__ = ["KEY_ID_MAX", "MAX_KEY_LENGTH", "Key", "KeyState", "KeyStore"]

KEY_ID_MAX: Final = 0xFFFF
#: Longest key value the store accepts (a key of a length no algorithm uses is stored but unusable).
MAX_KEY_LENGTH: Final = 64


class KeyState(str, Enum):
    """CCSDS 355.1-B-1 3.2 key states."""

    PRE_ACTIVATION = "pre-activation"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DESTROYED = "destroyed"


@dataclass(slots=True)
class Key:
    """One key: its value (erased once destroyed) and state."""

    value: bytes
    state: KeyState


# 355.1-B-1 3.4-3.7: the one state each procedure moves a key from, and the state it moves it to.
_TRANSITIONS: Final = {
    "activate": (KeyState.PRE_ACTIVATION, KeyState.ACTIVE),
    "deactivate": (KeyState.ACTIVE, KeyState.DEACTIVATED),
    "destroy": (KeyState.DEACTIVATED, KeyState.DESTROYED),
}


class KeyStore:
    """Keys by id (0 .. 65535) and a cache of one cipher (:class:`~.crypto.GcmCipher` or
    :class:`~.crypto.CcmCipher`) per usable (key, algorithm)."""

    def __init__(self) -> None:
        self._keys: dict[int, Key] = {}
        self._ciphers: dict[tuple[int, str], AeadCipher] = {}

    # -- provisioning -----------------------------------------------------------------------

    @staticmethod
    def check_key_id(key_id: object, name: str = "key_id") -> int:
        if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id <= KEY_ID_MAX:
            raise ProvisioningError(f"{name}: expected an integer 0 .. 65535, got {key_id!r}")
        return key_id

    def load(self, key_id: int, value: bytes, state: str | KeyState = KeyState.ACTIVE) -> None:
        """Store ``value`` under ``key_id`` in ``state``, replacing any key with that id."""
        self.check_key_id(key_id)
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ProvisioningError(f"key: expected bytes, got {type(value).__name__}")
        value = bytes(value)
        if len(value) > MAX_KEY_LENGTH:
            raise ProvisioningError(f"key: {len(value)} octets, at most {MAX_KEY_LENGTH}")
        try:
            key_state = KeyState(state)
        except ValueError:
            raise ProvisioningError(
                f"state: expected one of {', '.join(s.value for s in KeyState)}, got {state!r}"
            ) from None
        self._keys[key_id] = Key(b"" if key_state is KeyState.DESTROYED else value, key_state)
        self._forget(key_id)

    def _forget(self, key_id: int) -> None:
        for algorithm in KEY_LENGTHS:
            self._ciphers.pop((key_id, algorithm), None)

    # -- queries -----------------------------------------------------------------------------

    def get(self, key_id: int) -> Key | None:
        """The key ``key_id`` (None when unknown)."""
        return self._keys.get(key_id)

    def state(self, key_id: int) -> KeyState | None:
        key = self._keys.get(key_id)
        return None if key is None else key.state

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def is_usable(self, key: Key) -> bool:
        """Whether ``key`` may be used (SEC-KEY-001: only active keys). Overridden by broken products."""
        return key.state is KeyState.ACTIVE

    def cipher(self, key_id: int | None, algorithm: str) -> AeadCipher | None:
        """The cached cipher of an active ``key_id`` of ``algorithm``'s length, else None (key_not_active)."""
        if key_id is None:
            return None
        cached = self._ciphers.get((key_id, algorithm))
        if cached is not None:
            return cached
        key = self._keys.get(key_id)
        if key is None or not self.is_usable(key) or len(key.value) != KEY_LENGTHS.get(algorithm, -1):
            return None
        if algorithm == "sm4-gcm" and not sm4_gcm_supported():
            return None
        cipher = aead_cipher(algorithm, key.value)
        self._ciphers[(key_id, algorithm)] = cipher
        return cipher

    # -- procedures (all or nothing) -----------------------------------------------------------

    def transition(self, procedure: str, key_ids: list[int]) -> None:
        """Activate, deactivate or destroy every key of ``key_ids`` (355.1-B-1 3.4-3.7).

        Raises :class:`ProcedureError` (``unknown_key_or_sa`` or ``invalid_state``) naming the first
        key that cannot make the transition, and then changes no key.
        """
        source, target = _TRANSITIONS[procedure]
        for key_id in key_ids:
            key = self._keys.get(key_id)
            if key is None:
                raise ProcedureError("unknown_key_or_sa", f"{procedure}: key {key_id} is unknown")
            if key.state is not source:
                raise ProcedureError(
                    "invalid_state", f"{procedure}: key {key_id} is {key.state.value}, not {source.value}"
                )
        for key_id in key_ids:
            key = self._keys[key_id]
            key.state = target
            if target is KeyState.DESTROYED:
                key.value = b""
            self._forget(key_id)

    def install(self, keys: list[tuple[int, bytes]]) -> None:
        """Install every (key id, value) in the pre-activation state (OTAR, 355.1-B-1 3.3), or none:
        a key id already in the store (any state) or repeated raises ``invalid_state``."""
        seen: set[int] = set()
        for key_id, _ in keys:
            if key_id in self._keys or key_id in seen:
                raise ProcedureError("invalid_state", f"otar: key id {key_id} is already in use")
            seen.add(key_id)
        for key_id, value in keys:
            self._keys[key_id] = Key(bytes(value), KeyState.PRE_ACTIVATION)
            self._forget(key_id)
