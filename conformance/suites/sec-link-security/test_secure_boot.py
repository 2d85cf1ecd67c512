"""Conformance suite of sec-link-security, class ``secure-boot`` (SEC-BOOT-001..005).

This file builds every firmware image and signature itself, independently of the orbitcert
reference: images with :mod:`struct` in the layout of the spec's parameter ``boot_manifest``,
Ed25519 signatures (RFC 8032 5.1.6) with ``cryptography`` from fixed seeds, SM2 signatures
(GB/T 32918.2-2016 6.1, r || s) with gmssl over e = SM3(Z_A || M), Z_A formed here with the spec's
``sm2_default_id`` (GB/T 32918.2-2016 5.5), and expected measurements with ``hashlib`` (FIPS 180-4)
and ``cryptography``'s SM3 (GB/T 32905-2016, whose appendix A examples are checked as well).

State: the product's trusted keys and its rollback counter persist across tests. Every test
trusts its own keys under fresh key ids, and takes its security versions from a block above every
block handed out before (:func:`_versions`), so the tests pass in any order on a fresh product.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gmssl import sm2
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.conformance import inconclusive
from orbitcert.specs import Ics, Spec

# ---- the manifest layout of parameter boot_manifest --------------------------------------------
# The parameter is prose; these constants transcribe it, and _layout_matches_spec checks that the
# spec under test still says so (another layout makes every test inconclusive, not failed).

MAGIC = b"OCFW"
FORMAT_VERSION = 1
SIGNATURE_CODES = {"ed25519": 1, "sm2-sm3": 2}
HASH_CODES = {"sha-256": 1, "sm3": 2}
HEADER = struct.Struct(">4sBBHIBB")  # magic, version, signature alg, key id, security version, hash alg, stage count
STAGE_LENGTH = struct.Struct(">I")
_LAYOUT_PHRASES = ('magic "OCFW"', "format version (1, value 1)", "1 ed25519, 2", "sm2-sm3), key id (2), security version (4)",
                   "hash algorithm (1: 1 sha-256, 2 sm3), stage count (1, at least 1)", "length (4) and its octets")

REFUSALS = {"malformed", "unsupported_algorithm", "untrusted_key", "bad_signature", "rollback"}
#: RFC 8032 5.1: the order L of the Ed25519 base point.
ED25519_L = 2**252 + 27742317777372353535851937790883648493
SM2_N = int(sm2.default_ecc_table["n"], 16)
#: GB/T 32905-2016 appendix A: examples 1 and 2.
SM3_EXAMPLES = {
    b"abc": "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
    b"abcd" * 16: "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
}
STAGES = [b"first stage loader\x00" * 5, b"", bytes(range(256)) * 2, b"application"]

_KEY_IDS: Iterator[int] = itertools.count(0xB000)
_VERSION_BLOCKS: Iterator[int] = itertools.count(1_000, 1_000)


@pytest.fixture(autouse=True)
def _layout_matches_spec(spec: Spec) -> None:
    """Every test here builds images in the 1.0.0 manifest layout: check the spec under test has it."""
    layout = str(spec.parameter("boot_manifest"))
    missing = [phrase for phrase in _LAYOUT_PHRASES if phrase not in " ".join(layout.split())]
    if missing:
        inconclusive(f"parameter boot_manifest of the spec under test differs from the layout this suite builds: {missing}")


def _versions() -> int:
    """The base of a block of 1000 security versions above every block handed out so far."""
    return next(_VERSION_BLOCKS)


def _hash_for(ics: Ics) -> str:
    """A measurement hash the product declares (ICS item measurement_hashes; sha-256 when unanswered)."""
    declared = ics.items.get("measurement_hashes")
    return "sha-256" if not declared or "sha-256" in declared else "sm3"


def _sm2_id(spec: Spec) -> bytes:
    return str(spec.parameter("sm2_default_id")).encode("ascii")


def _first_failing(spec: Spec, *failing: str) -> str:
    """The reason the spec's boot_check_order gives an image failing all of ``failing``."""
    order = list(spec.parameter("boot_check_order"))
    return min(failing, key=order.index)


