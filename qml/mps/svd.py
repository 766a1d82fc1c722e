"""A singular value decomposition whose backward pass survives degenerate singular values.

The backward pass of ``torch.linalg.svd`` divides by ``s_k^2 - s_j^2``, which is infinite
when two singular values are equal, and by ``s_j``, infinite when one is zero. In a
matrix-product state both are the rule rather than the exception: every bond of a product
state has one singular value 1 and the others 0, a Bell pair has two equal ones.
:func:`safe_svd` replaces those inverses by their Lorentzian broadening (Liao, Liu, Wang
and Xiang, PRX 9, 031041 (2019))::

    1 / e  ->  e / (e^2 + eps (s_k^2 + s_j^2)^2 + eps^2 s_max^4),   e = s_k^2 - s_j^2
    1 / s  ->  s / (s^2 + eps^2 s_max^2)

which equal the exact inverses away from degeneracies and vanish at them. The width is
relative to the pair (``sqrt(eps)`` of ``s_k^2 + s_j^2``), so two small but distinct
singular values, typical where a truncation cuts the spectrum, keep their exact term; the
floor ``eps^2 s_max^4`` catches pairs of numerically zero values.

For a loss that depends on the leading ``gauge`` left (or right) singular vectors only
through their span, as every physical quantity of an MPS does after a truncated split
(:func:`qml.mps.evolve.split`), the terms that mix those vectors among themselves vanish
identically; ``safe_svd(a, gauge=k)`` drops them instead of evaluating ``0 * (1 / gap)``
with rounding errors, which the broadened inverse would still amplify up to ``1 / sqrt(eps)``.
Only the terms across the truncation (kept against discarded vectors) remain.

Example:
    >>> import torch
    >>> a = torch.eye(3, dtype=torch.float64, requires_grad=True)  # three equal singular values
    >>> u, s, vh = safe_svd(a)
    >>> (u[:, :2] @ u[:, :2].mT @ a).trace().backward()  # torch.linalg.svd gives NaN here
    >>> bool(torch.isfinite(a.grad).all())
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qml.dtypes import real_dtype
from qml.errors import ConfigError, refuse_second_order

Tensor = torch.Tensor
log = logging.getLogger(__name__)

#: Default relative broadening of the inverses in the backward pass, double precision.
SVD_EPS = 1e-12
#: The same for single precision: the broadened inverses reach ``1 / (2 sqrt(eps))`` and multiply
#: terms that vanish only up to rounding, so the width must grow with the machine epsilon.
SVD_EPS_SINGLE = 1e-8


def default_eps(dtype: torch.dtype) -> float:
    """The default broadening for matrices of ``dtype`` (:data:`SVD_EPS` or :data:`SVD_EPS_SINGLE`).

    Example:
        >>> default_eps(torch.complex64), default_eps(torch.complex128)
        (1e-08, 1e-12)
    """
    return SVD_EPS_SINGLE if dtype in (torch.float32, torch.complex64) else SVD_EPS


def _finite(u: Tensor, s: Tensor, vh: Tensor) -> bool:
    """Whether an SVD is free of NaN and inf: one reduction (a NaN or inf anywhere makes the sum so)."""
    return bool(torch.isfinite(s.sum() + u.sum().abs() + vh.sum().abs()))


def _svd_forward(a: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``torch.linalg.svd`` (reduced), robust to LAPACK failures.

    LAPACK's ``gesdd`` fails, or silently returns NaN, on matrices holding subnormal numbers
    (angles such as ``1e-300 * x`` produce them); the entries below ``1e-30`` times the
    largest are then set to zero (a relative change of at most ``1e-30``) and the SVD
    retried, last with NumPy's SVD in double precision.
    """
    try:
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        if _finite(u, s, vh):
            return u, s, vh
        why = "non-finite singular values"
    except RuntimeError as err:
        why = str(err)
    if not bool(torch.isfinite(a).all()):
        raise ConfigError(
            "the MPS tensor to decompose has non-finite entries (NaN or inf): "
            "check the weights and inputs for NaN or inf"
        )
    log.info("torch.linalg.svd failed (%s); retrying without subnormal entries", why)
    mag = a.detach().abs()
    a = torch.where(mag > 1e-30 * mag.max(), a.detach(), torch.zeros((), dtype=a.dtype, device=a.device))
    try:
        u, s, vh = torch.linalg.svd(a, full_matrices=False)
        if _finite(u, s, vh):
            return u, s, vh
        why = "non-finite singular values"
    except RuntimeError as err:
        why = str(err)
    log.warning("torch.linalg.svd failed (%s); retrying with numpy.linalg.svd", why)
    wide = torch.complex128 if a.is_complex() else torch.float64
    nu, ns, nvh = np.linalg.svd(a.detach().resolve_conj().to(wide).cpu().numpy(), full_matrices=False)
    real = real_dtype(a.dtype)

    def back(x: np.ndarray, dtype: torch.dtype) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(device=a.device, dtype=dtype)

    return back(nu, a.dtype), back(ns, real), back(nvh, a.dtype)


