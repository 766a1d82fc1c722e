"""Layered variational ansaetze: hardware-efficient, strongly entangling, basic entangler, 2-design.

Every function returns a :class:`~qml.ir.Circuit` whose trainable weights form one flat
vector; each docstring gives the layout and the shape of the PennyLane namesake so that
``weights.reshape(shape)`` recovers it.

Example:
    >>> from qml.templates.layers import strongly_entangling
    >>> c = strongly_entangling(3, layers=2)
    >>> c.n_weights  # PennyLane shape (2, 3, 3)
    18
"""

from __future__ import annotations

from collections.abc import Sequence

from qml.errors import CircuitError
from qml.ir import Circuit, W
from qml.templates._common import (
    FIXED_ENTANGLERS,
    PARAM_ENTANGLERS,
    check_choice,
    check_int,
    check_pairs,
    choices,
    even_odd_pairs,
    full_pairs,
    linear_pairs,
    rotation_gate,
)

#: Entanglement patterns understood by :func:`hardware_efficient`.
HEA_PATTERNS: tuple[str, ...] = ("linear", "circular", "full", "brick")


def _check_wires(n_wires: object, minimum: int = 1) -> int:
    return check_int("n_wires", n_wires, minimum)


def entangler_pairs(n_wires: int, pattern: str | Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """The ordered wire pairs of a named entanglement pattern.

    CNOTs on the ``"brick"`` pairs of 4 wires::

        0: ─●───
        1: ─X─●─
        2: ─●─X─
        3: ─X───

    Args:
        n_wires: Number of wires.
        pattern: ``"linear"`` (``(0,1), (1,2), ...``), ``"circular"`` (linear plus
            ``(n-1, 0)`` when ``n > 2``), ``"full"`` (all ``i < j``), ``"brick"`` (even bonds
            ``(0,1), (2,3), ...`` then odd bonds ``(1,2), (3,4), ...``), or an explicit list of pairs.

    Returns:
        The list of ``(control, target)`` pairs in application order.

    Raises:
        ValueError: For an unknown pattern name or invalid explicit pairs.

    Example:
        >>> entangler_pairs(4, "brick")
        [(0, 1), (2, 3), (1, 2)]
    """
    n = _check_wires(n_wires)
    if not isinstance(pattern, str):
        return check_pairs("pattern", pattern, n)
    key = pattern.lower()
    if key == "linear":
        return linear_pairs(n)
    if key == "circular":
        return linear_pairs(n) + ([(n - 1, 0)] if n > 2 else [])
    if key == "full":
        return full_pairs(n)
    if key == "brick":
        return even_odd_pairs(n)
    raise CircuitError(
        f"unknown pattern {pattern!r}; expected one of {choices(HEA_PATTERNS)} or a list of wire pairs"
    )


def hardware_efficient(
    n_wires: int,
    layers: int,
    rotations: str | Sequence[str] = ("RY", "RZ"),
    entangler: str = "CNOT",
    pattern: str | Sequence[Sequence[int]] = "linear",
    final_rotations: bool = True,
) -> Circuit:
    """Hardware-efficient ansatz: layers of single-qubit rotations and a fixed entangling pattern.

    Each of the ``layers`` layers applies, on every wire ``w`` in order, the rotations
    ``rotations`` (each with its own weight), then the entangler on each pair of ``pattern``.
    With ``final_rotations`` one more rotation layer closes the circuit.

    Weight layout (flat vector): first the rotation angles, shape
    ``(layers + final_rotations, n_wires, len(rotations))`` in C order, i.e. index
    ``(l * n_wires + w) * len(rotations) + k``; then, only for a parametrised ``entangler``
    (``RZZ``, ``RXX``, ``RYY``, ``CRX``, ``CRY``, ``CRZ``), the entangler angles, shape
    ``(layers, len(pairs))``. There is no exact PennyLane/Qiskit namesake; with
    ``rotations="RY"``, ``entangler="CNOT"``, ``pattern="linear"`` it equals Qiskit's
    ``real_amplitudes(n, entanglement="linear", reps=layers)``.

    ``n_wires=2, layers=1, rotations=("RY", "RZ")``::

        0: ─RY─RZ─●─RY─RZ─
        1: ─RY─RZ─X─RY─RZ─

    Args:
        n_wires: Number of qubits (at least 2).
        layers: Number of rotation + entangler layers (at least 1).
        rotations: One or more of ``"RX"``, ``"RY"``, ``"RZ"``, ``"PhaseShift"``
            (aliases ``"X"``, ``"Y"``, ``"Z"``, ``"P"``).
        entangler: ``"CNOT"`` (alias ``"CX"``), ``"CZ"``, ``"CY"``, ``"SWAP"`` or a
            parametrised ``"RZZ"``, ``"RXX"``, ``"RYY"``, ``"CRX"``, ``"CRY"``, ``"CRZ"``.
        pattern: ``"linear"``, ``"circular"``, ``"full"``, ``"brick"`` (see
            :func:`entangler_pairs`) or an explicit list of wire pairs.
        final_rotations: Append a last rotation layer after the last entangler.

    Returns:
        The circuit, named ``"hardware_efficient"``.

    Raises:
        ValueError: For fewer than 2 wires, ``layers < 1``, or unknown names.

    Example:
        >>> c = hardware_efficient(3, layers=2, rotations="RY", entangler="CZ")
        >>> c.n_weights, c.count()["CZ"]
        (9, 4)
    """
    n = _check_wires(n_wires, 2)
    n_layers = check_int("layers", layers, 1)
    rots = [rotations] if isinstance(rotations, str) else list(rotations)
    if not rots:
        raise CircuitError("rotations must name at least one rotation, e.g. ('RY', 'RZ')")
    gates = [rotation_gate(r) for r in rots]
    ent_names = {**FIXED_ENTANGLERS, **PARAM_ENTANGLERS}
    ent = check_choice("entangler", entangler, ent_names)
    pairs = entangler_pairs(n, pattern)
    n_rot_layers = n_layers + (1 if final_rotations else 0)
    n_rot = n_rot_layers * n * len(gates)

    c = Circuit(n, name="hardware_efficient")

    def rotation_layer(c: Circuit, l: int) -> Circuit:
        for w in range(n):
            for k, g in enumerate(gates):
                c = c.add(g, w, W((l * n + w) * len(gates) + k))
        return c

    for l in range(n_layers):
        c = rotation_layer(c, l)
        for p, pair in enumerate(pairs):
            if ent in PARAM_ENTANGLERS.values():
                c = c.add(ent, pair, W(n_rot + l * len(pairs) + p))
            else:
                c = c.add(ent, pair)
    if final_rotations:
        c = rotation_layer(c, n_layers)
    return c


def _rot(c: Circuit, wire: int, first: int) -> Circuit:
    """PennyLane ``Rot(a, b, c) = RZ(c) RY(b) RZ(a)`` on weights ``first, first+1, first+2``."""
    return c.add("RZ", wire, W(first)).add("RY", wire, W(first + 1)).add("RZ", wire, W(first + 2))


def strongly_entangling(
    n_wires: int,
    layers: int,
    ranges: Sequence[int] | None = None,
    imprimitive: str = "CNOT",
) -> Circuit:
    """Strongly entangling layers, the same circuit as PennyLane's ``qp.StronglyEntanglingLayers``.

    Layer ``l`` applies ``Rot(a, b, c)`` = ``RZ(c) RY(b) RZ(a)`` (so ``RZ(a)`` first in time)
    on every wire, then (for ``n_wires > 1``) ``imprimitive`` on ``(i, (i + r_l) mod n)``
    for ``i = 0..n-1``. The default ranges are PennyLane's ``r_l = (l mod (n - 1)) + 1``.

    Weight layout: PennyLane's weights of shape ``(layers, n_wires, 3)`` flattened in C
    order: weight ``(l * n_wires + w) * 3 + k`` is ``weights[l, w, k]``.

    ``n_wires=2, layers=1``::

        0: ─RZ─RY─RZ─●─X─
        1: ─RZ─RY─RZ─X─●─

    Args:
        n_wires: Number of qubits (at least 1).
        layers: Number of layers (at least 1).
        ranges: One range per layer; none may be divisible by ``n_wires``.
        imprimitive: Two-qubit gate: ``"CNOT"`` (alias ``"CX"``), ``"CZ"``, ``"CY"`` or ``"SWAP"``.

    Returns:
        The circuit, named ``"strongly_entangling"``.

    Raises:
        ValueError: For bad sizes, ranges of the wrong length or divisible by ``n_wires``,
            or an unknown imprimitive.

    Example:
        >>> strongly_entangling(4, 2, ranges=(1, 3)).n_weights
        24
    """
    n = _check_wires(n_wires)
    n_layers = check_int("layers", layers, 1)
    gate = check_choice("imprimitive", imprimitive, FIXED_ENTANGLERS)
    if ranges is None:
        rs = [(l % (n - 1)) + 1 for l in range(n_layers)] if n > 1 else [0] * n_layers
    else:
        rs = [check_int("each range", r, 0) for r in ranges]
        if len(rs) != n_layers:
            raise CircuitError(f"ranges must have one entry per layer ({n_layers}); got {len(rs)}")
        bad = [r for r in rs if r % n == 0]
        if n > 1 and bad:
            raise CircuitError(f"ranges must not be zero nor divisible by n_wires={n}; got {bad}")
    c = Circuit(n, name="strongly_entangling")
    for l in range(n_layers):
        for w in range(n):
            c = _rot(c, w, (l * n + w) * 3)
        if n > 1:
            for i in range(n):
                c = c.add(gate, (i, (i + rs[l]) % n))
    return c


def basic_entangler(n_wires: int, layers: int, rotation: str = "X") -> Circuit:
    """Basic entangler layers, the same circuit as PennyLane's ``qp.BasicEntanglerLayers``.

    Each layer applies the one-parameter ``rotation`` on every wire, then a CNOT ring
    ``(0,1), (1,2), ..., (n-1, 0)`` (a single ``CNOT(0, 1)`` for two wires, none for one).

    Weight layout: PennyLane's ``(layers, n_wires)`` flattened in C order (``l * n_wires + w``).

    ``n_wires=3, layers=1``::

        0: ─RX─●───X─
        1: ─RX─X─●─│─
        2: ─RX───X─●─

    Args:
        n_wires: Number of qubits (at least 1).
        layers: Number of layers (at least 1).
        rotation: ``"X"``, ``"Y"``, ``"Z"`` (or ``"RX"``...), or ``"PhaseShift"``.

    Returns:
        The circuit, named ``"basic_entangler"``.

    Raises:
        ValueError: For bad sizes or an unknown rotation.

    Example:
        >>> basic_entangler(3, 2, rotation="Y").count()
        {'RY': 6, 'CNOT': 6}
    """
    n = _check_wires(n_wires)
    n_layers = check_int("layers", layers, 1)
    gate = rotation_gate(rotation)
    if n == 2:
        pairs = [(0, 1)]
    elif n > 2:
        pairs = [(i, (i + 1) % n) for i in range(n)]
    else:
        pairs = []
    c = Circuit(n, name="basic_entangler")
    for l in range(n_layers):
        for w in range(n):
            c = c.add(gate, w, W(l * n + w))
        for pair in pairs:
            c = c.add("CNOT", pair)
    return c


def simplified_two_design(n_wires: int, layers: int) -> Circuit:
    """Simplified 2-design, the same circuit as PennyLane's ``qp.SimplifiedTwoDesign``.

    An initial ``RY`` on every wire, then per layer: on the even bonds ``(0,1), (2,3), ...``
    a ``CZ`` followed by ``RY`` on both wires, then the same on the odd bonds ``(1,2), ...``.

    Weight layout: first PennyLane's ``initial_layer_weights`` (shape ``(n_wires,)``), then
    its ``weights`` of shape ``(layers, n_wires - 1, 2)`` flattened in C order; bond ``b``
    of a layer is numbered even bonds first (``b = 0..n//2-1``), then odd bonds, exactly as
    in PennyLane. So ``w[:n]`` and ``w[n:].reshape(layers, n - 1, 2)`` are the two arguments.

    ``n_wires=3, layers=1``::

        0: ─RY─●─RY──────
        1: ─RY─●─RY─●─RY─
        2: ─RY──────●─RY─

    Args:
        n_wires: Number of qubits (at least 1).
        layers: Number of layers (at least 1).

    Returns:
        The circuit, named ``"simplified_two_design"``.

    Raises:
        ValueError: For bad sizes.

    Example:
        >>> simplified_two_design(4, 2).n_weights  # 4 + 2 * 3 * 2
        16
    """
    n = _check_wires(n_wires)
    n_layers = check_int("layers", layers, 1)
    c = Circuit(n, name="simplified_two_design")
    for w in range(n):
        c = c.add("RY", w, W(w))
    even = [(i, i + 1) for i in range(0, n - 1, 2)]
    odd = [(i, i + 1) for i in range(1, n - 1, 2)]
    for l in range(n_layers):
        for b, (a, d) in [(i, p) for i, p in enumerate(even)] + [(n // 2 + i, p) for i, p in enumerate(odd)]:
            base = n + (l * (n - 1) + b) * 2
            c = c.add("CZ", (a, d)).add("RY", a, W(base)).add("RY", d, W(base + 1))
    return c


__all__ = [
    "HEA_PATTERNS",
    "basic_entangler",
    "entangler_pairs",
    "hardware_efficient",
    "simplified_two_design",
    "strongly_entangling",
]
