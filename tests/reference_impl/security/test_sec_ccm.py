"""The reference's AES-256-CCM (sec-link-security 1.1.0, class aead-ccm) against independent oracles:

* Wycheproof ``aes_ccm_test.json`` (C2SP/wycheproof ``testvectors_v1``, group keySize 256, ivSize 96,
  tagSize 128: the profile's 32-octet key, 12-octet nonce and 16-octet tag; valid and
  modified-tag vectors) for :class:`~orbitcert.reference_impl.security.crypto.CcmCipher`;
* CCM written out here from NIST SP 800-38C itself (A.2.1 B0, A.2.2 associated-data encoding,
  CBC-MAC of 6.1 steps 2-4, the counter blocks of A.3 and the tag mask of 6.1 steps 5-8) on AES
  blocks from ``cryptography``'s ECB, which also checks the parameter ``ccm_parameters``
  (q = 3, B0 flags 0x7A);
* ``cryptography``'s ``AESCCM`` on random frames of every frame type, both ways: the reference's
  ApplySecurity decrypted by AESCCM, and frames built with AESCCM processed by the reference.

Randomness is seeded (numpy ``SeedSequence``), so every run checks the same frames.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

from orbitcert.reference_impl.security import crypto
from orbitcert.reference_impl.security.errors import (
    KeyStateError,
    ProvisioningError,
    UnsupportedAlgorithm,
)
from orbitcert.reference_impl.security.iut import ReferenceLinkSecurity, create
from orbitcert.reference_impl.security.sa import SecurityParameters
from orbitcert.specs.loader import load_ref

CCM = "aes-256-ccm"
KEY_ID = 7
SEED = 0x38C  # SP 800-38C

#: Wycheproof aes_ccm_test.json, group (keySize 256, ivSize 96, tagSize 128): a selection of its
#: valid vectors (payload and associated data of 0 .. 257 octets, across block and octet-length
#: boundaries) and of its modified-tag ones. (tcId, key, iv, aad, msg, ct, tag, valid).
WYCHEPROOF: list[tuple[int, str, str, str, str, str, str, bool]] = [
    (157, "80ba3192c803ce965ea371d5ff073cf0f43b6a2ab576b208426e11409c09b9b0", "4da5bf8dfd5852c1ea12379d", "", "", "", "6dc4ef59a73ebcabb5e34c0d34d9f2d7", True),
    (158, "cc56b680552eb75008f5484b4cb803fa5063ebd6eab91f6ab6aef4916a766273", "99e23ec48985bccdeeab60f1", "", "2a", "06", "85ca1f6c46283cb5dd5960bd34a8dc36", True),
    (160, "59d4eafb4de0cfc7d3db99a8f54b15d7b39f0acc8da69763b019c1699f87674a", "2fcb1b38a99e71b84740ad9b", "", "549b365af913f3b081131ccb6b825588", "48dd9589a47e638bbbc2aa3e232fa529", "df69fbe1f099f0134fe2869156ab07db", True),
    (161, "3b2458d8176e1621c0cc24c0c0e24c1e80d72f7ee9149a4b166176629616d011", "45aaa3e5d16d2d42dc03445d", "", "3ff1514b1c503915918f0c0c31094a6e1f", "202297d36ca62c5a1d4437fafc7b50e764", "665f05a96bf8de45361dbf33c98b0905", True),
    (166, "95e87eda64d0dc2d4e851030c3e1b27cca2265b3464c2c572bd8fc8cfb282d1b", "ce03bbb56778f25d4528350b", "", "2e5acc19acb9940bb74d414b45e71386a409b641490b139493d7d632cbf1674fdf2511c3fad6c27359e6137b4cd52efc4bf871e6623451517d6a3c68240f2a79916a", "2fa0bd2cdfe9e8d7919b97ba05d59e3389fdcba728ec124d0f2849484f635a000e734c8c80941b3da32d23eea51edce8d6617b16ebb43ac8113a092e9ddaa3721ae9", "a9252a50ddbbf18cd3e43adc0ba1a481", True),
    (168, "b907a45075513fe8a8019edee3f2591487b2a030b03c6e1d771c862571d2ea1e", "118a6964c2d3e380071f5266", "034585621af8d7ff", "55a465644f5b650928cbee7c063214d6", "ab01f92db4f210bdb5edaf0a1bd19eba", "621630c505d24e3b29294977d8ffa4b4", True),
    (169, "f60c6a1b625725f76c7037b48fe3577fa7f7b87b1bd5a982176d182306ffb870", "f0384fb876121410633d993d", "9aaf299eeea78f79", "63858ca3e2ce69887b578a3c167b421c9c", "f05e290bbbc61927fa65760648dcca88b0", "b721be96a6b95c0931fb243dd1287c70", True),
    (170, "af1ac19b3b84eaaf2603379cdd1dc1aee4a484fdc2c190691afcc5b762f9b526", "daf98f1bd4c071c6b100f9c4", "14", "", "", "e772cc7714efcefbd11508de489f7c61", True),
    (174, "efa5c5053b452002fc345312a3be650e9ff4244a1e44557d8a415570d2dbe902", "1abfb6e318995ea022b1d369", "01a10bc71a88c94a3ff924fe74cca229", "", "", "8e9780cca86d3ca402e1dfaa03a72d77", True),
    (178, "4c8e95a7361bb37849b16f0e5f9a6eab87391339d951d7404ff5cd829c087a6b", "b4a8de71fb0fe172ff6d89b6", "94d06edcfa5ae3d27b9953fe5df0cca6194ff6dfa94d82b7359cb387dd5e80c6186fbf1748c192bb0c688ebb471b9020fe8fbfaee3dee8787ace3c20dd50be083e", "", "", "da7fe2a4469e391c205b6de8e182a914", True),
    (183, "cb5575f5c7c45c91cf320b139fb594237560d0a3e6f865a67d4f633f2c08f016", "1a6518f02ede1da6809266d9", "89cce9fb47441d07e0245a66fe8b778b", "623b7850c321e2cf0c6fbcc8dfd1aff2", "722ac6a226f49c90ab22527a5138b401", "2e4ee997c752783e743b366bb6b350a5", True),
    (188, "93af42407d97c760adab2706a37a943f77acbc8146ea5698a311e4a99b2663c5", "00705ed71d411e9a43ea1323", "543d01c9a4caed305a6a7a76754a9deb1255d76a33f6870cae73ca803400b703aead78575d719c837b64a7c590040cf957f5eee46b74dcfe29002f5bd6127aa57ba44e601ea2cdd16051dbffc33b655afc1887e7c1a5bd99e0a5b018e01e7bc80fa0dd1f82839e62b9ec618e7f085d21d5f26be55633329c1fe73956b5692d18ba380d47e1217342334059c391776445ed34214f6608b787ca280463be33bf7d50a2a018235a9e6b204d037025bd49b80de348d13a5a459e40f3507236e14f6a70b420ed55915fa1f9f32e5a2028f8e2755b690da6927e415a8d7283c084ac410c4db4eb20c7682cb3ac10e698fb04a275463d4c67875691e428343d0025ff", "46665b3e125f845a5d72b8bf819b05f1", "ecfee2b9b3538f90b224e0a19d801e2a", "2c94b9dcdb9898046febb4351a2b286a", True),
    (190, "5d97d19c96153a7cfef2e5f4e27211d3bcc1826c67a6cc0bb02a46f944a85a5f", "669ea62069c7199d9ca2be41", "d218d976cedc3dd23ce31944405bcd0e44d5fc776838f5154c786d20fb7a39ea2e2e426fa6ce7a011ca05b5f6615e20373f7c80e98cebf8518339ba65b60532de536d3cfecf2a6b8a88a64149feba8de320a697f6a1339b0739927dd22641b8745cd04fb5fcc136dd2f3c921694005dff53ce44213fbc13f67402f882b13b28198fca970847356e2a82a2e79912ff6a1a9de8f4fed47b45b445dcd6c7400fdbc4a5da53bdfa03bad3d99b2e6038e334529b9c6f23f5135eef61db819b7ab1c7da3d1beceb4c2d212250f15fd301901db51a08d2b496e6e1f3e45af39e9556aed00b90e06535418a650bf9ab9f0e5d753f8a2e5d17c1409aba72b50fc161b2d0557", "400037002b7dd892f3e582a3386e9632", "49d4951657a4a362ccc71356283ccc3c", "baf22d20759ec6e6f66baed50860f061", True),
    (196, "317ba331307f3a3d3d82ee1fdab70f62a155af14daf631307a61b187d413e533", "a6687cf508356b174625deaa", "", "32c1d09107c599d3cce4e782179c966c6ef963689d45351dbe0f6f881db273e54db76fc48fdc5d30f089da838301a5f924bba3c044e19b3ed5aa6be87118554004ca30e0324337d987839412bf8f8bbdd537205d4b0e2120e965373235d6cbd2fb3776ba0a384ec1d9b7c631a0379ff997c3f974a6f7bbf4fd23016211f5fc10acadb5e400d2ff0fdfd193f5c6fc6d4f7271dfd1349ed80fbedaebb155b9b02fb3074495d55f9a2455f59bf6f113191a029c6b0ba75d97cdc0c84f131836337f29f9d96ca448eec0cc46d1ca8b3735661979d83302fec08fffcf5e58f12b1e7050657b1b97c64a4e07e317f554f8310b6ccb49f36d48c57816d24952aada711d4f", "ff83e67467b2c5bdd8f0f099a70c6a717e4c2f676c5c2bf903ebd7daa3bbbc80fca051ff73a805878f8e444f4db3d40988ab4970046a89a63b6a44ff0cbf8dc4e8c96189d1e4145f67ba67d44ba585f95e0dee3af90d9e2cc7612ab7aed6febb07300b2ec053cc1b400c66734b8623b20d59fac4e168eb7e45a39179e3d4aa041ea6f2f961d59f10f2f6e54072f85e74c3d934684fe079fc39b663e455e30a2c1d809fccc71e1052bf916102146314baa7813258e1159a59bfbd3e22f61f72d265fdb33a0653735f2a3a30c247a61f846089f2bd76f77b1f64e67b7fa68824f98908d547944e4d97138f0023fbcbbd5772e3944ff59068e1c79380b65c296af610", "16fd59fe1c6c1d2aeb8a6bc32e209e69", True),
    (205, "41d6c6babb7241539ac1664748dd1cf29ce7940e29153cd8180ed197dab5c73f", "0005dea12eb69850647c7ad9", "675f31d76bf483d2d2ab57cbe93cf2f1", "e5c444a0458dcaf789c8f35666f15bccb4", "99a49bde03728c479daf4c67d307f1285e", "f0f3859d12cd4148b9e84d22ba7ad966", True),
    (208, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "505152535455565758595a5b", "", "202122232425262728292a2b2c2d2e2f", "9d2a30abc5e178f7c6317ec9498dac39", "8ac2dd770de58f0b92802fdcb9d7d410", False),
    (216, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "505152535455565758595a5b", "", "202122232425262728292a2b2c2d2e2f", "9d2a30abc5e178f7c6317ec9498dac39", "8bc2dd770de58f0b93802fdcb9d7d410", False),
    (226, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "505152535455565758595a5b", "", "202122232425262728292a2b2c2d2e2f", "9d2a30abc5e178f7c6317ec9498dac39", "8bc2dd770de58f0b92802fdcb9d7d490", False),
    (230, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "505152535455565758595a5b", "", "202122232425262728292a2b2c2d2e2f", "9d2a30abc5e178f7c6317ec9498dac39", "743d2288f21a70f46d7fd02346282bef", False),
    (231, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "505152535455565758595a5b", "", "202122232425262728292a2b2c2d2e2f", "9d2a30abc5e178f7c6317ec9498dac39", "00000000000000000000000000000000", False),
]


# --------------------------------------------------------------------------------------------------
# CCM from NIST SP 800-38C, block by block (the closed-form oracle)


def _aes_block(key: bytes) -> Callable[[bytes], bytes]:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update


def b0_flags(aad_present: bool, tag_length: int, nonce_length: int) -> int:
    """SP 800-38C A.2.1: Reserved || Adata || [(t - 2) / 2]_3 || [q - 1]_3."""
    q = 15 - nonce_length
    return (0x40 if aad_present else 0) | (((tag_length - 2) // 2) << 3) | (q - 1)


def ccm_by_hand(key: bytes, nonce: bytes, aad: bytes, payload: bytes, tag_length: int = 16) -> bytes:
    """C = ciphertext || tag of SP 800-38C 6.1 with the formatting of A.2 and counters of A.3."""
    block = _aes_block(key)
    n = len(nonce)
    q = 15 - n
    b = bytes([b0_flags(bool(aad), tag_length, n)]) + nonce + len(payload).to_bytes(q, "big")
    if aad:
        assert len(aad) < (1 << 16) - (1 << 8)  # A.2.2: two-octet encoding of a
        encoded = len(aad).to_bytes(2, "big") + aad
        b += encoded + bytes(-len(encoded) % 16)
    b += payload + bytes(-len(payload) % 16)
    y = bytes(16)
    for i in range(0, len(b), 16):  # 6.1 steps 3-4: CBC-MAC
        y = block(bytes(u ^ v for u, v in zip(b[i : i + 16], y, strict=True)))
    stream = b"".join(block(bytes([q - 1]) + nonce + i.to_bytes(q, "big")) for i in range(len(payload) // 16 + 2))
    ciphertext = bytes(p ^ s for p, s in zip(payload, stream[16:], strict=False))
    tag = bytes(t ^ s for t, s in zip(y[:tag_length], stream[:16], strict=False))
    return ciphertext + tag


# --------------------------------------------------------------------------------------------------
# Products, SAs and frames


@functools.cache
def spec_11() -> Any:
    return load_ref("sec-link-security@1.1.0").spec


def ccm_product(key: bytes, *sas: dict[str, Any]) -> ReferenceLinkSecurity:
    """The reference built from sec-link-security 1.1.0 with ``key`` active as key KEY_ID."""
    p = create(spec_11())
    p.load_key(KEY_ID, key)
    for sa in sas:
        p.configure_sa(sa)
    return p


def ccm_sa(**overrides: Any) -> dict[str, Any]:
    """An operational aes-256-ccm TC SA (segment header, FECF, 12-octet IV, 2-octet SN, full mask)."""
    sa: dict[str, Any] = {
        "spi": 9, "frame_type": "tc", "segment_header": True, "fecf": True,
        "service_type": "authenticated_encryption", "algorithm": CCM, "ekid": KEY_ID, "akid": None,
        "iv_length": 12, "sequence_number_length": 2, "pad_length_length": 0, "mac_length": 16,
        "authentication_bit_mask": "ff" * 64, "anti_replay_window": 8, "iv": "00" * 12,
        "sequence_number": "0000", "state": "operational",
    }
    sa.update(overrides)
    return sa


def fecf(data: bytes) -> bytes:
    """CRC-16 of CCSDS 232.0-B-4 4.1.4.2 (polynomial 0x1021, preset 0xFFFF) from binascii."""
    return binascii.crc_hqx(data, 0xFFFF).to_bytes(2, "big")


class Layout:
    """One frame type and options: header octets of a clear frame and where its length field is."""

    def __init__(self, frame_type: str, *, segment: bool = False, fecf: bool = True, ocf: bool = False, count: int = 1) -> None:
        self.frame_type, self.segment, self.fecf, self.ocf, self.count = frame_type, segment, fecf, ocf, count

    @property
    def name(self) -> str:
        return self.frame_type + "-seg" * self.segment + "-fecf" * self.fecf + "-ocf" * self.ocf + (f"-c{self.count}" if self.frame_type == "uslp" else "")

    def header(self, total: int, rng: np.random.Generator) -> bytes:
        """Primary (and segment) header of a frame of ``total`` octets, other fields random."""
        r = [int(x) for x in rng.integers(0, 1 << 16, size=6)]
        if self.frame_type == "tc":
            bits = (r[0] & 0x3) << 36 | (r[1] & 0x3FF) << 24 | (r[2] & 0x3F) << 18 | ((total - 1) & 0x3FF) << 8 | (r[3] & 0xFF)
            return bits.to_bytes(5, "big") + (bytes([r[4] & 0xFF]) if self.segment else b"")
        word = (0b1100 << 28) | (r[0] << 12) | ((r[1] & 1) << 11) | ((r[2] & 0x3F) << 5) | ((r[3] & 0xF) << 1)
        flags = (r[4] & 0xC0) | (0x08 if self.ocf else 0) | self.count
        vcf = rng.bytes(self.count)
        return word.to_bytes(4, "big") + (total - 1).to_bytes(2, "big") + bytes([flags]) + vcf

    def set_length(self, header: bytes, total: int) -> bytes:
        out = bytearray(header)
        if self.frame_type == "tc":
            out[2] = (out[2] & 0xFC) | ((total - 1) >> 8)
            out[3] = (total - 1) & 0xFF
        else:
            out[4:6] = (total - 1).to_bytes(2, "big")
        return bytes(out)


LAYOUTS = [
    Layout("tc", fecf=False), Layout("tc"), Layout("tc", segment=True), Layout("tc", segment=True, fecf=False),
    Layout("uslp", fecf=False), Layout("uslp"), Layout("uslp", ocf=True), Layout("uslp", ocf=True, fecf=False, count=0),
    Layout("uslp", count=7),
]


def sa_for(layout: Layout, rng: np.random.Generator, *, iv_length: int = 12, sn_length: int = 2, pad: int = 0,
           mask: bytes | None = None) -> dict[str, Any]:
    iv = int.from_bytes(rng.bytes(12), "big")
    sn = int.from_bytes(rng.bytes(sn_length), "big")
    return ccm_sa(
        frame_type=layout.frame_type, segment_header=layout.segment, fecf=layout.fecf, iv_length=iv_length,
        sequence_number_length=sn_length, pad_length_length=pad, iv=f"{iv:024x}",
        sequence_number=sn.to_bytes(sn_length, "big").hex(), anti_replay_window=8,
        authentication_bit_mask=(mask if mask is not None else b"\xff" * 64).hex(),
    )


def clear_frame(layout: Layout, data: bytes, rng: np.random.Generator, ocf: bytes = b"\x0c\xcf\x00\x01") -> bytes:
    """A clear frame as ApplySecurity takes it (its length field and FECF are not checked)."""
    tail = (ocf if layout.ocf else b"") + (b"\0\0" if layout.fecf else b"")
    frame = layout.header(5 + len(data) + len(tail), rng) + data + (ocf if layout.ocf else b"")
    return frame + (fecf(frame) if layout.fecf else b"")


def header_length(layout: Layout) -> int:
    return 5 + layout.segment if layout.frame_type == "tc" else 7 + layout.count


def protect_with_aesccm(layout: Layout, header: bytes, sa: dict[str, Any], key: bytes, data: bytes, iv: int, sn: int,
                        *, nonce: bytes | None = None, ocf: bytes = b"\x0c\xcf\x00\x01") -> bytes:
    """A protected frame built with ``cryptography``'s AESCCM from the spec's layout (SEC-AES-001/004,
    SEC-CCM-001/002): the nonce is the full IV unless ``nonce`` is given."""
    ivl, snl, pll = sa["iv_length"], sa["sequence_number_length"], sa["pad_length_length"]
    total = len(header) + 2 + ivl + snl + pll + len(data) + 16 + (4 if layout.ocf else 0) + (2 if layout.fecf else 0)
    header = layout.set_length(header, total)
    sec = sa["spi"].to_bytes(2, "big") + iv.to_bytes(12, "big")[12 - ivl :] + (sn.to_bytes(snl, "big") if snl else b"") + bytes(pll)
    abm = bytes.fromhex(sa["authentication_bit_mask"])
    aad = bytes(a & m for a, m in zip(header + sec, abm, strict=False))
    sealed = AESCCM(key).encrypt(nonce if nonce is not None else iv.to_bytes(12, "big"), data, aad)
    frame = header + sec + sealed + (ocf if layout.ocf else b"")
    return frame + (fecf(frame) if layout.fecf else b"")


def open_with_aesccm(layout: Layout, frame: bytes, sa: dict[str, Any], key: bytes, full_iv: int) -> tuple[bytes, bytes]:
    """(the payload AESCCM decrypts from a protected frame, its security header)."""
    hl = header_length(layout)
    ivl, snl, pll = sa["iv_length"], sa["sequence_number_length"], sa["pad_length_length"]
    start = hl + 2 + ivl + snl + pll
    end = len(frame) - (4 if layout.ocf else 0) - (2 if layout.fecf else 0)
    abm = bytes.fromhex(sa["authentication_bit_mask"])
    aad = bytes(a & m for a, m in zip(frame[:start], abm, strict=False))
    return AESCCM(key).decrypt(full_iv.to_bytes(12, "big"), frame[start:end], aad), frame[hl:start]


def rng_for(*words: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, *words]))


# --------------------------------------------------------------------------------------------------
# The cipher against published vectors and against SP 800-38C by hand


@pytest.mark.parametrize("vector", WYCHEPROOF, ids=[f"tc{v[0]}" for v in WYCHEPROOF])
def test_wycheproof_aes256_ccm(vector: tuple[int, str, str, str, str, str, str, bool]) -> None:
    """CcmCipher.seal is C = ciphertext || tag of the vector; open returns the payload of a valid
    vector and None (INVALID, SP 800-38C 6.2) for a modified tag."""
    _, key, iv, aad, msg, ct, tag, valid = (bytes.fromhex(v) if isinstance(v, str) else v for v in vector)
    cipher = crypto.CcmCipher(key)
    assert cipher.open(iv, ct + tag, aad) == (msg if valid else None)
    if valid:
        assert cipher.seal(iv, msg, aad) == ct + tag
    else:
        assert cipher.seal(iv, msg, aad) != ct + tag


def test_sp800_38c_by_hand_reproduces_the_vectors_and_the_reference() -> None:
    """The block-by-block CCM above reproduces every valid Wycheproof vector (so it is a sound
    oracle), and equals the reference's CcmCipher on random inputs around block boundaries."""
    for _, key, iv, aad, msg, ct, tag, valid in WYCHEPROOF:
        if valid:
            assert ccm_by_hand(bytes.fromhex(key), bytes.fromhex(iv), bytes.fromhex(aad), bytes.fromhex(msg)) == bytes.fromhex(ct + tag)
    rng = rng_for(1)
    for trial in range(40):
        key, nonce = rng.bytes(32), rng.bytes(12)
        aad = rng.bytes(int(rng.integers(1, 70)))
        msg = rng.bytes(int(rng.choice([0, 1, 15, 16, 17, 31, 32, 33, 100, 1000])))
        assert crypto.CcmCipher(key).seal(nonce, msg, aad) == ccm_by_hand(key, nonce, aad, msg), f"trial {trial}"


