"""``qml predict``: learn ground states across a Hamiltonian family and test them on held-out parameters.

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

Hooking into the ``qml`` command: :func:`add_predict_command` adds the ``predict``
sub-command to an argparse sub-parser collection (its handler is ``args.func``).

Example:
    >>> out = run_prediction("tfim", n=4, train=3, test=4, model="interp", seed=0)
    >>> out.result.summary["mean_fidelity"] > 0.99
    True
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from qml.cli import (
    EXIT_INTERRUPTED,
    ProgressBar,
    _layers,
    add_simulator_arguments,
    executor_from_args,
    fixed_parameters,
    simulator_from_args,
)
from qml.errors import ConfigError
from qml.models.layer import complex_dtype
from qml.sim.simulator import Simulator
from qml.tables import read_table, with_quick

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
class PredictionOutcome:
    """What :func:`run_prediction` returns.

    Attributes:
        result: Evaluation of the model on the test values.
        baseline: Evaluation of the interpolation baseline (``compare=True``), else ``None``.
        settings: The run's settings (problem, n, model, counts, seed...).
        timings: Seconds per stage.

    Example:
        >>> from qml.models.evaluate import EvaluationResult
        >>> PredictionOutcome(EvaluationResult(label="mlp")).to_dict()["baseline"] is None
        True
    """

    result: Any
    baseline: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"format", "settings", "timings", "result", "baseline"}``."""
        return {
            "format": "qml-predict",
            "settings": self.settings,
            "timings": self.timings,
            "result": self.result.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
        }

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), indent=1))
        return p

    def plot(self, path: str | Path) -> Path:
        """PNG of predicted vs exact energy and fidelity (baseline overlaid when present)."""
        from qml.models.evaluate import plot_evaluation

        rs = [self.result] + ([self.baseline] if self.baseline is not None else [])
        return plot_evaluation(rs, path)


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
        res, baseline, settings, {"train": t_train, "evaluate": t_eval, "total": time.perf_counter() - t0}
    )


# -- experiment files ----------------------------------------------------------------------------
_TOP = ("name", "description", "method", "seed", "backend", "dtype", "problem", "predict", "check", "quick")
_PREDICT_KEYS = (
    "model",
    "train",
    "test",
    "dense",
    "steps",
    "layers",
    "compare",
    "vary",
    "shots",
    "baselines",
    "refine",
)
_CHECK_KEYS = ("min_fidelity", "mean_fidelity", "max_rel_error", "beats_baseline", "min_spearman")


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
    for key in data:
        if key not in _TOP:
            raise ConfigError(f"{p}: unknown key {key!r} at the top level; valid keys: {', '.join(_TOP)}")
    if data.get("method") != "predict":
        raise ConfigError(f"{p}: not a predict experiment (method = {data.get('method')!r}); use 'qml run'")
    merged = with_quick(data, quick)
    from qml.problems.registry import PROBLEMS

    family = isinstance(merged.get("predict"), dict) and "vary" in merged["predict"]
    name = merged.get("problem", {}).get("name") if isinstance(merged.get("problem"), dict) else None
    problem_keys = ("name", *PROBLEMS[name].defaults) if family and name in PROBLEMS else ("name", "n")
    for table, keys in (("predict", _PREDICT_KEYS), ("check", _CHECK_KEYS), ("problem", problem_keys)):
        val = merged.setdefault(table, {})
        if not isinstance(val, dict):
            raise ConfigError(f"{p}: [{table}] must be a table")
        for key in val:
            if key not in keys:
                raise ConfigError(f"{p}: unknown key {key!r} in [{table}]; valid keys: {', '.join(keys)}")
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


@dataclass
class PredictCheck:
    """One declared check of a predict experiment.

    Example:
        >>> PredictCheck("min_fidelity", 0.999, 0.99, True).describe()
        'min_fidelity: 0.999 >= 0.99 ok'
    """

    name: str
    value: float | None
    limit: float | bool
    passed: bool

    def describe(self) -> str:
        """``name: value <op> limit ok|FAILED``."""
        op = (
            "<="
            if self.name.startswith("max_")
            else ">="
            if "fidelity" in self.name or self.name.startswith("min_")
            else "=="
        )
        val = "n/a" if self.value is None else f"{self.value:.6g}"
        return f"{self.name}: {val} {op} {self.limit} {'ok' if self.passed else 'FAILED'}"


