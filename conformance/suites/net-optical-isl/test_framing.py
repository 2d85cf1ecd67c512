"""Conformance suite of net-optical-isl, class ``framing``: USLP transfer frames (CCSDS 732.1-B-2
4.1) and space packets (CCSDS 133.0-B-2 4.1) in fixed-length frames.

Every check is made against the orbitcert reference (:mod:`orbitcert.reference_impl.optical.uslp`
and :mod:`~orbitcert.reference_impl.optical.packets`, themselves checked against spacepackets in
orbitcert's own tests) or recomputed here from the octets the product returned (first header
pointers from the packet lengths, FECFs over the product's own octets), with the constants of the
spec under test. Each test looks only at the part of the octets its requirement governs, so a
product with one deviation fails the requirement it breaks. Frames and packets come from seeded
generators: every run makes the same ones.

The tests run with every VC frame count length and FECF option the spec allows; those the ICS
does not declare (``uslp_vcf_count_lengths``, ``uslp_crc32``) are not applicable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.conformance import refusal
from orbitcert.reference_impl.frames import fecf as crc16
from orbitcert.reference_impl.optical import packets as ref_packets
from orbitcert.reference_impl.optical import uslp as ref
from orbitcert.reference_impl.optical.packets import ChannelConfig, SpacePacket
from orbitcert.reference_impl.optical.uslp import FramingError, FramingParameters, UslpFrame
from orbitcert.specs import Ics, Spec


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``vcf_count_length``: every c the spec allows (0..7), not applicable where the ICS does not
    declare it; ``fecf``: crc16, and crc32 applicable only with ``uslp_crc32``."""
    if "vcf_count_length" in metafunc.fixturenames:
        metafunc.parametrize(
            "vcf_count_length",
            [
                pytest.param(c, id=f"c{c}", marks=pytest.mark.applies_if(f"{c} in uslp_vcf_count_lengths"))
                for c in range(8)
            ],
        )
    if "fecf" in metafunc.fixturenames:
        metafunc.parametrize(
            "fecf",
            [
                pytest.param("crc16", id="crc16"),
                pytest.param("crc32", id="crc32", marks=pytest.mark.applies_if("uslp_crc32")),
            ],
        )


@pytest.fixture(scope="module")
def fp(spec: Spec) -> FramingParameters:
    """The framing constants of the spec version under test."""
    return FramingParameters.from_spec(spec)


@pytest.fixture(scope="module")
def counts(ics: Ics) -> list[int]:
    """The VC frame count lengths the product declares (at least one)."""
    declared = sorted(int(c) for c in ics.items.get("uslp_vcf_count_lengths", []) or [])
    return declared or [0]


@pytest.fixture(scope="module")
def max_frame(ics: Ics, fp: FramingParameters) -> int:
    """The longest frame the product declares (ICS ``uslp_max_frame_length``)."""
    return min(int(ics.items.get("uslp_max_frame_length", 1024) or 1024), fp.max_frame_length)


@pytest.fixture(scope="module")
def max_zone(max_frame: int) -> int:
    """Zone length of the random frames: at most 60 octets, and every frame within the declared
    maximum whatever its header options (25 octets of overhead at most)."""
    return max(1, min(60, max_frame - 25))


@pytest.fixture(scope="module")
def make_config(max_frame: int) -> Any:
    """``_config`` with the frame length capped at the longest frame the product declares."""

    def make(**kw: Any) -> ChannelConfig:
        return _config(**{**kw, "frame_length": min(int(kw.get("frame_length", 256)), max_frame)})

    return make


@pytest.fixture(scope="module")
def ocf_supported(ics: Ics) -> bool:
    return bool(ics.items.get("uslp_ocf", False))


def _fecf_len(fecf: str) -> int:
    return ref.fecf_length(fecf)


def _random_frames(seed: int, c: int, n: int = 16, ocf: bool = False, max_zone: int = 60) -> list[UslpFrame]:
    """Frames with every construction rule, distinct field values, seeded."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        rule = i % 8
        out.append(
            UslpFrame(
                scid=int(rng.integers(0, 1 << 16)),
                source_dest=int(rng.integers(0, 2)),
                vcid=int(rng.integers(0, 64)),
                map_id=int(rng.integers(0, 16)),
                bypass=int(rng.integers(0, 2)),
                protocol_command=int(rng.integers(0, 2)),
                vcf_count_length=c,
                vcf_count=int(rng.integers(0, 1 << 62)) % (1 << (8 * c)) if c else 0,
                construction_rule=rule,
                protocol_id=int(rng.integers(0, 32)),
                first_header_pointer=int(rng.integers(0, 1 << 16)) if rule <= 2 else None,
                data=rng.integers(0, 256, int(rng.integers(1, max_zone + 1)), dtype=np.uint8).tobytes(),
                ocf=rng.integers(0, 256, 4, dtype=np.uint8).tobytes() if ocf and i % 2 == 0 else None,
            )
        )
    return out


def _built(iut: Any, frames: list[UslpFrame], fecf: str) -> list[bytes]:
    out = iut.uslp_build([f.as_fields() for f in frames], fecf)
    assert len(out) == len(frames), f"{len(frames)} frames asked for, {len(out)} returned"
    return [bytes(o) for o in out]


def _crc(data: bytes, fecf: str, fp: FramingParameters) -> bytes:
    if fecf == "crc16":
        return crc16(data, fp.crc16_polynomial, fp.crc16_initial).to_bytes(2, "big")
    return ref.crc32(data, fp.crc32_polynomial, fp.crc32_initial).to_bytes(4, "big")


def _packets(seed: int, n: int, max_data: int, apids: tuple[int, int] = (0, 0x7FE)) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [
        ref_packets.build_packet(
            SpacePacket(
                int(rng.integers(0, 2)),
                int(rng.integers(0, 2)),
                int(rng.integers(*apids)),
                int(rng.integers(0, 4)),
                i % 0x4000,
                rng.integers(0, 256, int(rng.integers(1, max_data + 1)), dtype=np.uint8).tobytes(),
            )
        )
        for i in range(n)
    ]


def _config(
    c: int = 1, frame_length: int = 256, fecf: str = "crc16", ocf: bytes | None = None, count: int = 0
) -> ChannelConfig:
    return ChannelConfig(
        scid=0x2A5,
        vcid=12,
        map_id=3,
        frame_length=frame_length,
        vcf_count_length=c,
        vcf_count=count,
        ocf=ocf,
        fecf=fecf,
    )


def _as_mapping(config: ChannelConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in ChannelConfig.__slots__}


def _pointers_by_walking(lengths: list[int], zone: int, frames: int) -> list[int]:
    """First header pointer of each TFDZ, from the packet lengths (732.1-B-2 4.1.4.2.4.3/4)."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    out = []
    for j in range(frames):
        inside = starts[(starts >= j * zone) & (starts < (j + 1) * zone)]
        out.append(int(inside[0] - j * zone) if inside.size else 0xFFFF)
    return out


