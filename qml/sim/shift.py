"""The parameter-shift rule: one implementation for the simulator and every backend.

Shift rules act on gate angles (slots of :func:`qml.sim.program.compile_circuit`), never on
weights: the slot angles are computed from weights and inputs with autograd, so a weight
used by several gates, or an angle ``0.7 * w - 0.3`` or ``x * w``, gets its gradient by the
chain rule. Each slot is shifted by the rule of its gate (``GATES[name].shift_rule``: two
terms for ``exp(-i theta P / 2)`` rotations, four for controlled rotations) and only when
its angle depends on a tensor that requires grad.

:func:`shift_apply` wraps any row evaluator ``(N, n_slots) angles -> (N, n_obs) values`` in a
``torch.autograd.Function``:

* ``eager=True`` (backends, hardware): the forward rows and every shifted row of the whole
  batch are packed by :func:`pack_shifts` into one ``(B * (1 + S), n_slots)`` array and
  evaluated by ONE call (one job), ``S = len(entries)``;
* ``eager=False`` (the simulator): the forward rows only; the shifted rows run in the
  backward pass, when a gradient is really asked for.

Second derivatives shift twice: with ``create_graph=True`` the backward evaluates the
shifted rows through the same Function, so their own gradient is again a packed shift
(``S * (1 + S) * B`` rows in one evaluation when eager). Hessians
(``torch.autograd.functional.hessian``) and higher orders follow; ``torch.func`` transforms
raise, as for any ``autograd.Function`` without a ``setup_context``.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> c = Circuit(1).add("RY", 0, W(0))
    >>> plan = shift_plan(c)
    >>> f = lambda rows, purpose: torch.cos(rows[:, :1])  # <Z> after RY(theta)
    >>> theta = torch.tensor([[0.3]], dtype=torch.float64, requires_grad=True)
    >>> e = shift_apply(theta, f, plan.entries)
    >>> (g,) = torch.autograd.grad(e.sum(), theta, create_graph=True)
    >>> (h,) = torch.autograd.grad(g.sum(), theta)
    >>> round(float(g), 6), round(float(h), 6)  # -sin 0.3, -cos 0.3
    (-0.29552, -0.955336)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from qml.gates import GATES
from qml.ir import Circuit

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = ["Entries", "Evaluate", "ShiftPlan", "combine_shifts", "pack_shifts", "shift_apply", "shift_plan"]

#: ``(slot, coefficient, shift)`` for each shifted evaluation.
Entries = tuple[tuple[int, float, float], ...]
#: ``evaluate(rows (N, n_slots), purpose) -> values (N, n_obs)``; purpose ``"forward"`` or ``"gradient"``.
Evaluate = Callable[[Tensor, str], Tensor]


@dataclass(frozen=True)
class ShiftPlan:
    """Which slot gets which shifts.

    Attributes:
        entries: ``(slot, coeff, shift)`` for each shifted evaluation.
        slot_refs: For each slot, whether it depends on weights and on inputs.

    Example:
        >>> from qml.ir import Circuit, W
        >>> shift_plan(Circuit(1).add("RX", 0, W(0))).entries[0][1:]
        (0.5, 1.5707963267948966)
    """

    entries: Entries
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


def pack_shifts(angles: Tensor, entries: Entries, forward: bool = True) -> Tensor:
    """Stack the forward rows (if ``forward``) and all shifted rows, differentiably in ``angles``.

    Block 0 is ``angles`` (when ``forward``); each next block is ``angles`` with ``shift``
    added to column ``slot`` in every row: ``((forward + len(entries)) * B, n_slots)``.

    Example:
        >>> import torch
        >>> pack_shifts(torch.zeros(2, 1), ((0, 0.5, 1.0),)).ravel().tolist()
        [0.0, 0.0, 1.0, 1.0]
    """
    K = angles.shape[1]
    start = int(forward)
    offsets = torch.zeros(start + len(entries), K, dtype=angles.dtype, device=angles.device)
    for e, (slot, _, shift) in enumerate(entries):
        offsets[start + e, slot] += shift
    return (angles.unsqueeze(0) + offsets.unsqueeze(1)).reshape(-1, K)


def combine_shifts(shifted: Tensor, grad_out: Tensor, entries: Entries, n_slots: int) -> Tensor:
    """The angle gradient ``(B, n_slots)`` from shifted values ``(S, B, n_obs)`` and ``dL/dvalues``.

    Differentiable in both (second derivatives go through it).

    Example:
        >>> import torch
        >>> combine_shifts(torch.ones(2, 1, 1), torch.ones(1, 1), ((0, 0.5, 1.0), (0, -0.5, -1.0)), 1)
        tensor([[0.]])
    """
    B = grad_out.shape[0]
    contrib = (shifted.to(grad_out.dtype) * grad_out.unsqueeze(0)).sum(-1)  # (S, B)
    slots = torch.tensor([e[0] for e in entries], dtype=torch.long, device=grad_out.device)
    coeffs = torch.tensor([e[1] for e in entries], dtype=grad_out.dtype, device=grad_out.device)
    grad = torch.zeros(B, n_slots, dtype=grad_out.dtype, device=grad_out.device)
    return grad.index_add(1, slots, (coeffs[:, None] * contrib).T)


class _ShiftRule(torch.autograd.Function):
    """Values of the rows; their gradient by the shift rule (see the module docstring)."""

    @staticmethod
    def forward(
        ctx: Any,
        angles: Tensor,
        evaluate: Evaluate,
        entries: Entries,
        eager: bool,
        values: Tensor | None,
    ) -> Tensor:
        B = angles.shape[0]
        shifts = entries if eager else ()
        shifted: Tensor | None = None
        with torch.no_grad():
            if values is None:
                rows = pack_shifts(angles.detach(), shifts)
                out = evaluate(rows, "gradient" if shifts else "forward").reshape(1 + len(shifts), B, -1)
                values, shifted = out[0], out[1:]
            else:
                values = values.clone()  # an output must not alias an input
            if shifts and shifted is None:
                shifted = evaluate(pack_shifts(angles.detach(), shifts, forward=False), "gradient")
                shifted = shifted.reshape(len(shifts), B, -1)
        ctx.save_for_backward(angles)
        ctx.evaluate, ctx.entries, ctx.eager = evaluate, entries, eager
        ctx.shifted = shifted if shifts else None
        return values

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        (angles,) = ctx.saved_tensors
        entries: Entries = ctx.entries
        B, K = angles.shape
        if not entries:
            return torch.zeros_like(angles), None, None, None, None
        if torch.is_grad_enabled():  # create_graph: the shifted values as functions of the angles
            rows = pack_shifts(angles, entries, forward=False)
            shifted = shift_apply(rows, ctx.evaluate, entries, ctx.eager)
            shifted = shifted.reshape(len(entries), B, -1)
        elif ctx.shifted is not None:
            shifted = ctx.shifted
        else:
            rows = pack_shifts(angles.detach(), entries, forward=False)
            shifted = ctx.evaluate(rows, "gradient").reshape(len(entries), B, -1)
        return combine_shifts(shifted, grad_out, entries, K), None, None, None, None


def shift_apply(
    angles: Tensor,
    evaluate: Evaluate,
    entries: Entries,
    eager: bool = True,
    values: Tensor | None = None,
) -> Tensor:
    """Values ``(B, n_obs)`` of the angle rows, differentiable (to any order) by the shift rule.

    Args:
        angles: ``(B, n_slots)`` slot angles, usually requiring grad.
        evaluate: ``evaluate(rows, purpose) -> (N, n_obs)`` values of any ``(N, n_slots)`` rows
            (without autograd); called once per forward, and once per backward when not eager.
        entries: The shifts (:func:`shift_plan`); empty: no gradient flows.
        eager: Evaluate the shifted rows together with the forward rows (one execution);
            otherwise in the backward pass.
        values: The forward values when the caller has them already (then only shifted
            rows are evaluated, and only when eager).

    Returns:
        The ``(B, n_obs)`` values.

    Example:
        >>> import torch
        >>> f = lambda rows, purpose: torch.sin(rows)
        >>> a = torch.tensor([[0.5]], dtype=torch.float64, requires_grad=True)
        >>> shift_apply(a, f, ((0, 0.5, 1.5707963267948966), (0, -0.5, -1.5707963267948966))).sum().backward()
        >>> round(float(a.grad), 6)  # cos 0.5
        0.877583
    """
    out: Tensor = _ShiftRule.apply(angles, evaluate, entries, eager, values)  # type: ignore[no-untyped-call]
    return out