def run_predict_file(
    path: str | Path, quick: bool = False, progress: StageProgress | None = None
) -> tuple[PredictionOutcome, list[PredictCheck]]:
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
    checks: list[PredictCheck] = []
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
                PredictCheck(
                    key, None if b is None else s["mean_fidelity"] - b["mean_fidelity"], True, bool(ok)
                )
            )
            continue
        value = s[key]
        ok = value is not None and (value <= limit if key.startswith("max_") else value >= limit)
        checks.append(PredictCheck(key, value, float(limit), bool(ok)))
    return out, checks


def _run_family_file(
    exp: dict[str, Any], progress: StageProgress | None = None
) -> tuple[Any, list[PredictCheck]]:
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
    checks: list[PredictCheck] = []
    for key, limit in ck.items():
        if key == "min_spearman":
            value = (result.uncertainty.get("spearman") or {}).get("spread_vs_energy_error")
            ok = value >= limit if value is not None else bool(result.uncertainty.get("errors_at_roundoff"))
            checks.append(PredictCheck(key, value, float(limit), ok))
            continue
        value = s[key]
        ok = value is not None and (value <= limit if key.startswith("max_") else value >= limit)
        checks.append(PredictCheck(key, value, float(limit), bool(ok)))
    return result, checks


# -- command line ----------------------------------------------------------------------------------
def add_predict_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``qml predict`` options to ``parser``.

    Example:
        >>> p = add_predict_arguments(argparse.ArgumentParser())
        >>> p.parse_args(["--problem", "tfim", "--n", "6"]).n
        6
    """
    parser.add_argument(
        "--problem",
        default="tfim",
        help=f"a registered problem; without --vary one of the presets {', '.join(PRESETS)}",
    )
    parser.add_argument("--n", type=int, default=None, help="number of sites (12 for tfim, 8 for metavqe)")
    parser.add_argument(
        "--vary",
        action="append",
        default=None,
        metavar="NAME=LO:HI",
        help="varied parameter and range (twice: a phase diagram), e.g. delta=-0.5:1.5",
    )
    parser.add_argument(
        "--param",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="a fixed problem parameter, e.g. --param J2=0.3 (repeatable)",
    )
    parser.add_argument("--open", action="store_true", help="open boundary conditions (default periodic)")
    parser.add_argument("--lattice", default=None, help="chain, ring, ladder, square, triangular")
    parser.add_argument("--lx", type=int, default=None, help="lattice length along x")
    parser.add_argument("--ly", type=int, default=None, help="lattice length along y")
    parser.add_argument(
        "--shots",
        type=int,
        default=1000,
        help="with --vary: snapshots per training point of the classical-shadow baseline",
    )
    parser.add_argument("--no-baselines", action="store_true", help="with --vary: skip the baselines")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --vary: train the sector branches on N local worker processes (Dask)",
    )
    parser.add_argument(
        "--refine",
        type=int,
        default=100,
        help="with --vary: L-BFGS steps of the energy refinement on --dense points (0: off)",
    )
    parser.add_argument("--train", type=int, default=6, help="labelled training values (per-point VQE)")
    parser.add_argument("--test", type=int, default=40, help="held-out test values")
    parser.add_argument("--model", default="mlp", help=f"one of: {', '.join(MODEL_KINDS)}")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--dense", type=int, default=31, help="unlabelled values in the energy loss")
    parser.add_argument("--steps", type=int, default=200, help="L-BFGS iterations of the energy training")
    parser.add_argument(
        "--layers",
        type=_layers,
        default=None,
        help="ansatz layers, or 'auto' (with --vary the default: grown until converged)",
    )
    parser.add_argument("--compare", action="store_true", help="also evaluate the interpolation baseline")
    parser.add_argument("--dtype", default="complex128", help="complex128 or complex64")
    parser.add_argument(
        "--range",
        default=None,
        metavar="LO:HI",
        help="with a preset (no --vary): the range of its parameter (tfim: h, default 0:2)",
    )
    add_simulator_arguments(parser)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (1: fastest for these small states; 0: torch default)",
    )
    parser.add_argument("--config", default=None, help="a predict experiment file (circuits/predict_*.toml)")
    parser.add_argument("--quick", action="store_true", help="with --config: apply its [quick] overrides")
    parser.add_argument("--out", default=None, help="write the results as JSON")
    parser.add_argument("--plot", default=None, help="write predicted vs exact energy and fidelity (PNG)")
    return parser


def parse_vary(items: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``["h=0:2", "J2=0:0.5"]`` -> ``{"h": (0.0, 2.0), "J2": (0.0, 0.5)}``.

    Raises:
        ValueError: Naming the bad item and the expected form.

    Example:
        >>> parse_vary(["delta=-0.5:1.5"])
        {'delta': (-0.5, 1.5)}
    """
    out: dict[str, tuple[float, float]] = {}
    for item in items:
        name, sep, rng = str(item).partition("=")
        try:
            lo, hi = _span(rng)
        except ValueError:
            raise ConfigError(f"--vary {item!r}: expected NAME=LO:HI, e.g. h=0:2") from None
        if not sep or not name.strip():
            raise ConfigError(f"--vary {item!r}: expected NAME=LO:HI, e.g. h=0:2")
        if name.strip() in out:
            raise ConfigError(f"--vary names {name.strip()!r} twice")
        out[name.strip()] = (lo, hi)
    return out


