"""The reference is built for the spec under test (issue 5, section 1).

``CodingParameters.from_spec`` reads a :class:`orbitcert.specs.model.Spec`; a spec whose
parameters differ (another attached sync marker, randomizer seed, dual-basis exponent) changes
the reference's output accordingly, and ``iut.create(spec)`` uses them. Expected outputs are
computed here from the standard's definitions (a bit-serial LFSR, galois field traces), not by
the module under test.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import galois
import numpy as np
import pytest
import yaml

import orbitcert.specs
from orbitcert.reference_impl import REFERENCES
from orbitcert.reference_impl.optical import coding, iut
from orbitcert.specs.loader import load_spec_file
from orbitcert.specs.model import Parameter, Spec

BUNDLED = Path(orbitcert.specs.__file__).parent / "catalog" / "net-optical-isl" / "1.0.0.yaml"
SPEC = load_spec_file(BUNDLED).spec
DEFAULT_ASM = bytes.fromhex("1ACFFC1D")
OTHER_ASM = bytes.fromhex("352EF853")


def _with_parameters(spec: Spec, **values: Any) -> Spec:
    """A copy of ``spec`` with some parameter values replaced (or added)."""
    parameters = dict(spec.parameters)
    for name, value in values.items():
        if name in parameters:
            parameters[name] = parameters[name].model_copy(update={"value": value})
        else:
            parameters[name] = Parameter(value=value, description=f"test value of {name}")
    return spec.model_copy(update={"parameters": parameters})


def _lfsr_octets(seed: int, count: int) -> bytes:
    """131.0-B-3 section 10 from its definition: h(x) = x^8+x^7+x^5+x^3+1, Fibonacci form, bit by bit."""
    state = [(seed >> (7 - i)) & 1 for i in range(8)]  # state[0] is output first
    bits = []
    for _ in range(8 * count):
        bits.append(state[0])
        feedback = state[0] ^ state[3] ^ state[5] ^ state[7]  # taps of x^0, x^3, x^5, x^7
        state = state[1:] + [feedback]
    return np.packbits(np.array(bits, dtype=np.uint8)).tobytes()


def test_independent_lfsr_reproduces_the_published_sequence() -> None:
    """The test's own LFSR gives FF 48 0E C0 9A 0D 70 BC from the all-ones seed (131.0-B-3 10)."""
    assert _lfsr_octets(0xFF, 8) == bytes.fromhex("FF480EC09A0D70BC")


def test_from_spec_of_the_bundled_spec_is_the_default() -> None:
    """from_spec(bundled 1.0.0) equals default_parameters() and from_spec_parameters of its values."""
    params = coding.CodingParameters.from_spec(SPEC)
    assert params == coding.default_parameters()
    assert params == coding.CodingParameters.from_spec_parameters({k: p.value for k, p in SPEC.parameters.items()})
    assert params.dual_basis_exponent == 117


def test_spec_built_from_yaml_with_another_marker() -> None:
    """A Spec validated from the bundled YAML with another ASM gives parameters with that ASM."""
    document = yaml.safe_load(BUNDLED.read_text())
    document["parameters"]["attached_sync_marker"]["value"] = OTHER_ASM.hex().upper()
    spec = Spec.model_validate(document)
    assert coding.CodingParameters.from_spec(spec).attached_sync_marker == OTHER_ASM


@pytest.mark.parametrize("interleave", [1, 5])
def test_other_attached_sync_marker_changes_the_cadus(interleave: int) -> None:
    """With attached_sync_marker 352EF853 every CADU starts with it, and only it decodes them."""
    spec = _with_parameters(SPEC, attached_sync_marker=OTHER_ASM.hex())
    params = coding.CodingParameters.from_spec(spec)
    frames = [bytes([i]) * (223 * interleave) for i in range(3)]
    stream = coding.encode_cadus(frames, interleave, params=params)
    cadu = 4 + 255 * interleave
    assert len(stream) == 3 * cadu
    assert [stream[i : i + 4] for i in range(0, len(stream), cadu)] == [OTHER_ASM] * 3
    assert DEFAULT_ASM not in [stream[i : i + 4] for i in range(0, len(stream), cadu)]
    # the codeblocks themselves are those of the default spec: only the marker differs
    default = coding.encode_cadus(frames, interleave)
    assert [stream[i + 4 : i + cadu] for i in range(0, len(stream), cadu)] == [
        default[i + 4 : i + cadu] for i in range(0, len(default), cadu)
    ]
    assert [r.data for r in coding.decode_cadus(stream, 223 * interleave, interleave, params=params)] == frames
    assert coding.decode_cadus(stream, 223 * interleave, interleave) == []  # the default ASM is not there
    offsets, _ = coding.find_codeblocks(stream, 255 * interleave, params=params)
    assert offsets == [4 + i * cadu for i in range(3)]


