"""Every row through the whole circuit in compiled loops (qml.sim.numba_rows), against the torch full
state: random batched circuits of every gate with a Fourier table (weights and inputs, both
precisions, gradients of both), the kernel's units, the thread split, the route's conditions,
second derivatives, torch.func and a missing numba."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qml import Circuit, Simulator, W, X, pauli
from qml.errors import ConfigError
from qml.gates import GATES
from qml.sim import dense_tail, numba_rows, tuning
from qml.sim.program import compile_circuit

pytest.importorskip("numba")

ROWS = {"numba_rows": "always"}
TORCH = {"numba_rows": "never", "numpy_state": "never", "numpy_tail": "never"}
MEASURE = "rows (numba)"
POOL = sorted(
    g for g, s in GATES.items() if s.n_wires <= 3 and 0 < s.n_params <= 3 and dense_tail._fourier(g)
)
POOL += ["H", "S", "T", "X", "CNOT", "CZ", "SWAP", "Toffoli"]


def _run(sim: Simulator, c: Circuit, obs: list, w0: np.ndarray, x0: np.ndarray | None, coef: np.ndarray):
    w = torch.tensor(w0, requires_grad=True)
    x = None if x0 is None else torch.tensor(x0, requires_grad=True)
    route = sim.explain(c, obs, w, x)
    e = sim.expval(c, obs, w, x)
    wanted = (w,) if x is None else (w, x)
    grads = torch.autograd.grad((e * torch.tensor(coef, dtype=e.dtype)).sum(), wanted)
    return route, e.detach().double().numpy(), [g.double().numpy() for g in grads]


def _on_two_threads(monkeypatch: pytest.MonkeyPatch, c: Circuit, obs: list, w0, x0, coef):
    """:func:`_run` of the rows with the batch split over two threads whatever its size."""
    cpu = dataclasses.replace(tuning.TUNING["cpu"], numba_rows_thread_amplitudes=1)
    monkeypatch.setitem(tuning.TUNING, "cpu", cpu)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        return _run(Simulator(methods=ROWS), c, obs, w0, x0, coef)
    finally:
        torch.set_num_threads(threads)


def _lane_rows(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    cpu = dataclasses.replace(tuning.TUNING["cpu"], numba_rows_lane_rows=rows)
    monkeypatch.setitem(tuning.TUNING, "cpu", cpu)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_batched_circuits_match_the_torch_full_state(data):
    lanes = data.draw(st.booleans(), label="lanes")
    with pytest.MonkeyPatch.context() as mp:
        _lane_rows(mp, 1 if lanes else 10**9)
        _random_circuit_against_torch(data, lanes)


def _random_circuit_against_torch(data: st.DataObject, lanes: bool) -> None:
    n = data.draw(st.integers(2, 6), label="n")
    c = Circuit(n)
    k = 0
    for _ in range(data.draw(st.integers(2, 18), label="gates")):
        name = data.draw(st.sampled_from([g for g in POOL if GATES[g].n_wires <= n]), label="gate")
        wires = tuple(data.draw(st.permutations(range(n)), label="wires")[: GATES[name].n_wires])
        params = []
        for _ in range(GATES[name].n_params):
            kind = data.draw(st.sampled_from(["w", "w", "x", "c"]), label="param")
            params.append({"w": W(k), "x": X(k % 2) * 0.7 + W(k), "c": 0.4}[kind])
            k += 1
        c = c.add(name, wires, *params)
    if c.n_weights == 0:
        c = c.add("RY", 0, W(0))
    rows = data.draw(st.sampled_from([1, 3, 8, 9, 17]), label="rows")
    rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
    w0 = rng.uniform(-3, 3, c.n_weights)
    x0 = rng.uniform(-2, 2, (rows, c.n_inputs)) if c.n_inputs else None
    obs = [pauli(f"Z0 + 0.5*X{n - 1}"), pauli(f"Y0 X{n - 1} + 0.2*Y{n // 2}")]
    coef = rng.normal(size=(rows if x0 is not None else 1, 2))
    dtype = data.draw(st.sampled_from([torch.complex128, torch.complex64]), label="dtype")
    route, e, g = _run(Simulator(dtype=dtype, methods=ROWS), c, obs, w0, x0, coef)
    assert route.measure == MEASURE, route
    assert ("side by side" in route.reason) == lanes
    _, e_ref, g_ref = _run(Simulator(dtype=dtype, methods=TORCH), c, obs, w0, x0, coef)
    tol = 1e-10 if dtype == torch.complex128 else 2e-4
    np.testing.assert_allclose(e, e_ref, atol=tol)
    for a, b in zip(g, g_ref, strict=True):
        np.testing.assert_allclose(a, b, atol=tol * 10)


def _reupload(n: int, layers: int) -> Circuit:
    c = Circuit(n)
    k = 0
    for _ in range(layers):
        for q in range(n):
            c = c.add("RX", q, X(q)).add("RY", q, W(k)).add("RZ", q, W(k + 1))
            k += 2
        for q in range(n - 1):
            c = c.add("CNOT", (q, q + 1))
        for q in range(0, n - 1, 2):
            c = c.add("CZ", (q, q + 1))
    return c


def test_chains_and_runs_of_permutations_and_signs_are_one_unit_each():
    kern = numba_rows.kernel_of(compile_circuit(_reupload(4, 2)))
    assert kern is not None
    kinds = kern.kind.tolist()
    # per layer: one chain per wire (RX RY RZ as one 2x2), the CNOT ladder one gather, the CZ one multiply
    c, g, p, s = numba_rows.CHAIN, numba_rows.GATE, numba_rows.PERM, numba_rows.SIGN
    assert kinds == [c, c, c, c, p, s] * 2
    assert g not in kinds
    assert kern.length[:4].tolist() == [3, 3, 3, 3]
    # a gate without a Fourier table, or wider than 3 wires, leaves the method out
    wide = Circuit(4).add("RY", 0, W(0)).add("Unitary", (0, 1, 2, 3), matrix=np.eye(16))
    assert numba_rows.build(compile_circuit(wide)) is None
    assert Simulator(methods=ROWS).explain(wide, "Z0", torch.zeros(1, requires_grad=True)).measure != MEASURE


def test_rotations_written_directly_match_their_fourier_tables():
    kern = numba_rows.kernel_of(compile_circuit(_reupload(3, 2)))
    assert kern is not None
    assert set(kern.rot.tolist()) == {1, 2, 3}
    fourier = dataclasses.replace(kern, rot=np.zeros_like(kern.rot))
    rng = np.random.default_rng(3)
    ea = np.exp(0.5j * rng.uniform(-4, 4, (5, kern.n_slots)))
    idx, diag = np.arange(8)[None, :], np.linspace(-1, 1, 8).astype(complex)[None, None, :]
    k = numba_rows._kernels()
    out = []
    for kk in (kern, fourier):
        psi, e, grad = np.empty((5, 8), complex), np.empty((5, 1)), np.empty((5, kern.n_slots))
        k.forward_rows(0, 5, 3, ea, kk.arrays(), idx, diag, psi, e)
        k.backward_rows(0, 5, 3, ea, kk.arrays(), idx, diag, psi, np.ones((5, 1)), grad)
        out.append((psi, e, grad))
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)


def test_lane_groups_match_rows_one_by_one(monkeypatch):
    """Lanes of 8 rows against the row-by-row loops: full groups, a short last group, every unit
    kind (2-wire gates with angles, constant 2- and 3-wire matrices, runs of permutations and
    signs), several observables, and the thread split over groups."""
    rng = np.random.default_rng(11)
    u, _ = np.linalg.qr(rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8)))
    c = _reupload(5, 2).add("CRX", (4, 0), W(0) * 0.3 + X(1)).add("Toffoli", (0, 2, 4)).add("CY", (1, 3))
    c = c.add("U3", 2, W(1), X(2), 0.2).add("Unitary", (1, 2, 3), matrix=u).add("RXX", (0, 4), X(3))
    w0, x0 = rng.uniform(-2, 2, c.n_weights), rng.uniform(-1, 1, (21, 5))
    coef = rng.normal(size=(21, 2))
    obs = [pauli("Z0 Z1 + 0.3*X2 - Y4"), pauli("X0 Y3 + 0.5*Z2")]
    _lane_rows(monkeypatch, 10**9)
    rows = _run(Simulator(methods=ROWS), c, obs, w0, x0, coef)
    _lane_rows(monkeypatch, 1)
    lanes = _run(Simulator(methods=ROWS), c, obs, w0, x0, coef)
    assert "side by side, 8 at a time" in lanes[0].reason
    assert "side by side" not in rows[0].reason
    np.testing.assert_allclose(lanes[1], rows[1], atol=1e-13)
    for a, b in zip(lanes[2], rows[2], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    split = _on_two_threads(monkeypatch, c, obs, w0, x0, coef)
    np.testing.assert_array_equal(split[1], lanes[1])  # groups are independent: bit for bit
    for a, b in zip(split[2], lanes[2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_lanes_need_enough_rows():
    t = tuning.tuning("cpu")
    assert numba_rows.use_lanes(t.numba_rows_lane_rows)
    assert not numba_rows.use_lanes(t.numba_rows_lane_rows - 1)
    assert numba_rows._kernels().W == numba_rows.LANES
    c = _reupload(3, 1)
    w = torch.zeros(c.n_weights, requires_grad=True, dtype=torch.float64)
    big = torch.zeros(t.numba_rows_lane_rows, c.n_inputs, dtype=torch.float64)
    assert "side by side" in Simulator(methods=ROWS).explain(c, "Z0", w, big).reason
    assert "side by side" not in Simulator(methods=ROWS).explain(c, "Z0", w, big[:-1]).reason


def test_shared_weight_slots_and_repeated_inputs_are_exponentiated_once():
    c = _reupload(3, 3).add("RY", 0, X(1) * 0.5 + W(0)).add("RZ", 1, X(0) * X(2))
    prog = compile_circuit(c)
    slots, unique, inverse = prog.input_slots()
    # RX(x_q) opens every wire's chain (slots 0, 3, 6 in each layer), then the two mixed angles
    assert slots.tolist() == [s for s in range(27) if s % 3 == 0] + [27, 28]
    assert unique.tolist() == [0, 3, 6, 27, 28]
    assert inverse.tolist() == [0, 1, 2] * 3 + [3, 4]
    sim = Simulator()
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    run = sim._prepare(c, w, torch.rand(7, 3, dtype=torch.float64))
    a = run.angles.detach().numpy()
    np.testing.assert_array_equal(a[:, slots], a[:, unique[inverse]])  # shared slots hold one angle
    np.testing.assert_allclose(numba_rows._half_phases(a, run), dense_tail._expi(0.5 * a), atol=1e-15)


def test_the_thread_split_gives_the_same_rows(monkeypatch):
    c = _reupload(4, 3)
    rng = np.random.default_rng(7)
    w0, x0 = rng.uniform(-2, 2, c.n_weights), rng.uniform(-1, 1, (40, 4))
    coef = rng.normal(size=(40, 1))
    obs = [pauli("Z0 Z1 + 0.3*X2 - Y3")]
    base = _run(Simulator(methods=ROWS), c, obs, w0, x0, coef)
    split = _on_two_threads(monkeypatch, c, obs, w0, x0, coef)
    np.testing.assert_array_equal(base[1], split[1])  # rows are independent: bit for bit
    for a, b in zip(base[2], split[2], strict=True):
        np.testing.assert_array_equal(a, b)


def test_auto_takes_it_where_it_pays_and_says_so():
    w = torch.zeros(_reupload(4, 2).n_weights, requires_grad=True, dtype=torch.float64)
    x = torch.zeros(64, 4, dtype=torch.float64)
    r = Simulator().explain(_reupload(4, 2), "Z0", w, x)
    assert (r.measure, r.diff) == (MEASURE, "adjoint")
    assert "compiled loops (numba)" in r.reason
    assert "forced" not in r.reason
    # an encode-once batch collapses its shared tail instead, above numba_rows_small_batch rows
    enc = Circuit(4)
    for q in range(4):
        enc = enc.add("RX", q, X(q))
    for q in range(4):
        enc = enc.add("RY", q, W(q))
    enc = enc.add("CNOT", (0, 1))
    w4 = w[:4].detach().requires_grad_()
    big = torch.zeros(tuning.tuning("cpu").numba_rows_small_batch + 1, 4, dtype=torch.float64)
    assert Simulator().explain(enc, "Z0", w4, big).measure != MEASURE
    assert Simulator().explain(enc, "Z0", w4, x[:16]).measure == MEASURE
    # a batched route forced by methods wins over the automatic rows
    assert Simulator(methods={"collapse": "always"}).explain(enc, "Z0", w4, x[:16]).measure != MEASURE
    # wider than the bounds: a batch above numba_rows_batch_max_wires, one row above numba_rows_max_wires
    t = tuning.tuning("cpu")
    wide = _reupload(t.numba_rows_batch_max_wires + 1, 1)
    ww = torch.zeros(wide.n_weights, requires_grad=True, dtype=torch.float64)
    xw = torch.zeros(8, wide.n_inputs, dtype=torch.float64)
    assert Simulator().explain(wide, "Z0", ww, xw).measure != MEASURE
    assert Simulator().explain(wide, "Z0", ww, xw[0]).measure == MEASURE
    assert Simulator(methods=ROWS).explain(wide, "Z0", ww, xw).measure == MEASURE
    # not for backprop or parameter shift, or methods="never"
    assert Simulator(diff="backprop").explain(_reupload(4, 2), "Z0", w, x).measure != MEASURE
    assert Simulator(diff="parameter-shift").explain(_reupload(4, 2), "Z0", w, x).measure != MEASURE
    never = Simulator(methods={"numba_rows": "never"})
    assert never.explain(_reupload(4, 2), "Z0", w, x).measure != MEASURE
    # no gradient asked: values only
    assert Simulator().explain(_reupload(4, 2), "Z0", w.detach(), x).diff == "none"


def test_real_circuits_give_real_values_and_count_complex_states():
    real = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1)).add("RY", 1, W(1))
    w = torch.tensor([0.3, -1.1], dtype=torch.float64, requires_grad=True)
    sim = Simulator(methods=ROWS)
    r = sim.explain(real, "Z1 + X0 X1", w)
    assert (r.measure, r.states, r.memory_estimate) == (MEASURE, 4, 4 * 4 * 8)  # complex128 = 2 float64
    e = sim.expval(real, "Z1 + X0 X1", w)
    assert e.dtype == torch.float64
    (g,) = torch.autograd.grad(e, w)
    w2 = w.detach().requires_grad_(True)
    e2 = Simulator(methods=TORCH).expval(real, "Z1 + X0 X1", w2)
    (g2,) = torch.autograd.grad(e2, w2)
    torch.testing.assert_close((e.detach(), g), (e2.detach(), g2), atol=1e-12, rtol=0)
    # complex64: the rows still run in complex128, counted as 4 complex64 states
    r64 = Simulator(dtype=torch.complex64, methods=ROWS).explain(
        _reupload(3, 1), "Z0", torch.zeros(6), torch.zeros(3)
    )
    assert (r64.measure, r64.states) == (MEASURE, 4)


def test_second_derivatives_under_auto_and_refused_under_adjoint():
    c = _reupload(3, 2)
    w0 = torch.linspace(-1.2, 0.8, c.n_weights, dtype=torch.float64)
    x = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(2, 3)

    def energy(sim: Simulator):
        return lambda v: sim.expval(c, "Z0 Z1 + 0.5*X2", v, x).sum()

    h = torch.autograd.functional.hessian(energy(Simulator(methods=ROWS)), w0)
    h_ref = torch.autograd.functional.hessian(energy(Simulator(diff="backprop")), w0)
    torch.testing.assert_close(h, h_ref, atol=1e-10, rtol=0)
    with pytest.raises(NotImplementedError, match="not available with diff='adjoint'"):
        torch.autograd.functional.hessian(energy(Simulator(diff="adjoint", methods=ROWS)), w0)


def test_torch_func_transforms_take_the_torch_path():
    c = _reupload(3, 1)
    w0 = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    x = torch.ones(3, dtype=torch.float64)
    sim = Simulator(methods=ROWS)
    g = torch.func.grad(lambda v: sim.expval(c, "Z0 + X1", v, x))(w0)
    w = w0.clone().requires_grad_(True)
    (g_ref,) = torch.autograd.grad(Simulator(methods=TORCH).expval(c, "Z0 + X1", w, x), w)
    torch.testing.assert_close(g, g_ref)


def test_forcing_it_without_numba_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(numba_rows, "available", lambda: False)
    c = _reupload(2, 1)
    w = torch.zeros(c.n_weights, requires_grad=True, dtype=torch.float64)
    with pytest.raises(ConfigError, match=r"needs numba.*pip install 'qml-circuits\[fast\]'"):
        Simulator(methods=ROWS).explain(c, "Z0", w, torch.zeros(2))
    assert Simulator().explain(c, "Z0", w, torch.zeros(2)).measure != MEASURE


_BITS_SCRIPT = """
import torch
from qml import Circuit, Simulator, W, X
n = 9
c = Circuit(n)
for layer in range(2):
    for q in range(n):
        c = c.add("RX", q, X(q)).add("RY", q, W(2 * q)).add("RZ", q, W(2 * q + 1))
    for q in range(n - 1):
        c = c.add("CNOT", (q, q + 1))
c = c.add("CRX", (0, 5), W(3)).add("CZ", (2, 7)).add("U3", 4, W(1), X(2), 0.3).add("RXX", (1, 8), X(0))
h = " + ".join([f"-1*Z{i} Z{i + 1}" for i in range(n - 1)] + [f"-0.9*X{i}" for i in range(n)])
sim = Simulator(methods={"numba_rows": "always"})
for rows in (1, 12):
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    x = torch.linspace(-2, 2, rows * n, dtype=torch.float64).reshape(rows, n)
    e = sim.expval(c, h, w, x).sum()
    e.backward()
    print(float(e).hex(), *(float(g).hex() for g in w.grad))
"""


@pytest.mark.slow
def test_fresh_and_cached_compiles_give_the_same_bits(tmp_path):
    """The loops compiled in this process and the same loops read from numba's cache in another
    give bit-identical values and gradients (one row, and lanes): a pass compiled as a function
    of its own (not inlined by numba) once changed the last bits between the two."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _BITS_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        for _ in range(2)
    ]
    assert runs[0].stdout.strip()
    assert runs[0].stdout == runs[1].stdout
