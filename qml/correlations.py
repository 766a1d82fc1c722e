"""Spin correlations of statevectors: correlation matrices, S(q), staggered order, string order.

Everything here is computed from a statevector with torch, is batched (a ``(B, 2**n)``
input gives one result per row) and is differentiable: autograd flows back to the state.
Wire order is PennyLane's: wire 0 is the most significant bit of a basis index. States
are taken as given (they are not renormalised); ``complex64``, ``complex128``,
``float32`` and ``float64`` are accepted, and results are real tensors of the matching
precision.

Units: :func:`correlation_matrix`, :func:`magnetization`, :func:`spin_correlations` and
:func:`string_order` are in Pauli units (``sigma``, eigenvalues +-1);
:func:`total_spin_squared`, :func:`structure_factor` and
:func:`staggered_magnetization_sq` are in spin units (``S = sigma / 2``).

How: ``sigma^a_i psi`` is, up to a phase common to every site, a flipped copy of the state
(``x`` and ``y``; ``y`` with the sign ``s_i(y) = 1 - 2 y_i``) or the state times a sign
(``z``). A correlation matrix is the Gram matrix of those ``n`` vectors, one batched
matmul, and a sum over sites weighted by ``w_i`` (total spin, staggered moment) is one
norm ``|sum_i w_i sigma^a_i psi|^2``.

Example:
    >>> import torch
    >>> singlet = torch.tensor([0, 1, -1, 0], dtype=torch.complex128) / 2**0.5
    >>> correlation_matrix(singlet, "x").round(decimals=6)
    tensor([[ 1., -1.],
            [-1.,  1.]], dtype=torch.float64)
    >>> round(float(total_spin_squared(singlet)), 12)
    0.0
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch

from qml.dtypes import real_dtype
from qml.errors import ConfigError, ConfigTypeError
from qml.paulis import PauliString, PauliSum
from qml.sim import kernels as K
from qml.sim.observables import ObservablePlan

Tensor = torch.Tensor

#: The spin axes.
AXES: tuple[str, ...] = ("x", "y", "z")
_DTYPES = (torch.float32, torch.float64, torch.complex64, torch.complex128)


# -- validation -------------------------------------------------------------------------------


def _as_states(state: Any, what: str = "state") -> tuple[Tensor, int, bool]:
    """``(psi, n, batched)``: the state as ``(B, 2**n)``, its qubit count and whether it was batched."""
    if not isinstance(state, Tensor):
        try:
            state = torch.as_tensor(state)
        except (TypeError, ValueError, RuntimeError) as err:
            raise ConfigTypeError(
                f"{what} must be a torch tensor of shape (2**n,) or (B, 2**n), got {type(state).__name__} "
                f"that torch cannot convert ({err})"
            ) from None
    if state.dtype not in _DTYPES:
        raise ConfigTypeError(
            f"{what} has dtype {state.dtype}; expected complex64, complex128, float32 or float64 "
            "(convert with state.to(torch.complex128))"
        )
    if state.dim() not in (1, 2):
        raise ConfigError(
            f"{what} has shape {tuple(state.shape)}; expected (2**n,) or a batch (B, 2**n) "
            "(flatten a (2, ..., 2) tensor with state.reshape(-1))"
        )
    dim = state.shape[-1]
    if dim < 2 or dim & (dim - 1):
        raise ConfigError(
            f"{what} has {dim} amplitudes, which is not a power of two >= 2; "
            "a statevector of n >= 1 qubits has 2**n amplitudes"
        )
    batched = state.dim() == 2
    return (state if batched else state.unsqueeze(0)), dim.bit_length() - 1, batched


def _axis(axis: str, allowed: Sequence[str] = AXES, what: str = "axis") -> str:
    a = axis.lower() if isinstance(axis, str) else axis
    if a not in allowed:
        raise ConfigError(f"{what}={axis!r} is not one of {', '.join(map(repr, allowed))}")
    return a


def _site(value: Any, n: int, what: str) -> int:
    if isinstance(value, bool):
        raise ConfigTypeError(f"{what} must be an integer site index, got the bool {value}")
    try:
        i = operator.index(value)
    except TypeError:
        raise ConfigTypeError(
            f"{what} must be an integer site index, got {type(value).__name__} {value!r}"
        ) from None
    if not 0 <= i < n:
        raise ConfigError(f"{what}={i} is out of range for a {n}-qubit state (valid sites 0..{n - 1})")
    return i


def _weights(values: Any, n: int, what: str, dtype: torch.dtype, device: torch.device) -> Tensor:
    w = np.asarray(values.detach().cpu() if isinstance(values, Tensor) else values, dtype=float)
    if w.shape != (n,):
        raise ConfigError(
            f"{what} has shape {w.shape}; expected ({n},), one value per site of the {n}-qubit state"
        )
    if not np.isfinite(w).all():
        raise ConfigError(f"{what} must be finite, got {w.tolist()}")
    return torch.as_tensor(w, dtype=dtype, device=device)


def _finish(t: Tensor, batched: bool) -> Tensor:
    return t if batched else t.squeeze(0)


# -- kernels ----------------------------------------------------------------------------------


def _signs(n: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``(2**n, n)``: ``s_i(x) = 1 - 2 x_i`` with wire 0 the most significant bit of ``x``."""
    x = torch.arange(2**n, device=device)[:, None]
    shift = torch.arange(n - 1, -1, -1, device=device)
    return (1 - 2 * ((x >> shift) & 1)).to(dtype)


