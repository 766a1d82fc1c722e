"""Held-out physics suite: every registered spin model's ``exact()`` against an independent dense ED.

The reference Hamiltonians are written here from the textbook definitions with 2x2 Pauli
matrices and ``numpy.kron`` (wire 0 = leftmost factor = most significant bit), in the
conventions documented in :mod:`qml.problems.spins`:

* ``tfim``: ``-J sum ZZ - h sum X`` (Pauli units by default);
* ``xxz``: ``J sum (SxSx + SySy + Delta SzSz) + h sum Sz`` (spin units, ``S = sigma/2``);
* ``heisenberg``: ``J sum S.S`` (spin units);
* ``j1j2``: ``J1 sum_nn S.S + J2 sum_nnn S.S`` (spin units);
* ``xy``: ``J sum [(1+g)/2 XX + (1-g)/2 YY] + h sum Z`` (Pauli units);
* ``metavqe``: ``sum (XX + YY + Delta ZZ) + lambda sum Z`` (Pauli units).

``units="spin"`` means every single-site matrix is ``sigma/2``; ``units="pauli"`` means
``sigma`` itself. Chain and ring bonds are written here (``periodic=False``: open chain);
only the 2D geometries (ladder, square, triangular) take their bonds from
:mod:`qml.problems.lattice`. The reference is the full spectrum (``numpy.linalg.eigvalsh``
of all ``2^N`` levels): the ground energy ``E0`` is the lowest eigenvalue, the ground-space
dimension the number of eigenvalues within ``1e-8 * max(1, |E0|)`` of it.

The grid covers both signs of every coupling, both boundaries, even and odd sizes
(``N = 4..10``), fields below, at and above saturation, the ferromagnetic XXZ regime
``J Delta < -|J|``, frustrated odd rings and highly degenerate levels.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from qml.problems import PROBLEMS, get_problem
from qml.problems.lattice import make_lattice

# -- the independent reference ---------------------------------------------------------------
_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_SIGMA = {"X": _X, "Y": _Y, "Z": _Z}

#: Degeneracy tolerance of the reference (relative to max(1, |E0|)), as in the issue.
DEG_TOL = 1e-8
#: A case is well posed when the first level above the ground space is this many tolerances up.
WELL_POSED = 100.0


def _op(n: int, factors: dict[int, np.ndarray]) -> np.ndarray:
    """``kron`` of single-site matrices over wires ``0..n-1`` (identity elsewhere; wire 0 leftmost)."""
    out = np.ones((1, 1), dtype=complex)
    for w in range(n):
        out = np.kron(out, factors.get(w, _I))
    return out


def chain_bonds(n: int, periodic: bool, distance: int = 1) -> list[tuple[int, int]]:
    """Pairs ``(i, i + distance)`` of a chain; on a ring modulo ``n``, each pair once."""
    last = n if periodic else n - distance
    return sorted({tuple(sorted((i, (i + distance) % n))) for i in range(last)})


@dataclass(frozen=True)
class Case:
    """One grid point: the registry name and the keyword arguments of ``get_problem``."""

    model: str
    kwargs: tuple[tuple[str, Any], ...]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.kwargs)

    def value(self, key: str) -> Any:
        """The parameter, or the registry default when the case does not set it."""
        return self.params.get(key, PROBLEMS[self.model].defaults[key])

    def geometry(self) -> tuple[int, list[tuple[int, int]], list[tuple[int, int]]]:
        """(number of sites, nn bonds, nnn bonds)."""
        lattice = self.value("lattice")
        periodic = self.value("periodic")
        if lattice == "chain":
            n = self.value("n")
            return n, chain_bonds(n, periodic, 1), chain_bonds(n, periodic, 2)
        lat = make_lattice(lattice, lx=self.value("lx"), ly=self.value("ly"), periodic=periodic)
        return lat.n_sites, lat.bonds("nn"), lat.bonds("nnn")

    @property
    def id(self) -> str:
        p = self.params
        lattice = p.pop("lattice", "chain")
        periodic = p.pop("periodic", True)
        if lattice == "chain":
            where = f"{'ring' if periodic else 'open'}{p.pop('n')}"
        else:
            size = "x".join(str(p.pop(k)) for k in ("lx", "ly") if k in p)
            where = f"{lattice}{size}{'-pbc' if periodic else ''}"
        rest = "-".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p.items())
        return "-".join(s for s in (self.model, where, rest) if s)


def reference_hamiltonian(case: Case) -> np.ndarray:
    """Dense ``2^N x 2^N`` Hamiltonian of ``case`` from the textbook definition (complex)."""
    n, nn, nnn = case.geometry()
    s = 0.5 if case.value("units") == "spin" else 1.0  # S = sigma/2 or sigma
    sig = {a: s * m for a, m in _SIGMA.items()}

    def two(bonds: list[tuple[int, int]], coeffs: dict[str, float]) -> np.ndarray:
        h = np.zeros((2**n, 2**n), dtype=complex)
        for i, j in bonds:
            for a, c in coeffs.items():
                if c:
                    h += c * _op(n, {i: sig[a], j: sig[a]})
        return h

    def one(a: str, c: float) -> np.ndarray:
        h = np.zeros((2**n, 2**n), dtype=complex)
        if c:
            for i in range(n):
                h += c * _op(n, {i: sig[a]})
        return h

    m = case.model
    if m == "tfim":
        J, h = case.value("J"), case.value("h")
        return two(nn, {"Z": -J}) + one("X", -h)
    if m == "xxz":
        J, d, h = case.value("J"), case.value("delta"), case.value("h")
        return two(nn, {"X": J, "Y": J, "Z": J * d}) + one("Z", h)
    if m == "heisenberg":
        J = case.value("J")
        return two(nn, {"X": J, "Y": J, "Z": J})
    if m == "j1j2":
        J1, J2 = case.value("J1"), case.value("J2")
        return two(nn, {"X": J1, "Y": J1, "Z": J1}) + two(nnn, {"X": J2, "Y": J2, "Z": J2})
    if m == "xy":
        J, g, h = case.value("J"), case.value("gamma"), case.value("h")
        return two(nn, {"X": J * (1 + g) / 2, "Y": J * (1 - g) / 2}) + one("Z", h)
    if m == "metavqe":
        d, lam = case.value("delta"), case.value("lam")
        return two(nn, {"X": 1.0, "Y": 1.0, "Z": d}) + one("Z", lam)
    raise AssertionError(f"no reference for model {m!r}")


@functools.cache
def reference(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """(real symmetric H, all eigenvalues ascending), cached per case."""
    H = reference_hamiltonian(case)
    assert np.abs(H.imag).max() == 0.0  # YY is real: these models are real symmetric
    H = np.ascontiguousarray(H.real)
    np.testing.assert_allclose(H, H.T, atol=0)
    return H, np.linalg.eigvalsh(H)


def ground_level(evals: np.ndarray) -> tuple[float, int, float]:
    """(E0, ground-space dimension, tolerance) of a full ascending spectrum."""
    e0 = float(evals[0])
    tol = DEG_TOL * max(1.0, abs(e0))
    return e0, int(np.sum(evals - e0 <= tol)), tol


# -- the grid -------------------------------------------------------------------------------
def _chain(model: str, n: int, periodic: bool, **params: Any) -> Case:
    return Case(model, (("n", n), ("periodic", periodic), *params.items()))


def _lat(model: str, lattice: str, lx: int, ly: int | None, periodic: bool, **params: Any) -> Case:
    geo: tuple[tuple[str, Any], ...] = (("lattice", lattice), ("lx", lx))
    if ly is not None:
        geo += (("ly", ly),)
    return Case(model, (*geo, ("periodic", periodic), *params.items()))


BOUNDARIES = (True, False)
DELTAS = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)


def _grid() -> list[Case]:
    cases: list[Case] = []
    add = cases.append

    # TFIM (Pauli units): ferro/antiferro, fields of both signs, at 0, below/at/above h = |J|.
    for J in (1.0, -1.0):
        for h in (-1.5, -0.5, 0.0, 0.3, 1.0, 2.0):
            for periodic in BOUNDARIES:
                for n in (5, 6):
                    add(_chain("tfim", n, periodic, J=J, h=h))
    add(_chain("tfim", 4, True, J=1.0, h=0.3))
    add(_chain("tfim", 4, True, J=-1.0, h=0.0))
    add(_chain("tfim", 7, True, J=-1.0, h=0.3))
    add(_chain("tfim", 7, False, J=1.0, h=0.0))
    add(_chain("tfim", 8, True, J=1.0, h=2.0))
    add(_chain("tfim", 8, False, J=-1.0, h=1.0))
    add(_chain("tfim", 9, True, J=-1.0, h=1.0))
    add(_chain("tfim", 9, False, J=-1.0, h=-0.5))
    add(_chain("tfim", 10, True, J=1.0, h=1.0))
    add(_chain("tfim", 10, False, J=1.0, h=0.5))
    add(_chain("tfim", 6, True, J=1.0, h=0.5, units="spin"))
    add(_chain("tfim", 5, True, J=-1.0, h=1.0, units="spin"))

    # XXZ (spin units): every Delta, both signs of J, fields 0 / below / at / above saturation.
    k = 0
    for J in (1.0, -1.0):
        for delta in DELTAS:
            for h in (0.0, 0.5, 1.5, 3.0):
                for periodic in BOUNDARIES:
                    sizes = ((4, 6, 8)[k % 3], (5, 7)[k % 2]) if h == 0.0 else ((4, 5, 6, 7, 8)[k % 5],)
                    k += 1
                    for n in sizes:
                        add(_chain("xxz", n, periodic, J=J, delta=delta, h=h))
    add(_chain("xxz", 8, True, J=1.0, delta=-1.5, h=0.0))  # README: E0 = -3.0, 2-fold
    add(_chain("xxz", 8, False, J=1.0, delta=-2.0, h=0.0))
    add(_chain("xxz", 7, True, J=1.0, delta=1.0, h=0.0))  # 4-fold
    add(_chain("xxz", 9, True, J=1.0, delta=0.5, h=0.0))
    add(_chain("xxz", 10, True, J=1.0, delta=0.5, h=0.0))
    add(_chain("xxz", 10, True, J=1.0, delta=-2.0, h=0.0))
    add(_chain("xxz", 10, False, J=-1.0, delta=1.5, h=0.5))
    add(_chain("xxz", 6, True, J=1.0, delta=0.5, h=1.0, units="pauli"))
    add(_chain("xxz", 6, True, J=1.0, delta=-1.5, h=0.0, units="pauli"))

    # Heisenberg (spin units): antiferro and ferro, every size, both boundaries.
    for J in (1.0, -1.0):
        for periodic in BOUNDARIES:
            for n in range(4, 10):
                add(_chain("heisenberg", n, periodic, J=J))
    add(_chain("heisenberg", 10, True, J=1.0))
    add(_chain("heisenberg", 10, False, J=-1.0))
    add(_chain("heisenberg", 6, True, J=0.7))
    add(_chain("heisenberg", 5, False, J=-2.0))
    add(_chain("heisenberg", 8, True, J=1.0, units="pauli"))

    # J1-J2 (spin units): J2 of both signs, through Majumdar-Ghosh, J1 ferro and antiferro.
    for J1 in (1.0, -1.0):
        for J2 in (-0.5, 0.0, 0.3, 0.5, 0.8):
            for periodic in BOUNDARIES:
                for n in (6, 7):
                    add(_chain("j1j2", n, periodic, J1=J1, J2=J2))
    add(_chain("j1j2", 4, False, J1=1.0, J2=0.5))
    add(_chain("j1j2", 5, True, J1=1.0, J2=0.3))
    add(_chain("j1j2", 8, True, J1=1.0, J2=0.5))  # Majumdar-Ghosh: -3N/8, 2-fold
    add(_chain("j1j2", 8, True, J1=-1.0, J2=0.25))  # the ferro / spiral transition point
    add(_chain("j1j2", 9, False, J1=-1.0, J2=0.3))
    add(_chain("j1j2", 10, True, J1=1.0, J2=0.3))
    add(_chain("j1j2", 6, True, J1=1.0, J2=0.3, units="pauli"))

    # XY (Pauli units): isotropic, anisotropic, Ising limit; fields 0 / below / above.
    for J in (1.0, -1.0):
        for gamma in (0.0, 0.5, 1.0):
            for h in (0.0, 0.5, 2.0):
                for periodic in BOUNDARIES:
                    for n in (5, 6):
                        add(_chain("xy", n, periodic, J=J, gamma=gamma, h=h))
    add(_chain("xy", 4, True, J=1.0, gamma=0.0, h=0.0))
    add(_chain("xy", 6, True, J=1.0, gamma=0.5, h=-0.5))
    add(_chain("xy", 7, False, J=-1.0, gamma=0.5, h=-2.0))
    add(_chain("xy", 7, True, J=1.0, gamma=-0.5, h=0.5))
    add(_chain("xy", 8, True, J=1.0, gamma=0.0, h=0.0))
    add(_chain("xy", 10, True, J=1.0, gamma=0.5, h=0.5))
    add(_chain("xy", 6, False, J=1.0, gamma=0.5, h=0.5, units="spin"))

    # meta-VQE family (Pauli units): Delta ferro / XX / antiferro, lambda 0 / below / above.
    for delta in (-1.0, 0.0, 1.0):
        for lam in (0.0, 0.5, 2.0, 4.0):
            for periodic in BOUNDARIES:
                for n in (5, 6):
                    add(_chain("metavqe", n, periodic, delta=delta, lam=lam))
    add(_chain("metavqe", 4, True, delta=1.0, lam=0.0))
    add(_chain("metavqe", 8, True, delta=-1.0, lam=0.0))  # ferro in disguise: 9-fold
    add(_chain("metavqe", 8, False, delta=-1.0, lam=0.0))
    add(_chain("metavqe", 6, True, delta=-2.0, lam=-2.0))
    add(_chain("metavqe", 7, False, delta=2.0, lam=4.0))
    add(_chain("metavqe", 9, True, delta=1.0, lam=2.0))
    add(_chain("metavqe", 10, True, delta=1.0, lam=0.5))
    add(_chain("metavqe", 6, True, delta=0.5, lam=0.5, units="spin"))

    # 2D lattices.
    add(_lat("tfim", "ladder", 3, None, False, J=1.0, h=1.0))
    add(_lat("tfim", "ladder", 3, None, True, J=-1.0, h=0.5))
    add(_lat("tfim", "square", 2, 3, False, J=1.0, h=0.5))
    add(_lat("tfim", "square", 2, 3, False, J=-1.0, h=2.0))
    add(_lat("tfim", "square", 3, 3, False, J=1.0, h=1.0))
    add(_lat("tfim", "triangular", 2, 3, False, J=-1.0, h=0.5))
    add(_lat("tfim", "triangular", 3, 3, True, J=-1.0, h=0.5))
    add(_lat("heisenberg", "ladder", 3, None, False, J=1.0))
    add(_lat("heisenberg", "ladder", 3, None, True, J=1.0))
    add(_lat("heisenberg", "ladder", 3, None, False, J=-1.0))
    add(_lat("heisenberg", "square", 2, 3, False, J=1.0))
    add(_lat("heisenberg", "square", 3, 3, False, J=1.0))
    add(_lat("heisenberg", "triangular", 2, 3, False, J=1.0))
    add(_lat("heisenberg", "triangular", 3, 3, True, J=1.0))
    add(_lat("j1j2", "square", 2, 3, False, J1=1.0, J2=0.5))
    add(_lat("j1j2", "ladder", 3, None, False, J1=1.0, J2=0.3))
    add(_lat("xxz", "triangular", 2, 3, False, J=1.0, delta=0.5, h=0.5))
    add(_lat("xy", "ladder", 3, None, False, J=1.0, gamma=0.5, h=0.5))
    add(_lat("metavqe", "ladder", 3, None, False, delta=-1.0, lam=0.5))
    return list(dict.fromkeys(cases))  # drop the special points the loops already hold


CASES = _grid()


def _n_sites(case: Case) -> int:
    return case.geometry()[0]


def _param(case: Case) -> Any:
    marks = [pytest.mark.slow] if _n_sites(case) >= 9 else []
    return pytest.param(case, id=case.id, marks=marks)


PARAMS = [_param(c) for c in CASES]


# -- the reference itself -------------------------------------------------------------------
def _levels(case: Case) -> tuple[float, int]:
    e0, d, _ = ground_level(reference(case)[1])
    return e0, d


def test_kron_convention_wire0_is_most_significant():
    z0 = _op(3, {0: _Z}).real.diagonal()
    assert z0.tolist() == [1, 1, 1, 1, -1, -1, -1, -1]
    z2 = _op(3, {2: _Z}).real.diagonal()
    assert z2.tolist() == [1, -1, 1, -1, 1, -1, 1, -1]


def test_chain_bonds():
    assert chain_bonds(4, False) == [(0, 1), (1, 2), (2, 3)]
    assert chain_bonds(4, True) == [(0, 1), (0, 3), (1, 2), (2, 3)]
    assert chain_bonds(4, True, 2) == [(0, 2), (1, 3)]
    assert chain_bonds(5, False, 2) == [(0, 2), (1, 3), (2, 4)]
    assert chain_bonds(6, True, 2) == [(0, 2), (0, 4), (1, 3), (1, 5), (2, 4), (3, 5)]


@pytest.mark.parametrize("n", [4, 5, 8])
@pytest.mark.parametrize("h", [0.5, 1.0, 2.0])
def test_reference_tfim_periodic_closed_form(n, h):
    ks = [(2 * m - 1) * math.pi / n for m in range(1, n + 1)]
    closed = -sum(math.sqrt(1 + h * h - 2 * h * math.cos(k)) for k in ks)
    e0, d = _levels(_chain("tfim", n, True, J=1.0, h=h))
    assert e0 == pytest.approx(closed, abs=1e-10)
    assert d == 1
    if h == 1.0:
        assert e0 == pytest.approx(-2 / math.sin(math.pi / (2 * n)), abs=1e-10)


@pytest.mark.parametrize("n", [4, 7])
def test_reference_tfim_open_closed_form(n):
    h = 0.7
    m = np.diag(np.full(n, h)) + np.diag(np.full(n - 1, 1.0), 1)
    closed = -float(np.linalg.svd(m, compute_uv=False).sum())
    assert _levels(_chain("tfim", n, False, J=1.0, h=h))[0] == pytest.approx(closed, abs=1e-10)


def test_reference_heisenberg_ring():
    assert _levels(_chain("heisenberg", 4, True, J=1.0)) == (pytest.approx(-2.0, abs=1e-10), 1)
    assert _levels(_chain("heisenberg", 8, True, J=1.0))[0] == pytest.approx(-3.6510934089, abs=1e-10)
    # odd ring: two spin-1/2 doublets with momenta +-k
    assert _levels(_chain("heisenberg", 7, True, J=1.0))[1] == 4
    # ferromagnet: the spin-N/2 multiplet, E0 = -N/4 per bond
    assert _levels(_chain("heisenberg", 6, True, J=-1.0)) == (pytest.approx(-1.5, abs=1e-10), 7)
    # Pauli units: 4x the spin-unit energy
    e_pauli = _levels(_chain("heisenberg", 8, True, J=1.0, units="pauli"))[0]
    assert e_pauli == pytest.approx(-14.6043736356, abs=1e-9)


@pytest.mark.parametrize("n", [6, 8])
def test_reference_majumdar_ghosh(n):
    e0, d = _levels(_chain("j1j2", n, True, J1=1.0, J2=0.5))
    assert e0 == pytest.approx(-3 * n / 8, abs=1e-10)
    if n == 8:
        assert d == 2  # the two dimer coverings


def test_reference_xxz_ferro_regime():
    case = _chain("xxz", 8, True, J=1.0, delta=-1.5, h=0.0)
    H, evals = reference(case)
    assert ground_level(evals)[:2] == (pytest.approx(-3.0, abs=1e-10), 2)
    sz0 = [b for b in range(2**8) if bin(b).count("1") == 4]
    sector = np.linalg.eigvalsh(H[np.ix_(sz0, sz0)])
    assert sector[0] == pytest.approx(-2.0116, abs=1e-4)
    # the fully polarised states are |0...0> and |1...1>
    for b in (0, 2**8 - 1):
        assert H[b, b] == pytest.approx(-3.0)


def test_reference_metavqe_ferro_point():
    # Delta = -1 on a bipartite ring: (XX + YY - ZZ) ~ -(XX + YY + ZZ), the spin-N/2 multiplet
    assert _levels(_chain("metavqe", 8, True, delta=-1.0, lam=0.0)) == (pytest.approx(-8.0, abs=1e-10), 9)


def test_reference_xy_ising_limit():
    # gamma = 1, h = 0: J sum X X; an open chain is a classical Ising chain, 2-fold
    assert _levels(_chain("xy", 6, False, J=1.0, gamma=1.0, h=0.0)) == (pytest.approx(-5.0), 2)
    # gamma = 0: free fermions hopping J on an open chain, levels 2J cos(pi k / (N + 1))
    assert _levels(_chain("xy", 4, False, J=2.0, gamma=0.0, h=0.0))[0] == pytest.approx(
        -2 * 2 * sum(abs(math.cos(math.pi * k / 5)) for k in range(1, 5)) / 2, abs=1e-10
    )


# -- the grid is complete and well posed ------------------------------------------------------
def test_grid_covers_every_registered_spin_model():
    spin_models = {name for name, spec in PROBLEMS.items() if "lattice" in spec.defaults}
    assert spin_models == {c.model for c in CASES}
    assert {_n_sites(c) for c in CASES} >= set(range(4, 11))
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", PARAMS)
def test_hamiltonian_matches_reference(case):
    """The registry builds the textbook Hamiltonian (so an ``exact()`` failure is in ``exact()``)."""
    problem = get_problem(case.model, **case.params)
    n = _n_sites(case)
    assert problem.n_wires == n
    H, _ = reference(case)
    np.testing.assert_allclose(problem.hamiltonian.to_matrix(n), H, atol=1e-12)


@pytest.mark.parametrize("case", PARAMS)
def test_exact_matches_dense_ed(case):
    H, evals = reference(case)
    e0, d, tol = ground_level(evals)
    # an exactly degenerate, clearly resolved ground level, never an ambiguous one
    assert evals[d - 1] - e0 <= tol / WELL_POSED, f"ill-posed case: level spread {evals[d - 1] - e0:.3g}"
    if d < len(evals):
        assert evals[d] - e0 > WELL_POSED * tol, f"ill-posed case: gap {evals[d] - e0:.3g}"
    ex = get_problem(case.model, **case.params).exact()

    errors = []
    if not abs(ex.energy - e0) <= 1e-10 * max(1.0, abs(e0)):
        errors.append(f"energy {ex.energy:.12f} vs true {e0:.12f}")
    if ex.degeneracy != d:
        errors.append(f"degeneracy {ex.degeneracy} vs true {d}")
    g = ex.ground_space
    if g is None or g.ndim != 2 or g.shape[0] != 2 ** _n_sites(case):
        errors.append(f"ground_space shape {None if g is None else g.shape}")
    else:
        if g.shape[1] != d:
            errors.append(f"ground_space has {g.shape[1]} columns vs true dimension {d}")
        gram = g.conj().T @ g
        if not np.allclose(gram, np.eye(g.shape[1]), atol=1e-8):
            errors.append("ground_space columns are not orthonormal")
        residual = np.linalg.norm(H @ g - e0 * g, axis=0)
        if residual.size and residual.max() >= 1e-8 * max(1.0, abs(e0)):
            errors.append(f"ground_space is not the E0 eigenspace (max residual {residual.max():.3g})")
    assert not errors, "; ".join(errors)
