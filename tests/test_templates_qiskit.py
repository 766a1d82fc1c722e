"""Qiskit-style ansaetze (qml.templates.qiskit_like) against Qiskit 2.x's library functions."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import rand
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.circuit.library import efficient_su2 as qk_efficient_su2
from qiskit.circuit.library import real_amplitudes as qk_real_amplitudes
from qiskit.circuit.library.n_local.n_local import get_entangler_map
from qiskit.quantum_info import Statevector

from qml.reference import dense_state
from qml.templates import (
    QISKIT_ENTANGLEMENTS,
    efficient_su2,
    hardware_efficient,
    qiskit_entangler_map,
    real_amplitudes,
)

SEEDS = st.integers(0, 2**31 - 1)
ENTS = st.sampled_from(QISKIT_ENTANGLEMENTS)


def qiskit_state(circuit, weights: np.ndarray) -> np.ndarray:
    """Statevector of a bound Qiskit circuit in our (big-endian) order."""
    bound = circuit.assign_parameters(list(weights))
    return np.asarray(Statevector(bound).reverse_qargs().data)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("ent", QISKIT_ENTANGLEMENTS)
def test_entangler_map_matches_qiskit(n: int, ent: str) -> None:
    for rep in range(4):
        expected = [tuple(p) for p in get_entangler_map(2, n, ent, rep)] if n > 1 else []
        assert qiskit_entangler_map(n, ent, rep) == expected


# -- namesake: qiskit.circuit.library.real_amplitudes -----------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), reps=st.integers(0, 3), ent=ENTS, skip=st.booleans())
def test_real_amplitudes_matches_qiskit(seed: int, n: int, reps: int, ent: str, skip: bool) -> None:
    ours = real_amplitudes(n, reps=reps, entanglement=ent, skip_final_rotation_layer=skip)
    theirs = qk_real_amplitudes(n, entanglement=ent, reps=reps, skip_final_rotation_layer=skip)
    assert ours.n_weights == theirs.num_parameters
    w = rand(seed, ours.n_weights)
    np.testing.assert_allclose(dense_state(ours, w), qiskit_state(theirs, w), atol=1e-10)


def test_real_amplitudes_explicit_pairs_match_qiskit() -> None:
    pairs = [(2, 0), (1, 2)]
    ours = real_amplitudes(3, reps=2, entanglement=pairs)
    theirs = qk_real_amplitudes(3, entanglement=pairs, reps=2)
    w = rand(5, ours.n_weights)
    np.testing.assert_allclose(dense_state(ours, w), qiskit_state(theirs, w), atol=1e-10)


# -- namesake: qiskit.circuit.library.efficient_su2 -------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 4), reps=st.integers(0, 3), ent=ENTS, skip=st.booleans())
def test_efficient_su2_matches_qiskit(seed: int, n: int, reps: int, ent: str, skip: bool) -> None:
    ours = efficient_su2(n, entanglement=ent, reps=reps, skip_final_rotation_layer=skip)
    theirs = qk_efficient_su2(n, entanglement=ent, reps=reps, skip_final_rotation_layer=skip)
    assert ours.n_weights == theirs.num_parameters
    w = rand(seed, ours.n_weights)
    np.testing.assert_allclose(dense_state(ours, w), qiskit_state(theirs, w), atol=1e-10)


@pytest.mark.parametrize("gates", [["rx"], ["rz", "rx", "p"], "ry"])
def test_efficient_su2_custom_gates_match_qiskit(gates) -> None:
    ours = efficient_su2(3, su2_gates=gates, entanglement="circular", reps=2)
    theirs = qk_efficient_su2(3, su2_gates=gates, entanglement="circular", reps=2)
    w = rand(9, ours.n_weights)
    np.testing.assert_allclose(dense_state(ours, w), qiskit_state(theirs, w), atol=1e-10)


def test_hardware_efficient_ry_cnot_linear_is_qiskit_real_amplitudes() -> None:
    ours = hardware_efficient(4, 2, rotations="RY", entangler="CNOT", pattern="linear")
    theirs = qk_real_amplitudes(4, entanglement="linear", reps=2)
    w = rand(11, ours.n_weights)
    np.testing.assert_allclose(dense_state(ours, w), qiskit_state(theirs, w), atol=1e-10)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: real_amplitudes(0), "n_wires must be an integer >= 1"),
        (lambda: real_amplitudes(3, reps=-1), "reps must be an integer >= 0"),
        (lambda: real_amplitudes(3, entanglement="ring"), "unknown entanglement 'ring'; expected one of"),
        (lambda: real_amplitudes(3, entanglement=[(0, 0)]), "distinct wires in 0..2"),
        (lambda: efficient_su2(3, su2_gates=["ry", "u"]), "unknown su2 gate 'u'; expected one of"),
        (lambda: efficient_su2(3, su2_gates=[]), "at least one rotation"),
        (lambda: efficient_su2(3, reps=0, entanglement="bogus"), "unknown entanglement 'bogus'"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
