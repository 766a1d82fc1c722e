"""``qml sweep`` and ``qml results``: parameter sweeps on an executor, and what a results directory holds.

``qml sweep --problem tfim --n 6 --grid h=0.2:1.8:8 [--grid J2=0:0.5:6] [--seeds 4]
[--layers 2,4,auto] [--workers 2 | --scheduler tcp://host:8786 | --cluster slurm --jobs 20
--cores 4 --memory 16GB] --out DIR`` runs every combination not yet in ``DIR`` (one JSON per
task, written as it completes: a ``vqe`` result record, or a ``task-failure`` record for a
failed task, both read by :func:`qml.optimize.load_result`) with a progress bar (done /
running / failed, the last and the worst relative error against exact, ETA); the same
command again computes nothing new and says so. Ctrl-C stops it: finished results stay, the
exit status is 130, and rerunning continues. ``--retry-failed`` reruns failures.

``qml results DIR [--json | --csv] [--plot phase.png]`` lists done and failed tasks; ``--json``
prints a list of records (the spec's parameters, ``energy``, ``exact``, ``rel_error``,
``fidelity``, ``seconds``, ``energy_unit``, ``hf_energy`` for molecules). The plot's axes carry
units (bond lengths in Angstrom, energies in the problem's unit) and molecules get the
Hartree-Fock curve.

Example:
    >>> sub = argparse.ArgumentParser().add_subparsers(dest="command")
    >>> sorted(add_sweep_commands(sub))
    ['results', 'sweep']
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qml.apps.cli import (
    EXIT_INTERRUPTED,
    ProgressBar,
    add_problem_arguments,
    executor_from_args,
    fixed_parameters,
)
from qml.errors import ConfigError


def add_sweep_commands(subparsers: Any) -> dict[str, argparse.ArgumentParser]:
    """Attach ``sweep`` and ``results`` to the ``qml`` sub-command collection (handlers in ``func``).

    Example:
        >>> sub = argparse.ArgumentParser().add_subparsers(dest="command")
        >>> add_sweep_commands(sub)["sweep"].get_default("func") is sweep_command
        True
    """
    s = subparsers.add_parser("sweep", help="a grid of VQE runs on workers (Dask), resumable")
    add_problem_arguments(s)
    s.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=LO:HI:COUNT",
        help="a parameter grid (repeatable), e.g. h=0.2:1.8:8 or h=0.5,1,2",
    )
    s.add_argument("--seeds", type=int, default=1, help="seeds 0..SEEDS-1 per grid point")
    s.add_argument(
        "--layers", default=None, help="comma-separated depths, e.g. 2,4,auto (default: the problem's)"
    )
    s.add_argument("--ansatz", default=None, help="ansatz name of the problem")
    s.add_argument("--optimizer", default="lbfgs", help="optimiser")
    s.add_argument("--steps", type=int, default=200, help="optimiser iterations per task")
    s.add_argument("--dtype", default="complex128", help="complex128 or complex64")
    s.add_argument(
        "--workers", type=int, default=1, help="local worker processes (1: serial, in this process)"
    )
    s.add_argument("--scheduler", default=None, help="an existing Dask scheduler, tcp://host:8786")
    s.add_argument("--cluster", default=None, choices=("slurm", "pbs"), help="submit workers as batch jobs")
    s.add_argument("--jobs", type=int, default=1, help="batch jobs (with --cluster)")
    s.add_argument("--cores", type=int, default=1, help="cores per batch job (with --cluster)")
    s.add_argument("--memory", default="4GB", help="memory per batch job (with --cluster)")
    s.add_argument("--walltime", default=None, help="walltime per batch job (with --cluster)")
    s.add_argument("--queue", default=None, help="queue / partition (with --cluster)")
    s.add_argument("--retry-failed", action="store_true", help="rerun tasks recorded as failed")
    s.add_argument(
        "--out",
        required=True,
        help="results directory: a 'vqe' record per task (<key>.json), a 'task-failure' record per "
        "failed task (<key>.failed.json), each read by qml.optimize.load_result",
    )
    s.set_defaults(func=sweep_command)
    r = subparsers.add_parser("results", help="list the results of a sweep directory")
    r.add_argument("dir", help="a results directory written by qml sweep")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the records as JSON")
    fmt.add_argument("--csv", action="store_true", help="print the records as CSV")
    r.add_argument("--plot", default=None, help="energy and error against the first grid parameter (PNG)")
    r.set_defaults(func=results_command)
    return {"sweep": s, "results": r}


def _layers_list(text: str | None) -> list[int | str | None]:
    if text is None:
        return [None]
    out: list[int | str | None] = []
    for item in text.split(","):
        item = item.strip()
        if item == "auto":
            out.append("auto")
            continue
        try:
            value = int(item)
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(
                f"--layers {text!r}: expected comma-separated integers >= 1 or 'auto', e.g. 2,4,auto"
            )
        out.append(value)
    return out


def sweep_specs(args: argparse.Namespace) -> list[Any]:
    """The task specs of a ``qml sweep`` command line.

    Example:
        >>> sub = argparse.ArgumentParser().add_subparsers(dest="command")
        >>> p = add_sweep_commands(sub)["sweep"]
        >>> specs = sweep_specs(p.parse_args(["--problem", "tfim", "--n", "4", "--grid", "h=0:1:3",
        ...                                   "--seeds", "2", "--out", "d"]))
        >>> len(specs), specs[0].params
        (6, {'n': 4, 'h': 0.0})
    """
    from qml.parallel import grid_specs, parse_grid

    fixed = fixed_parameters(args)
    grids: dict[str, Sequence[float]] = dict(parse_grid(g) for g in args.grid)
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {args.seeds}")
    return grid_specs(
        args.problem,
        fixed,
        grids,
        seeds=args.seeds,
        layers=_layers_list(args.layers),
        ansatz=args.ansatz,
        optimizer=args.optimizer,
        steps=args.steps,
        dtype=args.dtype,
    )


def sweep_command(args: argparse.Namespace) -> int:
    """Run ``qml sweep``; 0 when every task is done, 1 when some failed, 130 after Ctrl-C.

    Example:
        >>> import tempfile
        >>> p = add_sweep_commands(argparse.ArgumentParser().add_subparsers())["sweep"]
        >>> sweep_command(p.parse_args(["--problem", "tfim", "--n", "4", "--steps", "20",
        ...                             "--out", tempfile.mkdtemp()]))
        0
    """
    from rich.console import Console

    from qml.parallel import ResultStore, run_sweep

    specs = sweep_specs(args)
    store = ResultStore(args.out)
    con = Console(stderr=True, highlight=False)
    pending = [
        s
        for s in specs
        if store.status(s) == "pending" or (args.retry_failed and store.status(s) == "failed")
    ]
    if not pending:
        con.print(
            f"nothing to compute: all {len(specs)} tasks are in {args.out} "
            f"({sum(store.status(s) == 'failed' for s in specs)} failed; --retry-failed reruns them)"
        )
        return 0
    with (
        executor_from_args(args) as ex,
        ProgressBar("sweep", len(pending), unit="tasks", console=con, transient=False) as bar,
    ):

        def show(p: dict[str, Any]) -> None:
            bar.update(
                completed=p["done"] + p["failed"],
                status={
                    "running": p["running"],
                    "failed": p["failed"],
                    "last rel error": p.get("rel_error"),
                    "worst rel error": p.get("max_rel_error"),
                },
            )

        try:
            report = run_sweep(specs, store, ex, retry_failed=args.retry_failed, progress=show)
        except KeyboardInterrupt:
            bar.stop()
            done = sum(store.status(s) == "done" for s in specs)
            con.print(
                f"interrupted: {done} of {len(specs)} results are stored in {args.out}; "
                "rerun the same command to compute the rest"
            )
            return EXIT_INTERRUPTED
    c = report.counts()
    con.print(
        f"{c['done']} computed, {c['failed']} failed, {c['skipped']} already stored "
        f"({c['total']} tasks) in {report.seconds:.1f} s on {report.executor.get('target', 'serial')}"
    )
    return 0 if not report.failed else 1


_COLUMNS = (
    "key",
    "status",
    "problem",
    "params",
    "layers",
    "seed",
    "energy",
    "exact",
    "rel_error",
    "fidelity",
    "seconds",
    "error",
)


def result_records(directory: str | Path) -> list[dict[str, Any]]:
    """Flat records of a results directory (done, then failed), as ``qml results --json`` prints them.

    Example:
        >>> import tempfile
        >>> result_records(tempfile.mkdtemp())
        []
    """
    from qml.parallel import ResultStore

    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(f"no results directory at {d}")
    out = []
    for rec in ResultStore(d).records():
        task = rec.get("task") or rec.get("extra", {}).get("task", {})
        row = {
            "key": rec.get("task_key") or rec.get("extra", {}).get("task_key"),
            "problem": task.get("problem"),
            "params": task.get("params", {}),
            "layers": rec.get("layers", task.get("layers")),
            "seed": task.get("seed"),
        }
        if rec.get("kind") == "task-failure":
            row.update(status="failed", error=rec["error"])
        else:
            row.update(
                status="done",
                energy=rec["energy"],
                exact=rec.get("exact_energy"),
                rel_error=rec.get("rel_error"),
                fidelity=rec.get("fidelity"),
                seconds=rec.get("timings", {}).get("total"),
                energy_unit=rec.get("energy_unit", ""),
                hf_energy=rec.get("extra", {}).get("hf_energy"),
            )
        out.append(row)
    return out


def results_command(args: argparse.Namespace) -> int:
    """Run ``qml results`` (a table, ``--json`` or ``--csv`` on standard output; ``--plot``).

    Example:
        >>> import tempfile
        >>> p = add_sweep_commands(argparse.ArgumentParser().add_subparsers())["results"]
        >>> results_command(p.parse_args([tempfile.mkdtemp(), "--json"]))
        []
        0
    """
    rows = result_records(args.dir)
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
    elif args.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "params": json.dumps(r["params"], sort_keys=True)})
        sys.stdout.write(buf.getvalue())
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        done = [r for r in rows if r["status"] == "done"]
        failed = [r for r in rows if r["status"] == "failed"]
        table = Table(
            title=escape(f"{args.dir}: {len(done)} done, {len(failed)} failed"), title_justify="left"
        )
        for col in ("problem", "params", "layers", "seed", "energy", "rel_error", "fidelity", "seconds"):
            table.add_column(col)

        def fmt(v: Any) -> str:
            if isinstance(v, dict):
                return " ".join(f"{k}={fmt(x)}" for k, x in v.items())
            return "-" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)

        for r in done:
            table.add_row(
                *(
                    escape(fmt(r.get(c)))
                    for c in (
                        "problem",
                        "params",
                        "layers",
                        "seed",
                        "energy",
                        "rel_error",
                        "fidelity",
                        "seconds",
                    )
                )
            )
        con = Console(highlight=False, soft_wrap=True)
        con.print(table)
        for r in failed:
            con.print(escape(f"failed: {r['problem']} {r['params']} seed {r['seed']}: {r['error']}"))
    if args.plot:
        _plot(rows, args.plot)
    return 0


def _plot(rows: list[dict[str, Any]], path: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from qml.units import energy_label, param_label

    done = [r for r in rows if r["status"] == "done"]
    if not done:
        raise ConfigError("nothing to plot: no finished task in this directory")
    varying = [k for k in done[0]["params"] if len({json.dumps(r["params"].get(k)) for r in done}) > 1]
    x_name = varying[0] if varying else next(iter(done[0]["params"]), "task")
    fig = Figure(figsize=(7, 6), constrained_layout=True)
    FigureCanvasAgg(fig)
    ax_e, ax_r = fig.subplots(2, 1, sharex=True)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in done:
        label = (
            ", ".join(f"{k}={r['params'][k]}" for k in varying[1:])
            + f" layers={r['layers']} seed={r['seed']}"
        )
        groups.setdefault(label, []).append(r)
    for i, (label, rs) in enumerate(groups.items()):
        rs = sorted(rs, key=lambda r: r["params"].get(x_name, 0))
        xs = [r["params"].get(x_name) for r in rs]
        ax_e.plot(xs, [r["energy"] for r in rs], "o-", ms=3, lw=1, label=label)
        if all(r.get("hf_energy") is not None for r in rs):
            ax_e.plot(
                xs,
                [r["hf_energy"] for r in rs],
                "s:",
                color="tab:gray",
                ms=3,
                lw=0.8,
                label="Hartree-Fock" if i == 0 else None,
            )
        if all(r["exact"] is not None for r in rs):
            ax_e.plot(xs, [r["exact"] for r in rs], "k--", lw=0.8, label="exact" if i == 0 else None)
            ax_r.semilogy(xs, [max(r["rel_error"], 1e-16) for r in rs], "o-", ms=3, lw=1)
    ax_e.set_ylabel(energy_label(done[0].get("energy_unit", "")))
    ax_r.set_ylabel("relative error")
    ax_r.set_xlabel(param_label(x_name))
    ax_e.legend(fontsize=7)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


__all__ = [
    "EXIT_INTERRUPTED",
    "add_sweep_commands",
    "result_records",
    "results_command",
    "sweep_command",
    "sweep_specs",
]
