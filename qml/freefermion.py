"""Exact ground states of free-fermion chains (TFIM, XY/XX) at any size, by Jordan-Wigner.

The chains solved here are, in the registry's exact conventions (:mod:`qml.problems.spins`),

* ``"tfim"``: ``H = -J sum Z_i Z_{i+1} - h sum X_i`` (Pauli units; ``units="spin"`` gives
  the coefficients ``J/4`` and ``h/2``), symmetry ``Px = prod X_i``;
* ``"xy"``: ``H = J sum [(1+gamma)/2 X_i X_{i+1} + (1-gamma)/2 Y_i Y_{i+1}] + h sum Z_i``
  (spin units: couplings ``x 1/4``, field ``x 1/2``), symmetry ``Pz = prod Z_i``;

open (``periodic=False``) or closed into a ring (``periodic=True``, ``n >= 3``), any sign of
every constant. Both are the quadratic chain :func:`free_chain`
``H = xx sum X X + yy sum Y Y + z sum Z`` (the TFIM after a Hadamard on every wire, which
swaps ``X`` and ``Z``: ``xx = -J``, ``yy = 0``, ``z = -h``).

Method. With Majorana operators ``g_{2j} = (prod_{l<j} Z_l) X_j`` and
``g_{2j+1} = (prod_{l<j} Z_l) Y_j``, ``Z_j = -i g_{2j} g_{2j+1}``,
``X_j X_{j+1} = -i g_{2j+1} g_{2j+2}`` and ``Y_j Y_{j+1} = i g_{2j} g_{2j+3}``, so
``H = (i/2) sum_jk B_jk g_{2j} g_{2k+1}`` with the real ``N x N`` matrix ``B``
(``B_jj = -2 z``, ``B_{j+1,j} = 2 xx``, ``B_{j,j+1} = 2 yy``). With ``B = U S V^T``,
``H = -(1/2) sum_m s_m Z'_m`` in the Bogoliubov modes: the quasiparticle vacuum has energy
``-(1/2) sum_m s_m``, each excitation costs ``s_m``, and the vacuum's parity
``P = prod Z_j`` is ``sign det B``. The ring's boundary bond becomes
``-P x`` (the bulk expression), so each parity sector ``P`` has its own ``B_P``
(antiperiodic fermions for ``P = +1``, periodic for ``P = -1``); in a sector whose vacuum
has the wrong parity the lowest state has one quasiparticle, in the softest mode. Both
sectors are solved and the lower wins; degeneracies count zero modes (each doubles a level)
and finite-size crossings between the sectors. Rings use the momentum form
``s(k) = |-2z + 2xx e^{-ik} + 2yy e^{ik}|`` (``k = 2 pi (m + 1/2) / N`` for ``P = +1``,
``2 pi m / N`` for ``P = -1``; the vacuum parity is the sign of the real values at
``k = 0, pi``), O(N); open chains the singular values of the tridiagonal ``B`` by banded
LAPACK, O(N^2).

Example:
    >>> r = tfim_ground(8, J=1.0, h=1.0, periodic=True)
    >>> round(r.energy, 10) == round(-2 / math.sin(math.pi / 16), 10), r.sector, r.degeneracy
    (True, 'Px = 1', 1)
    >>> r = tfim_ground(7, J=-1.0, h=0.0, periodic=True)   # frustrated ring: 2N-fold level
    >>> r.energy, r.degeneracy
    (-5.0, 14)
"""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from qml.ed import group_levels
from qml.errors import ConfigError

log = logging.getLogger(__name__)

__all__ = [
    "FREE_FERMION_MODELS",
    "FreeFermionCorrelations",
    "FreeFermionResult",
    "free_chain",
    "free_chain_correlations",
    "tfim_correlations",
    "tfim_ground",
    "xy_correlations",
    "xy_ground",
]

