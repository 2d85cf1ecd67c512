"""Known answers of the primitives under the reference (published vectors), and cross-checks of
SM4/SM3 in ``cryptography`` against the independent ``gmssl`` implementation."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import func, sm3, sm4

from orbitcert.reference_impl.security import crypto
from orbitcert.reference_impl.security.errors import ProvisioningError

# McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-18 (AES-256; these are
# also SP 800-38D examples). (key, iv, plaintext, aad, ciphertext, tag)
K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
P15 = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
A16 = "feedfacedeadbeeffeedfacedeadbeefabaddad2"
GCM_AES256 = {
    "tc13": ("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
    "tc14": ("00" * 32, "00" * 12, "00" * 16, "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
    "tc15": (
        K15, "cafebabefacedbaddecaf888", P15, "",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        "b094dac5d93471bdec1a502270e3cc6c",
    ),
    "tc16": (
        K15, "cafebabefacedbaddecaf888", P15[:120], A16,
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
    ),
}
# Test cases 17 and 18 use 8- and 60-octet IVs, which the profile's 12-octet IV excludes; they
# exercise the library directly.
GCM_AES256_OTHER_IV = {
    "tc17": (
        K15, "cafebabefacedbad", P15[:120], A16,
        "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
        "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
        "3a337dbf46a792c45e454913fe2ea8f2",
    ),
    "tc18": (
        K15,
        "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
        "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
        P15[:120], A16,
        "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
        "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
        "a44a8266ee1c8eb0c8b5d4cf5ae9f19a",
    ),
}


@pytest.mark.parametrize("case", sorted(GCM_AES256))
def test_aes256_gcm_known_answers(case: str) -> None:
    """GcmCipher('aes-256-gcm') seals and opens the GCM paper's AES-256 test cases 13-16."""
    key, iv, pt, aad, ct, tag = (bytes.fromhex(x) for x in GCM_AES256[case])
    cipher = crypto.GcmCipher("aes-256-gcm", key)
    assert cipher.seal(iv, pt, aad) == ct + tag
    assert cipher.open(iv, ct + tag, aad) == pt
    assert cipher.open(iv, ct + bytes([tag[0] ^ 1]) + tag[1:], aad) is None
    if not pt:
        assert cipher.gmac(iv, aad) == tag


@pytest.mark.parametrize("case", sorted(GCM_AES256_OTHER_IV))
def test_aes256_gcm_known_answers_other_iv_lengths(case: str) -> None:
    """GCM test cases 17 (8-octet IV) and 18 (60-octet IV) through the same cryptography API."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, iv, pt, aad, ct, tag = (bytes.fromhex(x) for x in GCM_AES256_OTHER_IV[case])
    assert AESGCM(key).encrypt(iv, pt, aad) == ct + tag


def test_sm4_block_known_answer_gbt32907() -> None:
    """GB/T 32907-2016 Appendix A example 1: one SM4 block, key = plaintext."""
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_known_answer_rfc8998() -> None:
    """RFC 8998 Appendix A.1 (SM4-GCM) through GcmCipher('sm4-gcm')."""
    if not crypto.sm4_gcm_supported():
        pytest.skip("SM4-GCM not provided by this OpenSSL")
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    iv = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    pt = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    ct = bytes.fromhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    tag = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")
    cipher = crypto.GcmCipher("sm4-gcm", key)
    assert cipher.seal(iv, pt, aad) == ct + tag
    assert cipher.open(iv, ct + tag, aad) == pt
    assert cipher.open(iv, ct + tag, aad[:-1]) is None


def test_sm3_known_answer_gbt32905() -> None:
    """GB/T 32905-2016 Appendix A example 1: SM3('abc'); SHA-256('abc') of FIPS 180-4."""
    assert crypto.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert crypto.hash_digest("sha-256", b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_sm4_ecb_blocks_agree_with_gmssl() -> None:
    """Seeded random keys and multi-block messages: cryptography's SM4 == gmssl's SM4 (ECB)."""
    rng = random.Random(8998)
    for _ in range(40):
        key = rng.randbytes(16)
        data = rng.randbytes(16 * rng.randint(1, 6))
        encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
        ours = encryptor.update(data) + encryptor.finalize()
        other = sm4.CryptSM4()
        other.set_key(key, sm4.SM4_ENCRYPT)
        theirs = bytes(other.crypt_ecb(data))[: len(data)]  # gmssl appends a PKCS#7 padding block
        assert ours == theirs


def test_sm3_agrees_with_gmssl() -> None:
    """Seeded random messages of many lengths (block edges included): SM3 from both libraries agree."""
    rng = random.Random(32905)
    for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, *(rng.randint(0, 700) for _ in range(30))]:
        data = rng.randbytes(length)
        assert crypto.sm3(data).hex() == sm3.sm3_hash(func.bytes_to_list(data))


def test_key_length_and_algorithm_checked() -> None:
    with pytest.raises(ProvisioningError, match="32-octet"):
        crypto.GcmCipher("aes-256-gcm", bytes(16))
    with pytest.raises(ProvisioningError, match="algorithm"):
        crypto.GcmCipher("chacha", bytes(32))
