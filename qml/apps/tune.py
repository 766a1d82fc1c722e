"""``qml tune``: hyper-parameter search with Optuna, each trial a VQE run on the workers.

``qml tune --problem tfim --n 6 --param h=1.0 --space layers=1:6:int --space lr=1e-3:1:log
[--space optimizer=adam,lbfgs] [--trials 20] [--objective rel_error|energy] [--storage study.log
--study NAME] [--workers 4 | --scheduler tcp://host:8786] [--steps 200 --optimizer lbfgs
--layers 2] [--out best.json]`` runs an Optuna study (TPE sampler, minimising) over the space,
trials in parallel on the workers, and prints the best trial and the top 5. With
``--storage`` the study is kept in a file (``.db``: SQLite; anything else: an Optuna journal
file): the same command again continues it, running only the trials still missing to reach
``--trials`` complete ones. Ctrl-C stops it with exit status 130; the trials finished so far
stay in the storage.

Example:
    >>> sub = argparse.ArgumentParser().add_subparsers(dest="command")
    >>> add_tune_command(sub).get_default("func") is tune_command
    True
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from qml.apps.cli import (
    EXIT_INTERRUPTED,
    ProgressBar,
    _layers,
    add_problem_arguments,
    executor_from_args,
    fixed_parameters,
)
from qml.errors import ConfigError


def add_tune_command(subparsers: Any) -> argparse.ArgumentParser:
    """Attach ``tune`` to the ``qml`` sub-command collection (its handler in ``func``).

    Example:
        >>> p = add_tune_command(argparse.ArgumentParser().add_subparsers())
        >>> a = p.parse_args(["--problem", "tfim", "--space", "layers=1:4:int"])
        >>> a.trials, a.objective, a.storage
        (20, 'rel_error', None)
    """
    t = subparsers.add_parser("tune", help="hyper-parameter search (Optuna) over VQE settings, resumable")
    add_problem_arguments(t)
    t.add_argument(
        "--space",
        action="append",
        required=True,
        metavar="NAME=...",
        help="a search dimension (repeatable): NAME=LO:HI:int, NAME=LO:HI, NAME=LO:HI:log or NAME=A,B,C; "
        "e.g. layers=1:6:int, lr=1e-3:1:log, optimizer=adam,lbfgs",
    )
    t.add_argument("--trials", type=int, default=20, help="complete trials the study should hold")
    t.add_argument("--objective", default="rel_error", choices=("rel_error", "energy"), help="minimised")
    t.add_argument(
        "--storage",
        default=None,
        metavar="FILE",
        help="keep the study in FILE (x.db: SQLite, else an Optuna journal file); rerun to continue",
    )
    t.add_argument("--study", default="qml-tune", help="study name in the storage")
    t.add_argument("--seed", type=int, default=0, help="VQE seed of every trial (seeds the sampler too)")
    t.add_argument(
        "--workers", type=int, default=1, help="local worker processes (1: serial, in this process)"
    )
    t.add_argument("--scheduler", default=None, help="an existing Dask scheduler, tcp://host:8786")
    t.add_argument("--layers", type=_layers, default=None, help="depth when not searched (or 'auto')")
    t.add_argument("--ansatz", default=None, help="ansatz when not searched")
    t.add_argument("--steps", type=int, default=200, help="optimiser iterations when not searched")
    t.add_argument("--optimizer", default="lbfgs", help="optimiser when not searched")
    t.add_argument(
        "--out", default=None, help="write the result (best trial and all trials) as JSON: a 'tune' record"
    )
    t.set_defaults(func=tune_command)
    return t


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return " ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    return str(v)


def _table(result: Any, space: dict[str, Any], k: int = 5) -> Any:
    from rich.markup import escape
    from rich.table import Table

    where = result.storage or "memory"
    table = Table(
        title=escape(
            f"{result.study_name} ({where}): top {min(k, result.n_trials)} of {result.n_trials} complete "
            f"trials, {result.n_failed} failed; objective {result.objective}"
        ),
        title_justify="left",
    )
    for col in ("#", "trial", *space, result.objective, "energy", "fidelity", "seconds"):
        table.add_column(escape(col), justify="left" if col in space else "right", overflow="fold")
    for rank, t in enumerate(result.top(k), 1):
        cells = [
            "best" if rank == 1 else str(rank),
            str(t["number"]),
            *(_fmt(t["params"].get(name)) for name in space),
            _fmt(t["value"]),
            _fmt(t["energy"]),
            _fmt(t["fidelity"]),
            "cached" if t["cached"] else _fmt(t["seconds"]),
        ]
        table.add_row(*(escape(c) for c in cells))
    return table


def tune_command(args: argparse.Namespace) -> int:
    """Run ``qml tune``; 0 with a complete trial, 1 when none completed, 130 after Ctrl-C.

    Example:
        >>> p = add_tune_command(argparse.ArgumentParser().add_subparsers())
        >>> tune_command(p.parse_args(["--problem", "tfim", "--n", "4", "--space", "layers=1:2:int",
        ...                            "--trials", "2", "--steps", "20"]))  # doctest: +ELLIPSIS
        qml-tune (memory): top 2 of 2 complete trials...
        0
    """
    from rich.console import Console
    from rich.markup import escape

    from qml.parallel.tune import load_study_result, parse_space, tune

    space = parse_space(args.space)
    params = fixed_parameters(args)
    base: dict[str, Any] = {"steps": args.steps, "optimizer": args.optimizer}
    if args.layers is not None:
        base["layers"] = args.layers
    if args.ansatz is not None:
        base["ansatz"] = args.ansatz
    if args.trials < 0:
        raise ConfigError(f"--trials must be >= 0, got {args.trials}")
    if args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    if not out.is_terminal:  # a pipe or a file: wide enough that no column is cut
        out.width = max(out.width, 160)
    executor = executor_from_args(args)
    with (
        executor as ex,
        ProgressBar("tune", unit="trials", console=err, transient=False) as bar,
    ):

        def show(p: dict[str, Any]) -> None:
            if p["total"] > 0:
                bar.update(
                    total=p["total"],
                    completed=p["done"] + p["failed"],
                    status={"failed": p["failed"], f"best {args.objective}": p["best_value"]},
                )

        try:
            result = tune(
                args.problem,
                params,
                space,
                n_trials=args.trials,
                objective=args.objective,
                storage=args.storage,
                study_name=args.study,
                seed=args.seed,
                executor=ex,
                base=base,
                progress=show,
            )
        except KeyboardInterrupt:
            bar.stop()
            if args.storage is None:
                err.print(
                    "interrupted: the study was in memory, nothing is kept (--storage FILE keeps trials)"
                )
            else:
                stored = load_study_result(args.storage, args.study)
                err.print(
                    escape(
                        f"interrupted: {stored.n_trials} trials stored in {args.storage}; rerun to continue"
                    )
                )
            return EXIT_INTERRUPTED
    failed_now = sum(t["state"] == "FAIL" for t in result.trials[result.n_found :])
    if result.n_new == 0:
        err.print(
            escape(
                f"nothing to run: {result.n_trials} complete trials found in {result.storage or 'memory'} "
                f"(--trials {args.trials}; ask for more to continue the study)"
            )
        )
    else:
        err.print(
            escape(
                f"{result.n_new} trials run now ({failed_now} failed), {result.n_found} found in "
                f"{result.storage or 'memory'}; {result.seconds:.1f} s on "
                f"{result.executor.get('target', result.executor.get('kind'))}"
            )
        )
    out.print(_table(result, space))
    if result.best_value is not None:
        out.print(
            escape(
                f"best: trial {result.best_number} {_fmt(result.best_params)}: "
                f"{result.objective} = {result.best_value:.6g}"
            )
        )
    errors = sorted({t["error"] for t in result.trials if t["error"]})
    for e in errors[:3]:
        out.print(escape(f"failed trials: {e}"))
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.to_dict(), indent=1, default=str) + "\n")
        err.print(escape(f"wrote {path}"))
    return 0 if result.best_value is not None else 1


__all__ = ["EXIT_INTERRUPTED", "add_tune_command", "tune_command"]
