"""The native simulator: states vs the dense reference, batching, all three gradient methods."""

import logging

import numpy as np
import pytest
import torch
from conftest import hea, seeded_circuit

from qml import Circuit, Simulator, W, X, expval, pauli, probs, sample, state
from qml.reference import dense_state
from qml.sim.program import compile_circuit

OBS = [pauli("Z0 Z1 + 0.5*X0 - 0.3*Y1 Z2"), pauli("X1 X2 + Y0 Y2"), pauli("Z2 + 0.2")]


def _weights(c, batch=None, seed=0, grad=False):
    rng = np.random.default_rng(seed)
    shape = (c.n_weights,) if batch is None else (batch, c.n_weights)
    return torch.tensor(rng.uniform(-np.pi, np.pi, size=shape), requires_grad=grad)


def _inputs(c, batch=None, seed=1):
    rng = np.random.default_rng(seed)
    shape = (c.n_inputs,) if batch is None else (batch, c.n_inputs)
    return torch.tensor(rng.uniform(-1, 1, size=shape))


@pytest.mark.parametrize("seed", range(8))
def test_state_matches_dense_reference(seed):
    c = seeded_circuit(seed, n_wires=1 + seed % 5, n_ops=25, n_inputs=2)
    w, x = _weights(c), _inputs(c)
    got = state(c, w, x).numpy()
    np.testing.assert_allclose(got, dense_state(c, w.numpy(), x.numpy()), atol=1e-12)


def test_unitary_gate_and_constant_ops():
    u = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)) + 1j)[0]
    c = Circuit(3).add("H", 2).add("Unitary", (2, 0), matrix=u).add("RX", 1, 0.4).add("RY", 0, W(0))
    w = torch.tensor([0.3], dtype=torch.float64)
    np.testing.assert_allclose(state(c, w).numpy(), dense_state(c, [0.3]), atol=1e-12)


def test_batched_equals_stacked_single_runs():
    c = seeded_circuit(3, n_wires=4, n_ops=30, n_inputs=3)
    w, x = _weights(c, batch=5), _inputs(c, batch=5)
    batched = state(c, w, x)
    stacked = torch.stack([state(c, w[i], x[i]) for i in range(5)])
    assert batched.shape == (5, 16)
    torch.testing.assert_close(batched, stacked, rtol=0, atol=1e-13)
    # one weight vector broadcast over a batch of inputs, and vice versa
    torch.testing.assert_close(state(c, w[0], x), torch.stack([state(c, w[0], xi) for xi in x]))
    torch.testing.assert_close(state(c, w, x[0]), torch.stack([state(c, wi, x[0]) for wi in w]))
    e = expval(c, [*OBS[:1], pauli("Z3")], w, x)
    assert e.shape == (5, 2)
    torch.testing.assert_close(e[2], expval(c, [*OBS[:1], pauli("Z3")], w[2], x[2]))


def test_output_shapes():
    c = Circuit(2).add("RY", 0, W(0)).add("RX", 1, X(0))
    assert expval(c, "Z0", [0.1], [0.2]).shape == ()
    assert expval(c, ["Z0", "Z1"], [0.1], [0.2]).shape == (2,)
    assert expval(c, "Z0", [[0.1], [0.2], [0.3]], [0.2]).shape == (3,)
    assert expval(c, ["Z0", "Z1"], [0.1], [[0.2], [0.3]]).shape == (2, 2)
    assert probs(c, [0.1], [0.2]).shape == (4,)
    assert state(c, [[0.1]], [0.2]).shape == (1, 4)


