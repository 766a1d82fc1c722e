"""The ``qml`` command: VQE runs, experiment files, environment info and a demo.

Commands::

    qml vqe --problem tfim --n 8 --h 1.0 --ansatz hva --layers 4 \\
            [--optimizer lbfgs --steps 200 --seed 0 --out result.json --plot conv.png]
    qml run circuits/tfim8_hva.toml [--quick] [--out result.json] [--plot curve.png]
    qml problems                      # the problem registry with parameters
    qml info                          # versions, CUDA, threads
    qml demo                          # 6-qubit TFIM VQE against the exact energy (a few seconds)
    qml submit | jobs | budget        # IBM hardware commands, from qml.hardware_cli when present
    qml bench w1|w2|w3|all [--quick]  # simulator benchmarks vs PennyLane and Aer (qml.bench_cli)

Errors (unknown problems, options, bad files) print one line ``qml: error: ...`` naming
the valid choices and exit with status 2; ``qml run`` exits 1 when a declared check fails.

Example:
    >>> _build_parser().parse_args(["vqe", "--problem", "tfim", "--n", "6", "--h", "0.5"]).p_h
    0.5
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import platform
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

log = logging.getLogger(__name__)

#: Problem-parameter flags of ``qml vqe`` (flag -> get_problem keyword).
_PARAM_FLAGS: dict[str, str] = {
    "n": "n",
    "h": "h",
    "J": "J",
    "delta": "delta",
    "J1": "J1",
    "J2": "J2",
    "lam": "lam",
    "gamma": "gamma",
    "bond_length": "bond_length",
    "lattice": "lattice",
    "lx": "lx",
    "ly": "ly",
    "units": "units",
    "active_electrons": "active_electrons",
    "active_orbitals": "active_orbitals",
}


#: Metavar and help text of each problem flag (which problems take it: see 'qml problems').
_PARAM_HELP: dict[str, tuple[str, str]] = {
    "n": ("N", "number of sites (spin models)"),
    "h": ("H", "field strength (tfim: transverse -h X; xxz, heisenberg, xy: h Sz)"),
    "J": ("J", "coupling (sign: ferro- or antiferromagnetic; see 'qml problems')"),
    "delta": ("DELTA", "XXZ anisotropy (xxz, metavqe)"),
    "J2": ("J2", "next-nearest-neighbour coupling (j1j2)"),
    "lam": ("LAMBDA", "field of the meta-VQE family (metavqe)"),
    "gamma": ("GAMMA", "XY anisotropy (xy)"),
    "bond_length": ("ANGSTROM", "molecules: bond length in Angstrom"),
    "lattice": ("LATTICE", "chain, ring, ladder, square or triangular (spin models)"),
    "lx": ("LX", "lattice width (ladder, square, triangular)"),
    "ly": ("LY", "lattice height (square, triangular)"),
    "active_orbitals": ("K", "molecules: active spatial orbitals (LiH default 5)"),
}


class CLIError(Exception):
    """A usage error: printed as one line, exit status 2.

    Example:
        >>> str(CLIError("unknown dtype 'x'"))
        "unknown dtype 'x'"
    """


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and no ``sys.exit`` in library code."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see 'qml {self.prog.split()[-1]} --help')" if " " in self.prog
                       else f"{message} (see 'qml --help')")


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=True)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.10g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"
    return str(v)


def _layers(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 or 'auto', got {text!r}")
    return value


#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

#: Optional dependency (top-level module) -> the extra of qml-circuits that installs it.
MISSING_EXTRAS: dict[str, str] = {
    "pennylane": "pennylane", "qiskit": "qiskit", "qiskit_aer": "qiskit", "qiskit_ibm_runtime": "ibm",
    "matplotlib": "plot", "pyscf": "chem", "dask": "dask", "distributed": "dask", "dask_jobqueue": "dask",
    "optuna": "tune", "openfermion": "openfermion",
}


def add_problem_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--problem`` (required), ``--n``, ``--param KEY=VALUE`` (repeatable), ``--open``.

    Example:
        >>> a = add_problem_arguments(argparse.ArgumentParser()).parse_args(["--problem", "tfim", "--open"])
        >>> fixed_parameters(a)
        {'periodic': False}
    """
    parser.add_argument("--problem", required=True, help="a registered problem")
    parser.add_argument("--n", type=int, default=None, help="number of sites")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a fixed parameter")
    parser.add_argument("--open", action="store_true", help="open boundary conditions")
    return parser


