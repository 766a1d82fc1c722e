"""Gate fusion: fewer passes over the state for the same circuit.

A statevector update is memory-bound: every pass reads and writes all ``B * 2**n``
amplitudes, whatever the gate. This pass rewrites a compiled :class:`~qml.sim.program.Program`
into fewer, larger steps:

* **Blocks**: single-qubit gates are kept pending per wire (they commute with gates on
  other wires) and multiplied into one 2x2 per wire; when an entangler needs a pending
  wire, all pending wires are flushed as Kronecker blocks of up to ``max_block`` adjacent
  wires, each applied as one small matmul (``2**g x 2**g``) over the state. A block with
  gates that read inputs has a matrix per batch row, ``4**g`` entries built (and
  differentiated) per row against ``2**n`` amplitudes: such blocks stop at
  ``max_block_inputs`` wires (:mod:`qml.sim.tuning`).
* **Permutations**: runs of parameter-free permutation gates (``CNOT``, ``SWAP``,
  ``Toffoli``), such as a CNOT ladder, become one gather with a precomputed index.
* **Signs**: runs of parameter-free diagonal gates with entries +-1 on two or more wires
  (:data:`SIGN_GATES`: ``CZ``), such as the ``CZ`` of a brick layer, become one multiply by a
  precomputed +-1 vector. A sign gate waits for the permutation run it meets: the run's later
  gates that share none of its wires commute with it, so a brick of ``CNOT`` and ``CZ`` on
  disjoint pairs is one gather and one multiply.
* **Product state**: the one-qubit gates before the first multi-qubit gate act on
  ``|0...0>`` and leave a product state; they become one ``product`` step that builds the
  state as a Kronecker product of ``n`` two-vectors (no pass over a state).

The matrices of all blocks are built together by :mod:`qml.sim.blockdata`.

Every fused step is still a differentiable function of the gate angles, so backprop
works unchanged and the adjoint method reduces each step to a small "vector-Jacobian"
matrix ``G = sum conj(lambda) phi^T`` and lets autograd take it through the step's
matrix construction (one reduction per step instead of one pass per parameter).

Example:
    >>> from qml.ir import Circuit, W
    >>> from qml.sim.program import compile_circuit
    >>> c = Circuit(3)
    >>> for layer in range(2):
    ...     for q in range(3):
    ...         c = c.add("RY", q, W(6 * layer + q)).add("RZ", q, W(6 * layer + 3 + q))
    ...     c = c.add("CNOT", (0, 1)).add("CNOT", (1, 2))
    >>> [s.kind for s in fuse(compile_circuit(c), max_block=2).steps]
    ['product', 'block', 'block', 'perm']
    >>> [s.kind for s in fuse(compile_circuit(c)).steps]  # a 3-wire block absorbs the ladder
    ['product', 'block']
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from qml.errors import CircuitError
from qml.gates import GATES
from qml.ir import Op
from qml.sim import kernels as K
from qml.sim.memo import Memo
from qml.sim.program import GateData, Program, apply_step, step_data
from qml.sim.tuning import tuning

__all__ = ["PERM_GATES", "SIGN_GATES", "FusedProgram", "fused_program", "perm_destination", "sign_vector"]

Tensor = torch.Tensor

#: Gates moved as index permutations: the gate table's parameter-free permutations on 2+ wires
#: (``GateSpec.perm``; one-qubit ones are cheaper inside fused blocks).
PERM_GATES = frozenset(name for name, spec in GATES.items() if spec.perm is not None and spec.n_wires >= 2)


def _sign_diagonal(name: str) -> np.ndarray | None:
    """The +-1 diagonal of a parameter-free diagonal gate on 2+ wires, else ``None``."""
    spec = GATES[name]
    if spec.kind != "diag" or spec.n_params or spec.n_wires < 2 or spec.diag is None:
        return None
    with torch.no_grad():
        d = spec.diag(torch.zeros(1, 0, dtype=torch.float64))[0].to(torch.complex128).numpy()
    return d.real.copy() if np.allclose(d.imag, 0) and np.allclose(np.abs(d.real), 1) else None


#: Gates fused into sign runs (derived from the gate table: parameter-free, diagonal, entries +-1, 2+ wires).
SIGN_GATES = frozenset(name for name in GATES if _sign_diagonal(name) is not None)


@dataclass(frozen=True)
class FStep:
    """A fused step: ``prim`` (one op), ``block`` (adjacent 1q gates), ``perm``, ``sign`` or ``product``.

    A ``product`` step is always the first step: it ignores its input and returns the
    product state ``(U_0|0>) x ... x (U_{n-1}|0>)`` (``parts`` holds every wire's gates).
    A ``block`` over all wires or a ``product`` with ``perm >= 0`` is followed by that
    permutation, folded into its data (rows of the matrix, entries of the vector).
    """

    kind: str
    prim: int = -1
    wires: tuple[int, ...] = ()
    parts: tuple[tuple[int, ...], ...] = ()  # block: per wire, primitive step indices in time order
    perm: int = -1
    trainable: bool = False
    diag_only: bool = False  # block of one wire whose gates are all diagonal
    sign: int = -1  # sign step: index into FusedProgram.signs


@dataclass
class FusedProgram:
    """Fused steps over a compiled program (see module docstring)."""

    prog: Program
    steps: list[FStep]
    perm_dest: list[np.ndarray]
    barrier_step: int = -1  # with a barrier: index of the first step after it (no step straddles it)
    signs: list[np.ndarray] = field(default_factory=list)  # +-1 vectors of the sign steps (float64)
    _perm_index: dict[tuple[Any, ...], tuple[Tensor, Tensor]] = field(default_factory=dict, repr=False)
    _sign_vector: dict[tuple[Any, ...], Tensor] = field(default_factory=dict, repr=False)
    cache: Memo = field(default_factory=Memo, repr=False)  # derived data (qml.sim.memo)

    def sign_tensor(self, k: int, dtype: torch.dtype, device: torch.device) -> Tensor:
        """The +-1 vector of sign step ``k`` in ``dtype`` (real) on ``device`` (cached)."""
        key = (k, dtype, device)
        if key not in self._sign_vector:
            self._sign_vector[key] = torch.from_numpy(self.signs[k]).to(device=device, dtype=dtype)
        return self._sign_vector[key]

    def perm_index(self, k: int, device: torch.device) -> tuple[Tensor, Tensor]:
        """``(src, dst)``: ``out = in[:, src]`` applies permutation ``k``; ``in = out[:, dst]`` undoes it."""
        key = (k, device)
        if key not in self._perm_index:
            dest = self.perm_dest[k]
            src = np.empty_like(dest)
            src[dest] = np.arange(dest.size)
            self._perm_index[key] = (
                torch.from_numpy(src).to(device),
                torch.from_numpy(dest).to(device),
            )
        return self._perm_index[key]


def sign_vector(n: int, ops: list[Op]) -> np.ndarray:
    """The +-1 diagonal ``(2**n,)`` of a sequence of :data:`SIGN_GATES` ops (wire w = bit n-1-w)."""
    x = np.arange(2**n, dtype=np.int64)
    out = np.ones(2**n)
    for op in ops:
        d = _sign_diagonal(op.name)
        if d is None:
            raise CircuitError(f"{op.name} is not a sign gate (parameter-free, diagonal, entries +-1)")
        local = np.zeros_like(x)
        for w in op.wires:  # the gate's wires as a local index, first wire most significant
            local = (local << 1) | ((x >> np.int64(n - 1 - w)) & 1)
        out *= d[local]
    return out


def perm_destination(n: int, ops: list[Op], base: np.ndarray | None = None) -> np.ndarray:
    """Where each basis index goes under a sequence of permutation ops (wire w = bit n-1-w)."""
    x = np.arange(2**n, dtype=np.int64) if base is None else base
    for op in ops:
        perm = GATES[op.name].perm
        if perm is None:
            raise CircuitError(f"{op.name} is not a permutation gate (GateSpec.perm is None)")
        k = len(op.wires)
        shifts = [np.int64(n - 1 - w) for w in op.wires]
        local = np.zeros_like(x)
        for s in shifts:  # the gate's wires as a local index, first wire most significant
            local = (local << 1) | ((x >> s) & 1)
        new = np.asarray(perm, dtype=np.int64)[local]
        for j, s in enumerate(shifts):  # write the permuted local index back into those bits
            b = (new >> (k - 1 - j)) & 1
            x = (x & ~(np.int64(1) << s)) | (b << s)
    return x


def fuse(
    prog: Program,
    max_block: int = 4,
    max_perm_wires: int = 24,
    barrier: int = -1,
    max_block_inputs: int | None = None,
) -> FusedProgram:
    """Fuse a compiled program.

    Args:
        prog: The compiled circuit.
        max_block: Widest block of fused single-qubit gates.
        max_block_inputs: Widest block with gates that read inputs (their matrices are built per
            batch row); default: ``max_block_inputs`` of :mod:`qml.sim.tuning`.
        max_perm_wires: Permutation runs are fused only up to this many wires (the gather index
            takes 8 bytes per amplitude in each direction: 256 MiB at 24 wires; beyond, each CNOT
            is a pass of its own).
        barrier: Index of an op before which all pending gates are flushed: steps
            ``[0, barrier_step)`` apply the ops before it and steps ``[barrier_step, end)`` the rest
            (:attr:`FusedProgram.barrier_step`); the later steps never form a product state.
    """
    n = prog.circuit.n_wires
    row_block = tuning("cpu").max_block_inputs if max_block_inputs is None else max_block_inputs
    steps: list[FStep] = []
    perms: list[np.ndarray] = []
    pending: dict[int, list[int]] = {}
    perm_run: list[int] = []
    sign_run: list[int] = []  # sign gates after the perm run (commuting with its later gates)
    signs: list[np.ndarray] = []
    barrier_step = -1

    def add_perm(dest: np.ndarray) -> int:
        for k, p in enumerate(perms):  # the same layer repeats: share the index (and the block group)
            if np.array_equal(p, dest):
                return k
        perms.append(dest)
        return len(perms) - 1

    def close_perm() -> None:
        last = steps[-1] if steps else None
        if (
            perm_run
            and last is not None
            and last.kind in ("block", "product")
            and len(last.wires) == n
            and len(steps) > barrier_step
        ):
            # a block over all wires (or the product state) absorbs the permutation after it
            # (its matrix rows are permuted instead of the state); no pass of its own
            base = perms[last.perm] if last.perm >= 0 else None
            steps[-1] = replace(
                last, perm=add_perm(perm_destination(n, [prog.steps[i].op for i in perm_run], base))
            )
        elif len(perm_run) == 1:
            steps.append(FStep("prim", prim=perm_run[0]))
        elif perm_run:
            steps.append(
                FStep("perm", perm=add_perm(perm_destination(n, [prog.steps[i].op for i in perm_run])))
            )
        perm_run.clear()

    def close_runs() -> None:
        """The permutation run, then the sign gates that waited for it."""
        close_perm()
        if len(sign_run) == 1:
            steps.append(FStep("prim", prim=sign_run[0]))
        elif sign_run:
            signs.append(sign_vector(n, [prog.steps[i].op for i in sign_run]))
            steps.append(FStep("sign", sign=len(signs) - 1))
        sign_run.clear()

    def flush() -> None:
        if not pending:
            return
        close_runs()
        if not steps and barrier_step < 0:  # only one-qubit gates so far: the state is a product state
            parts = tuple(tuple(pending.get(w, ())) for w in range(n))
            trainable = any(prog.steps[i].slot >= 0 for p in parts for i in p)
            steps.append(FStep("product", wires=tuple(range(n)), parts=parts, trainable=trainable))
            pending.clear()
            return
        wires = sorted(pending)
        width = {  # per-row matrices (gates that read inputs) stop at row_block wires
            w: row_block if any(prog.steps[i].op.reads_inputs for i in pending[w]) else max_block
            for w in wires
        }
        runs: list[list[int]] = []
        for w in wires:
            if (
                runs
                and w == runs[-1][-1] + 1
                and len(runs[-1]) < min(width[w], *(width[v] for v in runs[-1]))
            ):
                runs[-1].append(w)
            else:
                runs.append([w])
        for run in runs:
            parts = tuple(tuple(pending[w]) for w in run)
            idx = [i for p in parts for i in p]
            trainable = any(prog.steps[i].slot >= 0 for i in idx)
            diag_only = len(run) == 1 and all(prog.steps[i].kind == "diag" for i in idx)
            if len(idx) == 1:
                steps.append(FStep("prim", prim=idx[0]))
            else:
                steps.append(
                    FStep("block", wires=tuple(run), parts=parts, trainable=trainable, diag_only=diag_only)
                )
        pending.clear()

    for i, st in enumerate(prog.steps):
        if i == barrier:
            flush()
            close_runs()
            barrier_step = len(steps)
        if len(st.wires) == 1:
            pending.setdefault(st.wires[0], []).append(i)
            continue
        if any(w in pending for w in st.wires):
            flush()
        if st.op.name in SIGN_GATES and n <= max_perm_wires:
            sign_run.append(i)
            continue
        if st.op.name in PERM_GATES and st.slot < 0 and n <= max_perm_wires:
            if any(w in prog.steps[k].wires for k in sign_run for w in st.wires):
                close_runs()  # it would not commute with a waiting sign gate
            perm_run.append(i)
            continue
        close_runs()
        steps.append(FStep("prim", prim=i))
    flush()
    close_runs()
    barrier_at = barrier_step if barrier_step >= 0 else (len(steps) if barrier >= 0 else -1)
    return FusedProgram(prog, steps, perms, barrier_at, signs)


def unfused(prog: Program) -> FusedProgram:
    """The program step for step, without fusion (for comparisons and debugging)."""
    return FusedProgram(prog, [FStep("prim", prim=i) for i in range(len(prog.steps))], [])


def fused_program(prog: Program, max_block: int, barrier: int = -1) -> FusedProgram:
    """:func:`fuse` (``max_block=0``: :func:`unfused`), cached in ``prog``.

    Example:
        >>> from qml.ir import Circuit
        >>> from qml.sim.program import compile_circuit
        >>> prog = compile_circuit(Circuit(2).add("H", 0).add("CNOT", (0, 1)))
        >>> fused_program(prog, 4) is fused_program(prog, 4)
        True
    """
    return prog.cache.get(
        ("fusion", "fused", max_block, barrier, tuning("cpu").max_block_inputs),
        lambda: fuse(prog, max_block, barrier=barrier) if max_block else unfused(prog),
    )


def run_steps(
    fp: FusedProgram,
    data: list[Tensor | None],
    stop: int,
    dtype: torch.dtype,
    device: torch.device,
    state: Tensor | None = None,
    start: int = 0,
) -> Tensor:
    """Apply steps ``[start, stop)`` of ``fp`` with their ``data`` to ``state`` (``None``: ``|0...0>``).

    A leading ``product`` step supplies the state itself (its data) when ``state`` is ``None``.

    Example:
        >>> from qml.sim.blockdata import fused_data
        >>> from qml.ir import Circuit
        >>> from qml.sim.program import compile_circuit
        >>> fp = fused_program(compile_circuit(Circuit(2).add("X", 0).add("CNOT", (0, 1))), 4)
        >>> data = fused_data(fp, torch.zeros(1, 0, dtype=torch.float64), torch.complex128, True)
        >>> run_steps(fp, data, len(fp.steps), torch.complex128, torch.device("cpu")).real.tolist()
        [[0.0, 0.0, 0.0, 1.0]]
    """
    if state is None:
        if start == 0 and fp.steps and fp.steps[0].kind == "product":
            state, start = data[0], 1
        else:
            state = torch.zeros(1, 2**fp.prog.circuit.n_wires, dtype=dtype, device=device)
            state[0, 0] = 1.0
    assert state is not None
    for j in range(start, stop):
        state = apply_fstep(fp, j, state, data[j])
    return state


def _as_matrix(prog: Program, i: int, data: Tensor) -> Tensor:
    """2x2 matrix of a one-qubit primitive (diagonals become diagonal matrices)."""
    return torch.diag_embed(data) if prog.steps[i].kind == "diag" else data


def fstep_data(fp: FusedProgram, j: int, fixed: list[Tensor | None], grouped: GateData) -> Tensor | None:
    """Data of fused step ``j`` on its own: a primitive's data, a block matrix or diagonal, a product state.

    :func:`qml.sim.blockdata.fused_data` builds the blocks of all steps at once (faster); this
    per-step construction is the reference it is tested against.
    """
    st = fp.steps[j]
    prog = fp.prog
    if st.kind == "prim":
        return step_data(prog, st.prim, fixed, grouped)
    if st.kind in ("perm", "sign"):
        return None
    if st.kind == "product":
        vecs = []
        for part in st.parts:
            m = None
            for i in part:
                u = _as_matrix(prog, i, step_data(prog, i, fixed, grouped))  # type: ignore[arg-type]
                m = u if m is None else u @ m
            vecs.append(None if m is None else m[..., :, 0])
        proto = next(v for v in vecs if v is not None)  # a product step holds at least one gate
        zero = torch.zeros(2, dtype=proto.dtype, device=proto.device)
        zero[0] = 1  # |0> for a wire without gates
        out = zero if vecs[0] is None else vecs[0]
        for v in vecs[1:]:
            prod = out[..., :, None] * (zero if v is None else v)[..., None, :]
            out = prod.reshape(*prod.shape[:-2], -1)
        return out[..., fp.perm_index(st.perm, out.device)[0]] if st.perm >= 0 else out
    mats: list[Tensor] = []
    for part in st.parts:
        mat: Tensor | None = None
        for i in part:
            d = step_data(prog, i, fixed, grouped)
            assert d is not None
            if st.diag_only:
                mat = d if mat is None else d * mat
            else:
                u = _as_matrix(prog, i, d)
                mat = u if mat is None else u @ mat
        assert mat is not None  # a part holds at least one gate
        mats.append(mat)
    out = mats[0]
    for m in mats[1:]:
        k1, k2 = out.shape[-1], m.shape[-1]
        out = out[..., :, None, :, None] * m[..., None, :, None, :]  # Kronecker product
        out = out.reshape(*out.shape[:-4], k1 * k2, k1 * k2)
    if st.perm >= 0:
        out = out[..., fp.perm_index(st.perm, out.device)[0], :]
    return out


def _gather(x: Tensor, idx: Tensor) -> Tensor:
    """``x[:, idx]`` as a ``gather`` with an expanded index: 2.5-4x faster than advanced indexing
    or ``index_select`` on CPU (1024 x 256 complex128: 0.12 vs 0.49 ms), and its backward, a
    ``scatter_add``, ~2x faster than ``index_select``'s."""
    return torch.gather(x, 1, idx.expand(x.shape[0], -1))


class _Permute(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        ctx.dst = dst
        return _gather(x, src)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor, None, None]:
        return _gather(g, ctx.dst), None, None


def permute(state: Tensor, src: Tensor, dst: Tensor) -> Tensor:
    """``state[:, src]``; for large states its backward is the inverse gather ``g[:, dst]``
    (no zero fill and scatter-add).

    From ``permute_min`` entries on (:mod:`qml.sim.tuning`; a Python backward costs ~20 us more
    per call); below, autograd's own ``gather`` backward (a ``scatter_add``) is as fast.
    """
    if not state.requires_grad or state.numel() < tuning(state.device).permute_min:
        return _gather(state, src)
    result: Tensor = _Permute.apply(state, src, dst)  # type: ignore[no-untyped-call]
    return result


def _block_dims(n: int, wires: tuple[int, ...]) -> tuple[int, int, int]:
    """``(d, L, R)``: a block on adjacent ``wires`` views a state as ``(B, L, d, R)``."""
    a, g = wires[0], len(wires)
    return 2**g, 2**a, 2 ** (n - a - g)


def apply_block(state: Tensor, n: int, wires: tuple[int, ...], m: Tensor) -> Tensor:
    """Apply a ``2**g`` matrix (``(d, d)``, ``(1, d, d)`` or ``(B, d, d)``) to adjacent ``wires``.

    The state is viewed as ``(B * L, d, R)`` (``L``/``R``: the wires before/after the
    block) and the layout of the matmul chosen by ``R`` (measured, see benchmarks/NOTES.md):
    one ``(B L, d) @ (d, d)`` gemm on the last wires, a ``bmm`` of ``d x d`` times ``d x R``
    slabs when ``R >= 16``, ``torch.matmul`` otherwise.
    """
    d, left, right = _block_dims(n, wires)
    bs = state.shape[0]
    if m.dim() == 3 and m.shape[0] == 1:
        m = m[0]
    if m.dim() == 2:
        if right == 1:
            return (state.reshape(-1, d) @ m.T).reshape(bs, -1)
        v = state.reshape(bs * left, d, right)
        # bmm on an expanded (stride-0) matrix needs no copies of the state, forward or
        # backward; torch.matmul would fold (2-D @ 3-D) through two transposed copies
        out = torch.bmm(m.expand(bs * left, d, d), v) if right >= 16 else m @ v
        return out.reshape(bs, -1)
    rows = max(bs, m.shape[0])
    if right == 1:
        out = state.reshape(bs, left, d) @ m.transpose(-1, -2)
    elif left == 1:
        out = m @ state.reshape(bs, d, right)
    else:
        out = m.unsqueeze(1) @ state.reshape(bs, left, d, right)
    return out.reshape(rows, -1)


def apply_fstep(fp: FusedProgram, j: int, state: Tensor, data: Tensor | None, dagger: bool = False) -> Tensor:
    """Apply fused step ``j`` (or its adjoint) to a batched state."""
    st = fp.steps[j]
    n = fp.prog.circuit.n_wires
    if st.kind == "prim":
        return apply_step(state, n, fp.prog.steps[st.prim], data, dagger)
    if st.kind == "product":
        if not dagger:
            return data  # type: ignore[return-value]
        out = torch.zeros_like(state)
        out[:, 0] = 1.0
        return out
    if st.kind == "perm":
        src, dst = fp.perm_index(st.perm, state.device)
        if dagger:
            src, dst = dst, src
        return permute(state, src, dst)
    if st.kind == "sign":  # its own inverse
        return state * fp.sign_tensor(
            st.sign, state.real.dtype if state.is_complex() else state.dtype, state.device
        )
    assert data is not None
    if st.diag_only:
        return K.apply_diag(state, n, st.wires, data.conj() if dagger and data.is_complex() else data)
    if dagger:
        data = data.transpose(-1, -2)
        data = data.conj() if data.is_complex() else data
    if len(st.wires) == 1:
        return K.apply_1q(state, n, st.wires[0], data)
    return apply_block(state, n, st.wires, data)


def match_batch(g: Tensor, data: Tensor) -> Tensor:
    """Sum the state batch out of ``G`` where the step data has no (or a size-1) batch axis."""
    if g.dim() > data.dim():
        return g.sum(0)
    if data.shape[0] == 1 and g.shape[0] > 1:
        return g.sum(0, keepdim=True)
    return g


def _cj(t: Tensor) -> Tensor:
    return t.conj() if t.is_complex() else t


def fstep_vjp(fp: FusedProgram, j: int, lam: Tensor, phi: Tensor) -> Tensor:
    """The reduction ``G`` with ``<lam| dU |phi> = sum(G * d(data))`` for fused step ``j``.

    ``G`` has the batch of the states and the shape of the step's data.
    """
    st = fp.steps[j]
    n = fp.prog.circuit.n_wires
    if st.kind == "product":
        return _cj(lam)
    if st.kind == "block":
        if st.diag_only:
            return _diag_G(lam, phi, n, st.wires)
        return _block_G(lam, phi, n, st.wires)
    pst = fp.prog.steps[st.prim]
    if pst.kind == "diag":
        return _diag_G(lam, phi, n, pst.wires)
    if pst.kind == "ctrl":
        shape, axis = K.split_shape(n, (*pst.controls, pst.target), -1)
        idx = K.ctrl_index(shape, axis, pst.controls)
        ls, ps = lam.reshape(shape)[idx], phi.reshape(shape)[idx]
        tax = K.target_axis(axis, pst.controls, pst.target)
        ls = ls.movedim(tax, -1).reshape(ls.shape[0], -1, 2)
        ps = ps.movedim(tax, -1).reshape(ps.shape[0], -1, 2)
        return torch.einsum("bxi,bxj->bij", _cj(ls), ps)
    # dense primitive on arbitrary wires
    k = len(pst.wires)
    shape, axis = K.split_shape(n, pst.wires, -1)
    src = [axis[w] for w in pst.wires]
    dst = list(range(len(shape) - k, len(shape)))
    ls = lam.reshape(shape).movedim(src, dst).reshape(lam.shape[0], -1, 2**k)
    ps = phi.reshape(shape).movedim(src, dst).reshape(phi.shape[0], -1, 2**k)
    return torch.einsum("bxi,bxj->bij", _cj(ls), ps)


def _block_G(lam: Tensor, phi: Tensor, n: int, wires: tuple[int, ...]) -> Tensor:
    """``G[b, i, j] = sum_{l, r} conj(lam[b, l, i, r]) phi[b, l, j, r]`` over the block view."""
    d, left, right = _block_dims(n, wires)
    bs = lam.shape[0]
    if right == 1:
        return _cj(lam.reshape(bs, left, d)).transpose(1, 2) @ phi.reshape(bs, left, d)
    # conj(lam) @ phi^T would materialise the conjugate of a state; lam @ phi^H is a GEMM with
    # a conjugate-transposed operand (no copy), and G is its (small) conjugate
    lv, pv = lam.reshape(bs, left, d, right), _cj(phi.reshape(bs, left, d, right))
    if left == 1:
        return _cj(lv[:, 0] @ pv[:, 0].transpose(1, 2))
    return _cj((lv @ pv.transpose(2, 3)).sum(1))


def _diag_G(lam: Tensor, phi: Tensor, n: int, wires: tuple[int, ...]) -> Tensor:
    k = len(wires)
    shape, axis = K.split_shape(n, wires, -1)
    prod = (_cj(lam) * phi).reshape(shape)
    keep = sorted(axis[w] for w in wires)
    drop = [a for a in range(1, len(shape)) if a not in keep]
    red = prod.sum(dim=drop) if drop else prod  # (B, 2, ..., 2) in sorted-wire order
    order = sorted(range(k), key=lambda i: wires[i])  # position in sorted order of each wire
    red = red.permute(0, *[1 + order.index(i) for i in range(k)])
    return red.reshape(red.shape[0], 2**k)