# --- transfer frames: the product builds ----------------------------------------------------------


@pytest.mark.requirement("OISL-FRM-001")
def test_primary_header_fields_and_order(
    iut: Any, max_zone: int, fp: FramingParameters, vcf_count_length: int, fecf: str
) -> None:
    """Octets 0..3 (version, SCID, source/destination, VCID, MAP ID, end of header flag) and the flags
    of octet 6 (bypass, PCC, spares, OCF flag) equal those of the reference for the same fields."""
    frames = _random_frames(101 + vcf_count_length, vcf_count_length, max_zone=max_zone)
    for i, (f, out) in enumerate(zip(frames, _built(iut, frames, fecf), strict=True)):
        expected = ref.build_frame(f, fecf, fp)
        assert len(out) >= 7, f"frame {i}: {len(out)} octets, shorter than a primary header"
        assert out[:4] == expected[:4], f"frame {i}: octets 0..3 {out[:4].hex()} != {expected[:4].hex()} for {f}"
        assert out[6] & 0xF8 == expected[6] & 0xF8, f"frame {i}: octet 6 flags {out[6]:08b} != {expected[6]:08b}"


@pytest.mark.requirement("OISL-FRM-001", "OISL-FRM-002", "OISL-FRM-003", "OISL-FRM-004")
@pytest.mark.applies_if("2 in uslp_vcf_count_lengths")
def test_hand_assembled_known_answer(iut: Any) -> None:
    """A frame assembled by hand from 732.1-B-2 4.1 (not by the reference): version 1100, SCID
    0xABCD, source, VC 5, MAP 3, not truncated (CABCD0A6); frame length 18 (19 octets); bypass 0,
    PCC 0, spares 00, OCF 0, c = 2 (02); count 0x0102; rule 000, protocol id 00000, FHP 0 (000000);
    zone "hello"; CRC-16 FECF 1F02 (fastcrc's CRC-16/IBM-3740 of the 17 octets)."""
    fields = UslpFrame(
        scid=0xABCD, vcid=5, map_id=3, vcf_count_length=2, vcf_count=0x0102, first_header_pointer=0, data=b"hello"
    ).as_fields()
    expected = bytes.fromhex("CABCD0A60012020102000000") + b"hello" + bytes.fromhex("1F02")
    (out,) = _built(iut, [UslpFrame(**fields)], "crc16")
    assert out == expected, f"{out.hex()} != {expected.hex()}"
    parsed = iut.uslp_parse([expected], "crc16")
    assert len(parsed) == 1 and parsed[0].get("error") is None, f"the known frame was rejected: {parsed}"
    assert {k: parsed[0].get(k) for k in fields} == fields, f"fields {parsed[0]} != {fields}"


@pytest.mark.requirement("OISL-FRM-002")
def test_frame_length_and_vc_frame_count(
    iut: Any, max_zone: int, fp: FramingParameters, vcf_count_length: int, fecf: str
) -> None:
    """Frame length field = octets - 1; VC frame count length c in octet 6; the count in c octets."""
    c = vcf_count_length
    frames = _random_frames(202 + c, c, max_zone=max_zone)
    for i, (f, out) in enumerate(zip(frames, _built(iut, frames, fecf), strict=True)):
        expected = ref.build_frame(f, fecf, fp)
        assert len(out) == len(expected), f"frame {i}: {len(out)} octets, expected {len(expected)}"
        assert (out[4] << 8 | out[5]) == len(out) - 1, (
            f"frame {i}: frame length field {out[4] << 8 | out[5]} for a frame of {len(out)} octets"
        )
        assert out[6] & 0x07 == c, f"frame {i}: VC frame count length {out[6] & 7}, expected {c}"
        assert out[7 : 7 + c] == f.vcf_count.to_bytes(c, "big"), f"frame {i}: VC frame count {out[7 : 7 + c].hex()}"


@pytest.mark.requirement("OISL-FRM-002")
def test_longest_declared_frame(iut: Any, fp: FramingParameters, max_frame: int, counts: list[int]) -> None:
    """A frame of the longest length the ICS declares (uslp_max_frame_length) both ways."""
    c = counts[-1]
    zone = max_frame - ref.frame_overhead(c, 0, False, "crc16")
    f = UslpFrame(
        scid=7,
        vcf_count_length=c,
        vcf_count=(1 << (8 * c)) - 1 if c else 0,
        first_header_pointer=0,
        data=np.random.default_rng(5).integers(0, 256, zone, dtype=np.uint8).tobytes(),
    )
    (out,) = _built(iut, [f], "crc16")
    expected = ref.build_frame(f, "crc16", fp)
    assert out == expected, "the longest declared frame differs from the reference's"
    parsed = iut.uslp_parse([expected], "crc16")
    assert len(parsed) == 1 and parsed[0].get("error") is None, f"the longest declared frame was rejected: {parsed}"
    assert parsed[0].get("data") == f.data, "the longest declared frame's data zone was altered"


@pytest.mark.requirement("OISL-FRM-003")
def test_tfdf_header_and_pointer_presence(
    iut: Any, max_zone: int, fp: FramingParameters, vcf_count_length: int, fecf: str
) -> None:
    """After the primary header: the TFDF header (rule, protocol id, pointer iff rule 000/001/010)
    and the data zone, octet for octet as the reference places them."""
    c = vcf_count_length
    frames = _random_frames(303 + c, c, max_zone=max_zone)
    for i, (f, out) in enumerate(zip(frames, _built(iut, frames, fecf), strict=True)):
        expected = ref.build_frame(f, fecf, fp)
        start, end = 7 + c, len(expected) - _fecf_len(fecf)
        assert out[start:end] == expected[start:end], (
            f"frame {i} (rule {f.construction_rule:03b}): TFDF header/zone differ: "
            f"{out[start : start + 3].hex()} != {expected[start : start + 3].hex()}"
        )


