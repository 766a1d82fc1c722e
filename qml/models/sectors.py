"""Symmetry sectors of a Hamiltonian family, and the family ansatz that serves every sector and every lambda.

A family ``H(lambda) = H_0 + sum_k lambda_k H_k`` keeps the symmetries that commute with
every ``H_k`` (:func:`family_symmetry`: total ``Sz``, ``prod X`` or ``prod Z``). Its ground
state may change sector as ``lambda`` moves (magnetisation plateaus of a chain in a field,
the ferromagnetic XXZ phase, parity changes): each sector is then a separate *branch* of
the prediction. :func:`scan_sectors` finds which sectors hold the ground state at the
training points (the lowest energy of every sector, exact diagonalisation restricted to
the sector), and :attr:`SectorScan.branches` adds the sectors lying between them
(a magnetisation curve passes every plateau between two training points).

:func:`family_ansatz` is the Hamiltonian variational ansatz built from the term structure
of every ``H_k`` kept apart: each ``H_k`` is split into bond colour classes
(no shared site within a class) and every class gets its own angle per layer, so no angle
ties coefficients that vary independently (for the XXZ chain over ``Delta`` the ``XX + YY``
and ``ZZ`` parts rotate separately, which the SU(2)-symmetric Heisenberg HVA cannot do).
Its initial state fixes the branch's sector: singlets plus ``2|Sz|`` polarised spins
for ``Sz``, ``|+>^N`` (or one ``|->``) for ``prod X``, a computational basis state for
``prod Z``; the gates conserve the symmetry.

Example:
    >>> from qml.models.conditional import HamiltonianFamily
    >>> fam = HamiltonianFamily.from_problem("heisenberg", "h", n=4)
    >>> family_symmetry(fam).name, sector_values(fam)
    ('Sz', [-2.0, -1.0, 0.0, 1.0, 2.0])
    >>> scan = scan_sectors(fam, [0.0, 3.0])   # singlet at h = 0, saturated at h = 3
    >>> scan.ground, scan.branches
    ([[0.0], [-2.0]], [-2.0, -1.0, 0.0])
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum
from qml.symmetry import Symmetry, symmetries_of

log = logging.getLogger(__name__)

#: Energies closer than this (relative) are one degenerate level when sectors are compared.
DEGENERACY_TOL = 1e-8


def family_symmetry(family: Any) -> Symmetry | None:
    """The qubit-wise symmetry shared by every ``H_k`` (``Sz`` before the parities), or ``None``.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> family_symmetry(HamiltonianFamily.from_problem("tfim", "h", n=4)).name
        'Px'
    """
    n = family.n_wires
    common: list[str] | None = None
    by_name: dict[str, Symmetry] = {}
    for op in family.observables():
        if not op.terms or all(s.is_identity for _, s in op.terms):
            continue
        syms = [s for s in symmetries_of(op, n) if s.qubitwise]
        by_name.update({s.name: s for s in syms})
        names = [s.name for s in syms]
        common = names if common is None else [x for x in common if x in names]
    if not common:
        return None
    return by_name[common[0]]


def sector_values(family: Any, symmetry: Symmetry | None = None) -> list[float]:
    """The eigenvalues of the family's symmetry on ``n`` qubits (``[]`` without one).

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> sector_values(HamiltonianFamily.from_problem("tfim", "h", n=4))
        [-1.0, 1.0]
    """
    sym = family_symmetry(family) if symmetry is None else symmetry
    if sym is None:
        return []
    n = family.n_wires
    if sym.name == "Sz":
        return [(2 * k - n) / 2 + 0.0 for k in range(n + 1)]
    return [-1.0, 1.0]


# -- the family ansatz ----------------------------------------------------------------------------
def _initial_state(family: Any, sym: Symmetry | None, value: float | None) -> tuple[Circuit, list]:
    """A product (or singlet) state in the sector, and the singlet pairs it holds."""
    from qml.problems.registry import _minus, _plus, _sector_state

    n = family.n_wires
    if sym is None or value is None:
        ref = family.problem_at(_midpoint(family)).reference if family.problem is not None else None
        return (ref if ref is not None else Circuit(n, name="zeros")), []
    if sym.name == "Sz":
        return _sector_state(n, value)
    if sym.name == "Px":
        # |+>^n has prod X = +1; for the other sector the last spin is |->. A family whose ground
        # state sits near |->^n (negative transverse field) starts there when that has the value.
        if value == (-1.0) ** n and _field_sign(family) < 0:
            return _minus(n), []
        c = _plus(n)
        return (c if value > 0 else c.add("Z", n - 1)), []
    # prod Z: the computational state the field favours (all |1> for a positive Z field), one spin
    # flipped when its parity is not the sector's
    ones = _field_sign(family, "Z") < 0
    c = Circuit(n, name="ones" if ones else "zeros")
    for w in range(n) if ones else ():
        c = c.add("X", w)
    if (-1.0) ** (n if ones else 0) != value:
        c = c.add("X", n - 1)
    return c, []


def _midpoint(family: Any) -> list[float]:
    return [1.0] * family.n_params


def _field_sign(family: Any, letter: str = "X") -> float:
    """Minus the sign of the summed one-site ``letter`` coefficients of ``H`` at the midpoint (+1 if none).

    ``+1``: the field favours the ``+1`` eigenstates (``|+>`` or ``|0>``); ``-1``: the ``-1`` ones.
    """
    H = family.hamiltonian(_midpoint(family))
    cs = [c for c, s in H.terms if len(s.wires) == 1 and letter in str(s)]
    return -1.0 if cs and sum(cs) > 0 else 1.0


def _groups(family: Any, pairs: list) -> list[PauliSum]:
    from qml.problems.registry import _bond_groups

    out: list[PauliSum] = []
    for op in family.observables():
        terms = tuple((c, s) for c, s in op.terms if not s.is_identity)
        if terms:
            out += _bond_groups(PauliSum(terms), pairs)
    return out


def family_ansatz(family: Any, layers: int, sector: float | None = None) -> Circuit:
    """The HVA of the family's term structure, every ``H_k`` kept apart, from a state in ``sector``.

    Args:
        family: A :class:`~qml.models.conditional.HamiltonianFamily`.
        layers: Number of layers (each applies every bond class of every ``H_k`` once).
        sector: The value of :func:`family_symmetry` the circuit stays in (``None``: the
            problem's reference state, no sector imposed).

    Returns:
        The circuit; its name records the sector.

    Raises:
        ValueError: For ``layers < 1`` or a sector value the symmetry does not have.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> fam = HamiltonianFamily.from_problem("xxz", "delta", n=4)
        >>> c = family_ansatz(fam, 2, sector=0.0)
        >>> c.n_weights, c.name   # XX+YY and ZZ on two bond classes each, per layer
        (8, 'family_hva[Sz = 0]')
    """
    from qml.problems.registry import _after
    from qml.templates import hva

    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise ConfigError(f"layers must be an integer >= 1, got {layers!r}")
    sym = family_symmetry(family)
    if sector is not None:
        valid = sector_values(family, sym)
        if sym is None or not any(abs(sector - v) < 1e-9 for v in valid):
            what = "no symmetry" if sym is None else f"{sym.name} values {valid}"
            raise ConfigError(f"sector {sector!r} is not a sector of this family ({what}); pass one of them")
    init, pairs = _initial_state(family, sym, sector)
    body = hva(_groups(family, pairs), layers, n_wires=family.n_wires)
    label = "none" if sym is None or sector is None else sym.label(sector)
    return Circuit(body.n_wires, _after(init, body).ops, body.n_weights, name=f"family_hva[{label}]")


# -- the sector scan --------------------------------------------------------------------------------
@dataclass
class SectorScan:
    """The lowest energy of every sector at a set of ``lambda`` points, and the branches it implies.

    Attributes:
        symmetry: Name of the family's symmetry (``None``: one branch, no sectors).
        values: The sector values scanned.
        lams: ``(T, K)`` points, as lists.
        energies: ``energies[t][v]`` lowest energy of sector ``values[v]`` at point ``t``.
        ground: The sector values holding the ground level at each point (several when
            sectors are degenerate).
        branches: The sectors that get a branch: one ground sector per point (ties go to
            the sector already chosen elsewhere, else the first), and for ``Sz`` every
            value between the ground sectors of neighbouring points.

    Example:
        >>> SectorScan("Px", [-1.0, 1.0], [[0.5]], [[-1.0, -2.0]], [[1.0]], [1.0]).label(1.0)
        'Px = 1'
    """

    symmetry: str | None
    values: list[float]
    lams: list[list[float]]
    energies: list[list[float]]
    ground: list[list[float]]
    branches: list[float | None] = field(default_factory=list)

    def label(self, value: float | None) -> str:
        """``"Sz = -1"`` (``"all"`` for the single branch of a family without symmetry)."""
        return "all" if self.symmetry is None or value is None else f"{self.symmetry} = {value:g}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form (see the class attributes)."""
        return asdict(self)


def sector_ground(H: PauliSum, n: int, sym: Symmetry | None, value: float | None) -> Any:
    """The lowest level of ``H`` within one sector (the whole space for ``sym`` or ``value`` ``None``).

    Returns:
        A :class:`qml.ed.Spectrum` (``.energy``, ``.ground_space``).

    Example:
        >>> from qml.problems.spins import heisenberg
        >>> from qml.symmetry import candidate_symmetries
        >>> sz = candidate_symmetries(4)[0]
        >>> round(sector_ground(heisenberg(4), 4, sz, 1.0).energy, 6)   # the triplet of the N=4 ring
        -1.0
    """
    from qml.ed import spectrum

    if sym is None or value is None:
        return spectrum(H, n, 1)
    return spectrum(H, n, 1, symmetry=None, sector=sym.operator, sector_value=value)


def _sector_energy(H: PauliSum, n: int, sym: Symmetry, value: float) -> float:
    return sector_ground(H, n, sym, value).energy


def scan_sectors(family: Any, lams: Any, values: list[float] | None = None) -> SectorScan:
    """Lowest energy of each sector at ``lams`` (exact, restricted to the sector) and the branches.

    Args:
        family: The Hamiltonian family.
        lams: ``(T,)`` or ``(T, K)`` points (the training points).
        values: Sector values to scan (default: all of :func:`sector_values`).

    Returns:
        A :class:`SectorScan`.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> fam = HamiltonianFamily.from_problem("xxz", "delta", n=4)
        >>> scan_sectors(fam, [-2.0, 0.5]).ground   # ferromagnet (both polarised), then Sz = 0
        [[-2.0, 2.0], [0.0]]
    """
    L = family.as_lams(lams).numpy()
    sym = family_symmetry(family)
    if sym is None:
        return SectorScan(None, [], L.tolist(), [[] for _ in L], [[] for _ in L], [None])
    vals = sector_values(family, sym) if values is None else [float(v) for v in values]
    n = family.n_wires
    E = np.array([[_sector_energy(family.hamiltonian(row), n, sym, v) for v in vals] for row in L])
    ground = []
    for e in E:
        tol = DEGENERACY_TOL * max(1.0, abs(e.min()))
        ground.append([v for v, x in zip(vals, e) if x <= e.min() + tol])
    chosen: list[float] = []
    for g in ground:
        pick = next((v for v in g if v in chosen), g[0] if len(g) == 1 else min(g, key=abs))
        chosen.append(pick)
    branches = set(chosen)
    if sym.name == "Sz":
        order = np.lexsort(L.T[::-1])
        seq = [chosen[i] for i in order]
        for a, b in itertools.pairwise(seq):
            lo, hi = min(a, b), max(a, b)
            branches.update(v for v in vals if lo <= v <= hi)
    ordered: list[float | None] = [*sorted(branches)]  # the field's type (None: the single branch)
    return SectorScan(sym.name, vals, L.tolist(), E.tolist(), ground, ordered)


def exact_crossings(
    family: Any, lo: float, hi: float, values: list[float], points: int = 41, tol: float = 1e-7
) -> list[dict[str, Any]]:
    """Where the exact ground state changes sector along a one-parameter family, by bisection.

    Args:
        family: A one-parameter family with a symmetry.
        lo: Start of the interval.
        hi: End of the interval.
        values: The sector values to compare (e.g. :attr:`SectorScan.values`).
        points: Grid points of the first scan.
        tol: Bisection tolerance on ``lambda``.

    Returns:
        ``[{"lambda": x, "from": a, "to": b}]`` in increasing ``lambda``.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> fam = HamiltonianFamily.from_problem("heisenberg", "h", n=2, periodic=False)
        >>> [round(c["lambda"], 6) for c in exact_crossings(fam, 0.0, 2.0, [-1.0, 0.0])]
        [1.0]
    """
    sym = family_symmetry(family)
    if sym is None or family.n_params != 1:
        return []
    n = family.n_wires

    def ground(x: float) -> float:
        H = family.hamiltonian(x)
        e = [_sector_energy(H, n, sym, v) for v in values]
        return values[int(np.argmin(e))]

    xs = np.linspace(lo, hi, points)
    gs = [ground(float(x)) for x in xs]
    out = []
    for i in range(points - 1):
        if gs[i] == gs[i + 1]:
            continue
        a, b = float(xs[i]), float(xs[i + 1])
        while b - a > tol:
            m = 0.5 * (a + b)
            if ground(m) == gs[i]:
                a = m
            else:
                b = m
        out.append({"lambda": 0.5 * (a + b), "from": gs[i], "to": gs[i + 1]})
    return out


__all__ = [
    "DEGENERACY_TOL",
    "SectorScan",
    "exact_crossings",
    "family_ansatz",
    "family_symmetry",
    "scan_sectors",
    "sector_ground",
    "sector_values",
]
