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

:func:`from_qasm3` reads what :func:`to_qasm3` writes and a little more: any number of
``qubit``/``qreg`` registers (wires numbered in declaration order), register broadcasts
(``h q;``), ``barrier`` (ignored), classical ``bit`` declarations (ignored), and user
``gate`` definitions built from supported gates (expanded inline). Angles may be any
expression that :class:`~qml.ir.Param` can hold: sums and products of numbers, ``pi``,
the inputs ``w_i``/``x_j``, division by constants, integer powers, and functions
(``sin``, ``cos``, ``sqrt``...) of constant arguments only. Measurements, resets, control
flow and gate modifiers (``ctrl @``) are rejected with a ``ValueError``.

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
import re
from collections.abc import Callable
from dataclasses import dataclass

from qml.gates import GATES, validate_op
from qml.ir import MAX_WIRES, Circuit, Op, Param, W

__all__ = ["GATE_DEFINITIONS", "QASM_NAMES", "from_qasm3", "to_qasm3"]


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
    "SXdg": _body(1, ("S", (0,), None), ("H", (0,), None), ("S", (0,), None), ("X", (0,), None),
                  ("Tdg", (0,), None), ("X", (0,), None), ("Tdg", (0,), None)),
    "RZZ": _body(2, ("CNOT", (0, 1), None), ("RZ", (1,), _T), ("CNOT", (0, 1), None)),
    "RXX": _body(2, ("H", (0,), None), ("H", (1,), None), ("CNOT", (0, 1), None), ("RZ", (1,), _T),
                 ("CNOT", (0, 1), None), ("H", (0,), None), ("H", (1,), None)),
    "RYY": _body(2, ("RX", (0,), Param.of(_P2)), ("RX", (1,), Param.of(_P2)), ("CNOT", (0, 1), None),
                 ("RZ", (1,), _T), ("CNOT", (0, 1), None), ("RX", (0,), Param.of(-_P2)),
                 ("RX", (1,), Param.of(-_P2))),
    # PennyLane's decompositions (arXiv:2104.05695); both are exact.
    "SingleExcitation": _body(2, ("H", (0,), None), ("CNOT", (0, 1), None), ("RY", (0,), -0.5 * _T),
                              ("RY", (1,), -0.5 * _T), ("CNOT", (0, 1), None), ("H", (0,), None)),
    "DoubleExcitation": _body(
        4,
        ("CNOT", (2, 3), None), ("CNOT", (0, 2), None), ("H", (3,), None), ("H", (0,), None),
        ("CNOT", (2, 3), None), ("CNOT", (0, 1), None), ("RY", (1,), _A * _T), ("RY", (0,), -_A * _T),
        ("CNOT", (0, 3), None), ("H", (3,), None), ("CNOT", (3, 1), None), ("RY", (1,), _A * _T),
        ("RY", (0,), -_A * _T), ("CNOT", (2, 1), None), ("CNOT", (2, 0), None), ("RY", (1,), -_A * _T),
        ("RY", (0,), _A * _T), ("CNOT", (3, 1), None), ("H", (3,), None), ("CNOT", (0, 3), None),
        ("RY", (1,), -_A * _T), ("RY", (0,), _A * _T), ("CNOT", (0, 1), None), ("CNOT", (2, 0), None),
        ("H", (0,), None), ("H", (3,), None), ("CNOT", (0, 2), None), ("CNOT", (2, 3), None),
    ),
}

#: The OpenQASM name :func:`to_qasm3` writes for each gate (``Unitary`` has none).
QASM_NAMES: dict[str, str] = {
    name: ("U" if name == "U3" else spec.qasm) for name, spec in GATES.items() if name != "Unitary"
}

# Names from_qasm3 understands, on top of QASM_NAMES.
_ALIASES: dict[str, str] = {"u3": "U3", "u": "U3", "CX": "CNOT", "cnot": "CNOT", "phase": "PhaseShift",
                            "u1": "PhaseShift"}
