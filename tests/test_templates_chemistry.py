"""Chemistry ansaetze and pools (qml.templates.chemistry) against PennyLane's qchem templates."""

from __future__ import annotations

import numpy as np
import pennylane as qp
import pytest
from conftest import pl_state, rand
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from qml.ir import Circuit, W
from qml.reference import dense_state, dense_unitary
from qml.templates import (
    all_singles_doubles,
    excitation_pool,
    excitations,
    fermionic_double_excitation,
    fermionic_single_excitation,
    hartree_fock_state,
    pauli_pool,
    pauli_pool_strings,
    uccsd,
)

SEEDS = st.integers(0, 2**31 - 1)
SYSTEMS = st.sampled_from([(1, 3), (2, 4), (2, 5), (3, 5)])


# -- namesakes qp.qchem.hf_state and qp.qchem.excitations -------------------------------------------
@pytest.mark.parametrize(("ne", "nq"), [(1, 2), (2, 4), (3, 6), (4, 4)])
def test_hartree_fock_matches_qchem_hf_state(ne: int, nq: int) -> None:
    bits = qp.qchem.hf_state(ne, nq)
    expected = np.zeros(2**nq)
    expected[int("".join(map(str, bits)), 2)] = 1.0
    np.testing.assert_allclose(dense_state(hartree_fock_state(ne, nq)), expected, atol=1e-12)


@pytest.mark.parametrize(("ne", "nq"), [(1, 2), (2, 4), (2, 6), (3, 6), (4, 8)])
@pytest.mark.parametrize("dsz", [0, 1, -1, 2, -2])
def test_excitations_match_qchem(ne: int, nq: int, dsz: int) -> None:
    s, d = qp.qchem.excitations(ne, nq, delta_sz=dsz)
    ours = excitations(ne, nq, delta_sz=dsz)
    assert ours == ([tuple(x) for x in s], [tuple(x) for x in d])


# -- namesake qp.AllSinglesDoubles ------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, system=SYSTEMS)
def test_all_singles_doubles_matches_pennylane(seed: int, system: tuple[int, int]) -> None:
    ne, nq = system
    c = all_singles_doubles(ne, nq)
    s, d = qp.qchem.excitations(ne, nq)
    assert c.n_weights == len(s) + len(d)
    w = rand(seed, c.n_weights)
    hf = qp.qchem.hf_state(ne, nq)
    ref = pl_state(nq, lambda: qp.AllSinglesDoubles(w, range(nq), hf, singles=s, doubles=d))
    np.testing.assert_allclose(dense_state(c, w), ref, atol=1e-10)


# -- namesakes qp.FermionicSingleExcitation / qp.FermionicDoubleExcitation (unitaries) ---------------
@pytest.mark.parametrize("wires", [(0, 1), (0, 2), (1, 3)])
def test_fermionic_single_excitation_matches_pennylane(wires: tuple[int, int]) -> None:
    theta = 0.837
    c = fermionic_single_excitation(Circuit(4), wires, W(0))
    op = qp.FermionicSingleExcitation(theta, wires=range(wires[0], wires[1] + 1))
    ref = qp.matrix(op, wire_order=range(4))
    np.testing.assert_allclose(dense_unitary(c, [theta]), ref, atol=1e-10)


@pytest.mark.parametrize("wires", [(0, 1, 2, 3), (0, 2, 3, 4), (0, 1, 3, 5)])
def test_fermionic_double_excitation_matches_pennylane(wires: tuple[int, int, int, int]) -> None:
    theta = -1.29
    s, r, q, p = wires
    n = p + 1
    c = fermionic_double_excitation(Circuit(n), wires, W(0))
    op = qp.FermionicDoubleExcitation(theta, wires1=list(range(s, r + 1)), wires2=list(range(q, p + 1)))
    np.testing.assert_allclose(dense_unitary(c, [theta]), qp.matrix(op, wire_order=range(n)), atol=1e-10)


# -- namesake qp.UCCSD (n_repeats=1) ---------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, system=SYSTEMS)
def test_uccsd_matches_pennylane(seed: int, system: tuple[int, int]) -> None:
    ne, nq = system
    c = uccsd(ne, nq)
    s, d = qp.qchem.excitations(ne, nq)
    s_wires, d_wires = qp.qchem.excitations_to_wires(s, d)
    w = rand(seed, c.n_weights)
    hf = qp.qchem.hf_state(ne, nq)
    ref = pl_state(nq, lambda: qp.UCCSD(w, range(nq), s_wires=s_wires, d_wires=d_wires, init_state=hf))
    np.testing.assert_allclose(dense_state(c, w), ref, atol=1e-10)