def fixed_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The fixed problem parameters of ``--n``, ``--open`` and ``--param KEY=VALUE`` options.

    Raises:
        ValueError: For a ``--param`` without ``=``.

    Example:
        >>> fixed_parameters(argparse.Namespace(n=4, open=False, param=["J2=0.3", "units=pauli"]))
        {'n': 4, 'J2': 0.3, 'units': 'pauli'}
    """
    fixed: dict[str, Any] = {}
    if getattr(args, "n", None) is not None:
        fixed["n"] = args.n
    if getattr(args, "open", False):
        fixed["periodic"] = False
    fixed.update(parse_assignments(getattr(args, "param", None) or [], "--param", "J2=0.3"))
    return fixed


def parse_assignments(items: Sequence[str], flag: str, example: str) -> dict[str, Any]:
    """``KEY=VALUE`` options as a dict, values read as bool, int, float or text.

    Raises:
        ValueError: For an item without ``=``, naming the flag and an example.

    Example:
        >>> parse_assignments(["max_ops=30", "pool=qubit"], "--option", "max_ops=30")
        {'max_ops': 30, 'pool': 'qubit'}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {item!r}: expected KEY=VALUE, e.g. {example}")
        out[key.strip()] = _parse_value(value.strip())
    return out


def executor_from_args(args: argparse.Namespace) -> Any:
    """The :mod:`qml.parallel` executor of ``--scheduler``, ``--cluster`` (with ``--jobs``, ``--cores``,
    ``--memory``, ``--walltime``, ``--queue``) or ``--workers`` options; serial without them.

    Example:
        >>> executor_from_args(argparse.Namespace(workers=1)).describe()
        {'kind': 'serial'}
    """
    from qml.parallel import make_executor

    if getattr(args, "scheduler", None):
        return make_executor(args.scheduler)
    if getattr(args, "cluster", None):
        options = {k: v for k in ("walltime", "queue") if (v := getattr(args, k, None))}
        return make_executor(args.cluster, jobs=args.jobs, cores=args.cores, memory=args.memory, **options)
    workers = getattr(args, "workers", 1)
    return make_executor("local" if workers > 1 else "serial", workers=max(1, workers))


