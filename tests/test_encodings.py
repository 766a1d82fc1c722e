"""Encodings (qml.templates.encodings) against their PennyLane / Qiskit namesakes."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
import torch
from conftest import pl_state
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit.library import zz_feature_map as qk_zz_feature_map
from qiskit.quantum_info import Statevector

from qml.ir import Circuit, W
from qml.reference import dense_state
from qml.templates import (
    QISKIT_ENTANGLEMENTS,
    amplitude_encoding,
    amplitude_features,
    angle_encoding,
    basis_encoding,
    data_reuploading,
    iqp_encoding,
    strongly_entangling,
    zz_feature_map,
)

SEEDS = st.integers(0, 2**31 - 1)


def rand(seed: int, n: int, lo: float = -np.pi, hi: float = np.pi) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, n)


def hadamards(n: int) -> Circuit:
    c = Circuit(n)
    for k in range(n):
        c = c.add("H", k)
    return c


# -- namesake qp.AngleEmbedding ---------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), rot=st.sampled_from(["X", "Y", "Z"]), data=st.data())
def test_angle_encoding_matches_pennylane(seed: int, n: int, rot: str, data) -> None:
    k = data.draw(st.integers(1, n))
    c = angle_encoding(n, rot, n_features=k)
    assert c.n_inputs == k
    assert c.n_weights == 0
    x = rand(seed, k)

    def body() -> None:
        for w in range(n):
            qp.Hadamard(w)
        qp.AngleEmbedding(x, wires=range(n), rotation=rot)

    np.testing.assert_allclose(dense_state(hadamards(n) + c, inputs=x), pl_state(n, body), atol=1e-10)


# -- namesake qp.IQPEmbedding -----------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), reps=st.integers(1, 3))
def test_iqp_encoding_matches_pennylane(seed: int, n: int, reps: int) -> None:
    c = iqp_encoding(n, n_repeats=reps)
    x = rand(seed, n)
    ref = pl_state(n, lambda: qp.IQPEmbedding(x, wires=range(n), n_repeats=reps))
    np.testing.assert_allclose(dense_state(c, inputs=x), ref, atol=1e-10)


def test_iqp_encoding_custom_pattern_matches_pennylane() -> None:
    pattern = [(0, 2), (2, 1)]
    x = rand(4, 3)
    ref = pl_state(3, lambda: qp.IQPEmbedding(x, wires=range(3), n_repeats=2, pattern=pattern))
    np.testing.assert_allclose(dense_state(iqp_encoding(3, 2, pattern), inputs=x), ref, atol=1e-10)


# -- namesake qiskit.circuit.library.zz_feature_map (little-endian: reverse_qargs) ----------------------
@settings(max_examples=10, deadline=None)
@given(
    seed=SEEDS,
    n=st.integers(2, 4),
    reps=st.integers(1, 3),
    ent=st.sampled_from(QISKIT_ENTANGLEMENTS),
    alpha=st.sampled_from([2.0, 1.0, 0.5]),
)
def test_zz_feature_map_matches_qiskit(seed: int, n: int, reps: int, ent: str, alpha: float) -> None:
    ours = zz_feature_map(n, reps=reps, entanglement=ent, alpha=alpha)
    theirs = qk_zz_feature_map(n, reps=reps, entanglement=ent, alpha=alpha)
    x = rand(seed, n, 0.0, 2 * np.pi)
    ref = np.asarray(Statevector(theirs.assign_parameters(list(x))).reverse_qargs().data)
    np.testing.assert_allclose(dense_state(ours, inputs=x), ref, atol=1e-10)


def test_zz_feature_map_uses_param_products() -> None:
    c = zz_feature_map(2, reps=1)
    phase = [op for op in c.ops if op.name == "PhaseShift"][-1].params[0]
    assert phase.refs("x") == {0, 1}
    x = [0.3, 1.7]
    assert phase.evaluate([], x) == pytest.approx(2.0 * (np.pi - 0.3) * (np.pi - 1.7))


# -- namesake qp.AmplitudeEmbedding -----------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), cplx=st.booleans(), zeros=st.booleans())
def test_amplitude_encoding_matches_pennylane(seed: int, n: int, cplx: bool, zeros: bool) -> None:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=2**n) + (1j * rng.normal(size=2**n) if cplx else 0)
    if zeros:  # exact zeros, e.g. sparse images
        v[rng.random(2**n) < 0.5] = 0.0
        v[0] = 1.0
    c = amplitude_encoding(n, complex_amplitudes=cplx)
    f = amplitude_features(torch.as_tensor(v))
    assert f.shape == (c.n_inputs,)
    assert not f.is_complex()
    ref = pl_state(n, lambda: qp.AmplitudeEmbedding(v, wires=range(n), normalize=True))
    psi = dense_state(c, inputs=f.numpy())
    np.testing.assert_allclose(psi, v / np.linalg.norm(v), atol=1e-10)
    if cplx:  # PennyLane's state may differ by a global phase in the complex case
        assert abs(np.vdot(ref, psi)) == pytest.approx(1.0, abs=1e-10)
    else:
        np.testing.assert_allclose(psi, ref, atol=1e-10)


def test_amplitude_features_padding_batch_and_wider_circuit() -> None:
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]], dtype=torch.float64)
    f = amplitude_features(x, pad_with=0.25)
    assert f.shape == (2, 3)
    for b in range(2):
        v = x[b].numpy()
        ref = pl_state(2, lambda v=v: qp.AmplitudeEmbedding(v, range(2), pad_with=0.25, normalize=True))
        np.testing.assert_allclose(dense_state(amplitude_encoding(2), inputs=f[b].numpy()), ref, atol=1e-10)
    wide = amplitude_features(x, n_wires=3, pad_with=0.0)
    padded = np.concatenate([x[1].numpy(), np.zeros(5)])
    psi = dense_state(amplitude_encoding(3), inputs=wide[1].numpy())
    np.testing.assert_allclose(psi, padded / np.linalg.norm(padded), atol=1e-10)
    real_in_complex = amplitude_features(x[1], pad_with=0.0, complex_amplitudes=True)
    psi = dense_state(amplitude_encoding(2, complex_amplitudes=True), inputs=real_in_complex.numpy())
    np.testing.assert_allclose(psi, np.r_[x[1].numpy(), 0] / np.linalg.norm(x[1].numpy()), atol=1e-10)


def test_amplitude_features_is_differentiable() -> None:
    x = torch.tensor([0.3, -1.2, 0.0, 0.8, 0.0, 0.0, 2.0, -0.1], dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda v: amplitude_features(v + 0.05), (x,))  # no zeros here
    f = amplitude_features(x)
    f.sum().backward()
    assert torch.isfinite(x.grad).all()  # exact zeros give finite gradients


def test_amplitude_encoding_end_to_end_gradient_with_simulator() -> None:
    simulator = pytest.importorskip("qml.sim.simulator")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 8, dtype=torch.float64, generator=gen).requires_grad_(True)
    psi = simulator.state(amplitude_encoding(3), None, amplitude_features(x))
    (psi[:, 0].abs() ** 2).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    ((x2[:, 0] / x2.norm(dim=1)) ** 2).sum().backward()
    torch.testing.assert_close(x.grad, x2.grad)


# -- namesake qp.BasisEmbedding ---------------------------------------------------------------------
@pytest.mark.parametrize("bits", [[1], [0, 1], [1, 0, 1], [1, 1, 0, 1]])
def test_basis_encoding_matches_pennylane(bits: list[int]) -> None:
    n = len(bits)
    ref = pl_state(n, lambda: qp.BasisEmbedding(bits, wires=range(n)))
    np.testing.assert_allclose(dense_state(basis_encoding(bits)), ref, atol=1e-12)
    np.testing.assert_allclose(dense_state(basis_encoding(n), inputs=bits), ref, atol=1e-12)


def test_basis_encoding_accepts_numpy_values() -> None:
    assert basis_encoding(np.int64(3)).n_inputs == 3
    assert basis_encoding(np.array([1, 0])).count() == {"X": 1}


def test_input_basis_encoding_is_exactly_x() -> None:
    start = hadamards(2).add("RY", 1, W(0))
    c = start + basis_encoding(2)
    xs = start.add("X", 1)
    np.testing.assert_allclose(dense_state(c, [0.4], [0, 1]), dense_state(xs, [0.4]), atol=1e-12)


# -- data re-uploading (namesake: AngleEmbedding + StronglyEntanglingLayers interleaved) ---------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 3), layers=st.integers(1, 3), init=st.booleans())
def test_data_reuploading_matches_pennylane(seed: int, n: int, layers: int, init: bool) -> None:
    c = data_reuploading(n, layers, encoding="Y", initial_trainable=init)
    n_blocks = layers + init
    assert c.n_weights == n_blocks * n * 3
    assert c.n_inputs == n
    w = rand(seed, c.n_weights).reshape(n_blocks, 1, n, 3)
    x = rand(seed + 1, n)

    def body() -> None:
        if init:
            qp.StronglyEntanglingLayers(w[0], wires=range(n))
        for l in range(layers):
            qp.AngleEmbedding(x, wires=range(n), rotation="Y")
            qp.StronglyEntanglingLayers(w[l + init], wires=range(n))

    np.testing.assert_allclose(dense_state(c, w.ravel(), x), pl_state(n, body), atol=1e-10)


@pytest.mark.parametrize("encoding", ["X", "iqp", "zz"])
@pytest.mark.parametrize("trainable", ["hardware_efficient", "basic_entangler"])
def test_data_reuploading_named_blocks(encoding: str, trainable: str) -> None:
    c = data_reuploading(3, 2, encoding=encoding, trainable=trainable)
    assert c.n_inputs == 3
    psi = dense_state(c, rand(0, c.n_weights), rand(1, 3))
    assert np.linalg.norm(psi) == pytest.approx(1.0)


def test_data_reuploading_custom_circuits() -> None:
    enc = angle_encoding(2) + Circuit(2).add("RY", 0, W(0))  # an encoding with a trainable weight too
    c = data_reuploading(2, 2, encoding=enc, trainable=strongly_entangling(2, 1))
    assert c.n_weights == 2 * (1 + 6)
    assert c.n_inputs == 2


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: angle_encoding(0), "n_wires must be an integer >= 1"),
        (lambda: angle_encoding(2, "W"), "unknown rotation 'W'; expected one of 'X', 'Y', 'Z'"),
        (lambda: angle_encoding(2, n_features=3), "n_features=3 exceeds n_wires=2"),
        (lambda: iqp_encoding(3, n_repeats=0), "n_repeats must be an integer >= 1"),
        (lambda: iqp_encoding(3, pattern=[(0, 5)]), "distinct wires in 0..2"),
        (lambda: zz_feature_map(2, entanglement="star"), "unknown entanglement 'star'; expected one of"),
        (lambda: zz_feature_map(2, reps=0), "reps must be an integer >= 1"),
        (lambda: zz_feature_map(1), "n_features must be an integer >= 2"),
        (lambda: data_reuploading(1, 1, encoding="zz"), "encoding='zz' needs n_wires >= 2"),
        (lambda: zz_feature_map(2, alpha=float("nan")), "alpha must be a finite real number"),
        (lambda: amplitude_encoding(0), "n_wires must be an integer >= 1"),
        (lambda: amplitude_features([0.0, 0.0]), "zero vector cannot be normalised"),
        (lambda: amplitude_features([1.0, 2.0, 3.0]), r"need 4 amplitudes; pass pad_with"),
        (lambda: amplitude_features([1.0] * 5, n_wires=2), "5 features but 2 wires hold at most 4"),
        (lambda: amplitude_features([1.0, 1.0], normalize=False), "not normalised"),
        (lambda: amplitude_features(torch.ones(2, 2, 2)), r"shape \(d,\) or \(B, d\)"),
        (lambda: amplitude_features([1j, 1.0], complex_amplitudes=False), "x is complex"),
        (lambda: basis_encoding([0, 2]), "sequence of 0s and 1s"),
        (lambda: basis_encoding([]), "sequence of 0s and 1s"),
        (lambda: basis_encoding(0), "n_wires must be an integer >= 1"),
        (lambda: basis_encoding("ab"), "sequence of 0/1"),
        (lambda: data_reuploading(2, 1, encoding="amp"), "unknown encoding 'amp'; expected one of"),
        (lambda: data_reuploading(2, 1, trainable="qnn"), "unknown trainable 'qnn'; expected one of"),
        (lambda: data_reuploading(2, 0), "layers must be an integer >= 1"),
        (lambda: data_reuploading(2, 1, encoding=angle_encoding(3)), "3 wires, expected n_wires=2"),
        (lambda: data_reuploading(2, 1, trainable=angle_encoding(2)), "must not read inputs"),
        (lambda: data_reuploading(1, 1, trainable="hardware_efficient"), "needs n_wires >= 2"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
