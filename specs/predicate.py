"""ICS predicates: the small expression language of ``applies_if`` and conditional ICS items.

A predicate is a Python-like boolean expression over ICS item ids, parsed with :mod:`ast` and
evaluated by a whitelist walker (no ``eval``, no attribute access, no calls)::

    randomizer
    not shortened_codeblocks
    8 in rs_interleaving_depths
    max_frame_length >= 1115 and (randomizer or 1 in rs_interleaving_depths)

Allowed: item names, literals (numbers, strings, true/false/True/False, lists), ``and``, ``or``,
``not``, comparisons ``== != < <= > >= in not in``. This mirrors the predicate column of the
ISO/IEC 9646-7 and CCSDS PICS proformas, where a conditional item's status depends on others.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .errors import PredicateError

_CMP = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False, "none": None, "None": None}


class Predicate:
    """A parsed predicate. ``names`` are the ICS item ids it reads."""

    def __init__(self, source: str, tree: ast.expr, names: frozenset[str]) -> None:
        self.source = source
        self._tree = tree
        self.names = names

    def __repr__(self) -> str:
        return f"Predicate({self.source!r})"

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        """Evaluate against ICS item values. An item absent from ``values`` makes the result False
        unless the expression is satisfied without it (``x or y`` with ``y`` true)."""
        try:
            return bool(self._eval(self._tree, values))
        except _Missing:
            return False
        except PredicateError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:  # '5 in x' with x true, '"a" < 1' ...
            raise PredicateError(f"cannot evaluate {self.source!r}: {exc}") from None
        except RecursionError:
            raise PredicateError(f"cannot evaluate {self.source!r}: nested too deeply") from None

    def _eval(self, node: ast.expr, values: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self._truthy(v, values) for v in node.values)
            return any(self._truthy(v, values) for v in node.values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self._eval(node.operand, values)
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, values)
            for op, comparator in zip(node.ops, node.comparators):
                right = self._eval(comparator, values)
                compare: Any = _CMP[type(op)]
                if not compare(left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Name):
            if node.id in _LITERAL_NAMES:
                return _LITERAL_NAMES[node.id]
            if node.id not in values:
                raise _Missing(node.id)
            return values[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [self._eval(e, values) for e in node.elts]
        raise PredicateError(f"unsupported expression in {self.source!r}")  # pragma: no cover

    def _truthy(self, node: ast.expr, values: Mapping[str, Any]) -> bool:
        try:
            return bool(self._eval(node, values))
        except _Missing:
            return False


class _Missing(Exception):
    pass


def _check(node: ast.AST, source: str, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, source, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, source, names)
    elif isinstance(node, ast.Compare):
        if not all(type(op) in _CMP for op in node.ops):
            raise PredicateError(f"unsupported comparison in {source!r}")
        _check(node.left, source, names)
        for c in node.comparators:
            _check(c, source, names)
    elif isinstance(node, ast.Name):
        if node.id not in _LITERAL_NAMES:
            names.add(node.id)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str, bool)) and node.value is not None:
            raise PredicateError(f"unsupported literal in {source!r}")
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for e in node.elts:
            _check(e, source, names)
    else:
        raise PredicateError(
            f"unsupported syntax {type(node).__name__!r} in {source!r}; use item names, literals, "
            "and/or/not and comparisons"
        )


@lru_cache(maxsize=1024)
def parse_predicate(source: str) -> Predicate:
    """Parse and check a predicate; raises :class:`PredicateError` on anything outside the grammar."""
    if not isinstance(source, str) or not source.strip():
        raise PredicateError("empty predicate")
    if len(source) > 1000:
        raise PredicateError("predicate longer than 1000 characters")
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise PredicateError(f"malformed predicate {source!r}: {exc.msg}") from None
    except (ValueError, MemoryError, RecursionError) as exc:  # a NUL character; absurd nesting
        raise PredicateError(f"malformed predicate {source!r}: {exc or type(exc).__name__}") from None
    names: set[str] = set()
    try:
        _check(tree, source, names)
    except RecursionError:
        raise PredicateError(f"malformed predicate {source!r}: nested too deeply") from None
    return Predicate(source, tree, frozenset(names))
