"""The :class:`Problem` record: a Hamiltonian with its exact reference, natural ansatz and initial weights.

Exact references are right in every regime: every sector of the Hamiltonian's symmetry is
solved (total ``Sz`` for U(1)-symmetric spin models, the parity ``prod X`` for the TFIM)
and the lowest level wins, whatever the model's name suggests (a ferromagnetic XXZ chain
is fully polarised, a field magnetises a Heisenberg chain); molecules are fixed to the
sector with the right electron number. The ground level is kept whole, however
degenerate: :meth:`ExactResult.fidelity` is the weight of a state in the ground *space*,
so the fidelity is well defined for the two dimer states of the Majumdar-Ghosh chain, the
four-fold ground level of an odd Heisenberg ring or a singlet-triplet crossing.

Beyond exact diagonalisation (``MAX_ED_WIRES`` qubits) the reference comes from free fermions
for the TFIM and XY chains (:mod:`qml.freefermion`: energy, gap and degeneracy at any size)
and from DMRG for other chains, rings and ladders (:mod:`qml.dmrg`: energy and MPS, converged
in the bond dimension); :attr:`ExactResult.method` says which, :attr:`ExactResult.accuracy`
how good it is, and no dense ground space exists then (:meth:`ExactResult.require_ground_space`
says so clearly).

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
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliString, PauliSum

if TYPE_CHECKING:
    from qml.freefermion import FreeFermionResult
    from qml.mps import MPS

log = logging.getLogger(__name__)

#: Largest width for which :meth:`Problem.exact` computes reference states by ED.
MAX_ED_WIRES = 20
#: Reference methods :meth:`Problem.exact` accepts.
EXACT_METHODS: tuple[str, ...] = ("auto", "ed", "free-fermion", "dmrg")
#: Deepest ansatz :meth:`Problem.ansatz` builds (a layer count from a file is checked against it).
MAX_LAYERS = 10_000


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Exact ground-state data of a problem.

    Attributes:
        energy: The ground-state energy (closed form where available, else ED).
        ground_space: ``(2^n, d)`` orthonormal columns spanning the (sector-resolved)
            ground level, ``d`` its degeneracy; ``None`` when too wide for ED.
        energies: The lowest energies over the sectors solved, each level repeated by its
            degeneracy (ED and free fermions; empty for DMRG); see :attr:`levels`.
        method: ``"closed-form"``, ``"ed"``, ``"closed-form (no ED state)"``, ``"free-fermion"``
            (:mod:`qml.freefermion`) or ``"dmrg"`` (:mod:`qml.dmrg`).
        sector: ``"S = s"`` label of the symmetry sector, or ``None``.
        gap: ``E1 - E0`` between the two lowest distinct levels (over all sectors scanned),
            when at least two levels were computed.
        degeneracy: Dimension of the ground level (energies within ``1e-8 * max(1, |E0|)``),
            summed over sectors; ``None`` when unknown (DMRG finds one state of the level).
        symmetry: Name of the symmetry whose sectors were all scanned (``"Sz"``, ``"Px"``,
            ``"Pz"``), ``None`` for a fixed sector or the full space.
        sector_values: The scanned symmetry's value of each ground-space column (each
            ground state for free fermions).
        sectors_solved: How many sectors were diagonalised.
        accuracy: How good the energy is, in words (machine precision for ED, closed forms
            and free fermions; the bond-dimension convergence and variance for DMRG).
        error: Estimated absolute error of :attr:`energy` (``None``: machine precision).
        mps: DMRG's ground state as a :class:`qml.mps.MPS` (normalised), for MPS-to-MPS
            fidelities (:meth:`fidelity`), entropies and correlations; ``None`` otherwise.
        details: The solver's own result (:class:`qml.freefermion.FreeFermionResult`,
            :class:`qml.dmrg.DMRGResult`), ``None`` for ED.
        n_wires: Width of the problem (``None`` when not recorded).

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
    degeneracy: int | None = 1
    symmetry: str | None = None
    sector_values: tuple[float, ...] = ()
    sectors_solved: int = 0
    accuracy: str | None = None
    error: float | None = None
    mps: MPS | None = field(default=None, repr=False)
    details: Any = field(default=None, repr=False)
    n_wires: int | None = None

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

    def require_ground_space(self, what: str = "this") -> np.ndarray:
        """:attr:`ground_space`, or a clear ``ValueError`` when the reference has none.

        Args:
            what: What needs the state, for the message (e.g. ``"the fidelity"``).

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("tfim", n=4).exact().require_ground_space().shape
            (16, 1)
            >>> get_problem("tfim", n=30).exact().require_ground_space("the training states")
            Traceback (most recent call last):
            ...
            qml.errors.ConfigError: the training states needs the exact ground state, but ... free-fermion ...
        """
        if self.ground_space is None:
            width = "" if self.n_wires is None else f"{self.n_wires}-qubit "
            what_else = "energy and MPS (.mps)" if self.mps is not None else "energy only"
            raise ConfigError(
                f"{what} needs the exact ground state, but the reference of this {width}problem came from "
                f"{self.method} ({what_else}, no dense state above {MAX_ED_WIRES} qubits); use at most "
                f"{MAX_ED_WIRES} qubits"
            )
        return self.ground_space

    def fidelity(self, psi: np.ndarray | torch.Tensor | MPS) -> float | None:
        """Weight of ``psi`` (normalised here) in the ground space: ``sum_k |<g_k|psi>|^2``.

        ``psi`` is a statevector or a :class:`qml.mps.MPS`. Without an ED ground space but with
        DMRG's state (:attr:`mps`), an MPS is compared MPS to MPS: ``|<dmrg|psi>|^2``, the
        fidelity with that one state (a whole level only when the level is non-degenerate).

        Returns ``None`` when no reference state is available (or a dense ``psi`` meets only
        DMRG's MPS).

        Example:
            >>> from qml.mps import MPS
            >>> from qml.problems import get_problem
            >>> round(get_problem("tfim", n=4, h=0.0).exact().fidelity(MPS.product(4)), 12)  # |0000>
            1.0
        """
        from qml.mps import MPS
        from qml.mps import fidelity as mps_fidelity

        if isinstance(psi, MPS):
            if self.ground_space is None:
                return None if self.mps is None else float(mps_fidelity(self.mps, psi))
            psi = psi.to_dense(normalize=True)
        if self.ground_space is None:
            return None
        v = psi.detach().cpu().numpy() if isinstance(psi, torch.Tensor) else np.asarray(psi)
        v = v.astype(complex).reshape(-1)
        norm = float(np.vdot(v, v).real)
        if v.size != self.ground_space.shape[0] or norm == 0.0:
            raise ConfigError(
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
        free_fermion: Optional solver of the ground level by free fermions (TFIM and XY
            chains, :mod:`qml.freefermion`): the reference beyond ED, at any size.
        one_dimensional: The lattice is a chain, ring or ladder: DMRG (:mod:`qml.dmrg`) is the
            reference beyond ED when there is no free-fermion solution.

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
    free_fermion: Callable[[], FreeFermionResult] | None = None
    one_dimensional: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- exact reference ------------------------------------------------------------
    def exact(self, levels: int = 2, method: str = "auto") -> ExactResult:
        """The exact ground level over all symmetry sectors, kept whole (cached), and which method gave it.

        Up to ``MAX_ED_WIRES`` qubits (``method="auto"``): exact diagonalisation. Unless the
        problem fixes a sector (:attr:`sector`, e.g. a molecule's electron number), every
        sector of the Hamiltonian's qubit-wise symmetry is solved (total ``Sz``, or a
        parity) and the lowest wins; the ground level is resolved whole, however degenerate
        (see :func:`qml.ed.spectrum`). The energy is the closed form where one exists
        (checked against ED). Wider problems: free fermions for the TFIM and XY chains
        (:func:`qml.freefermion.tfim_ground`, :func:`qml.freefermion.xy_ground`: energy,
        gap, degeneracy and parity at machine precision, any size), DMRG for other chains,
        rings and ladders (:func:`qml.dmrg.dmrg`: energy converged in the bond dimension, the
        MPS in :attr:`ExactResult.mps`, no degeneracy); :attr:`ExactResult.method` and
        :attr:`ExactResult.accuracy` say which and how good. Above ED there is no dense
        ground space (``ground_space is None``).

        Args:
            levels: Number of distinct levels to resolve (``2`` gives the gap).
            method: ``"auto"`` (above), or force ``"ed"``, ``"free-fermion"`` (TFIM / XY
                chains only) or ``"dmrg"`` (any problem without a fixed sector; efficient in 1D).

        Raises:
            ValueError: For an unknown method, one that does not apply (ED above
                ``MAX_ED_WIRES`` qubits, free fermions for another model, DMRG with a fixed
                sector), or a wide problem with no reference (a 2D lattice).
            ModuleNotFoundError: DMRG without quimb (``pip install 'qml-circuits[dmrg]'``).

        Example:
            >>> from qml.problems import get_problem
            >>> ex = get_problem("heisenberg", n=7).exact()
            >>> round(ex.energy, 10), ex.degeneracy, ex.sector
            (-2.8551792568, 4, 'Sz in {-0.5, 0.5}')
            >>> ex = get_problem("tfim", n=100, h=1.0).exact()
            >>> round(ex.energy, 8), ex.method, ex.ground_space is None
            (-127.32919061, 'free-fermion', True)
        """
        if method not in EXACT_METHODS:
            raise ConfigError(f"unknown exact method {method!r}; valid methods: {', '.join(EXACT_METHODS)}")
        levels = max(1, int(levels))
        key = f"exact{levels}" if method == "auto" else f"exact{levels}-{method}"
        if key in self._cache:
            return self._cache[key]
        chosen = method if method != "auto" else self._auto_method()
        if chosen == "free-fermion":
            res = self._exact_free_fermion(levels)
        elif chosen == "dmrg":
            res = self._exact_dmrg()
        elif chosen == "closed-form":
            assert self.closed_form is not None
            label = self._sector_label()
            res = ExactResult(
                float(self.closed_form()),
                None,
                np.empty(0),
                "closed-form (no ED state)",
                label,
                accuracy="machine precision (closed form; no state)",
                n_wires=self.n_wires,
            )
        else:
            res = self._exact_ed(levels)
        log.info(
            "%s: exact reference by %s (%d qubits): E = %.12g",
            self.name,
            res.method,
            self.n_wires,
            res.energy,
        )
        self._cache[key] = res
        return res

    def _auto_method(self) -> str:
        if self.n_wires <= MAX_ED_WIRES:
            return "ed"
        if self.free_fermion is not None:
            return "free-fermion"
        if self.closed_form is not None:
            return "closed-form"
        if self.one_dimensional and self.sector is None:
            return "dmrg"
        raise ConfigError(
            f"{self.name} on {self.n_wires} qubits has no closed form, no free-fermion or DMRG reference "
            f"(not a chain, ring or ladder) and is too wide for exact diagonalisation (limit "
            f"{MAX_ED_WIRES}); use a smaller size"
        )

    def _exact_ed(self, levels: int) -> ExactResult:
        if self.n_wires > MAX_ED_WIRES:
            raise ConfigError(
                f"exact diagonalisation stops at {MAX_ED_WIRES} qubits, this problem has {self.n_wires}; "
                "use method='auto' (free fermions or DMRG for chains)"
            )
        from qml.ed import spectrum

        closed = self.closed_form() if self.closed_form is not None else None
        kwargs: dict[str, Any] = {}
        if self.sector is not None:
            kwargs = {"sector": self.sector, "sector_value": self.sector_value}
        sp = spectrum(self.hamiltonian, self.n_wires, levels, **kwargs)
        e0 = sp.energy
        if closed is not None and abs(closed - e0) > 1e-8 * max(1.0, abs(closed)):
            log.warning("closed-form energy %.12f differs from ED %.12f for %s", closed, e0, self.name)
        return ExactResult(
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
            accuracy=f"machine precision ({sp.solver} exact diagonalisation)",
            n_wires=self.n_wires,
        )

    def _exact_free_fermion(self, levels: int) -> ExactResult:
        if self.free_fermion is None:
            raise ConfigError(
                f"{self.name} on {self.info.get('lattice', 'this lattice')} has no free-fermion solution; "
                "method='free-fermion' needs the tfim or xy model on a chain or ring"
            )
        ff = self.free_fermion()
        kept = ff.levels[:levels]
        if sum(d for _, d in kept) <= 4096:
            energies = np.concatenate([np.full(d, e) for e, d in kept])
        else:  # a huge degeneracy (e.g. J = h = 0): each level once
            energies = np.array([e for e, _ in kept])
        return ExactResult(
            energy=ff.energy,
            ground_space=None,
            energies=energies,
            method="free-fermion",
            sector=ff.sector,
            gap=ff.gap if levels > 1 else None,
            degeneracy=ff.degeneracy,
            symmetry=ff.symmetry,
            sector_values=ff.sector_values,
            sectors_solved=2,
            accuracy="machine precision (free fermions: Jordan-Wigner, both parity sectors; no state)",
            details=ff,
            n_wires=self.n_wires,
        )

    def _exact_dmrg(self) -> ExactResult:
        if self.sector is not None:
            raise ConfigError(
                f"DMRG cannot hold {self.name}'s fixed sector ({self._sector_label()}); use method='ed'"
            )
        from qml.dmrg import dmrg

        r = dmrg(self.hamiltonian, self.n_wires)
        change = "n/a" if r.energy_change is None else f"{r.energy_change:.1e}"
        var = "n/a" if r.variance is None else f"{r.variance:.1e}"
        state = "converged" if r.converged else "NOT converged"
        accuracy = (
            f"DMRG ({state}): bond dimensions {', '.join(map(str, r.bond_dims))} (largest bond used "
            f"{r.max_bonds[-1]}), energy change {change} at the last one, variance {var}"
        )
        return ExactResult(
            energy=r.energy,
            ground_space=None,
            energies=np.empty(0),
            method="dmrg",
            sector=None,
            degeneracy=None,
            accuracy=accuracy,
            error=r.error_estimate,
            mps=r.state,
            details=r,
            n_wires=self.n_wires,
        )

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
            raise ConfigError(f"problem {self.name!r} defines no ansatz; pass a circuit explicitly")
        kind = names[0] if kind is None or kind == "default" else kind
        if kind not in self.ansatze:
            raise ConfigError(
                f"unknown ansatz {kind!r} for problem {self.name!r}; valid choices: {', '.join(names)}"
            )
        n_layers = self.default_layers if layers is None else layers
        if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1:
            raise ConfigError(f"layers must be an integer >= 1, got {layers!r}")
        if n_layers > MAX_LAYERS:
            raise ConfigError(
                f"layers={n_layers} is beyond MAX_LAYERS = {MAX_LAYERS} (qml.problems.problem): building it "
                "would take hours; use layers='auto' or the depth the physics needs"
            )
        builder = self.ansatze[kind]
        if isinstance(builder, SectorAnsatz):
            target = self.target_sz() if sz == "auto" or sz is None else sz
            if isinstance(target, bool) or not isinstance(target, (int, float)):
                raise ConfigError(f"sz must be 'auto', None or a number, got {sz!r}")
            return builder(n_layers, float(target))
        if sz not in ("auto", None):
            raise ConfigError(
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
            log.info(
                "%s: %d qubits, exact reference not yet computed: ansatz starts at Sz = %g",
                self.name,
                self.n_wires,
                default,
            )
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
        from qml.sim.simulator import Simulator

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


__all__ = [
    "AUTO_SECTOR_WIRES",
    "EXACT_METHODS",
    "MAX_ED_WIRES",
    "MAX_LAYERS",
    "ExactResult",
    "Problem",
    "SectorAnsatz",
]
