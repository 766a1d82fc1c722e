"""TFIM phase dataset: labels, margins, seeding, exact vs shot features, splits, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml.models.datasets import EXACT_FEATURES, SHOT_FEATURES, PhaseDataset, tfim_phase_dataset


def test_labels_fields_and_margin():
    ds = tfim_phase_dataset(40, n_wires=6, h_range=(0.2, 1.8), margin=0.15, seed=0)
    assert isinstance(ds, PhaseDataset)
    assert len(ds) == 40
    assert ds.X.shape == (40, 3)
    assert ds.X.dtype == torch.float64
    assert ds.feature_names == list(EXACT_FEATURES)
    h = ds.h.numpy()
    assert h.min() >= 0.2
    assert h.max() <= 1.8
    assert np.abs(h - 1.0).min() >= 0.15
    assert torch.equal(ds.y, torch.as_tensor(h < 1.0).long())
    assert ds.seed == 0
    assert ds.settings["sector"] == "prod X = +1"
    assert "numpy" in ds.versions


def test_exact_features_follow_the_physics():
    ds = tfim_phase_dataset(30, n_wires=6, seed=1)
    mx, _nn_corr, half = ds.X.T.numpy()
    order = np.argsort(ds.h.numpy())
    # the transverse magnetisation grows with h, the long-range correlation falls
    assert np.all(np.diff(mx[order]) > 0)
    assert np.all(np.diff(half[order]) < 0)
    assert np.all(np.abs(ds.X.numpy()) <= 1.0 + 1e-12)
    small = tfim_phase_dataset(2, n_wires=4, h_range=(0.0, 0.01), margin=0.0, seed=0)
    assert small.X[:, 2].numpy() == pytest.approx([1.0, 1.0], abs=1e-3)  # GHZ-like: Z_i Z_j = 1


def test_seeded_and_shot_features_estimate_exact_ones():
    a = tfim_phase_dataset(12, n_wires=6, shots=4000, seed=5)
    b = tfim_phase_dataset(12, n_wires=6, shots=4000, seed=5)
    assert torch.equal(a.X, b.X)
    assert torch.equal(a.h, b.h)
    assert not torch.equal(a.X, tfim_phase_dataset(12, n_wires=6, shots=4000, seed=6).X)
    exact = tfim_phase_dataset(12, n_wires=6, seed=5)
    assert torch.equal(exact.h, a.h)  # same fields for the same seed
    assert a.feature_names == list(SHOT_FEATURES)
    # shot estimates agree with exact values to a few standard errors (1/sqrt(4000) ~ 0.016)
    assert float((a.X[:, :3] - exact.X).abs().max()) < 0.08


def test_split_and_standardize():
    ds = tfim_phase_dataset(20, n_wires=4, seed=2)
    (xa, ya), (xb, yb) = ds.split(0.25, seed=0)
    assert xa.shape[0] == 15
    assert xb.shape[0] == 5
    assert ya.shape[0] == 15
    assert yb.shape[0] == 5
    (xc, _), _ = ds.split(0.25, seed=0)
    assert torch.equal(xa, xc)
    st = ds.standardized()
    torch.testing.assert_close(st.X.mean(0), torch.zeros(3, dtype=torch.float64), atol=1e-12, rtol=0)
    assert st.settings["standardized"] is True
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\)"):
        ds.split(1.0)
    with pytest.raises(ValueError, match="leaves an empty part"):
        tfim_phase_dataset(2, n_wires=4, seed=0).split(0.1)


def test_errors():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 2"):
        tfim_phase_dataset(1)
    with pytest.raises(ValueError, match=r"n_wires must be an integer in 2\.\.14"):
        tfim_phase_dataset(10, n_wires=20)
    with pytest.raises(ValueError, match="h_range must be"):
        tfim_phase_dataset(10, h_range=(1.5, 0.5))
    with pytest.raises(ValueError, match="excludes the whole range"):
        tfim_phase_dataset(10, h_range=(0.95, 1.05), margin=0.1)
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        tfim_phase_dataset(10, shots=0)
