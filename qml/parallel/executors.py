"""Where tasks run: in this process, or on Dask distributed (a local cluster, a scheduler, SLURM/PBS).

:func:`make_executor` builds one from a short description:

* ``"serial"`` (default): one after the other, in this process;
* ``"local"``: a ``distributed.LocalCluster`` with ``workers`` single-threaded worker
  processes (the embedded default for parallel runs);
* ``"tcp://host:8786"``: an existing Dask scheduler;
* ``"slurm"`` / ``"pbs"``: a ``dask_jobqueue`` cluster submitting ``jobs`` batch jobs of
  ``cores`` cores and ``memory`` each (one single-threaded worker process per core).

Every worker runs with one thread per library: ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` are set before the worker process starts (Dask's
``distributed.nanny.pre-spawn-environ``; jobqueue job scripts export them), and
:func:`~qml.parallel.tasks.run_task` sets ``torch.set_num_threads(1)``. Results never depend
on scheduling: tasks are pure functions of their specs.

:meth:`Executor.as_completed` yields ``(index, result, error)`` as tasks finish, so the
caller stores each at once. Dask (``distributed``, ``dask-jobqueue``) is the optional extra
``qml-circuits[dask]``, imported only when a Dask executor is made.

Example:
    >>> with make_executor("serial") as ex:
    ...     sorted(r for _, r, _ in ex.as_completed(abs, [-2, 1]))
    [1, 2]
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from qml.errors import ConfigError, MissingExtraError

log = logging.getLogger(__name__)

#: Environment of every worker process: one thread per numerical library.
WORKER_ENV: dict[str, str] = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

#: Executor kinds of :func:`make_executor` (besides a ``tcp://`` scheduler address).
KINDS: tuple[str, ...] = ("serial", "local", "slurm", "pbs")


class Executor:
    """Runs a function over items; subclasses decide where.

    Example:
        >>> SerialExecutor().describe()["kind"]
        'serial'
    """

    kind = "base"

    def as_completed(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        """Yield ``(index, result, None)`` or ``(index, None, error)`` for each item as it finishes."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Kind and settings (for results and progress lines)."""
        return {"kind": self.kind}

    def close(self) -> None:
        """Release workers and clusters."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Everything in this process, in order; a failing item is reported, the rest still run.

    Example:
        >>> [(i, e is not None) for i, _, e in SerialExecutor().as_completed(lambda x: 1 / x, [1, 0])]
        [(0, False), (1, True)]
    """

    kind = "serial"

    def as_completed(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        for i, item in enumerate(items):
            try:
                out = fn(item)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as err:  # recorded by the caller, the sweep goes on
                yield i, None, err
                continue
            yield i, out, None


class DaskExecutor(Executor):
    """Tasks on a Dask ``distributed`` cluster.

    Args:
        client: A ``distributed.Client``.
        cluster: The cluster this executor started (closed with it), or ``None``.
        settings: What was asked for (kind, workers, address...).

    Example:
        >>> DaskExecutor.__name__
        'DaskExecutor'
    """

    kind = "dask"

    def __init__(self, client: Any, cluster: Any = None, settings: dict[str, Any] | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self.settings = dict(settings or {})

    def as_completed(
        self, fn: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[tuple[int, Any, BaseException | None]]:
        from distributed import as_completed

        futures = self.client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                i = index[fut.key]
                if fut.status == "error":
                    yield i, None, fut.exception()
                else:
                    yield i, fut.result(), None
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def describe(self) -> dict[str, Any]:
        info = {"kind": self.kind, **self.settings}
        with contextlib.suppress(Exception):  # a scheduler that went away: the settings say what was asked
            info["workers"] = len(self.client.scheduler_info().get("workers", {}))
        return info

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


#: Dask settings of every worker. The statistical profiler (a stack sample every 10 ms) doubled the
#: time of Python-heavy VQE tasks (TFIM N=10: 0.94 s in process, 1.82 s on a worker), so it is off;
#: the event-loop watchdog and monitors poll less often (they compete for the GIL with the task).
DASK_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.gil.enabled": False,
}


def _dask_config() -> None:
    import dask

    dask.config.set(
        {**DASK_CONFIG, **{f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENV.items()}}
    )


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "distributed", "dask", "parallel execution", "Dask (distributed, dask-jobqueue)"
        ) from None


def jobqueue_cluster(kind: str, jobs: int = 1, cores: int = 1, memory: str = "4GB", **options: Any) -> Any:
    """A ``dask_jobqueue`` SLURM or PBS cluster (not yet scaled: no job is submitted until ``scale``).

    One single-threaded worker process per core; the job script exports :data:`WORKER_ENV`.
    ``options`` go to the cluster (``queue``, ``account``, ``walltime``, ``job_extra_directives``...).

    Example:
        >>> cluster = jobqueue_cluster("slurm", cores=4, memory="16GB", walltime="01:00:00")  # doctest: +SKIP
        >>> "#SBATCH" in cluster.job_script()  # doctest: +SKIP
        True
    """
    _require_dask()
    import dask_jobqueue

    classes = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}
    if kind not in classes:
        raise ConfigError(f"unknown batch system {kind!r}; valid choices: {', '.join(classes)}")
    prologue = [f"export {k}={v}" for k, v in WORKER_ENV.items()]
    prologue += [
        f"export DASK_{k.upper().replace('.', '__').replace('-', '_')}={v}" for k, v in DASK_CONFIG.items()
    ]
    options.setdefault("job_script_prologue", prologue)
    return classes[kind](cores=cores, processes=cores, memory=memory, **options)