def _probs(psi: Tensor) -> Tensor:
    return psi.real.square() + psi.imag.square() if psi.is_complex() else psi.square()


def _columns(psi: Tensor, n: int, axis: str) -> Tensor:
    """``(B, 2**n, n)``: column ``i`` is ``sigma^a_i psi``, without the factor ``-i`` for ``a = y``."""
    if axis == "z":
        return psi[:, :, None] * _signs(n, real_dtype(psi.dtype), psi.device)
    cols = torch.stack([K.apply_flip(psi, n, (i,)) for i in range(n)], dim=-1)
    return cols * _signs(n, real_dtype(psi.dtype), psi.device) if axis == "y" else cols


def _gram(cols: Tensor) -> Tensor:
    """``Re <c_i|c_j>`` per batch row: ``(B, D, n) -> (B, n, n)``."""
    if cols.is_complex():
        return (cols.mH @ cols).real
    return cols.mT @ cols


def _correlations(psi: Tensor, n: int, axis: str) -> Tensor:
    if axis == "z":
        s = _signs(n, real_dtype(psi.dtype), psi.device)
        return (_probs(psi)[:, :, None] * s).mT @ s
    return _gram(_columns(psi, n, axis))


def _magnetization(psi: Tensor, n: int, axis: str) -> Tensor:
    if axis == "z":
        return _probs(psi) @ _signs(n, real_dtype(psi.dtype), psi.device)
    w = (psi.conj()[:, :, None] * _columns(psi, n, axis)).sum(1)
    if axis == "x":
        return w.real if w.is_complex() else w
    # <Y_i> = Re(-i w) = Im(w); a real state has <Y_i> = 0
    return w.imag if w.is_complex() else torch.zeros_like(w)


def _weighted_norm_sq(psi: Tensor, n: int, axis: str, w: Tensor) -> Tensor:
    """``|sum_i w_i sigma^a_i psi|^2`` per batch row (real weights ``w``)."""
    s = _signs(n, real_dtype(psi.dtype), psi.device)
    if axis == "z":
        return _probs(psi) @ (s @ w).square()
    ws = w * s if axis == "y" else w.expand(2**n, n)  # (2**n, n): per-amplitude weight of each flip
    phi = cast(Tensor, sum(K.apply_flip(psi, n, (i,)) * ws[:, i] for i in range(n)))
    return _probs(phi).sum(-1)


# -- public -----------------------------------------------------------------------------------


