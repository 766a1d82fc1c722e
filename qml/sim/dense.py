"""The full-state method: evolve all ``2**n`` amplitudes of every row and measure them.

One :class:`~qml.sim.evaluation.Evaluator` (``need`` / ``evaluate``) for every ``diff``:

* ``"none"``: one forward pass without an autograd graph (4 states);
* ``"backprop"``: autograd through every kernel (:func:`~qml.sim.evaluation.saved_states` + 3);
* ``"adjoint"``: a custom autograd Function that keeps O(1) states (6) and sweeps the
  circuit backwards once per backward call (Jones & Gacon 2020);
* ``"parameter-shift"``: values now, gradients by :mod:`qml.sim.shift` on backward; every
  shifted row is a state of its own and goes through the guard before it is built.

Where the route collapses the shared tail (:mod:`qml.sim.collapse`), :func:`~qml.sim.evaluation.evolve`
applies it as one matrix; its ``2**n x 2**n`` matrix counts as ``2**n / B`` more states.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> from qml.sim.evaluation import Run
    >>> from qml.sim.fusion import fused_program
    >>> from qml.sim.observables import ObservablePlan
    >>> from qml.sim.program import compile_circuit
    >>> from qml.paulis import pauli
    >>> prog = compile_circuit(Circuit(1).add("RY", 0, W(0)))
    >>> w = torch.tensor([[torch.pi / 3]], dtype=torch.float64)
    >>> angles = prog.angles(w, torch.zeros(1, 0, dtype=torch.float64))
    >>> run = Run(prog, angles, False, 1, fused_program(prog, 4))
    >>> plan = ObservablePlan([pauli("Z0")], 1)
    >>> round(float(evaluate(run, plan, torch.float64, "none", None, lambda *a: None)), 6)
    0.5
"""

from __future__ import annotations

from typing import Any

import torch

from qml.errors import refuse_second_order
from qml.sim.blockdata import fused_data
from qml.sim.evaluation import Evaluator, Guard, Need, Run, evolve, saved_states
from qml.sim.fusion import FusedProgram, apply_fstep, fstep_vjp, match_batch
from qml.sim.memo import Memo
from qml.sim.observables import ObservablePlan
from qml.sim.shift import shift_apply, shift_plan

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor
#: The ``Route.measure`` of this method.
MEASURE = "full state"


