"""Read OpenQASM 2 and 3 programs into the IR, through the ``openqasm3`` reference parser.

The text is parsed by the reference grammar (``openqasm3.parse``'s ANTLR parser, which reads
``OPENQASM 2.0`` programs too: ``qreg``, ``creg``, ``measure q -> c``); this module only
walks the syntax tree. What it reads:

* Qubits: any number of ``qubit``/``qreg`` registers, numbered in declaration order (the
  first register's ``q[k]`` is wire ``k``), or physical qubits ``$k`` (wire ``k``). Register
  arguments broadcast (``h q;``, ``cx q, r[0];``).
* Parameters: ``input float[64] name;`` (or ``angle``). ``w_i`` is trainable weight ``i`` and
  ``x_j`` input feature ``j``; any other name (Qiskit writes ``theta``, ``_θ_0_``) becomes a
  weight numbered after the ``w_i`` in declaration order (:attr:`QasmImport.weight_names`).
  Qiskit's ``qasm3.dumps`` declares its parameters in ``QuantumCircuit.parameters`` order,
  so ``qc.assign_parameters(values)`` and our ``weights = values`` give the same state.
* Gates: every name :func:`qml.gates.gate_name` knows in its OpenQASM form (``h``, ``cx``,
  ``CX``, ``U``, ``u3``, ``p``, ``rzz``...), the rest of ``stdgates.inc``/``qelib1.inc``
  (``u2``, ``cp``, ``cu1``, ``ch``, ``cswap``, ``cu``, ``cu3``, ``csx``; :data:`LIBRARY`) and
  gates defined in the program (expanded; a definition of a gate we know, as Qiskit writes
  for ``rzz``, is trusted to be that gate).
* Modifiers: ``inv @`` (the inverse, gate by gate), ``pow(k) @`` for integer ``k``,
  ``ctrl(n) @`` and ``negctrl @``: a controlled ``x``/``y``/``z``/``rx``/``ry``/``rz``/
  ``p``/``U``/``gphase``/``cx`` becomes native gates (exact, relative phases included), any
  other controlled gate with constant angles becomes a ``Unitary`` op; a controlled gate
  with a weight or input in its angles that has no native form is an error.
* ``barrier``, ``bit``/``creg`` declarations and a global ``gphase`` (unobservable) are
  skipped. Measurements are allowed at the end: a gate on a measured qubit is an error (the
  IR has no mid-circuit measurement); the measured wires are :attr:`QasmImport.measured`.
* Angles: sums, products, ``/`` by constants, integer powers (up to :data:`MAX_POWER`) of
  weights and inputs; functions (``sin``, ``cos``, ``exp``, ``sqrt``...) of constants.

Reset, classical control flow, subroutines and ``include`` of any file but ``stdgates.inc``
and ``qelib1.inc`` (no file is ever opened) are rejected with a one-line ``ValueError``
naming the line. Files are untrusted input: :data:`MAX_QASM_CHARS`,
:data:`MAX_QASM_OPS`, :data:`MAX_EXPR_DEPTH`, :data:`MAX_POWER` and ``qml.ir.MAX_WIRES``
bound the work (module attributes; raise them for a file you trust).

Example:
    >>> c = from_qasm('''OPENQASM 3.0; include "stdgates.inc";
    ... input float[64] theta;
    ... qubit[2] q;
    ... h q;
    ... ctrl @ rz(2 * theta) q[0], q[1];''')
    >>> [op.name for op in c.ops], c.n_weights
    (['H', 'H', 'CRZ'], 1)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qml.errors import CircuitError, ConfigTypeError
from qml.gates import GATES, inverse_op, op_matrix, validate_op
from qml.ir import MAX_WIRES, Circuit, Op, Param, W

__all__ = [
    "LIBRARY",
    "MAX_EXPR_DEPTH",
    "MAX_POWER",
    "MAX_QASM_CHARS",
    "MAX_QASM_OPS",
    "QasmImport",
    "from_qasm",
    "load_qasm",
]

#: Limits of the reader (a file is untrusted input): characters of program text, gates after
#: expanding definitions and ``pow`` modifiers, nesting depth of an angle expression, and the
#: largest integer power of a non-constant angle.
MAX_QASM_CHARS = 4_000_000
MAX_QASM_OPS = 100_000
MAX_EXPR_DEPTH = 100
MAX_POWER = 16

#: The gates of ``stdgates.inc``/``qelib1.inc`` without a native IR gate, defined as in the
#: OpenQASM 3 specification (global phases included, so ``ctrl @`` of them is exact). ``u3`` is
#: here for ``ctrl @ u3`` only: OpenQASM 3's ``u3`` is ``U`` times ``exp(-i(phi+lambda)/2)``;
#: uncontrolled, it is the native ``U3``.
LIBRARY = """
gate u3(theta, phi, lambda) q { gphase(-(phi + lambda) / 2); U(theta, phi, lambda) q; }
gate u2(phi, lambda) q { gphase(-(phi + lambda + pi / 2) / 2); U(pi / 2, phi, lambda) q; }
gate u0(gamma) q { U(0, 0, 0) q; }
gate cp(lambda) a, b { ctrl @ p(lambda) a, b; }
gate cphase(lambda) a, b { ctrl @ p(lambda) a, b; }
gate cu1(lambda) a, b { ctrl @ p(lambda) a, b; }
gate ch a, b { ctrl @ h a, b; }
gate csx a, b { ctrl @ sx a, b; }
gate cswap a, b, c { cx c, b; ccx a, b, c; cx c, b; }
gate cu(theta, phi, lambda, gamma) c, t { p(gamma) c; ctrl @ U(theta, phi, lambda) c, t; }
gate cu3(theta, phi, lambda) c, t { ctrl @ U(theta, phi, lambda) c, t; }
"""

# OpenQASM names of the native gates (exact-case, as the language spells them).
_NATIVE: dict[str, str] = {
    n: spec.name
    for spec in GATES.values()
    if spec.name != "Unitary"
    for n in (spec.qasm, spec.qiskit, *spec.aliases)
}
_STD_INCLUDES = ("stdgates.inc", "qelib1.inc")
_FUNCS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "arcsin": math.asin,
    "arccos": math.acos,
    "arctan": math.atan,
    "exp": math.exp,
    "ln": math.log,
    "log": math.log,
    "sqrt": math.sqrt,
}
_CONSTS = {"pi": math.pi, "π": math.pi, "tau": math.tau, "τ": math.tau, "euler": math.e, "ℇ": math.e}
# A global phase inside a controlled expansion (a relative phase once controlled); never in a Circuit.
_GPHASE = "gphase"
# A native gate with controls that is again a native gate: (name, n_controls) -> new name.
_CONTROLLED = {
    ("X", 1): "CNOT",
    ("X", 2): "Toffoli",
    ("CNOT", 1): "Toffoli",
    ("Y", 1): "CY",
    ("Z", 1): "CZ",
    ("RX", 1): "CRX",
    ("RY", 1): "CRY",
    ("RZ", 1): "CRZ",
}


@dataclass(frozen=True)
class QasmImport:
    """A program read by :func:`load_qasm`.

    Attributes:
        circuit: The circuit.
        weight_names: The program's name of weight ``i`` at index ``i``.
        input_names: The program's name of input feature ``j`` at index ``j``.
        measured: Wires measured at the end of the program, in order of measurement.
        version: ``"2.0"``, ``"3.0"``... as the program declares it (``""`` if it does not).
    """

    circuit: Circuit
    weight_names: tuple[str, ...]
    input_names: tuple[str, ...]
    measured: tuple[int, ...]
    version: str


class _Error(CircuitError):
    pass


def _line(node: Any) -> int:
    span = getattr(node, "span", None)
    return int(span.start_line) if span is not None else 0


def _fail(node: Any, message: str) -> _Error:
    line = _line(node)
    return _Error(f"OpenQASM line {line}: {message}" if line else f"OpenQASM: {message}")


def _check_nesting(text: str) -> None:
    """Refuse brackets or sign chains nested deeper than MAX_EXPR_DEPTH before the recursive parser
    sees them (one linear pass each)."""
    depth = 0
    m: re.Match[str] | None
    for m in re.finditer(r"[()]", text):
        depth = depth + 1 if m.group() == "(" else max(depth - 1, 0)
        if depth > MAX_EXPR_DEPTH:
            break
    else:
        m = re.search(rf"[(,=\[][ \t]*(?:[-+~!][ \t]*){{{MAX_EXPR_DEPTH + 1},}}", text)
        if m is None:
            return
    line = text.count("\n", 0, m.start()) + 1
    raise _Error(
        f"OpenQASM line {line}: an angle expression nests deeper than MAX_EXPR_DEPTH = {MAX_EXPR_DEPTH}"
    )


def _syntax_message(text: str, line: int, column: int, msg: str) -> str:
    """One readable line for an ANTLR syntax error."""
    start = text.find("/*")
    while start >= 0:
        end = text.find("*/", start + 2)
        if end < 0:
            at = text.count("\n", 0, start) + 1
            return f"OpenQASM line {at}: a block comment '/*' is never closed with '*/'"
        start = text.find("/*", end + 2)
    msg = re.sub(r" expecting (\{.*\}|\S+)$", "", msg).replace("'<EOF>'", "end of input")
    if msg.endswith("end of input"):
        msg = "unexpected end of input (a missing ';' or '}'?)"
    return f"OpenQASM line {line}: syntax error at column {column + 1}: {msg}"


def _parse(text: str) -> Any:
    """The reference parser's syntax tree; syntax errors are one line with their position."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from openqasm3.parser import QASM3ParsingError, QASMNodeVisitor, qasm3Lexer, qasm3Parser

    class Raise(ErrorListener):
        def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:
            raise _Error(_syntax_message(text, line, column, msg))

    lexer = qasm3Lexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(Raise())
    parser = qasm3Parser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(Raise())
    try:
        return QASMNodeVisitor().visitProgram(parser.program())
    except RecursionError:
        raise _Error(
            "OpenQASM: an expression is nested too deeply (or is a chain of too many operators) for the "
            "parser; simplify it"
        ) from None
    except QASM3ParsingError as err:
        raise _Error(f"OpenQASM: {err}") from None


