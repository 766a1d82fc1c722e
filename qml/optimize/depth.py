"""Depth that converges: grow an ansatz layer by layer until VQE reaches a target (``layers="auto"``).

The default depth of a problem's ansatz (``p = N / 2`` for spin models) is exact for the
periodic TFIM only; open chains, XXZ and J1-J2 chains need more. :func:`grow_depth` runs VQE
at ``start`` layers, then adds ``step`` layers at a time. Each depth is run twice: warm-started
from the previous optimum, and from the problem's fresh initial weights; the lower energy is
kept. Warm starts need the circuit at ``p`` layers to be a prefix of the one at ``p + 1``
(the HVA, UCC repetitions); other ansaetze only start afresh. A warm start is made in one of
two ways (``DepthSearch.grow``; the one used is in the history):

* ``"interp"``: the optimum's angles, read as schedules over the layers (one per weight of a
  layer), are interpolated linearly onto the new depth, first and last layers kept
  (:func:`interpolate_layers`; INTERP of Zhou et al., PRX 10, 021067 (2020)). For ansaetze
  whose layers discretise an evolution (the HVA) the optimal angles are smooth in the layer
  index, so this start is close to the new optimum. On the open critical TFIM at N = 64
  (the HVA optimised as a free-fermion circuit) growth 4 -> 8 -> 12 follows the global
  optimum (rel error 2.1e-3 at 8 layers, 9.0e-4 at 12) where appending layers stalls in a
  local one (3.4e-3 at 8, 2.7e-3 at 12); at N = 12 the same holds (tests/test_depth.py).
* ``"append"``: the previous optimum with the new layers near the identity (small seeded
  angles, ``new_layer_scale``; exactly zero angles would sit on a saddle, since for
  ``H = G_1 + G_2`` the gradient of an appended identity layer vanishes at the previous
  optimum): the start is the previous optimum up to those small angles.

``"auto"`` (default) interpolates the HVA kinds (ansatz names ``hva*``) when every layer has
the same number of weights, and appends otherwise (HEA, UCC blocks).

The growth stops at the first depth that meets the targets against the exact reference
(relative energy error and ground-space fidelity), or, without a reference, when adding a
layer no longer lowers the energy (a plateau), or at the layer, time or parameter budget.
Every depth tried is recorded in ``result.extra["depth_history"]`` with its energy, errors,
weights count, seconds and the growth used; ``result.extra["depth_stop"]`` says why the
growth stopped.

Example:
    >>> from qml.problems import get_problem
    >>> from qml.optimize import vqe
    >>> r = vqe(get_problem("tfim", n=6, h=0.8, periodic=False), layers="auto")
    >>> r.rel_error <= 1e-3, r.fidelity >= 0.99, r.extra["depth_stop"]
    (True, True, 'target')
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch

from qml.errors import ConfigError
from qml.ir import Circuit

if TYPE_CHECKING:
    from qml.optimize.results import VQEResult

log = logging.getLogger(__name__)

#: Ways of warm-starting a deeper circuit (:class:`DepthSearch` ``grow``).
GROWTHS = ("auto", "interp", "append")


@dataclass(frozen=True)
class DepthSearch:
    """Targets and budgets of the layer-by-layer growth.

    Attributes:
        target_rel_error: Stop once ``|E - E0| / |E0|`` is at most this (with a reference).
        target_fidelity: ... and the weight in the ground space is at least this
            (``None``: energy only).
        start: First depth tried.
        step: Layers added at each growth step (deep circuits of wide MPS runs: e.g. 4, so
            that the few depths tried cost fewer optimisations).
        max_layers: Largest depth (default ``2 * n_wires``).
        time_budget: Seconds after which no further layer is started (``None``: none).
        max_params: Largest number of weights (``None``: no limit).
        plateau_tol: Without a reference: stop when a layer lowers the energy by less than
            ``plateau_tol * max(1, |E|)`` twice in a row.
        new_layer_scale: The new layer's angles are uniform in ``[-scale, scale)``.
        cold_start: Also run every depth from the problem's initial weights and keep the
            lower energy (``kept`` in the history says which): a warm start can stay in the
            basin of a shallower optimum (the open TFIM chain N=12, h=0.9 met the targets at
            23 layers warm-only; a fresh start at 12 layers reaches rel error 2e-4).
        seed: Seed of the new layers' angles.
        grow: How a warm start is made: ``"interp"``, ``"append"`` or ``"auto"`` (module
            docstring; :data:`GROWTHS`).
        stop_at_target: When the energy is the only target (``target_fidelity=None``) and a
            reference exists: stop each depth's optimiser as soon as an energy within the
            target is seen, instead of converging it (wide MPS runs: at 14 layers of a 64-site
            chain each evaluation costs seconds).

    Example:
        >>> DepthSearch(target_rel_error=1e-4).to_dict()["target_rel_error"]
        0.0001
    """

    target_rel_error: float = 1e-3
    target_fidelity: float | None = 0.99
    start: int = 1
    step: int = 1
    max_layers: int | None = None
    time_budget: float | None = None
    max_params: int | None = None
    plateau_tol: float = 1e-7
    new_layer_scale: float = 0.05
    cold_start: bool = True
    seed: int = 0
    grow: str = "auto"
    stop_at_target: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.target_rel_error, (int, float)) and self.target_rel_error > 0):
            raise ConfigError(f"target_rel_error must be a number > 0, got {self.target_rel_error!r}")
        if self.target_fidelity is not None and not 0 < self.target_fidelity <= 1:
            raise ConfigError(f"target_fidelity must be in (0, 1] or None, got {self.target_fidelity!r}")
        for name in ("start", "step", "max_layers", "max_params"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ConfigError(f"{name} must be an integer >= 1 (or None), got {v!r}")
        if self.grow not in GROWTHS:
            raise ConfigError(f"grow must be one of {', '.join(GROWTHS)}, got {self.grow!r}")
        if self.time_budget is not None and not self.time_budget > 0:
            raise ConfigError(f"time_budget must be > 0 seconds (or None), got {self.time_budget!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly settings."""
        return asdict(self)

    def met(self, rel_error: float | None, fidelity: float | None) -> bool:
        """Whether a result meets the targets (``False`` without a reference)."""
        if rel_error is None or rel_error > self.target_rel_error:
            return False
        return self.target_fidelity is None or fidelity is None or fidelity >= self.target_fidelity