def test_ccm_parameters_are_sp800_38c_with_the_sdls_iv() -> None:
    """Parameter ccm_parameters of 1.1.0 is what A.2.1 gives for n = 12, t = 16 and non-empty A."""
    values = spec_11().parameter("ccm_parameters")
    n, t = values["nonce_length"], values["tag_length"]
    assert n == spec_11().parameter("gcm_iv_length") == crypto.IV_LENGTH
    assert values["length_field_length"] == 15 - n == crypto.CCM_LENGTH_FIELD
    assert t in spec_11().parameter("mac_lengths") and t == crypto.TAG_LENGTH
    assert values["b0_flags"] == b0_flags(True, t, n) == 0x7A
    assert spec_11().parameter("key_lengths")[CCM] == 32


def test_cipher_errors_and_keystream() -> None:
    """A key that is not 32 octets and a bad tag length are refused; there is no CCM GMAC
    (SEC-CCM-005); keystream_xor (for broken test products) is exactly the CTR part: it turns the
    ciphertext back into the payload without the tag."""
    with pytest.raises(ProvisioningError, match="32-octet"):
        crypto.CcmCipher(bytes(16))
    with pytest.raises(ProvisioningError, match="tag_length"):
        crypto.CcmCipher(bytes(32), tag_length=5)
    with pytest.raises(ProvisioningError, match="nonce"):
        crypto.CcmCipher(bytes(32)).seal(bytes(13), b"x", b"")
    assert crypto.CcmCipher(bytes(32)).open(bytes(13), bytes(20), b"") is None
    with pytest.raises(UnsupportedAlgorithm, match="SEC-CCM-005"):
        crypto.CcmCipher(bytes(32)).gmac(bytes(12), b"aad")
    with pytest.raises(ProvisioningError, match="not a GCM suite"):
        crypto.GcmCipher(CCM, bytes(32))
    assert isinstance(crypto.aead_cipher(CCM, bytes(32)), crypto.CcmCipher)
    rng = rng_for(2)
    key, nonce, msg = rng.bytes(32), rng.bytes(12), rng.bytes(77)
    sealed = AESCCM(key).encrypt(nonce, msg, b"header")
    assert crypto.CcmCipher(key).keystream_xor(nonce, sealed[:-16]) == msg


