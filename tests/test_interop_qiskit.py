"""to_qiskit / bind / from_qiskit against the dense reference (Qiskit is little-endian)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter, ParameterVector
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector
from scipy.stats import unitary_group
from strategies import circuits_with_values, every_gate_circuit, random_values

from qml.gates import GATES
from qml.interop.qiskit import (
    QISKIT_GATES,
    SUPPORTED_QISKIT_NAMES,
    DoubleExcitationGate,
    SingleExcitationGate,
    bind,
    from_qiskit,
    to_qiskit,
)
from qml.ir import Circuit, W, X
from qml.reference import dense_state, dense_unitary


def _qiskit_state(c: Circuit, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    qc, _, _ = to_qiskit(c)
    # Qiskit is little-endian: reverse_qargs() puts qubit 0 on the most significant bit (our order).
    return Statevector(bind(qc, w, x)).reverse_qargs().data


def test_every_gate_is_mapped() -> None:
    assert set(QISKIT_GATES) | {"Unitary"} == set(GATES)


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=6, max_ops=20, min_ops=4))
def test_random_circuits_match_dense_state(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    c, w, x = case
    np.testing.assert_allclose(_qiskit_state(c, w, x), dense_state(c, w, x), atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_every_gate_matches_dense_state(seed: int) -> None:
    c = every_gate_circuit(n_wires=5, seed=seed, repeats=2)
    w, x = random_values(c, seed)
    np.testing.assert_allclose(_qiskit_state(c, w, x), dense_state(c, w, x), atol=1e-10)


def test_wire_order() -> None:
    c = Circuit(3).add("X", 0)
    qc, _, _ = to_qiskit(c)
    raw = Statevector(qc).data
    # Our wire 0 is Qiskit qubit 0, Qiskit's least significant bit: raw index 0b001 = 1.
    assert int(np.argmax(np.abs(raw))) == 1
    # After reversing the qubit order it is our index 0b100 = 4, as in dense_state.
    assert int(np.argmax(np.abs(Statevector(qc).reverse_qargs().data))) == 4
    assert int(np.argmax(np.abs(dense_state(c)))) == 4


def test_parameters_and_expressions() -> None:
    c = Circuit(2).add("RX", 0, 2.0 * W(0) * X(1) - 0.5).add("CRZ", (0, 1), W(2)).add("RY", 1, 0.25)
    qc, wv, xv = to_qiskit(c, weight_prefix="theta", input_prefix="data")
    assert (len(wv), len(xv)) == (3, 2)
    assert {p.name for p in qc.parameters} == {"theta[0]", "theta[2]", "data[1]"}
    assert qc.data[2].operation.params == [0.25]
    w, x = np.array([0.3, 0.0, -1.2]), np.array([0.0, 0.8])
    bound = bind(qc, w, x, weight_prefix="theta", input_prefix="data")
    assert bound.num_parameters == 0
    np.testing.assert_allclose(Statevector(bound).reverse_qargs().data, dense_state(c, w, x), atol=1e-12)


def test_bind_accepts_torch_and_checks_lengths() -> None:
    import torch

    c = Circuit(1).add("RX", 0, W(1) + X(0))
    qc, _, _ = to_qiskit(c)
    bound = bind(qc, torch.tensor([0.0, 0.4], requires_grad=True), [0.1])
    np.testing.assert_allclose(Statevector(bound).reverse_qargs().data, dense_state(c, [0, 0.4], [0.1]))
    with pytest.raises(ValueError, match=r"weights has 1 entries but the circuit uses w\[1\]"):
        bind(qc, [0.0], [0.1])
    with pytest.raises(ValueError, match=r"inputs has 0 entries"):
        bind(qc, [0.0, 0.1])
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        bind(qc, np.zeros((2, 2)), [0.1])
    foreign = qc.copy()
    foreign.rz(Parameter("a"), 0)
    with pytest.raises(ValueError, match=r"parameters \['a'\] that are not elements"):
        bind(foreign, [0.0, 0.1], [0.1])
    with pytest.raises(ValueError, match="distinct non-empty names"):
        to_qiskit(c, weight_prefix="p", input_prefix="p")


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=5, max_ops=12, min_ops=2))
def test_from_qiskit_round_trip(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    c, w, x = case
    qc, wv, xv = to_qiskit(c)
    back = from_qiskit(qc, weights=wv, inputs=xv)
    assert (back.n_wires, back.n_weights, back.n_inputs) == (c.n_wires, c.n_weights, c.n_inputs)
    assert [(op.name, op.wires) for op in back.ops] == [(op.name, op.wires) for op in c.ops]
    np.testing.assert_allclose(dense_state(back, w, x), dense_state(c, w, x), atol=1e-10)


def test_from_qiskit_exact_for_simple_angles() -> None:
    u = unitary_group.rvs(4, random_state=2)
    c = (
        Circuit(4, name="demo", n_weights=3)
        .add("RX", 0, W(0))
        .add("U3", 1, W(1), X(0), 0.5)
        .add("Unitary", (3, 1), matrix=u)
        .add("DoubleExcitation", (3, 2, 1, 0), W(0))
        .add("SingleExcitation", (1, 2), X(1))
        .add("SXdg", 2)
        .add("Toffoli", (2, 0, 3))
    )
    qc, wv, xv = to_qiskit(c)
    back = from_qiskit(qc, weights=wv, inputs=xv)
    assert back.ops[:2] == c.ops[:2]
    assert back.ops[3:] == c.ops[3:]
    np.testing.assert_allclose(np.array(back.ops[2].matrix), np.array(c.ops[2].matrix), atol=1e-12)
    assert back.name == "demo"
    assert back.n_weights == 3


def test_from_qiskit_native_circuit() -> None:
    a, b = Parameter("b_angle"), Parameter("a_angle")  # qc.parameters sorts by name: a_angle first
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.barrier()
    qc.rzz(a * b + 0.5, 1, 2)
    qc.u(np.pi / 2, a, -b, 2)
    qc.p(0.3, 0)
    qc.append(UnitaryGate(unitary_group.rvs(4, random_state=0)), [0, 2])
    c = from_qiskit(qc)
    assert c.n_weights == 2
    assert c.n_inputs == 0
    assert c.ops[2].params[0] == W(0) * W(1) + 0.5
    assert c.ops[3].params[1:] == (W(1), -W(0))
    vals = {b: 0.7, a: -0.4}  # a_angle = W(0) = 0.7, b_angle = W(1) = -0.4
    expected = Statevector(qc.assign_parameters(vals)).reverse_qargs().data
    np.testing.assert_allclose(dense_state(c, [0.7, -0.4]), expected, atol=1e-12)
    # Choosing inputs and weights explicitly.
    c2 = from_qiskit(qc, weights=[a, b], inputs=[])
    np.testing.assert_allclose(dense_state(c2, [-0.4, 0.7]), expected, atol=1e-12)
    c3 = from_qiskit(qc, inputs=[a])
    assert c3.n_weights == 1
    assert c3.n_inputs == 1
    np.testing.assert_allclose(dense_state(c3, [0.7], [-0.4]), expected, atol=1e-12)


def test_from_qiskit_multiple_registers() -> None:
    from qiskit import QuantumRegister

    r1, r2 = QuantumRegister(1, "r1"), QuantumRegister(2, "r2")
    qc = QuantumCircuit(r1, r2)
    qc.x(r2[1])
    qc.cx(r2[1], r1[0])
    c = from_qiskit(qc)
    assert c.ops[1].wires == (2, 0)
    np.testing.assert_allclose(dense_state(c), Statevector(qc).reverse_qargs().data)


def test_from_qiskit_errors() -> None:
    qc = QuantumCircuit(2)
    qc.ch(0, 1)
    with pytest.raises(ValueError, match=r"unsupported Qiskit gate 'ch'; supported: ccx, crx, .*, x, y, z"):
        from_qiskit(qc)
    assert "rzz" in SUPPORTED_QISKIT_NAMES
    assert "u" in SUPPORTED_QISKIT_NAMES
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    with pytest.raises(ValueError, match="remove_final_measurements"):
        from_qiskit(qc)
    t = Parameter("t")
    qc = QuantumCircuit(1)
    qc.rx(t.sin(), 0)
    with pytest.raises(ValueError, match="is not a polynomial"):
        from_qiskit(qc)
    qc = QuantumCircuit(1)
    qc.rx(1 / t, 0)
    with pytest.raises(ValueError, match="is not a polynomial"):
        from_qiskit(qc)
    qc = QuantumCircuit(1)
    qc.rx(t, 0)
    qc.ry(Parameter("s"), 0)
    with pytest.raises(ValueError, match=r"parameters \['s'\] are in neither weights nor inputs"):
        from_qiskit(qc, weights=[t])
    with pytest.raises(ValueError, match="both as a weight and as an input"):
        from_qiskit(qc, weights=[t], inputs=[t])


def test_inverse_and_transpile() -> None:
    c = every_gate_circuit(n_wires=4, seed=7)
    w, x = random_values(c, 7)
    qc, _, _ = to_qiskit(c)
    inv = Operator(bind(qc.inverse(), w, x)).reverse_qargs().data
    np.testing.assert_allclose(inv, dense_unitary(c.inverse(), w, x), atol=1e-10)
    # The custom excitation gates unroll for any backend.
    basic = transpile(bind(qc, w, x), basis_gates=["u", "cx"], optimization_level=0)
    assert set(basic.count_ops()) <= {"u", "cx"}
    assert Operator(basic).equiv(Operator(bind(qc, w, x)))


def test_excitation_gate_inverse() -> None:
    for gate in (SingleExcitationGate(0.4), DoubleExcitationGate(-1.3)):
        m = Operator(gate).data
        np.testing.assert_allclose(Operator(gate.inverse()).data @ m, np.eye(m.shape[0]), atol=1e-12)
    theta = ParameterVector("t", 1)
    qc = QuantumCircuit(2)
    qc.append(SingleExcitationGate(2 * theta[0]), [0, 1])
    bound = qc.assign_parameters([0.35])
    np.testing.assert_allclose(
        Operator(bound).reverse_qargs().data,
        dense_unitary(Circuit(2).add("SingleExcitation", (0, 1), 0.7)),
        atol=1e-12,
    )
