"""Hamiltonian converters: PauliSum <-> Qiskit labels / SparsePauliOp, PennyLane, OpenFermion.

Every conversion is checked on the operator's matrix against the other library's own matrix
(wire order included), on random Hermitian Pauli sums.
"""

from __future__ import annotations

import numpy as np
import pytest

from qml.interop.operators import (
    from_labels,
    from_pennylane_op,
    from_qubit_operator,
    from_sparse_pauli_op,
    to_pennylane_op,
    to_qubit_operator,
    to_sparse_pauli_op,
)
from qml.paulis import PauliString, PauliSum


def _random_sum(n: int, terms: int, seed: int) -> PauliSum:
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(terms):
        letters = rng.choice(list("IXYZ"), size=n)
        items.append(
            (float(rng.normal()), PauliString(tuple((w, ltr) for w, ltr in enumerate(letters) if ltr != "I")))
        )
    return PauliSum(tuple(items)).simplify(0.0)


@pytest.mark.parametrize("seed", range(4))
def test_qiskit_round_trip_and_matrix(seed):
    from qiskit.quantum_info import Operator, SparsePauliOp

    h = _random_sum(3, 6, seed)
    op = to_sparse_pauli_op(h, 3)
    assert isinstance(op, SparsePauliOp)
    # Qiskit's matrix is little-endian: reverse its qubits to compare with our wire order
    theirs = Operator(op).reverse_qargs().data
    np.testing.assert_allclose(theirs, h.to_matrix(3), atol=1e-12)
    assert from_sparse_pauli_op(op) == h


def test_labels_put_qubit_zero_last():
    h = from_labels(["XIZ", "IYI"], [2.0, -1.0 + 0j])
    assert h == PauliSum.coerce("2*Z0 X2 - Y1")
    from qiskit.quantum_info import SparsePauliOp

    assert from_sparse_pauli_op(SparsePauliOp(["XIZ", "IYI"], [2.0, -1.0])) == h


@pytest.mark.parametrize("seed", range(3))
def test_pennylane_round_trip_and_matrix(seed):
    import pennylane as qp

    h = _random_sum(3, 5, seed)
    op = to_pennylane_op(h)
    np.testing.assert_allclose(qp.matrix(op, wire_order=[0, 1, 2]), h.to_matrix(3), atol=1e-12)
    assert from_pennylane_op(op) == h


def test_openfermion_terms_are_read():
    class QubitOperator:  # the shape of openfermion.QubitOperator
        def __init__(self) -> None:
            self.terms = {((0, "X"), (1, "Y")): 0.25 + 0j, ((2, "Z"),): -1.0, (): 0.5}

    assert from_qubit_operator(QubitOperator()) == PauliSum.coerce("0.25*X0 Y1 - Z2 + 0.5")


def test_openfermion_round_trip_when_installed():
    pytest.importorskip("openfermion")
    h = _random_sum(3, 4, 7)
    assert from_qubit_operator(to_qubit_operator(h)) == h


def test_openfermion_missing_names_the_install():
    try:
        import openfermion  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(ModuleNotFoundError, match=r"pip install 'qml-circuits\[openfermion\]'"):
            to_qubit_operator("Z0")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: from_labels(["XA"]), "made of I, X, Y, Z"),
        (lambda: from_labels(["XX", "ZZ"], [1.0]), "2 labels but 1 coefficients"),
        (lambda: from_labels(["XY"], [1j]), "complex coefficient"),
        (lambda: from_sparse_pauli_op([("XX",)]), "expected a SparsePauliOp"),
        (lambda: from_qubit_operator(object()), "expected an openfermion.QubitOperator"),
        (lambda: to_sparse_pauli_op("Z3", 2), "too few"),
    ],
)
def test_errors_are_clear(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pennylane_wires_must_be_integers():
    import pennylane as qp

    with pytest.raises(ValueError, match="wires must be integers"):
        from_pennylane_op(qp.Z("a"))
    with pytest.raises(ValueError, match="complex coefficient"):
        from_pennylane_op(1j * qp.Z(0))
