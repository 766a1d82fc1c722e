"""Conformance of every route of ``Simulator.expval``, forced through ``methods=`` (no cost model touched).

Each route x differentiation method x dtype is checked against an independent dense
reference (``qml.reference.dense_state`` with the observables' matrices; gradients by central
differences of it), for values, first derivatives in weights and inputs, second derivatives
(a Hessian-vector product, against the full state by backprop in complex128, or the error
the route promises) and the memory guard (a run that would not fit is refused, whatever
the route). ``explain`` must name the route the call takes. The one-circuit route (one weight
row, one fixed input row) has a test of its own at the end.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml import Circuit, SimulationMemoryError, Simulator, W, X, pauli
from qml.errors import ConfigError, ConfigTypeError
from qml.reference import dense_state
from qml.sim.routes import Methods, Route

N, B = 6, 5
OBS = [pauli("Z0 Z1 + 0.5*X2 - 0.3*Y5"), pauli("Z3 Z5 + Z2"), pauli("X0 X1 + 0.7*Y3 Y4")]
OFF = {"collapse": "never", "numpy_tail": "never", "split": "never", "numba_rows": "never"}

#: route -> (simulator settings, what explain must say: measure, collapse)
ROUTES: dict[str, tuple[dict, str, bool]] = {
    "full state": ({"methods": OFF}, "full state", False),
    "collapsed tail": ({"methods": {**OFF, "collapse": "always"}}, "full state", True),
    "numpy tail": (
        {"methods": {**OFF, "collapse": "always", "numpy_tail": "always"}},
        "shared tail (NumPy)",
        True,
    ),
    "split": ({"methods": {**OFF, "split": "always"}}, "two-register split", False),
    "numba rows": ({"methods": {**OFF, "numba_rows": "always"}}, "rows (numba)", False),
    "mps": ({"method": "mps", "bond_dim": 64}, "matrix-product state", False),
}
#: the differentiation methods each route serves (others fall back to another route)
DIFFS = {
    "full state": ("backprop", "adjoint", "parameter-shift"),
    "collapsed tail": ("backprop", "adjoint", "parameter-shift"),
    "numpy tail": ("backprop", "adjoint"),
    "split": ("backprop",),
    "numba rows": ("auto", "adjoint"),
    "mps": ("backprop",),
}
#: diff -> what explain reports on each route
REPORTED = {"numpy tail": "adjoint", "numba rows": "adjoint"}
CASES = [(r, d, dt) for r in ROUTES for d in DIFFS[r] for dt in (torch.complex128, torch.complex64)]


def _circuit() -> Circuit:
    """Inputs read first (so the tail can collapse), two HEA layers with CNOT ladders (so it can split)."""
    c = Circuit(N)
    for q in range(N):
        c = c.add("RY", q, X(q))
    k = 0
    for _ in range(2):
        for q in range(N):
            c = c.add("RY", q, W(k)).add("RZ", q, 0.5 * W(k + 1))
            k += 2
        for q in range(N - 1):
            c = c.add("CNOT", (q, q + 1))
    return c


C = _circuit()
RNG = np.random.default_rng(2026)
W0 = RNG.uniform(-2, 2, C.n_weights)
X0 = RNG.uniform(-1, 1, (B, N))
COEF = RNG.normal(size=(B, len(OBS)))  # the loss sum(COEF * E)
V = RNG.normal(size=C.n_weights)  # the direction of the Hessian-vector product
MATS = [o.to_matrix(N) for o in OBS]


def _reference_loss(w: np.ndarray, x: np.ndarray) -> float:
    total = 0.0
    for b in range(B):
        psi = dense_state(C, w, x[b])
        total += sum(COEF[b, k] * np.vdot(psi, m @ psi).real for k, m in enumerate(MATS))
    return total


def _central(f, v: np.ndarray, h: float = 1e-5) -> np.ndarray:
    out = np.zeros(v.shape)
    for i in np.ndindex(v.shape):
        e = np.zeros(v.shape)
        e[i] = h
        out[i] = (f(v + e) - f(v - e)) / (2 * h)
    return out


@pytest.fixture(scope="module")
def reference():
    """Values, weight and input gradients of the dense reference; the HVP of backprop in complex128."""
    values = np.array([[np.vdot(p, m @ p).real for m in MATS] for p in (dense_state(C, W0, x) for x in X0)])
    gw = _central(lambda w: _reference_loss(w, X0), W0)
    gx = _central(lambda x: _reference_loss(W0, x), X0)
    w = torch.tensor(W0, requires_grad=True)
    loss = (
        Simulator(diff="backprop", methods=OFF).expval(C, OBS, w, torch.tensor(X0)) * torch.tensor(COEF)
    ).sum()
    (g,) = torch.autograd.grad(loss, w, create_graph=True)
    (hvp,) = torch.autograd.grad(g @ torch.tensor(V), w)
    return values, gw, gx, hvp.numpy()


def _sim(route: str, diff: str, dtype: torch.dtype) -> Simulator:
    settings, _, _ = ROUTES[route]
    return Simulator(diff=diff, dtype=dtype, **settings)


def _tol(dtype: torch.dtype) -> tuple[float, float]:
    return (1e-9, 1e-7) if dtype == torch.complex128 else (2e-5, 2e-4)


@pytest.mark.parametrize(("route", "diff", "dtype"), CASES)
def test_values_and_gradients(route, diff, dtype, reference):
    values, gw_ref, gx_ref, _ = reference
    sim = _sim(route, diff, dtype)
    w = torch.tensor(W0, requires_grad=True)
    x = torch.tensor(X0, requires_grad=True)
    r = sim.explain(C, OBS, w, x)
    _, measure, collapse = ROUTES[route]
    assert (r.measure, r.collapse) == (measure, collapse), r
    assert r.diff == REPORTED.get(route, diff), r
    e = sim.expval(C, OBS, w, x)
    atol_v, atol_g = _tol(dtype)
    np.testing.assert_allclose(e.detach().double().numpy(), values, atol=atol_v)
    gw, gx = torch.autograd.grad((e * torch.tensor(COEF, dtype=e.dtype)).sum(), (w, x))
    np.testing.assert_allclose(gw.numpy(), gw_ref, atol=atol_g)
    np.testing.assert_allclose(gx.numpy(), gx_ref, atol=atol_g)


@pytest.mark.parametrize(("route", "diff", "dtype"), CASES)
def test_second_derivatives_or_a_clear_refusal(route, diff, dtype, reference):
    *_, hvp_ref = reference
    sim = _sim(route, diff, dtype)
    w = torch.tensor(W0, requires_grad=True)
    e = sim.expval(C, OBS, w, torch.tensor(X0))
    loss = (e * torch.tensor(COEF, dtype=e.dtype)).sum()
    refused = {"mps": "method='mps'"}.get(route, "diff='adjoint'" if diff == "adjoint" else None)
    if route == "numpy tail":
        refused = None  # the NumPy tail recomputes in torch for them
    if refused is not None:
        with pytest.raises(NotImplementedError, match=f"not available with {refused}"):
            torch.autograd.grad(loss, w, create_graph=True)
        return
    (g,) = torch.autograd.grad(loss, w, create_graph=True)
    (hvp,) = torch.autograd.grad(g @ torch.tensor(V, dtype=g.dtype), w)
    np.testing.assert_allclose(hvp.numpy(), hvp_ref, atol=_tol(dtype)[1] * 10)


@pytest.mark.parametrize(("route", "diff", "dtype"), [c for c in CASES if c[0] != "mps"])
def test_the_memory_guard_refuses_on_every_route(route, diff, dtype, monkeypatch):
    monkeypatch.setenv("QML_MEMORY_LIMIT", "4K")  # the angle table fits, the states do not
    sim = _sim(route, diff, dtype)
    w = torch.tensor(W0, requires_grad=True)
    assert sim.explain(C, OBS, w, torch.tensor(X0)).memory_estimate > 0.8 * 4 * 2**10
    with pytest.raises(SimulationMemoryError, match="needs about"):
        sim.expval(C, OBS, w, torch.tensor(X0))


@pytest.mark.parametrize(("route", "diff", "dtype"), [c for c in CASES if c[0] != "mps"])
def test_each_route_is_one_method_module_that_states_its_own_memory_need(route, diff, dtype):
    from qml.sim import dense, dense_tail, numba_rows, numba_state, numpy_state, split
    from qml.sim.simulator import EVALUATORS

    # numba_state serves one circuit without gradient only: tests/test_numba_state.py
    modules = (dense, dense_tail, split, numpy_state, numba_rows, numba_state)
    assert set(EVALUATORS) == {m.EVALUATOR.measure for m in modules}
    sim = _sim(route, diff, dtype)
    w = torch.tensor(W0, requires_grad=True)
    r = sim.explain(C, OBS, w, torch.tensor(X0))
    # the guard checks what the route's method module says it keeps: states of its own width
    assert r.memory_estimate == r.states * r.batch * 2**r.width * dtype.itemsize, r
    assert r.width == N or (route == "split" and r.width <= N), r
    assert r.guard == {"split": "two-register", "numpy tail": "forward"}.get(route, r.diff), r


def test_forcing_a_route_that_cannot_apply_falls_back_and_says_so():
    # one weight row per input row: nothing is shared, so nothing collapses
    sim = Simulator(methods={"collapse": "always", "numba_rows": "never"})
    w = torch.tensor(np.tile(W0, (B, 1)))
    r = sim.explain(C, OBS, w, torch.tensor(X0))
    assert (r.measure, r.collapse) == ("full state", False)
    # parameter shift runs on the full state: the split is not taken for its gradients
    r = Simulator(diff="parameter-shift", methods={"split": "always"}).explain(
        C, OBS, torch.tensor(W0, requires_grad=True), torch.tensor(X0)
    )
    assert r.measure == "full state"
    assert r.diff == "parameter-shift"


def test_auto_lets_the_cost_models_decide_and_the_reason_says_what_was_forced():
    w = torch.tensor(W0, requires_grad=True)
    forced = Simulator(methods={**OFF, "collapse": "always"}).explain(C, OBS, w, torch.tensor(X0))
    assert "forced by methods" in forced.reason
    auto = Simulator().explain(C, OBS, w, torch.tensor(X0))
    assert isinstance(auto, Route)
    assert "forced" not in auto.reason
    assert "fuse=False" in Simulator(fuse=False).explain(C, OBS, w, torch.tensor(X0)).reason


def test_methods_are_validated():
    assert Methods.coerce(None) == Methods.coerce("auto") == Methods()
    assert Simulator(methods={"split": "never"}).methods == Methods(split="never")
    with pytest.raises(ConfigError, match=r"methods split='sometimes': expected one of 'auto', 'always'"):
        Simulator(methods={"split": "sometimes"})
    with pytest.raises(ConfigError, match=r"unknown methods \['dense'\]"):
        Simulator(methods={"dense": "never"})
    with pytest.raises(ConfigError, match=r"pass 'auto' or a mapping"):
        Simulator(methods="fast")
    with pytest.raises(ConfigTypeError, match=r"methods must be 'auto', a Methods or a mapping"):
        Simulator(methods=3)
    with pytest.raises(ConfigError, match=r"collapse='never' rules out"):
        Methods(collapse="never", numpy_tail="always")
    with pytest.raises(ConfigError, match=r"fuse=False rules out the collapsed tail and the split"):
        Simulator(fuse=False, methods={"split": "always"})


@pytest.mark.parametrize(
    ("measure", "methods"), [("one circuit (NumPy)", {"numba_rows": "never"}), ("rows (numba)", "auto")]
)
@pytest.mark.parametrize("diff", ["auto", "adjoint"])
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_the_one_circuit_routes_conform(measure, methods, diff, dtype, monkeypatch):
    """One weight row and one fixed input row: the single-circuit routes (qml.sim.numpy_state, and
    qml.sim.numba_rows, which "auto" prefers with numba installed) against the dense reference
    (values, weight gradient), backprop's HVP or the promised refusal, the memory guard, and explain."""
    x0 = X0[0]
    sim = Simulator(diff=diff, dtype=dtype, methods=methods)
    w = torch.tensor(W0, requires_grad=True)
    r = sim.explain(C, OBS, w, torch.tensor(x0))
    assert (r.measure, r.diff, r.batch, r.collapse) == (measure, "adjoint", 1, False), r
    coef = COEF[0]
    e = sim.expval(C, OBS, w, torch.tensor(x0))
    psi = dense_state(C, W0, x0)
    atol_v, atol_g = _tol(dtype)
    np.testing.assert_allclose(
        e.detach().double().numpy(), [np.vdot(psi, m @ psi).real for m in MATS], atol=atol_v
    )

    def loss(v: np.ndarray) -> float:
        p = dense_state(C, v, x0)
        return sum(k * np.vdot(p, m @ p).real for k, m in zip(coef, MATS, strict=True))

    (g,) = torch.autograd.grad((e * torch.tensor(coef, dtype=e.dtype)).sum(), w)
    np.testing.assert_allclose(g.numpy(), _central(loss, W0), atol=atol_g)
    w = torch.tensor(W0, requires_grad=True)
    total = (sim.expval(C, OBS, w, torch.tensor(x0)) * torch.tensor(coef, dtype=e.dtype)).sum()
    if diff == "adjoint":
        with pytest.raises(NotImplementedError, match="not available with diff='adjoint'"):
            torch.autograd.grad(total, w, create_graph=True)
    else:
        (gg,) = torch.autograd.grad(total, w, create_graph=True)
        (hvp,) = torch.autograd.grad(gg @ torch.tensor(V, dtype=gg.dtype), w)
        ref = torch.tensor(W0, requires_grad=True)
        full = Simulator(diff="backprop", methods=OFF).expval(C, OBS, ref, torch.tensor(x0))
        (gr,) = torch.autograd.grad((full * torch.tensor(coef)).sum(), ref, create_graph=True)
        (hvp_ref,) = torch.autograd.grad(gr @ torch.tensor(V), ref)
        np.testing.assert_allclose(hvp.numpy(), hvp_ref.numpy(), atol=atol_g * 10)
    monkeypatch.setenv("QML_MEMORY_LIMIT", "1K")
    with pytest.raises(SimulationMemoryError, match="needs about"):
        sim.expval(C, OBS, torch.tensor(W0, requires_grad=True), torch.tensor(x0))
