"""The problem registry: ``get_problem(name, **params)`` for spin models and molecules.

Names and parameters (defaults in brackets; see :data:`PROBLEMS` for all of them):

Exact references scan every sector of the model's symmetry (total ``Sz``, or the parity
``prod X`` for the TFIM) and keep the whole ground level (:meth:`Problem.exact`).

* ``"tfim"``: ``-J sum Z Z - h sum X`` (Pauli units) on a lattice; closed-form energy for
  chains (``J > 0``, ``h >= 0``), free fermions for chains and rings of any size and sign
  (:mod:`qml.freefermion`). Ansatz ``"hva"`` from ``|+>^N`` (``|->^N`` for ``h < 0``:
  the ground state's parity ``prod X``, which the HVA conserves). In the ordered phase
  (``|h| < J``) the ground state of a long open chain is a cat state, out of reach of a
  shallow parity-conserving circuit (it needs depth ~ N / 2); ansatz ``"hva-sb"`` breaks the
  symmetry instead: ``RY(w_0)`` on every spin from ``|0>^N``, then per layer one angle each
  for the ``ZZ`` bonds, the ``X`` and the ``Y`` rotations. Its energy equals the cat's up to
  the exponentially small splitting, its fidelity with the cat is at most 1/2.
* ``"xxz"``, ``"heisenberg"``, ``"j1j2"``: ``J sum S.S`` type models in spin units
  (``S = sigma/2``; ``units="pauli"`` for Pauli units), ``xxz`` and ``heisenberg`` with a
  field ``h sum S^z``. Ansatz ``"hva"``: singlets on ``(0,1), (2,3), ...`` plus ``2|Sz|``
  polarised spins in the ground level's ``Sz`` sector (:meth:`Problem.target_sz`; a
  ferromagnet starts polarised, a field-magnetised chain in its plateau), then
  ``exp(-i theta H_c)`` per colour class ``c`` of an edge colouring of the bonds (U(1)
  preserving; SU(2) too for Heisenberg couplings).
* ``"xy"``: anisotropic XY chain in a field (Pauli units); ``"metavqe"``: the meta-VQE
  family ``sum (XX + YY + Delta ZZ) + lambda sum Z`` (Pauli units). Ansatz ``"hva"`` as
  above (with ``gamma != 0`` the XY model conserves only the Z parity); ansatz ``"hea"``
  (RY-RZ layers with CNOT chains) is not confined to a sector (the XY default).
* ``"h2"``, ``"lih"``, ``"beh2"``: STO-3G Jordan-Wigner molecules (Hartree) at ``bond_length``
  (Angstrom; BeH2 is linear H-Be-H), LiH with frozen Li 1s (2 electrons in 5 orbitals, 10
  qubits), BeH2 with frozen Be 1s (4 electrons in 6 orbitals, 12 qubits); ``active_electrons``
  and ``active_orbitals`` change the active space.
* ``"molecule"``: any molecule: ``geometry`` (``"Li 0 0 0; H 0 0 1.6"``, also as
  ``--param "geometry=Li 0 0 0; H 0 0 1.6"``), ``basis`` [sto-3g], ``charge`` [0],
  ``multiplicity`` [1], ``active_electrons`` / ``active_orbitals`` [all], ``unit`` [angstrom];
  at most ``MAX_ED_WIRES`` qubits (``2 * active_orbitals``) so that the exact reference exists.

  Molecules take PySCF's integrals (RHF, ROHF for open shells; frozen core below the active
  orbitals, as PySCF CASCI) when PySCF is installed, else (presets only) PennyLane's dhf; see
  :mod:`qml.problems.molecules`. Reference sector: the electron number (the exact energy is the
  lowest state with that many electrons, of any spin). Reference state: Hartree-Fock
  (``info["hf_occupation"]``; unpaired electrons spin up). Ansatz ``"asd"`` (Givens singles and
  doubles on the Hartree-Fock state) or ``"uccsd"`` (not for open shells whose Hartree-Fock
  state is not the first wires, e.g. triplets).

Spin models take ``n`` (sites), ``lattice`` (``"chain"``, ``"ring"``, ``"ladder"``,
``"square"``, ``"triangular"``), ``lx``/``ly`` for 2D lattices and ``periodic`` [True].
Chains, rings and ladders go up to ``MAX_CHAIN_SITES`` sites: above ``MAX_ED_WIRES`` their
exact reference is free fermions (``tfim``, ``xy`` on chains and rings) or DMRG (the others,
:mod:`qml.dmrg`, needs quimb); 2D lattices stop at ``MAX_SITES``.

Example:
    >>> p = get_problem("tfim", n=6, h=0.5)
    >>> p.n_wires, p.ansatz_names, round(p.exact().energy, 8)
    (6, ('hva', 'hea', 'hva-sb'), -6.38469456)
    >>> get_problem("tfm")
    Traceback (most recent call last):
    ...
    qml.errors.ConfigError: unknown problem 'tfm'; valid problems: tfim, xxz, heisenberg, j1j2, ..., molecule
    >>> m = get_problem("molecule", geometry="Li 0 0 0; H 0 0 1.6", active_electrons=2, active_orbitals=5)
    >>> m.n_wires, abs(m.exact().energy - get_problem("lih").exact().energy) < 1e-10
    (10, True)
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qml.errors import ConfigError
from qml.ir import Circuit, W
from qml.paulis import PauliString, PauliSum
from qml.problems import spins
from qml.problems.lattice import LATTICES, Lattice, make_lattice
from qml.problems.molecules import MOLECULES, molecular_hamiltonian, molecular_hamiltonian_from
from qml.problems.problem import MAX_ED_WIRES, Problem, SectorAnsatz
from qml.templates._common import check_int

if TYPE_CHECKING:
    from qml.freefermion import FreeFermionResult

#: Largest number of sites of a 2D spin problem (exact diagonalisation, or a closed form).
MAX_SITES = 24
#: Largest number of sites of a chain, ring or ladder (free-fermion or DMRG references beyond ED).
MAX_CHAIN_SITES = 1024
#: Lattices with a reference beyond exact diagonalisation (free fermions or DMRG).
ONE_DIMENSIONAL = ("chain", "ring", "ladder")


@dataclass(frozen=True)
class ProblemSpec:
    """Registry entry: the builder, its parameter defaults and a one-line description.

    Example:
        >>> PROBLEMS["tfim"].defaults["h"]
        1.0
    """

    builder: Callable[..., Problem]
    defaults: dict[str, Any]
    description: str


# -- validation -----------------------------------------------------------------------------
def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= int(value) <= high:
        raise ConfigError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    return int(value)


def _float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def _choice(name: str, value: Any, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ConfigError(f"unknown {name} {value!r}; valid choices: {', '.join(valid)}")
    return str(value)


def _lattice(p: dict[str, Any]) -> Lattice:
    name = _choice("lattice", p["lattice"], LATTICES)
    periodic = _bool("periodic", p["periodic"])
    limit = MAX_CHAIN_SITES if name in ONE_DIMENSIONAL else MAX_SITES
    lx = None if p.get("lx") is None else _int("lx", p["lx"], 1, limit)
    ly = None if p.get("ly") is None else _int("ly", p["ly"], 1, MAX_SITES)
    n = None if p.get("n") is None or (lx is not None and name != "chain") else p["n"]
    if n is not None:
        n = _int("n", n, 2, limit)
    lat = make_lattice(name, n=n, lx=lx, ly=ly, periodic=periodic)
    if lat.n_sites > limit:
        raise ConfigError(f"the {name} has {lat.n_sites} sites; at most {limit} are supported")
    return lat


# -- ansatz builders ---------------------------------------------------------------------
def _hea(n: int) -> Callable[[int], Circuit]:
    from qml.templates import hardware_efficient

    return lambda layers: hardware_efficient(n, layers)


def _bond_groups(H: PauliSum, first_pairs: list[tuple[int, int]]) -> list[PauliSum]:
    """Terms grouped by bond; bonds edge-coloured (no shared site in a colour class).

    Bonds in ``first_pairs`` (the singlet pairs of the initial state) form the last class,
    so that no layer starts with a group the initial state is an eigenstate of.
    Single-site terms form one final group.
    """
    bonds: dict[tuple[int, ...], list[tuple[float, PauliString]]] = {}
    for c, s in H.terms:
        if not s.is_identity:
            bonds.setdefault(s.wires, []).append((c, s))
    singles = [t for w, ts in bonds.items() if len(w) == 1 for t in ts]
    two = {w: ts for w, ts in bonds.items() if len(w) >= 2}
    pinned = [w for w in two if tuple(sorted(w)) in first_pairs]
    colours: list[tuple[set[int], list[tuple[float, PauliString]]]] = []
    for w, ts in two.items():
        if w in pinned:
            continue
        for used, terms in colours:
            if not used.intersection(w):
                used.update(w)
                terms += ts
                break
        else:
            colours.append((set(w), list(ts)))
    groups = [PauliSum(tuple(ts)) for _, ts in colours]
    if pinned:
        groups.append(PauliSum(tuple(t for w in pinned for t in two[w])))
    if singles:
        groups.append(PauliSum(tuple(singles)))
    return groups


def _sector_state(n: int, sz: float) -> tuple[Circuit, list[tuple[int, int]]]:
    """Singlets on ``(0,1), (2,3), ...`` and ``2|sz|`` polarised spins (up for ``sz > 0``) after them.

    The state has total ``S^z = sz`` and total spin ``S = |sz|``; returns it with its pairs.
    """
    polarised = 2 * abs(sz)
    if abs(polarised - round(polarised)) > 1e-9 or round(polarised) > n or (n - round(polarised)) % 2:
        valid = ", ".join(f"{(n - 2 * k) / 2:g}" for k in range(n + 1))
        raise ConfigError(f"a {n}-site state cannot have total Sz = {sz:g}; valid values: {valid}")
    n_pairs = (n - round(polarised)) // 2
    c = Circuit(n, name="singlets" if polarised == 0 else f"singlets+{round(polarised)}")
    pairs = [(2 * k, 2 * k + 1) for k in range(n_pairs)]
    for w, v in pairs:
        c = c.add("X", w).add("X", v).add("H", w).add("CNOT", (w, v))
    if sz < 0:
        for w in range(2 * n_pairs, n):
            c = c.add("X", w)
    return c, pairs


def _after(init: Circuit, body: Circuit) -> Circuit:
    """``body`` (keeping its name and weights) started from the weightless state preparation ``init``."""
    return Circuit(body.n_wires, init.ops + body.ops, body.n_weights, name=body.name)


def _per_bond(groups: list[PauliSum]) -> list[PauliSum]:
    """Each group split into one group per bond (or site), in the group's order: one angle each."""
    out: list[PauliSum] = []
    for g in groups:
        by_wires: dict[tuple[int, ...], list[tuple[float, PauliString]]] = {}
        for c, s in g.terms:
            by_wires.setdefault(s.wires, []).append((c, s))
        out += [PauliSum(tuple(ts)) for ts in by_wires.values()]
    return out