# --------------------------------------------------------------------------------------------------
# Frames, both ways, every frame type


@pytest.mark.parametrize("layout", LAYOUTS, ids=[lay.name for lay in LAYOUTS])
def test_apply_security_decrypted_by_aesccm(layout: Layout) -> None:
    """SEC-CCM-001/002/004: the reference's protected frames (random data 0 .. 600 octets, random
    IV, SN, pad length field and header mask) decrypt with AESCCM under the full IV and the masked
    AAD, with the length field and FECF of SEC-AES-004."""
    rng = rng_for(3, LAYOUTS.index(layout))
    key = rng.bytes(32)
    for trial in range(12):
        ivl = int(rng.choice([12, 8, 4, 1]))
        snl, pll = int(rng.integers(0, 5)), int(rng.integers(0, 3))
        mask = bytes(rng.integers(0, 256, size=header_length(layout), dtype=np.uint8)) + b"\xff" * 64
        sa = sa_for(layout, rng, iv_length=ivl, sn_length=snl, pad=pll, mask=mask)
        p = ccm_product(key, sa)
        iv, sn = int(sa["iv"], 16), int(sa["sequence_number"] or "0", 16)
        for n in range(2):
            data = rng.bytes(int(rng.integers(0, 600)))
            out = p.apply_security(clear_frame(layout, data, rng), sa["spi"])
            iv, sn = (iv + 1) % (1 << 96), (sn + 1) % (1 << (8 * snl))
            payload, sec = open_with_aesccm(layout, out, sa, key, iv)
            assert payload == data, f"trial {trial} frame {n}"
            assert sec == sa["spi"].to_bytes(2, "big") + iv.to_bytes(12, "big")[12 - ivl :] + (sn.to_bytes(snl, "big") if snl else b"") + bytes(pll)
            length = (((out[2] & 3) << 8) | out[3]) if layout.frame_type == "tc" else int.from_bytes(out[4:6], "big")
            assert length == len(out) - 1
            if layout.fecf:
                assert out[-2:] == fecf(out[:-2])


