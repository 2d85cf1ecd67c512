"""Errors of the link-security reference (``sec-link-security``).

Every error the reference raises on bad input is a :class:`SecurityError` (a ``ValueError``), so
a caller (and the bridge, which turns it into an error reply) has one documented type to catch.
"""

from __future__ import annotations

__all__ = [
    "FrameError",
    "KeyStateError",
    "ManifestError",
    "ProcedureError",
    "ProvisioningError",
    "SaStateError",
    "SecurityError",
    "UnknownSaError",
    "UnsupportedAlgorithm",
]


class SecurityError(ValueError):
    """Base class of the link-security reference's errors."""


class FrameError(SecurityError):
    """Bytes that are not a well-formed transfer frame (or security header/trailer) of the type asked for."""


class ProvisioningError(SecurityError):
    """An SA, key or trusted key the reference cannot hold (a field out of range, a wrong length...)."""


class ProcedureError(SecurityError):
    """An extended-procedure PDU that cannot be carried out; ``status`` is the spec's ep_status name."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


class UnsupportedAlgorithm(SecurityError):
    """An algorithm this platform's cryptography/OpenSSL build does not provide (e.g. SM4-GCM)."""


class UnknownSaError(SecurityError):
    """ApplySecurity asked for an SPI that names no SA held by the product."""


class SaStateError(SecurityError):
    """ApplySecurity asked for an SA that is not operational (CCSDS 355.0-B-2 2.3.3; SEC-AES-007)."""


class KeyStateError(SecurityError):
    """ApplySecurity asked for an SA whose key is not active or not of the algorithm's length (SEC-KEY-001)."""


class ManifestError(SecurityError):
    """Bytes that are not a firmware image in the manifest format (spec parameter ``boot_manifest``)."""
