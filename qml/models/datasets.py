"""Physics datasets generated from exact ground states: TFIM phase classification.

:func:`tfim_phase_dataset` draws fields ``h`` at random (seeded), computes the exact ground
state of the periodic transverse-field Ising chain ``-sum Z Z - h sum X`` in the parity
sector ``P = +1`` (the problem library's reference), and describes each state by a few
features, either exact expectation values or estimates from simulated measurement shots:

* ``magnetization_x``: ``(1/N) sum <X_i>`` (transverse magnetisation);
* ``correlation_nn``: ``(1/N) sum <Z_i Z_{i+1}>``;
* ``correlation_half``: ``(1/N) sum <Z_i Z_{i+N/2}>`` (long-range order; ``m_z^2``-like);
* ``abs_magnetization_z`` (shots only): the mean of ``|sum z_i| / N`` over Z-basis shots.

Label 1 = ordered (ferromagnetic, ``h < 1``), 0 = disordered (paramagnetic, ``h > 1``).
Fields within ``margin`` of the critical point ``h = 1`` are not drawn: at finite ``N`` the
transition is a smooth crossover there and the labels would be ill defined.

Example:
    >>> ds = tfim_phase_dataset(20, n_wires=4, seed=0)
    >>> ds.X.shape, sorted(set(ds.y.tolist()))
    (torch.Size([20, 3]), [0, 1])
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from qml.errors import ConfigError

log = logging.getLogger(__name__)

Tensor = torch.Tensor

#: Feature names of :func:`tfim_phase_dataset` (exact features / shot features).
EXACT_FEATURES: tuple[str, ...] = ("magnetization_x", "correlation_nn", "correlation_half")
SHOT_FEATURES: tuple[str, ...] = (*EXACT_FEATURES, "abs_magnetization_z")


@dataclass
class PhaseDataset:
    """Features, labels and parameters of a generated dataset.

    Attributes:
        X: ``(M, F)`` float64 features.
        y: ``(M,)`` integer labels (1 = ordered, 0 = disordered).
        h: ``(M,)`` the fields.
        feature_names: Names of the ``F`` columns.
        n_wires: Chain length.
        seed: Seed that generated it.
        settings: Generation settings (range, margin, shots...).
        seconds: Generation time.
        versions: Package versions.

    Example:
        >>> ds = PhaseDataset(torch.zeros(4, 1), torch.tensor([0, 1, 0, 1]), torch.zeros(4), ["f"], 4, 0)
        >>> [t.shape[0] for t in ds.split(0.5, seed=0)[0]]
        [2, 2]
    """

    X: Tensor
    y: Tensor
    h: Tensor
    feature_names: list[str]
    n_wires: int
    seed: int
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def split(
        self, test_fraction: float = 0.3, seed: int | None = None
    ) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
        """Seeded random ``((X_train, y_train), (X_test, y_test))`` split.

        Args:
            test_fraction: Share of rows in the test set (0 < f < 1).
            seed: Seed of the permutation (default: the dataset's seed).

        Raises:
            ValueError: For a fraction leaving either part empty.

        Example:
            >>> (xa, ya), (xb, yb) = tfim_phase_dataset(10, n_wires=4, seed=0).split(0.2)
            >>> xa.shape[0], xb.shape[0]
            (8, 2)
        """
        if not 0.0 < float(test_fraction) < 1.0:
            raise ConfigError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        n = len(self)
        n_test = round(n * float(test_fraction))
        if n_test < 1 or n_test >= n:
            raise ConfigError(f"a {test_fraction} split of {n} rows leaves an empty part; use more samples")
        g = torch.Generator().manual_seed(self.seed if seed is None else int(seed))
        perm = torch.randperm(n, generator=g)
        te, tr = perm[:n_test], perm[n_test:]
        return (self.X[tr], self.y[tr]), (self.X[te], self.y[te])

    def standardized(self, mean: Tensor | None = None, std: Tensor | None = None) -> PhaseDataset:
        """A copy with features shifted and scaled (by default to zero mean, unit variance).

        Example:
            >>> ds = tfim_phase_dataset(10, n_wires=4, seed=1).standardized()
            >>> bool(ds.X.mean(0).abs().max() < 1e-12)
            True
        """
        mu = self.X.mean(0) if mean is None else mean
        sd = self.X.std(0).clamp_min(1e-12) if std is None else std
        settings = {**self.settings, "standardized": True}
        return PhaseDataset(
            (self.X - mu) / sd,
            self.y,
            self.h,
            list(self.feature_names),
            self.n_wires,
            self.seed,
            settings,
            self.seconds,
            dict(self.versions),
        )


def _sample_fields(n: int, lo: float, hi: float, margin: float, rng: np.random.Generator) -> np.ndarray:
    out: list[float] = []
    while len(out) < n:
        h = rng.uniform(lo, hi, size=2 * n)
        out += [float(v) for v in h if abs(v - 1.0) >= margin]
    return np.asarray(out[:n])


def _zz_mean(bits_pm: np.ndarray, r: int) -> np.ndarray:
    return (bits_pm * np.roll(bits_pm, -r, axis=-1)).mean(axis=-1)


def tfim_phase_dataset(
    n_samples: int = 200,
    n_wires: int = 8,
    h_range: tuple[float, float] = (0.0, 2.0),
    margin: float = 0.1,
    shots: int | None = None,
    seed: int = 0,
) -> PhaseDataset:
    """Ordered vs disordered TFIM ground states, described by a few observables.

    Args:
        n_samples: Number of states.
        n_wires: Chain length (periodic); at most 14 (exact states are computed).
        h_range: Interval the fields are drawn from (uniformly).
        margin: Fields with ``|h - 1| < margin`` are not drawn.
        shots: ``None``: exact expectation values (3 features); else estimates from this
            many Z-basis and X-basis shots per state (4 features, shot noise included).
        seed: Seed of the fields and of the shots.

    Returns:
        A :class:`PhaseDataset`.

    Raises:
        ValueError: For bad sizes or a range that contains no admissible field.

    Example:
        >>> ds = tfim_phase_dataset(8, n_wires=4, shots=64, seed=2)
        >>> ds.feature_names[-1], ds.X.shape
        ('abs_magnetization_z', torch.Size([8, 4]))
    """
    from qml.optimize.results import versions
    from qml.problems import get_problem

    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ConfigError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    if isinstance(n_wires, bool) or not isinstance(n_wires, int) or not 2 <= n_wires <= 14:
        raise ConfigError(f"n_wires must be an integer in 2..14 (exact ground states), got {n_wires!r}")
    lo, hi = (float(v) for v in h_range)
    if not 0.0 <= lo < hi:
        raise ConfigError(f"h_range must be (lo, hi) with 0 <= lo < hi, got {h_range!r}")
    if margin < 0 or (lo >= 1.0 - margin and hi <= 1.0 + margin):
        raise ConfigError(f"margin={margin} excludes the whole range {h_range}; use a smaller margin")
    if shots is not None and (isinstance(shots, bool) or not isinstance(shots, int) or shots < 1):
        raise ConfigError(f"shots must be a positive integer or None (exact features), got {shots!r}")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    hs = _sample_fields(n_samples, lo, hi, float(margin), rng)
    n = n_wires
    dim = 1 << n
    idx = np.arange(dim)
    bits = ((idx[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1).astype(np.int8)  # wire 0 = high bit
    zsign = 1.0 - 2.0 * bits  # (dim, n): eigenvalue of Z_i on each basis state
    half = max(1, n // 2)
    hadamard = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2.0)
    feats = np.zeros((n_samples, len(EXACT_FEATURES) if shots is None else len(SHOT_FEATURES)))
    for m, h in enumerate(hs):
        psi = get_problem("tfim", n=n, h=float(h)).exact().require_ground_space("the phase dataset")[:, 0]
        p_z = np.abs(psi) ** 2
        phi = psi.reshape((2,) * n)
        for w in range(n):  # Hadamard on every wire: X basis -> Z basis
            phi = np.moveaxis(np.tensordot(hadamard, phi, axes=([1], [w])), 0, w)
        p_x = np.abs(phi.reshape(-1)) ** 2
        if shots is None:
            feats[m, 0] = float(p_x @ zsign.mean(axis=1))
            feats[m, 1] = float(p_z @ _zz_mean(zsign, 1))
            feats[m, 2] = float(p_z @ _zz_mean(zsign, half))
            continue
        sz = zsign[rng.choice(dim, size=shots, p=p_z / p_z.sum())]
        sx = zsign[rng.choice(dim, size=shots, p=p_x / p_x.sum())]
        feats[m] = [
            sx.mean(),
            _zz_mean(sz, 1).mean(),
            _zz_mean(sz, half).mean(),
            np.abs(sz.mean(axis=1)).mean(),
        ]
    names = list(EXACT_FEATURES if shots is None else SHOT_FEATURES)
    ds = PhaseDataset(
        X=torch.as_tensor(feats, dtype=torch.float64),
        y=torch.as_tensor((hs < 1.0).astype(np.int64)),
        h=torch.as_tensor(hs, dtype=torch.float64),
        feature_names=names,
        n_wires=n,
        seed=int(seed),
        settings={
            "n_samples": n_samples,
            "h_range": [lo, hi],
            "margin": float(margin),
            "shots": shots,
            "periodic": True,
            "sector": "prod X = +1",
            "labels": "1 = ordered (h < 1), 0 = disordered",
        },
        seconds=time.perf_counter() - t0,
        versions=versions(),
    )
    log.info("tfim_phase_dataset: %d states on %d wires in %.2f s", n_samples, n, ds.seconds)
    return ds


__all__ = ["EXACT_FEATURES", "SHOT_FEATURES", "PhaseDataset", "tfim_phase_dataset"]
