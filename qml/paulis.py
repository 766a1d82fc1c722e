"""Pauli strings and real-coefficient Pauli sums (Hamiltonians and observables).

A :class:`PauliString` is a tensor product of single-qubit Paulis, stored as sorted
``(wire, letter)`` pairs with identities dropped; ``PauliString()`` is the identity.
A :class:`PauliSum` is a real linear combination of Pauli strings (so it is always
Hermitian), with like terms merged, zero terms dropped and a canonical term order, so
two equal operators compare equal with ``==``.

Conventions:
    * Wire order follows :mod:`qml.ir`: wire 0 is the **most significant** bit of a
      basis index. In an ``n``-wire matrix, wire ``w`` is bit ``n - 1 - w``.
    * ``Y = [[0, -i], [i, 0]]``, so ``Y|0> = i|1>`` and ``Y|1> = -i|0>``.
    * A string acts on a basis state as ``P|x> = i^{n_y} (-1)^{popcount(x & z_mask)} |x ^ x_mask>``
      where ``x_mask`` has the bits of X and Y wires and ``z_mask`` those of Z and Y wires.

Text form (used by :meth:`PauliSum.parse`, ``str`` and JSON)::

    "1.0*Z0 Z1 + 0.5*X0 - 2 X1 + 0.3"     factors: Z0, Z_0, Z(0); optional spaces, "@" or "*"
    "-Z0Z1", "1e-3 * Y0 Y1", "I", "0"     "I" (or "I3") is the identity

Example:
    >>> H = pauli("-1.0*Z0 Z1 - 0.5*X0 - 0.5*X1")
    >>> H.n_wires, H.constant()
    (2, 0.0)
    >>> print(H)
    -0.5*X0 - 0.5*X1 - Z0 Z1
    >>> H.to_matrix().shape
    (4, 4)
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np

from qml.errors import ConfigError, ConfigTypeError

if TYPE_CHECKING:  # scipy is imported lazily to keep `import qml` light
    import scipy.sparse as sp

__all__ = ["ObservableLike", "PauliString", "PauliSum", "as_observables", "expval_dense", "pauli"]

logger = logging.getLogger(__name__)

#: Largest width for dense matrices (``2^14 x 2^14`` complex is 4 GiB).
MAX_DENSE_WIRES = 14
#: Largest width for sparse matrices.
MAX_SPARSE_WIRES = 30

_LETTERS = "XYZ"
# Single-qubit products: (a, b) -> (phase, letter) with a*b = phase * letter.
_PRODUCT: dict[tuple[str, str], tuple[complex, str]] = {
    ("X", "Y"): (1j, "Z"),
    ("Y", "Z"): (1j, "X"),
    ("Z", "X"): (1j, "Y"),
    ("Y", "X"): (-1j, "Z"),
    ("Z", "Y"): (-1j, "X"),
    ("X", "Z"): (-1j, "Y"),
}
_MATRICES: dict[str, np.ndarray] = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_I_POWERS = (1.0 + 0j, 1j, -1.0 + 0j, -1j)

# Tokens of the text form. Order matters: numbers before factors, factors before bare "I".
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<factor>[IXYZixyz])(?:_?(?P<wire>\d+)|\((?P<pwire>\d+)\))
  | (?P<ident>[Ii])(?![A-Za-z0-9_])
  | (?P<sign>[+-])
  | (?P<star>\*)
  | (?P<at>@)
    """,
    re.VERBOSE,
)