@pytest.mark.parametrize("layout", LAYOUTS, ids=[lay.name for lay in LAYOUTS])
def test_aesccm_frames_processed_by_the_reference(layout: Layout) -> None:
    """SEC-CCM-003/004: frames built with AESCCM are accepted with their payload (IV and SN one to
    four ahead, within the window); the same frame with one random bit of its data field or MAC
    flipped is rejected with bad_mac, no payload and no change of SA state."""
    rng = rng_for(4, LAYOUTS.index(layout))
    key = rng.bytes(32)
    for trial in range(10):
        ivl = int(rng.choice([12, 6, 2]))
        snl = int(rng.integers(0, 4))
        mask = bytes(rng.integers(0, 256, size=header_length(layout), dtype=np.uint8)) + b"\xff" * 64
        sa = sa_for(layout, rng, iv_length=ivl, sn_length=snl, mask=mask)
        p = ccm_product(key, sa)
        iv, sn = int(sa["iv"], 16), int(sa["sequence_number"] or "0", 16)
        for n in range(3):
            step = int(rng.integers(1, 5))
            iv, sn = (iv + step) % (1 << 96), (sn + step) % (1 << (8 * snl))
            data = rng.bytes(int(rng.integers(0, 400)))
            header = layout.header(5, rng)
            frame = protect_with_aesccm(layout, header, sa, key, data, iv, sn)
            body_start = header_length(layout) + 2 + ivl + snl
            body_end = len(frame) - (4 if layout.ocf else 0) - (2 if layout.fecf else 0)
            bit = int(rng.integers(8 * body_start, 8 * body_end))
            tampered = bytearray(frame)
            tampered[bit // 8] ^= 0x80 >> (bit % 8)
            if layout.fecf:
                tampered[-2:] = fecf(bytes(tampered[:-2]))
            bad = p.process_security(bytes(tampered))
            assert (bad["accepted"], bad["reason"], bad["payload"]) == (False, "bad_mac", None), f"trial {trial} frame {n} bit {bit}"
            good = p.process_security(frame)
            assert (good["accepted"], good["reason"], good["payload"]) == (True, None, data), f"trial {trial} frame {n}"


def test_nonce_is_the_full_iv_across_a_carry() -> None:
    """SEC-CCM-004: with 4 IV octets transmitted, the IV after ...FFFFFFFF carries into the
    untransmitted octets; both ApplySecurity and ProcessSecurity use the full IV as nonce, and a
    frame whose nonce is the transmitted octets alone is rejected."""
    layout = Layout("tc", segment=True)
    rng = rng_for(5)
    key = rng.bytes(32)
    start = 0x0102030405060708FFFFFFFF
    sa = sa_for(layout, rng, iv_length=4)
    sa["iv"] = f"{start:024x}"
    sender = ccm_product(key, sa)
    out = sender.apply_security(clear_frame(layout, b"carry", rng), sa["spi"])
    payload, sec = open_with_aesccm(layout, out, sa, key, start + 1)
    assert payload == b"carry" and sec[2:6] == bytes(4)
    receiver = ccm_product(key, sa)
    sn = int(sa["sequence_number"], 16)
    wrong = protect_with_aesccm(layout, layout.header(5, rng), sa, key, b"x", start + 1, sn + 1, nonce=bytes(12))
    assert receiver.process_security(wrong)["reason"] == "bad_mac"
    assert receiver.process_security(out)["payload"] == b"carry"


# --------------------------------------------------------------------------------------------------
# Versions, services, keys


def test_ccm_refused_by_the_reference_of_1_0_0() -> None:
    """1.0.0's configure_sa enum and key_lengths have no aes-256-ccm: the reference built for it
    (and the default reference, built for 1.0.0) refuses such an SA, naming the parameter."""
    for p in (create(load_ref("sec-link-security@1.0.0").spec), create(), ReferenceLinkSecurity()):
        p.load_key(KEY_ID, bytes(32))
        with pytest.raises(ProvisioningError, match="key_lengths"):
            p.configure_sa(ccm_sa())
        p.configure_sa(ccm_sa(algorithm="aes-256-gcm"))  # the same SA with GCM is fine
    assert create(spec_11()).params.algorithms == ("aes-256-gcm", "sm4-gcm", CCM)


@pytest.mark.parametrize("service", ["authentication", "encryption"])
def test_ccm_other_services_refused(service: str) -> None:
    """SEC-CCM-005: only the authenticated-encryption service with aes-256-ccm."""
    p = ccm_product(bytes(32))
    with pytest.raises(ProvisioningError, match="service_type"):
        p.configure_sa(ccm_sa(service_type=service, ekid=None, akid=KEY_ID))


@pytest.mark.parametrize("length", [16, 24])
def test_ccm_key_of_another_length_unusable(length: int) -> None:
    """SEC-CCM-006: an AES-128/192 key under an aes-256-ccm SA: ApplySecurity refuses,
    ProcessSecurity answers key_not_active to an AES-128/192-CCM frame."""
    rng = rng_for(6, length)
    short = rng.bytes(length)
    layout = Layout("tc", segment=True)
    sa = sa_for(layout, rng)
    p = ccm_product(short, sa)
    with pytest.raises(KeyStateError):
        p.apply_security(clear_frame(layout, b"data", rng), sa["spi"])
    sn = int(sa["sequence_number"], 16)
    frame = protect_with_aesccm(layout, layout.header(5, rng), sa, short, b"data", int(sa["iv"], 16) + 1, sn + 1)
    assert p.process_security(frame)["reason"] == "key_not_active"


def test_gcm_and_ccm_sas_side_by_side() -> None:
    """One 1.1.0 reference holds a GCM and a CCM SA under the same key: each frame is protected by
    its SA's algorithm (AESGCM decrypts the one, AESCCM the other)."""
    layout = Layout("uslp")
    rng = rng_for(7)
    key = rng.bytes(32)
    ccm = sa_for(layout, rng)
    gcm = dict(sa_for(layout, rng), spi=10, algorithm="aes-256-gcm")
    p = ccm_product(key, ccm, gcm)
    data = rng.bytes(40)
    out_c = p.apply_security(clear_frame(layout, data, rng), 9)
    out_g = p.apply_security(clear_frame(layout, data, rng), 10)
    assert open_with_aesccm(layout, out_c, ccm, key, int(ccm["iv"], 16) + 1)[0] == data
    hl = header_length(layout)
    start = hl + 2 + 12 + 2
    iv_g = (int(gcm["iv"], 16) + 1).to_bytes(12, "big")
    assert AESGCM(key).decrypt(iv_g, out_g[start:-2], out_g[:start]) == data


def test_parameters_checked() -> None:
    """SecurityParameters: ccm_parameters other than SP 800-38C's values for this profile, or
    aes-256-ccm in key_lengths without ccm_parameters (or the reverse), are refused."""
    values = {name: p.value for name, p in spec_11().parameters.items()}
    assert SecurityParameters.from_spec_parameters(values).ccm_parameters == values["ccm_parameters"]
    for bad in ({"nonce_length": 13}, {"tag_length": 8}, {"b0_flags": 0x5A}):
        with pytest.raises(ProvisioningError, match="ccm_parameters"):
            SecurityParameters.from_spec_parameters(dict(values, ccm_parameters=dict(values["ccm_parameters"], **bad)))
    without = {k: v for k, v in values.items() if k != "ccm_parameters"}
    with pytest.raises(ProvisioningError, match="ccm_parameters"):
        SecurityParameters.from_spec_parameters(without)
    with pytest.raises(ProvisioningError, match="key_lengths"):
        SecurityParameters.from_spec_parameters(dict(values, key_lengths=dict(values["key_lengths"], **{CCM: 16})))
