"""The engine: the batched, differentiable statevector simulator (and the door to the MPS method).

Public: :class:`Simulator` and the one-call helpers :func:`state`, :func:`probs`,
:func:`expval`, :func:`sample`; what a simulator may do and what a call did
(:class:`~qml.sim.routes.Methods`, :class:`~qml.sim.routes.Route`); the memory guard's error.
Everything else in this package is internal to the engine (each module's ``__all__`` says
what it offers the rest of ``qml``):

==================  ===========================================================================
module              job
==================  ===========================================================================
``simulator``       ``Simulator``: prepare, choose the route (``explain``), guard, dispatch
``routes``          ``Methods`` and ``Route``: the routes as data
``evaluation``      a call's prepared data and the one signature of the methods (``Evaluator``)
``dense``           method: the full state, every ``diff`` (backprop, adjoint, parameter shift)
``tuning``          the cost models' constants per device kind, with where they were measured
``program``         a circuit compiled to steps and an angle table (``compile_circuit``)
``fusion``          steps fused into blocks, permutation runs, the fused program
``blockdata``       the matrices of fused blocks and product states, batched
``kernels``         the state-update kernels (one-qubit, diagonal, controlled, dense, flips)
``observables``     Pauli sums measured in one pass without rotating the state
``collapse``        the shared tail after the last input-reading gate as one matrix
``dense_tail``      method: that tail in NumPy with its exact adjoint (small registers, CPU)
``split``           method: shallow circuits from two half-width registers
``numpy_state``     method: one small circuit in NumPy with its adjoint gradient (CPU)
``numba_rows``      method: every row through the whole circuit in compiled loops (numba, CPU)
``_numba_kernels``  those loops (imported only by ``numba_rows``, only with numba installed)
``shift``           the parameter-shift rule (shared with the hardware backends)
``arguments``       the one validator of weights and inputs
``memory``          the memory guard
``memo``            the cache of derived data on programs
``allocator``       glibc ``malloc`` tuning (opt-in)
==================  ===========================================================================

Example:
    >>> from qml.ir import Circuit
    >>> from qml.sim import Simulator
    >>> Simulator().explain(Circuit(2).add("H", 0).add("CNOT", (0, 1)), "Z0 Z1").measure  # with numba
    'rows (numba)'
"""

from qml.sim.memory import SimulationMemoryError
from qml.sim.routes import Methods, Route
from qml.sim.simulator import Simulator, expval, probs, sample, state

__all__ = ["Methods", "Route", "SimulationMemoryError", "Simulator", "expval", "probs", "sample", "state"]
