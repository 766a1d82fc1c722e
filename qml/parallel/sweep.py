"""Sweeps: a grid of task specs, run on an executor, each result stored the moment it arrives.

:func:`grid_specs` expands a problem with parameter grids, seeds and depths into
:class:`~qml.parallel.tasks.TaskSpec` s; :func:`run_sweep` skips what the store already
holds (and, unless asked, what failed before), runs the rest on an
:class:`~qml.parallel.executors.Executor` and writes every result or failure as it
completes, so an interrupted sweep loses at most the tasks in flight and the rerun
computes only what is missing.

Example:
    >>> import tempfile
    >>> specs = grid_specs("tfim", {"n": 4}, {"h": [0.5, 1.5]}, layers=[2], steps=50)
    >>> out = tempfile.mkdtemp()
    >>> run_sweep(specs, out).counts()
    {'done': 2, 'failed': 0, 'skipped': 0, 'total': 2}
    >>> run_sweep(specs, out).counts()   # nothing new to compute
    {'done': 0, 'failed': 0, 'skipped': 2, 'total': 2}
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qml.errors import ConfigError
from qml.parallel.executors import Executor, SerialExecutor
from qml.parallel.tasks import ResultStore, TaskSpec, run_task

log = logging.getLogger(__name__)


def parse_grid(text: str) -> tuple[str, list[float]]:
    """``"h=0.2:1.8:8"`` (name=lo:hi:count, ends included) or ``"h=0.5,1,2"`` -> name and values.

    Example:
        >>> parse_grid("h=0:1:3"), parse_grid("J2=0.1,0.3")
        (('h', [0.0, 0.5, 1.0]), ('J2', [0.1, 0.3]))
    """
    name, sep, spec = str(text).partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        if ":" in spec:
            lo, hi, count = spec.split(":")
            n = int(count)
            if n < 1:
                raise ValueError
            values = np.linspace(float(lo), float(hi), n).tolist()
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise ConfigError(
            f"grid {text!r}: expected NAME=LO:HI:COUNT (e.g. h=0.2:1.8:8) or NAME=V1,V2,..."
        ) from None
    return name.strip(), [round(v, 12) for v in values]


def grid_specs(
    problem: str,
    fixed: dict[str, Any] | None = None,
    grids: dict[str, Sequence[float]] | None = None,
    *,
    seeds: int | Sequence[int] = 1,
    layers: Sequence[int | str | None] = (None,),
    ansatz: str | None = None,
    optimizer: str = "lbfgs",
    steps: int = 200,
    dtype: str = "complex128",
    settings: dict[str, Any] | None = None,
) -> list[TaskSpec]:
    """Every combination of grid values x seeds x depths, as task specs (grid order, then seed, then depth).

    Raises:
        ValueError: For an unknown problem or parameter, or a parameter both fixed and gridded.

    Example:
        >>> [s.params["h"] for s in grid_specs("tfim", {"n": 4}, {"h": [0.5, 1.0]}, seeds=2)]
        [0.5, 0.5, 1.0, 1.0]
    """
    from qml.problems.registry import check_param_names

    fixed, grids = dict(fixed or {}), dict(grids or {})
    check_param_names(problem, ("fixed", fixed), ("on a grid", grids))
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    names = list(grids)
    out = []
    for values in itertools.product(*(grids[k] for k in names)):
        params = {**fixed, **{k: float(v) for k, v in zip(names, values)}}
        for seed in seed_list:
            for depth in layers:
                out.append(
                    TaskSpec(
                        problem,
                        params,
                        ansatz,
                        depth,
                        optimizer,
                        steps,
                        seed,
                        dtype,
                        "torch",
                        dict(settings or {}),
                    )
                )
    return out


@dataclass
class SweepReport:
    """What :func:`run_sweep` did.

    Attributes:
        done: Keys computed now; ``failed``: keys that failed now; ``skipped``: already stored.
        total: Number of specs; ``seconds``: wall time; ``executor``: its description.
        interrupted: Whether Ctrl-C stopped the sweep (finished results are stored).

    Example:
        >>> SweepReport(total=3, skipped=["a"]).counts()
        {'done': 0, 'failed': 0, 'skipped': 1, 'total': 3}
    """

    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    total: int = 0
    seconds: float = 0.0
    executor: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        """``{"done", "failed", "skipped", "total"}``."""
        return {
            "done": len(self.done),
            "failed": len(self.failed),
            "skipped": len(self.skipped),
            "total": self.total,
        }


def run_sweep(
    specs: Sequence[TaskSpec],
    out: str | Path | ResultStore,
    executor: Executor | None = None,
    *,
    retry_failed: bool = False,
    progress: Callable[[dict[str, Any]], Any] | None = None,
) -> SweepReport:
    """Run the specs not yet stored, writing each result (or failure) as it completes.

    Args:
        specs: The tasks.
        out: The results directory (or a :class:`ResultStore`).
        executor: Where to run (default: serial, in this process).
        retry_failed: Also rerun tasks recorded as failed.
        progress: Called after each task with ``{"done", "failed", "running", "total",
            "elapsed", "eta", "rel_error", "max_rel_error"}`` (counts over this run's tasks; ``eta``
            in seconds; ``rel_error``: the last finished task's relative error against exact,
            ``max_rel_error``: the worst of this run so far; ``None`` when unknown).

    Returns:
        A :class:`SweepReport`. On Ctrl-C the finished results are already stored; the
        report says ``interrupted`` and the interrupt is re-raised by the CLI.

    Example:
        >>> import tempfile
        >>> rep = run_sweep(grid_specs("tfim", {"n": 4, "h": 1.0}, layers=[1, 2]), tempfile.mkdtemp())
        >>> rep.counts()["done"]
        2
    """
    store = out if isinstance(out, ResultStore) else ResultStore(out)
    ex = executor or SerialExecutor()
    t0 = time.perf_counter()
    unique: dict[str, TaskSpec] = {}
    for s in specs:
        unique.setdefault(s.key(), s)
    report = SweepReport(total=len(unique), executor=ex.describe())
    todo = []
    for key, s in unique.items():
        status = store.status(s)
        if status == "done" or (status == "failed" and not retry_failed):
            report.skipped.append(key)
        else:
            todo.append(s)
    log.info(
        "sweep: %d tasks, %d stored already, %d to run on %s",
        report.total,
        len(report.skipped),
        len(todo),
        report.executor.get("kind"),
    )

    errors: list[float] = []
    last: dict[str, float | None] = {"rel_error": None}

    def tick() -> None:
        if progress is None:
            return
        finished = len(report.done) + len(report.failed)
        elapsed = time.perf_counter() - t0
        eta = elapsed / finished * (len(todo) - finished) if finished else None
        progress(
            {
                "done": len(report.done),
                "failed": len(report.failed),
                "running": len(todo) - finished,
                "total": len(todo),
                "elapsed": elapsed,
                "eta": eta,
                "rel_error": last["rel_error"],
                "max_rel_error": max(errors) if errors else None,
            }
        )

    tick()
    try:
        for i, result, error in ex.as_completed(run_task, [s.to_dict() for s in todo]):
            spec = todo[i]
            if error is None:
                store.write(spec, result)
                report.done.append(spec.key())
                rel = result.get("rel_error") if isinstance(result, dict) else None
                last["rel_error"] = None if rel is None else float(rel)
                if rel is not None:
                    errors.append(float(rel))
            else:
                store.write_failure(spec, error)
                report.failed.append(spec.key())
                log.warning("task %s failed: %s", spec.label(), error)
            tick()
    except KeyboardInterrupt:
        report.interrupted = True
        report.seconds = time.perf_counter() - t0
        raise
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["SweepReport", "grid_specs", "parse_grid", "run_sweep"]
