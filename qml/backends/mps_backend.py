"""The MPS simulator (:mod:`qml.mps`) as a backend: wide circuits, exact-to-truncation, differentiable.

``get_backend("mps", bond_dim=64, cutoff=1e-12)`` gives a backend whose :meth:`~MPSBackend.expval`
is that of ``Simulator(method="mps")`` (autograd through the tensor network) and whose
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

from typing import Any

import numpy as np
import torch

from qml.backends.base import Capabilities, Execution, slot_circuit
from qml.backends.torch_backend import TorchBackend
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum
from qml.sim.simulator import Simulator

__all__ = ["MPSBackend"]


class MPSBackend(TorchBackend):
    """The torch backend on ``Simulator(method="mps")``: exact values only, truncation in the metadata.

    :meth:`expval` is :class:`TorchBackend`'s (autograd through the tensor network); ``shots``
    are refused by the capabilities.

    Args:
        simulator: A ``Simulator(method="mps", ...)`` (default: built from ``settings``).
        **settings: :class:`qml.Simulator` fields: ``bond_dim``, ``cutoff``, ``dtype``, ``device``.

    Raises:
        ValueError: For a simulator whose method is not ``"mps"``.

    Example:
        >>> MPSBackend(bond_dim=16).simulator.mps.bond_dim
        16
    """

    name = "mps"
    capabilities = Capabilities(differentiable=True, supports_shots=False, supports_exact=True, batched=True)

    def __init__(self, simulator: Simulator | None = None, **settings: Any) -> None:
        sim = simulator if simulator is not None else Simulator(method="mps", **settings)
        if sim.mps is None:
            raise ConfigError(
                f"the mps backend needs Simulator(method='mps', ...), got method={sim.method!r}"
            )
        super().__init__(sim)

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
        mps = self.simulator.mps
        with torch.no_grad():
            r = mps.expval_with_error(sc, list(observables), a)
        return Execution(
            r.values.to(torch.float64).cpu().numpy().reshape(a.shape[0], len(observables)),
            metadata={
                "truncation_error": r.truncation_error.reshape(-1).tolist(),
                "error_bound": r.error_bound.to(torch.float64).cpu().numpy().reshape(a.shape[0], -1).tolist(),
                "max_bond": r.max_bond,
                "bond_dim": mps.bond_dim,
                "cutoff": mps.cutoff,
            },
        )
