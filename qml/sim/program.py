"""Compile a :class:`~qml.ir.Circuit` into an executable program for the torch simulator.

Compilation is done once per circuit and cached: it maps every gate angle to a column
of one ``angles`` tensor (computed differentiably from weights and inputs), chooses a
kernel per op (diagonal, controlled, permutation, dense) and precomputes the data of
constant gates per dtype and device. Gate data for trainable gates is computed in one
vectorised call per gate type, not per op.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> prog = compile_circuit(Circuit(1).add("RY", 0, W(0)))
    >>> prog.n_slots, prog.is_real
    (1, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from qml.dtypes import real_dtype
from qml.gates import GATES, is_real_op, unitary_matrix
from qml.ir import Circuit, Op
from qml.sim import kernels as K
from qml.sim.memo import Memo

__all__ = ["Program", "compile_circuit"]

Tensor = torch.Tensor


@dataclass(frozen=True)
class Step:
    """One op, compiled: which kernel applies it and where its angles live."""

    op: Op
    kind: str  # "diag" | "ctrl" | "swap" | "dense"
    wires: tuple[int, ...]
    controls: tuple[int, ...] = ()
    target: int = -1
    target_gate: str = ""
    slot: int = -1  # first column in ``angles``; -1 for constant ops
    n_params: int = 0
    group_pos: int = -1  # index among the trainable ops of the same gate name


class GateData:
    """Data of the trainable ops of a program, computed per gate name on first use.

    ``table(name)`` lists ``(positions, data)`` pairs: ``data[:, k]`` is the data of the
    ``positions[k]``-th trainable op named ``name`` (one vectorised call per name and
    segment; see :meth:`Program.table_layout`). :meth:`op` splits a table once, on first
    use, so that backprop stacks the per-op gradients in one step.
    """

    def __init__(
        self, prog: Program, angles: Tensor, dtype: torch.dtype, shared_rows: bool, const_rows: bool = False
    ) -> None:
        self.prog, self.angles, self.dtype = prog, angles, dtype
        # shared rows in a batch: gates that read weights only get one table, the rest per row
        self.two_tables = shared_rows and angles.shape[0] > 1
        # per-row data that no gradient flows into (inputs without grad, no weights mixed in)
        self.row_angles = angles.detach() if const_rows and self.two_tables else angles
        self._tables: dict[str, list[tuple[list[int], Tensor]]] = {}
        self._ops: dict[str, list[Tensor]] = {}

    def table(self, name: str) -> list[tuple[list[int], Tensor]]:
        """Stacked data ``(Bx, count, ...)`` of the ``name`` ops, per segment."""
        if name not in self._tables:
            prog, angles = self.prog, self.angles
            n_p = GATES[name].n_params
            slots = prog.groups[name]
            step = next(st for st in prog.steps if st.op.name == name and st.slot >= 0)
            fn = _data_fn(step, self.dtype)
            out = []
            for reads_x, pos in prog.table_layout(name, self.two_tables):
                key = (angles.device, name, reads_x if self.two_tables else None)
                if key not in prog._index:
                    idx = [slots[i] + j for i in pos for j in range(n_p)]
                    prog._index[key] = (torch.tensor(idx, dtype=torch.long, device=angles.device),)
                rows = self.row_angles if reads_x else angles[:1]
                a = rows.index_select(1, prog._index[key][0]).view(rows.shape[0], len(pos), n_p)
                out.append((pos, fn(a)))
            self._tables[name] = out
        return self._tables[name]

    def op(self, name: str, pos: int) -> Tensor:
        """Data ``(Bx, ...)`` of the ``pos``-th trainable op named ``name``."""
        if name not in self._ops:
            segments = self.table(name)
            data: list[Tensor] = [torch.empty(0)] * sum(len(p) for p, _ in segments)
            for positions, t in segments:
                for i, d in zip(positions, t.unbind(1), strict=True):
                    data[i] = d
            self._ops[name] = data
        return self._ops[name][pos]


@dataclass
class Program:
    """A compiled circuit (see module docstring)."""

    circuit: Circuit
    steps: list[Step]
    n_slots: int
    is_real: bool
    # angle map: angles = const + index_add(linear terms) + products
    const: list[float]
    lin_slot: list[int]
    lin_src: list[str]
    lin_idx: list[int]
    lin_coeff: list[float]
    products: list[tuple[int, float, tuple[tuple[str, int], ...]]]
    groups: dict[str, list[int]] = field(default_factory=dict)  # gate name -> first slots
    cache: Memo = field(default_factory=Memo, repr=False)  # per-setting derived data (qml.sim.memo)
    _fixed: dict[tuple[Any, ...], list[Tensor | None]] = field(default_factory=dict, repr=False)
    _index: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict, repr=False)

    # -- angles ---------------------------------------------------------------------
    def angles(self, weights: Tensor, inputs: Tensor) -> Tensor:
        """Gate angles ``(B, n_slots)`` from weights ``(Bw, P)`` and inputs ``(Bx, F)``."""
        B = max(weights.shape[0], inputs.shape[0])
        dtype, dev = weights.dtype, weights.device
        if self.n_slots == 0:
            return torch.zeros(B, 0, dtype=dtype, device=dev)
        key = (dev,)
        if key not in self._index:

            def mk(v: Any, t: torch.dtype = torch.long) -> Tensor:
                return torch.tensor(v, dtype=t, device=dev)

            w_pos = [i for i, s in enumerate(self.lin_src) if s == "w"]
            x_pos = [i for i, s in enumerate(self.lin_src) if s == "x"]
            # every slot is exactly one W(k) or X(k): the angles are a plain gather of
            # [weights, inputs] (index ``gather``), no arithmetic
            plain = (
                not self.products
                and sorted(self.lin_slot) == list(range(self.n_slots))
                and all(c == 1.0 for c in self.lin_coeff)
                and not any(self.const)
            )
            gather = None
            if plain:
                n_w = int(weights.shape[1])
                col = dict(
                    zip(
                        self.lin_slot,
                        (i if s == "w" else n_w + i for s, i in zip(self.lin_src, self.lin_idx)),
                    )
                )
                cols = [col[k] for k in range(self.n_slots)]
                runs = _runs(cols, n_w)
                gather = runs if len(runs) <= 8 else mk(cols)
            simple = (plain and not x_pos, gather)
            self._index[key] = (
                mk([self.lin_slot[i] for i in w_pos]),
                mk([self.lin_idx[i] for i in w_pos]),
                mk([self.lin_coeff[i] for i in w_pos], torch.float64),
                mk([self.lin_slot[i] for i in x_pos]),
                mk([self.lin_idx[i] for i in x_pos]),
                mk([self.lin_coeff[i] for i in x_pos], torch.float64),
                mk(self.const, torch.float64),
                simple,
            )
        ws, wi, wc, xs, xi, xc, const, (weights_only, gather) = self._index[key]
        if weights_only:
            return weights.index_select(1, wi).expand(B, -1)
        if isinstance(gather, list):  # a few slices of the weights and inputs, in slot order
            parts = [(weights if w else inputs)[:, a:b].expand(B, -1) for w, a, b in gather]
            return torch.cat(parts, 1) if len(parts) > 1 else parts[0]
        if gather is not None:
            return torch.cat([weights.expand(B, -1), inputs.expand(B, -1)], 1).index_select(1, gather)
        out = const.to(dtype).expand(B, -1).clone()
        if ws.numel():
            out = out.index_add(1, ws, (weights[:, wi] * wc.to(dtype)).expand(B, -1))
        if xs.numel():
            out = out.index_add(1, xs, (inputs[:, xi] * xc.to(dtype)).expand(B, -1))
        for slot, coeff, refs in self.products:
            val = torch.full((B,), coeff, dtype=dtype, device=dev)
            for src, i in refs:
                val = val * (weights if src == "w" else inputs)[:, i]
            out = out.index_add(1, torch.tensor([slot], device=dev), val[:, None])
        result: Tensor = out
        return result

    # -- gate data ------------------------------------------------------------------
    def fixed_data(self, dtype: torch.dtype, device: torch.device) -> list[Tensor | None]:
        """Precomputed data (matrix, diagonal or target matrix) of constant ops."""
        key = (dtype, device)
        if key not in self._fixed:
            real = real_dtype(dtype)
            data: list[Tensor | None] = []
            for st in self.steps:
                if st.slot >= 0:
                    data.append(None)
                    continue
                a = torch.tensor([p.const for p in st.op.params], dtype=real, device=device)
                data.append(_data_fn(st, dtype)(a[None, None, :])[0, 0] if st.kind != "swap" else None)
            self._fixed[key] = data
        return self._fixed[key]

    def group_data(
        self, angles: Tensor, dtype: torch.dtype, shared_rows: bool = False, const_rows: bool = False
    ) -> GateData:
        """Data of all trainable ops, one vectorised call per gate name (computed on demand).

        Args:
            angles: ``(B, n_slots)`` gate angles.
            dtype: State dtype.
            shared_rows: The weights are shared by all rows (unbatched weights): ops that do
                not read inputs then get batch-1 data, so a block is one large matmul
                instead of ``B`` small ones.
            const_rows: With ``shared_rows``, the ops that read inputs need no gradient
                (see :meth:`inputs_only`): their data is built from detached angles, so
                backprop does not run through the per-row gate data.
        """
        return GateData(self, angles, dtype, shared_rows, const_rows)

    def inputs_only(self) -> bool:
        """Whether no angle that reads inputs also reads weights (e.g. ``RX(x)``, not ``RX(w x)``)."""
        return self.cache.get(
            ("program", "inputs_only"),
            lambda: not any(p.refs("x") and p.refs("w") for st in self.steps for p in st.op.params),
        )

    def input_slots(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The angle slots that read inputs, ascending, as ``(slots, unique, inverse)``: slots of
        the same angle map (a re-uploaded ``RX(x_i)`` in every layer) share one entry of
        ``unique`` (``slots == unique[inverse]``). With one weight row every other slot holds
        the same angle in all rows."""

        def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            terms: dict[int, list[tuple[Any, ...]]] = {}
            reads: set[int] = set()
            for slot, src, idx, coeff in zip(
                self.lin_slot, self.lin_src, self.lin_idx, self.lin_coeff, strict=True
            ):
                terms.setdefault(slot, []).append((src, idx, coeff))
                if src == "x":
                    reads.add(slot)
            for slot, coeff, refs in self.products:
                terms.setdefault(slot, []).append(("*", coeff, refs))
                if any(src == "x" for src, _ in refs):
                    reads.add(slot)
            slots = sorted(reads)
            first: dict[Any, int] = {}
            unique: list[int] = []
            inverse: list[int] = []
            for k in slots:
                key = (self.const[k], tuple(sorted(terms[k], key=repr)))
                if key not in first:
                    first[key] = len(unique)
                    unique.append(k)
                inverse.append(first[key])
            return tuple(np.asarray(v, dtype=np.int64) for v in (slots, unique, inverse))  # type: ignore[return-value]

        result: tuple[np.ndarray, np.ndarray, np.ndarray] = self.cache.get(("program", "input_slots"), build)
        return result

    def table_layout(self, name: str, split: bool) -> list[tuple[bool, list[int]]]:
        """Segments of a :class:`GateData` table: ``(reads inputs, positions)`` in stacking order.

        With ``split`` (shared weights, batched inputs) the ops that read inputs form a
        batch-``B`` segment and the others a batch-1 segment; otherwise one segment.
        """
        parts = self._input_split(name) if split else {True: list(range(len(self.groups[name])))}
        return [(reads_x, pos) for reads_x, pos in parts.items() if pos]

    def _input_split(self, name: str) -> dict[bool, list[int]]:
        """Positions of the ``name`` ops that read inputs (True) and that do not (False)."""

        def build() -> dict[bool, list[int]]:
            ops = [st.op for st in self.steps if st.op.name == name and st.slot >= 0]
            reads = [any(p.refs("x") for p in op.params) for op in ops]
            return {
                True: [i for i, r in enumerate(reads) if r],
                False: [i for i, r in enumerate(reads) if not r],
            }

        return self.cache.get(("program", "input_split", name), build)


