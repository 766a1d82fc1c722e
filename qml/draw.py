"""Text drawing of a :class:`~qml.ir.Circuit`, one line per wire (wire 0 on top).

Example:
    >>> from qml.ir import Circuit, W
    >>> print(draw(Circuit(2).add("RY", 0, W(0)).add("CZ", (0, 1)), show_params=True))
    0: ─RY(w0)─●─
    1: ────────●─
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["draw"]

if TYPE_CHECKING:
    from qml.ir import Circuit, Op

_CONTROL_TARGET = {"CNOT": "X", "CY": "Y", "Toffoli": "X", "CRX": "RX", "CRY": "RY", "CRZ": "RZ"}


def _labels(op: Op, show_params: bool) -> list[str]:
    args = f"({', '.join(str(p) for p in op.params)})" if show_params and op.params else ""
    if op.name == "CZ":
        return ["●", "●"]
    if op.name == "SWAP":
        return ["x", "x"]
    if op.name in _CONTROL_TARGET:
        n_ctrl = len(op.wires) - 1
        return ["●"] * n_ctrl + [_CONTROL_TARGET[op.name] + args]
    if len(op.wires) == 1:
        return [op.name + args]
    return [f"{op.name}{args}[{k}]" for k in range(len(op.wires))]


def draw(circuit: Circuit, show_params: bool = False) -> str:
    """Draw ``circuit`` as text; gates on disjoint wires share a column.

    Args:
        circuit: The circuit.
        show_params: Show angle expressions (``w0``, ``x1``, ``0.5``) next to gate names.

    Returns:
        The drawing, one line per wire.
    """
    n = circuit.n_wires
    columns: list[dict[int, str]] = []
    level = [0] * n
    for op in circuit.ops:
        lo, hi = min(op.wires), max(op.wires)
        span = range(lo, hi + 1)
        col = max(level[w] for w in span)
        while len(columns) <= col:
            columns.append({})
        for w, label in zip(op.wires, _labels(op, show_params), strict=True):
            columns[col][w] = label
        for w in span:
            if w not in op.wires:
                columns[col][w] = "│"
            level[w] = col + 1
    width = len(str(n - 1))
    lines = [f"{w:>{width}}: ─" for w in range(n)]
    for column in columns:
        size = max(len(s) for s in column.values())
        for w in range(n):
            s = column.get(w, "")
            lines[w] += s + "─" * (size - len(s)) + "─"
    return "\n".join(lines)