def need(run: Run, diff: str, detail: Any) -> Need:
    """States of ``n`` qubits this method keeps alive at once for ``diff``."""
    n = run.prog.circuit.n_wires
    states = {"none": 4, "backprop": saved_states(run) + 3}.get(diff, 6)
    if run.collapse is not None:  # the shared tail's 2**n x 2**n matrix, in units of (B, 2**n)
        states += -(-(2**n) // max(run.batch, 1))
    return Need(n, states, "forward" if diff == "none" else diff)


def evaluate(
    run: Run, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> Tensor:
    """Expectation values ``(B, n_obs)``, differentiable by ``diff``."""
    if diff == "none":
        return _nograd(run, plan, dtype)
    if diff == "backprop":
        return _direct(run, plan, dtype)
    if diff == "adjoint":
        out: Tensor = _AdjointExpval.apply(run.angles, run, plan, dtype)  # type: ignore[no-untyped-call]
        return out
    return _shift(run, plan, dtype, guard)


def _shift(run: Run, plan: ObservablePlan, dtype: torch.dtype, guard: Guard) -> Tensor:
    """Values now, gradients by the shared parameter-shift rule (:mod:`qml.sim.shift`) on backward."""
    prog = run.prog
    w, x = run.weights, run.inputs
    entries = shift_plan(
        prog.circuit, w is not None and w.requires_grad, x is not None and x.requires_grad
    ).entries

    def rows_expval(rows: Tensor, purpose: str) -> Tensor:
        # every shifted row is a state of its own: the guard sees them all before they are built
        guard(prog.circuit.n_wires, len(rows), dtype, 4, "parameter-shift backward")
        shifted = Run(prog, rows, True, len(rows), run.fused, device=run.device, max_block=run.max_block)
        return _nograd(shifted, plan, dtype)

    values = _nograd(run, plan, dtype)
    return shift_apply(run.angles, rows_expval, entries, eager=False, values=values)


def _nograd(run: Run, plan: ObservablePlan, dtype: torch.dtype) -> Tensor:
    with torch.no_grad():
        return _direct(run, plan, dtype)


def _direct(run: Run, plan: ObservablePlan, dtype: torch.dtype) -> Tensor:
    """Evolve and measure; a final permutation is measured by permuting diagonal observables."""
    fp = run.fused
    last = fp.steps[-1] if fp.steps and run.collapse is None else None
    if last is None or last.kind != "perm" or not plan.diagonal_only:
        return plan.expval(evolve(run, dtype))
    # bounded apart: each permuted plan caches its own diagonals
    plans = fp.cache.get(("simulator", "measure_after"), lambda: Memo(limit=16))
    after = plans.get(
        ("simulator", last.perm, tuple(plan.observables)),
        lambda: plan.after_permutation(fp.perm_dest[last.perm]),
    )
    return after.expval(evolve(run, dtype, skip_last=True))


class _AdjointExpval(torch.autograd.Function):
    """Adjoint differentiation with O(1) stored states (Jones & Gacon 2020), in VJP form.

    The backward sweep un-computes the state step by step; for each trainable step it
    reduces ``G = sum conj(lambda) phi^T`` to the shape of the step's matrix data, and one
    autograd call through the (tiny) matrix construction turns all ``G`` into angle
    gradients: one reduction per fused step, however many angles it holds.
    """

    @staticmethod
    def forward(ctx: Any, angles: Tensor, run: Run, plan: ObservablePlan, dtype: torch.dtype) -> Tensor:
        with torch.no_grad():
            psi = evolve(run, dtype)
            e = plan.expval(psi)
        ctx.save_for_backward(angles.detach(), psi)
        ctx.run, ctx.plan, ctx.dtype = run, plan, dtype
        return e

    @staticmethod
    def backward(ctx: Any, grad_e: Tensor) -> tuple[Tensor | None, ...]:
        refuse_second_order(
            "diff='adjoint'",
            "its gradient is not itself differentiable",
            "Simulator(diff='backprop') or Simulator(diff='parameter-shift')",
        )
        angles, psi = ctx.saved_tensors
        run, plan, dtype = ctx.run, ctx.plan, ctx.dtype
        fp = run.fused
        with torch.enable_grad():
            a = angles.detach().requires_grad_(True)
            data = fused_data(fp, a, dtype, run.shared, run.const_rows)
        terms: list[tuple[Tensor, Tensor]] = []  # (gate data, its VJP) per trainable step
        with torch.no_grad():
            lam = plan.apply(psi, grad_e.to(psi.real.dtype if psi.is_complex() else psi.dtype))
            phi = psi
            for j in range(len(fp.steps) - 1, -1, -1):
                dj = data[j]
                d = dj.detach() if dj is not None else None
                phi = apply_fstep(fp, j, phi, d, dagger=True)
                if _trainable(fp, j):
                    assert dj is not None  # a trainable step has gate data
                    terms.append((dj, match_batch(fstep_vjp(fp, j, lam, phi), dj)))
                lam = apply_fstep(fp, j, lam, d, dagger=True)
        with torch.enable_grad():
            surrogate = sum(2 * ((g * dj).real if g.is_complex() else g * dj).sum() for dj, g in terms)
            if not terms or not isinstance(surrogate, Tensor) or not surrogate.requires_grad:
                return torch.zeros_like(angles), None, None, None
            (grad,) = torch.autograd.grad(surrogate, a)
        return grad, None, None, None


def _trainable(fp: FusedProgram, j: int) -> bool:
    st = fp.steps[j]
    if st.kind in ("block", "product"):
        return st.trainable
    return st.kind == "prim" and fp.prog.steps[st.prim].slot >= 0


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