@pytest.mark.parametrize("seed", range(6))
def test_backprop_adjoint_and_parameter_shift_agree(seed):
    c = seeded_circuit(100 + seed, n_wires=3, n_ops=20, n_inputs=2)
    x = _inputs(c, batch=2)
    grads, values = [], []
    for diff in ("backprop", "adjoint", "parameter-shift"):
        w = _weights(c, batch=2, seed=seed, grad=True)
        e = Simulator(diff=diff).expval(c, OBS, w, x)
        (e * torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64)).sum().backward()
        grads.append(w.grad.clone())
        values.append(e.detach())
    for g, v in zip(grads[1:], values[1:]):
        torch.testing.assert_close(v, values[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(g, grads[0], rtol=0, atol=1e-8)


@pytest.mark.parametrize("diff", ["backprop", "adjoint", "parameter-shift"])
def test_gradient_matches_finite_differences_including_inputs(diff):
    c = seeded_circuit(7, n_wires=3, n_ops=15, n_inputs=2)
    w = _weights(c, grad=True)
    x = _inputs(c).requires_grad_(True)
    e = Simulator(diff=diff).expval(c, OBS[0], w, x)
    gw, gx = torch.autograd.grad(e, (w, x))
    f = lambda wv, xv: Simulator().expval(c, OBS[0], wv, xv).item()  # noqa: E731
    eps = 1e-6
    for i in range(c.n_weights):
        d = torch.zeros_like(w)
        d[i] = eps
        fd = (f(w.detach() + d, x.detach()) - f(w.detach() - d, x.detach())) / (2 * eps)
        assert abs(fd - gw[i].item()) < 1e-7
    for j in range(c.n_inputs):
        d = torch.zeros_like(x)
        d[j] = eps
        fd = (f(w.detach(), x.detach() + d) - f(w.detach(), x.detach() - d)) / (2 * eps)
        assert abs(fd - gx[j].item()) < 1e-7


def test_shared_weight_unbatched_weights_batched_inputs_adjoint():
    c = Circuit(2).add("RY", 0, W(0)).add("RX", 1, X(0) * W(0)).add("CNOT", (0, 1))
    x = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
    gs = []
    for diff in ("backprop", "adjoint", "parameter-shift"):
        w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
        Simulator(diff=diff).expval(c, "Z1 + X0", w, x).sum().backward()
        gs.append(w.grad)
    torch.testing.assert_close(gs[1], gs[0])
    torch.testing.assert_close(gs[2], gs[0])


def test_real_arithmetic_path_matches_complex_path():
    c = seeded_circuit(5, n_wires=4, n_ops=30, gates=["RY", "CNOT", "CZ", "H", "X", "Z", "SWAP", "CRY"])
    sim_real, sim_cplx = Simulator(), Simulator(real_arithmetic=False)
    assert sim_real._state_dtype(compile_circuit(c)) == torch.float64
    w = _weights(c, batch=3)
    torch.testing.assert_close(sim_real.state(c, w), sim_cplx.state(c, w))
    obs = [pauli("Y0 Y1 + X2 Z3 + 0.4*X0 Y1")]
    torch.testing.assert_close(sim_real.expval(c, obs, w), sim_cplx.expval(c, obs, w))
    for diff in ("backprop", "adjoint"):
        w1, w2 = _weights(c, grad=True), _weights(c, grad=True)
        Simulator(diff=diff).expval(c, obs, w1).sum().backward()
        Simulator(diff=diff, real_arithmetic=False).expval(c, obs, w2).sum().backward()
        torch.testing.assert_close(w1.grad, w2.grad)


def test_complex64():
    c = seeded_circuit(9, n_wires=4, n_ops=25)
    w = _weights(c)
    s64 = Simulator(dtype=torch.complex64).state(c, w)
    assert s64.dtype == torch.complex64
    np.testing.assert_allclose(s64.numpy(), dense_state(c, w.numpy()), atol=2e-6)
    wg = _weights(c, grad=True)
    Simulator(dtype=torch.complex64, diff="adjoint").expval(c, OBS[0], wg).backward()
    wr = _weights(c, grad=True)
    Simulator(diff="backprop").expval(c, OBS[0], wr).backward()
    torch.testing.assert_close(wg.grad, wr.grad, atol=1e-4, rtol=0)


def test_probs_marginals_follow_wire_order():
    c = Circuit(3).add("X", 0).add("H", 2)
    p = probs(c, wires=[0])
    torch.testing.assert_close(p, torch.tensor([0.0, 1.0], dtype=torch.float64))
    p = probs(c, wires=[2, 0])  # index = 2*b2 + b0
    torch.testing.assert_close(p, torch.tensor([0.0, 0.5, 0.0, 0.5], dtype=torch.float64))
    with pytest.raises(ValueError, match=r"distinct wires in 0\.\.2"):
        probs(c, wires=[0, 0])


def test_sampling_is_seeded_and_unbiased():
    c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    w = torch.tensor([2 * np.arccos(np.sqrt(0.3))])
    a = sample(c, w, shots=20000, seed=11)
    b = sample(c, w, shots=20000, seed=11)
    assert a.shape == (20000, 2)
    assert a.dtype == torch.uint8
    assert torch.equal(a, b)
    assert not torch.equal(a, sample(c, w, shots=20000, seed=12))
    assert torch.equal(a[:, 0], a[:, 1])  # Bell-like correlation
    p1 = a[:, 0].double().mean().item()
    assert abs(p1 - 0.7) < 4 * np.sqrt(0.21 / 20000)
    batch = sample(c, torch.stack([w, w + 1]), shots=10, seed=0, wires=[1])
    assert batch.shape == (2, 10, 1)
    with pytest.raises(ValueError, match="shots must be an integer >= 1"):
        sample(c, w, shots=0)


def test_bad_inputs_give_clear_errors():
    c = Circuit(2).add("RY", 0, W(0)).add("RX", 1, X(0)).add("RZ", 1, W(1))
    with pytest.raises(
        ValueError, match=r"needs 2 weights: pass weights= an array or tensor of shape \(2,\)"
    ):
        state(c, None, [0.1])
    with pytest.raises(ValueError, match=r"weights must have shape \(2,\) or \(batch, 2\).*got \(3,\)"):
        state(c, [0.1, 0.2, 0.3], [0.1])
    with pytest.raises(ValueError, match=r"flatten template weights"):
        state(c, torch.zeros(1, 1, 2), [0.1])
    with pytest.raises(ValueError, match="weights batch 3 and inputs batch 2 differ"):
        state(c, torch.zeros(3, 2), torch.zeros(2, 1))
    with pytest.raises(TypeError, match="must be real"):
        state(c, torch.zeros(2, dtype=torch.complex128), [0.1])
    with pytest.raises(ValueError, match=r"dtype must be torch\.complex64 or torch\.complex128"):
        Simulator(dtype=torch.float64)
    with pytest.raises(ValueError, match="diff must be one of"):
        Simulator(diff="finite")
    with pytest.raises(TypeError, match="expected a qml Circuit"):
        state("not a circuit")
    with pytest.raises(TypeError, match="an observable must be"):
        expval(c, 3.0, [0.1, 0.2], [0.1])


@pytest.mark.slow
def test_adjoint_gradient_20_qubits_5_layers():
    n, layers = 20, 5
    c = hea(n, layers, encode=None)
    H = sum((pauli(f"-1*Z{i} Z{(i + 1) % n}") for i in range(n)), pauli("0")) - sum(
        (pauli(f"X{i}") for i in range(n)), pauli("0")
    )
    w = torch.tensor(np.random.default_rng(0).uniform(0, 0.3, c.n_weights), requires_grad=True)
    e = Simulator(diff="adjoint", dtype=torch.complex64).expval(c, H, w)
    e.backward()
    assert w.grad.shape == (200,)
    assert torch.isfinite(w.grad).all()
    # spot-check one component against a parameter-shift pair (forward passes only)
    i = 37
    with torch.no_grad():
        sim = Simulator(dtype=torch.complex64)
        d = torch.zeros_like(w)
        d[i] = np.pi / 2
        ps = 0.5 * (sim.expval(c, H, w + d) - sim.expval(c, H, w - d))
    assert abs(ps.item() - w.grad[i].item()) < 1e-3


@pytest.mark.gpu
def test_cuda_matches_cpu():
    c = seeded_circuit(4, n_wires=5, n_ops=40, n_inputs=2)
    w, x = _weights(c, batch=4, grad=True), _inputs(c, batch=4)
    for diff in ("backprop", "adjoint"):
        wc = w.detach().cuda().requires_grad_(True)
        e_gpu = Simulator(device="cuda", diff=diff).expval(c, OBS, wc, x.cuda())
        e_gpu.sum().backward()
        w.grad = None
        e_cpu = Simulator(diff=diff).expval(c, OBS, w, x)
        e_cpu.sum().backward()
        torch.testing.assert_close(e_gpu.cpu(), e_cpu.detach())
        torch.testing.assert_close(wc.grad.cpu(), w.grad)


@pytest.mark.parametrize("alternate", [False, True])
def test_plain_angle_maps_in_any_slot_order(alternate):
    """Angles that are single W(k)/X(k) refs: a few slices (one cat) or, interleaved, a gather."""
    c = Circuit(3)
    for k in range(12):
        ref = (X(k % 4) if k % 2 else W(k // 2)) if alternate else (W(k) if k < 8 else X(k - 8))
        c = c.add(("RY", "RZ", "RX")[k % 3], k % 3, ref).add("CNOT", (k % 3, (k + 1) % 3))
    rng = np.random.default_rng(1)
    w, x = rng.uniform(-2, 2, c.n_weights), rng.uniform(-2, 2, (2, c.n_inputs))
    got = Simulator().state(c, w, x)
    for b in range(2):
        np.testing.assert_allclose(got[b].numpy(), dense_state(c, w, x[b]), atol=1e-12)


@pytest.mark.parametrize("shots", [1.5, "10", True, 0])
def test_sample_refuses_bad_shot_counts(shots):
    with pytest.raises(ValueError, match="shots must be an integer >= 1"):
        Simulator().sample(Circuit(1).add("H", 0), shots=shots, seed=0)


def test_sample_refuses_shot_counts_beyond_memory():
    from qml.sim.memory import SimulationMemoryError

    with pytest.raises(SimulationMemoryError, match="sample in chunks"):
        Simulator().sample(Circuit(1).add("H", 0), shots=10**13, seed=0)


def test_unseeded_sampling_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    a = torch.rand(3)
    torch.manual_seed(5)
    Simulator().sample(Circuit(1).add("H", 0), shots=4)
    assert torch.equal(torch.rand(3), a)


def test_an_empty_batch_is_refused():
    c = Circuit(1).add("RX", 0, W(0))
    with pytest.raises(ValueError, match="batch of 0 rows"):
        Simulator().expval(c, "Z0", torch.zeros(0, 1))


def test_second_derivatives_are_refused_with_adjoint():
    c = Circuit(1).add("RX", 0, W(0))
    w = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"not available with diff='adjoint'.*'parameter-shift'"):
        torch.autograd.functional.hessian(lambda x: Simulator(diff="adjoint").expval(c, "Z0", x), w)
    (g,) = torch.autograd.grad(Simulator(diff="adjoint").expval(c, "Z0", w), w)  # first order still works
    assert float(g) == pytest.approx(-np.sin(0.3), abs=1e-12)


@pytest.mark.parametrize("batched", [False, True])
def test_parameter_shift_hessians_equal_backprop(batched):
    from qml.templates import hardware_efficient

    c = hardware_efficient(3, 2).add("CRY", (0, 2), W(0))  # a four-term rule too
    w = torch.linspace(-1.1, 0.9, c.n_weights, dtype=torch.float64)
    x = torch.tensor([[0.2], [-0.7]], dtype=torch.float64) if batched else None
    if batched:
        c = c.add("RX", 1, X(0) * W(1))

    def energy(diff):
        return lambda v: Simulator(diff=diff).expval(c, "Z0 Z1 + 0.5*X2", v, x).sum()

    h_ps = torch.autograd.functional.hessian(energy("parameter-shift"), w)
    h_bp = torch.autograd.functional.hessian(energy("backprop"), w)
    torch.testing.assert_close(h_ps, h_bp, atol=1e-12, rtol=0)
    v = w.clone().requires_grad_(True)  # a third derivative: shift three times
    (g,) = torch.autograd.grad(energy("parameter-shift")(v), v, create_graph=True)
    (h0,) = torch.autograd.grad(g[0], v, create_graph=True)
    (t_ps,) = torch.autograd.grad(h0[1], v)
    v = w.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy("backprop")(v), v, create_graph=True)
    (h0,) = torch.autograd.grad(g[0], v, create_graph=True)
    (t_bp,) = torch.autograd.grad(h0[1], v)
    torch.testing.assert_close(t_ps, t_bp, atol=1e-12, rtol=0)


def test_torch_func_raises_for_custom_backward_passes():
    c = Circuit(1).add("RX", 0, W(0))
    w = torch.tensor([0.3], dtype=torch.float64)
    for diff in ("adjoint", "parameter-shift"):
        with pytest.raises(RuntimeError, match=r"setup_context"):
            torch.func.grad(lambda v, d=diff: Simulator(diff=d).expval(c, "Z0", v))(w)


def test_the_parameter_shift_backward_is_memory_checked(monkeypatch):
    from qml.sim.memory import SimulationMemoryError

    c = Circuit(16)
    for k in range(40):
        c = c.add("RX", k % 16, W(k))
    w = torch.full((40,), 0.1, dtype=torch.float64, requires_grad=True)
    monkeypatch.setenv("QML_MEMORY_LIMIT", "40M")
    e = Simulator(diff="parameter-shift").expval(c, "Z0", w)  # the forward fits
    with pytest.raises(SimulationMemoryError, match="parameter-shift backward simulation of 16 qubits"):
        e.backward()


def _routes_logged(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("expval route: ")]


@pytest.mark.parametrize("diff", ["auto", "backprop", "adjoint", "parameter-shift"])
def test_explain_names_the_route_expval_takes(diff, caplog):
    from qml.templates import hardware_efficient

    c = hardware_efficient(5, 2)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    # the single-circuit routes: test_numpy_state.py, test_numba_rows.py
    sim = Simulator(diff=diff, methods={"numpy_state": "never", "numba_rows": "never"})
    route = sim.explain(c, "Z0 Z1 + X2", w)
    assert route.method == "statevector"
    assert route.measure == "full state"
    assert route.diff == ("backprop" if diff == "auto" else diff)
    assert (route.width, route.batch) == (5, 1)
    assert route.memory_estimate == route.states * 2**5 * 16  # complex128
    assert diff in route.reason
    with caplog.at_level(logging.DEBUG, logger="qml.sim.simulator"):
        sim.expval(c, "Z0 Z1 + X2", w).backward()
    assert _routes_logged(caplog) == [f"expval route: {route}"]
    assert sim.explain(c, "Z0 Z1 + X2", w.detach()).diff == "none"
    with torch.no_grad():
        assert sim.explain(c, "Z0 Z1 + X2", w).diff == "none"


def test_explain_covers_the_shared_tail_and_the_mps_method(caplog):
    c = Circuit(3)
    for q in range(3):
        c = c.add("RY", q, X(q))
    for q in range(3):
        c = c.add("RY", q, W(q)).add("CNOT", (q, (q + 1) % 3))
    x = torch.rand(256, 3, dtype=torch.float64)  # above numba_rows_small_batch: the batched routes
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    sim = Simulator()
    route = sim.explain(c, "Z0", w, x)
    assert route.measure == "shared tail (NumPy)"
    assert route.batch == 256
    with caplog.at_level(logging.DEBUG, logger="qml.sim.simulator"):
        sim.expval(c, "Z0", w, x)
    assert _routes_logged(caplog) == [f"expval route: {route}"]
    mps = Simulator(method="mps", bond_dim=8).explain(c, "Z0", w, x)
    assert (mps.method, mps.measure, mps.diff, mps.batch) == ("mps", "matrix-product state", "backprop", 256)
    assert "bond_dim=8" in mps.reason
