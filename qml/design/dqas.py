"""Differentiable quantum architecture search (DQAS; Zhang et al., Quantum Sci. Technol. 7, 045023, 2022).

The search space is a stack of ``layers`` layers of **placements**. Each layer holds one
placement per native wire pair of the device (:func:`qml.design.target.native_pairs`, so
no candidate ever needs a SWAP) with the candidates ``("none", RZZ, ...)`` and then one
placement per wire with the candidates ``("none", RY, ...)``. An **architecture** picks one
candidate per placement.

All architectures live in ONE IR circuit, the *super-circuit*: the problem's reference
state, then for every placement and every real candidate a rotation whose angle is
``W(k) * X(k)``: ``W(k)`` is the candidate's rotation angle (shared by all architectures)
and ``X(k)`` its 0/1 *mask* input. Every rotation is the identity at angle 0, so a
masked-out candidate is absent and the super-circuit at an architecture's mask is exactly
that architecture's circuit. A batch of architectures is then one batched
:meth:`qml.sim.Simulator.expval` call with shared weights and one mask row each.

Both parameter sets train together: each step samples ``batch`` architectures from independent
per-placement distributions ``softmax(alpha_p)``, evaluates their energies ``E_b`` in one
call and takes one Adam step on both parameter sets:

* the rotation weights ``theta`` follow ``grad mean_b E_b`` (autograd);
* the structure logits ``alpha`` follow the score-function (REINFORCE) estimate
  ``mean_b (E_b - baseline) grad log p(arch_b)`` with a moving-average baseline (decay 0.9,
  updated with the batch's mean energy before use), plus
  ``cost_weight`` times the gradient of the expected two-qubit cost
  ``sum_p sum_g p_p(g) cost(g)`` (``cost(g)``: the gate's transpiled two-qubit count on a
  native pair of the target, e.g. 2 for ``RZZ``).

The result is the most probable architecture (argmax per placement), built as a compact
circuit (reference + chosen gates, fresh weights started at the trained angles) and
refined with L-BFGS (:func:`qml.design.evaluate.optimize_circuit`).

Example:
    >>> from qml.problems import get_problem
    >>> p = get_problem("tfim", n=3, h=1.0, periodic=False)
    >>> out = dqas(p, [(0, 1), (1, 2)], layers=3, steps=40, batch=16, refine_steps=100, seed=0)
    >>> abs(out.energy - p.exact().energy) < 1e-6
    True
    >>> {op.wires for op in out.circuit.ops if len(op.wires) == 2} <= {(0, 1), (1, 2)}  # native pairs only
    True
"""

from __future__ import annotations

import logging
import math
import numbers
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from qml.design.evaluate import optimize_circuit, score
from qml.design.evolve import hamiltonian_kinds
from qml.design.target import Target, embed, get_target, hardware_cost, interaction_pairs, native_pairs
from qml.errors import ConfigError
from qml.ir import Circuit, W, X
from qml.paulis import PauliSum
from qml.problems.problem import ExactResult, Problem
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

#: Two-qubit candidate gates a search may use (each is the identity at angle 0).
TWO_QUBIT_KINDS: tuple[str, ...] = ("RZZ", "RXX", "RYY", "CRX", "CRY", "CRZ", "SingleExcitation")
#: One-qubit candidate gates a search may use (each is the identity at angle 0).
ONE_QUBIT_KINDS: tuple[str, ...] = ("RX", "RY", "RZ", "PhaseShift")
#: The "no gate" candidate every placement has.
NONE = "none"

_DECAY = 0.9  # moving-average baseline: weight of the previous value
_PAD = -1.0e30  # logit of a padding slot (placements with fewer candidates): probability exactly 0

Progress = Callable[[int, int, float], None]