@pytest.mark.requirement("OISL-FRM-004")
def test_crc16_fecf_over_all_preceding_octets(
    iut: Any, max_zone: int, fp: FramingParameters, counts: list[int]
) -> None:
    for c in counts:
        frames = _random_frames(404 + c, c, max_zone=max_zone)
        for i, out in enumerate(_built(iut, frames, "crc16")):
            assert len(out) > 2 and out[-2:] == _crc(out[:-2], "crc16", fp), (
                f"c={c} frame {i}: FECF {out[-2:].hex()} is not the CRC-16 of the {len(out) - 2} octets before it"
            )


@pytest.mark.requirement("OISL-FRM-005")
def test_crc32_fecf_over_all_preceding_octets(
    iut: Any, max_zone: int, fp: FramingParameters, counts: list[int]
) -> None:
    for c in counts:
        frames = _random_frames(505 + c, c, max_zone=max_zone)
        for i, out in enumerate(_built(iut, frames, "crc32")):
            assert len(out) > 4 and out[-4:] == _crc(out[:-4], "crc32", fp), (
                f"c={c} frame {i}: FECF {out[-4:].hex()} is not the CRC-32 of the {len(out) - 4} octets before it"
            )


@pytest.mark.requirement("OISL-FRM-006")
def test_ocf_before_the_fecf(iut: Any, max_zone: int, fp: FramingParameters, counts: list[int], fecf: str) -> None:
    """OCF flag 1 and the 4 OCF octets just before the FECF (flag 0 and no OCF without one), and
    the product's parser hands the OCF back intact."""
    frames = _random_frames(606, counts[0], ocf=True, max_zone=max_zone)
    n = _fecf_len(fecf)
    built = _built(iut, frames, fecf)
    for i, (f, out) in enumerate(zip(frames, built, strict=True)):
        assert len(out) > 7 + n, f"frame {i}: {len(out)} octets"
        assert bool(out[6] & 0x08) == (f.ocf is not None), f"frame {i}: OCF flag {out[6] >> 3 & 1} with ocf={f.ocf!r}"
        if f.ocf is not None:
            assert out[-n - 4 : -n] == f.ocf, f"frame {i}: octets before the FECF are {out[-n - 4 : -n].hex()}"
    reference_frames = [ref.build_frame(f, fecf, fp) for f in frames]
    for i, (f, parsed) in enumerate(zip(frames, iut.uslp_parse(reference_frames, fecf), strict=True)):
        assert parsed.get("error") is None, f"frame {i}: product rejected a good frame ({parsed.get('error')})"
        assert parsed.get("ocf") == f.ocf, f"frame {i}: OCF {parsed.get('ocf')!r} != {f.ocf!r}"


@pytest.mark.requirement("OISL-FRM-002")
def test_uslp_build_refuses_what_the_header_cannot_hold(
    iut: Any, fp: FramingParameters, counts: list[int], fecf: str
) -> None:
    """A VC frame count that does not fit in c octets (2^(8c), for every declared c) and a frame
    one octet longer than the 65,536 a 16-bit frame length field can announce are refused, each
    alone in its call: truncating the count or wrapping the frame length field modulo 2^16 would
    send a frame whose header contradicts the request (interface: fields out of range are refused)."""
    for c in counts:
        fields = UslpFrame(vcf_count_length=c, vcf_count=1 << (8 * c), first_header_pointer=0, data=b"abc").as_fields()
        assert refusal(iut.uslp_build, [fields], fecf) is not None, (
            f"c={c}: VC frame count {1 << (8 * c)} does not fit in {c} octets, yet the frame was built"
        )
    c = counts[0]
    over = fp.max_frame_length + 1
    zone = over - ref.frame_overhead(c, 0, False, fecf)
    fields = UslpFrame(vcf_count_length=c, first_header_pointer=0, data=bytes(zone)).as_fields()
    assert refusal(iut.uslp_build, [fields], fecf) is not None, (
        f"a frame of {over} octets (more than {fp.max_frame_length}) was built"
    )


@pytest.mark.requirement("OISL-FRM-006")
def test_uslp_build_refuses_an_ocf_not_of_4_octets(iut: Any, counts: list[int], fecf: str) -> None:
    """The OCF is 4 octets (732.1-B-2 4.1.5): an OCF of 3 or 5 octets is refused, not written as given."""
    for n in (3, 5):
        fields = UslpFrame(
            vcf_count_length=counts[0], first_header_pointer=0, data=b"abc", ocf=bytes(range(1, n + 1))
        ).as_fields()
        assert refusal(iut.uslp_build, [fields], fecf) is not None, f"an OCF of {n} octets was accepted"


# --- transfer frames: the product parses ------------------------------------------------------------


@pytest.mark.requirement("OISL-FRM-001", "OISL-FRM-002", "OISL-FRM-003")
def test_product_parses_reference_frames(
    iut: Any, max_zone: int, fp: FramingParameters, vcf_count_length: int, fecf: str, ocf_supported: bool
) -> None:
    frames = _random_frames(707 + vcf_count_length, vcf_count_length, ocf=ocf_supported, max_zone=max_zone)
    octets = [ref.build_frame(f, fecf, fp) for f in frames]
    parsed = iut.uslp_parse(octets, fecf)
    assert len(parsed) == len(frames), f"{len(frames)} frames given, {len(parsed)} results"
    for i, (f, p) in enumerate(zip(frames, parsed, strict=True)):
        assert p.get("error") is None, f"frame {i}: good frame rejected with {p.get('error')!r}"
        got = {k: p.get(k) for k in f.as_fields()}
        wrong = {k: (got[k], v) for k, v in f.as_fields().items() if got[k] != v}
        assert not wrong, f"frame {i}: fields (got, expected) {wrong}"


