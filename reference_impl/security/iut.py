"""The reference product for ``sec-link-security``: the test interface over the SDLS modules.

``orbitcert certify`` uses :func:`create` when no ``--impl`` is given, passing the spec under test:
the reference is then built from that spec version's parameters (:class:`SecurityParameters`).
Operation names, arguments and result shapes are those of the spec's ``interface`` section:
``configure_sa``, ``load_key``, ``apply_security``, ``process_security``, ``extended_procedure``,
``load_trusted_key`` and ``boot`` (the last two delegate to
:class:`orbitcert.reference_impl.security.boot.SecureBoot`). Bad input raises a
:class:`~orbitcert.reference_impl.security.errors.SecurityError` subclass naming the argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..frames import as_octets
from .errors import ProvisioningError
from .keys import KeyStore
from .procedures import ExtendedProcedures
from .sa import MAX_SAS, SUPPORTED_FRAME_TYPES, SaTable, SecurityParameters, default_parameters, parse_sa
from .sdls import SdlsEngine

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

    from .boot import SecureBoot

__all__ = ["ReferenceLinkSecurity", "create"]


class ReferenceLinkSecurity:
    """Golden-model implementation of the ``sec-link-security`` test interface (every class: the six
    of 1.0.0 and aead-ccm of 1.1.0, which it provides when built from a spec whose ``key_lengths``
    name aes-256-ccm)."""

    name = "orbitcert-reference-security"
    version = "1.0.0"

    #: The engine and key store classes (broken test products substitute their own).
    engine_class: type[SdlsEngine] = SdlsEngine
    key_store_class: type[KeyStore] = KeyStore
    procedures_class: type[ExtendedProcedures] = ExtendedProcedures

    def __init__(self, params: SecurityParameters | None = None, *, max_sas: int = MAX_SAS) -> None:
        if params is not None and not isinstance(params, SecurityParameters):
            raise ProvisioningError(f"params: expected SecurityParameters, got {type(params).__name__}")
        self.params = default_parameters() if params is None else params
        self.keys = self.key_store_class()
        self.sas = SaTable(max_sas, tuple(self.params.mac_lengths))
        self.engine = self.engine_class(self.keys, self.sas, self.params)
        self.procedures = self.procedures_class(self.keys, self.sas, self.engine, self.params)
        self._boot: SecureBoot | None = None

    # -- provisioning ---------------------------------------------------------------------------

    def configure_sa(self, sa: dict[str, Any]) -> None:
        """Hold one SA (replacing any SA with the same SPI); ProvisioningError naming the field."""
        from .crypto import require_algorithm

        frame_type = sa.get("frame_type") if isinstance(sa, dict) else None
        if frame_type in ("tm", "aos"):  # said first: the most useful refusal for such an SA
            raise ProvisioningError(
                f"sa.frame_type: the reference secures {' and '.join(SUPPORTED_FRAME_TYPES)} frames only, "
                f"not {frame_type}"
            )
        model = parse_sa(sa)
        if model.algorithm not in self.params.algorithms:  # e.g. aes-256-ccm under sec-link-security 1.0.0
            raise ProvisioningError(
                f"sa.algorithm: {model.algorithm!r} is not an algorithm of the spec version under test "
                f"(its parameter key_lengths names {', '.join(self.params.algorithms)})"
            )
        require_algorithm(model.algorithm)
        self.sas.configure(model)

    def load_key(self, key_id: int, key: bytes, state: str = "active") -> None:
        """Store one key (replacing any key with the same id) in ``state``."""
        self.keys.load(key_id, key, state)

    # -- SDLS -------------------------------------------------------------------------------------

    def apply_security(self, frame: bytes, spi: int) -> bytes:
        """ApplySecurity: the protected frame of the clear ``frame`` under SA ``spi``."""
        return self.engine.apply_security(as_octets(frame, "frame"), spi)

    def protect_batch(self, frames: Iterable[bytes], spi: int) -> list[bytes]:
        """ApplySecurity of many frames under one SA (not a spec operation: the benchmark's entry)."""
        return self.engine.protect_batch(frames, spi)

    def process_security(self, frame: bytes) -> dict[str, Any]:
        """ProcessSecurity: {accepted, payload, reason, fsr}."""
        return self.engine.process_security(as_octets(frame, "frame")).as_dict()

    def extended_procedure(self, pdu: bytes) -> bytes | None:
        """The reply PDU to one 355.1-B-1 procedure PDU (None for a PDU that is itself a reply)."""
        return self.procedures.handle(as_octets(pdu, "pdu"))

    # -- secure boot (delegated) -----------------------------------------------------------------

    def _secure_boot(self) -> SecureBoot:
        if self._boot is None:
            from .boot import SecureBoot

            self._boot = SecureBoot(signature_algorithms=("ed25519", "sm2-sm3"), hashes=("sha-256", "sm3"))
        return self._boot

    def load_trusted_key(self, key_id: int, public_key: bytes, algorithm: str) -> None:
        """Trust one firmware signing key (delegated to SecureBoot)."""
        self._secure_boot().load_trusted_key(key_id, public_key, algorithm)

    def boot(self, image: bytes, signature: bytes) -> dict[str, Any]:
        """Verify and measure one firmware image (delegated to SecureBoot)."""
        return self._secure_boot().boot(image, signature)


def create(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Factory named by ``--impl orbitcert.reference_impl.security.iut:create``.

    ``spec`` is the spec under test: the reference uses its parameters
    (:meth:`SecurityParameters.from_spec`); without it, those of ``sec-link-security`` 1.0.0.
    """
    if spec is None:
        return ReferenceLinkSecurity()
    return ReferenceLinkSecurity(SecurityParameters.from_spec(spec))
