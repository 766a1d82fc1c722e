"""The NumPy shared tail: same expectation values and gradients as the torch path."""

import numpy as np
import pytest
import torch
from conftest import count_calls, hea
from hypothesis import given, settings
from hypothesis import strategies as st

from qml import Circuit, Simulator, W, X, pauli
from qml.gates import GATES
from qml.reference import dense_state
from qml.sim import collapse as tail
from qml.sim import dense_tail
from qml.sim.program import compile_circuit
from qml.sim.tuning import tuning

AUTO = Simulator(diff="backprop")  # the cost models decide
FAST = Simulator(diff="backprop", methods={"collapse": "always"})  # every shared tail collapses
SLOW = Simulator(diff="backprop", methods={"collapse": "always", "numpy_tail": "never"})  # in torch


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of the NumPy tail."""
    return count_calls(monkeypatch, dense_tail, "expval")


def _run(sim, c, obs, w0, x0, x_grad=False, dtype=torch.float64):
    w = torch.tensor(w0, dtype=dtype, requires_grad=True)
    x = torch.tensor(x0, dtype=dtype, requires_grad=x_grad)
    e = sim.expval(c, obs, w, x)
    weights = torch.linspace(-1, 1, e.numel(), dtype=e.dtype).reshape(e.shape)
    (e * weights).sum().backward()
    return e.detach(), w.grad, x.grad


def _assert_same(got, ref, tol):
    for a, b in zip(got, ref, strict=True):
        assert (a is None) == (b is None)
        if b is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=tol, rtol=tol)


@pytest.mark.parametrize("name", sorted(n for n, g in GATES.items() if g.n_params))
def test_fourier_tables_reproduce_every_gate_and_its_derivative(name):
    spec = GATES[name]
    table = dense_tail._fourier(name)
    assert table is not None, f"{name} has no Fourier table"
    group = dense_tail._Group.of([table], np.zeros((1, spec.n_params), dtype=np.int64))
    a = np.random.default_rng(7).uniform(-6, 6, (5, 1, spec.n_params))
    mats, ders = dense_tail._evaluate(group, a)
    assert ders is not None
    for k in range(5):
        t = torch.tensor(a[k, 0], requires_grad=True)
        want = spec.matrix(t[None])[0].to(torch.complex128)
        np.testing.assert_allclose(mats[k, 0], want.detach().numpy(), atol=1e-13)
        jac = torch.autograd.functional.jacobian(lambda v: torch.view_as_real(spec.matrix(v[None])[0]), t)
        np.testing.assert_allclose(ders[k, 0].real, jac[..., 0, :].movedim(-1, 0).numpy(), atol=1e-12)
        np.testing.assert_allclose(ders[k, 0].imag, jac[..., 1, :].movedim(-1, 0).numpy(), atol=1e-12)


def test_a_small_training_step_runs_the_numpy_tail_and_matches(calls):
    c = hea(4, 2)
    rng = np.random.default_rng(0)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(0, 3, (256, 4))
    got = _run(AUTO, c, pauli("Z0 + Z1 + Z2 + Z3"), w0, x0)
    assert calls[0] == 1
    _assert_same(got, _run(SLOW, c, pauli("Z0 + Z1 + Z2 + Z3"), w0, x0), 1e-12)


def test_values_match_the_dense_reference_and_gradients_the_shift_rule(calls):
    c = hea(3, 2).add("CRY", (2, 0), W(3)).add("S", 1)
    obs = pauli("Z0 Z1 + 0.5*X2 + Y0 Y2")
    rng = np.random.default_rng(8)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (64, 3))
    e, g, _ = _run(FAST, c, obs, w0, x0)
    assert calls[0] == 1
    h = obs.to_matrix(3)
    exact = [np.vdot(psi, h @ psi).real for psi in (dense_state(c, w0, x) for x in x0)]
    np.testing.assert_allclose(e.numpy(), exact, atol=1e-12)
    _, g_shift, _ = _run(Simulator(diff="parameter-shift"), c, obs, w0, x0)
    np.testing.assert_allclose(g.numpy(), g_shift.numpy(), atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_expvals_and_gradients_match_the_torch_tail(calls, n, x_grad, dtype):
    c = hea(n, 2, "RY").add("CRX", (n - 1, 0), W(1) * 0.7) if n > 1 else hea(1, 2)
    c = c.add("H", 0).add("U3", 0, W(0), W(2), 0.3)
    obs = [pauli("Z0"), pauli(" + ".join(f"X{q}" for q in range(n)) + " + 0.5*Y0")]
    rng = np.random.default_rng(n)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (33, n))
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    got = _run(Simulator(dtype=dtype, methods=FAST.methods), c, obs, w0, x0, x_grad, real)
    assert calls[0] == 1
    ref = _run(Simulator(dtype=dtype, methods=SLOW.methods), c, obs, w0, x0, x_grad, real)
    _assert_same(got, ref, 1e-10 if dtype == torch.complex128 else 2e-4)


@pytest.mark.parametrize("encoding", ["RX", "chain", "U3", "mixed"])
def test_every_kind_of_product_encoding(calls, encoding):
    c = Circuit(3)
    for q in range(3):
        if encoding == "chain" or (encoding == "mixed" and q == 1):
            c = c.add("H", q).add("RZ", q, X(q)).add("RY", q, X(q) * 0.5)
        elif encoding == "U3":
            c = c.add("U3", q, X(q), X(q) * 0.3, 0.2)
        else:
            c = c.add("RX" if q else "RY", q, X(q))
    c = c.add("CNOT", (0, 1)).add("RY", 0, W(0)).add("RZ", 2, W(1)).add("CZ", (0, 2))
    rng = np.random.default_rng(11)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-2, 2, (12, 3))
    got = _run(FAST, c, [pauli("Z0 + Z1"), pauli("X2")], w0, x0)
    assert calls[0] == 1
    _assert_same(got, _run(SLOW, c, [pauli("Z0 + Z1"), pauli("X2")], w0, x0), 1e-12)


def test_real_circuits_stay_real(calls):
    c = hea(3, 1, "RY")
    c = Circuit(3, ops=tuple(op for op in c.ops if op.name != "RZ")).add("RY", 2, W(0) * W(1))
    rng = np.random.default_rng(3)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (20, 3))
    got = _run(FAST, c, [pauli("Z0 Z2"), pauli("X1")], w0, x0, x_grad=True)
    assert calls[0] == 1
    _assert_same(got, _run(SLOW, c, [pauli("Z0 Z2"), pauli("X1")], w0, x0, x_grad=True), 1e-12)


def test_weights_before_the_cut_get_their_gradient_through_the_encoded_states(calls):
    c = Circuit(3)  # data re-uploading: a trainable layer, the inputs, the shared tail
    for q in range(3):
        c = c.add("RY", q, W(q)).add("RX", q, X(q)).add("RZ", q, X(q) * W(3 + q))
    c = c.add("CNOT", (0, 2)).add("RY", 1, W(6)).add("CZ", (2, 0)).add("RZZ", (2, 0), W(7))
    rng = np.random.default_rng(5)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (17, 3))
    got = _run(FAST, c, pauli("Z0 + X1 Y2"), w0, x0, x_grad=True)
    assert calls[0] == 1
    _assert_same(got, _run(SLOW, c, pauli("Z0 + X1 Y2"), w0, x0, x_grad=True), 1e-12)


def test_second_derivatives_use_the_torch_construction():
    c = hea(3, 1).add("RXX", (0, 2), W(0))
    rng = np.random.default_rng(2)
    w0, x = rng.uniform(-3, 3, c.n_weights), torch.tensor(rng.uniform(-1, 1, (9, 3)))
    v = torch.tensor(rng.normal(size=c.n_weights))

    def hvp(sim):
        w = torch.tensor(w0, requires_grad=True)
        (g,) = torch.autograd.grad(sim.expval(c, "Z0 + X2", w, x).sum(), w, create_graph=True)
        (h,) = torch.autograd.grad(g @ v, w)
        return g.detach(), h

    for a, b in zip(hvp(FAST), hvp(SLOW), strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)


def test_torch_func_transforms_take_the_torch_path(calls):
    c = hea(2, 1)
    x = torch.rand(8, 2, dtype=torch.float64)
    w = torch.rand(c.n_weights, dtype=torch.float64)
    g = torch.func.grad(lambda w: FAST.expval(c, "Z0", w, x).sum())(w)
    assert calls[0] == 0
    (ref,) = torch.autograd.grad(SLOW.expval(c, "Z0", w.requires_grad_(), x).sum(), w)
    np.testing.assert_allclose(g.numpy(), ref.numpy(), atol=1e-12)


def test_wide_registers_and_batched_weights_take_the_torch_path(calls):
    c = hea(tuning("cpu").numpy_tail_max_wires + 1, 1)
    x = torch.rand(4, c.n_inputs, dtype=torch.float64)
    FAST.expval(c, "Z0", torch.rand(c.n_weights, dtype=torch.float64), x)
    small = hea(2, 1)
    FAST.expval(small, "Z0", torch.rand(4, small.n_weights, dtype=torch.float64), torch.rand(4, 2))
    assert calls[0] == 0
    FAST.expval(small, "Z0", torch.rand(small.n_weights, dtype=torch.float64), torch.rand(4, 2))
    assert calls[0] == 1


_POOL = [
    "RX",
    "RY",
    "RZ",
    "PhaseShift",
    "U3",
    "H",
    "S",
    "T",
    "SX",
    "CRY",
    "CRZ",
    "RZZ",
    "RYY",
    "CNOT",
    "CZ",
    "SWAP",
    "Toffoli",
    "SingleExcitation",
]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_tails_match_the_torch_path(data):
    n = data.draw(st.integers(2, 4), label="n")
    c = Circuit(n)
    for q in range(n):
        c = c.add(data.draw(st.sampled_from(["RX", "RY"]), label="enc"), q, X(q))
    n_w = 0
    for _ in range(data.draw(st.integers(1, 8), label="ops")):
        name = data.draw(st.sampled_from([g for g in _POOL if GATES[g].n_wires <= n]), label="gate")
        wires = tuple(data.draw(st.permutations(range(n)), label="wires")[: GATES[name].n_wires])
        params = []
        for _ in range(GATES[name].n_params):
            params.append(W(n_w) if data.draw(st.booleans(), label="trainable") else 0.4)
            n_w += 1
        c = c.add(name, wires, *params)
    if c.n_weights == 0:
        c = c.add("RY", 0, W(0))
    rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-2, 2, (6, n))
    obs = [pauli("Z0 Z1"), pauli(f"X{n - 1} + 0.3*Y0 Z{n - 1}")]
    w = torch.tensor(w0, requires_grad=True)
    route = FAST.explain(c, obs, w, torch.tensor(x0))
    got = _run(FAST, c, obs, w0, x0)
    ref = _run(SLOW, c, obs, w0, x0)
    _assert_same(got, ref, 1e-10)
    # the NumPy tail ran wherever there is a tail after the inputs
    assert route.measure == "shared tail (NumPy)" or tail.input_cut(compile_circuit(c)) == 0, route
