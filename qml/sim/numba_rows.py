"""Small registers, one row or 8 rows side by side, in compiled loops: values and adjoint gradients.

On a few qubits a training step is a few hundred torch (or NumPy) operations on tiny arrays,
each microseconds of dispatch for nanoseconds of arithmetic; with an input read in every
layer (data re-uploading) no shared tail collapses it (a 4-qubit, 4-layer step at a batch of
512 took 5 ms). This method runs each row of the batch through the whole circuit in a
compiled loop (:mod:`qml.sim._numba_kernels`, numba), its ``2**n`` amplitudes in a scratch
vector that stays in cache:

* the circuit becomes :class:`Kernel` units: chains of one-qubit gates on one wire (applied
  as their 2x2 product, one pass), single multi-qubit gates (up to 3 wires), runs of
  permutation gates (CNOT, SWAP, Toffoli: one gather) and of +-1 diagonal gates (CZ: one
  multiply);
* every gate matrix is its exact Fourier table (:mod:`qml.sim.dense_tail`) evaluated at
  ``exp(i theta / 2)`` of the row's angles, so nothing of batch size is built outside the loop;
* forward: the final state of each row and ``<psi|H_k|psi>`` from the observables' flip groups;
* backward (adjoint differentiation, Jones & Gacon 2020): ``lam = sum_k g_k H_k psi``, swept back
  with the state; a chain's gradients come from one 2x2 reduction of ``|phi><lam|`` carried
  through its gates by two 2x2 products each. The result is the gradient of every angle of every row;
  torch's autograd takes it to the weights and inputs (:meth:`Program.angles`).

A batch of ``tuning.numba_rows_lane_rows`` rows or more runs them side by side, ``LANES`` at a
time: each pass is one loop of vector instructions over the group's rows (each with its own
gate matrices; a chain of ``RX``/``RY``/``RZ`` is multiplied and differentiated in vector loops
too), 2-3x faster than row by row (the route's reason says so). Rows (or groups) are split over
``torch.get_num_threads()`` Python threads (the loops release the GIL) when the batch has work
enough (``tuning.numba_rows_thread_amplitudes``).

Needs numba (the ``fast`` extra); without it the method is never taken under ``"auto"`` and
``methods={"numba_rows": "always"}`` says how to install it. On the CPU, outside ``torch.func``;
every gate needs a Fourier table (at most 3 angles and 3 wires). States are computed in
complex128 whatever the dtype (values and gradients come back in the dtype asked for; a real
circuit's values and gradients are real, as on the other routes): rows are small, and complex64
rows were 2-4 % slower (conversions inside the loops).
Second derivatives (``create_graph=True``) differentiate the torch full state under
``diff="auto"`` and are refused under ``diff="adjoint"``, as there.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W, X
    >>> from qml.sim.simulator import Simulator
    >>> c = Circuit(2).add("RX", 0, X(0)).add("RY", 1, W(0)).add("CNOT", (0, 1)).add("RX", 1, X(1))
    >>> w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    >>> x = torch.rand(16, 2, dtype=torch.float64)
    >>> fast = Simulator(methods={"numba_rows": "always"})
    >>> fast.explain(c, "Z0 Z1 + Y1", w, x).measure
    'rows (numba)'
    >>> (g_fast,) = torch.autograd.grad(fast.expval(c, "Z0 Z1 + Y1", w, x).sum(), w)
    >>> slow = Simulator(methods={"numba_rows": "never"})
    >>> (g_slow,) = torch.autograd.grad(slow.expval(c, "Z0 Z1 + Y1", w, x).sum(), w)
    >>> bool(torch.allclose(g_fast, g_slow))
    True
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from qml.errors import ConfigError
from qml.sim import dense_tail as dt
from qml.sim.evaluation import Evaluator, Guard, Need, Run
from qml.sim.fusion import PERM_GATES, SIGN_GATES, perm_destination, sign_vector
from qml.sim.numpy_state import observable_arrays, recompute_grad
from qml.sim.observables import ObservablePlan
from qml.sim.program import Program
from qml.sim.tuning import tuning

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

log = logging.getLogger(__name__)

Tensor = torch.Tensor
#: The ``Route.measure`` of this method.
MEASURE = "rows (numba)"
#: Widest gate the kernels apply as a matrix.
MAX_GATE_WIRES = 3
#: Widest register the method takes when forced (``numba_rows="always"``).
MAX_WIRES = 20

#: Rows per lane group of the lane kernels (their ``W``).
LANES = 8

CHAIN, GATE, PERM, SIGN = 0, 1, 2, 3
#: Gates whose matrix the kernels write from ``exp(i theta / 2)`` directly (their code in ``Kernel.rot``).
ROTATIONS = {"RX": 1, "RY": 2, "RZ": 3}


def available() -> bool:
    """Whether numba is installed (the ``fast`` extra), without importing it."""
    return importlib.util.find_spec("numba") is not None


def require(method: str = "numba_rows") -> None:
    """Raise :class:`~qml.errors.ConfigError` saying how to install numba when it is missing
    (``method``: the ``Methods`` field forced to ``"always"``)."""
    if not available():
        raise ConfigError(
            f"methods {method}='always' needs numba, which is not installed; install the fast extra "
            f"(pip install 'qml-circuits[fast]') or leave {method}='auto'"
        )


@functools.cache
def compiled(module: str) -> Any:
    """The module of compiled loops ``module`` (numba), imported on first use and logged: the first
    call in a fresh install compiles them (5-10 s), later ones read them from numba's cache."""
    log.info(
        "loading the compiled loops of %s (numba): the first call in a fresh install compiles "
        "them (5-10 s), later ones read them from numba's cache",
        module,
    )
    return importlib.import_module(module)


