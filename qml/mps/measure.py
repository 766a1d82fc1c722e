"""Observables of a matrix-product state: Pauli sums, correlations and entanglement entropies.

Everything is a contraction of the site tensors, differentiable by autograd, normalised
by ``<psi|psi>`` (truncation loses norm), and does not rely on the canonical form:

* :func:`expval` contracts ``<psi|P|psi>`` for each Pauli string ``P`` of a sum between
  cached left and right environments (the transfer matrices of ``<psi|psi>`` up to each
  site, built once in ``O(n chi^3)``): a string spanning sites ``a..b`` then costs
  ``O((b - a + 1) chi^3)``, so a local Hamiltonian of ``O(n)`` terms costs ``O(n chi^3)``
  in all (strings repeated across observables are contracted once).
* :func:`correlation_matrix` and :func:`magnetization` give ``<sigma^a_i sigma^a_j>`` and
  ``<sigma^a_i>`` like :mod:`qml.correlations` does for statevectors, in ``O(n^2 chi^3)``.
* :func:`entanglement_profile` gives the entropy of every cut ``[0..k-1] | [k..n-1]``
  like :func:`qml.entanglement.entanglement_profile`, from the Schmidt values of one
  canonical sweep, ``O(n chi^3)``.

Example:
    >>> import torch
    >>> from qml.ir import Circuit
    >>> from qml.mps.evolve import Truncation, evolve
    >>> bell = evolve(Circuit(2).add("H", 0).add("CNOT", (0, 1)), torch.zeros(0), Truncation(2))
    >>> float(expval(bell, "Z0 Z1 + X0 X1"))
    2.0
    >>> entanglement_profile(bell, base=2).round(decimals=6)
    tensor([1.], dtype=torch.float64)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from qml.correlations import AXES
from qml.dtypes import real_dtype
from qml.entanglement import KINDS
from qml.errors import ConfigError
from qml.mps.evolve import Truncation, left_orth
from qml.mps.state import MPS
from qml.mps.svd import safe_svd
from qml.paulis import ObservableLike, PauliString, PauliSum, as_observables

Tensor = torch.Tensor

_PAULIS = {
    "X": [[0, 1], [1, 0]],
    "Y": [[0, -1j], [1j, 0]],
    "Z": [[1, 0], [0, -1]],
}


def _pauli(letter: str, like: Tensor) -> Tensor:
    return torch.tensor(_PAULIS[letter.upper()], dtype=like.dtype, device=like.device)


def _step(env: Tensor, a: Tensor, op: Tensor | None = None) -> Tensor:
    """Left environment ``(bra, ket)`` one site further, with ``op`` on the ket's physical leg."""
    t = torch.tensordot(env, a, dims=([1], [0]))  # (bra_l, s, ket_r)
    if op is not None:
        t = torch.einsum("st,atb->asb", op, t)
    return torch.tensordot(a.conj(), t, dims=([0, 1], [0, 1]))


def _right_step(env: Tensor, a: Tensor) -> Tensor:
    """Right environment ``(bra, ket)`` one site further left."""
    t = torch.tensordot(a, env, dims=([2], [1]))  # (ket_l, s, bra_r)
    return torch.tensordot(a.conj(), t, dims=([1, 2], [1, 2]))


class Environments:
    """Left and right environments of ``<psi|psi>`` at every bond, for repeated contractions.

    ``left[j]`` contracts sites ``0..j-1``, ``right[j]`` sites ``j..n-1``; both are
    ``(chi, chi)`` matrices indexed ``(bra, ket)``.

    Example:
        >>> env = Environments(MPS.product(3))
        >>> float(env.norm_squared), len(env.left)
        (1.0, 4)
    """

    def __init__(self, mps: MPS) -> None:
        t = mps.tensors
        one = torch.ones(1, 1, dtype=t[0].dtype, device=t[0].device)
        self.tensors = t
        self.left = [one]
        for a in t:
            self.left.append(_step(self.left[-1], a))
        right = [one]
        for a in reversed(t):
            right.append(_right_step(right[-1], a))
        self.right = right[::-1]
        self.norm_squared = self.left[-1][0, 0].real

    def string(self, ops: Sequence[tuple[int, str]]) -> Tensor:
        """``Re <psi|P|psi>`` (not normalised) for a Pauli string given as sorted ``(wire, letter)``."""
        if not ops:
            return self.norm_squared
        t = self.tensors
        lo, hi = ops[0][0], ops[-1][0]
        letters = dict(ops)
        env = self.left[lo]
        for j in range(lo, hi + 1):
            op = _pauli(letters[j], t[j]) if j in letters else None
            env = _step(env, t[j], op)
        return (env * self.right[hi + 1]).sum().real


