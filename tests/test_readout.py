"""Observables of VQE states beside their exact values (independent dense references in the test)."""

from __future__ import annotations

import numpy as np
import pytest
from dense import op

from qml.optimize import vqe
from qml.problems import get_problem
from qml.readout import OBSERVABLES, closest_ground_state, compare_with_exact, observables


def _ev(psi, m):
    return float(np.vdot(psi, m @ psi).real)


def test_observables_of_a_random_state_match_dense_definitions():
    n = 5
    rng = np.random.default_rng(3)
    psi = rng.standard_normal(2**n) + 1j * rng.standard_normal(2**n)
    psi /= np.linalg.norm(psi)
    obs = observables(psi)
    sz = sum(0.5 * op(n, {i: "Z"}) for i in range(n))
    spin = {a: [0.5 * op(n, {i: a}) for i in range(n)] for a in "XYZ"}
    s2 = sum((sum(spin[a]) @ sum(spin[a])) for a in "XYZ")
    stag = (
        sum((-1) ** (i + j) * spin[a][i] @ spin[a][j] for a in "XYZ" for i in range(n) for j in range(n))
        / n**2
    )
    sq = (
        sum(
            np.cos(np.pi * (i - j)) * spin[a][i] @ spin[a][j]
            for a in "XYZ"
            for i in range(n)
            for j in range(n)
        )
        / n
    )
    schmidt = np.linalg.svd(psi.reshape(2 ** (n // 2), -1), compute_uv=False) ** 2
    assert obs["sz"] == pytest.approx(_ev(psi, sz), abs=1e-12)
    assert obs["s2"] == pytest.approx(_ev(psi, s2), abs=1e-12)
    assert obs["zz_nn"] == pytest.approx(
        np.mean([_ev(psi, op(n, {i: "Z", i + 1: "Z"})) for i in range(n - 1)])
    )
    assert obs["staggered_m2"] == pytest.approx(_ev(psi, stag), abs=1e-12)
    assert obs["sq_pi"] == pytest.approx(_ev(psi, sq), abs=1e-12)
    assert obs["entropy_half"] == pytest.approx(-np.sum(schmidt * np.log(schmidt)), abs=1e-10)
    assert obs["renyi2_half"] == pytest.approx(-np.log(np.sum(schmidt**2)), abs=1e-10)
    assert len(obs["entropy_profile"]) == n - 1


def test_degenerate_level_is_compared_with_the_member_the_state_chose():
    ex = get_problem("xxz", n=6, delta=-1.5).exact()  # all up or all down
    down = np.zeros(64)
    down[-1] = 1.0
    np.testing.assert_allclose(np.abs(closest_ground_state(down, ex.ground_space)), down, atol=1e-12)
    rows = compare_with_exact(down, ex.ground_space)
    assert rows["sz"]["value"] == rows["sz"]["exact"] == -3.0
    assert max(r["abs_error"] for r in rows.values()) < 1e-12


def test_vqe_records_observables_against_exact():
    res = vqe(get_problem("heisenberg", n=6), layers=3, observables=True)
    rows = res.extra["observables"]
    assert set(rows) == set(OBSERVABLES)
    assert rows["s2"]["exact"] == pytest.approx(0.0, abs=1e-12)
    assert rows["sq_pi"]["abs_error"] < 1e-6
    assert res.rel_error < 1e-8
