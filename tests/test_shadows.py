"""Classical shadows and the shadow-kernel baseline (qml.shadows)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch

from qml.models.conditional import HamiltonianFamily
from qml.paulis import PauliString, expval_dense, pauli
from qml.shadows import (
    Shadow,
    family_strings,
    fit_kernel,
    fit_shadow_kernel,
    measure_shadow,
    shadow_baseline,
    shadow_expectations,
)

P = PauliString.parse


def _random_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    return psi / np.linalg.norm(psi)


def _product(*singles: np.ndarray) -> np.ndarray:
    out = np.ones(1, dtype=complex)
    for v in singles:  # wire 0 first = most significant
        out = np.kron(out, v)
    return out


PLUS = np.array([1, 1]) / np.sqrt(2)
PLUS_I = np.array([1, 1j]) / np.sqrt(2)


# -- measurement ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "seed"), [(3, 0), (4, 1)])
def test_estimates_converge_to_exact_values(n, seed):
    psi = _random_state(n, seed)
    S = 20000
    shadow = measure_shadow(psi, S, seed=seed)
    strings = [P("I")]
    strings += [P(f"{a}{w}") for w in range(n) for a in "XYZ"]
    strings += [
        P(f"{a}{v} {b}{w}") for v, w in itertools.combinations(range(n), 2) for a in "XYZ" for b in "XYZ"
    ]
    est = shadow_expectations(shadow, strings)
    assert est[0] == 1.0
    for s, e in zip(strings[1:], est[1:]):
        bound = 5 * np.sqrt(3**s.weight / S)
        assert abs(e - expval_dense(s, psi)) < bound, (str(s), e, expval_dense(s, psi))


def test_bases_uniform_and_outcomes_of_eigenstates():
    n, S = 3, 6000
    shadow = measure_shadow(_product(*[np.array([1.0, 0.0])] * n), S, seed=5)  # |000>
    assert shadow.bases.dtype == np.int8
    assert shadow.outcomes.dtype == np.int8
    assert shadow.bases.shape == shadow.outcomes.shape == (S, n)
    counts = np.bincount(shadow.bases.ravel(), minlength=3)
    expected, sigma = S * n / 3, np.sqrt(S * n * (1 / 3) * (2 / 3))
    assert np.all(np.abs(counts - expected) < 5 * sigma), counts
    for w in range(n):  # every wire on its own too
        assert np.all(np.abs(np.bincount(shadow.bases[:, w], minlength=3) - S / 3) < 5 * np.sqrt(S * 2 / 9))
    assert (shadow.outcomes[shadow.bases == 2] == 1).all()
    off = shadow.outcomes[shadow.bases != 2]  # X or Y on |0>: fair coins
    assert abs(off.mean()) < 5 / np.sqrt(off.size)
    # |+>^n in X and |+i>^n in Y always give +1 (this also pins down the Y basis change)
    plus = measure_shadow(_product(*[PLUS] * n), S, seed=6)
    assert (plus.outcomes[plus.bases == 0] == 1).all()
    plus_i = measure_shadow(_product(*[PLUS_I] * n), S, seed=7)
    assert (plus_i.outcomes[plus_i.bases == 1] == 1).all()
    # <X_w> on |+>^n is exactly 3 * (fraction of snapshots measuring X on w), an unbiased estimate of 1
    est = shadow_expectations(plus, [P(f"X{w}") for w in range(n)])
    np.testing.assert_allclose(est, 3 * (plus.bases == 0).mean(axis=0), atol=1e-14)
    assert np.all(np.abs(est - 1) < 5 * np.sqrt(2 / S))


def test_wire_order_most_significant_first():
    psi = np.zeros(4)
    psi[0b10] = 1.0  # wire 0 in |1>, wire 1 in |0>
    shadow = measure_shadow(psi, 300, seed=0)
    z = shadow.bases == 2
    assert (shadow.outcomes[:, 0][z[:, 0]] == -1).all()
    assert (shadow.outcomes[:, 1][z[:, 1]] == 1).all()


def _inverse_channel_estimates(shadow: Shadow, strings: list[PauliString]) -> np.ndarray:
    """Independent reference: rho_hat = tensor_w (3 U_w^dag |b_w><b_w| U_w - I), averaged tr(P rho_hat)."""
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    s_dag = np.diag([1, -1j])
    unitaries = [h, h @ s_dag, np.eye(2)]  # rotate the X, Y, Z eigenbasis onto the computational basis
    mats = [s.to_matrix(shadow.n_wires) for s in strings]
    total = np.zeros(len(strings), dtype=complex)
    for bases, outcomes in zip(shadow.bases, shadow.outcomes):
        rho = np.ones((1, 1), dtype=complex)
        for b, o in zip(bases, outcomes):
            ket = np.eye(2)[:, 0 if o == 1 else 1]
            u = unitaries[b]
            local = 3 * u.conj().T @ np.outer(ket, ket) @ u - np.eye(2)
            rho = np.kron(rho, local)
        total += [np.trace(m @ rho) for m in mats]
    assert np.allclose(total.imag, 0, atol=1e-12)
    return total.real / shadow.n_snapshots


def test_estimator_matches_explicit_inverse_channel():
    shadow = measure_shadow(_random_state(2, 3), 40, seed=11)
    strings = [
        P("".join(f"{a}{w}" for w, a in enumerate(letters) if a != "I") or "I")
        for letters in itertools.product("IXYZ", repeat=2)
    ]
    np.testing.assert_allclose(
        shadow_expectations(shadow, strings), _inverse_channel_estimates(shadow, strings), atol=1e-12
    )


def test_same_seed_same_shadow_and_torch_input():
    psi = _random_state(3, 2)
    a, b = measure_shadow(psi, 500, seed=4), measure_shadow(psi, 500, seed=4)
    assert a.seed == 4
    assert np.array_equal(a.bases, b.bases)
    assert np.array_equal(a.outcomes, b.outcomes)
    c = measure_shadow(psi, 500, seed=5)
    assert not (np.array_equal(a.bases, c.bases) and np.array_equal(a.outcomes, c.outcomes))
    t = measure_shadow(torch.tensor(psi), 500, seed=4)
    assert np.array_equal(a.bases, t.bases)
    assert np.array_equal(a.outcomes, t.outcomes)


def test_median_of_means():
    shadow = measure_shadow(_random_state(2, 0), 3000, seed=1)
    strings = [P("Z0 Z1"), P("X0")]
    plain = shadow_expectations(shadow, strings)
    mom = shadow_expectations(shadow, strings, median_of_means=5)
    groups = [
        shadow_expectations(Shadow(b, o, 1), strings)
        for b, o in zip(np.array_split(shadow.bases, 5), np.array_split(shadow.outcomes, 5))
    ]
    np.testing.assert_allclose(mom, np.median(groups, axis=0))
    assert np.all(np.abs(mom - plain) < 0.2)


# -- kernel ridge regression ---------------------------------------------------------------------
@pytest.mark.parametrize(("kernel", "tol"), [("gaussian", 1e-3), ("dirichlet", 2e-2)])
def test_kernel_regression_of_smooth_function(kernel, tol):
    f = lambda x: np.sin(2 * x) + 0.3 * x**2  # noqa: E731
    x = np.linspace(0.0, 2.0, 8)
    model = fit_kernel(x, np.stack([f(x), -f(x)], axis=1), ["Z0", "X1"], kernel=kernel)
    held = np.linspace(0.1, 1.9, 9)
    np.testing.assert_allclose(model.predict("Z0", held), f(held), atol=tol)
    np.testing.assert_allclose(model.predict("2 X1 + 1", held), 1 - 2 * f(held), atol=2 * tol)
    assert np.isfinite(model.gamma)
    assert 0 < model.alpha < np.inf
    assert 0 < model.cv_error < 0.1
    assert model.predict_expectations(held).shape == (9, 2)
    json.dumps(model.to_dict())


@pytest.mark.parametrize(("kernel", "tol"), [("gaussian", 1e-2), ("dirichlet", 0.1)])
def test_kernel_regression_two_parameters(kernel, tol):
    f = lambda x: np.cos(2 * x[..., 0]) * x[..., 1] + 0.5 * x[..., 1] ** 2  # noqa: E731
    grid = np.array(list(itertools.product(np.linspace(0, 1.5, 5), np.linspace(-1, 1, 5))))
    model = fit_kernel(grid, f(grid), ["Z0"], kernel=kernel)
    held = np.random.default_rng(0).uniform([0.1, -0.9], [1.4, 0.9], size=(20, 2))
    np.testing.assert_allclose(model.predict("Z0", held), f(held), atol=tol)
    assert model.predict("Z0", held[0]).shape == (1,)  # one (K,) row


def test_loo_prefers_smoothing_for_noisy_targets():
    x = np.linspace(0, 1, 15)
    noisy = np.cos(3 * x) + np.random.default_rng(0).normal(scale=0.2, size=x.size)
    exact = fit_kernel(x, np.cos(3 * x), ["Z0"])
    noisy_model = fit_kernel(x, noisy, ["Z0"])
    assert noisy_model.alpha > exact.alpha
    assert noisy_model.cv_error > exact.cv_error


def test_fit_shadow_kernel_single_qubit():
    ts = np.linspace(0.0, 2.0, 6)
    states = [np.array([np.cos(t / 2), np.sin(t / 2)]) for t in ts]  # <Z> = cos t, <X> = sin t
    model = fit_shadow_kernel(ts, states, ["Z0", "X0"], n_snapshots=4000, seed=3)
    held = np.array([0.3, 1.1, 1.7])
    np.testing.assert_allclose(model.predict("Z0", held), np.cos(held), atol=0.1)
    np.testing.assert_allclose(model.predict("X0", held), np.sin(held), atol=0.1)
    d = model.to_dict()
    assert (d["n_snapshots"], d["seed"], d["n_train"], d["strings"]) == (4000, 3, 6, ["Z0", "X0"])


# -- the baseline on the TFIM --------------------------------------------------------------------
@pytest.fixture(scope="module")
def tfim():
    return HamiltonianFamily.from_problem("tfim", "h", n=4, periodic=False)


TRAIN = np.linspace(0.2, 1.8, 6)
TEST = np.array([0.3, 0.7, 1.1, 1.5, 1.7])


def test_family_strings(tfim):
    strings = family_strings(tfim, extra=[pauli("Z0 Z3 + X0"), "Y1"])
    assert [str(s) for s in strings] == ["Z0 Z1", "Z1 Z2", "Z2 Z3", "X0", "X1", "X2", "X3", "Z0 Z3", "Y1"]


def test_baseline_energy_within_five_percent(tfim):
    exact = np.array([tfim.exact(h).energy for h in TEST])
    out = shadow_baseline(tfim, TRAIN, TEST, n_snapshots=2000, seed=0, observables={"zz03": "Z0 Z3"})
    assert out["energy"].shape == (5,)
    assert np.all(np.abs(out["energy"] - exact) < 0.05 * np.abs(exact)), out["energy"] - exact
    zz = np.array([expval_dense("Z0 Z3", tfim.exact(h).state) for h in TEST])
    assert np.all(np.abs(out["observables"]["zz03"] - zz) < 0.3)
    assert (out["n_snapshots"], out["shots_total"], out["seed"]) == (2000, 12000, 0)
    json.dumps(out["model"])


def test_baseline_improves_with_snapshots(tfim):
    exact = np.array([tfim.exact(h).energy for h in TEST])

    def mae(n_snapshots: int) -> float:
        return float(
            np.mean(
                [
                    np.abs(shadow_baseline(tfim, TRAIN, TEST, n_snapshots, seed=s)["energy"] - exact)
                    for s in range(3)
                ]
            )
        )

    assert mae(5000) < mae(200)


def test_dirichlet_baseline(tfim):
    exact = np.array([tfim.exact(h).energy for h in TEST])
    out = shadow_baseline(tfim, TRAIN, TEST, n_snapshots=2000, seed=0, kernel="dirichlet")
    assert out["model"]["kernel"] == "dirichlet"
    assert np.all(np.abs(out["energy"] - exact) < 0.08 * np.abs(exact))


# -- errors --------------------------------------------------------------------------------------
def test_errors():
    psi = np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="length 2\\^n"):
        measure_shadow(np.ones(3) / np.sqrt(3), 10)
    with pytest.raises(ValueError, match="normalise"):
        measure_shadow(np.array([1.0, 1.0]), 10)
    with pytest.raises(ValueError, match="n_snapshots must be an integer >= 1"):
        measure_shadow(psi, 0)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        measure_shadow(psi, 5, seed=-1)
    shadow = measure_shadow(psi, 5)
    with pytest.raises(ValueError, match="acts on wire 3 but the shadow has 1 wires"):
        shadow_expectations(shadow, ["Z3"])
    with pytest.raises(ValueError, match="median_of_means=6 exceeds the 5 snapshots"):
        shadow_expectations(shadow, ["Z0"], median_of_means=6)
    with pytest.raises(ValueError, match="bases and outcomes"):
        Shadow(np.zeros((2, 2)), np.ones((3, 2)), 0)
    with pytest.raises(ValueError, match="got 1 states for 2 training points"):
        fit_shadow_kernel([0.0, 1.0], [psi], ["Z0"])
    with pytest.raises(ValueError, match="unknown kernel 'rbf'; valid kernels: gaussian, dirichlet"):
        fit_kernel([0.0, 1.0], [0.0, 1.0], ["Z0"], kernel="rbf")
    with pytest.raises(ValueError, match="at least 2 training points"):
        fit_shadow_kernel([0.5], [psi], ["Z0"])
    with pytest.raises(ValueError, match="targets must be finite with shape"):
        fit_kernel([0.0, 1.0], [[0.0, 1.0]], ["Z0"])
    with pytest.raises(ValueError, match="distinct Pauli strings"):
        fit_kernel([0.0, 1.0], [[0.0, 0.0], [1.0, 1.0]], ["Z0", "Z0"])
    with pytest.raises(ValueError, match="gammas must be"):
        fit_kernel([0.0, 1.0], [0.0, 1.0], ["Z0"], gammas=[-1.0])
    with pytest.raises(ValueError, match="gammas must be"):
        fit_kernel([0.0, 1.0], [0.0, 1.0], ["Z0"], kernel="dirichlet", gammas=[0.5])
    model = fit_kernel([0.0, 1.0], [0.0, 1.0], ["Z0"])
    with pytest.raises(ValueError, match="no prediction for X1, Z0 Z1"):
        model.predict("Z0 + X1 + Z0 Z1", [0.5])
    with pytest.raises(ValueError, match="lambda must have shape"):
        model.predict_expectations(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        model.predict_expectations([np.nan])