def _parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _build_parser() -> _Parser:
    from qml.optimize.optimizers import OPTIMIZERS

    p = _Parser(prog="qml", description="Variational quantum circuits for physics research.")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    v = sub.add_parser("vqe", help="run VQE on a registered problem")
    v.add_argument("--problem", required=True, help="problem name (see 'qml problems')")
    for flag in _PARAM_FLAGS:
        v.add_argument(f"--{flag.replace('_', '-')}", dest=f"p_{flag}", type=_parse_value, default=None,
                       metavar=_PARAM_HELP.get(flag, ("X", ""))[0],
                       help=argparse.SUPPRESS if flag in ("J1", "units", "active_electrons")
                       else _PARAM_HELP.get(flag, ("X", None))[1])
    bc = v.add_mutually_exclusive_group()
    bc.add_argument("--periodic", dest="p_periodic", action="store_const", const=True, default=None,
                    help="periodic boundaries (spin models; default)")
    bc.add_argument("--open", dest="p_periodic", action="store_const", const=False, help="open boundaries")
    v.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="any other problem parameter, e.g. --param J2=0.3")
    v.add_argument("--ansatz", default=None, help="ansatz name (problem default if omitted)")
    v.add_argument("--layers", type=_layers, default=None,
                   help="ansatz layers, or 'auto': grow layer by layer until rel error <= 1e-3 and "
                        "ground-space fidelity >= 0.99 (see --target-error)")
    v.add_argument("--target-error", type=float, default=None,
                   help="with --layers auto: the relative energy error to reach (default 1e-3)")
    v.add_argument("--observables", action="store_true",
                   help="print correlations, S^2, S(pi) and entanglement entropies beside their exact values")
    v.add_argument("--states", type=int, default=None, metavar="K",
                   help="the K lowest states (excited states), sector by sector, against exact "
                        "diagonalisation")
    v.add_argument("--method", default="vqd", choices=("vqd", "ssvqe"),
                   help="excited-state method with --states: variational deflation or subspace search")
    v.add_argument("--strict", action="store_true",
                   help="fail (instead of warn) when the ansatz cannot reach the ground space")
    v.add_argument("--optimizer", default="lbfgs", help=f"one of: {', '.join(OPTIMIZERS)}")
    v.add_argument("--steps", type=int, default=200, help="maximum iterations")
    v.add_argument("--lr", type=float, default=None, help="learning rate / step scale")
    v.add_argument("--tol", type=float, default=None, help="optimiser tolerance")
    v.add_argument("--seed", type=int, default=0, help="random seed")
    v.add_argument("--restarts", type=int, default=1, help="seeds to try (best kept)")
    v.add_argument("--shots", type=int, default=None, help="shot-noise energies for gradient-free optimisers")
    v.add_argument("--dtype", default="complex128", help="complex128 or complex64")
    v.add_argument("--checkpoint", default=None,
                   help="save the optimiser state here (every 10 steps with adam/sgd, and on Ctrl-C)")
    v.add_argument("--resume", action="store_true", help="continue from --checkpoint when it exists")
    v.add_argument("--workers", type=int, default=1, help="run the --restarts on N local worker processes")
    v.add_argument("--scheduler", default=None, help="run the --restarts on a Dask scheduler tcp://host:8786")
    v.add_argument("--out", default=None, help="write the result as JSON")
    v.add_argument("--plot", default=None, help="write a convergence plot (PNG)")

    r = sub.add_parser("run", help="run an experiment file (circuits/*.toml)")
    r.add_argument("file", help="the experiment file")
    r.add_argument("--quick", action="store_true", help="apply the file's [quick] overrides")
    r.add_argument("--out", default=None, help="write the result as JSON")
    r.add_argument("--plot", default=None, help="write a plot (PNG)")

    sub.add_parser("problems", help="list the registered problems and their parameters")
    sub.add_parser("info", help="versions, CUDA availability, threads")
    d = sub.add_parser("demo", help="6-qubit TFIM VQE against exact diagonalisation")
    d.add_argument("--seed", type=int, default=0, help="random seed")
    _add_hardware(sub)
    from qml.bench_cli import add_bench_command
    from qml.design_cli import add_design_command
    from qml.predict import add_predict_command
    from qml.sweep_cli import add_sweep_commands
    from qml.tune_cli import add_tune_command

    add_predict_command(sub)
    add_sweep_commands(sub)
    add_tune_command(sub)
    add_design_command(sub)
    add_bench_command(sub)
    return p


def _add_hardware(sub: Any) -> None:
    """Attach ``submit``, ``jobs`` and ``budget`` from :mod:`qml.hardware_cli` when it is available."""
    try:
        from qml.hardware_cli import add_hardware_commands
    except ImportError:  # pragma: no cover - optional module
        return
    try:
        add_hardware_commands(sub)
    except Exception as err:  # pragma: no cover - a broken optional module must not break the CLI
        log.warning("hardware commands unavailable: %s", err)