def family_settings(args: argparse.Namespace) -> tuple[str, dict[str, tuple[float, float]], dict[str, Any]]:
    """``(problem, vary, fixed)`` of a ``qml predict --vary ...`` command line.

    Example:
        >>> p = add_predict_arguments(argparse.ArgumentParser())
        >>> args = ["--problem", "xxz", "--n", "8", "--vary", "delta=-0.5:1.5", "--open"]
        >>> family_settings(p.parse_args(args))
        ('xxz', {'delta': (-0.5, 1.5)}, {'n': 8, 'periodic': False})
    """
    from qml.problems.registry import check_param_names

    check_param_names(args.problem)
    vary = parse_vary(args.vary or [])
    fixed = fixed_parameters(args)
    for key, value in (("lattice", args.lattice), ("lx", args.lx), ("ly", args.ly)):
        if value is not None:
            fixed[key] = value
    check_param_names(args.problem, ("varied", vary), ("fixed", fixed))
    return args.problem, vary, fixed


def _print_family(result: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False, soft_wrap=True)
    st = result.settings
    title = (
        f"predict {result.problem} {result.fixed} over "
        f"{', '.join(f'{k} in [{a:g}, {b:g}]' for k, (a, b) in st['vary'].items())}: "
        f"{len(result.train_lams)} training / {len(result.test_lams)} held-out points"
    )
    table = Table(title=escape(title), title_justify="left")
    table.add_column("quantity", style="bold")
    for name in result.models:
        table.add_column(escape(name))
    keys = (
        "mean_fidelity",
        "min_fidelity",
        "max_rel_error",
        "mean_rel_error",
        "max_abs_energy_error",
        "max_abs_error_magnetization_z",
        "max_abs_error_correlation_zz",
    )
    for key in keys:
        vals = [m["summary"].get(key) for m in result.models.values()]
        table.add_row(key, *[("-" if v is None else f"{v:.6g}") for v in vals])
    con.print(table)
    for b in result.branches:
        con.print(
            escape(
                f"branch {b['label']}: {b['layers']} layers ({b['n_weights']} weights), "
                f"training max rel error {b['max_rel_error_train']:.2e}, "
                f"min fidelity {b['min_fidelity_train']:.6f}, "
                f"{b['stop']}, {b['seconds']:.1f} s"
            )
        )
    for kind in ("predicted", "exact") if len(result.params) == 1 and result.sectors.get("symmetry") else ():
        cs = result.crossings.get(kind, [])
        if cs or kind == "exact":
            listed = ", ".join(f"{c['lambda']:.6g} ({c['from']} -> {c['to']})" for c in cs)
            con.print(escape(f"{kind} crossings: {listed or 'none'}"))
    for w in result.warnings:
        con.print(f"[bold yellow]warning:[/bold yellow] {escape(w)}")
    if result.excluded:
        con.print(escape(f"excluded (within 1e-3 of a crossing): {result.excluded}"))
    if result.uncertainty.get("errors_at_roundoff"):
        con.print("uncertainty: every held-out energy is exact to round-off; no spread-error correlation")
    elif result.uncertainty:
        sp = result.uncertainty["spearman"]
        fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
        con.print(
            f"uncertainty ({result.uncertainty['members']}-member jackknife): Spearman(spread, energy "
            f"error) = {fmt(sp['spread_vs_energy_error'])}, (spread, infidelity) = "
            f"{fmt(sp['spread_vs_infidelity'])}"
        )
    for name, c in result.comparison.items():
        con.print(
            escape(
                f"vs {name}: quantum model's energy closer at {c['quantum_better']} points, "
                f"baseline at {c['baseline_better']}, both exact at {c['ties']}"
            )
        )
    tr = result.physics.get("transitions") if result.physics else None
    if tr:
        for k, v in tr.items():
            con.print(escape(f"transition from {k}: predicted {v['predicted']:.4g}, exact {v['exact']:.4g}"))
    con.print(
        f"total {result.timings['total']:.1f} s (train {result.timings['train']:.1f} s), seed {result.seed}"
    )


