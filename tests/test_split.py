"""The two-register split: same expectation values and gradients as the dense path."""

import dataclasses
import logging

import numpy as np
import pytest
import torch
from conftest import count_calls, hea
from hypothesis import given, settings
from hypothesis import strategies as st

from qml import Circuit, Simulator, W, X, pauli
from qml.paulis import PauliSum
from qml.reference import dense_state
from qml.sim import split
from qml.sim.tuning import TUNING

DENSE = Simulator(diff="backprop", methods={"split": "never"})


def _split_expval(sp, obs, w, x, dtype=torch.complex128):
    return split.expval(sp, obs, w, x, dtype, shared=w.shape[0] == 1)


def _grads(y, *xs):
    """Gradients of ``y.sum()``, zeros where nothing depends on an input (a constant circuit)."""
    if not y.requires_grad:
        return [torch.zeros_like(x) for x in xs]
    gs = torch.autograd.grad(y.sum(), xs, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for g, x in zip(gs, xs, strict=True)]


def _check(c, obs, w0, x0, cut=None, dtype=torch.complex128, tol=1e-12, join=None):
    """Split (at ``cut``) against the dense simulator: values, weight and input gradients."""
    diagonal = all(o.is_diagonal for o in obs)
    sp = split.plan(c, cut=cut, diagonal=diagonal)
    assert sp is not None
    if join is not None:
        sp = dataclasses.replace(sp, join=join)
    real = torch.float32 if dtype == torch.complex64 else torch.float64
    w = torch.as_tensor(np.atleast_2d(w0), dtype=real)
    x = torch.as_tensor(np.atleast_2d(x0), dtype=real)
    sim = Simulator(diff="backprop", methods={"split": "never"}, dtype=dtype)
    w1, x1 = w.clone().requires_grad_(True), x.clone().requires_grad_(True)
    got = _split_expval(sp, obs, w1, x1, sim._state_dtype(sp.prog))  # real states for real circuits
    w2, x2 = w.clone().requires_grad_(True), x.clone().requires_grad_(True)
    want = sim.expval(c, obs, w2 if w2.shape[0] > 1 else w2[0], x2 if x2.shape[0] > 1 else x2[0])
    want = want.reshape(got.shape)
    torch.testing.assert_close(got, want, atol=tol, rtol=tol)
    seed = torch.arange(got.numel(), dtype=got.dtype).reshape(got.shape) + 1
    for a, b in zip(_grads(got * seed, w1, x1), _grads(want * seed, w2, x2), strict=True):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)
    return sp


def test_plan_of_a_ladder():
    c = hea(8, 2)
    sp = split.plan(c, cut=4)
    assert sp.rank == 4
    assert sp.perm_dest is None
    assert [x.op_index for x in sp.crossings] == [i for i, op in enumerate(c.ops) if op.wires == (3, 4)]
    front, back = sp.segments
    assert [s.n_wires for s in front] == [4, 5, 6]
    assert [s.n_wires for s in back] == [4, 5, 6]
    # diagonal observables: the final ladder is left to the measurement, one crossing less,
    # and measured through Z strings on the registers (no joined state)
    sd = split.plan(c, cut=4, diagonal=True)
    assert sd.rank == 2
    assert sd.perm_dest is not None
    assert not sd.join
    assert sd.width == 2 * 1 + 4
    assert split.plan(hea(8, 3), cut=4, diagonal=True).join  # rank 4: the joined state is cheaper


def test_plan_picks_the_middle_and_refuses_what_it_cannot_split():
    assert split.plan(hea(8, 2)).cut == 4
    assert split.plan(Circuit(3).add("SWAP", (0, 1)).add("SWAP", (1, 2))) is None
    assert split.plan(Circuit(2).add("RXX", (0, 1), W(0))) is None
    assert split.plan(Circuit(3).add("Toffoli", (0, 1, 2)), cut=1) is None
    with pytest.raises(ValueError, match=r"cut must be in 1\.\.2 for 3 wires, got 3"):
        split.plan(Circuit(3).add("H", 0), cut=3)


def test_doubles_only_across_the_cut():
    c = Circuit(4).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (2, 3)).add("CZ", (1, 2))
    sp = split.plan(c, cut=2)
    assert sp.rank == 2
    assert sp.crossings[0].kind == "diag"