# -- output helpers ------------------------------------------------------------------------
def _result_table(title: str, rows: list[tuple[str, Any]]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column("quantity", style="bold")
    table.add_column("value")
    for k, val in rows:
        table.add_row(escape(k), escape(_fmt(val)))
    return table


def _vqe_rows(res: Any) -> list[tuple[str, Any]]:
    unit = f" ({res.energy_unit})" if res.energy_unit else ""
    return [
        ("problem", res.problem),
        ("ansatz", f"{res.ansatz}" + (f", {res.layers} layers" if res.layers else "")),
        ("parameters", res.n_params),
        ("optimizer", res.optimizer),
        ("energy" + unit, res.energy),
        ("exact" + unit, res.exact_energy),
        ("abs error", res.abs_error),
        ("rel error", res.rel_error),
        ("fidelity", res.fidelity),
        ("ground level", _level(res)),
        ("reachable", _reachable(res)),
        ("evaluations", res.n_evals),
        ("seed", res.seed),
        ("time (s)", round(res.timings.get("total", 0.0), 3)),
    ]


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show library warnings (e.g. an ansatz that cannot reach the ground space) as one plain line each."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        from rich.markup import escape

        warnings.showwarning = lambda message, *_a, **_k: _console(stderr=True).print(
            f"[yellow]qml: warning:[/] {escape(str(message))}")
        yield


def _reachable(res: Any) -> str | None:
    if res.reachable is None:
        return None
    return "yes" if res.reachable else f"NO: {res.reachability}"


def _level(res: Any) -> str | None:
    """``"Sz = 0, 1-fold"``: the exact ground level's sector and degeneracy."""
    deg = res.extra.get("degeneracy")
    if res.sector is None and deg is None:
        return None
    return ", ".join(x for x in (res.sector, None if deg is None else f"{deg}-fold") if x)


def _depth_table(res: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"depth search: stopped ({res.extra['depth_stop']}) at {res.layers} layers",
                  title_justify="left")
    for col in ("layers", "params", "energy", "rel error", "fidelity", "evals", "s"):
        table.add_column(col)
    for h in res.extra["depth_history"]:
        table.add_row(str(h["layers"]), str(h["n_params"]), _fmt(h["energy"]), _fmt(h["rel_error"]),
                      _fmt(h["fidelity"]), str(h["n_evals"]), f"{h['seconds']:.2f}")
    return table


def _observables_table(obs: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="observables (spin units S = sigma/2; entropies in nats)", title_justify="left")
    compared = all(isinstance(v, dict) for v in obs.values())
    for col in ("observable", "VQE", *(("exact", "abs error") if compared else ())):
        table.add_column(col)
    for name, v in obs.items():
        if compared:
            table.add_row(name, _fmt_obs(v["value"]), _fmt_obs(v["exact"]), _fmt(v["abs_error"]))
        else:
            table.add_row(name, _fmt_obs(v))
    return table


def _fmt_obs(v: Any) -> str:
    return "[" + ", ".join(f"{x:.4f}" for x in v) + "]" if isinstance(v, list) else _fmt(float(v))


class _Progress:
    """A rich progress bar on stderr fed by the optimiser callback."""

    def __init__(self, total: int | None, label: str) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[energy]}"),
            TimeElapsedColumn(), console=_console(stderr=True), transient=True,
        )
        self.task = self.progress.add_task(label, total=total, energy="")

    def __enter__(self) -> _Progress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def step(self, step: int, energy: float, weights: Any = None) -> None:
        self.progress.update(self.task, advance=1, energy=f"E = {energy:.10f}")

    def point(self, index: int, value: float, res: Any) -> None:
        self.progress.update(self.task, description=f"point {index + 1} ({value:g})")


# -- commands ------------------------------------------------------------------------------
def _problem_params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for flag, key in _PARAM_FLAGS.items():
        val = getattr(args, f"p_{flag}")
        if val is not None:
            params[key] = val
    if args.p_periodic is not None:
        params["periodic"] = args.p_periodic
    for item in args.param:
        if "=" not in item:
            raise CLIError(f"--param expects KEY=VALUE, got {item!r}")
        k, val = item.split("=", 1)
        params[k.strip()] = _parse_value(val.strip())
    return params