#: Registry models solved here (chains and rings only).
FREE_FERMION_MODELS: tuple[str, ...] = ("tfim", "xy")
#: Relative tolerance grouping energies into one level, as :func:`qml.ed.spectrum`.
LEVEL_TOL = 1e-8
#: Soft modes enumerated for the excited level (its energy is exact; its degeneracy counts these).
_SOFT_MODES = 12


@dataclass(frozen=True, eq=False)
class FreeFermionResult:
    """Ground level of a free-fermion chain.

    Attributes:
        energy: Ground-state energy.
        parity: The symmetry's value on the ground level (``+1``/``-1``), ``None`` when the
            level holds both parities.
        sector: ``"Px = 1"`` or ``"Pz in {-1, 1}"``, as :meth:`qml.ed.Spectrum.sector_label`.
        symmetry: ``"Px"`` (TFIM) or ``"Pz"`` (XY, :func:`free_chain`).
        degeneracy: Dimension of the ground level (energies within ``LEVEL_TOL`` relative).
        gap: ``E1 - E0`` to the next distinct level (any parity), ``None`` if there is none.
        levels: The lowest distinct levels ``(energy, degeneracy)``; the excited level's
            degeneracy counts states among the 12 softest modes of each sector.
        sector_energies: Lowest energy in each parity sector ``{+1: E, -1: E}``.
        mode_energies: Quasiparticle energies (ascending) of the ground level's sector (of
            the ``P = +1`` sector when both hold it).
        sector_values: The symmetry's value of each ground state (``degeneracy`` entries, or
            the distinct values when more than 4096).
        n: Number of sites.
        periodic: Ring or open chain.
        model: ``"tfim"``, ``"xy"`` or ``"chain"`` (:func:`free_chain`).
        method: ``"free-fermion"``.

    Example:
        >>> r = xy_ground(6, gamma=0.0, h=0.0, periodic=False)
        >>> round(r.energy, 10), r.sector, r.degeneracy
        (-3.4939592074, 'Pz = -1', 1)
    """

    energy: float
    parity: int | None
    sector: str
    symmetry: str
    degeneracy: int
    gap: float | None
    levels: tuple[tuple[float, int], ...]
    sector_energies: dict[int, float]
    mode_energies: np.ndarray = field(repr=False)
    sector_values: tuple[float, ...]
    n: int
    periodic: bool
    model: str = "chain"
    method: str = "free-fermion"

    @property
    def energy_per_site(self) -> float:
        """``energy / n``.

        Example:
            >>> round(tfim_ground(1000, h=1.0).energy_per_site, 6)   # -> -4/pi
            -1.27324
        """
        return self.energy / self.n


@dataclass(frozen=True, eq=False)
class FreeFermionCorrelations:
    """Ground-state one- and two-point functions of a non-degenerate free-fermion chain.

    Attributes:
        field: ``(N,)`` magnetisation along the field: ``<X_i>`` (TFIM), ``<Z_i>`` (XY).
        coupling: ``(N, N)`` two-point function along the Ising axis: ``<Z_i Z_j>`` (TFIM),
            ``<X_i X_j>`` (XY); ones on the diagonal.
        field_op: ``"X"`` or ``"Z"``, the Pauli of :attr:`field`.
        coupling_op: ``"ZZ"`` or ``"XX"``, the Pauli pair of :attr:`coupling`.

    Example:
        >>> c = tfim_correlations(4, h=1.0, periodic=False)
        >>> c.field_op, c.coupling_op, c.coupling.shape
        ('X', 'ZZ', (4, 4))
    """

    field: np.ndarray
    coupling: np.ndarray
    field_op: str
    coupling_op: str


# -- validation --------------------------------------------------------------------------------
def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _sites(n: object, periodic: object) -> tuple[int, bool]:
    if not isinstance(periodic, bool):
        raise ConfigError(f"periodic must be true or false, got {periodic!r}")
    low = 3 if periodic else 1
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or int(n) < low:
        what = "a ring" if periodic else "an open chain"
        raise ConfigError(f"n must be an integer >= {low} for {what}, got {n!r}")
    return int(n), periodic


