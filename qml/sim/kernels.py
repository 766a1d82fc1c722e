"""State-update kernels for batched statevectors.

A state is a tensor of shape ``(B, 2**n)`` (batch axis first, ``B`` may be 1 and is
broadcast against batched gate data). Kernels never form a ``2**n x 2**n`` matrix and
never run an einsum over the whole state: the state is *viewed* with one size-2 axis per
touched wire and the blocks between merged, so every update is an elementwise
multiply-add over strided slices (``apply_1q``), a phase multiply (``apply_diag``), a
copy with a flipped or swapped axis (``X`` targets, ``SWAP``), or a small matmul over the
touched wires only (``apply_dense``, for 2-4 qubit gates).

All kernels are out-of-place and autograd-safe; gate data of shape ``(Bg, ...)``
broadcasts against the state batch.

Example:
    >>> import torch
    >>> psi = torch.tensor([[1.0, 0.0, 0.0, 0.0]], dtype=torch.complex128)
    >>> h = torch.tensor([[1, 1], [1, -1]], dtype=torch.complex128) / 2**0.5
    >>> apply_1q(psi, 2, 0, h).real
    tensor([[0.7071, 0.0000, 0.7071, 0.0000]], dtype=torch.float64)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor


def split_shape(n: int, wires: Sequence[int], batch: int = -1) -> tuple[list[int], dict[int, int]]:
    """View shape with a size-2 axis per wire in ``wires`` and merged blocks between.

    Returns:
        ``(shape, axis)`` where ``shape[0]`` is the batch size and ``axis[w]`` is the
        position of wire ``w``'s axis in that view.
    """
    shape = [batch]
    axis: dict[int, int] = {}
    prev = -1
    for w in sorted(wires):
        shape.append(2 ** (w - prev - 1))
        axis[w] = len(shape)
        shape.append(2)
        prev = w
    shape.append(2 ** (n - 1 - prev))
    return shape, axis


def _bshape(t: Tensor, ndim: int) -> Tensor:
    """Reshape per-batch scalars ``(Bg,)`` (or a 0-d tensor) to broadcast over ``ndim`` dims."""
    if t.dim() == 0:
        return t
    return t.reshape(t.shape[0], *([1] * (ndim - 1)))


def _entries(m: Tensor, ndim: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    if m.dim() == 2:
        return m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    return (
        _bshape(m[:, 0, 0], ndim),
        _bshape(m[:, 0, 1], ndim),
        _bshape(m[:, 1, 0], ndim),
        _bshape(m[:, 1, 1], ndim),
    )


def mix_axis(t: Tensor, ax: int, m: Tensor) -> Tensor:
    """Apply a 2x2 matrix ``m`` (``(2,2)`` or ``(Bg,2,2)``) along axis ``ax`` of ``t``."""
    s0, s1 = t.select(ax, 0), t.select(ax, 1)
    a, b, c, d = _entries(m, s0.dim())
    return torch.stack((a * s0 + b * s1, c * s0 + d * s1), dim=ax)


def apply_1q(state: Tensor, n: int, wire: int, m: Tensor) -> Tensor:
    """Apply a one-qubit matrix to ``wire``."""
    shape, axis = split_shape(n, (wire,), state.shape[0])
    out = mix_axis(state.reshape(shape), axis[wire], m)
    return out.reshape(out.shape[0], -1)


def _diag_view(d: Tensor, wires: Sequence[int], shape: list[int], axis: dict[int, int]) -> Tensor:
    """Reshape a diagonal ``(Bg, 2**k)`` given in ``wires`` order to broadcast over ``shape``."""
    k = len(wires)
    lead = d.shape[0] if d.dim() == 2 else 1
    t = d.reshape(lead, *([2] * k))
    order = sorted(range(k), key=lambda i: wires[i])
    t = t.permute(0, *[1 + i for i in order])
    view = [lead] + [1] * (len(shape) - 1)
    for w in wires:
        view[axis[w]] = 2
    return t.reshape(view)


def apply_diag(state: Tensor, n: int, wires: Sequence[int], d: Tensor) -> Tensor:
    """Multiply by a diagonal gate ``d`` (``(2**k,)`` or ``(Bg, 2**k)``, in ``wires`` order)."""
    shape, axis = split_shape(n, wires, state.shape[0])
    out = state.reshape(shape) * _diag_view(d, wires, shape, axis)
    return out.reshape(out.shape[0], -1)


def ctrl_index(shape: list[int], axis: dict[int, int], controls: Sequence[int]) -> tuple[Any, ...]:
    """Index of the slice of a split view where every control wire is 1."""
    idx: list[Any] = [slice(None)] * len(shape)
    for c in controls:
        idx[axis[c]] = 1
    return tuple(idx)


def target_axis(axis: dict[int, int], controls: Sequence[int], target: int) -> int:
    """Axis of ``target`` in the controlled slice (the control axes are indexed away)."""
    return axis[target] - sum(1 for c in controls if axis[c] < axis[target])


def apply_ctrl(
    state: Tensor, n: int, controls: Sequence[int], target: int, m: Tensor | None, batch: int = 1
) -> Tensor:
    """Apply a controlled one-qubit gate: ``m`` on ``target`` where all ``controls`` are 1.

    ``m=None`` means Pauli X (a pure permutation: the slice is flipped, no arithmetic).
    ``batch`` is the batch size of ``m`` (for broadcasting an unbatched state).
    """
    shape, axis = split_shape(n, (*controls, target), state.shape[0])
    v = state.reshape(shape)
    idx = ctrl_index(shape, axis, controls)
    sub = v[idx]
    tax = target_axis(axis, controls, target)
    new = sub.flip(tax) if m is None else mix_axis(sub, tax, m)
    rows = max(v.shape[0], new.shape[0], batch)
    out = v.expand(rows, *v.shape[1:]).clone()
    out[idx] = new
    return out.reshape(rows, -1)


def apply_swap(state: Tensor, n: int, w1: int, w2: int) -> Tensor:
    """Swap two wires (a pure permutation, one copy)."""
    shape, axis = split_shape(n, (w1, w2), state.shape[0])
    return state.reshape(shape).transpose(axis[w1], axis[w2]).reshape(state.shape[0], -1)


def apply_flip(state: Tensor, n: int, wires: Sequence[int]) -> Tensor:
    """Apply Pauli X to every wire in ``wires`` (one copy with flipped axes)."""
    if not wires:
        return state
    shape, axis = split_shape(n, wires, state.shape[0])
    return state.reshape(shape).flip([axis[w] for w in wires]).reshape(state.shape[0], -1)


def apply_dense(state: Tensor, n: int, wires: Sequence[int], m: Tensor) -> Tensor:
    """Apply a ``2**k x 2**k`` matrix (``(d, d)`` or ``(Bg, d, d)``) to ``wires``.

    The touched axes are moved last and one batched matmul updates them; no
    ``2**n``-sized matrix is formed.
    """
    k = len(wires)
    if k == 1:
        return apply_1q(state, n, wires[0], m)
    shape, axis = split_shape(n, wires, state.shape[0])
    v = state.reshape(shape)
    src = [axis[w] for w in wires]
    dst = list(range(len(shape) - k, len(shape)))
    moved = v.movedim(src, dst)
    rest = moved.shape[:-k]
    flat = moved.reshape(rest[0], -1, 2**k)
    mt = m.transpose(-1, -2)
    if mt.dim() == 3:
        mt = mt.unsqueeze(1)
        flat = flat.unsqueeze(-2)
        out = (flat @ mt).squeeze(-2)
    else:
        out = flat @ mt
    rows = out.shape[0]
    out = out.reshape(rows, *rest[1:], *([2] * k)).movedim(dst, src)
    return out.reshape(rows, -1)
