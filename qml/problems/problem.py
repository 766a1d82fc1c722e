"""The :class:`Problem` record: a Hamiltonian with its exact reference, natural ansatz and initial weights.

Exact references are right in every regime: every sector of the Hamiltonian's symmetry is
solved (total ``Sz`` for U(1)-symmetric spin models, the parity ``prod X`` for the TFIM)
and the lowest level wins, whatever the model's name suggests (a ferromagnetic XXZ chain
is fully polarised, a field magnetises a Heisenberg chain); molecules are fixed to the
sector with the right electron number. The ground level is kept whole, however
degenerate: :meth:`ExactResult.fidelity` is the weight of a state in the ground *space*,
so the fidelity is well defined for the two dimer states of the Majumdar-Ghosh chain, the
four-fold ground level of an odd Heisenberg ring or a singlet-triplet crossing.

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=4, h=1.0)
    >>> ex = p.exact()
    >>> round(ex.energy, 8), ex.method, ex.sector, ex.degeneracy
    (-5.22625186, 'closed-form', 'Px = 1', 1)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from qml.ir import Circuit
from qml.paulis import PauliString, PauliSum

log = logging.getLogger(__name__)

#: Largest width for which :meth:`Problem.exact` computes reference states by ED.
MAX_ED_WIRES = 20
#: Deepest ansatz :meth:`Problem.ansatz` builds (a layer count from a file is checked against it).
MAX_LAYERS = 10_000


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Exact ground-state data of a problem.

    Attributes:
        energy: The ground-state energy (closed form where available, else ED).
        ground_space: ``(2^n, d)`` orthonormal columns spanning the (sector-resolved)
            ground level, ``d`` its degeneracy; ``None`` when too wide for ED.
        energies: The lowest ED energies over the sectors solved, each level repeated by its
            degeneracy (empty without ED); see :attr:`levels`.
        method: ``"closed-form"``, ``"ed"`` or ``"closed-form (no ED state)"``.
        sector: ``"S = s"`` label of the symmetry sector, or ``None``.
        gap: ``E1 - E0`` between the two lowest distinct levels (over all sectors scanned),
            when at least two levels were computed.
        degeneracy: Dimension of the ground level (energies within ``1e-8 * max(1, |E0|)``),
            summed over sectors.
        symmetry: Name of the symmetry whose sectors were all scanned (``"Sz"``, ``"Px"``,
            ``"Pz"``), ``None`` for a fixed sector or the full space.
        sector_values: The scanned symmetry's value of each ground-space column.
        sectors_solved: How many sectors were diagonalised.

    Example:
        >>> import numpy as np
        >>> r = ExactResult(-1.0, np.array([[1.0], [0.0]]), np.array([-1.0]), "ed", None)
        >>> r.fidelity(np.array([0.6, 0.8]))
        0.36
    """

    energy: float
    ground_space: np.ndarray | None
    energies: np.ndarray
    method: str
    sector: str | None
    gap: float | None = None
    degeneracy: int = 1
    symmetry: str | None = None
    sector_values: tuple[float, ...] = ()
    sectors_solved: int = 0

    @property
    def levels(self) -> list[tuple[float, int]]:
        """The distinct levels of :attr:`energies` as ``(energy, degeneracy)`` pairs.

        Example:
            >>> from qml.problems import get_problem
            >>> [(round(e, 6), d) for e, d in get_problem("heisenberg", n=4, periodic=False).exact().levels]
            [(-1.616025, 1), (-0.957107, 3)]
        """
        from qml.ed import group_levels

        e = np.asarray(self.energies, dtype=float)
        if not e.size:
            return []
        lv = group_levels(e)
        return [(float(e[lv == j][0]), int(np.sum(lv == j))) for j in range(int(lv.max()) + 1)]

    @property
    def state(self) -> np.ndarray | None:
        """The first ground-state vector (``None`` without ED)."""
        return None if self.ground_space is None else self.ground_space[:, 0]

    def fidelity(self, psi: np.ndarray | torch.Tensor) -> float | None:
        """Weight of ``psi`` (normalised here) in the ground space: ``sum_k |<g_k|psi>|^2``.

        Returns ``None`` when no reference state is available.
        """
        if self.ground_space is None:
            return None
        v = psi.detach().cpu().numpy() if isinstance(psi, torch.Tensor) else np.asarray(psi)
        v = v.astype(complex).reshape(-1)
        norm = float(np.vdot(v, v).real)
        if v.size != self.ground_space.shape[0] or norm == 0.0:
            raise ValueError(
                f"the state has length {v.size} but the reference space has dimension "
                f"{self.ground_space.shape[0]}; pass a (non-zero) state of the problem's width"
            )
        overlaps = self.ground_space.conj().T @ v
        return float(np.sum(np.abs(overlaps) ** 2) / norm)


