"""The MPS simulator (qml.mps) against the statevector simulator: values, gradients, truncation, entropies."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import circuits_with_values, every_gate_circuit, random_values

from qml.backends import get_backend
from qml.correlations import correlation_matrix as dense_correlations
from qml.correlations import magnetization as dense_magnetization
from qml.entanglement import entanglement_profile as dense_profile
from qml.ir import Circuit, W, X
from qml.mps import (
    MPS,
    MPSSimulator,
    correlation_matrix,
    entanglement_profile,
    expval,
    magnetization,
    safe_svd,
    schmidt_values,
)
from qml.mps.evolve import Chain, Truncation, split
from qml.paulis import PauliSum, pauli
from qml.problems.spins import tfim, xxz
from qml.sim.memory import SimulationMemoryError
from qml.sim.simulator import Simulator
from qml.templates import hardware_efficient, hva

VALUE_TOL = 1e-10
GRAD_TOL = 1e-8


def random_observable(n: int, seed: int, n_terms: int = 6) -> PauliSum:
    """A random real combination of 1-3 body Pauli strings on ``n`` wires (any distance)."""
    rng = np.random.default_rng(seed)
    terms = []
    for _ in range(n_terms):
        k = int(rng.integers(1, min(3, n) + 1))
        wires = sorted(int(w) for w in rng.permutation(n)[:k])
        terms.append((float(rng.normal()), " ".join(f"{'XYZ'[rng.integers(3)]}{w}" for w in wires)))
    return PauliSum.from_terms(terms) + 0.25


def exact_bond(n: int) -> int:
    return 2 ** (n // 2)


def grads(sim, circuit: Circuit, obs, w: np.ndarray, x: np.ndarray | None = None):
    """(value, d value / d weights) from a simulator's expval by autograd."""
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    xt = None if x is None else torch.tensor(x, dtype=torch.float64)
    e = sim.expval(circuit, obs, wt, xt)
    (g,) = torch.autograd.grad(e.sum(), wt)
    return e.detach(), g


def assert_matches_statevector(
    circuit: Circuit, obs, w: np.ndarray, x: np.ndarray | None = None, bond: int | None = None
) -> None:
    e_ref, g_ref = grads(Simulator(), circuit, obs, w, x)
    e_mps, g_mps = grads(MPSSimulator(bond_dim=bond or exact_bond(circuit.n_wires)), circuit, obs, w, x)
    assert torch.allclose(e_mps, e_ref, atol=GRAD_TOL, rtol=0), (e_mps, e_ref)
    assert torch.isfinite(g_mps).all()
    assert torch.allclose(g_mps, g_ref, atol=GRAD_TOL, rtol=0), (g_mps - g_ref).abs().max()


def shifted_periodic_hva(n: int, layers: int) -> Circuit:
    """HVA of the periodic TFIM from |+>^n: its (0, n-1) bond is a long-range gate."""
    c = Circuit(n)
    for q in range(n):
        c = c.add("H", q)
    return c + hva(tfim(n, periodic=True), layers)


# -- the safe SVD -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.complex128])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_safe_svd_backward_equals_torch_away_from_degeneracies(dtype, shape):
    torch.manual_seed(0)
    a = torch.randn(*shape, dtype=dtype, requires_grad=True)
    w = torch.randn(*shape, dtype=dtype)

    def loss(svd):  # gauge-invariant in every singular pair: truncated reconstruction, projectors, values
        u, s, vh = svd(a)
        r = (u[:, :2] * s[:2].to(dtype)) @ vh[:2]
        pu, pv = u[:, :2] @ u[:, :2].mH, vh[:2].mH @ vh[:2]
        return (
            (r * w.conj()).real.sum()
            + (pu @ w @ w.mH).real.trace()
            + (pv @ w.mH @ w).real.trace()
            + (s**3).sum()
        )

    (g_torch,) = torch.autograd.grad(loss(lambda m: torch.linalg.svd(m, full_matrices=False)), a)
    (g_exact,) = torch.autograd.grad(loss(lambda m: safe_svd(m, eps=0.0)), a)
    (g_broad,) = torch.autograd.grad(loss(safe_svd), a)
    assert torch.allclose(g_exact, g_torch, atol=1e-12)
    assert torch.allclose(g_broad, g_torch, atol=1e-8)


