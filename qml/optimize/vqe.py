"""The variational quantum eigensolver :func:`vqe`; parameter sweeps with continuation (:func:`vqe_sweep`).

``vqe`` takes a :class:`~qml.problems.Problem` (its natural ansatz, initial weights and
sector-resolved exact reference are used) or a pair ``(hamiltonian, circuit)``, runs one
of the optimisers of :mod:`qml.optimize.optimizers`, and returns a
:class:`~qml.optimize.results.VQEResult` with the energy, the history, the best weights,
the error against the exact energy, the fidelity with the exact ground space, seeds,
settings, timings and versions.

``vqe_sweep`` runs VQE along a parameter path (a bond-dissociation curve, a field
sweep), starting each point from the previous optimum (continuation), which keeps the
optimiser on the adiabatically connected branch and needs far fewer iterations than
cold starts.

Example:
    >>> from qml.problems import get_problem
    >>> res = vqe(get_problem("tfim", n=4, h=1.0), "lbfgs", steps=100, seed=0)
    >>> res.rel_error < 1e-8, res.fidelity > 0.9999
    (True, True)
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from qml.errors import ConfigError
from qml.ir import Circuit
from qml.optimize.depth import DepthSearch, grow_depth
from qml.optimize.optimizers import Callback, Checkpoint, Objective, minimize, settings_dict
from qml.optimize.results import SweepResult, VQEResult, versions
from qml.paulis import PauliSum
from qml.problems.problem import ExactResult, Problem
from qml.sim.simulator import Simulator

if TYPE_CHECKING:
    from qml.symmetry import Reachability

log = logging.getLogger(__name__)

ProblemLike = Problem | tuple[PauliSum, Circuit]
#: ``restart_callback(done, restarts, energy, exact)`` of :func:`vqe` (see there).
RestartCallback = Callable[[int, int, float | None, float | None], Any]
InitLike = str | Sequence[float] | np.ndarray | torch.Tensor | VQEResult | None


def as_problem(problem: ProblemLike) -> Problem:
    """A :class:`Problem` from a Problem or a ``(hamiltonian, circuit)`` pair.

    The pair becomes a ``"custom"`` problem whose only ansatz is the circuit and whose
    exact reference is unrestricted exact diagonalisation (degenerate levels kept whole).

    Example:
        >>> from qml.paulis import pauli
        >>> from qml.ir import Circuit, W
        >>> p = as_problem((pauli("Z0"), Circuit(1).add("RY", 0, W(0))))
        >>> p.name, p.ansatz().n_weights
        ('custom', 1)
    """
    if isinstance(problem, Problem):
        return problem
    if isinstance(problem, tuple) and len(problem) == 2:
        H, circuit = problem
        if isinstance(H, str):
            H = PauliSum.parse(H)
        if not isinstance(H, PauliSum) or not isinstance(circuit, Circuit):
            raise ConfigError(
                "a custom problem is a pair (PauliSum, Circuit); got "
                f"({type(H).__name__}, {type(circuit).__name__})"
            )
        n = max(circuit.n_wires, H.n_wires)
        return Problem(
            name="custom",
            hamiltonian=H,
            n_wires=n,
            params={},
            description=f"custom Hamiltonian with {len(H)} terms on {n} qubits",
            ansatze={circuit.name or "circuit": lambda layers: circuit},
            info={"shown": []},
        )
    raise ConfigError(
        f"problem must be a qml.problems.Problem (see get_problem) or a (PauliSum, Circuit) pair, "
        f"got {type(problem).__name__}"
    )


def _initial(problem: Problem, circuit: Circuit, init: InitLike, seed: int) -> tuple[torch.Tensor, str]:
    from qml.templates import INIT_STRATEGIES, init_weights

    if init is None or (isinstance(init, str) and init == "problem"):
        return problem.initial_weights(seed, circuit), "problem"
    if isinstance(init, str):
        if init not in INIT_STRATEGIES:
            raise ConfigError(
                f"unknown init {init!r}; valid choices: 'problem', {', '.join(map(repr, INIT_STRATEGIES))}, "
                "or a weight vector / VQEResult for a warm start"
            )
        scale = 0.1 if init == "uniform" else None
        return init_weights(circuit, init, seed=seed, scale=scale), init
    w = init.weights if isinstance(init, VQEResult) else init
    t = w.detach().clone() if isinstance(w, torch.Tensor) else torch.as_tensor(np.asarray(w, dtype=float))
    t = t.to(torch.float64).reshape(-1)
    if t.numel() != circuit.n_weights:
        raise ConfigError(
            f"the warm-start weights have {t.numel()} entries but the ansatz has {circuit.n_weights} "
            "weights; use the same ansatz and layers as the run they came from"
        )
    return t, "warm"


def _exact(problem: Problem, exact: ExactResult | float | bool | None) -> tuple[ExactResult | None, float]:
    t0 = time.perf_counter()
    if exact is False:
        return None, 0.0
    if isinstance(exact, ExactResult):
        return exact, 0.0
    if isinstance(exact, (int, float)) and not isinstance(exact, bool):
        return ExactResult(float(exact), None, np.empty(0), "given", None), 0.0
    if problem.name == "custom" and problem.n_wires > 16:
        return None, 0.0
    return problem.exact(), time.perf_counter() - t0


def _read_final_state(
    sim: Simulator,
    circuit: Circuit,
    weights: Any,
    hamiltonian: PauliSum,
    ref: ExactResult | None,
    observables: bool,
) -> tuple[float | None, dict[str, Any]]:
    """The fidelity with the reference and what is read off the optimised state (for ``extra``).

    The statevector is built only when something needs it (a reference ground space, or
    ``observables``). With ``method="mps"`` the final MPS is kept: its truncation record and
    bond dimensions go into ``extra["mps"]``, its fidelity is taken with the ED ground space
    (up to 20 wires) or MPS-to-MPS with DMRG's state, and the observables come from the MPS.
    """
    extra: dict[str, Any] = {}
    reference = None if ref is None else (ref.ground_space if ref.ground_space is not None else ref.mps)
    if sim.mps is not None:
        from qml.mps import entanglement_profile

        with torch.no_grad():
            state = sim.mps.run(circuit, weights)
            check = sim.mps.expval_with_error(circuit, hamiltonian, weights)
            profile = entanglement_profile(state)
        extra["mps"] = {
            "bond_dim": int(sim.mps.bond_dim),
            "cutoff": float(sim.mps.cutoff),
            "max_bond": int(state.max_bond),
            "bond_dims": state.bond_dims(),
            "truncation_error": float(state.truncation_error),
            "energy_error_bound": float(check.error_bound),
            "entropy_max": float(profile.max()) if profile.numel() else 0.0,
        }
    elif (ref is not None and ref.ground_space is not None) or observables:
        with torch.no_grad():
            state = sim.state(circuit, weights)
    else:
        return None, extra
    fidelity = None if ref is None else ref.fidelity(state)
    if fidelity is not None and ref is not None:
        extra["fidelity_to"] = "ground space" if ref.ground_space is not None else f"{ref.method} state"
    if observables:
        from qml.readout import compare_with_exact
        from qml.readout import observables as read

        dense_ref = ref is not None and ref.ground_space is not None
        usable = reference is not None and (dense_ref or sim.mps is not None)  # DMRG's state: MPS to MPS
        extra["observables"] = compare_with_exact(state, reference) if usable else read(state)
    return fidelity, extra


def _reachability(
    prob: Problem, circuit: Circuit, ref: ExactResult | None, seed: int, strict: bool
) -> Reachability | None:
    """The symmetry diagnostic before optimising: warn (or raise) when the ground space is out of reach."""
    if ref is None or ref.ground_space is None:
        return None
    from qml.symmetry import UnreachableGroundStateWarning, check_reachable

    reach = check_reachable(prob.hamiltonian, circuit, ref.ground_space, seed=seed)
    if not reach.reachable:
        msg = f"{prob.label()}: {reach.reason}"
        if strict:
            raise ConfigError(msg)
        warnings.warn(msg, UnreachableGroundStateWarning, stacklevel=3)
    return reach


def vqe(
    problem: ProblemLike,
    optimizer: str = "lbfgs",
    steps: int = 200,
    lr: float | None = None,
    seed: int = 0,
    init: InitLike = None,
    callback: Callback | None = None,
    tol: float | None = None,
    *,
    ansatz: str | Circuit | None = None,
    layers: int | str | None = None,
    simulator: Simulator | None = None,
    shots: int | None = None,
    restarts: int = 1,
    options: dict[str, Any] | None = None,
    exact: ExactResult | float | bool | None = None,
    log_every: int = 10,
    depth: DepthSearch | None = None,
    strict: bool = False,
    observables: bool = False,
    executor: Any = None,
    checkpoint: str | None = None,
    resume: bool = False,
    restart_callback: RestartCallback | None = None,
) -> VQEResult:
    """Minimise ``<psi(w)|H|psi(w)>`` over the weights of an ansatz.

    Args:
        problem: A :class:`~qml.problems.Problem` or a ``(PauliSum, Circuit)`` pair.
        optimizer: One of :data:`qml.optimize.OPTIMIZERS` (``"adam"``, ``"lbfgs"``,
            ``"spsa"``, ``"cobyla"``, ``"bfgs"``, ``"qng"``...).
        steps: Maximum optimiser iterations.
        lr: Learning rate / step scale (optimiser default when ``None``).
        seed: Seed of the initial weights, SPSA perturbations and shot sampling.
        init: ``None`` (the problem's initialisation), a strategy of
            :func:`qml.templates.init_weights` (``"uniform"`` uses scale 0.1), or a weight
            vector / :class:`VQEResult` to warm-start from.
        callback: ``callback(step, energy, weights)``; return ``True`` to stop.
        tol: Convergence tolerance of the optimiser.
        ansatz: Ansatz name of the problem (see ``problem.ansatz_names``) or a circuit.
        layers: Ansatz layers (default: the problem's), or ``"auto"``: grow the ansatz layer
            by layer, warm-starting each depth from the last, until the ``depth`` targets
            are met (see :mod:`qml.optimize.depth`).
        simulator: Simulator settings (default complex128 on CPU, ``diff="auto"``);
            ``Simulator(method="mps", bond_dim=chi)`` for chains beyond the statevector: the
            result then carries ``extra["mps"]`` (bond dimensions, discarded weight, energy error
            bound), its fidelity is MPS to MPS with DMRG's state above 20 qubits
            (``extra["fidelity_to"]``), and observables come from the MPS.
        shots: Estimate energies for gradient-free optimisers from this many shots per
            measurement group (gradients stay exact); ``None``: exact energies.
        checkpoint: A file where the optimiser state is saved (every 10 iterations with Adam/SGD,
            and on Ctrl-C); see :class:`~qml.optimize.optimizers.Checkpoint`. One restart, a fixed depth.
        resume: Continue from ``checkpoint`` when it exists (Adam/SGD: exactly the numbers of an
            uninterrupted run; L-BFGS: from the best weights with the remaining iterations).
        executor: Run the ``restarts`` on a :mod:`qml.parallel` executor (``make_executor("local",
            workers=2)``, a Dask scheduler, SLURM...): each restart is one task (a registry problem and
            an ansatz by name only); the result is the same as running them here.
        restarts: Number of seeds to try (``seed``, ``seed + 1``, ...); the lowest
            energy wins. A warm start is used for the first run only.
        options: Extra optimiser options (see :func:`qml.optimize.minimize`).
        exact: ``None`` (compute the problem's exact reference), ``False`` (skip), an
            :class:`~qml.problems.ExactResult` or a number.
        log_every: Log progress every this many evaluations.
        depth: Targets and budgets of ``layers="auto"`` (default :class:`DepthSearch()`:
            relative error <= 1e-3 and ground-space fidelity >= 0.99).
        strict: Raise instead of warn when the ansatz cannot reach the ground space.
        observables: Also record, in ``result.extra["observables"]``, the correlations,
            total spin, staggered magnetisation, structure factor and entanglement entropies
            of the optimised state beside their exact values (:func:`qml.readout.compare_with_exact`).
        restart_callback: ``restart_callback(done, restarts, energy, exact)``: once before the first
            restart (``done = 0``, ``energy = None``) and after each finished restart with its energy;
            ``exact`` is the exact reference energy (``None`` when unknown). With an ``executor`` it is
            called here as each restart task completes. Progress bars use it (restart ``done + 1`` of
            ``restarts`` is running). With ``layers="auto"`` it restarts its count at every depth.

    Before optimising, the quantities the ansatz conserves (total ``Sz``, parities, total
    spin; found from its gates and initial state, see :mod:`qml.symmetry`) are compared
    with the exact ground level: an ansatz confined to a sector the ground level does not
    touch gets an :class:`~qml.symmetry.UnreachableGroundStateWarning` saying what is
    conserved, its value, the ground level's values and what to use instead; the result
    then has ``reachable=False`` and ``converged=False``.

    Returns:
        A :class:`VQEResult`.

    Raises:
        ValueError: For an unknown optimiser, ansatz or init, mismatched warm-start weights,
            or (with ``strict=True``) an ansatz that cannot reach the ground space.

    Example:
        >>> from qml.problems import get_problem
        >>> r = vqe(get_problem("h2"), "lbfgs", steps=50)
        >>> r.abs_error < 1e-6, r.n_params
        (True, 3)
    """
    t_start = time.perf_counter()
    prob = as_problem(problem)
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise ConfigError(f"restarts must be an integer >= 1, got {restarts!r}")
    if checkpoint is not None and (restarts != 1 or layers == "auto" or executor is not None):
        raise ConfigError(
            "checkpoint works with one restart at a fixed depth in this process; "
            "drop restarts / layers='auto' / executor, or the checkpoint"
        )
    if resume and checkpoint is None:
        raise ConfigError("resume needs checkpoint=<file> (the state to continue from)")
    if executor is not None:
        return _restarts_on(
            executor,
            prob,
            optimizer,
            steps,
            lr,
            seed,
            init,
            callback,
            tol,
            ansatz,
            layers,
            simulator,
            shots,
            restarts,
            options,
            exact,
            depth,
            strict,
            observables,
            restart_callback,
        )
    ref, t_exact = _exact(prob, exact)  # first: the ansatz's initial sector may follow the ground level
    if isinstance(layers, str):
        if layers != "auto":
            raise ConfigError(f"layers must be an integer >= 1 or 'auto', got {layers!r}")
        if isinstance(ansatz, Circuit) or prob.name == "custom":
            raise ConfigError("layers='auto' needs a problem ansatz by name (a fixed circuit has no depth)")
        search = depth if depth is not None else DepthSearch()

        stop_early = search.stop_at_target and search.target_fidelity is None and ref is not None
        target_energy = None if ref is None else ref.energy + search.target_rel_error * abs(ref.energy)

        def at_target(step: int, energy: float, w: Any) -> bool:  # the energy is the whole target
            user = callback is not None and bool(callback(step, energy, w))
            assert target_energy is not None  # only used when stop_early, i.e. ref is known
            return user or energy <= target_energy

        def run(p: int, circuit: Circuit, w0: Any) -> VQEResult:
            cb = at_target if stop_early else callback
            res = vqe(
                prob,
                optimizer,
                steps,
                lr,
                seed,
                init if w0 is None else w0,
                cb,
                tol,
                ansatz=ansatz,
                layers=p,
                simulator=simulator,
                shots=shots,
                restarts=restarts if w0 is None else 1,
                options=options,
                exact=ref if ref is not None else False,
                log_every=log_every,
                strict=strict,
                observables=observables,
                restart_callback=restart_callback,
            )
            if stop_early and target_energy is not None and res.energy <= target_energy:
                res.converged = True
                res.message = "stopped at the energy target (DepthSearch.stop_at_target)"
            return res

        kind = ansatz if ansatz not in (None, "default") else prob.ansatz_names[0]
        out = grow_depth(
            run,
            lambda p: prob.ansatz(p, ansatz),
            prob.n_wires,
            search,
            ref is not None,
            schedule=str(kind).startswith("hva"),
        )
        out.timings["exact"] = t_exact
        out.timings["total"] += t_exact
        return out
    if isinstance(ansatz, Circuit):
        circuit, ansatz_name, n_layers = ansatz, ansatz.name or "circuit", layers
    else:
        circuit = prob.ansatz(layers, ansatz)
        ansatz_name = ansatz or prob.ansatz_names[0]
        n_layers = layers if layers is not None else prob.default_layers
    if prob.name == "custom":
        n_layers = None
    sim = simulator if simulator is not None else Simulator()
    reach = _reachability(prob, circuit, ref, seed, strict)

    best: tuple[float, Any, int, str, Objective] | None = None
    seeds: list[int] = []
    t_opt = time.perf_counter()
    interrupted = False
    if restart_callback is not None:
        restart_callback(0, restarts, None, None if ref is None else float(ref.energy))
    for r in range(restarts):
        s = seed + r
        seeds.append(s)
        w0, how = _initial(prob, circuit, init if r == 0 else None, s)
        obj = Objective(circuit, prob.hamiltonian, sim, shots=shots, seed=s)
        ck = None if checkpoint is None else Checkpoint(str(checkpoint), resume=resume)
        res = minimize(obj, w0, optimizer, steps, lr, tol, s, callback, options, log_every, ck)
        log.info(
            "vqe %s seed %d: energy %.12g after %d evaluations (%s)",
            prob.name,
            s,
            res.energy,
            res.n_evals,
            res.message,
        )
        if best is None or res.energy < best[0]:
            best = (res.energy, res, s, how, obj)
        if restart_callback is not None and not res.interrupted:
            restart_callback(r + 1, restarts, float(res.energy), None if ref is None else float(ref.energy))
        if res.interrupted:
            interrupted = True
            break
        if ref is not None and abs(res.energy - ref.energy) <= 1e-12 * max(1.0, abs(ref.energy)):
            break  # exact already: no need for more restarts
    assert best is not None
    energy, res, s, how, obj = best
    t_opt = time.perf_counter() - t_opt

    fidelity, final = _read_final_state(sim, circuit, res.best_weights, prob.hamiltonian, ref, observables)
    total = time.perf_counter() - t_start
    extra: dict[str, Any] = {"exact_method": None if ref is None else ref.method, **final}
    if ref is not None:
        extra["degeneracy"] = ref.degeneracy
        extra["gap"] = ref.gap
        extra["symmetry"] = ref.symmetry
    if reach is not None:
        extra["conserved"] = reach.conserved
        extra["ground_values"] = reach.ground
    converged, message = res.converged, res.message
    if reach is not None and not reach.reachable:
        converged, message = False, f"ansatz cannot reach the ground space: {reach.reason}. {message}"
    for key in ("hf_energy", "lattice", "active_space"):
        if key in prob.info:
            extra[key] = prob.info[key]
    if shots is not None:
        extra["shots"] = shots
    if interrupted:
        converged = False
        message = f"interrupted (Ctrl-C) after {len(seeds)} of {restarts} restarts; best so far"
        extra["interrupted"] = True
    result = VQEResult(
        energy=float(energy),
        history=[float(e) for e in res.history],
        best_weights=res.best_weights.tolist(),
        exact_energy=None if ref is None else float(ref.energy),
        fidelity=fidelity,
        n_params=circuit.n_weights,
        n_wires=circuit.n_wires,
        problem=prob.label(),
        problem_name=prob.name,
        problem_params=dict(prob.params),
        ansatz=ansatz_name,
        layers=n_layers,
        optimizer=str(optimizer).lower(),
        settings={
            **settings_dict(str(optimizer).lower(), steps, lr, tol, options),
            "restarts": restarts,
            "shots": shots,
            **sim.settings(),
        },
        seed=s,
        seeds=seeds,
        init=how,
        n_evals=res.n_evals,
        n_iters=res.n_iters,
        converged=converged,
        message=message,
        timings={
            "total": total,
            "exact": t_exact,
            "optimize": t_opt,
            "per_eval_ms": 1e3 * t_opt / max(1, obj.n_evals),
        },
        versions=versions(("pennylane",) if prob.energy_unit == "hartree" else ()),
        energy_unit=prob.energy_unit,
        circuit=circuit.to_dict(),
        sector=None if ref is None else ref.sector,
        reachable=None if reach is None else reach.reachable,
        reachability="" if reach is None else (reach.reason or reach.summary()),
        extra=extra,
    )
    if interrupted:
        raise Interrupted(result)
    return result


def _sweep_segments(
    name: str,
    fixed: dict[str, Any],
    param: str,
    vals: list[float],
    continuation: bool | str,
    executor: Any,
    optimizer: str,
    steps: int,
    lr: float | None,
    seed: int,
    init: Any,
    callback: Any,
    tol: float | None,
    vqe_kwargs: dict[str, Any],
    point_callback: Any = None,
) -> SweepResult:
    """:func:`vqe_sweep` as contiguous segments of tasks on an executor (see its ``continuation``)."""
    import re

    from qml.parallel import SerialExecutor, TaskSpec, run_segment
    from qml.parallel.tasks import task_fields

    if isinstance(continuation, str):
        m = re.fullmatch(r"segments:(\d+)", continuation.strip())
        if m is None or int(m[1]) < 1:
            raise ConfigError(
                f"continuation must be True, False or 'segments:K' with K >= 1, got {continuation!r}"
            )
        k = min(int(m[1]), len(vals))
    else:
        k = 1 if continuation else len(vals)
    if init is not None or callback is not None:
        raise ConfigError("a sweep in segments ships its tasks as data: init and callback are not supported")
    dtype, backend, sim_settings = task_fields(vqe_kwargs.pop("simulator", None))
    ansatz, layers = vqe_kwargs.pop("ansatz", None), vqe_kwargs.pop("layers", None)
    if isinstance(ansatz, Circuit):
        raise ConfigError("a sweep in segments needs the ansatz by name (a circuit cannot be shipped)")
    settings = {key: v for key, v in (("lr", lr), ("tol", tol)) if v is not None} | vqe_kwargs | sim_settings
    specs = [
        TaskSpec(
            name, {**fixed, param: v}, ansatz, layers, str(optimizer), steps, seed, dtype, backend, settings
        ).to_dict()
        for v in vals
    ]
    bounds = np.array_split(np.arange(len(vals)), k)
    t0 = time.perf_counter()
    done: dict[int, list[VQEResult]] = {}
    for i, out, err in (executor or SerialExecutor()).as_completed(
        run_segment, [[specs[j] for j in b] for b in bounds]
    ):
        if err is not None:
            raise err
        done[i] = []
        for j, rec in zip(bounds[i], out):
            res = VQEResult.from_dict(rec)
            res.extra.pop("task", None)
            res.extra[param] = vals[j]
            res.extra["segment"] = i
            done[i].append(res)
            if point_callback is not None:
                point_callback(int(j), vals[j], res)
    results = [res for i in range(len(bounds)) for res in done[i]]
    return SweepResult(
        param=param,
        values=vals,
        results=results,
        continuation=continuation is not False,
        timings={"total": time.perf_counter() - t0, "segments": k},
        versions=versions(),
    )


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`vqe`: ``result`` is the best result so far (``extra["interrupted"] = True``).

    A ``KeyboardInterrupt``, so code that does not look for it stops as before; the ``qml``
    command writes ``result`` and exits with status 130.

    Example:
        >>> err = Interrupted(VQEResult(energy=-1.0))
        >>> isinstance(err, KeyboardInterrupt), err.result.energy
        (True, -1.0)
    """

    def __init__(self, result: VQEResult) -> None:
        super().__init__("interrupted; the best result so far is in .result")
        self.result = result


def _restarts_on(
    executor: Any,
    prob: Problem,
    optimizer: str,
    steps: int,
    lr: float | None,
    seed: int,
    init: Any,
    callback: Any,
    tol: float | None,
    ansatz: Any,
    layers: Any,
    simulator: Simulator | None,
    shots: int | None,
    restarts: int,
    options: dict[str, Any] | None,
    exact: Any,
    depth: DepthSearch | None,
    strict: bool,
    observables: bool,
    restart_callback: RestartCallback | None = None,
) -> VQEResult:
    """One task per restart on ``executor``; the lowest energy wins (ties: the lower seed)."""
    from qml.parallel import TaskSpec, run_task
    from qml.parallel.tasks import task_fields
    from qml.problems.registry import PROBLEMS

    unsupported = {
        "init": init is not None,
        "callback": callback is not None,
        "a circuit as ansatz": isinstance(ansatz, Circuit),
        "shots": shots is not None,
        "exact": exact is not None,
        "depth": depth is not None,
    }
    if prob.name not in PROBLEMS or any(unsupported.values()):
        what = [k for k, v in unsupported.items() if v] or ["a custom problem"]
        raise ConfigError(
            f"restarts on an executor need a registry problem and options that can be shipped as data; "
            f"not {', '.join(what)}. Drop them or run without executor"
        )
    dtype, backend, sim_settings = task_fields(simulator)
    settings: dict[str, Any] = {
        k: v for k, v in (("lr", lr), ("tol", tol), ("options", options)) if v is not None
    } | sim_settings
    if strict or observables:
        settings.update(strict=strict, observables=observables)
    params = {k: v for k, v in prob.params.items() if v is not None}
    specs = [
        TaskSpec(prob.name, params, ansatz, layers, str(optimizer), steps, seed + r, dtype, backend, settings)
        for r in range(restarts)
    ]
    results: dict[int, dict[str, Any]] = {}
    if restart_callback is not None:
        restart_callback(0, restarts, None, None)
    for i, out, err in executor.as_completed(run_task, [s.to_dict() for s in specs]):
        if err is not None:
            raise err
        results[i] = out
        if restart_callback is not None:
            restart_callback(len(results), restarts, float(out["energy"]), out.get("exact_energy"))
    best = min(range(restarts), key=lambda i: (results[i]["energy"], i))
    res = VQEResult.from_dict(results[best])
    res.seeds = [s.seed for s in specs]
    res.settings["restarts"] = restarts
    res.extra.pop("task", None)
    res.extra.pop("task_key", None)
    res.extra["restart_energies"] = [results[i]["energy"] for i in range(restarts)]
    res.extra["executor"] = executor.describe()
    return res


def vqe_sweep(
    problem_factory: Callable[[float], ProblemLike] | str,
    values: Sequence[float],
    optimizer: str = "lbfgs",
    steps: int = 200,
    lr: float | None = None,
    seed: int = 0,
    init: InitLike = None,
    callback: Callback | None = None,
    tol: float | None = None,
    *,
    param: str = "value",
    problem_params: dict[str, Any] | None = None,
    continuation: bool | str = True,
    point_callback: Callable[[int, float, VQEResult], Any] | None = None,
    **vqe_kwargs: Any,
) -> SweepResult:
    """VQE along a parameter path, each point warm-started from the previous optimum.

    Args:
        problem_factory: ``value -> Problem`` (or ``(H, circuit)``), or a registry name
            such as ``"h2"`` (then ``param`` names the swept parameter, e.g.
            ``"bond_length"``, and ``problem_params`` holds the fixed ones).
        values: The parameter values, in the order to run them.
        optimizer: Optimiser for every point.
        steps: Maximum iterations per point.
        lr: Learning rate.
        seed: Seed (the same for every point).
        init: Initial weights of the first point (see :func:`vqe`).
        callback: Per-step callback, passed to :func:`vqe`.
        tol: Optimiser tolerance.
        param: Name of the swept parameter (for records and plots).
        problem_params: Fixed parameters when ``problem_factory`` is a name.
        continuation: Start each point from the previous optimum (when the ansatz has the
            same number of weights); ``False`` starts every point afresh; ``"segments:K"``
            cuts the values into ``K`` contiguous segments solved independently (each from a
            fresh anchor, then by continuation), so they can run in parallel.
        executor: (keyword) A :mod:`qml.parallel` executor for the segments (``continuation=False``:
            one task per point; ``True``: one segment). Needs a registry problem name.
        point_callback: ``point_callback(index, value, result)`` after each point.
        **vqe_kwargs: Passed to :func:`vqe` (``ansatz``, ``layers``, ``restarts``...).

    Returns:
        A :class:`SweepResult`.

    Example:
        >>> s = vqe_sweep("tfim", [0.5, 1.0], param="h", problem_params={"n": 4}, steps=100)
        >>> s.max_rel_error < 1e-8
        True
    """
    factory: Callable[[float], ProblemLike]
    if isinstance(problem_factory, str):
        from qml.problems import get_problem

        name, fixed = problem_factory, dict(problem_params or {})
        if param == "value":
            raise ConfigError(
                "a sweep over a registry problem needs param=<parameter name>, e.g. 'bond_length'"
            )

        def factory(v: float) -> ProblemLike:
            return get_problem(name, **{**fixed, param: v})

    elif callable(problem_factory):
        factory = problem_factory
    else:
        raise ConfigError("problem_factory must be a callable value -> Problem or a registry problem name")
    vals = [float(v) for v in values]
    if not vals:
        raise ConfigError("values is empty; give at least one parameter value")
    executor = vqe_kwargs.pop("executor", None)
    if executor is not None or isinstance(continuation, str):
        if not isinstance(problem_factory, str):
            raise ConfigError(
                "a sweep on an executor or in segments needs a registry problem name, not a callable"
            )
        return _sweep_segments(
            problem_factory,
            dict(problem_params or {}),
            param,
            vals,
            continuation,
            executor,
            optimizer,
            steps,
            lr,
            seed,
            init,
            callback,
            tol,
            vqe_kwargs,
            point_callback,
        )
    t0 = time.perf_counter()
    results: list[VQEResult] = []
    for k, v in enumerate(vals):
        start: InitLike = init if k == 0 or not continuation else results[-1]
        prob = factory(v)
        if vqe_kwargs.get("layers") == "auto":
            start = init if k == 0 else None  # each point grows its own depth from the start
        if start is not None and isinstance(start, VQEResult):
            p = as_problem(prob)
            circ = (
                vqe_kwargs["ansatz"]
                if isinstance(vqe_kwargs.get("ansatz"), Circuit)
                else p.ansatz(vqe_kwargs.get("layers"), vqe_kwargs.get("ansatz"))
            )
            if circ.n_weights != len(start.best_weights):
                start = None
        res = vqe(prob, optimizer, steps, lr, seed, start, callback, tol, **vqe_kwargs)
        res.extra[param] = v
        results.append(res)
        log.info("sweep %s=%g: energy %.10g (exact %s)", param, v, res.energy, res.exact_energy)
        if point_callback is not None:
            point_callback(k, v, res)
    return SweepResult(
        param=param,
        values=vals,
        results=results,
        continuation=continuation,
        timings={"total": time.perf_counter() - t0},
        versions=versions(),
    )


__all__ = ["Interrupted", "as_problem", "vqe", "vqe_sweep"]
