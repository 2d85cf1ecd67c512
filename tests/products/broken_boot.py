"""Deliberately broken secure-boot products: the ``sec-link-security`` reference with ONE
deviation each in :class:`~orbitcert.reference_impl.security.boot.SecureBoot`.

Each factory takes ``spec=None`` like :func:`orbitcert.reference_impl.security.iut.create`; the
requirement a certification must fail it on:

* :func:`rollback_accepting` - SEC-BOOT-003 (never refuses with ``rollback``)
* :func:`unmeasured` - SEC-BOOT-005 (measures every stage with SHA-256, whatever the manifest names)
* :func:`signature_unchecked` - SEC-BOOT-002 and SEC-BOOT-004 (any signature of a trusted key id verifies)

Use e.g. ``--impl tests.products.broken_boot:rollback_accepting``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orbitcert.reference_impl.security.boot import Manifest, SecureBoot, digest
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity, create

if TYPE_CHECKING:
    from orbitcert.specs.model import Spec

__all__ = ["rollback_accepting", "signature_unchecked", "unmeasured"]


class _RollbackAccepting(SecureBoot):
    def check(self, image: bytes, signature: bytes) -> tuple[str | None, Manifest | None]:
        reason, manifest = super().check(image, signature)
        return (None if reason == "rollback" else reason), manifest


class _Unmeasured(SecureBoot):
    @staticmethod
    def measure(manifest: Manifest) -> list[str]:
        return [digest("sha-256", stage).hex() for stage in manifest.stages]


class _SignatureUnchecked(SecureBoot):
    def check(self, image: bytes, signature: bytes) -> tuple[str | None, Manifest | None]:
        reason, manifest = super().check(image, signature)
        if reason == "bad_signature" and manifest is not None:
            return ("rollback" if manifest.security_version < self.highest_security_version else None), manifest
        return reason, manifest


def _with_boot(boot_class: type[SecureBoot], spec: Spec | None) -> ReferenceLinkSecurity:
    product = create(spec)
    product._boot = boot_class(signature_algorithms=("ed25519", "sm2-sm3"), hashes=("sha-256", "sm3"))
    return product


def rollback_accepting(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Boots a validly signed image whatever its security version (fails SEC-BOOT-003)."""
    return _with_boot(_RollbackAccepting, spec)


def unmeasured(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Reports SHA-256 measurements for SM3 manifests (fails SEC-BOOT-005)."""
    return _with_boot(_Unmeasured, spec)


def signature_unchecked(spec: Spec | None = None) -> ReferenceLinkSecurity:
    """Accepts any signature when the key id is trusted for the manifest's algorithm (fails SEC-BOOT-002, SEC-BOOT-004)."""
    return _with_boot(_SignatureUnchecked, spec)
