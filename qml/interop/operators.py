"""Hamiltonians in and out: :class:`~qml.paulis.PauliSum` to and from Qiskit, PennyLane and OpenFermion.

* :func:`from_labels`: Qiskit-style label strings (``"XIZ"``: the *rightmost* letter is
  qubit 0) with coefficients;
* :func:`to_sparse_pauli_op` / :func:`from_sparse_pauli_op`: ``qiskit.quantum_info.SparsePauliOp``;
* :func:`to_pennylane_op` / :func:`from_pennylane_op`: PennyLane operators (anything with a
  ``pauli_rep``: ``qp.Hamiltonian``, sums and products of ``qp.X`` ...);
* :func:`to_qubit_operator` / :func:`from_qubit_operator`: ``openfermion.QubitOperator``
  (read from any object with OpenFermion's ``terms`` dict).

Wires: our wire ``w`` is Qiskit qubit ``w``, PennyLane wire ``w`` and OpenFermion index
``w`` (see :mod:`qml.ir`); only the *label strings* of Qiskit put qubit 0 last. A Hamiltonian
must be Hermitian: complex coefficients are accepted when their imaginary parts are below
``1e-12`` (relative to the largest coefficient), otherwise refused with the term named.
:meth:`qml.paulis.PauliSum.coerce` does not guess foreign types: convert first.

Example:
    >>> h = from_labels(["ZZI", "IXX"], [1.0, 0.5])
    >>> str(h)
    '0.5*X0 X1 + Z1 Z2'
    >>> from_sparse_pauli_op(to_sparse_pauli_op(h, 3)) == h
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qml.errors import ConfigError, MissingExtraError
from qml.paulis import PauliString, PauliSum

#: Imaginary parts below this (relative to the largest coefficient) are rounding, not physics.
IMAG_TOL = 1e-12


def _real_coefficients(items: Sequence[tuple[complex, PauliString]], source: str) -> PauliSum:
    scale = max((abs(c) for c, _ in items), default=0.0) or 1.0
    terms: list[tuple[float, PauliString]] = []
    for c, s in items:
        c = complex(c)
        if abs(c.imag) > IMAG_TOL * scale:
            raise ConfigError(
                f"the {source} term {s or 'I'} has the complex coefficient {c:g}; a Hamiltonian must be "
                "Hermitian (real coefficients on Pauli strings)"
            )
        terms.append((c.real, s))
    return PauliSum(tuple(terms)).simplify(0.0)


def _label_string(label: str) -> PauliString:
    text = str(label).strip().upper()
    bad = sorted(set(text) - set("IXYZ"))
    if not text or bad:
        raise ConfigError(f"a Pauli label is made of I, X, Y, Z (qubit 0 rightmost), got {label!r}")
    n = len(text)
    return PauliString(tuple((n - 1 - k, ltr) for k, ltr in enumerate(text) if ltr != "I"))


def from_labels(labels: str | Iterable[str], coeffs: Iterable[complex] | None = None) -> PauliSum:
    """A sum of Qiskit-style labels (qubit 0 is the rightmost letter), coefficients default 1.

    Raises:
        ValueError: For a letter other than I, X, Y, Z, a length mismatch, or a complex coefficient.

    Example:
        >>> str(from_labels("IZ")), str(from_labels(["XX", "YY"], [0.5, 0.5j * -1j]))
        ('Z0', '0.5*X0 X1 + 0.5*Y0 Y1')
    """
    labels = [labels] if isinstance(labels, str) else list(labels)
    values = [1.0] * len(labels) if coeffs is None else list(coeffs)
    if len(values) != len(labels):
        raise ConfigError(
            f"{len(labels)} labels but {len(values)} coefficients; give one coefficient per label"
        )
    return _real_coefficients(
        [(c, _label_string(lab)) for lab, c in zip(labels, values, strict=True)], "label"
    )


def to_sparse_pauli_op(op: PauliSum | PauliString | str, n_qubits: int | None = None) -> Any:
    """``op`` as a ``SparsePauliOp`` on ``n_qubits`` (default: the operator's width).

    Example:
        >>> to_sparse_pauli_op("2*Z0 X2").to_list()
        [('XIZ', (2+0j))]
    """
    from qml.backends.qiskit_common import to_sparse_pauli

    h = PauliSum.coerce(op)
    n = max(h.n_wires, 1) if n_qubits is None else int(n_qubits)
    if n < h.n_wires:
        raise ConfigError(f"the operator acts on {h.n_wires} qubits; n_qubits={n} is too few")
    return to_sparse_pauli(h, n)


def from_sparse_pauli_op(op: Any) -> PauliSum:
    """A ``SparsePauliOp`` (or a list of ``(label, coefficient)`` pairs, its ``to_list()``) as a PauliSum.

    Example:
        >>> str(from_sparse_pauli_op([("IZ", 1.0), ("XX", 0.25 + 0j)]))
        'Z0 + 0.25*X0 X1'
    """
    items = op.to_list() if hasattr(op, "to_list") else list(op)
    try:
        labels, coeffs = zip(*items, strict=True) if items else ((), ())
    except (TypeError, ValueError):
        raise ConfigError(f"expected a SparsePauliOp or (label, coefficient) pairs, got {op!r:.80}") from None
    return from_labels(list(labels), list(coeffs))


def to_pennylane_op(op: PauliSum | PauliString | str) -> Any:
    """``op`` as a PennyLane operator (a sum of scaled Pauli products on integer wires).

    Example:
        >>> import pennylane as qp
        >>> from_pennylane_op(to_pennylane_op("0.5*Z0 Z1 + X1")) == PauliSum.coerce("0.5*Z0 Z1 + X1")
        True
    """
    import pennylane as qp

    letters = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}
    coeffs: list[float] = []
    ops: list[Any] = []
    for c, s in PauliSum.coerce(op).terms:
        factors = [letters[ltr](w) for w, ltr in s.ops]
        ops.append(qp.prod(*factors) if len(factors) > 1 else factors[0] if factors else qp.Identity(0))
        coeffs.append(float(c))
    if not ops:
        return qp.s_prod(0.0, qp.Identity(0))
    return qp.dot(coeffs, ops)


def from_pennylane_op(op: Any) -> PauliSum:
    """A PennyLane operator (anything with a ``pauli_rep``) as a PauliSum; wires must be integers.

    Example:
        >>> import pennylane as qp
        >>> str(from_pennylane_op(0.5 * qp.Z(0) @ qp.Z(1) + qp.X(1)))
        'X1 + 0.5*Z0 Z1'
    """
    rep = getattr(op, "pauli_rep", None)
    if rep is None:
        raise ConfigError(f"cannot convert {type(op).__name__} to a PauliSum: it has no Pauli representation")
    items = []
    for word, coeff in rep.items():
        wires = list(word)
        if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in wires):
            raise ConfigError(
                f"PennyLane wires must be integers >= 0 to become our wires, got {wires}; map them with "
                "qp.map_wires first"
            )
        items.append((complex(coeff), PauliString(tuple((int(w), str(word[w])) for w in wires))))
    return _real_coefficients(items, "PennyLane")


def to_qubit_operator(op: PauliSum | PauliString | str) -> Any:
    """``op`` as an ``openfermion.QubitOperator`` (needs ``pip install openfermion``).

    Example:
        >>> to_qubit_operator("Z0") is not None  # doctest: +SKIP
        True
    """
    try:
        from openfermion import QubitOperator
    except ModuleNotFoundError:
        raise MissingExtraError("openfermion", "openfermion", "to_qubit_operator", "OpenFermion") from None
    out = QubitOperator()
    for c, s in PauliSum.coerce(op).terms:
        out += QubitOperator(tuple((w, ltr) for w, ltr in s.ops), float(c))
    return out


def from_qubit_operator(op: Any) -> PauliSum:
    """An ``openfermion.QubitOperator`` (anything with its ``terms`` dict) as a PauliSum.

    Example:
        >>> class Q:  # what OpenFermion's QubitOperator holds
        ...     terms = {((0, "X"), (2, "Z")): 0.5, (): -1.0}
        >>> str(from_qubit_operator(Q()))
        '-1.0 + 0.5*X0 Z2'
    """
    terms = getattr(op, "terms", None)
    if not isinstance(terms, Mapping):
        raise ConfigError(f"expected an openfermion.QubitOperator (a 'terms' dict), got {type(op).__name__}")
    items = []
    for word, coeff in terms.items():
        try:
            items.append((complex(coeff), PauliString(tuple((int(w), str(ltr)) for w, ltr in word))))
        except (TypeError, ValueError) as err:
            raise ConfigError(f"cannot read the QubitOperator term {word!r}: {err}") from None
    return _real_coefficients(items, "QubitOperator")


__all__ = [
    "IMAG_TOL",
    "from_labels",
    "from_pennylane_op",
    "from_qubit_operator",
    "from_sparse_pauli_op",
    "to_pennylane_op",
    "to_qubit_operator",
    "to_sparse_pauli_op",
]