def _singlet_hva(H: PauliSum, n: int, local: bool = False) -> SectorAnsatz:
    """The bond-coloured HVA from singlets plus polarised spins in the requested ``Sz`` sector.

    ``local``: one angle per bond (and site) and layer instead of one per colour class: open
    chains are not translation invariant (the ends dimerise), and shared angles stall there.
    """
    from qml.templates import hva

    def build(layers: int, sz: float) -> Circuit:
        init, pairs = _sector_state(n, sz)
        groups = _bond_groups(H, pairs)
        c = hva(_per_bond(groups) if local else groups, layers, n_wires=n)
        return _after(init, Circuit(c.n_wires, c.ops, c.n_weights, name="hva-local" if local else c.name))

    return SectorAnsatz(build)


# -- spin problems ----------------------------------------------------------------------------
_SPIN_DEFAULTS: dict[str, Any] = {"n": 8, "lattice": "chain", "periodic": True, "lx": None, "ly": None}


def _spin_problem(
    name: str,
    p: dict[str, Any],
    H: PauliSum,
    lat: Lattice,
    description: str,
    ansatze: dict[str, Callable[[int], Circuit]],
    unit: str,
    sector: PauliSum | PauliString | None,
    sector_value: float,
    reference: Circuit | None,
    closed_form: Callable[[], float] | None = None,
    free_fermion: Callable[[], FreeFermionResult] | None = None,
) -> Problem:
    n = lat.n_sites
    one_dimensional = lat.name in ONE_DIMENSIONAL
    if n > MAX_ED_WIRES and closed_form is None and free_fermion is None and not one_dimensional:
        raise ConfigError(
            f"{name} with {n} sites has no exact reference (exact diagonalisation stops at {MAX_ED_WIRES} "
            f"qubits, DMRG needs a chain, ring or ladder); use n <= {MAX_ED_WIRES}"
        )
    info = {"lattice": lat.label()}
    return Problem(
        name=name,
        hamiltonian=H,
        n_wires=n,
        params=dict(p),
        description=description,
        energy_unit=unit,
        sector=sector,
        sector_value=sector_value,
        reference=reference,
        ansatze=ansatze,
        default_layers=max(1, n // 2),
        init=("uniform", 0.1),
        closed_form=closed_form,
        info=info,
        free_fermion=free_fermion,
        one_dimensional=one_dimensional,
    )


def _free_fermion(lat: Lattice, model: str, **constants: Any) -> Callable[[], FreeFermionResult] | None:
    """The free-fermion solver of a TFIM / XY chain or ring (``None`` on other lattices)."""
    if lat.name not in ("chain", "ring"):
        return None
    from qml import freefermion

    solve = freefermion.tfim_ground if model == "tfim" else freefermion.xy_ground
    n, periodic = lat.n_sites, lat.name == "ring"
    return lambda: solve(n, periodic=periodic, **constants)


def _plus(n: int) -> Circuit:
    c = Circuit(n, name="plus")
    for w in range(n):
        c = c.add("H", w)
    return c


def _minus(n: int) -> Circuit:
    c = Circuit(n, name="minus")
    for w in range(n):
        c = c.add("X", w).add("H", w)
    return c


def _singlets(n: int) -> Circuit:
    """Singlets ``(|01> - |10>)/sqrt 2`` on ``(0,1), (2,3), ...`` (even n) or the Neel state (odd n)."""
    if n % 2:
        c = Circuit(n, name="neel")
        for w in range(1, n, 2):
            c = c.add("X", w)
        return c
    c = Circuit(n, name="singlets")
    for w in range(0, n, 2):
        c = c.add("X", w).add("X", w + 1).add("H", w).add("CNOT", (w, w + 1))
    return c


def _build_tfim(p: dict[str, Any]) -> Problem:
    from qml.templates import hva

    lat = _lattice(p)
    J, h = _float("J", p["J"]), _float("h", p["h"])
    units = _choice("units", p["units"], spins.UNITS)
    H = spins.tfim(lat, J=J, h=h, units=units)
    n = lat.n_sites
    closed: Callable[[], float] | None = None
    if lat.name in ("chain", "ring") and J > 0 and h >= 0:
        scale = 1.0 if units == "pauli" else 0.25
        jj, hh = J, h if units == "pauli" else 2.0 * h  # spin units: -J/4 ZZ - h/2 X = (1/4)(-J ZZ - 2h X)
        periodic = lat.name == "ring"

        def closed() -> float:
            return scale * spins.tfim_exact_energy(n, jj, hh, periodic)

    # The ground state has prod X = +1 for h > 0 (stoquastic in the Z basis) and (-1)^n for h < 0:
    # the HVA starts from |+>^n or |->^n accordingly (its gates conserve prod X).
    init = _plus(n) if h >= 0 else _minus(n)

    def tfim_hva(layers: int) -> Circuit:
        # the ansatz takes its structure, not its coefficients, from H: at h = 0 the X group must stay
        return _after(init, hva(spins.tfim(lat, J=1.0, h=1.0), layers))

    def tfim_hva_sb(layers: int) -> Circuit:
        # symmetry-broken HVA: RY(w0)|0>^n, then per layer ZZ, X and Y rotations (one angle each)
        c = Circuit(n, name="hva-sb")
        for q in range(n):
            c = c.add("RY", q, W(0))
        for layer in range(check_int("layers", layers, 1)):
            k = 1 + 3 * layer
            for i, j in lat.bonds("nn"):
                c = c.add("RZZ", (i, j), W(k))
            for q in range(n):
                c = c.add("RX", q, W(k + 1))
            for q in range(n):
                c = c.add("RY", q, W(k + 2))
        return c

    return _spin_problem(
        "tfim",
        p,
        H,
        lat,
        f"TFIM -J ZZ - h X on {lat.label()}, J={J:g}, h={h:g} ({units} units)",
        {"hva": tfim_hva, "hea": _hea(n), "hva-sb": tfim_hva_sb},
        units,
        None,
        0.0,
        init,
        closed,
        _free_fermion(lat, "tfim", J=J, h=h, units=units),
    )


def _build_xxz(p: dict[str, Any], name: str = "xxz") -> Problem:
    lat = _lattice(p)
    units = _choice("units", p["units"], spins.UNITS)
    J = _float("J", p["J"])
    delta = _float("delta", p.get("delta", 1.0))
    h = _float("h", p.get("h", 0.0))
    H = spins.xxz(lat, J=J, delta=delta, h=h, units=units)
    what = "Heisenberg J S.S" if name == "heisenberg" else f"XXZ (Delta={delta:g}, h={h:g})"
    return _spin_problem(
        name,
        p,
        H,
        lat,
        f"{what} on {lat.label()}, J={J:g} ({units} units)",
        {
            "hva": _singlet_hva(H, lat.n_sites),
            "hea": _hea(lat.n_sites),
            "hva-local": _singlet_hva(H, lat.n_sites, local=True),
        },
        units,
        None,
        0.0,
        _singlets(lat.n_sites),
    )


def _build_heisenberg(p: dict[str, Any]) -> Problem:
    return _build_xxz(p, "heisenberg")


def _build_j1j2(p: dict[str, Any]) -> Problem:
    lat = _lattice(p)
    units = _choice("units", p["units"], spins.UNITS)
    J1, J2 = _float("J1", p["J1"]), _float("J2", p["J2"])
    H = spins.j1j2(lat, J1=J1, J2=J2, units=units)
    return _spin_problem(
        "j1j2",
        p,
        H,
        lat,
        f"J1-J2 Heisenberg on {lat.label()}, J1={J1:g}, J2={J2:g} ({units} units)",
        {
            "hva": _singlet_hva(H, lat.n_sites),
            "hea": _hea(lat.n_sites),
            "hva-local": _singlet_hva(H, lat.n_sites, local=True),
        },
        units,
        None,
        0.0,
        _singlets(lat.n_sites),
    )


def _build_xy(p: dict[str, Any]) -> Problem:
    lat = _lattice(p)
    units = _choice("units", p["units"], spins.UNITS)
    J, gamma, h = _float("J", p["J"]), _float("gamma", p["gamma"]), _float("h", p["h"])
    H = spins.xy(lat, J=J, gamma=gamma, h=h, units=units)
    n = lat.n_sites
    return _spin_problem(
        "xy",
        p,
        H,
        lat,
        f"XY model on {lat.label()}, J={J:g}, gamma={gamma:g}, h={h:g} ({units} units)",
        {"hea": _hea(n), "hva": _singlet_hva(H, n)},
        units,
        None,
        0.0,
        _singlets(n),
        None,
        _free_fermion(lat, "xy", J=J, gamma=gamma, h=h, units=units),
    )


def _build_metavqe(p: dict[str, Any]) -> Problem:
    lat = _lattice(p)
    units = _choice("units", p["units"], spins.UNITS)
    delta, lam = _float("delta", p["delta"]), _float("lam", p["lam"])
    H = spins.metavqe(lat, delta=delta, lam=lam, units=units)
    n = lat.n_sites
    return _spin_problem(
        "metavqe",
        p,
        H,
        lat,
        f"meta-VQE XXZ family on {lat.label()}, Delta={delta:g}, lambda={lam:g} ({units} units)",
        {"hva": _singlet_hva(H, n), "hea": _hea(n)},
        units,
        None,
        0.0,
        _singlets(n),
    )


# -- molecules --------------------------------------------------------------------------
def _excitations_from(
    occupied: tuple[int, ...], nq: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int, int, int]]]:
    """Spin-conserving singles ``(r, p)`` and doubles ``(s, r, q, p)`` from any occupied set of wires.

    The order of :func:`qml.templates.excitations` (which assumes the first wires occupied).
    """
    occ = sorted(occupied)
    virt = [w for w in range(nq) if w not in occupied]
    singles = [(r, p) for r in occ for p in virt if r % 2 == p % 2]
    doubles = [
        (s, r, q, p)
        for i, s in enumerate(occ)
        for r in occ[i + 1 :]
        for j, q in enumerate(virt)
        for p in virt[j + 1 :]
        if (s % 2) + (r % 2) == (q % 2) + (p % 2)
    ]
    return singles, doubles