# ---- images, keys and signatures ---------------------------------------------------------------


def _image(stages: list[bytes], key_id: int, version: int, algorithm: str = "ed25519", hash_algorithm: str = "sha-256") -> bytes:
    header = HEADER.pack(MAGIC, FORMAT_VERSION, SIGNATURE_CODES[algorithm], key_id, version, HASH_CODES[hash_algorithm], len(stages))
    return header + b"".join(STAGE_LENGTH.pack(len(s)) + s for s in stages)


def _parses(image: bytes) -> bool:
    """Whether ``image`` is a manifest of boot_manifest (codes the layout defines, exact length)."""
    if len(image) < HEADER.size:
        return False
    magic, version, sig, _key, _ver, hash_code, count = HEADER.unpack_from(image)
    if magic != MAGIC or version != FORMAT_VERSION or sig not in (1, 2) or hash_code not in (1, 2) or count < 1:
        return False
    offset = HEADER.size
    for _ in range(count):
        if len(image) - offset < STAGE_LENGTH.size:
            return False
        (length,) = STAGE_LENGTH.unpack_from(image, offset)
        offset += STAGE_LENGTH.size + length
        if offset > len(image):
            return False
    return offset == len(image)


def _digest(hash_algorithm: str, data: bytes) -> str:
    if hash_algorithm == "sha-256":
        return hashlib.sha256(data).hexdigest()
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def _ed25519(label: str) -> Ed25519PrivateKey:
    """An Ed25519 key from a fixed seed (RFC 8032 5.1.5): SHA-256 of the label."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"orbitcert secure-boot " + label.encode()).digest())


def _ed_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class _Sm2Key:
    """An SM2 key pair from a fixed seed; signs with SM3 and the spec's distinguishing identifier."""

    def __init__(self, label: str, ident: bytes) -> None:
        seed = hashlib.sha256(b"orbitcert secure-boot sm2 " + label.encode()).digest()
        self.d = int.from_bytes(seed, "big") % (SM2_N - 1) + 1
        self._gm = sm2.CryptSM2(private_key=f"{self.d:064x}", public_key="")
        # gmssl has no public key-derivation call: its scalar multiplication gives P = [d]G.
        self.public = bytes.fromhex(self._gm._kg(self.d, sm2.default_ecc_table["g"]))
        self.ident = ident

    def digest(self, message: bytes) -> bytes:
        """e = SM3(Z_A || M), Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) (5.5)."""
        table = sm2.default_ecc_table
        z_input = struct.pack(">H", 8 * len(self.ident)) + self.ident + bytes.fromhex(table["a"] + table["b"] + table["g"]) + self.public
        z_a = bytes.fromhex(_digest("sm3", z_input))
        return bytes.fromhex(_digest("sm3", z_a + message))

    def sign(self, message: bytes) -> bytes:
        """r || s (GB/T 32918.2-2016 6.1), with k derived from d and e (deterministic runs)."""
        e = self.digest(message)
        for counter in range(100):
            k = int.from_bytes(hashlib.sha256(self.d.to_bytes(32, "big") + e + bytes([counter])).digest(), "big") % (SM2_N - 1) + 1
            signature = self._gm.sign(e, f"{k:064x}")
            if signature is not None:
                return bytes.fromhex(signature)
        raise AssertionError("gmssl could not sign")  # pragma: no cover - probability ~2^-25600


def _trust(iut: Any, algorithm: str, public_key: bytes) -> int:
    """Provision ``public_key`` under a fresh key id; the key id."""
    key_id = next(_KEY_IDS)
    iut.load_trusted_key(key_id, public_key, algorithm)
    return key_id


def _trusted_ed25519(iut: Any, label: str) -> tuple[int, Ed25519PrivateKey]:
    key = _ed25519(label)
    return _trust(iut, "ed25519", _ed_public(key)), key


