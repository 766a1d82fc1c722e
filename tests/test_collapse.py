"""Shared tails as one matrix: same states, expectation values and gradients as step by step."""

import numpy as np
import pytest
import torch
from conftest import hea, seeded_circuit

from qml import Circuit, Simulator, W, X, pauli
from qml.reference import dense_state
from qml.sim import collapse as tail
from qml.sim.fusion import fuse
from qml.sim.program import compile_circuit

ALWAYS = {"collapse": "always"}  # collapse every shared tail, whatever the cost model says
NEVER = {"collapse": "never"}


def _grads(sim, c, obs, w0, x0, x_grad=False):
    w = torch.tensor(w0, requires_grad=True)
    x = torch.tensor(x0, requires_grad=x_grad)
    e = sim.expval(c, obs, w, x)
    weights = torch.linspace(-1, 1, e.numel(), dtype=e.dtype).reshape(e.shape)
    (e * weights).sum().backward()
    return e.detach(), w.grad, x.grad


def test_input_cut_is_after_the_last_input_reading_op():
    c = hea(3, 2)
    assert tail.input_cut(compile_circuit(c)) == 3
    assert tail.input_cut(compile_circuit(c.add("RY", 1, X(0)))) == 0  # nothing shared after it
    assert tail.input_cut(compile_circuit(Circuit(2).add("RY", 0, W(0)))) == 0  # no inputs at all


def test_barrier_splits_the_fused_program_without_straddling_steps():
    c = hea(4, 2)
    prog = compile_circuit(c)
    plain = fuse(prog)
    assert [s.kind for s in plain.steps] == ["product", "block"]  # encoding + layer 1 in the product
    fp = fuse(prog, barrier=4)
    assert [s.kind for s in fp.steps] == ["product", "block", "block"]
    assert fp.barrier_step == 1
    assert fp.steps[0].perm == -1  # the first ladder comes after the barrier: not folded before it
    ops_before = {i for part in fp.steps[0].parts for i in part}
    assert ops_before == {0, 1, 2, 3}
    assert plain.barrier_step == -1


@pytest.mark.parametrize("n", [2, 4, 5, 7])
@pytest.mark.parametrize("layers", [1, 3])
def test_collapsed_state_matches_dense_reference(n, layers):
    c = hea(n, layers, "RY" if n == 5 else "RX").add("CZ", (0, n - 1)).add("H", n - 1)
    rng = np.random.default_rng(n * 10 + layers)
    w = rng.uniform(-3, 3, c.n_weights)
    x = rng.uniform(-1, 1, (3, n))
    got = Simulator(methods=ALWAYS).state(c, w, x)
    for b in range(3):
        np.testing.assert_allclose(got[b].numpy(), dense_state(c, w, x[b]), atol=1e-12)
    probs = Simulator(methods=ALWAYS).probs(c, w, x)
    np.testing.assert_allclose(probs.numpy(), np.abs(got.numpy()) ** 2, atol=1e-12)


@pytest.mark.parametrize("diff", ["backprop", "adjoint"])
@pytest.mark.parametrize("x_grad", [False, True])
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_collapsed_expvals_and_gradients_match_step_by_step(diff, x_grad, dtype):
    c = hea(4, 2).add("CRX", (1, 2), W(0) * 0.5)
    obs = [pauli("Z0 + Z1 Z2"), pauli("X0 X3 + 0.5*Y1"), pauli("Y2 Z3")]
    rng = np.random.default_rng(1)
    w0, x0 = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (40, 4))
    ref = _grads(Simulator(diff=diff, dtype=dtype, methods=NEVER), c, obs, w0, x0, x_grad)
    sim = Simulator(diff=diff, dtype=dtype, methods={"collapse": "always", "numpy_tail": "never"})
    assert sim.explain(c, obs, torch.tensor(w0, requires_grad=True), torch.tensor(x0)).collapse
    got = _grads(sim, c, obs, w0, x0, x_grad)
    tol = 1e-10 if dtype == torch.complex128 else 2e-4
    for a, b in zip(got, ref, strict=True):
        if b is None:
            assert a is None
        else:
            torch.testing.assert_close(a, b, rtol=0, atol=tol)


