"""Learn ground states across a Hamiltonian family and test them on held-out parameters (``qml predict``).

Pipeline (:func:`run_prediction`), for a preset family (:data:`PRESETS`):

1. training values: ``--train`` points evenly spaced over the preset range (ends included);
   held-out test values: ``--test`` midpoints of an even grid (none coincides with a training
   value); dense unlabelled values for the energy loss: ``--dense`` evenly spaced points
   (test values removed);
2. the model (``--model``):

   * ``mlp``: per-point VQE with continuation at the training values
     (:func:`qml.models.per_point_vqe`), an MLP warm-started on them, then trained on the
     mean energy over the dense batch (L-BFGS). For ``metavqe`` the circuit is the
     number-conserving :func:`~qml.models.u1_circuit` on magnetisation-sector branches
     ``sum Z <= 0`` (the field favours them), trained cold on the dense batch;
   * ``meta``: meta-VQE. TFIM: the problem's HVA with every angle a cubic polynomial of
     ``lambda`` (:func:`~qml.models.encode_ansatz`), warm-started by least squares on the
     per-point solutions, then energy-trained; ``metavqe``: the published circuit
     (:func:`~qml.models.metavqe_circuit`, 2 encoding + 4 processing layers);
   * ``interp``: per-point VQE at the training values, cubic-spline interpolated;

3. evaluation on the test values against sector-resolved exact references
   (:func:`qml.models.evaluate`), optionally together with the interpolation baseline
   (``--compare``), JSON (``--out``) and PNG (``--plot``) output.

Experiment files (``circuits/predict_*.toml``) use the layout of :mod:`qml.experiment` with
``method = "predict"`` and a ``[predict]`` table; :func:`run_predict_file` runs them and
evaluates their ``[check]`` table (``min_fidelity``, ``mean_fidelity``, ``max_rel_error``,
``beats_baseline``).

The command line (``qml predict``, its options and printing) is :mod:`qml.apps.predict`.

Example:
    >>> out = run_prediction("tfim", n=4, train=3, test=4, model="interp", seed=0)
    >>> out.result.summary["mean_fidelity"] > 0.99
    True
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

from qml.errors import ConfigError
from qml.experiment import CheckResult, ExperimentResult
from qml.models.layer import complex_dtype
from qml.optimize.results import _Record, register_kind, versions
from qml.sim.simulator import Simulator
from qml.tables import check_layout, read_table, with_quick

if TYPE_CHECKING:
    from qml.models.family_prediction import StageProgress

log = logging.getLogger(__name__)

#: Model kinds of :func:`run_prediction`.
MODEL_KINDS: tuple[str, ...] = ("mlp", "meta", "interp")


@dataclass(frozen=True)
class Preset:
    """A Hamiltonian family for ``qml predict``: the registry problem, the varying parameter, its range.

    Example:
        >>> PRESETS["tfim"].param, PRESETS["tfim"].lam_range
        ('h', (0.0, 2.0))
    """

    problem: str
    param: str
    lam_range: tuple[float, float]
    fixed: dict[str, Any]
    n_default: int
    description: str


#: Families understood by ``qml predict``.
PRESETS: dict[str, Preset] = {
    "tfim": Preset(
        "tfim",
        "h",
        (0.0, 2.0),
        {"periodic": True},
        12,
        "TFIM ring -sum ZZ - h sum X, h in [0, 2], reference sector prod X = +1",
    ),
    "metavqe": Preset(
        "metavqe",
        "delta",
        (-1.1, 1.1),
        {"lam": 0.75, "periodic": True},
        8,
        "meta-VQE XXZ ring sum (XX + YY + Delta ZZ) + 0.75 sum Z, Delta in [-1.1, 1.1]",
    ),
}


@dataclass
class PredictionOutcome(_Record):
    """What :func:`run_prediction` returns, and what ``qml predict --out`` writes for a preset.

    A result record of kind ``"predict"``: :meth:`save` writes JSON that
    :func:`qml.optimize.load_result` reads back (in a fresh process too). Files of the older
    ``{"format": "qml-predict"}`` form are refused with a message to rerun the command.

    Attributes:
        result: Evaluation of the model on the test values
            (:class:`~qml.models.evaluate.EvaluationResult`).
        baseline: Evaluation of the interpolation baseline (``compare=True``), else ``None``.
        settings: The run's settings (problem, n, model, counts, seed...).
        timings: Seconds per stage.
        versions: Package versions.

    Example:
        >>> import os, tempfile
        >>> from qml.models.evaluate import EvaluationResult
        >>> from qml.optimize import load_result
        >>> out = PredictionOutcome(EvaluationResult(label="mlp"), settings={"seed": 0})
        >>> out.to_dict()["kind"], out.to_dict()["baseline"] is None
        ('predict', True)
        >>> load_result(out.save(os.path.join(tempfile.mkdtemp(), "p.json"))) == out
        True
    """

    kind: ClassVar[str] = "predict"

    result: Any
    baseline: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``kind``, ``format_version``, ``settings``, ``timings``, ``versions`` and the
        evaluations ``result`` and ``baseline`` (:meth:`~qml.models.evaluate.EvaluationResult.to_dict`)."""
        d = super().to_dict()
        d["result"] = self.result.to_dict()
        d["baseline"] = None if self.baseline is None else self.baseline.to_dict()
        return d

    @classmethod
    def _decode(cls, d: dict[str, Any]) -> dict[str, Any]:
        from qml.models.evaluate import EvaluationResult

        d = dict(d)
        for key in ("result", "baseline"):
            value = d.get(key)
            if key == "result" and value is None:
                raise ConfigError(
                    "a predict result needs its 'result' (the model's evaluation); rerun qml predict"
                )
            if value is not None:
                if not isinstance(value, dict):
                    raise ConfigError(f"field {key!r} of a predict result must be an evaluation object")
                d[key] = EvaluationResult.from_dict(value)
        return d

    def plot(self, path: str | Path) -> Path:
        """PNG of predicted vs exact energy and fidelity (baseline overlaid when present)."""
        from qml.models.evaluate import plot_evaluation

        rs = [self.result] + ([self.baseline] if self.baseline is not None else [])
        return plot_evaluation(rs, path)