class _Reader:
    def __init__(self, version: str) -> None:
        self.version = version
        self.registers: dict[str, tuple[int, int]] = {}  # name -> (first wire, size; -1 = one qubit)
        self.n_wires = 0
        self.physical: set[int] = set()
        self.bits: set[str] = set()
        self.params: dict[str, Param] = {}
        self.weight_names: list[str] = []
        self.input_names: list[str] = []
        self.gates: dict[str, Any] = {}
        self.library: dict[str, Any] = {}
        self.ops: list[Op] = []
        self.measured: list[int] = []
        self.measured_set: set[int] = set()
        self.expanding: tuple[str, ...] = ()
        self.keep_phase = False  # inside a controlled expansion, global phases are relative phases

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: Any, scope: dict[str, Param], depth: int = 0) -> Param:
        from openqasm3 import ast

        if depth > MAX_EXPR_DEPTH:
            raise _fail(node, f"an angle expression nests deeper than MAX_EXPR_DEPTH = {MAX_EXPR_DEPTH}")
        if isinstance(node, (ast.IntegerLiteral, ast.FloatLiteral)):
            try:
                return self.finite(node, Param.of(float(node.value)))
            except OverflowError:
                raise _fail(node, f"the number {node.value} is too large for an angle") from None
        if isinstance(node, ast.Identifier):
            if node.name in scope:
                return scope[node.name]
            if node.name in _CONSTS:
                return Param.of(_CONSTS[node.name])
            raise _fail(
                node,
                f"unknown identifier {node.name!r} in an angle; declare parameters as 'input float[64] "
                f"{node.name};' (w_<i> is weight i, x_<j> input j, other names weights in order)",
            )
        if isinstance(node, ast.UnaryExpression):
            if node.op.name != "-":
                raise _fail(node, f"operator {node.op.name!r} cannot appear in an angle")
            return -self.expr(node.expression, scope, depth + 1)
        if isinstance(node, ast.BinaryExpression):
            return self.binary(node, scope, depth)
        if isinstance(node, ast.FunctionCall):
            name = node.name.name
            if name not in _FUNCS or len(node.arguments) != 1:
                raise _fail(node, f"function {name!r} cannot appear in an angle; known: {', '.join(_FUNCS)}")
            arg = self.expr(node.arguments[0], scope, depth + 1)
            if not arg.is_constant:
                raise _fail(
                    node,
                    f"{name}() of a weight or input is not a polynomial; only constant arguments can be "
                    "evaluated (angles must be sums and products of inputs)",
                )
            try:
                return self.finite(node, Param.of(_FUNCS[name](arg.const)))
            except (OverflowError, ValueError) as err:
                if isinstance(err, _Error):
                    raise
                raise _fail(node, f"{name}({arg.const:g}) cannot be an angle ({err})") from None
        raise _fail(node, f"a {type(node).__name__} cannot be a gate angle")

    def binary(self, node: Any, scope: dict[str, Param], depth: int) -> Param:
        from openqasm3 import ast

        op = node.op.name
        if op in ("+", "-", "*", "/"):  # a chain a + b - c + ... is folded in a loop, not recursion
            group = ("+", "-") if op in ("+", "-") else ("*", "/")
            chain: list[tuple[str, Any, Any]] = []
            while isinstance(node, ast.BinaryExpression) and node.op.name in group:
                chain.append((node.op.name, node.rhs, node))
                node = node.lhs
            value = self.expr(node, scope, depth + 1)
            for sign, rhs_node, at in reversed(chain):
                value = self.finite(at, self.apply(at, sign, value, self.expr(rhs_node, scope, depth + 1)))
            return value
        lhs = self.expr(node.lhs, scope, depth + 1)
        rhs = self.expr(node.rhs, scope, depth + 1)
        if op == "**":
            return self.power(node, lhs, rhs)
        raise _fail(node, f"operator {op!r} cannot appear in an angle")

    @staticmethod
    def apply(node: Any, op: str, lhs: Param, rhs: Param) -> Param:
        if op == "+":
            return lhs + rhs
        if op == "-":
            return lhs - rhs
        if op == "*":
            return lhs * rhs
        if op == "/":
            if not rhs.is_constant:
                raise _fail(
                    node,
                    "division by a non-constant expression cannot be a gate angle here; angles must be "
                    "polynomials in the inputs (sums and products, division by constants only)",
                )
            if rhs.const == 0.0:
                raise _fail(node, "division by zero in an angle expression")
        return lhs * (1.0 / rhs.const)

    def power(self, node: Any, base: Param, exp: Param) -> Param:
        if not exp.is_constant:
            raise _fail(node, "an exponent must be a constant")
        if base.is_constant:
            try:
                value = base.const**exp.const
            except (OverflowError, ZeroDivisionError) as err:
                raise _fail(node, f"{base.const:g} ** {exp.const:g} cannot be an angle ({err})") from None
            if isinstance(value, complex):
                raise _fail(node, f"{base.const:g} ** {exp.const:g} is not a real number")
            return self.finite(node, Param.of(value))
        n = exp.const
        if n != int(n) or n < 0:
            raise _fail(node, f"a non-constant base needs a non-negative integer exponent, got {n!r}")
        if n > MAX_POWER:
            raise _fail(node, f"an input raised to the power {n:g} is beyond MAX_POWER = {MAX_POWER}")
        out = Param.of(1.0)
        for _ in range(int(n)):
            out = out * base
        return out

    @staticmethod
    def finite(node: Any, value: Param) -> Param:
        if not all(math.isfinite(v) for v in (value.const, *(c for c, _ in value.terms))):
            raise _fail(node, "an angle expression evaluates to a non-finite number (inf or nan)")
        return value

    def integer(self, node: Any, what: str) -> int:
        value = self.expr(node, {})
        if not value.is_constant or value.const != int(value.const):
            raise _fail(node, f"{what} must be a constant integer")
        return int(value.const)

    # -- declarations ----------------------------------------------------------------------
    def declare_inputs(self, statements: Sequence[Any]) -> None:
        """Weights ``w_i`` and inputs ``x_j`` by index; other names are weights after the w_i."""
        from openqasm3 import ast

        named: dict[int, str] = {}
        others: list[str] = []
        inputs: dict[int, str] = {}
        for s in statements:
            if not isinstance(s, ast.IODeclaration):
                continue
            name = s.identifier.name
            if s.io_identifier.name != "input":
                raise _fail(s, f"output {name!r}: the IR has no classical outputs")
            if not isinstance(s.type, (ast.FloatType, ast.AngleType)):
                raise _fail(
                    s,
                    f"input {name!r} of type {type(s.type).__name__} cannot be a gate angle; use "
                    f"'input float[64] {name};'",
                )
            if name in self.params or name in named.values() or name in inputs.values() or name in others:
                raise _fail(s, f"input {name!r} declared twice")
            m = re.fullmatch(r"([wx])_(\d+)", name)
            if m is None:
                others.append(name)
            elif m.group(1) == "w":
                named[int(m.group(2))] = name
            else:
                inputs[int(m.group(2))] = name
        n_named = max(named, default=-1) + 1
        weights = [named.get(i, f"w_{i}") for i in range(n_named)] + others
        for i, name in enumerate(weights):
            self.params[name] = W(i)
        self.input_names = [inputs.get(j, f"x_{j}") for j in range(max(inputs, default=-1) + 1)]
        for j, name in enumerate(self.input_names):
            self.params[name] = Param(0.0, ((1.0, (("x", j),)),))
        self.weight_names = weights

    def add_register(self, node: Any, name: str, size: int, single: bool) -> None:
        if name in self.registers:
            raise _fail(node, f"qubit register {name!r} declared twice")
        if self.physical:
            raise _fail(node, "do not mix physical qubits ($k) with declared qubit registers")
        if size < 1:
            raise _fail(node, f"qubit register {name!r} needs at least one qubit")
        if self.n_wires + size > MAX_WIRES:
            raise _fail(
                node,
                f"qubit register {name!r} of {size} qubits takes the program beyond qml.ir.MAX_WIRES = "
                f"{MAX_WIRES}",
            )
        self.registers[name] = (self.n_wires, -1 if single else size)
        self.n_wires += size

    # -- qubit arguments -------------------------------------------------------------------
    def qubits(self, node: Any, local: dict[str, int] | None) -> list[int]:
        from openqasm3 import ast

        if isinstance(node, ast.Identifier):
            name, index_nodes = node.name, []
        elif isinstance(node, ast.IndexedIdentifier):
            name, index_nodes = node.name.name, node.indices
        else:
            raise _fail(node, f"a {type(node).__name__} cannot be a qubit argument")
        if name.startswith("$"):
            if local is not None:
                raise _fail(node, "physical qubits cannot appear in a gate body")
            if self.registers:
                raise _fail(node, "do not mix physical qubits ($k) with declared qubit registers")
            wire = int(name[1:])
            if wire >= MAX_WIRES:
                raise _fail(node, f"physical qubit {name} is beyond qml.ir.MAX_WIRES = {MAX_WIRES}")
            self.physical.add(wire)
            return [wire]
        if local is not None:
            if name not in local or index_nodes:
                raise _fail(node, f"unknown qubit {name!r} in a gate body")
            return [local[name]]
        if name not in self.registers:
            raise _fail(node, f"unknown qubit register {name!r}; declare it with 'qubit[n] {name};'")
        first, size = self.registers[name]
        if not index_nodes:
            return [first] if size == -1 else list(range(first, first + size))
        if len(index_nodes) != 1 or not isinstance(index_nodes[0], list) or len(index_nodes[0]) != 1:
            raise _fail(node, f"qubit {name}: only single integer indices are read (no ranges or sets)")
        index = self.integer(index_nodes[0][0], "a qubit index")
        n = max(size, 1)
        if not 0 <= index < n:
            raise _fail(node, f"qubit index {name}[{index}] out of range 0..{n - 1}")
        return [first + index]

    # -- statements ------------------------------------------------------------------------
    def program(self, statements: Sequence[Any]) -> None:
        from openqasm3 import ast

        self.declare_inputs(statements)
        for s in statements:
            if isinstance(s, ast.Include):
                if s.filename not in _STD_INCLUDES:
                    raise _fail(
                        s,
                        f"include {s.filename!r}: only {' and '.join(_STD_INCLUDES)} are understood (no "
                        "file is ever opened); paste the definitions into the program",
                    )
            elif isinstance(s, ast.QubitDeclaration):
                size = 1 if s.size is None else self.integer(s.size, "a register size")
                self.add_register(s, s.qubit.name, size, s.size is None)
            elif isinstance(s, ast.ClassicalDeclaration) and isinstance(s.type, ast.BitType):
                self.bits.add(s.identifier.name)
            elif isinstance(s, ast.IODeclaration):
                continue
            elif isinstance(s, ast.QuantumGateDefinition):
                self.define(s)
            elif isinstance(s, ast.QuantumGate):
                self.call(s, self.params, None)
            elif isinstance(s, ast.QuantumPhase):
                self.phase(s, self.params, None)
            elif isinstance(s, (ast.QuantumBarrier, ast.Pragma)):
                continue
            elif isinstance(s, ast.QuantumMeasurementStatement):
                for w in self.qubits(s.measure.qubit, None):
                    if w not in self.measured_set:
                        self.measured.append(w)
                        self.measured_set.add(w)
            else:
                what = {
                    "QuantumReset": "reset",
                    "BranchingStatement": "if",
                    "ForInLoop": "for",
                    "WhileLoop": "while",
                    "SubroutineDefinition": "def",
                }.get(type(s).__name__)
                raise _fail(
                    s,
                    f"unsupported statement ({what or type(s).__name__}): the IR holds unitary gate "
                    "programs with measurements at the end only; strip it first",
                )

    def define(self, s: Any) -> None:
        name = s.name.name
        if name in _NATIVE:
            return  # a definition of a gate we know (Qiskit writes rzz, sxdg...) is that gate
        if name in self.gates:
            raise _fail(s, f"gate {name!r} defined twice")
        self.gates[name] = s

    def phase(self, s: Any, scope: dict[str, Param], local: dict[str, int] | None) -> None:
        """``gphase``: unobservable alone; under ``ctrl @`` a phase gate on the controls."""
        angle = self.expr(s.argument, scope)
        ctrl, inverse, power = self.modifiers(s, scope)
        op = Op(_GPHASE, (), (angle * ((-1.0 if inverse else 1.0) * power),))
        if not s.modifiers:
            if self.keep_phase:
                self.ops.append(op)
            return
        controls = [w for q in s.qubits for w in self.qubits(q, local)]
        if len(controls) != sum(n for n, _ in ctrl):
            raise _fail(s, "a controlled gphase takes exactly its control qubits as arguments")
        self.emit(s, [op], self.flip(ctrl, controls), controls)

    def modifiers(self, s: Any, scope: dict[str, Param]) -> tuple[list[tuple[int, bool]], bool, int]:
        ctrl: list[tuple[int, bool]] = []
        inverse, power = False, 1
        for m in s.modifiers:
            kind = m.modifier.name
            if kind in ("ctrl", "negctrl"):
                n = 1 if m.argument is None else self.integer(m.argument, "a ctrl count")
                if n < 1:
                    raise _fail(s, f"ctrl({n}) needs at least one control")
                ctrl.append((n, kind == "negctrl"))
            elif kind == "inv":
                inverse = not inverse
            else:
                k = self.integer(m.argument, "the exponent of pow(k) @ (integer powers only)")
                power *= k
        return ctrl, inverse, power

    @staticmethod
    def flip(ctrl: list[tuple[int, bool]], controls: list[int]) -> list[int]:
        """Wires of negative controls, in the order of ``controls``."""
        neg: list[int] = []
        pos = 0
        for n, negative in ctrl:
            if negative:
                neg += controls[pos : pos + n]
            pos += n
        return [w for w in neg if w in controls]

    def call(self, s: Any, scope: dict[str, Param], local: dict[str, int] | None) -> None:
        name = s.name.name
        args = [self.expr(a, scope) for a in s.arguments]
        ctrl, inverse, power = self.modifiers(s, scope)
        wire_lists = [self.qubits(q, local) for q in s.qubits]
        sizes = {len(ws) for ws in wire_lists if len(ws) > 1}
        if len(sizes) > 1:
            raise _fail(s, f"gate {name!r} is broadcast over registers of sizes {sorted(sizes)}")
        n_ctrl = sum(n for n, _ in ctrl)
        for k in range(sizes.pop() if sizes else 1):
            wires = [ws[k] if len(ws) > 1 else ws[0] for ws in wire_lists]
            if len(wires) <= n_ctrl:
                raise _fail(s, f"{name!r} with {n_ctrl} control(s) needs more than {n_ctrl} qubit(s)")
            controls, targets = wires[:n_ctrl], wires[n_ctrl:]
            body = self.unitary(s, name, args, targets, bool(controls) or self.keep_phase)
            if inverse:
                body = [_inverse(op) for op in reversed(body)]
            if power < 0:
                body, power = [_inverse(op) for op in reversed(body)], -power
            if power * len(body) + len(self.ops) > MAX_QASM_OPS:
                raise self.too_many(s)
            self.emit(s, body * power, self.flip(ctrl, controls), controls)

    def unitary(self, s: Any, name: str, args: list[Param], wires: list[int], controlled: bool) -> list[Op]:
        """The ops of one uncontrolled gate call (definitions expanded)."""
        from openqasm3 import ast

        if name in _NATIVE and not (controlled and name in self.library_defs()):
            op = Op(_NATIVE[name], tuple(wires), tuple(args))
            try:
                validate_op(op, max(self.n_wires, max(wires) + 1))
            except ValueError as exc:
                raise _fail(s, f"{name}: {exc}") from None
            return [op]
        gate = self.gates.get(name) or self.library_defs().get(name)
        if gate is None:
            known = sorted({*_NATIVE, *self.library_defs(), *self.gates})
            raise _fail(
                s,
                f"unknown gate {name!r}; supported gates: {', '.join(known)}, or any gate defined in the "
                "program with 'gate name(...) a, b { ... }' from these",
            )
        params = [a.name for a in gate.arguments]
        qubits = [q.name for q in gate.qubits]
        if len(args) != len(params) or len(wires) != len(qubits):
            raise _fail(
                s,
                f"gate {name!r} takes {len(params)} angle(s) and {len(qubits)} qubit(s), got {len(args)} "
                f"and {len(wires)}",
            )
        if len(set(wires)) != len(wires):
            raise _fail(s, f"gate {name!r} acts on distinct wires, got {tuple(wires)}")
        if name in self.expanding:
            raise _fail(s, f"gate {name!r} is defined in terms of itself")
        if len(self.expanding) > MAX_EXPR_DEPTH:
            raise _fail(s, f"gate definitions nest deeper than MAX_EXPR_DEPTH = {MAX_EXPR_DEPTH}")
        sub = _Reader.__new__(_Reader)
        sub.__dict__.update(self.__dict__)
        sub.ops, sub.measured, sub.measured_set = [], [], set()
        sub.expanding, sub.keep_phase = (*self.expanding, name), controlled
        scope = dict(zip(params, args, strict=True))
        local = dict(zip(qubits, wires, strict=True))
        for st in gate.body:
            if isinstance(st, ast.QuantumGate):
                sub.call(st, scope, local)
            elif isinstance(st, ast.QuantumPhase):
                sub.phase(st, scope, local)
            elif not isinstance(st, ast.QuantumBarrier):
                raise _fail(st, f"unexpected {type(st).__name__} in the body of gate {name!r}")
            if len(sub.ops) + len(self.ops) > MAX_QASM_OPS:
                raise self.too_many(st)
        return sub.ops

    def library_defs(self) -> dict[str, Any]:
        if not self.library:
            self.library = {s.name.name: s for s in _library_program().statements}
        return self.library

    def emit(self, s: Any, body: list[Op], negative: list[int], controls: list[int]) -> None:
        if not controls and not self.keep_phase:
            body = [op for op in body if op.name != _GPHASE]
        else:
            nested = [self.controlled(s, op, controls) for op in body]
            body = [op for ops in nested for op in ops]
            flips = [Op("X", (w,)) for w in negative]
            body = [*flips, *body, *flips]
        for op in body:
            hit = [w for w in op.wires if w in self.measured_set]
            if hit:
                raise _fail(
                    s,
                    f"a gate on wire {hit[0]} after its measurement: the IR has no mid-circuit "
                    "measurement (measure at the end only)",
                )
        self.ops += body
        if len(self.ops) > MAX_QASM_OPS:
            raise self.too_many(s)

    def controlled(self, s: Any, op: Op, controls: list[int]) -> list[Op]:
        """``op`` with ``controls`` (all positive), exactly: native gates, else a constant Unitary."""
        if set(controls) & set(op.wires):
            raise _fail(s, f"a control qubit is also a target ({controls} and {list(op.wires)})")
        n = len(controls)
        if op.name == _GPHASE:  # ctrl @ gphase(a) = phase a on the last control, ctrl by the rest
            return (
                self.controlled(s, Op("PhaseShift", (controls[-1],), op.params), controls[:-1])
                if n > 1
                else [Op("PhaseShift", (controls[0],), op.params)]
            )
        new = _CONTROLLED.get((op.name, n))
        if new is not None:
            return [Op(new, (*controls, *op.wires), op.params)]
        if n == 1 and op.name == "PhaseShift":  # cu1 of qelib1.inc: exact
            (lam,) = op.params
            c, t = controls[0], op.wires[0]
            return [
                Op("PhaseShift", (c,), (lam * 0.5,)),
                Op("CNOT", (c, t)),
                Op("PhaseShift", (t,), (lam * -0.5,)),
                Op("CNOT", (c, t)),
                Op("PhaseShift", (t,), (lam * 0.5,)),
            ]
        if n == 1 and op.name == "U3":  # cu3 of qelib1.inc: exactly controlled-U
            theta, phi, lam = op.params
            c, t = controls[0], op.wires[0]
            return [
                Op("PhaseShift", (c,), ((lam + phi) * 0.5,)),
                Op("PhaseShift", (t,), ((lam - phi) * 0.5,)),
                Op("CNOT", (c, t)),
                Op("U3", (t,), (theta * -0.5, Param.of(0.0), (phi + lam) * -0.5)),
                Op("CNOT", (c, t)),
                Op("U3", (t,), (theta * 0.5, phi, Param.of(0.0))),
            ]
        if any(not p.is_constant for p in op.params):
            raise _fail(
                s,
                f"ctrl @ {GATES[op.name].qasm} with {n} control(s) and a weight or input in its angles has "
                "no native form in the IR (controlled x, y, z, rx, ry, rz, p and U have); bind the angle "
                "or decompose the gate",
            )
        m = (
            op_matrix(op).numpy()
            if op.name != "Unitary"
            else np.array([[complex(a, b) for a, b in row] for row in op.matrix or ()])
        )
        d = m.shape[0]
        full = np.eye(d << n, dtype=complex)
        full[-d:, -d:] = m
        return [Op("Unitary", (*controls, *op.wires), (), _matrix(full))]

    def too_many(self, node: Any) -> _Error:
        return _fail(
            node,
            f"the program expands to more than MAX_QASM_OPS = {MAX_QASM_OPS} gates (nested gate "
            "definitions or pow modifiers?); qml.interop.qasm_read.MAX_QASM_OPS can be raised for a file "
            "you trust",
        )

    def result(self, name: str) -> QasmImport:
        n_wires = self.n_wires if self.registers else max(self.physical, default=-1) + 1
        if n_wires < 1:
            raise _Error("OpenQASM program declares no qubits; add e.g. 'qubit[2] q;'")
        circuit = Circuit(n_wires, tuple(self.ops), len(self.weight_names), len(self.input_names), name)
        return QasmImport(
            circuit, tuple(self.weight_names), tuple(self.input_names), tuple(self.measured), self.version
        )