def _expect_refused(result: dict[str, Any], reason: str, what: str) -> None:
    assert result["accepted"] is False, f"{what}: expected refusal with reason {reason}, the image was accepted ({result})"
    assert result["reason"] == reason, f"{what}: expected reason {reason}, observed {result['reason']}"
    assert result["measurements"] == [], f"{what}: a refused image must have no measurements, observed {result['measurements']}"


def _expect_accepted(result: dict[str, Any], what: str) -> None:
    assert result["accepted"] is True, f"{what}: expected acceptance, observed refusal with reason {result['reason']}"
    assert result["reason"] is None, f"{what}: an accepted image has reason null, observed {result['reason']}"


_HASH_PARAMS = [pytest.param(h, id=h, marks=pytest.mark.applies_if(f"'{h}' in measurement_hashes")) for h in HASH_CODES]

# ---- SEC-BOOT-001: accepted and measured ---------------------------------------------------------


@pytest.mark.requirement("SEC-BOOT-001")
@pytest.mark.parametrize("hash_algorithm", _HASH_PARAMS)
def test_ed25519_image_accepted_and_each_stage_measured(iut: Any, hash_algorithm: str) -> None:
    key_id, key = _trusted_ed25519(iut, "boot-001")
    image = _image(STAGES, key_id, _versions(), hash_algorithm=hash_algorithm)
    result = iut.boot(image, key.sign(image))
    _expect_accepted(result, f"Ed25519-signed {len(STAGES)}-stage image, {hash_algorithm}")
    expected = [_digest(hash_algorithm, s) for s in STAGES]
    assert result["measurements"] == expected, (
        f"measurements: expected the {hash_algorithm} of each stage in order {expected}, observed {result['measurements']}"
    )


@pytest.mark.requirement("SEC-BOOT-001")
def test_one_stage_and_255_stages_measured_in_order(iut: Any, ics: Ics) -> None:
    hash_algorithm = _hash_for(ics)
    key_id, key = _trusted_ed25519(iut, "boot-001-counts")
    base = _versions()
    for count in (1, 255):
        stages = [struct.pack(">H", i) * (i % 7) for i in range(count)]
        stages[0] = b"only stage" if count == 1 else stages[0]
        image = _image(stages, key_id, base + count, hash_algorithm=hash_algorithm)
        result = iut.boot(image, key.sign(image))
        _expect_accepted(result, f"{count}-stage image")
        expected = [_digest(hash_algorithm, s) for s in stages]
        assert result["measurements"] == expected, (
            f"{count}-stage image: expected {count} {hash_algorithm} measurements in stage order, observed "
            f"{len(result['measurements'])}, first difference at stage "
            f"{next((i for i, (a, b) in enumerate(zip(expected, result['measurements'])) if a != b), 'n/a')}"
        )


# ---- SEC-BOOT-002: bad signature, untrusted key, malformed ---------------------------------------


@pytest.mark.requirement("SEC-BOOT-002")
def test_signature_by_another_key_is_bad_signature(iut: Any, ics: Ics) -> None:
    key_id, _key = _trusted_ed25519(iut, "boot-002-trusted")
    image = _image(STAGES, key_id, _versions(), hash_algorithm=_hash_for(ics))
    _expect_refused(iut.boot(image, _ed25519("boot-002-intruder").sign(image)), "bad_signature", "image signed by an untrusted Ed25519 key")


@pytest.mark.requirement("SEC-BOOT-002")
@pytest.mark.parametrize("length", [0, 1, 63, 65, 128])
def test_signature_of_wrong_length_is_bad_signature(iut: Any, ics: Ics, length: int) -> None:
    """Truncations of the valid signature, and the valid signature with octets appended."""
    key_id, key = _trusted_ed25519(iut, "boot-002-length")
    image = _image(STAGES, key_id, _versions(), hash_algorithm=_hash_for(ics))
    signature = key.sign(image)
    wrong = (signature + bytes(64))[:length] if length != 128 else signature + signature
    _expect_refused(iut.boot(image, wrong), "bad_signature", f"{length}-octet signature")


