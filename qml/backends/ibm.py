"""IBM Quantum hardware through qiskit-ibm-runtime 0.51 (executor-based primitives).

:class:`IBMBackend` runs circuits on an IBM backend with the client-side, executor-based
``qiskit_ibm_runtime.executor_estimator.Estimator`` (``EstimatorV2`` is deprecated since
0.50; ``IBMOptions(primitive="legacy")`` keeps it available):

* **Account**: only from the environment (``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``,
  ``QISKIT_IBM_CHANNEL``) or qiskit's saved account (:func:`ibm_service`); tokens are
  never passed around, logged or stored.
* **ISA circuits**: the slot circuit (one parameter per gate angle) is transpiled once per
  circuit with ``generate_preset_pass_manager(optimization_level=1, backend=b)``, and
  observables are moved with ``observable.apply_layout(isa.layout)``.
* **One job per call**: all rows of a batch, and for gradients every parameter-shifted
  row (:mod:`qml.backends.shift`), go into ONE pub ``(isa, observables, values (N, 1, K))``.
* **Options** (:class:`IBMOptions`): shots, resilience level, TREX readout mitigation,
  ZNE, gate/measurement twirling, dynamical decoupling, job tags. Job mode by default;
  ``mode="batch"`` (or ``with backend.batch():``) groups the jobs of training steps in a
  ``Batch``; a ``Session`` is only opened when asked (``mode="session"``).
* **Ledger** (:mod:`qml.backends.ledger`, :mod:`qml.backends.jobs`): every submission is
  recorded with an idempotency key, its circuit (QPY + OpenQASM 3), tags
  (``qml-run-<run id>``, ``qml-key-<key>``), status, usage and results (npz); a budget is
  reserved before submission; a restarted run reuses finished and in-flight jobs.
* **Local testing mode**: a fake backend name (``"fake_manila"``) or object runs the same
  primitives locally on Aer (``mode=FakeManilaV2()``).

Example:
    >>> from qml.ir import Circuit, W
    >>> import tempfile, os
    >>> b = IBMBackend("fake_manila", options=IBMOptions(shots=2000, resilience_level=0, seed_simulator=7),
    ...                ledger=os.path.join(tempfile.mkdtemp(), "l.sqlite"), run_id="doc")
    >>> r = b.run(Circuit(1).add("RY", 0, W(0)), "Z0", [0.0])
    >>> r.backend, r.shots, bool(abs(r.values() - 1.0) < 0.2)
    ('ibm:fake_manila', 2000, True)
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qml import config
from qml.backends.base import BaseBackend, Capabilities, Execution
from qml.backends.jobs import (
    JobManager,
    PollPolicy,
    RetryPolicy,
    Submission,
    http_status,
    new_run_id,
    retry_call,
)
from qml.backends.ledger import Ledger
from qml.backends.qiskit_common import CompiledCircuit, compile_slots, fake_backend, map_observables
from qml.errors import ConfigError, QMLError
from qml.ir import Circuit
from qml.paulis import PauliSum

log = logging.getLogger(__name__)

__all__ = [
    "CostEstimate",
    "IBMAccountError",
    "IBMBackend",
    "IBMOptions",
    "RuntimeRunner",
    "estimate_cost",
    "ibm_service",
    "is_fake_name",
]

#: Pay-as-you-go list price used for cost estimates unless ``QML_IBM_USD_PER_SECOND`` is set.
DEFAULT_USD_PER_SECOND = 1.60
#: Fixed per-job overhead in estimated QPU seconds.
JOB_OVERHEAD_SECONDS = 2.0


class IBMAccountError(QMLError, RuntimeError):
    """No usable IBM Quantum account (nothing in the environment, nothing saved)."""


def ibm_service(channel: str | None = None, instance: str | None = None, name: str | None = None) -> Any:
    """A ``QiskitRuntimeService`` from the environment or qiskit's saved account.

    Credentials are read by qiskit-ibm-runtime itself: ``QISKIT_IBM_TOKEN`` (with
    ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_CHANNEL``, ``QISKIT_IBM_URL``) or the account
    saved with ``QiskitRuntimeService.save_account`` (``name`` selects one). This
    function never takes a token.

    Args:
        channel: ``"ibm_quantum_platform"`` or ``"ibm_cloud"`` (default: environment/saved).
        instance: Instance CRN or name (default: ``QISKIT_IBM_INSTANCE`` or the saved one).
        name: Name of a saved account.

    Raises:
        IBMAccountError: If no account is configured (the message says how to set one).
    """
    from qiskit_ibm_runtime import QiskitRuntimeService
    from qiskit_ibm_runtime.accounts.exceptions import AccountNotFoundError, InvalidAccountError

    try:
        return QiskitRuntimeService(channel=channel, instance=instance, name=name)
    except (AccountNotFoundError, InvalidAccountError) as exc:
        raise IBMAccountError(
            "no IBM Quantum account: set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE) in the environment, or "
            "save "
            "one with QiskitRuntimeService.save_account(...); for offline runs use a fake backend such as "
            f"'ibm:fake_manila' ({type(exc).__name__})"
        ) from None


def is_fake_name(name: str) -> bool:
    """Whether a backend name means a fake (local testing) backend.

    Example:
        >>> is_fake_name("fake_manila"), is_fake_name("FakeManilaV2"), is_fake_name("ibm_brisbane")
        (True, True, False)
    """
    return name.lower().startswith("fake")


@dataclass(frozen=True)
class IBMOptions:
    """Execution options for :class:`IBMBackend` (all JSON-serialisable; no secrets).

    Attributes:
        shots: Shots per measurement basis and parameter row when a call passes none.
        resilience_level: 0 (none), 1 (TREX readout mitigation), 2 (TREX + ZNE).
        measure_mitigation: TREX on/off (``None``: as the level says).
        zne: Zero-noise extrapolation on/off (``None``: as the level says).
        zne_noise_factors: Noise amplification factors for ZNE.
        zne_extrapolator: ZNE extrapolator(s) (``"linear"``, ``"exponential"``, ...).
        twirling_gates: Pauli-twirl two-qubit gates (``None``: as the level says).
        twirling_measure: Twirl measurements (``None``: as the level says).
        num_randomizations: Twirling randomizations (``"auto"`` or an int).
        dynamical_decoupling: Insert DD sequences in idle periods.
        dd_sequence: ``"XX"``, ``"XpXm"`` or ``"XY4"``.
        mode: ``"job"`` (default), ``"batch"`` or ``"session"`` for all jobs of the backend.
        gradient_mode: In job mode, ``"batch"`` (default) opens a ``Batch`` at the first
            gradient step and keeps it for the following jobs (closed by :meth:`IBMBackend.close`);
            ``"job"`` keeps gradient steps in job mode.
        optimization_level: Transpiler level for ISA circuits.
        seed_transpiler: Layout/routing seed (reproducible layouts and idempotency keys).
        max_execution_time: Per-job limit in QPU seconds.
        job_tags: Extra job tags (the run and key tags are always added).
        private: Mark jobs private.
        seed_simulator: Sampling seed in local testing mode.
        angle_decimals: Local testing mode: rounding of angles (runtime default 5).
        primitive: ``"executor"`` (the client-side Estimator) or ``"legacy"`` (``EstimatorV2``).
        max_rows_per_job: Split larger parameter arrays into several jobs (in one Batch).
        seconds_per_shot: For cost estimates; default: the backend's repetition delay
            plus the circuit duration.

    Example:
        >>> IBMOptions(zne=True).resilience_options()["zne_mitigation"]
        True
        >>> IBMOptions(mode="hybrid")
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: mode must be one of ('job', 'batch', 'session'), got 'hybrid'
    """

    shots: int = 4096
    resilience_level: Literal[0, 1, 2] = 1
    measure_mitigation: bool | None = None
    zne: bool | None = None
    zne_noise_factors: tuple[float, ...] = (1.0, 3.0, 5.0)
    zne_extrapolator: str | tuple[str, ...] = ("exponential", "linear")
    twirling_gates: bool | None = None
    twirling_measure: bool | None = None
    num_randomizations: int | str = "auto"
    dynamical_decoupling: bool = False
    dd_sequence: str = "XX"
    mode: Literal["job", "batch", "session"] = "job"
    gradient_mode: Literal["batch", "job"] = "batch"
    optimization_level: int = 1
    seed_transpiler: int | None = 1234
    max_execution_time: int | None = None
    job_tags: tuple[str, ...] = ()
    private: bool = False
    seed_simulator: int | None = None
    angle_decimals: int | None = None
    primitive: Literal["executor", "legacy"] = "executor"
    max_rows_per_job: int = 50_000
    seconds_per_shot: float | None = None

    def __post_init__(self) -> None:
        checks: list[tuple[str, Any, tuple[Any, ...]]] = [
            ("resilience_level", self.resilience_level, (0, 1, 2)),
            ("mode", self.mode, ("job", "batch", "session")),
            ("gradient_mode", self.gradient_mode, ("batch", "job")),
            ("dd_sequence", self.dd_sequence, ("XX", "XpXm", "XY4")),
            ("primitive", self.primitive, ("executor", "legacy")),
            ("optimization_level", self.optimization_level, (0, 1, 2, 3)),
        ]
        for name, value, valid in checks:
            if value not in valid:
                raise ConfigError(f"{name} must be one of {valid}, got {value!r}")
        if not isinstance(self.shots, int) or self.shots < 1:
            raise ConfigError(f"shots must be a positive integer, got {self.shots!r}")
        if self.max_rows_per_job < 1:
            raise ConfigError(f"max_rows_per_job must be >= 1, got {self.max_rows_per_job}")
        per_shot = self.seconds_per_shot
        if per_shot is not None and (
            isinstance(per_shot, bool)
            or not isinstance(per_shot, (int, float))
            or not math.isfinite(per_shot)
            or per_shot <= 0
        ):
            raise ConfigError(
                f"seconds_per_shot must be a finite number of seconds > 0 (or unset: the backend's own), "
                f"got {per_shot!r}"
            )
        object.__setattr__(self, "job_tags", tuple(self.job_tags))
        object.__setattr__(self, "zne_noise_factors", tuple(float(f) for f in self.zne_noise_factors))
        if not isinstance(self.zne_extrapolator, str):
            object.__setattr__(self, "zne_extrapolator", tuple(self.zne_extrapolator))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> IBMOptions:
        """Build from a dict (e.g. an experiment file), naming unknown keys.

        Example:
            >>> IBMOptions.from_dict({"shots": 100, "resilience_level": 0}).shots
            100
        """
        known = {f.name for f in fields(IBMOptions)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown IBM options {unknown}; valid: {sorted(known)}")
        d = dict(data)
        for k in ("job_tags", "zne_noise_factors"):
            if k in d:
                d[k] = tuple(d[k])
        if isinstance(d.get("zne_extrapolator"), list):
            d["zne_extrapolator"] = tuple(d["zne_extrapolator"])
        return IBMOptions(**d)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (stored in the ledger)."""
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d

    def resilience_options(self) -> dict[str, Any]:
        """The resilience settings as executor ``EstimatorOptions.resilience`` fields."""
        out: dict[str, Any] = {}
        if self.measure_mitigation is not None:
            out["measure_mitigation"] = self.measure_mitigation
        if self.zne is not None:
            out["zne_mitigation"] = self.zne
        return out

    def mitigation_factor(self) -> float:
        """Rough multiplier of the shot count due to mitigation (for cost estimates)."""
        trex = self.measure_mitigation if self.measure_mitigation is not None else self.resilience_level >= 1
        zne = self.zne if self.zne is not None else self.resilience_level >= 2
        return (2.0 if trex else 1.0) * (len(self.zne_noise_factors) if zne else 1.0)