def _molecule_problem(
    name: str, p: dict[str, Any], H: PauliSum, info: dict[str, Any], description: str
) -> Problem:
    """A molecule's :class:`Problem`: electron-number sector, Hartree-Fock reference, ``asd``/``uccsd``.

    The reference is the basis state of ``info["hf_occupation"]``. When that is not the first
    ``n_electrons`` wires (open shells with two or more unpaired electrons), the Givens ansatz
    ``asd`` gets the spin-conserving excitations of that state; ``uccsd`` (whose Jordan-Wigner
    strings need occupied wires below virtual ones) is then not offered.
    """
    from qml.templates import all_singles_doubles, hartree_fock_state, uccsd

    nq, ne = info["n_qubits"], info["n_electrons"]
    occupied = tuple(info["hf_occupation"])

    def repeated(block: Callable[..., Circuit]) -> Callable[[int], Circuit]:
        def build(layers: int) -> Circuit:
            c = block(ne, nq)
            for _ in range(layers - 1):
                c = c.then(block(ne, nq, hf_state=False))
            return Circuit(nq, c.ops, c.n_weights, name=c.name)

        return build

    if occupied == tuple(range(ne)):
        reference = hartree_fock_state(ne, nq)
        ansatze: dict[str, Callable[[int], Circuit]] = {
            "asd": repeated(all_singles_doubles),
            "uccsd": repeated(uccsd),
        }
    else:
        reference = Circuit(nq, name="hartree_fock")
        for w in occupied:
            reference = reference.add("X", w)
        singles, doubles = _excitations_from(occupied, nq)

        def asd(layers: int) -> Circuit:
            c = reference
            for _ in range(layers):
                c = c.then(all_singles_doubles(ne, nq, singles, doubles, hf_state=False))
            return Circuit(nq, c.ops, c.n_weights, name="all_singles_doubles")

        ansatze = {"asd": asd}
    return Problem(
        name=name,
        hamiltonian=H,
        n_wires=nq,
        params=dict(p),
        description=description,
        energy_unit="hartree",
        sector=spins.total_z(nq),
        sector_value=float(nq - 2 * ne),  # total Z of the reference: one -1 per electron
        reference=reference,
        ansatze=ansatze,
        default_layers=1,
        init=("zeros", None),
        info=info,
    )