def _scales(units: str) -> tuple[float, float]:
    if units not in ("pauli", "spin"):
        raise ConfigError(f"unknown units {units!r}; expected 'pauli' or 'spin' ('spin': S = sigma/2)")
    return (1.0, 1.0) if units == "pauli" else (0.25, 0.5)


# -- one parity sector -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Sector:
    """Quasiparticle energies ``modes`` (ascending), vacuum energy and vacuum parity (0: singular)."""

    modes: np.ndarray
    vacuum: float
    vacuum_parity: int


def _bdg(n: int, xx: float, yy: float, z: float, boundary: float) -> np.ndarray:
    """The matrix ``B`` of ``H = (i/2) sum B_jk g_{2j} g_{2k+1}``; ``boundary`` scales the ring bond."""
    b = np.diag(np.full(n, -2.0 * z))
    i = np.arange(n - 1)
    b[i + 1, i] = 2.0 * xx
    b[i, i + 1] = 2.0 * yy
    if boundary:
        b[0, n - 1] += 2.0 * xx * boundary
        b[n - 1, 0] += 2.0 * yy * boundary
    return b


def _dense_sector(b: np.ndarray) -> _Sector:
    s = np.sort(np.linalg.svd(b, compute_uv=False))
    sign, _ = np.linalg.slogdet(b)
    return _Sector(s, -0.5 * float(s.sum()), int(np.sign(sign)))


def _banded_sector(n: int, xx: float, yy: float, z: float) -> _Sector:
    """The open chain in O(N^2) (banded LAPACK): ``B``'s singular values and the sign of ``det B``.

    The singular values are the positive eigenvalues of the symmetric ``2N x 2N`` matrix
    ``[[0, B], [B^T, 0]]`` in the interleaved Majorana order, which has bandwidth 3; the
    sign of ``det B`` (tridiagonal) comes from its banded LU with partial pivoting.
    """
    from scipy.linalg import eigvals_banded, lapack

    m = 2 * n
    band = np.zeros((4, m))  # upper band storage: band[3 + i - j, j] = M[i, j], i <= j
    band[2, 1::2] = -2.0 * z  # M[2j, 2j + 1] = B[j, j]
    band[2, 2::2] = 2.0 * xx  # M[2j + 1, 2j + 2] = B[j + 1, j]
    band[0, 3::2] = 2.0 * yy  # M[2j, 2j + 3] = B[j, j + 1]
    ev = eigvals_banded(band, lower=False)
    modes = np.clip(np.sort(ev)[n:], 0.0, None)
    ab = np.zeros((4, n))  # LAPACK gbtrf storage (kl = ku = 1): ab[2 + i - j, j] = B[i, j]
    ab[2, :] = -2.0 * z
    ab[1, 1:] = 2.0 * yy  # B[j, j + 1]
    ab[3, :-1] = 2.0 * xx  # B[j + 1, j]
    lu, piv, _ = lapack.dgbtrf(ab, 1, 1)
    sign = int(np.prod(np.sign(lu[2, :]))) * (-1) ** int(np.sum(piv != np.arange(n)))
    return _Sector(modes, -0.5 * float(modes.sum()), sign)


def _momentum_sector(n: int, xx: float, yy: float, z: float, parity: int) -> _Sector:
    """The ring's sector ``parity`` from its momenta ``2 pi (m + 1/2) / N`` (+1) or ``2 pi m / N`` (-1)."""
    m = np.arange(n)
    k = 2.0 * np.pi * (m + (0.5 if parity == 1 else 0.0)) / n
    lam = -2.0 * z + 2.0 * xx * np.exp(-1j * k) + 2.0 * yy * np.exp(1j * k)
    modes = np.sort(np.abs(lam))
    sign = 1
    real_k = [0.0] if parity == -1 else []
    if n % 2 == (0 if parity == -1 else 1):
        real_k.append(math.pi)
    for kk in real_k:
        v = -2.0 * z + 2.0 * (xx + yy) * math.cos(kk)
        sign *= int(np.sign(v))
    return _Sector(modes, -0.5 * float(modes.sum()), sign)


