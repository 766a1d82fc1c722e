"""The observables a physicist reads off a ground state, compared with the exact ground space.

:func:`observables` gathers, for one state, the quantities of :mod:`qml.correlations` and
:mod:`qml.entanglement` (spin units ``S = sigma / 2`` where a spin operator appears):

* ``sz``: total ``<S^z>``; ``s2``: ``<S_tot^2>``;
* ``zz_nn``: mean nearest-neighbour ``<Z_i Z_{i+1}>`` along the wire order (``xx_nn`` likewise);
* ``staggered_m2``: ``(1/N^2) sum_ij (-1)^(i+j) <S_i . S_j>``;
* ``sq_pi``: the structure factor ``S(q = pi)`` of ``S . S`` on the wire chain;
* ``entropy_half``, ``renyi2_half``: von Neumann and Renyi-2 entanglement entropies of the
  first half of the wires; ``entropy_profile``: von Neumann entropies of every cut.

:func:`compare_with_exact` evaluates the same on the exact state *closest* to the given one
within the (possibly degenerate) ground level: the normalised projection of the state on the
ground space, so a degenerate level is compared with its member the state actually chose.

Example:
    >>> import numpy as np
    >>> singlet = np.array([0, 1, -1, 0]) / np.sqrt(2)
    >>> obs = observables(singlet)
    >>> round(obs["s2"], 12), round(obs["entropy_half"], 12) == round(float(np.log(2)), 12)
    (0.0, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

#: Names returned by :func:`observables`, in order.
OBSERVABLES: tuple[str, ...] = (
    "sz",
    "s2",
    "zz_nn",
    "xx_nn",
    "staggered_m2",
    "sq_pi",
    "entropy_half",
    "renyi2_half",
    "entropy_profile",
)


def _as_tensor(state: Any) -> torch.Tensor:
    t = state.detach() if isinstance(state, torch.Tensor) else torch.as_tensor(np.asarray(state))
    return t.reshape(-1).to(torch.complex128)


def _from_mps(mps: Any) -> dict[str, Any]:
    """:func:`observables` of a :class:`qml.mps.MPS`, from its correlation matrices and Schmidt values."""
    from qml.mps import correlation_matrix, entanglement_profile, magnetization

    n = mps.n_wires
    with torch.no_grad():
        mz = magnetization(mps, "z")
        cc = {a: correlation_matrix(mps, a).cpu().numpy() for a in ("x", "y", "z")}
        vn = [float(v) + 0.0 for v in entanglement_profile(mps, "vn")]
        r2 = entanglement_profile(mps, "renyi2")
    dot = cc["x"] + cc["y"] + cc["z"]  # <sigma_i . sigma_j>
    eps = (-1.0) ** np.arange(n)
    stag = float(eps @ dot @ eps) / (4 * n * n)
    nn = range(n - 1)
    half = n // 2
    return {
        "sz": 0.5 * float(mz.sum()),
        "s2": float(dot.sum()) / 4,
        "zz_nn": float(np.mean([cc["z"][i, i + 1] for i in nn])) if n > 1 else 0.0,
        "xx_nn": float(np.mean([cc["x"][i, i + 1] for i in nn])) if n > 1 else 0.0,
        "staggered_m2": stag,
        "sq_pi": n * stag,
        "entropy_half": vn[half - 1] if half else 0.0,
        "renyi2_half": float(r2[half - 1]) if half else 0.0,
        "entropy_profile": vn,
    }


def observables(state: Any) -> dict[str, Any]:
    """The standard observables of one state (see the module docstring), as plain numbers.

    Args:
        state: A ``(2^n,)`` state (NumPy or torch), wire 0 the most significant bit, or a
            :class:`qml.mps.MPS` (any width: correlations and Schmidt values of the MPS,
            ``O(n^2 chi^3)``).

    Returns:
        ``{name: float}`` (``entropy_profile``: a list of ``n - 1`` floats).

    Example:
        >>> import numpy as np
        >>> up = np.zeros(8); up[0] = 1.0                 # |000>: all spins up
        >>> obs = observables(up)
        >>> obs["sz"], obs["s2"], obs["zz_nn"], obs["entropy_profile"]
        (1.5, 3.75, 1.0, [0.0, 0.0])
    """
    from qml import correlations as C
    from qml import entanglement as E
    from qml.mps import MPS

    if isinstance(state, MPS):
        return {k: (v + 0.0 if isinstance(v, float) else v) for k, v in _from_mps(state).items()}
    psi = _as_tensor(state)
    n = int(psi.numel()).bit_length() - 1
    psi = psi / torch.linalg.vector_norm(psi)
    mz = C.magnetization(psi, "z")
    czz, cxx = C.correlation_matrix(psi, "z"), C.correlation_matrix(psi, "x")
    nn = range(n - 1)
    out: dict[str, Any] = {
        "sz": 0.5 * float(mz.sum()),
        "s2": float(C.total_spin_squared(psi)),
        "zz_nn": float(np.mean([float(czz[i, i + 1]) for i in nn])) if n > 1 else 0.0,
        "xx_nn": float(np.mean([float(cxx[i, i + 1]) for i in nn])) if n > 1 else 0.0,
        "staggered_m2": float(C.staggered_magnetization_sq(psi)),
        "sq_pi": float(C.structure_factor(psi, float(np.pi), axis="all")),
    }
    half = list(range(n // 2))
    out["entropy_half"] = float(E.entanglement_entropy(psi, half, "vn")) if half else 0.0
    out["renyi2_half"] = float(E.entanglement_entropy(psi, half, "renyi2")) if half else 0.0
    out["entropy_profile"] = [float(v) + 0.0 for v in E.entanglement_profile(psi, "vn")]
    return {k: (v + 0.0 if isinstance(v, float) else v) for k, v in out.items()}


def closest_ground_state(state: Any, ground_space: np.ndarray) -> np.ndarray:
    """The normalised projection of ``state`` on the ground space (its first column if orthogonal).

    Example:
        >>> import numpy as np
        >>> g = np.eye(4)[:, :2]
        >>> closest_ground_state(np.array([0.6, 0.0, 0.8, 0.0]), g).tolist()
        [(1+0j), 0j, 0j, 0j]
    """
    v = _as_tensor(state).numpy()
    g = np.asarray(ground_space, dtype=complex)
    proj = g @ (g.conj().T @ v)
    norm = float(np.linalg.norm(proj))
    return g[:, 0] if norm < 1e-12 else proj / norm


def compare_with_exact(state: Any, ground_space: Any) -> dict[str, dict[str, Any]]:
    """Observables of ``state`` beside those of its closest exact ground state.

    ``ground_space`` is the ED ground space ``(2^n, d)`` (``state`` a vector or an MPS of at
    most 20 wires), or DMRG's ground state as a :class:`qml.mps.MPS` (``state`` an MPS of any
    width: the reference is that one state).

    Returns:
        ``{name: {"value": v, "exact": e, "abs_error": |v - e|}}`` (for the profile the
        error is the largest over cuts).

    Example:
        >>> import numpy as np
        >>> from qml.problems import get_problem
        >>> ex = get_problem("heisenberg", n=4).exact()
        >>> rows = compare_with_exact(ex.state, ex.ground_space)
        >>> round(rows["s2"]["exact"], 12), rows["s2"]["abs_error"] < 1e-12
        (0.0, True)
    """
    from qml.mps import MPS

    got = observables(state)
    if isinstance(ground_space, MPS):
        ref = observables(ground_space)
    else:
        dense = state.to_dense(normalize=True) if isinstance(state, MPS) else state
        ref = observables(closest_ground_state(dense, ground_space))
    out: dict[str, dict[str, Any]] = {}
    for k in OBSERVABLES:
        a, b = got[k], ref[k]
        err = (
            max(abs(x - y) for x, y in zip(a, b))
            if isinstance(a, list) and a
            else (0.0 if isinstance(a, list) else abs(a - b))
        )
        out[k] = {"value": a, "exact": b, "abs_error": float(err)}
    return out


__all__ = ["OBSERVABLES", "closest_ground_state", "compare_with_exact", "observables"]
