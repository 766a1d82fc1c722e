"""Symmetries of Hamiltonians and ansaetze: what is conserved, and can an ansatz reach the ground space?

Candidate symmetries (:func:`candidate_symmetries`), in spin language with ``S = sigma / 2``:

* ``"Sz"``: total ``S^z = (1/2) sum_i Z_i`` (U(1) magnetisation, particle number);
* ``"Px"``: the spin-flip parity ``prod_i X_i`` (the Z2 symmetry of the TFIM);
* ``"Pz"``: the Z parity ``prod_i Z_i`` (anisotropic XY models);
* ``"S2"``: total spin squared ``S_tot^2`` (SU(2)-invariant models), eigenvalues ``S(S+1)``.

The first three are *qubit-wise* (one Pauli letter per wire), so exact diagonalisation can
restrict to each of their sectors exactly (:func:`qml.ed.spectrum` scans all of them);
``S2`` is used only to diagnose ansaetze.

An ansatz conserves a symmetry ``S`` with value ``s`` when every state it prepares is an
eigenstate of ``S`` with eigenvalue ``s``: its gates commute with ``S`` and its initial
state has ``S = s``. :func:`conserved_quantities` finds these from the circuit itself, by
simulating it at random weights and measuring ``<S>`` and ``<S^2> - <S>^2`` (exact
arithmetic, no sampling; two independent draws must agree). :func:`check_reachable`
compares them with the ground space: the restriction ``G^dagger S G`` of a symmetry of ``H``
to the ground space ``G`` has the eigenvalues of ``S`` present in the ground level, and an
ansatz confined to ``S = s`` can reach the ground level only if ``s`` is among them.

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("xxz", n=6, delta=-1.5)          # ferromagnetic: fully polarised
    >>> r = check_reachable(p.hamiltonian, p.ansatz(2, sz=0.0), p.exact().ground_space)
    >>> r.reachable, r.conserved["Sz"], r.ground["Sz"]
    (False, 0.0, [-3.0, 3.0])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from qml.ir import Circuit
from qml.paulis import PauliString, PauliSum

log = logging.getLogger(__name__)

#: Widest register for which the total-spin check (``S2``, ``~n^2`` Pauli terms) is made.
MAX_S2_WIRES = 14

#: Names of the candidate symmetries, in the order exact diagonalisation prefers them.
SYMMETRY_NAMES: tuple[str, ...] = ("Sz", "Px", "Pz", "S2")


@dataclass(frozen=True, eq=False)
class Symmetry:
    """A symmetry operator with a name.

    Attributes:
        name: ``"Sz"``, ``"Px"``, ``"Pz"`` or ``"S2"``.
        operator: The operator as a :class:`~qml.paulis.PauliSum`.
        qubitwise: Whether its terms commute qubit-wise (exact sector restriction possible).
        description: One line for messages.

    Example:
        >>> sz = candidate_symmetries(2)[0]
        >>> sz.name, str(sz.operator), sz.qubitwise
        ('Sz', '0.5*Z0 + 0.5*Z1', True)
    """

    name: str
    operator: PauliSum
    qubitwise: bool
    description: str
    _sparse: dict[int, Any] = field(default_factory=dict, repr=False)

    def matrix(self, n_wires: int) -> Any:
        """The operator's sparse matrix on ``n_wires`` qubits (built once per width).

        Example:
            >>> candidate_symmetries(2)[0].matrix(2).diagonal().real.tolist()
            [1.0, 0.0, 0.0, -1.0]
        """
        if n_wires not in self._sparse:
            self._sparse[n_wires] = self.operator.to_sparse(n_wires)
        return self._sparse[n_wires]

    def label(self, value: float) -> str:
        """``"Sz = 1"``-style label of one sector.

        Example:
            >>> candidate_symmetries(3)[1].label(-1.0)
            'Px = -1'
        """
        return f"{self.name} = {value:g}"


def _s2(n: int) -> PauliSum:
    """``S_tot^2 = 3n/4 + (1/4) sum_{i != j} (X_i X_j + Y_i Y_j + Z_i Z_j)`` (spin units)."""
    terms: list[tuple[float, PauliString]] = [(0.75 * n, PauliString(()))]
    for i in range(n):
        for j in range(i + 1, n):
            for a in "XYZ":
                terms.append((0.5, PauliString(((i, a), (j, a)))))
    return PauliSum(tuple(terms))


def candidate_symmetries(n: int) -> list[Symmetry]:
    """The candidate symmetries on ``n`` qubits, in :data:`SYMMETRY_NAMES` order.

    Example:
        >>> [s.name for s in candidate_symmetries(4)]
        ['Sz', 'Px', 'Pz', 'S2']
    """
    sz = PauliSum(tuple((0.5, PauliString(((i, "Z"),))) for i in range(n)))
    px = PauliSum(((1.0, PauliString(tuple((i, "X") for i in range(n)))),))
    pz = PauliSum(((1.0, PauliString(tuple((i, "Z") for i in range(n)))),))
    return [
        Symmetry("Sz", sz, True, "total magnetisation S^z = (1/2) sum Z"),
        Symmetry("Px", px, True, "spin-flip parity prod X"),
        Symmetry("Pz", pz, True, "Z parity prod Z"),
        Symmetry("S2", _s2(n), False, "total spin S^2 = S(S+1)"),
    ]


def symmetries_of(H: PauliSum, n_wires: int | None = None) -> list[Symmetry]:
    """The candidate symmetries that commute with ``H``.

    Example:
        >>> from qml.problems.spins import heisenberg, tfim
        >>> [s.name for s in symmetries_of(heisenberg(4))]
        ['Sz', 'Px', 'Pz', 'S2']
        >>> [s.name for s in symmetries_of(tfim(4, h=0.5))]
        ['Px']
    """
    n = H.n_wires if n_wires is None else n_wires
    out = []
    for sym in candidate_symmetries(n):
        if sym.name == "S2" and n > MAX_S2_WIRES:
            continue
        if H.commutes(sym.operator, atol=1e-10 * max(1.0, H.l1_norm())):
            out.append(sym)
    return out


def scan_symmetry(H: PauliSum, n_wires: int | None = None) -> Symmetry | None:
    """The qubit-wise symmetry of ``H`` with the most sectors (``Sz`` before the parities), or ``None``.

    This is the symmetry whose sectors :func:`qml.ed.spectrum` solves one by one.

    Example:
        >>> from qml.problems.spins import tfim, xxz
        >>> scan_symmetry(xxz(4, delta=0.5)).name, scan_symmetry(tfim(4)).name
        ('Sz', 'Px')
    """
    for sym in symmetries_of(H, n_wires):
        if sym.qubitwise:
            return sym
    return None


def restricted_values(sym: Symmetry, space: np.ndarray, n_wires: int) -> list[float]:
    """The eigenvalues of ``sym`` restricted to the column space ``space`` (``(2^n, d)`` orthonormal).

    For a symmetry of ``H`` and ``space`` an eigenspace of ``H``, these are the values of the
    symmetry present in that level, sorted and rounded to 1e-9.

    Example:
        >>> import numpy as np
        >>> sz = candidate_symmetries(2)[0]
        >>> restricted_values(sz, np.eye(4)[:, [0, 3]], 2)
        [-1.0, 1.0]
    """
    m = space.conj().T @ (sym.matrix(n_wires) @ space)
    vals = np.linalg.eigvalsh((m + m.conj().T) / 2)
    return sorted({round(float(v), 9) + 0.0 for v in vals})


def conserved_quantities(
    circuit: Circuit,
    symmetries: list[Symmetry] | None = None,
    *,
    seed: int = 0,
    draws: int = 2,
    tol: float = 1e-8,
) -> dict[str, float]:
    """The symmetries the circuit conserves and their values, found by simulation at random weights.

    A symmetry counts as conserved with value ``s`` when, for ``draws`` independent seeded
    draws of the weights (and inputs) uniform in ``[-pi, pi)``, the prepared state has
    ``<S> = s`` and variance ``<S^2> - <S>^2 <= tol``. Gates that commute with ``S`` and an
    initial state with ``S = s`` give exactly that; a generic circuit that breaks ``S``
    gives a variance of order one.

    Args:
        circuit: The ansatz.
        symmetries: Which symmetries to test (default: all candidates on its width).
        seed: Seed of the random weights.
        draws: Independent weight draws that must agree.
        tol: Largest variance counted as zero.

    Returns:
        ``{name: value}`` of the conserved symmetries.

    Example:
        >>> from qml.problems import get_problem
        >>> conserved_quantities(get_problem("heisenberg", n=4).ansatz(2))
        {'Sz': 0.0, 'Px': 1.0, 'Pz': 1.0, 'S2': 0.0}
    """
    from qml.sim.simulator import Simulator

    n = circuit.n_wires
    syms = candidate_symmetries(n) if symmetries is None else symmetries
    syms = [s for s in syms if s.name != "S2" or n <= MAX_S2_WIRES]
    gen = torch.Generator().manual_seed(int(seed))
    sim = Simulator()
    values: dict[str, list[float]] = {s.name: [] for s in syms}
    for _ in range(draws):
        w = (torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi
        x = (torch.rand(circuit.n_inputs, generator=gen, dtype=torch.float64) * 2 - 1) * np.pi
        with torch.no_grad():
            psi = sim.state(circuit, w, x if circuit.n_inputs else None).reshape(-1).numpy()
        psi = psi.astype(complex)
        for sym in syms:
            if values[sym.name] is None:
                continue
            s_psi = sym.matrix(n) @ psi
            mean = float(np.vdot(psi, s_psi).real)
            var = float(np.vdot(s_psi, s_psi).real) - mean**2
            if var > tol * max(1.0, abs(mean)):
                values[sym.name] = None  # type: ignore[assignment]
            else:
                values[sym.name].append(mean)
    out: dict[str, float] = {}
    for name, vs in values.items():
        if vs is not None and max(vs) - min(vs) <= 1e-6:
            out[name] = round(float(np.mean(vs)), 9) + 0.0
    return out


@dataclass
class Reachability:
    """Whether an ansatz can reach the ground space, and why not.

    Attributes:
        reachable: ``False`` when a quantity the ansatz conserves takes a value the ground
            level does not have (no depth or optimiser can then reach it).
        conserved: ``{name: value}`` the ansatz conserves (see :func:`conserved_quantities`).
        ground: ``{name: [values]}`` of the symmetries of ``H`` present in the ground level.
        reason: A sentence for users; empty when reachable.

    Example:
        >>> Reachability(True, {"Sz": 0.0}, {"Sz": [0.0]}).summary()
        'reachable (ansatz conserves Sz = 0; ground level has Sz in {0})'
    """

    reachable: bool
    conserved: dict[str, float] = field(default_factory=dict)
    ground: dict[str, list[float]] = field(default_factory=dict)
    reason: str = ""

    def summary(self) -> str:
        """One line: reachable or not, with the conserved and ground-level values."""
        kept = ", ".join(f"{k} = {v:g}" for k, v in self.conserved.items() if k in self.ground)
        ground = "; ".join(
            f"{k} in {{{', '.join(f'{v:g}' for v in vs)}}}"
            for k, vs in self.ground.items()
            if k in self.conserved
        )
        head = "reachable" if self.reachable else "NOT reachable"
        if not kept:
            return f"{head} (the ansatz conserves no symmetry of H)"
        return f"{head} (ansatz conserves {kept}; ground level has {ground})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "reachable": self.reachable,
            "conserved": dict(self.conserved),
            "ground": {k: list(v) for k, v in self.ground.items()},
            "reason": self.reason,
        }


def check_reachable(
    H: PauliSum,
    circuit: Circuit,
    ground_space: np.ndarray,
    *,
    seed: int = 0,
) -> Reachability:
    """Compare the ansatz's conserved quantities with the symmetry content of the ground space.

    Conserved quantities are checked jointly: the ground space is first restricted to the
    eigenspace of the first conserved symmetry with the ansatz's value, then the next, so
    an ansatz with ``Sz = 0`` and ``S^2 = 0`` facing a ground level that holds a triplet
    (``S = 1``, its ``Sz = 0`` member included) is found unable to reach it.

    Args:
        H: The Hamiltonian.
        circuit: The ansatz (its initial state included).
        ground_space: ``(2^n, d)`` orthonormal columns spanning the ground level.
        seed: Seed of the random weights used to find the conserved quantities.

    Returns:
        A :class:`Reachability`.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("heisenberg", n=6, h=2.0)    # the field magnetises the ground state
        >>> check_reachable(p.hamiltonian, p.ansatz(1, sz=0.0), p.exact().ground_space).reason[:60]
        'the ansatz conserves Sz = 0, but the ground level has Sz in '
    """
    n = circuit.n_wires
    syms = symmetries_of(H, n)
    conserved = conserved_quantities(circuit, syms, seed=seed)
    ground = {s.name: restricted_values(s, ground_space, n) for s in syms}
    space = ground_space
    for sym in syms:
        if sym.name not in conserved:
            continue
        s = conserved[sym.name]
        m = space.conj().T @ (sym.matrix(n) @ space)
        vals, vecs = np.linalg.eigh((m + m.conj().T) / 2)
        keep = np.abs(vals - s) <= 1e-6 * max(1.0, abs(s))
        if not keep.any():
            values = ", ".join(f"{v:g}" for v in ground[sym.name])
            joint = "" if space is ground_space else " (among its states with the other conserved values)"
            reason = (
                f"the ansatz conserves {sym.label(s)}, but the ground level has {sym.name} in "
                f"{{{values}}}{joint}, so no depth or optimiser reaches it: start from a state with "
                f"{sym.name} in that set (for problem ansatze: ansatz(..., sz=...) or the default "
                "sz='auto'), or use an ansatz that does not conserve " + sym.description
            )
            return Reachability(False, conserved, ground, reason)
        space = space @ vecs[:, keep]
    return Reachability(True, conserved, ground, "")


class UnreachableGroundStateWarning(UserWarning):
    """The ansatz conserves a quantity whose value the ground level does not have.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warnings.warn("conserves Sz = 0", UnreachableGroundStateWarning)
        >>> caught[0].category.__name__
        'UnreachableGroundStateWarning'
    """


__all__ = [
    "MAX_S2_WIRES",
    "SYMMETRY_NAMES",
    "Reachability",
    "Symmetry",
    "UnreachableGroundStateWarning",
    "candidate_symmetries",
    "check_reachable",
    "conserved_quantities",
    "restricted_values",
    "scan_symmetry",
    "symmetries_of",
]
