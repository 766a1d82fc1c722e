"""Parameter-shift gradients for backends without autograd, packed into ONE execution.

:func:`shift_expval` evaluates ``<O>(angles)`` on any :class:`~qml.backends.base.BaseBackend`
inside a ``torch.autograd.Function``. When a gradient is needed, the forward rows and,
for every trainable gate slot and every term of the gate's shift rule, the shifted rows
of the whole batch are stacked into one ``(N, n_slots)`` array and run by ONE call of
``backend.execute`` (one pub with many parameter rows, so one hardware job):

    N = B * (1 + sum over shifted slots of len(GATES[gate].shift_rule))

Shift rules act on gate angles (slots), never directly on weights: the slot angles are
computed from weights and inputs by ``compile_circuit(c).angles`` with autograd, so a
weight used by several gates, or an angle ``0.7 * w - 0.3`` or ``x * w``, gets its
gradient by the chain rule. Controlled rotations use their 4-term rule
(:data:`qml.gates.FOUR_TERM`). A slot is shifted only when its angle depends on a
tensor that requires grad (weights, or inputs for input gradients).

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> from qml.backends import get_backend
    >>> c = Circuit(1).add("RY", 0, 2 * W(0))
    >>> w = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    >>> b = get_backend("aer")
    >>> e = b.expval(c, "Z0", w)
    >>> e.backward()
    >>> round(float(w.grad), 6), round(-2 * torch.sin(torch.tensor(0.6)).item(), 6)
    (-1.129285, -1.129285)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from qml.gates import GATES
from qml.ir import Circuit

if TYPE_CHECKING:
    from qml.backends.base import BaseBackend, Execution, Prepared
    from qml.paulis import PauliSum

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = ["ShiftPlan", "pack_shifts", "shift_expval", "shift_plan"]


@dataclass(frozen=True)
class ShiftPlan:
    """Which slot gets which shifts.

    Attributes:
        entries: ``(slot, coeff, shift)`` for each shifted evaluation.
        slot_refs: For each slot, whether it depends on weights and on inputs.
    """

    entries: tuple[tuple[int, float, float], ...]
    slot_refs: tuple[tuple[bool, bool], ...]


def shift_plan(circuit: Circuit, weights_grad: bool = True, inputs_grad: bool = False) -> ShiftPlan:
    """The shifted evaluations needed for gradients wrt weights and/or inputs.

    Args:
        circuit: The circuit (its slots are those of ``compile_circuit(circuit)``).
        weights_grad: Shift slots whose angle depends on a weight.
        inputs_grad: Shift slots whose angle depends on an input.

    Example:
        >>> from qml.ir import Circuit, W, X
        >>> c = Circuit(2).add("RX", 0, X(0)).add("CRY", (0, 1), W(0))
        >>> len(shift_plan(c).entries), len(shift_plan(c, inputs_grad=True).entries)
        (4, 6)
    """
    entries: list[tuple[int, float, float]] = []
    refs: list[tuple[bool, bool]] = []
    slot = 0
    for op in circuit.ops:
        if all(p.is_constant for p in op.params):
            continue
        rule = GATES[op.name].shift_rule
        for p in op.params:
            dep_w, dep_x = bool(p.refs("w")), bool(p.refs("x"))
            refs.append((dep_w, dep_x))
            if (dep_w and weights_grad) or (dep_x and inputs_grad):
                entries.extend((slot, float(c), float(s)) for c, s in rule)
            slot += 1
    return ShiftPlan(tuple(entries), tuple(refs))


def pack_shifts(angles: np.ndarray, entries: tuple[tuple[int, float, float], ...]) -> np.ndarray:
    """Stack the forward rows and all shifted rows: ``((1 + len(entries)) * B, n_slots)``.

    Block 0 is ``angles``; block ``1 + e`` is ``angles`` with ``shift_e`` added to column
    ``slot_e`` in every row.

    Example:
        >>> pack_shifts(np.zeros((2, 1)), ((0, 0.5, 1.0),)).ravel().tolist()
        [0.0, 0.0, 1.0, 1.0]
    """
    B = angles.shape[0]
    out = np.repeat(angles[None, :, :], 1 + len(entries), axis=0)
    for e, (slot, _, shift) in enumerate(entries):
        out[1 + e, :, slot] += shift
    return out.reshape((1 + len(entries)) * B, angles.shape[1])


class _ShiftExpval(torch.autograd.Function):
    """Forward (and, when needed, all shifted points) in one execution; backward combines."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        angles: Tensor,
        backend: BaseBackend,
        circuit: Circuit,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        entries: tuple[tuple[int, float, float], ...],
    ) -> Tensor:
        a = angles.detach().cpu().numpy().astype(np.float64)
        B = a.shape[0]
        rows = pack_shifts(a, entries)
        purpose = "gradient" if entries else "forward"
        log.debug(
            "%s: %d rows (%d shifted points x batch %d) in one execution",
            backend.name,
            len(rows),
            len(entries),
            B,
        )
        ex: Execution = backend.execute(circuit, rows, observables, shots, seed, purpose)
        backend.last_execution = ex
        vals = np.asarray(ex.values, dtype=np.float64).reshape(1 + len(entries), B, len(observables))
        ctx.entries = entries
        ctx.n_slots = a.shape[1]
        ctx.shifted = torch.as_tensor(vals[1:], dtype=angles.dtype, device=angles.device)
        return torch.as_tensor(vals[0], dtype=angles.dtype, device=angles.device)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        entries = ctx.entries
        shifted: Tensor = ctx.shifted  # (S, B, n_obs)
        B = grad_out.shape[0]
        n_slots = ctx.n_slots
        grad = torch.zeros(B, n_slots, dtype=grad_out.dtype, device=grad_out.device)
        if entries:
            contrib = (shifted * grad_out.unsqueeze(0)).sum(-1)  # (S, B)
            slots = torch.tensor([e[0] for e in entries], dtype=torch.long, device=grad.device)
            coeffs = torch.tensor([e[1] for e in entries], dtype=grad.dtype, device=grad.device)
            grad.index_add_(1, slots, (coeffs[:, None] * contrib).T)
        return grad, None, None, None, None, None, None


def shift_expval(backend: BaseBackend, prep: Prepared, shots: int | None, seed: int | None) -> Tensor:
    """``(B, n_obs)`` expectation values, differentiable by the packed parameter-shift rule.

    Without grad (no tensor requires it, or inside ``torch.no_grad()``) only the forward
    rows are executed.

    Args:
        backend: A backend implementing :meth:`~qml.backends.base.BaseBackend.execute`.
        prep: Prepared arguments (:func:`qml.backends.base.prepare`).
        shots: Shots per measurement basis, or ``None`` for exact values.
        seed: Sampling seed.

    Returns:
        A float64 tensor ``(B, n_obs)``.
    """
    angles = prep.angles()
    need = torch.is_grad_enabled() and angles.requires_grad
    entries: tuple[tuple[int, float, float], ...] = ()
    if need:
        plan = shift_plan(prep.circuit, prep.weights.requires_grad, prep.inputs.requires_grad)
        entries = plan.entries
    return _ShiftExpval.apply(angles, backend, prep.circuit, prep.observables, shots, seed, entries)
