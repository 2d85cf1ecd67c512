"""Argument checking of the optical coding golden model: only CodingError, naming the argument.

DESIGN "Bad input gets a clear error, never a traceback": every public function of
``orbitcert.reference_impl.optical.coding`` (and the reference factory) raises nothing but
:class:`CodingError` (a ValueError) for a bad argument, with a message naming the argument. One
regression test per case found by users, their siblings, and a hypothesis test feeding every
public function garbage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from test_coding import _spec_values as ccsds_parameter_values
from orbitcert.reference_impl.optical import coding, iut
from orbitcert.reference_impl.optical.frame_sync import MAX_CODEBLOCK_LENGTH

ASM = bytes.fromhex("1ACFFC1D")
PARAMS = coding.default_parameters()
CodingError = coding.CodingError

# ---- the cases found by users (issue 5, section 5) ------------------------------------------------


def test_find_codeblocks_huge_codeblock_length_is_out_of_range() -> None:
    """find_codeblocks(ASM + bytes(100), 2**62) raised an int64 IndexError."""
    with pytest.raises(CodingError, match="codeblock_length .* out of range"):
        coding.find_codeblocks(ASM + bytes(100), 2**62)


@pytest.mark.parametrize("length", [MAX_CODEBLOCK_LENGTH + 1, 2**63, 2**64 + 5, np.uint64(2**64 - 1), np.int64(2**62)])
def test_find_codeblocks_length_siblings(length: Any) -> None:
    """Every codeblock length past the documented maximum is refused, numpy integers included."""
    with pytest.raises(CodingError, match="codeblock_length"):
        coding.find_codeblocks(ASM + bytes(100), length)


def test_find_codeblocks_longest_allowed_length_works() -> None:
    """At the maximum the synchronizer still runs (and finds no complete codeblock)."""
    offsets, events = coding.find_codeblocks(ASM + bytes(100), MAX_CODEBLOCK_LENGTH)
    assert offsets == []
    assert events == [coding.SyncEvent(0, "acquired")]


def test_encode_cadus_none_frames() -> None:
    """encode_cadus(None, 1) raised a bare TypeError."""
    with pytest.raises(CodingError, match="frames"):
        coding.encode_cadus(None, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("frames", [5, 1.5, bytes(223), bytearray(223), "frame", np.uint8(3), np.zeros((), np.uint8)])
def test_encode_cadus_frames_siblings(frames: Any) -> None:
    """A single frame, a number or a string is not a sequence of frames."""
    with pytest.raises(CodingError, match="frames"):
        coding.encode_cadus(frames, 1)


@pytest.mark.parametrize(
    "frames",
    [[5], [None], ["text"], np.zeros((2, 223), np.int64), np.zeros(223, np.uint8), np.zeros((1, 1, 223), np.uint8)],
)
def test_encode_cadus_frame_items_must_be_octets(frames: Any) -> None:
    """Every item of ``frames`` must be 1-D bytes-like octets (no int, str, wide or nested arrays)."""
    with pytest.raises(CodingError, match="frames"):
        coding.encode_cadus(frames, 1)


def test_encode_cadus_accepts_rows_of_a_uint8_array() -> None:
    """The rows of an (N, L) uint8 array are frames like bytes are."""
    frames = np.arange(2 * 223, dtype=np.uint8).reshape(2, 223) % 251
    expected = coding.encode_cadus([row.tobytes() for row in frames], 1)
    assert coding.encode_cadus(frames, 1) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("events", [(), "", {}, set(), 0, False])
def test_decode_cadus_events_must_be_a_list_or_none(events: Any) -> None:
    """decode_cadus(..., events=()) raised AttributeError: events is an output list (or None)."""
    stream = coding.encode_cadus([bytes(223)], 1)
    with pytest.raises(CodingError, match="events"):
        coding.decode_cadus(stream, 223, 1, events=events)


def test_decode_cadus_events_list_receives_the_lock_events() -> None:
    """What ``events`` is for: the synchronizer's lock events are appended to it."""
    stream = coding.encode_cadus([bytes(223)] * 2, 1)
    events: list[coding.SyncEvent] = [coding.SyncEvent(-1, "lost")]
    results = coding.decode_cadus(bytes(7) + stream, 223, 1, events=events)
    assert [r.data for r in results] == [bytes(223)] * 2
    assert events == [coding.SyncEvent(-1, "lost"), coding.SyncEvent(7, "acquired")]


