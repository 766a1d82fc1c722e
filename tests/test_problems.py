"""Problem library: lattices, spin Hamiltonians, molecules, exact references, registry errors."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import torch

from qml.ed import ground_state
from qml.paulis import PauliString, expval_dense, pauli
from qml.problems import (
    PROBLEMS,
    chain,
    get_problem,
    heisenberg,
    ladder,
    make_lattice,
    metavqe,
    molecular_hamiltonian,
    square,
    tfim,
    tfim_exact_energy,
    triangular,
    xxz,
    xy,
)
from qml.problems.spins import parity_x, total_z
from qml.sim.simulator import Simulator

H2_FCI = -1.13728383
H2_HF = -1.11675931
HEIS8 = -3.6510934089


# -- lattices --------------------------------------------------------------------------
def test_chain_and_ring_bonds():
    assert chain(4).bonds("nn") == [(0, 1), (1, 2), (2, 3)]
    assert chain(4).bonds("nnn") == [(0, 2), (1, 3)]
    ring = chain(6, periodic=True)
    assert len(ring.bonds("nn")) == 6
    assert (0, 5) in ring.bonds("nn")
    assert len(ring.bonds("nnn")) == 6
    assert (0, 4) in ring.bonds("nnn")
    assert ring.name == "ring"
    assert ring.label() == "ring(6)"


def test_2d_lattices_coordination():
    sq = square(3, 3, periodic=True)
    deg = np.zeros(9, int)
    for i, j in sq.bonds("nn"):
        deg[i] += 1
        deg[j] += 1
    assert (deg == 4).all()
    tri = triangular(3, 3, periodic=True)
    deg = np.zeros(9, int)
    for i, j in tri.bonds("nn"):
        deg[i] += 1
        deg[j] += 1
    assert (deg == 6).all()
    lad = ladder(4)
    assert lad.n_sites == 8
    assert len(lad.bonds("nn")) == 4 + 2 * 3
    assert (0, 1) in lad.bonds("nn")
    assert (0, 3) in lad.bonds("nnn")
    assert make_lattice("square", n=9).shape == (3, 3)


def test_lattice_errors():
    with pytest.raises(ValueError, match="periodic direction needs at least 3 sites"):
        chain(2, periodic=True)
    with pytest.raises(ValueError, match="valid lattices: chain, ring, ladder, square, triangular"):
        make_lattice("hexagonal", n=6)
    with pytest.raises(ValueError, match="unknown bond kind"):
        chain(3).bonds("nnnn")
    with pytest.raises(ValueError, match="needs lx and ly"):
        make_lattice("square", n=6)


# -- Hamiltonians ---------------------------------------------------------------------------
def test_tfim_terms_and_units():
    H = tfim(3, h=0.5, periodic=False)
    assert H.allclose(pauli("-Z0 Z1 - Z1 Z2 - 0.5 X0 - 0.5 X1 - 0.5 X2"))
    assert len(tfim(8).terms) == 16
    expected = pauli("-0.25 Z0 Z1 - 0.25 Z1 Z2 - 0.25 Z2 Z3 - 0.25 Z0 Z3") - 0.35 * pauli("X0 + X1 + X2 + X3")
    assert tfim(4, h=0.7, units="spin").allclose(expected)


def test_spin_units_convention():
    # J S.S in spin units is J/4 (XX + YY + ZZ): the Pauli-unit Hamiltonian is 4x larger.
    assert (4 * heisenberg(4, units="spin")).allclose(heisenberg(4, units="pauli"))
    expected = pauli("0.25 X0 X1 + 0.25 Y0 Y1 + 0.125 Z0 Z1 + 0.5 Z0 + 0.5 Z1")
    assert xxz(2, delta=0.5, h=1.0, periodic=False).allclose(expected)
    with pytest.raises(ValueError, match="expected one of \\('spin', 'pauli'\\)"):
        heisenberg(4, units="natural")


def test_xy_and_metavqe_coefficients():
    assert xy(2, gamma=1.0, h=0.2, periodic=False).allclose(pauli("X0 X1 + 0.2 Z0 + 0.2 Z1"))
    assert metavqe(3, delta=0.5, lam=0.1, periodic=False).allclose(
        pauli("X0 X1 + Y0 Y1 + 0.5 Z0 Z1 + X1 X2 + Y1 Y2 + 0.5 Z1 Z2 + 0.1 Z0 + 0.1 Z1 + 0.1 Z2")
    )


# -- exact references -------------------------------------------------------------------------
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("h", [0.3, 1.0, 2.0])
def test_tfim_closed_form_matches_parity_resolved_ed(periodic, h):
    n = 6
    closed = tfim_exact_energy(n, 1.0, h, periodic)
    ed = ground_state(tfim(n, h=h, periodic=periodic), sector=parity_x(n), sector_value=1.0)
    assert closed == pytest.approx(ed.energy, abs=1e-10)
    if periodic and h == 1.0:
        assert closed == pytest.approx(-2 / math.sin(math.pi / (2 * n)), abs=1e-12)


def test_tfim_reference_state_in_plus_parity_sector():
    p = get_problem("tfim", n=8, h=0.5)  # h < 1: parity doublet split by ~h^N
    ex = p.exact()
    assert ex.method == "closed-form"
    assert ex.sector == "Px = 1"
    psi = ex.state
    P = PauliString(tuple((i, "X") for i in range(8)))
    assert expval_dense(P, psi) == pytest.approx(1.0, abs=1e-10)
    # the HVA from |+>^N stays in P = +1 for any weights
    c = p.ansatz(2)
    w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64)
    assert float(Simulator().expval(c, P, w)) == pytest.approx(1.0, abs=1e-10)


def test_heisenberg_and_j1j2_references():
    assert get_problem("heisenberg", n=4).exact().energy == pytest.approx(-2.0, abs=1e-10)
    ex = get_problem("heisenberg", n=8).exact()
    assert ex.energy == pytest.approx(HEIS8, abs=1e-9)
    assert ex.degeneracy == 1
    mg = get_problem("j1j2", n=8, J2=0.5).exact()
    assert mg.energy == pytest.approx(-3 * 8 / 8, abs=1e-9)
    assert mg.degeneracy == 2  # the two dimer coverings: fidelity is measured in the ground space
    assert get_problem("heisenberg", n=8, units="pauli").exact().energy == pytest.approx(4 * HEIS8, abs=1e-8)


def test_spin_hva_preserves_total_sz():
    p = get_problem("heisenberg", n=6)
    c = p.ansatz(2)
    w = torch.linspace(0.1, 0.9, c.n_weights, dtype=torch.float64)
    assert float(Simulator().expval(c, total_z(6), w)) == pytest.approx(0.0, abs=1e-10)
    assert p.reference is not None
    assert p.reference.n_weights == 0


def test_h2_hamiltonian_matches_pennylane_and_references():
    import pennylane as qp

    p = get_problem("h2", bond_length=0.74)
    assert p.n_wires == 4
    assert p.info["n_electrons"] == 2
    assert p.info["hf_energy"] == pytest.approx(H2_HF, abs=1e-7)
    assert p.exact().energy == pytest.approx(H2_FCI, abs=1e-7)
    # wire order: PennyLane's matrix of its own operator, from the same integrals, equals ours
    coords = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.74])
    mol = qp.qchem.Molecule(["H", "H"], coords, unit="angstrom")
    method = "pyscf" if p.info["integral_source"] == "pyscf" else "dhf"
    op, _ = qp.qchem.molecular_hamiltonian(mol, method=method)
    assert np.allclose(qp.matrix(op, wire_order=range(4)), p.hamiltonian.to_matrix(4), atol=1e-8)
    # the reference (Hartree-Fock) circuit has the HF energy
    assert p.energy(p.reference, None) == pytest.approx(p.info["hf_energy"], abs=1e-12)


def test_molecule_cache_and_lih_active_space():
    H1, _ = molecular_hamiltonian("h2", 0.9)
    H2, _ = molecular_hamiltonian("h2", 0.9)
    assert H1 is H2  # cached per geometry
    p = get_problem("lih", active_orbitals=3)
    assert p.n_wires == 6
    assert p.info["n_electrons"] == 2
    assert p.exact().energy < p.info["hf_energy"] < -7.8
    assert p.ansatz(kind="uccsd").n_weights == 8


def test_initial_weights_are_seeded():
    p = get_problem("tfim", n=6)
    assert torch.equal(p.initial_weights(3), p.initial_weights(3))
    assert not torch.equal(p.initial_weights(3), p.initial_weights(4))
    assert get_problem("h2").initial_weights(5).abs().sum() == 0  # molecules start at Hartree-Fock


def test_problem_label_and_defaults():
    assert get_problem("tfim", n=4, h=0.5).label() == "tfim(n=4, h=0.5)"
    spins_ = {"tfim", "xxz", "heisenberg", "j1j2", "xy", "metavqe"}
    assert set(PROBLEMS) == spins_ | {"h2", "lih", "beh2", "molecule"}
    assert get_problem("TFIM", n=4).name == "tfim"


def test_2d_problem_builds():
    p = get_problem("heisenberg", lattice="square", lx=2, ly=3, periodic=False)
    assert p.n_wires == 6
    assert p.exact().energy < 0
    assert get_problem("tfim", lattice="ladder", n=6).exact().method == "ed"


# -- references beyond exact diagonalisation ----------------------------------------------------
def test_exact_uses_free_fermions_beyond_ed():
    p = get_problem("tfim", n=40, J=-1.0, h=1.3)
    ex = p.exact()
    assert ex.method == "free-fermion"
    assert ex.ground_space is None
    assert ex.state is None
    assert ex.fidelity(np.ones(4)) is None
    assert ex.n_wires == 40
    assert ex.accuracy.startswith("machine precision (free fermions")
    assert ex.sector == "Px = 1"
    assert ex.degeneracy == 1
    assert ex.gap is not None
    assert ex.gap > 0
    assert ex.levels[0] == (ex.energy, 1)
    assert p.exact() is ex  # cached
    msg = "the fidelity needs the exact ground state, but the reference of this 40-qubit problem came"
    with pytest.raises(ValueError, match=msg):
        ex.require_ground_space("the fidelity")
    xy_ex = get_problem("xy", n=30, gamma=0.5, h=0.3, periodic=False).exact()
    assert (xy_ex.method, xy_ex.symmetry) == ("free-fermion", "Pz")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("tfim", {"J": 1.0, "h": 0.5}),
        ("tfim", {"J": -1.0, "h": 0.0}),
        ("xy", {"gamma": 0.5, "h": -0.5}),
        ("xy", {"J": -1.0, "gamma": 0.0, "h": 0.3}),
    ],
)
@pytest.mark.parametrize("periodic", [True, False])
def test_free_fermion_method_equals_ed(name, params, periodic):
    p = get_problem(name, n=9, periodic=periodic, **params)
    ed, ff = p.exact(method="ed"), p.exact(method="free-fermion")
    assert ff.energy == pytest.approx(ed.energy, abs=1e-10)
    assert (ff.degeneracy, ff.gap is None) == (ed.degeneracy, ed.gap is None)
    assert ff.gap == pytest.approx(ed.gap, abs=1e-9)
    if name == "tfim" and params["h"]:  # ED scans Px too (Sz at h = 0; the XY model: Sz at gamma = 0)
        assert ff.sector == ed.sector
        assert sorted(ff.sector_values) == sorted(ed.sector_values)


def test_exact_method_errors():
    with pytest.raises(ValueError, match="unknown exact method 'lanczos'; valid methods: auto, ed, free"):
        get_problem("tfim", n=4).exact(method="lanczos")
    with pytest.raises(ValueError, match="exact diagonalisation stops at 20 qubits, this problem has 30"):
        get_problem("tfim", n=30).exact(method="ed")
    with pytest.raises(ValueError, match="heisenberg on ring\\(8\\) has no free-fermion solution"):
        get_problem("heisenberg", n=8).exact(method="free-fermion")
    with pytest.raises(ValueError, match="has no free-fermion solution"):
        get_problem("tfim", lattice="ladder", n=8).exact(method="free-fermion")
    with pytest.raises(ValueError, match="DMRG cannot hold h2's fixed sector"):
        get_problem("h2").exact(method="dmrg")


@pytest.mark.skipif(importlib.util.find_spec("quimb") is None, reason="needs quimb (qml-circuits[dmrg])")
def test_dmrg_method_equals_ed_on_a_small_chain():
    p = get_problem("j1j2", n=10, J2=0.3, periodic=False)
    ed, dm = p.exact(), p.exact(method="dmrg")
    assert (ed.method, dm.method) == ("ed", "dmrg")
    assert dm.energy == pytest.approx(ed.energy, abs=1e-8)
    assert dm.degeneracy is None
    assert dm.ground_space is None
    assert dm.mps.n_wires == 10
    assert dm.error is not None
    assert dm.error < 1e-7
    assert dm.accuracy.startswith("DMRG (converged)")
    assert abs(np.vdot(ed.state, dm.mps.to_dense().numpy())) ** 2 == pytest.approx(1.0, abs=1e-7)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("quimb") is None, reason="needs quimb (qml-circuits[dmrg])")
def test_exact_uses_dmrg_for_a_40_site_heisenberg_chain():
    p = get_problem("heisenberg", n=40, periodic=False)
    ex = p.exact()
    assert ex.method == "dmrg"
    assert ex.details.converged
    assert ex.mps.n_wires == 40
    # Bethe ansatz: N (1/4 - ln 2) per site plus the surface energy (pi - 1 - 2 ln 2) / 4, up to O(1/N)
    bulk, surface = 0.25 - math.log(2), (math.pi - 1 - 2 * math.log(2)) / 4
    assert ex.energy == pytest.approx(40 * bulk + surface, abs=0.01)
    with pytest.raises(ValueError, match="came from dmrg \\(energy and MPS"):
        ex.require_ground_space("this")


# -- registry errors --------------------------------------------------------------------------
def test_unknown_problem_lists_valid_names():
    msg = "unknown problem 'isng'; valid problems: tfim, xxz, heisenberg, j1j2"
    with pytest.raises(ValueError, match=msg):
        get_problem("isng")


def test_unknown_parameter_lists_valid_parameters():
    msg = "unknown parameter\\(s\\) h for problem 'h2'; valid parameters: bond_length"
    with pytest.raises(ValueError, match=msg):
        get_problem("h2", h=1.0)
    with pytest.raises(ValueError, match="valid parameters: n, lattice, periodic"):
        get_problem("tfim", field=1.0)


@pytest.mark.parametrize("n", [1, 0, 1025, 2.5, True])
def test_bad_sizes(n):
    with pytest.raises(ValueError, match=r"n must be an integer in 2\.\.1024"):
        get_problem("tfim", n=n)


def test_2d_lattices_stop_at_max_sites():
    with pytest.raises(ValueError, match=r"n must be an integer in 2\.\.24"):
        get_problem("tfim", lattice="square", n=25)
    with pytest.raises(ValueError, match="the square has 25 sites; at most 24 are supported"):
        get_problem("tfim", lattice="square", lx=5, ly=5)


def test_too_wide_without_closed_form():
    # 2D: neither free fermions nor DMRG; chains, rings and ladders have a reference at any size
    with pytest.raises(ValueError, match="no exact reference"):
        get_problem("heisenberg", lattice="square", lx=3, ly=7)
    assert get_problem("heisenberg", n=22).one_dimensional


def test_bad_values():
    with pytest.raises(ValueError, match="h must be a finite real number"):
        get_problem("tfim", n=4, h="strong")
    with pytest.raises(ValueError, match="bond_length must be a number of Angstrom"):
        get_problem("h2", bond_length=-1.0)
    with pytest.raises(ValueError, match="unknown lattice 'kagome'; valid choices: chain, ring, ladder"):
        get_problem("tfim", n=4, lattice="kagome")
    with pytest.raises(ValueError, match="unknown ansatz 'qaoa' for problem 'tfim'; valid choices: hva, hea"):
        get_problem("tfim", n=4).ansatz(2, "qaoa")
    with pytest.raises(ValueError, match="layers must be an integer >= 1"):
        get_problem("tfim", n=4).ansatz(0)
    with pytest.raises(ValueError, match="unknown molecule 'h2o'; valid molecules: h2, lih, beh2"):
        molecular_hamiltonian("h2o")


def test_absurd_depths_are_refused_at_once():
    import time

    from qml.problems.problem import MAX_LAYERS

    p = get_problem("tfim", n=4)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="beyond MAX_LAYERS"):
        p.ansatz(100_000_000)
    assert time.perf_counter() - t0 < 1.0
    assert p.ansatz(2).n_weights == 4
    assert MAX_LAYERS >= 1000


def test_per_bond_hva_for_open_heisenberg_chains():
    from qml.optimize import vqe

    p = get_problem("heisenberg", n=8, periodic=False)
    shared, local = p.ansatz(2), p.ansatz(2, "hva-local")
    assert local.name == "hva-local"
    assert (shared.n_weights, local.n_weights) == (4, 14)  # 2 colour classes vs 7 bonds per layer
    assert [op.name for op in local.ops] == [op.name for op in shared.ops]  # same gates, own angles
    a, b = vqe(p, layers=2), vqe(p, ansatz="hva-local", layers=2)
    assert b.rel_error < 0.3 * a.rel_error
    assert b.reachable