AnsatzBuilder = Callable[[int], Circuit]


@dataclass(frozen=True)
class SectorAnsatz:
    """An ansatz builder whose initial state can be put in any total-``Sz`` sector.

    ``build(layers, sz)`` returns the circuit starting from a state with total ``S^z = sz``
    (the ansatz's gates conserve it). :meth:`Problem.ansatz` passes the ground level's
    ``Sz`` by default (:meth:`Problem.target_sz`).

    Example:
        >>> from qml.ir import Circuit
        >>> b = SectorAnsatz(lambda layers, sz: Circuit(2, name=f"sz={sz:g}"))
        >>> b(1, 1.0).name
        'sz=1'
    """

    build: Callable[[int, float], Circuit]

    def __call__(self, layers: int, sz: float = 0.0) -> Circuit:
        return self.build(layers, sz)


#: Width up to which :meth:`Problem.ansatz` solves the exact problem to choose the initial sector.
AUTO_SECTOR_WIRES = 14


@dataclass(frozen=True, eq=False)
class Problem:
    """A ground-state problem: Hamiltonian, symmetry sector, exact reference and natural ansatz.

    Build problems with :func:`qml.problems.get_problem` (or the model functions).

    Attributes:
        name: Registry name (``"tfim"``, ``"h2"``...).
        hamiltonian: The Hamiltonian.
        n_wires: Number of qubits.
        params: The parameters the problem was built with (JSON-friendly).
        description: One line for tables and logs.
        energy_unit: ``"pauli"``/``"spin"`` for spin models, ``"hartree"`` for molecules.
        sector: A fixed sector constraint of the reference (e.g. a molecule's electron
            number); ``None`` (spin models): every sector is scanned and the lowest wins.
        sector_value: Its eigenvalue in the reference sector.
        reference: The reference-state circuit (no weights): ``|+>^N``, singlets, HF...
        ansatze: Ansatz builders ``layers -> Circuit`` by name; the first is the default.
        default_layers: Layers used when :meth:`ansatz` gets none.
        init: ``(strategy, scale)`` for :meth:`initial_weights` (see
            :func:`qml.templates.init_weights`).
        closed_form: Optional function returning the exact energy in the sector.
        info: Extra data (e.g. ``hf_energy``, ``n_electrons``, ``active_space``).

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("heisenberg", n=4)
        >>> c = p.ansatz(2)
        >>> c.n_wires, c.n_weights, p.initial_weights(seed=0).shape
        (4, 4, torch.Size([4]))
    """

    name: str
    hamiltonian: PauliSum
    n_wires: int
    params: dict[str, Any]
    description: str = ""
    energy_unit: str = "pauli"
    sector: PauliSum | PauliString | None = None
    sector_value: float = 0.0
    reference: Circuit | None = None
    ansatze: Mapping[str, AnsatzBuilder] = field(default_factory=dict)
    default_layers: int = 1
    init: tuple[str, float | None] = ("uniform", 0.1)
    closed_form: Callable[[], float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- exact reference ------------------------------------------------------------
    def exact(self, levels: int = 2) -> ExactResult:
        """The exact ground level over all symmetry sectors, kept whole (cached).

        Unless the problem fixes a sector (:attr:`sector`, e.g. a molecule's electron
        number), every sector of the Hamiltonian's qubit-wise symmetry is solved (total
        ``Sz``, or a parity) and the lowest wins; the ground level is resolved whole, however
        degenerate (see :func:`qml.ed.spectrum`). The energy is the closed form where one
        exists (checked against ED when both are available); states come from exact
        diagonalisation up to ``MAX_ED_WIRES`` qubits.

        Args:
            levels: Number of distinct levels to resolve (``2`` gives the gap).

        Example:
            >>> from qml.problems import get_problem
            >>> ex = get_problem("heisenberg", n=7).exact()
            >>> round(ex.energy, 10), ex.degeneracy, ex.sector
            (-2.8551792568, 4, 'Sz in {-0.5, 0.5}')
        """
        key = f"exact{levels}"
        if key in self._cache:
            return self._cache[key]
        closed = self.closed_form() if self.closed_form is not None else None
        if self.n_wires > MAX_ED_WIRES:
            if closed is None:
                raise ValueError(
                    f"{self.name} on {self.n_wires} qubits has no closed form and is too wide for "
                    f"exact diagonalisation (limit {MAX_ED_WIRES}); use a smaller size"
                )
            res = ExactResult(closed, None, np.empty(0), "closed-form (no ED state)", self._sector_label())
            self._cache[key] = res
            return res
        from qml.ed import spectrum

        kwargs: dict[str, Any] = {}
        if self.sector is not None:
            kwargs = {"sector": self.sector, "sector_value": self.sector_value}
        sp = spectrum(self.hamiltonian, self.n_wires, max(1, int(levels)), **kwargs)
        e0 = sp.energy
        if closed is not None and abs(closed - e0) > 1e-8 * max(1.0, abs(closed)):
            log.warning("closed-form energy %.12f differs from ED %.12f for %s", closed, e0, self.name)
        res = ExactResult(
            energy=float(closed) if closed is not None else e0,
            ground_space=sp.ground_space,
            energies=np.asarray(sp.energies, dtype=float),
            method="closed-form" if closed is not None else "ed",
            sector=sp.sector_label(0) if self.sector is None else sp.symmetry,
            gap=sp.gap,
            degeneracy=sp.degeneracies[0],
            symmetry=sp.symmetry if self.sector is None else None,
            sector_values=tuple(float(v) for v in sp.values[sp.level_of == 0]),
            sectors_solved=sp.sectors_solved,
        )
        self._cache[key] = res
        return res

    def _sector_label(self) -> str | None:
        if self.sector is None:
            return None
        return f"{self.sector} = {self.sector_value:g}"

    # -- ansatz and weights -----------------------------------------------------------
    @property
    def ansatz_names(self) -> tuple[str, ...]:
        """Names accepted by :meth:`ansatz` (the first is the default)."""
        return tuple(self.ansatze)

    def ansatz(
        self, layers: int | None = None, kind: str | None = None, *, sz: float | str | None = "auto"
    ) -> Circuit:
        """The natural ansatz for this problem.

        Args:
            layers: Number of layers (default :attr:`default_layers`; for molecules the
                number of repetitions of the excitation block).
            kind: One of :attr:`ansatz_names` (default: the first).
            sz: For ansatze that conserve total ``S^z`` (the spin models' HVA): the ``Sz``
                of the initial state. ``"auto"`` (default) takes the ground level's value
                (:meth:`target_sz`), so the ansatz can reach the ground state; ``None`` or a
                number fixes it. Ignored by ansatze without an adjustable sector only when
                ``"auto"`` or ``None``.

        Raises:
            ValueError: For an unknown kind, a bad number of layers, or an ``sz`` the
                ansatz cannot start from.

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("h2").ansatz().n_weights
            3
            >>> p = get_problem("xxz", n=4, delta=-2.0)   # ferromagnetic: polarised ground states
            >>> p.target_sz(), p.ansatz(1).ops[0].name
            (2.0, 'RXX')
        """
        names = self.ansatz_names
        if not names:
            raise ValueError(f"problem {self.name!r} defines no ansatz; pass a circuit explicitly")
        kind = names[0] if kind is None or kind == "default" else kind
        if kind not in self.ansatze:
            raise ValueError(
                f"unknown ansatz {kind!r} for problem {self.name!r}; valid choices: {', '.join(names)}"
            )
        n_layers = self.default_layers if layers is None else layers
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ValueError(f"layers must be an integer >= 1, got {layers!r}")
        if n_layers > MAX_LAYERS:
            raise ValueError(
                f"layers={n_layers} is beyond MAX_LAYERS = {MAX_LAYERS} (qml.problems.problem): building it "
                "would take hours; use layers='auto' or the depth the physics needs"
            )
        builder = self.ansatze[kind]
        if isinstance(builder, SectorAnsatz):
            target = self.target_sz() if sz == "auto" or sz is None else sz
            if isinstance(target, bool) or not isinstance(target, (int, float)):
                raise ValueError(f"sz must be 'auto', None or a number, got {sz!r}")
            return builder(n_layers, float(target))
        if sz not in ("auto", None):
            raise ValueError(
                f"the {kind!r} ansatz of {self.name!r} has no adjustable Sz sector; drop sz={sz!r} "
                f"or use an ansatz that has one"
            )
        return builder(n_layers)

    def target_sz(self) -> float:
        """The total ``Sz`` that :meth:`ansatz` starts from by default.

        The ground level's value when the exact reference scans ``Sz`` (the largest ``|Sz|``
        present, positive first: a ferromagnetic multiplet starts polarised, which an
        SU(2)-symmetric ansatz needs), else ``0`` (``1/2`` for odd widths). The exact
        problem is solved for this up to :data:`AUTO_SECTOR_WIRES` qubits, above that only
        when it is already cached (as in :func:`qml.optimize.vqe`).

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("heisenberg", n=8, h=1.5).target_sz()
            -2.0
        """
        default = 0.0 if self.n_wires % 2 == 0 else 0.5
        cached = [v for k, v in self._cache.items() if k.startswith("exact")]
        if not cached and self.n_wires > AUTO_SECTOR_WIRES:
            log.info("%s: %d qubits, exact reference not yet computed: ansatz starts at Sz = %g",
                     self.name, self.n_wires, default)
            return default
        ex = cached[0] if cached else self.exact()
        if ex.symmetry != "Sz" or not ex.sector_values:
            return default
        vals = sorted(set(ex.sector_values), key=lambda v: (-abs(v), -v))
        return float(vals[0])

    def initial_weights(self, seed: int = 0, circuit: Circuit | None = None) -> torch.Tensor:
        """Seeded initial weights for ``circuit`` (default: the default ansatz).

        Spin models start near (but not at) zero, uniform in ``[-0.1, 0.1)``; molecules
        start at zero, i.e. at the Hartree-Fock state.

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("h2").initial_weights(seed=0).tolist()
            [0.0, 0.0, 0.0]
        """
        from qml.templates import init_weights

        c = self.ansatz() if circuit is None else circuit
        strategy, scale = self.init
        return init_weights(c, strategy, seed=seed, scale=scale)

    # -- evaluation -------------------------------------------------------------------
    def energy(self, circuit: Circuit, weights: Any) -> float:
        """``<psi(weights)|H|psi(weights)>`` with the default simulator (no gradient).

        Example:
            >>> from qml.problems import get_problem
            >>> p = get_problem("h2")
            >>> round(p.energy(p.ansatz(), p.initial_weights()), 6) == round(p.info["hf_energy"], 6)
            True
        """
        from qml.simulator import Simulator

        with torch.no_grad():
            return float(Simulator().expval(circuit, self.hamiltonian, weights))

    def label(self) -> str:
        """``name(k=v, ...)`` for tables.

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("tfim", n=4, h=0.5).label()
            'tfim(n=4, h=0.5)'
        """
        shown = {k: v for k, v in self.params.items() if k in self.info.get("shown", ())}
        body = ", ".join(f"{k}={v}" for k, v in shown.items())
        return f"{self.name}({body})"


__all__ = ["AUTO_SECTOR_WIRES", "MAX_ED_WIRES", "MAX_LAYERS", "ExactResult", "Problem", "SectorAnsatz"]