@pytest.mark.parametrize("depth", [1, 5, 8])
def test_rs_encode_batch_of_zero_rows_is_empty(depth: int) -> None:
    """rs_encode_batch of zero rows raised a reshape ValueError: it returns an empty (0, n) array."""
    out = coding.rs_encode_batch(np.zeros((0, 223 * depth), np.uint8), depth)
    assert out.shape == (0, 255 * depth) and out.dtype == np.uint8
    shortened = coding.rs_encode_batch(np.zeros((0, 10 * depth), np.uint8), depth)
    assert shortened.shape == (0, 42 * depth)


def test_rs_decode_batch_of_zero_rows_is_empty() -> None:
    """The decoder's empty batch mirrors the encoder's."""
    result = coding.rs_decode_batch(np.zeros((0, 1275), np.uint8), 5)
    assert result.data.shape == (0, 1115)
    assert result.corrected.shape == (0, 5)
    assert result.uncorrectable.shape == (0,)


@pytest.mark.parametrize("function", [coding.randomize, coding.crc16])
@pytest.mark.parametrize("data", [5, 0, -1, True, np.int64(7), 2.0, "octets", None, [1, 2, 3]])
def test_integer_or_text_is_not_octets(function: Callable[..., Any], data: Any) -> None:
    """randomize(5) and crc16(7) treated the integer as a length: data must be bytes-like."""
    with pytest.raises(CodingError, match="data: expected bytes-like"):
        function(data)


@pytest.mark.parametrize("function", [coding.randomize, coding.crc16])
@pytest.mark.parametrize(
    "data", [np.zeros(4, np.uint16), np.zeros(2, np.int64), np.zeros((2, 2), np.uint8), np.zeros(3, bool)]
)
def test_wide_or_nested_arrays_are_not_octets(function: Callable[..., Any], data: Any) -> None:
    """An array of wider items or of more dimensions is not silently reinterpreted as octets."""
    with pytest.raises(CodingError, match="data: expected bytes-like"):
        function(data)


@pytest.mark.parametrize("data", [bytearray(b"abc"), memoryview(b"abc"), np.frombuffer(b"abc", np.uint8)])
def test_bytes_like_octets_are_accepted(data: Any) -> None:
    """bytearray, memoryview and 1-D uint8 arrays are octets like bytes."""
    assert coding.randomize(data) == coding.randomize(b"abc")
    assert coding.crc16(data) == coding.crc16(b"abc")


@pytest.mark.parametrize("flag", ["no", "", 0, 1, None, 1.0, [True], np.int64(1)])
def test_flags_must_be_real_bools(flag: Any) -> None:
    """randomize="no" was taken as true: a flag must be a bool (or numpy.bool_)."""
    frames = [bytes(223)]
    with pytest.raises(CodingError, match="randomize"):
        coding.encode_cadus(frames, 1, flag)
    stream = coding.encode_cadus(frames, 1)
    with pytest.raises(CodingError, match="randomize"):
        coding.decode_cadus(stream, 223, 1, flag)


def test_numpy_bool_flag_is_a_bool() -> None:
    """numpy.bool_ is a real boolean and behaves like the Python one."""
    frames = [bytes(223)]
    assert coding.encode_cadus(frames, 1, np.bool_(False)) == coding.encode_cadus(frames, 1, False)


# ---- siblings: depths, lengths, arrays, parameters ----------------------------------------------------


