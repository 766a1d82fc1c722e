"""Optimisers for variational energies: torch (Adam, SGD, L-BFGS), SPSA, QNG and a thin scipy wrapper.

All optimisers minimise an :class:`Objective` (a circuit, a Hamiltonian and a simulator)
through one entry point, :func:`minimize`, and return an :class:`OptimizeResult` with the
final and best weights, the energy of every evaluation (``history``) and the number of
circuit evaluations. A ``callback(step, energy, weights)`` is called once per
iteration (per function evaluation for L-BFGS and scipy methods); returning ``True``
stops the run.

Methods (:data:`OPTIMIZERS`):

* ``"adam"`` / ``"sgd"``: ``torch.optim`` with ``lr`` (default 0.05 / 0.01); stops
  early when the gradient's max-norm falls below ``tol``.
* ``"lbfgs"``: ``torch.optim.LBFGS`` with a strong-Wolfe line search, ``lr`` (default 1),
  at most ``steps`` iterations; ``tol`` is the gradient tolerance (default ``1e-10``).
* ``"spsa"``: simultaneous-perturbation stochastic approximation (Spall 1998), seeded.
  Each iteration evaluates ``w + c_k d``, ``w - c_k d`` and ``w`` in one batched
  simulator call; gains ``a_k = a / (k + 1 + A)^0.602``, ``c_k = c / (k + 1)^0.101`` with
  ``A = steps / 10``, ``c`` = ``options["perturbation"]`` (0.1) and ``a`` calibrated so
  the first steps move about ``lr`` (default 0.1) per parameter. Works with the
  shot-noise energies of ``Objective(shots=...)``.
* ``"qng"``: quantum natural gradient, ``w <- w - lr (G + reg I)^-1 grad E`` with the
  Fubini-Study metric ``G`` (:func:`qml.optimize.qng.fubini_study_metric`); ``lr``
  default 0.1, ``options["reg"]`` default ``1e-4``.
* ``"cobyla"``, ``"bfgs"``, ``"l-bfgs-b"``, ``"nelder-mead"``, ``"powell"``:
  :func:`scipy.optimize.minimize`; gradient-based methods get the exact autograd
  gradient (``jac=True``); ``steps`` is ``maxiter``; COBYLA's ``rhobeg`` is ``lr``
  (default 0.3).

Example:
    >>> from qml.ir import Circuit, W
    >>> from qml.paulis import pauli
    >>> obj = Objective(Circuit(1).add("RY", 0, W(0)), pauli("Z0"))
    >>> res = minimize(obj, [0.5], "lbfgs", steps=50)
    >>> round(res.energy, 8)
    -1.0
"""

from __future__ import annotations

import logging
import math
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch

from qml.dtypes import real_dtype
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

#: Optimiser names understood by :func:`minimize`.
TORCH_OPTIMIZERS: tuple[str, ...] = ("adam", "sgd", "lbfgs")
SCIPY_OPTIMIZERS: tuple[str, ...] = ("cobyla", "bfgs", "l-bfgs-b", "nelder-mead", "powell")
OPTIMIZERS: tuple[str, ...] = (*TORCH_OPTIMIZERS, "spsa", "qng", *SCIPY_OPTIMIZERS)
_GRADIENT_FREE = ("cobyla", "nelder-mead", "powell")
#: Optimisers whose energies are shot estimates when ``Objective(shots=...)`` is set.
SHOT_OPTIMIZERS: tuple[str, ...] = ("spsa", *_GRADIENT_FREE)

#: Default learning rate / step scale per method.
DEFAULT_LR: dict[str, float] = {
    "adam": 0.05,
    "sgd": 0.01,
    "lbfgs": 1.0,
    "spsa": 0.1,
    "qng": 0.1,
    "cobyla": 0.3,
}

Callback = Callable[[int, float, torch.Tensor], Any]

#: The torch optimisers :func:`torch_optimizer` builds (VQE, state preparation, model training,
#: conditional models); each context accepts a subset of them.
TORCH_OPTIMIZER_CLASSES: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "lbfgs": torch.optim.LBFGS,
}


