"""Molecular qubit Hamiltonians (Jordan-Wigner): any geometry, basis, charge, multiplicity and active space.

Integrals. With PySCF installed (extra ``[chem]``) the integrals are PySCF's: restricted
Hartree-Fock (RHF) orbitals for a closed shell, restricted open-shell (ROHF) orbitals for an
open shell. The frozen core is the lowest doubly occupied orbitals outside the active space
(their energy and mean field go into the constant and the one-electron integrals); the active
orbitals are the next ones above it. This is exactly PySCF's ``mcscf.CASCI`` partition (the
integrals are taken from its ``get_h1eff`` / ``get_h2eff``), so exact diagonalisation in the
electron-number sector reproduces PySCF CASCI / FCI to ~1e-12 Ha. Without PySCF only the
presets (:data:`MOLECULES`) can be built, from PennyLane's differentiable Hartree-Fock
(``method="dhf"``, closed shells only), whose integrals differ from PySCF's by up to ~3e-8 Ha.
``info["integral_source"]`` records which was used (``"pyscf"`` or ``"pennylane-dhf"``).

Mapping. One fermion-to-qubit mapping: PennyLane's ``qp.qchem.fermionic_observable`` and
``qp.qchem.qubit_observable`` (Jordan-Wigner), the same code ``qp.qchem.molecular_hamiltonian``
runs. Spin orbitals are ordered ``(0 up, 0 down, 1 up, 1 down, ...)`` over the active spatial
orbitals (lowest first) and wire 0 is the most significant bit, PennyLane's order; a Pauli
word ``{w: letter}`` becomes our :class:`~qml.paulis.PauliString` unchanged.

Hartree-Fock state. A closed shell occupies the first ``n_electrons`` wires. An open shell
(multiplicity ``2S + 1 > 1``) follows the ROHF occupations: each doubly occupied active
orbital fills its two wires, each singly occupied one (its unpaired electrons are spin up,
``S_z = +S``) fills only its up wire ``2k``. A doublet therefore still occupies the first
``n_electrons`` wires; a triplet such as O2 occupies ``0..2d-1`` and the up wires ``2d`` and
``2d + 2``. ``info["hf_occupation"]`` lists the occupied wires and ``info["n_alpha"]`` /
``info["n_beta"]`` the active spin-up / spin-down electrons.

Caching. Results are cached per (geometry, unit, basis, charge, multiplicity, active space,
integral source) in memory, and on disk as JSON when the environment variable
``QML_CACHE_DIR`` names a directory. Building takes ~0.1-0.3 s for the presets with PySCF
(most of it the Jordan-Wigner mapping), seconds with PennyLane's dhf.

Active spaces. ``active_electrons`` / ``active_orbitals`` pick the CASCI window; ``None``
means all electrons and all orbitals above the frozen core. Energies are total energies in
Hartree (the frozen core's energy and the nuclear repulsion are in the constant). Presets:
LiH freezes Li 1s (2 electrons in 5 orbitals, 10 qubits); BeH2 freezes Be 1s (4 electrons in 6
orbitals, 12 qubits).

Example:
    >>> H, info = molecular_hamiltonian("h2", 0.74)
    >>> info["n_qubits"], info["n_electrons"], round(info["hf_energy"], 6)
    (4, 2, -1.116759)
    >>> H, info = molecular_hamiltonian_from("H 0 0 0; H 0 0 0.74; H 0.64 0 0.37", charge=1)
    >>> info["molecule"], info["n_qubits"], len(info["hf_occupation"])
    ('H3+', 6, 2)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import numbers
import re
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qml import config
from qml.errors import ConfigError, MissingExtraError
from qml.paulis import PauliSum

log = logging.getLogger(__name__)

#: Molecules understood by :func:`molecular_hamiltonian` (all STO-3G, neutral singlets):
#: symbols, electrons, default active space ``(electrons, orbitals)``, default bond length
#: (Angstrom) and the geometry as ``(symbol, z / bond_length)`` on the z axis.
#: BeH2 is linear H-Be-H with both Be-H bonds ``bond_length`` long; its default active space
#: freezes the Be 1s orbital (4.5 Ha below the valence; freezing it costs 0.34 mHa at 1.33 A)
#: and keeps all six valence orbitals: 12 qubits, an electron-number sector of 495 states, so
#: the exact reference takes milliseconds and no valence orbital (such as one of the
#: degenerate pi pair) is cut off.
MOLECULES: dict[str, dict[str, Any]] = {
    "h2": {
        "symbols": ("H", "H"),
        "electrons": 2,
        "active": (None, None),
        "bond_length": 0.74,
        "formula": "H2",
        "geometry": (("H", 0.0), ("H", 1.0)),
    },
    "lih": {
        "symbols": ("Li", "H"),
        "electrons": 4,
        "active": (2, 5),
        "bond_length": 1.6,
        "formula": "LiH",
        "geometry": (("Li", 0.0), ("H", 1.0)),
    },
    "beh2": {
        "symbols": ("Be", "H", "H"),
        "electrons": 6,
        "active": (4, 6),
        "bond_length": 1.33,
        "formula": "BeH2",
        "geometry": (("Be", 0.0), ("H", -1.0), ("H", 1.0)),
    },
}

#: Where the integrals come from: ``"auto"`` (PySCF when installed; without it PennyLane's
#: dhf for the presets only), ``"pyscf"`` or ``"pennylane-dhf"``.
INTEGRAL_SOURCES: tuple[str, ...] = ("auto", "pyscf", "pennylane-dhf")
#: Units of geometry coordinates.
GEOMETRY_UNITS: tuple[str, ...] = ("angstrom", "bohr")
#: Widest Hamiltonian :func:`molecular_hamiltonian_from` builds by default (the term count grows
#: as the fourth power of the active orbitals).
MAX_QUBITS = 32
#: Closest two atoms may be, in Angstrom.
MIN_DISTANCE = 0.1

_BOHR = 0.52917721092  # Angstrom, PySCF's value (only used to check distances given in bohr)
_ELEMENT_SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm "
    "Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No "
    "Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
)
_ELEMENTS: tuple[str, ...] = tuple(_ELEMENT_SYMBOLS.split())
_Z = {s.lower(): z for z, s in enumerate(_ELEMENTS, start=1)}
_CACHE_VERSION = 2
#: Elements written before H in a formula (less electronegative than H).
_ELECTROPOSITIVE = frozenset(
    ("Li", "Na", "K", "Rb", "Cs", "Be", "Mg", "Ca", "Sr", "Ba", "B", "Al", "Ga", "Si")
)

Atoms = tuple[tuple[str, tuple[float, float, float]], ...]

_CACHE: dict[str, tuple[PauliSum, dict[str, Any]]] = {}


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


# -- geometry ---------------------------------------------------------------------------------
def _element(symbol: Any, where: str) -> str:
    z = _Z.get(str(symbol).strip().lower()) if isinstance(symbol, str) else None
    if z is None:
        raise ConfigError(
            f"unknown element {symbol!r} in {where}; expected a chemical symbol such as H, Li, Be, C, N, O"
        )
    return _ELEMENTS[z - 1]


def _coordinate(value: Any, where: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"coordinate {value!r} in {where} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ConfigError(f"coordinate {value!r} in {where} is not a finite number")
    return float(value)


def _entries(geometry: Any) -> list[tuple[str, Any, list[Any]]]:
    """``(where, symbol, [x, y, z])`` per atom of a geometry string or sequence (not yet checked)."""
    out: list[tuple[str, Any, list[Any]]] = []
    if isinstance(geometry, str):
        parts = [p.strip() for p in re.split(r"[;\n]", geometry)]
        for i, part in enumerate(p for p in parts if p):
            tokens = [t for t in re.split(r"[\s,]+", part) if t]
            if len(tokens) != 4:
                raise ConfigError(
                    f"geometry entry {i + 1} {part!r} must be 'Symbol x y z', e.g. 'Li 0 0 0; H 0 0 1.6'"
                )
            out.append((f"geometry entry {i + 1} {part!r}", tokens[0], tokens[1:]))
        return out
    if isinstance(geometry, Sequence):
        for i, item in enumerate(geometry):
            where = f"geometry entry {i + 1} {item!r}"
            if (
                isinstance(item, Sequence)
                and not isinstance(item, str)
                and len(item) == 2
                and isinstance(item[1], Sequence)
                and not isinstance(item[1], str)
            ):
                out.append((where, item[0], list(item[1])))
            elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 4:
                out.append((where, item[0], list(item[1:])))
            else:
                raise ConfigError(f"{where} must be (symbol, (x, y, z)) or (symbol, x, y, z)")
            if len(out[-1][2]) != 3:
                raise ConfigError(f"{where} must have three coordinates (x, y, z)")
        return out
    raise ConfigError(
        f"geometry must be a string like 'Li 0 0 0; H 0 0 1.6' or a list of (symbol, (x, y, z)), "
        f"got {type(geometry).__name__}"
    )


def _unit(unit: Any) -> str:
    u = unit.strip().lower() if isinstance(unit, str) else unit
    if u not in GEOMETRY_UNITS:
        raise ConfigError(f"unknown unit {unit!r}; valid units: {', '.join(GEOMETRY_UNITS)}")
    return str(u)


def parse_geometry(geometry: str | Sequence[Any], unit: str = "angstrom") -> Atoms:
    """Read and check a geometry: ``((symbol, (x, y, z)), ...)`` with canonical element symbols.

    Args:
        geometry: A PySCF-style string, atoms separated by ``;`` or new lines, each
            ``"Symbol x y z"`` (commas allowed), or a sequence of ``(symbol, (x, y, z))`` or
            ``(symbol, x, y, z)``.
        unit: ``"angstrom"`` or ``"bohr"`` (only used to check distances).

    Returns:
        The atoms, symbols capitalised (``"li"`` becomes ``"Li"``), coordinates as floats.

    Raises:
        ValueError: For a malformed entry, an unknown element, a coordinate that is not a
            finite number, no atoms, or two atoms closer than :data:`MIN_DISTANCE` Angstrom.

    Example:
        >>> parse_geometry("li 0 0 0; H 0 0 1.6")
        (('Li', (0.0, 0.0, 0.0)), ('H', (0.0, 0.0, 1.6)))
        >>> parse_geometry([("H", (0, 0, 0)), ("H", 0, 0, 0.74)])[1]
        ('H', (0.0, 0.0, 0.74))
    """
    u = _unit(unit)
    atoms: list[tuple[str, tuple[float, float, float]]] = []
    for where, symbol, coords in _entries(geometry):
        xyz = tuple(_coordinate(c, where) for c in coords)
        atoms.append((_element(symbol, where), (xyz[0], xyz[1], xyz[2])))
    if not atoms:
        raise ConfigError("geometry has no atoms; give at least one, e.g. 'H 0 0 0; H 0 0 0.74'")
    scale = 1.0 if u == "angstrom" else _BOHR
    pos = np.array([xyz for _, xyz in atoms]) * scale
    for i in range(len(atoms)):
        for j in range(i):
            d = float(np.linalg.norm(pos[i] - pos[j]))
            if d < MIN_DISTANCE:
                raise ConfigError(
                    f"atoms {j + 1} ({atoms[j][0]}) and {i + 1} ({atoms[i][0]}) are {d:.3g} A apart; atoms "
                    f"must be at least {MIN_DISTANCE} A apart (check the coordinates and unit={u!r})"
                )
    return tuple(atoms)


def _formula(atoms: Atoms, charge: int) -> str:
    """Chemical formula with the charge: Hill order (C, H, then alphabetical) with carbon; without it
    the elements less electronegative than H first (``"LiH"``, ``"BeH2"``, ``"H2O"``, ``"H3+"``)."""
    counts: dict[str, int] = {}
    for s, _ in atoms:
        counts[s] = counts.get(s, 0) + 1
    if "C" in counts:
        order = ["C", *(["H"] if "H" in counts else []), *sorted(s for s in counts if s not in ("C", "H"))]
    else:
        order = sorted(counts, key=lambda s: (0 if s in _ELECTROPOSITIVE else 1 if s == "H" else 2, s))
    body = "".join(f"{s}{counts[s] if counts[s] > 1 else ''}" for s in order)
    sign = "+" if charge > 0 else "-"
    return body + ("" if charge == 0 else sign if abs(charge) == 1 else f"({abs(charge)}{sign})")


def _geometry_text(atoms: Atoms) -> str:
    return "; ".join(f"{s} {x:g} {y:g} {z:g}" for s, (x, y, z) in atoms)


# -- electrons and active space ---------------------------------------------------------------
def _integer(name: str, value: Any, low: int | None = None) -> int:
    bad = isinstance(value, bool) or not isinstance(value, numbers.Integral)
    if bad or (low is not None and value < low):
        need = "an integer" if low is None else f"an integer >= {low}"
        raise ConfigError(f"{name} must be {need}, got {value!r}")
    return int(value)


def _electrons(atoms: Atoms, charge: int, multiplicity: int, formula: str) -> tuple[int, int]:
    """Total electrons and unpaired electrons, checked against the multiplicity."""
    nuclear = sum(_Z[s.lower()] for s, _ in atoms)
    ne = nuclear - charge
    if ne < 1:
        raise ConfigError(
            f"charge {charge} leaves {formula} with {ne} electrons; the charge must be below the total "
            f"nuclear charge {nuclear}"
        )
    unpaired = multiplicity - 1
    if unpaired > ne or (ne - unpaired) % 2:
        valid = list(range(ne % 2 + 1, ne + 2, 2))
        shown = ", ".join(map(str, valid[:4])) + (", ..." if len(valid) > 4 else "")
        raise ConfigError(
            f"{formula} has {ne} electron{'s' if ne > 1 else ''}, which cannot have multiplicity "
            f"{multiplicity} ({unpaired} unpaired); valid multiplicities: {shown} (or change the charge)"
        )
    return ne, unpaired


def _active_electrons(ae: Any, ne: int, unpaired: int, formula: str, multiplicity: int) -> int:
    if ae is None:
        return ne
    ae = _integer("active_electrons", ae, 1)
    if ae > ne or ae < unpaired or (ne - ae) % 2:
        valid = [x for x in range(max(unpaired, 1), ne + 1) if (ne - x) % 2 == 0]
        shown = ", ".join(map(str, valid[:8])) + (", ..." if len(valid) > 8 else "")
        raise ConfigError(
            f"active_electrons={ae} is not possible for {formula} ({ne} electrons, multiplicity "
            f"{multiplicity}): the frozen core holds electron pairs and every unpaired electron must be "
            f"active; valid values: {shown}"
        )
    return ae


def _check_width(ao: int, n_alpha: int, label: str, max_qubits: int) -> None:
    """``ao`` active orbitals hold the active spin-up electrons and fit in ``max_qubits``."""
    if ao < n_alpha:
        raise ConfigError(
            f"active_orbitals={ao} cannot hold the {n_alpha} active spin-up electrons of {label}; "
            f"use active_orbitals >= {n_alpha}"
        )
    if 2 * ao > max_qubits:
        raise ConfigError(
            f"{label} with {ao} active orbitals needs {2 * ao} qubits, more than the limit of {max_qubits}; "
            f"choose a smaller active space, e.g. active_orbitals={max_qubits // 2}"
        )


def _check_available(ao: int, n_mo: int, n_core: int, label: str) -> None:
    """The basis has ``ao`` orbitals above the frozen core."""
    available = n_mo - n_core
    if ao > available:
        raise ConfigError(
            f"active_orbitals={ao} is more than the {available} orbitals above the frozen core of {label} "
            f"({n_mo} orbitals, {n_core} frozen); use active_orbitals <= {available}"
        )


# -- cache ---------------------------------------------------------------------------------------
def _disk_path(key: str, formula: str) -> Path | None:
    root = config.cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    safe = re.sub(r"[^A-Za-z0-9+-]", "_", formula)
    return Path(root) / f"molecule-{safe}-{digest}.json"


def _load(path: Path, key: str) -> tuple[PauliSum, dict[str, Any]] | None:
    try:
        data = json.loads(path.read_text())
        if data.get("key") != key:
            return None
        return PauliSum.from_json(data["hamiltonian"]), dict(data["info"])
    except (OSError, ValueError, KeyError, TypeError) as err:  # a broken cache file is rebuilt
        log.warning("ignoring the unreadable molecule cache %s (%s); rebuilding", path, err)
        return None


def _store(path: Path, key: str, H: PauliSum, info: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "hamiltonian": H.to_json(), "info": info}))
    except OSError as err:  # a cache that cannot be written is not an error
        log.warning("could not write the molecule cache %s: %s", path, err)


# -- builders ----------------------------------------------------------------------------------
def _have_pyscf() -> bool:
    return importlib.util.find_spec("pyscf") is not None


def _missing_pyscf(what: str) -> MissingExtraError:
    return MissingExtraError("pyscf", "chem", what, "PySCF")


def _jordan_wigner(core: float, one: np.ndarray, two: np.ndarray) -> PauliSum:
    """The Jordan-Wigner qubit Hamiltonian of ``core + sum h_pq a+_p a_q + 1/2 sum (pq|rs) ...``.

    ``one`` and ``two`` are spatial-orbital integrals, ``two`` in chemists' order ``(pq|rs)``;
    PennyLane's ``fermionic_observable`` takes ``two[p, q, r, s] = (ps|qr)``.
    """
    import pennylane as qp

    ferm = qp.qchem.fermionic_observable(np.array([float(core)]), np.asarray(one), np.swapaxes(two, 1, 3))
    return from_pennylane(qp.qchem.qubit_observable(ferm, mapping="jordan_wigner"))


def _basis_energy(H: PauliSum, occupied: Sequence[int]) -> float:
    """``<x|H|x>`` of the basis state with ones on ``occupied`` (Z-only terms; no ``2**n`` vector)."""
    occ = set(occupied)
    total = 0.0
    for c, s in H.terms:
        if all(letter == "Z" for _, letter in s.ops):
            total += float(np.real(c)) * (-1.0) ** sum(w in occ for w, _ in s.ops)
    return total


def _warn_degenerate_cut(energies: np.ndarray, cuts: Sequence[int], label: str) -> None:
    for b in cuts:
        if 0 < b < len(energies) and abs(energies[b] - energies[b - 1]) < 1e-6:
            log.warning(
                "%s: the active space cuts between degenerate orbitals %d and %d (energy %.6f Ha); the "
                "result then depends on an arbitrary orbital rotation: include both or neither",
                label,
                b - 1,
                b,
                energies[b],
            )


def _from_pyscf(
    atoms: Atoms,
    unit: str,
    basis: str,
    charge: int,
    unpaired: int,
    ne: int,
    ae: int,
    ao: int | None,
    formula: str,
    max_qubits: int,
) -> tuple[PauliSum, dict[str, Any]]:
    from pyscf import ao2mo, gto, mcscf, scf
    from pyscf.lib.exceptions import BasisNotFoundError

    label = f"{formula} in {basis}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PySCF suggests basis-set-exchange for unknown names
            mol = gto.M(
                atom=[[s, list(xyz)] for s, xyz in atoms],
                basis=basis,
                charge=charge,
                spin=unpaired,
                unit=unit,
                verbose=0,
            )
    except (BasisNotFoundError, KeyError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"basis {basis!r} is not available in PySCF for {formula} ({reason}); use a PySCF basis name "
            f"such as sto-3g, 6-31g or cc-pvdz"
        ) from None
    mf = scf.RHF(mol) if unpaired == 0 else scf.ROHF(mol)
    mf.kernel()
    if not mf.converged:
        log.warning(
            "%s: the %s did not converge; the orbitals (and the active space) may be off",
            label,
            type(mf).__name__,
        )
    n_mo = int(mf.mo_coeff.shape[1])
    n_core = (ne - ae) // 2
    n_alpha, n_beta = (ae + unpaired) // 2, (ae - unpaired) // 2
    ao = n_mo - n_core if ao is None else ao
    _check_available(ao, n_mo, n_core, label)
    _check_width(ao, n_alpha, label, max_qubits)
    occ = np.rint(mf.mo_occ).astype(int)
    if np.any(occ[:n_core] != 2) or np.any(occ[n_core + ao :] != 0):
        raise ConfigError(
            f"the Hartree-Fock occupations of {label} ({occ.tolist()}) do not fit {n_core} frozen core and "
            f"{ao} active orbitals; choose an active space that holds every partly occupied orbital"
        )
    _warn_degenerate_cut(np.asarray(mf.mo_energy), (n_core, n_core + ao), label)
    mc = mcscf.CASCI(mf, ao, (n_alpha, n_beta))
    one, core = mc.get_h1eff()
    two = ao2mo.restore(1, mc.get_h2eff(), ao)
    H = _jordan_wigner(float(core), one, two)
    hf = [
        w
        for k, o in enumerate(occ[n_core : n_core + ao])
        for w in ((2 * k,) if o == 1 else (2 * k, 2 * k + 1) if o == 2 else ())
    ]
    extra = {"scf_energy": float(mf.e_tot), "scf_converged": bool(mf.converged), "n_orbitals_total": n_mo}
    return H, {
        "n_qubits": 2 * ao,
        "n_core": n_core,
        "n_orbitals": ao,
        "n_alpha": n_alpha,
        "n_beta": n_beta,
        "hf_occupation": hf,
        **extra,
    }


def _from_dhf(
    atoms: Atoms,
    unit: str,
    basis: str,
    charge: int,
    unpaired: int,
    ne: int,
    ae: int,
    ao: int | None,
    formula: str,
    max_qubits: int,
) -> tuple[PauliSum, dict[str, Any]]:
    label = f"{formula} in {basis}"
    if unpaired:
        raise ConfigError(
            f"{label}: the pennylane-dhf integrals are closed-shell only (multiplicity 1); open shells need "
            f"PySCF's ROHF: install qml-circuits[chem] and use source='pyscf'"
        )
    import pennylane as qp

    coords = np.array([xyz for _, xyz in atoms], dtype=float).ravel()
    try:
        mol = qp.qchem.Molecule(
            [s for s, _ in atoms], coords, charge=charge, mult=1, basis_name=basis, unit=unit
        )
    except ValueError as err:
        raise ConfigError(
            f"PennyLane's dhf cannot build {formula} in basis {basis!r}: {str(err).splitlines()[0]}"
        ) from None
    n_mo = int(mol.n_orbitals)
    n_core = (ne - ae) // 2
    ao = n_mo - n_core if ao is None else ao
    _check_available(ao, n_mo, n_core, label)
    _check_width(ao, ae // 2, label, max_qubits)
    op, n_qubits = qp.qchem.molecular_hamiltonian(
        mol, method="dhf", active_electrons=ae, active_orbitals=ao, mapping="jordan_wigner"
    )
    H = from_pennylane(op)
    return H, {
        "n_qubits": int(n_qubits),
        "n_core": n_core,
        "n_orbitals": ao,
        "n_alpha": ae // 2,
        "n_beta": ae // 2,
        "hf_occupation": list(range(ae)),
        "n_orbitals_total": n_mo,
    }


def molecular_hamiltonian_from(
    geometry: str | Sequence[Any],
    basis: str = "sto-3g",
    charge: int = 0,
    multiplicity: int = 1,
    active_electrons: int | None = None,
    active_orbitals: int | None = None,
    unit: str = "angstrom",
    *,
    source: str = "auto",
    max_qubits: int = MAX_QUBITS,
) -> tuple[PauliSum, dict[str, Any]]:
    """The Jordan-Wigner qubit Hamiltonian of any molecule, in Hartree (cached).

    RHF orbitals for a closed shell, ROHF for an open shell; the frozen core is the lowest
    ``(n_electrons - active_electrons) / 2`` orbitals, the active orbitals the next
    ``active_orbitals`` (PySCF's CASCI partition). Wires: spin orbitals ``(0 up, 0 down, 1 up,
    ...)`` of the active orbitals, wire 0 the most significant bit. The Hartree-Fock state
    occupies both wires of each doubly occupied active orbital and the *up* wire ``2k`` of each
    singly occupied one (unpaired electrons have ``S_z = +1/2``): the first ``n_electrons``
    wires for closed shells and doublets (see ``info["hf_occupation"]``).

    Args:
        geometry: ``"Li 0 0 0; H 0 0 1.6"`` or ``[("Li", (0, 0, 0)), ("H", (0, 0, 1.6))]``
            (see :func:`parse_geometry`).
        basis: A basis set name PySCF knows (``"sto-3g"``, ``"6-31g"``, ``"cc-pvdz"``...).
        charge: Total charge (``1`` for a cation).
        multiplicity: ``2S + 1``: 1 singlet, 2 doublet, 3 triplet...
        active_electrons: Active electrons (default: all); the rest, in pairs, are frozen.
        active_orbitals: Active spatial orbitals (default: all above the frozen core).
        unit: ``"angstrom"`` or ``"bohr"``.
        source: ``"auto"`` (PySCF), ``"pyscf"`` or ``"pennylane-dhf"`` (closed shells and
            PennyLane's basis sets only; integrals off by up to ~3e-8 Ha).
        max_qubits: Refuse active spaces wider than this (``2 * active_orbitals`` qubits).

    Returns:
        ``(H, info)``; ``info`` holds ``molecule`` (formula with charge), ``geometry``,
        ``unit``, ``basis``, ``charge``, ``multiplicity``, ``n_qubits``, ``n_electrons``
        (active), ``n_alpha``, ``n_beta``, ``n_electrons_total``, ``n_core``, ``n_orbitals``
        (active), ``active_space`` (``[electrons, orbitals]``), ``hf_occupation`` (occupied
        wires), ``hf_energy`` (the energy of that basis state), ``integral_source``,
        ``mapping``, ``n_terms`` and ``build_seconds``; from PySCF also ``scf_energy``.

    Raises:
        ValueError: For a malformed geometry, an unknown element, atoms on top of each other,
            a charge or multiplicity the electron count cannot have, an impossible or too
            large active space, or a basis PySCF does not know.
        ModuleNotFoundError: Without PySCF (install ``qml-circuits[chem]``), unless
            ``source="pennylane-dhf"``.

    Example:
        >>> H, info = molecular_hamiltonian_from("O 0 0 0; H 0 0 0.97", multiplicity=2,
        ...                                      active_electrons=7, active_orbitals=5)
        >>> info["n_qubits"], info["n_alpha"], info["n_beta"], info["hf_occupation"]
        (10, 4, 3, [0, 1, 2, 3, 4, 5, 6])
        >>> round(info["hf_energy"] - info["scf_energy"], 10)
        0.0
    """
    u = _unit(unit)
    atoms = parse_geometry(geometry, u)
    if source not in INTEGRAL_SOURCES:
        raise ConfigError(f"unknown source {source!r}; valid sources: {', '.join(INTEGRAL_SOURCES)}")
    if not isinstance(basis, str) or not basis.strip():
        raise ConfigError(f"basis must be a basis set name such as 'sto-3g', got {basis!r}")
    basis_key = basis.strip().lower()
    charge = _integer("charge", charge)
    multiplicity = _integer("multiplicity", multiplicity, 1)
    max_qubits = _integer("max_qubits", max_qubits, 2)
    formula = _formula(atoms, charge)
    ne, unpaired = _electrons(atoms, charge, multiplicity, formula)
    ae = _active_electrons(active_electrons, ne, unpaired, formula, multiplicity)
    ao = None if active_orbitals is None else _integer("active_orbitals", active_orbitals, 1)
    label = f"{formula} in {basis_key}"
    if ao is not None:  # the checks that do not need the basis, before any heavy import
        _check_width(ao, (ae + unpaired) // 2, label, max_qubits)
    src = source
    if src in ("auto", "pyscf"):
        if not _have_pyscf():
            raise _missing_pyscf(f"the Hamiltonian of {label}")
        src = "pyscf"

    geo = [[s, list(xyz)] for s, xyz in atoms]
    key = json.dumps([_CACHE_VERSION, geo, u, basis_key, charge, multiplicity, ae, ao, src, "jordan_wigner"])
    if key in _CACHE:
        H, cached_info = _CACHE[key]
        return H, dict(cached_info)
    path = _disk_path(key, formula)
    if path is not None and path.exists():
        loaded = _load(path, key)
        if loaded is not None:
            _CACHE[key] = loaded
            log.info("loaded the %s Hamiltonian from %s", label, path)
            return loaded[0], dict(loaded[1])

    t0 = time.perf_counter()
    build = _from_pyscf if src == "pyscf" else _from_dhf
    H, parts = build(atoms, u, basis_key, charge, unpaired, ne, ae, ao, formula, max_qubits)
    info: dict[str, Any] = {
        "molecule": formula,
        "geometry": geo,
        "unit": u,
        "basis": basis_key,
        "charge": charge,
        "multiplicity": multiplicity,
        "n_qubits": parts["n_qubits"],
        "n_electrons": ae,
        "n_alpha": parts["n_alpha"],
        "n_beta": parts["n_beta"],
        "n_electrons_total": ne,
        "n_core": parts["n_core"],
        "n_orbitals": parts["n_orbitals"],
        "active_space": [ae, parts["n_orbitals"]],
        "hf_occupation": parts["hf_occupation"],
        "hf_energy": _basis_energy(H, parts["hf_occupation"]),
        "integral_source": src,
        "mapping": "jordan_wigner",
        "n_terms": len(H),
        **{k: parts[k] for k in ("scf_energy", "scf_converged", "n_orbitals_total") if k in parts},
        "build_seconds": time.perf_counter() - t0,
    }
    _CACHE[key] = (H, info)
    log.info(
        "built the %s Hamiltonian (%s integrals): %d qubits, %d terms, %.2f s",
        label,
        src,
        info["n_qubits"],
        len(H),
        info["build_seconds"],
    )
    if path is not None:
        _store(path, key, H, info)
    return H, dict(info)


def molecular_hamiltonian(
    name: str,
    bond_length: float | None = None,
    active_electrons: int | None = None,
    active_orbitals: int | None = None,
    *,
    source: str = "auto",
) -> tuple[PauliSum, dict[str, Any]]:
    """The qubit Hamiltonian of a preset molecule (:data:`MOLECULES`) in STO-3G, in Hartree (cached).

    H2 and LiH lie on the z axis (the first atom at the origin); BeH2 is linear H-Be-H with Be
    at the origin. Integrals from PySCF when it is installed, else from PennyLane's dhf (see
    the module docstring); :func:`molecular_hamiltonian_from` does the work.

    Args:
        name: ``"h2"``, ``"lih"`` or ``"beh2"``.
        bond_length: Distance between the first atom and each other atom, in Angstrom
            (default: near equilibrium, 0.74 for H2, 1.6 for LiH, 1.33 for BeH2).
        active_electrons: Active electrons (default: all for H2, 2 for LiH, 4 for BeH2).
        active_orbitals: Active spatial orbitals (default: all for H2, 5 for LiH, 6 for BeH2).
        source: ``"auto"`` (PySCF if installed, else ``"pennylane-dhf"``), ``"pyscf"`` or
            ``"pennylane-dhf"``.

    Returns:
        ``(H, info)`` as :func:`molecular_hamiltonian_from`, with ``molecule`` the preset name
        and ``bond_length`` added.

    Raises:
        ValueError: For an unknown molecule, a bond length of 0.1 Angstrom or less, or a bad
            active space.
        ModuleNotFoundError: For ``source="pyscf"`` without PySCF.

    Example:
        >>> H, info = molecular_hamiltonian("h2", 1.0)
        >>> H.n_wires, info["integral_source"] in ("pyscf", "pennylane-dhf")
        (4, True)
    """
    if name not in MOLECULES:
        raise ConfigError(f"unknown molecule {name!r}; valid molecules: {', '.join(MOLECULES)}")
    spec = MOLECULES[name]
    r = spec["bond_length"] if bond_length is None else bond_length
    if isinstance(r, bool) or not isinstance(r, (int, float)) or not np.isfinite(r) or r <= 0.1:
        raise ConfigError(f"bond_length must be a number of Angstrom > 0.1, got {bond_length!r}")
    ae = spec["active"][0] if active_electrons is None else active_electrons
    ao = spec["active"][1] if active_orbitals is None else active_orbitals
    src = source
    if source == "auto" and not _have_pyscf():
        log.info("PySCF is not installed: %s from PennyLane's dhf integrals (~3e-8 Ha from PySCF's)", name)
        src = "pennylane-dhf"
    geometry = [(s, (0.0, 0.0, float(f) * float(r))) for s, f in spec["geometry"]]
    H, info = molecular_hamiltonian_from(geometry, "sto-3g", 0, 1, ae, ao, source=src)
    info["molecule"], info["bond_length"] = name, float(r)
    return H, info


def clear_cache() -> None:
    """Forget the in-memory molecular Hamiltonians (the disk cache is left alone).

    Example:
        >>> clear_cache()
    """
    _CACHE.clear()


__all__ = [
    "GEOMETRY_UNITS",
    "INTEGRAL_SOURCES",
    "MAX_QUBITS",
    "MIN_DISTANCE",
    "MOLECULES",
    "clear_cache",
    "from_pennylane",
    "molecular_hamiltonian",
    "molecular_hamiltonian_from",
    "parse_geometry",
]
