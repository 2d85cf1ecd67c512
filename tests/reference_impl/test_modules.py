"""The module map of the optical golden model: one module per standard concern, coding the façade."""

from __future__ import annotations

import importlib

import pytest

from orbitcert.reference_impl.optical import coding

MODULES = {
    # module: (clause its docstring names, public names coding re-exports from it)
    "parameters": ("131.0-B-3", ["CodingError", "CodingParameters", "default_parameters"]),
    "reed_solomon": (
        "131.0-B-3 section 4",
        ["RSBatchResult", "RSResult", "rs_decode", "rs_decode_batch", "rs_encode", "rs_encode_batch"],
    ),
    "randomizer": ("131.0-B-3 section 10", ["randomize"]),
    "frame_sync": ("131.0-B-3 section 9", ["SyncEvent", "find_codeblocks"]),
    "cadu": ("131.0-B-3", ["decode_cadus", "encode_cadus"]),
    "crc16": ("132.0-B-3 4.1.6", ["crc16"]),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_docstring_names_its_clause_and_coding_reexports_it(name: str) -> None:
    """Each module names the clause it implements; coding.X is the module's X (same object)."""
    module = importlib.import_module(f"orbitcert.reference_impl.optical.{name}")
    clause, names = MODULES[name]
    assert module.__doc__ and clause in module.__doc__
    for public in names:
        assert getattr(coding, public) is getattr(module, public)


def test_facade_all_is_the_documented_api() -> None:
    """coding.__all__ is unchanged by the split and every name in it resolves."""
    assert sorted(coding.__all__) == sorted(n for names in (v[1] for v in MODULES.values()) for n in names)
    for name in coding.__all__:
        assert getattr(coding, name) is not None
    assert (coding.BERLEKAMP_BASIS_EXPONENT, coding.MARKER_LOCK_TOLERANCE) == (117, 2)


def test_decoder_steps_have_textbook_names() -> None:
    """The dirty-codeword decoder is syndromes -> Berlekamp-Massey -> Chien search -> Forney."""
    from orbitcert.reference_impl.optical.reed_solomon import ReedSolomonCode

    for step in ("syndromes", "berlekamp_massey", "chien_search", "forney"):
        assert callable(getattr(ReedSolomonCode, step))


def test_decoder_steps_locate_and_value_known_errors() -> None:
    """On the all-zero codeword with 5 known symbol errors: syndromes are nonzero, Berlekamp-Massey
    gives a degree-5 locator, Chien search finds exactly the 5 positions and Forney their values."""
    import numpy as np

    from orbitcert.reference_impl.optical.reed_solomon import code_for

    code = code_for(coding.default_parameters())
    positions = np.array([0, 17, 100, 222, 254])  # transmitted indices (info and check symbols)
    values = np.array([0x01, 0xFF, 0x5A, 0x80, 0x33], dtype=np.uint8)  # wire representation
    received = np.zeros((1, 255), dtype=np.uint8)
    received[0, positions] = values
    remainders = code.parity_rows(np.ascontiguousarray(received[:, :223])) ^ received[:, 223:]
    synd = code.syndromes(remainders)
    assert synd.shape == (1, 32) and synd.any()
    synd_log = code.log[synd]
    lam, degree = code.berlekamp_massey(synd_log)
    assert degree.tolist() == [5]
    found = code.chien_search(lam, 255)
    rows, pos = np.nonzero(found)
    assert sorted((254 - pos).tolist()) == positions.tolist()
    err, good = code.forney(lam, synd_log, rows, pos)
    assert good.all()
    located = dict(zip((254 - pos).tolist(), code.to_dual[err].tolist()))
    assert located == dict(zip(positions.tolist(), values.tolist()))
    fixed, counts = code.correct(received, remainders)
    assert counts.tolist() == [5] and not fixed.any()