def norm_squared(mps: MPS) -> Tensor:
    """``<psi|psi>``, real (below 1 after truncations; differentiable).

    Example:
        >>> float(norm_squared(MPS.product(3)))
        1.0
    """
    t = mps.tensors
    env = torch.ones(1, 1, dtype=t[0].dtype, device=t[0].device)
    for a in t:
        env = _step(env, a)
    return env[0, 0].real


def overlap(a: MPS, b: MPS) -> Tensor:
    """``<a|b>`` of two MPS on the same wires (complex; differentiable in both).

    Bond dimensions may differ; the tensors are brought to ``b``'s dtype and device.

    Raises:
        ValueError: For MPS of different lengths.

    Example:
        >>> import math, torch
        >>> h = torch.tensor([1.0, 1.0], dtype=torch.complex128).reshape(1, 2, 1) / math.sqrt(2)
        >>> plus = MPS([h.clone() for _ in range(3)])
        >>> round(abs(complex(overlap(MPS.product(3), plus))) ** 2, 10)
        0.125
    """
    if a.n_wires != b.n_wires:
        raise ConfigError(f"the two MPS must have the same number of wires, got {a.n_wires} and {b.n_wires}")
    env = torch.ones(1, 1, dtype=b.tensors[0].dtype, device=b.tensors[0].device)
    for x, y in zip(a.tensors, b.tensors):
        x = x.to(y.dtype).to(y.device)
        env = torch.einsum("ab,asc,bsd->cd", env, x.conj(), y)
    return env[0, 0]


def fidelity(a: MPS, b: MPS) -> Tensor:
    """``|<a|b>|^2 / (<a|a> <b|b>)``: the fidelity of the normalised states (real; differentiable).

    Example:
        >>> float(fidelity(MPS.product(2), MPS.product(2)))
        1.0
    """
    num = overlap(a, b).abs() ** 2
    return num / (norm_squared(a).to(num.dtype) * norm_squared(b).to(num.dtype))


def _check_wires(obs: PauliSum, n: int) -> None:
    if obs.n_wires > n:
        raise ConfigError(
            f"observable {obs} acts on wire {obs.n_wires - 1} but the state has {n} wires (0..{n - 1}); "
            "use an observable on the circuit's wires"
        )


def expval(mps: MPS, observables: ObservableLike | Sequence[ObservableLike]) -> Tensor:
    """Normalised expectation values ``<psi|O|psi> / <psi|psi>`` of Pauli sums.

    Args:
        mps: The state.
        observables: One observable (PauliSum, PauliString or text like ``"Z0 Z1 + 0.5*X0"``)
            or a list of them.

    Returns:
        A real scalar for one observable, ``(n_obs,)`` for a list.

    Raises:
        ValueError: If an observable acts on a wire the state does not have.

    Example:
        >>> float(expval(MPS.product(2), "Z0 + 0.5*Z1 + X0"))
        1.5
    """
    items, single = as_observables(observables)
    env = Environments(mps)
    cache: dict[PauliString, Tensor] = {}
    values = []
    for obs in items:
        _check_wires(obs, mps.n_wires)
        total = torch.zeros((), dtype=env.norm_squared.dtype, device=env.norm_squared.device)
        for coeff, s in obs.terms:
            if s not in cache:
                cache[s] = env.string(s.ops)
            total = total + coeff * cache[s]
        values.append(total / env.norm_squared)
    out = torch.stack(values)
    return out[0] if single else out


def _axis(axis: str) -> str:
    a = axis.lower() if isinstance(axis, str) else axis
    if a not in AXES:
        raise ConfigError(f"axis={axis!r} is not one of {', '.join(map(repr, AXES))}")
    return a


def magnetization(mps: MPS, axis: str = "z") -> Tensor:
    """Magnetisations ``<sigma^a_i>`` in Pauli units, ``(n,)``, like :func:`qml.correlations.magnetization`.

    Example:
        >>> magnetization(MPS.product(2)).tolist()
        [1.0, 1.0]
    """
    a = _axis(axis).upper()
    env = Environments(mps)
    vals = [env.string([(i, a)]) for i in range(mps.n_wires)]
    return torch.stack(vals) / env.norm_squared


