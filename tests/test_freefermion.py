"""Free-fermion references (qml.freefermion) against dense exact diagonalisation of the registry's models.

Every constant of the grid in both signs, open chains and rings, odd and even lengths, fields
below, at and above the critical value and zero (degenerate levels): the energy, the
degeneracy of the ground level, the gap and the parity of each ground state must equal those
of ``numpy.linalg.eigh`` on ``PauliSum.to_matrix`` (the registry's own Hamiltonian).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from qml.freefermion import (
    FreeFermionResult,
    free_chain,
    free_chain_correlations,
    tfim_correlations,
    tfim_ground,
    xy_correlations,
    xy_ground,
)
from qml.paulis import PauliString, PauliSum
from qml.problems.spins import tfim, tfim_exact_energy, xy

JS = (1.0, -1.0)
HS = (0.0, 0.3, 1.0, 1.7, -0.5)
GAMMAS = (0.0, 0.5, 1.0)
LEVEL_TOL = 1e-8


def _ed(H: PauliSum, n: int, parity: str) -> dict:
    """Energy, degeneracy, gap, first excited degeneracy and ground-state parities by dense ED."""
    ev, vec = np.linalg.eigh(H.to_matrix(n))
    e0 = ev[0]
    ground = ev - e0 <= LEVEL_TOL * max(1.0, abs(e0))
    above = ev[~ground]
    space = vec[:, ground]
    p = PauliString(tuple((i, parity) for i in range(n))).to_matrix(n)
    values = np.linalg.eigvalsh(space.conj().T @ p @ space)
    out = {"energy": e0, "degeneracy": int(ground.sum()), "parities": sorted(np.round(values).astype(int))}
    out["gap"] = float(above[0] - e0) if above.size else None
    if above.size:
        out["excited"] = int(np.sum(np.abs(ev - above[0]) <= LEVEL_TOL * max(1.0, abs(above[0]))))
    return out


def _check(res: FreeFermionResult, ed: dict) -> None:
    assert res.energy == pytest.approx(ed["energy"], abs=1e-10)
    assert res.degeneracy == ed["degeneracy"]
    assert sorted(int(v) for v in res.sector_values) == ed["parities"]
    if ed["gap"] is None:
        assert res.gap is None
    else:
        assert res.gap == pytest.approx(ed["gap"], abs=1e-9)
        assert res.levels[1][1] == ed["excited"]


def _sizes(low: int, high: int, periodic: bool) -> list[int]:
    return [n for n in range(max(low, 3 if periodic else 2), high + 1)]


# -- energies, degeneracies, gaps, parities against ED --------------------------------------------
@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("J", JS)
@pytest.mark.parametrize("h", HS)
def test_tfim_matches_ed_small(periodic, J, h):
    for n in _sizes(2, 9, periodic):
        res = tfim_ground(n, J=J, h=h, periodic=periodic)
        _check(res, _ed(tfim(n, J=J, h=h, periodic=periodic), n, "X"))
        assert res.symmetry == "Px"


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("J", JS)
def test_xy_matches_ed_small(periodic, gamma, J):
    for n in _sizes(2, 8, periodic):
        for h in HS:
            res = xy_ground(n, J=J, gamma=gamma, h=h, periodic=periodic)
            _check(res, _ed(xy(n, J=J, gamma=gamma, h=h, periodic=periodic), n, "Z"))


@pytest.mark.parametrize("n", [10, 11, 12])
def test_tfim_and_xy_energies_match_lanczos_up_to_12_sites(n):
    import scipy.sparse.linalg as spla

    v0 = np.random.default_rng(0).normal(size=1 << n)
    for periodic in (False, True):
        for J in JS:
            for h in HS:
                models = [(tfim_ground(n, J=J, h=h, periodic=periodic), tfim(n, J=J, h=h, periodic=periodic))]
                models += [
                    (
                        xy_ground(n, J=J, gamma=g, h=h, periodic=periodic),
                        xy(n, J=J, gamma=g, h=h, periodic=periodic),
                    )
                    for g in GAMMAS
                ]
                for res, H in models:
                    e0 = spla.eigsh(H.to_sparse(n), k=4, which="SA", ncv=40, v0=v0, tol=1e-13)[0].min()
                    assert res.energy == pytest.approx(e0, abs=1e-10)


def test_spin_units_scale_as_the_registry():
    n = 7
    res = tfim_ground(n, J=0.8, h=1.3, periodic=True, units="spin")
    assert res.energy == pytest.approx(np.linalg.eigvalsh(tfim(n, J=0.8, h=1.3, units="spin").to_matrix())[0])
    res = xy_ground(n, J=-0.7, gamma=0.4, h=0.9, periodic=False, units="spin")
    H = xy(n, J=-0.7, gamma=0.4, h=0.9, periodic=False, units="spin")
    assert res.energy == pytest.approx(np.linalg.eigvalsh(H.to_matrix())[0], abs=1e-12)


def test_agrees_with_the_existing_closed_form():
    for n in (5, 6, 31, 64):
        for periodic in (False, True):
            for h in (0.2, 1.0, 3.0):
                want = tfim_exact_energy(n, 1.0, h, periodic)
                assert tfim_ground(n, J=1.0, h=h, periodic=periodic).energy == pytest.approx(want, abs=1e-9)


# -- known degenerate cases -----------------------------------------------------------------------
def test_degenerate_cases():
    r = tfim_ground(6, J=1.0, h=0.0, periodic=True)  # the two polarised states
    assert (r.energy, r.degeneracy, r.sector, r.parity) == (-6.0, 2, "Px in {-1, 1}", None)
    r = tfim_ground(7, J=-1.0, h=0.0, periodic=True)  # frustrated odd ring: one domain wall anywhere
    assert (r.energy, r.degeneracy) == (-5.0, 14)
    r = tfim_ground(40, J=1.0, h=0.5, periodic=True)  # the doublet splits by ~ 0.5^40: degenerate at 1e-8
    assert r.degeneracy == 2
    assert r.sector_energies[1] <= r.sector_energies[-1]
    assert tfim_ground(8, J=1.0, h=-0.5, periodic=False).sector == "Px = 1"  # (-1)^8
    assert tfim_ground(7, J=1.0, h=-0.5, periodic=False).sector == "Px = -1"


def test_thermodynamic_limit_at_the_critical_point():
    # e0 = -4/pi per site for -J ZZ - h X at J = h = 1 (Pauli units); 1/N^2 corrections on a ring
    e = tfim_ground(1000, J=1.0, h=1.0, periodic=True).energy_per_site
    assert e == pytest.approx(-4 / math.pi, abs=1e-6)
    assert tfim_ground(64, J=1.0, h=1.0, periodic=True).energy == pytest.approx(-2 / math.sin(math.pi / 128))
    # the critical gap closes as 2 pi v x / N: velocity v = 2, spin field dimension x = 1/8
    r = tfim_ground(1000, J=1.0, h=1.0, periodic=True)
    assert r.gap == pytest.approx(2 * math.pi * 2 / 8 / 1000, rel=1e-3)


def test_large_sizes_are_fast():
    t = time.perf_counter()
    tfim_ground(1000, J=1.0, h=0.7, periodic=True)
    xy_ground(1000, gamma=0.3, h=0.4, periodic=False)
    assert time.perf_counter() - t < 5.0


def test_ring_momentum_form_matches_the_dense_sector_matrices():
    from qml.freefermion import _bdg, _dense_sector, _momentum_sector

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(3, 25))
        xx, yy, z = rng.normal(size=3)
        for p in (1, -1):
            a, b = _momentum_sector(n, xx, yy, z, p), _dense_sector(_bdg(n, xx, yy, z, -p))
            assert np.allclose(a.modes, b.modes, atol=1e-10)
            assert a.vacuum_parity == b.vacuum_parity
            assert a.vacuum == pytest.approx(b.vacuum, abs=1e-10)


def test_open_chain_banded_form_matches_the_dense_matrix():
    from qml.freefermion import _banded_sector, _bdg, _dense_sector

    rng = np.random.default_rng(1)
    for t in range(200):
        n = int(rng.integers(2, 30))
        xx, yy, z = rng.normal(size=3)
        z = 0.0 if t % 4 == 0 else z  # zero diagonal: LU needs its pivoting
        yy = xx if t % 5 == 0 else yy
        a, b = _banded_sector(n, xx, yy, z), _dense_sector(_bdg(n, xx, yy, z, 0.0))
        assert np.allclose(a.modes, b.modes, atol=1e-10)
        assert a.vacuum == pytest.approx(b.vacuum, abs=1e-10)
        if b.modes[0] > 1e-8:
            assert a.vacuum_parity == b.vacuum_parity


# -- correlations ---------------------------------------------------------------------------------
def _one_and_two_point(H: PauliSum, n: int, one: str, two: str) -> tuple[np.ndarray, np.ndarray]:
    _, vec = np.linalg.eigh(H.to_matrix(n))
    psi = vec[:, 0]

    def ev(s: PauliString) -> float:
        return float(np.vdot(psi, s.to_matrix(n) @ psi).real)

    field = np.array([ev(PauliString(((i, one),))) for i in range(n)])
    corr = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            corr[i, j] = corr[j, i] = ev(PauliString(((i, two), (j, two))))
    return field, corr


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize(("J", "h"), [(1.0, 0.3), (1.0, 1.7), (-1.0, 1.0), (1.0, -0.5)])
def test_tfim_correlations_match_ed(periodic, J, h):
    for n in (5, 6, 8):
        res = tfim_ground(n, J=J, h=h, periodic=periodic)
        if res.degeneracy != 1:
            continue
        c = tfim_correlations(n, J=J, h=h, periodic=periodic)
        field, corr = _one_and_two_point(tfim(n, J=J, h=h, periodic=periodic), n, "X", "Z")
        assert np.allclose(c.field, field, atol=1e-9)
        assert np.allclose(c.coupling, corr, atol=1e-9)


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize(
    ("J", "gamma", "h"), [(1.0, 0.5, 0.3), (-1.0, 1.0, 1.7), (1.0, 0.0, 0.3), (1.0, 0.5, -0.5)]
)
def test_xy_correlations_match_ed(periodic, J, gamma, h):
    checked = 0
    for n in (5, 6, 7):
        if xy_ground(n, J=J, gamma=gamma, h=h, periodic=periodic).degeneracy != 1:
            continue
        c = xy_correlations(n, J=J, gamma=gamma, h=h, periodic=periodic)
        field, corr = _one_and_two_point(xy(n, J=J, gamma=gamma, h=h, periodic=periodic), n, "Z", "X")
        assert np.allclose(c.field, field, atol=1e-9)
        assert np.allclose(c.coupling, corr, atol=1e-9)
        checked += 1
    assert checked


def test_correlations_of_a_degenerate_level_are_refused():
    with pytest.raises(ValueError, match="the ground level is 2-fold degenerate"):
        tfim_correlations(6, J=1.0, h=0.0, periodic=False)


# -- validation -----------------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be an integer >= 3 for a ring"):
        tfim_ground(2, periodic=True)
    with pytest.raises(ValueError, match="n must be an integer >= 1 for an open chain"):
        xy_ground(0, periodic=False)
    with pytest.raises(ValueError, match="h must be a finite real number"):
        tfim_ground(4, h=float("nan"))
    with pytest.raises(ValueError, match="unknown units 'si'"):
        xy_ground(4, units="si")
    with pytest.raises(ValueError, match="periodic must be true or false"):
        free_chain(4, periodic=1)
    with pytest.raises(ValueError, match="xx must be a finite real number"):
        free_chain_correlations(4, xx="1")
