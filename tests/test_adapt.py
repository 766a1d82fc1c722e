"""ADAPT-VQE: H2 to chemical accuracy with fewer parameters than UCCSD; one-pass pool gradients."""

from __future__ import annotations

import pytest
import torch

from qml.ir import Circuit, W
from qml.optimize import AdaptResult, adapt_vqe, make_pool, pool_gradients
from qml.problems import get_problem
from qml.sim.simulator import Simulator

CHEMICAL_ACCURACY = 1.6e-3


def test_adapt_h2_fewer_parameters_than_uccsd():
    problem = get_problem("h2", bond_length=0.74)
    res = adapt_vqe(problem, pool="givens", max_ops=6, grad_tol=1e-5, seed=0)
    n_uccsd = problem.ansatz(kind="uccsd").n_weights
    print(
        f"ADAPT-VQE H2: {res.n_params} parameters ({', '.join(res.selected)}); "
        f"UCCSD: {n_uccsd} parameters; |E - FCI| = {res.abs_error:.2e} Ha"
    )
    assert res.abs_error <= CHEMICAL_ACCURACY
    assert res.n_params < n_uccsd
    assert res.converged
    assert res.energies[0] == pytest.approx(problem.info["hf_energy"], abs=1e-10)
    assert res.energies[-1] == pytest.approx(res.energy)
    assert res.fidelity > 0.9999


def test_adapt_stretched_h2_and_fermionic_pool():
    res = adapt_vqe(get_problem("h2", bond_length=2.0), pool="fermionic", grad_tol=1e-5)
    assert res.abs_error <= CHEMICAL_ACCURACY
    assert res.pool == "fermionic"


def test_adapt_spin_model_with_pauli_pool():
    res = adapt_vqe(get_problem("tfim", n=4, h=1.0), pool="minimal", max_ops=12, grad_tol=1e-4)
    assert res.abs_error < 1e-6
    assert res.n_params == len(res.selected)
    assert len(res.gradient_norms) >= res.n_params


def test_pool_gradients_match_one_at_a_time():
    problem = get_problem("tfim", n=3, h=0.7, periodic=False)
    frags, _ = make_pool(problem, "real2")
    base = problem.reference.then(frags[0]).then(frags[5])
    w = torch.tensor([0.3, -0.2], dtype=torch.float64)
    g = pool_gradients(base, w, frags, problem.hamiltonian)
    sim = Simulator()
    for k in (1, 4, 7):
        c = base.then(frags[k])
        x = torch.cat([w, torch.zeros(1, dtype=torch.float64)]).requires_grad_(True)
        (gk,) = torch.autograd.grad(sim.expval(c, problem.hamiltonian, x), x)
        assert float(g[k]) == pytest.approx(float(gk[-1]), abs=1e-12)


def test_adapt_round_trip(tmp_path):
    res = adapt_vqe(get_problem("h2"), grad_tol=1e-5)
    path = tmp_path / "adapt.json"
    res.save(path)
    back = AdaptResult.load(path)
    assert back == res
    assert back.circuit_obj().n_weights == res.n_params


def test_adapt_errors():
    msg = "unknown pool 'big'; valid choices: auto, givens, fermionic, qubit, minimal"
    with pytest.raises(ValueError, match=msg):
        adapt_vqe(get_problem("h2"), pool="big")
    with pytest.raises(ValueError, match="needs a molecular problem"):
        adapt_vqe(get_problem("tfim", n=4), pool="givens")
    bad = [Circuit(4).add("RY", 0, W(0)).add("RY", 1, W(1))]
    with pytest.raises(ValueError, match="exactly one weight"):
        adapt_vqe(get_problem("h2"), pool=bad)
    with pytest.raises(ValueError, match="grad_tol must be > 0"):
        adapt_vqe(get_problem("h2"), grad_tol=0.0)
