"""DMRG references (qml.dmrg): the Pauli-sum MPO, convergence in the bond dimension, the exported MPS.

DMRG must reproduce exact diagonalisation at 10-12 sites (XXZ, Heisenberg, J1-J2, chains,
rings and a ladder) and the free-fermion TFIM at 32 sites to 1e-8, and its MPS tensors must be
the ED ground state in the package's wire order.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import torch

from qml.ed import ground_state
from qml.paulis import PauliSum, pauli
from qml.problems.lattice import ladder
from qml.problems.spins import heisenberg, j1j2, tfim, xxz

needs_quimb = pytest.mark.skipif(
    importlib.util.find_spec("quimb") is None, reason="needs quimb (qml-circuits[dmrg])"
)


def _random_pauli_sum(rng: np.random.Generator, n: int, n_terms: int) -> PauliSum:
    terms = [(float(rng.normal()), "")]
    for _ in range(n_terms):
        k = int(rng.integers(1, n + 1))
        wires = sorted(rng.choice(n, size=k, replace=False).tolist())
        terms.append((float(rng.normal()), " ".join(f"{'XYZ'[int(rng.integers(3))]}{w}" for w in wires)))
    return PauliSum.from_terms(terms)


@needs_quimb
@pytest.mark.parametrize("seed", range(6))
def test_pauli_mpo_is_the_hamiltonian(seed):
    from qml.dmrg import pauli_mpo

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    H = _random_pauli_sum(rng, n, 12)
    assert np.allclose(pauli_mpo(H, n).to_dense(), H.to_matrix(n), atol=1e-12)


@needs_quimb
def test_pauli_mpo_bond_dimensions_share_prefixes():
    from qml.dmrg import _mpo_arrays

    arrays, real = _mpo_arrays(heisenberg(10, periodic=False), 10)
    assert real  # X X + Y Y + Z Z: even numbers of Y
    assert max(a.shape[1] for a in arrays) == 5  # done, ready and one channel per Pauli
    arrays, _ = _mpo_arrays(heisenberg(10, periodic=True), 10)
    assert max(a.shape[1] for a in arrays) == 8  # plus the three strings of the wrap-around bond
    assert not _mpo_arrays(pauli("X0 Y1"), 2)[1]


@needs_quimb
@pytest.mark.parametrize(
    ("name", "H", "n"),
    [
        ("heisenberg chain", heisenberg(12, periodic=False), 12),
        ("heisenberg ring", heisenberg(10, periodic=True), 10),
        ("xxz chain in a field", xxz(11, delta=0.5, h=0.3, periodic=False), 11),
        ("xxz ferromagnet", xxz(10, delta=-2.0, periodic=False), 10),
        ("j1j2 ring", j1j2(12, J2=0.3, periodic=True), 12),
        ("j1j2 majumdar-ghosh chain", j1j2(10, J2=0.5, periodic=False), 10),
        ("heisenberg ladder", heisenberg(ladder(6)), 12),
    ],
)
def test_dmrg_matches_exact_diagonalisation(name, H, n):
    from qml.dmrg import dmrg

    res = dmrg(H, n, bond_dims=(16, 32, 64))
    ed = ground_state(H, n, k=2)
    assert res.energy == pytest.approx(ed.energy, abs=1e-8), name
    assert res.converged
    assert res.variance is not None
    assert res.variance < 1e-7
    psi = res.state.to_dense().numpy()
    assert np.vdot(psi, psi).real == pytest.approx(1.0, abs=1e-10)
    assert float(np.vdot(psi, H.to_sparse(n) @ psi).real) == pytest.approx(ed.energy, abs=1e-8)
    if ed.energies[1] - ed.energies[0] > 1e-6:  # a unique ground state: the MPS is it
        assert abs(np.vdot(ed.state, psi)) ** 2 == pytest.approx(1.0, abs=1e-7)


@needs_quimb
def test_mps_is_in_the_package_wire_order():
    from qml.dmrg import dmrg

    # ground state |0 1 1 0 1>: Z eigenvalues +1, -1, -1, +1, -1 (wire 0 = most significant bit)
    H = pauli("-Z0 + Z1 + Z2 - Z3 + Z4 + 0.1*X0 X1 - 0.1*Y2 Y3")
    res = dmrg(H, 5, bond_dims=(4, 8))
    psi = res.state.to_dense().numpy()
    assert int(np.argmax(np.abs(psi))) == 0b01101
    assert [t.shape[1] for t in res.tensors] == [2] * 5
    assert res.tensors[0].shape[0] == 1
    assert res.tensors[-1].shape[2] == 1
    ed = ground_state(H, 5)
    assert abs(np.vdot(ed.state, psi)) ** 2 == pytest.approx(1.0, abs=1e-10)


@needs_quimb
@pytest.mark.slow  # a fresh process compiles quimb's complex kernels (numba): ~7 s
def test_complex_hamiltonian():
    from qml.dmrg import dmrg

    H = heisenberg(8, periodic=False) + pauli("0.3*X0 Y1 - 0.3*Y0 X1 + 0.2*X3 Y4 - 0.2*Y3 X4 + 0.1*Y6")
    res = dmrg(H, 8, bond_dims=(8, 16))
    assert res.energy == pytest.approx(ground_state(H, 8).energy, abs=1e-9)
    assert np.iscomplexobj(res.tensors[0])


@needs_quimb
def test_dmrg_matches_free_fermions_at_32_sites():
    from qml.dmrg import dmrg
    from qml.freefermion import tfim_ground

    res = dmrg(tfim(32, J=1.0, h=1.0, periodic=False), bond_dims=(16, 32, 64))
    exact = tfim_ground(32, J=1.0, h=1.0, periodic=False).energy
    assert res.energy == pytest.approx(exact, abs=1e-8)
    assert len(res.energies) == len(res.bond_dims) == len(res.max_bonds)
    assert res.energies[0] >= res.energies[-1] - 1e-10  # variational: more bond, lower energy
    assert res.error_estimate < 1e-7


@needs_quimb
def test_state_overlap_and_summary():
    from qml.dmrg import dmrg
    from qml.mps import fidelity, overlap

    res = dmrg(heisenberg(8, periodic=False), bond_dims=(8, 16))
    state = res.state
    assert abs(complex(overlap(state, state))) == pytest.approx(1.0, abs=1e-12)
    assert float(fidelity(state, state)) == pytest.approx(1.0, abs=1e-12)
    assert state.n_wires == 8
    assert state.tensors[0].dtype == torch.complex128
    assert res.summary().startswith("DMRG E = -3.374932598688")
    assert "converged" in res.summary()


@needs_quimb
def test_unconverged_schedule_says_so(caplog):
    from qml.dmrg import dmrg

    res = dmrg(heisenberg(16, periodic=True), bond_dims=(2, 4), variance=False)
    assert not res.converged
    assert res.variance is None
    assert "not converged" in caplog.text


@needs_quimb
def test_bad_arguments():
    from qml.dmrg import dmrg

    H = heisenberg(4, periodic=False)
    with pytest.raises(ValueError, match="bond_dims must increase"):
        dmrg(H, bond_dims=(32, 16))
    with pytest.raises(ValueError, match="bond_dims must be a non-empty sequence of integers >= 1"):
        dmrg(H, bond_dims=())
    with pytest.raises(ValueError, match="tol must be a number >= 0"):
        dmrg(H, tol=-1.0)
    with pytest.raises(ValueError, match="n_wires must be an integer >= 4"):
        dmrg(H, n_wires=3)
    with pytest.raises(ValueError, match="DMRG needs at least 2 sites"):
        dmrg(pauli("Z0"))


def test_missing_quimb_says_how_to_install(monkeypatch):
    from qml import dmrg as mod

    monkeypatch.setitem(sys.modules, "quimb", None)
    monkeypatch.setitem(sys.modules, "quimb.tensor", None)
    with pytest.raises(
        ModuleNotFoundError, match=r"install it with: pip install 'qml-circuits\[dmrg\]'"
    ) as err:
        mod.dmrg(heisenberg(4, periodic=False))
    assert err.value.name == "quimb"
