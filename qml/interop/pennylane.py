"""Run a :class:`~qml.ir.Circuit` inside PennyLane.

:func:`to_pennylane` turns a circuit into a PennyLane *quantum function*: call it inside
any ``qp.qnode`` (or a tape context) and it queues one PennyLane operation per op, each
with exactly the matrix of :mod:`qml.gates`. Our wire ``w`` is PennyLane wire ``w``
(PennyLane also puts wire 0 on the most significant bit, so states agree as they are).

Angles are computed from the ``weights``/``inputs`` arrays with ordinary arithmetic on
``weights[..., i]``, so they stay differentiable in any interface (torch, autograd, jax)
and batched arrays of shape ``(B, n_weights)``/``(B, n_inputs)`` use PennyLane's parameter
broadcasting.

Example:
    >>> import pennylane as qp
    >>> from qml.ir import Circuit, W
    >>> qfunc = to_pennylane(Circuit(1).add("RX", 0, W(0)))
    >>> @qp.qnode(qp.device("default.qubit", wires=1))
    ... def expval(w):
    ...     qfunc(w)
    ...     return qp.expval(qp.PauliZ(0))
    >>> round(float(expval([3.141592653589793])), 6)
    -1.0
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qp

from qml.errors import ConfigError, ConfigTypeError
from qml.gates import GATES, GateSpec
from qml.ir import Circuit, Op, Param, W

__all__ = ["PENNYLANE_OPS", "PennyLaneImport", "from_pennylane", "to_pennylane"]


def _adjoint(cls: Callable[..., Any]) -> Callable[..., Any]:
    return lambda wires: qp.adjoint(cls(wires=wires))


def _pennylane_op(spec: GateSpec) -> Callable[..., Any]:
    if spec.pennylane:
        return getattr(qp, spec.pennylane)
    assert spec.inverse is not None  # Sdg, Tdg, SXdg: PennyLane writes them as adjoints
    return _adjoint(getattr(qp, GATES[spec.inverse[0]].pennylane))


#: Our gate name -> a callable ``(*angles, wires=...)`` that queues the PennyLane operation
#: with the same matrix (``Unitary`` is handled separately: ``qp.QubitUnitary``). Built from
#: the ``pennylane`` names of :data:`qml.gates.GATES`.
PENNYLANE_OPS: dict[str, Callable[..., Any]] = {
    name: _pennylane_op(spec) for name, spec in GATES.items() if name != "Unitary"
}


def _pennylane_name(spec: GateSpec) -> str:
    """PennyLane's name for the gate (``Adjoint(S)`` for Sdg); ``spec`` has a PennyLane name or an inverse."""
    if spec.pennylane:
        return spec.pennylane
    assert spec.inverse is not None
    return f"Adjoint({GATES[spec.inverse[0]].pennylane})"


# PennyLane operation name -> ours, for reading tapes ("Adjoint(S)" is how PennyLane names Sdg).
_FROM_PENNYLANE: dict[str, str] = {
    _pennylane_name(spec): name for name, spec in GATES.items() if spec.pennylane or spec.inverse
}


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _as_array(values: Any, like: Any) -> Any:
    """Lists become NumPy arrays; NumPy data next to a torch tensor becomes a torch tensor."""
    if values is None:
        return None
    if _is_torch(like) and not _is_torch(values):
        import torch

        return torch.as_tensor(np.asarray(values), dtype=like.dtype, device=like.device)
    if isinstance(values, (list, tuple)):
        return np.asarray(values, dtype=float)
    return values


def _check(name: str, values: Any, need: int, arg: str) -> None:
    if need == 0:
        return
    if values is None:
        raise ConfigError(
            f"the circuit uses {need} {name}(s) but {arg}=None was passed; pass an array with "
            f"{need} entries on its last axis"
        )
    shape = getattr(values, "shape", None)
    if shape is None or len(shape) == 0 or shape[-1] < need:
        raise ConfigError(
            f"{arg} must have at least {need} entries on its last axis (shape (..., {need})), got "
            f"shape {tuple(shape) if shape is not None else None}"
        )