@pytest.mark.requirement("OISL-FRM-007")
def test_malformed_frames_are_rejected_with_their_code(
    iut: Any, fp: FramingParameters, counts: list[int], fecf: str, max_zone: int
) -> None:
    """Each bad frame, between good ones in the same batch, gets exactly its documented code
    (spec parameter ``uslp_decode_error_codes``) and no fields."""
    c = counts[-1]
    n = _fecf_len(fecf)
    zone = max(12, max_zone)
    good = ref.build_frame(
        UslpFrame(
            scid=99,
            vcid=4,
            vcf_count_length=c,
            vcf_count=1 if c else 0,
            first_header_pointer=0,
            data=bytes(range(zone)),
        ),
        fecf,
        fp,
    )

    def refecf(body: bytes) -> bytes:
        return body + _crc(body, fecf, fp)

    flipped = bytearray(good)
    flipped[7 + c + 10] ^= 0x10
    short_length = bytearray(good[:-n])
    short_length[4:6] = (len(good) - 2).to_bytes(2, "big")
    tiny = bytearray(good[: 7 + c + 1])
    tiny[4:6] = (len(tiny) - 1).to_bytes(2, "big")
    # rule 000 announces a 3-octet TFDF header; the frame length leaves room for 1 octet of it
    no_pointer = bytearray(good[: 7 + c + 1])
    no_pointer[4:6] = (len(no_pointer) + n - 1).to_bytes(2, "big")
    # OCF flag 1, the frame length leaves room for the 3-octet TFDF header and the FECF, not the OCF
    no_ocf = bytearray(good[: 7 + c + 3])
    no_ocf[6] |= 0x08
    no_ocf[4:6] = (len(no_ocf) + n - 1).to_bytes(2, "big")

    def with_octet6(bits: int) -> bytes:
        return good[:6] + bytes([good[6] | bits]) + good[7:-n]

    cases = {
        "cut to 5 octets": (good[:5], "truncated"),
        "last octet missing": (good[:-1], "truncated"),
        "one octet too many": (good + b"\x00", "length"),
        "length field one short (FECF recomputed)": (refecf(bytes(short_length)), "length"),
        "frame length leaves no room for TFDF header and FECF": (bytes(tiny), "length"),
        "version 1101": (refecf(bytes([good[0] | 0x10]) + good[1:-n]), "version"),
        "version 0000": (refecf(bytes([good[0] & 0x0F]) + good[1:-n]), "version"),
        "truncated header flag": (refecf(good[:3] + bytes([good[3] | 1]) + good[4:-n]), "header"),
        "reserve spares 11": (refecf(with_octet6(0x30)), "header"),
        "reserve spares 01": (refecf(with_octet6(0x10)), "header"),
        "reserve spares 10": (refecf(with_octet6(0x20)), "header"),
        "rule 000, frame length room for 1 TFDF octet only (FECF good)": (refecf(bytes(no_pointer)), "length"),
        "OCF flag 1, frame length without room for the OCF (FECF good)": (refecf(bytes(no_ocf)), "length"),
        # two faults: the first check of parameter uslp_decode_error_codes names the error
        "version 1101 and one octet too many": (refecf(bytes([good[0] | 0x10]) + good[1:-n]) + b"\x00", "version"),
        "reserve spares 01 and last octet missing": (refecf(with_octet6(0x10))[:-1], "header"),
        "truncated header flag and one octet too many": (
            refecf(good[:3] + bytes([good[3] | 1]) + good[4:-n]) + b"\x00",
            "header",
        ),
        "one octet too many and FECF inverted": (good[:-n] + bytes(b ^ 0xFF for b in good[-n:]) + b"\x00", "length"),
        "one bit flipped in the zone": (bytes(flipped), "fecf"),
        "FECF inverted": (good[:-n] + bytes(b ^ 0xFF for b in good[-n:]), "fecf"),
    }
    batch = [good]
    for octets, _ in cases.values():
        batch += [octets, good]
    results = iut.uslp_parse(batch, fecf)
    assert len(results) == len(batch), f"{len(batch)} frames given, {len(results)} results"
    for i in range(0, len(batch), 2):
        assert results[i].get("error") is None and results[i].get("data") == bytes(range(zone)), (
            f"good frame at {i} not parsed: {results[i].get('error')!r}"
        )
    for k, (name, (_, code)) in enumerate(cases.items()):
        got = results[2 * k + 1]
        assert got.get("error") == code, f"{name}: error {got.get('error')!r}, expected {code!r}"
        assert set(got) == {"error"}, f"{name}: fields delivered from a rejected frame: {sorted(set(got) - {'error'})}"


@pytest.mark.requirement("OISL-FRM-007", "OISL-FRM-012")
def test_rejected_frames_deliver_nothing(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]) -> None:
    """Frames failing decode are counted as rejected, and no packet with octets from them comes out."""
    config = make_config(c=counts[-1], frame_length=128)
    pk = _packets(8, 12, 60)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    bad = {1, 3}
    received = [f[:20] + bytes([f[20] ^ 0x01]) + f[21:] if i in bad else f for i, f in enumerate(frames)]
    result = iut.frames_to_packets(received, _as_mapping(config))
    assert result["rejected"] == len(bad), f"rejected {result['rejected']}, {len(bad)} frames were corrupted"
    delivered = [bytes(p) for p in result["packets"]]
    for p in delivered:
        assert p in pk, f"delivered a packet that was not sent ({len(p)} octets: from a rejected frame?)"


# --- space packets ------------------------------------------------------------------------------------


@pytest.mark.requirement("OISL-FRM-008")
def test_space_packet_primary_header(iut: Any) -> None:
    rng = np.random.default_rng(808)
    packets = [
        SpacePacket(
            int(rng.integers(0, 2)),
            int(rng.integers(0, 2)),
            int(rng.integers(0, 0x800)),
            int(rng.integers(0, 4)),
            int(rng.integers(0, 0x4000)),
            rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8).tobytes(),
        )
        for _ in range(24)
    ] + [SpacePacket(1, 1, 0x7FF, 3, 0x3FFF, b"\xa5"), SpacePacket(0, 0, 0, 0, 0, bytes(65536))]
    out = iut.packets_build([p.as_fields() for p in packets])
    assert len(out) == len(packets), f"{len(packets)} packets asked for, {len(out)} returned"
    for i, (p, o) in enumerate(zip(packets, out, strict=True)):
        expected = ref_packets.build_packet(p)
        assert bytes(o[:6]) == expected[:6], f"packet {i}: header {bytes(o[:6]).hex()} != {expected[:6].hex()}"
        assert bytes(o) == expected, f"packet {i}: {len(o)} octets, expected {len(expected)} (data field altered?)"
    assert len(out[-1]) == 65542, "the longest packet (65,536 data octets) must be 65,542 octets"