def _bad_text(text: str, pos: int, what: str) -> ConfigError:
    caret = " " * pos + "^"
    return ConfigError(
        f"cannot parse {text!r} at position {pos}: {what}.\n  {text}\n  {caret}\n"
        "Expected terms like '0.5*Z0 Z1', '- 2 X3', 'Y0Y1' or a constant such as '0.3'; "
        "Pauli factors are X, Y, Z (or I) followed by a wire number: 'Z0', 'Z_0' or 'Z(0)'."
    )


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """Split ``text`` into ``(kind, value, position)`` tokens, whitespace dropped."""
    if not isinstance(text, str):
        raise ConfigTypeError(f"expected a str with Pauli text such as 'Z0 Z1', got {type(text).__name__}")
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise _bad_text(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind == "wire" or kind == "pwire":  # the named group of a factor's wire
            kind = "factor"
        if kind != "ws":
            tokens.append((str(kind), m.group(0), pos))
        pos = m.end()
    return tokens


def _factor_of(token: str) -> tuple[int, str]:
    m = _TOKEN_RE.fullmatch(token)
    if m is None or m.group("factor") is None:  # pragma: no cover - guarded by the tokenizer
        raise ConfigError(f"{token!r} is not a Pauli factor such as 'Z0'")
    wire = m.group("wire") if m.group("wire") is not None else m.group("pwire")
    return int(wire), m.group("factor").upper()


def _parity(values: np.ndarray) -> np.ndarray:
    """Parity (0 or 1, as ``uint8``) of the popcount of each non-negative integer in ``values``."""
    if hasattr(np, "bitwise_count"):  # NumPy >= 2.0
        out: np.ndarray = np.bitwise_count(values)
        out &= 1
        return out
    v = values.astype(np.int64, copy=True)
    for shift in (32, 16, 8, 4, 2, 1):
        v ^= v >> shift
    return (v & 1).astype(np.uint8)


def _as_real(value: Any, what: str) -> float:
    """Coerce a coefficient to ``float``; complex values with a non-zero imaginary part are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise ConfigTypeError(f"{what} must be a real number, got {value!r} of type {type(value).__name__}")
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        if complex(value).imag != 0.0:
            raise ConfigError(
                f"{what} must be real (PauliSum holds Hermitian operators), got {value!r}; "
                "split a non-Hermitian operator into Hermitian parts"
            )
        value = complex(value).real
    out = float(value)
    if not math.isfinite(out):
        raise ConfigError(f"{what} must be finite, got {out!r}")
    return out


def _check_n_wires(n_wires: int, needed: int, limit: int, what: str) -> int:
    if isinstance(n_wires, bool) or not isinstance(n_wires, numbers.Integral):
        raise ConfigTypeError(f"n_wires must be an int, got {n_wires!r}")
    n = int(n_wires)
    if n < needed:
        raise ConfigError(
            f"n_wires={n} is too small: the operator acts on wire {needed - 1}, so pass n_wires >= {needed}"
        )
    if n > limit:
        raise ConfigError(
            f"{what} with n_wires={n} is too large (limit {limit}); "
            "use to_sparse() or a matrix-free method for wide operators"
        )
    return n


@dataclass(frozen=True)
class PauliString:
    """A tensor product of Pauli operators, e.g. ``Z0 Z1`` or ``X3``.

    Attributes:
        ops: ``(wire, letter)`` pairs sorted by wire with letters in ``"XYZ"``. The
            constructor normalises its input: it sorts, upper-cases and drops ``"I"``;
            a wire may appear only once. ``()`` is the identity.

    Example:
        >>> p = PauliString.parse("Z1 X0")
        >>> p.ops, str(p), p.x_mask(2), p.z_mask(2)
        (((0, 'X'), (1, 'Z')), 'X0 Z1', 2, 1)
        >>> PauliString.parse("X0") * PauliString.parse("Y0")
        (1j, PauliString.parse('Z0'))
    """

    ops: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.ops, (str, bytes)):
            raise ConfigTypeError(
                f"PauliString(ops) needs (wire, letter) pairs, got the string {self.ops!r}; "
                "use PauliString.parse(text) for text"
            )
        seen: dict[int, str] = {}
        for item in self.ops:
            try:
                wire, letter = item
            except (TypeError, ValueError):
                raise ConfigTypeError(
                    f"each entry of PauliString.ops must be a (wire, letter) pair, got {item!r}"
                ) from None
            if isinstance(wire, bool) or not isinstance(wire, numbers.Integral):
                raise ConfigTypeError(f"a Pauli wire must be an int, got {wire!r} in {item!r}")
            if wire < 0:
                raise ConfigError(f"a Pauli wire must be >= 0, got {wire} in {item!r}")
            if not isinstance(letter, str) or len(letter) != 1 or letter.upper() not in "IXYZ":
                raise ConfigError(f"a Pauli letter must be one of 'I', 'X', 'Y', 'Z', got {letter!r}")
            if int(wire) in seen:
                raise ConfigError(
                    f"wire {int(wire)} appears twice in a Pauli string ({seen[int(wire)]} and {letter}); "
                    "multiply strings with '*' to combine factors on the same wire"
                )
            seen[int(wire)] = letter.upper()
        ops = tuple(sorted((w, ltr) for w, ltr in seen.items() if ltr != "I"))
        object.__setattr__(self, "ops", ops)

    # -- construction -------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> PauliString:
        """Parse a Pauli string such as ``"Z0 Z1"``, ``"Z0Z1"``, ``"Z_0 @ Z_1"``, ``"X3"`` or ``"I"``.

        Args:
            text: Factors ``<letter><wire>`` (also ``Z_0`` or ``Z(0)``), optionally separated
                by spaces, ``"@"`` or ``"*"``. ``"I"`` and ``""`` are the identity.

        Returns:
            The normalised string.

        Raises:
            ValueError: On anything that is not a Pauli factor (coefficients included: use
                :meth:`PauliSum.parse` for those) or on a wire that appears twice.

        Example:
            >>> PauliString.parse("Z_1 X_0") == PauliString.parse("X0Z1")
            True
            >>> PauliString.parse("I").ops
            ()
        """
        ops: list[tuple[int, str]] = []
        for kind, value, pos in _tokenize(text):
            if kind == "factor":
                ops.append(_factor_of(value))
            elif kind in ("ident", "at", "star"):
                continue
            else:
                raise _bad_text(
                    text, pos, f"{value!r} is not a Pauli factor (use PauliSum.parse for coefficients)"
                )
        return PauliString(tuple(ops))

    @staticmethod
    def from_dict(d: Mapping[int, str]) -> PauliString:
        """Build from a ``{wire: letter}`` mapping.

        Example:
            >>> str(PauliString.from_dict({2: "Y", 0: "X", 1: "I"}))
            'X0 Y2'
        """
        if not isinstance(d, Mapping):
            raise ConfigTypeError(f"from_dict needs a mapping {{wire: letter}}, got {type(d).__name__}")
        return PauliString(tuple(d.items()))

    # -- queries ------------------------------------------------------------------
    @property
    def wires(self) -> tuple[int, ...]:
        """The wires with a non-identity factor, ascending.

        Example:
            >>> PauliString.parse("Z3 X1").wires
            (1, 3)
        """
        return tuple(w for w, _ in self.ops)

    @property
    def n_y(self) -> int:
        """Number of ``Y`` factors (the string's matrix carries the phase ``i^n_y``).

        Example:
            >>> PauliString.parse("Y0 X1 Y2").n_y
            2
        """
        return sum(1 for _, ltr in self.ops if ltr == "Y")

    @property
    def is_diagonal(self) -> bool:
        """True when only ``Z`` factors (or none) appear.

        Example:
            >>> PauliString.parse("Z0 Z2").is_diagonal, PauliString.parse("Z0 X1").is_diagonal
            (True, False)
        """
        return all(ltr == "Z" for _, ltr in self.ops)

    @property
    def is_identity(self) -> bool:
        """True for the identity string.

        Example:
            >>> PauliString.parse("I").is_identity
            True
        """
        return not self.ops

    @property
    def weight(self) -> int:
        """Number of non-identity factors.

        Example:
            >>> PauliString.parse("X0 Y4").weight
            2
        """
        return len(self.ops)

    def as_dict(self) -> dict[int, str]:
        """The ``{wire: letter}`` mapping (inverse of :meth:`from_dict`).

        Example:
            >>> PauliString.parse("X0 Y4").as_dict()
            {0: 'X', 4: 'Y'}
        """
        return dict(self.ops)

    def _check_fits(self, n_wires: int) -> None:
        if isinstance(n_wires, bool) or not isinstance(n_wires, numbers.Integral):
            raise ConfigTypeError(f"n_wires must be an int, got {n_wires!r}")
        if self.ops and self.ops[-1][0] >= n_wires:
            raise ConfigError(
                f"{self} acts on wire {self.ops[-1][0]} but n_wires={n_wires}; "
                f"pass n_wires >= {self.ops[-1][0] + 1}"
            )

    def x_mask(self, n_wires: int) -> int:
        """Bit mask of the X and Y wires; wire ``w`` is bit ``n_wires - 1 - w``.

        Example:
            >>> PauliString.parse("X0 Y2 Z3").x_mask(4)  # bits 3 and 1
            10
        """
        self._check_fits(n_wires)
        return sum(1 << (n_wires - 1 - w) for w, ltr in self.ops if ltr != "Z")

    def z_mask(self, n_wires: int) -> int:
        """Bit mask of the Z and Y wires; wire ``w`` is bit ``n_wires - 1 - w``.

        Example:
            >>> PauliString.parse("X0 Y2 Z3").z_mask(4)  # bits 1 and 0
            3
        """
        self._check_fits(n_wires)
        return sum(1 << (n_wires - 1 - w) for w, ltr in self.ops if ltr != "X")

    def commutes(self, other: PauliString) -> bool:
        """True when the two strings commute (they differ on an even number of shared wires).

        Example:
            >>> PauliString.parse("X0 X1").commutes(PauliString.parse("Z0 Z1"))
            True
        """
        other = _as_string(other, "commutes")
        mine = dict(self.ops)
        clashes = sum(1 for w, ltr in other.ops if w in mine and mine[w] != ltr)
        return clashes % 2 == 0

    def qubitwise_commutes(self, other: PauliString) -> bool:
        """True when, on every shared wire, both strings have the same letter.

        Example:
            >>> PauliString.parse("X0 X1").qubitwise_commutes(PauliString.parse("Z0 Z1"))
            False
        """
        other = _as_string(other, "qubitwise_commutes")
        mine = dict(self.ops)
        return all(mine.get(w, ltr) == ltr for w, ltr in other.ops)

    # -- algebra ------------------------------------------------------------------
    @overload
    def __mul__(self, other: PauliString) -> tuple[complex, PauliString]: ...
    @overload
    def __mul__(self, other: float) -> PauliSum: ...
    def __mul__(self, other: Any) -> Any:
        """Operator product.

        ``PauliString * PauliString`` returns ``(phase, PauliString)`` with phase in
        ``{1, -1, 1j, -1j}``; ``PauliString * number`` returns a :class:`PauliSum`.

        Example:
            >>> PauliString.parse("Z0 X1") * PauliString.parse("X0 X1")
            (1j, PauliString.parse('Y0'))
        """
        if isinstance(other, PauliString):
            phase: complex = 1.0 + 0j
            result = dict(self.ops)
            for w, b in other.ops:
                a = result.get(w)
                if a is None:
                    result[w] = b
                elif a == b:
                    del result[w]
                else:
                    ph, letter = _PRODUCT[(a, b)]
                    phase *= ph
                    result[w] = letter
            return phase, PauliString(tuple(result.items()))
        if _is_scalar(other):
            return PauliSum(((_as_real(other, "a scalar factor"), self),))
        return NotImplemented

    def __rmul__(self, other: Any) -> PauliSum:
        if _is_scalar(other):
            return PauliSum(((_as_real(other, "a scalar factor"), self),))
        return NotImplemented

    def __neg__(self) -> PauliSum:
        return PauliSum(((-1.0, self),))

    def __add__(self, other: Any) -> PauliSum:
        total: PauliSum = PauliSum(((1.0, self),)) + other
        return total

    __radd__ = __add__

    def __sub__(self, other: Any) -> PauliSum:
        total: PauliSum = PauliSum(((1.0, self),)) - other
        return total

    def __rsub__(self, other: Any) -> PauliSum:
        total: PauliSum = (-self) + other
        return total

    # -- conversion ---------------------------------------------------------------
    def to_matrix(self, n_wires: int) -> np.ndarray:
        """Dense ``2^n x 2^n`` matrix built with Kronecker products (an independent oracle).

        Example:
            >>> PauliString.parse("Y0").to_matrix(1)
            array([[0.+0.j, 0.-1.j],
                   [0.+1.j, 0.+0.j]])
        """
        self._check_fits(n_wires)
        _check_n_wires(n_wires, 0, MAX_DENSE_WIRES, "a dense matrix")
        letters = dict(self.ops)
        out = np.ones((1, 1), dtype=complex)
        for w in range(n_wires):
            out = np.kron(out, _MATRICES[letters.get(w, "I")])
        return out

    def __str__(self) -> str:
        return " ".join(f"{ltr}{w}" for w, ltr in self.ops) if self.ops else "I"

    def __repr__(self) -> str:
        return f"PauliString.parse({str(self)!r})"

    def _sort_key(self) -> tuple[int, tuple[tuple[int, str], ...]]:
        return (len(self.ops), self.ops)


def _as_string(value: Any, where: str) -> PauliString:
    if isinstance(value, PauliString):
        return value
    if isinstance(value, str):
        return PauliString.parse(value)
    raise ConfigTypeError(f"{where} needs a PauliString (or its text), got {type(value).__name__}")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


@dataclass(frozen=True)
class PauliSum:
    """A real linear combination of Pauli strings: a Hermitian operator.

    Attributes:
        terms: ``(coefficient, PauliString)`` pairs. The constructor normalises them:
            coefficients become ``float`` (complex ones with zero imaginary part are
            accepted), strings may also be given as text, like terms are merged, exact
            zeros dropped, and terms sorted by (weight, wires, letters), so ``==`` compares
            operators. The identity term (the constant) comes first.

    Operators: ``+``, ``-`` (with sums, strings and numbers), ``*`` and ``/`` by numbers,
    unary ``-``, and ``*`` between sums or strings, which expands the product and
    raises ``ValueError`` if the result is not Hermitian (the factors do not commute).

    Example:
        >>> H = PauliSum.parse("1.0*Z0 Z1 + 0.5*X0 - 2 X1 + 0.3")
        >>> str(H)
        '0.3 + 0.5*X0 - 2.0*X1 + Z0 Z1'
        >>> H == PauliSum.parse(str(H))
        True
        >>> (H - H).terms
        ()
    """

    terms: tuple[tuple[float, PauliString], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.terms, (str, bytes)):
            raise ConfigTypeError(
                f"PauliSum(terms) needs (coefficient, PauliString) pairs, got the string {self.terms!r}; "
                "use PauliSum.parse(text) or pauli(text) for text"
            )
        merged: dict[PauliString, float] = {}
        for item in self.terms:
            try:
                coeff, string = item
            except (TypeError, ValueError):
                raise ConfigTypeError(
                    f"each PauliSum term must be a (coefficient, PauliString) pair, got {item!r}"
                ) from None
            c = _as_real(coeff, f"the coefficient of {string}")
            s = _as_string(string, "a PauliSum term")
            merged[s] = merged.get(s, 0.0) + c
        terms = tuple((c, s) for s, c in sorted(merged.items(), key=lambda kv: kv[0]._sort_key()) if c != 0.0)
        object.__setattr__(self, "terms", terms)

    # -- construction -------------------------------------------------------------
    @staticmethod
    def parse(text: str) -> PauliSum:
        """Parse text such as ``"1.0*Z0 Z1 + 0.5*X0 - 2 X1 + 0.3"``.

        Each term is an optional sign, an optional real coefficient (``2``, ``-0.5``,
        ``1e-3``, ``.5``) with an optional ``*``, and an optional Pauli string
        (``Z0 Z1``, ``Z0Z1``, ``Z_0 @ Z_1``, ``Z(0)``); a term needs a coefficient, a
        string or both. ``"0"`` and ``""`` give the empty (zero) sum.

        Args:
            text: The operator.

        Returns:
            The normalised sum.

        Raises:
            ValueError: With the position of the first bad token.

        Example:
            >>> PauliSum.parse("-Z0Z1 + 1e-3 * Y0 Y1").terms
            ((0.001, PauliString.parse('Y0 Y1')), (-1.0, PauliString.parse('Z0 Z1')))
        """
        tokens = _tokenize(text)
        terms: list[tuple[float, PauliString]] = []
        i, n = 0, len(tokens)
        while i < n:
            sign = 1.0
            n_signs = 0
            while i < n and tokens[i][0] == "sign":
                sign *= -1.0 if tokens[i][1] == "-" else 1.0
                n_signs += 1
                i += 1
            if terms and n_signs == 0:
                raise _bad_text(text, tokens[i][2], f"expected '+' or '-' before {tokens[i][1]!r}")
            if i == n:
                raise _bad_text(text, len(text), "the text ends after a sign; a term is missing")
            coeff: float | None = None
            if tokens[i][0] == "num":
                coeff = float(tokens[i][1])
                i += 1
                if i < n and tokens[i][0] == "star":
                    i += 1
                    if i == n or tokens[i][0] not in ("factor", "ident"):
                        pos = tokens[i][2] if i < n else len(text)
                        raise _bad_text(text, pos, "expected a Pauli factor after '*'")
            ops: list[tuple[int, str]] = []
            n_factors = 0
            while i < n and tokens[i][0] in ("factor", "ident"):
                if tokens[i][0] == "factor":
                    ops.append(_factor_of(tokens[i][1]))
                n_factors += 1
                i += 1
                if i < n and tokens[i][0] in ("at", "star"):
                    if i + 1 == n or tokens[i + 1][0] not in ("factor", "ident"):
                        pos = tokens[i + 1][2] if i + 1 < n else len(text)
                        raise _bad_text(text, pos, f"expected a Pauli factor after {tokens[i][1]!r}")
                    i += 1
            if coeff is None and n_factors == 0:
                _, value, pos = tokens[i]
                raise _bad_text(text, pos, f"expected a coefficient or a Pauli factor, got {value!r}")
            if i < n and tokens[i][0] not in ("sign",):
                _, value, pos = tokens[i]
                raise _bad_text(text, pos, f"unexpected {value!r} after a term; separate terms with + or -")
            try:
                string = PauliString(tuple(ops))
            except ValueError as err:
                raise ConfigError(f"cannot parse {text!r}: {err}") from None
            terms.append((sign * (1.0 if coeff is None else coeff), string))
        return PauliSum(tuple(terms))

    @staticmethod
    def from_terms(terms: Iterable[tuple[float, PauliString | str]]) -> PauliSum:
        """Build from ``(coefficient, string)`` pairs; strings may be text.

        Example:
            >>> str(PauliSum.from_terms([(0.5, "X0"), (0.5, PauliString.parse("X0")), (1, "Z1")]))
            'X0 + Z1'
        """
        if isinstance(terms, (str, bytes)) or not isinstance(terms, Iterable):
            raise ConfigTypeError(
                f"from_terms needs an iterable of (coefficient, string) pairs, got {type(terms).__name__}"
            )
        return PauliSum(cast(tuple[tuple[float, PauliString], ...], tuple(terms)))  # text: normalised there

    @staticmethod
    def coerce(value: PauliSum | PauliString | str | float) -> PauliSum:
        """Turn a sum, string, text or number into a :class:`PauliSum`.

        Example:
            >>> PauliSum.coerce("Z0") == PauliSum.coerce(PauliString.parse("Z0"))
            True
        """
        if isinstance(value, PauliSum):
            return value
        if isinstance(value, PauliString):
            return PauliSum(((1.0, value),))
        if isinstance(value, str):
            return PauliSum.parse(value)
        if _is_scalar(value):
            return PauliSum(((_as_real(value, "a constant"), PauliString()),))
        raise ConfigTypeError(
            f"expected a PauliSum, PauliString, Pauli text or a number, got {type(value).__name__}"
        )

    # -- queries ------------------------------------------------------------------
    @property
    def n_wires(self) -> int:
        """Largest wire + 1 (0 for a constant or the zero sum).

        Example:
            >>> pauli("X5 + Z2").n_wires, pauli("3").n_wires
            (6, 0)
        """
        return max((s.ops[-1][0] + 1 for _, s in self.terms if s.ops), default=0)

    @property
    def wires(self) -> tuple[int, ...]:
        """All wires any term acts on, ascending.

        Example:
            >>> pauli("X5 + Z2 Z0").wires
            (0, 2, 5)
        """
        return tuple(sorted({w for _, s in self.terms for w in s.wires}))

    @property
    def coeffs(self) -> np.ndarray:
        """The coefficients as a float array (same order as :attr:`terms`).

        Example:
            >>> pauli("2 Z0 Z1 - X0").coeffs.tolist()
            [-1.0, 2.0]
        """
        return np.array([c for c, _ in self.terms], dtype=float)

    @property
    def strings(self) -> tuple[PauliString, ...]:
        """The Pauli strings (same order as :attr:`terms`).

        Example:
            >>> [str(s) for s in pauli("2 Z0 Z1 - X0").strings]
            ['X0', 'Z0 Z1']
        """
        return tuple(s for _, s in self.terms)

    @property
    def is_diagonal(self) -> bool:
        """True when every term is a ``Z`` string or the identity.

        Example:
            >>> pauli("1 + Z0 Z1").is_diagonal
            True
        """
        return all(s.is_diagonal for _, s in self.terms)

    def constant(self) -> float:
        """The coefficient of the identity term (0.0 if absent).

        Example:
            >>> pauli("2 + Z0").constant()
            2.0
        """
        return next((c for c, s in self.terms if s.is_identity), 0.0)

    def l1_norm(self, include_constant: bool = True) -> float:
        """Sum of absolute coefficients: an upper bound on the operator norm.

        Example:
            >>> pauli("1 - 2 Z0 + 0.5 X1").l1_norm(include_constant=False)
            2.5
        """
        return float(sum(abs(c) for c, s in self.terms if include_constant or not s.is_identity))

    def commutes(self, other: PauliSum | PauliString | str, atol: float = 1e-12) -> bool:
        """True when ``[self, other] = 0`` (checked symbolically, term by term).

        Example:
            >>> pauli("Z0 Z1 + X0 X1").commutes("Z0 Z1")
            True
        """
        o = PauliSum.coerce(other)
        return self.commutator(o).l1_norm() <= atol * max(1.0, self.l1_norm() * o.l1_norm())

    def commutator(self, other: PauliSum | PauliString | str) -> PauliSum:
        """``i [self, other]``, which is again Hermitian (a real Pauli sum).

        Example:
            >>> str(pauli("X0").commutator("Z0"))
            '2.0*Y0'
        """
        o = PauliSum.coerce(other)
        acc: dict[PauliString, complex] = {}
        for a, p in self.terms:
            for b, q in o.terms:
                if not p.commutes(q):
                    phase, r = p * q
                    acc[r] = acc.get(r, 0j) + 2.0 * a * b * phase
        # each coefficient of [A, B] is imaginary; i[A, B] is real
        return PauliSum(tuple(((1j * c).real, s) for s, c in acc.items()))

    def anticommutator(self, other: PauliSum | PauliString | str) -> PauliSum:
        """``{self, other} = self*other + other*self`` (Hermitian for any two Hermitian operators).

        Example:
            >>> str(pauli("X0 + Z1").anticommutator("X0"))
            '2.0 + 2.0*X0 Z1'
        """
        o = PauliSum.coerce(other)
        acc: dict[PauliString, float] = {}
        for a, p in self.terms:
            for b, q in o.terms:
                if p.commutes(q):
                    phase, r = p * q
                    acc[r] = acc.get(r, 0.0) + 2.0 * a * b * phase.real
        return PauliSum(tuple((c, s) for s, c in acc.items()))

    # -- algebra ------------------------------------------------------------------
    def __add__(self, other: Any) -> PauliSum:
        if not isinstance(other, (PauliSum, PauliString)) and not _is_scalar(other):
            return NotImplemented
        return PauliSum(self.terms + PauliSum.coerce(other).terms)

    __radd__ = __add__

    def __neg__(self) -> PauliSum:
        return PauliSum(tuple((-c, s) for c, s in self.terms))

    def __sub__(self, other: Any) -> PauliSum:
        if not isinstance(other, (PauliSum, PauliString)) and not _is_scalar(other):
            return NotImplemented
        return self + (-PauliSum.coerce(other))

    def __rsub__(self, other: Any) -> PauliSum:
        if not isinstance(other, (PauliSum, PauliString)) and not _is_scalar(other):
            return NotImplemented
        return PauliSum.coerce(other) + (-self)

    def __mul__(self, other: Any) -> PauliSum:
        if _is_scalar(other):
            f = _as_real(other, "a scalar factor")
            return PauliSum(tuple((f * c, s) for c, s in self.terms))
        if not isinstance(other, (PauliSum, PauliString)):
            return NotImplemented
        return _product(self, PauliSum.coerce(other))

    def __rmul__(self, other: Any) -> PauliSum:
        if _is_scalar(other):
            scaled: PauliSum = self * other
            return scaled
        if isinstance(other, PauliString):
            return _product(PauliSum.coerce(other), self)
        return NotImplemented

    def __truediv__(self, other: Any) -> PauliSum:
        if not _is_scalar(other):
            return NotImplemented
        f = _as_real(other, "a divisor")
        if f == 0.0:
            raise ZeroDivisionError("cannot divide a PauliSum by zero")
        return self * (1.0 / f)

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[tuple[float, PauliString]]:
        return iter(self.terms)

    def simplify(self, atol: float = 1e-12) -> PauliSum:
        """Drop terms with ``|coefficient| <= atol`` (e.g. rounding left-overs of cancellations).

        Example:
            >>> len((pauli("0.1 X0") + pauli("0.2 X0") - pauli("0.3 X0")).simplify())
            0
        """
        return PauliSum(tuple((c, s) for c, s in self.terms if abs(c) > atol))

    def allclose(self, other: PauliSum | PauliString | str | float, atol: float = 1e-12) -> bool:
        """True when all coefficients of ``self - other`` are at most ``atol`` in size.

        Example:
            >>> pauli("0.1 X0 + 0.2 X0").allclose("0.3 X0")
            True
        """
        return all(abs(c) <= atol for c, _ in (self - PauliSum.coerce(other)).terms)

    # -- grouping -----------------------------------------------------------------
    def by_x_mask(self, n_wires: int | None = None) -> dict[int, list[tuple[float, PauliString]]]:
        """Group terms by their X mask: each group is one generalized permutation ``|x> -> |x ^ mask>``.

        Args:
            n_wires: Width used for the masks (default :attr:`n_wires`).

        Returns:
            ``{x_mask: [(coeff, string), ...]}`` in order of first appearance; the
            diagonal group has key ``0``.

        Example:
            >>> pauli("Z0 Z1 + X0 + Y0 Z1 + Z1").by_x_mask(2)
            {2: [(1.0, PauliString.parse('X0')), (1.0, PauliString.parse('Y0 Z1'))], 0: [(1.0, PauliString.parse('Z1')), (1.0, PauliString.parse('Z0 Z1'))]}
        """  # noqa: E501
        n = self.n_wires if n_wires is None else _check_n_wires(n_wires, self.n_wires, 62, "a mask")
        groups: dict[int, list[tuple[float, PauliString]]] = {}
        for c, s in self.terms:
            groups.setdefault(s.x_mask(n), []).append((c, s))
        return groups

    def qubitwise_groups(self) -> list[PauliSum]:
        """Greedy partition into qubit-wise commuting sets (each measurable in one basis).

        Terms are placed, in order of decreasing ``|coefficient|`` (ties: canonical
        order), into the first group whose strings all agree with it on shared wires.
        The identity term joins the first group.

        Example:
            >>> [str(g) for g in pauli("Z0 Z1 + Z1 Z2 + X0 + X1 + X2").qubitwise_groups()]
            ['X0 + X1 + X2', 'Z0 Z1 + Z1 Z2']
        """
        order = sorted(range(len(self.terms)), key=lambda i: -abs(self.terms[i][0]))
        groups: list[tuple[dict[int, str], list[tuple[float, PauliString]]]] = []
        for i in order:
            c, s = self.terms[i]
            if s.is_identity:
                continue
            for letters, members in groups:
                if all(letters.get(w, ltr) == ltr for w, ltr in s.ops):
                    letters.update(s.ops)
                    members.append((c, s))
                    break
            else:
                groups.append((dict(s.ops), [(c, s)]))
        out = [PauliSum(tuple(members)) for _, members in groups]
        const = self.constant()
        if const:
            out = [out[0] + const, *out[1:]] if out else [PauliSum.coerce(const)]
        return out

    # -- matrices -----------------------------------------------------------------
    def _width(self, n_wires: int | None, limit: int, what: str) -> int:
        if n_wires is None:
            return _check_n_wires(self.n_wires, self.n_wires, limit, what)
        return _check_n_wires(n_wires, self.n_wires, limit, what)

    def diagonal(self, n_wires: int | None = None) -> np.ndarray:
        """The matrix diagonal (length ``2^n``, real): only ``Z`` strings and the constant contribute.

        Example:
            >>> pauli("Z0 + 0.5 X1 + 2").diagonal(2).tolist()
            [3.0, 3.0, 1.0, 1.0]
        """
        n = self._width(n_wires, MAX_SPARSE_WIRES, "a diagonal")
        idx = np.arange(1 << n, dtype=np.int64)
        out = np.zeros(1 << n, dtype=float)
        for c, s in self.terms:
            if s.is_diagonal:
                zm = s.z_mask(n)
                out += c if zm == 0 else np.array([c, -c])[_parity(idx & zm)]
        return out

    def to_sparse(self, n_wires: int | None = None) -> sp.csr_matrix:
        """Sparse CSR matrix, built with vectorised bit tricks (no Kronecker products).

        For each X-mask group ``m`` the row ``r`` has one entry in column ``c = r ^ m``
        with value ``sum_t coeff_t i^{n_y,t} (-1)^{popcount(c & z_mask_t)}``, so the CSR
        arrays are filled directly with ``2^n * n_groups`` entries. The dtype is float64
        when every term has an even number of ``Y`` factors (a real matrix), else complex128.

        Args:
            n_wires: Matrix width (default :attr:`n_wires`); at most 30.

        Example:
            >>> pauli("X0 + Z1").to_sparse().toarray().real
            array([[ 1.,  0.,  1.,  0.],
                   [ 0., -1.,  0.,  1.],
                   [ 1.,  0.,  1.,  0.],
                   [ 0.,  1.,  0., -1.]])
        """
        import scipy.sparse as sp

        n = self._width(n_wires, MAX_SPARSE_WIRES, "a sparse matrix")
        dim = 1 << n
        groups = self.by_x_mask(n)
        real = all(s.n_y % 2 == 0 for _, s in self.terms)
        dtype = np.float64 if real else np.complex128
        if not groups:
            return sp.csr_matrix((dim, dim), dtype=dtype)
        masks = sorted(groups)
        n_groups = len(masks)
        nnz = dim * n_groups
        idx_dtype = np.int32 if nnz < 2**31 - 1 else np.int64
        # Per term: a sign table and the z mask; applied to row blocks that stay in cache.
        plan: list[tuple[int, Any, np.ndarray]] = []
        for g, mask in enumerate(masks):
            for c, string in groups[mask]:
                phase = _I_POWERS[string.n_y % 4]
                coef = c * phase.real if real else c * phase
                plan.append((g, idx_dtype(string.z_mask(n)), np.array([coef, -coef], dtype=dtype)))
        indices = np.empty(nnz, dtype=idx_dtype)
        data = np.empty(nnz, dtype=dtype)
        mask_col = np.array(masks, dtype=idx_dtype)[:, None]
        block = min(dim, 1 << 15)
        block_idx = np.empty((n_groups, block), dtype=idx_dtype)
        block_val = np.empty((n_groups, block), dtype=dtype)
        for start in range(0, dim, block):
            rows = np.arange(start, start + block, dtype=idx_dtype)
            np.bitwise_xor(rows[None, :], mask_col, out=block_idx)  # column of each entry
            block_val.fill(0.0)
            for g, zm, table in plan:
                if zm == 0:
                    block_val[g] += table[0]
                else:
                    block_val[g] += table[_parity(block_idx[g] & zm)]
            indices[start * n_groups : (start + block) * n_groups] = block_idx.T.ravel()
            data[start * n_groups : (start + block) * n_groups] = block_val.T.ravel()
        indptr = np.arange(0, nnz + 1, n_groups, dtype=idx_dtype)
        out = sp.csr_matrix((data, indices, indptr), shape=(dim, dim))
        out.has_sorted_indices = False
        out.sort_indices()
        out.eliminate_zeros()
        logger.debug(
            "to_sparse: %d wires, %d terms, %d x-mask groups, nnz=%d", n, len(self), n_groups, out.nnz
        )
        return out

    def to_matrix(self, n_wires: int | None = None) -> np.ndarray:
        """Dense matrix (``n_wires <= 14``).

        Example:
            >>> pauli("Z0 Z1").to_matrix().diagonal().real.tolist()
            [1.0, -1.0, -1.0, 1.0]
        """
        n = self._width(n_wires, MAX_DENSE_WIRES, "a dense matrix")
        dense: np.ndarray = self.to_sparse(n).toarray().astype(complex)
        return dense

    # -- text and JSON ------------------------------------------------------------
    def __str__(self) -> str:
        if not self.terms:
            return "0"
        parts: list[str] = []
        for k, (c, s) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            mag = abs(c)
            if s.is_identity:
                body = repr(mag)
            elif mag == 1.0:
                body = str(s)
            else:
                body = f"{mag!r}*{s}"
            if k == 0:
                parts.append(f"-{body}" if sign == "-" else body)
            else:
                parts.append(f" {sign} {body}")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"PauliSum.parse({str(self)!r})"

    def to_json(self) -> list[list[Any]]:
        """Plain list form ``[[coeff, "Z0 Z1"], ...]`` (identity written ``"I"``).

        Example:
            >>> pauli("0.5 + Z0 Z1").to_json()
            [[0.5, 'I'], [1.0, 'Z0 Z1']]
            >>> PauliSum.from_json(json.loads(json.dumps(pauli("X0 - Y1").to_json())))
            PauliSum.parse('X0 - Y1')
        """
        return [[c, str(s)] for c, s in self.terms]

    @staticmethod
    def from_json(data: Any) -> PauliSum:
        """Inverse of :meth:`to_json`; also accepts the JSON text itself.

        Example:
            >>> str(PauliSum.from_json([[2, "X0"], [-1, "Z0 Z1"]]))
            '2.0*X0 - Z0 Z1'
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as err:
                raise ConfigError(f"from_json got text that is not JSON: {err}") from None
        if not isinstance(data, list):
            raise ConfigTypeError(
                f"from_json expects a list of [coefficient, 'Pauli string'] pairs, got {type(data).__name__}"
            )
        terms: list[tuple[float, PauliString]] = []
        for item in data:
            if not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[1], str):
                raise ConfigError(
                    f"from_json expects entries [coefficient, 'Pauli string'] such as [0.5, 'Z0 Z1'], "
                    f"got {item!r}"
                )
            terms.append((_as_real(item[0], f"the coefficient in {item!r}"), PauliString.parse(item[1])))
        return PauliSum(tuple(terms))


def _product(a: PauliSum, b: PauliSum, atol: float = 1e-12) -> PauliSum:
    acc: dict[PauliString, complex] = {}
    for ca, p in a.terms:
        for cb, q in b.terms:
            phase, r = p * q
            acc[r] = acc.get(r, 0j) + ca * cb * phase
    scale = max(1.0, a.l1_norm() * b.l1_norm())
    bad = {s: c for s, c in acc.items() if abs(c.imag) > atol * scale}
    if bad:
        s, c = next(iter(bad.items()))
        raise ConfigError(
            f"the product A*B is not Hermitian (it has the complex coefficient {c} on {s}) because A "
            "and B do not commute, and PauliSum holds real coefficients only; multiply commuting "
            "operators, or use A.anticommutator(B) / A.commutator(B) for the Hermitian parts"
        )
    return PauliSum(tuple((c.real, s) for s, c in acc.items()))


#: What every ``observables=`` argument takes: a Pauli sum, one Pauli string, or text (``"Z0 Z1 + 0.5*X0"``).
ObservableLike = PauliSum | PauliString | str


def as_observables(
    observables: ObservableLike | Sequence[ObservableLike], n_wires: int | None = None
) -> tuple[tuple[PauliSum, ...], bool]:
    """One observable or a list of them as Pauli sums, and whether a single one was given.

    The one place every ``observables=`` argument is read (simulators, backends, layers).

    Args:
        observables: A :data:`ObservableLike` or a list/tuple of them.
        n_wires: When given, every observable must act within wires ``0..n_wires-1``.

    Raises:
        ConfigTypeError: An item is not a PauliSum, PauliString or text.
        ConfigError: The list is empty, or an observable acts beyond ``n_wires``.

    Example:
        >>> obs, single = as_observables("Z0 + X1")
        >>> len(obs), single
        (1, True)
        >>> as_observables(["Z0", "X1"], n_wires=2)[1]
        False
    """
    single = not isinstance(observables, (list, tuple))
    items = [observables] if single else list(cast(Sequence[ObservableLike], observables))
    if not items:
        raise ConfigError(
            "observables is empty: pass at least one observable (a PauliSum, PauliString or text "
            "like 'Z0 Z1')"
        )
    out = []
    for k, o in enumerate(items):
        if not isinstance(o, (PauliSum, PauliString, str)):
            raise ConfigTypeError(
                f"an observable must be a PauliSum, PauliString or text like 'Z0 Z1', got {type(o).__name__}"
            )
        s = PauliSum.coerce(o)
        if n_wires is not None and s.n_wires > n_wires:
            which = "the observable" if single else f"observable {k}"
            raise ConfigError(
                f"{which} ({s}) acts on wire {s.n_wires - 1} but the circuit has {n_wires} wires "
                f"(0..{n_wires - 1})"
            )
        out.append(s)
    return tuple(out), single


def pauli(text: str) -> PauliSum:
    """Parse Pauli text into a :class:`PauliSum` (shorthand for :meth:`PauliSum.parse`).

    Example:
        >>> pauli("0.5 * Y0 Y1 - Z0").n_wires
        2
    """
    return PauliSum.parse(text)


def expval_dense(op: PauliSum | PauliString | str, state: np.ndarray) -> float:
    """``<psi|op|psi>`` for a state vector (wire 0 = high bit); a test oracle.

    The state is not renormalised. The width is taken from the state's length.

    Args:
        op: The observable.
        state: A vector of length ``2^n`` (NumPy array or anything ``np.asarray`` takes,
            such as a CPU torch tensor).

    Example:
        >>> psi = np.array([1, 0, 0, 1]) / np.sqrt(2)  # Bell state
        >>> round(expval_dense(pauli("Z0 Z1 + X0 X1 - Y0 Y1"), psi), 12)
        3.0
    """
    o = PauliSum.coerce(op)
    psi = np.asarray(state)
    if psi.ndim != 1 or psi.size == 0 or psi.size & (psi.size - 1):
        raise ConfigError(
            f"expval_dense needs a 1-D state vector of length 2^n, got shape {psi.shape}; "
            "pass one state at a time (loop over a batch)"
        )
    n = psi.size.bit_length() - 1
    if n < o.n_wires:
        raise ConfigError(
            f"the state has {n} wires (length {psi.size}) but the operator acts on wire {o.n_wires - 1}"
        )
    psi = psi.astype(complex)
    return float(np.vdot(psi, o.to_sparse(n) @ psi).real)