def _angle(p: Param, weights: Any, inputs: Any) -> Any:
    """``const + sum coeff * prod(refs)`` with ``weights[..., i]``: differentiable, batchable."""
    if p.is_constant:
        like = weights if _is_torch(weights) else inputs
        if _is_torch(like):  # PennyLane cannot mix ndarray and torch angles in one gate
            import torch

            return torch.tensor(p.const, dtype=like.dtype, device=like.device)
        return p.const
    ref = p.single_ref
    if ref is not None:
        return (weights if ref[0] == "w" else inputs)[..., ref[1]]
    total: Any = None
    for coeff, refs in p.terms:
        term: Any = None
        for src, i in refs:
            value = (weights if src == "w" else inputs)[..., i]
            term = value if term is None else term * value
        term = term if coeff == 1.0 else coeff * term
        total = term if total is None else total + term
    return total if p.const == 0.0 else total + p.const


def _queue(op: Op, angles: list[Any], wires: list[Hashable]) -> None:
    if op.name == "Unitary":
        assert op.matrix is not None
        matrix = np.array([[complex(a, b) for a, b in row] for row in op.matrix])
        qp.QubitUnitary(matrix, wires=wires)
    else:
        PENNYLANE_OPS[op.name](*angles, wires=wires if len(wires) > 1 else wires[0])


def to_pennylane(circuit: Circuit, wires: Sequence[Hashable] | None = None) -> Callable[..., None]:
    """A PennyLane quantum function that applies ``circuit``.

    The returned ``qfunc(weights=None, inputs=None)`` queues the circuit's operations (it
    returns nothing; add measurements in your QNode). ``weights`` has shape
    ``(n_weights,)`` or ``(B, n_weights)`` and ``inputs`` ``(n_inputs,)`` or
    ``(B, n_inputs)``: torch tensors (gradients flow), NumPy/PennyLane/JAX arrays or lists.
    NumPy data passed next to torch weights is converted to torch.

    Args:
        circuit: The circuit.
        wires: PennyLane wire labels for our wires ``0..n_wires-1`` (default: the same
            integers), e.g. to place the circuit on part of a larger device.

    Returns:
        The quantum function.

    Raises:
        ValueError: If ``wires`` has the wrong length, or (when called) ``weights`` or
            ``inputs`` has fewer entries than the circuit needs.

    Example:
        >>> import pennylane as qp, torch
        >>> from qml.ir import Circuit, W, X
        >>> qfunc = to_pennylane(Circuit(2).add("RY", 0, W(0) * X(0)).add("CNOT", (0, 1)))
        >>> @qp.qnode(qp.device("default.qubit", wires=2), interface="torch")
        ... def f(w, x):
        ...     qfunc(w, x)
        ...     return qp.expval(qp.PauliZ(1))
        >>> f(torch.zeros(3, 1), torch.ones(1)).shape   # a batch of 3 weight vectors
        torch.Size([3])
    """
    labels: list[Hashable] = list(range(circuit.n_wires)) if wires is None else list(wires)
    if len(labels) != circuit.n_wires:
        raise ConfigError(
            f"wires must give one PennyLane label per circuit wire: expected {circuit.n_wires}, "
            f"got {len(labels)}"
        )
    if len(set(labels)) != len(labels):
        raise ConfigError(f"wires must be distinct labels, got {labels}")
    ops = circuit.ops

    def qfunc(weights: Any = None, inputs: Any = None) -> None:
        w = _as_array(weights, inputs)
        x = _as_array(inputs, w)
        _check("weight", w, circuit.n_weights, "weights")
        _check("input", x, circuit.n_inputs, "inputs")
        for op in ops:
            _queue(op, [_angle(p, w, x) for p in op.params], [labels[k] for k in op.wires])

    qfunc.__name__ = f"qfunc_{circuit.name}" if circuit.name.isidentifier() else "qfunc"
    qfunc.__doc__ = f"Quantum function for {circuit}."
    return qfunc


@dataclass(frozen=True)
class PennyLaneImport:
    """A PennyLane circuit read by :func:`from_pennylane`.

    Attributes:
        circuit: The circuit.
        weights: The values of its weights (one per gate angle, in tape order), so
            ``dense_state(circuit, weights)`` is the tape's state.
        wires: The PennyLane wire label of each of our wires.
        decomposed: Names of the PennyLane operations that were decomposed (not in our gate set).
    """

    circuit: Circuit
    weights: np.ndarray
    wires: tuple[Hashable, ...]
    decomposed: tuple[str, ...]


