"""The one result type of circuit design: :class:`DesignResult` (kind ``"design"``).

A design result holds the chosen circuit and weights, its accuracy against the exact
reference (``energy``, ``abs_error``, ``rel_error``, ground-space ``fidelity``), its cost on
the target after transpilation (``two_qubit_gates``, ``depth``, ``two_qubit_depth``, with
the ``layout`` used), the same keys for the problem's ``baseline`` ansatz on the same
target, the search ``history`` (one row per evaluated candidate, as
:func:`qml.design.evaluate.design_point` writes them), the ``front`` (Pareto-optimal rows
of accuracy against two-qubit gates, over the history and the fixed ``templates``), an
optional ``compression`` report, and the seeds, settings, timings and versions that made
it. It is read back by :func:`qml.optimize.load_result` in a fresh process and submitted
as is by ``qml submit d.json --backend ...`` (the problem's Hamiltonian is the observable).

Example:
    >>> import os, tempfile
    >>> r = DesignResult(problem="h2", method="adapt", two_qubit_gates=10, energy=-1.1, exact_energy=-1.1)
    >>> path = os.path.join(tempfile.mkdtemp(), "d.json")
    >>> _ = r.save(path)
    >>> from qml.optimize import load_result
    >>> load_result(path) == r
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from qml.optimize.results import _EnergyRecord, register_kind


@dataclass
class DesignResult(_EnergyRecord):
    """The outcome of :func:`qml.design.design`.

    Attributes:
        problem: Problem label; ``problem_name`` and ``problem_params`` rebuild it.
        method: The design method (:data:`qml.design.METHODS`).
        target: The hardware target (name, qubits, couplings); ``optimization_level`` the
            transpiler level used for every count.
        circuit: The designed circuit (:meth:`qml.ir.Circuit.to_dict`); ``best_weights`` its weights.
        parameters: Number of trainable parameters.
        energy, exact_energy, abs_error, rel_error, fidelity: Accuracy against the exact
            reference (``exact_method`` names it).
        two_qubit_gates, depth, two_qubit_depth, layout: Cost on the target after transpilation.
        target_error, target_fidelity: The accuracy targets (absolute energy error in the
            problem's unit; ground-space fidelity); ``reached`` whether the circuit meets them.
        baseline: The same keys for the problem's default ansatz on the same target.
        history: Every evaluated candidate (rows of :func:`qml.design.evaluate.design_point`).
        templates: Rows of the fixed templates (HVA, HEA, UCCSD, ... at increasing depth).
        front: Pareto-optimal rows (two-qubit gates against ``abs_error``) of history and templates.
        compression: Before/after report of :func:`qml.design.compress`, or empty.
        message: Why the search stopped.
        settings, seed, timings, versions, energy_unit, n_evals: As in the other results.
    """

    kind: ClassVar[str] = "design"

    problem: str = ""
    problem_name: str | None = None
    problem_params: dict[str, Any] = field(default_factory=dict)
    method: str = ""
    target: dict[str, Any] = field(default_factory=dict)
    optimization_level: int = 1
    circuit: dict[str, Any] | None = None
    best_weights: list[float] = field(default_factory=list)
    parameters: int = 0
    energy: float = 0.0
    exact_energy: float | None = None
    exact_method: str | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    fidelity: float | None = None
    two_qubit_gates: int = 0
    depth: int = 0
    two_qubit_depth: int = 0
    layout: list[int] = field(default_factory=list)
    target_error: float | None = None
    target_fidelity: float | None = None
    reached: bool = False
    baseline: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    front: list[dict[str, Any]] = field(default_factory=list)
    compression: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    n_evals: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    energy_unit: str = ""

    def summary(self) -> str:
        """A few lines for the terminal: the design against the baseline.

        Example:
            >>> print(DesignResult(problem="h2", method="adapt", two_qubit_gates=10, parameters=1).summary())
            h2: adapt on ? -> 1 parameters, 10 two-qubit gates, depth 0, error n/a, fidelity n/a
        """

        def fmt(v: float | None, spec: str) -> str:
            return "n/a" if v is None else format(v, spec)

        lines = [
            f"{self.problem}: {self.method} on {self.target.get('name', '?')} -> "
            f"{self.parameters} parameters, {self.two_qubit_gates} two-qubit gates, depth {self.depth}, "
            f"error {fmt(self.abs_error, '.3g')}, "
            f"fidelity {fmt(self.fidelity, '.6f')}"
        ]
        b = self.baseline
        if b:
            lines.append(
                f"  baseline {b.get('label', '')}: {b.get('parameters')} parameters, "
                f"{b.get('two_qubit_gates')} "
                f"two-qubit gates, depth {b.get('depth')}, error {fmt(b.get('abs_error'), '.3g')}, "
                f"fidelity {fmt(b.get('fidelity'), '.6f')}"
            )
            if b.get("two_qubit_gates"):
                lines.append(
                    f"  two-qubit gates: {self.two_qubit_gates / b['two_qubit_gates']:.0%} of the baseline's"
                )
        if self.target_error is not None or self.target_fidelity is not None:
            lines.append(f"  targets {'reached' if self.reached else 'NOT reached'}: {self.message}")
        return "\n".join(lines)


register_kind(DesignResult)

__all__ = ["DesignResult"]
