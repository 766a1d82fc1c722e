"""Hardware targets for circuit design: a device's connectivity, an embedding of the wires, the cost.

A :class:`Target` is a device graph: a fake IBM backend with real calibration data
(``"fake_kolkata"``, any name :func:`qml.backends.qiskit_common.fake_backend` knows) or a
plain coupling list (``[(0, 1), (1, 2), ...]``, basis ``cx, rz, sx, x``). The **cost** of a
circuit on a target (:func:`hardware_cost`) is what the device would run: the circuit's
slot form (every angle a free parameter, so no gate vanishes by its value) transpiled by
Qiskit's preset pass manager (``optimization_level``, seeded), then counted: two-qubit
gates, depth, two-qubit depth.

Where the wires sit on the device is a choice the design methods make explicitly and
record: :func:`embed` places the wires along a simple path of the coupling graph (wire
``k`` on ``path[k]``), picking the path that puts the most interacting wire pairs of the
Hamiltonian on couplings. A circuit whose two-qubit gates act only on
:func:`native_pairs` then needs no SWAP. ``layout=None`` lets the transpiler choose (what a
fixed template gets; :func:`best_cost` takes the cheaper of the two).

Example:
    >>> from qml.ir import Circuit
    >>> t = get_target([(0, 1), (1, 2), (2, 3)])
    >>> layout = embed(4, t, [(0, 1), (1, 2), (2, 3)])
    >>> native_pairs(layout, t)
    [(0, 1), (1, 2), (2, 3)]
    >>> hardware_cost(Circuit(4).add("CNOT", (0, 1)).add("CNOT", (2, 3)), t, layout).two_qubit_gates
    2
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum

log = logging.getLogger(__name__)

#: Basis of a target built from a coupling list.
GENERIC_BASIS: tuple[str, ...] = ("cx", "rz", "sx", "x", "id")


@dataclass(frozen=True)
class Target:
    """A device graph for transpilation.

    Attributes:
        name: The fake backend's name, or ``"coupling(N)"`` for a coupling list.
        n_qubits: Physical qubits.
        edges: Undirected couplings ``(a, b)`` with ``a < b``, sorted.
        backend: The Qiskit backend the transpiler targets (not compared, not stored).
    """

    name: str
    n_qubits: int
    edges: tuple[tuple[int, int], ...]
    backend: Any = field(default=None, compare=False, repr=False)

    def neighbours(self) -> dict[int, list[int]]:
        """Adjacency lists (sorted)."""
        adj: dict[int, list[int]] = {q: [] for q in range(self.n_qubits)}
        for a, b in self.edges:
            adj[a].append(b)
            adj[b].append(a)
        return {q: sorted(v) for q, v in adj.items()}

    def describe(self) -> dict[str, Any]:
        """Name, size and coupling count (for results)."""
        return {"name": self.name, "n_qubits": self.n_qubits, "n_couplings": len(self.edges)}


_TARGETS: dict[str, Target] = {}


def _pair(a: Any, b: Any) -> tuple[int, int]:
    """A coupling ``(a, b)`` as two ints, the smaller first."""
    lo, hi = sorted((int(a), int(b)))
    return lo, hi


def get_target(target: Target | str | Sequence[Sequence[int]]) -> Target:
    """A :class:`Target` from a fake backend name or a coupling list (cached by name).

    Raises:
        ValueError: For an unknown backend name (the message lists the valid ones) or a bad
            coupling list.

    Example:
        >>> get_target("fake_manila").edges
        ((0, 1), (1, 2), (2, 3), (3, 4))
    """
    if isinstance(target, Target):
        return target
    if isinstance(target, str):
        from qml.backends.qiskit_common import fake_backend

        key = target.strip().lower()
        if key not in _TARGETS:
            backend = fake_backend(key)
            pairs = {_pair(a, b) for a, b in backend.coupling_map.get_edges() if a != b}
            _TARGETS[key] = Target(str(backend.name), int(backend.num_qubits), tuple(sorted(pairs)), backend)
        return _TARGETS[key]
    try:
        pairs = {_pair(a, b) for a, b in target}
    except (TypeError, ValueError):
        raise ConfigError(
            f"a target is a fake backend name (e.g. 'fake_kolkata') or a coupling list like "
            f"[(0, 1), (1, 2)], got {target!r}"
        ) from None
    if not pairs or any(a == b or a < 0 for a, b in pairs):
        raise ConfigError(f"a coupling list needs pairs of distinct non-negative qubits, got {target!r}")
    n = max(b for _, b in pairs) + 1
    from qiskit.providers.fake_provider import GenericBackendV2

    both = [[a, b] for a, b in sorted(pairs)] + [[b, a] for a, b in sorted(pairs)]
    backend = GenericBackendV2(n, list(GENERIC_BASIS), coupling_map=both, seed=0, noise_info=False)
    return Target(f"coupling({n})", n, tuple(sorted(pairs)), backend)


def interaction_pairs(hamiltonian: PauliSum) -> list[tuple[int, int]]:
    """Wire pairs that a two-body term of ``hamiltonian`` couples (sorted, unique).

    Example:
        >>> from qml.paulis import pauli
        >>> interaction_pairs(pauli("Z0 Z1 + Z1 Z2 + X0"))
        [(0, 1), (1, 2)]
    """
    pairs = set()
    for _, s in hamiltonian.terms:
        wires = sorted(w for w, _ in s.ops)
        if len(wires) == 2:
            pairs.add((wires[0], wires[1]))
    return sorted(pairs)


def _paths(adj: dict[int, list[int]], n: int, limit: int) -> list[list[int]]:
    """Up to ``limit`` simple paths of ``n`` nodes (depth-first, from every start node in order)."""
    found: list[list[int]] = []
    for start in sorted(adj):
        stack: list[tuple[list[int], int]] = [([start], 0)]
        while stack and len(found) < limit:
            path, k = stack.pop()
            if len(path) == n:
                found.append(path)
                continue
            for nb in reversed(adj[path[-1]]):
                if nb not in path:
                    stack.append(([*path, nb], k + 1))
        if len(found) >= limit:
            break
    return found


def embed(
    n_wires: int, target: Target | str, pairs: Sequence[tuple[int, int]] = (), limit: int = 4000
) -> list[int]:
    """Physical qubit of each wire: a simple path of the coupling graph, wire ``k`` on ``path[k]``.

    Among the paths found (depth-first, at most ``limit``) the one that puts the most of
    ``pairs`` (interacting wires, e.g. :func:`interaction_pairs`) on couplings wins; ties go
    to the first found (deterministic).

    Raises:
        ValueError: When the target has fewer qubits than wires or no path of that length.

    Example:
        >>> embed(3, get_target([(0, 1), (1, 2), (0, 2), (2, 3)]), [(0, 1), (1, 2), (0, 2)])
        [0, 1, 2]
    """
    t = get_target(target)
    if n_wires > t.n_qubits:
        raise ConfigError(
            f"{n_wires} wires do not fit on {t.name} ({t.n_qubits} qubits); choose a larger target"
        )
    if n_wires == 1:
        return [0]
    paths = _paths(t.neighbours(), n_wires, limit)
    if not paths:
        raise ConfigError(
            f"{t.name} has no simple path of {n_wires} qubits; give a layout or a target with a longer path"
        )
    edges = set(t.edges)

    def score(path: list[int]) -> int:
        return sum(1 for a, b in pairs if tuple(sorted((path[a], path[b]))) in edges)

    return max(paths, key=score)  # max keeps the first of equal scores


def native_pairs(layout: Sequence[int], target: Target | str) -> list[tuple[int, int]]:
    """Wire pairs ``(i, j)``, ``i < j``, whose physical qubits are coupled under ``layout``.

    Example:
        >>> native_pairs([2, 1, 0], get_target([(0, 1), (1, 2)]))
        [(0, 1), (1, 2)]
    """
    t = get_target(target)
    edges = set(t.edges)
    n = len(layout)
    return [
        (i, j) for i in range(n) for j in range(i + 1, n) if tuple(sorted((layout[i], layout[j]))) in edges
    ]


@dataclass(frozen=True)
class HardwareCost:
    """What a circuit costs on a target after transpilation.

    Attributes:
        two_qubit_gates: Two-qubit gates of the ISA circuit.
        depth: Depth of the ISA circuit (all gates).
        two_qubit_depth: Depth counting two-qubit gates only.
        layout: Physical qubit of each wire (the given one, or the transpiler's choice).
        chosen_by: ``"design"`` (a given layout) or ``"transpiler"``.
    """

    two_qubit_gates: int
    depth: int
    two_qubit_depth: int
    layout: tuple[int, ...]
    chosen_by: str

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return {
            "two_qubit_gates": self.two_qubit_gates,
            "depth": self.depth,
            "two_qubit_depth": self.two_qubit_depth,
            "layout": list(self.layout),
            "chosen_by": self.chosen_by,
        }


_COSTS: dict[tuple[Any, ...], HardwareCost] = {}


def hardware_cost(
    circuit: Circuit,
    target: Target | str | Sequence[Sequence[int]],
    layout: Sequence[int] | None = None,
    optimization_level: int = 1,
    seed_transpiler: int = 1234,
) -> HardwareCost:
    """Transpile ``circuit`` (every angle free) for ``target`` and count its cost (cached).

    Args:
        circuit: The circuit (its structure counts, not its weights).
        target: A :class:`Target`, a fake backend name or a coupling list.
        layout: Physical qubit of each wire, or ``None`` to let the transpiler choose.
        optimization_level: Qiskit preset pass-manager level (0-3).
        seed_transpiler: Seed of layout and routing (reproducible counts).

    Example:
        >>> from qml.ir import Circuit, W
        >>> c = Circuit(3).add("RZZ", (0, 2), W(0))
        >>> hardware_cost(c, [(0, 1), (1, 2)], [0, 1, 2]).two_qubit_gates  # a SWAP's 3 + the RZZ's 2
        5
    """
    from qml.backends.qiskit_common import compile_slots

    t = get_target(target)
    if optimization_level not in (0, 1, 2, 3):
        raise ConfigError(f"optimization_level must be 0, 1, 2 or 3, got {optimization_level!r}")
    if layout is not None:
        layout = [int(q) for q in layout]
        if (
            len(layout) != circuit.n_wires
            or len(set(layout)) != len(layout)
            or not all(0 <= q < t.n_qubits for q in layout)
        ):
            raise ConfigError(
                f"layout must give {circuit.n_wires} distinct physical qubits of {t.name} "
                f"(0..{t.n_qubits - 1}), "
                f"got {layout}"
            )
    if circuit.n_wires > t.n_qubits:
        raise ConfigError(f"a {circuit.n_wires}-wire circuit does not fit on {t.name} ({t.n_qubits} qubits)")
    key = (
        circuit,
        t.name,
        t.edges,
        None if layout is None else tuple(layout),
        optimization_level,
        seed_transpiler,
    )
    if key in _COSTS:
        return _COSTS[key]
    cc = compile_slots(circuit, t.backend, optimization_level, seed_transpiler, initial_layout=layout)
    isa = cc.isa
    chosen = tuple(layout) if layout is not None else _initial_layout(isa, circuit.n_wires)
    cost = HardwareCost(
        two_qubit_gates=cc.two_qubit_count(),
        depth=cc.depth(),
        two_qubit_depth=int(isa.depth(lambda inst: inst.operation.num_qubits == 2)),
        layout=chosen,
        chosen_by="design" if layout is not None else "transpiler",
    )
    _COSTS[key] = cost
    return cost


def _initial_layout(isa: Any, n_wires: int) -> tuple[int, ...]:
    layout = getattr(isa, "layout", None)
    if layout is None:
        return tuple(range(n_wires))
    return tuple(int(q) for q in layout.initial_index_layout(filter_ancillas=True)[:n_wires])


def best_cost(
    circuit: Circuit,
    target: Target | str,
    layouts: Sequence[Sequence[int] | None] = (None,),
    optimization_level: int = 1,
    seed_transpiler: int = 1234,
) -> HardwareCost:
    """The cheapest :func:`hardware_cost` (fewest two-qubit gates, then depth) over ``layouts``.

    Fixed templates get this over ``(None, embedded path)``: the transpiler's own layout and
    the design methods' path, so a comparison never handicaps the template.

    Example:
        >>> from qml.ir import Circuit
        >>> best_cost(Circuit(2).add("CNOT", (0, 1)), [(0, 1)], [None, [1, 0]]).two_qubit_gates
        1
    """
    costs = [hardware_cost(circuit, target, lay, optimization_level, seed_transpiler) for lay in layouts]
    return min(costs, key=lambda c: (c.two_qubit_gates, c.depth))


__all__ = [
    "GENERIC_BASIS",
    "HardwareCost",
    "Target",
    "best_cost",
    "embed",
    "get_target",
    "hardware_cost",
    "interaction_pairs",
    "native_pairs",
]
