"""Gate fusion: fewer steps, same states and gradients as the unfused program."""

import numpy as np
import pytest
import torch
from conftest import seeded_circuit

from qml import Circuit, Simulator, W, X, pauli
from qml.fusion import fuse, unfused
from qml.program import compile_circuit
from qml.reference import dense_state


def _hea(n: int, layers: int) -> Circuit:
    c = Circuit(n)
    for q in range(n):
        c = c.add("RX", q, X(q))
    k = 0
    for _ in range(layers):
        for q in range(n):
            c = c.add("RY", q, W(k)).add("RZ", q, W(k + 1))
            k += 2
        for q in range(n - 1):
            c = c.add("CNOT", (q, q + 1))
    return c


def test_layered_circuit_fuses_into_blocks_and_one_permutation_per_layer():
    c = _hea(8, 3)
    fp = fuse(compile_circuit(c), max_block=4)
    kinds = [s.kind for s in fp.steps]
    # per layer: two 4-wire blocks (the encoding joins the first layer) and one CNOT-ladder gather
    assert kinds == ["block", "block", "perm"] * 3
    assert len(compile_circuit(c).steps) == 8 + 3 * (16 + 7)


def test_permutation_index_matches_cnot_ladder():
    c = Circuit(4).add("CNOT", (0, 1)).add("SWAP", (1, 3)).add("Toffoli", (0, 3, 2)).add("CNOT", (3, 0))
    prep = Circuit(4)
    for q in range(4):
        prep = prep.add("RY", q, W(q)).add("RZ", q, W(4 + q))
    full = prep + c
    assert [s.kind for s in fuse(compile_circuit(full)).steps][-1] == "perm"
    w = np.random.default_rng(0).normal(size=8)
    np.testing.assert_allclose(Simulator().state(full, w).numpy(), dense_state(full, w), atol=1e-12)


@pytest.mark.parametrize("max_block", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("seed", range(4))
def test_fused_equals_unfused_state_and_gradients(max_block, seed):
    c = seeded_circuit(seed, n_wires=5, n_ops=40, n_inputs=2)
    rng = np.random.default_rng(seed)
    w0 = rng.uniform(-3, 3, size=(3, c.n_weights))
    x = torch.tensor(rng.uniform(-1, 1, size=(3, c.n_inputs)))
    obs = [pauli("Z0 Z4 + 0.3*X2"), pauli("Y1 Y3 + X0")]
    ref_sim = Simulator(fuse=False)
    ref = ref_sim.state(c, torch.tensor(w0), x)
    for diff in ("backprop", "adjoint"):
        sim = Simulator(max_block=max_block, diff=diff)
        torch.testing.assert_close(sim.state(c, torch.tensor(w0), x), ref, rtol=0, atol=1e-12)
        w1 = torch.tensor(w0, requires_grad=True)
        w2 = torch.tensor(w0, requires_grad=True)
        sim.expval(c, obs, w1, x).sum().backward()
        Simulator(fuse=False, diff="backprop").expval(c, obs, w2, x).sum().backward()
        torch.testing.assert_close(w1.grad, w2.grad, rtol=0, atol=1e-9)


def test_unfused_program_is_step_for_step():
    prog = compile_circuit(_hea(3, 1))
    assert [s.prim for s in unfused(prog).steps] == list(range(len(prog.steps)))


def test_single_wire_diagonal_runs_stay_diagonal():
    c = Circuit(2).add("RZ", 0, W(0)).add("T", 0).add("PhaseShift", 0, W(1)).add("CZ", (0, 1))
    fp = fuse(compile_circuit(c))
    assert fp.steps[0].kind == "block"
    assert fp.steps[0].diag_only
    w = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    e = Simulator(diff="adjoint").expval(c, "X0", w)
    e.backward()
    torch.testing.assert_close(Simulator().state(c, w.detach()), torch.tensor(dense_state(c, [0.3, -0.8])))
