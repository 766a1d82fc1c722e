"""Lattices for spin models: chain, ring, ladder, square and triangular, open or periodic.

A :class:`Lattice` is a set of sites (numbered ``0..n_sites-1``; the site number is the
qubit wire) with Cartesian positions and a list of :class:`Edge` s, each tagged with a bond
``kind``: ``"nn"`` (nearest neighbours, the first distance shell) or ``"nnn"``
(next-nearest neighbours, the second shell). Shells are found from the geometry, with the
minimum-image convention along periodic directions, so every lattice gets both kinds.

Site numbering: a 2D lattice of ``lx`` columns and ``ly`` rows numbers site ``(x, y)`` as
``x * ly + y`` (column-major, so the two sites of a ladder rung are neighbours in the
numbering). A periodic direction must have at least 3 sites, so that no pair of sites is
joined twice (``L = 2`` would double every bond along it).

Example:
    >>> lat = chain(4, periodic=True)
    >>> lat.bonds("nn")
    [(0, 1), (0, 3), (1, 2), (2, 3)]
    >>> lat.bonds("nnn")
    [(0, 2), (1, 3)]
    >>> square(2, 2).n_sites, len(square(2, 2).bonds())
    (4, 4)
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass

from qml.errors import ConfigError

#: Lattice names understood by :func:`make_lattice`.
LATTICES: tuple[str, ...] = ("chain", "ring", "ladder", "square", "triangular")
#: Bond kinds: nearest and next-nearest neighbours.
BOND_KINDS: tuple[str, ...] = ("nn", "nnn")

_TOL = 1e-9


@dataclass(frozen=True)
class Edge:
    """A bond between sites ``i < j`` of kind ``"nn"`` or ``"nnn"``.

    Example:
        >>> Edge(0, 1, "nn").sites
        (0, 1)
    """

    i: int
    j: int
    kind: str = "nn"

    @property
    def sites(self) -> tuple[int, int]:
        """The two sites ``(i, j)``."""
        return (self.i, self.j)


@dataclass(frozen=True)
class Lattice:
    """Sites with positions and typed bonds.

    Attributes:
        name: ``"chain"``, ``"ring"``, ``"ladder"``, ``"square"`` or ``"triangular"``.
        shape: ``(n,)`` for chains, ``(lx, ly)`` for 2D lattices.
        periodic: Periodic boundary per direction (same length as ``shape``).
        positions: Cartesian coordinates of each site.
        edges: The bonds, sorted by kind, then sites.

    Example:
        >>> lat = ladder(3)
        >>> lat.n_sites, lat.shape, lat.bonds("nn")[:3]
        (6, (3, 2), [(0, 1), (0, 2), (1, 3)])
    """

    name: str
    shape: tuple[int, ...]
    periodic: tuple[bool, ...]
    positions: tuple[tuple[float, float], ...]
    edges: tuple[Edge, ...]

    @property
    def n_sites(self) -> int:
        """Number of sites (= qubits)."""
        return len(self.positions)

    def bonds(self, kind: str = "nn") -> list[tuple[int, int]]:
        """The site pairs ``(i, j)``, ``i < j``, of one bond kind.

        Args:
            kind: ``"nn"`` or ``"nnn"``.

        Example:
            >>> chain(3).bonds("nn")
            [(0, 1), (1, 2)]
        """
        if kind not in BOND_KINDS:
            raise ConfigError(f"unknown bond kind {kind!r}; expected one of {BOND_KINDS}")
        return [e.sites for e in self.edges if e.kind == kind]

    def label(self) -> str:
        """A short human label such as ``"ring(8)"`` or ``"square(3x3, periodic)"``.

        Example:
            >>> square(3, 3, periodic=True).label()
            'square(3x3, periodic)'
        """
        dims = "x".join(str(s) for s in self.shape)
        if self.name in ("ring",):
            return f"ring({dims})"
        pbc = ", periodic" if all(self.periodic) else ", periodic x" if any(self.periodic) else ""
        return f"{self.name}({dims}{pbc})"


def _size(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _build(
    name: str,
    cells: tuple[int, int],
    periodic: tuple[bool, bool],
    a1: tuple[float, float],
    a2: tuple[float, float],
    shape: tuple[int, ...],
) -> Lattice:
    """Sites ``x a1 + y a2`` on an ``lx x ly`` grid; bonds from the two shortest distance shells."""
    lx, ly = cells
    for length, pbc, axis in ((lx, periodic[0], "x"), (ly, periodic[1], "y")):
        if pbc and length < 3:
            raise ConfigError(
                f"a periodic direction needs at least 3 sites, got {length} along {axis}; "
                "use periodic=False or a larger lattice"
            )
    coords = [(x, y) for x in range(lx) for y in range(ly)]
    positions = tuple((x * a1[0] + y * a2[0], x * a1[1] + y * a2[1]) for x, y in coords)
    shifts_x = (-1, 0, 1) if periodic[0] else (0,)
    shifts_y = (-1, 0, 1) if periodic[1] else (0,)
    dist: dict[tuple[int, int], float] = {}
    for i, j in itertools.combinations(range(len(coords)), 2):
        (xi, yi), (xj, yj) = coords[i], coords[j]
        best = math.inf
        for sx, sy in itertools.product(shifts_x, shifts_y):
            dx, dy = xj - xi + sx * lx, yj - yi + sy * ly
            rx, ry = dx * a1[0] + dy * a2[0], dx * a1[1] + dy * a2[1]
            best = min(best, math.hypot(rx, ry))
        dist[(i, j)] = best
    shells: list[float] = []
    for d in sorted(dist.values()):
        if not shells or d > shells[-1] + _TOL:
            shells.append(d)
        if len(shells) == 2:
            break
    edges: list[Edge] = []
    for kind, shell in zip(BOND_KINDS, shells):
        edges += [Edge(i, j, kind) for (i, j), d in sorted(dist.items()) if abs(d - shell) <= _TOL]
    return Lattice(name, shape, periodic[: len(shape)], positions, tuple(edges))


def chain(n: int, periodic: bool = False) -> Lattice:
    """A 1D chain of ``n`` sites (``periodic=True``: a ring, which needs ``n >= 3``).

    Example:
        >>> chain(4).bonds("nn"), chain(4).bonds("nnn")
        ([(0, 1), (1, 2), (2, 3)], [(0, 2), (1, 3)])
    """
    n = _size("n", n, 2)
    lat = _build("chain", (n, 1), (bool(periodic), False), (1.0, 0.0), (0.0, 1.0), (n,))
    return Lattice("ring" if periodic else "chain", lat.shape, lat.periodic, lat.positions, lat.edges)


def ring(n: int) -> Lattice:
    """A periodic chain of ``n >= 3`` sites (same as ``chain(n, periodic=True)``).

    Example:
        >>> ring(3).bonds()
        [(0, 1), (0, 2), (1, 2)]
    """
    return chain(n, periodic=True)


def ladder(length: int, periodic: bool = False) -> Lattice:
    """A two-leg ladder of ``length`` rungs (``2 * length`` sites); ``periodic`` closes the legs.

    Sites ``2x`` and ``2x + 1`` form rung ``x``. Nearest-neighbour bonds are legs and
    rungs; next-nearest are the plaquette diagonals.

    Example:
        >>> lat = ladder(2)
        >>> lat.bonds("nn"), lat.bonds("nnn")
        ([(0, 1), (0, 2), (1, 3), (2, 3)], [(0, 3), (1, 2)])
    """
    length = _size("length", length, 1)
    if length == 1 and periodic:
        raise ConfigError("a periodic ladder needs length >= 3")
    return _build("ladder", (length, 2), (bool(periodic), False), (1.0, 0.0), (0.0, 1.0), (length, 2))


def square(lx: int, ly: int, periodic: bool = False) -> Lattice:
    """An ``lx x ly`` square lattice (``nnn``: the diagonals), open or periodic in both directions.

    Example:
        >>> lat = square(3, 3, periodic=True)
        >>> len(lat.bonds("nn")), len(lat.bonds("nnn"))
        (18, 18)
    """
    lx, ly = _size("lx", lx, 1), _size("ly", ly, 1)
    if lx * ly < 2:
        raise ConfigError("a square lattice needs at least 2 sites")
    return _build("square", (lx, ly), (bool(periodic), bool(periodic)), (1.0, 0.0), (0.0, 1.0), (lx, ly))


def triangular(lx: int, ly: int, periodic: bool = False) -> Lattice:
    """An ``lx x ly`` triangular lattice (primitive vectors ``(1, 0)`` and ``(1/2, sqrt 3 / 2)``).

    Each bulk site has 6 nearest neighbours; ``nnn`` bonds are at distance ``sqrt 3``.

    Example:
        >>> len(triangular(2, 2).bonds("nn"))
        5
    """
    lx, ly = _size("lx", lx, 1), _size("ly", ly, 1)
    if lx * ly < 2:
        raise ConfigError("a triangular lattice needs at least 2 sites")
    a2 = (0.5, math.sqrt(3.0) / 2.0)
    return _build("triangular", (lx, ly), (bool(periodic), bool(periodic)), (1.0, 0.0), a2, (lx, ly))


def make_lattice(
    name: str,
    n: int | None = None,
    lx: int | None = None,
    ly: int | None = None,
    periodic: bool = False,
) -> Lattice:
    """Build a lattice by name.

    Args:
        name: One of :data:`LATTICES`.
        n: Number of sites for ``"chain"``/``"ring"``; for ``"ladder"`` the total number
            of sites (even) when ``lx`` is not given.
        lx: Columns (2D) or rungs (ladder).
        ly: Rows (2D lattices).
        periodic: Periodic boundaries (``"ring"`` is always periodic).

    Raises:
        ValueError: For an unknown name or missing / bad sizes.

    Example:
        >>> make_lattice("ladder", n=8).shape
        (4, 2)
    """
    if name not in LATTICES:
        raise ConfigError(f"unknown lattice {name!r}; valid lattices: {', '.join(LATTICES)}")
    if name in ("chain", "ring"):
        if n is None:
            raise ConfigError(f"the {name} lattice needs n (the number of sites)")
        return chain(n, periodic=periodic or name == "ring")
    if name == "ladder":
        if lx is None:
            if n is None or isinstance(n, bool) or not isinstance(n, numbers.Integral) or n % 2:
                raise ConfigError(f"the ladder needs lx (rungs) or an even n (sites), got n={n!r}")
            lx = int(n) // 2
        return ladder(lx, periodic=periodic)
    if lx is None or ly is None:
        if n is not None and isinstance(n, numbers.Integral) and math.isqrt(int(n)) ** 2 == n:
            lx = ly = math.isqrt(int(n))
        else:
            raise ConfigError(f"the {name} lattice needs lx and ly (or a square number n), got n={n!r}")
    builder = square if name == "square" else triangular
    lat = builder(lx, ly, periodic=periodic)
    if n is not None and n != lat.n_sites:
        raise ConfigError(f"n={n} does not match lx * ly = {lat.n_sites}; give one or the other")
    return lat


__all__ = [
    "BOND_KINDS",
    "LATTICES",
    "Edge",
    "Lattice",
    "chain",
    "ladder",
    "make_lattice",
    "ring",
    "square",
    "triangular",
]
