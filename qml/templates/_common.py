"""Shared validation helpers for the templates (private).

Every template validates its arguments with these helpers so that bad input always
raises ``ValueError`` with a message saying what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from itertools import combinations

from qml.errors import CircuitError
from qml.gates import ROTATIONS

_ONE_QUBIT_ROTATIONS = {p: g for p, g in ROTATIONS.items() if len(p) == 1}

#: One-parameter single-qubit rotations accepted by name, with their aliases: the Pauli
#: rotations of the gate table by generator (``"X"``) and by name (``"RX"``), and the phase.
ROTATION_ALIASES: dict[str, str] = {
    **_ONE_QUBIT_ROTATIONS,
    **{g.upper(): g for g in _ONE_QUBIT_ROTATIONS.values()},
    "P": "PhaseShift",
    "PHASE": "PhaseShift",
    "PHASESHIFT": "PhaseShift",
}

#: Fixed (parameter-free) two-qubit entangling gates, by name and alias.
FIXED_ENTANGLERS: dict[str, str] = {
    "CNOT": "CNOT",
    "CX": "CNOT",
    "CZ": "CZ",
    "CY": "CY",
    "SWAP": "SWAP",
}

#: Parametrised two-qubit entangling gates (one trainable angle each), by name and alias.
PARAM_ENTANGLERS: dict[str, str] = {
    "RZZ": "RZZ",
    "RXX": "RXX",
    "RYY": "RYY",
    "CRX": "CRX",
    "CRY": "CRY",
    "CRZ": "CRZ",
}


def check_int(name: str, value: object, minimum: int = 0) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise CircuitError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise CircuitError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def choices(values: Iterable[str]) -> str:
    """``"'a', 'b', 'c'"``: the valid choices, for error messages."""
    return ", ".join(repr(v) for v in values)


def check_choice(name: str, value: object, aliases: dict[str, str]) -> str:
    """Map a case-insensitive name through ``aliases``; raise ``ValueError`` listing the choices."""
    key = value.upper() if isinstance(value, str) else None
    if key is None or key not in aliases:
        choices = ", ".join(repr(k) for k in sorted(set(aliases)))
        raise CircuitError(f"unknown {name} {value!r}; expected one of {choices}")
    return aliases[key]


def rotation_gate(value: object, name: str = "rotation") -> str:
    """Canonical gate name of a single-qubit rotation given as ``"X"``, ``"RY"``..."""
    return check_choice(name, value, ROTATION_ALIASES)


def check_pairs(name: str, pairs: Iterable[Sequence[int]], n_wires: int) -> list[tuple[int, int]]:
    """Validate an explicit list of wire pairs: two distinct wires in ``0..n_wires-1`` each."""
    out: list[tuple[int, int]] = []
    for pair in pairs:
        p = tuple(pair)
        if (
            len(p) != 2
            or any(isinstance(w, bool) or not isinstance(w, numbers.Integral) for w in p)
            or p[0] == p[1]
            or not all(0 <= w < n_wires for w in p)
        ):
            raise CircuitError(
                f"{name} must be pairs (i, j) of distinct wires in 0..{n_wires - 1}, got {pair!r}"
            )
        out.append((int(p[0]), int(p[1])))
    return out


def linear_pairs(n_wires: int) -> list[tuple[int, int]]:
    """``(0, 1), (1, 2), ..., (n-2, n-1)``."""
    return [(i, i + 1) for i in range(n_wires - 1)]


def full_pairs(n_wires: int) -> list[tuple[int, int]]:
    """All pairs ``(i, j)`` with ``i < j`` in lexicographic order."""
    return list(combinations(range(n_wires), 2))


def even_odd_pairs(n_wires: int) -> list[tuple[int, int]]:
    """Brick-wall bonds: ``(0, 1), (2, 3), ...`` then ``(1, 2), (3, 4), ...``."""
    return [(i, i + 1) for i in range(0, n_wires - 1, 2)] + [(i, i + 1) for i in range(1, n_wires - 1, 2)]