def _kernels() -> Any:
    return compiled("qml.sim._numba_kernels")


@dataclass(frozen=True)
class Kernel:
    """A circuit as arrays for the compiled loops (see the module docstring).

    Units ``u``: ``kind[u]`` (chain, gate, permutation, sign), ``arg[u]`` (chain: first entry in
    ``chain``; gate: its entry; permutation / sign: its row of ``perms`` / ``signs``), ``length[u]``
    and ``wire[u]`` (chains). Gate entries ``g``: ``k`` wires ``wires[g]`` (in the gate's order),
    ``p`` angles in columns ``slots[g]`` of the angle table, Fourier rows ``tab[g] ..
    tab[g] + nf[g]`` of ``coefs`` ``(R, 64)`` and ``freqs`` ``(R, 3)``, matrix size ``dim[g]``,
    ``rot[g]`` its code in :data:`ROTATIONS` (0: evaluated from the Fourier rows).
    """

    n: int
    n_slots: int
    kind: np.ndarray
    arg: np.ndarray
    length: np.ndarray
    wire: np.ndarray
    chain: np.ndarray
    k: np.ndarray
    wires: np.ndarray
    tab: np.ndarray
    nf: np.ndarray
    p: np.ndarray
    slots: np.ndarray
    dim: np.ndarray
    rot: np.ndarray
    coefs: np.ndarray
    freqs: np.ndarray
    perms: np.ndarray
    signs: np.ndarray
    max_chain: int

    @property
    def units(self) -> int:
        """How many units one row passes through."""
        return int(self.kind.size)

    def arrays(self) -> tuple[Any, ...]:
        """The kernel's arrays as the compiled loops take them (their argument ``kern``)."""
        return (
            self.kind,
            self.arg,
            self.length,
            self.wire,
            self.chain,
            self.k,
            self.wires,
            self.tab,
            self.nf,
            self.p,
            self.slots,
            self.dim,
            self.rot,
            self.coefs,
            self.freqs,
            self.perms,
            self.signs,
            self.max_chain,
        )


