"""Parameter-shift gradients for backends without autograd, packed into ONE execution.

The rule itself is :mod:`qml.sim.shift` (shared with the simulator's ``diff="parameter-shift"``);
this module connects it to :meth:`~qml.backends.base.BaseBackend.execute`.
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
tensor that requires grad (weights, or inputs for input gradients). Second derivatives
(``create_graph=True``) run a second packed execution of the shifted points' shifts.

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
from typing import TYPE_CHECKING

import numpy as np
import torch

from qml.sim.shift import Entries, shift_apply, shift_plan

if TYPE_CHECKING:
    from qml.backends.base import BaseBackend, Execution, Prepared

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = ["shift_expval"]


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
    entries: Entries = ()
    if torch.is_grad_enabled() and angles.requires_grad:
        entries = shift_plan(prep.circuit, prep.weights.requires_grad, prep.inputs.requires_grad).entries
    n_obs = len(prep.observables)

    def evaluate(rows: Tensor, purpose: str) -> Tensor:
        a = rows.detach().cpu().numpy().astype(np.float64)
        log.debug("%s: %d rows (%s) in one execution", backend.name, len(a), purpose)
        ex: Execution = backend.execute(prep.circuit, a, prep.observables, shots, seed, purpose)
        backend.last_execution = ex
        vals = np.asarray(ex.values, dtype=np.float64).reshape(len(a), n_obs)
        return torch.as_tensor(vals, dtype=rows.dtype, device=rows.device)

    return shift_apply(angles, evaluate, entries, eager=True)