@pytest.mark.parametrize("interleave", [-5, 0, 6, 2**64, True, False, 5.0, "5", None, np.int64(-1)])
def test_bad_interleave_everywhere(interleave: Any) -> None:
    """Negative, huge, bool, float or text depths are refused by every function taking one."""
    calls: list[Callable[[], Any]] = [
        lambda: coding.rs_encode(bytes(223), interleave),
        lambda: coding.rs_decode(bytes(255), interleave),
        lambda: coding.rs_encode_batch(np.zeros((1, 223), np.uint8), interleave),
        lambda: coding.rs_decode_batch(np.zeros((1, 255), np.uint8), interleave),
        lambda: coding.encode_cadus([bytes(223)], interleave),
        lambda: coding.decode_cadus(b"", 223, interleave),
    ]
    for call in calls:
        with pytest.raises(CodingError, match="interleave"):
            call()


@pytest.mark.parametrize("frame_length", [0, -223, 224, 2**70, True, 223.0, "223", None])
def test_bad_frame_length_in_decode_cadus(frame_length: Any) -> None:
    """frame_length 0, negative, too long, huge, bool, float or text: CodingError naming it."""
    with pytest.raises(CodingError, match="frame_length"):
        coding.decode_cadus(b"", frame_length, 1)


@pytest.mark.parametrize("codeblock_length", [0, -1, True, 1.0, "10", None])
def test_bad_codeblock_length_in_find_codeblocks(codeblock_length: Any) -> None:
    """find_codeblocks refuses lengths that are not positive integers."""
    with pytest.raises(CodingError, match="codeblock_length"):
        coding.find_codeblocks(ASM, codeblock_length)


@pytest.mark.parametrize("marker", [b"", 0x1ACFFC1D, "1ACFFC1D", np.zeros(4, np.int32)])
def test_bad_attached_sync_marker_in_find_codeblocks(marker: Any) -> None:
    """The marker override must be non-empty octets."""
    with pytest.raises(CodingError, match="attached_sync_marker"):
        coding.find_codeblocks(ASM + bytes(10), 10, attached_sync_marker=marker)


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((1, 223), np.float64),
        np.zeros((1, 223), bool),
        np.full((1, 223), 256, np.int64),
        np.full((1, 223), -1, np.int16),
        np.zeros((1, 223), object),
        np.zeros(223, np.uint8),
        np.zeros((1, 1, 223), np.uint8),
        [[1, 2], [3]],
        "octets",
        bytes(223),
        None,
    ],
    ids=lambda a: type(a).__name__ + str(getattr(a, "dtype", "")),
)
def test_bad_batch_arrays(array: Any) -> None:
    """Batches must be 2-D arrays of octets: wrong dtype, range, shape or type is refused."""
    with pytest.raises(CodingError, match="frames"):
        coding.rs_encode_batch(array, 1)
    with pytest.raises(CodingError, match="codeblocks"):
        coding.rs_decode_batch(array, 1)


def test_integer_batches_in_octet_range_are_accepted() -> None:
    """An int64 batch whose values are octets is converted, as documented."""
    frames = np.arange(223, dtype=np.int64).reshape(1, 223)
    assert np.array_equal(coding.rs_encode_batch(frames, 1), coding.rs_encode_batch(frames.astype(np.uint8), 1))


@pytest.mark.parametrize("params", [{}, "net-optical-isl", 1, PARAMS.__dict__])
def test_params_must_be_coding_parameters(params: Any) -> None:
    """params= takes CodingParameters (or None) only."""
    with pytest.raises(CodingError, match="params"):
        coding.randomize(b"", params=params)
    with pytest.raises(CodingError, match="params"):
        iut.ReferenceOpticalLink(params)


@pytest.mark.parametrize("values", [None, [], "rs_codeword_length", 5])
def test_from_spec_parameters_needs_a_mapping(values: Any) -> None:
    """from_spec_parameters(None) raised TypeError: the values must be a mapping."""
    with pytest.raises(CodingError, match="values"):
        coding.CodingParameters.from_spec_parameters(values)


