"""Small registers on the CPU: the shared tail as a NumPy matrix with an exact matrix adjoint.

When one weight vector serves a batch of inputs, the gates after the last input-reading
gate are one unitary ``T`` for every row (see :mod:`qml.sim.collapse`). On a few qubits a
training step is ~150 torch operations on tiny tensors, each ~5 us of dispatch and autograd
bookkeeping for well under 1 us of arithmetic. For registers of up to
``numpy_tail_max_wires`` (5, :mod:`qml.sim.tuning`) qubits on the CPU the tail instead runs
in NumPy, with a hand-derived backward pass:

* forward: ``T = V_K ... V_1`` on the ``2**n x 2**n`` identity, where ``V_j`` is a gate, a
  permutation (CNOT ladder) or a fused block (the Kronecker product of one-qubit chains,
  see :mod:`qml.sim.fusion`); the encoded states ``psi`` meet it in one product,
  ``phi_b = T psi_b``, and ``e[b, k] = <phi_b|H_k|phi_b>``;
* backward, for the upstream gradient ``g[b, k]``: with ``rho_k = sum_b g[b, k] psi_b psi_b^†``
  the loss is ``E = sum_k tr(rho_k T^† H_k T)`` and ``dE = 2 Re tr(X dT)`` for
  ``X = sum_k rho_k T^† H_k = psi^T Z``, ``Z = sum_k g_k conj(phi) H_k``. With
  ``Y_K = V_K^† T X`` and ``Y_{j-1} = V_{j-1}^† Y_j V_j``, ``tr(X dT) = sum_j tr(Y_j dV_j)``:
  for a gate on wires ``w``, ``sum(R^T * dm)`` with ``R`` the partial trace of ``Y_j`` over
  the other wires; for a block, ``tr(Z_j V_j^† dV_j)`` with ``Z_j = Y_j V_j`` (the sweep's next
  step needs it anyway), where ``V^† dV`` acts on one wire and one gate of its chain
  ``u = g_K ... g_1``: ``2 Re tr(S R S^† g^† dg)`` with ``S`` the chain before ``g``, for all
  chains at once. The encoded states get ``2 sum_k g_k T^† H_k phi_b``.

Gate matrices and their derivatives come from Fourier tables: every gate of :mod:`qml.gates`
is a trigonometric polynomial of degree <= 2 in each half angle, so a 5-point grid per angle
of the gate's own torch matrix function gives its coefficients exactly (checked at random
angles when the table is built; a gate that fails the check keeps the torch path). All
one-angle gates of one size are evaluated together. A product-state encoding whose gates
read no weights (angle encodings) is built here too.

Batch-sized arrays are kept batch last, ``(2**n, B)``, so NumPy's inner loops run over the
batch; products above ``numpy_mm_max`` (:mod:`qml.sim.tuning`) multiply-adds, and
matrix-vector products, go to torch, because NumPy's OpenBLAS runs them on threads of its
own that then spin against torch's (one reason the NumPy tail stops at 5 qubits: the
``64 x 64`` products of six qubits cross that line).

A second derivative (``create_graph=True``) recomputes the tail with torch autograd;
``torch.func`` transforms and non-CPU devices take the torch path from the start.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W, X
    >>> from qml.sim.simulator import Simulator
    >>> c = Circuit(2).add("RX", 0, X(0)).add("RX", 1, X(1)).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    >>> x = torch.rand(64, 2, dtype=torch.float64)
    >>> fast = Simulator().expval(c, "Z1", w, x).sum()
    >>> slow = Simulator(methods={"numpy_tail": "never"}).expval(c, "Z1", w, x).sum()
    >>> (g_fast,) = torch.autograd.grad(fast, w)
    >>> (g_slow,) = torch.autograd.grad(slow, w)
    >>> bool(torch.allclose(fast, slow)) and bool(torch.allclose(g_fast, g_slow))
    True
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from qml.gates import GATES, unitary_matrix
from qml.sim import collapse
from qml.sim.blockdata import fused_data
from qml.sim.collapse import input_cut
from qml.sim.evaluation import Evaluator, Guard, Need, Run, evolve
from qml.sim.fusion import PERM_GATES, FusedProgram, perm_destination
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program
from qml.sim.tuning import tuning

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor
#: The ``Route.measure`` of this method.
MEASURE = "shared tail (NumPy)"

_FREQ = np.array([0, 1, 2, -2, -1])  # numpy.fft order of 5 points: e^{i f theta / 2}


@dataclass(frozen=True)
class _Fourier:
    """A gate matrix as ``sum_f coef[f] prod_q e^{i f_q theta_q / 2}`` over the used frequencies."""

    freqs: tuple[tuple[int, ...], ...]  # per angle: the frequencies that occur (of -2..2)
    coef: np.ndarray  # (prod of len(freqs[q]), d*d)
    dim: int


@functools.cache
def _fourier(name: str) -> _Fourier | None:
    """The Fourier table of gate ``name``, or ``None`` when its matrix is not a polynomial of
    degree <= 2 in each half angle (checked at random angles)."""
    spec = GATES[name]
    p = spec.n_params
    if p == 0 or p > 3:
        return None
    grid = 4 * np.pi * np.arange(5) / 5  # theta / 2 on 5 equispaced points of the circle
    mesh = np.stack(np.meshgrid(*([grid] * p), indexing="ij"), -1).reshape(-1, p)
    with torch.no_grad():
        mats = spec.matrix(torch.from_numpy(mesh)).to(torch.complex128).numpy()
    dg = mats.shape[-1]
    coef = np.fft.fftn(mats.reshape((5,) * p + (dg, dg)), axes=tuple(range(p))) / 5**p
    coef[np.abs(coef) < 1e-14] = 0
    used = []
    for q in range(p):
        mag = np.abs(np.moveaxis(coef, q, 0)).reshape(5, -1).max(1)
        used.append(tuple(int(i) for i in np.nonzero(mag)[0]))
    coef = coef[np.ix_(*used)] if p > 1 else coef[list(used[0])]
    table = _Fourier(tuple(tuple(int(_FREQ[i]) for i in u) for u in used), coef.reshape(-1, dg * dg), dg)
    probe = np.random.default_rng(0).uniform(-7, 7, (4, p))
    with torch.no_grad():
        want = spec.matrix(torch.from_numpy(probe)).to(torch.complex128).numpy()
    got, _ = _evaluate(_Group.of([table], np.zeros((1, p), dtype=np.int64)), probe[:, None], derivative=False)
    got = got[:, 0]
    return table if np.abs(got - want).max() < 1e-12 else None


@dataclass(frozen=True)
class _Group:
    """Parametrised gates evaluated together: all one-angle gates of one matrix size, or all
    gates of one name with more angles."""

    slots: np.ndarray  # (N, p) angle columns
    freqs: tuple[tuple[int, ...], ...]  # per angle: the frequencies any member uses
    coef: np.ndarray  # (F, N, d*d) per member, F = prod_q len(freqs[q])
    dcoef: np.ndarray  # (p, F, N, d*d): the coefficients of the derivative by angle q
    dim: int  # rows of the matrices (``coef`` may hold only some of their columns)

    @staticmethod
    def of(tables: list[_Fourier], slots: np.ndarray) -> _Group:
        p = slots.shape[1]
        freqs = tuple(tuple(sorted({f for t in tables for f in t.freqs[q]})) for q in range(p))
        grid = list(itertools.product(*freqs))
        dg = tables[0].dim
        coef = np.zeros((len(grid), len(tables), dg * dg), dtype=complex)
        for n, t in enumerate(tables):
            for i, f in enumerate(itertools.product(*t.freqs)):
                coef[grid.index(f), n] = t.coef[i]
        scale = np.array([[0.5j * f[q] for f in grid] for q in range(p)])  # d/dtheta_q of e^{i f theta/2}
        return _Group(slots, freqs, coef, scale[:, :, None, None] * coef, dg)

    @property
    def n_params(self) -> int:
        result: int = self.slots.shape[1]
        return result


def _expi(x: np.ndarray) -> np.ndarray:
    """``exp(i x)`` from the real cosine and sine (NumPy's complex ``exp`` is ~10x slower)."""
    out = np.empty(x.shape, dtype=complex)
    out.real = np.cos(x)
    out.imag = np.sin(x)
    return out


def _power(powers: dict[int, np.ndarray], f: int) -> np.ndarray:
    """``e1 ** f`` for ``powers = {1: e1, ...}``, filling in the powers it needs (``f`` in -2..2)."""
    if f not in powers:
        e1 = powers[1]
        if f == 0:
            powers[0] = np.ones_like(e1)
        elif f < 0:
            powers[f] = _power(powers, -f).conj()
        else:
            powers[f] = e1 * _power(powers, f - 1)
    return powers[f]


def _evaluate(g: _Group, a: np.ndarray, derivative: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Matrices ``(..., N, d, d)`` and derivatives ``(..., N, p, d, d)`` at angles ``a`` ``(..., N, p)``."""
    lead = a.shape[:-1]
    powers: dict[int, np.ndarray] = {1: _expi(0.5 * a)}

    if g.n_params == 1:
        w = [_power(powers, f)[..., 0, None] for f in g.freqs[0]]  # (..., N, 1) each
    else:
        w = [
            np.prod([_power(powers, f[q])[..., q] for q in range(g.n_params)], 0)[..., None]
            for f in itertools.product(*g.freqs)
        ]

    def combine(coef: np.ndarray) -> np.ndarray:
        out = w[0] * coef[0]
        for wi, c in zip(w[1:], coef[1:], strict=True):
            out += wi * c
        result: np.ndarray = out
        return result

    dg = g.dim
    mats = combine(g.coef).reshape(*lead, dg, -1)
    if not derivative:
        return mats, None
    ders = [combine(dq).reshape(*lead, 1, dg, -1) for dq in g.dcoef]
    return mats, ders[0] if len(ders) == 1 else np.concatenate(ders, -3)


@dataclass(frozen=True)
class _Chains:
    """One-qubit gate chains ("parts"), padded with the identity to the longest.

    Rows of the one-qubit gate table: the identity, the constant gates, then every group of
    2x2 gates (``one_q``) in order.
    """

    consts: np.ndarray  # (1 + C, 2, 2)
    one_q: tuple[int, ...]  # groups of 2x2 gates, in table order
    chain: np.ndarray  # (P, K) rows of the gate table
    dslot: np.ndarray  # (P, K, p) angle column of each derivative (a spare column for padding)
    drow: np.ndarray  # (P, K, p) row in [zero, derivatives of one_q...] (0: none)


@dataclass(frozen=True)
class _Op:
    """One tail operation: a permutation, a gate, or a Kronecker block of one-qubit chains."""

    kind: str  # "perm" | "sign" | "const" | "param" | "block"
    wires: tuple[int, ...] = ()  # sorted (a block: its adjacent wires)
    contiguous: bool = True
    matrix: np.ndarray | None = None  # const: complex128 matrix in sorted-wire order; sign: the +-1 vector
    src: np.ndarray | None = None  # perm: T <- T[src]
    dest: np.ndarray | None = None  # perm: inverse of src
    group: int = -1  # param: its group; block: index among the blocks of its width
    row: int = -1  # param: its row in the group
    order: np.ndarray | None = None  # param: op-order matrix index per sorted-order index (None: same)


@dataclass(frozen=True)
class _Tail:
    """A compiled tail (see :func:`tail_of`)."""

    n: int
    n_slots: int
    ops: tuple[_Op, ...]
    groups: tuple[_Group, ...]
    chains: _Chains
    widths: tuple[tuple[int, np.ndarray], ...]  # per block width g: (g, (n_blocks, g) part index)
    select: dict[int, np.ndarray]  # width g -> (4 g, 4**g) 0/1 matrix: the one-wire partial traces
    # per group of gates outside blocks: (group, op indices, their rows in the group, orders)
    singles: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray | None], ...]


@dataclass(frozen=True)
class _Head:
    """A product-state encoding (the gates before the tail, none of them reading weights)."""

    groups: tuple[_Group, ...]
    chains: _Chains
    direct: _Group | None  # every wire has one gate of one group: their first columns, wire by wire


def _sorted_order(wires: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
    """Sorted wires and, per index of the sorted-order matrix, the op-order index."""
    k = len(wires)
    s = tuple(sorted(wires))
    order = np.empty(2**k, dtype=np.int64)
    for new in range(2**k):
        bits = {s[t]: (new >> (k - 1 - t)) & 1 for t in range(k)}
        order[new] = sum(bits[w] << (k - 1 - pos) for pos, w in enumerate(wires))
    return s, order


def _const_matrix(op: Any) -> np.ndarray:
    if op.name == "Unitary":
        return unitary_matrix(op).numpy()
    consts = torch.tensor([[q.const for q in op.params]], dtype=torch.float64)
    with torch.no_grad():
        return GATES[op.name].matrix(consts)[0].to(torch.complex128).numpy()


class _Builder:
    """Collects the parametrised gates into groups and the one-qubit chains into tables."""

    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.keys: list[str] = []
        self.members: list[list[int]] = []  # prog step indices per group
        self.where: dict[int, tuple[int, int]] = {}

    def param(self, i: int) -> tuple[int, int]:
        if i not in self.where:
            st = self.prog.steps[i]
            spec = GATES[st.op.name]
            key = f"1:{spec.n_wires}" if st.n_params == 1 else st.op.name
            if key not in self.keys:
                self.keys.append(key)
                self.members.append([])
            g = self.keys.index(key)
            self.where[i] = (g, len(self.members[g]))
            self.members[g].append(i)
        return self.where[i]

    def groups(self) -> tuple[_Group, ...]:
        out = []
        for members in self.members:
            sts = [self.prog.steps[i] for i in members]
            slots = np.array([list(range(st.slot, st.slot + st.n_params)) for st in sts], dtype=np.int64)
            out.append(_Group.of([_fourier(st.op.name) for st in sts], slots))  # type: ignore[misc]
        return tuple(out)

    def chains(self, parts: list[list[int]]) -> _Chains:
        prog = self.prog
        for part in parts:
            for i in part:
                if prog.steps[i].slot >= 0:
                    self.param(i)
        consts: list[np.ndarray] = [np.eye(2, dtype=complex)]
        const_of: dict[int, int] = {}
        for i in sorted({i for part in parts for i in part if prog.steps[i].slot < 0}):
            const_of[i] = len(consts)
            consts.append(_const_matrix(prog.steps[i].op))
        one_q = tuple(
            g for g, k in enumerate(self.keys) if k == "1:1" or (k in GATES and GATES[k].n_wires == 1)
        )
        offset, doffset = {}, {}
        row, drow = len(consts), 1
        p_max = max([1, *(GATES[self.keys[g]].n_params for g in one_q if self.keys[g] in GATES)])
        for g in one_q:
            offset[g], doffset[g] = row, drow
            row += len(self.members[g])
            drow += len(self.members[g]) * p_max
        k_max = max([1, *(len(p) for p in parts)])
        chain = np.zeros((len(parts), k_max), dtype=np.int64)
        dslot = np.full((len(parts), k_max, p_max), prog.n_slots, dtype=np.int64)
        drows = np.zeros((len(parts), k_max, p_max), dtype=np.int64)
        for r, part in enumerate(parts):
            for k, i in enumerate(part):
                st = prog.steps[i]
                if st.slot < 0:
                    chain[r, k] = const_of[i]
                    continue
                g, j = self.where[i]
                chain[r, k] = offset[g] + j
                for q in range(st.n_params):
                    dslot[r, k, q] = st.slot + q
                    drows[r, k, q] = doffset[g] + j * p_max + q
        return _Chains(np.stack(consts), one_q, chain, dslot, drows)


def _perm_op(dest: np.ndarray) -> _Op:
    src = np.empty_like(dest)
    src[dest] = np.arange(dest.size)
    return _Op("perm", src=src, dest=dest)


def _selection(g: int) -> np.ndarray:
    """``(4 g, 4**g)``: row ``4 t + 2 a + b`` sums the entries ``[(x, a, y), (x, b, y)]`` of a
    flattened ``2**g x 2**g`` matrix, ``a, b`` the bits of wire ``t``: its partial trace."""
    d = 2**g
    out = np.zeros((4 * g, d * d))
    idx = np.arange(d)
    for t in range(g):
        bit = (idx >> (g - 1 - t)) & 1
        for a in range(2):
            for b in range(2):
                rows = idx[bit == a]
                out[4 * t + 2 * a + b, rows * d + (rows ^ ((a ^ b) << (g - 1 - t)))] = 1
    return out


def _compile(fp: FusedProgram) -> _Tail | None:
    """The fused steps ``fp.steps[fp.barrier_step:]`` as :class:`_Op` s; ``None`` if a gate has no table."""
    prog: Program = fp.prog
    n = prog.circuit.n_wires
    if any(st.slot >= 0 and _fourier(st.op.name) is None for st in prog.steps[input_cut(prog) :]):
        return None
    b = _Builder(prog)
    ops: list[_Op] = []
    parts: list[list[int]] = []
    blocks: dict[int, list[list[int]]] = {}  # width -> part indices of each block
    for st in fp.steps[fp.barrier_step :]:
        if st.kind == "perm":
            ops.append(_perm_op(fp.perm_dest[st.perm]))
        elif st.kind == "sign":
            ops.append(_Op("sign", matrix=fp.signs[st.sign]))
        elif st.kind == "block":
            width = blocks.setdefault(len(st.wires), [])
            ops.append(_Op("block", tuple(st.wires), group=len(width)))
            width.append(list(range(len(parts), len(parts) + len(st.parts))))
            parts += [list(part) for part in st.parts]
            if st.perm >= 0:
                ops.append(_perm_op(fp.perm_dest[st.perm]))
        else:
            pst = prog.steps[st.prim]
            op = pst.op
            if op.name in PERM_GATES and pst.slot < 0:
                ops.append(_perm_op(perm_destination(n, [op])))
                continue
            s, order = _sorted_order(op.wires)
            contiguous = s[-1] - s[0] + 1 == len(s)
            if pst.slot < 0:
                m = _const_matrix(op)
                ops.append(_Op("const", s, contiguous, matrix=m[np.ix_(order, order)]))
                continue
            g, j = b.param(st.prim)
            same = bool((order == np.arange(order.size)).all())
            ops.append(_Op("param", s, contiguous, group=g, row=j, order=None if same else order))
    chains = b.chains(parts)
    singles = []
    for g in range(len(b.keys)):
        idx = [k for k, op in enumerate(ops) if op.kind == "param" and op.group == g]
        if idx:
            orders = [ops[k].order for k in idx]
            dim = 2 ** len(ops[idx[0]].wires)
            group_order = (
                None
                if all(o is None for o in orders)
                else np.stack([np.arange(dim) if o is None else o for o in orders])
            )
            singles.append((g, np.array(idx), np.array([ops[k].row for k in idx]), group_order))
    widths = tuple((g, np.array(ids, dtype=np.int64)) for g, ids in blocks.items())
    return _Tail(
        n,
        prog.n_slots,
        tuple(ops),
        b.groups(),
        chains,
        widths,
        {g: _selection(g) for g, _ in widths},
        tuple(singles),
    )


def tail_of(fp: FusedProgram, max_wires: int | None = None) -> _Tail | None:
    """The compiled tail of a program fused with a barrier (cached), ``None`` when unsupported
    or wider than ``max_wires``."""
    if fp.prog.circuit.n_wires > (tuning("cpu").numpy_tail_max_wires if max_wires is None else max_wires):
        return None
    return fp.cache.get(
        ("dense_tail", "tail"), lambda: _compile(fp) if 0 <= fp.barrier_step < len(fp.steps) else None
    )


def head_of(fp: FusedProgram) -> _Head | None:
    """The encoding before the tail as a NumPy product state (cached), ``None`` unless it is one
    ``product`` step whose gates read no weights."""

    def build() -> _Head | None:
        prog = fp.prog
        head = fp.steps[: fp.barrier_step]
        sts = [prog.steps[i] for i in range(input_cut(prog))]
        ok = (
            len(head) == 1
            and head[0].kind == "product"
            and head[0].perm < 0
            and all(not any(q.refs("w") for q in st.op.params) for st in sts)
            and all(st.slot < 0 or _fourier(st.op.name) is not None for st in sts)
        )
        out = None
        if ok:
            b = _Builder(prog)
            chains = b.chains([list(part) for part in head[0].parts])
            groups = b.groups()
            parts = head[0].parts
            direct = None
            if all(len(part) == 1 and prog.steps[part[0]].slot >= 0 for part in parts):
                where = [b.where[part[0]] for part in parts]
                if len({g for g, _ in where}) == 1 and groups[where[0][0]].n_params == 1:
                    full = groups[where[0][0]]
                    rows = np.array([r for _, r in where], dtype=np.int64)
                    d = full.dim
                    cols = [i * d for i in range(d)]  # the entries of column 0
                    first, dfirst = full.coef[:, rows][..., cols], full.dcoef[:, :, rows][..., cols]
                    direct = _Group(full.slots[rows], full.freqs, first, dfirst, d)
            out = _Head(groups, chains, direct)
        return out

    return fp.cache.get(("dense_tail", "head"), build)


# -- kernels on 2**n x C matrices -------------------------------------------------------------


def _left(y: np.ndarray, m: np.ndarray, op: _Op, n: int) -> np.ndarray:
    """``(m on op.wires) @ y``: the gate acts on the row index of ``y`` ``(2**n, C)``."""
    if op.kind == "sign":  # a +-1 diagonal over all wires
        signed: np.ndarray = y * m[:, None]
        return signed
    k = len(op.wires)
    if op.contiguous:
        if k == n:
            result: np.ndarray = m @ y
            return result
        v = y.reshape(2 ** op.wires[0], 2**k, -1)
        result = np.matmul(m, v).reshape(y.shape)
        return result
    t = y.reshape((2,) * n + (-1,))
    out = np.tensordot(m.reshape((2,) * (2 * k)), t, axes=(list(range(k, 2 * k)), list(op.wires)))
    return np.moveaxis(out, list(range(k)), list(op.wires)).reshape(y.shape)


def _right(y: np.ndarray, m: np.ndarray, op: _Op, n: int) -> np.ndarray:
    """``y @ (m on op.wires)``: the gate acts on the column index of ``y`` ``(R, 2**n)``."""
    if op.kind == "sign":
        signed: np.ndarray = y * m[None, :]
        return signed
    k = len(op.wires)
    if op.contiguous:
        if k == n:
            result: np.ndarray = y @ m
            return result
        v = y.reshape(-1, 2**k, 2 ** (n - op.wires[-1] - 1))
        result = np.matmul(m.T, v).reshape(y.shape)
        return result
    t = y.reshape((-1,) + (2,) * n)
    out = np.tensordot(t, m.reshape((2,) * (2 * k)), axes=([1 + w for w in op.wires], list(range(k))))
    return np.moveaxis(out, list(range(out.ndim - k, out.ndim)), [1 + w for w in op.wires]).reshape(y.shape)


def _ptrace(y: np.ndarray, op: _Op, n: int) -> np.ndarray:
    """``R[a, b] = sum_r y[(a, r), (b, r)]`` over the wires outside ``op.wires`` (sorted order)."""
    k = len(op.wires)
    if op.contiguous:
        if k == n:
            return y
        left, right = 2 ** op.wires[0], 2 ** (n - op.wires[-1] - 1)
        result: np.ndarray = np.einsum("xayxby->ab", y.reshape(left, 2**k, right, left, 2**k, right))
        return result
    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = list(letters[:n])
    cols = rows.copy()
    out_r, out_c = [], []
    for t, w in enumerate(op.wires):
        rows[w] = letters[n + t]
        cols[w] = letters[n + k + t]
        out_r.append(rows[w])
        out_c.append(cols[w])
    spec = "".join(rows + cols) + "->" + "".join(out_r + out_c)
    result = np.einsum(spec, y.reshape((2,) * (2 * n))).reshape(2**k, 2**k)
    return result


def _kron(u: np.ndarray) -> np.ndarray:
    """Kronecker products over axis -3 of ``u`` ``(..., g, 2, 2)`` -> ``(..., 2**g, 2**g)``."""
    out = u[..., 0, :, :]
    for q in range(1, u.shape[-3]):
        d = out.shape[-1]
        prod = out[..., :, None, :, None] * u[..., q, None, :, None, :]
        out = prod.reshape(*prod.shape[:-4], 2 * d, 2 * d)
    return out


def _cast(m: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return m.real.astype(dtype) if dtype.kind == "f" else m.astype(dtype, copy=False)


def _tables(
    groups: tuple[_Group, ...], a: np.ndarray, derivative: bool
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    return [_evaluate(g, a[..., g.slots], derivative) for g in groups]


def _gate_table(
    chains: _Chains, tables: list[tuple[np.ndarray, np.ndarray | None]], lead: tuple[int, ...]
) -> np.ndarray:
    """The one-qubit gate table ``(..., rows, 2, 2)`` (complex128)."""
    consts = np.broadcast_to(chains.consts, (*lead, *chains.consts.shape))
    return np.concatenate([consts, *(tables[g][0] for g in chains.one_q)], axis=-3)


def head_state(head: _Head, angles: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The product states of the encoding at ``angles`` ``(B, n_slots)``, batch last: ``(2**n, B)``.

    Batch-last arrays keep NumPy's inner loops long (over the batch) and free of broadcasting.
    """
    chain = head.chains.chain
    if head.direct is not None:  # one gate per wire: its first column
        g = head.direct
        a = angles.T[g.slots[:, 0]]  # (n, B)
        powers = {1: _expi(0.5 * a)}
        out: np.ndarray | None = None
        for f, c in zip(g.freqs[0], g.coef, strict=True):  # c: (n, 2) column-0 coefficients
            term = c[:, :, None] * _power(powers, f)[:, None, :]
            out = term if out is None else out + term
        assert out is not None  # a gate has at least one frequency
        v = out  # (n, 2, B)
    else:
        tables = _tables(head.groups, angles, derivative=False)
        gates = _gate_table(head.chains, tables, angles.shape[:1])
        u = gates[:, chain[:, 0]][..., 0]  # (B, n, 2): the first gate's column on |0>
        for k in range(1, chain.shape[1]):
            u = (gates[:, chain[:, k]] @ u[..., None])[..., 0]
        v = np.ascontiguousarray(u.transpose(1, 2, 0))
    psi = v[0]
    for q in range(1, v.shape[0]):
        psi = (psi[:, None, :] * v[q][None, :, :]).reshape(-1, v.shape[-1])
    return _cast(psi, dtype)


# -- forward and backward -----------------------------------------------------------------


@dataclass
class _Forward:
    """What the backward pass needs of the forward pass."""

    tables: list[tuple[np.ndarray, np.ndarray | None]]
    prefixes: np.ndarray  # (K, P, 2, 2): S_k = g_k ... g_1 per part, k = 1..K
    gates: np.ndarray  # (rows, 2, 2) the one-qubit gate table
    mats: list[np.ndarray | None]  # per op: its matrix (None for permutations)


def _build(tail: _Tail, a: np.ndarray, dtype: np.dtype, derivative: bool) -> _Forward:
    tables = _tables(tail.groups, a, derivative)
    gates = _cast(_gate_table(tail.chains, tables, ()), dtype)
    chain = tail.chains.chain
    prefixes = np.empty((chain.shape[1], chain.shape[0], 2, 2), dtype=gates.dtype)
    prefixes[0] = gates[chain[:, 0]]
    for k in range(1, chain.shape[1]):
        np.matmul(gates[chain[:, k]], prefixes[k - 1], out=prefixes[k])
    blocks = {g: _kron(prefixes[-1][idx]) for g, idx in tail.widths}
    mats: list[np.ndarray | None] = []
    for op in tail.ops:
        if op.kind == "perm":
            mats.append(None)
        elif op.kind == "block":
            mats.append(blocks[len(op.wires)][op.group])
        elif op.kind in ("const", "sign"):
            mats.append(_cast(op.matrix, dtype))  # type: ignore[arg-type]
        else:
            m = tables[op.group][0][op.row]
            mats.append(_cast(m if op.order is None else m[np.ix_(op.order, op.order)], dtype))
    return _Forward(tables, prefixes, gates, mats)


def _unitary(tail: _Tail, fw: _Forward, dtype: np.dtype) -> np.ndarray:
    n = tail.n
    first = tail.ops[0]
    first_mat = fw.mats[0]
    if first.kind != "perm" and len(first.wires) == n and first_mat is not None:  # U on all wires: U I = U
        return apply_ops(tail, fw, first_mat, 1)
    return apply_ops(tail, fw, np.eye(2**n, dtype=dtype))


def apply_ops(tail: _Tail, fw: _Forward, y: np.ndarray, start: int = 0) -> np.ndarray:
    """The tail's ops ``[start, end)`` applied to the rows of ``y`` ``(2**n, C)``."""
    for op, m in zip(tail.ops[start:], fw.mats[start:], strict=True):
        y = y[op.src] if op.kind == "perm" else _left(y, m, op, tail.n)  # type: ignore[arg-type]
    return y


def _dagger(m: np.ndarray) -> np.ndarray:
    return m.conj().T if m.dtype.kind == "c" else m.T


def _sweep(tail: _Tail, fw: _Forward, tx: np.ndarray) -> np.ndarray:
    """Angle gradients ``2 Re tr(Y_j dV_j)`` from ``tx = T X`` (see the module docstring)."""
    n, ops, mats = tail.n, tail.ops, fw.mats
    reds: list[np.ndarray | None] = [None] * len(ops)
    zb = {g: np.empty((len(idx), 4**g), dtype=tx.dtype) for g, idx in tail.widths}

    def dagger_left(y: np.ndarray, j: int) -> np.ndarray:
        op = ops[j]
        if op.kind == "perm":
            return y[op.dest]
        return _left(y, _dagger(mats[j]), op, n)  # type: ignore[arg-type]

    y = dagger_left(tx, len(ops) - 1)
    for j in range(len(ops) - 1, -1, -1):
        op = ops[j]
        if op.kind == "param":
            reds[j] = _ptrace(y, op, n)
        if j == 0 and op.kind != "block":
            break
        z = y[:, op.dest] if op.kind == "perm" else _right(y, mats[j], op, n)  # type: ignore[arg-type]
        if op.kind == "block":  # tr(Y dV) = tr(Z V^† dV): V^† dV acts on one wire
            zb[len(op.wires)][op.group] = _ptrace(z, op, n).reshape(-1)
        if j == 0:
            break
        y = dagger_left(z, j - 1)
    return _angle_grads(tail, fw, reds, zb)


def _angle_grads(
    tail: _Tail, fw: _Forward, reds: list[np.ndarray | None], zb: dict[int, np.ndarray]
) -> np.ndarray:
    """Angle gradients ``2 Re tr(Y_j dV_j)`` from the reductions of ``Y_j`` to each gate's wires
    (``reds``, gates outside blocks) and of ``Z_j = Y_j V_j`` (``zb``, per block width)."""
    out = np.zeros(tail.n_slots + 1)
    for g, idx, rows, order in tail.singles:
        ders = fw.tables[g][1][rows]  # type: ignore[index]
        if order is not None:  # derivatives in sorted-wire order
            ders = np.take_along_axis(ders, order[:, None, :, None], 2)
            ders = np.take_along_axis(ders, order[:, None, None, :], 3)
        r = np.stack([reds[k] for k in idx])
        grads = 2 * np.einsum("nab,npba->np", r, ders).real
        slots = tail.groups[g].slots[rows]
        out += np.bincount(slots.reshape(-1), weights=grads.reshape(-1), minlength=out.size)
    if tail.widths:
        _chain_grads(tail, fw, zb, out)
    return out[:-1]


def _chain_grads(tail: _Tail, fw: _Forward, zb: dict[int, np.ndarray], out: np.ndarray) -> None:
    """Gradients of the one-qubit chains of all blocks from their ``Z`` reductions."""
    ch = tail.chains
    r = np.empty((ch.chain.shape[0], 2, 2), dtype=fw.gates.dtype)
    for g, idx in tail.widths:
        z = zb[g]  # (nb, 4**g)
        r[idx] = np.einsum("nk,jk->nj", z, tail.select[g]).reshape(-1, g, 2, 2)  # no BLAS (see _mm)
    # wire reduction R, chain u = g_K ... g_1 with prefixes S_k: the angle of g_k adds
    # 2 Re tr(R u^† du) = 2 Re tr(V_k h_k), V_k = S_{k-1} R S_{k-1}^†, h_k = g_k^† dg_k
    p_max = ch.dslot.shape[-1]
    hs = [np.zeros((1, 2, 2), dtype=complex)]
    for g in ch.one_q:
        mats, ders = fw.tables[g]
        h = np.swapaxes(mats, -1, -2).conj()[:, None] @ ders
        if h.shape[1] < p_max:
            h = np.concatenate([h, np.zeros((h.shape[0], p_max - h.shape[1], 2, 2), dtype=h.dtype)], 1)
        hs.append(h.reshape(-1, 2, 2))
    h = np.concatenate(hs)
    k_max = ch.chain.shape[1]
    if k_max > 1:
        s = fw.prefixes[:-1]  # (K - 1, P, 2, 2)
        v = np.concatenate([r[None], s @ r @ np.swapaxes(s, -1, -2).conj()])
    else:
        v = r[None]
    c = 2 * np.einsum("knab,nkpba->nkp", v, h[ch.drow]).real
    out += np.bincount(ch.dslot.reshape(-1), weights=c.reshape(-1), minlength=out.size)


@dataclass(frozen=True)
class _Obs:
    diag: np.ndarray | None  # (d, K) real, when every observable is diagonal
    dense: np.ndarray | None  # (K, d, d) Hermitian parts


def _observables(plan: ObservablePlan, n: int, dtype: np.dtype) -> _Obs:
    """The plan's observables as arrays for states of ``dtype`` (kept in the plan's cache)."""
    key = ("dense_tail", n, dtype.str)
    if key not in plan._cache:
        real = np.float32 if dtype in (np.complex64, np.float32) else np.float64
        if plan.diagonal_only:
            ds = plan.diagonals(True, torch.float64, torch.device("cpu"))
            total = sum(d for d in ds if d is not None)
            diag = np.zeros((2**n, plan.n_obs)) if isinstance(total, int) else total.numpy().T
            diag = np.ascontiguousarray(diag, dtype=real)
            plan._cache[key] = [_Obs(diag, None)]
        else:
            mats = []
            for o in plan.observables:
                m = o.to_matrix(n)
                mats.append((m + m.conj().T) / 2)
            h = np.stack(mats)
            plan._cache[key] = [_Obs(None, h.real.astype(dtype) if dtype.kind == "f" else h.astype(dtype))]
    result: _Obs = plan._cache[key][0]
    return result


_NUMPY: dict[torch.dtype, np.dtype[Any]] = {
    torch.complex128: np.dtype(np.complex128),
    torch.complex64: np.dtype(np.complex64),
    torch.float64: np.dtype(np.float64),
    torch.float32: np.dtype(np.float32),
}


# The largest ``m * n * k`` product done by NumPy is ``tuning("cpu").numpy_mm_max``. OpenBLAS
# runs larger matrix products, and matrix-vector products from a few thousand entries on, on
# threads of its own, which then spin against torch's (measured: a 256 x 32 x 32 torch matmul
# took 2.1 ms instead of 0.03 ms after a NumPy ``(1, 256) @ (256, 16)`` complex product, 4 ms
# after a ``64 x 64`` one).


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``: NumPy for small matrix-matrix products, torch for the rest (one thread pool)."""
    m, k = a.shape
    n = b.shape[1]
    if m > 1 and n > 1 and m * n * k <= tuning("cpu").numpy_mm_max:
        result: np.ndarray = a @ b
        return result
    return torch.mm(torch.from_numpy(a), torch.from_numpy(b)).numpy()


class _TailExpval(torch.autograd.Function):
    """The shared tail in NumPy, batch-sized arrays batch last (``(2**n, B)``)."""

    @staticmethod
    def forward(
        ctx: Any, psi: Tensor, angles: Tensor, tail: _Tail, plan: ObservablePlan, torch_tail: Any
    ) -> Tensor:
        pt = psi.detach().resolve_conj().numpy().T  # (d, B)
        a = angles.detach()[0].double().numpy()
        dtype = pt.dtype
        fw = _build(tail, a, dtype, derivative=angles.requires_grad)
        t = _unitary(tail, fw, dtype)
        phi = _mm(t, pt)  # (d, B)
        obs = _observables(plan, tail.n, dtype)
        if obs.diag is not None:
            sq = np.square(phi.real) + np.square(phi.imag) if dtype.kind == "c" else np.square(phi)
            e = _mm(obs.diag.T, sq)  # (K, B)
        else:
            assert obs.dense is not None  # no diagonal form: the dense Hermitian parts
            hp = np.einsum("kij,jb->kib", obs.dense, phi)
            e = np.einsum("ib,kib->kb", phi.conj(), hp).real
        ctx.save_for_backward(psi, angles)
        ctx.state = (pt, t, phi, fw, obs)
        ctx.tail, ctx.torch_tail = tail, torch_tail
        return torch.from_numpy(e).T

    @staticmethod
    def backward(ctx: Any, grad_e: Tensor) -> tuple[Tensor | None, ...]:
        psi, angles = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph: differentiate the torch construction instead
            return _torch_vjp(ctx, psi, angles, grad_e)
        pt, t, phi, fw, obs = ctx.state
        tail: _Tail = ctx.tail
        g = grad_e.detach().numpy().T.astype(phi.real.dtype, copy=False)  # (K, B)
        if obs.diag is not None:
            w = _mm(obs.diag, g)  # (d, B): sum_k g[k, b] D_k
            z = phi.conj() * w
        else:
            z = np.einsum("kb,ib,kij->jb", g, phi.conj(), obs.dense)
        grad_psi = grad_a = None
        if ctx.needs_input_grad[0]:
            hphi = phi * w if obs.diag is not None else np.einsum("kb,kij,jb->ib", g, obs.dense, phi)
            grad_psi = torch.from_numpy(2 * _mm(_dagger(t), hphi)).T  # 2 T^† H phi per row
        if ctx.needs_input_grad[1] and tail.groups:
            x = _mm(pt, z.T)  # X = psi^T Z
            grad_a = torch.from_numpy(_sweep(tail, fw, t @ x))[None]
            grad_a = grad_a if grad_a.dtype == angles.dtype else grad_a.to(angles.dtype)
        return grad_psi, grad_a, None, None, None


def _torch_vjp(ctx: Any, psi: Tensor, angles: Tensor, grad_e: Tensor) -> tuple[Tensor | None, ...]:
    with torch.enable_grad():
        e = ctx.torch_tail(psi, angles)
        wrt = [t for t, need in zip((psi, angles), ctx.needs_input_grad[:2], strict=True) if need]
        grads = iter(torch.autograd.grad(e, wrt, grad_e, create_graph=True, allow_unused=True))
    return (*(next(grads) if need else None for need in ctx.needs_input_grad[:2]), None, None, None)


def expval(psi: Tensor, angles: Tensor, tail: _Tail, plan: ObservablePlan, torch_tail: Any) -> Tensor:
    """``(B, n_obs)`` expectation values of the batch ``psi`` after the tail; ``angles`` ``(1, n_slots)``.

    ``torch_tail(psi, angles)`` computes the same values with torch autograd (used for
    second derivatives).
    """
    result: Tensor = _TailExpval.apply(psi, angles, tail, plan, torch_tail)  # type: ignore[no-untyped-call]
    return result


def numpy_dtype(dtype: torch.dtype) -> np.dtype[Any]:
    """The NumPy dtype of a torch dtype (complex or real floating point)."""
    return _NUMPY[dtype]


def usable(*tensors: Tensor) -> bool:
    """Whether the NumPy tail may run: CPU tensors outside ``torch.func`` transforms."""
    if torch._C._are_functorch_transforms_active():
        return False
    return all(t.device.type == "cpu" for t in tensors)


def need(run: Run, diff: str, detail: Any) -> Need:
    """The encoded states, the tail's images and the backward's temporaries: 6 states of ``n`` qubits."""
    return Need(run.prog.circuit.n_wires, 6, "forward")


def evaluate(
    run: Run, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> Tensor:
    """Expectation values ``(B, n_obs)`` through the NumPy tail ``detail`` (:func:`tail_of`).

    The encoded states come from the torch engine (or, for a product-state encoding without
    gradient, from :func:`head_state` in NumPy); the gradient of the weights skips the batch.
    """
    fp = run.collapse
    assert fp is not None  # the route takes this method only on a collapsed tail
    head = head_of(fp) if run.const_rows else None
    if head is not None:  # a product-state encoding without gradient: in NumPy as well
        p = head_state(head, run.angles.detach().numpy(), numpy_dtype(dtype))
        psi = torch.from_numpy(p).T  # (B, 2**n), batch-last in memory
    else:
        psi = evolve(run, dtype, head=True)

    def torch_tail(psi: Tensor, angles: Tensor) -> Tensor:  # the same values, by torch autograd
        data = fused_data(fp, angles, dtype, True)
        return plan.expval(psi @ collapse.tail_rows(fp, data, dtype, psi.device))

    # the tail's angles from the weights and one input row: its gradient skips the batch
    assert run.weights is not None
    assert run.inputs is not None
    angles = run.prog.angles(run.weights, run.inputs[:1])
    return expval(psi, angles, detail, plan, torch_tail)


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