def torch_optimizer(
    name: str,
    params: Any,
    lr: float | None = None,
    steps: int = 100,
    tol: float | None = None,
    **options: Any,
) -> torch.optim.Optimizer:
    """The package's one place that builds torch optimisers, with its one set of defaults.

    L-BFGS: ``max_iter=steps``, ``max_eval=5/2 steps``, ``tolerance_grad=tol`` (default
    ``1e-10``), ``tolerance_change=1e-15``, ``history_size=100`` and a strong-Wolfe line search;
    first-order methods take ``lr`` (default :data:`DEFAULT_LR`). ``options`` override any
    keyword of the torch class (``momentum=0.9``, ``weight_decay``, ``history_size``...).

    Args:
        name: A key of :data:`TORCH_OPTIMIZER_CLASSES`.
        params: Tensors or parameter groups.
        lr: Learning rate (L-BFGS: initial step, default 1).
        steps: L-BFGS iterations per ``step()`` call (ignored by first-order methods).
        tol: L-BFGS gradient tolerance.
        **options: Keyword arguments of the torch class.

    Raises:
        ConfigError: For an unknown name.

    Example:
        >>> import torch
        >>> p = torch.zeros(3, requires_grad=True)
        >>> opt = torch_optimizer("lbfgs", [p], steps=50)
        >>> opt.defaults["max_eval"], opt.defaults["history_size"]
        (125, 100)
    """
    cls = TORCH_OPTIMIZER_CLASSES.get(name)
    if cls is None:
        raise ConfigError(f"unknown torch optimiser {name!r}; valid: {', '.join(TORCH_OPTIMIZER_CLASSES)}")
    if name == "lbfgs":
        kw: dict[str, Any] = {
            "lr": 1.0 if lr is None else lr,
            "max_iter": steps,
            "max_eval": steps * 5 // 2,
            "tolerance_grad": 1e-10 if tol is None else tol,
            "tolerance_change": 1e-15,
            "history_size": 100,
            "line_search_fn": "strong_wolfe",
        }
    else:
        kw = {"lr": DEFAULT_LR.get(name, DEFAULT_LR["adam"]) if lr is None else lr}
    return cls(params, **{**kw, **options})


class _Stop(Exception):
    """Raised inside closures to end a run early (callback asked to stop)."""


def _z_basis_change(circuit: Circuit, letters: dict[int, str]) -> Circuit:
    """Append the rotation that maps each wire's X or Y to Z (for measuring a qubit-wise group)."""
    c = circuit
    for w, ltr in sorted(letters.items()):
        if ltr == "X":
            c = c.add("H", w)
        elif ltr == "Y":
            c = c.add("Sdg", w).add("H", w)
    return c


