"""The test interface of ``sec-link-security`` (CCSDS 355.0-B-2 SDLS, 355.1-B-1 extended
procedures, secure boot), as a :class:`typing.Protocol`.

The operations and their arguments are those of the spec's ``interface`` section; the spec page
in the documentation has the JSON Schemas the bridge checks on the wire, and the spec's
``parameters`` the octet layouts (security header, procedure PDUs, firmware manifest).
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict, runtime_checkable


class FrameSecurityReport(TypedDict):
    """The frame security report (355.0-B-2 annex) after one ProcessSecurity call."""

    alarm: bool
    bad_sn: bool
    bad_mac: bool
    invalid_spi: bool
    last_spi: int
    sn_lsb: int


class ProcessResult(TypedDict):
    """Outcome of ProcessSecurity on one frame."""

    accepted: bool
    payload: bytes | None
    """The clear data field between the security header and trailer, or None when rejected."""
    reason: str | None
    """invalid_spi, sa_not_operational, key_not_active, bad_sequence_number, bad_iv, bad_mac, malformed."""
    fsr: FrameSecurityReport


class BootResult(TypedDict):
    """Outcome of verifying and measuring one firmware image."""

    accepted: bool
    reason: str | None
    """malformed, unsupported_algorithm, untrusted_key, bad_signature, rollback."""
    measurements: list[str]
    """One lowercase hex hash per stage, in stage order (empty when refused)."""


@runtime_checkable
class SecLinkSecurityProduct(Protocol):
    """A product certified against ``sec-link-security``."""

    def configure_sa(self, sa: dict[str, Any]) -> None:
        """Provision one security association (fields named after 355.0-B-2's managed parameters)."""
        ...

    def load_key(self, key_id: int, key: bytes, state: str = "active") -> None:
        """Provision one key in the given state."""
        ...

    def apply_security(self, frame: bytes, spi: int) -> bytes:
        """ApplySecurity: the clear frame in, the protected frame out."""
        ...

    def process_security(self, frame: bytes) -> ProcessResult:
        """ProcessSecurity of one received frame."""
        ...

    def extended_procedure(self, pdu: bytes) -> bytes | None:
        """A 355.1-B-1 procedure PDU in, the reply PDU out."""
        ...

    def load_trusted_key(self, key_id: int, public_key: bytes, algorithm: str) -> None:
        """Trust one firmware signing key (ed25519 or sm2-sm3)."""
        ...

    def boot(self, image: bytes, signature: bytes) -> BootResult:
        """Verify and measure one firmware image."""
        ...