@pytest.mark.requirement("OISL-FRM-008")
def test_over_long_and_empty_packets_are_refused(iut: Any) -> None:
    for n in (65537, 0):
        p = SpacePacket(0, 0, 5, 3, 0, bytes(n)).as_fields()
        assert refusal(iut.packets_build, [p]) is not None, f"a packet data field of {n} octets was accepted"


# --- packets in fixed-length frames: the product multiplexes ------------------------------------------


def _check_multiplexed(
    frames: list[bytes], packets: list[bytes], config: ChannelConfig, fp: FramingParameters
) -> tuple[bytes, list[int]]:
    """The zone stream of the product's frames and their pointers, after the checks that do not
    depend on the pointer (every frame good, of the channel, rule 000, protocol id 00000)."""
    t = config.zone_length
    zones, pointers = b"", []
    for j, octets in enumerate(frames):
        assert len(octets) == config.frame_length, f"frame {j}: {len(octets)} octets, not {config.frame_length}"
        try:
            f = ref.parse_frame(octets, config.fecf, fp)
        except FramingError as exc:
            raise AssertionError(f"frame {j} does not decode: {exc}") from None
        assert (f.scid, f.vcid, f.map_id) == (config.scid, config.vcid, config.map_id), f"frame {j}: wrong channel"
        assert f.construction_rule == fp.construction_rule_packets, (
            f"frame {j}: construction rule {f.construction_rule:03b}"
        )
        assert f.protocol_id == fp.protocol_id_space_packets, f"frame {j}: protocol id {f.protocol_id:05b}"
        assert len(f.data) == t
        zones += f.data
        pointers.append(f.first_header_pointer if f.first_header_pointer is not None else -1)
    stream = b"".join(packets)
    assert zones[: len(stream)] == stream, "the frames do not carry the packets contiguously and in order"
    return zones, pointers


@pytest.mark.requirement("OISL-FRM-009")
def test_first_header_pointer(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str) -> None:
    """Short and long packets (some longer than a frame): each frame's pointer is the offset of the
    first header starting in its zone, all ones where none starts."""
    config = make_config(c=counts[0], frame_length=200, fecf=fecf)
    pk = _packets(909, 10, 60) + _packets(910, 3, 900) + _packets(911, 10, 30)
    frames = [bytes(f) for f in iut.packets_to_frames(pk, _as_mapping(config))]
    zones, pointers = _check_multiplexed(frames, pk, config, fp)
    lengths = [len(p) for p in pk]
    rest = len(zones) - sum(lengths)
    if rest:
        lengths.append(rest)
    expected = _pointers_by_walking(lengths, config.zone_length, len(frames))
    wrong = [(j, got, exp) for j, (got, exp) in enumerate(zip(pointers, expected, strict=True)) if got != exp]
    assert not wrong, f"(frame, pointer, expected) {wrong[:5]}"
    assert fp.fhp_no_header in expected, "test data must include a frame in which no header starts"


def _multiplexed(iut: Any, packets: list[bytes], config: ChannelConfig, fp: FramingParameters) -> list[UslpFrame]:
    """The product's frames for ``packets``, each decoded by the reference (a frame that does not
    decode fails the test)."""
    out = []
    for j, octets in enumerate(iut.packets_to_frames(packets, _as_mapping(config))):
        try:
            out.append(ref.parse_frame(bytes(octets), config.fecf, fp))
        except FramingError as exc:
            raise AssertionError(f"frame {j} does not decode: {exc}") from None
    assert out, "no frame for a non-empty list of packets"
    return out


@pytest.mark.requirement("OISL-FRM-009")
def test_multiplexed_frames_are_user_data_of_the_source(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str
) -> None:
    """Every frame carrying the packets is a sequence-controlled (bypass flag 0) user data frame
    (protocol control command flag 0) whose SCID names the source (source-or-destination id 0):
    interface ``packets_to_frames``; 732.1-B-2 4.1.2.4, 4.1.2.8.1, 4.1.2.8.2."""
    config = make_config(c=counts[-1], frame_length=100, fecf=fecf)
    for j, f in enumerate(_multiplexed(iut, _packets(915, 12, 120), config, fp)):
        flags = {"source_dest": f.source_dest, "bypass": f.bypass, "protocol_command": f.protocol_command}
        assert flags == {"source_dest": 0, "bypass": 0, "protocol_command": 0}, f"frame {j}: {flags}"


@pytest.mark.requirement("OISL-FRM-006")
def test_multiplexed_frames_carry_the_configured_ocf(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str
) -> None:
    """With config.ocf set, every frame carries exactly those 4 octets as its OCF."""
    ocf = b"\x5a\xc3\x0f\x81"
    config = make_config(c=counts[0], frame_length=100, fecf=fecf, ocf=ocf)
    for j, f in enumerate(_multiplexed(iut, _packets(916, 10, 120), config, fp)):
        assert f.ocf == ocf, f"frame {j}: OCF {f.ocf.hex() if f.ocf is not None else None}, configured {ocf.hex()}"


@pytest.mark.requirement("OISL-FRM-010")
def test_no_packets_no_frames(iut: Any, make_config: Any, counts: list[int]) -> None:
    """Nothing to flush, nothing to fill: no packets give no frames (interface ``packets_to_frames``)."""
    out = iut.packets_to_frames([], _as_mapping(make_config(c=counts[0], frame_length=100)))
    assert list(out) == [], f"{len(out)} frame(s) sent for no packets"


