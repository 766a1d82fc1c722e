"""Predict ground states across any Hamiltonian family: sector branches, uncertainty, baselines, one result.

:func:`predict_family` runs the whole study for a registry problem with one or two varied
parameters:

1. grids: training points evenly spaced with both ends (a ``t x t`` grid for two
   parameters), held-out test points at the midpoints of ``test`` equal cells (an
   ``m x m`` grid of cell centres, ``m = round(sqrt(test))``, for two);
2. :func:`~qml.models.sectors.scan_sectors` at the training points decides the branches;
   :func:`~qml.models.branches.fit_branch` trains each (depth grown until converged); each
   branch's angle map is then refined on the mean energy over unlabelled points
   (:meth:`~qml.models.branches.SectorModel.refine`; the plain interpolation is kept as the
   model ``"sector_interp"``);
3. :class:`~qml.models.branches.SectorModel` predicts; it is scored on the test points
   against exact ground spaces (:func:`qml.models.evaluate`); test points within
   ``exclude`` of an exact level crossing are listed and left out of the summary;
4. uncertainty (:func:`ensemble_uncertainty`): the jackknife ensemble's spread of the
   predicted energy combined with each predicted state's own energy spread
   ``sqrt(<H^2> - <H>^2)`` (law of total variance over members and measurement outcomes),
   with its Spearman rank correlation against the actual errors;
5. baselines on the same points: interpolation of the exact training states
   (:class:`ExactStateInterpolation`) and the classical-shadow kernel predictor
   (:func:`qml.shadows.shadow_baseline`), with a per-point account of which wins;
6. physics across the family (:mod:`qml.models.family_physics`): magnetisation,
   correlations, entanglement, fidelity susceptibility, transition estimates.

Everything lands in a :class:`FamilyPredictionResult` (``kind = "prediction"``), which
:func:`qml.optimize.load_result` reads back.

Example:
    >>> r = predict_family("heisenberg", {"h": (0.0, 3.0)}, {"n": 4}, train=4, test=6, shots=200)
    >>> r.models["sector"]["summary"]["min_fidelity"] > 0.999, [c["to"] for c in r.crossings["predicted"]]
    (True, ['Sz = -1', 'Sz = -2'])
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from qml.errors import ConfigError
from qml.models.conditional import HamiltonianFamily, LamLike, Prediction, interpolate
from qml.optimize.results import _Record, register_kind, versions

log = logging.getLogger(__name__)

#: Test points closer than this to an exact level crossing are excluded from the summary (and listed).
CROSSING_EXCLUSION = 1e-3

#: ``progress(stage, done, total, info)`` of :func:`predict_family` and :func:`qml.predict.run_prediction`:
#: called when a stage starts (``done = 0``) and after each unit of its work (a training point's VQE,
#: an L-BFGS evaluation, a test point); ``total`` is ``None`` when unknown; ``info`` holds the numbers
#: to show (``energy``, ``rel_error``, ``loss``, ``mean_fidelity``, ``max_rel_error``...) and
#: ``bound: True`` when ``total`` is an upper bound (an evaluation budget), ``unit`` what is counted.
StageProgress = Callable[[str, int, int | None, dict[str, Any]], Any]

#: Energy errors below this (relative) are round-off: when all are, the spread-error correlation is not
#: reported (``uncertainty["errors_at_roundoff"]``).
RANKABLE_ERROR = 1e-10


def family_grids(ranges: list[tuple[float, float]], train: int, test: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out test points, ``(T, K)`` and ``(B, K)``.

    One parameter: ``train`` points with both ends, ``test`` cell midpoints. Two: a
    ``train x train`` grid and an ``m x m`` grid of cell centres, ``m = max(2, round(sqrt(test)))``.

    Example:
        >>> tr, te = family_grids([(0.0, 1.0)], 3, 2)
        >>> tr.ravel().tolist(), te.ravel().tolist()
        ([0.0, 0.5, 1.0], [0.25, 0.75])
        >>> [g.shape for g in family_grids([(0.0, 1.0), (0.0, 2.0)], 3, 16)]
        [(9, 2), (16, 2)]
    """
    axes_tr, axes_te = [], []
    m = test if len(ranges) == 1 else max(2, round(test**0.5))
    for lo, hi in ranges:
        axes_tr.append(np.linspace(lo, hi, train))
        axes_te.append(lo + (np.arange(m) + 0.5) * (hi - lo) / m)
    if len(ranges) == 1:
        return axes_tr[0][:, None], axes_te[0][:, None]
    tr = np.stack(np.meshgrid(*axes_tr, indexing="ij"), -1).reshape(-1, len(ranges))
    te = np.stack(np.meshgrid(*axes_te, indexing="ij"), -1).reshape(-1, len(ranges))
    return tr, te


