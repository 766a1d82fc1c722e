"""The gate table against PennyLane and Qiskit, plus its own structural promises.

Convention reminder: our matrices put a gate's first wire on the most significant bit
(PennyLane's order), so ``qp.matrix(op, wire_order=op.wires)`` compares directly. Qiskit's
``Operator`` is little-endian in the gate's qubit arguments (argument 0 = least
significant bit), so every Qiskit comparison below uses ``Operator(...).reverse_qargs()``,
which puts argument 0 on the most significant bit.
"""

from __future__ import annotations

import math

import numpy as np
import pennylane as qp
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit.library import RYGate, XXPlusYYGate
from qiskit.quantum_info import Operator
from scipy.stats import unitary_group

from qml.gates import FOUR_TERM, GATES, TWO_TERM, inverse_op, is_real_op, op_matrix, validate_op
from qml.interop.pennylane import PENNYLANE_OPS
from qml.interop.qiskit import QISKIT_GATES, bind, to_qiskit
from qml.ir import Circuit, Op, Param

ALL = sorted(GATES)
PARAMETRIC = sorted(n for n, s in GATES.items() if s.n_params)


def _op(name: str, seed: int = 0) -> Op:
    """The gate on wires 0..k-1 with random constant angles (Unitary: a Haar matrix on 2 wires)."""
    rng = np.random.default_rng(seed)
    if name == "Unitary":
        return Circuit(2).add("Unitary", (0, 1), matrix=unitary_group.rvs(4, random_state=seed)).ops[0]
    spec = GATES[name]
    angles = rng.uniform(-math.pi, math.pi, spec.n_params)
    return Op(name, tuple(range(spec.n_wires)), tuple(Param.of(float(a)) for a in angles))


def _angles(op: Op) -> list[float]:
    return [p.const for p in op.params]


def _ours(op: Op) -> np.ndarray:
    return op_matrix(op).numpy()


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("seed", [0, 1])
def test_matrix_matches_pennylane(name: str, seed: int) -> None:
    op = _op(name, seed)
    if name == "Unitary":
        pl = qp.QubitUnitary(np.asarray(_ours(op)), wires=op.wires)
    else:
        pl = PENNYLANE_OPS[name](*_angles(op), wires=list(op.wires))
    # PennyLane orders wires like us: wire_order=op.wires needs no reversal.
    np.testing.assert_allclose(qp.matrix(pl, wire_order=list(op.wires)), _ours(op), atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(ALL) - {"Unitary"}))
