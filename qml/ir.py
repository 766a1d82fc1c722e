"""The circuit intermediate representation (IR): plain, frozen, JSON-serialisable data.

A :class:`Circuit` is a tuple of :class:`Op` on ``n_wires`` wires. Every gate angle is a
:class:`Param`: a constant plus a polynomial in two flat vectors, the trainable
``weights`` (``n_weights`` entries) and the data ``inputs`` (``n_inputs`` entries).
Backends only translate this IR; nothing backend-specific is stored in it.

Wire order (the one convention of the whole package):
    Wire 0 is the **most significant** bit of a basis-state index. For ``n`` wires with
    bits ``b_0 ... b_{n-1}`` the amplitude of ``|b_0 b_1 ... b_{n-1}>`` sits at index
    ``sum_w b_w * 2**(n - 1 - w)``. A state tensor reshaped to ``(batch, 2, ..., 2)``
    therefore has wire ``w`` on axis ``1 + w``. This is PennyLane's order. Qiskit orders
    little-endian (qubit 0 least significant): our wire ``w`` maps to Qiskit qubit ``w``
    and a Qiskit ``Statevector`` must be reversed with ``reverse_qargs()`` to compare.
    A gate's matrix uses the same rule on its own wires: for ``CNOT`` on wires
    ``(control, target)`` the first wire is the high bit of the 4x4 matrix index.

Example:
    >>> from qml.ir import Circuit, W
    >>> c = Circuit(2).add("H", 0).add("CNOT", (0, 1)).add("RY", 1, W(0))
    >>> c.n_weights, len(c.ops)
    (1, 3)
    >>> Circuit.from_json(c.to_json()) == c
    True
"""

from __future__ import annotations

import json
import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from qml.errors import CircuitError, ConfigTypeError

__all__ = ["MAX_WIRES", "Circuit", "Op", "Param", "W", "X"]

Source = Literal["w", "x"]
Factor = tuple[Source, int]
Monomial = tuple[float, tuple[Factor, ...]]


def _fmt(v: float) -> str:
    return f"{v:.4g}"