@dataclass
class Objective:
    """The energy ``<psi(w)|H|psi(w)>`` of a circuit, with evaluation counting.

    Args:
        circuit: The ansatz.
        hamiltonian: The Hamiltonian.
        simulator: The simulator (default: complex128, ``diff="auto"``).
        shots: If set, energies for gradient-free methods (SPSA, COBYLA...) are estimated
            from this many shots per qubit-wise commuting group (measurement in rotated
            bases); gradients stay exact.
        seed: Seed of the shot sampler.

    Example:
        >>> from qml.ir import Circuit, W
        >>> from qml.paulis import pauli
        >>> obj = Objective(Circuit(1).add("RX", 0, W(0)), pauli("Z0"))
        >>> obj.value(torch.tensor([0.0])), obj.n_evals
        (1.0, 1)
    """

    circuit: Circuit
    hamiltonian: PauliSum
    simulator: Simulator = field(default_factory=Simulator)
    shots: int | None = None
    seed: int = 0
    n_evals: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)
    _groups: list[tuple[dict[int, str], PauliSum, Circuit]] | None = field(
        default=None, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.hamiltonian.n_wires > self.circuit.n_wires:
            raise ConfigError(
                f"the Hamiltonian acts on {self.hamiltonian.n_wires} wires but the circuit has "
                f"{self.circuit.n_wires}; build the ansatz on at least {self.hamiltonian.n_wires} wires"
            )
        if self.shots is not None and (isinstance(self.shots, bool) or int(self.shots) < 1):
            raise ConfigError(
                f"shots must be a positive integer or None (exact energies), got {self.shots!r}"
            )
        if self.shots is not None and self.simulator.method == "mps":
            raise ConfigError(
                "shots are not available with method='mps' (an MPS simulation gives exact expectation values "
                "of the truncated state, no samples); drop shots, or use method='statevector'"
            )
        self._rng = np.random.default_rng(self.seed)

    @property
    def n_params(self) -> int:
        """Number of trainable weights."""
        return self.circuit.n_weights

    @property
    def real_dtype(self) -> torch.dtype:
        """The real dtype matching the simulator (float64 for complex128)."""
        return real_dtype(self.simulator.dtype)

    def tensor(self, w: Any) -> torch.Tensor:
        """``w`` as a detached real tensor of this objective's dtype."""
        t = w.detach() if isinstance(w, torch.Tensor) else torch.as_tensor(np.asarray(w, dtype=float))
        t = t.to(self.real_dtype).reshape(-1) if t.dim() <= 1 else t.to(self.real_dtype)
        if t.shape[-1] != self.n_params:
            raise ConfigError(
                f"expected {self.n_params} weights for this circuit, got shape {tuple(t.shape)}; "
                "initial weights must match the ansatz (check layers / ansatz name of a warm start)"
            )
        return t

    def energy(self, w: torch.Tensor) -> torch.Tensor:
        """Differentiable energy (one row or a batch ``(B, P)``)."""
        self.n_evals += 1 if w.dim() == 1 else w.shape[0]
        return self.simulator.expval(self.circuit, self.hamiltonian, w)

    def value(self, w: Any) -> float:
        """Energy without gradient (exact, or shot-estimated when ``shots`` is set)."""
        return float(self.values(self.tensor(w).reshape(1, -1))[0])

    def values(self, W: torch.Tensor) -> torch.Tensor:
        """Energies of a batch ``(B, P)`` of weight vectors, without gradient."""
        W = self.tensor(W)
        if W.dim() == 1:
            W = W.reshape(1, -1)
        with torch.no_grad():
            if self.shots is None:
                return self.energy(W).reshape(-1).cpu()
            self.n_evals += W.shape[0]
            return self._sampled(W)

    def value_and_grad(self, w: Any) -> tuple[float, torch.Tensor]:
        """Exact energy and its gradient (autograd through the simulator)."""
        t = self.tensor(w).clone().requires_grad_(True)
        e = self.energy(t)
        (g,) = torch.autograd.grad(e, t)
        return float(e.detach()), g.detach()

    def _sampled(self, W: torch.Tensor) -> torch.Tensor:
        """Shot estimate: every qubit-wise commuting group measured with ``shots`` shots."""
        if self._groups is None:
            self._groups = []
            for g in self.hamiltonian.qubitwise_groups():
                letters: dict[int, str] = {}
                for _, s in g.terms:
                    letters.update(s.ops)
                self._groups.append((letters, g, _z_basis_change(self.circuit, letters)))
        total = torch.zeros(W.shape[0], dtype=torch.float64)
        shots = int(self.shots or 0)
        for _, group, rotated in self._groups:
            seed = int(self._rng.integers(2**62))
            bits = self.simulator.sample(rotated, W, shots=shots, seed=seed).to(torch.float64)
            signs = 1.0 - 2.0 * bits  # (B, shots, n): +1 for outcome 0
            for c, s in group.terms:
                if s.is_identity:
                    total += c
                    continue
                wires = list(s.wires)
                total += c * signs[:, :, wires].prod(dim=-1).mean(dim=-1).cpu()
        return total.to(self.real_dtype)


@dataclass
class OptimizeResult:
    """What :func:`minimize` returns.

    Attributes:
        weights: Final iterate.
        best_weights: Weights of the lowest evaluated energy (equal to ``weights`` for
            deterministic methods that end at their best point).
        energy: Exact energy at ``best_weights`` (re-evaluated without shots).
        history: Energy of every evaluation, in order (shot estimates when shots are used).
        n_iters: Iterations done.
        n_evals: Circuit evaluations (a batch of B rows counts B).
        converged: Whether a tolerance (not the step limit) ended the run.
        message: Why it stopped.
        interrupted: Ctrl-C stopped it (the best weights so far are kept).

    Example:
        >>> r = OptimizeResult(torch.zeros(1), torch.zeros(1), -1.0, [0.0, -1.0], 2, 2, True, "tol")
        >>> r.energy
        -1.0
    """

    weights: torch.Tensor
    best_weights: torch.Tensor
    energy: float
    history: list[float]
    n_iters: int
    n_evals: int
    converged: bool
    message: str
    interrupted: bool = False


@dataclass
class Checkpoint:
    """Where and how often :func:`minimize` saves its state, and whether to resume from it.

    The file (``torch.save`` of plain tensors and numbers, read back with ``weights_only=True``)
    holds the iteration, the weights, the optimiser's state, the energy history and the best
    weights. It is written every ``every`` iterations and on Ctrl-C, atomically. With
    ``resume`` and an existing file, Adam and SGD continue exactly where they stopped (the
    same numbers as an uninterrupted run); L-BFGS restarts its curvature history from the
    best weights with the remaining iterations; other methods start from the best weights.

    Example:
        >>> Checkpoint("run.ckpt", every=5).every
        5
    """

    path: str
    every: int = 10
    resume: bool = False

    def load(self, method: str, n_params: int) -> dict[str, Any] | None:
        """The saved state when resuming (``None``: start afresh); refuses another run's file."""
        from pathlib import Path

        stale = Path(f"{self.path}.tmp")
        if stale.exists():  # a write interrupted by a kill; the checkpoint itself is intact
            stale.unlink()
        if not self.resume or not Path(self.path).exists():
            return None
        try:
            state = torch.load(self.path, weights_only=True)
        except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
            raise ConfigError(
                f"checkpoint {self.path} is not readable ({first}); delete it to start afresh"
            ) from None
        if state.get("method") != method or int(state["w"].numel()) != n_params:
            raise ConfigError(
                f"checkpoint {self.path} is from another run ({state.get('method')}, {state['w'].numel()} "
                f"weights; this run: {method}, {n_params}); delete it or resume the run that wrote it"
            )
        return state

    def save(self, state: dict[str, Any]) -> None:
        """Write ``state`` atomically (a temporary file renamed into place)."""
        import os

        tmp = f"{self.path}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)


class _Tracker:
    """Records energies, keeps the best weights and calls the user callback."""

    def __init__(self, callback: Callback | None, log_every: int) -> None:
        self.callback = callback
        self.history: list[float] = []
        self.best = math.inf
        self.best_w: torch.Tensor | None = None
        self.log_every = max(1, log_every)
        self.t0 = time.perf_counter()

    def record(self, energy: float, w: torch.Tensor, call: bool = True) -> None:
        self.history.append(energy)
        if energy < self.best:
            self.best, self.best_w = energy, w.detach().clone()
        step = len(self.history)
        if step % self.log_every == 0:
            log.info(
                "step %d: energy %.12g (best %.12g, %.2f s)",
                step,
                energy,
                self.best,
                time.perf_counter() - self.t0,
            )
        if call and self.callback is not None and self.callback(step, energy, w.detach()):
            raise _Stop


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"steps must be an integer >= 0, got {steps!r}")
    return steps


