"""Weight initialisation and identity blocks (qml.templates.init)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from qml.ir import Circuit, W, X
from qml.reference import dense_unitary
from qml.templates import (
    INIT_STRATEGIES,
    angle_encoding,
    hardware_efficient,
    identity_blocks,
    init_weights,
    strongly_entangling,
)


@pytest.mark.parametrize("strategy", INIT_STRATEGIES)
def test_init_weights_is_reproducible_and_shaped(strategy: str) -> None:
    c = strongly_entangling(3, 2)
    a = init_weights(c, strategy, seed=7)
    b = init_weights(c, strategy, seed=7)
    assert a.shape == (18,)
    assert a.dtype == torch.float64
    assert torch.equal(a, b)
    assert init_weights(c, strategy, seed=7, batch=4).shape == (4, 18)
    if strategy != "zeros":
        assert not torch.equal(a, init_weights(c, strategy, seed=8))


def test_init_weights_ranges_and_moments() -> None:
    u = init_weights(20000, "uniform", seed=1)
    assert u.abs().max() <= math.pi
    assert u.min() < -3.0
    assert u.max() > 3.0
    s = init_weights(20000, "small", seed=1)
    assert s.abs().max() <= 0.01
    n = init_weights(20000, "normal", seed=1, scale=0.5)
    assert abs(float(n.mean())) < 0.02
    assert abs(float(n.std()) - 0.5) < 0.02
    assert torch.count_nonzero(init_weights(10, "zeros")) == 0
    assert init_weights(5, "uniform", seed=0, scale=0.2).abs().max() <= 0.2
    assert init_weights(3, seed=0, dtype=torch.float32).dtype == torch.float32


def test_init_weights_does_not_touch_global_rng() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    init_weights(100, "normal", seed=5)
    assert torch.equal(torch.rand(3), expected)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_blocks=st.integers(1, 3), kind=st.sampled_from(["hea", "sel", "u3"]))
def test_identity_blocks_start_as_identity(seed: int, n_blocks: int, kind: str) -> None:
    if kind == "hea":
        block = hardware_efficient(3, 1, entangler="CRX", pattern="circular")
    elif kind == "sel":
        block = strongly_entangling(3, 2)
    else:
        block = Circuit(3).add("U3", 0, W(0), W(1), W(2)).add("CNOT", (0, 2)).add("RZZ", (1, 2), W(0) * W(1))
    c, w0 = identity_blocks(block, n_blocks, seed=seed)
    assert c.n_weights == 2 * n_blocks * block.n_weights == w0.shape[0]
    np.testing.assert_allclose(dense_unitary(c, w0.numpy()), np.eye(8), atol=1e-10)
    # The halves are independent weights: moving one breaks the identity.
    w1 = w0.clone()
    w1[0] += 0.5
    assert not np.allclose(dense_unitary(c, w1.numpy()), np.eye(8), atol=1e-3)
    # Reproducible.
    assert torch.equal(identity_blocks(block, n_blocks, seed=seed)[1], w0)


def test_identity_blocks_with_block_function_and_inputs() -> None:
    def block(b: int) -> Circuit:
        return angle_encoding(2) + hardware_efficient(2, b + 1, final_rotations=False)

    c, w0 = identity_blocks(block, 2, strategy="normal", seed=0)
    assert c.n_inputs == 2
    assert c.n_weights == 2 * (4 + 8)
    x = [0.3, -1.1]
    np.testing.assert_allclose(dense_unitary(c, w0.numpy(), x), np.eye(4), atol=1e-10)
    # pair 0 = weights [a_0 (4), c_0 (4)], pair 1 = [a_1 (8), c_1 (8)], with c_b = a_b initially
    assert torch.equal(w0[:4], w0[4:8])
    assert torch.equal(w0[8:16], w0[16:24])


def test_identity_blocks_zeros_strategy() -> None:
    c, w0 = identity_blocks(Circuit(1).add("RX", 0, W(0) + X(0)), 1, strategy="zeros")
    assert torch.count_nonzero(w0) == 0
    assert c.name == "identity_blocks"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: init_weights(3, "xavier"), "unknown strategy 'xavier'; expected one of"),
        (lambda: init_weights(3, "normal", scale=-1.0), "scale must be a finite number > 0"),
        (lambda: init_weights(3, "normal", scale=float("inf")), "scale must be a finite number > 0"),
        (lambda: init_weights(3, seed=-1), "seed must be an integer >= 0"),
        (lambda: init_weights(3, batch=0), "batch must be an integer >= 1"),
        (lambda: init_weights(-2), "n_weights must be an integer >= 0"),
        (lambda: identity_blocks(hardware_efficient(2, 1), 0), "n_blocks must be an integer >= 1"),
        (lambda: identity_blocks(lambda b: "RY", 1), "must be a Circuit or a function returning one"),
        (lambda: identity_blocks(42, 1), "must be a Circuit or a function returning one"),
        (lambda: identity_blocks(lambda b: Circuit(b + 1), 2), "block 1 has 2 wires but block 0 has 1"),
        (lambda: identity_blocks(hardware_efficient(2, 1), 1, strategy="he"), "unknown strategy 'he'"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
