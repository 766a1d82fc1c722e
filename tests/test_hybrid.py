"""Hybrid regressors and classifiers: shapes, seeding, dtypes, training on a TFIM phase dataset."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from qml.models import QuantumLayer, accuracy, fit, predict, tfim_phase_dataset
from qml.models.hybrid import AngleScaling, hybrid_circuit, hybrid_classifier, hybrid_regressor


def test_builders_return_sequential_with_quantum_layer():
    model = hybrid_classifier(5, n_classes=3, n_qubits=3, layers=2, hidden=(4,), seed=0)
    assert isinstance(model, nn.Sequential)
    assert any(isinstance(m, QuantumLayer) for m in model)
    out = model(torch.zeros(6, 5, dtype=torch.float64))
    assert out.shape == (6, 3)
    assert out.dtype == torch.float64
    reg = hybrid_regressor(2, n_outputs=2, n_qubits=2, layers=1, encoding="angle")
    assert reg(torch.ones(4, 2, dtype=torch.float64)).shape == (4, 2)


def test_seeded_and_global_rng_untouched():
    x = torch.linspace(-1, 1, 12, dtype=torch.float64).reshape(4, 3)
    state = torch.get_rng_state()
    a = hybrid_classifier(3, seed=5, n_qubits=2, layers=1)
    assert torch.equal(state, torch.get_rng_state())
    b = hybrid_classifier(3, seed=5, n_qubits=2, layers=1)
    c = hybrid_classifier(3, seed=6, n_qubits=2, layers=1)
    torch.testing.assert_close(a(x), b(x), atol=0, rtol=0)
    assert not torch.allclose(a(x), c(x))


def test_float32_model():
    model = hybrid_regressor(2, n_qubits=2, layers=1, dtype=torch.float32)
    out = model(torch.zeros(3, 2))
    assert out.dtype == torch.float32
    q = next(m for m in model if isinstance(m, QuantumLayer))
    assert q.current_simulator().dtype == torch.complex64


def test_angle_scaling_and_circuit():
    torch.testing.assert_close(AngleScaling(1.5)(torch.tensor([0.0, 50.0])), torch.tensor([0.0, 1.5]))
    assert "scale=3.142" in repr(AngleScaling(math.pi))
    c = hybrid_circuit(3, 2)
    assert (c.n_inputs, c.n_weights) == (3, 18)
    assert hybrid_circuit(3, 2, "angle").n_inputs == 3


def test_errors():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        hybrid_classifier(3, n_classes=1)
    with pytest.raises(ValueError, match="unknown encoding 'amp'"):
        hybrid_regressor(3, encoding="amp")
    with pytest.raises(ValueError, match="n_qubits must be an integer >= 1"):
        hybrid_regressor(3, n_qubits=0)


def test_regressor_fits_a_smooth_function():
    x = torch.linspace(-1, 1, 48, dtype=torch.float64).reshape(-1, 1)
    y = torch.sin(2 * x)
    model = hybrid_regressor(1, n_qubits=2, layers=2, seed=1)
    hist = fit(model, nn.MSELoss(), (x, y), epochs=40, lr=0.05, batch_size=16, seed=0)
    assert hist.train_loss[-1] < 0.1 * hist.train_loss[0]
    assert float(nn.functional.mse_loss(predict(model, x), y)) < 0.02


def test_classifier_learns_tfim_phases():
    """Ordered vs disordered TFIM ground states (N = 8, 256 shots per basis) to >= 95 % test accuracy."""
    ds = tfim_phase_dataset(160, n_wires=8, shots=256, seed=0)
    (x_tr, y_tr), (x_te, y_te) = ds.split(0.25, seed=1)
    mu, sd = x_tr.mean(0), x_tr.std(0)
    x_tr, x_te = (x_tr - mu) / sd, (x_te - mu) / sd  # statistics of the training part only
    n_val = 20
    train, val = (x_tr[n_val:], y_tr[n_val:]), (x_tr[:n_val], y_tr[:n_val])
    model = hybrid_classifier(ds.X.shape[1], 2, n_qubits=ds.X.shape[1], layers=2, seed=0)
    hist = fit(
        model,
        nn.CrossEntropyLoss(),
        train,
        val,
        epochs=25,
        lr=0.05,
        batch_size=16,
        seed=0,
        patience=8,
        metric=accuracy,
    )
    acc = accuracy(predict(model, x_te), y_te)
    assert acc >= 0.95, f"test accuracy {acc:.3f} (history {hist.val_metric})"
