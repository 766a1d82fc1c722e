"""One circuit's final state on many qubits in compiled, cache-blocked sweeps (numba).

The torch full state applies each fused step as its own pass over ``2**n`` amplitudes: a
10-layer, 20-qubit brick circuit is 65 passes, each a separate kernel streaming the state,
where compiled simulators such as qsim apply gates in cache with vector instructions. This
method, for one circuit without gradient (``state``, ``probs``, ``sample``), runs the gates in
compiled loops (:mod:`qml.sim._numba_state_kernels`) over a state stored as blocks of
``2**lane_bits`` amplitudes (real parts, then imaginary parts):

* **Lanes are spectators.** The lowest ``lane_bits`` bits of the stored index are the lanes of
  a block; the qubits held there are left alone by the gates of a sweep, so that every gate's
  inner loop is a vector operation over the lanes of whole blocks. Which qubit sits at which
  bit is bookkeeping (:attr:`Schedule.positions`): before a sweep the qubits whose next gate
  comes last are moved into the lanes (one exchange of a lane bit with a block bit each), and
  a ``SWAP`` gate only exchanges two entries of that table.
* **Sweeps.** Gates are taken in circuit order; each one that commutes with the gates put off
  before it (no shared qubit) and keeps the sweep within ``local_bits`` block bits joins the
  sweep. A sweep then runs chunk by chunk (``2**local_bits`` blocks, a few MB: in the L3
  cache), all of its gates on one chunk while it is in cache; the chunks of a sweep are spread
  over the threads (numba's ``prange``, torch's thread count).
* **Groups.** Within a chunk, a sweep's ops are taken in groups on at most ``group_bits`` local
  bits (:class:`Group`): a group applies its ops one after another to each sub-chunk of
  ``2**group_bits`` blocks (32 KB: in the L1 cache), so that an op reads and writes the L1
  cache rather than the L3. An op joins the open group while it fits and shares no bit with an
  op left for a later group.
* **Gates.** A chain of one-qubit gates is one 2x2 (or diagonal) op; a controlled gate is its
  target's 2x2 on the blocks where the controls are set (``CNOT``, ``CRX``, ``Toffoli``); a
  gate with one control, or a constant two-qubit diagonal (``CZ``), takes the open chain of its
  target (of either wire, for a diagonal) along: one 2x2 pass in two halves, the chain where
  the other qubit is 0 and the gate times the chain where it is 1. Other diagonal gates
  multiply (``RZZ``: blocks whose entry is 1 are skipped); other gates up to 3 wires are
  dense. Matrices come from the exact Fourier tables at ``exp(i theta / 2)`` (as in
  :mod:`qml.sim.numba_rows`).

At the end the lanes are given back to the standard lowest qubits and the state is read out in
the standard order (wire ``w`` = bit ``n - 1 - w``). The choices (lane bits, chunk and group
sizes, from how many qubits) are in :mod:`qml.sim.tuning`; the chunk size also depends on the
cores of the machine (two chunks a core), not on a call's thread count, so that a state is the
same bit for bit whatever threads it is computed with; :meth:`~qml.Simulator.state_route` says which
engine a call takes and why.

Example:
    >>> import torch
    >>> from qml.ir import Circuit
    >>> from qml.sim.simulator import Simulator
    >>> c = Circuit(10).add("H", 0)
    >>> for q in range(9):
    ...     c = c.add("CNOT", (q, q + 1))
    >>> psi = Simulator(methods={"numba_state": "always"}).state(c)
    >>> [round(float(abs(psi[i]) ** 2), 3) for i in (0, 2**10 - 1)]
    [0.5, 0.5]
    >>> Simulator(methods={"numba_state": "always"}).state_route(c).measure
    'state (numba)'
"""

from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from qml.dtypes import complex_dtype
from qml.gates import GATES
from qml.sim import dense_tail as dt
from qml.sim import numba_rows
from qml.sim.evaluation import Evaluator, Guard, Need, Run
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API


#: The name of this method in routes.
MEASURE = "state (numba)"
#: Widest gate applied as a dense matrix.
MAX_GATE_WIRES = 3
PAIR, DIAG, DENSE, LANE = 0, 1, 2, 3


