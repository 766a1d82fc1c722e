"""Symmetry diagnostics: conserved quantities of ansaetze against the ground level (dense references here)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from dense import op

from qml.ir import Circuit, W
from qml.optimize import vqe
from qml.problems import get_problem
from qml.symmetry import (
    UnreachableGroundStateWarning,
    candidate_symmetries,
    check_reachable,
    conserved_quantities,
    restricted_values,
    scan_symmetry,
    symmetries_of,
)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_candidate_operators_match_dense_definitions(n):
    sz = sum(0.5 * op(n, {i: "Z"}) for i in range(n))
    px, pz = op(n, dict.fromkeys(range(n), "X")), op(n, dict.fromkeys(range(n), "Z"))
    s2 = sum(0.25 * op(n, {i: a}) @ op(n, {j: a}) for a in "XYZ" for i in range(n) for j in range(n))
    got = {s.name: s.operator.to_matrix(n) for s in candidate_symmetries(n)}
    for name, ref in (("Sz", sz), ("Px", px), ("Pz", pz), ("S2", s2)):
        np.testing.assert_allclose(got[name], ref, atol=1e-12)


def test_symmetries_of_models():
    assert [s.name for s in symmetries_of(get_problem("xxz", n=6, delta=0.5, h=0.3).hamiltonian)] == [
        "Sz",
        "Pz",
    ]
    assert [s.name for s in symmetries_of(get_problem("xy", n=6, gamma=0.5, h=0.4).hamiltonian)] == ["Pz"]
    assert scan_symmetry(get_problem("tfim", n=5, h=0.7).hamiltonian).name == "Px"
    tfim_long = get_problem("tfim", n=4).hamiltonian + get_problem("xxz", n=4, delta=0.0, h=0.3).hamiltonian
    assert scan_symmetry(tfim_long) is None


def test_restricted_values_of_a_degenerate_level():
    ex = get_problem("heisenberg", n=4, J=-1.0).exact()  # ferromagnet: S = 2 multiplet, 5-fold
    sz, _, _, s2 = candidate_symmetries(4)
    assert ex.degeneracy == 5
    assert restricted_values(sz, ex.ground_space, 4) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert restricted_values(s2, ex.ground_space, 4) == [6.0]


def test_conserved_quantities_of_gates_and_initial_states():
    n = 4
    c = Circuit(n).add("X", 0)
    for w in range(n - 1):
        c = c.add("RXX", (w, w + 1), W(2 * w)).add("RYY", (w, w + 1), W(2 * w))  # XX+YY: conserves Sz
    assert conserved_quantities(c)["Sz"] == 1.0
    assert "Sz" not in conserved_quantities(c.add("RX", 2, W(7)))  # a transverse rotation breaks it
    assert conserved_quantities(Circuit(2).add("H", 0).add("CNOT", (0, 1)))["Px"] == 1.0  # Bell state


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("xxz", {"n": 6, "delta": -1.5}),  # ferromagnetic: Sz = +-3
        ("heisenberg", {"n": 8, "h": 1.5}),  # field plateau Sz = -2
        ("heisenberg", {"n": 6, "J": -1.0}),  # ferromagnetic multiplet, S = 3
    ],
)
def test_default_ansatz_starts_in_the_ground_sector(name, params):
    p = get_problem(name, **params)
    ex = p.exact()
    reach = check_reachable(p.hamiltonian, p.ansatz(2), ex.ground_space)
    assert reach.reachable, reach.reason
    stuck = check_reachable(p.hamiltonian, p.ansatz(2, sz=0.0), ex.ground_space)
    assert not stuck.reachable
    assert "the ansatz conserves" in stuck.reason
    assert "no depth or optimiser reaches it" in stuck.reason


def test_metavqe_ferromagnetic_point_starts_polarised():
    # metavqe at Delta = -1 is a ferromagnet after rotating every other spin (9-fold at N = 8): the
    # default start takes the largest |Sz| of the ground level, where the polarised state is exact.
    p = get_problem("metavqe", n=8, delta=-1.0, lam=0.0)
    assert p.exact().degeneracy == 9
    assert p.target_sz() == 4.0
    res = vqe(p, steps=5)
    assert res.rel_error < 1e-12
    assert res.fidelity > 1 - 1e-12


def test_su2_ansatz_cannot_reach_a_triplet_ground_level():
    # Heisenberg ring N=4 at h slightly above the singlet-triplet crossing: ground state Sz = -1, S = 1.
    p = get_problem("heisenberg", n=4, h=1.2)
    ex = p.exact()
    assert p.target_sz() == -1.0
    reach = check_reachable(p.hamiltonian, p.ansatz(1, sz=0.0), ex.ground_space)
    assert not reach.reachable
    assert "Sz = 0" in reach.reason


def test_vqe_warns_or_raises_before_optimising_an_unreachable_ansatz():
    p = get_problem("xxz", n=6, delta=-1.5)
    pair = (p.hamiltonian, p.ansatz(2, sz=0.0))
    with pytest.warns(
        UnreachableGroundStateWarning, match=r"conserves Sz = 0.*ground level has Sz in \{-3, 3\}"
    ):
        res = vqe(pair, steps=20)
    assert res.reachable is False
    assert res.converged is False
    assert res.message.startswith("ansatz cannot reach the ground space")
    assert res.fidelity < 1e-20
    with pytest.raises(ValueError, match="conserves Sz = 0"):
        vqe(pair, steps=20, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = vqe(p, steps=20)  # the default ansatz starts polarised: no warning, exact at once
    assert good.reachable is True
    assert good.rel_error < 1e-12
    assert good.fidelity > 1 - 1e-12
