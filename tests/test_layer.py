"""QuantumLayer: batched forward, gradients, dtypes, state_dict, nn.Sequential, backend hook, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from qml.ir import Circuit, W, X
from qml.models.layer import QuantumLayer, complex_dtype
from qml.paulis import pauli
from qml.sim.simulator import Simulator
from qml.templates import data_reuploading

OBS = ["Z0", "X1 Z2", pauli("0.5*Z0 Z1 + X2 - 0.3*Y1")]


def _layer(seed: int = 0, dtype: torch.dtype = torch.float64, **kw) -> QuantumLayer:
    return QuantumLayer(data_reuploading(3, 2, encoding="Y"), OBS, seed=seed, dtype=dtype, **kw)


def _inputs(b: int = 5, seed: int = 1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(b, 3, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_batched_forward_equals_per_sample_loop():
    layer = _layer()
    x = _inputs(6)
    batched = layer(x)
    assert batched.shape == (6, 3)
    loop = torch.stack([layer(x[i]) for i in range(6)])
    assert loop.shape == (6, 3)
    torch.testing.assert_close(batched, loop, atol=1e-12, rtol=0)


def test_forward_is_one_simulator_call_per_batch():
    calls = []

    def backend(circuit, observables, weights, inputs):
        calls.append(None if inputs is None else tuple(inputs.shape))
        return Simulator().expval(circuit, observables, weights, inputs)

    layer = _layer(backend=backend)
    out = layer(_inputs(7))
    assert calls == [(7, 3)]
    torch.testing.assert_close(out, _layer()(_inputs(7)), atol=1e-12, rtol=0)


def test_gradients_match_finite_differences():
    layer = _layer()
    x = _inputs(3).requires_grad_(True)
    out = (layer(x) * torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64)).sum()
    gw, gx = torch.autograd.grad(out, [layer.weights, x])
    eps = 1e-6

    def f(w: torch.Tensor, xx: torch.Tensor) -> float:
        with torch.no_grad():
            layer.weights.copy_(w)
            return float((layer(xx) * torch.tensor([1.0, -0.5, 2.0], dtype=torch.float64)).sum())

    w0 = layer.weights.detach().clone()
    for i in (0, 5, w0.numel() - 1):
        d = torch.zeros_like(w0)
        d[i] = eps
        fd = (f(w0 + d, x.detach()) - f(w0 - d, x.detach())) / (2 * eps)
        assert abs(fd - float(gw[i])) < 1e-6
    for b, j in ((0, 0), (2, 1)):
        d = torch.zeros_like(x)
        d[b, j] = eps
        fd = (f(w0, x.detach() + d) - f(w0, x.detach() - d)) / (2 * eps)
        assert abs(fd - float(gx[b, j])) < 1e-6


def test_state_dict_round_trip():
    a, b = _layer(seed=0), _layer(seed=7)
    x = _inputs()
    assert not torch.allclose(a(x), b(x))
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a(x), b(x), atol=0, rtol=0)


def test_state_dict_of_another_circuit_is_refused():
    a = _layer()
    other = QuantumLayer(data_reuploading(3, 2, encoding="X"), OBS)
    with pytest.raises(ValueError, match="different circuit"):
        other.load_state_dict(a.state_dict())
    third = QuantumLayer(data_reuploading(3, 2, encoding="Y"), ["Z0", "Z1", "Z2"])
    with pytest.raises(ValueError, match="different observables"):
        third.load_state_dict(a.state_dict())


def test_float32_path_uses_complex64_and_agrees():
    ref = _layer()
    low = _layer().float()
    assert low.weights.dtype == torch.float32
    assert low.current_simulator().dtype == torch.complex64
    out = low(_inputs().float())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref(_inputs()), atol=2e-5, rtol=0)
    # float64 inputs to a float32 layer are cast, not refused
    assert low(_inputs()).dtype == torch.float32
    back = low.double()
    assert back.current_simulator().dtype == torch.complex128


def test_default_dtype_follows_torch_and_to_works():
    layer = QuantumLayer(data_reuploading(3, 1), "Z0")
    assert layer.weights.dtype == torch.get_default_dtype()
    layer = layer.to(torch.float64)
    assert layer.current_simulator().dtype == torch.complex128
    assert layer.to("cpu").current_simulator().device == torch.device("cpu")
    assert complex_dtype(torch.float32) == torch.complex64
    with pytest.raises(TypeError, match="float32"):
        complex_dtype(torch.float16)


@pytest.mark.gpu
def test_to_cuda():
    layer = _layer().to("cuda")
    out = layer(_inputs().cuda())
    assert out.device.type == "cuda"
    torch.testing.assert_close(out.cpu(), _layer()(_inputs()), atol=1e-10, rtol=0)


def test_inside_sequential_trains_all_parameters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), _layer(), nn.Linear(3, 1)).double()
    x = torch.randn(8, 4, dtype=torch.float64)
    y = torch.randn(8, 1, dtype=torch.float64)
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    first = float(loss.detach())
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    assert float(loss.detach()) < first


def test_circuit_without_inputs_and_state():
    c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    layer = QuantumLayer(c, ["Z0", "Z1", "Z0 Z1"], weight_init=[0.0], dtype=torch.float64)
    torch.testing.assert_close(layer(), torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64))
    assert layer.state().shape == (4,)
    assert layer.n_inputs == 0
    assert layer.n_outputs == 3
    assert "n_weights=1" in repr(layer)


def test_weight_init_strategies_are_seeded():
    a, b, c = _layer(seed=3), _layer(seed=3), _layer(seed=4)
    assert torch.equal(a.weights, b.weights)
    assert not torch.equal(a.weights, c.weights)
    z = QuantumLayer(data_reuploading(3, 1), "Z0", weight_init="zeros")
    assert float(z.weights.detach().abs().sum()) == 0.0


def test_errors():
    layer = _layer()
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 3\)"):
        layer(torch.zeros(4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"inputs must have shape"):
        layer(torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="reads 3 input features"):
        layer()
    with pytest.raises(TypeError, match="complex"):
        layer(torch.zeros(2, 3, dtype=torch.complex128))
    with pytest.raises(ValueError, match="weight_init has 2 values"):
        QuantumLayer(data_reuploading(3, 1), "Z0", weight_init=[0.0, 1.0])
    with pytest.raises(ValueError, match="acts on wire 5"):
        QuantumLayer(data_reuploading(3, 1), "Z5")
    with pytest.raises(ValueError, match="observables is empty"):
        QuantumLayer(data_reuploading(3, 1), [])
    with pytest.raises(TypeError, match=r"qml\.ir\.Circuit"):
        QuantumLayer("not a circuit", "Z0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backend must be a callable"):
        QuantumLayer(data_reuploading(3, 1), "Z0", backend=3)  # type: ignore[arg-type]


def test_single_input_circuit_example():
    c = Circuit(1).add("RY", 0, X(0)).add("RY", 0, W(0))
    layer = QuantumLayer(c, "Z0", weight_init="zeros", dtype=torch.float64)
    out = layer(torch.tensor([[0.0], [torch.pi]], dtype=torch.float64))
    torch.testing.assert_close(out[:, 0], torch.tensor([1.0, -1.0], dtype=torch.float64))
