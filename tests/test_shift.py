"""Packed parameter-shift gradients: one execution per step, equal to autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import seeded_circuit

from qml.backends import get_backend
from qml.backends.base import BaseBackend, Capabilities, Execution
from qml.gates import FOUR_TERM, TWO_TERM
from qml.ir import Circuit, W, X
from qml.paulis import pauli
from qml.sim.shift import pack_shifts, shift_plan
from qml.sim.simulator import Simulator


class CountingBackend(BaseBackend):
    """Exact values from the native simulator through ``execute``, counting executions."""

    name = "counting"
    capabilities = Capabilities(differentiable=False, supports_shots=False)

    def __init__(self) -> None:
        self.calls: list[int] = []

    def execute(self, circuit, angles, observables, shots, seed, purpose="forward"):
        from qml.backends.base import slot_circuit

        self.calls.append(len(angles))
        sc = slot_circuit(circuit)
        with torch.no_grad():
            vals = Simulator().expval(sc, list(observables), torch.as_tensor(angles).reshape(len(angles), -1))
        return Execution(vals.numpy().reshape(len(angles), len(observables)))


def test_plan_counts_rules():
    c = Circuit(2).add("RX", 0, X(0)).add("CRY", (0, 1), W(0)).add("U3", 1, W(1), 0.2, W(0)).add("H", 0)
    plan = shift_plan(c)
    # RX reads only an input: not shifted for weight gradients; CRY: 4 terms; U3: 3 x 2 terms
    assert len(plan.entries) == 4 + 3 * 2 - 2  # U3's constant middle angle is not shifted
    assert [e[0] for e in plan.entries[:4]] == [1, 1, 1, 1]
    assert tuple((c, s) for _, c, s in plan.entries[:4]) == FOUR_TERM
    assert len(shift_plan(c, weights_grad=False, inputs_grad=True).entries) == len(TWO_TERM)
    assert plan.slot_refs[0] == (False, True)


def test_pack_layout():
    a = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)
    rows = pack_shifts(a, ((1, 0.5, 10.0), (2, -0.5, -10.0)))
    assert rows.shape == (6, 3)
    torch.testing.assert_close(rows[:2], a)
    torch.testing.assert_close(rows[2:4, 1], a[:, 1] + 10)
    torch.testing.assert_close(rows[4:6, 2], a[:, 2] - 10)
    assert pack_shifts(a, ((0, 0.5, 1.0),), forward=False).shape == (2, 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_circuits_match_autograd(seed):
    c = seeded_circuit(seed, 3, 10, n_inputs=2)
    rng = np.random.default_rng(seed)
    obs = [pauli("Z0 Z1 + 0.3*X2"), pauli("Y1"), pauli("X0 X1 X2 - 1")]
    w = torch.tensor(rng.uniform(-2, 2, (4, c.n_weights)), requires_grad=True)
    x = torch.tensor(rng.uniform(-2, 2, (4, c.n_inputs)), requires_grad=True)
    b = CountingBackend()
    e = b.expval(c, obs, w, x)
    gw, gx = torch.autograd.grad((e * torch.tensor([1.0, -2.0, 0.5], dtype=e.dtype)).sum(), (w, x))
    w2, x2 = w.detach().clone().requires_grad_(True), x.detach().clone().requires_grad_(True)
    e2 = Simulator(diff="backprop").expval(c, obs, w2, x2)
    gw2, gx2 = torch.autograd.grad((e2 * torch.tensor([1.0, -2.0, 0.5], dtype=e2.dtype)).sum(), (w2, x2))
    np.testing.assert_allclose(e.detach().numpy(), e2.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gw.numpy(), gw2.numpy(), atol=1e-9)
    np.testing.assert_allclose(gx.numpy(), gx2.numpy(), atol=1e-9)
    assert len(b.calls) == 1  # forward and every shifted point in ONE execution


def test_no_grad_runs_only_forward_rows():
    c = Circuit(1).add("RY", 0, W(0))
    b = CountingBackend()
    with torch.no_grad():
        b.expval(c, "Z0", torch.zeros(5, 1, requires_grad=True))
    b.expval(c, "Z0", torch.zeros(5, 1))  # nothing requires grad
    assert b.calls == [5, 5]
    b.expval(c, "Z0", torch.zeros(5, 1, requires_grad=True))
    assert b.calls[-1] == 5 * 3


def test_shared_weights_batched_inputs_and_reuse_of_a_weight():
    c = Circuit(2).add("RX", 0, X(0)).add("RY", 0, W(0)).add("CNOT", (0, 1)).add("RY", 1, 3.0 * W(0))
    w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[0.1], [0.7], [-0.3]])
    e = CountingBackend().expval(c, ["Z1"], w, x)
    (g,) = torch.autograd.grad(e.sum(), w)
    w2 = w.detach().clone().requires_grad_(True)
    (g2,) = torch.autograd.grad(Simulator().expval(c, ["Z1"], w2, x).sum(), w2)
    assert torch.allclose(g, g2, atol=1e-12)


def test_aer_parameter_shift_matches_native_autograd():
    c = seeded_circuit(7, 3, 8, n_inputs=1, gates=["RX", "RY", "RZ", "CRX", "CRZ", "CNOT", "RZZ", "U3", "H"])
    rng = np.random.default_rng(7)
    w = torch.tensor(rng.uniform(-1, 1, (2, c.n_weights)), requires_grad=True)
    x = torch.tensor(rng.uniform(-1, 1, (2, 1)))
    obs = ["Z0 Z2", "X1 + Y0"]
    e = get_backend("aer").expval(c, obs, w, x)
    (g,) = torch.autograd.grad(e.sum(), w)
    w2 = w.detach().clone().requires_grad_(True)
    (g2,) = torch.autograd.grad(get_backend("torch").expval(c, obs, w2, x).sum(), w2)
    np.testing.assert_allclose(g.numpy(), g2.numpy(), atol=1e-9)


def test_aer_shots_gradient_within_noise():
    c = Circuit(2).add("RY", 0, W(0)).add("CRY", (0, 1), W(1))
    w = torch.tensor([1.1, 0.7], dtype=torch.float64, requires_grad=True)
    e = get_backend("aer").expval(c, "Z1", w, shots=20000, seed=4)
    e.backward()
    w2 = w.detach().clone().requires_grad_(True)
    get_backend("torch").expval(c, "Z1", w2).backward()
    assert torch.allclose(w.grad, w2.grad, atol=0.05)


def test_second_order_shifts_twice_in_one_more_execution():
    c = Circuit(2).add("RY", 0, W(0)).add("CRX", (0, 1), W(1))
    w = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    b = CountingBackend()
    e = b.expval(c, "Z0 + Y1", w)
    (g,) = torch.autograd.grad(e, w, create_graph=True)
    h = torch.stack([torch.autograd.grad(g[i], w, retain_graph=True)[0] for i in range(2)])
    S = 2 + 4  # RY two terms, CRX four
    assert b.calls[0] == 1 + S  # forward and first-order shifts, packed
    assert b.calls[1] == S * (1 + S)  # the shifted points and their shifts, packed
    v = w.detach().clone().requires_grad_(True)
    h_ref = torch.autograd.functional.hessian(lambda u: Simulator(diff="backprop").expval(c, "Z0 + Y1", u), v)
    torch.testing.assert_close(h, h_ref, atol=1e-12, rtol=0)
    assert math.isclose(
        float(g[0].detach()), float(torch.autograd.grad(Simulator().expval(c, "Z0 + Y1", v), v)[0][0])
    )
