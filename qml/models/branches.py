"""Sector branches of a family: per-point VQE with layer growth, interpolated, the lowest branch chosen.

:func:`fit_branch` trains one sector's branch: VQE of :func:`~qml.models.sectors.family_ansatz`
at every training point, solved in a path order (sorted in one parameter, a snake through
the grid in two) so neighbouring solutions lie on one connected branch of angles. Depth is
chosen by convergence, not fixed: starting at ``DepthSearch.start`` layers, every point is
solved from two starts, the previous depth's optimum at that point grown to the new depth
(its angle schedules interpolated, or near-identity layers appended: ``DepthSearch.grow``,
:func:`~qml.optimize.depth.choose_growth`) and the neighbour's optimum at this depth, the
lower energy kept; the depth grows
until every training point meets the targets against the exact lowest state of its sector
(or a budget ends it; the history is kept). :func:`fit_branch` is a pure function of
its arguments, so branches and points can be shipped to workers.

:class:`SectorModel` interpolates each branch's angles (:class:`InterpolationBaseline`:
cubic spline in one parameter, thin-plate RBF in two) and predicts, at any ``lambda``, the
branch with the lowest energy ``<H(lambda)>``: level crossings between sectors are found
variationally (:meth:`SectorModel.crossings`). :meth:`SectorModel.jackknife` gives the
leave-one-out ensemble whose spread flags unreliable predictions.

Example:
    >>> from qml.models.conditional import HamiltonianFamily
    >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4, periodic=False)
    >>> fit = fit_branch(fam, [0.5, 1.0, 1.5], 1.0, layers=2)
    >>> model = SectorModel(fam, [fit])
    >>> round(float(model.predict([0.75]).energies[0]), 3) <= -3.49
    True
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.models.conditional import (
    HamiltonianFamily,
    InterpolationBaseline,
    LamLike,
    MLPConditional,
    Prediction,
)
from qml.optimize.depth import DepthSearch, choose_growth, interpolate_layers

log = logging.getLogger(__name__)


#: Fraction of the current depth added per growth step (at least one layer): 1, 2, 3, 4, 5, 6, 8, 10, 12...;
#: one layer at a time once the errors are within ten times the targets.
GROWTH = 0.25


def path_order(lams: np.ndarray) -> np.ndarray:
    """Indices visiting the points along a path: sorted for one parameter, a snake for two.

    Example:
        >>> path_order(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).tolist()
        [1, 2, 3, 0]
    """
    L = np.asarray(lams, dtype=float).reshape(len(lams), -1)
    if L.shape[1] == 1:
        return np.argsort(L[:, 0], kind="stable")
    xs = np.unique(np.round(L[:, 0], 12))
    out: list[int] = []
    for i, x in enumerate(xs):
        idx = np.flatnonzero(np.abs(L[:, 0] - x) < 1e-12)
        idx = idx[np.argsort(L[idx, 1], kind="stable")]
        out += list(idx if i % 2 == 0 else idx[::-1])
    return np.asarray(out, dtype=int)


@dataclass
class BranchFit:
    """One sector's per-point VQE solutions at the training points.

    Attributes:
        sector: The symmetry value of the branch (``None``: no sector).
        label: ``"Sz = -1"``-style label.
        layers: Depth chosen.
        circuit: The ansatz (:meth:`Circuit.to_dict` form).
        lams: ``(T, K)`` training points (path order).
        weights: ``(T, P)`` optimal weights.
        energies: ``(T,)`` VQE energies.
        exact: ``(T,)`` exact lowest energy of the sector.
        fidelities: ``(T,)`` weight of each solution in its sector's lowest level.
        history: Per depth: ``{"layers", "max_rel_error", "min_fidelity", "seconds"}``.
        stop: Why the depth stopped growing (``"target"``, ``"max_layers"``, ``"time_budget"``,
            ``"fixed"``).
        seconds: Wall time; ``n_evals``: circuit evaluations; ``seed``: seed.

    Example:
        >>> BranchFit(1.0, "Px = 1", 1, {}, [[0.5]], [[0.1, 0.2]], [-1.0], [-1.0], [1.0]).n_points
        1
    """

    sector: float | None
    label: str
    layers: int
    circuit: dict[str, Any]
    lams: list[list[float]]
    weights: list[list[float]]
    energies: list[float]
    exact: list[float]
    fidelities: list[float]
    history: list[dict[str, Any]] = field(default_factory=list)
    stop: str = "fixed"
    seconds: float = 0.0
    n_evals: int = 0
    seed: int = 0

    @property
    def n_points(self) -> int:
        """Number of training points."""
        return len(self.lams)

    @property
    def max_rel_error(self) -> float:
        """Largest ``|E - E_sector| / |E_sector|`` over the training points (see :func:`_rel_errors`)."""
        return max(_rel_errors(self.energies, self.exact))

    def circuit_obj(self) -> Circuit:
        """The ansatz as a :class:`~qml.ir.Circuit`."""
        return Circuit.from_dict(self.circuit)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def fit_branch(
    family: HamiltonianFamily,
    train_lams: LamLike,
    sector: float | None,
    *,
    layers: int | str = "auto",
    search: DepthSearch | None = None,
    steps: int = 300,
    seed: int = 0,
    dtype: torch.dtype = torch.complex128,
    callback: Callable[[dict[str, Any]], Any] | None = None,
) -> BranchFit:
    """Per-point VQE of one sector's branch at the training points, depth grown until converged.

    Args:
        family: The Hamiltonian family.
        train_lams: ``(T,)`` or ``(T, K)`` training points.
        sector: The sector value (see :func:`~qml.models.sectors.family_ansatz`).
        layers: A fixed depth, or ``"auto"`` (grow from ``search.start``).
        search: Targets and budgets of the growth (default: relative error 1e-4 and sector
            fidelity 0.995 at every training point, at most ``2 n`` layers).
        steps: L-BFGS iterations per VQE.
        seed: Seed of the first point's initial weights and of the new layers' angles.
        dtype: Simulation dtype.
        callback: ``callback(info)`` after each training point's VQE, ``info`` =
            ``{"layers", "point", "points", "rel_error"}`` (the point's error against the sector's exact
            energy; ``point`` counts from 1 at every depth).

    Returns:
        A :class:`BranchFit`.

    Raises:
        ValueError: For a bad ``layers``.

    Example:
        >>> fam = HamiltonianFamily.from_problem("heisenberg", "h", n=4)
        >>> fit = fit_branch(fam, [0.0, 1.0, 2.0], -1.0)
        >>> fit.label, fit.max_rel_error < 1e-6, fit.stop
        ('Sz = -1', True, 'target')
    """
    from qml.models.sectors import family_ansatz, family_symmetry, sector_ground
    from qml.optimize import vqe
    from qml.sim.simulator import Simulator

    if layers != "auto" and (isinstance(layers, bool) or not isinstance(layers, int) or layers < 1):
        raise ConfigError(f"layers must be an integer >= 1 or 'auto', got {layers!r}")
    n = family.n_wires
    search = search or DepthSearch(target_rel_error=1e-4, target_fidelity=0.995, max_layers=2 * n, seed=seed)
    t0 = time.perf_counter()
    L = family.as_lams(train_lams).numpy()
    L = L[path_order(L)]
    sym = family_symmetry(family)
    value = sector if sym is not None else None
    refs = [
        (g.energy, g.ground_space)
        for g in (sector_ground(family.hamiltonian(row), n, sym, value) for row in L)
    ]
    sim = Simulator(dtype=dtype)
    rng = np.random.default_rng(seed)
    p = layers if isinstance(layers, int) else search.start
    top = p if isinstance(layers, int) else (search.max_layers or 2 * n)
    prev: np.ndarray | None = None
    p_prev = 0
    target = search.target_rel_error
    history: list[dict[str, Any]] = []
    n_evals = 0
    while True:
        t_depth = time.perf_counter()
        circuit = family_ansatz(family, p, value)
        W = np.zeros((len(L), circuit.n_weights))
        E = np.zeros(len(L))
        growth = None
        if prev is not None:
            growth = choose_growth(search, True, prev.shape[1], p_prev, circuit.n_weights, p)
        for t, row in enumerate(L):
            H = family.hamiltonian(row.tolist())
            starts: list[np.ndarray] = []
            if t > 0:
                starts.append(W[t - 1])
            if prev is not None:
                if growth == "interp":
                    starts.append(interpolate_layers(prev[t], p_prev, p).numpy())
                else:
                    new = rng.uniform(-1, 1, circuit.n_weights - prev.shape[1]) * search.new_layer_scale
                    starts.append(np.concatenate([prev[t], new]))
            if not starts:
                starts.append(rng.uniform(-1, 1, circuit.n_weights) * 0.1)
            best = None
            for w0 in starts:  # the neighbour first: a second start only where it falls short
                r = vqe(
                    (H, circuit),
                    "lbfgs",
                    steps,
                    seed=seed,
                    init=torch.as_tensor(w0),
                    simulator=sim,
                    exact=False,
                    log_every=10**9,
                )
                n_evals += r.n_evals
                if best is None or r.energy < best.energy - 1e-12:
                    best = r
                if isinstance(layers, int) or _rel_errors([best.energy], [refs[t][0]])[0] <= 0.1 * target:
                    break
            assert best is not None  # starts is never empty
            W[t] = best.weights.numpy()
            E[t] = best.energy
            if callback is not None:
                rel_t = _rel_errors([best.energy], [refs[t][0]])[0]
                callback({"layers": p, "point": t + 1, "points": len(L), "rel_error": float(rel_t)})
        fids, rel = _scores(sim, circuit, W, E, refs)
        history.append(
            {
                "layers": p,
                "grow": growth,
                "max_rel_error": max(rel),
                "min_fidelity": min(fids),
                "seconds": time.perf_counter() - t_depth,
            }
        )
        log.info(
            "branch %s: %d layers, max rel error %.2e, min sector fidelity %.6f",
            value,
            p,
            max(rel),
            min(fids),
        )
        if isinstance(layers, int):
            stop = "fixed"
            break
        if all(search.met(r_, f_) for r_, f_ in zip(rel, fids)):
            stop = "target"
            break
        if p >= top or (search.max_params is not None and circuit.n_weights >= search.max_params):
            stop = "max_layers"
            break
        if search.time_budget is not None and time.perf_counter() - t0 > search.time_budget:
            stop = "time_budget"
            break
        close = max(rel) <= 10 * target and (
            search.target_fidelity is None or 1 - min(fids) <= 10 * (1 - search.target_fidelity)
        )
        prev, p_prev = W, p
        p = min(top, p + (1 if close else max(1, round(GROWTH * p))))
    W, E, chosen, evals = _smoothest(family, circuit, L, W, E, sim, steps, seed)
    n_evals += evals
    fids, _ = _scores(sim, circuit, W, E, refs)
    history[-1]["path"] = chosen
    label = "all" if sym is None or value is None else sym.label(value)
    return BranchFit(
        value,
        label,
        p,
        circuit.to_dict(),
        L.tolist(),
        W.tolist(),
        E.tolist(),
        [x for x, _ in refs],
        fids,
        history,
        stop,
        time.perf_counter() - t0,
        n_evals,
        seed,
    )


def _rel_errors(energies: Any, exact: Any) -> list[float]:
    """``|E - E_x| / |E_x|``, the denominator at least 1 % of the largest ``|E_x|`` (energies crossing 0)."""
    floor = 1e-2 * max(max(abs(x) for x in exact), 1e-12)
    return [abs(e - x) / max(abs(x), floor) for e, x in zip(energies, exact)]


def _scores(sim: Any, circuit: Circuit, W: np.ndarray, E: np.ndarray, refs: list) -> tuple[list, list]:
    psi = sim.state(circuit, torch.as_tensor(W)).detach().cpu().numpy().reshape(len(W), -1)
    fids = [float(np.sum(np.abs(g.conj().T @ v) ** 2)) for v, (_, g) in zip(psi, refs)]
    return fids, _rel_errors(E, [x for x, _ in refs])


def _midpoint_energy(family: HamiltonianFamily, circuit: Circuit, L: np.ndarray, W: np.ndarray) -> float:
    """Mean energy of the interpolated states halfway between neighbouring training points (label-free)."""
    if len(L) < 2:
        return 0.0
    model = InterpolationBaseline(
        circuit,
        family,
        L,
        torch.as_tensor(W),
        "linear" if family.n_params == 1 and len(L) < 3 else "cubic" if family.n_params == 1 else "rbf",
    )
    mids = 0.5 * (L[1:] + L[:-1])
    with torch.no_grad():
        return float(model.energy(mids).mean())


def _smoothest(
    family: HamiltonianFamily,
    circuit: Circuit,
    L: np.ndarray,
    W: np.ndarray,
    E: np.ndarray,
    sim: Any,
    steps: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Among the grown solutions and continuation sweeps from either end, the set interpolating best.

    Optima at neighbouring points may sit in different basins of equal energy; interpolating
    between them gives poor states in between. Continuation (each point started from its
    neighbour's optimum) keeps one basin. The candidate whose interpolated states have the
    lowest mean energy at the midpoints between training points wins (variational, no labels).
    """
    from qml.optimize import vqe

    candidates = {"grown": (W, E)}
    n_evals = 0
    if len(L) >= 3:
        for name, indices in (("forward", range(len(L))), ("backward", range(len(L) - 1, -1, -1))):
            order = list(indices)
            W2, E2 = W.copy(), E.copy()
            for a, b in itertools.pairwise(order):
                r = vqe(
                    (family.hamiltonian(L[b].tolist()), circuit),
                    "lbfgs",
                    steps,
                    seed=seed,
                    init=torch.as_tensor(W2[a]),
                    simulator=sim,
                    exact=False,
                    log_every=10**9,
                )
                n_evals += r.n_evals
                W2[b], E2[b] = r.weights.numpy(), r.energy
            candidates[name] = (W2, E2)
    scores = {k: _midpoint_energy(family, circuit, L, w) for k, (w, _) in candidates.items()}
    best = min(scores, key=scores.__getitem__)
    log.info("branch path: midpoint energies %s; kept %s", scores, best)
    return (*candidates[best], best, n_evals)


