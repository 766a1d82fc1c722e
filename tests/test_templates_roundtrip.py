"""Every template through every route: native simulator = PennyLane = Qiskit = QASM3 round trip."""

import numpy as np
import pennylane as qp
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import Statevector

from qml import Circuit, pauli, state
from qml import templates as T
from qml.interop.pennylane import to_pennylane
from qml.interop.qasm import from_qasm3, to_qasm3
from qml.interop.qiskit import bind, to_qiskit

TEMPLATES: dict[str, Circuit] = {
    "hardware_efficient": T.hardware_efficient(3, 2, entangler="RZZ", pattern="circular"),
    "strongly_entangling": T.strongly_entangling(3, 2),
    "basic_entangler": T.basic_entangler(3, 2),
    "simplified_two_design": T.simplified_two_design(3, 2),
    "real_amplitudes": T.real_amplitudes(3, reps=2),
    "efficient_su2": T.efficient_su2(3, reps=1, entanglement="sca"),
    "qaoa": T.qaoa(pauli("Z0 Z1 + Z1 Z2 - 0.5*Z0"), 2),
    "hva_tfim": T.hva(pauli("-1*Z0 Z1 - Z1 Z2 - Z2 Z0 - 0.7*X0 - 0.7*X1 - 0.7*X2"), 2, init="plus"),
    "hva_xxz": T.hva(pauli("X0 X1 + Y0 Y1 + 0.5*Z0 Z1 + X1 X2 + Y1 Y2 + 0.5*Z1 Z2"), 1, init="neel"),
    "all_singles_doubles": T.all_singles_doubles(2, 4),
    "uccsd": T.uccsd(2, 4),
    "angle_encoding": T.angle_encoding(3, rotation="Y"),
    "iqp_encoding": T.iqp_encoding(3, n_repeats=2),
    "zz_feature_map": T.zz_feature_map(3, reps=1),
    "amplitude_encoding": T.amplitude_encoding(2),
    "basis_encoding": T.basis_encoding([1, 0, 1]),
    "data_reuploading": T.data_reuploading(2, 2),
    "pauli_pool_fragment": T.pauli_pool(3)[1],
    "excitation_pool_fragment": T.excitation_pool(2, 4)[0],
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_template_agrees_on_every_route(name, seed):
    c = TEMPLATES[name]
    rng = np.random.default_rng(seed)
    w = rng.uniform(-np.pi, np.pi, c.n_weights)
    x = rng.uniform(-1, 1, c.n_inputs)
    ours = state(c, torch.tensor(w), torch.tensor(x)).numpy()

    qfunc = to_pennylane(c)

    @qp.qnode(qp.device("default.qubit", wires=c.n_wires))
    def pl_state():
        qfunc(w, x)
        return qp.state()

    np.testing.assert_allclose(ours, pl_state(), atol=1e-10)
    qc, _, _ = to_qiskit(c)
    np.testing.assert_allclose(ours, Statevector(bind(qc, w, x)).reverse_qargs().data, atol=1e-10)
    back = from_qasm3(to_qasm3(c))
    np.testing.assert_allclose(state(back, torch.tensor(w), torch.tensor(x)).numpy(), ours, atol=1e-12)