def correlation_matrix(state: Tensor, axis: str = "z", connected: bool = False) -> Tensor:
    """Two-point correlations ``C[i, j] = <sigma^a_i sigma^a_j>`` in Pauli units.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        axis: ``"x"``, ``"y"`` or ``"z"``.
        connected: Subtract ``<sigma^a_i><sigma^a_j>``.

    Returns:
        A real symmetric ``(n, n)`` (or ``(B, n, n)``) tensor; its diagonal is ``<psi|psi>``
        (1 for a normalised state) unless ``connected``.

    Raises:
        ValueError: If the state's shape is not ``(2**n,)``/``(B, 2**n)`` or ``axis`` is unknown.
        TypeError: If the state is not a float or complex tensor.

    Example:
        >>> import torch
        >>> ghz = torch.tensor([1, 0, 0, 0, 0, 0, 0, 1], dtype=torch.complex128) / 2**0.5
        >>> correlation_matrix(ghz, "z").round(decimals=6)
        tensor([[1., 1., 1.],
                [1., 1., 1.],
                [1., 1., 1.]], dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    a = _axis(axis)
    c = _correlations(psi, n, a)
    if connected:
        m = _magnetization(psi, n, a)
        c = c - m[:, :, None] * m[:, None, :]
    return _finish(c, batched)


def magnetization(state: Tensor, axis: str = "z") -> Tensor:
    """Local magnetisations ``<sigma^a_i>`` in Pauli units.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        axis: ``"x"``, ``"y"`` or ``"z"``.

    Returns:
        ``(n,)`` (or ``(B, n)``), real.

    Example:
        >>> import torch
        >>> plus_zero = torch.tensor([1, 0, 1, 0], dtype=torch.complex128) / 2**0.5  # |+>|0>
        >>> torch.stack([magnetization(plus_zero, a) for a in "xyz"]).round(decimals=6)
        tensor([[1., 0.],
                [0., 0.],
                [0., 1.]], dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    return _finish(_magnetization(psi, n, _axis(axis)), batched)


def spin_correlations(state: Tensor, connected: bool = False) -> dict[str, Tensor]:
    """Correlation matrices of all three axes, ``{"x": Cxx, "y": Cyy, "z": Czz}``, in Pauli units.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        connected: Subtract ``<sigma^a_i><sigma^a_j>``.

    Returns:
        A dict of ``(n, n)`` (or ``(B, n, n)``) tensors, see :func:`correlation_matrix`.

    Example:
        >>> import torch
        >>> singlet = torch.tensor([0, 1, -1, 0], dtype=torch.complex128) / 2**0.5
        >>> c = spin_correlations(singlet)
        >>> [round(float(c[a][0, 1]), 12) for a in "xyz"]
        [-1.0, -1.0, -1.0]
    """
    return {a: correlation_matrix(state, a, connected) for a in AXES}


def total_spin_squared(state: Tensor) -> Tensor:
    """``<S_tot^2>`` with ``S_tot = sum_i sigma_i / 2``: ``S (S + 1)`` for a state of total spin ``S``.

    Computed as ``(1/4) sum_a |sum_i sigma^a_i psi|^2``, which equals
    ``(1/4) sum_{i,j} (Cxx + Cyy + Czz)[i, j]``.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.

    Returns:
        A real scalar (or ``(B,)``): 0 for a singlet, 2 for a two-spin triplet, ``N/2 (N/2 + 1)``
        for ``N`` aligned spins.

    Example:
        >>> import torch
        >>> up3 = torch.zeros(8, dtype=torch.complex128)
        >>> up3[0] = 1
        >>> total_spin_squared(up3)  # 3/2 (3/2 + 1)
        tensor(3.7500, dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    w = torch.ones(n, dtype=real_dtype(psi.dtype), device=psi.device)
    return _finish(cast(Tensor, sum(_weighted_norm_sq(psi, n, a, w) for a in AXES)) / 4, batched)


def chain_momenta(n: int) -> Tensor:
    """The allowed momenta ``2 pi k / n``, ``k = 0..n-1``, of a ring of ``n`` sites (float64).

    Example:
        >>> chain_momenta(4)
        tensor([0.0000, 1.5708, 3.1416, 4.7124], dtype=torch.float64)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n={n!r} must be a positive integer (the number of sites)")
    return torch.arange(int(n), dtype=torch.float64) * (2 * math.pi / int(n))


def _positions(positions: Any, n: int) -> np.ndarray:
    if positions is None:
        return np.arange(n, dtype=float)[:, None]
    r = np.asarray(positions.detach().cpu() if isinstance(positions, Tensor) else positions, dtype=float)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] != n:
        raise ConfigError(
            f"positions have shape {r.shape}; expected ({n},) or ({n}, d), one row per site of the "
            f"{n}-qubit state (e.g. Lattice.positions)"
        )
    if not np.isfinite(r).all():
        raise ConfigError("positions must be finite")
    return r