def minimize(
    objective: Objective,
    w0: Any,
    method: str = "lbfgs",
    steps: int = 200,
    lr: float | None = None,
    tol: float | None = None,
    seed: int = 0,
    callback: Callback | None = None,
    options: dict[str, Any] | None = None,
    log_every: int = 10,
    checkpoint: Checkpoint | None = None,
) -> OptimizeResult:
    """Minimise ``objective`` from ``w0`` with one of :data:`OPTIMIZERS`.

    Args:
        objective: The energy to minimise.
        w0: Initial weights (``(P,)``).
        method: Optimiser name (see the module docstring).
        steps: Maximum number of iterations (``maxiter`` for scipy).
        lr: Learning rate / step scale (method default when ``None``).
        tol: Convergence tolerance (method-specific meaning; see the module docstring).
        seed: Seed for stochastic methods (SPSA perturbations).
        callback: ``callback(step, energy, weights)``; return ``True`` to stop.
        options: Extra method options (``history_size`` for L-BFGS; ``perturbation``,
            ``alpha``, ``gamma``, ``resamplings``, ``blocking`` for SPSA; ``reg`` for QNG;
            anything :func:`scipy.optimize.minimize` takes in ``options`` for scipy methods).
        log_every: Log progress (INFO) every this many evaluations.
        checkpoint: Save (and with ``resume``, restore) the optimiser state (:class:`Checkpoint`).

    Returns:
        An :class:`OptimizeResult`.

    Raises:
        ValueError: For an unknown method or bad settings.

    Example:
        >>> from qml.ir import Circuit, W
        >>> from qml.paulis import pauli
        >>> obj = Objective(Circuit(1).add("RY", 0, W(0)), pauli("X0"))
        >>> minimize(obj, [0.1], "adam", steps=300, lr=0.1).energy < -0.99
        True
    """
    method = str(method).lower()
    if method not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {method!r}; valid choices: {', '.join(OPTIMIZERS)}")
    if objective.shots is not None and method not in SHOT_OPTIMIZERS:
        raise ConfigError(
            f"shots={objective.shots} would be ignored: {method} uses exact energies and gradients; shot "
            f"noise enters only the gradient-free optimisers ({', '.join(SHOT_OPTIMIZERS)}); drop shots or "
            "use one of them"
        )
    steps = _check_steps(steps)
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0):
        raise ConfigError(f"lr must be a number > 0, got {lr!r}")
    opts = dict(options or {})
    lr = float(DEFAULT_LR.get(method, 1.0) if lr is None else lr)
    w = objective.tensor(w0).clone()
    tracker = _Tracker(callback, log_every)
    evals0 = objective.n_evals
    interrupted = False
    if checkpoint is not None:
        saved = checkpoint.load(method, objective.n_params)
        opts["_checkpoint"], opts["_resume"] = checkpoint, saved
        if saved is not None:
            tracker.history = [float(e) for e in saved["history"]]
            tracker.best, tracker.best_w = float(saved["best"]), saved["best_w"].to(w.dtype)
            if method not in _EXACT_RESUME:
                w = tracker.best_w.clone()
                steps = max(0, steps - int(saved["k"]))
            log.info("resuming %s from %s at iteration %d", method, checkpoint.path, int(saved["k"]))
    if checkpoint is not None and method not in _EXACT_RESUME:
        runner_ck = checkpoint

        def save_best() -> None:
            if tracker.best_w is not None:
                runner_ck.save(
                    {
                        "method": method,
                        "k": len(tracker.history),
                        "w": tracker.best_w,
                        "opt": {},
                        "history": torch.tensor(tracker.history, dtype=torch.float64),
                        "best": tracker.best,
                        "best_w": tracker.best_w,
                    }
                )

        opts.pop("_checkpoint")
        opts.pop("_resume")
    runner = {
        "adam": _torch_first_order,
        "sgd": _torch_first_order,
        "lbfgs": _lbfgs,
        "spsa": _spsa,
        "qng": _qng,
    }.get(method, _scipy)
    try:
        w, n_iters, converged, message = runner(objective, w, method, steps, lr, tol, seed, tracker, opts)
    except _Stop:
        n_iters, converged, message = len(tracker.history), False, "stopped by callback"
        w = tracker.best_w if tracker.best_w is not None else w
    except KeyboardInterrupt:  # keep the best weights so far; the caller decides what to do
        if tracker.best_w is None:
            raise
        if checkpoint is not None and method not in _EXACT_RESUME:
            save_best()
        n_iters, converged, message = len(tracker.history), False, "interrupted (Ctrl-C)"
        w, interrupted = tracker.best_w, True
    if tracker.best_w is None:  # steps == 0
        tracker.record(objective.value(w), w, call=False)
    if objective.shots is None:
        best_w = tracker.best_w if tracker.best_w is not None else w
        final = _exact_value(objective, best_w)
        last = _exact_value(objective, w)
        if last < final:
            best_w, final = w.clone(), last
    else:  # noisy estimates: the best-looking point is biased; keep the final iterate
        best_w = w.clone()
        final = _exact_value(objective, best_w)
    return OptimizeResult(
        weights=w.detach(),
        best_weights=best_w.detach(),
        energy=final,
        history=tracker.history,
        n_iters=n_iters,
        n_evals=objective.n_evals - evals0,
        converged=converged,
        message=message,
        interrupted=interrupted,
    )


