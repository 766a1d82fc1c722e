"""Expectation values of Pauli sums on batched statevectors, without rotating the state.

A Pauli string ``P`` with X/Y on the wire set ``m`` and Z/Y on ``z`` acts as
``(P psi)[y] = (-i)^{n_Y} s_z(y) psi[y xor m]`` where ``s_z(y) = prod_{w in z} (1 - 2 y_w)``.
Terms are therefore grouped by their flip set ``m``: each group costs one flipped copy
of the state and one multiply-reduce against a precomputed diagonal
``D_m[o, y] = sum_t c_t (-i)^{n_Y,t} s_{z_t}(y)`` (one row per observable ``o``). All
diagonal (Z-only) terms of all observables form a single group, evaluated from
``|psi|^2``. The same diagonals apply ``H_eff = sum_o g_o H_o`` to a state for the
adjoint gradient.

Example:
    >>> import torch
    >>> from qml.paulis import pauli
    >>> plan = ObservablePlan([pauli("Z0 Z1 + 0.5*X0")], 2)
    >>> psi = torch.tensor([[1.0, 0, 0, 0]], dtype=torch.complex128)
    >>> plan.expval(psi)
    tensor([[1.]], dtype=torch.float64)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch

from qml.dtypes import complex_dtype, real_dtype
from qml.errors import ConfigError
from qml.paulis import PauliSum
from qml.sim import kernels as K
from qml.sim.tuning import tuning

__all__: list[str] = []  # engine internals: used by qml.sim.simulator, not an API

Tensor = torch.Tensor


@dataclass
class _Group:
    flip: tuple[int, ...]
    terms: list[tuple[int, complex, tuple[int, ...]]]  # (observable, coeff*(-i)^nY, z wires)
    #: Per-observable coefficient when every term is a pure X string (constant diagonal), else None.
    constant: list[float] | None = None

    @property
    def is_complex(self) -> bool:
        return any(c.imag != 0 for _, c, _ in self.terms)

    def finish(self, n_obs: int) -> None:
        """Fix :attr:`constant` once all terms are in (only groups that flip wires use it)."""
        if not self.flip or any(z for _, _, z in self.terms):
            return
        c = [0.0] * n_obs
        for o, coeff, _ in self.terms:
            c[o] += coeff.real  # no Z/Y wire means no Y, so the coefficient is real
        self.constant = c


def _flip_overlap(state: Tensor, n: int, flip: tuple[int, ...]) -> Tensor:
    """``Re <psi| X_flip |psi>`` per row; a single flipped wire needs no copy of the state."""
    if len(flip) == 1:
        shape, axis = K.split_shape(n, flip, state.shape[0])
        v = _real_view(state.reshape(shape))  # Re(conj(a) b) = a_re b_re + a_im b_im
        s0, s1 = v.select(axis[flip[0]], 0), v.select(axis[flip[0]], 1)
        return 2 * (s0 * s1).reshape(state.shape[0], -1).sum(-1)
    phi = K.apply_flip(state, n, flip)
    return (_real_view(state) * _real_view(phi)).reshape(state.shape[0], -1).sum(-1)


class _SquaresAt(torch.autograd.Function):
    """``x**2 @ d`` for a real ``x`` ``(B, M)`` and a constant ``d`` ``(M, K)``.

    The backward is ``2 x (g @ d^T)`` written into one buffer (autograd's own would form
    the outer product, ``2 x`` and their product separately: two passes over the state
    more). Double backward and ``torch.func`` transforms work (the backward is plain torch
    code, out of place when it is itself recorded).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, d: Tensor) -> Tensor:
        return x.square() @ d

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, Tensor], output: Tensor) -> None:
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, None]:
        x, d = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None
        # the outer product by broadcasting: g may be an expanded view, on which mm is slow
        h = g * (2 * d[:, 0]) if d.shape[1] == 1 else (g * 2).contiguous() @ d.T
        return (h * x if torch.is_grad_enabled() else h.mul_(x)), None


