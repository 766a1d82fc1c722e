"""The backend protocol, registry and native torch backend; cross-backend agreement."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from qml.backends import (
    Backend,
    BackendResult,
    Capabilities,
    available_backends,
    get_backend,
    prepare,
    register_backend,
    slot_circuit,
)
from qml.backends.torch_backend import TorchBackend, measurement_groups, sampled_expectations
from qml.ir import Circuit, W, X
from qml.paulis import pauli
from qml.sim.simulator import Simulator, expval


def mixed_circuit() -> Circuit:
    """Affine, product and shared angles, a constant slot in U3, 2- and 4-term shift rules."""
    return (
        Circuit(3)
        .add("RX", 0, X(0))
        .add("RY", 1, 0.7 * W(0) - 0.3)
        .add("CNOT", (0, 1))
        .add("CRY", (1, 2), W(1))
        .add("RZ", 2, X(1) * W(2))
        .add("U3", 0, W(3), 0.4, W(0))
        .add("SingleExcitation", (1, 2), W(4))
        .add("RZZ", (0, 2), 2.0 * X(0) + W(2))
        .add("H", 2)
    )


OBS = ["Z0 Z1 + 0.5*X2", "Y0", "Z2 + 0.3", "X0 Y1 Z2"]


@pytest.fixture
def data() -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    return torch.tensor(rng.uniform(-1, 1, (3, 5))), torch.tensor(rng.uniform(-1, 1, (3, 2)))


# -- registry -------------------------------------------------------------------------------
def test_registry_names():
    assert get_backend("torch").name == "torch"
    assert get_backend("pennylane").name == "pennylane:default.qubit"
    assert get_backend("pennylane:lightning.qubit").name == "pennylane:lightning.qubit"
    assert get_backend("aer").name == "aer"
    assert get_backend("aer:noisy:fake_manila").name == "aer:noisy:fake_manila"
    assert get_backend("aer:noisy:FakeManilaV2").name == "aer:noisy:fake_manila"
    assert "ibm:<backend name>" in available_backends()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("cirq", "valid names: torch, pennylane"),
        ("", "valid names"),
        ("aer:ideal", "aer:noisy:<fake backend>"),
        ("aer:noisy:fake_nowhere", "valid names: fake_"),
        ("pennylane:no.such.device", "installed devices"),
        ("ibm", "ibm:<backend name>"),
        ("torch:gpu", "takes no suffix"),
    ],
)
def test_unknown_names_list_valid_ones(name, fragment):
    with pytest.raises(ValueError, match=fragment):
        get_backend(name)


def test_register_backend(monkeypatch):
    import qml.backends as backends

    monkeypatch.setattr(backends, "_REGISTRY", dict(backends._REGISTRY))  # no leak into other tests
    register_backend("mysim", lambda rest, opts: TorchBackend(**opts), "mysim")
    assert get_backend("mysim", diff="adjoint").simulator.diff == "adjoint"
    with pytest.raises(ValueError, match="without ':'"):
        register_backend("a:b", lambda rest, opts: TorchBackend())


def test_capabilities_and_protocol():
    for name in ("torch", "pennylane", "aer"):
        b = get_backend(name)
        assert isinstance(b, Backend)
        assert isinstance(b.capabilities, Capabilities)
    assert get_backend("torch").capabilities.differentiable
    assert not get_backend("aer").capabilities.differentiable
    assert get_backend("aer:noisy:fake_manila").capabilities.max_qubits == 5


def test_import_is_light():
    code = (
        "import sys, qml, qml.backends, qml.backends.ledger, qml.backends.jobs, qml.apps.hardware, "
        "qml.backends.ibm, qml.backends.aer_backend, qml.backends.pennylane_backend, qml.backends.shift; "
        "heavy = [m for m in ('pennylane', 'qiskit', 'qiskit_aer', 'qiskit_ibm_runtime') if m in "
        "sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- arguments and results ---------------------------------------------------------------------
def test_prepare_validates():
    c = Circuit(2).add("RX", 0, W(0)).add("RY", 1, X(0))
    with pytest.raises(ValueError, match=r"shape \(1,\) or \(batch, 1\)"):
        prepare(c, "Z0", [0.1, 0.2], [0.3])
    with pytest.raises(ValueError, match="needs 1 inputs"):
        prepare(c, "Z0", [0.1])
    with pytest.raises(ValueError, match="batch 2 and inputs batch 3"):
        prepare(c, "Z0", [[0.1], [0.2]], [[0.1], [0.2], [0.3]])
    with pytest.raises(ValueError, match="beyond the circuit's 2 wires"):
        prepare(c, "Z5", [0.1], [0.2])
    with pytest.raises(TypeError, match="PauliSum, PauliString"):
        prepare(c, [object()], [0.1], [0.2])
    with pytest.raises(ValueError, match="at most 1 qubits"):
        prepare(c, "Z0", [0.1], [0.2], max_qubits=1)
    p = prepare(c, ["Z0", "Z1"], [0.1], [[0.2], [0.3]])
    assert (p.batch, p.batched, p.single) == (2, True, False)


@pytest.mark.parametrize("shots", [0, -3, 2.5, True])
def test_bad_shots(shots):
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        get_backend("torch").run(Circuit(1).add("H", 0), "Z0", shots=shots)


def test_result_shapes_follow_simulator():
    b = get_backend("torch")
    c = Circuit(1).add("RX", 0, W(0))
    r = b.run(c, "Z0", [0.0])
    assert r.expectations.shape == (1, 1)
    assert r.values().shape == ()
    assert r.tensor().dtype == torch.float64
    r = b.run(c, ["Z0", "X0"], [[0.0], [1.0]])
    assert r.values().shape == (2, 2)
    assert r.shots is None
    assert r.job_ids == ()
    d = r.to_dict()
    assert d["backend"] == "torch"
    assert len(d["expectations"]) == 2
    assert b.expval(c, "Z0", [0.0]).shape == ()
    assert b.expval(c, ["Z0"], [[0.0], [1.0]]).shape == (2, 1)
    br = BackendResult(np.ones((2, 1)), "x", 10, 1, single=True)
    assert br.values().shape == (2,)


def test_slot_circuit_reproduces_the_circuit(data):
    w, x = data
    c = mixed_circuit()
    sc = slot_circuit(c)
    from qml.sim.program import compile_circuit

    angles = compile_circuit(c).angles(w, x)
    assert sc.n_weights == angles.shape[1]
    assert sc.n_inputs == 0
    got = expval(sc, [pauli(o) for o in OBS], angles)
    want = expval(c, [pauli(o) for o in OBS], w, x)
    assert torch.allclose(got, want, atol=1e-12)


# -- torch backend --------------------------------------------------------------------------------
def test_torch_backend_matches_simulator_and_autograd(data):
    w, x = data
    w = w.clone().requires_grad_(True)
    c = mixed_circuit()
    e = get_backend("torch").expval(c, OBS, w, x)
    (g,) = torch.autograd.grad(e.sum(), w)
    w2 = w.detach().clone().requires_grad_(True)
    e2 = Simulator().expval(c, [pauli(o) for o in OBS], w2, x)
    (g2,) = torch.autograd.grad(e2.sum(), w2)
    assert torch.allclose(e, e2, atol=1e-12)
    assert torch.allclose(g, g2, atol=1e-12)


def test_measurement_groups_cover_all_strings():
    groups = measurement_groups([pauli("Z0 Z1 + X0 + 2"), pauli("Y1 + Z1")])
    strings = sorted(str(s) for _, ss in groups for s in ss)
    assert strings == ["X0", "Y1", "Z0 Z1", "Z1"]
    for basis, ss in groups:
        for s in ss:
            assert all(basis[w] == ltr for w, ltr in s.ops)


def test_torch_shots_are_unbiased_and_seeded(data):
    w, x = data
    c = mixed_circuit()
    b = get_backend("torch")
    exact = b.run(c, OBS, w, x).expectations
    r1 = b.run(c, OBS, w, x, shots=4000, seed=5)
    r2 = b.run(c, OBS, w, x, shots=4000, seed=5)
    assert np.array_equal(r1.expectations, r2.expectations)
    assert r1.shots == 4000
    # each term has variance <= 1/shots; the largest observable has two unit terms
    assert np.abs(r1.expectations - exact).max() < 6 * 2 / np.sqrt(4000)


def test_torch_shots_gradient_by_parameter_shift():
    c = Circuit(1).add("RY", 0, 2.0 * W(0))
    w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    b = get_backend("torch")
    e = b.expval(c, "Z0", w, shots=20000, seed=1)
    e.backward()
    assert abs(w.grad.item() + 2 * np.sin(0.8)) < 0.06
    assert len(b.last_execution.values) == 3  # forward + 2 shifted rows, one execution


def test_sampled_expectations_constant_observable():
    out = sampled_expectations(Simulator(), Circuit(1).add("H", 0), [pauli("2.5")], None, 10, 0)
    assert out.tolist() == [[2.5]]


# -- all simulators agree ----------------------------------------------------------------------------
CROSS = ["torch", "pennylane", "pennylane:lightning.qubit", "aer"]


def test_exact_expectations_agree_across_backends(data):
    w, x = data
    c = mixed_circuit()
    ref = get_backend("torch").run(c, OBS, w, x).expectations
    for name in CROSS[1:]:
        got = get_backend(name).run(c, OBS, w, x).expectations
        np.testing.assert_allclose(got, ref, atol=1e-8, err_msg=name)


def test_gradients_agree_across_backends(data):
    w, x = data
    c = mixed_circuit()
    grads = {}
    for name in CROSS:
        wr = w.clone().requires_grad_(True)
        e = get_backend(name).expval(c, OBS, wr, x)
        (grads[name],) = torch.autograd.grad((e * torch.arange(1.0, 5.0, dtype=e.dtype)).sum(), wr)
    for name in CROSS[1:]:
        np.testing.assert_allclose(grads[name].numpy(), grads["torch"].numpy(), atol=1e-8, err_msg=name)


def test_shot_expectations_agree_within_noise(data):
    w, x = data
    c = mixed_circuit()
    ref = get_backend("torch").run(c, OBS, w, x).expectations
    shots = 4000
    for name in CROSS:
        got = get_backend(name).run(c, OBS, w, x, shots=shots, seed=11).expectations
        assert np.abs(got - ref).max() < 6 * 2 / np.sqrt(shots), name


def test_backend_expval_plugs_into_quantum_layer(data):
    layer_mod = pytest.importorskip("qml.models.layer")
    c = (
        Circuit(2)
        .add("RX", 0, X(0))
        .add("RX", 1, X(1))
        .add("RY", 0, W(0))
        .add("CNOT", (0, 1))
        .add("RY", 1, W(1))
    )
    x = data[1][:, :2]
    grads = []
    for name in ("torch", "aer"):
        layer = layer_mod.QuantumLayer(c, ["Z0", "Z1"], backend=get_backend(name).expval, seed=0).double()
        out = layer(x)
        out.sum().backward()
        assert out.shape == (3, 2)
        grads.append(layer.weights.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-9)
