"""Scale-out: tasks as plain data, a results store, and executors from serial to Dask clusters.

* :mod:`~qml.parallel.tasks`: :class:`TaskSpec`, the pure :func:`run_task`, :class:`ResultStore`;
* :mod:`~qml.parallel.executors`: :func:`make_executor` (``"serial"``, ``"local"``, a
  ``tcp://`` scheduler, ``"slurm"`` / ``"pbs"``), single-threaded workers;
* :mod:`~qml.parallel.sweep`: :func:`grid_specs`, :func:`run_sweep` (resumable: reruns compute
  only what is missing).

Dask is the optional extra ``qml-circuits[dask]``; nothing here imports it until a Dask
executor is made.

Example:
    >>> from qml.parallel import TaskSpec
    >>> len(TaskSpec("tfim", {"n": 4}).key())
    16
"""

from qml.parallel.executors import KINDS, WORKER_ENV, DaskExecutor, Executor, SerialExecutor, make_executor
from qml.parallel.sweep import SweepReport, grid_specs, parse_grid, run_sweep
from qml.parallel.tasks import ResultStore, TaskSpec, run_segment, run_task

__all__ = [
    "KINDS",
    "WORKER_ENV",
    "DaskExecutor",
    "Executor",
    "ResultStore",
    "SerialExecutor",
    "SweepReport",
    "TaskSpec",
    "grid_specs",
    "make_executor",
    "parse_grid",
    "run_segment",
    "run_sweep",
    "run_task",
]
