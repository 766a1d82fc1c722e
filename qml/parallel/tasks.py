"""Tasks as plain data, their pure runner, and a directory store of their results.

A :class:`TaskSpec` says everything a VQE run depends on (problem and parameters, ansatz
and depth, optimiser and settings, seed, dtype, backend); :func:`run_task` is a pure
function of it (one torch thread, seeds from the spec), so the same spec gives the same
numbers on any worker. Its result is a :class:`~qml.optimize.VQEResult` with the spec in
``extra["task"]``: one schema, read back by :func:`qml.optimize.load_result`.

:class:`ResultStore` keeps one JSON file per task under a directory, named by the hash of
the spec (:meth:`TaskSpec.key`), written atomically (a temporary file renamed into place),
so an interrupted sweep never leaves a half-written result and a rerun skips what is
done. A failed task leaves ``<key>.failed.json`` (a :class:`TaskFailure` record: the spec,
the error and its traceback) instead; rerunning retries it only on request. Both kinds of
file are result records that :func:`qml.optimize.load_result` reads.

Example:
    >>> import tempfile
    >>> spec = TaskSpec("tfim", {"n": 4, "h": 0.5}, layers=2, steps=50)
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> path = store.write(spec, run_task(spec))
    >>> store.status(spec), round(store.load(spec).rel_error, 6)
    ('done', 0.0)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from qml.errors import ConfigError
from qml.optimize.results import _Record, register_kind

#: Task fields and what they mean are in :class:`TaskSpec`; bump when a change alters results.
SPEC_VERSION = 1


@dataclass(frozen=True)
class TaskSpec:
    """One VQE run, as plain data.

    Attributes:
        problem: Registry problem name.
        params: Its parameters (``{"n": 6, "h": 0.5}``).
        ansatz: Ansatz name of the problem (``None``: the problem's default).
        layers: Depth, or ``"auto"`` (grown until converged), or ``None`` (the default).
        optimizer: Optimiser name; ``steps``: its iterations; ``settings``: extra
            :func:`~qml.optimize.vqe` options (``lr``, ``tol``, ``restarts``).
        seed: Seed of the initial weights (and anything stochastic).
        dtype: ``"complex128"`` or ``"complex64"``.
        backend: ``"torch"`` (the embedded statevector simulator) or ``"mps"`` (its MPS
            method; ``settings`` may then hold ``bond_dim`` and ``cutoff``).

    Example:
        >>> TaskSpec("tfim", {"n": 4, "h": 0.5}).key() == TaskSpec("tfim", {"h": 0.5, "n": 4}).key()
        True
    """

    problem: str
    params: dict[str, Any] = field(default_factory=dict)
    ansatz: str | None = None
    layers: int | str | None = None
    optimizer: str = "lbfgs"
    steps: int = 200
    seed: int = 0
    dtype: str = "complex128"
    backend: str = "torch"
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready) with ``spec_version``."""
        return {**asdict(self), "spec_version": SPEC_VERSION}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: v for k, v in data.items() if k != "spec_version"})

    def key(self) -> str:
        """16 hex digits of the SHA-256 of the canonical JSON of the spec (names the result file)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def label(self) -> str:
        """``tfim n=6 h=0.5 layers=2 seed=0`` for progress lines and tables."""
        ps = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.problem} {ps} layers={self.layers} seed={self.seed}"


#: Task backends: the simulator's methods by the names tasks use.
TASK_BACKENDS: dict[str, str] = {"torch": "statevector", "mps": "mps"}


def task_fields(simulator: Any) -> tuple[str, str, dict[str, Any]]:
    """``(dtype, backend, settings)`` of a :class:`~qml.sim.Simulator` for a :class:`TaskSpec`.

    Example:
        >>> from qml.sim.simulator import Simulator
        >>> task_fields(Simulator(method="mps", bond_dim=16))
        ('complex128', 'mps', {'bond_dim': 16, 'cutoff': 1e-12})
    """
    if simulator is None:
        return "complex128", "torch", {}
    cfg = simulator.settings()
    if cfg["diff"] not in ("auto",):
        raise ConfigError(
            f"a task runs its simulator with diff='auto'; this one has diff={cfg['diff']!r}: run it in this "
            "process, or use the default"
        )
    backend = {v: k for k, v in TASK_BACKENDS.items()}[cfg["method"]]
    extra = {k: cfg[k] for k in ("bond_dim", "cutoff") if k in cfg}
    return cfg["dtype"], backend, extra


def task_simulator(dtype: str, backend: str, settings: dict[str, Any]) -> Any:
    """The simulator of a task (the inverse of :func:`task_fields`); pops its MPS keys off ``settings``.

    Raises:
        ValueError: For an unknown dtype or backend.

    Example:
        >>> task_simulator("complex64", "mps", {"bond_dim": 8}).settings()["bond_dim"]
        8
    """
    import torch

    from qml.sim.simulator import Simulator

    if backend not in TASK_BACKENDS:
        raise ConfigError(
            f"unknown backend {backend!r} for a task; valid backends: {', '.join(TASK_BACKENDS)}"
        )
    dtypes = {"complex128": torch.complex128, "complex64": torch.complex64}
    if dtype not in dtypes:
        raise ConfigError(f"unknown dtype {dtype!r}; valid choices: {', '.join(dtypes)}")
    mps = {k: settings.pop(k) for k in ("bond_dim", "cutoff") if k in settings}
    if backend == "torch" and mps:
        raise ConfigError(f"{', '.join(mps)} apply to backend 'mps' only; drop them or use backend='mps'")
    return Simulator(dtype=dtypes[dtype], method=TASK_BACKENDS[backend], **mps)


def run_task(spec: TaskSpec | dict[str, Any]) -> dict[str, Any]:
    """Run one task (one torch thread) and return its :class:`~qml.optimize.VQEResult` as a dict.

    Pure: the numbers depend on the spec only. ``extra["task"]`` holds the spec and
    ``extra["task_key"]`` its key.

    Raises:
        ValueError: For a bad spec (unknown problem, parameter, dtype or backend).

    Example:
        >>> r = run_task(TaskSpec("tfim", {"n": 4, "h": 1.0}, layers=2, steps=100))
        >>> r["kind"], r["rel_error"] < 1e-8
        ('vqe', True)
    """
    import torch

    from qml.optimize import vqe
    from qml.problems import get_problem

    spec = spec if isinstance(spec, TaskSpec) else TaskSpec.from_dict(spec)
    settings = dict(spec.settings)
    simulator = task_simulator(spec.dtype, spec.backend, settings)
    torch.set_num_threads(1)
    problem = get_problem(spec.problem, **spec.params)
    result = vqe(
        problem,
        spec.optimizer,
        spec.steps,
        seed=spec.seed,
        ansatz=spec.ansatz,
        layers=spec.layers,
        simulator=simulator,
        log_every=10**9,
        **settings,
    )
    result.extra["task"] = spec.to_dict()
    result.extra["task_key"] = spec.key()
    return result.to_dict()


def run_segment(specs: list[TaskSpec | dict[str, Any]]) -> list[dict[str, Any]]:
    """Run tasks in order, each warm-started from the previous optimum (a continuation segment).

    The first task starts as its spec says (the segment's anchor); later ones start from the
    previous result's weights (``settings["init"]``), unless the depth is grown (``"auto"``).
    Pure: the results depend on the specs only.

    Example:
        >>> specs = [TaskSpec("tfim", {"n": 4, "h": h}, layers=2, steps=60) for h in (0.5, 0.6)]
        >>> [r["init"] for r in run_segment(specs)]
        ['problem', 'warm']
    """
    out: list[dict[str, Any]] = []
    for item in specs:
        spec = item if isinstance(item, TaskSpec) else TaskSpec.from_dict(item)
        if out and spec.layers != "auto":
            warm = {**spec.settings, "init": out[-1]["best_weights"]}
            spec = TaskSpec(**{**asdict(spec), "settings": warm})
        out.append(run_task(spec))
    return out


@dataclass
class TaskFailure(_Record):
    """What a failed task leaves in a :class:`ResultStore` (``<key>.failed.json``; kind ``"task-failure"``).

    Attributes:
        task: The task's spec (:meth:`TaskSpec.to_dict`).
        task_key: Its key (:meth:`TaskSpec.key`).
        error: ``"ErrorType: message"``.
        traceback: The formatted traceback.
        time: When it failed (seconds since the epoch).

    Example:
        >>> f = TaskFailure(task=TaskSpec("tfim", {"n": 4}).to_dict(), error="ValueError: bad")
        >>> TaskFailure.from_dict(f.to_dict()) == f, f.to_dict()["kind"]
        (True, 'task-failure')
    """

    kind: ClassVar[str] = "task-failure"

    task: dict[str, Any] = field(default_factory=dict)
    task_key: str = ""
    error: str = ""
    traceback: str = ""
    time: float = 0.0


register_kind(TaskFailure)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class ResultStore:
    """One JSON file per task under ``root``: ``<key>.json`` (done) or ``<key>.failed.json`` (failed).

    Args:
        root: The directory (created when missing).

    Example:
        >>> import tempfile
        >>> store = ResultStore(tempfile.mkdtemp())
        >>> store.status(TaskSpec("tfim", {"n": 4}))
        'pending'
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"{self.root} is a file; the results store needs a directory")
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, spec: TaskSpec) -> Path:
        """Where the spec's result lives."""
        return self.root / f"{spec.key()}.json"

    def failed_path(self, spec: TaskSpec) -> Path:
        """Where the spec's failure record lives."""
        return self.root / f"{spec.key()}.failed.json"

    def status(self, spec: TaskSpec) -> str:
        """``"done"``, ``"failed"`` or ``"pending"``."""
        if self.path(spec).exists():
            return "done"
        return "failed" if self.failed_path(spec).exists() else "pending"

    def write(self, spec: TaskSpec, result: dict[str, Any]) -> Path:
        """Store a result atomically (and clear an earlier failure record)."""
        p = self.path(spec)
        _atomic_write(p, json.dumps(result, indent=1))
        with contextlib.suppress(FileNotFoundError):
            self.failed_path(spec).unlink()
        return p

    def write_failure(self, spec: TaskSpec, error: BaseException) -> Path:
        """Record a failed task: the spec, the error and its traceback."""
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        record = TaskFailure(
            task=spec.to_dict(),
            task_key=spec.key(),
            error=f"{type(error).__name__}: {error}",
            traceback=tb,
            time=time.time(),
        )
        p = self.failed_path(spec)
        _atomic_write(p, json.dumps(record.to_dict(), indent=1))
        return p

    def load(self, spec: TaskSpec) -> Any:
        """The stored result as a :class:`~qml.optimize.VQEResult`."""
        from qml.optimize import load_result

        return load_result(self.path(spec))

    def records(self) -> list[dict[str, Any]]:
        """Every stored result and failure, as dicts (results first, in file-name order)."""
        done = sorted(p for p in self.root.glob("*.json") if not p.name.endswith(".failed.json"))
        failed = sorted(self.root.glob("*.failed.json"))
        return [json.loads(p.read_text()) for p in done + failed]


__all__ = ["SPEC_VERSION", "ResultStore", "TaskFailure", "TaskSpec", "run_segment", "run_task"]