def _build_molecule(name: str, p: dict[str, Any]) -> Problem:
    H, info = molecular_hamiltonian(
        name, _float("bond_length", p["bond_length"]), p.get("active_electrons"), p.get("active_orbitals")
    )
    nq, ne = info["n_qubits"], info["n_electrons"]
    description = (
        f"{MOLECULES[name]['formula']} STO-3G (Jordan-Wigner, {info['integral_source']} integrals), "
        f"R={info['bond_length']:g} A, {ne} electrons in {nq} spin orbitals"
    )
    return _molecule_problem(name, p, H, info, description)


def _build_h2(p: dict[str, Any]) -> Problem:
    return _build_molecule("h2", p)


def _build_lih(p: dict[str, Any]) -> Problem:
    return _build_molecule("lih", p)


def _build_beh2(p: dict[str, Any]) -> Problem:
    return _build_molecule("beh2", p)


def _build_general_molecule(p: dict[str, Any]) -> Problem:
    H, info = molecular_hamiltonian_from(
        p["geometry"],
        p["basis"],
        p["charge"],
        p["multiplicity"],
        p.get("active_electrons"),
        p.get("active_orbitals"),
        p["unit"],
        max_qubits=MAX_ED_WIRES,
    )
    nq, ne = info["n_qubits"], info["n_electrons"]
    geometry = "; ".join(f"{s} {x:g} {y:g} {z:g}" for s, (x, y, z) in info["geometry"])
    mult = info["multiplicity"]
    spin = {1: "singlet", 2: "doublet", 3: "triplet", 4: "quartet"}.get(mult, f"multiplicity {mult}")
    description = (
        f"{info['molecule']} {info['basis']} {spin} (Jordan-Wigner, {info['integral_source']} integrals), "
        f"{ne} electrons in {nq} spin orbitals, geometry '{geometry}' ({info['unit']})"
    )
    return _molecule_problem("molecule", p, H, info, description)


