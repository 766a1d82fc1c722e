"""Family physics: observables against dense Pauli references, chi_F, peaks, transition estimates, plots."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import torch

from qml.models.family_physics import (
    fidelity_susceptibility,
    ground_space_observables,
    peak,
    plot_family_physics,
    plot_phase_diagram,
    state_observables,
    transition_estimates,
)

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1.0, -1.0]).astype(complex)


def op(n, **sites):
    """Dense operator: ``sites`` maps wire -> 2x2 matrix; wire 0 is the leftmost kron factor."""
    return reduce(np.kron, [sites.get(f"w{w}", I2) for w in range(n)])


def expval(psi, o):
    return float(np.real(psi.conj() @ o @ psi))


def reference(psi, periodic):
    """Dense references for one normalised state."""
    n = psi.size.bit_length() - 1
    zs = [expval(psi, op(n, **{f"w{i}": Z})) for i in range(n)]
    xs = [expval(psi, op(n, **{f"w{i}": X})) for i in range(n)]
    corr = []
    for r in range(n // 2 + 1):
        sites = range(n) if periodic else range(n - r)
        vals = [
            expval(psi, op(n, **{f"w{i}": Z}) @ op(n, **{f"w{(i + r) % n}": Z}))  # Z_i Z_j, = 1 if i == j
            for i in sites
        ]
        corr.append(np.mean(vals))
    s = np.linalg.svd(psi.reshape(2 ** (n // 2), -1), compute_uv=False)
    p = s[s > 1e-15] ** 2
    return {
        "magnetization_z": np.mean(zs),
        "magnetization_x": np.mean(xs),
        "sz_total": 0.5 * np.sum(zs),
        "correlation_zz": np.array(corr),
        "entropy_half": float(-(p * np.log(p)).sum()),
    }


def random_states(rng, b, n):
    psi = rng.normal(size=(b, 2**n)) + 1j * rng.normal(size=(b, 2**n))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


def test_product_states():
    for n in (3, 4, 5):
        zero = np.zeros((1, 2**n))
        zero[0, 0] = 1.0
        obs = state_observables(zero)
        assert obs["magnetization_z"][0] == pytest.approx(1.0)
        assert obs["sz_total"][0] == pytest.approx(n / 2)
        np.testing.assert_allclose(obs["correlation_zz"], np.ones((1, n // 2 + 1)), atol=1e-12)
        assert obs["entropy_half"][0] == pytest.approx(0.0, abs=1e-10)
        plus = np.full((2, 2**n), 2 ** (-n / 2))
        obs = state_observables(plus)
        np.testing.assert_allclose(obs["magnetization_x"], [1.0, 1.0], atol=1e-12)
        np.testing.assert_allclose(obs["magnetization_z"], [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 5])
@pytest.mark.parametrize("periodic", [True, False])
def test_ghz(n, periodic):
    ghz = np.zeros(2**n)
    ghz[[0, -1]] = 2**-0.5
    obs = state_observables(ghz, periodic=periodic)
    np.testing.assert_allclose(obs["correlation_zz"], np.ones((1, n // 2 + 1)), atol=1e-12)
    assert obs["magnetization_z"][0] == pytest.approx(0.0, abs=1e-12)
    assert obs["entropy_half"][0] == pytest.approx(np.log(2), abs=1e-10)


@pytest.mark.parametrize("n", [4, 5])
@pytest.mark.parametrize("periodic", [True, False])
def test_random_states_against_dense_reference(n, periodic):
    rng = np.random.default_rng(10 * n + periodic)
    psi = random_states(rng, 3, n)
    obs = state_observables(2.5 * psi, periodic=periodic)  # rows are normalised
    for b in range(3):
        ref = reference(psi[b], periodic)
        for k, v in ref.items():
            np.testing.assert_allclose(obs[k][b], v, atol=1e-10, err_msg=k)
    assert obs["correlation_zz"].shape == (3, n // 2 + 1)
    tens = state_observables(torch.as_tensor(psi), periodic=periodic)  # torch in, same numbers
    for k in obs:
        np.testing.assert_allclose(tens[k], obs[k], atol=1e-12)


def test_open_and_periodic_differ():
    # |0011>: periodic C(1) = (1 - 1 + 1 - 1)/4 = 0, open C(1) = (1 - 1 + 1)/3
    psi = np.zeros(16)
    psi[0b0011] = 1.0
    assert state_observables(psi, periodic=True)["correlation_zz"][0, 1] == pytest.approx(0.0)
    assert state_observables(psi, periodic=False)["correlation_zz"][0, 1] == pytest.approx(1 / 3)


def test_ground_space_basis_independent():
    rng = np.random.default_rng(3)
    n = 4
    spaces = [np.linalg.qr(random_states(rng, 2, n).T)[0] for _ in range(3)]
    u = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))[0]
    rotated = [g @ u for g in spaces]
    pred = random_states(rng, 3, n)
    a = ground_space_observables(spaces, predicted_states=pred, periodic=False)
    b = ground_space_observables(rotated, predicted_states=pred, periodic=False)
    for k in a:  # the closest ground state does not depend on the basis either
        np.testing.assert_allclose(a[k], b[k], atol=1e-10, err_msg=k)
    # linear observables are tr(P O) / d
    for i, g in enumerate(spaces):
        proj = g @ g.conj().T / 2
        mz = np.mean([np.trace(proj @ op(n, **{f"w{w}": Z})).real for w in range(n)])
        assert a["magnetization_z"][i] == pytest.approx(mz, abs=1e-12)
        closest = g @ (g.conj().T @ pred[i])
        assert a["entropy_half"][i] == pytest.approx(
            reference(closest / np.linalg.norm(closest), False)["entropy_half"]
        )
    first = ground_space_observables(spaces)  # no prediction: the first column
    assert first["entropy_half"][0] == pytest.approx(reference(spaces[0][:, 0], True)["entropy_half"])
    with pytest.raises(ValueError, match="one state per ground space"):
        ground_space_observables(spaces, predicted_states=pred[:2])
    with pytest.raises(ValueError, match="non-empty list"):
        ground_space_observables([])


def test_fidelity_susceptibility_rotation():
    a = 1.7
    lams = np.linspace(0.0, 1.0, 201)
    rng = np.random.default_rng(0)
    phases = np.exp(1j * rng.uniform(0, 2 * np.pi, lams.size))[:, None]  # global phases do not matter
    psi = phases * np.stack([np.cos(a * lams), np.sin(a * lams)], axis=1)
    mid, chi = fidelity_susceptibility(lams, psi)
    np.testing.assert_allclose(mid, 0.5 * (lams[1:] + lams[:-1]))
    np.testing.assert_allclose(chi, a**2, rtol=1e-4)


def test_fidelity_susceptibility_errors():
    psi = np.eye(4)[:3]
    with pytest.raises(ValueError, match="strictly increasing"):
        fidelity_susceptibility([0.0, 2.0, 1.0], psi)
    with pytest.raises(ValueError, match="strictly increasing"):
        fidelity_susceptibility([0.0, 1.0, 1.0], psi)
    with pytest.raises(ValueError, match="one value per state"):
        fidelity_susceptibility([0.0, 1.0], psi)
    with pytest.raises(ValueError, match="at least two"):
        fidelity_susceptibility([0.0], psi[:1])
    with pytest.raises(ValueError, match=r"2\*\*n"):
        fidelity_susceptibility([0.0, 1.0, 2.0], np.ones((3, 3)))
    with pytest.raises(ValueError, match="zero or not finite"):
        state_observables(np.zeros((2, 4)))


@pytest.fixture(scope="module")
def tfim_family():
    from qml.problems import get_problem

    hs = np.linspace(0.2, 1.8, 17)
    return hs, np.stack([get_problem("tfim", n=8, h=h, periodic=False).exact().state for h in hs])


def test_tfim_chi_f_peak(tfim_family):
    hs, states = tfim_family
    mid, chi = fidelity_susceptibility(hs, states)
    assert 0.6 < peak(mid, chi) < 1.2
    est = transition_estimates(hs, states, states)
    assert est["fidelity_susceptibility"]["predicted"] == est["fidelity_susceptibility"]["exact"]
    assert 0.6 < est["fidelity_susceptibility"]["exact"] < 1.2
    assert set(est["entanglement"]) == {"predicted", "exact"}


def test_peak():
    x = np.array([0.0, 0.3, 0.45, 0.8, 1.0, 1.4])  # non-uniform grid
    y = 3.0 - 2.0 * (x - 0.62) ** 2
    assert peak(x, y) == pytest.approx(0.62, abs=1e-12)
    assert peak(x, x) == 1.4  # maximum at an end: the end itself
    assert peak(x, -x) == 0.0
    assert peak([2.0], [5.0]) == 2.0
    assert peak([0.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        peak([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        peak([1.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="finite"):
        peak([0.0, 1.0], [np.nan, 1.0])


def _is_png(path):
    data = path.read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_family_physics(tmp_path, tfim_family):
    hs, states = tfim_family
    rng = np.random.default_rng(1)
    pred_states = states + 0.02 * random_states(rng, hs.size, 8)
    pred = {**state_observables(pred_states, periodic=False), "states": pred_states}
    exact = {**state_observables(states, periodic=False), "states": states, "energy": "ignored"}
    p = plot_family_physics(
        tmp_path / "sub" / "f.png", hs, pred, exact, train_lams=[0.5, 1.5],
        crossings={"predicted": [{"lambda": 0.9}], "exact": [{"lambda": 1.0, "gap": 0.1}]},
        param="h", title="TFIM", spread=rng.uniform(1e-4, 1e-2, hs.size),
    )  # fmt: skip
    assert _is_png(p)
    no_states = {k: v for k, v in exact.items() if k != "states"}
    p2 = plot_family_physics(tmp_path / "g.png", hs, no_states, no_states, crossings=[{"lambda": 1.0}])
    assert _is_png(p2)
    with pytest.raises(ValueError, match="one per lambda"):
        plot_family_physics(tmp_path / "h.png", hs[:-1], pred, exact)
    with pytest.raises(ValueError, match="crossings keys"):
        plot_family_physics(tmp_path / "h.png", hs, pred, exact, crossings={"model": []})
    with pytest.raises(ValueError, match="spread"):
        plot_family_physics(tmp_path / "h.png", hs, pred, exact, spread=[1.0])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_family_physics(tmp_path / "h.png", hs, {}, {})


def test_plot_phase_diagram(tmp_path):
    xs, ys = np.linspace(0.0, 2.0, 7), np.linspace(-1.0, 1.0, 5)
    exact = np.tanh(np.add.outer(ys, xs) - 1.0)
    p = plot_phase_diagram(
        tmp_path / "p.png", xs, ys, exact + 0.05, exact, names=("h", "J"), quantity="entropy_half",
        train_points=[(0.5, 0.0), (1.5, 0.5)], title="map",
    )  # fmt: skip
    assert _is_png(p)
    with pytest.raises(ValueError, match=r"expected \(len\(ys\), len\(xs\)\)"):
        plot_phase_diagram(tmp_path / "q.png", xs, ys, exact.T, exact)
    with pytest.raises(ValueError, match="1-D grids"):
        plot_phase_diagram(tmp_path / "q.png", [], ys, exact, exact)
