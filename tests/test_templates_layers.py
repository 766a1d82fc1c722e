"""Layered ansaetze (qml.templates.layers) against their PennyLane namesakes."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from conftest import pl_state, rand
from hypothesis import given, settings
from hypothesis import strategies as st

from qml.ir import Circuit
from qml.reference import dense_state
from qml.templates import (
    basic_entangler,
    entangler_pairs,
    hardware_efficient,
    simplified_two_design,
    strongly_entangling,
)

SEEDS = st.integers(0, 2**31 - 1)


# -- strongly entangling: namesake qp.StronglyEntanglingLayers -------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), layers=st.integers(1, 3))
def test_strongly_entangling_matches_pennylane(seed: int, n: int, layers: int) -> None:
    c = strongly_entangling(n, layers)
    w = rand(seed, c.n_weights)
    assert c.n_weights == layers * n * 3
    ref = pl_state(n, lambda: qp.StronglyEntanglingLayers(w.reshape(layers, n, 3), wires=range(n)))
    np.testing.assert_allclose(dense_state(c, w), ref, atol=1e-10)


@pytest.mark.parametrize(
    ("ranges", "imprimitive", "pl_gate"), [((2, 1), "CZ", qp.CZ), ((3, 2), "CNOT", qp.CNOT)]
)
def test_strongly_entangling_ranges_and_imprimitive_match_pennylane(ranges, imprimitive, pl_gate) -> None:
    n, layers = 4, 2
    c = strongly_entangling(n, layers, ranges=ranges, imprimitive=imprimitive)
    w = rand(1, c.n_weights)
    ref = pl_state(
        n,
        lambda: qp.StronglyEntanglingLayers(
            w.reshape(layers, n, 3), wires=range(n), ranges=ranges, imprimitive=pl_gate
        ),
    )
    np.testing.assert_allclose(dense_state(c, w), ref, atol=1e-10)


# -- basic entangler: namesake qp.BasicEntanglerLayers ---------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), layers=st.integers(1, 3), rot=st.sampled_from(["X", "Y", "Z"]))
def test_basic_entangler_matches_pennylane(seed: int, n: int, layers: int, rot: str) -> None:
    c = basic_entangler(n, layers, rotation=rot)
    w = rand(seed, c.n_weights)
    pl_rot = {"X": qp.RX, "Y": qp.RY, "Z": qp.RZ}[rot]

    def body() -> None:
        for k in range(n):  # a non-trivial start state so that RZ layers matter
            qp.Hadamard(k)
        qp.BasicEntanglerLayers(w.reshape(layers, n), wires=range(n), rotation=pl_rot)

    start = Circuit(n)
    for k in range(n):
        start = start.add("H", k)
    np.testing.assert_allclose(dense_state(start + c, w), pl_state(n, body), atol=1e-10)


# -- simplified two design: namesake qp.SimplifiedTwoDesign ----------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(2, 5), layers=st.integers(1, 3))
def test_simplified_two_design_matches_pennylane(seed: int, n: int, layers: int) -> None:
    c = simplified_two_design(n, layers)
    w = rand(seed, c.n_weights)
    assert c.n_weights == n + layers * (n - 1) * 2
    ref = pl_state(
        n,
        lambda: qp.SimplifiedTwoDesign(w[:n], w[n:].reshape(layers, n - 1, 2), wires=range(n)),
    )
    np.testing.assert_allclose(dense_state(c, w), ref, atol=1e-10)


# -- hardware efficient (no namesake: checked gate by gate, and vs PennyLane ops) -------------------
def test_entangler_patterns() -> None:
    assert entangler_pairs(4, "linear") == [(0, 1), (1, 2), (2, 3)]
    assert entangler_pairs(4, "circular") == [(0, 1), (1, 2), (2, 3), (3, 0)]
    assert entangler_pairs(2, "circular") == [(0, 1)]
    assert entangler_pairs(3, "full") == [(0, 1), (0, 2), (1, 2)]
    assert entangler_pairs(5, "brick") == [(0, 1), (2, 3), (1, 2), (3, 4)]
    assert entangler_pairs(3, [(2, 0)]) == [(2, 0)]


@settings(max_examples=10, deadline=None)
@given(
    seed=SEEDS,
    n=st.integers(2, 4),
    layers=st.integers(1, 2),
    pattern=st.sampled_from(["linear", "circular", "full", "brick"]),
    entangler=st.sampled_from(["CNOT", "CZ", "RZZ", "CRX"]),
    final=st.booleans(),
)
def test_hardware_efficient_matches_pennylane_ops(seed, n, layers, pattern, entangler, final) -> None:
    rotations = ("RY", "RZ")
    c = hardware_efficient(n, layers, rotations, entangler, pattern, final_rotations=final)
    pairs = entangler_pairs(n, pattern)
    n_rot = (layers + final) * n * 2
    n_ent = layers * len(pairs) if entangler in ("RZZ", "CRX") else 0
    assert c.n_weights == n_rot + n_ent
    w = rand(seed, c.n_weights)
    rw = w[:n_rot].reshape(layers + final, n, 2)
    ew = w[n_rot:].reshape(layers, len(pairs)) if n_ent else None
    gate = {"CNOT": qp.CNOT, "CZ": qp.CZ, "RZZ": qp.IsingZZ, "CRX": qp.CRX}[entangler]

    def body() -> None:
        for l in range(layers + final):
            for k in range(n):
                qp.RY(rw[l, k, 0], k)
                qp.RZ(rw[l, k, 1], k)
            if l == layers:
                break
            for p, pair in enumerate(pairs):
                if ew is None:
                    gate(wires=pair)
                else:
                    gate(ew[l, p], wires=pair)

    np.testing.assert_allclose(dense_state(c, w), pl_state(n, body), atol=1e-10)


def test_hardware_efficient_real_amplitudes_special_case() -> None:
    c = hardware_efficient(3, 2, rotations="RY", entangler="CX", pattern="linear")
    assert c.count() == {"RY": 9, "CNOT": 4}
    psi = dense_state(c, rand(3, c.n_weights))
    np.testing.assert_allclose(psi.imag, 0.0, atol=1e-12)


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hardware_efficient(1, 1), "n_wires must be an integer >= 2"),
        (lambda: hardware_efficient(3, 0), "layers must be an integer >= 1"),
        (lambda: hardware_efficient(3, 1, rotations=()), "at least one rotation"),
        (lambda: hardware_efficient(3, 1, rotations=("RY", "RW")), "unknown rotation 'RW'; expected one of"),
        (lambda: hardware_efficient(3, 1, entangler="CCX"), "unknown entangler 'CCX'; expected one of"),
        (lambda: hardware_efficient(3, 1, pattern="star"), "unknown pattern 'star'; expected one of"),
        (lambda: hardware_efficient(3, 1, pattern=[(0, 3)]), r"pairs \(i, j\) of distinct wires in 0..2"),
        (lambda: hardware_efficient(2.0, 1), "n_wires must be an integer"),
        (lambda: strongly_entangling(0, 1), "n_wires must be an integer >= 1"),
        (lambda: strongly_entangling(3, 2, ranges=(1,)), "one entry per layer"),
        (lambda: strongly_entangling(3, 1, ranges=(3,)), "divisible by n_wires=3"),
        (lambda: strongly_entangling(3, 1, imprimitive="RZZ"), "unknown imprimitive 'RZZ'; expected one of"),
        (lambda: basic_entangler(3, 1, rotation="U3"), "unknown rotation 'U3'; expected one of"),
        (lambda: basic_entangler(3, -1), "layers must be an integer >= 1"),
        (lambda: simplified_two_design(0, 1), "n_wires must be an integer >= 1"),
        (lambda: simplified_two_design(2, True), "layers must be an integer"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
