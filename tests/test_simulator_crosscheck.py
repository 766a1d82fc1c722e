"""Random circuits (hypothesis): the native simulator vs PennyLane default.qubit and Qiskit Statevector."""

import numpy as np
import pennylane as qp
import torch
from hypothesis import given, settings
from qiskit.quantum_info import Statevector
from strategies import circuits_with_values

from qml import Simulator, state
from qml.interop.pennylane import to_pennylane
from qml.interop.qiskit import bind, to_qiskit
from qml.reference import dense_state


@settings(max_examples=20, deadline=None)
@given(circuits_with_values(max_wires=6, max_ops=20))
def test_state_matches_pennylane_and_qiskit(case):
    circuit, weights, inputs = case
    ours = state(circuit, torch.tensor(weights), torch.tensor(inputs)).numpy()

    dev = qp.device("default.qubit", wires=circuit.n_wires)
    qfunc = to_pennylane(circuit)

    @qp.qnode(dev)
    def pl_state():
        qfunc(weights, inputs)
        return qp.state()

    np.testing.assert_allclose(ours, pl_state(), atol=1e-10)
    qc, _, _ = to_qiskit(circuit)
    sv = Statevector(bind(qc, weights, inputs)).reverse_qargs()  # Qiskit is little-endian
    np.testing.assert_allclose(ours, sv.data, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=4, max_ops=15, batch=3))
def test_batched_states_match_reference_rows(case):
    circuit, weights, inputs = case
    ours = state(circuit, torch.tensor(weights), torch.tensor(inputs)).numpy()
    for b in range(3):
        np.testing.assert_allclose(ours[b], dense_state(circuit, weights[b], inputs[b]), atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=4, max_ops=15, batch=2))
def test_gradient_methods_agree_on_random_circuits(case):
    circuit, weights, inputs = case
    obs = ["Z0 + 0.5*X0", "Y0 + Z0"] if circuit.n_wires == 1 else ["Z0 Z1 + 0.5*X0", "Y1 + X0 Y1"]
    grads = []
    for diff in ("backprop", "adjoint", "parameter-shift"):
        w = torch.tensor(weights, requires_grad=True)
        e = Simulator(diff=diff).expval(circuit, obs, w, torch.tensor(inputs))
        if not e.requires_grad:  # no trainable angle in this circuit
            return
        (e[:, 0] - 2 * e[:, 1]).sum().backward()
        grads.append(w.grad)
    torch.testing.assert_close(grads[1], grads[0], rtol=0, atol=1e-8)
    torch.testing.assert_close(grads[2], grads[0], rtol=0, atol=1e-8)