def _squares_at(x: Tensor, d: Tensor) -> Tensor:
    # below ``squares_at_min`` entries autograd's own backward of ``x.square() @ d`` is faster
    # (a Python backward costs ~40 us more; qml.sim.tuning)
    if torch.is_grad_enabled() and x.requires_grad and x.numel() >= tuning(x.device).squares_at_min:
        result: Tensor = _SquaresAt.apply(x, d)  # type: ignore[no-untyped-call]
        return result
    return x.square() @ d


def _real_view(t: Tensor) -> Tensor:
    """A complex tensor as real pairs (last axis of size 2); a real tensor unchanged."""
    return torch.view_as_real(t) if t.is_complex() else t


@dataclass
class ObservablePlan:
    """Grouped evaluation of several Pauli sums on ``n`` wires (see module docstring)."""

    observables: list[PauliSum]
    n: int
    #: Measure after a basis permutation ``psi -> psi[:, src]``, given by its inverse ``dst``
    #: (diagonal observables only: ``D`` becomes ``D[:, dst]``; see :meth:`after_permutation`).
    perm: np.ndarray | None = None
    groups: list[_Group] = field(init=False)
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        by_flip: dict[tuple[int, ...], _Group] = {}
        for o, obs in enumerate(self.observables):
            if obs.n_wires > self.n:
                raise ConfigError(
                    f"observable {o} ({obs}) acts on wire {obs.n_wires - 1} but the circuit has "
                    f"{self.n} wires (0..{self.n - 1})"
                )
            for coeff, ps in obs.terms:
                flip = tuple(w for w, p in ps.ops if p in "XY")
                z = tuple(w for w, p in ps.ops if p in "ZY")
                c = complex(coeff) * (-1j) ** ps.n_y
                by_flip.setdefault(flip, _Group(flip, [])).terms.append((o, c, z))
        self.groups = sorted(by_flip.values(), key=lambda g: (len(g.flip), g.flip))
        for g in self.groups:
            g.finish(self.n_obs)

        if self.perm is not None and not self.diagonal_only:
            raise ConfigError("a permuted observable plan needs diagonal (Z-only) observables")

    @property
    def n_obs(self) -> int:
        return len(self.observables)

    @property
    def diagonal_only(self) -> bool:
        """Whether every term is a product of Z (and I): the observables are diagonal."""
        return all(not g.flip for g in self.groups)

    def after_permutation(self, dst: np.ndarray) -> ObservablePlan:
        """The plan that measures these (diagonal) observables after the permutation ``psi[:, src]``.

        ``sum_a d_a |psi_src(a)|^2 = sum_b d_dst(b) |psi_b|^2``: a permutation at the end of a
        circuit needs no pass over the state.

        Example:
            >>> import numpy as np
            >>> from qml.paulis import pauli
            >>> swap = np.array([0, 2, 1, 3])  # SWAP of two wires is its own inverse
            >>> plan = ObservablePlan([pauli("Z0")], 2).after_permutation(swap)
            >>> plan.expval(torch.tensor([[0.0, 1.0, 0.0, 0.0]], dtype=torch.float64))  # |01> -> |10>
            tensor([[-1.]], dtype=torch.float64)
        """
        base = np.arange(2**self.n) if self.perm is None else self.perm
        return ObservablePlan(self.observables, self.n, base[dst])

    def _diagonal(self, g: _Group, real_only: bool, dtype: torch.dtype, device: torch.device) -> Tensor:
        rdt, cdt = real_dtype(dtype), complex_dtype(dtype)
        use_c = g.is_complex and not real_only
        D = torch.zeros(self.n_obs, 2**self.n, dtype=cdt if use_c else rdt, device=device)
        for o, c, z in g.terms:
            if real_only and c.real == 0:
                continue
            s = torch.ones((2,) * self.n, dtype=rdt, device=device)
            for w in z:
                shape = [1] * self.n
                shape[w] = 2
                s = s * torch.tensor([1.0, -1.0], dtype=rdt, device=device).reshape(shape)
            D[o] += (c if use_c else c.real) * s.reshape(-1)
        return D if self.perm is None else D[:, torch.from_numpy(self.perm).to(device)]

    def diagonals(self, real_only: bool, dtype: torch.dtype, device: torch.device) -> list[Tensor | None]:
        """The ``D_m`` tensors ``(n_obs, 2**n)``, ``None`` for constant (pure-X) groups.

        Cached when they fit ``observable_cache_bytes`` (:mod:`qml.sim.tuning`).
        """
        return self._cached(
            (real_only, dtype, device),
            lambda: [
                None if g.constant is not None else self._diagonal(g, real_only, dtype, device)
                for g in self.groups
            ],
        )

    def _cached(self, key: tuple[Any, ...], build: Callable[[], list[Tensor | None]]) -> list[Tensor | None]:
        """``build()``, kept in the plan when its tensors fit ``observable_cache_bytes``."""
        if key in self._cache:
            cached: list[Tensor | None] = self._cache[key]
            return cached
        ts = build()
        kept = [t for t in ts if t is not None]
        limit = tuning(kept[0].device if kept else "cpu").observable_cache_bytes
        if sum(t.numel() * t.element_size() for t in kept) <= limit:
            self._cache[key] = ts
        return ts

    def _x_constants(self, dtype: torch.dtype, device: torch.device) -> Tensor:
        """The coefficients of the pure-X groups, ``(G_x, n_obs)`` in group order (cached)."""
        key = ("x_constants", dtype, device)
        if key not in self._cache:
            rows = [g.constant for g in self.groups if g.flip and g.constant is not None]
            self._cache[key] = torch.tensor(rows, dtype=dtype, device=device).reshape(len(rows), self.n_obs)
        result: Tensor = self._cache[key]
        return result

    def pair_diagonals(self, dtype: torch.dtype, device: torch.device) -> list[Tensor | None]:
        """Real parts of the ``D_m``, transposed and repeated per real/imaginary pair: ``(2 * 2**n, n_obs)``.

        ``Re sum_k conj(a_k) b_k D_k`` is then one matmul of the real views, ``(a_re b_re,
        a_im b_im, ...) @ D2``, with no reduction over the pair axis (2-4x faster
        with its backward than forming ``|psi|^2`` first).
        """
        return self._cached(
            ("pairs", dtype, device),
            lambda: [
                None if d is None else d.real.T.repeat_interleave(2, 0).contiguous()
                for d in self.diagonals(False, dtype, device)
            ],
        )

    def expval(self, state: Tensor) -> Tensor:
        """``<psi|H_o|psi>`` for every observable: ``(B, 2**n) -> (B, n_obs)`` real.

        With flipped wires and a state that needs a gradient, the backward is one
        :meth:`apply` (``2 H_eff psi``) instead of autograd through every group's selects,
        flips and products (from ``plan_vjp_min`` entries on, :mod:`qml.sim.tuning`); second
        derivatives and ``torch.func`` transforms differentiate the plain evaluation.
        """
        if (
            state.requires_grad
            and torch.is_grad_enabled()
            and not self.diagonal_only
            and state.numel() >= tuning(state.device).plan_vjp_min
            and not torch._C._are_functorch_transforms_active()
        ):
            result: Tensor = _PlanExpval.apply(state, self)  # type: ignore[no-untyped-call]
            return result
        return self._evaluate(state)

    def _evaluate(self, state: Tensor) -> Tensor:
        """:meth:`expval` by plain torch operations (autograd differentiates them)."""
        real_state = not state.is_complex()
        ds = self.diagonals(real_state, state.dtype, state.device)
        rdt = state.real.dtype if state.is_complex() else state.dtype
        if not real_state:
            d2s = cast(list[Tensor], self.pair_diagonals(state.dtype, state.device))  # None where D is
            pairs = torch.view_as_real(state).reshape(state.shape[0], -1)
        out: Tensor | int = 0
        overlaps: list[Tensor] = []  # pure X strings: Re<psi|X..X|psi> per group, weighted at the end
        for k, (g, D) in enumerate(zip(self.groups, ds, strict=True)):
            if not g.flip:
                assert D is not None  # a group without flips reads a diagonal
                out = out + (_squares_at(state, D.T) if real_state else _squares_at(pairs, d2s[k]))
                continue
            if D is None:  # no diagonal to read: sum_o c_o Re<psi|X..X|psi>
                overlaps.append(_flip_overlap(state, self.n, g.flip))
                continue
            phi = K.apply_flip(state, self.n, g.flip)
            if real_state:
                out = out + (state * phi) @ D.T
                continue
            out = out + (pairs * torch.view_as_real(phi).reshape(state.shape[0], -1)) @ d2s[k]
            if D.is_complex():
                out = out - (state.conj() * phi).imag @ D.imag.T
        if overlaps:  # (B, G_x) @ (G_x, n_obs): one product for all pure-X groups
            ov = overlaps[0][:, None] if len(overlaps) == 1 else torch.stack(overlaps, 1)
            out = out + ov @ self._x_constants(rdt, state.device)
        if isinstance(out, int):  # no groups: the zero observable
            return torch.zeros(state.shape[0], self.n_obs, dtype=rdt, device=state.device)
        return out

    @torch.no_grad()
    def apply(self, state: Tensor, g: Tensor) -> Tensor:
        """``H_eff psi`` with ``H_eff = sum_o g[b, o] H_o`` per batch row ``b`` (not differentiable).

        For a real state the result is the real part, which is all a real-state
        gradient needs (the imaginary part of ``H`` does not couple to real states).
        Terms accumulate in place into one output; a single flipped wire with a constant
        diagonal (``X_i`` terms) adds the two swapped halves of the state without a copy.
        """
        real_state = not state.is_complex()
        ds = self.diagonals(real_state, state.dtype, state.device)
        rdt = state.real.dtype if state.is_complex() else state.dtype
        bs = state.shape[0]
        out = torch.zeros(state.shape, dtype=state.dtype, device=state.device)
        scales = (g.to(torch.float64) @ self._x_constants(torch.float64, g.device).T).to(rdt).T  # (G_x, B)
        x_group = 0
        for grp, D in zip(self.groups, ds, strict=True):
            if D is None:  # constant diagonal: one scale per row
                w = scales[x_group]
                x_group += 1
                if len(grp.flip) == 1:
                    shape, axis = K.split_shape(self.n, grp.flip, bs)
                    ov, sv, ax = out.view(shape), state.reshape(shape), axis[grp.flip[0]]
                    wv = w.view(bs, *([1] * (len(shape) - 2)))
                    ov.select(ax, 0).addcmul_(sv.select(ax, 1), wv)
                    ov.select(ax, 1).addcmul_(sv.select(ax, 0), wv)
                    continue
                out.addcmul_(K.apply_flip(state, self.n, grp.flip), w[:, None])
                continue
            scale = g.to(D.dtype) @ D
            if not grp.flip:
                out.add_(state * scale)
            else:
                phi = K.apply_flip(state, self.n, grp.flip)  # a fresh copy: scaled in place
                out.add_(phi.mul_(scale))
        return out


class _PlanExpval(torch.autograd.Function):
    """:meth:`ObservablePlan.expval` with the backward ``2 H_eff psi`` (one :meth:`~ObservablePlan.apply`).

    ``d/dpsi sum_o g_o <psi|H_o|psi> = 2 H_eff psi`` (torch's convention for complex inputs;
    the real part for real states). Under ``create_graph`` the backward differentiates the
    plain evaluation instead, so that second derivatives see the state's history.
    """

    @staticmethod
    def forward(ctx: Any, state: Tensor, plan: ObservablePlan) -> Tensor:
        ctx.save_for_backward(state)
        ctx.plan = plan
        with torch.no_grad():
            return plan._evaluate(state)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, None]:
        (state,) = ctx.saved_tensors
        plan: ObservablePlan = ctx.plan
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            with torch.enable_grad():
                (grad,) = torch.autograd.grad(plan._evaluate(state), state, g, create_graph=True)
            return grad, None
        return plan.apply(state, g).mul_(2), None