@pytest.mark.requirement("SEC-BOOT-002")
def test_non_canonical_ed25519_signature_is_bad_signature(iut: Any, ics: Ics) -> None:
    """RFC 8032 5.1.7: S must be below L; R || (S + L) satisfies the group equation but is invalid."""
    key_id, key = _trusted_ed25519(iut, "boot-002-malleable")
    image = _image(STAGES, key_id, _versions(), hash_algorithm=_hash_for(ics))
    signature = key.sign(image)
    s_plus_l = int.from_bytes(signature[32:], "little") + ED25519_L
    _expect_refused(iut.boot(image, signature[:32] + s_plus_l.to_bytes(32, "little")), "bad_signature", "signature R || S + L")


@pytest.mark.requirement("SEC-BOOT-002")
def test_any_flipped_bit_is_refused(iut: Any, ics: Ics) -> None:
    """One bit of the image or signature flipped: refused; in a stage's octets or the signature,
    with reason bad_signature (a header bit may make the image malformed or name another key)."""
    key_id, key = _trusted_ed25519(iut, "boot-002-flip")
    stages = [b"stage zero", b"stage one: " + bytes(range(40))]
    image = _image(stages, key_id, _versions(), hash_algorithm=_hash_for(ics))
    signature = key.sign(image)
    blob = image + signature
    stage_octets = set(range(HEADER.size + 4, HEADER.size + 4 + len(stages[0])))
    stage_octets |= set(range(len(image) - len(stages[1]), len(image)))
    signature_octets = set(range(len(image), len(blob)))

    @given(bit=st.integers(0, 8 * len(blob) - 1))
    def check(bit: int) -> None:
        bad = bytearray(blob)
        bad[bit // 8] ^= 1 << (bit % 8)
        result = iut.boot(bytes(bad[: len(image)]), bytes(bad[len(image) :]))
        where = "signature" if bit // 8 in signature_octets else "image"
        if bit // 8 in stage_octets | signature_octets:
            _expect_refused(result, "bad_signature", f"bit {bit} ({where} octet {bit // 8}) flipped")
        else:
            assert result["accepted"] is False, f"bit {bit} of the manifest header flipped: expected refusal, image accepted"
            assert result["reason"] in REFUSALS - {"rollback"}, f"bit {bit} flipped: unexpected reason {result['reason']}"

    check()


@pytest.mark.requirement("SEC-BOOT-002")
def test_key_id_not_trusted_is_untrusted_key(iut: Any, ics: Ics) -> None:
    _key_id, key = _trusted_ed25519(iut, "boot-002-untrusted")
    never_loaded = next(_KEY_IDS)
    image = _image(STAGES, never_loaded, _versions(), hash_algorithm=_hash_for(ics))
    _expect_refused(iut.boot(image, key.sign(image)), "untrusted_key", f"image naming key id {never_loaded}, never trusted")


@pytest.mark.requirement("SEC-BOOT-002")
@pytest.mark.applies_if("'sm2-sm3' in signature_algorithms")
def test_key_trusted_for_the_other_algorithm_is_untrusted_key(iut: Any, ics: Ics, spec: Spec) -> None:
    hash_algorithm = _hash_for(ics)
    ed_id, ed_key = _trusted_ed25519(iut, "boot-002-cross-ed")
    sm2_key = _Sm2Key("boot-002-cross-sm2", _sm2_id(spec))
    sm2_id = _trust(iut, "sm2-sm3", sm2_key.public)
    base = _versions()
    image = _image(STAGES, sm2_id, base, "ed25519", hash_algorithm)
    _expect_refused(iut.boot(image, ed_key.sign(image)), "untrusted_key", f"Ed25519 image naming SM2 key id {sm2_id}")
    image = _image(STAGES, ed_id, base + 1, "sm2-sm3", hash_algorithm)
    _expect_refused(iut.boot(image, sm2_key.sign(image)), "untrusted_key", f"SM2 image naming Ed25519 key id {ed_id}")


def _malformed_cases(valid: bytes) -> dict[str, bytes]:
    header = HEADER.size
    return {
        "empty": b"",
        "header-truncated": valid[: header - 1],
        "bad-magic": b"OCFX" + valid[4:],
        "format-version-2": valid[:4] + b"\x02" + valid[5:],
        "signature-code-0": valid[:5] + b"\x00" + valid[6:],
        "signature-code-255": valid[:5] + b"\xff" + valid[6:],
        "hash-code-0": valid[:12] + b"\x00" + valid[13:],
        "hash-code-255": valid[:12] + b"\xff" + valid[13:],
        "stage-count-0": valid[:13] + b"\x00",
        "stage-count-too-high": valid[:13] + bytes([valid[13] + 1]) + valid[14:],
        "stage-count-too-low": valid[:13] + bytes([valid[13] - 1]) + valid[14:],
        "stage-length-truncated": valid[: header + 2],
        "last-stage-truncated": valid[:-1],
        "stage-length-beyond-image": valid[:header] + b"\xff\xff\xff\xf0" + valid[header + 4 :],
        "octets-after-last-stage": valid + b"\x00",
    }


MALFORMED_NAMES = sorted(_malformed_cases(_image([b"x", b"yz"], 0, 0)))


@pytest.mark.requirement("SEC-BOOT-002")
@pytest.mark.parametrize("case", MALFORMED_NAMES)
def test_malformed_manifest_is_refused_malformed(iut: Any, ics: Ics, case: str) -> None:
    """Each violation of boot_manifest, signed by a trusted key over the malformed octets."""
    key_id, key = _trusted_ed25519(iut, "boot-002-malformed")
    bad = _malformed_cases(_image([b"stage a", b"stage bb"], key_id, _versions(), hash_algorithm=_hash_for(ics)))[case]
    assert not _parses(bad), f"suite error: case {case} parses"
    _expect_refused(iut.boot(bad, key.sign(bad)), "malformed", f"malformed manifest ({case})")


@pytest.mark.requirement("SEC-BOOT-002")
def test_arbitrary_bytes_that_do_not_parse_are_malformed(iut: Any, ics: Ics) -> None:
    """Random octets, and valid images cut or extended at random points: whatever does not parse
    as a manifest is refused with malformed; what parses is refused (its signature is not valid)."""
    key_id, key = _trusted_ed25519(iut, "boot-002-fuzz")
    valid = _image([b"stage", bytes(20)], key_id, _versions(), hash_algorithm=_hash_for(ics))
    mutated = st.tuples(st.integers(0, len(valid)), st.binary(max_size=24)).map(lambda cut: valid[: cut[0]] + cut[1])
    prefixed = st.binary(max_size=40).map(lambda tail: MAGIC + bytes([FORMAT_VERSION]) + tail)

    @given(image=st.binary(max_size=64) | mutated | prefixed)
    def check(image: bytes) -> None:
        # Only what does not parse gets a valid signature: nothing here may raise the rollback counter.
        result = iut.boot(image, bytes(64) if _parses(image) else key.sign(image))
        if not _parses(image):
            _expect_refused(result, "malformed", f"{len(image)} octets that do not parse ({image[:24].hex()}...)")
        else:
            assert result["accepted"] is False and result["reason"] in REFUSALS, f"unsigned parsable image: {result}"

    check()


@pytest.mark.requirement("SEC-BOOT-002", "SEC-BOOT-003")
def test_rolled_back_image_with_bad_signature_reports_the_check_order(iut: Any, ics: Ics, spec: Spec) -> None:
    """An image failing both the signature and the rollback check gets the reason boot_check_order puts first."""
    key_id, key = _trusted_ed25519(iut, "boot-002-order")
    base = _versions()
    high = _image(STAGES, key_id, base + 10, hash_algorithm=_hash_for(ics))
    _expect_accepted(iut.boot(high, key.sign(high)), f"security version {base + 10}")
    old = _image(STAGES, key_id, base + 1, hash_algorithm=_hash_for(ics))
    expected = _first_failing(spec, "bad_signature", "rollback")
    _expect_refused(iut.boot(old, _ed25519("boot-002-order-other").sign(old)), expected, "rolled-back image with a bad signature")
    untrusted = _image(STAGES, next(_KEY_IDS), base + 1, hash_algorithm=_hash_for(ics))
    expected = _first_failing(spec, "untrusted_key", "bad_signature", "rollback")
    _expect_refused(iut.boot(untrusted, key.sign(untrusted)), expected, "rolled-back image naming an untrusted key id")


# ---- SEC-BOOT-003: rollback ------------------------------------------------------------------------


@pytest.mark.requirement("SEC-BOOT-003")
def test_lower_version_refused_rollback_equal_version_accepted(iut: Any, ics: Ics) -> None:
    key_id, key = _trusted_ed25519(iut, "boot-003-rollback")
    base = _versions()

    def boot(version: int) -> dict[str, Any]:
        image = _image(STAGES, key_id, version, hash_algorithm=_hash_for(ics))
        return dict(iut.boot(image, key.sign(image)))

    _expect_accepted(boot(base + 5), f"security version {base + 5}")
    _expect_refused(boot(base + 4), "rollback", f"validly signed version {base + 4} after {base + 5}")
    _expect_refused(boot(base), "rollback", f"validly signed version {base} after {base + 5}")
    _expect_accepted(boot(base + 5), f"version {base + 5} again (equal to the highest is not a rollback)")
    _expect_accepted(boot(base + 6), f"version {base + 6}")
    _expect_refused(boot(base + 5), "rollback", f"version {base + 5} after {base + 6}")


@pytest.mark.requirement("SEC-BOOT-003")
def test_refused_images_leave_the_highest_version_unchanged(iut: Any, ics: Ics) -> None:
    """High-version images refused for a bad signature or an untrusted key, then a rollback refusal:
    none may raise the highest version, so a lower valid image is still accepted afterwards."""
    hash_algorithm = _hash_for(ics)
    key_id, key = _trusted_ed25519(iut, "boot-003-unchanged")
    base = _versions()
    first = _image(STAGES, key_id, base + 2, hash_algorithm=hash_algorithm)
    _expect_accepted(iut.boot(first, key.sign(first)), f"security version {base + 2}")
    high = _image(STAGES, key_id, base + 900, hash_algorithm=hash_algorithm)
    high_untrusted = _image(STAGES, next(_KEY_IDS), base + 900, hash_algorithm=hash_algorithm)
    for image, signature, what in (
        (high, _ed25519("boot-003-other").sign(high), "a badly signed image (SEC-BOOT-002)"),
        (high_untrusted, key.sign(high_untrusted), "an image naming an untrusted key id (SEC-BOOT-002)"),
    ):
        if iut.boot(image, signature)["accepted"]:
            inconclusive(f"the product accepted {what}: no refused image to check the highest version against")
    low = _image(STAGES, key_id, base + 1, hash_algorithm=hash_algorithm)
    _expect_refused(iut.boot(low, key.sign(low)), "rollback", f"version {base + 1} after {base + 2}")
    again = _image(STAGES, key_id, base + 3, hash_algorithm=hash_algorithm)
    _expect_accepted(
        iut.boot(again, key.sign(again)),
        f"version {base + 3} after refused images of version {base + 900} (the refusals must not raise the highest version)",
    )


# ---- SEC-BOOT-004: SM2 with SM3 ----------------------------------------------------------------------


@pytest.mark.requirement("SEC-BOOT-004")
@pytest.mark.applies_if("'sm2-sm3' in signature_algorithms")
def test_sm2_signed_image_accepted_another_sm2_key_refused(iut: Any, ics: Ics, spec: Spec) -> None:
    hash_algorithm = _hash_for(ics)
    signer = _Sm2Key("boot-004-trusted", _sm2_id(spec))
    key_id = _trust(iut, "sm2-sm3", signer.public)
    image = _image(STAGES, key_id, _versions(), "sm2-sm3", hash_algorithm)
    other = _Sm2Key("boot-004-other", _sm2_id(spec))
    _expect_refused(iut.boot(image, other.sign(image)), "bad_signature", "image signed by an untrusted SM2 key")
    result = iut.boot(image, signer.sign(image))
    _expect_accepted(result, f"SM2-signed image (Z_A with ID {_sm2_id(spec).decode()})")
    expected = [_digest(hash_algorithm, s) for s in STAGES]
    assert result["measurements"] == expected, f"SM2 image measurements: expected {expected}, observed {result['measurements']}"


@pytest.mark.requirement("SEC-BOOT-004")
@pytest.mark.applies_if("'sm2-sm3' in signature_algorithms")
def test_sm2_flipped_signature_bit_or_bad_r_s_is_bad_signature(iut: Any, ics: Ics, spec: Spec) -> None:
    """A flipped bit of r || s; r or s out of [1, n-1] (GB/T 32918.2-2016 7.1 B1-B2)."""
    signer = _Sm2Key("boot-004-flip", _sm2_id(spec))
    key_id = _trust(iut, "sm2-sm3", signer.public)
    image = _image([b"sm2 stage"], key_id, _versions(), "sm2-sm3", _hash_for(ics))
    signature = signer.sign(image)
    r = int.from_bytes(signature[:32], "big")
    for label, bad in {
        "s = 0": signature[:32] + bytes(32),
        "r = 0": bytes(32) + signature[32:],
        "r = n": SM2_N.to_bytes(32, "big") + signature[32:],
        "r = n - 1 - r": (SM2_N - 1 - r).to_bytes(32, "big") + signature[32:],
        "s = n": signature[:32] + SM2_N.to_bytes(32, "big"),
    }.items():
        _expect_refused(iut.boot(image, bad), "bad_signature", f"SM2 signature with {label}")

    @given(bit=st.integers(0, 8 * len(signature) - 1))
    def check(bit: int) -> None:
        bad = bytearray(signature)
        bad[bit // 8] ^= 1 << (bit % 8)
        _expect_refused(iut.boot(image, bytes(bad)), "bad_signature", f"SM2 signature bit {bit} flipped")

    check()


# ---- SEC-BOOT-005: SM3 measurements -------------------------------------------------------------------


@pytest.mark.requirement("SEC-BOOT-005")
@pytest.mark.applies_if("'sm3' in measurement_hashes")
def test_sm3_manifest_stages_measured_with_sm3(iut: Any) -> None:
    """Stages equal to the GB/T 32905-2016 appendix A messages must measure to the published digests."""
    key_id, key = _trusted_ed25519(iut, "boot-005")
    stages = [*SM3_EXAMPLES, b"", b"x" * 1000]
    image = _image(stages, key_id, _versions(), hash_algorithm="sm3")
    result = iut.boot(image, key.sign(image))
    _expect_accepted(result, "image whose manifest names SM3")
    measurements = result["measurements"]
    for i, (message, published) in enumerate(SM3_EXAMPLES.items()):
        observed = measurements[i] if i < len(measurements) else None
        hint = " (that is SHA-256)" if observed == hashlib.sha256(message).hexdigest() else ""
        assert observed == published, f"stage {i} ({message[:8]!r}...): expected SM3 {published}, observed {observed}{hint}"
    expected = [_digest("sm3", s) for s in stages]
    assert measurements == expected, f"SM3 measurements: expected {expected}, observed {measurements}"