def _momenta(q: Any, r: np.ndarray) -> tuple[np.ndarray, bool]:
    """``(K, d)`` momenta and whether ``q`` was a single momentum."""
    qa = np.asarray(q.detach().cpu() if isinstance(q, Tensor) else q, dtype=float)
    d = r.shape[1]
    if not np.isfinite(qa).all():
        raise ConfigError(f"q must be finite, got {qa.tolist()}")
    if qa.ndim == 0:
        if d > 1 and np.ptp(r[:, 1:], axis=0).max() > 1e-12:
            raise ConfigError(
                f"q={float(qa)} is a scalar but the sites are spread over {d} dimensions; "
                f"give q as a vector of length {d} (or a (K, {d}) array of momenta)"
            )
        return np.concatenate([qa.reshape(1, 1), np.zeros((1, d - 1))], axis=1), True
    if d == 1 and qa.ndim == 1:
        return qa[:, None], False
    if d > 1 and qa.ndim == 1:
        if qa.shape[0] != d:
            raise ConfigError(
                f"q has length {qa.shape[0]} but the positions are {d}-dimensional; give one momentum "
                f"vector of length {d}, a (K, {d}) array of them, or, for a chain, positions=None "
                "with scalar momenta"
            )
        return qa[None, :], True
    if qa.ndim == 2 and qa.shape[1] == d:
        return qa, False
    raise ConfigError(
        f"q has shape {qa.shape}; expected a scalar, ({'K' if d == 1 else d},) or (K, {d}) "
        f"for {d}-dimensional positions"
    )