def _inverse(op: Op) -> Op:
    return Op(_GPHASE, (), (-op.params[0],)) if op.name == _GPHASE else inverse_op(op)


def _matrix(m: np.ndarray) -> tuple[tuple[tuple[float, float], ...], ...]:
    return tuple(tuple((float(z.real), float(z.imag)) for z in row) for row in m)


_LIBRARY_PROGRAM: list[Any] = []


def _library_program() -> Any:
    if not _LIBRARY_PROGRAM:
        _LIBRARY_PROGRAM.append(_parse("OPENQASM 3.0;\n" + LIBRARY))
    return _LIBRARY_PROGRAM[0]


def load_qasm(text: str) -> QasmImport:
    """Read an OpenQASM 2 or 3 program (see the module doc for what is read).

    Args:
        text: The program.

    Returns:
        The circuit with the program's names of its weights and inputs and its measured wires.

    Raises:
        ValueError: For anything outside what is read, with the line number and the reason.
        TypeError: If ``text`` is not a string.

    Example:
        >>> r = load_qasm('''OPENQASM 2.0; include "qelib1.inc";
        ... qreg q[2]; creg c[2];
        ... u2(0, pi) q[0]; cx q[0], q[1];
        ... measure q -> c;''')
        >>> [op.name for op in r.circuit.ops], r.measured, r.version
        (['U3', 'CNOT'], (0, 1), '2.0')
    """
    if not isinstance(text, str):
        raise ConfigTypeError(f"from_qasm expects the program text as a str, got {type(text).__name__}")
    if len(text) > MAX_QASM_CHARS:
        raise _Error(
            f"OpenQASM: the program has {len(text)} characters, more than MAX_QASM_CHARS = {MAX_QASM_CHARS}; "
            "qml.interop.qasm_read.MAX_QASM_CHARS can be raised for a file you trust"
        )
    _check_nesting(text)
    program = _parse(text)
    version = "" if program.version is None else str(program.version)
    if version and not version.startswith(("2", "3")):
        raise _Error(f"OpenQASM: version {version} is not read (2.x and 3.x are)")
    name = ""
    m = re.search(r"^[ \t]*// qml\.name: (.*)$", text, flags=re.M)
    if m is not None:
        import json

        try:
            name = str(json.loads(m.group(1)))
        except json.JSONDecodeError:
            name = ""
    reader = _Reader(version)
    reader.program(program.statements)
    return reader.result(name)


def from_qasm(text: str) -> Circuit:
    """The circuit of an OpenQASM 2 or 3 program (:func:`load_qasm` without the names).

    Args:
        text: The program.

    Returns:
        The circuit; ``from_qasm(to_qasm3(c)) == c`` for every circuit without ``Unitary``.

    Raises:
        ValueError: For anything outside what is read, with the line number and the reason.

    Example:
        >>> c = from_qasm('''OPENQASM 3.0; include "stdgates.inc";
        ... input float[64] x_0;
        ... qubit[2] q;
        ... h q;
        ... cx q[0], q[1];
        ... rz((pi - x_0) * 2) q[1];''')
        >>> [op.name for op in c.ops], c.n_inputs
        (['H', 'H', 'CNOT', 'RZ'], 1)
    """
    return load_qasm(text).circuit