@pytest.mark.parametrize("join", [True, False])
@pytest.mark.parametrize("batch_w", [False, True])
def test_hea_z_sum_matches_dense(batch_w, join):
    c = hea(8, 2)
    rng = np.random.default_rng(1)
    w = rng.uniform(-np.pi, np.pi, (5, c.n_weights) if batch_w else c.n_weights)
    x = rng.uniform(0, np.pi, (5, 8))
    obs = [PauliSum(tuple((1.0, f"Z{i}") for i in range(8))), pauli("Z0 Z7 - 0.5*Z3 Z4 + 0.25 + 2*Z5")]
    sp = _check(c, obs, w, x, join=join)
    assert sp.perm_dest is not None


@pytest.mark.parametrize("reupload", [False, True])
def test_registers_collapse_into_one_map_for_large_batches(monkeypatch, caplog, reupload):
    """Shared weights, inputs only in the product state: each register is one map of its
    product state (built on 16 basis states, not 64 rows); a register that re-uploads an
    input later (the front one here) keeps its rows."""
    c = hea(8, 2)
    if reupload:
        c = c.add("RY", 2, X(1))
    rng = np.random.default_rng(11)
    w, x = rng.uniform(-3, 3, c.n_weights), rng.uniform(0, 3, (64, 8))
    caplog.set_level(logging.DEBUG, logger="qml.sim.split")

    def taken():
        out = [
            r.getMessage().endswith("one map") for r in caplog.records if "split register" in r.getMessage()
        ]
        caplog.clear()
        return out

    for obs in ([PauliSum(tuple((1.0, f"Z{i}") for i in range(8)))], [pauli("Z0 Z7 + 0.5*X3 X4 - Y2 Z5")]):
        _check(c, obs, w, x)
    assert taken() == ([False, True] * 2 if reupload else [True] * 4)
    # 64 rows < 5 x 16 basis states: rows kept
    monkeypatch.setitem(TUNING, "cpu", dataclasses.replace(TUNING["cpu"], split_collapse_rows=5))
    _check(c, [pauli("Z0 Z7")], w, x)
    assert taken() == [False, False]


def test_z_terms_through_trailing_gates():
    ladder = Circuit(4).add("CNOT", (0, 1)).add("CNOT", (1, 2)).add("CNOT", (2, 3)).ops
    # Z1 Z2 -> (Z0 Z1)(Z0 Z1 Z2) = Z2
    assert split.z_terms(pauli("Z0 + Z3 + 2*Z1 Z2"), ladder) == [(1, 0b1), (1, 0b1111), (2, 0b100)]
    swap_then_cnot = Circuit(3).add("SWAP", (0, 2)).add("CNOT", (2, 1)).ops
    # after: Z1 -> Z2 Z1 (CNOT) -> Z0 Z1 (SWAP of wires 0 and 2)
    assert split.z_terms(pauli("Z1"), swap_then_cnot) == [(1, 0b011)]
    with pytest.raises(ValueError, match="Toffoli does not map Z strings to Z strings"):
        split.z_terms(pauli("Z2"), Circuit(3).add("Toffoli", (0, 1, 2)).ops)


def test_diagonal_gram_through_swaps_and_a_toffoli():
    """Trailing SWAPs are measured through Z strings; a trailing Toffoli forces the joined state."""
    base = hea(8, 2).add("SWAP", (0, 7)).add("SWAP", (3, 5))
    obs = [pauli("Z0 + Z3 Z4 - 0.5*Z7 + Z1 Z6")]
    rng = np.random.default_rng(7)
    w, x = rng.uniform(-3, 3, base.n_weights), rng.uniform(0, 3, (4, 8))
    sp = _check(base, obs, w, x, cut=4)
    assert sp.perm_dest is not None
    assert not sp.join
    toff = base.add("Toffoli", (1, 6, 2))
    sp = _check(toff, obs, w, x, cut=4)
    assert sp.perm_dest is not None
    assert sp.join


def _real_ladders(n, layers=2):
    """``layers`` times RY on every wire and a CNOT ladder: a real circuit (real states)."""
    c = Circuit(n, n_weights=n * layers)
    for layer in range(layers):
        for q in range(n):
            c = c.add("RY", q, W(n * layer + q))
        for q in range(n - 1):
            c = c.add("CNOT", (q, q + 1))
    return c


