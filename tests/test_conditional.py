"""Conditional circuits: the Hamiltonian family, circuit helpers, the three model kinds, and the
accuracy targets (TFIM N = 12 against the interpolation baseline; the meta-VQE XXZ chain N = 8)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qml.ir import Circuit, W, X
from qml.models.conditional import (
    EncodedConditional,
    HamiltonianFamily,
    InterpolationBaseline,
    MLPConditional,
    bind_inputs,
    encode_ansatz,
    metavqe_circuit,
    per_point_vqe,
    sector_branches,
    u1_circuit,
)
from qml.paulis import pauli
from qml.problems import get_problem
from qml.sim.simulator import Simulator


@pytest.fixture(scope="module")
def tfim4() -> HamiltonianFamily:
    return HamiltonianFamily.from_problem("tfim", "h", n=4)


# -- the family ---------------------------------------------------------------------------------
def test_family_matches_registry(tfim4):
    for h in (0.0, 0.3, 1.7):
        assert tfim4.hamiltonian(h).allclose(get_problem("tfim", n=4, h=h).hamiltonian)
    fam = HamiltonianFamily.from_problem("metavqe", "delta", n=4, lam=0.75)
    assert fam.hamiltonian(-0.4).allclose(get_problem("metavqe", n=4, delta=-0.4, lam=0.75).hamiltonian)
    two = HamiltonianFamily.from_problem("metavqe", ["delta", "lam"], n=4)
    assert two.n_params == 2
    assert two.hamiltonian([0.2, 0.5]).allclose(get_problem("metavqe", n=4, delta=0.2, lam=0.5).hamiltonian)
    assert tfim4.exact(1.0).sector == "Px = 1"
    assert tfim4.label() == "tfim(n=4; h)"


def test_family_errors(tfim4):
    with pytest.raises(ValueError, match="'g' is not a parameter of 'tfim'"):
        HamiltonianFamily.from_problem("tfim", "g", n=4)
    with pytest.raises(ValueError, match="do not also fix it"):
        HamiltonianFamily.from_problem("tfim", "h", n=4, h=1.0)
    with pytest.raises(ValueError, match="unknown problem 'tfm'"):
        HamiltonianFamily.from_problem("tfm", "h")
    with pytest.raises(ValueError, match=r"lambda must be a scalar or shape \(B,\)"):
        tfim4.as_lams(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="finite"):
        tfim4.as_lams([float("nan")])


def test_combined_observables_equal_direct_energies(tfim4):
    """<H0> and <H1> measured in one pass and combined per row equal <H(lambda)> row by row."""
    c = tfim4.ansatz(2)
    model = MLPConditional(c, tfim4, hidden=(6,), lam_range=(0.0, 2.0), init_scale=0.5, seed=3)
    lams = torch.tensor([0.1, 0.8, 1.3, 2.0], dtype=torch.float64)
    with torch.no_grad():
        energies = model.energy(lams)
        weights = model.angles(lams)
    sim = Simulator()
    for b, h in enumerate(lams.tolist()):
        direct = sim.expval(c, tfim4.hamiltonian(h), weights[b])
        assert float(energies[b]) == pytest.approx(float(direct), abs=1e-12)


def test_variance_observables(tfim4):
    c = tfim4.ansatz(1)
    w = torch.tensor([0.3, -0.2], dtype=torch.float64)
    lams = torch.tensor([[0.4], [1.5]], dtype=torch.float64)
    vals = Simulator().expval(c, tfim4.square_observables(), w.expand(2, -1))
    sq = tfim4.combine_square(vals, lams)
    for b, h in enumerate((0.4, 1.5)):
        H = tfim4.hamiltonian(h)
        direct = Simulator().expval(c, H * H, w)
        assert float(sq[b]) == pytest.approx(float(direct), abs=1e-10)


# -- circuit helpers -----------------------------------------------------------------------------
def test_bind_inputs_and_encode_ansatz():
    c = Circuit(2).add("RY", 0, X(0)).add("RX", 1, 2.0 * X(1) + W(0)).add("CNOT", (0, 1))
    b = bind_inputs(c, [0.7])
    assert b.n_inputs == 1
    assert b.n_weights == 1
    sim = Simulator()
    w, x = torch.tensor([0.3], dtype=torch.float64), torch.tensor([0.7, -0.4], dtype=torch.float64)
    torch.testing.assert_close(sim.state(b, w, x[1:]), sim.state(c, w, x), atol=1e-14, rtol=0)

    ans = Circuit(2).add("RY", 0, W(0)).add("RZZ", (0, 1), 0.5 * W(1))
    enc = encode_ansatz(ans, n_lambda=1, degree=2)
    assert (enc.n_weights, enc.n_inputs) == (6, 1)
    coeffs = torch.tensor([0.2, -0.4, 0.5, 0.1, -0.3, 0.2], dtype=torch.float64)
    lam = 0.6
    angles = torch.stack(
        [coeffs[0] + coeffs[2] * lam + coeffs[3] * lam**2, coeffs[1] + coeffs[4] * lam + coeffs[5] * lam**2]
    )
    torch.testing.assert_close(
        sim.state(enc, coeffs, torch.tensor([lam], dtype=torch.float64)),
        sim.state(ans, angles),
        atol=1e-14,
        rtol=0,
    )


def test_u1_circuit_branches_keep_their_sector():
    n = 6
    c = u1_circuit(n, 2)
    br = sector_branches(n, [1, 3, 5])
    w = torch.randn(c.n_weights, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    mz = Simulator().expval(c, pauli(" + ".join(f"Z{i}" for i in range(n))), w, br)
    torch.testing.assert_close(mz, torch.tensor([4.0, 0.0, -4.0], dtype=torch.float64), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="0 <= k <= n_wires=6"):
        sector_branches(n, [7])
    assert metavqe_circuit(4, 1, 1).n_inputs == 1


# -- models ---------------------------------------------------------------------------------------
def test_mlp_warm_start_state_dict_and_errors(tfim4):
    c = tfim4.ansatz(2)
    lams = [0.0, 0.7, 1.4, 2.0]
    target = torch.tensor([[0.1 * k + 0.05 * i for i in range(4)] for k in range(4)], dtype=torch.float64)
    m = MLPConditional(c, tfim4, hidden=(16,), seed=0)
    assert m.warm_start(lams, target) < 1e-8
    torch.testing.assert_close(m.angles(lams), target, atol=1e-3, rtol=0)
    assert m.lam_lo.tolist() == [0.0]
    assert m.lam_hi.tolist() == [2.0]
    other = MLPConditional(c, tfim4, hidden=(16,), seed=5)
    other.load_state_dict(m.state_dict())
    torch.testing.assert_close(other.energy(lams), m.energy(lams), atol=0, rtol=0)
    with pytest.raises(ValueError, match="unknown optimizer 'bfgs'"):
        m.fit(lams, optimizer="bfgs")
    with pytest.raises(ValueError, match="only read branch inputs"):
        MLPConditional(encode_ansatz(c), tfim4)
    with pytest.raises(ValueError, match="weights must have shape"):
        m.warm_start(lams, target[:, :2])
    with pytest.raises(ValueError, match="unknown branch_loss"):
        m.loss(lams, branch_loss="max")


def test_mlp_energy_training_lowers_energy_and_float32(tfim4):
    c = tfim4.ansatz(2)
    m = MLPConditional(c, tfim4, hidden=(8,), lam_range=(0.0, 2.0), init_scale=0.3, seed=1)
    lams = np.linspace(0.0, 2.0, 9)
    before = m.loss(lams).item()
    hist = m.fit(lams, steps=30)
    assert hist.final_loss < before
    assert hist.settings["batch"] == 9
    assert hist.seconds > 0
    adam = m.fit(lams, steps=5, optimizer="adam", lr=1e-3)
    assert len(adam.losses) == 5
    low = m.float()
    assert low.current_simulator().dtype == torch.complex64
    assert low.energy(lams).dtype == torch.float32


def test_variance_term_and_min_branch_loss(tfim4):
    c = tfim4.ansatz(2)
    m = MLPConditional(c, tfim4, hidden=(4,), lam_range=(0.0, 2.0), init_scale=0.3, seed=2)
    lams = [0.5, 1.5]
    plain = m.loss(lams).item()
    with_var = m.loss(lams, variance_weight=1.0).item()
    assert with_var > plain  # the circuit's state is not an eigenstate
    assert m.loss(lams, branch_loss="min").item() == pytest.approx(plain, abs=1e-12)  # one branch


def test_branches_pick_the_lowest_sector():
    fam = HamiltonianFamily.from_problem("metavqe", "delta", n=4, lam=0.75)
    c = u1_circuit(4, 1)
    br = sector_branches(4, [2, 3, 4])
    m = MLPConditional(c, fam, hidden=(4,), branches=br, lam_range=(-1.1, 1.1), init_scale=0.3, seed=0)
    E = m.branch_energies([-1.0, 0.5])
    assert E.shape == (2, 3)
    pred = m.predict([-1.0, 0.5])
    torch.testing.assert_close(pred.energies, E.min(dim=1).values)
    assert pred.branch.tolist() == E.argmin(dim=1).tolist()
    assert m.angles([0.0]).shape == (1, 3, c.n_weights)
    assert m.describe()["n_branches"] == 3


def test_encoded_model_and_polynomial_warm_start(tfim4):
    c = tfim4.ansatz(2)
    lams = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0], dtype=torch.float64)
    z = lams - 1.0  # normalised to [-1, 1] over (0, 2)
    target = torch.stack([0.1 + 0.2 * z - 0.05 * z**2, 0.3 * z, -0.2 + z**2, 0.4 - 0.1 * z], dim=1)
    m = EncodedConditional(encode_ansatz(c, 1, 2), tfim4, lam_range=(0.0, 2.0), seed=0)
    assert m.warm_start(lams, target) < 1e-24
    sim = Simulator()
    psi = m.predict(lams).states
    for b in range(5):
        ref = sim.state(c, target[b])
        assert abs(complex(torch.vdot(ref, psi[b]))) == pytest.approx(1.0, abs=1e-12)
    before = m.loss(lams).item()
    m.fit(lams, steps=10)
    assert m.loss(lams).item() < before
    meta = EncodedConditional(metavqe_circuit(4, 1, 1), tfim4, lam_range=(0.0, 2.0), seed=0)
    assert meta.energy(lams).shape == (5,)
    with pytest.raises(ValueError, match="encode_ansatz"):
        meta.warm_start(lams, target)
    with pytest.raises(ValueError, match="the circuit reads 0 inputs"):
        EncodedConditional(c, tfim4)


def test_per_point_vqe_and_interpolation(tfim4):
    c = tfim4.ansatz(2)
    train = [0.0, 0.5, 1.0, 1.5, 2.0]
    res = per_point_vqe(tfim4, c, train, steps=100)
    exact = np.array([tfim4.exact(h).energy for h in train])
    assert np.allclose(res.energies[:, 0].numpy(), exact, atol=1e-8)
    for kind in ("cubic", "linear"):
        m = InterpolationBaseline(c, tfim4, res.lams, res.weights, kind=kind)
        torch.testing.assert_close(m.angles(train), res.weights[:, 0], atol=1e-12, rtol=0)
        assert np.allclose(m.energy(train).numpy(), exact, atol=1e-8)
    mid = InterpolationBaseline(c, tfim4, res.lams, res.weights, kind="linear").angles([0.25])
    torch.testing.assert_close(mid[0], 0.5 * (res.weights[0, 0] + res.weights[1, 0]))
    with pytest.raises(ValueError, match="needs at least 3 training points"):
        InterpolationBaseline(c, tfim4, [0.0, 1.0], res.weights[:2])
    with pytest.raises(ValueError, match="distinct"):
        InterpolationBaseline(c, tfim4, [0.0, 0.0, 1.0], res.weights[:3])
    with pytest.raises(ValueError, match="unknown interpolation kind"):
        InterpolationBaseline(c, tfim4, train, res.weights, kind="spline")
    with pytest.raises(ValueError, match="no trainable parameters"):
        InterpolationBaseline(c, tfim4, train, res.weights).fit(train)


# -- accuracy targets ------------------------------------------------------------------------------
@pytest.mark.slow
def test_tfim12_mlp_beats_interpolation_on_held_out_fields():
    """TFIM ring N = 12, h in [0, 2]: 6 labelled values of h (per-point VQE, continuation), HVA
    p = N/2 = 6 from |+>^12, MLP h -> 12 angles warm-started on them, then L-BFGS on the mean energy
    over 31 unlabelled h; 40 held-out h (cell midpoints, none a training value). Fidelities are
    against the exact ground state of the parity sector prod X = +1. About 45 s."""
    from qml.predict import run_prediction

    out = run_prediction(
        "tfim", n=12, train=6, test=40, model="mlp", seed=0, dense=31, steps=200, compare=True
    )
    s, b = out.result.summary, out.baseline.summary
    assert out.result.sector == "Px = 1"
    assert len(out.result.lams) == 40
    assert len(out.result.train_lams) == 6
    assert not set(np.round(out.result.lams, 9)) & set(np.round(out.result.train_lams, 9))
    assert s["mean_fidelity"] >= 0.999, s
    assert s["min_fidelity"] >= 0.99, s
    assert s["max_rel_error"] <= 1e-3, s
    assert s["mean_fidelity"] > b["mean_fidelity"], (s, b)
    assert s["min_fidelity"] > b["min_fidelity"], (s, b)
    assert s["max_rel_error"] < b["max_rel_error"], (s, b)


@pytest.mark.slow
def test_metavqe_chain_energies_within_one_percent():
    """Meta-VQE family H = sum (XX + YY + Delta ZZ) + 0.75 sum Z, periodic N = 8, Delta in [-1.1, 1.1].

    The published meta-VQE was off by 10-19 %; we require <= 1 % on every held-out point away from
    level crossings. The ground state changes magnetisation four times in this range (crossings
    near Delta = -0.63, -0.54, -0.29, 0.61), where the two lowest levels cross. We compute the gap
    E1 - E0 by exact diagonalisation at every test point and exclude points with a gap below 0.05
    (0.5 % of |E0|): there any smooth model mixes the crossing levels and the ground state itself is
    ill conditioned. On the 40-point midpoint grid these are Delta = -0.6325, -0.5225, -0.3025,
    0.5775 and 0.6325. The model: an MLP Delta -> angles of a number-conserving circuit on the
    sectors sum Z = 0, -2, ..., -8 (branches; the lowest wins), trained cold on the mean energy over
    16 unlabelled Delta values. About 40 s."""
    from qml.predict import run_prediction

    out = run_prediction("metavqe", n=8, train=6, test=40, model="mlp", seed=0, dense=16, steps=300)
    r = out.result
    gap = np.array([np.inf if g is None else g for g in r.gap])
    keep = gap > 0.05
    excluded = np.asarray(r.lams)[~keep]
    np.testing.assert_allclose(excluded, [-0.6325, -0.5225, -0.3025, 0.5775, 0.6325], atol=1e-9)
    s = r.summarize(keep)
    assert s["max_rel_error"] <= 1e-2, s  # 10x better than the published 10-19 %
    assert s["mean_rel_error"] <= 2e-3, s
    assert s["min_fidelity"] >= 0.99, s