def _sector_states(sec: _Sector, parity: int, zero: float) -> tuple[np.ndarray, list[int]]:
    """Energies and multiplicities of the lowest states of parity ``parity`` (subsets of soft modes)."""
    is_zero = sec.modes <= zero
    m = int(is_zero.sum())
    soft = sec.modes[~is_zero][:_SOFT_MODES]
    bits = (np.arange(1 << soft.size)[:, None] >> np.arange(soft.size)[None, :]) & 1
    sums = bits @ soft
    if m:
        return sec.vacuum + sums, [1 << (m - 1)] * sums.size
    flips = bits.sum(axis=1)
    ok = sec.vacuum_parity * (1 - 2 * (flips % 2)) == parity
    return sec.vacuum + sums[ok], [1] * int(ok.sum())


def _solve(
    n: int, xx: float, yy: float, z: float, periodic: bool, symmetry: str, model: str
) -> FreeFermionResult:
    if periodic:
        sectors = {p: _momentum_sector(n, xx, yy, z, p) for p in (1, -1)}
    else:
        one = _banded_sector(n, xx, yy, z) if n > 1 else _dense_sector(_bdg(n, xx, yy, z, 0.0))
        sectors = {1: one, -1: one}
    scale = max(1.0, abs(min(s.vacuum for s in sectors.values())))
    zero = LEVEL_TOL * scale
    energies, weights, values = [], [], []
    for p, sec in sectors.items():
        e, w = _sector_states(sec, p, zero)
        energies.append(e)
        weights += w
        values += [p] * len(w)
    e = np.concatenate(energies)
    order = np.lexsort((-np.asarray(values), e))
    e = e[order]
    w = [weights[i] for i in order]
    v = [values[i] for i in order]
    lv = group_levels(e, LEVEL_TOL)
    levels = []
    for j in range(min(2, int(lv.max()) + 1)):
        idx = np.flatnonzero(lv == j)
        levels.append((float(e[idx[0]]), int(sum(w[i] for i in idx))))
    ground = np.flatnonzero(lv == 0)
    counts = {p: sum(w[i] for i in ground if v[i] == p) for p in (1, -1)}
    present = [p for p in (1, -1) if counts[p]]
    degeneracy = levels[0][1]
    label = f"{symmetry} = {present[0]}" if len(present) == 1 else f"{symmetry} in {{-1, 1}}"
    if degeneracy <= 4096:
        sector_values = tuple(float(p) for p in present for _ in range(counts[p]))
    else:
        sector_values = tuple(float(p) for p in present)
    sector_energies = {}
    for p, sec in sectors.items():
        se, _ = _sector_states(sec, p, zero)
        sector_energies[p] = float(se.min())
    return FreeFermionResult(
        energy=levels[0][0],
        parity=present[0] if len(present) == 1 else None,
        sector=label,
        symmetry=symmetry,
        degeneracy=degeneracy,
        gap=levels[1][0] - levels[0][0] if len(levels) > 1 else None,
        levels=tuple(levels),
        sector_energies=sector_energies,
        mode_energies=sectors[present[0]].modes,
        sector_values=sector_values,
        n=n,
        periodic=periodic,
        model=model,
    )