def test_diagonal_gram_on_a_real_circuit():
    """Real states (RY and CNOT only), complex64 and float coefficients through the Z-string Gram."""
    c = _real_ladders(8)
    obs = [pauli("Z0 Z7 + 0.5*Z2 - Z4 Z5 + 3")]
    for dtype, tol in ((torch.complex128, 1e-12), (torch.complex64, 1e-5)):
        sp = _check(c, obs, np.linspace(-2, 2, 16), np.zeros((1, 0)), cut=4, join=False, dtype=dtype, tol=tol)
        assert sp.rank == 2


@pytest.mark.parametrize("join", [True, False])
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_mixed_paulis_both_measurements(join, dtype):
    c = hea(6, 2)
    rng = np.random.default_rng(2)
    obs = [pauli("Z0 Z5 + 0.5*X2 Y3 - 0.3*Y0 X4 + 0.7*X1"), pauli("Z2 Z3 + 0.2*Y5 + 0.1")]
    tol = 1e-5 if dtype == torch.complex64 else 1e-12
    _check(
        c,
        obs,
        rng.uniform(-3, 3, c.n_weights),
        rng.uniform(0, 3, (4, 6)),
        cut=3,
        dtype=dtype,
        tol=tol,
        join=join,
    )


@pytest.mark.parametrize(
    ("gate", "wires", "params"),
    [
        ("CNOT", (4, 1), ()),
        ("CY", (1, 3), ()),
        ("CY", (4, 0), ()),
        ("CRX", (0, 3), (W(0),)),
        ("CRY", (5, 2), (X(1) * W(0),)),
        ("CZ", (1, 4), ()),
        ("CRZ", (4, 1), (W(0),)),
        ("RZZ", (2, 3), (0.5 * X(0) + W(0),)),
        ("RZZ", (5, 0), (W(0),)),
    ],
)
@pytest.mark.parametrize("join", [True, False])
def test_every_crossing_gate(gate, wires, params, join):
    c = Circuit(6, n_weights=1, n_inputs=2)
    for q in range(6):
        c = c.add("RY", q, X(q % 2) + 0.3 * q).add("RZ", q, 0.2 * q + 0.1)
    c = c.add(gate, wires, *params)
    for q in range(6):
        c = c.add("RX", q, W(0) * 0.5 + 0.1 * q)
    obs = [pauli("X0 X5 + Y1 Z4 + Z2 + X3 Y2")]
    rng = np.random.default_rng(3)
    sp = _check(c, obs, rng.uniform(-3, 3, 1), rng.uniform(0, 3, (3, 2)), cut=3, join=join)
    assert sp.rank == 2


def test_real_circuit_with_y_observables():
    """A real circuit runs on real states; Y strings make imaginary cross terms."""
    c = _real_ladders(6)
    sp = split.plan(c, cut=3)
    for join in (True, False):
        _check(
            c, [pauli("Y0 Y4 + Y2 Y3 + X1 Z5")], np.linspace(-2, 2, 12), np.zeros((1, 0)), cut=3, join=join
        )
    assert sp.rank == 4


def test_state_against_reference_vector():
    """The joined state is the dense reference state (not only the simulator's)."""
    c = hea(6, 2)
    w, x = np.linspace(-1, 1, c.n_weights), np.linspace(0, 2, 6)
    sp = split.plan(c, cut=3)
    psi = dense_state(c, w, x)
    for p in ["Z0", "X3", "Y2 Y4", "Z1 X5"]:
        got = _split_expval(sp, [pauli(p)], torch.tensor(w)[None], torch.tensor(x)[None])
        want = np.vdot(psi, pauli(p).to_matrix(6) @ psi).real
        assert abs(float(got[0, 0]) - want) < 1e-12


def test_non_diagonal_observable_needs_the_full_split():
    sp = split.plan(hea(6, 2), cut=3, diagonal=True)
    assert sp.perm_dest is not None
    w = torch.zeros(1, sp.prog.circuit.n_weights, dtype=torch.float64)
    with pytest.raises(ValueError, match="diagonal observables only"):
        _split_expval(sp, [pauli("X0")], w, torch.zeros(1, 6, dtype=torch.float64))


