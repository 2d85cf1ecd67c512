"""Conformance suite of sec-link-security, class ``auth-only`` (CCSDS 355.0-B-2 4.2.2.4 and
4.2.3, GMAC of NIST SP 800-38D), for each algorithm of ICS ``gmac_algorithms``.

The MAC is computed by the suite's oracle (``conftest.py``) with ``cryptography`` (GCM with an
empty plaintext over the masked frame from the primary header to the end of the data field).
The ABM of these SAs clears some header bits and the first data octet. TC (with and without
segment header) and USLP frames, with and without FECF; TM and AOS are not exercised by this
suite version.
"""

from __future__ import annotations

from typing import Any

import pytest

DATA_LENGTH = 16


def _sa(model: Any, layout: Any, algorithm: str, *, clearing: bool, **kw: Any) -> Any:
    return model.new_sa(layout, algorithm=algorithm, service_type="authentication", clearing_mask=clearing, data_length=DATA_LENGTH, **kw)


@pytest.mark.requirement("SEC-AUTH-001")
@pytest.mark.parametrize("clearing", [False, True], ids=["full-mask", "clearing-mask"])
def test_gmac_known_answer(model: Any, iut: Any, oracle: Any, layout: Any, gmac_alg: str, clearing: bool, data_field: Any) -> None:
    """355.0-B-2 4.2.2.4, SP 800-38D 7.1: data field unchanged; MAC = GMAC under akid over the
    masked frame from the first header octet to the last data octet; layout of SEC-AES-001."""
    sa = _sa(model, layout, gmac_alg, clearing=clearing, iv_length=8, sn_length=2, pad_length_length=1)
    start = layout.header_length + sa.security_header_length
    for n in range(2):
        data = data_field(DATA_LENGTH, 200 + n)
        clear = layout.clear_frame(data)
        unmasked = model.expect_apply_unmasked(clear, sa.spi) if clearing else None
        expected = model.expect_apply(clear, sa.spi)
        got = iut.apply_security(clear, sa.spi)
        assert got[start : start + DATA_LENGTH] == data, (
            f"frame {n}: data field not transmitted unchanged: {oracle.hexdiff(data, got[start : start + DATA_LENGTH])}"
        )
        end = start + DATA_LENGTH
        mac_e, mac_g = expected[end : end + sa.mac_length], got[end : end + sa.mac_length]
        if mac_g != mac_e and unmasked is not None and mac_g == unmasked[end : end + sa.mac_length]:
            raise AssertionError(f"frame {n}: the GMAC covers the unmasked frame: the authentication bit mask was ignored")
        assert mac_g == mac_e, f"frame {n}: MAC {mac_g.hex()}, expected GMAC {mac_e.hex()}"
        assert got == expected, f"frame {n}: protected frame differs: {oracle.hexdiff(expected, got)}"


@pytest.mark.requirement("SEC-AUTH-002")
def test_gmac_accepts_and_delivers(model: Any, iut: Any, layout: Any, gmac_alg: str, data_field: Any) -> None:
    """355.0-B-2 4.2.3: valid authenticated frames (the oracle's and the product's own) are accepted
    and deliver their data field (all-ones mask)."""
    sa = _sa(model, layout, gmac_alg, clearing=False)
    for n in range(3):
        model.process(model.protect(sa.spi, data_field(DATA_LENGTH, 210 + n)), f"frame {n}: ")
    base = model.snapshot(sa.spi)
    own = model.apply(layout.clear_frame(data_field(DATA_LENGTH, 215)), sa.spi, "round trip: ")
    model.configure(base)
    model.process(own, "the product's own authenticated frame: ")


@pytest.mark.requirement("SEC-AUTH-002")
def test_gmac_every_kept_bit_change_rejected(model: Any, layout: Any, gmac_alg: str, data_field: Any) -> None:
    """355.0-B-2 4.2.3: each flip of a bit the mask keeps (header, security header, data) or of the
    MAC is rejected: bad_mac within the window (and SPI naming the SA), else rejected. All-ones
    mask (data field included); the cleared bits are the next test's."""
    sa = _sa(model, layout, gmac_alg, clearing=False, iv_length=12, sn_length=2, pad_length_length=1, sn=0x0100)
    frame = model.protect(sa.spi, data_field(DATA_LENGTH, 220))
    r = model.regions(sa.spi, frame)
    seen = model.flips(sa.spi, frame, r["header_kept"] + r["spi"] + r["iv"] + r["sn"] + r["pad"] + r["data"] + r["mac"], "tamper: ", only_mac=True)
    assert "accepted" not in seen
    model.process(frame, "the untampered frame after all the rejections: ")


@pytest.mark.requirement("SEC-AUTH-002")
def test_gmac_cleared_bit_change_accepted(model: Any, layout: Any, gmac_alg: str, data_field: Any) -> None:
    """355.0-B-2 4.2.3: changes confined to bits the mask clears (header bits and the first data
    octet) do not cause a rejection; the changed data is delivered."""
    sa = _sa(model, layout, gmac_alg, clearing=True)
    frame = model.protect(sa.spi, data_field(DATA_LENGTH, 230))
    r = model.regions(sa.spi, frame)
    assert r["header_cleared"] and r["data_cleared"], "internal: the mask clears no bit"
    seen = model.flips(sa.spi, frame, r["header_cleared"] + r["data_cleared"], "cleared bit: ")
    assert set(seen) == {"accepted"}
