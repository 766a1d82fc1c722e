"""PennyLane devices behind the backend protocol."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml.backends import get_backend
from qml.backends.pennylane_backend import PennyLaneBackend, installed_devices, to_pennylane_observable
from qml.ir import Circuit, W, X
from qml.paulis import pauli


def circuit() -> Circuit:
    return (
        Circuit(2)
        .add("RX", 0, X(0))
        .add("U3", 1, W(0), 0.4, X(0) * W(1))
        .add("CRZ", (0, 1), W(2))
        .add("RYY", (0, 1), 0.5 * W(0) + 0.1)
    )


OBS = ["Z0 Z1", "X1 + 0.2", "Y0 X1"]


def test_installed_and_diff_methods():
    assert {"default.qubit", "lightning.qubit"} <= set(installed_devices())
    assert PennyLaneBackend("default.qubit").diff_method_for(None) == "backprop"
    assert PennyLaneBackend("lightning.qubit").diff_method_for(None) == "adjoint"
    assert PennyLaneBackend("lightning.qubit").diff_method_for(100) == "parameter-shift"
    assert PennyLaneBackend(diff_method="finite-diff").diff_method_for(None) == "finite-diff"
    with pytest.raises(ValueError, match="diff_method must be one of"):
        PennyLaneBackend(diff_method="magic")


def test_observable_translation():
    import pennylane as qp

    op = to_pennylane_observable(pauli("0.5*Z0 Z1 - X1 + 2"))
    m = qp.matrix(op, wire_order=[0, 1])
    np.testing.assert_allclose(m, pauli("0.5*Z0 Z1 - X1 + 2").to_matrix(2), atol=1e-12)


@pytest.mark.parametrize("device", ["default.qubit", "lightning.qubit"])
def test_values_and_gradients_match_torch(device):
    rng = np.random.default_rng(1)
    w = torch.tensor(rng.uniform(-1, 1, 3), requires_grad=True)  # shared weights
    x = torch.tensor(rng.uniform(-1, 1, (4, 1)))  # batched inputs
    c = circuit()
    e = get_backend(f"pennylane:{device}").expval(c, OBS, w, x)
    assert e.dtype == torch.float64
    assert e.shape == (4, 3)
    (g,) = torch.autograd.grad(e.sum(), w)
    w2 = w.detach().clone().requires_grad_(True)
    e2 = get_backend("torch").expval(c, OBS, w2, x)
    (g2,) = torch.autograd.grad(e2.sum(), w2)
    np.testing.assert_allclose(e.detach().numpy(), e2.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-10)


def test_run_is_float64_without_grad():
    r = get_backend("pennylane:lightning.qubit").run(circuit(), OBS, [0.1, 0.2, 0.3], [0.4])
    ref = get_backend("torch").run(circuit(), OBS, [0.1, 0.2, 0.3], [0.4]).expectations
    assert r.expectations.dtype == np.float64
    np.testing.assert_allclose(r.expectations, ref, atol=1e-12)


def test_input_gradients():
    c = circuit()
    x = torch.tensor([[0.3], [0.6]], requires_grad=True)
    e = get_backend("pennylane").expval(c, "Z0 Z1", [0.1, 0.2, 0.3], x)
    (gx,) = torch.autograd.grad(e.sum(), x)
    x2 = x.detach().clone().requires_grad_(True)
    (gx2,) = torch.autograd.grad(get_backend("torch").expval(c, "Z0 Z1", [0.1, 0.2, 0.3], x2).sum(), x2)
    np.testing.assert_allclose(gx.numpy(), gx2.numpy(), atol=1e-10)


def test_shots_seeded_and_differentiable():
    b = get_backend("pennylane")
    c = Circuit(1).add("RY", 0, W(0))
    w = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    e1 = b.expval(c, "Z0", w, shots=5000, seed=3)
    e2 = b.expval(c, "Z0", w, shots=5000, seed=3)
    assert float(e1.detach()) == float(e2.detach())
    assert abs(float(e1.detach()) - np.cos(0.5)) < 6 / np.sqrt(5000)
    e1.backward()
    assert abs(float(w.grad) + np.sin(0.5)) < 0.1


def test_unbatched_and_constant_observable():
    b = get_backend("pennylane")
    c = Circuit(1).add("H", 0)
    assert b.expval(c, "X0").shape == ()
    out = b.run(c, ["3", "X0"], shots=None).values()
    np.testing.assert_allclose(out, [3.0, 1.0], atol=1e-12)