def test_uccsd_conserves_particle_number() -> None:
    c = uccsd(2, 4)
    psi = dense_state(c, rand(2, c.n_weights))
    for idx, amp in enumerate(psi):
        if abs(amp) > 1e-10:
            assert bin(idx).count("1") == 2


# -- adaptive pools ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["givens", "fermionic"])
def test_excitation_pool_fragments_grow_an_ansatz(kind: str) -> None:
    pool = excitation_pool(2, 4, kind=kind)
    assert [f.name for f in pool] == ["single(0, 2)", "single(1, 3)", "double(0, 1, 2, 3)"]
    assert all(f.n_weights == 1 and f.n_wires == 4 for f in pool)
    grown = hartree_fock_state(2, 4).then(pool[2]).then(pool[0])
    assert grown.n_weights == 2
    # The same as uccsd / all_singles_doubles restricted to these two excitations (weights reordered).
    template = uccsd if kind == "fermionic" else all_singles_doubles
    ref = template(2, 4, singles=[(0, 2)], doubles=[(0, 1, 2, 3)])
    w = np.array([0.3, -0.9])
    np.testing.assert_allclose(dense_state(grown, w), dense_state(ref, w[::-1]), atol=1e-10)


@pytest.mark.parametrize(
    ("kind", "n", "size"),
    [("minimal", 4, 6), ("y", 3, 3), ("xy", 3, 6), ("real2", 2, 2 + 4), ("all2", 3, 9 + 27)],
)
def test_pauli_pool_sizes_and_exponentials(kind: str, n: int, size: int) -> None:
    strings = pauli_pool_strings(n, kind)
    pool = pauli_pool(n, kind)
    assert len(pool) == len(strings) == size == len(set(strings))
    theta = 0.61
    for p, frag in zip(strings, pool):
        assert frag.n_weights == 1
        assert frag.name == f"exp({p})"
        expected = expm(-0.5j * theta * p.to_matrix(n))
        np.testing.assert_allclose(dense_unitary(frag, [theta]), expected, atol=1e-10)


def test_minimal_pool_is_tang_et_al() -> None:
    assert [str(p) for p in pauli_pool_strings(4, "minimal")] == [
        "Z0 Y1",
        "Z1 Y2",
        "Z2 Y3",
        "Y0",
        "Y1",
        "Y2",
    ]
    assert all(p.n_y % 2 == 1 for p in pauli_pool_strings(4, "real2"))


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hartree_fock_state(0, 4), "n_electrons must be an integer >= 1"),
        (lambda: hartree_fock_state(3, 2), r"n_qubits \(2\) must be at least n_electrons \(3\)"),
        (lambda: excitations(2, 2), r"n_qubits \(2\) must be larger than n_electrons \(2\)"),
        (lambda: excitations(2, 4, delta_sz=3), "delta_sz must be one of 0, 1, -1, 2, -2"),
        (lambda: all_singles_doubles(2, 4, singles=[(0, 4)]), r"2 distinct wires in 0..3"),
        (lambda: all_singles_doubles(2, 4, doubles=[(0, 1, 2)]), r"4 distinct wires in 0..3"),
        (lambda: uccsd(2, 4, singles=[(2, 0)]), "2 distinct wires in increasing order"),
        (lambda: uccsd(2, 4, doubles=[(1, 0, 2, 3)]), "4 distinct wires in increasing order"),
        (lambda: fermionic_single_excitation(Circuit(3), (2, 1), 0.1), r"\(r, p\) with 0 <= r < p < 3"),
        (lambda: fermionic_double_excitation(Circuit(4), (0, 1, 2, 4), 0.1), r"s < r < q < p < 4"),
        (lambda: excitation_pool(2, 4, kind="qeb"), "unknown kind 'qeb'; expected one of"),
        (lambda: pauli_pool(3, kind="xyz"), "unknown kind 'xyz'; expected one of"),
        (lambda: pauli_pool(1, kind="minimal"), "n_wires must be an integer >= 2"),
    ],
)
def test_bad_input_raises(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
