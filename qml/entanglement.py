"""Reduced density matrices and entanglement entropies of pure states, batched and differentiable.

A state ``(2**n,)`` or a batch ``(B, 2**n)`` (wire 0 the most significant bit) is viewed
as a matrix ``M[a, b]`` with rows indexed by the subsystem ``A`` and columns by its
complement; ``rho_A = M M^dagger``. Entropies of a pure state are equal for ``A`` and its
complement, so they are computed from the smaller of the two reduced density matrices:
von Neumann from its eigenvalues (``eigvalsh``), Renyi-2 from ``tr rho^2 = sum |rho_ij|^2``
without an eigensolve. States are taken as given (not renormalised).

Example:
    >>> import torch
    >>> bell = torch.tensor([1, 0, 0, 1], dtype=torch.complex128) / 2**0.5
    >>> reduced_density_matrix(bell, [1])
    tensor([[0.5000+0.j, 0.0000+0.j],
            [0.0000+0.j, 0.5000+0.j]], dtype=torch.complex128)
    >>> round(float(entanglement_entropy(bell, [0], base=2)), 12)
    1.0
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable
from typing import Any

import torch

from qml.correlations import _as_states, _finish
from qml.errors import ConfigError, ConfigTypeError

Tensor = torch.Tensor

#: Entropy kinds: von Neumann and Renyi-2.
KINDS: tuple[str, ...] = ("vn", "renyi2")


def _subsystem(subsystem: Any, n: int) -> tuple[int, ...]:
    """The wires of ``subsystem``, validated and sorted ascending."""
    if isinstance(subsystem, numbers.Integral) and not isinstance(subsystem, bool):
        subsystem = (subsystem,)
    if isinstance(subsystem, torch.Tensor):
        subsystem = subsystem.tolist()
    if isinstance(subsystem, (str, bytes)) or not isinstance(subsystem, Iterable):
        raise ConfigTypeError(
            f"subsystem must be a sequence of wire indices, got {type(subsystem).__name__} {subsystem!r}"
        )
    wires: list[int] = []
    for w in subsystem:
        try:
            if isinstance(w, bool):
                raise TypeError
            k = operator.index(w)
        except TypeError:
            raise ConfigTypeError(
                f"subsystem entries must be integer wires, got {w!r} in {subsystem!r}"
            ) from None
        if not 0 <= k < n:
            raise ConfigError(
                f"subsystem wire {k} is out of range for a {n}-qubit state (valid wires 0..{n - 1})"
            )
        if k in wires:
            raise ConfigError(f"subsystem lists wire {k} twice: {list(subsystem)!r}; give each wire once")
        wires.append(k)
    return tuple(sorted(wires))


def _kind(kind: str) -> str:
    k = kind.lower() if isinstance(kind, str) else kind
    if k not in KINDS:
        raise ConfigError(f"kind={kind!r} is not one of {', '.join(map(repr, KINDS))}")
    return k


def _log_base(base: float) -> float:
    try:
        b = float(base)
    except (TypeError, ValueError):
        raise ConfigTypeError(f"base must be a number > 0 and != 1, got {base!r}") from None
    if not (b > 0 and b != 1 and math.isfinite(b)):
        raise ConfigError(
            f"base={base!r} must be a finite number > 0 and != 1 (e.g. math.e for nats, 2 for bits)"
        )
    return math.log(b)


def _bipartite(psi: Tensor, n: int, wires: tuple[int, ...]) -> Tensor:
    """``(B, 2**|A|, 2**(n - |A|))``: rows indexed by the (ascending) wires of ``A``."""
    rest = [w for w in range(n) if w not in wires]
    if list(wires) != list(range(len(wires))):
        t = psi.reshape(psi.shape[0], *([2] * n)).permute(0, *(1 + w for w in wires), *(1 + w for w in rest))
        psi = t.reshape(psi.shape[0], -1)
    return psi.reshape(psi.shape[0], 2 ** len(wires), 2 ** len(rest))


def _gram(m: Tensor) -> Tensor:
    """``M M^dagger`` (a complex or real batch of matrices)."""
    return m @ (m.mH if m.is_complex() else m.mT)


def _entropy(m: Tensor, kind: str) -> Tensor:
    """Entropy of the bipartition given by ``m`` ``(B, dA, dB)``, from the smaller side."""
    rho = _gram(m) if m.shape[1] <= m.shape[2] else _gram(m.mH if m.is_complex() else m.mT)
    if kind == "renyi2":
        p = rho.real.square() + rho.imag.square() if rho.is_complex() else rho.square()
        return -torch.log(p.sum((-1, -2)))
    lam = torch.linalg.eigvalsh(rho)
    tiny = torch.finfo(lam.dtype).tiny
    return -(lam * torch.log(lam.clamp(min=tiny))).sum(-1)


def reduced_density_matrix(state: Tensor, subsystem: Iterable[int] | int) -> Tensor:
    """``rho_A = tr_{not A} |psi><psi|`` for any set of wires ``A``.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        subsystem: Wires of ``A`` in any order (an int means one wire). The matrix is indexed
            in ascending wire order, the smallest wire the most significant bit, whatever
            order ``subsystem`` lists them in. An empty ``A`` gives ``[[<psi|psi>]]``.

    Returns:
        ``(2**|A|, 2**|A|)`` (or ``(B, 2**|A|, 2**|A|)``), the state's dtype.

    Raises:
        ValueError: If a wire is out of range or repeated, or the state's shape is wrong.

    Example:
        >>> import torch
        >>> psi = torch.zeros(8, dtype=torch.complex128)
        >>> psi[0b011] = 1  # |0>|1>|1>
        >>> reduced_density_matrix(psi, [2, 0]).real  # wires (0, 2): |01><01|
        tensor([[0., 0., 0., 0.],
                [0., 1., 0., 0.],
                [0., 0., 0., 0.],
                [0., 0., 0., 0.]], dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    return _finish(_gram(_bipartite(psi, n, _subsystem(subsystem, n))), batched)


def entanglement_entropy(
    state: Tensor, subsystem: Iterable[int] | int, kind: str = "vn", base: float = math.e
) -> Tensor:
    """Entanglement entropy of the subsystem ``A`` of a pure state.

    ``kind="vn"``: von Neumann ``-tr rho log rho``, from the eigenvalues of the smaller of
    ``rho_A`` and ``rho_{not A}`` (equal spectra for a pure state). Eigenvalues are clamped
    at the smallest positive float inside the log, so the gradient stays finite at zero
    eigenvalues (product states). ``kind="renyi2"``: ``-log tr rho^2`` with
    ``tr rho^2 = sum_ij |rho_ij|^2``.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        subsystem: Wires of ``A``, any order.
        kind: ``"vn"`` or ``"renyi2"``.
        base: Base of the logarithm: ``math.e`` (nats, default) or 2 (bits).

    Returns:
        A real scalar (or ``(B,)``).

    Raises:
        ValueError: If ``kind`` or ``base`` is invalid, or a wire is out of range or repeated.

    Example:
        >>> import torch
        >>> bell = torch.tensor([1, 0, 0, 1], dtype=torch.complex128) / 2**0.5
        >>> entanglement_entropy(bell, [0])  # log 2
        tensor(0.6931, dtype=torch.float64)
        >>> entanglement_entropy(bell, [1], kind="renyi2", base=2).round(decimals=6)
        tensor(1., dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    k, lb = _kind(kind), _log_base(base)
    s = _entropy(_bipartite(psi, n, _subsystem(subsystem, n)), k)
    return _finish(s / lb if lb != 1.0 else s, batched)


def entanglement_profile(state: Tensor, kind: str = "vn", base: float = math.e) -> Tensor:
    """Entropies of the cuts ``[0..k-1] | [k..n-1]`` for ``k = 1..n-1``.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        kind: ``"vn"`` or ``"renyi2"`` (see :func:`entanglement_entropy`).
        base: Base of the logarithm.

    Returns:
        ``(n - 1,)`` (or ``(B, n - 1)``), real; empty for one qubit.

    Example:
        >>> import torch
        >>> ghz = torch.zeros(16, dtype=torch.complex128)
        >>> ghz[0] = ghz[-1] = 2**-0.5
        >>> entanglement_profile(ghz, base=2).round(decimals=6)
        tensor([1., 1., 1.], dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    k, lb = _kind(kind), _log_base(base)
    b = psi.shape[0]
    rdt = psi.real.dtype if psi.is_complex() else psi.dtype
    if n == 1:
        return _finish(torch.zeros(b, 0, dtype=rdt, device=psi.device), batched)
    s = torch.stack([_entropy(psi.reshape(b, 2**c, 2 ** (n - c)), k) for c in range(1, n)], dim=-1)
    return _finish(s / lb if lb != 1.0 else s, batched)


__all__ = ["KINDS", "entanglement_entropy", "entanglement_profile", "reduced_density_matrix"]
