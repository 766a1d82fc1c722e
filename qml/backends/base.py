"""The backend protocol: one small interface over every way of running a circuit.

A backend runs a :class:`~qml.ir.Circuit` for a batch of weight/input rows and returns
expectation values of Pauli observables:

* :meth:`Backend.run` returns a :class:`BackendResult` (a ``(B, n_obs)`` NumPy array plus
  metadata: backend name, shots, seed, job ids);
* :meth:`Backend.expval` returns a torch tensor that is differentiable with respect to
  ``weights`` (and ``inputs``): by the backend's own autograd where it has one, else by
  the parameter-shift rule of :mod:`qml.backends.shift`, which packs the forward point
  and every shifted point of the whole batch into ONE execution.

Shapes follow :meth:`qml.Simulator.expval`: ``weights`` is ``(P,)`` or ``(B, P)``,
``inputs`` ``(F,)`` or ``(B, F)``; a list of observables gives ``(B, n_obs)``, a single
observable ``(B,)``, and fully unbatched calls drop the batch axis. So
``get_backend("aer").expval`` is a drop-in replacement for ``qml.Simulator().expval``.

Non-differentiable backends (Aer, IBM) execute a *slot circuit*: the circuit with every
gate angle of a trainable gate replaced by its own parameter (see :func:`slot_circuit`).
Angles are computed from weights and inputs by
``qml.sim.program.compile_circuit(c).angles(weights, inputs)``, differentiably, so gradients
of affine and polynomial angle maps come from the chain rule.

Example:
    >>> from qml.ir import Circuit, W
    >>> from qml.backends import get_backend
    >>> b = get_backend("torch")
    >>> r = b.run(Circuit(1).add("RY", 0, W(0)), ["Z0"], [0.0])
    >>> r.expectations.tolist(), r.backend
    ([[1.0]], 'torch')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import torch

from qml.errors import ConfigError, ConfigTypeError
from qml.ir import Circuit, Op, W
from qml.paulis import ObservableLike, PauliSum
from qml.sim.arguments import parameter_rows

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = [
    "Backend",
    "BackendResult",
    "BaseBackend",
    "Capabilities",
    "Execution",
    "Prepared",
    "as_observables",
    "prepare",
    "slot_circuit",
]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do.

    Attributes:
        differentiable: ``expval`` is differentiable by the backend's own autograd
            (backprop/adjoint). When False, gradients come from the packed
            parameter-shift rule (:mod:`qml.backends.shift`), still through ``backward()``.
        supports_shots: Finite-shot estimation is available (``shots=N``).
        supports_exact: Exact expectation values are available (``shots=None``).
        max_qubits: Largest circuit width, or ``None`` when only memory limits it.
        batched: One call runs all rows of a batch (one execution, one job).
        remote: Runs on a service (jobs, queues, costs).
        noisy: Simulates or runs with hardware noise.

    Example:
        >>> Capabilities(differentiable=True, supports_shots=True).batched
        True
    """

    differentiable: bool
    supports_shots: bool
    supports_exact: bool = True
    max_qubits: int | None = None
    batched: bool = True
    remote: bool = False
    noisy: bool = False


@dataclass(frozen=True)
class BackendResult:
    """Expectation values of one :meth:`Backend.run` call plus where they came from.

    Attributes:
        expectations: ``(B, n_obs)`` float64 array (always 2-D).
        backend: The backend's registry name, e.g. ``"aer"`` or ``"ibm:fake_manila"``.
        shots: Shots per measurement basis, ``None`` for exact values.
        seed: The seed used, if any.
        job_ids: Ids of the jobs that produced the values (empty for local simulators).
        stds: Standard errors ``(B, n_obs)`` when the backend reports them.
        metadata: Anything else the backend reports (JSON-serialisable).
        batched: Whether the call was batched (see :meth:`values`).
        single: Whether a single observable was passed (see :meth:`values`).

    Example:
        >>> r = BackendResult(np.zeros((2, 1)), "torch", None, None)
        >>> r.values().shape, r.tensor().dtype
        ((2, 1), torch.float64)
    """

    expectations: np.ndarray
    backend: str
    shots: int | None
    seed: int | None
    job_ids: tuple[str, ...] = ()
    stds: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    batched: bool = True
    single: bool = False

    def values(self) -> np.ndarray:
        """The expectations shaped like :meth:`qml.Simulator.expval` returns them."""
        e = self.expectations
        if self.single:
            e = e[:, 0]
        return e if self.batched else e[0]

    def tensor(self, dtype: torch.dtype = torch.float64) -> Tensor:
        """:meth:`values` as a torch tensor (not differentiable; use :meth:`Backend.expval`)."""
        return torch.as_tensor(np.ascontiguousarray(self.values()), dtype=dtype)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (arrays as nested lists)."""
        return {
            "expectations": self.expectations.tolist(),
            "stds": None if self.stds is None else self.stds.tolist(),
            "backend": self.backend,
            "shots": self.shots,
            "seed": self.seed,
            "job_ids": list(self.job_ids),
            "metadata": self.metadata,
        }


@runtime_checkable
class Backend(Protocol):
    """What every backend provides (see the module docstring).

    Example:
        >>> from qml.backends import get_backend
        >>> b = get_backend("torch")
        >>> b.name, b.capabilities.differentiable
        ('torch', True)
    """

    name: str
    capabilities: Capabilities

    def run(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> BackendResult:
        """Expectation values for every row of the batch, as a :class:`BackendResult`."""
        ...

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Expectation values as a differentiable torch tensor."""
        ...


