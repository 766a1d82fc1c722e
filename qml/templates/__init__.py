"""Circuit templates: ansaetze, encodings, chemistry, initialisation and metrics.

Every template is a pure function returning a :class:`~qml.ir.Circuit` whose trainable
weights form one flat vector (each docstring gives the layout and the shape of the
PennyLane / Qiskit namesake, so ``weights.reshape(shape)`` recovers it). Bad arguments
raise ``ValueError`` saying what was expected.

Modules:
    * :mod:`~qml.templates.layers`: ``hardware_efficient``, ``strongly_entangling``,
      ``basic_entangler``, ``simplified_two_design``;
    * :mod:`~qml.templates.qiskit_like`: ``real_amplitudes``, ``efficient_su2``;
    * :mod:`~qml.templates.hamiltonian`: ``pauli_rotation``, ``qaoa``, ``hva``;
    * :mod:`~qml.templates.chemistry`: ``hartree_fock_state``, ``excitations``,
      ``all_singles_doubles``, ``uccsd``, ``excitation_pool``, ``pauli_pool``;
    * :mod:`~qml.templates.encodings`: ``angle_encoding``, ``iqp_encoding``,
      ``zz_feature_map``, ``amplitude_encoding`` / ``amplitude_features``,
      ``basis_encoding``, ``data_reuploading``;
    * :mod:`~qml.templates.init`: ``init_weights``, ``identity_blocks``;
    * :mod:`~qml.templates.metrics`: ``circuit_metrics``, ``expressibility``,
      ``entangling_capability``.

Example:
    >>> from qml.templates import strongly_entangling, init_weights
    >>> c = strongly_entangling(2, layers=1)
    >>> print(c.draw())
    0: ─RZ─RY─RZ─●─X─
    1: ─RZ─RY─RZ─X─●─
    >>> init_weights(c, seed=0).shape
    torch.Size([6])
"""

from qml.templates.chemistry import (
    EXCITATION_POOL_KINDS,
    PAULI_POOL_KINDS,
    all_singles_doubles,
    excitation_pool,
    excitations,
    fermionic_double_excitation,
    fermionic_single_excitation,
    hartree_fock_state,
    pauli_pool,
    pauli_pool_strings,
    uccsd,
)
from qml.templates.encodings import (
    REUPLOAD_ENCODINGS,
    REUPLOAD_TRAINABLES,
    amplitude_encoding,
    amplitude_features,
    angle_encoding,
    basis_encoding,
    data_reuploading,
    iqp_encoding,
    zz_feature_map,
)
from qml.templates.hamiltonian import HVA_INITS, HVA_STRATEGIES, hva, hva_groups, pauli_rotation, qaoa
from qml.templates.init import DEFAULT_SCALES, INIT_STRATEGIES, identity_blocks, init_weights
from qml.templates.layers import (
    HEA_PATTERNS,
    basic_entangler,
    entangler_pairs,
    hardware_efficient,
    simplified_two_design,
    strongly_entangling,
)
from qml.templates.metrics import (
    BACKENDS,
    circuit_metrics,
    entangling_capability,
    expressibility,
    haar_fidelity_bins,
    meyer_wallach,
)
from qml.templates.qiskit_like import (
    QISKIT_ENTANGLEMENTS,
    efficient_su2,
    qiskit_entangler_map,
    real_amplitudes,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_SCALES",
    "EXCITATION_POOL_KINDS",
    "HEA_PATTERNS",
    "HVA_INITS",
    "HVA_STRATEGIES",
    "INIT_STRATEGIES",
    "PAULI_POOL_KINDS",
    "QISKIT_ENTANGLEMENTS",
    "REUPLOAD_ENCODINGS",
    "REUPLOAD_TRAINABLES",
    "all_singles_doubles",
    "amplitude_encoding",
    "amplitude_features",
    "angle_encoding",
    "basic_entangler",
    "basis_encoding",
    "circuit_metrics",
    "data_reuploading",
    "efficient_su2",
    "entangler_pairs",
    "entangling_capability",
    "excitation_pool",
    "excitations",
    "expressibility",
    "fermionic_double_excitation",
    "fermionic_single_excitation",
    "haar_fidelity_bins",
    "hardware_efficient",
    "hartree_fock_state",
    "hva",
    "hva_groups",
    "identity_blocks",
    "init_weights",
    "iqp_encoding",
    "meyer_wallach",
    "pauli_pool",
    "pauli_pool_strings",
    "pauli_rotation",
    "qaoa",
    "qiskit_entangler_map",
    "real_amplitudes",
    "simplified_two_design",
    "strongly_entangling",
    "uccsd",
    "zz_feature_map",
]