@dataclass(frozen=True)
class CostEstimate:
    """A rough resource estimate of one submission (or a dry run).

    Attributes:
        backend: Backend name.
        n_qubits: Qubits of the ISA circuit (the device width).
        depth: ISA circuit depth.
        two_qubit_gates: Number of two-qubit gates in the ISA circuit.
        rows: Parameter rows (batch x shifted points).
        bases: Measurement bases (qubit-wise commuting groups of the observables).
        shots: Shots per basis and row.
        total_shots: ``rows * bases * shots * mitigation factor``.
        qpu_seconds: Estimated QPU time.
        usd: ``qpu_seconds`` times the price per second.
        usd_per_second: The price used.
        jobs: Number of jobs.
    """

    backend: str
    n_qubits: int
    depth: int
    two_qubit_gates: int
    rows: int
    bases: int
    shots: int
    total_shots: int
    qpu_seconds: float
    usd: float
    usd_per_second: float
    jobs: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def _usd_per_second() -> float:
    return config.ibm_usd_per_second(DEFAULT_USD_PER_SECOND)


def estimate_cost(
    compiled: CompiledCircuit,
    target: Any,
    rows: int,
    bases: int,
    shots: int,
    options: IBMOptions,
    jobs: int = 1,
) -> CostEstimate:
    """A rough QPU-time and price estimate (repetition delay + circuit duration per shot).

    Example:
        >>> from qml.ir import Circuit
        >>> fake = fake_backend("fake_manila")
        >>> cc = compile_slots(Circuit(2).add("H", 0).add("CNOT", (0, 1)), fake)
        >>> est = estimate_cost(cc, fake, rows=3, bases=2, shots=1000, options=IBMOptions(resilience_level=0))
        >>> est.total_shots, est.two_qubit_gates
        (6000, 1)
    """
    per_shot = options.seconds_per_shot
    if per_shot is None:
        rep = getattr(target, "default_rep_delay", None)
        if rep is None:
            try:
                rep = target.configuration().default_rep_delay
            except Exception:
                rep = None
        rep = float(rep) if rep else 250e-6
        rep = rep * 1e-6 if rep > 1.0 else rep  # some configurations give microseconds
        try:
            duration = float(compiled.isa.estimate_duration(target.target, unit="s"))
        except Exception:
            duration = 0.0
        per_shot = rep + duration
    total = math.ceil(rows * bases * shots * options.mitigation_factor())
    seconds = jobs * JOB_OVERHEAD_SECONDS + total * per_shot
    price = _usd_per_second()
    return CostEstimate(
        backend=str(target.name),
        n_qubits=compiled.n_qubits,
        depth=compiled.depth(),
        two_qubit_gates=compiled.two_qubit_count(),
        rows=rows,
        bases=bases,
        shots=shots,
        total_shots=total,
        qpu_seconds=round(seconds, 3),
        usd=round(seconds * price, 2),
        usd_per_second=price,
        jobs=jobs,
    )


