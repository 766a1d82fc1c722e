"""The ``qml`` command: VQE runs, experiment files, environment info and a demo.

Commands::

    qml vqe --problem tfim --n 8 --h 1.0 --ansatz hva --layers 4 \\
            [--optimizer lbfgs --steps 200 --seed 0 --out result.json --plot conv.png]
    qml run circuits/tfim8_hva.toml [--quick] [--out result.json] [--plot curve.png]
    qml problems                      # the problem registry with parameters
    qml info                          # versions, CUDA, threads
    qml demo                          # 6-qubit TFIM VQE against the exact energy (a few seconds)
    qml submit | jobs | budget        # IBM hardware commands, from qml.apps.hardware when present
    qml bench w1|w2|w3|all [--quick]  # simulator benchmarks vs PennyLane and Aer (qml.apps.bench)

Errors (unknown problems, options, bad files) print one line ``qml: error: ...`` naming
the valid choices and exit with status 2; ``qml run`` exits 1 when a declared check fails.
Long runs report progress on stderr (:class:`ProgressBar`): ``qml vqe`` the restart r/K, its
evaluations, the energy, the best energy's error against the exact one and an upper-bound ETA;
``qml run`` the same, or sweep points with the last and worst error; results go to stdout.

Result files: every ``--out`` of a command that computes something is a result record that
:func:`qml.optimize.load_result` reads back in a fresh process: ``qml vqe`` writes ``vqe``
(``excited`` with ``--states``), ``qml run`` an ``experiment`` (the method's record with the
checks; predict files too), ``qml predict`` ``predict`` (presets) or ``prediction``
(``--vary``), ``qml design`` ``design``, ``qml tune`` ``tune``, ``qml sweep --out DIR`` one
``vqe`` per task (``task-failure`` for a failed one). ``qml jobs results --out`` (raw result
arrays) and ``qml bench`` (benchmark tables) write data files, not records.

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
import traceback
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, Literal, NoReturn

from qml.errors import ConfigError, QMLError
from qml.tables import parse_value

__all__ = ["CLIError", "main"]

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


#: Exit status of an unexpected exception (a bug in the package, not in the input).
INTERNAL_ERROR = 3


class CLIError(QMLError):
    """A usage error: printed as one line, exit status 2.

    Example:
        >>> str(CLIError("unknown dtype 'x'"))
        "unknown dtype 'x'"
    """


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and no ``sys.exit`` in library code."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(
            f"{message} (see 'qml {self.prog.split()[-1]} --help')"
            if " " in self.prog
            else f"{message} (see 'qml --help')"
        )


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
    "pennylane": "pennylane",
    "qiskit": "qiskit",
    "qiskit_aer": "qiskit",
    "qiskit_ibm_runtime": "ibm",
    "matplotlib": "plot",
    "pyscf": "chem",
    "dask": "dask",
    "distributed": "dask",
    "dask_jobqueue": "dask",
    "optuna": "tune",
    "openfermion": "openfermion",
    "quimb": "dmrg",
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
            raise ConfigError(f"{flag} {item!r}: expected KEY=VALUE, e.g. {example}")
        out[key.strip()] = parse_value(value.strip())
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


def _build_parser() -> _Parser:
    from qml.optimize.optimizers import OPTIMIZERS

    p = _Parser(prog="qml", description="Variational quantum circuits for physics research.")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv for debug)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    v = sub.add_parser("vqe", help="run VQE on a registered problem")
    v.add_argument("--problem", required=True, help="problem name (see 'qml problems')")
    for flag in _PARAM_FLAGS:
        v.add_argument(
            f"--{flag.replace('_', '-')}",
            dest=f"p_{flag}",
            type=parse_value,
            default=None,
            metavar=_PARAM_HELP.get(flag, ("X", ""))[0],
            help=argparse.SUPPRESS
            if flag in ("J1", "units", "active_electrons")
            else _PARAM_HELP.get(flag, ("X", None))[1],
        )
    bc = v.add_mutually_exclusive_group()
    bc.add_argument(
        "--periodic",
        dest="p_periodic",
        action="store_const",
        const=True,
        default=None,
        help="periodic boundaries (spin models; default)",
    )
    bc.add_argument("--open", dest="p_periodic", action="store_const", const=False, help="open boundaries")
    v.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other problem parameter, e.g. --param J2=0.3",
    )
    v.add_argument("--ansatz", default=None, help="ansatz name (problem default if omitted)")
    v.add_argument(
        "--layers",
        type=_layers,
        default=None,
        help="ansatz layers, or 'auto': grow layer by layer until rel error <= 1e-3 and "
        "ground-space fidelity >= 0.99 (see --target-error)",
    )
    v.add_argument(
        "--target-error",
        type=float,
        default=None,
        help="with --layers auto: the relative energy error to reach (default 1e-3)",
    )
    v.add_argument(
        "--observables",
        action="store_true",
        help="print correlations, S^2, S(pi) and entanglement entropies beside their exact values",
    )
    v.add_argument(
        "--states",
        type=int,
        default=None,
        metavar="K",
        help="the K lowest states (excited states), sector by sector, against exact diagonalisation",
    )
    v.add_argument(
        "--method",
        default="vqd",
        choices=("vqd", "ssvqe"),
        help="excited-state method with --states: variational deflation or subspace search",
    )
    v.add_argument(
        "--strict",
        action="store_true",
        help="fail (instead of warn) when the ansatz cannot reach the ground space",
    )
    v.add_argument("--optimizer", default="lbfgs", help=f"one of: {', '.join(OPTIMIZERS)}")
    v.add_argument("--steps", type=int, default=200, help="maximum iterations")
    v.add_argument("--lr", type=float, default=None, help="learning rate / step scale")
    v.add_argument("--tol", type=float, default=None, help="optimiser tolerance")
    v.add_argument("--seed", type=int, default=0, help="random seed")
    v.add_argument("--restarts", type=int, default=1, help="seeds to try (best kept)")
    v.add_argument("--shots", type=int, default=None, help="shot-noise energies for gradient-free optimisers")
    v.add_argument("--dtype", default="complex128", help="complex128 or complex64")
    add_simulator_arguments(v)
    v.add_argument(
        "--checkpoint",
        default=None,
        help="save the optimiser state here (every 10 steps with adam/sgd, and on Ctrl-C)",
    )
    v.add_argument("--resume", action="store_true", help="continue from --checkpoint when it exists")
    v.add_argument("--workers", type=int, default=1, help="run the --restarts on N local worker processes")
    v.add_argument("--scheduler", default=None, help="run the --restarts on a Dask scheduler tcp://host:8786")
    v.add_argument(
        "--out",
        default=None,
        help="write the result as JSON: a 'vqe' record ('excited' with --states) that "
        "qml.optimize.load_result reads",
    )
    v.add_argument("--plot", default=None, help="write a convergence plot (PNG)")

    r = sub.add_parser("run", help="run an experiment file (circuits/*.toml)")
    r.add_argument("file", help="the experiment file")
    r.add_argument("--quick", action="store_true", help="apply the file's [quick] overrides")
    r.add_argument(
        "--out",
        default=None,
        help="write the result and its checks as JSON: an 'experiment' record that "
        "qml.optimize.load_result reads",
    )
    r.add_argument("--plot", default=None, help="write a plot (PNG)")

    sub.add_parser("problems", help="list the registered problems and their parameters")
    sub.add_parser("info", help="versions, CUDA availability, threads")
    d = sub.add_parser("demo", help="6-qubit TFIM VQE against exact diagonalisation")
    d.add_argument("--seed", type=int, default=0, help="random seed")
    _add_hardware(sub)
    from qml.apps.bench import add_bench_command
    from qml.apps.design import add_design_command
    from qml.apps.predict import add_predict_command
    from qml.apps.sweep import add_sweep_commands
    from qml.apps.tune import add_tune_command

    add_predict_command(sub)
    add_sweep_commands(sub)
    add_tune_command(sub)
    add_design_command(sub)
    add_bench_command(sub)
    return p


def _add_hardware(sub: Any) -> None:
    """Attach ``submit``, ``jobs`` and ``budget`` from :mod:`qml.apps.hardware` when it is available."""
    try:
        from qml.apps.hardware import add_hardware_commands
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
        ("exact by", _exact_by(res)),
        ("simulator", _simulator_row(res)),
        ("evaluations", res.n_evals),
        ("seed", res.seed),
        ("time (s)", round(res.timings.get("total", 0.0), 3)),
    ]


def _exact_by(res: Any) -> str | None:
    """How the reference was computed, and what the fidelity compares with, when it is not plain ED."""
    method = res.extra.get("exact_method")
    if method in (None, "ed", "closed-form"):
        return None
    to = res.extra.get("fidelity_to")
    return method + (f" (fidelity with the {to})" if to else " (energy only)")


def _simulator_row(res: Any) -> str | None:
    """``mps: bond 64 (used 23), truncation 1.2e-09`` for MPS runs; nothing for the statevector."""
    m = res.extra.get("mps")
    if not m:
        return None
    return (
        f"mps: bond_dim {m['bond_dim']} (largest used {m['max_bond']}), discarded weight "
        f"{m['truncation_error']:.1e}, energy error bound {m['energy_error_bound']:.1e}"
    )


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    """Show library warnings (e.g. an ansatz that cannot reach the ground space) as one plain line each."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        from rich.markup import escape

        warnings.showwarning = lambda message, *_a, **_k: _console(stderr=True).print(
            f"[yellow]qml: warning:[/] {escape(str(message))}"
        )
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

    table = Table(
        title=f"depth search: stopped ({res.extra['depth_stop']}) at {res.layers} layers",
        title_justify="left",
    )
    for col in ("layers", "params", "energy", "rel error", "fidelity", "evals", "s"):
        table.add_column(col)
    for h in res.extra["depth_history"]:
        table.add_row(
            str(h["layers"]),
            str(h["n_params"]),
            _fmt(h["energy"]),
            _fmt(h["rel_error"]),
            _fmt(h["fidelity"]),
            str(h["n_evals"]),
            f"{h['seconds']:.2f}",
        )
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


