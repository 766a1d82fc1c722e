"""Expectation values of shallow circuits from a two-register (Schmidt) split of the state.

Cut the wires into a front register ``A = [0, a)`` and a back register ``R = [a, n)``. A
gate inside one register acts on that register alone, and the one-control gates and
two-qubit diagonal gates across the cut have operator Schmidt rank two:

* ``CU`` with its control ``c`` on one side and its target ``t`` on the other is
  ``P0_c x I + P1_c x U_t`` (``P_m = |m><m|``; ``CNOT``, ``CY``, ``CRX``, ``CRY``);
* a diagonal ``D`` on ``(w1, w2)`` (``CZ``, ``CRZ``, ``RZZ``) is
  ``sum_m P_m(w1) x diag(D[m, :])(w2)``.

So the state after ``k`` such gates is a sum of ``2**k`` products,
``|psi> = sum_s |A_s> |R_s>``, kept as two batched states ``(B, 2**k * 2**a)`` and
``(B, 2**k * 2**(n - a))``: the branch index ``s`` sits on ``k`` extra leading wires of
each register, and a gate across the cut appends one branch bit to both. Each register
runs its gates through the usual fused steps (:mod:`qml.sim.fusion`): a product state at the
start, blocks of one-qubit gates, gathers for CNOT ladders. A Pauli sum is measured
either on the joined state ``sum_s A_s x R_s`` (one batched product; when ``2**n`` is small)
or term by term as ``<psi| P_A x P_R |psi> = sum_{s,s'} <A_s|P_A|A_s'> <R_s|P_R|R_s'>``,
the terms sharing a back string ``P_R`` summed on the front register first. Diagonal
observables take one Gram product per register for all their Z strings together
(:func:`_diag_gram`). For them a final run of permutation gates (the last CNOT ladder) is
also left out of the registers, one crossing less: the joined state is measured with the
permuted diagonal, or the Gram products with the Z strings the gates map the observable to
(``CNOT`` and ``SWAP`` map Z strings to Z strings; see :func:`z_terms`). With shared
weights and inputs only in a register's product state, the rest of that register is one
linear map, built on its ``2**width`` basis states and applied to the batch in one matmul
(:func:`_register`).

This pays when ``2**k (2**a + 2**(n-a))`` is far below ``2**n``: a hardware-efficient
circuit with CNOT ladders has one gate across the middle cut per layer, so two layers on
eight qubits keep at most ``4 x 32`` amplitudes per row instead of 256, and the blocks
act on 16 instead of 256 amplitudes. :func:`plan` picks the cut and decides, and
``Simulator(methods={"split": "never"})`` switches the path off (``"always"`` forces it).
Every step is an ordinary differentiable torch operation: backprop and ``torch.func`` work unchanged.

Example:
    >>> import math, torch
    >>> from qml.ir import Circuit, W
    >>> from qml.paulis import pauli
    >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> sp = plan(c, cut=1)
    >>> sp.rank, [len(seg.ops) for seg in sp.segments[0]]
    (2, [1, 0])
    >>> e = expval(sp, [pauli("Z0 Z1 + X0 X1")], torch.tensor([[0.3]], dtype=torch.float64),
    ...            torch.zeros(1, 0, dtype=torch.float64), torch.complex128)
    >>> abs(float(e[0, 0]) - (1 + math.sin(0.3))) < 1e-12  # <Z0 Z1> + <X0 X1> of cos|00> + sin|11>
    True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import torch

from qml.errors import ConfigError
from qml.gates import GATES
from qml.ir import Circuit, Op
from qml.paulis import PauliString, PauliSum
from qml.sim import kernels as K
from qml.sim.blockdata import fused_data
from qml.sim.evaluation import Evaluator, Guard, Need
from qml.sim.evaluation import Run as Call
from qml.sim.fusion import (
    PERM_GATES,
    FusedProgram,
    _cj,
    fuse,
    fused_program,
    perm_destination,
    run_steps,
)
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program, compile_circuit, step_data
from qml.sim.tuning import tuning

__all__ = ["LINEAR_PERMS", "Split", "pays", "plan", "z_terms"]

Tensor = torch.Tensor
#: The ``Route.measure`` of this method.
MEASURE = "two-register split"
log = logging.getLogger(__name__)

#: Permutation gates that map every Z string to one Z string (a diagonal Gram measurement
#: can look through them; a Toffoli cannot): the GF(2)-linear ones of the gate table.
LINEAR_PERMS = frozenset(name for name, g in GATES.items() if g.linear_perm)


@dataclass(frozen=True)
class Cross:
    """A gate across the cut: project ``proj_wire`` of one register on ``m``, apply ``U_m`` to the other.

    ``kind``: ``"ctrl"`` (``U_0 = I``, ``U_1`` = the target gate; ``None`` data means X) or
    ``"diag"`` (``U_m = diag(D[m, :])``, ``D`` the gate's diagonal as a 2x2 table indexed
    ``[proj bit, other bit]``). Wires are register-local; ``front`` tells which register
    is projected.
    """

    op_index: int
    kind: str
    front: bool
    proj_wire: int
    other_wire: int
    swap_table: bool  # diag gates whose first wire is the other one: index D[other, proj]


@dataclass(frozen=True)
class Split:
    """A circuit split at ``cut``: per register, ``rank_bits + 1`` segment circuits and the crossings."""

    prog: Program
    cut: int
    segments: tuple[tuple[Circuit, ...], tuple[Circuit, ...]]  # (front, back); segment e has e branch wires
    crossings: tuple[Cross, ...]
    cost: float  # work per row (see steps_cost), the crossings and the measurement included
    join: bool = False  # measure on the joined state sum_s A_s x R_s (else by Gram products)
    #: The trailing permutation gates left out of the registers: diagonal observables are
    #: measured after them, by permuting the diagonal of the joined state (:attr:`perm_dest`)
    #: or by the Z strings the gates map them to (see :func:`z_terms`).
    trailing: tuple[Op, ...] = ()

    @cached_property
    def perm_dest(self) -> np.ndarray | None:
        """The basis map of :attr:`trailing` (``None`` if nothing was left out)."""
        return perm_destination(self.prog.circuit.n_wires, list(self.trailing)) if self.trailing else None

    @property
    def width(self) -> int:
        """Qubits' worth of amplitudes in the widest tensor per row (for the memory guard)."""
        n = self.prog.circuit.n_wires
        k, side = len(self.crossings), max(self.cut, n - self.cut)
        # joined: the whole state; else the diagonal Gram's (r, r, register) outer products
        return max(k + side, n) if self.join else 2 * k + side

    @property
    def rank(self) -> int:
        """Number of product terms at the end: ``2 ** len(crossings)``."""
        result: int = 2 ** len(self.crossings)
        return result


