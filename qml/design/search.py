"""One entry point for circuit design: :func:`design` runs a method and returns a :class:`DesignResult`.

Methods (:data:`METHODS`; which one ran, with its settings, is recorded in the result):

* ``"adapt"``: ADAPT-VQE with the problem's pool (Givens excitations for molecules, the
  minimal complete Pauli pool for spin models), one operator per step;
* ``"qubit-adapt"``: ADAPT-VQE over Pauli-string rotations (Tang et al. 2021: the strings
  of the excitations without their ``Z`` strings for molecules, the minimal complete pool
  otherwise);
* ``"tetris"``: TETRIS-ADAPT, several operators on disjoint wires per step;
* ``"dqas"``: differentiable architecture search over device-native gates
  (:func:`qml.design.dqas.dqas`);
* ``"evolve"``: hardware-aware growth and evolutionary pruning of device-native gates
  (:func:`qml.design.evolve.evolve`).

Every method's candidates are scored the same way (:func:`qml.design.evaluate.design_point`):
accuracy against the exact reference and two-qubit gates after transpilation to the
target. The design is the cheapest candidate that meets the targets (default: 1.6 mHa for
molecules, ground-space fidelity 0.999 for spin models), then compressed
(:func:`qml.design.compress.compress`) when that keeps it within the targets. The fixed
templates of the problem (HVA, HEA, UCCSD, ...) are scored on the same target at
increasing depth (``templates=True``); the problem's default ansatz is the ``baseline``.

Example:
    >>> from qml.problems import get_problem
    >>> r = design(get_problem("h2"), "adapt", [(0, 1), (1, 2), (2, 3)], templates=False)
    >>> r.reached, r.abs_error < 1.6e-3, r.two_qubit_gates <= r.baseline["two_qubit_gates"]
    (True, True, True)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from qml.design.evaluate import design_point, meets, optimize_circuit, pareto_front
from qml.design.result import DesignResult
from qml.design.target import Target, embed, get_target, interaction_pairs
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.optimize.results import versions
from qml.problems.problem import ExactResult, Problem

log = logging.getLogger(__name__)

#: Design methods understood by :func:`design`.
METHODS: tuple[str, ...] = ("adapt", "qubit-adapt", "tetris", "dqas", "evolve")

#: Default accuracy targets: absolute error in Hartree for molecules, ground-space fidelity otherwise.
CHEMICAL_ACCURACY = 1.6e-3
DEFAULT_FIDELITY = 0.999

Progress = Callable[[str], None]


def default_targets(
    problem: Problem,
    target_error: float | None,
    target_fidelity: float | None,
) -> tuple[float | None, float | None]:
    """The targets :func:`design` uses: the given ones, else chemical accuracy / fidelity 0.999.

    Example:
        >>> from qml.problems import get_problem
        >>> h2, tfim = get_problem("h2"), get_problem("tfim", n=4)
        >>> default_targets(h2, None, None), default_targets(tfim, None, None)
        ((0.0016, None), (None, 0.999))
    """
    for name, v in (("target_error", target_error), ("target_fidelity", target_fidelity)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0):
            raise ConfigError(f"{name} must be a positive number, got {v!r}")
    if target_fidelity is not None and target_fidelity > 1:
        raise ConfigError(f"target_fidelity is a fidelity in (0, 1], got {target_fidelity!r}")
    if target_error is not None or target_fidelity is not None:
        return target_error, target_fidelity
    if problem.energy_unit == "hartree":
        return CHEMICAL_ACCURACY, None
    return None, DEFAULT_FIDELITY


def template_rows(
    problem: Problem,
    target: Target,
    layouts: Sequence[Sequence[int] | None],
    exact: ExactResult,
    seed: int = 0,
    max_layers: int | None = None,
    optimization_level: int = 1,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """The problem's fixed ansaetze at depths ``1..max_layers`` (default: its default depth + 1), scored.

    Molecular ansaetze (UCCSD, all singles and doubles) are scored at one layer.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=4, periodic=False)
        >>> rows = template_rows(p, get_target([(0, 1), (1, 2), (2, 3)]), [None], p.exact(), max_layers=1)
        >>> [r["label"] for r in rows]
        ['hva L=1', 'hea L=1', 'hva-sb L=1']
    """
    molecular = "n_electrons" in problem.info
    top = 1 if molecular else (max_layers if max_layers is not None else problem.default_layers + 1)
    rows = []
    for name in problem.ansatz_names:
        for layers in range(1, top + 1):
            rows.append(template_row(problem, name, layers, target, layouts, exact, seed, optimization_level))
            if progress is not None:
                r = rows[-1]
                progress(
                    f"template {r['label']}: {r['two_qubit_gates']} two-qubit gates, "
                    f"error {r['abs_error']:.3g}"
                )
    return rows


def template_row(
    problem: Problem,
    name: str,
    layers: int,
    target: Target,
    layouts: Sequence[Sequence[int] | None],
    exact: ExactResult,
    seed: int = 0,
    optimization_level: int = 1,
) -> dict[str, Any]:
    """One fixed ansatz at one depth: optimised (seeded start + 2 restarts), scored, costed.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("h2")
        >>> row = template_row(p, "uccsd", 1, get_target([(0, 1), (1, 2), (2, 3)]), [None], p.exact())
        >>> row["abs_error"] < 1e-6
        True
    """
    t0 = time.perf_counter()
    circuit = problem.ansatz(layers, name)
    w0 = problem.initial_weights(seed, circuit)
    w, _, n_evals = optimize_circuit(problem.hamiltonian, circuit, w0, seed, restarts=2)
    return design_point(
        f"{name} L={layers}",
        f"template:{name}",
        problem,
        circuit,
        w,
        exact,
        target,
        layouts,
        optimization_level,
        time.perf_counter() - t0,
        ansatz=name,
        layers=layers,
        n_evals=n_evals,
    )


def _adaptive(
    problem: Problem,
    method: str,
    t: Target,
    lay: list[int],
    exact: ExactResult,
    target_error: float | None,
    target_fidelity: float | None,
    seed: int,
    optimization_level: int,
    options: dict[str, Any],
    progress: Progress,
) -> tuple[list[dict[str, Any]], list[tuple[Circuit, list[float]]], dict[str, Any]]:
    from qml.design.evaluate import score
    from qml.optimize.adapt import adapt_vqe, make_pool

    molecular = "n_electrons" in problem.info
    pool = options.pop("pool", None) or (
        "qubit" if method == "qubit-adapt" and molecular else "minimal" if method == "qubit-adapt" else "auto"
    )
    settings = {"max_ops": 60, "grad_tol": 1e-6, **options}

    def stop(circuit: Circuit, w: torch.Tensor, energy: float) -> bool:
        s = score(problem, circuit, w, exact)
        progress(f"{method}: {circuit.n_weights} operators, error {s['abs_error']:.3g}")
        return meets(s, target_error, target_fidelity)

    t0 = time.perf_counter()
    res = adapt_vqe(problem, pool, seed=seed, tetris=method == "tetris", stop_when=stop, **settings)
    frags, label = make_pool(problem, pool)
    circuit = Circuit(problem.n_wires, problem.reference.ops if problem.reference is not None else (), 0)
    rows: list[dict[str, Any]] = []
    circuits: list[tuple[Circuit, list[float]]] = []
    done = 0
    for step, (size, w) in enumerate(zip(res.step_sizes, res.step_weights, strict=True)):
        for k in res.selected_indices[done : done + size]:
            circuit = circuit.then(frags[k])
        done += size
        rows.append(
            design_point(
                f"{method} step {step + 1}",
                method,
                problem,
                circuit,
                w,
                exact,
                t,
                [None, lay],
                optimization_level,
                None,
                operators=done,
            )
        )
        circuits.append((circuit, list(w)))
    details = {
        "pool": label,
        "pool_size": len(frags),
        "selected": res.selected,
        "step_sizes": res.step_sizes,
        "adapt_message": res.message,
        "adapt_seconds": time.perf_counter() - t0,
        "n_evals": res.n_evals,
    }
    return rows, circuits, details


def design(
    problem: Problem,
    method: str = "adapt",
    target: Target | str | Sequence[Sequence[int]] = "fake_kolkata",
    *,
    target_error: float | None = None,
    target_fidelity: float | None = None,
    seed: int = 0,
    layout: Sequence[int] | None = None,
    optimization_level: int = 1,
    templates: bool = True,
    max_template_layers: int | None = None,
    baseline_ansatz: str | None = None,
    compress: bool = True,
    executor: Any = None,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
) -> DesignResult:
    """Design the cheapest circuit on ``target`` that reaches the accuracy targets.

    Args:
        problem: A problem with an exact reference (spin model or molecule).
        method: One of :data:`METHODS`.
        target: Fake backend name (``"fake_kolkata"``, ...) or coupling list.
        target_error: Absolute energy error to reach (the problem's unit; Hartree for molecules).
        target_fidelity: Ground-space fidelity to reach.
        seed: Seed of every stochastic step (recorded).
        layout: Physical qubit of each wire (default: a path chosen by :func:`~qml.design.target.embed`).
        optimization_level: Transpiler level for every count.
        templates: Also score the fixed templates (for the Pareto front).
        max_template_layers: Deepest template (default: the problem's default depth + 1).
        baseline_ansatz: Ansatz of the ``baseline`` (default: the problem's default ansatz,
            at its default depth).
        compress: Try :func:`qml.design.compress.compress` on the design.
        executor: A :mod:`qml.parallel` executor for the candidates of ``"evolve"``.
        progress: Called with one line per search step (the CLI prints them).
        options: Method options (``max_ops``, ``grad_tol``, ``pool`` for ADAPT variants; the
            keyword arguments of :func:`~qml.design.evolve.evolve` or :func:`~qml.design.dqas.dqas`).

    Raises:
        ValueError: For an unknown method, bad targets, a problem without an exact reference
            or a target smaller than the problem.

    Example:
        >>> from qml.problems import get_problem
        >>> r = design(get_problem("tfim", n=4, periodic=False), "evolve", [(0, 1), (1, 2), (2, 3)],
        ...            templates=False, options={"generations": 1, "population": 2})
        >>> r.reached and r.fidelity >= 0.999
        True
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise ConfigError(f"unknown design method {method!r}; valid methods: {', '.join(METHODS)}")
    target_error, target_fidelity = default_targets(problem, target_error, target_fidelity)
    t = get_target(target)
    n = problem.n_wires
    lay = list(layout) if layout is not None else embed(n, t, interaction_pairs(problem.hamiltonian))
    exact = problem.exact()
    if exact.ground_space is None and target_fidelity is not None:
        raise ConfigError(
            f"{problem.label()} has no exact ground state for a fidelity target; give target_error"
        )
    say: Progress = progress or (lambda line: log.info("%s", line))
    opts = dict(options or {})
    details: dict[str, Any] = {}
    if method in ("adapt", "qubit-adapt", "tetris"):
        history, circuits, details = _adaptive(
            problem, method, t, lay, exact, target_error, target_fidelity, seed, optimization_level, opts, say
        )
        if not history:
            raise ConfigError(f"{method} appended no operator (the reference already has zero pool gradient)")
        feasible = [i for i, r in enumerate(history) if meets(r, target_error, target_fidelity)]
        pick = (
            min(feasible, key=lambda i: (history[i]["two_qubit_gates"], history[i]["abs_error"]))
            if feasible
            else min(range(len(history)), key=lambda i: history[i]["abs_error"])
        )
        circuit, weights = circuits[pick]
        row = history[pick]
        n_evals = details.pop("n_evals")
        message = details["adapt_message"]
    elif method == "evolve":
        from qml.design.evolve import evolve

        out = evolve(
            problem,
            t,
            lay,
            target_error=target_error,
            target_fidelity=target_fidelity,
            seed=seed,
            optimization_level=optimization_level,
            exact=exact,
            executor=executor,
            progress=say,
            **opts,
        )
        history, circuit, weights, row, n_evals = out.history, out.circuit, out.weights, out.row, out.n_evals
        message = out.message
        details = {"genome": out.genome, "kinds": [list(k) for k in out.kinds], **out.settings}
    else:
        from qml.design.dqas import dqas

        out_d = dqas(problem, t, lay, seed=seed, exact=exact, **opts)
        circuit, weights = out_d.circuit, list(out_d.weights)
        row = design_point(
            "dqas argmax",
            "dqas",
            problem,
            circuit,
            weights,
            exact,
            t,
            [lay],
            optimization_level,
            out_d.seconds,
        )
        history, n_evals = [row], out_d.n_evals
        message = f"trained {len(out_d.history)} steps, argmax architecture refined"
        details = {
            "architecture": [list(a) for a in out_d.architecture],
            "training": out_d.history,
            "settings": out_d.settings,
        }
    compression: dict[str, Any] = {}
    if compress and circuit.n_weights:
        from qml.design.compress import compress as compress_circuit

        comp = compress_circuit(
            problem,
            circuit,
            weights,
            exact=exact,
            target=t,
            layout=row["layout"],
            optimization_level=optimization_level,
            seed=seed,
        )
        compression = comp.to_dict()
        after = dict(comp.after)
        if (
            comp.circuit != circuit
            and meets(after, target_error, target_fidelity) == meets(row, target_error, target_fidelity)
            and after["two_qubit_gates"] <= row["two_qubit_gates"]
            and after["parameters"] <= row["parameters"]
        ):
            circuit, weights = comp.circuit, list(comp.weights)
            row = {**row, **after, "label": f"{row['label']} compressed"}
            history.append(row)
            compression["adopted"] = True
        else:
            compression["adopted"] = False
        say(
            f"compression: {comp.before['parameters']} -> {comp.after['parameters']} parameters, "
            f"{comp.before['two_qubit_gates']} -> {comp.after['two_qubit_gates']} two-qubit gates "
            f"({'adopted' if compression['adopted'] else 'not adopted'})"
        )
    layouts: list[Sequence[int] | None] = [None, lay]
    names = problem.ansatz_names
    base_name = baseline_ansatz or names[0]
    if base_name not in names:
        raise ConfigError(f"unknown baseline ansatz {base_name!r}; {problem.name} has: {', '.join(names)}")
    base_layers = 1 if "n_electrons" in problem.info else problem.default_layers
    template_list = (
        template_rows(problem, t, layouts, exact, seed, max_template_layers, optimization_level, say)
        if templates
        else []
    )
    baseline = next((r for r in template_list if r["label"] == f"{base_name} L={base_layers}"), None)
    if baseline is None:
        baseline = template_row(problem, base_name, base_layers, t, layouts, exact, seed, optimization_level)
    reached = meets(row, target_error, target_fidelity)
    if not reached:
        message = f"targets not reached: {message}"
    return DesignResult(
        problem=problem.label(),
        problem_name=problem.name,
        problem_params=dict(problem.params),
        method=method,
        target=t.describe(),
        optimization_level=optimization_level,
        circuit=circuit.to_dict(),
        best_weights=[float(x) for x in weights],
        parameters=circuit.n_weights,
        energy=row["energy"],
        exact_energy=exact.energy,
        exact_method=exact.method,
        abs_error=row["abs_error"],
        rel_error=row["rel_error"],
        fidelity=row["fidelity"],
        two_qubit_gates=row["two_qubit_gates"],
        depth=row["depth"],
        two_qubit_depth=row["two_qubit_depth"],
        layout=list(row["layout"]),
        target_error=target_error,
        target_fidelity=target_fidelity,
        reached=reached,
        baseline=baseline,
        history=history,
        templates=template_list,
        front=pareto_front(history + template_list),
        compression=compression,
        message=message,
        settings={
            "options": opts,
            "layout": lay,
            "templates": templates,
            "compress": compress,
            "baseline_ansatz": base_name,
            "executor": None if executor is None else executor.describe(),
            "details": details,
        },
        seed=seed,
        n_evals=n_evals,
        timings={"total": time.perf_counter() - t0},
        versions=versions(("qiskit", "pennylane") if problem.energy_unit == "hartree" else ("qiskit",)),
        energy_unit=problem.energy_unit,
    )


__all__ = [
    "CHEMICAL_ACCURACY",
    "DEFAULT_FIDELITY",
    "METHODS",
    "default_targets",
    "design",
    "template_row",
    "template_rows",
]
