"""Qiskit's two-local ansaetze: ``real_amplitudes`` and ``efficient_su2`` (Qiskit 2.x functions).

The circuits are gate-for-gate those of ``qiskit.circuit.library.real_amplitudes`` and
``efficient_su2``, and the flat weight vector is in Qiskit's parameter order
(``θ[0], θ[1], ...``), so ``qiskit_circuit.assign_parameters(weights)`` gives the same
state (remember that Qiskit is little-endian: compare with ``Statevector.reverse_qargs()``).

Example:
    >>> from qml.templates.qiskit_like import real_amplitudes
    >>> real_amplitudes(3, reps=2).n_weights
    9
"""

from __future__ import annotations

from collections.abc import Sequence

from qml.errors import CircuitError
from qml.ir import Circuit, W
from qml.templates._common import check_int, check_pairs, choices, full_pairs, linear_pairs, rotation_gate

#: Entanglement strategies of Qiskit's ``n_local`` family (for two-qubit blocks).
QISKIT_ENTANGLEMENTS: tuple[str, ...] = ("full", "linear", "reverse_linear", "pairwise", "circular", "sca")

Entanglement = str | Sequence[Sequence[int]]


def qiskit_entangler_map(n_wires: int, entanglement: Entanglement, rep: int = 0) -> list[tuple[int, int]]:
    """The two-qubit block positions Qiskit uses in repetition ``rep`` of an ``n_local`` circuit.

    * ``"full"``: all ``(i, j)``, ``i < j``;
    * ``"linear"``: ``(0,1), (1,2), ..., (n-2, n-1)``; ``"reverse_linear"``: the same reversed;
    * ``"pairwise"``: ``(0,1), (2,3), ...`` then ``(1,2), (3,4), ...``;
    * ``"circular"``: ``(n-1, 0)`` followed by linear (just linear for ``n <= 2``);
    * ``"sca"`` (shifted circular alternating): the circular list rotated right by ``rep``,
      with every pair reversed on odd ``rep``.

    An explicit list of pairs is used as given in every repetition.

    CNOTs of ``"sca"`` on 4 wires in repetition 1::

        0: ───●─X───
        1: ───│─●─X─
        2: ─X─│───●─
        3: ─●─X─────

    Args:
        n_wires: Number of qubits.
        entanglement: A strategy name (see :data:`QISKIT_ENTANGLEMENTS`) or a list of pairs.
        rep: The repetition index (only ``"sca"`` depends on it).

    Returns:
        The ordered list of ``(control, target)`` pairs.

    Raises:
        ValueError: For an unknown strategy or invalid pairs.

    Example:
        >>> qiskit_entangler_map(4, "sca", rep=1)
        [(3, 2), (0, 3), (1, 0), (2, 1)]
    """
    n = check_int("n_wires", n_wires, 1)
    if not isinstance(entanglement, str):
        return check_pairs("entanglement", entanglement, n)
    key = entanglement.lower()
    if key == "full":
        return full_pairs(n)
    if key == "linear":
        return linear_pairs(n)
    if key == "reverse_linear":
        return linear_pairs(n)[::-1]
    if key == "pairwise":
        return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]
    if key in ("circular", "sca"):
        circ = ([(n - 1, 0)] if n > 2 else []) + linear_pairs(n)
        if key == "circular" or not circ:
            return circ
        k = rep % len(circ)
        rotated = circ[len(circ) - k :] + circ[: len(circ) - k]
        return [(b, a) for a, b in rotated] if rep % 2 else rotated
    raise CircuitError(
        f"unknown entanglement {entanglement!r}; expected one of "
        f"{choices(QISKIT_ENTANGLEMENTS)} or a list of wire pairs"
    )


def _two_local(
    name: str,
    n_wires: int,
    gates: list[str],
    entanglement: Entanglement,
    reps: int,
    skip_final_rotation_layer: bool,
) -> Circuit:
    n = check_int("n_wires", n_wires, 1)
    r = check_int("reps", reps, 0)
    qiskit_entangler_map(n, entanglement, 0)  # validate early, even for reps=0
    c = Circuit(n, name=name)
    idx = 0

    def rotation_layer(c: Circuit, idx: int) -> tuple[Circuit, int]:
        for g in gates:
            for w in range(n):
                c = c.add(g, w, W(idx))
                idx += 1
        return c, idx

    for rep in range(r):
        c, idx = rotation_layer(c, idx)
        for pair in qiskit_entangler_map(n, entanglement, rep):
            c = c.add("CNOT", pair)
    if not skip_final_rotation_layer:
        c, idx = rotation_layer(c, idx)
    return c


