"""ADAPT-VQE (Grimsley et al., Nat. Commun. 10, 3007, 2019): grow the ansatz one pool operator at a time.

Each step computes ``dE/dtheta_k`` at ``theta_k = 0`` for every pool operator ``A_k``
appended to the current circuit, appends the one with the largest magnitude, and
re-optimises all parameters (warm-started from the previous optimum, the new angle at
zero). It stops when the pool-gradient norm falls below ``grad_tol`` or after
``max_ops`` operators.

All pool gradients come from ONE forward and backward pass: the circuit with *every*
pool fragment appended, each with its own angle, all at zero. Each fragment is the
identity at zero angle, so ``dE/dtheta_k`` of that circuit equals the gradient with
``A_k`` appended alone (this equals the commutator expression ``<psi|[H, A_k]|psi>``
up to the generator's normalisation, without forming commutators).

TETRIS-ADAPT (Anastasiou et al., 2022; ``tetris=True``): each step appends, besides the
operator of largest gradient, every further operator (by decreasing gradient magnitude,
gradient above ``1e-8``) whose wires are disjoint from those already chosen in that step,
so a step fills the register like a layer and the circuit grows in fewer, shallower steps.

Pools (``pool=``): ``"auto"`` (Givens excitations for molecules, the minimal complete
Pauli pool of Tang et al. otherwise), the excitation kinds ``"givens"``, ``"fermionic"``,
``"qubit"`` (qubit-ADAPT), the Pauli kinds ``"minimal"``, ``"y"``, ``"xy"``, ``"real2"``,
``"all2"`` (see :mod:`qml.templates.chemistry`), or a list of one-weight circuits.

Example:
    >>> from qml.problems import get_problem
    >>> r = adapt_vqe(get_problem("h2"), max_ops=4, grad_tol=1e-5, seed=0)
    >>> r.selected, r.abs_error < 1e-6
    (['double(0, 1, 2, 3)'], True)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.optimize.optimizers import Objective, minimize, settings_dict
from qml.optimize.results import AdaptResult, versions
from qml.optimize.vqe import ProblemLike, as_problem
from qml.problems.problem import Problem
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

#: Pool names understood by :func:`adapt_vqe`.
POOLS: tuple[str, ...] = ("auto", "givens", "fermionic", "qubit", "minimal", "y", "xy", "real2", "all2")


def make_pool(problem: Problem, pool: str | Sequence[Circuit] = "auto") -> tuple[list[Circuit], str]:
    """The operator pool (one-weight circuits) and its label.

    Example:
        >>> from qml.problems import get_problem
        >>> frags, label = make_pool(get_problem("h2"))
        >>> label, [f.name for f in frags]
        ('givens', ['single(0, 2)', 'single(1, 3)', 'double(0, 1, 2, 3)'])
    """
    from qml.templates import excitation_pool, pauli_pool

    n = problem.n_wires
    if isinstance(pool, str):
        if pool not in POOLS:
            raise ConfigError(
                f"unknown pool {pool!r}; valid choices: {', '.join(POOLS)} or a list of circuits"
            )
        kind = pool
        if kind == "auto":
            kind = "givens" if "n_electrons" in problem.info else "minimal"
        if kind in ("givens", "fermionic", "qubit"):
            if "n_electrons" not in problem.info:
                raise ConfigError(
                    f"the {kind!r} pool needs a molecular problem (electron count); for spin models use "
                    "'minimal', 'y', 'xy', 'real2' or 'all2'"
                )
            return excitation_pool(problem.info["n_electrons"], n, kind), kind
        return pauli_pool(n, kind), kind
    frags = list(pool)
    if not frags:
        raise ConfigError("the pool is empty; give at least one one-weight circuit")
    for k, f in enumerate(frags):
        if not isinstance(f, Circuit) or f.n_weights != 1 or f.n_inputs or f.n_wires != n:
            raise ConfigError(
                f"pool entry {k} must be a Circuit on {n} wires with exactly one weight and no inputs "
                f"(like qml.templates.pauli_pool fragments), got {f!r}"
            )
    return frags, "custom"


def pool_gradients(
    circuit: Circuit,
    weights: torch.Tensor,
    pool: Sequence[Circuit],
    objective_hamiltonian: Any,
    simulator: Simulator | None = None,
) -> torch.Tensor:
    """``dE/dtheta_k`` at ``theta_k = 0`` for every pool fragment appended to ``circuit`` (one pass).

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("h2")
        >>> frags, _ = make_pool(p)
        >>> g = pool_gradients(p.reference, torch.zeros(0), frags, p.hamiltonian)
        >>> [round(abs(x), 6) for x in g.tolist()]  # singles vanish at Hartree-Fock (Brillouin)
        [0.0, 0.0, 0.18121]
    """
    sim = simulator if simulator is not None else Simulator()
    big = circuit
    for frag in pool:
        big = big.then(frag)
    base = weights.detach().to(torch.float64).reshape(-1)
    w = torch.cat([base, torch.zeros(len(pool), dtype=torch.float64)]).requires_grad_(True)
    e = sim.expval(big, objective_hamiltonian, w)
    (g,) = torch.autograd.grad(e, w)
    return g[base.numel() :].detach()


def _tetris_choice(pool: Sequence[Circuit], mags: torch.Tensor, first: int) -> list[int]:
    """The operator ``first`` plus, by decreasing ``mags``, every operator on wires not yet taken."""
    taken = {w for op in pool[first].ops for w in op.wires}
    chosen = [first]
    for j in torch.argsort(mags, descending=True).tolist():
        if j == first or float(mags[j]) <= 1e-8:
            continue
        wires = {w for op in pool[j].ops for w in op.wires}
        if not wires & taken:
            chosen.append(j)
            taken |= wires
    return chosen


def adapt_vqe(
    problem: ProblemLike,
    pool: str | Sequence[Circuit] = "auto",
    max_ops: int = 20,
    grad_tol: float = 1e-3,
    seed: int = 0,
    *,
    optimizer: str = "lbfgs",
    steps: int = 200,
    lr: float | None = None,
    tol: float | None = None,
    reference: Circuit | None = None,
    allow_repeats: bool = True,
    simulator: Simulator | None = None,
    callback: Callable[[int, float, str], Any] | None = None,
    options: dict[str, Any] | None = None,
    tetris: bool = False,
    stop_when: Callable[[Circuit, torch.Tensor, float], bool] | None = None,
) -> AdaptResult:
    """Grow an ansatz from a pool until the energy gradient of every pool operator is small.

    Args:
        problem: A problem (or ``(H, reference circuit)``).
        pool: A pool name (:data:`POOLS`) or a list of one-weight circuits.
        max_ops: Maximum number of operators to append.
        grad_tol: Stop when the L2 norm of the pool gradients is below this.
        seed: Seed recorded with the result and passed to the optimiser (ADAPT itself is
            deterministic: new angles start at zero).
        optimizer: Optimiser for the re-optimisation after each growth step.
        steps: Maximum iterations per re-optimisation.
        lr: Optimiser learning rate.
        tol: Optimiser tolerance.
        reference: Reference state circuit (default: the problem's, e.g. Hartree-Fock).
        allow_repeats: Whether an operator may be chosen again.
        simulator: Simulator settings.
        callback: ``callback(step, energy, operator_name)`` after each growth step;
            return ``True`` to stop.
        options: Optimiser options.
        tetris: Append several operators on disjoint wires per step (TETRIS-ADAPT).
        stop_when: ``stop_when(circuit, weights, energy)`` after each growth step; ``True``
            stops (message ``"target reached"``), e.g. an accuracy target.

    Returns:
        An :class:`AdaptResult` with the grown circuit, weights, energies per step,
        gradient norms, chosen operators, operators added per step (``step_sizes``) and
        the weights after each step (``step_weights``).

    Raises:
        ValueError: For a bad pool, ``max_ops`` or ``grad_tol``.

    Example:
        >>> from qml.problems import get_problem
        >>> r = adapt_vqe(get_problem("h2", bond_length=1.5), grad_tol=1e-5)
        >>> r.n_params <= 3 and r.abs_error < 1.6e-3
        True
    """
    t0 = time.perf_counter()
    prob = as_problem(problem)
    if isinstance(max_ops, bool) or not isinstance(max_ops, int) or max_ops < 0:
        raise ConfigError(f"max_ops must be an integer >= 0, got {max_ops!r}")
    if not grad_tol > 0:
        raise ConfigError(f"grad_tol must be > 0, got {grad_tol!r}")
    frags, pool_label = make_pool(prob, pool)
    sim = simulator if simulator is not None else Simulator()
    ref = reference if reference is not None else prob.reference
    if ref is None and prob.name == "custom":
        ref = prob.ansatz()
    circuit = ref if ref is not None else Circuit(prob.n_wires)
    if circuit.n_weights:
        raise ConfigError("the reference circuit must have no weights (it prepares a fixed state)")
    circuit = Circuit(prob.n_wires, circuit.ops, 0, name="adapt")
    H = prob.hamiltonian
    w = torch.zeros(0, dtype=torch.float64)
    with torch.no_grad():
        energies = [float(sim.expval(circuit, H))]
    norms: list[float] = []
    maxes: list[float] = []
    selected: list[str] = []
    indices: list[int] = []
    step_sizes: list[int] = []
    step_weights: list[list[float]] = []
    n_evals = 1
    converged, message = False, f"reached max_ops={max_ops}"
    for step in range(max_ops):
        g = pool_gradients(circuit, w, frags, H, sim)
        n_evals += 1
        norm = float(torch.linalg.vector_norm(g))
        norms.append(norm)
        mags = g.abs().clone()
        if not allow_repeats:
            for k in indices:
                mags[k] = -1.0
        k = int(torch.argmax(mags))
        maxes.append(float(g.abs().max()))
        log.info(
            "adapt step %d: gradient norm %.3e, best %s (%.3e)", step, norm, frags[k].name, float(mags[k])
        )
        if norm < grad_tol:
            converged, message = True, f"gradient norm {norm:.3g} below grad_tol={grad_tol:g}"
            break
        if float(mags[k]) < 0:
            message = "every pool operator was used (allow_repeats=False)"
            break
        chosen = _tetris_choice(frags, mags, k) if tetris else [k]
        for j in chosen:
            circuit = circuit.then(frags[j])
            selected.append(frags[j].name or f"op{j}")
            indices.append(j)
        obj = Objective(circuit, H, sim, seed=seed)
        w0 = torch.cat([w, torch.zeros(len(chosen), dtype=torch.float64)])
        res = minimize(obj, w0, optimizer, steps, lr, tol, seed, None, options)
        n_evals += res.n_evals
        w = res.best_weights.to(torch.float64)
        energies.append(res.energy)
        step_sizes.append(len(chosen))
        step_weights.append(w.tolist())
        if callback is not None and callback(step, res.energy, selected[-1]):
            message = "stopped by callback"
            break
        if stop_when is not None and stop_when(circuit, w, res.energy):
            converged, message = True, "target reached"
            break
    else:
        if max_ops == 0:
            message = "max_ops=0"
    exact = prob.exact() if prob.n_wires <= 16 or prob.name != "custom" else None
    fidelity = None
    if exact is not None and exact.ground_space is not None:
        with torch.no_grad():
            fidelity = exact.fidelity(sim.state(circuit, w if w.numel() else None))
    return AdaptResult(
        energy=energies[-1],
        exact_energy=None if exact is None else exact.energy,
        fidelity=fidelity,
        energies=energies,
        gradient_norms=norms,
        max_gradients=maxes,
        selected=selected,
        selected_indices=indices,
        best_weights=w.tolist(),
        n_params=circuit.n_weights,
        n_wires=circuit.n_wires,
        circuit=circuit.to_dict(),
        converged=converged,
        message=message,
        problem=prob.label(),
        problem_name=prob.name,
        problem_params=dict(prob.params),
        pool=pool_label,
        pool_size=len(frags),
        optimizer=optimizer,
        settings={
            **settings_dict(optimizer, steps, lr, tol, options),
            "max_ops": max_ops,
            "grad_tol": grad_tol,
            "allow_repeats": allow_repeats,
            "tetris": tetris,
        },
        step_sizes=step_sizes,
        step_weights=step_weights,
        seed=seed,
        n_evals=n_evals,
        timings={"total": time.perf_counter() - t0},
        versions=versions(("pennylane",) if prob.energy_unit == "hartree" else ()),
        energy_unit=prob.energy_unit,
        extra={k: prob.info[k] for k in ("hf_energy", "active_space") if k in prob.info},
    )


__all__ = ["POOLS", "adapt_vqe", "make_pool", "pool_gradients"]