@pytest.mark.requirement("OISL-FRM-010")
@pytest.mark.parametrize("rest", [0, 1, 2, 3, 4, 5, 6, 7, 40])
def test_idle_fill(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], rest: int) -> None:
    """The last zone is completed with one idle packet (APID all ones) by the rule of parameter
    ``uslp_idle_fill_rule``: none when the packets end with a zone; r octets when r >= 7 remain;
    r + T octets, spanning one more frame, when 1 <= r <= 6 remain."""
    config = make_config(c=counts[0], frame_length=160)
    t = config.zone_length
    rest = min(rest, t - 1)  # a short declared maximum frame: keep r below the zone length
    pk = _packets(1010, 3, 40)
    used = sum(len(p) for p in pk)
    pk.append(ref_packets.build_packet(SpacePacket(0, 0, 0x123, 3, 0, bytes((-used - rest) % t + t - 6))))
    used = sum(len(p) for p in pk)
    assert -used % t == rest
    frames = [bytes(f) for f in iut.packets_to_frames(pk, _as_mapping(config))]
    zones, pointers = _check_multiplexed(frames, pk, config, fp)
    expected_frames = used // t + (0 if rest == 0 else 1 if rest >= 7 else 2)
    assert len(frames) == expected_frames, f"{len(frames)} frames for {used} octets with r = {rest}"
    if rest:
        idle = zones[used:]
        assert len(idle) >= 7 and idle[0] >> 5 == 0, "the fill is not a space packet"
        apid = (idle[0] & 0x07) << 8 | idle[1]
        assert apid == fp.idle_apid, f"fill packet APID {apid:#x}, not the idle APID {fp.idle_apid:#x}"
        assert ref_packets.packet_length(idle) == len(idle), (
            f"idle packet of {ref_packets.packet_length(idle)} octets does not fill the {len(idle)} remaining"
        )


@pytest.mark.requirement("OISL-FRM-010", "OISL-FRM-011")
def test_idle_packets_are_never_delivered(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]) -> None:
    config = make_config(c=counts[0], frame_length=96)
    idle = [ref_packets.idle_packet(n) for n in (7, 30, 200)]
    user = _packets(1011, 4, 50)
    pk = [idle[0], user[0], idle[1], user[1], user[2], idle[2], user[3]]
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    result = iut.frames_to_packets(frames, _as_mapping(config))
    assert [bytes(p) for p in result["packets"]] == user, "idle packets delivered, or user packets lost"


@pytest.mark.requirement("OISL-FRM-009", "OISL-FRM-011")
def test_product_multiplexes_reference_extracts(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str, ocf_supported: bool
) -> None:
    for c in counts:
        config = make_config(
            c=c,
            frame_length=256,
            fecf=fecf,
            ocf=b"\x01\x02\x03\x04" if ocf_supported else None,
            count=(1 << (8 * c)) - 3 if c else 0,
        )
        pk = _packets(1100 + c, 25, 500)
        frames = [bytes(f) for f in iut.packets_to_frames(pk, _as_mapping(config))]
        packets, rejected = ref_packets.demultiplex(frames, config, fp)
        assert rejected == 0, f"c={c}: the reference rejected {rejected} of the product's frames"
        assert packets == pk, f"c={c}: {len(packets)} packets rebuilt from the product's frames, {len(pk)} sent"


# --- packets in fixed-length frames: the product extracts ---------------------------------------------


@pytest.mark.requirement("OISL-FRM-011")
def test_product_extracts_across_frame_boundaries(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str, max_frame: int
) -> None:
    """Packets shorter and longer than a frame, headers split across frames, and the 65,542-octet
    maximum: every packet once, whole, in order."""
    c = counts[-1]
    config = make_config(c=c, frame_length=min(max_frame, 1024), fecf=fecf)
    pk = _packets(1111, 30, 80) + [ref_packets.build_packet(SpacePacket(0, 0, 77, 3, 1, bytes(range(256)) * 256))]
    pk += _packets(1112, 10, 3000)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    result = iut.frames_to_packets(frames, _as_mapping(config))
    assert result["rejected"] == 0, f"{result['rejected']} good frames rejected"
    got = [bytes(p) for p in result["packets"]]
    assert len(got) == len(pk), f"{len(got)} packets delivered, {len(pk)} sent"
    for i, (a, b) in enumerate(zip(got, pk, strict=True)):
        assert a == b, f"packet {i} ({len(b)} octets) delivered as {len(a)} octets / altered"


@pytest.mark.requirement("OISL-FRM-011")
def test_random_chunkings(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]) -> None:
    """Random packet lengths and frame lengths: the product rebuilds exactly the packets sent."""

    @given(seed=st.integers(0, 2**31 - 1), frame_length=st.integers(40, 400))
    def check(seed: int, frame_length: int) -> None:
        rng = np.random.default_rng(seed)
        config = make_config(c=counts[seed % len(counts)], frame_length=frame_length)
        pk = _packets(seed, int(rng.integers(1, 20)), int(rng.integers(1, 600)))
        frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
        result = iut.frames_to_packets(frames, _as_mapping(config))
        assert [bytes(p) for p in result["packets"]] == pk and result["rejected"] == 0

    check()


