"""Particle-conserving chemistry ansaetze and operator pools for adaptive (ADAPT-style) growth.

Spin orbitals are wires, occupied orbitals first (the Hartree-Fock state sets wires
``0..n_electrons-1`` to 1), even wires spin up and odd wires spin down, as in
``qp.qchem``. Excitation gates follow PennyLane exactly:

* Givens-rotation gates ``SingleExcitation`` / ``DoubleExcitation``
  (:func:`all_singles_doubles`, like ``qp.AllSinglesDoubles``);
* Jordan-Wigner fermionic excitations as products of Pauli-string exponentials
  (:func:`fermionic_single_excitation`, :func:`fermionic_double_excitation`,
  :func:`uccsd`, like ``qp.FermionicSingleExcitation``, ``qp.FermionicDoubleExcitation``
  and ``qp.UCCSD`` with ``n_repeats=1``).

Example:
    >>> c = hartree_fock_state(2, 4).then(all_singles_doubles(2, 4, hf_state=False))
    >>> c.n_weights  # 2 singles + 1 double
    3
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, product

from qml.errors import CircuitError
from qml.ir import Circuit, Param, W
from qml.paulis import PauliString
from qml.templates._common import check_int, choices
from qml.templates.hamiltonian import pauli_rotation

#: Kinds understood by :func:`excitation_pool`.
EXCITATION_POOL_KINDS: tuple[str, ...] = ("givens", "fermionic", "qubit")
#: Kinds understood by :func:`pauli_pool`.
PAULI_POOL_KINDS: tuple[str, ...] = ("minimal", "y", "xy", "real2", "all2")

Single = tuple[int, int]
Double = tuple[int, int, int, int]


def _check_electrons(n_electrons: object, n_qubits: object, strict: bool) -> tuple[int, int]:
    ne = check_int("n_electrons", n_electrons, 1)
    nq = check_int("n_qubits", n_qubits, 1)
    if strict and nq <= ne:
        raise CircuitError(f"n_qubits ({nq}) must be larger than n_electrons ({ne}) to allow excitations")
    if nq < ne:
        raise CircuitError(f"n_qubits ({nq}) must be at least n_electrons ({ne})")
    return ne, nq


def hartree_fock_state(n_electrons: int, n_qubits: int) -> Circuit:
    """The Hartree-Fock basis state ``|1...10...0>`` (``n_electrons`` ones), by ``X`` gates.

    Same occupation vector as ``qp.qchem.hf_state(n_electrons, n_qubits)``. No weights.

    ``n_electrons=2, n_qubits=4``::

        0: ─X─
        1: ─X─
        2: ───
        3: ───

    Args:
        n_electrons: Number of active electrons (at least 1).
        n_qubits: Number of spin orbitals (at least ``n_electrons``).

    Returns:
        The circuit, named ``"hartree_fock"``.

    Raises:
        ValueError: For ``n_electrons < 1`` or ``n_qubits < n_electrons``.

    Example:
        >>> hartree_fock_state(2, 4).count()
        {'X': 2}
    """
    ne, nq = _check_electrons(n_electrons, n_qubits, strict=False)
    c = Circuit(nq, name="hartree_fock")
    for w in range(ne):
        c = c.add("X", w)
    return c


def excitations(n_electrons: int, n_qubits: int, delta_sz: int = 0) -> tuple[list[Single], list[Double]]:
    """Single and double excitations from the Hartree-Fock state, like ``qp.qchem.excitations``.

    Singles ``(r, p)``: occupied ``r < n_electrons <= p`` virtual; doubles ``(s, r, q, p)``
    with ``s < r`` occupied and ``q < p`` virtual; only those changing the spin projection
    by ``delta_sz`` (orbital ``i`` has ``s_z = +1/2`` for even ``i``, ``-1/2`` for odd).
    Same lists in the same order as PennyLane.

    The excitations of ``(2, 4)`` as Givens gates (:func:`all_singles_doubles`)::

        0: ─DoubleExcitation[0]─SingleExcitation[0]─────────────────────
        1: ─DoubleExcitation[1]─│───────────────────SingleExcitation[0]─
        2: ─DoubleExcitation[2]─SingleExcitation[1]─│───────────────────
        3: ─DoubleExcitation[3]─────────────────────SingleExcitation[1]─

    Args:
        n_electrons: Number of active electrons (at least 1).
        n_qubits: Number of spin orbitals (more than ``n_electrons``).
        delta_sz: Spin-projection change: 0, +-1 or +-2.

    Returns:
        ``(singles, doubles)`` as lists of tuples.

    Raises:
        ValueError: For bad electron/orbital counts or ``delta_sz``.

    Example:
        >>> excitations(2, 4)
        ([(0, 2), (1, 3)], [(0, 1, 2, 3)])
    """
    ne, nq = _check_electrons(n_electrons, n_qubits, strict=True)
    if isinstance(delta_sz, bool) or delta_sz not in (0, 1, -1, 2, -2):
        raise CircuitError(f"delta_sz must be one of 0, 1, -1, 2, -2; got {delta_sz!r}")
    sz = [0.5 if i % 2 == 0 else -0.5 for i in range(nq)]
    singles = [(r, p) for r in range(ne) for p in range(ne, nq) if sz[p] - sz[r] == delta_sz]
    doubles = [
        (s, r, q, p)
        for s in range(ne - 1)
        for r in range(s + 1, ne)
        for q in range(ne, nq - 1)
        for p in range(q + 1, nq)
        if sz[p] + sz[q] - sz[r] - sz[s] == delta_sz
    ]
    return singles, doubles


def _check_excitations(
    singles: Sequence[Sequence[int]] | None,
    doubles: Sequence[Sequence[int]] | None,
    ne: int,
    nq: int,
    ordered: bool,
) -> tuple[list[Single], list[Double]]:
    if singles is None or doubles is None:
        s0, d0 = excitations(ne, nq)
        singles = s0 if singles is None else singles
        doubles = d0 if doubles is None else doubles
    out_s: list[Single] = []
    out_d: list[Double] = []
    need = "in increasing order " if ordered else ""
    for size, given, out in ((2, singles, out_s), (4, doubles, out_d)):
        for e in given:
            t = tuple(int(x) for x in e) if isinstance(e, Sequence) and not isinstance(e, str) else None
            ok = (
                t is not None
                and len(t) == size
                and len(set(t)) == size
                and all(0 <= x < nq for x in t)
                and (not ordered or list(t) == sorted(t))
            )
            if not ok:
                kind = "single" if size == 2 else "double"
                raise CircuitError(
                    f"each {kind} excitation must be {size} distinct wires {need}in 0..{nq - 1}, got {e!r}"
                )
            out.append(t)  # type: ignore[arg-type]
    return out_s, out_d


def all_singles_doubles(
    n_electrons: int,
    n_qubits: int,
    singles: Sequence[Sequence[int]] | None = None,
    doubles: Sequence[Sequence[int]] | None = None,
    hf_state: bool = True,
) -> Circuit:
    """Givens-rotation singles and doubles, the same circuit as PennyLane's ``qp.AllSinglesDoubles``.

    Prepares the Hartree-Fock state (unless ``hf_state=False``), then applies a
    ``DoubleExcitation`` for every double, then a ``SingleExcitation`` for every single.

    Weight layout: PennyLane's ``(len(singles) + len(doubles),)`` vector: ``w[i]`` is the
    angle of ``singles[i]`` and ``w[len(singles) + j]`` that of ``doubles[j]``.

    ``n_electrons=2, n_qubits=4`` (singles ``(0,2), (1,3)``, double ``(0,1,2,3)``)::

        0: ─X─DoubleExcitation[0]─SingleExcitation[0]─────────────────────
        1: ─X─DoubleExcitation[1]─│───────────────────SingleExcitation[0]─
        2: ───DoubleExcitation[2]─SingleExcitation[1]─│───────────────────
        3: ───DoubleExcitation[3]─────────────────────SingleExcitation[1]─

    Args:
        n_electrons: Number of active electrons.
        n_qubits: Number of spin orbitals (more than ``n_electrons``).
        singles: Single excitations ``(r, p)``; default from :func:`excitations`.
        doubles: Double excitations ``(s, r, q, p)``; default from :func:`excitations`.
        hf_state: Start with the Hartree-Fock ``X`` gates.

    Returns:
        The circuit, named ``"all_singles_doubles"``.

    Raises:
        ValueError: For bad counts or malformed excitations.

    Example:
        >>> all_singles_doubles(2, 6).n_weights  # 4 singles + 4 doubles (delta_sz = 0)
        8
    """
    ne, nq = _check_electrons(n_electrons, n_qubits, strict=True)
    s, d = _check_excitations(singles, doubles, ne, nq, ordered=False)
    c = hartree_fock_state(ne, nq) if hf_state else Circuit(nq)
    c = Circuit(nq, c.ops, len(s) + len(d), name="all_singles_doubles")
    for j, wires in enumerate(d):
        c = c.add("DoubleExcitation", wires, W(len(s) + j))
    for i, pair in enumerate(s):
        c = c.add("SingleExcitation", pair, W(i))
    return c


def _string(letters: dict[int, str]) -> PauliString:
    return PauliString(tuple(letters.items()))


def fermionic_single_excitation(circuit: Circuit, wires: Sequence[int], angle: Param | float) -> Circuit:
    """Append PennyLane's ``qp.FermionicSingleExcitation(angle, wires=range(r, p + 1))``.

    With ``Z~ = Z_{r+1} ... Z_{p-1}`` this is the Jordan-Wigner exponential
    ``exp(i angle/4 Y_r Z~ X_p) exp(-i angle/4 X_r Z~ Y_p)`` (the two strings commute),
    built with :func:`~qml.templates.hamiltonian.pauli_rotation`.

    ``wires=(0, 2)`` on 3 wires::

        0: ─RX─●────────●─RX─H─●────────●──H─
        1: ────X─●────●─X──────X─●────●─X────
        2: ─H────X─RZ─X─H─RX─────X─RZ─X─RX───

    Args:
        circuit: The circuit to extend.
        wires: ``(r, p)`` with ``r < p``: occupied and virtual orbital.
        angle: The excitation angle ``theta`` (number or ``Param``).

    Returns:
        The extended circuit.

    Raises:
        ValueError: Unless ``wires`` is two increasing wires of the circuit.

    Example:
        >>> fermionic_single_excitation(Circuit(3), (0, 2), W(0)).n_weights
        1
    """
    w = tuple(wires)
    if len(w) != 2 or not 0 <= w[0] < w[1] < circuit.n_wires:
        raise CircuitError(f"wires must be (r, p) with 0 <= r < p < {circuit.n_wires}, got {wires!r}")
    r, p = w
    a = Param.of(angle)
    z = {k: "Z" for k in range(r + 1, p)}
    circuit = pauli_rotation(circuit, _string({r: "Y", **z, p: "X"}), a * -0.5)
    return pauli_rotation(circuit, _string({r: "X", **z, p: "Y"}), a * 0.5)


#: PennyLane's eight Jordan-Wigner layers of a double excitation: letters on (s, r, q, p)
#: and the sign of the ``exp(-i sign angle/16 P)`` factor (derived from its ``RZ(+-theta/8)``
#: and ``RX(-pi/2)`` basis changes, each of which maps ``Z`` to ``-Y``).
_DOUBLE_LAYERS: tuple[tuple[str, float], ...] = (
    ("XXYX", -1.0),
    ("YXYY", -1.0),
    ("XYYY", -1.0),
    ("XXXY", -1.0),
    ("YXXX", 1.0),
    ("XYXX", 1.0),
    ("YYYX", 1.0),
    ("YYXY", 1.0),
)


def fermionic_double_excitation(circuit: Circuit, wires: Sequence[int], angle: Param | float) -> Circuit:
    """Append PennyLane's ``qp.FermionicDoubleExcitation(angle, wires1=[s..r], wires2=[q..p])``.

    The product of eight commuting Pauli exponentials ``exp(-+i angle/16 P)`` with
    ``P = P_s P_r P_q P_p Z~``, ``Z~`` the ``Z`` strings on ``s+1..r-1`` and ``q+1..p-1``,
    with PennyLane's letters and signs (see ``_DOUBLE_LAYERS`` in the source): ``-`` for
    ``XXYX, YXYY, XYYY, XXXY`` and ``+`` for ``YXXX, XYXX, YYYX, YYXY``.

    ``wires=(0, 1, 2, 3)``, the first of 8 blocks (basis change, CNOT ladder, ``RZ``, undo)::

        0: ─H──●────────────●──H──...
        1: ─H──X─●────────●─X──H──...
        2: ─RX───X─●────●─X─RX────...
        3: ─H──────X─RZ─X─H───────...

    Args:
        circuit: The circuit to extend.
        wires: ``(s, r, q, p)`` with ``s < r < q < p``.
        angle: The excitation angle ``theta`` (number or ``Param``).

    Returns:
        The extended circuit.

    Raises:
        ValueError: Unless ``wires`` is four increasing wires of the circuit.

    Example:
        >>> fermionic_double_excitation(Circuit(4), (0, 1, 2, 3), W(0)).count()["RZ"]
        8
    """
    w = tuple(wires)
    if len(w) != 4 or not 0 <= w[0] < w[1] < w[2] < w[3] < circuit.n_wires:
        raise CircuitError(
            f"wires must be (s, r, q, p) with 0 <= s < r < q < p < {circuit.n_wires}, got {wires!r}"
        )
    s, r, q, p = w
    a = Param.of(angle)
    z = {k: "Z" for k in [*range(s + 1, r), *range(q + 1, p)]}
    for letters, sign in _DOUBLE_LAYERS:
        string = _string({s: letters[0], r: letters[1], q: letters[2], p: letters[3], **z})
        circuit = pauli_rotation(circuit, string, a * (sign / 8.0))
    return circuit


def uccsd(
    n_electrons: int,
    n_qubits: int,
    singles: Sequence[Sequence[int]] | None = None,
    doubles: Sequence[Sequence[int]] | None = None,
    hf_state: bool = True,
) -> Circuit:
    """UCCSD, the same state as PennyLane's ``qp.UCCSD`` with ``n_repeats=1``.

    Prepares the Hartree-Fock state (unless ``hf_state=False``), then applies
    :func:`fermionic_double_excitation` for every double and then
    :func:`fermionic_single_excitation` for every single (PennyLane's order).

    Weight layout: PennyLane's ``(len(singles) + len(doubles),)`` weights: singles first,
    then doubles (so ``w[len(singles) + j]`` drives ``doubles[j]``).

    ``n_electrons=2, n_qubits=4`` (first gates)::

        0: ─X──H─●────────────●──H──RX─●────────...
        1: ─X──H─X─●────────●─X──H──H──X─●──────...
        2: ─RX─────X─●────●─X─RX─RX──────X─●────...
        3: ─H────────X─RZ─X─H─RX───────────X─RZ─...

    Args:
        n_electrons: Number of active electrons.
        n_qubits: Number of spin orbitals (more than ``n_electrons``).
        singles: Singles ``(r, p)``, ``r < p``; default from :func:`excitations`.
        doubles: Doubles ``(s, r, q, p)``, increasing; default from :func:`excitations`.
        hf_state: Start with the Hartree-Fock ``X`` gates.

    Returns:
        The circuit, named ``"uccsd"``.

    Raises:
        ValueError: For bad counts or malformed excitations.

    Example:
        >>> uccsd(2, 4).n_weights
        3
    """
    ne, nq = _check_electrons(n_electrons, n_qubits, strict=True)
    s, d = _check_excitations(singles, doubles, ne, nq, ordered=True)
    c = hartree_fock_state(ne, nq) if hf_state else Circuit(nq)
    c = Circuit(nq, c.ops, len(s) + len(d), name="uccsd")
    for j, wires in enumerate(d):
        c = fermionic_double_excitation(c, wires, W(len(s) + j))
    for i, pair in enumerate(s):
        c = fermionic_single_excitation(c, pair, W(i))
    return c


def excitation_pool(
    n_electrons: int, n_qubits: int, kind: str = "givens", delta_sz: int = 0
) -> list[Circuit]:
    """One-parameter excitation fragments for ADAPT-VQE (singles, then doubles).

    Each fragment is a ``Circuit(n_qubits)`` with ``n_weights == 1`` (weight 0) and a
    name like ``"single(0, 2)"`` / ``"double(0, 1, 2, 3)"``; grow an ansatz with
    ``ansatz.then(fragment)``, which renumbers the fragment's weight after the ansatz's.

    ``kind="givens"``, fragment ``single(0, 2)`` on 4 wires::

        0: ─SingleExcitation[0]─
        1: ─│───────────────────
        2: ─SingleExcitation[1]─
        3: ─────────────────────

    Args:
        n_electrons: Number of active electrons.
        n_qubits: Number of spin orbitals.
        kind: ``"givens"`` (``SingleExcitation`` / ``DoubleExcitation`` gates),
            ``"fermionic"`` (Jordan-Wigner Pauli exponentials, as in :func:`uccsd`) or
            ``"qubit"`` (the qubit-ADAPT pool of Tang et al. 2021: each Pauli string of an
            excitation's Jordan-Wigner generator with its ``Z`` strings dropped, an odd
            number of ``Y``: 2 per single, 8 per double, each its own fragment).
        delta_sz: Spin-projection change of the excitations (see :func:`excitations`).

    Returns:
        The fragments, one per excitation (``"qubit"``: one per Pauli string).

    Raises:
        ValueError: For an unknown kind or bad counts.

    Example:
        >>> pool = excitation_pool(2, 4)
        >>> [f.name for f in pool]
        ['single(0, 2)', 'single(1, 3)', 'double(0, 1, 2, 3)']
        >>> hartree_fock_state(2, 4).then(pool[2]).then(pool[0]).n_weights
        2
    """
    if kind not in EXCITATION_POOL_KINDS:
        raise CircuitError(f"unknown kind {kind!r}; expected one of {choices(EXCITATION_POOL_KINDS)}")
    singles, doubles = excitations(n_electrons, n_qubits, delta_sz)
    pool: list[Circuit] = []
    for exc in [*singles, *doubles]:
        label = ("single" if len(exc) == 2 else "double") + str(exc)
        if kind == "qubit":
            for letters in product("XY", repeat=len(exc)):
                if letters.count("Y") % 2 == 1:
                    string = _string(dict(zip(exc, letters, strict=True)))
                    pool.append(pauli_rotation(Circuit(n_qubits, name=f"exp({string})"), string, W(0)))
            continue
        c = Circuit(n_qubits, name=label)
        if kind == "givens":
            c = c.add("SingleExcitation" if len(exc) == 2 else "DoubleExcitation", exc, W(0))
        elif len(exc) == 2:
            c = fermionic_single_excitation(c, exc, W(0))
        else:
            c = fermionic_double_excitation(c, exc, W(0))
        pool.append(c)
    return pool


def pauli_pool_strings(n_wires: int, kind: str = "minimal") -> list[PauliString]:
    """The Pauli strings of :func:`pauli_pool` (see there for the kinds).

    The fragment of the first string ``Z0 Y1`` on 3 wires::

        0: ────●────●────
        1: ─RX─X─RZ─X─RX─
        2: ──────────────

    Example:
        >>> [str(p) for p in pauli_pool_strings(3, "minimal")]
        ['Z0 Y1', 'Z1 Y2', 'Y0', 'Y1']
    """
    if kind not in PAULI_POOL_KINDS:
        raise CircuitError(f"unknown kind {kind!r}; expected one of {choices(PAULI_POOL_KINDS)}")
    n = check_int("n_wires", n_wires, 2 if kind in ("minimal", "xy") else 1)

    def s(*ops: tuple[int, str]) -> PauliString:
        return PauliString(ops)

    pairs = list(combinations(range(n), 2))
    if kind == "minimal":
        return [s((i, "Z"), (i + 1, "Y")) for i in range(n - 1)] + [s((i, "Y")) for i in range(n - 1)]
    if kind == "y":
        return [s((i, "Y")) for i in range(n)]
    if kind == "xy":
        return [p for i, j in pairs for p in (s((i, "X"), (j, "Y")), s((i, "Y"), (j, "X")))]
    ones = [s((i, ltr)) for i in range(n) for ltr in "XYZ"]
    twos = [s((i, a), (j, b)) for i, j in pairs for a in "XYZ" for b in "XYZ"]
    if kind == "real2":
        return [p for p in ones + twos if p.n_y % 2 == 1]
    return ones + twos


def pauli_pool(n_wires: int, kind: str = "minimal") -> list[Circuit]:
    """One-parameter Pauli-exponential fragments ``exp(-i theta/2 P)`` for qubit-ADAPT.

    Kinds:

    * ``"minimal"``: the complete pool of ``2n - 2`` strings of Tang et al. (PRX Quantum
      2, 020310, 2021): ``Z_i Y_{i+1}`` for ``i = 0..n-2`` and ``Y_i`` for ``i = 0..n-2``;
    * ``"y"``: ``Y_i`` on every wire;
    * ``"xy"``: ``X_i Y_j`` and ``Y_i X_j`` for all ``i < j`` (qubit-excitation generators);
    * ``"real2"``: all one- and two-body strings with an odd number of ``Y`` (the
      generators of real rotations, for real Hamiltonians);
    * ``"all2"``: all one- and two-body strings (``3n + 9 n(n-1)/2``).

    Each fragment is a ``Circuit(n_wires)`` with ``n_weights == 1``, named ``"exp(P)"``;
    grow an ansatz with ``ansatz.then(fragment)``.

    Fragment ``exp(Z0 Y1)`` of the minimal pool on 2 wires::

        0: ────●────●────
        1: ─RX─X─RZ─X─RX─

    Args:
        n_wires: Number of qubits (at least 2 for ``"minimal"`` and ``"xy"``).
        kind: One of ``"minimal"``, ``"y"``, ``"xy"``, ``"real2"``, ``"all2"``.

    Returns:
        The fragments.

    Raises:
        ValueError: For an unknown kind or too few wires.

    Example:
        >>> len(pauli_pool(4, "minimal")), len(pauli_pool(3, "all2"))
        (6, 36)
    """
    strings = pauli_pool_strings(n_wires, kind)
    return [pauli_rotation(Circuit(n_wires, name=f"exp({p})"), p, W(0)) for p in strings]


__all__ = [
    "EXCITATION_POOL_KINDS",
    "PAULI_POOL_KINDS",
    "all_singles_doubles",
    "excitation_pool",
    "excitations",
    "fermionic_double_excitation",
    "fermionic_single_excitation",
    "hartree_fock_state",
    "pauli_pool",
    "pauli_pool_strings",
    "uccsd",
]
