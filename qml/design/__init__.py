"""Automated circuit design: the cheapest circuit on a device that reaches a target accuracy.

:func:`design` runs one of :data:`METHODS` (ADAPT, qubit-ADAPT, TETRIS-ADAPT,
differentiable architecture search, hardware-aware evolution) on a problem and a hardware
target and returns a :class:`DesignResult`: the circuit, its accuracy against the exact
reference, its two-qubit gate count and depth after transpilation to the target, the
problem's default ansatz on the same target as ``baseline``, the search history and the
Pareto front of accuracy against two-qubit gates (with the fixed templates).

Modules:
    * :mod:`~qml.design.target`: device graphs, the wires' embedding, the transpiled cost;
    * :mod:`~qml.design.evaluate`: optimising and scoring a candidate, Pareto fronts;
    * :mod:`~qml.design.search`: :func:`design` and the fixed-template rows;
    * :mod:`~qml.design.evolve`: hardware-aware growth and evolutionary pruning;
    * :mod:`~qml.design.dqas`: differentiable architecture search;
    * :mod:`~qml.design.compress`: drop near-zero rotations, merge neighbours, re-optimise;
    * :mod:`~qml.design.plots`: the fronts as a figure;
    * :mod:`~qml.design.result`: :class:`DesignResult`.

Example:
    >>> from qml.problems import get_problem
    >>> r = design(get_problem("h2"), "adapt", [(0, 1), (1, 2), (2, 3)], templates=False)
    >>> r.two_qubit_gates <= r.baseline["two_qubit_gates"] and r.abs_error < 1.6e-3
    True
"""

from qml.design.compress import CompressionResult, compress
from qml.design.evaluate import design_point, meets, optimize_circuit, pareto_front, score
from qml.design.plots import plot_fronts
from qml.design.result import DesignResult
from qml.design.search import METHODS, default_targets, design, template_row, template_rows
from qml.design.target import HardwareCost, Target, best_cost, embed, get_target, hardware_cost, native_pairs

__all__ = [
    "METHODS",
    "CompressionResult",
    "DesignResult",
    "HardwareCost",
    "Target",
    "best_cost",
    "compress",
    "default_targets",
    "design",
    "design_point",
    "embed",
    "get_target",
    "hardware_cost",
    "meets",
    "native_pairs",
    "optimize_circuit",
    "pareto_front",
    "plot_fronts",
    "score",
    "template_row",
    "template_rows",
]
