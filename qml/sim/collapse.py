"""Shared tails: the gates after the last input-reading gate as one matrix for the whole batch.

A QML circuit usually encodes its inputs first and then applies trainable layers whose
weights are shared by every row of the batch. Those layers are one unitary ``U``: it is
built once by evolving the ``2**n`` basis states through them (``U^T``, row by row), and
every row's encoded state then meets it in one ``(B, 2**n) @ (2**n, 2**n)`` matmul. On
small registers this replaces dozens of passes over the batch (and their autograd
nodes) by one; :func:`pays` decides from the tail's work and the batch size.

Backprop runs through the tail's ``2**n`` rows instead of the batch; when the inputs need
no gradient, the encoded states are built without an autograd graph (see ``const_rows`` in
:func:`qml.sim.blockdata.fused_data`).

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W, X
    >>> from qml.sim.program import compile_circuit
    >>> from qml.sim.fusion import fuse
    >>> c = Circuit(2).add("RX", 0, X(0)).add("RY", 1, W(0)).add("CNOT", (0, 1))
    >>> prog = compile_circuit(c)
    >>> fp = fuse(prog, barrier=input_cut(prog))
    >>> [(st.kind, j >= fp.barrier_step) for j, st in enumerate(fp.steps)]  # encoding | shared tail
    [('product', False), ('prim', True), ('prim', True)]
    >>> from qml.sim.blockdata import fused_data
    >>> data = fused_data(fp, torch.zeros(1, 2, dtype=torch.float64), torch.complex128, True)
    >>> tail_rows(fp, data, torch.complex128, torch.device("cpu")).real.int().tolist()  # CNOT (RY(0) = I)
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
"""

from __future__ import annotations

import torch

from qml.sim.fusion import FusedProgram, apply_fstep
from qml.sim.program import Program
from qml.sim.tuning import tuning

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor


def input_cut(prog: Program) -> int:
    """Index of the first op after the last op that reads inputs (0 when there is no such tail)."""

    def build() -> int:
        reads = [i for i, st in enumerate(prog.steps) if st.op.reads_inputs]
        return reads[-1] + 1 if reads and reads[-1] + 1 < len(prog.steps) else 0

    return prog.cache.get(("collapse", "input_cut"), build)


def pays(fp: FusedProgram, batch: int, device: str | torch.device = "cpu") -> bool:
    """Whether the tail ``fp.steps[fp.barrier_step:]`` is cheaper as one ``2**n`` matrix for ``batch`` rows.

    Cost model (multiply-adds per amplitude, fitted on W1 of ``benchmarks/``): the steps cost
    about the width of their matrices each (``work``), the matmul ``2**n / collapse_matmul_cost``,
    and building the matrix runs the steps on ``2**n`` rows instead of ``batch``; it must come
    below ``collapse_margin`` of the step-by-step tail (:mod:`qml.sim.tuning`).
    """
    dim = 2**fp.prog.circuit.n_wires

    def tail_work() -> int:  # the program is fixed; only the batch changes between calls
        work = 0
        for st in fp.steps[fp.barrier_step :]:
            if st.kind in ("perm", "sign"):
                work += 1
            elif st.kind == "block":
                work += 1 if st.diag_only else 2 ** len(st.wires)
            elif st.kind == "prim":
                work += 2 ** len(fp.prog.steps[st.prim].wires)
        return work

    work = fp.cache.get(("collapse", "tail_work"), tail_work)
    t = tuning(device)
    result: bool = (
        2 * work >= dim and dim / t.collapse_matmul_cost + dim * work / batch < t.collapse_margin * work
    )
    return result


def tail_rows(
    fp: FusedProgram, data: list[Tensor | None], dtype: torch.dtype, device: torch.device
) -> Tensor:
    """``U^T`` of the tail: row ``j`` is ``U|j>`` (so a batch of states ``psi`` maps to ``psi @ U^T``)."""
    n = fp.prog.circuit.n_wires
    rows: Tensor | None = None
    for j in range(fp.barrier_step, len(fp.steps)):
        st, d = fp.steps[j], data[j]
        if rows is None and st.kind == "block" and len(st.wires) == n and not st.diag_only:
            assert d is not None  # a block over all wires applied to the identity is its matrix
            rows = (d[0] if d.dim() == 3 else d).T
            continue
        if rows is None:
            rows = torch.eye(2**n, dtype=dtype, device=device)
        rows = apply_fstep(fp, j, rows, d)
    return rows if rows is not None else torch.eye(2**n, dtype=dtype, device=device)