def _first_order_only() -> None:
    refuse_second_order(
        "method='mps'",
        "the SVD's backward pass is not itself differentiable",
        "the statevector method (diff='backprop' or 'parameter-shift')",
    )


class _SafeSVD(torch.autograd.Function):
    """Reduced SVD with the broadened backward pass of the module docstring."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, eps: float, gauge: int) -> tuple[Tensor, Tensor, Tensor]:
        u, s, vh = _svd_forward(a)
        ctx.save_for_backward(u, s, vh)
        ctx.eps, ctx.gauge, ctx.shape = eps, gauge, a.shape
        return u, s, vh

    @staticmethod
    def backward(ctx: Any, g_u: Tensor | None, g_s: Tensor | None, g_vh: Tensor | None) -> tuple[Any, ...]:
        _first_order_only()
        u, s, vh = ctx.saved_tensors
        return svd_backward(u, s, vh, g_u, g_s, g_vh, ctx.eps, ctx.shape, ctx.gauge), None, None


class _TruncatedSVD(torch.autograd.Function):
    """SVD that keeps the leading ``keep(s)`` vectors (optionally their span as the gauge of the backward)."""

    @staticmethod
    def forward(
        ctx: Any, a: Tensor, keep: Callable[[Tensor], int], eps: float, gauge: bool
    ) -> tuple[Tensor, Tensor, Tensor]:
        u, s, vh = _svd_forward(a)
        k = int(keep(s))
        ctx.save_for_backward(u, s, vh)
        ctx.eps, ctx.k, ctx.gauge, ctx.shape = eps, k, gauge, a.shape
        return u[..., :k], s, vh[..., :k, :]

    @staticmethod
    def backward(ctx: Any, g_u: Tensor | None, g_s: Tensor | None, g_vh: Tensor | None) -> tuple[Any, ...]:
        _first_order_only()
        u, s, vh = ctx.saved_tensors
        k = ctx.k
        if g_u is not None and k < u.shape[-1]:
            g_u = torch.cat([g_u, torch.zeros_like(u[..., k:])], -1)
        if g_vh is not None and k < vh.shape[-2]:
            g_vh = torch.cat([g_vh, torch.zeros_like(vh[..., k:, :])], -2)
        gauge = k if ctx.gauge else 0
        return svd_backward(u, s, vh, g_u, g_s, g_vh, ctx.eps, ctx.shape, gauge), None, None, None


def svd_backward(
    u: Tensor,
    s: Tensor,
    vh: Tensor,
    g_u: Tensor | None,
    g_s: Tensor | None,
    g_vh: Tensor | None,
    eps: float = SVD_EPS,
    shape: torch.Size | None = None,
    gauge: int = 0,
) -> Tensor:
    """The broadened SVD vector-Jacobian product (the formula of ``torch.linalg.svd``'s backward).

    Args:
        u: ``(..., m, k)`` left singular vectors.
        s: ``(..., k)`` singular values, descending.
        vh: ``(..., k, n)`` right singular vectors (conjugate-transposed).
        g_u: Gradient with respect to ``u`` (``None``: zero).
        g_s: Gradient with respect to ``s`` (``None``: zero).
        g_vh: Gradient with respect to ``vh`` (``None``: zero).
        eps: Relative broadening (see the module docstring).
        shape: Shape of the decomposed matrix (default ``(..., m, n)`` from ``u`` and ``vh``).
        gauge: The loss depends on the first ``gauge`` singular vectors only through their
            span: their mutual terms (and phase terms) are dropped (module docstring).

    Returns:
        The gradient with respect to the decomposed matrix.

    Example:
        >>> import torch
        >>> a = torch.diag(torch.tensor([2.0, 1.0], dtype=torch.float64))
        >>> u, s, vh = torch.linalg.svd(a)
        >>> svd_backward(u, s, vh, None, torch.ones(2, dtype=torch.float64), None)  # d(s1 + s2)/dA
        tensor([[1., 0.],
                [0., 1.]], dtype=torch.float64)
    """
    m, n = (u.shape[-2], vh.shape[-1]) if shape is None else (shape[-2], shape[-1])
    k = s.shape[-1]
    if g_u is None and g_vh is None:
        if g_s is None:
            return torch.zeros(*u.shape[:-2], m, n, dtype=u.dtype, device=u.device)
        return (u * g_s.to(u.dtype).unsqueeze(-2)) @ vh
    s2 = s * s
    tiny = torch.finfo(s.dtype).tiny
    scale = s2.amax(-1, keepdim=True).clamp(min=tiny)
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # e[j, k] = s_k^2 - s_j^2
    pair = s2.unsqueeze(-2) + s2.unsqueeze(-1)
    # broadened 1 / e: relative to the pair (a small gap between small values is still resolved),
    # with a floor eps^2 s_max^4 for pairs of numerically zero values; 0 at e = 0
    den = e * e + eps * pair * pair + eps * eps * scale.unsqueeze(-1) ** 2
    f = torch.where(den > 0, e / den.clamp(min=tiny), 0.0)
    inside = torch.arange(k, device=s.device) < gauge  # vectors whose mutual terms vanish
    if gauge > 0:
        f = torch.where(inside.unsqueeze(-1) & inside.unsqueeze(-2), 0.0, f)
    den = s2 + eps * eps * scale
    s_inv = torch.where(den > 0, s / den.clamp(min=tiny), 0.0)  # broadened 1 / s
    inner = torch.zeros(*s.shape[:-1], k, k, dtype=u.dtype, device=u.device)
    if g_u is not None:
        uhgu = u.mH @ g_u
        j = uhgu - uhgu.mH
        inner = inner + j * (f * s.unsqueeze(-2)).to(u.dtype)
        if u.is_complex():  # the phase gauge of each singular pair
            phase = torch.where(inside, 0.0, s_inv / 2)
            inner = inner + torch.diag_embed(j.diagonal(0, -2, -1) * phase.to(u.dtype))
    if g_vh is not None:
        v, g_v = vh.mH, g_vh.mH
        vhgv = v.mH @ g_v
        kk = vhgv - vhgv.mH
        inner = inner + (s.unsqueeze(-1) * f).to(u.dtype) * kk
    if g_s is not None:
        inner = inner + torch.diag_embed(g_s.to(u.dtype))
    g_a = u @ inner @ vh
    if m > k and g_u is not None:
        g_a = g_a + ((g_u - u @ (u.mH @ g_u)) * s_inv.unsqueeze(-2).to(u.dtype)) @ vh
    if n > k and g_vh is not None:
        v, g_v = vh.mH, g_vh.mH
        g_a = g_a + u @ ((g_v - v @ (v.mH @ g_v)) * s_inv.unsqueeze(-2).to(u.dtype)).mH
    return g_a


def safe_svd(a: Tensor, eps: float | None = None, gauge: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Reduced SVD ``a = u diag(s) vh`` with a backward pass that is finite at degeneracies.

    The forward pass is ``torch.linalg.svd(a, full_matrices=False)``; the backward pass
    broadens the inverses of singular-value gaps and of singular values (module docstring).
    Second derivatives are not available (``create_graph=True`` raises).

    Args:
        a: ``(..., m, n)`` real or complex matrix.
        eps: Relative broadening (default :func:`default_eps` of the dtype); 0 gives torch's
            formula (NaN at degeneracies).
        gauge: Promise that the loss depends on the first ``gauge`` left (or right) singular
            vectors only through their span (``u[:, :gauge] @ Q`` for any unitary ``Q`` gives
            the same loss): their mutual terms are then dropped, not evaluated.

    Returns:
        ``(u, s, vh)`` with shapes ``(..., m, k)``, ``(..., k)``, ``(..., k, n)``, ``k = min(m, n)``.

    Raises:
        ValueError: If ``a`` has fewer than 2 dimensions or ``eps`` is negative.

    Example:
        >>> import torch
        >>> u, s, vh = safe_svd(torch.tensor([[3.0, 0.0], [0.0, 4.0]], dtype=torch.float64))
        >>> s.tolist()
        [4.0, 3.0]
    """
    if a.dim() < 2:
        raise ConfigError(
            f"safe_svd needs a matrix (..., m, n), got shape {tuple(a.shape)}; reshape it first"
        )
    if eps is None:
        eps = default_eps(a.dtype)
    if not eps >= 0:
        raise ConfigError(f"eps must be >= 0 (the relative broadening, e.g. 1e-12), got {eps!r}")
    return _SafeSVD.apply(a, float(eps), int(gauge))


def truncated_svd(
    a: Tensor, keep: Callable[[Tensor], int], eps: float | None = None, gauge: bool = False
) -> tuple[Tensor, Tensor, Tensor]:
    """The leading singular vectors of ``a``, as many as ``keep(s)`` says (decided in the forward pass).

    Like :func:`safe_svd` followed by slicing. With ``gauge=True`` the ``gauge`` of
    :func:`safe_svd` is the number kept: for a loss that depends on the kept left (or right)
    vectors exactly through their span, as an MPS that is not truncated afterwards does when
    the other factor of a split is a projection of ``a`` on them. A chain that truncates
    afterwards is invariant only up to the conditioning of its later truncations, and is
    better served by the broadened terms (``gauge=False``).

    Args:
        a: ``(m, n)`` matrix.
        keep: Maps the singular values (descending, detached) to how many vectors to keep.
        eps: Relative broadening (default :func:`default_eps` of the dtype).
        gauge: Drop the mutual terms of the kept vectors in the backward pass.

    Returns:
        ``(u_k (m, k), s (min(m, n),), vh_k (k, n))``: all singular values, ``k`` vectors.

    Example:
        >>> import torch
        >>> a = torch.diag(torch.tensor([3.0, 2.0, 1e-20], dtype=torch.float64))
        >>> u, s, vh = truncated_svd(a, lambda s: int((s > 1e-12).sum()))
        >>> tuple(u.shape), s.tolist()
        ((3, 2), [3.0, 2.0, 1e-20])
    """
    if eps is None:
        eps = default_eps(a.dtype)
    if not eps >= 0:
        raise ConfigError(f"eps must be >= 0 (the relative broadening, e.g. 1e-12), got {eps!r}")
    return _TruncatedSVD.apply(a, lambda s: keep(s.detach()), float(eps), bool(gauge))


__all__ = ["SVD_EPS", "SVD_EPS_SINGLE", "default_eps", "safe_svd", "svd_backward", "truncated_svd"]
