"""Compression of any circuit: drop rotations whose optimal angle is ~0, merge adjacent ones, re-optimise.

:func:`compress` takes a circuit and its (optimised) weights and shrinks it in rounds:

1. **Drop** every weight-dependent op whose angles, evaluated at the weights, all lie within
   ``tol`` of a value where the gate is the identity up to a global phase: ``0 mod 4*pi``
   for every rotation, ``0 mod 2*pi`` only for a gate whose matrix there is ``-I`` (``RX``,
   ``RZZ``... but not ``CRX``, whose ``2*pi`` is ``diag(1, 1, -1, -1)``). Constant gates
   (``H``, ``CNOT``...) and ops reading inputs are never touched.
2. **Merge** two ops of one additive gate (:data:`MERGEABLE`) on the same wire tuple with
   nothing between them on those wires into one op on a fresh weight holding the sum of
   the two angles (exact: the state does not change). Identical pairs share the fresh
   weight, so a layer of shared angles stays shared; a merge that would add a weight is
   skipped.
3. **Compact** the weight indices (``0..P'-1``, order kept, sharing kept).
4. **Re-optimise** with :func:`qml.design.evaluate.optimize_circuit`.

A guard keeps the energy: a round whose re-optimised energy rises more than
``max_error_increase`` above the input's is retried with ``tol / 10`` (down to ``1e-7``);
when nothing passes, the input comes back unchanged and :attr:`CompressionResult.message`
says so. :func:`simplify` is steps 1-3 alone (no optimisation).

Example:
    >>> from qml.ir import W
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=4, h=1.0)
    >>> c = p.ansatz(1)
    >>> padded = c.add("RX", 0, W(c.n_weights)).add("RZZ", (2, 3), W(c.n_weights + 1))
    >>> w, _, _ = optimize_circuit(p.hamiltonian, c, p.initial_weights(0, c))
    >>> res = compress(p, padded, [*w.tolist(), 1e-6, 0.0], exact=p.exact())
    >>> res.before["parameters"], res.after["parameters"], len(res.removed)
    (4, 2, 2)
    >>> res.after["energy"] <= res.before["energy"] + 1e-8
    True
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from qml.design.evaluate import design_point, optimize_circuit, score
from qml.design.target import Target, get_target
from qml.errors import ConfigError
from qml.gates import GATES, op_matrix
from qml.ir import Circuit, Op, Param
from qml.problems.problem import ExactResult, Problem
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

#: Gates with one angle that compose additively: ``G(a) @ G(b) == G(a + b)``.
MERGEABLE: frozenset[str] = frozenset(
    {
        "RX",
        "RY",
        "RZ",
        "PhaseShift",
        "RXX",
        "RYY",
        "RZZ",
        "CRX",
        "CRY",
        "CRZ",
        "SingleExcitation",
        "DoubleExcitation",
    }
)

#: Smallest tolerance the guard retries with before giving up.
MIN_TOL = 1e-7
#: Most drop/merge/re-optimise rounds.
MAX_ROUNDS = 3
_TWO_PI = 2.0 * math.pi


@functools.lru_cache(maxsize=4096)
def _is_phase_identity(name: str, angles: tuple[float, ...]) -> bool:
    """Whether gate ``name`` at ``angles`` is ``e^{i phi} I`` (identity up to a global phase)."""
    m = op_matrix(Op(name, tuple(range(GATES[name].n_wires)), tuple(Param(a) for a in angles)))
    phase = m[0, 0]
    if abs(abs(complex(phase)) - 1.0) > 1e-9:
        return False
    eye = torch.eye(m.shape[0], dtype=m.dtype)
    return bool(torch.allclose(m, phase * eye, atol=1e-9, rtol=0.0))


def identity_period(name: str) -> float | None:
    """The smallest angle ``p`` in ``{2*pi, 4*pi}`` at which gate ``name`` is the identity up to phase.

    The angle (every angle, for a multi-angle gate) set to ``p`` must give ``e^{i phi} I``:
    ``2*pi`` for uncontrolled rotations (``RX(2*pi) = -I``) and ``PhaseShift``, ``4*pi`` for
    controlled rotations and Givens rotations (whose ``2*pi`` is a relative sign).

    Args:
        name: A gate of :data:`qml.gates.GATES`.

    Returns:
        The period, or ``None`` for a gate without angles.

    Raises:
        ValueError: For an unknown gate name.

    Example:
        >>> identity_period("RX") == 2 * math.pi, identity_period("CRX") == 4 * math.pi
        (True, True)
        >>> identity_period("CNOT") is None
        True
    """
    spec = GATES.get(name)
    if spec is None:
        raise ConfigError(f"unknown gate {name!r}; expected one of: {', '.join(sorted(GATES))}")
    if spec.n_params == 0 or name == "Unitary":
        return None
    for period in (_TWO_PI, 2.0 * _TWO_PI):
        if _is_phase_identity(name, (period,) * spec.n_params):
            return period
    return None


def _removable(op: Op, values: Sequence[float], tol: float) -> bool:
    """Whether ``op`` at angle ``values`` is within ``tol`` of an identity (up to a global phase)."""
    snapped = []
    for v in values:
        s = round(v / _TWO_PI) * _TWO_PI
        if abs(v - s) > tol:
            return False
        snapped.append(float(s))
    return _is_phase_identity(op.name, tuple(snapped))


def _touchable(op: Op) -> bool:
    """Weight-dependent, no inputs: the ops compression may drop or merge."""
    return bool(op.params) and not op.reads_inputs and any(p.refs("w") for p in op.params)


def _describe(op: Op, values: Sequence[float]) -> str:
    wires = ", ".join(str(w) for w in op.wires)
    word = "angle" if len(values) == 1 else "angles"
    return f"{op.name}({wires}) {word} {', '.join(f'{v + 0.0:.2g}' for v in values)}"


def _used_weights(ops: Sequence[Op]) -> set[int]:
    return {i for op in ops for p in op.params for i in p.refs("w")}


def _drop(ops: list[Op], weights: list[float], tol: float) -> tuple[list[Op], list[str]]:
    kept: list[Op] = []
    removed: list[str] = []
    for op in ops:
        if _touchable(op):
            values = [p.evaluate(weights, ()) for p in op.params]
            if _removable(op, values, tol):
                removed.append(_describe(op, values))
                continue
        kept.append(op)
    return kept, removed


def _merge_pass(
    ops: list[Op], weights: list[float], fresh: dict[tuple[str, Param, Param], int], rejected: set[Any]
) -> tuple[list[Op], int]:
    """One pass of pairwise merges; returns the new ops and the number of merges done."""
    last: dict[int, int] = {}
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for j, op in enumerate(ops):
        prev = {last.get(w) for w in op.wires}
        for w in op.wires:
            last[w] = j
        if len(prev) != 1 or None in prev:
            continue
        i = prev.pop()
        assert i is not None
        a = ops[i]
        if (
            op.name in MERGEABLE
            and a.name == op.name
            and a.wires == op.wires
            and _touchable(a)
            and _touchable(op)
            and i not in used
            and j not in used
            and (op.name, a.params[0], op.params[0]) not in rejected
        ):
            pairs.append((i, j))
            used.update((i, j))
    groups: dict[tuple[str, Param, Param], list[tuple[int, int]]] = {}
    for i, j in pairs:
        groups.setdefault((ops[i].name, ops[i].params[0], ops[j].params[0]), []).append((i, j))
    current: list[Op | None] = list(ops)
    merged = 0
    for key, members in groups.items():
        index = fresh.get(key)
        new_index = len(weights) if index is None else index
        trial = list(current)
        for i, j in members:
            trial[i] = replace(ops[i], params=(Param(0.0, ((1.0, (("w", new_index),)),)),))
            trial[j] = None
        if len(_used_weights([o for o in trial if o is not None])) > len(
            _used_weights([o for o in current if o is not None])
        ):
            rejected.add(key)
            continue
        if index is None:
            weights.append(key[1].evaluate(weights, ()) + key[2].evaluate(weights, ()))
            fresh[key] = new_index
        current = trial
        merged += len(members)
    return [o for o in current if o is not None], merged


def _merge(ops: list[Op], weights: list[float]) -> tuple[list[Op], int]:
    fresh: dict[tuple[str, Param, Param], int] = {}
    rejected: set[Any] = set()
    total = 0
    while True:
        ops, n = _merge_pass(ops, weights, fresh, rejected)
        if not n:
            return ops, total
        total += n


def _remap(p: Param, mapping: dict[int, int]) -> Param:
    terms = tuple((c, tuple((s, mapping[i] if s == "w" else i) for s, i in refs)) for c, refs in p.terms)
    return Param(p.const, terms)._simplified()


def _compact(circuit: Circuit, ops: list[Op], weights: list[float]) -> tuple[Circuit, list[float]]:
    order = sorted(_used_weights(ops))
    mapping = {old: new for new, old in enumerate(order)}
    new_ops = tuple(replace(op, params=tuple(_remap(p, mapping) for p in op.params)) for op in ops)
    out = Circuit(circuit.n_wires, new_ops, len(order), circuit.n_inputs, circuit.name)
    return out, [float(weights[i]) for i in order]


def _as_list(weights: Sequence[float] | torch.Tensor | None, n: int) -> list[float]:
    if weights is None:
        return [0.0] * n
    w = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
    return [float(v) for v in w]


def simplify(
    circuit: Circuit, weights: Sequence[float] | torch.Tensor, tol: float = 1e-3
) -> tuple[Circuit, list[float], list[str], int]:
    """Drop near-identity rotations, merge adjacent additive rotations, compact the weights.

    No optimisation: a merge leaves the state exactly as it was, a drop moves it by at most
    what a ``tol`` rotation does. Drops and merges repeat until neither applies.

    Args:
        circuit: The circuit (no inputs needed; ops reading inputs are kept as they are).
        weights: Its ``circuit.n_weights`` weights.
        tol: Largest distance of an angle from an identity angle for its op to be dropped.

    Returns:
        ``(circuit, weights, removed, merged)``: the new circuit on weights ``0..P'-1``, its
        weights, a description of each dropped op and the number of merges.

    Raises:
        ValueError: For a weight count that does not match or ``tol <= 0``.

    Example:
        >>> from qml.ir import W
        >>> c = Circuit(1).add("RY", 0, W(0)).add("RY", 0, W(1)).add("RZ", 0, W(2))
        >>> new, w, removed, merged = simplify(c, [0.25, 0.5, 1e-5])
        >>> [str(op) for op in new.ops], w, removed, merged
        (['RY(w0) @ [0]'], [0.75], ['RZ(0) angle 1e-05'], 1)
    """
    if not tol > 0:
        raise ConfigError(f"tol must be > 0 (an angle distance in radians), got {tol!r}; try tol=1e-3")
    w = _as_list(weights, circuit.n_weights)
    if len(w) != circuit.n_weights:
        raise ConfigError(
            f"got {len(w)} weights but the circuit has {circuit.n_weights}; pass one value per weight"
        )
    ops = list(circuit.ops)
    removed: list[str] = []
    merged = 0
    while True:
        ops, dropped = _drop(ops, w, tol)
        ops, n = _merge(ops, w)
        removed += dropped
        merged += n
        if not dropped and not n:
            break
    new, new_w = _compact(circuit, ops, w)
    return new, new_w, removed, merged


@dataclass(frozen=True)
class CompressionResult:
    """What :func:`compress` returns.

    Attributes:
        circuit: The compressed circuit (weights ``0..P'-1``); the input when nothing passed.
        weights: Its re-optimised weights.
        before: The input's row (:func:`qml.design.evaluate.design_point` with a target, else
            :func:`qml.design.evaluate.score` plus ``parameters`` and ``logical_two_qubit_gates``).
        after: The same row for the result.
        removed: One description per dropped op, e.g. ``"RZZ(2, 3) angle 3.1e-05"``.
        merged: Number of pairwise merges.
        tol_used: The tolerance of the last round tried.
        rounds: Accepted drop/merge/re-optimise rounds.
        message: One line on what happened.

    Example:
        >>> from qml.ir import W
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=2, periodic=False)
        >>> c = Circuit(2).add("RY", 0, W(0)).add("RY", 0, W(1))
        >>> res = compress(p, c, [0.1, 0.2], steps=0)
        >>> res.merged, res.to_dict()["after"]["parameters"]
        (1, 1)
    """

    circuit: Circuit
    weights: list[float]
    before: dict[str, Any]
    after: dict[str, Any]
    removed: list[str] = field(default_factory=list)
    merged: int = 0
    tol_used: float = 0.0
    rounds: int = 0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the circuit in :meth:`qml.ir.Circuit.to_dict` form).

        Example:
            >>> import json
            >>> from qml.problems import get_problem
            >>> p = get_problem("tfim", n=2, periodic=False)
            >>> json.dumps(compress(p, p.reference, []).to_dict())[:11]
            '{"circuit":'
        """
        return {
            "circuit": self.circuit.to_dict(),
            "weights": [float(v) for v in self.weights],
            "before": _plain(self.before),
            "after": _plain(self.after),
            "removed": list(self.removed),
            "merged": int(self.merged),
            "tol_used": float(self.tol_used),
            "rounds": int(self.rounds),
            "message": self.message,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return _plain(value.tolist())
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _energy(sim: Simulator, problem: Problem, circuit: Circuit, weights: list[float]) -> float:
    w = torch.tensor(weights, dtype=torch.float64) if circuit.n_weights else None
    with torch.no_grad():
        return float(sim.expval(circuit, problem.hamiltonian, w))


def _row(
    label: str,
    problem: Problem,
    circuit: Circuit,
    weights: list[float],
    exact: ExactResult | None,
    target: Target | None,
    layout: Sequence[int] | None,
    optimization_level: int,
    sim: Simulator,
) -> dict[str, Any]:
    w = torch.tensor(weights, dtype=torch.float64)
    if target is not None:
        return design_point(
            label, "compress", problem, circuit, w, exact, target, [layout], optimization_level, None, sim
        )
    t0 = time.perf_counter()
    row: dict[str, Any] = {
        "label": label,
        "method": "compress",
        "parameters": circuit.n_weights,
        "logical_two_qubit_gates": sum(1 for op in circuit.ops if len(op.wires) >= 2),
        **score(problem, circuit, w, exact, sim),
    }
    row["seconds"] = time.perf_counter() - t0
    return row


def _check(problem: Problem, circuit: Circuit, weights: list[float], tol: float) -> None:
    if circuit.n_wires != problem.n_wires:
        raise ConfigError(
            f"the circuit has {circuit.n_wires} wires but problem {problem.name!r} has {problem.n_wires}; "
            "pass a circuit built for this problem (e.g. problem.ansatz(layers))"
        )
    if circuit.n_inputs:
        raise ConfigError(
            f"the circuit reads {circuit.n_inputs} input feature(s); compress needs a circuit whose "
            "angles are all weights (bind the inputs first)"
        )
    if len(weights) != circuit.n_weights:
        raise ConfigError(
            f"got {len(weights)} weights but the circuit has {circuit.n_weights}; "
            "pass one value per weight (e.g. the weights optimize_circuit returned)"
        )
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0 or not math.isfinite(tol):
        raise ConfigError(f"tol must be a finite number > 0 (radians), got {tol!r}; try tol=1e-3")


def compress(
    problem: Problem,
    circuit: Circuit,
    weights: Sequence[float] | torch.Tensor | None,
    *,
    exact: ExactResult | None = None,
    tol: float = 1e-3,
    target: Target | str | Sequence[Sequence[int]] | None = None,
    layout: Sequence[int] | None = None,
    optimization_level: int = 1,
    seed: int = 0,
    steps: int = 300,
    max_error_increase: float | None = None,
    simulator: Simulator | None = None,
) -> CompressionResult:
    """Compress ``circuit``: drop ~identity rotations, merge adjacent ones, re-optimise; report before/after.

    Up to :data:`MAX_ROUNDS` rounds of :func:`simplify` then
    :func:`~qml.design.evaluate.optimize_circuit` run while something changes. A round whose
    energy rises more than ``max_error_increase`` above the input's energy (at its input
    weights) is retried with ``tol / 10`` down to :data:`MIN_TOL`; when no round passes, the
    input comes back unchanged.

    Args:
        problem: The problem whose Hamiltonian is minimised.
        circuit: The circuit (``problem.n_wires`` wires, no inputs).
        weights: Its weights, ideally optimised (``None``: zeros).
        exact: The exact reference (``problem.exact()``) for errors and fidelity; ``None``
            leaves them ``None``.
        tol: Largest distance (radians) of an angle from an identity angle for a drop.
        target: A hardware target (name or coupling list): the rows then carry its cost.
        layout: Physical qubit of each wire on ``target`` (``None``: the transpiler chooses).
        optimization_level: Qiskit optimisation level for the cost.
        seed: Seed of the re-optimisation.
        steps: L-BFGS iterations per re-optimisation (``0``: keep the weights as they are).
        max_error_increase: Largest allowed energy rise; default ``max(1e-8, 1e-6 * |E_exact|)``
            with ``exact``, else ``1e-8``.
        simulator: The simulator (default ``Simulator()``).

    Returns:
        A :class:`CompressionResult`.

    Raises:
        ValueError: For a wire count that is not the problem's, a circuit with inputs, a
            weight count that is not the circuit's, or ``tol <= 0``.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("h2")
        >>> c = p.ansatz(1, "asd")
        >>> w, _, _ = optimize_circuit(p.hamiltonian, c, p.initial_weights(0, c))
        >>> res = compress(p, c, w, exact=p.exact())
        >>> [r.split(" angle")[0] for r in res.removed]  # the singles vanish at the optimum
        ['SingleExcitation(0, 2)', 'SingleExcitation(1, 3)']
        >>> res.after["abs_error"] < 1e-8
        True
    """
    w_in = _as_list(weights, circuit.n_weights)
    _check(problem, circuit, w_in, tol)
    if max_error_increase is None:
        max_error_increase = max(1e-8, 1e-6 * abs(exact.energy)) if exact is not None else 1e-8
    if not max_error_increase >= 0:
        raise ConfigError(f"max_error_increase must be >= 0, got {max_error_increase!r}")
    sim = simulator if simulator is not None else Simulator()
    tgt = get_target(target) if target is not None else None
    e_in = _energy(sim, problem, circuit, w_in)
    limit = e_in + max_error_increase

    cur_c, cur_w, cur_e = circuit, w_in, e_in
    removed: list[str] = []
    merged = 0
    rounds = 0
    tol_cur = float(tol)
    refused = False
    for _ in range(MAX_ROUNDS):
        accepted = False
        while True:
            new_c, new_w, dropped, n_merged = simplify(cur_c, cur_w, tol_cur)
            if new_c == cur_c:
                break
            e_start = _energy(sim, problem, new_c, new_w)
            new_e = e_start
            if steps and new_c.n_weights:
                opt_w, opt_e, _ = optimize_circuit(
                    problem.hamiltonian, new_c, new_w, seed=seed, steps=steps, simulator=sim
                )
                if opt_e <= e_start:
                    new_w, new_e = [float(v) for v in opt_w], float(opt_e)
            if new_e <= limit:
                log.info(
                    "compress round %d (tol %.3g): dropped %d, merged %d, energy %.10g -> %.10g",
                    rounds + 1,
                    tol_cur,
                    len(dropped),
                    n_merged,
                    cur_e,
                    new_e,
                )
                cur_c, cur_w, cur_e = new_c, new_w, new_e
                removed += dropped
                merged += n_merged
                rounds += 1
                accepted = True
                break
            log.info(
                "compress: tol %.3g costs energy (%.10g > allowed %.10g); retrying with tol %.3g",
                tol_cur,
                new_e,
                limit,
                tol_cur / 10,
            )
            refused = True
            if tol_cur / 10 < MIN_TOL:
                break
            tol_cur /= 10
        if not accepted:
            break

    if rounds:
        message = (
            f"compressed in {rounds} round(s) at tol {tol_cur:.3g}: dropped {len(removed)} op(s), "
            f"merged {merged} pair(s), parameters {circuit.n_weights} -> {cur_c.n_weights}"
        )
    elif refused:
        message = (
            f"unchanged: every compression tried (tol {tol:.3g} down to {tol_cur:.3g}) raised the energy "
            f"by more than {max_error_increase:.3g}"
        )
    else:
        message = "unchanged: no rotation is near the identity and no adjacent rotations merge"
    if not rounds:
        cur_c, cur_w = circuit, w_in
    before = _row("before", problem, circuit, w_in, exact, tgt, layout, optimization_level, sim)
    after = _row("after", problem, cur_c, cur_w, exact, tgt, layout, optimization_level, sim)
    log.info("compress: %s", message)
    return CompressionResult(cur_c, list(cur_w), before, after, removed, merged, tol_cur, rounds, message)


__all__ = ["MERGEABLE", "CompressionResult", "compress", "identity_period", "simplify"]
