"""Exact diagonalisation (ED) of Pauli-sum Hamiltonians, optionally within a symmetry sector.

Small problems (``n_wires <= dense_below``) use dense LAPACK (:func:`scipy.linalg.eigh`
restricted to the ``k`` lowest pairs, several times faster than :func:`numpy.linalg.eigh`);
larger ones use Lanczos (:func:`scipy.sparse.linalg.eigsh`, ``which="SA"``) on the sparse
matrix from :meth:`qml.paulis.PauliSum.to_sparse`, started from a seeded vector so results
are reproducible. States follow the package wire order (wire 0 = most significant bit).

Symmetry sectors. ``sector`` is an operator ``S`` commuting with ``H`` and
``sector_value`` one of its eigenvalues ``s``; the solver returns eigenstates of ``H``
with ``S psi = s psi``. The restriction is exact, not a penalty, whenever the terms of
``S`` are qubit-wise commuting (a single Pauli string such as the parity
``X0 X1 ... X{N-1}``, or a diagonal operator such as total ``Sz`` or particle number):
single-qubit Cliffords rotate ``S`` to a diagonal operator, ``H`` is rotated with it,
and the basis states with ``S = s`` span the sector (half the dimension for a parity).
For other symmetries (such as total ``S^2``) the dense path projects onto the
eigenvectors of ``S``, and the sparse path minimises ``H + mu (S - s)^2``, raising ``mu``
until every returned state satisfies ``||(S - s) psi|| ~ 0``.

Example:
    >>> from qml.paulis import pauli
    >>> H = pauli("-Z0 Z1 - Z1 Z2 - Z2 Z0 - X0 - X1 - X2")
    >>> res = ground_state(H, sector="X0 X1 X2", sector_value=1.0)
    >>> round(res.energy, 10), res.states.shape, res.sector
    (-4.0, (8, 1), 'X0 X1 X2 = 1')
"""

from __future__ import annotations

import logging
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from qml.errors import ConfigError, ConfigTypeError
from qml.paulis import MAX_DENSE_WIRES, MAX_SPARSE_WIRES, PauliString, PauliSum
from qml.sim.memory import check_fits

if TYPE_CHECKING:  # scipy is imported lazily to keep `import qml` light
    import scipy.sparse as sp

__all__ = [
    "EDResult",
    "Spectrum",
    "ground_state",
    "group_levels",
    "rotate",
    "sector_basis",
    "sector_dimensions",
    "spectrum",
    "spectrum_gap",
]