@pytest.mark.parametrize(
    ("matrix", "torch_breaks"),
    [
        (torch.eye(4), True),
        (torch.zeros(3, 3), True),
        (torch.outer(torch.arange(1.0, 5.0), torch.ones(3)), False),
        (torch.diag(torch.tensor([2.0, 1, 1, 0])), True),
    ],
    ids=["identity", "zero", "rank-1", "equal-and-zero"],
)
def test_safe_svd_gradient_is_finite_and_exact_at_degenerate_points(matrix, torch_breaks):
    a = matrix.to(torch.complex128).requires_grad_(True)
    w = torch.randn(*a.shape, dtype=torch.complex128, generator=torch.Generator().manual_seed(1))
    u, _, vh = safe_svd(a)
    # the exact reconstruction, through the gauge-free split the MPS uses: left = u, right = u^H a
    m, n = a.shape
    left, right = (u, u.mH @ a) if m <= n else (a @ vh.mH, vh)
    (g,) = torch.autograd.grad(((left @ right) * w.conj()).real.sum(), a)
    assert torch.isfinite(g).all()
    assert torch.allclose(g, w, atol=1e-12)  # d/dA Re<w, A> = w
    if torch_breaks:
        u, _s, vh = torch.linalg.svd(a, full_matrices=False)  # torch's own backward: NaN at these points
        left, right = (u, u.mH @ a) if m <= n else (a @ vh.mH, vh)
        (g_torch,) = torch.autograd.grad(((left @ right) * w.conj()).real.sum(), a)
        assert not torch.isfinite(g_torch).all()


def test_safe_svd_errors():
    with pytest.raises(ValueError, match=r"needs a matrix \(\.\.\., m, n\), got shape \(3,\)"):
        safe_svd(torch.ones(3))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        safe_svd(torch.eye(2), eps=-1.0)


def test_split_keeps_square_unitary_and_truncates():
    theta = torch.diag(torch.tensor([1.0, 0.5, 1e-15], dtype=torch.float64))
    left, right, to_right, w = split(theta, Truncation(bond_dim=8))
    assert torch.allclose(left @ right, theta, atol=1e-15)
    assert left.shape == (3, 2)
    assert to_right
    assert w == pytest.approx(1e-30 / 1.25)
    left, _, _, w = split(theta, Truncation(bond_dim=1))
    assert left.shape == (3, 1)
    assert w == pytest.approx(0.25 / 1.25)
    left, _right, _, w = split(theta, Truncation(bond_dim=8, for_gradients=True))  # keeps the tiny one
    assert left.shape == (3, 3)
    assert w == 0.0


# -- values and gradients against the statevector ---------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(circuits_with_values(max_wires=8, max_ops=24, min_ops=8), st.integers(0, 2**31 - 1))
def test_random_circuits_equal_statevector(case, seed):
    circuit, w, x = case
    obs = [random_observable(circuit.n_wires, seed), random_observable(circuit.n_wires, seed + 1)]
    sim = MPSSimulator(bond_dim=exact_bond(circuit.n_wires))
    wt, xt = torch.tensor(w), torch.tensor(x)
    ref = Simulator().expval(circuit, obs, wt, xt)
    r = sim.expval_with_error(circuit, obs, wt, xt)
    assert torch.allclose(r.values, ref, atol=VALUE_TOL, rtol=0)
    assert float(r.truncation_error) < 1e-20
    assert torch.allclose(sim.state(circuit, wt, xt), Simulator().state(circuit, wt, xt), atol=VALUE_TOL)
    if circuit.n_weights:
        assert_matches_statevector(circuit, obs[0], w, x)