@pytest.mark.parametrize("seed", [0x7F, 0x01, 0xA5])
def test_other_randomizer_seed_changes_the_sequence(seed: int) -> None:
    """With randomizer_seed s the randomized all-zero codeblock is the LFSR sequence from s."""
    spec = _with_parameters(SPEC, randomizer_seed=seed)
    params = coding.CodingParameters.from_spec(spec)
    expected = _lfsr_octets(seed, 255 * 2)
    assert coding.randomize(bytes(255 * 2), params=params) == expected
    assert expected != coding.randomize(bytes(255 * 2))
    out = coding.encode_cadus([bytes(223 * 2)], 2, True, params=params)
    assert out == DEFAULT_ASM + expected  # zero frame: zero check symbols, so the codeblock is the sequence


def test_create_uses_the_spec_under_test() -> None:
    """iut.create(spec) encodes and decodes with the spec's marker and randomizer."""
    spec = _with_parameters(SPEC, attached_sync_marker=OTHER_ASM.hex(), randomizer_seed=0x7F)
    reference = iut.create(spec)
    assert reference.params == coding.CodingParameters.from_spec(spec)
    assert (reference.name, reference.version) == ("orbitcert-reference-optical", "1.0.0")
    out = reference.encode([bytes(223)], 1, True)
    assert out == OTHER_ASM + _lfsr_octets(0x7F, 255)
    assert reference.decode(out, 223, 1, True) == [{"data": bytes(223), "corrected": 0}]
    assert iut.create().decode(out, 223, 1, True) == []
    # the bundled spec gives the default reference
    assert iut.create(SPEC).params == iut.create().params == coding.default_parameters()
    assert iut.create(SPEC).encode([bytes(223)], 1) == DEFAULT_ASM + _lfsr_octets(0xFF, 255)


def test_reference_factory_in_references_takes_the_spec() -> None:
    """REFERENCES names iut.create, which accepts the Spec as its one argument."""
    factory_ref, ics_resource = REFERENCES["net-optical-isl"]
    assert factory_ref == "orbitcert.reference_impl.optical.iut:create"
    assert isinstance(iut.create(SPEC), iut.ReferenceOpticalLink)
    ics = yaml.safe_load((Path(iut.__file__).parents[1] / ics_resource).read_text())
    assert ics["spec"] == "net-optical-isl"  # unversioned: the same ICS answers every version


# ---- rs_dual_basis_exponent (Annex F): optional spec parameter, default 117 -------------------------

GF = galois.GF(2**8, irreducible_poly=0x187)
GALOIS_RS = galois.ReedSolomon(255, 223, field=GF, alpha=GF(2) ** 11, c=112)


def _to_dual_table(exponent: int) -> np.ndarray:
    """Conventional -> dual table for beta = alpha^exponent: z_j = Tr(x * beta^j), z_0 the MSB."""
    beta = GF(2) ** exponent
    elements = GF(np.arange(256))
    table = np.zeros(256, dtype=np.int64)
    for j in range(8):
        table |= np.asarray((elements * beta**j).field_trace(), dtype=np.int64) << (7 - j)
    return table.astype(np.uint8)


@pytest.mark.parametrize("exponent", [117, 118, 1, 200])
def test_dual_basis_exponent_from_the_spec_matches_galois(exponent: int) -> None:
    """rs_dual_basis_exponent e: the codeblock is galois' codeword in the basis dual to alpha^e powers."""
    spec = _with_parameters(SPEC, rs_dual_basis_exponent=exponent)
    params = coding.CodingParameters.from_spec(spec)
    assert params.dual_basis_exponent == exponent
    to_dual = _to_dual_table(exponent)
    to_conv = np.zeros(256, dtype=np.uint8)
    to_conv[to_dual] = np.arange(256, dtype=np.uint8)
    frame = np.random.default_rng(exponent).integers(0, 256, 223, dtype=np.uint8)
    expected = to_dual[np.asarray(GALOIS_RS.encode(GF(to_conv[frame])))].tobytes()
    assert coding.rs_encode(frame.tobytes(), 1, params=params) == expected
    received = bytearray(expected)
    received[3] ^= 0x5A
    assert coding.rs_decode(bytes(received), 1, params=params).data == frame.tobytes()
    if exponent != 117:
        assert expected != coding.rs_encode(frame.tobytes(), 1)


def test_explicit_exponent_117_equals_the_default() -> None:
    """Stating rs_dual_basis_exponent: 117 changes nothing (it is the Annex F value)."""
    assert coding.CodingParameters.from_spec(_with_parameters(SPEC, rs_dual_basis_exponent=117)) == coding.default_parameters()


@pytest.mark.parametrize("exponent", [0, 17, 34, 255, -117, "x", True])
def test_exponent_that_gives_no_basis_is_refused(exponent: Any) -> None:
    """beta in a proper subfield (17 | e), out of range or mistyped: CodingError naming the parameter."""
    with pytest.raises(coding.CodingError, match="rs_dual_basis_exponent"):
        coding.CodingParameters.from_spec(_with_parameters(SPEC, rs_dual_basis_exponent=exponent))


def test_every_accepted_exponent_gives_a_basis() -> None:
    """Every exponent CodingParameters accepts yields a bijective basis conversion (checked by galois)."""
    for exponent in range(1, 255):
        if exponent % 17 == 0:
            continue
        assert np.unique(_to_dual_table(exponent)).size == 256
        dataclasses.replace(coding.default_parameters(), dual_basis_exponent=exponent)  # accepted
