"""The gate table: every gate's matrix, structure, shift rule, inverse and QASM name.

Matrices follow the wire-order rule of :mod:`qml.ir`: the first wire of a gate is the
most significant bit of the matrix index (so ``CNOT`` is ``|1><1| (x) X`` with the
control first). Rotations are ``exp(-i theta/2 P)``, as in PennyLane and Qiskit.

Each :class:`GateSpec` describes how the simulator applies a gate fast:

* ``kind="diag"``: a diagonal (``diag`` gives the vector), applied as a phase multiply;
* ``kind="ctrl"``: ``controls`` control wires and a one-qubit ``target`` gate, applied
  to the slice where all controls are 1 (``CNOT``, ``CRX``, ``Toffoli``...);
* ``kind="perm"``: a wire permutation (``SWAP``);
* ``kind="dense"``: anything else, by its matrix.

Example:
    >>> import torch
    >>> GATES["RY"].matrix(torch.tensor([0.0], dtype=torch.float64)).real
    tensor([[1., -0.],
            [0., 1.]], dtype=torch.float64)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import torch

from qml.dtypes import complex_dtype, real_dtype
from qml.errors import CircuitError, ConfigError
from qml.ir import Op, Param

Tensor = torch.Tensor
Kind = Literal["diag", "ctrl", "perm", "dense"]
ShiftRule = tuple[tuple[float, float], ...]

_C1 = (math.sqrt(2) + 1) / (4 * math.sqrt(2))
_C2 = (math.sqrt(2) - 1) / (4 * math.sqrt(2))
#: Two-term rule for generators with eigenvalues +-1/2 (or 0, 1): f' = [f(+pi/2) - f(-pi/2)] / 2.
TWO_TERM: ShiftRule = ((0.5, math.pi / 2), (-0.5, -math.pi / 2))
#: Four-term rule for generators with eigenvalues {0, +-1/2} (controlled rotations, Givens).
FOUR_TERM: ShiftRule = (
    (_C1, math.pi / 2),
    (-_C1, -math.pi / 2),
    (-_C2, 3 * math.pi / 2),
    (_C2, -3 * math.pi / 2),
)


@dataclass(frozen=True)
class GateSpec:
    """How one gate behaves.

    Attributes:
        name: Gate name used in the IR.
        n_wires: Number of wires (0 = any, for ``Unitary``).
        n_params: Number of angles.
        kind: Kernel class, see the module docstring.
        matrix: ``params (..., n_params) -> (..., d, d)`` complex matrix, differentiable.
        real: True when the matrix is real for every angle.
        diag: For ``kind="diag"``: ``params -> (..., d)`` diagonal.
        controls: For ``kind="ctrl"``: number of leading control wires.
        target: For ``kind="ctrl"``: name of the one-qubit gate applied to the target.
        shift_rule: Parameter-shift rule ``((coeff, shift), ...)`` for each angle.
        inverse: ``(name, sign)``: the inverse is gate ``name`` with angles times ``sign``.
        qasm: OpenQASM 3 gate name.
        qiskit: Qiskit instruction name.
        pennylane: PennyLane operation name ("" where PennyLane writes the gate as an adjoint,
            e.g. ``Sdg`` is ``qp.adjoint(qp.S)``).
        aliases: Other OpenQASM names of the gate (``"CX"``/``"cnot"`` for ``CNOT``, ``"u1"`` for
            ``PhaseShift``); with the names above, what :func:`gate_name` accepts.
        perm: For a parameter-free gate that permutes basis states: local basis state ``j``
            (over the gate's wires, first wire the most significant bit) goes to ``perm[j]``
            (``CNOT``: ``(0, 1, 3, 2)``); ``None`` otherwise. Fusion, the two-register split and
            the NumPy tail move such gates as index permutations instead of matrices
            (:data:`qml.sim.fusion.PERM_GATES`); tests/test_gates.py checks it against the matrix.
        generator: Pauli letters ``P``, one per wire, when the gate is ``exp(-i theta P / 2)``
            (``RX``: ``"X"``, ``RZZ``: ``"ZZ"``); ``""`` otherwise. :func:`rotation_gate` and
            the templates' and circuit search's rotation tables derive from it;
            tests/test_gates.py checks it against the matrix.
    """

    name: str
    n_wires: int
    n_params: int
    kind: Kind
    matrix: Callable[[Tensor], Tensor]
    real: bool = False
    diag: Callable[[Tensor], Tensor] | None = None
    controls: int = 0
    target: str | None = None
    shift_rule: ShiftRule = TWO_TERM
    inverse: tuple[str, float] | None = None
    qasm: str = ""
    qiskit: str = ""
    pennylane: str = ""
    aliases: tuple[str, ...] = ()
    perm: tuple[int, ...] | None = None
    generator: str = ""

    @property
    def linear_perm(self) -> bool:
        """Whether :attr:`perm` is linear over GF(2) (``perm[a ^ b] = perm[a] ^ perm[b]``).

        Such a gate maps every Z string to one Z string (:meth:`z_before`): ``CNOT``,
        ``SWAP``, ``I``; not ``X`` (a sign) or ``Toffoli``.

        Example:
            >>> GATES["CNOT"].linear_perm, GATES["Toffoli"].linear_perm
            (True, False)
        """
        p = self.perm
        if p is None:
            return False
        return all(p[a ^ b] == p[a] ^ p[b] for a in range(len(p)) for b in range(a, len(p)))

    def z_before(self, mask: int) -> int:
        """The Z string ``P^dag Z^mask P`` of a linear permutation gate ``P``, over its own wires.

        Bit ``k - 1 - a`` of ``mask`` is ``Z`` on the gate's wire ``a`` (first wire the most
        significant, like :attr:`perm`). For ``P|x> = |perm x>``, ``P^dag Z^m P`` is the Z string
        whose bit ``i`` is the parity of ``m & perm[e_i]``.

        Raises:
            ConfigError: The gate is not a linear permutation.

        Example:
            >>> GATES["CNOT"].z_before(0b01)  # Z on the target reads Z_c Z_t before the CNOT
            3
        """
        if not self.linear_perm:
            raise ConfigError(f"{self.name} does not map Z strings to Z strings (not a linear permutation)")
        assert self.perm is not None
        k = self.n_wires
        out = 0
        for i in range(k):
            image = self.perm[1 << i]
            out |= (bin(mask & image).count("1") & 1) << i
        return out


def _cplx(p: Tensor) -> torch.dtype:
    return complex_dtype(p.dtype)


def _const(rows: Sequence[Sequence[complex]]) -> Callable[[Tensor], Tensor]:
    def f(p: Tensor) -> Tensor:
        m = torch.tensor(rows, dtype=_cplx(p), device=p.device)
        return m.expand(*p.shape[:-1], *m.shape)

    return f


def _const_diag(values: Sequence[complex]) -> Callable[[Tensor], Tensor]:
    def f(p: Tensor) -> Tensor:
        d = torch.tensor(values, dtype=_cplx(p), device=p.device)
        return d.expand(*p.shape[:-1], d.shape[0])

    return f


def _from_diag(diag: Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    return lambda p: torch.diag_embed(diag(p))


def _half(p: Tensor, k: int = 0) -> tuple[Tensor, Tensor]:
    t = p[..., k] / 2
    return torch.cos(t).to(_cplx(p)), torch.sin(t).to(_cplx(p))


def _stack2(a: Tensor, b: Tensor, c: Tensor, d: Tensor) -> Tensor:
    return torch.stack([torch.stack([a, b], -1), torch.stack([c, d], -1)], -2)


def _rx(p: Tensor) -> Tensor:
    c, s = _half(p)
    return _stack2(c, -1j * s, -1j * s, c)


def _ry(p: Tensor) -> Tensor:
    c, s = _half(p)
    return _stack2(c, -s, s, c)


def _rz_diag(p: Tensor) -> Tensor:
    e = torch.exp(-0.5j * p[..., 0].to(_cplx(p)))
    return torch.stack([e, e.conj()], -1)


def _phase_diag(p: Tensor) -> Tensor:
    e = torch.exp(1j * p[..., 0].to(_cplx(p)))
    return torch.stack([torch.ones_like(e), e], -1)


def _u3(p: Tensor) -> Tensor:
    c, s = _half(p, 0)
    ephi = torch.exp(1j * p[..., 1].to(_cplx(p)))
    elam = torch.exp(1j * p[..., 2].to(_cplx(p)))
    return _stack2(c, -elam * s, ephi * s, ephi * elam * c)


def _controlled(target: Callable[[Tensor], Tensor], controls: int = 1) -> Callable[[Tensor], Tensor]:
    def f(p: Tensor) -> Tensor:
        u = target(p)
        d = 2 ** (controls + 1)
        eye = torch.eye(d, dtype=u.dtype, device=u.device).expand(*u.shape[:-2], d, d)
        out = eye.clone()
        out[..., d - 2 :, d - 2 :] = u
        return out

    return f


def _pauli_pair(a: Sequence[Sequence[complex]]) -> Callable[[Tensor], Tensor]:
    """exp(-i theta/2 P (x) P) = cos I - i sin P(x)P for a one-qubit Pauli matrix P."""
    pp = torch.kron(torch.tensor(a, dtype=torch.complex128), torch.tensor(a, dtype=torch.complex128))

    def f(p: Tensor) -> Tensor:
        c, s = _half(p)
        m = pp.to(device=p.device, dtype=_cplx(p))
        eye = torch.eye(4, dtype=m.dtype, device=p.device)
        return c[..., None, None] * eye - 1j * s[..., None, None] * m

    return f


def _rzz_diag(p: Tensor) -> Tensor:
    e = torch.exp(-0.5j * p[..., 0].to(_cplx(p)))
    return torch.stack([e, e.conj(), e.conj(), e], -1)


def _crz_diag(p: Tensor) -> Tensor:
    e = torch.exp(-0.5j * p[..., 0].to(_cplx(p)))
    one = torch.ones_like(e)
    return torch.stack([one, one, e, e.conj()], -1)


def _single_excitation(p: Tensor) -> Tensor:
    c, s = _half(p)
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    rows = [[one, zero, zero, zero], [zero, c, -s, zero], [zero, s, c, zero], [zero, zero, zero, one]]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


def _double_excitation(p: Tensor) -> Tensor:
    c, s = _half(p)
    d = 16
    eye = torch.eye(d, dtype=c.dtype, device=c.device).expand(*c.shape, d, d).clone()
    eye[..., 3, 3] = c
    eye[..., 12, 12] = c
    eye[..., 3, 12] = -s
    eye[..., 12, 3] = s
    return eye


_R2 = 1 / math.sqrt(2)
_I = [[1, 0], [0, 1]]
_X = [[0, 1], [1, 0]]
_Y = [[0, -1j], [1j, 0]]
_Z = [[1, 0], [0, -1]]
_SX = [[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]]
_T = complex(math.cos(math.pi / 4), math.sin(math.pi / 4))


#: Interop names of each gate: (Qiskit instruction name, PennyLane operation name or "" where
#: PennyLane writes the gate as an adjoint, other accepted names).
_NAMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "I": ("id", "Identity", ()),
    "Z": ("z", "PauliZ", ()),
    "S": ("s", "S", ()),
    "Sdg": ("sdg", "", ()),
    "T": ("t", "T", ()),
    "Tdg": ("tdg", "", ()),
    "CZ": ("cz", "CZ", ()),
    "X": ("x", "PauliX", ()),
    "Y": ("y", "PauliY", ()),
    "H": ("h", "Hadamard", ()),
    "SX": ("sx", "SX", ()),
    "SXdg": ("sxdg", "", ()),
    "RX": ("rx", "RX", ()),
    "RY": ("ry", "RY", ()),
    "RZ": ("rz", "RZ", ()),
    "PhaseShift": ("p", "PhaseShift", ("phase", "u1")),
    "U3": ("u", "U3", ("u3",)),
    "CNOT": ("cx", "CNOT", ("CX", "cnot")),
    "CY": ("cy", "CY", ()),
    "Toffoli": ("ccx", "Toffoli", ()),
    "SWAP": ("swap", "SWAP", ()),
    "CRX": ("crx", "CRX", ()),
    "CRY": ("cry", "CRY", ()),
    "CRZ": ("crz", "CRZ", ()),
    "RXX": ("rxx", "IsingXX", ()),
    "RYY": ("ryy", "IsingYY", ()),
    "RZZ": ("rzz", "IsingZZ", ()),
    "SingleExcitation": ("single_excitation", "SingleExcitation", ()),
    "DoubleExcitation": ("double_excitation", "DoubleExcitation", ()),
    "Unitary": ("unitary", "QubitUnitary", ()),
}


def _interop(name: str) -> dict[str, Any]:
    qiskit, pennylane, aliases = _NAMES[name]
    return {"qiskit": qiskit, "pennylane": pennylane, "aliases": aliases}


def _diag_gate(
    name: str,
    values: list[complex],
    inverse: str,
    qasm: str,
    real: bool = False,
    perm: tuple[int, ...] | None = None,
) -> GateSpec:
    d = _const_diag(values)
    qiskit, pennylane, aliases = _NAMES[name]
    return GateSpec(
        name,
        int(math.log2(len(values))),
        0,
        "diag",
        _from_diag(d),
        real,
        d,
        inverse=(inverse, 1.0),
        qasm=qasm,
        qiskit=qiskit,
        pennylane=pennylane,
        aliases=aliases,
        perm=perm,
    )


def _build() -> dict[str, GateSpec]:
    g: list[GateSpec] = [
        _diag_gate("I", [1, 1], "I", "id", real=True, perm=(0, 1)),
        _diag_gate("Z", [1, -1], "Z", "z", real=True),
        _diag_gate("S", [1, 1j], "Sdg", "s"),
        _diag_gate("Sdg", [1, -1j], "S", "sdg"),
        _diag_gate("T", [1, _T], "Tdg", "t"),
        _diag_gate("Tdg", [1, _T.conjugate()], "T", "tdg"),
        _diag_gate("CZ", [1, 1, 1, -1], "CZ", "cz", real=True),
        GateSpec(
            "X", 1, 0, "dense", _const(_X), True, inverse=("X", 1.0), qasm="x", **_interop("X"), perm=(1, 0)
        ),
        GateSpec("Y", 1, 0, "dense", _const(_Y), inverse=("Y", 1.0), qasm="y", **_interop("Y")),
        GateSpec(
            "H",
            1,
            0,
            "dense",
            _const([[_R2, _R2], [_R2, -_R2]]),
            True,
            inverse=("H", 1.0),
            qasm="h",
            **_interop("H"),
        ),
        GateSpec("SX", 1, 0, "dense", _const(_SX), inverse=("SXdg", 1.0), qasm="sx", **_interop("SX")),
        GateSpec(
            "SXdg",
            1,
            0,
            "dense",
            _const([[z.conjugate() for z in r] for r in _SX]),
            inverse=("SX", 1.0),
            qasm="sxdg",
            **_interop("SXdg"),
        ),
        GateSpec("RX", 1, 1, "dense", _rx, inverse=("RX", -1.0), qasm="rx", generator="X", **_interop("RX")),
        GateSpec(
            "RY", 1, 1, "dense", _ry, True, inverse=("RY", -1.0), qasm="ry", generator="Y", **_interop("RY")
        ),
        GateSpec(
            "RZ",
            1,
            1,
            "diag",
            _from_diag(_rz_diag),
            diag=_rz_diag,
            inverse=("RZ", -1.0),
            qasm="rz",
            generator="Z",
            **_interop("RZ"),
        ),
        GateSpec(
            "PhaseShift",
            1,
            1,
            "diag",
            _from_diag(_phase_diag),
            diag=_phase_diag,
            inverse=("PhaseShift", -1.0),
            qasm="p",
            **_interop("PhaseShift"),
        ),
        GateSpec("U3", 1, 3, "dense", _u3, inverse=None, qasm="U", **_interop("U3")),
        GateSpec(
            "CNOT",
            2,
            0,
            "ctrl",
            _controlled(_const(_X)),
            True,
            controls=1,
            target="X",
            inverse=("CNOT", 1.0),
            qasm="cx",
            **_interop("CNOT"),
            perm=(0, 1, 3, 2),
        ),
        GateSpec(
            "CY",
            2,
            0,
            "ctrl",
            _controlled(_const(_Y)),
            controls=1,
            target="Y",
            inverse=("CY", 1.0),
            qasm="cy",
            **_interop("CY"),
        ),
        GateSpec(
            "Toffoli",
            3,
            0,
            "ctrl",
            _controlled(_const(_X), 2),
            True,
            controls=2,
            target="X",
            inverse=("Toffoli", 1.0),
            qasm="ccx",
            **_interop("Toffoli"),
            perm=(0, 1, 2, 3, 4, 5, 7, 6),
        ),
        GateSpec(
            "SWAP",
            2,
            0,
            "perm",
            _const([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
            True,
            inverse=("SWAP", 1.0),
            qasm="swap",
            **_interop("SWAP"),
            perm=(0, 2, 1, 3),
        ),
        GateSpec(
            "CRX",
            2,
            1,
            "ctrl",
            _controlled(_rx),
            controls=1,
            target="RX",
            shift_rule=FOUR_TERM,
            inverse=("CRX", -1.0),
            qasm="crx",
            **_interop("CRX"),
        ),
        GateSpec(
            "CRY",
            2,
            1,
            "ctrl",
            _controlled(_ry),
            True,
            controls=1,
            target="RY",
            shift_rule=FOUR_TERM,
            inverse=("CRY", -1.0),
            qasm="cry",
            **_interop("CRY"),
        ),
        GateSpec(
            "CRZ",
            2,
            1,
            "diag",
            _from_diag(_crz_diag),
            diag=_crz_diag,
            shift_rule=FOUR_TERM,
            inverse=("CRZ", -1.0),
            qasm="crz",
            **_interop("CRZ"),
        ),
        GateSpec(
            "RXX",
            2,
            1,
            "dense",
            _pauli_pair(_X),
            inverse=("RXX", -1.0),
            qasm="rxx",
            generator="XX",
            **_interop("RXX"),
        ),
        GateSpec(
            "RYY",
            2,
            1,
            "dense",
            _pauli_pair(_Y),
            inverse=("RYY", -1.0),
            qasm="ryy",
            generator="YY",
            **_interop("RYY"),
        ),
        GateSpec(
            "RZZ",
            2,
            1,
            "diag",
            _from_diag(_rzz_diag),
            diag=_rzz_diag,
            inverse=("RZZ", -1.0),
            qasm="rzz",
            generator="ZZ",
            **_interop("RZZ"),
        ),
        GateSpec(
            "SingleExcitation",
            2,
            1,
            "dense",
            _single_excitation,
            True,
            shift_rule=FOUR_TERM,
            inverse=("SingleExcitation", -1.0),
            qasm="single_excitation",
            **_interop("SingleExcitation"),
        ),
        GateSpec(
            "DoubleExcitation",
            4,
            1,
            "dense",
            _double_excitation,
            True,
            shift_rule=FOUR_TERM,
            inverse=("DoubleExcitation", -1.0),
            qasm="double_excitation",
            **_interop("DoubleExcitation"),
        ),
        GateSpec("Unitary", 0, 0, "dense", _const(_I), qasm="unitary", **_interop("Unitary")),
    ]
    return {s.name: s for s in g}


#: All supported gates by name.
GATES: dict[str, GateSpec] = _build()

#: Pauli letters -> the gate ``exp(-i theta P / 2)`` (``"ZZ"``: ``"RZZ"``), from ``GateSpec.generator``.
ROTATIONS: dict[str, str] = {g.generator: name for name, g in GATES.items() if g.generator}


def rotation_gate(letters: str) -> str:
    """The gate ``exp(-i theta P / 2)`` for the Pauli letters ``P``, one per wire.

    Raises:
        ConfigError: No gate of the table has that generator.

    Example:
        >>> rotation_gate("ZZ"), rotation_gate("x")
        ('RZZ', 'RX')
    """
    key = str(letters).upper()
    if key not in ROTATIONS:
        raise ConfigError(
            f"no rotation gate has the generator {letters!r}; the rotations are "
            + ", ".join(f"{p} ({g})" for p, g in ROTATIONS.items())
        )
    return ROTATIONS[key]


def _name_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in GATES.values():
        for known in (spec.name, spec.qasm, spec.qiskit, spec.pennylane, *spec.aliases):
            key = known.lower()
            if known and table.setdefault(key, spec.name) != spec.name:
                raise AssertionError(f"gate name {known!r} means both {table[key]} and {spec.name}")
    return table


_BY_NAME = _name_table()


def gate_name(name: str) -> str:
    """The IR name of a gate given by any of its names, case-insensitively.

    Accepted: the IR name (``"CNOT"``), the OpenQASM, Qiskit and PennyLane names
    (``"cx"``, ``"IsingZZ"``) and the aliases of :class:`GateSpec` (``"cnot"``, ``"u1"``).

    Args:
        name: A gate name.

    Returns:
        The key of :data:`GATES`.

    Raises:
        ValueError: For a name no gate has, listing the IR names.

    Example:
        >>> gate_name("cx"), gate_name("IsingZZ"), gate_name("h"), gate_name("RY")
        ('CNOT', 'RZZ', 'H', 'RY')
    """
    if name in GATES:
        return name
    found = _BY_NAME.get(name.lower()) if isinstance(name, str) else None
    if found is None:
        raise CircuitError(
            f"unknown gate {name!r}; supported gates: {', '.join(sorted(GATES))} (or their OpenQASM, "
            "Qiskit or PennyLane names, e.g. 'cx', 'IsingZZ')"
        )
    return found


def unitary_matrix(
    op: Op, dtype: torch.dtype = torch.complex128, device: torch.device | str = "cpu"
) -> Tensor:
    """The fixed matrix stored in a ``Unitary`` op, as a tensor."""
    if op.matrix is None:
        raise CircuitError(f"op {op.name} carries no fixed matrix")
    m = torch.tensor([[complex(a, b) for a, b in row] for row in op.matrix], dtype=torch.complex128)
    return m.to(device=device, dtype=dtype)


def _cols(matrix: tuple[tuple[Any, ...], ...]) -> str:
    lengths = sorted({len(r) for r in matrix})
    return str(lengths[0]) if len(lengths) == 1 else f"(ragged: {lengths})"


def validate_op(op: Op, n_wires: int) -> None:
    """Raise ``ValueError`` with a precise message when ``op`` is malformed.

    Example:
        >>> validate_op(Op("CNOT", (0, 0)), 2)
        Traceback (most recent call last):
        ...
        qml.errors.CircuitError: gate CNOT acts on distinct wires, got (0, 0)
    """
    spec = GATES.get(op.name)
    if spec is None:
        ir_name = gate_name(op.name)  # raises for a name no gate has
        raise CircuitError(f"gate {op.name!r} is called {ir_name!r} in an Op; Circuit.add accepts either")
    if op.name == "Unitary":
        if op.matrix is None:
            raise CircuitError("gate Unitary needs matrix=...")
        if not op.wires:
            raise CircuitError("gate Unitary needs at least one wire")
        d = 2 ** len(op.wires)
        if len(op.matrix) != d or any(len(row) != d for row in op.matrix):
            raise CircuitError(
                f"a Unitary on {len(op.wires)} wires needs a {d}x{d} matrix, "
                f"got {len(op.matrix)}x{_cols(op.matrix)}"
            )
        m = np.array([[complex(a, b) for a, b in row] for row in op.matrix])
        if not np.allclose(m.conj().T @ m, np.eye(d), atol=1e-10):
            raise CircuitError("the matrix given to Unitary is not unitary (U^dagger U != I)")
    elif len(op.wires) != spec.n_wires:
        raise CircuitError(f"gate {op.name} acts on {spec.n_wires} wire(s), got wires {op.wires}")
    if op.matrix is not None and op.name != "Unitary":
        raise CircuitError(f"only gate Unitary takes a matrix, not {op.name}")
    if len(op.params) != spec.n_params:
        raise CircuitError(f"gate {op.name} takes {spec.n_params} parameter(s), got {len(op.params)}")
    if len(set(op.wires)) != len(op.wires):
        raise CircuitError(f"gate {op.name} acts on distinct wires, got {op.wires}")
    bad = [w for w in op.wires if not 0 <= w < n_wires]
    if bad:
        raise CircuitError(f"gate {op.name} uses wire(s) {bad} outside 0..{n_wires - 1}")


def inverse_op(op: Op) -> Op:
    """The inverse of one op (``U3`` and ``Unitary`` included)."""
    spec = GATES[op.name]
    if op.name == "U3":
        theta, phi, lam = op.params
        return replace(op, params=(-theta, -lam, -phi))
    if op.name == "Unitary":
        assert op.matrix is not None
        n = len(op.matrix)
        return replace(
            op,
            matrix=tuple(
                tuple((op.matrix[j][i][0], -op.matrix[j][i][1]) for j in range(n)) for i in range(n)
            ),
        )
    assert spec.inverse is not None
    name, sign = spec.inverse
    return Op(name, op.wires, tuple(p * sign if sign != 1.0 else p for p in op.params))


def is_real_op(op: Op) -> bool:
    """True when the op's matrix is real (so a real circuit can run in real arithmetic)."""
    if op.name == "Unitary":
        assert op.matrix is not None
        return all(b == 0.0 for row in op.matrix for _, b in row)
    return GATES[op.name].real


def op_matrix(op: Op, angles: Tensor | None = None, dtype: torch.dtype = torch.complex128) -> Tensor:
    """The matrix of ``op`` for the given angles (``(..., n_params)``), on the wires' order.

    Example:
        >>> op_matrix(Op("CNOT", (0, 1))).real.int().tolist()
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    """
    if op.name == "Unitary":
        return unitary_matrix(op, dtype)
    spec = GATES[op.name]
    real = real_dtype(dtype)
    if angles is None:
        if any(not p.is_constant for p in op.params):
            raise CircuitError(f"op {op} has trainable angles: pass angles=")
        angles = torch.tensor([p.const for p in op.params], dtype=real)
    return spec.matrix(angles.to(real)).to(dtype)


__all__ = [
    "GATES",
    "ROTATIONS",
    "GateSpec",
    "Param",
    "gate_name",
    "inverse_op",
    "is_real_op",
    "op_matrix",
    "rotation_gate",
    "validate_op",
]
