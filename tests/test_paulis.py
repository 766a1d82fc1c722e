"""Tests for qml.paulis: parsing, algebra, masks, sparse/dense matrices and cross-checks.

Cross-checks against PennyLane and Qiskit. Our wire order is PennyLane's (wire 0 = the
most significant bit of a basis index), so ``qp.matrix(H, wire_order=range(n))`` must
equal ours exactly. Qiskit is little-endian: qubit 0 is the *least* significant bit of
its matrix index and the *rightmost* character of a label. Two equivalent ways to
compare are tested:

* map our wire ``w`` to Qiskit qubit ``n - 1 - w``: then the matrices are identical,
  and a dense Qiskit label is simply our letters with wire 0 written leftmost;
* map wire ``w`` to qubit ``w`` (what :mod:`qml.ir` does for circuits): then the Qiskit
  matrix equals ours with the bits of both indices reversed.
"""

from __future__ import annotations

import json
import time
from itertools import product

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from qml.paulis import PauliString, PauliSum, expval_dense, pauli

# ---------------------------------------------------------------------------------------
# helpers and strategies
# ---------------------------------------------------------------------------------------
MATS = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def kron_matrix(op: PauliSum, n: int) -> np.ndarray:
    """Independent oracle: sum of Kronecker products, wire 0 leftmost (= high bit)."""
    out = np.zeros((2**n, 2**n), dtype=complex)
    for c, s in op.terms:
        letters = s.as_dict()
        m = np.ones((1, 1), dtype=complex)
        for w in range(n):
            m = np.kron(m, MATS[letters.get(w, "I")])
        out += c * m
    return out


def bit_reverse_perm(n: int) -> np.ndarray:
    return np.array([int(format(i, f"0{n}b")[::-1], 2) if n else 0 for i in range(2**n)])


MAX_W = 4
strings = st.lists(st.sampled_from("IXYZ"), min_size=1, max_size=MAX_W).map(
    lambda letters: PauliString(tuple(enumerate(letters)))
)
coeffs = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
sums = st.lists(st.tuples(coeffs, strings), max_size=6).map(PauliSum.from_terms)


def tfim(n: int, h: float) -> PauliSum:
    return PauliSum.from_terms(
        [(-1.0, f"Z{i} Z{(i + 1) % n}") for i in range(n)] + [(-h, f"X{i}") for i in range(n)]
    )


# ---------------------------------------------------------------------------------------
# PauliString
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["Z0 Z1", "Z0Z1", "Z_0 Z_1", "Z(0) @ Z(1)", "Z1 Z0", "z0 z1", "Z0 * Z1", "I2 Z0 Z1"]
)
def test_string_parse_forms(text: str) -> None:
    p = PauliString.parse(text)
    assert p.ops == ((0, "Z"), (1, "Z"))
    assert str(p) == "Z0 Z1"


@pytest.mark.parametrize("text", ["I", "", "  ", "I0 I3"])
def test_string_identity(text: str) -> None:
    p = PauliString.parse(text)
    assert p == PauliString()
    assert p.is_identity
    assert p.is_diagonal
    assert str(p) == "I"
    assert p.wires == ()