def _crossing(prog: Program, i: int, cut: int) -> Cross | None:
    st = prog.steps[i]
    if st.kind == "ctrl" and len(st.controls) == 1:
        c, t = st.controls[0], st.target
        cf = c < cut
        return Cross(i, "ctrl", cf, c if cf else c - cut, t - cut if cf else t, False)
    if st.kind == "diag" and len(st.wires) == 2:
        w1, w2 = st.wires
        f1 = w1 < cut
        # project the front register's wire; the table is indexed [first wire, second wire]
        pw, ow = (w1, w2 - cut) if f1 else (w2, w1 - cut)
        return Cross(i, "diag", True, pw, ow, not f1)
    return None


def _segment(prog: Program, ops: list[int], offset: int, branch: int, width: int) -> Circuit:
    c = prog.circuit
    sub = tuple(replace(c.ops[i], wires=tuple(w - offset + branch for w in c.ops[i].wires)) for i in ops)
    return Circuit(branch + width, sub, c.n_weights, c.n_inputs)


def steps_cost(fp: FusedProgram) -> float:
    """Work per row of the fused steps of ``fp``: amplitudes touched, times ``2**g`` for ``g``-wire blocks."""
    size = 2**fp.prog.circuit.n_wires
    return float(sum(size * (2 ** len(st.wires) if st.kind == "block" else 1) for st in fp.steps))


