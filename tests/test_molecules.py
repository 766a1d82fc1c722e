"""qml.problems.molecules: geometry parsing, validation, integral sources, wire convention and caching.

Energies against PySCF CASCI / FCI are in ``tests/test_molecules_fci.py``.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from qml.problems import get_problem, molecules
from qml.problems.molecules import (
    MOLECULES,
    clear_cache,
    molecular_hamiltonian,
    molecular_hamiltonian_from,
    parse_geometry,
)

pytest.importorskip("pyscf")

LIH = "Li 0 0 0; H 0 0 1.6"
O2 = "O 0 0 0; O 0 0 1.21"
OH = "O 0 0 0; H 0 0 0.97"


# -- geometry ---------------------------------------------------------------------------------
def test_geometry_forms_agree():
    expected = (("Li", (0.0, 0.0, 0.0)), ("H", (0.0, 0.0, 1.6)))
    assert parse_geometry(LIH) == expected
    assert parse_geometry("li, 0, 0, 0\n H 0 0 1.6;") == expected
    assert parse_geometry([("Li", (0, 0, 0)), ("H", 0, 0, 1.6)]) == expected
    assert parse_geometry([["LI", [0, 0, 0]], ["h", ["0", "0", "1.6"]]]) == expected


@pytest.mark.parametrize(
    ("geometry", "unit", "match"),
    [
        (
            "Xx 0 0 0; H 0 0 1",
            "angstrom",
            r"unknown element 'Xx' in geometry entry 1 'Xx 0 0 0'; expected a "
            r"chemical symbol such as H, Li",
        ),
        ("H 0 0 0; H 0 0", "angstrom", r"geometry entry 2 'H 0 0' must be 'Symbol x y z', e\.g\. 'Li 0 0 0"),
        (
            "H 0 0 0; H 0 0 one",
            "angstrom",
            r"coordinate 'one' in geometry entry 2 'H 0 0 one' is not a number",
        ),
        ([("H", (0, 0, float("nan")))], "angstrom", r"coordinate nan in geometry entry 1 .* is not a finite"),
        ([("H", (0, 0))], "angstrom", r"geometry entry 1 .* must have three coordinates"),
        ([("H",)], "angstrom", r"geometry entry 1 \('H',\) must be \(symbol, \(x, y, z\)\)"),
        (" ; ", "angstrom", r"geometry has no atoms; give at least one"),
        (3.0, "angstrom", r"geometry must be a string like 'Li 0 0 0; H 0 0 1\.6' or a list .*, got float"),
        (
            "H 0 0 0; H 0 0 0",
            "angstrom",
            r"atoms 1 \(H\) and 2 \(H\) are 0 A apart; atoms must be at least "
            r"0\.1 A apart \(check the coordinates and unit='angstrom'\)",
        ),
        ("H 0 0 0; H 0 0 0.15", "bohr", r"atoms 1 \(H\) and 2 \(H\) are 0\.0794 A apart"),
        (LIH, "pm", r"unknown unit 'pm'; valid units: angstrom, bohr"),
    ],
)
def test_geometry_errors(geometry, unit, match):
    with pytest.raises(ValueError, match=match):
        parse_geometry(geometry, unit)


# -- electrons, multiplicity, active space, basis -------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"geometry": "H 0 0 0; H 0 0 0.74", "multiplicity": 2},
            r"H2 has 2 electrons, which cannot have multiplicity 2 \(1 unpaired\); "
            r"valid multiplicities: 1, 3",
        ),
        (
            {"geometry": LIH, "charge": 1},
            r"LiH\+ has 3 electrons, which cannot have multiplicity 1 \(0 unpaired\); "
            r"valid multiplicities: 2, 4",
        ),
        (
            {"geometry": "H 0 0 0", "multiplicity": 4},
            r"H has 1 electron, which cannot have multiplicity 4 \(3 unpaired\); valid multiplicities: 2 ",
        ),
        (
            {"geometry": LIH, "charge": 5},
            r"charge 5 leaves LiH\(5\+\) with -1 electrons; the charge must be "
            r"below the total nuclear charge 4",
        ),
        ({"geometry": LIH, "charge": 0.5}, r"charge must be an integer, got 0\.5"),
        ({"geometry": LIH, "multiplicity": 0}, r"multiplicity must be an integer >= 1, got 0"),
        (
            {"geometry": LIH, "active_electrons": 3},
            r"active_electrons=3 is not possible for LiH \(4 electrons, multiplicity 1\): "
            r"the frozen core holds "
            r"electron pairs and every unpaired electron must be active; valid values: 2, 4",
        ),
        ({"geometry": LIH, "active_electrons": 6}, r"active_electrons=6 is not possible for LiH"),
        ({"geometry": OH, "multiplicity": 2, "active_electrons": 1}, None),  # fine: the unpaired one
        (
            {"geometry": O2, "multiplicity": 3, "active_electrons": 0},
            r"active_electrons must be an integer >= 1",
        ),
        (
            {"geometry": O2, "multiplicity": 3, "active_electrons": 4, "active_orbitals": 2},
            r"active_orbitals=2 cannot hold the 3 active spin-up electrons of O2 in sto-3g; "
            r"use active_orbitals >= 3",
        ),
        (
            {"geometry": LIH, "active_electrons": 2, "active_orbitals": 6},
            r"active_orbitals=6 is more than the 5 orbitals above the frozen core of LiH in sto-3g "
            r"\(6 orbitals, "
            r"1 frozen\); use active_orbitals <= 5",
        ),
        ({"geometry": LIH, "active_orbitals": 0}, r"active_orbitals must be an integer >= 1, got 0"),
        (
            {"geometry": LIH, "basis": "cc-pvdz"},
            r"LiH in cc-pvdz with 19 active orbitals needs 38 qubits, more than the limit of 32; "
            r"choose a smaller "
            r"active space, e.g\. active_orbitals=16",
        ),
        (
            {"geometry": LIH, "basis": "sto-7g"},
            r"basis 'sto-7g' is not available in PySCF for LiH \(.*\); "
            r"use a PySCF basis name such as sto-3g",
        ),
        (
            {"geometry": "I 0 0 0; H 0 0 1.6", "basis": "6-31g"},
            r"basis '6-31g' is not available in PySCF for HI",
        ),
        ({"geometry": LIH, "basis": ""}, r"basis must be a basis set name such as 'sto-3g', got ''"),
        (
            {"geometry": LIH, "source": "psi4"},
            r"unknown source 'psi4'; valid sources: auto, pyscf, pennylane-dhf",
        ),
        (
            {"geometry": OH, "multiplicity": 2, "source": "pennylane-dhf"},
            r"HO in sto-3g: the pennylane-dhf integrals are closed-shell only \(multiplicity 1\)",
        ),
        (
            {"geometry": LIH, "basis": "cc-pvtz", "source": "pennylane-dhf"},
            r"PennyLane's dhf cannot build LiH in basis 'cc-pvtz': Currently, the only supported",
        ),
    ],
)
def test_validation_errors(kwargs, match):
    if match is None:
        _, info = molecular_hamiltonian_from(**kwargs)
        assert (info["n_alpha"], info["n_beta"], info["n_core"]) == (1, 0, 4)
        return
    with pytest.raises(ValueError, match=match):
        molecular_hamiltonian_from(**kwargs)


def test_registry_refuses_molecules_beyond_exact_diagonalisation():
    with pytest.raises(
        ValueError,
        match=r"LiH in 6-31g with 11 active orbitals needs 22 qubits, more than the "
        r"limit of 20",
    ):
        get_problem("molecule", geometry=LIH, basis="6-31g")
    small = get_problem("molecule", geometry=LIH, basis="6-31g", active_electrons=2, active_orbitals=4)
    assert small.n_wires == 8


def test_degenerate_orbitals_cut_by_the_active_space_warn(caplog):
    with caplog.at_level(logging.WARNING, logger="qml.problems.molecules"):
        molecular_hamiltonian("beh2", 1.33, 4, 3)  # keeps one of the two degenerate pi orbitals
    assert "cuts between degenerate orbitals 3 and 4" in caplog.text


def test_missing_pyscf(monkeypatch):
    monkeypatch.setattr(molecules, "_have_pyscf", lambda: False)
    with pytest.raises(
        ModuleNotFoundError,
        match=r"LiH in sto-3g needs PySCF, which is not installed; install "
        r"it with: pip install 'qml-circuits\[chem\]'",
    ) as err:
        molecular_hamiltonian_from(LIH)
    assert err.value.name == "pyscf"  # what the CLI maps to its install hint
    with pytest.raises(ModuleNotFoundError, match=r"qml-circuits\[chem\]"):
        get_problem("molecule", geometry=LIH)
    # the presets fall back to PennyLane's dhf integrals
    H, info = molecular_hamiltonian("h2", 0.8)
    assert info["integral_source"] == "pennylane-dhf"
    monkeypatch.undo()
    H2, info2 = molecular_hamiltonian("h2", 0.8)
    assert info2["integral_source"] == "pyscf"
    assert info["hf_energy"] == pytest.approx(info2["hf_energy"], abs=1e-7)
    assert np.linalg.eigvalsh(H.to_matrix(4)) == pytest.approx(np.linalg.eigvalsh(H2.to_matrix(4)), abs=1e-7)


def test_dhf_fallback_agrees_with_pyscf_to_3e8():
    from qml.ed import spectrum
    from qml.problems.spins import total_z

    energies = {}
    for source in ("pennylane-dhf", "pyscf"):
        H, info = molecular_hamiltonian("beh2", source=source)
        nq, ne = info["n_qubits"], info["n_electrons"]
        assert info["integral_source"] == source
        energies[source] = spectrum(H, nq, 1, sector=total_z(nq), sector_value=float(nq - 2 * ne)).energy
    assert energies["pennylane-dhf"] == pytest.approx(energies["pyscf"], abs=5e-8)  # measured 2.3e-8 Ha


# -- wire convention, Hartree-Fock state, problems -------------------------------------------------
def test_matches_pennylane_with_pyscf_integrals():
    """Our integrals, active space and Jordan-Wigner wires against PennyLane's own ``method="pyscf"`` path."""
    import pennylane as qp

    for name, symbols, r in (("h2", ["H", "H"], 0.74), ("lih", ["Li", "H"], 1.6)):
        H, info = molecular_hamiltonian(name, r)
        mol = qp.qchem.Molecule(symbols, np.array([0.0, 0.0, 0.0, 0.0, 0.0, r]), unit="angstrom")
        ae, ao = MOLECULES[name]["active"]
        op, n = qp.qchem.molecular_hamiltonian(mol, method="pyscf", active_electrons=ae, active_orbitals=ao)
        assert n == info["n_qubits"]
        assert np.allclose(qp.matrix(op, wire_order=range(n)), H.to_matrix(n), atol=1e-8)


