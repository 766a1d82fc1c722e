"""Spin Hamiltonians as :class:`~qml.paulis.PauliSum`: TFIM, XXZ / Heisenberg, J1-J2, XY, meta-VQE.

Units. Spin-1/2 operators are ``S^a = sigma^a / 2``. Models written with spin
operators (``"xxz"``, ``"heisenberg"``, ``"j1j2"``) take ``units="spin"`` by default:
``J S_i . S_j = (J / 4)(X_i X_j + Y_i Y_j + Z_i Z_j)`` and a field ``h S^z = (h / 2) Z``.
``units="pauli"`` uses the Pauli matrices themselves (``J (X X + Y Y + Z Z)``, ``h Z``), i.e.
an energy scale 4x larger for couplings and 2x for fields. The transverse-field Ising
model, the XY model and the meta-VQE family are conventionally written with Pauli
matrices and default to ``units="pauli"``. Reference energies follow the model's units:
``E0(Heisenberg ring N=8) = -3.6510934089`` in spin units is ``-14.6043736356`` in Pauli
units.

Every builder accepts a :class:`~qml.problems.lattice.Lattice` or an integer ``n`` (a
chain; ``periodic`` chooses a ring).

Example:
    >>> str(tfim(3, h=0.5, periodic=False))
    '-0.5*X0 - 0.5*X1 - 0.5*X2 - Z0 Z1 - Z1 Z2'
    >>> heisenberg(2, periodic=False).to_matrix().real.diagonal().tolist()
    [0.25, -0.25, -0.25, 0.25]
"""

from __future__ import annotations

import math

from qml.errors import ConfigError
from qml.paulis import PauliString, PauliSum
from qml.problems.lattice import Lattice, chain

#: Unit conventions accepted by the spin-model builders.
UNITS: tuple[str, ...] = ("spin", "pauli")

LatticeLike = Lattice | int


def _lattice(lattice: LatticeLike, periodic: bool) -> Lattice:
    if isinstance(lattice, Lattice):
        return lattice
    return chain(lattice, periodic=periodic)


def _scales(units: str) -> tuple[float, float]:
    """(coupling factor, field factor) converting spin-unit constants to Pauli coefficients."""
    if units not in UNITS:
        raise ConfigError(f"unknown units {units!r}; expected one of {UNITS} ('spin': S = sigma/2)")
    return (0.25, 0.5) if units == "spin" else (1.0, 1.0)


def _two(i: int, j: int, a: str, b: str) -> PauliString:
    return PauliString(((i, a), (j, b)))


def _one(i: int, a: str) -> PauliString:
    return PauliString(((i, a),))


def _real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def tfim(
    lattice: LatticeLike, J: float = 1.0, h: float = 1.0, periodic: bool = True, units: str = "pauli"
) -> PauliSum:
    """Transverse-field Ising model ``H = -J sum_<ij> Z_i Z_j - h sum_i X_i``.

    Args:
        lattice: A lattice or a number of sites (chain).
        J: Ising coupling (``J > 0`` ferromagnetic).
        h: Transverse field.
        periodic: For an integer ``lattice``: ring (True) or open chain.
        units: ``"pauli"`` (default, the formula above) or ``"spin"`` (``-J S S - h S``,
            i.e. coefficients ``J/4`` and ``h/2``).

    Example:
        >>> len(tfim(8).terms)
        16
    """
    lat = _lattice(lattice, periodic)
    cj, ch = _scales(units)
    J, h = _real("J", J), _real("h", h)
    terms = [(-J * cj, _two(i, j, "Z", "Z")) for i, j in lat.bonds("nn")]
    terms += [(-h * ch, _one(i, "X")) for i in range(lat.n_sites)]
    return PauliSum(tuple(terms))