def _cmd_vqe(args: argparse.Namespace) -> int:
    import torch

    from qml.optimize import Interrupted, vqe
    from qml.optimize.optimizers import OPTIMIZERS
    from qml.problems import get_problem
    from qml.simulator import Simulator

    if args.optimizer.lower() not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {args.optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
    if args.dtype not in ("complex128", "complex64"):
        raise CLIError(f"unknown dtype {args.dtype!r}; valid choices: complex128, complex64")
    problem = get_problem(args.problem, **_problem_params(args))
    sim = Simulator(dtype=torch.complex128 if args.dtype == "complex128" else torch.complex64)
    if args.states is not None:
        return _excited(args, problem, sim)
    depth = None
    if args.target_error is not None:
        from qml.optimize.depth import DepthSearch

        if args.layers != "auto":
            raise CLIError("--target-error applies to --layers auto only")
        depth = DepthSearch(target_rel_error=args.target_error)
    total = None if args.layers == "auto" else args.steps
    executor = None
    if args.workers > 1 or args.scheduler:
        if args.restarts < 2:
            raise CLIError("--workers / --scheduler run the --restarts in parallel; give --restarts >= 2")
        executor = executor_from_args(args)
    interrupted = False
    try:
        with _Progress(None if executor else total, f"VQE {problem.name}") as bar, _warnings_to_stderr():
            res = vqe(problem, args.optimizer, args.steps, args.lr, args.seed, None,
                      None if executor else bar.step, args.tol, ansatz=args.ansatz, layers=args.layers,
                      simulator=sim, shots=args.shots, restarts=args.restarts, depth=depth,
                      strict=args.strict, observables=args.observables, executor=executor,
                      checkpoint=args.checkpoint, resume=args.resume)
    except Interrupted as stop:
        res, interrupted = stop.result, True
    except KeyboardInterrupt:
        print("qml: interrupted before any energy was evaluated; nothing to save", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if executor is not None:
            executor.close()
    con = _console()
    con.print(_result_table("VQE result", _vqe_rows(res)))
    if "depth_history" in res.extra:
        con.print(_depth_table(res))
    if args.observables:
        con.print(_observables_table(res.extra["observables"]))
    if args.out:
        res.save(args.out)
        con.print(f"saved {args.out}")
    if args.plot:
        from qml.experiment import plot_result

        plot_result(res, args.plot)
        con.print(f"wrote {args.plot}")
    if interrupted:
        saved = f"; the best result so far is in {args.out}" if args.out else " (give --out to keep it)"
        print(f"qml: interrupted{saved}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _excited(args: argparse.Namespace, problem: Any, sim: Any) -> int:
    """``qml vqe --states K``: the K lowest states by VQD or SSVQE, with levels against ED."""
    from rich.table import Table

    from qml.optimize import ssvqe, vqd

    if args.states < 1:
        raise CLIError(f"--states must be >= 1, got {args.states}")
    if args.layers == "auto" or args.observables or args.shots is not None:
        raise CLIError("--states cannot be combined with --layers auto, --observables or --shots")
    run = vqd if args.method == "vqd" else ssvqe
    kwargs = {"steps": args.steps} if args.steps != 200 else {}  # the methods' own default otherwise
    label = f"{args.method.upper()} {problem.name}, {args.states} states"
    with _Progress(None, label), _warnings_to_stderr():
        res = run(problem, args.states, ansatz=args.ansatz, layers=args.layers, optimizer=args.optimizer,
                  lr=args.lr, tol=args.tol, seed=args.seed, restarts=args.restarts, simulator=sim, **kwargs)
    con = _console()
    unit = f" ({res.energy_unit})" if res.energy_unit else ""
    title = f"{args.method.upper()}: {res.problem}, {res.ansatz} x{res.layers}"
    table = Table(title=title, title_justify="left")
    for col in ("state", "sector", "energy" + unit, "exact" + unit, "rel error", "fidelity"):
        table.add_column(col)
    for row in res.summary():
        table.add_row(str(row["state"]), str(row["sector"]), _fmt(row["energy"]), _fmt(row["exact"]),
                      _fmt(row["rel_error"]), _fmt(row["fidelity"]))
    con.print(table)
    levels = Table(title="levels (found vs exact, degeneracy within the sectors searched)",
                   title_justify="left")
    for col in ("level", "found", "states", "exact", "exact degeneracy", "sectors"):
        levels.add_column(col)
    for i, exact in enumerate(res.exact_levels):
        found = res.levels[i] if i < len(res.levels) else None
        count = res.level_degeneracies[i] if i < len(res.level_degeneracies) else 0
        sectors = ", ".join(f"{v:g}" for v in res.level_sectors[i]) if i < len(res.level_sectors) else ""
        degeneracy = str(res.exact_level_degeneracies[i])
        levels.add_row(str(i), _fmt(found), str(count), _fmt(exact), degeneracy, sectors)
    con.print(levels)
    con.print(f"time {res.timings.get('total', 0.0):.1f} s, max rel error {_fmt(res.max_rel_error)}")
    if args.out:
        res.save(args.out)
        con.print(f"saved {args.out}")
    return 0


def _file_method(path: str) -> str | None:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f).get("method")
    except (OSError, tomllib.TOMLDecodeError):
        return None  # load_experiment reports the problem properly


def _cmd_run(args: argparse.Namespace) -> int:
    from qml.experiment import load_experiment, plot_result, run_experiment
    from qml.optimize.results import SweepResult

    if _file_method(args.file) == "predict":  # wavefunction-prediction files run through qml.predict
        from qml.predict import main as predict_main

        extra = [f"--{k}={v}" for k in ("out", "plot") if (v := getattr(args, k, None))]
        return predict_main(["--config", str(args.file), *(["--quick"] if args.quick else []), *extra])
    exp = load_experiment(args.file, quick=args.quick)
    total = len(exp.sweep_values()) if exp.method == "sweep" else None
    with _Progress(total, f"{exp.name}") as bar:
        out = run_experiment(exp, callback=bar.step, point_callback=bar.point if total else None)
    con = _console()
    res = out.result
    if isinstance(res, SweepResult):
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=escape(f"{exp.name}: {res.param} sweep"), title_justify="left")
        for col in (res.param, "energy", "exact", "abs error", "fidelity", "evals"):
            table.add_column(col)
        for v, r in zip(res.values, res.results):
            table.add_row(_fmt(v), _fmt(r.energy), _fmt(r.exact_energy), _fmt(r.abs_error), _fmt(r.fidelity),
                          _fmt(r.n_evals))  # numbers only: no markup to escape
        con.print(table)
    elif res is not None and res.kind == "adapt":
        rows = [("problem", res.problem), ("pool", f"{res.pool} ({res.pool_size} operators)"),
                ("operators", ", ".join(res.selected)), ("parameters", res.n_params), ("energy", res.energy),
                ("exact", res.exact_energy), ("abs error", res.abs_error), ("fidelity", res.fidelity),
                ("time (s)", round(res.timings.get("total", 0.0), 3))]
        con.print(_result_table(f"{exp.name}: ADAPT-VQE", rows))
    elif res is not None:
        con.print(_result_table(f"{exp.name}: VQE", _vqe_rows(res)))
    from rich.markup import escape

    for c in out.checks:
        con.print(("[green]PASS[/green] " if c.passed else "[red]FAIL[/red] ") + escape(c.describe()))
    status = "passed" if out.passed else "FAILED"
    con.print(escape(f"{exp.name}: {status}" + (" (quick mode)" if exp.quick else "")))
    if args.out:
        out.save(args.out)
        con.print(f"saved {args.out}")
    if args.plot:
        plot_result(out, args.plot)
        con.print(f"wrote {args.plot}")
    return 0 if out.passed else 1


def _cmd_problems(args: argparse.Namespace) -> int:
    from rich.table import Table

    from qml.problems import PROBLEMS

    table = Table(title="problems (qml vqe --problem NAME)", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("description")
    table.add_column("parameters (defaults)")
    for name, spec in PROBLEMS.items():
        params = ", ".join(f"{k}={v}" for k, v in spec.defaults.items() if v is not None)
        table.add_row(name, spec.description, params)
    _console().print(table)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    import importlib.metadata as md

    import torch

    import qml

    rows: list[tuple[str, Any]] = [("qml", qml.__version__), ("python", platform.python_version()),
                                   ("platform", platform.platform())]
    for dist in ("torch", "numpy", "scipy", "pennylane", "qiskit", "qiskit-aer", "qiskit-ibm-runtime",
                 "matplotlib", "rich"):
        try:
            rows.append((dist, md.version(dist)))
        except md.PackageNotFoundError:
            rows.append((dist, "not installed"))
    cuda = torch.cuda.is_available()
    rows.append(("CUDA available", cuda))
    if cuda:
        rows.append(("CUDA device", torch.cuda.get_device_name(0)))
    rows.extend(thread_report())
    _console().print(_result_table("qml environment", rows))
    return 0


def thread_report() -> list[tuple[str, Any]]:
    """Threads and math libraries: torch intra/inter-op, OpenMP, MKL, NumPy's BLAS, the thread variables.

    Example:
        >>> dict(thread_report())["torch threads"] >= 1
        True
    """
    import os
    import re

    import numpy as np
    import torch

    rows: list[tuple[str, Any]] = [("torch threads", torch.get_num_threads()),
                                   ("torch inter-op threads", torch.get_num_interop_threads())]
    info = torch.__config__.parallel_info()
    for label, pattern in (("OpenMP threads (torch)", r"omp_get_max_threads\(\) : (\d+)"),
                           ("MKL threads (torch)", r"mkl_get_max_threads\(\) : (\d+)"),
                           ("torch parallel backend", r"ATen parallel backend: (.+)")):
        m = re.search(pattern, info)
        if m:
            rows.append((label, m.group(1).strip()))
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        rows.append(("NumPy BLAS", f"{blas.get('name', '?')} {blas.get('version', '')}".strip()))
    except (KeyError, TypeError, ValueError):  # older NumPy layouts
        rows.append(("NumPy BLAS", "unknown"))
    env = [f"{v}={os.environ[v]}" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
           if v in os.environ]
    rows.append(("thread variables", ", ".join(env) if env else "none set"))
    return rows


def _check_out(args: argparse.Namespace) -> None:
    """Fail before the work, not after it, when ``--out`` / ``--plot`` cannot be written."""
    import os
    from pathlib import Path

    for flag in ("out", "plot"):
        value = getattr(args, flag, None)
        if not isinstance(value, str) or not value:
            continue
        target = Path(value).expanduser()
        folder = target if (flag == "out" and args.command == "sweep") else target.parent
        folder.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and folder is not target:
            raise CLIError(f"--{flag} {value} is a directory; give a file name")
        if not os.access(folder, os.W_OK):
            raise CLIError(f"--{flag} {value}: the folder {folder} is not writable")


def run_demo(seed: int = 0) -> Any:
    """The demo run: TFIM on a 6-site ring (h = 1), HVA with 3 layers, L-BFGS.

    Example:
        >>> run_demo().rel_error < 1e-6
        True
    """
    from qml.optimize import vqe
    from qml.problems import get_problem

    return vqe(get_problem("tfim", n=6, h=1.0), "lbfgs", steps=300, seed=seed, layers=3, restarts=3)


def _cmd_demo(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    res = run_demo(args.seed)
    con = _console()
    con.print("6-qubit transverse-field Ising ring (h = J = 1), Hamiltonian variational ansatz (3 layers), "
              "L-BFGS, noise-free complex128 simulator")
    con.print(_result_table("demo: VQE vs exact diagonalisation", _vqe_rows(res)))
    seconds = time.perf_counter() - t0
    con.print(f"energy {res.energy:.10f}  exact {res.exact_energy:.10f}  error {res.abs_error:.2e} "
              f"(relative {res.rel_error:.2e}), fidelity {res.fidelity:.8f}, {seconds:.1f} s")
    return 0


_COMMANDS = {
    "vqe": _cmd_vqe,
    "run": _cmd_run,
    "problems": _cmd_problems,
    "info": _cmd_info,
    "demo": _cmd_demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qml`` command; returns the exit status.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Example:
        >>> main(["vqe", "--problem", "nope"])
        2
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except CLIError as err:
        print(f"qml: error: {err}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help
        return int(exit_.code or 0)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG if args.verbose > 1 else logging.INFO,
                            format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        _check_out(args)
        if args.command in _COMMANDS:
            return _COMMANDS[args.command](args)
        if not callable(getattr(args, "func", None)):
            raise CLIError(f"'qml {args.command}' needs a sub-command (see 'qml {args.command} --help')")
        return int(args.func(args))  # commands attached by other modules (qml.hardware_cli)
    except ModuleNotFoundError as err:
        extra = MISSING_EXTRAS.get((err.name or "").split(".")[0])
        if extra is None:
            raise
        print(
            f"qml: error: 'qml {args.command}' needs {err.name}, which is not installed; "
            f"install it with: pip install 'qml-circuits[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
            PermissionError) as err:
        if args.verbose:
            log.exception("qml %s failed", args.command)
        where = f": {err.filename}" if err.filename else ""
        print(f"qml: error: {err.strerror or err}{where} (check the path and its permissions)",
              file=sys.stderr)
        return 2
    except (CLIError, ValueError) as err:
        if args.verbose:
            log.exception("qml %s failed", args.command)
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"qml: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