register_kind(PredictionOutcome)


def grids(lam_range: tuple[float, float], train: int, test: int, dense: int) -> tuple[np.ndarray, ...]:
    """Training, held-out test and dense (unlabelled) values over ``lam_range``.

    Training values are evenly spaced with both ends; test values are the midpoints of
    ``test`` equal cells; dense values are evenly spaced with test values removed.

    Example:
        >>> [g.tolist() for g in grids((0.0, 1.0), 2, 2, 3)]
        [[0.0, 1.0], [0.25, 0.75], [0.0, 0.5, 1.0]]
    """
    lo, hi = float(lam_range[0]), float(lam_range[1])
    tr = np.linspace(lo, hi, train) if train > 1 else np.array([(lo + hi) / 2])
    te = lo + (np.arange(test) + 0.5) * (hi - lo) / test
    de = np.linspace(lo, hi, dense)
    de = np.array([v for v in de if np.min(np.abs(te - v)) > 1e-9 * max(1.0, abs(v))])
    return tr, te, de


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def _build(
    kind: str,
    preset: Preset,
    fam: Any,
    n: int,
    train_lams: np.ndarray,
    dense: np.ndarray,
    seed: int,
    steps: int,
    layers: int | None,
    sim: Simulator,
    per_point: Any,
    progress: StageProgress | None = None,
) -> tuple[Any, dict[str, Any], Any]:
    """The trained model, timing/extra info and the per-point VQE result (reused by the baseline)."""
    from qml.models import (
        ConditionalModel,
        EncodedConditional,
        InterpolationBaseline,
        MLPConditional,
        encode_ansatz,
        metavqe_circuit,
        per_point_vqe,
        sector_branches,
        u1_circuit,
    )

    dtype = torch.float64 if sim.dtype == torch.complex128 else torch.float32
    model: ConditionalModel
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    say = progress or (lambda stage, done, total, info: None)

    def points(done: int, total: int, res: Any) -> None:
        say("per-point VQE", done, total, {"unit": "points", "energy": res.energy})

    def fitting(evaluation: int, loss: float) -> None:  # L-BFGS evaluates at most steps * 5 // 4 + 1 times
        say(
            f"fit {kind}",
            evaluation,
            steps * 5 // 4 + 1,
            {"unit": "evaluations", "bound": True, "loss": loss},
        )

    if preset.problem == "metavqe":
        if kind == "meta":
            c = metavqe_circuit(n, 2, layers or 4)
            model = EncodedConditional(
                c, fam, sim, lam_range=preset.lam_range, init_scale=0.1, seed=seed, dtype=dtype
            )
            hist = model.fit(dense, steps=steps, seed=seed, callback=fitting)
            info.update(circuit=f"metavqe_circuit(2 encoding, {layers or 4} processing)", fit=hist.to_dict())
            return model, info, per_point
        c = u1_circuit(n, layers or 4)
        branches = sector_branches(n, list(range(n // 2, n + 1)))
        info["circuit"] = f"u1_circuit({n}, {layers or 4}) on sectors sum Z <= 0"
        if kind == "interp":
            if per_point is None:
                per_point = per_point_vqe(
                    fam,
                    c,
                    train_lams,
                    branches=branches,
                    steps=300,
                    seed=seed,
                    simulator=sim,
                    init="normal",
                    callback=points,
                )
            model = InterpolationBaseline(c, fam, per_point.lams, per_point.weights, "cubic", sim, branches)
            info["per_point_seconds"] = per_point.seconds
            return model, info, per_point
        g = torch.Generator().manual_seed(seed)
        offset = (torch.rand(c.n_weights, generator=g, dtype=torch.float64) * 2 - 1) * 0.5
        model = MLPConditional(
            c, fam, (32, 32), "tanh", sim, branches, preset.lam_range, offset, 0.1, seed, dtype
        )
        hist = model.fit(dense, steps=steps, seed=seed, callback=fitting)
        info["fit"] = hist.to_dict()
        info["fit_seconds"] = time.perf_counter() - t0
        return model, info, per_point
    # TFIM (and other families with a problem ansatz): HVA with p = n / 2 by default
    c = fam.ansatz(layers or max(1, n // 2))
    if per_point is None:
        per_point = per_point_vqe(fam, c, train_lams, steps=300, seed=seed, simulator=sim, callback=points)
    info["per_point_seconds"] = per_point.seconds
    info["circuit"] = f"problem ansatz, {layers or max(1, n // 2)} layers ({c.n_weights} weights)"
    W = per_point.weights[:, 0]
    if kind == "interp":
        return InterpolationBaseline(c, fam, per_point.lams, W, "cubic", sim), info, per_point
    if kind == "meta":
        model = EncodedConditional(
            encode_ansatz(c, 1, 3), fam, sim, lam_range=preset.lam_range, seed=seed, dtype=dtype
        )
        info["warm_start_mse"] = model.warm_start(per_point.lams, W)
    else:
        model = MLPConditional(c, fam, (32, 32), "tanh", sim, None, preset.lam_range, None, 0.01, seed, dtype)
        info["warm_start_mse"] = model.warm_start(per_point.lams, W)
    t1 = time.perf_counter()
    hist = model.fit(dense, steps=steps, seed=seed, callback=fitting)
    info["fit"] = hist.to_dict()
    info["fit_seconds"] = time.perf_counter() - t1
    return model, info, per_point


def _scored(progress: StageProgress | None, stage: str) -> Callable[[int, int, dict[str, Any]], Any] | None:
    """:func:`~qml.models.evaluate`'s ``progress(done, total, info)`` as a stage of ``progress``."""
    if progress is None:
        return None
    return lambda done, total, info: progress(stage, done, total, {"unit": "points", **info})


def run_prediction(
    problem: str = "tfim",
    n: int | None = None,
    train: int = 6,
    test: int = 40,
    model: str = "mlp",
    seed: int = 0,
    *,
    dense: int = 31,
    steps: int = 200,
    layers: int | None = None,
    compare: bool = False,
    dtype: str = "complex128",
    progress: StageProgress | None = None,
    lam_range: tuple[float, float] | None = None,
    periodic: bool | None = None,
    simulator: Simulator | None = None,
) -> PredictionOutcome:
    """Train a conditional model on a preset family and evaluate it on held-out parameters.

    Args:
        problem: A key of :data:`PRESETS` (``"tfim"`` or ``"metavqe"``).
        n: Number of sites (preset default: 12 for the TFIM, 8 for meta-VQE).
        train: Number of labelled training values (per-point VQE).
        test: Number of held-out test values.
        model: ``"mlp"``, ``"meta"`` or ``"interp"`` (see the module docstring).
        seed: Seed of every stochastic step (initial weights).
        dense: Number of unlabelled values in the energy loss.
        steps: L-BFGS iterations of the energy training.
        layers: Ansatz layers (default: ``n / 2`` HVA layers for the TFIM, 4 for meta-VQE).
        compare: Also evaluate the interpolation baseline on the same points.
        dtype: ``"complex128"`` (default) or ``"complex64"`` (ignored when ``simulator`` is given).
        lam_range: ``(lo, hi)`` of the varied parameter (default: the preset's range).
        periodic: Boundary conditions (default: the preset's).
        simulator: The simulator of every VQE, training step and prediction (default: the
            statevector in ``dtype``); ``Simulator(method="mps", bond_dim=...)`` takes the TFIM to
            32-128 sites, scored MPS to MPS against DMRG (see :func:`qml.models.evaluate`).
        progress: ``progress(stage, done, total, info)`` (see
            :data:`~qml.models.family_prediction.StageProgress`): the per-point VQE at the training
            values, the energy training's evaluations (loss), the test points (running mean fidelity
            and max relative error against exact).

    Returns:
        A :class:`PredictionOutcome`.

    Raises:
        ValueError: For an unknown problem, model or dtype, or bad counts.

    Example:
        >>> out = run_prediction("tfim", n=4, train=3, test=2, model="interp", layers=2)
        >>> out.result.summary["n_points"], out.settings["param"]
        (2.0, 'h')
    """
    from qml.models import HamiltonianFamily, evaluate

    if problem not in PRESETS:
        raise ConfigError(f"unknown problem {problem!r} for predict; valid choices: {', '.join(PRESETS)}")
    if model not in MODEL_KINDS:
        raise ConfigError(f"unknown model {model!r}; valid choices: {', '.join(MODEL_KINDS)}")
    if dtype not in ("complex128", "complex64"):
        raise ConfigError(f"unknown dtype {dtype!r}; valid choices: complex128, complex64")
    preset = PRESETS[problem]
    if lam_range is not None or periodic is not None:
        lo, hi = preset.lam_range if lam_range is None else (float(lam_range[0]), float(lam_range[1]))
        if not hi > lo:
            raise ConfigError(f"lam_range must be (lo, hi) with hi > lo, got {lam_range!r}")
        fixed = dict(preset.fixed) if periodic is None else {**preset.fixed, "periodic": bool(periodic)}
        preset = dataclasses.replace(preset, lam_range=(lo, hi), fixed=fixed)
    if simulator is not None:
        dtype = str(simulator.dtype).replace("torch.", "")
    n = preset.n_default if n is None else _check_count("n", n, 2)
    _check_count("train", train, 2 if model != "interp" else 3)
    _check_count("test", test, 1)
    _check_count("dense", dense, 2)
    _check_count("steps", steps, 0)
    t0 = time.perf_counter()
    fam = HamiltonianFamily.from_problem(preset.problem, preset.param, n=n, **preset.fixed)
    tr, te, de = grids(preset.lam_range, train, test, dense)
    real = torch.float64 if dtype == "complex128" else torch.float32
    sim = simulator if simulator is not None else Simulator(dtype=complex_dtype(real))
    net, info, per_point = _build(model, preset, fam, n, tr, de, seed, steps, layers, sim, None, progress)
    t_train = time.perf_counter() - t0
    settings = {
        "problem": problem,
        "n": n,
        "param": preset.param,
        "range": list(preset.lam_range),
        "fixed": preset.fixed,
        "train": train,
        "test": test,
        "dense": int(de.size),
        "model": model,
        "seed": seed,
        "steps": steps,
        "layers": layers,
        "dtype": dtype,
        "simulator": sim.settings(),
    }
    t1 = time.perf_counter()
    res = evaluate(
        net,
        te,
        tr if model != "meta" or problem != "metavqe" else None,
        label=model,
        seed=seed,
        extra={"settings": settings, **info},
        progress=_scored(progress, f"evaluate {model}"),
    )
    t_eval = time.perf_counter() - t1
    baseline = None
    if compare and model != "interp":
        tb = time.perf_counter()
        base, binfo, _ = _build(
            "interp", preset, fam, n, tr, de, seed, steps, layers, sim, per_point, progress
        )
        baseline = evaluate(
            base,
            te,
            tr,
            label="interp",
            seed=seed,
            extra=binfo,
            progress=_scored(progress, "evaluate interp"),
        )
        t_eval += time.perf_counter() - tb
    return PredictionOutcome(
        res,
        baseline,
        settings,
        {"train": t_train, "evaluate": t_eval, "total": time.perf_counter() - t0},
        versions(),
    )


# -- experiment files ----------------------------------------------------------------------------
def load_predict_file(path: str | Path, quick: bool = False) -> dict[str, Any]:
    """Read and validate a ``method = "predict"`` experiment file; returns the merged table.

    Raises:
        ValueError: Naming the file, the bad key and the valid keys.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "e.toml")
        >>> _ = open(p, "w").write('method = "predict"\\n[problem]\\nname = "tfim"\\nn = 4\\n')
        >>> load_predict_file(p)["predict"]
        {}
    """
    p = Path(path)
    data = read_table(p)
    if data.get("method") != "predict":
        raise ConfigError(f"{p}: not a predict experiment (method = {data.get('method')!r}); use 'qml run'")
    check_layout(data, p, "predict")
    merged = with_quick(data, quick)
    from qml.problems.registry import PROBLEMS

    family = isinstance(merged.get("predict"), dict) and "vary" in merged["predict"]
    name = merged.get("problem", {}).get("name") if isinstance(merged.get("problem"), dict) else None
    problem_keys = ("name", *PROBLEMS[name].defaults) if family and name in PROBLEMS else ("name", "n")
    for table in ("predict", "check"):
        merged.setdefault(table, {})
    for key in merged.setdefault("problem", {}):  # the table's own keys: checked by check_layout
        if key not in problem_keys:
            raise ConfigError(f"{p}: unknown key {key!r} in [problem]; valid keys: {', '.join(problem_keys)}")
    if merged.get("backend", "torch") != "torch":
        raise ConfigError(f"{p}: unknown backend {merged['backend']!r}; valid backends: torch")
    if family:
        if name not in PROBLEMS:
            raise ConfigError(f"{p}: [problem] name must be one of {', '.join(PROBLEMS)}")
        vary = merged["predict"]["vary"]
        if not isinstance(vary, dict) or not all(isinstance(v, list) and len(v) == 2 for v in vary.values()):
            raise ConfigError(
                f"{p}: [predict] vary must be a table of [lo, hi] pairs, e.g. vary = {{h = [0, 2]}}"
            )
    elif merged["problem"].get("name") not in PRESETS:
        raise ConfigError(f"{p}: [problem] name must be one of {', '.join(PRESETS)} (or give [predict] vary)")
    merged["_path"] = str(p)
    return merged


def run_predict_file(
    path: str | Path, quick: bool = False, progress: StageProgress | None = None
) -> tuple[PredictionOutcome, list[CheckResult]]:
    """Run a predict experiment file and evaluate its ``[check]`` table.

    ``beats_baseline = true`` runs the interpolation baseline too and requires a higher mean
    fidelity and a higher minimum fidelity than it (``false``: no such check). ``progress``: see
    :data:`~qml.models.family_prediction.StageProgress`.

    Returns:
        The outcome and the checks (all passed when every ``passed`` is True).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "e.toml")
        >>> _ = open(p, "w").write('method = "predict"\\n[problem]\\nname = "tfim"\\nn = 4\\n[predict]\\n'
        ...                        'model = "interp"\\ntrain = 3\\ntest = 2\\nlayers = 2\\n'
        ...                        '[check]\\nmin_fidelity = 0.9\\n')
        >>> out, checks = run_predict_file(p)
        >>> [c.passed for c in checks]
        [True]
    """
    exp = load_predict_file(path, quick)
    pr, ck, pb = exp["predict"], exp["check"], exp["problem"]
    if "vary" in pr:
        return _run_family_file(exp, progress)
    compare = bool(pr.get("compare", False) or ck.get("beats_baseline"))
    out = run_prediction(
        pb["name"],
        pb.get("n"),
        pr.get("train", 6),
        pr.get("test", 40),
        pr.get("model", "mlp"),
        int(exp.get("seed", 0)),
        dense=pr.get("dense", 31),
        steps=pr.get("steps", 200),
        layers=pr.get("layers"),
        compare=compare,
        dtype=exp.get("dtype", "complex128"),
        progress=progress,
    )
    s = out.result.summary
    checks: list[CheckResult] = []
    for key, limit in ck.items():
        if key == "beats_baseline":
            if not limit:
                continue
            b = out.baseline.summary if out.baseline is not None else None
            ok = (
                b is not None
                and s["mean_fidelity"] > b["mean_fidelity"]
                and s["min_fidelity"] > b["min_fidelity"]
            )
            checks.append(
                CheckResult(
                    key, None if b is None else s["mean_fidelity"] - b["mean_fidelity"], True, bool(ok)
                )
            )
            continue
        value = s[key]
        ok = value is not None and (value <= limit if key.startswith("max_") else value >= limit)
        checks.append(CheckResult(key, value, float(limit), bool(ok)))
    return out, checks


def _run_family_file(
    exp: dict[str, Any], progress: StageProgress | None = None
) -> tuple[Any, list[CheckResult]]:
    from qml.models.family_prediction import predict_family

    pr, ck, pb = exp["predict"], exp["check"], exp["problem"]
    if "beats_baseline" in ck:
        raise ConfigError(
            f"{exp['_path']}: beats_baseline applies to the presets; a family run reports its "
            "baselines (exact_interp, shadow) in the result"
        )
    fixed = {k: v for k, v in pb.items() if k != "name"}
    result = predict_family(
        pb["name"],
        {k: tuple(v) for k, v in pr["vary"].items()},
        fixed,
        train=pr.get("train", 6),
        test=pr.get("test", 40),
        layers=pr.get("layers", "auto"),
        seed=int(exp.get("seed", 0)),
        shots=pr.get("shots", 1000),
        steps=pr.get("steps", 300),
        baselines=pr.get("baselines", True),
        refine=pr.get("refine", 100),
        dense=pr.get("dense", 31),
        progress=progress,
    )
    s = result.summary()
    checks: list[CheckResult] = []
    for key, limit in ck.items():
        if key == "min_spearman":
            value = (result.uncertainty.get("spearman") or {}).get("spread_vs_energy_error")
            ok = value >= limit if value is not None else bool(result.uncertainty.get("errors_at_roundoff"))
            checks.append(CheckResult(key, value, float(limit), ok))
            continue
        value = s[key]
        ok = value is not None and (value <= limit if key.startswith("max_") else value >= limit)
        checks.append(CheckResult(key, value, float(limit), bool(ok)))
    return result, checks


def run_predict_experiment(
    path: str | Path, quick: bool = False, progress: StageProgress | None = None
) -> ExperimentResult:
    """Run a predict experiment file as ``qml run`` does: the outcome and its checks in one record.

    The record is an :class:`~qml.experiment.ExperimentResult` (kind ``"experiment"``,
    ``method = "predict"``) like that of every ``qml run --out``; its ``result`` is the
    :class:`PredictionOutcome` (a preset file) or the
    :class:`~qml.models.family_prediction.FamilyPredictionResult` (a file with ``vary``).

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "e.toml")
        >>> _ = open(p, "w").write('method = "predict"\\n[problem]\\nname = "tfim"\\nn = 4\\n[predict]\\n'
        ...                        'model = "interp"\\ntrain = 3\\ntest = 2\\nlayers = 2\\n'
        ...                        '[check]\\nmin_fidelity = 0.9\\n')
        >>> rec = run_predict_experiment(p)
        >>> rec.kind, rec.method, rec.result.kind, rec.passed
        ('experiment', 'predict', 'predict', True)
    """
    t0 = time.perf_counter()
    exp = load_predict_file(path, quick)
    outcome, checks = run_predict_file(path, quick=quick, progress=progress)
    return ExperimentResult(
        name=str(exp.get("name") or Path(path).stem),
        method="predict",
        quick=quick,
        passed=all(c.passed for c in checks),
        checks=checks,
        result=outcome,
        settings={k: v for k, v in exp.items() if k not in ("_path", "quick")} | {"path": str(path)},
        timings={"total": time.perf_counter() - t0},
        versions=versions(),
    )


__all__ = [
    "MODEL_KINDS",
    "PRESETS",
    "PredictionOutcome",
    "Preset",
    "grids",
    "load_predict_file",
    "run_predict_experiment",
    "run_predict_file",
    "run_prediction",
]
