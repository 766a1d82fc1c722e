"""Excited states: variational quantum deflation (:func:`vqd`) and subspace-search VQE (:func:`ssvqe`).

Both methods work *sector by sector*. A Hamiltonian with a qubit-wise symmetry (total
``Sz`` of U(1) spin models, the parity ``Px = prod X`` of the TFIM, ``Pz``; see
:func:`qml.symmetry.scan_symmetry`) splits into sectors, and a symmetry-conserving ansatz
only ever explores the sector of its initial state. The drivers therefore build one
ansatz per requested sector (``sectors="ground"``, ``"all"`` or explicit values such as
``[1, -1]`` for ``Px`` or ``[0]`` for ``Sz``), run the method in each, and merge the
states into one list of levels. The exact reference is the spectrum of ``H`` restricted
to the *same* sectors (:func:`qml.ed.spectrum`), so every state is compared with the
eigenvalue of its own sector: the ``k``-th state found in a sector with the ``k``-th
exact eigenvalue of that sector.

* :func:`vqd` (Higgott, Wang, Brierley 2019): state ``k`` of a sector minimises
  ``E(w) + beta sum_{j<k} |<psi_j|psi(w)>|^2`` over the states already found there
  (overlaps exact and differentiable, from simulator states). ``beta`` must exceed the
  energy range of the targeted levels; ``beta="auto"`` takes twice the exact range plus
  a margin when the exact levels are known, else ``4 * ||H||_1`` (twice a bound on
  ``E_max - E_0``).
* :func:`ssvqe` (Nakanishi, Mitarai, Fujii 2019), weighted variant: one shared circuit
  ``U(w)`` acts on ``n`` orthogonal product states ``|phi_j>`` of the sector (prepared by
  input-controlled ``RX(pi x_i)`` gates and the sector's basis change) and minimises
  ``sum_j w_j <phi_j|U^dag H U|phi_j>`` with strictly decreasing ``w_j``; all inputs run
  as one batched simulation.

The default ansatz (:func:`excited_ansatz`) is a multi-angle Hamiltonian variational
ansatz: every term (or minimal symmetry-conserving group of terms of one bond, such as
``XX + YY``) gets its own angle in every layer, plus a rotation about the symmetry axis
on every site, started from a state of the requested sector. It conserves the sector's
symmetry and nothing more: no translation, reflection or SU(2) invariance that would
hide excited states (checked with :func:`qml.symmetry.conserved_quantities`).

When several sectors are requested and the exact spectrum is known, the number of
states to find in each sector is read from it (``allocate="exact"``); otherwise the
sectors are merged greedily (``allocate="greedy"``: the next state of every sector is
found and the lowest one accepted).

Example:
    >>> from qml.problems import get_problem
    >>> r = vqd(get_problem("tfim", n=4, h=1.0), 3, steps=300)
    >>> r.sector_labels, max(r.rel_errors) < 1e-8
    (['Px = 1', 'Px = -1', 'Px = 1'], True)
"""

from __future__ import annotations

import itertools
import logging
import math
import numbers
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from qml.ed import group_levels, rotate, sector_basis, sector_dimensions
from qml.errors import ConfigError
from qml.ir import Circuit, W, X
from qml.optimize.optimizers import OPTIMIZERS, Objective, minimize, settings_dict
from qml.optimize.results import _Record, register_kind, versions
from qml.optimize.vqe import ProblemLike, as_problem
from qml.paulis import PauliString, PauliSum
from qml.problems.problem import Problem, SectorAnsatz
from qml.sim.observables import ObservablePlan
from qml.sim.simulator import Simulator
from qml.symmetry import Symmetry, candidate_symmetries, conserved_quantities, scan_symmetry, symmetries_of
from qml.templates.hamiltonian import pauli_rotation

log = logging.getLogger(__name__)

SectorsLike = str | Sequence[float] | None

#: Widest register for which the exact sector spectra are computed by default (``exact=None``).
EXACT_WIRES = 16
#: Relative tolerance grouping exact energies into one level (as :func:`qml.ed.spectrum`).
LEVEL_TOL = 1e-8
#: L-BFGS memory used unless ``options["history_size"]`` says otherwise.
LBFGS_HISTORY = 300
_ALLOCATIONS = ("auto", "exact", "greedy")


# -- sectors ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Sector:
    """One sector: a symmetry value (``symmetry=None``: the full space) and its dimension."""

    symmetry: Symmetry | None
    value: float | None
    dim: int

    @property
    def label(self) -> str:
        if self.symmetry is None or self.value is None:
            return "full space"
        return self.symmetry.label(self.value)


def _letter(sym: Symmetry) -> str:
    """The Pauli letter of a uniform qubit-wise symmetry (``Z`` for Sz and Pz, ``X`` for Px)."""
    letters = {ltr for _, s in sym.operator.terms for _, ltr in s.ops}
    if len(letters) != 1 or letters == {"Y"}:
        raise ConfigError(f"the symmetry {sym.name} is not a uniform X- or Z-type qubit-wise operator")
    return letters.pop()


def _sector_diag(sym: Symmetry, n: int) -> np.ndarray:
    """The symmetry's eigenvalue on each basis state of its eigenbasis (rounded to 1e-9)."""
    return sector_basis(sym.operator, n)[1]


def _sector_values(sym: Symmetry, n: int) -> dict[float, int]:
    return sector_dimensions(_sector_diag(sym, n))


def _basis_states(H: PauliSum, sector: _Sector, n: int, count: int) -> list[list[int]]:
    """The ``count`` product states of the sector's eigenbasis with the lowest diagonal energy.

    Bits ``b_w`` per wire (wire 0 first); ties are broken by the basis index.
    """
    if sector.symmetry is None:
        h_diag = H.diagonal(n)
        idx = np.arange(1 << n)
    else:
        rotations, values = sector_basis(sector.symmetry.operator, n)
        h_diag = rotate(H, rotations).diagonal(n)
        idx = np.flatnonzero(np.abs(values - float(sector.value or 0.0)) < 1e-9)
    order = np.lexsort((idx, np.round(h_diag[idx], 9)))[:count]
    return [[(int(b) >> (n - 1 - w)) & 1 for w in range(n)] for b in idx[order]]


# -- the default ansatz -------------------------------------------------------------------------
def _first_fit(terms: list[tuple[float, PauliString]]) -> list[list[tuple[float, PauliString]]]:
    groups: list[list[tuple[float, PauliString]]] = []
    for t in terms:
        for g in groups:
            if all(t[1].commutes(s) for _, s in g):
                g.append(t)
                break
        else:
            groups.append([t])
    return groups


def _generator_groups(
    H: PauliSum, sym: Symmetry | None, n: int, last: Sequence[tuple[int, int]] = ()
) -> list[PauliSum]:
    """Every term of ``H`` alone where it conserves ``sym``, else in a minimal commuting group of its bond.

    Two-body (and wider) groups come first, bond by bond in the order of a greedy edge
    colouring (bonds of one colour share no site; the bonds in ``last``, the singlet pairs
    of the initial state, form the last colour, since the initial state is an eigenstate
    of their terms), then the one-site groups, then a rotation about the symmetry axis on
    every site that ``H`` does not already rotate about it (coefficient: the median ``|c|``
    of ``H``'s terms, the natural angle scale).
    """
    bonds: dict[tuple[int, ...], list[tuple[float, PauliString]]] = {}
    for c, s in H.terms:
        if not s.is_identity:
            bonds.setdefault(s.wires, []).append((c, s))
    op = None if sym is None else sym.operator

    def split(terms: list[tuple[float, PauliString]]) -> list[PauliSum]:
        alone = [t for t in terms if op is None or PauliSum((t,)).commutes(op)]
        rest = [t for t in terms if t not in alone]
        out = [PauliSum((t,)) for t in alone]
        for g in _first_fit(rest):
            ps = PauliSum(tuple(g))
            if op is not None and not ps.commutes(op):
                assert sym is not None
                raise ConfigError(
                    f"the terms {ps} of H on wires {terms[0][1].wires} do not conserve {sym.name} in any "
                    "grouping, so no multi-angle ansatz conserving it can be built; pass an ansatz"
                )
            out.append(ps)
        return out

    colours: list[tuple[set[int], list[tuple[int, ...]]]] = []
    pinned: list[tuple[int, ...]] = [w for w in bonds if w in set(last)]
    for wires in bonds:
        if len(wires) < 2 or wires in pinned:
            continue
        for used, members in colours:
            if not used.intersection(wires):
                used.update(wires)
                members.append(wires)
                break
        else:
            colours.append((set(wires), [wires]))
    if pinned:
        colours.append((set(), pinned))
    groups = [g for _, members in colours for wires in members for g in split(bonds[wires])]
    for w in range(n):
        groups += split(bonds.get((w,), []))
    if sym is not None:
        letter = _letter(sym)
        scale = float(np.median([abs(c) for c, s in H.terms if not s.is_identity])) if H.terms else 1.0
        for w in range(n):
            if not any(s.ops[0][1] == letter for _, s in bonds.get((w,), [])):
                groups.append(PauliSum(((scale, PauliString(((w, letter),))),)))
    return groups


