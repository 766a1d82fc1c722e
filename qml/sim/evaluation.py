"""One call's prepared data (:class:`Run`) and the one signature every evaluation method has.

:meth:`qml.Simulator.expval` prepares a :class:`Run` (the compiled program, the angle
table, the batch, the fused programs), picks a :class:`~qml.sim.routes.Route`, asks the
route's method module for its :class:`Need` (checked by the memory guard before anything
of batch size is built) and then calls the same module's ``evaluate``. The methods:

* :mod:`qml.sim.dense`: the full state of ``width = n`` qubits (with the collapsed shared
  tail of :mod:`qml.sim.collapse` where it pays), any ``diff``;
* :mod:`qml.sim.dense_tail`: the shared tail in NumPy with its exact matrix adjoint;
* :mod:`qml.sim.split`: two half-width registers;
* :mod:`qml.sim.numpy_state`: one small circuit in NumPy with its adjoint gradient;
* :mod:`qml.sim.numba_rows`: every row through the whole circuit in compiled loops (numba).

Each module's ``EVALUATOR`` is an :class:`Evaluator` of the same signature:
``need(run, diff, detail) -> Need`` and ``evaluate(run, plan, dtype, diff, detail, guard) -> Tensor``
(``(B, n_obs)``), where ``detail`` is the method's own plan (the NumPy tail, the split, or ``None``).

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> from qml.sim import dense
    >>> from qml.sim.program import compile_circuit
    >>> from qml.sim.fusion import fused_program
    >>> prog = compile_circuit(Circuit(2).add("RY", 0, W(0)))
    >>> angles = prog.angles(torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 0, dtype=torch.float64))
    >>> run = Run(prog, angles, False, 1, fused_program(prog, 4))
    >>> dense.EVALUATOR.need(run, "adjoint", None)
    Need(width=2, states=6, guard='adjoint')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from qml.sim import collapse as tail
from qml.sim.blockdata import fused_data
from qml.sim.fusion import FusedProgram, run_steps
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor
#: ``guard(n_wires, rows, dtype, states, label)``: raises ``SimulationMemoryError`` when they do not fit.
_CPU = torch.device("cpu")
Guard = Callable[[int, int, torch.dtype, int, str], None]


@dataclass(frozen=True)
class Run:
    """One call's prepared data (:meth:`qml.Simulator._prepare`)."""

    prog: Program
    angles: Tensor
    batched: bool
    batch: int
    fused: FusedProgram
    shared: bool = False  # one weight vector for all rows
    const_rows: bool = False  # no gradient flows into the per-row gate data (inputs only)
    # the gates after the last input-reading gate, shared by all rows, act as one matrix (see
    # evolve): the circuit fused with a barrier there, the shared tail as steps [barrier_step, end)
    collapse: FusedProgram | None = None
    weights: Tensor | None = None  # (Bw, P) and (Bx, F) as passed (for the angles of one row)
    inputs: Tensor | None = None
    device: torch.device = _CPU
    max_block: int = 4


@dataclass(frozen=True)
class Need:
    """What a method keeps alive at once: ``states`` batched states of ``width`` qubits.

    ``guard`` labels the memory check (it names the method in a refusal).
    """

    width: int
    states: int
    guard: str


@dataclass(frozen=True)
class Evaluator:
    """One evaluation method: the one signature every method module provides (its ``EVALUATOR``).

    Attributes:
        measure: The ``Route.measure`` that names the method.
        need: ``need(run, diff, detail) -> Need``: what it keeps alive, for the memory guard.
        evaluate: ``evaluate(run, plan, dtype, diff, detail, guard) -> (B, n_obs)`` expectation values.
    """

    measure: str
    need: Callable[[Run, str, Any], Need]
    evaluate: Callable[[Run, ObservablePlan, torch.dtype, str, Any, Guard], Tensor]


def saved_states(run: Run) -> int:
    """States that backprop keeps for the backward pass, counted per fused step (a block keeps
    its input, the backward its temporaries): measured peaks of W1 circuits were 0.6-1.6
    states per step (n = 8-12, 6-10 layers, 16-28 steps), so two per step. One per circuit
    op, as before, over-counted ~5-10x (n=12, L=10, B=1024 was refused at 22.8 GiB)."""
    fp = run.collapse if run.collapse is not None else run.fused
    return 2 * len(fp.steps)


def evolve(run: Run, dtype: torch.dtype, skip_last: bool = False, head: bool = False) -> Tensor:
    """The final states ``(B, 2**n)``; ``head``: the states where ``run.collapse``'s shared tail starts."""
    fp = run.collapse if run.collapse is not None else run.fused
    data = fused_data(fp, run.angles, dtype, run.shared, run.const_rows, fp.barrier_step if head else None)
    stop = fp.barrier_step if run.collapse is not None else len(fp.steps) - skip_last
    psi = run_steps(fp, data, stop, dtype, run.device)
    if run.collapse is not None and not head:  # the shared tail as one matrix (qml.sim.collapse)
        psi = psi @ tail.tail_rows(fp, data, dtype, psi.device)
    if psi.shape[0] != run.batch:
        psi = psi.expand(run.batch, -1)
    return psi