@pytest.mark.parametrize("spec", [None, {}, "net-optical-isl@1.0.0", PARAMS])
def test_from_spec_needs_a_spec(spec: Any) -> None:
    """from_spec takes an orbitcert.specs.model.Spec; create(None) is the default reference."""
    with pytest.raises(CodingError, match="spec"):
        coding.CodingParameters.from_spec(spec)
    if spec is not None:
        with pytest.raises(CodingError, match="spec"):
            iut.create(spec)


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("attached_sync_marker", "1ACFFC1D", "attached_sync_marker"),
        ("attached_sync_marker", b"", "attached_sync_marker"),
        ("first_consecutive_root", 2**70, "rs_first_consecutive_root"),
        ("first_consecutive_root", -1, "rs_first_consecutive_root"),
        ("generator_exponent", 255 + 11, "rs_generator_exponent"),
        ("generator_exponent", True, "rs_generator_exponent"),
        ("interleaving_depths", (1, 0), "rs_interleaving_depths"),
        ("interleaving_depths", (1, 2**40), "rs_interleaving_depths"),
        ("interleaving_depths", [1, 5], "rs_interleaving_depths"),
        ("interleaving_depths", (), "rs_interleaving_depths"),
        ("symbol_representation", "normal", "rs_symbol_representation"),
        ("dual_basis_exponent", 34, "rs_dual_basis_exponent"),
        ("dual_basis_exponent", 0, "rs_dual_basis_exponent"),
        ("randomizer_seed", 0, "randomizer_seed"),
        ("crc16_initial", 1 << 16, "crc16_initial"),
    ],
)
def test_direct_construction_checks_every_field(field: str, value: Any, name: str) -> None:
    """CodingParameters(...) built by hand is checked like one built from a spec."""
    import dataclasses

    with pytest.raises(CodingError, match=name):
        dataclasses.replace(PARAMS, **{field: value})


# ---- hypothesis: garbage in, CodingError (or a result) out -------------------------------------------

GARBAGE_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.uint8, np.int8, np.uint16, np.int64, np.uint64, np.float64, np.bool_, np.complex64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
)

GARBAGE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, -1, 5, 223, 255, 2**31, 2**62, 2**63, 2**64, -(2**63), 10**30]),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=64),
    st.lists(st.integers(-300, 300), max_size=4),
    st.lists(st.binary(max_size=8), max_size=3),
    st.tuples(st.integers(), st.text(max_size=2)),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
    st.sets(st.integers(0, 9), max_size=3),
    _ARRAYS,
    st.builds(object),
    st.just(np.zeros((), np.uint8)),
    st.just(PARAMS.__dict__),
)

DEPTH = st.sampled_from([1, 2, 5, 8])
OCTETS = st.one_of(st.binary(max_size=600), st.binary(max_size=600).map(lambda b: ASM + b))
FRAMES = st.tuples(st.integers(0, 3), st.sampled_from([5, 10, 223, 446])).map(lambda t: [bytes(t[1])] * t[0])
BATCH = st.tuples(st.integers(0, 3), st.sampled_from([5, 10, 42, 223, 255, 446, 510])).map(
    lambda t: np.zeros(t, np.uint8)
)
PARAMS_ARG = st.sampled_from([None, PARAMS])


