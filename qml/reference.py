"""A slow, obviously-correct dense reference simulator, used as a test oracle.

Every gate is embedded into a full ``2^n x 2^n`` matrix with ``numpy.kron`` and the
matrices are multiplied onto ``|0...0>``. Only for small circuits (n <= 10).

Example:
    >>> from qml.ir import Circuit
    >>> psi = dense_state(Circuit(2).add("H", 0).add("CNOT", (0, 1)))
    >>> np.round(psi.real, 4).tolist()
    [0.7071, 0.0, 0.0, 0.7071]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import torch

from qml.gates import op_matrix
from qml.ir import Circuit, Op

__all__ = ["dense_state", "dense_unitary", "embed", "op_angles"]


def embed(matrix: np.ndarray, wires: Sequence[int], n_wires: int) -> np.ndarray:
    """Full ``2^n x 2^n`` matrix of a gate ``matrix`` acting on ``wires`` (wire 0 = high bit)."""
    k, dim = len(wires), 2**n_wires
    cols = np.eye(dim, dtype=complex).reshape((2,) * n_wires + (dim,))
    m = np.asarray(matrix, dtype=complex).reshape((2,) * (2 * k))
    out = np.tensordot(m, cols, axes=(list(range(k, 2 * k)), list(wires)))
    out = np.moveaxis(out, list(range(k)), list(wires))
    return out.reshape(dim, dim)


def op_angles(op: Op, weights: Sequence[float], inputs: Sequence[float]) -> torch.Tensor:
    """The op's angle values for plain weight/input vectors."""
    return torch.tensor([p.evaluate(weights, inputs) for p in op.params], dtype=torch.float64)


def dense_unitary(
    circuit: Circuit, weights: Sequence[float] = (), inputs: Sequence[float] = ()
) -> np.ndarray:
    """The circuit's full unitary for one (unbatched) weight and input vector."""
    # 1-D float arrays index like Sequence[float], which is all Param.evaluate needs.
    w = cast(Sequence[float], np.asarray(weights, dtype=float).reshape(-1))
    x = cast(Sequence[float], np.asarray(inputs, dtype=float).reshape(-1))
    u = np.eye(2**circuit.n_wires, dtype=complex)
    for op in circuit.ops:
        m = op_matrix(op, op_angles(op, w, x) if op.params else None).numpy()
        u = embed(m, op.wires, circuit.n_wires) @ u
    return u


def dense_state(circuit: Circuit, weights: Sequence[float] = (), inputs: Sequence[float] = ()) -> np.ndarray:
    """The state ``U|0...0>`` as a complex vector of length ``2^n`` (wire 0 = high bit)."""
    return dense_unitary(circuit, weights, inputs)[:, 0]