class _Builder:
    """Collects units and gate entries in circuit order (see :func:`build`)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.units: list[tuple[int, int, int, int]] = []  # kind, arg, length, wire
        self.chain: list[int] = []
        self.open: dict[int, list[int]] = {}  # wire -> its open chain's entries
        self.entries: list[tuple[int, tuple[int, ...], int, int, int, tuple[int, ...], int]] = []
        self.coefs: list[np.ndarray] = []
        self.freqs: list[tuple[int, ...]] = []
        self.perms: list[np.ndarray] = []
        self.signs: list[np.ndarray] = []

    def entry(
        self,
        wires: tuple[int, ...],
        coef: np.ndarray,
        freqs: list[tuple[int, ...]],
        slots: tuple[int, ...],
        rot: int = 0,
    ) -> int:
        dim = 2 ** len(wires)
        self.entries.append((len(wires), wires, len(self.coefs), len(freqs), dim, slots, rot))
        for row, f in zip(coef, freqs, strict=True):
            padded = np.zeros(64, dtype=np.complex128)
            padded[: dim * dim] = row
            self.coefs.append(padded)
            self.freqs.append(f + (0,) * (3 - len(f)))
        return len(self.entries) - 1

    def fourier_entry(self, wires: tuple[int, ...], name: str, slot: int, n_params: int) -> int:
        """The entry of gate ``name`` from its Fourier table over angle slots ``slot ..``, or -1
        when it has none."""
        table = dt._fourier(name)
        if table is None:
            return -1
        freqs = [tuple(f) for f in itertools.product(*table.freqs)]
        slots = tuple(range(slot, slot + n_params))
        return self.entry(wires, table.coef, freqs, slots, ROTATIONS.get(name, 0))

    def const_entry(self, wires: tuple[int, ...], matrix: np.ndarray) -> int:
        """The entry of a constant matrix."""
        return self.entry(wires, matrix.reshape(1, -1), [()], ())

    def close(self, wires: tuple[int, ...]) -> None:
        for w in wires:
            entries = self.open.pop(w, None)
            if entries:
                self.units.append((CHAIN, len(self.chain), len(entries), w))
                self.chain += entries

    def perm(self, dest: np.ndarray) -> None:
        if self.units and self.units[-1][0] == PERM:  # compose with the run before
            self.perms[-1] = dest[self.perms[-1]]
        else:
            self.units.append((PERM, len(self.perms), 0, -1))
            self.perms.append(dest)

    def sign(self, vec: np.ndarray) -> None:
        if self.units and self.units[-1][0] == SIGN:
            self.signs[-1] = self.signs[-1] * vec
        else:
            self.units.append((SIGN, len(self.signs), 0, -1))
            self.signs.append(vec)

    def kernel(self, n_slots: int) -> Kernel:
        self.close(tuple(sorted(self.open)))
        ent = self.entries

        def ints(values: list[int]) -> np.ndarray:
            return np.asarray(values, dtype=np.int64)

        def padded(rows: list[tuple[int, ...]]) -> np.ndarray:
            out = np.zeros((max(len(rows), 1), MAX_GATE_WIRES), dtype=np.int64)
            for i, r in enumerate(rows):
                out[i, : len(r)] = r
            return out

        lengths = [u[2] for u in self.units if u[0] == CHAIN]
        return Kernel(
            n=self.n,
            n_slots=n_slots,
            kind=ints([u[0] for u in self.units]),
            arg=ints([u[1] for u in self.units]),
            length=ints([u[2] for u in self.units]),
            wire=ints([u[3] for u in self.units]),
            chain=ints(self.chain or [0]),
            k=ints([e[0] for e in ent] or [0]),
            wires=padded([e[1] for e in ent]),
            tab=ints([e[2] for e in ent] or [0]),
            nf=ints([e[3] for e in ent] or [0]),
            p=ints([len(e[5]) for e in ent] or [0]),
            slots=padded([e[5] for e in ent]),
            dim=ints([e[4] for e in ent] or [1]),
            rot=ints([e[6] for e in ent] or [0]),
            coefs=np.stack(self.coefs) if self.coefs else np.zeros((1, 64), dtype=np.complex128),
            freqs=padded(self.freqs),
            perms=np.stack(self.perms) if self.perms else np.zeros((1, 1), dtype=np.int64),
            signs=np.stack(self.signs) if self.signs else np.ones((1, 1)),
            max_chain=max(lengths, default=1),
        )


def build(prog: Program) -> Kernel | None:
    """The kernel of ``prog``, or ``None`` when a gate has no Fourier table or more than 3 wires."""
    n = prog.circuit.n_wires
    b = _Builder(n)
    for st in prog.steps:
        op = st.op
        wires = tuple(op.wires)
        # a permutation or sign gate closes every open chain, so that a run of them (a CNOT
        # ladder, a brick of CZ) is one unit: one pass instead of one per gate
        if len(wires) >= 2 and st.slot < 0 and op.name in PERM_GATES:
            b.close(tuple(sorted(b.open)))
            b.perm(perm_destination(n, [op]))
            continue
        if len(wires) >= 2 and st.slot < 0 and op.name in SIGN_GATES:
            b.close(tuple(sorted(b.open)))
            b.sign(sign_vector(n, [op]))
            continue
        if len(wires) > MAX_GATE_WIRES:
            return None
        if st.slot < 0:
            g = b.const_entry(wires, dt._const_matrix(op))
        else:
            g = b.fourier_entry(wires, op.name, st.slot, st.n_params)
            if g < 0:
                return None
        if len(wires) == 1:
            b.open.setdefault(wires[0], []).append(g)
        else:
            b.close(wires)
            b.units.append((GATE, g, 0, -1))
    return b.kernel(prog.n_slots)


def kernel_of(prog: Program) -> Kernel | None:
    """:func:`build`, cached on the program."""
    return prog.cache.get(("numba_rows", "kernel"), lambda: build(prog))


@dataclass(frozen=True)
class Plan:
    """What the route hands this method: the kernel and whether second derivatives are owed
    (``diff="auto"``: yes, by the torch full state; ``diff="adjoint"``: refused)."""

    kernel: Kernel
    second_order: bool
    states: int = 2  # states of the route's dtype held: 2 complex128 ones per row, whatever the dtype
    lanes: bool = False  # rows side by side in groups of LANES (see :func:`use_lanes`)


def use_lanes(rows: int) -> bool:
    """Whether rows run side by side, ``LANES`` at a time, each pass one loop of vector instructions
    over the group (``tuning.numba_rows_lane_rows`` rows or more); else each row on its own."""
    return rows >= tuning("cpu").numba_rows_lane_rows


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """One thread pool per thread count, made on first use."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="qml-numba-rows")


