"""Secure boot of the link-security reference (:mod:`orbitcert.reference_impl.security.boot`).

Known answers: RFC 8032 section 7.1 (Ed25519), GB/T 32905-2016 appendix A (SM3), FIPS 180-4
examples (SHA-256); SM2 (GB/T 32918.2-2016) against gmssl's own signing, whose Z_A is formed
independently of the reference's. Then every refusal reason of SEC-BOOT-002/003, the check order
of parameter ``boot_check_order``, measurements against digests computed here, and hypothesis
properties (tampering is always refused; arbitrary bytes never raise anything undocumented).
"""

from __future__ import annotations

import hashlib
import secrets

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gmssl import sm2
from gmssl import sm3 as gm_sm3
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.reference_impl.security import boot
from orbitcert.reference_impl.security.boot import SecureBoot, build_image, parse_manifest, trusted_key
from orbitcert.reference_impl.security.errors import ManifestError, ProvisioningError, SecurityError

REFUSALS = {"malformed", "unsupported_algorithm", "untrusted_key", "bad_signature", "rollback"}
SM2_N = int(sm2.default_ecc_table["n"], 16)

# ---- keys and signing helpers ------------------------------------------------------------------


def ed_key(seed_byte: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)


def ed_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sm2_pair(d: int) -> tuple[sm2.CryptSM2, bytes]:
    """A gmssl signer for private key ``d`` and its public key x || y (gmssl's scalar multiplication)."""
    signer = sm2.CryptSM2(private_key=f"{d:064x}", public_key="")
    public_hex = signer._kg(d, sm2.default_ecc_table["g"])
    signer.public_key = public_hex  # set after construction: the constructor lstrips "04"
    return signer, bytes.fromhex(public_hex)


def sm2_sign(signer: sm2.CryptSM2, message: bytes) -> bytes:
    """gmssl's SM2-with-SM3 signature (its own Z_A with ID 1234567812345678), r || s."""
    while True:
        signature = signer.sign_with_sm3(message, f"{secrets.randbelow(SM2_N - 1) + 1:064x}")
        if signature is not None:
            return bytes.fromhex(signature)


ED = ed_key(0x11)
ED_OTHER = ed_key(0x22)
SM2_SIGNER, SM2_PUBLIC = sm2_pair(0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8)
SM2_OTHER, SM2_OTHER_PUBLIC = sm2_pair(0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263)
#: d = 11 has a public key whose hex starts with "04", which gmssl's constructor would mangle.
SM2_04, SM2_04_PUBLIC = sm2_pair(11)

STAGES = [b"bootloader" * 7, b"", bytes(range(256)) * 3]


def loader(**kwargs: object) -> SecureBoot:
    sb = SecureBoot(**kwargs)  # type: ignore[arg-type]
    sb.load_trusted_key(1, ed_public(ED), "ed25519")
    sb.load_trusted_key(2, SM2_PUBLIC, "sm2-sm3")
    return sb


def ed_image(version: int = 1, key_id: int = 1, hash_algorithm: str = "sha-256", stages: list[bytes] = STAGES) -> tuple[bytes, bytes]:
    image = build_image(stages, key_id=key_id, security_version=version, hash_algorithm=hash_algorithm)
    return image, ED.sign(image)


def refused(result: dict[str, object], reason: str) -> None:
    assert result == {"accepted": False, "reason": reason, "measurements": []}, f"expected refusal {reason}, got {result}"


# ---- known answers -----------------------------------------------------------------------------

# RFC 8032 section 7.1: (secret key, public key, message, signature), TEST 1, 2, 3 and SHA(abc).
RFC8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


@pytest.mark.parametrize("secret, public, message, signature", RFC8032_VECTORS, ids=["test1", "test2", "test3", "sha-abc"])
def test_rfc8032_vectors_verify_through_the_boot_verifier(secret: str, public: str, message: str, signature: str) -> None:
    """RFC 8032 7.1: the published signature verifies (5.1.7), the secret key yields the
    published public key, and one flipped bit of the signature or message does not verify."""
    key = trusted_key("ed25519", bytes.fromhex(public))
    msg, sig = bytes.fromhex(message), bytes.fromhex(signature)
    assert key.verify(msg, sig)
    assert ed_public(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))) == bytes.fromhex(public)
    assert not key.verify(msg, bytes([sig[0] ^ 1]) + sig[1:])
    assert not key.verify(msg + b"\x00", sig)
    assert not key.verify(msg, sig[:63])


