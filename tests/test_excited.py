"""Excited states by VQD and SSVQE (qml.optimize.excited), checked against an independent dense reference.

The reference here is built from scratch (Kronecker products of Pauli matrices, wire 0 the
most significant bit, and ``numpy.linalg.eigh``), not from :mod:`qml.ed`, and restricted
to symmetry sectors by diagonalising the symmetry operator first.
"""

from __future__ import annotations

import json
from functools import reduce

import numpy as np
import pytest
import torch

from qml.ir import Circuit, W
from qml.optimize.excited import ExcitedResult, excited_ansatz, sector_inputs, ssvqe, vqd
from qml.paulis import PauliSum
from qml.problems import get_problem
from qml.sim.simulator import Simulator
from qml.symmetry import conserved_quantities

_P = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def dense(H: PauliSum, n: int) -> np.ndarray:
    """The matrix of ``H`` from Kronecker products (wire 0 = most significant bit)."""
    out = np.zeros((1 << n, 1 << n), dtype=complex)
    for c, s in H.terms:
        letters = dict(s.ops)
        out += c * reduce(np.kron, [_P[letters.get(w, "I")] for w in range(n)])
    return out


def sz_op(n: int) -> np.ndarray:
    return sum(0.5 * reduce(np.kron, [_P["Z"] if w == v else _P["I"] for w in range(n)]) for v in range(n))


def px_op(n: int) -> np.ndarray:
    return reduce(np.kron, [_P["X"]] * n)


def sector_levels(
    H: PauliSum, n: int, sym: np.ndarray | None = None, value: float | None = None
) -> np.ndarray:
    """Eigenvalues of ``H`` (ascending, with multiplicity), optionally in the sector ``sym = value``."""
    h = dense(H, n)
    if sym is None:
        return np.linalg.eigh(h)[0]
    lam, vecs = np.linalg.eigh(sym)
    basis = vecs[:, np.abs(lam - value) < 1e-9]
    return np.linalg.eigh(basis.conj().T @ h @ basis)[0]


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# -- the done criterion ------------------------------------------------------------------------------
@pytest.mark.slow
def test_vqd_tfim_ring_8_three_lowest_levels_over_both_parities():
    p = get_problem("tfim", n=8, h=1.0)
    plus = sector_levels(p.hamiltonian, 8, px_op(8), 1.0)
    minus = sector_levels(p.hamiltonian, 8, px_op(8), -1.0)
    assert np.allclose([plus[0], minus[0], plus[1]], [-10.25166179, -10.05467898, -8.69093921], atol=1e-8)
    r = vqd(p, 3, seed=0)
    assert r.sectors == [1.0, -1.0, 1.0]
    assert r.sector_labels == ["Px = 1", "Px = -1", "Px = 1"]
    for e, ref in zip(r.energies, [plus[0], minus[0], plus[1]]):
        assert rel(e, ref) < 1e-6
    assert max(r.rel_errors) < 1e-6
    assert r.exact_level_degeneracies == [1, 1, 1]
    assert r.level_degeneracies == [1, 1, 1]
    assert r.exact_gaps == pytest.approx([minus[0] - plus[0], plus[1] - plus[0]], abs=1e-9)
    assert min(r.fidelities) > 0.9999
    assert r.max_overlap < 1e-8


@pytest.mark.slow
def test_vqd_heisenberg_ring_8_three_lowest_levels_with_sz_0():
    p = get_problem("heisenberg", n=8)
    ref = sector_levels(p.hamiltonian, 8, sz_op(8), 0.0)[:3]
    assert np.allclose(ref, [-3.65109341, -3.12841906, -2.69962815], atol=1e-8)
    r = vqd(p, 3, sectors=[0], steps=600, seed=0)
    assert r.sector_labels == ["Sz = 0"] * 3
    for e, x in zip(r.energies, ref):
        assert rel(e, x) < 1e-6
    assert r.exact_energies == pytest.approx(ref.tolist(), abs=1e-10)
    assert r.extra["conserved"]["Sz = 0"] == {"Sz": 0.0, "Pz": 1.0}  # no SU(2), no spin-flip parity


# -- small systems, fast ----------------------------------------------------------------------------------
def test_vqd_tfim_4_matches_dense_reference_per_sector():
    p = get_problem("tfim", n=4, h=0.7)
    r = vqd(p, 4, steps=300)
    ref = {v: sector_levels(p.hamiltonian, 4, px_op(4), v) for v in (1.0, -1.0)}
    merged = sorted((e, v) for v, es in ref.items() for e in es)[:4]
    assert r.energies == pytest.approx([e for e, _ in merged], abs=1e-8)
    assert r.sectors == [v for _, v in merged]
    assert r.exact_energies == pytest.approx([e for e, _ in merged], abs=1e-10)
    assert r.max_abs_error < 1e-8
    assert r.settings["allocation"] == "exact"


