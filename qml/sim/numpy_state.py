"""One small circuit on the CPU: the state and its adjoint gradient in NumPy.

A VQE step on a few qubits is ~100 torch operations on tensors of a few hundred entries,
each ~5 us of dispatch and autograd bookkeeping for well under 1 us of arithmetic (the
TFIM energy + gradient of an 8-qubit, 4-layer HEA took 1.2 ms, of which 0.4 ms was the
forward pass). For one circuit (one weight row, at most one input row) of at most
``numpy_state_max_wires`` qubits (:mod:`qml.sim.tuning`) this method runs the fused circuit
on the NumPy operations of :mod:`qml.sim.dense_tail` (gate matrices from exact Fourier
tables, Kronecker blocks of one-qubit chains, permutations as index arrays), applied to the
state ``|0...0>`` instead of to the identity:

* forward: ``phi = V_K ... V_1 |0>``; the observables are measured from the flip groups of
  their :class:`~qml.sim.observables.ObservablePlan` as arrays, ``H_k phi = sum_g D_gk phi[y xor m_g]``
  (one gather and one contraction for all terms);
* backward (adjoint differentiation, Jones & Gacon 2020): ``lam = H_eff phi`` with
  ``H_eff = sum_k g_k H_k``; sweeping back, ``phi_{j-1} = V_j^† phi_j`` and
  ``lam_{j-1} = V_j^† lam_j``, and ``dE = 2 Re sum_j <lam_j| dV_j |phi_{j-1}>``: the rank-one
  ``Y_j = |phi_{j-1}><lam_j|`` reduced to the gate's wires gives its angle gradients through
  the same chain rule as the NumPy tail (:func:`qml.sim.dense_tail._angle_grads`).

Gradients of the weights only (inputs that need a gradient take the torch path); second
derivatives (``create_graph=True``) differentiate the torch full-state evaluation instead under
``diff="auto"``, and are refused under ``diff="adjoint"``, as on the full state.

Example:
    >>> import torch
    >>> from qml.templates import hardware_efficient
    >>> from qml.sim.simulator import Simulator
    >>> c = hardware_efficient(4, 2)
    >>> w = torch.linspace(-1, 1, c.n_weights, dtype=torch.float64, requires_grad=True)
    >>> fast = Simulator(methods={"numpy_state": "always"})
    >>> fast.explain(c, "X0 + Z1 Z2", w).measure
    'one circuit (NumPy)'
    >>> (g_fast,) = torch.autograd.grad(fast.expval(c, "X0 + Z1 Z2", w), w)
    >>> slow = Simulator(methods={"numpy_state": "never"})
    >>> (g_slow,) = torch.autograd.grad(slow.expval(c, "X0 + Z1 Z2", w), w)
    >>> bool(torch.allclose(g_fast, g_slow))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from qml.errors import refuse_second_order
from qml.sim import dense_tail as dt
from qml.sim.evaluation import Evaluator, Guard, Need, Run
from qml.sim.fusion import FusedProgram, fused_program
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor
#: The ``Route.measure`` of this method.
MEASURE = "one circuit (NumPy)"


@dataclass(frozen=True)
class Plan:
    """What the route hands this method: the compiled circuit and whether second derivatives are
    owed (``diff="auto"``: yes, by the torch full state; ``diff="adjoint"``: refused, as there)."""

    ops: Any
    second_order: bool


def program_of(prog: Program, max_block: int) -> FusedProgram:
    """The whole circuit fused with a barrier before its first op (no product-state step)."""
    return fused_program(prog, max_block, 0)


def compiled(fp: FusedProgram) -> Any:
    """The NumPy form of every step of ``fp`` (cached), ``None`` when a gate has no Fourier table."""

    def build() -> Any:
        prog = fp.prog
        if any(st.slot >= 0 and dt._fourier(st.op.name) is None for st in prog.steps) or not fp.steps:
            return None
        return dt._compile(fp)

    return fp.cache.get(("numpy_state", "ops"), build)


def observable_arrays(plan: ObservablePlan, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The plan as arrays (cached in it): ``H_k psi = sum_g D[g, k] * psi[idx[g]]``.

    ``idx`` ``(G, 2**n)``: the basis index of each flip group (``y xor m_g``); ``D`` ``(G, K, 2**n)``:
    its diagonals (real parts for real states, as in :meth:`ObservablePlan.apply`).
    """
    key = ("numpy_state", plan.n, dtype.str)
    if key not in plan._cache:
        real = dtype.kind == "f"
        d = 2**plan.n
        ds = plan.diagonals(real, torch.float64 if real else torch.complex128, torch.device("cpu"))
        base = np.arange(d)
        idx = np.empty((len(plan.groups), d), dtype=np.int64)
        diag = np.empty((len(plan.groups), plan.n_obs, d), dtype=np.float64 if real else np.complex128)
        for g, (grp, dm) in enumerate(zip(plan.groups, ds, strict=True)):
            mask = sum(1 << (plan.n - 1 - w) for w in grp.flip)
            idx[g] = base ^ mask
            if dm is None:  # pure X strings: a constant diagonal per observable
                assert grp.constant is not None
                diag[g] = np.asarray(grp.constant)[:, None]
            else:
                diag[g] = dm.numpy()
        plan._cache[key] = (idx, diag.astype(dtype, copy=False))
    result: tuple[np.ndarray, np.ndarray] = plan._cache[key]
    return result


def _run_forward(tail: Any, fw: Any, dtype: np.dtype) -> np.ndarray:
    """``phi = V_K ... V_1 |0>`` as a column ``(2**n, 1)``."""
    u = np.zeros((2**tail.n, 1), dtype=dtype)
    u[0, 0] = 1
    return dt.apply_ops(tail, fw, u)