@pytest.mark.parametrize(
    ("geometry", "kwargs", "occupation", "alpha_beta", "ansatze"),
    [
        (LIH, {"active_electrons": 2, "active_orbitals": 5}, [0, 1], (1, 1), ("asd", "uccsd")),
        (
            OH,
            {"multiplicity": 2, "active_electrons": 7, "active_orbitals": 5},
            list(range(7)),
            (4, 3),
            ("asd", "uccsd"),
        ),
        (
            O2,
            {"multiplicity": 3, "active_electrons": 8, "active_orbitals": 6},
            [0, 1, 2, 3, 4, 5, 6, 8],
            (5, 3),
            ("asd",),
        ),
    ],
    ids=["lih", "oh-doublet", "o2-triplet"],
)
def test_hartree_fock_state_and_problem(geometry, kwargs, occupation, alpha_beta, ansatze):
    from qml.problems.spins import total_z

    p = get_problem("molecule", geometry=geometry, **kwargs)
    info = p.info
    nq, ne = info["n_qubits"], info["n_electrons"]
    assert info["hf_occupation"] == occupation
    assert (info["n_alpha"], info["n_beta"]) == alpha_beta
    assert info["hf_energy"] == pytest.approx(info["scf_energy"], abs=1e-9)  # the RHF / ROHF determinant
    assert p.energy(p.reference, None) == pytest.approx(info["hf_energy"], abs=1e-9)
    assert p.sector_value == nq - 2 * ne
    assert p.ansatz_names == ansatze
    # the reference has the sector's total Z and the spin projection (n_alpha - n_beta) / 2
    up = sum(1 for w in occupation if w % 2 == 0)
    assert (up - (ne - up)) / 2 == (alpha_beta[0] - alpha_beta[1]) / 2
    assert _z_of(total_z(nq), occupation) == p.sector_value
    c = p.ansatz()
    assert p.energy(c, p.initial_weights()) == pytest.approx(info["hf_energy"], abs=1e-9)
    assert p.exact().energy < info["hf_energy"]


