"""The :class:`Problem` record: a Hamiltonian with its exact reference, natural ansatz and initial weights.

Exact references are resolved by symmetry sector: the TFIM reference lives in the parity
sector ``prod X = +1`` (where an HVA started from ``|+>^N`` stays), U(1)-symmetric spin
models in their ``sum Z`` sector, molecules in the sector with the right electron
number. A (near-)degenerate ground level is kept whole: :meth:`ExactResult.fidelity`
is the weight of a state in the ground *space*, so the fidelity is well defined for the
two dimer states of the Majumdar-Ghosh chain or a singlet-triplet crossing.

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=4, h=1.0)
    >>> ex = p.exact()
    >>> round(ex.energy, 8), ex.method, ex.sector
    (-5.22625186, 'closed-form', 'X0 X1 X2 X3 = 1')
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


@dataclass(frozen=True, eq=False)
class ExactResult:
    """Exact ground-state data of a problem.

    Attributes:
        energy: The ground-state energy (closed form where available, else ED).
        ground_space: ``(2^n, d)`` orthonormal columns spanning the (sector-resolved)
            ground level, ``d`` its degeneracy; ``None`` when too wide for ED.
        energies: The lowest ED energies in the sector (empty without ED).
        method: ``"closed-form"``, ``"ed"`` or ``"closed-form (no ED state)"``.
        sector: ``"S = s"`` label of the symmetry sector, or ``None``.
        gap: ``E1 - E0`` in the sector, when at least two levels were computed (``0`` for a
            degenerate ground level, then see ``degeneracy``).
        degeneracy: Dimension of the ground level (levels within ``1e-8 * max(1, |E0|)``).

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
        sector: Symmetry operator selecting the reference sector (``None``: no restriction).
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
    def exact(self, k: int = 3) -> ExactResult:
        """The exact ground state, resolved in :attr:`sector` (cached).

        The energy is the closed form where one exists (checked against ED when both are
        available); states come from exact diagonalisation up to ``MAX_ED_WIRES`` qubits.

        Args:
            k: Number of lowest levels to compute (to detect degeneracy and the gap).

        Example:
            >>> from qml.problems import get_problem
            >>> round(get_problem("heisenberg", n=8).exact().energy, 10)
            -3.6510934089
        """
        key = f"exact{k}"
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
        from qml.ed import ground_state

        kk = max(1, min(int(k), 2**self.n_wires))
        kwargs: dict[str, Any] = {}
        if self.sector is not None:
            kwargs = {"sector": self.sector, "sector_value": self.sector_value}
        try:
            ed = ground_state(self.hamiltonian, self.n_wires, k=kk, **kwargs)
        except ValueError as err:
            if kk == 1 or "dimension" not in str(err):
                raise
            ed = ground_state(self.hamiltonian, self.n_wires, k=1, **kwargs)
        e = ed.energies
        tol = 1e-8 * max(1.0, abs(float(e[0])))
        deg = int(np.sum(e - e[0] <= tol))
        if closed is not None and abs(closed - float(e[0])) > 1e-8 * max(1.0, abs(closed)):
            log.warning("closed-form energy %.12f differs from ED %.12f for %s", closed, e[0], self.name)
        gap = float(e[deg] - e[0]) if len(e) > deg else (0.0 if deg > 1 else None)
        res = ExactResult(
            energy=float(closed) if closed is not None else float(e[0]),
            ground_space=ed.states[:, :deg],
            energies=np.asarray(e, dtype=float),
            method="closed-form" if closed is not None else "ed",
            sector=ed.sector,
            gap=gap,
            degeneracy=deg,
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

    def ansatz(self, layers: int | None = None, kind: str | None = None) -> Circuit:
        """The natural ansatz for this problem.

        Args:
            layers: Number of layers (default :attr:`default_layers`; for molecules the
                number of repetitions of the excitation block).
            kind: One of :attr:`ansatz_names` (default: the first).

        Raises:
            ValueError: For an unknown kind or a bad number of layers.

        Example:
            >>> from qml.problems import get_problem
            >>> get_problem("h2").ansatz().n_weights
            3
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
        return self.ansatze[kind](n_layers)

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


__all__ = ["MAX_ED_WIRES", "ExactResult", "Problem"]
