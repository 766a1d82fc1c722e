"""Pauli exponentials, QAOA and HVA (qml.templates.hamiltonian) vs scipy expm and PennyLane."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from conftest import pl_state
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from qml.ir import Circuit, W
from qml.paulis import PauliString, PauliSum, pauli
from qml.reference import dense_state, dense_unitary
from qml.templates import hva, hva_groups, pauli_rotation, qaoa

SEEDS = st.integers(0, 2**31 - 1)
PL_PAULI = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}


def to_pennylane(h: PauliSum):
    """Our PauliSum as a PennyLane operator (identity terms on wire 0)."""
    ops = []
    for _, s in h.terms:
        factors = [PL_PAULI[ltr](w) for w, ltr in s.ops]
        ops.append(qp.prod(*factors) if len(factors) > 1 else factors[0] if factors else qp.Identity(0))
    return qp.dot([c for c, _ in h.terms], ops)


def plus_state(n: int) -> np.ndarray:
    return np.full(2**n, 2 ** (-n / 2), dtype=complex)


# -- pauli_rotation: namesake qp.PauliRot (exp(-i theta/2 P)) and scipy expm -----------------------
@settings(max_examples=10, deadline=None)
@given(word=st.text(alphabet="IXYZ", min_size=1, max_size=4), theta=st.floats(-4, 4))
def test_pauli_rotation_equals_expm_and_pennylane_paulirot(word: str, theta: float) -> None:
    n = len(word)
    p = PauliString(tuple(enumerate(word)))
    u = dense_unitary(pauli_rotation(Circuit(n), p, W(0)), [theta])
    np.testing.assert_allclose(u, expm(-0.5j * theta * p.to_matrix(n)), atol=1e-10)
    np.testing.assert_allclose(u, qp.matrix(qp.PauliRot(theta, word, wires=range(n))), atol=1e-10)


@pytest.mark.parametrize("text", ["X1", "Y0 Y2", "Z0 Z1", "X0 Y1", "Y0 Z1 X2", "X0 X1 X2", "I"])
def test_pauli_rotation_gate_choice_and_exactness(text: str) -> None:
    p = PauliString.parse(text)
    c = pauli_rotation(Circuit(3), text, 2.0 * W(0))
    theta = 0.731
    np.testing.assert_allclose(dense_unitary(c, [theta]), expm(-1j * theta * p.to_matrix(3)), atol=1e-10)
    if text in ("Y0 Y2", "Z0 Z1"):
        assert len(c.ops) == 1
        assert c.ops[0].name in ("RYY", "RZZ")
    if text == "X1":
        assert [op.name for op in c.ops] == ["RX"]


# -- QAOA: namesake qp.qaoa.cost_layer / mixer_layer; and exact expm -----------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, layers=st.integers(1, 3))
def test_qaoa_matches_pennylane_qaoa_layers(seed: int, layers: int) -> None:
    cost = pauli("0.5*Z0 Z1 + Z1 Z2 - 0.7*Z0 Z2 + 0.3*Z1")
    c = qaoa(cost, layers)
    w = np.random.default_rng(seed).uniform(-np.pi, np.pi, 2 * layers)
    h_c = to_pennylane(cost)
    h_m = to_pennylane(pauli("X0 + X1 + X2"))

    def body() -> None:
        for k in range(3):
            qp.Hadamard(k)
        for l in range(layers):
            qp.qaoa.cost_layer(w[2 * l], h_c)
            qp.qaoa.mixer_layer(w[2 * l + 1], h_m)

    np.testing.assert_allclose(dense_state(c, w), pl_state(3, body), atol=1e-10)


def test_qaoa_layers_equal_expm_including_constant_and_custom_mixer() -> None:
    cost = pauli("1.5 + Z0 Z1 - 0.4*Z1 Z2 Z3 + 0.2*Z3")
    mixer = pauli("X0 X1 + Y0 Y1 + X2 + X3")  # XY mixer on (0,1): commuting terms
    c = qaoa(cost, 2, mixer=mixer)
    gammas, betas = [0.3, -1.1], [0.8, 0.25]
    w = np.array([gammas[0], betas[0], gammas[1], betas[1]])
    psi = plus_state(4)
    hc, hm = cost.to_matrix(4), mixer.to_matrix(4)
    for g, b in zip(gammas, betas):
        psi = expm(-1j * b * hm) @ (expm(-1j * g * hc) @ psi)
    np.testing.assert_allclose(dense_state(c, w), psi, atol=1e-10)
    assert c.n_weights == 4


def test_qaoa_default_mixer_width_and_init_none() -> None:
    c = qaoa("Z0", 1, n_wires=3, init=None)
    assert c.n_wires == 3
    assert c.count() == {"RZ": 1, "RX": 3}


# -- HVA: group exponentials vs scipy expm ----------------------------------------------------------
def tfim(n: int, h: float) -> PauliSum:
    zz = sum((pauli(f"-1*Z{i} Z{i + 1}") for i in range(n - 1)), PauliSum())
    return zz + sum((pauli(f"{-h}*X{i}") for i in range(n)), PauliSum())


def test_tfim_gives_exactly_two_groups() -> None:
    groups = hva_groups(tfim(4, 0.7))
    assert len(groups) == 2
    assert all(s.is_diagonal and s.weight == 2 for _, s in groups[0].terms)
    assert all(str(s).startswith("X") and s.weight == 1 for _, s in groups[1].terms)
    assert len(groups[0]) == 3
    assert len(groups[1]) == 4


def test_heisenberg_parity_groups() -> None:
    h = pauli("Z0 Z1 + Z1 Z2 + Z2 Z3 + X0 X1 + Y0 Y1 + X1 X2 + Y1 Y2 + X2 X3 + Y2 Y3")
    groups = hva_groups(h, strategy="parity")
    assert [str(g) for g in groups] == [
        "Z0 Z1 + Z1 Z2 + Z2 Z3",
        "X0 X1 + Y0 Y1 + X2 X3 + Y2 Y3",
        "X1 X2 + Y1 Y2",
    ]
    assert [str(g) for g in hva_groups(h)][1:] == ["X0 X1 + X1 X2 + X2 X3", "Y0 Y1 + Y1 Y2 + Y2 Y3"]


def test_mixed_strings_are_split_into_commuting_groups() -> None:
    h = pauli("X0 Y1 + Y0 X1 + X0 Z1 + Y1 Z2")
    for g in hva_groups(h):
        strings = [s for _, s in g.terms]
        assert all(a.commutes(b) for a in strings for b in strings)
    assert sum(len(g) for g in hva_groups(h)) == 4


@settings(max_examples=10, deadline=None)
@given(theta=st.floats(-3, 3), strategy=st.sampled_from(["type", "parity"]))
def test_each_hva_group_is_the_exact_exponential(theta: float, strategy: str) -> None:
    h = pauli("0.3 + Z0 Z1 - 0.5*Z1 Z2 + 0.8*X0 X1 + 0.8*Y0 Y1 + 0.6*X1 X2 + 0.6*Y1 Y2 + 0.2*X1 + 0.4*Z2")
    for g in hva_groups(h, strategy):
        u = dense_unitary(hva([g], 1, n_wires=3), [theta])
        np.testing.assert_allclose(u, expm(-1j * theta * g.to_matrix(3)), atol=1e-10)


@pytest.mark.parametrize(
    ("init", "start"),
    [
        (None, np.eye(16)[0]),
        ("plus", plus_state(4)),
        ("neel", np.eye(16)[0b0101]),
        ("singlets", np.kron([0, 1, -1, 0], [0, 1, -1, 0]) / 2),
    ],
)
def test_hva_state_equals_product_of_expm(init, start) -> None:
    h = tfim(4, 0.9)
    groups = hva_groups(h)
    c = hva(h, 2, init=init)
    w = np.array([0.4, -0.3, 1.2, 0.7])
    assert c.n_weights == 2 * len(groups)
    psi = start.astype(complex)
    for l in range(2):
        for k, g in enumerate(groups):
            psi = expm(-1j * w[l * len(groups) + k] * g.to_matrix(4)) @ psi
    np.testing.assert_allclose(dense_state(c, w), psi, atol=1e-10)


def test_hva_explicit_groups_and_width() -> None:
    c = hva(["Z0 Z1", pauli("X0 + X1")], 3, n_wires=3, init="plus")
    assert c.n_wires == 3
    assert c.n_weights == 6


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pauli_rotation(Circuit(2), "X2", 0.1), "acts on wire 2 but the circuit has 2 wires"),
        (lambda: pauli_rotation(Circuit(2), "Q0", 0.1), "not valid Pauli text"),
        (lambda: pauli_rotation(Circuit(2), 3, 0.1), "must be a PauliString or text"),
        (lambda: pauli_rotation(Circuit(2), "X0", "theta"), "must be a number or a Param"),
        (lambda: qaoa("Z0 + X0", 1), "terms of the cost Hamiltonian must commute"),
        (lambda: qaoa("Z0 Z1", 1, mixer="X0 + Z0"), "terms of the mixer must commute"),
        (lambda: qaoa("Z0 Z1", 0), "layers must be an integer >= 1"),
        (lambda: qaoa("0", 1), "cost Hamiltonian has no terms"),
        (lambda: qaoa("Z0 Z3", 1, n_wires=3), "n_wires=3 is too small"),
        (lambda: qaoa("Z0 Z1", 1, init="neel"), "unknown init 'neel'; expected 'plus' or None"),
        (lambda: qaoa(42, 1), "cost must be a PauliSum"),
        (lambda: hva("Z0 Z1 + X0", 1, init="up"), "unknown init 'up'; expected None or one of"),
        (lambda: hva("Z0 Z1 + X0", 1, strategy="color"), "unknown strategy 'color'; expected one of"),
        (lambda: hva(["X0 + Z0"], 1), "terms of group 0 must commute"),
        (lambda: hva([], 1), "list of groups is empty"),
        (lambda: hva(["Z0", "0"], 1), "group 1 has no terms"),
        (lambda: hva("2.0", 1), "no non-constant term"),
        (lambda: hva("Z0 Z1 Z2", 1, init="singlets"), "needs an even n_wires, got 3"),
        (lambda: hva("Z0 Z1", 1, n_wires=1), "n_wires=1 is too small"),
        (lambda: hva(None, 1), "must be a PauliSum"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