def test_string_normalises_and_queries() -> None:
    p = PauliString(((3, "y"), (0, "X"), (1, "I"), (2, "Z")))
    assert p.ops == ((0, "X"), (2, "Z"), (3, "Y"))
    assert p.wires == (0, 2, 3)
    assert p.n_y == 1
    assert p.weight == 3
    assert not p.is_diagonal
    assert PauliString.parse("Z0 Z5").is_diagonal
    assert PauliString.from_dict({3: "Y", 0: "X", 2: "Z"}) == p
    assert PauliString.from_dict(p.as_dict()) == p
    assert eval(repr(p)) == p
    assert hash(PauliString.parse("X0 Y1")) == hash(PauliString.parse("Y1 X0"))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Z0 Z0", "wire 0 appears twice"),
        ("X0 Y0", "wire 0 appears twice"),
        ("0.5*Z0", "not a Pauli factor"),
        ("Q1", r"position 0: unexpected character 'Q'"),
        ("Z0 + X1", r"position 3: '\+' is not a Pauli factor"),
        ("Z", "unexpected character 'Z'"),
    ],
)
def test_string_parse_errors(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PauliString.parse(text)


def test_string_constructor_errors() -> None:
    with pytest.raises(ValueError, match="wire 1 appears twice"):
        PauliString(((1, "X"), (1, "Z")))
    with pytest.raises(ValueError, match="must be >= 0"):
        PauliString(((-1, "X"),))
    with pytest.raises(ValueError, match="one of 'I', 'X', 'Y', 'Z'"):
        PauliString(((0, "W"),))
    with pytest.raises(ValueError, match="one of 'I', 'X', 'Y', 'Z'"):
        PauliString(((0, "XY"),))
    with pytest.raises(TypeError, match="wire must be an int"):
        PauliString((("0", "X"),))
    with pytest.raises(TypeError, match=r"use PauliString.parse\(text\)"):
        PauliString("Z0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a mapping"):
        PauliString.from_dict([(0, "X")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a str"):
        PauliString.parse(3)  # type: ignore[arg-type]


def test_masks_values() -> None:
    p = PauliString.parse("X0 Y2 Z3")
    assert p.x_mask(4) == 0b1010
    assert p.z_mask(4) == 0b0011
    assert p.x_mask(6) == 0b101000  # same wires, wider register: wire w is bit n-1-w
    assert p.z_mask(6) == 0b001100
    assert PauliString().x_mask(3) == 0
    with pytest.raises(ValueError, match="pass n_wires >= 4"):
        p.x_mask(3)


@settings(max_examples=20, deadline=None)
@given(strings)
def test_masks_describe_action_on_basis_states(p: PauliString) -> None:
    """P|x> = i^{n_y} (-1)^{popcount(x & zmask)} |x ^ xmask> in our wire order."""
    n = MAX_W
    m = p.to_matrix(n)
    xm, zm = p.x_mask(n), p.z_mask(n)
    for x in range(2**n):
        col = m[:, x]
        expected = np.zeros(2**n, dtype=complex)
        expected[x ^ xm] = 1j**p.n_y * (-1) ** bin(x & zm).count("1")
        np.testing.assert_allclose(col, expected, atol=1e-15)


def test_y_phase_convention() -> None:
    y = PauliString.parse("Y0").to_matrix(1)
    np.testing.assert_array_equal(y @ np.array([1, 0]), [0, 1j])  # Y|0> = i|1>
    np.testing.assert_array_equal(y @ np.array([0, 1]), [-1j, 0])  # Y|1> = -i|0>
    # wire 0 is the high bit: X0 on 2 wires maps |00> (index 0) to |10> (index 2)
    assert PauliString.parse("X0").to_matrix(2)[2, 0] == 1


def test_products_table() -> None:
    x, y, z = (PauliString.parse(t) for t in ("X0", "Y0", "Z0"))
    assert x * y == (1j, z)
    assert y * x == (-1j, z)
    assert y * z == (1j, x)
    assert z * x == (1j, y)
    assert x * x == (1, PauliString())
    assert PauliString.parse("Z0 X1") * PauliString.parse("X0 X1") == (1j, PauliString.parse("Y0"))


@settings(max_examples=20, deadline=None)
@given(strings, strings)
def test_products_commutation_match_dense(p: PauliString, q: PauliString) -> None:
    n = MAX_W
    mp, mq = p.to_matrix(n), q.to_matrix(n)
    phase, r = p * q
    np.testing.assert_allclose(mp @ mq, phase * r.to_matrix(n), atol=1e-14)
    assert phase in (1, -1, 1j, -1j)
    assert p.commutes(q) == np.allclose(mp @ mq, mq @ mp)
    if p.qubitwise_commutes(q):
        assert p.commutes(q)
        for w in set(p.wires) & set(q.wires):
            assert p.as_dict()[w] == q.as_dict()[w]


def test_commutes_examples() -> None:
    assert PauliString.parse("X0 X1").commutes(PauliString.parse("Z0 Z1"))
    assert not PauliString.parse("X0 X1").qubitwise_commutes(PauliString.parse("Z0 Z1"))
    assert not PauliString.parse("X0").commutes("Z0")
    assert PauliString.parse("X0 Z2").qubitwise_commutes("X0 X1")
    with pytest.raises(TypeError, match="needs a PauliString"):
        PauliString.parse("X0").commutes(3)  # type: ignore[arg-type]


def test_string_to_matrix_guard() -> None:
    with pytest.raises(ValueError, match="too large"):
        PauliString.parse("Z0").to_matrix(15)


# ---------------------------------------------------------------------------------------
# PauliSum parsing and text
# ---------------------------------------------------------------------------------------
def test_sum_parse_example() -> None:
    H = PauliSum.parse("1.0*Z0 Z1 + 0.5*X0 - 2 X1 + 0.3")
    assert H.terms == (
        (0.3, PauliString()),
        (0.5, PauliString.parse("X0")),
        (-2.0, PauliString.parse("X1")),
        (1.0, PauliString.parse("Z0 Z1")),
    )
    assert H.constant() == 0.3
    assert H.n_wires == 2
    assert H.wires == (0, 1)
    assert str(H) == "0.3 + 0.5*X0 - 2.0*X1 + Z0 Z1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-Z0Z1", [(-1.0, "Z0 Z1")]),
        ("0.5 * Y0 Y1", [(0.5, "Y0 Y1")]),
        ("1e-3*X0", [(1e-3, "X0")]),
        ("2.5E+2 Y1 - 1e-2", [(250.0, "Y1"), (-0.01, "I")]),
        (".5*Z0 + 3.", [(0.5, "Z0"), (3.0, "I")]),
        ("X0 + X0 - 2 X0", []),
        ("0", []),
        ("", []),
        ("I", [(1.0, "I")]),
        ("-2*I", [(-2.0, "I")]),
        ("- - X0", [(1.0, "X0")]),
        ("1 + -2*X0", [(1.0, "I"), (-2.0, "X0")]),
        ("Z_0 @ Z_1 + 2 Z(2)", [(1.0, "Z0 Z1"), (2.0, "Z2")]),
        ("0.5*X0*Y1", [(0.5, "X0 Y1")]),
        ("3X1", [(3.0, "X1")]),
    ],
)
def test_sum_parse_forms(text: str, expected: list[tuple[float, str]]) -> None:
    assert PauliSum.parse(text) == PauliSum.from_terms(expected)
    assert pauli(text) == PauliSum.parse(text)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1.0*Z0 Z1 + 0.5*X0 -", "position 20: the text ends after a sign"),
        ("2 * + X0", r"position 4: expected a Pauli factor after '\*'"),
        ("Z0 3", "position 3: unexpected '3' after a term"),
        ("Q1 + Z0", "position 0: unexpected character 'Q'"),
        ("1j*Z0", "position 1: unexpected character 'j'"),
        ("Z0 Z0 + X1", "wire 0 appears twice"),
        ("X0 +", "ends after a sign"),
        ("* X0", r"position 0: expected a coefficient or a Pauli factor, got '\*'"),
        ("X0 @", "position 4: expected a Pauli factor after '@'"),
        ("0.5 X0 0.5 X1", "position 7: unexpected '0.5' after a term"),
    ],
)
def test_sum_parse_errors(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PauliSum.parse(text)


def test_sum_parse_error_shows_caret() -> None:
    with pytest.raises(ValueError, match=r"Z0 \$ X1\n {5}\^") as info:
        PauliSum.parse("Z0 $ X1")
    assert "Expected terms like" in str(info.value)


@settings(max_examples=20, deadline=None)
@given(sums)
def test_str_repr_json_round_trips(H: PauliSum) -> None:
    assert PauliSum.parse(str(H)) == H
    assert eval(repr(H)) == H
    assert PauliSum.from_json(json.loads(json.dumps(H.to_json()))) == H
    assert PauliSum.from_json(json.dumps(H.to_json())) == H


def test_json_form_and_errors() -> None:
    H = pauli("0.5 + Z0 Z1 - 2 X3")
    assert H.to_json() == [[0.5, "I"], [-2.0, "X3"], [1.0, "Z0 Z1"]]
    with pytest.raises(ValueError, match=r"entries \[coefficient, 'Pauli string'\]"):
        PauliSum.from_json([[0.5]])
    with pytest.raises(TypeError, match="expects a list"):
        PauliSum.from_json({"Z0": 1.0})
    with pytest.raises(ValueError, match="not JSON"):
        PauliSum.from_json("[[1, 'Z0']")
    with pytest.raises(ValueError, match="must be real"):
        PauliSum.from_json([[1j, "Z0"]])


def test_sum_constructor_normalises_and_rejects() -> None:
    H = PauliSum(((1, "Z1"), (np.float64(2.0), PauliString.parse("Z1")), (0.0, "X0"), (1 + 0j, "X2")))
    assert H.terms == ((3.0, PauliString.parse("Z1")), (1.0, PauliString.parse("X2")))
    assert all(type(c) is float for c, _ in H.terms)
    with pytest.raises(ValueError, match="must be real"):
        PauliSum(((1j, "Z0"),))
    with pytest.raises(ValueError, match="must be finite"):
        PauliSum(((float("nan"), "Z0"),))
    with pytest.raises(TypeError, match="must be a real number"):
        PauliSum((("1", "Z0"),))
    with pytest.raises(TypeError, match=r"must be a \(coefficient, PauliString\) pair"):
        PauliSum(((1.0,),))
    with pytest.raises(TypeError, match=r"use PauliSum.parse\(text\)"):
        PauliSum("Z0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable of"):
        PauliSum.from_terms("Z0")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# PauliSum algebra
# ---------------------------------------------------------------------------------------
def test_arithmetic() -> None:
    a, b = pauli("Z0 Z1 + 0.5 X0"), pauli("X0 - Y2")
    z0 = PauliString.parse("Z0")
    assert a + b == pauli("Z0 Z1 + 1.5 X0 - Y2")
    assert a - b == pauli("Z0 Z1 - 0.5 X0 + Y2")
    assert 2 * a == a * 2 == a + a
    assert a / 2 == 0.5 * a
    assert -a == pauli("-Z0 Z1 - 0.5 X0")
    assert a - a == PauliSum()
    assert a + z0 == pauli("Z0 Z1 + 0.5 X0 + Z0")
    assert z0 + a == a + z0
    assert a - z0 == pauli("Z0 Z1 + 0.5 X0 - Z0")
    assert z0 - a == -(a - z0)
    assert a + 1.5 == 1.5 + a == pauli("1.5 + Z0 Z1 + 0.5 X0")
    assert 1 - a == pauli("1 - Z0 Z1 - 0.5 X0")
    assert 2.0 * z0 == z0 * 2.0 == pauli("2 Z0")
    assert -z0 == pauli("-Z0")
    assert z0 + z0 == pauli("2 Z0")
    assert np.float64(0.5) * a == 0.5 * a
    assert a != b
    with pytest.raises(TypeError):
        a + "Z0"  # type: ignore[operator]
    with pytest.raises(TypeError):
        a * "Z0"  # type: ignore[operator]
    with pytest.raises(ZeroDivisionError, match="divide a PauliSum by zero"):
        a / 0
    with pytest.raises(ValueError, match="must be real"):
        a * 1j


def test_simplify_allclose() -> None:
    noisy = pauli("0.1 X0") + pauli("0.2 X0") - pauli("0.3 X0")
    assert noisy.terms
    assert abs(noisy.terms[0][0]) < 1e-16
    assert noisy.simplify() == PauliSum()
    assert noisy.allclose(0.0)
    assert not pauli("X0").allclose("X0 + 1e-6 Z0")


@settings(max_examples=20, deadline=None)
@given(sums, sums, coeffs)
def test_linear_algebra_matches_dense(a: PauliSum, b: PauliSum, f: float) -> None:
    n = MAX_W
    ma, mb = kron_matrix(a, n), kron_matrix(b, n)
    np.testing.assert_allclose((a + b).to_matrix(n), ma + mb, atol=1e-12)
    np.testing.assert_allclose((a - b).to_matrix(n), ma - mb, atol=1e-12)
    np.testing.assert_allclose((f * a).to_matrix(n), f * ma, atol=1e-12)
    np.testing.assert_allclose(a.commutator(b).to_matrix(n), 1j * (ma @ mb - mb @ ma), atol=1e-10)
    np.testing.assert_allclose(a.anticommutator(b).to_matrix(n), ma @ mb + mb @ ma, atol=1e-10)
    # commutes() drops commutator coefficients below 1e-12; compare away from that threshold
    # (hypothesis finds tiny coefficients such as 1e-10 * Y2, whose commutator is tiny but not 0)
    comm = np.abs(ma @ mb - mb @ ma).max()
    if comm > 1e-9:
        assert not a.commutes(b)
    elif comm < 1e-13:
        assert a.commutes(b)


def test_products_of_sums() -> None:
    sz = pauli("0.5 Z0 + 0.5 Z1 + 0.5 Z2")
    sq = sz * sz
    np.testing.assert_allclose(sq.to_matrix(3), sz.to_matrix(3) @ sz.to_matrix(3), atol=1e-14)
    assert sq == pauli("0.75 + 0.5 Z0 Z1 + 0.5 Z0 Z2 + 0.5 Z1 Z2")
    xx = pauli("X0 X1")
    assert PauliString.parse("Z0 Z1") * xx == pauli("-Y0 Y1")  # PauliString * PauliSum
    assert xx * PauliString.parse("Z0 Z1") == pauli("-Y0 Y1")
    with pytest.raises(ValueError, match=r"not Hermitian.*do not commute"):
        pauli("X0") * pauli("Z0")


def test_by_x_mask_and_queries() -> None:
    H = pauli("Z0 Z1 + X0 + Y0 Z1 + Z1 - 3")
    groups = H.by_x_mask(2)
    assert set(groups) == {0, 2}
    assert {str(s) for _, s in groups[0]} == {"I", "Z1", "Z0 Z1"}
    assert {str(s) for _, s in groups[2]} == {"X0", "Y0 Z1"}
    assert set(H.by_x_mask(3)) == {0, 4}
    assert H.constant() == -3.0
    assert pauli("Z0").constant() == 0.0
    assert PauliSum().n_wires == 0
    assert pauli("2").n_wires == 0
    assert pauli("X5").n_wires == 6
    assert pauli("X5 + Z2").wires == (2, 5)
    assert pauli("Z0 Z3 - 1").is_diagonal
    assert not H.is_diagonal
    assert len(H) == 5
    assert [s for _, s in H] == list(H.strings)
    np.testing.assert_array_equal(H.coeffs, [c for c, _ in H.terms])
    assert H.l1_norm() == 7.0
    assert H.l1_norm(include_constant=False) == 4.0
    with pytest.raises(ValueError, match="n_wires >= 2"):
        H.by_x_mask(1)


@settings(max_examples=20, deadline=None)
@given(sums)
def test_qubitwise_groups_commute_and_sum_back(H: PauliSum) -> None:
    groups = H.qubitwise_groups()
    total = PauliSum()
    for g in groups:
        assert len(g) > 0
        strs = [s for _, s in g.terms]
        for i, p in enumerate(strs):
            for q in strs[i + 1 :]:
                assert p.qubitwise_commutes(q)
        total = total + g
    assert total == H
    assert sum(1 for _, s in H.terms if not s.is_identity) == sum(
        1 for g in groups for _, s in g.terms if not s.is_identity
    )


def test_qubitwise_groups_example() -> None:
    groups = pauli("Z0 Z1 + Z1 Z2 + X0 + X1 + X2 + 0.5").qubitwise_groups()
    assert [str(g) for g in groups] == ["0.5 + X0 + X1 + X2", "Z0 Z1 + Z1 Z2"]
    assert pauli("3").qubitwise_groups() == [pauli("3")]
    assert PauliSum().qubitwise_groups() == []


# ---------------------------------------------------------------------------------------
# matrices
# ---------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(sums, st.integers(0, 2))
def test_sparse_dense_kron_agree(H: PauliSum, extra: int) -> None:
    n = max(H.n_wires, 1) + extra
    ref = kron_matrix(H, n)
    m = H.to_sparse(n)
    assert sp.issparse(m)
    assert m.format == "csr"
    assert m.has_sorted_indices
    np.testing.assert_allclose(m.toarray(), ref, atol=1e-12)
    np.testing.assert_allclose(H.to_matrix(n), ref, atol=1e-12)
    np.testing.assert_allclose(H.diagonal(n), ref.diagonal().real, atol=1e-12)
    assert (m - m.conj().T).count_nonzero() == 0 or np.abs((m - m.conj().T).data).max() < 1e-12


def test_matrix_dtypes_and_edge_cases() -> None:
    assert pauli("X0 X1 + Y0 Y1 + Z0").to_sparse().dtype == np.float64  # even number of Y: real
    assert pauli("X0 Y1").to_sparse().dtype == np.complex128
    np.testing.assert_array_equal(PauliSum().to_sparse(2).toarray(), np.zeros((4, 4)))
    np.testing.assert_array_equal(pauli("2.5").to_matrix(), [[2.5]])
    np.testing.assert_array_equal(pauli("2.5").to_matrix(1), 2.5 * np.eye(2))
    # cancelling entries are removed from the sparse structure
    m = pauli("X0 X1 + Y0 Y1").to_sparse()  # = 2(|01><10| + |10><01|)
    assert m.nnz == 2
    np.testing.assert_array_equal(m.toarray(), [[0, 0, 0, 0], [0, 0, 2, 0], [0, 2, 0, 0], [0, 0, 0, 0]])


def test_matrix_size_errors() -> None:
    with pytest.raises(ValueError, match=r"n_wires <= 14|too large \(limit 14\)"):
        pauli("Z0").to_matrix(15)
    with pytest.raises(ValueError, match="pass n_wires >= 4"):
        pauli("Z3").to_sparse(2)
    with pytest.raises(ValueError, match=r"too large \(limit 30\)"):
        pauli("Z0").to_sparse(31)
    with pytest.raises(TypeError, match="n_wires must be an int"):
        pauli("Z0").to_sparse(2.0)  # type: ignore[arg-type]


def _pennylane_op(H: PauliSum):  # type: ignore[no-untyped-def]
    import pennylane as qp

    cls = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}
    ops = []
    for _, s in H.terms:
        factors = [cls[ltr](w) for w, ltr in s.ops]
        ops.append(qp.Identity(0) if not factors else factors[0] if len(factors) == 1 else qp.prod(*factors))
    return qp.dot([c for c, _ in H.terms], ops)