def _exact_value(objective: Objective, w: torch.Tensor) -> float:
    with torch.no_grad():
        return float(objective.simulator.expval(objective.circuit, objective.hamiltonian, w))


# -- torch ---------------------------------------------------------------------------------
#: Optimisers whose checkpoint resumes exactly (the whole state is saved).
_EXACT_RESUME = ("adam", "sgd")


def _torch_first_order(
    obj: Objective,
    w: torch.Tensor,
    method: str,
    steps: int,
    lr: float,
    tol: float | None,
    seed: int,
    tracker: _Tracker,
    opts: dict[str, Any],
) -> tuple[torch.Tensor, int, bool, str]:
    ck, saved = opts.pop("_checkpoint", None), opts.pop("_resume", None)
    p = (w if saved is None else saved["w"].to(w.dtype)).clone().requires_grad_(True)
    opt = torch_optimizer(method, [p], lr, **opts)
    k0 = 0 if saved is None else int(saved["k"])
    if saved is not None:
        opt.load_state_dict(saved["opt"])

    def save(k: int) -> None:
        if ck is not None:
            ck.save(
                {
                    "method": method,
                    "k": k,
                    "w": p.detach().clone(),
                    "opt": opt.state_dict(),
                    "history": torch.tensor(tracker.history, dtype=torch.float64),
                    "best": tracker.best,
                    "best_w": tracker.best_w if tracker.best_w is not None else p.detach().clone(),
                }
            )

    k = k0
    try:
        for k in range(k0, steps):
            opt.zero_grad()
            e = obj.energy(p)
            e.backward()
            tracker.record(float(e.detach()), p.detach())
            assert p.grad is not None
            if tol is not None and float(p.grad.abs().max()) < tol:
                return p.detach(), k + 1, True, f"gradient max-norm below tol={tol:g}"
            opt.step()
            if ck is not None and (k + 1) % ck.every == 0:
                save(k + 1)
    except KeyboardInterrupt:
        if len(tracker.history) > k:  # this iteration was recorded: redo it on resume
            tracker.history = tracker.history[:k]
        save(k)
        raise
    return p.detach(), steps, False, f"reached steps={steps}"


