"""Molecular Hamiltonians (STO-3G, Jordan-Wigner) from PennyLane's own Hartree-Fock integrals.

``qp.qchem.molecular_hamiltonian(..., method="dhf")`` builds the qubit Hamiltonian with
PennyLane's differentiable Hartree-Fock solver (no PySCF). Its wire order is ours (wire
0 = the first spin orbital = the most significant bit), so a Pauli word ``{w: letter}``
becomes our :class:`~qml.paulis.PauliString` unchanged. Spin orbitals are ordered
``(0 up, 0 down, 1 up, 1 down, ...)``; the Hartree-Fock state occupies the first
``n_electrons`` wires.

Building a Hamiltonian takes from tens of milliseconds (H2) to seconds (LiH), so results
are cached per geometry in memory, and on disk as JSON when the environment variable
``QML_CACHE_DIR`` names a directory.

Active spaces. LiH in STO-3G has 6 spatial orbitals (12 qubits) and 4 electrons. The
default active space freezes the Li 1s core orbital: 2 active electrons in 5 active
orbitals (10 qubits); ``active_orbitals=3`` (6 qubits) keeps the lowest three active
orbitals only, a common quick model. The frozen core's energy is included in the
Hamiltonian's constant, so energies are total energies in Hartree.

Example:
    >>> H, info = molecular_hamiltonian("h2", 0.74)
    >>> info["n_qubits"], info["n_electrons"], round(info["hf_energy"], 8)
    (4, 2, -1.11675931)
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from qml.paulis import PauliSum

log = logging.getLogger(__name__)

#: Molecules understood by :func:`molecular_hamiltonian`: symbols, electrons, default active space.
MOLECULES: dict[str, dict[str, Any]] = {
    "h2": {"symbols": ("H", "H"), "electrons": 2, "active": (None, None), "bond_length": 0.74},
    "lih": {"symbols": ("Li", "H"), "electrons": 4, "active": (2, 5), "bond_length": 1.6},
}

_CACHE: dict[tuple[Any, ...], tuple[PauliSum, dict[str, Any]]] = {}


def _key(name: str, bond_length: float, active_electrons: int | None, active_orbitals: int | None) -> tuple:
    return (name, round(float(bond_length), 10), active_electrons, active_orbitals, "sto-3g", "jw")


def from_pennylane(op: Any) -> PauliSum:
    """Convert a PennyLane operator to a :class:`PauliSum` (:func:`qml.interop.operators.from_pennylane_op`,
    with coefficients below ``1e-14`` dropped).

    Example:
        >>> import pennylane as qp
        >>> str(from_pennylane(0.5 * qp.Z(0) @ qp.Z(1) + qp.X(1)))
        'X1 + 0.5*Z0 Z1'
    """
    from qml.interop.operators import from_pennylane_op

    return from_pennylane_op(op).simplify(1e-14)


def _disk_path(key: tuple) -> Path | None:
    root = os.environ.get("QML_CACHE_DIR")
    if not root:
        return None
    name = "-".join(str(k) for k in key).replace("/", "_")
    return Path(root) / f"molecule-{name}.json"


def molecular_hamiltonian(
    name: str,
    bond_length: float | None = None,
    active_electrons: int | None = None,
    active_orbitals: int | None = None,
) -> tuple[PauliSum, dict[str, Any]]:
    """The qubit Hamiltonian of a diatomic molecule on the z axis, in Hartree (cached).

    Args:
        name: ``"h2"`` or ``"lih"``.
        bond_length: Interatomic distance in Angstrom (default: near equilibrium,
            0.74 for H2, 1.6 for LiH).
        active_electrons: Active electrons (default: all for H2, 2 for LiH).
        active_orbitals: Active spatial orbitals (default: all for H2, 5 for LiH).

    Returns:
        ``(H, info)`` with ``info`` holding ``n_qubits``, ``n_electrons`` (active),
        ``hf_energy``, ``bond_length``, ``active_space`` and ``build_seconds``.

    Raises:
        ValueError: For an unknown molecule, a non-positive bond length or a bad active space.

    Example:
        >>> H, info = molecular_hamiltonian("h2", 1.0)
        >>> H.n_wires
        4
    """
    if name not in MOLECULES:
        raise ValueError(f"unknown molecule {name!r}; valid molecules: {', '.join(MOLECULES)}")
    spec = MOLECULES[name]
    r = spec["bond_length"] if bond_length is None else bond_length
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not np.isfinite(r) or r <= 0.1:
        raise ValueError(f"bond_length must be a number of Angstrom > 0.1, got {bond_length!r}")
    ae = spec["active"][0] if active_electrons is None else active_electrons
    ao = spec["active"][1] if active_orbitals is None else active_orbitals
    if ae is not None and (isinstance(ae, bool) or not isinstance(ae, int) or not 0 < ae <= spec["electrons"]
                           or ae % 2):
        raise ValueError(
            f"active_electrons must be an even number in 2..{spec['electrons']} for {name}, got {ae!r}"
        )
    if ao is not None and (isinstance(ao, bool) or not isinstance(ao, int) or ao < 1):
        raise ValueError(f"active_orbitals must be an integer >= 1, got {ao!r}")
    key = _key(name, r, ae, ao)
    if key in _CACHE:
        H, info = _CACHE[key]
        return H, dict(info)
    path = _disk_path(key)
    if path is not None and path.exists():
        data = json.loads(path.read_text())
        H, info = PauliSum.from_json(data["hamiltonian"]), data["info"]
        _CACHE[key] = (H, info)
        log.info("loaded %s Hamiltonian at %.4f A from %s", name, r, path)
        return H, dict(info)

    import pennylane as qp

    t0 = time.perf_counter()
    coords = np.array([0.0, 0.0, 0.0, 0.0, 0.0, float(r)])
    mol = qp.qchem.Molecule(list(spec["symbols"]), coords, unit="angstrom")
    try:
        op, n_qubits = qp.qchem.molecular_hamiltonian(
            mol, method="dhf", active_electrons=ae, active_orbitals=ao, mapping="jordan_wigner"
        )
    except ValueError as err:
        raise ValueError(
            f"cannot build the {name} Hamiltonian with active space ({ae}, {ao}): {err}"
        ) from None
    H = from_pennylane(op)
    n_el = spec["electrons"] if ae is None else ae
    hf_index = sum(1 << (n_qubits - 1 - w) for w in range(n_el))
    hf_energy = float(H.diagonal(n_qubits)[hf_index])
    info = {
        "molecule": name,
        "bond_length": float(r),
        "n_qubits": int(n_qubits),
        "n_electrons": int(n_el),
        "hf_energy": hf_energy,
        "active_space": [ae, ao],
        "basis": "sto-3g",
        "mapping": "jordan_wigner",
        "build_seconds": time.perf_counter() - t0,
    }
    _CACHE[key] = (H, info)
    log.info("built %s Hamiltonian at %.4f A: %d qubits, %d terms, %.2f s", name, r, n_qubits, len(H),
             info["build_seconds"])
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"hamiltonian": H.to_json(), "info": info}))
        except OSError as err:  # a cache that cannot be written is not an error
            log.warning("could not write the molecule cache %s: %s", path, err)
    return H, dict(info)


def clear_cache() -> None:
    """Forget the in-memory molecular Hamiltonians (the disk cache is left alone).

    Example:
        >>> clear_cache()
    """
    _CACHE.clear()


__all__ = ["MOLECULES", "clear_cache", "from_pennylane", "molecular_hamiltonian"]