def family_command(args: argparse.Namespace) -> int:
    """``qml predict --vary ...``: :func:`qml.models.family_prediction.predict_family` from a command line."""
    from rich.console import Console

    problem, vary, fixed = family_settings(args)
    if args.model not in ("mlp", "sector"):
        raise ConfigError("with --vary the model is the sector-branch prediction; --model is for the presets")
    con = Console(stderr=True, highlight=False)
    executor = None
    if getattr(args, "workers", 1) > 1:
        executor = executor_from_args(args)
    try:
        with ProgressBar(f"predict {problem}", console=con) as bar:
            result = _family(args, problem, vary, fixed, bar.stage, executor)
    except KeyboardInterrupt as stop:
        partial = getattr(stop, "result", None)
        if partial is not None and args.out:
            partial.save(args.out)
            con.print(f"interrupted: the {len(partial.branches)} branches trained so far are in {args.out}")
        else:
            con.print("interrupted: nothing was written (give --out to keep the branches trained so far)")
        return EXIT_INTERRUPTED
    finally:
        if executor is not None:
            executor.close()
    return _finish_family(result, args, None)


def _family(
    args: argparse.Namespace, problem: str, vary: dict, fixed: dict, progress: StageProgress, executor: Any
) -> Any:
    from qml.models.family_prediction import predict_family

    return predict_family(
        problem,
        vary,
        fixed,
        train=args.train,
        test=args.test,
        layers=args.layers or "auto",
        seed=args.seed,
        shots=args.shots,
        refine=args.refine,
        dense=args.dense,
        baselines=not args.no_baselines,
        progress=progress,
        executor=executor,
    )


def _finish_family(result: Any, args: argparse.Namespace, checks: list[PredictCheck] | None) -> int:
    from rich.console import Console
    from rich.markup import escape

    from qml.models.family_prediction import plot_family_prediction

    _print_family(result)
    con = Console(highlight=False, soft_wrap=True)
    for c in checks or []:
        con.print(escape(c.describe()))
    if args.out:
        result.save(args.out)
        con.print(f"wrote {args.out}")
    if args.plot:
        for path in plot_family_prediction(result, args.plot):
            con.print(f"wrote {path}")
    return 0 if checks is None or all(c.passed for c in checks) else 1


def add_predict_command(subparsers: Any) -> argparse.ArgumentParser:
    """Attach ``predict`` to the ``qml`` sub-command collection (handler in ``func``).

    Example:
        >>> sub = argparse.ArgumentParser().add_subparsers(dest="command")
        >>> add_predict_command(sub).get_default("func") is predict_command
        True
    """
    p = subparsers.add_parser(
        "predict", help="learn ground states across a Hamiltonian family (conditional circuits)"
    )
    add_predict_arguments(p)
    p.set_defaults(func=predict_command)
    return p