def default_kinds(hamiltonian: PauliSum) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Candidate gate kinds: :func:`qml.design.evolve.hamiltonian_kinds` plus always ``RY`` (real amplitudes).

    Example:
        >>> from qml.paulis import pauli
        >>> default_kinds(pauli("Z0 Z1 + X0 + X1"))
        (('RZZ',), ('RX', 'RY'))
        >>> default_kinds(pauli("Z0 + X0 Y1"))
        (('RZZ', 'RXX', 'RYY'), ('RY', 'RZ'))
    """
    return hamiltonian_kinds(hamiltonian, ("RY",))


def _check_kinds(kinds: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        two, one = kinds
        two_t, one_t = tuple(two), tuple(one)
    except (TypeError, ValueError):
        raise ConfigError(
            f"kinds must be a pair (two_qubit_kinds, one_qubit_kinds), e.g. (('RZZ',), ('RX', 'RY')), "
            f"got {kinds!r}"
        ) from None
    for got, allowed, what in ((two_t, TWO_QUBIT_KINDS, "two-qubit"), (one_t, ONE_QUBIT_KINDS, "one-qubit")):
        bad = [k for k in got if k not in allowed]
        if bad:
            raise ConfigError(
                f"unknown {what} kinds {bad}: a {what} candidate must be one of {list(allowed)} "
                "(rotations that are the identity at angle 0); fix kinds=(two_qubit, one_qubit)"
            )
        if len(set(got)) != len(got):
            raise ConfigError(f"{what} kinds repeat a gate: {list(got)}; list each kind once")
    if not two_t and not one_t:
        raise ConfigError("kinds gives no candidate gate at all; name at least one two- or one-qubit kind")
    return two_t, one_t


@dataclass(frozen=True)
class Placement:
    """One slot of the search space: a place in the circuit and the gates it may hold.

    Attributes:
        label: ``"layer 0 pair (1, 2)"`` or ``"layer 0 wire 3"``.
        wires: The wires the chosen gate acts on.
        candidates: ``("none", kind, ...)``; candidate 0 is always "no gate".

    Example:
        >>> Placement("layer 0 wire 1", (1,), ("none", "RY")).candidates[1]
        'RY'
    """

    label: str
    wires: tuple[int, ...]
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class SearchSpace:
    """The placements of a DQAS search and their super-circuit.

    Attributes:
        placements: All placements in circuit order.
        circuit: The super-circuit: the reference, then one ``W(k) * X(k)`` rotation per
            slot ``k`` (so ``n_weights == n_inputs == len(slots)``).
        slots: ``(placement index, candidate index)`` of each weight/mask index ``k``.
        reference: The reference-state circuit (no weights), or ``None``.
        layout: Physical qubit of each wire.
        kinds: ``(two_qubit_kinds, one_qubit_kinds)`` of the candidates.
        costs: Two-qubit cost of each candidate kind (``"none"`` and one-qubit kinds: 0).

    Example:
        >>> from qml.problems import get_problem
        >>> s = search_space(get_problem("tfim", n=3, h=1.0, periodic=False), [(0, 1), (1, 2)], layers=1)
        >>> [p.label for p in s.placements][:3]
        ['layer 0 pair (0, 1)', 'layer 0 pair (1, 2)', 'layer 0 wire 0']
        >>> s.circuit.n_weights, s.costs["RZZ"]
        (8, 2)
    """

    placements: tuple[Placement, ...]
    circuit: Circuit
    slots: tuple[tuple[int, int], ...]
    reference: Circuit | None
    layout: tuple[int, ...]
    kinds: tuple[tuple[str, ...], tuple[str, ...]]
    costs: dict[str, int] = field(compare=False)

    @property
    def n_candidates(self) -> int:
        """The largest number of candidates (``"none"`` included) of a placement."""
        return max((len(p.candidates) for p in self.placements), default=1)

    def validate(self, choices: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """``choices`` as a long tensor ``(B, P)``, checked against the placements."""
        c = torch.as_tensor(choices, dtype=torch.long)
        if c.dim() == 1:
            c = c.unsqueeze(0)
        if c.dim() != 2 or c.shape[1] != len(self.placements):
            raise ConfigError(
                f"an architecture is one candidate index per placement ({len(self.placements)} of them), "
                f"got shape {tuple(c.shape)}"
            )
        sizes = torch.tensor([len(p.candidates) for p in self.placements])
        if bool(((c < 0) | (c >= sizes)).any()):
            raise ConfigError("a candidate index is out of range: placement p takes 0..len(candidates)-1")
        return c

    def mask(self, choices: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """The super-circuit's 0/1 inputs for architectures: ``(B, n_slots)`` float64.

        Args:
            choices: One candidate index per placement, ``(P,)`` or ``(B, P)``.

        Example:
            >>> from qml.problems import get_problem
            >>> s = search_space(get_problem("tfim", n=2, h=1.0, periodic=False), [(0, 1)], layers=1)
            >>> [p.candidates for p in s.placements]
            [('none', 'RZZ'), ('none', 'RX', 'RY'), ('none', 'RX', 'RY')]
            >>> s.mask([1, 0, 2]).tolist()
            [[1.0, 0.0, 0.0, 0.0, 1.0]]
        """
        c = self.validate(choices)
        place = torch.tensor([p for p, _ in self.slots], dtype=torch.long)
        cand = torch.tensor([k for _, k in self.slots], dtype=torch.long)
        return (c[:, place] == cand).to(torch.float64)

    def architecture(self, choice: Sequence[int] | torch.Tensor) -> list[tuple[str, str]]:
        """``(placement label, chosen gate)`` for one architecture.

        Example:
            >>> from qml.problems import get_problem
            >>> s = search_space(get_problem("tfim", n=2, h=1.0, periodic=False), [(0, 1)], layers=1)
            >>> s.architecture([1, 0, 2])
            [('layer 0 pair (0, 1)', 'RZZ'), ('layer 0 wire 0', 'none'), ('layer 0 wire 1', 'RY')]
        """
        c = self.validate(choice)
        if c.shape[0] != 1:
            raise ConfigError("architecture() takes one architecture (one index per placement)")
        return [(p.label, p.candidates[int(k)]) for p, k in zip(self.placements, c[0].tolist(), strict=True)]

    def compact(
        self, choice: Sequence[int] | torch.Tensor, theta: Sequence[float] | torch.Tensor | None = None
    ) -> tuple[Circuit, list[float]]:
        """The circuit of one architecture (reference + chosen gates, weights ``W(0..)``) and its weights.

        Args:
            choice: One candidate index per placement.
            theta: The super-circuit's weights; the chosen slots' values become the
                compact circuit's weights (zeros when ``None``).

        Example:
            >>> from qml.problems import get_problem
            >>> s = search_space(get_problem("tfim", n=2, h=1.0, periodic=False), [(0, 1)], layers=1)
            >>> c, w = s.compact([1, 0, 2], [0.1, 0.2, 0.3, 0.4, 0.5])
            >>> [str(op) for op in c.ops[2:]], w
            (['RZZ(w0) @ [0, 1]', 'RY(w1) @ [1]'], [0.1, 0.5])
        """
        c = self.validate(choice)
        if c.shape[0] != 1:
            raise ConfigError("compact() takes one architecture (one index per placement)")
        picked = c[0].tolist()
        if theta is None:
            values = [0.0] * len(self.slots)
        elif isinstance(theta, torch.Tensor):
            values = [float(v) for v in theta.detach().to(torch.float64).reshape(-1).tolist()]
        else:
            values = [float(v) for v in theta]
        if len(values) != len(self.slots):
            raise ConfigError(
                f"theta has {len(values)} entries but the super-circuit has {len(self.slots)} weights"
            )
        n = self.circuit.n_wires
        circuit = Circuit(n, self.reference.ops if self.reference is not None else (), name="dqas")
        weights: list[float] = []
        for k, (p, cand) in enumerate(self.slots):
            if picked[p] == cand:
                pl = self.placements[p]
                circuit = circuit.add(pl.candidates[cand], pl.wires, W(len(weights)))
                weights.append(values[k])
        return circuit, weights


def _gate_costs(
    kinds: Sequence[str], target: Target, layout: Sequence[int], pair: tuple[int, int]
) -> dict[str, int]:
    costs = {NONE: 0}
    for kind in kinds:
        one = Circuit(len(layout)).add(kind, pair, W(0))
        costs[kind] = int(hardware_cost(one, target, layout).two_qubit_gates)
    return costs


def _check_layout(layout: Sequence[int], n: int, target: Target) -> list[int]:
    try:
        lay = [int(q) for q in layout]
    except (TypeError, ValueError):
        raise ConfigError(f"layout must be a list of physical qubits, one per wire, got {layout!r}") from None
    if len(lay) != n or len(set(lay)) != n or not all(0 <= q < target.n_qubits for q in lay):
        raise ConfigError(
            f"layout must give {n} distinct physical qubits of {target.name} (0..{target.n_qubits - 1}), "
            f"one per wire, got {lay}; omit it to embed the wires automatically"
        )
    return lay


def search_space(
    problem: Problem,
    target: Target | str | Sequence[Sequence[int]],
    layout: Sequence[int] | None = None,
    *,
    layers: int = 4,
    kinds: tuple[Sequence[str], Sequence[str]] | None = None,
) -> SearchSpace:
    """The DQAS placements of ``problem`` on ``target`` and their super-circuit.

    Args:
        problem: The problem (its Hamiltonian suggests the kinds; its reference starts the circuit).
        target: A :class:`~qml.design.target.Target`, a fake backend name or a coupling list.
        layout: Physical qubit of each wire; default :func:`~qml.design.target.embed` along
            the Hamiltonian's interaction pairs.
        layers: Number of layers (pair placements, then wire placements, per layer).
        kinds: ``(two_qubit_kinds, one_qubit_kinds)``; default :func:`default_kinds`.

    Raises:
        ValueError: For ``layers < 1``, unknown kinds, a target smaller than the problem, a
            bad layout or a layout that couples no wire pair.

    Example:
        >>> from qml.problems import get_problem
        >>> s = search_space(get_problem("tfim", n=3, h=1.0), [(0, 1), (1, 2)], layers=2)
        >>> len(s.placements), s.layout
        (10, (0, 1, 2))
    """
    layers = _check_int("layers", layers, 1, "layers of placements")
    t = get_target(target)
    n = problem.n_wires
    if n > t.n_qubits:
        raise ConfigError(
            f"the problem has {n} wires but the target {t.name} has only {t.n_qubits} qubits; "
            "choose a target with at least as many qubits as the problem has wires"
        )
    h = problem.hamiltonian
    lay = embed(n, t, interaction_pairs(h)) if layout is None else _check_layout(layout, n, t)
    pairs = native_pairs(lay, t)
    if n > 1 and not pairs:
        raise ConfigError(
            f"layout {lay} puts no two wires on coupled qubits of {t.name}: there is no native pair "
            "for a two-qubit gate; give a layout along couplings or omit it"
        )
    two, one = _check_kinds(default_kinds(h) if kinds is None else kinds)
    ref = problem.reference
    if ref is not None and (ref.n_weights or ref.n_inputs):
        raise ConfigError("the problem's reference circuit must have no weights and no inputs")
    if ref is not None and ref.n_wires != n:
        raise ConfigError(f"the reference circuit has {ref.n_wires} wires, the problem {n}")
    placements: list[Placement] = []
    for layer in range(layers):
        if two:
            placements += [
                Placement(f"layer {layer} pair ({i}, {j})", (i, j), (NONE, *two)) for i, j in pairs
            ]
        if one:
            placements += [Placement(f"layer {layer} wire {w}", (w,), (NONE, *one)) for w in range(n)]
    circuit = Circuit(n, ref.ops if ref is not None else (), name="dqas super-circuit")
    slots: list[tuple[int, int]] = []
    for p, pl in enumerate(placements):
        for c, kind in enumerate(pl.candidates):
            if kind == NONE:
                continue
            k = len(slots)
            circuit = circuit.add(kind, pl.wires, W(k) * X(k))
            slots.append((p, c))
    costs = {NONE: 0, **{k: 0 for k in one}}
    if two:
        costs.update(_gate_costs(two, t, lay, pairs[0]))
    return SearchSpace(tuple(placements), circuit, tuple(slots), ref, tuple(lay), (two, one), costs)


@dataclass(frozen=True)
class DQASOutcome:
    """What :func:`dqas` found.

    Attributes:
        circuit: The compact circuit of the most probable architecture.
        weights: Its refined weights.
        energy: Its energy at ``weights``.
        architecture: ``(placement label, chosen gate)`` for every placement.
        probabilities: The final distribution of every placement, ``{gate: p}``.
        history: One dict per training step: ``step``, ``mean_energy`` (over the batch),
            ``best_energy`` (lowest energy of the step's batch), ``entropy`` (mean over
            placements, nats), ``expected_cost`` (expected two-qubit gates).
        layout: Physical qubit of each wire.
        n_evals: Circuit evaluations: ``steps * batch`` architectures, plus the refinement's.
        seconds: Wall time.
        settings: The arguments of the call (JSON-able).
        seed: The seed.
        abs_error: ``|energy - exact|`` when ``exact`` was given, else ``None``.
        rel_error: ``abs_error / |exact|`` when ``exact`` was given, else ``None``.
        fidelity: Weight of the state in the exact ground space, when known.

    Example:
        >>> from qml.problems import get_problem
        >>> out = dqas(get_problem("tfim", n=2, h=1.0, periodic=False), [(0, 1)], layers=1, steps=5, batch=4)
        >>> len(out.history), sorted(out.to_dict())[:3]
        (5, ['abs_error', 'architecture', 'circuit'])
    """

    circuit: Circuit
    weights: list[float]
    energy: float
    architecture: list[tuple[str, str]]
    probabilities: list[dict[str, float]]
    history: list[dict[str, float]]
    layout: list[int]
    n_evals: int
    seconds: float
    settings: dict[str, Any]
    seed: int
    abs_error: float | None = None
    rel_error: float | None = None
    fidelity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the circuit as :meth:`qml.ir.Circuit.to_dict`).

        Example:
            >>> import json
            >>> from qml.problems import get_problem
            >>> p = get_problem("tfim", n=2, h=1.0, periodic=False)
            >>> out = dqas(p, [(0, 1)], layers=1, steps=2, batch=2)
            >>> json.loads(json.dumps(out.to_dict()))["settings"]["layers"]
            1
        """
        return {
            "circuit": self.circuit.to_dict(),
            "weights": [float(w) for w in self.weights],
            "energy": float(self.energy),
            "architecture": [[label, gate] for label, gate in self.architecture],
            "probabilities": [{k: float(v) for k, v in p.items()} for p in self.probabilities],
            "history": [dict(h) for h in self.history],
            "layout": [int(q) for q in self.layout],
            "n_evals": int(self.n_evals),
            "seconds": float(self.seconds),
            "settings": dict(self.settings),
            "seed": int(self.seed),
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "fidelity": self.fidelity,
        }