def _fused_cost(circuit: Circuit, start: bool, max_block: int) -> float:
    """:func:`steps_cost` of a candidate segment, compiled outside the (bounded) compile cache."""
    if not circuit.ops:
        return 0.0
    return steps_cost(fuse(compile_circuit.__wrapped__(circuit), max_block, barrier=-1 if start else 0))


def _trailing_perms(prog: Program) -> int:
    """Index of the first op of the run of constant permutation gates that ends the circuit."""
    stop = len(prog.steps)
    while stop > 0 and prog.steps[stop - 1].op.name in PERM_GATES and prog.steps[stop - 1].slot < 0:
        stop -= 1
    return stop


def _may_pay(prog: Program, cut: int, stop: int) -> bool:
    """Cheap pre-check of a candidate cut: ``2**k`` products of the two registers hold fewer
    amplitudes than the whole state (``k`` gates across the cut before ``stop``)."""
    n = prog.circuit.n_wires
    k = sum(1 for st in prog.steps[:stop] if min(st.wires) < cut <= max(st.wires))
    return k < n and 2**k * (2**cut + 2 ** (n - cut)) <= 2**n


def _build(
    prog: Program,
    cut: int,
    max_block: int,
    stop: int,
    diagonal: bool = False,
) -> Split | None:
    """The split at ``cut`` of the ops before ``stop``; the rest are trailing permutation gates.

    ``diagonal``: the observables are Z strings, measured by one Gram product per register
    (:func:`_diag_gram`) unless the joined state is cheaper or a trailing gate is not in
    :data:`LINEAR_PERMS`.
    """
    n = prog.circuit.n_wires
    front_ops: list[list[int]] = [[]]
    back_ops: list[list[int]] = [[]]
    crossings: list[Cross] = []
    for i, st in enumerate(prog.steps[:stop]):
        sides = {w < cut for w in st.wires}
        if sides == {True}:
            front_ops[-1].append(i)
        elif sides == {False}:
            back_ops[-1].append(i)
        else:
            cross = _crossing(prog, i, cut)
            if cross is None:
                return None
            crossings.append(cross)
            front_ops.append([])
            back_ops.append([])
    front = tuple(_segment(prog, ops, 0, e, cut) for e, ops in enumerate(front_ops))
    back = tuple(_segment(prog, ops, cut, e, n - cut) for e, ops in enumerate(back_ops))
    cost = 0.0
    for e in range(len(front)):
        cost += _fused_cost(front[e], e == 0, max_block) + _fused_cost(back[e], e == 0, max_block)
    r = 2 ** len(crossings)
    sizes = 2**cut + 2 ** (n - cut)
    cost += 2 * r * sizes * len(crossings)  # each crossing writes both registers, twice as wide
    join_cost = (r + 1) * 2**n  # the joining product and one measuring pass
    # Gram products of both registers (the plan is device-independent: the CPU fit)
    gram_cost = tuning("cpu").split_gram_weight * (1 if diagonal else 2) * r * r * sizes
    trailing = tuple(prog.circuit.ops[stop:])
    linear = diagonal and all(op.name in LINEAR_PERMS for op in trailing)
    join = (bool(trailing) and not linear) or join_cost <= gram_cost
    cost += join_cost if join else gram_cost
    return Split(prog, cut, (front, back), tuple(crossings), cost, join, trailing)


def dense_cost(fp: FusedProgram) -> float:
    """Work per row of the dense fused path and its measurement (the measure of :func:`plan`)."""
    result: float = steps_cost(fp) + 2**fp.prog.circuit.n_wires
    return result


def plan(
    circuit: Circuit, cut: int | None = None, max_block: int = 4, diagonal: bool = False
) -> Split | None:
    """The cheapest split of ``circuit`` (or the one at ``cut``); ``None`` if no cut can split it.

    Args:
        circuit: The circuit.
        cut: Split before this wire; by default the cuts near the middle are tried and the
            cheapest kept.
        max_block: Width of the fused one-qubit blocks in each register.
        diagonal: The observables are diagonal (Z strings): trailing permutation gates
            (a final CNOT ladder) may be left to the measurement of the joined state.

    Returns:
        The split, or ``None`` when a gate across every candidate cut has no rank-two
        form (``SWAP``, ``RXX``, multi-controlled gates, ...) or there are too many.

    Example:
        >>> from qml.ir import Circuit
        >>> c = Circuit(4).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (1, 2)).add("CNOT", (2, 3))
        >>> sp = plan(c)
        >>> sp.cut, sp.rank
        (2, 2)
        >>> plan(c, diagonal=True).rank  # the ladder is left to a diagonal measurement
        1
    """
    prog = compile_circuit(circuit)
    return prog.cache.get(
        ("split", "plan", cut, max_block, diagonal), lambda: _best(prog, cut, max_block, diagonal)
    )