def structure_factor(
    state: Tensor,
    q: Any,
    positions: Any = None,
    axis: str = "z",
    connected: bool = False,
) -> Tensor:
    """Static structure factor ``S(q) = (1/N) sum_{ij} exp(i q.(r_i - r_j)) <S^a_i S^a_j>``, spin units.

    ``S^a = sigma^a / 2``, so e.g. the fully polarised state has ``S^zz(0) = N / 4``. With
    ``axis="all"`` the three axes are summed (``<S_i . S_j>``). The correlations are real and
    symmetric, so ``S(q)`` is real.

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        q: A momentum or several. For 1D positions (the default ``positions = range(n)``):
            a float or a sequence of ``K`` floats. For ``d``-dimensional positions: a
            ``d``-vector or a ``(K, d)`` array; a float is accepted when the sites differ only
            along the first axis (a chain from ``Lattice.positions``) and means ``(q, 0, ...)``.
        positions: Site coordinates ``(n,)`` or ``(n, d)``, e.g. ``Lattice.positions``.
        axis: ``"x"``, ``"y"``, ``"z"`` or ``"all"``.
        connected: Use the connected correlations ``<S_i S_j> - <S_i><S_j>``.

    Returns:
        A real scalar (or ``(B,)``) for one momentum, ``(K,)`` (or ``(B, K)``) for several.

    Raises:
        ValueError: If ``q`` does not fit the positions, the positions do not have one row
            per site, or ``axis`` is unknown.

    Example:
        >>> import torch
        >>> neel = torch.zeros(16, dtype=torch.complex128)
        >>> neel[0b0101] = 1
        >>> structure_factor(neel, [0.0, torch.pi])  # S^zz(0) = 0, S^zz(pi) = N / 4
        tensor([0., 1.], dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    a = _axis(axis, (*AXES, "all"))
    r = _positions(positions, n)
    qs, single = _momenta(q, r)
    parts = []
    for ax in AXES if a == "all" else (a,):
        cc = _correlations(psi, n, ax)
        if connected:
            m = _magnetization(psi, n, ax)
            cc = cc - m[:, :, None] * m[:, None, :]
        parts.append(cc)
    c = torch.stack(parts).sum(0)
    phase = np.cos(np.einsum("kd,ijd->kij", qs, r[:, None, :] - r[None, :, :]))
    out = torch.einsum("bij,kij->bk", c, torch.as_tensor(phase, dtype=c.dtype, device=c.device)) / (4 * n)
    return _finish(out[:, 0] if single else out, batched)


def staggered_magnetization_sq(state: Tensor, signs: Any = None) -> Tensor:
    """``m_s^2 = (1/N^2) sum_{ij} eps_i eps_j <S_i . S_j>`` in spin units (``S = sigma / 2``).

    Computed as ``|M_s psi|^2 / N^2`` with ``M_s^a = sum_i eps_i S^a_i``. A Neel product
    state has ``m_s^2 = 1/4 + 1/(2N)`` (the transverse components add ``1/(2N)``).

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        signs: ``eps_i`` per site, ``(-1)**i`` by default; pass a sublattice pattern (``+-1``
            per site) for other lattices. Any finite real weights are accepted.

    Returns:
        A real scalar (or ``(B,)``).

    Example:
        >>> import torch
        >>> neel = torch.zeros(16, dtype=torch.complex128)
        >>> neel[0b0101] = 1
        >>> staggered_magnetization_sq(neel)  # 1/4 + 1/8
        tensor(0.3750, dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    eps = (-1.0) ** np.arange(n) if signs is None else signs
    w = _weights(eps, n, "signs", real_dtype(psi.dtype), psi.device)
    return _finish(cast(Tensor, sum(_weighted_norm_sq(psi, n, a, w) for a in AXES)) / (4 * n * n), batched)


def string_order(state: Tensor, i: int, j: int, end: str = "z", string: str = "z") -> Tensor:
    """String correlator ``<sigma^end_i (prod_{i<k<j} sigma^string_k) sigma^end_j>``, Pauli units.

    With ``end="z", string="z"`` this is ``<Z_i Z_{i+1} ... Z_j>``; ``end="x", string="x"`` is
    the parity string ``<X_i ... X_j>`` (the disorder operator of the transverse-field Ising chain).

    Args:
        state: ``(2**n,)`` or a batch ``(B, 2**n)``.
        i: First site, ``0 <= i < j``.
        j: Last site, ``i < j < n``.
        end: Pauli on the two end sites: ``"x"``, ``"y"`` or ``"z"``.
        string: Pauli on the sites strictly between: ``"x"``, ``"y"`` or ``"z"``.

    Returns:
        A real scalar (or ``(B,)``).

    Raises:
        ValueError: If a site is out of range, ``i >= j``, or a Pauli name is unknown.

    Example:
        >>> import torch
        >>> ghz = torch.tensor([1, 0, 0, 0, 0, 0, 0, 1], dtype=torch.complex128) / 2**0.5
        >>> string_order(ghz, 0, 2, end="x", string="x").round(decimals=6)  # <X0 X1 X2> = 1
        tensor(1., dtype=torch.float64)
    """
    psi, n, batched = _as_states(state)
    i, j = _site(i, n, "i"), _site(j, n, "j")
    if i >= j:
        raise ConfigError(
            f"string_order needs i < j, got i={i}, j={j}; swap them (the correlator is symmetric)"
        )
    e, s = _axis(end, what="end").upper(), _axis(string, what="string").upper()
    ops = {i: e, j: e, **{k: s for k in range(i + 1, j)}}
    plan = ObservablePlan([PauliSum.from_terms([(1.0, PauliString.from_dict(ops))])], n)
    return _finish(plan.expval(psi)[:, 0], batched)


__all__ = [
    "AXES",
    "chain_momenta",
    "correlation_matrix",
    "magnetization",
    "spin_correlations",
    "staggered_magnetization_sq",
    "string_order",
    "structure_factor",
    "total_spin_squared",
]