def as_observables(
    observables: ObservableLike | Sequence[ObservableLike],
) -> tuple[tuple[PauliSum, ...], bool]:
    """Coerce one observable or a list of them; returns ``(sums, single)``.

    Example:
        >>> obs, single = as_observables("Z0 + X1")
        >>> len(obs), single
        (1, True)
    """
    single = not isinstance(observables, (list, tuple))
    # Any: callers may pass anything; PauliSum.coerce's TypeError is reported below.
    items: list[Any] = [observables] if single else list(cast(Sequence[ObservableLike], observables))
    if not items:
        raise ConfigError("pass at least one observable (a PauliSum, PauliString or text like 'Z0 Z1')")
    out = []
    for o in items:
        try:
            out.append(PauliSum.coerce(o))
        except TypeError:
            raise ConfigTypeError(
                f"an observable must be a PauliSum, PauliString, text like 'Z0 Z1' or a number, got "
                f"{type(o).__name__}"
            ) from None
    return tuple(out), single


@dataclass(frozen=True)
class Prepared:
    """Validated arguments of one call.

    Attributes:
        circuit: The circuit.
        observables: The observables as Pauli sums.
        single: A single observable was passed.
        batched: Weights or inputs had a batch axis.
        weights: ``(Bw, P)`` float64 tensor (may require grad).
        inputs: ``(Bx, F)`` float64 tensor (may require grad).
        batch: ``max(Bw, Bx)``.
    """

    circuit: Circuit
    observables: tuple[PauliSum, ...]
    single: bool
    batched: bool
    weights: Tensor
    inputs: Tensor
    batch: int

    def angles(self) -> Tensor:
        """Gate-slot angles ``(B, n_slots)``, differentiable in weights and inputs."""
        from qml.sim.program import compile_circuit

        return compile_circuit(self.circuit).angles(self.weights, self.inputs)

    def shape(self, values: Tensor) -> Tensor:
        """Reshape ``(B, n_obs)`` values like :meth:`qml.Simulator.expval` does."""
        if self.single:
            values = values[:, 0]
        return values if self.batched else values[0]


def prepare(
    circuit: Circuit,
    observables: ObservableLike | Sequence[ObservableLike],
    weights: Any = None,
    inputs: Any = None,
    max_qubits: int | None = None,
) -> Prepared:
    """Validate and normalise the arguments of ``run``/``expval``.

    Example:
        >>> from qml.ir import Circuit, W
        >>> p = prepare(Circuit(1).add("RX", 0, W(0)), "Z0", [[0.1], [0.2]])
        >>> p.batch, p.batched, p.single
        (2, True, True)
    """
    if not isinstance(circuit, Circuit):
        raise ConfigTypeError(f"expected a qml Circuit, got {type(circuit).__name__}")
    if max_qubits is not None and circuit.n_wires > max_qubits:
        raise ConfigError(
            f"the circuit has {circuit.n_wires} wires but this backend runs at most {max_qubits} qubits"
        )
    obs, single = as_observables(observables)
    too_wide = [str(o) for o in obs if o.n_wires > circuit.n_wires]
    if too_wide:
        raise ConfigError(
            f"observables {too_wide} act on wires beyond the circuit's {circuit.n_wires} wires "
            f"(0..{circuit.n_wires - 1})"
        )
    w, wb = parameter_rows(weights, circuit.n_weights, "weights")
    x, xb = parameter_rows(inputs, circuit.n_inputs, "inputs")
    bw, bx = w.shape[0], x.shape[0]
    if bw != bx and 1 not in (bw, bx):
        raise ConfigError(f"weights batch {bw} and inputs batch {bx} differ; use equal sizes or 1")
    return Prepared(circuit, obs, single, wb or xb, w, x, max(bw, bx))