def _tape(source: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if isinstance(source, qp.tape.QuantumScript):
        if args or kwargs:
            raise ConfigError("arguments are for a quantum function or QNode; a tape already has its values")
        return source
    if isinstance(source, qp.QNode):
        return qp.workflow.construct_tape(source)(*args, **kwargs)
    if callable(source):
        return qp.tape.make_qscript(source)(*args, **kwargs)
    raise ConfigTypeError(
        f"from_pennylane reads a tape, a QNode or a quantum function, got {type(source).__name__}"
    )


def _float(value: Any, op: Any) -> float:
    arr = np.asarray(qp.math.to_numpy(value))
    where = f"{op.name} on wires {list(op.wires)}"
    if arr.ndim:
        raise ConfigError(
            f"{where} has a batch of {arr.shape[0]} parameters (broadcasting); read one batch element "
            "at a time"
        )
    if np.iscomplexobj(arr) or not np.isfinite(arr):
        raise ConfigError(f"{where} has the angle {arr!r}; angles must be real and finite")
    return float(arr)


def from_pennylane(source: Any, *args: Any, trainable: bool = True, **kwargs: Any) -> PennyLaneImport:
    """The IR of a PennyLane tape, QNode or quantum function (called with ``*args, **kwargs``).

    Operations in our gate set (:data:`PENNYLANE_OPS`: ``RX``, ``CNOT``, ``IsingZZ``,
    ``adjoint(S)``, ``SingleExcitation``...) become one op each; others (``Rot``, ``MultiRZ``,
    ``QFT``, ``ctrl(...)``...) are decomposed by ``qp.transforms.decompose`` into that gate set
    first (exact, up to a global phase). ``QubitUnitary`` becomes a ``Unitary`` op.
    Measurements are not part of the IR and are ignored.

    Wires: integer labels ``0..n-1`` stay our wires ``0..n-1`` (PennyLane and we both put
    wire 0 on the most significant bit); other labels are numbered in the tape's wire order
    (:attr:`PennyLaneImport.wires`).

    Args:
        source: A ``QuantumScript``/tape, a ``QNode`` or a quantum function.
        *args: Arguments of the QNode or quantum function.
        trainable: Each gate angle becomes a weight ``W(k)`` (with its value in
            :attr:`PennyLaneImport.weights`) if True; a constant if False.
        **kwargs: Keyword arguments of the QNode or quantum function.

    Returns:
        The circuit, its weight values, the wire labels and what was decomposed.

    Raises:
        ValueError: For broadcast (batched) or non-real angles, or an operation PennyLane
            cannot decompose into our gate set.
        TypeError: For a source that is none of the above.

    Example:
        >>> import pennylane as qp
        >>> from qml.reference import dense_state
        >>> def qfunc(x):
        ...     qp.Hadamard(0)
        ...     qp.IsingZZ(x, wires=[0, 1])
        ...     qp.Rot(0.1, 0.2, 0.3, wires=1)
        >>> r = from_pennylane(qfunc, 0.5)
        >>> [op.name for op in r.circuit.ops], r.decomposed
        (['H', 'RZZ', 'RZ', 'RY', 'RZ'], ('Rot',))
        >>> r.weights.tolist()
        [0.5, 0.1, 0.2, 0.3]
    """
    tape = _tape(source, args, kwargs)
    gate_set = set(_FROM_PENNYLANE) | {"QubitUnitary"}
    outside = tuple(dict.fromkeys(op.name for op in tape.operations if op.name not in gate_set))
    if outside:
        try:
            (tape,), _ = qp.transforms.decompose(tape, gate_set=gate_set)
        except Exception as err:  # PennyLane raises several types for undecomposable operations
            raise ConfigError(
                f"PennyLane cannot decompose {', '.join(outside)} into the gates of qml.gates ({err})"
            ) from None
    labels = tuple(tape.wires)
    if all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in labels):
        labels = tuple(range(max(labels, default=-1) + 1))
    index = {w: k for k, w in enumerate(labels)}
    ops: list[Op] = []
    values: list[float] = []
    for op in tape.operations:
        wires = tuple(index[w] for w in op.wires)
        if op.name == "QubitUnitary":
            matrix = qp.math.to_numpy(op.matrix())
            ops.append(Circuit(len(labels)).add("Unitary", wires, matrix=matrix).ops[0])
            continue
        name = _FROM_PENNYLANE.get(op.name)
        if name is None:
            raise ConfigError(f"{op.name} is still outside the gate set after decomposition")
        angles = [_float(p, op) for p in op.parameters]
        if trainable:
            params = tuple(W(len(values) + k) for k in range(len(angles)))
            values += angles
        else:
            params = tuple(Param.of(a) for a in angles)
        ops.append(Op(name, wires, params))
    circuit = Circuit(max(len(labels), 1), tuple(ops), len(values))
    return PennyLaneImport(circuit, np.asarray(values, dtype=float), labels, outside)
