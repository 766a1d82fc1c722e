"""to_pennylane: states, wire order, broadcasting and gradients against the dense reference."""

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