def _z_of(op, occupied):
    return sum(c.real * (-1) ** sum(w in occupied for w, _ in s.ops) for c, s in op.terms)


def test_molecule_problem_from_cli_style_parameters():
    from qml.apps.cli import parse_assignments

    params = parse_assignments(
        [
            "geometry=Li 0 0 0; H 0 0 1.6",
            "basis=sto-3g",
            "charge=0",
            "multiplicity=1",
            "active_electrons=2",
            "active_orbitals=5",
        ],
        "--param",
        "geometry=H 0 0 0; H 0 0 0.74",
    )
    p = get_problem("molecule", **params)
    assert p.exact().energy == pytest.approx(get_problem("lih").exact().energy, abs=1e-10)
    assert "LiH sto-3g singlet" in p.description
    assert "geometry 'Li 0 0 0; H 0 0 1.6' (angstrom)" in p.description
    assert p.label().startswith("molecule(geometry=Li 0 0 0; H 0 0 1.6, ")
    h2 = get_problem("molecule")
    assert h2.n_wires == 4
    assert h2.label() == "molecule(geometry=H 0 0 0; H 0 0 0.74)"


def test_beh2_preset():
    p = get_problem("beh2")
    assert p.n_wires == 12
    assert p.info["active_space"] == [4, 6]
    assert p.info["bond_length"] == MOLECULES["beh2"]["bond_length"] == 1.33
    assert p.description.startswith("BeH2 STO-3G (Jordan-Wigner, pyscf integrals), R=1.33 A, 4 electrons")
    assert p.label() == "beh2(bond_length=1.33)"
    assert p.exact().energy < p.info["hf_energy"] < -15.5


