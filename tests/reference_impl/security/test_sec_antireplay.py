"""Anti-replay of the reference (CCSDS 355.0-B-2 4.2.3.3; SEC-ARP-001..004): exact window edges,
wrap-around of the sequence number and of the transmitted IV octets, replays whose MAC verifies,
and a state machine checked against a tiny independent model of the SA state."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sec_helpers import make_sa, product, refix_fecf, tc_clear

DATA = b"anti-replay"


def _frame_with(sa: dict[str, Any], *, iv: int, sn: int) -> bytes:
    """A frame protected under ``sa`` with exactly full IV ``iv`` and sequence number ``sn``."""
    n = sa["sequence_number_length"]
    tx = product(dict(sa, iv=((iv - 1) % (1 << 96)).to_bytes(12, "big").hex(),
                      sequence_number=((sn - 1) % (1 << (8 * n))).to_bytes(n, "big").hex() if n else ""))
    return tx.apply_security(tc_clear(DATA), sa["spi"])


@pytest.mark.parametrize(("step", "accepted"), [(0, False), (1, True), (7, True), (8, False), (200, False)])
def test_sequence_number_window_edges(step: int, accepted: bool) -> None:
    """SEC-ARP-001: last+1 and last+W accepted; last and last+W+1 rejected (bad_sequence_number)."""
    last_sn, last_iv = 0x1230, 0x77
    sa = make_sa(anti_replay_window=7, sequence_number=f"{last_sn:04x}", iv=f"{last_iv:024x}")
    frame = _frame_with(sa, iv=last_iv + 1, sn=last_sn + step)
    rx = product(sa)
    result = rx.process_security(frame)
    assert result["accepted"] is accepted
    record = rx.sas.get(5)
    assert record is not None
    if accepted:
        assert (record.sn, record.iv) == (last_sn + step, last_iv + 1)
    else:
        assert result["reason"] == "bad_sequence_number" and (record.sn, record.iv) == (last_sn, last_iv)


@pytest.mark.parametrize(("step", "accepted"), [(0, False), (1, True), (7, True), (8, False)])
def test_iv_window_edges(step: int, accepted: bool) -> None:
    """SEC-ARP-002: d = 1 and d = W accepted; d = 0 (replayed IV) and W + 1 rejected (bad_iv)."""
    sa = make_sa(anti_replay_window=7, sequence_number_length=0, sequence_number="", iv=f"{0xABC:024x}")
    result = product(sa).process_security(_frame_with(sa, iv=0xABC + step, sn=0))
    assert result["accepted"] is accepted
    if not accepted:
        assert result["reason"] == "bad_iv"


def test_sequence_number_wraps() -> None:
    """SEC-ARP-001/004 modulo 2^(8n): after FE, 01 is 3 ahead; apply wraps FF -> 00."""
    sa = make_sa(sequence_number_length=1, sequence_number="fe", anti_replay_window=5)
    frame = _frame_with(sa, iv=1, sn=0x01)
    rx = product(sa)
    assert rx.process_security(frame)["accepted"]
    record = rx.sas.get(5)
    assert record is not None and record.sn == 0x01
    tx = product(make_sa(sequence_number_length=1, sequence_number="fe"))
    sns = [tx.apply_security(tc_clear(DATA), 5)[20] for _ in range(3)]
    assert sns == [0xFF, 0x00, 0x01]


def test_transmitted_iv_wraps_and_carries_into_the_untransmitted_part() -> None:
    """SEC-ARP-002 with iv_length 2: last ...05FFFE, transmitted 0001 -> d = 3, full IV ...060001."""
    last = 0x0A0B0C0D0E0F1011_05FFFE & ((1 << 96) - 1)
    sa = make_sa(iv_length=2, iv=f"{last:024x}", sequence_number_length=0, sequence_number="")
    frame = _frame_with(sa, iv=last + 3, sn=0)
    assert frame[8:10] == b"\x00\x01"
    rx = product(sa)
    result = rx.process_security(frame)
    assert result["accepted"], result
    record = rx.sas.get(5)
    assert record is not None and record.iv == last + 3 and (record.iv >> 16) & 0xFF == 0x06


def test_full_96_bit_iv_wraps() -> None:
    """SEC-AES-006: the IV after 2^96 - 1 is 0, and the receiver accepts it (d = 1)."""
    top = (1 << 96) - 1
    sa = make_sa(iv=f"{top:024x}", sequence_number_length=0, sequence_number="")
    tx = product(sa)
    frame = tx.apply_security(tc_clear(DATA), 5)
    assert frame[8:20] == bytes(12)
    rx = product(sa)
    assert rx.process_security(frame)["accepted"]
    record = rx.sas.get(5)
    assert record is not None and record.iv == 0


@pytest.mark.parametrize(("sn_length", "reason"), [(2, "bad_sequence_number"), (0, "bad_iv")])
def test_replay_whose_mac_verifies_is_rejected(sn_length: int, reason: str) -> None:
    """SEC-ARP-001/002: an accepted frame replayed verbatim (MAC verifies) is rejected."""
    sa = make_sa(sequence_number_length=sn_length, sequence_number="00" * sn_length)
    frame = product(sa).apply_security(tc_clear(DATA), 5)
    rx = product(sa)
    assert rx.process_security(frame)["accepted"]
    replay = rx.process_security(frame)
    assert (replay["accepted"], replay["reason"]) == (False, reason)


def test_apply_never_reuses_an_iv() -> None:
    """SEC-AES-006 / SEC-ARP-004: successive applies use IV + 1 and SN + 1, stored in the SA."""
    tx = product(make_sa(iv=f"{41:024x}", sequence_number="0009"))
    frames = [tx.apply_security(tc_clear(DATA), 5) for _ in range(4)]
    assert [int.from_bytes(f[8:20], "big") for f in frames] == [42, 43, 44, 45]
    assert [int.from_bytes(f[20:22], "big") for f in frames] == [10, 11, 12, 13]
    record = tx.sas.get(5)
    assert record is not None and (record.iv, record.sn) == (45, 13)


WINDOW = 3
SA = make_sa(iv_length=1, sequence_number_length=1, sequence_number="fd", iv=f"{0xFC:024x}",
             anti_replay_window=WINDOW)


class AntiReplayMachine(RuleBasedStateMachine):
    """Random apply / deliver / replay / tamper sequences. The model of the receiver's SA is
    (last SN, last full IV, state); after every rejection the SA equals the model unchanged."""

    frames = Bundle("frames")

    def __init__(self) -> None:
        super().__init__()
        self.tx = product(SA)
        self.rx = product(SA)
        self.last_sn = 0xFD
        self.last_iv = 0xFC
        tx_sa = self.tx.sas.get(5)
        assert tx_sa is not None
        self.tx_sa = tx_sa

    def _rx_state(self) -> tuple[int, int, str]:
        record = self.rx.sas.get(5)
        assert record is not None
        return record.sn, record.iv, record.state

    @rule(target=frames)
    def apply(self) -> tuple[bytes, int, int]:
        frame = self.tx.apply_security(tc_clear(DATA), 5)
        return frame, self.tx_sa.iv, self.tx_sa.sn

    @rule(item=frames)
    def deliver(self, item: tuple[bytes, int, int]) -> None:
        """Deliver (or replay) a frame: the model predicts acceptance by SEC-ARP-001/002."""
        frame, full_iv, sn = item
        d_sn = (sn - self.last_sn) % 256
        t = frame[8]
        d_iv = (t - self.last_iv) % 256
        result = self.rx.process_security(frame)
        if not 1 <= d_sn <= WINDOW:
            expected = "bad_sequence_number"
        elif not 1 <= d_iv <= WINDOW:
            expected = "bad_iv"
        elif (self.last_iv + d_iv) % (1 << 96) != full_iv:
            expected = "bad_mac"  # the receiver forms another IV than the sender used
        else:
            expected = None
        assert result["reason"] == expected, (result, self.last_sn, self.last_iv, item)
        if expected is None:
            assert result["payload"] == DATA
            self.last_sn, self.last_iv = sn, full_iv

    @rule(item=frames, position=st.integers(min_value=0, max_value=10_000), bit=st.integers(0, 7))
    def tamper(self, item: tuple[bytes, int, int], position: int, bit: int) -> None:
        """A frame with one bit changed (FECF recomputed) is never accepted."""
        frame = bytearray(item[0])
        frame[position % (len(frame) - 2)] ^= 1 << bit
        before = self._rx_state()
        result = self.rx.process_security(refix_fecf(bytes(frame)))
        assert not result["accepted"]
        assert self._rx_state() == before

    @invariant()
    def sa_state_matches_model(self) -> None:
        assert self._rx_state() == (self.last_sn, self.last_iv, "operational")


AntiReplayMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestAntiReplayMachine = AntiReplayMachine.TestCase
