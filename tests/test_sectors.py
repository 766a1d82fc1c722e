"""Family symmetries, the family ansatz and the sector scan, against dense references built here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml.models.conditional import HamiltonianFamily
from qml.models.sectors import exact_crossings, family_ansatz, family_symmetry, scan_sectors, sector_values
from qml.sim.simulator import Simulator
from qml.symmetry import conserved_quantities
from tests.dense import dense_xxz


def _sector_energies_dense(H: np.ndarray, n: int) -> dict[float, float]:
    """Lowest eigenvalue in each total-Sz sector: diagonal Sz in the computational basis (wire 0 high bit)."""
    sz = np.array([sum(0.5 - ((b >> (n - 1 - w)) & 1) for w in range(n)) for b in range(2**n)])
    out = {}
    for v in np.unique(sz):
        idx = np.flatnonzero(sz == v)
        out[float(v)] = float(np.linalg.eigvalsh(H[np.ix_(idx, idx)])[0])
    return out


@pytest.mark.parametrize(
    ("problem", "param", "fixed", "name"),
    [
        ("tfim", "h", {"n": 4}, "Px"),
        ("xxz", "delta", {"n": 4}, "Sz"),
        ("heisenberg", "h", {"n": 4}, "Sz"),
        ("j1j2", "J2", {"n": 4}, "Sz"),
        ("xy", "h", {"n": 4, "gamma": 0.5}, "Pz"),
        ("tfim", "J", {"n": 4, "h": 0.7}, "Px"),
    ],
)
def test_family_symmetry(problem, param, fixed, name):
    fam = HamiltonianFamily.from_problem(problem, param, **fixed)
    assert family_symmetry(fam).name == name


@pytest.mark.parametrize("n", [4, 5])
@pytest.mark.parametrize("periodic", [True, False])
def test_family_ansatz_stays_in_every_sector(n, periodic):
    fam = HamiltonianFamily.from_problem("xxz", "delta", n=n, periodic=periodic)
    for v in sector_values(fam):
        c = family_ansatz(fam, 2, v)
        assert conserved_quantities(c)["Sz"] == pytest.approx(v)


@pytest.mark.parametrize("value", [1.0, -1.0])
def test_family_ansatz_parity_sectors(value):
    fam = HamiltonianFamily.from_problem("tfim", "h", n=5, periodic=False)
    assert conserved_quantities(family_ansatz(fam, 2, value))["Px"] == pytest.approx(value)
    fam = HamiltonianFamily.from_problem("xy", "h", n=4, gamma=0.5)
    assert conserved_quantities(family_ansatz(fam, 2, value))["Pz"] == pytest.approx(value)


def test_family_ansatz_keeps_terms_apart_and_reaches_anisotropic_ground_state():
    """XXZ over Delta: the SU(2) HVA holds only singlets; the family ansatz rotates XX+YY and ZZ apart."""
    from qml.optimize import vqe

    fam = HamiltonianFamily.from_problem("xxz", "delta", n=6)
    prob = fam.problem_at(-0.5)
    E0 = float(np.linalg.eigvalsh(dense_xxz(6, 1.0, -0.5, True))[0])
    assert prob.exact().energy == pytest.approx(E0, abs=1e-10)
    ours = vqe(prob, "lbfgs", 300, ansatz=family_ansatz(fam, 3, 0.0), exact=False, log_every=10**9)
    su2 = vqe(prob, "lbfgs", 300, ansatz=fam.ansatz(3), exact=False, log_every=10**9)  # built at Delta = 1
    assert abs(ours.energy - E0) < 1e-3 * abs(E0)
    assert ours.energy < su2.energy - 1e-3


def test_family_ansatz_errors():
    fam = HamiltonianFamily.from_problem("xxz", "delta", n=4)
    with pytest.raises(ValueError, match="not a sector of this family"):
        family_ansatz(fam, 1, 0.5)
    with pytest.raises(ValueError, match="layers must be an integer"):
        family_ansatz(fam, 0, 0.0)


@pytest.mark.parametrize(("n", "periodic"), [(6, True), (5, False), (6, False)])
@pytest.mark.parametrize("J", [1.0, -1.0])
def test_scan_matches_dense_sector_energies(n, periodic, J):
    fam = HamiltonianFamily.from_problem("xxz", "h", n=n, periodic=periodic, J=J, delta=0.7)
    lams = [0.0, 0.8, 3.0]
    scan = scan_sectors(fam, lams)
    for t, h in enumerate(lams):
        ref = _sector_energies_dense(dense_xxz(n, J, 0.7, periodic, h=h), n)
        got = dict(zip(scan.values, scan.energies[t]))
        for v, e in ref.items():
            assert got[v] == pytest.approx(e, abs=1e-9)
        low = min(ref.values())
        assert scan.ground[t] == sorted(v for v, e in ref.items() if e <= low + 1e-8 * max(1, abs(low)))


def test_scan_fills_plateaus_between_training_points():
    fam = HamiltonianFamily.from_problem("heisenberg", "h", n=6)
    scan = scan_sectors(fam, [0.0, 3.0])  # singlet, then saturated: every plateau in between is a branch
    assert scan.ground == [[0.0], [-3.0]]
    assert scan.branches == [-3.0, -2.0, -1.0, 0.0]


def test_scan_without_symmetry_has_one_branch():
    from qml.paulis import pauli

    fam = HamiltonianFamily(pauli("X0 + Z0 Z1"), (pauli("Y0 Y1 + X0 Z1"),), ("g",), 2)
    scan = scan_sectors(fam, [0.0, 1.0])
    assert scan.symmetry is None
    assert scan.branches == [None]
    assert scan.label(None) == "all"


def test_exact_crossings_heisenberg_ring4_closed_form():
    """N=4 ring J S.S: S=0 at -2, S=1 at -1, S=2 at +1; a field h Sz crosses at h = 1 and h = 2."""
    fam = HamiltonianFamily.from_problem("heisenberg", "h", n=4)
    cs = exact_crossings(fam, 0.0, 3.0, sector_values(fam))
    assert [round(c["lambda"], 6) for c in cs] == [1.0, 2.0]
    assert [(c["from"], c["to"]) for c in cs] == [(0.0, -1.0), (-1.0, -2.0)]


def test_family_ansatz_state_is_normalised_product_in_sector():
    fam = HamiltonianFamily.from_problem("heisenberg", "h", n=4)
    c = family_ansatz(fam, 1, -2.0)  # fully polarised down: all gates act trivially
    psi = Simulator().state(c, torch.zeros(c.n_weights, dtype=torch.float64))
    assert abs(psi[-1]) == pytest.approx(1.0)