_UNITS_PAULI = {"units": "pauli"}
_UNITS_SPIN = {"units": "spin"}

#: All registered problems.
PROBLEMS: dict[str, ProblemSpec] = {
    "tfim": ProblemSpec(
        _build_tfim,
        {**_SPIN_DEFAULTS, "J": 1.0, "h": 1.0, **_UNITS_PAULI},
        "transverse-field Ising model -J ZZ - h X",
    ),
    "xxz": ProblemSpec(
        _build_xxz,
        {**_SPIN_DEFAULTS, "J": 1.0, "delta": 1.0, "h": 0.0, **_UNITS_SPIN},
        "XXZ model J (SxSx + SySy + Delta SzSz) + h Sz",
    ),
    "heisenberg": ProblemSpec(
        _build_heisenberg,
        {**_SPIN_DEFAULTS, "J": 1.0, "h": 0.0, **_UNITS_SPIN},
        "Heisenberg model J S.S + h Sz",
    ),
    "j1j2": ProblemSpec(
        _build_j1j2, {**_SPIN_DEFAULTS, "J1": 1.0, "J2": 0.5, **_UNITS_SPIN}, "J1-J2 Heisenberg model"
    ),
    "xy": ProblemSpec(
        _build_xy,
        {**_SPIN_DEFAULTS, "J": 1.0, "gamma": 0.0, "h": 0.0, **_UNITS_PAULI},
        "anisotropic XY model in a field",
    ),
    "metavqe": ProblemSpec(
        _build_metavqe,
        {**_SPIN_DEFAULTS, "delta": 1.0, "lam": 0.0, **_UNITS_PAULI},
        "meta-VQE family sum(XX + YY + Delta ZZ) + lambda sum Z",
    ),
    "h2": ProblemSpec(
        _build_h2, {"bond_length": MOLECULES["h2"]["bond_length"]}, "H2 STO-3G, Jordan-Wigner (4 qubits)"
    ),
    "lih": ProblemSpec(
        _build_lih,
        {"bond_length": MOLECULES["lih"]["bond_length"], "active_electrons": 2, "active_orbitals": 5},
        "LiH STO-3G, Jordan-Wigner, frozen-core active space (10 qubits)",
    ),
    "beh2": ProblemSpec(
        _build_beh2,
        {"bond_length": MOLECULES["beh2"]["bond_length"], "active_electrons": 4, "active_orbitals": 6},
        "linear H-Be-H STO-3G, Jordan-Wigner, frozen Be 1s (12 qubits)",
    ),
    "molecule": ProblemSpec(
        _build_general_molecule,
        {
            "geometry": "H 0 0 0; H 0 0 0.74",
            "basis": "sto-3g",
            "charge": 0,
            "multiplicity": 1,
            "active_electrons": None,
            "active_orbitals": None,
            "unit": "angstrom",
        },
        "any molecule from PySCF integrals: geometry 'Li 0 0 0; H 0 0 1.6', basis, charge, "
        "multiplicity, active space",
    ),
}


