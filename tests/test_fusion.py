"""Gate fusion: fewer steps, same states and gradients as the unfused program."""

import numpy as np
import pytest
import torch
from conftest import hea, seeded_circuit

from qml import Circuit, Simulator, W, X, pauli
from qml.reference import dense_state
from qml.sim.blockdata import fused_data
from qml.sim.fusion import fstep_data, fuse, fused_program, unfused
from qml.sim.program import compile_circuit
from qml.sim.tuning import tuning


def test_layered_circuit_fuses_into_blocks_and_one_permutation_per_layer():
    c = hea(8, 3)
    fp = fuse(compile_circuit(c), max_block=4)
    kinds = [s.kind for s in fp.steps]
    # the encoding and the first rotations act on |0...0>: one product state (which absorbs
    # the first CNOT ladder); then per layer two 4-wire blocks and one CNOT-ladder gather
    assert kinds == ["product"] + ["block", "block", "perm"] * 2
    assert fp.steps[0].perm >= 0
    assert len(compile_circuit(c).steps) == 8 + 3 * (16 + 7)


def test_permutation_index_matches_cnot_ladder():
    c = Circuit(4).add("CNOT", (0, 1)).add("SWAP", (1, 3)).add("Toffoli", (0, 3, 2)).add("CNOT", (3, 0))
    prep = Circuit(4)
    for q in range(4):
        prep = prep.add("RY", q, W(q)).add("RZ", q, W(4 + q))
    full = Circuit(4).add("CZ", (0, 3)) + prep + c
    w = np.random.default_rng(0).normal(size=8)
    # blocks of two wires: the permutation is a gather of its own
    assert [s.kind for s in fuse(compile_circuit(full), max_block=2).steps][-1] == "perm"
    np.testing.assert_allclose(
        Simulator(max_block=2).state(full, w).numpy(), dense_state(full, w), atol=1e-12
    )
    # a block over all four wires absorbs it (rows of its matrix permuted)
    last = fuse(compile_circuit(full)).steps[-1]
    assert (last.kind, len(last.wires)) == ("block", 4)
    assert last.perm >= 0
    np.testing.assert_allclose(Simulator().state(full, w).numpy(), dense_state(full, w), atol=1e-12)
    # so does the product state
    assert [s.kind for s in fuse(compile_circuit(prep + c)).steps] == ["product"]
    np.testing.assert_allclose(Simulator().state(prep + c, w).numpy(), dense_state(prep + c, w), atol=1e-12)


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
    prog = compile_circuit(hea(3, 1))
    assert [s.prim for s in unfused(prog).steps] == list(range(len(prog.steps)))


def test_single_wire_diagonal_runs_stay_diagonal():
    c = Circuit(2).add("H", 0).add("H", 1).add("CZ", (0, 1))
    c = c.add("RZ", 0, W(0)).add("T", 0).add("PhaseShift", 0, W(1)).add("CZ", (0, 1))
    fp = fuse(compile_circuit(c))
    assert fp.steps[2].kind == "block"
    assert fp.steps[2].diag_only
    w = torch.tensor([0.3, -0.8], dtype=torch.float64, requires_grad=True)
    e = Simulator(diff="adjoint").expval(c, "X0", w)
    e.backward()
    torch.testing.assert_close(Simulator().state(c, w.detach()), torch.tensor(dense_state(c, [0.3, -0.8])))


