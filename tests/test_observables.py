"""Expectation values of Pauli sums on the simulator vs dense matrices and PennyLane."""

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qml.paulis import PauliString, PauliSum, expval_dense, pauli
from qml.sim.observables import ObservablePlan
from qml.sim.tuning import TUNING


def _random_state(n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    psi = rng.normal(size=(batch, 2**n)) + 1j * rng.normal(size=(batch, 2**n))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


@st.composite
def pauli_sums(draw, n: int):
    n_terms = draw(st.integers(1, 6))
    terms = []
    for _ in range(n_terms):
        letters = draw(st.lists(st.sampled_from("IXYZ"), min_size=n, max_size=n))
        coeff = draw(st.floats(-2, 2, allow_nan=False))
        terms.append((coeff, PauliString.from_dict({w: p for w, p in enumerate(letters) if p != "I"})))
    return PauliSum.from_terms(terms)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_expval_matches_dense_matrix(data, n, seed):
    obs = [data.draw(pauli_sums(n)) for _ in range(data.draw(st.integers(1, 3)))]
    psi = _random_state(n, 3, np.random.default_rng(seed))
    got = ObservablePlan(obs, n).expval(torch.tensor(psi)).numpy()
    want = np.array([[expval_dense(o, p) for o in obs] for p in psi])
    np.testing.assert_allclose(got, want, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), n=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_apply_weighted_sum_matches_matrix(data, n, seed):
    obs = [data.draw(pauli_sums(n)) for _ in range(2)]
    rng = np.random.default_rng(seed)
    psi = _random_state(n, 2, rng)
    g = rng.normal(size=(2, 2))
    got = ObservablePlan(obs, n).apply(torch.tensor(psi), torch.tensor(g)).numpy()
    for b in range(2):
        h = g[b, 0] * obs[0].to_matrix(n) + g[b, 1] * obs[1].to_matrix(n)
        np.testing.assert_allclose(got[b], h @ psi[b], atol=1e-12)


def test_real_state_uses_real_arithmetic_and_ignores_imaginary_terms():
    rng = np.random.default_rng(1)
    psi = rng.normal(size=(2, 8))
    psi /= np.linalg.norm(psi, axis=1, keepdims=True)
    H = pauli("0.5*X0 Y1 + Z0 Z2 - 0.7*Y0 Y1 + 0.2*X2 + 1.5")
    out = ObservablePlan([H], 3).expval(torch.tensor(psi))
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out[:, 0].numpy(), [expval_dense(H, p) for p in psi], atol=1e-12)


def test_grouping_by_flip_set():
    plan = ObservablePlan([pauli("Z0 Z1 + Z1 Z2 + X0 + X1 + 0.5*X0 X1 + 0.5*Y0 Y1")], 3)
    flips = [g.flip for g in plan.groups]
    assert flips == [(), (0,), (1,), (0, 1)]


def test_observable_on_missing_wire_is_rejected():
    with pytest.raises(ValueError, match="acts on wire 3 but the circuit has 2 wires"):
        ObservablePlan([pauli("Z3")], 2)


def test_complex64_state():
    psi = _random_state(3, 2, np.random.default_rng(3))
    H = pauli("X0 Y1 Z2 + 0.3*Y2")
    out = ObservablePlan([H], 3).expval(torch.tensor(psi, dtype=torch.complex64))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out[:, 0].numpy(), [expval_dense(H, p) for p in psi], atol=1e-5)


@pytest.mark.parametrize("custom", [False, True])
def test_diagonal_expval_gradients_support_double_backward_and_torch_func(monkeypatch, custom):
    """Large states take a hand-written backward for the diagonal part: second derivatives and
    torch.func work with it as with autograd's own (small states)."""
    from qml.sim.observables import ObservablePlan

    t = TUNING["cpu"]
    monkeypatch.setitem(TUNING, "cpu", dataclasses.replace(t, squares_at_min=0 if custom else 2**60))

    plan = ObservablePlan([pauli("Z0 + 0.5*Z0 Z1"), pauli("Z1")], 2)
    psi0 = torch.tensor([[0.3 + 0.1j, -0.2j, 0.5, 0.1 - 0.4j]], dtype=torch.complex128)

    def energy(p: torch.Tensor) -> torch.Tensor:
        return plan.expval(p).sum()

    def reference(p: torch.Tensor) -> torch.Tensor:
        d = torch.tensor([1.5, 0.5, -1.5, -0.5]) + torch.tensor([1.0, -1.0, 1.0, -1.0])
        return ((p.real**2 + p.imag**2) * d).sum()

    psi = psi0.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(psi), psi, create_graph=True)
    (gg,) = torch.autograd.grad(g.abs().square().sum(), psi)
    ref = psi0.clone().requires_grad_(True)
    (rg,) = torch.autograd.grad(reference(ref), ref, create_graph=True)
    (rgg,) = torch.autograd.grad(rg.abs().square().sum(), ref)
    torch.testing.assert_close(g, rg)
    torch.testing.assert_close(gg, rgg)
    torch.testing.assert_close(torch.func.grad(energy)(psi0), rg.detach())
    batch = torch.stack([psi0, 2 * psi0])
    per_row = torch.func.vmap(torch.func.grad(energy))(batch)
    torch.testing.assert_close(per_row[1], 2 * rg.detach())


@pytest.mark.parametrize("dtype", [torch.complex128, torch.float64, torch.complex64])
def test_flip_groups_take_the_one_apply_backward_and_match_autograd(monkeypatch, dtype):
    """Observables with flipped wires differentiate by ``2 H_eff psi`` (one apply): first and second
    derivatives and torch.func equal autograd's through the plain evaluation."""
    from qml.sim import observables
    from qml.sim.observables import ObservablePlan

    t = TUNING["cpu"]
    n = 4
    plan = ObservablePlan([pauli("Z0 Z1 + 0.5*X2 - 0.3*Y3 + X0 X3"), pauli("Y1 Y2 + Z3"), pauli("X1")], n)
    gen = torch.Generator().manual_seed(3)
    psi0 = torch.randn(3, 2**n, dtype=dtype, generator=gen)
    g = torch.randn(3, 3, dtype=psi0.real.dtype, generator=gen)
    calls = []
    real_apply = observables._PlanExpval.apply
    monkeypatch.setattr(observables._PlanExpval, "apply", lambda *a: calls.append(1) or real_apply(*a))

    def derivatives(threshold: int) -> tuple[torch.Tensor, ...]:
        monkeypatch.setitem(TUNING, "cpu", dataclasses.replace(t, plan_vjp_min=threshold))
        psi = psi0.clone().requires_grad_(True)
        (first,) = torch.autograd.grad((plan.expval(psi) * g).sum(), psi)
        psi = psi0.clone().requires_grad_(True)
        (gr,) = torch.autograd.grad((plan.expval(psi) * g).sum(), psi, create_graph=True)
        (second,) = torch.autograd.grad(gr.abs().square().sum(), psi)
        func = torch.func.grad(lambda p: (plan.expval(p) * g).sum())(psi0)
        return first, gr.detach(), second, func

    custom = derivatives(0)
    assert len(calls) == 2  # both eager calls; torch.func takes the plain evaluation
    plain = derivatives(2**62)
    tol = 1e-5 if dtype == torch.complex64 else 1e-12
    for a, b in zip(custom, plain, strict=True):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)