def dense_points(ranges: list[tuple[float, float]], dense: int, test: np.ndarray) -> np.ndarray:
    """Unlabelled points for the energy refinement: ``dense`` evenly spaced (a ``d x d`` grid with
    ``d = max(3, round(sqrt(dense)))`` for two parameters), test points removed.

    Example:
        >>> dense_points([(0.0, 1.0)], 3, np.array([[0.5]])).ravel().tolist()
        [0.0, 1.0]
    """
    if len(ranges) == 1:
        pts = np.linspace(*ranges[0], dense)[:, None]
    else:
        d = max(3, round(dense**0.5))
        axes = [np.linspace(lo, hi, d) for lo, hi in ranges]
        pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(ranges))
    far = np.array([np.min(np.abs(test - p).max(axis=1)) > 1e-9 for p in pts])
    return pts[far]


# -- baselines -------------------------------------------------------------------------------------
class ExactStateInterpolation:
    """Classical baseline: exact ground states at the training points, interpolated amplitude-wise.

    Neighbouring states are phase-aligned (``<psi_t|psi_{t+1}>`` made real positive along the
    path), amplitudes interpolated (linear in one parameter, thin-plate RBF in two) and
    renormalised. Exact knowledge at the training points; nothing at the test points.

    Example:
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4, periodic=False)
        >>> m = ExactStateInterpolation(fam, [0.5, 1.0, 1.5])
        >>> round(fam.exact(1.0).fidelity(m.predict([1.0]).states[0].numpy()), 8)
        1.0
    """

    kind: ClassVar[str] = "exact_interp"

    def __init__(self, family: HamiltonianFamily, train_lams: LamLike) -> None:
        from qml.models.branches import path_order

        self.family = family
        L = family.as_lams(train_lams).numpy()
        L = L[path_order(L)]
        states: list[np.ndarray] = []
        for row in L:
            space = family.exact(row.tolist()).require_ground_space("the training states")
            psi = np.asarray(space[:, 0], dtype=complex)
            if states:
                ov = np.vdot(states[-1], psi)
                psi = psi * (np.conj(ov) / abs(ov) if abs(ov) > 1e-12 else 1.0)
            states.append(psi)
        self.train_lams = L
        self.states = np.array(states)

    def predict(self, lams: LamLike) -> Prediction:
        """Interpolated, normalised states and their energies."""
        L = self.family.as_lams(lams).numpy()
        y = self.states
        kind = "linear" if L.shape[1] == 1 else "rbf"
        v = interpolate(self.train_lams, np.concatenate([y.real, y.imag], 1), L, kind)
        psi = v[:, : y.shape[1]] + 1j * v[:, y.shape[1] :]
        psi = psi / np.linalg.norm(psi, axis=1, keepdims=True)
        n = self.family.n_wires
        E = [
            float(np.vdot(v, self.family.hamiltonian(row.tolist()).to_sparse(n) @ v).real)
            for v, row in zip(psi, L)
        ]
        return Prediction(
            torch.as_tensor(L), torch.tensor(E), torch.as_tensor(psi), torch.zeros(len(L), dtype=torch.long)
        )

    def describe(self) -> dict[str, Any]:
        """Kind and number of training states."""
        return {"kind": self.kind, "n_train": len(self.train_lams)}


# -- uncertainty -----------------------------------------------------------------------------------
def _energy_variance(family: HamiltonianFamily, lams: np.ndarray, states: np.ndarray) -> np.ndarray:
    n = family.n_wires
    out = []
    for row, v in zip(lams, states):
        hv = family.hamiltonian(row.tolist()).to_sparse(n) @ v
        e = np.vdot(v, hv).real
        out.append(max(float(np.vdot(hv, hv).real - e * e), 0.0))
    return np.array(out)