# -- caching ---------------------------------------------------------------------------------------
def test_cache_in_memory_keys_on_everything():
    H1, _ = molecular_hamiltonian_from(LIH, active_electrons=2, active_orbitals=3)
    H2, _ = molecular_hamiltonian_from(
        [("Li", (0, 0, 0)), ("H", (0, 0, 1.6))], "STO-3G", active_electrons=2, active_orbitals=3
    )
    assert H1 is H2
    H3, _ = molecular_hamiltonian_from(LIH, active_electrons=2, active_orbitals=4)
    H4, info4 = molecular_hamiltonian_from(LIH, "6-31g", active_electrons=2, active_orbitals=3)
    H5, info5 = molecular_hamiltonian_from(
        "Li 0 0 0; H 0 0 3.0236", active_electrons=2, active_orbitals=3, unit="bohr"
    )
    assert all(h is not H1 for h in (H3, H4, H5))
    assert info4["basis"] == "6-31g"
    assert info5["unit"] == "bohr"
    lih_1_6 = molecular_hamiltonian_from(LIH)[1]["hf_energy"]
    assert abs(info5["hf_energy"] - lih_1_6) < 1e-4  # 3.0236 bohr = 1.6 A


def test_disk_cache_round_trip(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("QML_CACHE_DIR", str(tmp_path))
    geometry = "H 0 0 0; H 0 0 0.74; H 0.64 0 0.37"
    clear_cache()
    H, info = molecular_hamiltonian_from(geometry, charge=1)
    files = list(tmp_path.glob("molecule-H3+-*.json"))
    assert len(files) == 1
    clear_cache()

    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt instead of read from the disk cache")

    monkeypatch.setattr(molecules, "_from_pyscf", no_build)
    H2, info2 = molecular_hamiltonian_from(geometry, charge=1)
    assert H2.to_json() == H.to_json()
    assert info2 == info
    # a corrupt file is rebuilt with a warning
    files[0].write_text("{not json")
    clear_cache()
    monkeypatch.undo()
    monkeypatch.setenv("QML_CACHE_DIR", str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="qml.problems.molecules"):
        H3, _ = molecular_hamiltonian_from(geometry, charge=1)
    assert "ignoring the unreadable molecule cache" in caplog.text
    # rebuilt by PySCF: its threaded sums may differ in the last bits
    assert [t for _, t in H3.to_json()] == [t for _, t in H.to_json()]
    np.testing.assert_allclose([c for c, _ in H3.to_json()], [c for c, _ in H.to_json()], atol=1e-12)
    assert json.loads(files[0].read_text())["info"]["molecule"] == "H3+"