def _lbfgs(
    obj: Objective,
    w: torch.Tensor,
    method: str,
    steps: int,
    lr: float,
    tol: float | None,
    seed: int,
    tracker: _Tracker,
    opts: dict[str, Any],
) -> tuple[torch.Tensor, int, bool, str]:
    if steps == 0:
        return w, 0, False, "steps=0"
    p = w.clone().requires_grad_(True)
    unknown = sorted(set(opts) - {"max_eval", "tolerance_change", "history_size"})
    if unknown:
        raise ConfigError(
            f"unknown L-BFGS options {unknown}; valid: max_eval, tolerance_change, history_size"
        )
    opt = torch_optimizer("lbfgs", [p], lr, steps, None if tol is None else float(tol), **opts)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        e = obj.energy(p)
        e.backward()
        tracker.record(float(e.detach()), p.detach())
        return e

    opt.step(closure)  # type: ignore[arg-type]  # torch types closures as -> float; L-BFGS's return the loss
    state = opt.state[cast(torch.optim.LBFGS, opt)._params[0]]
    n_iter = int(state.get("n_iter", 0))
    converged = n_iter < steps
    msg = "converged (gradient or change below tolerance)" if converged else f"reached steps={steps}"
    return p.detach(), n_iter, converged, msg


# -- SPSA ----------------------------------------------------------------------------------------
def _spsa(
    obj: Objective,
    w: torch.Tensor,
    method: str,
    steps: int,
    lr: float,
    tol: float | None,
    seed: int,
    tracker: _Tracker,
    opts: dict[str, Any],
) -> tuple[torch.Tensor, int, bool, str]:
    c = float(opts.pop("perturbation", 0.1))
    alpha = float(opts.pop("alpha", 0.602))
    gamma = float(opts.pop("gamma", 0.101))
    resamplings = int(opts.pop("resamplings", 1))
    blocking = bool(opts.pop("blocking", False))
    a_given = opts.pop("a", None)
    if opts:
        raise ConfigError(
            f"unknown SPSA options {sorted(opts)}; "
            "valid: perturbation, alpha, gamma, resamplings, blocking, a"
        )
    rng = np.random.default_rng(seed)
    P = w.numel()
    A = 0.1 * steps

    def delta() -> torch.Tensor:
        return torch.as_tensor(rng.choice([-1.0, 1.0], size=P), dtype=w.dtype)

    def grad_estimate(x: torch.Tensor, ck: float) -> tuple[torch.Tensor, float | None]:
        ds = [delta() for _ in range(resamplings)]
        rows = [x + ck * d for d in ds] + [x - ck * d for d in ds] + [x]
        vals = obj.values(torch.stack(rows))
        g = torch.zeros_like(x)
        for r, d in enumerate(ds):
            g += (vals[r] - vals[resamplings + r]) / (2 * ck) * d
        return g / resamplings, float(vals[-1])

    if a_given is None:  # calibrate: first step of size ~ lr per parameter
        mags = [float(grad_estimate(w, c)[0].abs().mean()) for _ in range(min(5, max(1, steps)))]
        mag = max(float(np.mean(mags)), 1e-12)
        a = lr * (A + 1) ** alpha / mag
    else:
        a = float(a_given)
    x = w.clone()
    current = None
    for k in range(steps):
        ak, ck = a / (k + 1 + A) ** alpha, c / (k + 1) ** gamma
        g, e_x = grad_estimate(x, ck)
        assert e_x is not None
        tracker.record(e_x, x)
        current = e_x
        new = x - ak * g
        if blocking:
            e_new = float(obj.values(new.reshape(1, -1))[0])
            if e_new > current + 2 * abs(current) * 1e-3:
                continue
        x = new
        if tol is not None and float((ak * g).abs().max()) < tol:
            return x, k + 1, True, f"step below tol={tol:g}"
    return x, steps, False, f"reached steps={steps}"


