"""One circuit's state in compiled, cache-blocked sweeps (qml.sim.numba_state), against the torch
full state: random circuits of every gate (both precisions, small lanes and chunks so that every
sweep, lane change and chunk split runs), the schedule's bookkeeping, SWAP as relabelling, the
read-out order, probs and sample, the route and its conditions, real circuits, missing numba."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qml import Circuit, Simulator, W, X, pauli
from qml.errors import ConfigError
from qml.gates import GATES
from qml.sim import dense_tail, numba_rows, numba_state, tuning
from qml.sim.memory import SimulationMemoryError
from qml.sim.program import compile_circuit

pytest.importorskip("numba")

SWEEPS = {"numba_state": "always"}
TORCH = {"numba_state": "never"}
POOL = sorted(
    g for g, s in GATES.items() if s.n_wires <= 3 and 0 < s.n_params <= 3 and dense_tail._fourier(g)
)
POOL += ["H", "S", "T", "X", "Y", "Z", "SX", "CNOT", "CY", "CZ", "SWAP", "Toffoli", "Unitary"]


def _small_chunks(monkeypatch: pytest.MonkeyPatch, lane_bits: int, chunk_bits: int, group_bytes: int) -> None:
    cpu = dataclasses.replace(
        tuning.TUNING["cpu"],
        numba_state_lane_bits=lane_bits,
        numba_state_chunk_bits=chunk_bits,
        numba_state_group_bytes=group_bytes,
    )
    monkeypatch.setitem(tuning.TUNING, "cpu", cpu)


def _random_circuit(data: st.DataObject, n: int) -> Circuit:
    c = Circuit(n)
    k = 0
    rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
    for _ in range(data.draw(st.integers(4, 40), label="gates")):
        name = data.draw(st.sampled_from(POOL), label="gate")
        if name == "Unitary":
            size = data.draw(st.integers(1, 3), label="unitary wires")
            wires = tuple(data.draw(st.permutations(range(n)), label="wires")[:size])
            q, _ = np.linalg.qr(
                rng.normal(size=(2**size, 2**size)) + 1j * rng.normal(size=(2**size, 2**size))
            )
            c = c.add("Unitary", wires, matrix=q)
            continue
        wires = tuple(data.draw(st.permutations(range(n)), label="wires")[: GATES[name].n_wires])
        params = []
        for _ in range(GATES[name].n_params):
            params.append(W(k) if data.draw(st.booleans(), label="weight") else float(rng.uniform(-4, 4)))
            k += 1
        c = c.add(name, wires, *params)
    return c


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_circuits_match_the_torch_full_state(data):
    lane_bits = data.draw(st.integers(3, 5), label="lane bits")
    n = data.draw(st.integers(lane_bits + 4, 11), label="n")
    c = _random_circuit(data, n)
    dtype = data.draw(st.sampled_from([torch.complex128, torch.complex64]), label="dtype")
    w = torch.linspace(-2.5, 3.0, c.n_weights, dtype=torch.float64)
    chunk_bits = data.draw(st.integers(3, 5), label="chunk bits")
    group_bits = data.draw(st.integers(3, 4), label="group bits")
    with pytest.MonkeyPatch.context() as mp:
        # blocks of 2**lane_bits amplitudes, chunks of 8-32 blocks in groups over 8-16: many sweeps,
        # chunks, groups and lane changes
        block = 2**lane_bits * (8 if dtype == torch.complex64 else 16)
        _small_chunks(mp, lane_bits, chunk_bits, block * 2**group_bits)
        sim = Simulator(dtype=dtype, methods=SWEEPS)
        route = sim.state_route(c, w)
        psi = sim.state(c, w)
    assert route.measure == numba_state.MEASURE, route
    ref = Simulator(dtype=torch.complex128, methods=TORCH).state(c, w)
    assert psi.dtype == dtype
    tol = 1e-12 if dtype == torch.complex128 else 2e-6
    torch.testing.assert_close(psi.to(torch.complex128), ref, atol=tol, rtol=0)


def _brick(n: int, layers: int) -> Circuit:
    c = Circuit(n)
    k = 0
    for layer in range(layers):
        for q in range(n):
            c = c.add(("RX", "RY", "RZ")[(q + layer) % 3], q, W(k))
            k += 1
        for q in range(layer % 2, n - 1, 2):
            c = c.add("CNOT" if q % 4 < 2 else "CZ", (q, q + 1))
    return c


def test_the_schedule_keeps_its_books():
    c = _brick(12, 5)
    sched = numba_state.build(compile_circuit(c), local_bits=4, lane_bits=4, run_bits=1)
    assert sched is not None
    # the lanes end holding the standard lowest qubits, in order (wire w = bit n - 1 - w)
    assert sched.positions[-4:] == (3, 2, 1, 0)
    assert sorted(sched.positions) == list(range(12))
    # each op lies in exactly one sweep, in order; every sweep has its chunk bits and the rest
    bounds = [(s.o0, s.o1) for s in sched.sweeps]
    assert bounds[0][0] == 0
    assert bounds[-1][1] == sched.ops
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    for s in sched.sweeps:
        assert sorted(s.bits + s.rest) == list(range(12 - 4))
        assert s.off.size == 2 ** len(s.bits)
    # gates never touch the lanes: one-qubit chains fused, lane changes counted
    kinds = sched.o_kind.tolist()
    assert kinds.count(numba_state.LANE) == sched.lane_changes > 0
    assert "cache-blocked sweeps" in sched.describe()


def test_groups_split_each_sweep_into_sub_chunks_on_few_bits():
    c = _brick(14, 6)
    sched = numba_state.build(compile_circuit(c), local_bits=6, lane_bits=4, run_bits=1, group_bits=3)
    assert sched is not None
    split = 0
    for s in sched.sweeps:
        bounds = [(g.o0, g.o1) for g in s.groups]
        assert bounds[0][0] == s.o0
        assert bounds[-1][1] == s.o1
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        split += len(s.groups) > 1
        for g in s.groups:
            kk, kg = len(s.bits), len(g.bits)
            assert kg == 3
            assert list(g.bits) == sorted(g.bits)
            # sub-chunk + offset within it = the sweep's offset of the same local index
            assert sorted((g.sub[:, None] + g.off[None, :]).ravel().tolist()) == sorted(s.off.tolist())
            assert g.sub.size == 2 ** (kk - kg)
            for o in range(g.o0, g.o1):  # ops numbered within the group's bits
                k = sched.o_k[o]
                if sched.o_kind[o] == numba_state.LANE:
                    assert sched.o_bits[o, 1] < kg
                else:
                    assert all(b < kg for b in sched.o_bits[o, 4 : 4 + k])
                    assert sched.o_cm[o] < 2**kg
    assert split > 0
    assert "groups" in sched.describe()
    w = torch.linspace(-1.1, 2.3, c.n_weights, dtype=torch.float64)
    with pytest.MonkeyPatch.context() as mp:
        _small_chunks(mp, 4, 6, 2**4 * 16 * 2**3)
        psi = Simulator(methods=SWEEPS).state(c, w)
    torch.testing.assert_close(psi, Simulator(methods=TORCH).state(c, w), atol=1e-13, rtol=0)


def test_an_entangler_takes_its_target_chain_in_two_halves_of_one_pass():
    # RY then CNOT on the same target: the chain where the control is 0, X after it where it is 1
    c = Circuit(10).add("RY", 0, W(0)).add("RX", 1, W(1)).add("CNOT", (0, 1)).add("RX", 5, W(2))
    c = c.add("RY", 6, W(3)).add("CZ", (5, 6)).add("CNOT", (2, 3))
    sched = numba_state.build(compile_circuit(c), local_bits=4, lane_bits=4, run_bits=0)
    assert sched is not None
    kinds = sched.o_kind.tolist()
    pairs = [
        (int(sched.o_k[o]), int(sched.o_cm[o])) for o in range(sched.ops) if kinds[o] == numba_state.PAIR
    ]
    halves = [p for p in pairs if p[0] == 2]
    # CNOT(0, 1) and CZ(5, 6) each as two halves (control 0: cm = 0, control 1); CNOT(2, 3) alone
    assert len(halves) == 5
    assert sum(cm == 0 for _, cm in halves) == 2
    assert numba_state.DIAG not in sched.o_kind.tolist()
    w = torch.tensor([0.4, -1.2, 2.2, 0.7], dtype=torch.float64)
    torch.testing.assert_close(
        Simulator(methods=SWEEPS).state(c, w), Simulator(methods=TORCH).state(c, w), atol=1e-13, rtol=0
    )


def test_swap_is_a_relabelling_and_wide_gates_fall_back():
    c = _brick(10, 2).add("SWAP", (0, 9)).add("SWAP", (3, 4)).add("RY", 0, W(20))
    sched = numba_state.build(compile_circuit(c), local_bits=3, lane_bits=4, run_bits=0)
    assert sched is not None
    assert numba_state.PAIR in sched.o_kind.tolist()
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    torch.testing.assert_close(
        Simulator(methods=SWEEPS).state(c, w), Simulator(methods=TORCH).state(c, w), atol=1e-13, rtol=0
    )
    wide = Circuit(10).add("DoubleExcitation", (0, 1, 2, 3), 0.3).add("H", 5)
    route = Simulator(methods=SWEEPS).state_route(wide)
    assert route.measure == "full state"
    assert "compiled kernel" in route.reason


def test_probs_and_samples_go_through_the_sweeps():
    c = _brick(12, 4)
    w = torch.linspace(-1.3, 2.1, c.n_weights, dtype=torch.float64)
    fast, slow = Simulator(methods=SWEEPS), Simulator(methods=TORCH)
    torch.testing.assert_close(fast.probs(c, w, wires=[5, 0, 11]), slow.probs(c, w, wires=[5, 0, 11]))
    assert torch.equal(fast.sample(c, w, shots=50, seed=3), slow.sample(c, w, shots=50, seed=3))


def test_the_thread_count_does_not_change_the_state():
    c = _brick(14, 4)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = Simulator(methods=SWEEPS).state(c, w)
        torch.set_num_threads(2)
        two = Simulator(methods=SWEEPS).state(c, w)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one, two)  # chunks are independent: bit for bit


def test_the_route_says_when_it_is_taken_and_why_not():
    c = _brick(12, 2)
    w = torch.zeros(c.n_weights, dtype=torch.float64)
    route = Simulator().state_route(c, w)
    assert route.measure == numba_state.MEASURE
    assert "compiled ops" in route.reason
    assert route.diff == "none"
    grad = Simulator().state_route(c, w.clone().requires_grad_(True))
    assert grad.measure == "full state"
    assert "gradient" in grad.reason
    assert grad.diff == "backprop"
    assert "numba_state_min_wires" in Simulator().state_route(_brick(6, 2), torch.zeros(12)).reason
    assert "batch" in Simulator().state_route(c, torch.zeros(3, c.n_weights)).reason
    assert "never" in Simulator(methods=TORCH).state_route(c, w).reason
    assert "fuse=False" in Simulator(fuse=False).state_route(c, w).reason
    with torch.no_grad():  # no gradient asked: the sweeps, and the state is a plain tensor
        psi = Simulator().state(c, w.clone().requires_grad_(True))
    assert not psi.requires_grad


def test_gradients_still_flow_through_the_torch_engine():
    c = _brick(12, 2)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    psi = Simulator(methods=SWEEPS).state(c, w)  # forced, but a gradient is asked: torch
    (g,) = torch.autograd.grad(psi.abs().pow(2)[:7].sum(), w)
    assert torch.isfinite(g).all()
    assert g.abs().sum() > 0


def test_real_circuits_return_real_states():
    c = Circuit(12)
    for q in range(12):
        c = c.add("RY", q, W(q))
    for q in range(11):
        c = c.add("CNOT", (q, q + 1))
    w = torch.linspace(-1, 1, 12, dtype=torch.float64)
    sim = Simulator(methods=SWEEPS, real_arithmetic=True)
    psi = sim.state(c, w)
    ref = Simulator(methods=TORCH, real_arithmetic=True).state(c, w)
    assert psi.dtype == ref.dtype
    torch.testing.assert_close(psi, ref, atol=1e-13, rtol=0)


def test_inputs_and_weights_enter_the_angles():
    c = Circuit(10)
    for q in range(10):
        c = c.add("RX", q, X(q) * 0.5 + W(q)).add("RZ", q, X(q) * X((q + 1) % 10))
    x, w = torch.rand(10, dtype=torch.float64), torch.rand(10, dtype=torch.float64)
    torch.testing.assert_close(
        Simulator(methods=SWEEPS).state(c, w, x), Simulator(methods=TORCH).state(c, w, x), atol=1e-13, rtol=0
    )


def test_forcing_it_without_numba_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(numba_rows, "available", lambda: False)
    c = _brick(12, 1)
    with pytest.raises(ConfigError, match=r"numba_state='always' needs numba.*pip install"):
        Simulator(methods=SWEEPS).state(c, torch.zeros(c.n_weights))
    assert "not installed" in Simulator().state_route(c, torch.zeros(c.n_weights)).reason


def test_expectation_values_without_gradient_take_the_sweeps():
    c = _brick(12, 6)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    obs = [pauli("Z0 Z1 + 0.5*X3"), pauli("Y2 Y11 - 0.2*Z5")]
    for dtype in (torch.complex128, torch.complex64):
        fast = Simulator(
            dtype=dtype, methods={"numba_state": "always", "numba_rows": "never", "split": "never"}
        )
        route = fast.explain(c, obs, w)
        assert route.measure == numba_state.MEASURE
        assert "no gradient asked" in route.reason
        ref = Simulator(methods=TORCH).expval(c, obs, w)
        torch.testing.assert_close(fast.expval(c, obs, w).double(), ref, atol=1e-5, rtol=0)
    # a gradient asked: the adjoint or backprop engines instead
    wg = w.clone().requires_grad_(True)
    assert Simulator(methods={"numba_state": "always"}).explain(c, obs, wg).measure != numba_state.MEASURE


def test_the_memory_guard_refuses_before_the_sweeps(monkeypatch):
    c = _brick(12, 2)
    w = torch.zeros(c.n_weights, dtype=torch.float64)
    monkeypatch.setenv("QML_MEMORY_LIMIT", "16K")
    sweeps_only = {**SWEEPS, "numba_rows": "never", "split": "never"}
    route = Simulator(methods=sweeps_only).explain(c, [pauli("Z0")], w)
    assert route.measure == numba_state.MEASURE
    assert route.memory_estimate == 2**12 * 16  # one state: blocks, then the result in place
    with pytest.raises(SimulationMemoryError, match="needs about"):
        Simulator(methods=sweeps_only).expval(c, [pauli("Z0")], w)
    with pytest.raises(SimulationMemoryError, match="needs about"):
        Simulator(methods=SWEEPS).state(c, w)