def test_ed25519_signature_with_s_not_below_l_is_refused() -> None:
    """RFC 8032 5.1.7 step 1: S >= L is invalid (S + L is the classic malleability forgery)."""
    secret, public, message, signature = RFC8032_VECTORS[0]
    sig = bytes.fromhex(signature)
    ell = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(sig[32:], "little") + ell
    assert not trusted_key("ed25519", bytes.fromhex(public)).verify(b"", sig[:32] + s.to_bytes(32, "little"))


@pytest.mark.parametrize(
    "message, expected",
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
    ids=["abc", "abcd*16"],
)
def test_sm3_known_answers(message: bytes, expected: str) -> None:
    """GB/T 32905-2016 appendix A, examples 1 and 2; also through gmssl."""
    assert boot.digest("sm3", message).hex() == expected
    assert gm_sm3.sm3_hash(list(message)) == expected


def test_sha256_known_answers() -> None:
    """FIPS 180-4 examples (one block "abc", two blocks)."""
    assert boot.digest("sha-256", b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    two = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    assert boot.digest("sha-256", two).hex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"


@given(st.binary(max_size=300))
def test_sm3_cryptography_agrees_with_gmssl(data: bytes) -> None:
    """SM3 of ``cryptography`` (OpenSSL) and of gmssl (pure Python) agree on any input."""
    assert boot.digest("sm3", data).hex() == gm_sm3.sm3_hash(list(data))


def test_unknown_hash_name_is_an_error() -> None:
    with pytest.raises(SecurityError, match="sha-1"):
        boot.digest("sha-1", b"")


def test_sm2_digest_matches_gmssl_z_a() -> None:
    """e = SM3(Z_A || M) with the default ID (GB/T 32918.2-2016 5.5) equals gmssl's own."""
    for signer, public in ((SM2_SIGNER, SM2_PUBLIC), (SM2_04, SM2_04_PUBLIC)):
        for message in (b"", b"abc", bytes(1000)):
            assert boot.sm2_signed_digest(public, message).hex() == signer._sm3_z(message)


def test_sm2_gmssl_signature_verifies_and_other_key_does_not() -> None:
    key = trusted_key("sm2-sm3", SM2_PUBLIC)
    other = trusted_key("sm2-sm3", SM2_OTHER_PUBLIC)
    for message in (b"", b"message digest", bytes(range(256)) * 4):
        sig = sm2_sign(SM2_SIGNER, message)
        assert len(sig) == 64
        assert key.verify(message, sig)
        assert not other.verify(message, sig)
        assert not key.verify(message + b"!", sig)
        assert not key.verify(message, sig[:32] + bytes([sig[32] ^ 0x80]) + sig[33:])


def test_sm2_public_key_starting_with_04_works() -> None:
    """gmssl's constructor strips leading '0'/'4' characters of a key starting with "04"; the reference does not."""
    assert SM2_04_PUBLIC[0] == 0x04
    message = b"firmware"
    assert trusted_key("sm2-sm3", SM2_04_PUBLIC).verify(message, sm2_sign(SM2_04, message))


@pytest.mark.parametrize("r, s", [(0, 1), (1, 0), (SM2_N, 1), (1, SM2_N), (2**256 - 1, 5)], ids=["r0", "s0", "rN", "sN", "rmax"])
def test_sm2_out_of_range_r_s_are_refused(r: int, s: int) -> None:
    """GB/T 32918.2-2016 7.1 B1/B2: r and s must lie in [1, n-1]."""
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert not trusted_key("sm2-sm3", SM2_PUBLIC).verify(b"abc", sig)


def test_sm2_r_s_summing_to_n_is_refused() -> None:
    """t = (r + s) mod n = 0 is invalid (B5); gmssl returns 0 there."""
    sig = (5).to_bytes(32, "big") + (SM2_N - 5).to_bytes(32, "big")
    assert not trusted_key("sm2-sm3", SM2_PUBLIC).verify(b"abc", sig)


# ---- provisioning --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key_id, public_key, algorithm, match",
    [
        (1, bytes(31), "ed25519", "32 octets"),
        (1, bytes(33), "ed25519", "32 octets"),
        (1, bytes(65), "sm2-sm3", "64 octets"),
        (1, b"\x04" + SM2_PUBLIC, "sm2-sm3", "64 octets"),
        (1, bytes(64), "sm2-sm3", "not on the SM2 curve"),
        (1, b"\xff" * 64, "sm2-sm3", "field prime"),
        (1, SM2_PUBLIC[:63] + bytes([SM2_PUBLIC[63] ^ 1]), "sm2-sm3", "not on the SM2 curve"),
        (1, bytes(32), "rsa", "algorithm"),
        (1, bytes(32), None, "algorithm"),
        (1, "00" * 32, "ed25519", "public_key: expected bytes"),
        (-1, bytes(32), "ed25519", "key_id"),
        (65536, bytes(32), "ed25519", "key_id"),
        (True, bytes(32), "ed25519", "key_id"),
        ("1", bytes(32), "ed25519", "key_id"),
    ],
)
def test_bad_provisioning_raises_provisioning_error(key_id: object, public_key: object, algorithm: object, match: str) -> None:
    with pytest.raises(ProvisioningError, match=match):
        SecureBoot().load_trusted_key(key_id, public_key, algorithm)  # type: ignore[arg-type]


