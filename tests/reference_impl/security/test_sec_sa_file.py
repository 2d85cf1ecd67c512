"""SA provisioning files (YAML) and the robustness of the security-header and frame decoders."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sec_helpers import make_sa, product

from orbitcert.reference_impl.security.errors import FrameError, ProvisioningError
from orbitcert.reference_impl.security.sa import SaRecord, SecurityAssociation, load_sa_file, parse_sa
from orbitcert.reference_impl.security.sdls import parse_security_header


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sas.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file(tmp_path: Path) -> None:
    """A file of two SAs (mapping form) loads; the models configure a product."""
    sas = [make_sa(spi=5), make_sa(spi=9, frame_type="uslp", authentication_bit_mask="ff" * 64)]
    path = _write(tmp_path, yaml.safe_dump({"security_associations": sas}))
    loaded = load_sa_file(path)
    assert [sa.spi for sa in loaded] == [5, 9]
    assert isinstance(loaded[1], SecurityAssociation) and loaded[1].frame_type == "uslp"
    p = product(*(sa.model_dump() for sa in loaded))
    assert len(p.sas) == 2
    assert load_sa_file(_write(tmp_path, yaml.safe_dump(sas)))[0] == loaded[0]  # list form


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("iv_length", 13, "security_associations[1].iv_length"),
        ("iv", 12345, "security_associations[1].iv"),
        ("state", "sleeping", "security_associations[1].state"),
        ("colour", "red", "security_associations[1].colour"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path: Path, field: str, value: object, where: str) -> None:
    sas = [make_sa(spi=5), make_sa(spi=9, **{field: value})]
    path = _write(tmp_path, yaml.safe_dump({"security_associations": sas}))
    with pytest.raises(ProvisioningError) as info:
        load_sa_file(path)
    message = str(info.value)
    assert message.startswith(str(path)) and where in message


def test_missing_field_and_duplicate_spi(tmp_path: Path) -> None:
    sa = make_sa()
    del sa["mac_length"]
    with pytest.raises(ProvisioningError, match=r"\[0\]\.mac_length"):
        load_sa_file(_write(tmp_path, yaml.safe_dump([sa])))
    with pytest.raises(ProvisioningError, match=r"\[1\]\.spi"):
        load_sa_file(_write(tmp_path, yaml.safe_dump([make_sa(), make_sa()])))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("security_associations: [\n  {spi: 1,\n", "not YAML"),
        ("just a string", "expected a list"),
        ("other_key: []", "security_associations"),
    ],
)
def test_not_yaml_or_wrong_shape(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ProvisioningError, match=match) as info:
        load_sa_file(path)
    assert str(path) in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError, match="cannot read"):
        load_sa_file(tmp_path / "absent.yaml")


def test_parse_sa_refuses_non_mapping() -> None:
    with pytest.raises(ProvisioningError, match="sa"):
        parse_sa(["spi", 5])


@given(st.binary(max_size=40), st.integers(1, 12), st.integers(0, 8), st.integers(0, 2))
def test_security_header_decoder_raises_only_frame_error(data: bytes, iv_length: int, sn_length: int,
                                                         pad: int) -> None:
    sa = SaRecord(SecurityAssociation.model_validate(make_sa(
        iv_length=iv_length, sequence_number_length=sn_length, sequence_number="00" * sn_length,
        pad_length_length=pad)))
    try:
        header = parse_security_header(data, sa)
    except FrameError:
        assert len(data) < 2 + iv_length + sn_length + pad
    else:
        assert header.spi == int.from_bytes(data[:2], "big") and len(header.iv) == iv_length


@given(st.binary(max_size=120))
def test_process_security_never_raises_on_arbitrary_octets(data: bytes) -> None:
    """Any octets given to ProcessSecurity get a result with a reason, never an exception."""
    p = product(make_sa(), make_sa(spi=0x2003, segment_header=False), make_sa(spi=9, frame_type="uslp"))
    result = p.process_security(data)
    assert result["accepted"] is False or result["payload"] is not None
    assert set(result["fsr"]) == {"alarm", "bad_sn", "bad_mac", "invalid_spi", "last_spi", "sn_lsb"}
