"""Translators between :class:`qml.ir.Circuit` and other quantum software.

* :mod:`qml.interop.pennylane`: ``to_pennylane`` (a PennyLane quantum function) and
  ``from_pennylane`` (a tape, QNode or quantum function into the IR);
* :mod:`qml.interop.qiskit`: ``to_qiskit``, ``bind`` and ``from_qiskit``;
* :mod:`qml.interop.qasm`: ``to_qasm3`` (OpenQASM 3 text) and ``from_qasm`` (OpenQASM 2 and 3,
  through the ``openqasm3`` reference parser: :mod:`qml.interop.qasm_read`);
* :mod:`qml.interop.operators`: Hamiltonians to and from Qiskit labels / ``SparsePauliOp``,
  PennyLane operators and ``openfermion.QubitOperator``.

Each submodule imports its heavy library (PennyLane, Qiskit) itself, so ``import qml`` and
``import qml.interop`` stay light. All of them use the wire order of :mod:`qml.ir`.
"""