def test_key_for_undeclared_algorithm_is_refused() -> None:
    with pytest.raises(ProvisioningError, match="not among this product's signature algorithms"):
        SecureBoot(signature_algorithms=("ed25519",)).load_trusted_key(3, SM2_PUBLIC, "sm2-sm3")


@pytest.mark.parametrize(
    "kwargs",
    [{"signature_algorithms": ("rsa",)}, {"hashes": ("md5",)}, {"hashes": ()}, {"hashes": "sm3"}, {"signature_algorithms": [["x"]]}],
)
def test_bad_constructor_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ProvisioningError):
        SecureBoot(**kwargs)  # type: ignore[arg-type]


def test_reloading_a_key_id_replaces_it() -> None:
    sb = loader()
    sb.load_trusted_key(1, ed_public(ED_OTHER), "ed25519")
    image = build_image([b"x"], key_id=1, security_version=1)
    refused(sb.boot(image, ED.sign(image)), "bad_signature")
    assert sb.boot(image, ED_OTHER.sign(image))["accepted"]


# ---- manifest building and parsing ---------------------------------------------------------------


def test_build_image_layout() -> None:
    """boot_manifest: "OCFW", version 1, sig alg, key id (2), security version (4), hash alg, count, stages."""
    image = build_image([b"ab", b""], key_id=0x1234, security_version=0x01020304, signature_algorithm="sm2-sm3", hash_algorithm="sm3")
    assert image == b"OCFW\x01\x02\x12\x34\x01\x02\x03\x04\x02\x02" + b"\x00\x00\x00\x02ab" + b"\x00\x00\x00\x00"
    assert parse_manifest(image) == boot.Manifest("sm2-sm3", 0x1234, 0x01020304, "sm3", (b"ab", b""))


@given(
    stages=st.lists(st.binary(max_size=40), min_size=1, max_size=6),
    key_id=st.integers(0, 0xFFFF),
    version=st.integers(0, 0xFFFFFFFF),
    sig=st.sampled_from(["ed25519", "sm2-sm3"]),
    hash_algorithm=st.sampled_from(["sha-256", "sm3"]),
)
def test_build_parse_round_trip(stages: list[bytes], key_id: int, version: int, sig: str, hash_algorithm: str) -> None:
    image = build_image(stages, key_id=key_id, security_version=version, signature_algorithm=sig, hash_algorithm=hash_algorithm)
    assert parse_manifest(image) == boot.Manifest(sig, key_id, version, hash_algorithm, tuple(stages))


@pytest.mark.parametrize(
    "stages, kwargs, match",
    [
        ([], {}, "1..255"),
        ([b""] * 256, {}, "1..255"),
        (b"stage", {}, "single value"),
        (["text"], {}, "stages\\[0\\]"),
        ([b"x"], {"key_id": 65536}, "key_id"),
        ([b"x"], {"security_version": -1}, "security_version"),
        ([b"x"], {"security_version": 2**32}, "security_version"),
        ([b"x"], {"signature_algorithm": "rsa"}, "signature_algorithm"),
        ([b"x"], {"hash_algorithm": "sha-1"}, "hash_algorithm"),
    ],
)
def test_build_image_errors(stages: object, kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"key_id": 1, "security_version": 1, **kwargs}
    with pytest.raises(ManifestError, match=match):
        build_image(stages, **args)  # type: ignore[arg-type]