def _runs(cols: list[int], n_w: int) -> list[tuple[bool, int, int]]:
    """Columns of ``[weights, inputs]`` as runs ``(from weights, start, stop)`` of consecutive columns."""
    runs: list[tuple[bool, int, int]] = []
    for c in cols:
        w, i = (True, c) if c < n_w else (False, c - n_w)
        if runs and runs[-1][0] == w and runs[-1][2] == i:
            runs[-1] = (w, runs[-1][1], i + 1)
        else:
            runs.append((w, i, i + 1))
    return runs


def _data_fn(step: Step, dtype: torch.dtype) -> Callable[[Tensor], Tensor]:
    """Function ``angles (..., n_params) -> gate data`` in the state dtype."""
    if step.op.name == "Unitary":
        m = unitary_matrix(step.op)

        def fixed(a: Tensor) -> Tensor:
            mm = m.to(a.device)
            mm = mm.to(dtype) if dtype.is_complex else mm.real.to(dtype)
            return mm.expand(*a.shape[:-1], *m.shape)

        return fixed
    spec = GATES[step.op.name]
    if step.kind == "diag":
        assert spec.diag is not None
        fn = spec.diag
    elif step.kind == "ctrl":
        fn = GATES[step.target_gate].matrix
    else:
        fn = spec.matrix
    real_dt = real_dtype(dtype)

    def data(a: Tensor) -> Tensor:
        v = fn(a.to(real_dt))
        return v.real if not dtype.is_complex else v.to(dtype)

    return data