def test_tiny_weights_and_inputs():
    """Products like 1e-200 * 1e-150 underflow to subnormals, on which LAPACK fails or returns NaN."""
    rng = np.random.default_rng(0)
    for seed in range(30):
        c = every_gate_circuit(5, seed=seed, repeats=3)
        n_w = c.n_weights
        w = rng.uniform(-3, 3, n_w) * 10.0 ** -rng.uniform(0, 320, n_w) * (rng.random(n_w) < 0.5)
        w = w + rng.uniform(-3, 3, n_w) * (rng.random(n_w) < 0.5)
        x = rng.uniform(-3, 3, c.n_inputs) * 10.0 ** -rng.uniform(0, 200, c.n_inputs)
        ref = Simulator().expval(c, "Z0 X1 + Y2 Z4", torch.tensor(w), torch.tensor(x))
        val = MPSSimulator(bond_dim=4).expval(c, "Z0 X1 + Y2 Z4", torch.tensor(w), torch.tensor(x))
        assert abs(float(val) - float(ref)) < VALUE_TOL
        assert_matches_statevector(c, "Z0 X1 + Y2 Z4", w, x)


def test_subnormal_angles():
    """Angles like 1e-300 * w give subnormal matrix entries, on which LAPACK's QR returns NaN."""
    c = Circuit(4)
    for q in range(4):
        c = c.add("H", q)
    c = (
        c.add("CRX", (0, 1), 1e-300 * W(0))
        .add("RYY", (1, 3), 1e-300 * W(0))
        .add("CY", (3, 0))
        .add("SingleExcitation", (2, 0), 5e-324 * W(1))
        .add("CNOT", (1, 2))
        .add("CRY", (2, 3), W(1))
    )
    for w in ([1e-20, 0.3], [1e-8, 1e-300]):
        assert_matches_statevector(c, "Z0 X1 + Y2 Y3", np.array(w))
        ref = Simulator().expval(c, "Z0 X1 + Y2 Y3", torch.tensor(w))
        assert float(MPSSimulator(bond_dim=4).expval(c, "Z0 X1 + Y2 Y3", torch.tensor(w))) == pytest.approx(
            float(ref), abs=VALUE_TOL
        )


@pytest.mark.parametrize("seed", range(3))
def test_every_gate_values_and_gradients(seed):
    c = every_gate_circuit(6, seed=seed, repeats=2)  # Toffoli, DoubleExcitation, Unitary, long range
    w, x = random_values(c, seed)
    assert_matches_statevector(c, [random_observable(6, seed), "Z0 Z5 + X2"], w, x)


def test_hva_and_hea_templates_values_and_gradients():
    rng = np.random.default_rng(3)
    c = shifted_periodic_hva(12, 2)  # periodic: a gate across the whole chain
    assert_matches_statevector(c, tfim(12, periodic=True), rng.uniform(-1, 1, c.n_weights))
    c = hva(xxz(14, delta=0.5, periodic=False), 2, init="neel")
    assert_matches_statevector(c, xxz(14, delta=0.5, periodic=False), rng.uniform(-1, 1, c.n_weights))
    c = hardware_efficient(12, 2, entangler="CRX", pattern="circular")
    assert_matches_statevector(c, [random_observable(12, 4), tfim(12)], rng.uniform(-2, 2, c.n_weights))
    c = hva(tfim(16, periodic=False), 2, init="plus")
    assert_matches_statevector(c, tfim(16, periodic=False), rng.uniform(-1, 1, c.n_weights))


def test_long_range_three_and_four_qubit_gates_values_and_gradients():
    c = Circuit(12)
    for q in range(12):
        c = c.add("RY", q, W(q))
    c = (
        c.add("Toffoli", (9, 2, 5))
        .add("DoubleExcitation", (0, 7, 3, 11), W(12))
        .add("CRX", (10, 1), W(13) * X(0))
        .add("RZZ", (0, 11), W(14))
        .add("Unitary", (8, 1, 4), matrix=np.linalg.qr(np.arange(64.0).reshape(8, 8) + np.eye(8))[0])
        .add("SWAP", (2, 9))
        .add("DoubleExcitation", (5, 6, 1, 10), W(15))
    )
    rng = np.random.default_rng(5)
    assert_matches_statevector(c, random_observable(12, 7, 10), rng.uniform(-3, 3, 16), np.array([0.7]))


