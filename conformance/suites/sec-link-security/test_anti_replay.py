"""Conformance suite of sec-link-security, class ``anti-replay`` (CCSDS 355.0-B-2 4.2.2.2 and
4.2.3.3, NIST SP 800-38D 8.3).

The windows are exactly those of SEC-ARP-001 (sequence number: 1 <= (s - last) mod 2^(8n) <= W)
and SEC-ARP-002 (IV: d = (t - last) mod 2^(8 iv_length), 1 <= d <= W, full IV last + d mod 2^96),
checked at their edges and across wrap-around, with frames whose MAC verifies (the oracle of
``conftest.py`` computes them with ``cryptography``). Every rejection must leave the SA unchanged
(SEC-ARP-003): after it, the frame that would have been next is still accepted and one beyond
the window still rejected. AES-256-GCM authenticated encryption, TC and USLP frames; TM and AOS
are not exercised by this suite version.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitcert.conformance import inconclusive

WINDOW = 8


def _frame(model: Any, spi: int, data: bytes, dsn: int, div: int, *, corrupt: bool = False, base: Any = None) -> bytes:
    """A frame of SA ``spi`` with sequence number last + dsn and full IV last + div (``base``: the
    SA state they are relative to, default the model's current one); ``corrupt`` flips a MAC bit."""
    sa = base if base is not None else model.sas[spi]
    frame = model.protect(spi, data, iv=(sa.iv + div) % (1 << 96), sn=(sa.sn + dsn) % sa.sn_modulus)
    if corrupt:
        end = len(frame) - sa.tail_length()
        frame = model.refecf(spi, frame[:end] + bytes([frame[end] ^ 0x01]) + frame[end + 1 :])
    return bytes(frame)


@pytest.mark.requirement("SEC-ARP-001")
@pytest.mark.parametrize("sn_length", [1, 2, 4, 8])
def test_sequence_number_window_edges(model: Any, ftype: Any, sn_length: int, data_field: Any) -> None:
    """355.0-B-2 4.2.3.3: last+1 and last+W accepted; last, last+W+1 and last-1 rejected with
    bad_sequence_number although their MAC verifies; the window wraps modulo 2^(8n)."""
    modulus = 1 << (8 * sn_length)
    sa = model.new_sa(ftype, sn_length=sn_length, sn=modulus - 3, window=WINDOW)
    w = sa.window
    base = model.snapshot(sa.spi)
    for dsn in (1, w, 0, w + 1, modulus - 1, modulus // 2):
        if dsn >= modulus:
            continue
        model.configure(base)
        frame = _frame(model, sa.spi, data_field(12, 300), dsn, 1)
        got = model.process(frame, f"last {base.sn:#x}, window {w}, received {(base.sn + dsn) % modulus:#x}: ")
        assert got["accepted"] == (1 <= dsn <= w)


@pytest.mark.requirement("SEC-ARP-001")
def test_sequence_number_judged_whether_or_not_mac_verifies(model: Any, ftype: Any, data_field: Any) -> None:
    """SEC-ARP-001: outside the window the reason is bad_sequence_number, with a good or a bad MAC."""
    sa = model.new_sa(ftype, sn_length=4, window=WINDOW)
    w = sa.window
    for dsn in (0, w + 1):
        for corrupt in (False, True):
            frame = _frame(model, sa.spi, data_field(12, 310), dsn, 1, corrupt=corrupt)
            model.process(frame, f"sequence number last+{dsn}, {'bad' if corrupt else 'good'} MAC: ")


@pytest.mark.requirement("SEC-ARP-001", "SEC-ARP-002")
@pytest.mark.parametrize("sn_length", [4, 0])
def test_valid_replay_rejected(model: Any, ftype: Any, sn_length: int, data_field: Any) -> None:
    """355.0-B-2 4.2.3.3: a frame accepted once is rejected when received again (bad_sequence_number;
    bad_iv where the SA has no sequence number), and so is an older one."""
    sa = model.new_sa(ftype, sn_length=sn_length, window=WINDOW)
    frames = [model.protect(sa.spi, data_field(12, 320 + n)) for n in range(1)]
    first = frames[0]
    model.process(first, "first reception: ")
    second = model.protect(sa.spi, data_field(12, 321))
    model.process(second, "next frame: ")
    model.process(second, "the same frame again: ")
    model.process(first, "the older frame again: ")


@pytest.mark.requirement("SEC-ARP-002")
@pytest.mark.parametrize("iv_length", [12, 4, 1])
@pytest.mark.parametrize("sn_length", [0, 2])
def test_iv_window_edges(model: Any, ftype: Any, iv_length: int, sn_length: int, data_field: Any) -> None:
    """355.0-B-2 4.2.3.3, SP 800-38D 8.3: d = (t - last) mod 2^(8 iv_length); d = 1 and d = W
    accepted (the full IV last + d, with a carry into untransmitted octets, verified by the MAC);
    d = 0, W+1 and -1 rejected with bad_iv (sequence number within its window)."""
    m = 1 << (8 * iv_length)
    last = (1 << 96) - 3 if iv_length == 12 else (0x00A1B2C3D4E5F60718293A4B & ~(m - 1)) | (m - 3)
    sa = model.new_sa(ftype, iv_length=iv_length, sn_length=sn_length, iv=last, window=WINDOW)
    w = sa.window
    base = model.snapshot(sa.spi)
    for div in (1, w, 0, w + 1, m - 1):
        model.configure(base)
        frame = _frame(model, sa.spi, data_field(12, 330), 1, div)
        got = model.process(frame, f"IV last {last:024x}, window {w}, d = {div}: ")
        assert got["accepted"] == (1 <= div <= w)


@pytest.mark.requirement("SEC-ARP-002")
def test_checks_in_order_sequence_number_iv_mac(model: Any, ftype: Any, data_field: Any) -> None:
    """SEC-ARP-002: the sequence number is checked before the IV, the IV before the MAC."""
    sa = model.new_sa(ftype, sn_length=4, window=WINDOW)
    w = sa.window
    cases = [(0, 0, True, "bad_sequence_number"), (w + 1, w + 1, False, "bad_sequence_number"), (1, 0, True, "bad_iv"), (1, w + 1, True, "bad_iv"), (1, 1, True, "bad_mac")]
    for dsn, div, corrupt, reason in cases:
        got = model.process(_frame(model, sa.spi, data_field(12, 340), dsn, div, corrupt=corrupt), f"SN last+{dsn}, IV last+{div}, {'bad' if corrupt else 'good'} MAC: ")
        assert got["reason"] == reason


REJECTIONS = ["bad_mac", "bad_sequence_number", "bad_iv", "malformed", "key_not_active", "invalid_spi"]


@pytest.mark.requirement("SEC-ARP-003")
@pytest.mark.parametrize("kind", REJECTIONS)
def test_rejection_leaves_sa_unchanged(model: Any, ftype: Any, kind: str, data_field: Any) -> None:
    """355.0-B-2 4.2.3.3: after a rejected frame (of each reason), the frame that would have been
    next is still accepted and frames beyond the original window still rejected."""
    sa = model.new_sa(ftype, sn_length=4, window=WINDOW)
    w = sa.window
    base = model.snapshot(sa.spi)
    data = data_field(12, 350)
    model.window_premise(sa.spi, data)
    if kind == "bad_mac":
        bad = _frame(model, sa.spi, data, 3, 3, corrupt=True)
    elif kind == "bad_sequence_number":
        bad = _frame(model, sa.spi, data, 0, 2)
    elif kind == "bad_iv":
        bad = _frame(model, sa.spi, data, 2, w + 1)
    elif kind == "malformed":
        good = _frame(model, sa.spi, data, 2, 2)
        bad = _wrong_length(model, sa, good)
    elif kind == "key_not_active":
        bad = _frame(model, sa.spi, data, 2, 2)
        key, _ = model.keys[sa.key_id]
        model.load_key(sa.key_id, key, "deactivated")
    else:
        good = _frame(model, sa.spi, data, 2, 2)
        hl = ftype.header_length
        bad = good[:hl] + model.alloc.unused_spi().to_bytes(2, "big") + good[hl + 2 :]
    model.process(bad, f"{kind} frame: ", premise="the SEC-AES, SEC-ARP-001/002 and SEC-KEY-001 tests")
    if kind == "key_not_active":
        model.load_key(sa.key_id, model.keys[sa.key_id][0], "active")
    model.process(_frame(model, sa.spi, data, w + 1, 1, base=base), f"after the {kind} rejection, sequence number last+W+1: ")
    model.process(_frame(model, sa.spi, data, 1, w + 1, base=base), f"after the {kind} rejection, IV last+W+1: ")
    model.process(_frame(model, sa.spi, data, 1, 1, base=base), f"after the {kind} rejection, the next frame (last+1): ")


def _wrong_length(model: Any, sa: Any, frame: bytes) -> bytes:
    lay = sa.layout
    first, n = lay.length_field()
    value = int.from_bytes(frame, "big") ^ (1 << (8 * len(frame) - first - n))  # lowest length bit
    return bytes(model.refecf(sa.spi, value.to_bytes(len(frame), "big")))


@pytest.mark.requirement("SEC-ARP-003")
def test_accepted_frame_sets_sequence_number_and_iv(model: Any, ftype: Any, data_field: Any) -> None:
    """355.0-B-2 4.2.3.3: an accepted frame with sequence number last+3 and IV last+5 sets both: the
    same sequence number is then a replay, the same IV too, and last+4 / last+6 is accepted."""
    sa = model.new_sa(ftype, sn_length=4, window=WINDOW, iv_length=4)
    if sa.window < 6:
        inconclusive(f"the product's largest window ({sa.window}) is below the 6 this test needs")
    base = model.snapshot(sa.spi)
    data = data_field(12, 360)
    model.window_premise(sa.spi, data)
    model.process(_frame(model, sa.spi, data, 3, 5, base=base), "SN last+3, IV last+5: ")
    model.process(_frame(model, sa.spi, data, 3, 6, base=base), "SN last+3 again: ")
    model.process(_frame(model, sa.spi, data, 4, 5, base=base), "IV last+5 again: ")
    got = model.process(_frame(model, sa.spi, data, 4, 6, base=base), "SN last+4, IV last+6: ")
    assert got["accepted"]


@pytest.mark.requirement("SEC-ARP-004")
@pytest.mark.parametrize("sn_length", [1, 2, 4, 8])
def test_apply_transmits_next_sequence_number(model: Any, iut: Any, ftype: Any, sn_length: int, data_field: Any) -> None:
    """355.0-B-2 4.2.2.2: ApplySecurity sends last+1 modulo 2^(8n) (wrapping to 0) and stores it:
    the receiver side of the same SA then takes the next one only."""
    modulus = 1 << (8 * sn_length)
    sa = model.new_sa(ftype, sn_length=sn_length, sn=modulus - 2, window=WINDOW)
    model.window_premise(sa.spi, data_field(12, 375))
    hl = ftype.header_length
    sent = []
    for n in range(3):
        out = model.apply(ftype.clear_frame(data_field(12, 370 + n)), sa.spi, f"apply {n}: ")
        sent.append(int.from_bytes(out[hl + 2 + sa.iv_length : hl + 2 + sa.iv_length + sn_length], "big"))
    assert sent == [modulus - 1, 0, 1], f"sequence numbers sent {sent}, expected {[modulus - 1, 0, 1]}"
    model.process(_frame(model, sa.spi, data_field(12, 375), 0, 1), "a frame with the last sequence number sent: ")
    model.process(_frame(model, sa.spi, data_field(12, 376), 1, 1), "a frame with the next sequence number: ")


@pytest.mark.requirement("SEC-ARP-001", "SEC-ARP-002", "SEC-ARP-003")
def test_random_frame_streams(model: Any, ftype: Any, data_field: Any) -> None:
    """Property: any stream of frames with sequence-number and IV offsets around the window, with
    good or bad MACs, gets exactly the spec's verdicts (the oracle tracks the SA state)."""
    sa = model.new_sa(ftype, iv_length=2, sn_length=1, window=WINDOW, sn=0xF8, iv=0x00000000000000000000FFF0)
    base = model.snapshot(sa.spi)
    w = sa.window
    data = data_field(12, 380)
    offsets = st.integers(min_value=-2, max_value=w + 2)

    @given(st.lists(st.tuples(offsets, offsets, st.booleans()), min_size=1, max_size=12))
    def check(stream: list[tuple[int, int, bool]]) -> None:
        model.configure(base)
        for i, (dsn, div, corrupt) in enumerate(stream):
            model.process(_frame(model, sa.spi, data, dsn, div, corrupt=corrupt), f"frame {i} of {stream}: ")

    check()


@pytest.mark.requirement("SEC-ARP-003", "SEC-KEY-006")
def test_rejections_leave_arsn_unchanged(model: Any, ep: Any, ftype: Any, data_field: Any) -> None:
    """SEC-ARP-003 seen through read ARSN (SEC-KEY-006): unchanged by rejected frames, set to the
    accepted frame's sequence number."""
    sa = model.new_sa(ftype, sn_length=4, window=WINDOW, sn=0x01020304)
    data = data_field(12, 390)
    model.window_premise(sa.spi, data)
    w = sa.window
    for dsn, div, corrupt in ((3, 3, True), (0, 1, False), (w + 1, 1, False), (2, w + 1, False)):
        model.process(_frame(model, sa.spi, data, dsn, div, corrupt=corrupt), f"SN last+{dsn}, IV last+{div}: ")
        arsn = ep.arsn_of(sa.spi, 4)
        assert arsn == (0x01020304).to_bytes(4, "big"), f"ARSN {arsn.hex()} after a rejected frame, expected 01020304"
    model.process(_frame(model, sa.spi, data, 5, 5), "SN last+5: ")
    arsn = ep.arsn_of(sa.spi, 4)
    assert arsn == (0x01020309).to_bytes(4, "big"), f"ARSN {arsn.hex()} after accepting 01020309"


@pytest.mark.requirement("SEC-ARP-001", "SEC-ARP-002")
@pytest.mark.parametrize("iv_length", [12, 4])
def test_tampered_sequence_number_and_iv_reasons(model: Any, ftype: Any, iv_length: int, data_field: Any) -> None:
    """SEC-ARP-001/002: each single-bit change of the sequence number or transmitted IV gives
    bad_sequence_number or bad_iv when it leaves the window, bad_mac when it stays inside."""
    sa = model.new_sa(ftype, iv_length=iv_length, sn_length=2, sn=0x0100, iv=0x0A0B0C0D0E0F101112130100, window=WINDOW)
    frame = model.protect(sa.spi, data_field(12, 400))
    r = model.regions(sa.spi, frame)
    seen = model.flips(sa.spi, frame, r["sn"] + r["iv"], "tamper: ")
    assert {"bad_sequence_number", "bad_iv", "bad_mac"} <= set(seen), f"internal: flips gave only {seen}"