@pytest.mark.parametrize("real", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_vectorised_block_data_equals_per_step_construction(seed, real):
    gates = ["RY", "H", "X", "Z", "CNOT", "CZ", "SWAP", "CRY", "Toffoli"] if real else None
    c = seeded_circuit(seed, n_wires=5, n_ops=40, n_inputs=2, gates=gates)
    assert compile_circuit(c).is_real == real
    rng = np.random.default_rng(seed)
    prog = compile_circuit(c)
    fp = fuse(prog, max_block=3)
    dtype = torch.float64 if real else torch.complex128
    for wb, xb in ((1, 3), (3, 3), (1, 1)):
        w = torch.tensor(rng.uniform(-3, 3, size=(wb, c.n_weights)))
        x = torch.tensor(rng.uniform(-1, 1, size=(xb, c.n_inputs)))
        angles = prog.angles(w, x)
        shared = wb == 1
        fast = fused_data(fp, angles, dtype, shared)
        fixed, gd = prog.fixed_data(dtype, angles.device), prog.group_data(angles, dtype, shared)
        for j in range(len(fp.steps)):
            ref = fstep_data(fp, j, fixed, gd)
            if ref is None:
                assert fast[j] is None
            else:
                torch.testing.assert_close(*torch.broadcast_tensors(fast[j], ref), rtol=0, atol=1e-13)


def test_product_state_step_covers_circuits_without_entanglers():
    c = Circuit(3).add("RY", 0, W(0)).add("H", 2).add("RZ", 2, X(0))
    fp = fuse(compile_circuit(c))
    assert [s.kind for s in fp.steps] == ["product"]
    w, x = torch.tensor([0.4]), torch.tensor([[0.1], [0.9]])
    got = Simulator().state(c, w, x)
    for b in range(2):
        ref = dense_state(c, [0.4], [float(x[b, 0])])  # type: ignore[index]
        np.testing.assert_allclose(got[b].numpy(), ref, atol=1e-14)


def test_circuit_starting_with_an_entangler_has_no_product_step():
    c = Circuit(2).add("CNOT", (0, 1)).add("RY", 0, W(0)).add("CNOT", (0, 1))
    assert fuse(compile_circuit(c)).steps[0].kind != "product"
    np.testing.assert_allclose(Simulator().state(c, [0.7]).numpy(), dense_state(c, [0.7]), atol=1e-14)


@pytest.mark.parametrize("n", [3, 6, 9])
@pytest.mark.parametrize("batched", [False, True])
def test_block_layouts_every_position(n, batched):
    """Blocks on the first, middle and last wires, with shared and per-row matrices."""
    c = Circuit(n)
    for q in range(n):
        c = c.add("H", q)
    c = c.add("CZ", (0, n - 1))
    k = 0
    for q in range(n):
        c = c.add("RY", q, W(k) if not batched or q % 2 else X(q)).add("RZ", q, W(k + 1))
        k += 2
    c = c.add("CZ", (0, 1))
    rng = np.random.default_rng(n)
    w = rng.uniform(-3, 3, c.n_weights)
    x = rng.uniform(-3, 3, (4, c.n_inputs)) if c.n_inputs else None
    for mb in (2, 3, 4):
        fp = fuse(compile_circuit(c), max_block=mb)
        assert "block" in [s.kind for s in fp.steps]
        got = Simulator(max_block=mb).state(c, w, x)
        rows = x if x is not None else [None]
        for b, xr in enumerate(rows):
            ref = dense_state(c, w, xr)
            np.testing.assert_allclose(got[b].numpy() if got.dim() == 2 else got.numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("n", [2, 4, 6])
def test_encoded_product_state_and_gradients_match_unfused(n):
    """Angle encoding + rotations before the first entangler: the product step in vector mode."""
    c = hea(n, 2).add("RY", 0, X(0) * W(0))  # a per-row gate after entanglers too (matrix mode)
    rng = np.random.default_rng(n)
    w0 = rng.uniform(-3, 3, c.n_weights)
    x = torch.tensor(rng.uniform(-1, 1, (3, c.n_inputs)))
    for circuit in (hea(n, 2), c):
        ref = Simulator(fuse=False).state(circuit, torch.tensor(w0), x)
        torch.testing.assert_close(Simulator().state(circuit, torch.tensor(w0), x), ref, rtol=0, atol=1e-12)
        w1, w2 = torch.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
        Simulator(diff="backprop").expval(circuit, "Z0 + X1", w1, x).sum().backward()
        Simulator(fuse=False, diff="backprop").expval(circuit, "Z0 + X1", w2, x).sum().backward()
        torch.testing.assert_close(w1.grad, w2.grad, rtol=0, atol=1e-10)


@pytest.mark.parametrize("diff", ["backprop", "adjoint", "parameter-shift"])
def test_final_permutation_is_measured_through_permuted_diagonals(diff):
    """A CNOT ladder at the end is not applied to the state: the Z observables are permuted instead."""
    c = hea(6, 2)
    fp = fuse(compile_circuit(c))
    assert fp.steps[-1].kind == "perm"
    obs = [pauli("Z0 + 0.5*Z2 Z5"), pauli("Z3"), pauli("Z1 Z4 - Z0")]
    rng = np.random.default_rng(7)
    w0, x = rng.uniform(-3, 3, c.n_weights), torch.tensor(rng.uniform(-1, 1, (5, 6)))
    w1, w2 = torch.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    e1 = Simulator(diff=diff).expval(c, obs, w1, x)
    e2 = Simulator(fuse=False, diff="backprop").expval(c, obs, w2, x)
    torch.testing.assert_close(e1, e2, rtol=0, atol=1e-12)
    e1.sum().backward()
    e2.sum().backward()
    torch.testing.assert_close(w1.grad, w2.grad, rtol=0, atol=1e-10)
    with torch.no_grad():
        torch.testing.assert_close(Simulator().expval(c, obs, w0, x), e2.detach(), rtol=0, atol=1e-12)
    # not diagonal: the permutation is applied to the state as before
    torch.testing.assert_close(
        Simulator().expval(c, "X0 Y3", w0, x),
        Simulator(fuse=False).expval(c, "X0 Y3", w0, x),
        rtol=0,
        atol=1e-12,
    )


def test_permuted_plan_refuses_observables_that_are_not_diagonal():
    from qml.sim.observables import ObservablePlan

    with pytest.raises(ValueError, match="diagonal"):
        ObservablePlan([pauli("X0")], 2).after_permutation(np.array([0, 2, 1, 3]))


def test_permuted_observable_plans_are_cached_within_a_bound():
    c = hea(6, 2)
    fp = fuse(compile_circuit(c))
    assert fp.steps[-1].kind == "perm"
    sim, w, x = Simulator(), np.zeros(c.n_weights), np.zeros((3, 6))
    for k in range(40):
        sim.expval(c, f"{1 + k}*Z0 Z{1 + k % 5}", w, x)
    fp = fused_program(compile_circuit(c), 4)  # the cached program the simulator ran
    plans = fp.cache.peek(("simulator", "measure_after"))
    assert 0 < len(plans) <= 16


@pytest.mark.parametrize("dtype", [torch.complex128, torch.float64])
def test_product_state_backward_matches_autograd(dtype):
    from qml.sim import blockdata

    def plain(v):  # the broadcast products, differentiated by autograd
        out = v[:, 0]
        for q in range(1, v.shape[1]):
            out = (out[:, :, None] * v[:, q, None, :]).reshape(v.shape[0], -1)
        return out

    gen = torch.Generator().manual_seed(3)
    v0 = torch.randn(300, 8, 2, generator=gen, dtype=torch.float64).to(dtype)  # >= kron_min entries
    assert v0.shape[0] * 2**8 >= tuning("cpu").kron_min
    weights = torch.randn(2**8, generator=gen, dtype=torch.float64)

    def loss(fn, v):
        psi = fn(v)
        return ((psi.real**2 + psi.imag**2) if psi.is_complex() else psi**2) @ weights

    results = []
    for fn in (blockdata._kron_vectors, plain):
        v = v0.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(fn, v).sum(), v, create_graph=True)
        (h,) = torch.autograd.grad((g.abs() ** 2).sum(), v)  # second derivatives too
        results.append((fn(v0), g.detach(), h))
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)
    func = torch.func.grad(lambda v: loss(blockdata._kron_vectors, v).sum())(v0)
    torch.testing.assert_close(func, results[1][1], atol=1e-12, rtol=1e-12)