@dataclass(frozen=True)
class Param:
    """A gate angle: ``const + sum_k coeff_k * prod(refs_k)``.

    Each reference is ``("w", i)`` (trainable weight ``i``) or ``("x", j)`` (input
    feature ``j``). Most angles are a single weight or input; products of inputs express
    feature maps such as Qiskit's ZZ map ``(pi - x0) * (pi - x1)``.

    Example:
        >>> p = 2.0 * W(3) + 0.5
        >>> p.evaluate([0.0, 0.0, 0.0, 1.0], [])
        2.5
        >>> str((math.pi - X(0)) * (math.pi - X(1))).startswith("9.87")
        True
    """

    const: float = 0.0
    terms: tuple[Monomial, ...] = ()

    # -- construction -------------------------------------------------------------
    @staticmethod
    def of(value: Param | float | int) -> Param:
        """Coerce a number to a constant ``Param``; a ``Param`` is returned unchanged."""
        if isinstance(value, Param):
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigTypeError(f"a gate parameter must be a number or a Param (W(i), X(j)), got {value!r}")
        if not math.isfinite(value):
            raise CircuitError(f"a constant gate parameter must be finite, got {value!r}")
        return Param(const=float(value))

    def _simplified(self) -> Param:
        merged: dict[tuple[Factor, ...], float] = {}
        for coeff, refs in self.terms:
            key = tuple(sorted(refs))
            merged[key] = merged.get(key, 0.0) + coeff
        terms = tuple((c, r) for r, c in sorted(merged.items()) if c != 0.0)
        return Param(self.const, terms)

    def __add__(self, other: Param | float) -> Param:
        o = Param.of(other)
        return Param(self.const + o.const, self.terms + o.terms)._simplified()

    __radd__ = __add__

    def __neg__(self) -> Param:
        return self * -1.0

    def __sub__(self, other: Param | float) -> Param:
        return self + (-Param.of(other))

    def __rsub__(self, other: Param | float) -> Param:
        return Param.of(other) + (-self)

    def __mul__(self, other: Param | float) -> Param:
        o = Param.of(other)
        terms: list[Monomial] = [(self.const * c, r) for c, r in o.terms if self.const]
        terms += [(o.const * c, r) for c, r in self.terms if o.const]
        terms += [(c1 * c2, r1 + r2) for c1, r1 in self.terms for c2, r2 in o.terms]
        return Param(self.const * o.const, tuple(terms))._simplified()

    __rmul__ = __mul__

    # -- queries ------------------------------------------------------------------
    @property
    def is_constant(self) -> bool:
        """True when the angle depends on no weight and no input."""
        return not self.terms

    @property
    def single_ref(self) -> Factor | None:
        """The reference when the angle is exactly ``W(i)`` or ``X(j)``, else ``None``."""
        if self.const == 0.0 and len(self.terms) == 1:
            coeff, refs = self.terms[0]
            if coeff == 1.0 and len(refs) == 1:
                return refs[0]
        return None

    def refs(self, source: Source) -> set[int]:
        """Indices of ``source`` ("w" or "x") that this angle depends on."""
        return {i for _, refs in self.terms for s, i in refs if s == source}

    def evaluate(self, weights: Sequence[float], inputs: Sequence[float]) -> float:
        """The angle's value for plain Python/NumPy vectors."""
        total = self.const
        for coeff, refs in self.terms:
            prod = coeff
            for src, i in refs:
                prod *= float((weights if src == "w" else inputs)[i])
            total += prod
        return total

    def remap(self, w_offset: int = 0, x_offset: int = 0) -> Param:
        """Shift weight and input indices (used when circuits are concatenated)."""
        off = {"w": w_offset, "x": x_offset}
        return Param(
            self.const,
            tuple((c, tuple((s, i + off[s]) for s, i in r)) for c, r in self.terms),
        )

    def __str__(self) -> str:
        out = _fmt(self.const) if self.const or not self.terms else ""
        for coeff, refs in self.terms:
            name = "*".join(f"{s}{i}" for s, i in refs)
            mag = abs(coeff)
            body = name if mag == 1.0 else f"{_fmt(mag)}*{name}"
            if not out:
                out = ("-" if coeff < 0 else "") + body
            else:
                out += (" - " if coeff < 0 else " + ") + body
        return out

    def to_json(self) -> Any:
        """JSON form: a number for constants, else ``{"c": const, "t": [[coeff, [[s, i]...]]...]}``."""
        if self.is_constant:
            return self.const
        return {"c": self.const, "t": [[c, [list(f) for f in r]] for c, r in self.terms]}

    @staticmethod
    def from_json(data: Any) -> Param:
        """Inverse of :meth:`to_json`."""
        if isinstance(data, (int, float)):
            return Param(float(data))
        terms = tuple((float(c), tuple((_source(s), int(i)) for s, i in refs)) for c, refs in data["t"])
        return Param(float(data.get("c", 0.0)), terms)


def _source(s: Any) -> Source:
    if s in ("w", "x"):
        return cast(Source, s)
    raise CircuitError(f"a parameter reference reads 'w' (weights) or 'x' (inputs), got {s!r}")


def _index(index: int, what: str) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise ConfigTypeError(f"a {what} index must be an integer, got {index!r}")
    if index < 0:
        raise CircuitError(f"{what} index must be >= 0, got {index}")
    return int(index)


def W(index: int, scale: float = 1.0) -> Param:
    """Reference to trainable weight ``index`` (times ``scale``).

    Example:
        >>> W(2).single_ref
        ('w', 2)
    """
    index = _index(index, "weight")
    return Param(0.0, ((float(scale), (("w", int(index)),)),))._simplified()


def X(index: int, scale: float = 1.0) -> Param:
    """Reference to input feature ``index`` (times ``scale``).

    Example:
        >>> X(0, 0.5).refs("x")
        {0}
    """
    index = _index(index, "input")
    return Param(0.0, ((float(scale), (("x", int(index)),)),))._simplified()


#: Widest circuit the IR accepts (a width read from a file is checked against it).
MAX_WIRES = 1024


def _wire_tuple(wires: Any, gate: str) -> tuple[Any, ...]:
    if isinstance(wires, (str, bytes)) or not isinstance(wires, Iterable):
        raise CircuitError(f"gate {gate} wires must be an integer or a tuple of integers, got {wires!r}")
    return tuple(wires)