def real_amplitudes(
    n_wires: int,
    reps: int = 3,
    entanglement: Entanglement = "reverse_linear",
    skip_final_rotation_layer: bool = False,
) -> Circuit:
    """Qiskit's ``real_amplitudes``: ``RY`` layers and ``CX`` entanglement (real states only).

    Repetition ``r`` applies ``RY`` on every wire and a CNOT on each pair of
    :func:`qiskit_entangler_map` ``(n, entanglement, r)``; a final ``RY`` layer follows
    unless ``skip_final_rotation_layer``.

    Weight layout: Qiskit's parameter order ``θ[0..]``: layer ``l`` (``reps`` layers plus
    the final one) uses ``θ[l * n_wires + w]`` on wire ``w``; shape ``(reps + 1, n_wires)``
    (``(reps, n_wires)`` when the final layer is skipped).

    ``n_wires=3, reps=1`` (default ``"reverse_linear"``)::

        0: ─RY───●──RY─
        1: ─RY─●─X──RY─
        2: ─RY─X─RY────

    Args:
        n_wires: Number of qubits (at least 1).
        reps: Number of repetitions (at least 0, Qiskit's default 3).
        entanglement: ``"full"``, ``"linear"``, ``"reverse_linear"``, ``"pairwise"``,
            ``"circular"``, ``"sca"`` or an explicit list of pairs (used in every repetition).
        skip_final_rotation_layer: Leave out the last rotation layer.

    Returns:
        The circuit, named ``"real_amplitudes"``.

    Raises:
        ValueError: For bad sizes or an unknown entanglement.

    Example:
        >>> real_amplitudes(4, reps=1, entanglement="full").count()
        {'RY': 8, 'CNOT': 6}
    """
    return _two_local("real_amplitudes", n_wires, ["RY"], entanglement, reps, skip_final_rotation_layer)


def efficient_su2(
    n_wires: int,
    su2_gates: str | Sequence[str] | None = None,
    entanglement: Entanglement = "reverse_linear",
    reps: int = 3,
    skip_final_rotation_layer: bool = False,
) -> Circuit:
    """Qiskit's ``efficient_su2``: layers of ``su2_gates`` (default ``RY`` then ``RZ``) and ``CX``.

    Each rotation layer applies the first gate on all wires, then the second gate on all
    wires, and so on (Qiskit's order); entanglement as in :func:`real_amplitudes`.

    Weight layout: Qiskit's parameter order ``θ[0..]``: in rotation layer ``l``, gate ``k``
    on wire ``w`` uses ``θ[(l * len(su2_gates) + k) * n_wires + w]``; shape
    ``(reps + 1, len(su2_gates), n_wires)`` (``reps`` layers when the final one is skipped).

    ``n_wires=2, reps=1``::

        0: ─RY─RZ─●─RY─RZ─
        1: ─RY─RZ─X─RY─RZ─

    Args:
        n_wires: Number of qubits (at least 1).
        su2_gates: Rotation names from ``"rx"``, ``"ry"``, ``"rz"``, ``"p"`` (any case;
            default ``("ry", "rz")``).
        entanglement: As in :func:`real_amplitudes`.
        reps: Number of repetitions (at least 0, default 3).
        skip_final_rotation_layer: Leave out the last rotation layer.

    Returns:
        The circuit, named ``"efficient_su2"``.

    Raises:
        ValueError: For bad sizes or unknown gate/entanglement names.

    Example:
        >>> efficient_su2(3, reps=2).n_weights  # Qiskit: 2 * 3 * (2 + 1)
        18
    """
    if su2_gates is None:
        names = ["RY", "RZ"]
    else:
        names = [su2_gates] if isinstance(su2_gates, str) else list(su2_gates)
    if not names:
        raise CircuitError("su2_gates must name at least one rotation, e.g. ('ry', 'rz')")
    gates = [rotation_gate(g, "su2 gate") for g in names]
    return _two_local("efficient_su2", n_wires, gates, entanglement, reps, skip_final_rotation_layer)


__all__ = ["QISKIT_ENTANGLEMENTS", "efficient_su2", "qiskit_entangler_map", "real_amplitudes"]