def _print(outcome: PredictionOutcome, checks: list[PredictCheck] | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False, soft_wrap=True)
    results = [outcome.result] + ([outcome.baseline] if outcome.baseline is not None else [])
    st = outcome.settings
    table = Table(
        title=escape(
            f"predict {st['problem']} n={st['n']}: {st['train']} training / {st['test']} "
            f"held-out values of {st['param']}"
        ),
        title_justify="left",
    )
    table.add_column("quantity", style="bold")
    for r in results:
        table.add_column(escape(r.label))
    for key in (
        "mean_fidelity",
        "min_fidelity",
        "max_rel_error",
        "mean_rel_error",
        "max_abs_energy_error",
        "max_abs_error_magnetization_x",
        "max_abs_error_correlation_zz",
    ):
        vals = [r.summary.get(key) for r in results]
        table.add_row(key, *[("-" if v is None else f"{v:.6g}") for v in vals])
    con.print(table)
    con.print(
        f"train {outcome.timings['train']:.1f} s, evaluate {outcome.timings['evaluate']:.1f} s, "
        f"seed {st['seed']}"
    )
    for c in checks or []:
        con.print(escape(c.describe()))


def _span(text: str) -> tuple[float, float]:
    """``"1:2"`` -> ``(1.0, 2.0)``; ``ValueError`` for anything but two numbers around one colon.

    Example:
        >>> _span("0.5:1.5")
        (0.5, 1.5)
    """
    lo, hi = (float(v) for v in text.split(":"))
    return lo, hi


def _range(text: str | None) -> tuple[float, float] | None:
    """``--range LO:HI`` of a preset (``None`` when not given)."""
    if text is None:
        return None
    try:
        return _span(text)
    except ValueError:
        raise ConfigError(f"--range expects LO:HI (e.g. 1:2), got {text!r}") from None


def predict_command(args: argparse.Namespace) -> int:
    """Run ``qml predict`` from parsed arguments; returns the exit status (1 if a file check fails).

    Example:
        >>> p = add_predict_arguments(argparse.ArgumentParser())
        >>> predict_command(p.parse_args(["--problem", "tfim", "--n", "4", "--train", "3", "--test", "3",
        ...                                "--model", "interp"]))  # doctest: +SKIP
        0
    """
    checks: list[PredictCheck] | None = None
    threads = getattr(args, "threads", 0)
    if threads:
        torch.set_num_threads(int(threads))
    if args.vary:
        return family_command(args)
    if args.config:
        with ProgressBar(f"predict {Path(args.config).stem}") as bar:
            outcome, checks = run_predict_file(args.config, quick=args.quick, progress=bar.stage)
        if not isinstance(outcome, PredictionOutcome):  # a family file
            return _finish_family(outcome, args, checks)
    else:
        if args.problem not in PRESETS:
            raise ConfigError(
                f"{args.problem!r} is not a preset ({', '.join(PRESETS)}); name the varied "
                "parameter with --vary NAME=LO:HI, e.g. --vary h=0:2"
            )
        sim = simulator_from_args(args)
        with ProgressBar(f"predict {args.problem}") as bar:
            outcome = run_prediction(
                args.problem,
                args.n,
                args.train,
                args.test,
                args.model,
                args.seed,
                dense=args.dense,
                steps=args.steps,
                layers=args.layers,
                compare=args.compare,
                dtype=args.dtype,
                progress=bar.stage,
                lam_range=_range(args.range),
                periodic=False if args.open else None,
                simulator=sim,
            )
    _print(outcome, checks)
    if args.out:
        outcome.save(args.out)
    if args.plot:
        outcome.plot(args.plot)
    return 0 if checks is None or all(c.passed for c in checks) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry (``python -m qml.predict ...``) until ``qml predict`` is hooked into :mod:`qml.cli`.

    Example:
        >>> main(["--model", "nope"])  # doctest: +SKIP
        2
    """
    import sys

    parser = add_predict_arguments(argparse.ArgumentParser(prog="qml predict"))
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return predict_command(args)
    except ValueError as err:
        sys.stderr.write(f"qml predict: error: {str(err).splitlines()[0]}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

__all__ = [
    "MODEL_KINDS",
    "PRESETS",
    "PredictCheck",
    "PredictionOutcome",
    "Preset",
    "add_predict_arguments",
    "add_predict_command",
    "family_command",
    "family_settings",
    "grids",
    "load_predict_file",
    "main",
    "parse_vary",
    "predict_command",
    "run_predict_file",
    "run_prediction",
]