@pytest.mark.parametrize("case", ["hea-rzz-zero", "hea-full-crx-zero", "periodic-hva-zero", "all-zero"])
def test_gradients_at_product_states_are_exact(case):
    """Zero entangling angles: every bond has singular values (1, 0, ...), yet gradients are exact."""
    n = 8
    rng = np.random.default_rng(11)
    obs = tfim(n, periodic=False) + pauli(" + ".join(f"0.3*Y{i} Z{i + 1}" for i in range(n - 1)))
    if case == "hea-rzz-zero":
        c = hardware_efficient(n, 2, entangler="RZZ")
        w = rng.uniform(-3, 3, c.n_weights)
        w[-2 * (n - 1) :] = 0.0
    elif case == "hea-full-crx-zero":
        c = hardware_efficient(n, 2, entangler="CRX", pattern="full")
        w = rng.uniform(-3, 3, c.n_weights)
        w[-2 * n * (n - 1) // 2 :] = 0.0
    elif case == "periodic-hva-zero":
        c = shifted_periodic_hva(n, 2)
        w = np.zeros(c.n_weights)
    else:
        c = hardware_efficient(n, 2, entangler="CRY", pattern="circular")
        w = np.zeros(c.n_weights)
    assert_matches_statevector(c, obs, w)


def test_batched_weights_and_inputs_match_statevector():
    c = Circuit(5)
    for q in range(5):
        c = c.add("RX", q, X(q % 2)).add("RY", q, W(q))
    for q in range(4):
        c = c.add("CNOT", (q, q + 1))
    c = c.add("CRZ", (4, 0), W(5))
    rng = np.random.default_rng(2)
    w, x = torch.tensor(rng.uniform(-2, 2, (3, 6))), torch.tensor(rng.uniform(-2, 2, (3, 2)))
    obs = ["Z0 Z4", "X1 + Y3"]
    sim = MPSSimulator(bond_dim=4)
    assert sim.expval(c, obs, w, x).shape == (3, 2)
    assert torch.allclose(sim.expval(c, obs, w, x), Simulator().expval(c, obs, w, x), atol=VALUE_TOL)
    assert torch.allclose(sim.expval(c, "Z0", w[0], x), Simulator().expval(c, "Z0", w[0], x), atol=VALUE_TOL)
    assert sim.expval(c, obs, w[0], x[0]).shape == (2,)
    assert sim.expval(c, "Z0", w[0], x[0]).shape == ()
    r = sim.expval_with_error(c, obs, w, x)
    assert r.truncation_error.shape == (3,)
    assert r.error_bound.shape == (3, 2)
    assert sim.state(c, w, x).shape == (3, 32)
    runs = sim.run(c, w, x)
    assert isinstance(runs, list)
    assert len(runs) == 3
    assert all(isinstance(m, MPS) for m in runs)


def test_complex64_and_run_result():
    c = shifted_periodic_hva(6, 2)
    w = torch.tensor(np.random.default_rng(0).uniform(-1, 1, c.n_weights))
    e64 = MPSSimulator(bond_dim=8, dtype=torch.complex64).expval(c, tfim(6), w)
    assert e64.dtype == torch.float32
    assert float(e64) == pytest.approx(float(Simulator().expval(c, tfim(6), w)), abs=1e-4)
    mps = MPSSimulator(bond_dim=8).run(c, w)
    assert isinstance(mps, MPS)
    assert mps.n_wires == 6
    assert mps.truncation_error < 1e-20
    assert all(t.shape[1] == 2 for t in mps.tensors)
    assert max(mps.bond_dims()) == mps.max_bond <= 8
    assert mps.center is not None
    assert float(mps.norm_squared()) == pytest.approx(1.0, abs=1e-12)
    assert float(expval(mps, tfim(6))) == pytest.approx(float(Simulator().expval(c, tfim(6), w)), abs=1e-10)


def test_complex64_gradient_at_a_product_state():
    """Single precision needs a wider SVD broadening (1e-8) to keep rounding from being amplified."""
    c = shifted_periodic_hva(10, 3)
    obs = tfim(10, periodic=True) + random_observable(10, 3)
    _, g_ref = grads(Simulator(), c, obs, np.zeros(c.n_weights))
    _, g = grads(MPSSimulator(bond_dim=32, dtype=torch.complex64), c, obs, np.zeros(c.n_weights))
    assert torch.allclose(g, g_ref, atol=1e-4)


def test_wide_shallow_circuit_forward_and_backward():
    """64 qubits, HVA of 2 layers on an open TFIM chain (bond_dim 32): a fraction of a second."""
    n = 64
    c = hva(tfim(n, periodic=False), 2, init="plus")
    w = torch.tensor([0.3, 0.2, -0.4, 0.1], dtype=torch.float64, requires_grad=True)
    sim = MPSSimulator(bond_dim=32)
    start = time.perf_counter()
    e = sim.expval(c, tfim(n, periodic=False), w)
    e.backward()
    assert time.perf_counter() - start < 20  # a few tenths of a second on 2 cores
    assert torch.isfinite(w.grad).all()
    assert w.grad.abs().sum() > 0
    r = sim.expval_with_error(c, tfim(n, periodic=False), w.detach())
    assert float(r.truncation_error) < 1e-20
    assert r.max_bond <= 4
    # translation invariance in the bulk: <Z_i Z_i+1> is the same deep inside the chain
    bulk = sim.expval(c, [f"Z{i} Z{i + 1}" for i in (20, 30, 40)], w.detach())
    assert torch.allclose(bulk, bulk[0].expand(3), atol=1e-10)


# -- truncation -----------------------------------------------------------------------------------


def test_truncation_error_is_reported_and_bounds_the_energy_error():
    n = 12
    c = shifted_periodic_hva(n, 3)
    h = tfim(n, periodic=True)
    w = torch.tensor(np.random.default_rng(7).uniform(-0.5, 0.5, c.n_weights))
    exact = float(Simulator().expval(c, h, w))
    psi = Simulator().state(c, w)
    small = MPSSimulator(bond_dim=8).expval_with_error(c, h, w)
    assert float(small.truncation_error) > 1e-5
    assert small.max_bond == 8
    err = abs(float(small.values) - exact)
    assert 0 < err <= float(small.error_bound) < 2 * h.l1_norm()  # a rigorous, non-trivial bound
    mps = MPSSimulator(bond_dim=8).run(c, w)
    fidelity = float(abs(torch.vdot(psi, mps.to_dense(normalize=True))) ** 2)
    assert 1 - fidelity <= mps.error_bound() ** 2 + 1e-12
    assert 1 - fidelity <= 2 * mps.truncation_error
    # more bonds, less error; enough bonds, none
    mid = MPSSimulator(bond_dim=16).expval_with_error(c, h, w)
    assert float(mid.truncation_error) < float(small.truncation_error)
    assert abs(float(mid.values) - exact) <= float(mid.error_bound) < float(small.error_bound)
    big = MPSSimulator(bond_dim=64).expval_with_error(c, h, w)
    assert float(big.truncation_error) < 1e-20
    assert float(big.error_bound) < 1e-9
    assert abs(float(big.values) - exact) < VALUE_TOL


def test_truncated_gradient_is_the_gradient_of_the_truncated_energy():
    n = 10
    c = shifted_periodic_hva(n, 4)
    h = tfim(n, periodic=True)
    sim = MPSSimulator(bond_dim=4)
    w0 = np.random.default_rng(9).uniform(-1, 1, c.n_weights)
    _, g = grads(sim, c, h, w0)
    fd = []
    for i in range(len(w0)):
        d = np.zeros_like(w0)
        d[i] = 1e-5
        fd.append(
            (float(sim.expval(c, h, torch.tensor(w0 + d))) - float(sim.expval(c, h, torch.tensor(w0 - d))))
            / 2e-5
        )
    assert torch.allclose(g, torch.tensor(fd, dtype=torch.float64), atol=1e-6)


@pytest.mark.parametrize(("layers", "bond", "tol"), [(2, 16, GRAD_TOL), (3, 64, GRAD_TOL), (4, 64, 1e-5)])
def test_gradient_when_bond_dim_binds(layers, bond, tol):
    """bond_dim too small for the untruncated run (padded zeros), or truncating a little: canonical rerun."""
    n = 16
    c = shifted_periodic_hva(n, layers)
    h = tfim(n, periodic=True)
    w0 = np.random.default_rng(layers).uniform(-1, 1, c.n_weights)
    _, g_ref = grads(Simulator(), c, h, w0)
    _, g = grads(MPSSimulator(bond_dim=bond), c, h, w0)
    assert torch.allclose(g, g_ref, atol=tol, rtol=0)


def test_second_derivatives_are_refused_not_silently_wrong():
    """Regression: once_differentiable let create_graph through the SVDs; the Hessian-vector
    product at bond_dim=4 was off by 14 (of |h| ~ 1) without an error."""
    c = hardware_efficient(10, 3)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    for chi in (4, 64):
        e = Simulator(method="mps", bond_dim=chi).expval(c, "Z0 Z1 + X5", w)
        with pytest.raises(NotImplementedError, match=r"not available with method='mps'.*statevector"):
            torch.autograd.grad(e, w, create_graph=True)
        (g,) = torch.autograd.grad(Simulator(method="mps", bond_dim=chi).expval(c, "Z0 Z1 + X5", w), w)
        assert torch.isfinite(g).all()  # first order still works


def test_memory_guard_refuses_runs_that_would_not_fit(monkeypatch):
    c = hardware_efficient(48, 3)
    w = torch.zeros(2, c.n_weights, dtype=torch.float64, requires_grad=True)
    sim = Simulator(method="mps", bond_dim=64)
    need = sim.explain(c, "Z0", w).memory_estimate
    assert need > 2 * sim.explain(c, "Z0", w.detach()).memory_estimate  # gradients keep more
    monkeypatch.setenv("QML_MEMORY_LIMIT", str(need // 2))
    with pytest.raises(
        SimulationMemoryError, match=r"an MPS run of 48 qubits \(bond_dim=64, 2 rows, with gradients\)"
    ):
        sim.expval(c, "Z0", w)
    with torch.no_grad():
        sim.expval(c, "Z0", w)  # without gradients it fits


def test_bond_bounds_follow_the_entangling_gates():
    from qml.mps.simulator import _bond_bounds

    c = Circuit(6).add("CNOT", (0, 1)).add("CNOT", (1, 2)).add("RXX", (2, 3), W(0))
    assert _bond_bounds(c, 64) == [1, 2, 2, 4, 1, 1, 1]  # CNOT: 2 each, RXX: 4, nothing past wire 3


def test_truncation_warning_is_logged(caplog):
    with caplog.at_level("WARNING", logger="qml.mps.simulator"):
        MPSSimulator(bond_dim=1).expval(Circuit(2).add("H", 0).add("CNOT", (0, 1)), "Z0")
    assert "bond_dim=1 truncates" in caplog.text


# -- entropies and correlations -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain10():
    c = shifted_periodic_hva(10, 3).add("CRY", (2, 7), W(6)).add("RY", 4, W(7))
    w = torch.tensor(np.random.default_rng(4).uniform(-1, 1, c.n_weights))
    return MPSSimulator(bond_dim=32).run(c, w), Simulator().state(c, w)


@pytest.mark.parametrize("kind", ["vn", "renyi2"])
@pytest.mark.parametrize("base", [math.e, 2])
def test_entanglement_profile_equals_dense(chain10, kind, base):
    mps, psi = chain10
    assert torch.allclose(entanglement_profile(mps, kind, base), dense_profile(psi, kind, base), atol=1e-10)


def test_schmidt_values_and_product_entropy():
    assert entanglement_profile(MPS.product(4)).tolist() == [0.0, 0.0, 0.0]
    assert entanglement_profile(MPS.product(1)).shape == (0,)
    ghz = MPSSimulator().run(
        Circuit(5).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (1, 2)).add("CNOT", (0, 4))
    )
    assert torch.allclose(entanglement_profile(ghz, base=2), torch.ones(4, dtype=torch.float64), atol=1e-12)
    assert all(torch.allclose(s, torch.full((2,), 2**-0.5, dtype=torch.float64)) for s in schmidt_values(ghz))


@pytest.mark.parametrize("axis", ["x", "y", "z"])
@pytest.mark.parametrize("connected", [False, True])
def test_correlations_equal_dense(chain10, axis, connected):
    mps, psi = chain10
    assert torch.allclose(
        correlation_matrix(mps, axis, connected), dense_correlations(psi, axis, connected), atol=1e-10
    )
    assert torch.allclose(magnetization(mps, axis), dense_magnetization(psi, axis), atol=1e-10)


def test_entropy_gradient_matches_dense():
    c = shifted_periodic_hva(8, 2)
    w = torch.tensor(np.random.default_rng(1).uniform(-1, 1, c.n_weights), requires_grad=True)
    (g_mps,) = torch.autograd.grad(entanglement_profile(MPSSimulator(bond_dim=16).run(c, w)).sum(), w)
    (g_dense,) = torch.autograd.grad(dense_profile(Simulator().state(c, w)).sum(), w)
    assert torch.allclose(g_mps, g_dense, atol=1e-8)


# -- canonical form -------------------------------------------------------------------------------


def test_canonical_form_around_the_centre():
    c = shifted_periodic_hva(8, 2)
    mps = MPSSimulator(bond_dim=16).run(c, torch.tensor([0.3, -0.2, 0.5, 0.1]))
    assert mps.center is not None
    for j, a in enumerate(mps.tensors):
        chi_l, _, chi_r = a.shape
        if j < mps.center:
            m = a.reshape(chi_l * 2, chi_r)
            assert torch.allclose(m.mH @ m, torch.eye(chi_r, dtype=a.dtype), atol=1e-12)
        elif j > mps.center:
            m = a.reshape(chi_l, 2 * chi_r)
            assert torch.allclose(m @ m.mH, torch.eye(chi_l, dtype=a.dtype), atol=1e-12)
    chain = Chain(mps, Truncation(bond_dim=16))
    chain.canonicalize(0, 0)
    assert chain.finish().center == 0


# -- backend --------------------------------------------------------------------------------------


def test_mps_backend():
    b = get_backend("mps", bond_dim=8)
    assert b.name == "mps"
    assert b.capabilities.differentiable
    assert not b.capabilities.supports_shots
    c = shifted_periodic_hva(6, 2)
    w = torch.tensor(np.random.default_rng(0).uniform(-1, 1, (2, c.n_weights)), requires_grad=True)
    obs = ["Z0 Z5", tfim(6)]
    e = b.expval(c, obs, w)
    ref = get_backend("torch").expval(c, obs, w)
    assert torch.allclose(e, ref, atol=VALUE_TOL)
    (g,) = torch.autograd.grad(e.sum(), w)
    (g_ref,) = torch.autograd.grad(ref.sum(), w)
    assert torch.allclose(g, g_ref, atol=GRAD_TOL)
    r = b.run(c, obs, w.detach())
    assert np.allclose(r.values(), ref.detach().numpy(), atol=VALUE_TOL)
    assert max(r.metadata["truncation_error"]) < 1e-20
    assert r.metadata["bond_dim"] == 8
    small = get_backend("mps", bond_dim=2).run(c, obs, w.detach()[0])
    assert small.metadata["truncation_error"][0] > 0
    with pytest.raises(ValueError, match="backend 'mps' does not sample: use shots=None"):
        b.expval(c, obs, w, shots=100)
    with pytest.raises(ValueError, match="'mps' takes no suffix, got 'mps:gpu'"):
        get_backend("mps:gpu")


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bond_dim": 0}, r"bond_dim must be an integer >= 1 .*got 0"),
        ({"bond_dim": True}, "bond_dim must be an integer >= 1"),
        ({"bond_dim": 2.5}, "bond_dim must be an integer >= 1"),
        ({"cutoff": -1e-3}, r"cutoff must be a number in \[0, 1\)"),
        ({"dtype": torch.float64}, "dtype must be torch.complex64 or torch.complex128"),
        ({"dtype": "complex128"}, "dtype must be torch.complex64 or torch.complex128"),
        ({"device": "nowhere"}, "device must be a torch device"),
        ({"svd_eps": -1.0}, "svd_eps must be >= 0"),
    ],
)
def test_settings_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MPSSimulator(**kwargs)


