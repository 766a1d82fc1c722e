"""Problem library: lattices, spin Hamiltonians, molecules and the problem registry.

A :class:`Problem` bundles a Hamiltonian (:class:`~qml.paulis.PauliSum`) with its
symmetry sector, exact reference (:meth:`Problem.exact`: closed form or exact
diagonalisation; free fermions or DMRG for wider chains), natural ansatz
(:meth:`Problem.ansatz`) and seeded initial weights. Build one by name with
:func:`get_problem`.

Modules:
    * :mod:`~qml.problems.lattice`: ``chain``, ``ring``, ``ladder``, ``square``,
      ``triangular`` with nearest / next-nearest-neighbour bonds;
    * :mod:`~qml.problems.spins`: ``tfim``, ``xxz``, ``heisenberg``, ``j1j2``, ``xy``,
      ``metavqe`` (unit conventions: see that module);
    * :mod:`~qml.problems.molecules`: ``molecular_hamiltonian("h2" | "lih" | "beh2", bond_length)``
      and ``molecular_hamiltonian_from(geometry, basis, charge, multiplicity, active_electrons,
      active_orbitals)`` for any molecule (PySCF integrals, Jordan-Wigner);
    * :mod:`~qml.problems.registry`: ``get_problem``, ``PROBLEMS``.

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("h2", bond_length=0.74)
    >>> round(p.exact().energy, 8), p.n_wires
    (-1.13728383, 4)
"""

from qml.problems.lattice import (
    LATTICES,
    Edge,
    Lattice,
    chain,
    ladder,
    make_lattice,
    ring,
    square,
    triangular,
)
from qml.problems.molecules import (
    MOLECULES,
    from_pennylane,
    molecular_hamiltonian,
    molecular_hamiltonian_from,
    parse_geometry,
)
from qml.problems.problem import ExactResult, Problem
from qml.problems.registry import PROBLEMS, get_problem, problem_names
from qml.problems.spins import UNITS, heisenberg, j1j2, metavqe, tfim, tfim_exact_energy, xxz, xy

__all__ = [
    "LATTICES",
    "MOLECULES",
    "PROBLEMS",
    "UNITS",
    "Edge",
    "ExactResult",
    "Lattice",
    "Problem",
    "chain",
    "from_pennylane",
    "get_problem",
    "heisenberg",
    "j1j2",
    "ladder",
    "make_lattice",
    "metavqe",
    "molecular_hamiltonian",
    "molecular_hamiltonian_from",
    "parse_geometry",
    "problem_names",
    "ring",
    "square",
    "tfim",
    "tfim_exact_energy",
    "triangular",
    "xxz",
    "xy",
]
