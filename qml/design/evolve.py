"""Hardware-aware circuit search: grow layers of device-native gates, then prune by evolution.

The wires are placed along a path of the device (:func:`qml.design.target.embed`); a
candidate circuit is the problem's initial state followed by layers, each a set of
**genes**: a two-qubit rotation on a coupled pair (:func:`qml.design.target.native_pairs`)
or a one-qubit rotation, every gate with its own weight. Gate kinds come from the
Hamiltonian (:func:`native_kinds`: ``RZZ`` for ``ZZ`` couplings, ``RX`` for an ``X``
field, Givens rotations and ``RZZ`` for molecules, which conserve the electron number).
No gate needs a SWAP, so the transpiled two-qubit count is what the genes say.

1. **Growth** (greedy): full layers are added one at a time, each optimised from the
   previous optimum (new weights at zero, plus seeded restarts), until the accuracy
   targets are met or ``max_layers`` is reached.
2. **Pruning** (evolutionary): each generation draws ``population`` mutants from the
   ``elite`` cheapest circuits that meet the targets, each mutant lacking one gene (a
   two-qubit gene with probability 0.7) or a whole gate kind of one layer; mutants are
   optimised warm (from their parent's weights), on the executor's workers when one is
   given, and costed by transpilation on the target. The elite is the cheapest feasible
   circuits seen; the search stops after ``generations`` or two generations without a
   feasible mutant.

Every candidate evaluated is a row of the history; the chosen circuit is the feasible one
with the fewest transpiled two-qubit gates (then the smallest error).

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=4, h=1.0, periodic=False)
    >>> out = evolve(p, [(0, 1), (1, 2), (2, 3)], target_fidelity=0.999, generations=1, population=2)
    >>> out.reached, out.row["fidelity"] >= 0.999
    (True, True)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qml.design.evaluate import design_point, meets, optimize_circuit
from qml.design.target import Target, embed, get_target, interaction_pairs, native_pairs
from qml.errors import ConfigError
from qml.ir import Circuit, W
from qml.paulis import PauliSum
from qml.problems.problem import ExactResult, Problem

log = logging.getLogger(__name__)

#: Two-qubit rotation kind for each two-body Pauli pair of a Hamiltonian.
TWO_QUBIT_KINDS: dict[str, str] = {"ZZ": "RZZ", "XX": "RXX", "YY": "RYY"}
#: One-qubit rotation kind for each one-body Pauli letter.
ONE_QUBIT_KINDS: dict[str, str] = {"X": "RX", "Y": "RY", "Z": "RZ"}


@dataclass(frozen=True, order=True)
class Gene:
    """One gate of a candidate: a rotation ``kind`` on ``wires``, with its own weight."""

    kind: str
    wires: tuple[int, ...]

    def label(self) -> str:
        """``"RZZ(0, 1)"``."""
        return f"{self.kind}{self.wires}" if len(self.wires) > 1 else f"{self.kind}({self.wires[0]})"


Genome = tuple[tuple[Gene, ...], ...]


def hamiltonian_kinds(
    hamiltonian: PauliSum, always_one: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Rotation kinds a Hamiltonian suggests: ``(two-qubit, one-qubit)``.

    Two-qubit kinds are ``RZZ``/``RXX``/``RYY`` for its ``ZZ``/``XX``/``YY`` two-body terms;
    all three when it has none of these or also another interaction (a mixed pair such as
    ``X Y``, or a term on three or more wires), which the diagonal pairs alone cannot mix.
    One-qubit kinds are ``RX``/``RY``/``RZ`` for the letters of its one-body terms, plus
    ``always_one``.

    Example:
        >>> from qml.paulis import pauli
        >>> hamiltonian_kinds(pauli("Z0 Z1 + X0 + X1")), hamiltonian_kinds(pauli("Z0 + X0 Y1"), ("RY",))
        ((('RZZ',), ('RX',)), (('RZZ', 'RXX', 'RYY'), ('RY', 'RZ')))
    """
    two: set[str] = set()
    one: set[str] = set(always_one)
    other = False
    for _, s in hamiltonian.terms:
        letters = "".join(ltr for _, ltr in sorted(s.ops))
        if len(letters) == 2 and letters in TWO_QUBIT_KINDS:
            two.add(TWO_QUBIT_KINDS[letters])
        elif len(letters) == 1:
            one.add(ONE_QUBIT_KINDS[letters])
        elif len(letters) >= 2:
            other = True
    all_two = ("RZZ", "RXX", "RYY")
    return (
        all_two if other or not two else tuple(k for k in all_two if k in two),
        tuple(k for k in ("RX", "RY", "RZ") if k in one),
    )