def test_call_errors():
    sim = MPSSimulator(bond_dim=2)
    with pytest.raises(
        ValueError, match=r"state\(\) builds 2\*\*n amplitudes and takes at most 20 wires, the circuit has 21"
    ):
        sim.state(Circuit(21))
    with pytest.raises(ValueError, match="a dense state of 21 wires"):
        MPS.product(21).to_dense()
    with pytest.raises(ValueError, match="act on wires beyond the circuit's 2 wires"):
        sim.expval(Circuit(2), "Z3")
    with pytest.raises(ValueError, match="acts on wire 3 but the state has 2 wires"):
        expval(MPS.product(2), "Z3")
    with pytest.raises(ValueError, match=r"this circuit needs 1 weights"):
        sim.expval(Circuit(1).add("RX", 0, W(0)), "Z0")
    with pytest.raises(ValueError, match="kind='tsallis' is not one of 'vn', 'renyi2'"):
        entanglement_profile(MPS.product(2), kind="tsallis")
    with pytest.raises(ValueError, match="base=1 must be a number > 0 and != 1"):
        entanglement_profile(MPS.product(2), base=1)
    with pytest.raises(ValueError, match="axis='w' is not one of 'x', 'y', 'z'"):
        correlation_matrix(MPS.product(2), "w")