_POOL = [
    ("RX", 1, 1), ("RY", 1, 1), ("RZ", 1, 1), ("H", 1, 0), ("S", 1, 0), ("U3", 1, 3),
    ("CNOT", 2, 0), ("CZ", 2, 0), ("CRX", 2, 1), ("CRZ", 2, 1), ("RZZ", 2, 1), ("CY", 2, 0),
]  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(3, 5),
    ops=st.lists(
        st.tuples(st.integers(0, len(_POOL) - 1), st.permutations(range(5))), min_size=1, max_size=14
    ),
    cut=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    diagonal=st.booleans(),
)
def test_random_circuits(n, ops, cut, seed, diagonal):
    cut = min(cut, n - 1)
    c = Circuit(n, n_weights=len(ops) * 3, n_inputs=2)
    k = 0
    for g, perm in ops:
        name, nw, npar = _POOL[g]
        wires = tuple(w for w in perm if w < n)[:nw]
        params = []
        for _ in range(npar):
            params.append(W(k) + (X(k % 2) if k % 3 == 0 else 0.0))
            k += 1
        c = c.add(name, wires, *params)
    rng = np.random.default_rng(seed)
    obs = [pauli(f"Z0 Z{n - 1} + 0.5*X{cut - 1} X{cut} + 0.25*Y0 + Z{cut}")]
    if diagonal:  # trailing CNOTs may be left to the measurement (Z strings or the joined state)
        obs = [pauli(f"Z0 Z{n - 1} + 0.5*Z{cut - 1} Z{cut} - 0.25*Z0 + Z{cut} + 1")]
    _check(c, obs, rng.uniform(-3, 3, c.n_weights), rng.uniform(0, 3, (2, 2)), cut=cut)


def test_simulator_takes_the_split_when_it_pays(monkeypatch):
    count = count_calls(monkeypatch, split, "expval")
    c = hea(8, 2)
    obs = PauliSum(tuple((1.0, f"Z{i}") for i in range(8)))
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    x = torch.rand(512, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    Simulator().expval(c, obs, w, x)
    assert count[0] == 1
    Simulator(methods={"split": "never"}).expval(c, obs, w, x)
    Simulator().expval(c, obs, w, x[:16])  # too small a batch to amortise the split
    Simulator().expval(hea(8, 6), obs, torch.zeros(96, dtype=torch.float64), x)  # too deep
    Simulator(diff="adjoint").expval(c, obs, w.requires_grad_(True), x)
    assert count[0] == 1


def test_torch_func_through_the_split():
    c = hea(8, 2)
    sp = split.plan(c, diagonal=True)
    obs = [PauliSum(tuple((1.0, f"Z{i}") for i in range(8)))]
    x = torch.rand(3, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))

    def loss(w):
        return split.expval(sp, obs, w[None], x, torch.complex128, shared=True).sum()

    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    g = torch.func.grad(loss)(w)
    w2 = w.clone().requires_grad_(True)
    DENSE.expval(c, obs[0], w2, x).sum().backward()
    torch.testing.assert_close(g, w2.grad, atol=1e-12, rtol=1e-12)


def test_against_pennylane_default_qubit():
    """Values and weight gradients of the split against PennyLane's ``default.qubit`` (backprop)."""
    import pennylane as qp

    from qml.interop.pennylane import to_pennylane

    c = hea(8, 2).add("CRX", (2, 6), W(0)).add("RZZ", (5, 1), W(1))
    obs = pauli("Z0 Z7 + 0.5*X3 X4 - 0.25*Y2 Z5 + 0.7*X6")
    letters = {"X": qp.PauliX, "Y": qp.PauliY, "Z": qp.PauliZ}
    pl_obs = qp.dot(
        [coeff for coeff, _ in obs.terms],
        [qp.prod(*(letters[p](w) for w, p in s.ops)) for _, s in obs.terms],
    )
    qfunc = to_pennylane(c)

    @qp.qnode(qp.device("default.qubit", wires=8), interface="torch", diff_method="backprop")
    def circuit(w, x):
        qfunc(w, x)
        return qp.expval(pl_obs)

    gen = torch.Generator().manual_seed(4)
    w0 = torch.rand(c.n_weights, generator=gen, dtype=torch.float64) * 6 - 3
    x = torch.rand(3, 8, generator=gen, dtype=torch.float64) * 3
    sp = split.plan(c, cut=4)
    assert sp.rank == 16  # two ladders, CRX and RZZ across the cut
    w1 = w0.clone().requires_grad_(True)
    got = _split_expval(sp, [obs], w1[None], x)[:, 0]
    w2 = w0.clone().requires_grad_(True)
    want = circuit(w2, x)
    torch.testing.assert_close(got, want, atol=1e-12, rtol=1e-12)
    got.sum().backward()
    want.sum().backward()
    torch.testing.assert_close(w1.grad, w2.grad, atol=1e-12, rtol=1e-12)
