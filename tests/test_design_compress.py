"""Circuit compression (qml.design.compress): drop ~identity rotations, merge adjacent ones, re-optimise."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from qml.design.compress import MERGEABLE, compress, identity_period, simplify
from qml.design.evaluate import optimize_circuit
from qml.gates import GATES, op_matrix
from qml.ir import Circuit, Op, Param, W, X
from qml.problems import get_problem
from qml.sim.simulator import Simulator

TWO_PI = 2 * math.pi
LINE = [(0, 1), (1, 2), (2, 3)]


def _matrix(name: str, angles: list[float]) -> torch.Tensor:
    spec = GATES[name]
    op = Op(name, tuple(range(spec.n_wires)), tuple(Param(a) for a in angles))
    return op_matrix(op)


def _state(circuit: Circuit, weights) -> np.ndarray:
    w = torch.tensor(list(weights), dtype=torch.float64) if circuit.n_weights else None
    with torch.no_grad():
        return Simulator().state(circuit, w).numpy().reshape(-1)


def _uses(circuit: Circuit) -> dict[int, int]:
    """How many ops read each weight."""
    out: dict[int, int] = {}
    for op in circuit.ops:
        for i in {i for p in op.params for i in p.refs("w")}:
            out[i] = out.get(i, 0) + 1
    return out


@pytest.fixture(scope="module")
def tfim():
    return get_problem("tfim", n=4, h=1.0)


@pytest.fixture(scope="module")
def hva1(tfim):
    """The one-layer HVA at its optimum (angles -0.39 and -0.79: nothing near the identity)."""
    c = tfim.ansatz(1)
    w, e, _ = optimize_circuit(tfim.hamiltonian, c, tfim.initial_weights(0, c))
    return c, [float(v) for v in w], e


def _padded(hva1):
    """The optimal HVA plus an RX at 1e-6 on every wire and an RZZ(2, 3) at 0."""
    c, w, _ = hva1
    k = c.n_weights
    for wire in range(4):
        c = c.add("RX", wire, W(k + wire))
    c = c.add("RZZ", (2, 3), W(k + 4))
    return c, [*w, 1e-6, -1e-6, 1e-6, 1e-6, 0.0]


# -- the gate classification -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MERGEABLE))
def test_merge_set_composes_additively(name):
    for a, b in [(0.3, -1.1), (2.5, 4.0), (-0.7, 0.2)]:
        prod = _matrix(name, [a]) @ _matrix(name, [b])
        assert torch.allclose(prod, _matrix(name, [a + b]), atol=1e-12)


def test_u3_is_not_additive_and_not_in_the_merge_set():
    prod = _matrix("U3", [0.3, 0.5, 0.7]) @ _matrix("U3", [0.2, 0.1, 0.4])
    assert not torch.allclose(prod, _matrix("U3", [0.5, 0.6, 1.1]), atol=1e-6)
    assert "U3" not in MERGEABLE


@pytest.mark.parametrize("name", sorted(n for n, s in GATES.items() if s.n_params and n != "Unitary"))
def test_identity_classification_matches_the_gate_table(name):
    n = GATES[name].n_params
    d = 2 ** GATES[name].n_wires
    eye = torch.eye(d, dtype=torch.complex128)
    assert torch.allclose(_matrix(name, [0.0] * n), eye, atol=1e-12)
    assert torch.allclose(_matrix(name, [2 * TWO_PI] * n), eye, atol=1e-12)
    at_2pi = _matrix(name, [TWO_PI] * n)
    phase_identity = torch.allclose(at_2pi, at_2pi[0, 0] * eye, atol=1e-12)
    assert identity_period(name) == (TWO_PI if phase_identity else 2 * TWO_PI)


def test_identity_periods_of_named_gates():
    for name in ("RX", "RY", "RZ", "RXX", "RYY", "RZZ", "U3"):
        assert identity_period(name) == TWO_PI
        assert torch.allclose(
            _matrix(name, [TWO_PI] * GATES[name].n_params),
            -torch.eye(2 ** GATES[name].n_wires, dtype=torch.complex128),
            atol=1e-12,
        )
    assert identity_period("PhaseShift") == TWO_PI
    for name in ("CRX", "CRY", "CRZ", "SingleExcitation", "DoubleExcitation"):
        assert identity_period(name) == 2 * TWO_PI
    assert identity_period("CNOT") is None
    assert identity_period("H") is None
    with pytest.raises(ValueError, match="unknown gate 'Foo'"):
        identity_period("Foo")


# -- simplify: drop and merge without optimisation --------------------------------------


def test_merge_two_rotations_keeps_the_state_exactly():
    c = Circuit(2).add("H", 0).add("RY", 0, W(0)).add("RY", 0, W(1)).add("CNOT", (0, 1)).add("RZ", 1, W(2))
    w = [0.3, 0.45, 0.8]
    new, nw, removed, merged = simplify(c, w)
    assert merged == 1
    assert removed == []
    assert [op.name for op in new.ops] == ["H", "RY", "CNOT", "RZ"]
    assert new.n_weights == 2
    assert nw[new.ops[1].params[0].single_ref[1]] == pytest.approx(0.75, abs=1e-15)
    np.testing.assert_allclose(_state(new, nw), _state(c, w), atol=1e-12)


def test_merge_chains_and_only_adjacent_pairs():
    chain = Circuit(1).add("RX", 0, W(0)).add("RX", 0, W(1)).add("RX", 0, W(2))
    new, nw, _, merged = simplify(chain, [0.1, 0.2, 0.3])
    assert len(new.ops) == 1
    assert merged == 2
    assert nw == pytest.approx([0.6])
    blocked = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1)).add("RY", 0, W(1))
    assert simplify(blocked, [0.1, 0.2])[0] == blocked
    # same gate on the same wires in the other order, and different gates, do not merge
    swapped = (
        Circuit(2).add("RZZ", (0, 1), W(0)).add("RZZ", (1, 0), W(1)).add("RZ", 0, W(2)).add("RX", 0, W(3))
    )
    assert simplify(swapped, [0.1, 0.2, 0.3, 0.4])[0] == swapped
    # a constant rotation is never merged or dropped
    const = Circuit(1).add("RY", 0, 0.0).add("RY", 0, W(0))
    new, _, removed, merged = simplify(const, [0.4])
    assert new == const
    assert removed == []
    assert merged == 0


def test_merge_keeps_layer_sharing_and_refuses_to_add_weights():
    shared = Circuit(2)
    for wire in (0, 1):
        shared = shared.add("RY", wire, W(0))
    for wire in (0, 1):
        shared = shared.add("RY", wire, W(1))
    new, nw, _, merged = simplify(shared, [0.2, 0.5])
    assert merged == 2
    assert new.n_weights == 1
    assert nw == pytest.approx([0.7])
    assert all(op.params[0].single_ref == ("w", 0) for op in new.ops)
    # merging on wire 0 alone would leave W0 (wire 1) and W1 (wire 2) and add a third weight
    lonely = Circuit(3).add("RY", 0, W(0)).add("RY", 0, W(1)).add("RY", 1, W(0)).add("RY", 2, W(1))
    assert simplify(lonely, [0.2, 0.5])[0] == lonely


def test_drop_reports_and_a_merged_pair_that_cancels_is_dropped():
    c = Circuit(3).add("RZZ", (2, 0), W(0)).add("RY", 1, W(1)).add("RY", 1, W(2))
    new, nw, removed, merged = simplify(c, [3.1e-5, 0.4, -0.4])
    assert new.ops == ()
    assert nw == []
    assert merged == 1
    assert removed[0] == "RZZ(2, 0) angle 3.1e-05"
    assert removed[1].startswith("RY(1) angle")


def test_general_polynomial_params_are_reindexed_not_flattened():
    c = Circuit(2).add("RX", 0, W(0)).add("RZZ", (0, 1), 2.0 * W(1) + 0.5 * W(2) + 0.1).add("RY", 1, W(1))
    new, nw, removed, _ = simplify(c, [1e-7, 0.3, 0.2])
    assert len(removed) == 1
    assert nw == [0.3, 0.2]
    assert new.ops[0].params[0] == 2.0 * W(0) + 0.5 * W(1) + 0.1
    assert new.ops[1].params[0] == W(0)  # still shared with the RZZ
    np.testing.assert_allclose(_state(new, nw), _state(c, [0.0, 0.3, 0.2]), atol=1e-12)


def test_controlled_rotation_at_two_pi_is_kept_uncontrolled_is_dropped():
    p = get_problem("tfim", n=2, periodic=False)
    c = Circuit(2).add("H", 0).add("RY", 1, W(0)).add("CRX", (0, 1), W(1)).add("RX", 1, W(2))
    w = [0.3, TWO_PI + 1e-5, TWO_PI - 1e-5]
    new, _, removed, _ = simplify(c, w)
    assert [op.name for op in new.ops] == ["H", "RY", "CRX"]
    assert removed == ["RX(1) angle 6.3"]
    res = compress(p, c, w, steps=0)
    assert [op.name for op in res.circuit.ops] == ["H", "RY", "CRX"]
    overlap = abs(np.vdot(_state(res.circuit, res.weights), _state(c, w)))
    assert overlap == pytest.approx(1.0, abs=1e-9)  # only the global phase -1 changed
    # at 4*pi the controlled rotation is the identity too
    assert [op.name for op in simplify(c, [0.3, 2 * TWO_PI, 0.1])[0].ops] == ["H", "RY", "RX"]


# -- compress ----------------------------------------------------------------------------


def test_compress_removes_padding_and_keeps_the_energy(tfim, hva1):
    c, w = _padded(hva1)
    ex = tfim.exact()
    res = compress(tfim, c, w, exact=ex)
    assert len(res.removed) == 5
    assert res.rounds >= 1
    assert res.tol_used == 1e-3
    assert res.circuit.count() == tfim.ansatz(1).count()
    for row in (res.before, res.after):
        assert {
            "energy",
            "abs_error",
            "rel_error",
            "fidelity",
            "parameters",
            "logical_two_qubit_gates",
        } <= set(row)
    assert (res.before["parameters"], res.after["parameters"]) == (7, 2)
    assert res.after["logical_two_qubit_gates"] == res.before["logical_two_qubit_gates"] - 1
    assert res.after["energy"] <= res.before["energy"] + 1e-8
    assert res.after["energy"] == pytest.approx(hva1[2], abs=1e-8)
    assert "compressed" in res.message
    d = json.loads(json.dumps(res.to_dict()))
    assert Circuit.from_dict(d["circuit"]) == res.circuit
    assert d["weights"] == pytest.approx(res.weights)


def test_compress_merges_a_shared_layer_without_breaking_sharing(tfim, hva1):
    c, w, e = hva1
    extra = c
    for wire in range(4):
        extra = extra.add("RX", wire, W(c.n_weights))  # one more RX layer, one shared angle
    res = compress(tfim, extra, [*w, 0.1], exact=tfim.exact())
    assert res.merged == 4
    assert res.after["parameters"] == 2
    assert sorted(_uses(res.circuit).values()) == [4, 4]
    assert res.after["energy"] == pytest.approx(e, abs=1e-8)


def test_two_layer_hva_drops_a_whole_zero_layer_and_keeps_sharing(tfim, hva1):
    c = tfim.ansatz(2)
    _, w1, e1 = hva1
    w = [w1[0], w1[1], 0.4, 0.0]  # the second RX layer is the identity
    res = compress(tfim, c, w, exact=tfim.exact(), steps=100)
    # round 1 drops the RX layer; re-optimised, the second ZZ layer goes to 0 and round 2 drops it
    assert res.rounds == 2
    assert res.removed[:4] == [f"RX({k}) angle 0" for k in range(4)]
    assert len(res.removed) == 8
    assert res.after["parameters"] == 2
    assert sorted(_uses(res.circuit).values()) == [4, 4]  # every kept weight still drives its whole layer
    assert res.after["energy"] == pytest.approx(e1, abs=1e-8)
    assert all(op.params[0].terms[0][0] == -2.0 for op in res.circuit.ops if op.params)
    assert res.after["energy"] <= res.before["energy"] + 1e-8


def test_h2_singles_vanish_at_the_optimum():
    p = get_problem("h2")
    c = p.ansatz(1, "asd")
    w, _, _ = optimize_circuit(p.hamiltonian, c, p.initial_weights(0, c))
    ex = p.exact()
    res = compress(p, c, w, exact=ex)
    assert [r.split(" angle")[0] for r in res.removed] == ["SingleExcitation(0, 2)", "SingleExcitation(1, 3)"]
    assert res.circuit.count() == {"X": 2, "DoubleExcitation": 1}
    assert abs(res.after["energy"] - ex.energy) < 1e-8
    assert res.after["fidelity"] > 1 - 1e-8


def test_compress_with_a_target_reports_hardware_cost(tfim, hva1):
    c, w = _padded(hva1)
    res = compress(tfim, c, w, exact=tfim.exact(), target=LINE, layout=[0, 1, 2, 3])
    for row in (res.before, res.after):
        assert {"two_qubit_gates", "depth", "two_qubit_depth", "layout"} <= set(row)
        assert row["layout"] == [0, 1, 2, 3]
    assert res.after["two_qubit_gates"] <= res.before["two_qubit_gates"]
    assert res.after["logical_two_qubit_gates"] < res.before["logical_two_qubit_gates"]


def test_guard_refuses_a_drop_that_costs_energy(tfim, hva1):
    c, w, e = hva1
    res = compress(tfim, c, w, exact=tfim.exact(), tol=0.5)  # the RZZ angle -0.39 would go
    assert res.circuit == c
    assert res.weights == pytest.approx(w)
    assert res.removed == []
    assert res.rounds == 0
    assert res.tol_used < 0.5
    assert "unchanged" in res.message
    assert res.after["energy"] == pytest.approx(e, abs=1e-12)
    # a looser allowance accepts it, and the rise stays within it
    loose = compress(tfim, c, w, exact=tfim.exact(), tol=0.5, max_error_increase=1.0)
    assert loose.removed
    assert loose.after["energy"] <= e + 1.0


def test_guard_retries_with_a_smaller_tolerance(tfim, hva1):
    c, w = _padded(hva1)
    res = compress(tfim, c, w, exact=tfim.exact(), tol=0.5)
    assert res.tol_used == pytest.approx(0.05)
    assert len(res.removed) == 5
    assert res.after["energy"] <= res.before["energy"] + max(1e-8, 1e-6 * abs(tfim.exact().energy))


def test_nothing_to_compress(tfim, hva1):
    c, w, _ = hva1
    res = compress(tfim, c, w)
    assert res.circuit == c
    assert res.rounds == 0
    assert "no rotation" in res.message
    assert res.before["abs_error"] is None  # no exact reference given


def test_errors(tfim, hva1):
    c, w, _ = hva1
    with pytest.raises(ValueError, match="got 1 weights but the circuit has 2"):
        compress(tfim, c, w[:1])
    with pytest.raises(ValueError, match="reads 1 input feature"):
        compress(tfim, Circuit(4).add("RX", 0, X(0) * W(0)), [0.1])
    for bad in (0.0, -1e-3):
        with pytest.raises(ValueError, match="tol must be a finite number > 0"):
            compress(tfim, c, w, tol=bad)
        with pytest.raises(ValueError, match="tol must be > 0"):
            simplify(c, w, tol=bad)
    with pytest.raises(ValueError, match="circuit has 3 wires but problem 'tfim' has 4"):
        compress(tfim, Circuit(3).add("RX", 0, W(0)), [0.1])
    with pytest.raises(ValueError, match="got 3 weights but the circuit has 2"):
        simplify(c, [*w, 0.0])
