"""The circuit IR: Param algebra, Circuit builders and queries, JSON, drawing, validation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.stats import unitary_group
from strategies import circuits_with_values, random_circuits

from qml.gates import GATES
from qml.ir import Circuit, Op, Param, W, X
from qml.reference import dense_state, dense_unitary


# -- Param ---------------------------------------------------------------------------------
def test_param_arithmetic_and_evaluate() -> None:
    w, x = [0.5, -1.25, 2.0], [0.3, 0.7]
    p = 2.0 * W(0) + 0.5
    assert p.evaluate(w, x) == pytest.approx(1.5)
    q = (math.pi - X(0)) * (math.pi - X(1))
    assert q.evaluate(w, x) == pytest.approx((math.pi - 0.3) * (math.pi - 0.7))
    r = 3 - W(1) * X(0) + W(2) * 0.5 - (-W(0))
    assert r.evaluate(w, x) == pytest.approx(3 + 1.25 * 0.3 + 1.0 + 0.5)
    assert (W(0) * W(0) * W(0)).evaluate(w, x) == pytest.approx(0.125)
    assert (0.0 * W(0)).is_constant
    assert (W(0) - W(0)) == Param(0.0)
    assert sum([W(0), W(1), 1.0]).evaluate(w, x) == pytest.approx(0.5 - 1.25 + 1.0)


def test_param_queries() -> None:
    assert W(3).single_ref == ("w", 3)
    assert X(1).single_ref == ("x", 1)
    assert (2 * W(3)).single_ref is None
    assert (W(3) + 1).single_ref is None
    assert Param.of(1.5).is_constant
    assert not W(0).is_constant
    p = W(1) * X(2) + W(4) + 0.1 * X(0)
    assert p.refs("w") == {1, 4}
    assert p.refs("x") == {0, 2}
    assert p.remap(10, 100).refs("w") == {11, 14}
    assert p.remap(10, 100).refs("x") == {100, 102}
    assert Param.of(W(0)) is not None
    assert Param.of(2) == Param(2.0)
    assert Op("U3", (0,), (W(0), 0.5 * X(3) + W(1), Param.of(0.2))).reads_inputs
    assert not Op("U3", (0,), (W(0), W(1), Param.of(0.2))).reads_inputs
    assert not Op("CNOT", (0, 1)).reads_inputs


def test_param_merges_like_terms() -> None:
    p = W(0) * X(1) + X(1) * W(0)  # factors are sorted, so these are one monomial
    assert len(p.terms) == 1
    assert p.terms[0][0] == 2.0


def test_param_str_and_json() -> None:
    assert str(W(0)) == "w0"
    assert str(Param.of(0.5)) == "0.5"
    assert str(2.0 * W(1) * X(0) + 1) == "1 + 2*w1*x0"
    for p in [Param.of(0.25), W(2), (math.pi - X(0)) * (math.pi - X(1)), 0.3 * W(1) * X(0) - 2.0]:
        data = json.loads(json.dumps(p.to_json()))
        assert Param.from_json(data) == p
    assert Param.of(1.5).to_json() == 1.5


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        ("a", TypeError, "must be a number or a Param"),
        (True, TypeError, "must be a number or a Param"),
        (float("nan"), ValueError, "must be finite"),
        (float("inf"), ValueError, "must be finite"),
    ],
)
def test_param_of_errors(value: object, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        Param.of(value)  # type: ignore[arg-type]


def test_negative_indices_rejected() -> None:
    with pytest.raises(ValueError, match="weight index must be >= 0"):
        W(-1)
    with pytest.raises(ValueError, match="input index must be >= 0"):
        X(-2)


# -- Circuit building -----------------------------------------------------------------------
def test_add_counts_weights_and_inputs() -> None:
    c = Circuit(2).add("H", 0).add("CNOT", [0, 1]).add("RY", 1, W(2) * X(1))
    assert (c.n_wires, len(c.ops), c.n_weights, c.n_inputs) == (2, 3, 3, 2)
    assert c.ops[1] == Op("CNOT", (0, 1))
    assert c.ops[2].params == (W(2) * X(1),)
    assert Circuit(1, n_weights=5).add("RX", 0, W(0)).n_weights == 5
    assert c.n_params == 1


def test_add_is_persistent() -> None:
    a = Circuit(1).add("X", 0)
    b = a.add("Y", 0)
    assert len(a.ops) == 1
    assert len(b.ops) == 2


def test_plus_shares_and_then_shifts() -> None:
    a = Circuit(2, name="a").add("RX", 0, W(0)).add("RY", 1, X(0))
    b = Circuit(2).add("RZ", 1, W(0) + X(0))
    ab = a + b
    assert ab.ops == a.ops + b.ops
    assert (ab.n_weights, ab.n_inputs, ab.name) == (1, 1, "a")
    chained = a.then(b)
    assert chained.n_weights == 2
    assert chained.n_inputs == 1
    assert chained.ops[-1].params[0] == W(1) + X(0)
    fresh = a.then(b, share_inputs=False)
    assert (fresh.n_weights, fresh.n_inputs) == (2, 2)
    assert fresh.ops[-1].params[0] == W(1) + X(1)
    with pytest.raises(ValueError, match="cannot concatenate a 3-wire circuit onto a 2-wire"):
        _ = a + Circuit(3)
    with pytest.raises(TypeError):
        _ = a + 3  # type: ignore[operator]


def test_then_semantics_with_dense_state() -> None:
    a = Circuit(1).add("RX", 0, W(0))
    w = [0.3, 0.9]
    np.testing.assert_allclose(
        dense_state(a.then(a), w), dense_state(Circuit(1).add("RX", 0, 1.2)), atol=1e-12
    )


def test_shift_indices() -> None:
    c = Circuit(2).add("RX", 0, W(0) * X(1)).add("RY", 1, 0.5)
    s = c.shift_indices(3, 2)
    assert s.ops[0].params[0] == W(3) * X(3)
    assert s.ops[1].params[0] == Param.of(0.5)
    assert (s.n_weights, s.n_inputs) == (4, 4)
    assert Circuit(1).add("H", 0).shift_indices(5, 5).n_weights == 0


def test_remap_wires() -> None:
    c = Circuit(2).add("CNOT", (0, 1)).add("RX", 1, W(0))
    r = c.remap_wires([1, 0])
    assert [op.wires for op in r.ops] == [(1, 0), (0,)]
    wide = c.remap_wires({0: 3, 1: 1})
    assert wide.n_wires == 4
    assert wide.ops[0].wires == (3, 1)
    assert c.remap_wires([0, 1], n_wires=5).n_wires == 5
    # Semantics: swapping wires equals conjugating with SWAP.
    w = [0.4]
    swapped = Circuit(2).add("SWAP", (0, 1)) + c + Circuit(2).add("SWAP", (0, 1))
    np.testing.assert_allclose(dense_unitary(r, w), dense_unitary(swapped, w), atol=1e-12)
    with pytest.raises(ValueError, match="has no target for wires"):
        c.remap_wires([0])
    with pytest.raises(ValueError, match="must be one-to-one"):
        c.remap_wires([1, 1])
    with pytest.raises(ValueError, match="outside"):
        c.remap_wires([0, 3], n_wires=2)


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=4, max_ops=12))
def test_inverse_is_adjoint(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    c, w, x = case
    u = dense_unitary(c, w, x)
    u_inv = dense_unitary(c.inverse(), w, x)
    np.testing.assert_allclose(u_inv @ u, np.eye(u.shape[0]), atol=1e-10)
    assert c.inverse().inverse() == c or np.allclose(dense_unitary(c.inverse().inverse(), w, x), u)
    assert (c.inverse().n_weights, c.inverse().n_inputs) == (c.n_weights, c.n_inputs)


def test_inverse_gate_names() -> None:
    c = Circuit(2).add("S", 0).add("T", 1).add("SX", 0).add("U3", 1, W(0), W(1), W(2))
    inv = c.inverse()
    assert [op.name for op in inv.ops] == ["U3", "SXdg", "Tdg", "Sdg"]
    assert inv.ops[0].params == (-W(0), -W(2), -W(1))


def test_depth_and_count() -> None:
    c = Circuit(3).add("H", 0).add("H", 1).add("CNOT", (0, 1)).add("X", 2).add("Toffoli", (0, 1, 2))
    assert c.depth() == 3
    assert c.count() == {"H": 2, "CNOT": 1, "X": 1, "Toffoli": 1}
    assert Circuit(2).depth() == 0
    assert Circuit(2).count() == {}


# -- serialisation --------------------------------------------------------------------------
def test_json_round_trip_fixed() -> None:
    u = unitary_group.rvs(4, random_state=1)
    c = (
        Circuit(3, name="demo", n_weights=7, n_inputs=3)
        .add("RX", 0, W(0))
        .add("U3", 2, 0.1, W(1) * X(2), -0.5 * W(2) + 1.0)
        .add("Unitary", (2, 0), matrix=u)
        .add("CRZ", (1, 0), (math.pi - X(0)) * (math.pi - X(1)))
    )
    text = c.to_json(indent=2)
    back = Circuit.from_json(text)
    assert back == c
    d = json.loads(text)
    assert (d["format"], d["version"], d["n_weights"], d["n_inputs"]) == ("qml-circuit", 1, 7, 3)
    assert d["ops"][0] == {"gate": "RX", "wires": [0], "params": [{"c": 0.0, "t": [[1.0, [["w", 0]]]]}]}


@settings(max_examples=15, deadline=None)
@given(random_circuits(max_wires=5, max_ops=10))
def test_json_round_trip_random(c: Circuit) -> None:
    assert Circuit.from_json(c.to_json()) == c


def test_from_dict_errors() -> None:
    with pytest.raises(ValueError, match="not a qml circuit"):
        Circuit.from_dict({"format": "other"})
    with pytest.raises(ValueError, match="unsupported circuit format version 2; expected 1"):
        Circuit.from_dict({"format": "qml-circuit", "version": 2})


# -- drawing --------------------------------------------------------------------------------
def test_draw() -> None:
    c = Circuit(3).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (1, 2))
    assert c.draw() == "0: ─H─●───\n1: ───X─●─\n2: ─────X─"
    c2 = (
        Circuit(3)
        .add("RY", 0, W(0))
        .add("CRX", (0, 2), 0.5 * X(1) + 1)
        .add("SWAP", (0, 2))
        .add("RXX", (0, 1), W(1))
        .add("CZ", (1, 2))
    )
    assert c2.draw() == ("0: ─RY─●──x─RXX[0]───\n1: ────│──│─RXX[1]─●─\n2: ────RX─x────────●─")
    assert c2.draw(show_params=True).splitlines()[2] == "2: ────────RX(1 + 0.5*x1)─x────────────●─"
    wide = Circuit(11).add("X", 10).draw().splitlines()
    assert wide[0].startswith(" 0: ")
    assert wide[10].startswith("10: ─X─")


def test_str() -> None:
    c = Circuit(2, name="demo").add("RX", 0, W(0)).add("RY", 1, X(1))
    assert str(c) == "Circuit(demo, 2 wires, 2 ops, 1 weights, 2 inputs)"
    assert str(c.ops[0]) == "RX(w0) @ [0]"


# -- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Circuit(2).add("FOO", 0), r"unknown gate 'FOO'; supported gates: CNOT, CRX, .*, X, Y, Z"),
        (lambda: Circuit(2).add("CNOT", 0), r"gate CNOT acts on 2 wire\(s\), got wires \(0,\)"),
        (lambda: Circuit(3).add("Toffoli", (0, 1)), r"gate Toffoli acts on 3 wire\(s\)"),
        (lambda: Circuit(2).add("CNOT", (1, 1)), r"gate CNOT acts on distinct wires, got \(1, 1\)"),
        (lambda: Circuit(2).add("H", 2), r"gate H uses wire\(s\) \[2\] outside 0..1"),
        (lambda: Circuit(2).add("H", -1), r"gate H uses wire\(s\) \[-1\] outside 0..1"),
        (lambda: Circuit(2).add("RX", 0), r"gate RX takes 1 parameter\(s\), got 0"),
        (lambda: Circuit(2).add("U3", 0, 0.1), r"gate U3 takes 3 parameter\(s\), got 1"),
        (lambda: Circuit(2).add("H", 0, 0.1), r"gate H takes 0 parameter\(s\), got 1"),
        (lambda: Circuit(2).add("Unitary", 0), "gate Unitary needs matrix="),
        (lambda: Circuit(2).add("Unitary", 0, matrix=np.eye(3)), r"2\^k x 2\^k matrix, got shape \(3, 3\)"),
        (lambda: Circuit(2).add("Unitary", 0, matrix=np.ones((2, 2))), "is not unitary"),
        (lambda: Circuit(2).add("Unitary", 0, matrix=np.eye(4)), "a Unitary on 1 wires needs a 2x2 matrix"),
        (lambda: Circuit(2).add("Unitary", (0, 1), matrix=np.eye(2)), "needs a 4x4 matrix, got 2x2"),
        (
            lambda: Circuit(1, (Op("H", (0,), matrix=(((1.0, 0.0), (0.0, 0.0)), ((0.0, 0.0), (1.0, 0.0)))),)),
            "only gate Unitary takes a matrix, not H",
        ),
        (lambda: Circuit(0), "a circuit needs n_wires >= 1, got 0"),
        (lambda: Circuit(2, (Op("CNOT", (0, 2)),)), r"outside 0..1"),
    ],
)
def test_validation_errors(build: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()  # type: ignore[operator]


def test_validation_in_constructor_and_json() -> None:
    good = Circuit(2).add("CNOT", (0, 1)).to_dict()
    good["ops"][0]["wires"] = [0, 0]
    with pytest.raises(ValueError, match="distinct wires"):
        Circuit.from_dict(good)
    good["ops"][0] = {"gate": "NOPE", "wires": [0]}
    with pytest.raises(ValueError, match="unknown gate 'NOPE'"):
        Circuit.from_dict(good)


def test_gate_table_names_are_complete() -> None:
    assert set(GATES) >= {"RX", "CNOT", "Unitary", "DoubleExcitation", "U3", "SXdg"}
    assert all(GATES[name].name == name for name in GATES)


def test_circuit_hash_is_cached_but_not_pickled():
    import pickle

    c = Circuit(2).add("H", 0).add("CNOT", (0, 1))
    h = hash(c)
    assert hash(c) == h == hash(Circuit(2).add("H", 0).add("CNOT", (0, 1)))
    assert "_hash" not in c.__getstate__()
    c2 = pickle.loads(pickle.dumps(c))
    assert c2 == c
    assert hash(c2) == h


@pytest.mark.parametrize("wires", [1.5, True, "1", (0, 1.0), [0, True]])
def test_wires_must_be_integers(wires):
    gate = "CNOT" if isinstance(wires, (tuple, list)) else "H"
    with pytest.raises(ValueError, match=f"gate {gate} wires must be"):
        Circuit(3).add(gate, wires)


def test_absurd_widths_from_files_are_refused():
    from qml.ir import MAX_WIRES

    with pytest.raises(ValueError, match=r"beyond qml\.ir\.MAX_WIRES"):
        Circuit.from_json(Circuit(2).to_json().replace('"n_wires": 2', f'"n_wires": {MAX_WIRES + 1}'))
    assert Circuit(MAX_WIRES).n_wires == MAX_WIRES
