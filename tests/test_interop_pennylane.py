"""to_pennylane / from_pennylane: states, wire order, broadcasting, gradients against the dense reference."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pennylane as qp
import pytest
import torch
from hypothesis import given, settings
from strategies import circuits_with_values, every_gate_circuit, random_values

from qml.interop.pennylane import PENNYLANE_OPS, to_pennylane
from qml.ir import Circuit, W, X
from qml.reference import dense_state


def _state_qnode(circuit: Circuit, interface: str = "auto") -> qp.QNode:
    qfunc = to_pennylane(circuit)

    @qp.qnode(qp.device("default.qubit", wires=circuit.n_wires), interface=interface)
    def state(weights: object = None, inputs: object = None) -> object:
        qfunc(weights, inputs)
        return qp.state()

    return state


def test_every_gate_is_mapped() -> None:
    from qml.gates import GATES

    assert set(PENNYLANE_OPS) | {"Unitary"} == set(GATES)


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=6, max_ops=20, min_ops=4))
def test_random_circuits_match_dense_state(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    c, w, x = case
    psi = np.asarray(_state_qnode(c)(w, x))
    np.testing.assert_allclose(psi, dense_state(c, w, x), atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_every_gate_matches_dense_state(seed: int) -> None:
    c = every_gate_circuit(n_wires=5, seed=seed, repeats=2)
    w, x = random_values(c, seed)
    np.testing.assert_allclose(np.asarray(_state_qnode(c)(w, x)), dense_state(c, w, x), atol=1e-10)


def test_wire_order() -> None:
    # X on wire 0 of 3: wire 0 is the most significant bit -> |100> = index 4, as in PennyLane.
    c = Circuit(3).add("X", 0)
    expected = np.zeros(8)
    expected[4] = 1.0
    np.testing.assert_allclose(dense_state(c), expected)
    np.testing.assert_allclose(np.asarray(_state_qnode(c)()), expected)
    # A gate's first wire is its matrix's high bit: CNOT(2, 0) on |001> flips wire 0 -> |101>.
    c2 = Circuit(3).add("X", 2).add("CNOT", (2, 0))
    assert int(np.argmax(np.abs(np.asarray(_state_qnode(c2)())))) == 0b101


def test_custom_wire_labels() -> None:
    c = Circuit(2).add("H", 0).add("CNOT", (0, 1)).add("RY", 1, W(0))
    qfunc = to_pennylane(c, wires=["a", "b"])

    @qp.qnode(qp.device("default.qubit", wires=["b", "a", "spare"]))
    def state(w: object) -> object:
        qfunc(w)
        return qp.state()

    psi = np.asarray(state([0.4])).reshape(2, 2, 2)[:, :, 0]  # device order (b, a, spare)
    np.testing.assert_allclose(psi.T.reshape(-1), dense_state(c, [0.4]), atol=1e-12)
    with pytest.raises(ValueError, match="one PennyLane label per circuit wire: expected 2, got 1"):
        to_pennylane(c, wires=["a"])
    with pytest.raises(ValueError, match="distinct labels"):
        to_pennylane(c, wires=["a", "a"])


def _demo() -> Circuit:
    return (
        Circuit(3)
        .add("RY", 0, W(0) * X(0))
        .add("CRX", (0, 1), 0.5 * W(1) + X(1))
        .add("RZZ", (1, 2), (np.pi - X(0)) * (np.pi - X(1)))
        .add("U3", 2, W(2), W(0) - W(1), 0.3)
        .add("SingleExcitation", (2, 0), W(1))
        .add("Unitary", (1,), matrix=np.array([[0, 1j], [1j, 0]]))
    )


def test_broadcast_torch_batch() -> None:
    c = _demo()
    w, x = random_values(c, seed=3, batch=4)
    weights = torch.tensor(w, requires_grad=True)
    inputs = torch.tensor(x)
    psi = _state_qnode(c, "torch")(weights, inputs)
    assert psi.shape == (4, 8)
    for b in range(4):
        np.testing.assert_allclose(psi[b].detach().numpy(), dense_state(c, w[b], x[b]), atol=1e-10)
    # Batched weights with one shared (numpy) input vector.
    psi2 = _state_qnode(c, "torch")(weights, x[0])
    for b in range(4):
        np.testing.assert_allclose(psi2[b].detach().numpy(), dense_state(c, w[b], x[0]), atol=1e-10)


def test_torch_gradient_matches_finite_differences() -> None:
    c = _demo()
    w, x = random_values(c, seed=5)
    qfunc = to_pennylane(c)

    @qp.qnode(qp.device("default.qubit", wires=3), interface="torch", diff_method="backprop")
    def energy(weights: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        qfunc(weights, inputs)
        return qp.expval(qp.PauliZ(0) @ qp.PauliX(2))

    weights = torch.tensor(w, requires_grad=True)
    energy(weights, torch.tensor(x)).backward()
    assert weights.grad is not None

    obs = np.kron(np.kron(np.diag([1, -1]), np.eye(2)), np.array([[0, 1], [1, 0]]))

    def f(v: np.ndarray) -> float:
        psi = dense_state(c, v, x)
        return float(np.real(psi.conj() @ obs @ psi))

    eps = 1e-6
    fd = [(f(w + eps * e) - f(w - eps * e)) / (2 * eps) for e in np.eye(len(w))]
    np.testing.assert_allclose(weights.grad.numpy(), fd, atol=1e-6)


def test_parameter_shift_gradient() -> None:
    # Every parametric op goes through PennyLane's own parameter-shift rules too.
    c = Circuit(4).add("RY", 0, W(0)).add("CRZ", (0, 1), W(1)).add("DoubleExcitation", (0, 1, 2, 3), W(2))
    c = c.add("RXX", (1, 3), W(0) * 2.0)
    qfunc = to_pennylane(c)

    @qp.qnode(qp.device("default.qubit", wires=4), interface="torch", diff_method="parameter-shift")
    def f(weights: torch.Tensor) -> torch.Tensor:
        qfunc(weights)
        return qp.expval(qp.PauliZ(3) + qp.PauliY(1))

    weights = torch.tensor([0.3, -0.7, 1.1], requires_grad=True)
    f(weights).backward()
    backprop = qp.qnode(qp.device("default.qubit", wires=4), interface="torch")(f.func)
    w2 = weights.detach().clone().requires_grad_(True)
    backprop(w2).backward()
    torch.testing.assert_close(weights.grad, w2.grad)


def test_weight_and_input_errors() -> None:
    c = Circuit(1).add("RX", 0, W(1) + X(0))
    state = _state_qnode(c)
    with pytest.raises(ValueError, match=r"weights must have at least 2 entries on its last axis"):
        state(np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="uses 1 input\\(s\\) but inputs=None was passed"):
        state(np.zeros(2))
    # Lists are accepted.
    np.testing.assert_allclose(np.asarray(state([0.0, 0.5], [0.25])), dense_state(c, [0, 0.5], [0.25]))


def test_import_qml_stays_light() -> None:
    code = (
        "import sys, qml, qml.ir, qml.gates, qml.reference, qml.interop, qml.interop.qasm;"
        "bad = [m for m in ('pennylane', 'qiskit') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- from_pennylane: tapes, QNodes and quantum functions into the IR --------------------------------
def _state_of(qfunc, n_wires, *args):
    @qp.qnode(qp.device("default.qubit", wires=n_wires))
    def state(*a):
        qfunc(*a)
        return qp.state()

    return np.asarray(state(*args))


def _assert_same_state(ours: np.ndarray, ref: np.ndarray) -> None:
    overlap = np.vdot(ours, ref)  # decompositions are exact up to one global phase
    np.testing.assert_allclose(ours * overlap / abs(overlap), ref, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_from_pennylane_random_circuits_match_default_qubit(seed: int) -> None:
    from qml.interop.pennylane import from_pennylane

    rng = np.random.default_rng(seed)
    angles = rng.uniform(-np.pi, np.pi, 40)
    one = [qp.RX, qp.RY, qp.RZ, qp.PhaseShift, qp.Hadamard, qp.S, qp.T, qp.SX, qp.PauliY]
    two = [qp.CNOT, qp.CZ, qp.IsingXX, qp.IsingZZ, qp.CRY, qp.SingleExcitation, qp.SWAP, qp.CRot, qp.IsingXY]

    def qfunc(a):
        k = 0
        for layer in range(4):
            for w in range(3):
                g = one[(seed + layer + w) % len(one)]
                if g.num_params:
                    g(a[k], wires=w)
                    k += 1
                else:
                    g(wires=w)
            g = two[(seed + layer) % len(two)]
            wires = [layer % 3, (layer + 1) % 3]
            g(*a[k : k + g.num_params], wires=wires)
            k += g.num_params
        qp.Rot(a[k], a[k + 1], a[k + 2], wires=0)
        qp.adjoint(qp.T(1))
        qp.MultiRZ(a[k + 3], wires=[0, 1, 2])
        qp.ctrl(qp.RX(a[k + 4], wires=2), control=[0, 1])
        qp.QubitUnitary(qp.matrix(qp.Hadamard(0) @ qp.S(0)), wires=1)

    r = from_pennylane(qfunc, angles)
    _assert_same_state(dense_state(r.circuit, r.weights), _state_of(qfunc, 3, angles))
    assert {"Rot", "MultiRZ", "C(RX)"} <= set(r.decomposed)
    assert "Tdg" in {op.name for op in r.circuit.ops}


def test_from_pennylane_tape_qnode_labels_and_constants() -> None:
    from qml.interop.pennylane import from_pennylane

    def qfunc(x):
        qp.Hadamard("a")
        qp.CRZ(x, wires=["a", "b"])
        qp.RY(0.5, wires="b")
        return qp.expval(qp.PauliZ("b"))

    r = from_pennylane(qfunc, 0.3, trainable=False)
    assert r.wires == ("a", "b")
    assert r.circuit.n_weights == 0
    assert r.weights.shape == (0,)
    tape = qp.tape.make_qscript(qfunc)(0.3)
    assert from_pennylane(tape, trainable=False).circuit == r.circuit
    qnode = qp.QNode(qfunc, qp.device("default.qubit", wires=["a", "b"]))
    assert from_pennylane(qnode, 0.3, trainable=False).circuit == r.circuit
    trained = from_pennylane(tape)
    assert trained.weights.tolist() == [0.3, 0.5]
    state = dense_state(trained.circuit, trained.weights)
    np.testing.assert_allclose(state, dense_state(r.circuit), atol=1e-15)
    # integer labels keep their numbers, gaps included
    gap = from_pennylane(lambda: qp.PauliX(2))
    assert gap.circuit.n_wires == 3
    assert gap.circuit.ops[0].wires == (2,)


def test_from_pennylane_torch_parameters_and_errors() -> None:
    from qml.interop.pennylane import from_pennylane

    r = from_pennylane(lambda t: qp.RX(t, wires=0), torch.tensor(0.25, requires_grad=True))
    assert r.weights.tolist() == [0.25]
    with pytest.raises(ValueError, match=r"RX on wires \[0\] has a batch of 3 parameters"):
        from_pennylane(lambda: qp.RX(np.array([0.1, 0.2, 0.3]), wires=0))
    with pytest.raises(TypeError, match="reads a tape, a QNode or a quantum function, got int"):
        from_pennylane(3)
    with pytest.raises(ValueError, match="a tape already has its values"):
        from_pennylane(qp.tape.QuantumScript([qp.PauliX(0)]), 1.0)


@settings(max_examples=10, deadline=None)
@given(circuits_with_values(max_wires=4, max_ops=12, min_ops=2))
def test_to_pennylane_and_back_is_the_same_state(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    from qml.interop.pennylane import from_pennylane

    c, w, x = case
    tape = qp.tape.make_qscript(to_pennylane(c))(w, x)
    r = from_pennylane(tape)
    assert not r.decomposed
    assert [op.name for op in r.circuit.ops] == [op.name for op in c.ops]
    full = Circuit(c.n_wires, r.circuit.ops, r.circuit.n_weights)  # a tape does not see idle last wires
    np.testing.assert_allclose(dense_state(full, r.weights), dense_state(c, w, x), atol=1e-12)
