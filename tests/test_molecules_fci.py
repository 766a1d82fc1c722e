"""Molecules at stretched geometries against PySCF FCI / CASCI (an independent quantum-chemistry code)."""

from __future__ import annotations

import pytest

from qml.problems import get_problem

pyscf = pytest.importorskip("pyscf")


@pytest.mark.parametrize("bond_length", [0.5, 0.74, 1.5, 2.5, 4.0])
def test_h2_exact_matches_pyscf_fci(bond_length):
    from pyscf import fci, gto, scf

    mol = gto.M(atom=f"H 0 0 0; H 0 0 {bond_length}", basis="sto-3g", unit="Angstrom", verbose=0)
    e_fci = fci.FCI(scf.RHF(mol).run()).kernel()[0]
    ex = get_problem("h2", bond_length=bond_length).exact()
    assert ex.energy == pytest.approx(e_fci, abs=1e-8)  # PennyLane's and PySCF's integrals agree to ~2e-9
    assert ex.ground_space.shape[1] == ex.degeneracy


@pytest.mark.slow
@pytest.mark.parametrize("bond_length", [1.6, 2.5, 3.5])
def test_lih_active_space_matches_pyscf_casci(bond_length):
    from pyscf import gto, mcscf, scf

    mol = gto.M(atom=f"Li 0 0 0; H 0 0 {bond_length}", basis="sto-3g", unit="Angstrom", verbose=0)
    e_cas = mcscf.CASCI(scf.RHF(mol).run(), 5, 2).kernel()[0]  # frozen Li 1s, 2 electrons in 5 orbitals
    ex = get_problem("lih", bond_length=bond_length).exact()
    assert ex.energy == pytest.approx(e_cas, abs=1e-7)  # measured differences 1.5-3.1e-8 Ha
