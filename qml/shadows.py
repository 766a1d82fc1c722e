"""Classical-shadow kernel baseline for ground-state properties across a Hamiltonian family.

The baseline of Huang, Kueng, Torlai, Albert and Preskill, "Provably efficient machine
learning for quantum many-body problems", Science 377, eabk3333 (2022):

1. At each training point ``lambda_t`` the exact ground state is "measured" with random
   single-qubit Pauli bases (classical shadows, Huang-Kueng-Preskill 2020):
   :func:`measure_shadow`.
2. Pauli-string expectation values are estimated from the snapshots with the unbiased
   estimator ``prod_{w in supp P} 3 [basis_w = P_w] outcome_w``: :func:`shadow_expectations`.
3. Kernel ridge regression over ``lambda`` predicts those values at new ``lambda``
   (:func:`fit_shadow_kernel`, hyper-parameters by closed-form leave-one-out), and the energy
   is assembled from the predicted values of the terms of ``H(lambda)``: :func:`shadow_baseline`.

Conventions: wire 0 is the most significant bit of a basis index (as in :mod:`qml.paulis`);
bases are coded ``0 = X, 1 = Y, 2 = Z`` and outcomes are the eigenvalues ``+1 / -1``.

Example:
    >>> from qml.models.conditional import HamiltonianFamily
    >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=3, periodic=False)
    >>> out = shadow_baseline(fam, [0.3, 0.8, 1.3, 1.8], [1.0], n_snapshots=500, seed=1)
    >>> bool(abs(out["energy"][0] - fam.exact(1.0).energy) < 0.3), out["shots_total"]
    (True, 2000)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qml.errors import ConfigError
from qml.paulis import PauliString, PauliSum

if TYPE_CHECKING:
    import torch

    from qml.models.conditional import HamiltonianFamily

__all__ = [
    "KERNELS",
    "Shadow",
    "ShadowKernelModel",
    "family_strings",
    "fit_kernel",
    "fit_shadow_kernel",
    "measure_shadow",
    "shadow_baseline",
    "shadow_expectations",
]

#: Kernels of :func:`fit_kernel`.
KERNELS: tuple[str, ...] = ("gaussian", "dirichlet")
_CODES = {"X": 0, "Y": 1, "Z": 2}
_S2 = 1.0 / math.sqrt(2.0)
# Basis changes U_b with U_b |eigenvalue +1 of b> = |0>: H for X, H S^dagger for Y, I for Z.
_ROT = np.array([[[_S2, _S2], [_S2, -_S2]], [[_S2, -1j * _S2], [_S2, 1j * _S2]], [[1, 0], [0, 1]]], complex)
_DEFAULT_GRIDS = {"gaussian": tuple(np.logspace(-1, 3, 17)), "dirichlet": (1, 2, 3, 4, 5, 6, 8, 10)}
_DEFAULT_ALPHAS = tuple(np.logspace(-10, 1, 12))


def _count(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(
            f"{what} must be an integer >= {minimum}, got {value!r}; pass a whole number, e.g. {what}=100"
        )
    return int(value)


def _as_state(state: Any) -> np.ndarray:
    psi = np.asarray(state.detach().cpu().numpy() if hasattr(state, "detach") else state)
    if psi.ndim != 1 or psi.size < 2 or psi.size & (psi.size - 1):
        raise ConfigError(
            f"a state must be a 1-D vector of length 2^n (n >= 1), got shape {psi.shape}; "
            "pass one state vector, wire 0 = most significant bit"
        )
    psi = psi.astype(np.complex128)
    norm = float(np.vdot(psi, psi).real)
    if not math.isfinite(norm) or abs(norm - 1.0) > 1e-4:
        raise ConfigError(f"the state has squared norm {norm}, expected 1; normalise it (psi / ||psi||)")
    return psi / math.sqrt(norm)


def _as_lams(lams: Any, k: int | None = None) -> np.ndarray:
    """``lambda`` values as a ``(B, K)`` float array (a scalar or ``(B,)`` for ``K = 1``)."""
    x = np.asarray(lams.detach().cpu().numpy() if hasattr(lams, "detach") else lams, dtype=float)
    if x.ndim == 0:
        x = x.reshape(1, 1)
    elif x.ndim == 1:
        x = x.reshape(1, -1) if k is not None and k > 1 and x.size == k else x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[0] == 0 or (k is not None and x.shape[1] != k):
        want = "(B,) or (B, 1)" if k in (None, 1) else f"(B, {k})"
        raise ConfigError(f"lambda must have shape {want}, got shape {np.shape(lams)}")
    if not np.isfinite(x).all():
        raise ConfigError("lambda values must be finite; drop NaN or infinite rows")
    return x


@dataclass(frozen=True, eq=False)
class Shadow:
    """Snapshots of random Pauli-basis measurements of one state.

    Attributes:
        bases: ``(S, n)`` int8, the basis measured on each wire: ``0 = X, 1 = Y, 2 = Z``.
        outcomes: ``(S, n)`` int8, the eigenvalue observed, ``+1`` or ``-1``.
        seed: The seed of :func:`measure_shadow` that drew the snapshots.

    Example:
        >>> sh = Shadow(np.array([[2, 0]], np.int8), np.array([[1, -1]], np.int8), seed=0)
        >>> sh.n_snapshots, sh.n_wires
        (1, 2)
    """

    bases: np.ndarray
    outcomes: np.ndarray
    seed: int

    def __post_init__(self) -> None:
        b, o = np.asarray(self.bases), np.asarray(self.outcomes)
        if b.ndim != 2 or b.shape != o.shape or b.shape[0] == 0:
            raise ConfigError(
                f"bases and outcomes must be (S, n) arrays of one shape with S >= 1, got {b.shape} and "
                f"{o.shape}"
            )
        if not np.isin(b, (0, 1, 2)).all() or not np.isin(o, (-1, 1)).all():
            raise ConfigError("bases must hold 0 (X), 1 (Y) or 2 (Z) and outcomes +1 or -1")
        object.__setattr__(self, "bases", b.astype(np.int8))
        object.__setattr__(self, "outcomes", o.astype(np.int8))

    @property
    def n_snapshots(self) -> int:
        """Number of snapshots ``S``.

        Example:
            >>> measure_shadow(np.array([1.0, 0.0]), 7).n_snapshots
            7
        """
        return int(self.bases.shape[0])

    @property
    def n_wires(self) -> int:
        """Number of qubits ``n``.

        Example:
            >>> measure_shadow(np.eye(8)[0], 3).n_wires
            3
        """
        return int(self.bases.shape[1])


def measure_shadow(state: np.ndarray | torch.Tensor, n_snapshots: int, seed: int = 0) -> Shadow:
    """Sample a classical shadow: per snapshot a uniformly random Pauli basis on every wire and one outcome.

    The outcome is drawn from the Born distribution of the state rotated into the chosen
    bases. Snapshots are processed in batches: each wire's ``2x2`` basis change is applied
    to a ``(batch, 2^n)`` block of copies of the state, one index is sampled per row, and its
    bits (wire 0 = most significant) become the outcomes. Cost ``O(S n 2^n)``; about 0.4 s
    for ``n = 12, S = 2000``. Same ``seed``, same shadow.

    Args:
        state: A normalised state vector of length ``2^n`` (NumPy or a torch tensor).
        n_snapshots: Number of snapshots ``S >= 1``.
        seed: Seed of ``np.random.default_rng`` (an integer >= 0).

    Returns:
        The :class:`Shadow`.

    Raises:
        ValueError: For a state that is not a normalised vector of length ``2^n``, ``n_snapshots < 1``
            or a negative seed.

    Example:
        >>> sh = measure_shadow(np.array([1, 0, 0, 0]), 100, seed=3)  # |00>
        >>> bool((sh.outcomes[sh.bases == 2] == 1).all())
        True
    """
    psi = _as_state(state)
    n_snap = _count(n_snapshots, "n_snapshots")
    seed = _count(seed, "seed", minimum=0)
    n, dim = psi.size.bit_length() - 1, psi.size
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 3, size=(n_snap, n), dtype=np.int8)
    u = rng.random(n_snap)
    index = np.empty(n_snap, dtype=np.int64)
    batch = max(1, (1 << 19) // dim)
    for start in range(0, n_snap, batch):
        b = bases[start : start + batch]
        amp = np.tile(psi, (len(b), 1))
        for w in range(n):
            m = _ROT[b[:, w]][:, :, :, None, None]  # (B, 2, 2, 1, 1)
            a = amp.reshape(len(b), 1 << w, 2, dim >> (w + 1))
            a0, a1 = a[:, :, 0, :].copy(), a[:, :, 1, :]
            a[:, :, 0, :] = m[:, 0, 0] * a0 + m[:, 0, 1] * a1
            a[:, :, 1, :] = m[:, 1, 0] * a0 + m[:, 1, 1] * a1
        cum = np.cumsum(amp.real**2 + amp.imag**2, axis=1)
        picked = (cum < u[start : start + batch, None] * cum[:, -1:]).sum(axis=1)
        index[start : start + batch] = np.minimum(picked, dim - 1)
    bits = (index[:, None] >> (n - 1 - np.arange(n))) & 1
    return Shadow(bases, (1 - 2 * bits).astype(np.int8), seed)


def shadow_expectations(
    shadow: Shadow, strings: Sequence[PauliString | str], median_of_means: int = 1
) -> np.ndarray:
    """Unbiased shadow estimates of ``<P>`` for each Pauli string ``P``.

    Per snapshot the estimate is ``prod_{w in supp P} 3 [basis_w = P_w] outcome_w`` (``1`` for
    the identity), the trace of ``P`` with the inverted measurement channel
    ``tensor_w (3 U_w^dagger |b_w><b_w| U_w - I)``; its variance is at most ``3^weight``.

    Args:
        shadow: The snapshots.
        strings: Pauli strings (or their text, ``"Z0 Z1"``) on wires ``< shadow.n_wires``.
        median_of_means: ``k >= 1``; for ``k > 1`` the snapshots are split into ``k`` contiguous,
            near-equal groups and the median of the group means is returned (robust to outliers).

    Returns:
        ``(M,)`` float estimates, in the order of ``strings``.

    Raises:
        ValueError: For a string acting outside the shadow's wires or ``median_of_means`` not in
            ``1..S``.

    Example:
        >>> sh = measure_shadow(np.array([1, 0, 0, 1]) / np.sqrt(2), 3000, seed=0)  # Bell state
        >>> est = shadow_expectations(sh, ["I", "Z0 Z1", "X0 X1", "Z0"])
        >>> float(est[0]), bool(abs(est[1] - 1) < 0.2), bool(abs(est[3]) < 0.15)
        (1.0, True, True)
    """
    k = _count(median_of_means, "median_of_means")
    if k > shadow.n_snapshots:
        raise ConfigError(
            f"median_of_means={k} exceeds the {shadow.n_snapshots} snapshots; use at most one group per "
            "snapshot (e.g. median_of_means=10 with >= 10 snapshots)"
        )
    out = np.empty(len(strings))
    for j, text in enumerate(strings):
        s = PauliString.parse(text) if isinstance(text, str) else text
        if s.ops and s.ops[-1][0] >= shadow.n_wires:
            raise ConfigError(
                f"{s} acts on wire {s.ops[-1][0]} but the shadow has {shadow.n_wires} wires; "
                "measure a wider state or drop the string"
            )
        if s.is_identity:
            out[j] = 1.0
            continue
        wires = list(s.wires)
        letters = np.array([_CODES[ltr] for _, ltr in s.ops], dtype=np.int8)
        match = (shadow.bases[:, wires] == letters).all(axis=1)
        values = np.where(match, 3.0 ** len(wires) * shadow.outcomes[:, wires].prod(axis=1), 0.0)
        out[j] = values.mean() if k == 1 else np.median([g.mean() for g in np.array_split(values, k)])
    return out


def _lattice(cutoff: float, k: int) -> np.ndarray:
    r = math.floor(cutoff)
    grid = np.array(np.meshgrid(*[np.arange(-r, r + 1)] * k, indexing="ij")).reshape(k, -1).T
    return grid[(grid**2).sum(axis=1) <= cutoff**2 + 1e-9]


def _kernel(kernel: str, gamma: float, xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """Kernel matrix on normalised inputs, plus 1 (a penalised intercept)."""
    d = xa[:, None, :] - xb[None, :, :]
    if kernel == "gaussian":
        return np.exp(-gamma * (d**2).sum(axis=-1)) + 1.0
    return np.cos(np.pi * d @ _lattice(gamma, xa.shape[1]).T).mean(axis=-1) + 1.0


@dataclass(eq=False)
class ShadowKernelModel:
    """Kernel ridge regression of (shadow-estimated) Pauli expectation values over ``lambda``.

    Inputs are normalised per component, ``x = (lambda - lam_lo) / lam_scale``, so the
    training points span ``[0, 1]``. Kernels (``gamma`` is the kernel's hyper-parameter):

    * ``"gaussian"``: ``exp(-gamma |x - x'|^2)``.
    * ``"dirichlet"``: the l2-Dirichlet kernel of Huang et al. (2022),
      ``sum_{k in Z^K, |k|_2 <= gamma} cos(pi k.(x - x'))``, divided by its number of terms
      (so ``k(x, x) = 1``); ``gamma`` is the frequency cutoff ``Lambda >= 1``. The paper puts
      ``x`` in ``[-1, 1]^K``; here ``x`` is in ``[0, 1]^K`` so the kernel's period 2 does not
      tie the two ends of the training range together. (The authors' released notebook uses
      the separable feature map ``cos(pi j x_k), j = -2..2`` with a linear kernel instead.)

    A constant 1 is added to either kernel (a penalised intercept), so predictions far from
    the data relax to a constant rather than to zero, and the leave-one-out formula stays exact.

    Attributes:
        train_lams: ``(T, K)`` training ``lambda``.
        strings: The ``M`` Pauli strings learned.
        targets: ``(T, M)`` training values (shadow estimates, or exact values for :func:`fit_kernel`).
        kernel: ``"gaussian"`` or ``"dirichlet"``.
        gamma: The kernel hyper-parameter (see above).
        alpha: The ridge.
        n_snapshots: Snapshots per training point (``0`` for exact targets).
        seed: The measurement seed.
        lam_lo: ``(K,)`` smallest training value per component.
        lam_scale: ``(K,)`` training range per component (``1`` where it is zero).
        cv_error: Root-mean-square leave-one-out error of the chosen hyper-parameters.

    Example:
        >>> lams = np.linspace(0, 1, 6)
        >>> m = fit_kernel(lams, np.sin(lams)[:, None], ["Z0"])
        >>> bool(abs(m.predict("Z0", [0.45])[0] - np.sin(0.45)) < 1e-3)
        True
    """

    train_lams: np.ndarray
    strings: list[PauliString]
    targets: np.ndarray
    kernel: str
    gamma: float
    alpha: float
    n_snapshots: int
    seed: int
    lam_lo: np.ndarray
    lam_scale: np.ndarray
    cv_error: float = float("nan")
    _dual: np.ndarray = field(init=False, repr=False)
    _index: dict[PauliString, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.train_lams = _as_lams(self.train_lams)
        self.targets = np.asarray(self.targets, dtype=float).reshape(len(self.train_lams), -1)
        x = self._normalise(self.train_lams)
        gram = _kernel(self.kernel, self.gamma, x, x)
        self._dual = np.linalg.solve(gram + self.alpha * np.eye(len(x)), self.targets)
        self._index = {s: i for i, s in enumerate(self.strings)}

    def _normalise(self, lams: np.ndarray) -> np.ndarray:
        return (lams - np.asarray(self.lam_lo)) / np.asarray(self.lam_scale)

    def predict_expectations(self, lams: Any) -> np.ndarray:
        """Predicted ``<P>`` of every learned string at ``lambda``: shape ``(B, M)``.

        Example:
            >>> m = fit_kernel([0.0, 1.0, 2.0], [[0.1], [0.2], [0.3]], ["X0"])
            >>> m.predict_expectations([0.5, 1.5]).shape
            (2, 1)
        """
        x = self._normalise(_as_lams(lams, self.train_lams.shape[1]))
        return _kernel(self.kernel, self.gamma, x, self._normalise(self.train_lams)) @ self._dual

    def predict(self, op: PauliSum | PauliString | str, lams: Any) -> np.ndarray:
        """Predicted ``<op>`` at ``lambda``: ``sum coeff * <string>`` (identity terms count ``coeff``).

        Raises:
            ValueError: When ``op`` has strings the model did not learn (they are named).

        Example:
            >>> m = fit_kernel([0.0, 1.0, 2.0], [[1.0, 0.5]] * 3, ["Z0", "X1"])
            >>> np.round(m.predict("2 Z0 - X1 + 0.5", [1.0]), 6).tolist()
            [2.0]
        """
        o = PauliSum.coerce(op)
        missing = [str(s) for _, s in o.terms if not s.is_identity and s not in self._index]
        if missing:
            raise ConfigError(
                f"the model has no prediction for {', '.join(missing)}; refit with these strings included "
                "(e.g. family_strings(family, extra=[op]))"
            )
        values = self.predict_expectations(lams)
        out = np.full(values.shape[0], o.constant())
        for c, s in o.terms:
            if not s.is_identity:
                out += c * values[:, self._index[s]]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly description: hyper-parameters, sizes, seed and the learned strings.

        Example:
            >>> fit_kernel([0.0, 1.0], [[0.0], [1.0]], ["Z0"], gammas=[1.0], alphas=[0.1]).to_dict()["gamma"]
            1.0
        """
        return {
            "kernel": self.kernel,
            "gamma": float(self.gamma),
            "alpha": float(self.alpha),
            "cv_error": float(self.cv_error),
            "n_train": int(self.train_lams.shape[0]),
            "n_params": int(self.train_lams.shape[1]),
            "n_strings": len(self.strings),
            "n_snapshots": int(self.n_snapshots),
            "seed": int(self.seed),
            "lam_lo": [float(v) for v in np.ravel(self.lam_lo)],
            "lam_scale": [float(v) for v in np.ravel(self.lam_scale)],
            "strings": [str(s) for s in self.strings],
        }


def _grid(values: Sequence[float] | None, default: Sequence[float], what: str, lo: float) -> list[float]:
    out = [float(v) for v in (default if values is None else values)]
    if not out or not all(math.isfinite(v) and v >= lo and v > 0 for v in out):
        raise ConfigError(f"{what} must be a non-empty list of finite numbers >= {lo} (> 0), got {values!r}")
    return out


def fit_kernel(
    train_lams: Any,
    targets: Any,
    strings: Sequence[PauliString | str],
    kernel: str = "gaussian",
    gammas: Sequence[float] | None = None,
    alphas: Sequence[float] | None = None,
    n_snapshots: int = 0,
    seed: int = 0,
) -> ShadowKernelModel:
    """Kernel ridge regression of given targets over ``lambda``, hyper-parameters by leave-one-out.

    The pair ``(gamma, alpha)`` with the smallest root-mean-square leave-one-out error over all
    points and strings is kept, computed in closed form: with ``K = V diag(s) V^T`` the LOO
    residual is ``((I - H) y)_i / (1 - H_ii)``, ``I - H = V diag(alpha / (s + alpha)) V^T``.
    :func:`fit_shadow_kernel` calls this with shadow estimates; exact targets give the
    noiseless reference.

    Args:
        train_lams: ``(T,)`` or ``(T, K)`` training ``lambda``, ``T >= 2``.
        targets: ``(T, M)`` values of the ``M`` strings (``(T,)`` for one string).
        strings: The ``M`` distinct Pauli strings (or their text).
        kernel: ``"gaussian"`` or ``"dirichlet"`` (see :class:`ShadowKernelModel`).
        gammas: Kernel hyper-parameters searched (default: ``logspace(-1, 3, 17)`` for the
            gaussian, cutoffs ``1..10`` for the Dirichlet kernel).
        alphas: Ridges searched (default ``logspace(-10, 1, 12)``).
        n_snapshots: Recorded in the model (``0`` = exact targets).
        seed: Recorded in the model.

    Raises:
        ValueError: For an unknown kernel, fewer than 2 points, mismatched shapes, repeated
            strings or bad grids.

    Example:
        >>> m = fit_kernel([0.0, 0.5, 1.0, 1.5], [[0.0], [0.25], [1.0], [2.25]], ["Z0"], kernel="dirichlet")
        >>> m.kernel, m.to_dict()["n_train"]
        ('dirichlet', 4)
    """
    if kernel not in KERNELS:
        raise ConfigError(f"unknown kernel {kernel!r}; valid kernels: {', '.join(KERNELS)}")
    x = _as_lams(train_lams)
    if len(x) < 2:
        raise ConfigError(f"need at least 2 training points, got {len(x)}; add training lambda values")
    strs = [PauliString.parse(s) if isinstance(s, str) else s for s in strings]
    if not strs or len(set(strs)) != len(strs):
        raise ConfigError("strings must be a non-empty list of distinct Pauli strings; drop duplicates")
    y = np.asarray(targets, dtype=float)
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    if y.shape != (len(x), len(strs)) or not np.isfinite(y).all():
        raise ConfigError(
            f"targets must be finite with shape (T, M) = ({len(x)}, {len(strs)}), got {np.shape(targets)}"
        )
    gs = _grid(gammas, _DEFAULT_GRIDS[kernel], "gammas", 1.0 if kernel == "dirichlet" else 0.0)
    als = _grid(alphas, _DEFAULT_ALPHAS, "alphas", 0.0)
    lo = x.min(axis=0)
    span = x.max(axis=0) - lo
    scale = np.where(span > 0, span, 1.0)
    xn = (x - lo) / scale
    best = (math.inf, gs[0], als[0])
    for g in gs:
        s, v = np.linalg.eigh(_kernel(kernel, g, xn, xn))
        s = np.clip(s, 0.0, None)
        vy = v.T @ y
        for a in als:
            shrink = a / (s + a)
            loo = (v @ (shrink[:, None] * vy)) / ((v**2) @ shrink)[:, None]
            err = float(np.sqrt(np.mean(loo**2)))
            if err < best[0]:
                best = (err, g, a)
    err, g, a = best
    return ShadowKernelModel(x, strs, y, kernel, g, a, int(n_snapshots), int(seed), lo, scale, err)


def fit_shadow_kernel(
    train_lams: Any,
    states: Sequence[np.ndarray | torch.Tensor],
    strings: Sequence[PauliString | str],
    n_snapshots: int = 1000,
    seed: int = 0,
    kernel: str = "gaussian",
    gammas: Sequence[float] | None = None,
    alphas: Sequence[float] | None = None,
) -> ShadowKernelModel:
    """Measure a classical shadow of each training state and regress the estimates over ``lambda``.

    Training point ``t`` is measured with the seed ``SeedSequence([seed, t])`` (so different
    ``seed`` values give independent experiments); then :func:`fit_kernel` runs on the
    :func:`shadow_expectations` estimates.

    Args:
        train_lams: ``(T,)`` or ``(T, K)`` training ``lambda``, ``T >= 2``.
        states: The ``T`` (exact) ground states.
        strings: The Pauli strings to learn (e.g. :func:`family_strings`).
        n_snapshots: Snapshots per training point.
        seed: Measurement seed.
        kernel, gammas, alphas: As in :func:`fit_kernel`.

    Raises:
        ValueError: For mismatched numbers of states and points, and the errors of
            :func:`measure_shadow` and :func:`fit_kernel`.

    Example:
        >>> psi = lambda t: np.array([np.cos(t / 2), np.sin(t / 2)])  # RY(t)|0>: <Z> = cos t
        >>> m = fit_shadow_kernel([0.0, 0.5, 1.0, 1.5], [psi(t) for t in (0.0, 0.5, 1.0, 1.5)], ["Z0"], 2000)
        >>> bool(abs(m.predict("Z0", [0.75])[0] - np.cos(0.75)) < 0.15)
        True
    """
    x = _as_lams(train_lams)
    if len(states) != len(x):
        raise ConfigError(
            f"got {len(states)} states for {len(x)} training points; pass one ground state per lambda"
        )
    strs = [PauliString.parse(s) if isinstance(s, str) else s for s in strings]
    n_snap = _count(n_snapshots, "n_snapshots")
    seed = _count(seed, "seed", minimum=0)
    targets = np.stack(
        [
            shadow_expectations(
                measure_shadow(psi, n_snap, int(np.random.SeedSequence([seed, t]).generate_state(1)[0])), strs
            )
            for t, psi in enumerate(states)
        ]
    )
    return fit_kernel(x, targets, strs, kernel, gammas, alphas, n_snap, seed)


def family_strings(
    family: HamiltonianFamily, extra: Sequence[PauliSum | PauliString | str] = ()
) -> list[PauliString]:
    """The distinct non-identity strings of ``H_0, ..., H_K`` and of ``extra``, in order of first appearance.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=2, periodic=False)
        >>> [str(s) for s in family_strings(fam, extra=["Z0 + X0 X1"])]
        ['Z0 Z1', 'X0', 'X1', 'Z0', 'X0 X1']
    """
    seen: dict[PauliString, None] = {}
    for op in [*family.observables(), *extra]:
        for _, s in PauliSum.coerce(op).terms:
            if not s.is_identity:
                seen.setdefault(s, None)
    return list(seen)


def shadow_baseline(
    family: HamiltonianFamily,
    train_lams: Any,
    test_lams: Any,
    n_snapshots: int = 1000,
    seed: int = 0,
    observables: Mapping[str, PauliSum | PauliString | str] | None = None,
    kernel: str = "gaussian",
) -> dict[str, Any]:
    """The shadow-kernel baseline on a family: measure exact ground states, learn, predict.

    The training states are ``family.exact(lam).state``, the first column of the ground space:
    for a degenerate ground level (within the reference sector) this is one particular ground
    state, which is what a state-preparation experiment would have to pick too. The energy
    at a test ``lambda`` is ``<H_0> + sum_k lambda_k <H_k>`` from the predicted term values.

    Args:
        family: The :class:`~qml.models.conditional.HamiltonianFamily`.
        train_lams: Training ``lambda`` (``(T,)`` or ``(T, K)``), ``T >= 2``.
        test_lams: Prediction ``lambda`` (``(B,)`` or ``(B, K)``).
        n_snapshots: Snapshots per training point.
        seed: Measurement seed.
        observables: Extra observables ``{name: operator}`` to predict.
        kernel: As in :func:`fit_kernel`.

    Returns:
        ``{"energy": (B,), "observables": {name: (B,)}, "model": model.to_dict(),
        "n_snapshots", "shots_total": T * n_snapshots, "seed"}``.

    Raises:
        ValueError: When a training point has no exact state (too wide for ED), and the
            errors of :func:`fit_shadow_kernel`.

    Example:
        >>> from qml.models.conditional import HamiltonianFamily
        >>> fam = HamiltonianFamily.from_problem("tfim", "h", n=2, periodic=False)
        >>> out = shadow_baseline(fam, [0.5, 1.0, 1.5], [0.75], 200, observables={"mx": "X0"})
        >>> out["energy"].shape, sorted(out["observables"]), out["shots_total"]
        ((1,), ['mx'], 600)
    """
    obs = {str(k): PauliSum.coerce(v) for k, v in (observables or {}).items()}
    train = family.as_lams(train_lams).numpy()
    test = family.as_lams(test_lams).numpy()
    states = []
    for lam in train:
        state = family.exact(lam.tolist()).state
        if state is None:
            raise ConfigError(
                f"no exact ground state at lambda={lam.tolist()} (too wide for ED); use a smaller system"
            )
        states.append(state)
    strings = family_strings(family, list(obs.values()))
    model = fit_shadow_kernel(train, states, strings, n_snapshots, seed, kernel)
    terms = [model.predict(h, test) for h in family.observables()]
    energy = terms[0] + sum(test[:, k] * terms[k + 1] for k in range(test.shape[1]))
    return {
        "energy": np.asarray(energy, dtype=float),
        "observables": {k: model.predict(o, test) for k, o in obs.items()},
        "model": model.to_dict(),
        "n_snapshots": int(n_snapshots),
        "shots_total": len(train) * int(n_snapshots),
        "seed": int(seed),
    }