@pytest.mark.requirement("OISL-FRM-012")
def test_resynchronization_after_lost_and_rejected_frames(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]
) -> None:
    """A seeded channel drops and corrupts frames. The product delivers only packets that were sent,
    each at most once, in order; it rejects exactly the corrupted frames; and it delivers every
    packet whose frames all arrived good (it resynchronizes at the next first header pointer)."""
    usable = [c for c in counts if c > 0]
    c = usable[0] if usable else 0  # without a VC frame count a lost frame cannot be seen: corrupt only
    config = make_config(c=c, frame_length=120)
    t = config.zone_length
    pk = _packets(1212, 80, 250)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    rng = np.random.default_rng(1213)
    fate = rng.choice(["good", "lost", "corrupt"], size=len(frames), p=[0.75, 0.15, 0.10] if c else [0.8, 0.0, 0.2])
    fate[0] = "good"
    received = []
    for f, what in zip(frames, fate, strict=True):
        if what == "lost":
            continue
        received.append(f if what == "good" else f[:30] + bytes([f[30] ^ 0x04]) + f[31:])
    result = iut.frames_to_packets(received, _as_mapping(config))
    assert result["rejected"] == int((fate == "corrupt").sum()), (
        f"rejected {result['rejected']}, {(fate == 'corrupt').sum()} frames were corrupted"
    )
    index = {p: i for i, p in enumerate(pk)}
    delivered = [bytes(p) for p in result["packets"]]
    partial = [len(p) for p in delivered if p not in index]
    assert not partial, f"{len(partial)} delivered packets were never sent (partial or spliced), lengths {partial[:5]}"
    positions = [index[p] for p in delivered]
    assert positions == sorted(set(positions)), "packets delivered twice or out of order"
    starts = np.concatenate(([0], np.cumsum([len(p) for p in pk])[:-1]))
    missing = [
        i
        for i, p in enumerate(pk)
        if all(fate[int(starts[i]) // t : (int(starts[i]) + len(p) - 1) // t + 1] == "good") and i not in positions
    ]
    assert not missing, f"packets carried only by good frames were not delivered: {missing[:10]}"


@pytest.mark.requirement("OISL-FRM-012")
def test_spliced_packet_after_lost_frame(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]) -> None:
    """A frame lost in the middle of a long packet: the rest of that packet must be discarded, not
    joined to the octets of a later frame (the VC frame count shows the gap; a product declaring
    no VC frame count gets a rejected frame instead)."""
    usable = [c for c in counts if c > 0]
    config = make_config(c=usable[0] if usable else 0, frame_length=64)
    t = config.zone_length
    long = ref_packets.build_packet(SpacePacket(0, 0, 1, 3, 0, bytes(range(256)) * 2))
    after = _packets(1214, 6, 20)
    pk = [long] + after
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    lost = 2  # inside the long packet
    assert len(long) > (lost + 1) * t
    # lost (the count shows the gap); without a VC frame count, corrupted instead (rejected)
    middle = [] if usable else [frames[lost][:12] + bytes([frames[lost][12] ^ 0x80]) + frames[lost][13:]]
    result = iut.frames_to_packets(frames[:lost] + middle + frames[lost + 1 :], _as_mapping(config))
    delivered = [bytes(p) for p in result["packets"]]
    assert long not in delivered and all(p in pk for p in delivered), "a partial or spliced packet was delivered"
    assert delivered == [p for p in after if p in delivered], "packets out of order"
    assert delivered, "nothing delivered after resynchronization"


@pytest.mark.requirement("OISL-FRM-013")
def test_vc_frame_count_increments_modulo(
    iut: Any, make_config: Any, fp: FramingParameters, vcf_count_length: int
) -> None:
    """Counts of consecutive frames: start, start + 1, ... modulo 2^(8c), wrapping in the run."""
    c = vcf_count_length
    if c == 0:
        config = make_config(c=0, frame_length=64)
        frames = [bytes(f) for f in iut.packets_to_frames(_packets(1313, 6, 80), _as_mapping(config))]
        assert frames and all(f[6] & 7 == 0 for f in frames), "c = 0: a frame has a VC frame count"
        return
    start = (1 << (8 * c)) - 3
    config = make_config(c=c, frame_length=64, count=start)
    frames = [bytes(f) for f in iut.packets_to_frames(_packets(1313, 6, 80), _as_mapping(config))]
    assert len(frames) >= 5, "test data must span the wrap-around"
    for j, f in enumerate(frames):
        got = int.from_bytes(f[7 : 7 + c], "big")
        assert f[6] & 7 == c and got == (start + j) % (1 << (8 * c)), (
            f"frame {j}: VC frame count {got} (length {f[6] & 7}), expected {(start + j) % (1 << (8 * c))}"
        )


# --- the receiver: frames not of the channel, counts, pointers, OCF, APIDs ----------------------------


def _channel_frame(
    config: ChannelConfig, fp: FramingParameters, zone: bytes, pointer: int, count: int, **changes: Any
) -> bytes:
    """A frame of ``config``'s channel layout (reference-built, good FECF) with ``changes`` to its fields."""
    fields = {**config.template(fp).as_fields(), "vcf_count": count, "first_header_pointer": pointer, "data": zone}
    return ref.build_frame(UslpFrame(**{**fields, **changes}), config.fecf, fp)


def _distinct_packets(n: int, length: int, apid: int = 0x155) -> list[bytes]:
    """``n`` packets of ``length`` octets whose data fields all differ (packet i is octets i+1)."""
    return [
        ref_packets.build_packet(SpacePacket(0, 0, apid, 3, i, bytes([(i * 37 + 1) % 256]) * (length - 6)))
        for i in range(n)
    ]


@pytest.mark.requirement("OISL-FRM-012")
def test_frames_not_of_the_channel_are_rejected(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]
) -> None:
    """One frame that is not of the configured channel, or not a packet frame, or whose pointer is
    out of range (interface ``frames_to_packets``: another SCID, VCID or MAP; construction rule 001;
    protocol id 11111, idle data; pointer T or 0xFFFE), good FECF, between the frames of a stream:
    it is counted as rejected and the packet filling its zone is not delivered. What becomes of a
    packet in progress is not checked (a receiver that first demultiplexes by VC keeps it)."""
    config = make_config(c=counts[-1], frame_length=128)
    t = config.zone_length
    pk = _packets(1215, 14, 60)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    at = 3
    assert len(frames) > at + 1
    foreign = ref_packets.build_packet(SpacePacket(0, 0, 0x0C3, 3, 77, b"\xee" * (t - 6)))
    count = (config.vcf_count + at) % config.count_modulus
    cases: dict[str, dict[str, Any]] = {
        "SCID": {"scid": config.scid ^ 0x0100},
        "VCID": {"vcid": config.vcid ^ 0x01},
        "MAP ID": {"map_id": config.map_id ^ 0x01},
        "construction rule 001": {"construction_rule": 1},
        "protocol id 11111 (idle data)": {"protocol_id": 0x1F},
        "first header pointer T": {"first_header_pointer": t},
        "first header pointer 0xFFFE": {"first_header_pointer": 0xFFFE},
    }
    wrong = []
    for name, changes in cases.items():
        odd = _channel_frame(config, fp, foreign, 0, count, **changes)
        result = iut.frames_to_packets(frames[:at] + [odd] + frames[at:], _as_mapping(config))
        delivered = [bytes(p) for p in result["packets"]]
        if result["rejected"] != 1:
            wrong.append(f"{name}: rejected {result['rejected']}, expected 1")
        if foreign in delivered:
            wrong.append(f"{name}: the packet of the foreign frame was delivered")
        elif any(p not in pk for p in delivered):
            wrong.append(f"{name}: delivered a packet that was never sent (spliced with the foreign frame's octets?)")
    assert not wrong, "; ".join(wrong)