logger = logging.getLogger(__name__)

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SDG = np.diag([1, -1j])
#: One-qubit unitaries ``u`` with ``u P u^dagger = Z`` for ``P = X`` and ``P = Y``.
_TO_Z: dict[str, np.ndarray] = {"X": _H, "Y": _H @ _SDG}
_PAULI = {
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def _conjugation_table(u: np.ndarray) -> dict[str, tuple[float, str]]:
    """``{P: (sign, Q)}`` with ``u P u^dagger = sign * Q`` (``u`` a one-qubit Clifford)."""
    table: dict[str, tuple[float, str]] = {}
    for p, mp in _PAULI.items():
        m = u @ mp @ u.conj().T
        for q, mq in _PAULI.items():
            for sign in (1.0, -1.0):
                if np.allclose(m, sign * mq):
                    table[p] = (sign, q)
    return table


_TABLES = {letter: _conjugation_table(u) for letter, u in _TO_Z.items()}


@dataclass(frozen=True, eq=False)
class EDResult:
    """Lowest eigenpairs of a Hamiltonian.

    Attributes:
        energies: ``(k,)`` eigenvalues of ``H`` itself (never of a penalised operator), ascending.
        states: ``(2^n, k)`` complex, orthonormal columns in the full Hilbert space
            (wire 0 = high bit); each column's largest-magnitude amplitude is real
            positive. Within a degenerate level any orthonormal basis may be returned.
        n_wires: Number of qubits.
        sector: ``"<S> = <s>"`` for a symmetry-restricted solve, else ``None``.
        solver: ``"dense"``, ``"sparse"`` or ``"sparse+penalty"``.

    Example:
        >>> from qml.paulis import pauli
        >>> res = ground_state(pauli("Z0"), k=2)
        >>> res.energies.tolist(), res.state.real.tolist()
        ([-1.0, 1.0], [0.0, 1.0])
    """

    energies: np.ndarray
    states: np.ndarray
    n_wires: int
    sector: str | None
    solver: str = "dense"

    @property
    def energy(self) -> float:
        """The lowest energy.

        Example:
            >>> from qml.paulis import pauli
            >>> ground_state(pauli("Z0 + 0.5")).energy
            -0.5
        """
        return float(self.energies[0])

    @property
    def state(self) -> np.ndarray:
        """The lowest state, a ``(2^n,)`` complex vector.

        Example:
            >>> from qml.paulis import pauli
            >>> ground_state(pauli("-X0")).state.real.round(4).tolist()
            [0.7071, 0.7071]
        """
        return self.states[:, 0]


def _check_int(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigTypeError(f"{name} must be an int, got {value!r}")
    if int(value) < low:
        raise ConfigError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _is_qubitwise(op: PauliSum) -> dict[int, str] | None:
    """The common ``{wire: letter}`` when all terms commute qubit-wise, else ``None``."""
    letters: dict[int, str] = {}
    for _, s in op.terms:
        for w, ltr in s.ops:
            if letters.setdefault(w, ltr) != ltr:
                return None
    return letters


def _rotate(op: PauliSum, rotations: dict[int, str]) -> PauliSum:
    """``U op U^dagger`` for ``U = prod_w u_w`` with ``u_w`` from ``_TO_Z[rotations[w]]``."""
    terms: list[tuple[float, PauliString]] = []
    for c, s in op.terms:
        sign = 1.0
        ops: list[tuple[int, str]] = []
        for w, ltr in s.ops:
            if w in rotations:
                sg, ltr = _TABLES[rotations[w]][ltr]
                sign *= sg
            ops.append((w, ltr))
        terms.append((sign * c, PauliString(tuple(ops))))
    return PauliSum(tuple(terms))


def _unrotate_states(states: np.ndarray, rotations: dict[int, str], n: int) -> np.ndarray:
    """Apply ``U^dagger`` (the inverse of :func:`_rotate`'s basis change) to state columns."""
    k = states.shape[1]
    t = states.reshape((2,) * n + (k,))
    for w, letter in sorted(rotations.items()):
        t = np.moveaxis(np.tensordot(_TO_Z[letter].conj().T, t, axes=([1], [w])), 0, w)
    return np.ascontiguousarray(t).reshape(1 << n, k)


def _restrict(m: sp.csr_matrix, idx: np.ndarray) -> sp.csr_matrix:
    """The block ``m[idx][:, idx]`` for a matrix that does not couple ``idx`` to the rest."""
    import scipy.sparse as sp

    pos = np.full(m.shape[0], -1, dtype=np.int64)
    pos[idx] = np.arange(idx.size)
    rows = m[idx].tocoo()
    cols = pos[rows.col]
    keep = cols >= 0
    if not keep.all():
        leak = float(np.abs(rows.data[~keep]).max())
        if leak > 1e-10:  # pragma: no cover - excluded by the commutation check
            raise ConfigError(f"the Hamiltonian couples the sector to its complement (element {leak:.3g})")
    return sp.csr_matrix((rows.data[keep], (rows.row[keep], cols[keep])), shape=(idx.size, idx.size))


def _solve(
    m: sp.spmatrix | np.ndarray, k: int, dense: bool, seed: int, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest ``k`` eigenpairs of a Hermitian matrix, ascending."""
    import scipy.linalg as sla
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    dim = m.shape[0]
    if k > dim:
        raise ConfigError(
            f"asked for k={k} states but the (sector) Hilbert space has dimension {dim}; pass k <= {dim}"
        )
    if dense or dim <= max(k + 1, 2):
        if dim > 1 << MAX_DENSE_WIRES:
            raise ConfigError(
                f"a dense eigh on dimension {dim} needs too much memory; lower dense_below so the "
                "sparse Lanczos solver is used"
            )
        a = cast(Any, m).toarray() if sp.issparse(m) else np.asarray(m)  # issparse does not narrow
        # LAPACK eigh for the k lowest pairs only: several times faster than numpy.linalg.eigh
        # (which computes all of them) for dimensions of a few hundred and up.
        try:
            vals, vecs = sla.eigh(a, subset_by_index=(0, k - 1))
        except np.linalg.LinAlgError:  # LAPACK's MRRR (evr) fails on some degenerate spectra: full eigh
            vals, vecs = np.linalg.eigh(a)
            vals, vecs = vals[:k], vecs[:, :k]
        return vals, vecs
    rng = np.random.default_rng(seed)
    v0 = rng.standard_normal(dim)
    if np.iscomplexobj(m.data if sp.issparse(m) else m):
        v0 = v0 + 1j * rng.standard_normal(dim)
    vals, vecs = spla.eigsh(m, k=k, which="SA", v0=v0, tol=tol)
    order = np.argsort(vals)
    return vals[order], vecs[:, order]


def _fix_phases(states: np.ndarray) -> np.ndarray:
    """Normalise columns and make each one's (first) largest-magnitude amplitude real positive."""
    out = np.array(states, dtype=complex)
    out /= np.linalg.norm(out, axis=0, keepdims=True)
    mags = np.abs(out)
    for j in range(out.shape[1]):
        i0 = int(np.flatnonzero(mags[:, j] >= mags[:, j].max() * (1.0 - 1e-6))[0])
        out[:, j] *= np.conj(out[i0, j]) / mags[i0, j]
    out += 0.0  # turn -0.0 into 0.0 so printed states are reproducible
    return out


def ground_state(
    H: PauliSum | PauliString | str,
    n_wires: int | None = None,
    k: int = 1,
    sector: PauliString | PauliSum | str | None = None,
    sector_value: float = 1.0,
    dense_below: int = 10,
    *,
    seed: int = 0,
    tol: float = 0.0,
) -> EDResult:
    """The ``k`` lowest eigenpairs of ``H``, optionally within a symmetry sector.

    Args:
        H: The Hamiltonian (a :class:`~qml.paulis.PauliSum`, a string, or Pauli text).
        n_wires: Number of qubits (default: enough for ``H`` and ``sector``).
        k: Number of eigenpairs.
        sector: A symmetry ``S`` of ``H`` (``[H, S] = 0``): a Pauli string such as the
            parity ``"X0 X1 X2 X3"``, or a sum such as total Sz ``"0.5*Z0 + 0.5*Z1"``.
        sector_value: The eigenvalue ``s`` of ``S`` selecting the sector.
        dense_below: Use dense ``eigh`` when ``n_wires <= dense_below``, Lanczos above.
        seed: Seed of the Lanczos start vector (results are deterministic for a seed).
        tol: Lanczos relative tolerance (0 = machine precision).

    Returns:
        An :class:`EDResult` with energies of ``H`` and normalised states in the full space.

    Raises:
        ValueError: If ``S`` does not commute with ``H``, the sector is empty (``s`` is
            not an eigenvalue of ``S``), ``k`` exceeds the sector dimension, or a size
            limit is exceeded.

    Example:
        >>> from qml.paulis import pauli
        >>> res = ground_state(pauli("0.25*X0 X1 + 0.25*Y0 Y1 + 0.25*Z0 Z1"))  # spin singlet
        >>> round(res.energy, 12), np.round(res.state.real, 4).tolist()
        (-0.75, [0.0, 0.7071, -0.7071, 0.0])
    """
    op = PauliSum.coerce(H)
    k = _check_int(k, "k", 1)
    dense_below = _check_int(dense_below, "dense_below", 0)
    sym = None if sector is None else PauliSum.coerce(sector)
    need = max(op.n_wires, 0 if sym is None else sym.n_wires)
    n = need if n_wires is None else _check_int(n_wires, "n_wires", need)
    if n > MAX_SPARSE_WIRES:
        raise ConfigError(f"n_wires={n} is beyond exact diagonalisation (limit {MAX_SPARSE_WIRES})")
    dense = n <= dense_below
    # the sparse matrix (one entry per row per X/Y pattern) and the Lanczos vectors; dense: the matrix
    patterns = len({tuple(w for w, ltr in s_.ops if ltr in "XY") for _, s_ in op.terms}) or 1
    states = (1 << n) if dense else patterns + 2 * k + 40
    check_fits(
        n,
        1,
        torch.complex128,
        states,
        "exact diagonalisation",
        advice="a symmetry sector (a smaller "
        "space), fewer sites, or a QML_MEMORY_LIMIT that matches the memory really free",
    )

    if sym is None:
        vals, vecs = _solve(op.to_sparse(n), k, dense, seed, tol)
        solver = "dense" if dense else "sparse"
        logger.info("ground_state: %s solver, %d wires, dimension %d, k=%d", solver, n, 1 << n, k)
        return EDResult(vals, _fix_phases(vecs), n, None, solver)

    if isinstance(sector_value, bool) or not isinstance(sector_value, numbers.Real):
        raise ConfigTypeError(
            f"sector_value must be a real number (an eigenvalue of the symmetry), got {sector_value!r}"
        )
    s = float(sector_value)
    label = f"{sym} = {s:g}"
    _check_commutes(op, sym)
    tol_s = 1e-8 * max(1.0, sym.l1_norm())

    if _is_qubitwise(sym) is not None:
        # Exact: rotate S to a diagonal operator and keep the basis states with S = s.
        vals, states = _Sectors(op, sym, n).solve(s, k, dense, seed, tol)
        solver = "dense" if dense else "sparse"
        logger.info(
            "ground_state: %s solver in sector %s (exact restriction), %d wires, k=%d", solver, label, n, k
        )
        return EDResult(vals, _fix_phases(states), n, label, solver)

    if dense:
        # Exact: project onto the s-eigenspace of S.
        lam, vecs = np.linalg.eigh(sym.to_matrix(n))
        basis = vecs[:, np.abs(lam - s) <= tol_s]
        if basis.shape[1] == 0:
            raise ConfigError(
                f"the sector {label} is empty: {s:g} is not an eigenvalue of {sym}; "
                f"its eigenvalues are {np.unique(np.round(lam, 10)).tolist()[:20]}"
            )
        h_sec = basis.conj().T @ op.to_sparse(n).toarray() @ basis
        vals, sub = _solve((h_sec + h_sec.conj().T) / 2, k, True, seed, tol)
        logger.info(
            "ground_state: dense solver in sector %s (projection), %d wires, sector dimension %d, k=%d",
            label,
            n,
            basis.shape[1],
            k,
        )
        return EDResult(vals, _fix_phases(basis @ sub), n, label, "dense")

    return _penalty_solve(op, sym, s, label, n, k, seed, tol)


def _penalty_solve(
    op: PauliSum, sym: PauliSum, s: float, label: str, n: int, k: int, seed: int, tol: float
) -> EDResult:
    """Sparse sector solve for a general symmetry via ``H + mu (S - s)^2`` with growing ``mu``."""
    shifted = sym - s
    penalty = (shifted * shifted).to_sparse(n)
    s_mat = shifted.to_sparse(n)
    h_mat = op.to_sparse(n)
    width = 2.0 * op.l1_norm(include_constant=False)  # >= E_max - E_min
    mu = width + 1.0
    check = 1e-6 * max(1.0, sym.l1_norm())
    for attempt in range(5):
        _, vecs = _solve(h_mat + mu * penalty, k, False, seed, tol)
        leaks = np.linalg.norm(s_mat @ vecs, axis=0)
        logger.info(
            "ground_state: sparse solver with penalty mu=%.3g in sector %s (attempt %d), max leak %.2e",
            mu,
            label,
            attempt + 1,
            float(leaks.max()),
        )
        if leaks.max() <= check:
            states = _fix_phases(vecs)
            energies = np.real(np.einsum("ij,ij->j", states.conj(), h_mat @ states))
            order = np.argsort(energies)
            return EDResult(energies[order], states[:, order], n, label, "sparse+penalty")
        mu *= 16.0
    raise ConfigError(
        f"could not isolate the sector {label}: the lowest states of H + mu (S - s)^2 still have "
        f"||(S - s) psi|| up to {float(leaks.max()):.3g} at mu={mu / 16:.3g}. Either {s:g} is not an "
        f"eigenvalue of S (empty sector), k={k} exceeds the sector dimension, or eigenvalues of S lie "
        "very close to s. Use a qubit-wise commuting symmetry (a Pauli string or a diagonal operator) "
        "for an exact restriction, or raise dense_below to project exactly"
    )


def sector_dimensions(values: np.ndarray) -> dict[float, int]:
    """``{value: dimension}`` from the values of :func:`sector_basis`.

    Example:
        >>> sector_dimensions(sector_basis("0.5*Z0 + 0.5*Z1", 2)[1])
        {-1.0: 1, 0.0: 2, 1.0: 1}
    """
    vals, counts = np.unique(values, return_counts=True)
    return {float(v) + 0.0: int(c) for v, c in zip(vals, counts)}


def _check_commutes(op: PauliSum, sym: PauliSum) -> None:
    comm = op.commutator(sym)
    if comm.l1_norm() > 1e-10 * max(1.0, op.l1_norm() * sym.l1_norm()):
        c, worst = max(comm.terms, key=lambda t: abs(t[0]))
        raise ConfigError(
            f"the sector operator {sym} does not commute with H (i[H, S] contains {c:.3g}*{worst}), "
            "so it does not define a symmetry sector; pass an operator that commutes with H"
        )


def sector_basis(sym: PauliSum | PauliString | str, n_wires: int) -> tuple[dict[int, str], np.ndarray]:
    """The basis in which a qubit-wise commuting symmetry is diagonal, and its value on each basis state.

    Returns ``(rotations, values)``: ``rotations[w]`` is the Pauli letter (``"X"`` or ``"Y"``)
    rotated to ``Z`` on wire ``w`` (:func:`rotate` applies the same change to an operator),
    ``values`` the symmetry's eigenvalue on each of the ``2^n`` rotated basis states
    (rounded to 1e-9).

    Raises:
        ValueError: If the terms of ``sym`` do not commute qubit-wise.

    Example:
        >>> rot, vals = sector_basis("X0 X1", 2)
        >>> rot, vals.tolist()
        ({0: 'X', 1: 'X'}, [1.0, -1.0, -1.0, 1.0])
    """
    op = PauliSum.coerce(sym)
    letters = _is_qubitwise(op)
    if letters is None:
        raise ConfigError(f"the symmetry {op} is not qubit-wise commuting; its sectors cannot be scanned")
    rotations = {w: ltr for w, ltr in letters.items() if ltr != "Z"}
    return rotations, np.round(_rotate(op, rotations).diagonal(n_wires), 9) + 0.0


def rotate(op: PauliSum | PauliString | str, rotations: dict[int, str]) -> PauliSum:
    """``op`` in the basis of :func:`sector_basis`: ``U op U^dagger``, ``U`` rotating each listed letter to Z.

    Example:
        >>> str(rotate("X0 + Z0 + Y0", {0: "X"}))
        'X0 - Y0 + Z0'
    """
    return _rotate(PauliSum.coerce(op), rotations)


class _Sectors:
    """``H`` in the sectors of a qubit-wise commuting symmetry ``S``, basis change and matrix built once.

    Single-qubit Cliffords rotate ``S`` to a diagonal operator; ``H`` is rotated with it and
    its sparse matrix built once, so each sector is a restriction to the basis states with
    ``S = s`` (no rebuild per sector).
    """

    def __init__(self, op: PauliSum, sym: PauliSum, n: int) -> None:
        self.op, self.sym, self.n = op, sym, n
        self.rotations, self.diag = sector_basis(sym, n)
        self._matrix: sp.csr_matrix | None = None

    def dims(self) -> dict[float, int]:
        """``{value: dimension}`` of the sectors."""
        return sector_dimensions(self.diag)

    def solve(self, s: float, k: int, dense: bool, seed: int, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` lowest pairs in the sector ``S = s``, states in the full space."""
        idx = np.flatnonzero(np.abs(self.diag - s) <= 1e-8 * max(1.0, self.sym.l1_norm()))
        if idx.size == 0:
            values = np.unique(np.round(self.diag, 10))
            raise ConfigError(
                f"the sector {self.sym} = {s:g} is empty: {s:g} is not an eigenvalue of {self.sym}; "
                f"its eigenvalues are {values.tolist()[:20]}"
            )
        if self._matrix is None:
            self._matrix = _rotate(self.op, self.rotations).to_sparse(self.n)
        vals, sub = _solve(_restrict(self._matrix, idx), k, dense, seed, tol)
        full = np.zeros((1 << self.n, sub.shape[1]), dtype=complex)
        full[idx] = sub
        return vals, (_unrotate_states(full, self.rotations, self.n) if self.rotations else full)


def group_levels(energies: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Level index of each (ascending) energy: a new level starts above ``first + tol * max(1, |first|)``.

    Example:
        >>> group_levels(np.array([-1.0, -1.0 + 1e-12, 0.5])).tolist()
        [0, 0, 1]
    """
    out = np.zeros(energies.size, dtype=np.int64)
    first, level = (float(energies[0]), 0) if energies.size else (0.0, 0)
    for i, e in enumerate(energies):
        if e - first > tol * max(1.0, abs(first)):
            level += 1
            first = float(e)
        out[i] = level
    return out


@dataclass(frozen=True, eq=False)
class Spectrum:
    """The lowest distinct energy levels of a Hamiltonian, each kept whole, across symmetry sectors.

    Attributes:
        levels: ``(L,)`` distinct energies, ascending.
        degeneracies: Dimension of each level (summed over sectors).
        states: ``(2^n, sum(degeneracies))`` orthonormal eigenvectors, level by level.
        level_of: ``(sum(degeneracies),)`` level index of each column of ``states``.
        values: ``(sum(degeneracies),)`` the scanned symmetry's value of each column
            (``nan`` without one).
        symmetry: Name of the scanned symmetry (``"Sz"``, ``"Px"``, ``"Pz"``), the label of a
            fixed sector (``"<S> = <s>"``), or ``None`` (the full space was solved).
        n_wires: Number of qubits.
        solver: ``"dense"`` or ``"sparse"``.
        sectors_solved: Number of sectors diagonalised.
        tol: Relative tolerance that groups energies into one level.

    Example:
        >>> from qml.paulis import pauli
        >>> sp = spectrum(pauli("0.25*X0 X1 + 0.25*Y0 Y1 + 0.25*Z0 Z1"), n_levels=2)
        >>> sp.levels.tolist(), sp.degeneracies, sp.symmetry
        ([-0.75, 0.25], (1, 3), 'Sz')
    """

    levels: np.ndarray
    degeneracies: tuple[int, ...]
    states: np.ndarray
    level_of: np.ndarray
    values: np.ndarray
    symmetry: str | None
    n_wires: int
    solver: str
    sectors_solved: int
    tol: float

    @property
    def energy(self) -> float:
        """The ground-state energy."""
        return float(self.levels[0])

    @property
    def ground_space(self) -> np.ndarray:
        """``(2^n, d)`` columns spanning the ground level."""
        return self.states[:, self.level_of == 0]

    @property
    def energies(self) -> np.ndarray:
        """The energies of the columns of :attr:`states` (levels repeated by degeneracy)."""
        return self.levels[self.level_of]

    @property
    def gap(self) -> float | None:
        """``E_1 - E_0`` between the two lowest distinct levels (``None`` with one level)."""
        return float(self.levels[1] - self.levels[0]) if self.levels.size > 1 else None

    def level_values(self, level: int = 0) -> list[float]:
        """The scanned symmetry's values present in a level (empty without a scanned symmetry).

        Example:
            >>> from qml.paulis import pauli
            >>> spectrum(pauli("-Z0 Z1 - 0.5*Z0 - 0.5*Z1")).level_values(0)
            [1.0]
        """
        vals = self.values[self.level_of == level]
        return sorted({float(v) for v in vals if not np.isnan(v)})

    def sector_label(self, level: int = 0) -> str | None:
        """``"Sz = 0"`` or ``"Sz in {-4, 4}"`` for a level; ``None`` without a symmetry."""
        if self.symmetry is None:
            return None
        vals = self.level_values(level)
        if not vals:
            return self.symmetry
        if len(vals) == 1:
            return f"{self.symmetry} = {vals[0]:g}"
        return f"{self.symmetry} in {{{', '.join(f'{v:g}' for v in vals)}}}"


def spectrum(
    H: PauliSum | PauliString | str,
    n_wires: int | None = None,
    n_levels: int = 1,
    *,
    symmetry: str | PauliSum | None = "auto",
    sector: PauliString | PauliSum | str | None = None,
    sector_value: float = 1.0,
    dense_below: int = 10,
    seed: int = 0,
    tol: float = 1e-8,
) -> Spectrum:
    """The ``n_levels`` lowest distinct levels of ``H``, each with its whole degenerate eigenspace.

    Right in every regime: unless a ``sector`` constraint is given, *every* sector of the
    scanned symmetry is solved (so a fully polarised ferromagnet or a magnetised state in a
    field is found, whatever the model's name suggests), and within each sector the number
    of computed eigenpairs grows until the last requested level is complete (an energy
    above it was seen, or the sector is exhausted), so degenerate levels are never cut.

    Args:
        H: The Hamiltonian.
        n_wires: Number of qubits (default: enough for ``H``).
        n_levels: Number of distinct levels to resolve.
        symmetry: ``"auto"`` (the qubit-wise symmetry of ``H`` with the most sectors, see
            :func:`qml.symmetry.scan_symmetry`), ``None`` (the full space at once), or a
            qubit-wise commuting operator whose sectors are scanned.
        sector: A fixed sector constraint instead of a scan (e.g. the electron number of a
            molecule): a symmetry operator ``S``; ``sector_value`` its eigenvalue.
        sector_value: The eigenvalue selecting the fixed sector.
        dense_below: Dense ``eigh`` when ``n_wires <= dense_below``, Lanczos above.
        seed: Seed of the Lanczos start vectors.
        tol: Relative tolerance grouping energies into one level (``|E - E_level| <= tol *
            max(1, |E_level|)``).

    Returns:
        A :class:`Spectrum`.

    Raises:
        ValueError: For a symmetry that does not commute with ``H`` or a bad argument.

    Example:
        >>> from qml.problems.spins import xxz
        >>> sp = spectrum(xxz(8, delta=-1.5), n_levels=1)     # ferromagnetic ring: polarised
        >>> round(sp.energy, 10), sp.degeneracies, sp.sector_label()
        (-3.0, (2,), 'Sz in {-4, 4}')
    """
    op = PauliSum.coerce(H)
    n_levels = _check_int(n_levels, "n_levels", 1)
    n = op.n_wires if n_wires is None else _check_int(n_wires, "n_wires", op.n_wires)
    if sector is not None:
        sym_op: PauliSum | None = PauliSum.coerce(sector)
        name: str | None = None
    elif symmetry is None:
        sym_op, name = None, None
    elif isinstance(symmetry, str) and symmetry == "auto":
        from qml.symmetry import scan_symmetry

        found = scan_symmetry(op, n)
        sym_op, name = (None, None) if found is None else (found.operator, found.name)
    elif isinstance(symmetry, (PauliSum, PauliString, str)):
        sym_op = PauliSum.coerce(symmetry)
        name = str(sym_op)
    else:
        raise ConfigError(f"symmetry must be 'auto', None or an operator, got {symmetry!r}")
    solver = "dense" if n <= dense_below else "sparse"
    dense = solver == "dense"
    sectors = None
    if sym_op is not None and (sector is None or _is_qubitwise(sym_op) is not None):
        if name is None or symmetry != "auto":
            _check_commutes(op, sym_op)
        sectors = _Sectors(op, sym_op, n)  # refuses a scanned symmetry that is not qubit-wise
    dims = {} if sectors is None else sectors.dims()
    plan = [float(sector_value)] if sector is not None else sorted(dims, reverse=True) or [float("nan")]

    def solve(s: float, k: int) -> tuple[np.ndarray, np.ndarray]:
        if sectors is not None:
            return sectors.solve(s, k, dense, seed, 0.0)
        if sym_op is not None:  # a fixed sector of a general symmetry: projection / penalty
            res = ground_state(op, n, k, sym_op, s, dense_below, seed=seed)
        else:
            res = ground_state(op, n, k, dense_below=dense_below, seed=seed)
        return res.energies, res.states

    energies: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for s in plan:
        dim = dims.get(round(s, 9) + 0.0) or (1 << n)
        k = min(dim, n_levels + 3)
        while True:
            vals, vecs = solve(s, k)
            lv = group_levels(vals, tol)
            complete = int(lv[-1]) if k < dim else int(lv[-1]) + 1
            if complete >= n_levels or k >= dim:
                break
            k = min(dim, 2 * k)
        keep = lv < n_levels
        energies.append(vals[keep])
        columns.append(_fix_phases(vecs[:, keep]))
        values.append(np.full(int(keep.sum()), s))
    e = np.concatenate(energies)
    order = np.lexsort((-np.concatenate(values), e))  # by energy; within a level, larger values first
    e = e[order]
    lv = group_levels(e, tol)
    keep = lv < n_levels
    levels = np.array([float(e[lv == j][0]) for j in range(int(lv[keep].max()) + 1)])
    label = name if sector is None else f"{sym_op} = {float(sector_value):g}"
    logger.info("spectrum: %d levels over %d sector(s) of %s, %d wires", levels.size, len(plan), label, n)
    return Spectrum(
        levels=levels,
        degeneracies=tuple(int(np.sum(lv[keep] == j)) for j in range(levels.size)),
        states=np.concatenate(columns, axis=1)[:, order][:, keep],
        level_of=lv[keep],
        values=np.concatenate(values)[order][keep],
        symmetry=label,
        n_wires=n,
        solver=solver,
        sectors_solved=len(plan),
        tol=tol,
    )


def spectrum_gap(
    H: PauliSum | PauliString | str,
    n_wires: int | None = None,
    sector: PauliString | PauliSum | str | None = None,
    sector_value: float = 1.0,
    dense_below: int = 10,
    *,
    seed: int = 0,
) -> float:
    """``E_1 - E_0``, the gap above the ground state (0 for a degenerate ground state).

    Args:
        H: The Hamiltonian.
        n_wires: Number of qubits (default: enough for ``H``).
        sector: Optional symmetry operator, as in :func:`ground_state`.
        sector_value: Its eigenvalue selecting the sector.
        dense_below: Dense ``eigh`` up to this many wires.
        seed: Lanczos start-vector seed.

    Example:
        >>> from qml.paulis import pauli
        >>> round(spectrum_gap(pauli("-Z0 Z1 - X0 - X1")), 10)  # sqrt(5) - 1
        1.2360679775
    """
    res = ground_state(H, n_wires, 2, sector, sector_value, dense_below, seed=seed)
    return float(res.energies[1] - res.energies[0])
