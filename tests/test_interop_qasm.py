"""to_qasm3 / from_qasm3: exact round trips, the gate definitions, and the reader's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import NO_UNITARY, circuits_with_values, every_gate_circuit, random_circuits, random_values

from qml.gates import GATES, op_matrix
from qml.interop.qasm import GATE_DEFINITIONS, QASM_NAMES, from_qasm3, to_qasm3
from qml.ir import Circuit, Op, Param, W, X
from qml.reference import dense_state, dense_unitary

HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\n'


@settings(max_examples=15, deadline=None)
@given(circuits_with_values(max_wires=6, max_ops=20, min_ops=4, gates=NO_UNITARY))
def test_round_trip_is_exact(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    c, w, x = case
    back = from_qasm3(to_qasm3(c))
    assert back == c
    np.testing.assert_allclose(dense_state(back, w, x), dense_state(c, w, x), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_every_gate_round_trip(seed: int) -> None:
    c = every_gate_circuit(n_wires=5, seed=seed, gates=NO_UNITARY, repeats=2)
    assert from_qasm3(to_qasm3(c)) == c


def test_output_format() -> None:
    c = Circuit(2, name="bell 'n' rot").add("H", 0).add("CNOT", (0, 1))
    c = c.add("RZZ", (0, 1), 0.5 - 2.0 * W(1) * X(0)).add("U3", 1, W(0), -W(0), 1.0)
    text = to_qasm3(c)
    lines = text.splitlines()
    assert lines[:3] == ["OPENQASM 3.0;", 'include "stdgates.inc";', "// qml.name: \"bell 'n' rot\""]
    assert lines[3:6] == ["input float[64] w_0;", "input float[64] w_1;", "input float[64] x_0;"]
    assert "gate rzz(theta) a, b {" in text
    assert "gate rxx" not in text
    assert lines[-4:] == [
        "h q[0];",
        "cx q[0], q[1];",
        "rzz(0.5 - 2.0*w_1*x_0) q[0], q[1];",
        "U(w_0, -w_0, 1.0) q[1];",
    ]
    assert "qubit[2] q;" in lines
    assert from_qasm3(text) == c


@pytest.mark.parametrize("name", sorted(GATE_DEFINITIONS))
def test_gate_definitions_are_exact(name: str) -> None:
    body = GATE_DEFINITIONS[name]
    theta = 0.8123
    op = Op(name, tuple(range(body.n_wires)), tuple(Param.of(theta) for _ in range(GATES[name].n_params)))
    # Exact equality, global phase included.
    np.testing.assert_allclose(dense_unitary(body, [theta]), op_matrix(op).numpy(), atol=1e-12)


def test_definitions_expand_as_user_gates() -> None:
    # The written definitions, renamed so the reader expands their bodies, give the same state.
    c = every_gate_circuit(n_wires=4, seed=1, gates=sorted(GATE_DEFINITIONS), repeats=2)
    text = to_qasm3(c)
    for name in GATE_DEFINITIONS:
        q = QASM_NAMES[name]
        text = text.replace(f"gate {q}", f"gate my_{q}").replace(f"\n{q}", f"\nmy_{q}")
    expanded = from_qasm3(text)
    assert not set(expanded.count()) & set(GATE_DEFINITIONS)
    w, x = random_values(c, 1)
    np.testing.assert_allclose(dense_state(expanded, w, x), dense_state(c, w, x), atol=1e-12)


@settings(max_examples=8, deadline=None)
@given(circuits_with_values(max_wires=4, max_ops=12, min_ops=4, gates=NO_UNITARY))
def test_qiskit_importer_agrees(case: tuple[Circuit, np.ndarray, np.ndarray]) -> None:
    """Another reader (qiskit.qasm3.loads) gives the same state, global phase included."""
    from qiskit import qasm3
    from qiskit.quantum_info import Statevector

    c, w, x = case
    qc = qasm3.loads(to_qasm3(c))
    values = {f"w_{i}": v for i, v in enumerate(w)} | {f"x_{j}": v for j, v in enumerate(x)}
    bound = qc.assign_parameters({p: values[p.name] for p in qc.parameters})
    # Qiskit is little-endian: reverse the qubit order to compare with our states.
    np.testing.assert_allclose(Statevector(bound).reverse_qargs().data, dense_state(c, w, x), atol=1e-10)


def test_wire_order() -> None:
    c = Circuit(3).add("X", 0).add("CNOT", (0, 2))
    text = to_qasm3(c)
    assert "x q[0];" in text
    assert "cx q[0], q[2];" in text
    assert int(np.argmax(np.abs(dense_state(from_qasm3(text))))) == 0b101


def test_reader_features() -> None:
    text = (
        HEAD
        + """
    /* a block
       comment */
    input float[64] x_0;  // trailing comment
    input float[64] w_1;
    qubit[2] q;
    qreg r[1];
    bit[3] c;
    gate my_rot(a, b) s, t { rx(a * 2) s; cx s, t; rz(-b/4 + pi) t; }
    #pragma anything
    h q;
    barrier q;
    my_rot(w_1, x_0**2) q[1], r[0];
    CX q[0], r[0];
    u3(π/2, 2*pi, tau) r[0];
    U(1e-3, -.5, 2.) q[0];
    phase(cos(0)) q[1];
    cx q, r[0];
    """
    )
    c = from_qasm3(text)
    assert (c.n_wires, c.n_weights, c.n_inputs) == (3, 2, 1)
    assert [op.name for op in c.ops] == [
        "H",
        "H",
        "RX",
        "CNOT",
        "RZ",
        "CNOT",
        "U3",
        "U3",
        "PhaseShift",
        "CNOT",
        "CNOT",
    ]
    assert [op.wires for op in c.ops][:6] == [(0,), (1,), (1,), (1, 2), (2,), (0, 2)]
    assert c.ops[2].params[0] == 2.0 * W(1)
    assert c.ops[4].params[0] == -0.25 * (X(0) * X(0)) + math.pi
    assert c.ops[6].params == (Param.of(math.pi / 2), Param.of(2 * math.pi), Param.of(math.tau))
    assert c.ops[8].params[0] == Param.of(1.0)
    assert [op.wires for op in c.ops][-2:] == [(0, 2), (1, 2)]


def test_physical_qubits() -> None:
    c = from_qasm3(HEAD + "h $2;\ncx $2, $0;\n")
    assert c.n_wires == 3
    assert c.ops[1].wires == (2, 0)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("qubit[1] q;\nfoo q[0];", r"line 4: unknown gate 'foo'; supported gates: .*rzz.*"),
        ("input float[64] w_0;\nqubit[1] q;\nrx(sin(w_0)) q[0];", r"line 5: sin\(\) of a weight or input"),
        ("input float[64] x_0;\nqubit[1] q;\nrx(1 / x_0) q[0];", "division by a non-constant"),
        ("qubit[1] q;\nrx(w_0) q[0];", "unknown identifier 'w_0'.*input float\\[64\\] w_0"),
        ("input int[32] w_0;", "input 'w_0' of type IntType cannot be a gate angle"),
        ("qubit[1] q;\nbit[1] c;\nc[0] = measure q[0];\nh q[0];", "line 6: a gate on wire 0 after its"),
        ("qubit[1] q;\nmeasure q[0];\nx q;", "after its measurement"),
        ("qubit[1] q;\nreset q[0];", r"unsupported statement \(reset\)"),
        ("qubit[1] q;\nif (true) { x q[0]; }", r"unsupported statement \(if\)"),
        ('include "mine.inc";', "only stdgates.inc and qelib1.inc are understood"),
        ("input float[64] t;\nqubit[3] q;\nctrl(2) @ rx(t) q[0], q[1], q[2];", "no native form in the IR"),
        ("qubit[2] q;\npow(0.5) @ x q[0];", r"pow\(k\) @ \(integer powers only\)"),
        ("qubit[1] q;\npow(100000000) @ x q[0];", "more than MAX_QASM_OPS"),
        ("qubit[2] q;\nctrl @ x q[0];", "needs more than 1 qubit"),
        ("qubit[2] q;\nrx q[0];", r"line 4: rx: gate RX takes 1 parameter\(s\), got 0"),
        ("qubit[2] q;\ncx q[0];", r"gate CNOT acts on 2 wire\(s\)"),
        ("qubit[2] q;\ncx q[1], q[1];", "distinct wires"),
        ("qubit[2] q;\nh q[2];", r"qubit index q\[2\] out of range 0..1"),
        ("qubit[2] q;\nh r[0];", "unknown qubit register 'r'"),
        ("h q[0];", "unknown qubit register 'q'"),
        ("", "declares no qubits"),
        ("qubit[2] q;\nqubit[1] q;", "declared twice"),
        ("qubit[1] q;\nrx(0.5) q[0]", r"line 4: syntax error at column 13: unexpected end of input \(a"),
        ("qubit[1] q;\nrx(0.5 q[0];", "line 4: syntax error"),
        ("qubit[1] q;\nrx(0.5) q[0]; ?", "token recognition error at: '\\?'"),
        ("gate g a { g a; }\nqubit[1] q;\ng q[0];", "defined in terms of itself"),
        ("gate g a { h a;\nqubit[1] q;", "unexpected end of input"),
        ("gate g(t) a { rx(t) a; }\nqubit[1] q;\ng q[0];", r"takes 1 angle\(s\) and 1 qubit\(s\), got 0 and"),
        ("qubit[2] q;\nqubit[3] r;\ncx q, r;", r"broadcast over registers of sizes \[2, 3\]"),
    ],
)
def test_reader_errors(body: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        from_qasm3(HEAD + body)


def test_reader_rejects_other_versions_and_types() -> None:
    with pytest.raises(ValueError, match=r"version 4\.0 is not read"):
        from_qasm3("OPENQASM 4.0;\nqubit q;")
    with pytest.raises(TypeError, match="program text as a str"):
        from_qasm3(b"OPENQASM 3.0;")  # type: ignore[arg-type]


def test_unitary_cannot_be_written() -> None:
    c = Circuit(2).add("H", 0).add("Unitary", (1,), matrix=np.eye(2))
    with pytest.raises(ValueError, match=r"cannot write Unitary ops \(op index 1; 1 in all\).*Decompose"):
        to_qasm3(c)


@settings(max_examples=10, deadline=None)
@given(random_circuits(max_wires=3, max_ops=6, gates=NO_UNITARY))
def test_unused_weights_and_inputs_survive(c: Circuit) -> None:
    wide = Circuit(c.n_wires, c.ops, c.n_weights + 2, c.n_inputs + 1, "wide")
    back = from_qasm3(to_qasm3(wide))
    assert (back.n_weights, back.n_inputs, back.name) == (wide.n_weights, wide.n_inputs, "wide")


_HEAD = "OPENQASM 3.0;\nqubit[2] q;\n"
_NESTED = (
    "OPENQASM 3.0;\nqubit[1] q;\ngate g0 a { h a; h a; }\n"
    + "".join(f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, 31))
    + "g30 q[0];\n"
)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (_NESTED, "expands to more than MAX_QASM_OPS"),
        ("OPENQASM 3.0;\nqubit[200000] q;\nh q;\n", "beyond qml.ir.MAX_WIRES"),
        ("OPENQASM 3.0;\nh $200000;\n", "beyond qml.ir.MAX_WIRES"),
        (_HEAD + "/*" + "x" * 200_000, "never closed"),
        ("OPENQASM 3.0;\ninput float[64] x_0;\nqubit[1] q;\nrx(x_0**100000) q[0];\n", "beyond MAX_POWER"),
        (_HEAD + "rx(" + "(" * 5000 + "1" + ")" * 5000 + ") q[0];\n", "nests deeper than MAX_EXPR_DEPTH"),
        (_HEAD + "rx(2**100000) q[0];\n", "cannot be an angle"),
        (_HEAD + "rx(exp(1000)) q[0];\n", "cannot be an angle"),
        (_HEAD + "rx(1e308*10) q[0];\n", "non-finite"),
        (_HEAD + "rx(1e308*10 - 1e308*10) q[0];\n", "non-finite"),
    ],
)
def test_hostile_programs_fail_fast_with_one_line(text, match):
    import time

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        from_qasm3(text)
    assert time.perf_counter() - t0 < 10.0


def test_parsing_is_linear_in_the_input():
    import time

    gates = "rx(0.1 + 0.2 * 3) q[1];\ncx q[0], q[1];\n" * 500
    short = _HEAD + "rx(--1) q[0];\n" + "// comment\n" * 2_000 + gates
    t0 = time.perf_counter()
    c = from_qasm3(short)
    t_short = time.perf_counter() - t0
    t0 = time.perf_counter()
    from_qasm3(short.replace("// comment\n" * 2_000, "// comment\n" * 20_000) + "rx(0.1) q[1];\n" * 4_500)
    assert time.perf_counter() - t0 < 15 * t_short + 1.0  # 10x the text
    assert c.ops[0].params[0].const == 1.0
    with pytest.raises(ValueError, match="nests deeper than MAX_EXPR_DEPTH"):  # before the parser recurses
        from_qasm3(_HEAD + "rx(" + "-" * 100_000 + "1) q[0];\n")
