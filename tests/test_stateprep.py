"""Variational state preparation with global and local (Khatri / Cerezo) costs."""

from __future__ import annotations

import pytest
import torch

from qml.ir import Circuit, X
from qml.optimize import StatePrepResult, prepare_state
from qml.sim.simulator import Simulator
from qml.templates import hardware_efficient


def _target(n: int, seed: int = 0) -> tuple[Circuit, torch.Tensor]:
    V = hardware_efficient(n, 1)
    g = torch.Generator().manual_seed(seed)
    return V, (torch.rand(V.n_weights, generator=g, dtype=torch.float64) * 2 - 1) * 1.5


def test_global_cost_vector_target():
    bell = torch.tensor([1, 0, 0, 1], dtype=torch.complex128) / 2**0.5
    res = prepare_state(hardware_efficient(2, 1), bell, steps=200, seed=0)
    assert res.fidelity > 0.9999
    assert res.cost == pytest.approx(1 - res.fidelity, abs=1e-12)
    assert not res.local_cost


def test_local_cost_circuit_target():
    V, v = _target(4, seed=1)
    res = prepare_state(hardware_efficient(4, 2), (V, v), steps=300, local_cost=True, seed=1)
    assert res.fidelity > 0.999
    assert res.local_cost


def test_local_cost_vector_target_householder():
    V, v = _target(4, seed=2)
    t = Simulator().state(V, v)
    res = prepare_state(hardware_efficient(4, 2), t, steps=300, local_cost=True, seed=3)
    assert res.fidelity > 0.999


@pytest.mark.parametrize("as_circuit", [True, False])
def test_local_cost_bounds_global_cost(as_circuit):
    # C_L <= C_G <= n C_L at arbitrary weights
    n = 4
    V, v = _target(n, seed=4)
    target = (V, v) if as_circuit else Simulator().state(V, v)
    ansatz = hardware_efficient(n, 1)
    for seed in range(3):
        w = torch.rand(ansatz.n_weights, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        local = prepare_state(ansatz, target, steps=0, local_cost=True, init=w)
        glob = prepare_state(ansatz, target, steps=0, local_cost=False, init=w)
        assert local.cost <= glob.cost + 1e-12
        assert glob.cost <= n * local.cost + 1e-12
        assert local.fidelity == pytest.approx(glob.fidelity, abs=1e-12)


def test_other_optimizers_and_round_trip(tmp_path):
    bell = torch.tensor([1, 0, 0, 1], dtype=torch.complex128)
    res = prepare_state(hardware_efficient(2, 1), bell, steps=200, optimizer="adam", lr=0.1, seed=0)
    assert res.fidelity > 0.99
    res2 = prepare_state(hardware_efficient(2, 1), bell, steps=100, optimizer="bfgs", seed=0)
    assert res2.fidelity > 0.9999
    path = tmp_path / "sp.json"
    res2.save(path)
    assert StatePrepResult.load(path) == res2


def test_stateprep_errors():
    c = hardware_efficient(2, 1)
    msg = r"target vector has 3 amplitudes but the ansatz has 2 wires \(needs 4\)"
    with pytest.raises(ValueError, match=msg):
        prepare_state(c, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="target vector is zero"):
        prepare_state(c, [0.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="valid choices: lbfgs, adam, sgd, bfgs, l-bfgs-b, cobyla"):
        prepare_state(c, [1.0, 0.0, 0.0, 0.0], optimizer="spsa")
    with pytest.raises(ValueError, match="must not read inputs"):
        prepare_state(Circuit(2).add("RX", 0, X(0)), [1.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="target circuit has 3 wires"):
        prepare_state(c, (hardware_efficient(3, 1), torch.zeros(hardware_efficient(3, 1).n_weights)))
