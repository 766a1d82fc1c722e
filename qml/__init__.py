"""qml-circuits: variational circuits, a fast differentiable PyTorch simulator and hybrid models.

The import is light: PennyLane and Qiskit are only imported by the adapters that need them.

Example:
    >>> import torch, qml
    >>> c = qml.Circuit(2).add("H", 0).add("CNOT", (0, 1)).add("RY", 1, qml.W(0))
    >>> e = qml.expval(c, "Z0 Z1", torch.tensor([0.0]))
    >>> round(float(e), 6)
    1.0
"""

from qml.ed import EDResult, ground_state
from qml.gates import GATES
from qml.ir import Circuit, Op, Param, W, X
from qml.paulis import PauliString, PauliSum, pauli
from qml.sim.memory import SimulationMemoryError
from qml.sim.simulator import Simulator, expval, probs, sample, state

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "Circuit",
    "EDResult",
    "Op",
    "Param",
    "PauliString",
    "PauliSum",
    "SimulationMemoryError",
    "Simulator",
    "W",
    "X",
    "__version__",
    "expval",
    "ground_state",
    "pauli",
    "probs",
    "sample",
    "state",
]