_READ_NAMES: dict[str, str] = {q: n for n, q in QASM_NAMES.items()} | _ALIASES

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
    lines = [
        "  " + _format_op(op, lambda w: _ARG_NAMES[w], lambda s, i: "theta")
        for op in body.ops
    ]
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
        raise ValueError(
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
# reading
# ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
      | (?P<str>"[^"\n]*")
      | (?P<phys>\$\d+)
      | (?P<id>[^\W\d]\w*)
      | (?P<op>\*\*|->|==|[-+*/;,()\[\]{}@=:<>!^%&|~])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int


#: Limits of :func:`from_qasm3` (a file is untrusted input): gates after expanding definitions,
#: nesting depth of an angle expression, and the largest integer power of a non-constant angle.
MAX_QASM_OPS = 100_000
MAX_EXPR_DEPTH = 100
MAX_POWER = 16


def _strip_block_comments(text: str) -> str:
    """Remove ``/* ... */`` (newlines kept for line numbers); one pass, linear in the text."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("/*", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        end = text.find("*/", start + 2)
        if end < 0:
            line = text.count("\n", 0, start) + 1
            raise ValueError(f"OpenQASM line {line}: a block comment '/*' is never closed with '*/'")
        out.append(text[pos:start])
        out.append("\n" * text.count("\n", start, end))
        pos = end + 2


def _tokenize(text: str) -> list[_Tok]:
    # Strip block comments (keep newlines for line numbers), line comments and pragmas.
    text = _strip_block_comments(text)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"(?m)^[ \t]*#?pragma\b[^\n]*", "", text)
    toks: list[_Tok] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(
                f"OpenQASM line {line}: unexpected character {text[pos]!r}; from_qasm3 reads the "
                "subset that to_qasm3 writes (see qml.interop.qasm)"
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            toks.append(_Tok(kind, m.group(), line))
        line += m.group().count("\n")
        pos = m.end()
    toks.append(_Tok("eof", "", line))
    return toks


_FUNCS: dict[str, Callable[[float], float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "arcsin": math.asin, "arccos": math.acos,
    "arctan": math.atan, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
}
_CONSTS = {"pi": math.pi, "π": math.pi, "tau": math.tau, "τ": math.tau, "euler": math.e, "ℇ": math.e}


@dataclass
class _GateDef:
    params: list[str]
    qubits: list[str]
    body: list[_Tok]
    line: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.pos = 0
        self.inputs: dict[str, Param] = {}
        self.n_weights = 0
        self.n_inputs = 0
        self.registers: dict[str, tuple[int, int]] = {}  # name -> (first wire, size)
        self.n_wires = 0
        self.physical: set[int] = set()
        self.bits: set[str] = set()
        self.gates: dict[str, _GateDef] = {}
        self.ops: list[tuple[Op, int]] = []
        self.expanding: frozenset[str] = frozenset()
        self.depth = 0

    # -- token helpers --------------------------------------------------------------------
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def next(self) -> _Tok:
        tok = self.peek()
        self.pos += 1
        return tok

    def error(self, msg: str, tok: _Tok | None = None) -> ValueError:
        tok = tok or self.peek()
        return ValueError(f"OpenQASM line {tok.line}: {msg}")

    def expect(self, text: str) -> _Tok:
        tok = self.next()
        if tok.text != text:
            found = "end of input" if tok.kind == "eof" else repr(tok.text)
            raise self.error(f"expected {text!r}, found {found}", tok)
        return tok

    def accept(self, text: str) -> bool:
        if self.peek().text == text and self.peek().kind != "str":
            self.pos += 1
            return True
        return False

    def ident(self) -> str:
        tok = self.next()
        if tok.kind != "id":
            raise self.error(f"expected a name, found {tok.text or 'end of input'!r}", tok)
        return tok.text

    def int_literal(self) -> int:
        tok = self.next()
        if tok.kind != "num" or not tok.text.isdigit():
            raise self.error(f"expected an integer, found {tok.text!r}", tok)
        return int(tok.text)

    def skip_statement(self) -> None:
        while self.peek().text != ";" and self.peek().kind != "eof":
            self.pos += 1
        self.expect(";")

    # -- expressions ----------------------------------------------------------------------
    def expr(self, scope: dict[str, Param]) -> Param:
        self.depth += 1
        try:
            if self.depth > MAX_EXPR_DEPTH:
                raise self.error(f"an angle expression nests deeper than MAX_EXPR_DEPTH = {MAX_EXPR_DEPTH}")
            return self._finite(self._sum(scope))
        finally:
            self.depth -= 1

    def _finite(self, value: Param) -> Param:
        numbers_ = [value.const, *(c for c, _ in value.terms)]
        if not all(math.isfinite(v) for v in numbers_):
            raise self.error("an angle expression evaluates to a non-finite number (inf or nan)")
        return value

    def _sum(self, scope: dict[str, Param]) -> Param:
        value = self.term(scope)
        while self.peek().text in "+-" and self.peek().kind == "op":
            sign = self.next().text
            rhs = self.term(scope)
            value = value + rhs if sign == "+" else value - rhs
        return value

    def term(self, scope: dict[str, Param]) -> Param:
        value = self.unary(scope)
        while self.peek().text in ("*", "/") and self.peek().kind == "op":
            tok = self.next()
            rhs = self.unary(scope)
            if tok.text == "*":
                value = value * rhs
            elif not rhs.is_constant:
                raise self.error(
                    "division by a non-constant expression cannot be a gate angle here; angles must "
                    "be polynomials in the inputs (sums and products, division by constants only)",
                    tok,
                )
            elif rhs.const == 0.0:
                raise self.error("division by zero in an angle expression", tok)
            else:
                value = value * (1.0 / rhs.const)
        return value

    def unary(self, scope: dict[str, Param]) -> Param:
        signs = 1.0
        while self.peek().text in "+-" and self.peek().kind == "op":  # a loop: no recursion per sign
            signs *= -1.0 if self.next().text == "-" else 1.0
        value = self.power(scope)
        return value if signs > 0 else -value

    def power(self, scope: dict[str, Param]) -> Param:
        base = self.atom(scope)
        if self.peek().text == "**" and self.peek().kind == "op":
            tok = self.next()
            exp = self.unary(scope)
            if not exp.is_constant:
                raise self.error("an exponent must be a constant", tok)
            if base.is_constant:
                try:
                    value = base.const**exp.const
                except (OverflowError, ZeroDivisionError) as err:
                    msg = f"{base.const:g} ** {exp.const:g} cannot be an angle ({err})"
                    raise self.error(msg, tok) from None
                if isinstance(value, complex):
                    raise self.error(f"{base.const:g} ** {exp.const:g} is not a real number", tok)
                return self._finite(Param(value))
            n = exp.const
            if n != int(n) or n < 0:
                raise self.error(
                    f"a non-constant base needs a non-negative integer exponent, got {n!r}", tok
                )
            if n > MAX_POWER:
                raise self.error(f"an input raised to the power {n:g} is beyond MAX_POWER = {MAX_POWER}", tok)
            out = Param.of(1.0)
            for _ in range(int(n)):
                out = out * base
            return out
        return base

    def atom(self, scope: dict[str, Param]) -> Param:
        tok = self.next()
        if tok.kind == "num":
            return Param.of(float(tok.text))
        if tok.text == "(":
            value = self.expr(scope)
            self.expect(")")
            return value
        if tok.kind == "id":
            if tok.text in scope:
                return scope[tok.text]
            if tok.text in _CONSTS:
                return Param.of(_CONSTS[tok.text])
            if tok.text in _FUNCS and self.peek().text == "(":
                self.expect("(")
                arg = self.expr(scope)
                self.expect(")")
                if not arg.is_constant:
                    raise self.error(
                        f"{tok.text}() of a weight or input is not a polynomial; only constant "
                        "arguments can be evaluated (angles must be sums and products of inputs)",
                        tok,
                    )
                try:
                    return self._finite(Param(_FUNCS[tok.text](arg.const)))
                except (OverflowError, ValueError) as err:
                    if str(err).startswith("OpenQASM"):
                        raise
                    raise self.error(f"{tok.text}({arg.const:g}) cannot be an angle ({err})", tok) from None
            raise self.error(
                f"unknown identifier {tok.text!r} in an angle; declare weights as "
                "'input float[64] w_<i>;' and inputs as 'input float[64] x_<j>;'",
                tok,
            )
        raise self.error(f"expected an angle expression, found {tok.text or 'end of input'!r}", tok)

    # -- statements -----------------------------------------------------------------------
    def parse(self) -> None:
        while self.peek().kind != "eof":
            self.statement()

    def statement(self) -> None:
        tok = self.peek()
        word = tok.text
        if tok.kind == "op" and word == ";":
            self.next()
        elif word == "OPENQASM":
            self.next()
            version = self.next()
            if not version.text.startswith("3"):
                raise self.error(f"expected OPENQASM 3, got version {version.text!r}", version)
            self.expect(";")
        elif word == "include":
            self.next()
            if self.next().kind != "str":
                raise self.error("expected a file name string after include", tok)
            self.expect(";")
        elif word == "input":
            self.input_decl()
        elif word == "qubit":
            self.qubit_decl()
        elif word == "qreg":
            self.next()
            name = self.ident()
            self.expect("[")
            size = self.int_literal()
            self.expect("]")
            self.expect(";")
            self.add_register(name, size, tok)
        elif word in ("bit", "creg"):
            self.next()
            if word == "bit" and self.accept("["):
                self.int_literal()
                self.expect("]")
            self.bits.add(self.ident())
            self.skip_statement()
        elif word == "gate":
            self.gate_decl()
        elif word == "barrier":
            self.skip_statement()
        elif word in ("measure", "reset", "if", "for", "while", "def", "gphase", "ctrl", "negctrl", "inv",
                      "pow", "output", "const", "let", "box", "delay", "switch") or word in self.bits:
            raise self.error(
                f"unsupported statement {word!r}: from_qasm3 reads unitary gate programs only "
                "(no measurement, reset, control flow, global phase or gate modifiers); strip "
                "them first",
                tok,
            )
        elif tok.kind == "id":
            self.gate_call(self.inputs, {}, top=True)
        else:
            raise self.error(f"unexpected {word or 'end of input'!r}", tok)

    def input_decl(self) -> None:
        start = self.next()
        kind = self.ident()
        if kind not in ("float", "angle"):
            raise self.error(
                f"input of type {kind!r} cannot be a gate angle; use 'input float[64] name;'", start
            )
        if self.accept("["):
            self.int_literal()
            self.expect("]")
        tok = self.peek()
        name = self.ident()
        self.expect(";")
        m = re.fullmatch(r"([wx])_(\d+)", name)
        if m is None:
            raise self.error(
                f"input {name!r} is neither a weight 'w_<i>' nor an input feature 'x_<j>'; "
                "rename it (weights w_0, w_1, ...; inputs x_0, x_1, ...)",
                tok,
            )
        index = int(m.group(2))
        if m.group(1) == "w":
            self.inputs[name] = W(index)
            self.n_weights = max(self.n_weights, index + 1)
        else:
            self.inputs[name] = Param(0.0, ((1.0, (("x", index),)),))
            self.n_inputs = max(self.n_inputs, index + 1)

    def qubit_decl(self) -> None:
        tok = self.next()
        size = 1
        single = True
        if self.accept("["):
            size = self.int_literal()
            self.expect("]")
            single = False
        name = self.ident()
        self.expect(";")
        self.add_register(name, size, tok, single)

    def add_register(self, name: str, size: int, tok: _Tok, single: bool = False) -> None:
        if name in self.registers:
            raise self.error(f"qubit register {name!r} declared twice", tok)
        if size < 1:
            raise self.error(f"qubit register {name!r} needs at least one qubit", tok)
        if self.n_wires + size > MAX_WIRES:
            raise self.error(
                f"qubit register {name!r} of {size} qubits takes the program beyond qml.ir.MAX_WIRES = "
                f"{MAX_WIRES}",
                tok,
            )
        self.registers[name] = (self.n_wires, -1 if single else size)
        self.n_wires += size

    def gate_decl(self) -> None:
        start = self.next()
        name = self.ident()
        params: list[str] = []
        if self.accept("(") and not self.accept(")"):
            params.append(self.ident())
            while self.accept(","):
                params.append(self.ident())
            self.expect(")")
        qubits = [self.ident()]
        while self.accept(","):
            qubits.append(self.ident())
        self.expect("{")
        body_start, depth = self.pos, 1
        while depth:
            tok = self.next()
            if tok.kind == "eof":
                raise self.error(f"gate {name!r} definition is not closed with '}}'", start)
            depth += {"{": 1, "}": -1}.get(tok.text, 0) if tok.kind == "op" else 0
        body = [*self.toks[body_start : self.pos - 1], _Tok("eof", "", self.toks[self.pos - 1].line)]
        # A definition of a gate we know (rxx, single_excitation, ...) is trusted to be that
        # gate; only unknown gates are expanded from their bodies.
        if name not in _READ_NAMES:
            self.gates[name] = _GateDef(params, qubits, body, start.line)

    def qubit_arg(self, qubits: dict[str, int] | None) -> list[int]:
        tok = self.next()
        if tok.kind == "phys":
            if qubits is not None:
                raise self.error("physical qubits cannot appear in a gate body", tok)
            if self.registers:
                raise self.error("do not mix physical qubits ($k) with declared qubit registers", tok)
            wire = int(tok.text[1:])
            if wire >= MAX_WIRES:
                raise self.error(f"physical qubit {tok.text} is beyond qml.ir.MAX_WIRES = {MAX_WIRES}", tok)
            self.physical.add(wire)
            return [wire]
        if tok.kind != "id":
            raise self.error(f"expected a qubit, found {tok.text or 'end of input'!r}", tok)
        if qubits is not None:
            if tok.text not in qubits:
                raise self.error(f"unknown qubit {tok.text!r} in gate body", tok)
            return [qubits[tok.text]]
        if tok.text not in self.registers:
            raise self.error(f"unknown qubit register {tok.text!r}; declare it with 'qubit[n] name;'", tok)
        first, size = self.registers[tok.text]
        if self.accept("["):
            index = self.int_literal()
            self.expect("]")
            n = max(size, 1)
            if not 0 <= index < n:
                raise self.error(f"qubit index {tok.text}[{index}] out of range 0..{n - 1}", tok)
            return [first + index]
        return [first] if size == -1 else list(range(first, first + size))

    def gate_call(self, scope: dict[str, Param], qubits: dict[str, int], top: bool) -> None:
        tok = self.next()
        name = tok.text
        if self.peek().text == "@":
            raise self.error(f"gate modifiers ({name} @ ...) are not supported", tok)
        args: list[Param] = []
        if self.accept("(") and not self.accept(")"):
            args.append(self.expr(scope))
            while self.accept(","):
                args.append(self.expr(scope))
            self.expect(")")
        wire_lists = [self.qubit_arg(None if top else qubits)]
        while self.accept(","):
            wire_lists.append(self.qubit_arg(None if top else qubits))
        self.expect(";")
        sizes = {len(ws) for ws in wire_lists if len(ws) > 1}
        if len(sizes) > 1:
            raise self.error(f"gate {name!r} is broadcast over registers of sizes {sorted(sizes)}", tok)
        n = sizes.pop() if sizes else 1
        for k in range(n):
            wires = tuple(ws[k] if len(ws) > 1 else ws[0] for ws in wire_lists)
            self.apply(name, args, wires, tok)

    def apply(self, name: str, args: list[Param], wires: tuple[int, ...], tok: _Tok) -> None:
        if name in _READ_NAMES:
            op = Op(_READ_NAMES[name], wires, tuple(args))
            try:
                validate_op(op, max(self.n_wires, max(wires) + 1))
            except ValueError as exc:
                raise self.error(f"{name}: {exc}", tok) from None
            self.ops.append((op, tok.line))
            if len(self.ops) > MAX_QASM_OPS:
                raise self.error(
                    f"the program expands to more than MAX_QASM_OPS = {MAX_QASM_OPS} gates (nested gate "
                    "definitions?); qml.interop.qasm.MAX_QASM_OPS can be raised for a file you trust",
                    tok,
                )
            return
        gate = self.gates.get(name)
        if gate is None:
            supported = ", ".join(sorted(_READ_NAMES))
            raise self.error(
                f"unknown gate {name!r}; supported gates: {supported}, or any gate defined in the "
                "program with 'gate name(...) a, b { ... }' from these",
                tok,
            )
        if len(args) != len(gate.params) or len(wires) != len(gate.qubits):
            raise self.error(
                f"gate {name!r} takes {len(gate.params)} angle(s) and {len(gate.qubits)} qubit(s), "
                f"got {len(args)} and {len(wires)}",
                tok,
            )
        if name in self.expanding:
            raise self.error(f"gate {name!r} is defined in terms of itself", tok)
        sub = _Parser.__new__(_Parser)
        sub.__dict__.update(self.__dict__)
        sub.toks, sub.pos, sub.expanding = gate.body, 0, self.expanding | {name}
        scope = dict(zip(gate.params, args, strict=True))
        local = dict(zip(gate.qubits, wires, strict=True))
        while sub.peek().kind != "eof":
            if sub.accept(";"):
                continue
            head = sub.peek()
            if head.text == "barrier":
                sub.skip_statement()
            elif head.kind == "id":
                sub.gate_call(scope, local, top=False)
            else:
                raise sub.error(f"unexpected {head.text!r} in the body of gate {name!r}", head)

    def circuit(self, name: str) -> Circuit:
        n_wires = self.n_wires if self.registers else max(self.physical, default=-1) + 1
        if n_wires < 1:
            raise ValueError("OpenQASM program declares no qubits; add e.g. 'qubit[2] q;'")
        return Circuit(n_wires, tuple(op for op, _ in self.ops), self.n_weights, self.n_inputs, name)


def from_qasm3(text: str) -> Circuit:
    """Read an OpenQASM 3 program (the subset :func:`to_qasm3` writes, see the module doc).

    ``input float[64] w_i;`` declares trainable weight ``i`` and ``x_j`` input feature
    ``j``; ``n_weights``/``n_inputs`` are one more than the largest declared index. Qubit
    registers are numbered in declaration order (``q[k]`` of the first register is wire
    ``k``). Gates are read by their OpenQASM names (``U``/``u``/``u3`` as ``U3``,
    ``CX``/``cnot`` as ``CNOT``, ``phase``/``u1`` as ``PhaseShift``).

    Args:
        text: The program.

    Returns:
        The circuit; ``from_qasm3(to_qasm3(c)) == c`` for every circuit without ``Unitary``.

    Raises:
        ValueError: For anything outside the subset, with the line number and the reason.

    Example:
        >>> c = from_qasm3('''OPENQASM 3.0; include "stdgates.inc";
        ... input float[64] x_0;
        ... qubit[2] q;
        ... h q;
        ... cx q[0], q[1];
        ... rz((pi - x_0) * 2) q[1];''')
        >>> [op.name for op in c.ops], c.n_inputs
        (['H', 'H', 'CNOT', 'RZ'], 1)
    """
    if not isinstance(text, str):
        raise TypeError(f"from_qasm3 expects the program text as a str, got {type(text).__name__}")
    name = ""
    m = re.search(r"^[ \t]*// qml\.name: (.*)$", text, flags=re.M)
    if m is not None:
        try:
            name = str(json.loads(m.group(1)))
        except json.JSONDecodeError:
            name = ""
    parser = _Parser(text)
    parser.parse()
    return parser.circuit(name)