# -- QNG -------------------------------------------------------------------------------------
def _qng(
    obj: Objective,
    w: torch.Tensor,
    method: str,
    steps: int,
    lr: float,
    tol: float | None,
    seed: int,
    tracker: _Tracker,
    opts: dict[str, Any],
) -> tuple[torch.Tensor, int, bool, str]:
    from qml.optimize.qng import fubini_study_metric, natural_gradient

    reg = float(opts.pop("reg", 1e-4))
    if opts:
        raise ConfigError(f"unknown QNG options {sorted(opts)}; valid: reg")
    x = w.clone()
    for k in range(steps):
        e, g = obj.value_and_grad(x)
        tracker.record(e, x)
        if tol is not None and float(g.abs().max()) < tol:
            return x, k + 1, True, f"gradient max-norm below tol={tol:g}"
        G = fubini_study_metric(obj.circuit, x, obj.simulator)
        x = x - lr * natural_gradient(G, g, reg)
    return x, steps, False, f"reached steps={steps}"


# -- scipy -----------------------------------------------------------------------------------
def _scipy(
    obj: Objective,
    w: torch.Tensor,
    method: str,
    steps: int,
    lr: float,
    tol: float | None,
    seed: int,
    tracker: _Tracker,
    opts: dict[str, Any],
) -> tuple[torch.Tensor, int, bool, str]:
    from scipy.optimize import minimize as sp_minimize

    names = {
        "cobyla": "COBYLA",
        "bfgs": "BFGS",
        "l-bfgs-b": "L-BFGS-B",
        "nelder-mead": "Nelder-Mead",
        "powell": "Powell",
    }
    gradient_free = method in _GRADIENT_FREE
    options: dict[str, Any] = {"maxiter": steps, **opts}
    if method == "cobyla":
        options.setdefault("rhobeg", lr)
    if method in ("bfgs",) and tol is not None:
        options.setdefault("gtol", tol)

    def fun(x: np.ndarray) -> Any:
        t = torch.as_tensor(x, dtype=obj.real_dtype)
        if gradient_free:
            e = obj.value(t)
            tracker.record(e, t)
            return e
        e, g = obj.value_and_grad(t)
        tracker.record(e, t)
        return e, g.cpu().numpy().astype(float)

    res = sp_minimize(
        fun,
        w.cpu().numpy().astype(float),
        method=names[method],
        jac=not gradient_free,
        tol=tol if method != "bfgs" else None,
        options=options,
    )
    x = torch.as_tensor(res.x, dtype=obj.real_dtype)
    return x, int(getattr(res, "nit", 0) or 0), bool(res.success), str(res.message)


