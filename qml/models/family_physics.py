"""What a physicist reads off a family of ground states ``H(lambda)``, predicted or exact, and the plots.

Per state (:func:`state_observables`): the magnetisations ``(1/N) sum <Z_i>``, ``(1/N) sum <X_i>``, the
total ``<S^z> = (1/2) sum <Z_i>``, the translation-averaged correlation ``C(r) = <Z_i Z_{i+r}>`` for
``r = 0..N//2`` and the von Neumann entropy (natural log) of the first half of the wires. Exact ground
spaces (:func:`ground_space_observables`) give the same, averaged over a degenerate level. Along a
one-parameter family, the fidelity susceptibility (:func:`fidelity_susceptibility`) and the peaks of
it and of the entropy (:func:`peak`, :func:`transition_estimates`) locate a transition.

Wire 0 is the most significant bit of a basis index; states are ``(B, 2**n)`` NumPy arrays or torch
tensors and are normalised row by row here.

Example:
    >>> import numpy as np
    >>> ghz = np.zeros((1, 8)); ghz[0, [0, 7]] = 2**-0.5
    >>> obs = state_observables(ghz)
    >>> obs["correlation_zz"].round(6).tolist(), round(float(obs["entropy_half"][0] / np.log(2)), 6)
    ([[1.0, 1.0]], 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qml import correlations as C
from qml import entanglement as E
from qml.errors import ConfigError
from qml.readout import closest_ground_state

#: Keys of :func:`state_observables` and :func:`ground_space_observables`.
QUANTITIES: tuple[str, ...] = (
    "magnetization_z",
    "magnetization_x",
    "sz_total",
    "correlation_zz",
    "entropy_half",
)
_LINEAR = QUANTITIES[:4]


def _states(states: Any, what: str = "states") -> torch.Tensor:
    """``(B, 2**n)`` complex128, each row normalised."""
    t = states.detach().cpu() if isinstance(states, torch.Tensor) else torch.as_tensor(np.asarray(states))
    if t.dim() == 1:
        t = t[None]
    dim = t.shape[-1] if t.dim() == 2 else 0
    if t.dim() != 2 or dim < 2 or dim & (dim - 1) or t.shape[0] == 0:
        raise ConfigError(f"{what} has shape {tuple(t.shape)}; expected (B, 2**n) with B >= 1, n >= 1")
    t = t.to(torch.complex128)
    norms = torch.linalg.vector_norm(t, dim=1, keepdim=True)
    if not torch.isfinite(norms).all() or (norms < 1e-300).any():
        raise ConfigError(f"{what} has a row that is zero or not finite; every state needs a finite norm > 0")
    return t / norms


def _lams(lams: Any, b: int | None = None, what: str = "lams") -> np.ndarray:
    x = np.asarray(lams.detach().cpu() if isinstance(lams, torch.Tensor) else lams, dtype=float)
    if x.ndim != 1 or (b is not None and x.shape[0] != b):
        want = f"({b},), one value per state" if b is not None else "(B,)"
        raise ConfigError(f"{what} has shape {x.shape}; expected {want} (a one-parameter family)")
    if not np.isfinite(x).all():
        raise ConfigError(f"{what} must be finite")
    if np.any(np.diff(x) <= 0):
        raise ConfigError(f"{what} must be strictly increasing (sorted, no repeats); sort the family first")
    return x


def state_observables(states: Any, periodic: bool = True) -> dict[str, np.ndarray]:
    """Magnetisations, ``<S^z>``, ``C(r)`` and the half-chain entropy of each state.

    Args:
        states: ``(B, 2**n)`` (or one ``(2**n,)`` state, read as ``B = 1``).
        periodic: ``C(r)`` averages ``<Z_i Z_{(i+r) mod N}>`` over all ``i`` (ring); else only over
            ``i + r < N`` (open chain).

    Returns:
        ``"magnetization_z"``, ``"magnetization_x"``, ``"sz_total"``, ``"entropy_half"`` (entropy of
        wires ``0..N//2-1``, natural log): ``(B,)``; ``"correlation_zz"``: ``(B, N//2 + 1)``.

    Example:
        >>> import numpy as np
        >>> plus = np.full((1, 8), 8**-0.5)  # |+++>
        >>> obs = state_observables(plus)
        >>> float(obs["magnetization_x"][0].round(12)), float(obs["sz_total"][0].round(12))
        (1.0, 0.0)
    """
    psi = _states(states)
    n = psi.shape[1].bit_length() - 1
    mz = C.magnetization(psi, "z").numpy()
    czz = C.correlation_matrix(psi, "z").numpy()
    i = np.arange(n)
    corr = []
    for r in range(n // 2 + 1):
        rows = i if periodic else i[: n - r]
        corr.append(czz[:, rows, (rows + r) % n].mean(axis=1))
    half = list(range(n // 2))
    ent = E.entanglement_entropy(psi, half).numpy() if half else np.zeros(psi.shape[0])
    return {
        "magnetization_z": mz.mean(axis=1),
        "magnetization_x": C.magnetization(psi, "x").numpy().mean(axis=1),
        "sz_total": 0.5 * mz.sum(axis=1),
        "correlation_zz": np.stack(corr, axis=1),
        "entropy_half": np.maximum(ent, 0.0),
    }


def ground_space_observables(
    ground_spaces: Sequence[np.ndarray], predicted_states: Any = None, periodic: bool = True
) -> dict[str, np.ndarray]:
    """:func:`state_observables` of exact ground spaces, independent of the basis of a degenerate level.

    The linear observables are those of the maximally mixed state in each ground space (the mean over
    its columns). The entropy is taken on one pure state: the ground-space state closest to the
    predicted state (:func:`qml.readout.closest_ground_state`) when ``predicted_states`` is given,
    else the first column.

    Args:
        ground_spaces: ``B`` arrays ``(2**n, d_b)`` of orthonormal columns (a ``(2**n,)`` vector: ``d = 1``).
        predicted_states: ``(B, 2**n)`` or ``None``.
        periodic: See :func:`state_observables`.

    Returns:
        The keys of :func:`state_observables`, one row per ground space.

    Example:
        >>> import numpy as np
        >>> g = np.eye(4)[:, [0, 3]]  # span{|00>, |11>}
        >>> obs = ground_space_observables([g], predicted_states=np.array([[1, 0, 0, 1]]) / 2**0.5)
        >>> float(obs["magnetization_z"][0]), round(float(obs["entropy_half"][0] / np.log(2)), 6)
        (0.0, 1.0)
    """
    spaces = [np.asarray(g.detach().cpu() if isinstance(g, torch.Tensor) else g) for g in ground_spaces]
    spaces = [g[:, None] if g.ndim == 1 else g for g in spaces]
    if not spaces or any(g.ndim != 2 or g.shape[1] == 0 or g.shape[0] != spaces[0].shape[0] for g in spaces):
        raise ConfigError(
            "ground_spaces must be a non-empty list of (2**n, d) arrays with the same 2**n, d >= 1"
        )
    pred = None if predicted_states is None else _states(predicted_states, "predicted_states").numpy()
    if pred is not None and pred.shape != (len(spaces), spaces[0].shape[0]):
        raise ConfigError(
            f"predicted_states has shape {pred.shape}; expected ({len(spaces)}, {spaces[0].shape[0]}), "
            "one state per ground space"
        )
    out: dict[str, list[np.ndarray]] = {k: [] for k in QUANTITIES}
    for b, g in enumerate(spaces):
        cols = state_observables(g.T, periodic)
        for k in _LINEAR:
            out[k].append(cols[k].mean(axis=0))
        pure = g[:, 0] if pred is None else closest_ground_state(pred[b], g)
        out["entropy_half"].append(state_observables(pure, periodic)["entropy_half"][0])
    return {k: np.stack(v) for k, v in out.items()}


def fidelity_susceptibility(lams: Any, states: Any) -> tuple[np.ndarray, np.ndarray]:
    """``chi_F = 2 (1 - |<psi_i|psi_{i+1}>|) / (lambda_{i+1} - lambda_i)^2`` at the midpoints.

    Args:
        lams: ``(B,)`` strictly increasing parameter values, ``B >= 2``.
        states: ``(B, 2**n)``, the state at each value (global phases do not matter).

    Returns:
        ``(midpoints, chi_F)``, both ``(B - 1,)``.

    Raises:
        ValueError: If ``lams`` is not strictly increasing or does not match the states.

    Example:
        >>> import numpy as np
        >>> lams = np.array([0.0, 0.01])
        >>> mid, chi = fidelity_susceptibility(lams, np.stack([np.cos(lams), np.sin(lams)], axis=1))
        >>> mid.tolist(), round(float(chi[0]), 4)  # chi_F = 1 for a unit-speed rotation
        ([0.005], 1.0)
    """
    psi = _states(states).numpy()
    x = _lams(lams, psi.shape[0])
    if x.shape[0] < 2:
        raise ConfigError("fidelity_susceptibility needs at least two states")
    overlap = np.minimum(np.abs(np.einsum("bi,bi->b", psi[:-1].conj(), psi[1:])), 1.0)
    dl = np.diff(x)
    return 0.5 * (x[:-1] + x[1:]), 2.0 * (1.0 - overlap) / dl**2


def peak(x: Any, y: Any) -> float:
    """Where ``y(x)`` is largest, refined by the parabola through the top point and its two neighbours.

    Args:
        x: ``(K,)`` strictly increasing, ``K >= 1``.
        y: ``(K,)`` finite values.

    Returns:
        The vertex of that parabola (exact when ``y`` is a parabola); the grid point itself when the
        maximum is at an end of the grid or the three points are collinear.

    Example:
        >>> peak([0.0, 1.0, 2.0, 3.0], [0.0, 1.75, 1.75, 0.0])
        1.5
    """
    xs = _lams(x, what="x")
    ys = np.asarray(y, dtype=float)
    if ys.shape != xs.shape or xs.size == 0:
        raise ConfigError(f"x and y must be non-empty with the same shape, got {xs.shape} and {ys.shape}")
    if not np.isfinite(ys).all():
        raise ConfigError("y must be finite")
    k = int(np.argmax(ys))
    if k == 0 or k == xs.size - 1:
        return float(xs[k])
    (x0, x1, x2), (y0, y1, y2) = xs[k - 1 : k + 2], ys[k - 1 : k + 2]
    den = (x1 - x0) * (y1 - y2) - (x1 - x2) * (y1 - y0)
    if den == 0:
        return float(x1)
    return float(x1 - 0.5 * ((x1 - x0) ** 2 * (y1 - y2) - (x1 - x2) ** 2 * (y1 - y0)) / den)


def transition_estimates(lams: Any, predicted_states: Any, exact_states: Any) -> dict[str, dict[str, float]]:
    """Transition estimates, predicted vs exact: peaks of ``chi_F`` and of the half-chain entropy.

    Args:
        lams: ``(B,)`` strictly increasing, ``B >= 3`` (``chi_F`` needs three midpoints to refine).
        predicted_states: ``(B, 2**n)``.
        exact_states: ``(B, 2**n)``, e.g. ``exact().state`` at each value.

    Returns:
        ``{"fidelity_susceptibility": {"predicted": x, "exact": x}, "entanglement": {...}}``.

    Example:
        >>> import numpy as np
        >>> lams = np.linspace(-1.0, 1.0, 9)
        >>> t = np.pi / 4 * (1 + np.tanh(5 * lams))  # rotates |00> -> |11> fastest at lambda = 0
        >>> psi = np.zeros((9, 4)); psi[:, 0], psi[:, 3] = np.cos(t), np.sin(t)
        >>> est = transition_estimates(lams, psi, psi)
        >>> abs(est["fidelity_susceptibility"]["exact"]) < 0.05, abs(est["entanglement"]["predicted"]) < 1e-9
        (True, True)
    """
    out: dict[str, dict[str, float]] = {"fidelity_susceptibility": {}, "entanglement": {}}
    for name, states in (("predicted", predicted_states), ("exact", exact_states)):
        x = _lams(lams, _states(states, f"{name}_states").shape[0])
        out["fidelity_susceptibility"][name] = peak(*fidelity_susceptibility(x, states))
        out["entanglement"][name] = peak(x, state_observables(states)["entropy_half"])
    return out


def _save(fig: Any, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    return p


def _figure(size: tuple[float, float]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: the caller's matplotlib backend stays as it is

    fig = Figure(figsize=size, constrained_layout=True)
    FigureCanvasAgg(fig)
    return fig


def plot_family_physics(
    path: str | Path,
    lams: Any,
    predicted: dict[str, Any],
    exact: dict[str, Any],
    *,
    train_lams: Any = None,
    crossings: Any = None,
    param: str = "lambda",
    title: str | None = None,
    spread: Any = None,
    energy_unit: str = "",
) -> Path:
    """PNG of the observables along a one-parameter family: predicted (markers) vs exact (lines).

    Panels: magnetisations z and x; half-chain entropy; ``C(N//2)``; ``chi_F`` (from ``"states"`` when
    a dict carries them, or a precomputed ``"chi_F": (midpoints, values)``, else no panel); the
    predicted uncertainty ``spread`` (log scale) when given.
    A panel is left out when neither dict has its quantity.

    Args:
        path: Output ``.png``.
        lams: ``(B,)`` strictly increasing parameter values.
        predicted: Keys of :func:`state_observables` (``(B,)`` / ``(B, R)``), optionally ``"states"``.
        exact: The same for the exact family.
        train_lams: Training values, drawn as faint vertical lines.
        crossings: ``[{"lambda": x, ...}]`` (one colour), or ``{"predicted": [...], "exact": [...]}``.
        param: x-axis label.
        title: Figure title.
        spread: ``(B,)`` predicted uncertainty (an energy).
        energy_unit: The problem's energy unit, for the spread's axis (``"pauli"``, ``"spin"``...).

    Returns:
        The path written.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> lams = np.linspace(0.0, 1.0, 5)
        >>> psi = np.stack([np.cos(lams), 0 * lams, 0 * lams, np.sin(lams)], axis=1)
        >>> obs = {**state_observables(psi), "states": psi}
        >>> plot_family_physics(os.path.join(tempfile.mkdtemp(), "f.png"), lams, obs, obs).suffix
        '.png'
    """
    from qml.units import energy_label

    x = _lams(lams)
    series: dict[str, dict[str, Any]] = {}
    for who, given in (("predicted", predicted), ("exact", exact)):
        d = series[who] = {}
        for k in (*QUANTITIES, "states"):
            if k not in given:
                continue
            v = (
                _states(given[k], f"{who}['states']").numpy()
                if k == "states"
                else np.asarray(given[k], float)
            )
            if v.shape[:1] != x.shape:
                raise ConfigError(f"{who}[{k!r}] has shape {v.shape}; expected {x.size} rows, one per lambda")
            d[k] = v
        if "correlation_zz" in d:
            d["correlation_long"] = d["correlation_zz"].reshape(x.size, -1)[:, -1]
        if "states" in d and x.size >= 2:
            d["chi_F"] = fidelity_susceptibility(x, d["states"])
        elif "chi_F" in given:  # precomputed (midpoints, chi_F), as stored in a prediction result
            d["chi_F"] = tuple(np.asarray(v, dtype=float) for v in given["chi_F"])
    sp = None if spread is None else np.asarray(spread, dtype=float)
    if sp is not None and sp.shape != x.shape:
        raise ConfigError(f"spread has shape {sp.shape}; expected {x.shape}")
    if isinstance(crossings, dict):
        if set(crossings) - {"predicted", "exact"}:
            raise ConfigError(f"crossings keys must be 'predicted' and/or 'exact', got {sorted(crossings)}")
        kinds = [
            (crossings.get("predicted") or [], "tab:purple", "predicted crossing"),
            (crossings.get("exact") or [], "k", "exact crossing"),
        ]
    else:
        kinds = [(crossings or [], "tab:purple", "crossing")]
    panels = [
        (("magnetization_z", "magnetization_x"), "magnetization"),
        (("entropy_half",), "half-chain entropy (nats)"),
        (("correlation_long",), "C(N//2) = <Z_i Z_(i+N//2)>"),
        (("chi_F",), "fidelity susceptibility"),
    ]
    panels = [(ks, lab) for ks, lab in panels if any(k in d for k in ks for d in series.values())]
    if not panels and sp is None:
        raise ConfigError(
            f"nothing to plot: predicted and exact have none of {', '.join(QUANTITIES)}, 'states'"
        )
    rows = len(panels) + (sp is not None)
    fig = _figure((7.0, 2.3 * rows + 0.6))
    axes = np.atleast_1d(fig.subplots(rows, 1, sharex=True))
    for ax, (keys, label) in zip(axes, panels):
        for k, c in zip(keys, ("tab:blue", "tab:orange")):
            name = f" {k[-1]}" if len(keys) > 1 else ""
            for who, style in (
                ("exact", dict(ls="-", lw=1.4)),
                ("predicted", dict(ls="", marker="o", ms=3.5)),
            ):
                if k in series[who]:
                    v = series[who][k]
                    ax.plot(*(v if k == "chi_F" else (x, v)), color=c, label=who + name, **style)
        ax.set_ylabel(label)
    if sp is not None:
        axes[-1].semilogy(x, np.maximum(sp, 1e-16), "o-", color="tab:green", ms=3, lw=1)
        axes[-1].set_ylabel(energy_label(energy_unit, "predicted spread"))
    train: list[float] | np.ndarray = (
        [] if train_lams is None else np.asarray(train_lams, dtype=float).ravel()
    )
    for ax in axes:
        for lam in train:
            ax.axvline(lam, color="r", lw=0.6, alpha=0.3)
        for values, c, lab in kinds:
            for i, v in enumerate(values):
                v = v["lambda"] if isinstance(v, dict) else v
                ax.axvline(
                    float(v), color=c, ls="--", lw=1.0, label=lab if i == 0 and ax is axes[0] else None
                )
    if len(train):
        axes[0].plot([], [], color="r", lw=0.6, alpha=0.3, label="training points")
    for ax in axes[: len(panels)]:
        ax.legend(fontsize=8)
    axes[-1].set_xlabel(param)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_phase_diagram(
    path: str | Path,
    xs: Any,
    ys: Any,
    predicted: np.ndarray,
    exact: np.ndarray,
    *,
    names: tuple[str, str] = ("x", "y"),
    quantity: str = "magnetization_z",
    train_points: Any = None,
    title: str | None = None,
) -> Path:
    """PNG of a two-parameter family: predicted and exact maps (shared colour scale) and ``|difference|``.

    Args:
        path: Output ``.png``.
        xs: ``(nx,)`` values of the first parameter (columns).
        ys: ``(ny,)`` values of the second parameter (rows).
        predicted: ``(ny, nx)`` map of ``quantity``.
        exact: ``(ny, nx)``.
        names: Axis labels.
        quantity: Colour-bar label.
        train_points: ``(K, 2)`` training ``(x, y)`` values, white crosses on the first two panels.
        title: Figure title.

    Returns:
        The path written.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> xs, ys = np.linspace(0, 1, 4), np.linspace(0, 2, 3)
        >>> m = np.add.outer(ys, xs)
        >>> plot_phase_diagram(os.path.join(tempfile.mkdtemp(), "p.png"), xs, ys, m + 0.01, m).suffix
        '.png'
    """
    gx, gy = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    pred, ex = np.asarray(predicted, dtype=float), np.asarray(exact, dtype=float)
    if gx.ndim != 1 or gy.ndim != 1 or not gx.size or not gy.size:
        raise ConfigError(f"xs and ys must be non-empty 1-D grids, got shapes {gx.shape} and {gy.shape}")
    for what, m in (("predicted", pred), ("exact", ex)):
        if m.shape != (gy.size, gx.size):
            raise ConfigError(
                f"{what} has shape {m.shape}; expected (len(ys), len(xs)) = {(gy.size, gx.size)}"
            )
    tp = None if train_points is None else np.asarray(train_points, dtype=float).reshape(-1, 2)
    lo = float(np.nanmin([np.nanmin(pred), np.nanmin(ex)]))
    hi = float(np.nanmax([np.nanmax(pred), np.nanmax(ex)]))
    fig = _figure((13.0, 4.0))
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    for ax, m, lab in ((axes[0], pred, "predicted"), (axes[1], ex, "exact")):
        im = ax.pcolormesh(gx, gy, m, shading="nearest", vmin=lo, vmax=hi, cmap="viridis")
        ax.set_title(f"{lab} {quantity}")
        if tp is not None and len(tp):
            ax.plot(tp[:, 0], tp[:, 1], "wx", ms=7, mew=1.5, label="training points")
    fig.colorbar(im, ax=axes[:2].tolist(), label=quantity)
    im = axes[2].pcolormesh(gx, gy, np.abs(pred - ex), shading="nearest", cmap="magma")
    axes[2].set_title("|predicted - exact|")
    fig.colorbar(im, ax=axes[2])
    for ax in axes:
        ax.set_xlabel(names[0])
    axes[0].set_ylabel(names[1])
    if title:
        fig.suptitle(title)
    return _save(fig, path)


__all__ = [
    "QUANTITIES",
    "fidelity_susceptibility",
    "ground_space_observables",
    "peak",
    "plot_family_physics",
    "plot_phase_diagram",
    "state_observables",
    "transition_estimates",
]
