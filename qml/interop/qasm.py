"""OpenQASM 3 export and import, with no dependency beyond :mod:`qml` itself.

:func:`to_qasm3` writes a self-contained program: ``include "stdgates.inc";``, one
``input float[64] w_i;`` per trainable weight and ``input float[64] x_j;`` per input
feature, gate definitions for the gates that ``stdgates.inc`` lacks (``sxdg``, ``rxx``,
``ryy``, ``rzz``, ``single_excitation``, ``double_excitation``; their bodies are exact,
global phase included, see :data:`GATE_DEFINITIONS`), one register ``qubit[n] q;`` and
one gate call per op. Our wire ``w`` is ``q[w]`` and a gate's qubit arguments are in the
op's wire order (control first), so nothing is reversed: OpenQASM itself has no
endianness, only tools that turn a program into a state vector do.

``U3`` is written as the built-in ``U(theta, phi, lambda)``, whose matrix is exactly ours
(the ``u3`` of ``stdgates.inc`` differs from it by the global phase
``exp(-i(phi + lambda)/2)``; :func:`from_qasm3` reads both as ``U3``).

``Unitary`` ops cannot be written: OpenQASM 3 has no gate given by a matrix, and an exact
decomposition of an arbitrary matrix is out of scope here. :func:`to_qasm3` raises a
``ValueError`` for them; decompose them first (e.g. with Qiskit's transpiler).

:func:`from_qasm` (also called :func:`from_qasm3`) reads OpenQASM 2 and 3 through the
``openqasm3`` reference parser: what :func:`to_qasm3` writes, Qiskit's ``qasm3.dumps`` and
``qasm2.dumps`` output, PennyLane's ``to_openqasm`` output, gate modifiers and measurements
at the end; see :mod:`qml.interop.qasm_read`.

Example:
    >>> from qml.ir import Circuit, W, X
    >>> c = Circuit(2).add("H", 0).add("RZZ", (0, 1), 2.0 * W(0) * X(0))
    >>> text = to_qasm3(c)
    >>> "input float[64] w_0;" in text and "rzz(2.0*w_0*x_0) q[0], q[1];" in text
    True
    >>> from_qasm3(text) == c
    True
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from qml.errors import ConfigError
from qml.gates import GATES
from qml.interop.qasm_read import MAX_QASM_OPS, from_qasm, load_qasm
from qml.ir import Circuit, Op, Param, W

__all__ = [
    "GATE_DEFINITIONS",
    "MAX_QASM_OPS",
    "QASM_NAMES",
    "from_qasm",
    "from_qasm3",
    "load_qasm",
    "to_qasm3",
]


def _body(n_wires: int, *ops: tuple[str, tuple[int, ...], Param | None]) -> Circuit:
    c = Circuit(n_wires)
    for name, wires, angle in ops:
        c = c.add(name, wires, *(() if angle is None else (angle,)))
    return c


_T = W(0)  # the defined gate's own angle
_P2 = math.pi / 2
_A = 1.0 / 8.0

#: Exact bodies (global phase included) of the gates that ``stdgates.inc`` lacks, as
#: circuits in our IR on the gate's own wires, with the gate's angle as ``W(0)``. Used for
#: the ``gate`` definitions that :func:`to_qasm3` writes and by :mod:`qml.interop.qiskit`.
GATE_DEFINITIONS: dict[str, Circuit] = {
    # SXdg = exp(-i pi/4) S H S; the tail X Tdg X Tdg is the scalar exp(-i pi/4).
    "SXdg": _body(
        1,
        ("S", (0,), None),
        ("H", (0,), None),
        ("S", (0,), None),
        ("X", (0,), None),
        ("Tdg", (0,), None),
        ("X", (0,), None),
        ("Tdg", (0,), None),
    ),
    "RZZ": _body(2, ("CNOT", (0, 1), None), ("RZ", (1,), _T), ("CNOT", (0, 1), None)),
    "RXX": _body(
        2,
        ("H", (0,), None),
        ("H", (1,), None),
        ("CNOT", (0, 1), None),
        ("RZ", (1,), _T),
        ("CNOT", (0, 1), None),
        ("H", (0,), None),
        ("H", (1,), None),
    ),
    "RYY": _body(
        2,
        ("RX", (0,), Param.of(_P2)),
        ("RX", (1,), Param.of(_P2)),
        ("CNOT", (0, 1), None),
        ("RZ", (1,), _T),
        ("CNOT", (0, 1), None),
        ("RX", (0,), Param.of(-_P2)),
        ("RX", (1,), Param.of(-_P2)),
    ),
    # PennyLane's decompositions (arXiv:2104.05695); both are exact.
    "SingleExcitation": _body(
        2,
        ("H", (0,), None),
        ("CNOT", (0, 1), None),
        ("RY", (0,), -0.5 * _T),
        ("RY", (1,), -0.5 * _T),
        ("CNOT", (0, 1), None),
        ("H", (0,), None),
    ),
    "DoubleExcitation": _body(
        4,
        ("CNOT", (2, 3), None),
        ("CNOT", (0, 2), None),
        ("H", (3,), None),
        ("H", (0,), None),
        ("CNOT", (2, 3), None),
        ("CNOT", (0, 1), None),
        ("RY", (1,), _A * _T),
        ("RY", (0,), -_A * _T),
        ("CNOT", (0, 3), None),
        ("H", (3,), None),
        ("CNOT", (3, 1), None),
        ("RY", (1,), _A * _T),
        ("RY", (0,), -_A * _T),
        ("CNOT", (2, 1), None),
        ("CNOT", (2, 0), None),
        ("RY", (1,), -_A * _T),
        ("RY", (0,), _A * _T),
        ("CNOT", (3, 1), None),
        ("H", (3,), None),
        ("CNOT", (0, 3), None),
        ("RY", (1,), -_A * _T),
        ("RY", (0,), _A * _T),
        ("CNOT", (0, 1), None),
        ("CNOT", (2, 0), None),
        ("H", (0,), None),
        ("H", (3,), None),
        ("CNOT", (0, 2), None),
        ("CNOT", (2, 3), None),
    ),
}

#: The OpenQASM name :func:`to_qasm3` writes for each gate (``Unitary`` has none).
QASM_NAMES: dict[str, str] = {
    name: ("U" if name == "U3" else spec.qasm) for name, spec in GATES.items() if name != "Unitary"
}

_ARG_NAMES = "abcd"


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def _ref_name(source: str, index: int) -> str:
    return f"{source}_{index}"


def _format_param(p: Param, name_of: Callable[[str, int], str] = _ref_name) -> str:
    """OpenQASM expression text for ``p``; floats use ``repr`` so reading back is exact."""
    parts: list[str] = []
    if p.const or not p.terms:
        parts.append(repr(p.const))
    for coeff, refs in p.terms:
        names = "*".join(name_of(s, i) for s, i in refs)
        if coeff == 1.0:
            parts.append(names)
        elif coeff == -1.0:
            parts.append("-" + names)
        else:
            parts.append(f"{coeff!r}*{names}")
    out = parts[0]
    for part in parts[1:]:
        out += f" - {part[1:]}" if part.startswith("-") else f" + {part}"
    return out


def _format_op(op: Op, qubit: Callable[[int], str], name_of: Callable[[str, int], str] = _ref_name) -> str:
    args = f"({', '.join(_format_param(p, name_of) for p in op.params)})" if op.params else ""
    return f"{QASM_NAMES[op.name]}{args} {', '.join(qubit(w) for w in op.wires)};"


def _gate_definition(name: str) -> str:
    body = GATE_DEFINITIONS[name]
    spec = GATES[name]
    head = f"gate {QASM_NAMES[name]}{'(theta)' if spec.n_params else ''} "
    head += ", ".join(_ARG_NAMES[k] for k in range(spec.n_wires))
    lines = ["  " + _format_op(op, lambda w: _ARG_NAMES[w], lambda s, i: "theta") for op in body.ops]
    return head + " {\n" + "\n".join(lines) + "\n}"


def to_qasm3(circuit: Circuit) -> str:
    """Write ``circuit`` as an OpenQASM 3 program.

    Weights become ``input float[64] w_0; ...`` and inputs ``input float[64] x_0; ...``
    (all ``n_weights``/``n_inputs`` of them, used or not), so a tool that binds inputs by
    name runs the circuit for given vectors. Angle expressions are written with
    ``repr`` floats, so :func:`from_qasm3` reads back exactly the same circuit (its
    ``name`` travels in a ``// qml.name:`` comment).

    Args:
        circuit: The circuit; it must not contain ``Unitary`` ops.

    Returns:
        The program text, ending with a newline.

    Raises:
        ValueError: If the circuit contains a ``Unitary`` op.

    Example:
        >>> from qml.ir import Circuit, W
        >>> print(to_qasm3(Circuit(1).add("RX", 0, W(0))), end="")
        OPENQASM 3.0;
        include "stdgates.inc";
        input float[64] w_0;
        qubit[1] q;
        rx(w_0) q[0];
    """
    unitaries = [k for k, op in enumerate(circuit.ops) if op.name == "Unitary"]
    if unitaries:
        raise ConfigError(
            f"to_qasm3 cannot write Unitary ops (op index {unitaries[0]}; {len(unitaries)} in all): "
            "OpenQASM 3 has no gate given by a matrix. Decompose them into supported gates first "
            "(e.g. qml.interop.qiskit.to_qiskit, qiskit.transpile, then from_qiskit)"
        )
    lines = ["OPENQASM 3.0;", 'include "stdgates.inc";']
    if circuit.name:
        lines.append(f"// qml.name: {json.dumps(circuit.name)}")
    lines += [f"input float[64] w_{i};" for i in range(circuit.n_weights)]
    lines += [f"input float[64] x_{j};" for j in range(circuit.n_inputs)]
    used = {op.name for op in circuit.ops}
    lines += [_gate_definition(name) for name in GATE_DEFINITIONS if name in used]
    lines.append(f"qubit[{circuit.n_wires}] q;")
    lines += [_format_op(op, lambda w: f"q[{w}]") for op in circuit.ops]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# reading: qml.interop.qasm_read (OpenQASM 2 and 3 through the openqasm3 reference parser)
# ---------------------------------------------------------------------------------------------
#: ``from_qasm3`` is :func:`qml.interop.qasm_read.from_qasm`, which reads OpenQASM 2 and 3.
from_qasm3 = from_qasm
