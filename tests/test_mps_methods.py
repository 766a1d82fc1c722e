"""The MPS method behind the package's entry points: Simulator(method="mps"), vqe, tasks, readout."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from qml.mps import MPS, MPSSimulator, fidelity, overlap
from qml.optimize import vqe
from qml.parallel.tasks import TaskSpec, run_task, task_fields, task_simulator
from qml.problems import get_problem
from qml.readout import compare_with_exact, observables
from qml.sim.simulator import METHODS, Simulator

needs_quimb = pytest.mark.skipif(
    importlib.util.find_spec("quimb") is None, reason="needs quimb (qml-circuits[dmrg])"
)


def _random(c, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(c.n_weights, generator=g, dtype=torch.float64) - 0.5) * 2


def test_simulator_method_mps_equals_statevector_values_and_gradients():
    p = get_problem("heisenberg", n=10, periodic=False)
    c = p.ansatz(3)
    w = _random(c)
    grads = []
    for sim in (Simulator(), Simulator(method="mps", bond_dim=32)):
        x = w.clone().requires_grad_(True)
        e = sim.expval(c, p.hamiltonian, x)
        e.backward()
        grads.append((float(e.detach()), x.grad.clone()))
    assert grads[0][0] == pytest.approx(grads[1][0], abs=1e-12)
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-10)
    sv, mps = Simulator(), Simulator(method="mps", bond_dim=32)
    assert torch.allclose(sv.state(c, w), mps.state(c, w), atol=1e-12)
    assert torch.allclose(sv.probs(c, w, wires=[3, 0]), mps.probs(c, w, wires=[3, 0]), atol=1e-12)
    W = torch.stack([w, -w])
    assert torch.allclose(sv.expval(c, ["Z0 Z1", "X4"], W), mps.expval(c, ["Z0 Z1", "X4"], W), atol=1e-12)


def test_simulator_method_settings_and_errors():
    assert METHODS == ("statevector", "mps")
    s = Simulator(method="mps", bond_dim=16, dtype=torch.complex64)
    assert s.settings() == {
        "method": "mps",
        "dtype": "complex64",
        "diff": "auto",
        "bond_dim": 16,
        "cutoff": 1e-6,
    }
    assert isinstance(s.mps, MPSSimulator)
    assert s.mps.dtype == torch.complex64
    assert Simulator().mps is None
    assert Simulator().settings() == {"method": "statevector", "dtype": "complex128", "diff": "auto"}
    with pytest.raises(ValueError, match="unknown simulation method 'tn'; valid choices: 'statevector'"):
        Simulator(method="tn")
    with pytest.raises(ValueError, match="bond_dim and cutoff are settings of method='mps'"):
        Simulator(bond_dim=8)
    with pytest.raises(ValueError, match="diff must be 'auto' or 'backprop', got 'adjoint'"):
        Simulator(method="mps", diff="adjoint")
    with pytest.raises(ValueError, match="bond_dim must be an integer >= 1"):
        Simulator(method="mps", bond_dim=0)
    c = get_problem("tfim", n=4).ansatz(1)
    with pytest.raises(ValueError, match="sampling is not available with method='mps'"):
        s.sample(c, torch.zeros(c.n_weights), shots=10)


def test_mps_overlap_and_fidelity():
    h = torch.tensor([1.0, 1.0], dtype=torch.complex128).reshape(1, 2, 1) / np.sqrt(2)
    plus = MPS([h.clone() for _ in range(3)])
    assert abs(complex(overlap(MPS.product(3), plus))) ** 2 == pytest.approx(1 / 8, abs=1e-14)
    c = get_problem("tfim", n=8).ansatz(2)
    a, b = (MPSSimulator(bond_dim=16).run(c, _random(c, s)) for s in (0, 1))
    dense = [m.to_dense(normalize=True) for m in (a, b)]
    want = abs(complex(torch.vdot(dense[0], dense[1]))) ** 2
    assert float(fidelity(a, b)) == pytest.approx(want, abs=1e-12)
    with pytest.raises(ValueError, match="same number of wires, got 3 and 8"):
        overlap(plus, a)


def test_observables_of_an_mps_equal_the_dense_ones():
    for p in (get_problem("heisenberg", n=8, periodic=False), get_problem("tfim", n=7, h=0.7)):
        c = p.ansatz(2, "hea")
        w = _random(c, 3)
        dense = observables(Simulator().state(c, w))
        from_mps = observables(MPSSimulator(bond_dim=64).run(c, w))
        for k, v in dense.items():
            assert np.allclose(v, from_mps[k], atol=1e-11), k
    p = get_problem("heisenberg", n=6, periodic=False)
    c = p.ansatz(1)
    rows = compare_with_exact(MPSSimulator().run(c, _random(c)), p.exact().ground_space)
    assert set(rows) >= {"s2", "entropy_half"}


def test_vqe_on_the_mps_method_equals_the_statevector_run():
    p = get_problem("tfim", n=8, h=1.0, periodic=False)
    a = vqe(p, layers=3, simulator=Simulator(method="mps", bond_dim=16), observables=True)
    b = vqe(p, layers=3, observables=True)
    assert a.energy == pytest.approx(b.energy, abs=1e-9)
    assert a.fidelity == pytest.approx(b.fidelity, abs=1e-7)
    assert a.settings["method"] == "mps"
    assert a.settings["bond_dim"] == 16
    assert b.settings["method"] == "statevector"
    assert a.extra["fidelity_to"] == "ground space"
    m = a.extra["mps"]
    assert m["truncation_error"] == 0.0
    assert m["energy_error_bound"] == 0.0
    assert m["max_bond"] <= 16
    assert len(m["bond_dims"]) == 7
    obs_a, obs_b = a.extra["observables"], b.extra["observables"]
    assert obs_a["entropy_half"]["value"] == pytest.approx(obs_b["entropy_half"]["value"], abs=1e-6)
    assert obs_a["zz_nn"]["exact"] == pytest.approx(obs_b["zz_nn"]["exact"], abs=1e-12)


def test_vqe_on_mps_beyond_exact_diagonalisation_uses_free_fermions():
    p = get_problem("tfim", n=24, h=1.5, periodic=False)
    r = vqe(p, layers=2, steps=60, simulator=Simulator(method="mps", bond_dim=8))
    assert r.extra["exact_method"] == "free-fermion"
    assert r.fidelity is None
    assert "fidelity_to" not in r.extra
    assert 0 < r.rel_error < 5e-3
    assert r.extra["mps"]["max_bond"] <= 8
    assert r.n_wires == 24


@needs_quimb
def test_vqe_on_mps_measures_fidelity_with_the_dmrg_state():
    p = get_problem("heisenberg", n=22, periodic=False)
    r = vqe(p, layers=2, steps=30, simulator=Simulator(method="mps", bond_dim=16), observables=True)
    assert r.extra["exact_method"] == "dmrg"
    assert r.extra["fidelity_to"] == "dmrg state"
    assert 0.3 < r.fidelity < 1.0
    assert r.extra["observables"]["s2"]["exact"] == pytest.approx(0.0, abs=1e-6)
    assert len(r.extra["observables"]["entropy_profile"]["value"]) == 21


def test_exact_fidelity_of_an_mps():
    ex = get_problem("tfim", n=4, h=0.0).exact()
    assert ex.fidelity(MPS.product(4)) == pytest.approx(1.0, abs=1e-12)
    free = get_problem("tfim", n=30, h=1.0, periodic=False).exact()
    assert free.fidelity(MPS.product(30)) is None


def test_shots_are_refused_on_the_mps_method():
    p = get_problem("tfim", n=4)
    with pytest.raises(ValueError, match="shots are not available with method='mps'"):
        vqe(p, "spsa", steps=2, shots=100, simulator=Simulator(method="mps"))


def test_tasks_carry_the_simulation_method():
    sim = Simulator(method="mps", bond_dim=8, cutoff=1e-10)
    dtype, backend, settings = task_fields(sim)
    assert (dtype, backend, settings) == ("complex128", "mps", {"bond_dim": 8, "cutoff": 1e-10})
    assert task_simulator(dtype, backend, dict(settings)) == sim
    assert task_fields(Simulator(dtype=torch.complex64)) == ("complex64", "torch", {})
    with pytest.raises(ValueError, match="unknown backend 'aer' for a task; valid backends: torch, mps"):
        task_simulator("complex128", "aer", {})
    with pytest.raises(ValueError, match="bond_dim apply to backend 'mps' only"):
        task_simulator("complex128", "torch", {"bond_dim": 4})
    out = run_task(TaskSpec("tfim", {"n": 6, "h": 1.0}, layers=2, steps=50, backend="mps", settings=settings))
    assert out["settings"]["method"] == "mps"
    assert out["settings"]["bond_dim"] == 8
    ref = run_task(TaskSpec("tfim", {"n": 6, "h": 1.0}, layers=2, steps=50))
    assert out["energy"] == pytest.approx(ref["energy"], abs=1e-9)


def test_tfim_symmetry_broken_ansatz_reaches_the_ordered_phase():
    p = get_problem("tfim", n=10, h=0.5, periodic=False)
    c = p.ansatz(3, "hva-sb")
    assert (c.name, c.n_weights) == ("hva-sb", 10)
    sb = vqe(p, ansatz="hva-sb", layers=3, steps=400)
    hva = vqe(p, ansatz="hva", layers=3, steps=400)
    assert sb.rel_error < 1e-3 < hva.rel_error  # the cat state needs depth ~ n / 2 when parity is kept
    assert sb.fidelity == pytest.approx(0.5, abs=0.01)  # a broken-symmetry state: half of the cat


def test_conditional_predictions_as_mps_equal_the_statevector_ones():
    from qml.models import HamiltonianFamily, InterpolationBaseline

    fam = HamiltonianFamily.from_problem("tfim", "h", n=6, periodic=False)
    c = fam.ansatz(2)
    g = torch.Generator().manual_seed(0)
    W = torch.rand(3, c.n_weights, generator=g, dtype=torch.float64)
    lams = [0.5, 1.0, 1.5]
    a = InterpolationBaseline(c, fam, torch.tensor(lams).reshape(-1, 1), W, "cubic").predict([0.7, 1.2])
    mps = Simulator(method="mps", bond_dim=8)
    b = InterpolationBaseline(c, fam, torch.tensor(lams).reshape(-1, 1), W, "cubic", mps).predict([0.7, 1.2])
    assert a.mps is None
    assert len(b.mps) == 2
    assert torch.allclose(a.energies, b.energies, atol=1e-12)
    assert torch.allclose(a.states, b.states, atol=1e-12)


@needs_quimb
def test_prediction_beyond_ed_is_scored_against_dmrg_states():
    from qml.predict import run_prediction

    out = run_prediction(
        "tfim",
        n=22,
        train=3,
        test=2,
        model="interp",
        layers=2,
        lam_range=(1.5, 2.5),
        periodic=False,
        simulator=Simulator(method="mps", bond_dim=8),
    )
    r = out.result
    assert out.settings["simulator"]["method"] == "mps"
    assert out.settings["fixed"]["periodic"] is False
    assert out.settings["range"] == [1.5, 2.5]
    assert "DMRG state" in r.extra["reference"]
    assert "free-fermion" in r.extra["reference"]
    assert all(0.9 < f <= 1.0 + 1e-9 for f in r.fidelity)
    assert max(r.rel_error) < 1e-2
    assert len(r.observables["magnetization_x"]["exact"]) == 2


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.complex128, torch.complex64])
def test_mps_on_cuda_equals_the_cpu(dtype):
    """Values and gradients of the MPS method on CUDA equal the CPU's (skipped without CUDA)."""
    p = get_problem("heisenberg", n=12, periodic=False)
    circuit = p.ansatz(3, "hva-local")
    w = torch.linspace(-0.4, 0.5, circuit.n_weights, dtype=torch.float64)
    out = []
    for device in ("cpu", "cuda"):
        wd = w.clone().to(device).requires_grad_()
        sim = Simulator(method="mps", bond_dim=16, dtype=dtype, device=device)
        e = sim.expval(circuit, p.hamiltonian, wd)
        (g,) = torch.autograd.grad(e, wd)
        out.append((float(e), g.cpu()))
    tol = 1e-9 if dtype == torch.complex128 else 1e-3
    assert abs(out[0][0] - out[1][0]) <= tol * abs(out[0][0])
    assert torch.allclose(out[0][1], out[1][1], atol=tol * 10)