def xxz(
    lattice: LatticeLike,
    J: float = 1.0,
    delta: float = 1.0,
    h: float = 0.0,
    periodic: bool = True,
    units: str = "spin",
) -> PauliSum:
    """XXZ model ``H = J sum_<ij> (S^x S^x + S^y S^y + Delta S^z S^z) + h sum_i S^z_i``.

    In spin units (default) the Pauli coefficients are ``J/4`` for ``XX``, ``YY``,
    ``J Delta / 4`` for ``ZZ`` and ``h/2`` for ``Z``; ``units="pauli"`` drops the factors.

    Args:
        lattice: A lattice or a number of sites (chain).
        J: Exchange (``J > 0`` antiferromagnetic).
        delta: Anisotropy ``Delta`` (1: Heisenberg).
        h: Longitudinal field.
        periodic: For an integer ``lattice``: ring or open chain.
        units: ``"spin"`` (default) or ``"pauli"``.

    Example:
        >>> str(xxz(2, delta=0.5, periodic=False, units="pauli"))
        'X0 X1 + Y0 Y1 + 0.5*Z0 Z1'
    """
    lat = _lattice(lattice, periodic)
    cj, ch = _scales(units)
    J, delta, h = _real("J", J), _real("delta", delta), _real("h", h)
    terms: list[tuple[float, PauliString]] = []
    for i, j in lat.bonds("nn"):
        terms += [(J * cj, _two(i, j, "X", "X")), (J * cj, _two(i, j, "Y", "Y"))]
        terms.append((J * delta * cj, _two(i, j, "Z", "Z")))
    if h:
        terms += [(h * ch, _one(i, "Z")) for i in range(lat.n_sites)]
    return PauliSum(tuple(terms))


def heisenberg(lattice: LatticeLike, J: float = 1.0, periodic: bool = True, units: str = "spin") -> PauliSum:
    """Heisenberg model ``H = J sum_<ij> S_i . S_j`` (``xxz`` with ``Delta = 1``).

    Example:
        >>> from qml.ed import ground_state
        >>> round(ground_state(heisenberg(4)).energy, 10)
        -2.0
    """
    return xxz(lattice, J=J, delta=1.0, periodic=periodic, units=units)


def j1j2(
    lattice: LatticeLike, J1: float = 1.0, J2: float = 0.5, periodic: bool = True, units: str = "spin"
) -> PauliSum:
    """J1-J2 model ``H = J1 sum_<ij> S_i . S_j + J2 sum_<<ij>> S_i . S_j`` (nn and nnn bonds).

    At ``J2 = J1 / 2`` on a ring (Majumdar-Ghosh point) the ground states are the two
    dimer coverings with ``E0 = -3 N J1 / 8`` (spin units).

    Example:
        >>> from qml.ed import ground_state
        >>> round(ground_state(j1j2(6, J2=0.5)).energy, 10)  # -3 * 6 / 8
        -2.25
    """
    lat = _lattice(lattice, periodic)
    cj, _ = _scales(units)
    J1, J2 = _real("J1", J1), _real("J2", J2)
    terms: list[tuple[float, PauliString]] = []
    for coupling, kind in ((J1, "nn"), (J2, "nnn")):
        if coupling == 0.0:
            continue
        for i, j in lat.bonds(kind):
            terms += [(coupling * cj, _two(i, j, a, a)) for a in "XYZ"]
    return PauliSum(tuple(terms))


def xy(
    lattice: LatticeLike,
    J: float = 1.0,
    gamma: float = 0.0,
    h: float = 0.0,
    periodic: bool = True,
    units: str = "pauli",
) -> PauliSum:
    """Anisotropic XY model in a field ``H = J sum_<ij> [(1+g)/2 X X + (1-g)/2 Y Y] + h sum_i Z_i``.

    ``gamma = 0`` is the isotropic XX model (which conserves total ``Z``), ``gamma = 1``
    the Ising limit. In spin units the couplings get ``1/4`` and the field ``1/2``.

    Example:
        >>> str(xy(2, gamma=0.0, h=0.5, periodic=False))
        '0.5*Z0 + 0.5*Z1 + 0.5*X0 X1 + 0.5*Y0 Y1'
    """
    lat = _lattice(lattice, periodic)
    cj, ch = _scales(units)
    J, gamma, h = _real("J", J), _real("gamma", gamma), _real("h", h)
    terms: list[tuple[float, PauliString]] = []
    for i, j in lat.bonds("nn"):
        terms.append((J * cj * (1 + gamma) / 2, _two(i, j, "X", "X")))
        terms.append((J * cj * (1 - gamma) / 2, _two(i, j, "Y", "Y")))
    if h:
        terms += [(h * ch, _one(i, "Z")) for i in range(lat.n_sites)]
    return PauliSum(tuple(terms)).simplify()