def _singlet_pairs(H: PauliSum, n: int, n_pairs: int) -> list[tuple[int, int]]:
    """``n_pairs`` disjoint pairs, bonds of ``H`` first (a greedy matching), then any free sites."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for w in sorted({s.wires for _, s in H.terms if len(s.wires) == 2}):
        if len(pairs) < n_pairs and not used.intersection(w):
            pairs.append((w[0], w[1]))
            used.update(w)
    free = [w for w in range(n) if w not in used]
    while len(pairs) < n_pairs:
        pairs.append((free.pop(0), free.pop(0)))
    return pairs


def _initial_state(H: PauliSum, sector: _Sector, n: int) -> tuple[Circuit, list[tuple[int, int]]]:
    """A state of the sector: singlets (SU(2)-invariant ``H`` and ``Sz``) or the lowest product state.

    Singlets plus polarised spins for ``Sz`` when ``H`` conserves total spin, else the
    sector's product state of lowest diagonal energy (Neel-like for XXZ, Hartree-Fock for
    molecules: a product state is an eigenstate of every number-like symmetry, so none of
    them is mixed with weights the ansatz could not change).

    Returns the circuit and its singlet pairs.
    """
    sym, value = sector.symmetry, sector.value
    c = Circuit(n, name="excited-hva")
    s2 = next(x for x in candidate_symmetries(n) if x.name == "S2").operator
    su2 = sym is not None and sym.name == "Sz" and H.commutes(s2, atol=1e-10)
    if su2 and value is not None:
        n_pairs = (n - round(2 * abs(value))) // 2
        pairs = _singlet_pairs(H, n, n_pairs)
        for a, b in pairs:
            c = c.add("X", a).add("X", b).add("H", a).add("CNOT", (a, b))
        if value < 0:
            paired = {w for p in pairs for w in p}
            for w in range(n):
                if w not in paired:
                    c = c.add("X", w)
        return c, pairs
    (bits,) = _basis_states(H, sector, n, 1)
    for w, b in enumerate(bits):
        if b:
            c = c.add("X", w)
    if sym is not None and _letter(sym) == "X":
        for w in range(n):
            c = c.add("H", w)
    return c, []


def _body(groups: list[PauliSum], layers: int, n: int) -> Circuit:
    c = Circuit(n, name="excited-hva")
    k = 0
    for _ in range(layers):
        for g in groups:
            for coeff, s in g.terms:
                c = pauli_rotation(c, s, W(k) * (2.0 * coeff))
            k += 1
    return c


def _check_layers(layers: Any) -> int:
    if isinstance(layers, bool) or not isinstance(layers, numbers.Integral) or int(layers) < 1:
        raise ConfigError(f"layers must be an integer >= 1, got {layers!r}")
    return int(layers)


def _resolve_symmetry(H: PauliSum, n: int, symmetry: str | None) -> Symmetry | None:
    if symmetry is None:
        return None
    if symmetry == "auto":
        return scan_symmetry(H, n)
    names = {s.name: s for s in candidate_symmetries(n) if s.qubitwise}
    if symmetry not in names:
        raise ConfigError(f"unknown symmetry {symmetry!r}; valid choices: 'auto', None, {', '.join(names)}")
    sym = names[symmetry]
    if not H.commutes(sym.operator, atol=1e-10 * max(1.0, H.l1_norm())):
        raise ConfigError(f"H does not conserve {symmetry} ({sym.description}); choose a symmetry of H")
    return sym


def _check_value(sym: Symmetry, value: Any, n: int) -> float:
    dims = _sector_values(sym, n)
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if not ok or round(float(value), 9) + 0.0 not in dims:
        valid = ", ".join(f"{v:g}" for v in sorted(dims, reverse=True))
        raise ConfigError(
            f"unknown sector {sym.name} = {value!r} on {n} qubits; valid values: {valid} "
            f"(sectors=[...] takes values of {sym.name}, or 'ground' / 'all')"
        )
    return round(float(value), 9) + 0.0


def excited_ansatz(
    hamiltonian: PauliSum,
    layers: int | None = None,
    *,
    sector: float | None = None,
    symmetry: str | None = "auto",
    n_wires: int | None = None,
) -> Circuit:
    """The multi-angle HVA used for excited states, started in one symmetry sector.

    Every term of ``H`` gets its own angle per layer when it conserves the symmetry alone;
    terms that only conserve it together (``XX + YY`` of a bond for ``Sz``) share one
    exponential. On top, every site gets a rotation about the symmetry axis (``RZ`` for
    ``Sz``/``Pz``, ``RX`` for ``Px``) unless ``H`` already has that term, which breaks
    SU(2) and, with the independent angles, every spatial symmetry. The initial state is
    in the requested sector: singlets on bonds plus polarised spins for ``Sz`` when ``H`` is
    SU(2)-invariant, else the lowest (diagonal-energy) product state of the sector's
    eigenbasis (``|+>^n`` for ``Px = 1``, one ``|->`` for ``Px = -1``, Neel-like states for
    an XXZ chain).

    Weight layout: ``(layers, n_groups)`` in C order.

    Args:
        hamiltonian: The Hamiltonian.
        layers: Number of layers (default: the number of qubits).
        sector: The symmetry value of the initial state (default: the first sector in
            :func:`qml.ed.spectrum` order, i.e. the largest value).
        symmetry: ``"auto"`` (the qubit-wise symmetry of ``H``, see
            :func:`qml.symmetry.scan_symmetry`), ``"Sz"``, ``"Px"``, ``"Pz"`` or ``None``
            (no symmetry: every term its own angle, from the lowest product state).
        n_wires: Width (default: that of ``H``).

    Returns:
        The circuit, named ``"excited-hva"``.

    Raises:
        ValueError: For a bad ``layers``, an unknown symmetry or sector value, or terms
            that cannot be grouped to conserve the symmetry.

    Example:
        >>> from qml.problems import get_problem
        >>> from qml.symmetry import conserved_quantities
        >>> c = excited_ansatz(get_problem("heisenberg", n=4).hamiltonian, 2, sector=0.0)
        >>> c.n_weights, conserved_quantities(c)
        (24, {'Sz': 0.0, 'Pz': 1.0})
    """
    H = PauliSum.coerce(hamiltonian)
    n = max(H.n_wires, 1) if n_wires is None else int(n_wires)
    if n < H.n_wires:
        raise ConfigError(f"n_wires={n} is too small for a Hamiltonian on {H.n_wires} wires")
    n_layers = n if layers is None else _check_layers(layers)
    sym = _resolve_symmetry(H, n, symmetry)
    if sym is None:
        if sector is not None:
            raise ConfigError("sector needs a symmetry: pass symmetry='auto' or a symmetry name")
        sec = _Sector(None, None, 1 << n)
    else:
        value = max(_sector_values(sym, n)) if sector is None else _check_value(sym, sector, n)
        sec = _Sector(sym, value, _sector_values(sym, n)[value])
    init, pairs = _initial_state(H, sec, n)
    body = _body(_generator_groups(H, sym, n, pairs), n_layers, n)
    return Circuit(n, init.ops + body.ops, body.n_weights, name="excited-hva")


# -- objectives ---------------------------------------------------------------------------------
@dataclass
class _Penalised(Objective):
    """VQD cost ``E + beta sum |<prev|psi>|^2``, or the SSVQE weighted sum over batched inputs.

    ``circuit`` is what :func:`minimize` re-evaluates plain energies with (for SSVQE the
    ansatz on the first input, which needs no inputs); ``run`` is the circuit evaluated
    here. The lowest cost seen and its weights are kept (``minimize`` compares plain
    energies, which is not the objective here).
    """

    run: Circuit | None = None
    previous: torch.Tensor | None = None
    beta: float = 0.0
    inputs: torch.Tensor | None = None
    state_weights: torch.Tensor | None = None
    best_cost: float = math.inf
    best_w: torch.Tensor | None = None
    _plan: ObservablePlan | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._plan = ObservablePlan([self.hamiltonian], self.circuit.n_wires)

    def states(self, w: torch.Tensor) -> torch.Tensor:
        """``(B, 2^n)`` states of one weight vector (``B`` = number of inputs, 1 for VQD)."""
        circuit = self.run if self.run is not None else self.circuit
        psi = self.simulator.state(circuit, w, self.inputs)
        return psi.reshape(-1, psi.shape[-1])

    def energies(self, psi: torch.Tensor) -> torch.Tensor:
        assert self._plan is not None
        return self._plan.expval(psi)[:, 0]

    def _cost(self, w: torch.Tensor) -> torch.Tensor:
        psi = self.states(w)
        e = self.energies(psi)
        if self.state_weights is not None:
            return (self.state_weights.to(e.dtype) * e).sum()
        cost = e[0]
        if self.previous is not None and self.previous.shape[0]:
            ov = self.previous.conj() @ psi[0]
            cost = cost + self.beta * (ov.real**2 + ov.imag**2).sum()
        return cost

    def energy(self, w: torch.Tensor) -> torch.Tensor:
        if w.dim() == 2:  # a batch of weight vectors (gradient-free methods evaluate rows like this)
            return torch.stack([self.energy(row) for row in w])
        self.n_evals += 1
        cost = self._cost(w)
        value = float(cost.detach())
        if value < self.best_cost:
            self.best_cost, self.best_w = value, w.detach().clone()
        return cost


# -- exact references ------------------------------------------------------------------------------
@dataclass
class _SectorExact:
    energies: np.ndarray  # eigenvalues in the sector, repeated by degeneracy, ascending
    states: np.ndarray  # (2^n, m) eigenvectors
    level_of: np.ndarray  # in-sector level index of each column


def _exact_sector(H: PauliSum, n: int, sector: _Sector, n_states: int) -> _SectorExact:
    from qml.ed import spectrum

    if sector.symmetry is None:
        sp = spectrum(H, n, n_states, symmetry=None)
    else:
        sp = spectrum(
            H, n, n_states, sector=sector.symmetry.operator, sector_value=float(sector.value or 0.0)
        )
    return _SectorExact(np.asarray(sp.energies, dtype=float), sp.states, np.asarray(sp.level_of))


def _group(energies: Sequence[float], tol: float) -> list[list[int]]:
    """Indices of ascending ``energies`` grouped into levels (:func:`qml.ed.group_levels`)."""
    lv = group_levels(np.asarray(energies, dtype=float), tol)
    return [np.flatnonzero(lv == j).tolist() for j in range(int(lv.max()) + 1)] if lv.size else []


# -- one found state -----------------------------------------------------------------------------
@dataclass
class _Found:
    sector: _Sector
    energy: float
    cost: float
    weights: torch.Tensor
    state: torch.Tensor
    n_evals: int
    n_iters: int
    converged: bool
    message: str
    seed: int
    seconds: float
    inputs: list[float] = field(default_factory=list)
    weight: float | None = None  # SSVQE weight of this state's input


def _uniform(n: int, scale: float, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(int(seed))
    return (torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1) * scale


@dataclass
class _Settings:
    optimizer: str
    steps: int
    lr: float | None
    tol: float | None
    options: dict[str, Any] | None
    restarts: int
    seed: int
    init_scale: float
    warm_start: float
    log_every: int
    simulator: Simulator


def _optimise(obj: _Penalised, w0: torch.Tensor, s: _Settings, seed: int) -> tuple[torch.Tensor, Any]:
    options = dict(s.options or {})
    if s.optimizer == "lbfgs":  # a long memory pays in the slow tail of deflated landscapes
        options.setdefault("history_size", LBFGS_HISTORY)
    res = minimize(
        obj,
        w0,
        s.optimizer,
        s.steps,
        s.lr,
        s.tol,
        seed,
        None,
        options or None,
        s.log_every,
    )
    best = obj.best_w if obj.best_w is not None else res.best_weights
    return best.detach().clone(), res


class _VQDSector:
    """VQD in one sector: :meth:`next` finds one more state, deflating those found before."""

    def __init__(
        self,
        H: PauliSum,
        circuit: Circuit,
        sector: _Sector,
        beta: float,
        s: _Settings,
        exact: _SectorExact | None,
        seed_offset: int,
    ) -> None:
        self.H, self.circuit, self.sector, self.beta, self.s = H, circuit, sector, beta, s
        self.exact = exact
        self.found: list[_Found] = []
        self.seed_offset = seed_offset

    @property
    def exhausted(self) -> bool:
        return len(self.found) >= self.sector.dim

    def next(self) -> _Found:
        k = len(self.found)
        prev = torch.stack([f.state for f in self.found]) if self.found else None
        best: _Found | None = None
        ref = None if self.exact is None or k >= self.exact.energies.size else float(self.exact.energies[k])
        for r in range(self.s.restarts):
            seed = self.s.seed + r + 1000 * (k + self.seed_offset)
            t0 = time.perf_counter()
            obj = _Penalised(self.circuit, self.H, self.s.simulator, previous=prev, beta=self.beta)
            w0 = _uniform(self.circuit.n_weights, self.s.init_scale, seed)
            if (
                k and r == 0 and self.s.warm_start > 0
            ):  # near the previous optimum: often close in angle space
                w0 = self.found[-1].weights + _uniform(self.circuit.n_weights, self.s.warm_start, seed)
            w, res = _optimise(obj, w0, self.s, seed)
            with torch.no_grad():
                psi = obj.states(w)
                energy = float(obj.energies(psi)[0])
                cost = float(obj._cost(w))
            f = _Found(
                self.sector,
                energy,
                cost,
                w,
                psi[0].detach().clone(),
                res.n_evals,
                res.n_iters,
                res.converged,
                res.message,
                seed,
                time.perf_counter() - t0,
            )
            log.info(
                "vqd %s state %d seed %d: energy %.12g (cost %.12g, %d evaluations, %.1f s)",
                self.sector.label,
                k,
                seed,
                energy,
                cost,
                res.n_evals,
                f.seconds,
            )
            if best is None or f.cost < best.cost:
                best = f
            if ref is not None and abs(energy - ref) <= 1e-12 * max(1.0, abs(ref)):
                break
        assert best is not None
        self.found.append(best)
        return best


# -- the result record ---------------------------------------------------------------------------------
@dataclass
class ExcitedResult(_Record):
    """The outcome of :func:`vqd` or :func:`ssvqe`: states, sectors, exact references, levels and gaps.

    States are listed by energy. Each is compared with the exact eigenvalue of its own
    sector (the ``k``-th state found in a sector with the ``k``-th eigenvalue there,
    degeneracies counted), so the comparison is apples to apples.

    Attributes:
        method: ``"vqd"`` or ``"ssvqe"``.
        n_states: Number of states asked for.
        energies: Energy of each state (exact expectation value at its weights).
        sectors: The symmetry value of each state's sector (``None``: full space).
        sector_labels: ``"Px = -1"``-style labels (``"full space"`` without a sector).
        symmetry: Name of the symmetry the sectors belong to (``"Sz"``, ``"Px"``...), or ``None``.
        exact_energies: The exact eigenvalue each state is compared with (``None`` without ED).
        abs_errors: ``|E - E_exact|`` per state; ``rel_errors``: divided by ``|E_exact|``.
        fidelities: Weight of each state in the exact eigenspace of its level (within its sector).
        max_overlap: Largest ``|<psi_i|psi_j>|^2`` between different states found.
        levels: Distinct levels found (mean energy of the states of one exact level; ``None``
            where no state of that exact level was found), aligned with ``exact_levels``.
        level_degeneracies: Number of states found in each level.
        exact_levels: Exact distinct levels of ``H`` over all requested sectors, covering the
            ``n_states`` lowest exact eigenvalues there (each level kept whole).
        exact_level_degeneracies: Their dimensions (summed over the requested sectors).
        level_sectors: The sector values present in each exact level.
        gaps: ``levels[l] - levels[0]``; ``exact_gaps``: the same for ``exact_levels``.
        best_weights: Weights of each state (SSVQE: the shared weights of its sector).
        inputs: SSVQE input bits of each state (empty for VQD).
        circuits: The ansatz of each sector (:meth:`qml.ir.Circuit.to_dict`), keyed by label.
        betas: VQD deflation strength per sector label (empty for SSVQE).
        state_weights: SSVQE weight of each state (empty for VQD).
        n_evals: Objective evaluations behind each state (SSVQE: of its sector's run).
        n_iters: Optimiser iterations; ``converged``: tolerance reached; ``messages``: why it stopped.
        seeds: Seed of the run that produced each state; ``seed``: the base seed.
        ansatz: Ansatz name; ``layers``: its layers; ``n_params``: weights per state.
        n_wires, problem, problem_name, problem_params, energy_unit: as in
            :class:`~qml.optimize.results.VQEResult`.
        optimizer, settings: Optimiser and settings (sectors, allocation, beta rule...).
        timings: Seconds: ``total``, ``exact``, ``optimize`` and ``per_state`` (a list).
        versions: Package versions.
        extra: Anything else (conserved quantities of the ansatz, discarded greedy states...).

    Example:
        >>> r = ExcitedResult(energies=[-1.0, 0.5], exact_energies=[-1.0, 0.5], sectors=[1.0, -1.0])
        >>> r.abs_errors, r.max_rel_error
        ([0.0, 0.0], 0.0)
        >>> ExcitedResult.from_dict(r.to_dict()) == r
        True
    """

    kind: ClassVar[str] = "excited"

    method: str = "vqd"
    n_states: int = 0
    energies: list[float] = field(default_factory=list)
    sectors: list[float | None] = field(default_factory=list)
    sector_labels: list[str] = field(default_factory=list)
    symmetry: str | None = None
    exact_energies: list[float | None] = field(default_factory=list)
    abs_errors: list[float | None] = field(default_factory=list)
    rel_errors: list[float | None] = field(default_factory=list)
    fidelities: list[float | None] = field(default_factory=list)
    max_overlap: float | None = None
    levels: list[float | None] = field(default_factory=list)
    level_degeneracies: list[int] = field(default_factory=list)
    exact_levels: list[float] = field(default_factory=list)
    exact_level_degeneracies: list[int] = field(default_factory=list)
    level_sectors: list[list[float]] = field(default_factory=list)
    gaps: list[float | None] = field(default_factory=list)
    exact_gaps: list[float] = field(default_factory=list)
    best_weights: list[list[float]] = field(default_factory=list)
    inputs: list[list[float]] = field(default_factory=list)
    circuits: dict[str, dict[str, Any]] = field(default_factory=dict)
    betas: dict[str, float] = field(default_factory=dict)
    state_weights: list[float] = field(default_factory=list)
    n_evals: list[int] = field(default_factory=list)
    n_iters: list[int] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    seed: int = 0
    ansatz: str = ""
    layers: int | None = None
    n_params: list[int] = field(default_factory=list)
    n_wires: int = 0
    problem: str = ""
    problem_name: str | None = None
    problem_params: dict[str, Any] = field(default_factory=dict)
    energy_unit: str = ""
    optimizer: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.exact_energies and not self.abs_errors:
            self.abs_errors, self.rel_errors = [], []
            for e, ex in zip(self.energies, self.exact_energies):
                err = None if ex is None else abs(e - ex)
                self.abs_errors.append(err)
                self.rel_errors.append(None if err is None or ex is None else err / abs(ex) if ex else err)

    @property
    def max_abs_error(self) -> float | None:
        """Largest ``|E - E_exact|`` over the states (``None`` without references)."""
        errs = [e for e in self.abs_errors if e is not None]
        return max(errs) if errs else None

    @property
    def max_rel_error(self) -> float | None:
        """Largest relative error over the states (``None`` without references)."""
        errs = [e for e in self.rel_errors if e is not None]
        return max(errs) if errs else None

    def circuit_obj(self, state: int = 0) -> Circuit:
        """The ansatz that prepared ``state`` (SSVQE: with its input-preparation gates)."""
        return Circuit.from_dict(self.circuits[self.sector_labels[state]])

    def weights(self, state: int = 0) -> torch.Tensor:
        """The weights of ``state`` as a float64 tensor."""
        return torch.tensor(self.best_weights[state], dtype=torch.float64)

    def states(self, simulator: Simulator | None = None) -> torch.Tensor:
        """The ``(n_states, 2^n)`` state vectors, re-simulated from the stored circuits and weights.

        Example:
            >>> from qml.problems import get_problem
            >>> r = vqd(get_problem("tfim", n=3, h=1.0), 2, steps=100)
            >>> psi = r.states()
            >>> psi.shape, abs(complex(psi[0].conj() @ psi[1])) < 1e-6
            (torch.Size([2, 8]), True)
        """
        sim = simulator if simulator is not None else Simulator()
        rows = []
        with torch.no_grad():
            for i in range(len(self.energies)):
                x = self.inputs[i] if self.inputs else None
                rows.append(sim.state(self.circuit_obj(i), self.weights(i), x).reshape(-1))
        return torch.stack(rows)

    def summary(self) -> list[dict[str, Any]]:
        """One row per state: sector, energy, exact energy, errors, fidelity.

        Example:
            >>> r = ExcitedResult(energies=[-1.0], exact_energies=[-1.0], sector_labels=["Px = 1"])
            >>> r.summary()[0]["sector"]
            'Px = 1'
        """
        rows = []
        for i, e in enumerate(self.energies):
            rows.append(
                {
                    "state": i,
                    "sector": self.sector_labels[i] if i < len(self.sector_labels) else None,
                    "energy": e,
                    "exact": self.exact_energies[i] if i < len(self.exact_energies) else None,
                    "abs_error": self.abs_errors[i] if i < len(self.abs_errors) else None,
                    "rel_error": self.rel_errors[i] if i < len(self.rel_errors) else None,
                    "fidelity": self.fidelities[i] if i < len(self.fidelities) else None,
                }
            )
        return rows


# -- set-up shared by both methods --------------------------------------------------------------------
def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_scale(name: str, value: Any, allow_zero: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(float(value))
    if not ok or float(value) < 0 or (float(value) == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _values_from_problem_sector(prob: Problem, sym: Symmetry) -> float | None:
    """The value of ``sym`` in a problem's fixed reference sector, if ``prob.sector`` is a multiple of it."""
    if prob.sector is None:
        return None
    sec = PauliSum.coerce(prob.sector)
    ours = dict((s, c) for c, s in sym.operator.terms)
    theirs = dict((s, c) for c, s in sec.terms)
    if set(ours) != set(theirs) or not ours:
        return None
    ratios = {round(theirs[s] / ours[s], 12) for s in ours}
    if len(ratios) != 1:
        return None
    return round(prob.sector_value / ratios.pop(), 9) + 0.0


@dataclass
class _Setup:
    prob: Problem
    H: PauliSum
    n: int
    sym: Symmetry | None
    sectors: list[_Sector]
    fixed: Circuit | None  # a user circuit (or the custom pair's circuit)
    kind: str  # "default", "problem" (a named problem ansatz) or "fixed"
    ansatz_name: str
    layers: int | None
    exact: dict[str, _SectorExact] | None
    t_exact: float
    requested: Any
    conserved: dict[str, dict[str, float]] = field(default_factory=dict)


def _ground_value(prob: Problem, H: PauliSum, n: int, sym: Symmetry, use_exact: bool) -> float:
    if use_exact:
        from qml.ed import spectrum

        vals = spectrum(H, n, 1, symmetry=sym.operator).level_values(0)
        if vals:
            return sorted(vals, key=lambda v: (-abs(v), -v))[0]
    if prob.ansatze:
        got = conserved_quantities(prob.ansatz(), [sym]).get(sym.name)
        if got is not None:
            return got
    return max(_sector_values(sym, n))


def _prepare(
    problem: ProblemLike,
    n_states: Any,
    ansatz: str | Circuit | None,
    layers: int | None,
    sectors: SectorsLike,
    exact: bool | None,
    method: str,
) -> _Setup:
    prob = as_problem(problem)
    H, n = prob.hamiltonian, prob.n_wires
    n_states = _check_int("n_states", n_states, 1)
    if layers is not None:
        _check_layers(layers)
    if ansatz is None and prob.name == "custom":
        ansatz = prob.ansatz()
    if isinstance(ansatz, Circuit):
        kind, fixed, name = "fixed", ansatz, ansatz.name or "circuit"
        if fixed.n_wires != n:
            raise ConfigError(
                f"the ansatz has {fixed.n_wires} wires but H acts on {n}; build it on {n} wires"
            )
        if method == "ssvqe" and fixed.n_inputs:
            raise ConfigError(
                "ssvqe prepares the input states itself: pass the shared unitary U as a circuit without "
                f"inputs (this one reads {fixed.n_inputs}), or ansatz=None"
            )
    elif ansatz is None:
        kind, fixed, name = "default", None, "excited-hva"
    elif isinstance(ansatz, str):
        if method == "ssvqe":
            raise ConfigError(
                "ssvqe takes ansatz=None (the multi-angle HVA) or a Circuit without inputs (the shared "
                f"unitary U applied after the input states); got the name {ansatz!r}"
            )
        prob.ansatz(layers, ansatz)  # validates the name
        kind, fixed, name = "problem", None, ansatz
    else:
        raise ConfigError(
            f"ansatz must be None, a problem ansatz name or a Circuit, got {type(ansatz).__name__}"
        )
    sym = scan_symmetry(H, n)
    use_exact = n <= EXACT_WIRES if exact is None else bool(exact)
    if isinstance(sectors, str) and sectors not in ("ground", "all"):
        raise ConfigError(
            f"unknown sectors {sectors!r}; valid: None, 'ground', 'all' or a list of symmetry values"
        )
    explicit = sectors is not None and not isinstance(sectors, str)
    if explicit:
        try:
            values = list(sectors)  # type: ignore[arg-type]
        except TypeError:
            raise ConfigError(
                f"sectors must be None, 'ground', 'all' or a list of symmetry values, got {sectors!r}"
            ) from None
        if not values:
            raise ConfigError(
                "sectors is an empty list; give at least one symmetry value, or 'ground' / 'all'"
            )
    setup = _Setup(prob, H, n, sym, [], fixed, kind, name, layers, None, 0.0, sectors)
    full = [_Sector(None, None, 1 << n)]
    if sym is None:
        if explicit:
            raise ConfigError(
                f"H has no qubit-wise symmetry (Sz, Px or Pz), so it has no sectors to choose from; got "
                f"sectors={sectors!r}: pass sectors=None"
            )
        setup.sectors = full
    else:
        dims = _sector_values(sym, n)
        if explicit:
            vals = [_check_value(sym, v, n) for v in values]
            if len(set(vals)) != len(vals):
                raise ConfigError(f"sectors lists a value twice: {values!r}")
        elif kind == "fixed" and method == "vqd" and sectors != "all":
            vals = []  # "ground" or None: the sector the circuit conserves (below)
        elif sectors == "all" or (sectors is None and prob.sector is None):
            vals = sorted(dims, reverse=True)
        elif sectors is None:
            v = _values_from_problem_sector(prob, sym)
            vals = [v] if v is not None and v in dims else [_ground_value(prob, H, n, sym, use_exact)]
        else:  # "ground"
            vals = [_ground_value(prob, H, n, sym, use_exact)]
        if kind == "fixed" and method == "ssvqe":  # the shared unitary must conserve sym; inputs pick sectors
            assert fixed is not None
            v0 = max(dims)
            probe = _ssvqe_fixed(H, n, _Sector(sym, v0, dims[v0]), fixed, 0)
            if sym.name not in conserved_quantities(probe, [sym]):
                if explicit:
                    raise ConfigError(
                        f"the ansatz does not conserve {sym.name} ({sym.description}), so the input "
                        f"states do not keep their sector and sectors {[sym.label(v) for v in vals]} cannot "
                        "be searched; pass sectors=None to search the full space, or a unitary that "
                        f"conserves {sym.name}"
                    )
                vals = []
        elif kind == "fixed":
            assert fixed is not None
            got = conserved_quantities(fixed, [sym])
            if sym.name not in got:
                if explicit:
                    raise ConfigError(
                        f"the ansatz does not conserve {sym.name} ({sym.description}), so its states are not "
                        f"confined to the requested sectors {[sym.label(v) for v in vals]}; pass "
                        f"sectors=None to search the full space, or an ansatz that conserves {sym.name}"
                    )
                vals = []
            else:
                v = got[sym.name]
                if explicit and vals != [v]:
                    raise ConfigError(
                        f"the ansatz conserves {sym.label(v)}, but sectors {[sym.label(x) for x in vals]} "
                        f"were requested: it can only find states with {sym.label(v)}. Request "
                        f"sectors=[{v:g}], or pass ansatz=None to get one ansatz per requested sector"
                    )
                if sectors == "all" and len(dims) > 1:
                    raise ConfigError(
                        f"the ansatz conserves {sym.label(v)}, so it cannot explore every sector as "
                        "sectors='all' asks; pass ansatz=None (one ansatz per sector) or sectors='ground'"
                    )
                vals = [v]
        setup.sectors = [_Sector(sym, v, dims[v]) for v in vals] if vals else full
    total = sum(s.dim for s in setup.sectors)
    if n_states > total:
        where = ", ".join(s.label for s in setup.sectors)
        raise ConfigError(
            f"n_states={n_states} exceeds the dimension {total} of the requested sector(s) ({where}); "
            f"ask for at most {total} states or request more sectors"
        )
    if use_exact:
        t0 = time.perf_counter()
        setup.exact = {s.label: _exact_sector(H, n, s, n_states) for s in setup.sectors}
        setup.t_exact = time.perf_counter() - t0
    return setup


def _implied(name: str, sector: _Sector, n: int) -> bool:
    """Whether conserving ``sector`` already fixes the candidate symmetry ``name``."""
    if sector.symmetry is None:
        return False
    if name == sector.symmetry.name or sector.dim == 1:
        return True
    other = {s.name: s for s in candidate_symmetries(n)}[name]
    if not other.qubitwise or _letter(other) != _letter(sector.symmetry):
        return False
    idx = np.abs(_sector_diag(sector.symmetry, n) - float(sector.value or 0.0)) < 1e-9
    return bool(np.ptp(_sector_diag(other, n)[idx]) < 1e-9)


def _check_circuit(circuit: Circuit, setup: _Setup, sector: _Sector, what: str) -> dict[str, float]:
    """The quantities ``circuit`` conserves; raises if it leaves the sector, warns about extra ones."""
    got = conserved_quantities(circuit, symmetries_of(setup.H, setup.n))
    sym = sector.symmetry
    if sym is not None:
        if sym.name not in got:
            raise ConfigError(
                f"{what} does not conserve {sym.name} ({sym.description}), so it is not confined to the "
                f"requested sector {sector.label}; pass an ansatz that conserves it, or ansatz=None"
            )
        if abs(got[sym.name] - float(sector.value or 0.0)) > 1e-6:
            raise ConfigError(
                f"{what} conserves {sym.label(got[sym.name])}, but sector {sector.label} was requested: it "
                f"can only find states with {sym.label(got[sym.name])}. Request sectors=[{got[sym.name]:g}], "
                "or pass ansatz=None to get one ansatz per requested sector"
            )
    extra = {k: v for k, v in got.items() if not _implied(k, sector, setup.n)}
    if extra:
        which = ", ".join(f"{k} = {v:g}" for k, v in extra.items())
        warnings.warn(
            f"{what} for {sector.label} also conserves {which}, which the sector does not fix: it cannot "
            "reach the states of the sector with other values, but the exact reference includes them. Use "
            "ansatz=None (the multi-angle HVA, which conserves only the sector) for excited states",
            UserWarning,
            stacklevel=3,
        )
    return got


# -- allocation across sectors -----------------------------------------------------------------------
def _pool(setup: _Setup) -> list[tuple[float, int, int]]:
    """Exact eigenvalues of all requested sectors as ``(energy, sector index, rank in sector)``.

    Sorted by level, and within a (degenerate) level by sector order, as :func:`qml.ed.spectrum`.
    """
    assert setup.exact is not None
    pool = [
        (float(e), i, m)
        for i, s in enumerate(setup.sectors)
        for m, e in enumerate(setup.exact[s.label].energies)
    ]
    pool.sort()
    out: list[tuple[float, int, int]] = []
    for g in _group([p[0] for p in pool], LEVEL_TOL):
        out += sorted((pool[i] for i in g), key=lambda p: (p[1], p[2]))
    return out


def _exact_counts(setup: _Setup, n_states: int) -> list[int]:
    counts = [0] * len(setup.sectors)
    for _, i, _ in _pool(setup)[:n_states]:
        counts[i] += 1
    return counts


def _allocation(setup: _Setup, allocate: str) -> str:
    if allocate not in _ALLOCATIONS:
        raise ConfigError(f"unknown allocate {allocate!r}; valid choices: {', '.join(_ALLOCATIONS)}")
    if len(setup.sectors) == 1:
        return "single sector"
    if allocate == "exact" and setup.exact is None:
        raise ConfigError("allocate='exact' needs the exact spectrum; pass exact=True or allocate='greedy'")
    return "greedy" if allocate == "greedy" or setup.exact is None else "exact"


def _typical(H: PauliSum) -> float:
    cs = [abs(c) for c, s in H.terms if not s.is_identity]
    return float(np.median(cs)) if cs else 1.0


def _beta(beta: float | str, setup: _Setup, sector: _Sector, count: int) -> tuple[float, str]:
    if isinstance(beta, str):
        if beta != "auto":
            raise ConfigError(f"beta must be 'auto' or a number > 0, got {beta!r}")
        ex = None if setup.exact is None else setup.exact[sector.label]
        if ex is not None and ex.energies.size:
            top = float(ex.energies[min(count, ex.energies.size) - 1])
            return 2.0 * (top - float(ex.energies[0])) + 4.0 * _typical(setup.H), "exact range"
        return 4.0 * setup.H.l1_norm(include_constant=False), "l1 bound"
    return _check_scale("beta", beta), "given"


# -- result assembly ---------------------------------------------------------------------------------
def _sharp_value(sym: Symmetry | None, psi: torch.Tensor, n: int) -> float | None:
    if sym is None:
        return None
    v = psi.detach().cpu().numpy().astype(complex)
    s_psi = sym.operator.to_sparse(n) @ v
    mean = float(np.vdot(v, s_psi).real)
    var = float(np.vdot(s_psi, s_psi).real) - mean**2
    return round(mean, 6) + 0.0 if var < 1e-6 else None


def _assemble(
    method: str,
    setup: _Setup,
    found: list[_Found],
    circuits: dict[str, Circuit],
    n_states: int,
    settings: dict[str, Any],
    timings: dict[str, Any],
    optimizer: str,
    seed: int,
    extra: dict[str, Any],
    betas: dict[str, float] | None = None,
) -> ExcitedResult:
    found = sorted(found, key=lambda f: f.energy)
    n = setup.n
    rank: dict[str, int] = {}
    ranks = []
    for f in found:
        ranks.append(rank.get(f.sector.label, 0))
        rank[f.sector.label] = ranks[-1] + 1
    exact_e: list[float | None] = []
    fids: list[float | None] = []
    for f, m in zip(found, ranks):
        ex = None if setup.exact is None else setup.exact[f.sector.label]
        if ex is None or m >= ex.energies.size:
            exact_e.append(None)
            fids.append(None)
            continue
        exact_e.append(float(ex.energies[m]))
        cols = ex.states[:, ex.level_of == ex.level_of[m]]
        v = f.state.detach().cpu().numpy().astype(complex)
        fids.append(float(np.sum(np.abs(cols.conj().T @ v) ** 2) / np.vdot(v, v).real))
    psi = torch.stack([f.state for f in found])
    gram = (psi.conj() @ psi.T).abs() ** 2
    gram.fill_diagonal_(0.0)
    max_overlap = float(gram.max()) if len(found) > 1 else 0.0

    levels: list[float | None] = []
    degs: list[int] = []
    ex_levels: list[float] = []
    ex_degs: list[int] = []
    lv_sectors: list[list[float]] = []
    if setup.exact is not None:
        pool = _pool(setup)
        groups = _group([p[0] for p in pool], LEVEL_TOL)
        level_of = {(pool[i][1], pool[i][2]): j for j, g in enumerate(groups) for i in g}
        index = {s.label: i for i, s in enumerate(setup.sectors)}
        assigned = [level_of.get((index[f.sector.label], m)) for f, m in zip(found, ranks)]
        last = max([level_of[(p[1], p[2])] for p in pool[:n_states]] + [a for a in assigned if a is not None])
        for j in range(last + 1):
            g = groups[j]
            ex_levels.append(pool[g[0]][0])
            ex_degs.append(len(g))
            values = {setup.sectors[pool[i][1]].value for i in g}
            lv_sectors.append(sorted((float(v) for v in values if v is not None), reverse=True))
            es = [f.energy for f, a in zip(found, assigned) if a == j]
            levels.append(float(np.mean(es)) if es else None)
            degs.append(len(es))
    else:
        for g in _group([f.energy for f in found], 1e-5):
            levels.append(float(np.mean([found[i].energy for i in g])))
            degs.append(len(g))
    gaps = [None if lv is None or levels[0] is None else lv - levels[0] for lv in levels[1:]]
    sym = setup.sym
    sector_values = [
        f.sector.value if f.sector.symmetry is not None else _sharp_value(sym, f.state, n) for f in found
    ]
    prob = setup.prob
    return ExcitedResult(
        method=method,
        n_states=n_states,
        energies=[f.energy for f in found],
        sectors=sector_values,
        sector_labels=[f.sector.label for f in found],
        symmetry=None if sym is None else sym.name,
        exact_energies=exact_e,
        fidelities=fids,
        max_overlap=max_overlap,
        levels=levels,
        level_degeneracies=degs,
        exact_levels=ex_levels,
        exact_level_degeneracies=ex_degs,
        level_sectors=lv_sectors,
        gaps=gaps,
        exact_gaps=[e - ex_levels[0] for e in ex_levels[1:]],
        best_weights=[f.weights.tolist() for f in found],
        inputs=[list(f.inputs) for f in found] if method == "ssvqe" else [],
        circuits={k: c.to_dict() for k, c in circuits.items()},
        betas=dict(betas or {}),
        state_weights=[float(f.weight) for f in found if f.weight is not None],
        n_evals=[f.n_evals for f in found],
        n_iters=[f.n_iters for f in found],
        converged=[f.converged for f in found],
        messages=[f.message for f in found],
        seeds=[f.seed for f in found],
        seed=seed,
        ansatz=setup.ansatz_name,
        layers=setup.layers,
        n_params=[int(f.weights.numel()) for f in found],
        n_wires=n,
        problem=prob.label(),
        problem_name=None if prob.name == "custom" else prob.name,
        problem_params=dict(prob.params),
        energy_unit=prob.energy_unit,
        optimizer=optimizer,
        settings=settings,
        timings=timings,
        versions=versions(("pennylane",) if prob.energy_unit == "hartree" else ()),
        extra=extra,
    )


def _settings(
    optimizer: str,
    steps: Any,
    lr: float | None,
    tol: float | None,
    options: dict[str, Any] | None,
    restarts: Any,
    seed: Any,
    init_scale: Any,
    warm_start: Any,
    log_every: int,
    simulator: Simulator | None,
) -> _Settings:
    method = str(optimizer).lower()
    if method not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
    if method == "spsa" or method == "qng":
        raise ConfigError(
            f"optimizer {method!r} is not supported for excited states (SPSA is too noisy for deflation, "
            "QNG's metric ignores the penalty); use 'lbfgs' (default), 'adam', 'bfgs' or another scipy method"
        )
    return _Settings(
        method,
        _check_int("steps", steps, 0),
        lr,
        tol,
        options,
        _check_int("restarts", restarts, 1),
        _check_int("seed", seed, 0),
        _check_scale("init_scale", init_scale, allow_zero=True),
        _check_scale("warm_start", warm_start, allow_zero=True),
        max(1, int(log_every)),
        simulator if simulator is not None else Simulator(),
    )


def _settings_record(s: _Settings, setup: _Setup, allocation: str, extra: dict[str, Any]) -> dict[str, Any]:
    req = setup.requested
    return {
        **settings_dict(s.optimizer, s.steps, s.lr, s.tol, s.options),
        "restarts": s.restarts,
        "init_scale": s.init_scale,
        "sectors_requested": req if req is None or isinstance(req, str) else [float(v) for v in req],
        "allocation": allocation,
        "exact": setup.exact is not None,
        "dtype": str(s.simulator.dtype).replace("torch.", ""),
        **extra,
    }


def _ansatz_for(setup: _Setup, sector: _Sector) -> Circuit:
    """The VQD ansatz of one sector (built for it, or the user's circuit), checked to conserve it."""
    if setup.kind == "fixed":
        assert setup.fixed is not None
        circuit = setup.fixed
    elif setup.kind == "default":
        circuit = excited_ansatz(
            setup.H,
            setup.layers,
            sector=sector.value,
            symmetry=None if sector.symmetry is None else sector.symmetry.name,
            n_wires=setup.n,
        )
    else:
        builder = setup.prob.ansatze[setup.ansatz_name]
        sz: Any = "auto"
        if isinstance(builder, SectorAnsatz) and sector.symmetry is not None and sector.symmetry.name == "Sz":
            sz = sector.value
        circuit = setup.prob.ansatz(setup.layers, setup.ansatz_name, sz=sz)
    setup.conserved[sector.label] = _check_circuit(
        circuit, setup, sector, f"the {setup.ansatz_name!r} ansatz"
    )
    return circuit


def _layers_used(setup: _Setup) -> int | None:
    if setup.kind == "fixed":
        return None
    if setup.kind == "default":
        return setup.layers if setup.layers is not None else setup.n
    return setup.layers if setup.layers is not None else setup.prob.default_layers


def vqd(
    problem: ProblemLike,
    n_states: int,
    *,
    ansatz: str | Circuit | None = None,
    layers: int | None = None,
    beta: float | str = "auto",
    optimizer: str = "lbfgs",
    steps: int = 1000,
    lr: float | None = None,
    tol: float | None = None,
    seed: int = 0,
    restarts: int = 1,
    sectors: SectorsLike = None,
    allocate: str = "auto",
    simulator: Simulator | None = None,
    exact: bool | None = None,
    init_scale: float = 0.01,
    warm_start: float = 0.1,
    options: dict[str, Any] | None = None,
    log_every: int = 100,
) -> ExcitedResult:
    """The ``n_states`` lowest eigenstates by variational quantum deflation, sector by sector.

    In each sector, state ``k`` minimises ``E(w) + beta sum_{j<k} |<psi_j|psi(w)>|^2`` over
    the states ``psi_j`` already found in that sector (states of different sectors are
    orthogonal by symmetry). ``n_states`` counts eigenstates, so a degenerate level takes
    as many states as its dimension; the result groups them into levels.

    Args:
        problem: A :class:`~qml.problems.Problem` or a ``(PauliSum, Circuit)`` pair (the
            circuit is then the ansatz).
        n_states: Number of states to find (over all requested sectors together).
        ansatz: ``None`` (the multi-angle HVA of :func:`excited_ansatz`, one per sector),
            a problem ansatz name (e.g. ``"hva"``; built in each ``Sz`` sector where it can
            be) or a circuit (it explores only the sector it conserves).
        layers: Ansatz layers (default: the number of qubits for the default ansatz).
        beta: Deflation strength, or ``"auto"``: ``2 (E_top - E_0) + 4 median|c|`` from the
            exact levels of the sector when known, else ``4 ||H||_1``.
        optimizer: An optimiser of :func:`qml.optimize.minimize` (not SPSA or QNG).
        steps: Maximum optimiser iterations per state.
        lr: Learning rate / step scale (optimiser default when ``None``).
        tol: Optimiser tolerance.
        seed: Base seed of the initial weights (state ``k``, restart ``r``: ``seed + r + 1000 k``).
        restarts: Runs per state (from different seeds); the lowest deflated cost wins.
        sectors: ``None`` (every sector of the scanned symmetry for the default ansatz, the
            problem's fixed sector for molecules, the conserved sector of a given circuit),
            ``"ground"`` (the sector of the ground level), ``"all"``, or a list of symmetry
            values (``[1, -1]`` for the TFIM parity ``Px``, ``[0]`` for ``Sz``).
        allocate: How ``n_states`` is split over several sectors: ``"exact"`` (from the
            exact spectrum), ``"greedy"`` (find the next state of every sector, accept the
            lowest, repeat) or ``"auto"`` (exact when known).
        simulator: Simulator settings (default complex128 on CPU).
        exact: Compute the exact sector spectra (default: up to :data:`EXACT_WIRES` qubits).
        init_scale: Initial weights are uniform in ``[-init_scale, init_scale]``.
        warm_start: State ``k > 0`` starts from state ``k - 1``'s weights plus uniform noise of
            this size (first restart only; ``0``: fresh random weights).
        options: Extra optimiser options (see :func:`qml.optimize.minimize`).
        log_every: Log progress every this many evaluations.

    Returns:
        An :class:`ExcitedResult` with ``method="vqd"``.

    Raises:
        ValueError: For a bad ``n_states`` (not an integer >= 1, or more than the requested
            sectors hold), an unknown sector, an ansatz that conserves a different sector
            than requested (or does not conserve the symmetry when sectors are requested),
            or bad settings.

    Example:
        >>> from qml.problems import get_problem
        >>> r = vqd(get_problem("tfim", n=4, h=1.0), 2, sectors=[-1], steps=200)
        >>> r.sector_labels, max(r.rel_errors) < 1e-8
        (['Px = -1', 'Px = -1'], True)
    """
    t_start = time.perf_counter()
    s = _settings(
        optimizer, steps, lr, tol, options, restarts, seed, init_scale, warm_start, log_every, simulator
    )
    setup = _prepare(problem, n_states, ansatz, layers, sectors, exact, "vqd")
    allocation = _allocation(setup, allocate)
    circuits = {sec.label: _ansatz_for(setup, sec) for sec in setup.sectors}
    if allocation == "exact":
        counts = _exact_counts(setup, n_states)
    elif allocation == "greedy":
        counts = [min(n_states, sec.dim) for sec in setup.sectors]
    else:
        counts = [n_states]
    betas: dict[str, float] = {}
    rules: set[str] = set()
    runs: list[_VQDSector] = []
    for i, (sec, count) in enumerate(zip(setup.sectors, counts)):
        b, rule = _beta(beta, setup, sec, max(count, 1))
        betas[sec.label] = b
        rules.add(rule)
        ex = None if setup.exact is None else setup.exact[sec.label]
        runs.append(_VQDSector(setup.H, circuits[sec.label], sec, b, s, ex, 100 * i))
    t_opt = time.perf_counter()
    found: list[_Found] = []
    discarded: list[dict[str, Any]] = []
    if allocation == "greedy":
        taken = [0] * len(runs)
        while len(found) < n_states:
            for run, k in zip(runs, taken):
                if len(run.found) == k and not run.exhausted:
                    run.next()
            options_ = [
                (run.found[k].energy, i) for i, (run, k) in enumerate(zip(runs, taken)) if k < len(run.found)
            ]
            _, i = min(options_)
            found.append(runs[i].found[taken[i]])
            taken[i] += 1
        for run, k in zip(runs, taken):
            discarded += [
                {"sector": f.sector.label, "energy": f.energy, "n_evals": f.n_evals} for f in run.found[k:]
            ]
    else:
        for run, count in zip(runs, counts):
            for _ in range(count):
                found.append(run.next())
    t_opt = time.perf_counter() - t_opt
    used = [sec.label for sec, run in zip(setup.sectors, runs) if run.found]
    extra: dict[str, Any] = {"conserved": setup.conserved, "sectors_run": used}
    if discarded:
        extra["discarded"] = discarded
    setup.layers = _layers_used(setup)
    settings = _settings_record(
        s,
        setup,
        allocation,
        {
            "beta": beta if isinstance(beta, str) else float(beta),
            "beta_rule": sorted(rules),
            "warm_start": s.warm_start,
        },
    )
    ordered = sorted(found, key=lambda f: f.energy)
    timings = {
        "total": time.perf_counter() - t_start,
        "exact": setup.t_exact,
        "optimize": t_opt,
        "per_state": [f.seconds for f in ordered],
        "all_states": sum(f.seconds for run in runs for f in run.found),
    }
    result = _assemble(
        "vqd",
        setup,
        found,
        {k: v for k, v in circuits.items() if k in used},
        n_states,
        settings,
        timings,
        s.optimizer,
        s.seed,
        extra,
        betas={k: v for k, v in betas.items() if k in used},
    )
    if result.max_overlap is not None and result.max_overlap > 1e-3:
        warnings.warn(
            f"two of the states found overlap by |<psi_i|psi_j>|^2 = {result.max_overlap:.3g}: the ansatz "
            "cannot hold that many orthogonal low-energy states of one sector (or beta is too small); raise "
            "layers, pass a larger beta, or ask for fewer states",
            UserWarning,
            stacklevel=2,
        )
    return result


# -- SSVQE -------------------------------------------------------------------------------------------------
def _input_prep(n: int, sector: _Sector) -> Circuit:
    """``RX(pi x_w)`` on every wire (``x`` in {0,1}^n: a basis state), then the sector's basis change."""
    c = Circuit(n, name="ssvqe")
    for w in range(n):
        c = c.add("RX", w, X(w) * math.pi)
    if sector.symmetry is not None and _letter(sector.symmetry) == "X":
        for w in range(n):
            c = c.add("H", w)
    return c


def _ssvqe_fixed(H: PauliSum, n: int, sector: _Sector, body: Circuit, j: int) -> Circuit:
    """Input ``j`` of the sector prepared by fixed gates, then ``body`` (for symmetry checks)."""
    bits = _basis_states(H, sector, n, j + 1)[j]
    c = Circuit(n, name=body.name)
    for w, b in enumerate(bits):
        if b:
            c = c.add("X", w)
    if sector.symmetry is not None and _letter(sector.symmetry) == "X":
        for w in range(n):
            c = c.add("H", w)
    return Circuit(n, c.ops + body.ops, body.n_weights, name=body.name)


def sector_inputs(problem: ProblemLike, n_states: int, sector: float | None = None) -> torch.Tensor:
    """The SSVQE input bits of a sector: the ``n_states`` lowest (diagonal-energy) basis states.

    The basis is the symmetry's eigenbasis (``Z`` for ``Sz``/``Pz``, ``X`` for ``Px``), so the
    rows are distinct basis states of one sector: mutually orthogonal and in the sector.

    Args:
        problem: A problem or a ``(PauliSum, Circuit)`` pair.
        n_states: Number of input states.
        sector: Value of the scanned symmetry (default: the largest); must be ``None`` for a
            Hamiltonian without a qubit-wise symmetry.

    Returns:
        A ``(n_states, n_wires)`` float64 tensor of 0/1 entries.

    Example:
        >>> from qml.problems import get_problem
        >>> sector_inputs(get_problem("tfim", n=3), 2, sector=-1).tolist()
        [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    prob = as_problem(problem)
    n = prob.n_wires
    sym = scan_symmetry(prob.hamiltonian, n)
    count = _check_int("n_states", n_states, 1)
    if sym is None:
        if sector is not None:
            raise ConfigError("H has no qubit-wise symmetry: pass sector=None")
        sec = _Sector(None, None, 1 << n)
    else:
        v = max(_sector_values(sym, n)) if sector is None else _check_value(sym, sector, n)
        sec = _Sector(sym, v, _sector_values(sym, n)[v])
    if count > sec.dim:
        raise ConfigError(f"n_states={count} exceeds the dimension {sec.dim} of the sector {sec.label}")
    return torch.tensor(_basis_states(prob.hamiltonian, sec, n, count), dtype=torch.float64)


def _ssvqe_weights(weights: Sequence[float] | None, n_states: int) -> list[float] | None:
    if weights is None:
        return None
    try:
        w = [float(x) for x in weights]
    except (TypeError, ValueError):
        raise ConfigError(f"weights must be a sequence of numbers, got {weights!r}") from None
    if len(w) != n_states:
        raise ConfigError(f"weights has {len(w)} entries but n_states={n_states}; give one weight per state")
    if not all(math.isfinite(x) and x > 0 for x in w) or any(a <= b for a, b in itertools.pairwise(w)):
        raise ConfigError(
            f"weights must be positive and strictly decreasing (state j gets the j-th lowest level), got {w}"
        )
    return w


def ssvqe(
    problem: ProblemLike,
    n_states: int,
    *,
    weights: Sequence[float] | None = None,
    ansatz: Circuit | None = None,
    layers: int | None = None,
    optimizer: str = "lbfgs",
    steps: int = 2000,
    lr: float | None = None,
    tol: float | None = None,
    seed: int = 0,
    restarts: int = 1,
    sectors: SectorsLike = None,
    allocate: str = "auto",
    simulator: Simulator | None = None,
    exact: bool | None = None,
    init_scale: float = 0.01,
    options: dict[str, Any] | None = None,
    log_every: int = 100,
) -> ExcitedResult:
    """The ``n_states`` lowest eigenstates by weighted subspace-search VQE, one shared circuit per sector.

    In each sector, the inputs ``|phi_j>`` are the sector's lowest product states of its
    eigenbasis (:func:`sector_inputs`), prepared by ``RX(pi x_i)`` gates reading input
    features ``x`` in ``{0,1}^n`` (plus Hadamards for ``Px``), so all of them run as one
    batched simulation. One unitary ``U(w)`` is shared and ``sum_j w_j <phi_j|U^dag H U|phi_j>``
    is minimised with strictly decreasing ``w_j``, which orders the outputs: input ``j``
    goes to the ``j``-th eigenstate. The outputs are orthogonal by construction.

    Args:
        problem: A :class:`~qml.problems.Problem` or a ``(PauliSum, Circuit)`` pair (the
            circuit is then the shared unitary).
        n_states: Number of states (over all requested sectors together).
        weights: ``n_states`` positive, strictly decreasing weights; a sector with ``m``
            states uses the first ``m`` (default ``m - j`` for its state ``j``).
        ansatz: ``None`` (the multi-angle HVA layers of :func:`excited_ansatz`, without its
            initial state) or a circuit without inputs used as the shared unitary.
        layers: Layers of the default unitary (default: the number of qubits times the
            number of states of the sector, since one unitary must rotate every input onto
            its eigenstate; ``settings["layers"]`` records them per sector).
        optimizer, steps, lr, tol, seed, restarts, options, log_every: As in :func:`vqd`
            (one optimisation per sector and restart).
        sectors, allocate, simulator, exact: As in :func:`vqd`; without an exact spectrum,
            several sectors each get ``n_states`` inputs and the lowest states are kept.
        init_scale: Initial weights are uniform in ``[-init_scale, init_scale]``.

    Returns:
        An :class:`ExcitedResult` with ``method="ssvqe"``, the input bits of each state
        and its weight.

    Raises:
        ValueError: As for :func:`vqd`, and for bad weights or a unitary that does not
            conserve the symmetry of the requested sectors.

    Example:
        >>> from qml.problems import get_problem
        >>> r = ssvqe(get_problem("tfim", n=3, h=1.0), 2, sectors=[1], steps=300)
        >>> r.inputs, max(r.abs_errors) < 1e-8          # |+++> and |+-->: both with Px = 1
        ([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0]], True)
    """
    t_start = time.perf_counter()
    s = _settings(optimizer, steps, lr, tol, options, restarts, seed, init_scale, 0.0, log_every, simulator)
    w_all = _ssvqe_weights(weights, _check_int("n_states", n_states, 1))
    setup = _prepare(problem, n_states, ansatz, layers, sectors, exact, "ssvqe")
    allocation = _allocation(setup, allocate)
    if allocation == "exact":
        counts = _exact_counts(setup, n_states)
    else:
        counts = [min(n_states, sec.dim) for sec in setup.sectors]
    H, n = setup.H, setup.n
    circuits: dict[str, Circuit] = {}
    found: list[_Found] = []
    per_sector: list[list[_Found]] = []
    layers_used: dict[str, int] = {}
    t_opt = time.perf_counter()
    for i, (sec, count) in enumerate(zip(setup.sectors, counts)):
        if count == 0:
            continue
        if setup.kind == "fixed":
            assert setup.fixed is not None
            body = setup.fixed
        else:
            sym = sec.symmetry
            n_layers = setup.layers if setup.layers is not None else n * count
            layers_used[sec.label] = n_layers
            body = _body(_generator_groups(H, sym, n), n_layers, n)
        for j in range(count):  # every input must stay in the sector under the shared unitary
            got = _check_circuit(
                _ssvqe_fixed(H, n, sec, body, j), setup, sec, f"the {setup.ansatz_name!r} unitary"
            )
            setup.conserved.setdefault(sec.label, got)
        prep = _input_prep(n, sec)
        run = Circuit(n, prep.ops + body.ops, body.n_weights, n, name="ssvqe")
        circuits[sec.label] = run
        bits = torch.tensor(_basis_states(H, sec, n, count), dtype=torch.float64)
        sw = [float(count - j) for j in range(count)] if w_all is None else w_all[:count]
        best: list[_Found] | None = None
        best_cost = math.inf
        for r in range(s.restarts):
            seed_r = s.seed + r + 1000 * i
            t0 = time.perf_counter()
            obj = _Penalised(
                _ssvqe_fixed(H, n, sec, body, 0),
                H,
                s.simulator,
                run=run,
                inputs=bits,
                state_weights=torch.tensor(sw, dtype=torch.float64),
            )
            w, res = _optimise(obj, _uniform(body.n_weights, s.init_scale, seed_r), s, seed_r)
            with torch.no_grad():
                psi = obj.states(w)
                es = obj.energies(psi)
                cost = float(obj._cost(w))
            dt = time.perf_counter() - t0
            log.info(
                "ssvqe %s seed %d: weighted cost %.12g, energies %s (%d evaluations, %.1f s)",
                sec.label,
                seed_r,
                cost,
                [round(float(e), 10) for e in es],
                res.n_evals,
                dt,
            )
            if cost < best_cost:
                best_cost = cost
                best = [
                    _Found(
                        sec,
                        float(es[j]),
                        cost,
                        w,
                        psi[j].detach().clone(),
                        res.n_evals,
                        res.n_iters,
                        res.converged,
                        res.message,
                        seed_r,
                        dt,
                        bits[j].tolist(),
                        sw[j],
                    )
                    for j in range(count)
                ]
        assert best is not None
        per_sector.append(best)
    t_opt = time.perf_counter() - t_opt
    pool = sorted((f for fs in per_sector for f in fs), key=lambda f: f.energy)
    found, rest = pool[:n_states], pool[n_states:]
    extra: dict[str, Any] = {"conserved": setup.conserved, "sectors_run": list(circuits)}
    if rest:
        extra["discarded"] = [{"sector": f.sector.label, "energy": f.energy} for f in rest]
    if setup.kind == "default" and setup.layers is None and len(set(layers_used.values())) == 1:
        setup.layers = next(iter(layers_used.values()))
    settings = _settings_record(s, setup, allocation, {"weights": w_all, "layers": layers_used})
    timings = {
        "total": time.perf_counter() - t_start,
        "exact": setup.t_exact,
        "optimize": t_opt,
        "per_sector": {fs[0].sector.label: fs[0].seconds for fs in per_sector},
    }
    return _assemble("ssvqe", setup, found, circuits, n_states, settings, timings, s.optimizer, s.seed, extra)


register_kind(ExcitedResult)

__all__ = ["EXACT_WIRES", "ExcitedResult", "excited_ansatz", "sector_inputs", "ssvqe", "vqd"]