def split_run(fn: Any, groups: int, amplitudes: int, args: tuple[Any, ...]) -> None:
    """``fn(g0, g1, *args)`` over ``[0, groups)`` (rows, or lane groups of rows), split over torch's
    thread count when the rows hold ``tuning.numba_rows_thread_amplitudes`` amplitudes or more."""
    threads = min(torch.get_num_threads(), groups)
    if threads <= 1 or amplitudes < tuning("cpu").numba_rows_thread_amplitudes:
        fn(0, groups, *args)
        return
    pool = _pool(threads - 1)
    cuts = np.linspace(0, groups, threads + 1).astype(int)
    futures = [pool.submit(fn, int(a), int(b), *args) for a, b in itertools.pairwise(cuts[1:])]
    fn(0, int(cuts[1]), *args)  # the first range on the calling thread
    for f in futures:
        f.result()


def _half_phases(a: np.ndarray, run: Run) -> np.ndarray:
    """``exp(i a / 2)`` of the angle table. With one weight row the slots that read no input
    are computed once and broadcast, and slots of the same input angle (a re-uploaded
    ``RX(x_i)``) once per row: a 4-layer re-uploading circuit needs 1/12 of the table."""
    rows = a.shape[0]
    slots, unique, inverse = run.prog.input_slots()
    if rows == 1 or not run.shared or 2 * slots.size > a.shape[1]:
        return dt._expi(0.5 * a)
    ea = np.empty(a.shape, dtype=np.complex128)
    ea[:] = dt._expi(0.5 * a[0])
    if slots.size:
        ea[:, slots] = dt._expi(0.5 * a[:, unique])[:, inverse]
    return ea