# -- public solvers ----------------------------------------------------------------------------
def free_chain(
    n: int, xx: float = 1.0, yy: float = 1.0, z: float = 0.0, periodic: bool = True
) -> FreeFermionResult:
    """Ground level of ``H = xx sum X_i X_{i+1} + yy sum Y_i Y_{i+1} + z sum Z_i`` (Pauli coefficients).

    Args:
        n: Number of sites (``>= 3`` for a ring).
        xx: ``X X`` coupling.
        yy: ``Y Y`` coupling.
        z: Field along ``Z``.
        periodic: Ring (the bond ``(n-1, 0)`` too) or open chain.

    Returns:
        A :class:`FreeFermionResult` with symmetry ``"Pz"`` (``prod Z_i``).

    Raises:
        ValueError: For a bad size or a non-finite constant.

    Example:
        >>> r = free_chain(4, xx=1.0, yy=1.0, z=0.0, periodic=True)   # XX ring
        >>> round(r.energy, 10), r.degeneracy, r.sector
        (-5.6568542495, 1, 'Pz = 1')
    """
    n, periodic = _sites(n, periodic)
    xx, yy, z = _real("xx", xx), _real("yy", yy), _real("z", z)
    return _solve(n, xx, yy, z, periodic, "Pz", "chain")


def tfim_ground(
    n: int, J: float = 1.0, h: float = 1.0, periodic: bool = True, units: str = "pauli"
) -> FreeFermionResult:
    """Ground level of the TFIM chain ``-J sum Z_i Z_{i+1} - h sum X_i`` (as :func:`qml.problems.spins.tfim`).

    Any ``n`` and any signs: an antiferromagnetic ring of odd length is frustrated (its
    ground level is ``2N``-fold at ``h = 0``); at ``h = 0`` the ferromagnet's two
    polarised states are degenerate, and for ``0 < |h| < |J|`` the two parities split by
    ``~ (h/J)^N`` (degenerate within ``LEVEL_TOL`` for long chains).

    Args:
        n: Number of sites (``>= 3`` for a ring).
        J: Ising coupling.
        h: Transverse field.
        periodic: Ring or open chain.
        units: ``"pauli"`` (default) or ``"spin"`` (coefficients ``J/4``, ``h/2``).

    Example:
        >>> r = tfim_ground(6, J=1.0, h=0.5, periodic=True)
        >>> round(r.energy, 8), r.sector, r.degeneracy
        (-6.38469456, 'Px = 1', 1)
        >>> tfim_ground(6, J=1.0, h=0.0, periodic=False).sector
        'Px in {-1, 1}'
    """
    n, periodic = _sites(n, periodic)
    cj, ch = _scales(units)
    J, h = _real("J", J), _real("h", h)
    return _solve(n, -J * cj, 0.0, -h * ch, periodic, "Px", "tfim")


def xy_ground(
    n: int, J: float = 1.0, gamma: float = 0.0, h: float = 0.0, periodic: bool = True, units: str = "pauli"
) -> FreeFermionResult:
    """Ground level of the XY chain ``J sum [(1+g)/2 XX + (1-g)/2 YY] + h sum Z`` (as ``spins.xy``).

    Args:
        n: Number of sites (``>= 3`` for a ring).
        J: Exchange.
        gamma: Anisotropy (``0``: XX model, ``1``: Ising).
        h: Field along ``Z``.
        periodic: Ring or open chain.
        units: ``"pauli"`` (default) or ``"spin"`` (couplings ``x 1/4``, field ``x 1/2``).

    Example:
        >>> r = xy_ground(8, J=1.0, gamma=0.5, h=0.3, periodic=True)
        >>> round(r.energy, 10), r.sector
        (-6.3793153409, 'Pz = -1')
    """
    n, periodic = _sites(n, periodic)
    cj, ch = _scales(units)
    J, gamma, h = _real("J", J), _real("gamma", gamma), _real("h", h)
    return _solve(n, J * cj * (1 + gamma) / 2, J * cj * (1 - gamma) / 2, h * ch, periodic, "Pz", "xy")