def native_kinds(problem: Problem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Kinds for :func:`evolve`: :func:`hamiltonian_kinds`; molecules: Givens rotations and ``RZZ``.

    Molecules get gates that conserve the electron number (nearest-neighbour Givens
    rotations and ZZ phases reach any state of fixed electron number).

    Example:
        >>> from qml.problems import get_problem
        >>> native_kinds(get_problem("tfim", n=4)), native_kinds(get_problem("h2"))
        ((('RZZ',), ('RX',)), (('SingleExcitation', 'RZZ'), ()))
    """
    if "n_electrons" in problem.info:
        return ("SingleExcitation", "RZZ"), ()
    return hamiltonian_kinds(problem.hamiltonian)


def _matchings(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``pairs`` reordered as consecutive disjoint groups (brickwork: a shallow layer)."""
    left = list(pairs)
    out: list[tuple[int, int]] = []
    while left:
        used: set[int] = set()
        rest = []
        for a, b in left:
            if a in used or b in used:
                rest.append((a, b))
            else:
                out.append((a, b))
                used |= {a, b}
        left = rest
    return out


def full_layer(
    pairs: Sequence[tuple[int, int]], n_wires: int, kinds: tuple[tuple[str, ...], tuple[str, ...]]
) -> tuple[Gene, ...]:
    """Every two-qubit kind on every pair (brickwork order), then every one-qubit kind on every wire.

    Example:
        >>> [g.label() for g in full_layer([(0, 1), (1, 2)], 3, (("RZZ",), ("RX",)))]
        ['RZZ(0, 1)', 'RZZ(1, 2)', 'RX(0)', 'RX(1)', 'RX(2)']
    """
    genes = [Gene(k, p) for p in _matchings(pairs) for k in kinds[0]]
    genes += [Gene(k, (w,)) for w in range(n_wires) for k in kinds[1]]
    return tuple(genes)


def build_circuit(reference: Circuit | None, n_wires: int, genome: Genome) -> Circuit:
    """The candidate circuit: ``reference`` then the genes in order, weight ``k`` for gene ``k``.

    Example:
        >>> c = build_circuit(None, 2, ((Gene("RZZ", (0, 1)), Gene("RX", (0,))),))
        >>> [op.name for op in c.ops], c.n_weights
        (['RZZ', 'RX'], 2)
    """
    c = Circuit(n_wires, reference.ops if reference is not None else (), 0, name="designed")
    k = 0
    for layer in genome:
        for g in layer:
            c = c.add(g.kind, g.wires, W(k))
            k += 1
    return c


def _keys(genome: Genome) -> list[tuple[int, Gene]]:
    return [(li, g) for li, layer in enumerate(genome) for g in layer]


def _warm(genome: Genome, known: dict[tuple[int, Gene], float]) -> list[float]:
    return [known.get(key, 0.0) for key in _keys(genome)]


def _mutate(genome: Genome, rng: np.random.Generator) -> Genome:
    """``genome`` without one gene (two-qubit with probability 0.7) or without one kind in one layer."""
    layers = [list(layer) for layer in genome]
    r = rng.random()
    if r < 0.15:
        li = int(rng.integers(len(layers)))
        if layers[li]:
            kind = layers[li][int(rng.integers(len(layers[li])))].kind
            layers[li] = [g for g in layers[li] if g.kind != kind]
    else:
        want_two = r < 0.85
        pool = [
            (li, gi)
            for li, layer in enumerate(layers)
            for gi, g in enumerate(layer)
            if (len(g.wires) == 2) == want_two
        ]
        if not pool:
            pool = [(li, gi) for li, layer in enumerate(layers) for gi in range(len(layer))]
        if pool:
            li, gi = pool[int(rng.integers(len(pool)))]
            del layers[li][gi]
    return tuple(tuple(layer) for layer in layers)


def _optimize_task(item: dict[str, Any]) -> dict[str, Any]:
    """Worker side of one candidate: optimise its weights (top level, so executors can ship it)."""
    w, e, n = optimize_circuit(
        item["hamiltonian"], item["circuit"], item["w0"], item["seed"], item["steps"], item["restarts"]
    )
    return {"weights": w.tolist(), "energy": e, "n_evals": n}


@dataclass(frozen=True)
class EvolveOutcome:
    """What :func:`evolve` found.

    Attributes:
        circuit: The chosen circuit; ``weights`` its optimised weights.
        row: Its history row (accuracy and cost).
        genome: Its layers as ``[[kind, wires], ...]`` lists.
        history: Every candidate evaluated (growth and pruning), in order.
        reached: Whether ``row`` meets the targets.
        message: Why the search stopped.
        layout: Physical qubit of each wire.
        kinds: The two- and one-qubit gate kinds used.
        n_evals: Energy evaluations over all candidates.
        seconds: Wall time.
    """

    circuit: Circuit
    weights: list[float]
    row: dict[str, Any]
    genome: list[list[list[Any]]]
    history: list[dict[str, Any]]
    reached: bool
    message: str
    layout: list[int]
    kinds: tuple[tuple[str, ...], tuple[str, ...]]
    n_evals: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)