def ensemble_uncertainty(model: Any, lams: LamLike) -> dict[str, Any]:
    """Per-point spread of the predicted energy: jackknife ensemble plus the predicted state's own spread.

    ``spread = sqrt(var_members(E_m) + <H^2> - <H>^2)``: the spread of the ensemble's mean
    energies (model uncertainty: how much the prediction moves when one training point is
    left out) and the energy spread a measurement of the predicted state itself would show
    (zero only for an eigenstate; label-free). ``ensemble_std`` and ``state_std`` are the parts.

    Returns:
        ``{"spread", "ensemble_std", "state_std", "members"}`` (arrays over the points).

    Example:
        >>> from qml.models.branches import SectorModel, fit_branch
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
        >>> m = SectorModel(fam, [fit_branch(fam, [0.4, 0.8, 1.2, 1.6], 1.0, layers=1)])
        >>> u = ensemble_uncertainty(m, [0.6, 1.0])
        >>> u["members"], u["spread"].shape
        (4, (2,))
    """
    L = model.family.as_lams(lams).numpy()
    members = model.jackknife()
    E_ = np.array([m.predict(L).energies.numpy() for m in members])
    V = _energy_variance(model.family, L, model.predict(L).states.numpy())
    return {
        "spread": np.sqrt(E_.var(0) + V),
        "ensemble_std": E_.std(0),
        "state_std": np.sqrt(V),
        "members": len(members),
    }


def _spearman(a: Any, b: Any) -> float | None:
    from scipy.stats import spearmanr

    a_, b_ = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_.size < 3 or np.ptp(a_) == 0 or np.ptp(b_) == 0:
        return None
    return float(spearmanr(a_, b_).statistic)


