"""Ed25519 signatures on reports (RFC 8032 via ``cryptography``), and keyrings of trusted keys.

A report carries a list of signatures: the vendor's (made by ``certify``), then any
countersignatures (a standards body's acceptance, ``orbitcert report countersign``). Signature
number *i* covers :func:`signed_message`: a context string, the RFC 8785 canonical JSON of the
report without ``signatures``, its own header (role, key id, public key, signer, time, whether the
key was ephemeral) and every signature before it. So no field of the report, no key id and no
earlier signature can change without breaking it.

A signature only says *which key* signed. Whether anyone trusts that key is a keyring's business:
a directory of ``NAME.pub`` files (``--trusted-keys DIR``, or :data:`TRUSTED_KEYS_ENV`). The key
inside a report is never trusted for being there. Key ids are fingerprints: ``sha256:`` and the
SHA-256 of the raw public key, in full. Keys are PEM PKCS#8 files (``orbitcert keygen``). Without
``--sign-key``, ``certify`` signs with an ephemeral key made for that report, marked as such: the
report is tamper-evident but no keyring can trust it, so it never verifies as a certification.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from orbitcert.specs.digest import canonical_json
from orbitcert.specs.errors import InputFileError, SignatureError

from orbitcert.specs.fsutil import atomic_write, read_bounded
from orbitcert.specs.safetext import clean_data, clean_text, printable
from .report import Report, Signature, now_utc


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
    """The key's fingerprint: ``sha256:`` and the SHA-256 of the raw 32-octet public key
    (RFC 8032 5.1.5 encoding), in full: a shortened id could be matched by a forger's key."""
    return "sha256:" + hashlib.sha256(_raw(pub)).hexdigest()


def short_id(kid: str) -> str:
    """A key id as people read it: the first 16 hex digits, in groups of four."""
    h = kid.removeprefix("sha256:")[:16]
    return " ".join(h[i : i + 4] for i in range(0, len(h), 4))


#: Domain separation: a signature over a report can never be replayed as a signature of something else.
SIGNATURE_CONTEXT = "orbitcert-report-signature/1"


def signed_content(report: Report) -> bytes:
    """The report's content as every signature covers it: the RFC 8785 form without
    ``signatures``, every string cleaned (:func:`~orbitcert.specs.safetext.clean_data`: a lone
    surrogate in a product's message becomes U+FFFD), exactly as
    :func:`~orbitcert.conformance.writers.report_json` writes it."""
    return canonical_json(clean_data(report.content()))


def signed_message(report: Report, index: int, signature: Signature | None = None) -> bytes:
    """What signature number ``index`` signs: the context string, the report's content, every
    field of the signature itself except its value (role, key id, public key, signer, time), and
    every signature before it in full (a countersignature covers the vendor's signature)."""
    sig = signature if signature is not None else report.signatures[index]
    header = sig.model_dump(mode="json", exclude={"value"})
    previous = [s.model_dump(mode="json") for s in report.signatures[:index]]
    return canonical_json(
        clean_data(
            {"context": SIGNATURE_CONTEXT, "report": report.content(), "signature": header, "previous": previous}
        )
    )


def sign_report(
    report: Report,
    key: Ed25519PrivateKey,
    *,
    role: Literal["vendor", "countersignature"] = "vendor",
    signer: str = "",
    ephemeral: bool = False,
    signed_at: str | None = None,
) -> Report:
    """A copy of ``report`` with one more Ed25519 signature. The vendor's signature is the first
    and only one of an unsigned report; a countersignature is added after the existing ones."""
    if role == "vendor" and report.signatures:
        raise SignatureError("the report is already signed; a second signature is a countersignature")
    if role == "countersignature" and not report.signatures:
        raise SignatureError("an unsigned report cannot be countersigned: the vendor signs first")
    pub = key.public_key()
    draft = Signature(
        role=role, key_id=key_id(pub), public_key=base64.b64encode(_raw(pub)).decode(), signer=signer_line(signer),
        signed_at=signed_at or now_utc(), ephemeral=ephemeral, value="",
    )
    index = len(report.signatures)
    value = key.sign(signed_message(report, index, draft))
    sig = draft.model_copy(update={"value": base64.b64encode(value).decode()})
    return report.model_copy(update={"signatures": [*report.signatures, sig]})


def signer_line(signer: str) -> str:
    """A signer's name as one printable line (control characters as visible escapes), at most
    200 characters: it is shown in verify's output and the HTML, where a line break could fake
    another signature's line."""
    text = printable(clean_text(signer)).replace("\n", "\\n").replace("\t", " ")
    if len(text) > 200:
        raise SignatureError(f"the signer's name is {len(text)} characters long; at most 200", field="signer")
    return text


def signature_problem(report: Report, index: int) -> str | None:
    """Why signature number ``index`` of ``report`` is not valid (None when it is): a malformed
    block, a key id that is not the key's fingerprint, a role out of order, or a value that does
    not verify over :func:`signed_message`."""
    sig = report.signatures[index]
    expected_role = "vendor" if index == 0 else "countersignature"
    if sig.role != expected_role:
        return f"signature {index + 1} has role {sig.role!r}; it must be {expected_role!r}"
    try:
        raw = base64.b64decode(sig.public_key, validate=True)
        value = base64.b64decode(sig.value, validate=True)
        pub = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        return f"signature {index + 1}: malformed signature block: {exc}"
    if key_id(pub) != sig.key_id:
        return f"signature {index + 1}: key id {short_id(sig.key_id)} is not the fingerprint of its public key ({short_id(key_id(pub))})"
    try:
        pub.verify(value, signed_message(report, index))
    except InvalidSignature:
        what = "the report" if index == 0 else "the report or an earlier signature"
        return f"signature {index + 1} ({sig.role}, key {short_id(sig.key_id)}) does not match: {what} was altered"
    return None