def _outer_trace(u: np.ndarray, v: np.ndarray, op: Any, n: int) -> np.ndarray:
    """``R[a, b] = sum_r u[(a, r)] conj(v[(b, r)])`` over the wires outside ``op.wires``: the
    reduction of the rank-one ``u v^†`` (:func:`qml.sim.dense_tail._ptrace` of it)."""
    k = len(op.wires)
    vc = v.conj() if v.dtype.kind == "c" else v
    if op.contiguous:
        left, right = 2 ** op.wires[0], 2 ** (n - op.wires[-1] - 1)
        result: np.ndarray = np.einsum(
            "xay,xby->ab", u.reshape(left, 2**k, right), vc.reshape(left, 2**k, right)
        )
        return result
    others = [w for w in range(n) if w not in op.wires]
    ut = u.reshape((2,) * n)
    vt = vc.reshape((2,) * n)
    result = np.tensordot(ut, vt, axes=(others, others)).reshape(2**k, 2**k)
    return result


def _sweep(tail: Any, fw: Any, phi: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Angle gradients ``2 Re sum_j <lam_j| dV_j |phi_{j-1}>`` (see the module docstring)."""
    n, ops, mats = tail.n, tail.ops, fw.mats
    reds: list[np.ndarray | None] = [None] * len(ops)
    zb = {g: np.empty((len(idx), 4**g), dtype=phi.dtype) for g, idx in tail.widths}
    for j in range(len(ops) - 1, -1, -1):
        op = ops[j]
        if op.kind == "perm":
            phi, lam = phi[op.dest], lam[op.dest]
            continue
        back = dt._dagger(mats[j])
        phi = dt._left(phi, back, op, n)
        if op.kind == "param":  # Y_j = |phi_{j-1}><lam_j|
            reds[j] = _outer_trace(phi, lam, op, n)
        lam = dt._left(lam, back, op, n)
        if op.kind == "block":  # Z_j = Y_j V_j = |phi_{j-1}><lam_{j-1}|
            zb[len(op.wires)][op.group] = _outer_trace(phi, lam, op, n).reshape(-1)
    return dt._angle_grads(tail, fw, reds, zb)


class _StateExpval(torch.autograd.Function):
    """Values by the NumPy forward pass; weight gradients by the NumPy adjoint sweep."""

    @staticmethod
    def forward(
        ctx: Any, angles: Tensor, run: Run, detail: Plan, plan: ObservablePlan, dtype: torch.dtype
    ) -> Tensor:
        tail = detail.ops
        a = angles.detach()[0].double().numpy()
        ndt = dt.numpy_dtype(dtype)
        fw = dt._build(tail, a, ndt, derivative=angles.requires_grad)
        phi = _run_forward(tail, fw, ndt)
        idx, diag = observable_arrays(plan, ndt)
        flipped = phi[idx, 0]  # (G, 2**n): psi[y xor m_g]
        hphi = np.einsum("gkd,gd->kd", diag, flipped)  # H_k psi
        e = torch.from_numpy(np.einsum("d,kd->k", phi[:, 0].conj(), hphi).real[None].copy())
        ctx.save_for_backward(angles)
        ctx.state = (fw, phi, hphi)
        ctx.run, ctx.detail, ctx.plan, ctx.dtype = run, detail, plan, dtype
        return e

    @staticmethod
    def backward(ctx: Any, grad_e: Tensor) -> tuple[Tensor | None, ...]:
        (angles,) = ctx.saved_tensors
        if torch.is_grad_enabled():
            grad = recompute_grad(ctx.run, angles, ctx.plan, ctx.dtype, grad_e, ctx.detail.second_order)
            return grad, None, None, None, None
        fw, phi, hphi = ctx.state
        g = grad_e.detach()[0].numpy().astype(hphi.real.dtype, copy=False)
        lam = (g @ hphi)[:, None]  # H_eff phi = sum_k g_k H_k phi, (2**n, 1)
        grad = torch.from_numpy(_sweep(ctx.detail.ops, fw, phi, lam))[None]
        return grad.to(angles.dtype), None, None, None, None


def recompute_grad(
    run: Run, angles: Tensor, plan: ObservablePlan, dtype: torch.dtype, grad_e: Tensor, second_order: bool
) -> Tensor:
    """The angle gradient under ``create_graph=True``: the torch full state of the same call,
    differentiated by autograd (``second_order``, ``diff="auto"``), or the refusal of ``diff="adjoint"``."""
    from qml.sim import dense

    if not second_order:
        refuse_second_order(
            "diff='adjoint'",
            "its gradient is not itself differentiable",
            "Simulator(diff='backprop') or Simulator(diff='parameter-shift')",
        )
    with torch.enable_grad():
        again = replace(run, angles=angles)  # the same call, its angles as saved
        e = dense.EVALUATOR.evaluate(again, plan, dtype, "backprop", None, _no_guard)
        (grad,) = torch.autograd.grad(e, angles, grad_e, create_graph=True)
    return grad


def _no_guard(*args: Any) -> None:
    """The memory guard of a recomputation that the call's own guard already covered."""


def need(run: Run, diff: str, detail: Any) -> Need:
    """The state, its adjoint and their images: 4 states of ``n`` qubits, one row."""
    return Need(run.prog.circuit.n_wires, 4, "forward")


def evaluate(
    run: Run, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> Tensor:
    """Expectation values ``(1, n_obs)`` of one circuit; ``detail`` is its :class:`Plan`."""
    result: Tensor = _StateExpval.apply(run.angles, run, detail, plan, dtype)  # type: ignore[no-untyped-call]
    return result


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