@pytest.mark.parametrize("seed", [0, 1])
def test_matrix_matches_qiskit_gate(name: str, seed: int) -> None:
    op = _op(name, seed)
    gate = QISKIT_GATES[name](*_angles(op))
    # Qiskit is little-endian in the gate's qubit arguments: reverse_qargs() makes argument 0
    # the most significant bit, which is our order.
    np.testing.assert_allclose(Operator(gate).reverse_qargs().data, _ours(op), atol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_matrix_matches_qiskit_circuit(name: str) -> None:
    # Through to_qiskit (Unitary included: it is appended on reversed qubits).
    op = _op(name, 3)
    c = Circuit(len(op.wires), (op,))
    qc, _, _ = to_qiskit(c)
    np.testing.assert_allclose(Operator(bind(qc)).reverse_qargs().data, _ours(op), atol=1e-12)


def test_excitations_match_independent_qiskit_constructions() -> None:
    theta = 0.731
    # SingleExcitation(theta) == XXPlusYY(theta, beta=-pi/2), reversed to our order.
    single = Operator(XXPlusYYGate(theta, -math.pi / 2)).reverse_qargs().data
    np.testing.assert_allclose(single, _ours(Op("SingleExcitation", (0, 1), (Param.of(theta),))), atol=1e-12)
    # DoubleExcitation(theta) on (a, b, c, d) = P^dag C P with the CNOT network P mapping
    # |0011> -> |0010> and |1100> -> |1010>, and C an RY(theta) on a controlled by b=0, c=1, d=0.
    qc = QuantumCircuit(4)
    a, b, c, d = 0, 1, 2, 3
    network = [(c, d), (a, b), (a, c)]
    for ctl, tgt in network:
        qc.cx(ctl, tgt)
    # ctrl_state is little-endian over the control list [b, c, d]: (b, c, d) = (0, 1, 0) -> 0b010.
    qc.append(RYGate(theta).control(3, ctrl_state=0b010, annotated=True), [b, c, d, a])
    for ctl, tgt in reversed(network):
        qc.cx(ctl, tgt)
    double = Operator(qc).reverse_qargs().data
    ours = _ours(Op("DoubleExcitation", (0, 1, 2, 3), (Param.of(theta),)))
    np.testing.assert_allclose(double, ours, atol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_unitary_and_inverse(name: str) -> None:
    op = _op(name, 5)
    u = _ours(op)
    eye = np.eye(u.shape[0])
    np.testing.assert_allclose(u.conj().T @ u, eye, atol=1e-12)
    inv = inverse_op(op)
    np.testing.assert_allclose(_ours(inv) @ u, eye, atol=1e-12)
    np.testing.assert_allclose(_ours(inverse_op(inv)), u, atol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_spec_structure(name: str) -> None:
    """kind/diag/controls/real/qasm fields agree with the matrix (the simulator relies on them)."""
    spec = GATES[name]
    op = _op(name, 7)
    u = _ours(op)
    angles = torch.tensor(_angles(op), dtype=torch.float64)
    if spec.kind == "diag":
        assert spec.diag is not None
        d = spec.diag(angles).numpy()
        np.testing.assert_allclose(np.diag(d), u, atol=1e-12)
    elif spec.kind == "ctrl":
        assert spec.target is not None
        assert spec.controls >= 1
        t = op_matrix(Op(spec.target, (0,), op.params)).numpy()
        expected = np.eye(u.shape[0], dtype=complex)
        expected[-2:, -2:] = t
        np.testing.assert_allclose(u, expected, atol=1e-12)
    elif spec.kind == "perm":
        assert set(np.abs(u).ravel().round(12)) <= {0.0, 1.0}
    if spec.real:
        assert is_real_op(op)
        np.testing.assert_allclose(u.imag, 0.0, atol=0)
    assert spec.n_wires == (0 if name == "Unitary" else len(op.wires))
    assert spec.qasm, f"{name} has no OpenQASM name"
    assert spec.shift_rule in (TWO_TERM, FOUR_TERM)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_batched_and_single_precision(name: str) -> None:
    spec = GATES[name]
    angles = torch.tensor(np.random.default_rng(1).uniform(-3, 3, (5, spec.n_params)))
    batched = spec.matrix(angles)
    assert batched.shape == (5, 2**spec.n_wires, 2**spec.n_wires)
    for b in range(5):
        torch.testing.assert_close(batched[b], spec.matrix(angles[b]))
    single = spec.matrix(angles.float())
    assert single.dtype == torch.complex64
    torch.testing.assert_close(single, batched.to(torch.complex64), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_shift_rule_gives_exact_derivative(name: str) -> None:
    """sum_k c_k f(theta + s_k e_j) == df/dtheta_j for f = <psi| U^dag A U |psi>."""
    spec = GATES[name]
    rng = np.random.default_rng(11)
    dim = 2**spec.n_wires
    psi = torch.tensor(rng.normal(size=dim) + 1j * rng.normal(size=dim))
    psi = psi / torch.linalg.norm(psi)
    m = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    obs = torch.tensor(m + m.conj().T)

    def f(theta: torch.Tensor) -> torch.Tensor:
        phi = spec.matrix(theta) @ psi
        return (phi.conj() @ obs @ phi).real

    theta = torch.tensor(rng.uniform(-math.pi, math.pi, spec.n_params), requires_grad=True)
    (grad,) = torch.autograd.grad(f(theta), theta)
    for j in range(spec.n_params):
        shifted = 0.0
        for coeff, shift in spec.shift_rule:
            t = theta.detach().clone()
            t[j] += shift
            shifted += coeff * float(f(t))
        assert shifted == pytest.approx(float(grad[j]), abs=1e-10), f"{name} angle {j}"


def test_gate_names_and_aliases_resolve_to_one_gate() -> None:
    from qml.gates import gate_name

    for name, spec in GATES.items():
        for known in (name, spec.qasm, spec.qiskit, spec.pennylane, *spec.aliases):
            if known:
                assert gate_name(known) == name
                assert gate_name(known.upper()) == name
    c = Circuit(2).add("cx", (0, 1)).add("IsingZZ", (0, 1), 0.3).add("u1", 0, 0.2).add("hadamard", 1)
    assert [op.name for op in c.ops] == ["CNOT", "RZZ", "PhaseShift", "H"]
    assert Circuit.from_json(c.to_json().replace('"CNOT"', '"cnot"')) == c
    with pytest.raises(ValueError, match=r"unknown gate 'foo'; supported gates: CNOT, .* \(or their Open"):
        Circuit(1).add("foo", 0)
    with pytest.raises(ValueError, match="gate 'cx' is called 'CNOT' in an Op"):
        validate_op(Op("cx", (0, 1)), 2)


def _is_permutation_matrix(m: np.ndarray) -> bool:
    return bool(np.allclose(m, np.round(m.real)) and ((np.round(m.real) == 1).sum(0) == 1).all())


@pytest.mark.parametrize("name", ALL)
def test_permutation_facts_match_the_matrix(name):
    """``GateSpec.perm`` is set exactly for the parameter-free permutation gates, and is their matrix."""
    spec = GATES[name]
    if spec.n_params or spec.n_wires == 0:
        assert spec.perm is None
        return
    m = spec.matrix(torch.zeros(0, dtype=torch.float64)).numpy()
    if spec.perm is None:
        assert not _is_permutation_matrix(m), f"{name} permutes basis states: give it GateSpec.perm"
        return
    p = np.zeros_like(m)
    p[list(spec.perm), range(len(spec.perm))] = 1  # column j (state j) goes to row perm[j]
    np.testing.assert_allclose(m, p, atol=0)


def test_permutation_runs_match_the_dense_reference():
    from qml.reference import dense_unitary
    from qml.sim.fusion import PERM_GATES, perm_destination

    rng = np.random.default_rng(7)
    n = 5
    ops = []
    for _ in range(12):
        name = sorted(PERM_GATES)[rng.integers(len(PERM_GATES))]
        wires = tuple(int(w) for w in rng.choice(n, GATES[name].n_wires, replace=False))
        ops.append(Op(name, wires))
    dest = perm_destination(n, ops)
    u = dense_unitary(Circuit(n, tuple(ops)))
    for x in range(2**n):
        assert abs(u[dest[x], x]) == pytest.approx(1.0)


_PAULI = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1, -1]),
}


def _pauli_matrix(letters: str) -> np.ndarray:
    out = np.eye(1)
    for c in letters:  # first wire the most significant
        out = np.kron(out, _PAULI[c])
    return out


@pytest.mark.parametrize("name", ALL)
def test_generator_is_the_matrix(name):
    """``GateSpec.generator`` P: the gate is exp(-i theta P / 2) on random angles, with the two-term rule."""
    spec = GATES[name]
    if not spec.generator:
        return
    assert spec.n_params == 1
    assert len(spec.generator) == spec.n_wires
    assert spec.shift_rule == TWO_TERM
    p = _pauli_matrix(spec.generator)
    for theta in np.random.default_rng(3).uniform(-4, 4, 5):
        m = spec.matrix(torch.tensor([theta], dtype=torch.float64)).numpy()
        want = math.cos(theta / 2) * np.eye(len(p)) - 1j * math.sin(theta / 2) * p
        np.testing.assert_allclose(m, want, atol=1e-14)


def test_rotation_table_is_derived_from_the_generators():
    from qml.errors import ConfigError
    from qml.gates import ROTATIONS, rotation_gate

    assert ROTATIONS == {"X": "RX", "Y": "RY", "Z": "RZ", "XX": "RXX", "YY": "RYY", "ZZ": "RZZ"}
    assert rotation_gate("zz") == "RZZ"
    with pytest.raises(ConfigError, match=r"no rotation gate has the generator 'XZ'.*ZZ \(RZZ\)"):
        rotation_gate("XZ")


@pytest.mark.parametrize("name", ALL)
def test_linear_permutations_map_z_strings_as_the_matrix_does(name):
    """``linear_perm`` and ``z_before``: P^dag Z^m P computed from the matrix, for every mask."""
    from qml.errors import ConfigError

    spec = GATES[name]
    if spec.perm is None or not spec.linear_perm:
        if spec.perm is not None:  # an affine or nonlinear permutation maps some Z string elsewhere
            with pytest.raises(ConfigError, match="does not map Z strings"):
                spec.z_before(1)
        return
    k = spec.n_wires
    u = spec.matrix(torch.zeros(0, dtype=torch.float64)).numpy()
    for mask in range(2**k):
        letters = "".join("Z" if mask >> (k - 1 - a) & 1 else "I" for a in range(k))
        got = spec.z_before(mask)
        want = "".join("Z" if got >> (k - 1 - a) & 1 else "I" for a in range(k))
        np.testing.assert_allclose(u.conj().T @ _pauli_matrix(letters) @ u, _pauli_matrix(want), atol=0)


def test_linear_permutation_set():
    from qml.sim.split import LINEAR_PERMS

    assert set(LINEAR_PERMS) == {"I", "CNOT", "SWAP"}  # X flips a sign, Toffoli is not linear