def _arg(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(valid, GARBAGE)


_CALLS: dict[str, tuple[Callable[..., Any], dict[str, st.SearchStrategy[Any]]]] = {
    "randomize": (coding.randomize, {"data": _arg(OCTETS), "params": _arg(PARAMS_ARG)}),
    "crc16": (coding.crc16, {"data": _arg(OCTETS), "params": _arg(PARAMS_ARG)}),
    "rs_encode": (coding.rs_encode, {"frame": _arg(OCTETS), "interleave": _arg(DEPTH), "params": _arg(PARAMS_ARG)}),
    "rs_decode": (
        coding.rs_decode,
        {"codeblock": _arg(OCTETS), "interleave": _arg(DEPTH), "params": _arg(PARAMS_ARG)},
    ),
    "rs_encode_batch": (
        coding.rs_encode_batch,
        {"frames": _arg(BATCH), "interleave": _arg(DEPTH), "params": _arg(PARAMS_ARG)},
    ),
    "rs_decode_batch": (
        coding.rs_decode_batch,
        {"codeblocks": _arg(BATCH), "interleave": _arg(DEPTH), "params": _arg(PARAMS_ARG)},
    ),
    "find_codeblocks": (
        coding.find_codeblocks,
        {
            "stream": _arg(OCTETS),
            "codeblock_length": _arg(st.integers(1, 300)),
            "attached_sync_marker": _arg(st.sampled_from([None, ASM, b"\x1a"])),
            "params": _arg(PARAMS_ARG),
        },
    ),
    "encode_cadus": (
        coding.encode_cadus,
        {
            "frames": _arg(FRAMES),
            "interleave": _arg(DEPTH),
            "randomize": _arg(st.booleans()),
            "params": _arg(PARAMS_ARG),
        },
    ),
    "decode_cadus": (
        coding.decode_cadus,
        {
            "stream": _arg(OCTETS),
            "frame_length": _arg(st.sampled_from([5, 10, 223, 446])),
            "interleave": _arg(DEPTH),
            "randomize": _arg(st.booleans()),
            "events": _arg(st.builds(list)),
            "params": _arg(PARAMS_ARG),
        },
    ),
    "CodingParameters.from_spec_parameters": (coding.CodingParameters.from_spec_parameters, {"values": GARBAGE}),
    "CodingParameters.from_spec": (coding.CodingParameters.from_spec, {"spec": GARBAGE}),
    "iut.create": (iut.create, {"spec": GARBAGE.filter(lambda v: v is not None)}),
}


def test_every_public_function_is_fuzzed() -> None:
    """The garbage test covers the whole documented API (every function in coding.__all__)."""
    functions = {name for name in coding.__all__ if name[0].islower()}
    assert functions - {"default_parameters"} <= set(_CALLS)


@GARBAGE_SETTINGS
@pytest.mark.parametrize("name", sorted(_CALLS))
@given(data=st.data())
def test_garbage_arguments_raise_only_coding_error(name: str, data: st.DataObject) -> None:
    """Every public function given garbage arguments returns or raises CodingError, nothing else."""
    function, strategies = _CALLS[name]
    kwargs = {arg: data.draw(strategy, label=arg) for arg, strategy in strategies.items()}
    try:
        function(**kwargs)
    except CodingError as exc:
        assert str(exc)  # a message, naming what is wrong


def _spec_values() -> dict[str, Any]:
    """The 1.0.0 parameter values (written independently of the spec file in test_coding) plus
    the optional Annex F dual-basis exponent."""
    return {**ccsds_parameter_values(), "rs_dual_basis_exponent": 117}


@GARBAGE_SETTINGS
@given(key=st.sampled_from(sorted(_spec_values())), value=GARBAGE, frame=st.binary(min_size=1, max_size=8))
def test_garbage_spec_parameter_raises_only_coding_error(key: str, value: Any, frame: bytes) -> None:
    """One spec parameter replaced by garbage: CodingError naming it, or parameters that work."""
    values = _spec_values()
    values[key] = value
    try:
        params = coding.CodingParameters.from_spec_parameters(values)
    except CodingError as exc:
        assert key in str(exc) or "randomizer_period_bits" in str(exc)
        return
    try:  # accepted parameters must also drive the coding functions without a traceback
        coding.randomize(frame, params=params)
        coding.rs_encode(frame, 1, params=params)
    except CodingError:
        pass