def settings_dict(
    method: str, steps: int, lr: float | None, tol: float | None, options: dict[str, Any] | None
) -> dict[str, Any]:
    """JSON-friendly optimiser settings (defaults filled in) for result records.

    Example:
        >>> settings_dict("adam", 10, None, None, None)["lr"]
        0.05
    """
    return {
        "optimizer": method,
        "steps": steps,
        "lr": float(DEFAULT_LR.get(method, 1.0) if lr is None else lr),
        "tol": tol,
        "options": dict(options or {}),
    }


def max_evaluations(method: str, steps: int, options: dict[str, Any] | None = None) -> int | None:
    """The budget of ``callback`` calls of one :func:`minimize` run, or ``None`` when it has none.

    L-BFGS stops once it has made ``max_eval`` evaluations (``2.5 steps`` by default; the last
    line search may add a few); Adam, SGD, SPSA and QNG call back once per iteration; COBYLA's
    ``maxiter`` counts evaluations. The other scipy methods count iterations, whose evaluations
    vary. Progress bars use it for an upper-bound ETA.

    Example:
        >>> max_evaluations("lbfgs", 200), max_evaluations("adam", 200), max_evaluations("bfgs", 200)
        (500, 200, None)
    """
    method = str(method).lower()
    if method == "lbfgs":
        return int((options or {}).get("max_eval", steps * 5 // 2))
    if method in ("adam", "sgd", "spsa", "qng", "cobyla"):
        return int(steps)
    return None


def as_weights(
    values: Sequence[float] | np.ndarray | torch.Tensor, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Coerce a weight vector (list, array or tensor) to a detached 1-D tensor.

    Example:
        >>> as_weights([1, 2]).dtype
        torch.float64
    """
    if isinstance(values, torch.Tensor):
        return values.detach().to(dtype).reshape(-1)
    return torch.as_tensor(np.asarray(values, dtype=float), dtype=dtype).reshape(-1)


__all__ = [
    "DEFAULT_LR",
    "OPTIMIZERS",
    "SCIPY_OPTIMIZERS",
    "TORCH_OPTIMIZERS",
    "TORCH_OPTIMIZER_CLASSES",
    "Checkpoint",
    "Objective",
    "OptimizeResult",
    "as_weights",
    "max_evaluations",
    "minimize",
    "settings_dict",
    "torch_optimizer",
]