@settings(max_examples=20, deadline=None)
@given(sums.filter(lambda h: len(h) > 0))
def test_matches_pennylane(H: PauliSum) -> None:
    pytest.importorskip("pennylane")
    import pennylane as qp

    n = MAX_W
    expected = qp.matrix(_pennylane_op(H), wire_order=range(n))
    np.testing.assert_allclose(H.to_sparse(n).toarray(), expected, atol=1e-12)


def test_matches_pennylane_tfim() -> None:
    pytest.importorskip("pennylane")
    import pennylane as qp

    H = tfim(5, 0.7) + pauli("0.3 Y0 X2 Z4 - 0.2")
    np.testing.assert_allclose(H.to_matrix(), qp.matrix(_pennylane_op(H), wire_order=range(5)), atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(sums.filter(lambda h: len(h) > 0))
def test_matches_qiskit(H: PauliSum) -> None:
    pytest.importorskip("qiskit")
    from qiskit.quantum_info import SparsePauliOp

    n = MAX_W
    ours = H.to_sparse(n).toarray()
    # (a) wire w -> qiskit qubit n-1-w: identical matrices.
    flipped = SparsePauliOp.from_sparse_list(
        [("".join(l for _, l in s.ops), [n - 1 - w for w in s.wires], c) for c, s in H.terms], num_qubits=n
    )
    np.testing.assert_allclose(flipped.to_matrix(), ours, atol=1e-12)
    # ... which is the same as writing a dense label with our wire 0 leftmost.
    labels = [("".join(s.as_dict().get(w, "I") for w in range(n)), c) for c, s in H.terms]
    np.testing.assert_allclose(SparsePauliOp.from_list(labels).to_matrix(), ours, atol=1e-12)
    # (b) wire w -> qiskit qubit w (the circuit convention of qml.ir): bit-reversed indices.
    same = SparsePauliOp.from_sparse_list(
        [("".join(l for _, l in s.ops), list(s.wires), c) for c, s in H.terms], num_qubits=n
    )
    rev = bit_reverse_perm(n)
    np.testing.assert_allclose(same.to_matrix()[np.ix_(rev, rev)], ours, atol=1e-12)


@pytest.mark.slow
def test_to_sparse_tfim_20_is_fast() -> None:
    n = 20
    H = tfim(n, 0.5)
    t0 = time.perf_counter()
    m = H.to_sparse()
    elapsed = time.perf_counter() - t0
    assert m.shape == (2**n, 2**n)
    # one entry per X_i in every row, plus the non-zero diagonal (zero when half the bonds are broken)
    assert m.nnz == 2**n * n + np.count_nonzero(H.diagonal())
    # spot checks: |0...0> has diagonal -n and couples to each single flip with -h
    row = m.getrow(0)
    assert row[0, 0] == -n
    assert all(row[0, 1 << b] == -0.5 for b in range(n))
    x = np.random.default_rng(0).standard_normal(2**n)
    np.testing.assert_allclose(m @ x, m.T @ x, atol=1e-9)  # symmetric
    assert elapsed < 6.0, f"to_sparse for TFIM N=20 took {elapsed:.2f} s (target < 2 s on an idle core)"


# ---------------------------------------------------------------------------------------
# expval_dense
# ---------------------------------------------------------------------------------------
def test_expval_dense_known_values() -> None:
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    assert expval_dense(pauli("Z0 Z1"), bell) == pytest.approx(1.0)
    assert expval_dense(pauli("X0 X1"), bell) == pytest.approx(1.0)
    assert expval_dense(pauli("Y0 Y1"), bell) == pytest.approx(-1.0)
    assert expval_dense(pauli("Z0"), bell) == pytest.approx(0.0)
    assert expval_dense("2 + Z0", np.array([0, 1, 0, 0])) == pytest.approx(3.0)  # |01>: wire 0 is 0
    assert expval_dense(PauliString.parse("Z1"), np.array([0, 1, 0, 0])) == pytest.approx(-1.0)
    plus_i = np.array([1, 1j]) / np.sqrt(2)  # +1 eigenstate of Y
    assert expval_dense(pauli("Y0"), plus_i) == pytest.approx(1.0)


@settings(max_examples=20, deadline=None)
@given(sums, st.integers(0, 2**31 - 1))
def test_expval_dense_matches_matrix(H: PauliSum, seed: int) -> None:
    rng = np.random.default_rng(seed)
    psi = rng.standard_normal(2**MAX_W) + 1j * rng.standard_normal(2**MAX_W)
    psi /= np.linalg.norm(psi)
    expected = np.vdot(psi, kron_matrix(H, MAX_W) @ psi).real
    assert expval_dense(H, psi) == pytest.approx(expected, abs=1e-12)


def test_expval_dense_matches_pennylane_state() -> None:
    pytest.importorskip("pennylane")
    import pennylane as qp

    dev = qp.device("default.qubit", wires=3)
    H = pauli("0.3 Z0 Z1 - 0.7 X2 + 0.2 Y0 Y2 + 0.1 X1")

    @qp.qnode(dev)
    def circuit():  # type: ignore[no-untyped-def]
        qp.RX(0.3, wires=0)
        qp.RY(1.1, wires=1)
        qp.CNOT(wires=[0, 2])
        qp.RX(-0.4, wires=2)
        return qp.state()

    @qp.qnode(dev)
    def energy():  # type: ignore[no-untyped-def]
        qp.RX(0.3, wires=0)
        qp.RY(1.1, wires=1)
        qp.CNOT(wires=[0, 2])
        qp.RX(-0.4, wires=2)
        return qp.expval(_pennylane_op(H))

    assert expval_dense(H, np.asarray(circuit())) == pytest.approx(float(energy()), abs=1e-12)


def test_expval_dense_errors() -> None:
    with pytest.raises(ValueError, match="length 2\\^n, got shape \\(3,\\)"):
        expval_dense(pauli("Z0"), np.ones(3))
    with pytest.raises(ValueError, match="pass one state at a time"):
        expval_dense(pauli("Z0"), np.ones((2, 4)))
    with pytest.raises(ValueError, match="acts on wire 2"):
        expval_dense(pauli("Z2"), np.ones(4) / 2)


def test_all_single_qubit_products_are_consistent() -> None:
    """Exhaustive 1-qubit check of the product table against matrices."""
    for a, b in product("IXYZ", repeat=2):
        p, q = PauliString(((0, a),)), PauliString(((0, b),))
        phase, r = p * q
        np.testing.assert_allclose(MATS[a] @ MATS[b], phase * r.to_matrix(1), atol=1e-15)


def test_as_observables_reads_every_observables_argument():
    from qml.errors import ConfigError, ConfigTypeError
    from qml.paulis import as_observables

    obs, single = as_observables("Z0 Z1 + 0.5*X2")
    assert single
    assert obs == (PauliSum.parse("Z0 Z1 + 0.5*X2"),)
    obs, single = as_observables([PauliString.parse("Y1"), "X0", PauliSum.parse("Z2")], n_wires=3)
    assert not single
    assert [str(o) for o in obs] == ["Y1", "X0", "Z2"]
    with pytest.raises(ConfigError, match=r"observables is empty"):
        as_observables([])
    with pytest.raises(
        ConfigTypeError, match=r"an observable must be a PauliSum, PauliString or text.*float"
    ):
        as_observables(3.0)
    with pytest.raises(ConfigError, match=r"observable 1 \(Z4\) acts on wire 4 but the circuit has 3 wires"):
        as_observables(["Z0", "Z4"], n_wires=3)