# -- correlations ------------------------------------------------------------------------------
def free_chain_correlations(
    n: int, xx: float = 1.0, yy: float = 1.0, z: float = 0.0, periodic: bool = True
) -> FreeFermionCorrelations:
    """``<Z_i>`` and ``<X_i X_j>`` in the ground state of :func:`free_chain` (non-degenerate only).

    From the ground state's Majorana covariance ``-i <g_{2j} g_{2k+1}> = G_jk`` with
    ``G = U F V^T`` (``F`` flips the excited mode of a sector whose vacuum has the wrong
    parity): ``<Z_j> = G_jj`` and ``<X_i X_j> = (-1)^{j-i} det G[i+1..j, i..j-1]`` (the
    Jordan-Wigner string of ``X_i X_j`` is a product of ``2(j-i)`` Majoranas, a Pfaffian
    that reduces to this determinant). O(N^3) per row of the matrix.

    Raises:
        ValueError: When the ground level is degenerate (no single Gaussian ground state).

    Example:
        >>> c = free_chain_correlations(4, xx=-1.0, yy=0.0, z=-1.0, periodic=True)
        >>> [round(float(x), 6) for x in c.field]
        [0.653281, 0.653281, 0.653281, 0.653281]
    """
    n, periodic = _sites(n, periodic)
    xx, yy, z = _real("xx", xx), _real("yy", yy), _real("z", z)
    res = _solve(n, xx, yy, z, periodic, "Pz", "chain")
    if res.degeneracy != 1:
        raise ConfigError(
            f"the ground level is {res.degeneracy}-fold degenerate ({res.sector}); its correlations depend "
            "on the state chosen in it: break the degeneracy (e.g. a small field)"
        )
    parity = res.parity if res.parity is not None else 1
    b = _bdg(n, xx, yy, z, -float(parity) if periodic else 0.0)
    u, s, vt = np.linalg.svd(b)
    flips = np.ones(n)
    if int(np.sign(np.linalg.det(u) * np.linalg.det(vt))) != parity:
        flips[int(np.argmin(s))] = -1.0  # one quasiparticle in the softest mode fixes the parity
    g = (u * flips) @ vt
    mag = np.diag(g).copy()
    corr = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            corr[i, j] = corr[j, i] = (-1) ** (j - i) * np.linalg.det(g[i + 1 : j + 1, i:j])
    return FreeFermionCorrelations(mag, corr, "Z", "XX")


def tfim_correlations(
    n: int, J: float = 1.0, h: float = 1.0, periodic: bool = True, units: str = "pauli"
) -> FreeFermionCorrelations:
    """``<X_i>`` and ``<Z_i Z_j>`` in the TFIM ground state (the :func:`tfim_ground` conventions).

    Example:
        >>> c = tfim_correlations(6, J=1.0, h=0.5, periodic=True)
        >>> round(float(c.field[0]), 8), round(float(c.coupling[0, 3]), 8)
        (0.26519797, 0.92673401)
    """
    cj, ch = _scales(units)
    J, h = _real("J", J), _real("h", h)
    c = free_chain_correlations(n, -J * cj, 0.0, -h * ch, periodic)
    return FreeFermionCorrelations(c.field, c.coupling, "X", "ZZ")


def xy_correlations(
    n: int, J: float = 1.0, gamma: float = 0.0, h: float = 0.0, periodic: bool = True, units: str = "pauli"
) -> FreeFermionCorrelations:
    """``<Z_i>`` and ``<X_i X_j>`` in the XY ground state (the :func:`xy_ground` conventions).

    Example:
        >>> c = xy_correlations(6, gamma=0.5, h=0.3, periodic=False)
        >>> c.field_op, c.coupling_op, round(float(c.coupling[0, 5]), 8)
        ('Z', 'XX', -0.77554134)
    """
    cj, ch = _scales(units)
    J, gamma, h = _real("J", J), _real("gamma", gamma), _real("h", h)
    return free_chain_correlations(n, J * cj * (1 + gamma) / 2, J * cj * (1 - gamma) / 2, h * ch, periodic)