def _float64(t: Tensor) -> np.ndarray:
    """``t`` as a float64 array, converted by NumPy: a torch conversion of a batch-sized table
    runs on torch's OpenMP threads, which then spin and take the core from the rows' second
    thread (complex64 steps were 1.7x slower than complex128 ones through that alone)."""
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def _as(a: np.ndarray, dtype: torch.dtype) -> Tensor:
    """``a`` as a tensor of ``dtype``, converted by NumPy (see :func:`_float64`)."""
    return torch.from_numpy(a.astype(dt.numpy_dtype(dtype), copy=False))


class _RowsExpval(torch.autograd.Function):
    """Values by the compiled forward loop; angle gradients by the compiled adjoint sweep."""

    @staticmethod
    def forward(
        ctx: Any, angles: Tensor, run: Run, detail: Plan, plan: ObservablePlan, dtype: torch.dtype
    ) -> Tensor:
        kern = detail.kernel
        ea = _half_phases(_float64(angles), run)
        idx, diag = observable_arrays(plan, np.dtype(np.complex128))
        rows = ea.shape[0]
        e = np.empty((rows, plan.n_obs))
        # complex128 (or its float64 parts) whatever the dtype (see the module docstring)
        args: tuple[Any, ...]
        if detail.lanes:
            groups = -(-rows // LANES)  # lane groups: real parts, then imaginary parts
            psi = np.empty((groups, 2**kern.n, 2 * LANES))
            args = (rows, kern.n, ea, kern.arrays(), idx, diag, psi, e)
            split_run(_kernels().forward_lanes, groups, rows * 2**kern.n, args)
        else:
            psi = np.empty((rows, 2**kern.n), dtype=np.complex128)
            args = (kern.n, ea, kern.arrays(), idx, diag, psi, e)
            split_run(_kernels().forward_rows, rows, rows * 2**kern.n, args)
        ctx.save_for_backward(angles)
        ctx.state = (ea, psi)
        ctx.run, ctx.detail, ctx.plan, ctx.dtype = run, detail, plan, dtype
        out = _as(e, angles.dtype if angles.is_floating_point() else torch.float64)
        return out.expand(run.batch, -1) if rows != run.batch else out

    @staticmethod
    def backward(ctx: Any, grad_e: Tensor) -> tuple[Tensor | None, ...]:
        (angles,) = ctx.saved_tensors
        if torch.is_grad_enabled():
            grad = recompute_grad(ctx.run, angles, ctx.plan, ctx.dtype, grad_e, ctx.detail.second_order)
            return grad, None, None, None, None
        kern = ctx.detail.kernel
        ea, psi = ctx.state
        rows = ea.shape[0]
        g = _float64(grad_e)
        if g.shape[0] != rows:  # one row of angles served the whole batch
            g = g.sum(0, keepdims=True)
        idx, diag = observable_arrays(ctx.plan, np.dtype(np.complex128))
        out = np.empty((rows, kern.n_slots))
        g = np.ascontiguousarray(g)
        args: tuple[Any, ...]
        if ctx.detail.lanes:
            args = (rows, kern.n, ea, kern.arrays(), idx, diag, psi, g, out)
            split_run(_kernels().backward_lanes, psi.shape[0], rows * 2**kern.n, args)
        else:
            args = (kern.n, ea, kern.arrays(), idx, diag, psi, g, out)
            split_run(_kernels().backward_rows, rows, rows * 2**kern.n, args)
        return _as(out, angles.dtype), None, None, None, None


def need(run: Run, diff: str, detail: Any) -> Need:
    """The final state of every row (kept for the backward sweep) and a scratch row: 2 complex128
    states, counted in states of the route's dtype (:attr:`Plan.states`)."""
    return Need(run.prog.circuit.n_wires, detail.states, "adjoint" if diff == "adjoint" else "forward")


def evaluate(
    run: Run, plan: ObservablePlan, dtype: torch.dtype, diff: str, detail: Any, guard: Guard
) -> Tensor:
    """Expectation values ``(B, n_obs)``; ``detail`` is the :class:`Plan`."""
    result: Tensor = _RowsExpval.apply(run.angles, run, detail, plan, dtype)  # type: ignore[no-untyped-call]
    return result


#: This method's one signature (:class:`qml.sim.evaluation.Evaluator`).
EVALUATOR = Evaluator(MEASURE, need, evaluate)