def test_greedy_allocation_agrees_with_exact_allocation():
    p = get_problem("tfim", n=4, h=1.0)
    a = vqd(p, 3, steps=300, allocate="greedy")
    b = vqd(p, 3, steps=300, allocate="exact")
    assert a.sector_labels == b.sector_labels
    assert a.energies == pytest.approx(b.energies, abs=1e-8)
    assert "discarded" in a.extra  # one extra state was found in the sector that lost the last round


def test_degenerate_triplet_is_reported_with_its_degeneracy():
    p = get_problem("heisenberg", n=4, periodic=False)
    all_levels = np.round(sector_levels(p.hamiltonian, 4), 10)
    values, counts = np.unique(all_levels, return_counts=True)
    r = vqd(p, 4, sectors="all", steps=300)
    assert r.exact_levels == pytest.approx(values[:2].tolist(), abs=1e-9)
    assert r.exact_level_degeneracies == [1, 3] == counts[:2].tolist()
    assert r.level_degeneracies == [1, 3]
    assert r.level_sectors == [[0.0], [1.0, 0.0, -1.0]]
    assert sorted(r.sectors[1:]) == [-1.0, 0.0, 1.0]
    assert r.levels == pytest.approx(values[:2].tolist(), abs=1e-7)
    assert r.gaps[0] == pytest.approx(values[1] - values[0], abs=1e-7)


def test_odd_open_chain_excited_states():
    p = get_problem("heisenberg", n=5, periodic=False)
    ref = sector_levels(p.hamiltonian, 5, sz_op(5), 0.5)[:3]
    r = vqd(p, 3, sectors=[0.5], steps=500)
    assert r.energies == pytest.approx(ref.tolist(), abs=1e-7)


def test_default_ansatz_conserves_only_the_sector():
    H = get_problem("heisenberg", n=6).hamiltonian
    for sz in (0.0, 1.0, -2.0):
        got = conserved_quantities(excited_ansatz(H, 2, sector=sz))
        assert got["Sz"] == sz
        assert "S2" not in got
        assert "Px" not in got
    tf = get_problem("tfim", n=5).hamiltonian
    assert conserved_quantities(excited_ansatz(tf, 2, sector=-1)) == {"Px": -1.0}


def test_scipy_optimizers_drive_the_deflated_cost():
    p = get_problem("tfim", n=3, h=0.8)
    ref = {v: sector_levels(p.hamiltonian, 3, px_op(3), v) for v in (1.0, -1.0)}
    r = vqd(p, 2, sectors=[-1], optimizer="bfgs", steps=300)
    assert r.energies == pytest.approx(ref[-1.0][:2].tolist(), abs=1e-7)
    r = vqd(p, 2, sectors=[1], optimizer="cobyla", steps=3000, init_scale=0.5)  # gradient-free, batched rows
    assert r.max_overlap < 1e-3
    assert r.energies[0] == pytest.approx(ref[1.0][0], abs=1e-3)


def test_custom_pair_without_symmetry_runs_in_the_full_space():
    from qml.paulis import pauli

    H = pauli("-Z0 Z1 - 0.5 X0 - 0.5 X1 + 0.3 Z0")  # no qubit-wise symmetry
    c = Circuit(2)
    for layer in range(3):
        c = c.add("RY", 0, W(4 * layer)).add("RY", 1, W(4 * layer + 1)).add("CNOT", (0, 1))
        c = c.add("RZ", 0, W(4 * layer + 2)).add("RZ", 1, W(4 * layer + 3))
    r = vqd((H, c), 3, steps=300, init_scale=1.0)
    assert r.sector_labels == ["full space"] * 3
    assert r.symmetry is None
    assert r.energies == pytest.approx(sector_levels(H, 2)[:3].tolist(), abs=1e-7)


def test_ssvqe_small_systems_and_input_orthogonality():
    p = get_problem("tfim", n=4, h=1.0)
    x = sector_inputs(p, 3, sector=1)
    assert x.shape == (3, 4)
    assert len({tuple(row.tolist()) for row in x}) == 3
    assert set(x.flatten().tolist()) <= {0.0, 1.0}
    r = ssvqe(p, 3, steps=500)
    ref = {v: sector_levels(p.hamiltonian, 4, px_op(4), v) for v in (1.0, -1.0)}
    merged = sorted((e, v) for v, es in ref.items() for e in es)[:3]
    assert r.energies == pytest.approx([e for e, _ in merged], abs=1e-7)
    assert r.sectors == [v for _, v in merged]
    # the inputs as prepared by the circuit's input gates: orthonormal and in their sector
    sim = Simulator()
    for label, d in r.circuits.items():
        circ = Circuit.from_dict(d)
        rows = torch.tensor([r.inputs[i] for i, lab in enumerate(r.sector_labels) if lab == label])
        prep = Circuit(4, circ.ops[:8], 0, 4)  # RX(pi x_w) on each wire, then H (the Px basis change)
        assert [op.name for op in prep.ops] == ["RX"] * 4 + ["H"] * 4
        assert all(op.reads_inputs for op in prep.ops[:4])
        psi = sim.state(prep, None, rows).numpy()
        assert np.allclose(psi.conj() @ psi.T, np.eye(len(rows)), atol=1e-12)
        value = float(label.split("=")[1])
        assert np.allclose(np.einsum("bi,ij,bj->b", psi.conj(), px_op(4), psi).real, value)
    out = r.states().numpy()
    assert np.allclose(out.conj() @ out.T, np.eye(3), atol=1e-10)
    assert r.max_overlap < 1e-12
    assert r.state_weights
    assert all(w > 0 for w in r.state_weights)