class ResidualConditional(MLPConditional):
    """An interpolant's angles plus a trainable MLP correction that starts at zero.

    ``angles(lambda) = base(lambda) + MLP(lambda)``; the MLP's output layer is zero at
    initialisation, so the model starts exactly at the interpolant and energy training
    (:meth:`fit`) can only improve on it.

    Args:
        base: The interpolant (kept fixed).
        hidden: Hidden widths of the correction.
        seed: Seed of the correction's hidden layers.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
        >>> base = InterpolationBaseline(fam.ansatz(1), fam, [0.0, 1.0], torch.ones(2, 2), "linear")
        >>> ResidualConditional(base).angles([0.5]).tolist()
        [[1.0, 1.0]]
    """

    kind = "residual"

    def __init__(self, base: InterpolationBaseline, hidden: tuple[int, ...] = (32, 32), seed: int = 0):
        span = list(zip(base.lam_lo.tolist(), base.lam_hi.tolist()))
        super().__init__(
            base.circuit, base.family, hidden, "tanh", base.simulator, None, span, None, 0.0, seed
        )
        self.base = base

    def angles(self, lams: LamLike) -> torch.Tensor:
        """``(B, P)`` weights: the interpolant plus the correction."""
        L = self.lams(lams)
        return self.circuit_args(L)[0]

    def circuit_args(self, lams: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        w, x = super().circuit_args(lams)
        return w + self.base._interp(lams).reshape(w.shape).to(w.dtype), x


class SectorModel:
    """Interpolated branches of a family; at each ``lambda`` the lowest-energy branch is the prediction.

    Args:
        family: The Hamiltonian family.
        fits: One :class:`BranchFit` per sector.
        interpolation: ``"cubic"`` (one parameter), ``"linear"`` or ``"rbf"`` (default:
            cubic for one parameter with at least 3 points, else RBF).

    Example:
        >>> fam = HamiltonianFamily.from_problem("heisenberg", "h", n=4)
        >>> fits = [fit_branch(fam, [0.0, 1.5, 3.0], v) for v in (-2.0, -1.0, 0.0)]
        >>> m = SectorModel(fam, fits)
        >>> [m.labels[int(b)] for b in m.predict([0.2, 1.5, 2.8]).branch]
        ['Sz = 0', 'Sz = -1', 'Sz = -2']
    """

    kind = "sector"

    def __init__(self, family: HamiltonianFamily, fits: list[BranchFit], interpolation: str | None = None):
        if not fits:
            raise ConfigError("a SectorModel needs at least one branch fit")
        self.family = family
        self.fits = list(fits)
        T = min(f.n_points for f in fits)
        kind = interpolation or (
            "cubic" if family.n_params == 1 and T >= 3 else "linear" if family.n_params == 1 else "rbf"
        )
        self.interpolation = kind
        self.branches: list[Any] = [
            InterpolationBaseline(f.circuit_obj(), family, f.lams, torch.tensor(f.weights), kind)
            for f in fits
        ]
        self.labels = [f.label for f in fits]
        self.refined: dict[str, Any] = {}

    def refine(
        self,
        lams: LamLike,
        steps: int = 100,
        seed: int = 0,
        callback: Callable[[int, int, float], Any] | None = None,
    ) -> dict[str, Any]:
        """Correct every branch's interpolated angles by training on the mean energy over unlabelled ``lams``.

        Each branch becomes a :class:`ResidualConditional`: its interpolant plus an MLP that
        starts at zero, trained by L-BFGS on ``mean_lambda <H(lambda)>`` of that branch over
        ``lams``. No exact value is used (the energy is variational) and training starts from
        the interpolant, so the mean energy can only go down; the angles between training
        points then follow the energy landscape instead of a spline. A branch keeps its
        interpolant when training does not lower its mean energy.

        ``callback(branch, evaluation, loss)`` is called at every L-BFGS evaluation (see
        :meth:`~qml.models.conditional.ConditionalModel.fit`; at most ``steps * 5 // 4 + 1`` per branch).

        Returns:
            ``{"steps", "points", "seconds", "mean_energy": [before, after] per branch}``.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
            >>> m = SectorModel(fam, [fit_branch(fam, [0.4, 0.8, 1.2, 1.6], 1.0, layers=1)])
            >>> info = m.refine([0.5, 1.0, 1.5], steps=5)
            >>> before, after = info["mean_energy"][0]
            >>> after <= before
            True
        """
        t0 = time.perf_counter()
        L = self.family.as_lams(lams)
        energies = []
        for i, base in enumerate(self.branches):
            with torch.no_grad():
                before = float(base.energy(L).mean())
            net = ResidualConditional(base, seed=seed + i)
            net.fit(
                L,
                steps=steps,
                seed=seed + i,
                log_every=10**9,
                callback=None if callback is None else functools.partial(callback, i),
            )
            with torch.no_grad():
                after = float(net.energy(L).mean())
            if after < before:
                self.branches[i] = net
            energies.append([before, min(before, after)])
        self.refined = {
            "steps": steps,
            "points": int(L.shape[0]),
            "seconds": time.perf_counter() - t0,
            "mean_energy": energies,
        }
        self._refine_args = (L, steps, seed)
        return self.refined

    def branch_energies(self, lams: LamLike) -> torch.Tensor:
        """``(B, S)`` energies of every branch's interpolated state.

        Example:
            >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
            >>> SectorModel(fam, [fit_branch(fam, [0.5, 1.0], 1.0, layers=1)]).branch_energies([0.7]).shape
            torch.Size([1, 1])
        """
        with torch.no_grad():
            return torch.stack([b.energy(lams) for b in self.branches], dim=1)

    def predict(self, lams: LamLike) -> Prediction:
        """Energies and states of the lowest branch at each ``lambda`` (``branch``: its index)."""
        with torch.no_grad():
            preds = [b.predict(lams) for b in self.branches]
            E = torch.stack([p.energies for p in preds], dim=1)
            best = E.argmin(dim=1)
            states = torch.stack([p.states for p in preds], dim=1)[torch.arange(E.shape[0]), best]
            return Prediction(preds[0].lams, E.min(dim=1).values, states, best)

    def crossings(self, lo: float, hi: float, points: int = 201, tol: float = 1e-7) -> list[dict[str, Any]]:
        """Where the predicted branch changes along a one-parameter family (bisection on branch energies).

        Returns:
            ``[{"lambda", "from", "to"}]`` with branch labels, in increasing ``lambda``.
        """
        if self.family.n_params != 1 or len(self.branches) == 1:
            return []
        xs = np.linspace(lo, hi, points)
        pick = self.branch_energies(xs).argmin(dim=1).tolist()
        out = []
        for i in range(points - 1):
            if pick[i] == pick[i + 1]:
                continue
            a, b, ia = float(xs[i]), float(xs[i + 1]), pick[i]
            while b - a > tol:
                m = 0.5 * (a + b)
                if int(self.branch_energies([m]).argmin(dim=1)[0]) == ia:
                    a = m
                else:
                    b = m
            out.append({"lambda": 0.5 * (a + b), "from": self.labels[ia], "to": self.labels[pick[i + 1]]})
        return out

    def jackknife(self) -> list[SectorModel]:
        """Leave-one-out ensemble: one model per training point, that point removed from every branch.

        A refined model's members are refined the same way (same points, steps and seeds).

        Needs at least 4 training points for cubic interpolation (3 remain), 3 otherwise.
        """
        T = min(f.n_points for f in self.fits)
        need = 4 if self.interpolation == "cubic" else 3
        if need > T:
            raise ConfigError(f"a jackknife ensemble needs at least {need} training points, got {T}")
        members = []
        for drop in range(T):
            fits = []
            for f in self.fits:
                keep = [i for i in range(f.n_points) if i != drop]
                d = f.to_dict()
                for key in ("lams", "weights", "energies", "exact", "fidelities"):
                    d[key] = [d[key][i] for i in keep]
                fits.append(BranchFit(**d))
            member = SectorModel(self.family, fits, self.interpolation)
            if self.refined:  # members are trained like the model they stand for
                member.refine(*self._refine_args)
            members.append(member)
        return members

    def describe(self) -> dict[str, Any]:
        """Kind, interpolation, refinement, and per branch: label, layers, weights, training errors."""
        return {
            "kind": self.kind,
            "interpolation": self.interpolation,
            "refined": self.refined,
            "branches": [
                {
                    "label": f.label,
                    "layers": f.layers,
                    "n_weights": len(f.weights[0]),
                    "max_rel_error_train": f.max_rel_error,
                    "min_fidelity_train": min(f.fidelities),
                    "stop": f.stop,
                    "seconds": f.seconds,
                }
                for f in self.fits
            ],
        }


__all__ = ["BranchFit", "ResidualConditional", "SectorModel", "fit_branch", "path_order"]