GOOD = build_image([b"abc", b"de"], key_id=1, security_version=1)
MALFORMED = {
    "empty": b"",
    "short-header": GOOD[:13],
    "magic": b"OCFX" + GOOD[4:],
    "format-version-0": GOOD[:4] + b"\x00" + GOOD[5:],
    "format-version-2": GOOD[:4] + b"\x02" + GOOD[5:],
    "signature-code-0": GOOD[:5] + b"\x00" + GOOD[6:],
    "signature-code-3": GOOD[:5] + b"\x03" + GOOD[6:],
    "hash-code-0": GOOD[:12] + b"\x00" + GOOD[13:],
    "hash-code-3": GOOD[:12] + b"\x03" + GOOD[13:],
    "no-stage": GOOD[:13] + b"\x00",
    "count-too-high": GOOD[:13] + b"\x03" + GOOD[14:],
    "count-too-low": GOOD[:13] + b"\x01" + GOOD[14:],
    "stage-length-truncated": GOOD[:14] + b"\x00\x00",
    "stage-truncated": GOOD[:-1],
    "stage-length-huge": GOOD[:14] + b"\xff\xff\xff\xff" + GOOD[18:],
    "trailing-octet": GOOD + b"\x00",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_manifests(name: str) -> None:
    """Each violation of boot_manifest: ManifestError from the parser, reason malformed from boot
    (even with a signature that verifies over the malformed bytes)."""
    image = MALFORMED[name]
    with pytest.raises(ManifestError):
        parse_manifest(image)
    refused(loader().boot(image, ED.sign(image)), "malformed")


def test_non_bytes_image_is_a_documented_error() -> None:
    with pytest.raises(ManifestError, match="image: expected bytes"):
        parse_manifest("OCFW")  # type: ignore[arg-type]
    with pytest.raises(ManifestError, match="signature: expected bytes"):
        loader().boot(GOOD, None)  # type: ignore[arg-type]


@given(st.binary(max_size=64) | st.binary(max_size=48).map(lambda tail: b"OCFW\x01" + tail))
def test_arbitrary_bytes_only_documented_outcomes(data: bytes) -> None:
    """Arbitrary bytes: the parser returns a Manifest or raises ManifestError; boot refuses with a
    documented reason (the signature cannot verify) and never raises."""
    try:
        parse_manifest(data)
    except ManifestError:
        pass
    result = loader().boot(data, bytes(64))
    assert result["accepted"] is False and result["reason"] in REFUSALS and result["measurements"] == []


# ---- acceptance and measurements (SEC-BOOT-001, 004, 005) ---------------------------------------


def test_ed25519_image_accepted_with_sha256_measurements() -> None:
    image, sig = ed_image()
    result = loader().boot(image, sig)
    assert result == {"accepted": True, "reason": None, "measurements": [hashlib.sha256(s).hexdigest() for s in STAGES]}


def test_sm3_measurements_equal_independent_sm3() -> None:
    image, sig = ed_image(hash_algorithm="sm3")
    result = loader().boot(image, sig)
    expected = []
    for stage in STAGES:
        h = hashes.Hash(hashes.SM3())
        h.update(stage)
        expected.append(h.finalize().hex())
    assert result == {"accepted": True, "reason": None, "measurements": expected}
    assert expected == [gm_sm3.sm3_hash(list(s)) for s in STAGES]


def test_sm2_image_accepted_and_other_sm2_key_refused() -> None:
    image = build_image(STAGES, key_id=2, security_version=1, signature_algorithm="sm2-sm3", hash_algorithm="sm3")
    sb = loader()
    refused(sb.boot(image, sm2_sign(SM2_OTHER, image)), "bad_signature")
    result = sb.boot(image, sm2_sign(SM2_SIGNER, image))
    assert result["accepted"] and result["measurements"] == [gm_sm3.sm3_hash(list(s)) for s in STAGES]


def test_reference_product_delegates_to_secure_boot() -> None:
    from orbitcert.reference_impl.security.iut import create

    product = create()
    product.load_trusted_key(9, ed_public(ED), "ed25519")
    image = build_image([b"k"], key_id=9, security_version=4)
    assert product.boot(image, ED.sign(image)) == {"accepted": True, "reason": None, "measurements": [hashlib.sha256(b"k").hexdigest()]}


# ---- refusals (SEC-BOOT-002, 003) and check order --------------------------------------------------


def test_wrong_key_is_bad_signature() -> None:
    image, _ = ed_image()
    refused(loader().boot(image, ED_OTHER.sign(image)), "bad_signature")


def test_untrusted_key_id() -> None:
    image, sig = ed_image(key_id=77)
    refused(loader().boot(image, sig), "untrusted_key")


def test_key_trusted_for_the_other_algorithm_is_untrusted() -> None:
    sb = loader()
    # An Ed25519 manifest naming the SM2 key id, and an SM2 manifest naming the Ed25519 key id.
    image, sig = ed_image(key_id=2)
    refused(sb.boot(image, sig), "untrusted_key")
    image = build_image(STAGES, key_id=1, security_version=1, signature_algorithm="sm2-sm3")
    refused(sb.boot(image, sm2_sign(SM2_SIGNER, image)), "untrusted_key")


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 128])
def test_signature_of_wrong_length_is_bad_signature(length: int) -> None:
    image, sig = ed_image()
    refused(loader().boot(image, (sig * 3)[:length]), "bad_signature")