def is_prefix(smaller: Circuit, larger: Circuit) -> bool:
    """Whether ``larger`` starts with exactly the ops of ``smaller`` (same weight indices).

    Example:
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=4)
        >>> is_prefix(p.ansatz(1), p.ansatz(2)), is_prefix(p.ansatz(2), p.ansatz(1))
        (True, False)
    """
    k = len(smaller.ops)
    return (
        smaller.n_wires == larger.n_wires
        and smaller.n_weights <= larger.n_weights
        and len(larger.ops) >= k
        and tuple(larger.ops[:k]) == tuple(smaller.ops)
    )


def interpolate_layers(weights: Any, layers: int, new_layers: int) -> torch.Tensor:
    """A layered weight vector interpolated onto another depth (INTERP).

    ``weights`` is layer-major, ``k = len(weights) / layers`` weights per layer; each of the
    ``k`` angle sequences is read as a schedule on ``[0, 1]`` (first layer at 0, last at 1)
    and sampled linearly at ``new_layers`` evenly spaced points.

    Args:
        weights: ``(layers * k,)`` angles.
        layers: Depth of ``weights``.
        new_layers: Depth to interpolate onto (any, larger or smaller).

    Returns:
        ``(new_layers * k,)`` float64 angles.

    Raises:
        ValueError: If ``len(weights)`` is not a multiple of ``layers``.

    Example:
        >>> interpolate_layers([0.0, 1.0, 0.5, 3.0], 2, 3).tolist()
        [0.0, 1.0, 0.25, 2.0, 0.5, 3.0]
    """
    w = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
    if layers < 1 or new_layers < 1 or w.numel() % layers:
        raise ConfigError(
            f"cannot read {w.numel()} weights as {layers} layers of equal size; "
            "interpolation needs the same number of weights in every layer"
        )
    a = w.reshape(layers, -1)
    if layers == 1 or new_layers == 1:
        return a[[0] * new_layers if layers == 1 else [0]].reshape(-1).clone()
    pos = torch.linspace(0, layers - 1, new_layers, dtype=torch.float64)
    lo = pos.floor().long().clamp(max=layers - 2)
    frac = (pos - lo).unsqueeze(1)
    return ((1 - frac) * a[lo] + frac * a[lo + 1]).reshape(-1)


def choose_growth(search: DepthSearch, schedule: bool, n_prev: int, p_prev: int, n_new: int, p: int) -> str:
    """``"interp"`` or ``"append"``: how a warm start at ``p`` layers is made from ``p_prev``.

    Args:
        search: Its ``grow`` setting.
        schedule: Whether the ansatz's layers discretise an evolution (the HVA).
        n_prev: Weights at ``p_prev`` layers.
        p_prev: The previous depth.
        n_new: Weights at ``p`` layers.
        p: The new depth.

    Raises:
        ValueError: ``grow="interp"`` for an ansatz whose layers differ in size.

    Example:
        >>> choose_growth(DepthSearch(), True, 4, 2, 8, 4), choose_growth(DepthSearch(), True, 5, 2, 9, 4)
        ('interp', 'append')
    """
    k, rem = divmod(n_prev, p_prev)
    uniform = rem == 0 and k > 0 and n_new == k * p
    if search.grow == "interp" and not uniform:
        raise ConfigError(
            f"DepthSearch(grow='interp') needs the same number of weights in every layer; the "
            f"ansatz has {n_prev} weights at {p_prev} layers and {n_new} at {p}. "
            "Use grow='append' or 'auto'"
        )
    if search.grow == "append" or not uniform or (search.grow == "auto" and not schedule):
        return "append"
    return "interp"


