"""Declarative experiment files (TOML): load, validate, run, check the declared accuracy, plot.

An experiment file names a problem, an ansatz, an optimiser, a backend, a seed and the
accuracy it promises; ``qml run circuits/<file>.toml`` runs it, and the test-suite runs
every file in ``circuits/`` in quick mode. Layout (all tables but ``[problem]`` optional)::

    name = "tfim8_hva"                 # default: the file name
    description = "TFIM-8 ground state with the HVA"
    method = "vqe"                     # "vqe" | "sweep" | "adapt"
    seed = 0
    backend = "torch"                  # the only backend for now
    dtype = "complex128"               # or "complex64"
    device = "cpu"

    [problem]                          # get_problem(name, **rest)
    name = "tfim"
    n = 8
    h = 1.0

    [ansatz]                           # problem.ansatz(layers, name)
    name = "hva"
    layers = 4

    [optimizer]
    name = "lbfgs"                     # see qml.optimize.OPTIMIZERS
    steps = 500
    lr = 1.0
    tol = 1e-10
    restarts = 1
    options = {}

    [sweep]                            # method = "sweep"
    param = "bond_length"
    values = [0.5, 0.74, 1.0]          # or start / stop / num
    continuation = true

    [adapt]                            # method = "adapt"
    pool = "auto"
    max_ops = 10
    grad_tol = 1e-5

    [check]                            # what the run must reach
    max_rel_error = 1e-6
    max_abs_error = 1.6e-3
    min_fidelity = 0.9999
    max_params = 4
    fewer_params_than = "uccsd"        # an ansatz name of the problem

    [execution]                        # optional: run on workers (qml.parallel, extra [dask])
    workers = 2                        # a local cluster; or scheduler = "tcp://host:8786";
    segments = 2                       # or cluster = "slurm" with jobs, cores, memory, walltime, queue.
                                       # vqe: the restarts run as tasks; sweep: contiguous segments

    [quick]                            # overrides for a fast CI mode (same tables)
    [quick.sweep]
    num = 5

Errors name the file, the bad key and the valid keys.

Example:
    >>> exp = parse_experiment({"problem": {"name": "tfim", "n": 4}, "ansatz": {"layers": 2},
    ...                         "check": {"max_rel_error": 1e-6}}, name="tiny")
    >>> out = run_experiment(exp)
    >>> out.passed, out.checks[0].name
    (True, 'max_rel_error')
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qml.errors import ConfigError
from qml.optimize.results import (
    AdaptResult,
    SweepResult,
    VQEResult,
    _Record,
    load_result,
    record_from_dict,
    versions,
)
from qml.tables import LAYOUTS, check_layout, merge, read_table

log = logging.getLogger(__name__)

#: The methods this module runs (their layouts are rows of :data:`qml.tables.LAYOUTS`, the registry
#: of experiment methods; ``method = "predict"`` files belong to :mod:`qml.predict`).
METHODS: tuple[str, ...] = tuple(m for m, lay in LAYOUTS.items() if lay.runner == __name__)
#: Backends (only the native torch simulator for now).
BACKENDS: tuple[str, ...] = ("torch",)
DTYPES: tuple[str, ...] = ("complex128", "complex64")


@dataclass
class Experiment:
    """A validated experiment description (see the module docstring for the file layout).

    Example:
        >>> Experiment(name="x", problem={"name": "h2"}).method
        'vqe'
    """

    name: str
    problem: dict[str, Any]
    description: str = ""
    method: str = "vqe"
    seed: int = 0
    backend: str = "torch"
    dtype: str = "complex128"
    device: str = "cpu"
    ansatz: dict[str, Any] = field(default_factory=dict)
    optimizer: dict[str, Any] = field(default_factory=dict)
    sweep: dict[str, Any] = field(default_factory=dict)
    adapt: dict[str, Any] = field(default_factory=dict)
    check: dict[str, Any] = field(default_factory=dict)
    execution: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    path: str | None = None

    def sweep_values(self) -> list[float]:
        """The swept values (``values`` or ``start``/``stop``/``num``).

        Example:
            >>> Experiment("s", {"name": "h2"}, sweep={"start": 0.5, "stop": 1.5, "num": 3}).sweep_values()
            [0.5, 1.0, 1.5]
        """
        s = self.sweep
        if "values" in s:
            return [float(v) for v in s["values"]]
        return [float(v) for v in np.linspace(float(s["start"]), float(s["stop"]), int(s["num"]))]

    @property
    def on_workers(self) -> bool:
        """True when ``[execution]`` runs the restarts or sweep segments on workers (not in this process).

        Example:
            >>> Experiment("s", {"name": "h2"}, execution={"workers": 2}).on_workers
            True
        """
        return _parallel(self.execution)


@dataclass
class CheckResult:
    """One declared accuracy check.

    Example:
        >>> CheckResult("max_rel_error", 1e-9, 1e-6, True).describe()
        'max_rel_error: 1e-09 <= 1e-06 ok'
    """

    name: str
    value: float | None
    limit: float | str | bool
    passed: bool

    def describe(self) -> str:
        """``name: value <op> limit ok|FAILED`` (``==`` for a yes/no check such as ``beats_baseline``)."""
        if isinstance(self.limit, bool):
            op = "=="
        elif self.name == "fewer_params_than":
            op = "<"
        elif self.name.startswith("min_") or (
            self.name.endswith("fidelity") and not self.name.startswith("max_")
        ):
            op = ">="
        else:
            op = "<="
        val = "n/a" if self.value is None else f"{self.value:.4g}"
        return f"{self.name}: {val} {op} {self.limit} {'ok' if self.passed else 'FAILED'}"


@dataclass
class ExperimentResult(_Record):
    """The outcome of an experiment file (``qml run --out``): the method's result record plus the checks.

    ``result`` is a :class:`~qml.optimize.VQEResult`, :class:`~qml.optimize.SweepResult` or
    :class:`~qml.optimize.AdaptResult` (:func:`run_experiment`), or for ``method = "predict"``
    files the record of :func:`qml.predict.run_predict_experiment` (kind ``"predict"`` or
    ``"prediction"``).

    Example:
        >>> ExperimentResult(name="x", method="vqe", passed=True).passed
        True
    """

    kind = "experiment"

    name: str = ""
    method: str = "vqe"
    quick: bool = False
    passed: bool = True
    checks: list[CheckResult] = field(default_factory=list)
    result: _Record | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (the inner result is nested under ``"result"``)."""
        d = super().to_dict()
        d["checks"] = [c.__dict__ for c in self.checks]
        d["result"] = None if self.result is None else self.result.to_dict()
        return d

    @classmethod
    def _decode(cls, d: dict[str, Any]) -> dict[str, Any]:
        d = dict(d)
        checks = d.get("checks", [])
        if not all(isinstance(c, dict) and set(c) == _CHECK_FIELDS for c in checks):
            raise ConfigError(
                f"the checks of an experiment result must be objects with {sorted(_CHECK_FIELDS)}"
            )
        d["checks"] = [CheckResult(**c) for c in checks]
        r = d.get("result")
        if r is not None:
            d["result"] = record_from_dict(r, "the 'result' of an experiment result")
        return d