# -- larger -----------------------------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(circuits_with_values(max_wires=10, max_ops=60, min_ops=20), st.integers(0, 2**31 - 1))
def test_random_circuits_equal_statevector_many(case, seed):
    circuit, w, x = case
    obs = random_observable(circuit.n_wires, seed, 10)
    ref = Simulator().expval(circuit, obs, torch.tensor(w), torch.tensor(x))
    val = MPSSimulator(bond_dim=exact_bond(circuit.n_wires)).expval(
        circuit, obs, torch.tensor(w), torch.tensor(x)
    )
    assert abs(float(val) - float(ref)) < VALUE_TOL
    if circuit.n_weights:
        assert_matches_statevector(circuit, obs, w, x)


def test_deeper_templates_at_16_qubits_values_and_gradients():
    rng = np.random.default_rng(12)
    c = hardware_efficient(16, 5, entangler="CNOT", pattern="circular")
    assert_matches_statevector(c, [random_observable(16, 1, 12), tfim(16)], rng.uniform(-2, 2, c.n_weights))
    c = shifted_periodic_hva(16, 6)
    assert_matches_statevector(c, tfim(16, periodic=True), rng.uniform(-1, 1, c.n_weights))


def test_128_qubits_four_layers_forward_and_backward():
    n = 128
    c = hva(tfim(n, periodic=False), 4, init="plus")
    w = torch.tensor([0.3, 0.2, -0.4, 0.1, 0.2, 0.3, -0.1, 0.25], dtype=torch.float64, requires_grad=True)
    e = MPSSimulator(bond_dim=64).expval(c, tfim(n, periodic=False), w)
    e.backward()
    assert torch.isfinite(w.grad).all()
    # the bulk energy per bond converges to that of a 64-qubit chain with the same circuit
    e64 = MPSSimulator(bond_dim=64).expval(
        hva(tfim(64, periodic=False), 4, init="plus"), "Z31 Z32", w.detach()
    )
    assert float(MPSSimulator(bond_dim=64).expval(c, "Z63 Z64", w.detach())) == pytest.approx(
        float(e64), abs=1e-10
    )