def grow_depth(
    run: Any,
    build: Any,
    n_wires: int,
    search: DepthSearch,
    has_reference: bool,
    schedule: bool = False,
) -> VQEResult:
    """Run VQE at growing depth until :class:`DepthSearch` says stop.

    Args:
        run: ``run(layers, circuit, init) -> VQEResult``, one VQE at a fixed depth
            (``init=None``: the problem's initial weights; else a warm-start vector).
        build: ``build(layers) -> Circuit``.
        n_wires: Width (for the default ``max_layers``).
        search: Targets and budgets.
        has_reference: Whether an exact reference is available (else the plateau rule).
        schedule: Whether the ansatz's layers discretise an evolution (the HVA), so that
            ``grow="auto"`` interpolates its angles.

    Returns:
        The result at the final depth, with ``extra["depth_history"]``,
        ``extra["depth_stop"]`` (``"target"``, ``"plateau"``, ``"max_layers"``,
        ``"time_budget"``, ``"max_params"``) and ``extra["depth_search"]``; its
        ``timings["total"]`` covers the whole growth.

    Example:
        >>> from qml.optimize import vqe
        >>> from qml.problems import get_problem
        >>> p = get_problem("tfim", n=4, h=0.5)
        >>> run = lambda layers, circuit, w0: vqe(p, layers=layers, init=w0)
        >>> r = grow_depth(run, p.ansatz, 4, DepthSearch(target_rel_error=1e-8), True)
        >>> r.layers, r.extra["depth_stop"]
        (2, 'target')
    """
    t0 = time.perf_counter()
    max_layers = search.max_layers if search.max_layers is not None else max(2 * n_wires, search.start)
    history: list[dict[str, Any]] = []
    best: VQEResult | None = None
    prev_circuit: Circuit | None = None
    p_prev = 0
    prev_weights: Any = None
    flat = 0
    stop = "max_layers"
    p = search.start
    while p <= max_layers:
        circuit = build(p)
        if search.max_params is not None and circuit.n_weights > search.max_params and best is not None:
            stop = "max_params"
            break
        init = None
        warm = False
        growth = None
        if best is not None and prev_circuit is not None and is_prefix(prev_circuit, circuit):
            growth = choose_growth(search, schedule, prev_circuit.n_weights, p_prev, circuit.n_weights, p)
            if growth == "interp":
                # the previous depth's own optimum: `best` may be shallower (a warm start that lost)
                w = interpolate_layers(prev_weights, p_prev, p)
            else:
                gen = torch.Generator().manual_seed(search.seed + p)
                w = (
                    torch.rand(circuit.n_weights, generator=gen, dtype=torch.float64) * 2 - 1
                ) * search.new_layer_scale
                w[: len(best.best_weights)] = torch.tensor(best.best_weights, dtype=torch.float64)
            init, warm = w, True
        t = time.perf_counter()
        res = run(p, circuit, init)
        evals, start = res.n_evals, "warm" if warm else "cold"
        if warm and search.cold_start:
            cold = run(p, circuit, None)
            evals += cold.n_evals
            if cold.energy < res.energy:
                res, start = cold, "cold"
        history.append(
            {
                "layers": p,
                "n_params": circuit.n_weights,
                "energy": res.energy,
                "rel_error": res.rel_error,
                "fidelity": res.fidelity,
                "n_evals": evals,
                "warm_start": warm,
                "grow": growth,
                "kept": start,
                "seconds": time.perf_counter() - t,
            }
        )
        log.info(
            "depth %d (%d weights): energy %.10g, rel error %s, fidelity %s, %.2f s",
            p,
            circuit.n_weights,
            res.energy,
            res.rel_error,
            res.fidelity,
            history[-1]["seconds"],
        )
        best_before = best
        improved = math.inf if best_before is None else best_before.energy - res.energy
        if best is None or res.energy <= best.energy + 1e-12 * max(1.0, abs(best.energy)):
            best = res
        prev_circuit, p_prev, prev_weights = circuit, p, res.best_weights
        if has_reference and search.met(res.rel_error, res.fidelity):
            best, stop = res, "target"
            break
        if not has_reference and best_before is not None:
            flat = flat + 1 if improved < search.plateau_tol * max(1.0, abs(res.energy)) else 0
            if flat >= 2:
                stop = "plateau"
                break
        if search.time_budget is not None and time.perf_counter() - t0 >= search.time_budget:
            stop = "time_budget"
            break
        p += search.step
    assert best is not None
    best.extra["depth_history"] = history
    best.extra["depth_stop"] = stop
    best.extra["depth_search"] = search.to_dict()
    best.timings["total"] = time.perf_counter() - t0
    best.timings["optimize"] = math.fsum(h["seconds"] for h in history)
    best.n_evals = sum(h["n_evals"] for h in history)
    if stop != "target" and has_reference:
        best.message = (
            f"depth search stopped ({stop}) at {history[-1]['layers']} layers before the "
            f"targets (rel error <= {search.target_rel_error:g}"
            + (f", fidelity >= {search.target_fidelity:g}" if search.target_fidelity else "")
            + f"); best: {best.layers} layers. "
            + best.message
        )
        best.converged = False
    return best


__all__ = ["GROWTHS", "DepthSearch", "choose_growth", "grow_depth", "interpolate_layers", "is_prefix"]