def verify_signature(report: Report, trusted: Ed25519PublicKey | None = None) -> str:
    """Check every signature; with ``trusted``, also that the vendor's was made by that key.
    Returns the vendor's key id; :class:`SignatureError` on the first problem."""
    if not report.signatures:
        raise SignatureError("report is not signed", field="signatures")
    for i in range(len(report.signatures)):
        problem = signature_problem(report, i)
        if problem:
            raise SignatureError(problem, field="signatures")
    vendor = report.signatures[0]
    if trusted is not None and key_id(trusted) != vendor.key_id:
        raise SignatureError(
            f"report was signed by key {short_id(vendor.key_id)}, not by the trusted key {short_id(key_id(trusted))}",
            field="signatures",
        )
    return vendor.key_id


# ---- keyrings ---------------------------------------------------------------------------------

#: Environment variable naming keyring directories (``os.pathsep``-separated), as --trusted-keys does.
TRUSTED_KEYS_ENV = "ORBITCERT_TRUSTED_KEYS"
#: A keyring holding more keys than this is not a keyring.
MAX_KEYRING_KEYS = 10_000


@dataclass(frozen=True)
class Keyring:
    """A directory of trusted Ed25519 public keys, one PEM file (``NAME.pub``) per key. Its
    name is the directory's name; a key's name is its file's stem."""

    name: str
    path: Path
    keys: Mapping[str, str]  # key id -> key name

    def trusts(self, kid: str) -> str | None:
        """``keyring/key`` when the key with id ``kid`` is in this keyring, else None."""
        name = self.keys.get(kid)
        return None if name is None else f"{self.name}/{name}"


def load_keyring(directory: str | Path) -> Keyring:
    """Every ``*.pub`` file of ``directory`` (:class:`InputFileError` naming a file that is not
    an Ed25519 public key, or a directory that does not exist)."""
    d = Path(directory)
    if not d.is_dir():
        raise InputFileError("not a keyring directory (a folder of NAME.pub Ed25519 public keys)", path=d)
    files = sorted(d.glob("*.pub"))
    if len(files) > MAX_KEYRING_KEYS:
        raise InputFileError(f"more than {MAX_KEYRING_KEYS} keys: not a keyring", path=d)
    keys: dict[str, str] = {}
    for f in files:
        keys.setdefault(key_id(load_public_key(f)), f.stem)
    return Keyring(name=d.resolve().name or str(d), path=d, keys=keys)


def load_keyrings(directories: Sequence[str | Path] = (), *, environment: bool = True) -> list[Keyring]:
    """The keyrings of ``directories`` and, with ``environment``, of :data:`TRUSTED_KEYS_ENV`."""
    dirs: list[str | Path] = list(directories)
    if environment:
        dirs += [d for d in os.environ.get(TRUSTED_KEYS_ENV, "").split(os.pathsep) if d]
    seen: set[Path] = set()
    out = []
    for d in dirs:
        real = Path(d).resolve()
        if real not in seen:
            seen.add(real)
            out.append(load_keyring(d))
    return out


def trusted_by(kid: str, keyrings: Sequence[Keyring]) -> list[str]:
    """Each keyring entry (``keyring/key``) holding the key ``kid``."""
    return [t for k in keyrings if (t := k.trusts(kid)) is not None]


@dataclass(frozen=True)
class SignerTrust:
    """One signature of a report as a reader needs it: who, whether it is valid, who trusts it."""

    index: int
    role: str
    key_id: str
    signer: str
    signed_at: str
    ephemeral: bool
    problem: str | None  # None: the signature is valid
    trusted_by: tuple[str, ...]  # keyring/key entries holding the key

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def trusted(self) -> bool:
        return self.valid and bool(self.trusted_by)

    def describe(self) -> str:
        """One line: role, key, validity and trust."""
        who = f" ({self.signer})" if self.signer else ""
        head = f"{'vendor signature' if self.role == 'vendor' else 'countersignature'}{who}, key {short_id(self.key_id)}"
        if self.problem:
            return f"{head}: INVALID: {self.problem}"
        if self.trusted_by:
            return f"{head}: valid, trusted by {', '.join(self.trusted_by)}"
        if self.ephemeral:
            return f"{head}: valid, but made with a one-time key (certify without --sign-key): nobody can trust it"
        return f"{head}: valid, but the key is in no trusted keyring"


def signature_trust(report: Report, keyrings: Sequence[Keyring] = ()) -> list[SignerTrust]:
    """Every signature of ``report`` checked, with the keyring entries that trust its key."""
    out = []
    for i, s in enumerate(report.signatures):
        problem = signature_problem(report, i)
        out.append(
            SignerTrust(
                index=i, role=s.role, key_id=s.key_id, signer=s.signer, signed_at=s.signed_at, ephemeral=s.ephemeral,
                problem=problem, trusted_by=tuple(trusted_by(s.key_id, keyrings)) if problem is None else (),
            )
        )
    return out