def evolve(
    problem: Problem,
    target: Target | str | Sequence[Sequence[int]],
    layout: Sequence[int] | None = None,
    *,
    target_error: float | None = None,
    target_fidelity: float | None = None,
    max_layers: int = 8,
    generations: int = 6,
    population: int = 6,
    elite: int = 2,
    kinds: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    seed: int = 0,
    steps: int = 300,
    restarts: int = 2,
    optimization_level: int = 1,
    exact: ExactResult | None = None,
    executor: Any = None,
    progress: Callable[[str], None] | None = None,
) -> EvolveOutcome:
    """Search for the circuit with the fewest transpiled two-qubit gates that meets the targets.

    Args:
        problem: The problem (its Hamiltonian, initial state and exact reference).
        target: The device (:func:`qml.design.target.get_target`).
        layout: Physical qubit of each wire (default: :func:`~qml.design.target.embed`).
        target_error: Absolute energy error to reach (the problem's unit).
        target_fidelity: Ground-space fidelity to reach.
        max_layers: Most layers the growth adds.
        generations: Pruning generations.
        population: Mutants per generation.
        elite: Parents kept per generation.
        kinds: ``(two-qubit kinds, one-qubit kinds)`` (default :func:`native_kinds`).
        seed: Seed of the mutations and the optimiser restarts.
        steps: L-BFGS iterations per candidate.
        restarts: Extra seeded restarts per growth step (pruned mutants get one).
        optimization_level: Transpiler level of the cost.
        exact: The exact reference (default ``problem.exact()``).
        executor: A :mod:`qml.parallel` executor for the mutants (default: in this process).
        progress: Called with a line after each growth step and generation.

    Raises:
        ValueError: Without any target, or for bad sizes.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=3, h=1.0, periodic=False)
        >>> evolve(p, [(0, 1), (1, 2)], target_fidelity=0.99, generations=0).row["two_qubit_gates"] <= 8
        True
    """
    t0 = time.perf_counter()
    if target_error is None and target_fidelity is None:
        raise ConfigError("evolve needs a target: give target_error (energy) and/or target_fidelity")
    for name, value, low in (
        ("max_layers", max_layers, 1),
        ("generations", generations, 0),
        ("population", population, 1),
        ("elite", elite, 1),
        ("restarts", restarts, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    t = get_target(target)
    n = problem.n_wires
    lay = list(layout) if layout is not None else embed(n, t, interaction_pairs(problem.hamiltonian))
    pairs = native_pairs(lay, t)
    if not pairs and n > 1:
        raise ConfigError(f"no two wires are coupled on {t.name} under layout {lay}; give another layout")
    kinds = kinds if kinds is not None else native_kinds(problem)
    ref = exact if exact is not None else problem.exact()
    layer = full_layer(pairs, n, kinds)
    H = problem.hamiltonian
    history: list[dict[str, Any]] = []
    n_evals = 0
    say = progress or (lambda line: log.info("%s", line))

    def evaluate(
        cands: list[tuple[str, Genome, list[float], int]],
    ) -> list[tuple[dict[str, Any], list[float]]]:
        nonlocal n_evals
        items: list[dict[str, Any]] = [
            {
                "hamiltonian": H,
                "circuit": build_circuit(problem.reference, n, g),
                "w0": w0,
                "seed": seed + len(history) + i,
                "steps": steps,
                "restarts": r,
            }
            for i, (_, g, w0, r) in enumerate(cands)
        ]
        results: list[dict[str, Any] | None] = [None] * len(items)
        if executor is None:
            for i, item in enumerate(items):
                results[i] = _optimize_task(item)
        else:
            for i, out, err in executor.as_completed(_optimize_task, items):
                if err is not None:
                    raise RuntimeError(f"candidate {cands[i][0]} failed on a worker: {err}") from err
                results[i] = out
        rows = []
        for (label, g, _, _), item, res in zip(cands, items, results, strict=True):
            assert res is not None
            n_evals += res["n_evals"]
            row = design_point(
                label,
                "evolve",
                problem,
                item["circuit"],
                res["weights"],
                ref,
                t,
                [lay],
                optimization_level,
                None,
                layers=len(g),
            )
            history.append(row)
            rows.append((row, res["weights"]))
        return rows

    # 1. growth
    genome: Genome = ()
    known: dict[tuple[int, Gene], float] = {}
    best: tuple[dict[str, Any], Genome, list[float]] | None = None
    reached = False
    for depth in range(1, max_layers + 1):
        genome = (*genome, layer)
        ((row, w),) = evaluate([(f"grow L={depth}", genome, _warm(genome, known), restarts)])
        known = dict(zip(_keys(genome), w, strict=True))
        say(
            f"evolve: grow L={depth}: {row['two_qubit_gates']} two-qubit gates, "
            f"error {row['abs_error']:.3g}, "
            f"fidelity {row['fidelity'] if row['fidelity'] is None else round(row['fidelity'], 6)}"
        )
        if best is None or row["abs_error"] < best[0]["abs_error"]:
            best = (row, genome, w)
        if meets(row, target_error, target_fidelity):
            reached = True
            best = (row, genome, w)
            break
    assert best is not None
    if not reached:
        message = (
            f"no circuit of up to {max_layers} native layers met the targets (best error "
            f"{best[0]['abs_error']:.3g}); raise max_layers or loosen the targets"
        )
    else:
        message = f"targets met at {len(best[1])} layers"
        # 2. pruning
        rng = np.random.default_rng(seed)
        elite_set: list[tuple[dict[str, Any], Genome, list[float]]] = [best]
        seen = {best[1]}
        stale = 0
        for gen in range(generations):
            cands: list[tuple[str, Genome, list[float], int]] = []
            attempts = 0
            while len(cands) < population and attempts < 50 * population:
                attempts += 1
                parent = elite_set[int(rng.integers(len(elite_set)))]
                child = _mutate(parent[1], rng)
                if child in seen or not any(child):
                    continue
                seen.add(child)
                pk = dict(zip(_keys(parent[1]), parent[2], strict=True))
                cands.append((f"prune gen {gen}", child, _warm(child, pk), 1))
            if not cands:
                message = f"targets met; pruning stopped at generation {gen}: no new mutant"
                break
            rows = evaluate(cands)
            feasible = [
                (row, g, w)
                for (row, w), (_, g, _, _) in zip(rows, cands, strict=True)
                if meets(row, target_error, target_fidelity)
            ]
            elite_set = sorted(
                elite_set + feasible, key=lambda e: (e[0]["two_qubit_gates"], e[0]["abs_error"])
            )
            elite_set = elite_set[:elite]
            say(
                f"evolve: generation {gen}: {len(feasible)}/{len(cands)} mutants meet the targets; cheapest "
                f"{elite_set[0][0]['two_qubit_gates']} two-qubit gates"
            )
            stale = 0 if feasible else stale + 1
            if stale >= 2:
                message = (
                    f"targets met; pruning stopped at generation {gen}: "
                    "two generations without a feasible mutant"
                )
                break
        else:
            message = f"targets met; pruned for {generations} generations"
        best = elite_set[0]
    row, genome, w = best
    return EvolveOutcome(
        circuit=build_circuit(problem.reference, n, genome),
        weights=list(w),
        row=row,
        genome=[[[g.kind, list(g.wires)] for g in layer_] for layer_ in genome],
        history=history,
        reached=reached,
        message=message,
        layout=lay,
        kinds=kinds,
        n_evals=n_evals,
        seconds=time.perf_counter() - t0,
        settings={
            "max_layers": max_layers,
            "generations": generations,
            "population": population,
            "elite": elite,
            "steps": steps,
            "restarts": restarts,
            "kinds": [list(k) for k in kinds],
        },
    )


__all__ = ["EvolveOutcome", "Gene", "build_circuit", "evolve", "full_layer", "native_kinds"]