def _jsonable(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist() if value.size <= 64 else f"<array {value.shape} {value.dtype}>"
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class RuntimeRunner:
    """Submits pubs with qiskit-ibm-runtime primitives (remote service or local testing mode).

    Implements the :class:`~qml.backends.jobs.Runner` protocol.

    Args:
        target: The backend object (an ``IBMBackend`` of the service, or a fake backend).
        service: The ``QiskitRuntimeService`` (``None`` in local testing mode).
        options: Execution options.
    """

    def __init__(self, target: Any, service: Any, options: IBMOptions) -> None:
        self.target = target
        self.service = service
        self.options = options
        self.is_local = service is None
        self.backend_name = str(target.name)
        self.mode: Any = None  # an open Batch or Session

    def _estimator(self, shots: int, tags: list[str], seed: int | None) -> Any:
        o = self.options
        mode = self.mode if self.mode is not None else self.target
        if o.primitive == "legacy":
            from qiskit_ibm_runtime import EstimatorV2

            legacy: dict[str, Any] = {
                "default_shots": shots,
                "resilience_level": o.resilience_level,
                "environment": {"job_tags": tags},
                "dynamical_decoupling": {"enable": o.dynamical_decoupling, "sequence_type": o.dd_sequence},
            }
            if o.max_execution_time is not None:
                legacy["max_execution_time"] = o.max_execution_time
            return EstimatorV2(mode=mode, options=legacy)
        from qiskit_ibm_runtime.executor_estimator import Estimator

        est = Estimator(mode=mode)
        opts = est.options
        opts.default_shots = int(shots)
        opts.resilience_level = o.resilience_level
        for k, v in o.resilience_options().items():
            setattr(opts.resilience, k, v)
        if o.zne is True or (o.zne is None and o.resilience_level >= 2):
            opts.resilience.zne.noise_factors = list(o.zne_noise_factors)
            opts.resilience.zne.extrapolator = (
                o.zne_extrapolator if isinstance(o.zne_extrapolator, str) else list(o.zne_extrapolator)
            )
        if o.twirling_gates is not None:
            opts.twirling.enable_gates = o.twirling_gates
        if o.twirling_measure is not None:
            opts.twirling.enable_measure = o.twirling_measure
        opts.twirling.num_randomizations = o.num_randomizations
        opts.dynamical_decoupling.enable = o.dynamical_decoupling
        opts.dynamical_decoupling.sequence_type = o.dd_sequence
        opts.environment.job_tags = list(tags)
        opts.environment.private = o.private
        if o.max_execution_time is not None:
            opts.max_execution_time = o.max_execution_time
        if self.is_local:
            if seed is not None:
                opts.simulator.seed_simulator = int(seed)
            if o.angle_decimals is not None:
                opts.simulator.angle_decimals = int(o.angle_decimals)
        return est

    # -- Runner protocol ------------------------------------------------------------------
    def submit(self, sub: Submission, tags: list[str]) -> Any:
        """Submit one estimator pub (``sub.payload``)."""
        seed = sub.options.get("seed_simulator")
        est = self._estimator(int(sub.shots or self.options.shots), tags, seed)
        return est.run([sub.payload])

    def job(self, job_id: str) -> Any | None:
        """The remote job (``None`` in local testing mode or when the service does not know it)."""
        if self.is_local:
            return None
        from qiskit_ibm_runtime.exceptions import RuntimeJobNotFound

        try:
            return self.service.job(job_id)
        except RuntimeJobNotFound:
            log.warning("the service does not know job %s", job_id)
            return None

    def find_jobs(self, tags: list[str]) -> list[str]:
        """Ids of remote jobs with all ``tags``, oldest first."""
        if self.is_local:
            return []
        jobs = self.service.jobs(job_tags=list(tags), limit=20, backend_name=self.backend_name)
        return [j.job_id() for j in reversed(jobs)]

    def extract(self, job: Any, result: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``evs``/``stds`` (and other array fields) of the single pub result."""
        pub = result[0]
        arrays: dict[str, np.ndarray] = {}
        data = pub.data
        keys = list(data.keys()) if hasattr(data, "keys") else ["evs", "stds"]
        for k in keys:
            v = getattr(data, k, None)
            if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
                arrays[str(k)] = np.asarray(v)
        meta = {
            "pub": _jsonable(getattr(pub, "metadata", {})),
            "result": _jsonable(getattr(result, "metadata", {})),
        }
        return arrays, meta

    def usage(self, job: Any) -> float | None:
        """QPU seconds (0 for local jobs)."""
        if self.is_local:
            return 0.0
        u = job.usage()
        return None if u is None else float(u)

    def session_id(self, job: Any) -> str | None:
        """The batch/session id of a remote job."""
        if self.is_local:
            return None
        return getattr(job, "_session_id", None)

    def cancel(self, job_id: str) -> None:
        """Cancel a remote job."""
        if self.is_local:
            raise ConfigError("local testing mode jobs run synchronously and cannot be cancelled")
        self.service.job(job_id).cancel()


class IBMBackend(BaseBackend):
    """IBM Quantum (or a fake backend in local testing mode) behind the backend protocol.

    Args:
        backend: A backend name (``"ibm_brisbane"``; a fake name such as ``"fake_manila"``
            selects local testing mode) or a backend object (an ``IBMBackend`` of a
            service, or a fake backend).
        service: A ``QiskitRuntimeService``; default :func:`ibm_service` (environment or
            saved account) for remote names.
        options: :class:`IBMOptions` or a dict of them.
        ledger: A :class:`~qml.backends.ledger.Ledger` or a path (default
            ``$QML_LEDGER`` or ``~/.qml/ledger.sqlite``).
        run_id: The run (replaying a run id resumes it); default ``$QML_RUN_ID`` or new.
        budget: Budget name charged in the ledger.
        retry: Retries of transient API errors.
        poll: Job status polling.
        sleep: Sleep function for polling and retries (tests pass a no-op).

    Example:
        >>> import tempfile, os
        >>> b = IBMBackend("fake_manila", ledger=os.path.join(tempfile.mkdtemp(), "l.sqlite"))
        >>> b.name, b.capabilities.max_qubits, b.local
        ('ibm:fake_manila', 5, True)
    """

    def __init__(
        self,
        backend: str | Any,
        service: Any = None,
        options: IBMOptions | dict[str, Any] | None = None,
        ledger: Ledger | str | os.PathLike[str] | None = None,
        run_id: str | None = None,
        budget: str = "default",
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.options = (
            options if isinstance(options, IBMOptions) else IBMOptions.from_dict(dict(options or {}))
        )
        retry = retry or RetryPolicy()
        if isinstance(backend, str):
            if is_fake_name(backend):
                target, service = fake_backend(backend), None
            else:
                service = service if service is not None else ibm_service()
                target = retry_call(
                    lambda: service.backend(backend), retry, sleep, f"loading backend {backend}"
                )
        else:
            target = backend
            from qiskit_ibm_runtime import IBMBackend as RuntimeIBMBackend

            if isinstance(target, RuntimeIBMBackend):
                service = service if service is not None else target.service
            else:
                service = None
        self.target = target
        self.service = service
        self.local = service is None
        self.name = f"ibm:{target.name}"
        self.capabilities = Capabilities(
            differentiable=False,
            supports_shots=True,
            supports_exact=False,
            max_qubits=int(target.num_qubits),
            batched=True,
            remote=not self.local,
            noisy=True,
        )
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
        self.runner = RuntimeRunner(target, service, self.options)
        self.manager = JobManager(
            self.ledger,
            self.runner,
            run_id or new_run_id(),
            budget,
            retry,
            poll or PollPolicy(),
            sleep,
        )
        self._compiled: dict[Circuit, CompiledCircuit] = {}
        self._mode_stack: list[Any] = []

    # -- properties -----------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        """The run id used for idempotency keys and job tags."""
        return self.manager.run_id

    def _check_shots(self, shots: int | None) -> None:
        if shots is None:
            return  # options.shots
        super()._check_shots(shots)

    # -- execution modes ------------------------------------------------------------------
    @contextmanager
    def _mode(self, kind: Literal["batch", "session"], max_time: int | str | None = None) -> Iterator[Any]:
        from qiskit_ibm_runtime import Batch, Session

        if self.runner.mode is not None:  # nested: reuse the open one
            yield self.runner.mode
            return
        cls = Batch if kind == "batch" else Session
        mode = cls(backend=self.target, max_time=max_time)
        self.runner.mode = mode
        log.info("opened a %s on %s", kind, self.target.name)
        try:
            yield mode
        finally:
            self.runner.mode = None
            try:
                mode.close()
            except Exception as exc:
                log.warning("closing the %s failed: %s", kind, exc)

    def batch(self, max_time: int | str | None = None) -> Any:
        """Context manager: submissions inside run in one ``Batch`` (e.g. a training epoch).

        Example:
            >>> import tempfile, os
            >>> b = IBMBackend("fake_manila", ledger=os.path.join(tempfile.mkdtemp(), "l.sqlite"))
            >>> with b.batch():
            ...     pass
        """
        return self._mode("batch", max_time)

    def session(self, max_time: int | str | None = None) -> Any:
        """Context manager: submissions inside run in a dedicated ``Session`` (only when asked:
        an idle session is billed)."""
        return self._mode("session", max_time)

    def close(self) -> None:
        """Close an open batch/session of ``mode="batch"``/``"session"`` and the ledger."""
        while self._mode_stack:
            cm = self._mode_stack.pop()
            cm.__exit__(None, None, None)
        self.ledger.close()

    def _ensure_mode(self, purpose: str) -> None:
        kind = self.options.mode
        if kind == "job" and purpose == "gradient" and self.options.gradient_mode == "batch":
            kind = "batch"
        if kind != "job" and self.runner.mode is None:
            cm = self._mode(kind)
            cm.__enter__()
            self._mode_stack.append(cm)

    def _reset_mode(self) -> None:
        """Drop a batch/session the service no longer accepts jobs in (closed or expired)."""
        while self._mode_stack:
            self._mode_stack.pop().__exit__(None, None, None)

    # -- compilation ----------------------------------------------------------------------
    def compiled(self, circuit: Circuit) -> CompiledCircuit:
        """The ISA slot circuit for this backend (cached per circuit)."""
        if circuit not in self._compiled:
            self._compiled[circuit] = compile_slots(
                circuit, self.target, self.options.optimization_level, self.options.seed_transpiler
            )
        return self._compiled[circuit]

    def _bases(self, observables: Sequence[PauliSum]) -> int:
        from qml.backends.torch_backend import measurement_groups

        return max(len(measurement_groups(observables)), 1)

    def estimate(
        self, circuit: Circuit, observables: Sequence[PauliSum], rows: int, shots: int | None = None
    ) -> CostEstimate:
        """Cost estimate of running ``rows`` parameter rows (see :func:`estimate_cost`)."""
        shots = int(shots or self.options.shots)
        jobs = max(1, math.ceil(rows / self.options.max_rows_per_job))
        return estimate_cost(
            self.compiled(circuit), self.target, rows, self._bases(observables), shots, self.options, jobs
        )

    def dry_run(
        self,
        circuit: Circuit,
        observables: Any,
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        gradient: bool = False,
    ) -> CostEstimate:
        """Transpile and estimate without submitting (``gradient`` counts the shifted rows).

        Example:
            >>> import tempfile, os
            >>> from qml.ir import Circuit, W
            >>> b = IBMBackend("fake_manila", ledger=os.path.join(tempfile.mkdtemp(), "l.sqlite"))
            >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
            >>> est = b.dry_run(c, ["Z0 Z1"], [0.1], gradient=True)
            >>> est.rows, est.two_qubit_gates
            (3, 1)
        """
        from qml.sim.shift import shift_plan

        prep = self._prepare(circuit, observables, weights, inputs, shots)
        rows = prep.batch * (1 + (len(shift_plan(circuit).entries) if gradient else 0))
        return self.estimate(circuit, prep.observables, rows, shots)

    # -- the backend protocol ------------------------------------------------------------
    def _content_hash(
        self, circuit: Circuit, params: np.ndarray, obs_json: Any, shots: int, seed: int | None
    ) -> str:
        h = hashlib.sha256()
        opts = self.options.to_dict()
        head = {
            "backend": self.target.name,
            "circuit": circuit.to_dict(),
            "observables": obs_json,
            "shots": shots,
            "options": opts,
            "seed": seed,
            "params_shape": list(params.shape),
        }
        h.update(json.dumps(head, sort_keys=True).encode())
        h.update(np.ascontiguousarray(np.round(params, 12), dtype=np.float64).tobytes())
        return h.hexdigest()

    def _submission(
        self,
        circuit: Circuit,
        cc: CompiledCircuit,
        obs: list[Any],
        params: np.ndarray,
        shots: int,
        seed: int | None,
        bases: int,
        n_jobs: int,
        purpose: str,
    ) -> Submission:
        from qiskit import qpy

        obs_json = [[[lbl, float(np.real(c))] for lbl, c in o.to_list()] for o in obs]
        rows = params.shape[0]
        K = params.shape[1]
        payload = (cc.isa, obs, params.reshape(rows, 1, K)) if K else (cc.isa, obs)
        buf = io.BytesIO()
        qpy.dump(cc.isa, buf)
        try:
            from qiskit import qasm3

            qasm = qasm3.dumps(cc.isa)
        except Exception:
            from qml.interop.qasm import to_qasm3

            qasm = to_qasm3(circuit)
        options = self.options.to_dict()
        if self.local and seed is not None:
            options["seed_simulator"] = int(seed)
        est = estimate_cost(cc, self.target, rows if K else 1, bases, shots, self.options, 1)
        names = np.array([p.name for p in cc.isa.parameters], dtype=str)
        return Submission(
            backend=self.target.name,
            content_hash=self._content_hash(circuit, params, obs_json, shots, seed),
            shots=shots,
            options=options,
            cost_shots=est.total_shots,
            cost_seconds=est.qpu_seconds,
            payload=payload,
            circuit_qpy=buf.getvalue(),
            circuit_qasm=qasm,
            inputs={"parameter_values": params, "parameter_names": names},
            observables=obs_json,
            tags=(*self.options.job_tags, f"qml-{purpose}"),
        )

    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """All rows in one job (more only beyond ``max_rows_per_job``, then in one Batch)."""
        shots = int(shots or self.options.shots)
        if seed is None:
            seed = self.options.seed_simulator
        cc = self.compiled(circuit)
        obs = map_observables(observables, cc)
        params = cc.parameter_rows(angles)
        N, K = params.shape
        step = self.options.max_rows_per_job
        chunks = [params[i : i + step] for i in range(0, N, step)] if K else [params[:1]]
        bases = self._bases(observables)
        self._ensure_mode(purpose)
        evs, stds, job_ids, reused = [], [], [], 0
        ctx = self.batch() if len(chunks) > 1 else _null()
        with ctx:
            for chunk in chunks:
                sub = self._submission(circuit, cc, obs, chunk, shots, seed, bases, len(chunks), purpose)
                try:
                    out = self.manager.run(sub)
                except Exception as exc:
                    code = http_status(exc)
                    if not self._mode_stack or code is None or not 400 <= code < 500 or code == 429:
                        raise
                    log.warning("the open batch/session refused the job (HTTP %s); opening a new one", code)
                    self._reset_mode()
                    self._ensure_mode(purpose)
                    out = self.manager.run(sub, again=True)
                rows = chunk.shape[0] if K else N
                evs.append(np.broadcast_to(np.asarray(out.arrays["evs"], dtype=np.float64), (rows, len(obs))))
                if "stds" in out.arrays:
                    stds.append(
                        np.broadcast_to(np.asarray(out.arrays["stds"], dtype=np.float64), (rows, len(obs)))
                    )
                job_ids.append(str(out.record.job_id))
                reused += int(out.reused)
        return Execution(
            np.concatenate(evs),
            np.concatenate(stds) if len(stds) == len(evs) else None,
            tuple(job_ids),
            {
                "run_id": self.run_id,
                "reused_jobs": reused,
                "shots": shots,
                "purpose": purpose,
                "primitive": self.options.primitive,
            },
        )

    def ledger_path(self) -> Path:
        """Where this backend records its jobs."""
        return self.ledger.path


@contextmanager
def _null() -> Iterator[None]:
    yield
