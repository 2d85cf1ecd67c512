"""Ed25519 signing and offline verification of reports (RFC 8032 via ``cryptography``).

The signature covers the RFC 8785 canonical JSON of the report with the ``signature`` member
removed, so any change to any field (a verdict, the spec digest, the ICS) invalidates it.
Keys are PEM PKCS#8 files (``orbitcert keygen``). Without a key, ``certify`` signs with a fresh
ephemeral key: the report is then tamper-evident but only as trustworthy as the channel that
carries its public key, and ``report verify`` says so.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import InputFileError, SignatureError

from orbitcert.specs.fsutil import atomic_write, read_bounded
from orbitcert.specs.safetext import clean_data
from .report import Report, Signature


#: A PEM Ed25519 key is a few hundred bytes; anything far larger is not a key.
MAX_KEY_BYTES = 64 * 1024


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    raw = read_bounded(path, MAX_KEY_BYTES, "signing key")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except TypeError:
        raise InputFileError("signing key is encrypted; give an unencrypted PKCS#8 PEM key", path=path) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputFileError(f"not a PEM private key: {exc}", path=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputFileError("signing key is not an Ed25519 key", path=path)
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    raw = read_bounded(path, MAX_KEY_BYTES, "public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise InputFileError(f"not a PEM public key: {exc}", path=path) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputFileError("public key is not an Ed25519 key", path=path)
    return key


def write_key_pair(private: Path, public: Path | None = None) -> Path:
    """Create an Ed25519 key pair: the private key (mode 0600 from its first byte) at ``private``,
    the public key at ``public`` (default ``private`` + ``.pub``). Refuses to overwrite either."""
    pub = public or private.with_name(private.name + ".pub")
    for p in (private, pub):
        if p.exists() or p.is_symlink():
            raise InputFileError("refusing to overwrite an existing file", path=p)
    if pub.resolve() == private.resolve():
        raise InputFileError("the public key must not be written over the private key", path=pub)
    key = generate_key()
    atomic_write(private, private_key_pem(key), mode=0o600)
    atomic_write(pub, public_key_pem(key.public_key()))
    return pub


def _raw(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(pub: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(pub)).hexdigest()[:16]


def signed_content(report: Report) -> bytes:
    """What a signature covers: the RFC 8785 form of the report without its signature, every
    string cleaned (:func:`~orbitcert.specs.safetext.clean_data`: a lone surrogate in a product's
    message becomes U+FFFD), exactly as :func:`~orbitcert.conformance.writers.report_json` writes it."""
    return canonical_json(clean_data(report.content()))


def sign_report(report: Report, key: Ed25519PrivateKey) -> Report:
    """Return a copy of ``report`` carrying an Ed25519 signature over its canonical content."""
    pub = key.public_key()
    value = key.sign(signed_content(report))
    sig = Signature(public_key=base64.b64encode(_raw(pub)).decode(), key_id=key_id(pub), value=base64.b64encode(value).decode())
    return report.model_copy(update={"signature": sig})


def verify_signature(report: Report, trusted: Ed25519PublicKey | None = None) -> str:
    """Check the signature; with ``trusted``, also that it was made by that key. Returns the key id."""
    if report.signature is None:
        raise SignatureError("report is not signed")
    try:
        raw = base64.b64decode(report.signature.public_key, validate=True)
        sig = base64.b64decode(report.signature.value, validate=True)
        pub = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise SignatureError(f"malformed signature block: {exc}", field="signature") from None
    if trusted is not None and _raw(trusted) != raw:
        raise SignatureError(
            f"report was signed by key {key_id(pub)}, not by the trusted key {key_id(trusted)}", field="signature"
        )
    try:
        pub.verify(sig, signed_content(report))
    except InvalidSignature:
        raise SignatureError("signature does not match the report content: the report was altered", field="signature") from None
    return key_id(pub)