def test_ssvqe_heisenberg_small_sz_sector():
    p = get_problem("heisenberg", n=4)
    ref = sector_levels(p.hamiltonian, 4, sz_op(4), 0.0)[:3]
    r = ssvqe(p, 3, sectors=[0], steps=800)
    assert r.energies == pytest.approx(ref.tolist(), abs=1e-6)
    x = torch.tensor(r.inputs)
    assert torch.all(x.sum(dim=1) == 2)  # two down spins: Sz = 0


# -- records ------------------------------------------------------------------------------------------------
def test_json_round_trip(tmp_path):
    r = vqd(get_problem("tfim", n=3, h=1.0), 2, steps=100)
    d = r.to_dict()
    assert d["kind"] == "excited"
    assert d["method"] == "vqd"
    json.dumps(d)  # plain JSON
    path = tmp_path / "sub" / "excited.json"
    r.save(path)
    back = ExcitedResult.load(path)
    assert back == r
    assert back.circuit_obj(1).to_dict() == r.circuit_obj(1).to_dict()
    assert torch.allclose(back.states(), r.states())
    assert set(r.versions) >= {"python", "qml", "torch", "numpy"}
    assert set(r.timings) >= {"total", "exact", "optimize", "per_state"}
    assert r.seeds
    assert r.n_evals
    assert r.converged
    assert r.best_weights
    s = ssvqe(get_problem("tfim", n=3, h=1.0), 2, steps=100)
    assert ExcitedResult.from_dict(json.loads(json.dumps(s.to_dict()))) == s


# -- errors ------------------------------------------------------------------------------------------
def test_bad_n_states():
    p = get_problem("tfim", n=3)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
            vqd(p, bad)
    with pytest.raises(ValueError, match="n_states=5 exceeds the dimension 4"):
        vqd(p, 5, sectors=[1])
    with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
        ssvqe(p, 0)


def test_unknown_sector():
    p = get_problem("tfim", n=4)
    with pytest.raises(ValueError, match=r"unknown sector Px = 3 .*valid values: 1, -1"):
        vqd(p, 2, sectors=[3])
    with pytest.raises(ValueError, match="unknown sectors 'both'"):
        vqd(p, 2, sectors="both")
    with pytest.raises(ValueError, match=r"unknown sector Sz = 0.5 .*valid values: 2, 1, 0, -1, -2"):
        vqd(get_problem("heisenberg", n=4), 2, sectors=[0.5])
    with pytest.raises(ValueError, match="lists a value twice"):
        vqd(p, 2, sectors=[1, 1.0])


def test_ansatz_conserving_another_sector_is_refused():
    p = get_problem("tfim", n=4)  # its 'hva' starts from |+>^4: Px = 1
    with pytest.raises(ValueError, match=r"conserves Px = 1, but sector Px = -1 was requested"):
        vqd(p, 2, ansatz="hva", sectors=[-1])
    c = p.ansatz(2)
    with pytest.raises(ValueError, match=r"conserves Px = 1, but sectors \['Px = -1'\] were requested"):
        vqd(p, 2, ansatz=c, sectors=[-1])
    with pytest.raises(ValueError, match="cannot explore every sector"):
        vqd(p, 2, ansatz=c, sectors="all")


def test_extra_symmetry_and_overlapping_states_are_warned_about():
    p = get_problem("heisenberg", n=4)  # the problem HVA conserves total spin: only singlets
    with pytest.warns(UserWarning, match="also conserves|overlap") as record:
        r = vqd(p, 3, ansatz="hva", sectors=[0], steps=100)
    messages = [str(w.message) for w in record]
    assert any("also conserves Px = 1, S2 = 0" in m for m in messages)
    assert any("overlap by |<psi_i|psi_j>|^2" in m for m in messages)  # Sz = 0 holds only 2 singlets
    assert r.max_overlap > 0.5
    assert r.extra["conserved"]["Sz = 0"]["S2"] == 0.0


def test_bad_settings():
    p = get_problem("tfim", n=3)
    with pytest.raises(ValueError, match="beta must be 'auto' or a number > 0"):
        vqd(p, 2, beta="big")
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        vqd(p, 2, beta=-1.0)
    with pytest.raises(ValueError, match="not supported for excited states"):
        vqd(p, 2, optimizer="spsa")
    with pytest.raises(ValueError, match="strictly decreasing"):
        ssvqe(p, 2, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights has 3 entries but n_states=2"):
        ssvqe(p, 2, weights=[3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"ssvqe takes ansatz=None .* or a Circuit"):
        ssvqe(p, 2, ansatz="hva")
    with pytest.raises(ValueError, match="unknown allocate"):
        vqd(p, 2, allocate="smart")
