"""The MPS simulator (:mod:`qml.mps`) as a backend: wide circuits, exact-to-truncation, differentiable.

``get_backend("mps", bond_dim=64, cutoff=1e-12)`` gives a backend whose :meth:`~MPSBackend.expval`
is :meth:`qml.mps.MPSSimulator.expval` (autograd through the tensor network) and whose
:meth:`~MPSBackend.run` reports, next to the values, the truncation error of each row and
the largest bond dimension in :attr:`qml.backends.BackendResult.metadata`. No shots.

Example:
    >>> from qml.ir import Circuit, W
    >>> b = MPSBackend(bond_dim=8)
    >>> r = b.run(Circuit(2).add("RY", 0, W(0)).add("CNOT", (0, 1)), ["Z0 Z1", "Z1"], [0.3])
    >>> [round(v, 6) for v in r.values().tolist()], r.metadata["truncation_error"]
    ([1.0, 0.955336], [0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qml.backends.base import BaseBackend, Capabilities, Execution, ObservableLike, slot_circuit
from qml.ir import Circuit
from qml.mps import MPSSimulator
from qml.paulis import PauliSum

Tensor = torch.Tensor

__all__ = ["MPSBackend"]


class MPSBackend(BaseBackend):
    """:class:`qml.mps.MPSSimulator` behind the backend protocol.

    Args:
        simulator: The simulator to use (default: ``MPSSimulator(**settings)``).
        **settings: :class:`qml.mps.MPSSimulator` fields: ``bond_dim``, ``cutoff``, ``dtype``, ``device``.

    Example:
        >>> MPSBackend(bond_dim=16).simulator.bond_dim
        16
    """

    name = "mps"
    capabilities = Capabilities(differentiable=True, supports_shots=False, supports_exact=True, batched=True)

    def __init__(self, simulator: MPSSimulator | None = None, **settings: Any) -> None:
        self.simulator = simulator if simulator is not None else MPSSimulator(**settings)

    def execute(
        self,
        circuit: Circuit,
        angles: np.ndarray,
        observables: tuple[PauliSum, ...],
        shots: int | None,
        seed: int | None,
        purpose: str = "forward",
    ) -> Execution:
        """Run the slot circuit for every row of ``angles``; metadata carries the truncation errors.

        Example:
            >>> import numpy as np
            >>> from qml.ir import Circuit, W
            >>> from qml.paulis import pauli
            >>> c = Circuit(1).add("RX", 0, W(0))
            >>> ex = MPSBackend().execute(c, np.zeros((2, 1)), (pauli("Z0"),), None, None)
            >>> ex.values.tolist(), ex.metadata["max_bond"]
            ([[1.0], [1.0]], 1)
        """
        sc = slot_circuit(circuit)
        a = torch.as_tensor(np.asarray(angles, dtype=np.float64).reshape(len(angles), sc.n_weights))
        with torch.no_grad():
            r = self.simulator.expval_with_error(sc, list(observables), a)
        sim = self.simulator
        return Execution(
            r.values.to(torch.float64).cpu().numpy().reshape(a.shape[0], len(observables)),
            metadata={
                "truncation_error": r.truncation_error.reshape(-1).tolist(),
                "error_bound": r.error_bound.to(torch.float64).cpu().numpy().reshape(a.shape[0], -1).tolist(),
                "max_bond": r.max_bond,
                "bond_dim": sim.bond_dim,
                "cutoff": sim.cutoff,
            },
        )

    def expval(
        self,
        circuit: Circuit,
        observables: ObservableLike | Sequence[ObservableLike],
        weights: Any = None,
        inputs: Any = None,
        shots: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Values by the MPS simulator's autograd (``shots`` must be ``None``).

        Example:
            >>> from qml.ir import Circuit
            >>> float(MPSBackend().expval(Circuit(1).add("X", 0), "Z0"))
            -1.0
        """
        prep = self._prepare(circuit, observables, weights, inputs, shots)
        vals = self.simulator.expval(circuit, list(prep.observables), prep.weights, prep.inputs)
        return prep.shape(vals.reshape(prep.batch, len(prep.observables)).to(torch.float64))