def metavqe(
    lattice: LatticeLike, delta: float = 1.0, lam: float = 0.0, periodic: bool = True, units: str = "pauli"
) -> PauliSum:
    """The meta-VQE family ``H = sum_<ij> (X X + Y Y + Delta Z Z) + lambda sum_i Z_i``.

    This is the XXZ chain in a longitudinal field of Cervera-Lierta, Kottmann and
    Aspuru-Guzik (PRX Quantum 2, 020329, 2021), written with Pauli matrices.

    Example:
        >>> str(metavqe(2, delta=0.5, lam=0.1, periodic=False))
        '0.1*Z0 + 0.1*Z1 + X0 X1 + Y0 Y1 + 0.5*Z0 Z1'
    """
    lat = _lattice(lattice, periodic)
    cj, ch = _scales(units)
    delta, lam = _real("delta", delta), _real("lam", lam)
    terms: list[tuple[float, PauliString]] = []
    for i, j in lat.bonds("nn"):
        terms += [(cj, _two(i, j, "X", "X")), (cj, _two(i, j, "Y", "Y")), (delta * cj, _two(i, j, "Z", "Z"))]
    if lam:
        terms += [(lam * ch, _one(i, "Z")) for i in range(lat.n_sites)]
    return PauliSum(tuple(terms))


def tfim_exact_energy(n: int, J: float = 1.0, h: float = 1.0, periodic: bool = True) -> float:
    """Closed-form TFIM ground-state energy (Pauli units) in the parity sector ``prod X = +1``.

    * periodic: ``E0 = -sum_n sqrt(J^2 + h^2 - 2 J h cos k_n)``, ``k_n = (2n - 1) pi / N``
      (the antiperiodic fermion momenta of the even-parity sector);
    * open: ``E0 = -sum`` of the singular values of the ``N x N`` bidiagonal matrix with
      ``h`` on the diagonal and ``J`` above it.

    Valid for ``J > 0``, ``h >= 0`` (the ground state of the sector).

    Example:
        >>> round(tfim_exact_energy(8, h=1.0), 10) == round(-2 / math.sin(math.pi / 16), 10)
        True
    """
    if J <= 0 or h < 0:
        raise ConfigError(
            f"the closed form needs J > 0 and h >= 0, got J={J}, h={h}; use exact diagonalisation"
        )
    if periodic:
        ks = [(2 * k - 1) * math.pi / n for k in range(1, n + 1)]
        return -sum(math.sqrt(J * J + h * h - 2 * J * h * math.cos(k)) for k in ks)
    import numpy as np

    m = np.diag(np.full(n, h)) + np.diag(np.full(n - 1, J), 1)
    return -float(np.linalg.svd(m, compute_uv=False).sum())


def total_z(n: int) -> PauliSum:
    """``sum_i Z_i`` (twice the total ``S^z``), the symmetry of U(1)-invariant models.

    Example:
        >>> str(total_z(2))
        'Z0 + Z1'
    """
    return PauliSum(tuple((1.0, _one(i, "Z")) for i in range(n)))


def parity_x(n: int) -> PauliString:
    """``X_0 X_1 ... X_{n-1}``, the Z2 symmetry of the TFIM.

    Example:
        >>> str(parity_x(3))
        'X0 X1 X2'
    """
    return PauliString(tuple((i, "X") for i in range(n)))


__all__ = [
    "UNITS",
    "heisenberg",
    "j1j2",
    "metavqe",
    "parity_x",
    "tfim",
    "tfim_exact_energy",
    "total_z",
    "xxz",
    "xy",
]
