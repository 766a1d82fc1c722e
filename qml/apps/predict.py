"""``qml predict``: the command line of :mod:`qml.predict` (learn ground states across a family).

``qml predict --problem tfim --n 8 --model mlp [--compare] [--out r.json] [--plot r.png]`` runs
:func:`qml.predict.run_prediction` on a preset family; ``--vary h=0,2`` (one or two parameters)
runs :func:`qml.models.family_prediction.predict_family` on any registered problem;
``--config FILE`` runs a ``method = "predict"`` experiment file. Options are listed by
:func:`add_predict_arguments`; :func:`add_predict_command` attaches the sub-command to ``qml``.

Example:
    >>> import argparse
    >>> p = add_predict_arguments(argparse.ArgumentParser())
    >>> p.parse_args(["--problem", "tfim", "--n", "4"]).n
    4
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from qml.apps.cli import (
    EXIT_INTERRUPTED,
    ProgressBar,
    _layers,
    add_simulator_arguments,
    executor_from_args,
    fixed_parameters,
    simulator_from_args,
)
from qml.errors import ConfigError
from qml.experiment import CheckResult
from qml.predict import (
    MODEL_KINDS,
    PRESETS,
    PredictionOutcome,
    run_predict_file,
    run_prediction,
)

if TYPE_CHECKING:
    from qml.models.family_prediction import StageProgress


def print_outcome(outcome: PredictionOutcome | Any) -> None:
    """Print the tables of a prediction (a :class:`PredictionOutcome` or a family result) on stdout.

    Example:
        >>> out = run_prediction("tfim", n=4, train=3, test=2, model="interp", layers=2)
        >>> print_outcome(out)  # doctest: +SKIP
    """
    if isinstance(outcome, PredictionOutcome):
        _print(outcome, None)
    else:
        _print_family(outcome)


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
    parser.add_argument(
        "--out",
        default=None,
        help="write the result as JSON: a 'predict' record (presets) or 'prediction' (--vary), "
        "read by qml.optimize.load_result",
    )
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


def _finish_family(result: Any, args: argparse.Namespace, checks: list[CheckResult] | None) -> int:
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


def _print(outcome: PredictionOutcome, checks: list[CheckResult] | None) -> None:
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
    checks: list[CheckResult] | None = None
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


__all__ = [
    "add_predict_arguments",
    "add_predict_command",
    "family_command",
    "family_settings",
    "parse_vary",
    "predict_command",
    "print_outcome",
]
