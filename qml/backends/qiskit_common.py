"""Qiskit plumbing shared by the Aer and IBM backends (imports Qiskit; never at ``import qml``).

* :func:`compile_slots`: the slot circuit (one Qiskit parameter per gate angle, see
  :func:`qml.backends.base.slot_circuit`) transpiled once per circuit and target, with
  the map from ISA-circuit parameters back to slot columns;
* :func:`to_sparse_pauli` / :func:`map_observables`: Pauli sums as ``SparsePauliOp``
  (our wire ``w`` is Qiskit qubit ``w``, the *rightmost* label character is qubit 0),
  moved onto the physical qubits with ``apply_layout(isa.layout)``;
* :func:`fake_backend`: a fake IBM backend (real calibration data) by any usual name.

Example:
    >>> from qml.paulis import pauli
    >>> to_sparse_pauli(pauli("2*Z0 X2 + 1"), 3).to_list()
    [('III', (1+0j)), ('XIZ', (2+0j))]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qml.backends.base import slot_circuit
from qml.errors import ConfigError
from qml.ir import Circuit
from qml.paulis import PauliSum

log = logging.getLogger(__name__)

__all__ = [
    "CompiledCircuit",
    "compile_slots",
    "fake_backend",
    "fake_backend_names",
    "map_observables",
    "to_sparse_pauli",
]


#: Gates that qiskit-aer 0.18.2 mis-binds with several parameter values (see :func:`compile_slots`).
_AER_BAD_PARAMETRIC = ("cry", "crx", "crz", "cp", "cu1")


def to_sparse_pauli(obs: PauliSum, n_qubits: int) -> Any:
    """A Pauli sum as a Qiskit ``SparsePauliOp`` on ``n_qubits`` (qubit 0 = rightmost letter).

    Example:
        >>> from qml.paulis import pauli
        >>> to_sparse_pauli(pauli("Y1"), 2).to_list()
        [('YI', (1+0j))]
    """
    from qiskit.quantum_info import SparsePauliOp

    labels: list[str] = []
    coeffs: list[float] = []
    for c, s in obs.terms:
        chars = ["I"] * n_qubits
        for w, ltr in s.ops:
            chars[n_qubits - 1 - w] = ltr
        labels.append("".join(chars))
        coeffs.append(float(c))
    if not labels:
        return SparsePauliOp(["I" * n_qubits], coeffs=[0.0])
    return SparsePauliOp(labels, coeffs=np.asarray(coeffs, dtype=complex))


@dataclass(frozen=True)
class CompiledCircuit:
    """A slot circuit transpiled for a target.

    Attributes:
        circuit: The original circuit.
        logical: The Qiskit slot circuit before transpilation (parameters ``s[k]``).
        isa: The transpiled circuit (what runs).
        columns: For each parameter of ``isa`` (in ``isa.parameters`` order), its slot column.
        n_slots: Number of slots of ``circuit``.
    """

    circuit: Circuit
    logical: Any
    isa: Any
    columns: np.ndarray
    n_slots: int

    def parameter_rows(self, angles: np.ndarray) -> np.ndarray:
        """The ISA parameter values ``(N, len(isa.parameters))`` from slot angles ``(N, n_slots)``."""
        a = np.asarray(angles, dtype=np.float64)
        a = a.reshape(len(a), self.n_slots)
        return a[:, self.columns]

    @property
    def n_qubits(self) -> int:
        """Width of the ISA circuit (the device's qubit count when transpiled to one)."""
        return int(self.isa.num_qubits)

    def two_qubit_count(self) -> int:
        """Number of two-qubit gates in the ISA circuit."""
        return sum(1 for inst in self.isa.data if inst.operation.num_qubits == 2 and inst.name != "barrier")

    def depth(self) -> int:
        """Depth of the ISA circuit."""
        return int(self.isa.depth())


def compile_slots(
    circuit: Circuit,
    backend: Any = None,
    optimization_level: int = 1,
    seed_transpiler: int | None = 1234,
    measure: bool = False,
    basis: dict[int, str] | None = None,
    initial_layout: Sequence[int] | None = None,
) -> CompiledCircuit:
    """Translate the slot circuit of ``circuit`` and transpile it.

    Args:
        circuit: The circuit.
        backend: A Qiskit backend (fake or real) for ISA circuits
            (``generate_preset_pass_manager(optimization_level, backend=backend)``), or
            ``None`` for Aer's noiseless simulator (only decomposes unknown gates).
        optimization_level: Preset pass-manager level for a backend.
        seed_transpiler: Seed of the layout/routing passes (reproducible layouts).
        measure: Append basis rotations (``basis``) and ``measure_all`` (for samplers).
        basis: ``{wire: "X" | "Y" | "Z"}`` measurement basis when ``measure``.
        initial_layout: Physical qubit of each wire (with a backend); ``None``: the
            transpiler's layout pass chooses.

    Example:
        >>> from qml.ir import Circuit, W
        >>> cc = compile_slots(Circuit(2).add("RY", 0, 2 * W(0)).add("CNOT", (0, 1)))
        >>> cc.isa.num_parameters, cc.columns.tolist()
        (1, [0])
    """
    from qiskit import transpile

    from qml.interop.qiskit import to_qiskit

    width = getattr(backend, "num_qubits", None)
    if isinstance(width, int) and circuit.n_wires > width:
        raise ConfigError(
            f"a {circuit.n_wires}-qubit circuit does not fit {getattr(backend, 'name', 'the backend')} "
            f"({width} qubits); choose a larger backend (e.g. fake_kolkata, 27 qubits) or a smaller problem"
        )
    sc = slot_circuit(circuit)
    qc, _, _ = to_qiskit(sc, weight_prefix="s", input_prefix="_x")
    if measure:
        for w, ltr in sorted((basis or {}).items()):
            if ltr == "X":
                qc.h(w)
            elif ltr == "Y":
                qc.sdg(w)
                qc.h(w)
        qc.measure_all()
    if backend is None:
        from qiskit_aer import AerSimulator

        isa = transpile(qc, backend=AerSimulator(), optimization_level=0)
        # qiskit-aer 0.18.2 returns ONE result instead of one per binding when a parametric
        # controlled rotation (cry, crx, crz, cp) is bound to several values: decompose them.
        if any(inst.name in _AER_BAD_PARAMETRIC for inst in isa.data if inst.operation.params):
            isa = isa.decompose(gates_to_decompose=list(_AER_BAD_PARAMETRIC))
    else:
        from qiskit.transpiler import generate_preset_pass_manager

        pm = generate_preset_pass_manager(
            optimization_level=optimization_level,
            backend=backend,
            seed_transpiler=seed_transpiler,
            initial_layout=None if initial_layout is None else list(initial_layout),
        )
        isa = pm.run(qc)
    columns = np.array([p.index for p in isa.parameters], dtype=np.int64)
    return CompiledCircuit(circuit, qc, isa, columns, sc.n_weights)


def map_observables(observables: Sequence[PauliSum], compiled: CompiledCircuit) -> list[Any]:
    """Observables on the ISA circuit's qubits: ``SparsePauliOp`` with ``apply_layout(isa.layout)``.

    Example:
        >>> from qml.ir import Circuit
        >>> from qml.paulis import pauli
        >>> cc = compile_slots(Circuit(2).add("H", 1))
        >>> [o.to_list() for o in map_observables([pauli("X1")], cc)]
        [[('XI', (1+0j))]]
    """
    n = compiled.circuit.n_wires
    ops = [to_sparse_pauli(o, n) for o in observables]
    layout = getattr(compiled.isa, "layout", None)
    if layout is not None:
        return [o.apply_layout(layout) for o in ops]
    if compiled.isa.num_qubits != n:
        return [o.apply_layout(None, compiled.isa.num_qubits) for o in ops]
    return ops


def _fake_classes() -> dict[str, type]:
    import qiskit_ibm_runtime.fake_provider as fp

    return {
        name: getattr(fp, name)
        for name in dir(fp)
        if name.startswith("Fake") and name not in ("FakeProviderForBackendV2", "FakeFractionalBackend")
    }


def _key(name: str) -> str:
    n = name.strip().lower()
    n = re.sub(r"^(ibm[q]?_|fake_?)", "", n)
    return re.sub(r"v2$", "", n)


def fake_backend_names() -> list[str]:
    """Names of the fake IBM backends (``fake_manila``, ...), from their class names.

    Example:
        >>> "fake_manila" in fake_backend_names()
        True
    """
    return sorted(f"fake_{_key(n)}" for n in _fake_classes())


def fake_backend(name: str) -> Any:
    """A fake IBM backend by name: ``"fake_manila"``, ``"FakeManilaV2"``, ``"manila"`` or ``"ibm_manila"``.

    Raises:
        ValueError: For an unknown name; the message lists the valid ones.

    Example:
        >>> fake_backend("ibm_manila").name
        'fake_manila'
    """
    classes = _fake_classes()
    by_key = {_key(n): cls for n, cls in classes.items()}
    cls = by_key.get(_key(name))
    if cls is None:
        raise ConfigError(f"no fake backend named {name!r}; valid names: {', '.join(fake_backend_names())}")
    return cls()