@dataclass(frozen=True)
class Op:
    """One gate application.

    Attributes:
        name: Gate name from :data:`qml.gates.GATES` (e.g. ``"RY"``, ``"CNOT"``).
        wires: The wires it acts on, in the gate's own order (control first).
        params: One :class:`Param` per gate parameter.
        matrix: For ``"Unitary"`` only: the fixed matrix as ``((re, im), ...)`` rows.

    Example:
        >>> Op("RX", (0,), (W(0),)).n_params
        1
    """

    name: str
    wires: tuple[int, ...]
    params: tuple[Param, ...] = ()
    matrix: tuple[tuple[tuple[float, float], ...], ...] | None = None

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def reads_inputs(self) -> bool:
        """Whether an angle of this gate depends on an input feature.

        Example:
            >>> Op("RX", (0,), (X(1) * W(0),)).reads_inputs, Op("RY", (0,), (W(0),)).reads_inputs
            (True, False)
        """
        return any(p.refs("x") for p in self.params)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"gate": self.name, "wires": list(self.wires)}
        if self.params:
            d["params"] = [p.to_json() for p in self.params]
        if self.matrix is not None:
            d["matrix"] = [[list(z) for z in row] for row in self.matrix]
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> Op:
        from qml.gates import gate_name

        matrix = d.get("matrix")
        return Op(
            name=gate_name(d["gate"]),
            wires=tuple(int(w) for w in d["wires"]),
            params=tuple(Param.from_json(p) for p in d.get("params", ())),
            matrix=None
            if matrix is None
            else tuple(tuple((float(a), float(b)) for a, b in row) for row in matrix),
        )

    def __str__(self) -> str:
        args = f"({', '.join(str(p) for p in self.params)})" if self.params else ""
        return f"{self.name}{args} @ {list(self.wires)}"


def _matrix_to_tuple(matrix: Any) -> tuple[tuple[tuple[float, float], ...], ...]:
    import numpy as np

    m = np.asarray(matrix, dtype=complex)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] & (m.shape[0] - 1):
        raise CircuitError(f"a Unitary needs a square 2^k x 2^k matrix, got shape {m.shape}")
    if not np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-10):
        raise CircuitError("the matrix given to Unitary is not unitary (U^dagger U != I)")
    return tuple(tuple((float(z.real), float(z.imag)) for z in row) for row in m)


