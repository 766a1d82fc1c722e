"""Accuracy of a candidate circuit: optimise its weights, score it against the exact reference.

Every design method judges a candidate the same way: :func:`optimize_circuit` minimises
the energy of the circuit (L-BFGS from given or zero weights, optionally with extra seeded
restarts) and :func:`score` reports energy, absolute and relative error against
``exact.energy`` and the weight of the state in the whole exact ground space (so a
degenerate level is scored as a level). :func:`design_point` adds the hardware cost: one
row of a search history or a Pareto front.

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=4, h=1.0)
    >>> c = p.ansatz(2)
    >>> w, e, _ = optimize_circuit(p.hamiltonian, c, p.initial_weights(0, c))
    >>> s = score(p, c, w, p.exact())
    >>> s["fidelity"] > 0.9999
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import torch

from qml.design.target import Target, best_cost
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.optimize.optimizers import Objective, minimize
from qml.paulis import PauliSum
from qml.problems.problem import ExactResult, Problem
from qml.sim.simulator import Simulator


def optimize_circuit(
    hamiltonian: PauliSum,
    circuit: Circuit,
    w0: Sequence[float] | torch.Tensor | None = None,
    seed: int = 0,
    steps: int = 300,
    restarts: int = 0,
    simulator: Simulator | None = None,
) -> tuple[torch.Tensor, float, int]:
    """Minimise ``<H>`` over the circuit's weights with L-BFGS.

    The first run starts from ``w0`` (zeros when ``None``); each of ``restarts`` more runs
    starts from ``w0`` plus seeded uniform noise in ``[-pi/4, pi/4]`` (``seed + k``). The
    lowest energy wins.

    Returns:
        ``(weights, energy, evaluations)``.

    Example:
        >>> from qml.ir import W
        >>> from qml.paulis import pauli
        >>> w, e, n = optimize_circuit(pauli("Z0"), Circuit(1).add("RY", 0, W(0)), [0.5])
        >>> round(e, 8)
        -1.0
    """
    if circuit.n_inputs:
        raise ConfigError("a design candidate must have no input features (its weights are all trained)")
    sim = simulator if simulator is not None else Simulator()
    p = circuit.n_weights
    base = torch.zeros(p, dtype=torch.float64) if w0 is None else torch.as_tensor(w0, dtype=torch.float64)
    if base.numel() != p:
        raise ConfigError(f"w0 has {base.numel()} entries but the circuit has {p} weights")
    if p == 0:
        with torch.no_grad():
            return base, float(sim.expval(circuit, hamiltonian)), 1
    best: tuple[torch.Tensor, float] | None = None
    evals = 0
    for k in range(restarts + 1):
        start = base.clone()
        if k:
            g = torch.Generator().manual_seed(seed + k)
            start = start + (torch.rand(p, generator=g, dtype=torch.float64) - 0.5) * (math.pi / 2)
        obj = Objective(circuit, hamiltonian, sim, seed=seed)
        res = minimize(obj, start, "lbfgs", steps, None, None, seed, None, None)
        evals += res.n_evals
        if best is None or res.energy < best[1]:
            best = (res.best_weights.detach().to(torch.float64), float(res.energy))
    assert best is not None
    return best[0], best[1], evals


def score(
    problem: Problem,
    circuit: Circuit,
    weights: Sequence[float] | torch.Tensor | None,
    exact: ExactResult | None,
    simulator: Simulator | None = None,
) -> dict[str, float | None]:
    """Energy, ``abs_error``, ``rel_error`` and ground-space ``fidelity`` of the circuit at ``weights``.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("h2")
        >>> s = score(p, p.reference, None, p.exact())
        >>> round(s["abs_error"], 5)  # Hartree-Fock's correlation-energy miss
        0.02052
    """
    sim = simulator if simulator is not None else Simulator()
    w = None
    if circuit.n_weights:
        w = (
            torch.as_tensor(weights, dtype=torch.float64)
            if weights is not None
            else torch.zeros(circuit.n_weights, dtype=torch.float64)
        )
    with torch.no_grad():
        energy = float(sim.expval(circuit, problem.hamiltonian, w))
        fidelity = exact.fidelity(sim.state(circuit, w)) if exact is not None else None
    if exact is None:
        return {"energy": energy, "abs_error": None, "rel_error": None, "fidelity": None}
    err = abs(energy - exact.energy)
    rel = err / abs(exact.energy) if exact.energy else err
    return {"energy": energy, "abs_error": err, "rel_error": rel, "fidelity": fidelity}


def design_point(
    label: str,
    method: str,
    problem: Problem,
    circuit: Circuit,
    weights: Sequence[float] | torch.Tensor | None,
    exact: ExactResult | None,
    target: Target,
    layouts: Sequence[Sequence[int] | None],
    optimization_level: int = 1,
    seconds: float | None = None,
    simulator: Simulator | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One row of a history or a front: accuracy (:func:`score`) and the cheapest cost over ``layouts``.

    Example:
        >>> from qml.problems import get_problem
        >>> from qml.design.target import get_target
        >>> p = get_problem("h2")
        >>> line = get_target([(0, 1), (1, 2), (2, 3)])
        >>> row = design_point("hf", "adapt", p, p.reference, None, p.exact(), line,
        ...                    [None])
        >>> row["two_qubit_gates"], row["parameters"]
        (0, 0)
    """
    t0 = time.perf_counter()
    cost = best_cost(circuit, target, layouts, optimization_level)
    row: dict[str, Any] = {
        "label": label,
        "method": method,
        "parameters": circuit.n_weights,
        "two_qubit_gates": cost.two_qubit_gates,
        "depth": cost.depth,
        "two_qubit_depth": cost.two_qubit_depth,
        "layout": list(cost.layout),
        "logical_two_qubit_gates": sum(1 for op in circuit.ops if len(op.wires) >= 2),
        **score(problem, circuit, weights, exact, simulator),
        "seconds": seconds if seconds is not None else time.perf_counter() - t0,
    }
    row.update(extra)
    return row


def meets(row: dict[str, Any], target_error: float | None, target_fidelity: float | None) -> bool:
    """Whether a row reaches the targets (absolute energy error, ground-space fidelity); no target: False.

    Example:
        >>> row = {"abs_error": 1e-3, "fidelity": 0.9995}
        >>> meets(row, 1.6e-3, 0.999), meets(row, None, None)
        (True, False)
    """
    if target_error is None and target_fidelity is None:
        return False
    if target_error is not None and (row.get("abs_error") is None or row["abs_error"] > target_error):
        return False
    return target_fidelity is None or (row.get("fidelity") is not None and row["fidelity"] >= target_fidelity)


def pareto_front(rows: Sequence[dict[str, Any]], error: str = "abs_error") -> list[dict[str, Any]]:
    """The rows no other row beats in both two-qubit gates and ``error`` (sorted by gates).

    Example:
        >>> rows = [{"two_qubit_gates": 4, "abs_error": 0.1}, {"two_qubit_gates": 8, "abs_error": 0.2},
        ...         {"two_qubit_gates": 9, "abs_error": 0.01}]
        >>> [r["two_qubit_gates"] for r in pareto_front(rows)]
        [4, 9]
    """
    usable = [r for r in rows if r.get(error) is not None]
    ordered = sorted(usable, key=lambda r: (r["two_qubit_gates"], r[error]))
    front: list[dict[str, Any]] = []
    for r in ordered:
        if not front or r[error] < front[-1][error]:
            front.append(r)
    return front


__all__ = ["design_point", "meets", "optimize_circuit", "pareto_front", "score"]