@given(st.data())
def test_any_bit_flip_of_image_or_signature_is_refused(data: st.DataObject) -> None:
    """One flipped bit anywhere: refused. In the signature or in a stage, the reason is exactly
    bad_signature; in the header it may be any refusal (a changed key id is untrusted_key...)."""
    sb = loader()
    image, sig = ed_image()
    blob = bytearray(image + sig)
    bit = data.draw(st.integers(0, 8 * len(blob) - 1), label="bit")
    blob[bit // 8] ^= 1 << (bit % 8)
    result = sb.boot(bytes(blob[: len(image)]), bytes(blob[len(image) :]))
    assert result["accepted"] is False and result["measurements"] == []
    if bit // 8 >= 14 + 4:  # past the header and the first stage length
        if bit // 8 in range(14 + 4 + len(STAGES[0]), 14 + 4 + len(STAGES[0]) + 8):
            assert result["reason"] in {"malformed", "bad_signature"}  # the other stages' lengths
        else:
            assert result["reason"] == "bad_signature", result
    else:
        assert result["reason"] in REFUSALS


@given(st.data())
def test_sm2_bit_flip_is_refused(data: st.DataObject) -> None:
    sb = loader()
    image = build_image([b"sm2 stage"], key_id=2, security_version=1, signature_algorithm="sm2-sm3")
    sig = sm2_sign(SM2_SIGNER, image)
    bit = data.draw(st.integers(0, 8 * 64 - 1), label="bit")
    bad = bytearray(sig)
    bad[bit // 8] ^= 1 << (bit % 8)
    refused(sb.boot(image, bytes(bad)), "bad_signature")


def test_rollback_then_equal_version_accepted() -> None:
    sb = loader()
    assert sb.highest_security_version == 0
    assert sb.boot(*ed_image(version=5))["accepted"]
    refused(sb.boot(*ed_image(version=4)), "rollback")
    assert sb.highest_security_version == 5
    assert sb.boot(*ed_image(version=5))["accepted"], "an equal security version is not a rollback"
    assert sb.boot(*ed_image(version=7))["accepted"]
    refused(sb.boot(*ed_image(version=6)), "rollback")
    refused(sb.boot(*ed_image(version=0)), "rollback")
    assert sb.highest_security_version == 7


def test_refused_images_leave_the_counter_unchanged() -> None:
    """A high-version image refused for any reason does not raise the counter."""
    sb = loader()
    high, high_sig = ed_image(version=1000)
    refused(sb.boot(high, ED_OTHER.sign(high)), "bad_signature")
    refused(sb.boot(*ed_image(version=1000, key_id=55)), "untrusted_key")
    refused(sb.boot(high + b"\x00", high_sig), "malformed")
    assert sb.highest_security_version == 0
    assert sb.boot(*ed_image(version=1))["accepted"]


def test_check_order_signature_before_rollback() -> None:
    """boot_check_order: a rolled-back image with a bad signature is bad_signature; with an
    untrusted key, untrusted_key."""
    sb = loader()
    assert sb.boot(*ed_image(version=9))["accepted"]
    old, _ = ed_image(version=1)
    refused(sb.boot(old, ED_OTHER.sign(old)), "bad_signature")
    refused(sb.boot(*ed_image(version=1, key_id=300)), "untrusted_key")


def test_unsupported_algorithm_before_untrusted_key() -> None:
    """A manifest naming an algorithm the product does not declare: unsupported_algorithm, checked
    before the key."""
    sb = SecureBoot(signature_algorithms=("ed25519",), hashes=("sha-256",))
    sb.load_trusted_key(1, ed_public(ED), "ed25519")
    refused(sb.boot(*ed_image(hash_algorithm="sm3")), "unsupported_algorithm")
    sm2_image = build_image([b"x"], key_id=99, security_version=1, signature_algorithm="sm2-sm3")
    refused(sb.boot(sm2_image, bytes(64)), "unsupported_algorithm")
    assert sb.boot(*ed_image())["accepted"]