_LOCK = threading.Lock()


def _kernels() -> Any:
    return numba_rows.compiled("qml.sim._numba_state_kernels")


@dataclass(frozen=True)
class _Op:
    """A gate of the schedule: ``kind`` (``PAIR``/``DIAG``/``DENSE``, or ``-1``: a ``SWAP``
    relabelling), its qubits in gate order, the target and controls of a ``PAIR``, and the
    entries of its matrix (``first``, ``length`` in the chain of entries)."""

    kind: int
    qubits: tuple[int, ...]
    target: int = -1
    controls: tuple[int, ...] = ()
    first: int = 0
    length: int = 0
    anti: bool = False  # a PAIR on the blocks where the controls are all 0 (a gate's other half)


@dataclass(frozen=True)
class Group:
    """Consecutive ops ``[o0, o1)`` of a sweep on the local bits ``bits`` only (ascending): they
    run one after another on each sub-chunk of ``2**len(bits)`` blocks (blocks ``base + sub[q] +
    off[a]``) while it is in the L1 cache; the ops' bits are numbered within ``bits``."""

    o0: int
    o1: int
    bits: tuple[int, ...]
    off: np.ndarray = field(repr=False, compare=False)
    sub: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Sweep:
    """One sweep: local block bits ``bits`` (physical block positions; local bit ``u`` is
    ``bits[u]``), the other block positions ``rest`` (the chunk index), ops ``[o0, o1)`` in
    :class:`Group` s."""

    bits: tuple[int, ...]
    rest: tuple[int, ...]
    o0: int
    o1: int
    off: np.ndarray = field(repr=False, compare=False)
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """A circuit as sweeps of compiled ops (see the module docstring).

    Attributes:
        n: Qubits.
        lane_bits: Bits of the lanes (a block holds ``2**lane_bits`` amplitudes).
        local_bits: Block bits per chunk.
        sweeps: The sweeps, in order.
        positions: Where each qubit's bit is at the end (``positions[q]``; standard: ``n - 1 - q``).
        lane_changes: Exchanges of a lane bit with a block bit.
        group_bits: Block bits of a sub-chunk (:class:`Group`).
    """

    n: int
    lane_bits: int
    local_bits: int
    sweeps: tuple[Sweep, ...]
    positions: tuple[int, ...]
    lane_changes: int
    group_bits: int
    entries: numba_rows.Kernel = field(repr=False)
    chain: np.ndarray = field(repr=False)  # entries of the ops' matrices (chains in order)
    o_first: np.ndarray = field(repr=False)
    o_len: np.ndarray = field(repr=False)
    o_kind: np.ndarray = field(repr=False)
    o_k: np.ndarray = field(repr=False)
    o_bits: np.ndarray = field(repr=False)
    o_cm: np.ndarray = field(repr=False)
    mat_of: np.ndarray = field(repr=False)  # op -> its row of matrices (lane changes: 0)

    @functools.cached_property
    def sweep_arrays(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """The sweeps and groups as flat arrays for :func:`qml.sim._numba_state_kernels.run`: per
        sweep its local bits, chunk bits (rows, padded), their count and its groups ``[g0, g1)``;
        per group its bits, first and end op, and first entry in the joined offset and sub-chunk
        tables, and the joined tables."""
        sw = self.sweeps
        gs = [g for s in sw for g in s.groups]
        rest = np.zeros((max(len(sw), 1), max([len(s.rest) for s in sw] + [1])), dtype=np.int64)
        for i, s in enumerate(sw):
            rest[i, : len(s.rest)] = s.rest
        ng = np.cumsum([0] + [len(s.groups) for s in sw])

        def ints(v: list[int]) -> np.ndarray:
            return np.asarray(v or [0], dtype=np.int64)

        def joined(tables: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            starts = np.cumsum([0] + [t.size for t in tables])[:-1]
            return ints(starts.tolist()), np.concatenate(tables) if tables else ints([])

        off0, offs = joined([g.off for g in gs])
        sub0, subs = joined([g.sub for g in gs])
        sweeps = (
            ints([len(s.bits) for s in sw]),
            rest,
            ints([len(s.rest) for s in sw]),
            ints(ng[:-1].tolist()),
            ints(ng[1:].tolist()),
        )
        groups = (
            ints([len(g.bits) for g in gs]),
            ints([g.o0 for g in gs]),
            ints([g.o1 for g in gs]),
            off0,
            offs,
            sub0,
            subs,
        )
        return sweeps, groups

    @property
    def standard_blocks(self) -> bool:
        """Whether every block qubit ends at its standard bit (no block permutation to read out)."""
        return all(p == self.n - 1 - q for q, p in enumerate(self.positions))

    @property
    def ops(self) -> int:
        """Compiled ops over all sweeps (gates, fused chains and lane changes)."""
        return int(self.o_kind.size)

    def describe(self) -> str:
        """One line for :meth:`~qml.Simulator.state_route`."""
        groups = sum(len(s.groups) for s in self.sweeps)
        return (
            f"{self.ops} compiled ops in {len(self.sweeps)} cache-blocked sweeps of 2**{self.local_bits} "
            f"blocks of {2**self.lane_bits} amplitudes ({self.lane_changes} lane changes), in {groups} "
            f"groups over sub-chunks of 2**{self.group_bits} blocks"
        )


def _target_entry(b: numba_rows._Builder, st: Any) -> int:
    """The entry of a controlled gate's one-qubit target (its matrix where the controls are set)."""
    if st.slot >= 0:
        return b.fourier_entry((st.target,), st.target_gate, st.slot, st.n_params)
    consts = torch.tensor([[q.const for q in st.op.params]], dtype=torch.float64)
    with torch.no_grad():
        m = GATES[st.target_gate].matrix(consts)[0].to(torch.complex128).numpy()
    return b.const_entry((st.target,), m)


def _gates(prog: Program) -> tuple[list[_Op], numba_rows._Builder, list[int]] | None:
    """The circuit as ops in order (one-qubit chains fused), or ``None`` for a gate the kernels lack."""
    b = numba_rows._Builder(prog.circuit.n_wires)
    ops: list[_Op] = []
    chain: list[int] = []
    open_: dict[int, tuple[list[int], bool]] = {}  # qubit -> (entries, all diagonal)

    def close(qubits: tuple[int, ...]) -> None:
        for q in qubits:
            got = open_.pop(q, None)
            if got:
                entries, diagonal = got
                ops.append(_Op(DIAG if diagonal else PAIR, (q,), q, (), len(chain), len(entries)))
                chain.extend(entries)

    def halves(wires: tuple[int, ...], t: int, c: tuple[int, ...], zero: list[int], one: list[int]) -> None:
        """One 2x2 pass on ``t`` in two halves: chain ``zero`` where the control is 0, ``one`` where 1."""
        for entries, anti in ((zero, True), (one, False)):
            ops.append(_Op(PAIR, wires, t, c, len(chain), len(entries), anti))
            chain.extend(entries)

    def passing(wires: tuple[int, ...], commutes: tuple[int, ...]) -> tuple[int, ...]:
        """The wires of a multi-qubit gate whose open chain must close before it: all but the
        wires in ``commutes`` whose chain is diagonal (a diagonal chain moves past a diagonal
        gate or a control; it is applied after the gate, together with what follows it)."""
        return tuple(w for w in wires if not (w in commutes and open_.get(w, ([], False))[1]))

    for st in prog.steps:
        op = st.op
        wires = tuple(op.wires)
        spec = GATES[op.name]
        if st.kind == "swap":
            close(wires)
            ops.append(_Op(-1, wires))
            continue
        if st.kind == "ctrl":
            g = _target_entry(b, st)
            if g < 0:
                return None
            controls = tuple(st.controls)
            absorbed = open_.pop(st.target, None) if len(controls) == 1 else None
            close(passing(wires, controls))
            if absorbed:  # the target's chain, then the gate: one pass in two halves
                halves(wires, st.target, controls, absorbed[0], absorbed[0] + [g])
            else:
                ops.append(_Op(PAIR, wires, st.target, controls, len(chain), 1))
                chain.append(g)
            continue
        if len(wires) > MAX_GATE_WIRES:
            return None
        g = (
            b.const_entry(wires, dt._const_matrix(op))
            if st.slot < 0
            else b.fourier_entry(wires, op.name, st.slot, st.n_params)
        )
        if g < 0:
            return None
        if len(wires) == 1:
            entries, diagonal = open_.get(wires[0], ([], True))
            open_[wires[0]] = ([*entries, g], diagonal and spec.kind == "diag")
            continue
        if len(wires) == 2 and spec.kind == "diag" and st.slot < 0:
            t = next((w for w in wires[::-1] if w in open_ and not open_[w][1]), -1)
            if t >= 0:  # a constant two-qubit diagonal after a chain: one pass on that chain's qubit
                c = wires[0] if t == wires[1] else wires[1]
                d = np.diagonal(dt._const_matrix(op)).reshape(2, 2)  # d[v0, v1], first wire first
                subs = [np.diag(d[v] if t == wires[1] else d[:, v]).astype(np.complex128) for v in (0, 1)]
                entries = open_.pop(t)[0]
                close(passing(wires, wires))
                zero, one = (
                    entries if np.allclose(m, np.eye(2)) else [*entries, b.const_entry((t,), m)] for m in subs
                )
                halves(wires, t, (c,), zero, one)
                continue
        close(passing(wires, wires if spec.kind == "diag" else ()))
        ops.append(_Op(DIAG if spec.kind == "diag" else DENSE, wires, first=len(chain), length=1))
        chain.append(g)
    close(tuple(sorted(open_)))
    return ops, b, chain


def _lanes(pending: list[_Op], pos: list[int], lane_bits: int) -> list[int]:
    """The qubits to hold the lanes: those whose next gate comes last (current lanes on ties)."""
    n = len(pos)
    first: dict[int, int] = {}
    for i, op in enumerate(pending):
        for q in op.qubits:
            first.setdefault(q, i)
    return sorted(range(n), key=lambda q: (first.get(q, len(pending)), pos[q] < lane_bits), reverse=True)[
        :lane_bits
    ]


def _deposit(bits: list[int] | tuple[int, ...]) -> np.ndarray:
    """``a`` -> its bits ``t`` placed at positions ``bits[t]``, for all ``a < 2**len(bits)``."""
    a = np.arange(2 ** len(bits), dtype=np.int64)
    out = np.zeros_like(a)
    for t, p in enumerate(bits):
        out |= ((a >> t) & 1) << p
    return out


def _touched(row: tuple[Any, ...], kk: int) -> tuple[set[int], set[int]]:
    """The local bits an op row reads and writes, and the same with its lane (``kk + lane``) for
    a lane change, which orders lane changes of one lane."""
    if row[0] == LANE:
        return {row[2][1]}, {row[2][1], kk + row[2][0]}
    return set(row[3]), set(row[3])


def _groups(rows: list[Any], o0: int, o1: int, kk: int, gb: int, off: np.ndarray) -> tuple[Group, ...]:
    """The ops ``[o0, o1)`` of a sweep as :class:`Group` s of at most ``gb`` local bits each, rows
    reordered and renumbered within their group: a group takes, in order, each op that fits and
    shares no bit with an op left for later (ops on other bits commute)."""
    pending = list(range(o0, o1))
    spans: list[tuple[list[int], set[int]]] = []
    while pending:
        bits: set[int] = set()
        blocked: set[int] = set()
        took: list[int] = []
        rest: list[int] = []
        for i in pending:
            t, keys = _touched(rows[i], kk)
            if keys & blocked or len(bits | t) > gb:
                blocked |= keys
                rest.append(i)
                continue
            bits |= t
            took.append(i)
        spans.append((took, bits))
        pending = rest
    rows[o0:o1] = [rows[i] for took, _ in spans for i in took]
    out = []
    g0 = o0
    for took, bits in spans:
        g1 = g0 + len(took)
        for u in range(kk):  # filled with the lowest unused bits: fewer, larger sub-chunks
            if len(bits) >= min(gb, kk):
                break
            bits.add(u)
        order = sorted(bits)
        at = {u: i for i, u in enumerate(order)}
        for i in range(g0, g1):
            kind, k, b, srt, cm, gi = rows[i]
            b = (b[0], at[b[1]]) if kind == LANE else tuple(at[u] for u in b)
            cm = sum(1 << at[u] for u in range(kk) if cm >> u & 1)
            rows[i] = (kind, k, b, tuple(at[u] for u in srt), cm, gi)
        other = [u for u in range(kk) if u not in bits]
        out.append(Group(g0, g1, tuple(order), off[_deposit(order)], off[_deposit(other)]))
        g0 = g1
    return tuple(out)


def _sweep(local: list[int], kk: int, nb: int, lb: int, o0: int, o1: int, rows: list[Any], gb: int) -> Sweep:
    """A sweep over the local bits ``local`` (physical), filled up to ``kk`` with the lowest
    unused ones, its ops in groups of at most ``gb`` bits (rows renumbered within them)."""
    local = list(local)
    for p in range(lb, lb + nb):
        if len(local) >= kk:
            break
        if p not in local:
            local.append(p)
    blocks = [p - lb for p in local]
    off = _deposit(blocks)
    groups = _groups(rows, o0, o1, len(blocks), gb, off)
    return Sweep(tuple(blocks), tuple(p for p in range(nb) if p not in blocks), o0, o1, off, groups)


def build(
    prog: Program, local_bits: int, lane_bits: int = 6, run_bits: int = 1, group_bits: int = 6
) -> Schedule | None:
    """The schedule of ``prog`` with blocks of ``2**lane_bits`` amplitudes, chunks of
    ``2**local_bits`` blocks (fewer if the register is smaller) whose lowest ``run_bits`` block
    bits are always local, ops in groups over sub-chunks of ``2**group_bits`` blocks, or ``None``
    when a gate has no kernel (no Fourier table, more than 3 wires) or the register is narrower
    than ``lane_bits + 4``."""
    n = prog.circuit.n_wires
    got = _gates(prog)
    lb = lane_bits
    if got is None or n < lb + 4:
        return None
    gates, builder, chain = got
    nb = n - lb
    kk = max(1, min(local_bits, nb - 1))
    gb = max(3, group_bits)  # a group holds any one gate (3 wires) or lane change
    pos = [n - 1 - q for q in range(n)]
    pending = list(range(len(gates)))
    sweeps: list[Sweep] = []
    rows: list[
        tuple[int, int, tuple[int, ...], tuple[int, ...], int, int]
    ] = []  # kind, k, bits, sorted, cm, op
    lane_changes = 0
    runs = list(range(lb, lb + min(run_bits, kk - 3)))  # always local: contiguous runs

    def exchange(lane: int, blk: int, local: list[int]) -> None:
        if blk not in local:
            local.append(blk)
        rows.append((LANE, 0, (lane, local.index(blk)), (), 0, -1))
        a, c = pos.index(lane), pos.index(blk)
        pos[a], pos[c] = blk, lane

    while pending:
        local = list(runs)  # physical block bits (>= lb), local bit u = local[u]
        start = len(rows)
        want = _lanes([gates[i] for i in pending], pos, lb)
        leaving = sorted(q for q in range(n) if pos[q] < lb and q not in want)
        entering = sorted(q for q in want if pos[q] >= lb)
        for a, c in zip(leaving, entering, strict=True):
            exchange(pos[a], pos[c], local)
            lane_changes += 1
        blocked: set[int] = set()
        rest: list[int] = []
        for gi in pending:
            op = gates[gi]
            qs = set(op.qubits)
            if qs & blocked:
                blocked |= qs
                rest.append(gi)
                continue
            if op.kind < 0:  # SWAP: exchange the two qubits' positions
                a, c = op.qubits
                pos[a], pos[c] = pos[c], pos[a]
                continue
            phys = [pos[q] for q in op.qubits]
            new = [p for p in dict.fromkeys(phys) if p not in local]
            if min(phys) < lb or len(local) + len(new) > kk:
                blocked |= qs
                rest.append(gi)
                continue
            local += new
            u = {p: local.index(p) for p in phys}
            if op.kind == PAIR:
                cm = 0 if op.anti else sum(1 << u[pos[q]] for q in op.controls)
                fixed = tuple(sorted(u[p] for p in phys))
                rows.append((PAIR, len(fixed), (u[pos[op.target]],), fixed, cm, gi))
            else:
                bits = tuple(u[p] for p in phys)
                rows.append((op.kind, len(bits), bits, tuple(sorted(bits)), 0, gi))
        if len(rows) == start and len(rest) == len(pending):
            return None  # no progress (a gate wider than a chunk): cannot happen for kk >= 3, a guard
        pending = rest
        if len(rows) > start:
            sweeps.append(_sweep(local, kk, nb, lb, start, len(rows), rows, gb))
    # the standard lowest qubits back into the lanes, in order, for a vectorised read-out
    local, start = list(runs), len(rows)
    for j in range(lb):
        q = n - 1 - j
        if pos[q] == j:
            continue
        if pos[q] < lb:  # in a later lane: through the first block bit
            exchange(pos[q], lb, local)
        exchange(j, pos[q], local)
        lane_changes += 1
        if len(local) >= kk - 1:  # the chunk is full: a new sweep for the rest
            sweeps.append(_sweep(local, kk, nb, lb, start, len(rows), rows, gb))
            local, start = list(runs), len(rows)
    if len(rows) > start:
        sweeps.append(_sweep(local, kk, nb, lb, start, len(rows), rows, gb))
    kern = builder.kernel(prog.n_slots)
    ops_used = sorted({r[5] for r in rows if r[5] >= 0})
    row_of = {g: i for i, g in enumerate(ops_used)}
    o_bits = np.zeros((max(len(rows), 1), 8), dtype=np.int64)
    for i, r in enumerate(rows):
        o_bits[i, : len(r[2])] = r[2]
        o_bits[i, 4 : 4 + len(r[3])] = r[3]

    def ints(v: list[int]) -> np.ndarray:
        return np.asarray(v or [0], dtype=np.int64)

    return Schedule(
        n=n,
        lane_bits=lb,
        local_bits=kk,
        sweeps=tuple(sweeps),
        positions=tuple(pos),
        lane_changes=lane_changes,
        group_bits=min(gb, kk),
        entries=kern,
        chain=ints(chain),
        o_first=ints([gates[g].first for g in ops_used]),
        o_len=ints([gates[g].length for g in ops_used]),
        o_kind=np.asarray([r[0] for r in rows], dtype=np.int64),
        o_k=np.asarray([r[1] for r in rows], dtype=np.int64),
        o_bits=o_bits,
        o_cm=np.asarray([r[4] for r in rows], dtype=np.int64),
        mat_of=np.asarray([row_of.get(r[5], 0) for r in rows], dtype=np.int64),
    )


def local_bits_for(dtype: torch.dtype, chunk_bytes: int, lane_bits: int) -> int:
    """Block bits of a sub-chunk of at most ``chunk_bytes`` (``2**lane_bits`` amplitudes a block)."""
    block = 2**lane_bits * torch.empty(0, dtype=complex_dtype(dtype)).element_size()
    return max(1, int(math.log2(max(chunk_bytes // block, 2))))


def cores() -> int:
    """The cores this process may run on: the thread count a schedule is made for. Not torch's
    thread count, so that a state is the same bit for bit whatever threads a call is given."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def chunk_bits_for(chunk_bits: int, lane_bits: int, n: int, cores: int, group_bits: int) -> int:
    """Block bits of a sweep's chunk: at most ``chunk_bits``, and at least two chunks a core
    (:func:`cores`) where that leaves a chunk of ``group_bits`` or more."""
    spread = max(1, math.ceil(math.log2(2 * max(cores, 1))))
    return max(1, min(chunk_bits, max(n - lane_bits - spread, group_bits)))


def schedule_of(
    prog: Program, local_bits: int, lane_bits: int, run_bits: int, group_bits: int
) -> Schedule | None:
    """:func:`build`, cached on the program."""
    key = ("numba_state", "schedule", local_bits, lane_bits, run_bits, group_bits)
    return prog.cache.get(key, lambda: build(prog, local_bits, lane_bits, run_bits, group_bits))


def _tables(positions: tuple[int, ...], lb: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Physical block of standard block ``B``: ``lo[B & mask] | hi[B >> lo_bits]`` (the lanes
    hold the standard lowest qubits)."""
    n = len(positions)
    nb = n - lb
    lo_bits = nb // 2

    def table(bits: range) -> np.ndarray:  # standard block bit s holds qubit n - 1 - (s + lb)
        return _deposit([positions[n - 1 - s - lb] - lb for s in bits])

    return table(range(lo_bits)), table(range(lo_bits, nb)), lo_bits


def final_state(sched: Schedule, angles: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    """The final state ``(2**n,)`` in the standard order, complex of ``dtype``'s precision.

    ``angles``: the one row of the angle table, ``(1, n_slots)`` float64.
    """
    import numba

    k = _kernels()
    e = sched.entries
    cdt = dt.numpy_dtype(complex_dtype(dtype))
    fdt = np.float32 if cdt == np.complex64 else np.float64
    ea = dt._expi(0.5 * angles)
    mats = np.zeros((max(sched.o_first.size, 1), 64), dtype=np.complex128)
    if sched.o_first.size:
        k.op_matrices(
            ea,
            sched.o_first,
            sched.o_len,
            sched.chain,
            e.tab,
            e.nf,
            e.p,
            e.slots,
            e.dim,
            e.rot,
            e.coefs,
            e.freqs,
            mats,
        )
    mats = mats[sched.mat_of]
    mr, mi = np.ascontiguousarray(mats.real, dtype=fdt), np.ascontiguousarray(mats.imag, dtype=fdt)
    n, lb = sched.n, sched.lane_bits
    out = np.zeros(2**n, dtype=cdt)  # the state in blocks, then in place in the standard order
    st = out.view(fdt).reshape(2 ** (n - lb), 2 ** (lb + 1))
    st[0, 0] = 1.0
    lo, hi, lo_bits = _tables(sched.positions, lb)
    with _LOCK:  # numba's workqueue threading layer (where OpenMP is missing) is not re-entrant
        threads = max(1, min(torch.get_num_threads(), int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))))
        numba.set_num_threads(threads)
        k.run(st, *sched.sweep_arrays, (sched.o_kind, sched.o_k, sched.o_bits, sched.o_cm, mr, mi))
        k.deinterleave(st, threads)
        if not sched.standard_blocks:
            k.permute_blocks(st, lo, hi, lo_bits)
    return out


@dataclass(frozen=True)
class Plan:
    """What a route hands this method: the schedule and the states of the route's dtype it holds
    (one complex state of the dtype's precision: 1, or 2 of a real dtype)."""

    schedule: Schedule
    states: int = 1


def plan_for(sched: Schedule, dtype: torch.dtype) -> Plan:
    """The :class:`Plan` of ``sched`` for states of ``dtype``."""
    return Plan(sched, torch.empty(0, dtype=complex_dtype(dtype)).element_size() // dtype.itemsize)


def state(detail: Plan, run: Run, dtype: torch.dtype) -> torch.Tensor:
    """The final state ``(1, 2**n)`` of ``run`` (one row) as a tensor of ``dtype`` (real part of a
    real dtype)."""
    psi = torch.from_numpy(final_state(detail.schedule, run.angles.detach().to(torch.float64).numpy(), dtype))
    return (psi if dtype.is_complex else psi.real.to(dtype))[None]


def need(run: Run, diff: str, detail: Any) -> Need:
    """The state, in blocks and then in place in the standard order (:attr:`Plan.states`)."""
    return Need(run.prog.circuit.n_wires, detail.states, "forward")


def evaluate(
    run: Run, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> torch.Tensor:
    """Expectation values ``(1, n_obs)`` of the state of ``detail`` (a :class:`Plan`); no gradient."""
    values: torch.Tensor = plan.expval(state(detail, run, dtype))
    return values


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
