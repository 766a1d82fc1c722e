"""Held-out evaluation of conditional models against sector-resolved exact references, with a plot.

:func:`evaluate` predicts the ground state at every test ``lambda`` and compares with the
family's exact reference (:meth:`~qml.models.conditional.HamiltonianFamily.exact`, i.e. the
problem library's sector-resolved ground space; the TFIM in parity ``P = +1``):

* fidelity: weight of the predicted state in the exact ground space;
* relative energy error ``|E_pred - E_0| / |E_0|``;
* observables, predicted vs exact: by default the magnetisations ``(1/N) sum X_i`` and
  ``(1/N) sum Z_i`` and the correlation ``(1/N) sum_i Z_i Z_{i + N/2}`` at half the
  chain (exact values are averages over a degenerate ground space);
* the gap ``E_1 - E_0`` in the reference sector, so level crossings can be excluded.

The :class:`EvaluationResult` holds per-``lambda`` arrays and a summary, carries seeds and
versions, and round-trips through JSON; :func:`plot_evaluation` draws predicted vs exact
energy, infidelity and relative error across ``lambda`` with the training points marked.

Example:
    >>> import torch
    >>> from qml.models.conditional import HamiltonianFamily, MLPConditional
    >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
    >>> model = MLPConditional(fam.ansatz(2), fam, hidden=(4,), lam_range=(0.0, 2.0))
    >>> res = evaluate(model, [0.5, 1.5], train_lams=[1.0])
    >>> res.summary["n_points"], 0.0 <= res.summary["min_fidelity"] <= 1.0
    (2.0, True)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from qml.errors import ConfigError
from qml.models.conditional import HamiltonianFamily, LamLike, Prediction
from qml.paulis import PauliString, PauliSum
from qml.problems.problem import MAX_ED_WIRES

log = logging.getLogger(__name__)

FORMAT = "qml-conditional-evaluation"


def default_observables(n_wires: int, periodic: bool = True) -> dict[str, PauliSum]:
    """Magnetisations ``(1/N) sum X_i``, ``(1/N) sum Z_i`` and the correlation ``(1/N) sum Z_i Z_{i+N/2}``.

    For an open chain the correlation runs over ``i < N - N/2`` only.

    Example:
        >>> sorted(default_observables(4))
        ['correlation_zz', 'magnetization_x', 'magnetization_z']
    """
    n = int(n_wires)
    r = max(1, n // 2)
    mx = PauliSum(tuple((1.0 / n, PauliString(((i, "X"),))) for i in range(n)))
    mz = PauliSum(tuple((1.0 / n, PauliString(((i, "Z"),))) for i in range(n)))
    pairs: list[tuple[int, ...]]
    pairs = [(i, (i + r) % n) for i in range(n)] if periodic else [(i, i + r) for i in range(n - r)]
    pairs = [tuple(sorted(p)) for p in pairs if p[0] != p[1]]
    corr = (
        PauliSum(tuple((1.0 / len(pairs), PauliString(((a, "Z"), (b, "Z")))) for a, b in pairs))
        if pairs
        else PauliSum(())
    )
    return {"magnetization_x": mx, "magnetization_z": mz, "correlation_zz": corr}


@dataclass
class EvaluationResult:
    """Per-``lambda`` comparison of predicted and exact ground states, plus a summary.

    Attributes:
        lams: Test values (a list of floats for one parameter, else of lists).
        train_lams: Training values (for plots), same form.
        param_names: Parameter names.
        energy_pred: Predicted energies.
        energy_exact: Exact (sector-resolved) energies.
        rel_error: ``|E_pred - E_0| / |E_0|``.
        fidelity: Weight of the predicted state in the exact ground space.
        gap: Exact gap ``E_1 - E_0`` in the reference sector (``None`` where unknown).
        observables: ``{name: {"pred": [...], "exact": [...]}}``.
        summary: ``mean_fidelity``, ``min_fidelity``, ``max_rel_error``, ``mean_rel_error``,
            ``max_abs_energy_error`` and ``max_abs_error_<observable>``.
        model: Model description (kind, sizes, range).
        family: Family label; ``sector``: reference sector label.
        energy_unit: The problem's energy unit (``"pauli"``, ``"spin"``, ``"hartree"``; for plots).
        label: Free label (e.g. ``"mlp"``).
        seed: Seed of the run that produced the model.
        seconds: Evaluation time (prediction + references).
        versions: Package versions.
        extra: Anything else (training settings, timings...).

    Example:
        >>> r = EvaluationResult(lams=[0.5], energy_pred=[-1.0], energy_exact=[-1.0], fidelity=[1.0],
        ...                      rel_error=[0.0])
        >>> r.summarize()["min_fidelity"]
        1.0
    """

    lams: list[Any] = field(default_factory=list)
    train_lams: list[Any] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    energy_pred: list[float] = field(default_factory=list)
    energy_exact: list[float] = field(default_factory=list)
    rel_error: list[float] = field(default_factory=list)
    fidelity: list[float | None] = field(default_factory=list)
    gap: list[float | None] = field(default_factory=list)
    observables: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    summary: dict[str, float | None] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    family: str = ""
    sector: str | None = None
    energy_unit: str = ""
    label: str = ""
    seed: int = 0
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def summarize(self, mask: Sequence[bool] | None = None) -> dict[str, float | None]:
        """Summary numbers, optionally over the points where ``mask`` is True.

        Example:
            >>> r = EvaluationResult(lams=[0.0, 1.0], energy_pred=[-1.0, -2.0], energy_exact=[-1.0, -2.2],
            ...                      rel_error=[0.0, 0.1], fidelity=[1.0, 0.5])
            >>> r.summarize(mask=[True, False])["max_rel_error"]
            0.0
        """
        m = np.ones(len(self.lams), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if m.shape != (len(self.lams),):
            raise ConfigError(f"mask must have one entry per test point ({len(self.lams)}), got {m.shape}")
        if not m.any():
            raise ConfigError("the mask excludes every test point")
        out: dict[str, float | None] = {}
        fid = [f for f, k in zip(self.fidelity, m) if k and f is not None]
        out["mean_fidelity"] = float(np.mean(fid)) if fid else None
        out["min_fidelity"] = float(np.min(fid)) if fid else None
        rel = np.asarray(self.rel_error, dtype=float)[m]
        out["max_rel_error"] = float(rel.max())
        out["mean_rel_error"] = float(rel.mean())
        ep, ee = np.asarray(self.energy_pred)[m], np.asarray(self.energy_exact)[m]
        out["max_abs_energy_error"] = float(np.abs(ep - ee).max())
        for name, d in self.observables.items():
            p, e = np.asarray(d["pred"])[m], np.asarray(d["exact"])[m]
            out[f"max_abs_error_{name}"] = float(np.abs(p - e).max())
        out["n_points"] = float(m.sum())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict (JSON) form with ``format``.

        Example:
            >>> EvaluationResult(label="x").to_dict()["format"]
            'qml-conditional-evaluation'
        """
        d = asdict(self)
        d["format"] = FORMAT
        return d

    def save(self, path: str | Path) -> Path:
        """Write JSON (parent directories are created); returns the path.

        Example:
            >>> import tempfile, os
            >>> p = os.path.join(tempfile.mkdtemp(), "r.json")
            >>> r = EvaluationResult(lams=[0.5], energy_pred=[-1.0])
            >>> EvaluationResult.load(r.save(p)) == r
            True
        """
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), indent=1))
        return p

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvaluationResult:
        """Inverse of :meth:`to_dict`.

        Example:
            >>> EvaluationResult.from_dict(EvaluationResult(label="x").to_dict()).label
            'x'
        """
        if data.get("format") != FORMAT:
            raise ConfigError(f"not a conditional-model evaluation: expected format {FORMAT!r}")
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names - {"format"})
        if unknown:
            raise ConfigError(f"unknown fields {unknown} in an evaluation result; valid: {sorted(names)}")
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def load(cls, path: str | Path) -> EvaluationResult:
        """Read a result written by :meth:`save` (see the example there)."""
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"no evaluation result at {p}")
        return cls.from_dict(json.loads(p.read_text()))

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Write the PNG of :func:`plot_evaluation` for this result alone (see the example there)."""
        return plot_evaluation([self], path, title=title)


def _as_list(L: np.ndarray) -> list[Any]:
    return [float(r[0]) for r in L] if L.shape[1] == 1 else [[float(v) for v in r] for r in L]


def _expect(op_sparse: Any, psi: np.ndarray) -> float:
    return float(np.vdot(psi, op_sparse @ psi).real)


class Predictor(Protocol):
    """What :func:`evaluate` needs of a model: a :class:`~qml.models.conditional.ConditionalModel`,
    a :class:`~qml.models.branches.SectorModel` or any object with these members."""

    @property
    def kind(self) -> str: ...

    @property
    def family(self) -> HamiltonianFamily: ...

    def predict(self, lams: LamLike) -> Prediction: ...

    def describe(self) -> dict[str, Any]: ...


def evaluate(
    model: Predictor,
    test_lams: LamLike,
    train_lams: LamLike | None = None,
    observables: dict[str, PauliSum] | None = None,
    family: HamiltonianFamily | None = None,
    label: str = "",
    seed: int = 0,
    extra: dict[str, Any] | None = None,
    readout: bool = False,
    progress: Callable[[int, int, dict[str, float | None]], Any] | None = None,
) -> EvaluationResult:
    """Compare a conditional model's predicted ground states with exact ones on held-out ``lambda``.

    Args:
        model: Any :class:`~qml.models.conditional.ConditionalModel` (or :class:`Predictor`).
        test_lams: ``(B,)`` or ``(B, K)`` held-out values.
        train_lams: Training values, recorded for plots.
        observables: ``{name: PauliSum}`` compared predicted vs exact (default
            :func:`default_observables`).
        family: The family providing references (default: the model's).
        label: Label stored in the result (``"mlp"``, ``"interp"``...).
        seed: Seed recorded in the result (the one the model was trained with).
        extra: Extra data stored in the result.
        readout: Also compare the scalar observables of :func:`qml.readout.observables`
            (``s2``, ``staggered_m2``, ``sq_pi``, ``entropy_half``...) in ``observables``,
            the exact value taken on the ground state closest to the prediction.
        progress: ``progress(done, total, info)`` after each test point (its exact reference is the
            slow part); ``info`` holds the running ``mean_fidelity`` and ``max_rel_error``.

    Returns:
        An :class:`EvaluationResult`.

    Beyond exact diagonalisation (more than :data:`~qml.problems.problem.MAX_ED_WIRES` wires) a
    model that simulates by MPS (``Simulator(method="mps")``) is scored MPS to MPS against DMRG's
    ground state (free-fermion energies where they exist); ``extra["reference"]`` says so.

    Raises:
        ValueError: If the family has no exact reference states (too wide for ED, and the model
            does not simulate by MPS).

    Example:
        >>> from qml.models.conditional import InterpolationBaseline
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=4)
        >>> base = InterpolationBaseline.from_vqe(fam.ansatz(2), fam, [0.0, 1.0, 2.0], steps=100)
        >>> res = evaluate(base, [1.0], label="interp")
        >>> round(res.fidelity[0], 8), res.sector
        (1.0, 'Px = 1')
    """
    t0 = time.perf_counter()
    fam = model.family if family is None else family
    L = fam.as_lams(test_lams).numpy()
    pred = model.predict(L)
    obs = (
        default_observables(fam.n_wires, bool(fam.fixed.get("periodic", True)))
        if observables is None
        else dict(observables)
    )
    e_pred = pred.energies.detach().cpu().numpy().astype(float)
    res = EvaluationResult(
        lams=_as_list(L),
        param_names=list(fam.names),
        family=fam.label(),
        label=label,
        seed=int(seed),
        model=model.describe(),
        extra=dict(extra or {}),
        energy_unit=fam.problem_at(L[0].tolist()).energy_unit,
    )
    res.train_lams = [] if train_lams is None else _as_list(fam.as_lams(train_lams).numpy())
    res.observables = {k: {"pred": [], "exact": []} for k in obs}
    if pred.mps is not None and fam.n_wires > MAX_ED_WIRES:
        _evaluate_mps(res, fam, L, pred, e_pred, obs, readout, progress)
        return _finish(res, label or model.kind, t0)
    states = pred.states.detach().cpu().numpy().astype(complex)
    n = round(np.log2(states.shape[1]))
    mats = {k: o.to_sparse(n) for k, o in obs.items()}
    for b in range(L.shape[0]):
        ex = fam.exact(L[b].tolist())
        if ex.ground_space is None:
            raise ConfigError(
                f"no exact reference state for {fam.label()} at {L[b].tolist()} (too wide for exact "
                "diagonalisation); evaluate on a smaller system, or simulate the model by MPS "
                "(Simulator(method='mps')) to be scored against DMRG's state"
            )
        res.sector = ex.sector
        res.energy_pred.append(float(e_pred[b]))
        res.energy_exact.append(float(ex.energy))
        res.rel_error.append(abs(float(e_pred[b]) - ex.energy) / max(abs(ex.energy), 1e-300))
        res.fidelity.append(ex.fidelity(states[b]))
        res.gap.append(None if ex.gap is None else float(ex.gap))
        g = ex.ground_space
        for k, m in mats.items():
            res.observables[k]["pred"].append(_expect(m, states[b]))
            exact_value = np.mean([_expect(m, g[:, j]) for j in range(g.shape[1])])
            res.observables[k]["exact"].append(float(exact_value))
        if readout:
            from qml.readout import compare_with_exact

            for k, row in compare_with_exact(states[b], g).items():
                if not isinstance(row["value"], list):
                    entry = res.observables.setdefault(k, {"pred": [], "exact": []})
                    entry["pred"].append(row["value"])
                    entry["exact"].append(row["exact"])
        _report(res, b, L.shape[0], progress)
    return _finish(res, label or model.kind, t0)


def _report(res: EvaluationResult, b: int, total: int, progress: Callable[..., Any] | None) -> None:
    if progress is not None:
        fids = [f for f in res.fidelity if f is not None]
        progress(
            b + 1,
            total,
            {
                "mean_fidelity": float(np.mean(fids)) if fids else None,
                "max_rel_error": float(max(res.rel_error)),
            },
        )


def _finish(res: EvaluationResult, label: str, t0: float) -> EvaluationResult:
    from qml.optimize.results import versions

    res.summary = res.summarize()
    res.seconds = time.perf_counter() - t0
    res.versions = versions()
    log.info(
        "evaluation %s: mean fidelity %.6f, min %.6f, max rel error %.2e",
        label,
        res.summary["mean_fidelity"] or float("nan"),
        res.summary["min_fidelity"] or float("nan"),
        res.summary["max_rel_error"],
    )
    return res


def _evaluate_mps(
    res: EvaluationResult,
    fam: HamiltonianFamily,
    L: np.ndarray,
    pred: Any,
    e_pred: np.ndarray,
    obs: dict[str, PauliSum],
    readout: bool,
    progress: Callable[..., Any] | None,
) -> None:
    """:func:`evaluate` beyond ED: MPS predictions against the exact energy and DMRG's ground state.

    The energy reference is :meth:`~qml.problems.Problem.exact` (free fermions or DMRG); the
    fidelity is MPS to MPS with DMRG's state (``|<dmrg|pred>|^2``, one state: a degenerate level
    is not resolved), and so are the observables. ``res.extra["reference"]`` says which was used.
    """
    from qml.mps import expval as mps_expval
    from qml.mps import fidelity as mps_fidelity

    names = list(obs)
    methods: set[str] = set()
    for b in range(L.shape[0]):
        problem = fam.problem_at(L[b].tolist())
        ex = fam.exact(L[b].tolist())
        state = ex.mps if ex.mps is not None else problem.exact(method="dmrg").mps
        assert state is not None  # DMRG always returns its ground state as an MPS
        methods.add(ex.method)
        res.sector = ex.sector
        res.energy_pred.append(float(e_pred[b]))
        res.energy_exact.append(float(ex.energy))
        res.rel_error.append(abs(float(e_pred[b]) - ex.energy) / max(abs(ex.energy), 1e-300))
        res.fidelity.append(float(mps_fidelity(state, pred.mps[b])))
        res.gap.append(None if ex.gap is None else float(ex.gap))
        with torch.no_grad():
            got = mps_expval(pred.mps[b], [obs[k] for k in names]).tolist() if names else []
            want = mps_expval(state, [obs[k] for k in names]).tolist() if names else []
        for k, g, e in zip(names, got, want):
            res.observables[k]["pred"].append(float(g))
            res.observables[k]["exact"].append(float(e))
        if readout:
            from qml.readout import compare_with_exact

            for k, row in compare_with_exact(pred.mps[b], state).items():
                if not isinstance(row["value"], list):
                    entry = res.observables.setdefault(k, {"pred": [], "exact": []})
                    entry["pred"].append(row["value"])
                    entry["exact"].append(row["exact"])
        _report(res, b, L.shape[0], progress)
    used = ", ".join(sorted(methods))
    res.extra["reference"] = f"energy: {used}; fidelity and observables: DMRG state (MPS)"


def plot_evaluation(
    results: EvaluationResult | Sequence[EvaluationResult],
    path: str | Path,
    title: str | None = None,
) -> Path:
    """PNG of predicted vs exact energy, infidelity and relative energy error across ``lambda``.

    Several results (e.g. a model and the interpolation baseline) are overlaid; training
    points are marked on the exact curve and as vertical lines. For a vector ``lambda``
    the x axis is the test-point index.

    Args:
        results: One result or several on the same test points.
        path: Output file (``.png``).
        title: Figure title (default: the family label).

    Returns:
        The path written.

    Example:
        >>> import tempfile, os
        >>> r = EvaluationResult(lams=[0.0, 1.0], train_lams=[0.5], energy_pred=[-1.0, -2.0],
        ...                      energy_exact=[-1.0, -2.0], rel_error=[1e-9, 1e-8], fidelity=[1.0, 0.99])
        >>> plot_evaluation(r, os.path.join(tempfile.mkdtemp(), "p.png")).suffix
        '.png'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: the caller's matplotlib backend stays as it is

    from qml.units import energy_label, param_label

    rs = [results] if isinstance(results, EvaluationResult) else list(results)
    if not rs:
        raise ConfigError("nothing to plot: pass at least one EvaluationResult")
    ref = rs[0]
    scalar = bool(ref.lams) and not isinstance(ref.lams[0], list)
    x = np.asarray(ref.lams, dtype=float) if scalar else np.arange(len(ref.lams), dtype=float)
    xlabel = param_label(ref.param_names[0]) if scalar and ref.param_names else "test point"
    fig = Figure(figsize=(7.0, 8.5), constrained_layout=True)
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, sharex=True)
    ax_e, ax_f, ax_r = axes
    ax_e.plot(x, ref.energy_exact, "k-", lw=1.5, label="exact (sector-resolved)")
    for r in rs:
        name = r.label or r.model.get("kind", "model")
        ax_e.plot(x, r.energy_pred, "o", ms=3.5, label=f"{name} (predicted)")
        infid = [max(1.0 - f, 1e-16) if f is not None else np.nan for f in r.fidelity]
        ax_f.semilogy(x, infid, "o-", ms=3, lw=1, label=name)
        rel = np.maximum(np.asarray(r.rel_error, dtype=float), 1e-16)
        ax_r.semilogy(x, rel, "o-", ms=3, lw=1, label=name)
    if scalar and ref.train_lams:
        t = np.asarray(ref.train_lams, dtype=float)
        # markers on the axis (the exact energy at training points is not part of the result)
        ax_e.plot(
            t,
            np.zeros_like(t),
            "r^",
            ms=8,
            clip_on=False,
            transform=ax_e.get_xaxis_transform(),
            label="training points",
        )
        for ax in axes:
            for v in t:
                ax.axvline(v, color="r", lw=0.6, alpha=0.35)
    ax_e.set_ylabel(energy_label(ref.energy_unit))
    ax_e.legend(fontsize=8)
    ax_f.set_ylabel("1 - fidelity")
    ax_f.legend(fontsize=8)
    ax_r.set_ylabel("relative energy error")
    ax_r.set_xlabel(xlabel)
    fig.suptitle(title or ref.family)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    return p


__all__ = ["EvaluationResult", "default_observables", "evaluate", "plot_evaluation"]
