"""The one validator of weights and inputs (qml.sim.arguments), shared by the simulators and backends."""

import numpy as np
import pytest
import torch

from qml.errors import ConfigError, ConfigTypeError
from qml.sim.arguments import parameter_rows


def test_shapes_batches_and_dtypes():
    rows, batched = parameter_rows([0.1, 0.2], 2, "weights")
    assert (tuple(rows.shape), batched, rows.dtype) == ((1, 2), False, torch.float64)
    rows, batched = parameter_rows(np.zeros((3, 2), dtype=np.float32), 2, "inputs", torch.float32)
    assert (tuple(rows.shape), batched, rows.dtype) == ((3, 2), True, torch.float32)
    none, batched = parameter_rows(None, 0, "inputs")
    assert (tuple(none.shape), batched) == ((1, 0), False)


def test_tensors_stay_on_the_autograd_graph():
    w = torch.tensor([0.3, 0.4], requires_grad=True)
    rows, _ = parameter_rows(w, 2, "weights")
    rows.sum().backward()
    assert w.grad is not None
    assert torch.equal(w.grad, torch.ones(2))


@pytest.mark.parametrize(
    ("value", "size", "error", "match"),
    [
        (
            None,
            2,
            ConfigError,
            r"this circuit needs 2 weights: pass weights= an array or tensor of shape \(2,\)",
        ),
        ([0.1, 0.2, 0.3], 2, ConfigError, r"weights must have shape \(2,\) or \(batch, 2\).*got \(3,\)"),
        (np.zeros((2, 2, 2)), 2, ConfigError, r"flatten template weights with \.reshape\(-1\)"),
        (np.zeros((0, 2)), 2, ConfigError, r"a batch of 0 rows"),
        ([0.1, float("nan")], 2, ConfigError, r"weights must be finite numbers; entry 1 is nan"),
        ([[0.1, 0.2], [float("inf"), 0.0]], 2, ConfigError, r"entry \(1, 0\) is inf"),
        ([1j, 0.0], 2, ConfigTypeError, r"weights must be real, got complex values"),
        (["a", "b"], 2, ConfigTypeError, r"weights must be numbers"),
    ],
)
def test_bad_values_are_refused_with_what_to_do(value, size, error, match):
    with pytest.raises(error, match=match):
        parameter_rows(value, size, "weights")


def test_the_finiteness_check_can_be_left_to_the_caller():
    rows, _ = parameter_rows([float("nan")], 1, "weights", check_finite=False)
    assert torch.isnan(rows).all()