@pytest.mark.parametrize("seed", range(6))
def test_random_circuits_with_a_shared_tail(seed):
    """Random encodings (products of weights and inputs too) followed by a random shared tail."""
    head = seeded_circuit(seed, 3, 6, n_inputs=2).add("RX", 0, X(1))
    body = seeded_circuit(seed + 100, 3, 8)
    c = Circuit(3, head.ops + body.ops, max(head.n_weights, body.n_weights), 2)
    assert tail.input_cut(compile_circuit(c)) == len(head.ops)
    rng = np.random.default_rng(seed)
    w0, x0 = rng.uniform(-2, 2, c.n_weights), rng.uniform(-1, 1, (8, 2))
    for x_grad in (False, True):
        got = _grads(Simulator(diff="backprop", methods=ALWAYS), c, "Z0 X1 + Y2", w0, x0, x_grad)
        ref = _grads(Simulator(diff="backprop", fuse=False), c, "Z0 X1 + Y2", w0, x0, x_grad)
        for a, b in zip(got, ref, strict=True):
            if b is None:
                assert a is None
            else:
                torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_real_circuit_collapses_in_real_arithmetic():
    c = hea(3, 2, "RY")
    c = Circuit(3, tuple(op for op in c.ops if op.name != "RZ"), c.n_weights, 3)
    rng = np.random.default_rng(4)
    w, x = rng.uniform(-3, 3, c.n_weights), rng.uniform(-1, 1, (5, 3))
    psi = Simulator(methods=ALWAYS).state(c, w, x)
    for b in range(5):
        np.testing.assert_allclose(psi[b].numpy(), dense_state(c, w, x[b]), atol=1e-12)


def test_cost_model_collapses_small_registers_with_large_batches_only():
    def split(n: int, layers: int):
        prog = compile_circuit(hea(n, layers))
        return fuse(prog, barrier=tail.input_cut(prog))

    assert tail.pays(split(4, 2), 256)
    assert not tail.pays(split(4, 2), 16)  # building U^T costs as much as the batch
    assert tail.pays(split(8, 6), 1024)
    assert not tail.pays(split(8, 6), 256)
    assert not tail.pays(split(8, 2), 1024)  # the 256-wide matmul costs more than two layers
    assert not tail.pays(split(12, 6), 1024)


def test_simulator_collapses_only_shared_weights_with_batched_inputs():
    c = hea(4, 2)
    sim = Simulator()
    w, x = np.zeros(c.n_weights), np.zeros((64, 4))
    assert sim._prepare(c, w, x).collapse is not None
    assert sim._prepare(c, np.zeros((64, c.n_weights)), x).collapse is None  # per-row weights
    assert sim._prepare(c, w, x[0]).collapse is None  # one row
    assert Simulator(fuse=False)._prepare(c, w, x).collapse is None


def test_input_only_encodings_build_per_row_data_without_a_graph():
    c = hea(3, 1)
    w = torch.zeros(c.n_weights, dtype=torch.float64, requires_grad=True)
    x = torch.zeros(64, 3, dtype=torch.float64)
    sim = Simulator()
    run = sim._prepare(c, w, x)
    assert run.const_rows
    assert compile_circuit(c).inputs_only()
    from qml.sim.blockdata import fused_data

    product = fused_data(run.fused, run.angles, torch.complex128, True, True)[0]
    assert product is not None
    assert product.requires_grad  # the rotations of layer 1 are in the product state
    prefix = fused_data(run.collapse, run.angles, torch.complex128, True, True)[0]
    assert prefix is not None
    assert not prefix.requires_grad  # only the encoding: no graph
    mixed = c.add("RY", 0, X(0) * W(0))
    assert not compile_circuit(mixed).inputs_only()
    assert not sim._prepare(mixed, w, x).const_rows
    assert not sim._prepare(c, w, x.clone().requires_grad_(True)).const_rows