def _step_for(op: Op, slot: int, group_pos: int) -> Step:
    spec = GATES[op.name]
    n_p = spec.n_params
    if spec.kind == "diag":
        return Step(op, "diag", op.wires, slot=slot, n_params=n_p, group_pos=group_pos)
    if spec.kind == "ctrl":
        c = spec.controls
        return Step(op, "ctrl", op.wires, op.wires[:c], op.wires[c], spec.target or "X", slot, n_p, group_pos)
    if spec.kind == "perm":
        return Step(op, "swap", op.wires, slot=slot, n_params=n_p, group_pos=group_pos)
    return Step(op, "dense", op.wires, slot=slot, n_params=n_p, group_pos=group_pos)


@lru_cache(maxsize=256)
def compile_circuit(circuit: Circuit) -> Program:
    """Compile (and cache) a circuit; see :class:`Program`."""
    steps: list[Step] = []
    const: list[float] = []
    lin_slot: list[int] = []
    lin_src: list[str] = []
    lin_idx: list[int] = []
    lin_coeff: list[float] = []
    products: list[tuple[int, float, tuple[tuple[str, int], ...]]] = []
    groups: dict[str, list[int]] = {}
    for op in circuit.ops:
        trainable = any(not p.is_constant for p in op.params)
        slot, pos = -1, -1
        if trainable:
            slot = len(const)
            pos = len(groups.setdefault(op.name, []))
            groups[op.name].append(slot)
            for j, p in enumerate(op.params):
                const.append(p.const)
                for coeff, refs in p.terms:
                    if len(refs) == 1:
                        lin_slot.append(slot + j)
                        lin_src.append(refs[0][0])
                        lin_idx.append(refs[0][1])
                        lin_coeff.append(coeff)
                    else:
                        products.append((slot + j, coeff, refs))
        steps.append(_step_for(op, slot, pos))
    return Program(
        circuit=circuit,
        steps=steps,
        n_slots=len(const),
        is_real=all(is_real_op(op) for op in circuit.ops),
        const=const,
        lin_slot=lin_slot,
        lin_src=lin_src,
        lin_idx=lin_idx,
        lin_coeff=lin_coeff,
        products=products,
        groups=groups,
    )


def step_data(prog: Program, i: int, fixed: list[Tensor | None], grouped: GateData) -> Tensor | None:
    """The data tensor of step ``i`` (``(B, ...)`` for trainable ops, unbatched for constant)."""
    st = prog.steps[i]
    if st.slot < 0:
        return fixed[i]
    return grouped.op(st.op.name, st.group_pos)


def apply_step(state: Tensor, n: int, st: Step, data: Tensor | None, dagger: bool = False) -> Tensor:
    """Apply one compiled step (or its adjoint) to a batched state."""
    if st.kind == "swap":
        return K.apply_swap(state, n, *st.wires)
    if st.kind == "ctrl" and st.target_gate == "X":
        return K.apply_ctrl(state, n, st.controls, st.target, None)
    assert data is not None
    if st.kind == "diag":
        return K.apply_diag(state, n, st.wires, data.conj() if dagger and data.is_complex() else data)
    if dagger:
        data = data.transpose(-1, -2)
        data = data.conj() if data.is_complex() else data
    if st.kind == "ctrl":
        return K.apply_ctrl(state, n, st.controls, st.target, data, data.shape[0] if data.dim() == 3 else 1)
    return K.apply_dense(state, n, st.wires, data)