def make_executor(
    target: str | None = "serial",
    *,
    workers: int = 2,
    threads_per_worker: int = 1,
    jobs: int = 1,
    cores: int = 1,
    memory: str = "4GB",
    **options: Any,
) -> Executor:
    """An executor from a short description (see the module docstring).

    Args:
        target: ``"serial"``, ``"local"``, ``"tcp://host:port"``, ``"slurm"`` or ``"pbs"``.
        workers: Worker processes of a local cluster.
        threads_per_worker: Threads per local worker (1: tasks are single-threaded anyway).
        jobs: Batch jobs to submit (SLURM/PBS).
        cores: Cores (= single-threaded worker processes) per batch job.
        memory: Memory per batch job (``"16GB"``).
        **options: Passed to the jobqueue cluster (``queue``, ``account``, ``walltime``...).

    Raises:
        ValueError: For an unknown target, bad counts, or Dask not installed.

    Example:
        >>> make_executor("serial").describe()
        {'kind': 'serial'}
    """
    target = target or "serial"
    if target == "serial":
        return SerialExecutor()
    for name, value in (
        ("workers", workers),
        ("threads_per_worker", threads_per_worker),
        ("jobs", jobs),
        ("cores", cores),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    if target not in KINDS and not target.startswith(("tcp://", "tls://", "inproc://")):
        raise ConfigError(
            f"unknown executor {target!r}; valid: {', '.join(KINDS)} or a scheduler address tcp://host:8786"
        )
    _require_dask()
    _dask_config()
    from distributed import Client, LocalCluster

    if target == "local":
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=threads_per_worker, processes=True, dashboard_address=None
        )
        return DaskExecutor(
            Client(cluster),
            cluster,
            {"target": "local", "workers": workers, "threads_per_worker": threads_per_worker},
        )
    if target in ("slurm", "pbs"):
        cluster = jobqueue_cluster(target, jobs=jobs, cores=cores, memory=memory, **options)
        cluster.scale(jobs=jobs)
        return DaskExecutor(
            Client(cluster), cluster, {"target": target, "jobs": jobs, "cores": cores, "memory": memory}
        )
    return DaskExecutor(Client(target), None, {"target": target})


__all__ = [
    "DASK_CONFIG",
    "KINDS",
    "WORKER_ENV",
    "DaskExecutor",
    "Executor",
    "SerialExecutor",
    "jobqueue_cluster",
    "make_executor",
]