#: Seconds between two plain progress lines when stderr is not a terminal (a log file, a pipe).
PROGRESS_INTERVAL = 15.0


def _clock(seconds: float) -> str:
    """``H:MM:SS``, as rich's time columns show it."""
    s = max(0, round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _status_value(key: str, value: Any) -> str:
    """Errors in ``1.23e-04`` form, fidelities with 6 decimals, other numbers as in the result tables."""
    if isinstance(value, float):
        if "err" in key:
            return f"{value:.2e}"
        if "fidelity" in key:
            return f"{value:.6f}"
    return _fmt(value)


class ProgressBar:
    """Progress of a long command on stderr: a rich bar in a terminal, plain lines otherwise.

    One line holds the description, ``done/total unit``, the status numbers (``E = ...``,
    ``error vs exact = ...``), the elapsed time and the ETA: the caller's estimate when it gives
    one, else elapsed / done x remaining. ``bound=True`` marks the total as an upper bound (an
    evaluation budget an optimiser may not use up): the ETA then reads ``ETA <= ...``. Outside a
    terminal (a log file, a pipe, a batch job) a plain line is written at most every
    :data:`PROGRESS_INTERVAL` seconds, at each ``milestone=True`` update, when a stage ends
    (:meth:`start`) and once at the end; nothing after an error. The callback adapters
    :meth:`stage` (the ``progress(stage, done, total, info)`` of ``qml predict``) and
    :meth:`epoch` (``progress(epoch, logs)`` of :func:`qml.models.training.fit`) drive it.

    Example:
        >>> import io
        >>> from rich.console import Console
        >>> con = Console(file=io.StringIO(), width=200)
        >>> with ProgressBar("fit", 4, unit="epochs", console=con) as bar:
        ...     bar.update(completed=2, status={"loss": 0.5})
        ...     bar.line(final=False).startswith("fit: 2/4 epochs, loss = 0.5, 0:00:00 elapsed, ETA 0:00:0")
        True
        >>> con.file.getvalue().strip().startswith("fit: 2/4 epochs, loss = 0.5")
        True
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "",
        bound: bool = False,
        count: bool = True,
        console: Any = None,
        transient: bool = True,
    ) -> None:
        self.console = console if console is not None else _console(stderr=True)
        self.description = label
        self.total = total
        self.completed = 0
        self.unit = unit
        self.bound = bound
        self.count = count
        self.status: dict[str, Any] = {}
        self._eta: tuple[float, float] | None = None  # (seconds left, when it was given)
        self._stage_t0 = self._last_line = time.perf_counter()
        self._dirty = False
        self._stage_lines = self._base = 0
        self.live = bool(self.console.is_terminal)
        self.progress: Any = None
        if self.live:
            from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
            from rich.text import Text

            bar = self

            class _Fields(ProgressColumn):
                def render(self, task: Any) -> Text:
                    return Text(bar.fields())

            class _Eta(ProgressColumn):
                def render(self, task: Any) -> Text:
                    return Text(bar.eta_text(), style="progress.remaining")

            self.progress = Progress(
                TextColumn("{task.description}", markup=False, style="bold"),
                BarColumn(),
                _Fields(),
                TimeElapsedColumn(),
                _Eta(),
                console=self.console,
                transient=transient,
            )
            self.task = self.progress.add_task(label, total=total)

    def __enter__(self) -> ProgressBar:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop(final_line=exc_type is None)

    def stop(self, final_line: bool = True) -> None:
        """End the bar: write the last line (in a terminal only a staged bar's last stage), clear the bar."""
        if final_line and self._dirty and (not self.live or self._stage_lines):
            self._emit(final=True)
        self._dirty = False
        if self.progress is not None:
            self.progress.stop()

    # -- state -------------------------------------------------------------------------------
    def start(
        self,
        description: str,
        total: int | None = None,
        *,
        unit: str | None = None,
        bound: bool = False,
        completed: int = 0,
    ) -> None:
        """A new stage: the finished one is written as a line (in a terminal too, above the bar).

        ``completed``: where the count starts (a resumed run); the ETA counts from there.
        """
        if self._dirty:
            self._emit(final=True)
            self._stage_lines += 1
        self.description, self.total, self.completed, self.bound = description, total, completed, bound
        self._base = completed
        self.unit = self.unit if unit is None else unit
        self.status, self._eta, self._dirty = {}, None, False
        self._stage_t0 = time.perf_counter()
        if self.progress is not None:  # the elapsed column counts from the stage's start
            self.progress.reset(self.task, total=total, description=description)

    def update(
        self,
        *,
        completed: int | None = None,
        advance: int = 0,
        total: int | Literal["keep"] | None = "keep",
        description: str | None = None,
        status: dict[str, Any] | None = None,
        eta: float | None = None,
        milestone: bool = False,
    ) -> None:
        """Move the bar; ``status`` entries are merged (``None`` removes one).

        ``eta``: the caller's estimate of the seconds left, for this update (``None``: from the
        rate); ``milestone``: outside a terminal, write the line now.
        """
        if completed is not None:
            self.completed = int(completed)
        self.completed += advance
        if total != "keep":
            self.total = None if total is None else int(total)
        if description is not None:
            self.description = description
        for k, v in (status or {}).items():
            if v is None:
                self.status.pop(k, None)
            else:
                self.status[k] = v
        self._eta = None if eta is None else (float(eta), time.perf_counter())
        self._dirty = True
        self._refresh()
        if not self.live and (milestone or time.perf_counter() - self._last_line >= PROGRESS_INTERVAL):
            self._emit(final=False)

    # -- text --------------------------------------------------------------------------------
    def eta(self) -> float | None:
        """Seconds left: the caller's estimate, else the stage's rate times what is left (None: unknown)."""
        now = time.perf_counter()
        if self._eta is not None:
            return max(0.0, self._eta[0] - (now - self._eta[1]))
        if self.total and self.completed > self._base:
            per_unit = (now - self._stage_t0) / (self.completed - self._base)
            return per_unit * max(0, self.total - self.completed)
        return None

    def eta_text(self) -> str:
        """``ETA 0:01:20``, ``ETA <= 0:01:20`` (an upper bound) or ``""`` when unknown."""
        left = self.eta()
        return "" if left is None else f"ETA {'<= ' if self.bound else ''}{_clock(left)}"

    def fields(self) -> str:
        """``done/total unit`` and the status numbers, comma-separated."""
        parts = []
        if self.count and self.total is not None:
            parts.append(f"{self.completed}/{self.total}" + (f" {self.unit}" if self.unit else ""))
        elif self.count and self.completed:
            parts.append(f"{self.completed}" + (f" {self.unit}" if self.unit else ""))
        parts.extend(f"{k} = {_status_value(k, v)}" for k, v in self.status.items())
        return ", ".join(parts)

    def line(self, final: bool = False) -> str:
        """The plain line: description, fields, elapsed time and (unless ``final``) the ETA."""
        elapsed = _clock(time.perf_counter() - self._stage_t0)
        tail = [f"{elapsed} elapsed"] + ([] if final or not self.eta_text() else [self.eta_text()])
        return f"{self.description}: " + ", ".join(x for x in (self.fields(), *tail) if x)

    def _emit(self, final: bool) -> None:
        self._last_line, self._dirty = time.perf_counter(), False
        target = self.progress.console if self.progress is not None else self.console
        target.print(self.line(final=final), markup=False, highlight=False, soft_wrap=True)

    def _refresh(self) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task, description=self.description, total=self.total, completed=self.completed
            )

    # -- callback adapters -------------------------------------------------------------------
    def stage(self, stage: str, done: int, total: int | None, info: dict[str, Any] | None = None) -> None:
        """``progress(stage, done, total, info)`` of ``qml predict``: a new ``stage`` (or a count that starts
        again) starts a new bar.

        ``info`` holds numbers to show (``loss``, ``mean_fidelity``, ``max_rel_error``...; names are
        shown with spaces), ``bound: True`` when ``total`` is an upper bound and ``unit``.
        """
        info = dict(info or {})
        bound = bool(info.pop("bound", False))
        unit = info.pop("unit", None)
        if stage != self.description or done < self.completed:
            self.start(stage, total, unit=unit or "", bound=bound)
        if unit is not None:
            self.unit = unit
        self.update(completed=done, total=total, status={k.replace("_", " "): v for k, v in info.items()})

    def epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        """``progress(epoch, logs)`` of :func:`qml.models.training.fit`: epoch i/N, losses, ETA."""
        if self.unit != "epochs" or self.total != logs.get("epochs", self.total) or epoch <= self.completed:
            self.start(self.description, logs.get("epochs"), unit="epochs", completed=epoch - 1)
        keys = ("train_loss", "val_loss", "val_metric")
        self.update(completed=epoch, status={k.replace("_", " "): logs.get(k) for k in keys})


class _VQEProgress:
    """Feeds a :class:`ProgressBar` from :func:`qml.optimize.vqe`'s ``callback`` and ``restart_callback``.

    In this process: ``restart r/K``, the restart's evaluations, the current energy, the best
    energy's error against the exact reference (when :func:`vqe` has one) and an ETA that is an
    upper bound: the seconds per evaluation so far times the evaluations left in the budget
    (:func:`~qml.optimize.optimizers.max_evaluations` per restart). On an executor: restarts
    done / total with the best energy, its error and a rate ETA.
    """

    def __init__(
        self, bar: ProgressBar, label: str, restarts: int, budget: int | None, parallel: bool
    ) -> None:
        self.bar, self.label, self.restarts, self.budget = bar, label, restarts, budget
        self.parallel = parallel
        self.done = self.evals = self.in_restart = 0
        self.best: float | None = None
        self.exact: float | None = None
        self.current: float | None = None
        self.t0: float | None = None
        self.next_label: str | None = None
        if parallel:
            bar.start(f"{label} on workers", restarts, unit="restarts")
        else:
            bar.count = False
            bar.start(label, None if budget is None else restarts * budget, bound=budget is not None)

    def _error(self) -> float | None:
        return None if self.best is None or self.exact is None else abs(self.best - self.exact)

    def restart(self, done: int, total: int, energy: float | None, exact: float | None) -> None:
        """``restart_callback(done, restarts, energy, exact)`` of :func:`vqe`."""
        if self.t0 is None:
            self.t0 = time.perf_counter()
        self.exact = exact if exact is not None else self.exact
        if energy is not None:
            self.best = energy if self.best is None else min(self.best, energy)
        if self.parallel:
            self.bar.update(
                completed=done,
                status={"best E": self.best, "error vs exact": self._error()},
                milestone=done > 0,
            )
            return
        self.done = done
        if done > 0:  # the finished restart's line, then the next one's description
            self.current = energy
            self._show(milestone=True)
        self.in_restart = 0
        if done < total:  # shown from the next restart's first evaluation (vqe may stop early)
            self.next_label = self.label + (f", restart {done + 1}/{total}" if total > 1 else "")

    def step(self, step: int, energy: float, weights: Any = None) -> None:
        """``callback(step, energy, weights)`` of :func:`vqe`."""
        if self.t0 is None:
            self.t0 = time.perf_counter()
        self.evals += 1
        self.in_restart = step
        self.current = energy
        if self.next_label is not None:
            self.bar.update(description=self.next_label)
            self.next_label = None
        self.best = energy if self.best is None else min(self.best, energy)
        self._show()

    def _show(self, milestone: bool = False) -> None:
        status = {"evaluations": self.in_restart, "E": self.current, "error vs exact": self._error()}
        if self.budget is None:
            self.bar.update(status=status, milestone=milestone)
            return
        running = self.done < self.restarts and not milestone
        used = self.done * self.budget + (min(self.in_restart, self.budget) if running else 0)
        eta = None
        if self.evals and self.t0 is not None:
            per_eval = (time.perf_counter() - self.t0) / self.evals
            eta = per_eval * max(0, self.restarts * self.budget - used)
        self.bar.update(completed=used, status=status, eta=eta, milestone=milestone)


class _SweepProgress:
    """Feeds a :class:`ProgressBar` from :func:`qml.optimize.vqe_sweep`: points done / total with a rate
    ETA, the running point's evaluations and energy, the last point's error against exact and the worst.
    """

    def __init__(self, bar: ProgressBar, param: str, points: int) -> None:
        self.bar, self.param, self.worst, self.done = bar, param, None, 0
        bar.start(bar.description, points, unit="points")

    def step(self, step: int, energy: float, weights: Any = None) -> None:
        """``callback(step, energy, weights)`` of the running point."""
        self.bar.update(status={"evaluations": step, "E": energy})

    def point(self, index: int, value: float, res: Any) -> None:
        """``point_callback(index, value, result)`` after each point."""
        err = res.abs_error
        if err is not None:
            self.worst = err if self.worst is None else max(self.worst, err)
        self.bar.status.clear()
        self.done += 1  # points on workers finish in any order
        status = {self.param: value, "E": res.energy, "error vs exact": err, "worst error": self.worst}
        self.bar.update(completed=self.done, status=status, milestone=True)


class _AdaptProgress:
    """Feeds a :class:`ProgressBar` from :func:`qml.optimize.adapt_vqe`: operators added out of the
    ``max_ops`` budget (an upper bound: the gradient criterion may stop it earlier), the energy and
    the operator just added."""

    def __init__(self, bar: ProgressBar, max_ops: int) -> None:
        self.bar = bar
        bar.start(bar.description, max_ops, unit="operators", bound=True)

    def step(self, step: int, energy: float, operator: str) -> None:
        """``callback(step, energy, operator_name)`` after growth step ``step`` (from 0)."""
        self.bar.update(completed=step + 1, status={"E": energy, "added": operator}, milestone=True)


# -- simulator options -----------------------------------------------------------------------
def add_simulator_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend torch|mps``, ``--bond-dim`` and ``--cutoff`` (read by :func:`simulator_from_args`)."""
    parser.add_argument(
        "--backend",
        default="torch",
        choices=("torch", "mps"),
        help="simulator: torch (statevector, exact, up to ~28 qubits) or mps (matrix-product "
        "state: chains of 32-128+ qubits, truncated to --bond-dim)",
    )
    parser.add_argument(
        "--bond-dim",
        type=int,
        default=None,
        metavar="CHI",
        help="with --backend mps: most singular values kept per bond (default 64)",
    )
    parser.add_argument(
        "--cutoff",
        type=float,
        default=None,
        help="with --backend mps: relative singular-value cutoff (default 1e-12; 1e-6 in complex64)",
    )


def simulator_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~qml.sim.Simulator` of ``--dtype``, ``--backend``, ``--bond-dim``, ``--cutoff``."""
    from qml.parallel.tasks import task_simulator

    if args.dtype not in ("complex128", "complex64"):
        raise CLIError(f"unknown dtype {args.dtype!r}; valid choices: complex128, complex64")
    options = {k: v for k, v in (("bond_dim", args.bond_dim), ("cutoff", args.cutoff)) if v is not None}
    if args.backend != "mps" and options:
        raise CLIError("--bond-dim and --cutoff apply to --backend mps (the statevector is exact)")
    try:
        return task_simulator(args.dtype, args.backend, options)
    except ValueError as err:
        raise CLIError(str(err)) from None


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
        params[k.strip()] = parse_value(val.strip())
    return params


def _cmd_vqe(args: argparse.Namespace) -> int:

    from qml.optimize import Interrupted, vqe
    from qml.optimize.optimizers import OPTIMIZERS, max_evaluations
    from qml.problems import get_problem

    if args.optimizer.lower() not in OPTIMIZERS:
        raise CLIError(f"unknown optimizer {args.optimizer!r}; valid choices: {', '.join(OPTIMIZERS)}")
    sim = simulator_from_args(args)
    problem = get_problem(args.problem, **_problem_params(args))
    if args.states is not None:
        return _excited(args, problem, sim)
    depth = None
    if args.target_error is not None:
        from qml.optimize.depth import DepthSearch

        if args.layers != "auto":
            raise CLIError("--target-error applies to --layers auto only")
        depth = DepthSearch(target_rel_error=args.target_error)
    executor = None
    if args.workers > 1 or args.scheduler:
        if args.restarts < 2:
            raise CLIError("--workers / --scheduler run the --restarts in parallel; give --restarts >= 2")
        executor = executor_from_args(args)
    budget = None if args.layers == "auto" else max_evaluations(args.optimizer, args.steps)
    label = f"VQE {problem.label()}"
    interrupted = False
    try:
        with ProgressBar(label) as bar, _warnings_to_stderr():
            feed = _VQEProgress(bar, label, args.restarts, budget, executor is not None)
            res = vqe(
                problem,
                args.optimizer,
                args.steps,
                args.lr,
                args.seed,
                None,
                None if executor else feed.step,
                args.tol,
                ansatz=args.ansatz,
                layers=args.layers,
                simulator=sim,
                shots=args.shots,
                restarts=args.restarts,
                depth=depth,
                strict=args.strict,
                observables=args.observables,
                executor=executor,
                checkpoint=args.checkpoint,
                resume=args.resume,
                restart_callback=feed.restart,
            )
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
    with ProgressBar(label), _warnings_to_stderr():
        res = run(
            problem,
            args.states,
            ansatz=args.ansatz,
            layers=args.layers,
            optimizer=args.optimizer,
            lr=args.lr,
            tol=args.tol,
            seed=args.seed,
            restarts=args.restarts,
            simulator=sim,
            **kwargs,
        )
    con = _console()
    unit = f" ({res.energy_unit})" if res.energy_unit else ""
    title = f"{args.method.upper()}: {res.problem}, {res.ansatz} x{res.layers}"
    table = Table(title=title, title_justify="left")
    for col in ("state", "sector", "energy" + unit, "exact" + unit, "rel error", "fidelity"):
        table.add_column(col)
    for row in res.summary():
        table.add_row(
            str(row["state"]),
            str(row["sector"]),
            _fmt(row["energy"]),
            _fmt(row["exact"]),
            _fmt(row["rel_error"]),
            _fmt(row["fidelity"]),
        )
    con.print(table)
    levels = Table(
        title="levels (found vs exact, degeneracy within the sectors searched)", title_justify="left"
    )
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
    from qml.tables import method_of, read_table

    try:
        return method_of(read_table(path))
    except QMLError:
        return None  # load_experiment reports the problem properly


def _cmd_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.markup import escape

    from qml.experiment import plot_result
    from qml.tables import LAYOUTS

    method = _file_method(args.file)
    layout = LAYOUTS.get(method) if method is not None else None
    if layout is not None and layout.runner == "qml.predict":  # prediction files
        import torch

        from qml.apps.predict import print_outcome
        from qml.predict import run_predict_experiment

        torch.set_num_threads(1)  # qml predict's default: fastest for these small states
        with ProgressBar(f"predict {Path(args.file).stem}") as bar:
            out = run_predict_experiment(args.file, quick=args.quick, progress=bar.stage)
        print_outcome(out.result)
    else:
        out = _run_experiment_file(args)
    con = _console()
    for c in out.checks:
        con.print(("[green]PASS[/green] " if c.passed else "[red]FAIL[/red] ") + escape(c.describe()))
    status = "passed" if out.passed else "FAILED"
    con.print(escape(f"{out.name}: {status}" + (" (quick mode)" if out.quick else "")))
    if args.out:
        out.save(args.out)
        con.print(f"saved {args.out}")
    if args.plot:
        plot_result(out, args.plot)
        con.print(f"wrote {args.plot}")
    return 0 if out.passed else 1


def _run_experiment_file(args: argparse.Namespace) -> Any:
    """``qml run`` of a VQE, sweep or ADAPT file: run it with progress, print its table."""
    from qml.experiment import load_experiment, run_experiment
    from qml.optimize.optimizers import max_evaluations
    from qml.optimize.results import AdaptResult, SweepResult, VQEResult

    exp = load_experiment(args.file, quick=args.quick)
    with ProgressBar(exp.name) as bar:
        if exp.method == "sweep":
            sweep = _SweepProgress(bar, exp.sweep["param"], len(exp.sweep_values()))
            out = run_experiment(exp, callback=sweep.step, point_callback=sweep.point)
        elif exp.method == "vqe":
            opt = exp.optimizer
            layers = exp.ansatz.get("layers")
            budget = (
                None
                if layers == "auto"
                else max_evaluations(opt.get("name", "lbfgs"), opt.get("steps", 200), opt.get("options"))
            )
            feed = _VQEProgress(bar, exp.name, opt.get("restarts", 1), budget, exp.on_workers)
            out = run_experiment(exp, callback=feed.step, restart_callback=feed.restart)
        elif exp.method == "adapt":
            out = run_experiment(exp, callback=_AdaptProgress(bar, exp.adapt.get("max_ops", 20)).step)
        else:
            out = run_experiment(exp)
    con = _console()
    res = out.result
    if isinstance(res, SweepResult):
        from rich.markup import escape
        from rich.table import Table

        table = Table(title=escape(f"{exp.name}: {res.param} sweep"), title_justify="left")
        for col in (res.param, "energy", "exact", "abs error", "fidelity", "evals"):
            table.add_column(col)
        for v, r in zip(res.values, res.results):
            table.add_row(
                _fmt(v),
                _fmt(r.energy),
                _fmt(r.exact_energy),
                _fmt(r.abs_error),
                _fmt(r.fidelity),
                _fmt(r.n_evals),
            )  # numbers only: no markup to escape
        con.print(table)
    elif isinstance(res, AdaptResult):
        rows = [
            ("problem", res.problem),
            ("pool", f"{res.pool} ({res.pool_size} operators)"),
            ("operators", ", ".join(res.selected)),
            ("parameters", res.n_params),
            ("energy", res.energy),
            ("exact", res.exact_energy),
            ("abs error", res.abs_error),
            ("fidelity", res.fidelity),
            ("time (s)", round(res.timings.get("total", 0.0), 3)),
        ]
        con.print(_result_table(f"{exp.name}: ADAPT-VQE", rows))
    elif isinstance(res, VQEResult):
        con.print(_result_table(f"{exp.name}: VQE", _vqe_rows(res)))
    return out


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

    rows: list[tuple[str, Any]] = [
        ("qml", qml.__version__),
        ("python", platform.python_version()),
        ("platform", platform.platform()),
    ]
    for dist in (
        "torch",
        "numpy",
        "scipy",
        "pennylane",
        "qiskit",
        "qiskit-aer",
        "qiskit-ibm-runtime",
        "matplotlib",
        "rich",
    ):
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

    rows: list[tuple[str, Any]] = [
        ("torch threads", torch.get_num_threads()),
        ("torch inter-op threads", torch.get_num_interop_threads()),
    ]
    info = torch.__config__.parallel_info()
    for label, pattern in (
        ("OpenMP threads (torch)", r"omp_get_max_threads\(\) : (\d+)"),
        ("MKL threads (torch)", r"mkl_get_max_threads\(\) : (\d+)"),
        ("torch parallel backend", r"ATen parallel backend: (.+)"),
    ):
        m = re.search(pattern, info)
        if m:
            rows.append((label, m.group(1).strip()))
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        rows.append(("NumPy BLAS", f"{blas.get('name', '?')} {blas.get('version', '')}".strip()))
    except (KeyError, TypeError, ValueError):  # older NumPy layouts
        rows.append(("NumPy BLAS", "unknown"))
    env = [
        f"{v}={os.environ[v]}"
        for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        if v in os.environ
    ]
    rows.append(("thread variables", ", ".join(env) if env else "none set"))
    from qml import config

    settings = [f"{name}={config.raw(name)}" for name in sorted(config.SETTINGS) if config.is_set(name)]
    rows.append(("qml settings", ", ".join(settings) if settings else "none set"))
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
    con.print(
        "6-qubit transverse-field Ising ring (h = J = 1), Hamiltonian variational ansatz (3 layers), "
        "L-BFGS, noise-free complex128 simulator"
    )
    con.print(_result_table("demo: VQE vs exact diagonalisation", _vqe_rows(res)))
    seconds = time.perf_counter() - t0
    con.print(
        f"energy {res.energy:.10f}  exact {res.exact_energy:.10f}  error {res.abs_error:.2e} "
        f"(relative {res.rel_error:.2e}), fidelity {res.fidelity:.8f}, {seconds:.1f} s"
    )
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

    Exit status: 0 on success, 1 where a command says so (targets not reached), 2 for an
    error in the input (a :class:`qml.errors.QMLError`, a missing file or extra: one line),
    :data:`INTERNAL_ERROR` for anything else (a bug: the traceback is printed).

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
        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
        )
    if args.command is None:
        parser.print_help()
        return 2
    from qml.sim.allocator import retain_freed_memory

    retain_freed_memory()  # the command owns its process: freed state buffers are reused (qml.sim.allocator)
    try:
        _check_out(args)
        if args.command in _COMMANDS:
            return _COMMANDS[args.command](args)
        if not callable(getattr(args, "func", None)):
            raise CLIError(f"'qml {args.command}' needs a sub-command (see 'qml {args.command} --help')")
        return int(args.func(args))  # commands attached by other modules (qml.apps.hardware)
    except (QMLError, MemoryError) as err:  # bad input (qml.errors), or a machine too small: one line
        if args.verbose:
            log.exception("qml %s failed", args.command)
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"qml: error: {msg}", file=sys.stderr)
        return 2
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
    except (
        FileNotFoundError,
        FileExistsError,
        IsADirectoryError,
        NotADirectoryError,
        PermissionError,
    ) as err:
        if args.verbose:
            log.exception("qml %s failed", args.command)
        where = f": {err.filename}" if err.filename else ""
        print(
            f"qml: error: {err.strerror or err}{where} (check the path and its permissions)", file=sys.stderr
        )
        return 2
    except Exception:  # not the input's fault: a bug, shown whole
        traceback.print_exc()
        print(
            f"qml: internal error in 'qml {args.command}': this is a bug in qml-circuits, not in your "
            "input; please report it with the traceback above",
            file=sys.stderr,
        )
        return INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
