"""One small circuit in NumPy with its adjoint gradient (qml.sim.numpy_state), against the torch full
state and a dense reference: random circuits of every gate with a Fourier table, real and complex
states, both precisions, the route's conditions, second derivatives, torch.func and the memory guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qml import Circuit, SimulationMemoryError, Simulator, W, X, pauli
from qml.gates import GATES
from qml.reference import dense_state
from qml.sim import dense_tail

NUMPY = {"numpy_state": "always"}
TORCH = {"numpy_state": "never", "numba_rows": "never"}
AUTO = {"numba_rows": "never"}  # "auto" for the others (qml.sim.numba_rows comes first where numba is)
MEASURE = "one circuit (NumPy)"
POOL = sorted(
    g for g, s in GATES.items() if s.n_wires <= 3 and 0 < s.n_params <= 3 and dense_tail._fourier(g)
)
POOL += ["H", "S", "T", "X", "CNOT", "CZ", "SWAP", "Toffoli"]


def _grad(sim: Simulator, c: Circuit, obs: list, w0: np.ndarray, x0: np.ndarray | None, coef: list[float]):
    w = torch.tensor(w0, requires_grad=True)
    x = None if x0 is None else torch.tensor(x0)
    route = sim.explain(c, obs, w, x)
    e = sim.expval(c, obs, w, x)
    (g,) = torch.autograd.grad((e * torch.tensor(coef, dtype=e.dtype)).sum(), w)
    return route, e.detach().double().numpy(), g.double().numpy()


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_circuits_match_the_torch_full_state(data):
    n = data.draw(st.integers(2, 6), label="n")
    c = Circuit(n)
    k = 0
    for _ in range(data.draw(st.integers(2, 16), label="gates")):
        name = data.draw(st.sampled_from([g for g in POOL if GATES[g].n_wires <= n]), label="gate")
        wires = tuple(data.draw(st.permutations(range(n)), label="wires")[: GATES[name].n_wires])
        params = []
        for _ in range(GATES[name].n_params):
            kind = data.draw(st.sampled_from(["w", "w", "x", "c"]), label="param")
            params.append({"w": W(k), "x": X(0) * 0.7, "c": 0.4}[kind])
            k += 1
        c = c.add(name, wires, *params)
    if c.n_weights == 0:
        c = c.add("RY", 0, W(0))
    rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-2, 2, c.n_inputs) if c.n_inputs else None
    obs = [pauli(f"Z0 + 0.5*X{n - 1}"), pauli(f"Y0 X{n - 1} + 0.2*Y{n // 2}")]
    dtype = data.draw(st.sampled_from([torch.complex128, torch.complex64]), label="dtype")
    route, e, g = _grad(Simulator(dtype=dtype, methods=NUMPY), c, obs, w0, x0, [1.0, -0.7])
    assert route.measure == MEASURE, route
    _, e_ref, g_ref = _grad(Simulator(dtype=dtype, methods=TORCH), c, obs, w0, x0, [1.0, -0.7])
    tol = 1e-10 if dtype == torch.complex128 else 2e-4
    np.testing.assert_allclose(e, e_ref, atol=tol)
    np.testing.assert_allclose(g, g_ref, atol=tol)


def test_real_circuits_run_in_real_arithmetic_and_match_the_dense_reference():
    c = Circuit(4)
    for layer in range(3):
        for q in range(4):
            c = c.add("RY", q, W(4 * layer + q))
        c = c.add("CNOT", (0, 1)).add("CZ", (1, 2)).add("CNOT", (3, 0))
    obs = [pauli("Y0 Y1 + 0.5*X2 - Z3"), pauli("Y1")]  # Y alone is zero on real states
    w0 = np.linspace(-1.3, 1.7, c.n_weights)
    route, e, g = _grad(Simulator(methods=NUMPY), c, obs, w0, None, [1.0, 2.0])
    assert route.measure == MEASURE
    assert route.memory_estimate == 4 * 16 * 8  # float64 states
    mats = [o.to_matrix(4) for o in obs]

    def loss(w: np.ndarray) -> float:
        psi = dense_state(c, w, None)
        return sum(k * np.vdot(psi, m @ psi).real for k, m in zip((1.0, 2.0), mats, strict=True))

    psi = dense_state(c, w0, None)
    np.testing.assert_allclose(e, [np.vdot(psi, m @ psi).real for m in mats], atol=1e-12)
    h = 1e-6
    fd = [
        (loss(w0 + h * np.eye(len(w0))[i]) - loss(w0 - h * np.eye(len(w0))[i])) / (2 * h)
        for i in range(len(w0))
    ]
    np.testing.assert_allclose(g, fd, atol=1e-8)


def _vqe_circuit(n: int) -> Circuit:
    from qml.templates import hardware_efficient

    return hardware_efficient(n, 2)


def test_the_route_takes_one_small_circuit_on_the_cpu_and_says_so():
    c = _vqe_circuit(5)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    route = Simulator(methods=AUTO).explain(c, "Z0 Z1 + X2", w)
    assert (route.measure, route.diff, route.batch) == (MEASURE, "adjoint", 1)
    assert "NumPy" in route.reason
    assert Simulator(methods=AUTO).explain(c, "Z0", w.detach()).diff == "none"
    # not taken: a batch, an input gradient, parameter shift, methods="never", wider than the bound
    batch = w.detach().expand(3, -1).clone().requires_grad_()
    assert Simulator(methods=AUTO).explain(c, "Z0", batch).measure != MEASURE
    enc = Circuit(2).add("RX", 0, X(0)).add("RY", 1, W(0)).add("CNOT", (0, 1))
    x = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    w1 = torch.tensor([0.2], dtype=torch.float64, requires_grad=True)
    assert Simulator(methods=AUTO).explain(enc, "Z1", w1, x).measure == "full state"
    assert (
        Simulator(methods=AUTO).explain(enc, "Z1", w1, x.detach()).measure == MEASURE
    )  # one fixed input row
    assert Simulator(diff="parameter-shift", methods=AUTO).explain(c, "Z0", w).measure == "full state"
    assert Simulator(diff="backprop", methods=AUTO).explain(c, "Z0", w).measure == "full state"
    assert Simulator(methods=TORCH).explain(c, "Z0", w).measure == "full state"
    from qml.sim.tuning import tuning

    wide = _vqe_circuit(tuning("cpu").numpy_state_max_wires + 1)
    ww = torch.zeros(wide.n_weights, dtype=torch.float64, requires_grad=True)
    assert Simulator(methods=AUTO).explain(wide, "Z0", ww).measure == "full state"


def test_second_derivatives_under_auto_and_refused_under_adjoint():
    c = _vqe_circuit(4)
    w0 = torch.linspace(-1.2, 0.8, c.n_weights, dtype=torch.float64)

    def energy(sim: Simulator):
        return lambda v: sim.expval(c, "Z0 Z1 + 0.5*X2 + Y3", v)

    h = torch.autograd.functional.hessian(energy(Simulator(methods=NUMPY)), w0)
    h_ref = torch.autograd.functional.hessian(energy(Simulator(diff="backprop")), w0)
    torch.testing.assert_close(h, h_ref, atol=1e-10, rtol=0)
    with pytest.raises(NotImplementedError, match="not available with diff='adjoint'"):
        torch.autograd.functional.hessian(energy(Simulator(diff="adjoint", methods=NUMPY)), w0)


def test_torch_func_transforms_take_the_torch_path():
    c = _vqe_circuit(3)
    w0 = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    sim = Simulator(methods=NUMPY)
    g = torch.func.grad(lambda v: sim.expval(c, "Z0 + X1", v))(w0)
    w = w0.clone().requires_grad_(True)
    (g_ref,) = torch.autograd.grad(Simulator(methods=TORCH).expval(c, "Z0 + X1", w), w)
    torch.testing.assert_close(g, g_ref)


def test_the_memory_guard_sees_the_route(monkeypatch):
    c = _vqe_circuit(6)
    w = torch.zeros(c.n_weights, dtype=torch.float64, requires_grad=True)
    monkeypatch.setenv("QML_MEMORY_LIMIT", "2K")  # 4 states of 64 amplitudes do not fit
    sim = Simulator(methods=NUMPY)
    assert sim.explain(c, "Z0", w).memory_estimate == 4 * 64 * 16
    with pytest.raises(SimulationMemoryError, match="needs about"):
        sim.expval(c, "Z0", w)