def correlation_matrix(mps: MPS, axis: str = "z", connected: bool = False) -> Tensor:
    """Two-point correlations ``C[i, j] = <sigma^a_i sigma^a_j>`` in Pauli units, ``(n, n)``.

    Like :func:`qml.correlations.correlation_matrix` for a statevector; the diagonal is 1
    (the state is normalised). One sweep per row ``i``: ``O(n^2 chi^3)``.

    Args:
        mps: The state.
        axis: ``"x"``, ``"y"`` or ``"z"``.
        connected: Subtract ``<sigma^a_i><sigma^a_j>``.

    Example:
        >>> correlation_matrix(MPS.product(2), "x").tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    a = _axis(axis).upper()
    env = Environments(mps)
    t = mps.tensors
    n = mps.n_wires
    norm = env.norm_squared
    rows: list[list[Tensor]] = [[norm] * n for _ in range(n)]
    for i in range(n):
        sigma = _pauli(a, t[i])
        e = _step(env.left[i], t[i], sigma)
        for j in range(i + 1, n):
            rows[i][j] = rows[j][i] = (_step(e, t[j], sigma) * env.right[j + 1]).sum().real
            e = _step(e, t[j])
    c = torch.stack([torch.stack(r) for r in rows]) / norm
    if connected:
        m = magnetization(mps, axis)
        c = c - m[:, None] * m[None, :]
    return c


def schmidt_values(mps: MPS, eps: float | None = None) -> list[Tensor]:
    """The normalised Schmidt values of every cut ``[0..k-1] | [k..n-1]``, ``k = 1..n-1``.

    One sweep: the state is brought into right-canonical form (QR/SVD, right to left),
    then the centre moves right, and the singular values of the centre at each bond are
    its Schmidt values. Differentiable (through :func:`qml.mps.svd.safe_svd`, broadened by
    ``eps``, default by precision).

    Example:
        >>> [s.tolist() for s in schmidt_values(MPS.product(2))]
        [[1.0]]
    """
    trunc = Truncation(bond_dim=2**31, cutoff=0.0, for_gradients=True, eps=eps)
    t = list(mps.tensors)
    n = len(t)
    for c in range(n - 1, 0, -1):  # right-canonical: every site but 0 a right isometry
        chi_l, _, chi_r = t[c].shape
        q, r, _ = left_orth(t[c].reshape(chi_l, 2 * chi_r).mH, trunc)
        t[c] = q.mH.reshape(-1, 2, chi_r)
        t[c - 1] = torch.tensordot(t[c - 1], r.mH, dims=([2], [0]))
    out = []
    for c in range(n - 1):
        chi_l, _, chi_r = t[c].shape
        _u, s, vh = safe_svd(t[c].reshape(chi_l * 2, chi_r), trunc.eps)
        out.append(s / torch.linalg.vector_norm(s))
        t[c + 1] = torch.tensordot(s.to(vh.dtype)[:, None] * vh, t[c + 1], dims=([1], [0]))
    return out


def entanglement_profile(mps: MPS, kind: str = "vn", base: float = math.e) -> Tensor:
    """Entropies of the cuts ``[0..k-1] | [k..n-1]``, ``k = 1..n-1``, from the Schmidt values.

    The same quantity as :func:`qml.entanglement.entanglement_profile` of the (normalised)
    dense state, in ``O(n chi^3)`` instead of ``O(2^n)``.

    Args:
        mps: The state.
        kind: ``"vn"`` (von Neumann) or ``"renyi2"``.
        base: Base of the logarithm (``math.e``: nats, 2: bits).

    Returns:
        ``(n - 1,)`` real tensor (empty for one wire).

    Raises:
        ValueError: For an unknown ``kind`` or a base that is not a number > 0 and != 1.

    Example:
        >>> entanglement_profile(MPS.product(3)).tolist()
        [0.0, 0.0]
    """
    k = kind.lower() if isinstance(kind, str) else kind
    if k not in KINDS:
        raise ConfigError(f"kind={kind!r} is not one of {', '.join(map(repr, KINDS))}")
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not (base > 0 and base != 1):
        raise ConfigError(f"base={base!r} must be a number > 0 and != 1 (e.g. math.e for nats, 2 for bits)")
    real = real_dtype(mps.tensors[0].dtype)
    if mps.n_wires == 1:
        return torch.zeros(0, dtype=real, device=mps.tensors[0].device)
    out = []
    for s in schmidt_values(mps):
        p = s * s
        if k == "renyi2":
            out.append(-torch.log((p * p).sum()))
        else:
            out.append(-(p * torch.log(p.clamp(min=torch.finfo(p.dtype).tiny))).sum())
    return torch.stack(out) / math.log(base) + 0.0  # + 0.0: no -0.0 for product states


__all__ = [
    "Environments",
    "correlation_matrix",
    "entanglement_profile",
    "expval",
    "fidelity",
    "magnetization",
    "norm_squared",
    "overlap",
    "schmidt_values",
]
