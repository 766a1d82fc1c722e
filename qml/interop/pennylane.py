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
from typing import Any

import numpy as np
import pennylane as qp

from qml.ir import Circuit, Op, Param

__all__ = ["PENNYLANE_OPS", "to_pennylane"]


def _adjoint(cls: Callable[..., Any]) -> Callable[..., Any]:
    return lambda wires: qp.adjoint(cls(wires=wires))


#: Our gate name -> a callable ``(*angles, wires=...)`` that queues the PennyLane operation
#: with the same matrix (``Unitary`` is handled separately: ``qp.QubitUnitary``).
PENNYLANE_OPS: dict[str, Callable[..., Any]] = {
    "I": qp.Identity,
    "X": qp.PauliX,
    "Y": qp.PauliY,
    "Z": qp.PauliZ,
    "H": qp.Hadamard,
    "S": qp.S,
    "Sdg": _adjoint(qp.S),
    "T": qp.T,
    "Tdg": _adjoint(qp.T),
    "SX": qp.SX,
    "SXdg": _adjoint(qp.SX),
    "RX": qp.RX,
    "RY": qp.RY,
    "RZ": qp.RZ,
    "PhaseShift": qp.PhaseShift,
    "U3": qp.U3,
    "CNOT": qp.CNOT,
    "CY": qp.CY,
    "CZ": qp.CZ,
    "Toffoli": qp.Toffoli,
    "SWAP": qp.SWAP,
    "CRX": qp.CRX,
    "CRY": qp.CRY,
    "CRZ": qp.CRZ,
    "RXX": qp.IsingXX,
    "RYY": qp.IsingYY,
    "RZZ": qp.IsingZZ,
    "SingleExcitation": qp.SingleExcitation,
    "DoubleExcitation": qp.DoubleExcitation,
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
        raise ValueError(
            f"the circuit uses {need} {name}(s) but {arg}=None was passed; pass an array with "
            f"{need} entries on its last axis"
        )
    shape = getattr(values, "shape", None)
    if shape is None or len(shape) == 0 or shape[-1] < need:
        raise ValueError(
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


def to_pennylane(
    circuit: Circuit, wires: Sequence[Hashable] | None = None
) -> Callable[..., None]:
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
        raise ValueError(
            f"wires must give one PennyLane label per circuit wire: expected {circuit.n_wires}, "
            f"got {len(labels)}"
        )
    if len(set(labels)) != len(labels):
        raise ValueError(f"wires must be distinct labels, got {labels}")
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