@lru_cache(maxsize=128)
def slot_circuit(circuit: Circuit) -> Circuit:
    """The circuit with every angle of a trainable gate replaced by its own weight.

    Slot ``k`` (weight ``k`` of the result) is column ``k`` of
    ``compile_circuit(circuit).angles(weights, inputs)``; gates whose angles are all
    constant keep them. The result has no inputs and ``n_weights == n_slots``, so it
    translates to Qiskit/PennyLane with one parameter per gate angle, which is what the
    parameter-shift rule needs.

    Example:
        >>> from qml.ir import Circuit, W, X
        >>> c = Circuit(1).add("RX", 0, 2 * W(0) + X(0)).add("RZ", 0, 0.3).add("RY", 0, W(0))
        >>> print(slot_circuit(c).draw(show_params=True))
        0: ─RX(w0)─RZ(0.3)─RY(w1)─
    """
    ops: list[Op] = []
    k = 0
    for op in circuit.ops:
        if any(not p.is_constant for p in op.params):
            params = tuple(W(k + j) for j in range(len(op.params)))
            k += len(op.params)
            ops.append(replace(op, params=params))
        else:
            ops.append(op)
    return Circuit(circuit.n_wires, tuple(ops), k, 0, circuit.name)


@dataclass(frozen=True)
class Execution:
    """What a non-differentiable backend's executor returns for a block of angle rows.

    Attributes:
        values: ``(N, n_obs)`` expectation values.
        stds: ``(N, n_obs)`` standard errors, if known.
        job_ids: Jobs that produced them.
        metadata: Extra JSON-serialisable information.

    Example:
        >>> import numpy as np
        >>> Execution(values=np.zeros((2, 1))).values.shape
        (2, 1)
    """

    values: np.ndarray
    stds: np.ndarray | None = None
    job_ids: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)


class BaseBackend:
    """Shared plumbing: argument handling and the parameter-shift ``expval``.

    Subclasses set :attr:`name` and :attr:`capabilities` and implement
    :meth:`execute` (angle rows of the slot circuit in, values out). Differentiable
    backends also override :meth:`expval`.

    Example:
        >>> from qml.backends import get_backend
        >>> isinstance(get_backend("aer"), BaseBackend)
        True
    """

    name: str = "base"
    capabilities: Capabilities = Capabilities(differentiable=False, supports_shots=False)
    #: The last :class:`Execution` run by :meth:`expval` (job ids, metadata), for inspection.
    last_execution: Execution | None = None

    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """Run the slot circuit of ``circuit`` for each row of ``angles`` ``(N, n_slots)``.

        Implementations must run all rows in one execution when
        :attr:`Capabilities.batched` is set.

        Args:
            circuit: The original circuit (translate :func:`slot_circuit` of it).
            angles: Slot angles, one row per point.
            observables: The observables.
            shots: Shots per measurement basis, or ``None`` for exact values.
            seed: Seed for sampling.
            purpose: ``"forward"`` or ``"gradient"`` (for job tags and logs).
        """
        raise NotImplementedError

    # -- checks ---------------------------------------------------------------------
    def _check_shots(self, shots: int | None) -> None:
        if shots is None:
            if not self.capabilities.supports_exact:
                raise ConfigError(f"backend {self.name!r} has no exact mode: pass shots=N (N >= 1)")
            return
        if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or shots < 1:
            raise ConfigError(f"shots must be a positive integer or None (exact), got {shots!r}")
        if not self.capabilities.supports_shots:
            raise ConfigError(f"backend {self.name!r} does not sample: use shots=None")

    def _prepare(
        self, circuit: Circuit, observables: Any, weights: Any, inputs: Any, shots: int | None
    ) -> Prepared:
        self._check_shots(shots)
        return prepare(circuit, observables, weights, inputs, self.capabilities.max_qubits)

    # -- protocol -------------------------------------------------------------------
    def run(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> BackendResult:
        """Expectation values for every row (one execution); see :class:`BackendResult`.

        Example:
            >>> from qml.ir import Circuit, W
            >>> from qml.backends import get_backend
            >>> get_backend("torch").run(Circuit(1).add("RX", 0, W(0)), "Z0", [0.0]).values().tolist()
            1.0
        """
        prep = self._prepare(circuit, observables, weights, inputs, shots)
        with torch.no_grad():
            angles = prep.angles().detach().cpu().numpy()
        ex = self.execute(circuit, angles, prep.observables, shots, seed, "forward")
        return self._result(prep, ex, shots, seed)

    def _result(self, prep: Prepared, ex: Execution, shots: int | None, seed: int | None) -> BackendResult:
        values = np.asarray(ex.values, dtype=np.float64).reshape(prep.batch, len(prep.observables))
        return BackendResult(
            values,
            self.name,
            ex.metadata.get("shots", shots),  # the shots actually used (e.g. a backend default)
            seed,
            tuple(ex.job_ids),
            None if ex.stds is None else np.asarray(ex.stds, dtype=np.float64).reshape(values.shape),
            dict(ex.metadata),
            prep.batched,
            prep.single,
        )

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Differentiable expectation values (parameter shift, one packed execution per call).

        Returns ``(B, n_obs)``, ``(B,)`` for a single observable, no batch axis when
        unbatched; float64.
        """
        from qml.backends.shift import shift_expval

        prep = self._prepare(circuit, observables, weights, inputs, shots)
        values = shift_expval(self, prep, shots, seed)
        return prep.shape(values)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