_CHECK_FIELDS = {"name", "value", "limit", "passed"}


def _register() -> None:
    from qml.optimize.results import _KINDS

    _KINDS.setdefault(ExperimentResult.kind, ExperimentResult)


_register()


def _fail(path: str | None, msg: str) -> ConfigError:
    where = f"{path}: " if path else ""
    return ConfigError(f"{where}{msg}")


def _check_keys(data: dict[str, Any], valid: tuple[str, ...], where: str, path: str | None) -> None:
    for key in data:
        if key not in valid:
            raise _fail(path, f"unknown key {key!r} {where}; valid keys: {', '.join(valid)}")


def _number(value: Any, what: str, path: str | None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, f"{what} must be a number, got {value!r}")
    if positive and value <= 0:
        raise _fail(path, f"{what} must be > 0, got {value!r}")
    return float(value)


def parse_experiment(
    data: dict[str, Any], name: str | None = None, quick: bool = False, path: str | None = None
) -> Experiment:
    """Validate a parsed experiment table (e.g. from TOML) and build an :class:`Experiment`.

    Args:
        data: The top-level table.
        name: Default name (the file stem) when the table has none.
        quick: Apply the ``[quick]`` overrides.
        path: File name, for error messages.

    Raises:
        ValueError: Naming the bad key or value and the valid choices.

    Example:
        >>> parse_experiment({"problem": {"name": "h2"}, "optimiser": {}})
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: unknown key 'optimiser' at the top level of a 'vqe' experiment; valid keys: name, description, method, seed, backend, dtype, device, problem, ansatz, optimizer, check, execution, quick
    """  # noqa: E501
    from qml.optimize.adapt import POOLS
    from qml.optimize.optimizers import OPTIMIZERS
    from qml.problems.registry import PROBLEMS

    if not isinstance(data, dict):
        raise _fail(path, "an experiment must be a table (TOML document)")
    layout = check_layout(data, path, data["method"] if isinstance(data.get("method"), str) else None)
    if layout.runner != __name__:
        raise _fail(
            path,
            f"method {layout.method!r} files are read by {layout.runner}, not as a VQE experiment: "
            f"run them with `{layout.command}`",
        )
    quick_over = data.get("quick", {})
    merged = merge({k: v for k, v in data.items() if k != "quick"}, quick_over if quick else {})
    prob = merged.get("problem")
    if not isinstance(prob, dict) or "name" not in prob:
        raise _fail(path, f"missing [problem] table with a name; valid problem names: {', '.join(PROBLEMS)}")
    texts = (
        ("[problem] name", prob["name"]),
        ("method", merged.get("method", "vqe")),
        ("backend", merged.get("backend", "torch")),
        ("dtype", merged.get("dtype", "complex128")),
        ("device", merged.get("device", "cpu")),
        ("[optimizer] name", merged.get("optimizer", {}).get("name", "lbfgs")),
    )
    for what, value in texts:
        if not isinstance(value, str):
            raise _fail(path, f"{what} must be a text in quotes, got {value!r}")
    pname = prob["name"]
    if pname not in PROBLEMS:
        raise _fail(path, f"unknown problem {pname!r} in [problem]; valid problems: {', '.join(PROBLEMS)}")
    valid_params = ("name", *PROBLEMS[pname].defaults)
    _check_keys(prob, valid_params, f"in [problem] (for {pname!r})", path)

    method = layout.method
    backend = merged.get("backend", "torch")
    if backend not in BACKENDS:
        raise _fail(path, f"unknown backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    dtype = merged.get("dtype", "complex128")
    if dtype not in DTYPES:
        raise _fail(path, f"unknown dtype {dtype!r}; valid dtypes: {', '.join(DTYPES)}")
    seed = merged.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _fail(path, f"seed must be an integer >= 0, got {seed!r}")

    opt = merged.get("optimizer", {})
    if opt.get("name", "lbfgs") not in OPTIMIZERS:
        raise _fail(
            path, f"unknown optimizer {opt.get('name')!r} in [optimizer]; valid: {', '.join(OPTIMIZERS)}"
        )
    for key in ("steps", "restarts", "shots"):
        if key in opt and (isinstance(opt[key], bool) or not isinstance(opt[key], int) or opt[key] < 1):
            raise _fail(path, f"[optimizer] {key} must be an integer >= 1, got {opt[key]!r}")
    for key in ("lr", "tol"):
        if key in opt:
            _number(opt[key], f"[optimizer] {key}", path, positive=True)
    if "options" in opt and not isinstance(opt["options"], dict):
        raise _fail(path, "[optimizer] options must be a table")

    ans = merged.get("ansatz", {})
    if "layers" in ans and (
        isinstance(ans["layers"], bool) or not isinstance(ans["layers"], int) or ans["layers"] < 1
    ):
        raise _fail(path, f"[ansatz] layers must be an integer >= 1, got {ans['layers']!r}")

    sweep = merged.get("sweep", {})
    if method == "sweep":
        if "param" not in sweep:
            valid = ", ".join(PROBLEMS[pname].defaults)
            raise _fail(path, f"method 'sweep' needs [sweep] param (one of: {valid})")
        if sweep["param"] not in PROBLEMS[pname].defaults:
            raise _fail(
                path,
                f"[sweep] param {sweep['param']!r} is not a parameter of {pname!r}; valid: "
                f"{', '.join(PROBLEMS[pname].defaults)}",
            )
        if "values" not in sweep and not all(k in sweep for k in ("start", "stop", "num")):
            raise _fail(path, "[sweep] needs values = [...] or start, stop and num")
    adapt = merged.get("adapt", {})
    if "pool" in adapt and (not isinstance(adapt["pool"], str) or adapt["pool"] not in POOLS):
        raise _fail(path, f"unknown pool {adapt['pool']!r} in [adapt]; valid pools: {', '.join(POOLS)}")
    if "grad_tol" in adapt:
        _number(adapt["grad_tol"], "[adapt] grad_tol", path, positive=True)
    if "max_ops" in adapt and (
        isinstance(adapt["max_ops"], bool) or not isinstance(adapt["max_ops"], int) or adapt["max_ops"] < 0
    ):
        raise _fail(path, f"[adapt] max_ops must be an integer >= 0, got {adapt['max_ops']!r}")
    device = merged.get("device", "cpu")
    if device != "cpu":
        import torch

        try:
            dev = torch.device(device)
        except RuntimeError:
            raise _fail(path, f"device must be 'cpu', 'cuda' or 'cuda:K', got {device!r}") from None
        count = torch.cuda.device_count() if dev.type == "cuda" else 0
        if dev.type != "cuda" or count == 0 or (dev.index or 0) >= count:
            have = f"{count} CUDA device(s)" if count else "no CUDA device"
            raise _fail(path, f"device {device!r} is not available here ({have}); use device = 'cpu'")
    execution = merged.get("execution", {})
    for key in ("workers", "jobs", "cores", "segments"):
        v = execution.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise _fail(path, f"[execution] {key} must be an integer >= 1, got {v!r}")
    if execution.get("cluster") not in (None, "slurm", "pbs"):
        raise _fail(path, f"[execution] cluster must be 'slurm' or 'pbs', got {execution['cluster']!r}")
    if method == "adapt" and _parallel(execution):
        raise _fail(path, "[execution] applies to the methods 'vqe' (restarts) and 'sweep' (segments)")
    check = merged.get("check", {})
    for key, val in check.items():
        if key != "fewer_params_than":
            _number(val, f"[check] {key}", path)

    exp = Experiment(
        name=str(merged.get("name", name or "experiment")),
        problem=dict(prob),
        description=str(merged.get("description", "")),
        method=method,
        seed=seed,
        backend=backend,
        dtype=dtype,
        device=str(merged.get("device", "cpu")),
        ansatz=dict(ans),
        optimizer=dict(opt),
        sweep=dict(sweep),
        adapt=dict(adapt),
        check=dict(check),
        execution=dict(execution),
        quick=quick,
        path=path,
    )
    if method == "sweep":
        try:
            vals = exp.sweep_values()
        except (TypeError, ValueError) as err:
            raise _fail(path, f"bad [sweep] values: {err}") from None
        if not vals:
            raise _fail(path, "[sweep] has no values")
    return exp


def _parallel(execution: dict[str, Any]) -> bool:
    return bool(execution.get("scheduler") or execution.get("cluster") or execution.get("workers", 1) > 1)


def _executor(execution: dict[str, Any]) -> Any:
    """The executor of an ``[execution]`` table (``None``: run in this process)."""
    if not _parallel(execution):
        return None
    from qml.parallel import make_executor

    if execution.get("scheduler"):
        return make_executor(execution["scheduler"])
    if execution.get("cluster"):
        opts = {k: execution[k] for k in ("walltime", "queue") if k in execution}
        return make_executor(
            execution["cluster"],
            jobs=execution.get("jobs", 1),
            cores=execution.get("cores", 1),
            memory=execution.get("memory", "4GB"),
            **opts,
        )
    return make_executor("local", workers=execution["workers"])


def load_experiment(path: str | Path, quick: bool = False) -> Experiment:
    """Read and validate an experiment file (TOML).

    Args:
        path: The ``.toml`` file.
        quick: Apply its ``[quick]`` overrides.

    Raises:
        ValueError: For a missing file, invalid TOML, or invalid content.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "e.toml")
        >>> _ = open(p, "w").write('[problem]\\nname = "h2"\\n')
        >>> load_experiment(p).name
        'e'
    """
    p = Path(path)
    return parse_experiment(read_table(p), name=p.stem, quick=quick, path=str(p))


def _simulator(exp: Experiment) -> Any:
    import torch

    from qml.sim.simulator import Simulator

    dtype = torch.complex128 if exp.dtype == "complex128" else torch.complex64
    return Simulator(dtype=dtype, device=exp.device)


def _checks(exp: Experiment, result: VQEResult | SweepResult | AdaptResult) -> list[CheckResult]:
    from qml.problems import get_problem

    if isinstance(result, SweepResult):
        metrics: dict[str, float | None] = {
            "max_rel_error": result.max_rel_error,
            "max_abs_error": result.max_abs_error,
            "min_fidelity": result.min_fidelity,
            "max_params": float(max((r.n_params for r in result.results), default=0)),
        }
    else:
        metrics = {
            "max_rel_error": result.rel_error,
            "max_abs_error": result.abs_error,
            "min_fidelity": result.fidelity,
            "max_params": float(result.n_params),
        }
    out: list[CheckResult] = []
    for key, limit in exp.check.items():
        if key == "fewer_params_than":
            params = {k: v for k, v in exp.problem.items() if k != "name"}
            other = get_problem(exp.problem["name"], **params).ansatz(None, str(limit)).n_weights
            value = metrics["max_params"]
            ok = value is not None and value < other
            out.append(CheckResult(key, value, f"{limit} ({other} params)", ok))
            continue
        value = metrics[key]
        ok = value is not None and (value >= limit if key.startswith("min_") else value <= limit)
        out.append(CheckResult(key, value, limit, bool(ok)))
    return out


def run_experiment(
    experiment: Experiment | str | Path,
    quick: bool = False,
    callback: Callable[[int, float, Any], Any] | None = None,
    point_callback: Callable[[int, float, VQEResult], Any] | None = None,
    restart_callback: Callable[[int, int, float | None, float | None], Any] | None = None,
) -> ExperimentResult:
    """Run an experiment and evaluate its declared checks.

    Args:
        experiment: An :class:`Experiment` or the path of an experiment file.
        quick: For a path: apply the ``[quick]`` overrides.
        callback: Per-step callback passed to the optimiser.
        point_callback: Per-point callback of sweeps.
        restart_callback: ``restart_callback(done, restarts, energy, exact)`` of ``method = "vqe"``
            (see :func:`qml.optimize.vqe`; also with ``[execution]`` workers).

    Returns:
        An :class:`ExperimentResult` (``passed`` is True when all checks pass).

    Example:
        >>> exp = parse_experiment({"problem": {"name": "h2"}, "check": {"max_abs_error": 1e-6}})
        >>> run_experiment(exp).passed
        True
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment, quick)
    t0 = time.perf_counter()
    params = {k: v for k, v in exp.problem.items() if k != "name"}
    pname = exp.problem["name"]
    opt = dict(exp.optimizer)
    sim = _simulator(exp)
    common: dict[str, Any] = {
        "steps": opt.get("steps", 200),
        "lr": opt.get("lr"),
        "tol": opt.get("tol"),
    }
    result: VQEResult | SweepResult | AdaptResult
    executor = _executor(exp.execution)
    if executor is not None:  # tasks are shipped as data: no per-step callbacks (points are reported)
        callback = None
    try:
        result = _run(
            exp, pname, params, opt, sim, common, callback, point_callback, executor, restart_callback
        )
    finally:
        if executor is not None:
            executor.close()
    checks = _checks(exp, result)
    passed = all(c.passed for c in checks)
    log.info("experiment %s: %s", exp.name, "passed" if passed else "FAILED")
    return ExperimentResult(
        name=exp.name,
        method=exp.method,
        quick=exp.quick,
        passed=passed,
        checks=checks,
        result=result,
        settings={
            "problem": exp.problem,
            "ansatz": exp.ansatz,
            "optimizer": exp.optimizer,
            "sweep": exp.sweep,
            "adapt": exp.adapt,
            "execution": exp.execution,
            "seed": exp.seed,
            "backend": exp.backend,
            "dtype": exp.dtype,
            "path": exp.path,
        },
        timings={"total": time.perf_counter() - t0},
        versions=versions(),
    )


def _run(
    exp: Experiment,
    pname: str,
    params: dict[str, Any],
    opt: dict[str, Any],
    sim: Any,
    common: dict[str, Any],
    callback: Any,
    point_callback: Any,
    executor: Any,
    restart_callback: Any = None,
) -> Any:
    """The method of an experiment (``executor``: restarts or sweep segments on workers)."""
    from qml.optimize import adapt_vqe, vqe, vqe_sweep
    from qml.problems import get_problem

    if exp.method == "adapt":
        a = exp.adapt
        return adapt_vqe(
            get_problem(pname, **params),
            pool=a.get("pool", "auto"),
            max_ops=a.get("max_ops", 20),
            grad_tol=a.get("grad_tol", 1e-3),
            seed=exp.seed,
            optimizer=opt.get("name", "lbfgs"),
            allow_repeats=a.get("allow_repeats", True),
            simulator=sim,
            options=opt.get("options"),
            callback=callback,
            **common,
        )
    kwargs: dict[str, Any] = {
        "ansatz": exp.ansatz.get("name"),
        "layers": exp.ansatz.get("layers"),
        "simulator": sim,
        "restarts": opt.get("restarts", 1),
        "options": opt.get("options"),
        "shots": opt.get("shots"),
    }
    if executor is not None:
        kwargs["executor"] = executor
    if exp.method == "sweep":
        param = exp.sweep["param"]
        continuation = exp.sweep.get("continuation", True)
        if executor is not None and continuation is True:
            continuation = f"segments:{exp.execution.get('segments', exp.execution.get('workers', 2))}"
        return vqe_sweep(
            pname,
            exp.sweep_values(),
            opt.get("name", "lbfgs"),
            seed=exp.seed,
            callback=callback,
            param=param,
            problem_params={k: v for k, v in params.items() if k != param},
            continuation=continuation,
            point_callback=point_callback,
            **common,
            **kwargs,
        )
    return vqe(
        get_problem(pname, **params),
        opt.get("name", "lbfgs"),
        seed=exp.seed,
        callback=callback,
        restart_callback=restart_callback,
        **common,
        **kwargs,
    )


def plot_result(result: _Record | str | Path, path: str | Path) -> Path:
    """Write a PNG: energy convergence (VQE), energy vs parameter (sweep) or energy per step (ADAPT).

    Prediction results (``method = "predict"`` experiments) get their own figures
    (:meth:`qml.predict.PredictionOutcome.plot`, :func:`~qml.models.family_prediction.plot_family_prediction`;
    the path of the first is returned).

    Each figure has the exact reference and, on a second panel, the error on a log scale
    (with the 1.6 mHa chemical-accuracy line for molecules). Axes carry units (energies in the
    problem's unit, Ha for molecules; bond lengths in Angstrom); a sweep whose results carry the
    Hartree-Fock energy (molecules: a dissociation curve) draws the Hartree-Fock curve too.

    Args:
        result: A result record (or an experiment result, or a result file).
        path: The PNG to write.

    Returns:
        The path written.

    Example:
        >>> import tempfile, os
        >>> r = VQEResult(energy=-1.0, history=[0.0, -0.9, -1.0], exact_energy=-1.0)
        >>> plot_result(r, os.path.join(tempfile.mkdtemp(), "c.png")).suffix
        '.png'
    """
    # The Agg canvas directly, without pyplot: no global backend switch, no GUI, thread-safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from qml.units import energy_label, param_label

    rec: _Record | None = load_result(result) if isinstance(result, (str, Path)) else result
    if isinstance(rec, ExperimentResult):
        rec = rec.result
    if rec is not None and rec.kind in ("predict", "prediction"):  # predict experiments: their figures
        from qml.models.family_prediction import FamilyPredictionResult, plot_family_prediction
        from qml.predict import PredictionOutcome

        if isinstance(rec, PredictionOutcome):
            return rec.plot(path)
        if isinstance(rec, FamilyPredictionResult):
            return plot_family_prediction(rec, path)[0]
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    ax, ax_err = fig.subplots(1, 2)
    if isinstance(rec, SweepResult):
        xs = rec.values
        hf = [r.extra.get("hf_energy") for r in rec.results]
        if rec.results and all(e is not None for e in hf):
            ax.plot(xs, hf, "s:", color="tab:gray", ms=3, label="Hartree-Fock")
        ax.plot(xs, rec.energies, "o-", label="VQE")
        if all(e is not None for e in rec.exact_energies):
            ax.plot(xs, rec.exact_energies, "k--", label="exact")
            errs = [max(abs(r.abs_error or 0.0), 1e-16) for r in rec.results]
            ax_err.semilogy(xs, errs, "o-")
        unit = rec.results[0].energy_unit if rec.results else ""
        ax.set_xlabel(param_label(rec.param))
        ax_err.set_xlabel(param_label(rec.param))
        title = f"{rec.results[0].problem_name if rec.results else ''}: energy vs {rec.param}"
    elif isinstance(rec, AdaptResult):
        steps = list(range(len(rec.energies)))
        ax.plot(steps, rec.energies, "o-", label="ADAPT-VQE")
        if rec.exact_energy is not None:
            ax.axhline(rec.exact_energy, color="k", ls="--", label="exact")
            ax_err.semilogy(steps, [max(abs(e - rec.exact_energy), 1e-16) for e in rec.energies], "o-")
        unit = rec.energy_unit
        ax.set_xlabel("operators added")
        ax_err.set_xlabel("operators added")
        title = f"{rec.problem} ADAPT ({rec.n_params} params)"
    elif isinstance(rec, VQEResult):
        hist = np.minimum.accumulate(np.asarray(rec.history, dtype=float)) if rec.history else np.array([])
        ax.plot(rec.history, alpha=0.4, label="evaluations")
        ax.plot(hist, label="best so far")
        if rec.exact_energy is not None:
            ax.axhline(rec.exact_energy, color="k", ls="--", label="exact")
            ax_err.semilogy(np.maximum(np.abs(hist - rec.exact_energy), 1e-16))
        unit = rec.energy_unit
        ax.set_xlabel("evaluation")
        ax_err.set_xlabel("evaluation")
        title = f"{rec.problem} {rec.ansatz} / {rec.optimizer}"
    else:
        raise ConfigError(
            f"cannot plot {type(rec).__name__}; expected a VQE, sweep, ADAPT or prediction result"
        )
    ax.set_ylabel(energy_label(unit))
    ax_err.set_ylabel(energy_label(unit, "|E - E_exact|"))
    if unit == "hartree":
        ax_err.axhline(1.6e-3, color="r", ls=":", label="chemical accuracy")
        ax_err.legend()
    ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    return out


def experiment_files(directory: str | Path = "circuits") -> list[Path]:
    """The experiment files (``*.toml``) of a directory, sorted.

    Example:
        >>> isinstance(experiment_files("/nonexistent"), list)
        True
    """
    d = Path(directory)
    return sorted(d.glob("*.toml")) if d.is_dir() else []


__all__ = [
    "BACKENDS",
    "METHODS",
    "CheckResult",
    "Experiment",
    "ExperimentResult",
    "experiment_files",
    "load_experiment",
    "parse_experiment",
    "plot_result",
    "run_experiment",
]
