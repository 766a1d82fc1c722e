"""Circuit metrics (qml.templates.metrics): counts, expressibility, entangling capability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import DensityMatrix, Statevector, partial_trace

from qml.ir import Circuit, W
from qml.templates import (
    angle_encoding,
    circuit_metrics,
    entangling_capability,
    expressibility,
    haar_fidelity_bins,
    hardware_efficient,
    meyer_wallach,
    strongly_entangling,
)


def ghz_with_phases(n: int) -> Circuit:
    c = Circuit(n).add("H", 0)
    for k in range(n - 1):
        c = c.add("CNOT", (k, k + 1))
    for k in range(n):
        c = c.add("RZ", k, W(k))  # local phases never change the entanglement
    return c


def product_circuit(n: int) -> Circuit:
    c = Circuit(n)
    for k in range(n):
        c = c.add("RX", k, W(2 * k)).add("RY", k, W(2 * k + 1))
    return c


def test_circuit_metrics_counts() -> None:
    c = Circuit(3).add("H", 0).add("CNOT", (0, 1)).add("RY", 2, W(0)).add("Toffoli", (0, 1, 2))
    c = c.add("RZZ", (1, 2), W(0) * 2.0).add("RX", 0, 0.3)
    m = circuit_metrics(c)
    assert m == {
        "n_wires": 3,
        "n_ops": 6,
        "n_weights": 1,
        "n_inputs": 0,
        "n_params": 3,
        "n_trainable_ops": 2,
        "depth": 4,
        "n_single_qubit": 3,
        "n_two_qubit": 2,
        "n_multi_qubit": 1,
        "entangling_depth": 3,
        "gate_counts": {"H": 1, "CNOT": 1, "RY": 1, "Toffoli": 1, "RZZ": 1, "RX": 1},
    }


def test_hea_metrics() -> None:
    m = circuit_metrics(hardware_efficient(4, 3, entangler="CZ", pattern="circular"))
    assert m["n_weights"] == 4 * 4 * 2
    assert m["n_two_qubit"] == 12
    assert m["gate_counts"]["CZ"] == 12


def test_haar_bins_are_a_distribution_without_underflow() -> None:
    for n in (1, 2, 5, 12):
        logq = haar_fidelity_bins(n, 75)
        assert np.all(np.isfinite(logq))
        assert math.isclose(float(np.exp(logq).sum()), 1.0, rel_tol=1e-9)
    assert math.isclose(float(haar_fidelity_bins(2, 75)[-1]), -3 * math.log(75), rel_tol=1e-9)


def test_idle_circuit_has_maximal_kl_well_above_deep_hea() -> None:
    n = 3
    idle = expressibility(Circuit(n), n_pairs=200)
    assert idle == pytest.approx((2**n - 1) * math.log(75), rel=1e-9)
    deep = expressibility(hardware_efficient(n, 4), n_pairs=600, seed=1)
    shallow = expressibility(product_circuit(n), n_pairs=600, seed=1)
    assert deep < 0.3
    assert idle > 30 * deep
    assert deep < shallow < idle


def test_expressibility_is_seeded_and_backends_agree() -> None:
    c = strongly_entangling(2, 1)
    a = expressibility(c, n_pairs=50, seed=3, backend="dense")
    assert a == expressibility(c, n_pairs=50, seed=3, backend="dense")
    assert a == pytest.approx(expressibility(c, n_pairs=50, seed=3, backend="auto"), abs=1e-9)
    assert a != expressibility(c, n_pairs=50, seed=4, backend="dense")


def test_inputs_fixed_or_sampled() -> None:
    enc = angle_encoding(2, "Y")
    fixed = expressibility(enc, n_pairs=100, inputs=[0.1, 0.2])
    assert fixed == pytest.approx(3 * math.log(75), rel=1e-9)  # nothing varies: idle-like
    assert expressibility(enc, n_pairs=300) < fixed / 5
    assert entangling_capability(enc, 50) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_product_circuit_q0_and_ghz_q1(n: int) -> None:
    assert entangling_capability(product_circuit(n), n_samples=50) == pytest.approx(0.0, abs=1e-10)
    assert entangling_capability(ghz_with_phases(n), n_samples=50) == pytest.approx(1.0, abs=1e-10)


def test_entangling_capability_of_hea_is_between() -> None:
    q = entangling_capability(hardware_efficient(3, 3), n_samples=200, seed=0)
    assert 0.3 < q < 0.95
    assert q == entangling_capability(hardware_efficient(3, 3), n_samples=200, seed=0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 4))
def test_meyer_wallach_matches_qiskit_partial_traces(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    psi /= np.linalg.norm(psi)
    sv = Statevector(psi).reverse_qargs()  # Qiskit qubit k = our wire k
    purities = [
        DensityMatrix(partial_trace(sv, [j for j in range(n) if j != k])).purity().real for k in range(n)
    ]
    expected = 2 * (1 - np.mean(purities))
    assert meyer_wallach(psi) == pytest.approx(expected, abs=1e-10)
    batch = meyer_wallach(np.stack([psi, psi]))
    assert batch.shape == (2,)
    assert batch[1] == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: expressibility(Circuit(2), n_pairs=0), "n_pairs must be an integer >= 1"),
        (lambda: expressibility(Circuit(2), n_bins=1), "n_bins must be an integer >= 2"),
        (lambda: expressibility(Circuit(2), backend="gpu"), "unknown backend 'gpu'; expected one of"),
        (lambda: expressibility(angle_encoding(2), inputs=[0.1]), "inputs must have 2 entries"),
        (lambda: expressibility("circuit"), "expected a qml Circuit"),
        (lambda: entangling_capability(Circuit(2), n_samples=0), "n_samples must be an integer >= 1"),
        (lambda: entangling_capability(Circuit(2), seed=-3), "seed must be an integer >= 0"),
        (lambda: entangling_capability(None), "expected a qml Circuit"),
        (lambda: circuit_metrics([1, 2]), "expected a qml Circuit"),
        (lambda: meyer_wallach(np.ones(3)), r"shape \(2\^n,\) or \(B, 2\^n\)"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