def test_blocks_of_gates_that_read_inputs_stop_at_max_block_inputs():
    """Their matrices are built per batch row: narrow blocks (tuning.max_block_inputs) there, wide
    blocks for the shared weights; the values do not depend on the widths."""
    from qml.sim.tuning import tuning

    c = Circuit(6)
    for layer in range(2):
        for q in range(6):
            c = c.add("RX", q, X(q)).add("RY", q, W(6 * layer + q))
        for q in range(5):
            c = c.add("CNOT", (q, q + 1))
    limit = tuning("cpu").max_block_inputs
    prog = compile_circuit(c)
    for st in fuse(prog).steps:
        if st.kind == "block":
            reads = any(prog.steps[i].op.reads_inputs for part in st.parts for i in part)
            assert len(st.wires) <= (limit if reads else 4)
    assert max(len(st.wires) for st in fuse(prog, max_block_inputs=4).steps if st.kind == "block") == 4
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    x = torch.rand(5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ref = Simulator(fuse=False).state(c, w, x)
    torch.testing.assert_close(Simulator().state(c, w, x), ref)


def test_sign_gates_of_a_brick_become_one_multiply_after_its_permutation():
    """CZ and CNOT on disjoint pairs: one gather and one +-1 multiply; a CNOT that shares a wire
    with a waiting CZ closes the runs first (the order of non-commuting gates is kept)."""
    from qml.sim.fusion import SIGN_GATES

    assert "CZ" in SIGN_GATES
    assert not {"S", "T", "CNOT", "RZZ", "Z"} & SIGN_GATES  # phases, permutations, angles, one wire
    c = Circuit(8)
    for q in range(8):
        c = c.add("RY", q, W(q))
    for q, g in zip((0, 2, 4, 6), ("CZ", "CNOT", "CZ", "CNOT"), strict=True):
        c = c.add(g, (q, q + 1))
    c = c.add("CZ", (1, 2)).add("CNOT", (2, 3))  # the CNOT shares wire 2 with the waiting CZ
    for q in range(8):
        c = c.add("RX", q, W(8 + q))
    c = c.add("CZ", (0, 1)).add("CZ", (3, 4))
    fp = fuse(compile_circuit(c))
    # the product state absorbs the CNOTs (2,3), (6,7); one sign step for CZ (0,1), (4,5), (1,2);
    # the CNOT (2,3) that shares wire 2 with CZ (1,2) comes after it; then the last two CZs
    assert [st.kind for st in fp.steps] == ["product", "sign", "prim", "block", "block", "sign"]
    w = torch.linspace(-1, 1.2, c.n_weights, dtype=torch.float64)
    torch.testing.assert_close(Simulator().state(c, w), Simulator(fuse=False).state(c, w))
    obs = "Z0 Z3 + 0.4*X5 + Y2"
    grads = {}
    for name, sim in {
        "backprop": Simulator(diff="backprop", methods={"numpy_state": "never"}),
        "adjoint": Simulator(diff="adjoint", methods={"numpy_state": "never"}),
        "numpy": Simulator(methods={"numpy_state": "always"}),
        "unfused": Simulator(diff="backprop", fuse=False),
    }.items():
        wt = w.clone().requires_grad_(True)
        (grads[name],) = torch.autograd.grad(sim.expval(c, obs, wt), wt)
    for name in ("adjoint", "numpy", "unfused"):
        torch.testing.assert_close(grads[name], grads["backprop"], atol=1e-12, rtol=0)


def test_sign_runs_in_the_shared_tail_match_torch():
    c = Circuit(4)
    for q in range(4):
        c = c.add("RX", q, X(q))
    for layer in range(2):
        for q in range(4):
            c = c.add("RY", q, W(4 * layer + q))
        c = c.add("CZ", (0, 1)).add("CZ", (2, 3)).add("CNOT", (1, 2))
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    x = torch.rand(16, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out = {}
    for name, methods in {
        "numpy tail": {"collapse": "always", "numpy_tail": "always"},
        "torch tail": {"collapse": "always", "numpy_tail": "never"},
        "full": {"collapse": "never", "numpy_tail": "never", "split": "never"},
    }.items():
        wt = w.clone().requires_grad_(True)
        e = Simulator(methods=methods).expval(c, "Z1 Z2 + X0", wt, x).sum()
        (g,) = torch.autograd.grad(e, wt)
        out[name] = (e.detach(), g)
    for name in ("numpy tail", "torch tail"):
        torch.testing.assert_close(out[name][0], out["full"][0])
        torch.testing.assert_close(out[name][1], out["full"][1])
