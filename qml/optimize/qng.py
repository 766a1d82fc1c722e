"""The Fubini-Study metric and the quantum natural gradient (Stokes et al., Quantum 4, 269, 2020).

For a state ``|psi(w)>`` with Jacobian ``J = d psi / d w`` (``2^n x P``), the metric is

    ``G_ij = Re( <d_i psi|d_j psi> - <d_i psi|psi><psi|d_j psi> )``

(the real part of the quantum geometric tensor; for a gate ``exp(-i w P / 2)`` it is
PennyLane's ``metric_tensor``, ``(<P^2> - <P>^2) / 4`` on the diagonal). The Jacobian is
computed exactly by forward-mode automatic differentiation of the simulator's state
(:func:`torch.func.jacfwd`, ``P`` JVPs), or reverse mode (:func:`torch.func.jacrev`)
when that is cheaper or forward mode is unavailable. The natural-gradient step solves
``(G + reg I) d = grad E``; the regulariser handles the singular directions every
over-parametrised ansatz has.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> c = Circuit(1).add("RY", 0, W(0)).add("RZ", 0, W(1))
    >>> G = fubini_study_metric(c, torch.tensor([0.5 * torch.pi, 0.0], dtype=torch.float64))
    >>> [round(v, 6) for v in G.diagonal().tolist()]  # 1/4 and (1 - <Z>^2)/4 = 1/4
    [0.25, 0.25]
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import torch

from qml.dtypes import real_dtype
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.sim.simulator import Simulator

log = logging.getLogger(__name__)

#: Jacobian modes of :func:`state_jacobian`.
JACOBIAN_MODES: tuple[str, ...] = ("auto", "forward", "reverse")


def state_jacobian(
    circuit: Circuit, weights: Any, simulator: Simulator | None = None, mode: str = "auto"
) -> tuple[torch.Tensor, torch.Tensor]:
    """The state ``psi(w)`` and its Jacobian ``d psi / d w`` (complex, ``(2^n,)`` and ``(2^n, P)``).

    Args:
        circuit: The circuit.
        weights: ``(P,)`` weights.
        simulator: Simulator settings (the ``diff`` setting is ignored: the state is
            differentiated by automatic differentiation).
        mode: ``"forward"`` (``P`` JVPs), ``"reverse"`` (``2^(n+1)`` VJPs) or ``"auto"``
            (the cheaper one, falling back to the other on failure).

    Example:
        >>> from qml.ir import Circuit, W
        >>> psi, J = state_jacobian(Circuit(1).add("RX", 0, W(0)), torch.zeros(1, dtype=torch.float64))
        >>> (J[:, 0] + 0).tolist()  # d/dw (cos(w/2), -i sin(w/2)) at 0 (+ 0 turns -0 into 0)
        [0j, -0.5j]
    """
    if mode not in JACOBIAN_MODES:
        raise ConfigError(f"unknown jacobian mode {mode!r}; valid choices: {', '.join(JACOBIAN_MODES)}")
    sim = simulator if simulator is not None else Simulator()
    sim = dataclasses.replace(sim, diff="backprop")
    rdt = real_dtype(sim.dtype)
    w = weights.detach() if isinstance(weights, torch.Tensor) else torch.as_tensor(weights)
    w = w.to(rdt).reshape(-1)

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.view_as_real(sim.state(circuit, x))

    if mode == "auto":
        order = ["forward", "reverse"] if w.numel() <= 2 ** (circuit.n_wires + 1) else ["reverse", "forward"]
    else:
        order = [mode]
    last: Exception | None = None
    for m in order:
        try:
            jac = (torch.func.jacfwd if m == "forward" else torch.func.jacrev)(f)(w)
            break
        except (RuntimeError, NotImplementedError) as err:  # pragma: no cover - depends on torch kernels
            log.info("%s-mode Jacobian failed (%s); trying the other mode", m, err)
            last = err
    else:  # pragma: no cover
        raise RuntimeError(f"could not differentiate the state: {last}")
    with torch.no_grad():
        psi = sim.state(circuit, w)
    J = torch.complex(jac[..., 0, :], jac[..., 1, :])  # (2^n, P)
    return psi, J


def fubini_study_metric(
    circuit: Circuit, weights: Any, simulator: Simulator | None = None, mode: str = "auto"
) -> torch.Tensor:
    """The Fubini-Study metric ``G`` (``(P, P)``, real symmetric, positive semi-definite).

    Args:
        circuit: The circuit.
        weights: ``(P,)`` weights.
        simulator: Simulator settings (dtype, device).
        mode: Jacobian mode, see :func:`state_jacobian`.

    Example:
        >>> from qml.ir import Circuit, W
        >>> c = Circuit(2).add("RY", 0, W(0)).add("RY", 1, W(1))
        >>> fubini_study_metric(c, torch.zeros(2, dtype=torch.float64)).tolist()
        [[0.25, 0.0], [0.0, 0.25]]
    """
    psi, J = state_jacobian(circuit, weights, simulator, mode)
    overlap = J.conj().T @ J  # <d_i psi|d_j psi>
    berry = J.conj().T @ psi  # <d_i psi|psi>
    G = (overlap - torch.outer(berry, berry.conj())).real
    return (G + G.T) / 2


def natural_gradient(metric: torch.Tensor, grad: torch.Tensor, reg: float = 1e-4) -> torch.Tensor:
    """Solve ``(G + reg I) d = grad`` for the natural-gradient direction ``d``.

    Args:
        metric: ``(P, P)`` metric.
        grad: ``(P,)`` energy gradient.
        reg: Tikhonov regulariser (> 0), added to the diagonal.

    Example:
        >>> natural_gradient(torch.eye(2) * 0.25, torch.tensor([1.0, 0.0]), reg=0.0).tolist()
        [4.0, 0.0]
    """
    if reg < 0:
        raise ConfigError(f"reg must be >= 0, got {reg}")
    G = metric.to(device=grad.device, dtype=grad.dtype)
    G = G + reg * torch.eye(metric.shape[0], dtype=grad.dtype, device=grad.device)
    try:
        return torch.linalg.solve(G, grad)
    except RuntimeError:  # singular even with reg: least squares
        return torch.linalg.lstsq(G, grad.unsqueeze(-1)).solution.squeeze(-1)


__all__ = ["JACOBIAN_MODES", "fubini_study_metric", "natural_gradient", "state_jacobian"]