def check_param_names(problem: str, *groups: tuple[str, Iterable[str]]) -> None:
    """Check parameter names given for a registered problem (sweeps, tuning, families).

    Args:
        problem: A key of :data:`PROBLEMS`.
        *groups: ``(label, names)`` pairs, e.g. ``("fixed", ["n"])``, ``("on a grid", ["h"])``.

    Raises:
        ValueError: For an unknown problem, a name that is not one of its parameters, or a
            name in two groups.

    Example:
        >>> check_param_names("tfim", ("fixed", ["n"]), ("varied", ["h"]))
        >>> check_param_names("tfim", ("fixed", ["h"]), ("varied", ["h"]))
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: h is both fixed and varied; drop one
    """
    if problem not in PROBLEMS:
        raise ConfigError(f"unknown problem {problem!r}; valid problems: {', '.join(PROBLEMS)}")
    valid = PROBLEMS[problem].defaults
    lists = [(label, list(names)) for label, names in groups]
    for _, names in lists:
        for key in names:
            if key not in valid:
                raise ConfigError(f"{key!r} is not a parameter of {problem!r}; valid: {', '.join(valid)}")
    for (label_a, a), (label_b, b) in itertools.combinations(lists, 2):
        both = sorted(set(a) & set(b))
        if both:
            raise ConfigError(f"{', '.join(both)} is both {label_a} and {label_b}; drop one")