# -- the result ------------------------------------------------------------------------------------
@dataclass
class FamilyPredictionResult(_Record):
    """Ground states predicted across a family, scored on held-out points, with baselines and physics.

    Attributes:
        problem: Registry problem; ``params``: varied parameters; ``ranges``: their ranges;
            ``fixed``: the other problem parameters; ``n_wires``: qubits.
        train_lams: Training points ``(T, K)``; ``test_lams``: held-out points ``(B, K)``.
        models: Per model (``"sector"``, ``"exact_interp"``, ``"shadow"``): ``summary``
            (``mean_fidelity``, ``min_fidelity``, ``max_rel_error``, ...; over the points not
            excluded) and per-point ``energy``, ``rel_error``, ``fidelity`` (``None`` for the
            shadow model, which predicts properties, not states), ``observables``.
        energy_exact: Exact ground energy at each test point.
        sectors: The :class:`~qml.models.sectors.SectorScan` at the training points.
        branches: Per branch: sector, depth, training errors, depth history, seconds.
        crossings: ``{"predicted": [...], "exact": [...]}`` level crossings between sectors.
        excluded: Test points within :data:`CROSSING_EXCLUSION` of an exact crossing.
        warnings: What the run could not do (a branch that never met its training targets...).
        uncertainty: Per-point ``spread`` (and its parts) and ``spearman`` against the
            actual energy error and infidelity.
        comparison: Per baseline: points where the quantum model's energy error is smaller.
        physics: Observables predicted vs exact, transition estimates.
        settings: Run settings; ``timings``: seconds per stage; ``seed``; ``versions``.

    Example:
        >>> r = FamilyPredictionResult(problem="tfim", params=["h"])
        >>> FamilyPredictionResult.from_dict(r.to_dict()).problem
        'tfim'
    """

    kind: ClassVar[str] = "prediction"

    problem: str = ""
    params: list[str] = field(default_factory=list)
    ranges: list[list[float]] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)
    n_wires: int = 0
    train_lams: list[list[float]] = field(default_factory=list)
    test_lams: list[list[float]] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    energy_exact: list[float] = field(default_factory=list)
    sectors: dict[str, Any] = field(default_factory=dict)
    branches: list[dict[str, Any]] = field(default_factory=list)
    crossings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    excluded: list[list[float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncertainty: dict[str, Any] = field(default_factory=dict)
    comparison: dict[str, Any] = field(default_factory=dict)
    physics: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    versions: dict[str, str] = field(default_factory=dict)

    def summary(self, model: str = "sector") -> dict[str, Any]:
        """The summary numbers of one model."""
        if model not in self.models:
            raise ConfigError(f"no model {model!r} in this result; models: {', '.join(self.models)}")
        return self.models[model]["summary"]


def _model_entry(res: Any, mask: np.ndarray) -> dict[str, Any]:
    return {
        "summary": res.summarize(mask),
        "energy": res.energy_pred,
        "rel_error": res.rel_error,
        "fidelity": res.fidelity,
        "observables": res.observables,
        "seconds": res.seconds,
    }


def _shadow_entry(
    out: dict[str, Any], exact: np.ndarray, obs_exact: dict[str, list], mask: np.ndarray, seconds: float
) -> dict[str, Any]:
    e = np.asarray(out["energy"], dtype=float)
    rel = np.abs(e - exact) / np.maximum(np.abs(exact), 1e-12)
    summary: dict[str, Any] = {
        "mean_fidelity": None,
        "min_fidelity": None,
        "max_rel_error": float(rel[mask].max()),
        "mean_rel_error": float(rel[mask].mean()),
        "max_abs_energy_error": float(np.abs(e - exact)[mask].max()),
        "n_points": float(mask.sum()),
    }
    obs = {}
    for k, v in out["observables"].items():
        pred = np.asarray(v, dtype=float)
        obs[k] = {"pred": pred.tolist(), "exact": obs_exact[k]}
        summary[f"max_abs_error_{k}"] = float(np.abs(pred - np.asarray(obs_exact[k]))[mask].max())
    return {
        "summary": summary,
        "energy": e.tolist(),
        "rel_error": rel.tolist(),
        "fidelity": [None] * len(e),
        "observables": obs,
        "seconds": seconds,
        "shots_total": out["shots_total"],
        "n_snapshots": out["n_snapshots"],
        "model": out["model"],
    }


def _wins(ours: np.ndarray, theirs: np.ndarray, lams: np.ndarray, scale: np.ndarray) -> dict[str, Any]:
    """Points where each energy error is smaller; both below ``1e-9 |E0|`` is a tie (both exact)."""
    tie = np.maximum(ours, theirs) <= 1e-9 * np.abs(scale)
    better, worse = (ours < theirs) & ~tie, (ours >= theirs) & ~tie
    return {
        "quantum_better": int(better.sum()),
        "baseline_better": int(worse.sum()),
        "ties": int(tie.sum()),
        "baseline_better_at": lams[worse].tolist(),
    }


def predict_family(
    problem: str,
    vary: dict[str, tuple[float, float]],
    fixed: dict[str, Any] | None = None,
    *,
    train: int = 6,
    test: int = 40,
    layers: int | str = "auto",
    seed: int = 0,
    shots: int = 1000,
    steps: int = 300,
    refine: int = 100,
    dense: int = 31,
    physics: bool = True,
    baselines: bool = True,
    progress: StageProgress | None = None,
    executor: Any = None,
) -> FamilyPredictionResult:
    """Train sector branches on a family, predict held-out points, score against exact and baselines.

    Args:
        problem: A registry problem (spin models; any lattice and boundary through ``fixed``).
        vary: ``{name: (lo, hi)}`` for one or two parameters.
        fixed: The other problem parameters (``{"n": 8, "periodic": False}``).
        train: Training points (per axis for two parameters).
        test: Held-out points (about ``test`` in total for two parameters).
        layers: Depth of every branch, or ``"auto"`` (grown until the training points converge).
        seed: Seed of the VQE starts and the shadow measurements.
        shots: Snapshots per training point of the classical-shadow baseline.
        steps: L-BFGS iterations per VQE.
        refine: L-BFGS iterations of the energy refinement of every branch
            (:meth:`~qml.models.branches.SectorModel.refine`) on ``dense`` unlabelled points; 0
            keeps the plain interpolation. The unrefined model is reported as ``"sector_interp"``.
        dense: Number of unlabelled points of the refinement (see :func:`dense_points`).
        physics: Compute observables and transition estimates across the family.
        baselines: Run the exact-state interpolation and shadow baselines.
        progress: ``progress(stage, done, total, info)`` (see :data:`StageProgress`): the sector scan,
            each branch's VQE per training point (per depth), the refinement's evaluations, the test
            points of every evaluation (running mean fidelity, max relative error), the baselines.
        executor: A :mod:`qml.parallel` executor: the branches are trained as separate tasks on
            its workers (same results as in this process).

    Returns:
        A :class:`FamilyPredictionResult`.

    Raises:
        ValueError: For no or more than two varied parameters, bad ranges or counts, or a
            family without exact references.

    Example:
        >>> r = predict_family("tfim", {"h": (0.5, 1.5)}, {"n": 4}, train=4, test=3, baselines=False,
        ...                    physics=False)
        >>> r.summary()["min_fidelity"] > 0.99
        True
    """
    from qml.models.branches import SectorModel, fit_branch
    from qml.models.evaluate import default_observables, evaluate
    from qml.models.sectors import exact_crossings, scan_sectors

    fixed = dict(fixed or {})
    if not 1 <= len(vary) <= 2:
        raise ConfigError(f"vary one or two parameters (e.g. {{'h': (0.0, 2.0)}}), got {len(vary)}")
    for name, rng in vary.items():
        lo, hi = (float(v) for v in rng)
        if not hi > lo:
            raise ConfigError(f"the range of {name} must be lo:hi with hi > lo, got {lo}:{hi}")
    min_train = 4 if len(vary) == 1 else 2
    if isinstance(train, bool) or not isinstance(train, int) or train < min_train:
        raise ConfigError(
            f"train must be an integer >= {min_train} (the jackknife leaves one out), got {train!r}"
        )
    if isinstance(test, bool) or not isinstance(test, int) or test < 1:
        raise ConfigError(f"test must be an integer >= 1, got {test!r}")

    def say(stage: str, done: int = 0, total: int | None = None, **info: Any) -> None:
        if progress is not None:
            progress(stage, done, total, info)

    def scored(stage: str) -> Callable[[int, int, dict[str, Any]], None]:
        return lambda done, total, info: say(stage, done, total, unit="points", **info)

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    names = list(vary)
    ranges = [(float(vary[k][0]), float(vary[k][1])) for k in names]
    fam = HamiltonianFamily.from_problem(problem, names, **fixed)
    tr, te = family_grids(ranges, train, test)
    say("sector scan")
    scan = scan_sectors(fam, tr)
    timings["scan"] = time.perf_counter() - t0
    header = {
        "problem": problem,
        "params": names,
        "ranges": [list(r) for r in ranges],
        "fixed": fixed,
        "n_wires": fam.n_wires,
        "train_lams": tr.tolist(),
        "test_lams": te.tolist(),
        "sectors": scan.to_dict(),
        "seed": seed,
        "versions": versions(("scipy",)),
    }
    settings = {
        "problem": problem,
        "vary": {k: list(r) for k, r in zip(names, ranges)},
        "fixed": fixed,
        "train": train,
        "test": test,
        "layers": layers,
        "shots": shots,
        "steps": steps,
        "refine": refine,
        "dense": dense,
        "seed": seed,
        "crossing_exclusion": CROSSING_EXCLUSION,
    }
    fit_one = functools.partial(fit_branch, fam, tr, layers=layers, seed=seed, steps=steps)
    done: dict[int, Any] = {}
    nb = len(scan.branches)
    try:
        if executor is None:
            for i, v in enumerate(scan.branches):
                name = f"branch {scan.label(v)} ({i + 1}/{nb})"
                say(name)
                worst: list[float] = []

                def point(info: dict[str, Any], name: str = name, worst: list[float] = worst) -> None:
                    if info["point"] == 1:  # a new depth: its points start again
                        worst.clear()
                    worst.append(info["rel_error"])
                    say(
                        name,
                        info["point"],
                        info["points"],
                        unit="points",
                        layers=info["layers"],
                        max_rel_error=max(worst),
                    )

                done[i] = fit_one(v, callback=point)
        else:  # one task per branch (a pure function of its inputs), on the executor's workers
            stage = f"{nb} branches on {executor.describe().get('kind')}"
            say(stage, 0, nb, unit="branches")
            for i, fit, err in executor.as_completed(fit_one, scan.branches):
                if err is not None:
                    raise err
                done[i] = fit
                say(
                    stage,
                    len(done),
                    nb,
                    unit="branches",
                    max_rel_error=max(f.max_rel_error for f in done.values()),
                )
    except KeyboardInterrupt:
        partial = FamilyPredictionResult(
            **header,
            branches=[_branch_summary(done[i]) for i in sorted(done)],
            warnings=[
                f"interrupted (Ctrl-C) after {len(done)} of {len(scan.branches)} branches; no prediction"
            ],
            settings={**settings, "interrupted": True},
            timings={"total": time.perf_counter() - t0},
        )
        raise PredictionInterrupted(partial) from None
    fits = [done[i] for i in range(len(scan.branches))]
    timings["train"] = time.perf_counter() - t0 - timings["scan"]
    warned = [_unconverged(f) for f in fits if f.stop not in ("target", "fixed") or f.max_rel_error > 1e-2]
    for w in warned:
        log.warning(w)
    model = SectorModel(fam, fits)
    plain = None
    if refine:
        plain = SectorModel(fam, fits)

        def refining(branch: int, evaluation: int, loss: float) -> None:
            say(
                f"refine branch {branch + 1}/{nb}",
                evaluation,
                refine * 5 // 4 + 1,
                unit="evaluations",
                bound=True,
                loss=loss,
            )

        model.refine(dense_points(ranges, dense, te), steps=refine, seed=seed, callback=refining)
        timings["refine"] = model.refined["seconds"]
    periodic = bool(
        fam.problem_at(tr[0].tolist()).info.get("lattice", "").startswith("ring")
        or fixed.get("periodic", True)
    )
    obs = default_observables(fam.n_wires, periodic)
    say("evaluate")
    t1 = time.perf_counter()
    res = evaluate(model, te, tr, observables=obs, label="sector", seed=seed, progress=scored("evaluate"))
    crossings: dict[str, list[dict[str, Any]]] = {"predicted": [], "exact": []}
    mask = np.ones(len(te), dtype=bool)
    if fam.n_params == 1 and scan.symmetry is not None:
        lo, hi = ranges[0]
        crossings["predicted"] = model.crossings(lo, hi)
        crossings["exact"] = [
            dict(c, **{"from": scan.label(c["from"]), "to": scan.label(c["to"])})
            for c in exact_crossings(fam, lo, hi, scan.values)
        ]
        for c in crossings["exact"]:
            mask &= np.abs(te[:, 0] - c["lambda"]) >= CROSSING_EXCLUSION
    excluded = te[~mask].tolist()
    if not mask.any():  # every point sits on a crossing: summarise them all (they stay listed)
        mask[:] = True
    models = {"sector": _model_entry(res, mask)}
    if plain is not None:
        models["sector_interp"] = _model_entry(
            evaluate(
                plain,
                te,
                tr,
                observables=obs,
                label="sector_interp",
                seed=seed,
                progress=scored("evaluate sector_interp"),
            ),
            mask,
        )
    exact_E = np.asarray(res.energy_exact)
    infid = 1.0 - np.asarray([f if f is not None else np.nan for f in res.fidelity])
    err = np.abs(np.asarray(res.energy_pred) - exact_E)
    timings["evaluate"] = time.perf_counter() - t1
    say("uncertainty")
    t2 = time.perf_counter()
    unc = ensemble_uncertainty(model, te) if min(f.n_points for f in fits) >= 4 else None
    uncertainty: dict[str, Any] = {}
    if unc is not None:
        uncertainty = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in unc.items()}
        # errors at round-off (every point exact) have no order to predict: no correlation is reported
        exact_everywhere = bool(err[mask].max() <= RANKABLE_ERROR * np.abs(exact_E[mask]).max())
        uncertainty["errors_at_roundoff"] = exact_everywhere
        uncertainty["spearman"] = (
            {}
            if exact_everywhere
            else {
                "spread_vs_energy_error": _spearman(unc["spread"][mask], err[mask]),
                "spread_vs_infidelity": _spearman(unc["spread"][mask], infid[mask]),
                "ensemble_std_vs_energy_error": _spearman(unc["ensemble_std"][mask], err[mask]),
                "state_std_vs_energy_error": _spearman(unc["state_std"][mask], err[mask]),
            }
        )
    timings["uncertainty"] = time.perf_counter() - t2
    comparison: dict[str, Any] = {}
    if baselines:
        from qml.shadows import shadow_baseline

        say("baselines")
        t3 = time.perf_counter()
        base = ExactStateInterpolation(fam, tr)
        bres = evaluate(
            base,
            te,
            tr,
            observables=obs,
            label="exact_interp",
            seed=seed,
            progress=scored("evaluate exact_interp"),
        )
        models["exact_interp"] = _model_entry(bres, mask)
        comparison["exact_interp"] = _wins(err, np.abs(np.asarray(bres.energy_pred) - exact_E), te, exact_E)
        say("shadow baseline")
        ts = time.perf_counter()
        sh = shadow_baseline(fam, tr, te, n_snapshots=shots, seed=seed, observables=obs)
        obs_exact = {k: v["exact"] for k, v in res.observables.items()}
        models["shadow"] = _shadow_entry(sh, exact_E, obs_exact, mask, time.perf_counter() - ts)
        comparison["shadow"] = _wins(err, np.abs(np.asarray(sh["energy"]) - exact_E), te, exact_E)
        for k in obs:
            ours = np.abs(np.asarray(res.observables[k]["pred"]) - np.asarray(obs_exact[k]))
            theirs = np.abs(np.asarray(sh["observables"][k]) - np.asarray(obs_exact[k]))
            comparison["shadow"][f"{k}_quantum_better"] = int((ours < theirs).sum())
        timings["baselines"] = time.perf_counter() - t3
    phys: dict[str, Any] = {}
    if physics:
        say("physics")
        t4 = time.perf_counter()
        phys = _physics(fam, model, te, periodic)
        timings["physics"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    settings["interpolation"] = model.interpolation
    return FamilyPredictionResult(
        **header,
        models=models,
        energy_exact=exact_E.tolist(),
        branches=[_branch_summary(f) for f in fits],
        crossings=crossings,
        excluded=excluded,
        warnings=warned,
        uncertainty=uncertainty,
        comparison=comparison,
        physics=phys,
        settings=settings,
        timings=timings,
    )


class PredictionInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`predict_family`: ``result`` holds the branches trained so far, no prediction.

    Example:
        >>> PredictionInterrupted(FamilyPredictionResult(problem="tfim")).result.problem
        'tfim'
    """

    def __init__(self, result: FamilyPredictionResult) -> None:
        super().__init__("interrupted; the branches trained so far are in .result")
        self.result = result


def _unconverged(fit: Any) -> str:
    return (
        f"branch {fit.label} stopped at {fit.layers} layers ({fit.stop}) with training max relative error "
        f"{fit.max_rel_error:.2e} and min sector fidelity {min(fit.fidelities):.4f}: predictions on it are "
        "unreliable; give more layers (layers=N, --layers N) or VQE steps, or use a smaller range"
    )


def _branch_summary(fit: Any) -> dict[str, Any]:
    return {
        "sector": fit.sector,
        "label": fit.label,
        "layers": fit.layers,
        "n_weights": len(fit.weights[0]),
        "max_rel_error_train": fit.max_rel_error,
        "min_fidelity_train": min(fit.fidelities),
        "stop": fit.stop,
        "history": fit.history,
        "seconds": fit.seconds,
        "n_evals": fit.n_evals,
    }


def _physics(fam: HamiltonianFamily, model: Any, te: np.ndarray, periodic: bool) -> dict[str, Any]:
    from qml.models.family_physics import (
        fidelity_susceptibility,
        ground_space_observables,
        state_observables,
        transition_estimates,
    )

    pred = model.predict(te).states.numpy()
    exact = [fam.exact(row.tolist()) for row in te]
    po = state_observables(pred, periodic=periodic)
    spaces = [e.require_ground_space("the exact observables") for e in exact]
    eo = ground_space_observables(spaces, pred, periodic=periodic)
    out: dict[str, Any] = {
        "predicted": {k: v.tolist() for k, v in po.items()},
        "exact": {k: v.tolist() for k, v in eo.items()},
    }
    if fam.n_params == 1:
        from qml.readout import closest_ground_state

        ex_states = np.array([closest_ground_state(p, g) for p, g in zip(pred, spaces)])
        out["transitions"] = transition_estimates(te[:, 0], pred, ex_states)
        for who, states in (("predicted", pred), ("exact", ex_states)):
            mid, chi = fidelity_susceptibility(te[:, 0], states)
            out[who]["chi_F"] = [mid.tolist(), chi.tolist()]
    return out


def plot_family_prediction(result: FamilyPredictionResult, path: str | Path) -> list[Path]:
    """PNGs of a prediction study; returns the paths written.

    One parameter: ``path`` holds energy, infidelity, relative error (every model) and the
    predicted spread beside the actual error; ``<stem>_physics.png`` the observables across
    the family (:func:`~qml.models.family_physics.plot_family_physics`). Two parameters:
    ``path`` holds the predicted and exact phase diagrams of the magnetisation and
    ``<stem>_fidelity.png`` the fidelity map.

    Example:
        >>> import tempfile, os
        >>> r = predict_family("tfim", {"h": (0.5, 1.5)}, {"n": 3, "periodic": False}, train=4, test=3,
        ...                    layers=1, baselines=False)
        >>> [p.suffix for p in plot_family_prediction(r, os.path.join(tempfile.mkdtemp(), "r.png"))]
        ['.png', '.png']
    """
    from qml.models.family_physics import plot_family_physics, plot_phase_diagram
    from qml.units import energy_label, energy_unit_of, param_label

    unit = energy_unit_of(result.problem, result.fixed)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    te, tr = np.asarray(result.test_lams), np.asarray(result.train_lams)
    label = f"{result.problem} (n={result.n_wires}) over {', '.join(result.params)}"
    if len(result.params) == 2:
        xs, ys = np.unique(te[:, 0]), np.unique(te[:, 1])
        grid = lambda v: np.asarray(v, dtype=float).reshape(len(xs), len(ys)).T  # noqa: E731
        ph = result.physics
        out = [p]
        if ph:
            plot_phase_diagram(
                p,
                xs,
                ys,
                grid(ph["predicted"]["magnetization_z"]),
                grid(ph["exact"]["magnetization_z"]),
                names=(param_label(result.params[0]), param_label(result.params[1])),
                quantity="magnetization_z",
                train_points=tr,
                title=label,
            )
        fid = [f if f is not None else np.nan for f in result.models["sector"]["fidelity"]]
        q = p.with_name(p.stem + "_fidelity.png")
        plot_phase_diagram(
            q,
            xs,
            ys,
            grid(fid),
            np.ones((len(ys), len(xs))),
            names=(param_label(result.params[0]), param_label(result.params[1])),
            quantity="ground-space fidelity",
            train_points=tr,
            title=label,
        )
        return [*out, q]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = te[:, 0]
    fig = Figure(figsize=(7.0, 10.0), constrained_layout=True)
    FigureCanvasAgg(fig)
    ax_e, ax_f, ax_r, ax_u = fig.subplots(4, 1, sharex=True)
    ax_e.plot(x, result.energy_exact, "k-", lw=1.5, label="exact")
    for name, m in result.models.items():
        ax_e.plot(x, m["energy"], "o", ms=3, label=name)
        if any(f is not None for f in m["fidelity"]):
            ax_f.semilogy(x, [max(1 - f, 1e-16) for f in m["fidelity"]], "o-", ms=3, lw=1, label=name)
        ax_r.semilogy(
            x, np.maximum(np.asarray(m["rel_error"], dtype=float), 1e-16), "o-", ms=3, lw=1, label=name
        )
    if result.uncertainty:
        err = np.abs(np.asarray(result.models["sector"]["energy"]) - np.asarray(result.energy_exact))
        ax_u.semilogy(x, np.maximum(err, 1e-16), "o-", ms=3, lw=1, label="|E - E0| (actual)")
        ax_u.semilogy(
            x, np.maximum(result.uncertainty["spread"], 1e-16), "s--", ms=3, lw=1, label="predicted spread"
        )
        rho = result.uncertainty["spearman"].get("spread_vs_energy_error")
        ax_u.set_title(f"Spearman(spread, error) = {rho if rho is None else round(rho, 3)}", fontsize=9)
    for c in result.crossings.get("exact", []):
        for ax in (ax_e, ax_f, ax_r, ax_u):
            ax.axvline(c["lambda"], color="k", ls=":", lw=0.8)
    for ax in (ax_e, ax_f, ax_r, ax_u):
        for v in tr[:, 0]:
            ax.axvline(v, color="r", lw=0.6, alpha=0.3)
        ax.legend(fontsize=7)
    ax_e.set_ylabel(energy_label(unit))
    ax_f.set_ylabel("1 - fidelity")
    ax_r.set_ylabel("relative energy error")
    ax_u.set_ylabel(energy_label(unit, "energy error / spread"))
    ax_u.set_xlabel(param_label(result.params[0]))
    fig.suptitle(label)
    fig.savefig(p, dpi=110)
    out = [p]
    if result.physics:
        q = p.with_name(p.stem + "_physics.png")
        ph = result.physics
        plot_family_physics(
            q,
            x,
            ph["predicted"],
            ph["exact"],
            train_lams=tr[:, 0],
            crossings={
                "predicted": result.crossings.get("predicted", []),
                "exact": result.crossings.get("exact", []),
            },
            param=param_label(result.params[0]),
            title=label,
            spread=np.asarray(result.uncertainty["spread"]) if result.uncertainty else None,
            energy_unit=unit,
        )
        out.append(q)
    return out


register_kind(FamilyPredictionResult)

__all__ = [
    "CROSSING_EXCLUSION",
    "RANKABLE_ERROR",
    "ExactStateInterpolation",
    "FamilyPredictionResult",
    "PredictionInterrupted",
    "StageProgress",
    "dense_points",
    "ensemble_uncertainty",
    "family_grids",
    "plot_family_prediction",
    "predict_family",
]
