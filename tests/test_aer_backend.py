"""Qiskit Aer behind the backend protocol: exact, sampled, noisy; one primitive call per batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml.backends import get_backend
from qml.backends.aer_backend import AerBackend
from qml.backends.qiskit_common import fake_backend, fake_backend_names, to_sparse_pauli
from qml.ir import Circuit, W, X
from qml.paulis import pauli


def circuit() -> Circuit:
    return (
        Circuit(3)
        .add("H", 0)
        .add("RY", 1, W(0))
        .add("CRX", (0, 2), W(1))
        .add("CRY", (1, 2), 0.5 * W(2) + X(0))
        .add("CRZ", (2, 0), W(0))
        .add("PhaseShift", 1, W(1))
        .add("SWAP", (0, 2))
    )


OBS = ["Z0 Z1 Z2", "X2 + 0.5*Y1", "Z0"]


def test_sparse_pauli_order():
    op = to_sparse_pauli(pauli("X0 Z2 + 0.5"), 3)
    assert sorted(op.to_list()) == [("III", 0.5 + 0j), ("ZIX", 1 + 0j)]


def test_fake_backend_names():
    assert fake_backend("FakeManilaV2").name == fake_backend("ibm_manila").name == "fake_manila"
    assert "fake_manila" in fake_backend_names()
    with pytest.raises(ValueError, match="valid names"):
        fake_backend("fake_atlantis")


def test_exact_matches_torch_including_controlled_rotations():
    # qiskit-aer 0.18.2 mis-binds parametric cry/crx/crz/cp with several parameter rows;
    # the adapter decomposes them (this test fails without that).
    rng = np.random.default_rng(3)
    w, x = rng.uniform(-1, 1, (5, 3)), rng.uniform(-1, 1, (5, 1))
    got = get_backend("aer").run(circuit(), OBS, w, x).expectations
    ref = get_backend("torch").run(circuit(), OBS, w, x).expectations
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_whole_batch_in_one_primitive_call(monkeypatch):
    from qiskit_aer.primitives import EstimatorV2

    calls = []
    real = EstimatorV2.run

    def spy(self, pubs, **kw):
        pubs = list(pubs)
        calls.append([np.asarray(p[2]).shape if len(p) > 2 and p[2] is not None else None for p in pubs])
        return real(self, pubs, **kw)

    monkeypatch.setattr(EstimatorV2, "run", spy)
    w = torch.zeros(7, 3, dtype=torch.float64, requires_grad=True)
    e = get_backend("aer").expval(circuit(), OBS, w, [0.2])
    e.sum().backward()
    # one call, one pub: 7 rows x (1 + 2 + 4*3 shifted points for RY/PhaseShift and CR* slots)
    n_shift = 2 + 4 + 4 + 4 + 2
    assert calls == [[(7 * (1 + n_shift), 1, 5)]]


def test_shots_sampler_seeded_and_unbiased():
    rng = np.random.default_rng(4)
    w, x = rng.uniform(-1, 1, (3, 3)), rng.uniform(-1, 1, (3, 1))
    b = get_backend("aer")
    r1 = b.run(circuit(), OBS, w, x, shots=4000, seed=9)
    r2 = b.run(circuit(), OBS, w, x, shots=4000, seed=9)
    np.testing.assert_array_equal(r1.expectations, r2.expectations)
    assert r1.metadata["primitive"] == "aer.SamplerV2"
    assert r1.metadata["bases"] == 2
    ref = get_backend("torch").run(circuit(), OBS, w, x).expectations
    assert np.abs(r1.expectations - ref).max() < 6 * 1.5 / np.sqrt(4000)


def test_approximation_mode():
    b = AerBackend(approximation=True)
    r = b.run(Circuit(1).add("H", 0), "X0", shots=10_000, seed=1)
    assert r.metadata["primitive"] == "aer.EstimatorV2"
    assert abs(r.values() - 1.0) < 0.05


def test_noisy_fake_backend():
    b = get_backend("aer:noisy:fake_manila")
    c = Circuit(2).add("H", 0).add("CNOT", (0, 1))
    exact = b.run(c, ["Z0 Z1", "X0 X1"]).values()
    assert 0.8 < exact[0] < 1.0
    assert 0.8 < exact[1] < 1.0  # noise shrinks the ideal 1.0
    shots = b.run(c, ["Z0 Z1", "X0 X1"], shots=4000, seed=2).values()
    assert np.all(np.abs(shots - 1.0) < 0.3)
    assert b.compiled(c).isa.num_qubits == 5  # transpiled to the device
    with pytest.raises(ValueError, match="at most 5 qubits"):
        b.run(Circuit(6).add("H", 5), "Z0")


def test_method_validation():
    with pytest.raises(ValueError, match="method must be one of"):
        AerBackend(method="tensor_network_magic")