def _check_int(name: str, value: Any, low: int, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low} ({meaning}), got {value!r}")
    return int(value)


def _check_positive(name: str, value: Any, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ConfigError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return v


def dqas(
    problem: Problem,
    target: Target | str | Sequence[Sequence[int]],
    layout: Sequence[int] | None = None,
    *,
    layers: int = 4,
    kinds: tuple[Sequence[str], Sequence[str]] | None = None,
    seed: int = 0,
    steps: int = 300,
    batch: int = 32,
    lr: float = 0.05,
    structure_lr: float = 0.1,
    cost_weight: float = 0.0,
    refine_steps: int = 300,
    exact: ExactResult | None = None,
    simulator: Simulator | None = None,
    progress: Progress | None = None,
) -> DQASOutcome:
    """Search a circuit architecture for ``problem`` on ``target`` by DQAS (see the module docstring).

    Args:
        problem: The ground-state problem.
        target: A :class:`~qml.design.target.Target`, a fake backend name or a coupling list.
        layout: Physical qubit of each wire; default: embedded along the Hamiltonian's couplings.
        layers: Layers of placements (each: every native pair, then every wire).
        kinds: ``(two_qubit_kinds, one_qubit_kinds)``; default :func:`default_kinds`.
        seed: Seed of the initial angles, the sampling and the refinement (same seed, same result).
        steps: Training steps (each: one batch of sampled architectures).
        batch: Architectures sampled per step.
        lr: Adam learning rate of the rotation angles.
        structure_lr: Adam learning rate of the structure logits.
        cost_weight: Energy units charged per expected two-qubit gate (0: accuracy only).
        refine_steps: L-BFGS steps refining the final circuit (0: no refinement).
        exact: The exact result (``problem.exact()``) to report errors and fidelity against.
        simulator: The simulator (default ``Simulator()``).
        progress: Called as ``progress(step, steps, mean_energy)`` every 10 steps and at the end.

    Returns:
        A :class:`DQASOutcome`.

    Raises:
        ValueError: For ``layers < 1``, ``batch < 1``, ``steps < 0``, ``refine_steps < 0``,
            non-positive learning rates, a negative ``cost_weight``, unknown kinds, or a
            target too small for the problem.

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=2, h=1.0, periodic=False)
        >>> out = dqas(p, [(0, 1)], layers=1, steps=30, batch=8, seed=1)
        >>> abs(out.energy - p.exact().energy) < 1e-6, out.layout
        (True, [0, 1])
    """
    t0 = time.perf_counter()
    seed = _check_int("seed", seed, 0, "the seed of the initial angles, the sampling and the refinement")
    _check_int("layers", layers, 1, "layers of placements")
    _check_int("batch", batch, 1, "architectures sampled per step")
    _check_int("steps", steps, 0, "training steps")
    _check_int("refine_steps", refine_steps, 0, "L-BFGS steps of the final refinement")
    lr = _check_positive("lr", lr)
    structure_lr = _check_positive("structure_lr", structure_lr)
    cost_weight = _check_positive("cost_weight", cost_weight, allow_zero=True)
    space = search_space(problem, target, layout, layers=layers, kinds=kinds)
    t = get_target(target)
    sim = simulator if simulator is not None else Simulator()
    h = problem.hamiltonian
    settings: dict[str, Any] = {
        "problem": problem.label() if hasattr(problem, "label") else str(problem.name),
        "target": t.name,
        "layout": list(space.layout),
        "layers": layers,
        "kinds": [list(space.kinds[0]), list(space.kinds[1])],
        "seed": seed,
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "structure_lr": structure_lr,
        "cost_weight": cost_weight,
        "refine_steps": refine_steps,
    }
    n_place, n_cand, n_slots = len(space.placements), space.n_candidates, len(space.slots)
    f64 = torch.float64
    gen = torch.Generator().manual_seed(int(seed))
    theta = ((torch.rand(n_slots, generator=gen, dtype=f64) - 0.5) * 0.2).requires_grad_(True)
    alpha = torch.zeros(n_place, n_cand, dtype=f64, requires_grad=True)
    valid = torch.zeros(n_place, n_cand, dtype=torch.bool)
    cost_table = torch.zeros(n_place, n_cand, dtype=f64)
    for p, pl in enumerate(space.placements):
        valid[p, : len(pl.candidates)] = True
        for c, kind in enumerate(pl.candidates):
            cost_table[p, c] = space.costs[kind]
    opt_theta = torch.optim.Adam([theta], lr=lr)
    opt_alpha = torch.optim.Adam([alpha], lr=structure_lr)
    rows = torch.arange(n_place)
    baseline: float | None = None
    history: list[dict[str, float]] = []
    log.info(
        "dqas: %d placements, %d candidate rotations, %d steps x %d architectures",
        n_place,
        n_slots,
        steps,
        batch,
    )
    for step in range(steps):
        logits = alpha.masked_fill(~valid, _PAD)
        logp_all = torch.log_softmax(logits, dim=1)
        probs = logp_all.exp()
        choices = torch.multinomial(probs.detach(), batch, replacement=True, generator=gen).T  # (B, P)
        energies = sim.expval(space.circuit, h, theta, space.mask(choices)).to(dtype=f64, device=theta.device)
        e_det = energies.detach()
        mean_e = float(e_det.mean())
        baseline = mean_e if baseline is None else _DECAY * baseline + (1 - _DECAY) * mean_e
        logp = logp_all[rows[None, :], choices].sum(dim=1)  # (B,)
        expected_cost = (probs * cost_table).sum()
        loss = energies.mean() + ((e_det - baseline) * logp).mean() + cost_weight * expected_cost
        opt_theta.zero_grad()
        opt_alpha.zero_grad()
        loss.backward()
        opt_theta.step()
        opt_alpha.step()
        with torch.no_grad():
            entropy = float(-(probs * logp_all).sum(dim=1).mean())
        history.append(
            {
                "step": step,
                "mean_energy": mean_e,
                "best_energy": float(e_det.min()),
                "entropy": entropy,
                "expected_cost": float(expected_cost.detach()),
            }
        )
        if (step + 1) % 10 == 0 or step + 1 == steps:
            log.info(
                "dqas step %d/%d: mean energy %.6f, best %.6f, entropy %.3f, expected two-qubit cost %.2f",
                step + 1,
                steps,
                mean_e,
                history[-1]["best_energy"],
                entropy,
                history[-1]["expected_cost"],
            )
            if progress is not None:
                progress(step + 1, steps, mean_e)
    with torch.no_grad():
        final = torch.softmax(alpha.masked_fill(~valid, _PAD), dim=1)
    best = final.argmax(dim=1)
    probabilities = [
        {kind: float(final[p, c]) for c, kind in enumerate(pl.candidates)}
        for p, pl in enumerate(space.placements)
    ]
    circuit, w0 = space.compact(best, theta.detach())
    n_evals = steps * batch
    if refine_steps > 0:
        w, energy, evals = optimize_circuit(h, circuit, w0, seed=seed, steps=refine_steps, simulator=sim)
        weights = [float(v) for v in w.tolist()]
        n_evals += evals
    else:
        weights = w0
        with torch.no_grad():
            wt = torch.tensor(weights, dtype=f64) if weights else None
            energy = float(sim.expval(circuit, h, wt))
        n_evals += 1
    errors: dict[str, float | None] = {"abs_error": None, "rel_error": None, "fidelity": None}
    if exact is not None:
        s = score(problem, circuit, weights if weights else None, exact, sim)
        errors = {k: s[k] for k in errors}
    seconds = time.perf_counter() - t0
    log.info(
        "dqas done: energy %.8f with %d gates (%d two-qubit), %d evaluations, %.1f s",
        energy,
        len(circuit.ops),
        sum(1 for op in circuit.ops if len(op.wires) == 2),
        n_evals,
        seconds,
    )
    return DQASOutcome(
        circuit=circuit,
        weights=weights,
        energy=float(energy),
        architecture=space.architecture(best),
        probabilities=probabilities,
        history=history,
        layout=list(space.layout),
        n_evals=n_evals,
        seconds=seconds,
        settings=settings,
        seed=int(seed),
        **errors,
    )


__all__ = [
    "NONE",
    "ONE_QUBIT_KINDS",
    "TWO_QUBIT_KINDS",
    "DQASOutcome",
    "Placement",
    "SearchSpace",
    "default_kinds",
    "dqas",
    "search_space",
]
