"""Matrix-product-state (MPS) simulation: circuits of 32-128+ qubits with limited entanglement.

A state of ``n`` qubits is a chain of tensors ``(chi_l, 2, chi_r)``; gates are contracted
into it and two-site tensors split back by truncated SVDs, keeping at most ``bond_dim``
singular values per bond, so memory and time grow like ``n * bond_dim^3`` instead of
``2^n``. The truncation error is recorded and reported with every value
(:meth:`MPSSimulator.expval_with_error`). Gradients come from autograd; they are exact,
even at product states and zero angles, whenever ``bond_dim`` suffices for the untruncated
state, and otherwise the gradients of the truncated state (:mod:`qml.mps.evolve`).

Modules, one job each:

* :mod:`qml.mps.svd`: an SVD whose backward pass survives degenerate singular values;
* :mod:`qml.mps.state`: the :class:`MPS` dataclass (tensors, truncation record, dense form);
* :mod:`qml.mps.evolve`: gate application, canonical form, SWAP routing of long-range and
  3-4 qubit gates;
* :mod:`qml.mps.measure`: Pauli-sum expectation values, correlations, entanglement entropies;
* :mod:`qml.mps.simulator`: :class:`MPSSimulator`, the user-facing settings and methods.

Why pure torch (and not quimb): the gradient has to go through our own SVD backward
(:mod:`qml.mps.svd`: broadened at degeneracies, aware of which vectors a split keeps) at
every split, and every split has to report its discarded weight; with torch alone that is
plain autograd through a few contractions, QR and that one function, and the same code
runs on CUDA. quimb would route the decompositions through its own routines and make an
optional dependency a requirement of the core simulator. The MPS needed here is small: a
list of tensors and four operations.

Example:
    >>> import torch
    >>> from qml.ir import Circuit
    >>> c = Circuit(40).add("H", 0)
    >>> for q in range(39):
    ...     c = c.add("CNOT", (q, q + 1))
    >>> sim = MPSSimulator(bond_dim=4)
    >>> float(sim.expval(c, "Z0 Z39")), sim.run(c).max_bond
    (1.0, 2)
"""

from qml.mps.measure import (
    correlation_matrix,
    entanglement_profile,
    expval,
    fidelity,
    magnetization,
    overlap,
    schmidt_values,
)
from qml.mps.simulator import MPSExpectation, MPSSimulator
from qml.mps.state import MPS
from qml.mps.svd import safe_svd

__all__ = [
    "MPS",
    "MPSExpectation",
    "MPSSimulator",
    "correlation_matrix",
    "entanglement_profile",
    "expval",
    "fidelity",
    "magnetization",
    "overlap",
    "safe_svd",
    "schmidt_values",
]