def problem_names() -> tuple[str, ...]:
    """The registered problem names.

    Example:
        >>> "h2" in problem_names()
        True
    """
    return tuple(PROBLEMS)


def get_problem(name: str, **params: Any) -> Problem:
    """Build a registered problem.

    Args:
        name: One of :func:`problem_names` (case-insensitive).
        **params: Problem parameters (see :data:`PROBLEMS` ``[name].defaults``); ``None``
            values take the default.

    Raises:
        ValueError: For an unknown name, an unknown parameter (listing the valid ones) or
            a bad value (e.g. a size out of range).

    Example:
        >>> p = get_problem("j1j2", n=8, J2=0.5)
        >>> round(p.exact().energy, 10)
        -3.0
    """
    key = str(name).lower() if isinstance(name, str) else name
    if key not in PROBLEMS:
        raise ConfigError(f"unknown problem {name!r}; valid problems: {', '.join(PROBLEMS)}")
    spec = PROBLEMS[key]
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {', '.join(unknown)} for problem {key!r}; "
            f"valid parameters: {', '.join(spec.defaults)}"
        )
    merged = {k: (params[k] if params.get(k) is not None else v) for k, v in spec.defaults.items()}
    problem = spec.builder(merged)
    shown = [k for k in spec.defaults if params.get(k) is not None]
    if "n" in spec.defaults and "n" not in shown and not {"lx", "ly"} & set(shown):
        shown.insert(0, "n")  # the size (or the geometry) is always worth showing
    for always in ("bond_length", "geometry"):  # a molecule's geometry is always worth showing
        if always in spec.defaults and always not in shown:
            shown.insert(0, always)
    problem.info["shown"] = shown
    return problem


__all__ = [
    "MAX_CHAIN_SITES",
    "MAX_SITES",
    "ONE_DIMENSIONAL",
    "PROBLEMS",
    "ProblemSpec",
    "check_param_names",
    "get_problem",
    "problem_names",
]