@dataclass(frozen=True)
class Circuit:
    """A quantum circuit as plain data. Immutable: every builder returns a new circuit.

    Args:
        n_wires: Number of qubits.
        ops: The gates in time order.
        n_weights: Length of the flat trainable weight vector (at least 1 + the largest
            referenced index; may be larger when a template reserves weights).
        n_inputs: Length of the input-feature vector, likewise.
        name: Optional label, used in drawings and files.

    Example:
        >>> c = Circuit(3).add("H", 0).add("CNOT", (0, 1)).add("CNOT", (1, 2))
        >>> print(c.draw())
        0: ─H─●───
        1: ───X─●─
        2: ─────X─
    """

    n_wires: int
    ops: tuple[Op, ...] = ()
    n_weights: int = 0
    n_inputs: int = 0
    name: str = ""

    def __hash__(self) -> int:
        # computed once: circuits key the compile cache, and hashing every op per call adds up
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.n_wires, self.ops, self.n_weights, self.n_inputs, self.name))
            object.__setattr__(self, "_hash", h)
        return h

    def __getstate__(self) -> dict[str, Any]:
        # string hashes differ between processes: never carry a cached hash along
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def __post_init__(self) -> None:
        from qml.gates import validate_op

        try:
            n_wires = operator.index(self.n_wires)
        except TypeError:
            raise ConfigTypeError(f"n_wires must be an integer, got {self.n_wires!r}") from None
        if n_wires < 1:
            raise CircuitError(f"a circuit needs n_wires >= 1, got {n_wires}")
        if n_wires > MAX_WIRES:
            raise CircuitError(
                f"a circuit of {n_wires} wires is beyond qml.ir.MAX_WIRES = {MAX_WIRES} (a file with a wrong "
                "size?); no simulator here holds it"
            )
        object.__setattr__(self, "n_wires", n_wires)
        object.__setattr__(self, "ops", tuple(self.ops))
        need_w, need_x = 0, 0
        for op in self.ops:
            validate_op(op, self.n_wires)
            for p in op.params:
                need_w = max(need_w, max(p.refs("w"), default=-1) + 1)
                need_x = max(need_x, max(p.refs("x"), default=-1) + 1)
        object.__setattr__(self, "n_weights", max(int(self.n_weights), need_w))
        object.__setattr__(self, "n_inputs", max(int(self.n_inputs), need_x))

    # -- building -----------------------------------------------------------------
    def add(
        self,
        gate: str,
        wires: int | Iterable[int],
        *params: Param | float,
        matrix: Any = None,
    ) -> Circuit:
        """Return a new circuit with one more gate.

        Args:
            gate: Gate name (see :data:`qml.gates.GATES`) or any alias
                :func:`qml.gates.gate_name` accepts (``"cx"``, ``"IsingZZ"``).
            wires: A wire or the tuple of wires.
            *params: Angles: numbers, ``W(i)``, ``X(j)`` or expressions of them.
            matrix: The matrix, for ``"Unitary"`` only.

        Example:
            >>> Circuit(1).add("RX", 0, W(0)).add("RZ", 0, 0.5).n_weights
            1
        """
        from qml.gates import gate_name, validate_op

        gate = gate_name(gate)
        ws = (wires,) if isinstance(wires, numbers.Integral) else _wire_tuple(wires, gate)
        bad = [w for w in ws if isinstance(w, bool) or not isinstance(w, numbers.Integral)]
        if bad:
            raise CircuitError(f"gate {gate} wires must be integers, got {bad[0]!r} in {tuple(ws)!r}")
        op = Op(
            gate,
            tuple(int(w) for w in ws),
            tuple(Param.of(p) for p in params),
            None if matrix is None else _matrix_to_tuple(matrix),
        )
        validate_op(op, self.n_wires)
        new = object.__new__(Circuit)
        need_w = max((max(p.refs("w"), default=-1) + 1 for p in op.params), default=0)
        need_x = max((max(p.refs("x"), default=-1) + 1 for p in op.params), default=0)
        for k, v in (
            ("n_wires", self.n_wires),
            ("ops", (*self.ops, op)),
            ("n_weights", max(self.n_weights, need_w)),
            ("n_inputs", max(self.n_inputs, need_x)),
            ("name", self.name),
        ):
            object.__setattr__(new, k, v)
        return new

    def __add__(self, other: Circuit) -> Circuit:
        """Concatenate: ``other`` runs after ``self`` and shares weights and inputs.

        Indices are not shifted; use :meth:`then` to give ``other`` fresh weights.
        """
        if not isinstance(other, Circuit):
            return NotImplemented
        if other.n_wires != self.n_wires:
            raise CircuitError(
                f"cannot concatenate a {other.n_wires}-wire circuit onto a {self.n_wires}-wire "
                "one; use remap_wires(mapping, n_wires=...) first"
            )
        return Circuit(
            self.n_wires,
            self.ops + other.ops,
            max(self.n_weights, other.n_weights),
            max(self.n_inputs, other.n_inputs),
            self.name,
        )

    def then(self, other: Circuit, share_inputs: bool = True) -> Circuit:
        """Append ``other`` with its weights renumbered after this circuit's weights.

        Args:
            other: Circuit to run afterwards (same width).
            share_inputs: If False, its inputs are renumbered after this circuit's too.

        Example:
            >>> a = Circuit(1).add("RX", 0, W(0))
            >>> a.then(a).n_weights
            2
        """
        shifted = other.shift_indices(self.n_weights, 0 if share_inputs else self.n_inputs)
        return self + shifted

    def shift_indices(self, w_offset: int = 0, x_offset: int = 0) -> Circuit:
        """Renumber all weight and input references by the given offsets."""
        ops = tuple(
            replace(op, params=tuple(p.remap(w_offset, x_offset) for p in op.params)) for op in self.ops
        )
        return Circuit(
            self.n_wires,
            ops,
            self.n_weights + w_offset if self.n_weights else 0,
            self.n_inputs + x_offset if self.n_inputs else 0,
            self.name,
        )

    def remap_wires(self, mapping: dict[int, int] | Sequence[int], n_wires: int | None = None) -> Circuit:
        """Move gates to other wires: wire ``w`` becomes ``mapping[w]``.

        Args:
            mapping: A dict or a sequence indexed by old wire.
            n_wires: Width of the result (default: this circuit's, or larger if needed).

        Example:
            >>> Circuit(2).add("CNOT", (0, 1)).remap_wires([1, 0]).ops[0].wires
            (1, 0)
        """
        m = dict(mapping) if isinstance(mapping, dict) else dict(enumerate(mapping))
        missing = [w for w in range(self.n_wires) if w not in m]
        if missing:
            raise CircuitError(f"wire mapping has no target for wires {missing}")
        targets = [m[w] for w in range(self.n_wires)]
        if len(set(targets)) != len(targets):
            raise CircuitError(f"wire mapping must be one-to-one, got {m}")
        width = n_wires if n_wires is not None else max(self.n_wires, max(targets) + 1)
        ops = tuple(replace(op, wires=tuple(m[w] for w in op.wires)) for op in self.ops)
        return Circuit(width, ops, self.n_weights, self.n_inputs, self.name)

    def inverse(self) -> Circuit:
        """The adjoint circuit (gates reversed, each inverted).

        Example:
            >>> Circuit(1).add("S", 0).inverse().ops[0].name
            'Sdg'
        """
        from qml.gates import inverse_op

        return Circuit(
            self.n_wires,
            tuple(inverse_op(op) for op in reversed(self.ops)),
            self.n_weights,
            self.n_inputs,
            self.name,
        )

    # -- queries ------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """Number of gate-angle slots (a weight used twice counts twice)."""
        return sum(op.n_params for op in self.ops)

    def count(self) -> dict[str, int]:
        """Gate counts by name."""
        out: dict[str, int] = {}
        for op in self.ops:
            out[op.name] = out.get(op.name, 0) + 1
        return out

    def depth(self) -> int:
        """Circuit depth (layers of gates on disjoint wires)."""
        level = [0] * self.n_wires
        for op in self.ops:
            d = max(level[w] for w in op.wires) + 1
            for w in op.wires:
                level[w] = d
        return max(level, default=0)

    # -- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (the JSON schema, version 1)."""
        return {
            "format": "qml-circuit",
            "version": 1,
            "name": self.name,
            "n_wires": self.n_wires,
            "n_weights": self.n_weights,
            "n_inputs": self.n_inputs,
            "ops": [op.to_json() for op in self.ops],
        }

    def to_json(self, indent: int | None = None) -> str:
        """Serialise to JSON text; :meth:`from_json` reads it back exactly."""
        return json.dumps(self.to_dict(), indent=indent)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Circuit:
        """Inverse of :meth:`to_dict`, with a clear error for foreign data."""
        if d.get("format") != "qml-circuit":
            raise CircuitError("not a qml circuit: expected a dict with format='qml-circuit'")
        if d.get("version") != 1:
            raise CircuitError(f"unsupported circuit format version {d.get('version')!r}; expected 1")
        return Circuit(
            int(d["n_wires"]),
            tuple(Op.from_json(o) for o in d["ops"]),
            int(d.get("n_weights", 0)),
            int(d.get("n_inputs", 0)),
            str(d.get("name", "")),
        )

    @staticmethod
    def from_json(text: str) -> Circuit:
        """Read a circuit written by :meth:`to_json`."""
        return Circuit.from_dict(json.loads(text))

    def draw(self, show_params: bool = False) -> str:
        """Text drawing, one line per wire, wire 0 on top.

        Args:
            show_params: Print each gate's angle expression next to its name.
        """
        from qml.draw import draw

        return draw(self, show_params=show_params)

    def __str__(self) -> str:
        head = f"Circuit({self.name + ', ' if self.name else ''}{self.n_wires} wires, "
        head += f"{len(self.ops)} ops, {self.n_weights} weights, {self.n_inputs} inputs)"
        return head
