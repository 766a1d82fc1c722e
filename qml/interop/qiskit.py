"""Convert circuits to and from Qiskit.

Wire order: our wire ``w`` is Qiskit qubit ``w``, and each gate's qubit arguments are in
the op's wire order (control first). Qiskit numbers basis states little-endian (qubit 0 is
the *least* significant bit) while we put wire 0 on the most significant bit, so the same
circuit gives the same state with the index bits reversed: compare
``Statevector(qc).reverse_qargs().data`` with :func:`qml.reference.dense_state`. For
``X`` on wire 0 of 3 wires our state has its amplitude at index ``0b100 = 4`` and the raw
Qiskit statevector at index ``1``.

Gates map to Qiskit's standard gates (``U3`` to ``UGate``, which has exactly our matrix;
``PhaseShift`` to ``PhaseGate``; ``RXX``/``RYY``/``RZZ`` to ``RXXGate``...). ``Unitary``
becomes a ``UnitaryGate`` on the op's wires in *reversed* order, because a
``UnitaryGate``'s matrix is little-endian in its qubit arguments. ``SingleExcitation``
and ``DoubleExcitation`` have no Qiskit counterpart: they become
:class:`SingleExcitationGate`/:class:`DoubleExcitationGate`, gates named
``single_excitation``/``double_excitation`` whose definitions are the exact
decompositions of :data:`qml.interop.qasm.GATE_DEFINITIONS` (so any Qiskit simulator or
transpiler runs them), and which :func:`from_qiskit` reads back by name.

Example:
    >>> from qiskit.quantum_info import Statevector
    >>> from qml.ir import Circuit, W
    >>> from qml.reference import dense_state
    >>> c = Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1))
    >>> qc, w, x = to_qiskit(c)
    >>> psi = Statevector(bind(qc, [0.3])).reverse_qargs().data
    >>> bool(abs(psi - dense_state(c, [0.3])).max() < 1e-12)
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
from qiskit.circuit import (
    Gate,
    Parameter,
    ParameterExpression,
    ParameterVector,
    ParameterVectorElement,
    QuantumCircuit,
)
from qiskit.circuit import library as lib

from qml.errors import ConfigError, ConfigTypeError
from qml.gates import GATES
from qml.interop.qasm import GATE_DEFINITIONS
from qml.ir import Circuit, Factor, Op, Param

__all__ = [
    "QISKIT_GATES",
    "SUPPORTED_QISKIT_NAMES",
    "DoubleExcitationGate",
    "SingleExcitationGate",
    "bind",
    "from_qiskit",
    "to_qiskit",
]

Angle: TypeAlias = float | ParameterExpression


class _DefinedGate(Gate):
    """A gate whose definition is one of :data:`qml.interop.qasm.GATE_DEFINITIONS`."""

    _ir_name = ""

    def __init__(self, theta: Angle, label: str | None = None) -> None:
        n = GATE_DEFINITIONS[self._ir_name].n_wires
        super().__init__(self._qiskit_name(), n, [theta], label=label)

    @classmethod
    def _qiskit_name(cls) -> str:
        return {"SingleExcitation": "single_excitation", "DoubleExcitation": "double_excitation"}[
            cls._ir_name
        ]

    def _define(self) -> None:
        body = GATE_DEFINITIONS[self._ir_name]
        qc = QuantumCircuit(body.n_wires, name=self.name)
        theta = self.params[0]
        for op in body.ops:
            _append(qc, op, [_param_value(p, lambda s, i: theta) for p in op.params], op.wires)
        self.definition = qc

    def inverse(self, annotated: bool = False) -> _DefinedGate:
        """The gate with the opposite angle."""
        return type(self)(-self.params[0])


class SingleExcitationGate(_DefinedGate):
    """PennyLane's ``SingleExcitation(theta)`` (a Givens rotation of ``|01>``, ``|10>``).

    Qubit arguments in our wire order; Qiskit name ``single_excitation``.

    Example:
        >>> from qiskit.quantum_info import Operator
        >>> Operator(SingleExcitationGate(0.0)).equiv(Operator(np.eye(4)))
        True
    """

    _ir_name = "SingleExcitation"


class DoubleExcitationGate(_DefinedGate):
    """PennyLane's ``DoubleExcitation(theta)`` (rotates ``|0011>`` and ``|1100>``).

    Qubit arguments in our wire order; Qiskit name ``double_excitation``.

    Example:
        >>> DoubleExcitationGate(0.1).num_qubits
        4
    """

    _ir_name = "DoubleExcitation"


#: Our gate name -> a Qiskit gate class taking the angles (``Unitary`` is handled apart).
QISKIT_GATES: dict[str, Callable[..., Gate]] = {
    "I": lib.IGate,
    "X": lib.XGate,
    "Y": lib.YGate,
    "Z": lib.ZGate,
    "H": lib.HGate,
    "S": lib.SGate,
    "Sdg": lib.SdgGate,
    "T": lib.TGate,
    "Tdg": lib.TdgGate,
    "SX": lib.SXGate,
    "SXdg": lib.SXdgGate,
    "RX": lib.RXGate,
    "RY": lib.RYGate,
    "RZ": lib.RZGate,
    "PhaseShift": lib.PhaseGate,
    "U3": lib.UGate,
    "CNOT": lib.CXGate,
    "CY": lib.CYGate,
    "CZ": lib.CZGate,
    "Toffoli": lib.CCXGate,
    "SWAP": lib.SwapGate,
    "CRX": lib.CRXGate,
    "CRY": lib.CRYGate,
    "CRZ": lib.CRZGate,
    "RXX": lib.RXXGate,
    "RYY": lib.RYYGate,
    "RZZ": lib.RZZGate,
    "SingleExcitation": SingleExcitationGate,
    "DoubleExcitation": DoubleExcitationGate,
}

# Qiskit instruction name -> ours: the ``qiskit`` names of qml.gates.GATES, and Qiskit's older
# U3Gate/U1Gate, which are exactly our U3 and PhaseShift.
_FROM_NAMES: dict[str, str] = {spec.qiskit: name for name, spec in GATES.items()} | {
    "u3": "U3",
    "u1": "PhaseShift",
}

#: Qiskit instruction names that :func:`from_qiskit` reads (``barrier`` is skipped).
SUPPORTED_QISKIT_NAMES: tuple[str, ...] = tuple(sorted(_FROM_NAMES))


def _param_value(p: Param, ref: Callable[[str, int], Any]) -> Angle:
    """``p`` as a float (constant) or a ParameterExpression built from ``ref(source, index)``."""
    if p.is_constant:
        return p.const
    single = p.single_ref
    if single is not None:
        return ref(*single)
    total: Any = None
    for coeff, refs in p.terms:
        term: Any = None
        for src, i in refs:
            term = ref(src, i) if term is None else term * ref(src, i)
        term = term if coeff == 1.0 else coeff * term
        total = term if total is None else total + term
    return total if p.const == 0.0 else total + p.const


def _append(qc: QuantumCircuit, op: Op, angles: list[Angle], wires: Sequence[int]) -> None:
    if op.name == "Unitary":
        assert op.matrix is not None
        matrix = np.array([[complex(a, b) for a, b in row] for row in op.matrix])
        # UnitaryGate reads its matrix little-endian in its qubit arguments: reverse them.
        qc.append(lib.UnitaryGate(matrix, check_input=False), [qc.qubits[w] for w in reversed(wires)])
    else:
        qc.append(QISKIT_GATES[op.name](*angles), [qc.qubits[w] for w in wires])


def to_qiskit(
    circuit: Circuit, weight_prefix: str = "w", input_prefix: str = "x"
) -> tuple[QuantumCircuit, ParameterVector, ParameterVector]:
    """Build a parameterised Qiskit circuit.

    Args:
        circuit: The circuit.
        weight_prefix: Name of the weight ``ParameterVector`` (elements ``w[0]``, ...).
        input_prefix: Name of the input ``ParameterVector``.

    Returns:
        ``(qc, weights, inputs)``: the circuit (wire ``w`` on qubit ``w``; compare states
        after ``reverse_qargs()``) and the two parameter vectors of lengths
        ``n_weights`` and ``n_inputs``; angles are ParameterExpressions of their elements.

    Raises:
        ValueError: If the two prefixes are equal or empty.

    Example:
        >>> from qml.ir import Circuit, W, X
        >>> qc, w, x = to_qiskit(Circuit(1).add("RX", 0, 2.0 * W(0) + X(0)))
        >>> qc.num_parameters, len(w), len(x)
        (2, 1, 1)
    """
    if not weight_prefix or not input_prefix or weight_prefix == input_prefix:
        raise ConfigError(
            f"weight_prefix and input_prefix must be distinct non-empty names, got "
            f"{weight_prefix!r} and {input_prefix!r}"
        )
    wv = ParameterVector(weight_prefix, circuit.n_weights)
    xv = ParameterVector(input_prefix, circuit.n_inputs)

    def ref(src: str, i: int) -> Parameter:
        return wv[i] if src == "w" else xv[i]

    qc = QuantumCircuit(circuit.n_wires, name=circuit.name or None)
    for op in circuit.ops:
        _append(qc, op, [_param_value(p, ref) for p in op.params], op.wires)
    return qc, wv, xv


def _vector(values: Any, what: str) -> np.ndarray:
    if values is None:
        return np.zeros(0)
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ConfigError(
            f"bind takes one {what} vector of shape (n,), got shape {arr.shape}; bind batches "
            "one row at a time"
        )
    return arr


def bind(
    qc: QuantumCircuit,
    weights: Sequence[float] | np.ndarray | Any = (),
    inputs: Sequence[float] | np.ndarray | Any = (),
    weight_prefix: str = "w",
    input_prefix: str = "x",
) -> QuantumCircuit:
    """Assign numbers to the weight and input parameters of a :func:`to_qiskit` circuit.

    Parameters are recognised as elements of ``ParameterVector``\\ s named
    ``weight_prefix`` and ``input_prefix``; element ``i`` takes ``weights[i]``.

    Args:
        qc: A circuit from :func:`to_qiskit` (or any with such parameter vectors).
        weights: Numeric weight vector (list, NumPy array or torch tensor), at least as
            long as the largest weight index used plus one.
        inputs: Numeric input vector, likewise.
        weight_prefix: The weight vector's name given to :func:`to_qiskit`.
        input_prefix: The input vector's name.

    Returns:
        A new circuit with no free parameters.

    Raises:
        ValueError: If a vector is too short or not 1-D, or the circuit has parameters
            that belong to neither vector.

    Example:
        >>> from qml.ir import Circuit, W
        >>> qc, _, _ = to_qiskit(Circuit(1).add("RY", 0, W(0)))
        >>> bind(qc, [0.5]).num_parameters
        0
    """
    values = {weight_prefix: _vector(weights, "weight"), input_prefix: _vector(inputs, "input")}
    mapping: dict[Parameter, float] = {}
    foreign: list[str] = []
    for par in qc.parameters:
        vec = values.get(par.vector.name) if isinstance(par, ParameterVectorElement) else None
        if vec is None:
            foreign.append(par.name)
            continue
        if par.index >= len(vec):
            what = "weights" if par.vector.name == weight_prefix else "inputs"
            raise ConfigError(
                f"{what} has {len(vec)} entries but the circuit uses {par.name}; pass a vector of "
                f"length >= {par.index + 1}"
            )
        mapping[par] = float(vec[par.index])
    if foreign:
        raise ConfigError(
            f"the circuit has parameters {foreign} that are not elements of the vectors "
            f"{weight_prefix!r} or {input_prefix!r}; bind them with qc.assign_parameters first"
        )
    return qc.assign_parameters(mapping, inplace=False)


def _to_param(value: Any, index: Mapping[Any, Factor], where: str) -> Param:
    """A Qiskit gate parameter (number, Parameter, ParameterExpression) as a :class:`Param`."""
    if isinstance(value, ParameterExpression):
        if isinstance(value, Parameter):
            src, i = index[value]
            return Param(0.0, ((1.0, ((src, i),)),))
        if not value.parameters:
            return Param.of(float(value.numeric().real))
        return _polynomial(value, index, where)
    try:
        number = complex(value)
    except TypeError:
        raise ConfigTypeError(f"{where}: cannot read gate parameter {value!r} as an angle") from None
    if number.imag != 0.0:
        raise ConfigError(f"{where}: gate angles must be real, got {value!r}")
    return Param.of(number.real)


def _polynomial(expr: ParameterExpression, index: Mapping[Any, Factor], where: str) -> Param:
    import sympy

    by_name = {par.name: par for par in expr.parameters}
    sym = sympy.expand(expr.sympify())
    gens = sorted(sym.free_symbols, key=str)
    try:
        if not gens:  # e.g. a coefficient that underflowed to 0
            return Param.of(float(sym))
        poly = sympy.Poly(sym, *gens)
        terms = []
        for powers, coeff in poly.terms():
            refs = tuple(index[by_name[str(g)]] for g, k in zip(gens, powers) for _ in range(k))
            terms.append((complex(coeff), refs))
    except (sympy.PolynomialError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"{where}: angle {expr} is not a polynomial in the circuit parameters ({exc}); "
            "qml angles are sums and products of parameters and constants"
        ) from None
    if any(c.imag != 0.0 for c, _ in terms):
        raise ConfigError(f"{where}: angle {expr} has complex coefficients; angles must be real")
    out = Param.of(0.0)
    for coeff, refs in terms:
        mono = Param(0.0, ((1.0, refs),)) if refs else Param.of(1.0)
        out = out + coeff.real * mono
    return out


def from_qiskit(
    qc: QuantumCircuit,
    weights: Sequence[Parameter] | None = None,
    inputs: Sequence[Parameter] | None = None,
) -> Circuit:
    """Read a Qiskit circuit built from supported gates into a :class:`~qml.ir.Circuit`.

    Qubit ``k`` (``qc.find_bit(qubit).index``) becomes wire ``k``. Numeric gate
    parameters become constants. Free parameters become ``X(j)`` when they are
    ``inputs[j]`` and ``W(i)`` when they are ``weights[i]``; with ``weights=None`` every
    free parameter not among ``inputs`` becomes a weight, numbered in ``qc.parameters``
    order (Qiskit sorts parameters by name, and the elements of a ``ParameterVector`` by
    index). Angle expressions must be polynomials in the parameters (checked with
    ``sympy``). Barriers are skipped; ``qc.global_phase`` is dropped (our circuits have
    none), so states agree up to that phase.

    Args:
        qc: The circuit. Supported instructions: :data:`SUPPORTED_QISKIT_NAMES`.
        weights: Parameters to read as weights, in index order (e.g. the vector from
            :func:`to_qiskit`); ``n_weights`` is then ``len(weights)``.
        inputs: Parameters to read as input features, likewise.

    Returns:
        The circuit, named ``qc.name``.

    Raises:
        ValueError: For an unsupported instruction (named, with the supported list), a
            measurement, a non-polynomial angle, or a parameter in neither ``weights`` nor
            ``inputs`` when ``weights`` is given.

    Example:
        >>> from qiskit import QuantumCircuit
        >>> from qiskit.circuit import Parameter
        >>> qc = QuantumCircuit(2)
        >>> _ = qc.h(0), qc.cx(0, 1), qc.rz(2 * Parameter("a"), 1)
        >>> print(from_qiskit(qc).draw(show_params=True))
        0: ─H─●──────────
        1: ───X─RZ(2*w0)─
    """
    index: dict[Any, Factor] = {}
    for j, par in enumerate(inputs or ()):
        index[par] = ("x", j)
    if weights is not None:
        for i, par in enumerate(weights):
            if par in index:
                raise ConfigError(f"parameter {par.name} is given both as a weight and as an input")
            index[par] = ("w", i)
    missing = [par for par in qc.parameters if par not in index]
    if weights is not None and missing:
        raise ConfigError(
            f"parameters {[p.name for p in missing]} are in neither weights nor inputs; list every "
            "free parameter of the circuit in one of them (or pass weights=None)"
        )
    for i, par in enumerate(missing):
        index[par] = ("w", i)
    n_weights = len(weights) if weights is not None else len(missing)

    ops: list[Op] = []
    supported = ", ".join(SUPPORTED_QISKIT_NAMES)
    for k, inst in enumerate(qc.data):
        gate = inst.operation
        name = gate.name
        where = f"instruction {k} ({name})"
        if name == "barrier":
            continue
        if name == "measure":
            raise ConfigError(
                f"{where}: measurements cannot be read into a unitary circuit; remove them first with "
                "qc.remove_final_measurements(inplace=False)"
            )
        ours = _FROM_NAMES.get(name)
        if ours is None:
            raise ConfigError(
                f"{where}: unsupported Qiskit gate {name!r}; supported: {supported} (barriers are "
                "skipped). Transpile first, e.g. qiskit.transpile(qc, basis_gates=['u', 'cx'])"
            )
        if inst.clbits:
            raise ConfigError(f"{where}: classically controlled or classical instructions are not supported")
        wires = tuple(qc.find_bit(q).index for q in inst.qubits)
        if ours == "Unitary":
            matrix = np.asarray(gate.to_matrix(), dtype=complex)
            ops.append(Op("Unitary", wires[::-1], (), _matrix_tuple(matrix)))
            continue
        params = tuple(_to_param(v, index, where) for v in gate.params)
        ops.append(Op(ours, wires, params))
    n_inputs = len(inputs) if inputs is not None else 0
    return Circuit(qc.num_qubits, tuple(ops), n_weights, n_inputs, qc.name if _named(qc) else "")


def _named(qc: QuantumCircuit) -> bool:
    """Qiskit gives unnamed circuits names like ``circuit-123``; those are not kept."""
    return not (qc.name.startswith("circuit-") and qc.name[8:].isdigit())


def _matrix_tuple(m: np.ndarray) -> tuple[tuple[tuple[float, float], ...], ...]:
    return tuple(tuple((float(z.real), float(z.imag)) for z in row) for row in m)
