"""Gate application on a matrix-product state: contraction, truncated SVD, canonical form, SWAP routing.

* One-qubit gates are contracted into their site (a unitary on the physical leg keeps an
  isometry an isometry).
* A gate on ``k >= 2`` wires first brings its wires together: SWAPs move each wire next
  to the leftmost one (and back afterwards), so long-range and 3-4 qubit gates
  (``Toffoli``, ``DoubleExcitation``, ``Unitary``) work like neighbouring ones. The block of
  sites is contracted into one tensor ``(chi_l, 2**k, chi_r)``, the gate matrix applied,
  and the tensor split back into ``k`` sites by successive SVDs (:func:`split`), each
  truncated to ``bond_dim`` singular values and those below ``cutoff`` times their norm.
* Before a split that may truncate, the chain is made canonical around the block (every
  site left of it a left isometry, right of it a right isometry, by QR or SVD sweeps over
  the sites that are not yet): the block is then the orthogonality centre, the truncation
  drops the smallest Schmidt values (optimal) and the discarded weight is exact. Each site
  carries a flag (``L``/``R`` isometry, ``B`` both, ``C`` neither) so only the sites that
  need it are swept.
* Gradients (``Truncation.for_gradients``): at a low-rank state (a product state, zero
  angles) the derivative of the state points along the zero singular values, and a
  centre move (factoring a rank-deficient site into a non-square isometry) loses those
  directions, while :func:`split` keeps the SVD's square unitary factor and is exact.
  So :func:`evolve` first runs without truncating at all: zero singular values kept, no
  centre moves, the chain not canonical. Gradients of that run are exact everywhere (the
  SVD backward drops the terms that mix kept vectors, which vanish for it, instead of
  amplifying their rounding errors: ``gauge`` of :func:`qml.mps.svd.truncated_svd`). If a
  split would exceed ``bond_dim`` (a bond of that many singular values, zero or not), the
  run restarts in canonical form with the cutoff: its gradient is the gradient of the
  truncated state at generic points (to about 1e-7 where the truncation is small and
  smooth), but may miss directions at exactly low-rank ones. Values are the same either way.

Cost: a two-site gate on bonds ``chi`` costs one SVD of a ``2 chi x 2 chi`` matrix,
``O(chi^3)``; a gate across distance ``d`` adds ``2 (d - 1)`` SWAPs. Consecutive gates on the
same bond (and one-qubit gates next to them) are multiplied into one matrix first
(:class:`_Fuser`), so ``RXX RYY RZZ`` on a bond costs one SVD.

Example:
    >>> import torch
    >>> from qml.gates import op_matrix
    >>> from qml.ir import Op
    >>> from qml.mps.state import MPS
    >>> mps = MPS.product(3)
    >>> t = Truncation(bond_dim=4)
    >>> apply_gate(mps, (0,), op_matrix(Op("H", (0,))), t)
    >>> apply_gate(mps, (0, 2), op_matrix(Op("CNOT", (0, 1))), t)  # across wire 1
    >>> mps.to_dense().real.round(decimals=4).tolist()
    [0.7071, 0.0, 0.0, 0.0, 0.0, 0.7071, 0.0, 0.0]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import torch

from qml.gates import op_matrix
from qml.ir import Circuit, Op
from qml.mps.state import MPS
from qml.mps.svd import truncated_svd
from qml.sim.program import compile_circuit

Tensor = torch.Tensor
log = logging.getLogger(__name__)

#: A QR factor whose smallest diagonal entry is below this times its largest counts as singular.
QR_RCOND = 1e-8


@dataclass(frozen=True)
class Truncation:
    """How SVD splits truncate.

    Attributes:
        bond_dim: Most singular values kept per bond.
        cutoff: Singular values below ``cutoff * ||s||`` are dropped (unless ``for_gradients``).
        for_gradients: A run whose gradient is taken: nothing is truncated (zero singular
            values are kept) and the centre does not move; :class:`Chain` raises
            :class:`Truncates` where ``bond_dim`` would not suffice (module docstring).
        eps: Broadening of the SVD backward (default: by precision, :func:`qml.mps.svd.default_eps`).

    Example:
        >>> Truncation(bond_dim=8).cutoff
        1e-12
    """

    bond_dim: int
    cutoff: float = 1e-12
    for_gradients: bool = False
    eps: float | None = None


def n_kept(s: Tensor, trunc: Truncation) -> int:
    """How many of the (descending) singular values ``s`` a split keeps (at least 1).

    Example:
        >>> import torch
        >>> n_kept(torch.tensor([1.0, 0.5, 1e-15]), Truncation(bond_dim=8))
        2
    """
    if trunc.for_gradients:
        return max(1, min(s.shape[-1], trunc.bond_dim))
    norm = torch.linalg.vector_norm(s)
    k = int((s > trunc.cutoff * norm).sum())
    return max(1, min(k, trunc.bond_dim))


def _discarded(s: Tensor, k: int) -> float:
    """Share of the squared norm in the singular values after the first ``k``."""
    if k >= s.shape[-1]:
        return 0.0
    s2 = s.detach().abs() ** 2
    total = float(s2.sum())
    return float(s2[k:].sum()) / total if total > 0 else 0.0


def split(theta: Tensor, trunc: Truncation, center: str = "auto") -> tuple[Tensor, Tensor, bool, float]:
    """Truncated factorisation ``theta ~ left @ right`` with one isometric factor.

    The isometry is a block of the SVD's singular vectors; the other factor is computed
    as a projection of ``theta`` on it (``U_k^H theta`` or ``theta V_k``, equal to
    ``S_k V_k^H`` or ``U_k S_k``), so gradients flow through ``theta`` and the isometry only.

    Args:
        theta: ``(m, n)`` matrix.
        trunc: Truncation settings.
        center: Where the non-isometric factor (the orthogonality centre) goes: ``"right"``
            (``left`` is a left isometry), ``"left"`` (``right`` is a right isometry) or
            ``"auto"``: the side whose isometry is a square unitary (``m <= n``: right),
            whose gradient is exact even at zero or equal singular values.

    Returns:
        ``(left (m, k), right (k, n), center_is_right, discarded_weight)``.

    Example:
        >>> import torch
        >>> theta = torch.tensor([[1.0, 0.0], [0.0, 1e-20]], dtype=torch.float64)
        >>> left, right, to_right, w = split(theta, Truncation(bond_dim=2))
        >>> tuple(left.shape), to_right, w
        ((2, 1), True, 1e-40)
    """
    m, n = theta.shape
    # the kept vectors enter only through their span: left @ right is the projection of theta
    u, s, vh = truncated_svd(theta, lambda s: n_kept(s, trunc), trunc.eps, gauge=trunc.for_gradients)
    k = u.shape[1]
    to_right = m <= n if center == "auto" else center == "right"
    if to_right:
        left = u
        right = left.mH @ theta
    else:
        right = vh
        left = theta @ right.mH
    return left, right, to_right, _discarded(s, k)


def left_orth(x: Tensor, trunc: Truncation) -> tuple[Tensor, Tensor, float]:
    """``x = q @ c`` with ``q`` a left isometry (orthonormal columns).

    QR when its ``R`` factor is well conditioned; otherwise (a rank-deficient ``x``, on which
    the QR backward divides by zero, or subnormal entries, on which LAPACK's QR returns NaN)
    the SVD, with ``q`` square when ``x`` is wide. Singular values below the cutoff are
    dropped there unless ``trunc.for_gradients``.

    Returns:
        ``(q, c, discarded_weight)``.

    Example:
        >>> import torch
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]], dtype=torch.float64)
        >>> q, c, w = left_orth(x, Truncation(bond_dim=4))
        >>> torch.allclose(q @ c, x), torch.allclose(q.mT @ q, torch.eye(2, dtype=torch.float64)), w
        (True, True, 0.0)
    """
    m, n = x.shape
    if m > n:
        q, r = torch.linalg.qr(x)
        d = r.detach().diagonal().abs()
        # subnormal entries (angles like 1e-300 * x) make Householder QR return NaN: use the SVD then
        if float(d.min()) > QR_RCOND * float(d.max()) and bool(torch.isfinite(q.detach()).all()):
            return q, r, 0.0

    def keep(s: Tensor) -> int:
        return s.shape[-1] if trunc.for_gradients or m <= n else n_kept(s, trunc)

    q, s, _ = truncated_svd(x, keep, trunc.eps, gauge=trunc.for_gradients)
    return q, q.mH @ x, _discarded(s, q.shape[1])


def _flags(mps: MPS) -> list[str]:
    """Per-site isometry flags from ``mps.center`` (``None``: nothing known); unit product sites are ``B``."""
    n = mps.n_wires
    c = mps.center
    flags = ["C"] * n if c is None else ["L"] * c + ["C"] + ["R"] * (n - c - 1)
    for j, a in enumerate(mps.tensors):
        if a.shape[0] == a.shape[2] == 1 and abs(float(torch.linalg.vector_norm(a.detach())) - 1) < 1e-12:
            flags[j] = "B"
    return flags


def _center(flags: list[str]) -> int | None:
    """A site with only left isometries before it and right isometries after it, if any."""
    n = len(flags)
    lead = 0  # flags[:c] are all L/B  <=>  c <= lead
    while lead < n and flags[lead] in "LB":
        lead += 1
    trail = n  # flags[c + 1:] are all R/B  <=>  c + 1 >= trail
    while trail > 0 and flags[trail - 1] in "RB":
        trail -= 1
    c = max(trail - 1, 0)
    return c if c <= min(lead, n - 1) else None


class Truncates(Exception):
    """Raised by a :class:`Chain` for gradients when a split would have to truncate."""


class Chain:
    """An MPS being evolved: its tensors, per-site isometry flags and truncation settings.

    With ``trunc.for_gradients`` the chain never truncates and never moves the centre; a
    gate that would need more than ``bond_dim`` singular values raises :class:`Truncates`
    (:func:`evolve` then reruns the circuit in canonical form).

    Args:
        mps: The state; its tensors and truncation record are updated in place.
        trunc: Truncation settings.

    Example:
        >>> from qml.gates import op_matrix
        >>> from qml.ir import Op
        >>> ch = Chain(MPS.product(2), Truncation(bond_dim=2))
        >>> ch.apply_gate((0,), op_matrix(Op("X", (0,))))
        >>> ch.finish().to_dense().real.tolist()
        [0.0, 0.0, 1.0, 0.0]
    """

    def __init__(self, mps: MPS, trunc: Truncation) -> None:
        self.mps = mps
        self.t = mps.tensors
        self.trunc = trunc
        self.flags = _flags(mps)

    def finish(self) -> MPS:
        """The MPS with its ``center`` set (``None`` when the chain is not in mixed canonical form)."""
        self.mps.center = _center(self.flags)
        return self.mps

    def _record(self, weight: float) -> None:
        if weight > 0:
            self.mps.truncation_error += weight
            self.mps.truncation_angle += math.asin(math.sqrt(min(weight, 1.0)))

    # -- canonical form -------------------------------------------------------------------
    def _orth_right(self, c: int) -> None:
        """Make site ``c`` a left isometry, pushing the rest into site ``c + 1``."""
        t = self.t
        chi_l, _, chi_r = t[c].shape
        q, r, w = left_orth(t[c].reshape(chi_l * 2, chi_r), self.trunc)
        t[c] = q.reshape(chi_l, 2, -1)
        t[c + 1] = torch.tensordot(r, t[c + 1], dims=([1], [0]))
        self._record(w)
        self.flags[c] = "L"
        self.flags[c + 1] = "C"

    def _orth_left(self, c: int) -> None:
        """Make site ``c`` a right isometry, pushing the rest into site ``c - 1``."""
        t = self.t
        chi_l, _, chi_r = t[c].shape
        q, r, w = left_orth(t[c].reshape(chi_l, 2 * chi_r).mH, self.trunc)  # x^H = q r: x = r^H q^H
        t[c] = q.mH.reshape(-1, 2, chi_r)
        t[c - 1] = torch.tensordot(t[c - 1], r.mH, dims=([2], [0]))
        self._record(w)
        self.flags[c] = "R"
        self.flags[c - 1] = "C"

    def canonicalize(self, start: int, end: int) -> None:
        """Make every site before ``start`` a left and every site after ``end`` a right isometry.

        Example:
            >>> ch = Chain(MPS.product(3), Truncation(bond_dim=2))
            >>> ch.canonicalize(2, 2)
            >>> ch.finish().center
            0
        """
        f = self.flags
        first = next((j for j in range(start) if f[j] not in "LB"), start)
        for j in range(first, start):
            self._orth_right(j)
        last = next((j for j in range(len(f) - 1, end, -1) if f[j] not in "RB"), end)
        for j in range(last, end, -1):
            self._orth_left(j)

    # -- gates -------------------------------------------------------------------------------
    def _exceeds(self, start: int, k: int) -> bool:
        """Whether splitting the block may give a bond of more than ``bond_dim`` singular values."""
        chi_l, chi_r = self.t[start].shape[0], self.t[start + k - 1].shape[2]
        return any(min(chi_l * 2**j, chi_r * 2 ** (k - j)) > self.trunc.bond_dim for j in range(1, k))

    def apply_block(self, start: int, k: int, matrix: Tensor | None) -> None:
        """Apply a ``k``-qubit matrix to the neighbouring sites ``start .. start + k - 1``.

        ``matrix`` is ``(2**k, 2**k)`` in the sites' order (the first site the most
        significant bit); ``None`` swaps two sites. The sites are contracted into one
        tensor, the matrix applied and the tensor split back by successive truncated SVDs.

        Example:
            >>> from qml.gates import op_matrix
            >>> from qml.ir import Op
            >>> ch = Chain(MPS.product(2), Truncation(bond_dim=2))
            >>> ch.apply_gate((0,), op_matrix(Op("X", (0,))))
            >>> ch.apply_block(0, 2, None)  # SWAP: |10> -> |01>
            >>> ch.finish().to_dense().real.tolist()
            [0.0, 1.0, 0.0, 0.0]
        """
        t, f = self.t, self.flags
        end = start + k - 1
        canonical = not self.trunc.for_gradients
        if canonical:
            self.canonicalize(start, end)
        elif self._exceeds(start, k):
            raise Truncates(f"a gate on sites {start}..{end} needs more than bond_dim={self.trunc.bond_dim}")
        theta = t[start]
        for j in range(start + 1, end + 1):
            theta = torch.tensordot(theta, t[j], dims=([theta.dim() - 1], [0]))
        chi_l, chi_r = theta.shape[0], theta.shape[-1]
        if matrix is None:
            theta = theta.transpose(1, 2)
        else:
            theta = torch.einsum("st,atb->asb", matrix, theta.reshape(chi_l, 2**k, chi_r))
        rest = theta.reshape(chi_l, -1, chi_r)
        left_dim = chi_l
        for j in range(k - 1):
            # canonical: the remaining sites stay the centre, so each truncation is optimal
            side = "right" if canonical and j < k - 2 else "auto"
            left, right, to_right, w = split(rest.reshape(left_dim * 2, -1), self.trunc, side)
            self._record(w)
            t[start + j] = left.reshape(left_dim, 2, -1)
            left_dim = left.shape[1]
            self.mps.max_bond = max(self.mps.max_bond, left_dim)
            rest = right.reshape(left_dim, -1, chi_r)
            f[start + j] = "L" if to_right else "C"
            f[start + j + 1] = "C" if to_right else "R"
        t[end] = rest.reshape(left_dim, 2, chi_r)

    def apply_gate(self, wires: Sequence[int], matrix: Tensor | None) -> None:
        """Apply a gate on any wires: SWAPs gather them next to the leftmost one, and back.

        Args:
            wires: The gate's wires in its own order (the first the most significant bit of ``matrix``).
            matrix: ``(2**k, 2**k)`` gate matrix; ``None`` for a SWAP of two wires.

        Example:
            >>> from qml.gates import op_matrix
            >>> from qml.ir import Op
            >>> ch = Chain(MPS.product(3), Truncation(bond_dim=4))
            >>> ch.apply_gate((2,), op_matrix(Op("X", (0,))))
            >>> ch.apply_gate((2, 0), op_matrix(Op("CNOT", (0, 1))))
            >>> int(ch.finish().to_dense().abs().argmax())  # |101>
            5
        """
        k = len(wires)
        if k == 1:
            assert matrix is not None
            self.t[wires[0]] = torch.einsum("st,atb->asb", matrix, self.t[wires[0]])
            return
        order = sorted(range(k), key=lambda i: wires[i])
        sites = [wires[i] for i in order]
        if matrix is not None and order != list(range(k)):
            matrix = _sorted_matrix(matrix, order)
        start = sites[0]
        swaps: list[int] = []
        for m, s in enumerate(sites[1:], 1):
            for p in range(s - 1, start + m - 1, -1):
                self.apply_block(p, 2, None)
                swaps.append(p)
        self.apply_block(start, k, matrix)
        for p in reversed(swaps):
            self.apply_block(p, 2, None)


def _sorted_matrix(matrix: Tensor, order: list[int]) -> Tensor:
    """The gate matrix with its wires permuted into ``order`` (positions in the gate's wire order)."""
    k = len(order)
    m = matrix.reshape((2,) * (2 * k)).permute(*order, *(k + o for o in order))
    return m.reshape(2**k, 2**k)


def apply_gate(mps: MPS, wires: Sequence[int], matrix: Tensor | None, trunc: Truncation) -> None:
    """Apply one gate to ``mps`` in place (see :meth:`Chain.apply_gate`; always in canonical form).

    Example:
        >>> import torch
        >>> mps = MPS.product(1)
        >>> apply_gate(mps, (0,), torch.tensor([[0, 1], [1, 0]], dtype=torch.complex128), Truncation(2))
        >>> mps.to_dense().real.tolist()
        [0.0, 1.0]
    """
    chain = Chain(mps, replace(trunc, for_gradients=False))
    chain.apply_gate(wires, matrix)
    chain.finish()


@lru_cache(maxsize=4096)
def _fixed_matrix(op: Op, dtype: torch.dtype, device: str) -> Tensor:
    """The matrix of an op whose angles are all constant (cached)."""
    return op_matrix(op, None, dtype).to(device)


def evolve(
    circuit: Circuit,
    angles: Tensor,
    trunc: Truncation,
    dtype: torch.dtype = torch.complex128,
    device: str | torch.device = "cpu",
) -> MPS:
    """Run a circuit from ``|0...0>``: one row of gate angles ``(n_slots,)`` in, the final MPS out.

    ``angles`` are the columns of :meth:`qml.sim.program.Program.angles` (weights and inputs
    already combined), so the result is differentiable in the weights through them. With
    ``trunc.for_gradients`` the circuit first runs without truncation and reruns in canonical
    form if ``bond_dim`` is too small for that (module docstring).

    Example:
        >>> import torch
        >>> from qml.ir import Circuit, W
        >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
        >>> mps = evolve(c, torch.tensor([torch.pi / 2], dtype=torch.float64), Truncation(bond_dim=2))
        >>> mps.bond_dims(), mps.to_dense().real.round(decimals=4).tolist()
        ([2], [0.7071, 0.0, 0.0, 0.7071])
    """
    if trunc.for_gradients:
        try:
            return _run(circuit, angles, trunc, dtype, device)
        except Truncates as why:
            log.debug("%s: rerunning in canonical form", why)
            trunc = replace(trunc, for_gradients=False)
    return _run(circuit, angles, trunc, dtype, device)


class _Fuser:
    """Merges consecutive gates on the same one or two wires into one matrix before they reach the chain.

    ``RXX RYY RZZ`` on a bond (the Heisenberg HVA), or one-qubit gates next to a two-qubit gate
    on their wire, become one two-qubit gate: one SVD instead of three. A gate on other wires,
    a SWAP or a gate on three or more wires flushes the pending one first; the order of
    non-commuting gates is kept, so the state is the same.
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.wires: tuple[int, ...] = ()
        self.matrix: Tensor | None = None

    def flush(self) -> None:
        if self.wires:
            self.chain.apply_gate(self.wires, self.matrix)
        self.wires, self.matrix = (), None

    def add(self, wires: tuple[int, ...], m: Tensor) -> None:
        pending = self.wires
        if len(wires) > 2 or (pending and not set(wires) & set(pending)):
            self.flush()
            pending = ()
        if not pending:
            if len(wires) > 2:
                self.chain.apply_gate(wires, m)
            else:
                self.wires, self.matrix = wires, m
            return
        assert self.matrix is not None
        if len(set(wires) | set(pending)) > 2:  # overlaps on one wire, reaches a third
            self.flush()
            self.wires, self.matrix = wires, m
            return
        target = pending if len(pending) >= len(wires) else wires
        self.matrix = _embed(m, wires, target) @ _embed(self.matrix, pending, target)
        self.wires = target


def _embed(m: Tensor, wires: tuple[int, ...], target: tuple[int, ...]) -> Tensor:
    """``m`` on ``wires`` as a matrix on ``target`` (two wires; ``wires`` a subset or a permutation)."""
    if wires == target:
        return m
    eye = torch.eye(2, dtype=m.dtype, device=m.device)
    if len(wires) == 1:
        return torch.kron(m, eye) if wires[0] == target[0] else torch.kron(eye, m)
    return _sorted_matrix(m, [1, 0])  # the same two wires in the other order


def _run(
    circuit: Circuit, angles: Tensor, trunc: Truncation, dtype: torch.dtype, device: str | torch.device
) -> MPS:
    prog = compile_circuit(circuit)
    dev = str(torch.device(device))
    chain = Chain(MPS.product(circuit.n_wires, dtype, device), trunc)
    fuse = _Fuser(chain)
    for st in prog.steps:
        op = st.op
        if op.name == "I":
            continue
        if op.name == "SWAP":
            fuse.flush()
            chain.apply_gate(op.wires, None)
            continue
        if st.slot >= 0:
            m = op_matrix(op, angles[st.slot : st.slot + st.n_params], dtype)
        else:
            m = _fixed_matrix(op, dtype, dev)
        fuse.add(tuple(op.wires), m)
    fuse.flush()
    return chain.finish()


__all__ = [
    "QR_RCOND",
    "Chain",
    "Truncates",
    "Truncation",
    "apply_gate",
    "evolve",
    "left_orth",
    "n_kept",
    "split",
]