@pytest.mark.requirement("OISL-FRM-012")
def test_break_discards_the_partial_packet(
    iut: Any, make_config: Any, fp: FramingParameters, vcf_count_length: int
) -> None:
    """Packets of exactly 2T octets (each starts a zone: pointers 0, 0xFFFF, 0, ...). Frames 1 and
    2 are lost (c > 0: only the VC frame count gap shows it) or, with c = 0, corrupted (only their
    rejection shows it): the first half of packet 0 and the second half of packet 1 would make a
    packet of the right length. Packets 0 and 1 are not delivered, every later one is."""
    c = vcf_count_length
    config = make_config(c=c, frame_length=64)
    pk = _distinct_packets(6, 2 * config.zone_length)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    assert len(frames) == 12
    if c:
        received, what = frames[:1] + frames[3:], "the count gap"
    else:
        bad = [f[:20] + bytes([f[20] ^ 0x40]) + f[21:] for f in frames[1:3]]
        received, what = frames[:1] + bad + frames[3:], "the rejected frames"
    result = iut.frames_to_packets(received, _as_mapping(config))
    if not c:
        assert result["rejected"] == 2, f"rejected {result['rejected']}, 2 frames were corrupted"
    delivered = [bytes(p) for p in result["packets"]]
    spliced = [len(p) for p in delivered if p not in pk]
    assert not spliced, f"delivered {len(spliced)} packet(s) never sent, spliced across {what}"
    assert delivered == pk[2:], f"delivered packets {[pk.index(p) for p in delivered]}, expected 2..5"


@pytest.mark.requirement("OISL-FRM-012")
def test_pointer_contradicting_the_packet_in_progress(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]
) -> None:
    """Frame 0 of stream A starts a 3T-octet packet; the next frames, counts continuing, are those
    of stream B from its frame 1, whose pointer 0 says a header starts there, not inside A's
    packet: A's partial packet is discarded and B's packets from frame 1 on are delivered."""
    c = counts[0]
    config = make_config(c=c, frame_length=64)
    t = config.zone_length
    stream_a = _distinct_packets(2, 3 * t, apid=0x2AA)
    stream_b = _distinct_packets(1, t, apid=0x133) + _packets(1216, 10, 70)
    frames_a = [r.tobytes() for r in ref_packets.multiplex(stream_a, config, fp)]
    frames_b = [r.tobytes() for r in ref_packets.multiplex(stream_b, config, fp)]
    assert ref.parse_frame(frames_b[1], config.fecf, fp).first_header_pointer == 0
    result = iut.frames_to_packets(frames_a[:1] + frames_b[1:], _as_mapping(config))
    delivered = [bytes(p) for p in result["packets"]]
    assert result["rejected"] == 0, f"rejected {result['rejected']} good frames"
    assert not [p for p in delivered if p not in stream_b], "delivered stream A's packet, spliced with B's octets"
    assert delivered == stream_b[1:], (
        f"{len(delivered)} packets delivered, expected B's {len(stream_b) - 1} from frame 1"
    )


@pytest.mark.requirement("OISL-FRM-011", "OISL-FRM-013")
def test_extraction_across_the_count_wrap(iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]) -> None:
    """For every declared c > 0 the stream starts at count 2^(8c) - 3 and wraps to 0 in the middle
    of packets: the count after 2^(8c) - 1 is 0, no gap, every packet delivered."""
    for c in [c for c in counts if c > 0]:
        config = make_config(c=c, frame_length=64, count=(1 << (8 * c)) - 3)
        pk = _packets(1300 + c, 8, 90)
        frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
        assert len(frames) >= 5
        result = iut.frames_to_packets(frames, _as_mapping(config))
        got = [bytes(p) for p in result["packets"]]
        assert result["rejected"] == 0 and got == pk, (
            f"c={c}: {len(got)} of {len(pk)} packets delivered across the wrap, {result['rejected']} rejected"
        )


@pytest.mark.requirement("OISL-FRM-006", "OISL-FRM-011")
def test_extraction_with_an_ocf(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int], fecf: str
) -> None:
    """Frames carrying an OCF (between the TFDZ and the FECF): every packet delivered."""
    config = make_config(c=counts[-1], frame_length=100, fecf=fecf, ocf=b"\x01\x02\x03\x04")
    pk = _packets(1217, 16, 150)
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    result = iut.frames_to_packets(frames, _as_mapping(config))
    got = [bytes(p) for p in result["packets"]]
    assert result["rejected"] == 0 and got == pk, (
        f"{len(got)} of {len(pk)} packets delivered from frames with an OCF, {result['rejected']} rejected"
    )


@pytest.mark.requirement("OISL-FRM-010", "OISL-FRM-011")
def test_user_apids_ending_in_all_ones_are_delivered(
    iut: Any, make_config: Any, fp: FramingParameters, counts: list[int]
) -> None:
    """Only APID 0x7FF is idle (133.0-B-2 4.1.3.3.4.4): user packets of APIDs 0x0FF, 0x1FF, 0x3FF,
    0x6FF and 0x7FE are delivered, the idle packets between them are not."""
    config = make_config(c=counts[0], frame_length=80)
    user = [
        ref_packets.build_packet(SpacePacket(0, 0, apid, 3, i, bytes([i + 1]) * (11 + 9 * i)))
        for i, apid in enumerate((0x0FF, 0x1FF, 0x3FF, 0x6FF, 0x7FE))
    ]
    pk = [user[0], user[1], ref_packets.idle_packet(20), user[2], user[3], ref_packets.idle_packet(9), user[4]]
    frames = [r.tobytes() for r in ref_packets.multiplex(pk, config, fp)]
    got = [bytes(p) for p in iut.frames_to_packets(frames, _as_mapping(config))["packets"]]
    assert got == user, (
        f"delivered APIDs {[((p[0] & 7) << 8 | p[1]) for p in got]}, sent {[0x0FF, 0x1FF, 0x3FF, 0x6FF, 0x7FE]}"
    )
