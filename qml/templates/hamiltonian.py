"""Hamiltonian-based ansaetze: Pauli-string exponentials, QAOA and the Hamiltonian variational ansatz.

Angle convention: :func:`pauli_rotation` implements ``exp(-i angle/2 P)`` (the convention
of ``RZ``, ``RZZ``..., PennyLane's ``PauliRot`` and Qiskit's ``PauliEvolutionGate`` with
``time = angle/2``), so a term ``c P`` of a Hamiltonian evolved for time ``t`` is
``pauli_rotation(circuit, P, 2 * c * t)``. QAOA and HVA layers apply ``exp(-i theta H_g)``
for a set ``H_g`` of commuting terms as the exact product of the terms' exponentials.

Example:
    >>> from qml.ir import Circuit, W
    >>> from qml.paulis import pauli
    >>> c = qaoa(pauli("Z0 Z1"), layers=1)
    >>> print(c.draw())
    0: ─H─RZZ[0]─RX─
    1: ─H─RZZ[1]─RX─
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from qml.errors import CircuitError
from qml.ir import Circuit, Param, W
from qml.paulis import ObservableLike, PauliString, PauliSum
from qml.templates._common import check_int, choices

#: Initial states understood by :func:`hva`.
HVA_INITS: tuple[str, ...] = ("plus", "singlets", "neel")
#: Grouping strategies understood by :func:`hva_groups`.
HVA_STRATEGIES: tuple[str, ...] = ("type", "parity")

HamiltonianLike = ObservableLike


def _as_sum(value: object, what: str) -> PauliSum:
    if isinstance(value, (PauliSum, PauliString, str)):
        try:
            return PauliSum.coerce(value)
        except ValueError as err:
            raise CircuitError(f"{what} is not valid Pauli text: {err}") from None
    raise CircuitError(
        f"{what} must be a PauliSum, a PauliString or Pauli text such as 'Z0 Z1', got {value!r}"
    )


def _as_string(value: object) -> PauliString:
    if isinstance(value, PauliString):
        return value
    if isinstance(value, str):
        try:
            return PauliString.parse(value)
        except ValueError as err:
            raise CircuitError(f"pauli_string is not valid Pauli text: {err}") from None
    raise CircuitError(f"pauli_string must be a PauliString or text such as 'X0 Y2', got {value!r}")


def pauli_rotation(circuit: Circuit, pauli_string: PauliString | str, angle: Param | float) -> Circuit:
    """Append ``exp(-i angle/2 P)`` for a Pauli string ``P`` to ``circuit``.

    One- and two-body strings of a single letter use ``RX``/``RY``/``RZ`` and
    ``RXX``/``RYY``/``RZZ`` directly. Other strings use a basis change (``H`` for ``X``,
    ``RX(pi/2)`` for ``Y``, since ``RX(-pi/2) Z RX(pi/2) = Y``), a CNOT ladder along the
    sorted wires, ``RZ(angle)`` on the last wire and the mirror image. The identity string
    gives the global phase ``exp(-i angle/2)`` as ``P(-angle/2) X P(-angle/2) X`` on wire 0,
    so the result equals the exponential exactly.

    ``P = X0 Z1 Y2``::

        0: ─H──●────────●──H─
        1: ────X─●────●─X────
        2: ─RX───X─RZ─X─RX───

    Args:
        circuit: The circuit to extend (wide enough for the string).
        pauli_string: A :class:`~qml.paulis.PauliString` or its text (``"X0 Z1 Y2"``).
        angle: The rotation angle: a number or a ``Param`` (e.g. ``W(0) * 0.5``).

    Returns:
        The extended circuit.

    Raises:
        ValueError: For a string on wires outside the circuit or invalid text.

    Example:
        >>> c = pauli_rotation(Circuit(2), "Y0 Y1", W(0))
        >>> c.ops[0].name
        'RYY'
    """
    p = _as_string(pauli_string)
    if p.ops and p.ops[-1][0] >= circuit.n_wires:
        raise CircuitError(
            f"the Pauli string {p} acts on wire {p.ops[-1][0]} but the circuit has {circuit.n_wires} wires"
        )
    try:
        a = Param.of(angle)
    except TypeError as err:
        raise CircuitError(str(err)) from None
    ops = p.ops
    if not ops:
        half = a * -0.5
        return circuit.add("PhaseShift", 0, half).add("X", 0).add("PhaseShift", 0, half).add("X", 0)
    letters = {ltr for _, ltr in ops}
    if len(ops) == 1:
        ((w, ltr),) = ops
        return circuit.add("R" + ltr, w, a)
    if len(ops) == 2 and len(letters) == 1:
        ltr = ops[0][1]
        return circuit.add("R" + ltr * 2, (ops[0][0], ops[1][0]), a)
    c = circuit
    for w, ltr in ops:
        if ltr == "X":
            c = c.add("H", w)
        elif ltr == "Y":
            c = c.add("RX", w, math.pi / 2)
    wires = [w for w, _ in ops]
    ladder = list(itertools.pairwise(wires))
    for pair in ladder:
        c = c.add("CNOT", pair)
    c = c.add("RZ", wires[-1], a)
    for pair in reversed(ladder):
        c = c.add("CNOT", pair)
    for w, ltr in ops:
        if ltr == "X":
            c = c.add("H", w)
        elif ltr == "Y":
            c = c.add("RX", w, -math.pi / 2)
    return c


def _apply_sum(c: Circuit, h: PauliSum, theta: Param) -> Circuit:
    """Append ``prod_k exp(-i theta c_k P_k)`` (exact ``exp(-i theta H)`` for commuting terms)."""
    for coeff, string in h.terms:
        c = pauli_rotation(c, string, theta * (2.0 * coeff))
    return c


def _all_commute(strings: Sequence[PauliString]) -> tuple[PauliString, PauliString] | None:
    for i, a in enumerate(strings):
        for b in strings[i + 1 :]:
            if not a.commutes(b):
                return a, b
    return None


def _check_commuting(h: PauliSum, what: str) -> None:
    clash = _all_commute([s for _, s in h.terms])
    if clash is not None:
        raise CircuitError(
            f"the terms of {what} must commute so that exp(-i theta H) is an exact product, but "
            f"{clash[0]} and {clash[1]} anticommute; split them into separate groups"
        )


def _width(n_wires: int | None, needed: int) -> int:
    if n_wires is None:
        return max(needed, 1)
    n = check_int("n_wires", n_wires, 1)
    if n < needed:
        raise CircuitError(
            f"n_wires={n} is too small: the operators act on wire {needed - 1}, so pass n_wires >= {needed}"
        )
    return n


def qaoa(
    cost: HamiltonianLike,
    layers: int,
    mixer: HamiltonianLike | None = None,
    n_wires: int | None = None,
    init: str | None = "plus",
) -> Circuit:
    """QAOA ansatz: ``prod_l exp(-i beta_l H_M) exp(-i gamma_l H_C)`` on ``|+>^n``.

    Layer ``l`` applies ``exp(-i gamma_l H_C)`` then ``exp(-i beta_l H_M)``, each as the
    exact product of its terms' exponentials (the terms of ``H_C`` must commute, and so
    must those of ``H_M``); a constant term of ``H_C`` becomes the exact global phase.
    This is PennyLane's ``qp.qaoa.cost_layer(gamma, H_C)`` / ``mixer_layer(beta, H_M)``
    convention. The default mixer is ``H_M = sum_i X_i``.

    Weight layout: shape ``(layers, 2)`` in C order: ``w[2 l] = gamma_l``, ``w[2 l + 1] = beta_l``.

    ``H_C = Z0 Z1``, ``layers=1``::

        0: ─H─RZZ[0]─RX─
        1: ─H─RZZ[1]─RX─

    Args:
        cost: The cost Hamiltonian ``H_C`` (commuting terms; usually diagonal).
        layers: Number of QAOA layers ``p`` (at least 1).
        mixer: The mixer ``H_M`` (commuting terms); default ``sum_i X_i`` on all wires.
        n_wires: Width (default: the widest operator).
        init: ``"plus"`` (Hadamard on every wire, the default) or ``None`` (start in ``|0..0>``).

    Returns:
        The circuit, named ``"qaoa"``.

    Raises:
        ValueError: For non-commuting terms, a cost with no terms, too few wires, a bad
            ``layers`` or an unknown ``init``.

    Example:
        >>> from qml.paulis import pauli
        >>> qaoa(pauli("Z0 Z1 + Z1 Z2"), layers=3).n_weights
        6
    """
    h_c = _as_sum(cost, "cost")
    n_layers = check_int("layers", layers, 1)
    if not h_c.terms:
        raise CircuitError("the cost Hamiltonian has no terms; expected e.g. pauli('Z0 Z1 + Z1 Z2')")
    h_m = None if mixer is None else _as_sum(mixer, "mixer")
    n = _width(n_wires, max(h_c.n_wires, h_m.n_wires if h_m is not None else 0))
    if h_m is None:
        h_m = PauliSum(tuple((1.0, PauliString(((w, "X"),))) for w in range(n)))
    if not h_m.terms:
        raise CircuitError("the mixer has no terms; expected e.g. pauli('X0 + X1') or None for sum X")
    _check_commuting(h_c, "the cost Hamiltonian")
    _check_commuting(h_m, "the mixer")
    if init not in (None, "plus"):
        raise CircuitError(f"unknown init {init!r}; expected 'plus' or None")
    c = Circuit(n, name="qaoa")
    if init == "plus":
        for w in range(n):
            c = c.add("H", w)
    for l in range(n_layers):
        c = _apply_sum(c, h_c, W(2 * l))
        c = _apply_sum(c, h_m, W(2 * l + 1))
    return c


def _first_fit(terms: Sequence[tuple[float, PauliString]]) -> list[list[tuple[float, PauliString]]]:
    groups: list[list[tuple[float, PauliString]]] = []
    for term in terms:
        for g in groups:
            if all(term[1].commutes(s) for _, s in g):
                g.append(term)
                break
        else:
            groups.append([term])
    return groups


def hva_groups(hamiltonian: HamiltonianLike, strategy: str = "type") -> list[PauliSum]:
    """Default partition of a Hamiltonian into commuting groups for :func:`hva`.

    The constant (identity) term is dropped: it only adds a global phase. Then:

    1. all diagonal terms (only ``Z`` factors) form the first group;
    2. the other terms are put in buckets, in the canonical term order of
       :class:`~qml.paulis.PauliSum` (by weight, then wires):

       * ``strategy="type"``: by Pauli type: all-``X`` strings (``X0``, ``X0 X1``...)
         in one bucket, all-``Y`` strings in another, mixed strings (``X0 Y1``,
         ``X0 Z1 X2``...) in a third;
       * ``strategy="parity"``: by bond parity: strings whose first wire is even in one
         bucket, odd in another (so ``XX + YY`` on even bonds and on odd bonds, the usual
         HVA for XY / Heisenberg chains);

    3. each bucket is split greedily (first fit, in order) into groups of mutually
       commuting terms; buckets whose terms already commute stay whole.

    For the transverse-field Ising model ``-sum Z_i Z_{i+1} - h sum X_i`` the default
    ``"type"`` strategy gives exactly the two groups ``{ZZ}`` and ``{X}``; for the
    Heisenberg / XY chain ``"parity"`` gives ``{ZZ}``, ``{XX + YY on even bonds}``,
    ``{XX + YY on odd bonds}`` while ``"type"`` gives ``{ZZ}``, ``{XX}``, ``{YY}``.

    One HVA layer of the two TFIM groups on 3 wires (``{ZZ}`` then ``{X}``)::

        0: ─RZZ[0]─RX────────
        1: ─RZZ[1]─RZZ[0]─RX─
        2: ────────RZZ[1]─RX─

    Args:
        hamiltonian: The Hamiltonian.
        strategy: ``"type"`` (default) or ``"parity"``.

    Returns:
        The groups, each a :class:`~qml.paulis.PauliSum` of commuting terms.

    Raises:
        ValueError: For an unknown strategy or a Hamiltonian with no non-constant term.

    Example:
        >>> from qml.paulis import pauli
        >>> [str(g) for g in hva_groups(pauli("-Z0 Z1 - Z1 Z2 - 0.5 X0 - 0.5 X1 - 0.5 X2"))]
        ['-Z0 Z1 - Z1 Z2', '-0.5*X0 - 0.5*X1 - 0.5*X2']
    """
    h = _as_sum(hamiltonian, "hamiltonian")
    if strategy not in HVA_STRATEGIES:
        raise CircuitError(f"unknown strategy {strategy!r}; expected one of {choices(HVA_STRATEGIES)}")
    terms = [(c, s) for c, s in h.terms if not s.is_identity]
    if not terms:
        raise CircuitError("the Hamiltonian has no non-constant term; expected e.g. pauli('Z0 Z1 + X0')")
    diagonal = [t for t in terms if t[1].is_diagonal]
    buckets: dict[str, list[tuple[float, PauliString]]] = {}
    for c, s in terms:
        if s.is_diagonal:
            continue
        if strategy == "type":
            letters = {ltr for _, ltr in s.ops}
            key = letters.pop() if len(letters) == 1 else "mixed"
        else:
            key = "even" if s.wires[0] % 2 == 0 else "odd"
        buckets.setdefault(key, []).append((c, s))
    groups = [diagonal] if diagonal else []
    for bucket in buckets.values():
        groups += _first_fit(bucket)
    return [PauliSum(tuple(g)) for g in groups]


def _init_state(c: Circuit, init: str | None) -> Circuit:
    n = c.n_wires
    if init is None:
        return c
    if init == "plus":
        for w in range(n):
            c = c.add("H", w)
        return c
    if init == "neel":
        for w in range(1, n, 2):
            c = c.add("X", w)
        return c
    if init == "singlets":
        if n % 2:
            raise CircuitError(
                f"init='singlets' pairs wires (0,1), (2,3)...; it needs an even n_wires, got {n}"
            )
        for w in range(0, n, 2):
            c = c.add("X", w).add("X", w + 1).add("H", w).add("CNOT", (w, w + 1))
        return c
    raise CircuitError(f"unknown init {init!r}; expected None or one of {choices(HVA_INITS)}")


def hva(
    hamiltonian: HamiltonianLike | Sequence[HamiltonianLike],
    layers: int,
    init: str | None = None,
    n_wires: int | None = None,
    strategy: str = "type",
) -> Circuit:
    """Hamiltonian variational ansatz: ``prod_l prod_g exp(-i theta_{l,g} H_g)``.

    ``H = sum_g H_g`` is split into groups of commuting terms, either given explicitly
    (a list of operators) or by :func:`hva_groups` (``strategy``) from one Hamiltonian.
    Each group gets one parameter per layer and is applied exactly as the product of
    its terms' exponentials ``exp(-i theta c_k P_k)`` (the terms commute). Groups are
    applied in the order given / returned by :func:`hva_groups`.

    Weight layout: shape ``(layers, n_groups)`` in C order: ``w[l * n_groups + g] = theta_{l,g}``.

    TFIM ``-Z0 Z1 - X0 - X1`` (groups ``{ZZ}``, ``{X}``), ``layers=1, init="plus"``::

        0: ─H─RZZ[0]─RX─
        1: ─H─RZZ[1]─RX─

    Args:
        hamiltonian: One Hamiltonian (grouped automatically) or a list of commuting groups.
        layers: Number of layers (at least 1).
        init: Initial state: ``None`` (``|0..0>``), ``"plus"`` (``|+>^n``), ``"neel"``
            (``|0101...>``, X on odd wires) or ``"singlets"`` (singlets
            ``(|01> - |10>)/sqrt 2`` on pairs ``(0,1), (2,3), ...``; even ``n_wires`` only).
        n_wires: Width (default: the widest operator).
        strategy: Grouping strategy for a single Hamiltonian (see :func:`hva_groups`).

    Returns:
        The circuit, named ``"hva"``.

    Raises:
        ValueError: For a group whose terms do not commute, an empty group, too few
            wires, an unknown ``init``/``strategy`` or a bad ``layers``.

    Example:
        >>> from qml.paulis import pauli
        >>> hva(pauli("Z0 Z1 + Z1 Z2 + X0 X1 + Y0 Y1 + X1 X2 + Y1 Y2"), 2, strategy="parity").n_weights
        6
    """
    n_layers = check_int("layers", layers, 1)
    if isinstance(hamiltonian, (PauliSum, PauliString, str)):
        groups = hva_groups(hamiltonian, strategy)
    else:
        try:
            items = list(hamiltonian)
        except TypeError:
            raise CircuitError(
                f"hamiltonian must be a PauliSum (or text) or a list of groups, got {hamiltonian!r}"
            ) from None
        if not items:
            raise CircuitError("the list of groups is empty; expected at least one PauliSum")
        groups = [_as_sum(g, f"group {k}") for k, g in enumerate(items)]
        for k, g in enumerate(groups):
            if not g.terms:
                raise CircuitError(f"group {k} has no terms")
            _check_commuting(g, f"group {k}")
    n = _width(n_wires, max(g.n_wires for g in groups))
    c = _init_state(Circuit(n, name="hva"), init)
    for l in range(n_layers):
        for k, g in enumerate(groups):
            c = _apply_sum(c, g, W(l * len(groups) + k))
    return c


__all__ = ["HVA_INITS", "HVA_STRATEGIES", "hva", "hva_groups", "pauli_rotation", "qaoa"]