def _best(prog: Program, cut: int | None, max_block: int, diagonal: bool) -> Split | None:
    """The cheapest split over the candidate cuts (see :func:`plan`)."""
    n = prog.circuit.n_wires
    # near the middle (the wider register sets the cost; far cuts also cost their planning)
    cuts = [cut] if cut is not None else [a for a in range(1, n) if max(a, n - a) <= (n + 1) // 2 + 1]
    stops = [len(prog.steps)]
    last = _trailing_perms(prog)
    if diagonal and last < len(prog.steps):
        stops.append(last)
    best: Split | None = None
    for a in cuts:
        if not 0 < a < n:
            raise ConfigError(f"cut must be in 1..{n - 1} for {n} wires, got {a}")
        for stop in stops:
            if cut is None and not _may_pay(prog, a, stop):
                continue
            s = _build(prog, a, max_block, stop, diagonal)
            if s is not None and (best is None or s.cost < best.cost):
                best = s
    return best


def pays(sp: Split | None, fp: FusedProgram, batch: int, device: str | torch.device = "cpu") -> bool:
    """Whether the split beats the dense fused program ``fp`` for ``batch`` rows.

    The split runs more, smaller operations than the dense path. Fitted on a 2-core CPU
    (W1-style circuits, n = 8-12, 1-8 layers, batch 64-1024; benchmarks/NOTES.md), it pays
    from ``split_min_wires`` wires when ``batch * (dense - split_weight * split)`` reaches
    ``split_pays_work`` (:mod:`qml.sim.tuning`; work per row as in :func:`steps_cost`): its unit
    of work costs up to twice the dense path's, and its fixed cost per call is ~1-2 ms higher.

    Example:
        >>> from qml.ir import Circuit, W
        >>> c = Circuit(12)
        >>> for q in range(12):
        ...     c = c.add("RY", q, W(q))
        >>> for q in range(11):
        ...     c = c.add("CNOT", (q, q + 1))
        >>> sp = plan(c.add("RY", 0, W(12)), diagonal=True)
        >>> fp = fuse(compile_circuit(c.add("RY", 0, W(12))))
        >>> pays(sp, fp, batch=1), pays(sp, fp, batch=1024)
        (False, True)
    """
    t = tuning(device)
    if sp is None or fp.prog.circuit.n_wires < t.split_min_wires:
        return False
    return batch * (dense_cost(fp) - t.split_weight * sp.cost) >= t.split_pays_work


class _Run(NamedTuple):
    """What every register segment is evaluated with."""

    weights: Tensor
    inputs: Tensor
    dtype: torch.dtype
    shared: bool
    const_rows: bool
    max_block: int

    def data(self, fp: FusedProgram) -> list[Tensor | None]:
        """The fused steps' data of ``fp`` (a segment's program) for these weights and inputs."""
        if not fp.steps:
            return []
        angles = fp.prog.angles(self.weights, self.inputs)
        return fused_data(fp, angles, self.dtype, self.shared, self.const_rows)


def _evolve(circuit: Circuit, state: Tensor | None, run: _Run) -> Tensor:
    """Run one segment circuit on ``state`` (``None``: from ``|0...0>``, maybe as a product state)."""
    fp = fused_program(compile_circuit(circuit), run.max_block, -1 if state is None else 0)
    return run_steps(fp, run.data(fp), len(fp.steps), run.dtype, run.weights.device, state)


def _cross(sp: Split, cross: Cross, k: int, reg: Tensor, e: int, data: Tensor | None) -> Tensor:
    """Apply crossing ``cross`` to register ``k`` (0 front, 1 back; ``e`` branch wires): one more branch bit.

    The projected register keeps, for the new branch bit ``m``, its slice with wire bit ``m``;
    the other register gets ``U_m`` on the target wire. The registers are independent
    linear maps of their own inputs (they may have different rows).
    """
    n = sp.prog.circuit.n_wires
    width = (sp.cut, n - sp.cut)[k]
    batched = data is not None and data.dim() == (3 if cross.kind == "ctrl" else 2)
    rows = max(reg.shape[0], data.shape[0] if batched else 1)  # type: ignore[union-attr]
    reg = reg.expand(rows, -1)
    if cross.front == (k == 0):  # (rows, 2**e, 2**pw, 2, rest) -> the new bit m keeps bit m
        pv = reg.reshape(rows, 2**e, 2**cross.proj_wire, 2, 2 ** (width - cross.proj_wire - 1))
        mask = torch.eye(2, dtype=pv.real.dtype, device=pv.device).view(2, 1, 2, 1)
        return (pv.unsqueeze(2) * mask).reshape(rows, -1)
    ow, wide = e + cross.other_wire, e + width  # branch m = U_m on the target wire
    if cross.kind == "ctrl":
        o0 = reg
        o1 = K.apply_flip(o0, wide, (ow,)) if data is None else K.apply_1q(o0, wide, ow, data)
    else:
        assert data is not None
        table = data.reshape(*data.shape[:-1], 2, 2)
        if cross.swap_table:
            table = table.transpose(-1, -2)
        o0 = K.apply_diag(reg, wide, (ow,), table[..., 0, :]).expand(rows, -1)
        o1 = K.apply_diag(reg, wide, (ow,), table[..., 1, :]).expand(rows, -1)
    return torch.stack((o0.reshape(rows, 2**e, -1), o1.reshape(rows, 2**e, -1)), 2).reshape(rows, -1)


def _gram_groups(obs: PauliSum, cut: int) -> list[tuple[PauliSum, PauliSum]]:
    """``obs = sum_g F_g x B_g`` with few groups: front-only terms, back-only terms, then by back string."""
    front_only: list[tuple[float, PauliString]] = []
    back_only: list[tuple[float, PauliString]] = []
    by_back: dict[PauliString, list[tuple[float, PauliString]]] = {}
    for coeff, ps in obs.terms:
        f = PauliString(tuple((w, p) for w, p in ps.ops if w < cut))
        b = PauliString(tuple((w - cut, p) for w, p in ps.ops if w >= cut))
        if b.is_identity:
            front_only.append((coeff, f))
        elif f.is_identity:
            back_only.append((coeff, b))
        else:
            by_back.setdefault(b, []).append((coeff, f))
    ident = PauliSum(((1.0, PauliString()),))
    groups = [(PauliSum(tuple(front_only)), ident)] if front_only else []
    if back_only:
        groups.append((ident, PauliSum(tuple(back_only))))
    groups += [(PauliSum(tuple(fs)), PauliSum(((1.0, b),))) for b, fs in by_back.items()]
    return groups


def _apply_plan(plan_: ObservablePlan, state: Tensor, width: int) -> Tensor:
    """``(I_branch x O) state`` for the one observable of ``plan_`` on a register (differentiable)."""
    if not plan_.groups:
        return torch.zeros_like(state)
    g0 = plan_.groups[0]
    if len(plan_.groups) == 1 and not g0.flip and all(not z for _, _, z in g0.terms):
        return state * g0.terms[0][1].real  # a multiple of the identity
    ds = plan_.diagonals(False, state.dtype, state.device)
    out: Tensor | int = 0
    for g, D in zip(plan_.groups, ds, strict=True):
        phi = K.apply_flip(state.reshape(-1, 2**width), width, g.flip).reshape(state.shape)
        if D is None:
            assert g.constant is not None
            out = out + phi * g.constant[0]
            continue
        if D.is_complex() and not phi.is_complex():
            phi = phi.to(D.dtype)  # Y strings on a real state: the cross terms are imaginary
        out = out + phi * D[0]
    return out  # type: ignore[return-value]


def _gram_plans(sp: Split, obs: PauliSum) -> list[tuple[ObservablePlan, ObservablePlan]]:
    """The register plans of :func:`_gram_groups`."""
    n, a = sp.prog.circuit.n_wires, sp.cut
    return sp.prog.cache.get(
        ("split", "gram", a, obs),
        lambda: [(ObservablePlan([f], a), ObservablePlan([b], n - a)) for f, b in _gram_groups(obs, a)],
    )


def _joined_plan(sp: Split, observables: list[PauliSum]) -> ObservablePlan:
    """The plan measuring the joined state (after the trailing permutation, if any)."""

    def build() -> ObservablePlan:
        got = ObservablePlan(observables, sp.prog.circuit.n_wires)
        return got if sp.perm_dest is None else got.after_permutation(sp.perm_dest)

    return sp.prog.cache.get(("split", "join", bool(sp.trailing), tuple(observables)), build)


def _gram(v: Tensor, y: Tensor) -> Tensor:
    """``<v_s|y_s'>`` for ``(rows, r, d)`` tensors (``y`` may be complex where ``v`` is real)."""
    return (v.to(y.dtype) if y.is_complex() else v).conj() @ y.transpose(1, 2)


def z_terms(obs: PauliSum, trailing: tuple[Op, ...] = ()) -> list[tuple[complex, int]]:
    """The Z strings of a diagonal ``obs`` as ``(coefficient, wire mask)`` (bit ``w`` = ``Z_w``),
    measured before the permutation gates ``trailing`` (those of :data:`LINEAR_PERMS`) instead of after.

    ``CNOT(c, t)`` maps ``Z_t`` to ``Z_c Z_t`` and keeps ``Z_c``; ``SWAP`` exchanges two wires
    (:meth:`qml.gates.GateSpec.z_before`).

    Example:
        >>> from qml.ir import Circuit
        >>> from qml.paulis import pauli
        >>> ladder = Circuit(3).add("CNOT", (0, 1)).add("CNOT", (1, 2)).ops
        >>> z_terms(pauli("Z0 + Z1 + Z2"), ladder)  # Z_j after the ladder is Z_0 ... Z_j before it
        [((1+0j), 1), ((1+0j), 3), ((1+0j), 7)]
    """
    out = []
    for coeff, ps in obs.terms:
        mask = 0
        for w, _ in ps.ops:
            mask |= 1 << w
        for op in reversed(trailing):  # P^dag Z P = g_1^dag ... g_m^dag Z g_m ... g_1
            k = len(op.wires)
            local = sum((mask >> w & 1) << (k - 1 - a) for a, w in enumerate(op.wires))
            local = GATES[op.name].z_before(local)
            for a, w in enumerate(op.wires):
                mask = mask & ~(1 << w) | (local >> (k - 1 - a) & 1) << w
        out.append((complex(coeff), mask))
    return out


def _z_columns(masks: list[int], width: int) -> np.ndarray:
    """``(2**width, len(masks))``: diagonals of register-local Z strings (wire ``w``: bit ``width-1-w``)."""
    j = np.arange(2**width)
    cols = np.ones((2**width, len(masks)))
    for k, m in enumerate(masks):
        for w in range(width):
            if m >> w & 1:
                cols[:, k] *= 1 - 2 * ((j >> (width - 1 - w)) & 1)
    return cols


def _diag_tables(sp: Split, observables: list[PauliSum]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Front, back Z-string diagonals ``(2**a, Mf)``, ``(2**(n-a), Mb)``; coefficients ``(Mf, O, Mb)``."""
    n, a = sp.prog.circuit.n_wires, sp.cut
    front: dict[int, int] = {}
    back: dict[int, int] = {}
    entries = []
    for o, obs in enumerate(observables):
        for coeff, mask in z_terms(obs, sp.trailing):
            f = front.setdefault(mask & ((1 << a) - 1), len(front))
            b = back.setdefault(mask >> a, len(back))
            entries.append((f, o, b, coeff))
    coeffs = np.zeros((max(1, len(front)), len(observables), max(1, len(back))), dtype=np.complex128)
    for f, o, b, c in entries:
        coeffs[f, o, b] += c
    return _z_columns(list(front) or [0], a), _z_columns(list(back) or [0], n - a), coeffs


def _diag_gram(sp: Split, observables: list[PauliSum], fv: Tensor, bv: Tensor) -> Tensor:
    """Diagonal observables from Gram products: ``sum_{s,s'} <A_s|F|A_s'> C_{F,G} <R_s|G|R_s'>``.

    ``F``, ``G`` run over the distinct front and back parts of the Z strings (one product of
    a ``(rows, r, r, 2**a)`` outer product with the ``(2**a, Mf)`` diagonals per register), so
    no tensor of the whole register's size is formed.
    """
    rows, r = fv.shape[0], fv.shape[1]

    def build() -> tuple[Tensor, Tensor, Tensor]:
        df, db, c = _diag_tables(sp, observables)
        ct = torch.from_numpy(c).to(fv.device)
        ct = ct.to(fv.dtype) if fv.is_complex() else (ct if ct.imag.any() else ct.real.to(fv.dtype))
        return torch.from_numpy(df).to(fv.device, fv.dtype), torch.from_numpy(db).to(fv.device, fv.dtype), ct

    df, db, c = sp.prog.cache.get(("split", "zgram", tuple(observables), fv.dtype, fv.device), build)

    def grams(v: Tensor, d: Tensor) -> Tensor:  # (rows, r*r, M): <v_s| D_m |v_s'>
        return ((_cj(v).unsqueeze(2) * v.unsqueeze(1)) @ d).reshape(rows, r * r, -1)

    gf, gb = grams(fv, df), grams(bv, db)
    mf, n_obs, mb = c.shape
    if c.is_complex() and not gf.is_complex():  # complex coefficients on a real state
        gf = gf.to(c.dtype)
    t = (gf.reshape(-1, mf) @ c.reshape(mf, -1)).reshape(rows, r * r, n_obs, mb)
    out = (t * gb.unsqueeze(2)).sum((1, 3))
    return out.real if out.is_complex() else out


def _measure(sp: Split, observables: list[PauliSum], front: Tensor, back: Tensor) -> Tensor:
    """``<psi|O|psi>`` per row and observable, ``(B, n_obs)``, from the two registers."""
    n, a = sp.prog.circuit.n_wires, sp.cut
    rows = max(front.shape[0], back.shape[0])
    r = sp.rank
    fv = front.expand(rows, -1).reshape(rows, r, 2**a)
    bv = back.expand(rows, -1).reshape(rows, r, 2 ** (n - a))
    if sp.join:  # psi = sum_s A_s x R_s, measured as usual
        psi = (fv.transpose(1, 2) @ bv).reshape(rows, -1)
        return _joined_plan(sp, observables).expval(psi)
    if all(o.is_diagonal for o in observables):
        return _diag_gram(sp, observables, fv, bv)
    out = []
    for obs in observables:
        total: Tensor | int = 0
        for pf, pb in _gram_plans(sp, obs):
            g_f = _gram(fv, _apply_plan(pf, fv, a))  # <A_s|F|A_s'>: (rows, r, r)
            g_b = _gram(bv, _apply_plan(pb, bv, n - a))
            total = total + (g_f * g_b).sum((1, 2))
        if isinstance(total, int):
            total = torch.zeros(rows, dtype=front.real.dtype, device=front.device)
        out.append(total.real if total.is_complex() else total)
    return torch.stack(out, 1)


def _register(sp: Split, k: int, datas: list[Tensor | None], run: _Run) -> Tensor:
    """Register ``k`` at the end of the circuit, ``(rows, 2**k' * 2**width)``.

    When only its first (product-state) step reads the inputs and the batch is large
    (:func:`_collapses`), the rest of the register is one linear map, built on the
    ``2**width`` basis states instead of the batch: the per-row product states meet it in
    one matmul (as :mod:`qml.sim.collapse` does for whole states).
    """
    segs = sp.segments[k]
    fp = fused_program(compile_circuit(segs[0]), run.max_block, -1)
    data = run.data(fp)
    phi = None
    collapses = _collapses(sp, k, fp, data, run.shared)
    log.debug("split register %d (%s): %s", k, ("front", "back")[k], "one map" if collapses else "rows kept")
    if collapses:
        phi = data[0]
        assert phi is not None
        eye = torch.eye(phi.shape[-1], dtype=phi.dtype, device=phi.device)
        reg = run_steps(fp, data, len(fp.steps), run.dtype, run.weights.device, eye, start=1)
    else:
        reg = run_steps(fp, data, len(fp.steps), run.dtype, run.weights.device)
    for e, cross in enumerate(sp.crossings):
        reg = _cross(sp, cross, k, reg, e, datas[e])
        reg = _evolve(segs[e + 1], reg, run)
    return reg if phi is None else phi @ reg


def _collapses(sp: Split, k: int, fp: FusedProgram, data: list[Tensor | None], shared: bool) -> bool:
    """Whether register ``k`` is one map after its product state (see :func:`_register`)."""
    if not shared or not fp.steps or fp.steps[0].kind != "product" or data[0] is None:
        return False
    width = (sp.cut, sp.prog.circuit.n_wires - sp.cut)[k]
    rows = tuning(data[0].device).split_collapse_rows
    if data[0].shape[0] < rows * 2**width:  # the product states' rows: the batch
        return False

    def inputs_in_product_only() -> bool:
        in_product = {i for part in fp.steps[0].parts for i in part}
        return (
            all(i in in_product for i, op in enumerate(fp.prog.circuit.ops) if op.reads_inputs)
            and not any(op.reads_inputs for seg in sp.segments[k][1:] for op in seg.ops)
            and not any(sp.prog.circuit.ops[c.op_index].reads_inputs for c in sp.crossings)
        )

    key = ("split", "collapse", k, sp.cut, len(sp.crossings), bool(sp.trailing))
    return sp.prog.cache.get(key, inputs_in_product_only)


def expval(
    sp: Split,
    observables: list[PauliSum],
    weights: Tensor,
    inputs: Tensor,
    dtype: torch.dtype,
    shared: bool = False,
    const_rows: bool = False,
    max_block: int = 4,
) -> Tensor:
    """Expectation values ``(B, n_obs)`` of ``observables`` on the split circuit.

    Args:
        sp: The split (:func:`plan`).
        observables: Pauli sums on the circuit's wires.
        weights: ``(Bw, P)`` weights.
        inputs: ``(Bx, F)`` inputs.
        dtype: State dtype (complex, or real for real circuits).
        shared: One weight row for all batch rows.
        const_rows: No gradient flows into the per-row (input) gate data.
        max_block: Width of the fused one-qubit blocks.

    Returns:
        ``(B, n_obs)`` real.
    """
    if sp.trailing and not all(o.is_diagonal for o in observables):
        raise ConfigError("this split leaves out a final permutation: it measures diagonal observables only")
    prog = sp.prog
    dev = weights.device
    gd = None
    if any(prog.steps[c.op_index].slot >= 0 for c in sp.crossings):  # trainable gates across the cut
        gd = prog.group_data(prog.angles(weights, inputs), dtype, shared, const_rows)
    fixed = prog.fixed_data(dtype, dev)
    datas = [step_data(prog, c.op_index, fixed, gd) for c in sp.crossings]  # type: ignore[arg-type]
    run = _Run(weights, inputs, dtype, shared, const_rows, max_block)
    front, back = (_register(sp, k, datas, run) for k in (0, 1))
    out = _measure(sp, observables, front, back)
    batch = max(weights.shape[0], inputs.shape[0])
    return out.expand(batch, -1) if out.shape[0] != batch else out


def need(run: Call, diff: str, detail: Any) -> Need:
    """The two registers of ``detail.width`` qubits with the states backprop keeps: one per op, plus 3."""
    return Need(detail.width, len(run.prog.circuit.ops) + 3, "two-register")


def evaluate(
    run: Call, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> Tensor:
    """Expectation values ``(B, n_obs)`` of the split ``detail`` (:func:`plan`); backprop or no gradient."""
    assert run.weights is not None
    assert run.inputs is not None
    return expval(
        detail,
        list(plan.observables),
        run.weights,
        run.inputs,
        dtype,
        run.shared,
        run.const_rows,
        run.max_block,
    )


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
