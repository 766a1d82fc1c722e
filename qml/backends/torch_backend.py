"""The native PyTorch simulator as a backend (exact, differentiable, optional shot sampling).

Exact expectation values come from :meth:`qml.Simulator.expval` (backprop or adjoint, as
the simulator's ``diff`` setting says). With ``shots=N`` the backend estimates them the
way hardware does: the terms of all observables are grouped into qubit-wise commuting
sets, each set is measured in its own rotated basis with ``N`` shots drawn from the
exact probabilities, and gradients use the packed parameter-shift rule.

Example:
    >>> import torch
    >>> from qml.ir import Circuit, W
    >>> b = TorchBackend()
    >>> w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    >>> e = b.expval(Circuit(1).add("RX", 0, W(0)), "Z0", w)
    >>> e.backward()
    >>> round(float(w.grad), 6)
    -0.389418
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qml.backends.base import BaseBackend, Capabilities, Execution, ObservableLike, slot_circuit
from qml.ir import Circuit
from qml.paulis import PauliString, PauliSum
from qml.sim.simulator import Simulator

Tensor = torch.Tensor
log = logging.getLogger(__name__)

__all__ = ["TorchBackend", "measurement_groups", "sampled_expectations"]


def measurement_groups(observables: Sequence[PauliSum]) -> list[tuple[dict[int, str], list[PauliString]]]:
    """Distinct non-identity Pauli strings of all observables, in qubit-wise commuting groups.

    Returns:
        ``[(basis, strings), ...]``: ``basis`` maps each measured wire to ``"X"``, ``"Y"`` or
        ``"Z"``; every string of the group is diagonal in that basis.

    Example:
        >>> from qml.paulis import pauli
        >>> [(b, [str(s) for s in ss]) for b, ss in measurement_groups([pauli("Z0 Z1 + X0"), pauli("Z1")])]
        [({0: 'X', 1: 'Z'}, ['X0', 'Z1']), ({0: 'Z', 1: 'Z'}, ['Z0 Z1'])]
    """
    strings = sorted({s for o in observables for _, s in o.terms if not s.is_identity}, key=str)
    if not strings:
        return []
    groups = PauliSum(tuple((1.0, s) for s in strings)).qubitwise_groups()
    out = []
    for g in groups:
        basis: dict[int, str] = {}
        members = [s for _, s in g.terms if not s.is_identity]
        for s in members:
            basis.update(s.ops)
        out.append((dict(sorted(basis.items())), members))
    return sorted(out, key=lambda item: str(item[1][0]))


def _rotate(circuit: Circuit, basis: dict[int, str]) -> Circuit:
    c = circuit
    for w, letter in basis.items():
        if letter == "X":
            c = c.add("H", w)
        elif letter == "Y":
            c = c.add("Sdg", w).add("H", w)
    return c


def _parity_signs(string: PauliString, n: int) -> np.ndarray:
    idx = np.arange(2**n)
    mask = 0
    for w, _ in string.ops:
        mask |= 1 << (n - 1 - w)
    bits = idx & mask
    par = np.zeros_like(idx)
    while np.any(bits):
        par ^= bits & 1
        bits >>= 1
    return 1.0 - 2.0 * par


def sampled_expectations(
    simulator: Simulator,
    circuit: Circuit,
    observables: Sequence[PauliSum],
    weights: Any,
    shots: int,
    seed: int | None = None,
) -> np.ndarray:
    """Shot-based estimates ``(B, n_obs)`` of ``<O>`` (one rotated basis per commuting group).

    Args:
        simulator: Computes the exact probabilities.
        circuit: A circuit without inputs (e.g. a slot circuit).
        observables: The observables.
        weights: ``(B, n_weights)`` weights.
        shots: Shots per measurement basis.
        seed: Seed of the NumPy generator that draws the counts.

    Example:
        >>> from qml.ir import Circuit
        >>> from qml.paulis import pauli
        >>> sampled_expectations(Simulator(), Circuit(1).add("H", 0), [pauli("X0")], None, 10).tolist()
        [[1.0]]
    """
    rng = np.random.default_rng(seed)
    n = circuit.n_wires
    w = weights if weights is None or isinstance(weights, Tensor) else torch.as_tensor(weights)
    B = 1 if w is None or w.dim() == 1 else w.shape[0]
    est: dict[PauliString, np.ndarray] = {}
    for basis, strings in measurement_groups(observables):
        with torch.no_grad():
            p = simulator.probs(_rotate(circuit, basis), w).reshape(B, -1).to(torch.float64).cpu().numpy()
        p = np.clip(p, 0.0, None)
        p /= p.sum(axis=1, keepdims=True)
        counts = np.stack([rng.multinomial(shots, row) for row in p])
        for s in strings:
            est[s] = counts @ _parity_signs(s, n) / shots
    out = np.zeros((B, len(observables)))
    for j, o in enumerate(observables):
        for c, s in o.terms:
            out[:, j] += c * (1.0 if s.is_identity else est[s])
    return out


class TorchBackend(BaseBackend):
    """:class:`qml.Simulator` behind the backend protocol.

    Args:
        simulator: The simulator to use (default: ``Simulator(**settings)``).
        **settings: :class:`qml.Simulator` fields (``dtype``, ``device``, ``diff``, ...).

    Example:
        >>> from qml.ir import Circuit
        >>> TorchBackend(diff="adjoint").simulator.diff
        'adjoint'
    """

    name = "torch"
    capabilities = Capabilities(differentiable=True, supports_shots=True, supports_exact=True, batched=True)

    def __init__(self, simulator: Simulator | None = None, **settings: Any) -> None:
        self.simulator = simulator if simulator is not None else Simulator(**settings)

    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """Run the slot circuit for every row of ``angles`` in one batched simulation."""
        sc = slot_circuit(circuit)
        a = torch.as_tensor(np.asarray(angles, dtype=np.float64).reshape(len(angles), sc.n_weights))
        if shots is None:
            with torch.no_grad():
                vals = self.simulator.expval(sc, list(observables), a).to(torch.float64).cpu().numpy()
            return Execution(vals.reshape(a.shape[0], len(observables)))
        vals = sampled_expectations(self.simulator, sc, observables, a, shots, seed)
        return Execution(vals, metadata={"shots": shots})

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Exact values by the simulator's autograd; with ``shots``, sampled with parameter shift.

        Example:
            >>> from qml.ir import Circuit
            >>> float(TorchBackend().expval(Circuit(1).add("X", 0), "Z0"))
            -1.0
        """
        if shots is not None:
            return super().expval(circuit, observables, weights, inputs, shots, seed)
        prep = self._prepare(circuit, observables, weights, inputs, shots)
        vals = self.simulator.expval(circuit, list(prep.observables), prep.weights, prep.inputs)
        return prep.shape(vals.reshape(prep.batch, len(prep.observables)).to(torch.float64))
